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
    m->part = 0;
    m->part_off = 0;
    m->tx_mark = 0;
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
    size_t end, left;
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
    if (m->rx_pos >= s->close_at) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    /* the first answer waits for a request, each next one for another */
    while (m->part < s->n_parts && m->part_off == s->part_len[m->part]) {
        if (m->part + 1 >= s->n_parts) {
            return -(int32_t)CRTO_ERR_CLOSED; /* all said: the server closes */
        }
        if (m->tx_conn_bytes <= m->tx_mark) {
            m->now += timeout_ms; /* nothing asked yet: silence */
            return 0;
        }
        m->part++;
        m->part_off = 0;
        m->tx_mark = m->tx_conn_bytes;
    }
    if (m->part >= s->n_parts) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    if (m->part == 0 && m->part_off == 0 && m->tx_conn_bytes == 0) {
        m->now += timeout_ms;
        return 0;
    }
    left = s->part_len[m->part] - m->part_off;
    end = s->close_at < s->reset_at ? s->close_at : s->reset_at;
    if (end != SIZE_MAX && left > end - m->rx_pos) {
        left = end - m->rx_pos;
    }
    if (len > left) {
        len = left;
    }
    if (m->max_read != 0 && len > m->max_read) {
        len = m->max_read;
    }
    memcpy(buf, s->part[m->part] + m->part_off, len);
    m->part_off += len;
    m->rx_pos += len;
    if (m->part == 0 && m->part_off == len) {
        m->tx_mark = m->tx_conn_bytes; /* the first answer is released */
    }
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
    memset(s, 0, sizeof *s);
    s->close_at = SIZE_MAX;
    s->reset_at = SIZE_MAX;
    s->tx_reset_at = SIZE_MAX;
    return crto_mem_then(m, data, len);
}

crto_mem_script_t *crto_mem_then(crto_mem_t *m, const void *data, size_t len)
{
    crto_mem_script_t *s;
    if (m->n_scripts == 0) {
        return NULL;
    }
    s = &m->scripts[m->n_scripts - 1];
    if (s->n_parts >= CRTO_MEM_MAX_PARTS) {
        return NULL;
    }
    s->part[s->n_parts] = data;
    s->part_len[s->n_parts] = len;
    s->n_parts++;
    s->len += len;
    return s;
}
