/*
 * tapif.c - see tapif.h. Written for crto's end-to-end test; lwIP's unix
 * port (contrib) was only read for the shape of it.
 *
 * Frames go out from lwIP's tcpip thread (linkoutput, core lock held) with
 * one write(); a reader thread polls the device and passes each frame to
 * netif->input, which queues it for the tcpip thread (tcpip_input).
 */
#define _DEFAULT_SOURCE /* struct ifreq, IFNAMSIZ */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "tapif.h"

/* An Ethernet frame without FCS: 14 bytes of header, 1500 of payload, and
 * room for a VLAN tag. */
#define FRAME_MAX 1518

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p)
{
    crto_tapif_t *tap = netif->state;
    uint8_t frame[FRAME_MAX];
    u16_t n;
    ssize_t w;
    if (p->tot_len > sizeof frame) {
        return ERR_BUF;
    }
    n = pbuf_copy_partial(p, frame, p->tot_len, 0);
    do {
        w = write(tap->fd, frame, n);
    } while (w < 0 && errno == EINTR);
    return w == (ssize_t)n ? ERR_OK : ERR_IF;
}

static void *tap_reader(void *arg)
{
    crto_tapif_t *tap = arg;
    uint8_t frame[FRAME_MAX];
    while (!tap->stop) {
        struct pollfd pfd;
        ssize_t n;
        struct pbuf *p;
        pfd.fd = tap->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        /* wake up now and then to see whether stop was asked */
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        n = read(tap->fd, frame, sizeof frame);
        if (n <= 0) {
            continue;
        }
        p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_POOL);
        if (p == NULL) {
            continue; /* out of pool pbufs: dropped, TCP resends */
        }
        (void)pbuf_take(p, frame, (u16_t)n);
        if (tap->netif->input(p, tap->netif) != ERR_OK) {
            (void)pbuf_free(p);
        }
    }
    return NULL;
}

err_t crto_tapif_init(struct netif *netif)
{
    static const u8_t mac[6] = {0x02, 0x00, 0x00, 0x77, 0x00, 0x02};
    crto_tapif_t *tap = netif->state;
    struct ifreq ifr;

    tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tap->fd < 0) {
        return ERR_IF;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    /* both are IFNAMSIZ arrays; the name is NUL-terminated within it */
    memcpy(ifr.ifr_name, tap->name, sizeof ifr.ifr_name < sizeof tap->name ? sizeof ifr.ifr_name : sizeof tap->name);
    ifr.ifr_name[sizeof ifr.ifr_name - 1] = '\0';
    if (ioctl(tap->fd, TUNSETIFF, (void *)&ifr) < 0) {
        (void)close(tap->fd);
        tap->fd = -1;
        return ERR_IF;
    }
    tap->netif = netif;
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->output = etharp_output;
    netif->linkoutput = tap_linkoutput;
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    tap->stop = 0;
    if (pthread_create(&tap->reader, NULL, tap_reader, tap) != 0) {
        (void)close(tap->fd);
        tap->fd = -1;
        return ERR_IF;
    }
    tap->running = 1;
    return ERR_OK;
}

void crto_tapif_stop(crto_tapif_t *tap)
{
    if (tap->netif == NULL) {
        return; /* never attached */
    }
    if (tap->running) {
        tap->stop = 1;
        (void)pthread_join(tap->reader, NULL);
        tap->running = 0;
    }
    if (tap->fd >= 0) {
        (void)close(tap->fd);
        tap->fd = -1;
    }
    tap->netif = NULL;
}
