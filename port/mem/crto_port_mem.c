/*
 * crto_port_mem.c - the in-memory test port (see crto_port_mem.h).
 */
#include <stdio.h>
#include <string.h>

#include "crto_port_mem.h"

static crto_err_t mem_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    crto_mem_t *m = ctx;
    (void)timeout_ms;
    m->conn = -1;
    if (m->connects >= m->n_scripts) {
        m->connects++;
        return CRTO_ERR_CONNECT; /* no server left to answer */
    }
    if (m->scripts[m->connects].refuse) {
        m->connects++;
        return CRTO_ERR_CONNECT;
    }
    m->conn = (int)m->connects++;
    m->rx_pos = 0;
    m->tx_conn_bytes = 0;
    (void)snprintf(m->host, sizeof m->host, "%s", host);
    m->port = port;
    return CRTO_OK;
}

static int32_t mem_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_mem_t *m = ctx;
    const crto_mem_script_t *s;
    if (m->conn < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    s = &m->scripts[m->conn];
    if (m->send_blocks > 0) {
        m->send_blocks--;
        m->now += timeout_ms;
        return 0;
    }
    if (m->max_write != 0 && len > m->max_write) {
        len = m->max_write;
    }
    if (s->tx_reset_at != SIZE_MAX && m->tx_conn_bytes + len > s->tx_reset_at) {
        len = s->tx_reset_at - m->tx_conn_bytes;
        if (len == 0) {
            return -(int32_t)CRTO_ERR_RESET;
        }
    }
    if (m->tx != NULL && m->tx_len < m->tx_cap) {
        size_t n = len < m->tx_cap - m->tx_len ? len : m->tx_cap - m->tx_len;
        memcpy(m->tx + m->tx_len, buf, n);
        m->tx_len += n;
    }
    m->tx_total += len;
    m->tx_conn_bytes += len;
    return (int32_t)len;
}

static int32_t mem_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_mem_t *m = ctx;
    const crto_mem_script_t *s;
    size_t end;
    if (m->conn < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    s = &m->scripts[m->conn];
    if (m->recv_blocks > 0) {
        m->recv_blocks--;
        m->now += timeout_ms;
        return 0;
    }
    if (s->reset_at != SIZE_MAX && m->rx_pos >= s->reset_at) {
        return -(int32_t)CRTO_ERR_RESET;
    }
    end = s->len;
    if (s->close_at < end) {
        end = s->close_at;
    }
    if (s->reset_at < end) {
        end = s->reset_at;
    }
    if (m->rx_pos >= end) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    if (len > end - m->rx_pos) {
        len = end - m->rx_pos;
    }
    if (m->max_read != 0 && len > m->max_read) {
        len = m->max_read;
    }
    memcpy(buf, s->data + m->rx_pos, len);
    m->rx_pos += len;
    return (int32_t)len;
}

static void mem_close(void *ctx)
{
    crto_mem_t *m = ctx;
    if (m->conn >= 0) {
        m->closes++;
    }
    m->conn = -1;
}

static uint64_t mem_now(void *ctx)
{
    return ((crto_mem_t *)ctx)->now;
}

static crto_err_t mem_utc(void *ctx, int64_t *out)
{
    crto_mem_t *m = ctx;
    if (m->utc < 0) {
        return CRTO_ERR_IO;
    }
    *out = m->utc + (int64_t)(m->now / 1000u);
    return CRTO_OK;
}

static crto_err_t mem_entropy(void *ctx, uint8_t *buf, size_t len)
{
    /* deterministic on purpose: tests must be repeatable */
    crto_mem_t *m = ctx;
    while (len-- > 0) {
        m->rng ^= m->rng << 13;
        m->rng ^= m->rng >> 17;
        m->rng ^= m->rng << 5;
        *buf++ = (uint8_t)m->rng;
    }
    return CRTO_OK;
}

static void mem_sleep(void *ctx, uint32_t ms)
{
    crto_mem_t *m = ctx;
    m->now += ms;
    m->slept_ms += ms;
    m->sleeps++;
}

void crto_mem_init(crto_mem_t *m, crto_port_t *port, uint8_t *tx, size_t tx_cap)
{
    memset(m, 0, sizeof *m);
    m->conn = -1;
    m->tx = tx;
    m->tx_cap = tx_cap;
    m->now = 1000000u;
    m->utc = -1;
    m->rng = 2463534242u;
    memset(port, 0, sizeof *port);
    port->ctx = m;
    port->connect = mem_connect;
    port->send = mem_send;
    port->recv = mem_recv;
    port->close = mem_close;
    port->now_ms = mem_now;
    port->utc_now = mem_utc;
    port->entropy = mem_entropy;
    port->sleep_ms = mem_sleep;
}

crto_mem_script_t *crto_mem_add(crto_mem_t *m, const void *data, size_t len)
{
    crto_mem_script_t *s;
    if (m->n_scripts >= CRTO_MEM_MAX_CONNS) {
        return NULL;
    }
    s = &m->scripts[m->n_scripts++];
    s->data = data;
    s->len = len;
    s->close_at = SIZE_MAX;
    s->reset_at = SIZE_MAX;
    s->tx_reset_at = SIZE_MAX;
    s->refuse = false;
    return s;
}
