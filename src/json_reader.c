/*
 * json_reader.c - crto_jdoc_*: one bounded JSON text read through jsmn.
 *
 * jsmn tokenizes without a heap into the doc's own token array, but even in
 * JSMN_STRICT mode it checks little of the grammar: it accepts `[1 2]`,
 * `[1,]`, `{"a"}`, `{"a":1:2}`, `tru`, `01`, raw control bytes in strings,
 * and a text made of several values. Responses come from the network, so
 * after jsmn has run, jd_validate walks the tokens once and checks what
 * lies between them (separators, brackets, trailing bytes) and what they
 * hold (numbers, literals, strings). A doc that parsed is well-formed JSON;
 * UTF-8 validity of strings is the one thing left unchecked.
 *
 * jsmn also refuses a bare primitive as the whole text in strict mode (it
 * wants a delimiter after it), yet the splitter hands out elements such as
 * `900`; such a root is tokenized here directly.
 *
 * Tokens are in document order (pre-order). An object's `size` counts its
 * keys; a key is a string token whose single child (size 1) is its value.
 */
#include <limits.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "crto/crto_json.h"

/* The token array lives in the doc as int32_t so crto_json.h need not
 * include jsmn.h; it is only ever accessed as jsmntok_t. */
_Static_assert(sizeof(jsmntok_t) * CRTO_JSON_TOKENS <= sizeof(((crto_jdoc_t *)0)->tokmem),
               "crto_jdoc_t.tokmem cannot hold CRTO_JSON_TOKENS jsmn tokens");
_Static_assert(_Alignof(jsmntok_t) <= _Alignof(int32_t), "crto_jdoc_t.tokmem is not aligned enough for jsmntok_t");
_Static_assert(CRTO_JSON_TOKENS > 0 && CRTO_JSON_TOKENS <= INT_MAX / 2, "CRTO_JSON_TOKENS out of range");

static jsmntok_t *jd_toks(crto_jdoc_t *doc)
{
    return (jsmntok_t *)(void *)doc->tokmem;
}

static const jsmntok_t *jd_ctoks(const crto_jdoc_t *doc)
{
    return (const jsmntok_t *)(const void *)doc->tokmem;
}

static const jsmntok_t *jd_tok(const crto_jdoc_t *doc, int t)
{
    if (doc == NULL || t < 0 || t >= doc->ntok) {
        return NULL;
    }
    return &jd_ctoks(doc)[t];
}

static int jd_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t jd_skip_ws(const char *js, size_t i, size_t len)
{
    while (i < len && jd_is_ws(js[i])) {
        i++;
    }
    return i;
}

/* ------------------------------------------------------------- validation */

/* Where a token's text begins and ends, quotes included for strings
 * (jsmn reports a string without its quotes). */
static size_t jd_outer_start(const jsmntok_t *t)
{
    return (size_t)t->start - (t->type == JSMN_STRING ? 1u : 0u);
}

static size_t jd_outer_end(const jsmntok_t *t)
{
    return (size_t)t->end + (t->type == JSMN_STRING ? 1u : 0u);
}

static int jd_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits from s[*i]; true when there was at least one. */
static int jd_digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    while (*i < n && jd_is_digit(s[*i])) {
        (*i)++;
    }
    return *i > start;
}

/* true, false, null, or a number as RFC 8259 writes it. */
static int jd_primitive_ok(const char *s, size_t n)
{
    size_t i = 0;

    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
        (n == 4 && memcmp(s, "null", 4) == 0)) {
        return 1;
    }
    if (i < n && s[i] == '-') {
        i++;
    }
    if (i < n && s[i] == '0') {
        i++; /* no leading zeros: "01" is not JSON */
    } else if (!jd_digits(s, n, &i)) {
        return 0;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (!jd_digits(s, n, &i)) {
            return 0;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (!jd_digits(s, n, &i)) {
            return 0;
        }
    }
    return i == n;
}

/* jsmn checks escapes but lets raw control bytes through. */
static int jd_string_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20) {
            return 0;
        }
    }
    return 1;
}

/* Between two tokens there may only be whitespace, around at most one
 * separator (0 for none). */
static int jd_gap_ok(const char *js, size_t from, size_t to, char sep)
{
    size_t i;
    if (from > to) {
        return 0;
    }
    i = jd_skip_ws(js, from, to);
    if (sep != 0) {
        if (i >= to || js[i] != sep) {
            return 0;
        }
        i = jd_skip_ws(js, i + 1, to);
    }
    return i == to;
}

static crto_err_t jd_bad(crto_diag_t *diag, size_t at, const char *what)
{
    return crto_diag_set(diag, CRTO_ERR_JSON, "malformed JSON at byte %zu: %s", at, what);
}

/* Close token t (all its children seen): for a container, only whitespace
 * may remain before its closing bracket. */
static int jd_close(const char *js, const jsmntok_t *t, size_t *cur)
{
    if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
        if (!jd_gap_ok(js, *cur, (size_t)t->end - 1u, 0)) {
            return 0;
        }
        *cur = (size_t)t->end;
    }
    return 1;
}

/* What token t may be, given its parent p (NULL for the root). */
static const char *jd_shape_problem(const jsmntok_t *tk, const jsmntok_t *t, const jsmntok_t *p)
{
    if (p != NULL) {
        if (p->type == JSMN_OBJECT) {
            if (t->type != JSMN_STRING) {
                return "object member name is not a string";
            }
            return t->size == 1 ? NULL : "object member without exactly one value";
        }
        if (p->type == JSMN_PRIMITIVE) {
            return "unexpected value after a number or literal";
        }
        if (p->type == JSMN_STRING && (p->parent < 0 || tk[p->parent].type != JSMN_OBJECT)) {
            return "':' outside an object";
        }
    }
    if ((t->type == JSMN_STRING || t->type == JSMN_PRIMITIVE) && t->size != 0) {
        return "value followed by ':'";
    }
    return NULL;
}

/* One pass over the n tokens jsmn produced. `cur` is the first byte not yet
 * accounted for; `top` the innermost token whose children may still come. */
static crto_err_t jd_validate(const crto_jdoc_t *doc, const jsmntok_t *tk, int n, crto_diag_t *diag)
{
    const char *js = doc->js;
    size_t cur = 0;
    int top = -1;
    int i;

    for (i = 0; i < n; i++) {
        const jsmntok_t *t = &tk[i];
        int p = t->parent;
        const char *problem;
        char sep;

        if (i > 0 && p < 0) {
            return jd_bad(diag, jd_outer_start(t), "more than one value at the top level");
        }
        if (p >= i) {
            return jd_bad(diag, jd_outer_start(t), "inconsistent nesting");
        }
        problem = jd_shape_problem(tk, t, p >= 0 ? &tk[p] : NULL);
        if (problem != NULL) {
            return jd_bad(diag, jd_outer_start(t), problem);
        }
        /* Everything between the previous token and this one belongs to
         * tokens that are now complete: close them, innermost first. */
        while (top != p) {
            if (top < 0 || !jd_close(js, &tk[top], &cur)) {
                return jd_bad(diag, cur, "unexpected bytes before a closing bracket");
            }
            top = tk[top].parent;
        }
        if (p < 0) {
            sep = 0;
        } else if (tk[p].type == JSMN_STRING) {
            sep = ':'; /* the value of a key */
        } else {
            sep = i == p + 1 ? 0 : ','; /* pre-order: the first child follows its parent */
        }
        if (!jd_gap_ok(js, cur, jd_outer_start(t), sep)) {
            return jd_bad(diag, cur, sep == ':' ? "expected ':'" : "expected ',' or a closing bracket");
        }
        if (t->type == JSMN_PRIMITIVE && !jd_primitive_ok(js + t->start, (size_t)(t->end - t->start))) {
            return jd_bad(diag, (size_t)t->start, "not a number, true, false or null");
        }
        if (t->type == JSMN_STRING && !jd_string_ok(js + t->start, (size_t)(t->end - t->start))) {
            return jd_bad(diag, (size_t)t->start, "control character in a string");
        }
        cur = (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) ? (size_t)t->start + 1u : jd_outer_end(t);
        top = i;
    }
    while (top >= 0) {
        if (!jd_close(js, &tk[top], &cur)) {
            return jd_bad(diag, cur, "unexpected bytes before a closing bracket");
        }
        top = tk[top].parent;
    }
    cur = jd_skip_ws(js, cur, doc->len);
    if (cur != doc->len) {
        return jd_bad(diag, cur, "data after the value");
    }
    return CRTO_OK;
}

/* jsmn in strict mode wants a delimiter after a primitive, so a text that
 * is one number or literal is tokenized here: token 0 spans it. */
static crto_err_t jd_parse_scalar(crto_jdoc_t *doc, size_t b, crto_diag_t *diag)
{
    const char *js = doc->js;
    jsmntok_t *t = &jd_toks(doc)[0];
    size_t e = b;

    while (e < doc->len && !jd_is_ws(js[e])) {
        e++;
    }
    if (!jd_primitive_ok(js + b, e - b)) {
        return jd_bad(diag, b, "not a number, true, false or null");
    }
    if (jd_skip_ws(js, e, doc->len) != doc->len) {
        return jd_bad(diag, e, "data after the value");
    }
    t->type = JSMN_PRIMITIVE;
    t->start = (int)b;
    t->end = (int)e;
    t->size = 0;
    t->parent = -1;
    doc->ntok = 1;
    return CRTO_OK;
}

/* Out of tokens: count how many the text needs with jsmn's token-less
 * pass, so the message says by how much CRTO_JSON_TOKENS falls short. */
static crto_err_t jd_too_many(const crto_jdoc_t *doc, crto_diag_t *diag)
{
    jsmn_parser p;
    int need;

    jsmn_init(&p);
    need = jsmn_parse(&p, doc->js, doc->len, NULL, 0);
    if (need < 0) {
        return crto_diag_set(diag, CRTO_ERR_JSON, "malformed JSON (more than %d tokens)", CRTO_JSON_TOKENS);
    }
    crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "JSON element needs %d tokens, CRTO_JSON_TOKENS is %d", need,
                  CRTO_JSON_TOKENS);
    if (diag != NULL) {
        diag->need = (size_t)need;
    }
    return CRTO_ERR_TOO_LARGE;
}

crto_err_t crto_jdoc_parse(crto_jdoc_t *doc, const char *js, size_t len, crto_diag_t *diag)
{
    jsmn_parser p;
    size_t b;
    int r;
    char c;

    if (doc == NULL || (js == NULL && len != 0)) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "crto_jdoc_parse: doc or text is NULL");
    }
    doc->js = js;
    doc->len = len;
    doc->ntok = 0;
    /* jsmn keeps offsets in int. */
    if (len > (size_t)INT_MAX) {
        crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "JSON text of %zu bytes is over INT_MAX", len);
        if (diag != NULL) {
            diag->need = len;
        }
        return CRTO_ERR_TOO_LARGE;
    }
    b = jd_skip_ws(js, 0, len);
    if (b == len) {
        return crto_diag_set(diag, CRTO_ERR_JSON, "empty JSON text");
    }
    c = js[b];
    if (c != '{' && c != '[' && c != '"') {
        return jd_parse_scalar(doc, b, diag);
    }
    jsmn_init(&p);
    r = jsmn_parse(&p, js, len, jd_toks(doc), (unsigned)CRTO_JSON_TOKENS);
    if (r == JSMN_ERROR_NOMEM) {
        return jd_too_many(doc, diag);
    }
    if (r == JSMN_ERROR_PART) {
        return crto_diag_set(diag, CRTO_ERR_JSON, "truncated JSON (%zu bytes)", len);
    }
    if (r < 0) {
        return jd_bad(diag, (size_t)p.pos, "invalid character");
    }
    if (r == 0) {
        return crto_diag_set(diag, CRTO_ERR_JSON, "empty JSON text");
    }
    if (jd_validate(doc, jd_ctoks(doc), r, diag) != CRTO_OK) {
        return CRTO_ERR_JSON;
    }
    doc->ntok = r;
    return CRTO_OK;
}

/* ---------------------------------------------------------------- access */

crto_jtype_t crto_jdoc_type(const crto_jdoc_t *doc, int t)
{
    const jsmntok_t *tok = jd_tok(doc, t);
    if (tok == NULL) {
        return CRTO_JTYPE_INVALID;
    }
    switch (tok->type) {
    case JSMN_OBJECT:
        return CRTO_JTYPE_OBJECT;
    case JSMN_ARRAY:
        return CRTO_JTYPE_ARRAY;
    case JSMN_STRING:
        return CRTO_JTYPE_STRING;
    case JSMN_PRIMITIVE:
        return CRTO_JTYPE_PRIMITIVE;
    default:
        return CRTO_JTYPE_INVALID;
    }
}

const char *crto_jdoc_text(const crto_jdoc_t *doc, int t, size_t *len)
{
    const jsmntok_t *tok = jd_tok(doc, t);
    if (tok == NULL) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = (size_t)(tok->end - tok->start);
    }
    return doc->js + tok->start;
}

bool crto_jdoc_is_null(const crto_jdoc_t *doc, int t)
{
    const jsmntok_t *tok = jd_tok(doc, t);
    return tok != NULL && tok->type == JSMN_PRIMITIVE && tok->end - tok->start == 4 &&
           memcmp(doc->js + tok->start, "null", 4) == 0;
}

int crto_jdoc_count(const crto_jdoc_t *doc, int t)
{
    const jsmntok_t *tok = jd_tok(doc, t);
    if (tok == NULL || (tok->type != JSMN_OBJECT && tok->type != JSMN_ARRAY)) {
        return 0;
    }
    return tok->size;
}

int crto_jdoc_next(const crto_jdoc_t *doc, int t)
{
    const jsmntok_t *tk;
    int pending = 1; /* tokens of t's subtree still to step over */
    int j = t;

    if (jd_tok(doc, t) == NULL) {
        return CRTO_JSON_NONE;
    }
    /* Each token brings its `size` children (a key brings its value), so
     * the subtree ends when every announced child has been stepped over. */
    tk = jd_ctoks(doc);
    while (pending > 0 && j < doc->ntok) {
        pending += tk[j].size - 1;
        j++;
    }
    return j < doc->ntok ? j : CRTO_JSON_NONE;
}

int crto_jdoc_index(const crto_jdoc_t *doc, int arr, int i)
{
    const jsmntok_t *tok = jd_tok(doc, arr);
    int e;

    if (tok == NULL || tok->type != JSMN_ARRAY || i < 0 || i >= tok->size) {
        return CRTO_JSON_NONE;
    }
    e = arr + 1;
    while (i-- > 0 && e != CRTO_JSON_NONE) {
        e = crto_jdoc_next(doc, e);
    }
    return e;
}

/* ------------------------------------------------------------- unescaping */

static int jd_hex4(const char *s, size_t n, size_t i, uint32_t *out)
{
    uint32_t v = 0;
    size_t k;

    if (i > n || n - i < 4) {
        return 0;
    }
    for (k = i; k < i + 4; k++) {
        char c = s[k];
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (uint32_t)(c - 'A' + 10);
        } else {
            return 0;
        }
        v = (v << 4) | d;
    }
    *out = v;
    return 1;
}

static size_t jd_utf8(uint32_t cp, uint8_t u[4])
{
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (uint8_t)(0xF0 | (cp >> 18));
    u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the escape at s[*i] (a backslash) into u; advance *i past it.
 * Returns the byte count (>= 1), or 0 for a bad escape or a surrogate that
 * is not half of a pair. */
static size_t jd_unescape(const char *s, size_t n, size_t *i, uint8_t u[4])
{
    size_t p = *i + 1;
    uint32_t cp;
    char c;

    if (p >= n) {
        return 0;
    }
    c = s[p++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
        u[0] = (uint8_t)c;
        break;
    case 'b':
        u[0] = '\b';
        break;
    case 'f':
        u[0] = '\f';
        break;
    case 'n':
        u[0] = '\n';
        break;
    case 'r':
        u[0] = '\r';
        break;
    case 't':
        u[0] = '\t';
        break;
    case 'u':
        if (!jd_hex4(s, n, p, &cp)) {
            return 0;
        }
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (n - p < 6 || s[p] != '\\' || s[p + 1] != 'u' || !jd_hex4(s, n, p + 2, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF) {
                return 0;
            }
            p += 6;
            cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return 0;
        }
        *i = p;
        return jd_utf8(cp, u);
    default:
        return 0;
    }
    *i = p;
    return 1;
}

/* Append src[n] to out[cap] at *len if it fits with room for the NUL;
 * *len counts the bytes needed whether or not they fit. */
static void jd_emit(char *out, size_t cap, size_t *len, const void *src, size_t n)
{
    if (out != NULL && *len < cap && n < cap - *len) {
        memcpy(out + *len, src, n);
    }
    *len += n;
}

crto_err_t crto_jdoc_str(const crto_jdoc_t *doc, int t, char *out, size_t cap, size_t *out_len, crto_diag_t *diag)
{
    const jsmntok_t *tok = jd_tok(doc, t);
    const char *s;
    size_t n, i = 0, len = 0;

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (out != NULL && cap > 0) {
        out[0] = '\0';
    }
    if (tok == NULL || tok->type != JSMN_STRING) {
        return crto_diag_set(diag, CRTO_ERR_JSON, "JSON token %d is not a string", t);
    }
    s = doc->js + tok->start;
    n = (size_t)(tok->end - tok->start);
    while (i < n) {
        /* Copy the plain run up to the next backslash in one go. */
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs != NULL ? (size_t)(bs - (s + i)) : n - i;
        jd_emit(out, cap, &len, s + i, run);
        i += run;
        if (bs != NULL) {
            uint8_t u[4];
            size_t k = jd_unescape(s, n, &i, u);
            if (k == 0) {
                if (out != NULL && cap > 0) {
                    out[0] = '\0';
                }
                return crto_diag_set(diag, CRTO_ERR_JSON, "bad escape or lone surrogate in JSON string at byte %zu",
                                     (size_t)tok->start + i);
            }
            jd_emit(out, cap, &len, u, k);
        }
    }
    if (out == NULL || len >= cap) {
        if (out != NULL && cap > 0) {
            out[0] = '\0';
        }
        crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "JSON string needs %zu bytes, the buffer has %zu", len + 1, cap);
        if (diag != NULL) {
            diag->need = len + 1;
        }
        return CRTO_ERR_TOO_LARGE;
    }
    out[len] = '\0';
    if (out_len != NULL) {
        *out_len = len;
    }
    return CRTO_OK;
}

/* Does the raw (still escaped) member name raw[n] equal key[klen] once
 * unescaped? Plain names, the usual case, are one memcmp. */
static int jd_key_eq(const char *raw, size_t n, const char *key, size_t klen)
{
    size_t i = 0, k = 0;

    if (memchr(raw, '\\', n) == NULL) {
        return n == klen && memcmp(raw, key, n) == 0;
    }
    while (i < n) {
        uint8_t u[4];
        size_t m;
        if (raw[i] != '\\') {
            if (k >= klen || raw[i] != key[k]) {
                return 0;
            }
            i++;
            k++;
            continue;
        }
        m = jd_unescape(raw, n, &i, u);
        if (m == 0 || klen - k < m || memcmp(u, key + k, m) != 0) {
            return 0;
        }
        k += m;
    }
    return k == klen;
}

int crto_jdoc_member(const crto_jdoc_t *doc, int obj, const char *key)
{
    const jsmntok_t *tok = jd_tok(doc, obj);
    const jsmntok_t *tk;
    size_t klen;
    int k, m;

    if (tok == NULL || tok->type != JSMN_OBJECT || key == NULL) {
        return CRTO_JSON_NONE;
    }
    tk = jd_ctoks(doc);
    klen = strlen(key);
    /* Keys are the object's children; next(key) steps over its value. */
    for (m = 0, k = obj + 1; m < tok->size && k != CRTO_JSON_NONE; m++) {
        const jsmntok_t *kt = &tk[k];
        if (jd_key_eq(doc->js + kt->start, (size_t)(kt->end - kt->start), key, klen)) {
            return k + 1 < doc->ntok ? k + 1 : CRTO_JSON_NONE;
        }
        k = crto_jdoc_next(doc, k);
    }
    return CRTO_JSON_NONE;
}

/* ---------------------------------------------------------------- numbers */

crto_err_t crto_parse_int64(const char *s, size_t len, int64_t *out)
{
    /* Accumulate the magnitude in uint64_t against the limit of the sign,
     * so INT64_MIN (whose magnitude int64_t cannot hold) parses and one
     * more than either limit is caught before it wraps. */
    const uint64_t max_pos = (uint64_t)INT64_MAX;
    uint64_t limit, acc = 0;
    size_t i = 0;
    int neg = 0;

    if (s == NULL || out == NULL) {
        return CRTO_ERR_ARG;
    }
    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len) {
        return CRTO_ERR_JSON;
    }
    limit = neg ? max_pos + 1u : max_pos;
    for (; i < len; i++) {
        uint64_t d;
        if (!jd_is_digit(s[i])) {
            return CRTO_ERR_JSON;
        }
        d = (uint64_t)(s[i] - '0');
        if (acc > (limit - d) / 10u) {
            return CRTO_ERR_JSON;
        }
        acc = acc * 10u + d;
    }
    if (!neg) {
        *out = (int64_t)acc;
    } else if (acc == max_pos + 1u) {
        *out = INT64_MIN;
    } else {
        *out = -(int64_t)acc;
    }
    return CRTO_OK;
}

crto_err_t crto_jdoc_int(const crto_jdoc_t *doc, int t, int64_t *out)
{
    const jsmntok_t *tok = jd_tok(doc, t);

    if (tok == NULL || (tok->type != JSMN_PRIMITIVE && tok->type != JSMN_STRING)) {
        return CRTO_ERR_JSON;
    }
    /* A string is taken raw: an escape is not a digit, so it is refused. */
    return crto_parse_int64(doc->js + tok->start, (size_t)(tok->end - tok->start), out);
}
