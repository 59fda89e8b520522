/*
 * test_api_call.c - the Audience API envelope over the in-memory port:
 * partial success mapped to request items through "@data/N" in both
 * "errors" and "warnings", search paging to meta.totalItems, exact request
 * bodies (Nillable set / clear / keep), checks before any traffic.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "crto_test.h"

static crto_mem_t mem;
static crto_port_t port;
static crto_client_t client;
static uint8_t sent[1 << 16];

/* A 200 JSON answer with its exact Content-Length (the port borrows it). */
static const char *ok_json(const char *body)
{
    static char pool[8][4096];
    static unsigned next;
    char *buf = pool[next++ % 8];
    (void)snprintf(buf, sizeof pool[0],
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body),
                   body);
    return buf;
}

static void then(const char *response)
{
    crto_mem_then(&mem, response, strlen(response));
}

/* A client with a static bearer on one kept-alive connection. */
static void setup(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
}

static const char *body_after(const char *request_line)
{
    const char *p = strstr((const char *)sent, request_line);
    return p != NULL ? strstr(p, "\r\n\r\n") + 4 : NULL;
}

static void test_bulk_update_maps_errors_and_warnings_to_items(void)
{
    static const char answer[] =
        "{\"data\":[{\"id\":\"101\",\"type\":\"AudienceSegment\",\"attributes\":{\"name\":\"a\"}}],"
        "\"errors\":[{\"type\":\"validation\",\"code\":\"name-must-be-unique\",\"instance\":\"@data/2\","
        "\"title\":\"dup\",\"traceId\":\"abc\"}],"
        "\"warnings\":[{\"type\":\"validation\",\"code\":\"segment-not-found\",\"instance\":\"@data/1\","
        "\"detail\":\"gone\"},{\"type\":\"deprecation\",\"code\":\"deprecated-field\",\"instance\":\"@data/0\","
        "\"detail\":\"x\"},{\"type\":\"availability\",\"code\":\"slow-today\",\"instance\":\"\",\"detail\":\"y\"}]}";
    crto_ms_segment_update_t items[3];
    crto_outcome_t out[3];
    crto_bulk_t bulk;

    setup();
    crto_mem_add(&mem, ok_json(answer), strlen(ok_json(answer)));
    items[0] = crto_ms_segment_update_default("101");
    items[0].name = "a";
    items[1] = crto_ms_segment_update_default("102");
    items[1].description_op = CRTO_CLEAR;
    items[2] = crto_ms_segment_update_default("103");
    items[2].name = "taken";
    items[2].description_op = CRTO_SET;
    items[2].description = "new";
    crto_bulk_init(&bulk, out, 3);
    CHECK_EQ_INT(crto_ms_segments_update(&client, items, 3, &bulk), CRTO_OK);
    CHECK(out[0].ok);
    CHECK_EQ_STR(out[0].id, "101");
    CHECK_EQ_INT(out[0].problems, 1); /* the deprecation notice, which does not fail it */
    CHECK(!out[1].ok);
    CHECK_EQ_STR(out[1].code, "segment-not-found");
    CHECK(!out[2].ok);
    CHECK_EQ_STR(out[2].code, "name-must-be-unique");
    CHECK_EQ_INT(bulk.ok, 1);
    CHECK_EQ_INT(bulk.failed, 2);
    CHECK_EQ_INT(bulk.errors, 1);
    CHECK_EQ_INT(bulk.warnings, 3);
    CHECK_EQ_INT(bulk.general, 1);
    CHECK_EQ_STR(bulk.first_general.code, "slow-today");
    CHECK_EQ_STR(body_after("PATCH /2026-07/marketing-solutions/audience-segments HTTP/1.1"),
                 "{\"data\":[{\"id\":\"101\",\"type\":\"AudienceSegment\",\"attributes\":{\"name\":\"a\"}},"
                 "{\"id\":\"102\",\"type\":\"AudienceSegment\",\"attributes\":{\"description\":{\"value\":null}}},"
                 "{\"id\":\"103\",\"type\":\"AudienceSegment\",\"attributes\":{\"name\":\"taken\","
                 "\"description\":{\"value\":\"new\"}}}]}");
    crto_client_deinit(&client);
}

typedef struct {
    char ids[16][CRTO_ID_MAX + 1];
    unsigned n;
} found_t;

static bool collect(void *arg, const crto_segment_t *s)
{
    found_t *f = arg;
    if (f->n < 16) {
        memcpy(f->ids[f->n++], s->id, sizeof f->ids[0]);
    }
    return true;
}

static void test_search_walks_pages_to_total_items(void)
{
    static const char p1[] = "{\"data\":[{\"id\":\"1\",\"attributes\":{\"name\":\"s1\",\"type\":\"ContactList\"}},"
                             "{\"id\":\"2\",\"attributes\":{\"name\":\"s2\",\"type\":\"Behavioral\"}}],"
                             "\"meta\":{\"totalItems\":5,\"limit\":2,\"offset\":0},\"errors\":[],\"warnings\":[]}";
    static const char p2[] = "{\"data\":[{\"id\":\"3\",\"attributes\":{}},{\"id\":\"4\",\"attributes\":{}}],"
                             "\"meta\":{\"totalItems\":5,\"limit\":2,\"offset\":2}}";
    static const char p3[] = "{\"meta\":{\"totalItems\":5,\"limit\":2,\"offset\":4},"
                             "\"data\":[{\"id\":\"5\",\"attributes\":{\"type\":\"SomethingNew\"}}]}";
    static const char *const adv[] = {"42"};
    crto_ms_segment_filter_t filter;
    crto_page_t page;
    found_t found;

    setup();
    crto_mem_add(&mem, ok_json(p1), strlen(ok_json(p1)));
    then(ok_json(p2));
    then(ok_json(p3));
    memset(&filter, 0, sizeof filter);
    filter.advertiser_ids.v = adv;
    filter.advertiser_ids.n = 1;
    memset(&page, 0, sizeof page);
    memset(&found, 0, sizeof found);
    page.limit = 2;
    CHECK_EQ_INT(crto_ms_segments_search(&client, &filter, &page, collect, &found, NULL), CRTO_OK);
    CHECK_EQ_INT(page.pages, 3);
    CHECK_EQ_INT(page.visited, 5);
    CHECK_EQ_INT(page.total_items, 5);
    CHECK_EQ_INT(found.n, 5);
    CHECK_EQ_STR(found.ids[4], "5");
    CHECK(strstr((char *)sent, "POST /2026-07/marketing-solutions/audience-segments/search?limit=2&offset=0 ") !=
          NULL);
    CHECK(strstr((char *)sent, "search?limit=2&offset=4 ") != NULL);
    CHECK_EQ_INT(mem.connects, 1);
    crto_client_deinit(&client);
}

static bool stop_after_one(void *arg, const crto_segment_t *s)
{
    (void)s;
    (*(int *)arg)++;
    return false;
}

static void test_callback_can_stop_a_search(void)
{
    static const char p1[] = "{\"data\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"meta\":{\"totalItems\":9}}";
    crto_page_t page;
    int seen = 0;
    setup();
    crto_mem_add(&mem, ok_json(p1), strlen(ok_json(p1)));
    memset(&page, 0, sizeof page);
    CHECK_EQ_INT(crto_ms_segments_search(&client, NULL, &page, stop_after_one, &seen, NULL), CRTO_OK);
    CHECK_EQ_INT(seen, 1);
    CHECK_EQ_INT(page.pages, 1);
    CHECK(strstr((char *)sent, "?limit=100&offset=0") != NULL); /* MS page size defaults to its max */
    crto_client_deinit(&client);
}

static void test_bad_ids_fail_before_traffic(void)
{
    static const char *const ids[] = {"1", "x2"};
    crto_rm_segment_create_t rm = {"7", "n", NULL, CRTO_ID_GUM};
    crto_ms_segment_create_t ms = crto_ms_segment_create_default("12", "n");
    crto_bulk_t bulk;
    setup();
    crto_bulk_init(&bulk, NULL, 0);
    CHECK_EQ_INT(crto_ms_segments_delete(&client, ids, 2, &bulk), CRTO_ERR_INVALID_ID);
    CHECK(strstr(client.diag.msg, "#1") != NULL);
    CHECK_EQ_INT(crto_rm_segments_create(&client, "acc", &rm, 1, &bulk), CRTO_ERR_INVALID_ID);
    CHECK_EQ_INT(crto_rm_segments_create(&client, "5", &rm, 1, &bulk), CRTO_ERR_ARG); /* Gum: not creatable */
    ms.kind = CRTO_SEGMENT_RETARGETING; /* needs visitorsType and both day bounds */
    CHECK_EQ_INT(crto_ms_segments_create(&client, &ms, 1, &bulk), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_ms_contact_list_stats(&client, "", NULL), CRTO_ERR_INVALID_ID);
    CHECK_EQ_INT(mem.connects, 0);
    crto_client_deinit(&client);
}

static void test_create_bodies_for_each_kind(void)
{
    static const char *const brands[] = {"b1", "b2"};
    static const crto_poi_t pois[] = {{"48.8566", "2.3522", "Paris"}};
    crto_ms_segment_create_t s[3];
    crto_outcome_t out[3];
    crto_bulk_t bulk;
    const char *answer = ok_json("{\"data\":[{\"id\":\"900\",\"attributes\":{\"name\":\"loc\"}},"
                                 "{\"id\":\"901\",\"attributes\":{\"name\":\"im\"}}],\"errors\":[],\"warnings\":[]}");
    setup();
    crto_mem_add(&mem, answer, strlen(answer));
    s[0] = crto_ms_segment_create_default("12", "im");
    s[0].kind = CRTO_SEGMENT_IN_MARKET;
    s[0].in_market.country = "FR";
    s[0].in_market.brand_ids.v = brands;
    s[0].in_market.brand_ids.n = 2;
    s[0].in_market.gender = "Female";
    s[1] = crto_ms_segment_create_default("12", "loc");
    s[1].kind = CRTO_SEGMENT_LOCATION;
    s[1].location.points = pois;
    s[1].location.n_points = 1;
    s[1].location.radius_km = 5;
    s[2] = crto_ms_segment_create_default("12", "kiosk");
    s[2].description = "opt-in at the till";
    crto_bulk_init(&bulk, out, 3);
    CHECK_EQ_INT(crto_ms_segments_create(&client, s, 3, &bulk), CRTO_OK);
    CHECK_EQ_STR(body_after("POST /2026-07/marketing-solutions/audience-segments/create"),
                 "{\"data\":[{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"12\",\"name\":\"im\","
                 "\"inMarket\":{\"country\":\"FR\",\"brandIds\":[\"b1\",\"b2\"],\"gender\":\"Female\"}}},"
                 "{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"12\",\"name\":\"loc\","
                 "\"location\":{\"pointsOfInterest\":[{\"latitude\":48.8566,\"longitude\":2.3522,\"name\":\"Paris\"}],"
                 "\"radiusInKm\":5}}},"
                 "{\"type\":\"AudienceSegment\",\"attributes\":{\"advertiserId\":\"12\",\"name\":\"kiosk\","
                 "\"description\":\"opt-in at the till\",\"contactList\":{}}}]}");
    /* new ids are matched to items by name, whatever the answer's order */
    CHECK_EQ_STR(out[0].id, "901");
    CHECK_EQ_STR(out[1].id, "900");
    CHECK_EQ_STR(out[2].id, "");
    crto_client_deinit(&client);
}

static void test_a_retried_call_forgets_the_cut_answer(void)
{
    static const char *const ids[] = {"5", "6"};
    const char *good = ok_json("{\"data\":[{\"id\":\"5\",\"attributes\":{\"size\":120}},"
                               "{\"id\":\"6\",\"attributes\":{\"size\":9007199254740993}}]}");
    static char cut[256];
    crto_outcome_t out[2];
    crto_bulk_t bulk;
    crto_mem_script_t *s;
    (void)snprintf(cut, sizeof cut, "%s", good);
    setup();
    s = crto_mem_add(&mem, cut, strlen(cut));
    s->close_at = strlen(cut) - 20; /* the answer is cut inside data[1] */
    crto_mem_add(&mem, good, strlen(good));
    crto_bulk_init(&bulk, out, 2);
    CHECK_EQ_INT(crto_ms_segments_compute_sizes(&client, ids, 2, &bulk), CRTO_OK);
    CHECK_EQ_INT(mem.connects, 2);
    CHECK_EQ_INT(out[0].size, 120);
    CHECK_EQ_INT(out[1].size, 9007199254740993LL);
    CHECK_EQ_INT(bulk.ok, 2);
    CHECK_EQ_INT(bulk.failed, 0);
    crto_client_deinit(&client);
}

static void test_stats_keep_the_match_rate_as_text(void)
{
    crto_contact_stats_t st;
    const char *answer = ok_json("{\"data\":{\"id\":\"7\",\"type\":\"ContactlistStatistics\",\"attributes\":"
                                 "{\"numberOfIdentifiers\":1200,\"numberOfMatches\":720,\"matchRate\":0.6}}}");
    setup();
    crto_mem_add(&mem, answer, strlen(answer));
    CHECK_EQ_INT(crto_ms_contact_list_stats(&client, "7", &st), CRTO_OK);
    CHECK_EQ_INT(st.identifiers, 1200);
    CHECK_EQ_INT(st.matches, 720);
    CHECK_EQ_STR(st.match_rate, "0.6");
    crto_client_deinit(&client);
}

static void test_rm_clear_accepts_204_and_201(void)
{
    static const char r204[] = "HTTP/1.1 204 No Content\r\n\r\n";
    static const char r201[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    setup();
    crto_mem_add(&mem, r204, sizeof r204 - 1);
    then(r201);
    CHECK_EQ_INT(crto_rm_contact_list_clear(&client, "920472839472539402"), CRTO_OK);
    CHECK_EQ_INT(crto_rm_contact_list_clear(&client, "920472839472539402"), CRTO_OK);
    CHECK(strstr((char *)sent, "POST /2026-07/retail-media/audience-segments/920472839472539402/contact-list/clear "
                               "HTTP/1.1\r\n") != NULL);
    CHECK(strstr((char *)sent, "Content-Length: 0\r\n") != NULL);
    CHECK_EQ_INT(mem.connects, 1);
    crto_client_deinit(&client);
}

static void test_rm_created_ids_match_by_name_and_retailer(void)
{
    crto_rm_segment_create_t items[2] = {{"11", "opt-in", NULL, CRTO_ID_EMAIL}, {"22", "opt-in", NULL, CRTO_ID_EMAIL}};
    crto_outcome_t out[2];
    crto_bulk_t bulk;
    /* the same name for two retailers, answered in the other order */
    const char *answer = ok_json("{\"data\":[{\"id\":\"920472839472539403\",\"attributes\":{\"name\":\"opt-in\","
                                 "\"retailerId\":\"22\"}},{\"id\":\"920472839472539402\",\"attributes\":"
                                 "{\"name\":\"opt-in\",\"retailerId\":\"11\"}}],\"errors\":[],\"warnings\":[]}");
    setup();
    crto_mem_add(&mem, answer, strlen(answer));
    crto_bulk_init(&bulk, out, 2);
    CHECK_EQ_INT(crto_rm_segments_create(&client, "5", items, 2, &bulk), CRTO_OK);
    CHECK_EQ_STR(out[0].id, "920472839472539402");
    CHECK_EQ_STR(out[1].id, "920472839472539403");
    crto_client_deinit(&client);
}

int main(void)
{
    RUN(test_bulk_update_maps_errors_and_warnings_to_items);
    RUN(test_search_walks_pages_to_total_items);
    RUN(test_callback_can_stop_a_search);
    RUN(test_bad_ids_fail_before_traffic);
    RUN(test_create_bodies_for_each_kind);
    RUN(test_a_retried_call_forgets_the_cut_answer);
    RUN(test_stats_keep_the_match_rate_as_text);
    RUN(test_rm_clear_accepts_204_and_201);
    RUN(test_rm_created_ids_match_by_name_and_retailer);
    return crto_test_summary();
}
