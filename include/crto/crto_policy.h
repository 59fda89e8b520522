/*
 * crto_policy.h - when a device may call Criteo, and when it should flush:
 * a per-device rate budget (token bucket) and the flush schedule that
 * spreads a fleet over the hours before Criteo's 00:00 / 12:00 UTC
 * processing windows.
 *
 * Both are pure functions over structs the caller owns: no clock is read,
 * nothing is global, nothing is allocated, and only integers are used, so
 * they run unchanged on a Cortex-M4 and in tests on an injected clock. The
 * caller owns the sleep and the clock readings it passes in.
 *
 * Why both exist: Criteo allows 250 calls per minute per *application*, and
 * every device on one client id shares that (REFERENCE.md section 4). A
 * device's own budget only keeps one device from taking the whole
 * allowance; what keeps a fleet under it is the flush schedule, which gives
 * each device its own moment before each cut-off. tools/fleet_sim.c
 * checks the defaults against 10,000 devices.
 *
 *   static crto_rate_budget_t budget;
 *   crto_rate_budget_init(&budget, 0, 0);              // defaults: 200/min, burst 50
 *   uint32_t w = crto_rate_budget_wait_ms(&budget, now_ms);
 *   if (w > 0) sleep_ms(w);                              // then read the clock again
 *   crto_rate_budget_take(&budget, now_ms);             // one call goes out
 *
 *   crto_flush_policy_t pol = crto_flush_policy_default();
 *   crto_flush_state_t st = { .has_utc = true, .utc_now = utc,
 *       .device_hash = crto_flush_device_hash(id, id_len), .pending = n,
 *       .oldest_pending_age_s = age, .last_flush_utc = last };
 *   crto_flush_decision_t d = crto_flush_plan(&pol, &st);
 *   if (d.flush_now) { ... upload ...; last = utc; }
 *   else wake up in d.next_check_s seconds, or sooner when a record arrives.
 */
#ifndef CRTO_POLICY_H
#define CRTO_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_config.h"
#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ compile-time defaults */

/* Sustained calls per minute one device allows itself. */
#ifndef CRTO_RATE_BUDGET_PER_MIN
#define CRTO_RATE_BUDGET_PER_MIN 200u
#endif

/* Calls a rested device may make back to back. A token bucket lets through
 * at most burst + per_min calls in any 60 s, so 50 + 200 keeps even one
 * device alone at or under Criteo's 250 in every minute, however the
 * server counts its minutes. */
#ifndef CRTO_RATE_BUDGET_BURST
#define CRTO_RATE_BUDGET_BURST 50u
#endif

/* Seconds between Criteo's processing cut-offs, which fall on multiples of
 * this period counted from 00:00 UTC (00:00 and 12:00 UTC). */
#ifndef CRTO_FLUSH_CUTOFF_PERIOD_S
#define CRTO_FLUSH_CUTOFF_PERIOD_S 43200u
#endif

/* Flush as soon as this many identifiers are pending (one full request). */
#ifndef CRTO_FLUSH_CHUNK
#define CRTO_FLUSH_CHUNK CRTO_CHUNK_MAX
#endif

/* Oldest a pending identifier may get before it is flushed anyway. */
#ifndef CRTO_FLUSH_MAX_AGE_S
#define CRTO_FLUSH_MAX_AGE_S 21600u /* 6 h */
#endif

/* Each device flushes for age up to this much *before* max_age, by a fixed
 * amount drawn from its id. Without it, every shop of a chain that opens on
 * the hour would flush 6 h after its first customer, all within a few
 * minutes: tools/fleet_sim --tz-min 1 --tz-max 1 --no-utc-pct 100
 * --jitter-min 0 peaks at 1,254 calls/min; with 3 h, at 124. */
#ifndef CRTO_FLUSH_MAX_AGE_JITTER_S
#define CRTO_FLUSH_MAX_AGE_JITTER_S 10800u /* 3 h */
#endif

/* The window before each cut-off over which a fleet spreads its flushes.
 * 90 minutes is not enough for 10,000 devices on one credential: a flush
 * costs 2 calls (a token - the last one expired hours ago - and the
 * upload), so 10,000 devices with something to send put 20,000 calls into
 * 80 usable minutes, 250/min on *average*, and the busiest minute of a
 * random spread is ~25 % above the mean. tools/fleet_sim --window-min 90
 * peaks at 310/min with the fleet in one time zone, and at 224/min spread
 * over UTC-8..UTC+9 only because a third of the devices happen to have
 * nothing pending at their slot. With 3 h: 162/min and 114/min, which
 * leaves room for retries and for Criteo's "dynamic reductions". The cost:
 * what a device collects after its slot waits for the next cut-off. Size
 * it for your fleet with crto_flush_window_for_fleet() (a longer window
 * also needs max_age_s - max_age_jitter_s >= window_s). */
#ifndef CRTO_FLUSH_WINDOW_S
#define CRTO_FLUSH_WINDOW_S 10800u /* 3 h */
#endif

/* The last part of the window in which no slot is placed, so a flush that
 * meets a 429 or a dropped connection can still retry (crto_retry_delay_ms
 * caps a wait at CRTO_RETRY_CAP_MS) before the cut-off. */
#ifndef CRTO_FLUSH_GUARD_S
#define CRTO_FLUSH_GUARD_S 600u /* 10 min */
#endif

/* A device with fewer pending identifiers skips its cut-off slot. */
#ifndef CRTO_FLUSH_MIN_PENDING
#define CRTO_FLUSH_MIN_PENDING 1u
#endif

/* ---------------------------------------------------------------- rate budget */

/* A token bucket for the calls of one client. Integer state only: credit is
 * kept in units of 1/60,000 of a call, so that each elapsed millisecond adds
 * exactly per_min units (200/min is 3.33 milli-calls per ms, which
 * milli-calls could not hold without a remainder) and refill never drifts.
 * Fields are private to rate_budget.c; the caller only owns the storage. */
typedef struct {
    uint32_t per_min; /* calls per minute, sustained                      */
    uint32_t burst;   /* calls a full bucket holds, 1..per_min            */
    int64_t credit;   /* units (1 call = 60,000) at last_ms; < 0 is debt  */
    uint64_t last_ms; /* monotonic ms the credit was computed for; may lie
                           in the future after crto_rate_budget_penalise     */
    bool started;     /* false until the first take or penalise: the bucket
                           is full at whatever instant comes first          */
} crto_rate_budget_t;

/* Set b up for calls_per_minute sustained calls with bursts of up to burst
 * calls; 0 for either means its default (CRTO_RATE_BUDGET_PER_MIN,
 * CRTO_RATE_BUDGET_BURST, the burst cut to calls_per_minute when that is
 * smaller). The bucket starts full. b is owned by the caller.
 * Errors: CRTO_ERR_ARG when burst > calls_per_minute; b is then set up with
 * burst = calls_per_minute so that it is still safe to use. */
crto_err_t crto_rate_budget_init(crto_rate_budget_t *b, uint32_t calls_per_minute, uint32_t burst);

/* Milliseconds from now_ms (the caller's monotonic clock) until one call may
 * go: 0 means now. Does not change b. Saturates at UINT32_MAX. A clock
 * reading older than the last one b saw is treated as that last one. */
uint32_t crto_rate_budget_wait_ms(const crto_rate_budget_t *b, uint64_t now_ms);

/* Record that one call goes out at now_ms. Call it for every request that is
 * sent, token requests and resends included. Taken early (while
 * crto_rate_budget_wait_ms was not 0), the call still counts: b goes into
 * debt and the following waits grow, so the sustained rate holds even for a
 * caller that does not wait. */
void crto_rate_budget_take(crto_rate_budget_t *b, uint64_t now_ms);

/* The server answered 429: no call before until_ms (from Retry-After or
 * x-ratelimit-reset converted to the monotonic clock, or now_ms plus
 * crto_retry_delay_ms). From max(now_ms, until_ms) the bucket holds exactly
 * one call and refills at the sustained rate, so a device does not burst
 * into a limit that was just hit. A later penalty than the one already held
 * wins; an earlier one only drains the bucket. */
void crto_rate_budget_penalise(crto_rate_budget_t *b, uint64_t now_ms, uint64_t until_ms);

/* ------------------------------------------------------------- flush schedule */

/* What crto_flush_plan decides from. Times in seconds. */
typedef struct {
    /* Flush as soon as pending >= chunk_size: a full request is ready and
     * storage is bounded. Identifiers; 1..CRTO_CHUNK_MAX. Default
     * CRTO_FLUSH_CHUNK (50,000). */
    uint32_t chunk_size;
    /* Seconds. Flush when the oldest pending identifier is this old, minus
     * the device's jitter (below). With a UTC clock an identifier can wait
     * longer, up to window_s more, when its time comes inside a pre-cut-off
     * window: it then goes at the device's slot (see crto_flush_plan).
     * >= 1. Default CRTO_FLUSH_MAX_AGE_S (6 h). */
    uint32_t max_age_s;
    /* Seconds, < max_age_s. Each device flushes for age at max_age_s - j,
     * j in [0, max_age_jitter_s) fixed by its id hash. 0 = no jitter.
     * Default CRTO_FLUSH_MAX_AGE_JITTER_S (3 h). */
    uint32_t max_age_jitter_s;
    /* Seconds before each cut-off (00:00 and 12:00 UTC) in which the
     * device's slot lies; guard_s < window_s <= CRTO_FLUSH_CUTOFF_PERIOD_S,
     * and max_age_s - max_age_jitter_s >= window_s, so that an identifier
     * that arrived after a slot cannot fall due before that window's
     * cut-off. Default CRTO_FLUSH_WINDOW_S (3 h). */
    uint32_t window_s;
    /* Seconds at the end of the window where no slot lies: slots are in
     * [cutoff - window_s, cutoff - guard_s). Default CRTO_FLUSH_GUARD_S
     * (10 min). */
    uint32_t guard_s;
    /* Identifiers: a device with fewer pending skips its cut-off slot
     * (chunk and age still apply). 1..chunk_size. Default
     * CRTO_FLUSH_MIN_PENDING (1). */
    uint32_t min_pending;
} crto_flush_policy_t;

/* What the device knows right now. The caller fills it on each call. */
typedef struct {
    /* True when utc_now is a trusted wall clock (NTP, GNSS, RTC set by one).
     * Without it only FULL_CHUNK and TOO_OLD apply: a device that does not
     * know when 00:00 UTC is cannot aim at it. */
    bool has_utc;
    /* Seconds since 1970-01-01T00:00:00Z. Ignored when !has_utc. */
    int64_t utc_now;
    /* Any stable 64-bit value per device - crto_flush_device_hash() of its
     * serial number or MAC is the easy one; it is mixed again, so plain
     * serial numbers 1, 2, 3... spread as well. Fixes the device's slot and
     * jitter. */
    uint64_t device_hash;
    /* Identifiers waiting in the journal, not yet acknowledged. */
    uint32_t pending;
    /* Seconds since the oldest pending identifier was collected, by the
     * monotonic clock (so it survives the lack of a wall clock). Ignored
     * when pending == 0. */
    uint32_t oldest_pending_age_s;
    /* UTC seconds when the last flush that emptied the journal began, or any
     * negative value (CRTO_FLUSH_NEVER) when unknown. Only read when
     * has_utc. Keep it unchanged when a flush fails: the plan then says
     * "flush now" again, so pace the retry with crto_retry_delay_ms. */
    int64_t last_flush_utc;
} crto_flush_state_t;

#define CRTO_FLUSH_NEVER INT64_C(-1)

typedef enum {
    CRTO_FLUSH_NONE = 0,   /* no flush now                                   */
    CRTO_FLUSH_FULL_CHUNK, /* pending >= chunk_size                          */
    CRTO_FLUSH_TOO_OLD,    /* the oldest pending identifier is due           */
    CRTO_FLUSH_CUTOFF      /* this device's slot before a cut-off has come   */
} crto_flush_reason_t;

typedef struct {
    bool flush_now;             /* flush everything pending now              */
    crto_flush_reason_t reason; /* why; CRTO_FLUSH_NONE when !flush_now      */
    /* Seconds until the plan should be asked again if nothing else changes:
     * 0 when flush_now (ask again after the flush, with the new state).
     * Otherwise >= 1: the time until the earlier of the device's next slot
     * (with UTC) and the moment the oldest pending identifier falls due, so
     * a device that sleeps exactly this long wakes at its flush; with
     * nothing pending and no UTC, max_age_s - jitter. Ask sooner when
     * pending changes: a new identifier can fill a chunk. */
    uint32_t next_check_s;
} crto_flush_decision_t;

/* The defaults above. */
crto_flush_policy_t crto_flush_policy_default(void);

/* Check p against the rules given with each field. On CRTO_ERR_ARG, *why
 * (why may be NULL) is a static English sentence naming the field and its
 * rule, e.g. "guard_s must be < window_s"; NULL on CRTO_OK. No formatting
 * and no crto_diag_t here, so the policy module links on its own. */
crto_err_t crto_flush_policy_check(const crto_flush_policy_t *p, const char **why);

/* FNV-1a 64 of id[0..len) followed by a 64-bit finaliser (MurmurHash3's
 * fmix64), so ids that differ only in their last digit land far apart.
 * id is borrowed for the call; len 0 is allowed. */
uint64_t crto_flush_device_hash(const char *id, size_t len);

/* Seconds from the start of a window (cutoff - window_s) to this device's
 * slot: in [0, window_s - guard_s), uniform over device hashes. */
uint32_t crto_flush_slot_offset_s(const crto_flush_policy_t *p, uint64_t device_hash);

/* Seconds this device flushes for age ahead of max_age_s: in
 * [0, max_age_jitter_s), drawn independently of the slot offset. */
uint32_t crto_flush_age_jitter_s(const crto_flush_policy_t *p, uint64_t device_hash);

/* Decide whether to flush now. Pure: p and s are borrowed for the call.
 * In order:
 *   1. pending >= chunk_size                                  -> FULL_CHUNK
 *   2. with UTC: the device's slot S = cutoff - window_s + offset has come
 *      (S <= utc_now < cutoff, cutoff the next 00:00 or 12:00 UTC strictly
 *      after utc_now), it has not flushed since (last_flush_utc < S), its
 *      oldest pending identifier was already there at S (age >=
 *      utc_now - S) and pending >= min_pending                -> CUTOFF
 *      So a device that was off or failed at S catches up at once, while
 *      identifiers that arrive after S wait for the next slot: otherwise
 *      every shop that opens inside a window would flush at its first
 *      customer, all together.
 *   3. oldest_pending_age_s >= max_age_s - jitter             -> TOO_OLD,
 *      except with UTC when the device's next slot comes first: inside a
 *      window before the slot (the window's calls belong to the slots, and
 *      Criteo processes an upload made then at the same cut-off anyway), or
 *      before the identifier reaches max_age_s - then wait for the slot.
 *   otherwise                                                 -> NONE
 * A utc_now before 1970 or after 2^40 s is treated as no UTC clock (an
 * unset RTC). A policy that fails crto_flush_policy_check is clamped to
 * the nearest valid one, so the result is always defined. Never fails. */
crto_flush_decision_t crto_flush_plan(const crto_flush_policy_t *p, const crto_flush_state_t *s);

/* Stable name of a reason, e.g. "CUTOFF". Never NULL. */
const char *crto_flush_reason_name(crto_flush_reason_t reason);

/* The smallest window_s (seconds, guard_s included) that keeps a fleet of
 * `devices` on one credential at about half of fleet_calls_per_min on
 * average before a cut-off, when each flush costs calls_per_flush calls
 * (2: a token and one upload). Half, because a fleet spread at random
 * has busy minutes well above its mean and retries need room. Never less
 * than 15 minutes + guard_s. Returns 0 when even the whole
 * CRTO_FLUSH_CUTOFF_PERIOD_S cannot hold them: the fleet needs more than
 * one credential or fewer flushes. */
uint32_t crto_flush_window_for_fleet(uint32_t devices, uint32_t calls_per_flush, uint32_t fleet_calls_per_min,
                                     uint32_t guard_s);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_POLICY_H */
