/*
 * segments_rm.c - Retail Media audience segments (account level).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api.h"

static crto_err_t create_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_rm_segment_create_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_rm_segment_create_t *s = &items[i];
        bool first = true;
        crto_api_item_open(w, i, NULL, "RetailMediaAudienceSegment");
        crto_jw_kstr(w, &first, "retailerId", s->retailer_id);
        crto_jw_kstr(w, &first, "name", s->name);
        if (s->description != NULL) {
            crto_jw_kstr(w, &first, "description", s->description);
        }
        crto_jw_key(w, &first, "contactList");
        (void)crto_jw_lit(w, "{\"identifierType\":\"");
        (void)crto_jw_lit(w, crto_id_type_name(CRTO_PRODUCT_RM, s->identifier_type));
        (void)crto_jw_lit(w, "\"}}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t update_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_rm_segment_update_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_rm_segment_update_t *u = &items[i];
        bool first = true;
        crto_api_item_open(w, i, u->id, "RetailMediaAudienceSegment");
        if (u->name != NULL) {
            crto_jw_kstr(w, &first, "name", u->name);
        }
        crto_jw_knillable(w, &first, "description", u->description_op, u->description);
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t ids_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    return crto_api_ids_body(w, b->ids, b->n, "RetailMediaAudienceSegment");
}

static crto_err_t account_rest(crto_client_t *c, char *rest, size_t cap, const char *account_id, const char *tail)
{
    crto_err_t e = crto_api_check_id(c, "account id", account_id);
    if (e != CRTO_OK) {
        return e;
    }
    (void)snprintf(rest, cap, "/retail-media/accounts/%s/audience-segments%s", account_id, tail);
    return CRTO_OK;
}

crto_err_t crto_rm_segments_create(crto_client_t *c, const char *account_id, const crto_rm_segment_create_t *items,
                                   uint32_t n, crto_bulk_t *bulk)
{
    /* created segments come back by name, unique per retailer */
    crto_bulk_ctx_t b = { .items = items,
                          .n = n,
                          .bulk = bulk,
                          .item_size = sizeof *items,
                          .name_at = offsetof(crto_rm_segment_create_t, name),
                          .scope_at = offsetof(crto_rm_segment_create_t, retailer_id),
                          .scope_key = "retailerId" };
    char rest[96];
    uint32_t i;
    crto_err_t e = account_rest(c, rest, sizeof rest, account_id, "/create");
    if (e == CRTO_OK && (n == 0 || items == NULL)) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "no segment to create");
    }
    for (i = 0; e == CRTO_OK && i < n; i++) {
        if (items[i].name == NULL) {
            e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u has no name", (unsigned)i);
        } else if (crto_id_type_name(CRTO_PRODUCT_RM, items[i].identifier_type) == NULL ||
                   items[i].identifier_type == CRTO_ID_GUM) {
            e = crto_diag_set(&c->diag, CRTO_ERR_ARG,
                              "item %u: a Retail Media segment's identifier type is Email, UserIdentifier, "
                              "IdentityLink, CustomerId or PhoneNumber",
                              (unsigned)i);
        } else {
            e = crto_api_check_id(c, "retailer id", items[i].retailer_id);
        }
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "POST", rest, create_body, crto_api_on_created, &b);
}

crto_err_t crto_rm_segments_update(crto_client_t *c, const char *account_id, const crto_rm_segment_update_t *items,
                                   uint32_t n, crto_bulk_t *bulk)
{
    const char *ids[64];
    crto_bulk_ctx_t b = { .items = items, .n = n, .bulk = bulk, .ids = ids };
    char rest[96];
    uint32_t i;
    crto_err_t e = account_rest(c, rest, sizeof rest, account_id, "");
    if (e == CRTO_OK && (n == 0 || items == NULL || n > 64)) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "update 1 to 64 segments per call (got %u)", (unsigned)n);
    }
    for (i = 0; e == CRTO_OK && i < n; i++) {
        e = crto_api_check_id(c, "segment id", items[i].id);
        ids[i] = items[i].id;
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "PATCH", rest, update_body, crto_api_on_by_id, &b);
}

crto_err_t crto_rm_segments_delete(crto_client_t *c, const char *account_id, const char *const *ids, uint32_t n,
                                   crto_bulk_t *bulk)
{
    crto_bulk_ctx_t b = { .items = NULL, .n = n, .bulk = bulk, .ids = ids };
    char rest[96];
    crto_err_t e = account_rest(c, rest, sizeof rest, account_id, "/delete");
    if (e == CRTO_OK) {
        e = crto_api_check_ids(c, "segment id", ids, n);
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "POST", rest, ids_body, crto_api_on_by_id, &b);
}

static crto_err_t search_body(void *arg, crto_jw_t *w)
{
    const crto_segment_search_t *s = arg;
    const crto_rm_segment_filter_t *f = s->filter;
    bool first = true;
    (void)crto_jw_lit(w, "{\"data\":{\"type\":\"RetailMediaAudienceSegment\",\"attributes\":{");
    if (f != NULL && f->segment_ids.n > 0) {
        crto_jw_kstrings(w, &first, "audienceSegmentIds", &f->segment_ids);
    }
    if (f != NULL && f->retailer_ids.n > 0) {
        crto_jw_kstrings(w, &first, "retailerIds", &f->retailer_ids);
    }
    if (f != NULL && f->kinds.n > 0) {
        crto_jw_kstrings(w, &first, "audienceSegmentTypes", &f->kinds);
    }
    return crto_jw_lit(w, "}}}");
}

crto_err_t crto_rm_segments_search(crto_client_t *c, const char *account_id, const crto_rm_segment_filter_t *filter,
                                   crto_page_t *page, crto_segment_fn on_segment, void *arg, crto_bulk_t *bulk)
{
    crto_segment_search_t s = { filter, on_segment, arg, false };
    char rest[96], path[CRTO_PATH_MAX];
    crto_err_t e = account_rest(c, rest, sizeof rest, account_id, "/search");
    if (e == CRTO_OK && (on_segment == NULL || page == NULL)) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "search needs a page and a callback");
    }
    if (e == CRTO_OK && filter != NULL && filter->retailer_ids.n > 0) {
        e = crto_api_check_ids(c, "retailer id", filter->retailer_ids.v, filter->retailer_ids.n);
    }
    if (e == CRTO_OK && filter != NULL && filter->segment_ids.n > 0) {
        e = crto_api_check_ids(c, "segment id", filter->segment_ids.v, filter->segment_ids.n);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "%s", rest);
    }
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_search(c, path, 500, search_body, &s, crto_api_on_segment, &s, page, bulk, &s.stop);
}
