/*
 * crto_port_lwip_sockets.c - crto_port_t over lwIP's sockets (NO_SYS=0).
 *
 * The socket is non-blocking from the start: every wait is one lwip_poll()
 * bounded by the caller's timeout, followed by one non-blocking call.
 */
#include <string.h>

#include "crto_port_lwip_sockets.h"
#include "lwip/api.h"
#include "lwip/dns.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#if !LWIP_SOCKET || NO_SYS
#error "crto_port_lwip_sockets needs NO_SYS=0 and LWIP_SOCKET=1 (see port/lwip/host/lwipopts.h)"
#endif
#if !LWIP_SOCKET_POLL
#error "crto_port_lwip_sockets waits with lwip_poll: set LWIP_SOCKET_POLL 1"
#endif

static uint32_t since(uint32_t start)
{
    return (uint32_t)(sys_now() - start);
}

static void port_log(crto_lwip_sockets_t *s, crto_log_level_t level, const char *line)
{
    if (s->cfg.log != NULL) {
        s->cfg.log(s->cfg.app_ctx, level, line);
    }
}

/* Wait for events on fd for at most timeout_ms. Returns the revents
 * (0 on timeout), or -1 when lwip_poll failed. */
static int wait_fd(int fd, short events, uint32_t timeout_ms)
{
    struct pollfd pfd;
    int rc;
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    rc = lwip_poll(&pfd, 1, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
    if (rc < 0) {
        return -1;
    }
    return rc == 0 ? 0 : pfd.revents;
}

/* ------------------------------------------------------------ names */

#if LWIP_DNS && LWIP_TCPIP_CORE_LOCKING
/* Runs in the tcpip thread (core lock held). */
static void on_dns(const char *name, const ip_addr_t *addr, void *arg)
{
    crto_lwip_sockets_t *s = arg;
    /* an answer to a lookup that already timed out is not ours any more */
    if (!s->dns_wait || strcmp(name, s->dns_name) != 0) {
        return;
    }
    s->dns_done = true;
    s->dns_found = addr != NULL;
    if (addr != NULL) {
        ip_addr_copy(s->dns_addr, *addr);
    }
}

/* How often a pending lookup is looked at: short next to DNS round trips,
 * long enough not to contend for the core lock. */
#define DNS_POLL_MS 5u

static crto_err_t lookup(crto_lwip_sockets_t *s, const char *host, uint32_t start, uint32_t timeout_ms, ip_addr_t *addr)
{
    size_t len = strlen(host);
    bool done, found;
    err_t e;
    if (len == 0 || len >= sizeof s->dns_name) {
        return CRTO_ERR_CONNECT;
    }
    LOCK_TCPIP_CORE();
    memcpy(s->dns_name, host, len + 1);
    s->dns_done = false;
    s->dns_found = false;
    s->dns_wait = true;
    e = dns_gethostbyname(host, addr, on_dns, s);
    if (e != ERR_INPROGRESS) {
        s->dns_wait = false;
    }
    UNLOCK_TCPIP_CORE();
    if (e == ERR_OK) {
        return CRTO_OK;
    }
    if (e != ERR_INPROGRESS) {
        port_log(s, CRTO_LOG_WARN, "lwip: name lookup failed");
        return CRTO_ERR_RESOLVE;
    }
    for (;;) {
        LOCK_TCPIP_CORE();
        done = s->dns_done;
        found = s->dns_found;
        if (done) {
            ip_addr_copy(*addr, s->dns_addr);
        }
        if (done || since(start) >= timeout_ms) {
            s->dns_wait = false; /* a late answer is ignored */
        }
        UNLOCK_TCPIP_CORE();
        if (done) {
            break;
        }
        if (since(start) >= timeout_ms) {
            port_log(s, CRTO_LOG_WARN, "lwip: name lookup timed out");
            return CRTO_ERR_TIMEOUT;
        }
        sys_msleep(DNS_POLL_MS);
    }
    if (!found) {
        port_log(s, CRTO_LOG_WARN, "lwip: name not found");
        return CRTO_ERR_RESOLVE;
    }
    return CRTO_OK;
}
#elif LWIP_DNS
/* Without core locking the callback API is out of reach from here; the
 * blocking lookup is bounded by lwIP's DNS retries, not by timeout_ms. */
static crto_err_t lookup(crto_lwip_sockets_t *s, const char *host, uint32_t start, uint32_t timeout_ms, ip_addr_t *addr)
{
    (void)start;
    (void)timeout_ms;
    if (netconn_gethostbyname(host, addr) != ERR_OK) {
        port_log(s, CRTO_LOG_WARN, "lwip: name lookup failed");
        return CRTO_ERR_RESOLVE;
    }
    return CRTO_OK;
}
#endif

static crto_err_t resolve(crto_lwip_sockets_t *s, const char *host, uint32_t start, uint32_t timeout_ms,
                          ip_addr_t *addr)
{
    if (ipaddr_aton(host, addr)) {
        return CRTO_OK;
    }
#if LWIP_DNS
    return lookup(s, host, start, timeout_ms, addr);
#else
    (void)s;
    (void)start;
    (void)timeout_ms;
    return CRTO_ERR_CONNECT; /* no DNS in this lwIP: literal addresses only */
#endif
}

/* ------------------------------------------------------------ port functions */

static void sock_close(void *ctx)
{
    crto_lwip_sockets_t *s = ctx;
    if (s->fd >= 0) {
        (void)lwip_close(s->fd);
        s->fd = -1;
    }
}

/* A socket address for addr:port, in *ss; returns its length. */
static socklen_t make_sockaddr(const ip_addr_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
#if LWIP_IPV6
    if (IP_IS_V6(addr)) {
        struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;
        sa6->sin6_len = sizeof *sa6;
        sa6->sin6_family = AF_INET6;
        sa6->sin6_port = lwip_htons(port);
        inet6_addr_from_ip6addr(&sa6->sin6_addr, ip_2_ip6(addr));
        return (socklen_t)sizeof *sa6;
    }
#endif
    {
        struct sockaddr_in *sa = (struct sockaddr_in *)ss;
        sa->sin_len = sizeof *sa;
        sa->sin_family = AF_INET;
        sa->sin_port = lwip_htons(port);
        inet_addr_from_ip4addr(&sa->sin_addr, ip_2_ip4(addr));
        return (socklen_t)sizeof *sa;
    }
}

static crto_err_t sock_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    crto_lwip_sockets_t *s = ctx;
    uint32_t start = sys_now();
    struct sockaddr_storage ss;
    socklen_t sslen;
    ip_addr_t addr;
    int fd, rc, one = 1, soerr = 0;
    socklen_t elen = sizeof soerr;
    crto_err_t ce;

    sock_close(s);
    ce = resolve(s, host, start, timeout_ms, &addr);
    if (ce != CRTO_OK) {
        return ce;
    }
    sslen = make_sockaddr(&addr, port, &ss);
    fd = lwip_socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        port_log(s, CRTO_LOG_ERROR, "lwip: no free socket (MEMP_NUM_NETCONN)");
        return CRTO_ERR_CONNECT;
    }
    /* Non-blocking from here on: every wait is a bounded lwip_poll. */
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        (void)lwip_close(fd);
        return CRTO_ERR_CONNECT;
    }
    rc = lwip_connect(fd, (struct sockaddr *)&ss, sslen);
    if (rc != 0 && errno != EINPROGRESS) {
        (void)lwip_close(fd); /* no route, no memory */
        return CRTO_ERR_CONNECT;
    }
    if (rc != 0) {
        uint32_t spent = since(start);
        int ev = wait_fd(fd, POLLOUT, spent < timeout_ms ? timeout_ms - spent : 0);
        if (ev == 0) {
            (void)lwip_close(fd);
            return CRTO_ERR_TIMEOUT;
        }
        if (ev < 0 || lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) != 0 || soerr != 0) {
            (void)lwip_close(fd); /* refused, reset, unreachable */
            return CRTO_ERR_CONNECT;
        }
    }
    /* crto hands over whole windows: Nagle would only add latency. */
    (void)lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->fd = fd;
    return CRTO_OK;
}

/* The port's code for a failed lwip_send/lwip_recv (errno set). */
static int32_t failure(void)
{
    if (errno == EWOULDBLOCK || errno == EAGAIN || errno == EINTR) {
        return 0;
    }
    if (errno == EPIPE || errno == ENOTCONN || errno == ESHUTDOWN) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    return -(int32_t)CRTO_ERR_RESET;
}

static int32_t sock_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_lwip_sockets_t *s = ctx;
    ssize_t n;
    int ev;
    if (s->fd < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    ev = wait_fd(s->fd, POLLOUT, timeout_ms);
    if (ev == 0) {
        return 0;
    }
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    n = lwip_send(s->fd, buf, len, MSG_DONTWAIT);
    if (n < 0) {
        return failure();
    }
    return (int32_t)n;
}

static int32_t sock_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    crto_lwip_sockets_t *s = ctx;
    ssize_t n;
    int ev;
    if (s->fd < 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    ev = wait_fd(s->fd, POLLIN, timeout_ms);
    if (ev == 0) {
        return 0;
    }
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    n = lwip_recv(s->fd, buf, len, MSG_DONTWAIT);
    if (n == 0 && len > 0) {
        return -(int32_t)CRTO_ERR_CLOSED;
    }
    if (n < 0) {
        return failure();
    }
    return (int32_t)n;
}

static uint64_t sock_now_ms(void *ctx)
{
    crto_lwip_sockets_t *s = ctx;
    uint32_t now = sys_now();
    if (now < s->clock_last) {
        s->clock_high += (uint64_t)1 << 32;
    }
    s->clock_last = now;
    return s->clock_high + now;
}

static void sock_sleep_ms(void *ctx, uint32_t ms)
{
    crto_lwip_sockets_t *s = ctx;
    if (s->cfg.sleep_ms != NULL) {
        s->cfg.sleep_ms(s->cfg.app_ctx, ms);
    } else {
        sys_msleep(ms);
    }
}

static crto_err_t sock_entropy(void *ctx, uint8_t *buf, size_t len)
{
    crto_lwip_sockets_t *s = ctx;
    return s->cfg.entropy(s->cfg.app_ctx, buf, len);
}

static crto_err_t sock_utc_now(void *ctx, int64_t *unix_seconds)
{
    crto_lwip_sockets_t *s = ctx;
    return s->cfg.utc_now(s->cfg.app_ctx, unix_seconds);
}

static void sock_log(void *ctx, crto_log_level_t level, const char *line)
{
    port_log(ctx, level, line);
}

void crto_lwip_sockets_port_init(crto_lwip_sockets_t *s, crto_port_t *port, const crto_lwip_sockets_config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->fd = -1;
    s->clock_last = sys_now();
    memset(port, 0, sizeof *port);
    port->ctx = s;
    port->connect = sock_connect;
    port->send = sock_send;
    port->recv = sock_recv;
    port->close = sock_close;
    port->now_ms = sock_now_ms;
    port->sleep_ms = sock_sleep_ms;
    /* missing hooks stay missing, for crto_port_check to name */
    port->entropy = cfg->entropy != NULL ? sock_entropy : NULL;
    port->utc_now = cfg->utc_now != NULL ? sock_utc_now : NULL;
    port->log = cfg->log != NULL ? sock_log : NULL;
}
