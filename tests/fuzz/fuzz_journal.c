/*
 * fuzz_journal.c - crto_journal_*: recovery of a store-and-forward log from
 * whatever bytes the storage holds (a RAM region, crto_region_storage_init),
 * then add, reopen and flush on it.
 *
 * Input: two control bytes, then the log as the storage holds it.
 *   byte 0  bit  0    CRC fix-up: before the log is opened, every byte
 *                     sequence that looks like a record head (magic, kind,
 *                     length in range) gets its right CRC, so the fuzzer
 *                     reaches what recovery does with records that read
 *                     back whole, not only with corrupt ones
 *           bit  1    flush after the reopen, to a server that answers 200
 *           bits 2-3  free room after the log: 0, 4608, 16384 or 65536 bytes
 *                     (a journal keeps CRTO_JOURNAL_ACK_RESERVE for ACKs)
 *   byte 1  bits 0-1  the identifier added (e-mail, phone, RM customer id,
 *                     identity link; one group each); bits 2-7 its time
 *
 * Checked:
 *   - open never crashes and fails only as documented (TOO_LARGE for more
 *     than CRTO_JOURNAL_GROUPS groups); after it the storage ends where the
 *     last whole record ends (end), torn_bytes + end is what the storage
 *     held, corrupt_bytes <= end, every group's key is valid;
 *   - recovery is idempotent: opening again changes nothing;
 *   - verify is CRTO_OK or CRTO_ERR_FRAMING, and CRTO_OK only when no
 *     corrupt bytes were skipped; pending and its oldest time agree;
 *   - add: CRTO_OK, or "journal full" (CRTO_ERR_TOO_LARGE) with nothing
 *     written; once added (and synced) a record is never dropped: the
 *     group has one more item and one more pending, the reopened journal
 *     holds it whole, counts the same, and the next successful flush sends
 *     it to the server.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "fuzz_common.h"

/* Reported, not fixed yet (seeded as corpus/journal/finding-*): pending is
 * counted as items - acked, so once an acknowledged ITEM record is lost to
 * corruption (or an ACK record is), acked exceeds what is left and an
 * intact pending item - even one added afterwards - is not pending any
 * more; the next flush skips it and resets the log: it is dropped. The
 * checks that this breaks are skipped for a group whose acked exceeds its
 * items unless built with -DFUZZ_STRICT=1 (then also: a flush that
 * succeeds sends exactly the pending items and leaves nothing pending and
 * an empty log).
 * Second finding: a corrupt record after a group's last ACK (say one
 * flipped bit in a pending item) makes every flush fail with CRTO_ERR_IO
 * before anything is sent (journal.c src_next reads records without the
 * skipping that recovery does, and calls the storage changed); IO counts
 * as a network failure, so the groups after it are not flushed either and
 * the journal never drains. Tolerated when recovery skipped corrupt bytes
 * unless FUZZ_STRICT. */
#ifndef FUZZ_STRICT
#define FUZZ_STRICT 1 /* the findings below are fixed: their checks are on */
#endif

/* The record layout of journal.c (see crto_journal.h: magic, kind,
 * length, payload, CRC-32), for the CRC fix-up only. */
#define J_MAGIC 0xC7u
#define J_HEAD 4u
#define J_TAIL 4u
#define J_PAYLOAD_MAX (8u + CRTO_ID_MAX + 4u + 1u + CRTO_JOURNAL_TEXT_MAX)

static void fix_crcs(uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off + J_HEAD + J_TAIL <= len) {
        size_t plen = (size_t)p[off + 2] | ((size_t)p[off + 3] << 8);
        if (p[off] == J_MAGIC && (p[off + 1] == 1u || p[off + 1] == 2u) && plen >= 5 && plen <= J_PAYLOAD_MAX &&
            off + J_HEAD + plen + J_TAIL <= len) {
            uint32_t crc = crto_crc32(0, p + off + 1, J_HEAD - 1 + plen);
            uint8_t *c = p + off + J_HEAD + plen;
            c[0] = (uint8_t)crc;
            c[1] = (uint8_t)(crc >> 8);
            c[2] = (uint8_t)(crc >> 16);
            c[3] = (uint8_t)(crc >> 24);
            off += J_HEAD + plen + J_TAIL;
        } else {
            off++;
        }
    }
}

static crto_journal_t g_j, g_j2;
static crto_region_t g_region;
static crto_storage_t g_st;

static crto_mem_t g_mem;
static crto_port_t g_port;
static crto_client_t g_client;
static uint8_t g_sent[1 << 20];

static const char k_ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 73\r\n\r\n"
                           "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\"}}}";

static const struct {
    crto_product_t product;
    const char *segment;
    crto_op_t op;
    crto_id_type_t type;
    const char *text;
} k_adds[4] = {
    { CRTO_PRODUCT_MS, "111", CRTO_OP_ADD, CRTO_ID_EMAIL, " Alice@Example.com" },
    { CRTO_PRODUCT_MS, "111", CRTO_OP_REMOVE, CRTO_ID_PHONE, "+33 6 12 34 56 78" },
    { CRTO_PRODUCT_RM, "222", CRTO_OP_ADD, CRTO_ID_CUSTOMER_ID, "cust-42" },
    { CRTO_PRODUCT_MS, "333", CRTO_OP_ADD, CRTO_ID_IDENTITY_LINK, "il-abc" },
};

static const crto_journal_group_t *find_group(const crto_journal_t *j, unsigned k)
{
    uint32_t i;
    for (i = 0; i < j->n_groups; i++) {
        const crto_journal_group_t *g = &j->groups[i];
        if (g->product == k_adds[k].product && g->op == k_adds[k].op && g->type == k_adds[k].type &&
            strcmp(g->segment_id, k_adds[k].segment) == 0) {
            return g;
        }
    }
    return NULL;
}

static uint64_t group_pending(const crto_journal_group_t *g)
{
    return g != NULL && g->items > g->acked ? g->items - g->acked : 0;
}

/* The checks that hold after every successful open. */
static void check_open(const crto_journal_t *j, uint64_t held)
{
    uint32_t i, oldest = 7;
    uint64_t pending, sum = 0, items = 0;
    FUZZ_CHECK(j->end <= held && j->end + j->torn_bytes == held);
    FUZZ_CHECK(g_region.len == j->end);
    FUZZ_CHECK(j->corrupt_bytes <= j->end);
    FUZZ_CHECK(j->n_groups <= CRTO_JOURNAL_GROUPS);
    for (i = 0; i < j->n_groups; i++) {
        const crto_journal_group_t *g = &j->groups[i];
        FUZZ_CHECK(g->product <= CRTO_PRODUCT_RM && g->op <= CRTO_OP_REMOVE && (unsigned)g->type < CRTO_ID__COUNT);
        FUZZ_CHECK(fuzz_terminated(g->segment_id, sizeof g->segment_id));
        sum += group_pending(g);
        items += g->items;
    }
    pending = crto_journal_pending(j, &oldest);
    FUZZ_CHECK(pending == sum && pending <= items);
    if (pending == 0) {
        FUZZ_CHECK(oldest == 0);
    }
}

static bool same_groups(const crto_journal_t *a, const crto_journal_t *b)
{
    uint32_t i;
    if (a->n_groups != b->n_groups) {
        return false;
    }
    for (i = 0; i < a->n_groups; i++) {
        const crto_journal_group_t *x = &a->groups[i], *y = &b->groups[i];
        if (x->product != y->product || x->op != y->op || x->type != y->type ||
            strcmp(x->segment_id, y->segment_id) != 0 || x->items != y->items || x->acked != y->acked ||
            x->acked_through != y->acked_through) {
            return false;
        }
    }
    return true;
}

static crto_err_t reopen(crto_journal_t *j, uint8_t *mem, size_t cap)
{
    crto_region_storage_init(&g_region, mem, cap, g_region.len, &g_st);
    return crto_journal_open(j, &g_st);
}

/* The server's copy of what was sent: does it hold s? */
static bool sent_holds(const char *s)
{
    size_t k = strlen(s), i;
    for (i = 0; i + k <= g_mem.tx_len; i++) {
        if (memcmp(g_sent + i, s, k) == 0) {
            return true;
        }
    }
    return false;
}

static void flush(const char *expect, bool expect_sent, uint64_t pending)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_upload_summary_t sum;
    crto_err_t e;
    uint32_t i, k;

    crto_mem_init(&g_mem, &g_port, g_sent, sizeof g_sent);
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.access_token = "t";
    cfg.retry_attempts = 0;
    FUZZ_CHECK(crto_client_init(&g_client, &g_port, &cfg) == CRTO_OK);
    for (i = 0; i < CRTO_MEM_MAX_CONNS; i++) {
        (void)crto_mem_add(&g_mem, k_ok, sizeof k_ok - 1);
        for (k = 1; k < CRTO_MEM_MAX_PARTS; k++) {
            (void)crto_mem_then(&g_mem, k_ok, sizeof k_ok - 1);
        }
    }
    e = crto_journal_flush(&g_j2, &g_client, 0, &sum);
    /* a RAM region never fails: CRTO_ERR_IO is the second finding above */
    FUZZ_CHECK(e != CRTO_ERR_IO || (!FUZZ_STRICT && g_j2.corrupt_bytes > 0));
    if (e == CRTO_OK) {
        if (expect_sent) {
            FUZZ_CHECK(sent_holds(expect)); /* the record added was delivered */
        }
        if (FUZZ_STRICT) {
            /* every pending item went (or was refused locally), and only
             * those; then the log starts afresh */
            FUZZ_CHECK(sum.sent + sum.rejected == pending);
            FUZZ_CHECK(crto_journal_pending(&g_j2, NULL) == 0 && g_region.len == 0);
        }
    }
    crto_client_deinit(&g_client);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t rooms[4] = { 0, 4608, 16384, 65536 };
    size_t len, cap, before;
    uint8_t *mem;
    unsigned k;
    uint32_t now;
    uint64_t records = 0, pend0, gpend0, gitems0 = 0;
    const crto_journal_group_t *g;
    bool skewed;
    char expect[CRTO_IDENTIFIER_MAX + 1];
    size_t expect_len = 0;
    crto_err_t e;

    if (size < 2) {
        return 0;
    }
    len = size - 2;
    cap = len + rooms[(data[0] >> 2) & 3u];
    mem = malloc(cap > 0 ? cap : 1);
    FUZZ_CHECK(mem != NULL);
    memcpy(mem, data + 2, len);
    if ((data[0] & 1u) != 0) {
        fix_crcs(mem, len);
    }
    k = data[1] & 3u;
    now = (uint32_t)(data[1] >> 2) * 1000u;

    /* recovery */
    crto_region_storage_init(&g_region, mem, cap, len, &g_st);
    e = crto_journal_open(&g_j, &g_st);
    FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_TOO_LARGE);
    if (e != CRTO_OK) {
        free(mem);
        return 0;
    }
    check_open(&g_j, len);
    e = reopen(&g_j2, mem, cap);
    FUZZ_CHECK(e == CRTO_OK);
    check_open(&g_j2, g_j.end);
    FUZZ_CHECK(g_j2.end == g_j.end && g_j2.torn_bytes == 0 && g_j2.corrupt_bytes == g_j.corrupt_bytes);
    FUZZ_CHECK(same_groups(&g_j, &g_j2));
    e = crto_journal_verify(&g_j, &records);
    FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_FRAMING);
    if (e == CRTO_OK) {
        FUZZ_CHECK(g_j.corrupt_bytes == 0);
    }

    /* add */
    pend0 = crto_journal_pending(&g_j, NULL);
    g = find_group(&g_j, k);
    gpend0 = group_pending(g);
    gitems0 = g != NULL ? g->items : 0;
    before = g_region.len;
    /* the finding above; and an ACK "through" past the end of the log,
     * which verify calls corrupt ("points past itself") but recovery
     * believes: the group's next items are taken as acknowledged */
    skewed = g != NULL && (g->acked > g->items || g->acked_through > before) && !FUZZ_STRICT;
    e = crto_journal_add(&g_j, k_adds[k].product, k_adds[k].segment, k_adds[k].op, k_adds[k].type, k_adds[k].text,
                         strlen(k_adds[k].text), now);
    FUZZ_CHECK(e == CRTO_OK || e == CRTO_ERR_TOO_LARGE);
    if (e != CRTO_OK) {
        FUZZ_CHECK(g_region.len == before); /* nothing written */
        FUZZ_CHECK(g_j.diag.err == e && g_j.diag.msg[0] != '\0');
        free(mem);
        return 0;
    }
    FUZZ_CHECK(crto_journal_sync(&g_j) == CRTO_OK);
    FUZZ_CHECK(g_region.len > before && g_region.len == g_j.end);
    g = find_group(&g_j, k);
    FUZZ_CHECK(g != NULL && g->items == gitems0 + 1);
    if (!skewed) {
        FUZZ_CHECK(group_pending(g) == gpend0 + 1);
        FUZZ_CHECK(crto_journal_pending(&g_j, NULL) == pend0 + 1);
    }

    /* reboot: the record is there, whole, and counted the same */
    e = reopen(&g_j2, mem, cap);
    FUZZ_CHECK(e == CRTO_OK);
    check_open(&g_j2, g_j.end);
    FUZZ_CHECK(g_j2.end == g_j.end && g_j2.torn_bytes == 0);
    FUZZ_CHECK(same_groups(&g_j, &g_j2));

    /* flush: the server gets it */
    if ((data[0] & 2u) != 0) {
        FUZZ_CHECK(crto_identifier_normalise(k_adds[k].type, k_adds[k].text, strlen(k_adds[k].text), true, expect,
                                             sizeof expect, &expect_len, NULL) == CRTO_OK);
        flush(expect, !skewed, crto_journal_pending(&g_j2, NULL));
    }
    free(mem);
    return 0;
}
