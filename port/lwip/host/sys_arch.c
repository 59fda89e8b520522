/*
 * sys_arch.c - lwIP's operating-system layer for the host builds of
 * port/lwip, written for crto (lwIP's own unix port was only read).
 *
 * NO_SYS=1 (raw/lwipopts.h): only sys_now, from CLOCK_MONOTONIC.
 * NO_SYS=0 (lwipopts.h, tap/lwipopts.h): semaphores, mutexes, mailboxes and
 * threads over pthreads, plus the lightweight protection lock.
 *
 * Nothing here allocates: the types are structs held by value inside
 * lwIP's own structs (arch/sys_arch.h), and threads get their start
 * arguments from a fixed table.
 */
#define _XOPEN_SOURCE 700 /* clock_gettime, recursive mutexes, condattr_setclock */

#include <errno.h>
#include <time.h>

#include "lwip/opt.h"
#include "lwip/sys.h"

static struct timespec mono_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

u32_t sys_now(void)
{
    struct timespec ts = mono_now();
    /* lwIP's timers compare u32_t differences, so wrapping is fine. */
    return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

#if !NO_SYS

#include <pthread.h>

#include "lwip/err.h"

/* ------------------------------------------------------------ helpers */

/* Condition variables wait on CLOCK_MONOTONIC so that setting the wall
 * clock never stretches or cuts an lwIP timeout. */
static void cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    (void)pthread_condattr_init(&a);
    (void)pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    (void)pthread_cond_init(c, &a);
    (void)pthread_condattr_destroy(&a);
}

static struct timespec deadline_after(u32_t ms)
{
    struct timespec ts = mono_now();
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Wait on c (m held) until woken, or until deadline when timeout_ms != 0.
 * Returns 0, or ETIMEDOUT. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, u32_t timeout_ms, const struct timespec *deadline)
{
    if (timeout_ms == 0) {
        return pthread_cond_wait(c, m);
    }
    return pthread_cond_timedwait(c, m, deadline);
}

/* Milliseconds since start, kept below SYS_ARCH_TIMEOUT (which means
 * "timed out" to lwIP). */
static u32_t elapsed_since(u32_t start)
{
    u32_t d = sys_now() - start;
    return d >= SYS_ARCH_TIMEOUT ? SYS_ARCH_TIMEOUT - 1u : d;
}

/* ------------------------------------------------------------ init, protection */

static pthread_mutex_t prot_lock;
static pthread_once_t prot_once = PTHREAD_ONCE_INIT;

static void prot_init(void)
{
    /* Recursive: lwIP may nest SYS_ARCH_PROTECT in one thread. */
    pthread_mutexattr_t a;
    (void)pthread_mutexattr_init(&a);
    (void)pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    (void)pthread_mutex_init(&prot_lock, &a);
    (void)pthread_mutexattr_destroy(&a);
}

void sys_init(void)
{
    (void)pthread_once(&prot_once, prot_init);
}

sys_prot_t sys_arch_protect(void)
{
    (void)pthread_once(&prot_once, prot_init);
    (void)pthread_mutex_lock(&prot_lock);
    return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
    (void)pval;
    (void)pthread_mutex_unlock(&prot_lock);
}

/* ------------------------------------------------------------ semaphores */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
    (void)pthread_mutex_init(&sem->m, NULL);
    cond_init(&sem->c);
    sem->count = count;
    sem->valid = 1;
    return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
    (void)pthread_cond_destroy(&sem->c);
    (void)pthread_mutex_destroy(&sem->m);
    sem->valid = 0;
}

void sys_sem_signal(sys_sem_t *sem)
{
    (void)pthread_mutex_lock(&sem->m);
    sem->count++;
    (void)pthread_cond_signal(&sem->c);
    (void)pthread_mutex_unlock(&sem->m);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
    u32_t start = sys_now();
    struct timespec dl = deadline_after(timeout);
    u32_t rc;
    (void)pthread_mutex_lock(&sem->m);
    while (sem->count == 0) {
        if (cond_wait(&sem->c, &sem->m, timeout, &dl) == ETIMEDOUT && sem->count == 0) {
            (void)pthread_mutex_unlock(&sem->m);
            return SYS_ARCH_TIMEOUT;
        }
    }
    sem->count--;
    rc = elapsed_since(start);
    (void)pthread_mutex_unlock(&sem->m);
    return rc;
}

/* ------------------------------------------------------------ mutexes */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
    (void)pthread_mutex_init(&mutex->m, NULL);
    mutex->valid = 1;
    return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
    (void)pthread_mutex_destroy(&mutex->m);
    mutex->valid = 0;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
    (void)pthread_mutex_lock(&mutex->m);
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
    (void)pthread_mutex_unlock(&mutex->m);
}

/* ------------------------------------------------------------ mailboxes */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
    if (size <= 0 || size > CRTO_SYS_MBOX_MAX) {
        /* lwIP passes 0 for "any size" in a few places: give the maximum. */
        if (size != 0) {
            return ERR_MEM;
        }
        size = CRTO_SYS_MBOX_MAX;
    }
    (void)pthread_mutex_init(&mbox->m, NULL);
    cond_init(&mbox->not_empty);
    cond_init(&mbox->not_full);
    mbox->head = 0;
    mbox->count = 0;
    mbox->size = (unsigned)size;
    mbox->valid = 1;
    return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
    (void)pthread_cond_destroy(&mbox->not_full);
    (void)pthread_cond_destroy(&mbox->not_empty);
    (void)pthread_mutex_destroy(&mbox->m);
    mbox->valid = 0;
}

static void mbox_put(sys_mbox_t *mbox, void *msg)
{
    mbox->msg[(mbox->head + mbox->count) % mbox->size] = msg;
    mbox->count++;
    (void)pthread_cond_signal(&mbox->not_empty);
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
    (void)pthread_mutex_lock(&mbox->m);
    while (mbox->count == mbox->size) {
        (void)pthread_cond_wait(&mbox->not_full, &mbox->m);
    }
    mbox_put(mbox, msg);
    (void)pthread_mutex_unlock(&mbox->m);
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
    err_t e = ERR_MEM;
    (void)pthread_mutex_lock(&mbox->m);
    if (mbox->count < mbox->size) {
        mbox_put(mbox, msg);
        e = ERR_OK;
    }
    (void)pthread_mutex_unlock(&mbox->m);
    return e;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
    return sys_mbox_trypost(mbox, msg);
}

static void *mbox_take(sys_mbox_t *mbox)
{
    void *msg = mbox->msg[mbox->head];
    mbox->head = (mbox->head + 1u) % mbox->size;
    mbox->count--;
    (void)pthread_cond_signal(&mbox->not_full);
    return msg;
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
    u32_t start = sys_now();
    struct timespec dl = deadline_after(timeout);
    void *m;
    u32_t rc;
    (void)pthread_mutex_lock(&mbox->m);
    while (mbox->count == 0) {
        if (cond_wait(&mbox->not_empty, &mbox->m, timeout, &dl) == ETIMEDOUT && mbox->count == 0) {
            (void)pthread_mutex_unlock(&mbox->m);
            if (msg != NULL) {
                *msg = NULL;
            }
            return SYS_ARCH_TIMEOUT;
        }
    }
    m = mbox_take(mbox);
    rc = elapsed_since(start);
    (void)pthread_mutex_unlock(&mbox->m);
    if (msg != NULL) {
        *msg = m;
    }
    return rc;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
    void *m;
    (void)pthread_mutex_lock(&mbox->m);
    if (mbox->count == 0) {
        (void)pthread_mutex_unlock(&mbox->m);
        return SYS_MBOX_EMPTY;
    }
    m = mbox_take(mbox);
    (void)pthread_mutex_unlock(&mbox->m);
    if (msg != NULL) {
        *msg = m;
    }
    return 0;
}

/* ------------------------------------------------------------ threads */

/* pthread wants void *(*)(void *); lwIP gives void (*)(void *). Each
 * thread's function and argument wait in a fixed slot until it reads them. */
#define SYS_THREADS_MAX 16

typedef struct {
    lwip_thread_fn fn;
    void *arg;
    int used;
} thread_slot_t;

static thread_slot_t thread_slots[SYS_THREADS_MAX];
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_start(void *p)
{
    thread_slot_t *slot = p;
    lwip_thread_fn fn;
    void *arg;
    (void)pthread_mutex_lock(&thread_lock);
    fn = slot->fn;
    arg = slot->arg;
    slot->used = 0;
    (void)pthread_mutex_unlock(&thread_lock);
    fn(arg);
    return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize, int prio)
{
    pthread_t t;
    thread_slot_t *slot = NULL;
    unsigned i;
    (void)name;
    (void)stacksize;
    (void)prio;
    (void)pthread_mutex_lock(&thread_lock);
    for (i = 0; i < SYS_THREADS_MAX; i++) {
        if (!thread_slots[i].used) {
            slot = &thread_slots[i];
            slot->fn = thread;
            slot->arg = arg;
            slot->used = 1;
            break;
        }
    }
    (void)pthread_mutex_unlock(&thread_lock);
    LWIP_ASSERT("sys_thread_new: too many threads starting at once", slot != NULL);
    if (pthread_create(&t, NULL, thread_start, slot) != 0) {
        LWIP_ASSERT("sys_thread_new: pthread_create failed", 0);
    }
    /* lwIP never joins its threads (tcpip runs for the process's life). */
    (void)pthread_detach(t);
    return t;
}

#endif /* !NO_SYS */
