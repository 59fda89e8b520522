/*
 * fuzz_identifier.c - crto_identifier_normalise / _with and
 * crto_identifier_check / _with: what a cashier typed, validated,
 * normalised and hashed, for every identifier type, hash on and off, with
 * and without local rules.
 *
 * Input: two control bytes, then the identifier as typed.
 *   byte 0  bits 0-2  type (modulo CRTO_ID__COUNT)
 *           bit  3    hash
 *           bits 4-5  rules: none, country code "33", "1", "0" (invalid)
 *   byte 1  the size of a small output buffer (0-127 bytes)
 *
 * Checked (crto_identifier.h):
 *   - normalise and check agree on acceptance and on the error, and
 *     check's json_len is the JSON string length of normalise's output;
 *     the _with forms with no rules are the plain ones;
 *   - refusals: CRTO_ERR_IDENTIFIER when the text, trimmed of ASCII white
 *     space, is empty, longer than CRTO_IDENTIFIER_MAX, has a control
 *     character or is not UTF-8 (shortest form, no surrogates, <= U+10FFFF);
 *     CRTO_ERR_ARG only for the invalid country code;
 *   - output: NUL-terminated, no longer than its buffer allows; with hash
 *     (e-mail, phone) 64 lowercase hex, the SHA-256 of the unhashed
 *     normalised text unless the input already was 64 hex (then that,
 *     lowercased); unhashed: e-mails lowercased with one '@' inside and no
 *     white space, phones "+" and 8-15 digits (no leading 0), madids
 *     lowercase UUIDs, other types the trimmed text as it is;
 *   - a buffer too small is CRTO_ERR_TOO_LARGE with diag.need, a large
 *     enough one gives the same output;
 *   - normalising the output again gives it back (idempotence follows from
 *     the rules above: the output of each is accepted by them unchanged).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "crto/crto_config.h"
#include "crto/crto_identifier.h"
#include "crto/crto_json.h"
#include "fuzz_common.h"

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Valid UTF-8 without control characters (U+0000-U+001F, U+007F). */
static bool ref_text_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t k, j;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F) {
                return false;
            }
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i < k) {
            return false;
        }
        for (j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + j] & 0x3Fu);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += k;
    }
    return true;
}

static bool is_lower_hex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool is_hex64(const char *s, size_t n)
{
    size_t i;
    if (n != 64) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

static void check_shape(crto_id_type_t type, const char *in, size_t len, const char *out, size_t n)
{
    size_t i;
    switch (type) {
    case CRTO_ID_EMAIL: {
        const char *at = memchr(out, '@', n);
        FUZZ_CHECK(n == len);
        FUZZ_CHECK(at != NULL && at != out && at != out + n - 1 &&
                   memchr(at + 1, '@', n - (size_t)(at - out) - 1) == NULL);
        for (i = 0; i < n; i++) {
            FUZZ_CHECK(!(out[i] >= 'A' && out[i] <= 'Z') && !is_ws((unsigned char)out[i]));
        }
        break;
    }
    case CRTO_ID_PHONE:
        FUZZ_CHECK(n >= 9 && n <= 16 && out[0] == '+' && out[1] != '0');
        for (i = 1; i < n; i++) {
            FUZZ_CHECK(out[i] >= '0' && out[i] <= '9');
        }
        break;
    case CRTO_ID_MADID:
        FUZZ_CHECK(n == 36);
        for (i = 0; i < n; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                FUZZ_CHECK(out[i] == '-');
            } else {
                FUZZ_CHECK(is_lower_hex(out + i, 1));
            }
        }
        break;
    default:
        FUZZ_CHECK(n == len && memcmp(out, in, n) == 0); /* as typed, trimmed */
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ccs[4] = { NULL, "33", "1", "0" };
    crto_id_type_t type;
    bool hash, hashed;
    crto_norm_rules_t rules;
    const crto_norm_rules_t *rp;
    char *in;
    size_t len, tl, tr, small_cap;
    char out[CRTO_IDENTIFIER_MAX + 64], again[CRTO_IDENTIFIER_MAX + 64], plain[CRTO_IDENTIFIER_MAX + 64];
    char hex[CRTO_SHA256_HEX_LEN + 1];
    size_t out_len = 0, json_len = 0, again_len = 0, plain_len = 0, l2 = 0;
    crto_diag_t d1, d2;
    crto_err_t e1, e2;
    bool ref_ok;

    if (size < 2) {
        return 0;
    }
    type = (crto_id_type_t)((data[0] & 7u) % (unsigned)CRTO_ID__COUNT);
    hash = (data[0] & 0x08u) != 0;
    hashed = hash && crto_id_type_hashed(type);
    rules.phone_country_code = ccs[(data[0] >> 4) & 3u];
    rp = (data[0] & 0x30u) != 0 ? &rules : NULL;
    small_cap = data[1] & 0x7Fu;
    len = size - 2;
    in = fuzz_dup(data + 2, len);

    crto_diag_clear(&d1);
    crto_diag_clear(&d2);
    e1 = crto_identifier_normalise_with(rp, type, in, len, hash, out, sizeof out, &out_len, &d1);
    e2 = crto_identifier_check_with(rp, type, in, len, hash, &json_len, &d2);
    FUZZ_CHECK(e1 == e2);
    FUZZ_CHECK(e1 == CRTO_OK || e1 == CRTO_ERR_IDENTIFIER || e1 == CRTO_ERR_ARG);
    if (rp == NULL) {
        size_t l3 = 0, j3 = 0;
        char o3[CRTO_IDENTIFIER_MAX + 64];
        FUZZ_CHECK(crto_identifier_normalise(type, in, len, hash, o3, sizeof o3, &l3, NULL) == e1);
        FUZZ_CHECK(crto_identifier_check(type, in, len, hash, &j3, NULL) == e1);
        if (e1 == CRTO_OK) {
            FUZZ_CHECK(l3 == out_len && memcmp(o3, out, l3) == 0 && j3 == json_len);
        }
    }

    /* the reference for refusals */
    tl = 0;
    tr = len;
    while (tl < tr && is_ws((unsigned char)in[tl])) {
        tl++;
    }
    while (tr > tl && is_ws((unsigned char)in[tr - 1])) {
        tr--;
    }
    ref_ok = tr > tl && tr - tl <= CRTO_IDENTIFIER_MAX && ref_text_ok((const unsigned char *)in + tl, tr - tl);
    if (!ref_ok) {
        FUZZ_CHECK(e1 == CRTO_ERR_IDENTIFIER);
    }
    if (e1 == CRTO_ERR_ARG) {
        FUZZ_CHECK(type == CRTO_ID_PHONE && rp != NULL && rules.phone_country_code[0] == '0');
    }
    if (e1 != CRTO_OK) {
        FUZZ_CHECK(d1.err == e1 && d1.msg[0] != '\0');
        goto small;
    }
    FUZZ_CHECK(ref_ok);

    /* the output */
    FUZZ_CHECK(out_len < sizeof out && out[out_len] == '\0');
    FUZZ_CHECK(json_len == crto_json_str_len(out, out_len));
    if (crto_id_type_hashed(type) && is_hex64(in + tl, tr - tl)) {
        size_t i;
        FUZZ_CHECK(out_len == 64);
        for (i = 0; i < 64; i++) {
            char c = in[tl + i];
            FUZZ_CHECK(out[i] == (c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c));
        }
    } else if (hashed) {
        FUZZ_CHECK(out_len == CRTO_SHA256_HEX_LEN && is_lower_hex(out, out_len));
        FUZZ_CHECK(crto_identifier_normalise_with(rp, type, in, len, false, plain, sizeof plain, &plain_len, NULL) ==
                   CRTO_OK);
        check_shape(type, in + tl, tr - tl, plain, plain_len);
        crto_sha256_hex((const uint8_t *)plain, plain_len, hex);
        FUZZ_CHECK(memcmp(hex, out, 65) == 0);
    } else {
        FUZZ_CHECK(out_len <= CRTO_IDENTIFIER_MAX);
        check_shape(type, in + tl, tr - tl, out, out_len);
    }

    /* idempotence */
    FUZZ_CHECK(crto_identifier_normalise_with(rp, type, out, out_len, hash, again, sizeof again, &again_len, NULL) ==
               CRTO_OK);
    FUZZ_CHECK(again_len == out_len && memcmp(again, out, out_len + 1) == 0);

small:
    /* an output buffer of exactly small_cap bytes */
    {
        char *sm = malloc(small_cap > 0 ? small_cap : 1); /* cap 0: a valid pointer all the same */
        crto_diag_t d3;
        crto_err_t e3;
        FUZZ_CHECK(sm != NULL);
        crto_diag_clear(&d3);
        e3 = crto_identifier_normalise_with(rp, type, in, len, hash, sm, small_cap, &l2, &d3);
        if (e1 != CRTO_OK) {
            FUZZ_CHECK(e3 == e1);
        } else if (out_len + 1 <= small_cap) {
            FUZZ_CHECK(e3 == CRTO_OK && l2 == out_len && memcmp(sm, out, out_len + 1) == 0);
        } else {
            FUZZ_CHECK(e3 == CRTO_ERR_TOO_LARGE);
            FUZZ_CHECK(d3.need == out_len + 1 || (hashed && d3.need == CRTO_SHA256_HEX_LEN + 1));
        }
        free(sm);
    }
    FUZZ_CHECK(crto_identifier_normalise((crto_id_type_t)CRTO_ID__COUNT, in, len, hash, out, sizeof out, &l2, NULL) ==
               CRTO_ERR_ARG);
    {
        size_t i = 0;
        while (i < len && in[i] >= '0' && in[i] <= '9') {
            i++;
        }
        FUZZ_CHECK(crto_id_is_valid(in, len) == (len >= 1 && len <= 20 && i == len));
    }
    free(in);
    return 0;
}
