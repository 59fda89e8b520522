/*
 * startup.c - reset, vector table and fault handlers of the mps2-an386
 * reference board (Cortex-M4F).  Derived from the verified recipe in
 * /work/shared/TOOLCHAIN.md section 4, but without newlib's rdimon crt0:
 * that crt0 sets up a heap (SYS_HEAPINFO) and pulls in newlib's stdio and
 * malloc, and this board must prove that nothing in the image can allocate
 * (check_map.sh).  So the reset path here does everything itself:
 *
 *   1. enable the FPU (the image is built -mfloat-abi=hard; any FP
 *      instruction before this would UsageFault);
 *   2. copy .data from flash, zero .bss (as a real board must; QEMU's loader
 *      would hide a missing copy loop);
 *   3. paint the thread stack with a pattern, so board_stack_high_water()
 *      can tell how deep it was ever used;
 *   4. make the lowest 1 KiB of the thread stack an MPU no-access guard,
 *      switch thread mode to the process stack (PSP) above it and keep the
 *      main stack (MSP) for exceptions.  A thread-stack overflow then faults
 *      on its first access to the guard (or, past it, below 0x20000000),
 *      the exception entry faults on the PSP, and the HardFault handler
 *      still runs on the MSP: the run ends with exit code 99 and a message,
 *      never a hang or a lock-up;
 *   5. board_init() (clock, console), main(), board_exit(main's result).
 */
#include <stdint.h>

#include "board.h"

extern uint32_t __stack_limit__, __stack_usable__, __stack_top__, __msp_top__;
extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;

int main(void);
void Reset_Handler(void);
void crto_mps2_reset_c(void);
void crto_mps2_main(void) __attribute__((noreturn));
void crto_mps2_fault(const uint32_t *frame, uint32_t exc_return, uint32_t vector);
void HardFault_Handler(void);
void Default_Handler(void);

/* Step 4's guard: MPU region 0 = [__stack_limit__, +1 KiB), no access for
 * anyone, execute-never; everything else keeps the default memory map
 * (PRIVDEFENA). Thread mode stays privileged. */
static void stack_guard(void)
{
    volatile uint32_t *const mpu_type = (volatile uint32_t *)0xE000ED90u;
    volatile uint32_t *const mpu_ctrl = (volatile uint32_t *)0xE000ED94u;
    volatile uint32_t *const mpu_rnr = (volatile uint32_t *)0xE000ED98u;
    volatile uint32_t *const mpu_rbar = (volatile uint32_t *)0xE000ED9Cu;
    volatile uint32_t *const mpu_rasr = (volatile uint32_t *)0xE000EDA0u;

    if (((*mpu_type >> 8) & 0xFFu) == 0) {
        return; /* no MPU: the guard is only the unmapped space below RAM */
    }
    *mpu_rnr = 0;
    *mpu_rbar = (uint32_t)(uintptr_t)&__stack_limit__;
    /* XN, AP=000 (no access), SIZE=9 (2^(9+1) = 1 KiB), enable */
    *mpu_rasr = (1u << 28) | (0u << 24) | (9u << 1) | 1u;
    *mpu_ctrl = (1u << 2) | 1u; /* PRIVDEFENA | ENABLE */
    __asm volatile("dsb\n isb" ::: "memory");
}

/* Step 2 and 3, on the MSP. */
void crto_mps2_reset_c(void)
{
    uint32_t *src = &__data_load__;
    uint32_t *dst;

    for (dst = &__data_start__; dst < &__data_end__;) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0;
    }
    for (dst = &__stack_usable__; dst < &__stack_top__;) {
        *dst++ = BOARD_STACK_PAINT;
    }
    stack_guard();
}

/* Step 5, on the PSP. */
void crto_mps2_main(void)
{
    board_init();
    board_exit(main());
}

__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    __asm volatile(
        /* 1. FPU: CPACR.CP10/CP11 = full access. */
        "ldr r0, =0xE000ED88\n"
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        /* 2, 3 on the main stack the vector table gave us. */
        "ldr r0, =__msp_top__\n"
        "msr msp, r0\n"
        "bl crto_mps2_reset_c\n"
        /* 4. Thread mode on the process stack. */
        "ldr r0, =__stack_top__\n"
        "msr psp, r0\n"
        "movs r0, #2\n"
        "msr control, r0\n"
        "isb\n"
        /* 5. */
        "bl crto_mps2_main\n"
        "b .\n");
}

/* Any fault: find the stacked frame (on the PSP or the MSP, from
 * EXC_RETURN bit 2) and report. r2 = the active vector number. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "mrs r2, ipsr\n"
        "b crto_mps2_fault\n");
}

/* The fault message is built in a fixed buffer; these never write past
 * its last byte (kept for the NUL). */
static char fault_msg[512];
#define FAULT_MSG_END (fault_msg + sizeof fault_msg - 1)

static char *put_str(char *p, const char *s)
{
    while (*s != '\0' && p < FAULT_MSG_END) {
        *p++ = *s++;
    }
    return p;
}

static char *put_hex(char *p, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char hex[11];
    int i;

    hex[0] = '0';
    hex[1] = 'x';
    for (i = 0; i < 8; i++) {
        hex[2 + i] = digits[(v >> (28 - 4 * i)) & 0xFu];
    }
    hex[10] = '\0';
    return put_str(p, hex);
}

/* Never returns. Uses no stdio formatter and no more stack than a few
 * words, because the thread's state may be what broke. */
void crto_mps2_fault(const uint32_t *frame, uint32_t exc_return, uint32_t vector)
{
    char *const msg = fault_msg;
    volatile const uint32_t *scb = (volatile const uint32_t *)0xE000ED00u;
    uint32_t cfsr = scb[0x28 / 4], hfsr = scb[0x2C / 4], mmfar = scb[0x34 / 4], bfar = scb[0x38 / 4];
    uintptr_t f = (uintptr_t)frame;
    char *p = msg;

    board_console_flush(); /* what the program printed before the fault */
    p = put_str(p, vector == 3 ? "\n*** HARD FAULT" : "\n*** UNEXPECTED EXCEPTION");
    p = put_str(p, " (vector ");
    p = put_hex(p, vector & 0x1FFu);
    p = put_str(p, ") cfsr=");
    p = put_hex(p, cfsr);
    p = put_str(p, " hfsr=");
    p = put_hex(p, hfsr);
    p = put_str(p, " mmfar=");
    p = put_hex(p, mmfar);
    p = put_str(p, " bfar=");
    p = put_hex(p, bfar);
    p = put_str(p, " exc_return=");
    p = put_hex(p, exc_return);
    p = put_str(p, (exc_return & 4u) != 0 ? " on PSP=" : " on MSP=");
    p = put_hex(p, (uint32_t)f);
    /* The frame can only be read if the stacking did not run into the
     * guard or off RAM (a stack overflow). */
    if (f >= (uint32_t)(uintptr_t)&__stack_usable__ && f + 32u <= 0x20400000u) {
        p = put_str(p, " pc=");
        p = put_hex(p, frame[6]);
        p = put_str(p, " lr=");
        p = put_hex(p, frame[5]);
    } else {
        p = put_str(p, " (frame not readable: stack pointer in the guard or outside RAM)");
    }
    if ((cfsr & ((1u << 12) | (1u << 4))) != 0) {
        p = put_str(p, " [stacking error]");
    }
    if ((cfsr & 0x80u) != 0 && mmfar >= (uint32_t)(uintptr_t)&__stack_limit__ &&
        mmfar < (uint32_t)(uintptr_t)&__stack_usable__) {
        p = put_str(p, " [THREAD STACK OVERFLOW: access to the stack guard]");
    }
    p = put_str(p, " ***\n");
    *p = '\0';
    board_console_write_raw(msg);
    board_exit(BOARD_EXIT_FAULT);
}

/* Unexpected interrupts or exceptions end the run the same way. */
__attribute__((naked)) void Default_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "mrs r2, ipsr\n"
        "b crto_mps2_fault\n");
}

/* Vector table: 16 system exceptions and the AN386's 32 external IRQs.
 * MemManage, BusFault and UsageFault are not enabled in SHCSR, so they
 * escalate to HardFault. */
#define BOARD_N_IRQ 32
#define IRQ8 Default_Handler, Default_Handler, Default_Handler, Default_Handler, \
             Default_Handler, Default_Handler, Default_Handler, Default_Handler
__attribute__((section(".vectors"), used)) void (*const crto_mps2_vectors[16 + BOARD_N_IRQ])(void) = {
    (void (*)(void))(uintptr_t)&__msp_top__, /* 0  initial MSP           */
    Reset_Handler,                            /* 1  reset                 */
    Default_Handler,                          /* 2  NMI                   */
    HardFault_Handler,                        /* 3  HardFault             */
    Default_Handler,                          /* 4  MemManage             */
    Default_Handler,                          /* 5  BusFault              */
    Default_Handler,                          /* 6  UsageFault            */
    0,
    0,
    0,
    0,
    Default_Handler, /* 11 SVCall                */
    Default_Handler, /* 12 DebugMonitor          */
    0,
    Default_Handler,         /* 14 PendSV                */
    board_systick_handler,   /* 15 SysTick: the board clock */
    /* 16..47: IRQ 0..31 */
    IRQ8, IRQ8, IRQ8, IRQ8,
};
