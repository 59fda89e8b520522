/*
 * json_splitter.c - cut a streamed JSON object into elements.
 *
 * A response such as {"data":[{...},{...},...],"meta":{...}} can be many
 * megabytes; a device can hold one element of it. The splitter reads the
 * stream in pieces of any size and tracks only what it takes to find where
 * each element ends: strings and their escapes, and bracket nesting. Each
 * element is copied into s->win and handed to on_element when complete;
 * crto_jdoc_parse then reads (and fully validates) that one element.
 *
 *   member value is an array  -> each of its elements, index 0, 1, 2, ...
 *   any other member value    -> the value itself, index -1
 *
 * The top level (the object, its member names, ':' and ',') is checked
 * strictly here, since nobody looks at it later.
 */
#include <inttypes.h>
#include <string.h>

#include "crto/crto_json.h"

/* root '{' + member array '[' + an object element must fit, and depth is
 * kept in a uint8_t. */
_Static_assert(CRTO_JSON_MAX_DEPTH >= 3 && CRTO_JSON_MAX_DEPTH <= 255, "CRTO_JSON_MAX_DEPTH must be within 3..255");

enum {
    SP_ROOT,        /* before the opening '{'                         */
    SP_OBJ_FIRST,   /* after '{': a member name or '}'                */
    SP_OBJ_KEY,     /* after ',': a member name                       */
    SP_KEY,         /* inside a member name                           */
    SP_COLON,       /* after a member name: ':'                       */
    SP_VALUE,       /* after ':': '[' or a value                      */
    SP_ARR_FIRST,   /* after '[': an element or ']'                   */
    SP_ARR_ELEM,    /* after ',' in the array: an element             */
    SP_ARR_NEXT,    /* after an array element: ',' or ']'             */
    SP_MEMBER_NEXT, /* after a member's value: ',' or '}'             */
    SP_ELEM,        /* inside a string, object or array element       */
    SP_PRIM,        /* inside a number or literal element             */
    SP_END          /* after the closing '}': only whitespace         */
};

/* Byte classes, so the hot loops are a table lookup per byte. */
#define CL_SCAN 1u /* stops the element scan: " \ { } [ ]         */
#define CL_PEND 2u /* ends a primitive: whitespace , ] } and " { [ : */
#define CL_WS 4u   /* JSON whitespace                             */

static const uint8_t k_cls[256] = {
    [' '] = CL_PEND | CL_WS,   ['\t'] = CL_PEND | CL_WS,  ['\n'] = CL_PEND | CL_WS,  ['\r'] = CL_PEND | CL_WS,
    [','] = CL_PEND,           [':'] = CL_PEND,           ['"'] = CL_SCAN | CL_PEND, ['\\'] = CL_SCAN,
    ['{'] = CL_SCAN | CL_PEND, ['}'] = CL_SCAN | CL_PEND, ['['] = CL_SCAN | CL_PEND, [']'] = CL_SCAN | CL_PEND,
};

void crto_jsplit_init(crto_jsplit_t *s, crto_jsplit_fn on_element, void *arg, crto_diag_t *diag)
{
    if (s == NULL) {
        return;
    }
    /* Everything but the window, which is only read up to el_len. */
    memset(s, 0, offsetof(crto_jsplit_t, win));
    s->on_element = on_element;
    s->arg = arg;
    s->diag = diag;
    s->state = SP_ROOT;
    s->index = -1;
    if (on_element == NULL) {
        s->err = crto_diag_set(diag, CRTO_ERR_ARG, "crto_jsplit_init: on_element is NULL");
    }
}

static crto_err_t sp_fail(crto_jsplit_t *s, crto_err_t err)
{
    s->err = err;
    return err;
}

static crto_err_t sp_bad(crto_jsplit_t *s, size_t at, const char *what)
{
    crto_diag_set(s->diag, CRTO_ERR_JSON, "malformed JSON response at byte %zu: %s", at, what);
    return sp_fail(s, CRTO_ERR_JSON);
}

/* Copy element bytes into the window; past its end only count them, so the
 * error can say how big the element really was. */
static void sp_append(crto_jsplit_t *s, const uint8_t *p, size_t n)
{
    if (!s->overflow) {
        if (n <= sizeof s->win - s->el_len) {
            memcpy(s->win + s->el_len, p, n);
        } else {
            s->overflow = 1;
        }
    }
    s->el_len += n;
}

/* The current element is complete: hand it over, or report its size. */
static crto_err_t sp_emit(crto_jsplit_t *s)
{
    crto_err_t err;

    if (s->overflow) {
        if (s->index >= 0) {
            crto_diag_set(s->diag, CRTO_ERR_TOO_LARGE,
                          "JSON element %.*s[%" PRId32 "] is %zu bytes; the window "
                          "(CRTO_JSON_WINDOW) is %zu",
                          (int)s->key_len, s->key, s->index, s->el_len, sizeof s->win);
        } else {
            crto_diag_set(s->diag, CRTO_ERR_TOO_LARGE,
                          "JSON element %.*s is %zu bytes; the window (CRTO_JSON_WINDOW) is %zu", (int)s->key_len,
                          s->key, s->el_len, sizeof s->win);
        }
        if (s->diag != NULL) {
            s->diag->need = s->el_len;
        }
        return sp_fail(s, CRTO_ERR_TOO_LARGE);
    }
    err = s->on_element(s->arg, s->key, s->key_len, s->index, s->win, s->el_len);
    if (err != CRTO_OK) {
        return sp_fail(s, err);
    }
    s->el_len = 0;
    if (s->in_array) {
        s->state = SP_ARR_NEXT;
        if (s->index == INT32_MAX) {
            crto_diag_set(s->diag, CRTO_ERR_TOO_LARGE, "JSON array %.*s has too many elements", (int)s->key_len,
                          s->key);
            return sp_fail(s, CRTO_ERR_TOO_LARGE);
        }
        s->index++;
    } else {
        s->state = SP_MEMBER_NEXT;
    }
    return CRTO_OK;
}

/* Start an element with its first byte c. NULL, or what is wrong. */
static const char *sp_begin(crto_jsplit_t *s, uint8_t c)
{
    s->el_len = 0;
    s->overflow = 0;
    s->in_str = 0;
    s->esc = 0;
    s->base = s->depth;
    switch (c) {
    case '{':
    case '[':
        if (s->depth >= CRTO_JSON_MAX_DEPTH) {
            return "nesting deeper than CRTO_JSON_MAX_DEPTH";
        }
        s->stack[s->depth++] = c == '{' ? '}' : ']';
        s->state = SP_ELEM;
        break;
    case '"':
        s->in_str = 1;
        s->state = SP_ELEM;
        break;
    case '}':
    case ']':
    case ',':
    case ':':
        return "expected a value";
    default:
        /* A number or literal; crto_jdoc_parse judges its spelling. */
        s->state = SP_PRIM;
        break;
    }
    sp_append(s, &c, 1);
    return NULL;
}

static void sp_close_root(crto_jsplit_t *s)
{
    s->depth = 0;
    s->state = SP_END;
}

static const char *sp_key_start(crto_jsplit_t *s, uint8_t c)
{
    if (c != '"') {
        return "expected a member name";
    }
    s->key_len = 0;
    s->esc = 0;
    s->state = SP_KEY;
    return NULL;
}

/* One byte of the top-level structure. NULL, or what is wrong. */
static const char *sp_struct(crto_jsplit_t *s, uint8_t c)
{
    if (s->state == SP_KEY) {
        /* esc: 1 after a backslash; 5..2 while the four hex digits of a
         * \u escape are due (RFC 8259 7) */
        if (s->esc == 1) {
            if (c == 'u') {
                s->esc = 5;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
                s->esc = 0;
            } else {
                return "invalid escape in a member name";
            }
        } else if (s->esc > 1) {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return "invalid \\u escape in a member name";
            }
            s->esc = s->esc == 2 ? 0 : (uint8_t)(s->esc - 1);
        } else if (c == '\\') {
            s->esc = 1;
        } else if (c == '"') {
            s->key[s->key_len] = '\0';
            s->state = SP_COLON;
            return NULL;
        } else if (c < 0x20) {
            return "control character in a member name";
        }
        /* Names longer than the buffer are cut: the known ones are short. */
        if (s->key_len < sizeof s->key - 1) {
            s->key[s->key_len++] = (char)c;
        }
        return NULL;
    }
    if (k_cls[c] & CL_WS) {
        return NULL; /* allowed around every structural byte */
    }
    switch (s->state) {
    case SP_ROOT:
        if (c != '{') {
            return "the response is not a JSON object";
        }
        s->stack[0] = '}';
        s->depth = 1;
        s->state = SP_OBJ_FIRST;
        return NULL;
    case SP_OBJ_FIRST:
        if (c == '}') {
            sp_close_root(s); /* {} */
            return NULL;
        }
        return sp_key_start(s, c);
    case SP_OBJ_KEY:
        return sp_key_start(s, c); /* '}' here would follow a trailing ',' */
    case SP_COLON:
        if (c != ':') {
            return "missing ':' after a member name";
        }
        s->state = SP_VALUE;
        return NULL;
    case SP_VALUE:
        if (c == '[') {
            s->stack[s->depth++] = ']';
            s->in_array = 1;
            s->index = 0;
            s->state = SP_ARR_FIRST;
            return NULL;
        }
        s->in_array = 0;
        s->index = -1;
        return sp_begin(s, c);
    case SP_ARR_FIRST:
        if (c == ']') {
            s->depth--;
            s->state = SP_MEMBER_NEXT;
            return NULL;
        }
        return sp_begin(s, c);
    case SP_ARR_ELEM:
        return sp_begin(s, c);
    case SP_ARR_NEXT:
        if (c == ',') {
            s->state = SP_ARR_ELEM;
            return NULL;
        }
        if (c == ']') {
            s->depth--;
            s->state = SP_MEMBER_NEXT;
            return NULL;
        }
        return "missing ',' or ']' after an array element";
    case SP_MEMBER_NEXT:
        if (c == ',') {
            s->state = SP_OBJ_KEY;
            return NULL;
        }
        if (c == '}') {
            sp_close_root(s);
            return NULL;
        }
        return "missing ',' or '}' after a member";
    case SP_END:
        return "data after the end of the JSON object";
    default:
        return "internal state";
    }
}

/* Scan the bytes of a string/object/array element in p[0..n): returns how
 * many belong to it, sets *ended when its last byte is among them. The
 * element's state lives in locals while the loop runs. */
static size_t sp_scan(crto_jsplit_t *s, const uint8_t *p, size_t n, int *ended, const char **bad)
{
    unsigned depth = s->depth;
    const unsigned base = s->base;
    int in_str = s->in_str, esc = s->esc;
    size_t i = 0;

    *ended = 0;
    *bad = NULL;
    while (i < n) {
        uint8_t c;
        if (esc) {
            esc = 0; /* the byte after a backslash, whatever it is */
            i++;
            continue;
        }
        /* The hot loop: ordinary bytes (hex ids, names, digits). */
        while (i < n && !(k_cls[p[i]] & CL_SCAN)) {
            i++;
        }
        if (i == n) {
            break;
        }
        c = p[i++];
        if (in_str) {
            if (c == '\\') {
                esc = 1;
            } else if (c == '"') {
                in_str = 0;
                if (depth == base) {
                    *ended = 1; /* a string element */
                    break;
                }
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (depth >= CRTO_JSON_MAX_DEPTH) {
                *bad = "nesting deeper than CRTO_JSON_MAX_DEPTH";
                break;
            }
            s->stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            /* depth > base here: a container element is still open. */
            if (s->stack[depth - 1] != c) {
                *bad = "mismatched bracket";
                break;
            }
            if (--depth == base) {
                *ended = 1;
                break;
            }
        }
        /* A backslash outside a string is left for crto_jdoc_parse. */
    }
    s->depth = (uint8_t)depth;
    s->in_str = (uint8_t)in_str;
    s->esc = (uint8_t)esc;
    return i;
}

/* Bytes of a number or literal in p[0..n) before its delimiter. */
static size_t sp_scan_prim(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !(k_cls[p[i]] & CL_PEND)) {
        i++;
    }
    return i;
}

crto_err_t crto_jsplit_feed(crto_jsplit_t *s, const uint8_t *data, size_t len)
{
    size_t i = 0;

    if (s == NULL) {
        return CRTO_ERR_ARG;
    }
    if (s->err != CRTO_OK) {
        return s->err;
    }
    if (data == NULL && len != 0) {
        crto_diag_set(s->diag, CRTO_ERR_ARG, "crto_jsplit_feed: data is NULL");
        return sp_fail(s, CRTO_ERR_ARG);
    }
    while (i < len) {
        const char *bad = NULL;
        if (s->state == SP_ELEM) {
            int ended;
            size_t n = sp_scan(s, data + i, len - i, &ended, &bad);
            if (bad != NULL) {
                return sp_bad(s, s->pos + i + n - 1, bad);
            }
            sp_append(s, data + i, n);
            i += n;
            if (ended && sp_emit(s) != CRTO_OK) {
                return s->err;
            }
        } else if (s->state == SP_PRIM) {
            size_t n = sp_scan_prim(data + i, len - i);
            sp_append(s, data + i, n);
            i += n;
            if (i < len) {
                /* The delimiter is not part of the element: the next state
                 * reads it again. A quote or bracket glued to a number is
                 * no delimiter at all. */
                uint8_t c = data[i];
                if (c == '"' || c == '{' || c == '[' || c == ':') {
                    return sp_bad(s, s->pos + i, "unexpected byte after a number or literal");
                }
                if (sp_emit(s) != CRTO_OK) {
                    return s->err;
                }
            }
        } else {
            bad = sp_struct(s, data[i]);
            if (bad != NULL) {
                return sp_bad(s, s->pos + i, bad);
            }
            i++;
        }
    }
    s->pos += len;
    return CRTO_OK;
}

crto_err_t crto_jsplit_finish(crto_jsplit_t *s)
{
    if (s == NULL) {
        return CRTO_ERR_ARG;
    }
    if (s->err != CRTO_OK) {
        return s->err;
    }
    if (s->state != SP_END) {
        crto_diag_set(s->diag, CRTO_ERR_JSON, "truncated JSON response: the object is not closed after %zu bytes",
                      s->pos);
        return sp_fail(s, CRTO_ERR_JSON);
    }
    return CRTO_OK;
}
