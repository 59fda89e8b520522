/*
 * board_eth_null.c - see board_eth_null.h: a placeholder MAC driver.
 */
#include "board_eth_null.h"

#include <string.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"

static unsigned long frames_dropped;

static err_t null_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    (void)p;
    frames_dropped++; /* a real driver copies p's chain into the MAC's TX FIFO */
    return ERR_OK;
}

err_t board_eth_null_init(struct netif *netif)
{
    /* A locally administered address; a real board reads its own. */
    static const u8_t mac[6] = { 0x02, 0x00, 0x5a, 0xc0, 0xff, 0xee };

    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = null_linkoutput;
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

void board_eth_null_poll(struct netif *netif)
{
    /* A real driver: while the MAC has a frame, pbuf_alloc(PBUF_RAW, len,
     * PBUF_POOL), copy it in, and netif->input(p, netif) (freeing p if
     * that fails). This one never receives anything. */
    (void)netif;
}
