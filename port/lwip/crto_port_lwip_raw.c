/*
 * crto_port_lwip_raw.c - crto_port_t over lwIP's raw TCP API (NO_SYS=1).
 *
 * Everything runs in the caller's thread: each blocking port call loops on
 * "poll the driver, run lwIP's timers, check" until its condition holds or
 * its timeout passes. lwIP's callbacks (tcp_recv, tcp_err, connected, DNS)
 * only record what happened in crto_lwip_raw_t; the port functions act on
 * it. No malloc: the ring is in the state struct, pbufs are lwIP's.
 */
#include <string.h>

#include "crto_port_lwip_raw.h"
#include "lwip/dns.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

enum { ST_IDLE = 0, ST_CONNECTING, ST_OPEN, ST_FAILED };

/* ------------------------------------------------------------ driving */

void crto_lwip_raw_drive(crto_lwip_raw_t *s)
{
    if (s->cfg.poll != NULL) {
        s->cfg.poll(s->cfg.poll_ctx);
    }
    sys_check_timeouts();
}

/* One turn of a wait loop: drive, then let the board sleep if it wants. */
static void wait_turn(crto_lwip_raw_t *s)
{
    crto_lwip_raw_drive(s);
    if (s->cfg.idle != NULL) {
        s->cfg.idle(s->cfg.poll_ctx);
    }
}

/* u32_t arithmetic: correct across sys_now() wrapping. */
static bool expired(uint32_t start, uint32_t timeout_ms)
{
    return (uint32_t)(sys_now() - start) >= timeout_ms;
}

/* ------------------------------------------------------------ receive ring */

/* Move what lwIP handed over (s->held) into the ring, freeing each pbuf as
 * soon as it is copied out. */
static void fill_ring(crto_lwip_raw_t *s)
{
    while (s->held != NULL && s->rx_len < CRTO_LWIP_RX_BUF) {
        size_t tail = (s->rx_head + s->rx_len) % CRTO_LWIP_RX_BUF;
        size_t room = CRTO_LWIP_RX_BUF - s->rx_len;
        size_t contig = CRTO_LWIP_RX_BUF - tail;
        size_t want = room < contig ? room : contig;
        u16_t n;
        if (want > s->held->tot_len) {
            want = s->held->tot_len;
        }
        n = pbuf_copy_partial(s->held, s->rx + tail, (u16_t)want, 0);
        if (n == 0) {
            break;
        }
        s->rx_len += n;
        /* frees every pbuf copied out whole; NULL once all is copied */
        s->held = pbuf_free_header(s->held, n);
    }
}

/* Hand up to len ring bytes to the caller, then reopen the TCP window by
 * what left the port: backpressure follows the application's reading. */
static size_t take_ring(crto_lwip_raw_t *s, uint8_t *buf, size_t len)
{
    size_t n = len < s->rx_len ? len : s->rx_len;
    size_t first = CRTO_LWIP_RX_BUF - s->rx_head;
    size_t left;
    if (first > n) {
        first = n;
    }
    memcpy(buf, s->rx + s->rx_head, first);
    memcpy(buf + first, s->rx, n - first);
    s->rx_head = (s->rx_head + n) % CRTO_LWIP_RX_BUF;
    s->rx_len -= n;
    fill_ring(s);
    for (left = n; left > 0 && s->pcb != NULL;) {
        u16_t part = left > 0xffffu ? (u16_t)0xffffu : (u16_t)left;
        tcp_recved(s->pcb, part);
        left -= part;
    }
    return n;
}

static void drop_held(crto_lwip_raw_t *s)
{
    if (s->held != NULL) {
        (void)pbuf_free(s->held);
        s->held = NULL;
    }
    s->rx_head = 0;
    s->rx_len = 0;
}

/* ------------------------------------------------------------ lwIP callbacks */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    crto_lwip_raw_t *s = arg;
    (void)pcb;
    if (p == NULL) {
        /* FIN: reported as closed once everything before it is read */
        s->peer_fin = true;
        return ERR_OK;
    }
    if (err != ERR_OK) {
        (void)pbuf_free(p);
        return ERR_OK;
    }
    if (s->held == NULL) {
        s->held = p;
    } else if ((uint32_t)s->held->tot_len + p->tot_len > 0xffffu) {
        /* a pbuf chain counts to 65535: refuse, lwIP offers it again later */
        return ERR_MEM;
    } else {
        pbuf_cat(s->held, p);
    }
    fill_ring(s);
    return ERR_OK;
}

/* lwIP has already freed the pcb when this runs (RST, abort, timeout). */
static void on_err(void *arg, err_t err)
{
    crto_lwip_raw_t *s = arg;
    s->pcb = NULL;
    s->lwip_err = err;
    s->state = ST_FAILED;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    crto_lwip_raw_t *s = arg;
    (void)pcb;
    if (err == ERR_OK) {
        s->state = ST_OPEN;
        s->established = true;
    }
    return ERR_OK;
}

static void on_dns(const char *name, const ip_addr_t *addr, void *arg)
{
    crto_lwip_raw_t *s = arg;
    /* an answer to a lookup that already timed out is not ours any more */
    if (!s->dns_wait || strcmp(name, s->dns_name) != 0) {
        return;
    }
    s->dns_done = true;
    s->dns_found = addr != NULL;
    if (addr != NULL) {
        ip_addr_copy(s->dns_addr, *addr);
    }
}

/* ------------------------------------------------------------ port functions */

/* Forget the pcb without any more callbacks into s. */
static void detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL); /* lwIP then discards late data itself */
    tcp_err(pcb, NULL);
}

static void raw_close(void *ctx)
{
    crto_lwip_raw_t *s = ctx;
    if (s->pcb != NULL) {
        struct tcp_pcb *pcb = s->pcb;
        detach(pcb);
        s->pcb = NULL;
        /* FIN, or RST when unread data remains; lwIP finishes the closing
         * handshake on its own and frees the pcb. */
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb); /* out of memory for the FIN: reset instead */
        }
    }
    drop_held(s);
    s->state = ST_IDLE;
    s->peer_fin = false;
    s->established = false;
    s->lwip_err = ERR_OK;
    s->dns_wait = false;
}

static void abort_pcb(crto_lwip_raw_t *s)
{
    if (s->pcb != NULL) {
        detach(s->pcb);
        tcp_abort(s->pcb);
        s->pcb = NULL;
    }
    raw_close(s);
}

static void port_log(crto_lwip_raw_t *s, crto_log_level_t level, const char *line)
{
    if (s->cfg.log != NULL) {
        s->cfg.log(s->cfg.app_ctx, level, line);
    }
}

/* A literal address, or a DNS lookup driven until done or timed out. */
static crto_err_t resolve(crto_lwip_raw_t *s, const char *host, uint32_t start, uint32_t timeout_ms, ip_addr_t *addr)
{
    size_t len = strlen(host);
    if (ipaddr_aton(host, addr)) {
        return CRTO_OK;
    }
#if LWIP_DNS
    err_t e;
    if (len == 0 || len >= sizeof s->dns_name) {
        return CRTO_ERR_CONNECT;
    }
    memcpy(s->dns_name, host, len + 1);
    s->dns_done = false;
    s->dns_found = false;
    s->dns_wait = true;
    e = dns_gethostbyname(host, addr, on_dns, s);
    if (e == ERR_INPROGRESS) {
        while (!s->dns_done && !expired(start, timeout_ms)) {
            wait_turn(s);
        }
        if (!s->dns_done) {
            s->dns_wait = false;
            port_log(s, CRTO_LOG_WARN, "lwip: name lookup timed out");
            return CRTO_ERR_TIMEOUT;
        }
        e = s->dns_found ? ERR_OK : ERR_VAL;
        ip_addr_copy(*addr, s->dns_addr);
    }
    s->dns_wait = false;
    if (e != ERR_OK) {
        port_log(s, CRTO_LOG_WARN, "lwip: name lookup failed");
        return CRTO_ERR_RESOLVE;
    }
    return CRTO_OK;
#else
    (void)s;
    (void)len;
    (void)start;
    (void)timeout_ms;
    return CRTO_ERR_RESOLVE; /* no DNS in this lwIP: literal addresses only */
#endif
}

static crto_err_t raw_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    crto_lwip_raw_t *s = ctx;
    uint32_t start = sys_now();
    ip_addr_t addr;
    struct tcp_pcb *pcb;
    crto_err_t ce;

    raw_close(s);
    ce = resolve(s, host, start, timeout_ms, &addr);
    if (ce != CRTO_OK) {
        return ce;
    }
    pcb = tcp_new_ip_type(IP_GET_TYPE(&addr));
    if (pcb == NULL) {
        port_log(s, CRTO_LOG_ERROR, "lwip: no free TCP PCB (MEMP_NUM_TCP_PCB)");
        return CRTO_ERR_CONNECT;
    }
    s->pcb = pcb;
    s->state = ST_CONNECTING;
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    /* crto hands over whole windows: Nagle would only add latency. */
    tcp_nagle_disable(pcb);
    if (tcp_connect(pcb, &addr, port, on_connected) != ERR_OK) {
        abort_pcb(s); /* no route, or no memory for the SYN */
        return CRTO_ERR_CONNECT;
    }
    for (;;) {
        /* A reset right after the handshake (possibly within the same
         * poll) is reported by the next send or recv, as with BSD sockets. */
        if (s->state == ST_OPEN || s->established) {
            return CRTO_OK;
        }
        if (s->state == ST_FAILED) {
            raw_close(s); /* refused (RST) or SYN retries exhausted */
            return CRTO_ERR_CONNECT;
        }
        if (expired(start, timeout_ms)) {
            abort_pcb(s);
            return CRTO_ERR_TIMEOUT;
        }
        wait_turn(s);
    }
}

/* The error for a connection lwIP dropped, or for none at all. */
static int32_t gone(const crto_lwip_raw_t *s)
{
    if (s->state == ST_FAILED && s->lwip_err != ERR_CLSD) {
        return -(int32_t)CRTO_ERR_RESET;
    }
    return -(int32_t)CRTO_ERR_CLOSED;
}

static int32_t raw_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_lwip_raw_t *s = ctx;
    uint32_t start = sys_now();
    for (;;) {
        u16_t room;
        if (s->pcb == NULL || s->state != ST_OPEN) {
            return gone(s);
        }
        room = tcp_sndbuf(s->pcb);
        if (room > 0 && len > 0) {
            u16_t n = len < room ? (u16_t)len : room;
            err_t e = tcp_write(s->pcb, buf, n, TCP_WRITE_FLAG_COPY);
            if (e == ERR_OK) {
                (void)tcp_output(s->pcb);
                return (int32_t)n;
            }
            if (e != ERR_MEM) {
                return e == ERR_CONN ? -(int32_t)CRTO_ERR_CLOSED : -(int32_t)CRTO_ERR_RESET;
            }
            /* ERR_MEM: segment queue or heap full; wait for ACKs */
        }
        if (len == 0 || expired(start, timeout_ms)) {
            return 0;
        }
        wait_turn(s);
    }
}

static int32_t raw_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_lwip_raw_t *s = ctx;
    uint32_t start = sys_now();
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    for (;;) {
        fill_ring(s);
        if (s->rx_len > 0 && len > 0) {
            return (int32_t)take_ring(s, buf, len);
        }
        if (s->rx_len == 0 && s->held == NULL) {
            if (s->peer_fin) {
                return -(int32_t)CRTO_ERR_CLOSED;
            }
            if (s->pcb == NULL) {
                return gone(s);
            }
        }
        if (len == 0 || expired(start, timeout_ms)) {
            return 0;
        }
        wait_turn(s);
    }
}

static uint64_t raw_now_ms(void *ctx)
{
    crto_lwip_raw_t *s = ctx;
    uint32_t now = sys_now();
    if (now < s->clock_last) {
        s->clock_high += (uint64_t)1 << 32;
    }
    s->clock_last = now;
    return s->clock_high + now;
}

/* Waiting keeps lwIP running: ACKs, retransmissions, ARP. */
static void raw_sleep_ms(void *ctx, uint32_t ms)
{
    crto_lwip_raw_t *s = ctx;
    uint32_t start = sys_now();
    while (!expired(start, ms)) {
        wait_turn(s);
    }
}

static crto_err_t raw_entropy(void *ctx, uint8_t *buf, size_t len)
{
    crto_lwip_raw_t *s = ctx;
    return s->cfg.entropy(s->cfg.app_ctx, buf, len);
}

static crto_err_t raw_utc_now(void *ctx, int64_t *unix_seconds)
{
    crto_lwip_raw_t *s = ctx;
    return s->cfg.utc_now(s->cfg.app_ctx, unix_seconds);
}

static void raw_log(void *ctx, crto_log_level_t level, const char *line)
{
    port_log(ctx, level, line);
}

void crto_lwip_raw_port_init(crto_lwip_raw_t *s, crto_port_t *port, const crto_lwip_raw_config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->state = ST_IDLE;
    s->clock_last = sys_now();
    memset(port, 0, sizeof *port);
    port->ctx = s;
    port->connect = raw_connect;
    port->send = raw_send;
    port->recv = raw_recv;
    port->close = raw_close;
    port->now_ms = raw_now_ms;
    port->sleep_ms = raw_sleep_ms;
    /* missing hooks stay missing, for crto_port_check to name */
    port->entropy = cfg->entropy != NULL ? raw_entropy : NULL;
    port->utc_now = cfg->utc_now != NULL ? raw_utc_now : NULL;
    port->log = cfg->log != NULL ? raw_log : NULL;
}
