/*
 * crto_http.h - HTTP/1.1 without a heap: a request-head writer and a push
 * parser for responses.
 *
 * The response parser owns no buffer.  The caller feeds it whatever bytes it
 * has; it consumes whole header lines (so a line must fit the caller's
 * window) and passes body bytes, de-chunked, to a sink as they come.  This
 * makes it usable over any transport and directly fuzzable.
 */
#ifndef CRTO_HTTP_H
#define CRTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives body bytes in order. Return CRTO_OK to go on. */
typedef crto_err_t (*crto_http_sink_fn)(void *arg, const uint8_t *data, size_t len);

/* What crto keeps of a response head. Unknown headers are skipped. */
typedef struct {
    int status;             /* e.g. 200                                        */
    int version_minor;      /* HTTP/1.x                                        */
    int64_t content_length; /* -1 when absent                                  */
    bool chunked;           /* Transfer-Encoding: chunked                      */
    bool close;             /* the server will close after this response       */
    bool json;              /* Content-Type is application/json (or +json)     */
    int64_t retry_after_s;  /* Retry-After in seconds, -1 when absent          */
    int64_t rl_limit;       /* x-ratelimit-limit, -1 when absent               */
    int64_t rl_remaining;   /* x-ratelimit-remaining, -1 when absent           */
    int64_t rl_reset;       /* x-ratelimit-reset (Unix seconds), -1 when absent */
    uint64_t body_bytes;    /* body bytes delivered to the sink                */
} crto_http_response_t;

typedef struct {
    crto_http_response_t *resp;
    crto_diag_t *diag;
    uint64_t cap;       /* most body bytes accepted                        */
    uint64_t remaining; /* bytes left in the body or the current chunk     */
    uint32_t lines;     /* header lines seen (bounded)                     */
    uint8_t state;
    bool no_body;      /* response to HEAD, or 1xx/204/304                */
    bool interim_seen; /* a 1xx came before the final response            */
} crto_http_reader_t;

/* Start parsing a response into resp. body_cap bounds the body (larger is
 * CRTO_ERR_TOO_LARGE); head_request says the request was HEAD (no body).
 * resp and diag are borrowed until the response is done. */
void crto_http_reader_init(crto_http_reader_t *r, crto_http_response_t *resp, uint64_t body_cap, bool head_request,
                           crto_diag_t *diag);

/* Feed data[len]. *used gets the bytes consumed: the caller keeps the rest
 * and feeds it again with more after it. When *used is 0 and the caller's
 * window is full, the line does not fit: report CRTO_ERR_TOO_LARGE.
 * Body bytes go to sink(arg) (sink may be NULL to discard).
 * Errors: CRTO_ERR_FRAMING (malformed status line, header, chunk size,
 * conflicting Content-Length), CRTO_ERR_TOO_LARGE (body over the cap, too
 * many header lines), or what the sink returned. */
crto_err_t crto_http_reader_feed(crto_http_reader_t *r, const uint8_t *data, size_t len, size_t *used,
                                 crto_http_sink_fn sink, void *arg);

/* The connection ended. CRTO_OK when the body was delimited by the close;
 * CRTO_ERR_CLOSED when the response was cut short (diag says where). */
crto_err_t crto_http_reader_eof(crto_http_reader_t *r);

/* True once the whole response (head and body) has been parsed. */
bool crto_http_reader_done(const crto_http_reader_t *r);

/* True once the head (status and headers) has been parsed. */
bool crto_http_reader_head_done(const crto_http_reader_t *r);

/* Format a request head into buf[cap]; *len gets its length.
 *   host/port: the Host header (port omitted when it is the scheme default)
 *   bearer:    the access token, or NULL for no Authorization header
 *   content_type/content_length: for a body, else NULL and -1
 * Errors: CRTO_ERR_TOO_LARGE (diag->need = bytes needed),
 *         CRTO_ERR_ARG (CR or LF inside a field). */
crto_err_t crto_http_write_head(char *buf, size_t cap, size_t *len, const char *method, const char *host, uint16_t port,
                                bool tls, const char *path, const char *bearer, const char *content_type,
                                int64_t content_length, crto_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_HTTP_H */
