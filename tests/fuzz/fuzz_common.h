/*
 * fuzz_common.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 *  - FUZZ_CHECK(cond): an invariant; when it does not hold the target
 *    prints it and abort()s, which libFuzzer reports as a crash with the
 *    input that caused it.
 *  - fuzz_pieces_t: piece sizes chosen by the fuzzer, to feed a push
 *    parser incrementally. A class byte picks the largest piece (1, 2, 3,
 *    7, 16, 61, 509 bytes or everything at once) and a seed byte drives a
 *    xorshift generator for the sizes in between, so a mutation of two
 *    bytes moves every split point while the rest of the input stays the
 *    text under test.
 *  - fuzz_hash: FNV-1a 64, to compare what two runs produced.
 *
 * Inputs are copied into buffers of exactly their length (malloc) before
 * they reach crto, so AddressSanitizer sees a read one byte past the end.
 */
#ifndef CRTO_FUZZ_COMMON_H
#define CRTO_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);                          \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

typedef struct {
    uint32_t rng;
    size_t max; /* SIZE_MAX: everything at once */
} fuzz_pieces_t;

static inline void fuzz_pieces_init(fuzz_pieces_t *p, uint8_t cls, uint8_t seed)
{
    static const size_t max[8] = { 1, 2, 3, 7, 16, 61, 509, SIZE_MAX };
    p->rng = 0x9E3779B9u ^ ((uint32_t)seed * 0x01000193u) ^ ((uint32_t)cls << 24);
    if (p->rng == 0) {
        p->rng = 1;
    }
    p->max = max[cls & 7u];
}

/* The next piece: 1..max bytes, never more than left (left > 0). */
static inline size_t fuzz_piece(fuzz_pieces_t *p, size_t left)
{
    size_t n;
    if (p->max == SIZE_MAX) {
        return left;
    }
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 17;
    p->rng ^= p->rng << 5;
    n = 1u + (size_t)p->rng % p->max;
    return n < left ? n : left;
}

#define FUZZ_FNV_INIT 0xcbf29ce484222325ull

static inline uint64_t fuzz_hash(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* A malloc'ed copy of data[len] with nothing after it (len 0: one byte, so
 * the pointer is never NULL). Free with free(). */
static inline char *fuzz_dup(const uint8_t *data, size_t len)
{
    char *p = malloc(len > 0 ? len : 1);
    FUZZ_CHECK(p != NULL);
    if (len > 0) {
        memcpy(p, data, len);
    }
    return p;
}

/* Is there a NUL within the cap bytes of s? */
static inline int fuzz_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

#endif /* CRTO_FUZZ_COMMON_H */
