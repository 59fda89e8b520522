/*
 * fuzz_http_reader.c - crto_http_reader_*: the HTTP/1.1 response push
 * parser (status line, headers and their limits, Content-Length, chunked
 * and close-delimited bodies, 1xx, Retry-After and x-ratelimit-*).
 *
 * Input: three control bytes, then the bytes the server sent.
 *   byte 0  bits 0-2  piece class (fuzz_common.h)
 *           bit  3    the request was HEAD
 *           bits 4-5  body cap: 0, 64, 4096 or CRTO_BODY_CAP bytes
 *           bit  6    the sink refuses (CRTO_ERR_ABORTED) once it holds
 *                     byte 2 * 8 + 1 bytes
 *           bit  7    the connection closes when the bytes run out
 *                     (crto_http_reader_eof)
 *   byte 1  seed of the piece sizes
 *   byte 2  bits 0-1  window: 64, 256, CRTO_HTTP_RX_WINDOW or 8192 bytes
 *
 * The response is parsed twice: run B the way the client reads it (pieces
 * appended to a fixed window, the unconsumed rest kept at its front), run A
 * in one feed of everything. Checked:
 *   - *used <= the bytes fed; a feed that returns CRTO_OK before the end of
 *     the response leaves only the start of a line (no LF) unconsumed, so
 *     the caller's "used == 0 and the window is full" really means a line
 *     too long; after the end, a feed consumes nothing;
 *   - the sink never gets more than the cap, nor more than Content-Length
 *     (and exactly Content-Length once done); nothing for HEAD, 204, 304;
 *     resp.body_bytes counts what it got (while there is no error: past
 *     the cap it also counts the piece that was refused);
 *   - a done response has a final status (200-599); the parsed numbers are
 *     -1 or >= 0; errors are the documented ones; eof is CRTO_OK exactly
 *     when the response is then done;
 *   - no progress loop: the driver is bounded and aborts past the bound;
 *   - run B ends exactly as run A (same error, same head, same body) unless
 *     a line did not fit B's window; past the cap or the sink's limit only
 *     the refusal itself must agree (which piece is refused depends on the
 *     pieces).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crto/crto_config.h"
#include "crto/crto_http.h"
#include "fuzz_common.h"

typedef struct {
    uint64_t got; /* bytes the sink accepted */
    uint64_t hash;
    uint64_t fail_at; /* refuse once this many are held (0: never) */
    bool failed;      /* the sink returned CRTO_ERR_ABORTED */
} sink_t;

static crto_err_t sink(void *arg, const uint8_t *data, size_t len)
{
    sink_t *s = arg;
    FUZZ_CHECK(!s->failed); /* no byte after the sink said stop */
    FUZZ_CHECK(data != NULL);
    s->got += len;
    s->hash = fuzz_hash(s->hash, data, len);
    if (s->fail_at != 0 && s->got >= s->fail_at) {
        s->failed = true;
        return CRTO_ERR_ABORTED;
    }
    return CRTO_OK;
}

typedef struct {
    crto_http_reader_t r;
    crto_http_response_t resp;
    crto_diag_t diag;
    sink_t sink;
    crto_err_t err;
    bool done;
    bool head_done;
    bool line_too_long; /* the window filled up with one unfinished line */
} run_t;

static bool documented_feed_error(crto_err_t e)
{
    return e == CRTO_OK || e == CRTO_ERR_FRAMING || e == CRTO_ERR_TOO_LARGE || e == CRTO_ERR_ABORTED;
}

/* The checks that hold after every feed (and at the end). */
static void check_state(const run_t *x, uint64_t cap, bool head)
{
    const crto_http_response_t *h = &x->resp;
    bool done = crto_http_reader_done(&x->r);
    bool head_done = crto_http_reader_head_done(&x->r);

    FUZZ_CHECK(x->sink.got <= cap);
    FUZZ_CHECK(h->content_length >= -1);
    FUZZ_CHECK(h->retry_after_s >= -1);
    FUZZ_CHECK(h->rl_limit >= -1 && h->rl_remaining >= -1 && h->rl_reset >= -1);
    FUZZ_CHECK(h->version_minor == 0 || h->version_minor == 1);
    if (head_done) {
        FUZZ_CHECK(h->status >= 100 && h->status <= 599);
    }
    if (done) {
        FUZZ_CHECK(head_done);
        FUZZ_CHECK(h->status >= 200 && h->status <= 599);
    }
    if (head) {
        FUZZ_CHECK(x->sink.got == 0); /* no body for a HEAD request */
    }
    if (!h->chunked && h->content_length >= 0) {
        FUZZ_CHECK(x->sink.got <= (uint64_t)h->content_length);
    }
    if (x->err == CRTO_OK) {
        FUZZ_CHECK(h->body_bytes == x->sink.got);
    }
    if (done && x->err == CRTO_OK) {
        if (head || h->status == 204 || h->status == 304) {
            FUZZ_CHECK(x->sink.got == 0);
        } else if (!h->chunked && h->content_length >= 0) {
            FUZZ_CHECK(x->sink.got == (uint64_t)h->content_length);
        }
    }
}

static void run(run_t *x, const uint8_t *text, size_t len, size_t window, fuzz_pieces_t *pieces, uint64_t cap,
                bool head, uint64_t fail_at, bool closes)
{
    uint8_t *win = malloc(window);
    size_t have = 0, off = 0, iterations = 0;
    const size_t bound = 2 * len + 8;

    FUZZ_CHECK(win != NULL);
    memset(x, 0, sizeof *x);
    crto_diag_clear(&x->diag);
    x->sink.hash = FUZZ_FNV_INIT;
    x->sink.fail_at = fail_at;
    crto_http_reader_init(&x->r, &x->resp, cap, head, &x->diag);
    FUZZ_CHECK(!crto_http_reader_done(&x->r) && !crto_http_reader_head_done(&x->r));
    for (;;) {
        size_t n = 0, used = 0;
        crto_err_t e;

        FUZZ_CHECK(++iterations <= bound); /* no progress loop */
        if (off < len && have < window) {
            n = fuzz_piece(pieces, len - off);
            if (n > window - have) {
                n = window - have;
            }
            memcpy(win + have, text + off, n);
            have += n;
            off += n;
        }
        e = crto_http_reader_feed(&x->r, win, have, &used, sink, &x->sink);
        FUZZ_CHECK(documented_feed_error(e));
        FUZZ_CHECK(used <= have);
        FUZZ_CHECK((e == CRTO_ERR_ABORTED) == x->sink.failed);
        x->err = e;
        check_state(x, cap, head);
        if (e != CRTO_OK) {
            break;
        }
        if (crto_http_reader_done(&x->r)) {
            size_t again = 1;
            /* what follows the response is the next one's: left alone */
            FUZZ_CHECK(crto_http_reader_feed(&x->r, win + used, have - used, &again, sink, &x->sink) == CRTO_OK);
            FUZZ_CHECK(again == 0);
            break;
        }
        /* Not done: the parser stopped only for want of a line end. */
        FUZZ_CHECK(memchr(win + used, '\n', have - used) == NULL);
        memmove(win, win + used, have - used);
        have -= used;
        if (used == 0 && n == 0) {
            if (have == window) {
                x->line_too_long = true; /* the client reports CRTO_ERR_TOO_LARGE */
                break;
            }
            /* the server's bytes ran out */
            if (closes) {
                e = crto_http_reader_eof(&x->r);
                FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_CLOSED);
                FUZZ_CHECK((e == CRTO_OK) == crto_http_reader_done(&x->r));
                x->err = e;
                check_state(x, cap, head);
            }
            break;
        }
    }
    x->done = crto_http_reader_done(&x->r);
    x->head_done = crto_http_reader_head_done(&x->r);
    free(win);
}

static bool same_head(const crto_http_response_t *a, const crto_http_response_t *b)
{
    return a->status == b->status && a->version_minor == b->version_minor && a->content_length == b->content_length &&
           a->chunked == b->chunked && a->close == b->close && a->json == b->json &&
           a->retry_after_s == b->retry_after_s && a->rl_limit == b->rl_limit && a->rl_remaining == b->rl_remaining &&
           a->rl_reset == b->rl_reset;
}

static run_t g_a, g_b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t caps[4] = { 0, 64, 4096, CRTO_BODY_CAP };
    static const size_t windows[4] = { 64, 256, CRTO_HTTP_RX_WINDOW, 8192 };
    fuzz_pieces_t pieces, whole;
    uint8_t *text;
    size_t len;
    uint64_t cap, fail_at;
    bool head, closes;

    if (size < 3) {
        return 0;
    }
    head = (data[0] & 0x08u) != 0;
    cap = caps[(data[0] >> 4) & 3u];
    fail_at = (data[0] & 0x40u) != 0 ? (uint64_t)data[2] * 8u + 1u : 0;
    closes = (data[0] & 0x80u) != 0;
    len = size - 3;
    text = (uint8_t *)fuzz_dup(data + 3, len);

    fuzz_pieces_init(&pieces, data[0], data[1]);
    run(&g_b, text, len, windows[data[2] & 3u], &pieces, cap, head, fail_at, closes);

    fuzz_pieces_init(&whole, 7, 0);
    run(&g_a, text, len, len + 1, &whole, cap, head, fail_at, closes); /* never full */
    FUZZ_CHECK(!g_a.line_too_long);

    if (!g_b.line_too_long) {
        if (g_a.err == CRTO_ERR_TOO_LARGE || g_a.err == CRTO_ERR_ABORTED) {
            /* the cap and the sink's limit race within one run of body
             * bytes: which one refuses first depends on the pieces */
            FUZZ_CHECK(g_b.err == CRTO_ERR_TOO_LARGE || g_b.err == CRTO_ERR_ABORTED);
        } else {
            FUZZ_CHECK(g_a.err == g_b.err);
        }
        if (g_a.err == CRTO_OK || g_a.err == CRTO_ERR_CLOSED || g_a.err == CRTO_ERR_FRAMING) {
            /* (after a refusal by the sink or the cap the parser may or
             * may not have stepped past the refused bytes) */
            FUZZ_CHECK(g_a.done == g_b.done);
        }
        FUZZ_CHECK(g_a.head_done == g_b.head_done);
        FUZZ_CHECK(same_head(&g_a.resp, &g_b.resp));
        /* Past the cap or the sink's limit, how much got through depends
         * on the pieces (the refused piece is delivered whole or not). */
        if (fail_at == 0 && g_a.err != CRTO_ERR_TOO_LARGE) {
            FUZZ_CHECK(g_a.sink.got == g_b.sink.got);
            FUZZ_CHECK(g_a.sink.hash == g_b.sink.hash);
        }
    }
    free(text);
    return 0;
}
