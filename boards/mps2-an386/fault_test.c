/*
 * fault_test.c - two tiny images that must end with the board's fault exit
 * (99) and a message, never a hang: a read from unmapped memory, and a
 * thread-stack overflow (unbounded recursion running off the bottom of RAM,
 * which is what the stack-at-the-bottom layout of mps2.ld is for).
 * fault_check.sh runs both under QEMU. Built with -DFAULT_OVERFLOW or not.
 */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

#ifdef FAULT_OVERFLOW
/* volatile and a buffer per frame, so the compiler cannot turn the
 * recursion into a loop. */
static uint32_t deeper(volatile uint32_t n)
{
    volatile uint8_t frame[256];
    frame[0] = (uint8_t)n;
    return deeper(n + 1u) + frame[0];
}
#endif

int main(void)
{
    printf("fault test: %s\n", FAULT_WHAT);
#ifdef FAULT_OVERFLOW
    return (int)deeper(0);
#else
    /* Nothing is mapped at 0x60000000 on the AN386 (ext. memory region). */
    return (int)*(volatile uint32_t *)(uintptr_t)0x6FFFFFF0u;
#endif
}
