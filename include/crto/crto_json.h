/*
 * crto_json.h - JSON without a heap.
 *
 *  - crto_jw_t: a writer that emits into a caller window and flushes through
 *    a callback when the window is full (request bodies of any length).
 *  - crto_jdoc_t: a reader on jsmn (JSMN_STRICT, JSMN_PARENT_LINKS) over one
 *    bounded piece of text: member lookup, strings with unescaping, int64
 *    without double.
 *  - crto_jsplit_t: a streaming splitter that cuts a response of any length
 *    into elements (each member of the top-level object; each element of a
 *    top-level array member such as "data") and hands each one, alone, to a
 *    callback.  Only one element is ever held, in a window of
 *    CRTO_JSON_WINDOW bytes.
 */
#ifndef CRTO_JSON_H
#define CRTO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_config.h"
#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ writer */

/* Receives a full window (or the tail at crto_jw_finish). Return CRTO_OK to
 * go on; any other code stops the writer and is returned by later calls. */
typedef crto_err_t (*crto_jw_flush_fn)(void *arg, const uint8_t *data, size_t len);

typedef struct {
    uint8_t *buf;           /* the window, borrowed from the caller        */
    size_t cap;             /* its size                                    */
    size_t len;             /* bytes waiting in the window                 */
    size_t total;           /* bytes emitted so far (flushed + waiting)    */
    crto_jw_flush_fn flush; /* NULL: counting mode, nothing is stored      */
    void *arg;
    crto_err_t err; /* first error; sticky                         */
} crto_jw_t;

/* Start a writer over buf[cap] that flushes to flush(arg). With flush NULL
 * and buf NULL the writer only counts bytes (to compute a Content-Length
 * with the very code that will produce the body). With buf but no flush the
 * text must fit in buf[cap] (exactly full is fine); one byte more is
 * CRTO_ERR_TOO_LARGE, sticky, and buf keeps what fitted before it.
 * The window is flushed lazily, when more bytes need room, so flush always
 * gets cap bytes except from crto_jw_finish. flush without buf, or a buf of
 * cap 0, make every later call return CRTO_ERR_ARG. */
void crto_jw_init(crto_jw_t *w, uint8_t *buf, size_t cap, crto_jw_flush_fn flush, void *arg);

/* Append raw bytes (already valid JSON text). Returns the sticky error. */
crto_err_t crto_jw_raw(crto_jw_t *w, const char *s, size_t len);

/* Append a NUL-terminated raw string. */
crto_err_t crto_jw_lit(crto_jw_t *w, const char *s);

/* Append s[len] as a quoted JSON string, escaping '"', '\\' and controls
 * (U+0000..U+001F as \uXXXX or the short forms). Bytes >= 0x80 are copied
 * as they are; the caller guarantees UTF-8. */
crto_err_t crto_jw_str(crto_jw_t *w, const char *s, size_t len);

/* Append a signed 64-bit integer in decimal. */
crto_err_t crto_jw_int(crto_jw_t *w, int64_t v);

/* Flush what waits in the window (streaming mode; a no-op otherwise).
 * Returns the sticky error. */
crto_err_t crto_jw_finish(crto_jw_t *w);

/* Bytes crto_jw_str would emit for s[len], quotes included. */
size_t crto_json_str_len(const char *s, size_t len);

/* ------------------------------------------------------------------ reader */

#define CRTO_JSON_NONE (-1)

typedef struct {
    const char *js; /* borrowed text; must outlive the doc's use */
    size_t len;
    int ntok; /* tokens parsed                             */
    /* jsmntok_t[CRTO_JSON_TOKENS] (5 ints each with parent links); kept
     * opaque so this header does not pull jsmn into the caller's build. */
    int32_t tokmem[CRTO_JSON_TOKENS * 5];
} crto_jdoc_t;

typedef enum {
    CRTO_JTYPE_INVALID = 0,
    CRTO_JTYPE_OBJECT,
    CRTO_JTYPE_ARRAY,
    CRTO_JTYPE_STRING,
    CRTO_JTYPE_PRIMITIVE /* number, true, false, null */
} crto_jtype_t;

/* Parse js[len] (one complete JSON value; only len bytes are read, no NUL
 * needed). Token 0 is the root; a bare number, literal or string is a
 * valid root. The whole grammar is checked (jsmn alone is lax): separators,
 * brackets, number and literal spelling, no raw control bytes in strings,
 * nothing but whitespace after the value. UTF-8 is not checked.
 * Errors: CRTO_ERR_JSON (malformed or truncated), CRTO_ERR_TOO_LARGE (more
 * than CRTO_JSON_TOKENS tokens; diag->need holds the count needed; or len
 * over INT_MAX). On error ntok is 0. */
crto_err_t crto_jdoc_parse(crto_jdoc_t *doc, const char *js, size_t len, crto_diag_t *diag);

/* Type of token t, CRTO_JTYPE_INVALID if t is out of range. */
crto_jtype_t crto_jdoc_type(const crto_jdoc_t *doc, int t);

/* Raw text of token t (strings without their quotes, still escaped). */
const char *crto_jdoc_text(const crto_jdoc_t *doc, int t, size_t *len);

/* True when token t is the literal null. */
bool crto_jdoc_is_null(const crto_jdoc_t *doc, int t);

/* Token of the value of member `key` of object token obj, or
 * CRTO_JSON_NONE. Names are compared after unescaping ("a\u0062" is "ab");
 * with duplicate names the first wins. */
int crto_jdoc_member(const crto_jdoc_t *doc, int obj, const char *key);

/* Number of children of an array or object token (members for objects);
 * 0 for any other token. */
int crto_jdoc_count(const crto_jdoc_t *doc, int t);

/* Token of element i of array token arr, or CRTO_JSON_NONE. */
int crto_jdoc_index(const crto_jdoc_t *doc, int arr, int i);

/* Token that follows t and everything nested in it (for iteration), or
 * CRTO_JSON_NONE when nothing follows. A member name's value is nested in
 * it, so next(name) is the next member name:
 *   for (i = 0, k = obj + 1; i < crto_jdoc_count(doc, obj); i++, k = crto_jdoc_next(doc, k))
 *       name k, value k + 1 */
int crto_jdoc_next(const crto_jdoc_t *doc, int t);

/* Unescape string token t into out[cap] with a terminating NUL; *out_len
 * gets the length without the NUL (may be NULL). \uXXXX (and surrogate
 * pairs) become UTF-8; \u0000 becomes a NUL byte counted in *out_len.
 * Errors: CRTO_ERR_JSON (not a string, bad escape, lone surrogate),
 * CRTO_ERR_TOO_LARGE (diag->need = bytes including NUL; out may be NULL
 * with cap 0 to measure). On error out holds "" (when cap > 0). */
crto_err_t crto_jdoc_str(const crto_jdoc_t *doc, int t, char *out, size_t cap, size_t *out_len, crto_diag_t *diag);

/* Parse integer token t as int64 without going through double. A number
 * written with a fraction or exponent, or out of range, is CRTO_ERR_JSON.
 * A string of digits ("123") is accepted too (ids are sent as strings). */
crto_err_t crto_jdoc_int(const crto_jdoc_t *doc, int t, int64_t *out);

/* The same on a bare text (used by header parsing too): an optional '-'
 * and 1+ decimal digits, nothing else (no '+', no spaces; leading zeros are
 * accepted here, while the JSON grammar refuses them in numbers). *out is
 * left untouched on error. */
crto_err_t crto_parse_int64(const char *s, size_t len, int64_t *out);

/* ---------------------------------------------------------------- splitter */

/* One element cut out of the stream.
 *   key/key_len: the top-level member it belongs to ("data", "errors", ...)
 *                as written in the JSON (escapes not decoded), NUL-terminated,
 *                cut to sizeof(crto_jsplit_t.key) - 1 = 31 bytes
 *   index:       its index in that member's array, or -1 when the member's
 *                value is not an array (the whole value is the element)
 *   json/len:    the element's text, valid only during the call
 * Return CRTO_OK to go on; anything else stops the splitter. */
typedef crto_err_t (*crto_jsplit_fn)(void *arg, const char *key, size_t key_len, int32_t index, const char *json,
                                     size_t len);

typedef struct {
    crto_jsplit_fn on_element;
    void *arg;
    crto_diag_t *diag; /* where errors are explained; may be NULL */
    /* scanner state (private) */
    crto_err_t err; /* first error; sticky */
    uint8_t state;
    uint8_t in_str, esc;
    uint8_t depth;                      /* open brackets, the root '{' included */
    uint8_t base;                       /* depth at which the current element started */
    uint8_t in_array;                   /* the current member's value is an array */
    uint8_t overflow;                   /* the current element outgrew win */
    uint8_t stack[CRTO_JSON_MAX_DEPTH]; /* closing byte expected at each depth */
    int32_t index;
    size_t pos;    /* bytes fed before the current crto_jsplit_feed */
    size_t el_len; /* bytes of the current element (even past the window) */
    size_t key_len;
    char key[32]; /* member name as written (escapes kept), truncated to 31 */
    char win[CRTO_JSON_WINDOW];
} crto_jsplit_t;

/* Start a splitter; it expects the text of one JSON object. Whitespace
 * around the object and its structure is skipped; whitespace inside an
 * element is kept in its text. Only the top level (object, names, ':', ',',
 * the member arrays) is checked here; elements are checked when they are
 * parsed (crto_jdoc_parse). */
void crto_jsplit_init(crto_jsplit_t *s, crto_jsplit_fn on_element, void *arg, crto_diag_t *diag);

/* Feed the next len bytes of the stream (any split, even mid-token).
 * Errors: CRTO_ERR_JSON (not an object, bad nesting, nesting deeper than
 * CRTO_JSON_MAX_DEPTH counting the root, a missing ':' or ',', bytes after
 * the end), CRTO_ERR_TOO_LARGE (an element larger than CRTO_JSON_WINDOW;
 * diag->need holds its full size, measured to its end, so it is reported
 * by the feed that reaches that end), or what on_element returned. Every
 * error is sticky: later feed and finish calls return it again. */
crto_err_t crto_jsplit_feed(crto_jsplit_t *s, const uint8_t *data, size_t len);

/* Declare the end of the stream. CRTO_ERR_JSON if the object is not closed
 * (a truncated body). */
crto_err_t crto_jsplit_finish(crto_jsplit_t *s);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_JSON_H */
