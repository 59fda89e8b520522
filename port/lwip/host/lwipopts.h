/*
 * lwipopts.h - lwIP 2.1.3 for the host test of port/lwip's sockets variant
 * (crto_port_lwip_sockets.c): NO_SYS=0 over pthreads (sys_arch.c), the
 * loopback interface at 127.0.0.1 so client and server share one process,
 * lwIP's own heap and pools as on a device (no libc malloc), and statistics
 * so the tests can prove that nothing leaks.
 *
 * An RTOS firmware starts from the same list: keep the API block, size the
 * memory block for its RAM, drop LWIP_HAVE_LOOPIF and the statistics.
 */
#ifndef CRTO_LWIP_HOST_LWIPOPTS_H
#define CRTO_LWIP_HOST_LWIPOPTS_H

/* ---- system */
#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define TCPIP_THREAD_STACKSIZE 0
#define TCPIP_THREAD_PRIO 0
#define DEFAULT_THREAD_STACKSIZE 0
/* Mailboxes stay within CRTO_SYS_MBOX_MAX (arch/sys_arch.h). */
#define TCPIP_MBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 64
#define DEFAULT_ACCEPTMBOX_SIZE 8
#define DEFAULT_UDP_RECVMBOX_SIZE 8
#define DEFAULT_RAW_RECVMBOX_SIZE 8

/* ---- APIs: netconn and BSD-style sockets with lwip_* names only (the
 * compat macros would rename connect/send/recv/close, which are also
 * crto_port_t's member names). */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_NETIF_API 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_LINGER 1 /* the tests reset a connection with linger 0 */
#define SO_REUSE 1

/* ---- memory: lwIP's own heap and pools, as on a device */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (256 * 1024)
#define MEMP_NUM_PBUF 64
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 128
#define MEMP_NUM_NETCONN 16
#define MEMP_NUM_NETBUF 16
#define MEMP_NUM_TCPIP_MSG_API 32
#define MEMP_NUM_TCPIP_MSG_INPKT 128
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE 64

/* ---- protocols */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DNS 1
#define LWIP_DHCP 0
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1 /* lwip_init adds 127.0.0.1/8 */

/* ---- TCP */
#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define LWIP_TCP_KEEPALIVE 1
/* TIME_WAIT lasts 2 * TCP_MSL: short, so a test sees every PCB freed
 * within a second of the last close. */
#define TCP_MSL 200UL

/* ---- statistics, read by the leak checks */
#define LWIP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define LWIP_STATS_DISPLAY 0

#endif /* CRTO_LWIP_HOST_LWIPOPTS_H */
