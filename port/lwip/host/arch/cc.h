/*
 * arch/cc.h - lwIP's compiler and platform glue for the host builds of
 * port/lwip (Linux, gcc or clang, x86-64 or any other Debian architecture).
 * Used by all three host configurations (raw/, tap/ and the sockets
 * lwipopts.h beside this folder); a board brings its own.
 */
#ifndef CRTO_LWIP_HOST_ARCH_CC_H
#define CRTO_LWIP_HOST_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
/* ssize_t from the C library in every translation unit: lwIP would make it
 * an int when SSIZE_MAX is missing (as under -std=c11), and lwip_send()
 * would then return a different type in crto's objects than in lwIP's. */
#include <limits.h>
#include <sys/types.h>
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif
#define LWIP_NO_UNISTD_H 1
/* struct timeval comes from the C library (LWIP_TIMEVAL_PRIVATE 0), so an
 * application may include <sys/time.h> next to lwIP's socket header. */
#include <sys/time.h>

/* lwIP's errno values are the C library's (LWIP_ERRNO_STDINCLUDE): each
 * thread gets its own errno, as lwIP's sockets expect. */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE 0

/* glibc provides htons and friends, but only through headers lwIP's own
 * sources must not see next to lwip/sockets.h; lwIP's own lwip_htons is
 * used everywhere instead. */

#define LWIP_RAND() ((u32_t)rand())

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        printf x;             \
    } while (0)

/* A failed lwIP assertion is a bug in the configuration or the port:
 * stop at once with the message rather than run on corrupted state. */
#define LWIP_PLATFORM_ASSERT(x)                                                                 \
    do {                                                                                        \
        fprintf(stderr, "lwIP assertion \"%s\" failed at line %d in %s\n", x, __LINE__, __FILE__); \
        fflush(NULL);                                                                           \
        abort();                                                                                \
    } while (0)

typedef int sys_prot_t;

#endif /* CRTO_LWIP_HOST_ARCH_CC_H */
