/*
 * crto_port.h - what a platform gives crto: one TCP connection, clocks,
 * entropy, sleep and a log sink, as a struct of function pointers chosen at
 * run time (so a test can inject a fake, and one process can hold two
 * clients on two different ports).
 *
 * A port instance carries at most one open connection at a time.
 *
 * Return conventions for send/recv (the coreHTTP transport convention):
 *   > 0  bytes moved
 *   = 0  nothing moved before timeout_ms passed (would block / timeout)
 *   < 0  -(crto_err_t): -CRTO_ERR_CLOSED on an orderly close by the peer,
 *        -CRTO_ERR_RESET on a reset or socket error.
 */
#ifndef CRTO_PORT_H
#define CRTO_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CRTO_LOG_ERROR = 0, CRTO_LOG_WARN = 1, CRTO_LOG_INFO = 2, CRTO_LOG_DEBUG = 3 } crto_log_level_t;

typedef struct crto_port {
    void *ctx; /* handed back to every function below; owned by the caller */

    /* Open a TCP connection to host:port (a DNS name or a literal address).
     * Returns CRTO_OK, CRTO_ERR_RESOLVE (the name did not resolve),
     * CRTO_ERR_CONNECT, CRTO_ERR_TIMEOUT. Required. */
    crto_err_t (*connect)(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms);

    /* Send up to len bytes. Required. See the return convention above. */
    int32_t (*send)(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms);

    /* Receive up to len bytes, waiting at most timeout_ms. Required.
     * timeout_ms 0 must not wait: crto probes a kept-alive connection so
     * before reusing it (0: still open; < 0: the server closed it). */
    int32_t (*recv)(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms);

    /* Close the connection if one is open; safe to call twice. Required. */
    void (*close)(void *ctx);

    /* Monotonic milliseconds since any fixed point. Required: a missing
     * clock is a configuration error, never "no timeout". */
    uint64_t (*now_ms)(void *ctx);

    /* Seconds since 1970-01-01 UTC. Optional (NULL when the device has no
     * trusted wall clock); returns CRTO_OK or an error. */
    crto_err_t (*utc_now)(void *ctx, int64_t *unix_seconds);

    /* Fill buf with len bytes of cryptographic entropy. Required for TLS. */
    crto_err_t (*entropy)(void *ctx, uint8_t *buf, size_t len);

    /* Sleep ms milliseconds (used between retries). Optional: without it
     * crto does not wait and retries only what needs no wait. */
    void (*sleep_ms)(void *ctx, uint32_t ms);

    /* Receive one log line (no newline). Optional. crto never passes a
     * secret, a token or an identifier here. */
    void (*log)(void *ctx, crto_log_level_t level, const char *line);
} crto_port_t;

/* Check that every required function of port is set.
 * Returns CRTO_OK or CRTO_ERR_CONFIG naming the missing one in diag. */
crto_err_t crto_port_check(const crto_port_t *port, crto_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_PORT_H */
