/*
 * board.h - the mps2-an386 reference board (Cortex-M4F, QEMU -M mps2-an386):
 * what every image on it shares.
 *
 *   clock    SysTick at 1 kHz from the 25 MHz CPU clock; a 64-bit millisecond
 *            count kept by its interrupt.  Works the same on the real MPS2
 *            board and under QEMU (where it follows the host's clock).
 *   console  semihosting (SYS_WRITE to ":tt"): needs QEMU or a debugger; a
 *            real product replaces board_console_write() with its UART.
 *   entropy  NOT SECURE on this board: QEMU emulates no TRNG.  board.c only
 *            builds when CRTO_MPS2_INSECURE_EMULATED_ENTROPY is defined, and
 *            says so at every build.  A real board must feed board_entropy()
 *            (and with it mbedtls_hardware_poll) from its TRNG.
 *   exit     semihosting SYS_EXIT_EXTENDED, so QEMU's exit status is the
 *            program's.
 *   TLS heap a static arena for mbedTLS's memory_buffer_alloc (no malloc).
 *
 * The crto port of an image is the network half from its stack (lwIP) plus
 * board_port_glue(), which sets the clock, entropy, sleep and log.
 */
#ifndef CRTO_MPS2_BOARD_H
#define CRTO_MPS2_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "crto/crto_port.h"

#define BOARD_CPU_HZ 25000000u      /* MPS2 AN386 SYSCLK                         */
#define BOARD_STACK_PAINT 0x5AC0FFEEu /* pattern the reset code fills the stack with */
#define BOARD_EXIT_FAULT 99         /* exit status of a HardFault                */

#ifndef BOARD_TLS_ARENA_SIZE
/* mbedTLS's whole heap. 56 KiB for the unit image (which also starts TLS
 * handshakes); firmware.elf and e2e.elf set 40 KiB (MPS2_FW_ARENA in
 * rules.mk), where e2e.elf measures the client's peak at 24,968 B. */
#define BOARD_TLS_ARENA_SIZE (56u * 1024u)
#endif

/* Called once by startup.c before main(): starts the clock. */
void board_init(void);

/* SysTick's vector (startup.c). */
void board_systick_handler(void);

/* Monotonic milliseconds since board_init(). */
uint64_t board_now_ms(void);

/* Sleep with WFI until ms milliseconds have passed. */
void board_sleep_ms(uint32_t ms);

/* Fill buf with len bytes of entropy. 0 on success. See the warning above:
 * on this board they are NOT cryptographically secure. */
int board_entropy(uint8_t *buf, size_t len);

/* crto log sink: one line, prefixed with its level, to the console. */
void board_log(crto_log_level_t level, const char *line);

/* Set port's now_ms, entropy, sleep_ms and log to the board's (ctx is not
 * used by them). connect/send/recv/close/utc_now are left as they are: the
 * network port (e.g. lwIP) fills those. */
void board_port_glue(crto_port_t *port);

/* Install the static TLS arena as mbedTLS's allocator. Call once, before
 * any mbedTLS use. Returns 0. */
int board_tls_arena_init(void);

/* Arena figures: its size, and (in a build with CRTO_MPS2_MEMORY_DEBUG) the
 * peak bytes and blocks in use and what is still allocated; -1 when not
 * counted. */
size_t board_tls_arena_size(void);
long board_tls_arena_peak(long *peak_blocks, long *cur_bytes);

/* Console: buffered writes (flushed at each newline), an explicit flush and
 * an unbuffered write of a NUL-terminated string (for the fault handler). */
void board_console_write(const char *buf, size_t len);
void board_console_flush(void);
void board_console_write_raw(const char *s);

/* End the program: flush the console, exit QEMU with status code. */
void board_exit(int code) __attribute__((noreturn));

/* Thread stack: its size and the most of it ever used (the painted words
 * still intact tell). */
size_t board_stack_size(void);
size_t board_stack_high_water(void);

#endif /* CRTO_MPS2_BOARD_H */
