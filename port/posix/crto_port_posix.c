/*
 * crto_port_posix.c - crto_port_t over BSD sockets and POSIX clocks.
 */
#define _GNU_SOURCE /* getrandom, MSG_NOSIGNAL on older libcs */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "crto_port_posix.h"

static uint64_t posix_now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for fd to become ready for events, at most timeout_ms. */
static int wait_fd(int fd, short events, uint32_t timeout_ms)
{
    struct pollfd pfd;
    int rc;
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    do {
        rc = poll(&pfd, 1, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static crto_err_t try_connect(const struct addrinfo *ai, uint32_t timeout_ms, int *out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, err = 0, rc;
    socklen_t elen = sizeof err;

    if (fd < 0) {
        return CRTO_ERR_CONNECT;
    }
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno != EINPROGRESS) {
        (void)close(fd);
        return CRTO_ERR_CONNECT;
    }
    if (rc < 0) {
        rc = wait_fd(fd, POLLOUT, timeout_ms);
        if (rc == 0) {
            (void)close(fd);
            return CRTO_ERR_TIMEOUT;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
            (void)close(fd);
            return CRTO_ERR_CONNECT;
        }
    }
    /* Requests go out as whole windows: Nagle would only add latency. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *out = fd;
    return CRTO_OK;
}

static crto_err_t posix_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    crto_posix_t *p = ctx;
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    crto_err_t e = CRTO_ERR_CONNECT;
    uint64_t deadline = posix_now_ms(ctx) + timeout_ms;

    if (p->fd >= 0) {
        (void)close(p->fd);
        p->fd = -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    (void)snprintf(service, sizeof service, "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        return CRTO_ERR_RESOLVE;
    }
    /* Try every address (localhost may list ::1 before 127.0.0.1). */
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        uint64_t now = posix_now_ms(ctx);
        if (now >= deadline) {
            e = CRTO_ERR_TIMEOUT;
            break;
        }
        e = try_connect(ai, (uint32_t)(deadline - now), &p->fd);
        if (e == CRTO_OK) {
            break;
        }
    }
    freeaddrinfo(res);
    return e;
}

static int32_t posix_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_posix_t *p = ctx;
    ssize_t n;
    int rc;
    if (p->fd < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    rc = wait_fd(p->fd, POLLOUT, timeout_ms);
    if (rc == 0) {
        return 0;
    }
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    do {
        n = send(p->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        return errno == EPIPE ? -(int32_t)CRTO_ERR_CLOSED : -(int32_t)CRTO_ERR_RESET;
    }
    return (int32_t)n;
}

static int32_t posix_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_posix_t *p = ctx;
    ssize_t n;
    int rc;
    if (p->fd < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    rc = wait_fd(p->fd, POLLIN, timeout_ms);
    if (rc == 0) {
        return 0;
    }
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    do {
        n = recv(p->fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -(int32_t)CRTO_ERR_RESET;
    }
    return (int32_t)n;
}

static void posix_close(void *ctx)
{
    crto_posix_t *p = ctx;
    if (p->fd >= 0) {
        (void)close(p->fd);
        p->fd = -1;
    }
}

static crto_err_t posix_utc_now(void *ctx, int64_t *unix_seconds)
{
    struct timespec ts;
    (void)ctx;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return CRTO_ERR_IO;
    }
    *unix_seconds = (int64_t)ts.tv_sec;
    return CRTO_OK;
}

static crto_err_t posix_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return CRTO_ERR_IO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return CRTO_OK;
}

static void posix_sleep_ms(void *ctx, uint32_t ms)
{
    struct timespec ts;
    (void)ctx;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void posix_log(void *ctx, crto_log_level_t level, const char *line)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    crto_posix_t *p = ctx;
    if (p->log_stream != NULL && level <= p->log_level) {
        (void)fprintf(p->log_stream, "crto %s: %s\n", names[level <= CRTO_LOG_DEBUG ? level : CRTO_LOG_DEBUG], line);
    }
}

void crto_posix_port_init(crto_posix_t *p, crto_port_t *port, FILE *log_stream, crto_log_level_t log_level)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->log_stream = log_stream;
    p->log_level = log_level;
    memset(port, 0, sizeof *port);
    port->ctx = p;
    port->connect = posix_connect;
    port->send = posix_send;
    port->recv = posix_recv;
    port->close = posix_close;
    port->now_ms = posix_now_ms;
    port->utc_now = posix_utc_now;
    port->entropy = posix_entropy;
    port->sleep_ms = posix_sleep_ms;
    port->log = posix_log;
}

crto_err_t crto_posix_read_ca(const char *path, char *buf, size_t cap, size_t *len, crto_diag_t *diag)
{
    const char *name = path != NULL ? path : CRTO_POSIX_SYSTEM_CA;
    FILE *f = fopen(name, "rb");
    size_t n;
    if (f == NULL) {
        return crto_diag_set(diag, CRTO_ERR_IO, "cannot open CA file %s: %s", name, strerror(errno));
    }
    n = fread(buf, 1, cap > 0 ? cap - 1 : 0, f);
    if (ferror(f)) {
        (void)fclose(f);
        return crto_diag_set(diag, CRTO_ERR_IO, "cannot read CA file %s", name);
    }
    if (n == cap - 1 && fgetc(f) != EOF) {
        (void)fclose(f);
        return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "CA file %s is larger than its buffer (%zu bytes)", name, cap);
    }
    (void)fclose(f);
    buf[n] = '\0';
    *len = n + 1;
    return CRTO_OK;
}
