/*
 * crto_config.h - every compile-time size and limit of crto, with defaults.
 *
 * Override any of them by defining it before this header is included, or by
 * naming a file of your own in CRTO_CONFIG_FILE (e.g. -DCRTO_CONFIG_FILE=
 * '"my_crto_config.h"'); that file is included first.  Every buffer crto uses
 * is sized here and lives inside a struct the caller declares: nothing is
 * allocated at run time.
 */
#ifndef CRTO_CONFIG_H
#define CRTO_CONFIG_H

#ifdef CRTO_CONFIG_FILE
#include CRTO_CONFIG_FILE
#endif

/* Bytes of the receive window: one status line or header line must fit. */
#ifndef CRTO_HTTP_RX_WINDOW
#define CRTO_HTTP_RX_WINDOW 2048
#endif

/* Bytes of the send window: the request head must fit; the body streams
 * through it, one TLS record (and one send) per window. It shares its
 * memory with the JSON window and tokens (a request is sent before its
 * answer is parsed), so up to their size (~5 KiB) it costs nothing.
 * 8 KiB: the same bytes in a quarter of the records and system calls of
 * 2 KiB, a sixth of the kernel time per upload (docs/bench.md). */
#ifndef CRTO_HTTP_TX_WINDOW
#define CRTO_HTTP_TX_WINDOW 8192
#endif

/* Largest JSON element (one member of the top-level object, or one element
 * of a top-level array) that can be parsed; bigger ones are "too large". */
#ifndef CRTO_JSON_WINDOW
#define CRTO_JSON_WINDOW 3072
#endif

/* jsmn tokens available to parse one element. */
#ifndef CRTO_JSON_TOKENS
#define CRTO_JSON_TOKENS 96
#endif

/* Nesting depth the JSON splitter tracks. */
#ifndef CRTO_JSON_MAX_DEPTH
#define CRTO_JSON_MAX_DEPTH 32
#endif

/* OAuth2 access token (a JWT) and credentials, stored so they can be wiped. */
#ifndef CRTO_TOKEN_MAX
#define CRTO_TOKEN_MAX 1536
#endif
#ifndef CRTO_CLIENT_ID_MAX
#define CRTO_CLIENT_ID_MAX 96
#endif
#ifndef CRTO_CLIENT_SECRET_MAX
#define CRTO_CLIENT_SECRET_MAX 128
#endif

/* Host names (DNS, or a literal address) and URL path prefixes. */
#ifndef CRTO_HOST_MAX
#define CRTO_HOST_MAX 96
#endif
#ifndef CRTO_PATH_MAX
#define CRTO_PATH_MAX 160
#endif

/* Identifiers: the longest accepted input line and the API version string. */
#ifndef CRTO_IDENTIFIER_MAX
#define CRTO_IDENTIFIER_MAX 256
#endif
#ifndef CRTO_VERSION_MAX
#define CRTO_VERSION_MAX 16
#endif

/* POSIX file source (port/posix): bytes of the identifier file read ahead
 * at a time. Any size works; a block holds about 100 e-mail lines. */
#ifndef CRTO_FILE_SOURCE_BLOCK
#define CRTO_FILE_SOURCE_BLOCK 4096
#endif

/* Criteo's hard limit is 50,000 identifiers per contact-list request. */
#ifndef CRTO_CHUNK_MAX
#define CRTO_CHUNK_MAX 50000u
#endif

/* Invalid-identifier samples kept from one chunk's response. */
#ifndef CRTO_SAMPLE_INVALID_MAX
#define CRTO_SAMPLE_INVALID_MAX 4
#endif

/* Human-readable error message kept with the last error. */
#ifndef CRTO_DIAG_MAX
#define CRTO_DIAG_MAX 160
#endif

/* Longest token lifetime believed: a server's larger expires_in is cut to
 * this, so the token is still refreshed daily and the expiry arithmetic
 * cannot wrap (Criteo's tokens live 15 minutes). */
#ifndef CRTO_TOKEN_MAX_LIFETIME_S
#define CRTO_TOKEN_MAX_LIFETIME_S 86400
#endif

/* Refresh the token this long before it expires. */
#ifndef CRTO_TOKEN_EARLY_MS
#define CRTO_TOKEN_EARLY_MS 60000u
#endif

/* Timeouts (ms), sized for a shop's flaky uplink, all overridable at run time. */
#ifndef CRTO_CONNECT_TIMEOUT_MS
#define CRTO_CONNECT_TIMEOUT_MS 15000u
#endif
#ifndef CRTO_IO_TIMEOUT_MS
#define CRTO_IO_TIMEOUT_MS 30000u
#endif
#ifndef CRTO_REQUEST_TIMEOUT_MS
#define CRTO_REQUEST_TIMEOUT_MS 120000u
#endif

/* Retries of one request after 429, 5xx or a network failure before any
 * response byte. */
#ifndef CRTO_RETRY_ATTEMPTS
#define CRTO_RETRY_ATTEMPTS 4
#endif
#ifndef CRTO_RETRY_BASE_MS
#define CRTO_RETRY_BASE_MS 1000u
#endif
#ifndef CRTO_RETRY_CAP_MS
#define CRTO_RETRY_CAP_MS 60000u
#endif

/* Most time one call may spend waiting between its retries. */
#ifndef CRTO_RETRY_MAX_WAIT_MS
#define CRTO_RETRY_MAX_WAIT_MS 300000u
#endif

/* Largest response body crto will read for any one call. */
#ifndef CRTO_BODY_CAP
#define CRTO_BODY_CAP (16ull * 1024u * 1024u) /* 64-bit: a cap may exceed 4 GiB */
#endif

/* Audience API entities and trees (crto_segments.h, crto_audiences.h). */
#ifndef CRTO_NAME_MAX
#define CRTO_NAME_MAX 255
#endif
#ifndef CRTO_DESCRIPTION_MAX
#define CRTO_DESCRIPTION_MAX 511
#endif
#ifndef CRTO_ALGEBRA_MAX_DEPTH
#define CRTO_ALGEBRA_MAX_DEPTH 8
#endif
#ifndef CRTO_ALGEBRA_TEXT_MAX
#define CRTO_ALGEBRA_TEXT_MAX 511
#endif

/* Journal (crto_journal.h). Groups (product, segment, operation, type) one journal tracks at once. */
#ifndef CRTO_JOURNAL_GROUPS
#define CRTO_JOURNAL_GROUPS 16
#endif
/* Longest non-hashed identifier kept (madid, RampID, customer ids...). */
#ifndef CRTO_JOURNAL_TEXT_MAX
#define CRTO_JOURNAL_TEXT_MAX 128
#endif
/* Bytes kept free for ACK records so a full journal can still drain. */
#ifndef CRTO_JOURNAL_ACK_RESERVE
#define CRTO_JOURNAL_ACK_RESERVE 4096u
#endif

#endif /* CRTO_CONFIG_H */
