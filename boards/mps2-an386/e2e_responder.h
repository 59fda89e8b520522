/*
 * e2e_responder.h - the in-image "Criteo" of the mps2-an386 end-to-end
 * image (e2e.elf): a TLS 1.2 server (mbedTLS, test certificate for
 * DNS:localhost) on lwIP's raw API at 127.0.0.1:443 that answers a
 * contact-list upload the way tests/lwip/http_responder.c and
 * tests/fake_criteo/fake_criteo.py do:
 *
 *   POST  /oauth2/token  (client_id=demo-client&client_secret=demo-secret
 *                         &grant_type=client_credentials)
 *         -> 200 {"access_token":"tok-e2e-1","token_type":"Bearer","expires_in":900}
 *   PATCH /<version>/marketing-solutions/audience-segments/<id>/contact-list
 *         with "Authorization: Bearer tok-e2e-1"
 *         -> 200 {"data":{"type":"ContactlistAmendment","attributes":{...counts}},
 *                 "errors":[],"warnings":[]}
 *   anything else -> 401 or 404 with a problem body.
 *
 * It never holds a request body: bytes go from lwIP's pbufs through
 * mbedTLS into a 512-byte read buffer, and a streaming scanner counts the
 * "identifiers" strings, checks each is 64 lowercase hex characters and
 * folds it, in arrival order, into a running SHA-256.
 *
 * How it runs beside the client (see README.md, "The e2e image"): the image
 * has one thread. The client's blocking port calls drive lwIP through the
 * port's poll hook; the hook calls netif_poll_all() (the loopback queue,
 * which runs both ends' lwIP callbacks; they only queue pbufs and flags)
 * and then e2e_srv_poll(), which steps the server's TLS state machine with
 * non-blocking mbedtls_ssl_handshake/read/write until it would block.
 * The server's mbedTLS runs on a stack of its own and allocates from an
 * arena of its own, so the client's stack and TLS arena high-waters are
 * the client's alone (what the firmware needs).
 */
#ifndef CRTO_MPS2_E2E_RESPONDER_H
#define CRTO_MPS2_E2E_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E2E_SRV_TOKEN "tok-e2e-1"

/* What the server saw. */
typedef struct {
    unsigned accepts;    /* TCP connections accepted                   */
    unsigned handshakes; /* TLS handshakes completed                   */
    unsigned resumed;    /* of which session resumptions               */
    unsigned token_requests;
    unsigned patches;
    unsigned bad_requests;  /* answered with anything but 200            */
    unsigned tls_errors;    /* handshake/read/write failures             */
    int last_tls_error;     /* the mbedTLS code of the last one          */
    unsigned close_notify;  /* connections the client closed with close_notify */
    uint64_t ids;           /* identifier strings received, all PATCHes   */
    uint64_t ids_malformed; /* of which not 64 lowercase hex characters   */
    uint64_t body_bytes;    /* request body bytes received               */
    char sni[32];           /* the server name the client asked for      */
    char last_op[16];       /* "operation" of the last PATCH             */
    char last_type[24];     /* "identifierType" of the last PATCH        */
    char last_segment[24];  /* segment id in the last PATCH's path       */
} e2e_srv_report_t;

/* Set up the server's arena, TLS configuration and credentials, and listen
 * on 127.0.0.1:port. lwIP must be initialised. 0 on success. */
int e2e_srv_init(uint16_t port);

/* One step: advance the server as far as it goes without blocking. Called
 * from the port's poll hook after netif_poll_all(); never calls crto. */
void e2e_srv_poll(void);

const e2e_srv_report_t *e2e_srv_report(void);

/* The SHA-256 of every identifier string received so far, in order. */
void e2e_srv_fold(unsigned char digest[32]);

/* Close the listener and any connection, free every mbedTLS object. */
void e2e_srv_free(void);

/* The server's own arena and stack: size, peak, blocks at peak, in use. */
void e2e_srv_arena(size_t *size, size_t *peak, size_t *peak_blocks, size_t *cur);
void e2e_srv_stack(size_t *size, size_t *high_water);

#endif /* CRTO_MPS2_E2E_RESPONDER_H */
