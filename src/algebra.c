/*
 * algebra.c - an audience's algebra: a tree of and / or / not over
 * segments, kept in a fixed array of nodes, checked, written, parsed.
 */
#include <string.h>

#include "api.h"

/* Recursive, but over a tree whose depth is held to CRTO_ALGEBRA_MAX_DEPTH,
 * so the stack it needs is bounded. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static crto_err_t check_node(const crto_algebra_node_t *nodes, uint16_t n, int idx, int depth, uint8_t *seen,
                             crto_diag_t *diag)
{
    const crto_algebra_node_t *node;
    int child, kids = 0;

    if (idx < 0 || idx >= n) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node index %d is outside the %u nodes", idx, (unsigned)n);
    }
    if (depth > CRTO_ALGEBRA_MAX_DEPTH) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra deeper than CRTO_ALGEBRA_MAX_DEPTH (%d)",
                             CRTO_ALGEBRA_MAX_DEPTH);
    }
    if (seen[idx]) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d is used twice", idx);
    }
    seen[idx] = 1;
    node = &nodes[idx];
    if (node->op == CRTO_ALG_SEGMENT) {
        if (node->child != -1) {
            return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d: a segment leaf has no children", idx);
        }
        const char *end = memchr(node->segment_id, '\0', sizeof node->segment_id);
        if (end == NULL || !crto_id_is_valid(node->segment_id, (size_t)(end - node->segment_id))) {
            return crto_diag_set(diag, CRTO_ERR_INVALID_ID, "algebra node %d: segment id \"%.21s\" is not 1-20 digits",
                                 idx, node->segment_id);
        }
        return CRTO_OK;
    }
    if (node->op != CRTO_ALG_AND && node->op != CRTO_ALG_OR && node->op != CRTO_ALG_NOT) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d has an unknown operator", idx);
    }
    for (child = node->child; child != -1; child = nodes[child].next) {
        crto_err_t e;
        if (child <= idx) {
            /* children come after their parent: no cycle can form */
            return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d: child %d must come after it", idx, child);
        }
        e = check_node(nodes, n, child, depth + 1, seen, diag);
        if (e != CRTO_OK) {
            return e;
        }
        kids++;
    }
    if (node->op == CRTO_ALG_NOT && kids != 1) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d: \"not\" takes exactly one child (has %d)", idx,
                             kids);
    }
    if (kids == 0) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %d: \"%s\" needs at least one child", idx,
                             node->op == CRTO_ALG_AND ? "and" : "or");
    }
    return CRTO_OK;
}

crto_err_t crto_algebra_check(const crto_algebra_node_t *nodes, uint16_t n, crto_diag_t *diag)
{
    uint8_t seen[256];
    uint16_t i;
    crto_err_t e;
    if (nodes == NULL || n == 0) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "an audience needs an algebra");
    }
    if (n > sizeof seen) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "algebra of %u nodes; at most %u", (unsigned)n, (unsigned)sizeof seen);
    }
    memset(seen, 0, n);
    e = check_node(nodes, n, 0, 1, seen, diag);
    for (i = 0; e == CRTO_OK && i < n; i++) {
        if (!seen[i]) {
            e = crto_diag_set(diag, CRTO_ERR_ARG, "algebra node %u is not reachable from the root", (unsigned)i);
        }
    }
    return e;
}

/* Recursive, but over a tree whose depth is held to CRTO_ALGEBRA_MAX_DEPTH,
 * so the stack it needs is bounded. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static void write_node(crto_jw_t *w, const crto_algebra_node_t *nodes, int idx)
{
    const crto_algebra_node_t *node = &nodes[idx];
    int child;
    switch (node->op) {
    case CRTO_ALG_SEGMENT:
        (void)crto_jw_lit(w, "{\"audienceSegmentId\":");
        (void)crto_jw_str(w, node->segment_id, strlen(node->segment_id));
        (void)crto_jw_raw(w, "}", 1);
        return;
    case CRTO_ALG_NOT:
        (void)crto_jw_lit(w, "{\"not\":");
        write_node(w, nodes, node->child);
        (void)crto_jw_raw(w, "}", 1);
        return;
    default:
        (void)crto_jw_lit(w, node->op == CRTO_ALG_AND ? "{\"and\":[" : "{\"or\":[");
        for (child = node->child; child != -1; child = nodes[child].next) {
            if (child != node->child) {
                (void)crto_jw_raw(w, ",", 1);
            }
            write_node(w, nodes, child);
        }
        (void)crto_jw_lit(w, "]}");
        return;
    }
}

void crto_algebra_write(crto_jw_t *w, const crto_algebra_node_t *nodes, uint16_t n)
{
    (void)n; /* checked before: recursion depth is bounded by CRTO_ALGEBRA_MAX_DEPTH */
    write_node(w, nodes, 0);
}

typedef struct {
    const crto_jdoc_t *doc;
    crto_algebra_node_t *nodes;
    uint16_t cap;
    uint16_t n;
    crto_diag_t *diag;
} parse_ctx_t;

/* Recursive, but over a tree whose depth is held to CRTO_ALGEBRA_MAX_DEPTH,
 * so the stack it needs is bounded. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static crto_err_t parse_node(parse_ctx_t *p, int tok, int depth, int *out)
{
    const crto_jdoc_t *doc = p->doc;
    crto_algebra_node_t *node;
    int idx, t, prev = -1, i = -1, count;
    crto_err_t e;

    if (depth > CRTO_ALGEBRA_MAX_DEPTH) {
        return crto_diag_set(p->diag, CRTO_ERR_ARG, "algebra deeper than CRTO_ALGEBRA_MAX_DEPTH (%d)",
                             CRTO_ALGEBRA_MAX_DEPTH);
    }
    if (crto_jdoc_type(doc, tok) != CRTO_JTYPE_OBJECT || crto_jdoc_count(doc, tok) != 1) {
        return crto_diag_set(p->diag, CRTO_ERR_ARG,
                             "an algebra node is an object with exactly one of and, or, not, audienceSegmentId");
    }
    if (p->n >= p->cap) {
        if (p->diag != NULL) {
            p->diag->need = (size_t)p->n + 1;
        }
        return crto_diag_set(p->diag, CRTO_ERR_TOO_LARGE, "algebra has more than %u nodes", (unsigned)p->cap);
    }
    idx = p->n++;
    node = &p->nodes[idx];
    memset(node, 0, sizeof *node);
    node->child = node->next = -1;
    *out = idx;
    if ((t = crto_jdoc_member(doc, tok, "audienceSegmentId")) != CRTO_JSON_NONE) {
        size_t len = 0;
        node->op = CRTO_ALG_SEGMENT;
        if (crto_jdoc_type(doc, t) != CRTO_JTYPE_STRING ||
            crto_jdoc_str(doc, t, node->segment_id, sizeof node->segment_id, &len, NULL) != CRTO_OK ||
            !crto_id_is_valid(node->segment_id, len)) {
            return crto_diag_set(p->diag, CRTO_ERR_INVALID_ID, "audienceSegmentId must be a string of 1-20 digits");
        }
        return CRTO_OK;
    }
    if ((t = crto_jdoc_member(doc, tok, "not")) != CRTO_JSON_NONE) {
        node->op = CRTO_ALG_NOT;
        e = parse_node(p, t, depth + 1, &i);
        p->nodes[idx].child = (int16_t)i;
        return e;
    }
    t = crto_jdoc_member(doc, tok, "and");
    p->nodes[idx].op = CRTO_ALG_AND;
    if (t == CRTO_JSON_NONE) {
        t = crto_jdoc_member(doc, tok, "or");
        p->nodes[idx].op = CRTO_ALG_OR;
    }
    if (t == CRTO_JSON_NONE || crto_jdoc_type(doc, t) != CRTO_JTYPE_ARRAY || crto_jdoc_count(doc, t) == 0) {
        return crto_diag_set(p->diag, CRTO_ERR_ARG, "\"and\"/\"or\" take a non-empty array; \"not\" one node");
    }
    count = crto_jdoc_count(doc, t);
    for (i = 0; i < count; i++) {
        int child = -1;
        e = parse_node(p, crto_jdoc_index(doc, t, i), depth + 1, &child);
        if (e != CRTO_OK) {
            return e;
        }
        if (prev == -1) {
            p->nodes[idx].child = (int16_t)child;
        } else {
            p->nodes[prev].next = (int16_t)child;
        }
        prev = child;
    }
    return CRTO_OK;
}

crto_err_t crto_algebra_parse(const char *json, size_t len, crto_algebra_node_t *nodes, uint16_t cap, uint16_t *n,
                              crto_jdoc_t *doc, crto_diag_t *diag)
{
    parse_ctx_t p;
    int root;
    crto_err_t e = crto_jdoc_parse(doc, json, len, diag);
    *n = 0;
    if (e != CRTO_OK) {
        return e;
    }
    p.doc = doc;
    p.nodes = nodes;
    p.cap = cap;
    p.n = 0;
    p.diag = diag;
    e = parse_node(&p, 0, 1, &root);
    if (e == CRTO_OK) {
        *n = p.n;
    }
    return e;
}
