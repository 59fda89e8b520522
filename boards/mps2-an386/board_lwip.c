/*
 * board_lwip.c - what lwIP (NO_SYS=1) needs from the mps2-an386 board:
 * its clock, random numbers and an assertion handler (arch/cc.h).
 */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "lwip/arch.h"
#include "lwip/sys.h"

/* lwIP's timers, and the raw port's timeouts: SysTick milliseconds. */
u32_t sys_now(void)
{
    return (u32_t)board_now_ms();
}

/* Initial sequence numbers, DHCP transaction ids, DNS ids and source ports.
 * From the board's entropy (NOT a TRNG on the QEMU board: see board.h). */
uint32_t board_lwip_rand(void)
{
    uint32_t r = 0;

    (void)board_entropy((uint8_t *)&r, sizeof r);
    return r;
}

/* A failed lwIP assertion is a configuration or port bug: say where, and
 * end the run (exit status 98) rather than go on with corrupted state. */
void board_lwip_assert(const char *msg, int line, const char *file)
{
    printf("\n*** lwIP assertion \"%s\" failed at %s:%d ***\n", msg, file, line);
    board_exit(98);
}
