/*
 * crto_error.h - the one error enum of crto and the diagnostic that explains it.
 *
 * Every function returns a crto_err_t.  Where a caller needs more than the
 * code (which line, how many bytes were needed, which HTTP status), the
 * function fills a crto_diag_t the caller owns.
 */
#ifndef CRTO_ERROR_H
#define CRTO_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CRTO_OK = 0,
    CRTO_ERR_ARG,          /* an argument or option is invalid (names which)   */
    CRTO_ERR_INVALID_ID,   /* a segment/account id is not 1-20 decimal digits   */
    CRTO_ERR_IDENTIFIER,   /* an identifier is empty, not UTF-8, has controls   */
    CRTO_ERR_CONFIG,       /* missing port function, bad URL, http:// not loopback */
    CRTO_ERR_WOULD_BLOCK,  /* nothing moved yet; call again                     */
    CRTO_ERR_TIMEOUT,      /* a connect, I/O or request deadline passed         */
    CRTO_ERR_CONNECT,      /* the TCP connection could not be made              */
    CRTO_ERR_CLOSED,       /* the peer closed the connection                    */
    CRTO_ERR_RESET,        /* the peer reset the connection, or a socket error  */
    CRTO_ERR_TLS,          /* TLS handshake or record failure                   */
    CRTO_ERR_CERT,         /* the server certificate did not verify             */
    CRTO_ERR_FRAMING,      /* malformed HTTP: status line, headers, chunking    */
    CRTO_ERR_TOO_LARGE,    /* does not fit its buffer; diag.need says how much  */
    CRTO_ERR_JSON,         /* malformed JSON or JSON of the wrong shape         */
    CRTO_ERR_HTTP,         /* an HTTP status crto has no better code for        */
    CRTO_ERR_AUTH,         /* 401, or the token endpoint refused the credentials */
    CRTO_ERR_FORBIDDEN,    /* 403: permission or consent missing                */
    CRTO_ERR_NOT_FOUND,    /* 404                                               */
    CRTO_ERR_BAD_REQUEST,  /* 400 or another 4xx the API rejected               */
    CRTO_ERR_RATE_LIMITED, /* 429 still after the retries                        */
    CRTO_ERR_SERVER,       /* 5xx still after the retries                        */
    CRTO_ERR_ABORTED,      /* a caller callback asked to stop                   */
    CRTO_ERR_IO,           /* local I/O (file, storage) failed                  */
    CRTO_ERR_RESOLVE,      /* the host name did not resolve (DNS)               */
    CRTO_ERR__COUNT
} crto_err_t;

/* What went wrong, for a person: a code, a message that names the problem,
 * and the figures that go with it.  Owned by the caller or embedded in a
 * client; never holds a secret, a token or an identifier. */
typedef struct {
    crto_err_t err;
    int http_status; /* the HTTP status of the failing response, or 0     */
    size_t need;     /* for CRTO_ERR_TOO_LARGE: the bytes that were needed */
    uint32_t line;   /* for identifier errors: 1-based input line, or 0    */
    char msg[CRTO_DIAG_MAX];
} crto_diag_t;

/* Short stable name of an error, e.g. "CRTO_ERR_TIMEOUT". Never NULL. */
const char *crto_err_name(crto_err_t err);

/* True for a failure of the network path rather than of the request: a
 * name that did not resolve, a refused, timed-out, closed or reset
 * connection. Such a failure says nothing about the request itself, so it
 * may be retried (subject to the request's idempotency). */
bool crto_err_is_network(crto_err_t err);

/* One-line English description of an error. Never NULL. */
const char *crto_err_str(crto_err_t err);

/* Record an error with a printf-style message in diag (which may be NULL)
 * and return err, so callers can write `return crto_diag_set(d, E, "...")`.
 * The message is truncated to CRTO_DIAG_MAX - 1 bytes. */
crto_err_t crto_diag_set(crto_diag_t *diag, crto_err_t err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __clang_analyzer__
/* The static analyser reads one file at a time, so it cannot know that
 * crto_diag_set returns err; without this it follows `return
 * crto_diag_set(d, CRTO_ERR_X, ...)` as if it could return CRTO_OK. Analyser
 * builds only (err is evaluated twice; every caller passes a plain value). */
#define crto_diag_set(diag, err, ...) (crto_diag_set((diag), (err), __VA_ARGS__), (err))
#endif

/* Reset diag to CRTO_OK with an empty message. diag may be NULL. */
void crto_diag_clear(crto_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_ERROR_H */
