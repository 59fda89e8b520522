/*
 * api_call.c - one Audience API call and its envelope: data, errors,
 * warnings, meta. Problems are mapped to request items through
 * "@data/N"; searches walk their pages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "client_internal.h"

void crto_bulk_init(crto_bulk_t *bulk, crto_outcome_t *items, uint32_t n)
{
    memset(bulk, 0, sizeof *bulk);
    bulk->items = items;
    bulk->n_items = items != NULL ? n : 0;
}

crto_outcome_t *crto_bulk_item(crto_bulk_t *bulk, uint32_t i)
{
    return bulk != NULL && bulk->items != NULL && i < bulk->n_items ? &bulk->items[i] : NULL;
}

/* Before each attempt: every item starts ok, with nothing known. */
static void reset_outcomes(void *arg)
{
    crto_api_call_t *call = arg;
    crto_bulk_t *bulk = call->bulk;
    uint32_t i;
    call->total_items = -1;
    call->data_count = 0;
    if (bulk == NULL) {
        return;
    }
    for (i = 0; i < bulk->n_items; i++) {
        memset(&bulk->items[i], 0, sizeof bulk->items[i]);
        bulk->items[i].ok = true;
        bulk->items[i].size = -1;
    }
    bulk->ok = bulk->failed = bulk->errors = bulk->warnings = bulk->general = 0;
    memset(&bulk->first_general, 0, sizeof bulk->first_general);
}

/* "@data/N" -> N, or -1. */
static int32_t item_of(const char *instance)
{
    int64_t v;
    size_t n = strlen(instance);
    if (n <= 6 || memcmp(instance, "@data/", 6) != 0 || crto_parse_int64(instance + 6, n - 6, &v) != CRTO_OK || v < 0 ||
        v > INT32_MAX) {
        return -1;
    }
    return (int32_t)v;
}

static void take_problem(crto_bulk_t *bulk, const crto_jdoc_t *doc, bool warning)
{
    crto_problem_t p;
    crto_outcome_t *o;

    memset(&p, 0, sizeof p);
    p.warning = warning;
    (void)crto_api_text(doc, 0, "type", p.type, sizeof p.type);
    (void)crto_api_text(doc, 0, "code", p.code, sizeof p.code);
    (void)crto_api_text(doc, 0, "instance", p.instance, sizeof p.instance);
    (void)crto_api_text(doc, 0, "title", p.title, sizeof p.title);
    (void)crto_api_text(doc, 0, "detail", p.detail, sizeof p.detail);
    (void)crto_api_text(doc, 0, "traceId", p.trace_id, sizeof p.trace_id);
    if (p.trace_id[0] == '\0') { /* the deprecated name of the same field */
        (void)crto_api_text(doc, 0, "traceIdentifier", p.trace_id, sizeof p.trace_id);
    }
    p.item = item_of(p.instance);
    if (warning) {
        bulk->warnings++;
    } else {
        bulk->errors++;
    }
    o = p.item >= 0 ? crto_bulk_item(bulk, (uint32_t)p.item) : NULL;
    if (o == NULL) {
        p.item = -1;
        if (bulk->general++ == 0) {
            bulk->first_general = p;
        }
    } else {
        o->problems++;
        /* a deprecation notice informs; anything else means the item failed */
        if (!(warning && strcmp(p.type, "deprecation") == 0)) {
            if (o->ok) {
                (void)crto_copy_text(o->code, sizeof o->code, p.code, strlen(p.code));
            }
            o->ok = false;
        }
    }
    if (bulk->on_problem != NULL) {
        bulk->on_problem(bulk->arg, &p);
    }
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

typedef struct {
    crto_client_t *c;
    crto_api_call_t *call;
} element_ctx_t;

static crto_err_t on_element(void *arg, const char *key, size_t key_len, int32_t index, const char *json, size_t len)
{
    element_ctx_t *ec = arg;
    crto_api_call_t *call = ec->call;
    crto_jdoc_t *doc = &ec->c->doc;
    bool errors = key_is(key, key_len, "errors");
    crto_err_t e;

    if (errors || key_is(key, key_len, "warnings")) {
        if (index < 0 || call->bulk == NULL) {
            return CRTO_OK; /* null, [] or nobody to tell */
        }
        if (crto_jdoc_parse(doc, json, len, &ec->c->diag) != CRTO_OK || crto_jdoc_type(doc, 0) != CRTO_JTYPE_OBJECT) {
            return crto_diag_set(&ec->c->diag, CRTO_ERR_JSON, "a problem in \"%s\" is not an object",
                                 errors ? "errors" : "warnings");
        }
        take_problem(call->bulk, doc, !errors);
        return CRTO_OK;
    }
    if (key_is(key, key_len, "meta")) {
        if (crto_jdoc_parse(doc, json, len, &ec->c->diag) == CRTO_OK && crto_jdoc_type(doc, 0) == CRTO_JTYPE_OBJECT) {
            call->total_items = crto_api_int(doc, 0, "totalItems");
        }
        return CRTO_OK;
    }
    if (!key_is(key, key_len, "data")) {
        return CRTO_OK; /* "type" and anything newer */
    }
    if (index >= 0) {
        call->data_count++;
    }
    if (call->on_data == NULL || (index < 0 && len == 4 && memcmp(json, "null", 4) == 0)) {
        return CRTO_OK;
    }
    e = crto_jdoc_parse(doc, json, len, &ec->c->diag);
    if (e != CRTO_OK) {
        return e;
    }
    if (crto_jdoc_type(doc, 0) != CRTO_JTYPE_OBJECT) {
        return crto_diag_set(&ec->c->diag, CRTO_ERR_JSON, "an element of \"data\" is not an object");
    }
    return call->on_data(call->data_arg, doc, index);
}

static void attempt(void *arg)
{
    reset_outcomes(((element_ctx_t *)arg)->call);
}

crto_err_t crto_api_call(crto_client_t *c, crto_api_call_t *call)
{
    crto_request_t req;
    element_ctx_t ec;
    crto_err_t e;
    uint32_t i;

    ec.c = c;
    ec.call = call;
    memset(&req, 0, sizeof req);
    req.method = call->method;
    req.path = call->path;
    req.content_type = call->body != NULL ? "application/json" : NULL;
    req.body = call->body;
    req.body_arg = call->body_arg;
    req.on_element = on_element;
    req.element_arg = &ec;
    req.on_attempt = attempt;
    /* Reads and updates can go again after a cut answer; a create or a
     * delete may already have happened, and a resend would misreport it. */
    req.idempotent = !call->not_idempotent;
    e = crto_client_call(c, &req, &call->result);
    if (call->bulk != NULL) {
        crto_bulk_t *b = call->bulk;
        for (i = 0; i < b->n_items; i++) {
            if (e != CRTO_OK) {
                b->items[i].ok = false;
            }
            if (b->items[i].ok) {
                b->ok++;
            } else {
                b->failed++;
            }
        }
    }
    return e;
}

crto_err_t crto_api_call_for(crto_client_t *c, crto_api_call_t *call, const int64_t *result)
{
    crto_bulk_t local;
    crto_err_t e;
    if (call->bulk == NULL) {
        crto_bulk_init(&local, NULL, 0);
        /* borrowed for this call only: reset to NULL below, before return */
        /* cppcheck-suppress autoVariables */
        call->bulk = &local;
    }
    e = crto_api_call(c, call);
    if (e == CRTO_OK && *result < 0 && call->bulk->general > 0) {
        const crto_problem_t *p = &call->bulk->first_general;
        e = crto_diag_set(&c->diag, CRTO_ERR_BAD_REQUEST, "%s %s answered without a result: %s%s%s", call->method,
                          call->path, p->code, p->detail[0] ? " - " : "", p->detail);
    }
    if (call->bulk == &local) {
        call->bulk = NULL;
    }
    return e;
}

crto_err_t crto_api_path(crto_client_t *c, char *out, size_t cap, const char *fmt, ...)
{
    char rest[CRTO_PATH_MAX];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof rest || crto_client_path(c, out, cap, rest) != CRTO_OK) {
        return crto_diag_set(&c->diag, CRTO_ERR_TOO_LARGE, "request path longer than CRTO_PATH_MAX");
    }
    return CRTO_OK;
}

crto_err_t crto_api_check_id(crto_client_t *c, const char *what, const char *id)
{
    if (id == NULL || !crto_id_is_valid(id, strlen(id))) {
        return crto_diag_set(&c->diag, CRTO_ERR_INVALID_ID, "%s \"%.24s\" is not 1-20 decimal digits", what,
                             id != NULL ? id : "");
    }
    return CRTO_OK;
}

crto_err_t crto_api_check_ids(crto_client_t *c, const char *what, const char *const *ids, uint32_t n)
{
    uint32_t i;
    if (n == 0 || ids == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "no %s given", what);
    }
    for (i = 0; i < n; i++) {
        if (ids[i] == NULL || !crto_id_is_valid(ids[i], strlen(ids[i]))) {
            return crto_diag_set(&c->diag, CRTO_ERR_INVALID_ID, "%s #%u \"%.24s\" is not 1-20 decimal digits", what,
                                 (unsigned)i, ids[i] != NULL ? ids[i] : "");
        }
    }
    return CRTO_OK;
}

typedef struct {
    crto_data_fn on_data;
    void *data_arg;
    bool *stop;
    crto_page_t *page;
} pager_ctx_t;

/* Hands entities on until the caller says stop or max_items is reached;
 * the rest of the page is still read so the connection stays usable. */
static crto_err_t page_data(void *arg, crto_jdoc_t *doc, int32_t index)
{
    pager_ctx_t *p = arg;
    crto_err_t e;
    if (index < 0 || *p->stop) {
        return CRTO_OK;
    }
    e = p->on_data(p->data_arg, doc, index);
    p->page->visited++;
    if (p->page->max_items != 0 && p->page->visited >= p->page->max_items) {
        *p->stop = true;
    }
    return e;
}

crto_err_t crto_api_search(crto_client_t *c, const char *path, uint32_t max_limit, crto_body_fn body, void *body_arg,
                           crto_data_fn on_data, void *data_arg, crto_page_t *page, crto_bulk_t *bulk, bool *stop)
{
    char full[CRTO_PATH_MAX + 64];
    crto_api_call_t call;
    pager_ctx_t pc;
    crto_bulk_t total;
    uint32_t limit = page->limit == 0 || page->limit > max_limit ? max_limit : page->limit;
    crto_err_t e;

    memset(&total, 0, sizeof total);
    page->pages = 0;
    page->visited = 0;
    page->total_items = 0;
    pc.on_data = on_data;
    pc.data_arg = data_arg;
    pc.stop = stop;
    pc.page = page;
    for (;;) {
        (void)snprintf(full, sizeof full, "%s?limit=%u&offset=%llu", path, (unsigned)limit,
                       (unsigned long long)page->offset);
        memset(&call, 0, sizeof call);
        call.method = "POST";
        call.path = full;
        call.body = body;
        call.body_arg = body_arg;
        call.on_data = page_data;
        call.data_arg = &pc;
        call.bulk = bulk;
        e = crto_api_call(c, &call);
        if (bulk != NULL) {
            /* each page's call starts its counts afresh: keep the totals */
            total.errors += bulk->errors;
            total.warnings += bulk->warnings;
            if (total.general == 0 && bulk->general > 0) {
                total.first_general = bulk->first_general;
            }
            total.general += bulk->general;
            bulk->errors = total.errors;
            bulk->warnings = total.warnings;
            bulk->general = total.general;
            bulk->first_general = total.first_general;
        }
        if (e != CRTO_OK) {
            return e;
        }
        page->pages++;
        page->offset += call.data_count;
        if (call.total_items >= 0) {
            page->total_items = (uint64_t)call.total_items;
        }
        if (*stop || call.data_count == 0 || call.total_items < 0 || page->offset >= (uint64_t)call.total_items) {
            return CRTO_OK;
        }
    }
}

crto_err_t crto_api_bulk(crto_client_t *c, const char *method, const char *rest, crto_body_fn body,
                         crto_data_fn on_data, crto_bulk_ctx_t *b)
{
    size_t rlen = strlen(rest);
    bool create_or_delete = (rlen >= 7 && strcmp(rest + rlen - 7, "/create") == 0) ||
                            (rlen >= 7 && strcmp(rest + rlen - 7, "/delete") == 0);
    char path[CRTO_PATH_MAX + 32];
    crto_api_call_t call;
    crto_err_t e = crto_api_path(c, path, sizeof path, "%s", rest);
    if (e != CRTO_OK) {
        return e;
    }
    memset(&call, 0, sizeof call);
    call.method = method;
    call.path = path;
    call.body = body;
    call.body_arg = b;
    call.on_data = on_data;
    call.data_arg = b;
    call.bulk = b->bulk;
    call.not_idempotent = create_or_delete;
    return crto_api_call(c, &call);
}

/* The const char * member at offset `at` of item i. */
static const char *item_text(const crto_bulk_ctx_t *b, uint32_t i, size_t at)
{
    const char *item = (const char *)b->items + (size_t)i * b->item_size;
    const char *text;
    memcpy(&text, item + at, sizeof text);
    return text;
}

crto_err_t crto_api_on_created(void *arg, crto_jdoc_t *doc, int32_t index)
{
    const crto_bulk_ctx_t *b = arg;
    char id[CRTO_ID_MAX + 1], name[CRTO_NAME_MAX + 1], scope[CRTO_ID_MAX + 1];
    int a = crto_api_attributes(doc);
    uint32_t i;
    (void)index;
    (void)crto_api_text(doc, 0, "id", id, sizeof id);
    (void)crto_api_text(doc, a, "name", name, sizeof name);
    scope[0] = '\0';
    if (b->scope_key != NULL) {
        (void)crto_api_text(doc, a, b->scope_key, scope, sizeof scope);
    }
    for (i = 0; i < b->n; i++) {
        crto_outcome_t *o = crto_bulk_item(b->bulk, i);
        if (o != NULL && o->id[0] == '\0' && strcmp(item_text(b, i, b->name_at), name) == 0 &&
            (scope[0] == '\0' || b->scope_key == NULL || strcmp(item_text(b, i, b->scope_at), scope) == 0)) {
            memcpy(o->id, id, sizeof o->id);
            break;
        }
    }
    return CRTO_OK;
}

/* The outcome of the request item the element names by id, or NULL. */
static crto_outcome_t *by_id(const crto_bulk_ctx_t *b, crto_jdoc_t *doc)
{
    char id[CRTO_ID_MAX + 1];
    uint32_t i;
    (void)crto_api_text(doc, 0, "id", id, sizeof id);
    for (i = 0; i < b->n; i++) {
        crto_outcome_t *o = crto_bulk_item(b->bulk, i);
        if (o != NULL && strcmp(b->ids[i], id) == 0) {
            memcpy(o->id, id, sizeof o->id);
            return o;
        }
    }
    return NULL;
}

crto_err_t crto_api_on_by_id(void *arg, crto_jdoc_t *doc, int32_t index)
{
    (void)index;
    (void)by_id(arg, doc);
    return CRTO_OK;
}

crto_err_t crto_api_on_sized(void *arg, crto_jdoc_t *doc, int32_t index)
{
    crto_outcome_t *o = by_id(arg, doc);
    (void)index;
    if (o != NULL) {
        o->size = crto_api_int(doc, crto_api_attributes(doc), "size");
    }
    return CRTO_OK;
}

crto_err_t crto_api_ids_body(crto_jw_t *w, const char *const *ids, uint32_t n, const char *type)
{
    uint32_t i;
    (void)crto_jw_lit(w, "{\"data\":[");
    for (i = 0; i < n; i++) {
        crto_api_item_open(w, i, ids[i], type);
        (void)crto_jw_lit(w, "}}");
    }
    return crto_jw_lit(w, "]}");
}
