/*
 * crto_port_lwip_raw.h - crto's port over lwIP's raw TCP API, for bare-metal
 * firmware without an RTOS (lwIP with NO_SYS=1, one polling super-loop).
 *
 * crto's port calls block until done or until their timeout_ms; on bare
 * metal nothing else runs lwIP meanwhile, so every wait here drives the
 * stack itself: it calls the integrator's poll hook (read the Ethernet
 * driver into netif->input; on the host test, netif_poll_all() for the
 * loopback interface) and sys_check_timeouts(), until the call is done or
 * timeout_ms has passed by sys_now(). sleep_ms drives lwIP the same way, so
 * TCP and ARP timers keep running while crto waits between retries.
 *
 * Received data is copied from lwIP's pbufs into a fixed ring inside
 * crto_lwip_raw_t (CRTO_LWIP_RX_BUF bytes) and the pbufs are freed at once;
 * whatever does not fit stays queued as pbufs. The TCP window is reopened
 * (tcp_recved) only as crto reads, so a slow reader slows the sender down
 * rather than exhausting the pbuf pool.
 *
 *   static crto_lwip_raw_t net;        // one connection: the ring lives here
 *   static crto_port_t port;
 *   crto_lwip_raw_config_t cfg = {0};
 *   cfg.poll = board_eth_poll;         // feeds received frames to netif->input
 *   cfg.entropy = board_trng;          // lwIP has no entropy source
 *   crto_lwip_raw_port_init(&net, &port, &cfg);
 *   crto_client_init(&client, &port, &client_cfg);
 *
 * Not reentrant: the poll hook must not call crto, and one port instance
 * serves one client in the one thread that runs lwIP.
 */
#ifndef CRTO_PORT_LWIP_RAW_H
#define CRTO_PORT_LWIP_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto/crto_port.h"
#include "lwip/ip_addr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of received data the port holds between lwIP and crto. Data beyond
 * it stays in lwIP's pbufs until crto reads; set TCP_WND no larger than
 * this to have every pbuf returned as soon as it arrives. */
#ifndef CRTO_LWIP_RX_BUF
#define CRTO_LWIP_RX_BUF 2048
#endif

/* The longest host name connect accepts (lwIP's DNS limit is
 * DNS_MAX_NAME_LENGTH, 256 by default). */
#ifndef CRTO_LWIP_HOST_MAX
#define CRTO_LWIP_HOST_MAX 128
#endif

/* What the integrator supplies; copied by crto_lwip_raw_port_init. */
typedef struct {
    /* Required: let lwIP receive. Called over and over while a port call
     * waits; it hands what the network driver received to netif->input
     * (or calls netif_poll_all() for the loopback interface) and returns.
     * It must not call crto. */
    void (*poll)(void *poll_ctx);
    void *poll_ctx;
    /* Optional: called between two polls while waiting, to save power
     * (e.g. __WFI() until the next interrupt). NULL: busy polling. */
    void (*idle)(void *poll_ctx);
    /* Required for TLS: cryptographic entropy from the board's TRNG. */
    crto_err_t (*entropy)(void *app_ctx, uint8_t *buf, size_t len);
    /* Optional: a trusted wall clock (see crto_port.h); NULL if none. */
    crto_err_t (*utc_now)(void *app_ctx, int64_t *unix_seconds);
    /* Optional: where crto's log lines go; NULL for nowhere. */
    void (*log)(void *app_ctx, crto_log_level_t level, const char *line);
    void *app_ctx;
} crto_lwip_raw_config_t;

/* One connection's state. The caller declares it (static, usually) and
 * keeps it for as long as the port is used; all fields are private. */
typedef struct {
    crto_lwip_raw_config_t cfg;
    struct tcp_pcb *pcb; /* NULL when no connection is open          */
    uint8_t state;       /* idle / connecting / open / failed        */
    bool peer_fin;       /* the peer sent FIN                        */
    bool established;    /* the handshake completed                  */
    int8_t lwip_err;     /* why lwIP dropped the pcb (tcp_err)        */
    uint8_t rx[CRTO_LWIP_RX_BUF];
    size_t rx_head;
    size_t rx_len;
    struct pbuf *held; /* received but not yet copied into rx      */
    /* the name lookup in flight, if any */
    bool dns_wait;
    bool dns_done;
    bool dns_found;
    ip_addr_t dns_addr;
    char dns_name[CRTO_LWIP_HOST_MAX];
    /* 64-bit clock from lwIP's 32-bit sys_now() */
    uint32_t clock_last;
    uint64_t clock_high;
} crto_lwip_raw_t;

/* Fill port with the raw-API functions over state s (which must outlive
 * the port) and the integrator's hooks in cfg (copied). lwIP must be
 * initialised (lwip_init) and a netif up before the first connect.
 *
 * The port's connect takes a literal IPv4 address or a name resolved with
 * dns_gethostbyname (LWIP_DNS and a DNS server set in lwIP), within the
 * same timeout as the TCP handshake; it returns CRTO_OK, CRTO_ERR_CONNECT
 * (no address, no route, refused, out of PCBs) or CRTO_ERR_TIMEOUT.
 * send copies up to tcp_sndbuf() bytes into lwIP (the caller's buffer is
 * not kept) and returns that count, 0 if lwIP had no room before
 * timeout_ms, -CRTO_ERR_RESET after a reset or abort, -CRTO_ERR_CLOSED
 * with no connection. recv returns buffered bytes first, then 0 on
 * timeout, -CRTO_ERR_CLOSED once the peer's FIN is reached (or with no
 * connection), -CRTO_ERR_RESET after a reset (buffered data is still
 * returned first). close frees the pcb (FIN; RST if unread data remains)
 * and is safe to call twice. now_ms is sys_now() widened to 64 bits (it
 * must be called at least once every 49 days). sleep_ms drives lwIP while
 * it waits. entropy, utc_now and log are cfg's (NULL stays NULL, and
 * crto_client_init reports a missing entropy as CRTO_ERR_CONFIG). */
void crto_lwip_raw_port_init(crto_lwip_raw_t *s, crto_port_t *port, const crto_lwip_raw_config_t *cfg);

/* Drive lwIP once: cfg.poll, then sys_check_timeouts(). For the
 * application's own loop between crto calls (a connection kept alive
 * still needs its ACKs and timers). */
void crto_lwip_raw_drive(crto_lwip_raw_t *s);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_PORT_LWIP_RAW_H */
