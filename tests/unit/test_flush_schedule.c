/*
 * test_flush_schedule.c - crto_flush_plan and its helpers on an injected
 * UTC clock.
 *
 * The rules, in order: a full chunk goes at once; with a UTC clock each
 * device has one slot in the window before each 00:00 / 12:00 UTC cut-off
 * (fixed by its id hash) and flushes there what it holds; the oldest
 * identifier falling due (max age minus the device's jitter) flushes too,
 * unless the device's slot comes first; without a UTC clock only chunk and
 * age apply. next_check_s is the sleep after which nothing was missed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_policy.h"
#include "crto_test.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z, a cut-off */
#define NOON (T0 + 43200)      /* 2026-01-01T12:00:00Z, the next one */
#define MIDNIGHT (T0 + 86400)  /* 2026-01-02T00:00:00Z */

static crto_flush_policy_t g_pol;
static uint64_t g_dev;                 /* the device most tests use */
static int64_t g_slot_noon;            /* its slot before NOON      */

static void setup(void)
{
    g_pol = crto_flush_policy_default();
    g_dev = crto_flush_device_hash("kiosk-00001", 11);
    g_slot_noon = NOON - (int64_t)g_pol.window_s + (int64_t)crto_flush_slot_offset_s(&g_pol, g_dev);
}

/* A device with UTC at `now` holding `pending` identifiers, the oldest
 * collected at UTC `oldest`, last flushed at `last`. */
static crto_flush_state_t at(int64_t now, uint32_t pending, int64_t oldest, int64_t last)
{
    crto_flush_state_t s;
    memset(&s, 0, sizeof s);
    s.has_utc = true;
    s.utc_now = now;
    s.device_hash = g_dev;
    s.pending = pending;
    s.oldest_pending_age_s = pending > 0 ? (uint32_t)(now - oldest) : 0u;
    s.last_flush_utc = last;
    return s;
}

static crto_flush_decision_t plan(const crto_flush_state_t *s)
{
    return crto_flush_plan(&g_pol, s);
}

/* ------------------------------------------------------------- helpers */

static void test_defaults_and_check(void)
{
    crto_flush_policy_t p = crto_flush_policy_default();
    const char *why = "unset";

    CHECK_EQ_INT(p.chunk_size, 50000);
    CHECK_EQ_INT(p.max_age_s, 6 * 3600);
    CHECK_EQ_INT(p.max_age_jitter_s, 3 * 3600);
    CHECK_EQ_INT(p.window_s, 3 * 3600);
    CHECK_EQ_INT(p.guard_s, 600);
    CHECK_EQ_INT(p.min_pending, 1);
    CHECK_EQ_INT(crto_flush_policy_check(&p, NULL), CRTO_OK);
    CHECK_EQ_INT(crto_flush_policy_check(&p, &why), CRTO_OK);
    CHECK(why == NULL);

#define REJECTS(field, value)                                                          \
    do {                                                                               \
        crto_flush_policy_t q = crto_flush_policy_default();                           \
        q.field = (value);                                                             \
        why = NULL;                                                                    \
        CHECK_EQ_INT(crto_flush_policy_check(&q, &why), CRTO_ERR_ARG);                 \
        CHECK(why != NULL && strstr(why, #field) != NULL);                             \
        CHECK_EQ_INT(crto_flush_policy_check(&q, NULL), CRTO_ERR_ARG);                 \
    } while (0)
    REJECTS(chunk_size, 0);
    REJECTS(chunk_size, 50001);
    REJECTS(min_pending, 0);
    REJECTS(min_pending, 50001);
    REJECTS(max_age_s, 0);
    REJECTS(max_age_jitter_s, 6 * 3600);
    REJECTS(window_s, 43201);
    REJECTS(guard_s, 3 * 3600);
    REJECTS(window_s, 4 * 3600); /* max_age_s - jitter (3 h) would be < window_s */
#undef REJECTS
}

/* Hard-coded so every platform and every release gives a device the same
 * slot: FNV-1a 64 then MurmurHash3 fmix64 (values from a Python model). */
static void test_device_hash_vectors(void)
{
    CHECK(crto_flush_device_hash("", 0) == UINT64_C(0xefd01f60ba992926));
    CHECK(crto_flush_device_hash("a", 1) == UINT64_C(0x82a2a958a9bece5b));
    CHECK(crto_flush_device_hash("kiosk-00001", 11) == UINT64_C(0xe9f759218b0b0cee));
    CHECK_EQ_INT(crto_flush_slot_offset_s(&g_pol, g_dev), 7706);
    CHECK_EQ_INT(crto_flush_age_jitter_s(&g_pol, g_dev), 10500);
}

static void test_reason_names(void)
{
    CHECK_EQ_STR(crto_flush_reason_name(CRTO_FLUSH_NONE), "NONE");
    CHECK_EQ_STR(crto_flush_reason_name(CRTO_FLUSH_FULL_CHUNK), "FULL_CHUNK");
    CHECK_EQ_STR(crto_flush_reason_name(CRTO_FLUSH_TOO_OLD), "TOO_OLD");
    CHECK_EQ_STR(crto_flush_reason_name(CRTO_FLUSH_CUTOFF), "CUTOFF");
    CHECK_EQ_STR(crto_flush_reason_name((crto_flush_reason_t)42), "?");
}

static void test_window_for_fleet(void)
{
    /* 20,000 calls at 125/min (half of 250) = 160 min, + the guard */
    CHECK_EQ_INT(crto_flush_window_for_fleet(10000, 2, 250, 600), 160 * 60 + 600);
    CHECK(crto_flush_window_for_fleet(10000, 2, 250, 600) <= CRTO_FLUSH_WINDOW_S);
    CHECK_EQ_INT(crto_flush_window_for_fleet(10, 2, 250, 600), 15 * 60 + 600);
    CHECK_EQ_INT(crto_flush_window_for_fleet(100000, 2, 250, 600), 0); /* > 12 h: cannot */
    CHECK_EQ_INT(crto_flush_window_for_fleet(10, 2, 1, 0), 0);
}

/* 10,000 ids spread over a 90-minute window: no one-minute bucket holds
 * more than twice the mean (111) or less than half of it. */
static void test_offsets_spread_uniformly(void)
{
    static uint32_t bucket[90], jbucket[90];
    crto_flush_policy_t p = crto_flush_policy_default();
    uint32_t i, lo = UINT32_MAX, hi = 0, jlo = UINT32_MAX, jhi = 0, same = 0;
    char id[32];

    p.window_s = 90 * 60;
    p.guard_s = 0;
    p.max_age_jitter_s = 90 * 60; /* same modulus: offset and jitter must still differ */
    for (i = 0; i < 10000; i++) {
        int n = snprintf(id, sizeof id, "pos-%05u", (unsigned)i);
        uint64_t h = crto_flush_device_hash(id, (size_t)n);
        uint32_t off = crto_flush_slot_offset_s(&p, h), jit = crto_flush_age_jitter_s(&p, h);
        CHECK(off < 5400);
        CHECK(jit < 5400);
        bucket[off / 60]++;
        jbucket[jit / 60]++;
        same += off / 60 == jit / 60;
    }
    for (i = 0; i < 90; i++) {
        lo = bucket[i] < lo ? bucket[i] : lo;
        hi = bucket[i] > hi ? bucket[i] : hi;
        jlo = jbucket[i] < jlo ? jbucket[i] : jlo;
        jhi = jbucket[i] > jhi ? jbucket[i] : jhi;
    }
    printf("  10,000 offsets in 90 one-minute buckets: min %u, max %u (mean 111)\n", (unsigned)lo, (unsigned)hi);
    CHECK(hi <= 2 * 10000 / 90);
    CHECK(lo >= 10000 / 90 / 2);
    CHECK(jhi <= 2 * 10000 / 90);
    CHECK(jlo >= 10000 / 90 / 2);
    CHECK(same < 2 * 10000 / 90); /* independent: ~1/90 share a minute */

    /* plain serial numbers as the hash spread as well */
    memset(bucket, 0, sizeof bucket);
    hi = 0;
    for (i = 0; i < 10000; i++) {
        bucket[crto_flush_slot_offset_s(&p, (uint64_t)i) / 60]++;
    }
    for (i = 0; i < 90; i++) {
        hi = bucket[i] > hi ? bucket[i] : hi;
    }
    CHECK(hi <= 2 * 10000 / 90);
}

/* ---------------------------------------------------------------- chunk */

static void test_full_chunk_flushes_at_once(void)
{
    crto_flush_state_t s = at(T0 + 3600, 50000, T0 + 3500, T0);
    crto_flush_decision_t d = plan(&s);

    CHECK(d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_FULL_CHUNK);
    CHECK_EQ_INT(d.next_check_s, 0);
    s.has_utc = false;
    s.pending = 60000;
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_FULL_CHUNK);
    s.pending = 49999;
    CHECK(!plan(&s).flush_now);
    g_pol.chunk_size = 1000;
    s.pending = 1000;
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_FULL_CHUNK);
}

/* ------------------------------------------------------------------ age */

static void test_too_old_without_utc(void)
{
    uint32_t due = g_pol.max_age_s - crto_flush_age_jitter_s(&g_pol, g_dev); /* 21600 - 10500 */
    crto_flush_state_t s;
    crto_flush_decision_t d;

    memset(&s, 0, sizeof s);
    s.device_hash = g_dev;
    s.last_flush_utc = CRTO_FLUSH_NEVER;
    s.pending = 3;
    s.oldest_pending_age_s = due - 1;
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_NONE);
    CHECK_EQ_INT(d.next_check_s, 1);
    s.oldest_pending_age_s = due;
    d = plan(&s);
    CHECK(d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_TOO_OLD);
    s.oldest_pending_age_s = UINT32_MAX;
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_TOO_OLD);
    s.oldest_pending_age_s = 100;
    CHECK_EQ_INT(plan(&s).next_check_s, due - 100);
}

/* The jitter is what keeps a chain of shops that all open at 08:00 from
 * flushing together at 14:00: their due ages differ. */
static void test_jitter_spreads_due_ages(void)
{
    uint32_t i, earliest = UINT32_MAX, latest = 0;
    char id[16];
    for (i = 0; i < 1000; i++) {
        int n = snprintf(id, sizeof id, "shop-%u", (unsigned)i);
        uint32_t j = crto_flush_age_jitter_s(&g_pol, crto_flush_device_hash(id, (size_t)n));
        earliest = j > earliest ? earliest : j;
        latest = j > latest ? j : latest;
    }
    CHECK(earliest < 60);
    CHECK(latest > g_pol.max_age_jitter_s - 60);
    g_pol.max_age_jitter_s = 0;
    CHECK_EQ_INT(crto_flush_age_jitter_s(&g_pol, g_dev), 0);
}

/* ------------------------------------------------------------- no clock */

static void test_no_utc_no_cutoff_flush(void)
{
    crto_flush_state_t s = at(g_slot_noon, 5, g_slot_noon - 600, T0);
    int64_t t;

    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF); /* with UTC: the slot */
    s.has_utc = false;
    for (t = g_slot_noon - 3600; t < NOON; t += 7) {
        s = at(t, 5, g_slot_noon - 3700, CRTO_FLUSH_NEVER);
        s.has_utc = false;
        CHECK(!plan(&s).flush_now);
    }
    /* an unset RTC (before 1970) is no clock either */
    s = at(g_slot_noon, 5, g_slot_noon - 600, T0);
    s.utc_now = -5;
    CHECK(!plan(&s).flush_now);
    s.utc_now = INT64_MAX;
    CHECK(!plan(&s).flush_now);
}

/* ---------------------------------------------------------- cut-off slot */

static void test_slot_position(void)
{
    /* the window is [NOON - 3 h, NOON - 10 min); this device is 7706 s in */
    CHECK_EQ_INT(g_slot_noon, NOON - 10800 + 7706);
    CHECK(g_slot_noon >= NOON - (int64_t)g_pol.window_s);
    CHECK(g_slot_noon < NOON - (int64_t)g_pol.guard_s);
}

/* Step a device second by second through a whole day, an identifier
 * every 5 minutes, flushing whenever told: it uses each slot exactly once,
 * at the slot's second, and never flushes for the cut-off before it. */
static void test_one_flush_per_slot_and_not_before(void)
{
    int64_t slot_mid = MIDNIGHT - (int64_t)g_pol.window_s + (int64_t)crto_flush_slot_offset_s(&g_pol, g_dev);
    int64_t t, oldest = 0, last = T0, at_noon = -1, at_mid = -1;
    uint32_t pending = 0, cutoff_flushes = 0;

    g_pol.max_age_s = 24 * 3600; /* only the slots here */
    g_pol.max_age_jitter_s = 0;
    for (t = T0 + 1; t <= MIDNIGHT + 3600; t++) {
        crto_flush_state_t s;
        crto_flush_decision_t d;
        if ((t - T0) % 300 == 0) {
            if (pending++ == 0) {
                oldest = t;
            }
        }
        s = at(t, pending, oldest, last);
        d = plan(&s);
        if (d.flush_now) {
            CHECK_EQ_INT(d.reason, CRTO_FLUSH_CUTOFF);
            cutoff_flushes++;
            if (t < NOON) {
                CHECK(at_noon < 0);
                at_noon = t;
            } else {
                CHECK(at_mid < 0);
                at_mid = t;
            }
            pending = 0;
            last = t;
        }
    }
    CHECK_EQ_INT(cutoff_flushes, 2);
    CHECK_EQ_INT(at_noon, g_slot_noon);
    CHECK_EQ_INT(at_mid, slot_mid);
}

static void test_slot_flush_then_nothing_until_next_slot(void)
{
    crto_flush_state_t s = at(g_slot_noon, 10, NOON - 4 * 3600, T0);
    crto_flush_decision_t d = plan(&s);

    CHECK(d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_CUTOFF);
    /* flushed: with nothing left, come back at the next slot, 12 h on */
    s = at(g_slot_noon, 0, 0, g_slot_noon);
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.next_check_s, 43200);
    /* an identifier that arrives after the slot waits for the next one
     * (or its own due time, whichever is first) */
    s = at(g_slot_noon + 60, 1, g_slot_noon + 60, g_slot_noon);
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.next_check_s, 21600 - 10500);
    /* even when it was the first: the device had nothing at its slot */
    s = at(g_slot_noon + 60, 1, g_slot_noon + 30, T0);
    CHECK(!plan(&s).flush_now);
}

/* Off or offline at its slot, a device catches up as soon as it can -
 * until the cut-off; after it, the data goes at the next slot. */
static void test_missed_slot_catches_up_before_cutoff(void)
{
    crto_flush_state_t s = at(g_slot_noon + 1200, 7, g_slot_noon - 100, T0);
    crto_flush_decision_t d = plan(&s);

    CHECK(d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_CUTOFF);
    s = at(NOON - 1, 7, g_slot_noon - 100, T0); /* 11:59:59 */
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF);
    s = at(NOON, 7, g_slot_noon - 100, T0); /* 12:00:00: that cut-off has passed */
    d = plan(&s);
    CHECK(!d.flush_now);
    /* due at 21600 - 10500 = 11100 s of age, before the next slot (21:xx) */
    CHECK_EQ_INT(d.next_check_s, (uint32_t)(11100 - (NOON - (g_slot_noon - 100))));
}

/* The same at midnight, where the date changes: the slot before 00:00 is
 * in the evening of the day before. */
static void test_midnight_boundary(void)
{
    int64_t slot_mid = MIDNIGHT - 10800 + 7706;
    crto_flush_state_t s;
    crto_flush_decision_t d;

    s = at(slot_mid - 1, 3, slot_mid - 600, NOON - 100);
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.next_check_s, 1);
    s = at(slot_mid, 3, slot_mid - 600, NOON - 100);
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF);
    s = at(MIDNIGHT - 1, 3, slot_mid - 600, NOON - 100);
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF);
    s = at(MIDNIGHT, 3, MIDNIGHT - 60, slot_mid);
    d = plan(&s);
    CHECK(!d.flush_now);
    /* next: the slot before NOON of the new day, or the age, whichever first */
    CHECK_EQ_INT(d.next_check_s, 11100 - 60);
    s = at(MIDNIGHT, 0, 0, slot_mid);
    CHECK_EQ_INT(plan(&s).next_check_s, 43200 - 10800 + 7706);
}

static void test_min_pending_skips_the_slot(void)
{
    crto_flush_state_t s = at(g_slot_noon, 4, g_slot_noon - 300, T0);

    g_pol.min_pending = 5;
    CHECK(!plan(&s).flush_now);
    s.pending = 5;
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF);
}

/* ----------------------------------------------- age against the slot */

/* Due inside the window before the slot: the slot takes it (the window's
 * calls belong to the slots, and Criteo processes both at the same
 * cut-off). */
static void test_due_inside_window_waits_for_slot(void)
{
    int64_t now = NOON - 10800 + 100; /* window start + 100 s, slot at +7706 */
    crto_flush_state_t s = at(now, 9, now - 20000, T0);
    crto_flush_decision_t d = plan(&s);

    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.next_check_s, 7606);
    s = at(g_slot_noon, 9, now - 20000, T0);
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_CUTOFF);
}

/* Due outside a window: the slot takes it only if it comes before the
 * identifier reaches max_age_s; otherwise it goes now. */
static void test_due_outside_window(void)
{
    int64_t now = NOON - 10800 - 1000; /* 08:43:20, window at 09:00, slot at 11:08:26 */
    crto_flush_state_t s;
    crto_flush_decision_t d;

    /* due at 11100 s of age; 10500 s left to 6 h; the slot is 8706 s away */
    s = at(now, 2, now - 11100, T0);
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK_EQ_INT(d.next_check_s, 8706);
    /* 8600 s left to 6 h: the slot would be too late */
    s = at(now, 2, now - 13000, T0);
    d = plan(&s);
    CHECK(d.flush_now);
    CHECK_EQ_INT(d.reason, CRTO_FLUSH_TOO_OLD);
}

/* ------------------------------------------------------------ next check */

static void test_next_check_exact_values(void)
{
    crto_flush_state_t s;

    s = at(T0 + 100, 0, 0, T0); /* nothing pending: the next slot */
    CHECK_EQ_INT(plan(&s).next_check_s, (uint32_t)(g_slot_noon - (T0 + 100)));
    s = at(T0 + 3600, 5, T0 + 3000, T0); /* pending, due first */
    CHECK_EQ_INT(plan(&s).next_check_s, 11100 - 600);
    s = at(g_slot_noon - 50, 5, g_slot_noon - 60, T0); /* the slot first */
    CHECK_EQ_INT(plan(&s).next_check_s, 50);
}

/* From many states, sleeping next_check_s never skips a flush: at no
 * second before it would the plan have said "flush now". */
static void test_next_check_never_late(void)
{
    uint64_t r = 42;
    uint32_t k, checked = 0;

    for (k = 0; k < 3000; k++) {
        crto_flush_state_t s, u;
        crto_flush_decision_t d;
        uint32_t step;
        r = r * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        memset(&s, 0, sizeof s);
        s.has_utc = (r >> 60) != 0;
        s.utc_now = T0 + (int64_t)((r >> 20) % (3u * 86400u));
        s.device_hash = r ^ (r >> 29);
        s.pending = (uint32_t)((r >> 7) % 4u);
        s.oldest_pending_age_s = s.pending ? (uint32_t)((r >> 11) % 30000u) : 0u;
        s.last_flush_utc = (r >> 3) % 3u == 0 ? CRTO_FLUSH_NEVER
                                               : s.utc_now - (int64_t)s.oldest_pending_age_s - (int64_t)((r >> 33) % 40000u);
        d = crto_flush_plan(&g_pol, &s);
        if (d.flush_now) {
            continue;
        }
        CHECK(d.next_check_s >= 1);
        CHECK(d.next_check_s <= 43200);
        /* every second up to the wake-up for the short ones, 64 samples
         * and the last second for the long ones */
        for (step = 1; step < d.next_check_s; step += d.next_check_s < 4000 ? 1u : d.next_check_s / 64u + 1u) {
            u = s;
            u.utc_now += step;
            u.oldest_pending_age_s += s.pending ? step : 0u;
            CHECK(!crto_flush_plan(&g_pol, &u).flush_now);
        }
        u = s;
        u.utc_now += d.next_check_s - 1;
        u.oldest_pending_age_s += s.pending ? d.next_check_s - 1 : 0u;
        CHECK(!crto_flush_plan(&g_pol, &u).flush_now);
        checked++;
    }
    CHECK(checked > 1000);
}

/* Following next_check_s from any state with something pending reaches a
 * flush within two wake-ups (a deferral, then the slot or the due time). */
static void test_next_check_leads_to_the_flush(void)
{
    uint64_t r = 7;
    uint32_t k;

    for (k = 0; k < 3000; k++) {
        crto_flush_state_t s;
        crto_flush_decision_t d;
        uint32_t hops = 0;
        r = r * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        memset(&s, 0, sizeof s);
        s.has_utc = (r >> 61) != 0;
        s.utc_now = T0 + (int64_t)((r >> 20) % (3u * 86400u));
        s.device_hash = r ^ (r >> 31);
        s.pending = 1 + (uint32_t)((r >> 7) % 100u);
        s.oldest_pending_age_s = (uint32_t)((r >> 11) % 30000u);
        s.last_flush_utc = s.utc_now - (int64_t)s.oldest_pending_age_s;
        for (d = crto_flush_plan(&g_pol, &s); !d.flush_now && hops < 5; d = crto_flush_plan(&g_pol, &s)) {
            s.utc_now += d.next_check_s;
            s.oldest_pending_age_s += d.next_check_s;
            hops++;
        }
        CHECK(d.flush_now);
        CHECK(hops <= 2);
    }
}

/* A policy that fails the check is clamped, never divides by zero. */
static void test_zero_policy_is_clamped(void)
{
    crto_flush_state_t s = at(NOON - 100, 0, 0, T0);
    crto_flush_decision_t d;

    memset(&g_pol, 0, sizeof g_pol);
    d = plan(&s);
    CHECK(!d.flush_now);
    CHECK(d.next_check_s >= 1);
    s = at(NOON - 100, 1, NOON - 100, T0);
    CHECK_EQ_INT(plan(&s).reason, CRTO_FLUSH_FULL_CHUNK); /* chunk clamped to 1 */
    g_pol.window_s = UINT32_MAX;
    g_pol.guard_s = UINT32_MAX;
    g_pol.chunk_size = UINT32_MAX;
    g_pol.max_age_s = UINT32_MAX;
    g_pol.max_age_jitter_s = UINT32_MAX;
    CHECK(crto_flush_slot_offset_s(&g_pol, g_dev) < 43200);
    s = at(NOON - 1, 49999, NOON - 2, T0);
    CHECK(!plan(&s).flush_now || plan(&s).reason == CRTO_FLUSH_CUTOFF);
}

#define RUN_FRESH(fn)                                                                  \
    do {                                                                               \
        setup();                                                                       \
        RUN(fn);                                                                       \
    } while (0)

int main(void)
{
    RUN_FRESH(test_defaults_and_check);
    RUN_FRESH(test_device_hash_vectors);
    RUN_FRESH(test_reason_names);
    RUN_FRESH(test_window_for_fleet);
    RUN_FRESH(test_offsets_spread_uniformly);
    RUN_FRESH(test_full_chunk_flushes_at_once);
    RUN_FRESH(test_too_old_without_utc);
    RUN_FRESH(test_jitter_spreads_due_ages);
    RUN_FRESH(test_no_utc_no_cutoff_flush);
    RUN_FRESH(test_slot_position);
    RUN_FRESH(test_one_flush_per_slot_and_not_before);
    RUN_FRESH(test_slot_flush_then_nothing_until_next_slot);
    RUN_FRESH(test_missed_slot_catches_up_before_cutoff);
    RUN_FRESH(test_midnight_boundary);
    RUN_FRESH(test_min_pending_skips_the_slot);
    RUN_FRESH(test_due_inside_window_waits_for_slot);
    RUN_FRESH(test_due_outside_window);
    RUN_FRESH(test_next_check_exact_values);
    RUN_FRESH(test_next_check_never_late);
    RUN_FRESH(test_next_check_leads_to_the_flush);
    RUN_FRESH(test_zero_policy_is_clamped);
    return crto_test_summary();
}
