/*
 * flush_schedule.c - when a device should upload what it collected: a full
 * chunk at once; otherwise at its own slot before the next Criteo cut-off,
 * or when its oldest identifier falls due. Pure integer functions of the
 * state the caller passes in.
 */
#include "crto/crto_policy.h"

#define PERIOD ((int64_t)CRTO_FLUSH_CUTOFF_PERIOD_S)

/* A wall clock past this (year ~36812) or before 1970 is not trusted: it
 * is an unset RTC, and arithmetic near INT64_MAX must not overflow. */
#define UTC_MAX (INT64_C(1) << 40)

/* Independent streams from one device hash, so the slot offset and the age
 * jitter are not the same number when window and jitter are equal. */
#define SALT_SLOT UINT64_C(0x9e3779b97f4a7c15)
#define SALT_JITTER UINT64_C(0xc2b2ae3d27d4eb4f)

/* MurmurHash3's 64-bit finaliser: every input bit flips each output bit
 * with probability ~1/2, which FNV-1a alone does not give its low bits. */
static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

uint64_t crto_flush_device_hash(const char *id, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (uint8_t)id[i];
        h *= UINT64_C(0x100000001b3);
    }
    return fmix64(h);
}

crto_flush_policy_t crto_flush_policy_default(void)
{
    crto_flush_policy_t p;
    p.chunk_size = CRTO_FLUSH_CHUNK;
    p.max_age_s = CRTO_FLUSH_MAX_AGE_S;
    p.max_age_jitter_s = CRTO_FLUSH_MAX_AGE_JITTER_S;
    p.window_s = CRTO_FLUSH_WINDOW_S;
    p.guard_s = CRTO_FLUSH_GUARD_S;
    p.min_pending = CRTO_FLUSH_MIN_PENDING;
    return p;
}

static crto_err_t reject(const char **why, const char *text)
{
    if (why != NULL) {
        *why = text;
    }
    return CRTO_ERR_ARG;
}

crto_err_t crto_flush_policy_check(const crto_flush_policy_t *p, const char **why)
{
    if (why != NULL) {
        *why = NULL;
    }
    if (p->chunk_size == 0 || p->chunk_size > CRTO_CHUNK_MAX) {
        return reject(why, "chunk_size must be 1..CRTO_CHUNK_MAX");
    }
    if (p->min_pending == 0 || p->min_pending > p->chunk_size) {
        return reject(why, "min_pending must be 1..chunk_size");
    }
    if (p->max_age_s == 0) {
        return reject(why, "max_age_s must be >= 1");
    }
    if (p->max_age_jitter_s >= p->max_age_s) {
        return reject(why, "max_age_jitter_s must be < max_age_s");
    }
    if (p->window_s > CRTO_FLUSH_CUTOFF_PERIOD_S) {
        return reject(why, "window_s must be <= CRTO_FLUSH_CUTOFF_PERIOD_S");
    }
    if (p->guard_s >= p->window_s) {
        return reject(why, "guard_s must be < window_s");
    }
    if (p->max_age_s - p->max_age_jitter_s < p->window_s) {
        return reject(why, "max_age_s - max_age_jitter_s must be >= window_s");
    }
    return CRTO_OK;
}

/* The nearest policy crto_flush_plan can work with. The max_age/window
 * rule is not forced: breaking it costs extra flushes, not correctness. */
static crto_flush_policy_t clamped(const crto_flush_policy_t *in)
{
    crto_flush_policy_t p = *in;

    if (p.chunk_size == 0) {
        p.chunk_size = 1;
    } else if (p.chunk_size > CRTO_CHUNK_MAX) {
        p.chunk_size = CRTO_CHUNK_MAX;
    }
    if (p.min_pending == 0) {
        p.min_pending = 1;
    } else if (p.min_pending > p.chunk_size) {
        p.min_pending = p.chunk_size;
    }
    if (p.max_age_s == 0) {
        p.max_age_s = 1;
    }
    if (p.max_age_jitter_s >= p.max_age_s) {
        p.max_age_jitter_s = p.max_age_s - 1u;
    }
    if (p.window_s > CRTO_FLUSH_CUTOFF_PERIOD_S) {
        p.window_s = CRTO_FLUSH_CUTOFF_PERIOD_S;
    } else if (p.window_s == 0) {
        p.window_s = 1;
    }
    if (p.guard_s >= p.window_s) {
        p.guard_s = p.window_s - 1u;
    }
    return p;
}

static uint32_t slot_offset(const crto_flush_policy_t *p, uint64_t device_hash)
{
    return (uint32_t)(fmix64(device_hash ^ SALT_SLOT) % (uint64_t)(p->window_s - p->guard_s));
}

static uint32_t age_jitter(const crto_flush_policy_t *p, uint64_t device_hash)
{
    if (p->max_age_jitter_s == 0) {
        return 0;
    }
    return (uint32_t)(fmix64(device_hash ^ SALT_JITTER) % p->max_age_jitter_s);
}

uint32_t crto_flush_slot_offset_s(const crto_flush_policy_t *p, uint64_t device_hash)
{
    crto_flush_policy_t c = clamped(p);
    return slot_offset(&c, device_hash);
}

uint32_t crto_flush_age_jitter_s(const crto_flush_policy_t *p, uint64_t device_hash)
{
    crto_flush_policy_t c = clamped(p);
    return age_jitter(&c, device_hash);
}

/* The first cut-off strictly after t (t >= 0): at exactly 12:00:00 that
 * cut-off has passed and the next one is 00:00. */
static int64_t next_cutoff(int64_t t)
{
    return (t / PERIOD + 1) * PERIOD;
}

static crto_flush_decision_t flush(crto_flush_reason_t reason)
{
    crto_flush_decision_t d;
    d.flush_now = true;
    d.reason = reason;
    d.next_check_s = 0;
    return d;
}

static crto_flush_decision_t wait_s(int64_t s)
{
    crto_flush_decision_t d;
    d.flush_now = false;
    d.reason = CRTO_FLUSH_NONE;
    d.next_check_s = s < 1 ? 1u : s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
    return d;
}

crto_flush_decision_t crto_flush_plan(const crto_flush_policy_t *policy, const crto_flush_state_t *s)
{
    crto_flush_policy_t p = clamped(policy);
    int64_t due_age = (int64_t)p.max_age_s - (int64_t)age_jitter(&p, s->device_hash); /* >= 1 */
    int64_t age = (int64_t)s->oldest_pending_age_s;
    bool has = s->pending > 0;
    bool due = has && age >= due_age;
    int64_t now, window_start, slot, next_slot, next;

    if (s->pending >= p.chunk_size) {
        return flush(CRTO_FLUSH_FULL_CHUNK);
    }
    if (!s->has_utc || s->utc_now < 0 || s->utc_now > UTC_MAX) {
        if (due) {
            return flush(CRTO_FLUSH_TOO_OLD);
        }
        /* Nothing pending: nothing planned; this is when a record that
         * arrived now would fall due. */
        return wait_s(has ? due_age - age : due_age);
    }

    now = s->utc_now;
    window_start = next_cutoff(now) - (int64_t)p.window_s;
    slot = window_start + (int64_t)slot_offset(&p, s->device_hash);
    next_slot = slot;
    if (now >= slot) {
        /* now < cutoff always, so this slot is the current window's. Only
         * identifiers that were already there at the slot make it a missed
         * slot to catch up on (the device was off, or the upload failed):
         * one that arrived after the slot waits for the next, or every shop
         * that opens inside a window would flush at its first customer. */
        bool waited_since_slot = has && age >= now - slot;
        if (waited_since_slot && s->last_flush_utc < slot && s->pending >= p.min_pending) {
            return flush(CRTO_FLUSH_CUTOFF);
        }
        next_slot = slot + PERIOD;
    }
    if (due) {
        bool before_slot_in_window = now >= window_start && now < slot;
        bool slot_before_max_age = next_slot - now <= (int64_t)p.max_age_s - age;
        if (!before_slot_in_window && !slot_before_max_age) {
            return flush(CRTO_FLUSH_TOO_OLD);
        }
        return wait_s(next_slot - now);
    }
    next = next_slot - now;
    if (has && due_age - age < next) {
        next = due_age - age;
    }
    return wait_s(next);
}

const char *crto_flush_reason_name(crto_flush_reason_t reason)
{
    switch (reason) {
    case CRTO_FLUSH_NONE:
        return "NONE";
    case CRTO_FLUSH_FULL_CHUNK:
        return "FULL_CHUNK";
    case CRTO_FLUSH_TOO_OLD:
        return "TOO_OLD";
    case CRTO_FLUSH_CUTOFF:
        return "CUTOFF";
    }
    return "?";
}

uint32_t crto_flush_window_for_fleet(uint32_t devices, uint32_t calls_per_flush, uint32_t fleet_calls_per_min,
                                     uint32_t guard_s)
{
    uint64_t half = fleet_calls_per_min / 2u;
    uint64_t calls = (uint64_t)devices * calls_per_flush;
    uint64_t minutes, seconds;

    if (half == 0) {
        return 0;
    }
    minutes = (calls + half - 1u) / half;
    if (minutes < 15u) {
        minutes = 15u;
    }
    seconds = minutes * 60u + guard_s;
    return seconds > CRTO_FLUSH_CUTOFF_PERIOD_S ? 0u : (uint32_t)seconds;
}
