/*
 * contact_list_manage.c - a contact list's statistics, wipe (MS) and
 * clear (RM): the calls around an upload.
 */
#include <string.h>

#include "api.h"

static crto_err_t on_stats(void *arg, crto_jdoc_t *doc, int32_t index)
{
    crto_contact_stats_t *st = arg;
    int a = crto_api_attributes(doc);
    int t;
    (void)index;
    st->identifiers = crto_api_int(doc, a, "numberOfIdentifiers");
    st->matches = crto_api_int(doc, a, "numberOfMatches");
    t = crto_jdoc_member(doc, a, "matchRate");
    if (t != CRTO_JSON_NONE && crto_jdoc_type(doc, t) == CRTO_JTYPE_PRIMITIVE && !crto_jdoc_is_null(doc, t)) {
        size_t len = 0;
        const char *txt = crto_jdoc_text(doc, t, &len);
        (void)crto_copy_text(st->match_rate, sizeof st->match_rate, txt, len);
    }
    return CRTO_OK;
}

static crto_err_t simple_call(crto_client_t *c, const char *method, const char *path, crto_data_fn on_data, void *arg)
{
    crto_api_call_t call;
    memset(&call, 0, sizeof call);
    call.method = method;
    call.path = path;
    call.on_data = on_data;
    call.data_arg = arg;
    return crto_api_call(c, &call);
}

static crto_err_t stats_call(crto_client_t *c, const char *path, crto_contact_stats_t *stats)
{
    memset(stats, 0, sizeof *stats);
    crto_api_call_t call;
    stats->identifiers = stats->matches = -1;
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = path;
    call.on_data = on_stats;
    call.data_arg = stats;
    return crto_api_call_for(c, &call, &stats->identifiers);
}

crto_err_t crto_ms_contact_list_wipe(crto_client_t *c, const char *segment_id)
{
    char path[CRTO_PATH_MAX];
    crto_err_t e = crto_api_check_id(c, "segment id", segment_id);
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audience-segments/%s/contact-list", segment_id);
    }
    return e != CRTO_OK ? e : simple_call(c, "DELETE", path, NULL, NULL);
}

crto_err_t crto_ms_contact_list_stats(crto_client_t *c, const char *segment_id, crto_contact_stats_t *stats)
{
    char path[CRTO_PATH_MAX];
    crto_err_t e = crto_api_check_id(c, "segment id", segment_id);
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/marketing-solutions/audience-segments/%s/contact-list/statistics",
                          segment_id);
    }
    return e != CRTO_OK ? e : stats_call(c, path, stats);
}

crto_err_t crto_rm_contact_list_stats(crto_client_t *c, const char *account_id, const char *segment_id,
                                      crto_contact_stats_t *stats)
{
    char path[CRTO_PATH_MAX];
    crto_err_t e = crto_api_check_id(c, "account id", account_id);
    if (e == CRTO_OK) {
        e = crto_api_check_id(c, "segment id", segment_id);
    }
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/retail-media/accounts/%s/audience-segments/%s/contact-list",
                          account_id, segment_id);
    }
    return e != CRTO_OK ? e : stats_call(c, path, stats);
}

crto_err_t crto_rm_contact_list_clear(crto_client_t *c, const char *segment_id)
{
    char path[CRTO_PATH_MAX];
    crto_err_t e = crto_api_check_id(c, "segment id", segment_id);
    if (e == CRTO_OK) {
        e = crto_api_path(c, path, sizeof path, "/retail-media/audience-segments/%s/contact-list/clear", segment_id);
    }
    /* 204 per the spec, 201 with an empty body per the guide: any 2xx */
    return e != CRTO_OK ? e : simple_call(c, "POST", path, NULL, NULL);
}
