/*
 * audiences.c - audiences: Marketing Solutions create, update, delete,
 * search, sizes and estimate; Retail Media search.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

static crto_err_t create_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_ms_audience_create_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_ms_audience_create_t *a = &items[i];
        bool first = true;
        crto_api_item_open(w, i, NULL, "Audience");
        crto_jw_kstr(w, &first, "advertiserId", a->advertiser_id);
        crto_jw_kstr(w, &first, "name", a->name);
        if (a->description != NULL) {
            crto_jw_kstr(w, &first, "description", a->description);
        }
        crto_jw_key(w, &first, "algebra");
        crto_algebra_write(w, a->algebra, a->n_nodes);
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t update_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_ms_audience_update_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_ms_audience_update_t *u = &items[i];
        bool first = true;
        crto_api_item_open(w, i, u->id, "Audience");
        if (u->name != NULL) {
            crto_jw_kstr(w, &first, "name", u->name);
        }
        crto_jw_knillable(w, &first, "description", u->description_op, u->description);
        if (u->algebra != NULL) {
            crto_jw_key(w, &first, "algebra");
            crto_algebra_write(w, u->algebra, u->n_nodes);
        }
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t ids_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    return crto_api_ids_body(w, b->ids, b->n, "Audience");
}

crto_err_t crto_ms_audiences_create(crto_client_t *c, const crto_ms_audience_create_t *items, uint32_t n,
                                    crto_bulk_t *bulk)
{
    /* created audiences come back by name */
    crto_bulk_ctx_t b = { .items = items,
                          .n = n,
                          .bulk = bulk,
                          .item_size = sizeof *items,
                          .name_at = offsetof(crto_ms_audience_create_t, name) };
    uint32_t i;
    crto_err_t e = n == 0 || items == NULL ? crto_diag_set(&c->diag, CRTO_ERR_ARG, "no audience to create") : CRTO_OK;
    for (i = 0; e == CRTO_OK && i < n; i++) {
        e = items[i].name == NULL ? crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u has no name", (unsigned)i)
                                  : crto_api_check_id(c, "advertiser id", items[i].advertiser_id);
        if (e == CRTO_OK) {
            e = crto_algebra_check(items[i].algebra, items[i].n_nodes, &c->diag);
        }
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "POST", "/marketing-solutions/audiences/create", create_body, crto_api_on_created, &b);
}

crto_err_t crto_ms_audiences_update(crto_client_t *c, const crto_ms_audience_update_t *items, uint32_t n,
                                    crto_bulk_t *bulk)
{
    const char *ids[64];
    crto_bulk_ctx_t b = { .items = items, .n = n, .bulk = bulk, .ids = ids };
    uint32_t i;
    crto_err_t e =
        n == 0 || items == NULL || n > 64
            ? crto_diag_set(&c->diag, CRTO_ERR_ARG, "update 1 to 64 audiences per call (got %u)", (unsigned)n)
            : CRTO_OK;
    for (i = 0; e == CRTO_OK && i < n; i++) {
        e = crto_api_check_id(c, "audience id", items[i].id);
        if (e == CRTO_OK && items[i].algebra != NULL) {
            e = crto_algebra_check(items[i].algebra, items[i].n_nodes, &c->diag);
        }
        ids[i] = items[i].id;
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "PATCH", "/marketing-solutions/audiences", update_body, crto_api_on_by_id, &b);
}

crto_err_t crto_ms_audiences_delete(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk)
{
    crto_bulk_ctx_t b = { .items = NULL, .n = n, .bulk = bulk, .ids = ids };
    crto_err_t e = crto_api_check_ids(c, "audience id", ids, n);
    return e != CRTO_OK
               ? e
               : crto_api_bulk(c, "POST", "/marketing-solutions/audiences/delete", ids_body, crto_api_on_by_id, &b);
}

crto_err_t crto_ms_audiences_compute_sizes(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk)
{
    crto_bulk_ctx_t b = { .items = NULL, .n = n, .bulk = bulk, .ids = ids };
    crto_err_t e = crto_api_check_ids(c, "audience id", ids, n);
    return e != CRTO_OK ? e
                        : crto_api_bulk(c, "POST", "/marketing-solutions/audiences/compute-sizes", ids_body,
                                        crto_api_on_sized, &b);
}

/* ------------------------------------------------------------ search */

typedef struct {
    const void *filter;
    bool rm;
    crto_audience_fn on_audience;
    void *arg;
    bool stop;
} search_ctx_t;

static crto_err_t search_body(void *arg, crto_jw_t *w)
{
    const search_ctx_t *s = arg;
    bool first = true;
    (void)crto_jw_lit(w, s->rm ? "{\"data\":{\"type\":\"RetailMediaAudience\",\"attributes\":{"
                               : "{\"data\":{\"type\":\"Audience\",\"attributes\":{");
    if (s->rm && s->filter != NULL) {
        const crto_rm_audience_filter_t *f = s->filter;
        if (f->audience_ids.n > 0) {
            crto_jw_kstrings(w, &first, "audienceIds", &f->audience_ids);
        }
        if (f->segment_ids.n > 0) {
            crto_jw_kstrings(w, &first, "audienceSegmentIds", &f->segment_ids);
        }
        if (f->retailer_ids.n > 0) {
            crto_jw_kstrings(w, &first, "retailerIds", &f->retailer_ids);
        }
    } else if (s->filter != NULL) {
        const crto_ms_audience_filter_t *f = s->filter;
        if (f->audience_ids.n > 0) {
            crto_jw_kstrings(w, &first, "audienceIds", &f->audience_ids);
        }
        if (f->advertiser_ids.n > 0) {
            crto_jw_kstrings(w, &first, "advertiserIds", &f->advertiser_ids);
        }
        if (f->ad_set_ids.n > 0) {
            crto_jw_kstrings(w, &first, "adSetIds", &f->ad_set_ids);
        }
        if (f->segment_ids.n > 0) {
            crto_jw_kstrings(w, &first, "audienceSegmentIds", &f->segment_ids);
        }
    }
    return crto_jw_lit(w, "}}}");
}

static crto_err_t on_found(void *arg, crto_jdoc_t *doc, int32_t index)
{
    search_ctx_t *s = arg;
    crto_audience_t a;
    (void)index;
    crto_audience_from_json(doc, &a);
    if (!s->on_audience(s->arg, &a)) {
        s->stop = true;
    }
    return CRTO_OK;
}

static crto_err_t check_lists(crto_client_t *c, const crto_strings_t *const *lists, const char *const *names, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (lists[i]->n > 0) {
            crto_err_t e = crto_api_check_ids(c, names[i], lists[i]->v, lists[i]->n);
            if (e != CRTO_OK) {
                return e;
            }
        }
    }
    return CRTO_OK;
}

crto_err_t crto_ms_audiences_search(crto_client_t *c, const crto_ms_audience_filter_t *filter, crto_page_t *page,
                                    crto_audience_fn on_audience, void *arg, crto_bulk_t *bulk)
{
    search_ctx_t s = { filter, false, on_audience, arg, false };
    char path[CRTO_PATH_MAX];
    crto_err_t e = on_audience == NULL || page == NULL
                       ? crto_diag_set(&c->diag, CRTO_ERR_ARG, "search needs a page and a callback")
                       : CRTO_OK;
    if (e == CRTO_OK && filter != NULL) {
        const crto_strings_t *lists[] = { &filter->audience_ids, &filter->advertiser_ids, &filter->ad_set_ids,
                                          &filter->segment_ids };
        static const char *const names[] = { "audience id", "advertiser id", "ad set id", "segment id" };
        e = check_lists(c, lists, names, 4);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audiences/search");
    }
    return e != CRTO_OK ? e : crto_api_search(c, path, 100, search_body, &s, on_found, &s, page, bulk, &s.stop);
}

crto_err_t crto_rm_audiences_search(crto_client_t *c, const char *account_id, const crto_rm_audience_filter_t *filter,
                                    crto_page_t *page, crto_audience_fn on_audience, void *arg, crto_bulk_t *bulk)
{
    search_ctx_t s = { filter, true, on_audience, arg, false };
    char path[CRTO_PATH_MAX];
    crto_err_t e = on_audience == NULL || page == NULL
                       ? crto_diag_set(&c->diag, CRTO_ERR_ARG, "search needs a page and a callback")
                       : crto_api_check_id(c, "account id", account_id);
    if (e == CRTO_OK && filter != NULL) {
        const crto_strings_t *lists[] = { &filter->audience_ids, &filter->segment_ids, &filter->retailer_ids };
        static const char *const names[] = { "audience id", "segment id", "retailer id" };
        e = check_lists(c, lists, names, 3);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/retail-media/accounts/%s/audiences/search", account_id);
    }
    return e != CRTO_OK ? e : crto_api_search(c, path, 500, search_body, &s, on_found, &s, page, bulk, &s.stop);
}

/* ------------------------------------------------------------ estimate */

typedef struct {
    const char *advertiser_id;
    const crto_algebra_node_t *algebra;
    uint16_t n_nodes;
} estimate_t;

static crto_err_t estimate_body(void *arg, crto_jw_t *w)
{
    const estimate_t *est = arg;
    bool first = true;
    (void)crto_jw_lit(w, "{\"data\":{\"type\":\"Audience\",\"attributes\":{");
    crto_jw_kstr(w, &first, "advertiserId", est->advertiser_id);
    crto_jw_key(w, &first, "algebra");
    crto_algebra_write(w, est->algebra, est->n_nodes);
    return crto_jw_lit(w, "}}}");
}

static crto_err_t on_size(void *arg, crto_jdoc_t *doc, int32_t index)
{
    (void)index;
    *(int64_t *)arg = crto_api_int(doc, crto_api_attributes(doc), "size");
    return CRTO_OK;
}

crto_err_t crto_ms_audiences_estimate_size(crto_client_t *c, const char *advertiser_id,
                                           const crto_algebra_node_t *algebra, uint16_t n_nodes, int64_t *size)
{
    estimate_t est = { advertiser_id, algebra, n_nodes };
    char path[CRTO_PATH_MAX];
    crto_api_call_t call;
    crto_err_t e = crto_api_check_id(c, "advertiser id", advertiser_id);
    if (e == CRTO_OK) {
        e = crto_algebra_check(algebra, n_nodes, &c->diag);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audiences/estimate-size");
    }
    if (e != CRTO_OK) {
        return e;
    }
    *size = -1;
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = path;
    call.body = estimate_body;
    call.body_arg = &est;
    call.on_data = on_size;
    call.data_arg = size;
    return crto_api_call_for(c, &call, size);
}
