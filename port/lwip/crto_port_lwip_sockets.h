/*
 * crto_port_lwip_sockets.h - crto's port over lwIP's BSD-style sockets, for
 * RTOS firmware (lwIP with NO_SYS=0, LWIP_SOCKET 1).
 *
 * Each call waits with lwip_poll() for at most its timeout_ms and then does
 * one non-blocking lwip_send/lwip_recv, so nothing blocks past the timeout
 * crto gives. Connect resolves names with dns_gethostbyname under the
 * tcpip core lock (LWIP_TCPIP_CORE_LOCKING 1), within the same timeout as
 * the non-blocking connect; without core locking it falls back to the
 * blocking netconn_gethostbyname, which only lwIP's DNS retries bound.
 * Sockets are closed with lwip_close, never libc's close; only lwip_*
 * names are used, so LWIP_COMPAT_SOCKETS may be 0, 1 or 2.
 *
 * lwIP has no entropy source and no wall clock: the integrator supplies
 * them (and, optionally, sleep and a log sink) in crto_lwip_sockets_config_t.
 *
 *   static crto_lwip_sockets_t net;
 *   static crto_port_t port;
 *   crto_lwip_sockets_config_t cfg = {0};
 *   cfg.entropy = board_trng;
 *   crto_lwip_sockets_port_init(&net, &port, &cfg);   // after tcpip_init
 *
 * One port instance serves one client, used from one thread at a time
 * (any thread but lwIP's tcpip thread).
 */
#ifndef CRTO_PORT_LWIP_SOCKETS_H
#define CRTO_PORT_LWIP_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto/crto_port.h"
#include "lwip/ip_addr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest host name connect accepts. */
#ifndef CRTO_LWIP_HOST_MAX
#define CRTO_LWIP_HOST_MAX 128
#endif

/* What the integrator supplies; copied by crto_lwip_sockets_port_init. */
typedef struct {
    /* Required for TLS: cryptographic entropy from the board's TRNG. */
    crto_err_t (*entropy)(void *app_ctx, uint8_t *buf, size_t len);
    /* Optional: a trusted wall clock (see crto_port.h); NULL if none. */
    crto_err_t (*utc_now)(void *app_ctx, int64_t *unix_seconds);
    /* Optional: sleep ms milliseconds; NULL uses lwIP's sys_msleep. */
    void (*sleep_ms)(void *app_ctx, uint32_t ms);
    /* Optional: where crto's log lines go; NULL for nowhere. */
    void (*log)(void *app_ctx, crto_log_level_t level, const char *line);
    void *app_ctx;
} crto_lwip_sockets_config_t;

/* One connection's state. The caller declares it and keeps it for as long
 * as the port is used (a late DNS answer may still write into it); all
 * fields are private. */
typedef struct {
    crto_lwip_sockets_config_t cfg;
    int fd; /* the lwIP socket, or -1                   */
    /* the name lookup in flight; written by lwIP's tcpip thread, read
     * under the core lock */
    bool dns_wait;
    bool dns_done;
    bool dns_found;
    ip_addr_t dns_addr;
    char dns_name[CRTO_LWIP_HOST_MAX];
    /* 64-bit clock from lwIP's 32-bit sys_now() */
    uint32_t clock_last;
    uint64_t clock_high;
} crto_lwip_sockets_t;

/* Fill port with the lwIP sockets functions over state s (which must
 * outlive the port) and the integrator's hooks in cfg (copied). Call it
 * after tcpip_init.
 *
 * The port's connect takes a literal address or a name (LWIP_DNS, a DNS
 * server or DNS_LOCAL_HOSTLIST entry) and returns CRTO_OK,
 * CRTO_ERR_CONNECT (no address, refused, no route, no free socket) or
 * CRTO_ERR_TIMEOUT; an open connection is closed first. send and recv
 * return bytes moved (the caller's buffer is not kept), 0 when nothing
 * moved within timeout_ms, -CRTO_ERR_CLOSED on the peer's FIN (recv), a
 * broken pipe (send) or with no connection, -CRTO_ERR_RESET on a reset or
 * any other socket error. close is lwip_close and is safe to call twice.
 * now_ms is sys_now() widened to 64 bits. entropy, utc_now and log are
 * cfg's (NULL stays NULL; crto_client_init reports a missing entropy as
 * CRTO_ERR_CONFIG); sleep_ms is cfg's or sys_msleep. */
void crto_lwip_sockets_port_init(crto_lwip_sockets_t *s, crto_port_t *port, const crto_lwip_sockets_config_t *cfg);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_PORT_LWIP_SOCKETS_H */
