/*
 * crto_port_posix.h - the POSIX port (Linux, and anything with BSD sockets,
 * poll and clock_gettime): TCP with timeouts, clocks, getrandom entropy,
 * nanosleep and a log sink on a stdio stream; plus helpers a gateway
 * application needs - reading a CA bundle and reading identifiers from a file.
 */
#ifndef CRTO_PORT_POSIX_H
#define CRTO_PORT_POSIX_H

#include <stdio.h>

#include "crto/crto_config.h"
#include "crto/crto_contact_list.h"
#include "crto/crto_journal.h"
#include "crto/crto_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Debian's bundle of public CAs (package ca-certificates). */
#define CRTO_POSIX_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

typedef struct {
    int fd;           /* the connection, or -1                      */
    FILE *log_stream; /* where log lines go (NULL: nowhere)         */
    crto_log_level_t log_level;
} crto_posix_t;

/* Fill port with the POSIX functions over state p (which must outlive it).
 * Log lines at or below log_level go to log_stream (may be NULL). */
void crto_posix_port_init(crto_posix_t *p, crto_port_t *port, FILE *log_stream, crto_log_level_t log_level);

/* Read a PEM file (path NULL: the system bundle) into buf[cap], NUL-terminated;
 * *len gets the length including the NUL, as crto_client_config_t wants.
 * Errors: CRTO_ERR_IO (cannot read; diag names the file), CRTO_ERR_TOO_LARGE. */
crto_err_t crto_posix_read_ca(const char *path, char *buf, size_t cap, size_t *len, crto_diag_t *diag);

/* A source of identifiers reading one per line from a seekable stream
 * (a file; a pipe must be spooled first). Blank lines are skipped; white
 * space around an identifier does not count towards its length; a line
 * whose identifier is longer than CRTO_IDENTIFIER_MAX is reported as
 * CRTO_ERR_TOO_LARGE, and NUL bytes are handed over (to be rejected as
 * control characters). The stream stays the caller's to close. */
typedef struct {
    FILE *f;
    uint32_t line;
    char buf[CRTO_IDENTIFIER_MAX];
    /* Read-ahead: lines are cut out of whole blocks with memchr instead of
     * a character at a time (a tenth of the instructions; make bench). */
    char blk[CRTO_FILE_SOURCE_BLOCK];
    size_t blk_pos, blk_len;
} crto_file_source_t;

/* Bind src to a file source over f, from f's current position. It reads f
 * ahead by up to CRTO_FILE_SOURCE_BLOCK bytes; its tell and seek account
 * for that. Errors: CRTO_ERR_IO (not seekable). */
crto_err_t crto_file_source_init(crto_file_source_t *fs, FILE *f, crto_id_source_t *src);

/* Journal storage in a directory: DIR/journal.crto, appended with
 * pwrite, made durable with fsync (and the directory too when the file is
 * created), held under an exclusive lock so two processes never write one
 * journal at once. */
typedef struct {
    int fd;
    int dir_fd;
} crto_file_storage_t;

/* Open (creating if needed) the journal in dir with the given capacity in
 * bytes. Errors: CRTO_ERR_IO naming the file, CRTO_ERR_CONFIG when another
 * process holds the journal ("journal busy"). */
crto_err_t crto_file_storage_open(crto_file_storage_t *fs, const char *dir, uint64_t capacity, crto_storage_t *storage,
                                  crto_diag_t *diag);

/* Close the file (and release the lock). */
void crto_file_storage_close(crto_file_storage_t *fs);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_PORT_POSIX_H */
