/*
 * test_http_writer.c - crto_http_write_head: the exact bytes of a request
 * head, the Host port rule, header injection and the TOO_LARGE contract.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto_client.h"
#include "crto/crto_http.h"
#include "crto_test.h"

static char g_buf[2048];

static void test_patch_head_exact_bytes(void)
{
    static const char expected[] = "PATCH /2026-07/marketing-solutions/audience-segments/123/contact-list HTTP/1.1\r\n"
                                   "Host: api.criteo.com\r\n"
                                   "User-Agent: crto/0.1\r\n"
                                   "Accept: application/json\r\n"
                                   "Authorization: Bearer eyJhbGciOi.payload.sig\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Content-Length: 1234\r\n"
                                   "\r\n";
    crto_diag_t diag;
    size_t len = 0;
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "PATCH", "api.criteo.com", 443, true,
                                      "/2026-07/marketing-solutions/audience-segments/123/contact-list",
                                      "eyJhbGciOi.payload.sig", "application/json", 1234, &diag),
                 CRTO_OK);
    CHECK_EQ_INT(len, sizeof expected - 1);
    CHECK_EQ_STR(g_buf, expected);
    CHECK_EQ_INT(diag.err, CRTO_OK);
}

static void test_get_without_body_or_bearer(void)
{
    /* NULL bearer: no Authorization; NULL type and -1 length: no body headers */
    static const char expected[] = "GET /health HTTP/1.1\r\n"
                                   "Host: api.criteo.com\r\n"
                                   "User-Agent: crto/0.1\r\n"
                                   "Accept: application/json\r\n"
                                   "\r\n";
    size_t len = 0;
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", "api.criteo.com", 443, true, "/health", NULL,
                                      NULL, -1, NULL),
                 CRTO_OK);
    CHECK_EQ_INT(len, sizeof expected - 1);
    CHECK_EQ_STR(g_buf, expected);
    CHECK(strstr(g_buf, "Authorization") == NULL);
}

static void test_token_post_with_form_body(void)
{
    static const char expected[] = "POST /oauth2/token HTTP/1.1\r\n"
                                   "Host: 127.0.0.1:8080\r\n"
                                   "User-Agent: crto/0.1\r\n"
                                   "Accept: application/json\r\n"
                                   "Content-Type: application/x-www-form-urlencoded\r\n"
                                   "Content-Length: 0\r\n"
                                   "\r\n";
    size_t len = 0;
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "POST", "127.0.0.1", 8080, false, "/oauth2/token",
                                      NULL, "application/x-www-form-urlencoded", 0, NULL),
                 CRTO_OK);
    CHECK_EQ_STR(g_buf, expected);
    CHECK_EQ_INT(len, sizeof expected - 1);
}

/* The Host line written for host:port over tls. */
static const char *host_line(const char *host, uint16_t port, bool tls)
{
    static char line[128];
    size_t len = 0;
    const char *start, *end;
    line[0] = '\0';
    if (crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", host, port, tls, "/", NULL, NULL, -1, NULL) !=
        CRTO_OK) {
        return "(error)";
    }
    start = strstr(g_buf, "\r\nHost: ");
    if (start == NULL) {
        return "(no Host)";
    }
    start += 2;
    end = strstr(start, "\r\n");
    (void)snprintf(line, sizeof line, "%.*s", (int)(end - start), start);
    return line;
}

static void test_host_port_only_when_not_default(void)
{
    CHECK_EQ_STR(host_line("api.criteo.com", 443, true), "Host: api.criteo.com");
    CHECK_EQ_STR(host_line("localhost", 80, false), "Host: localhost");
    CHECK_EQ_STR(host_line("api.criteo.com", 8443, true), "Host: api.criteo.com:8443");
    CHECK_EQ_STR(host_line("127.0.0.1", 8080, false), "Host: 127.0.0.1:8080");
    /* the default is per scheme: 80 over TLS and 443 in clear are explicit */
    CHECK_EQ_STR(host_line("api.criteo.com", 80, true), "Host: api.criteo.com:80");
    CHECK_EQ_STR(host_line("127.0.0.1", 443, false), "Host: 127.0.0.1:443");
    CHECK_EQ_STR(host_line("127.0.0.1", 65535, false), "Host: 127.0.0.1:65535");
}

static void test_host_of_an_ipv6_endpoint_is_bracketed(void)
{
    /* crto_url_parse keeps an IPv6 literal bare ("::1", as connect needs it);
     * the Host header must write it as an IP-literal (RFC 9110 7.2, RFC 3986
     * 3.2.2), or the port cannot be told from the address. */
    crto_endpoint_t ep;
    char path[64];
    CHECK_EQ_INT(crto_url_parse("https://[::1]:8443/api", &ep, path, sizeof path, NULL), CRTO_OK);
    CHECK_EQ_STR(ep.host, "::1");
    CHECK_EQ_STR(host_line(ep.host, ep.port, ep.tls), "Host: [::1]:8443");

    CHECK_EQ_INT(crto_url_parse("http://[::1]", &ep, path, sizeof path, NULL), CRTO_OK);
    CHECK_EQ_STR(host_line(ep.host, ep.port, ep.tls), "Host: [::1]");
}

static void test_crlf_in_a_field_is_refused(void)
{
    crto_diag_t diag;
    size_t len = 0;
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", "api.criteo.com", 443, true,
                                      "/a\r\nX-Injected: 1", NULL, NULL, -1, &diag),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(diag.err, CRTO_ERR_ARG);
    CHECK_EQ_STR(diag.msg, "CR or LF inside an HTTP request field");

    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", "api.criteo.com", 443, true, "/a",
                                      "token\nX-Injected: 1", NULL, -1, &diag),
                 CRTO_ERR_ARG);
    CHECK_EQ_STR(diag.msg, "CR or LF inside an HTTP request field");

    /* a lone CR is as bad as a LF, in every field */
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", "api.criteo.com", 443, true, "/a",
                                      "token\r", NULL, -1, NULL),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET\r", "api.criteo.com", 443, true, "/a", NULL,
                                      NULL, -1, NULL),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "GET", "evil\r\nX: y", 443, true, "/a", NULL, NULL,
                                      -1, NULL),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_http_write_head(g_buf, sizeof g_buf, &len, "POST", "api.criteo.com", 443, true, "/a", NULL,
                                      "application/json\n", 2, NULL),
                 CRTO_ERR_ARG);
}

static void test_too_small_buffer_says_what_is_needed(void)
{
    static const char expected[] = "PATCH /p HTTP/1.1\r\n"
                                   "Host: h:8443\r\n"
                                   "User-Agent: crto/0.1\r\n"
                                   "Accept: application/json\r\n"
                                   "Authorization: Bearer t\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Content-Length: 99\r\n"
                                   "\r\n";
    const size_t n = sizeof expected - 1; /* the head without its NUL */
    char buf[sizeof expected];
    crto_diag_t diag;
    size_t len = 12345;
    char msg[CRTO_DIAG_MAX];

    /* one byte short (no room for the NUL) */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(buf, n, &len, "PATCH", "h", 8443, true, "/p", "t", "application/json", 99,
                                      &diag),
                 CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, n + 1);
    (void)snprintf(msg, sizeof msg, "request head needs %zu bytes; CRTO_HTTP_TX_WINDOW is %zu", n + 1, n);
    CHECK_EQ_STR(diag.msg, msg);
    CHECK_EQ_INT(len, 12345); /* untouched on error */

    /* far too small: the same need */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(buf, 10, &len, "PATCH", "h", 8443, true, "/p", "t", "application/json", 99,
                                      &diag),
                 CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, n + 1);

    /* exactly need bytes is enough */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_http_write_head(buf, n + 1, &len, "PATCH", "h", 8443, true, "/p", "t", "application/json", 99,
                                      &diag),
                 CRTO_OK);
    CHECK_EQ_INT(len, n);
    CHECK_EQ_STR(buf, expected);
}

int main(void)
{
    RUN(test_patch_head_exact_bytes);
    RUN(test_get_without_body_or_bearer);
    RUN(test_token_post_with_form_body);
    RUN(test_host_port_only_when_not_default);
    RUN(test_host_of_an_ipv6_endpoint_is_bracketed);
    RUN(test_crlf_in_a_field_is_refused);
    RUN(test_too_small_buffer_says_what_is_needed);
    return crto_test_summary();
}
