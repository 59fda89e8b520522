/*
 * tls.c - mbedTLS client over crto_port_t.
 *
 * Verification is VERIFY_REQUIRED and there is no switch to turn it off: a
 * kiosk that talks to a captive portal must fail, loudly.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>

#include "crto/crto_tls.h"

static int entropy_cb(void *arg, unsigned char *out, size_t len)
{
    const crto_port_t *port = arg;
    return port->entropy(port->ctx, out, len) == CRTO_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static uint32_t wait_budget(const crto_tls_t *tls)
{
    uint64_t now = tls->port->now_ms(tls->port->ctx);
    uint64_t left = tls->deadline_ms > now ? tls->deadline_ms - now : 0;
    return left < tls->io_timeout_ms ? (uint32_t)left : tls->io_timeout_ms;
}

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
    crto_tls_t *tls = arg;
    int32_t n = tls->port->send(tls->port->ctx, buf, len, wait_budget(tls));
    if (n > 0) {
        tls->last_io_ms = tls->port->now_ms(tls->port->ctx);
        return (int)n;
    }
    if (n == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return n == -(int32_t)CRTO_ERR_RESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
    crto_tls_t *tls = arg;
    int32_t n = tls->port->recv(tls->port->ctx, buf, len, wait_budget(tls));
    if (n > 0) {
        tls->last_io_ms = tls->port->now_ms(tls->port->ctx);
        return (int)n;
    }
    if (n == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (n == -(int32_t)CRTO_ERR_CLOSED) {
        return 0; /* mbedTLS reads 0 as EOF */
    }
    return MBEDTLS_ERR_NET_CONN_RESET;
}

static crto_err_t map_mbedtls(int rc, const char *what, crto_diag_t *diag)
{
    char text[96];
    switch (rc) {
    case MBEDTLS_ERR_SSL_WANT_READ:
    case MBEDTLS_ERR_SSL_WANT_WRITE:
    case MBEDTLS_ERR_SSL_TIMEOUT:
        return crto_diag_set(diag, CRTO_ERR_TIMEOUT, "TLS %s timed out", what);
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        return crto_diag_set(diag, CRTO_ERR_CLOSED, "TLS %s: connection closed by the server", what);
    case MBEDTLS_ERR_NET_CONN_RESET:
    case MBEDTLS_ERR_NET_SEND_FAILED:
        return crto_diag_set(diag, CRTO_ERR_RESET, "TLS %s: connection reset", what);
    default:
        break;
    }
#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(rc, text, sizeof text);
#else
    /* a board's mbedTLS may leave the message table out to save flash */
    (void)snprintf(text, sizeof text, "mbedTLS error");
#endif
    return crto_diag_set(diag, CRTO_ERR_TLS, "TLS %s failed: %s (-0x%04x)", what, text, (unsigned)-rc);
}

crto_err_t crto_tls_init(crto_tls_t *tls, const crto_port_t *port, const char *ca_pem, size_t ca_len, crto_diag_t *diag)
{
    static const unsigned char pers[] = "crto";
    int rc;

    memset(tls, 0, sizeof *tls);
    if (port == NULL || port->entropy == NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "TLS needs the port's entropy function");
    }
    if (ca_pem == NULL || ca_len == 0) {
        return crto_diag_set(diag, CRTO_ERR_CERT, "no trust anchors given (a CA bundle in PEM is required)");
    }
    tls->port = port;
    tls->io_timeout_ms = CRTO_IO_TIMEOUT_MS;
    mbedtls_ssl_init(&tls->ssl);
    mbedtls_ssl_config_init(&tls->conf);
    mbedtls_x509_crt_init(&tls->ca);
    mbedtls_ctr_drbg_init(&tls->drbg);
    mbedtls_ssl_session_init(&tls->session);
    tls->initialised = true;

    rc = mbedtls_ctr_drbg_seed(&tls->drbg, entropy_cb, (void *)(uintptr_t)port, pers, sizeof pers - 1);
    if (rc != 0) {
        return map_mbedtls(rc, "random generator seeding", diag);
    }
    /* A bundle may hold certificates mbedTLS cannot use (rc > 0 counts
     * them); that is fine as long as at least one parsed. */
    rc = mbedtls_x509_crt_parse(&tls->ca, (const unsigned char *)ca_pem, ca_len);
    if (rc < 0 || tls->ca.version == 0) {
        return crto_diag_set(diag, CRTO_ERR_CERT, "no usable CA certificate in the trust anchors (PEM expected)");
    }
    rc = mbedtls_ssl_config_defaults(&tls->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) {
        return map_mbedtls(rc, "configuration", diag);
    }
    mbedtls_ssl_conf_authmode(&tls->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&tls->conf, &tls->ca, NULL);
    mbedtls_ssl_conf_rng(&tls->conf, mbedtls_ctr_drbg_random, &tls->drbg);
    mbedtls_ssl_conf_min_version(&tls->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    rc = mbedtls_ssl_setup(&tls->ssl, &tls->conf);
    if (rc != 0) {
        return map_mbedtls(rc, "setup", diag);
    }
    mbedtls_ssl_set_bio(&tls->ssl, tls, bio_send, bio_recv, NULL);
    return CRTO_OK;
}

crto_err_t crto_tls_handshake(crto_tls_t *tls, const char *host, uint64_t deadline_ms, crto_diag_t *diag)
{
    int rc;
    bool offered;

    if (!tls->initialised) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "TLS used before crto_tls_init");
    }
    rc = mbedtls_ssl_session_reset(&tls->ssl);
    if (rc != 0) {
        return map_mbedtls(rc, "session reset", diag);
    }
    rc = mbedtls_ssl_set_hostname(&tls->ssl, host);
    if (rc != 0) {
        return map_mbedtls(rc, "host name", diag);
    }
    tls->resumed = false;
    offered =
        tls->have_session && strcmp(tls->host, host) == 0 && mbedtls_ssl_set_session(&tls->ssl, &tls->session) == 0;
    tls->deadline_ms = deadline_ms;
    tls->last_io_ms = tls->port->now_ms(tls->port->ctx);
    for (;;) {
        rc = mbedtls_ssl_handshake(&tls->ssl);
        if (rc == 0) {
            break;
        }
        if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
            uint64_t now = tls->port->now_ms(tls->port->ctx);
            if (now - tls->last_io_ms >= tls->io_timeout_ms) {
                /* io_timeout_ms bounds the peer's silence, not just one wait */
                return crto_diag_set(diag, CRTO_ERR_TIMEOUT, "TLS handshake: nothing from %s for %u ms", host,
                                     (unsigned)tls->io_timeout_ms);
            }
            if (now < deadline_ms) {
                continue;
            }
        }
        if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            char why[120];
            uint32_t flags = mbedtls_ssl_get_verify_result(&tls->ssl);
            int n = mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
            /* verify_info ends each reason with a newline; keep the first */
            char *nl = n > 0 ? strchr(why, '\n') : NULL;
            if (nl != NULL) {
                *nl = '\0';
            }
            return crto_diag_set(diag, CRTO_ERR_CERT, "certificate of %s not trusted: %s", host,
                                 n > 0 ? why : "verification failed");
        }
        return map_mbedtls(rc, "handshake", diag);
    }
    {
        /* A resumed session keeps the saved master secret; a full handshake
         * makes a new one (the session id alone says nothing with tickets). */
        const mbedtls_ssl_session *now = mbedtls_ssl_get_session_pointer(&tls->ssl);
        tls->resumed = offered && now != NULL && memcmp(now->master, tls->session.master, sizeof now->master) == 0;
    }
    /* Keep this session for the next connection. */
    mbedtls_ssl_session_free(&tls->session);
    mbedtls_ssl_session_init(&tls->session);
    tls->have_session = mbedtls_ssl_get_session(&tls->ssl, &tls->session) == 0;
    (void)snprintf(tls->host, sizeof tls->host, "%s", host);
    return CRTO_OK;
}

/* The last mbedTLS result of a read or write, in the port's convention. */
static int32_t io_result(int rc, const char *what)
{
    if (rc > 0) {
        return (int32_t)rc;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return 0;
    }
    if (rc == 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    return -(int32_t)map_mbedtls(rc, what, NULL);
}

static bool again(const crto_tls_t *tls, int rc)
{
    return (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) &&
           tls->port->now_ms(tls->port->ctx) < tls->deadline_ms;
}

int32_t crto_tls_send(crto_tls_t *tls, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    int rc;
    tls->deadline_ms = tls->port->now_ms(tls->port->ctx) + timeout_ms;
    do {
        rc = mbedtls_ssl_write(&tls->ssl, buf, len);
    } while (again(tls, rc));
    return io_result(rc, "write");
}

int32_t crto_tls_recv(crto_tls_t *tls, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    int rc;
    tls->deadline_ms = tls->port->now_ms(tls->port->ctx) + timeout_ms;
    do {
        rc = mbedtls_ssl_read(&tls->ssl, buf, len);
    } while (again(tls, rc));
    return io_result(rc, "read");
}

void crto_tls_shutdown(crto_tls_t *tls)
{
    if (tls->initialised) {
        tls->deadline_ms = tls->port->now_ms(tls->port->ctx) + 100u;
        (void)mbedtls_ssl_close_notify(&tls->ssl);
    }
}

void crto_tls_free(crto_tls_t *tls)
{
    if (tls->initialised) {
        mbedtls_ssl_session_free(&tls->session);
        mbedtls_ssl_free(&tls->ssl);
        mbedtls_ssl_config_free(&tls->conf);
        mbedtls_x509_crt_free(&tls->ca);
        mbedtls_ctr_drbg_free(&tls->drbg);
    }
    mbedtls_platform_zeroize(tls, sizeof *tls);
}
