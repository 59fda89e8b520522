/*
 * report.c - what an API command reports: the outcome of each request
 * item, the problems Criteo sent, the listing of a search, and the error
 * of a call that failed - as text, or as one JSON object on stdout.
 */
#include <string.h>

#include "cli.h"

/* Every problem of the command's call (the first CLI_MAX_PROBLEMS kept). */
typedef struct {
    crto_problem_t kept[CLI_MAX_PROBLEMS];
    uint32_t n_kept;
    uint32_t seen;
    uint32_t errors;         /* problems from "errors"                    */
    uint32_t general_errors; /* of which bound to no request item         */
    bool restartable;        /* one request: a resend starts a new list   */
} problems_t;

static problems_t g_problems;
static crto_outcome_t g_outcomes[CLI_MAX_IDS];
static crto_bulk_t g_bulk;

static void on_problem(void *arg, const crto_problem_t *p)
{
    problems_t *ps = arg;
    /* crto counts a call's problems afresh on every attempt: the first one
     * of a resend means what an earlier, cut, attempt sent is void */
    if (ps->restartable && g_bulk.errors + g_bulk.warnings == 1) {
        ps->n_kept = ps->seen = ps->errors = ps->general_errors = 0;
    }
    ps->seen++;
    if (!p->warning) {
        ps->errors++;
        if (p->item < 0) {
            ps->general_errors++;
        }
    }
    if (ps->n_kept < CLI_MAX_PROBLEMS) {
        ps->kept[ps->n_kept++] = *p;
    }
}

crto_bulk_t *cli_bulk_start(uint32_t n)
{
    memset(&g_problems, 0, sizeof g_problems);
    /* a search's pages are separate calls: their problems add up */
    g_problems.restartable = n > 0;
    crto_bulk_init(&g_bulk, n > 0 ? g_outcomes : NULL, n < CLI_MAX_IDS ? n : CLI_MAX_IDS);
    g_bulk.on_problem = on_problem;
    g_bulk.arg = &g_problems;
    return &g_bulk;
}

bool cli_problems_had_error(void)
{
    return g_problems.errors > 0;
}

/* The first problem that made item i fail, or NULL. */
static const crto_problem_t *item_problem(int32_t i)
{
    uint32_t k;
    for (k = 0; k < g_problems.n_kept; k++) {
        const crto_problem_t *p = &g_problems.kept[k];
        if (p->item == i && !(p->warning && strcmp(p->type, "deprecation") == 0)) {
            return p;
        }
    }
    return NULL;
}

static void print_problem(const char *prefix, const crto_problem_t *p)
{
    fputs(prefix, stderr);
    cli_put_text(stderr, p->code[0] != '\0' ? p->code : "(no code)");
    if (p->detail[0] != '\0' || p->title[0] != '\0') {
        fputs(": ", stderr);
        cli_put_text(stderr, p->detail[0] != '\0' ? p->detail : p->title);
    }
    if (p->trace_id[0] != '\0') {
        fputs(" (trace ", stderr);
        cli_put_text(stderr, p->trace_id);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
}

/* Problems no failed item explains: those bound to no item, and notices. */
void cli_problems_print(void)
{
    uint32_t k;
    for (k = 0; k < g_problems.n_kept; k++) {
        const crto_problem_t *p = &g_problems.kept[k];
        char prefix[64];
        if (p->item >= 0 && !(p->warning && strcmp(p->type, "deprecation") == 0)) {
            continue;
        }
        if (p->item >= 0) {
            (void)snprintf(prefix, sizeof prefix, "crto: item %d: %s: ", (int)p->item, "warning");
        } else {
            (void)snprintf(prefix, sizeof prefix, "crto: %s: ", p->warning ? "warning" : "error");
        }
        print_problem(prefix, p);
    }
    if (g_problems.seen > g_problems.n_kept) {
        fprintf(stderr, "crto: %u more problems not kept\n", (unsigned)(g_problems.seen - g_problems.n_kept));
    }
}

void cli_problems_json(crto_jw_t *w)
{
    uint32_t k;
    cli_json_key(w, "problems", false);
    (void)crto_jw_lit(w, "[");
    for (k = 0; k < g_problems.n_kept; k++) {
        const crto_problem_t *p = &g_problems.kept[k];
        (void)crto_jw_lit(w, k > 0 ? ",{" : "{");
        cli_json_key(w, "item", true);
        if (p->item >= 0) {
            (void)crto_jw_int(w, p->item);
        } else {
            (void)crto_jw_lit(w, "null");
        }
        cli_json_key(w, "warning", false);
        (void)crto_jw_lit(w, p->warning ? "true" : "false");
        cli_json_kstr(w, "type", p->type, false);
        cli_json_kstr(w, "code", p->code, false);
        cli_json_kstr(w, "instance", p->instance, false);
        cli_json_kstr(w, "title", p->title, false);
        cli_json_kstr(w, "detail", p->detail, false);
        cli_json_kstr(w, "traceId", p->trace_id, false);
        (void)crto_jw_lit(w, "}");
    }
    (void)crto_jw_lit(w, "]");
    cli_json_key(w, "problemsNotKept", false);
    (void)crto_jw_int(w, (int64_t)(g_problems.seen - g_problems.n_kept));
}

void cli_json_ok(crto_jw_t *w, int rc)
{
    cli_json_key(w, "error", false);
    (void)crto_jw_lit(w, "null");
    cli_json_key(w, "exitCode", false);
    (void)crto_jw_int(w, rc);
}

int cli_call_failed(const cli_globals_t *g, const crto_client_t *c, crto_err_t e, crto_jw_t *w)
{
    const char *msg = c->diag.msg[0] != '\0' ? c->diag.msg : crto_err_str(e);
    int rc = cli_exit_for(e);
    crto_jw_t own;

    fprintf(stderr, "crto: %s\n", msg);
    if (!g->json) {
        return rc;
    }
    if (w == NULL) {
        w = &own;
        cli_json_begin(w);
        cli_json_key(w, "error", true);
    } else {
        cli_json_key(w, "error", false);
    }
    (void)crto_jw_lit(w, "{\"code\":");
    (void)crto_jw_str(w, crto_err_name(e), strlen(crto_err_name(e)));
    (void)crto_jw_lit(w, ",\"message\":");
    (void)crto_jw_str(w, msg, strlen(msg));
    if (c->diag.http_status > 0) {
        (void)crto_jw_lit(w, ",\"httpStatus\":");
        (void)crto_jw_int(w, c->diag.http_status);
    }
    (void)crto_jw_lit(w, "}");
    cli_json_key(w, "exitCode", false);
    (void)crto_jw_int(w, rc);
    if (w == &own) {
        cli_json_end(w);
    }
    return rc;
}

int cli_size_report(const cli_globals_t *g, crto_client_t *c, crto_err_t e, int64_t size)
{
    crto_jw_t w;
    int rc = CLI_OK;
    if (e == CRTO_OK && size < 0) {
        /* an answer whose size is null (or absent) comes with a problem
         * the estimate functions do not pass on */
        e = crto_diag_set(&c->diag, CRTO_ERR_JSON, "the API answered without a size (it did not accept the request)");
    }
    if (!g->json) {
        if (e != CRTO_OK) {
            return cli_call_failed(g, c, e, NULL);
        }
        printf("%lld\n", (long long)size);
        return CLI_OK;
    }
    cli_json_begin(&w);
    cli_json_kcount(&w, "size", e == CRTO_OK ? size : -1, true);
    if (e != CRTO_OK) {
        rc = cli_call_failed(g, c, e, &w);
    } else {
        cli_json_ok(&w, rc);
    }
    cli_json_end(&w);
    return rc;
}

/* ------------------------------------------------------------ bulk */

static void item_text(uint32_t i, const crto_outcome_t *o, const char *id, cli_bulk_style_t style)
{
    if (style == CLI_BULK_CREATE) {
        if (o->ok && o->id[0] != '\0') {
            printf("%s\n", o->id);
        }
        return;
    }
    if (!o->ok) {
        printf("item %u failed: ", (unsigned)i);
        cli_put_text(stdout, o->code[0] != '\0' ? o->code : "unknown");
        fputc('\n', stdout);
        return;
    }
    printf("item %u ok id=", (unsigned)i);
    cli_put_text(stdout, id);
    if (style == CLI_BULK_SIZES) {
        printf(" size=%lld", (long long)o->size);
    }
    fputc('\n', stdout);
}

static void item_json(crto_jw_t *w, uint32_t i, const crto_outcome_t *o, const char *id, const char *label,
                      cli_bulk_style_t style)
{
    (void)crto_jw_lit(w, i > 0 ? ",{" : "{");
    cli_json_key(w, "index", true);
    (void)crto_jw_int(w, i);
    cli_json_key(w, "ok", false);
    (void)crto_jw_lit(w, o->ok ? "true" : "false");
    cli_json_kstr(w, "id", id, false);
    if (style == CLI_BULK_CREATE && label != NULL) {
        cli_json_kstr(w, "name", label, false);
    }
    if (style == CLI_BULK_SIZES) {
        cli_json_kcount(w, "size", o->size, false);
    }
    if (!o->ok) {
        cli_json_kstr(w, "code", o->code, false);
    }
    if (o->problems > 0) {
        cli_json_key(w, "problems", false);
        (void)crto_jw_int(w, o->problems);
    }
    (void)crto_jw_lit(w, "}");
}

int cli_bulk_report(const cli_globals_t *g, const crto_client_t *c, const crto_bulk_t *bulk,
                    const char *const *ids, crto_err_t e, cli_bulk_style_t style)
{
    crto_jw_t w;
    uint32_t i;
    int rc;

    if (e != CRTO_OK) {
        return cli_call_failed(g, c, e, NULL);
    }
    rc = bulk->failed > 0 || g_problems.general_errors > 0 ? CLI_PARTIAL : CLI_OK;
    for (i = 0; i < bulk->n_items; i++) {
        const crto_outcome_t *o = &bulk->items[i];
        const char *label = ids != NULL ? ids[i] : "";
        if (!o->ok) {
            const crto_problem_t *p = item_problem((int32_t)i);
            char prefix[CRTO_NAME_MAX + 64];
            (void)snprintf(prefix, sizeof prefix, "crto: item %u%s%s%s failed: ", (unsigned)i,
                           label[0] != '\0' ? " (" : "", label, label[0] != '\0' ? ")" : "");
            if (p != NULL) {
                print_problem(prefix, p);
            } else {
                fputs(prefix, stderr);
                cli_put_text(stderr, o->code[0] != '\0' ? o->code : "unknown");
                fputc('\n', stderr);
            }
        } else if (style == CLI_BULK_CREATE && o->id[0] == '\0') {
            fprintf(stderr, "crto: item %u: created, but the answer named no id\n", (unsigned)i);
        }
    }
    cli_problems_print();
    if (!g->json) {
        for (i = 0; i < bulk->n_items; i++) {
            const crto_outcome_t *o = &bulk->items[i];
            item_text(i, o, o->id[0] != '\0' || ids == NULL || style == CLI_BULK_CREATE ? o->id : ids[i], style);
        }
        return rc;
    }
    cli_json_begin(&w);
    cli_json_key(&w, "items", true);
    (void)crto_jw_lit(&w, "[");
    for (i = 0; i < bulk->n_items; i++) {
        const crto_outcome_t *o = &bulk->items[i];
        const char *id = o->id[0] != '\0' || ids == NULL || style == CLI_BULK_CREATE ? o->id : ids[i];
        item_json(&w, i, o, id, ids != NULL ? ids[i] : NULL, style);
    }
    (void)crto_jw_lit(&w, "]");
    cli_json_key(&w, "ok", false);
    (void)crto_jw_int(&w, bulk->ok);
    cli_json_key(&w, "failed", false);
    (void)crto_jw_int(&w, bulk->failed);
    cli_json_key(&w, "errors", false);
    (void)crto_jw_int(&w, bulk->errors);
    cli_json_key(&w, "warnings", false);
    (void)crto_jw_int(&w, bulk->warnings);
    cli_json_key(&w, "generalProblems", false);
    (void)crto_jw_int(&w, bulk->general);
    cli_problems_json(&w);
    cli_json_ok(&w, rc);
    cli_json_end(&w);
    return rc;
}

/* ------------------------------------------------------------ listings */

void cli_listing_begin(cli_listing_t *l, const cli_globals_t *g, const char *key)
{
    l->g = g;
    l->n = 0;
    if (g->json) {
        cli_json_begin(&l->w);
        cli_json_key(&l->w, key, true);
        (void)crto_jw_lit(&l->w, "[");
    }
}

crto_jw_t *cli_listing_next(cli_listing_t *l)
{
    if (!l->g->json) {
        l->n++;
        return NULL;
    }
    if (l->n++ > 0) {
        (void)crto_jw_lit(&l->w, ",");
    }
    return &l->w;
}

int cli_listing_end(cli_listing_t *l, const crto_client_t *c, crto_err_t e, const crto_page_t *page,
                    const char *noun)
{
    int rc = e != CRTO_OK ? cli_exit_for(e) : page != NULL && cli_problems_had_error() ? CLI_PARTIAL : CLI_OK;
    if (page != NULL) {
        cli_problems_print();
    }
    if (!l->g->json) {
        if (e != CRTO_OK) {
            return cli_call_failed(l->g, c, e, NULL);
        }
        if (page != NULL) {
            printf("%llu %s%s (%u page%s)\n", (unsigned long long)l->n, noun, l->n == 1 ? "" : "s",
                   (unsigned)page->pages, page->pages == 1 ? "" : "s");
        }
        return rc;
    }
    (void)crto_jw_lit(&l->w, "]");
    if (page != NULL) {
        cli_json_key(&l->w, "totalItems", false);
        (void)crto_jw_int(&l->w, (int64_t)page->total_items);
        cli_json_key(&l->w, "pages", false);
        (void)crto_jw_int(&l->w, page->pages);
        cli_problems_json(&l->w);
    } else {
        cli_json_key(&l->w, "count", false);
        (void)crto_jw_int(&l->w, (int64_t)l->n);
    }
    if (e != CRTO_OK) {
        rc = cli_call_failed(l->g, c, e, &l->w);
    } else {
        cli_json_ok(&l->w, rc);
    }
    cli_json_end(&l->w);
    return rc;
}
