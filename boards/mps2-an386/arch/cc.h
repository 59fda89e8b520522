/*
 * arch/cc.h - lwIP's compiler and platform glue for the mps2-an386 board
 * (Cortex-M4F, arm-none-eabi-gcc, newlib-nano's headers, NO_SYS=1).
 *
 * Byte order, packing and the integer types are lwIP's defaults for GCC
 * (little-endian, __attribute__((packed)), <stdint.h>). What the board
 * supplies is in board_lwip.c: sys_now() from SysTick, LWIP_RAND from the
 * board's entropy, and the assertion handler, which ends the run with a
 * message (exit status 98) instead of running on with corrupted state.
 */
#ifndef CRTO_MPS2_ARCH_CC_H
#define CRTO_MPS2_ARCH_CC_H

#include <stdint.h>
#include <stdio.h> /* printf for LWIP_PLATFORM_DIAG: board_stdio.c's */

#define LWIP_NO_UNISTD_H 1
/* No sockets, so lwIP needs no errno; keep it from declaring its own. */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE 0

uint32_t board_lwip_rand(void);
void board_lwip_assert(const char *msg, int line, const char *file) __attribute__((noreturn));

#define LWIP_RAND() board_lwip_rand()

#define LWIP_PLATFORM_DIAG(x)                                                                                          \
    do {                                                                                                               \
        printf x;                                                                                                      \
    } while (0)

#define LWIP_PLATFORM_ASSERT(x) board_lwip_assert((x), __LINE__, __FILE__)

#endif /* CRTO_MPS2_ARCH_CC_H */
