/*
 * cmd_segments.c - `crto ms|rm segments search|create|update|delete`, and
 * `crto ms segments sizes|estimate|in-market-brands|in-market-interests`:
 * audience segments, one library call per command (all pages for search).
 */
#include <string.h>

#include "cli.h"

#define MS_PAGE_MAX 100u
#define RM_PAGE_MAX 500u

/* The repeatable options of one command (one command per process). */
static cli_list_t g_ids, g_names, g_kinds, g_retailers, g_brands, g_interests;
static cli_update_t g_update;
static const char *g_kind_names[CLI_MAX_IDS];
static crto_ms_segment_create_t g_ms_create[CLI_MAX_IDS];
static crto_rm_segment_create_t g_rm_create[CLI_MAX_IDS];
static crto_ms_segment_update_t g_ms_update[CLI_MAX_IDS];
static crto_rm_segment_update_t g_rm_update[CLI_MAX_IDS];

/* --type values checked here, sent with the API's spelling. */
static int kinds(crto_strings_t *out)
{
    crto_diag_t diag;
    uint32_t i;
    crto_diag_clear(&diag);
    for (i = 0; i < g_kinds.n; i++) {
        crto_segment_kind_t k;
        if (crto_segment_kind_parse(g_kinds.v[i], &k, &diag) != CRTO_OK) {
            return cli_usage_error("%s", diag.msg);
        }
        g_kind_names[i] = crto_segment_kind_name(k);
    }
    out->v = g_kind_names;
    out->n = g_kinds.n;
    return CLI_OK;
}

static bool on_segment(void *arg, const crto_segment_t *s)
{
    crto_jw_t *w = cli_listing_next(arg);
    if (w != NULL) {
        cli_segment_json(w, s);
    } else {
        cli_segment_text(s);
    }
    return true;
}

/* ------------------------------------------------------------ MS */

static int ms_search(const cli_globals_t *g, int argc, char **argv)
{
    const char *advertiser = NULL, *limit = NULL;
    const char *adv[1];
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--type", NULL, &g_kinds, NULL},
                        {"--id", NULL, &g_ids, NULL},
                        {"--limit", &limit, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_ms_segment_filter_t filter;
    cli_listing_t listing;
    crto_page_t page;
    cli_session_t s;
    crto_err_t e;
    int rc;

    memset(&filter, 0, sizeof filter);
    memset(&page, 0, sizeof page);
    rc = cli_parse_opts(opts, argc, argv);
    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms segments search", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_limit(limit, MS_PAGE_MAX, &page.limit);
    }
    if (rc == CLI_OK) {
        rc = kinds(&filter.kinds);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    adv[0] = advertiser;
    filter.advertiser_ids.v = adv;
    filter.advertiser_ids.n = 1;
    filter.segment_ids = cli_strings(&g_ids);
    cli_listing_begin(&listing, g, "segments");
    e = crto_ms_segments_search(&s.client, &filter, &page, on_segment, &listing, cli_bulk_start(0));
    rc = cli_listing_end(&listing, &s.client, e, &page, "segment");
    cli_session_close(&s);
    return rc;
}

static int ms_create(const cli_globals_t *g, int argc, char **argv)
{
    const char *advertiser = NULL, *description = NULL;
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--name", NULL, &g_names, NULL},
                        {"--description", &description, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    uint32_t i;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms segments create", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need_list(&g_names, "ms segments create", "--name NAME");
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    for (i = 0; i < g_names.n; i++) {
        g_ms_create[i] = crto_ms_segment_create_default(advertiser, g_names.v[i]);
        g_ms_create[i].description = description;
    }
    bulk = cli_bulk_start(g_names.n);
    e = crto_ms_segments_create(&s.client, g_ms_create, g_names.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_names.v, e, CLI_BULK_CREATE);
    cli_session_close(&s);
    return rc;
}

static int ms_update(const cli_globals_t *g, int argc, char **argv)
{
    cli_opt_t opts[] = {CLI_UPDATE_OPTS(&g_update), {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    uint32_t i;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_update_check(&g_update, "ms segments update", false, NULL);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    for (i = 0; i < g_update.ids.n; i++) {
        g_ms_update[i] = crto_ms_segment_update_default(g_update.ids.v[i]);
        g_ms_update[i].name = g_update.name;
        g_ms_update[i].description_op = g_update.description_op;
        g_ms_update[i].description = g_update.description;
    }
    bulk = cli_bulk_start(g_update.ids.n);
    e = crto_ms_segments_update(&s.client, g_ms_update, g_update.ids.n, bulk);
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
        rc = cli_need_list(&g_ids, sizes ? "ms segments sizes" : "ms segments delete", "--id ID");
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    bulk = cli_bulk_start(g_ids.n);
    e = sizes ? crto_ms_segments_compute_sizes(&s.client, g_ids.v, g_ids.n, bulk)
              : crto_ms_segments_delete(&s.client, g_ids.v, g_ids.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_ids.v, e, sizes ? CLI_BULK_SIZES : CLI_BULK_ITEMS);
    cli_session_close(&s);
    return rc;
}

/* estimate --advertiser ID --country CC [--brand ID]... [--interest ID]... [--gender G]:
 * the size of an in-market segment that does not exist. */
static int ms_estimate(const cli_globals_t *g, int argc, char **argv)
{
    static const char *const genders[] = {"Male", "Female", NULL};
    const char *advertiser = NULL, *country = NULL, *gender = NULL;
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--country", &country, NULL, NULL},
                        {"--brand", NULL, &g_brands, NULL},
                        {"--interest", NULL, &g_interests, NULL},
                        {"--gender", &gender, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_ms_segment_create_t item;
    cli_session_t s;
    char cc[3];
    int64_t size = -1;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(advertiser, "ms segments estimate", "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need(country, "ms segments estimate", "--country CC");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_country(country, cc);
    }
    if (rc == CLI_OK) {
        rc = cli_check_id_list(&g_brands, "--brand");
    }
    if (rc == CLI_OK) {
        rc = cli_check_id_list(&g_interests, "--interest");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_choice(gender, genders, "--gender", &gender);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    item = crto_ms_segment_create_default(advertiser, NULL);
    item.kind = CRTO_SEGMENT_IN_MARKET;
    item.in_market.country = cc;
    item.in_market.brand_ids = cli_strings(&g_brands);
    item.in_market.interest_ids = cli_strings(&g_interests);
    item.in_market.gender = gender;
    e = crto_ms_segments_estimate_size(&s.client, &item, &size);
    rc = cli_size_report(g, &s.client, e, size);
    cli_session_close(&s);
    return rc;
}

static bool on_brand(void *arg, const crto_in_market_item_t *it)
{
    crto_jw_t *w = cli_listing_next(arg);
    if (w != NULL) {
        cli_in_market_json(w, it, true);
    } else {
        cli_in_market_text(it, true);
    }
    return true;
}

static bool on_interest(void *arg, const crto_in_market_item_t *it)
{
    crto_jw_t *w = cli_listing_next(arg);
    if (w != NULL) {
        cli_in_market_json(w, it, false);
    } else {
        cli_in_market_text(it, false);
    }
    return true;
}

/* in-market-brands|in-market-interests --advertiser ID --country CC */
static int ms_in_market(const cli_globals_t *g, int argc, char **argv, bool brands)
{
    const char *cmd = brands ? "ms segments in-market-brands" : "ms segments in-market-interests";
    const char *advertiser = NULL, *country = NULL;
    cli_opt_t opts[] = {{"--advertiser", &advertiser, NULL, NULL},
                        {"--country", &country, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    cli_listing_t listing;
    cli_session_t s;
    char cc[3];
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(advertiser, cmd, "--advertiser ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need(country, cmd, "--country CC");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_country(country, cc);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    cli_listing_begin(&listing, g, brands ? "brands" : "interests");
    e = brands ? crto_ms_in_market_brands(&s.client, advertiser, cc, on_brand, &listing)
               : crto_ms_in_market_interests(&s.client, advertiser, cc, on_interest, &listing);
    rc = cli_listing_end(&listing, &s.client, e, NULL, brands ? "brand" : "interest");
    cli_session_close(&s);
    return rc;
}

/* ------------------------------------------------------------ RM */

static int rm_search(const cli_globals_t *g, int argc, char **argv)
{
    const char *account = NULL, *limit = NULL;
    cli_opt_t opts[] = {{"--account", &account, NULL, NULL},
                        {"--retailer", NULL, &g_retailers, NULL},
                        {"--type", NULL, &g_kinds, NULL},
                        {"--id", NULL, &g_ids, NULL},
                        {"--limit", &limit, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_rm_segment_filter_t filter;
    cli_listing_t listing;
    crto_page_t page;
    cli_session_t s;
    crto_err_t e;
    int rc;

    memset(&filter, 0, sizeof filter);
    memset(&page, 0, sizeof page);
    rc = cli_parse_opts(opts, argc, argv);
    if (rc == CLI_OK) {
        rc = cli_need(account, "rm segments search", "--account ID");
    }
    if (rc == CLI_OK) {
        rc = cli_parse_limit(limit, RM_PAGE_MAX, &page.limit);
    }
    if (rc == CLI_OK) {
        rc = kinds(&filter.kinds);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    filter.retailer_ids = cli_strings(&g_retailers);
    filter.segment_ids = cli_strings(&g_ids);
    cli_listing_begin(&listing, g, "segments");
    e = crto_rm_segments_search(&s.client, account, &filter, &page, on_segment, &listing, cli_bulk_start(0));
    rc = cli_listing_end(&listing, &s.client, e, &page, "segment");
    cli_session_close(&s);
    return rc;
}

static int rm_create(const cli_globals_t *g, int argc, char **argv)
{
    const char *account = NULL, *retailer = NULL, *type = NULL, *description = NULL;
    cli_opt_t opts[] = {{"--account", &account, NULL, NULL},
                        {"--retailer", &retailer, NULL, NULL},
                        {"--name", NULL, &g_names, NULL},
                        {"--identifier-type", &type, NULL, NULL},
                        {"--description", &description, NULL, NULL},
                        {NULL, NULL, NULL, NULL}};
    crto_id_type_t id_type = CRTO_ID_EMAIL;
    crto_diag_t diag;
    crto_bulk_t *bulk;
    cli_session_t s;
    uint32_t i;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    crto_diag_clear(&diag);
    if (rc == CLI_OK) {
        rc = cli_need(account, "rm segments create", "--account ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need(retailer, "rm segments create", "--retailer ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need_list(&g_names, "rm segments create", "--name NAME");
    }
    if (rc == CLI_OK) {
        rc = cli_need(type, "rm segments create", "--identifier-type Email|UserIdentifier|IdentityLink|CustomerId|PhoneNumber");
    }
    if (rc == CLI_OK && crto_id_type_parse(CRTO_PRODUCT_RM, type, &id_type, &diag) != CRTO_OK) {
        rc = cli_usage_error("%s", diag.msg);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    for (i = 0; i < g_names.n; i++) {
        memset(&g_rm_create[i], 0, sizeof g_rm_create[i]);
        g_rm_create[i].retailer_id = retailer;
        g_rm_create[i].name = g_names.v[i];
        g_rm_create[i].description = description;
        g_rm_create[i].identifier_type = id_type;
    }
    bulk = cli_bulk_start(g_names.n);
    e = crto_rm_segments_create(&s.client, account, g_rm_create, g_names.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_names.v, e, CLI_BULK_CREATE);
    cli_session_close(&s);
    return rc;
}

static int rm_update(const cli_globals_t *g, int argc, char **argv)
{
    const char *account = NULL;
    cli_opt_t opts[] = {{"--account", &account, NULL, NULL}, CLI_UPDATE_OPTS(&g_update), {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    uint32_t i;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(account, "rm segments update", "--account ID");
    }
    if (rc == CLI_OK) {
        rc = cli_update_check(&g_update, "rm segments update", false, NULL);
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    for (i = 0; i < g_update.ids.n; i++) {
        memset(&g_rm_update[i], 0, sizeof g_rm_update[i]);
        g_rm_update[i].id = g_update.ids.v[i];
        g_rm_update[i].name = g_update.name;
        g_rm_update[i].description_op = g_update.description_op;
        g_rm_update[i].description = g_update.description;
    }
    bulk = cli_bulk_start(g_update.ids.n);
    e = crto_rm_segments_update(&s.client, account, g_rm_update, g_update.ids.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_update.ids.v, e, CLI_BULK_ITEMS);
    cli_session_close(&s);
    return rc;
}

static int rm_delete(const cli_globals_t *g, int argc, char **argv)
{
    const char *account = NULL;
    cli_opt_t opts[] = {{"--account", &account, NULL, NULL}, {"--id", NULL, &g_ids, NULL}, {NULL, NULL, NULL, NULL}};
    crto_bulk_t *bulk;
    cli_session_t s;
    crto_err_t e;
    int rc = cli_parse_opts(opts, argc, argv);

    if (rc == CLI_OK) {
        rc = cli_need(account, "rm segments delete", "--account ID");
    }
    if (rc == CLI_OK) {
        rc = cli_need_list(&g_ids, "rm segments delete", "--id ID");
    }
    if (rc != CLI_OK || (rc = cli_session_open(&s, g)) != CLI_OK) {
        return rc;
    }
    bulk = cli_bulk_start(g_ids.n);
    e = crto_rm_segments_delete(&s.client, account, g_ids.v, g_ids.n, bulk);
    rc = cli_bulk_report(g, &s.client, bulk, g_ids.v, e, CLI_BULK_ITEMS);
    cli_session_close(&s);
    return rc;
}

int cmd_segments(const cli_globals_t *g, crto_product_t product, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    bool ms = product == CRTO_PRODUCT_MS;

    if (strcmp(verb, "search") == 0) {
        return ms ? ms_search(g, argc - 1, argv + 1) : rm_search(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "create") == 0) {
        return ms ? ms_create(g, argc - 1, argv + 1) : rm_create(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "update") == 0) {
        return ms ? ms_update(g, argc - 1, argv + 1) : rm_update(g, argc - 1, argv + 1);
    }
    if (strcmp(verb, "delete") == 0) {
        return ms ? ms_by_ids(g, argc - 1, argv + 1, false) : rm_delete(g, argc - 1, argv + 1);
    }
    if (ms && strcmp(verb, "sizes") == 0) {
        return ms_by_ids(g, argc - 1, argv + 1, true);
    }
    if (ms && strcmp(verb, "estimate") == 0) {
        return ms_estimate(g, argc - 1, argv + 1);
    }
    if (ms && (strcmp(verb, "in-market-brands") == 0 || strcmp(verb, "in-market-interests") == 0)) {
        return ms_in_market(g, argc - 1, argv + 1, strcmp(verb, "in-market-brands") == 0);
    }
    return cli_usage_error(ms ? "expected: crto ms segments "
                                "search|create|update|delete|sizes|estimate|in-market-brands|in-market-interests ..."
                              : "expected: crto rm segments search|create|update|delete ...");
}
