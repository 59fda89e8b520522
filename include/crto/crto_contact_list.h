/*
 * crto_contact_list.h - streamed contact-list uploads: identifiers from a
 * caller's source, normalised and hashed on the device, sent in chunks of at
 * most 50,000 with an exact Content-Length, one result per chunk.
 *
 * Marketing Solutions: PATCH /{v}/marketing-solutions/audience-segments/{id}/contact-list
 * Retail Media:        POST  /{v}/retail-media/audience-segments/{id}/contact-list/add-remove
 *
 * Memory: nothing grows with the number of identifiers. Each chunk is read
 * from the source twice - once to validate and size it (no hashing), once
 * to hash and stream it - so the source must be able to go back to a
 * position it reported (a file, a journal, a buffer).
 */
#ifndef CRTO_CONTACT_LIST_H
#define CRTO_CONTACT_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_client.h"
#include "crto_identifier.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A position in a source, to come back to. */
typedef struct {
    uint64_t offset;
    uint32_t line;
} crto_source_pos_t;

/* Where identifiers come from. One identifier per call. */
typedef struct {
    void *arg;
    /* Next identifier: *text (valid until the next call, len bytes, which
     * may include NUL bytes) and its 1-based line. Returns CRTO_OK with
     * *text set, CRTO_OK with *text NULL at the end, CRTO_ERR_TOO_LARGE
     * (with *line set) for a line too long to hold - it is rejected and the
     * upload reads on - or CRTO_ERR_IO, which stops the upload. */
    crto_err_t (*next)(void *arg, const char **text, size_t *len, uint32_t *line);
    crto_err_t (*tell)(void *arg, crto_source_pos_t *pos);
    crto_err_t (*seek)(void *arg, const crto_source_pos_t *pos);
} crto_id_source_t;

typedef enum { CRTO_OP_ADD = 0, CRTO_OP_REMOVE } crto_op_t;

/* What Criteo said about one chunk. -1 where the response did not say. */
typedef struct {
    uint32_t index;       /* 0-based chunk number                    */
    uint32_t identifiers; /* identifiers the chunk carried           */
    int64_t contact_list_id;
    int64_t nb_valid;
    int64_t nb_invalid;
    uint32_t n_samples; /* sampleInvalidIdentifiers kept (<= CRTO_SAMPLE_INVALID_MAX) */
    char samples[CRTO_SAMPLE_INVALID_MAX][CRTO_SHA256_HEX_LEN + 8];
    uint32_t n_errors;      /* problems in "errors"                    */
    uint32_t n_warnings;    /* problems in "warnings"                  */
    char first_problem[48]; /* code of the first problem, if any       */
    uint32_t attempts;      /* requests it took                        */
} crto_chunk_result_t;

/* An upload job. Strings and the source are borrowed for the call. */
typedef struct {
    crto_product_t product;
    const char *segment_id; /* 1-20 digits                                 */
    crto_op_t op;
    crto_id_type_t type;
    bool no_hash;                   /* send e-mails / phone numbers normalised but in clear */
    int64_t gum_caller_id;          /* required for CRTO_ID_GUM (MS), else -1       */
    uint32_t chunk_size;            /* 1..CRTO_CHUNK_MAX; 0 means CRTO_CHUNK_MAX    */
    const crto_norm_rules_t *rules; /* local normalisation rules, or NULL   */
    crto_id_source_t source;
    /* Optional callbacks (cb_arg is handed back): */
    void (*on_reject)(void *cb_arg, uint32_t line, const crto_diag_t *why);
    void (*on_chunk)(void *cb_arg, const crto_chunk_result_t *result);
    void (*on_progress)(void *cb_arg, uint64_t identifiers_sent); /* every 4,096 */
    void *cb_arg;
} crto_upload_t;

typedef struct {
    uint64_t accepted; /* identifiers that passed local validation     */
    uint64_t rejected; /* lines refused locally (reported by on_reject) */
    uint64_t sent;     /* identifiers in chunks Criteo answered 2xx    */
    uint64_t nb_valid; /* sums of the per-chunk answers                */
    uint64_t nb_invalid;
    uint32_t chunks;   /* chunks answered 2xx                          */
    uint32_t problems; /* errors + warnings over all chunks            */
} crto_upload_summary_t;

/* Default job: MS, add, e-mail, hashed, chunks of CRTO_CHUNK_MAX. */
crto_upload_t crto_upload_default(void);

/* Run an upload to the end of the source. Invalid identifiers are reported
 * through on_reject and skipped; a source with none valid sends nothing.
 * Returns CRTO_OK when every chunk was answered 2xx (look at summary for
 * rejected and invalid counts). Errors: CRTO_ERR_INVALID_ID (segment id),
 * CRTO_ERR_ARG (type not in the product, gum caller id, chunk size) - both
 * before any network traffic; then any error of crto_client_call, with the
 * summary saying how many chunks were delivered before it. */
crto_err_t crto_contact_list_upload(crto_client_t *client, const crto_upload_t *job, crto_upload_summary_t *summary);

/* A source over a caller's buffer of newline-separated text (CR LF too);
 * blank lines are skipped. The buffer must outlive the source. */
typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    uint32_t line;
} crto_lines_source_t;

/* Make src read lines from text[len]. */
void crto_lines_source_init(crto_lines_source_t *lines, const char *text, size_t len, crto_id_source_t *src);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_CONTACT_LIST_H */
