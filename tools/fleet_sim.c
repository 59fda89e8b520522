/*
 * fleet_sim.c - does the flush policy keep a fleet on one Criteo credential
 * under the application's 250 calls/min?
 *
 * 10,000 devices share one client id. Each one collects 0-400 identifiers a
 * day at random moments of its shop's opening hours, in its own time zone
 * (UTC-8 .. UTC+9), and runs the library's own crto_flush_plan: whenever an
 * identifier arrives and whenever the previous plan's next_check_s comes
 * due, exactly as firmware would. A flush costs one token call when the
 * last token (900 s, refreshed CRTO_TOKEN_EARLY_MS early) is gone, then
 * ceil(pending / 50,000) uploads, each call paced by the device's own
 * crto_rate_budget. Calls are counted per second of simulated UTC time and
 * summed per UTC minute (and per sliding 60 s, in case Criteo's minute is
 * not the clock's).
 *
 * Nothing here is tuned to the result: the same code runs with any option.
 *   fleet_sim [--devices N] [--hours H] [--window-min M] [--guard-min M]
 *             [--max-age-min M] [--jitter-min M] [--tz-min H] [--tz-max H]
 *             [--no-utc-pct P] [--budget N] [--limit N] [--seed S]
 * Exit 0 when the busiest UTC minute is within --limit (250) and no device
 * kept identifiers past a cut-off they were there for at its slot; 1 when
 * not; 2 on bad options. No heap: every array is static.
 *
 * What it does not model: devices switched off outside opening hours (a
 * chain that boots together inside a window catches up on missed slots
 * together), retries, and other clients of the same credential.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crto/crto_policy.h"

#define MAX_DEVICES 20000u
#define MAX_IDS_PER_DAY 400u
#define MAX_HOURS 240u
#define MAX_SECONDS ((MAX_HOURS + 2u) * 3600u) /* calls may run past the end */
#define MAX_CUTOFFS (MAX_HOURS * 3600u / CRTO_FLUSH_CUTOFF_PERIOD_S + 1u)
#define T0_UTC INT64_C(1767225600) /* 2026-01-01T00:00:00Z: t = 0 */
#define DAY_S INT64_C(86400)
#define TOKEN_LIFETIME_MS INT64_C(900000)
#define TOKEN_CALL_MS 400        /* a token request, start to end          */
#define UPLOAD_CALL_MS 1500      /* one contact-list request of a few KB    */

typedef struct {
    uint64_t hash;
    int32_t tz_s;             /* UTC offset of the shop, seconds             */
    uint32_t open_s;          /* local opening time, seconds after midnight  */
    uint32_t shop_s;          /* opening hours, seconds                      */
    bool has_utc;
    int64_t day;              /* local day the times[] below belong to       */
    uint32_t n, idx;          /* identifiers that day, next one to arrive    */
    uint32_t pending;
    int64_t oldest;           /* sim second the oldest pending one arrived    */
    int64_t last_flush_utc;
    int64_t token_until_ms;   /* sim ms the token must be refreshed by        */
    crto_rate_budget_t budget;
} device_t;

typedef struct {
    uint32_t devices, hours, limit, budget, no_utc_pct;
    int32_t tz_min, tz_max;
    uint64_t seed;
    crto_flush_policy_t pol;
} options_t;

typedef struct {
    uint32_t by_reason[4];    /* flushes in (C - period, C] per reason     */
    uint32_t devices_cutoff;  /* devices that used their slot before C     */
    uint64_t window_calls;    /* calls in [C - window, C)                   */
    uint32_t window_peak;     /* busiest UTC minute of that window          */
} cutoff_stats_t;

static device_t g_dev[MAX_DEVICES];
static uint16_t g_times[MAX_DEVICES][MAX_IDS_PER_DAY]; /* seconds after opening, sorted */
static uint32_t g_calls_s[MAX_SECONDS];
static uint32_t g_calls_min[MAX_SECONDS / 60u];
static cutoff_stats_t g_cut[MAX_CUTOFFS];
static int64_t g_heap_t[MAX_DEVICES];
static uint32_t g_heap_d[MAX_DEVICES];
static uint32_t g_heap_n;

static uint64_t g_calls, g_token_calls, g_upload_calls, g_ids_collected, g_ids_flushed;
static uint64_t g_flushes[4];
static uint32_t g_missed; /* flushes (or ends) that came after a cut-off their data was due for */
static int64_t g_max_age_utc, g_max_age_no_utc;
static uint64_t g_budget_waits, g_budget_wait_ms;

/* splitmix64: deterministic per (seed, device, day), no shared state. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The identifiers device i collects on local day `day`. */
static void make_day(const options_t *o, uint32_t i, int64_t day)
{
    device_t *d = &g_dev[i];
    uint64_t r = mix(o->seed ^ mix(((uint64_t)i << 24) ^ (uint64_t)(day + 1000)));
    uint32_t k;

    d->day = day;
    d->idx = 0;
    d->n = (uint32_t)(r % (MAX_IDS_PER_DAY + 1u));
    for (k = 0; k < d->n; k++) {
        r = mix(r);
        g_times[i][k] = (uint16_t)(r % d->shop_s);
    }
    qsort(g_times[i], d->n, sizeof g_times[i][0], cmp_u16);
}

/* Sim second of device i's next identifier, or INT64_MAX past horizon. */
static int64_t next_arrival(const options_t *o, uint32_t i, int64_t horizon)
{
    device_t *d = &g_dev[i];
    for (;;) {
        int64_t day_start = d->day * DAY_S - d->tz_s; /* local midnight, sim seconds */
        if (d->idx < d->n) {
            return day_start + d->open_s + g_times[i][d->idx];
        }
        if (day_start > horizon) {
            return INT64_MAX;
        }
        make_day(o, i, d->day + 1);
    }
}

static void count_call(int64_t at_ms)
{
    uint64_t s = (uint64_t)(at_ms / 1000);
    if (s < MAX_SECONDS) {
        g_calls_s[s]++;
        g_calls_min[s / 60u]++;
    }
    g_calls++;
}

/* One call through the device's own budget; returns when it may start. */
static int64_t paced_call(device_t *d, int64_t at_ms)
{
    uint32_t w = crto_rate_budget_wait_ms(&d->budget, (uint64_t)at_ms);
    if (w > 0) {
        g_budget_waits++;
        g_budget_wait_ms += w;
    }
    at_ms += w;
    crto_rate_budget_take(&d->budget, (uint64_t)at_ms);
    count_call(at_ms);
    return at_ms;
}

/* Was the oldest pending identifier of d already there at the device's
 * slot before a cut-off that has passed by sim second t? Then the schedule
 * missed that cut-off for it. */
static bool missed_cutoff(const options_t *o, const device_t *d, int64_t t)
{
    int64_t period = (int64_t)CRTO_FLUSH_CUTOFF_PERIOD_S;
    int64_t c1 = (floor_div(T0_UTC + d->oldest, period) + 1) * period;
    int64_t s1 = c1 - (int64_t)o->pol.window_s + (int64_t)crto_flush_slot_offset_s(&o->pol, d->hash);
    return d->has_utc && d->pending > 0 && T0_UTC + d->oldest < s1 && T0_UTC + t > c1;
}

static void record_flush(const options_t *o, device_t *d, int64_t t, crto_flush_reason_t why)
{
    int64_t period = (int64_t)CRTO_FLUSH_CUTOFF_PERIOD_S;
    int64_t k = floor_div(t - 1, period) + 1; /* cut-off index: first C >= t */
    int64_t age = t - d->oldest;

    if (missed_cutoff(o, d, t)) {
        g_missed++;
    }
    if (d->has_utc && age > g_max_age_utc) {
        g_max_age_utc = age;
    } else if (!d->has_utc && age > g_max_age_no_utc) {
        g_max_age_no_utc = age;
    }
    g_flushes[why]++;
    if (k >= 0 && (uint64_t)k < MAX_CUTOFFS) {
        g_cut[k].by_reason[why]++;
        if (why == CRTO_FLUSH_CUTOFF) {
            g_cut[k].devices_cutoff++;
        }
    }
}

static void do_flush(const options_t *o, device_t *d, int64_t t, crto_flush_reason_t why)
{
    int64_t at = t * 1000;
    uint32_t chunks = (d->pending + CRTO_CHUNK_MAX - 1u) / CRTO_CHUNK_MAX, c;

    record_flush(o, d, t, why);
    if (at >= d->token_until_ms) {
        at = paced_call(d, at);
        g_token_calls++;
        d->token_until_ms = at + TOKEN_LIFETIME_MS - (int64_t)CRTO_TOKEN_EARLY_MS;
        at += TOKEN_CALL_MS;
    }
    for (c = 0; c < chunks; c++) {
        at = paced_call(d, at) + UPLOAD_CALL_MS;
        g_upload_calls++;
    }
    g_ids_flushed += d->pending;
    d->pending = 0;
    d->last_flush_utc = T0_UTC + t;
}

/* Wake device i at sim second t: take in what arrived, ask the plan, and
 * return when it wants to be woken next. */
static int64_t wake(const options_t *o, uint32_t i, int64_t t, int64_t horizon)
{
    device_t *d = &g_dev[i];
    crto_flush_state_t st;
    crto_flush_decision_t dec;
    int64_t next;

    while ((next = next_arrival(o, i, horizon)) <= t) {
        if (next >= 0) {
            if (d->pending == 0) {
                d->oldest = next;
            }
            d->pending++;
            g_ids_collected++;
        }
        d->idx++;
    }
    for (;;) {
        st.has_utc = d->has_utc;
        st.utc_now = T0_UTC + t;
        st.device_hash = d->hash;
        st.pending = d->pending;
        st.oldest_pending_age_s = d->pending > 0 ? (uint32_t)(t - d->oldest) : 0u;
        st.last_flush_utc = d->last_flush_utc;
        dec = crto_flush_plan(&o->pol, &st);
        if (!dec.flush_now) {
            break;
        }
        do_flush(o, d, t, dec.reason);
    }
    return t + (int64_t)dec.next_check_s < next ? t + (int64_t)dec.next_check_s : next;
}

/* ------------------------------------------------------ a min-heap of wakes */

static void heap_swap(uint32_t a, uint32_t b)
{
    int64_t t = g_heap_t[a];
    uint32_t d = g_heap_d[a];
    g_heap_t[a] = g_heap_t[b];
    g_heap_d[a] = g_heap_d[b];
    g_heap_t[b] = t;
    g_heap_d[b] = d;
}

static void heap_down(uint32_t i)
{
    for (;;) {
        uint32_t l = 2u * i + 1u, r = l + 1u, m = i;
        if (l < g_heap_n && g_heap_t[l] < g_heap_t[m]) {
            m = l;
        }
        if (r < g_heap_n && g_heap_t[r] < g_heap_t[m]) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(i, m);
        i = m;
    }
}

static void heap_push(int64_t t, uint32_t dev)
{
    uint32_t i = g_heap_n++;
    g_heap_t[i] = t;
    g_heap_d[i] = dev;
    while (i > 0 && g_heap_t[(i - 1u) / 2u] > g_heap_t[i]) {
        heap_swap(i, (i - 1u) / 2u);
        i = (i - 1u) / 2u;
    }
}

/* ------------------------------------------------------------------ setup */

static void setup(const options_t *o)
{
    uint32_t i, zones = (uint32_t)(o->tz_max - o->tz_min + 1);
    char id[32];

    for (i = 0; i < o->devices; i++) {
        device_t *d = &g_dev[i];
        uint64_t r = mix(o->seed ^ mix(UINT64_C(0x5eed0000) + i));
        int n = snprintf(id, sizeof id, "kiosk-%05u", (unsigned)i);
        memset(d, 0, sizeof *d);
        d->hash = crto_flush_device_hash(id, (size_t)n);
        d->tz_s = (o->tz_min + (int32_t)(r % zones)) * 3600;
        r = mix(r);
        d->open_s = (7u + (uint32_t)(r % 4u)) * 3600u;       /* opens 07:00..10:00 */
        r = mix(r);
        d->shop_s = (10u + (uint32_t)(r % 5u)) * 3600u;      /* for 10..14 h      */
        r = mix(r);
        d->has_utc = (uint32_t)(r % 100u) >= o->no_utc_pct;
        d->last_flush_utc = CRTO_FLUSH_NEVER;
        d->token_until_ms = INT64_MIN;
        crto_rate_budget_init(&d->budget, o->budget, 0);
        make_day(o, i, floor_div(d->tz_s, DAY_S)); /* the local day at t = 0 */
        heap_push(0, i);
    }
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool parse_i32(const char *s, int32_t *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < -24 || v > 24) {
        return false;
    }
    *out = (int32_t)v;
    return true;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    int i;
    uint32_t v;

    memset(o, 0, sizeof *o);
    o->devices = 10000;
    o->hours = 48;
    o->limit = 250;
    o->budget = CRTO_RATE_BUDGET_PER_MIN;
    o->tz_min = -8;
    o->tz_max = 9;
    o->seed = 1;
    o->pol = crto_flush_policy_default();
    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *s = argv[i + 1];
        bool ok = true;
        if (strcmp(k, "--tz-min") == 0) {
            ok = parse_i32(s, &o->tz_min);
        } else if (strcmp(k, "--tz-max") == 0) {
            ok = parse_i32(s, &o->tz_max);
        } else if (!parse_u32(s, &v)) {
            ok = false;
        } else if (strcmp(k, "--devices") == 0) {
            o->devices = v;
        } else if (strcmp(k, "--hours") == 0) {
            o->hours = v;
        } else if (strcmp(k, "--window-min") == 0) {
            o->pol.window_s = v * 60u;
        } else if (strcmp(k, "--guard-min") == 0) {
            o->pol.guard_s = v * 60u;
        } else if (strcmp(k, "--max-age-min") == 0) {
            o->pol.max_age_s = v * 60u;
        } else if (strcmp(k, "--jitter-min") == 0) {
            o->pol.max_age_jitter_s = v * 60u;
        } else if (strcmp(k, "--no-utc-pct") == 0) {
            o->no_utc_pct = v;
        } else if (strcmp(k, "--budget") == 0) {
            o->budget = v;
        } else if (strcmp(k, "--limit") == 0) {
            o->limit = v;
        } else if (strcmp(k, "--seed") == 0) {
            o->seed = v;
        } else {
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "fleet_sim: bad option %s %s\n", k, s);
            return 2;
        }
    }
    if (i < argc) {
        fprintf(stderr, "fleet_sim: option %s needs a value\n", argv[i]);
        return 2;
    }
    if (o->devices == 0 || o->devices > MAX_DEVICES || o->hours == 0 || o->hours > MAX_HOURS ||
        o->tz_min > o->tz_max || o->no_utc_pct > 100) {
        fprintf(stderr, "fleet_sim: need 1..%u devices, 1..%u hours, tz-min <= tz-max, no-utc-pct <= 100\n",
                MAX_DEVICES, MAX_HOURS);
        return 2;
    }
    {
        const char *why;
        if (crto_flush_policy_check(&o->pol, &why) != CRTO_OK) {
            fprintf(stderr, "fleet_sim: flush policy: %s\n", why);
            return 2;
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- report */

static void hhmm(int64_t sim_s, char *out, size_t cap)
{
    int64_t d = floor_div(sim_s, DAY_S), r = sim_s - d * DAY_S;
    snprintf(out, cap, "day %lld %02lld:%02lld", (long long)d, (long long)(r / 3600), (long long)(r % 3600 / 60));
}

static int report(const options_t *o)
{
    uint32_t minutes = o->hours * 60u, m, peak = 0, peak_min = 0, slide = 0, slide_at = 0, run = 0;
    uint32_t ncut = o->hours * 3600u / CRTO_FLUSH_CUTOFF_PERIOD_S, k;
    uint64_t total_in_range = 0;
    uint32_t s, secs = o->hours * 3600u + 3600u;
    char when[32];
    bool ok;

    for (s = 0; s < o->devices; s++) { /* what is still pending at the end */
        if (missed_cutoff(o, &g_dev[s], (int64_t)o->hours * 3600)) {
            g_missed++;
        }
    }
    for (m = 0; m < minutes + 60u; m++) {
        total_in_range += g_calls_min[m];
        if (g_calls_min[m] > peak) {
            peak = g_calls_min[m];
            peak_min = m;
        }
    }
    for (s = 0; s < secs; s++) { /* busiest 60 s at any offset */
        run += g_calls_s[s];
        if (s >= 60u) {
            run -= g_calls_s[s - 60u];
        }
        if (run > slide) {
            slide = run;
            slide_at = s < 59u ? 0u : s - 59u;
        }
    }
    for (k = 1; k <= ncut; k++) {
        uint32_t c_min = k * CRTO_FLUSH_CUTOFF_PERIOD_S / 60u;
        for (m = c_min - o->pol.window_s / 60u; m < c_min; m++) {
            g_cut[k].window_calls += g_calls_min[m];
            if (g_calls_min[m] > g_cut[k].window_peak) {
                g_cut[k].window_peak = g_calls_min[m];
            }
        }
    }

    printf("fleet-sim: %u devices on one credential, %u h from 2026-01-01T00:00Z, time zones UTC%+d..UTC%+d, "
           "%u%% without a UTC clock\n",
           o->devices, o->hours, (int)o->tz_min, (int)o->tz_max, o->no_utc_pct);
    printf("policy: window %u min before 00:00/12:00 UTC (last %u min kept free), max age %u min - jitter "
           "[0,%u) min, chunk %u, min pending %u; budget %u calls/min, burst %u per device\n",
           o->pol.window_s / 60u, o->pol.guard_s / 60u, o->pol.max_age_s / 60u, o->pol.max_age_jitter_s / 60u,
           o->pol.chunk_size, o->pol.min_pending, g_dev[0].budget.per_min, g_dev[0].budget.burst);
    printf("crto_flush_window_for_fleet(%u devices, 2 calls, %u/min): %u min\n", o->devices, o->limit,
           crto_flush_window_for_fleet(o->devices, 2, o->limit, o->pol.guard_s) / 60u);
    printf("identifiers: %llu collected, %llu flushed, %llu still pending at the end\n",
           (unsigned long long)g_ids_collected, (unsigned long long)g_ids_flushed,
           (unsigned long long)(g_ids_collected - g_ids_flushed));
    printf("flushes: %llu CUTOFF, %llu TOO_OLD, %llu FULL_CHUNK\n", (unsigned long long)g_flushes[CRTO_FLUSH_CUTOFF],
           (unsigned long long)g_flushes[CRTO_FLUSH_TOO_OLD], (unsigned long long)g_flushes[CRTO_FLUSH_FULL_CHUNK]);
    printf("calls: %llu total (%llu token, %llu upload), mean %.1f/min; %llu calls waited for their device's "
           "budget (%llu ms in all)\n",
           (unsigned long long)g_calls, (unsigned long long)g_token_calls, (unsigned long long)g_upload_calls,
           (double)total_in_range / (double)minutes, (unsigned long long)g_budget_waits,
           (unsigned long long)g_budget_wait_ms);
    printf("oldest identifier at its flush: %lld min with UTC, %lld min without; devices that kept data "
           "past a cut-off it was due for: %u\n",
           (long long)(g_max_age_utc / 60), (long long)(g_max_age_no_utc / 60), g_missed);
    printf("per cut-off (flushes in the 12 h before it; calls in its window):\n");
    for (k = 1; k <= ncut; k++) {
        hhmm((int64_t)k * (int64_t)CRTO_FLUSH_CUTOFF_PERIOD_S, when, sizeof when);
        printf("  %s UTC: %5u devices flushed in their slot, %5u TOO_OLD, %u FULL_CHUNK; window %llu calls, "
               "mean %.1f/min, peak %u/min\n",
               when, g_cut[k].devices_cutoff, g_cut[k].by_reason[CRTO_FLUSH_TOO_OLD],
               g_cut[k].by_reason[CRTO_FLUSH_FULL_CHUNK], (unsigned long long)g_cut[k].window_calls,
               (double)g_cut[k].window_calls / (double)(o->pol.window_s / 60u), g_cut[k].window_peak);
    }
    hhmm((int64_t)peak_min * 60, when, sizeof when);
    printf("busiest UTC minute: %u calls at %s UTC\n", peak, when);
    hhmm((int64_t)slide_at, when, sizeof when);
    printf("busiest 60 s at any offset: %u calls from %s:%02u UTC\n", slide, when, (unsigned)(slide_at % 60u));
    ok = peak <= o->limit && g_missed == 0;
    if (g_missed != 0) {
        printf("fleet-sim: %u times a device kept data past a cut-off it was due for\n", g_missed);
    }
    printf("%d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    printf("fleet-sim: peak %u calls/min (limit %u): %s\n", peak, o->limit, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static options_t o;
    int64_t horizon;
    int rc = parse_options(argc, argv, &o);

    if (rc != 0) {
        return rc;
    }
    horizon = (int64_t)o.hours * 3600;
    setup(&o);
    while (g_heap_n > 0 && g_heap_t[0] <= horizon) {
        uint32_t dev = g_heap_d[0];
        g_heap_t[0] = wake(&o, dev, g_heap_t[0], horizon);
        heap_down(0);
    }
    return report(&o);
}
