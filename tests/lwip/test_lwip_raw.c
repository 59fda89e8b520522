/*
 * test_lwip_raw.c - the raw-API port (port/lwip/crto_port_lwip_raw.c) over
 * lwIP's loopback interface, NO_SYS=1, in one thread: the server below is
 * raw-API callbacks too, and it runs whenever the port drives lwIP while it
 * waits - exactly how a bare-metal super-loop runs.
 *
 * Covers connect (literal, "localhost", refused, timeout, unresolvable),
 * 100 KB each way through the 2 KB ring, recv timeout bounds, the peer's
 * FIN after data held back by a full ring, a reset, close twice, reconnect,
 * and lwIP's heap and pools back at their baseline at the end.
 */
#include <stdio.h>
#include <string.h>

#include "crto_port_lwip_raw.h"
#include "crto_test.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip_test_util.h"

#define SRV_PORT 7001
#define NO_LISTENER_PORT 7002
#define BIG (100u * 1024u)
#define GREETING 10000u

static crto_lwip_raw_t net;
static crto_port_t port;
static struct netif blackhole;
static lt_usage_t baseline;

/* The loopback interface's queue is drained here, as a board's poll hook
 * would read its Ethernet driver. */
static void poll_loopback(void *ctx)
{
    (void)ctx;
    netif_poll_all();
}

/* ------------------------------------------------------------ the server */

typedef enum { SRV_ECHO, SRV_GREET_CLOSE, SRV_SILENT, SRV_RESET } srv_mode_t;

static struct {
    srv_mode_t mode;
    struct tcp_pcb *listener;
    struct tcp_pcb *conn;
    uint8_t buf[16384]; /* echo backlog: bounded by TCP_WND, the server
                           reopens its window only as it echoes */
    size_t len;
    size_t greet_sent;
    unsigned accepted;
} srv;

/* Echo what is buffered, or send more of the greeting, as far as lwIP's
 * send buffer allows. */
static void srv_flush(struct tcp_pcb *pcb)
{
    if (srv.mode == SRV_ECHO && srv.len > 0) {
        u16_t room = tcp_sndbuf(pcb);
        u16_t n = srv.len < room ? (u16_t)srv.len : room;
        if (n > 0 && tcp_write(pcb, srv.buf, n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
            memmove(srv.buf, srv.buf + n, srv.len - n);
            srv.len -= n;
            tcp_recved(pcb, n);
            (void)tcp_output(pcb);
        }
    } else if (srv.mode == SRV_GREET_CLOSE && srv.greet_sent < GREETING) {
        uint8_t chunk[1024];
        for (;;) {
            u16_t room = tcp_sndbuf(pcb);
            size_t n = GREETING - srv.greet_sent, i;
            if (n > sizeof chunk) {
                n = sizeof chunk;
            }
            if (n > room) {
                n = room;
            }
            for (i = 0; i < n; i++) {
                chunk[i] = lt_pattern(srv.greet_sent + i);
            }
            if (n == 0 || tcp_write(pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
                break;
            }
            srv.greet_sent += n;
        }
        (void)tcp_output(pcb);
        if (srv.greet_sent == GREETING) {
            tcp_arg(pcb, NULL);
            (void)tcp_close(pcb); /* FIN after the greeting */
            srv.conn = NULL;
        }
    }
}

static err_t srv_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg;
    (void)len;
    if (srv.conn == pcb) {
        srv_flush(pcb);
    }
    return ERR_OK;
}

static err_t srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (p == NULL) {
        /* the client closed: close our side too */
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        tcp_err(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            srv.conn = NULL;
            return ERR_ABRT;
        }
        srv.conn = NULL;
        return ERR_OK;
    }
    if (srv.mode == SRV_ECHO && srv.len + p->tot_len <= sizeof srv.buf) {
        (void)pbuf_copy_partial(p, srv.buf + srv.len, p->tot_len, 0);
        srv.len += p->tot_len;
        (void)pbuf_free(p);
        srv_flush(pcb);
        return ERR_OK;
    }
    if (srv.mode == SRV_ECHO) {
        return ERR_MEM; /* cannot happen while TCP_WND <= sizeof buf */
    }
    tcp_recved(pcb, p->tot_len); /* other modes discard what they get */
    (void)pbuf_free(p);
    return ERR_OK;
}

static void srv_err(void *arg, err_t err)
{
    (void)arg;
    (void)err;
    srv.conn = NULL; /* lwIP freed the pcb */
}

static err_t srv_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    srv.accepted++;
    if (srv.mode == SRV_RESET) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    srv.conn = pcb;
    srv.len = 0;
    srv.greet_sent = 0;
    tcp_recv(pcb, srv_recv);
    tcp_sent(pcb, srv_sent);
    tcp_err(pcb, srv_err);
    srv_flush(pcb);
    return ERR_OK;
}

static void srv_start(void)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    ip_addr_t any = IPADDR4_INIT(IPADDR_LOOPBACK);
    any.addr = lwip_htonl(IPADDR_LOOPBACK);
    CHECK(pcb != NULL);
    CHECK_EQ_INT(tcp_bind(pcb, &any, SRV_PORT), ERR_OK);
    srv.listener = tcp_listen(pcb);
    CHECK(srv.listener != NULL);
    tcp_accept(srv.listener, srv_accept);
}

/* ------------------------------------------------------------ helpers */

static uint8_t out[BIG], in[BIG];

static uint32_t elapsed_since(uint32_t start)
{
    return (uint32_t)(sys_now() - start);
}

static crto_err_t connect_srv(srv_mode_t mode)
{
    srv.mode = mode;
    return port.connect(port.ctx, "127.0.0.1", SRV_PORT, 2000);
}

/* Send and receive n bytes at once (the echo needs both to progress);
 * returns the bytes received back, checked against the pattern. */
static size_t echo_round_trip(size_t n)
{
    size_t sent = 0, got = 0, i;
    uint32_t start = sys_now();
    for (i = 0; i < n; i++) {
        out[i] = lt_pattern(i);
    }
    while (got < n && elapsed_since(start) < 10000) {
        if (sent < n) {
            size_t want = n - sent > 3000 ? 3000 : n - sent;
            int32_t k = port.send(port.ctx, out + sent, want, 5);
            if (k < 0) {
                printf("  send: %d\n", (int)k);
                break;
            }
            sent += (size_t)k;
        }
        {
            int32_t k = port.recv(port.ctx, in + got, n - got, 5);
            if (k < 0) {
                printf("  recv: %d\n", (int)k);
                break;
            }
            got += (size_t)k;
        }
    }
    CHECK_EQ_INT(sent, n);
    CHECK_EQ_INT(got, n);
    CHECK_EQ_INT(lt_pattern_check(in, got, 0), got);
    return got;
}

/* ------------------------------------------------------------ tests */

static void test_port_check(void)
{
    crto_lwip_raw_t other;
    crto_port_t p2;
    crto_lwip_raw_config_t cfg;
    crto_diag_t diag;
    memset(&cfg, 0, sizeof cfg);
    cfg.poll = poll_loopback;
    crto_lwip_raw_port_init(&other, &p2, &cfg);
    /* no entropy hook: the port is incomplete, and says so */
    CHECK_EQ_INT(crto_port_check(&p2, &diag), CRTO_ERR_CONFIG);
    CHECK(strstr(diag.msg, "entropy") != NULL);
    CHECK(p2.utc_now == NULL);
    CHECK_EQ_INT(crto_port_check(&port, &diag), CRTO_OK);
    CHECK(port.sleep_ms != NULL);
}

static void test_clock_and_sleep(void)
{
    uint64_t a = port.now_ms(port.ctx), b;
    port.sleep_ms(port.ctx, 50);
    b = port.now_ms(port.ctx);
    CHECK(b >= a + 50);
    CHECK(b < a + 500);
}

static void test_connect_refused(void)
{
    uint32_t start = sys_now();
    CHECK_EQ_INT(port.connect(port.ctx, "127.0.0.1", NO_LISTENER_PORT, 2000), CRTO_ERR_CONNECT);
    CHECK(elapsed_since(start) < 1000); /* the RST answers at once */
    CHECK_EQ_INT(port.recv(port.ctx, in, 10, 0), -(int32_t)CRTO_ERR_CLOSED);
}

static void test_connect_timeout(void)
{
    uint32_t start = sys_now(), t;
    /* the SYN goes into the blackhole and nothing ever answers */
    CHECK_EQ_INT(port.connect(port.ctx, "10.99.0.2", 80, 300), CRTO_ERR_TIMEOUT);
    t = elapsed_since(start);
    CHECK(t >= 300);
    CHECK(t < 800);
    port.close(port.ctx);
}

static void test_connect_unresolvable_and_unroutable(void)
{
    /* no DNS server configured: the lookup fails at once */
    CHECK_EQ_INT(port.connect(port.ctx, "no-such-host.invalid", 80, 500), CRTO_ERR_RESOLVE);
    /* no interface for it and no default route */
    CHECK_EQ_INT(port.connect(port.ctx, "192.0.2.1", 80, 500), CRTO_ERR_CONNECT);
}

static void test_round_trip_100k_through_the_ring(void)
{
    srv.mode = SRV_ECHO;
    /* the name path: lwIP answers "localhost" itself with LWIP_HAVE_LOOPIF */
    CHECK_EQ_INT(port.connect(port.ctx, "localhost", SRV_PORT, 2000), CRTO_OK);
    CHECK(BIG > CRTO_LWIP_RX_BUF * 10);
    (void)echo_round_trip(BIG);
    port.close(port.ctx);
}

static void test_recv_timeout_bounds(void)
{
    uint32_t start, t;
    int32_t k;
    CHECK_EQ_INT(connect_srv(SRV_SILENT), CRTO_OK);
    start = sys_now();
    k = port.recv(port.ctx, in, sizeof in, 200);
    t = elapsed_since(start);
    CHECK_EQ_INT(k, 0);
    CHECK(t >= 200);
    CHECK(t < 400);
    /* timeout 0 polls once and returns */
    start = sys_now();
    CHECK_EQ_INT(port.recv(port.ctx, in, sizeof in, 0), 0);
    CHECK(elapsed_since(start) < 50);
    port.close(port.ctx);
}

static void test_peer_close_after_data_drained(void)
{
    size_t got = 0;
    int32_t k = 0;
    CHECK_EQ_INT(connect_srv(SRV_GREET_CLOSE), CRTO_OK);
    /* let the greeting and the FIN arrive while nobody reads: the ring
     * fills, the rest waits as pbufs, the window closes */
    port.sleep_ms(port.ctx, 200);
    CHECK_EQ_INT(net.rx_len, CRTO_LWIP_RX_BUF);
    CHECK(net.held != NULL);
    while (got < GREETING) {
        k = port.recv(port.ctx, in + got, 700, 1000);
        if (k <= 0) {
            break;
        }
        got += (size_t)k;
    }
    CHECK_EQ_INT(got, GREETING);
    CHECK_EQ_INT(lt_pattern_check(in, got, 0), got);
    CHECK_EQ_INT(port.recv(port.ctx, in, 100, 1000), -(int32_t)CRTO_ERR_CLOSED);
    CHECK_EQ_INT(port.recv(port.ctx, in, 100, 0), -(int32_t)CRTO_ERR_CLOSED);
    port.close(port.ctx);
}

static void test_peer_reset(void)
{
    unsigned before = srv.accepted;
    /* the handshake completes, then the server aborts: RST */
    CHECK_EQ_INT(connect_srv(SRV_RESET), CRTO_OK);
    CHECK_EQ_INT(port.recv(port.ctx, in, 100, 1000), -(int32_t)CRTO_ERR_RESET);
    CHECK_EQ_INT(port.send(port.ctx, out, 10, 100), -(int32_t)CRTO_ERR_RESET);
    CHECK_EQ_INT(srv.accepted, before + 1);
    port.close(port.ctx);
    /* after close the error is forgotten: nothing is open */
    CHECK_EQ_INT(port.recv(port.ctx, in, 100, 0), -(int32_t)CRTO_ERR_CLOSED);
}

static void test_close_twice_and_reconnect(void)
{
    CHECK_EQ_INT(connect_srv(SRV_ECHO), CRTO_OK);
    (void)echo_round_trip(5000);
    port.close(port.ctx);
    port.close(port.ctx);
    CHECK_EQ_INT(port.send(port.ctx, out, 10, 0), -(int32_t)CRTO_ERR_CLOSED);
    CHECK_EQ_INT(port.recv(port.ctx, in, 10, 0), -(int32_t)CRTO_ERR_CLOSED);
    CHECK_EQ_INT(connect_srv(SRV_ECHO), CRTO_OK);
    (void)echo_round_trip(20000);
    /* connect on an open connection replaces it */
    CHECK_EQ_INT(connect_srv(SRV_ECHO), CRTO_OK);
    (void)echo_round_trip(3000);
    port.close(port.ctx);
}

static void test_no_leak(void)
{
    lt_usage_t now;
    uint32_t start = sys_now();
    tcp_close(srv.listener);
    srv.listener = NULL;
    /* TIME_WAIT and LAST_ACK pcbs go within 2 * TCP_MSL */
    do {
        port.sleep_ms(port.ctx, 20);
        lt_usage_get(&now);
    } while (lt_usage_diff(&baseline, &now, 0) != 0 && elapsed_since(start) < 3000);
    CHECK_EQ_INT(lt_usage_diff(&baseline, &now, 1), 0);
    /* heap and every pool at 0, but for lwIP's cyclic timers */
    CHECK_EQ_INT(lt_usage_beyond_timers(&now), 0);
    CHECK_EQ_INT(now.mem_used, baseline.mem_used);
    CHECK_EQ_INT(now.memp_used[MEMP_TCP_PCB], 0);
    CHECK_EQ_INT(now.memp_used[MEMP_PBUF_POOL], 0);
    CHECK_EQ_INT(lwip_stats.mem.illegal, 0);
}

int main(void)
{
    crto_lwip_raw_config_t cfg;
    ip4_addr_t bh_ip, bh_mask, bh_gw;

    lwip_init();
    IP4_ADDR(&bh_ip, 10, 99, 0, 1);
    IP4_ADDR(&bh_mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&bh_gw);
    (void)netif_add(&blackhole, &bh_ip, &bh_mask, &bh_gw, NULL, lt_blackhole_init, netif_input);
    netif_set_up(&blackhole);
    lt_usage_get(&baseline);

    memset(&cfg, 0, sizeof cfg);
    cfg.poll = poll_loopback;
    cfg.entropy = lt_entropy;
    crto_lwip_raw_port_init(&net, &port, &cfg);
    srv_start();
    printf("# sizeof(crto_lwip_raw_t) = %u (CRTO_LWIP_RX_BUF %u, TCP_WND %u)\n", (unsigned)sizeof net,
           (unsigned)CRTO_LWIP_RX_BUF, (unsigned)TCP_WND);

    lt_usage_print("lwIP at start-up (the leak baseline)", &baseline);
    RUN(test_port_check);
    RUN(test_clock_and_sleep);
    RUN(test_connect_refused);
    RUN(test_connect_timeout);
    RUN(test_connect_unresolvable_and_unroutable);
    RUN(test_round_trip_100k_through_the_ring);
    RUN(test_recv_timeout_bounds);
    RUN(test_peer_close_after_data_drained);
    RUN(test_peer_reset);
    RUN(test_close_twice_and_reconnect);
    RUN(test_no_leak);
    return crto_test_summary();
}
