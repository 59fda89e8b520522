/*
 * board.c - clock, entropy, console, exit and TLS arena of the mps2-an386
 * reference board. See board.h for what each one is and what a real board
 * replaces.
 */
#include <string.h>

#include <mbedtls/entropy.h>
#include <mbedtls/entropy_poll.h>
#include <mbedtls/memory_buffer_alloc.h>

#include "board.h"

/* ---- entropy: the one part of this board that is not real ---------------
 *
 * QEMU's mps2-an386 has no TRNG, so this board cannot produce secure
 * randomness. What it does below (a splitmix64 stream seeded from the host
 * time, the emulated clock and the SysTick counter) gives TLS different keys
 * on each run, which is all an emulated test needs, and is PREDICTABLE to an
 * attacker. It is opt-in: a build without CRTO_MPS2_INSECURE_EMULATED_ENTROPY
 * stops here, and a build with it says so every time board.c is compiled.
 * A real board replaces board_entropy() with its TRNG (e.g. the STM32 RNG
 * peripheral or a secure element), and mbedtls_hardware_poll() with it.
 */
#if !defined(CRTO_MPS2_INSECURE_EMULATED_ENTROPY)
#error "mps2-an386 has no TRNG: a real board must implement board_entropy() with its TRNG. Define CRTO_MPS2_INSECURE_EMULATED_ENTROPY only for the QEMU reference build."
#else
#pragma message("mps2-an386: board_entropy() is NOT SECURE (QEMU has no TRNG): emulation only, a real board must use its TRNG")
#endif

/* ---- semihosting ------------------------------------------------------- */

#define SYS_OPEN 0x01
#define SYS_WRITE 0x05
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

/* ---- console ----------------------------------------------------------- */

static int32_t console_handle = -1;
static char console_buf[256];
static size_t console_len;

static void console_open(void)
{
    /* ":tt" opened "w" (mode 4) is the host's stdout under QEMU. */
    static const char tt[] = ":tt";
    uint32_t args[3];

    args[0] = (uint32_t)(uintptr_t)tt;
    args[1] = 4;
    args[2] = sizeof tt - 1;
    console_handle = semihost(SYS_OPEN, args);
}

void board_console_flush(void)
{
    uint32_t args[3];

    if (console_len == 0) {
        return;
    }
    if (console_handle < 0) {
        console_open();
    }
    args[0] = (uint32_t)console_handle;
    args[1] = (uint32_t)(uintptr_t)console_buf;
    args[2] = (uint32_t)console_len;
    (void)semihost(SYS_WRITE, args);
    console_len = 0;
}

void board_console_write(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        console_buf[console_len++] = buf[i];
        if (buf[i] == '\n' || console_len == sizeof console_buf) {
            board_console_flush();
        }
    }
}

void board_console_write_raw(const char *s)
{
    size_t n = strlen(s);
    uint32_t args[3];

    /* Straight from s, not through console_buf (used by the fault handler,
     * which must not depend on the buffer's state). */
    board_console_flush();
    if (console_handle < 0) {
        console_open();
    }
    args[0] = (uint32_t)console_handle;
    args[1] = (uint32_t)(uintptr_t)s;
    args[2] = (uint32_t)n;
    (void)semihost(SYS_WRITE, args);
}

void board_exit(int code)
{
    uint32_t args[2];

    board_console_flush();
    args[0] = ADP_STOPPED_APPLICATION_EXIT;
    args[1] = (uint32_t)code;
    (void)semihost(SYS_EXIT_EXTENDED, args);
    /* Only reached under a host without SYS_EXIT_EXTENDED: plain SYS_EXIT
     * (status 0 only for ApplicationExit). */
    (void)semihost(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20023u));
    for (;;) {
    }
}

/* ---- clock: SysTick at 1 kHz ------------------------------------------- */

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint64_t ticks_ms;

void board_systick_handler(void)
{
    ticks_ms = ticks_ms + 1u;
}

void board_init(void)
{
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* enable, interrupt, processor clock */
}

uint64_t board_now_ms(void)
{
    /* A 64-bit read is two loads: mask SysTick around it. */
    uint32_t primask;
    uint64_t t;

    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    t = ticks_ms;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    return t;
}

void board_sleep_ms(uint32_t ms)
{
    uint64_t until = board_now_ms() + ms;

    while (board_now_ms() < until) {
        __asm volatile("wfi");
    }
}

/* ---- entropy (see the warning at the top) ------------------------------- */

static uint64_t rng_state;
static int rng_seeded;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int board_entropy(uint8_t *buf, size_t len)
{
    size_t i;

    if (!rng_seeded) {
        uint32_t host_time = (uint32_t)semihost(SYS_TIME, NULL);
        uint32_t centis = (uint32_t)semihost(SYS_CLOCK, NULL);
        rng_state = ((uint64_t)host_time << 32) ^ ((uint64_t)centis << 16) ^ SYST_CVR ^ board_now_ms();
        rng_seeded = 1;
    }
    for (i = 0; i < len; i += 8) {
        uint64_t r = splitmix64() ^ SYST_CVR;
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(buf + i, &r, n);
    }
    return 0;
}

/* mbedTLS's entropy source (MBEDTLS_ENTROPY_HARDWARE_ALT): the same one. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    if (board_entropy(output, len) != 0) {
        *olen = 0;
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}

/* ---- crto port glue ------------------------------------------------------ */

void board_log(crto_log_level_t level, const char *line)
{
    static const char *const tag[] = {"[crto E] ", "[crto W] ", "[crto I] ", "[crto D] "};
    const char *t = (unsigned)level < 4u ? tag[level] : "[crto ?] ";

    board_console_write(t, strlen(t));
    board_console_write(line, strlen(line));
    board_console_write("\n", 1);
}

static uint64_t glue_now_ms(void *ctx)
{
    (void)ctx;
    return board_now_ms();
}

static crto_err_t glue_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    return board_entropy(buf, len) == 0 ? CRTO_OK : CRTO_ERR_TLS;
}

static void glue_sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    board_sleep_ms(ms);
}

static void glue_log(void *ctx, crto_log_level_t level, const char *line)
{
    (void)ctx;
    board_log(level, line);
}

void board_port_glue(crto_port_t *port)
{
    port->now_ms = glue_now_ms;
    port->entropy = glue_entropy;
    port->sleep_ms = glue_sleep_ms;
    port->log = glue_log;
}

/* ---- TLS arena ------------------------------------------------------------ */

static unsigned char tls_arena[BOARD_TLS_ARENA_SIZE] __attribute__((aligned(8)));

int board_tls_arena_init(void)
{
    /* Also calls mbedtls_platform_set_calloc_free() with the arena's own
     * calloc/free: from here on mbedTLS allocates only inside tls_arena. */
    mbedtls_memory_buffer_alloc_init(tls_arena, sizeof tls_arena);
    return 0;
}

size_t board_tls_arena_size(void)
{
    return sizeof tls_arena;
}

long board_tls_arena_peak(long *peak_blocks, long *cur_bytes)
{
#if defined(MBEDTLS_MEMORY_DEBUG)
    size_t max_used, max_blocks, cur_used, cur_blocks;

    mbedtls_memory_buffer_alloc_max_get(&max_used, &max_blocks);
    mbedtls_memory_buffer_alloc_cur_get(&cur_used, &cur_blocks);
    *peak_blocks = (long)max_blocks;
    *cur_bytes = (long)cur_used;
    return (long)max_used;
#else
    *peak_blocks = -1;
    *cur_bytes = -1;
    return -1;
#endif
}

/* ---- stack high-water ------------------------------------------------------ */

/* The usable stack, above the MPU guard (which must never be read). */
extern uint32_t __stack_usable__, __stack_top__;

size_t board_stack_size(void)
{
    return (size_t)((uintptr_t)&__stack_top__ - (uintptr_t)&__stack_usable__);
}

size_t board_stack_high_water(void)
{
    const uint32_t *p = &__stack_usable__;

    while (p < &__stack_top__ && *p == BOARD_STACK_PAINT) {
        p++;
    }
    return (size_t)((uintptr_t)&__stack_top__ - (uintptr_t)p);
}
