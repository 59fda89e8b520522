/*
 * arch/sys_arch.h - lwIP's OS types for the host NO_SYS=0 build, over
 * pthreads (implemented in ../sys_arch.c).
 *
 * Every type is a struct held by value: lwIP embeds semaphores, mutexes and
 * mailboxes in its own pool-allocated structs (netconn, tcpip), so holding
 * them by value means sys_arch never allocates - the same rule as the rest
 * of port/ (no malloc anywhere).
 */
#ifndef CRTO_LWIP_HOST_ARCH_SYS_ARCH_H
#define CRTO_LWIP_HOST_ARCH_SYS_ARCH_H

#include <pthread.h>

/* The largest mailbox; lwipopts.h keeps every *_MBOX_SIZE at or below it
 * (sys_mbox_new fails with ERR_MEM above it). */
#define CRTO_SYS_MBOX_MAX 128

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned count;
    int valid;
} sys_sem_t;

typedef struct {
    pthread_mutex_t m;
    int valid;
} sys_mutex_t;

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    void *msg[CRTO_SYS_MBOX_MAX];
    unsigned head;
    unsigned count;
    unsigned size;
    int valid;
} sys_mbox_t;

typedef pthread_t sys_thread_t;

#define sys_sem_valid(s) ((s)->valid != 0)
#define sys_sem_set_invalid(s) ((s)->valid = 0)
#define sys_mutex_valid(mu) ((mu)->valid != 0)
#define sys_mutex_set_invalid(mu) ((mu)->valid = 0)
#define sys_mbox_valid(mb) ((mb)->valid != 0)
#define sys_mbox_set_invalid(mb) ((mb)->valid = 0)

#endif /* CRTO_LWIP_HOST_ARCH_SYS_ARCH_H */
