/*
 * test_lwip_sockets.c - the sockets port (port/lwip/crto_port_lwip_sockets.c)
 * over lwIP's loopback interface, NO_SYS=0 on pthreads: lwIP's tcpip thread,
 * a server thread on lwIP sockets, and the port used from main().
 *
 * Covers connect (literal, "localhost", refused, timeout, unresolvable),
 * 100 KB each way, recv timeout bounds, the peer's FIN after data, a reset,
 * close twice, reconnect, and lwIP's heap and pools back at their baseline
 * once everything is closed.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "crto_port_lwip_sockets.h"
#include "crto_test.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip_test_util.h"

#define SRV_PORT 7001
#define NO_LISTENER_PORT 7002
#define BIG (100u * 1024u)
#define GREETING 10000u

static crto_lwip_sockets_t net;
static crto_port_t port;
static struct netif blackhole;
static lt_usage_t baseline;

/* ------------------------------------------------------------ the server thread */

typedef enum { SRV_ECHO, SRV_GREET_CLOSE, SRV_SILENT, SRV_RESET, SRV_QUIT } srv_mode_t;

/* Set by main() before it connects; the server reads it after accept,
 * which lwIP's own locking orders after the write. */
static volatile srv_mode_t srv_mode;
static volatile unsigned srv_accepted;

static void srv_send_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = lwip_send(fd, buf, len, 0);
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void srv_connection(int fd, srv_mode_t mode)
{
    static uint8_t buf[4096];
    ssize_t n;
    size_t i;
    switch (mode) {
    case SRV_ECHO:
        while ((n = lwip_recv(fd, buf, sizeof buf, 0)) > 0) {
            srv_send_all(fd, buf, (size_t)n);
        }
        break;
    case SRV_GREET_CLOSE:
        for (i = 0; i < GREETING; i += sizeof buf) {
            size_t j, k = GREETING - i < sizeof buf ? GREETING - i : sizeof buf;
            for (j = 0; j < k; j++) {
                buf[j] = lt_pattern(i + j);
            }
            srv_send_all(fd, buf, k);
        }
        break; /* FIN after the greeting */
    case SRV_SILENT:
        while (lwip_recv(fd, buf, sizeof buf, 0) > 0) {
        }
        break;
    case SRV_RESET:
        /* wait for data, then close with it unread: lwIP sends RST, not FIN */
        (void)lwip_recv(fd, buf, 1, MSG_PEEK);
        break;
    case SRV_QUIT:
        break;
    }
    (void)lwip_close(fd);
}

static void *srv_thread(void *arg)
{
    int lfd = *(int *)arg;
    for (;;) {
        int fd = lwip_accept(lfd, NULL, NULL);
        srv_mode_t mode = srv_mode;
        if (fd < 0) {
            break;
        }
        srv_accepted++;
        srv_connection(fd, mode);
        if (mode == SRV_QUIT) {
            break;
        }
    }
    (void)lwip_close(lfd);
    return NULL;
}

/* ------------------------------------------------------------ helpers */

static uint8_t out[BIG], in[BIG];

static uint32_t elapsed_since(uint32_t start)
{
    return (uint32_t)(sys_now() - start);
}

static crto_err_t connect_srv(srv_mode_t mode)
{
    srv_mode = mode;
    return port.connect(port.ctx, "127.0.0.1", SRV_PORT, 2000);
}

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

static void usage_now(lt_usage_t *u)
{
    LOCK_TCPIP_CORE();
    lt_usage_get(u);
    UNLOCK_TCPIP_CORE();
}

/* ------------------------------------------------------------ tests */

static void test_port_check(void)
{
    crto_lwip_sockets_t other;
    crto_port_t p2;
    crto_lwip_sockets_config_t cfg;
    crto_diag_t diag;
    memset(&cfg, 0, sizeof cfg);
    crto_lwip_sockets_port_init(&other, &p2, &cfg);
    CHECK_EQ_INT(crto_port_check(&p2, &diag), CRTO_ERR_CONFIG);
    CHECK(strstr(diag.msg, "entropy") != NULL);
    CHECK(p2.utc_now == NULL);
    CHECK_EQ_INT(crto_port_check(&port, &diag), CRTO_OK);
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
    CHECK(elapsed_since(start) < 1000);
    CHECK_EQ_INT(port.recv(port.ctx, in, 10, 0), -(int32_t)CRTO_ERR_CLOSED);
}

static void test_connect_timeout(void)
{
    uint32_t start = sys_now(), t;
    CHECK_EQ_INT(port.connect(port.ctx, "10.99.0.2", 80, 300), CRTO_ERR_TIMEOUT);
    t = elapsed_since(start);
    CHECK(t >= 300);
    CHECK(t < 800);
}

static void test_connect_unresolvable_and_unroutable(void)
{
    CHECK_EQ_INT(port.connect(port.ctx, "no-such-host.invalid", 80, 500), CRTO_ERR_RESOLVE);
    CHECK_EQ_INT(port.connect(port.ctx, "192.0.2.1", 80, 500), CRTO_ERR_CONNECT);
}

static void test_round_trip_100k(void)
{
    srv_mode = SRV_ECHO;
    CHECK_EQ_INT(port.connect(port.ctx, "localhost", SRV_PORT, 2000), CRTO_OK);
    (void)echo_round_trip(BIG);
    port.close(port.ctx);
}

static void test_recv_timeout_bounds(void)
{
    uint32_t start, t;
    CHECK_EQ_INT(connect_srv(SRV_SILENT), CRTO_OK);
    start = sys_now();
    CHECK_EQ_INT(port.recv(port.ctx, in, sizeof in, 200), 0);
    t = elapsed_since(start);
    CHECK(t >= 199); /* lwIP's poll counts whole milliseconds */
    CHECK(t < 400);
    start = sys_now();
    CHECK_EQ_INT(port.recv(port.ctx, in, sizeof in, 0), 0);
    CHECK(elapsed_since(start) < 50);
    port.close(port.ctx);
}

static void test_peer_close_after_data_drained(void)
{
    size_t got = 0;
    int32_t k;
    CHECK_EQ_INT(connect_srv(SRV_GREET_CLOSE), CRTO_OK);
    port.sleep_ms(port.ctx, 200); /* greeting and FIN arrive unread */
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
    int32_t k;
    CHECK_EQ_INT(connect_srv(SRV_RESET), CRTO_OK);
    CHECK_EQ_INT(port.send(port.ctx, out, 100, 1000), 100);
    k = port.recv(port.ctx, in, 100, 2000);
    CHECK_EQ_INT(k, -(int32_t)CRTO_ERR_RESET);
    k = port.send(port.ctx, out, 10, 100);
    CHECK(k == -(int32_t)CRTO_ERR_RESET || k == -(int32_t)CRTO_ERR_CLOSED);
    port.close(port.ctx);
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
    CHECK_EQ_INT(connect_srv(SRV_ECHO), CRTO_OK); /* replaces the open one */
    (void)echo_round_trip(3000);
    port.close(port.ctx);
}

static pthread_t srv_tid;

static void test_no_leak(void)
{
    lt_usage_t now;
    uint32_t start;
    /* the server thread closes its listener and ends */
    CHECK_EQ_INT(connect_srv(SRV_QUIT), CRTO_OK);
    (void)pthread_join(srv_tid, NULL);
    port.close(port.ctx);
    start = sys_now();
    do {
        sys_msleep(20);
        usage_now(&now);
    } while (lt_usage_diff(&baseline, &now, 0) != 0 && elapsed_since(start) < 3000);
    CHECK_EQ_INT(lt_usage_diff(&baseline, &now, 1), 0);
    /* heap and every pool at 0, but for lwIP's cyclic timers */
    CHECK_EQ_INT(lt_usage_beyond_timers(&now), 0);
    CHECK_EQ_INT(now.memp_used[MEMP_TCP_PCB], 0);
    CHECK_EQ_INT(now.memp_used[MEMP_NETCONN], 0);
}

static void tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

int main(void)
{
    static int lfd;
    crto_lwip_sockets_config_t cfg;
    struct sockaddr_in sa;
    ip4_addr_t bh_ip, bh_mask, bh_gw;
    sys_sem_t ready;

    (void)sys_sem_new(&ready, 0);
    tcpip_init(tcpip_ready, &ready);
    (void)sys_arch_sem_wait(&ready, 0);
    sys_sem_free(&ready);

    IP4_ADDR(&bh_ip, 10, 99, 0, 1);
    IP4_ADDR(&bh_mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&bh_gw);
    LOCK_TCPIP_CORE();
    (void)netif_add(&blackhole, &bh_ip, &bh_mask, &bh_gw, NULL, lt_blackhole_init, tcpip_input);
    netif_set_up(&blackhole);
    UNLOCK_TCPIP_CORE();
    sys_msleep(50); /* let lwIP's start-up settle before the baseline */
    usage_now(&baseline);

    lfd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_len = sizeof sa;
    sa.sin_family = AF_INET;
    sa.sin_port = lwip_htons(SRV_PORT);
    sa.sin_addr.s_addr = lwip_htonl(IPADDR_LOOPBACK);
    if (lfd < 0 || lwip_bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || lwip_listen(lfd, 4) != 0 ||
        pthread_create(&srv_tid, NULL, srv_thread, &lfd) != 0) {
        printf("cannot start the lwIP server\n0 passed, 1 failed\n");
        return 1;
    }

    memset(&cfg, 0, sizeof cfg);
    cfg.entropy = lt_entropy;
    crto_lwip_sockets_port_init(&net, &port, &cfg);

    lt_usage_print("lwIP at start-up (the leak baseline)", &baseline);
    RUN(test_port_check);
    RUN(test_clock_and_sleep);
    RUN(test_connect_refused);
    RUN(test_connect_timeout);
    RUN(test_connect_unresolvable_and_unroutable);
    RUN(test_round_trip_100k);
    RUN(test_recv_timeout_bounds);
    RUN(test_peer_close_after_data_drained);
    RUN(test_peer_reset);
    RUN(test_close_twice_and_reconnect);
    RUN(test_no_leak);
    return crto_test_summary();
}
