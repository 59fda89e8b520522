/*
 * itest_api.c - the whole Audience API through the library, over TLS, to
 * the fake Criteo server: every operation once, with its outcomes checked.
 * Run by tests/integration/test_api_lib.py, which starts the server,
 * seeds it and checks its state afterwards.
 *
 * usage: itest_api BASE_URL CA_FILE SEEDED_ADVERTISER RM_ACCOUNT RM_RETAILER
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_posix.h"
#include "crto_test.h"

static crto_posix_t posix;
static crto_port_t port;
static crto_client_t client;
static char ca[1 << 16];
static const char *seeded_advertiser, *rm_account, *rm_retailer;

/* ids found by searches, to check each is visited exactly once */
static char seen_ids[2000][CRTO_ID_MAX + 1];
static unsigned n_seen;
static unsigned duplicates;

static bool remember(void *arg, const crto_segment_t *s)
{
    unsigned i;
    (void)arg;
    for (i = 0; i < n_seen; i++) {
        if (strcmp(seen_ids[i], s->id) == 0) {
            duplicates++;
            return true;
        }
    }
    if (n_seen < 2000) {
        memcpy(seen_ids[n_seen++], s->id, sizeof seen_ids[0]);
    }
    return true;
}

static crto_segment_t last_segment;
static bool keep_last(void *arg, const crto_segment_t *s)
{
    (void)arg;
    last_segment = *s;
    return true;
}

static char ms_seg[3][CRTO_ID_MAX + 1];
static char ms_aud[CRTO_ID_MAX + 1];

static void test_ms_segments_create_with_partial_success(void)
{
    crto_ms_segment_create_t items[4];
    crto_outcome_t out[4];
    crto_bulk_t bulk;
    items[0] = crto_ms_segment_create_default("5001", "kiosk opt-in");
    items[0].description = "collected at the till";
    items[1] = crto_ms_segment_create_default("5001", "loyalty card");
    items[2] = crto_ms_segment_create_default("5001", "kiosk opt-in"); /* the same name again */
    items[3] = crto_ms_segment_create_default("5001", "");
    crto_bulk_init(&bulk, out, 4);
    CHECK_EQ_INT(crto_ms_segments_create(&client, items, 4, &bulk), CRTO_OK);
    CHECK(out[0].ok && out[0].id[0] != '\0');
    CHECK(out[1].ok && out[1].id[0] != '\0');
    CHECK(!out[2].ok);
    CHECK_EQ_STR(out[2].code, "name-must-be-unique");
    CHECK(!out[3].ok);
    CHECK_EQ_STR(out[3].code, "name-must-not-be-empty");
    CHECK_EQ_INT(bulk.ok, 2);
    CHECK_EQ_INT(bulk.failed, 2);
    memcpy(ms_seg[0], out[0].id, sizeof ms_seg[0]);
    memcpy(ms_seg[1], out[1].id, sizeof ms_seg[1]);
}

static void test_ms_segments_create_other_kinds(void)
{
    static const char *const brands[] = {"1001"};
    static const crto_poi_t poi[] = {{"48.8566", "2.3522", "store 12"}};
    crto_ms_segment_create_t items[5];
    crto_outcome_t out[5];
    crto_bulk_t bulk;
    unsigned i;
    items[0] = crto_ms_segment_create_default("5001", "in-market FR");
    items[0].kind = CRTO_SEGMENT_IN_MARKET;
    items[0].in_market.country = "FR";
    items[0].in_market.brand_ids.v = brands;
    items[0].in_market.brand_ids.n = 1;
    items[1] = crto_ms_segment_create_default("5001", "near store 12");
    items[1].kind = CRTO_SEGMENT_LOCATION;
    items[1].location.points = poi;
    items[1].location.n_points = 1;
    items[1].location.radius_km = 3;
    items[2] = crto_ms_segment_create_default("5001", "lookalike");
    items[2].kind = CRTO_SEGMENT_LOOKALIKE;
    items[2].lookalike.seed_segment_id = ms_seg[0];
    items[2].lookalike.target_size = 10000;
    items[3] = crto_ms_segment_create_default("5001", "prospects");
    items[3].kind = CRTO_SEGMENT_PROSPECTING;
    items[3].prospecting.users_type = "Prospects";
    items[3].prospecting.days_max = 30;
    items[4] = crto_ms_segment_create_default("5001", "buyers 30d");
    items[4].kind = CRTO_SEGMENT_RETARGETING;
    items[4].retargeting.visitors_type = "Buyers";
    items[4].retargeting.days_min = 0;
    items[4].retargeting.days_max = 30;
    crto_bulk_init(&bulk, out, 5);
    CHECK_EQ_INT(crto_ms_segments_create(&client, items, 5, &bulk), CRTO_OK);
    for (i = 0; i < 5; i++) {
        CHECK(out[i].ok && out[i].id[0] != '\0');
    }
    memcpy(ms_seg[2], out[4].id, sizeof ms_seg[2]);
}

static void test_ms_segments_search_update_and_sizes(void)
{
    static const char *const adv[] = {"5001"};
    static const char *const kinds[] = {"ContactList"};
    crto_ms_segment_filter_t f;
    crto_ms_segment_update_t up[3];
    crto_outcome_t out[3];
    crto_bulk_t bulk;
    crto_page_t page;
    const char *ids[2];

    memset(&f, 0, sizeof f);
    f.advertiser_ids.v = adv;
    f.advertiser_ids.n = 1;
    f.kinds.v = kinds;
    f.kinds.n = 1;
    memset(&page, 0, sizeof page);
    n_seen = 0;
    CHECK_EQ_INT(crto_ms_segments_search(&client, &f, &page, remember, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(page.visited, 2); /* the two contact-list segments created above */
    CHECK_EQ_INT(page.total_items, 2);

    /* the acceptance case: item 1 draws segment-not-found in warnings,
     * item 2 a problem in errors (its new name is item 0's) */
    up[0] = crto_ms_segment_update_default(ms_seg[0]);
    up[0].name = "kiosk opt-in (2026)";
    up[0].description_op = CRTO_CLEAR;
    up[1] = crto_ms_segment_update_default("99999999");
    up[1].name = "nobody";
    up[2] = crto_ms_segment_update_default(ms_seg[1]);
    up[2].name = "kiosk opt-in (2026)";
    crto_bulk_init(&bulk, out, 3);
    CHECK_EQ_INT(crto_ms_segments_update(&client, up, 3, &bulk), CRTO_OK);
    CHECK(out[0].ok);
    CHECK(!out[1].ok);
    CHECK_EQ_STR(out[1].code, "segment-not-found");
    CHECK(!out[2].ok);
    CHECK_EQ_STR(out[2].code, "name-must-be-unique");
    CHECK_EQ_INT(bulk.ok, 1);
    CHECK_EQ_INT(bulk.failed, 2);
    CHECK_EQ_INT(bulk.warnings, 1);
    CHECK_EQ_INT(bulk.errors, 1);

    memset(&f, 0, sizeof f);
    ids[0] = ms_seg[0];
    f.segment_ids.v = ids;
    f.segment_ids.n = 1;
    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_ms_segments_search(&client, &f, &page, keep_last, NULL, NULL), CRTO_OK);
    CHECK_EQ_STR(last_segment.name, "kiosk opt-in (2026)");
    CHECK_EQ_STR(last_segment.description, "");
    CHECK_EQ_INT(last_segment.kind, CRTO_SEGMENT_CONTACT_LIST);

    ids[1] = ms_seg[1];
    crto_bulk_init(&bulk, out, 2);
    CHECK_EQ_INT(crto_ms_segments_compute_sizes(&client, ids, 2, &bulk), CRTO_OK);
    CHECK(out[0].ok && out[0].size >= 0);
    CHECK(out[1].ok && out[1].size >= 0);
}

static void test_ms_contacts_upload_stats_and_wipe(void)
{
    static const char emails[] = "a@shop.example\nb@shop.example\nc@shop.example\n";
    crto_upload_t job = crto_upload_default();
    crto_lines_source_t lines;
    crto_contact_stats_t st;
    job.segment_id = ms_seg[0];
    crto_lines_source_init(&lines, emails, strlen(emails), &job.source);
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_OK);
    CHECK_EQ_INT(crto_ms_contact_list_stats(&client, ms_seg[0], &st), CRTO_OK);
    CHECK_EQ_INT(st.identifiers, 3);
    CHECK(st.matches >= 0 && st.matches <= 3);
    CHECK(st.match_rate[0] != '\0');
    CHECK_EQ_INT(crto_ms_contact_list_wipe(&client, ms_seg[0]), CRTO_OK);
    CHECK_EQ_INT(crto_ms_contact_list_stats(&client, ms_seg[0], &st), CRTO_OK);
    CHECK_EQ_INT(st.identifiers, 0);
}

static bool count_items(void *arg, const crto_in_market_item_t *it)
{
    (*(unsigned *)arg)++;
    return it->id[0] != '\0';
}

static void test_ms_estimates_and_in_market(void)
{
    crto_ms_segment_create_t est = crto_ms_segment_create_default("5001", "x");
    unsigned brands = 0, interests = 0;
    int64_t size = -1;
    est.kind = CRTO_SEGMENT_IN_MARKET;
    est.in_market.country = "FR";
    CHECK_EQ_INT(crto_ms_segments_estimate_size(&client, &est, &size), CRTO_OK);
    CHECK(size >= 0);
    CHECK_EQ_INT(crto_ms_in_market_brands(&client, "5001", "FR", count_items, &brands), CRTO_OK);
    CHECK_EQ_INT(crto_ms_in_market_interests(&client, "5001", "FR", count_items, &interests), CRTO_OK);
    CHECK(brands > 0);
    CHECK(interests > 0);
    CHECK_EQ_INT(crto_ms_in_market_brands(&client, "5001", "France", count_items, &brands), CRTO_ERR_ARG);
}

static crto_audience_t last_audience;
static bool keep_audience(void *arg, const crto_audience_t *a)
{
    (*(unsigned *)arg)++;
    last_audience = *a;
    return true;
}

static void test_ms_audiences(void)
{
    crto_algebra_node_t alg[4] = {
        {CRTO_ALG_AND, 1, -1, ""},
        {CRTO_ALG_SEGMENT, -1, 2, ""},
        {CRTO_ALG_NOT, 3, -1, ""},
        {CRTO_ALG_SEGMENT, -1, -1, ""},
    };
    crto_ms_audience_create_t a = {"5001", "loyal, not lapsed", "from the kiosk", alg, 4};
    crto_ms_audience_update_t u;
    crto_ms_audience_filter_t f;
    crto_outcome_t out[2];
    crto_bulk_t bulk;
    crto_page_t page;
    const char *ids[2];
    unsigned found = 0;
    int64_t size = -1;

    memcpy(alg[1].segment_id, ms_seg[0], sizeof alg[1].segment_id);
    memcpy(alg[3].segment_id, ms_seg[1], sizeof alg[3].segment_id);
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_audiences_create(&client, &a, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok && out[0].id[0] != '\0');
    memcpy(ms_aud, out[0].id, sizeof ms_aud);

    memset(&f, 0, sizeof f);
    ids[0] = "5001";
    f.advertiser_ids.v = ids;
    f.advertiser_ids.n = 1;
    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_ms_audiences_search(&client, &f, &page, keep_audience, &found, NULL), CRTO_OK);
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_STR(last_audience.name, "loyal, not lapsed");
    CHECK(strstr(last_audience.algebra, "\"not\"") != NULL);

    memset(&u, 0, sizeof u);
    u.id = ms_aud;
    u.name = "loyal";
    u.description_op = CRTO_CLEAR;
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_audiences_update(&client, &u, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok);

    ids[0] = ms_aud;
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_audiences_compute_sizes(&client, ids, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok && out[0].size >= 0);
    CHECK_EQ_INT(crto_ms_audiences_estimate_size(&client, "5001", alg, 4, &size), CRTO_OK);
    CHECK(size >= 0);

    /* a segment used by an audience cannot go; the audience can, then it */
    ids[0] = ms_seg[2];
    ids[1] = ms_seg[1];
    crto_bulk_init(&bulk, out, 2);
    CHECK_EQ_INT(crto_ms_segments_delete(&client, ids, 2, &bulk), CRTO_OK);
    CHECK(out[0].ok);
    CHECK(!out[1].ok);
    CHECK_EQ_STR(out[1].code, "segment-must-not-be-used-in-audience");
    ids[0] = ms_aud;
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_audiences_delete(&client, ids, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok);
    ids[0] = ms_seg[1];
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_ms_segments_delete(&client, ids, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok);
}

static void test_search_of_1234_segments_visits_each_once(void)
{
    const char *adv[1];
    crto_ms_segment_filter_t f;
    crto_page_t page;
    adv[0] = seeded_advertiser;
    memset(&f, 0, sizeof f);
    f.advertiser_ids.v = adv;
    f.advertiser_ids.n = 1;
    memset(&page, 0, sizeof page);
    page.limit = 100;
    n_seen = 0;
    duplicates = 0;
    CHECK_EQ_INT(crto_ms_segments_search(&client, &f, &page, remember, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(page.pages, 13);
    CHECK_EQ_INT(page.visited, 1234);
    CHECK_EQ_INT(page.total_items, 1234);
    CHECK_EQ_INT(n_seen, 1234);
    CHECK_EQ_INT(duplicates, 0);
    printf("  1,234 segments in %u pages; sizeof(crto_client_t) = %zu bytes\n", (unsigned)page.pages,
           sizeof(crto_client_t));
    CHECK(sizeof(crto_client_t) <= 16384);
}

static void test_rm_segments_contacts_and_audiences(void)
{
    static const char ids_text[] = "shopper1@example.com\nshopper2@example.com\n";
    crto_rm_segment_create_t items[2] = {{NULL, "retail opt-in", "till", CRTO_ID_EMAIL},
                                         {NULL, "retail opt-in", NULL, CRTO_ID_CUSTOMER_ID}};
    crto_rm_segment_update_t up;
    crto_rm_segment_filter_t f;
    crto_outcome_t out[2];
    crto_bulk_t bulk;
    crto_page_t page;
    crto_contact_stats_t st;
    crto_upload_t job = crto_upload_default();
    crto_lines_source_t lines;
    char seg[CRTO_ID_MAX + 1];
    const char *ids[1];
    unsigned found = 0;

    items[0].retailer_id = items[1].retailer_id = rm_retailer;
    crto_bulk_init(&bulk, out, 2);
    CHECK_EQ_INT(crto_rm_segments_create(&client, rm_account, items, 2, &bulk), CRTO_OK);
    CHECK(out[0].ok && strlen(out[0].id) > 15); /* Retail Media ids are large */
    CHECK(!out[1].ok);
    CHECK_EQ_STR(out[1].code, "name-must-be-unique");
    memcpy(seg, out[0].id, sizeof seg);

    memset(&f, 0, sizeof f);
    ids[0] = rm_retailer;
    f.retailer_ids.v = ids;
    f.retailer_ids.n = 1;
    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_rm_segments_search(&client, rm_account, &f, &page, keep_last, NULL, NULL), CRTO_OK);
    CHECK_EQ_INT(page.visited, 1);
    CHECK_EQ_STR(last_segment.id, seg);
    CHECK_EQ_STR(last_segment.identifier_type, "Email");

    memset(&up, 0, sizeof up);
    up.id = seg;
    up.description_op = CRTO_SET;
    up.description = "collected at the till";
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_rm_segments_update(&client, rm_account, &up, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok);

    job.product = CRTO_PRODUCT_RM;
    job.segment_id = seg;
    crto_lines_source_init(&lines, ids_text, strlen(ids_text), &job.source);
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_OK);
    CHECK_EQ_INT(crto_rm_contact_list_stats(&client, rm_account, seg, &st), CRTO_OK);
    CHECK_EQ_INT(st.identifiers, 2);
    CHECK_EQ_INT(crto_rm_contact_list_clear(&client, seg), CRTO_OK);
    CHECK_EQ_INT(crto_rm_contact_list_stats(&client, rm_account, seg, &st), CRTO_OK);
    CHECK_EQ_INT(st.identifiers, 0);

    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_rm_audiences_search(&client, rm_account, NULL, &page, keep_audience, &found, NULL), CRTO_OK);
    CHECK(found >= 1); /* the wrapper seeded one */

    ids[0] = seg;
    crto_bulk_init(&bulk, out, 1);
    CHECK_EQ_INT(crto_rm_segments_delete(&client, rm_account, ids, 1, &bulk), CRTO_OK);
    CHECK(out[0].ok);
    CHECK_EQ_STR(out[0].code, "");
}

int main(int argc, char **argv)
{
    crto_client_config_t cfg = crto_client_config_default();
    size_t ca_len = 0;
    crto_diag_t diag;

    if (argc != 6) {
        fprintf(stderr, "usage: %s BASE_URL CA_FILE SEEDED_ADVERTISER RM_ACCOUNT RM_RETAILER\n", argv[0]);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    seeded_advertiser = argv[3];
    rm_account = argv[4];
    rm_retailer = argv[5];
    crto_posix_port_init(&posix, &port, stderr, CRTO_LOG_WARN);
    if (crto_posix_read_ca(argv[2], ca, sizeof ca, &ca_len, &diag) != CRTO_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    cfg.base_url = argv[1];
    cfg.ca_pem = ca;
    cfg.ca_pem_len = ca_len;
    cfg.client_id = getenv("CRITEO_CLIENT_ID");
    cfg.client_secret = getenv("CRITEO_CLIENT_SECRET");
    if (crto_client_init(&client, &port, &cfg) != CRTO_OK) {
        fprintf(stderr, "%s\n", client.diag.msg);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_ms_segments_create_with_partial_success);
    RUN(test_ms_segments_create_other_kinds);
    RUN(test_ms_segments_search_update_and_sizes);
    RUN(test_ms_contacts_upload_stats_and_wipe);
    RUN(test_ms_estimates_and_in_market);
    RUN(test_ms_audiences);
    RUN(test_search_of_1234_segments_visits_each_once);
    RUN(test_rm_segments_contacts_and_audiences);
    printf("  %u requests, %u connections, %u TLS handshakes\n", (unsigned)client.stats.requests,
           (unsigned)client.stats.connections, (unsigned)client.stats.tls_handshakes);
    if (client.diag.msg[0] != '\0') {
        printf("  last diag: %s\n", client.diag.msg);
    }
    crto_client_deinit(&client);
    return crto_test_summary();
}
