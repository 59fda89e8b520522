/*
 * entities.c - a segment, an audience or an in-market brand or interest as
 * the API returned it: one text line (ID  NAME  TYPE  key=value...) or one
 * JSON object with every field.
 */
#include <string.h>

#include "cli.h"

void cli_put_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        (void)fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
    }
}

static void put_field(const char *key, const char *value)
{
    if (value[0] == '\0') {
        return;
    }
    fputs("  ", stdout);
    fputs(key, stdout);
    fputc('=', stdout);
    cli_put_text(stdout, value);
}

static void put_head(const char *id, const char *name)
{
    cli_put_text(stdout, id);
    fputs("  ", stdout);
    cli_put_text(stdout, name[0] != '\0' ? name : "(no name)");
}

void cli_segment_text(const crto_segment_t *s)
{
    put_head(s->id, s->name);
    fputs("  ", stdout);
    cli_put_text(stdout, s->kind_text[0] != '\0' ? s->kind_text : crto_segment_kind_name(s->kind));
    put_field("advertiser", s->advertiser_id);
    put_field("account", s->account_id);
    put_field("retailer", s->retailer_id);
    put_field("identifierType", s->identifier_type);
    if (s->read_only) {
        fputs("  read-only", stdout);
    }
    put_field("description", s->description);
    fputs(s->truncated ? "  (cut)\n" : "\n", stdout);
}

void cli_audience_text(const crto_audience_t *a)
{
    put_head(a->id, a->name);
    put_field("advertiser", a->advertiser_id);
    put_field("account", a->account_id);
    put_field("retailer", a->retailer_id);
    put_field("algebra", a->algebra);
    if (a->ad_sets > 0) {
        printf("  adSets=%u", (unsigned)a->ad_sets);
    }
    put_field("description", a->description);
    fputs(a->truncated ? "  (cut)\n" : "\n", stdout);
}

void cli_json_kstr(crto_jw_t *w, const char *key, const char *s, bool first)
{
    cli_json_key(w, key, first);
    if (s == NULL || s[0] == '\0') {
        (void)crto_jw_lit(w, "null");
    } else {
        (void)crto_jw_str(w, s, strlen(s));
    }
}

void cli_json_kcount(crto_jw_t *w, const char *key, int64_t v, bool first)
{
    cli_json_key(w, key, first);
    if (v >= 0) {
        (void)crto_jw_int(w, v);
    } else {
        (void)crto_jw_lit(w, "null");
    }
}

void cli_in_market_text(const crto_in_market_item_t *it, bool brand)
{
    cli_put_text(stdout, it->id);
    fputs("  ", stdout);
    if (!brand) {
        cli_put_text(stdout, it->parent_id[0] != '\0' ? it->parent_id : "-");
    } else {
        cli_put_text(stdout, it->name[0] != '\0' ? it->name : "-");
        if (it->size >= 0) {
            printf("  %lld", (long long)it->size);
        } else {
            fputs("  -", stdout);
        }
    }
    fputc('\n', stdout);
}

void cli_in_market_json(crto_jw_t *w, const crto_in_market_item_t *it, bool brand)
{
    (void)crto_jw_lit(w, "{");
    cli_json_kstr(w, "id", it->id, true);
    if (brand) {
        cli_json_kstr(w, "name", it->name, false);
        cli_json_kcount(w, "size", it->size, false);
    } else {
        cli_json_kstr(w, "parentId", it->parent_id, false);
    }
    (void)crto_jw_lit(w, "}");
}

void cli_segment_json(crto_jw_t *w, const crto_segment_t *s)
{
    (void)crto_jw_lit(w, "{");
    cli_json_kstr(w, "id", s->id, true);
    cli_json_kstr(w, "name", s->name, false);
    cli_json_kstr(w, "description", s->description, false);
    cli_json_kstr(w, "type", s->kind_text, false);
    cli_json_kstr(w, "kind", crto_segment_kind_name(s->kind), false);
    cli_json_kstr(w, "advertiserId", s->advertiser_id, false);
    cli_json_kstr(w, "accountId", s->account_id, false);
    cli_json_kstr(w, "retailerId", s->retailer_id, false);
    cli_json_kstr(w, "identifierType", s->identifier_type, false);
    cli_json_key(w, "readOnly", false);
    (void)crto_jw_lit(w, s->read_only ? "true" : "false");
    cli_json_kstr(w, "createdAt", s->created_at, false);
    cli_json_kstr(w, "updatedAt", s->updated_at, false);
    cli_json_key(w, "truncated", false);
    (void)crto_jw_lit(w, s->truncated ? "true}" : "false}");
}

/* The algebra is JSON text already: embedded as it is when it parses as
 * an object (it may have been cut, or be too large for the parser's
 * tokens: then it goes as a string). */
static crto_jdoc_t g_algebra_doc;

static void algebra_json(crto_jw_t *w, const char *algebra)
{
    size_t len = strlen(algebra);
    if (len == 0) {
        (void)crto_jw_lit(w, "null");
    } else if (crto_jdoc_parse(&g_algebra_doc, algebra, len, NULL) == CRTO_OK &&
               crto_jdoc_type(&g_algebra_doc, 0) == CRTO_JTYPE_OBJECT) {
        (void)crto_jw_raw(w, algebra, len);
    } else {
        (void)crto_jw_str(w, algebra, len);
    }
}

void cli_audience_json(crto_jw_t *w, const crto_audience_t *a)
{
    (void)crto_jw_lit(w, "{");
    cli_json_kstr(w, "id", a->id, true);
    cli_json_kstr(w, "name", a->name, false);
    cli_json_kstr(w, "description", a->description, false);
    cli_json_kstr(w, "advertiserId", a->advertiser_id, false);
    cli_json_kstr(w, "accountId", a->account_id, false);
    cli_json_kstr(w, "retailerId", a->retailer_id, false);
    cli_json_key(w, "algebra", false);
    algebra_json(w, a->algebra);
    cli_json_key(w, "adSets", false);
    (void)crto_jw_int(w, a->ad_sets);
    cli_json_kstr(w, "createdAt", a->created_at, false);
    cli_json_kstr(w, "updatedAt", a->updated_at, false);
    cli_json_key(w, "truncated", false);
    (void)crto_jw_lit(w, a->truncated ? "true}" : "false}");
}
