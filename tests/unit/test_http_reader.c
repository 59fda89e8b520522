/*
 * test_http_reader.c - crto_http_reader_*: the push parser for HTTP/1.1
 * responses (status line, headers, Content-Length / chunked / close-
 * delimited bodies, limits and errors).
 *
 * Every response is fed the way the client feeds it: bytes arrive in pieces
 * into a fixed window, the reader consumes what it can, and the caller keeps
 * the unconsumed rest at the front of the window and appends the next piece
 * after it.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto_http.h"
#include "crto_test.h"

/* ------------------------------------------------------------- helpers */

#define WINDOW 512

/* Body bytes as the sink received them. */
typedef struct {
    uint8_t data[8192];
    size_t len;
    size_t calls;
    size_t fail_after; /* return CRTO_ERR_ABORTED once this many bytes arrived; 0: never */
} body_t;

static crto_err_t collect(void *arg, const uint8_t *data, size_t len)
{
    body_t *b = arg;
    b->calls++;
    if (len > sizeof b->data - b->len) {
        return CRTO_ERR_IO;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    if (b->fail_after != 0 && b->len >= b->fail_after) {
        return CRTO_ERR_ABORTED;
    }
    return CRTO_OK;
}

/* One parse of one response and everything it produced. */
typedef struct {
    crto_http_reader_t r;
    crto_http_response_t resp;
    crto_diag_t diag;
    body_t body;
    crto_err_t err;      /* the first error of feed (or of eof)          */
    bool eof_called;     /* the text ran out before the response ended    */
    size_t leftover;     /* bytes after the response the reader left      */
} run_t;

/* Parse text[len] arriving in pieces of k bytes through a WINDOW-byte
 * window. When the text runs out before the response is done and `closes`
 * is set, the connection closes: crto_http_reader_eof is called. */
static void parse_k(run_t *x, const char *text, size_t len, size_t k, uint64_t cap, bool head, bool closes)
{
    uint8_t win[WINDOW];
    size_t have = 0, off = 0;

    memset(x, 0, sizeof *x);
    crto_diag_clear(&x->diag);
    crto_http_reader_init(&x->r, &x->resp, cap, head, &x->diag);
    x->err = CRTO_OK;
    for (;;) {
        size_t n = len - off, used = 0;
        if (n > k) {
            n = k;
        }
        if (n > sizeof win - have) {
            n = sizeof win - have;
        }
        memcpy(win + have, text + off, n); /* append after what was kept */
        have += n;
        off += n;
        x->err = crto_http_reader_feed(&x->r, win, have, &used, collect, &x->body);
        CHECK(used <= have);
        memmove(win, win + used, have - used); /* keep the unconsumed rest */
        have -= used;
        if (x->err != CRTO_OK || crto_http_reader_done(&x->r)) {
            break;
        }
        if (used == 0 && have == sizeof win) {
            x->err = CRTO_ERR_TOO_LARGE; /* a line longer than the window, as the client reports it */
            break;
        }
        if (off == len) {
            if (closes) {
                x->eof_called = true;
                x->err = crto_http_reader_eof(&x->r);
            }
            break;
        }
    }
    x->leftover = have + (len - off);
}

static void parse(run_t *x, const char *text, size_t k)
{
    parse_k(x, text, strlen(text), k, 1u << 20, false, true);
}

static run_t g_a, g_b;

/* ---------------------------------------------------------- status line */

static void test_status_200_with_reason(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK(crto_http_reader_head_done(&g_a.r));
    CHECK_EQ_INT(g_a.resp.status, 200);
    CHECK_EQ_INT(g_a.resp.version_minor, 1);
    CHECK_EQ_INT(g_a.resp.content_length, 0);
    CHECK(!g_a.resp.close);
    CHECK(!g_a.resp.chunked);
    CHECK(!g_a.resp.json);
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);
    CHECK_EQ_INT(g_a.resp.rl_limit, -1);
    CHECK_EQ_INT(g_a.resp.rl_remaining, -1);
    CHECK_EQ_INT(g_a.resp.rl_reset, -1);
    CHECK_EQ_INT(g_a.resp.body_bytes, 0);
    CHECK_EQ_INT(g_a.body.len, 0);
    CHECK(!g_a.eof_called);
}

static void test_status_without_reason(void)
{
    parse(&g_a, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.status, 200);

    /* an empty reason after the space is the same */
    parse(&g_a, "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.status, 404);

    /* a bare LF ends a line as well as CRLF */
    parse(&g_a, "HTTP/1.1 201 Created\nContent-Length: 0\n\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.status, 201);
    CHECK(crto_http_reader_done(&g_a.r));
}

static void test_status_http10_closes(void)
{
    parse(&g_a, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.version_minor, 0);
    CHECK(g_a.resp.close);
    CHECK_EQ_INT(g_a.body.len, 2);

    /* ... unless it says keep-alive */
    parse(&g_a, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(!g_a.resp.close);
}

static void test_status_garbage_is_framing(void)
{
    static const char *const bad[] = {
        "<html>hello</html>\r\n",    "HTTP/2 200 OK\r\n",        "HTTP/1.2 200 OK\r\n",
        "HTTP/1.1 20 OK\r\n",        "HTTP/1.1 2000\r\n",        "HTTP/1.1 200OK\r\n",
        "HTTP/1.1 099 Low\r\n",      "HTTP/1.1 600 High\r\n",    "HTTP/1.1 -20 Neg\r\n",
        "http/1.1 200 OK\r\n",       "HTTP/1.1  200 OK\r\n",     "\r\n",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse(&g_a, bad[i], 4096);
        if (g_a.err != CRTO_ERR_FRAMING) {
            printf("  status line #%zu: %s\n", i, bad[i]);
        }
        CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
        CHECK_EQ_INT(g_a.diag.err, CRTO_ERR_FRAMING);
        CHECK_EQ_STR(g_a.diag.msg, "malformed HTTP status line (not \"HTTP/1.x NNN ...\")");
        CHECK(!crto_http_reader_head_done(&g_a.r));
    }
}

/* ------------------------------------------------------------- headers */

static void test_headers_case_insensitive(void)
{
    parse(&g_a,
          "HTTP/1.1 429 Too Many Requests\r\n"
          "CONTENT-LENGTH: 3\r\n"
          "content-type: Application/JSON\r\n"
          "rEtRy-AfTeR:   5  \r\n"
          "X-RateLimit-Limit: 250\r\n"
          "X-RATELIMIT-REMAINING: 0\r\n"
          "x-ratelimit-reset: 1767225600\r\n"
          "CONNECTION: CLOSE\r\n"
          "X-Unknown-Header: whatever: with colons\r\n"
          "\r\n"
          "{ }",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.status, 429);
    CHECK_EQ_INT(g_a.resp.content_length, 3);
    CHECK(g_a.resp.json);
    CHECK_EQ_INT(g_a.resp.retry_after_s, 5);
    CHECK_EQ_INT(g_a.resp.rl_limit, 250);
    CHECK_EQ_INT(g_a.resp.rl_remaining, 0);
    CHECK_EQ_INT(g_a.resp.rl_reset, 1767225600);
    CHECK(g_a.resp.close);
    CHECK_EQ_INT(g_a.body.len, 3);
    CHECK_MEM(g_a.body.data, "{ }", 3);
}

static void test_header_without_colon_is_framing(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "malformed HTTP header line");

    /* an empty name, and an obsolete folded continuation line, are no better */
    parse(&g_a, "HTTP/1.1 200 OK\r\n: value\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    parse(&g_a, "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded: 2\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "malformed HTTP header line");

    /* white space between the name and the colon is refused (RFC 9112 5.1) */
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "white space before ':' in an HTTP header");
}

static void test_header_retry_after_forms(void)
{
    parse(&g_a, "HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.retry_after_s, 120);

    /* the HTTP-date form is legal but not used: crto falls back to backoff */
    parse(&g_a, "HTTP/1.1 503 Busy\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);

    /* nor is a negative or fractional number an error */
    parse(&g_a, "HTTP/1.1 503 Busy\r\nRetry-After: -3\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);
    parse(&g_a, "HTTP/1.1 503 Busy\r\nRetry-After: 1.5\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);
}

static void test_header_ratelimit_malformed_is_framing(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nx-ratelimit-remaining: many\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "malformed x-ratelimit-remaining header");
}

/* Content-Length is 1*DIGIT: a sign, even on zero, is malformed framing. */
static void test_content_length_with_a_sign_is_framing(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: -0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "malformed Content-Length header");
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
}

static void test_header_connection(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(g_a.resp.close);

    parse(&g_a, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(!g_a.resp.close);

    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK(!g_a.resp.close); /* HTTP/1.1 keeps the connection by default */
}

static void test_header_content_type_json(void)
{
    static const struct {
        const char *type;
        bool json;
    } cases[] = {
        {"application/json", true},
        {"application/json; charset=utf-8", true},
        {"application/problem+json", true},
        {"application/vnd.api+json", true},
        {"text/html; charset=utf-8", false},
        {"text/plain", false},
    };
    char text[256];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        (void)snprintf(text, sizeof text, "HTTP/1.1 400 Bad\r\nContent-Type: %s\r\nContent-Length: 0\r\n\r\n",
                       cases[i].type);
        parse(&g_a, text, 4096);
        CHECK_EQ_INT(g_a.err, CRTO_OK);
        if (g_a.resp.json != cases[i].json) {
            printf("  Content-Type: %s\n", cases[i].type);
        }
        CHECK(g_a.resp.json == cases[i].json);
    }
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4096);
    CHECK(!g_a.resp.json); /* no Content-Type: not JSON */
}

/* Builds a response head with `n` header lines, Content-Length: 0 among them. */
static size_t many_headers(char *out, size_t cap, unsigned n)
{
    size_t len = (size_t)snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    unsigned i;
    for (i = 1; i < n; i++) {
        len += (size_t)snprintf(out + len, cap - len, "X-H%u: %u\r\n", i, i);
    }
    len += (size_t)snprintf(out + len, cap - len, "\r\n");
    return len;
}

static void test_header_line_limit(void)
{
    static char text[4096];
    size_t len = many_headers(text, sizeof text, 100);
    parse_k(&g_a, text, len, 4096, 1u << 20, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));

    len = many_headers(text, sizeof text, 101);
    parse_k(&g_a, text, len, 4096, 1u << 20, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_STR(g_a.diag.msg, "more than 100 header lines");
}

static void test_partial_line_is_not_consumed(void)
{
    /* a header line that has not ended yet stays with the caller */
    static const char part[] = "HTTP/1.1 200 OK\r\nContent-Le";
    crto_http_reader_t r;
    crto_http_response_t resp;
    crto_diag_t diag;
    size_t used = 99;
    crto_diag_clear(&diag);
    crto_http_reader_init(&r, &resp, 1024, false, &diag);
    CHECK_EQ_INT(crto_http_reader_feed(&r, (const uint8_t *)part, sizeof part - 1, &used, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(used, strlen("HTTP/1.1 200 OK\r\n"));
    CHECK_EQ_INT(resp.status, 200);
    CHECK(!crto_http_reader_head_done(&r));

    /* nothing at all is consumed when not even the status line has ended */
    crto_http_reader_init(&r, &resp, 1024, false, &diag);
    used = 99;
    CHECK_EQ_INT(crto_http_reader_feed(&r, (const uint8_t *)part, 8, &used, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(used, 0);
}

/* ------------------------------------------------------ Content-Length */

static void test_content_length_body(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                               "{\"data\":[{\"id\":\"12345\"}]}\r\n";
    parse(&g_a, text, 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.resp.content_length, 27);
    CHECK_EQ_INT(g_a.resp.body_bytes, 27);
    CHECK_EQ_INT(g_a.body.len, 27);
    CHECK_MEM(g_a.body.data, "{\"data\":[{\"id\":\"12345\"}]}\r\n", 27);
    CHECK_EQ_INT(g_a.body.calls, 1);
    CHECK_EQ_INT(g_a.leftover, 0);
}

static void test_bytes_after_the_body_are_left(void)
{
    /* the next response on a kept-alive connection is not eaten */
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n";
    crto_http_reader_t r;
    crto_http_response_t resp;
    crto_diag_t diag;
    size_t used = 0;
    crto_diag_clear(&diag);
    crto_http_reader_init(&r, &resp, 1024, false, &diag);
    memset(&g_a.body, 0, sizeof g_a.body);
    CHECK_EQ_INT(crto_http_reader_feed(&r, (const uint8_t *)text, sizeof text - 1, &used, collect, &g_a.body),
                 CRTO_OK);
    CHECK(crto_http_reader_done(&r));
    CHECK_EQ_INT(used, strlen("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
    CHECK_EQ_INT(g_a.body.len, 5);
    CHECK_MEM(g_a.body.data, "hello", 5);

    /* feeding a done reader consumes nothing */
    CHECK_EQ_INT(crto_http_reader_feed(&r, (const uint8_t *)text + used, sizeof text - 1 - used, &used, collect,
                                       &g_a.body),
                 CRTO_OK);
    CHECK_EQ_INT(used, 0);
}

static void test_content_length_twice(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.content_length, 5);
    CHECK_EQ_INT(g_a.body.len, 5);

    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 17\r\n\r\nhello", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_INT(g_a.diag.err, CRTO_ERR_FRAMING);
    CHECK(strstr(g_a.diag.msg, "5") != NULL);
    CHECK(strstr(g_a.diag.msg, "17") != NULL);
    CHECK_EQ_STR(g_a.diag.msg, "two different Content-Length headers (5 and 17)");
    CHECK_EQ_INT(g_a.body.len, 0);
}

static void test_content_length_malformed(void)
{
    static const char *const bad[] = {"abc", "-1", "+5", "5 5", "", "99999999999999999999"};
    char text[128];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        (void)snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n", bad[i]);
        parse(&g_a, text, 4096);
        CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
        CHECK_EQ_STR(g_a.diag.msg, "malformed Content-Length header");
    }
}

static void test_content_length_truncated(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd", 4096);
    CHECK(g_a.eof_called);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    CHECK_EQ_INT(g_a.diag.err, CRTO_ERR_CLOSED);
    CHECK_EQ_STR(g_a.diag.msg, "connection closed with 6 of 10 body bytes missing");
    CHECK(!crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.body.len, 4);
    CHECK_EQ_INT(g_a.resp.body_bytes, 4);
}

static void test_eof_before_and_inside_the_head(void)
{
    parse(&g_a, "", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    CHECK_EQ_STR(g_a.diag.msg, "connection closed before any response");

    parse(&g_a, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    CHECK_EQ_STR(g_a.diag.msg, "connection closed inside the response headers");

    parse(&g_a, "HTTP/1.1 100 Continue\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    CHECK_EQ_STR(g_a.diag.msg, "connection closed after an interim response");
}

/* ------------------------------------------------------ close-delimited */

static void test_body_until_close(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[1,2,3]";
    parse(&g_a, text, 4096);
    CHECK(g_a.eof_called);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK(g_a.resp.close); /* no length: the close ends the body, the connection cannot be kept */
    CHECK_EQ_INT(g_a.resp.content_length, -1);
    CHECK_EQ_INT(g_a.body.len, 7);
    CHECK_MEM(g_a.body.data, "[1,2,3]", 7);

    /* and an empty body delimited by the close */
    parse(&g_a, "HTTP/1.0 500 Oops\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.body.len, 0);
}

/* -------------------------------------------------------------- chunked */

static const char k_chunked[] = "HTTP/1.1 200 OK\r\n"
                                "Content-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "\r\n"
                                "1A;name=value;other=\"quoted\"\r\n"
                                "abcdefghijklmnopqrstuvwxyz\r\n"
                                "1a\r\n"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
                                "c ; spaced-ext\r\n"
                                "0123456789\r\n\r\n"
                                "0;last\r\n"
                                "X-Checksum: abc\r\n"
                                "Retry-After: 99\r\n"
                                "\r\n";

static void test_chunked_body(void)
{
    parse(&g_a, k_chunked, 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK(!g_a.eof_called);
    CHECK(g_a.resp.chunked);
    CHECK(!g_a.resp.close);
    CHECK(g_a.resp.json);
    CHECK_EQ_INT(g_a.resp.content_length, -1);
    CHECK_EQ_INT(g_a.resp.body_bytes, 64);
    CHECK_EQ_INT(g_a.body.len, 64);
    CHECK_MEM(g_a.body.data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n", 64);
    CHECK_EQ_INT(g_a.leftover, 0);
    /* trailers are read past, not applied to the head */
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);
}

static void test_chunked_transfer_encoding_list(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(g_a.resp.chunked);
    CHECK_EQ_INT(g_a.body.len, 2);

    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "unsupported Transfer-Encoding");
}

static void test_chunked_invalid_size(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "invalid chunk size in a chunked body");

    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);

    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "empty chunk size in a chunked body");

    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "chunk size overflows");
}

static void test_chunked_data_longer_than_size(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    CHECK_EQ_STR(g_a.diag.msg, "chunk data longer than its size");
    CHECK_EQ_INT(g_a.body.len, 3); /* what the size announced was delivered */
}

static void test_chunked_truncated(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-8-b", 4096);
    CHECK(g_a.eof_called);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    CHECK_EQ_STR(g_a.diag.msg, "connection closed inside a chunked body (truncated)");
    CHECK_EQ_INT(g_a.body.len, 8);

    /* missing the last chunk is a truncation too */
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
    /* and so is missing the blank line after the trailers */
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_CLOSED);
}

static void test_chunked_wins_over_content_length(void)
{
    parse(&g_a,
          "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n0\r\n\r\n",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK(g_a.resp.chunked);
    CHECK(g_a.resp.close); /* a peer sending both is not trusted with another request */
    CHECK_EQ_INT(g_a.body.len, 5);
    CHECK_MEM(g_a.body.data, "hello", 5);
}

/* --------------------------------------------------- responses without body */

static void test_204_and_304_have_no_body(void)
{
    parse(&g_a, "HTTP/1.1 204 No Content\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK(!g_a.eof_called);
    CHECK(!g_a.resp.close);
    CHECK_EQ_INT(g_a.body.len, 0);

    parse(&g_a, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.body.len, 0);
}

static void test_head_has_no_body(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    parse_k(&g_a, text, strlen(text), 4096, 1u << 20, true, false);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.resp.content_length, 1234);
    CHECK_EQ_INT(g_a.resp.body_bytes, 0);
    CHECK_EQ_INT(g_a.body.len, 0);
}

static void test_100_continue_then_200(void)
{
    parse(&g_a,
          "HTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.resp.status, 200);
    CHECK_EQ_INT(g_a.body.len, 2);
    CHECK_MEM(g_a.body.data, "ok", 2);
    CHECK_EQ_INT(g_a.leftover, 0);

    /* two interim responses, one with headers, then the real one */
    parse(&g_a,
          "HTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
          "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(crto_http_reader_done(&g_a.r));
    CHECK_EQ_INT(g_a.resp.status, 201);
}

/* ----------------------------------------------------------------- limits */

static void test_body_over_cap(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    parse_k(&g_a, text, strlen(text), 4096, 5, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_a.diag.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_a.diag.need, 10);
    CHECK_EQ_STR(g_a.diag.msg, "response body of 10 bytes is larger than its cap of 5 bytes");
    CHECK_EQ_INT(g_a.body.len, 0); /* refused at the head: nothing reaches the sink */
    /* the same however the bytes arrive */
    parse_k(&g_b, text, strlen(text), 1, 5, false, true);
    CHECK_EQ_INT(g_b.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_b.diag.need, 10);

    /* exactly the cap is fine */
    parse_k(&g_a, text, strlen(text), 4096, 10, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.body.len, 10);

    /* chunked: the second chunk crosses a cap of 7 */
    static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
    parse_k(&g_a, chunked, strlen(chunked), 4096, 7, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_a.diag.need, 10);
    CHECK_EQ_STR(g_a.diag.msg, "response body is larger than its cap of 7 bytes");
    CHECK_EQ_INT(g_a.body.len, 5);
    CHECK_MEM(g_a.body.data, "hello", 5);
    CHECK_EQ_INT(g_a.resp.body_bytes, 5); /* what reached the sink, not the refused chunk */

    /* close-delimited */
    static const char until_close[] = "HTTP/1.1 200 OK\r\n\r\n0123456789";
    parse_k(&g_a, until_close, strlen(until_close), 4096, 9, false, true);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_a.diag.need, 10);
}

static void test_sink_error_stops_the_feed(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "4\r\nabcd\r\n4\r\nefgh\r\n4\r\nijkl\r\n0\r\n\r\n";
    memset(&g_a, 0, sizeof g_a);
    crto_diag_clear(&g_a.diag);
    crto_http_reader_init(&g_a.r, &g_a.resp, 1024, false, &g_a.diag);
    g_a.body.fail_after = 8;
    {
        size_t used = 0;
        crto_err_t e = crto_http_reader_feed(&g_a.r, (const uint8_t *)text, sizeof text - 1, &used, collect,
                                             &g_a.body);
        CHECK_EQ_INT(e, CRTO_ERR_ABORTED);
        CHECK_EQ_INT(g_a.body.calls, 2); /* "abcd", then "efgh" which the sink refused */
        CHECK_EQ_INT(g_a.body.len, 8);
        CHECK(!crto_http_reader_done(&g_a.r));
        /* the bytes up to the refused chunk were consumed, the rest were not */
        CHECK_EQ_INT(used, strstr(text, "\r\n4\r\nijkl") - text);
    }
}

static void test_discard_sink(void)
{
    /* sink NULL: the body is framed and counted but goes nowhere */
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    crto_http_reader_t r;
    crto_http_response_t resp;
    size_t used = 0;
    crto_http_reader_init(&r, &resp, 1024, false, NULL);
    CHECK_EQ_INT(crto_http_reader_feed(&r, (const uint8_t *)text, sizeof text - 1, &used, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(used, sizeof text - 1);
    CHECK(crto_http_reader_done(&r));
    CHECK_EQ_INT(resp.body_bytes, 5);
}

/* -------------------------------------------- piece size does not matter */

static void test_interim_headers_do_not_leak(void)
{
    parse(&g_a, "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\nRetry-After: 9\r\n\r\n"
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
          4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK_EQ_INT(g_a.resp.status, 200);
    CHECK_EQ_INT(g_a.resp.content_length, 2);
    CHECK_EQ_INT(g_a.resp.retry_after_s, -1);
    CHECK_EQ_INT(g_a.body.len, 2);
}

static void test_chunked_is_a_whole_token(void)
{
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_ERR_FRAMING);
    parse(&g_a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,chunked\r\n\r\n0\r\n\r\n", 4096);
    CHECK_EQ_INT(g_a.err, CRTO_OK);
    CHECK(g_a.resp.chunked);
}

static void check_same(const run_t *a, const run_t *b, size_t k)
{
    bool same = a->err == b->err && a->resp.status == b->resp.status &&
                a->resp.version_minor == b->resp.version_minor &&
                a->resp.content_length == b->resp.content_length && a->resp.chunked == b->resp.chunked &&
                a->resp.close == b->resp.close && a->resp.json == b->resp.json &&
                a->resp.retry_after_s == b->resp.retry_after_s && a->resp.rl_limit == b->resp.rl_limit &&
                a->resp.rl_remaining == b->resp.rl_remaining && a->resp.rl_reset == b->resp.rl_reset &&
                a->resp.body_bytes == b->resp.body_bytes && a->body.len == b->body.len &&
                memcmp(a->body.data, b->body.data, a->body.len) == 0 &&
                crto_http_reader_done(&a->r) == crto_http_reader_done(&b->r) &&
                (a->err != CRTO_OK || a->leftover == b->leftover) && /* after an error the rest is moot */
                strcmp(a->diag.msg, b->diag.msg) == 0;
    if (!same) {
        printf("  pieces of %zu bytes differ from one piece: err %d/%d, body %zu/%zu, msg \"%s\"/\"%s\"\n", k,
               (int)b->err, (int)a->err, b->body.len, a->body.len, b->diag.msg, a->diag.msg);
    }
    CHECK(same);
}

static void test_any_piece_size_gives_the_same_result(void)
{
    static const char *const responses[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
        "x-ratelimit-limit: 250\r\nx-ratelimit-remaining: 249\r\nx-ratelimit-reset: 1767225600\r\n\r\n"
        "{\"data\":[{\"id\":\"12345\"}]}\r\n",
        k_chunked,
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Slow down\r\nRetry-After: 7\r\nContent-Type: "
        "application/problem+json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "b\r\n{\"errors\":[\r\n2;x=y\r\n]}\r\n0\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\nbody until the connection closes",
        "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nshort body, then the close",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabcdef\r\n0\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n",
    };
    size_t i, k;
    for (i = 0; i < sizeof responses / sizeof responses[0]; i++) {
        size_t len = strlen(responses[i]);
        parse_k(&g_a, responses[i], len, len, 1u << 20, false, true);
        for (k = 1; k <= len; k++) {
            parse_k(&g_b, responses[i], len, k, 1u << 20, false, true);
            check_same(&g_a, &g_b, k);
        }
    }
    /* and one byte at a time really delivers the body one byte at a time */
    parse(&g_b, k_chunked, 1);
    CHECK_EQ_INT(g_b.err, CRTO_OK);
    CHECK_EQ_INT(g_b.body.calls, 64);
    CHECK_MEM(g_b.body.data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n", 64);
}

int main(void)
{
    RUN(test_status_200_with_reason);
    RUN(test_status_without_reason);
    RUN(test_status_http10_closes);
    RUN(test_status_garbage_is_framing);
    RUN(test_headers_case_insensitive);
    RUN(test_header_without_colon_is_framing);
    RUN(test_header_retry_after_forms);
    RUN(test_header_ratelimit_malformed_is_framing);
    RUN(test_content_length_with_a_sign_is_framing);
    RUN(test_header_connection);
    RUN(test_header_content_type_json);
    RUN(test_header_line_limit);
    RUN(test_partial_line_is_not_consumed);
    RUN(test_content_length_body);
    RUN(test_bytes_after_the_body_are_left);
    RUN(test_content_length_twice);
    RUN(test_content_length_malformed);
    RUN(test_content_length_truncated);
    RUN(test_eof_before_and_inside_the_head);
    RUN(test_body_until_close);
    RUN(test_chunked_body);
    RUN(test_chunked_transfer_encoding_list);
    RUN(test_chunked_invalid_size);
    RUN(test_chunked_data_longer_than_size);
    RUN(test_chunked_truncated);
    RUN(test_chunked_wins_over_content_length);
    RUN(test_204_and_304_have_no_body);
    RUN(test_head_has_no_body);
    RUN(test_100_continue_then_200);
    RUN(test_body_over_cap);
    RUN(test_interim_headers_do_not_leak);
    RUN(test_chunked_is_a_whole_token);
    RUN(test_sink_error_stops_the_feed);
    RUN(test_discard_sink);
    RUN(test_any_piece_size_gives_the_same_result);
    return crto_test_summary();
}
