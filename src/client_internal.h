/*
 * client_internal.h - what client.c shares with auth.c and the API modules.
 */
#ifndef CRTO_SRC_CLIENT_INTERNAL_H
#define CRTO_SRC_CLIENT_INTERNAL_H

#include "crto/crto_client.h"

/* One request/response on one connection, no retry. */
typedef struct {
    const crto_endpoint_t *ep;
    const char *method;
    const char *path;
    const char *content_type;
    crto_body_fn body;
    void *body_arg;
    bool bearer;               /* send the held token                     */
    bool token_request;        /* counted as a token request              */
    crto_jsplit_fn on_element; /* elements of a 2xx JSON body             */
    void *element_arg;
} crto_exchange_t;

/* What an exchange got as far as, for the retry decision. */
typedef struct {
    bool reused;           /* it went over a kept-alive connection      */
    bool body_started;     /* some body bytes left this device          */
    bool response_started; /* some response bytes arrived               */
} crto_progress_t;

/* Perform one exchange. CRTO_OK means a whole response was read (whatever
 * its status, in r->http.status); other codes are transport, framing or
 * parse failures, explained in c->diag. */
crto_err_t crto_exchange(crto_client_t *c, const crto_exchange_t *x, crto_result_t *r, crto_progress_t *p);

/* The error a final HTTP status maps to (CRTO_OK for 2xx). */
crto_err_t crto_status_error(int status);

/* A random 32-bit value from the client's generator (for jitter). */
uint32_t crto_client_rand(crto_client_t *c);

/* Wait ms on the port's sleep (counted in the statistics). */
void crto_client_sleep(crto_client_t *c, uint32_t ms);

/* Format a log line and hand it to the port's log sink (if any, and if
 * level is enabled). Never pass secrets, tokens or identifiers. */
void crto_log(const crto_client_t *c, crto_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Wipe n bytes so the compiler cannot drop it. */
void crto_wipe(void *p, size_t n);

#endif
