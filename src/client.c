/*
 * client.c - the request cycle: connect or reuse, stream the request, read
 * the response through the bounded windows, decide whether to try again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client_internal.h"
#include "connection.h"

crto_client_config_t crto_client_config_default(void)
{
    crto_client_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = CRTO_DEFAULT_BASE_URL;
    cfg.api_version = CRTO_DEFAULT_API_VERSION;
    cfg.connect_timeout_ms = CRTO_CONNECT_TIMEOUT_MS;
    cfg.io_timeout_ms = CRTO_IO_TIMEOUT_MS;
    cfg.request_timeout_ms = CRTO_REQUEST_TIMEOUT_MS;
    cfg.retry_attempts = CRTO_RETRY_ATTEMPTS;
    cfg.retry_max_wait_ms = CRTO_RETRY_MAX_WAIT_MS;
    cfg.body_cap = CRTO_BODY_CAP;
    cfg.log_level = CRTO_LOG_INFO;
    return cfg;
}

void crto_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

void crto_log(const crto_client_t *c, crto_log_level_t level, const char *fmt, ...)
{
    char line[CRTO_DIAG_MAX];
    va_list ap;
    if (c->port.log == NULL || level > c->cfg.log_level) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->port.log(c->port.ctx, level, line);
}

uint32_t crto_client_rand(crto_client_t *c)
{
    /* xorshift64*: jitter needs spread, not secrecy */
    uint64_t x = c->rand_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rand_state = x;
    return (uint32_t)((x * 2685821657736338717ull) >> 32);
}

void crto_client_sleep(crto_client_t *c, uint32_t ms)
{
    if (c->port.sleep_ms != NULL && ms > 0) {
        c->port.sleep_ms(c->port.ctx, ms);
        c->stats.waited_ms += ms;
    }
}

static bool valid_version(const char *v)
{
    size_t i;
    if (strcmp(v, "experimental") == 0 || strcmp(v, "preview") == 0) {
        return true;
    }
    if (strlen(v) != 7 || v[4] != '-') {
        return false;
    }
    for (i = 0; i < 7; i++) {
        if (i != 4 && (v[i] < '0' || v[i] > '9')) {
            return false;
        }
    }
    return true;
}

static crto_err_t copy_secret(crto_client_t *c, char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = strlen(src);
    if (n == 0) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "%s is empty", what);
    }
    if (n >= cap) {
        c->diag.need = n + 1;
        return crto_diag_set(&c->diag, CRTO_ERR_TOO_LARGE, "%s is %zu bytes; the buffer holds %zu", what, n, cap - 1);
    }
    memcpy(dst, src, n + 1);
    return CRTO_OK;
}

static crto_err_t init_urls(crto_client_t *c, const crto_client_config_t *cfg)
{
    crto_err_t e;
    const char *base = cfg->base_url != NULL ? cfg->base_url : CRTO_DEFAULT_BASE_URL;
    const char *version = cfg->api_version != NULL ? cfg->api_version : CRTO_DEFAULT_API_VERSION;

    e = crto_url_parse(base, &c->api, c->api_prefix, sizeof c->api_prefix, &c->diag);
    if (e != CRTO_OK) {
        return e;
    }
    if (cfg->token_url != NULL) {
        e = crto_url_parse(cfg->token_url, &c->token_ep, c->token_path, sizeof c->token_path, &c->diag);
        if (e != CRTO_OK) {
            return e;
        }
        if (c->token_path[0] == '\0') {
            return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "token URL has no path");
        }
    } else {
        c->token_ep = c->api;
        if (strlen(c->api_prefix) + sizeof "/oauth2/token" > sizeof c->token_path) {
            return crto_diag_set(&c->diag, CRTO_ERR_TOO_LARGE, "base URL path too long for the token path");
        }
        memcpy(c->token_path, c->api_prefix, strlen(c->api_prefix));
        memcpy(c->token_path + strlen(c->api_prefix), "/oauth2/token", sizeof "/oauth2/token");
    }
    if (!valid_version(version) || strlen(version) >= sizeof c->version) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG,
                             "API version \"%.20s\" is not YYYY-MM, \"experimental\" or \"preview\"", version);
    }
    memcpy(c->version, version, strlen(version) + 1);
    return CRTO_OK;
}

crto_err_t crto_client_init(crto_client_t *c, const crto_port_t *port, const crto_client_config_t *cfg)
{
    crto_err_t e;
    uint8_t seed[8];

    memset(c, 0, sizeof *c);
    if (port == NULL || cfg == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "crto_client_init needs a port and a configuration");
    }
    e = crto_port_check(port, &c->diag);
    if (e != CRTO_OK) {
        return e;
    }
    c->port = *port;
    c->cfg = *cfg;
    c->cfg.base_url = c->cfg.token_url = c->cfg.api_version = NULL;
    c->cfg.ca_pem = c->cfg.client_id = c->cfg.client_secret = c->cfg.access_token = NULL;
    if (c->cfg.connect_timeout_ms == 0 || c->cfg.io_timeout_ms == 0 || c->cfg.request_timeout_ms == 0) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "timeouts must be greater than zero");
    }
    if (c->cfg.retry_max_wait_ms == 0) {
        c->cfg.retry_max_wait_ms = CRTO_RETRY_MAX_WAIT_MS;
    }
    if (c->cfg.body_cap == 0) {
        c->cfg.body_cap = CRTO_BODY_CAP;
    }
    e = init_urls(c, cfg);
    if (e != CRTO_OK) {
        return e;
    }
    if (crto_rate_budget_init(&c->budget, cfg->calls_per_min, cfg->call_burst) != CRTO_OK) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "call_burst must not exceed calls_per_min");
    }
    if (cfg->access_token != NULL && cfg->access_token[0] != '\0') {
        e = copy_secret(c, c->token, sizeof c->token, cfg->access_token, "the access token");
        if (e != CRTO_OK) {
            return e;
        }
        c->token_len = strlen(c->token);
        c->static_token = true;
    } else if (cfg->client_id != NULL && cfg->client_secret != NULL) {
        e = copy_secret(c, c->client_id, sizeof c->client_id, cfg->client_id, "the client id");
        if (e == CRTO_OK) {
            e = copy_secret(c, c->client_secret, sizeof c->client_secret, cfg->client_secret, "the client secret");
        }
        if (e != CRTO_OK) {
            return e;
        }
    } else {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG,
                             "no credentials: give a client id and secret, or an access token");
    }
    if (c->api.tls || c->token_ep.tls) {
        e = crto_tls_init(&c->tls, &c->port, cfg->ca_pem, cfg->ca_pem_len, &c->diag);
        if (e != CRTO_OK) {
            crto_tls_free(&c->tls);
            return e;
        }
    }
    if (c->port.entropy != NULL && c->port.entropy(c->port.ctx, seed, sizeof seed) == CRTO_OK) {
        memcpy(&c->rand_state, seed, sizeof seed);
    }
    c->rand_state |= 1u; /* xorshift must not start at zero */
    c->initialised = true;
    return CRTO_OK;
}

void crto_client_deinit(crto_client_t *c)
{
    if (c->initialised) {
        crto_conn_close(c);
    }
    crto_tls_free(&c->tls);
    crto_wipe(c, sizeof *c);
}

void crto_client_disconnect(crto_client_t *c)
{
    crto_conn_close(c);
}

crto_err_t crto_client_path(const crto_client_t *c, char *out, size_t cap, const char *rest)
{
    int n = snprintf(out, cap, "%s/%s%s", c->api_prefix, c->version, rest);
    if (n < 0 || (size_t)n >= cap) {
        return CRTO_ERR_TOO_LARGE;
    }
    return CRTO_OK;
}

crto_err_t crto_status_error(int status)
{
    if (status >= 200 && status <= 299) {
        return CRTO_OK;
    }
    switch (status) {
    case 401:
        return CRTO_ERR_AUTH;
    case 403:
        return CRTO_ERR_FORBIDDEN;
    case 404:
        return CRTO_ERR_NOT_FOUND;
    case 429:
        return CRTO_ERR_RATE_LIMITED;
    default:
        break;
    }
    if (status >= 500) {
        return CRTO_ERR_SERVER;
    }
    return status >= 400 ? CRTO_ERR_BAD_REQUEST : CRTO_ERR_HTTP;
}

/* ------------------------------------------------------------ the response */

typedef struct {
    crto_client_t *c;
    const crto_exchange_t *x;
    crto_result_t *r;
    bool routed; /* route_body ran                          */
    bool split;  /* the body goes through the JSON splitter */
    bool fed;
} response_ctx_t;

/* Copy a string member of the problem at token obj into out (best effort). */
static void problem_field(crto_jdoc_t *doc, int obj, const char *key, char *out, size_t cap)
{
    int t = crto_jdoc_member(doc, obj, key);
    if (t != CRTO_JSON_NONE && out[0] == '\0' && crto_jdoc_type(doc, t) == CRTO_JTYPE_STRING) {
        if (crto_jdoc_str(doc, t, out, cap, NULL, NULL) != CRTO_OK) {
            out[0] = '\0';
        }
    }
}

/* For an error response: keep the first problem's code, detail and trace
 * id. Criteo answers {"errors":[...]}; an OAuth2 server answers
 * {"error":"...","error_description":"..."}. */
static crto_err_t on_problem(void *arg, const char *key, size_t key_len, int32_t index, const char *json, size_t len)
{
    response_ctx_t *rc = arg;
    crto_result_t *r = rc->r;
    crto_jdoc_t *doc = &rc->c->doc;
    bool oauth_code = key_len == 5 && memcmp(key, "error", 5) == 0;
    bool oauth_desc = key_len == 17 && memcmp(key, "error_description", 17) == 0;

    if (crto_jdoc_parse(doc, json, len, NULL) != CRTO_OK) {
        return CRTO_OK; /* an unreadable problem does not hide the status */
    }
    if (oauth_code || oauth_desc) {
        if (crto_jdoc_type(doc, 0) == CRTO_JTYPE_STRING) {
            char *out = oauth_code ? r->problem_code : r->problem_detail;
            size_t cap = oauth_code ? sizeof r->problem_code : sizeof r->problem_detail;
            if (out[0] == '\0' && crto_jdoc_str(doc, 0, out, cap, NULL, NULL) != CRTO_OK) {
                out[0] = '\0';
            }
        }
        return CRTO_OK;
    }
    if (index >= 0 && key_len == 6 && memcmp(key, "errors", 6) == 0 && crto_jdoc_type(doc, 0) == CRTO_JTYPE_OBJECT &&
        r->problem_code[0] == '\0') {
        problem_field(doc, 0, "code", r->problem_code, sizeof r->problem_code);
        problem_field(doc, 0, "detail", r->problem_detail, sizeof r->problem_detail);
        problem_field(doc, 0, "title", r->problem_detail, sizeof r->problem_detail);
        problem_field(doc, 0, "traceId", r->trace_id, sizeof r->trace_id);
    }
    return CRTO_OK;
}

static void route_body(response_ctx_t *rc);

static crto_err_t body_sink(void *arg, const uint8_t *data, size_t len)
{
    response_ctx_t *rc = arg;
    if (!rc->routed) {
        route_body(rc); /* the head is complete once body bytes flow */
        rc->routed = true;
    }
    if (!rc->split) {
        return CRTO_OK;
    }
    rc->fed = true;
    return crto_jsplit_feed(&rc->c->split, data, len);
}

/* Decide, once the head is known, where the body goes. */
static void route_body(response_ctx_t *rc)
{
    crto_client_t *c = rc->c;
    const crto_http_response_t *h = &rc->r->http;
    bool ok = h->status >= 200 && h->status <= 299;

    rc->split = false;
    if (ok && rc->x->on_element != NULL && h->json) {
        crto_jsplit_init(&c->split, rc->x->on_element, rc->x->element_arg, &c->diag);
        rc->split = true;
    } else if (!ok && h->json) {
        crto_jsplit_init(&c->split, on_problem, rc, &c->diag);
        rc->split = true;
    }
}

static crto_err_t read_response(crto_client_t *c, const crto_exchange_t *x, crto_result_t *r, uint64_t deadline,
                                crto_progress_t *p)
{
    crto_http_reader_t reader;
    response_ctx_t rc;
    crto_err_t e;

    memset(&rc, 0, sizeof rc);
    rc.c = c;
    rc.x = x;
    rc.r = r;
    crto_http_reader_init(&reader, &r->http, c->cfg.body_cap, strcmp(x->method, "HEAD") == 0, &c->diag);
    while (!crto_http_reader_done(&reader)) {
        size_t used = 0, got = 0;
        if (c->rx_len > 0) {
            e = crto_http_reader_feed(&reader, c->rx, c->rx_len, &used, body_sink, &rc);
            if (e != CRTO_OK) {
                return e;
            }
            memmove(c->rx, c->rx + used, c->rx_len - used);
            c->rx_len -= used;
            if (crto_http_reader_done(&reader)) {
                break;
            }
            if (used == 0 && c->rx_len == sizeof c->rx) {
                c->diag.need = sizeof c->rx + 1;
                return crto_diag_set(&c->diag, CRTO_ERR_TOO_LARGE,
                                     "an HTTP header line is longer than CRTO_HTTP_RX_WINDOW (%zu bytes)",
                                     sizeof c->rx);
            }
        }
        e = crto_conn_recv(c, c->rx + c->rx_len, sizeof c->rx - c->rx_len, deadline, &got);
        if (e == CRTO_ERR_CLOSED) {
            c->conn_reusable = false;
            e = crto_http_reader_eof(&reader);
            if (e != CRTO_OK) {
                return e;
            }
            break;
        }
        if (e != CRTO_OK) {
            if (e != CRTO_ERR_TIMEOUT) {
                (void)crto_diag_set(&c->diag, e, "receiving the response failed: %s", crto_err_str(e));
            }
            return e;
        }
        p->response_started = true;
        c->rx_len += got;
    }
    if (rc.fed) {
        e = crto_jsplit_finish(&c->split);
        if (e != CRTO_OK) {
            return e;
        }
    }
    /* Reuse only a connection whose response was read to its end and that
     * the server did not close; stray bytes mean we lost the framing. */
    if (r->http.close || c->rx_len != 0) {
        c->conn_reusable = false;
    }
    return CRTO_OK;
}

/* ------------------------------------------------------------- the request */

typedef struct {
    crto_client_t *c;
    uint64_t deadline;
    bool *body_started;
} send_ctx_t;

static crto_err_t flush_to_connection(void *arg, const uint8_t *data, size_t len)
{
    send_ctx_t *s = arg;
    uint64_t before = s->c->stats.bytes_sent;
    crto_err_t e = crto_conn_send_all(s->c, data, len, s->deadline);
    if (s->c->stats.bytes_sent != before) {
        *s->body_started = true; /* bytes left: the server may act on them */
    }
    return e;
}

/* Every request, token requests included, passes the device's budget
 * first, so one kiosk never bursts the application's shared 250 calls/min. */
static void spend_budget(crto_client_t *c)
{
    uint64_t now = c->port.now_ms(c->port.ctx);
    uint32_t wait = crto_rate_budget_wait_ms(&c->budget, now);
    if (wait > 0 && c->port.sleep_ms != NULL) {
        crto_client_sleep(c, wait);
        now = c->port.now_ms(c->port.ctx);
    }
    crto_rate_budget_take(&c->budget, now); /* without a sleep the debt lengthens later waits */
}

crto_err_t crto_exchange(crto_client_t *c, const crto_exchange_t *x, crto_result_t *r, crto_progress_t *p)
{
    uint64_t deadline;
    int64_t content_length = -1;
    size_t head_len = 0;
    crto_jw_t w;
    send_ctx_t sc;
    crto_err_t e;

    memset(p, 0, sizeof *p);
    memset(r, 0, sizeof *r);
    spend_budget(c);
    deadline = c->port.now_ms(c->port.ctx) + c->cfg.request_timeout_ms;
    if (x->body != NULL) {
        crto_jw_init(&w, NULL, 0, NULL, NULL);
        e = x->body(x->body_arg, &w);
        if (e != CRTO_OK) {
            return e;
        }
        content_length = (int64_t)w.total;
    } else if (strcmp(x->method, "POST") == 0 || strcmp(x->method, "PUT") == 0 || strcmp(x->method, "PATCH") == 0) {
        content_length = 0; /* an empty body is still announced */
    }
    e = crto_conn_open(c, x->ep, deadline, &p->reused);
    if (e != CRTO_OK) {
        return e;
    }
    e = crto_http_write_head((char *)c->tx, sizeof c->tx, &head_len, x->method, x->ep->host, x->ep->port, x->ep->tls,
                             x->path, x->bearer ? c->token : NULL, x->content_type, content_length, &c->diag);
    if (e != CRTO_OK) {
        return e;
    }
    c->stats.requests++;
    if (x->token_request) {
        c->stats.token_requests++;
    }
    crto_log(c, CRTO_LOG_DEBUG, "%s %s (%lld body bytes)", x->method, x->path, (long long)content_length);

    /* The head goes out with the first window of body, in one write. */
    sc.c = c;
    sc.deadline = deadline;
    sc.body_started = &p->body_started;
    crto_jw_init(&w, c->tx, sizeof c->tx, flush_to_connection, &sc);
    w.len = head_len;
    w.total = head_len;
    if (x->body != NULL) {
        e = x->body(x->body_arg, &w);
    }
    if (e == CRTO_OK) {
        e = crto_jw_finish(&w);
    }
    crto_wipe(c->tx, sizeof c->tx); /* the head carried the token */
    if (e == CRTO_OK && x->body != NULL && (int64_t)(w.total - head_len) != content_length) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "request body was %llu bytes, not the %lld counted before",
                          (unsigned long long)(w.total - head_len), (long long)content_length);
    }
    if (e != CRTO_OK) {
        crto_conn_close(c); /* a request cut short leaves the server waiting: never reuse it */
        return e;
    }
    e = read_response(c, x, r, deadline, p);
    if (e != CRTO_OK || !c->conn_reusable) {
        crto_conn_close(c);
    }
    return e;
}

/* Failures that happen on the way, before anything is known about the
 * server's view of the request. */
static bool network_error(crto_err_t e)
{
    return crto_err_is_network(e) || e == CRTO_ERR_TLS;
}

/* Wait before retry `attempt` as the policy says, unless that would take
 * the call past its retry time budget or the port cannot sleep at all (then
 * the caller gives up now rather than hammer the API). */
static bool may_wait(crto_client_t *c, uint32_t attempt, int status, const crto_http_response_t *resp, uint64_t *waited)
{
    int64_t utc = -1;
    uint32_t wait;
    if (c->port.utc_now != NULL && c->port.utc_now(c->port.ctx, &utc) != CRTO_OK) {
        utc = -1;
    }
    wait = crto_retry_delay_ms(attempt, status, resp, utc, crto_client_rand(c));
    if (wait > 0 && c->port.sleep_ms == NULL) {
        return false;
    }
    if (*waited + wait > c->cfg.retry_max_wait_ms) {
        crto_log(c, CRTO_LOG_WARN, "giving up: waiting %u ms more would pass the retry budget of %u ms", (unsigned)wait,
                 (unsigned)c->cfg.retry_max_wait_ms);
        return false;
    }
    *waited += wait;
    c->stats.retries++;
    if (status == 429) {
        /* nothing of this device goes before the server's time, then gently */
        uint64_t now = c->port.now_ms(c->port.ctx);
        crto_rate_budget_penalise(&c->budget, now, now + wait);
    }
    crto_client_sleep(c, wait);
    return true;
}

crto_err_t crto_client_call(crto_client_t *c, const crto_request_t *req, crto_result_t *result)
{
    crto_result_t local = { 0 };
    crto_result_t *r = result != NULL ? result : &local;
    crto_exchange_t x;
    crto_progress_t p;
    bool refreshed = false, stale_retried = false;
    uint32_t failures = 0;
    uint64_t waited = 0;
    crto_err_t e;

    if (!c->initialised) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "client used before crto_client_init");
    }
    crto_diag_clear(&c->diag);
    memset(&x, 0, sizeof x);
    x.ep = &c->api;
    x.method = req->method;
    x.path = req->path;
    x.content_type = req->content_type;
    x.body = req->body;
    x.body_arg = req->body_arg;
    x.bearer = true;
    x.on_element = req->on_element;
    x.element_arg = req->element_arg;

    for (;;) {
        e = crto_client_authenticate(c, NULL);
        if (e != CRTO_OK) {
            return e;
        }
        if (req->on_attempt != NULL) {
            req->on_attempt(req->element_arg);
        }
        e = crto_exchange(c, &x, r, &p);
        r->attempts = failures + 1;
        if (e == CRTO_OK) {
            int status = r->http.status;
            if (status == 401 && !c->static_token && !refreshed) {
                /* The token expired or was revoked early: one fresh token, one resend. */
                crto_log(c, CRTO_LOG_INFO, "401 %s: refreshing the token once", r->problem_code);
                refreshed = true;
                c->token_expires_ms = 0;
                continue;
            }
            if (crto_retry_status(status) && failures < c->cfg.retry_attempts &&
                may_wait(c, failures + 1, status, &r->http, &waited)) {
                failures++;
                crto_log(c, CRTO_LOG_WARN, "HTTP %d on %s: retry %u", status, x.path, (unsigned)failures);
                continue;
            }
            e = crto_status_error(status);
            if (e != CRTO_OK) {
                c->diag.http_status = status;
                return crto_diag_set(&c->diag, e, "HTTP %d from %s %s%s%s%s%s", status, x.method, x.path,
                                     r->problem_code[0] ? ": " : "", r->problem_code, r->problem_detail[0] ? " - " : "",
                                     r->problem_detail);
            }
            return CRTO_OK;
        }
        if (!network_error(e) || (p.response_started && !req->idempotent)) {
            return e; /* an answer was under way: only a repeatable request may go again */
        }
        if (p.body_started && !req->idempotent) {
            /* The server may have acted on it, even on a kept-alive
             * connection that died right after: only the caller can tell. */
            return e;
        }
        if (p.reused && !p.response_started && !stale_retried) {
            /* A kept-alive connection the server had closed: not a failure
             * of the request, resend at once on a new one. */
            stale_retried = true;
            continue;
        }
        if (failures >= c->cfg.retry_attempts || !may_wait(c, failures + 1, 0, NULL, &waited)) {
            return e;
        }
        failures++;
        crto_log(c, CRTO_LOG_WARN, "%s on %s: retry %u", crto_err_name(e), x.path, (unsigned)failures);
    }
}
