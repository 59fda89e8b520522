/*
 * test_faults.c - the fault matrix (docs/faults.md) over the in-memory port:
 * each scenario a hostile network or server can produce, the EXACT error the
 * caller sees (code and diag message), and - where an upload was in flight -
 * proof that nothing was lost: the journal still holds every un-ACKed item
 * after a reboot, and the next flush delivers exactly that set, once.
 *
 * Deterministic: the clock is the mem port's fake clock, entropy is fixed.
 * Portable C11 (runs on the M4 board too): no files, no POSIX; the big
 * buffers are static.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "crto_test.h"

/* ------------------------------------------------------------- fixtures */

static uint8_t region_mem[CRTO_JOURNAL_ACK_RESERVE + 4096u];
static crto_region_t region;
static crto_storage_t storage;
static crto_journal_t journal;

static crto_mem_t mem;
static crto_port_t port;
static crto_client_t client;
static uint8_t sent[8192]; /* every request a test sends, captured */

/* The queued e-mails and the SHA-256 of their normalised form (computed
 * independently: python3 hashlib), in journal order. */
static const char *const k_emails[] = { "Alice@Example.com", " bob@example.org", "carol@shop.example\t" };
#define H_ALICE "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
#define H_BOB "686b5e4cf4f963adf8f51468a48028ef8d15bd02fa335f821279a3d1678c9615"
#define H_CAROL "d449afc3e625f2e130f0d9b20d7e0f6edd67062b03323dfc894117145565b8c5"
#define H_DAVE "99d6d8db1e0ee78e4de8988c29bcc50b0a4fe00fbc1cff3876b89c06739fe04f"
#define ALL3 "\"identifiers\":[\"" H_ALICE "\",\"" H_BOB "\",\"" H_CAROL "\"]"

#define SEG "4242"
#define K_CREATED "{\"data\":[{\"id\":\"900\",\"attributes\":{\"name\":\"kiosk opt-in\"}}]}"
#define CL_PATH "/2026-07/marketing-solutions/audience-segments/" SEG "/contact-list"

static const char k_chunk_ok[] = "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"contactListId\":77,"
                                 "\"operation\":\"add\",\"nbValidIdentifiers\":3,\"nbInvalidIdentifiers\":0}},"
                                 "\"errors\":[],\"warnings\":[]}";

/* A complete answer with its exact Content-Length; kept alive for the test
 * (the port borrows it). */
static const char *answer(int status, const char *reason, const char *extra_headers, const char *body)
{
    static char pool[12][512];
    static unsigned next;
    char *buf = pool[next++ % 12];
    (void)snprintf(buf, sizeof pool[0],
                   "HTTP/1.1 %d %s\r\n%sContent-Type: application/json\r\nContent-Length: %u\r\n\r\n%s", status, reason,
                   extra_headers, (unsigned)strlen(body), body);
    return buf;
}

static const char *ok_answer(void)
{
    return answer(200, "OK", "", k_chunk_ok);
}

static crto_mem_script_t *on_new_conn(const char *text)
{
    return crto_mem_add(&mem, text, strlen(text));
}

static crto_mem_script_t *then(const char *text)
{
    return crto_mem_then(&mem, text, strlen(text));
}

static void fresh_journal(void)
{
    memset(region_mem, 0xEE, sizeof region_mem);
    crto_region_storage_init(&region, region_mem, sizeof region_mem, 0, &storage);
    CHECK_EQ_INT(crto_journal_open(&journal, &storage), CRTO_OK);
}

static void queue_emails(const char *segment, const char *const *emails, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, segment, CRTO_OP_ADD, CRTO_ID_EMAIL, emails[i],
                                      strlen(emails[i]), 1000u + (uint32_t)i),
                     CRTO_OK);
    }
    CHECK_EQ_INT(crto_journal_sync(&journal), CRTO_OK);
}

/* A fresh journal holding the three e-mails of segment SEG. */
static void queue3(void)
{
    fresh_journal();
    queue_emails(SEG, k_emails, 3);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 3);
}

/* Reopen the journal on what the region holds, as after a power cut. */
static void reboot(void)
{
    crto_region_storage_init(&region, region_mem, region.cap, region.len, &storage);
    CHECK_EQ_INT(crto_journal_open(&journal, &storage), CRTO_OK);
}

/* A client on the mem port: plain http to loopback, a static bearer (or
 * client credentials), `retries` retries. */
static void client_init(uint32_t retries, bool credentials)
{
    crto_client_config_t cfg = crto_client_config_default();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1); /* keep a NUL for strstr */
    cfg.base_url = "http://127.0.0.1:9000";
    if (credentials) {
        cfg.client_id = "kiosk-7";
        cfg.client_secret = "secret";
    } else {
        cfg.access_token = "t";
    }
    cfg.retry_attempts = retries;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
}

static size_t count(const char *needle)
{
    size_t n = 0;
    const char *p = (const char *)sent;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Flush and check the exact error, in the client's diag and (as a flush
 * reports it) in the journal's. */
static crto_err_t flush_expect(uint32_t chunk_size, crto_err_t want, const char *want_msg)
{
    crto_upload_summary_t sum;
    crto_err_t e = crto_journal_flush(&journal, &client, chunk_size, &sum);
    CHECK_EQ_INT(e, want);
    if (e != want) {
        printf("  got %s: %s\n", crto_err_name(e), client.diag.msg);
    }
    if (want_msg != NULL) {
        CHECK_EQ_STR(client.diag.msg, want_msg);
        CHECK_EQ_STR(journal.diag.msg, want_msg);
    }
    return e;
}

/* Nothing lost: `pending` items are still in the journal, also after a
 * reboot; a flush to a healthy server then delivers exactly `ids_json`
 * (the identifiers array of one PATCH) once, and the journal ends empty. */
static void nothing_lost(uint64_t pending, const char *ids_json)
{
    crto_upload_summary_t sum;
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), pending);
    crto_client_deinit(&client);
    reboot();
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), pending);
    client_init(0, false);
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.sent, pending);
    CHECK_EQ_INT(sum.chunks, 1);
    CHECK_EQ_INT(count("PATCH /"), 1);
    CHECK(strstr((char *)sent, ids_json) != NULL);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    CHECK_EQ_INT(region.len, 0); /* all acknowledged: the log starts afresh */
    crto_client_deinit(&client);
}

/* Where the request head ends in the capture (0 when none). */
static size_t head_end(void)
{
    const char *p = strstr((const char *)sent, "\r\n\r\n");
    return p != NULL ? (size_t)(p + 4 - (const char *)sent) : 0u;
}

/* ------------------------------------------------ 1. connection refused */

static void test_01_connection_refused(void)
{
    crto_mem_script_t *s;
    queue3();
    client_init(1, false);
    s = on_new_conn("");
    s->refuse = true;
    s = on_new_conn("");
    s->refuse = true;
    flush_expect(0, CRTO_ERR_CONNECT, "cannot connect to 127.0.0.1:9000: connection failed");
    CHECK_EQ_INT(mem.connects, 2); /* one retry, after a backoff */
    CHECK_EQ_INT(client.stats.retries, 1);
    CHECK(mem.slept_ms <= 1000u);
    CHECK_EQ_INT(client.stats.requests, 0);
    nothing_lost(3, ALL3);
}

/* --------------------------------------------------- 6. handshake timeout */

/* Trust anchors for the TLS client (a self-signed P-256 CA); the silent
 * server never presents anything to check against them. */
static const char k_ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBkTCCATegAwIBAgIURnVSDw55wdpNe75TNCdobQSaRiYwCgYIKoZIzj0EAwIw\n"
                               "HTEbMBkGA1UEAwwSY3J0byBmYXVsdCB0ZXN0IENBMCAXDTI2MTEyMzE1NDk1MloY\n"
                               "DzIxMjYxMDMwMTU0OTUyWjAdMRswGQYDVQQDDBJjcnRvIGZhdWx0IHRlc3QgQ0Ew\n"
                               "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQPATrBO90jPTu4ejZderiOBOZyYI17\n"
                               "pKzL9GzMJItrBF53q82f2BTig4/WJpB0/7HGrbRkCJPUiMXw+llS4rt+o1MwUTAd\n"
                               "BgNVHQ4EFgQUdtECDETav/ebvfVwV8iJo/t/Tv8wHwYDVR0jBBgwFoAUdtECDETa\n"
                               "v/ebvfVwV8iJo/t/Tv8wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n"
                               "AiEAu41q2fUA+3AgDxGXiUG6+dCHHkCv/0EyCN1SzN1lwOACIB/1EIIyFnTw206R\n"
                               "Cr4dmQzDS87VxjNFvP4jPns3ue9P\n"
                               "-----END CERTIFICATE-----\n";

/* A TLS peer that accepts the connection and never answers the ClientHello:
 * given up after io_timeout_ms of silence, or at the request deadline when
 * that comes first. */
static void handshake_timeout(uint32_t io_timeout_ms, uint32_t request_timeout_ms, const char *msg, uint64_t after)
{
    crto_client_config_t cfg = crto_client_config_default();
    uint64_t t0;
    queue3();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    cfg.base_url = "https://api.criteo.example";
    cfg.ca_pem = k_ca_pem;
    cfg.ca_pem_len = sizeof k_ca_pem;
    cfg.access_token = "t";
    cfg.retry_attempts = 0;
    cfg.io_timeout_ms = io_timeout_ms;
    cfg.request_timeout_ms = request_timeout_ms;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    on_new_conn("never sent");
    mem.recv_blocks = 1000000; /* the peer accepts the TCP connection, then says nothing */
    t0 = mem.now;
    flush_expect(0, CRTO_ERR_TIMEOUT, msg);
    CHECK_EQ_INT(mem.now - t0, after);
    CHECK_EQ_INT(mem.connects, 1);
    CHECK_EQ_INT(mem.closes, 1);
    CHECK_EQ_INT(sent[0], 0x16);     /* a TLS handshake record (the ClientHello) went out ... */
    CHECK_EQ_INT(count("PATCH"), 0); /* ... and no HTTP byte */
    CHECK_EQ_INT(client.stats.tls_handshakes, 0);
    nothing_lost(3, ALL3);
}

static void test_06_tls_handshake_timeout(void)
{
    /* silence longer than io_timeout_ms: cut after 5 s, not at the 20 s deadline */
    handshake_timeout(5000, 20000, "TLS handshake: nothing from api.criteo.example for 5000 ms", 5000);
}

static void test_06_tls_handshake_past_the_deadline(void)
{
    /* the request deadline comes first */
    handshake_timeout(30000, 20000, "TLS handshake timed out", 20000);
}

/* ------------------------------------- 7. reset while sending the body */

static void test_07_reset_while_sending_the_body(void)
{
    crto_mem_script_t *s;
    size_t reset_at = 300, end;
    queue3();
    client_init(0, false);
    s = on_new_conn(ok_answer());
    s->tx_reset_at = reset_at;
    flush_expect(0, CRTO_ERR_RESET, "sending the request failed: connection reset");
    end = head_end();
    CHECK(end > 0 && end < reset_at);     /* the head went out whole ...   */
    CHECK_EQ_INT(mem.tx_total, reset_at); /* ... and the body was cut at 300 */
    CHECK_EQ_INT(mem.closes, 1);          /* a request cut short is never reused */
    nothing_lost(3, ALL3);
}

static void test_07_reset_while_sending_then_resent(void)
{
    crto_upload_summary_t sum;
    crto_mem_script_t *s;
    queue3();
    client_init(1, false);
    s = on_new_conn(ok_answer());
    s->tx_reset_at = 300;
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2); /* contact-list amendments are idempotent: resent */
    CHECK_EQ_INT(client.stats.retries, 1);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(count(ALL3), 1); /* the cut copy never carried the whole array */
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

/* A create is not idempotent: once its body started, it is never resent. */
static void test_07_create_is_not_resent_after_a_cut_send(void)
{
    crto_ms_segment_create_t item = crto_ms_segment_create_default("12", "kiosk opt-in");
    crto_outcome_t out[1];
    crto_bulk_t bulk;
    crto_mem_script_t *s;
    client_init(4, false);
    s = on_new_conn(answer(200, "OK", "", K_CREATED));
    s->tx_reset_at = 250;
    on_new_conn(ok_answer());
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_segments_create(&client, &item, 1, &bulk), CRTO_ERR_RESET);
    CHECK_EQ_STR(client.diag.msg, "sending the request failed: connection reset");
    CHECK_EQ_INT(mem.connects, 1);
    CHECK_EQ_INT(client.stats.retries, 0);
    CHECK(!out[0].ok);
    CHECK_EQ_INT(bulk.failed, 1);
    crto_client_deinit(&client);
}

/* ---------------------------------- 8. reset while reading the response */

static void test_08_reset_while_reading_the_response(void)
{
    crto_mem_script_t *s;
    queue3();
    client_init(0, false);
    s = on_new_conn(ok_answer());
    s->reset_at = 20; /* inside the headers */
    flush_expect(0, CRTO_ERR_RESET, "receiving the response failed: connection reset");
    CHECK_EQ_INT(count("PATCH /"), 1);
    nothing_lost(3, ALL3);
}

static void test_08_reset_while_reading_then_resent(void)
{
    crto_upload_summary_t sum;
    crto_mem_script_t *s;
    queue3();
    client_init(1, false);
    s = on_new_conn(ok_answer());
    s->reset_at = 120; /* inside the body: the server did act on it */
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2); /* an amendment is idempotent: sent again */
    CHECK_EQ_INT(count(ALL3), 2);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(sum.chunks, 1);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

/* A create whose answer was cut may have happened: it is not sent again. */
static void test_08_create_is_not_resent_after_a_cut_answer(void)
{
    crto_ms_segment_create_t item = crto_ms_segment_create_default("12", "kiosk opt-in");
    const char *created = answer(200, "OK", "", K_CREATED);
    crto_outcome_t out[1];
    crto_bulk_t bulk;
    crto_mem_script_t *s;
    client_init(4, false);
    s = on_new_conn(created);
    s->reset_at = strlen(created) - 10;
    on_new_conn(created);
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_segments_create(&client, &item, 1, &bulk), CRTO_ERR_RESET);
    CHECK_EQ_STR(client.diag.msg, "receiving the response failed: connection reset");
    CHECK_EQ_INT(mem.connects, 1);
    CHECK_EQ_INT(count("POST /2026-07/marketing-solutions/audience-segments/create"), 1);
    CHECK(!out[0].ok);
    crto_client_deinit(&client);
}

/* ------------------------------------------- 9. truncated chunked body */

static void test_09_truncated_chunked_body(void)
{
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "40\r\n{\"data\":{\"type\":\"ContactlistAmendment\",\"attr"; /* then the server closes */
    queue3();
    client_init(0, false);
    on_new_conn(cut);
    flush_expect(0, CRTO_ERR_CLOSED, "connection closed inside a chunked body (truncated)");
    nothing_lost(3, ALL3);
}

/* ----------------------------------------------- 10. invalid chunk size */

static void test_10_invalid_chunk_size(void)
{
    static const char bad[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "4g\r\n{\"da\r\n0\r\n\r\n";
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(bad);
    on_new_conn(ok_answer());
    flush_expect(0, CRTO_ERR_FRAMING, "invalid chunk size in a chunked body");
    CHECK_EQ_INT(mem.connects, 1); /* framing lost: not retried (the next flush resends) */
    CHECK_EQ_INT(client.stats.retries, 0);
    nothing_lost(3, ALL3);
}

/* -------------------------------- 11. two conflicting Content-Length */

static void test_11_conflicting_content_length(void)
{
    static const char bad[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
                              "Content-Length: 17\r\n\r\n{\"data\":{}}      ";
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(bad);
    flush_expect(0, CRTO_ERR_FRAMING, "two different Content-Length headers (5 and 17)");
    CHECK_EQ_INT(mem.connects, 1);
    nothing_lost(3, ALL3);
}

/* --------------------------------------- 12. headers larger than the window */

static char g_text[CRTO_HTTP_RX_WINDOW + 256]; /* one oversized answer at a time */

static void test_12_header_line_larger_than_the_window(void)
{
    char want[128];
    size_t n = (size_t)snprintf(g_text, sizeof g_text, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(g_text + n, 'a', CRTO_HTTP_RX_WINDOW + 100);
    n += CRTO_HTTP_RX_WINDOW + 100;
    (void)snprintf(g_text + n, sizeof g_text - n, "\r\nContent-Length: 0\r\n\r\n");
    (void)snprintf(want, sizeof want, "an HTTP header line is longer than CRTO_HTTP_RX_WINDOW (%u bytes)",
                   (unsigned)CRTO_HTTP_RX_WINDOW);
    queue3();
    client_init(0, false);
    on_new_conn(g_text);
    flush_expect(0, CRTO_ERR_TOO_LARGE, want);
    CHECK_EQ_INT(client.diag.need, CRTO_HTTP_RX_WINDOW + 1);
    nothing_lost(3, ALL3);
}

static void test_12_too_many_header_lines(void)
{
    char *resp = g_text;
    size_t len;
    unsigned i;
    len = (size_t)snprintf(resp, sizeof g_text, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    for (i = 1; i <= 100; i++) { /* 101 lines, each small: the window is never full */
        len += (size_t)snprintf(resp + len, sizeof g_text - len, "X-H%u: %u\r\n", i, i);
    }
    (void)snprintf(resp + len, sizeof g_text - len, "\r\n");
    queue3();
    client_init(0, false);
    on_new_conn(resp);
    flush_expect(0, CRTO_ERR_TOO_LARGE, "more than 100 header lines");
    nothing_lost(3, ALL3);
}

/* -------------------------------------------- 13. body larger than its cap */

static void test_13_body_larger_than_its_cap(void)
{
    static const char big[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                              "{\"data\":{\"type\":\"ContactlistAmendment\"";
    crto_client_config_t cfg = crto_client_config_default();
    queue3();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    cfg.body_cap = 1024;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    on_new_conn(big);
    flush_expect(0, CRTO_ERR_TOO_LARGE, "response body of 5000 bytes is larger than its cap of 1024 bytes");
    CHECK_EQ_INT(client.diag.need, 5000);
    CHECK_EQ_INT(mem.connects, 1); /* not retried */
    nothing_lost(3, ALL3);
}

/* ------------------------- 14. one byte per second past the deadline */

/* A peer that trickles: every recv waits one second, then gives one byte. */
static int32_t (*mem_recv_fn)(void *, uint8_t *, size_t, uint32_t);
static uint32_t trickled;

static int32_t trickle_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_mem_t *m = ctx;
    int32_t n;
    if (timeout_ms < 1000u) { /* the byte would come after the caller stopped waiting */
        m->now += timeout_ms;
        return 0;
    }
    m->now += 1000u;
    n = mem_recv_fn(ctx, buf, len < 1 ? len : 1, timeout_ms);
    trickled += n > 0 ? (uint32_t)n : 0u;
    return n;
}

static void test_14_one_byte_per_second_past_the_deadline(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    const char *ok = ok_answer();
    uint64_t t0;
    queue3();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    mem_recv_fn = port.recv;
    port.recv = trickle_recv;
    trickled = 0;
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    cfg.retry_attempts = 0;
    cfg.io_timeout_ms = 5000;       /* each byte comes well within it ...   */
    cfg.request_timeout_ms = 30000; /* ... but the whole answer cannot take 30 s */
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    on_new_conn(ok);
    t0 = mem.now;
    flush_expect(0, CRTO_ERR_TIMEOUT, "timed out waiting for the response");
    CHECK_EQ_INT(mem.now - t0, 30000);
    CHECK_EQ_INT(trickled, 30); /* 30 of the answer's bytes, then the deadline */
    CHECK(trickled < strlen(ok));
    CHECK_EQ_INT(mem.closes, 1);
    nothing_lost(3, ALL3);
}

/* --------------------------------------------- 15. 429 with Retry-After */

#define P429 "{\"errors\":[{\"type\":\"quota\",\"code\":\"rate-limited\",\"title\":\"Too many requests\"}]}"

static void test_15_429_retry_after_then_delivered(void)
{
    crto_upload_summary_t sum;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(429, "Too Many Requests", "Retry-After: 3\r\n", P429));
    then(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.sleeps, 1);
    CHECK_EQ_INT(mem.slept_ms, 3000); /* exactly what the server asked */
    CHECK_EQ_INT(client.stats.retries, 1);
    CHECK_EQ_INT(count(ALL3), 2);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_15_429_retry_after_until_attempts_run_out(void)
{
    const char *r429 = answer(429, "Too Many Requests", "Retry-After: 2\r\n", P429);
    queue3();
    client_init(2, false);
    on_new_conn(r429);
    then(r429);
    then(r429);
    flush_expect(0, CRTO_ERR_RATE_LIMITED, "HTTP 429 from PATCH " CL_PATH ": rate-limited - Too many requests");
    CHECK_EQ_INT(client.diag.http_status, 429);
    CHECK_EQ_INT(mem.slept_ms, 4000);
    CHECK_EQ_INT(count(ALL3), 3);
    nothing_lost(3, ALL3);
}

/* ----------------------------------- 16. 429 with only x-ratelimit-reset */

static void test_16_429_ratelimit_reset_only(void)
{
    static char r[3][256];
    int64_t wall;
    int i;
    queue3();
    client_init(2, false);
    mem.utc = 1800000000;
    wall = mem.utc + (int64_t)(mem.now / 1000u);
    for (i = 0; i < 3; i++) { /* each answer's reset 5 s after the moment it is sent */
        (void)snprintf(r[i], sizeof r[i],
                       "HTTP/1.1 429 Too Many Requests\r\nx-ratelimit-limit: 250\r\nx-ratelimit-remaining: 0\r\n"
                       "x-ratelimit-reset: %lld\r\nContent-Length: 0\r\n\r\n",
                       (long long)(wall + 5 * (i + 1)));
    }
    on_new_conn(r[0]);
    then(r[1]);
    then(r[2]);
    flush_expect(0, CRTO_ERR_RATE_LIMITED, "HTTP 429 from PATCH " CL_PATH);
    CHECK_EQ_INT(mem.sleeps, 2);
    CHECK_EQ_INT(mem.slept_ms, 10000); /* to each reset, on the wall clock */
    nothing_lost(3, ALL3);
}

/* ------------------------------------------------- 17. 503 then success */

static void test_17_503_then_success(void)
{
    crto_upload_summary_t sum;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(
        answer(503, "Service Unavailable", "Retry-After: 2\r\n", "{\"errors\":[{\"code\":\"service-unavailable\"}]}"));
    then(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.slept_ms, 2000);
    CHECK_EQ_INT(client.stats.retries, 1);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(sum.chunks, 1);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

/* ------------------------------------------ 18. 500 until attempts run out */

static void test_18_500_until_attempts_run_out(void)
{
    const char *r500 =
        answer(500, "Internal Server Error", "",
               "{\"errors\":[{\"type\":\"availability\",\"code\":\"internal-error\",\"detail\":\"boom\"}]}");
    int i;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(r500);
    for (i = 0; i < CRTO_RETRY_ATTEMPTS; i++) {
        then(r500);
    }
    flush_expect(0, CRTO_ERR_SERVER, "HTTP 500 from PATCH " CL_PATH ": internal-error - boom");
    CHECK_EQ_INT(client.diag.http_status, 500);
    CHECK_EQ_INT(client.stats.retries, CRTO_RETRY_ATTEMPTS);
    CHECK_EQ_INT(count(ALL3), CRTO_RETRY_ATTEMPTS + 1);
    CHECK(mem.slept_ms <= 1000u + 2000u + 4000u + 8000u); /* full jitter under 1, 2, 4, 8 s */
    nothing_lost(3, ALL3);
}

/* ---------------------------------------------------------- 19/20. 401 */

#define TOKEN_A                                                                                                        \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 63\r\n\r\n"                                  \
    "{\"access_token\":\"tok-A\",\"token_type\":\"Bearer\",\"expires_in\":900}"
#define TOKEN_B                                                                                                        \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 63\r\n\r\n"                                  \
    "{\"access_token\":\"tok-B\",\"token_type\":\"Bearer\",\"expires_in\":900}"
#define P401                                                                                                           \
    "{\"errors\":[{\"type\":\"authorization\",\"code\":\"authorization-token-expired\",\"title\":\"expired\"}]}"

static void test_19_401_then_success_after_refresh(void)
{
    crto_upload_summary_t sum;
    queue3();
    client_init(0, true);
    on_new_conn(TOKEN_A);
    then(answer(401, "Unauthorized", "", P401));
    then(TOKEN_B);
    then(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK_EQ_INT(count(ALL3), 2);
    CHECK_EQ_INT(count("Authorization: Bearer tok-B"), 1); /* the resend carries the new token */
    CHECK_EQ_INT(mem.sleeps, 0);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_20_401_twice(void)
{
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, true);
    on_new_conn(TOKEN_A);
    then(answer(401, "Unauthorized", "", P401));
    then(TOKEN_B);
    then(answer(401, "Unauthorized", "", P401));
    flush_expect(0, CRTO_ERR_AUTH, "HTTP 401 from PATCH " CL_PATH ": authorization-token-expired - expired");
    CHECK_EQ_INT(client.diag.http_status, 401);
    CHECK_EQ_INT(client.stats.token_requests, 2); /* one refresh, never a loop */
    CHECK_EQ_INT(count(ALL3), 2);
    CHECK_EQ_INT(mem.sleeps, 0);
    nothing_lost(3, ALL3);
}

/* -------------------------------------------------------------- 21. 403 */

static void test_21_403(void)
{
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(403, "Forbidden", "",
                       "{\"errors\":[{\"type\":\"authorization\",\"code\":\"forbidden\",\"detail\":\"no consent\"}]}"));
    flush_expect(0, CRTO_ERR_FORBIDDEN, "HTTP 403 from PATCH " CL_PATH ": forbidden - no consent");
    CHECK_EQ_INT(client.diag.http_status, 403);
    CHECK_EQ_INT(count(ALL3), 1); /* not retried */
    nothing_lost(3, ALL3);
}

/* ------------------------------------------- 22. 404 segment-not-found */

static void test_22_404_segment_not_found(void)
{
    static const char *const dave[] = { "dave@shop.example" };
    crto_upload_summary_t sum;
    uint32_t oldest = 0;
    queue3();
    queue_emails("4343", dave, 1); /* another group, which must not starve */
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(404, "Not Found", "",
                       "{\"errors\":[{\"type\":\"validation\",\"code\":\"segment-not-found\",\"detail\":\"gone\"}]}"));
    then(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_ERR_NOT_FOUND);
    CHECK_EQ_STR(journal.diag.msg, "HTTP 404 from PATCH " CL_PATH ": segment-not-found - gone");
    CHECK_EQ_INT(sum.sent, 1); /* group 4343 went */
    CHECK(strstr((char *)sent, "\"identifiers\":[\"" H_DAVE "\"]") != NULL);
    CHECK_EQ_INT(count(ALL3), 1); /* a 404 is not retried */
    CHECK_EQ_INT(crto_journal_pending(&journal, &oldest), 3);
    CHECK_EQ_INT(oldest, 1000);
    nothing_lost(3, ALL3);
}

/* ------------------------------------------------- 23. malformed JSON */

static void test_23_malformed_json(void)
{
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "", "{\"data\":{\"type\":\"ContactlistAmendment\"},,\"errors\":[]}"));
    flush_expect(0, CRTO_ERR_JSON, "malformed JSON response at byte 40: expected a member name");
    CHECK_EQ_INT(mem.connects, 1);
    nothing_lost(3, ALL3);
}

static void test_23_truncated_json(void)
{
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "", "{\"data\":{\"type\":\"ContactlistAmendment\"}"));
    flush_expect(0, CRTO_ERR_JSON, "truncated JSON response: the object is not closed after 39 bytes");
    nothing_lost(3, ALL3);
}

/* ---------------------------------------- 24. valid JSON of the wrong shape */

static void test_24_wrong_shape_top_level_array(void)
{
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "", "[{\"data\":{}}]"));
    flush_expect(0, CRTO_ERR_JSON, "malformed JSON response at byte 0: the response is not a JSON object");
    nothing_lost(3, ALL3);
}

static void test_24_wrong_shape_token_response(void)
{
    queue3();
    client_init(0, true);
    on_new_conn(answer(200, "OK", "", "{\"access_token\":42,\"token_type\":\"Bearer\",\"expires_in\":900}"));
    flush_expect(0, CRTO_ERR_JSON, "token response: access_token is not a usable string");
    CHECK_EQ_INT(count("PATCH"), 0); /* no token, no upload */
    nothing_lost(3, ALL3);
}

static bool keep_segment(void *arg, const crto_segment_t *s)
{
    (void)arg;
    (void)s;
    return true;
}

static void test_24_wrong_shape_api_element(void)
{
    crto_page_t page;
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "", "{\"data\":[42],\"meta\":{\"totalItems\":1}}"));
    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_ms_segments_search(&client, NULL, &page, keep_segment, NULL, NULL), CRTO_ERR_JSON);
    CHECK_EQ_STR(client.diag.msg, "an element of \"data\" is not an object");
    CHECK_EQ_INT(mem.connects, 1);
    crto_client_deinit(&client);
}

/* A 2xx is Criteo's acknowledgement: an object with unknown members (no
 * counts) is accepted, its counts reported as unknown (-1). */
static crto_chunk_result_t g_chunk;

static void keep_chunk(void *arg, const crto_chunk_result_t *r)
{
    (void)arg;
    g_chunk = *r;
}

static void test_24_wrong_shape_object_is_still_an_ack(void)
{
    crto_lines_source_t lines;
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    client_init(0, false);
    on_new_conn(answer(200, "OK", "", "{\"data\":\"accepted\",\"later\":[1,2]}"));
    job.segment_id = SEG;
    crto_lines_source_init(&lines, "alice@example.com\n", 18, &job.source);
    job.on_chunk = keep_chunk;
    memset(&g_chunk, 0, sizeof g_chunk);
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.sent, 1);
    CHECK_EQ_INT(g_chunk.nb_valid, -1);
    CHECK_EQ_INT(g_chunk.contact_list_id, -1);
    crto_client_deinit(&client);
}

/* ----------------------------------- 25. a 200 with errors and warnings */

static void test_25_200_with_errors_and_warnings(void)
{
    static const char body[] =
        "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\",\"nbValidIdentifiers\":2,"
        "\"nbInvalidIdentifiers\":1}},\"errors\":[{\"type\":\"validation\",\"code\":\"invalid-identifier\","
        "\"instance\":\"@data/attributes/identifiers/2\"}],\"warnings\":[{\"type\":\"deprecation\","
        "\"code\":\"deprecated-field\"}]}";
    crto_lines_source_t lines;
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "", body));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(sum.nb_valid, 2);
    CHECK_EQ_INT(sum.nb_invalid, 1);
    CHECK_EQ_INT(sum.problems, 2);                         /* both read, neither hidden by the other */
    CHECK_EQ_INT(count(ALL3), 1);                          /* a 2xx is not retried */
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0); /* 2xx: acknowledged */
    crto_client_deinit(&client);

    /* the per-chunk figures the caller gets */
    client_init(0, false);
    on_new_conn(answer(200, "OK", "", body));
    job.segment_id = SEG;
    crto_lines_source_init(&lines, "a@b.io\nc@d.io\nnot-valid-at-server@x.io\n", 38, &job.source);
    job.on_chunk = keep_chunk;
    memset(&g_chunk, 0, sizeof g_chunk);
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(g_chunk.n_errors, 1);
    CHECK_EQ_INT(g_chunk.n_warnings, 1);
    CHECK_EQ_STR(g_chunk.first_problem, "invalid-identifier");
    CHECK_EQ_INT(g_chunk.nb_valid, 2);
    CHECK_EQ_INT(g_chunk.nb_invalid, 1);
    crto_client_deinit(&client);
}

/* ---------------------------------- 26. Connection: close after a response */

static void test_26_connection_close_after_a_response(void)
{
    crto_upload_summary_t sum;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(answer(200, "OK", "Connection: close\r\n", k_chunk_ok));
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 0);
    CHECK_EQ_INT(mem.sleeps, 0);
    CHECK_EQ_INT(count("PATCH /"), 2); /* each chunk once */
    CHECK(strstr((char *)sent, "\"identifiers\":[\"" H_ALICE "\",\"" H_BOB "\"]") != NULL);
    CHECK(strstr((char *)sent, "\"identifiers\":[\"" H_CAROL "\"]") != NULL);
    CHECK_EQ_INT(sum.chunks, 2);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

/* ------------------- 27. keep-alive connection closed between two requests */

static void test_27_keepalive_closed_between_requests(void)
{
    static const char *const dave[] = { "dave@shop.example" };
    crto_upload_summary_t sum;
    queue3();
    client_init(CRTO_RETRY_ATTEMPTS, false);
    on_new_conn(ok_answer()); /* answers once, then closes while idle */
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 1);
    queue_emails(SEG, dave, 1); /* later, on the kept connection */
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 0); /* a stale connection is not a failure */
    CHECK_EQ_INT(mem.sleeps, 0);
    /* the probe before reuse finds the close: sent once, on the new one */
    CHECK_EQ_INT(count("\"identifiers\":[\"" H_DAVE "\"]"), 1);
    CHECK_EQ_INT(sum.sent, 1);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_27_keepalive_reset_on_the_next_send(void)
{
    static const char *const dave[] = { "dave@shop.example" };
    crto_upload_summary_t sum;
    crto_mem_script_t *s;
    queue3();
    client_init(0, false); /* no retries at all: the stale resend is not one */
    s = on_new_conn(ok_answer());
    then(ok_answer());
    on_new_conn(ok_answer());
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    s->tx_reset_at = mem.tx_conn_bytes; /* the peer is gone: the next byte meets a reset */
    queue_emails(SEG, dave, 1);
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 0);
    CHECK_EQ_INT(count("\"identifiers\":[\"" H_DAVE "\"]"), 1);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

/* ------------- 27. a create on a kept-alive connection that dies after it */

/* api_call.c: "a create or a delete may already have happened, and a
 * resend would misreport it". A kept-alive connection that was alive when
 * the create went out (the probe found it open), and a server that took the
 * create whole and then dropped the connection without a byte of answer:
 * the create is not sent again, the caller gets the error. */
static bool g_die_after_request;

static int32_t dies_after_request_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_mem_t *m = ctx;
    /* the first answer was delivered, and another request has arrived */
    if (g_die_after_request && m->conn == 0 && m->part == 0 && m->part_off == m->scripts[0].part_len[0] &&
        m->tx_conn_bytes > m->tx_mark) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    return mem_recv_fn(ctx, buf, len, timeout_ms);
}

static void test_27_create_not_resent_on_a_stale_connection(void)
{
    crto_ms_segment_create_t item = crto_ms_segment_create_default("12", "kiosk opt-in");
    const char *created = answer(200, "OK", "", K_CREATED);
    crto_contact_stats_t st;
    crto_outcome_t out[1];
    crto_bulk_t bulk;
    client_init(4, false);
    mem_recv_fn = client.port.recv;
    client.port.recv = dies_after_request_recv;
    g_die_after_request = true;
    on_new_conn(answer(200, "OK", "", "{\"data\":{\"id\":\"7\",\"attributes\":{\"numberOfIdentifiers\":1}}}"));
    then(created); /* never delivered: the server dies first */
    on_new_conn(created);
    CHECK_EQ_INT(crto_ms_contact_list_stats(&client, "7", &st), CRTO_OK);
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_segments_create(&client, &item, 1, &bulk), CRTO_ERR_CLOSED);
    CHECK_EQ_INT(count("POST /2026-07/marketing-solutions/audience-segments/create"), 1);
    CHECK_EQ_INT(mem.connects, 1);
    g_die_after_request = false;
    crto_client_deinit(&client);
}


int main(void)
{
    RUN(test_01_connection_refused);
    RUN(test_06_tls_handshake_timeout);
    RUN(test_06_tls_handshake_past_the_deadline);
    RUN(test_07_reset_while_sending_the_body);
    RUN(test_07_reset_while_sending_then_resent);
    RUN(test_07_create_is_not_resent_after_a_cut_send);
    RUN(test_08_reset_while_reading_the_response);
    RUN(test_08_reset_while_reading_then_resent);
    RUN(test_08_create_is_not_resent_after_a_cut_answer);
    RUN(test_09_truncated_chunked_body);
    RUN(test_10_invalid_chunk_size);
    RUN(test_11_conflicting_content_length);
    RUN(test_12_header_line_larger_than_the_window);
    RUN(test_12_too_many_header_lines);
    RUN(test_13_body_larger_than_its_cap);
    RUN(test_14_one_byte_per_second_past_the_deadline);
    RUN(test_15_429_retry_after_then_delivered);
    RUN(test_15_429_retry_after_until_attempts_run_out);
    RUN(test_16_429_ratelimit_reset_only);
    RUN(test_17_503_then_success);
    RUN(test_18_500_until_attempts_run_out);
    RUN(test_19_401_then_success_after_refresh);
    RUN(test_20_401_twice);
    RUN(test_21_403);
    RUN(test_22_404_segment_not_found);
    RUN(test_23_malformed_json);
    RUN(test_23_truncated_json);
    RUN(test_24_wrong_shape_top_level_array);
    RUN(test_24_wrong_shape_token_response);
    RUN(test_24_wrong_shape_api_element);
    RUN(test_24_wrong_shape_object_is_still_an_ack);
    RUN(test_25_200_with_errors_and_warnings);
    RUN(test_26_connection_close_after_a_response);
    RUN(test_27_keepalive_closed_between_requests);
    RUN(test_27_keepalive_reset_on_the_next_send);
    RUN(test_27_create_not_resent_on_a_stale_connection);
    return crto_test_summary();
}
