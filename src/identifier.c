/*
 * identifier.c - validation, normalisation and hashing of identifiers.
 *
 * Why hash on the device: the POS never has to store or send a customer's
 * e-mail in clear, and every SHA-256 hex id is exactly 64 characters of
 * [0-9a-f] - no JSON escaping, an exactly computable Content-Length.
 */
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "crto/crto_identifier.h"
#include "crto/crto_json.h"

static const struct {
    const char *ms;
    const char *rm;
} k_type_names[CRTO_ID__COUNT] = {
    [CRTO_ID_EMAIL] = { "email", "Email" },
    [CRTO_ID_MADID] = { "madid", NULL },
    [CRTO_ID_IDENTITY_LINK] = { "identityLink", "IdentityLink" },
    [CRTO_ID_GUM] = { "gum", "Gum" },
    [CRTO_ID_PHONE] = { "phoneNumber", "PhoneNumber" },
    [CRTO_ID_CUSTOMER_ID] = { NULL, "CustomerId" },
    [CRTO_ID_USER_IDENTIFIER] = { NULL, "UserIdentifier" },
};

const char *crto_id_type_name(crto_product_t product, crto_id_type_t type)
{
    if ((unsigned)type >= (unsigned)CRTO_ID__COUNT) {
        return NULL;
    }
    return product == CRTO_PRODUCT_MS ? k_type_names[type].ms : k_type_names[type].rm;
}

crto_err_t crto_id_type_parse(crto_product_t product, const char *name, crto_id_type_t *type, crto_diag_t *diag)
{
    int t;
    for (t = 0; t < (int)CRTO_ID__COUNT; t++) {
        const char *n = crto_id_type_name(product, (crto_id_type_t)t);
        if (n != NULL && name != NULL && strcmp(n, name) == 0) {
            *type = (crto_id_type_t)t;
            return CRTO_OK;
        }
    }
    return crto_diag_set(diag, CRTO_ERR_ARG, "unknown identifier type \"%.32s\" (expected %s)", name ? name : "",
                         product == CRTO_PRODUCT_MS ? "email, madid, identityLink, gum or phoneNumber"
                                                    : "Email, UserIdentifier, IdentityLink, Gum, CustomerId or "
                                                      "PhoneNumber");
}

bool crto_id_type_hashed(crto_id_type_t type)
{
    return type == CRTO_ID_EMAIL || type == CRTO_ID_PHONE;
}

bool crto_id_is_valid(const char *s, size_t len)
{
    size_t i;
    if (s == NULL || len == 0 || len > 20) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* "00" "01" ... "ff": one two-byte copy per digest byte. 512 bytes of
 * flash buy a third of the hex encoding's instructions (make bench). */
static const char k_hex_pairs[] = "000102030405060708090a0b0c0d0e0f"
                                  "101112131415161718191a1b1c1d1e1f"
                                  "202122232425262728292a2b2c2d2e2f"
                                  "303132333435363738393a3b3c3d3e3f"
                                  "404142434445464748494a4b4c4d4e4f"
                                  "505152535455565758595a5b5c5d5e5f"
                                  "606162636465666768696a6b6c6d6e6f"
                                  "707172737475767778797a7b7c7d7e7f"
                                  "808182838485868788898a8b8c8d8e8f"
                                  "909192939495969798999a9b9c9d9e9f"
                                  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                                  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
                                  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                  "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
                                  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void crto_sha256_hex(const uint8_t *data, size_t len, char hex[CRTO_SHA256_HEX_LEN + 1])
{
    unsigned char digest[32];
    size_t i;
#if MBEDTLS_VERSION_MAJOR >= 3
    (void)mbedtls_sha256(data, len, digest, 0);
#else
    (void)mbedtls_sha256_ret(data, len, digest, 0);
#endif
    for (i = 0; i < 32; i += 4) { /* by four: the loop costs as much as a copy */
        memcpy(hex + 2 * i, k_hex_pairs + (size_t)digest[i] * 2, 2);
        memcpy(hex + 2 * i + 2, k_hex_pairs + (size_t)digest[i + 1] * 2, 2);
        memcpy(hex + 2 * i + 4, k_hex_pairs + (size_t)digest[i + 2] * 2, 2);
        memcpy(hex + 2 * i + 6, k_hex_pairs + (size_t)digest[i + 3] * 2, 2);
    }
    hex[CRTO_SHA256_HEX_LEN] = '\0';
}

static bool is_space(unsigned char c)
{
    /* one comparison for nearly every byte: all six are <= ' ' */
    return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f');
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
    /* only 'A'..'Z' is changed, into 'a'..'z': always representable */
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; /* NOLINT(bugprone-narrowing-conversions) */
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is invalid:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n, i;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (left < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* Eight bytes at a time ("SWAR"): an identifier is mostly printable ASCII,
 * and checking and lower-casing it a word at a time instead of a byte at a
 * time is what keeps normalising a small fraction of hashing it (make
 * bench). Each helper is exact for any byte values. */
#define ONES8 0x0101010101010101ull
#define HIGHS8 0x8080808080808080ull

static uint64_t load8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, sizeof x); /* any alignment; one load where it is allowed */
    return x;
}

/* Nonzero when a byte of x is not printable ASCII (0x20..0x7E). A borrow or
 * carry between bytes only happens next to a byte that is flagged anyway. */
static uint64_t swar_unprintable(uint64_t x)
{
    return ((x - 0x20u * ONES8) | x | (x + ONES8)) & HIGHS8;
}

/* Nonzero when a byte of x is a space (0x20). */
static uint64_t swar_has_space(uint64_t x)
{
    uint64_t y = x ^ (0x20u * ONES8);
    return (y - ONES8) & ~y & HIGHS8;
}

/* x with every byte 'A'..'Z' made 'a'..'z' and every other byte unchanged. */
static uint64_t swar_lower(uint64_t x)
{
    uint64_t low7 = x & ~HIGHS8;
    uint64_t ge_a = low7 + (0x80u - 'A') * ONES8; /* high bit: low 7 bits >= 'A' */
    uint64_t gt_z = low7 + (0x7Fu - 'Z') * ONES8; /* high bit: low 7 bits >  'Z' */
    uint64_t upper = (ge_a ^ gt_z) & ~x & HIGHS8; /* and the byte is ASCII     */
    return x | (upper >> 2);                      /* 0x80 >> 2 == 0x20          */
}

/* base: bytes trimmed before s, so positions count from the caller's input */
static crto_err_t check_text(const char *s, size_t n, size_t base, crto_diag_t *diag)
{
    size_t i = 0;
    while (i + 8 <= n && swar_unprintable(load8(s + i)) == 0) {
        i += 8;
    }
    if (i < n && i + 8 > n && n >= 8 && swar_unprintable(load8(s + n - 8)) == 0) {
        return CRTO_OK; /* the rest, in one word overlapping what was checked */
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k;
        if (c >= 0x20 && c < 0x7F) {
            i++; /* printable ASCII: no UTF-8 decoding */
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "control character 0x%02x at byte %zu", c, base + i + 1);
        }
        k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "invalid UTF-8 at byte %zu", base + i + 1);
        }
        i += k;
    }
    return CRTO_OK;
}

static bool is_hex64(const char *s, size_t n)
{
    size_t i;
    if (n != CRTO_SHA256_HEX_LEN) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!is_hex((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static crto_err_t norm_email(const char *s, size_t n, size_t base, char *norm, size_t *nlen, crto_diag_t *diag)
{
    const char *at = memchr(s, '@', n);
    size_t i;
    if (at == NULL || at == s || at == s + n - 1) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "not an e-mail address (expected local@domain)");
    }
    if (memchr(at + 1, '@', (size_t)(s + n - at - 1)) != NULL) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "more than one '@' in an e-mail address");
    }
    /* check_text() refused every control character: only ' ' is left of
     * the white space; the byte loop finishes (and finds any space). */
    for (i = 0; i + 8 <= n; i += 8) {
        uint64_t x = load8(s + i);
        if (swar_has_space(x) != 0) {
            break;
        }
        x = swar_lower(x);
        memcpy(norm + i, &x, sizeof x);
    }
    if (i < n && i + 8 > n && n >= 8) {
        /* every whole word was clean: the rest, in one word overlapping what was done: lower-casing
         * twice is harmless */
        uint64_t x = load8(s + n - 8);
        if (swar_has_space(x) == 0) {
            x = swar_lower(x);
            memcpy(norm + n - 8, &x, sizeof x);
            i = n;
        }
    }
    for (; i < n; i++) {
        if (s[i] == ' ') {
            return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "white space inside an e-mail address at byte %zu",
                                 base + i + 1);
        }
        norm[i] = lower(s[i]);
    }
    *nlen = n;
    return CRTO_OK;
}

static bool country_code_ok(const char *cc)
{
    size_t n = cc != NULL ? strlen(cc) : 0, i;
    if (n == 0 || n > 3 || cc[0] == '0') {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (cc[i] < '0' || cc[i] > '9') {
            return false;
        }
    }
    return true;
}

static crto_err_t norm_phone(const char *s, size_t n, size_t base, const char *cc, char *norm, size_t *nlen,
                             crto_diag_t *diag)
{
    size_t i = 0, out = 0, digits = 0;
    bool national = false;
    if (n >= 2 && s[0] == '0' && s[1] == '0') {
        i = 2; /* 00 is the international prefix dialled from most countries */
    } else if (s[0] == '+') {
        i = 1;
    } else if (cc != NULL) {
        national = true;
    } else {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER,
                             "phone number is not international (start with + and the country code, or configure "
                             "a default country code)");
    }
    norm[out++] = '+';
    if (national) {
        size_t k;
        for (k = 0; cc[k] != '\0'; k++) {
            norm[out++] = cc[k];
            digits++;
        }
    }
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (digits == 0 && c == '0') {
                return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "country code cannot start with 0");
            }
            if (national && c == '0' && out == 1 + strlen(cc)) {
                national = false; /* the trunk prefix of a national number: not dialled from abroad */
                continue;
            }
            national = false;
            if (++digits > 15) {
                return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "phone number has more than 15 digits (E.164)");
            }
            norm[out++] = c;
        } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
            return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "unexpected character '%c' in a phone number at byte %zu",
                                 c >= 0x20 && c < 0x7F ? c : '?', base + i + 1);
        }
    }
    if (digits < 8) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "phone number has fewer than 8 digits");
    }
    *nlen = out;
    return CRTO_OK;
}

static crto_err_t norm_madid(const char *s, size_t n, char *norm, size_t *nlen, crto_diag_t *diag)
{
    size_t i;
    if (n != 36) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "mobile ad id is not a UUID (8-4-4-4-12 hex digits)");
    }
    for (i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i])) {
            return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "mobile ad id is not a UUID (8-4-4-4-12 hex digits)");
        }
        norm[i] = lower(s[i]);
    }
    *nlen = n;
    return CRTO_OK;
}

/* Everything both entry points share: trim, check, normalise into norm. */
static crto_err_t normalise(const crto_norm_rules_t *rules, crto_id_type_t type, const char *in, size_t len, char *norm,
                            size_t *nlen, bool *prehashed, crto_diag_t *diag)
{
    const char *start = in;
    crto_err_t e;
    size_t i;

    *prehashed = false;
    if ((unsigned)type >= (unsigned)CRTO_ID__COUNT || (in == NULL && len > 0)) {
        return crto_diag_set(diag, CRTO_ERR_ARG, "invalid identifier type");
    }
    while (len > 0 && is_space((unsigned char)in[0])) {
        in++;
        len--;
    }
    while (len > 0 && is_space((unsigned char)in[len - 1])) {
        len--;
    }
    if (len == 0) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "empty identifier");
    }
    if (len > CRTO_IDENTIFIER_MAX) {
        return crto_diag_set(diag, CRTO_ERR_IDENTIFIER, "identifier is longer than %u bytes",
                             (unsigned)CRTO_IDENTIFIER_MAX);
    }
    e = check_text(in, len, (size_t)(in - start), diag);
    if (e != CRTO_OK) {
        return e;
    }
    if (crto_id_type_hashed(type) && is_hex64(in, len)) {
        for (i = 0; i < len; i++) {
            norm[i] = lower(in[i]);
        }
        *nlen = len;
        *prehashed = true;
        return CRTO_OK;
    }
    switch (type) {
    case CRTO_ID_EMAIL:
        return norm_email(in, len, (size_t)(in - start), norm, nlen, diag);
    case CRTO_ID_PHONE:
        if (rules != NULL && rules->phone_country_code != NULL && !country_code_ok(rules->phone_country_code)) {
            return crto_diag_set(diag, CRTO_ERR_ARG, "default country calling code must be 1-3 digits, not \"%.8s\"",
                                 rules->phone_country_code);
        }
        return norm_phone(in, len, (size_t)(in - start), rules != NULL ? rules->phone_country_code : NULL, norm, nlen,
                          diag);
    case CRTO_ID_MADID:
        return norm_madid(in, len, norm, nlen, diag);
    default:
        memcpy(norm, in, len);
        *nlen = len;
        return CRTO_OK;
    }
}

crto_err_t crto_identifier_normalise(crto_id_type_t type, const char *in, size_t len, bool hash, char *out, size_t cap,
                                     size_t *out_len, crto_diag_t *diag)
{
    return crto_identifier_normalise_with(NULL, type, in, len, hash, out, cap, out_len, diag);
}

crto_err_t crto_identifier_normalise_with(const crto_norm_rules_t *rules, crto_id_type_t type, const char *in,
                                          size_t len, bool hash, char *out, size_t cap, size_t *out_len,
                                          crto_diag_t *diag)
{
    char norm[CRTO_IDENTIFIER_MAX + 8];
    size_t nlen = 0;
    bool prehashed;
    crto_err_t e = normalise(rules, type, in, len, norm, &nlen, &prehashed, diag);

    if (e != CRTO_OK) {
        return e;
    }
    if (hash && crto_id_type_hashed(type) && !prehashed) {
        if (cap < CRTO_SHA256_HEX_LEN + 1) {
            if (diag != NULL) {
                diag->need = CRTO_SHA256_HEX_LEN + 1;
            }
            return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "output buffer holds %zu bytes, a digest needs 65", cap);
        }
        crto_sha256_hex((const uint8_t *)norm, nlen, out);
        *out_len = CRTO_SHA256_HEX_LEN;
        return CRTO_OK;
    }
    if (cap < nlen + 1) {
        if (diag != NULL) {
            diag->need = nlen + 1;
        }
        return crto_diag_set(diag, CRTO_ERR_TOO_LARGE, "output buffer holds %zu bytes, need %zu", cap, nlen + 1);
    }
    memcpy(out, norm, nlen);
    out[nlen] = '\0';
    *out_len = nlen;
    return CRTO_OK;
}

crto_err_t crto_identifier_check(crto_id_type_t type, const char *in, size_t len, bool hash, size_t *json_len,
                                 crto_diag_t *diag)
{
    return crto_identifier_check_with(NULL, type, in, len, hash, json_len, diag);
}

crto_err_t crto_identifier_check_with(const crto_norm_rules_t *rules, crto_id_type_t type, const char *in, size_t len,
                                      bool hash, size_t *json_len, crto_diag_t *diag)
{
    char norm[CRTO_IDENTIFIER_MAX + 8];
    size_t nlen = 0;
    bool prehashed;
    crto_err_t e = normalise(rules, type, in, len, norm, &nlen, &prehashed, diag);

    if (e != CRTO_OK) {
        return e;
    }
    if ((hash && crto_id_type_hashed(type)) || prehashed) {
        *json_len = CRTO_SHA256_HEX_LEN + 2;
    } else {
        *json_len = crto_json_str_len(norm, nlen);
    }
    return CRTO_OK;
}
