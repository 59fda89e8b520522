/*
 * segments_ms.c - Marketing Solutions audience segments and their contact
 * lists' statistics and wipe.
 */
#include <stddef.h>
#include <string.h>

#include "api.h"

crto_ms_segment_create_t crto_ms_segment_create_default(const char *advertiser_id, const char *name)
{
    crto_ms_segment_create_t s;
    memset(&s, 0, sizeof s);
    s.advertiser_id = advertiser_id;
    s.name = name;
    s.kind = CRTO_SEGMENT_CONTACT_LIST;
    s.lookalike.target_size = -1;
    s.prospecting.days_min = s.prospecting.days_max = -1;
    s.retargeting.days_min = s.retargeting.days_max = -1;
    s.location.radius_km = -1;
    return s;
}

crto_ms_segment_update_t crto_ms_segment_update_default(const char *id)
{
    crto_ms_segment_update_t u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.lookalike_target_size = -1;
    u.retargeting_days_min = u.retargeting_days_max = -1;
    u.location.radius_km = -1;
    return u;
}

/* ------------------------------------------------------------ writers */

static void write_in_market(crto_jw_t *w, const crto_in_market_t *m, bool gender_nillable, crto_nillable_t gender_op)
{
    bool first = true;
    (void)crto_jw_raw(w, "{", 1);
    if (m->country != NULL) {
        crto_jw_kstr(w, &first, "country", m->country);
    }
    if (m->brand_ids.n > 0) {
        crto_jw_kstrings(w, &first, "brandIds", &m->brand_ids);
    }
    if (m->interest_ids.n > 0) {
        crto_jw_kstrings(w, &first, "interestIds", &m->interest_ids);
    }
    if (m->buying_power.n > 0) {
        crto_jw_kstrings(w, &first, "buyingPower", &m->buying_power);
    }
    if (m->price_range.n > 0) {
        crto_jw_kstrings(w, &first, "priceRange", &m->price_range);
    }
    if (gender_nillable) {
        crto_jw_knillable(w, &first, "gender", gender_op, m->gender);
    } else if (m->gender != NULL) {
        crto_jw_kstr(w, &first, "gender", m->gender);
    }
    (void)crto_jw_raw(w, "}", 1);
}

static void write_location(crto_jw_t *w, const crto_location_t *l)
{
    bool first = true;
    uint32_t i;
    (void)crto_jw_raw(w, "{", 1);
    crto_jw_key(w, &first, "pointsOfInterest");
    (void)crto_jw_raw(w, "[", 1);
    for (i = 0; i < l->n_points; i++) {
        const crto_poi_t *p = &l->points[i];
        bool f = true;
        (void)crto_jw_raw(w, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
        /* checked as decimal numbers before: written as they are */
        crto_jw_key(w, &f, "latitude");
        (void)crto_jw_lit(w, p->latitude);
        crto_jw_key(w, &f, "longitude");
        (void)crto_jw_lit(w, p->longitude);
        if (p->name != NULL) {
            crto_jw_kstr(w, &f, "name", p->name);
        }
        (void)crto_jw_raw(w, "}", 1);
    }
    (void)crto_jw_raw(w, "]", 1);
    if (l->radius_km >= 0) {
        crto_jw_kint(w, &first, "radiusInKm", l->radius_km);
    }
    (void)crto_jw_raw(w, "}", 1);
}

static void write_days(crto_jw_t *w, bool *first, int32_t min, int32_t max)
{
    if (min >= 0) {
        crto_jw_kint(w, first, "daysSinceLastVisitMin", min);
    }
    if (max >= 0) {
        crto_jw_kint(w, first, "daysSinceLastVisitMax", max);
    }
}

/* The targeting object of a create item (and of an estimate). */
static void write_targeting(crto_jw_t *w, bool *first, const crto_ms_segment_create_t *s)
{
    bool f = true;
    switch (s->kind) {
    case CRTO_SEGMENT_IN_MARKET:
        crto_jw_key(w, first, "inMarket");
        write_in_market(w, &s->in_market, false, CRTO_KEEP);
        break;
    case CRTO_SEGMENT_LOCATION:
        crto_jw_key(w, first, "location");
        write_location(w, &s->location);
        break;
    case CRTO_SEGMENT_LOOKALIKE:
        crto_jw_key(w, first, "lookalike");
        (void)crto_jw_raw(w, "{", 1);
        crto_jw_kstr(w, &f, "seedSegmentId", s->lookalike.seed_segment_id);
        if (s->lookalike.target_size >= 0) {
            crto_jw_kint(w, &f, "targetSize", s->lookalike.target_size);
        }
        (void)crto_jw_raw(w, "}", 1);
        break;
    case CRTO_SEGMENT_PROSPECTING:
        crto_jw_key(w, first, "prospecting");
        (void)crto_jw_raw(w, "{", 1);
        crto_jw_kstr(w, &f, "usersType", s->prospecting.users_type);
        write_days(w, &f, s->prospecting.days_min, s->prospecting.days_max);
        (void)crto_jw_raw(w, "}", 1);
        break;
    case CRTO_SEGMENT_RETARGETING:
        crto_jw_key(w, first, "retargeting");
        (void)crto_jw_raw(w, "{", 1);
        crto_jw_kstr(w, &f, "visitorsType", s->retargeting.visitors_type);
        write_days(w, &f, s->retargeting.days_min, s->retargeting.days_max);
        (void)crto_jw_raw(w, "}", 1);
        break;
    default:
        crto_jw_key(w, first, "contactList");
        (void)crto_jw_lit(w, "{}");
        break;
    }
}

static crto_err_t create_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_ms_segment_create_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_ms_segment_create_t *s = &items[i];
        bool first = true;
        crto_api_item_open(w, i, NULL, "AudienceSegment");
        crto_jw_kstr(w, &first, "advertiserId", s->advertiser_id);
        crto_jw_kstr(w, &first, "name", s->name);
        if (s->description != NULL) {
            crto_jw_kstr(w, &first, "description", s->description);
        }
        write_targeting(w, &first, s);
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t update_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    const crto_ms_segment_update_t *items = b->items;
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < b->n; i++) {
        const crto_ms_segment_update_t *u = &items[i];
        bool first = true, f = true;
        crto_api_item_open(w, i, u->id, "AudienceSegment");
        if (u->name != NULL) {
            crto_jw_kstr(w, &first, "name", u->name);
        }
        crto_jw_knillable(w, &first, "description", u->description_op, u->description);
        if (u->in_market_set) {
            crto_jw_key(w, &first, "inMarket");
            write_in_market(w, &u->in_market, true, u->gender_op);
        }
        if (u->location_set) {
            crto_jw_key(w, &first, "location");
            write_location(w, &u->location);
        }
        if (u->lookalike_target_size >= 0) {
            crto_jw_key(w, &first, "lookalike");
            (void)crto_jw_lit(w, "{\"targetSize\":");
            (void)crto_jw_int(w, u->lookalike_target_size);
            (void)crto_jw_raw(w, "}", 1);
        }
        if (u->prospecting_users_type != NULL || u->prospecting_days_min_op != CRTO_KEEP ||
            u->prospecting_days_max_op != CRTO_KEEP) {
            crto_jw_key(w, &first, "prospecting");
            (void)crto_jw_raw(w, "{", 1);
            if (u->prospecting_users_type != NULL) {
                crto_jw_kstr(w, &f, "usersType", u->prospecting_users_type);
            }
            crto_jw_knillable_int(w, &f, "daysSinceLastVisitMin", u->prospecting_days_min_op, u->prospecting_days_min);
            crto_jw_knillable_int(w, &f, "daysSinceLastVisitMax", u->prospecting_days_max_op, u->prospecting_days_max);
            (void)crto_jw_raw(w, "}", 1);
        }
        if (u->retargeting_visitors_type != NULL || u->retargeting_days_min >= 0 || u->retargeting_days_max >= 0) {
            bool g = true;
            crto_jw_key(w, &first, "retargeting");
            (void)crto_jw_raw(w, "{", 1);
            if (u->retargeting_visitors_type != NULL) {
                crto_jw_kstr(w, &g, "visitorsType", u->retargeting_visitors_type);
            }
            write_days(w, &g, u->retargeting_days_min, u->retargeting_days_max);
            (void)crto_jw_raw(w, "}", 1);
        }
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}

static crto_err_t segment_ids_body(void *arg, crto_jw_t *w)
{
    const crto_bulk_ctx_t *b = arg;
    return crto_api_ids_body(w, b->ids, b->n, "AudienceSegment");
}

/* ------------------------------------------------------------ readers */

/* ------------------------------------------------------------ checks */

static bool decimal(const char *s)
{
    size_t i = 0, digits = 0;
    bool dot = false;
    if (s == NULL) {
        return false;
    }
    if (s[0] == '-') {
        i++;
    }
    for (; s[i] != '\0'; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digits++;
        } else if (s[i] == '.' && !dot && digits > 0) {
            dot = true;
        } else {
            return false;
        }
    }
    return digits > 0 && s[i - 1] != '.';
}

static bool country_ok(const char *s)
{
    return s != NULL && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

static crto_err_t check_targeting(crto_client_t *c, const crto_ms_segment_create_t *s, uint32_t i)
{
    uint32_t k;
    switch (s->kind) {
    case CRTO_SEGMENT_CONTACT_LIST:
        return CRTO_OK;
    case CRTO_SEGMENT_IN_MARKET:
        if (!country_ok(s->in_market.country)) {
            return crto_diag_set(&c->diag, CRTO_ERR_ARG,
                                 "item %u: inMarket needs an ISO 3166 alpha-2 country such as FR", (unsigned)i);
        }
        return CRTO_OK;
    case CRTO_SEGMENT_LOCATION:
        if (s->location.n_points == 0 || s->location.radius_km < 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u: location needs points and a radius", (unsigned)i);
        }
        for (k = 0; k < s->location.n_points; k++) {
            if (!decimal(s->location.points[k].latitude) || !decimal(s->location.points[k].longitude)) {
                return crto_diag_set(&c->diag, CRTO_ERR_ARG,
                                     "item %u: point %u has a latitude or longitude that is not a decimal number",
                                     (unsigned)i, (unsigned)k);
            }
        }
        return CRTO_OK;
    case CRTO_SEGMENT_LOOKALIKE:
        return crto_api_check_id(c, "lookalike seed segment id", s->lookalike.seed_segment_id);
    case CRTO_SEGMENT_PROSPECTING:
        if (s->prospecting.users_type == NULL) {
            return crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u: prospecting needs a usersType", (unsigned)i);
        }
        return CRTO_OK;
    case CRTO_SEGMENT_RETARGETING:
        if (s->retargeting.visitors_type == NULL || s->retargeting.days_min < 0 || s->retargeting.days_max < 0) {
            return crto_diag_set(&c->diag, CRTO_ERR_ARG,
                                 "item %u: retargeting needs a visitorsType and both day bounds", (unsigned)i);
        }
        return CRTO_OK;
    default:
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u: segments of type %s cannot be created", (unsigned)i,
                             crto_segment_kind_name(s->kind));
    }
}

/* ------------------------------------------------------------ operations */

crto_err_t crto_ms_segments_create(crto_client_t *c, const crto_ms_segment_create_t *items, uint32_t n,
                                   crto_bulk_t *bulk)
{
    /* created segments come back by name */
    crto_bulk_ctx_t b = { .items = items,
                          .n = n,
                          .bulk = bulk,
                          .item_size = sizeof *items,
                          .name_at = offsetof(crto_ms_segment_create_t, name) };
    uint32_t i;
    crto_err_t e;
    if (n == 0 || items == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "no segment to create");
    }
    for (i = 0; i < n; i++) {
        if (items[i].name == NULL) {
            return crto_diag_set(&c->diag, CRTO_ERR_ARG, "item %u has no name", (unsigned)i);
        }
        e = crto_api_check_id(c, "advertiser id", items[i].advertiser_id);
        if (e == CRTO_OK) {
            e = check_targeting(c, &items[i], i);
        }
        if (e != CRTO_OK) {
            return e;
        }
    }
    return crto_api_bulk(c, "POST", "/marketing-solutions/audience-segments/create", create_body, crto_api_on_created,
                         &b);
}

crto_err_t crto_ms_segments_update(crto_client_t *c, const crto_ms_segment_update_t *items, uint32_t n,
                                   crto_bulk_t *bulk)
{
    const char *ids[64];
    crto_bulk_ctx_t b = { .items = items, .n = n, .bulk = bulk, .ids = ids };
    uint32_t i;
    if (n == 0 || items == NULL || n > 64) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "update 1 to 64 segments per call (got %u)", (unsigned)n);
    }
    for (i = 0; i < n; i++) {
        crto_err_t e = crto_api_check_id(c, "segment id", items[i].id);
        if (e != CRTO_OK) {
            return e;
        }
        ids[i] = items[i].id;
    }
    return crto_api_bulk(c, "PATCH", "/marketing-solutions/audience-segments", update_body, crto_api_on_by_id, &b);
}

crto_err_t crto_ms_segments_delete(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk)
{
    crto_bulk_ctx_t b = { .items = NULL, .n = n, .bulk = bulk, .ids = ids };
    crto_err_t e = crto_api_check_ids(c, "segment id", ids, n);
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "POST", "/marketing-solutions/audience-segments/delete", segment_ids_body,
                         crto_api_on_by_id, &b);
}

crto_err_t crto_ms_segments_compute_sizes(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk)
{
    crto_bulk_ctx_t b = { .items = NULL, .n = n, .bulk = bulk, .ids = ids };
    crto_err_t e = crto_api_check_ids(c, "segment id", ids, n);
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_bulk(c, "POST", "/marketing-solutions/audience-segments/compute-sizes", segment_ids_body,
                         crto_api_on_sized, &b);
}

/* ------------------------------------------------------------ search */

static crto_err_t search_body(void *arg, crto_jw_t *w)
{
    const crto_segment_search_t *s = arg;
    const crto_ms_segment_filter_t *f = s->filter;
    bool first = true;
    (void)crto_jw_lit(w, "{\"data\":{\"type\":\"AudienceSegment\",\"attributes\":{");
    if (f != NULL && f->advertiser_ids.n > 0) {
        crto_jw_kstrings(w, &first, "advertiserIds", &f->advertiser_ids);
    }
    if (f != NULL && f->segment_ids.n > 0) {
        crto_jw_kstrings(w, &first, "audienceSegmentIds", &f->segment_ids);
    }
    if (f != NULL && f->kinds.n > 0) {
        crto_jw_kstrings(w, &first, "audienceSegmentTypes", &f->kinds);
    }
    return crto_jw_lit(w, "}}}");
}

crto_err_t crto_ms_segments_search(crto_client_t *c, const crto_ms_segment_filter_t *filter, crto_page_t *page,
                                   crto_segment_fn on_segment, void *arg, crto_bulk_t *bulk)
{
    char path[CRTO_PATH_MAX];
    crto_segment_search_t s = { filter, on_segment, arg, false };
    crto_err_t e;
    if (on_segment == NULL || page == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "search needs a page and a callback");
    }
    if (filter != NULL) {
        e = filter->advertiser_ids.n > 0
                ? crto_api_check_ids(c, "advertiser id", filter->advertiser_ids.v, filter->advertiser_ids.n)
                : CRTO_OK;
        if (e == CRTO_OK && filter->segment_ids.n > 0) {
            e = crto_api_check_ids(c, "segment id", filter->segment_ids.v, filter->segment_ids.n);
        }
        if (e != CRTO_OK) {
            return e;
        }
    }
    e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audience-segments/search");
    if (e != CRTO_OK) {
        return e;
    }
    return crto_api_search(c, path, 100, search_body, &s, crto_api_on_segment, &s, page, bulk, &s.stop);
}

/* ------------------------------------------------------------ estimate */

static crto_err_t estimate_body(void *arg, crto_jw_t *w)
{
    const crto_ms_segment_create_t *s = arg;
    bool first = true;
    (void)crto_jw_lit(w, "{\"data\":{\"type\":\"AudienceSegment\",\"attributes\":{");
    crto_jw_kstr(w, &first, "advertiserId", s->advertiser_id);
    write_targeting(w, &first, s);
    return crto_jw_lit(w, "}}}");
}

static crto_err_t on_size(void *arg, crto_jdoc_t *doc, int32_t index)
{
    (void)index;
    *(int64_t *)arg = crto_api_int(doc, crto_api_attributes(doc), "size");
    return CRTO_OK;
}

crto_err_t crto_ms_segments_estimate_size(crto_client_t *c, const crto_ms_segment_create_t *item, int64_t *size)
{
    char path[CRTO_PATH_MAX];
    crto_api_call_t call;
    crto_err_t e = crto_api_check_id(c, "advertiser id", item->advertiser_id);
    if (e == CRTO_OK && item->kind != CRTO_SEGMENT_IN_MARKET && item->kind != CRTO_SEGMENT_LOCATION) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "a size can be estimated for inMarket or location only");
    }
    if (e == CRTO_OK) {
        e = check_targeting(c, item, 0);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audience-segments/estimate-size");
    }
    if (e != CRTO_OK) {
        return e;
    }
    *size = -1;
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = path;
    call.body = estimate_body;
    call.body_arg = (void *)(uintptr_t)item;
    call.on_data = on_size;
    call.data_arg = size;
    return crto_api_call_for(c, &call, size);
}

/* ------------------------------------------------------------ in-market */

typedef struct {
    crto_in_market_fn on_item;
    void *arg;
    bool stop;
} in_market_ctx_t;

static crto_err_t on_in_market(void *arg, crto_jdoc_t *doc, int32_t index)
{
    in_market_ctx_t *m = arg;
    crto_in_market_item_t it;
    int a = crto_api_attributes(doc);
    if (index < 0 || m->stop) {
        return CRTO_OK;
    }
    memset(&it, 0, sizeof it);
    (void)crto_api_text(doc, 0, "id", it.id, sizeof it.id);
    (void)crto_api_text(doc, a, "name", it.name, sizeof it.name);
    (void)crto_api_text(doc, a, "parentId", it.parent_id, sizeof it.parent_id);
    it.size = crto_api_int(doc, a, "size");
    if (!m->on_item(m->arg, &it)) {
        m->stop = true;
    }
    return CRTO_OK;
}

static crto_err_t in_market(crto_client_t *c, const char *what, const char *advertiser_id, const char *country,
                            crto_in_market_fn on_item, void *arg)
{
    char path[CRTO_PATH_MAX];
    crto_api_call_t call;
    in_market_ctx_t m = { on_item, arg, false };
    crto_err_t e = crto_api_check_id(c, "advertiser id", advertiser_id);
    if (e == CRTO_OK && !country_ok(country)) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "country must be an ISO 3166 alpha-2 code such as FR");
    }
    if (e == CRTO_OK && on_item == NULL) {
        e = crto_diag_set(&c->diag, CRTO_ERR_ARG, "no callback for the results");
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audience-segments/%s?advertiser-id=%s&country=%s",
                          what, advertiser_id, country);
    }
    if (e != CRTO_OK) {
        return e;
    }
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = path;
    call.on_data = on_in_market;
    call.data_arg = &m;
    return crto_api_call(c, &call);
}

crto_err_t crto_ms_in_market_brands(crto_client_t *c, const char *advertiser_id, const char *country,
                                    crto_in_market_fn on_item, void *arg)
{
    return in_market(c, "in-market-brands", advertiser_id, country, on_item, arg);
}

crto_err_t crto_ms_in_market_interests(crto_client_t *c, const char *advertiser_id, const char *country,
                                       crto_in_market_fn on_item, void *arg)
{
    return in_market(c, "in-market-interests", advertiser_id, country, on_item, arg);
}
