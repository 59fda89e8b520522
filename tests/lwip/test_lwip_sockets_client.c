/*
 * test_lwip_sockets_client.c - the real crto client (src/) over the sockets
 * port, NO_SYS=0: a contact-list upload to http://127.0.0.1:8080 (plain
 * http is allowed to loopback), answered by http_responder.c in a server
 * thread on lwIP sockets.
 *
 * Checks: 2,500 e-mails in 3 chunks arrive as the expected SHA-256 hashes
 * in order, with one token request and one connection; a removal with a
 * rejected line; and lwIP's heap and pools back at their baseline after
 * crto_client_deinit and the server's exit.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_lwip_sockets.h"
#include "crto_test.h"
#include "http_responder.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip_test_util.h"
#include "upload_case.h"

#define HTTP_PORT 8080

static crto_lwip_sockets_t net;
static crto_port_t port;
static crto_client_t client;
static lt_http_t http;
static lt_usage_t baseline;
static int lfd = -1;
static volatile int srv_stop;

/* One connection at a time, as crto keeps one alive. */
static void *srv_thread(void *arg)
{
    static uint8_t buf[4096];
    (void)arg;
    for (;;) {
        int fd = lwip_accept(lfd, NULL, NULL);
        ssize_t n;
        if (fd < 0) {
            break;
        }
        if (srv_stop) {
            /* the wake-up connection of test_no_leak_after_deinit */
            (void)lwip_close(fd);
            break;
        }
        lt_http_new_connection(&http);
        while ((n = lwip_recv(fd, buf, sizeof buf, 0)) > 0) {
            size_t off = 0;
            if (!lt_http_feed(&http, buf, (size_t)n)) {
                break;
            }
            while (off < http.out_len) {
                ssize_t k = lwip_send(fd, http.out + off, http.out_len - off, 0);
                if (k <= 0) {
                    break;
                }
                off += (size_t)k;
            }
            http.out_len = 0;
        }
        (void)lwip_close(fd);
    }
    (void)lwip_close(lfd);
    return NULL;
}

static void test_upload_2500_emails(void)
{
    uc_upload_and_compare(&client, &http);
}

static void test_remove_with_a_rejected_line(void)
{
    uc_remove_with_a_rejected_line(&client, &http);
}

static pthread_t srv_tid;

static void test_no_leak_after_deinit(void)
{
    crto_lwip_sockets_t poke;
    crto_port_t p2;
    crto_lwip_sockets_config_t cfg;
    lt_usage_t now;
    uint32_t start;
    crto_client_deinit(&client);
    /* one more connection wakes the server's accept: it sees srv_stop
     * there and ends */
    srv_stop = 1;
    memset(&cfg, 0, sizeof cfg);
    crto_lwip_sockets_port_init(&poke, &p2, &cfg);
    CHECK_EQ_INT(p2.connect(p2.ctx, "127.0.0.1", HTTP_PORT, 2000), CRTO_OK);
    p2.close(p2.ctx);
    (void)pthread_join(srv_tid, NULL);
    start = sys_now();
    do {
        sys_msleep(20);
        LOCK_TCPIP_CORE();
        lt_usage_get(&now);
        UNLOCK_TCPIP_CORE();
    } while (lt_usage_diff(&baseline, &now, 0) != 0 && (uint32_t)(sys_now() - start) < 3000);
    CHECK_EQ_INT(lt_usage_diff(&baseline, &now, 1), 0);
    /* heap and every pool at 0, but for lwIP's cyclic timers */
    CHECK_EQ_INT(lt_usage_beyond_timers(&now), 0);
}

static void tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

int main(void)
{
    crto_lwip_sockets_config_t pcfg;
    crto_client_config_t cfg = crto_client_config_default();
    struct sockaddr_in sa;
    sys_sem_t ready;

    (void)sys_sem_new(&ready, 0);
    tcpip_init(tcpip_ready, &ready);
    (void)sys_arch_sem_wait(&ready, 0);
    sys_sem_free(&ready);
    sys_msleep(50);
    LOCK_TCPIP_CORE();
    lt_usage_get(&baseline);
    UNLOCK_TCPIP_CORE();

    lt_http_init(&http, uc_received, sizeof uc_received / sizeof uc_received[0]);
    lfd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_len = sizeof sa;
    sa.sin_family = AF_INET;
    sa.sin_port = lwip_htons(HTTP_PORT);
    sa.sin_addr.s_addr = lwip_htonl(IPADDR_LOOPBACK);
    if (lfd < 0 || lwip_bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || lwip_listen(lfd, 4) != 0 ||
        pthread_create(&srv_tid, NULL, srv_thread, NULL) != 0) {
        printf("cannot start the lwIP HTTP responder\n0 passed, 1 failed\n");
        return 1;
    }

    memset(&pcfg, 0, sizeof pcfg);
    pcfg.entropy = lt_entropy;
    crto_lwip_sockets_port_init(&net, &port, &pcfg);
    cfg.base_url = "http://127.0.0.1:8080";
    cfg.client_id = "demo-client";
    cfg.client_secret = "demo-secret";
    if (crto_client_init(&client, &port, &cfg) != CRTO_OK) {
        printf("crto_client_init: %s\n0 passed, 1 failed\n", client.diag.msg);
        return 1;
    }
    RUN(test_upload_2500_emails);
    RUN(test_remove_with_a_rejected_line);
    RUN(test_no_leak_after_deinit);
    return crto_test_summary();
}
