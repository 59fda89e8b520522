/*
 * e2e_main.c - the kiosk application of the mps2-an386 board, built twice
 * (rules.mk):
 *
 *   e2e.elf       (CRTO_MPS2_E2E=1) the end-to-end test image: the client
 *                 below uploads 10,000 e-mails over TLS to https://localhost,
 *                 and the in-image server of e2e_responder.c answers as
 *                 Criteo, over lwIP's loopback interface, in one super-loop.
 *                 It checks both ends and prints "N passed, N failed".
 *   firmware.elf  (CRTO_MPS2_E2E=0) the same client as a kiosk firmware
 *                 would link it: lwIP on an Ethernet interface with DHCP and
 *                 DNS, https://api.criteo.com, no test server. It is linked
 *                 for its size (docs/size.md), not run: the board's MAC
 *                 driver is a placeholder (board_eth_null.c).
 *
 * The super-loop: this program has one thread. crto's calls block; while
 * they wait, the raw lwIP port (port/lwip/crto_port_lwip_raw.c) loops on
 * its poll hook and sys_check_timeouts(). In e2e.elf the hook is
 * e2e_poll(): netif_poll_all() delivers what the loopback interface queued
 * (running both ends' lwIP callbacks, which only queue pbufs), then
 * e2e_srv_poll() steps the server's TLS and HTTP as far as they go without
 * blocking. So the server advances exactly when the client waits for it.
 *
 * The identifiers come from a generator (crto_id_source_t): line j is made
 * from j when crto asks for it, never all in RAM. The client side also
 * computes, independently of crto, the SHA-256 of each normalised e-mail
 * and folds the hex digests, in order, into one SHA-256; the server folds
 * what it received the same way, and the two must match.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "board.h"
#include "crto/crto.h"
#include "crto_port_lwip_raw.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#if CRTO_MPS2_E2E
#include "e2e_responder.h"
#else
#include "board_eth_null.h"
#include "lwip/dhcp.h"
#endif

extern const char e2e_ca_pem[]; /* gen_certs.sh: the test CA (public) */

/* 10,000 valid e-mails; after every 1,000 a line crto must refuse. One
 * chunk of 10,000: one token request, one PATCH, one TLS handshake. */
#define N_IDS 10000u
#define BAD_EVERY 1000u
#define N_BAD (N_IDS / BAD_EVERY)
#define N_LINES (N_IDS + N_BAD)
#define CHUNK 10000u

static crto_lwip_raw_t net;
static crto_port_t port;
static crto_client_t client;

/* ---- the identifier generator ------------------------------------------------ */

/* Line j is bad when j % (BAD_EVERY + 1) == BAD_EVERY; otherwise it is
 * e-mail number j - (j + 1) / (BAD_EVERY + 1). */
static bool line_is_bad(uint32_t j)
{
    return j % (BAD_EVERY + 1u) == BAD_EVERY;
}

static uint32_t line_email(uint32_t j)
{
    return j - (j + 1u) / (BAD_EVERY + 1u);
}

/* E-mail i, normalised: what Criteo must receive the SHA-256 of. */
static size_t email_clean(uint32_t i, char *out, size_t cap)
{
    static const char *const names[] = { "ann", "bob", "cecil", "dora" };
    int n = snprintf(out, cap, "user%lu.%s@shop-%lu.example.com", (unsigned long)i, names[i % 4u],
                     (unsigned long)(i % 97u));
    return n > 0 ? (size_t)n : 0;
}

/* Line j as a cashier typed it: mixed case, stray blanks around. */
static size_t line_text(uint32_t j, char *out, size_t cap)
{
    static const char *const pads[] = { "", " ", "\t", "  " };
    char clean[64];
    size_t n, k, len = 0;
    uint32_t i;

    if (line_is_bad(j)) {
        int m = snprintf(out, cap, "not-an-e-mail-%lu", (unsigned long)j);
        return m > 0 ? (size_t)m : 0;
    }
    i = line_email(j);
    n = email_clean(i, clean, sizeof clean);
    for (k = 0; pads[i % 4u][k] != '\0' && len + 1 < cap; k++) {
        out[len++] = pads[i % 4u][k];
    }
    for (k = 0; k < n && len + 1 < cap; k++) {
        char c = clean[k];
        out[len++] = (i + k) % 3u == 0 && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    for (k = 0; pads[(i / 4u) % 4u][k] != '\0' && len + 1 < cap; k++) {
        out[len++] = pads[(i / 4u) % 4u][k];
    }
    out[len] = '\0';
    return len;
}

typedef struct {
    uint32_t j;
    char buf[96];
} gen_t;

static crto_err_t gen_next(void *arg, const char **text, size_t *len, uint32_t *line)
{
    gen_t *g = arg;
    if (g->j >= N_LINES) {
        *text = NULL;
        *len = 0;
        return CRTO_OK;
    }
    *len = line_text(g->j, g->buf, sizeof g->buf);
    *text = g->buf;
    *line = g->j + 1u;
    g->j++;
    return CRTO_OK;
}

static crto_err_t gen_tell(void *arg, crto_source_pos_t *pos)
{
    const gen_t *g = arg;
    pos->offset = g->j;
    pos->line = g->j;
    return CRTO_OK;
}

static crto_err_t gen_seek(void *arg, const crto_source_pos_t *pos)
{
    gen_t *g = arg;
    if (pos->offset > N_LINES) {
        return CRTO_ERR_IO;
    }
    g->j = (uint32_t)pos->offset;
    return CRTO_OK;
}

/* ---- the upload, as the kiosk does it ---------------------------------------- */

static gen_t gen;
static uint32_t rejected_lines;

static void on_reject(void *arg, uint32_t line, const crto_diag_t *why)
{
    (void)arg;
    (void)why;
    if (line_is_bad(line - 1u)) {
        rejected_lines++;
    }
}

static crto_err_t upload(const char *segment, crto_upload_summary_t *sum)
{
    crto_upload_t job = crto_upload_default();

    memset(sum, 0, sizeof *sum);
    memset(&gen, 0, sizeof gen);
    job.segment_id = segment;
    job.chunk_size = CHUNK;
    job.on_reject = on_reject;
    job.source.arg = &gen;
    job.source.next = gen_next;
    job.source.tell = gen_tell;
    job.source.seek = gen_seek;
    return crto_contact_list_upload(&client, &job, sum);
}

static crto_err_t board_entropy_hook(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    return board_entropy(buf, len) == 0 ? CRTO_OK : CRTO_ERR_TLS;
}

static void log_hook(void *ctx, crto_log_level_t level, const char *line)
{
    (void)ctx;
    board_log(level, line);
}

/* The client: the raw lwIP port with the board's entropy and log, crto's
 * defaults, TLS with SNI and host-name check against ca_pem. */
static crto_err_t client_start(const char *base_url, void (*poll)(void *), const char *id, const char *secret)
{
    crto_lwip_raw_config_t pcfg;
    crto_client_config_t cfg = crto_client_config_default();

    memset(&pcfg, 0, sizeof pcfg);
    pcfg.poll = poll;
    pcfg.entropy = board_entropy_hook;
    pcfg.log = log_hook;
    crto_lwip_raw_port_init(&net, &port, &pcfg);
    cfg.base_url = base_url;
    cfg.ca_pem = e2e_ca_pem;
    cfg.ca_pem_len = strlen(e2e_ca_pem) + 1u;
    cfg.client_id = id;
    cfg.client_secret = secret;
    cfg.log_level = CRTO_LOG_WARN;
    return crto_client_init(&client, &port, &cfg);
}

static void print_summary(crto_err_t e, const crto_upload_summary_t *sum, uint64_t ms)
{
    printf("upload: %s; accepted %llu, rejected %llu, sent %llu, chunks %lu, nbValid %llu, nbInvalid %llu, %lu ms\n",
           e == CRTO_OK ? "OK" : client.diag.msg, (unsigned long long)sum->accepted, (unsigned long long)sum->rejected,
           (unsigned long long)sum->sent, (unsigned long)sum->chunks, (unsigned long long)sum->nb_valid,
           (unsigned long long)sum->nb_invalid, (unsigned long)ms);
    printf("client: %lu requests (%lu token), %lu connections, %lu TLS handshakes (%lu resumed), "
           "%llu B sent, %llu B received\n",
           (unsigned long)client.stats.requests, (unsigned long)client.stats.token_requests,
           (unsigned long)client.stats.connections, (unsigned long)client.stats.tls_handshakes,
           (unsigned long)client.stats.tls_resumed, (unsigned long long)client.stats.bytes_sent,
           (unsigned long long)client.stats.bytes_received);
}

#if CRTO_MPS2_E2E
/* ==== e2e.elf: both ends, checked ============================================= */

static int passed, failed;

static void check(bool ok, const char *what)
{
    printf("%s - %s\n", ok ? "ok" : "not ok", what);
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

#define CHECK_NUM(got, want, what)                                                                                     \
    do {                                                                                                               \
        unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want);                            \
        char m_[160];                                                                                                  \
        (void)snprintf(m_, sizeof m_, "%s: %llu (want %llu)", (what), g_, w_);                                         \
        check(g_ == w_, m_);                                                                                           \
    } while (0)

/* The port's poll hook: the loopback queue, then the server. */
static void e2e_poll(void *ctx)
{
    (void)ctx;
    netif_poll_all();
    e2e_srv_poll();
}

/* Independently of crto: SHA-256 of each normalised e-mail, as lowercase
 * hex, folded in order into one SHA-256. */
static void expected_fold(unsigned char digest[32])
{
    static const char hex[] = "0123456789abcdef";
    mbedtls_sha256_context fold;
    uint32_t i;

    mbedtls_sha256_init(&fold);
    (void)mbedtls_sha256_starts_ret(&fold, 0);
    for (i = 0; i < N_IDS; i++) {
        char clean[64], h[64];
        unsigned char d[32];
        size_t n = email_clean(i, clean, sizeof clean), k;
        (void)mbedtls_sha256_ret((const unsigned char *)clean, n, d, 0);
        for (k = 0; k < 32; k++) {
            h[2 * k] = hex[d[k] >> 4];
            h[2 * k + 1] = hex[d[k] & 15u];
        }
        (void)mbedtls_sha256_update_ret(&fold, (const unsigned char *)h, sizeof h);
    }
    (void)mbedtls_sha256_finish_ret(&fold, digest);
    mbedtls_sha256_free(&fold);
}

static void print_digest(const char *who, const unsigned char d[32])
{
    unsigned k;
    printf("%s", who);
    for (k = 0; k < 32; k++) {
        printf("%02x", d[k]);
    }
    printf("\n");
}

int main(void)
{
    crto_upload_summary_t sum;
    const e2e_srv_report_t *rep;
    unsigned char want[32], got[32];
    uint64_t t0 = board_now_ms(), t_up;
    size_t srv_size, srv_peak, srv_blocks, srv_cur, srv_stack_size, srv_stack_hw;
    long cli_peak, cli_blocks, cli_cur;
    crto_err_t e;

    printf("crto end-to-end on mps2-an386 (Cortex-M4F): %u e-mails (+%u bad lines) over TLS to https://localhost,\n"
           "lwIP %s NO_SYS=1 loopback, in-image mbedTLS server playing Criteo\n",
           N_IDS, N_BAD, LWIP_VERSION_STRING);
    board_tls_arena_init(); /* the client's arena: the firmware's size */
    lwip_init();
    if (e2e_srv_init(443) != 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    expected_fold(want);
    printf("expected fold computed in %lu ms\n", (unsigned long)(board_now_ms() - t0));

    e = client_start("https://localhost", e2e_poll, "demo-client", "demo-secret");
    check(e == CRTO_OK, "crto_client_init (https://localhost, test CA as the only trust anchor)");
    if (e != CRTO_OK) {
        printf("  %s\n%d passed, %d failed\n", client.diag.msg, passed, failed);
        return 1;
    }
    t_up = board_now_ms();
    e = upload("4242", &sum);
    t_up = board_now_ms() - t_up;
    print_summary(e, &sum, t_up);
    rep = e2e_srv_report();

    /* the client's view */
    check(e == CRTO_OK, "crto_contact_list_upload returned CRTO_OK");
    CHECK_NUM(sum.accepted, N_IDS, "summary: accepted");
    CHECK_NUM(sum.rejected, N_BAD, "summary: rejected (bad lines refused locally)");
    CHECK_NUM(rejected_lines, N_BAD, "on_reject reported exactly the bad lines");
    CHECK_NUM(sum.sent, N_IDS, "summary: sent");
    CHECK_NUM(sum.chunks, 1, "summary: chunks");
    CHECK_NUM(sum.nb_valid, N_IDS, "summary: nbValidIdentifiers as answered");
    CHECK_NUM(sum.nb_invalid, 0, "summary: nbInvalidIdentifiers as answered");
    CHECK_NUM(client.stats.token_requests, 1, "client: token requests");
    CHECK_NUM(client.stats.requests, 2, "client: requests (1 token + 1 PATCH)");
    CHECK_NUM(client.stats.connections, 1, "client: connections");
    CHECK_NUM(client.stats.tls_handshakes, 1, "client: TLS handshakes");
    /* the server's view */
    CHECK_NUM(rep->accepts, 1, "server: TCP connections accepted");
    CHECK_NUM(rep->handshakes, 1, "server: TLS handshakes");
    CHECK_NUM(rep->tls_errors, 0, "server: TLS errors");
    check(strcmp(rep->sni, "localhost") == 0, "server: the client sent SNI \"localhost\"");
    CHECK_NUM(rep->token_requests, 1, "server: token requests");
    CHECK_NUM(rep->patches, 1, "server: PATCH requests");
    CHECK_NUM(rep->bad_requests, 0, "server: requests not answered 200");
    CHECK_NUM(rep->ids, N_IDS, "server: identifiers received");
    CHECK_NUM(rep->ids_malformed, 0, "server: identifiers not 64 lowercase hex");
    check(strcmp(rep->last_op, "add") == 0 && strcmp(rep->last_type, "email") == 0 &&
              strcmp(rep->last_segment, "4242") == 0,
          "server: operation add, identifierType email, segment 4242");
    e2e_srv_fold(got);
    print_digest("fold, client side: ", want);
    print_digest("fold, server side: ", got);
    check(memcmp(want, got, sizeof want) == 0,
          "the SHA-256 fold of the hashes the server received equals the client's, computed apart from crto");

    /* Tear down: close_notify, FIN; drive lwIP so the server sees them. */
    crto_client_deinit(&client);
    {
        uint64_t until = board_now_ms() + 300u;
        while (board_now_ms() < until) {
            crto_lwip_raw_drive(&net);
        }
    }
    CHECK_NUM(rep->close_notify, 1, "server: the client closed with close_notify");
    cli_peak = board_tls_arena_peak(&cli_blocks, &cli_cur);
    e2e_srv_free();
    e2e_srv_arena(&srv_size, &srv_peak, &srv_blocks, &srv_cur);
    e2e_srv_stack(&srv_stack_size, &srv_stack_hw);
    CHECK_NUM(cli_cur, 0, "client TLS arena: nothing left allocated after crto_client_deinit");
    CHECK_NUM(srv_cur, 0, "server TLS arena: nothing left allocated after the server is freed");
    check(cli_peak > 0 && (size_t)cli_peak < board_tls_arena_size(),
          "client TLS arena: peak measured, within the arena");

    printf("TLS arena, client (the firmware's arena, %u B): peak %ld B in %ld blocks "
           "(+%ld B of allocator headers at 32 B/block = %ld B)\n",
           (unsigned)board_tls_arena_size(), cli_peak, cli_blocks, cli_blocks * 32, cli_peak + cli_blocks * 32);
    printf("TLS arena, server (test only, %u B): peak %u B in %u blocks\n", (unsigned)srv_size, (unsigned)srv_peak,
           (unsigned)srv_blocks);
    printf("TLS arenas, client + server: %ld B (sum of the two peaks: an upper bound for one arena shared by both)\n",
           cli_peak + (long)srv_peak);
#if MEM_STATS
    printf("lwIP heap (both ends, loopback copies included): peak %u of %u B\n", (unsigned)lwip_stats.mem.max,
           (unsigned)MEM_SIZE);
#endif
    printf("stack, client (the board's thread stack): high-water %u of %u B\n", (unsigned)board_stack_high_water(),
           (unsigned)board_stack_size());
    printf("stack, server (its own, test only): high-water %u of %u B\n", (unsigned)srv_stack_hw,
           (unsigned)srv_stack_size);
    printf("wall time: %lu ms in all, %lu ms for the upload (SysTick, follows the host's clock under QEMU)\n",
           (unsigned long)(board_now_ms() - t0), (unsigned long)t_up);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#else
/* ==== firmware.elf: the same client, on Ethernet ================================ */

static struct netif eth;

static void fw_poll(void *ctx)
{
    (void)ctx;
    board_eth_null_poll(&eth);
}

int main(void)
{
    crto_upload_summary_t sum;
    uint64_t t0;
    crto_err_t e;

    board_tls_arena_init();
    lwip_init();
    if (netif_add(&eth, NULL, NULL, NULL, NULL, board_eth_null_init, netif_input) == NULL) {
        return 1;
    }
    netif_set_default(&eth);
    netif_set_up(&eth);
    (void)dhcp_start(&eth);
    /* An address (and DNS servers) from DHCP, within 10 s. */
    t0 = board_now_ms();
    while (!dhcp_supplied_address(&eth) && board_now_ms() - t0 < 10000u) {
        fw_poll(NULL);
        sys_check_timeouts();
    }
    if (!dhcp_supplied_address(&eth)) {
        printf("firmware: no DHCP lease (this board's MAC driver is a placeholder)\n");
        return 2;
    }
    /* Credentials would come from the device's provisioning. */
    e = client_start("https://api.criteo.com", fw_poll, "kiosk-client-id", "kiosk-client-secret");
    if (e != CRTO_OK) {
        printf("crto_client_init: %s\n", client.diag.msg);
        return 1;
    }
    t0 = board_now_ms();
    e = upload("4242", &sum);
    print_summary(e, &sum, board_now_ms() - t0);
    crto_client_deinit(&client);
    return e == CRTO_OK ? 0 : 1;
}
#endif
