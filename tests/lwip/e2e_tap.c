/*
 * e2e_tap.c - crto over lwIP (sockets port, NO_SYS=0) through a TAP device
 * to the real fake Criteo server over TLS. Run by test_lwip_e2e.py inside a
 * network namespace, which creates the TAP device at 10.77.0.1/24 and
 * checks the server's state afterwards.
 *
 * lwIP sits at 10.77.0.2 on the TAP link. The server's certificate names
 * "localhost" (and mbedTLS 2.28 matches DNS names only), so the base URL
 * says https://localhost:PORT and lwIP's local host list maps localhost to
 * 10.77.0.1: the TLS name check is the real one, against the fake's CA.
 *
 * usage: e2e_tap TAP CA_FILE BASE_URL SEGMENT CHUNK INPUT_FILE
 * Prints one check per line and "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crto/crto.h"
#include "crto_port_lwip_sockets.h"
#include "crto_test.h"
#include "host/tapif.h"
#include "lwip/dns.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

static crto_lwip_sockets_t net;
static crto_port_t port;
static crto_client_t client;
static crto_tapif_t tap;
static struct netif tap_netif;
static char ca[1 << 16];
static char input[4 << 20];
static size_t input_len;
static const char *segment;
static uint32_t chunk;
static unsigned n_lines;

static crto_err_t host_entropy(void *ctx, uint8_t *buf, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n;
    (void)ctx;
    if (f == NULL) {
        return CRTO_ERR_IO;
    }
    n = fread(buf, 1, len, f);
    (void)fclose(f);
    return n == len ? CRTO_OK : CRTO_ERR_IO;
}

static crto_err_t host_utc(void *ctx, int64_t *unix_seconds)
{
    (void)ctx;
    *unix_seconds = (int64_t)time(NULL);
    return CRTO_OK;
}

static void host_log(void *ctx, crto_log_level_t level, const char *line)
{
    (void)ctx;
    if (level <= CRTO_LOG_WARN) {
        fprintf(stderr, "crto: %s\n", line);
    }
}

/* Whole file into buf[cap], NUL-terminated; returns its length or -1. */
static long read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, cap - 1, f);
    (void)fclose(f);
    if (n == cap - 1) {
        return -1;
    }
    buf[n] = '\0';
    return (long)n;
}

static void tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

static void test_upload_over_tls_through_lwip(void)
{
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    crto_lines_source_t lines;
    uint64_t t0 = port.now_ms(port.ctx), t1;
    crto_err_t e;

    memset(&sum, 0, sizeof sum);
    job.segment_id = segment;
    job.chunk_size = chunk;
    crto_lines_source_init(&lines, input, input_len, &job.source);
    e = crto_contact_list_upload(&client, &job, &sum);
    t1 = port.now_ms(port.ctx);
    if (e != CRTO_OK) {
        printf("  upload: %s\n", client.diag.msg);
    }
    CHECK_EQ_INT(e, CRTO_OK);
    CHECK_EQ_INT(sum.accepted, n_lines);
    CHECK_EQ_INT(sum.rejected, 0);
    CHECK_EQ_INT(sum.sent, n_lines);
    CHECK_EQ_INT(sum.chunks, (n_lines + chunk - 1) / chunk);
    CHECK_EQ_INT(client.stats.token_requests, 1);
    CHECK_EQ_INT(client.stats.connections, 1);
    CHECK_EQ_INT(client.stats.tls_handshakes, 1);
    printf("# %u e-mails, %u chunks, %u requests, %u TLS handshake(s), %llu bytes sent, %.2f s\n", n_lines,
           (unsigned)sum.chunks, (unsigned)client.stats.requests, (unsigned)client.stats.tls_handshakes,
           (unsigned long long)client.stats.bytes_sent, (double)(t1 - t0) / 1000.0);
}

int main(int argc, char **argv)
{
    crto_lwip_sockets_config_t pcfg;
    crto_client_config_t cfg = crto_client_config_default();
    ip4_addr_t ip, mask, gw;
    ip_addr_t server;
    sys_sem_t ready;
    long n;
    size_t i;
    err_t e;

    if (argc != 7) {
        fprintf(stderr, "usage: %s TAP CA_FILE BASE_URL SEGMENT CHUNK INPUT_FILE\n", argv[0]);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    segment = argv[4];
    chunk = (uint32_t)strtoul(argv[5], NULL, 10);
    n = read_file(argv[2], ca, sizeof ca);
    if (n < 0 || (n = read_file(argv[6], input, sizeof input)) < 0) {
        printf("cannot read the CA or the input file\n0 passed, 1 failed\n");
        return 1;
    }
    input_len = (size_t)n;
    for (i = 0; i < input_len; i++) {
        n_lines += input[i] == '\n';
    }

    (void)sys_sem_new(&ready, 0);
    tcpip_init(tcpip_ready, &ready);
    (void)sys_arch_sem_wait(&ready, 0);
    sys_sem_free(&ready);

    IP4_ADDR(&ip, 10, 77, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 77, 0, 1);
    IP_ADDR4(&server, 10, 77, 0, 1);
    (void)snprintf(tap.name, sizeof tap.name, "%s", argv[1]);
    LOCK_TCPIP_CORE();
    e = netif_add(&tap_netif, &ip, &mask, &gw, &tap, crto_tapif_init, tcpip_input) != NULL ? ERR_OK : ERR_IF;
    if (e == ERR_OK) {
        netif_set_default(&tap_netif);
        netif_set_up(&tap_netif);
        e = dns_local_addhost("localhost", &server);
    }
    UNLOCK_TCPIP_CORE();
    if (e != ERR_OK) {
        printf("cannot attach to TAP device %s (or add the host entry)\n0 passed, 1 failed\n", argv[1]);
        return 1;
    }

    memset(&pcfg, 0, sizeof pcfg);
    pcfg.entropy = host_entropy;
    pcfg.utc_now = host_utc;
    pcfg.log = host_log;
    crto_lwip_sockets_port_init(&net, &port, &pcfg);
    cfg.base_url = argv[3];
    cfg.ca_pem = ca;
    cfg.ca_pem_len = strlen(ca) + 1;
    cfg.client_id = "demo-client";
    cfg.client_secret = "demo-secret";
    if (crto_client_init(&client, &port, &cfg) != CRTO_OK) {
        printf("crto_client_init: %s\n0 passed, 1 failed\n", client.diag.msg);
        return 1;
    }
    RUN(test_upload_over_tls_through_lwip);
    crto_client_deinit(&client);
    sys_msleep(100); /* let the FIN go out before the device goes */
    crto_tapif_stop(&tap);
    return crto_test_summary();
}
