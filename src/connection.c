/*
 * connection.c - the client's one connection: open (TCP, then TLS unless a
 * loopback http:// endpoint), send everything, receive some, close.
 * Every wait is bounded by the smaller of the I/O timeout and the request's
 * deadline.
 */
#include <string.h>

#include "connection.h"

static uint32_t budget(const crto_client_t *c, uint64_t deadline)
{
    uint64_t now = c->port.now_ms(c->port.ctx);
    uint64_t left = deadline > now ? deadline - now : 0;
    return left < c->cfg.io_timeout_ms ? (uint32_t)left : c->cfg.io_timeout_ms;
}

bool crto_conn_same_endpoint(const crto_endpoint_t *a, const crto_endpoint_t *b)
{
    return a != NULL && b != NULL && a->port == b->port && a->tls == b->tls && strcmp(a->host, b->host) == 0;
}

void crto_conn_close(crto_client_t *c)
{
    if (c->conn_ep != NULL) {
        if (c->conn_ep->tls) {
            crto_tls_shutdown(&c->tls);
        }
        c->port.close(c->port.ctx);
    }
    c->conn_ep = NULL;
    c->conn_reusable = false;
    c->rx_len = 0;
}

/* A kept-alive connection is probed (a read that does not wait) before a
 * request goes over it: a server that closed it while idle has left a FIN
 * or a close_notify, and finding that now, before sending, means even a
 * create can go on a fresh connection without any doubt that the server
 * saw it. Any byte waiting is unsolicited: the connection is not reused. */
static bool still_open(crto_client_t *c)
{
    uint8_t probe[1];
    int32_t n = c->conn_ep->tls ? crto_tls_recv(&c->tls, probe, sizeof probe, 0)
                                : c->port.recv(c->port.ctx, probe, sizeof probe, 0);
    return n == 0;
}

crto_err_t crto_conn_open(crto_client_t *c, const crto_endpoint_t *ep, uint64_t deadline, bool *reused)
{
    crto_err_t e;
    uint64_t now = c->port.now_ms(c->port.ctx);
    uint32_t timeout;

    *reused = false;
    if (c->conn_ep != NULL && c->conn_reusable && crto_conn_same_endpoint(c->conn_ep, ep) && still_open(c)) {
        *reused = true;
        return CRTO_OK;
    }
    crto_conn_close(c);
    timeout = c->cfg.connect_timeout_ms;
    if (deadline > now && deadline - now < timeout) {
        timeout = (uint32_t)(deadline - now);
    }
    e = c->port.connect(c->port.ctx, ep->host, ep->port, timeout);
    if (e != CRTO_OK) {
        return crto_diag_set(&c->diag, e, "cannot connect to %s:%u: %s", ep->host, (unsigned)ep->port, crto_err_str(e));
    }
    c->stats.connections++;
    if (ep->tls) {
        c->tls.io_timeout_ms = c->cfg.io_timeout_ms;
        e = crto_tls_handshake(&c->tls, ep->host, deadline, &c->diag);
        if (e != CRTO_OK) {
            c->port.close(c->port.ctx);
            return e;
        }
        c->stats.tls_handshakes++;
        if (c->tls.resumed) {
            c->stats.tls_resumed++;
        }
    }
    c->conn_ep = ep;
    c->conn_reusable = true;
    c->rx_len = 0;
    return CRTO_OK;
}

/* io_timeout_ms is the longest the peer may stay silent (take or give no
 * byte); a wait that ends with nothing moved counts against it. */
static bool silent_too_long(const crto_client_t *c, uint64_t quiet_since)
{
    return c->port.now_ms(c->port.ctx) - quiet_since >= c->cfg.io_timeout_ms;
}

crto_err_t crto_conn_send_all(crto_client_t *c, const uint8_t *data, size_t len, uint64_t deadline)
{
    uint64_t quiet_since = c->port.now_ms(c->port.ctx);
    while (len > 0) {
        uint32_t wait = budget(c, deadline);
        int32_t n;
        if (wait == 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_TIMEOUT, "timed out sending the request");
        }
        n = c->conn_ep->tls ? crto_tls_send(&c->tls, data, len, wait) : c->port.send(c->port.ctx, data, len, wait);
        if (n < 0) {
            crto_err_t e = (crto_err_t)-n;
            return crto_diag_set(&c->diag, e, "sending the request failed: %s", crto_err_str(e));
        }
        if (n == 0) {
            if (silent_too_long(c, quiet_since)) {
                return crto_diag_set(&c->diag, CRTO_ERR_TIMEOUT, "the server took no byte for %u ms",
                                     (unsigned)c->cfg.io_timeout_ms);
            }
            continue; /* the budget check above ends this */
        }
        quiet_since = c->port.now_ms(c->port.ctx);
        c->stats.bytes_sent += (uint64_t)n;
        data += n;
        len -= (size_t)n;
    }
    return CRTO_OK;
}

crto_err_t crto_conn_recv(crto_client_t *c, uint8_t *buf, size_t cap, uint64_t deadline, size_t *got)
{
    uint64_t quiet_since = c->port.now_ms(c->port.ctx);
    for (;;) {
        uint32_t wait = budget(c, deadline);
        int32_t n;
        if (wait == 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_TIMEOUT, "timed out waiting for the response");
        }
        n = c->conn_ep->tls ? crto_tls_recv(&c->tls, buf, cap, wait) : c->port.recv(c->port.ctx, buf, cap, wait);
        if (n > 0) {
            c->stats.bytes_received += (uint64_t)n;
            *got = (size_t)n;
            return CRTO_OK;
        }
        if (n < 0) {
            *got = 0;
            return (crto_err_t)-n; /* the caller words the message: it knows where it was */
        }
        if (silent_too_long(c, quiet_since)) {
            return crto_diag_set(&c->diag, CRTO_ERR_TIMEOUT, "no byte from the server for %u ms",
                                 (unsigned)c->cfg.io_timeout_ms);
        }
    }
}
