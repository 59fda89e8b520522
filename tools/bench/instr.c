/*
 * instr.c - make bench's instruction counts: a deterministic run of crto's
 * upload for valgrind --tool=callgrind, with nothing of the machine in it.
 *
 *   valgrind --tool=callgrind instr COUNT CA.pem SERVER.pem SERVER.key
 *
 * One process, one thread, no sockets: crto talks through an in-memory
 * port to an in-process server (an mbedTLS 2.28 TLS server with a seeded
 * DRBG, answering with tests/lwip/http_responder.c). crto's entropy is a
 * seeded generator and its clocks are counters, so every run executes the
 * very same instructions. The server's own work runs with callgrind's
 * collection switched off, so the counts are the client's alone.
 *
 * It measures, one callgrind dump each (CALLGRIND_DUMP_STATS_AT):
 *   sha          mbedtls_sha256_ret of the COUNT normalised e-mails in a
 *                tight loop: the floor for "normalise + hash + encode".
 *   upload-plain crto_contact_list_upload of the COUNT raw e-mails (mixed
 *                case, stray spaces) in one chunk over plain HTTP to
 *                127.0.0.1: normalise (sizing pass and sending pass), hash,
 *                JSON and HTTP encoding, the token call and the answers.
 *   upload-tls   the same upload over TLS to localhost: adds the handshake
 *                and the TLS write path (crto_tls_send and below).
 * and prints the request bytes each upload sent, for per-byte figures.
 * tools/bench/instr.py runs it and turns the dumps into docs/bench.md's
 * instruction table. A benchmark tool: it may use the heap (mbedTLS's
 * server side does).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <valgrind/callgrind.h>

#include "crto/crto.h"
#include "http_responder.h"

#define MAX_COUNT 50000u
#define PIPE_CAP (64u * 1024u)

/* ---- the identifiers: raw (as a cashier typed them) and normalised ---- */

static char g_raw[MAX_COUNT * 64];
static size_t g_raw_len;
static char g_norm[MAX_COUNT * 64];
static size_t g_norm_off[MAX_COUNT + 1];

static void make_emails(unsigned count)
{
    static const char *const names[] = { "alice", "bob", "carol", "dave", "erin", "frank" };
    static const char *const domains[] = { "example.com", "mail.example.org", "shop.example.net", "example.fr" };
    static const char *const pads[] = { "", "", " ", "\t", "  " };
    size_t norm_len = 0;
    unsigned i;
    for (i = 0; i < count; i++) {
        char clean[64], mixed[64];
        size_t j, n = (size_t)snprintf(clean, sizeof clean, "%s.%u@%s", names[i % 6], i, domains[(i / 6) % 4]);
        for (j = 0; j <= n; j++) {
            char c = clean[j];
            mixed[j] = (char)((i * 7 + j) % 3 == 0 && c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        g_raw_len += (size_t)snprintf(g_raw + g_raw_len, sizeof g_raw - g_raw_len, "%s%s%s\n", pads[i % 5], mixed,
                                      pads[(i / 5) % 5]);
        g_norm_off[i] = norm_len;
        memcpy(g_norm + norm_len, clean, n);
        norm_len += n;
    }
    g_norm_off[count] = norm_len;
}

/* ---- the in-memory connection and the in-process server ---- */

typedef struct {
    uint8_t b[PIPE_CAP];
    size_t len;
} pipe_t;

static pipe_t g_c2s, g_s2c;
static int g_tls;       /* the server speaks TLS            */
static int g_open;      /* a connection is open             */
static int g_handshook; /* the server finished its handshake */
static int g_measuring; /* callgrind collects now           */
static int g_profile;   /* INSTR_PROFILE set: no dumps or toggles, for
                         * --toggle-collect=FUNCTION profiles by hand */
static uint64_t g_now, g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t g_sent;  /* bytes the client sent (TLS records or plain) */
static lt_http_t g_http;
static lt_http_id_t g_ids[4];

static mbedtls_ssl_context g_srv;
static mbedtls_ssl_config g_srv_conf;
static mbedtls_ctr_drbg_context g_srv_drbg;
static mbedtls_x509_crt g_srv_cert;
static mbedtls_pk_context g_srv_key;

static size_t pipe_put(pipe_t *p, const uint8_t *buf, size_t len)
{
    size_t n = len < PIPE_CAP - p->len ? len : PIPE_CAP - p->len;
    memcpy(p->b + p->len, buf, n);
    p->len += n;
    return n;
}

static size_t pipe_take(pipe_t *p, uint8_t *buf, size_t len)
{
    size_t n = len < p->len ? len : p->len;
    memcpy(buf, p->b, n);
    memmove(p->b, p->b + n, p->len - n);
    p->len -= n;
    return n;
}

static int srv_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    size_t n = pipe_put(&g_s2c, buf, len);
    (void)ctx;
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : (int)n;
}

static int srv_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    size_t n = pipe_take(&g_c2s, buf, len);
    (void)ctx;
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_READ : (int)n;
}

static void fail(const char *what, int rc)
{
    fprintf(stderr, "instr: %s failed (%d)\n", what, rc);
    exit(1);
}

/* Moves the server as far as it goes; its instructions are not counted. */
static void server_step(void)
{
    static uint8_t buf[16384];
    if (g_measuring) {
        CALLGRIND_TOGGLE_COLLECT;
    }
    if (!g_tls) {
        size_t n;
        while ((n = pipe_take(&g_c2s, buf, sizeof buf)) > 0) {
            if (!lt_http_feed(&g_http, buf, n)) {
                fail("the responder refused a request", 0);
            }
        }
        if (pipe_put(&g_s2c, g_http.out, g_http.out_len) != g_http.out_len) {
            fail("queueing an answer", 0);
        }
        g_http.out_len = 0;
    } else {
        int rc;
        if (!g_handshook) {
            rc = mbedtls_ssl_handshake(&g_srv);
            if (rc == 0) {
                g_handshook = 1;
            } else if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
                fail("server handshake", rc);
            }
        }
        while (g_handshook && (rc = mbedtls_ssl_read(&g_srv, buf, sizeof buf)) > 0) {
            if (!lt_http_feed(&g_http, buf, (size_t)rc)) {
                fail("the responder refused a request", 0);
            }
        }
        if (g_handshook && g_http.out_len > 0) {
            rc = mbedtls_ssl_write(&g_srv, g_http.out, g_http.out_len);
            if (rc != (int)g_http.out_len) {
                fail("server write", rc);
            }
            g_http.out_len = 0;
        }
    }
    if (g_measuring) {
        CALLGRIND_TOGGLE_COLLECT;
    }
}

static crto_err_t p_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    (void)ctx, (void)host, (void)port, (void)timeout_ms;
    g_c2s.len = g_s2c.len = 0;
    g_open = 1;
    g_handshook = 0;
    lt_http_new_connection(&g_http);
    if (g_tls) {
        int rc = mbedtls_ssl_session_reset(&g_srv);
        if (rc != 0) {
            fail("server session reset", rc);
        }
    }
    return CRTO_OK;
}

static int32_t p_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    size_t n;
    (void)ctx, (void)timeout_ms;
    if (!g_open) {
        return -(int32_t)CRTO_ERR_RESET;
    }
    if (g_c2s.len == PIPE_CAP) {
        server_step();
    }
    n = pipe_put(&g_c2s, buf, len > INT32_MAX ? INT32_MAX : len);
    g_sent += n;
    server_step();
    return (int32_t)n;
}

static int32_t p_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    size_t n;
    (void)ctx;
    if (!g_open) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    server_step();
    n = pipe_take(&g_s2c, buf, len > INT32_MAX ? INT32_MAX : len);
    if (n == 0) {
        g_now += timeout_ms; /* nothing to read: the wait "passes" */
    }
    return (int32_t)n;
}

static void p_close(void *ctx)
{
    (void)ctx;
    g_open = 0;
}

static uint64_t p_now(void *ctx)
{
    (void)ctx;
    return ++g_now;
}

static crto_err_t p_utc(void *ctx, int64_t *t)
{
    (void)ctx;
    *t = 1795000000; /* 2026-11 */
    return CRTO_OK;
}

/* xorshift64*: seeded, so every run draws the same "entropy". */
static crto_err_t p_entropy(void *ctx, uint8_t *buf, size_t len)
{
    size_t i;
    (void)ctx;
    for (i = 0; i < len; i++) {
        g_rng ^= g_rng >> 12;
        g_rng ^= g_rng << 25;
        g_rng ^= g_rng >> 27;
        buf[i] = (uint8_t)((g_rng * 0x2545F4914F6CDD1Dull) >> 56);
    }
    return CRTO_OK;
}

static int srv_entropy(void *ctx, unsigned char *buf, size_t len)
{
    return p_entropy(ctx, buf, len) == CRTO_OK ? 0 : -1;
}

static void p_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    g_now += ms;
}

/* The suite the fake server (OpenSSL) picks with crto, unless INSTR_SUITE
 * names another: aes128 or chacha20 (to compare the record costs). */
static int k_suites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0 };

static void server_init(const char *cert, const char *key)
{
    int rc;
    mbedtls_ssl_init(&g_srv);
    mbedtls_ssl_config_init(&g_srv_conf);
    mbedtls_ctr_drbg_init(&g_srv_drbg);
    mbedtls_x509_crt_init(&g_srv_cert);
    mbedtls_pk_init(&g_srv_key);
    if ((rc = mbedtls_ctr_drbg_seed(&g_srv_drbg, srv_entropy, NULL, (const unsigned char *)"instr", 5)) != 0) {
        fail("server DRBG seed", rc);
    }
    if ((rc = mbedtls_x509_crt_parse_file(&g_srv_cert, cert)) != 0) {
        fail("reading the server certificate", rc);
    }
    if ((rc = mbedtls_pk_parse_keyfile(&g_srv_key, key, NULL)) != 0) {
        fail("reading the server key", rc);
    }
    if ((rc = mbedtls_ssl_config_defaults(&g_srv_conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        fail("server config", rc);
    }
    mbedtls_ssl_conf_rng(&g_srv_conf, mbedtls_ctr_drbg_random, &g_srv_drbg);
    if (getenv("INSTR_SUITE") != NULL && strcmp(getenv("INSTR_SUITE"), "aes128") == 0) {
        k_suites[0] = MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    } else if (getenv("INSTR_SUITE") != NULL && strcmp(getenv("INSTR_SUITE"), "chacha20") == 0) {
        k_suites[0] = MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    }
    mbedtls_ssl_conf_ciphersuites(&g_srv_conf, k_suites);
    if ((rc = mbedtls_ssl_conf_own_cert(&g_srv_conf, &g_srv_cert, &g_srv_key)) != 0) {
        fail("server certificate", rc);
    }
    if ((rc = mbedtls_ssl_setup(&g_srv, &g_srv_conf)) != 0) {
        fail("server setup", rc);
    }
    mbedtls_ssl_set_bio(&g_srv, NULL, srv_bio_send, srv_bio_recv, NULL);
}

static char g_ca[16384];

static void read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f != NULL ? fread(buf, 1, cap - 1, f) : 0;
    if (f == NULL || n == 0 || n == cap - 1) {
        fprintf(stderr, "instr: cannot read %s\n", path);
        exit(1);
    }
    buf[n] = '\0';
    fclose(f);
}

static crto_client_t g_client; /* ~14.5 KB: static, as on a device */

/* One whole upload (token call included) of the COUNT e-mails in one chunk,
 * or (count 0) the token call alone: its fixed cost, subtracted by
 * instr.py. The client's instructions go to the callgrind dump `name`. */
static void upload(const char *name, int tls, unsigned count)
{
    crto_result_t token_result;
    crto_port_t port;
    crto_client_config_t cfg;
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    crto_lines_source_t lines;
    crto_err_t e;

    memset(&port, 0, sizeof port);
    port.connect = p_connect;
    port.send = p_send;
    port.recv = p_recv;
    port.close = p_close;
    port.now_ms = p_now;
    port.utc_now = p_utc;
    port.entropy = p_entropy;
    port.sleep_ms = p_sleep;
    cfg = crto_client_config_default();
    cfg.base_url = tls ? "https://localhost" : "http://127.0.0.1";
    cfg.ca_pem = g_ca;
    cfg.ca_pem_len = strlen(g_ca) + 1;
    cfg.client_id = "demo-client";
    cfg.client_secret = "demo-secret";
    g_tls = tls;
    lt_http_init(&g_http, g_ids, sizeof g_ids / sizeof g_ids[0]);
    if (crto_client_init(&g_client, &port, &cfg) != CRTO_OK) {
        fprintf(stderr, "instr: client init: %s\n", g_client.diag.msg);
        exit(1);
    }
    memset(&sum, 0, sizeof sum);
    job.segment_id = "424242";
    job.chunk_size = count > 0 ? count : 1;
    crto_lines_source_init(&lines, g_raw, g_raw_len, &job.source);
    g_sent = 0;

    if (!g_profile) {
        CALLGRIND_ZERO_STATS;
        g_measuring = 1;
    }
    e = count > 0 ? crto_contact_list_upload(&g_client, &job, &sum) : crto_client_authenticate(&g_client, &token_result);
    if (!g_profile) {
        g_measuring = 0;
        CALLGRIND_DUMP_STATS_AT(name);
    }

    if (e != CRTO_OK || sum.sent != count || sum.nb_valid != count || g_http.patches != (count > 0) ||
        g_http.token_requests != 1 || g_client.stats.connections != 1) {
        fprintf(stderr, "instr: %s upload went wrong: %s (sent %u, valid %lld, patches %u)\n", name,
                e != CRTO_OK ? g_client.diag.msg : "counts", (unsigned)sum.sent, (long long)sum.nb_valid,
                g_http.patches);
        exit(1);
    }
    printf("%s sent_bytes %llu\n", name, (unsigned long long)g_sent);
    crto_client_deinit(&g_client);
}

static void sha_only(unsigned count)
{
    unsigned char digest[32], folded = 0;
    unsigned i;
    if (!g_profile) {
        CALLGRIND_ZERO_STATS;
    }
    for (i = 0; i < count; i++) {
        (void)mbedtls_sha256_ret((const unsigned char *)g_norm + g_norm_off[i], g_norm_off[i + 1] - g_norm_off[i],
                                 digest, 0);
        folded ^= digest[0];
    }
    if (!g_profile) {
        CALLGRIND_DUMP_STATS_AT("sha");
    }
    printf("sha folded %02x\n", folded);
}

int main(int argc, char **argv)
{
    unsigned long count;
    if (argc != 5 || (count = strtoul(argv[1], NULL, 10)) == 0 || count > MAX_COUNT) {
        fprintf(stderr, "usage: instr COUNT(1..%u) CA.pem SERVER.pem SERVER.key\n", MAX_COUNT);
        return 2;
    }
    g_profile = getenv("INSTR_PROFILE") != NULL;
    make_emails((unsigned)count);
    read_file(argv[2], g_ca, sizeof g_ca);
    server_init(argv[3], argv[4]);
    sha_only((unsigned)count);
    upload("token-plain", 0, 0);
    upload("upload-plain", 0, (unsigned)count);
    upload("token-tls", 1, 0);
    upload("upload-tls", 1, (unsigned)count);
    printf("cipher %s\n", mbedtls_ssl_get_ciphersuite(&g_srv));
    return 0;
}
