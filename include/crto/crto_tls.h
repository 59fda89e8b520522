/*
 * crto_tls.h - a TLS 1.2 client session (mbedTLS) over the port's TCP
 * connection.  Certificate verification is always required, the host name is
 * always checked and sent as SNI, and the session is kept so the next
 * connection can resume it (an abbreviated handshake).
 *
 * The structs live inside crto_client_t; mbedTLS itself allocates its record
 * buffers through its own allocator (on boards: a static arena).
 */
#ifndef CRTO_TLS_H
#define CRTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "crto_error.h"
#include "crto_port.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_session session; /* last session, for resumption */
    const crto_port_t *port;     /* borrowed from the client          */
    uint64_t deadline_ms;        /* the current operation's deadline   */
    uint32_t io_timeout_ms;      /* longest silence of the peer        */
    uint64_t last_io_ms;         /* when bytes last moved              */
    bool initialised;
    bool have_session;
    bool resumed;             /* the last handshake resumed a session */
    char host[CRTO_HOST_MAX]; /* host of the session kept           */
} crto_tls_t;

/* Prepare a TLS client: parse the trust anchors ca_pem[ca_len] (PEM; the
 * length includes the terminating NUL, as mbedTLS wants), seed the DRBG from
 * port->entropy. ca_pem is only read during the call. Errors:
 * CRTO_ERR_CONFIG (no port entropy), CRTO_ERR_CERT (no usable certificate in
 * ca_pem), CRTO_ERR_TLS. */
crto_err_t crto_tls_init(crto_tls_t *tls, const crto_port_t *port, const char *ca_pem, size_t ca_len,
                         crto_diag_t *diag);

/* Run the handshake on the port's open connection for host (SNI and name
 * check), resuming the kept session when it is for the same host.
 * Errors: CRTO_ERR_CERT (verification failed; diag says why),
 * CRTO_ERR_TIMEOUT, CRTO_ERR_CLOSED/RESET, CRTO_ERR_TLS. */
crto_err_t crto_tls_handshake(crto_tls_t *tls, const char *host, uint64_t deadline_ms, crto_diag_t *diag);

/* Write/read application data; same return convention as crto_port_t.send
 * and recv (>0 bytes, 0 nothing before the timeout, <0 -crto_err_t). */
int32_t crto_tls_send(crto_tls_t *tls, const uint8_t *buf, size_t len, uint32_t timeout_ms);
int32_t crto_tls_recv(crto_tls_t *tls, uint8_t *buf, size_t len, uint32_t timeout_ms);

/* Send close_notify (best effort) and make the session ready for the next
 * connection. Does not close the TCP connection. */
void crto_tls_shutdown(crto_tls_t *tls);

/* Free everything mbedTLS holds and wipe the struct. Safe on a struct that
 * was never initialised if it was zeroed. */
void crto_tls_free(crto_tls_t *tls);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_TLS_H */
