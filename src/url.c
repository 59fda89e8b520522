/*
 * url.c - the two URLs crto is given (API root and token endpoint), and the
 * rule that plain http:// is for loopback test servers only.
 */
#include <string.h>

#include "crto/crto_client.h"

bool crto_host_is_loopback(const char *host)
{
    unsigned part = 0, value = 0, digits = 0;
    const char *p;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0) {
        return true;
    }
    if (strncmp(host, "127.", 4) != 0) {
        return false;
    }
    /* 127.0.0.0/8 as a plain dotted quad: digits and dots, nothing else */
    for (p = host + 4, part = 1; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            value = value * 10u + (unsigned)(*p - '0');
            if (++digits > 3 || value > 255) {
                return false;
            }
        } else if (*p == '.' && digits > 0 && part < 3) {
            part++;
            value = 0;
            digits = 0;
        } else {
            return false;
        }
    }
    return part == 3 && digits > 0;
}

crto_err_t crto_url_parse(const char *url, crto_endpoint_t *ep, char *path, size_t path_cap, crto_diag_t *diag)
{
    const char *p, *host_end, *path_start;
    size_t host_len, path_len;
    unsigned long port = 0;

    memset(ep, 0, sizeof *ep);
    if (url == NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "no URL given");
    }
    if (strncmp(url, "https://", 8) == 0) {
        ep->tls = true;
        p = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        ep->tls = false;
        p = url + 7;
    } else {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "URL must start with https:// (got \"%.40s\")", url);
    }
    path_start = p + strcspn(p, "/?#");
    if (strpbrk(path_start, "?#") != NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "URL must not carry a query or fragment");
    }
    if (*p == '[') { /* IPv6 literal */
        host_end = memchr(p, ']', (size_t)(path_start - p));
        if (host_end == NULL) {
            return crto_diag_set(diag, CRTO_ERR_CONFIG, "unterminated IPv6 address in URL");
        }
        p++;
        host_len = (size_t)(host_end - p);
        host_end++;
    } else {
        host_end = memchr(p, ':', (size_t)(path_start - p));
        if (host_end == NULL) {
            host_end = path_start;
        }
        host_len = (size_t)(host_end - p);
    }
    if (memchr(p, '@', (size_t)(path_start - p)) != NULL) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "credentials inside the URL are not accepted");
    }
    if (host_len == 0) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "URL has no host");
    }
    if (host_len >= sizeof ep->host) {
        if (diag != NULL) {
            diag->need = host_len + 1;
        }
        return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "URL host is longer than CRTO_HOST_MAX - 1");
    }
    memcpy(ep->host, p, host_len);
    ep->host[host_len] = '\0';
    if (*host_end == ':') {
        const char *q = host_end + 1;
        if (q == path_start) {
            return crto_diag_set(diag, CRTO_ERR_CONFIG, "empty port in URL");
        }
        for (; q < path_start; q++) {
            if (*q < '0' || *q > '9' || port > 65535) {
                return crto_diag_set(diag, CRTO_ERR_CONFIG, "invalid port in URL");
            }
            port = port * 10 + (unsigned long)(*q - '0');
        }
        if (port == 0 || port > 65535) {
            return crto_diag_set(diag, CRTO_ERR_CONFIG, "invalid port in URL");
        }
    } else if (host_end != path_start) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "invalid characters after the host in URL");
    } else {
        port = ep->tls ? 443 : 80;
    }
    ep->port = (uint16_t)port;
    if (!ep->tls && !crto_host_is_loopback(ep->host)) {
        return crto_diag_set(diag, CRTO_ERR_CONFIG,
                             "plain http:// is only allowed to a loopback host (127.0.0.0/8, ::1, localhost), not %s",
                             ep->host);
    }
    path_len = strlen(path_start);
    while (path_len > 0 && path_start[path_len - 1] == '/') {
        path_len--; /* "https://host/" and "https://host" are the same root */
    }
    if (path_len >= path_cap) {
        if (diag != NULL) {
            diag->need = path_len + 1;
        }
        return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "URL path is longer than CRTO_PATH_MAX - 1");
    }
    memcpy(path, path_start, path_len);
    path[path_len] = '\0';
    return CRTO_OK;
}
