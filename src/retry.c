/*
 * retry.c - when to try again, as a pure function of what happened, so it
 * can be tested on an injected clock and reused by any loop that owns the
 * sleep.
 *
 * Order of preference for a 429: Retry-After, then x-ratelimit-reset
 * against the wall clock, then exponential backoff with full jitter.
 */
#include "crto/crto_client.h"

/* Seconds from a header to capped milliseconds, without overflowing on a
 * hostile value. */
static uint32_t seconds_to_ms_capped(int64_t s)
{
    if (s >= (int64_t)(CRTO_RETRY_CAP_MS / 1000u) + 1) {
        return CRTO_RETRY_CAP_MS;
    }
    return s > 0 ? (uint32_t)s * 1000u : 0u;
}

bool crto_retry_status(int status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

uint32_t crto_retry_delay_ms(uint32_t attempt, int status, const crto_http_response_t *resp, int64_t utc_now,
                             uint32_t rnd)
{
    uint64_t ceiling = CRTO_RETRY_BASE_MS;
    uint32_t i;

    if (resp != NULL && (status == 429 || status == 503) && resp->retry_after_s >= 0) {
        return seconds_to_ms_capped(resp->retry_after_s);
    }
    if (resp != NULL && status == 429 && resp->rl_reset >= 0 && utc_now >= 0) {
        int64_t s = resp->rl_reset > utc_now ? resp->rl_reset - utc_now : 0;
        uint64_t ms = seconds_to_ms_capped(s);
        /* a reset in the past still deserves a short pause, not a burst */
        if (ms < CRTO_RETRY_BASE_MS) {
            ms = CRTO_RETRY_BASE_MS;
        }
        return ms > CRTO_RETRY_CAP_MS ? CRTO_RETRY_CAP_MS : (uint32_t)ms;
    }
    for (i = 1; i < attempt && ceiling < CRTO_RETRY_CAP_MS; i++) {
        ceiling *= 2u;
    }
    if (ceiling > CRTO_RETRY_CAP_MS) {
        ceiling = CRTO_RETRY_CAP_MS;
    }
    /* full jitter: anywhere in [0, ceiling], so a fleet does not retry in step */
    return (uint32_t)((uint64_t)rnd % (ceiling + 1u));
}
