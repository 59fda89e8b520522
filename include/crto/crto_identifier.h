/*
 * crto_identifier.h - identifier types, and turning what a cashier typed
 * into what Criteo receives: validated, normalised and (for e-mails and
 * phone numbers) SHA-256 hashed to lowercase hex on the device.
 */
#ifndef CRTO_IDENTIFIER_H
#define CRTO_IDENTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CRTO_ID_EMAIL = 0,
    CRTO_ID_MADID,
    CRTO_ID_IDENTITY_LINK,
    CRTO_ID_GUM,
    CRTO_ID_PHONE,
    CRTO_ID_CUSTOMER_ID,     /* Retail Media only */
    CRTO_ID_USER_IDENTIFIER, /* Retail Media only */
    CRTO_ID__COUNT
} crto_id_type_t;

typedef enum { CRTO_PRODUCT_MS = 0, CRTO_PRODUCT_RM } crto_product_t;

/* Length of a SHA-256 digest in lowercase hex. */
#define CRTO_SHA256_HEX_LEN 64

/* The wire name of type for product ("email" / "Email"...), or NULL when
 * the product has no such type (madid on RM, customerId on MS). */
const char *crto_id_type_name(crto_product_t product, crto_id_type_t type);

/* Parse a wire name for product (exact, case-sensitive, as the API is).
 * Errors: CRTO_ERR_ARG, naming the accepted values in diag. */
crto_err_t crto_id_type_parse(crto_product_t product, const char *name, crto_id_type_t *type, crto_diag_t *diag);

/* True for the types crto hashes by default (e-mail, phone number). */
bool crto_id_type_hashed(crto_id_type_t type);

/* Normalise identifier in[len] of type into out[cap] (NUL-terminated);
 * *out_len gets the length. With hash (and a hashed type) the result is the
 * 64-char lowercase SHA-256 hex of the normalised text; input that already
 * is 64 hex characters passes through, lowercased.
 * Rules: ASCII white space trimmed at both ends; then empty, control
 * characters, invalid UTF-8 and more than CRTO_IDENTIFIER_MAX bytes are
 * refused; e-mails are lowercased and need a local part and a domain around
 * one '@'; phone numbers must be international (+ and 8-15 digits; spaces,
 * dots, dashes and parentheses are dropped, a 00 prefix becomes +); madids
 * must be UUIDs (lowercased).
 * Errors: CRTO_ERR_IDENTIFIER (diag says what is wrong and at which byte),
 * CRTO_ERR_TOO_LARGE (out too small; diag->need). in is only read. */
crto_err_t crto_identifier_normalise(crto_id_type_t type, const char *in, size_t len, bool hash, char *out, size_t cap,
                                     size_t *out_len, crto_diag_t *diag);

/* Local rules for what the API cannot guess. */
typedef struct {
    /* Country calling code for phone numbers written nationally, e.g. "33"
     * (France): "06 12 34 56 78" becomes +33612345678 (one leading trunk
     * 0 is dropped). NULL: only international numbers are accepted. */
    const char *phone_country_code;
} crto_norm_rules_t;

/* crto_identifier_normalise with local rules (rules may be NULL).
 * Errors as crto_identifier_normalise, and CRTO_ERR_ARG for a country code
 * that is not 1-3 digits. */
crto_err_t crto_identifier_normalise_with(const crto_norm_rules_t *rules, crto_id_type_t type, const char *in,
                                          size_t len, bool hash, char *out, size_t cap, size_t *out_len,
                                          crto_diag_t *diag);

/* crto_identifier_check with local rules (rules may be NULL). */
crto_err_t crto_identifier_check_with(const crto_norm_rules_t *rules, crto_id_type_t type, const char *in, size_t len,
                                      bool hash, size_t *json_len, crto_diag_t *diag);

/* Validate as crto_identifier_normalise would, without hashing, and give
 * the bytes the result takes as a JSON string (quotes included). Used to
 * size a request before it is produced. Errors as above. */
crto_err_t crto_identifier_check(crto_id_type_t type, const char *in, size_t len, bool hash, size_t *json_len,
                                 crto_diag_t *diag);

/* Is s[len] 1 to 20 decimal digits (the form of every Criteo entity id)? */
bool crto_id_is_valid(const char *s, size_t len);

/* SHA-256 of data[len] as 64 lowercase hex characters into hex[65]. */
void crto_sha256_hex(const uint8_t *data, size_t len, char hex[CRTO_SHA256_HEX_LEN + 1]);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_IDENTIFIER_H */
