/*
 * api_json.c - the JSON every Audience request and entity shares: keyed
 * members for request bodies, tolerant reads of entities (unknown members
 * skipped, absent or null fields left empty, long text cut with a flag).
 */
#include <string.h>

#include "api.h"

bool crto_copy_text(char *out, size_t cap, const char *in, size_t len)
{
    bool cut = false;
    if (cap == 0) {
        return len > 0;
    }
    if (len > cap - 1) {
        len = cap - 1;
        /* step back over a split UTF-8 sequence */
        while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80) {
            len--;
        }
        cut = true;
    }
    memcpy(out, in, len);
    out[len] = '\0';
    return cut;
}

void crto_jw_key(crto_jw_t *w, bool *first, const char *key)
{
    if (!*first) {
        (void)crto_jw_raw(w, ",", 1);
    }
    *first = false;
    (void)crto_jw_str(w, key, strlen(key));
    (void)crto_jw_raw(w, ":", 1);
}

void crto_jw_kstr(crto_jw_t *w, bool *first, const char *key, const char *value)
{
    crto_jw_key(w, first, key);
    (void)crto_jw_str(w, value, strlen(value));
}

void crto_jw_kint(crto_jw_t *w, bool *first, const char *key, int64_t value)
{
    crto_jw_key(w, first, key);
    (void)crto_jw_int(w, value);
}

void crto_jw_kstrings(crto_jw_t *w, bool *first, const char *key, const crto_strings_t *list)
{
    uint32_t i;
    crto_jw_key(w, first, key);
    (void)crto_jw_raw(w, "[", 1);
    for (i = 0; i < list->n; i++) {
        if (i > 0) {
            (void)crto_jw_raw(w, ",", 1);
        }
        (void)crto_jw_str(w, list->v[i], strlen(list->v[i]));
    }
    (void)crto_jw_raw(w, "]", 1);
}

void crto_jw_knillable(crto_jw_t *w, bool *first, const char *key, crto_nillable_t op, const char *value)
{
    if (op == CRTO_KEEP) {
        return;
    }
    crto_jw_key(w, first, key);
    if (op == CRTO_CLEAR || value == NULL) {
        (void)crto_jw_lit(w, "{\"value\":null}");
    } else {
        (void)crto_jw_lit(w, "{\"value\":");
        (void)crto_jw_str(w, value, strlen(value));
        (void)crto_jw_raw(w, "}", 1);
    }
}

void crto_jw_knillable_int(crto_jw_t *w, bool *first, const char *key, crto_nillable_t op, int64_t value)
{
    if (op == CRTO_KEEP) {
        return;
    }
    crto_jw_key(w, first, key);
    if (op == CRTO_CLEAR) {
        (void)crto_jw_lit(w, "{\"value\":null}");
    } else {
        (void)crto_jw_lit(w, "{\"value\":");
        (void)crto_jw_int(w, value);
        (void)crto_jw_raw(w, "}", 1);
    }
}

void crto_api_item_open(crto_jw_t *w, uint32_t i, const char *id, const char *type)
{
    (void)crto_jw_lit(w, i > 0 ? ",{" : "{");
    if (id != NULL) {
        (void)crto_jw_lit(w, "\"id\":");
        (void)crto_jw_str(w, id, strlen(id));
        (void)crto_jw_raw(w, ",", 1);
    }
    (void)crto_jw_lit(w, "\"type\":\"");
    (void)crto_jw_lit(w, type);
    (void)crto_jw_lit(w, "\",\"attributes\":{");
}

bool crto_api_text(const crto_jdoc_t *doc, int obj, const char *key, char *out, size_t cap)
{
    int t = obj == CRTO_JSON_NONE ? CRTO_JSON_NONE : crto_jdoc_member(doc, obj, key);
    size_t len = 0;
    const char *raw;

    out[0] = '\0';
    if (t == CRTO_JSON_NONE || crto_jdoc_is_null(doc, t)) {
        return false;
    }
    if (crto_jdoc_type(doc, t) == CRTO_JTYPE_STRING && crto_jdoc_str(doc, t, out, cap, NULL, NULL) == CRTO_OK) {
        return false;
    }
    /* a number where a string was expected, or text too long to unescape
     * here: keep what was sent, cut to fit */
    raw = crto_jdoc_text(doc, t, &len);
    if (raw == NULL ||
        (crto_jdoc_type(doc, t) != CRTO_JTYPE_STRING && crto_jdoc_type(doc, t) != CRTO_JTYPE_PRIMITIVE)) {
        out[0] = '\0';
        return false;
    }
    return crto_copy_text(out, cap, raw, len);
}

int64_t crto_api_int(const crto_jdoc_t *doc, int obj, const char *key)
{
    int t = obj == CRTO_JSON_NONE ? CRTO_JSON_NONE : crto_jdoc_member(doc, obj, key);
    int64_t v;
    if (t == CRTO_JSON_NONE || crto_jdoc_int(doc, t, &v) != CRTO_OK) {
        return -1;
    }
    return v;
}

/* The "attributes" object of a resource, or the element itself when the
 * counts or fields are flat (RM's spec shape). */
int crto_api_attributes(const crto_jdoc_t *doc)
{
    int a = crto_jdoc_member(doc, 0, "attributes");
    return a != CRTO_JSON_NONE && crto_jdoc_type(doc, a) == CRTO_JTYPE_OBJECT ? a : 0;
}

static const char *const k_kinds[CRTO_SEGMENT__COUNT] = {
    "Unknown", "ContactList", "InMarket", "Prospecting", "Location", "Behavioral", "Retargeting", "Lookalike", "Events",
};

const char *crto_segment_kind_name(crto_segment_kind_t kind)
{
    return (unsigned)kind < (unsigned)CRTO_SEGMENT__COUNT ? k_kinds[kind] : k_kinds[0];
}

crto_err_t crto_segment_kind_parse(const char *name, crto_segment_kind_t *kind, crto_diag_t *diag)
{
    int i;
    for (i = 0; i < (int)CRTO_SEGMENT__COUNT; i++) {
        if (name != NULL && strcmp(name, k_kinds[i]) == 0) {
            *kind = (crto_segment_kind_t)i;
            return CRTO_OK;
        }
    }
    return crto_diag_set(diag, CRTO_ERR_ARG,
                         "unknown segment type \"%.24s\" (expected ContactList, InMarket, Prospecting, Location, "
                         "Behavioral, Retargeting, Lookalike or Events)",
                         name != NULL ? name : "");
}

void crto_segment_from_json(const crto_jdoc_t *doc, crto_segment_t *s)
{
    int a = crto_api_attributes(doc);
    int cl;
    bool cut = false;

    memset(s, 0, sizeof *s);
    cut |= crto_api_text(doc, 0, "id", s->id, sizeof s->id);
    cut |= crto_api_text(doc, a, "name", s->name, sizeof s->name);
    cut |= crto_api_text(doc, a, "description", s->description, sizeof s->description);
    cut |= crto_api_text(doc, a, "advertiserId", s->advertiser_id, sizeof s->advertiser_id);
    cut |= crto_api_text(doc, a, "accountId", s->account_id, sizeof s->account_id);
    cut |= crto_api_text(doc, a, "retailerId", s->retailer_id, sizeof s->retailer_id);
    cut |= crto_api_text(doc, a, "type", s->kind_text, sizeof s->kind_text);
    cut |= crto_api_text(doc, a, "createdAt", s->created_at, sizeof s->created_at);
    cut |= crto_api_text(doc, a, "updatedAt", s->updated_at, sizeof s->updated_at);
    if (crto_segment_kind_parse(s->kind_text, &s->kind, NULL) != CRTO_OK) {
        s->kind = CRTO_SEGMENT_UNKNOWN; /* a kind newer than crto: kept as text */
    }
    cl = crto_jdoc_member(doc, a, "contactList");
    if (cl != CRTO_JSON_NONE && crto_jdoc_type(doc, cl) == CRTO_JTYPE_OBJECT) {
        int ro = crto_jdoc_member(doc, cl, "isReadOnly");
        size_t len = 0;
        const char *txt = ro != CRTO_JSON_NONE ? crto_jdoc_text(doc, ro, &len) : NULL;
        s->read_only = txt != NULL && len == 4 && memcmp(txt, "true", 4) == 0;
        cut |= crto_api_text(doc, cl, "identifierType", s->identifier_type, sizeof s->identifier_type);
    }
    s->truncated = cut;
}

void crto_audience_from_json(const crto_jdoc_t *doc, crto_audience_t *au)
{
    int a = crto_api_attributes(doc);
    int t;
    bool cut = false;

    memset(au, 0, sizeof *au);
    cut |= crto_api_text(doc, 0, "id", au->id, sizeof au->id);
    cut |= crto_api_text(doc, a, "name", au->name, sizeof au->name);
    cut |= crto_api_text(doc, a, "description", au->description, sizeof au->description);
    cut |= crto_api_text(doc, a, "advertiserId", au->advertiser_id, sizeof au->advertiser_id);
    cut |= crto_api_text(doc, a, "accountId", au->account_id, sizeof au->account_id);
    cut |= crto_api_text(doc, a, "retailerId", au->retailer_id, sizeof au->retailer_id);
    cut |= crto_api_text(doc, a, "createdAt", au->created_at, sizeof au->created_at);
    cut |= crto_api_text(doc, a, "updatedAt", au->updated_at, sizeof au->updated_at);
    t = crto_jdoc_member(doc, a, "algebra");
    if (t != CRTO_JSON_NONE && !crto_jdoc_is_null(doc, t)) {
        size_t len = 0;
        const char *raw = crto_jdoc_text(doc, t, &len);
        if (raw != NULL) {
            cut |= crto_copy_text(au->algebra, sizeof au->algebra, raw, len);
        }
    }
    t = crto_jdoc_member(doc, a, "adSetIds");
    if (t != CRTO_JSON_NONE && crto_jdoc_type(doc, t) == CRTO_JTYPE_ARRAY) {
        au->ad_sets = (uint32_t)crto_jdoc_count(doc, t);
    }
    au->truncated = cut;
}

crto_err_t crto_api_on_segment(void *arg, crto_jdoc_t *doc, int32_t index)
{
    crto_segment_search_t *s = arg;
    crto_segment_t seg;
    (void)index;
    crto_segment_from_json(doc, &seg);
    if (!s->on_segment(s->arg, &seg)) {
        s->stop = true;
    }
    return CRTO_OK;
}
