/*
 * api.h - internal: one Audience API call with its envelope (data, errors,
 * warnings, meta), the search pager, and the JSON bits every request body
 * shares.
 */
#ifndef CRTO_SRC_API_H
#define CRTO_SRC_API_H

#include "crto/crto_audiences.h"
#include "crto/crto_bulk.h"
#include "crto/crto_segments.h"

/* Each element of "data" (index >= 0) or the "data" object (index -1),
 * parsed in doc (token 0 is the element). */
typedef crto_err_t (*crto_data_fn)(void *arg, crto_jdoc_t *doc, int32_t index);

typedef struct {
    const char *method;
    const char *path;
    crto_body_fn body;
    void *body_arg;
    crto_data_fn on_data;
    void *data_arg;
    crto_bulk_t *bulk;   /* problems and outcomes (may be NULL)    */
    bool not_idempotent; /* a create or delete: no resend once sent */
    /* filled: */
    int64_t total_items; /* meta.totalItems, -1 when absent        */
    uint32_t data_count; /* elements of data[] seen                */
    crto_result_t result;
} crto_api_call_t;

/* Run one call; per-item problems go to call->bulk. 2xx is CRTO_OK. */
crto_err_t crto_api_call(crto_client_t *c, crto_api_call_t *call);

/* Run a call whose answer must carry *result (>= 0 once read). When it
 * comes back without one and the API said why, that problem is the
 * error: CRTO_ERR_BAD_REQUEST with its code and detail in c->diag. */
crto_err_t crto_api_call_for(crto_client_t *c, crto_api_call_t *call, const int64_t *result);

/* Walk a search's pages: path_fmt has one "%s" for "?limit=..&offset=..". */
crto_err_t crto_api_search(crto_client_t *c, const char *path, uint32_t max_limit, crto_body_fn body, void *body_arg,
                           crto_data_fn on_data, void *data_arg, crto_page_t *page, crto_bulk_t *bulk, bool *stop);

/* Build "<prefix>/<version>" + printf(fmt, ...) into out. */
crto_err_t crto_api_path(crto_client_t *c, char *out, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Check ids[n] are 1-20 digits; CRTO_ERR_INVALID_ID naming which. */
crto_err_t crto_api_check_ids(crto_client_t *c, const char *what, const char *const *ids, uint32_t n);
crto_err_t crto_api_check_id(crto_client_t *c, const char *what, const char *id);

/* A bulk call's request items and where their outcomes go. */
typedef struct {
    const void *items;
    uint32_t n;
    crto_bulk_t *bulk;
    const char *const *ids; /* the items' ids, for id-keyed answers */
    /* for name-keyed answers (creates): where each item keeps its name and,
     * when scope_key is set, the id that scopes the name */
    size_t item_size;
    size_t name_at;
    size_t scope_at;
    const char *scope_key; /* the attribute the scope comes back in */
} crto_bulk_ctx_t;

/* One bulk call to "<prefix>/<version>" + rest (a rest ending in /create
 * or /delete is not resent after a cut answer). */
crto_err_t crto_api_bulk(crto_client_t *c, const char *method, const char *rest, crto_body_fn body,
                         crto_data_fn on_data, crto_bulk_ctx_t *b);

/* A created entity: its outcome (the first item of the same name and
 * scope still without an id) gets the new id. */
crto_err_t crto_api_on_created(void *arg, crto_jdoc_t *doc, int32_t index);

/* An entity answered by id: its outcome gets the id. */
crto_err_t crto_api_on_by_id(void *arg, crto_jdoc_t *doc, int32_t index);

/* The same for a compute-sizes answer: the outcome gets the size too (an
 * update or delete answer's "size" is not one it computed: size stays -1). */
crto_err_t crto_api_on_sized(void *arg, crto_jdoc_t *doc, int32_t index);

/* {"data":[{"id":..,"type":type,"attributes":{}},...]} */
crto_err_t crto_api_ids_body(crto_jw_t *w, const char *const *ids, uint32_t n, const char *type);

/* Outcome bookkeeping for entities returned in data[]. */
crto_outcome_t *crto_bulk_item(crto_bulk_t *bulk, uint32_t i);

/* JSON writing helpers: `"key":` with a comma before it unless first. */
void crto_jw_key(crto_jw_t *w, bool *first, const char *key);
void crto_jw_kstr(crto_jw_t *w, bool *first, const char *key, const char *value);
void crto_jw_kint(crto_jw_t *w, bool *first, const char *key, int64_t value);
void crto_jw_kstrings(crto_jw_t *w, bool *first, const char *key, const crto_strings_t *list);
void crto_jw_knillable(crto_jw_t *w, bool *first, const char *key, crto_nillable_t op, const char *value);
/* A NillableInt32: `"key":{"value":n}`, or `{"value":null}` for CRTO_CLEAR,
 * nothing for CRTO_KEEP. */
void crto_jw_knillable_int(crto_jw_t *w, bool *first, const char *key, crto_nillable_t op, int64_t value);
/* Opens item i of a bulk body's data[] (a comma before all but the first):
 * `{"id":"<id>","type":"<type>","attributes":{`, without the id when it is
 * NULL. The caller writes the attributes and closes with `}}`. */
void crto_api_item_open(crto_jw_t *w, uint32_t i, const char *id, const char *type);

/* Read helpers over a parsed element. */
bool crto_api_text(const crto_jdoc_t *doc, int obj, const char *key, char *out, size_t cap);
int64_t crto_api_int(const crto_jdoc_t *doc, int obj, const char *key);
int crto_api_attributes(const crto_jdoc_t *doc);

/* A segment search: the caller's filter and callback, and its stop. */
typedef struct {
    const void *filter;
    crto_segment_fn on_segment;
    void *arg;
    bool stop;
} crto_segment_search_t;

/* Hands one found segment (arg: crto_segment_search_t) to the caller. */
crto_err_t crto_api_on_segment(void *arg, crto_jdoc_t *doc, int32_t index);

/* Entities. */
void crto_segment_from_json(const crto_jdoc_t *doc, crto_segment_t *s);
void crto_audience_from_json(const crto_jdoc_t *doc, crto_audience_t *a);

/* Write an algebra tree (checked before). */
void crto_algebra_write(crto_jw_t *w, const crto_algebra_node_t *nodes, uint16_t n);

#endif
