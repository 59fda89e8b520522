/*
 * test_journal.c - the store-and-forward journal on a RAM region: nothing
 * in clear, recovery from a tear at every byte, flush with ACKs over the
 * in-memory port, failures that lose nothing, a bounded size.
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "crto_test.h"

static uint8_t region_mem[1 << 16];
static crto_region_t region;
static crto_storage_t storage;
static crto_journal_t journal;

static crto_mem_t mem;
static crto_port_t port;
static crto_client_t client;
static uint8_t sent[1 << 16];

static const char *const emails[] = {"Alice@Example.com", "bob@example.org ", "carol@shop.example",
                                     "dave@shop.example", "erin@shop.example"};

static void fresh(size_t cap)
{
    memset(region_mem, 0xEE, sizeof region_mem);
    crto_region_storage_init(&region, region_mem, cap, 0, &storage);
    CHECK_EQ_INT(crto_journal_open(&journal, &storage), CRTO_OK);
}

/* Reopen on what the region holds now, as after a reboot. */
static void reboot(void)
{
    crto_region_storage_init(&region, region_mem, region.cap, region.len, &storage);
    CHECK_EQ_INT(crto_journal_open(&journal, &storage), CRTO_OK);
}

static void add_emails(const char *segment, crto_op_t op, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, segment, op, CRTO_ID_EMAIL, emails[i],
                                      strlen(emails[i]), 1000u + (uint32_t)i),
                     CRTO_OK);
    }
    CHECK_EQ_INT(crto_journal_sync(&journal), CRTO_OK);
}

static bool region_contains(const char *s)
{
    size_t k = strlen(s), i;
    for (i = 0; i + k <= region.len; i++) {
        if (memcmp(region_mem + i, s, k) == 0) {
            return true;
        }
    }
    return false;
}

static void test_added_items_survive_a_reboot_and_never_in_clear(void)
{
    uint32_t oldest = 0;
    size_t i;
    fresh(sizeof region_mem);
    add_emails("111", CRTO_OP_ADD, 5);
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "111", CRTO_OP_ADD, CRTO_ID_PHONE, "+33 6 12 34 56 78",
                                  17, 2000u),
                 CRTO_OK);
    CHECK_EQ_INT(crto_journal_sync(&journal), CRTO_OK);
    reboot();
    CHECK_EQ_INT(crto_journal_pending(&journal, &oldest), 6);
    CHECK_EQ_INT(oldest, 1000);
    CHECK_EQ_INT(journal.n_groups, 2);
    for (i = 0; i < 5; i++) {
        CHECK(!region_contains("example"));
        CHECK(!region_contains("alice"));
        CHECK(!region_contains("Alice"));
    }
    CHECK(!region_contains("612345678"));
    CHECK(!region_contains("+33"));
}

static void test_invalid_items_are_refused_and_nothing_written(void)
{
    size_t before;
    fresh(sizeof region_mem);
    before = region.len;
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "111", CRTO_OP_ADD, CRTO_ID_EMAIL, "no-at", 5, 1),
                 CRTO_ERR_IDENTIFIER);
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "1a", CRTO_OP_ADD, CRTO_ID_EMAIL, "a@b.c", 5, 1),
                 CRTO_ERR_INVALID_ID);
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "1", CRTO_OP_ADD, CRTO_ID_CUSTOMER_ID, "x", 1, 1),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(region.len, before);
    CHECK_EQ_INT(journal.n_groups, 0);
}

static void test_a_tear_at_every_byte_keeps_every_complete_record(void)
{
    static uint8_t full[4096];
    size_t full_len, cut, ends[8], n_ends = 0;
    int i;
    fresh(sizeof region_mem);
    for (i = 0; i < 5; i++) {
        add_emails("222", CRTO_OP_ADD, 1);
        ends[n_ends++] = region.len;
    }
    full_len = region.len;
    memcpy(full, region_mem, full_len);
    for (cut = 0; cut <= full_len; cut++) {
        uint64_t expect = 0, records = 0;
        size_t k;
        for (k = 0; k < n_ends; k++) {
            expect += ends[k] <= cut ? 1u : 0u;
        }
        memcpy(region_mem, full, cut);
        memset(region_mem + cut, 0xEE, 64); /* whatever the torn write left */
        region.len = cut + (cut < full_len ? 7u : 0u);
        if (region.len > full_len) {
            region.len = full_len;
        }
        reboot();
        CHECK_EQ_INT(crto_journal_pending(&journal, NULL), expect);
        CHECK_EQ_INT(crto_journal_verify(&journal, &records), CRTO_OK);
        CHECK_EQ_INT(records, expect);
        /* and the log goes on after the cut */
        CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "222", CRTO_OP_ADD, CRTO_ID_EMAIL, "z@z.io", 6, 9),
                     CRTO_OK);
        reboot();
        CHECK_EQ_INT(crto_journal_pending(&journal, NULL), expect + 1);
    }
}

static void test_full_journal_says_so_and_keeps_room_for_acks(void)
{
    uint8_t rec[256];
    int added = 0;
    crto_err_t e;
    (void)rec;
    fresh(CRTO_JOURNAL_ACK_RESERVE + 1000u);
    do {
        e = crto_journal_add(&journal, CRTO_PRODUCT_MS, "333", CRTO_OP_ADD, CRTO_ID_EMAIL, "a@b.io", 6, 1);
        added += e == CRTO_OK ? 1 : 0;
    } while (e == CRTO_OK && added < 1000);
    CHECK_EQ_INT(e, CRTO_ERR_TOO_LARGE);
    CHECK(strstr(journal.diag.msg, "journal full") != NULL);
    CHECK(added > 5);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), (uint64_t)added);
    CHECK(region.len + CRTO_JOURNAL_ACK_RESERVE <= region.cap + 100u);
}

/* ------------------------------------------------------------ flushing */

static const char *ok_json(const char *body)
{
    static char pool[8][1024];
    static unsigned next;
    char *buf = pool[next++ % 8];
    (void)snprintf(buf, sizeof pool[0],
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body),
                   body);
    return buf;
}

static const char k_chunk_ok[] = "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\"}},"
                                 "\"errors\":[],\"warnings\":[]}";
static const char k_503[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";

static void client_setup(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    cfg.retry_attempts = 1;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
}

static size_t count(const char *needle)
{
    size_t n = 0;
    const char *p = (const char *)sent;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p++;
    }
    return n;
}

static void test_flush_sends_each_group_acks_and_resets(void)
{
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("444", CRTO_OP_ADD, 5);
    add_emails("555", CRTO_OP_REMOVE, 2);
    client_setup();
    crto_mem_add(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.sent, 7);
    CHECK_EQ_INT(sum.chunks, 4); /* 2 + 2 + 1 for 444, 2 for 555 */
    CHECK_EQ_INT(count("PATCH /2026-07/marketing-solutions/audience-segments/444/contact-list"), 3);
    CHECK_EQ_INT(count("PATCH /2026-07/marketing-solutions/audience-segments/555/contact-list"), 1);
    CHECK_EQ_INT(count("\"operation\":\"remove\""), 1);
    /* the journal's digest is the hash of the normalised e-mail */
    CHECK(strstr((char *)sent, "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b") == NULL);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    CHECK_EQ_INT(region.len, 0); /* nothing pending: the log starts afresh */
    crto_client_deinit(&client);
}

static void test_a_failed_flush_loses_nothing_and_resends_only_the_rest(void)
{
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("666", CRTO_OP_ADD, 5);
    client_setup();
    crto_mem_add(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, k_503, strlen(k_503));
    crto_mem_then(&mem, k_503, strlen(k_503));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_ERR_SERVER);
    CHECK_EQ_STR(journal.diag.msg,
                 "HTTP 503 from PATCH /2026-07/marketing-solutions/audience-segments/666/contact-list");
    CHECK_EQ_INT(sum.chunks, 1);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 3);
    reboot(); /* the ACK of the first chunk is durable */
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 3);
    crto_client_deinit(&client);

    client_setup();
    crto_mem_add(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_offline_flush_keeps_everything(void)
{
    crto_upload_summary_t sum;
    crto_mem_script_t *s;
    fresh(sizeof region_mem);
    add_emails("777", CRTO_OP_ADD, 3);
    client_setup();
    s = crto_mem_add(&mem, "", 0);
    s->refuse = true;
    s = crto_mem_add(&mem, "", 0);
    s->refuse = true;
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_ERR_CONNECT);
    CHECK_EQ_STR(journal.diag.msg, "cannot connect to 127.0.0.1:9000: connection failed");
    CHECK_EQ_INT(sum.sent, 0);
    reboot();
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 3);
    crto_client_deinit(&client);
}

static void test_too_many_groups_is_a_clear_error(void)
{
    char seg[8];
    int i;
    fresh(sizeof region_mem);
    for (i = 0; i < CRTO_JOURNAL_GROUPS; i++) {
        (void)snprintf(seg, sizeof seg, "%d", 100 + i);
        CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, seg, CRTO_OP_ADD, CRTO_ID_EMAIL, "a@b.io", 6, 1),
                     CRTO_OK);
    }
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "999", CRTO_OP_ADD, CRTO_ID_EMAIL, "a@b.io", 6, 1),
                 CRTO_ERR_TOO_LARGE);
    CHECK(strstr(journal.diag.msg, "groups") != NULL);
}

static void test_crc32_known_value(void)
{
    CHECK_EQ_INT(crto_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
}

/* The waits the policy promises, on the fake clock (REFERENCE 10). */
static void test_flush_429_waits_until_the_rate_limit_reset(void)
{
    static char r429[256];
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("888", CRTO_OP_ADD, 4);
    client_setup();
    mem.utc = 1800000000; /* the wall clock the reset is measured against */
    (void)snprintf(r429, sizeof r429,
                   "HTTP/1.1 429 Too Many Requests\r\nx-ratelimit-limit: 250\r\nx-ratelimit-remaining: 0\r\n"
                   "x-ratelimit-reset: %lld\r\nContent-Length: 0\r\n\r\n",
                   (long long)(mem.utc + (int64_t)(mem.now / 1000u) + 7));
    crto_mem_add(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, r429, strlen(r429));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_OK);
    CHECK_EQ_INT(mem.sleeps, 1);
    CHECK_EQ_INT(mem.slept_ms, 7000);
    CHECK_EQ_INT(sum.sent, 4);
    CHECK_EQ_INT(count("PATCH /2026-07/"), 3); /* chunk 2 went twice, each chunk was delivered once */
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_flush_503_twice_backs_off_with_jitter_then_delivers(void)
{
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("889", CRTO_OP_ADD, 2);
    client_setup();
    client.cfg.retry_attempts = 4;
    crto_mem_add(&mem, k_503, strlen(k_503));
    crto_mem_then(&mem, k_503, strlen(k_503));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_OK);
    CHECK(mem.sleeps <= 2);                 /* a jitter of 0 ms needs no sleep */
    CHECK(mem.slept_ms <= 1000u + 2000u);   /* full jitter under 1 s, then under 2 s */
    CHECK_EQ_INT(client.stats.retries, 2);
    CHECK_EQ_INT(sum.sent, 2);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_flush_401_mid_way_refreshes_once_and_delivers(void)
{
    static const char token[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 61\r\n\r\n"
                                "{\"access_token\":\"tok\",\"token_type\":\"Bearer\",\"expires_in\":900}";
    static const char r401[] = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
    crto_client_config_t cfg = crto_client_config_default();
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("890", CRTO_OP_ADD, 4);
    memset(sent, 0, sizeof sent);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.client_id = "kiosk";
    cfg.client_secret = "s";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    crto_mem_add(&mem, token, sizeof token - 1);
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, r401, sizeof r401 - 1);
    crto_mem_then(&mem, token, sizeof token - 1);
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_OK);
    CHECK_EQ_INT(client.stats.token_requests, 2);
    CHECK_EQ_INT(mem.sleeps, 0);
    CHECK_EQ_INT(sum.sent, 4);
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 0);
    crto_client_deinit(&client);
}

static void test_retries_stop_at_the_time_budget(void)
{
    static char r429[160];
    crto_upload_summary_t sum;
    fresh(sizeof region_mem);
    add_emails("891", CRTO_OP_ADD, 1);
    client_setup();
    client.cfg.retry_attempts = 10;
    client.cfg.retry_max_wait_ms = 50000;
    (void)snprintf(r429, sizeof r429, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n");
    crto_mem_add(&mem, r429, strlen(r429));
    crto_mem_then(&mem, r429, strlen(r429));
    crto_mem_then(&mem, r429, strlen(r429));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 0, &sum), CRTO_ERR_RATE_LIMITED);
    CHECK_EQ_STR(journal.diag.msg,
                 "HTTP 429 from PATCH /2026-07/marketing-solutions/audience-segments/891/contact-list");
    CHECK_EQ_INT(mem.slept_ms, 30000); /* a second 30 s wait would pass the 50 s budget */
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 1);
    crto_client_deinit(&client);
}

static void test_a_corrupt_record_inside_costs_only_itself(void)
{
    size_t second;
    uint64_t records = 0;
    fresh(sizeof region_mem);
    add_emails("123", CRTO_OP_ADD, 1);
    second = region.len;
    add_emails("123", CRTO_OP_ADD, 5);
    region_mem[second + 10] ^= 0x40; /* one flipped bit in the second record */
    reboot();
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 5);
    CHECK(journal.corrupt_bytes > 0);
    CHECK_EQ_INT(journal.torn_bytes, 0);
    CHECK_EQ_INT(crto_journal_verify(&journal, &records), CRTO_ERR_FRAMING); /* and verify says where */
    CHECK(strstr(journal.diag.msg, "offset") != NULL);
}

/* A record whose CRC is right but whose segment id is not digits (garbage
 * that happens to check out) is corrupt like any other: it is skipped, and
 * no group that could never be flushed is made of it. */
static void test_a_crc_valid_record_with_a_bad_segment_id_is_corrupt(void)
{
    size_t second, plen;
    uint32_t crc;
    fresh(sizeof region_mem);
    add_emails("123", CRTO_OP_ADD, 1);
    second = region.len;
    add_emails("123", CRTO_OP_ADD, 2);
    /* record: magic, kind, payload length (LE u16), payload, CRC-32 (LE) of
     * kind..payload; the payload starts: product, op, type, id length, id */
    plen = (size_t)region_mem[second + 2] | ((size_t)region_mem[second + 3] << 8);
    CHECK_EQ_INT(region_mem[second + 4 + 3], 3);
    region_mem[second + 4 + 4 + 1] = 'x'; /* "123" -> "1x3" */
    crc = crto_crc32(0, region_mem + second + 1, 3 + plen);
    region_mem[second + 4 + plen] = (uint8_t)crc;
    region_mem[second + 4 + plen + 1] = (uint8_t)(crc >> 8);
    region_mem[second + 4 + plen + 2] = (uint8_t)(crc >> 16);
    region_mem[second + 4 + plen + 3] = (uint8_t)(crc >> 24);
    reboot();
    CHECK_EQ_INT(crto_journal_pending(&journal, NULL), 2);
    CHECK_EQ_INT(journal.n_groups, 1);
    CHECK(journal.corrupt_bytes > 0);
}

static void test_gum_cannot_be_queued(void)
{
    fresh(sizeof region_mem);
    CHECK_EQ_INT(crto_journal_add(&journal, CRTO_PRODUCT_MS, "1", CRTO_OP_ADD, CRTO_ID_GUM, "g-1", 3, 1), CRTO_ERR_ARG);
    CHECK(strstr(journal.diag.msg, "gum") != NULL);
    CHECK_EQ_INT(region.len, 0);
}

static void test_a_refused_group_does_not_starve_the_others(void)
{
    static const char r404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    crto_upload_summary_t sum;
    uint32_t oldest = 0;
    fresh(sizeof region_mem);
    add_emails("901", CRTO_OP_ADD, 2); /* a segment deleted since */
    add_emails("902", CRTO_OP_ADD, 3);
    client_setup();
    crto_mem_add(&mem, r404, sizeof r404 - 1);
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_ERR_NOT_FOUND);
    CHECK_EQ_STR(journal.diag.msg,
                 "HTTP 404 from PATCH /2026-07/marketing-solutions/audience-segments/901/contact-list");
    CHECK_EQ_INT(sum.sent, 3); /* group 902 went */
    CHECK_EQ_INT(crto_journal_pending(&journal, &oldest), 2); /* group 901 waits, nothing lost */
    CHECK_EQ_INT(oldest, 1000);
    crto_client_deinit(&client);
}

static void test_oldest_time_follows_a_partial_flush(void)
{
    crto_upload_summary_t sum;
    uint32_t oldest = 0;
    fresh(sizeof region_mem);
    add_emails("903", CRTO_OP_ADD, 5); /* times 1000..1004 */
    client_setup();
    crto_mem_add(&mem, ok_json(k_chunk_ok), strlen(ok_json(k_chunk_ok)));
    crto_mem_then(&mem, k_503, strlen(k_503));
    crto_mem_then(&mem, k_503, strlen(k_503));
    CHECK_EQ_INT(crto_journal_flush(&journal, &client, 2, &sum), CRTO_ERR_SERVER);
    CHECK_EQ_INT(crto_journal_pending(&journal, &oldest), 3);
    CHECK_EQ_INT(oldest, 1002);
    crto_client_deinit(&client);
}

int main(void)
{
    RUN(test_crc32_known_value);
    RUN(test_added_items_survive_a_reboot_and_never_in_clear);
    RUN(test_invalid_items_are_refused_and_nothing_written);
    RUN(test_a_tear_at_every_byte_keeps_every_complete_record);
    RUN(test_full_journal_says_so_and_keeps_room_for_acks);
    RUN(test_flush_sends_each_group_acks_and_resets);
    RUN(test_a_failed_flush_loses_nothing_and_resends_only_the_rest);
    RUN(test_offline_flush_keeps_everything);
    RUN(test_too_many_groups_is_a_clear_error);
    RUN(test_flush_429_waits_until_the_rate_limit_reset);
    RUN(test_flush_503_twice_backs_off_with_jitter_then_delivers);
    RUN(test_flush_401_mid_way_refreshes_once_and_delivers);
    RUN(test_retries_stop_at_the_time_budget);
    RUN(test_a_corrupt_record_inside_costs_only_itself);
    RUN(test_a_crc_valid_record_with_a_bad_segment_id_is_corrupt);
    RUN(test_gum_cannot_be_queued);
    RUN(test_a_refused_group_does_not_starve_the_others);
    RUN(test_oldest_time_follows_a_partial_flush);
    return crto_test_summary();
}
