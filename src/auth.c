/*
 * auth.c - OAuth2 client credentials: one token per lifetime, refreshed a
 * minute early on the monotonic clock (kiosks often have no RTC), or a
 * bearer token the application minted elsewhere.
 */
#include <string.h>

#include "client_internal.h"

/* Form-encode one value (RFC 3986 unreserved bytes stay, the rest %XX). */
static crto_err_t form_value(crto_jw_t *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            (void)crto_jw_raw(w, (const char *)&ch, 1);
        } else {
            char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
            (void)crto_jw_raw(w, esc, 3);
        }
    }
    return w->err;
}

static crto_err_t token_body(void *arg, crto_jw_t *w)
{
    const crto_client_t *c = arg;
    (void)crto_jw_lit(w, "client_id=");
    (void)form_value(w, c->client_id);
    (void)crto_jw_lit(w, "&client_secret=");
    (void)form_value(w, c->client_secret);
    return crto_jw_lit(w, "&grant_type=client_credentials");
}

typedef struct {
    crto_client_t *c;
    bool have_token;
    int64_t expires_in;
} token_ctx_t;

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

static crto_err_t on_token_member(void *arg, const char *key, size_t key_len, int32_t index, const char *json,
                                  size_t len)
{
    token_ctx_t *t = arg;
    crto_client_t *c = t->c;
    crto_jdoc_t *doc = &c->doc;
    crto_err_t e;

    (void)index;
    if (key_is(key, key_len, "access_token")) {
        /* The token is checked for size here so that a too-long JWT says
         * so, instead of failing later as a bad Authorization header. */
        e = crto_jdoc_parse(doc, json, len, &c->diag);
        if (e == CRTO_OK) {
            e = crto_jdoc_str(doc, 0, c->token, sizeof c->token, &c->token_len, &c->diag);
        }
        crto_wipe(doc, sizeof *doc);
        if (e == CRTO_ERR_TOO_LARGE) {
            return crto_diag_set(&c->diag, e, "access token is %zu bytes; CRTO_TOKEN_MAX is %zu", c->diag.need,
                                 sizeof c->token);
        }
        if (e != CRTO_OK || c->token_len == 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_JSON, "token response: access_token is not a usable string");
        }
        t->have_token = true;
    } else if (key_is(key, key_len, "expires_in")) {
        e = crto_jdoc_parse(doc, json, len, &c->diag);
        if (e == CRTO_OK) {
            e = crto_jdoc_int(doc, 0, &t->expires_in);
        }
        if (e != CRTO_OK || t->expires_in <= 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_JSON, "token response: expires_in is not a positive integer");
        }
    } else if (key_is(key, key_len, "token_type")) {
        char type[16];
        e = crto_jdoc_parse(doc, json, len, &c->diag);
        if (e != CRTO_OK || crto_jdoc_str(doc, 0, type, sizeof type, NULL, NULL) != CRTO_OK ||
            (strcmp(type, "Bearer") != 0 && strcmp(type, "bearer") != 0)) {
            return crto_diag_set(&c->diag, CRTO_ERR_JSON, "token response: token_type is not Bearer");
        }
    }
    return CRTO_OK;
}

uint32_t crto_client_token_seconds_left(const crto_client_t *c)
{
    uint64_t now;
    if (c->static_token || c->token_expires_ms == 0) {
        return 0;
    }
    now = c->port.now_ms(c->port.ctx);
    return c->token_expires_ms > now ? (uint32_t)((c->token_expires_ms - now) / 1000u) : 0;
}

static crto_err_t fetch_token(crto_client_t *c, crto_result_t *r)
{
    crto_exchange_t x;
    crto_progress_t p;
    token_ctx_t t;
    uint32_t failures = 0;
    crto_err_t e;

    memset(&x, 0, sizeof x);
    x.ep = &c->token_ep;
    x.method = "POST";
    x.path = c->token_path;
    x.content_type = "application/x-www-form-urlencoded";
    x.body = token_body;
    x.body_arg = c;
    x.token_request = true;
    x.on_element = on_token_member;
    x.element_arg = &t;
    for (;;) {
        uint64_t asked_at = c->port.now_ms(c->port.ctx);
        memset(&t, 0, sizeof t);
        t.c = c;
        t.expires_in = 900;
        e = crto_exchange(c, &x, r, &p);
        if (e == CRTO_OK && r->http.status == 200) {
            if (!t.have_token) {
                return crto_diag_set(&c->diag, CRTO_ERR_JSON, "token response has no access_token");
            }
            if (t.expires_in > CRTO_TOKEN_MAX_LIFETIME_S) {
                crto_log(c, CRTO_LOG_WARN, "token lifetime %lld s cut to %u s", (long long)t.expires_in,
                         (unsigned)CRTO_TOKEN_MAX_LIFETIME_S);
                t.expires_in = CRTO_TOKEN_MAX_LIFETIME_S;
            }
            /* Count the lifetime from when we asked: the server's clock
             * started no later than that. */
            c->token_lifetime_s = (uint32_t)t.expires_in;
            c->token_expires_ms = asked_at + (uint64_t)t.expires_in * 1000u;
            crto_log(c, CRTO_LOG_INFO, "token obtained, valid %lld s", (long long)t.expires_in);
            return CRTO_OK;
        }
        if (e == CRTO_OK) {
            int status = r->http.status;
            if (!crto_retry_status(status) || failures >= c->cfg.retry_attempts) {
                /* 400/401 mean the credentials are wrong: never loop on them. */
                crto_err_t code =
                    status == 400 || status == 401 || status == 403 ? CRTO_ERR_AUTH : crto_status_error(status);
                c->diag.http_status = status;
                if (code == CRTO_OK) {
                    code = CRTO_ERR_HTTP; /* a 2xx other than 200 is no token answer (RFC 6749 5.1) */
                }
                return crto_diag_set(&c->diag, code, "token request refused: HTTP %d%s%s%s%s", status,
                                     r->problem_code[0] ? " " : "", r->problem_code, r->problem_detail[0] ? " - " : "",
                                     r->problem_detail);
            }
        } else if (!crto_err_is_network(e) || failures >= c->cfg.retry_attempts) {
            return e;
        }
        if (e != CRTO_OK && p.reused && failures == 0) {
            failures++; /* a stale kept-alive connection: try again at once */
            continue;
        }
        failures++;
        c->stats.retries++;
        crto_client_sleep(
            c, crto_retry_delay_ms(failures, e == CRTO_OK ? r->http.status : 0, &r->http, -1, crto_client_rand(c)));
    }
}

crto_err_t crto_client_authenticate(crto_client_t *c, crto_result_t *result)
{
    crto_result_t local;
    uint64_t now;

    if (!c->initialised) {
        return crto_diag_set(&c->diag, CRTO_ERR_CONFIG, "client used before crto_client_init");
    }
    if (c->static_token) {
        return CRTO_OK;
    }
    now = c->port.now_ms(c->port.ctx);
    if (c->token_expires_ms != 0 && now + CRTO_TOKEN_EARLY_MS < c->token_expires_ms) {
        return CRTO_OK;
    }
    crto_wipe(c->token, sizeof c->token);
    c->token_len = 0;
    c->token_expires_ms = 0;
    return fetch_token(c, result != NULL ? result : &local);
}
