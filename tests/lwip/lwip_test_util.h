/*
 * lwip_test_util.h - what the lwIP port tests share: a byte pattern to
 * check streams against, a deterministic "entropy" for the port, a
 * blackhole interface (SYNs sent into it never come back, for connect
 * timeouts) and lwIP's memory statistics, to prove nothing leaked.
 *
 * Header-only (static functions) so each test program stays one file plus
 * the port; include it after lwIP's headers.
 */
#ifndef CRTO_LWIP_TEST_UTIL_H
#define CRTO_LWIP_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "crto/crto_port.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"

/* Byte i of every test stream: not periodic in any small power of two, so
 * a lost, doubled or reordered segment shows. */
static inline uint8_t lt_pattern(size_t i)
{
    return (uint8_t)((i * 7u + i / 251u) & 0xffu);
}

/* Index of the first byte of buf[len] (stream offset off) that differs
 * from the pattern, or len when all match. */
static inline size_t lt_pattern_check(const uint8_t *buf, size_t len, size_t off)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (buf[i] != lt_pattern(off + i)) {
            return i;
        }
    }
    return len;
}

static inline crto_err_t lt_entropy(void *ctx, uint8_t *buf, size_t len)
{
    static uint8_t x = 1;
    (void)ctx;
    while (len-- > 0) {
        x = (uint8_t)(x * 5u + 3u);
        *buf++ = x;
    }
    return CRTO_OK;
}

/* ---- a blackhole interface: 10.99.0.1/24, drops whatever is sent */

static inline err_t lt_blackhole_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *addr)
{
    (void)netif;
    (void)p;
    (void)addr;
    return ERR_OK; /* "sent": the SYN is lost on the wire */
}

static inline err_t lt_blackhole_init(struct netif *netif)
{
    netif->name[0] = 'b';
    netif->name[1] = 'h';
    netif->output = lt_blackhole_output;
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

/* ---- leak check: lwIP's heap and every pool against a baseline */

typedef struct {
    mem_size_t mem_used;
    mem_size_t memp_used[MEMP_MAX];
} lt_usage_t;

static inline void lt_usage_get(lt_usage_t *u)
{
    int i;
    u->mem_used = lwip_stats.mem.used;
    for (i = 0; i < MEMP_MAX; i++) {
        u->memp_used[i] = lwip_stats.memp[i]->used;
    }
}

/* One "#" line: what lwIP holds at start-up (its cyclic timers take
 * MEMP_SYS_TIMEOUT entries, DNS a UDP pcb), the baseline the tests return to. */
static inline void lt_usage_print(const char *what, const lt_usage_t *u)
{
    int i;
    printf("# %s: heap %u bytes; pools in use:", what, (unsigned)u->mem_used);
    for (i = 0; i < MEMP_MAX; i++) {
        if (u->memp_used[i] != 0 && i == MEMP_SYS_TIMEOUT) {
            printf(" SYS_TIMEOUT=%u", (unsigned)u->memp_used[i]);
        } else if (u->memp_used[i] != 0) {
            printf(" #%d=%u", i, (unsigned)u->memp_used[i]);
        }
    }
    printf("\n");
}

/* What is in use besides lwIP's own cyclic timers: heap bytes plus
 * elements of every other pool; 0 once every connection is gone. */
static inline unsigned lt_usage_beyond_timers(const lt_usage_t *u)
{
    unsigned n = u->mem_used;
    int i;
    for (i = 0; i < MEMP_MAX; i++) {
        if (i != MEMP_SYS_TIMEOUT) {
            n += u->memp_used[i];
        }
    }
    return n;
}

/* Number of differences between two snapshots; each printed when verbose. */
static inline int lt_usage_diff(const lt_usage_t *a, const lt_usage_t *b, int verbose)
{
    int i, n = 0;
    if (a->mem_used != b->mem_used) {
        n++;
        if (verbose) {
            printf("  lwIP heap: %u bytes used, baseline %u\n", (unsigned)b->mem_used, (unsigned)a->mem_used);
        }
    }
    for (i = 0; i < MEMP_MAX; i++) {
        if (a->memp_used[i] != b->memp_used[i]) {
            n++;
            if (verbose) {
                printf("  lwIP pool %d: %u used, baseline %u\n", i, (unsigned)b->memp_used[i],
                       (unsigned)a->memp_used[i]);
            }
        }
    }
    return n;
}

#endif /* CRTO_LWIP_TEST_UTIL_H */
