/*
 * fuzz_json_reader.c - crto_jdoc_*: one bounded JSON text parsed on jsmn
 * and validated, then every accessor walked over every token; and
 * crto_algebra_parse, the one parser built on it that reads a whole text.
 *
 * Input: the JSON text itself.
 *
 * Checked:
 *   - acceptance is exactly RFC 8259's grammar (a small recursive reference
 *     validator below; crto_json.h: "The whole grammar is checked"), except
 *     that a text needing more than CRTO_JSON_TOKENS tokens may be
 *     CRTO_ERR_TOO_LARGE instead (then diag.need > CRTO_JSON_TOKENS);
 *     ntok is 0 after an error;
 *   - a value that parses still parses inside [ ] and as {"k": ... };
 *   - every token: type, raw text inside the input; strings unescape
 *     (measure with cap 0, then exactly that cap works and one byte less is
 *     CRTO_ERR_TOO_LARGE with "" in out; never longer than the raw text);
 *     crto_jdoc_int agrees with a reference decimal parser; is_null is the
 *     literal null; objects: count keys, each key a string, the value after
 *     it, crto_jdoc_member finds the first key of that (unescaped) name;
 *     arrays: crto_jdoc_index(i) is the i-th step of crto_jdoc_next; next()
 *     of a container lands where its children end; nothing follows token 0;
 *   - out-of-range tokens are refused by every accessor;
 *   - crto_algebra_parse: n <= cap; a tree it returns passes
 *     crto_algebra_check, and written back with crto_algebra_write it
 *     parses again into the same nodes.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crto/crto_audiences.h"
#include "crto/crto_json.h"
#include "fuzz_common.h"
#include "json_ref.h"

/* ------------------------------------------------------- int reference */

/* crto_parse_int64's contract: -?[0-9]+ within int64. */
static bool ref_int(const char *s, size_t n, int64_t *out)
{
    char buf[32];
    size_t i = 0;
    long long v;
    char *end;
    if (n > 0 && s[0] == '-') {
        i = 1;
    }
    if (i == n) {
        return false;
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    /* leading zeros are allowed: strip them so strtoll sees a short text */
    {
        size_t neg = s[0] == '-' ? 1u : 0u, z = neg;
        while (z + 1 < n && s[z] == '0') {
            z++;
        }
        if (n - z + neg >= sizeof buf) {
            return false; /* more than 30 significant digits: out of range */
        }
        buf[0] = '-';
        memcpy(buf + neg, s + z, n - z);
        buf[neg + n - z] = '\0';
    }
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno == ERANGE || *end != '\0') {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* ----------------------------------------------------------- the walk */

static crto_jdoc_t g_doc, g_doc2;

static void check_string(const crto_jdoc_t *doc, int t, size_t raw_len)
{
    crto_diag_t d;
    size_t out_len = 7, need;
    char probe[2];
    char *out;
    crto_err_t e;

    crto_diag_clear(&d);
    e = crto_jdoc_str(doc, t, NULL, 0, &out_len, &d);
    FUZZ_CHECK(e == CRTO_ERR_TOO_LARGE || e == CRTO_ERR_JSON);
    FUZZ_CHECK(out_len == 0);
    if (e == CRTO_ERR_JSON) {
        probe[0] = 'x';
        FUZZ_CHECK(crto_jdoc_str(doc, t, probe, sizeof probe, NULL, NULL) == CRTO_ERR_JSON);
        FUZZ_CHECK(probe[0] == '\0');
        return;
    }
    need = d.need;
    FUZZ_CHECK(need >= 1 && need - 1 <= raw_len); /* unescaping never grows */
    out = malloc(need);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(crto_jdoc_str(doc, t, out, need, &out_len, NULL) == CRTO_OK);
    FUZZ_CHECK(out_len == need - 1 && out[out_len] == '\0');
    if (need > 1) {
        out[0] = 'x';
        FUZZ_CHECK(crto_jdoc_str(doc, t, out, need - 1, &out_len, NULL) == CRTO_ERR_TOO_LARGE);
        FUZZ_CHECK(out[0] == '\0' && out_len == 0);
    }
    free(out);
}

/* The unescaped name of key token k into a malloc'ed string, or NULL when
 * it does not unescape or holds a NUL (crto_jdoc_member takes a C string). */
static char *key_name(const crto_jdoc_t *doc, int k)
{
    size_t len = 0, need;
    crto_diag_t d;
    char *out;
    if (crto_jdoc_str(doc, k, NULL, 0, NULL, &d) != CRTO_ERR_TOO_LARGE) {
        return NULL;
    }
    need = d.need;
    out = malloc(need);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(crto_jdoc_str(doc, k, out, need, &len, NULL) == CRTO_OK);
    if (strlen(out) != len) {
        free(out);
        return NULL;
    }
    return out;
}

static void check_object(const crto_jdoc_t *doc, int t)
{
    int count = crto_jdoc_count(doc, t), i, k;
    FUZZ_CHECK(count >= 0 && count < doc->ntok);
    for (i = 0, k = t + 1; i < count; i++, k = crto_jdoc_next(doc, k)) {
        char *name;
        FUZZ_CHECK(k > t && k < doc->ntok);
        FUZZ_CHECK(crto_jdoc_type(doc, k) == CRTO_JTYPE_STRING);
        FUZZ_CHECK(k + 1 < doc->ntok); /* its value */
        FUZZ_CHECK(crto_jdoc_type(doc, k + 1) != CRTO_JTYPE_INVALID);
        name = key_name(doc, k);
        if (name != NULL) {
            int m = crto_jdoc_member(doc, t, name);
            char *first;
            FUZZ_CHECK(m != CRTO_JSON_NONE && m > t && m <= k + 1);
            first = key_name(doc, m - 1); /* the first key of that name */
            FUZZ_CHECK(first != NULL && strcmp(first, name) == 0);
            free(first);
            free(name);
        }
    }
    FUZZ_CHECK((k < doc->ntok ? k : CRTO_JSON_NONE) == crto_jdoc_next(doc, t));
    FUZZ_CHECK(crto_jdoc_member(doc, t, "\x01 no such member \x02") == CRTO_JSON_NONE);
    FUZZ_CHECK(crto_jdoc_member(doc, t, NULL) == CRTO_JSON_NONE);
    FUZZ_CHECK(crto_jdoc_index(doc, t, 0) == CRTO_JSON_NONE);
}

static void check_array(const crto_jdoc_t *doc, int t)
{
    int count = crto_jdoc_count(doc, t), i, e;
    FUZZ_CHECK(count >= 0 && count < doc->ntok);
    for (i = 0, e = t + 1; i < count; i++, e = crto_jdoc_next(doc, e)) {
        FUZZ_CHECK(e > t && e < doc->ntok);
        FUZZ_CHECK(crto_jdoc_index(doc, t, i) == e);
    }
    FUZZ_CHECK((e < doc->ntok ? e : CRTO_JSON_NONE) == crto_jdoc_next(doc, t));
    FUZZ_CHECK(crto_jdoc_index(doc, t, count) == CRTO_JSON_NONE);
    FUZZ_CHECK(crto_jdoc_index(doc, t, -1) == CRTO_JSON_NONE);
    FUZZ_CHECK(crto_jdoc_member(doc, t, "a") == CRTO_JSON_NONE);
}

static void walk(const crto_jdoc_t *doc, const char *js, size_t len)
{
    int t;
    FUZZ_CHECK(doc->ntok >= 1 && doc->ntok <= CRTO_JSON_TOKENS);
    FUZZ_CHECK(crto_jdoc_next(doc, 0) == CRTO_JSON_NONE); /* one value at the top */
    for (t = 0; t < doc->ntok; t++) {
        crto_jtype_t type = crto_jdoc_type(doc, t);
        size_t tlen = 0;
        const char *text = crto_jdoc_text(doc, t, &tlen);
        int next = crto_jdoc_next(doc, t);
        int64_t v = 0, want = 0;
        crto_err_t e;

        FUZZ_CHECK(type != CRTO_JTYPE_INVALID);
        FUZZ_CHECK(text != NULL && text >= js && (size_t)(text - js) <= len && tlen <= len - (size_t)(text - js));
        FUZZ_CHECK(next == CRTO_JSON_NONE || (next > t && next < doc->ntok));
        FUZZ_CHECK(crto_jdoc_is_null(doc, t) ==
                   (type == CRTO_JTYPE_PRIMITIVE && tlen == 4 && memcmp(text, "null", 4) == 0));
        if (type == CRTO_JTYPE_PRIMITIVE) {
            FUZZ_CHECK(tlen > 0);
            if (text[0] == 't' || text[0] == 'f' || text[0] == 'n') {
                FUZZ_CHECK((tlen == 4 && memcmp(text, "true", 4) == 0) ||
                           (tlen == 5 && memcmp(text, "false", 5) == 0) || (tlen == 4 && memcmp(text, "null", 4) == 0));
            }
        }
        if (type == CRTO_JTYPE_PRIMITIVE || type == CRTO_JTYPE_STRING) {
            bool ok = ref_int(text, tlen, &want);
            e = crto_jdoc_int(doc, t, &v);
            FUZZ_CHECK(e == (ok ? CRTO_OK : CRTO_ERR_JSON));
            if (ok) {
                FUZZ_CHECK(v == want);
            }
            FUZZ_CHECK(crto_jdoc_count(doc, t) == 0);
        } else {
            FUZZ_CHECK(crto_jdoc_int(doc, t, &v) == CRTO_ERR_JSON);
        }
        switch (type) {
        case CRTO_JTYPE_STRING:
            check_string(doc, t, tlen);
            break;
        case CRTO_JTYPE_OBJECT:
            check_object(doc, t);
            break;
        case CRTO_JTYPE_ARRAY:
            check_array(doc, t);
            break;
        default:
            FUZZ_CHECK(crto_jdoc_str(doc, t, NULL, 0, NULL, NULL) == CRTO_ERR_JSON);
            break;
        }
    }
    /* out of range */
    {
        const int bad[3] = { -1, doc->ntok, INT_MAX };
        int i;
        for (i = 0; i < 3; i++) {
            size_t l = 9;
            int64_t v;
            FUZZ_CHECK(crto_jdoc_type(doc, bad[i]) == CRTO_JTYPE_INVALID);
            FUZZ_CHECK(crto_jdoc_text(doc, bad[i], &l) == NULL && l == 0);
            FUZZ_CHECK(!crto_jdoc_is_null(doc, bad[i]));
            FUZZ_CHECK(crto_jdoc_count(doc, bad[i]) == 0);
            FUZZ_CHECK(crto_jdoc_next(doc, bad[i]) == CRTO_JSON_NONE);
            FUZZ_CHECK(crto_jdoc_index(doc, bad[i], 0) == CRTO_JSON_NONE);
            FUZZ_CHECK(crto_jdoc_member(doc, bad[i], "a") == CRTO_JSON_NONE);
            FUZZ_CHECK(crto_jdoc_int(doc, bad[i], &v) == CRTO_ERR_JSON);
            FUZZ_CHECK(crto_jdoc_str(doc, bad[i], NULL, 0, NULL, NULL) == CRTO_ERR_JSON);
        }
    }
}

/* text wrapped in pre...post still parses */
static void check_wrapped(const char *js, size_t len, const char *pre, const char *post, int extra_tokens, int ntok)
{
    size_t a = strlen(pre), b = strlen(post);
    char *w;
    crto_err_t e;
    if (ntok + extra_tokens > CRTO_JSON_TOKENS) {
        return;
    }
    w = malloc(a + len + b);
    FUZZ_CHECK(w != NULL);
    memcpy(w, pre, a);
    memcpy(w + a, js, len);
    memcpy(w + a + len, post, b);
    e = crto_jdoc_parse(&g_doc2, w, a + len + b, NULL);
    FUZZ_CHECK(e == CRTO_OK);
    FUZZ_CHECK(g_doc2.ntok == ntok + extra_tokens);
    free(w);
}

/* ------------------------------------------------------------ algebra */

static crto_algebra_node_t g_nodes[64], g_nodes2[64];

static void check_algebra(const char *js, size_t len, uint16_t cap)
{
    uint16_t n = 99, n2 = 0, i;
    crto_diag_t d;
    crto_err_t e = crto_algebra_parse(js, len, g_nodes, cap, &n, &g_doc2, &d);
    static uint8_t text[8192];
    crto_jw_t w;

    FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_JSON || e == CRTO_ERR_ARG || e == CRTO_ERR_TOO_LARGE ||
               e == CRTO_ERR_INVALID_ID);
    if (e != CRTO_OK) {
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(n >= 1 && n <= cap);
    FUZZ_CHECK(crto_algebra_check(g_nodes, n, &d) == CRTO_OK);
    crto_jw_init(&w, text, sizeof text, NULL, NULL);
    crto_algebra_write(&w, g_nodes, n);
    FUZZ_CHECK(w.err == CRTO_OK);
    FUZZ_CHECK(crto_algebra_parse((const char *)text, w.len, g_nodes2, cap, &n2, &g_doc2, &d) == CRTO_OK);
    FUZZ_CHECK(n2 == n);
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(g_nodes[i].op == g_nodes2[i].op && g_nodes[i].child == g_nodes2[i].child &&
                   g_nodes[i].next == g_nodes2[i].next);
        if (g_nodes[i].op == CRTO_ALG_SEGMENT) {
            FUZZ_CHECK(strcmp(g_nodes[i].segment_id, g_nodes2[i].segment_id) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *js = fuzz_dup(data, size);
    crto_diag_t d;
    crto_err_t e;
    int ref;

    crto_diag_clear(&d);
    e = crto_jdoc_parse(&g_doc, js, size, &d);
    ref = rv_valid(js, size, NULL, false);
    FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_JSON || e == CRTO_ERR_TOO_LARGE);
    if (e != CRTO_OK) {
        FUZZ_CHECK(g_doc.ntok == 0);
    }
    if (e == CRTO_ERR_TOO_LARGE) {
        FUZZ_CHECK(d.need > (size_t)CRTO_JSON_TOKENS);
    } else if (ref >= 0) {
        FUZZ_CHECK((e == CRTO_OK) == (ref == 1)); /* exactly the grammar */
    }
    if (e == CRTO_OK) {
        int ntok = g_doc.ntok;
        walk(&g_doc, js, size);
        check_wrapped(js, size, "[", "]", 1, ntok);
        check_wrapped(js, size, " {\"k\" :", "}\n", 2, ntok);
    }
    check_algebra(js, size, (uint16_t)(size > 0 ? data[0] % 64u : 0));
    free(js);
    return 0;
}
