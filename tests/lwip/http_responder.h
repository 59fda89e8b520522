/*
 * http_responder.h - a minimal in-process "Criteo" for the lwIP client
 * tests: it parses HTTP/1.1 requests fed to it in pieces of any size and
 * answers the two requests a contact-list upload makes, like
 * tests/fake_criteo/fake_criteo.py does:
 *
 *   POST  /oauth2/token  (client_id=demo-client&client_secret=demo-secret
 *                         &grant_type=client_credentials)
 *         -> 200 {"access_token":"tok-lwip-1","token_type":"Bearer","expires_in":900}
 *   PATCH /<version>/marketing-solutions/audience-segments/<id>/contact-list
 *         with "Authorization: Bearer tok-lwip-1"
 *         -> 200 {"data":{"type":"ContactlistAmendment","attributes":{...counts}},
 *                 "errors":[],"warnings":[]}
 *   anything else -> 401 or 404 with a problem body.
 *
 * Bodies are scanned as they stream (never held whole): every string of
 * the "identifiers" array is appended to the caller's table, so a test
 * compares what arrived, in order, with what it sent. Transport-agnostic:
 * the raw test feeds it from tcp_recv callbacks, the sockets test from a
 * server thread.
 */
#ifndef CRTO_LWIP_HTTP_RESPONDER_H
#define CRTO_LWIP_HTTP_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LT_HTTP_TOKEN "tok-lwip-1"
#define LT_HTTP_ID_MAX 80 /* longest identifier kept (SHA-256 hex is 64) */

typedef char lt_http_id_t[LT_HTTP_ID_MAX + 1];

typedef struct {
    /* the caller's table of received identifiers */
    lt_http_id_t *ids;
    size_t ids_cap;
    size_t n_ids;
    bool ids_overflow;
    /* what was asked */
    unsigned token_requests;
    unsigned patches;
    unsigned bad_requests;  /* anything not answered 200 */
    unsigned requests_on_conn; /* on the current connection (keep-alive) */
    char last_op[16];       /* "operation" of the last PATCH          */
    char last_type[24];     /* "identifierType" of the last PATCH     */
    /* the request being parsed */
    char head[8192];
    size_t head_len;
    bool in_body;
    uint64_t body_left;
    char method[8];
    char path[256];
    bool bearer_ok;
    char body_start[512];   /* the first bytes of the body, for the form */
    size_t body_start_len;
    size_t ids_this_request;
    /* the identifiers array scanner */
    int scan;               /* 0 looking for the key, 1 in the array, 2 in a string, 3 done */
    size_t key_matched;
    lt_http_id_t cur;
    size_t cur_len;
    /* what to send back (drained by the transport) */
    uint8_t out[2048];
    size_t out_len;
} lt_http_t;

/* Start with empty counters and an empty table ids[cap]. */
void lt_http_init(lt_http_t *h, lt_http_id_t *ids, size_t cap);

/* A new connection: the parser starts over. */
void lt_http_new_connection(lt_http_t *h);

/* Feed len received bytes. Each complete request adds its response to
 * h->out (the transport sends and empties it). Returns false when the
 * request is malformed beyond answering (the transport closes). */
bool lt_http_feed(lt_http_t *h, const uint8_t *data, size_t len);

#endif /* CRTO_LWIP_HTTP_RESPONDER_H */
