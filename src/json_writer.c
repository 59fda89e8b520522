/*
 * json_writer.c - a JSON emitter that streams through a caller window.
 *
 * Request bodies (50,000 identifiers of 64 hex characters) are far larger
 * than any buffer an embedded device can spare, so the writer never holds
 * more than one window: when it is full it goes to flush() and is reused.
 * The same code also runs in counting mode (no window, no flush) so the
 * Content-Length is computed by the very code that later produces the body.
 *
 * Modes, chosen by crto_jw_init:
 *   buf == NULL, flush == NULL   counting: only `total` advances
 *   buf != NULL, flush != NULL   streaming: full windows go to flush
 *   buf != NULL, flush == NULL   fixed: the text must fit in buf[cap]
 *
 * The window is flushed lazily (only when more bytes need room), so a text
 * of exactly cap bytes fits in fixed mode, and in streaming mode the last
 * window, full or not, is handed over by crto_jw_finish.
 */
#include <string.h>

#include "crto/crto_json.h"

/* What follows the backslash for each byte that JSON forbids raw in a
 * string; 0 for bytes copied as they are (0x7F and bytes >= 0x80 included:
 * the caller guarantees UTF-8 and JSON allows them). */
static const uint8_t k_escape[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',  [0x06] = 'u',
    [0x07] = 'u', [0x08] = 'b', [0x09] = 't', [0x0A] = 'n', [0x0B] = 'u', [0x0C] = 'f',  [0x0D] = 'r',
    [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',  [0x14] = 'u',
    [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1A] = 'u',  [0x1B] = 'u',
    [0x1C] = 'u', [0x1D] = 'u', [0x1E] = 'u', [0x1F] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

static const char k_hex[16] = "0123456789abcdef";

void crto_jw_init(crto_jw_t *w, uint8_t *buf, size_t cap, crto_jw_flush_fn flush, void *arg)
{
    if (w == NULL) {
        return;
    }
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->total = 0;
    w->flush = flush;
    w->arg = arg;
    w->err = CRTO_OK;
    /* A flush without a window, or a window of nothing, could never make
     * progress: refuse up front rather than loop or fail at random later. */
    if ((buf == NULL && flush != NULL) || (buf != NULL && cap == 0)) {
        w->err = CRTO_ERR_ARG;
    }
}

/* Hand the waiting bytes to flush; a failure becomes the sticky error. */
static crto_err_t jw_drain(crto_jw_t *w)
{
    crto_err_t err = w->flush(w->arg, w->buf, w->len);
    if (err != CRTO_OK) {
        w->err = err;
        return err;
    }
    w->len = 0;
    return CRTO_OK;
}

/* Append n bytes: every public function ends up here, with runs as long as
 * possible so the copy is one memcpy per window. */
static crto_err_t jw_put(crto_jw_t *w, const void *src, size_t n)
{
    const uint8_t *p = src;

    if (w->err != CRTO_OK || n == 0) {
        /* n == 0 also keeps a NULL src away from memcpy. */
        return w->err;
    }
    if (w->buf == NULL) {
        w->total += n;
        return CRTO_OK;
    }
    if (w->flush == NULL) {
        /* Fixed mode: all or nothing, so buf never holds half a token. */
        if (n > w->cap - w->len) {
            w->err = CRTO_ERR_TOO_LARGE;
            return w->err;
        }
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        w->total += n;
        return CRTO_OK;
    }
    while (n > 0) {
        size_t room = w->cap - w->len;
        size_t k;
        if (room == 0) {
            if (jw_drain(w) != CRTO_OK) {
                return w->err;
            }
            room = w->cap;
        }
        k = n < room ? n : room;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        w->total += k;
        p += k;
        n -= k;
    }
    return CRTO_OK;
}

/* NULL text with a length is a caller bug: make it the sticky error. */
static bool bad_text(crto_jw_t *w, const char *s, size_t len)
{
    if (s == NULL && len != 0) {
        if (w->err == CRTO_OK) {
            w->err = CRTO_ERR_ARG;
        }
        return true;
    }
    return false;
}

crto_err_t crto_jw_raw(crto_jw_t *w, const char *s, size_t len)
{
    if (w == NULL || bad_text(w, s, len)) {
        return w == NULL ? CRTO_ERR_ARG : w->err;
    }
    return jw_put(w, s, len);
}

crto_err_t crto_jw_lit(crto_jw_t *w, const char *s)
{
    if (w == NULL) {
        return CRTO_ERR_ARG;
    }
    if (s == NULL) {
        if (w->err == CRTO_OK) {
            w->err = CRTO_ERR_ARG;
        }
        return w->err;
    }
    return jw_put(w, s, strlen(s));
}

/* Write the escape sequence of byte c (k_escape[c] != 0) into out. */
static size_t jw_escape_seq(uint8_t c, char out[6])
{
    uint8_t e = k_escape[c];
    out[0] = '\\';
    if (e != 'u') {
        out[1] = (char)e;
        return 2;
    }
    out[1] = 'u';
    out[2] = '0';
    out[3] = '0';
    out[4] = k_hex[c >> 4];
    out[5] = k_hex[c & 0x0F];
    return 6;
}

crto_err_t crto_jw_str(crto_jw_t *w, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    if (w == NULL || bad_text(w, s, len)) {
        return w == NULL ? CRTO_ERR_ARG : w->err;
    }
    (void)jw_put(w, "\"", 1);
    while (i < len) {
        size_t start = i;
        /* The hot loop: a table lookup per byte, then one copy per run.
         * A hex id is a single run. */
        while (i < len && k_escape[p[i]] == 0) {
            i++;
        }
        if (i > start) {
            (void)jw_put(w, p + start, i - start);
        }
        if (i < len) {
            char seq[6];
            size_t n = jw_escape_seq(p[i], seq);
            (void)jw_put(w, seq, n);
            i++;
        }
    }
    return jw_put(w, "\"", 1);
}

size_t crto_json_str_len(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = 2; /* the quotes */
    size_t i;

    if (s == NULL) {
        return n;
    }
    for (i = 0; i < len; i++) {
        uint8_t e = k_escape[p[i]];
        n += e == 0 ? 1u : (e == 'u' ? 6u : 2u);
    }
    return n;
}

crto_err_t crto_jw_int(crto_jw_t *w, int64_t v)
{
    /* 20 characters: "-9223372036854775808" is the longest. */
    char tmp[20];
    char *p = tmp + sizeof tmp;
    /* The magnitude in unsigned arithmetic: -INT64_MIN overflows int64_t
     * but 0 - (uint64_t)INT64_MIN is exactly 2^63. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    if (w == NULL) {
        return CRTO_ERR_ARG;
    }
    do {
        *--p = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    return jw_put(w, p, (size_t)(tmp + sizeof tmp - p));
}

crto_err_t crto_jw_finish(crto_jw_t *w)
{
    if (w == NULL) {
        return CRTO_ERR_ARG;
    }
    if (w->err == CRTO_OK && w->flush != NULL && w->len > 0) {
        (void)jw_drain(w);
    }
    return w->err;
}
