/*
 * crto_segments.h - audience segments of Marketing Solutions (advertiser
 * level) and Retail Media (account level): create, update, delete, search,
 * sizes, and the contact list's statistics, wipe and clear.
 *
 * Every request item and filter is the caller's (borrowed for the call);
 * every result is handed over one entity at a time in a crto_segment_t the
 * callback may copy. Nothing grows with the number of segments.
 */
#ifndef CRTO_SEGMENTS_H
#define CRTO_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "crto_bulk.h"
#include "crto_client.h"
#include "crto_identifier.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CRTO_SEGMENT_UNKNOWN = 0,
    CRTO_SEGMENT_CONTACT_LIST,
    CRTO_SEGMENT_IN_MARKET,
    CRTO_SEGMENT_PROSPECTING,
    CRTO_SEGMENT_LOCATION,
    CRTO_SEGMENT_BEHAVIORAL,
    CRTO_SEGMENT_RETARGETING,
    CRTO_SEGMENT_LOOKALIKE,
    CRTO_SEGMENT_EVENTS, /* Retail Media */
    CRTO_SEGMENT__COUNT
} crto_segment_kind_t;

/* "ContactList", "InMarket"... (the API's spelling); "Unknown" for unknown. */
const char *crto_segment_kind_name(crto_segment_kind_t kind);

/* Parse the API's spelling. Errors: CRTO_ERR_ARG naming the accepted values. */
crto_err_t crto_segment_kind_parse(const char *name, crto_segment_kind_t *kind, crto_diag_t *diag);

/* A segment as the API returned it (either product; fields it did not send
 * are empty). Text fields too long for their buffer are cut and `truncated`
 * is set. */
typedef struct {
    char id[CRTO_ID_MAX + 1];
    char name[CRTO_NAME_MAX + 1];
    char description[CRTO_DESCRIPTION_MAX + 1];
    char advertiser_id[CRTO_ID_MAX + 1]; /* MS */
    char account_id[CRTO_ID_MAX + 1];    /* RM */
    char retailer_id[CRTO_ID_MAX + 1];   /* RM */
    crto_segment_kind_t kind;
    char kind_text[24]; /* as sent, also for unknown kinds */
    char created_at[40];
    char updated_at[40];
    char identifier_type[24]; /* RM contactList.identifierType */
    bool read_only;           /* contactList.isReadOnly */
    bool truncated;
} crto_segment_t;

/* Called for each segment; return false to stop the search. */
typedef bool (*crto_segment_fn)(void *arg, const crto_segment_t *segment);

/* ----------------------------------------------- Marketing Solutions */

/* A point of interest; coordinates as decimal text (no float on the wire
 * path), e.g. "48.8566". */
typedef struct {
    const char *latitude;
    const char *longitude;
    const char *name;
} crto_poi_t;

/* A list of strings (ids or enum values), borrowed. */
typedef struct {
    const char *const *v;
    uint32_t n;
} crto_strings_t;

typedef struct {
    const char *country; /* ISO 3166 alpha-2, required          */
    crto_strings_t brand_ids;
    crto_strings_t interest_ids;
    crto_strings_t buying_power; /* Low, Medium, High, VeryHigh         */
    crto_strings_t price_range;  /* Low, Medium, High                   */
    const char *gender;          /* Male, Female, or NULL               */
} crto_in_market_t;

typedef struct {
    const crto_poi_t *points;
    uint32_t n_points;
    int32_t radius_km;
} crto_location_t;

/* One segment to create. kind picks the targeting object:
 * CONTACT_LIST (the kiosk's), IN_MARKET, LOCATION, LOOKALIKE, PROSPECTING,
 * RETARGETING. Optional numbers are -1 when absent. */
typedef struct {
    const char *advertiser_id; /* required */
    const char *name;          /* required */
    const char *description;   /* NULL: none */
    crto_segment_kind_t kind;
    crto_in_market_t in_market;
    crto_location_t location;
    struct {
        const char *seed_segment_id;
        int64_t target_size;
    } lookalike;
    struct {
        const char *users_type; /* Prospects, ProspectsOrNonBuyers */
        int32_t days_min, days_max;
    } prospecting;
    struct {
        const char *visitors_type; /* All, Buyers, NonBuyers (days required) */
        int32_t days_min, days_max;
    } retargeting;
} crto_ms_segment_create_t;

/* Leave a field as it is, set it, or clear it ({"value": null}). */
typedef enum { CRTO_KEEP = 0, CRTO_SET, CRTO_CLEAR } crto_nillable_t;

/* One segment to update. Only what is asked is sent. */
typedef struct {
    const char *id;   /* required */
    const char *name; /* NULL: keep */
    crto_nillable_t description_op;
    const char *description; /* with CRTO_SET */
    bool in_market_set;      /* send in_market (gender: gender_op) */
    crto_in_market_t in_market;
    crto_nillable_t gender_op;
    bool location_set;
    crto_location_t location;
    int64_t lookalike_target_size;      /* -1: keep */
    const char *prospecting_users_type; /* NULL: keep */
    crto_nillable_t prospecting_days_min_op, prospecting_days_max_op;
    int32_t prospecting_days_min, prospecting_days_max;
    const char *retargeting_visitors_type;              /* NULL: keep */
    int32_t retargeting_days_min, retargeting_days_max; /* -1: keep */
} crto_ms_segment_update_t;

/* Start an update item for id that changes nothing yet. */
crto_ms_segment_update_t crto_ms_segment_update_default(const char *id);

/* Start a create item for a contact-list segment. */
crto_ms_segment_create_t crto_ms_segment_create_default(const char *advertiser_id, const char *name);

typedef struct {
    crto_strings_t advertiser_ids;
    crto_strings_t segment_ids;
    crto_strings_t kinds; /* ContactList, InMarket... */
} crto_ms_segment_filter_t;

/* POST .../audience-segments/create. One outcome per item (id = new id).
 * Errors: CRTO_ERR_ARG / CRTO_ERR_INVALID_ID before any traffic (naming the
 * item), then crto_client_call's. Per-item failures are not errors: see
 * bulk->failed. */
crto_err_t crto_ms_segments_create(crto_client_t *c, const crto_ms_segment_create_t *items, uint32_t n,
                                   crto_bulk_t *bulk);

/* PATCH .../audience-segments. */
crto_err_t crto_ms_segments_update(crto_client_t *c, const crto_ms_segment_update_t *items, uint32_t n,
                                   crto_bulk_t *bulk);

/* POST .../audience-segments/delete. */
crto_err_t crto_ms_segments_delete(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk);

/* POST .../audience-segments/compute-sizes: outcome.size per item. */
crto_err_t crto_ms_segments_compute_sizes(crto_client_t *c, const char *const *ids, uint32_t n, crto_bulk_t *bulk);

/* POST .../audience-segments/search, every page: on_segment for each
 * segment. page (caller's) sets the page size and receives the figures.
 * Problems of a page go to bulk (may be NULL). */
crto_err_t crto_ms_segments_search(crto_client_t *c, const crto_ms_segment_filter_t *filter, crto_page_t *page,
                                   crto_segment_fn on_segment, void *arg, crto_bulk_t *bulk);

/* POST .../audience-segments/estimate-size for a segment that does not
 * exist: item->kind is IN_MARKET or LOCATION. *size gets the estimate. */
crto_err_t crto_ms_segments_estimate_size(crto_client_t *c, const crto_ms_segment_create_t *item, int64_t *size);

/* An in-market brand or interest. */
typedef struct {
    char id[CRTO_ID_MAX + 1];
    char name[CRTO_NAME_MAX + 1];    /* brands */
    char parent_id[CRTO_ID_MAX + 1]; /* interests */
    int64_t size;                    /* brands, -1 when absent */
} crto_in_market_item_t;

typedef bool (*crto_in_market_fn)(void *arg, const crto_in_market_item_t *item);

/* GET .../audience-segments/in-market-brands|in-market-interests. */
crto_err_t crto_ms_in_market_brands(crto_client_t *c, const char *advertiser_id, const char *country,
                                    crto_in_market_fn on_item, void *arg);
crto_err_t crto_ms_in_market_interests(crto_client_t *c, const char *advertiser_id, const char *country,
                                       crto_in_market_fn on_item, void *arg);

/* Contact-list statistics. The match rate is kept as the decimal text the
 * API sent (no floating point needed on the device). */
typedef struct {
    int64_t identifiers;
    int64_t matches;
    char match_rate[24];
} crto_contact_stats_t;

/* DELETE .../audience-segments/{id}/contact-list (the segment stays). */
crto_err_t crto_ms_contact_list_wipe(crto_client_t *c, const char *segment_id);

/* GET .../audience-segments/{id}/contact-list/statistics. */
crto_err_t crto_ms_contact_list_stats(crto_client_t *c, const char *segment_id, crto_contact_stats_t *stats);

/* ------------------------------------------------------- Retail Media */

typedef struct {
    const char *retailer_id;        /* required */
    const char *name;               /* required */
    const char *description;        /* NULL: none */
    crto_id_type_t identifier_type; /* Email, UserIdentifier, IdentityLink, CustomerId, PhoneNumber */
} crto_rm_segment_create_t;

typedef struct {
    const char *id;
    const char *name; /* NULL: keep */
    crto_nillable_t description_op;
    const char *description;
} crto_rm_segment_update_t;

typedef struct {
    crto_strings_t retailer_ids;
    crto_strings_t segment_ids;
    crto_strings_t kinds; /* ContactList, Events */
} crto_rm_segment_filter_t;

/* POST /{v}/retail-media/accounts/{account}/audience-segments/create. One
 * outcome per item (id = new id, matched by name and retailer). items are
 * borrowed for the call. Errors: CRTO_ERR_INVALID_ID (account, retailer),
 * CRTO_ERR_ARG (no name; identifier type not creatable, e.g. Gum) before
 * any traffic; then crto_client_call's. */
crto_err_t crto_rm_segments_create(crto_client_t *c, const char *account_id, const crto_rm_segment_create_t *items,
                                   uint32_t n, crto_bulk_t *bulk);

/* PATCH .../accounts/{account}/audience-segments (1 to 64 items). Errors as
 * create; per-item failures (e.g. segment-not-found) are outcomes. */
crto_err_t crto_rm_segments_update(crto_client_t *c, const char *account_id, const crto_rm_segment_update_t *items,
                                   uint32_t n, crto_bulk_t *bulk);

/* POST .../accounts/{account}/audience-segments/delete. ids borrowed. */
crto_err_t crto_rm_segments_delete(crto_client_t *c, const char *account_id, const char *const *ids, uint32_t n,
                                   crto_bulk_t *bulk);

/* POST .../accounts/{account}/audience-segments/search, every page (page
 * size up to 500): on_segment for each segment, false stops. filter may be
 * NULL (everything of the account). Errors: CRTO_ERR_INVALID_ID, CRTO_ERR_ARG
 * (no page or callback), then crto_client_call's. */
crto_err_t crto_rm_segments_search(crto_client_t *c, const char *account_id, const crto_rm_segment_filter_t *filter,
                                   crto_page_t *page, crto_segment_fn on_segment, void *arg, crto_bulk_t *bulk);

/* GET .../accounts/{account}/audience-segments/{id}/contact-list. */
crto_err_t crto_rm_contact_list_stats(crto_client_t *c, const char *account_id, const char *segment_id,
                                      crto_contact_stats_t *stats);

/* POST .../audience-segments/{id}/contact-list/clear (204, or 201 empty). */
crto_err_t crto_rm_contact_list_clear(crto_client_t *c, const char *segment_id);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_SEGMENTS_H */
