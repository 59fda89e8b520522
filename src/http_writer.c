/*
 * http_writer.c - the head of an HTTP/1.1 request.
 *
 * The body never passes through here: the client streams it after the head
 * with the exact Content-Length written below.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto_http.h"

/* A CR or LF inside a field would let a value inject headers. */
static bool has_crlf(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") != NULL;
}

crto_err_t crto_http_write_head(char *buf, size_t cap, size_t *len, const char *method, const char *host, uint16_t port,
                                bool tls, const char *path, const char *bearer, const char *content_type,
                                int64_t content_length, crto_diag_t *diag)
{
    char port_txt[8] = "";
    char length_txt[48] = "";
    /* an IPv6 literal is bracketed in Host, as in a URL (RFC 9110 7.2) */
    bool v6 = host != NULL && strchr(host, ':') != NULL;
    int n;

    if (has_crlf(method) || has_crlf(host) || has_crlf(path) || has_crlf(bearer) || has_crlf(content_type)) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "CR or LF inside an HTTP request field");
    }
    if (port != (tls ? 443 : 80)) {
        (void)snprintf(port_txt, sizeof port_txt, ":%u", (unsigned)port);
    }
    if (content_length >= 0) {
        (void)snprintf(length_txt, sizeof length_txt, "Content-Length: %lld\r\n", (long long)content_length);
    }
    n = snprintf(buf, cap,
                 "%s %s HTTP/1.1\r\n"
                 "Host: %s%s%s%s\r\n"
                 "User-Agent: crto/0.1\r\n"
                 "Accept: application/json\r\n"
                 "%s%s%s"
                 "%s%s%s"
                 "%s"
                 "\r\n",
                 method, path, v6 ? "[" : "", host, v6 ? "]" : "", port_txt, bearer ? "Authorization: Bearer " : "",
                 bearer ? bearer : "", bearer ? "\r\n" : "", content_type ? "Content-Type: " : "",
                 content_type ? content_type : "", content_type ? "\r\n" : "", length_txt);
    if (n < 0) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "request head could not be formatted");
    }
    if ((size_t)n >= cap) {
        if (diag != NULL) {
            diag->need = (size_t)n + 1;
        }
        return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "request head needs %d bytes; CRTO_HTTP_TX_WINDOW is %zu", n + 1,
                             cap);
    }
    *len = (size_t)n;
    return CRTO_OK;
}
