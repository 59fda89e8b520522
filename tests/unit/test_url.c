/*
 * test_url.c - crto_url_parse and crto_host_is_loopback: the API root and
 * token URLs, and the rule that plain http:// is for loopback test servers
 * only.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto_client.h"
#include "crto_test.h"

static crto_endpoint_t g_ep;
static char g_path[CRTO_PATH_MAX];
static crto_diag_t g_diag;

static crto_err_t parse(const char *url)
{
    crto_diag_clear(&g_diag);
    memset(g_path, 'x', sizeof g_path);
    g_path[sizeof g_path - 1] = '\0';
    return crto_url_parse(url, &g_ep, g_path, sizeof g_path, &g_diag);
}

/* ------------------------------------------------------------ accepted */

static void test_https_default_port(void)
{
    CHECK_EQ_INT(parse("https://api.criteo.com"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "api.criteo.com");
    CHECK_EQ_INT(g_ep.port, 443);
    CHECK(g_ep.tls);
    CHECK_EQ_STR(g_path, "");
    CHECK_EQ_INT(g_diag.err, CRTO_OK);

    /* a lone trailing slash is the same root */
    CHECK_EQ_INT(parse("https://api.criteo.com/"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "api.criteo.com");
    CHECK_EQ_STR(g_path, "");
}

static void test_https_explicit_port_and_path(void)
{
    CHECK_EQ_INT(parse("https://api.criteo.com:8443/oauth2/token"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "api.criteo.com");
    CHECK_EQ_INT(g_ep.port, 8443);
    CHECK(g_ep.tls);
    CHECK_EQ_STR(g_path, "/oauth2/token");

    /* the path is kept without its trailing slashes */
    CHECK_EQ_INT(parse("https://proxy.example.com/criteo/api//"), CRTO_OK);
    CHECK_EQ_INT(g_ep.port, 443);
    CHECK_EQ_STR(g_path, "/criteo/api");

    CHECK_EQ_INT(parse("https://h:1"), CRTO_OK);
    CHECK_EQ_INT(g_ep.port, 1);
    CHECK_EQ_INT(parse("https://h:65535/"), CRTO_OK);
    CHECK_EQ_INT(g_ep.port, 65535);
}

static void test_ipv6_literal(void)
{
    CHECK_EQ_INT(parse("https://[::1]:8443/api"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "::1"); /* bare, as connect() wants it */
    CHECK_EQ_INT(g_ep.port, 8443);
    CHECK(g_ep.tls);
    CHECK_EQ_STR(g_path, "/api");

    CHECK_EQ_INT(parse("https://[2001:db8::7]"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "2001:db8::7");
    CHECK_EQ_INT(g_ep.port, 443);
    CHECK_EQ_STR(g_path, "");

    /* ::1 is loopback, so plain http is allowed to it */
    CHECK_EQ_INT(parse("http://[::1]:8080"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "::1");
    CHECK_EQ_INT(g_ep.port, 8080);
    CHECK(!g_ep.tls);

    CHECK_EQ_INT(parse("https://[::1:8443/api"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "unterminated IPv6 address in URL");
    CHECK_EQ_INT(parse("https://[::1]8443/"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "invalid characters after the host in URL");
}

static void test_http_to_loopback(void)
{
    CHECK_EQ_INT(parse("http://127.0.0.1:8080"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "127.0.0.1");
    CHECK_EQ_INT(g_ep.port, 8080);
    CHECK(!g_ep.tls);
    CHECK_EQ_STR(g_path, "");

    CHECK_EQ_INT(parse("http://localhost"), CRTO_OK);
    CHECK_EQ_STR(g_ep.host, "localhost");
    CHECK_EQ_INT(g_ep.port, 80);
    CHECK(!g_ep.tls);

    CHECK_EQ_INT(parse("http://127.1.2.3:9000/fake/criteo/"), CRTO_OK);
    CHECK_EQ_STR(g_path, "/fake/criteo");
}

/* ------------------------------------------------------------ refused */

static void test_http_elsewhere_is_refused(void)
{
    CHECK_EQ_INT(parse("http://example.com"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(g_diag.err, CRTO_ERR_CONFIG);
    CHECK(strstr(g_diag.msg, "loopback") != NULL);
    CHECK_EQ_STR(g_diag.msg,
                 "plain http:// is only allowed to a loopback host (127.0.0.0/8, ::1, localhost), not example.com");

    CHECK_EQ_INT(parse("http://10.0.0.1"), CRTO_ERR_CONFIG);
    CHECK(strstr(g_diag.msg, "loopback") != NULL);
    CHECK_EQ_INT(parse("http://api.criteo.com:80/"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("http://127.0.0.1.evil.com/"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("http://localhost.evil:8080/"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("http://[2001:db8::1]/"), CRTO_ERR_CONFIG);
}

static void test_other_schemes_are_refused(void)
{
    CHECK_EQ_INT(parse("ftp://api.criteo.com/"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL must start with https:// (got \"ftp://api.criteo.com/\")");
    CHECK_EQ_INT(parse("api.criteo.com"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("HTTPS://api.criteo.com"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("https:/api.criteo.com"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse(""), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse(NULL), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "no URL given");
}

static void test_bad_ports_are_refused(void)
{
    static const char *const bad[] = {
        "https://api.criteo.com:0",     "https://api.criteo.com:65536/", "https://api.criteo.com:abc",
        "https://api.criteo.com:-1",    "https://api.criteo.com:80a/",   "https://api.criteo.com:99999999999999999999",
        "https://api.criteo.com:+443",  "http://127.0.0.1:0/",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(parse(bad[i]), CRTO_ERR_CONFIG);
        CHECK_EQ_STR(g_diag.msg, "invalid port in URL");
    }
    CHECK_EQ_INT(parse("https://api.criteo.com:/"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "empty port in URL");
}

static void test_credentials_are_refused(void)
{
    CHECK_EQ_INT(parse("https://user@api.criteo.com/"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "credentials inside the URL are not accepted");
    CHECK_EQ_INT(parse("https://user:secret@api.criteo.com"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "credentials inside the URL are not accepted");
    /* a loopback-looking user part does not make the host loopback */
    CHECK_EQ_INT(parse("http://127.0.0.1@example.com/"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("http://localhost:80@example.com/"), CRTO_ERR_CONFIG);
}

static void test_query_and_fragment_are_refused(void)
{
    CHECK_EQ_INT(parse("https://api.criteo.com?x=1"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL must not carry a query or fragment");
    CHECK_EQ_INT(parse("https://api.criteo.com#top"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL must not carry a query or fragment");
    /* ... wherever they start: after a path too */
    CHECK_EQ_INT(parse("https://api.criteo.com/oauth2/token?grant_type=x"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL must not carry a query or fragment");
    CHECK_EQ_INT(parse("https://api.criteo.com/api#frag"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL must not carry a query or fragment");
}

static void test_empty_host_is_refused(void)
{
    CHECK_EQ_INT(parse("https://"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL has no host");
    CHECK_EQ_INT(parse("https:///path"), CRTO_ERR_CONFIG);
    CHECK_EQ_INT(parse("https://:443/"), CRTO_ERR_CONFIG);
    CHECK_EQ_STR(g_diag.msg, "URL has no host");
    CHECK_EQ_INT(parse("https://[]/"), CRTO_ERR_CONFIG);
}

static void test_host_and_path_too_long(void)
{
    char url[CRTO_HOST_MAX + 64];
    char small[8];
    crto_diag_t diag;

    /* CRTO_HOST_MAX - 1 characters fit */
    (void)snprintf(url, sizeof url, "https://%0*d/", CRTO_HOST_MAX - 1, 0);
    CHECK_EQ_INT(parse(url), CRTO_OK);
    CHECK_EQ_INT(strlen(g_ep.host), CRTO_HOST_MAX - 1);

    /* CRTO_HOST_MAX do not */
    (void)snprintf(url, sizeof url, "https://%0*d/", CRTO_HOST_MAX, 0);
    CHECK_EQ_INT(parse(url), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_diag.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_diag.need, CRTO_HOST_MAX + 1);
    CHECK_EQ_STR(g_diag.msg, "URL host is longer than CRTO_HOST_MAX - 1");

    /* the path buffer is the caller's: 7 characters and the NUL fit in 8 */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_url_parse("https://h/abcdef/", &g_ep, small, sizeof small, &diag), CRTO_OK);
    CHECK_EQ_STR(small, "/abcdef");
    CHECK_EQ_INT(crto_url_parse("https://h/abcdefg", &g_ep, small, sizeof small, &diag), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, 9);
    CHECK_EQ_STR(diag.msg, "URL path is longer than CRTO_PATH_MAX - 1");
}

/* ------------------------------------------------------------ loopback */

static void test_host_is_loopback(void)
{
    CHECK(crto_host_is_loopback("127.0.0.1"));
    CHECK(crto_host_is_loopback("127.255.255.254"));
    CHECK(crto_host_is_loopback("127.0.0.0"));
    CHECK(crto_host_is_loopback("localhost"));
    CHECK(crto_host_is_loopback("::1"));
    CHECK(crto_host_is_loopback("[::1]"));

    CHECK(!crto_host_is_loopback("128.0.0.1"));
    CHECK(!crto_host_is_loopback("126.0.0.1"));
    CHECK(!crto_host_is_loopback("10.0.0.1"));
    CHECK(!crto_host_is_loopback("127.0.0.1.evil.com"));
    CHECK(!crto_host_is_loopback("127.0.0.1evil"));
    CHECK(!crto_host_is_loopback("localhost.evil"));
    CHECK(!crto_host_is_loopback("evil.localhost.com"));
    CHECK(!crto_host_is_loopback("127.0.0.256"));
    CHECK(!crto_host_is_loopback("127.0.0"));
    CHECK(!crto_host_is_loopback("1270.0.0.1"));
    CHECK(!crto_host_is_loopback("::2"));
    CHECK(!crto_host_is_loopback(""));
}

int main(void)
{
    RUN(test_https_default_port);
    RUN(test_https_explicit_port_and_path);
    RUN(test_ipv6_literal);
    RUN(test_http_to_loopback);
    RUN(test_http_elsewhere_is_refused);
    RUN(test_other_schemes_are_refused);
    RUN(test_bad_ports_are_refused);
    RUN(test_credentials_are_refused);
    RUN(test_query_and_fragment_are_refused);
    RUN(test_empty_host_is_refused);
    RUN(test_host_and_path_too_long);
    RUN(test_host_is_loopback);
    return crto_test_summary();
}
