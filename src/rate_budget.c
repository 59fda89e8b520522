/*
 * rate_budget.c - a token bucket on the caller's monotonic clock, in
 * integers that cannot drift or overflow.
 *
 * Unit: 1 call = 60,000 units, so one elapsed millisecond refills exactly
 * per_min units. Credit is signed so that a call taken without waiting is
 * paid back by longer waits instead of being forgotten.
 */
#include "crto/crto_policy.h"

#define UNITS_PER_CALL INT64_C(60000)

/* Debt is capped here: far beyond any real use (2^61 units is ~10^5 years
 * of waiting at 1 call/min) and far from overflowing. */
#define DEBT_FLOOR (-(INT64_C(1) << 61))

static int64_t capacity(const crto_rate_budget_t *b)
{
    return (int64_t)b->burst * UNITS_PER_CALL;
}

/* Credit at now_ms (>= b->last_ms), refilled and capped at the capacity. */
static int64_t credit_at(const crto_rate_budget_t *b, uint64_t now_ms)
{
    int64_t cap = capacity(b);
    uint64_t elapsed, missing;

    if (!b->started) {
        return cap;
    }
    if (now_ms <= b->last_ms || b->credit >= cap) {
        return b->credit < cap ? b->credit : cap;
    }
    elapsed = now_ms - b->last_ms;
    missing = (uint64_t)(cap - b->credit); /* > 0, < 2^62 */
    /* Compare before multiplying: after a long sleep elapsed * per_min
     * would overflow, and the bucket is simply full. */
    if (elapsed >= missing / b->per_min + 1u) {
        return cap;
    }
    return b->credit + (int64_t)(elapsed * b->per_min); /* < cap + per_min */
}

crto_err_t crto_rate_budget_init(crto_rate_budget_t *b, uint32_t calls_per_minute, uint32_t burst)
{
    crto_err_t e = CRTO_OK;
    uint32_t per_min = calls_per_minute != 0 ? calls_per_minute : CRTO_RATE_BUDGET_PER_MIN;

    if (burst == 0) {
        burst = CRTO_RATE_BUDGET_BURST < per_min ? CRTO_RATE_BUDGET_BURST : per_min;
    }
    if (burst > per_min) {
        burst = per_min;
        e = CRTO_ERR_ARG;
    }
    b->per_min = per_min;
    b->burst = burst;
    b->credit = capacity(b);
    b->last_ms = 0;
    b->started = false;
    return e;
}

uint32_t crto_rate_budget_wait_ms(const crto_rate_budget_t *b, uint64_t now_ms)
{
    uint64_t base = now_ms, wait, missing;
    int64_t credit;

    if (!b->started) {
        return 0;
    }
    if (base < b->last_ms) {
        base = b->last_ms; /* a penalty, or a clock that went back */
    }
    credit = credit_at(b, base);
    wait = base - now_ms;
    if (wait >= UINT32_MAX) {
        return UINT32_MAX; /* and adding to it could wrap */
    }
    if (credit < UNITS_PER_CALL) {
        missing = (uint64_t)(UNITS_PER_CALL - credit);    /* <= 2^61 + 60000 */
        wait += (missing + b->per_min - 1u) / b->per_min; /* round up: never early */
    }
    return wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
}

void crto_rate_budget_take(crto_rate_budget_t *b, uint64_t now_ms)
{
    int64_t credit = credit_at(b, now_ms);

    if (!b->started || now_ms > b->last_ms) {
        b->last_ms = now_ms;
    }
    b->started = true;
    credit -= UNITS_PER_CALL;
    b->credit = credit < DEBT_FLOOR ? DEBT_FLOOR : credit;
}

void crto_rate_budget_penalise(crto_rate_budget_t *b, uint64_t now_ms, uint64_t until_ms)
{
    uint64_t from = until_ms > now_ms ? until_ms : now_ms;
    int64_t credit;

    if (b->started && b->last_ms > from) {
        from = b->last_ms; /* a later penalty is already held: keep it */
    }
    credit = credit_at(b, from);
    /* One call at `from`, then the sustained rate; debt already run up
     * stays owed. */
    if (credit > UNITS_PER_CALL) {
        credit = UNITS_PER_CALL;
    }
    b->credit = credit;
    b->last_ms = from;
    b->started = true;
}
