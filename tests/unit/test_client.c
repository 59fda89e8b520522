/*
 * test_client.c - the request cycle over the in-memory port: token fetch,
 * refresh on 401, retries on 429/5xx with the waits the policy promises
 * (on the fake clock), keep-alive reuse and its limits, the memory budget,
 * and secrets wiped at teardown.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "crto_test.h"

#define TOKEN_OK                                                                                                  \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 92\r\n\r\n"                            \
    "{\"access_token\":\"tok-AAAA\",\"token_type\":\"Bearer\",\"expires_in\":900,\"refresh_token\":null}     "
#define TOKEN_OK2                                                                                                 \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 92\r\n\r\n"                            \
    "{\"access_token\":\"tok-BBBB\",\"token_type\":\"Bearer\",\"expires_in\":900,\"refresh_token\":null}     "
#define API_OK "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"data\":[]}"
#define API_401                                                                                                   \
    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 74\r\n\r\n"                  \
    "{\"errors\":[{\"type\":\"authorization\",\"code\":\"authorization-token-expired\"}]}"
#define API_429                                                                                                   \
    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nx-ratelimit-remaining: 0\r\nContent-Length: 0\r\n\r\n"
#define API_503 "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"

static crto_mem_t mem;
static crto_port_t port;
static crto_client_t client;
static uint8_t sent[65536];

static void setup(const char *secret_or_null_for_bearer)
{
    crto_client_config_t cfg = crto_client_config_default();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent);
    cfg.base_url = "http://127.0.0.1:8080";
    if (secret_or_null_for_bearer != NULL) {
        cfg.client_id = "kiosk-42";
        cfg.client_secret = secret_or_null_for_bearer;
    } else {
        cfg.access_token = "static-bearer";
    }
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
}

/* One connection whose server answers each request with the next string. */
static crto_mem_script_t *conn(const char *first, ...)
{
    va_list ap;
    const char *next;
    crto_mem_script_t *s = crto_mem_add(&mem, first, strlen(first));
    va_start(ap, first);
    while ((next = va_arg(ap, const char *)) != NULL) {
        s = crto_mem_then(&mem, next, strlen(next));
    }
    va_end(ap);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *p = hay;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static crto_err_t call_get(crto_result_t *r)
{
    crto_request_t req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/2026-07/marketing-solutions/audience-segments/in-market-brands?advertiser-id=1&country=FR";
    return crto_client_call(&client, &req, r);
}

static void test_context_fits_16_kib(void)
{
    printf("  sizeof(crto_client_t) = %zu bytes (budget 16384)\n", sizeof(crto_client_t));
    CHECK(sizeof(crto_client_t) <= 16384);
}

static void test_token_then_call_on_one_connection(void)
{
    crto_result_t r;
    setup("s3cr3t&=");
    conn(TOKEN_OK, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK_EQ_INT(mem.connects, 1);
    CHECK_EQ_INT(client.stats.token_requests, 1);
    CHECK_EQ_INT(client.stats.requests, 2);
    /* the form is URL-encoded, the API call carries the token */
    CHECK(strstr((char *)sent, "POST /oauth2/token HTTP/1.1\r\n") == (char *)sent);
    CHECK(strstr((char *)sent, "Content-Type: application/x-www-form-urlencoded\r\n") != NULL);
    CHECK(strstr((char *)sent, "client_id=kiosk-42&client_secret=s3cr3t%26%3D&grant_type=client_credentials") !=
          NULL);
    CHECK(strstr((char *)sent, "GET /2026-07/marketing-solutions/audience-segments/in-market-brands") != NULL);
    CHECK(strstr((char *)sent, "Authorization: Bearer tok-AAAA\r\n") != NULL);
    CHECK_EQ_INT(crto_client_token_seconds_left(&client), 900);
    crto_client_deinit(&client);
}

static void test_token_reused_until_a_minute_before_expiry(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_OK, API_OK, TOKEN_OK2, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    mem.now += 800u * 1000u; /* 100 s left: still used */
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 1);
    mem.now += 50u * 1000u; /* 50 s left: refreshed first */
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK(strstr((char *)sent, "Authorization: Bearer tok-BBBB\r\n") != NULL);
    CHECK_EQ_INT(mem.connects, 1);
    crto_client_deinit(&client);
}

/* A server's absurd expires_in (here INT64_MAX seconds) is cut to
 * CRTO_TOKEN_MAX_LIFETIME_S: the token is neither refreshed on every call
 * (a wrapped expiry in the past) nor kept forever. */
static void test_huge_token_lifetime_is_cut_to_a_day(void)
{
    static char token_huge[256];
    static const char body[] = "{\"access_token\":\"tok-HUGE\",\"token_type\":\"Bearer\","
                               "\"expires_in\":9223372036854775807}";
    crto_result_t r;
    (void)snprintf(token_huge, sizeof token_huge,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %u\r\n\r\n%s",
                   (unsigned)(sizeof body - 1), body);
    setup("secret");
    conn(token_huge, API_OK, API_OK, TOKEN_OK2, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.token_lifetime_s, CRTO_TOKEN_MAX_LIFETIME_S);
    mem.now += (CRTO_TOKEN_MAX_LIFETIME_S - 120u) * 1000ull; /* two minutes left: still used */
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 1);
    mem.now += 90u * 1000u; /* 30 s left: refreshed first */
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK(strstr((char *)sent, "Authorization: Bearer tok-BBBB\r\n") != NULL);
    crto_client_deinit(&client);
}

static void test_401_refreshes_once_and_resends(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_401, TOKEN_OK2, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK_EQ_INT(count((char *)sent, "GET /2026-07"), 2);
    CHECK_EQ_INT(count((char *)sent, "Bearer tok-BBBB"), 1);
    crto_client_deinit(&client);
}

static void test_401_twice_is_an_auth_error(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_401, TOKEN_OK2, API_401, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_AUTH);
    CHECK_EQ_INT(client.diag.http_status, 401);
    CHECK(strstr(client.diag.msg, "authorization-token-expired") != NULL);
    CHECK_EQ_STR(client.diag.msg, "HTTP 401 from GET /2026-07/marketing-solutions/audience-segments/in-market-brands"
                                  "?advertiser-id=1&country=FR: authorization-token-expired");
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK_EQ_INT(count((char *)sent, "GET /2026-07"), 2);
    crto_client_deinit(&client);
}

static void test_static_bearer_makes_no_token_call(void)
{
    crto_result_t r;
    setup(NULL);
    conn(API_401, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_AUTH); /* a static token cannot be refreshed */
    CHECK_EQ_INT(client.stats.token_requests, 0);
    CHECK(strstr((char *)sent, "Authorization: Bearer static-bearer\r\n") != NULL);
    crto_client_deinit(&client);
}

static void test_429_waits_retry_after_on_the_clock(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_429, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.slept_ms, 3000);
    CHECK_EQ_INT(mem.sleeps, 1);
    CHECK_EQ_INT(client.stats.retries, 1);
    CHECK_EQ_INT(r.attempts, 2);
    crto_client_deinit(&client);
}

static void test_503_until_attempts_run_out(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_503, API_503, API_503, API_503, API_503, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_SERVER);
    CHECK_EQ_INT(r.attempts, CRTO_RETRY_ATTEMPTS + 1);
    CHECK_EQ_INT(client.stats.retries, CRTO_RETRY_ATTEMPTS);
    CHECK_EQ_INT(client.diag.http_status, 503);
    CHECK_EQ_STR(client.diag.msg, "HTTP 503 from GET /2026-07/marketing-solutions/audience-segments/in-market-brands"
                                  "?advertiser-id=1&country=FR");
    crto_client_deinit(&client);
}

static void test_stale_keepalive_reconnects_without_a_retry(void)
{
    crto_result_t r;
    setup("secret");
    /* the server silently closed the kept connection after the first call */
    conn(TOKEN_OK, API_OK, NULL);
    conn(API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 0);
    CHECK_EQ_INT(mem.sleeps, 0);
    crto_client_deinit(&client);
}

static void test_connection_close_is_honoured(void)
{
    static const char close_ok[] =
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        "{\"data\":[]}";
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, close_ok, NULL);
    conn(API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 1);
    CHECK_EQ_INT(mem.closes, 1); /* the answer said close: crto closed */
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 0);
    crto_client_deinit(&client);
}

static void test_header_line_larger_than_the_window(void)
{
    static char big[CRTO_HTTP_RX_WINDOW + 200];
    static char resp[sizeof big + 256];
    crto_result_t r;
    int n;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 0\r\n\r\n", big);
    setup(NULL);
    crto_mem_add(&mem, resp, (size_t)n);
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_TOO_LARGE);
    CHECK(strstr(client.diag.msg, "CRTO_HTTP_RX_WINDOW") != NULL);
    CHECK_EQ_INT(client.diag.need, CRTO_HTTP_RX_WINDOW + 1);
    CHECK_EQ_INT(mem.connects, 1); /* not retried */
    crto_client_deinit(&client);
}

static void test_truncated_response_is_not_retried(void)
{
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\":";
    crto_result_t r;
    setup(NULL);
    crto_mem_add(&mem, cut, sizeof cut - 1);
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_CLOSED);
    CHECK(strstr(client.diag.msg, "body bytes missing") != NULL);
    CHECK_EQ_STR(client.diag.msg, "connection closed with 92 of 100 body bytes missing");
    CHECK_EQ_INT(mem.connects, 1);
    crto_client_deinit(&client);
}

/* io_timeout_ms bounds the server's silence: a server that accepts the
 * request and says nothing is given up after 5 s, not the 20 s deadline. */
static void test_silent_server_times_out_after_the_io_timeout(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_result_t r;
    crto_mem_init(&mem, &port, sent, sizeof sent);
    cfg.base_url = "http://localhost";
    cfg.access_token = "t";
    cfg.retry_attempts = 0;
    cfg.io_timeout_ms = 5000;
    cfg.request_timeout_ms = 20000;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    conn(API_OK, NULL);
    mem.recv_blocks = 1000;
    CHECK_EQ_INT(call_get(&r), CRTO_ERR_TIMEOUT);
    CHECK_EQ_INT(mem.now - 1000000u, 5000);
    CHECK_EQ_STR(client.diag.msg, "no byte from the server for 5000 ms");
    crto_client_deinit(&client);
}

static void test_short_reads_and_writes(void)
{
    crto_result_t r;
    setup("secret");
    conn(TOKEN_OK, API_OK, NULL);
    mem.max_read = 1;
    mem.max_write = 3;
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(r.http.status, 200);
    CHECK(strstr((char *)sent, "Authorization: Bearer tok-AAAA\r\n") != NULL);
    crto_client_deinit(&client);
}

static void test_refused_connection_is_retried_then_reported(void)
{
    crto_result_t r;
    crto_mem_script_t *s;
    setup(NULL);
    s = crto_mem_add(&mem, "", 0);
    s->refuse = true;
    conn(API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(client.stats.retries, 1);
    crto_client_deinit(&client);
}

static void test_config_errors_name_the_problem(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_mem_init(&mem, &port, NULL, 0);
    cfg.access_token = "t";
    cfg.base_url = "http://api.criteo.com";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CONFIG);
    CHECK(strstr(client.diag.msg, "loopback") != NULL);
    cfg.base_url = "https://api.criteo.com";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CERT); /* https needs trust anchors */
    cfg.base_url = "http://127.0.0.1";
    cfg.api_version = "2026-7";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CONFIG);
    CHECK(strstr(client.diag.msg, "API version") != NULL);
    cfg.api_version = "experimental";
    cfg.access_token = NULL;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CONFIG);
    CHECK(strstr(client.diag.msg, "no credentials") != NULL);
    port.now_ms = NULL;
    cfg.access_token = "t";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CONFIG);
    CHECK(strstr(client.diag.msg, "now_ms") != NULL);
}

static bool contains(const void *mem_, size_t n, const char *s)
{
    size_t k = strlen(s), i;
    const char *p = mem_;
    for (i = 0; i + k <= n; i++) {
        if (memcmp(p + i, s, k) == 0) {
            return true;
        }
    }
    return false;
}

static void test_deinit_wipes_secret_and_token(void)
{
    crto_result_t r;
    setup("very-secret-value");
    conn(TOKEN_OK, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK(contains(&client, sizeof client, "very-secret-value"));
    CHECK(contains(&client, sizeof client, "tok-AAAA"));
    crto_client_deinit(&client);
    CHECK(!contains(&client, sizeof client, "very-secret-value"));
    CHECK(!contains(&client, sizeof client, "tok-AAAA"));
}

static void test_calls_are_spaced_by_the_device_budget(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_result_t r;
    crto_mem_init(&mem, &port, sent, sizeof sent);
    cfg.base_url = "http://127.0.0.1:8080";
    cfg.access_token = "t";
    cfg.calls_per_min = 60; /* one call a second ... */
    cfg.call_burst = 2;     /* ... after two at once */
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    conn(API_OK, API_OK, API_OK, API_OK, NULL);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.slept_ms, 0);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.slept_ms, 1000);
    CHECK_EQ_INT(call_get(&r), CRTO_OK);
    CHECK_EQ_INT(mem.slept_ms, 2000);
    crto_client_deinit(&client);
    cfg.call_burst = 61;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_ERR_CONFIG);
}

int main(void)
{
    RUN(test_context_fits_16_kib);
    RUN(test_token_then_call_on_one_connection);
    RUN(test_token_reused_until_a_minute_before_expiry);
    RUN(test_huge_token_lifetime_is_cut_to_a_day);
    RUN(test_401_refreshes_once_and_resends);
    RUN(test_401_twice_is_an_auth_error);
    RUN(test_static_bearer_makes_no_token_call);
    RUN(test_429_waits_retry_after_on_the_clock);
    RUN(test_503_until_attempts_run_out);
    RUN(test_stale_keepalive_reconnects_without_a_retry);
    RUN(test_connection_close_is_honoured);
    RUN(test_header_line_larger_than_the_window);
    RUN(test_truncated_response_is_not_retried);
    RUN(test_silent_server_times_out_after_the_io_timeout);
    RUN(test_short_reads_and_writes);
    RUN(test_refused_connection_is_retried_then_reported);
    RUN(test_config_errors_name_the_problem);
    RUN(test_deinit_wipes_secret_and_token);
    RUN(test_calls_are_spaced_by_the_device_budget);
    return crto_test_summary();
}
