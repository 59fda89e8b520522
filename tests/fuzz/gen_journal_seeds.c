/*
 * gen_journal_seeds.c - writes the seed corpus of fuzz_journal: journal
 * images made by the library itself (crto_journal_add, and flushes to the
 * in-memory server for ACK records), plus torn and corrupt variants.
 *
 *   build/fuzz/gen_journal_seeds tests/fuzz/corpus/journal   (make fuzz-corpus)
 *
 * Each file is fuzz_journal's input: two control bytes (fuzz_journal.c),
 * then the image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"

static uint8_t g_mem_region[1 << 16];
static crto_region_t g_region;
static crto_storage_t g_st;
static crto_journal_t g_j;

static crto_mem_t g_mem;
static crto_port_t g_port;
static crto_client_t g_client;

static const char *g_dir;

static const char k_ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 73\r\n\r\n"
                           "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\"}}}";
static const char k_503[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";

static void die(const char *what)
{
    fprintf(stderr, "gen_journal_seeds: %s: %s\n", what, g_j.diag.msg);
    exit(1);
}

static void fresh(void)
{
    memset(g_mem_region, 0, sizeof g_mem_region);
    crto_region_storage_init(&g_region, g_mem_region, sizeof g_mem_region, 0, &g_st);
    if (crto_journal_open(&g_j, &g_st) != CRTO_OK) {
        die("open");
    }
}

static void add(crto_product_t product, const char *segment, crto_op_t op, crto_id_type_t type, const char *text,
                uint32_t now)
{
    if (crto_journal_add(&g_j, product, segment, op, type, text, strlen(text), now) != CRTO_OK ||
        crto_journal_sync(&g_j) != CRTO_OK) {
        die(text);
    }
}

static void emails(const char *segment, crto_op_t op, int n, uint32_t now)
{
    char buf[64];
    int i;
    for (i = 0; i < n; i++) {
        (void)snprintf(buf, sizeof buf, "Shopper%d@Example.com", i);
        add(CRTO_PRODUCT_MS, segment, op, CRTO_ID_EMAIL, buf, now + (uint32_t)i);
    }
}

/* Flush with the server answering `oks` chunks 200, then 503. */
static void flush(int oks, uint32_t chunk)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_upload_summary_t sum;
    int i;
    crto_mem_init(&g_mem, &g_port, NULL, 0);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    cfg.retry_attempts = 0;
    if (crto_client_init(&g_client, &g_port, &cfg) != CRTO_OK) {
        die("client");
    }
    for (i = 0; i < oks; i++) {
        if (i == 0) {
            (void)crto_mem_add(&g_mem, k_ok, sizeof k_ok - 1);
        } else {
            (void)crto_mem_then(&g_mem, k_ok, sizeof k_ok - 1);
        }
    }
    if (oks == 0) {
        (void)crto_mem_add(&g_mem, k_503, sizeof k_503 - 1);
    } else {
        (void)crto_mem_then(&g_mem, k_503, sizeof k_503 - 1);
    }
    (void)crto_journal_flush(&g_j, &g_client, chunk, &sum);
    crto_client_deinit(&g_client);
}

static void save(const char *name, uint8_t c0, uint8_t c1, const uint8_t *image, size_t len)
{
    char path[512];
    FILE *f;
    (void)snprintf(path, sizeof path, "%s/%s", g_dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fputc(c0, f) == EOF || fputc(c1, f) == EOF || fwrite(image, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_journal_seeds: cannot write %s\n", path);
        exit(1);
    }
}

static void save_region(const char *name, uint8_t c0, uint8_t c1)
{
    save(name, c0, c1, g_mem_region, g_region.len);
}

int main(int argc, char **argv)
{
    static uint8_t copy[1 << 16];
    size_t first, len;
    char seg[8];
    int i;

    if (argc != 2) {
        fprintf(stderr, "usage: gen_journal_seeds DIR\n");
        return 2;
    }
    g_dir = argv[1];

    /* control byte 0: 0x02 flush, 0x04 room 4608, 0x08 room 16384, 0x01 CRC fix-up */
    fresh();
    save_region("empty", 0x06, 0x00);

    fresh();
    add(CRTO_PRODUCT_MS, "111", CRTO_OP_ADD, CRTO_ID_EMAIL, "Alice@Example.com", 1000);
    save_region("one-email", 0x06, 0x04);

    fresh();
    emails("111", CRTO_OP_ADD, 5, 1000);
    add(CRTO_PRODUCT_MS, "111", CRTO_OP_REMOVE, CRTO_ID_PHONE, "+33 6 12 34 56 78", 2000);
    add(CRTO_PRODUCT_MS, "111", CRTO_OP_REMOVE, CRTO_ID_PHONE, "0044 20 7946 0958", 2001);
    save_region("two-groups", 0x06, 0x05);

    fresh();
    add(CRTO_PRODUCT_MS, "444", CRTO_OP_ADD, CRTO_ID_MADID, "6D92078A-8246-4BA4-AE5B-76104861E7DC", 10);
    add(CRTO_PRODUCT_MS, "333", CRTO_OP_ADD, CRTO_ID_IDENTITY_LINK, "il-abc", 11);
    add(CRTO_PRODUCT_RM, "222", CRTO_OP_ADD, CRTO_ID_CUSTOMER_ID, "cust-42", 12);
    add(CRTO_PRODUCT_RM, "222", CRTO_OP_REMOVE, CRTO_ID_USER_IDENTIFIER, "user-7", 13);
    add(CRTO_PRODUCT_RM, "12345678901234567890", CRTO_OP_ADD, CRTO_ID_EMAIL, "x@y.z", 14);
    save_region("every-type", 0x0a, 0x0b);

    /* ACK records: two chunks of two acknowledged, one item pending */
    fresh();
    emails("111", CRTO_OP_ADD, 5, 1000); /* the group fuzz_journal adds to with byte 1 = 0 */
    first = g_region.len / 5;            /* every e-mail record has the same size */
    flush(2, 2);
    save_region("partial-flush", 0x06, 0x00);
    memcpy(copy, g_mem_region, g_region.len);
    len = g_region.len;

    /* torn tails: the last record cut at a few points */
    save("torn-in-ack-head", 0x04, 0x01, copy, len - 20);
    save("torn-in-ack-crc", 0x06, 0x01, copy, len - 2);
    save("torn-after-magic", 0x04, 0x02, copy, 5 * first + 1);

    /* one flipped bit in an acknowledged record, and in the pending one:
     * that record is skipped */
    copy[first + first / 2] ^= 0x10u;
    save("corrupt-acked-item", 0x04, 0x00, copy, len);
    memcpy(copy, g_mem_region, len);
    copy[4 * first + first / 2] ^= 0x10u;
    save("corrupt-pending-item", 0x06, 0x00, copy, len);
    memcpy(copy, g_mem_region, len);

    /* finding: the first, already acknowledged, record is corrupt; the
     * fifth (pending, intact) is then no longer pending and a flush
     * drops it (fuzz_journal.c, FUZZ_STRICT) */
    copy[first / 2] ^= 0x01u;
    save("finding-corrupt-acked-item-hides-pending", 0x06, 0x00, copy, len);
    memcpy(copy, g_mem_region, len);

    /* finding: a corrupt ACK record leaves phantom pending items */
    copy[5 * first + 8] ^= 0x01u;
    save("finding-corrupt-ack-phantom-pending", 0x06, 0x00, copy, len);

    /* finding: a corrupt record among the pending ones makes every flush
     * fail with CRTO_ERR_IO, for the other group too */
    fresh();
    emails("111", CRTO_OP_ADD, 5, 1000);
    first = g_region.len / 5;
    add(CRTO_PRODUCT_MS, "222", CRTO_OP_ADD, CRTO_ID_EMAIL, "z@x.io", 2000);
    memcpy(copy, g_mem_region, g_region.len);
    copy[2 * first + first / 2] ^= 0x01u;
    save("finding-corrupt-pending-item-blocks-flush", 0x06, 0x00, copy, g_region.len);

    /* a flush that failed at once: items only, nothing acknowledged */
    fresh();
    emails("666", CRTO_OP_ADD, 3, 500);
    flush(0, 0);
    save_region("failed-flush", 0x06, 0x00);

    /* the group table full */
    fresh();
    for (i = 0; i < CRTO_JOURNAL_GROUPS; i++) {
        (void)snprintf(seg, sizeof seg, "%d", 100 + i);
        add(CRTO_PRODUCT_MS, seg, CRTO_OP_ADD, CRTO_ID_IDENTITY_LINK, "il", (uint32_t)i);
    }
    save_region("sixteen-groups", 0x06, 0x03);
    save_region("sixteen-groups-no-room", 0x00, 0x03);

    /* many items of one group, with the CRC fix-up on */
    fresh();
    emails("777", CRTO_OP_ADD, 40, 100);
    save_region("forty-items", 0x07, 0x00);
    return 0;
}
