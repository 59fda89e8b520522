/*
 * raw/lwipopts.h - lwIP 2.1.3 for port/lwip's raw variant
 * (crto_port_lwip_raw.c): NO_SYS=1, the raw TCP API driven from one
 * polling loop, no threads, no OS. The host test adds the loopback
 * interface and statistics; nothing here is specific to the host, so a
 * bare-metal board (a Cortex-M4) can start from this file and change the
 * memory block and the two test-only lines marked below.
 */
#ifndef CRTO_LWIP_RAW_LWIPOPTS_H
#define CRTO_LWIP_RAW_LWIPOPTS_H

/* ---- system: one thread of control, no OS */
#define NO_SYS 1
/* The super-loop is the only lwIP caller. A board whose Ethernet interrupt
 * touches lwIP must set this to 1 and provide sys_arch_protect. */
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0

/* ---- memory: lwIP's own heap and pools (no libc malloc) */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
/* The pointer size: lwIP stores pointers in its pools, and 4 on x86-64
 * gave misaligned stores (caught by UBSan). 4 on a Cortex-M. */
#define MEM_ALIGNMENT __SIZEOF_POINTER__
#define MEM_SIZE (32 * 1024)
#define MEMP_NUM_PBUF 32
#define MEMP_NUM_TCP_PCB 8
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG 64
#define PBUF_POOL_SIZE 24

/* ---- protocols */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DNS 1
#define LWIP_DHCP 1
/* Test only: the loopback interface at 127.0.0.1 (lwip_init adds it; with
 * NO_SYS=1 its queue is drained by netif_poll_all() from the poll hook). */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1

/* ---- TCP: the receive window is larger than the port's default ring
 * (CRTO_LWIP_RX_BUF 2048) on purpose here, so the test also covers data
 * held back as pbufs while the ring is full. A board short of pbufs sets
 * TCP_WND <= CRTO_LWIP_RX_BUF so every pbuf goes back at once. */
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* Test only: a short TIME_WAIT (2 * TCP_MSL) so the leak check sees every
 * PCB freed soon after the last close. */
#define TCP_MSL 200UL

/* ---- statistics, read by the leak checks */
#define LWIP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define LWIP_STATS_DISPLAY 0

#endif /* CRTO_LWIP_RAW_LWIPOPTS_H */
