/*
 * cli.h - shared pieces of the crto command (the gateway tool).
 */
#ifndef CRTO_CLI_H
#define CRTO_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "crto/crto.h"
#include "crto_port_posix.h"

/* Exit statuses: the contract scripts rely on. */
enum {
    CLI_OK = 0,
    CLI_USAGE = 1,    /* bad command line or input that cannot be used     */
    CLI_PARTIAL = 2,  /* some items or identifiers rejected, the rest done */
    CLI_AUTH = 3,     /* authentication or permission                      */
    CLI_NETWORK = 4,  /* network or TLS                                    */
    CLI_API = 5       /* API error after retries                           */
};

typedef struct {
    const char *base_url;
    const char *token_url;
    const char *ca_file;
    const char *api_version;
    bool json;
    bool verbose;
} cli_globals_t;

/* The client and its port, shared by every command. */
typedef struct {
    crto_posix_t posix;
    crto_port_t port;
    crto_client_t client;
    double started;
} cli_session_t;

/* Start a session from the global options and the environment. On failure
 * prints the reason and returns the exit status to use (else CLI_OK). */
int cli_session_open(cli_session_t *s, const cli_globals_t *g);
void cli_session_close(cli_session_t *s);

/* The exit status for a library error. */
int cli_exit_for(crto_err_t e);

/* Seconds on the monotonic clock. */
double cli_seconds(void);

/* JSON on stdout through the library's own writer. */
void cli_json_begin(crto_jw_t *w);
void cli_json_key(crto_jw_t *w, const char *key, bool first);
void cli_json_end(crto_jw_t *w);

/* Print a usage error and return CLI_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

int cmd_token(const cli_globals_t *g, int argc, char **argv);
int cmd_contacts(const cli_globals_t *g, crto_product_t product, int argc, char **argv);

/* Progress bar on a terminal (stderr); silent elsewhere. */
typedef struct {
    bool enabled;
    double started;
    double last_draw;
    unsigned long long total_hint;
} cli_progress_t;

void cli_progress_init(cli_progress_t *p, bool enabled);
void cli_progress_update(cli_progress_t *p, unsigned long long sent, unsigned chunks);
void cli_progress_done(cli_progress_t *p);

#endif
