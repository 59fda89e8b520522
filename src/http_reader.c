/*
 * http_reader.c - push parser for HTTP/1.1 responses.
 *
 * Framing follows RFC 9112: chunked wins over Content-Length (and then the
 * connection is not reused), two different Content-Lengths are an error,
 * a body without either runs to the close.
 */
#include <string.h>

#include "crto/crto_http.h"
#include "crto/crto_json.h"

enum {
    ST_STATUS = 0,
    ST_HEADERS,
    ST_BODY_LENGTH, /* Content-Length body                        */
    ST_BODY_CLOSE,  /* body delimited by the connection's close    */
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF, /* the CRLF after a chunk's data               */
    ST_TRAILERS,
    ST_DONE
};

#define MAX_HEADER_LINES 100u

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t i;
    if (alen != strlen(b)) {
        return false;
    }
    for (i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = (char)(x - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

/* Case-insensitive search of a lowercase token inside a header value. */
static bool icontains(const char *v, size_t vlen, const char *tok)
{
    size_t n = strlen(tok), i;
    for (i = 0; i + n <= vlen; i++) {
        if (ieq(v + i, n, tok)) {
            return true;
        }
    }
    return false;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}

/* Find the end of a line (LF, with an optional CR before it). */
static const uint8_t *find_lf(const uint8_t *p, size_t len)
{
    return memchr(p, '\n', len);
}

static crto_err_t parse_status(crto_http_reader_t *r, const char *line, size_t len)
{
    int64_t code;
    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        crto_parse_int64(line + 9, 3, &code) != CRTO_OK || (len > 12 && line[12] != ' ') || code < 100 || code > 599) {
        return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "malformed HTTP status line (not \"HTTP/1.x NNN ...\")");
    }
    r->resp->status = (int)code;
    r->resp->version_minor = line[7] - '0';
    /* HTTP/1.0 closes unless it says keep-alive; 1.1 keeps unless it says close. */
    r->resp->close = r->resp->version_minor == 0;
    r->state = ST_HEADERS;
    return CRTO_OK;
}

static crto_err_t header_int(crto_http_reader_t *r, const char *name, const char *v, size_t vlen, int64_t *out)
{
    int64_t x;
    /* 1*DIGIT (RFC 9110): no sign, so not even "-0" */
    if (vlen == 0 || v[0] == '-' || crto_parse_int64(v, vlen, &x) != CRTO_OK || x < 0) {
        return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "malformed %s header", name);
    }
    *out = x;
    return CRTO_OK;
}

static crto_err_t parse_header(crto_http_reader_t *r, const char *line, size_t len)
{
    crto_http_response_t *resp = r->resp;
    const char *colon = memchr(line, ':', len);
    const char *name = line, *v;
    size_t nlen, vlen;
    int64_t x;

    if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t') {
        return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "malformed HTTP header line");
    }
    nlen = (size_t)(colon - line);
    if (name[nlen - 1] == ' ' || name[nlen - 1] == '\t') {
        return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "white space before ':' in an HTTP header");
    }
    v = colon + 1;
    vlen = len - nlen - 1;
    trim(&v, &vlen);

    if (ieq(name, nlen, "content-length")) {
        crto_err_t e = header_int(r, "Content-Length", v, vlen, &x);
        if (e != CRTO_OK) {
            return e;
        }
        if (resp->content_length >= 0 && resp->content_length != x) {
            return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "two different Content-Length headers (%lld and %lld)",
                                 (long long)resp->content_length, (long long)x);
        }
        resp->content_length = x;
    } else if (ieq(name, nlen, "transfer-encoding")) {
        /* chunked must be the last coding, as a whole token ("gzip, chunked") */
        if (vlen >= 7 && ieq(v + vlen - 7, 7, "chunked") &&
            (vlen == 7 || v[vlen - 8] == ',' || v[vlen - 8] == ' ' || v[vlen - 8] == '\t')) {
            resp->chunked = true;
        } else {
            return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "unsupported Transfer-Encoding");
        }
    } else if (ieq(name, nlen, "connection")) {
        if (icontains(v, vlen, "close")) {
            resp->close = true;
        } else if (icontains(v, vlen, "keep-alive")) {
            resp->close = false;
        }
    } else if (ieq(name, nlen, "content-type")) {
        resp->json = icontains(v, vlen, "application/json") || icontains(v, vlen, "+json");
    } else if (ieq(name, nlen, "retry-after")) {
        /* An HTTP-date form is legal too; crto only uses the seconds form
         * and falls back to its own backoff otherwise. */
        if (crto_parse_int64(v, vlen, &x) == CRTO_OK && x >= 0) {
            resp->retry_after_s = x;
        }
    } else if (ieq(name, nlen, "x-ratelimit-limit")) {
        return header_int(r, "x-ratelimit-limit", v, vlen, &resp->rl_limit);
    } else if (ieq(name, nlen, "x-ratelimit-remaining")) {
        return header_int(r, "x-ratelimit-remaining", v, vlen, &resp->rl_remaining);
    } else if (ieq(name, nlen, "x-ratelimit-reset")) {
        return header_int(r, "x-ratelimit-reset", v, vlen, &resp->rl_reset);
    }
    return CRTO_OK;
}

/* Decide how the body is framed once the head is complete. */
static crto_err_t start_body(crto_http_reader_t *r)
{
    crto_http_response_t *resp = r->resp;
    if (r->no_body || resp->status == 204 || resp->status == 304) {
        r->state = ST_DONE;
    } else if (resp->chunked) {
        resp->close = resp->close || resp->content_length >= 0; /* both given: do not trust the peer */
        r->state = ST_CHUNK_SIZE;
    } else if (resp->content_length >= 0) {
        if ((uint64_t)resp->content_length > r->cap) {
            /* refuse before a byte reaches the sink, with the real need */
            if (r->diag != NULL) {
                r->diag->need = (size_t)resp->content_length;
            }
            return crto_diag_set(r->diag, CRTO_ERR_TOO_LARGE,
                                 "response body of %lld bytes is larger than its cap of %llu bytes",
                                 (long long)resp->content_length, (unsigned long long)r->cap);
        }
        r->remaining = (uint64_t)resp->content_length;
        r->state = r->remaining == 0 ? ST_DONE : ST_BODY_LENGTH;
    } else {
        resp->close = true;
        r->state = ST_BODY_CLOSE;
    }
    return CRTO_OK;
}

static crto_err_t parse_chunk_size(crto_http_reader_t *r, const char *line, size_t len)
{
    uint64_t size = 0;
    size_t i = 0;
    while (i < len && line[i] != ';' && line[i] != ' ' && line[i] != '\t') {
        char c = line[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "invalid chunk size in a chunked body");
        }
        if (size > (UINT64_MAX >> 4)) {
            return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "chunk size overflows");
        }
        size = (size << 4) | d;
        i++;
    }
    if (i == 0) {
        return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "empty chunk size in a chunked body");
    }
    r->remaining = size;
    r->state = size == 0 ? ST_TRAILERS : ST_CHUNK_DATA;
    return CRTO_OK;
}

static crto_err_t deliver(crto_http_reader_t *r, const uint8_t *p, size_t n, crto_http_sink_fn sink, void *arg)
{
    uint64_t total = r->resp->body_bytes + n;
    if (total > r->cap) {
        /* refused: body_bytes keeps counting only what reached the sink */
        if (r->diag != NULL) {
            r->diag->need = (size_t)total;
        }
        return crto_diag_set(r->diag, CRTO_ERR_TOO_LARGE, "response body is larger than its cap of %llu bytes",
                             (unsigned long long)r->cap);
    }
    r->resp->body_bytes = total;
    return sink != NULL ? sink(arg, p, n) : CRTO_OK;
}

static void reset_response(crto_http_response_t *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->content_length = -1;
    resp->retry_after_s = -1;
    resp->rl_limit = -1;
    resp->rl_remaining = -1;
    resp->rl_reset = -1;
}

static crto_err_t on_line(crto_http_reader_t *r, const char *line, size_t len)
{
    switch (r->state) {
    case ST_STATUS:
        return parse_status(r, line, len);
    case ST_HEADERS:
    case ST_TRAILERS:
        if (len == 0) {
            if (r->state == ST_TRAILERS) {
                r->state = ST_DONE;
            } else if (r->resp->status < 200) {
                /* 1xx interim response: a real one follows, with its own headers */
                reset_response(r->resp);
                r->lines = 0;
                r->interim_seen = true;
                r->state = ST_STATUS;
            } else {
                return start_body(r);
            }
            return CRTO_OK;
        }
        if (++r->lines > MAX_HEADER_LINES) {
            return crto_diag_set(r->diag, CRTO_ERR_TOO_LARGE, "more than %u header lines", MAX_HEADER_LINES);
        }
        return r->state == ST_HEADERS ? parse_header(r, line, len) : CRTO_OK;
    case ST_CHUNK_SIZE:
        return parse_chunk_size(r, line, len);
    case ST_CHUNK_CRLF:
        if (len != 0) {
            return crto_diag_set(r->diag, CRTO_ERR_FRAMING, "chunk data longer than its size");
        }
        r->state = ST_CHUNK_SIZE;
        return CRTO_OK;
    default:
        return CRTO_OK;
    }
}

void crto_http_reader_init(crto_http_reader_t *r, crto_http_response_t *resp, uint64_t body_cap, bool head_request,
                           crto_diag_t *diag)
{
    memset(r, 0, sizeof *r);
    reset_response(resp);
    r->resp = resp;
    r->diag = diag;
    r->cap = body_cap;
    r->no_body = head_request;
    r->state = ST_STATUS;
}

crto_err_t crto_http_reader_feed(crto_http_reader_t *r, const uint8_t *data, size_t len, size_t *used,
                                 crto_http_sink_fn sink, void *arg)
{
    size_t pos = 0;
    crto_err_t e = CRTO_OK;

    while (pos < len && r->state != ST_DONE && e == CRTO_OK) {
        if (r->state == ST_BODY_LENGTH || r->state == ST_CHUNK_DATA || r->state == ST_BODY_CLOSE) {
            size_t n = len - pos;
            if (r->state != ST_BODY_CLOSE && n > r->remaining) {
                n = (size_t)r->remaining;
            }
            e = deliver(r, data + pos, n, sink, arg);
            pos += n;
            if (r->state != ST_BODY_CLOSE) {
                r->remaining -= n;
                if (r->remaining == 0) {
                    r->state = r->state == ST_BODY_LENGTH ? ST_DONE : ST_CHUNK_CRLF;
                }
            }
        } else {
            const uint8_t *lf = find_lf(data + pos, len - pos);
            size_t line_len;
            if (lf == NULL) {
                break; /* wait for the rest of the line */
            }
            line_len = (size_t)(lf - (data + pos));
            if (line_len > 0 && data[pos + line_len - 1] == '\r') {
                line_len--;
            }
            e = on_line(r, (const char *)data + pos, line_len);
            pos = (size_t)(lf - data) + 1;
        }
    }
    *used = pos;
    return e;
}

crto_err_t crto_http_reader_eof(crto_http_reader_t *r)
{
    switch (r->state) {
    case ST_DONE:
        return CRTO_OK;
    case ST_BODY_CLOSE:
        r->state = ST_DONE;
        return CRTO_OK;
    case ST_STATUS:
        if (!r->interim_seen) {
            return crto_diag_set(r->diag, CRTO_ERR_CLOSED, "connection closed before any response");
        }
        return crto_diag_set(r->diag, CRTO_ERR_CLOSED, "connection closed after an interim response");
    case ST_HEADERS:
        return crto_diag_set(r->diag, CRTO_ERR_CLOSED, "connection closed inside the response headers");
    case ST_BODY_LENGTH:
        return crto_diag_set(r->diag, CRTO_ERR_CLOSED, "connection closed with %llu of %lld body bytes missing",
                             (unsigned long long)r->remaining, (long long)r->resp->content_length);
    default:
        return crto_diag_set(r->diag, CRTO_ERR_CLOSED, "connection closed inside a chunked body (truncated)");
    }
}

bool crto_http_reader_done(const crto_http_reader_t *r)
{
    return r->state == ST_DONE;
}

bool crto_http_reader_head_done(const crto_http_reader_t *r)
{
    return r->state > ST_HEADERS;
}
