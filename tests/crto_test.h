/*
 * crto_test.h - the tiny test harness every crto test program uses.
 *
 * Why not cmocka: the same tests must run on a Cortex-M4 under semihosting,
 * where only printf and exit are certain.  Each program ends by printing
 * "N passed, N failed" and exits non-zero when anything failed; .ci/run
 * adds the lines up.
 *
 *   static void test_something(void) { CHECK(1 + 1 == 2); CHECK_EQ_INT(x, 3); }
 *   int main(void) { RUN(test_something); return crto_test_summary(); }
 */
#ifndef CRTO_TEST_H
#define CRTO_TEST_H

#include <stdio.h>
#include <string.h>

static int crto_test_passed_, crto_test_failed_, crto_test_cur_failed_;
static const char *crto_test_name_;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("  FAIL %s:%d: %s: CHECK(%s)\n", __FILE__, __LINE__, crto_test_name_, #cond); \
            crto_test_cur_failed_ = 1;                                                 \
        }                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                             \
    do {                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                            \
        if (a_ != b_) {                                                                \
            printf("  FAIL %s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
                   crto_test_name_, #a, a_, #b, b_);                                   \
            crto_test_cur_failed_ = 1;                                                 \
        }                                                                              \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                             \
    do {                                                                               \
        const char *a_ = (a), *b_ = (b);                                               \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                         \
            printf("  FAIL %s:%d: %s: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
                   crto_test_name_, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
            crto_test_cur_failed_ = 1;                                                 \
        }                                                                              \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define RUN(fn)                                                                        \
    do {                                                                               \
        crto_test_name_ = #fn;                                                         \
        crto_test_cur_failed_ = 0;                                                     \
        fn();                                                                          \
        if (crto_test_cur_failed_) {                                                   \
            crto_test_failed_++;                                                       \
            printf("not ok - %s\n", #fn);                                              \
        } else {                                                                       \
            crto_test_passed_++;                                                       \
            printf("ok - %s\n", #fn);                                                  \
        }                                                                              \
    } while (0)

static inline int crto_test_summary(void)
{
    printf("%d passed, %d failed\n", crto_test_passed_, crto_test_failed_);
    return crto_test_failed_ ? 1 : 0;
}

#endif /* CRTO_TEST_H */
