/*
 * tap/lwipopts.h - the sockets configuration (../lwipopts.h) for the
 * end-to-end test through a TAP device (tests/lwip/e2e_tap.c), with two
 * changes:
 *
 * - no loopback interface: lwIP would answer "localhost" with 127.0.0.1
 *   before looking anywhere else (dns.c), and the fake Criteo server's
 *   certificate names only localhost, so the test maps "localhost" to the
 *   server's TAP address in lwIP's local host list;
 * - that local host list, filled at run time with dns_local_addhost.
 */
#ifndef CRTO_LWIP_HOST_TAP_LWIPOPTS_H
#define CRTO_LWIP_HOST_TAP_LWIPOPTS_H

#include "../lwipopts.h"

#undef LWIP_HAVE_LOOPIF
#define LWIP_HAVE_LOOPIF 0
#define DNS_LOCAL_HOSTLIST 1
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 1
#define MEMP_NUM_LOCALHOSTLIST 2

#endif /* CRTO_LWIP_HOST_TAP_LWIPOPTS_H */
