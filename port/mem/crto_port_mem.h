/*
 * crto_port_mem.h - an in-memory, fault-injecting port for tests.
 *
 * The "server" is a script: for each connection, the bytes it answers.
 * Faults: short reads and writes, "would block" N times, the connection
 * closed or reset at a byte offset, connect refused. Everything the client
 * sends is captured. The clock is fake and only moves when crto waits
 * (sleep) or when the test says so, so timing tests never flake.
 */
#ifndef CRTO_PORT_MEM_H
#define CRTO_PORT_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto/crto_port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRTO_MEM_MAX_CONNS 8
#define CRTO_MEM_MAX_PARTS 8

/* One connection's server side: its answers in order. Answer k+1 is only
 * released after the client sent more bytes (its next request), as a real
 * server would; after the last answer the server closes. */
typedef struct {
    const uint8_t *part[CRTO_MEM_MAX_PARTS];
    size_t part_len[CRTO_MEM_MAX_PARTS];
    uint32_t n_parts;
    size_t len;         /* all parts together                         */
    size_t close_at;    /* recv reports a close after this many bytes (SIZE_MAX: at the end) */
    size_t reset_at;    /* recv reports a reset after this many bytes (SIZE_MAX: never) */
    size_t tx_reset_at; /* send reports a reset once this many bytes were taken (SIZE_MAX: never) */
    bool refuse;        /* connect fails                                   */
} crto_mem_script_t;

typedef struct {
    crto_mem_script_t scripts[CRTO_MEM_MAX_CONNS];
    uint32_t n_scripts;
    /* faults applying to every connection */
    size_t max_read;      /* at most this many bytes per recv (0: no limit)  */
    size_t max_write;     /* at most this many bytes per send (0: no limit)  */
    uint32_t recv_blocks; /* the next N recv calls return 0 (and move the clock by their timeout) */
    uint32_t send_blocks;
    /* state */
    int conn; /* index of the open connection, -1 when closed  */
    uint32_t connects;
    uint32_t closes;
    size_t rx_pos; /* bytes delivered on the open connection        */
    uint32_t part; /* the answer being delivered                    */
    size_t part_off;
    size_t tx_mark;       /* tx bytes when that answer was released        */
    size_t tx_conn_bytes; /* bytes taken on the open connection            */
    uint8_t *tx;          /* capture of everything sent (test's buffer)    */
    size_t tx_cap;
    size_t tx_len;   /* bytes captured (<= tx_cap)                     */
    size_t tx_total; /* bytes sent in all                              */
    uint64_t now;    /* the fake monotonic clock                       */
    int64_t utc;     /* the fake wall clock (-1: none)                 */
    uint64_t slept_ms;
    uint32_t sleeps;
    uint32_t rng; /* deterministic entropy                          */
    char host[64];
    uint16_t port;
} crto_mem_t;

/* Set up m (zeroed, no script) and point port at it. tx/tx_cap capture the
 * request bytes (may be NULL/0). */
void crto_mem_init(crto_mem_t *m, crto_port_t *port, uint8_t *tx, size_t tx_cap);

/* Add the server's first answer for the next connection. Returns its
 * script so the test can set faults on it (NULL when full). */
crto_mem_script_t *crto_mem_add(crto_mem_t *m, const void *data, size_t len);

/* Add one more answer on the connection added last (for keep-alive). */
crto_mem_script_t *crto_mem_then(crto_mem_t *m, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_PORT_MEM_H */
