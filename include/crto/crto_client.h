/*
 * crto_client.h - one Criteo API client: its connection (TLS or loopback
 * plain HTTP), its OAuth2 token, its windows, its statistics.
 *
 * The caller declares crto_client_t (static, stack or pool) and keeps it
 * for as long as it uses the client; every byte crto needs is inside it
 * (sizeof is printed by the tests: at most 16 KiB by default). mbedTLS
 * allocates its record buffers through its own allocator.
 *
 *   static crto_client_t client;
 *   crto_client_config_t cfg = crto_client_config_default();
 *   cfg.client_id = getenv("CRITEO_CLIENT_ID");  ...
 *   if (crto_client_init(&client, &port, &cfg) != CRTO_OK) puts(client.diag.msg);
 *   ...
 *   crto_client_deinit(&client);   // wipes the secret and the token
 */
#ifndef CRTO_CLIENT_H
#define CRTO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_config.h"
#include "crto_error.h"
#include "crto_http.h"
#include "crto_json.h"
#include "crto_policy.h"
#include "crto_port.h"
#include "crto_tls.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRTO_DEFAULT_BASE_URL "https://api.criteo.com"
#define CRTO_DEFAULT_API_VERSION "2026-07"

/* Everything a client is configured with. Strings are borrowed during
 * crto_client_init only: the client copies what it keeps. */
typedef struct {
    const char *base_url;    /* API root; default CRTO_DEFAULT_BASE_URL            */
    const char *token_url;   /* default <base_url>/oauth2/token                    */
    const char *api_version; /* "2026-07", "2027-01", "experimental"...            */
    const char *ca_pem;      /* trust anchors, PEM, NUL-terminated; required for https */
    size_t ca_pem_len;       /* bytes including the NUL (strlen + 1)               */
    const char *client_id;   /* OAuth2 client credentials ...                      */
    const char *client_secret;
    const char *access_token; /* ... or a bearer token minted elsewhere (no token call) */
    uint32_t connect_timeout_ms;
    uint32_t io_timeout_ms;      /* longest silence while sending or receiving         */
    uint32_t request_timeout_ms; /* whole request, from connect to the last byte     */
    uint32_t retry_attempts;     /* tries after the first for 429, 5xx, early network failure */
    uint32_t retry_max_wait_ms;  /* most time one call may spend waiting between tries */
    uint32_t calls_per_min;      /* this device's own call budget (0: CRTO_RATE_BUDGET_PER_MIN) */
    uint32_t call_burst;         /* calls it may make at once (0: the default burst)  */
    uint64_t body_cap;           /* largest response body accepted                     */
    crto_log_level_t log_level;  /* lines above this level are not produced            */
} crto_client_config_t;

/* What the client did, for summaries and for tests. */
typedef struct {
    uint32_t requests; /* HTTP requests sent (token requests included)  */
    uint32_t token_requests;
    uint32_t connections;    /* TCP connections opened                        */
    uint32_t tls_handshakes; /* full or resumed                               */
    uint32_t tls_resumed;
    uint32_t retries;
    uint32_t waited_ms; /* total time slept between retries              */
    uint64_t bytes_sent;
    uint64_t bytes_received;
} crto_stats_t;

/* Where a connection goes. */
typedef struct {
    char host[CRTO_HOST_MAX];
    uint16_t port;
    bool tls;
} crto_endpoint_t;

/* A request body is produced by a callback into a JSON writer. crto calls it
 * first with a counting writer to learn the exact Content-Length, then again
 * (and again on a resend) with a writer that streams to the connection; it
 * must produce the same bytes every time. Return CRTO_OK or an error that
 * aborts the request. */
typedef crto_err_t (*crto_body_fn)(void *arg, crto_jw_t *w);

typedef struct {
    const char *method;       /* "GET", "POST", "PATCH", "DELETE"                 */
    const char *path;         /* from the API root, e.g. "/2026-07/marketing-solutions/..." */
    const char *content_type; /* with a body; NULL for none                       */
    crto_body_fn body;        /* NULL: no body                                    */
    void *body_arg;
    crto_jsplit_fn on_element; /* each element of a 2xx JSON response; may be NULL */
    void *element_arg;
    bool idempotent; /* safe to resend after a failure past the first body byte */
    /* Called (with element_arg) before every attempt, so what an attempt
     * that failed half-way handed to on_element can be forgotten. */
    void (*on_attempt)(void *element_arg);
} crto_request_t;

/* The outcome of one call, for the caller: status and rate-limit figures,
 * and the first problem the API reported (code and detail), if any. */
typedef struct {
    crto_http_response_t http;
    uint32_t attempts;
    char problem_code[48];
    char problem_detail[96];
    char trace_id[40];
} crto_result_t;

typedef struct crto_client {
    crto_port_t port;
    crto_tls_t tls;
    crto_endpoint_t api;
    crto_endpoint_t token_ep;
    char api_prefix[CRTO_PATH_MAX]; /* path part of base_url, without a trailing '/' */
    char token_path[CRTO_PATH_MAX];
    char version[CRTO_VERSION_MAX];
    crto_client_config_t cfg; /* strings inside are not kept (NULL)      */

    /* connection */
    const crto_endpoint_t *conn_ep; /* NULL when no connection is open         */
    bool conn_reusable;

    /* auth */
    char client_id[CRTO_CLIENT_ID_MAX];
    char client_secret[CRTO_CLIENT_SECRET_MAX];
    char token[CRTO_TOKEN_MAX];
    size_t token_len;
    uint64_t token_expires_ms; /* monotonic; 0 when no token is held      */
    uint32_t token_lifetime_s;
    bool static_token;

    /* windows */
    uint8_t rx[CRTO_HTTP_RX_WINDOW];
    size_t rx_len;
    /* A request is written (tx, wiped when sent) before its answer is
     * parsed (split, doc): one memory serves both, in turn. */
    union {
        uint8_t tx[CRTO_HTTP_TX_WINDOW];
        struct {
            crto_jsplit_t split;
            crto_jdoc_t doc;
        };
    };

    uint64_t rand_state;       /* jitter for backoff                      */
    crto_rate_budget_t budget; /* spaces this device's calls              */
    crto_diag_t diag;          /* the last error, explained              */
    crto_stats_t stats;
    bool initialised;
} crto_client_t;

/* Defaults: base URL, version 2026-07, timeouts and retries from
 * crto_config.h, no credentials. */
crto_client_config_t crto_client_config_default(void);

/* Set up a client on port with cfg. Nothing is sent yet. Errors:
 * CRTO_ERR_CONFIG (missing port function; base URL not https:// - or
 * http:// to a non-loopback host; bad version; no credentials; no CA for
 * https), CRTO_ERR_TOO_LARGE (a string longer than its buffer), CRTO_ERR_CERT
 * (CA bundle unusable). client->diag says which. */
crto_err_t crto_client_init(crto_client_t *client, const crto_port_t *port, const crto_client_config_t *cfg);

/* Close the connection and wipe the whole context, secrets and token
 * included. The client can be initialised again. */
void crto_client_deinit(crto_client_t *client);

/* Make sure a valid token is held: fetch one when there is none or it
 * expires within CRTO_TOKEN_EARLY_MS. No-op with a static bearer token.
 * Errors: CRTO_ERR_AUTH (credentials refused), network and TLS errors,
 * CRTO_ERR_JSON (token response unusable). */
crto_err_t crto_client_authenticate(crto_client_t *client, crto_result_t *result);

/* Seconds the held token still lives (0 when none or static). */
uint32_t crto_client_token_seconds_left(const crto_client_t *client);

/* Perform one authenticated API request: connect (or reuse the kept-alive
 * connection), send the head and the streamed body, read the response and
 * hand each JSON element of a 2xx body to req->on_element. Retries 429, 5xx
 * and network failures before any response byte (with backoff honouring
 * Retry-After and x-ratelimit-reset); on 401 refreshes the token once and
 * resends once. result may be NULL.
 * Errors: CRTO_ERR_AUTH, _FORBIDDEN, _NOT_FOUND, _BAD_REQUEST (4xx),
 * _RATE_LIMITED, _SERVER (after the retries), network/TLS/framing errors,
 * CRTO_ERR_JSON/_TOO_LARGE from the response, or what a callback returned. */
crto_err_t crto_client_call(crto_client_t *client, const crto_request_t *req, crto_result_t *result);

/* Close the connection (if any). The next call opens a new one, resuming
 * the TLS session. */
void crto_client_disconnect(crto_client_t *client);

/* Build "<prefix>/<version><rest>" into out[cap] (rest starts with '/').
 * Errors: CRTO_ERR_TOO_LARGE. */
crto_err_t crto_client_path(const crto_client_t *client, char *out, size_t cap, const char *rest);

/* Pure retry policy: the wait before attempt `attempt` (1-based count of
 * failures so far) after a response with status (0 for a network failure)
 * and the rate-limit headers in resp (may be NULL), utc_now the wall clock
 * or -1, rnd a random 32-bit value for jitter. Returns milliseconds. */
uint32_t crto_retry_delay_ms(uint32_t attempt, int status, const crto_http_response_t *resp, int64_t utc_now,
                             uint32_t rnd);

/* True when a response status is worth retrying (408, 429, 5xx). */
bool crto_retry_status(int status);

/* Is host a loopback name or address (127.0.0.0/8, ::1, localhost)? */
bool crto_host_is_loopback(const char *host);

/* Split an http(s) URL into endpoint and path (path may be "").
 * Errors: CRTO_ERR_CONFIG (scheme, port, http:// to a non-loopback host),
 * CRTO_ERR_TOO_LARGE (host or path longer than its buffer). */
crto_err_t crto_url_parse(const char *url, crto_endpoint_t *ep, char *path, size_t path_cap, crto_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_CLIENT_H */
