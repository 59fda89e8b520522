/*
 * crto_audiences.h - audiences (combinations of segments): Marketing
 * Solutions create, update, delete, search, sizes; Retail Media search.
 *
 * An audience's algebra is a tree the caller builds in a fixed array of
 * nodes - no allocation - and crto checks (shape, ids, depth) before any
 * traffic:
 *
 *   // and( segment 1, not(segment 2) )
 *   crto_algebra_node_t n[4] = {
 *       {CRTO_ALG_AND, 1, -1, ""},
 *       {CRTO_ALG_SEGMENT, -1, 2, "1"},
 *       {CRTO_ALG_NOT, 3, -1, ""},
 *       {CRTO_ALG_SEGMENT, -1, -1, "2"},
 *   };
 */
#ifndef CRTO_AUDIENCES_H
#define CRTO_AUDIENCES_H

#include <stdbool.h>
#include <stdint.h>

#include "crto_bulk.h"
#include "crto_client.h"
#include "crto_segments.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CRTO_ALG_SEGMENT = 0, CRTO_ALG_AND, CRTO_ALG_OR, CRTO_ALG_NOT } crto_algebra_op_t;

/* One node. Node 0 is the root; children are listed through `child` (the
 * first) and then each child's `next` (-1 ends a list). Indices only point
 * forward, so a tree can have no cycle. */
typedef struct {
    uint8_t op;                       /* crto_algebra_op_t               */
    int16_t child;                    /* first child, or -1              */
    int16_t next;                     /* next sibling, or -1             */
    char segment_id[CRTO_ID_MAX + 1]; /* for CRTO_ALG_SEGMENT            */
} crto_algebra_node_t;

/* Check a tree: a leaf names a 1-20 digit id and has no child; NOT has
 * exactly one child; AND/OR at least one; depth <= CRTO_ALGEBRA_MAX_DEPTH;
 * every node reachable once. Errors: CRTO_ERR_ARG naming the node. */
crto_err_t crto_algebra_check(const crto_algebra_node_t *nodes, uint16_t n, crto_diag_t *diag);

/* Parse the API's JSON form ({"and":[{"audienceSegmentId":"1"},...]}) into
 * nodes[cap]; *n gets the count. doc is the caller's scratch parser.
 * Errors: CRTO_ERR_JSON / CRTO_ERR_ARG (bad shape, naming it),
 * CRTO_ERR_TOO_LARGE (more nodes than cap; diag->need). */
crto_err_t crto_algebra_parse(const char *json, size_t len, crto_algebra_node_t *nodes, uint16_t cap, uint16_t *n,
                              crto_jdoc_t *doc, crto_diag_t *diag);

/* An audience as the API returned it. The algebra is kept as the JSON
 * text the API sent (cut, with `truncated`, past CRTO_ALGEBRA_TEXT_MAX);
 * crto_algebra_parse turns it into nodes. */
typedef struct {
    char id[CRTO_ID_MAX + 1];
    char name[CRTO_NAME_MAX + 1];
    char description[CRTO_DESCRIPTION_MAX + 1];
    char advertiser_id[CRTO_ID_MAX + 1]; /* MS */
    char account_id[CRTO_ID_MAX + 1];    /* RM */
    char retailer_id[CRTO_ID_MAX + 1];   /* RM */
    char algebra[CRTO_ALGEBRA_TEXT_MAX + 1];
    uint32_t ad_sets; /* MS: number of adSetIds */
    char created_at[40];
    char updated_at[40];
    bool truncated;
} crto_audience_t;

typedef bool (*crto_audience_fn)(void *arg, const crto_audience_t *audience);

typedef struct {
    const char *advertiser_id;          /* required */
    const char *name;                   /* required */
    const char *description;            /* NULL: none */
    const crto_algebra_node_t *algebra; /* required */
    uint16_t n_nodes;
} crto_ms_audience_create_t;

typedef struct {
    const char *id;
    const char *name; /* NULL: keep */
    crto_nillable_t description_op;
    const char *description;
    const crto_algebra_node_t *algebra; /* NULL: keep */
    uint16_t n_nodes;
} crto_ms_audience_update_t;

typedef struct {
    crto_strings_t audience_ids;
    crto_strings_t advertiser_ids;
    crto_strings_t ad_set_ids;
    crto_strings_t segment_ids;
} crto_ms_audience_filter_t;

/* POST /{v}/marketing-solutions/audiences/create. Each item's algebra is
 * checked first (crto_algebra_check). One outcome per item (id = new id,
 * matched by name). Items and their nodes are borrowed for the call.
 * Errors: CRTO_ERR_INVALID_ID, CRTO_ERR_ARG (naming the item or node)
 * before any traffic; then crto_client_call's. */
crto_err_t crto_ms_audiences_create(crto_client_t *c, const crto_ms_audience_create_t *items, uint32_t n,
                                    crto_bulk_t *bulk);

/* PATCH /{v}/marketing-solutions/audiences (1 to 64 items; only what is
 * asked is sent). Errors as create. */
crto_err_t crto_ms_audiences_update(crto_client_t *c, const crto_ms_audience_update_t *items, uint32_t n,
                                    crto_bulk_t *bulk);

/* POST .../audiences/delete. ids borrowed. */
crto_err_t crto_ms_audiences_delete(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk);

/* POST .../audiences/compute-sizes: outcome.size per item. */
crto_err_t crto_ms_audiences_compute_sizes(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk);

/* POST .../audiences/search, every page (up to 100 a page): on_audience
 * for each, false stops. filter may be NULL. Errors: CRTO_ERR_INVALID_ID,
 * CRTO_ERR_ARG, then crto_client_call's. */
crto_err_t crto_ms_audiences_search(crto_client_t *c, const crto_ms_audience_filter_t *filter, crto_page_t *page,
                                    crto_audience_fn on_audience, void *arg, crto_bulk_t *bulk);

/* POST .../audiences/estimate-size of an algebra (checked first); *size
 * gets the estimate. Errors: as create, and CRTO_ERR_BAD_REQUEST with the
 * API's problem when it answers without a size. */
crto_err_t crto_ms_audiences_estimate_size(crto_client_t *c, const char *advertiser_id,
                                           const crto_algebra_node_t *algebra, uint16_t n_nodes, int64_t *size);

typedef struct {
    crto_strings_t audience_ids;
    crto_strings_t segment_ids;
    crto_strings_t retailer_ids;
} crto_rm_audience_filter_t;

/* POST /{v}/retail-media/accounts/{account}/audiences/search. */
crto_err_t crto_rm_audiences_search(crto_client_t *c, const char *account_id, const crto_rm_audience_filter_t *filter,
                                    crto_page_t *page, crto_audience_fn on_audience, void *arg, crto_bulk_t *bulk);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_AUDIENCES_H */
