/*
 * mbedtls_config.h - mbedTLS 2.28 for the mps2-an386 Cortex-M4 kiosk board:
 * a TLS 1.2 client and nothing more.
 *
 * The option set is the one verified in /work/shared/TOOLCHAIN.md section 3
 * (the same as `make size`'s generated config), plus what a firmware image
 * with no heap needs on top of it:
 *
 *   - MBEDTLS_PLATFORM_STD_CALLOC/FREE point at two functions that refuse
 *     every allocation.  Without them platform.h defaults mbedTLS's allocator
 *     to libc's calloc/free, which would link newlib's malloc into the image
 *     even though the board replaces the allocator at boot.  The only
 *     allocator that ever works is the static arena installed by
 *     mbedtls_memory_buffer_alloc_init() (board_tls_arena_init() in board.c).
 *   - No MBEDTLS_HAVE_TIME: the board has no trusted wall clock, so
 *     certificate validity dates are NOT checked (documented in README.md).
 *   - No FS_IO, NET_C, THREADING, TIMING: there is no file system, the
 *     socket layer is crto's port (lwIP on the real board) and there is one
 *     thread.
 *   - MBEDTLS_NO_PLATFORM_ENTROPY + MBEDTLS_ENTROPY_HARDWARE_ALT: the board
 *     provides mbedtls_hardware_poll() (board.c).  On the QEMU reference
 *     board that function is NOT a TRNG; see board.h.
 *
 * mbedtls_config_e2e.h includes this file and adds the server side.
 */
#ifndef CRTO_MPS2_MBEDTLS_CONFIG_H
#define CRTO_MPS2_MBEDTLS_CONFIG_H

#include <stddef.h>

/* System */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_DEPRECATED_REMOVED

/* Until the arena is installed every allocation fails (mbedTLS's own
 * platform_calloc_uninit does the same, but platform.h only lets it be used
 * when these two macros are defined by the configuration). */
static inline void *crto_mps2_calloc_unset(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;
}
static inline void crto_mps2_free_unset(void *p)
{
    (void)p;
}
#define MBEDTLS_PLATFORM_STD_CALLOC crto_mps2_calloc_unset
#define MBEDTLS_PLATFORM_STD_FREE crto_mps2_free_unset

/* memory_buffer_alloc ends the program when it finds the arena corrupted:
 * through the board's exit (flush the console, semihosting exit status),
 * not newlib's exit(), which would drag in atexit and _exit. */
void board_exit(int code) __attribute__((noreturn));
#define MBEDTLS_PLATFORM_EXIT_MACRO board_exit

/* Crypto */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_MPI_MAX_SIZE 512
#define MBEDTLS_MPI_WINDOW_SIZE 2

/* X.509 */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C

/* TLS 1.2 client, SNI, AES-128-GCM with ECDHE-ECDSA or ECDHE-RSA */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
/* Servers may send full-size records: keep the input buffer at 16 KiB.
 * crto writes at most one tx window (2 KiB) at a time. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#define MBEDTLS_SSL_CIPHERSUITES                                                                  \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256

/* Counting the arena's peak (mbedtls_config_e2e.h for e2e.elf). */
#ifdef CRTO_MPS2_MEMORY_DEBUG
#define MBEDTLS_MEMORY_DEBUG
#endif

#ifndef CRTO_MPS2_CONFIG_NO_CHECK
#include "mbedtls/check_config.h"
#endif

#endif /* CRTO_MPS2_MBEDTLS_CONFIG_H */
