/*
 * test_rate_budget.c - crto_rate_budget_*: a token bucket on an injected
 * monotonic clock.
 *
 * The promise: in any 60 s a device makes at most burst + per_min calls
 * (50 + 200 = 250 by default, Criteo's per-application limit), and once
 * its burst is spent at most per_min; refill is exact (no drift over an
 * hour); after a 429 nothing goes before the server's time, and then no
 * burst; clock jumps of any size neither overflow nor wrap.
 */
#include <stdint.h>
#include <stdio.h>

#include "crto/crto_policy.h"
#include "crto_test.h"

#define HOUR_MS UINT64_C(3600000)
#define MAX_TAKES 20000u

static uint64_t g_at[MAX_TAKES]; /* when each call of a run went out */

/* The most calls in any [t, t + 60000) of the sorted times at[0..n)
 * whose window starts at or after from_ms. */
static uint32_t busiest_minute(const uint64_t *at, uint32_t n, uint64_t from_ms)
{
    uint32_t i, j = 0, best = 0;
    for (i = 0; i < n; i++) {
        if (at[i] < from_ms) {
            continue;
        }
        if (j < i) {
            j = i;
        }
        while (j < n && at[j] < at[i] + 60000u) {
            j++;
        }
        if (j - i > best) {
            best = j - i;
        }
    }
    return best;
}

/* A caller that sends as soon as the budget allows, for an hour. */
static uint32_t run_greedy(crto_rate_budget_t *b, uint64_t t)
{
    uint64_t end = t + HOUR_MS;
    uint32_t n = 0;
    for (;;) {
        t += crto_rate_budget_wait_ms(b, t);
        if (t > end || n == MAX_TAKES) {
            return n;
        }
        crto_rate_budget_take(b, t);
        g_at[n++] = t;
    }
}

static void test_init_defaults_and_limits(void)
{
    crto_rate_budget_t b;

    CHECK_EQ_INT(crto_rate_budget_init(&b, 0, 0), CRTO_OK);
    CHECK_EQ_INT(b.per_min, CRTO_RATE_BUDGET_PER_MIN);
    CHECK_EQ_INT(b.per_min, 200);
    CHECK_EQ_INT(b.burst, 50);
    CHECK_EQ_INT(crto_rate_budget_init(&b, 10, 0), CRTO_OK);
    CHECK_EQ_INT(b.burst, 10); /* the default burst, cut to the rate */
    CHECK_EQ_INT(crto_rate_budget_init(&b, 60, 60), CRTO_OK);
    CHECK_EQ_INT(crto_rate_budget_init(&b, 10, 20), CRTO_ERR_ARG);
    CHECK_EQ_INT(b.burst, 10); /* still safe to use */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 12345), 0);
}

static void test_burst_then_exact_waits(void)
{
    crto_rate_budget_t b;
    uint32_t i;

    crto_rate_budget_init(&b, 200, 50);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1000), 0); /* starts full */
    for (i = 0; i < 50; i++) {
        CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1000), 0);
        crto_rate_budget_take(&b, 1000);
    }
    /* 200/min is one call per 300 ms */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1000), 300);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1100), 200);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1299), 1);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1300), 0);
    crto_rate_budget_take(&b, 1300);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1300), 300);
    /* 15 s of rest buys back exactly 50 calls, and no more */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1300 + 15000), 0);
    for (i = 0; i < 50; i++) {
        crto_rate_budget_take(&b, 1300 + 15000);
    }
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1300 + 15000), 300);
    /* a long rest refills to the burst, not beyond */
    for (i = 0; i < 50; i++) {
        CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 10000000), 0);
        crto_rate_budget_take(&b, 10000000);
    }
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 10000000), 300);
}

/* 7/min is 8571.43 ms a call: waits round up, never down. */
static void test_rate_that_does_not_divide_a_minute(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 7, 1);
    crto_rate_budget_take(&b, 0);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 0), 8572);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 8571), 1);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 8572), 0);
}

/* The fractional part is carried, not lost: 7 calls + 7 per minute for
 * an hour is exactly 7 + 420 calls. */
static void test_no_drift_over_an_hour(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 7, 7);
    CHECK_EQ_INT(run_greedy(&b, 0), 7 + 420);
    crto_rate_budget_init(&b, 200, 50);
    CHECK_EQ_INT(run_greedy(&b, 5), 50 + 12000);
}

static void test_sustained_rate_over_an_hour(void)
{
    crto_rate_budget_t b;
    uint32_t n;

    crto_rate_budget_init(&b, 200, 50);
    n = run_greedy(&b, 777);
    CHECK_EQ_INT(n, 12050);
    /* burst + per_min bounds any 60 s, and the bound is tight: 50 at once
     * and then one every 300 ms is 249 in [t, t + 60000), 250 with both
     * ends counted */
    CHECK(busiest_minute(g_at, n, 0) <= 250);
    CHECK_EQ_INT(busiest_minute(g_at, n, 0), 249);
    CHECK(busiest_minute(g_at, n, 777 + 60000) <= 200); /* once the burst is spent */
}

/* A caller that polls at irregular moments and pauses now and then. */
static void test_sustained_rate_irregular_caller(void)
{
    crto_rate_budget_t b;
    uint32_t n = 0, lcg = 12345;
    uint64_t t = 0;

    crto_rate_budget_init(&b, 200, 50);
    while (t <= HOUR_MS && n < MAX_TAKES) {
        lcg = lcg * 1103515245u + 12345u;
        t += (lcg >> 16) % 400u;
        if ((lcg >> 8) % 1000u == 0) {
            t += 90000; /* a pause long enough to refill the burst */
        }
        if (crto_rate_budget_wait_ms(&b, t) == 0) {
            crto_rate_budget_take(&b, t);
            g_at[n++] = t;
        }
    }
    CHECK(n > 1000);
    CHECK(busiest_minute(g_at, n, 0) <= 250);
    CHECK(n <= 50u + (uint32_t)(t / 300u) + 50u * 40u);
}

/* A call made without waiting still counts: the budget goes into debt. */
static void test_take_without_waiting_is_debt(void)
{
    crto_rate_budget_t b;
    uint32_t i;

    crto_rate_budget_init(&b, 60, 1); /* 1 call per 1000 ms */
    for (i = 0; i < 5; i++) {
        crto_rate_budget_take(&b, 0);
    }
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 0), 5000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 4000), 1000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 5000), 0);
}

static void test_penalise(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 200, 50);
    crto_rate_budget_take(&b, 0);
    crto_rate_budget_penalise(&b, 1000, 31000); /* 429 with a reset 30 s away */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1000), 30000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 30999), 1);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 31000), 0);
    /* an earlier penalty does not shorten the one held */
    crto_rate_budget_penalise(&b, 2000, 5000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 2000), 29000);
    /* after it: one call, then the sustained rate - no burst into the limit */
    crto_rate_budget_take(&b, 31000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 31000), 300);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 31300), 0);
    /* a later one extends it */
    crto_rate_budget_penalise(&b, 31300, 91300);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 31300), 60000);
}

static void test_penalise_in_the_past_drains_the_burst(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 200, 50);
    crto_rate_budget_penalise(&b, 100000, 50000); /* reset already passed */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 100000), 0);
    crto_rate_budget_take(&b, 100000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 100000), 300);
}

static void test_penalise_then_take_early(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 60, 10);
    crto_rate_budget_penalise(&b, 0, 10000);
    crto_rate_budget_take(&b, 4000); /* the caller ignored the penalty */
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 4000), 6000 + 1000);
}

static void test_clock_going_back(void)
{
    crto_rate_budget_t b;

    crto_rate_budget_init(&b, 60, 1);
    crto_rate_budget_take(&b, 10000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 10000), 1000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 5000), 1000 + 5000); /* as from the last reading */
    crto_rate_budget_take(&b, 5000);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 10000), 2000);
}

static void test_large_time_jumps(void)
{
    crto_rate_budget_t b;
    uint32_t i;

    crto_rate_budget_init(&b, 200, 50);
    crto_rate_budget_take(&b, 0);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_C(1) << 62), 0);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_MAX), 0);
    for (i = 0; i < 50; i++) {
        crto_rate_budget_take(&b, UINT64_MAX - 1);
    }
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_MAX - 1), 300); /* full, not wrapped */

    /* the largest rate and burst refill without overflow */
    crto_rate_budget_init(&b, UINT32_MAX, UINT32_MAX);
    crto_rate_budget_take(&b, 1);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 1), 0);
    crto_rate_budget_take(&b, UINT64_MAX);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_MAX), 0);

    /* waits saturate instead of wrapping, debt and penalty together too */
    crto_rate_budget_init(&b, 1, 1);
    crto_rate_budget_take(&b, 0);
    crto_rate_budget_take(&b, 0);
    crto_rate_budget_penalise(&b, 0, UINT64_MAX - 10);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 0), UINT32_MAX);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_MAX - 10), 0);

    crto_rate_budget_init(&b, 1, 1);
    for (i = 0; i < 100000; i++) {
        crto_rate_budget_take(&b, 0); /* 100,000 minutes of debt */
    }
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 0), UINT32_MAX);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_C(100000) * 60000u), 0);
    crto_rate_budget_init(&b, 200, 50);
    crto_rate_budget_penalise(&b, 0, UINT64_MAX);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, 0), UINT32_MAX);
    CHECK_EQ_INT(crto_rate_budget_wait_ms(&b, UINT64_MAX), 0);
}

int main(void)
{
    printf("sizeof(crto_rate_budget_t) = %u\n", (unsigned)sizeof(crto_rate_budget_t));
    RUN(test_init_defaults_and_limits);
    RUN(test_burst_then_exact_waits);
    RUN(test_rate_that_does_not_divide_a_minute);
    RUN(test_no_drift_over_an_hour);
    RUN(test_sustained_rate_over_an_hour);
    RUN(test_sustained_rate_irregular_caller);
    RUN(test_take_without_waiting_is_debt);
    RUN(test_penalise);
    RUN(test_penalise_in_the_past_drains_the_burst);
    RUN(test_penalise_then_take_early);
    RUN(test_clock_going_back);
    RUN(test_large_time_jumps);
    return crto_test_summary();
}
