/*
 * connection.h - internal: the client's single connection (see connection.c).
 */
#ifndef CRTO_SRC_CONNECTION_H
#define CRTO_SRC_CONNECTION_H

#include "crto/crto_client.h"

/* Open a connection to ep, or keep the open one when it goes to the same
 * endpoint and is reusable (*reused tells which). */
crto_err_t crto_conn_open(crto_client_t *c, const crto_endpoint_t *ep, uint64_t deadline, bool *reused);

/* Send all of data or fail (timeout, closed, reset, TLS). */
crto_err_t crto_conn_send_all(crto_client_t *c, const uint8_t *data, size_t len, uint64_t deadline);

/* Receive at least one byte into buf[cap]; *got gets the count.
 * Returns CRTO_ERR_CLOSED on the peer's close (without a message). */
crto_err_t crto_conn_recv(crto_client_t *c, uint8_t *buf, size_t cap, uint64_t deadline, size_t *got);

/* Close the connection, if open. */
void crto_conn_close(crto_client_t *c);

bool crto_conn_same_endpoint(const crto_endpoint_t *a, const crto_endpoint_t *b);

#endif
