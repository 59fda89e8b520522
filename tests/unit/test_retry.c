/*
 * test_retry.c - crto_retry_status and crto_retry_delay_ms: which statuses
 * are retried and how long to wait, on an injected clock and an injected
 * random value.
 *
 * The policy for the wait before attempt n (1-based count of failures):
 *   429 or 503 with Retry-After: s     -> s * 1000 ms, at most CRTO_RETRY_CAP_MS
 *   429 with x-ratelimit-reset only    -> until the reset, at least
 *                                         CRTO_RETRY_BASE_MS, at most the cap
 *   anything else                      -> full jitter: rnd % (ceiling + 1)
 *                                         with ceiling = min(base * 2^(n-1), cap)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_client.h"
#include "crto_test.h"

#define NOW INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

/* A response head as the reader leaves it with no rate-limit headers. */
static crto_http_response_t response(int status)
{
    crto_http_response_t r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.content_length = -1;
    r.retry_after_s = -1;
    r.rl_limit = -1;
    r.rl_remaining = -1;
    r.rl_reset = -1;
    return r;
}

/* The jitter ceiling for attempt n under the default base and cap. */
static const uint32_t k_ceiling[] = {0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000};

static void test_retry_status(void)
{
    CHECK(crto_retry_status(408));
    CHECK(crto_retry_status(429));
    CHECK(crto_retry_status(500));
    CHECK(crto_retry_status(502));
    CHECK(crto_retry_status(503));
    CHECK(crto_retry_status(504));
    CHECK(crto_retry_status(599));

    CHECK(!crto_retry_status(200));
    CHECK(!crto_retry_status(204));
    CHECK(!crto_retry_status(400));
    CHECK(!crto_retry_status(401));
    CHECK(!crto_retry_status(403));
    CHECK(!crto_retry_status(404));
    CHECK(!crto_retry_status(409));
    CHECK(!crto_retry_status(499));
    CHECK(!crto_retry_status(600));
    CHECK(!crto_retry_status(0));
}

static void test_defaults_are_what_the_table_assumes(void)
{
    CHECK_EQ_INT(CRTO_RETRY_BASE_MS, 1000);
    CHECK_EQ_INT(CRTO_RETRY_CAP_MS, 60000);
}

static void test_retry_after_is_honoured(void)
{
    crto_http_response_t r = response(429);
    r.retry_after_s = 7;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), 7000);
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, UINT32_MAX), 7000); /* no jitter */
    CHECK_EQ_INT(crto_retry_delay_ms(4, 429, &r, -1, 12345), 7000);       /* nor backoff, nor clock */

    r = response(503);
    r.retry_after_s = 7;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 503, &r, NOW, 0), 7000);

    /* "retry now" is taken at its word */
    r = response(429);
    r.retry_after_s = 0;
    CHECK_EQ_INT(crto_retry_delay_ms(3, 429, &r, NOW, 999), 0);
}

static void test_retry_after_is_capped(void)
{
    crto_http_response_t r = response(429);
    r.retry_after_s = 60;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), 60000);
    r.retry_after_s = 61;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
    r.retry_after_s = 86400;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
    r.retry_after_s = INT64_MAX;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
    /* a value whose milliseconds wrap 64 bits must not come out small:
     * 18446744073709552 * 1000 = 2^64 + 384 */
    r.retry_after_s = INT64_C(18446744073709552);
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
}

static void test_retry_after_only_for_429_and_503(void)
{
    /* a 500, 502 or 408 with Retry-After backs off with jitter instead */
    static const int statuses[] = {408, 500, 502, 504};
    size_t i;
    for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        crto_http_response_t r = response(statuses[i]);
        r.retry_after_s = 7;
        CHECK_EQ_INT(crto_retry_delay_ms(1, statuses[i], &r, NOW, 0), 0);
        CHECK_EQ_INT(crto_retry_delay_ms(1, statuses[i], &r, NOW, 1000), 1000);
        CHECK_EQ_INT(crto_retry_delay_ms(2, statuses[i], &r, NOW, 1500), 1500);
    }
}

static void test_ratelimit_reset(void)
{
    crto_http_response_t r = response(429);
    r.rl_limit = 250;
    r.rl_remaining = 0;
    r.rl_reset = NOW + 12;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), 12000);
    CHECK_EQ_INT(crto_retry_delay_ms(5, 429, &r, NOW, UINT32_MAX), 12000);

    /* Retry-After wins when both are given */
    r.retry_after_s = 3;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), 3000);
    r.retry_after_s = -1;

    /* a reset now or in the past still pauses CRTO_RETRY_BASE_MS */
    r.rl_reset = NOW;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_BASE_MS);
    r.rl_reset = NOW - 30;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_BASE_MS);
    r.rl_reset = 0;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_BASE_MS);

    /* a far reset is capped */
    r.rl_reset = NOW + 3600;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
    r.rl_reset = INT64_MAX;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
    /* ... also when its milliseconds wrap 64 bits (see test_retry_after_is_capped) */
    r.rl_reset = NOW + INT64_C(18446744073709552);
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, NOW, 0), CRTO_RETRY_CAP_MS);
}

static void test_ratelimit_reset_needs_a_clock_and_a_429(void)
{
    crto_http_response_t r = response(429);
    r.rl_reset = NOW + 12;
    /* no wall clock: back off with jitter */
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, -1, 0), 0);
    CHECK_EQ_INT(crto_retry_delay_ms(1, 429, &r, -1, 700), 700);
    /* a 503 uses Retry-After only, not the reset */
    r.status = 503;
    CHECK_EQ_INT(crto_retry_delay_ms(1, 503, &r, NOW, 700), 700);
}

static void test_full_jitter_bounds(void)
{
    /* attempts 1..10 with no response at all (a network failure) */
    uint32_t n;
    for (n = 1; n <= 10; n++) {
        uint32_t c = k_ceiling[n];
        CHECK_EQ_INT(crto_retry_delay_ms(n, 0, NULL, -1, 0), 0);
        CHECK_EQ_INT(crto_retry_delay_ms(n, 0, NULL, -1, c), c);          /* the ceiling itself is reachable */
        CHECK_EQ_INT(crto_retry_delay_ms(n, 0, NULL, -1, c + 1), 0);      /* and is the last value */
        CHECK_EQ_INT(crto_retry_delay_ms(n, 0, NULL, -1, c - 1), c - 1);
        CHECK(crto_retry_delay_ms(n, 0, NULL, -1, UINT32_MAX) <= c);
        CHECK(crto_retry_delay_ms(n, 0, NULL, -1, 123456789) <= c);
        CHECK(crto_retry_delay_ms(n, 0, NULL, -1, 0x80000000u) <= c);
    }
    /* exact values: rnd % (ceiling + 1) */
    CHECK_EQ_INT(crto_retry_delay_ms(1, 0, NULL, -1, UINT32_MAX), 619);
    CHECK_EQ_INT(crto_retry_delay_ms(2, 0, NULL, -1, UINT32_MAX), 885);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 0, NULL, -1, UINT32_MAX), 1822);
    CHECK_EQ_INT(crto_retry_delay_ms(4, 0, NULL, -1, UINT32_MAX), 6492);
    CHECK_EQ_INT(crto_retry_delay_ms(5, 0, NULL, -1, UINT32_MAX), 10877);
    CHECK_EQ_INT(crto_retry_delay_ms(6, 0, NULL, -1, UINT32_MAX), 17082);
    CHECK_EQ_INT(crto_retry_delay_ms(7, 0, NULL, -1, UINT32_MAX), 35714);
    CHECK_EQ_INT(crto_retry_delay_ms(10, 0, NULL, -1, UINT32_MAX), 35714);
    CHECK_EQ_INT(crto_retry_delay_ms(1, 0, NULL, -1, 123456789), 456);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 0, NULL, -1, 123456789), 1933);
    CHECK_EQ_INT(crto_retry_delay_ms(6, 0, NULL, -1, 123456789), 28932);
    CHECK_EQ_INT(crto_retry_delay_ms(8, 0, NULL, -1, 123456789), 34732);
}

static void test_jitter_for_statuses_without_headers(void)
{
    /* a 429 or 503 without any header, and a 500, back off like a network failure */
    crto_http_response_t r429 = response(429), r503 = response(503), r500 = response(500);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 429, &r429, NOW, 4000), 4000);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 429, &r429, NOW, 4001), 0);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 503, &r503, NOW, 4000), 4000);
    CHECK_EQ_INT(crto_retry_delay_ms(3, 500, &r500, NOW, 4000), 4000);
    /* NULL response with a 429 status: jitter too */
    CHECK_EQ_INT(crto_retry_delay_ms(2, 429, NULL, NOW, 2000), 2000);
}

static void test_huge_attempt_counts_stay_capped(void)
{
    CHECK_EQ_INT(crto_retry_delay_ms(0, 0, NULL, -1, 1000), 1000); /* 0 counts as the first */
    CHECK_EQ_INT(crto_retry_delay_ms(0, 0, NULL, -1, 1001), 0);
    CHECK_EQ_INT(crto_retry_delay_ms(64, 0, NULL, -1, 60000), 60000);
    CHECK_EQ_INT(crto_retry_delay_ms(1000, 0, NULL, -1, 60000), 60000);
    CHECK_EQ_INT(crto_retry_delay_ms(UINT32_MAX, 0, NULL, -1, 60000), 60000);
    CHECK_EQ_INT(crto_retry_delay_ms(UINT32_MAX, 0, NULL, -1, 60001), 0);
}

int main(void)
{
    RUN(test_retry_status);
    RUN(test_defaults_are_what_the_table_assumes);
    RUN(test_retry_after_is_honoured);
    RUN(test_retry_after_is_capped);
    RUN(test_retry_after_only_for_429_and_503);
    RUN(test_ratelimit_reset);
    RUN(test_ratelimit_reset_needs_a_clock_and_a_429);
    RUN(test_full_jitter_bounds);
    RUN(test_jitter_for_statuses_without_headers);
    RUN(test_huge_attempt_counts_stay_capped);
    return crto_test_summary();
}
