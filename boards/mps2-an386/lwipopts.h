/*
 * lwipopts.h - lwIP 2.1.3 for the mps2-an386 board: NO_SYS=1, the raw TCP
 * API driven from one polling super-loop (port/lwip/crto_port_lwip_raw.c),
 * no threads, no OS, no libc malloc. Derived from
 * port/lwip/host/raw/lwipopts.h with the host test's bits taken out and
 * the memory sized for one kiosk: ONE TCP connection to Criteo at a time.
 *
 * Two builds of lwIP use this file (boards/mps2-an386/rules.mk):
 *
 *   firmware.elf  the kiosk firmware: an Ethernet interface (ARP, DHCP, DNS),
 *                 no loopback. The figures below are for it.
 *   e2e.elf       the end-to-end test image: CRTO_MPS2_LWIP_E2E is defined,
 *                 which adds the loopback interface (127.0.0.1, and "localhost"
 *                 resolved to it by lwIP's DNS), room for the second end of
 *                 the connection (the in-image server playing Criteo lives in
 *                 the same lwIP) and statistics, so the image can print
 *                 lwIP's heap high-water. The TCP settings are the firmware's.
 */
#ifndef CRTO_MPS2_LWIPOPTS_H
#define CRTO_MPS2_LWIPOPTS_H

/* ---- system: one thread of control, no OS */
#define NO_SYS 1
/* The super-loop is the only lwIP caller. An Ethernet driver whose
 * interrupt touches lwIP must set this to 1 and provide sys_arch_protect. */
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0

/* ---- memory: lwIP's own heap and pools (no libc malloc) */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 4
/* The heap holds the PBUF_RAM buffers: tcp_write copies (at most
 * TCP_SND_BUF unacknowledged), outgoing headers, DHCP/DNS messages. */
#define MEM_SIZE (6 * 1024)
#define MEMP_NUM_PBUF 8
/* crto's connection, a closing one still in TIME_WAIT, a spare */
#define MEMP_NUM_TCP_PCB 3
#define MEMP_NUM_TCP_PCB_LISTEN 1
#define MEMP_NUM_UDP_PCB 2 /* DHCP, DNS */
#define MEMP_NUM_TCP_SEG 8
#define MEMP_NUM_REASSDATA 2
#define MEMP_NUM_FRAG_PBUF 4
#define MEMP_NUM_ARP_QUEUE 4
/* Received frames: the MAC driver allocates them from this pool. Two
 * full-size buffers cover TCP_WND. */
#define PBUF_POOL_SIZE 4

/* ---- protocols */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_RAW 0
#define LWIP_IGMP 0
#define LWIP_DNS 1
#define LWIP_DHCP 1
#define DNS_MAX_SERVERS 2
#define DNS_TABLE_SIZE 2
#define IP_REASSEMBLY 0 /* TCP segments fit the MTU; nothing big is fragmented */
#define IP_FRAG 0

/* ---- TCP: one connection, windows to match crto's buffers. The port's
 * receive ring is CRTO_LWIP_RX_BUF (2048) bytes; a window of two full
 * segments keeps at most ~900 B queued as pbufs beyond it. crto hands
 * mbedTLS 2 KB per write, one TLS record of ~2.1 KB, so TCP_SND_BUF takes
 * a record and the start of the next. */
#define TCP_MSS 1460
#define TCP_WND (2 * TCP_MSS)
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_SND_QUEUELEN 8
#define TCP_QUEUE_OOSEQ 0 /* no out-of-order queue: a lost segment is resent */
#define LWIP_TCP_KEEPALIVE 0
#define LWIP_ALTCP 0

/* ---- no statistics, no debug output in the firmware */
#define LWIP_STATS 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

#ifdef CRTO_MPS2_LWIP_E2E
/* Test image only. The loopback interface at 127.0.0.1 (lwip_init adds it;
 * with NO_SYS=1 its queue is drained by netif_poll_all() from the port's
 * poll hook), and lwIP's DNS answers "localhost" with it. */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
/* Both ends of the connection live in this lwIP: the client's send queue,
 * the packets queued on the loopback interface (copied into the heap) and
 * the server's. */
#undef MEM_SIZE
#define MEM_SIZE (16 * 1024)
#undef MEMP_NUM_TCP_PCB
#define MEMP_NUM_TCP_PCB 6
#undef MEMP_NUM_TCP_SEG
#define MEMP_NUM_TCP_SEG 16
#undef MEMP_NUM_PBUF
#define MEMP_NUM_PBUF 16
/* lwIP's heap and pool high-water, printed by the image. */
#undef LWIP_STATS
#define LWIP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define ICMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define SYS_STATS 0
#endif

#endif /* CRTO_MPS2_LWIPOPTS_H */
