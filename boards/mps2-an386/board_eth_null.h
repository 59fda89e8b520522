/*
 * board_eth_null.h - the place of the Ethernet MAC driver in the
 * mps2-an386 firmware image (firmware.elf). It is a PLACEHOLDER: frames
 * sent are dropped and nothing is ever received, so the firmware image
 * links lwIP's real Ethernet, ARP, DHCP and DNS code paths without a MAC
 * driver. A real board puts its driver here (the MPS2 has an SMSC
 * LAN9118, which QEMU emulates too): init sets the MAC address and MTU,
 * linkoutput writes a frame to the MAC, and poll hands each received
 * frame (a PBUF_POOL pbuf) to netif->input.
 */
#ifndef CRTO_MPS2_BOARD_ETH_NULL_H
#define CRTO_MPS2_BOARD_ETH_NULL_H

#include "lwip/err.h"
#include "lwip/netif.h"

/* netif_add()'s init function. */
err_t board_eth_null_init(struct netif *netif);

/* The raw port's poll hook calls this: feed received frames to lwIP. */
void board_eth_null_poll(struct netif *netif);

#endif /* CRTO_MPS2_BOARD_ETH_NULL_H */
