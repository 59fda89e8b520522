/*
 * crto_journal.h - store-and-forward for what the cashier collected: a
 * journal of identifiers, durable before crto says "added", deleted only
 * after Criteo answered 2xx for the chunk that carried them, and recovered
 * after a power cut at any instant.
 *
 * Layout: a log of records, each [magic, kind, length, payload, CRC-32].
 *   ITEM  one identifier of a group (product, segment, operation, type):
 *         e-mails and phone numbers as their 32-byte SHA-256 digest (never
 *         in clear), other types as their normalised text;
 *   ACK   "the first N pending items of group G, through offset X, were
 *         accepted by Criteo".
 * Recovery keeps every record that reads back whole: a corrupt record
 * inside the log is skipped (counted in corrupt_bytes), and a torn tail is
 * cut. When nothing is pending any more, the log is reset to empty.
 */
#ifndef CRTO_JOURNAL_H
#define CRTO_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_bulk.h"
#include "crto_client.h"
#include "crto_contact_list.h"
#include "crto_identifier.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a journal lives: a byte log that can be read anywhere, appended
 * to, made durable, and cut. Every function returns CRTO_OK or an error
 * (CRTO_ERR_IO). */
typedef struct {
    void *ctx;
    crto_err_t (*read)(void *ctx, uint64_t offset, uint8_t *buf, size_t len, size_t *got);
    crto_err_t (*append)(void *ctx, uint64_t offset, const uint8_t *buf, size_t len); /* offset = current end */
    crto_err_t (*sync)(void *ctx);                    /* durable when it returns          */
    crto_err_t (*truncate)(void *ctx, uint64_t size); /* cut a torn tail, or empty it  */
    crto_err_t (*size)(void *ctx, uint64_t *size);
    uint64_t capacity; /* most bytes the log may hold      */
} crto_storage_t;

/* One group's key and figures. */
typedef struct {
    crto_product_t product;
    crto_op_t op;
    crto_id_type_t type;
    char segment_id[CRTO_ID_MAX + 1];
    uint64_t items;         /* ITEM records in the log                  */
    uint64_t acked;         /* of which acknowledged                     */
    uint64_t acked_through; /* offset of the last acknowledged ITEM + 1  */
    uint32_t oldest_time;   /* time stamp of the oldest pending ITEM     */
} crto_journal_group_t;

typedef struct {
    crto_storage_t st;
    uint64_t end;           /* end of the last valid record              */
    uint64_t torn_bytes;    /* bytes cut at recovery                     */
    uint64_t corrupt_bytes; /* bytes skipped inside the log (bad records) */
    uint32_t n_groups;
    crto_journal_group_t groups[CRTO_JOURNAL_GROUPS];
    crto_diag_t diag;
    crto_norm_rules_t rules; /* set after open: e.g. the default phone country code */
    /* a small read window for scans (private) */
    uint8_t win[512];
    uint64_t win_off;
    size_t win_len;
} crto_journal_t;

/* Open the journal on storage (which must outlive it) and recover:
 * records are read until the first torn or corrupt one, where the log is
 * cut. Errors: CRTO_ERR_IO, CRTO_ERR_CONFIG (missing storage function),
 * CRTO_ERR_TOO_LARGE (more than CRTO_JOURNAL_GROUPS groups). */
crto_err_t crto_journal_open(crto_journal_t *j, const crto_storage_t *storage);

/* Normalise identifier text[len] (hashing e-mails and phone numbers) and
 * append it to group (product, segment, op, type) with time stamp `now`
 * (seconds, UTC when known). Not durable until crto_journal_sync.
 * Errors: CRTO_ERR_IDENTIFIER (diag says why), CRTO_ERR_INVALID_ID,
 * CRTO_ERR_ARG, CRTO_ERR_TOO_LARGE ("journal full": nothing was written),
 * CRTO_ERR_IO. */
crto_err_t crto_journal_add(crto_journal_t *j, crto_product_t product, const char *segment_id, crto_op_t op,
                            crto_id_type_t type, const char *text, size_t len, uint32_t now);

/* Make everything appended so far durable. */
crto_err_t crto_journal_sync(crto_journal_t *j);

/* Pending items over all groups, and the oldest pending time stamp (0 when
 * none). */
uint64_t crto_journal_pending(const crto_journal_t *j, uint32_t *oldest_time);

/* Upload every pending item, group by group, in chunks of at most
 * chunk_size (0: CRTO_CHUNK_MAX); after each chunk Criteo answered 2xx, an
 * ACK is appended and made durable. When nothing is pending, the log is
 * reset. summary (may be NULL) adds up the uploads. A group the API
 * refuses does not stop the others; a network failure stops the flush.
 * Returns the first failure (nothing is lost: the items stay pending).
 * Errors: those of crto_contact_list_upload, CRTO_ERR_IO. */
crto_err_t crto_journal_flush(crto_journal_t *j, crto_client_t *client, uint32_t chunk_size,
                              crto_upload_summary_t *summary);

/* Read every record again and check its CRC and the group accounting.
 * Errors: CRTO_ERR_IO, CRTO_ERR_JSON is never returned; a bad record is
 * CRTO_ERR_FRAMING with its offset in diag. */
crto_err_t crto_journal_verify(crto_journal_t *j, uint64_t *records);

/* A storage over a caller's fixed byte region (RAM, or memory-mapped
 * flash on a board). `len` bytes of it are in use. */
typedef struct {
    uint8_t *mem;
    size_t cap;
    size_t len;
} crto_region_t;

/* Bind storage to region mem[cap], whose first `used` bytes hold a log
 * that survived (0 for a fresh one). */
void crto_region_storage_init(crto_region_t *region, uint8_t *mem, size_t cap, size_t used, crto_storage_t *storage);

/* CRC-32 (IEEE 802.3) of data[len], continuing from crc (0 to start). */
uint32_t crto_crc32(uint32_t crc, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_JOURNAL_H */
