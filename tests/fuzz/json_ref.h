/*
 * json_ref.h - a reference JSON validator for the fuzz targets: RFC 8259's
 * grammar, nothing more (no UTF-8 check, like crto), written for clarity
 * rather than speed. rv_valid also reports the deepest nesting it saw.
 */
#ifndef CRTO_FUZZ_JSON_REF_H
#define CRTO_FUZZ_JSON_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t n, i;
    int depth;
    int max_depth;
    bool too_deep;
    bool lax_root_names; /* accept any bytes in the root object's member names */
} rv_t;

#define RV_MAX_DEPTH 400

static inline void rv_ws(rv_t *v)
{
    while (v->i < v->n && (v->s[v->i] == ' ' || v->s[v->i] == '\t' || v->s[v->i] == '\n' || v->s[v->i] == '\r')) {
        v->i++;
    }
}

static inline bool rv_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool rv_string(rv_t *v)
{
    v->i++; /* the opening quote */
    while (v->i < v->n) {
        unsigned char c = (unsigned char)v->s[v->i];
        if (c == '"') {
            v->i++;
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c == '\\') {
            v->i++;
            if (v->i >= v->n) {
                return false;
            }
            c = (unsigned char)v->s[v->i];
            if (c == 'u') {
                int k;
                for (k = 1; k <= 4; k++) {
                    if (v->i + (size_t)k >= v->n || !rv_is_hex(v->s[v->i + (size_t)k])) {
                        return false;
                    }
                }
                v->i += 5;
                continue;
            }
            if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
                return false;
            }
        }
        v->i++;
    }
    return false;
}

static inline bool rv_digits(rv_t *v)
{
    size_t start = v->i;
    while (v->i < v->n && v->s[v->i] >= '0' && v->s[v->i] <= '9') {
        v->i++;
    }
    return v->i > start;
}

static inline bool rv_number(rv_t *v)
{
    if (v->i < v->n && v->s[v->i] == '-') {
        v->i++;
    }
    if (v->i < v->n && v->s[v->i] == '0') {
        v->i++;
    } else if (!rv_digits(v)) {
        return false;
    }
    if (v->i < v->n && v->s[v->i] == '.') {
        v->i++;
        if (!rv_digits(v)) {
            return false;
        }
    }
    if (v->i < v->n && (v->s[v->i] == 'e' || v->s[v->i] == 'E')) {
        v->i++;
        if (v->i < v->n && (v->s[v->i] == '+' || v->s[v->i] == '-')) {
            v->i++;
        }
        if (!rv_digits(v)) {
            return false;
        }
    }
    return true;
}

static inline bool rv_lit(rv_t *v, const char *lit)
{
    size_t k = strlen(lit);
    if (v->n - v->i < k || memcmp(v->s + v->i, lit, k) != 0) {
        return false;
    }
    v->i += k;
    return true;
}

static inline bool rv_value(rv_t *v);

static inline bool rv_container(rv_t *v, char close)
{
    bool first = true;
    if (++v->depth > v->max_depth) {
        v->max_depth = v->depth;
    }
    if (v->depth > RV_MAX_DEPTH) {
        v->too_deep = true;
        return false;
    }
    v->i++; /* the opening bracket */
    for (;;) {
        rv_ws(v);
        if (v->i < v->n && v->s[v->i] == close && first) {
            v->i++;
            v->depth--;
            return true;
        }
        if (close == '}' && v->lax_root_names && v->depth == 1) {
            /* as crto's splitter reads them: a backslash takes the next
             * byte, a quote ends the name */
            if (v->i >= v->n || v->s[v->i] != '"') {
                return false;
            }
            for (v->i++; v->i < v->n && v->s[v->i] != '"'; v->i++) {
                if (v->s[v->i] == '\\') {
                    v->i++;
                }
            }
            if (v->i >= v->n) {
                return false;
            }
            v->i++;
            rv_ws(v);
            if (v->i >= v->n || v->s[v->i] != ':') {
                return false;
            }
            v->i++;
        } else if (close == '}') {
            if (v->i >= v->n || v->s[v->i] != '"' || !rv_string(v)) {
                return false;
            }
            rv_ws(v);
            if (v->i >= v->n || v->s[v->i] != ':') {
                return false;
            }
            v->i++;
        }
        if (!rv_value(v)) {
            return false;
        }
        rv_ws(v);
        if (v->i < v->n && v->s[v->i] == ',') {
            v->i++;
            first = false;
            continue;
        }
        if (v->i < v->n && v->s[v->i] == close) {
            v->i++;
            v->depth--;
            return true;
        }
        return false;
    }
}

static inline bool rv_value(rv_t *v)
{
    rv_ws(v);
    if (v->i >= v->n) {
        return false;
    }
    switch (v->s[v->i]) {
    case '{':
        return rv_container(v, '}');
    case '[':
        return rv_container(v, ']');
    case '"':
        return rv_string(v);
    case 't':
        return rv_lit(v, "true");
    case 'f':
        return rv_lit(v, "false");
    case 'n':
        return rv_lit(v, "null");
    default:
        return rv_number(v);
    }
}

/* 1 valid, 0 invalid, -1 too deep to tell. *max_depth (may be NULL) gets
 * the deepest nesting of brackets seen (the root's counts 1). With
 * lax_root_names the member names of a root object are not checked (see
 * fuzz_json_splitter.c). */
static inline int rv_valid(const char *s, size_t n, int *max_depth, bool lax_root_names)
{
    rv_t v;
    int r;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.n = n;
    v.lax_root_names = lax_root_names;
    if (!rv_value(&v)) {
        r = v.too_deep ? -1 : 0;
    } else {
        rv_ws(&v);
        r = v.i == n ? 1 : 0;
    }
    if (max_depth != NULL) {
        *max_depth = v.max_depth;
    }
    return r;
}

#endif /* CRTO_FUZZ_JSON_REF_H */
