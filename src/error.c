/*
 * error.c - names and messages of crto_err_t, and the diagnostic setter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_error.h"

static const struct {
    const char *name;
    const char *text;
} k_errors[CRTO_ERR__COUNT] = {
    [CRTO_OK] = { "CRTO_OK", "success" },
    [CRTO_ERR_ARG] = { "CRTO_ERR_ARG", "invalid argument" },
    [CRTO_ERR_INVALID_ID] = { "CRTO_ERR_INVALID_ID", "invalid id (expected 1-20 decimal digits)" },
    [CRTO_ERR_IDENTIFIER] = { "CRTO_ERR_IDENTIFIER", "invalid identifier" },
    [CRTO_ERR_CONFIG] = { "CRTO_ERR_CONFIG", "invalid configuration" },
    [CRTO_ERR_WOULD_BLOCK] = { "CRTO_ERR_WOULD_BLOCK", "operation would block" },
    [CRTO_ERR_TIMEOUT] = { "CRTO_ERR_TIMEOUT", "timed out" },
    [CRTO_ERR_CONNECT] = { "CRTO_ERR_CONNECT", "connection failed" },
    [CRTO_ERR_RESOLVE] = { "CRTO_ERR_RESOLVE", "host name not resolved" },
    [CRTO_ERR_CLOSED] = { "CRTO_ERR_CLOSED", "connection closed by peer" },
    [CRTO_ERR_RESET] = { "CRTO_ERR_RESET", "connection reset" },
    [CRTO_ERR_TLS] = { "CRTO_ERR_TLS", "TLS failure" },
    [CRTO_ERR_CERT] = { "CRTO_ERR_CERT", "server certificate not trusted" },
    [CRTO_ERR_FRAMING] = { "CRTO_ERR_FRAMING", "malformed HTTP response" },
    [CRTO_ERR_TOO_LARGE] = { "CRTO_ERR_TOO_LARGE", "too large for its buffer" },
    [CRTO_ERR_JSON] = { "CRTO_ERR_JSON", "malformed or unexpected JSON" },
    [CRTO_ERR_HTTP] = { "CRTO_ERR_HTTP", "unexpected HTTP status" },
    [CRTO_ERR_AUTH] = { "CRTO_ERR_AUTH", "authentication failed" },
    [CRTO_ERR_FORBIDDEN] = { "CRTO_ERR_FORBIDDEN", "permission denied" },
    [CRTO_ERR_NOT_FOUND] = { "CRTO_ERR_NOT_FOUND", "not found" },
    [CRTO_ERR_BAD_REQUEST] = { "CRTO_ERR_BAD_REQUEST", "request rejected by the API" },
    [CRTO_ERR_RATE_LIMITED] = { "CRTO_ERR_RATE_LIMITED", "rate limited" },
    [CRTO_ERR_SERVER] = { "CRTO_ERR_SERVER", "server error" },
    [CRTO_ERR_ABORTED] = { "CRTO_ERR_ABORTED", "aborted by the caller" },
    [CRTO_ERR_IO] = { "CRTO_ERR_IO", "local I/O error" },
};

const char *crto_err_name(crto_err_t err)
{
    if ((unsigned)err >= (unsigned)CRTO_ERR__COUNT || k_errors[err].name == NULL) {
        return "CRTO_ERR_UNKNOWN";
    }
    return k_errors[err].name;
}

const char *crto_err_str(crto_err_t err)
{
    if ((unsigned)err >= (unsigned)CRTO_ERR__COUNT || k_errors[err].text == NULL) {
        return "unknown error";
    }
    return k_errors[err].text;
}

bool crto_err_is_network(crto_err_t err)
{
    return err == CRTO_ERR_TIMEOUT || err == CRTO_ERR_CONNECT || err == CRTO_ERR_RESOLVE || err == CRTO_ERR_CLOSED ||
           err == CRTO_ERR_RESET;
}

#undef crto_diag_set /* the analyser-only macro of crto_error.h */
crto_err_t crto_diag_set(crto_diag_t *diag, crto_err_t err, const char *fmt, ...)
{
    if (diag != NULL) {
        va_list ap;
        diag->err = err;
        va_start(ap, fmt);
        (void)vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}

void crto_diag_clear(crto_diag_t *diag)
{
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
}
