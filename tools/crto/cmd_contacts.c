/*
 * cmd_contacts.c - `crto ms|rm contacts add|remove`: upload identifiers,
 * one per line, normalised and hashed here, in chunks of at most 50,000;
 * and the calls around an upload: `ms contacts wipe|stats`, `rm contacts
 * clear|stats`.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

#define MAX_REPORTED_REJECTS 100
#define MAX_REPORTED_CHUNKS 256

typedef struct {
    uint32_t line;
    char why[CRTO_DIAG_MAX];
} reject_t;

typedef struct {
    const cli_globals_t *g;
    cli_progress_t progress;
    unsigned chunks;
    reject_t rejects[MAX_REPORTED_REJECTS];
    unsigned n_rejects;
    crto_chunk_result_t results[MAX_REPORTED_CHUNKS];
    unsigned n_results;
} report_t;

static report_t g_report; /* big enough to keep off the stack */

static void on_reject(void *arg, uint32_t line, const crto_diag_t *why)
{
    report_t *r = arg;
    /* the line number, never the identifier itself: it may be an e-mail */
    fprintf(stderr, "crto: line %u rejected: %s\n", (unsigned)line, why->msg);
    if (r->n_rejects < MAX_REPORTED_REJECTS) {
        r->rejects[r->n_rejects].line = line;
        (void)snprintf(r->rejects[r->n_rejects].why, sizeof r->rejects[0].why, "%s", why->msg);
        r->n_rejects++;
    }
}

static void on_chunk(void *arg, const crto_chunk_result_t *res)
{
    report_t *r = arg;
    r->chunks++;
    if (r->n_results < MAX_REPORTED_CHUNKS) {
        r->results[r->n_results++] = *res;
    }
    if (res->nb_invalid > 0 || res->n_errors > 0) {
        fprintf(stderr, "crto: chunk %u: %lld identifiers invalid for Criteo%s%s\n", (unsigned)res->index,
                (long long)(res->nb_invalid > 0 ? res->nb_invalid : 0), res->first_problem[0] ? "; problem " : "",
                res->first_problem);
    }
}

static void on_progress(void *arg, uint64_t sent)
{
    report_t *r = arg;
    cli_progress_update(&r->progress, (unsigned long long)sent, r->chunks);
}

/* A pipe cannot be read twice: copy it into memory-backed file (memfd), so
 * no clear-text identifier ever lands on storage. */
static FILE *open_input(const char *path)
{
    FILE *in;
    int fd;
    char buf[65536];
    ssize_t n;

    if (path != NULL && strcmp(path, "-") != 0) {
        return fopen(path, "rb");
    }
    if (lseek(STDIN_FILENO, 0, SEEK_CUR) >= 0) {
        return fdopen(dup(STDIN_FILENO), "rb");
    }
    fd = memfd_create("crto-input", MFD_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            close(fd);
            return NULL;
        }
        if (write(fd, buf, (size_t)n) != n) {
            close(fd);
            return NULL;
        }
    }
    (void)lseek(fd, 0, SEEK_SET);
    in = fdopen(fd, "rb");
    if (in == NULL) {
        close(fd);
    }
    return in;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static void print_json(const crto_upload_t *job, const crto_upload_summary_t *sum, const cli_session_t *s,
                       double seconds, crto_err_t e, int rc)
{
    const crto_stats_t *st = &s->client.stats;
    crto_jw_t w;
    unsigned i;

    cli_json_begin(&w);
    cli_json_key(&w, "segment", true);
    (void)crto_jw_str(&w, job->segment_id, strlen(job->segment_id));
    cli_json_key(&w, "operation", false);
    (void)crto_jw_lit(&w, job->op == CRTO_OP_ADD ? "\"add\"" : "\"remove\"");
    cli_json_key(&w, "identifierType", false);
    (void)crto_jw_str(&w, crto_id_type_name(job->product, job->type), strlen(crto_id_type_name(job->product, job->type)));
    cli_json_key(&w, "accepted", false);
    (void)crto_jw_int(&w, (int64_t)sum->accepted);
    cli_json_key(&w, "rejected", false);
    (void)crto_jw_int(&w, (int64_t)sum->rejected);
    cli_json_key(&w, "sent", false);
    (void)crto_jw_int(&w, (int64_t)sum->sent);
    cli_json_key(&w, "chunks", false);
    (void)crto_jw_int(&w, sum->chunks);
    cli_json_key(&w, "nbValidIdentifiers", false);
    (void)crto_jw_int(&w, (int64_t)sum->nb_valid);
    cli_json_key(&w, "nbInvalidIdentifiers", false);
    (void)crto_jw_int(&w, (int64_t)sum->nb_invalid);
    cli_json_key(&w, "requests", false);
    (void)crto_jw_int(&w, st->requests);
    cli_json_key(&w, "tokenRequests", false);
    (void)crto_jw_int(&w, st->token_requests);
    cli_json_key(&w, "connections", false);
    (void)crto_jw_int(&w, st->connections);
    cli_json_key(&w, "tlsHandshakes", false);
    (void)crto_jw_int(&w, st->tls_handshakes);
    cli_json_key(&w, "tlsResumed", false);
    (void)crto_jw_int(&w, st->tls_resumed);
    cli_json_key(&w, "retries", false);
    (void)crto_jw_int(&w, st->retries);
    cli_json_key(&w, "milliseconds", false);
    (void)crto_jw_int(&w, (int64_t)(seconds * 1000.0));
    cli_json_key(&w, "rejectedLines", false);
    (void)crto_jw_lit(&w, "[");
    for (i = 0; i < g_report.n_rejects; i++) {
        (void)crto_jw_lit(&w, i ? ",{\"line\":" : "{\"line\":");
        (void)crto_jw_int(&w, g_report.rejects[i].line);
        (void)crto_jw_lit(&w, ",\"error\":");
        (void)crto_jw_str(&w, g_report.rejects[i].why, strlen(g_report.rejects[i].why));
        (void)crto_jw_lit(&w, "}");
    }
    (void)crto_jw_lit(&w, "]");
    cli_json_key(&w, "chunkResults", false);
    (void)crto_jw_lit(&w, "[");
    for (i = 0; i < g_report.n_results; i++) {
        const crto_chunk_result_t *r = &g_report.results[i];
        (void)crto_jw_lit(&w, i ? ",{\"identifiers\":" : "{\"identifiers\":");
        (void)crto_jw_int(&w, r->identifiers);
        (void)crto_jw_lit(&w, ",\"nbValidIdentifiers\":");
        (void)crto_jw_int(&w, r->nb_valid);
        (void)crto_jw_lit(&w, ",\"nbInvalidIdentifiers\":");
        (void)crto_jw_int(&w, r->nb_invalid);
        (void)crto_jw_lit(&w, ",\"errors\":");
        (void)crto_jw_int(&w, r->n_errors);
        (void)crto_jw_lit(&w, ",\"warnings\":");
        (void)crto_jw_int(&w, r->n_warnings);
        (void)crto_jw_lit(&w, ",\"attempts\":");
        (void)crto_jw_int(&w, r->attempts);
        (void)crto_jw_lit(&w, "}");
    }
    (void)crto_jw_lit(&w, "]");
    cli_json_key(&w, "error", false);
    if (e == CRTO_OK) {
        (void)crto_jw_lit(&w, "null");
    } else {
        (void)crto_jw_lit(&w, "{\"code\":");
        (void)crto_jw_str(&w, crto_err_name(e), strlen(crto_err_name(e)));
        (void)crto_jw_lit(&w, ",\"message\":");
        (void)crto_jw_str(&w, s->client.diag.msg, strlen(s->client.diag.msg));
        (void)crto_jw_lit(&w, "}");
    }
    cli_json_key(&w, "exitCode", false);
    (void)crto_jw_int(&w, rc);
    cli_json_end(&w);
}

/* ------------------------------------------------ wipe, clear, stats */

/* A match rate is sent as a JSON number; kept as text by crto. */
static bool is_number(const char *s)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        if (strchr("0123456789.-+eE", s[i]) == NULL) {
            return false;
        }
    }
    return i > 0;
}

static void print_stats(const cli_globals_t *g, const char *segment, const crto_contact_stats_t *st)
{
    crto_jw_t w;
    if (!g->json) {
        printf("segment %s: identifiers=%lld matches=%lld matchRate=%s\n", segment, (long long)st->identifiers,
               (long long)st->matches, st->match_rate[0] != '\0' ? st->match_rate : "unknown");
        return;
    }
    cli_json_begin(&w);
    cli_json_kstr(&w, "segment", segment, true);
    cli_json_kcount(&w, "identifiers", st->identifiers, false);
    cli_json_kcount(&w, "matches", st->matches, false);
    cli_json_key(&w, "matchRate", false);
    (void)crto_jw_lit(&w, is_number(st->match_rate) ? st->match_rate : "null");
    cli_json_ok(&w, CLI_OK);
    cli_json_end(&w);
}

/* ms wipe|stats --segment ID; rm clear --segment ID; rm stats --account ID --segment ID */
static int contacts_manage(const cli_globals_t *g, crto_product_t product, const char *verb, int argc, char **argv)
{
    const char *segment = NULL, *account = NULL;
    bool rm = product == CRTO_PRODUCT_RM, stats = strcmp(verb, "stats") == 0;
    cli_opt_t opts[] = {{"--segment", &segment, NULL, NULL}, {"--account", &account, NULL, NULL}, {NULL, NULL, NULL, NULL}};
    crto_contact_stats_t st;
    cli_session_t s;
    crto_err_t e;
    int rc;

    if (!rm || !stats) {
        opts[1].name = NULL; /* --account only for rm stats */
    }
    rc = cli_parse_opts(opts, argc, argv);
    if (rc == CLI_OK) {
        rc = cli_need(segment, rm ? "rm contacts" : "ms contacts", "--segment ID");
    }
    if (rc == CLI_OK && rm && stats) {
        rc = cli_need(account, "rm contacts stats", "--account ID");
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    if (stats) {
        e = rm ? crto_rm_contact_list_stats(&s.client, account, segment, &st)
               : crto_ms_contact_list_stats(&s.client, segment, &st);
    } else {
        e = rm ? crto_rm_contact_list_clear(&s.client, segment) : crto_ms_contact_list_wipe(&s.client, segment);
    }
    if (e != CRTO_OK) {
        rc = cli_call_failed(g, &s.client, e, NULL);
    } else if (stats) {
        print_stats(g, segment, &st);
    } else if (g->json) {
        crto_jw_t w;
        cli_json_begin(&w);
        cli_json_kstr(&w, "segment", segment, true);
        cli_json_kstr(&w, "operation", verb, false);
        cli_json_ok(&w, CLI_OK);
        cli_json_end(&w);
    } else {
        printf("%s the contact list of segment %s\n", rm ? "cleared" : "wiped", segment);
    }
    cli_session_close(&s);
    return rc;
}

int cmd_contacts(const cli_globals_t *g, crto_product_t product, int argc, char **argv)
{
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    crto_file_source_t fsrc;
    crto_diag_t diag;
    cli_session_t s;
    const char *input = NULL, *type = NULL;
    unsigned long long v;
    FILE *in;
    double t0;
    crto_err_t e;
    int i, rc;

    crto_diag_clear(&diag);
    memset(&g_report, 0, sizeof g_report);
    job.product = product;
    if (argc >= 1 && (strcmp(argv[0], "stats") == 0 ||
                      strcmp(argv[0], product == CRTO_PRODUCT_MS ? "wipe" : "clear") == 0)) {
        return contacts_manage(g, product, argv[0], argc - 1, argv + 1);
    }
    if (argc < 1 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0)) {
        return cli_usage_error(product == CRTO_PRODUCT_MS
                                   ? "expected: crto ms contacts add|remove|wipe|stats --segment ID ..."
                                   : "expected: crto rm contacts add|remove|clear|stats --segment ID ...");
    }
    job.op = strcmp(argv[0], "add") == 0 ? CRTO_OP_ADD : CRTO_OP_REMOVE;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-hash") == 0) {
            job.no_hash = true;
            continue;
        }
        if (val == NULL) {
            return cli_usage_error("%s needs a value", a);
        }
        i++;
        if (strcmp(a, "--segment") == 0) {
            job.segment_id = val;
        } else if (strcmp(a, "--type") == 0) {
            type = val;
        } else if (strcmp(a, "--input") == 0) {
            input = val;
        } else if (strcmp(a, "--chunk-size") == 0) {
            if (!parse_uint(val, CRTO_CHUNK_MAX, &v) || v == 0) {
                return cli_usage_error("--chunk-size must be 1 to %u (got \"%s\")", (unsigned)CRTO_CHUNK_MAX, val);
            }
            job.chunk_size = (uint32_t)v;
        } else if (strcmp(a, "--gum-caller-id") == 0 && product == CRTO_PRODUCT_MS) {
            if (!parse_uint(val, INT32_MAX, &v)) {
                return cli_usage_error("--gum-caller-id must be a non-negative integer (got \"%s\")", val);
            }
            job.gum_caller_id = (int64_t)v;
        } else {
            return cli_usage_error("unknown option %s", a);
        }
    }
    if (job.segment_id == NULL) {
        return cli_usage_error("--segment ID is required");
    }
    if (!crto_id_is_valid(job.segment_id, strlen(job.segment_id))) {
        return cli_usage_error("segment id \"%s\" is not 1-20 decimal digits", job.segment_id);
    }
    if (type == NULL) {
        return cli_usage_error("--type is required");
    }
    if (crto_id_type_parse(product, type, &job.type, &diag) != CRTO_OK) {
        return cli_usage_error("%s", diag.msg);
    }
    if (job.type == CRTO_ID_GUM && product == CRTO_PRODUCT_MS && job.gum_caller_id < 0) {
        return cli_usage_error("--type gum needs --gum-caller-id N");
    }
    if (job.type != CRTO_ID_GUM && job.gum_caller_id >= 0) {
        return cli_usage_error("--gum-caller-id goes only with --type gum");
    }
    in = open_input(input);
    if (in == NULL) {
        return cli_usage_error("cannot read %s: %s", input != NULL ? input : "standard input", strerror(errno));
    }
    if (crto_file_source_init(&fsrc, in, &job.source) != CRTO_OK) {
        fclose(in);
        return cli_usage_error("input %s cannot be read twice (not seekable)", input != NULL ? input : "-");
    }
    rc = cli_session_open(&s, g);
    if (rc != CLI_OK) {
        fclose(in);
        return rc;
    }
    g_report.g = g;
    cli_progress_init(&g_report.progress, !g->json);
    job.on_reject = on_reject;
    job.on_chunk = on_chunk;
    job.on_progress = on_progress;
    job.cb_arg = &g_report;

    t0 = cli_seconds();
    e = crto_contact_list_upload(&s.client, &job, &sum);
    cli_progress_done(&g_report.progress);
    fclose(in);

    if (e != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", s.client.diag.msg);
        if (sum.chunks > 0) {
            fprintf(stderr, "crto: %llu identifiers in %u chunks were delivered before the failure\n",
                    (unsigned long long)sum.sent, (unsigned)sum.chunks);
        }
        rc = cli_exit_for(e);
    } else if (sum.accepted == 0 && sum.rejected > 0) {
        fputs("crto: no valid identifier in the input; nothing was sent\n", stderr);
        rc = CLI_USAGE;
    } else if (sum.rejected > 0 || sum.nb_invalid > 0 || sum.problems > 0) {
        rc = CLI_PARTIAL;
    } else {
        rc = CLI_OK;
    }
    if (g->json) {
        print_json(&job, &sum, &s, cli_seconds() - t0, e, rc);
    } else {
        const crto_stats_t *st = &s.client.stats;
        printf("%s %llu identifiers in %u chunk%s to segment %s (Criteo: %llu valid, %llu invalid); "
               "%llu line%s rejected here\n",
               job.op == CRTO_OP_ADD ? "added" : "removed", (unsigned long long)sum.sent, (unsigned)sum.chunks,
               sum.chunks == 1 ? "" : "s", job.segment_id, (unsigned long long)sum.nb_valid,
               (unsigned long long)sum.nb_invalid, (unsigned long long)sum.rejected, sum.rejected == 1 ? "" : "s");
        printf("%u requests (%u token), %u TLS handshake%s, %u retries, %.2f s\n", (unsigned)st->requests,
               (unsigned)st->token_requests, (unsigned)st->tls_handshakes, st->tls_handshakes == 1 ? "" : "s",
               (unsigned)st->retries, cli_seconds() - t0);
    }
    cli_session_close(&s);
    return rc;
}
