/*
 * cli.h - shared pieces of the crto command (the gateway tool).
 */
#ifndef CRTO_CLI_H
#define CRTO_CLI_H

#include <stdbool.h>
#include <stdint.h>
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
int cmd_segments(const cli_globals_t *g, crto_product_t product, int argc, char **argv);
int cmd_audiences(const cli_globals_t *g, crto_product_t product, int argc, char **argv);
/* crto queue add|flush|status|verify: store-and-forward (cmd_queue.c). */
int cmd_queue(const cli_globals_t *g, int argc, char **argv);

/* ------------------------------------------------ options of a command */

#define CLI_MAX_IDS 64       /* --id (and other repeatable options) per command */
#define CLI_MAX_PROBLEMS 100 /* problems kept for the report of one command      */

/* A repeatable option's values, borrowed from argv. */
typedef struct {
    const char *v[CLI_MAX_IDS];
    uint32_t n;
} cli_list_t;

/* One option a command accepts: exactly one of value (once), list
 * (repeatable) or flag (no value) is set. */
typedef struct {
    const char *name;
    const char **value;
    cli_list_t *list;
    bool *flag;
} cli_opt_t;

/* Parse argv[0..argc) against opts (ended by a NULL name). Returns CLI_OK,
 * or CLI_USAGE after printing why (unknown option, missing value, an
 * option given twice, too many values). */
int cli_parse_opts(const cli_opt_t *opts, int argc, char **argv);

/* A required option: CLI_OK, or CLI_USAGE after "crto CMD needs OPTION". */
int cli_need(const char *value, const char *cmd, const char *option);
int cli_need_list(const cli_list_t *list, const char *cmd, const char *option);

/* The values of a repeatable option as the library's list. */
crto_strings_t cli_strings(const cli_list_t *list);

/* A page size from --limit: 1..max. Returns CLI_OK or CLI_USAGE (printed). */
int cli_parse_limit(const char *text, uint32_t max, uint32_t *limit);

/* --country: two ASCII letters (ISO 3166 alpha-2), upper-cased into out.
 * Returns CLI_OK or CLI_USAGE (printed). */
int cli_parse_country(const char *text, char out[3]);

/* text is one of choices (NULL-ended; case-insensitive): *out gets the
 * choice as spelled there. NULL text leaves *out NULL. CLI_OK or CLI_USAGE. */
int cli_parse_choice(const char *text, const char *const *choices, const char *option, const char **out);

/* Each value of a repeatable option is an id (1-20 digits), none twice -
 * for ids the library sends unchecked (brands, interests). CLI_OK or
 * CLI_USAGE. */
int cli_check_id_list(const cli_list_t *list, const char *option);

/* The options every update command shares: the ids (the same changes go to
 * each, in one bulk call), --name, --description TEXT | --clear-description. */
typedef struct {
    cli_list_t ids;
    const char *name;
    const char *description;
    bool clear_description;
    crto_nillable_t description_op; /* set by cli_update_check */
} cli_update_t;

/* Rows of a cli_opt_t table for u. */
#define CLI_UPDATE_OPTS(u)                                                                                    \
    {"--id", NULL, &(u)->ids, NULL}, {"--name", &(u)->name, NULL, NULL},                                      \
        {"--description", &(u)->description, NULL, NULL}, {"--clear-description", NULL, NULL, &(u)->clear_description}

/* After parsing: an --id, the description's fate, and something to change
 * (other_change: a command's own change was given, named other_option in
 * the message). CLI_OK or CLI_USAGE (printed). */
int cli_update_check(cli_update_t *u, const char *cmd, bool other_change, const char *other_option);

/* ------------------------------------------------ what API commands print */

/* The bulk of one call: outcomes for n (<= CLI_MAX_IDS) items and every
 * problem (the first CLI_MAX_PROBLEMS kept), static. */
crto_bulk_t *cli_bulk_start(uint32_t n);

typedef enum {
    CLI_BULK_ITEMS, /* "item N ok id=..." / "item N failed: code"           */
    CLI_BULK_CREATE,/* the new ids, one per line                            */
    CLI_BULK_SIZES  /* item lines with size=N                                */
} cli_bulk_style_t;

/* Report a bulk call that returned e: per-item lines (text) or
 * {"items":[...],"errors","warnings","generalProblems","problems":[...],
 * "error","exitCode"} (--json); failed items and general problems on
 * stderr. ids[i] names request item i when the call had ids (may be NULL).
 * Returns the exit status: cli_exit_for(e), else CLI_PARTIAL when an item
 * failed or an error bound to no item came back, else CLI_OK. */
int cli_bulk_report(const cli_globals_t *g, const crto_client_t *c, const crto_bulk_t *bulk,
                    const char *const *ids, crto_err_t e, cli_bulk_style_t style);

/* Problems of a call that has no items (a search): count and print them
 * (stderr); true when one was an error. */
bool cli_problems_had_error(void);
void cli_problems_print(void);
/* ,"problems":[...] */
void cli_problems_json(crto_jw_t *w);

/* The result of an estimate that returned e: the size alone on stdout, or
 * {"size":N,"error","exitCode"}. A size the answer did not hold (-1) is an
 * API error. Returns the exit status. */
int cli_size_report(const cli_globals_t *g, crto_client_t *c, crto_err_t e, int64_t size);

/* The error of a failed call: on stderr; with --json the keys
 * ,"error":{...},"exitCode":rc go into w (NULL: a whole object). */
int cli_call_failed(const cli_globals_t *g, const crto_client_t *c, crto_err_t e, crto_jw_t *w);
/* ,"error":null,"exitCode":rc */
void cli_json_ok(crto_jw_t *w, int rc);

/* The output of a search, streamed as the pages come: text lines, or
 * {"<key>":[...],"totalItems":N,"pages":M,"problems":[...],"error","exitCode"}. */
typedef struct {
    const cli_globals_t *g;
    crto_jw_t w;
    uint64_t n;
} cli_listing_t;

void cli_listing_begin(cli_listing_t *l, const cli_globals_t *g, const char *key);
/* Before the next entity: the writer (after a comma as needed) with
 * --json, else NULL. */
crto_jw_t *cli_listing_next(cli_listing_t *l);
/* Close the listing of a search that returned e; noun names one entity
 * ("segment"). page NULL: a listing of one unpaged call (no count line;
 * "count" in JSON instead of paging figures and problems). Returns the exit
 * status. */
int cli_listing_end(cli_listing_t *l, const crto_client_t *c, crto_err_t e, const crto_page_t *page,
                    const char *noun);

/* One entity: a text line on stdout, or a JSON object into w. */
void cli_segment_text(const crto_segment_t *s);
void cli_segment_json(crto_jw_t *w, const crto_segment_t *s);
void cli_audience_text(const crto_audience_t *a);
void cli_audience_json(crto_jw_t *w, const crto_audience_t *a);
/* An in-market brand ("ID  NAME  SIZE") or interest ("ID  PARENT_ID"); a
 * value the API did not send is "-" (null in JSON). */
void cli_in_market_text(const crto_in_market_item_t *it, bool brand);
void cli_in_market_json(crto_jw_t *w, const crto_in_market_item_t *it, bool brand);

/* Text from the API on a terminal: control bytes become '?'. */
void cli_put_text(FILE *f, const char *s);

/* A JSON string member, null when s is empty. */
void cli_json_kstr(crto_jw_t *w, const char *key, const char *s, bool first);
/* A JSON count member, null when v is negative (not sent). */
void cli_json_kcount(crto_jw_t *w, const char *key, int64_t v, bool first);

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
