/*
 * board_stdio_test.c - the board's printf formatter (board_stdio.c, built
 * here as board_snprintf) against the host C library's snprintf, output
 * and return value byte for byte, on the host.
 *
 * Every combination of flags, width and precision (literal and *) with
 * every integer conversion and length modifier the formatter supports, over
 * boundary values; %s and %c with widths and precisions; truncation into
 * small buffers. Prints "N passed, N failed" (one test per group).
 */
#define BOARD_STDIO_HOST_TEST
#include "board_stdio.c"

#include <stdio.h>

static int g_cases, g_bad;

static void compare(const char *fmt, const char *mine, int rmine, const char *libc, int rlibc)
{
    g_cases++;
    if (rmine != rlibc || strcmp(mine, libc) != 0) {
        if (g_bad++ < 20) {
            printf("  MISMATCH \"%s\": board \"%s\" (%d), libc \"%s\" (%d)\n", fmt, mine, rmine, libc, rlibc);
        }
    }
}

/* One format with one argument of type T (and optional * values). */
#define TRY(T, fmt, nstar, w, p, v)                                                          \
    do {                                                                                     \
        char a_[512], b_[512];                                                               \
        int ra_, rb_;                                                                        \
        if ((nstar) == 0) {                                                                  \
            ra_ = board_snprintf(a_, sizeof a_, fmt, (T)(v));                                \
            rb_ = snprintf(b_, sizeof b_, fmt, (T)(v));                                      \
        } else if ((nstar) == 1) {                                                           \
            ra_ = board_snprintf(a_, sizeof a_, fmt, (int)(w), (T)(v));                      \
            rb_ = snprintf(b_, sizeof b_, fmt, (int)(w), (T)(v));                            \
        } else {                                                                             \
            ra_ = board_snprintf(a_, sizeof a_, fmt, (int)(w), (int)(p), (T)(v));            \
            rb_ = snprintf(b_, sizeof b_, fmt, (int)(w), (int)(p), (T)(v));                  \
        }                                                                                    \
        compare(fmt, a_, ra_, b_, rb_);                                                      \
    } while (0)

static const char *const k_flags[] = {"", "-", "+", " ", "#", "0", "-0", "+0", " 0", "#0", "-#", "+ ", "-+ #0"};
static const char *const k_widths[] = {"", "1", "5", "12", "*"};
static const char *const k_precs[] = {"", ".", ".0", ".1", ".4", ".15", ".*"};
static const int k_star_w[] = {0, 3, -7, 25};
static const int k_star_p[] = {-1, 0, 2, 9};

/* Build "%<flags><width><prec><len><conv>" and count its stars. */
static int build(char *out, const char *fl, const char *w, const char *p, const char *len, char conv)
{
    snprintf(out, 64, "[%%%s%s%s%s%c]", fl, w, p, len, conv);
    return (w[0] == '*') + (strchr(p, '*') != NULL);
}

typedef enum { T_INT, T_LONG, T_LLONG, T_UINT, T_ULONG, T_ULLONG, T_SIZE, T_PTRDIFF, T_INTMAX, T_UINTMAX } arg_t;

static void run_int_group(const char *len, const char *convs, arg_t type, const long long *sv,
                          const unsigned long long *uv, size_t nv)
{
    size_t f, w, p, v, c, sw, sp;
    char fmt[64];

    for (c = 0; convs[c] != '\0'; c++)
        for (f = 0; f < sizeof k_flags / sizeof k_flags[0]; f++)
            for (w = 0; w < sizeof k_widths / sizeof k_widths[0]; w++)
                for (p = 0; p < sizeof k_precs / sizeof k_precs[0]; p++)
                    for (v = 0; v < nv; v++) {
                        int stars = build(fmt, k_flags[f], k_widths[w], k_precs[p], len, convs[c]);
                        for (sw = 0; sw < (k_widths[w][0] == '*' ? 4u : 1u); sw++)
                            for (sp = 0; sp < (strchr(k_precs[p], '*') != NULL ? 4u : 1u); sp++) {
                                int wv = k_widths[w][0] == '*' ? k_star_w[sw] : k_star_p[sp];
                                int pv = k_star_p[sp];
                                switch (type) {
                                case T_INT: TRY(int, fmt, stars, wv, pv, sv[v]); break;
                                case T_LONG: TRY(long, fmt, stars, wv, pv, sv[v]); break;
                                case T_LLONG: TRY(long long, fmt, stars, wv, pv, sv[v]); break;
                                case T_PTRDIFF: TRY(ptrdiff_t, fmt, stars, wv, pv, sv[v]); break;
                                case T_INTMAX: TRY(intmax_t, fmt, stars, wv, pv, sv[v]); break;
                                case T_UINT: TRY(unsigned, fmt, stars, wv, pv, uv[v]); break;
                                case T_ULONG: TRY(unsigned long, fmt, stars, wv, pv, uv[v]); break;
                                case T_ULLONG: TRY(unsigned long long, fmt, stars, wv, pv, uv[v]); break;
                                case T_SIZE: TRY(size_t, fmt, stars, wv, pv, uv[v]); break;
                                case T_UINTMAX: TRY(uintmax_t, fmt, stars, wv, pv, uv[v]); break;
                                }
                            }
                    }
}

static int g_passed, g_failed;

static void group_done(const char *name, int before_bad, int before_cases)
{
    int bad = g_bad - before_bad;
    printf("%s - %s (%d cases)\n", bad ? "not ok" : "ok", name, g_cases - before_cases);
    if (bad) {
        g_failed++;
    } else {
        g_passed++;
    }
}

int main(void)
{
    static const long long s32[] = {0, 1, -1, 7, -42, 255, 256, 65535, 123456789, INT_MAX, INT_MIN};
    static const long long s64[] = {0, 1, -1, 4000000000ll, -4000000000ll, LLONG_MAX, LLONG_MIN};
    static const long long s8[] = {0, 1, -1, 127, -128, 200, 255, 256, -300};
    static const unsigned long long u32[] = {0, 1, 7, 8, 255, 4096, 0xbeef, 123456789, UINT_MAX};
    static const unsigned long long u64[] = {0, 1, 4000000000ull, 0x123456789abcdefull, ULLONG_MAX};
    int b, c;
    char fmt[64];

    b = g_bad, c = g_cases;
    run_int_group("", "di", T_INT, s32, NULL, sizeof s32 / sizeof s32[0]);
    run_int_group("hh", "d", T_INT, s8, NULL, sizeof s8 / sizeof s8[0]);
    run_int_group("h", "d", T_INT, s32, NULL, sizeof s32 / sizeof s32[0]);
    group_done("%d %i %hhd %hd: flags, widths, precisions, * both ways", b, c);

    b = g_bad, c = g_cases;
    run_int_group("l", "d", T_LONG, s32, NULL, sizeof s32 / sizeof s32[0]);
    run_int_group("ll", "di", T_LLONG, s64, NULL, sizeof s64 / sizeof s64[0]);
    run_int_group("t", "d", T_PTRDIFF, s32, NULL, sizeof s32 / sizeof s32[0]);
    run_int_group("j", "d", T_INTMAX, s64, NULL, sizeof s64 / sizeof s64[0]);
    group_done("%ld %lld %td %jd", b, c);

    b = g_bad, c = g_cases;
    run_int_group("", "uoxX", T_UINT, NULL, u32, sizeof u32 / sizeof u32[0]);
    run_int_group("l", "ux", T_ULONG, NULL, u32, sizeof u32 / sizeof u32[0]);
    group_done("%u %o %x %X %lu %lx", b, c);

    b = g_bad, c = g_cases;
    run_int_group("ll", "uoxX", T_ULLONG, NULL, u64, sizeof u64 / sizeof u64[0]);
    run_int_group("z", "ux", T_SIZE, NULL, u32, sizeof u32 / sizeof u32[0]);
    run_int_group("j", "u", T_UINTMAX, NULL, u64, sizeof u64 / sizeof u64[0]);
    group_done("%llu %llo %llx %llX %zu %zx %ju", b, c);

    /* Strings and characters: widths and precisions, NUL inside the
     * precision, the empty string. */
    b = g_bad, c = g_cases;
    {
        static const char *const strs[] = {"", "a", "hello", "a longer string of text"};
        static const char *const sflags[] = {"", "-"};
        size_t f, w, p, s;
        for (f = 0; f < 2; f++)
            for (w = 0; w < sizeof k_widths / sizeof k_widths[0]; w++)
                for (p = 0; p < sizeof k_precs / sizeof k_precs[0]; p++)
                    for (s = 0; s < sizeof strs / sizeof strs[0]; s++) {
                        int stars = build(fmt, sflags[f], k_widths[w], k_precs[p], "", 's');
                        TRY(const char *, fmt, stars, 6, 3, strs[s]);
                        if (strchr(k_precs[p], '*') == NULL) {
                            stars = build(fmt, sflags[f], k_widths[w], "", "", 'c');
                            TRY(int, fmt, stars, 6, 3, 'x');
                        }
                    }
    }
    group_done("%s %c with widths and precisions", b, c);

    /* Mixed formats as crto writes them, %%, %n, %p, unterminated. */
    b = g_bad, c = g_cases;
    {
        char a[256], l[256];
        int ra, rl, na = -1, nl = -1;
        void *ptr = (void *)(uintptr_t)0x2001f00cu;

        ra = board_snprintf(a, sizeof a, "%s:%u %zu/%llu (%.*s) 100%% %08x|%-4d|%c%n", "host", 443u, (size_t)12,
                            18446744073709551615ull, 3, "abcdef", 0xbeefu, 7, 'z', &na);
        rl = snprintf(l, sizeof l, "%s:%u %zu/%llu (%.*s) 100%% %08x|%-4d|%c%n", "host", 443u, (size_t)12,
                      18446744073709551615ull, 3, "abcdef", 0xbeefu, 7, 'z', &nl);
        compare("mixed", a, ra, l, rl);
        g_cases++;
        if (na != nl) {
            g_bad++;
            printf("  MISMATCH %%n: board %d, libc %d\n", na, nl);
        }
        ra = board_snprintf(a, sizeof a, "%p", ptr);
        rl = snprintf(l, sizeof l, "%p", ptr);
        compare("%p", a, ra, l, rl);
    }
    group_done("mixed formats, %%, %n, %p", b, c);

    /* Truncation: the return value is the full length, the buffer holds
     * what fits plus a NUL, size 0 writes nothing. */
    b = g_bad, c = g_cases;
    {
        size_t cap;
        for (cap = 0; cap < 24; cap++) {
            char a[32], l[32];
            int ra, rl;
            memset(a, '#', sizeof a);
            memset(l, '#', sizeof l);
            ra = board_snprintf(cap ? a : NULL, cap, "%s-%05d-%x", "truncate", -42, 0xabcdu);
            rl = snprintf(cap ? l : NULL, cap, "%s-%05d-%x", "truncate", -42, 0xabcdu);
            g_cases++;
            if (ra != rl || memcmp(a, l, sizeof a) != 0) {
                g_bad++;
                printf("  MISMATCH truncation at size %zu\n", cap);
            }
        }
    }
    group_done("truncation into buffers of 0..23 bytes", b, c);

    printf("%d cases compared with the host's snprintf\n", g_cases);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
