/*
 * cmd_audiences.c - `crto ms audiences search|create|update|delete|sizes|estimate`
 * and `crto rm audiences search`: combinations of segments.
 */
#include <string.h>

#include "cli.h"

#define MS_PAGE_MAX 100u
#define RM_PAGE_MAX 500u
#define ALGEBRA_NODES 64

static cli_list_t g_ids, g_segments, g_retailers;
static cli_update_t g_update;
static crto_ms_audience_update_t g_ms_update[CLI_MAX_IDS];
/* --algebra, parsed before anything is sent */
static crto_algebra_node_t g_nodes[ALGEBRA_NODES];
static crto_jdoc_t g_doc;

/* --algebra JSON into g_nodes: CLI_OK, or CLI_USAGE naming what is wrong. */
static int parse_algebra(const char *json, uint16_t *n_nodes)
{
    crto_diag_t diag;
    crto_diag_clear(&diag);
    if (crto_algebra_parse(json, strlen(json), g_nodes, ALGEBRA_NODES, n_nodes, &g_doc, &diag) != CRTO_OK) {
        return cli_usage_error("--algebra: %s", diag.msg);
    }
    return CLI_OK;
}

static bool on_audience(void *arg, const crto_audience_t *a)
{
    crto_jw_t *w = cli_listing_next(arg);
    if (w != NULL) {
        cli_audience_json(w, a);
    } else {
        cli_audience_text(a);
    }
    return true;
}

static int ms_search(const cli_globals_t *g, int argc, char **argv)
{
    const char *advertiser = NULL, *limit = NULL;
    const char *adv[1];
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--id", NULL, &g_ids, NULL},
                        {"--segment", NULL, &g_segments, NULL},
                        {"--limit", &limit, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_ms_audience_filter_t filter;
    cli_listing_t listing;
    crto_page_t page;
    cli_session_t s;
    crto_err_t e;
    int rc;

    memset(&filter, 0, sizeof filter);
    memset(&page, 0, sizeof page);
    rc = cli_parse_opts(opts, argc, argv);
    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms audiences search", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_limit(limit, MS_PAGE_MAX, &page.limit);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    adv[0] = advertiser;
    filter.advertiser_ids.v = adv;
    filter.advertiser_ids.n = 1;
    filter.audience_ids = cli_strings(&g_ids);
    filter.segment_ids = cli_strings(&g_segments);
    cli_listing_begin(&listing, g, "audiences");
    e = crto_ms_audiences_search(&s.client, &filter, &page, on_audience, &listing, cli_bulk_start(0));
    rc = cli_listing_end(&listing, &s.client, e, &page, "audience");
    cli_session_close(&s);
    return rc;
}

static int ms_create(const cli_globals_t *g, int argc, char **argv)
{
    const char *advertiser = NULL, *name = NULL, *algebra = NULL, *description = NULL;
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--name", &name, NULL, NULL},
                        {"--algebra", &algebra, NULL, NULL},
                        {"--description", &description, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_ms_audience_create_t item;
    crto_bulk_t *bulk;
    cli_session_t s;
    uint16_t n_nodes = 0;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms audiences create", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need(name, "ms audiences create", "--name NAME");
    }
    if (rc == CLI_OK) {
        rc = cli_need(algebra, "ms audiences create", "--algebra JSON");
    }
    if (rc == CLI_OK) {
        rc = parse_algebra(algebra, &n_nodes);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    memset(&item, 0, sizeof item);
    item.advertiser_id = advertiser;
    item.name = name;
    item.description = description;
    item.algebra = g_nodes;
    item.n_nodes = n_nodes;
    bulk = cli_bulk_start(1);
    e = crto_ms_audiences_create(&s.client, &item, 1, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, &name, e, CLI_BULK_CREATE);
    cli_session_close(&s);
    return rc;
}

static int ms_update(const cli_globals_t *g, int argc, char **argv)
{
    const char *algebra = NULL;
    cli_opt_t opts[] = {CLI_UPDATE_OPTS(&g_update), {"--algebra", &algebra, NULL, NULL}, {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    uint16_t n_nodes = 0;
    uint32_t i;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_update_check(&g_update, "ms audiences update", algebra != NULL, "--algebra");
    }
    if (rc == CLI_OK && algebra != NULL) {
        rc = parse_algebra(algebra, &n_nodes);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    for (i = 0; i < g_update.ids.n; i++) {
        memset(&g_ms_update[i], 0, sizeof g_ms_update[i]);
        g_ms_update[i].id = g_update.ids.v[i];
        g_ms_update[i].name = g_update.name;
        g_ms_update[i].description_op = g_update.description_op;
        g_ms_update[i].description = g_update.description;
        g_ms_update[i].algebra = algebra != NULL ? g_nodes : NULL;
        g_ms_update[i].n_nodes = n_nodes;
    }
    bulk = cli_bulk_start(g_update.ids.n);
    e = crto_ms_audiences_update(&s.client, g_ms_update, g_update.ids.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_update.ids.v, e, CLI_BULK_ITEMS);
    cli_session_close(&s);
    return rc;
}

/* delete and sizes: a list of ids in, an outcome per id out. */
static int ms_by_ids(const cli_globals_t *g, int argc, char **argv, bool sizes)
{
    cli_opt_t opts[] = {{"--id", NULL, &g_ids, NULL}, {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need_list(&g_ids, sizes ? "ms audiences sizes" : "ms audiences delete", "--id ID");
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    bulk = cli_bulk_start(g_ids.n);
    e = sizes ? crto_ms_audiences_compute_sizes(&s.client, g_ids.v, g_ids.n, bulk)
              : crto_ms_audiences_delete(&s.client, g_ids.v, g_ids.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_ids.v, e, sizes ? CLI_BULK_SIZES : CLI_BULK_ITEMS);
    cli_session_close(&s);
    return rc;
}

/* estimate --advertiser ID --algebra JSON: the size of an audience that
 * does not exist. */
static int ms_estimate(const cli_globals_t *g, int argc, char **argv)
{
    const char *advertiser = NULL, *algebra = NULL;
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--algebra", &algebra, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    cli_session_t s;
    uint16_t n_nodes = 0;
    int64_t size = -1;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms audiences estimate", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need(algebra, "ms audiences estimate", "--algebra JSON");
    }
    if (rc == CLI_OK) {
        rc = parse_algebra(algebra, &n_nodes);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    e = crto_ms_audiences_estimate_size(&s.client, advertiser, g_nodes, n_nodes, &size);
    rc = cli_size_report(g, &s.client, e, size);
    cli_session_close(&s);
    return rc;
}

static int rm_search(const cli_globals_t *g, int argc, char **argv)
{
    const char *account = NULL, *limit = NULL;
    cli_opt_t opts[] = {{"--account", &account, NULL, NULL},
                        {"--retailer", NULL, &g_retailers, NULL},
                        {"--id", NULL, &g_ids, NULL},
                        {"--segment", NULL, &g_segments, NULL},
                        {"--limit", &limit, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_rm_audience_filter_t filter;
    cli_listing_t listing;
    crto_page_t page;
    cli_session_t s;
    crto_err_t e;
    int rc;

    memset(&filter, 0, sizeof filter);
    memset(&page, 0, sizeof page);
    rc = cli_parse_opts(opts, argc, argv);
    if (rc == CLI_OK) {
        rc = cli_need(account, "rm audiences search", "--account ID");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_limit(limit, RM_PAGE_MAX, &page.limit);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    filter.retailer_ids = cli_strings(&g_retailers);
    filter.audience_ids = cli_strings(&g_ids);
    filter.segment_ids = cli_strings(&g_segments);
    cli_listing_begin(&listing, g, "audiences");
    e = crto_rm_audiences_search(&s.client, account, &filter, &page, on_audience, &listing, cli_bulk_start(0));
    rc = cli_listing_end(&listing, &s.client, e, &page, "audience");
    cli_session_close(&s);
    return rc;
}

int cmd_audiences(const cli_globals_t *g, crto_product_t product, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (product == CRTO_PRODUCT_RM) {
        if (strcmp(verb, "search") == 0) {
            return rm_search(g, argc - 1, argv + 1);
        }
        return cli_usage_error("expected: crto rm audiences search --account ID [--retailer ID]");
    }
    if (strcmp(verb, "search") == 0) {
        return ms_search(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "create") == 0) {
        return ms_create(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "update") == 0) {
        return ms_update(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "delete") == 0 || strcmp(verb, "sizes") == 0) {
        return ms_by_ids(g, argc - 1, argv + 1, strcmp(verb, "sizes") == 0);
    }
    if (strcmp(verb, "estimate") == 0) {
        return ms_estimate(g, argc - 1, argv + 1);
    }
    return cli_usage_error("expected: crto ms audiences search|create|update|delete|sizes|estimate ...");
}
