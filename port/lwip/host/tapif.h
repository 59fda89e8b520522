/*
 * tapif.h - an lwIP network interface on a Linux TAP device, for the host
 * end-to-end test (NO_SYS=0): lwIP at one end of an Ethernet link, the
 * kernel (and a real server) at the other. Not for firmware.
 *
 *   static crto_tapif_t tap = {"tap0"};
 *   LOCK_TCPIP_CORE();
 *   netif_add(&nif, &ip, &mask, &gw, &tap, crto_tapif_init, tcpip_input);
 *   netif_set_default(&nif); netif_set_up(&nif);
 *   UNLOCK_TCPIP_CORE();
 *   ...
 *   crto_tapif_stop(&tap);
 */
#ifndef CRTO_LWIP_TAPIF_H
#define CRTO_LWIP_TAPIF_H

#include <pthread.h>

#include "lwip/err.h"
#include "lwip/netif.h"

typedef struct {
    char name[16];     /* the TAP device to attach to (it must exist)    */
    int fd;            /* /dev/net/tun, attached to it                   */
    pthread_t reader;
    int running;
    volatile int stop;
    struct netif *netif;
} crto_tapif_t;

/* netif_add's init function; netif->state is a crto_tapif_t whose name is
 * set. Opens /dev/net/tun, attaches to the device (IFF_TAP | IFF_NO_PI) and
 * starts a reader thread that hands every frame to netif->input (pass
 * tcpip_input to netif_add). Returns ERR_OK, or ERR_IF when the device
 * cannot be opened (not root, no /dev/net/tun, no such device). */
err_t crto_tapif_init(struct netif *netif);

/* Stop the reader thread and close the device. Safe to call twice. */
void crto_tapif_stop(crto_tapif_t *tap);

#endif /* CRTO_LWIP_TAPIF_H */
