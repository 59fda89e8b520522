/*
 * e2e_responder.c - see e2e_responder.h. Test code: only e2e.elf links it.
 *
 * Three parts:
 *   1. Two TLS arenas under one mbedTLS allocator. mbedTLS has one global
 *      calloc/free pair. The client's arena is the board's (board.c,
 *      memory_buffer_alloc.c as the firmware links it); the server's is a
 *      second copy of memory_buffer_alloc.c compiled with its symbols
 *      renamed (e2e_srv_mba_*; rules.mk), so it has its own heap state.
 *      The link wraps mbedtls_platform_set_calloc_free, so when the board
 *      installs its arena we keep its pair and install a dispatcher:
 *      calloc goes to the server's arena while e2e_srv_poll() runs (the
 *      only place server code runs), to the client's otherwise; free goes
 *      by address. Each arena's peak is then one side's alone.
 *   2. The server's own stack: e2e_srv_poll() switches the stack pointer
 *      to srv_stack for the TLS work, so the board's painted thread stack
 *      measures the client alone; srv_stack is painted too.
 *   3. The server: raw-API listener and connection, a non-blocking TLS
 *      state machine over it, and the streaming HTTP parser.
 */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/x509_crt.h>

#include "board.h"
#include "e2e_responder.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

/* ---- 1. the two arenas ------------------------------------------------------ */

/* The generated credentials (gen_certs.sh). */
extern const char e2e_srv_cert_pem[];
extern const char e2e_srv_key_pem[];

/* The renamed copy of memory_buffer_alloc.c. */
void e2e_srv_mba_init(unsigned char *buf, size_t len);
void e2e_srv_mba_max_get(size_t *max_used, size_t *max_blocks);
void e2e_srv_mba_cur_get(size_t *cur_used, size_t *cur_blocks);
int e2e_srv_mba_capture(void *(*calloc_func)(size_t, size_t), void (*free_func)(void *));
int __real_mbedtls_platform_set_calloc_free(void *(*calloc_func)(size_t, size_t), void (*free_func)(void *));
int __wrap_mbedtls_platform_set_calloc_free(void *(*calloc_func)(size_t, size_t), void (*free_func)(void *));

#define SRV_ARENA_SIZE (64u * 1024u)
static unsigned char srv_arena[SRV_ARENA_SIZE] __attribute__((aligned(8)));
static void *(*srv_calloc)(size_t, size_t);
static void (*srv_free)(void *);
static void *(*cli_calloc)(size_t, size_t);
static void (*cli_free)(void *);
static bool in_server;

/* The server copy's init hands its pair here instead of installing it. */
int e2e_srv_mba_capture(void *(*calloc_func)(size_t, size_t), void (*free_func)(void *))
{
    srv_calloc = calloc_func;
    srv_free = free_func;
    return 0;
}

static void *split_calloc(size_t n, size_t size)
{
    if (in_server) {
        return srv_calloc != NULL ? srv_calloc(n, size) : NULL;
    }
    return cli_calloc != NULL ? cli_calloc(n, size) : NULL;
}

static void split_free(void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (p == NULL) {
        return;
    }
    if (a >= (uintptr_t)srv_arena && a < (uintptr_t)srv_arena + sizeof srv_arena) {
        srv_free(p);
    } else if (cli_free != NULL) {
        cli_free(p);
    }
}

/* Every mbedtls_platform_set_calloc_free call of the link lands here
 * (-Wl,--wrap): the board's arena becomes the client half. */
int __wrap_mbedtls_platform_set_calloc_free(void *(*calloc_func)(size_t, size_t), void (*free_func)(void *))
{
    cli_calloc = calloc_func;
    cli_free = free_func;
    return __real_mbedtls_platform_set_calloc_free(split_calloc, split_free);
}

void e2e_srv_arena(size_t *size, size_t *peak, size_t *peak_blocks, size_t *cur)
{
    size_t cur_blocks;
    *size = sizeof srv_arena;
    e2e_srv_mba_max_get(peak, peak_blocks);
    e2e_srv_mba_cur_get(cur, &cur_blocks);
}

/* ---- 2. the server's stack ----------------------------------------------------- */

#define SRV_STACK_SIZE (16u * 1024u)
static uint32_t srv_stack[SRV_STACK_SIZE / 4] __attribute__((aligned(8)));

/* Call fn() with the stack pointer at top (8-byte aligned), then come back
 * to the caller's stack. Thread mode runs on the PSP, so this moves the
 * PSP; an interrupt meanwhile stacks its frame on srv_stack. */
__attribute__((naked, noinline)) static void call_on_stack(void (*fn)(void) __attribute__((unused)),
                                                           void *top __attribute__((unused)))
{
    __asm volatile("push {r4, lr}\n"
                   "mov r4, sp\n"
                   "mov sp, r1\n"
                   "blx r0\n"
                   "mov sp, r4\n"
                   "pop {r4, pc}\n");
}

static void srv_stack_paint(void)
{
    size_t i;
    for (i = 0; i < sizeof srv_stack / 4; i++) {
        srv_stack[i] = BOARD_STACK_PAINT;
    }
}

void e2e_srv_stack(size_t *size, size_t *high_water)
{
    size_t i = 0;
    while (i < sizeof srv_stack / 4 && srv_stack[i] == BOARD_STACK_PAINT) {
        i++;
    }
    *size = sizeof srv_stack;
    *high_water = sizeof srv_stack - 4 * i;
}

/* ---- 3. the server -------------------------------------------------------------- */

enum { C_NONE = 0, C_ACCEPTED, C_HANDSHAKE, C_OPEN };

typedef struct {
    /* TLS */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_cache_context cache;
    bool tls_ready;
    /* TCP */
    struct tcp_pcb *listener;
    struct tcp_pcb *pcb;
    struct pbuf *held; /* received, not yet read by mbedTLS */
    bool peer_fin;
    bool pcb_gone; /* lwIP dropped the connection (tcp_err) */
    int conn;
    /* HTTP request being parsed */
    char head[1024];
    size_t head_len;
    bool in_body;
    uint64_t body_left;
    char method[8];
    char path[160];
    bool bearer_ok;
    char body_start[256];
    size_t body_start_len;
    unsigned ids_ok;  /* this request */
    unsigned ids_bad; /* this request */
    int scan;         /* 0 key, 1 array, 2 string, 3 after the array */
    size_t key_matched;
    char cur[72]; /* the identifier string being read: the whole window */
    size_t cur_len;
    bool cur_long;
    mbedtls_sha256_context fold;
    /* response being sent */
    unsigned char out[640];
    size_t out_len;
    size_t out_off;
    e2e_srv_report_t rep;
} srv_t;

static srv_t srv;

static int srv_entropy(void *arg, unsigned char *out, size_t len)
{
    (void)arg;
    return board_entropy(out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static int srv_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
    (void)arg;
    (void)ssl;
    if (len >= sizeof srv.rep.sni) {
        len = sizeof srv.rep.sni - 1;
    }
    memcpy(srv.rep.sni, name, len);
    srv.rep.sni[len] = '\0';
    return 0;
}

/* ---- the BIO: the raw pcb, and the received pbufs queued on it */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    u16_t room, n;
    err_t e;
    (void)ctx;
    if (srv.pcb == NULL) {
        return MBEDTLS_ERR_NET_CONN_RESET;
    }
    room = tcp_sndbuf(srv.pcb);
    if (room == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    n = len < room ? (u16_t)len : room;
    e = tcp_write(srv.pcb, buf, n, TCP_WRITE_FLAG_COPY);
    if (e == ERR_MEM) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    if (e != ERR_OK) {
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
    (void)tcp_output(srv.pcb);
    return (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    u16_t n;
    (void)ctx;
    if (srv.held == NULL) {
        if (srv.peer_fin) {
            return 0;
        }
        return srv.pcb != NULL ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_CONN_RESET;
    }
    n = len < srv.held->tot_len ? (u16_t)len : srv.held->tot_len;
    n = pbuf_copy_partial(srv.held, buf, n, 0);
    srv.held = pbuf_free_header(srv.held, n);
    if (srv.pcb != NULL) {
        tcp_recved(srv.pcb, n); /* the window reopens as mbedTLS reads */
    }
    return (int)n;
}

/* ---- lwIP callbacks: they only queue and flag (no TLS work in them) */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)pcb;
    if (p == NULL) {
        srv.peer_fin = true;
        return ERR_OK;
    }
    if (err != ERR_OK) {
        (void)pbuf_free(p);
        return ERR_OK;
    }
    if (srv.held == NULL) {
        srv.held = p;
    } else if ((uint32_t)srv.held->tot_len + p->tot_len > 0xffffu) {
        return ERR_MEM; /* lwIP offers it again later */
    } else {
        pbuf_cat(srv.held, p);
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)arg;
    (void)err;
    srv.pcb = NULL; /* already freed by lwIP */
    srv.pcb_gone = true;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    if (srv.conn != C_NONE) {
        tcp_abort(pcb); /* one connection at a time */
        return ERR_ABRT;
    }
    srv.pcb = pcb;
    srv.peer_fin = false;
    srv.pcb_gone = false;
    srv.conn = C_ACCEPTED;
    srv.rep.accepts++;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

/* ---- HTTP */

static void start_request(void)
{
    srv.head_len = 0;
    srv.in_body = false;
    srv.body_left = 0;
    srv.method[0] = '\0';
    srv.path[0] = '\0';
    srv.bearer_ok = false;
    srv.body_start_len = 0;
    srv.ids_ok = 0;
    srv.ids_bad = 0;
    srv.scan = 0;
    srv.key_matched = 0;
    srv.cur_len = 0;
    srv.cur_long = false;
}

static void respond(int status, const char *reason, const char *body)
{
    int n = snprintf((char *)srv.out, sizeof srv.out,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %u\r\n"
                     "Connection: keep-alive\r\n\r\n%s",
                     status, reason, (unsigned)strlen(body), body);
    srv.out_len = n > 0 && (size_t)n < sizeof srv.out ? (size_t)n : 0;
    srv.out_off = 0;
    if (status != 200) {
        srv.rep.bad_requests++;
    }
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* line[len] starts with "name:" (any case): *value past the blanks. */
static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name), i;
    if (len <= n || line[n] != ':') {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (lower(line[i]) != lower(name[i])) {
            return false;
        }
    }
    *value = line + n + 1;
    while (**value == ' ' || **value == '\t') {
        (*value)++;
    }
    return true;
}

/* Copy the next space-delimited word of *p into out[cap]. */
static bool word(const char **p, char *out, size_t cap)
{
    size_t n = 0;
    while (**p != ' ' && **p != '\r' && **p != '\0') {
        if (n + 1 >= cap) {
            return false;
        }
        out[n++] = *(*p)++;
    }
    out[n] = '\0';
    if (**p == ' ') {
        (*p)++;
    }
    return n > 0;
}

static bool parse_head(void)
{
    const char *p = srv.head;
    char *line, *eol;
    if (!word(&p, srv.method, sizeof srv.method) || !word(&p, srv.path, sizeof srv.path) ||
        strncmp(p, "HTTP/1.1\r\n", 10) != 0) {
        return false;
    }
    line = strstr(srv.head, "\r\n") + 2;
    while ((eol = strstr(line, "\r\n")) != NULL && eol != line) {
        const char *v;
        size_t len = (size_t)(eol - line);
        if (header_is(line, len, "Content-Length", &v)) {
            srv.body_left = 0;
            while (*v >= '0' && *v <= '9') {
                srv.body_left = srv.body_left * 10u + (uint64_t)(*v++ - '0');
            }
        } else if (header_is(line, len, "Authorization", &v)) {
            static const char want[] = "Bearer " E2E_SRV_TOKEN "\r\n";
            srv.bearer_ok = strncmp(v, want, sizeof want - 1) == 0;
        } else if (header_is(line, len, "Transfer-Encoding", &v)) {
            return false; /* crto always sends an exact Content-Length */
        }
        line = eol + 2;
    }
    return true;
}

/* One identifier string has ended: check it, count it, fold it. */
static void end_identifier(void)
{
    size_t i;
    bool ok = srv.cur_len == 64 && !srv.cur_long;
    for (i = 0; ok && i < srv.cur_len; i++) {
        char c = srv.cur[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    (void)mbedtls_sha256_update_ret(&srv.fold, (const unsigned char *)srv.cur, srv.cur_len);
    srv.rep.ids++;
    if (ok) {
        srv.ids_ok++;
    } else {
        srv.ids_bad++;
        srv.rep.ids_malformed++;
    }
}

/* Streaming scan of a contact-list body: the strings of "identifiers". */
static void scan_body(char c)
{
    static const char key[] = "\"identifiers\":[";
    switch (srv.scan) {
    case 0:
        if (c == key[srv.key_matched]) {
            if (++srv.key_matched == sizeof key - 1) {
                srv.scan = 1;
            }
        } else {
            srv.key_matched = c == key[0] ? 1u : 0u;
        }
        break;
    case 1:
        if (c == '"') {
            srv.scan = 2;
            srv.cur_len = 0;
            srv.cur_long = false;
        } else if (c == ']') {
            srv.scan = 3;
        }
        break;
    case 2:
        if (c == '"') {
            end_identifier();
            srv.scan = 1;
        } else if (srv.cur_len < sizeof srv.cur) {
            srv.cur[srv.cur_len++] = c;
        } else {
            srv.cur_long = true;
        }
        break;
    default:
        break;
    }
}

/* The value of "key":"value" in the body's first bytes, into out[cap]. */
static void json_string(const char *key, char *out, size_t cap)
{
    char pat[40];
    const char *p, *end;
    size_t n;
    out[0] = '\0';
    (void)snprintf(pat, sizeof pat, "\"%s\":\"", key);
    p = strstr(srv.body_start, pat);
    if (p == NULL) {
        return;
    }
    p += strlen(pat);
    end = strchr(p, '"');
    if (end == NULL) {
        return;
    }
    n = (size_t)(end - p) < cap - 1 ? (size_t)(end - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* "/<version>/marketing-solutions/audience-segments/<digits>/contact-list":
 * the digits into seg[cap]. */
static bool contact_list_path(const char *path, char *seg, size_t cap)
{
    static const char mid[] = "/marketing-solutions/audience-segments/";
    static const char tail[] = "/contact-list";
    const char *p = strstr(path, mid);
    size_t n = 0;
    if (path[0] != '/' || p == NULL || p == path) {
        return false;
    }
    p += sizeof mid - 1;
    while (p[n] >= '0' && p[n] <= '9' && n + 1 < cap) {
        seg[n] = p[n];
        n++;
    }
    seg[n] = '\0';
    return n > 0 && strcmp(p + n, tail) == 0;
}

static void finish_request(void)
{
    char seg[24];
    char body[480];
    srv.body_start[srv.body_start_len] = '\0';
    if (strcmp(srv.method, "POST") == 0 && strcmp(srv.path, "/oauth2/token") == 0) {
        srv.rep.token_requests++;
        if (strstr(srv.body_start, "client_id=demo-client") != NULL &&
            strstr(srv.body_start, "client_secret=demo-secret") != NULL &&
            strstr(srv.body_start, "grant_type=client_credentials") != NULL) {
            respond(200, "OK", "{\"access_token\":\"" E2E_SRV_TOKEN "\",\"token_type\":\"Bearer\",\"expires_in\":900}");
        } else {
            respond(401, "Unauthorized", "{\"error\":\"invalid_client\"}");
        }
    } else if (strcmp(srv.method, "PATCH") == 0 && contact_list_path(srv.path, seg, sizeof seg)) {
        if (!srv.bearer_ok) {
            respond(401, "Unauthorized",
                    "{\"errors\":[{\"type\":\"authentication\",\"code\":\"authorization-token-invalid\"}]}");
            return;
        }
        srv.rep.patches++;
        (void)snprintf(srv.rep.last_segment, sizeof srv.rep.last_segment, "%s", seg);
        json_string("operation", srv.rep.last_op, sizeof srv.rep.last_op);
        json_string("identifierType", srv.rep.last_type, sizeof srv.rep.last_type);
        (void)snprintf(body, sizeof body,
                       "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"contactListId\":%s,"
                       "\"operation\":\"%s\",\"requestDate\":\"2026-11-23T15:00:00.000Z\","
                       "\"identifierType\":\"%s\",\"nbValidIdentifiers\":%u,\"nbInvalidIdentifiers\":%u,"
                       "\"sampleInvalidIdentifiers\":[]}},\"errors\":[],\"warnings\":[]}",
                       seg, srv.rep.last_op, srv.rep.last_type, srv.ids_ok, srv.ids_bad);
        respond(200, "OK", body);
    } else {
        respond(404, "Not Found", "{\"errors\":[{\"type\":\"not-found\",\"code\":\"not-found\"}]}");
    }
}

/* Feed decrypted bytes. False: a request beyond answering (close). */
static bool http_feed(const unsigned char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (!srv.in_body) {
            if (srv.head_len + 1 >= sizeof srv.head) {
                return false;
            }
            srv.head[srv.head_len++] = (char)data[i++];
            srv.head[srv.head_len] = '\0';
            if (srv.head_len >= 4 && memcmp(srv.head + srv.head_len - 4, "\r\n\r\n", 4) == 0) {
                if (!parse_head()) {
                    return false;
                }
                srv.in_body = true;
                if (srv.body_left == 0) {
                    finish_request();
                    start_request();
                    return true; /* one request at a time: answer it first */
                }
            }
            continue;
        }
        while (i < len && srv.body_left > 0) {
            char c = (char)data[i++];
            if (srv.body_start_len < sizeof srv.body_start - 1) {
                srv.body_start[srv.body_start_len++] = c;
            }
            scan_body(c);
            srv.body_left--;
            srv.rep.body_bytes++;
        }
        if (srv.body_left == 0) {
            finish_request();
            start_request();
            return i == len; /* a pipelined request would be lost: refuse */
        }
    }
    return true;
}

/* ---- the connection's state machine */

static void conn_close(bool abort_it)
{
    if (srv.pcb != NULL) {
        struct tcp_pcb *pcb = srv.pcb;
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_err(pcb, NULL);
        srv.pcb = NULL;
        if (abort_it || tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
    }
    if (srv.held != NULL) {
        (void)pbuf_free(srv.held);
        srv.held = NULL;
    }
    srv.conn = C_NONE;
    srv.out_len = srv.out_off = 0;
}

static void tls_failed(int rc)
{
    srv.rep.tls_errors++;
    srv.rep.last_tls_error = rc;
    printf("[e2e server] TLS failed: -0x%04x\n", (unsigned)-rc);
    conn_close(true);
}

/* Advance the connection until it would block. */
static void srv_step(void)
{
    unsigned char buf[512];
    int rc, turns;

    if (srv.conn == C_ACCEPTED) {
        start_request();
        srv.out_len = srv.out_off = 0;
        rc = mbedtls_ssl_session_reset(&srv.ssl);
        if (rc != 0) {
            tls_failed(rc);
            return;
        }
        srv.conn = C_HANDSHAKE;
    }
    if (srv.conn == C_HANDSHAKE) {
        rc = mbedtls_ssl_handshake(&srv.ssl);
        if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
            if (srv.pcb_gone) {
                conn_close(true);
            }
            return;
        }
        if (rc != 0) {
            tls_failed(rc);
            return;
        }
        srv.rep.handshakes++;
        srv.conn = C_OPEN;
    }
    /* Bounded, so one poll never runs away; the next poll goes on. */
    for (turns = 0; srv.conn == C_OPEN && turns < 64; turns++) {
        if (srv.out_off < srv.out_len) {
            rc = mbedtls_ssl_write(&srv.ssl, srv.out + srv.out_off, srv.out_len - srv.out_off);
            if (rc > 0) {
                srv.out_off += (size_t)rc;
                continue;
            }
            if (rc == MBEDTLS_ERR_SSL_WANT_WRITE || rc == MBEDTLS_ERR_SSL_WANT_READ) {
                return;
            }
            tls_failed(rc);
            return;
        }
        srv.out_len = srv.out_off = 0;
        rc = mbedtls_ssl_read(&srv.ssl, buf, sizeof buf);
        if (rc > 0) {
            if (!http_feed(buf, (size_t)rc)) {
                respond(400, "Bad Request", "{\"errors\":[{\"type\":\"validation\",\"code\":\"bad-request\"}]}");
                conn_close(true);
                return;
            }
            continue;
        }
        if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
            if (srv.pcb_gone) {
                conn_close(true);
            }
            return;
        }
        if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            srv.rep.close_notify++;
            conn_close(false);
            return;
        }
        if (rc == 0 || rc == MBEDTLS_ERR_NET_CONN_RESET) {
            conn_close(rc != 0); /* EOF without close_notify, or a reset */
            return;
        }
        tls_failed(rc);
        return;
    }
}

void e2e_srv_poll(void)
{
    if (!srv.tls_ready || srv.conn == C_NONE) {
        return;
    }
    in_server = true;
    call_on_stack(srv_step, (uint8_t *)srv_stack + sizeof srv_stack);
    in_server = false;
}

/* ---- set-up and tear-down */

static void srv_init_tls(int *rc)
{
    static const unsigned char pers[] = "crto-e2e-server";
    mbedtls_ssl_init(&srv.ssl);
    mbedtls_ssl_config_init(&srv.conf);
    mbedtls_x509_crt_init(&srv.cert);
    mbedtls_pk_init(&srv.key);
    mbedtls_ctr_drbg_init(&srv.drbg);
    mbedtls_ssl_cache_init(&srv.cache);
    mbedtls_sha256_init(&srv.fold);
    if ((*rc = mbedtls_sha256_starts_ret(&srv.fold, 0)) != 0 ||
        (*rc = mbedtls_ctr_drbg_seed(&srv.drbg, srv_entropy, NULL, pers, sizeof pers - 1)) != 0 ||
        (*rc = mbedtls_x509_crt_parse(&srv.cert, (const unsigned char *)e2e_srv_cert_pem,
                                      strlen(e2e_srv_cert_pem) + 1)) != 0 ||
        (*rc = mbedtls_pk_parse_key(&srv.key, (const unsigned char *)e2e_srv_key_pem, strlen(e2e_srv_key_pem) + 1, NULL,
                                    0)) != 0 ||
        (*rc = mbedtls_ssl_config_defaults(&srv.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        return;
    }
    mbedtls_ssl_conf_rng(&srv.conf, mbedtls_ctr_drbg_random, &srv.drbg);
    mbedtls_ssl_conf_min_version(&srv.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_session_cache(&srv.conf, &srv.cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    mbedtls_ssl_conf_sni(&srv.conf, srv_sni, NULL);
    if ((*rc = mbedtls_ssl_conf_own_cert(&srv.conf, &srv.cert, &srv.key)) != 0 ||
        (*rc = mbedtls_ssl_setup(&srv.ssl, &srv.conf)) != 0) {
        return;
    }
    mbedtls_ssl_set_bio(&srv.ssl, NULL, bio_send, bio_recv, NULL);
    srv.tls_ready = true;
}

static int init_rc;
static void srv_init_tls_on_stack(void)
{
    srv_init_tls(&init_rc);
}

int e2e_srv_init(uint16_t port)
{
    struct tcp_pcb *pcb;
    ip_addr_t lo;

    memset(&srv, 0, sizeof srv);
    srv_stack_paint();
    e2e_srv_mba_init(srv_arena, sizeof srv_arena);
    in_server = true;
    call_on_stack(srv_init_tls_on_stack, (uint8_t *)srv_stack + sizeof srv_stack);
    in_server = false;
    if (!srv.tls_ready) {
        printf("[e2e server] TLS set-up failed: -0x%04x\n", (unsigned)-init_rc);
        return -1;
    }
    IP_ADDR4(&lo, 127, 0, 0, 1);
    pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL || tcp_bind(pcb, &lo, port) != ERR_OK || (srv.listener = tcp_listen(pcb)) == NULL) {
        printf("[e2e server] cannot listen on 127.0.0.1:%u\n", (unsigned)port);
        return -1;
    }
    tcp_accept(srv.listener, on_accept);
    return 0;
}

const e2e_srv_report_t *e2e_srv_report(void)
{
    return &srv.rep;
}

void e2e_srv_fold(unsigned char digest[32])
{
    mbedtls_sha256_context copy;
    mbedtls_sha256_init(&copy);
    mbedtls_sha256_clone(&copy, &srv.fold);
    (void)mbedtls_sha256_finish_ret(&copy, digest);
    mbedtls_sha256_free(&copy);
}

static void srv_free_tls(void)
{
    mbedtls_ssl_free(&srv.ssl);
    mbedtls_ssl_config_free(&srv.conf);
    mbedtls_ssl_cache_free(&srv.cache);
    mbedtls_x509_crt_free(&srv.cert);
    mbedtls_pk_free(&srv.key);
    mbedtls_ctr_drbg_free(&srv.drbg);
    mbedtls_sha256_free(&srv.fold);
}

void e2e_srv_free(void)
{
    conn_close(true);
    if (srv.listener != NULL) {
        (void)tcp_close(srv.listener);
        srv.listener = NULL;
    }
    if (srv.tls_ready) {
        in_server = true;
        call_on_stack(srv_free_tls, (uint8_t *)srv_stack + sizeof srv_stack);
        in_server = false;
        srv.tls_ready = false;
    }
}
