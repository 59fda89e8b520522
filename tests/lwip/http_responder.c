/*
 * http_responder.c - see http_responder.h.
 */
#include "http_responder.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char k_ids_key[] = "\"identifiers\":[";

void lt_http_init(lt_http_t *h, lt_http_id_t *ids, size_t cap)
{
    memset(h, 0, sizeof *h);
    h->ids = ids;
    h->ids_cap = cap;
}

static void start_request(lt_http_t *h)
{
    h->head_len = 0;
    h->in_body = false;
    h->body_left = 0;
    h->method[0] = '\0';
    h->path[0] = '\0';
    h->bearer_ok = false;
    h->body_start_len = 0;
    h->ids_this_request = 0;
    h->scan = 0;
    h->key_matched = 0;
    h->cur_len = 0;
}

void lt_http_new_connection(lt_http_t *h)
{
    start_request(h);
    h->requests_on_conn = 0;
    h->out_len = 0;
}

static void respond(lt_http_t *h, int status, const char *reason, const char *body)
{
    int n = snprintf((char *)h->out + h->out_len, sizeof h->out - h->out_len,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %u\r\n"
                     "Connection: keep-alive\r\n\r\n%s",
                     status, reason, (unsigned)strlen(body), body);
    if (n > 0 && (size_t)n < sizeof h->out - h->out_len) {
        h->out_len += (size_t)n;
    }
    if (status != 200) {
        h->bad_requests++;
    }
}

static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name);
    size_t i;
    if (len <= n || line[n] != ':') {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (tolower((unsigned char)line[i]) != tolower((unsigned char)name[i])) {
            return false;
        }
    }
    *value = line + n + 1;
    while (**value == ' ' || **value == '\t') {
        (*value)++;
    }
    return true;
}

/* Parse the complete head in h->head (NUL-terminated, CRLF lines). */
static bool parse_head(lt_http_t *h)
{
    char *line = h->head, *eol;
    if (sscanf(h->head, "%7s %255s HTTP/1.1", h->method, h->path) != 2) {
        return false;
    }
    while ((eol = strstr(line, "\r\n")) != NULL) {
        const char *v;
        size_t len = (size_t)(eol - line);
        if (header_is(line, len, "Content-Length", &v)) {
            h->body_left = strtoull(v, NULL, 10);
        } else if (header_is(line, len, "Authorization", &v)) {
            static const char want[] = "Bearer " LT_HTTP_TOKEN "\r\n";
            h->bearer_ok = strncmp(v, want, sizeof want - 1) == 0;
        } else if (header_is(line, len, "Transfer-Encoding", &v)) {
            return false; /* crto always sends an exact Content-Length */
        }
        line = eol + 2;
    }
    return true;
}

/* Streaming scan of a contact-list body for the identifiers' strings. */
static void scan_body(lt_http_t *h, char c)
{
    switch (h->scan) {
    case 0:
        if (c == k_ids_key[h->key_matched]) {
            if (++h->key_matched == sizeof k_ids_key - 1) {
                h->scan = 1;
            }
        } else {
            h->key_matched = c == k_ids_key[0] ? 1u : 0u;
        }
        break;
    case 1:
        if (c == '"') {
            h->scan = 2;
            h->cur_len = 0;
        } else if (c == ']') {
            h->scan = 3;
        }
        break;
    case 2:
        if (c == '"') {
            h->cur[h->cur_len] = '\0';
            if (h->n_ids < h->ids_cap) {
                memcpy(h->ids[h->n_ids], h->cur, h->cur_len + 1);
                h->n_ids++;
            } else {
                h->ids_overflow = true;
            }
            h->ids_this_request++;
            h->scan = 1;
        } else if (h->cur_len < LT_HTTP_ID_MAX) {
            h->cur[h->cur_len++] = c;
        }
        break;
    default:
        break;
    }
}

/* The value of "key":"value" in the body's first bytes, into out[cap]. */
static void json_string(const char *body, const char *key, char *out, size_t cap)
{
    char pat[48];
    const char *p, *end;
    size_t n;
    out[0] = '\0';
    (void)snprintf(pat, sizeof pat, "\"%s\":\"", key);
    p = strstr(body, pat);
    if (p == NULL) {
        return;
    }
    p += strlen(pat);
    end = strchr(p, '"');
    if (end == NULL) {
        return;
    }
    n = (size_t)(end - p);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

static void finish_request(lt_http_t *h)
{
    char seg[32];
    char body[512];
    h->requests_on_conn++;
    h->body_start[h->body_start_len] = '\0';
    if (strcmp(h->method, "POST") == 0 && strcmp(h->path, "/oauth2/token") == 0) {
        h->token_requests++;
        if (strstr(h->body_start, "client_id=demo-client") != NULL &&
            strstr(h->body_start, "client_secret=demo-secret") != NULL &&
            strstr(h->body_start, "grant_type=client_credentials") != NULL) {
            respond(h, 200, "OK",
                    "{\"access_token\":\"" LT_HTTP_TOKEN "\",\"token_type\":\"Bearer\",\"expires_in\":900}");
        } else {
            respond(h, 401, "Unauthorized", "{\"error\":\"invalid_client\"}");
        }
    } else if (strcmp(h->method, "PATCH") == 0 &&
               sscanf(h->path, "/%*[^/]/marketing-solutions/audience-segments/%31[0-9]/contact-list", seg) == 1 &&
               strstr(h->path, "/contact-list") + strlen("/contact-list") == h->path + strlen(h->path)) {
        if (!h->bearer_ok) {
            respond(h, 401, "Unauthorized",
                    "{\"errors\":[{\"type\":\"authentication\",\"code\":\"authorization-token-invalid\"}]}");
            return;
        }
        h->patches++;
        json_string(h->body_start, "operation", h->last_op, sizeof h->last_op);
        json_string(h->body_start, "identifierType", h->last_type, sizeof h->last_type);
        (void)snprintf(body, sizeof body,
                       "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"contactListId\":%s,"
                       "\"operation\":\"%s\",\"requestDate\":\"2026-11-23T15:00:00.000Z\","
                       "\"identifierType\":\"%s\",\"nbValidIdentifiers\":%u,\"nbInvalidIdentifiers\":0,"
                       "\"sampleInvalidIdentifiers\":[]}},\"errors\":[],\"warnings\":[]}",
                       seg, h->last_op, h->last_type, (unsigned)h->ids_this_request);
        respond(h, 200, "OK", body);
    } else {
        respond(h, 404, "Not Found", "{\"errors\":[{\"type\":\"not-found\",\"code\":\"not-found\"}]}");
    }
}

bool lt_http_feed(lt_http_t *h, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (!h->in_body) {
            if (h->head_len + 1 >= sizeof h->head) {
                return false; /* head too long */
            }
            h->head[h->head_len++] = (char)data[i++];
            h->head[h->head_len] = '\0';
            if (h->head_len >= 4 && memcmp(h->head + h->head_len - 4, "\r\n\r\n", 4) == 0) {
                if (!parse_head(h)) {
                    return false;
                }
                h->in_body = true;
                if (h->body_left == 0) {
                    finish_request(h);
                    start_request(h);
                }
            }
            continue;
        }
        while (i < len && h->body_left > 0) {
            char c = (char)data[i++];
            if (h->body_start_len < sizeof h->body_start - 1) {
                h->body_start[h->body_start_len++] = c;
            }
            scan_body(h, c);
            h->body_left--;
        }
        if (h->body_left == 0) {
            finish_request(h);
            start_request(h);
        }
    }
    return true;
}
