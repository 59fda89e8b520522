/*
 * test_lwip_raw_client.c - the real crto client (src/) over the raw-API
 * port, NO_SYS=1, one thread: a contact-list upload to
 * http://127.0.0.1:8080 (plain http is allowed to loopback), answered by
 * http_responder.c behind raw-API server callbacks. While crto waits for
 * its own I/O the port drives lwIP, and that is also when the server runs.
 *
 * Checks: 2,500 e-mails in 3 chunks arrive as the expected SHA-256 hashes
 * in order, with one token request and one connection; a removal with a
 * rejected line; and lwIP's heap and pools back at their baseline after
 * crto_client_deinit.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_lwip_raw.h"
#include "crto_test.h"
#include "http_responder.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip_test_util.h"
#include "upload_case.h"

#define HTTP_PORT 8080

static crto_lwip_raw_t net;
static crto_port_t port;
static crto_client_t client;
static lt_http_t http;
static struct tcp_pcb *listener;
static lt_usage_t baseline;

static void poll_loopback(void *ctx)
{
    (void)ctx;
    netif_poll_all();
}

/* ------------------------------------------------------------ the server */

static void srv_send(struct tcp_pcb *pcb)
{
    u16_t room = tcp_sndbuf(pcb);
    u16_t n = http.out_len < room ? (u16_t)http.out_len : room;
    if (n > 0 && tcp_write(pcb, http.out, n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
        memmove(http.out, http.out + n, http.out_len - n);
        http.out_len -= n;
        (void)tcp_output(pcb);
    }
}

static err_t srv_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg;
    (void)len;
    srv_send(pcb);
    return ERR_OK;
}

static err_t srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct pbuf *q;
    bool ok = true;
    (void)arg;
    (void)err;
    if (p == NULL) {
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    for (q = p; q != NULL && ok; q = q->next) {
        ok = lt_http_feed(&http, q->payload, q->len);
    }
    tcp_recved(pcb, p->tot_len);
    (void)pbuf_free(p);
    if (!ok) {
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    srv_send(pcb);
    return ERR_OK;
}

static err_t srv_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    lt_http_new_connection(&http);
    tcp_recv(pcb, srv_recv);
    tcp_sent(pcb, srv_sent);
    return ERR_OK;
}

/* ------------------------------------------------------------ tests */

static void test_upload_2500_emails(void)
{
    uc_upload_and_compare(&client, &http);
}

static void test_remove_with_a_rejected_line(void)
{
    uc_remove_with_a_rejected_line(&client, &http);
}

static void test_no_leak_after_deinit(void)
{
    lt_usage_t now;
    uint32_t start = sys_now();
    crto_client_deinit(&client);
    (void)tcp_close(listener);
    do {
        crto_lwip_raw_drive(&net);
        lt_usage_get(&now);
    } while (lt_usage_diff(&baseline, &now, 0) != 0 && (uint32_t)(sys_now() - start) < 3000);
    CHECK_EQ_INT(lt_usage_diff(&baseline, &now, 1), 0);
    /* heap and every pool at 0, but for lwIP's cyclic timers */
    CHECK_EQ_INT(lt_usage_beyond_timers(&now), 0);
}

int main(void)
{
    crto_lwip_raw_config_t pcfg;
    crto_client_config_t cfg = crto_client_config_default();
    struct tcp_pcb *pcb;

    lwip_init();
    lt_usage_get(&baseline);
    lt_http_init(&http, uc_received, sizeof uc_received / sizeof uc_received[0]);
    pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL || tcp_bind(pcb, IP4_ADDR_ANY, HTTP_PORT) != ERR_OK ||
        (listener = tcp_listen(pcb)) == NULL) {
        printf("cannot listen on lwIP port %d\n0 passed, 1 failed\n", HTTP_PORT);
        return 1;
    }
    tcp_accept(listener, srv_accept);

    memset(&pcfg, 0, sizeof pcfg);
    pcfg.poll = poll_loopback;
    pcfg.entropy = lt_entropy;
    crto_lwip_raw_port_init(&net, &port, &pcfg);
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
