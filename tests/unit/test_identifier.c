/*
 * test_identifier.c - identifier types, validation, normalisation and
 * on-device SHA-256 (crto_identifier_normalise / _check, crto_id_*).
 */
#include <stdio.h>
#include <string.h>

#include "crto/crto_identifier.h"
#include "crto_test.h"

/* sha256("test@example.com") */
#define SHA_TEST_EMAIL "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
/* sha256("+33612345678") */
#define SHA_PHONE_FR "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8"

static char g_out[CRTO_IDENTIFIER_MAX + 1];
static size_t g_out_len;
static crto_diag_t g_diag;

/* Normalise a NUL-terminated input into g_out. */
static crto_err_t norm(crto_id_type_t type, const char *in, bool hash)
{
    crto_diag_clear(&g_diag);
    memset(g_out, 0, sizeof g_out);
    g_out_len = 9999;
    return crto_identifier_normalise(type, in, strlen(in), hash, g_out, sizeof g_out, &g_out_len, &g_diag);
}

/* crto_identifier_check's json_len for a NUL-terminated input, or 0 on error. */
static size_t json_len(crto_id_type_t type, const char *in, bool hash)
{
    size_t n = 0;
    crto_diag_clear(&g_diag);
    if (crto_identifier_check(type, in, strlen(in), hash, &n, &g_diag) != CRTO_OK) {
        return 0;
    }
    return n;
}

static bool contains(const char *s, const char *part)
{
    return strstr(s, part) != NULL;
}

/* -------------------------------------------------------------- hashing */

static void test_sha256_vector(void)
{
    char hex[CRTO_SHA256_HEX_LEN + 1];
    crto_sha256_hex((const uint8_t *)"test@example.com", 16, hex);
    CHECK_EQ_STR(hex, SHA_TEST_EMAIL);
    crto_sha256_hex((const uint8_t *)"", 0, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_email_hashed(void)
{
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "test@example.com", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
    CHECK_EQ_INT(g_out_len, 64);

    /* trimmed and lowercased before hashing */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "  Test@Example.COM \t", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
    CHECK_EQ_INT(g_out_len, 64);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "TEST@EXAMPLE.COM\r\n", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
}

static void test_prehashed_passes_through_lowercased(void)
{
    static const char upper[] = "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B";

    /* not hashed again, for e-mails and phone numbers, with and without hash */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, upper, true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
    CHECK_EQ_INT(g_out_len, 64);
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, upper, true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, upper, false), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, " " SHA_TEST_EMAIL " ", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);

    /* 63 or 65 hex characters are not a digest: an e-mail without '@' */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813", true),
                 CRTO_ERR_IDENTIFIER);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, SHA_TEST_EMAIL "0", true), CRTO_ERR_IDENTIFIER);
}

static void test_email_no_hash(void)
{
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "  Jane.Doe+Promo@Example.COM\t", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "jane.doe+promo@example.com");
    CHECK_EQ_INT(g_out_len, 26);
}

/* ----------------------------------------------------------- rejections */

static void test_empty_is_refused(void)
{
    static const char *const empty[] = {"", " ", " \t\r\n ", "\v\f"};
    size_t i;
    for (i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        CHECK_EQ_INT(norm(CRTO_ID_EMAIL, empty[i], true), CRTO_ERR_IDENTIFIER);
        CHECK_EQ_INT(g_diag.err, CRTO_ERR_IDENTIFIER);
        CHECK_EQ_STR(g_diag.msg, "empty identifier");
        CHECK_EQ_INT(norm(CRTO_ID_IDENTITY_LINK, empty[i], false), CRTO_ERR_IDENTIFIER);
        CHECK_EQ_STR(g_diag.msg, "empty identifier");
    }
}

static void test_control_character_names_its_byte(void)
{
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "ab\x01" "c@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "control character 0x01 at byte 3");
    CHECK_EQ_INT(norm(CRTO_ID_GUM, "gum\x7f" "id", false), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "control character 0x7f at byte 4");
    /* a tab inside is a control character too (at both ends it is trimmed) */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "a\tb@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "control character 0x09 at byte 2");
}

static void test_error_byte_counts_from_the_start_of_the_input(void)
{
    /* the caller knows its own line, not the trimmed text: byte 5 of
     * "  ab\x01..." is the control character */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "  ab\x01" "c@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "control character 0x01 at byte 5");
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "\t\x80" "a@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "invalid UTF-8 at byte 2");
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, " jane doe@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "white space inside an e-mail address at byte 6");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "   +33 6 12 AB 56 78", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "unexpected character 'A' in a phone number at byte 13");
}

static void test_invalid_utf8_is_refused(void)
{
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"\x80" "a@example.com", "invalid UTF-8 at byte 1"},           /* lone continuation byte */
        {"a\xC0\xAF@example.com", "invalid UTF-8 at byte 2"},          /* overlong '/' */
        {"a\xE0\x80\xAF@example.com", "invalid UTF-8 at byte 2"},      /* overlong, 3 bytes */
        {"a\xF0\x80\x80\xAF@example.com", "invalid UTF-8 at byte 2"},  /* overlong, 4 bytes */
        {"ab\xED\xA0\x80@example.com", "invalid UTF-8 at byte 3"},     /* surrogate U+D800 */
        {"a\xF4\x90\x80\x80@example.com", "invalid UTF-8 at byte 2"},  /* past U+10FFFF */
        {"a\xF5\x80\x80\x80@example.com", "invalid UTF-8 at byte 2"},  /* F5 never starts a sequence */
        {"a\xFF@example.com", "invalid UTF-8 at byte 2"},
        {"a@example.co\xE6\x97", "invalid UTF-8 at byte 13"},         /* truncated at the end */
        {"a\xE6\x97@example.com", "invalid UTF-8 at byte 2"},          /* truncated inside */
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(norm(CRTO_ID_EMAIL, bad[i].in, true), CRTO_ERR_IDENTIFIER);
        CHECK(contains(g_diag.msg, "UTF-8"));
        CHECK_EQ_STR(g_diag.msg, bad[i].msg);
    }
}

static void test_valid_utf8_is_accepted(void)
{
    char hex[CRTO_SHA256_HEX_LEN + 1];
    /* é (2 bytes), 日本 (3 bytes each), 😀 (4 bytes) */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "Ren\xC3\xA9@\xE6\x97\xA5\xE6\x9C\xAC.example", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "ren\xC3\xA9@\xE6\x97\xA5\xE6\x9C\xAC.example"); /* only ASCII is lowercased */
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "smile\xF0\x9F\x98\x80@example.com", true), CRTO_OK);
    crto_sha256_hex((const uint8_t *)"smile\xF0\x9F\x98\x80@example.com", 21, hex);
    CHECK_EQ_STR(g_out, hex);
    /* the highest code point, U+10FFFF */
    CHECK_EQ_INT(norm(CRTO_ID_GUM, "\xF4\x8F\xBF\xBF", false), CRTO_OK);
}

static void test_email_shape(void)
{
    static const char *const bad[] = {"no-at-sign.example.com", "@example.com", "jane@", "@"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(norm(CRTO_ID_EMAIL, bad[i], true), CRTO_ERR_IDENTIFIER);
        CHECK_EQ_STR(g_diag.msg, "not an e-mail address (expected local@domain)");
    }
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "x@y", true), CRTO_OK);

    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "jane doe@example.com", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "white space inside an e-mail address at byte 5");
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, "jane@example .com", false), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "white space inside an e-mail address at byte 13");
}

static void test_length_limit(void)
{
    char in[CRTO_IDENTIFIER_MAX + 8];
    size_t n;

    /* CRTO_IDENTIFIER_MAX (256) bytes: "aaa...a@example.com" */
    n = CRTO_IDENTIFIER_MAX - strlen("@example.com");
    memset(in, 'a', n);
    strcpy(in + n, "@example.com");
    CHECK_EQ_INT(strlen(in), 256);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, in, false), CRTO_OK);
    CHECK_EQ_INT(g_out_len, 256);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, in, true), CRTO_OK);
    CHECK_EQ_INT(g_out_len, 64);

    /* 257 are refused */
    memset(in, 'a', n + 1);
    strcpy(in + n + 1, "@example.com");
    CHECK_EQ_INT(strlen(in), 257);
    CHECK_EQ_INT(norm(CRTO_ID_EMAIL, in, true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "identifier is longer than 256 bytes");

    /* the limit applies after trimming */
    in[0] = ' ';
    in[n + 12] = ' ';
    CHECK_EQ_INT(strlen(in), 257);
    CHECK_EQ_INT(norm(CRTO_ID_IDENTITY_LINK, in, false), CRTO_OK);
    CHECK_EQ_INT(g_out_len, 255);
}

/* ----------------------------------------------------------------- phone */

static void test_phone(void)
{
    char hex[CRTO_SHA256_HEX_LEN + 1];
    crto_sha256_hex((const uint8_t *)"+33612345678", 12, hex);
    CHECK_EQ_STR(hex, SHA_PHONE_FR);

    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+33 6 12-34.56(78)", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "+33612345678");
    CHECK_EQ_INT(g_out_len, 12);
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+33 6 12-34.56(78)", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_PHONE_FR);

    /* 00 is the international prefix */
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "0033612345678", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "+33612345678");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, " 00 33 6 12 34 56 78 ", true), CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_PHONE_FR);
}

static void test_phone_rejections(void)
{
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "0612345678", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "phone number is not international (start with + and the country code, or configure a default country code)");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "33612345678", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "(+33) 612345678", true), CRTO_ERR_IDENTIFIER);

    /* 8 to 15 digits (E.164) */
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+1234567", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "phone number has fewer than 8 digits");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+12345678", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "+12345678");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+123456789012345", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "+123456789012345");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+1234567890123456", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "phone number has more than 15 digits (E.164)");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "phone number has fewer than 8 digits");

    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+33 6 12 AB 56 78", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "unexpected character 'A' in a phone number at byte 10");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+33612345678 ext 9", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+33+612345678", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "unexpected character '+' in a phone number at byte 4");

    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "+033612345678", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "country code cannot start with 0");
    CHECK_EQ_INT(norm(CRTO_ID_PHONE, "00033612345678", true), CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "country code cannot start with 0");
}

/* ----------------------------------------------------- passthrough types */

static void test_madid(void)
{
    CHECK_EQ_INT(norm(CRTO_ID_MADID, "6D92078A-8246-4BA4-AE5B-76104861E7DC", true), CRTO_OK);
    CHECK_EQ_STR(g_out, "6d92078a-8246-4ba4-ae5b-76104861e7dc"); /* lowercased, never hashed */
    CHECK_EQ_INT(g_out_len, 36);
    CHECK_EQ_INT(norm(CRTO_ID_MADID, " 6d92078a-8246-4ba4-ae5b-76104861e7dc\n", false), CRTO_OK);
    CHECK_EQ_STR(g_out, "6d92078a-8246-4ba4-ae5b-76104861e7dc");

    static const char *const bad[] = {
        "6D92078A-8246-4BA4-AE5B-76104861E7D",   /* 35 characters */
        "6D92078A-8246-4BA4-AE5B-76104861E7DCC", /* 37 */
        "6D92078A8246-4BA4-AE5B-76104861E7DC0",  /* dash moved */
        "6D92078A-8246-4BA4-AE5B-76104861E7DG",  /* not hex */
        "{6D92078A-8246-4BA4-AE5B-76104861E7D}",
        "6d92078a82464ba4ae5b76104861e7dc",      /* no dashes */
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(norm(CRTO_ID_MADID, bad[i], false), CRTO_ERR_IDENTIFIER);
        CHECK_EQ_STR(g_diag.msg, "mobile ad id is not a UUID (8-4-4-4-12 hex digits)");
    }
}

static void test_identity_link_and_gum_pass_through(void)
{
    /* kept as given (trimmed), never lowercased nor hashed */
    CHECK_EQ_INT(norm(CRTO_ID_IDENTITY_LINK, "  XY1000Ab-Cd_Ef ", true), CRTO_OK);
    CHECK_EQ_STR(g_out, "XY1000Ab-Cd_Ef");
    CHECK_EQ_INT(g_out_len, 14);
    CHECK_EQ_INT(norm(CRTO_ID_GUM, "Gum:12 34", true), CRTO_OK);
    CHECK_EQ_STR(g_out, "Gum:12 34");
    /* 64 hex characters are not special for them */
    CHECK_EQ_INT(norm(CRTO_ID_GUM, "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B", true),
                 CRTO_OK);
    CHECK_EQ_STR(g_out, "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B");
    /* nor for the Retail Media types */
    CHECK_EQ_INT(norm(CRTO_ID_CUSTOMER_ID, "Cust-0042", true), CRTO_OK);
    CHECK_EQ_STR(g_out, "Cust-0042");
    CHECK_EQ_INT(norm(CRTO_ID_USER_IDENTIFIER, "u\"1", true), CRTO_OK);
    CHECK_EQ_STR(g_out, "u\"1");
}

static void test_invalid_type(void)
{
    CHECK_EQ_INT(norm(CRTO_ID__COUNT, "x", true), CRTO_ERR_ARG);
    CHECK_EQ_INT(norm((crto_id_type_t)-1, "x", true), CRTO_ERR_ARG);
}

/* ------------------------------------------------------------------ check */

static void test_check_json_len(void)
{
    /* hashed: always the 64 hex characters and two quotes */
    CHECK_EQ_INT(json_len(CRTO_ID_EMAIL, "  Test@Example.COM ", true), 66);
    CHECK_EQ_INT(json_len(CRTO_ID_PHONE, "+33 6 12 34 56 78", true), 66);
    CHECK_EQ_INT(json_len(CRTO_ID_EMAIL, SHA_TEST_EMAIL, false), 66); /* already a digest */

    /* not hashed: the normalised text as a JSON string */
    CHECK_EQ_INT(json_len(CRTO_ID_EMAIL, "  Test@Example.COM ", false), 18);
    CHECK_EQ_INT(json_len(CRTO_ID_PHONE, "0033 6 12 34 56 78", false), 14);
    CHECK_EQ_INT(json_len(CRTO_ID_IDENTITY_LINK, "ab\"c", false), 7);
    CHECK_EQ_INT(json_len(CRTO_ID_IDENTITY_LINK, "ab\"c", true), 7); /* hash does not apply */
    CHECK_EQ_INT(json_len(CRTO_ID_GUM, "a\\b", false), 6); /* a\\b */
    CHECK_EQ_INT(json_len(CRTO_ID_MADID, "6D92078A-8246-4BA4-AE5B-76104861E7DC", true), 38);

    /* errors as for normalise */
    CHECK_EQ_INT(json_len(CRTO_ID_EMAIL, "   ", true), 0);
    CHECK_EQ_INT(g_diag.err, CRTO_ERR_IDENTIFIER);
    CHECK_EQ_STR(g_diag.msg, "empty identifier");
    CHECK_EQ_INT(json_len(CRTO_ID_PHONE, "0612345678", true), 0);
    CHECK_EQ_INT(g_diag.err, CRTO_ERR_IDENTIFIER);
}

static void test_check_agrees_with_normalise(void)
{
    static const struct {
        crto_id_type_t type;
        const char *in;
        bool hash;
    } cases[] = {
        {CRTO_ID_EMAIL, "Jane@Example.com", false}, {CRTO_ID_EMAIL, "Jane@Example.com", true},
        {CRTO_ID_PHONE, "+44 20 7946 0958", false}, {CRTO_ID_MADID, "6D92078A-8246-4BA4-AE5B-76104861E7DC", false},
        {CRTO_ID_GUM, "g\"u/m", false},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t j = json_len(cases[i].type, cases[i].in, cases[i].hash), k, esc = 2;
        CHECK_EQ_INT(norm(cases[i].type, cases[i].in, cases[i].hash), CRTO_OK);
        for (k = 0; k < g_out_len; k++) {
            esc += g_out[k] == '"' || g_out[k] == '\\' ? 2u : 1u;
        }
        CHECK_EQ_INT(j, esc);
    }
}

static void test_output_too_small(void)
{
    char out[65];
    size_t out_len = 0;
    crto_diag_t diag;

    /* a digest needs 65 bytes */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_identifier_normalise(CRTO_ID_EMAIL, "test@example.com", 16, true, out, 64, &out_len, &diag),
                 CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, 65);
    CHECK_EQ_STR(diag.msg, "output buffer holds 64 bytes, a digest needs 65");
    CHECK_EQ_INT(crto_identifier_normalise(CRTO_ID_EMAIL, "test@example.com", 16, true, out, 65, &out_len, &diag),
                 CRTO_OK);
    CHECK_EQ_STR(out, SHA_TEST_EMAIL);

    /* text needs its length and a NUL */
    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_identifier_normalise(CRTO_ID_EMAIL, "test@example.com", 16, false, out, 16, &out_len, &diag),
                 CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, 17);
    CHECK_EQ_STR(diag.msg, "output buffer holds 16 bytes, need 17");
    CHECK_EQ_INT(crto_identifier_normalise(CRTO_ID_EMAIL, "test@example.com", 16, false, out, 17, &out_len, &diag),
                 CRTO_OK);
    CHECK_EQ_STR(out, "test@example.com");
    CHECK_EQ_INT(out_len, 16);
}

static void test_input_is_only_read_within_len(void)
{
    /* len, not the NUL, bounds the input */
    static const char line[] = "test@example.com,extra";
    CHECK_EQ_INT(crto_identifier_normalise(CRTO_ID_EMAIL, line, 16, true, g_out, sizeof g_out, &g_out_len, NULL),
                 CRTO_OK);
    CHECK_EQ_STR(g_out, SHA_TEST_EMAIL);
}

/* ------------------------------------------------------------- entity ids */

static void test_id_is_valid(void)
{
    CHECK(crto_id_is_valid("1", 1));
    CHECK(crto_id_is_valid("12345678901234567890", 20));
    CHECK(crto_id_is_valid("0", 1));
    CHECK(crto_id_is_valid("123abc", 3)); /* only len bytes are looked at */

    CHECK(!crto_id_is_valid("", 0));
    CHECK(!crto_id_is_valid("123456789012345678901", 21));
    CHECK(!crto_id_is_valid("12a", 3));
    CHECK(!crto_id_is_valid("-1", 2));
    CHECK(!crto_id_is_valid(" 1", 2));
    CHECK(!crto_id_is_valid("1 ", 2));
    CHECK(!crto_id_is_valid("+1", 2));
    CHECK(!crto_id_is_valid(NULL, 0));
    CHECK(!crto_id_is_valid(NULL, 3));
}

/* ------------------------------------------------------------ type names */

static void test_type_parse_ms(void)
{
    static const struct {
        const char *name;
        crto_id_type_t type;
    } ms[] = {
        {"email", CRTO_ID_EMAIL}, {"madid", CRTO_ID_MADID}, {"identityLink", CRTO_ID_IDENTITY_LINK},
        {"gum", CRTO_ID_GUM},     {"phoneNumber", CRTO_ID_PHONE},
    };
    size_t i;
    for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        crto_id_type_t t = CRTO_ID__COUNT;
        CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, ms[i].name, &t, NULL), CRTO_OK);
        CHECK_EQ_INT(t, ms[i].type);
        CHECK_EQ_STR(crto_id_type_name(CRTO_PRODUCT_MS, ms[i].type), ms[i].name);
    }
}

static void test_type_parse_rm(void)
{
    static const struct {
        const char *name;
        crto_id_type_t type;
    } rm[] = {
        {"Email", CRTO_ID_EMAIL},       {"UserIdentifier", CRTO_ID_USER_IDENTIFIER},
        {"IdentityLink", CRTO_ID_IDENTITY_LINK}, {"Gum", CRTO_ID_GUM},
        {"CustomerId", CRTO_ID_CUSTOMER_ID},     {"PhoneNumber", CRTO_ID_PHONE},
    };
    size_t i;
    for (i = 0; i < sizeof rm / sizeof rm[0]; i++) {
        crto_id_type_t t = CRTO_ID__COUNT;
        CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_RM, rm[i].name, &t, NULL), CRTO_OK);
        CHECK_EQ_INT(t, rm[i].type);
        CHECK_EQ_STR(crto_id_type_name(CRTO_PRODUCT_RM, rm[i].type), rm[i].name);
    }
}

static void test_type_parse_is_exact(void)
{
    crto_diag_t diag;
    crto_id_type_t t = CRTO_ID__COUNT;

    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "Email", &t, &diag), CRTO_ERR_ARG);
    CHECK_EQ_INT(t, CRTO_ID__COUNT); /* untouched */
    CHECK_EQ_INT(diag.err, CRTO_ERR_ARG);
    CHECK_EQ_STR(diag.msg, "unknown identifier type \"Email\" (expected email, madid, identityLink, gum or phoneNumber)");

    crto_diag_clear(&diag);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_RM, "email", &t, &diag), CRTO_ERR_ARG);
    CHECK_EQ_STR(diag.msg, "unknown identifier type \"email\" (expected Email, UserIdentifier, IdentityLink, Gum, "
                           "CustomerId or PhoneNumber)");

    /* a name of the other product is not accepted */
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "CustomerId", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "customerId", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_RM, "madid", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_RM, "Madid", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "phonenumber", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "email ", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, "", &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_id_type_parse(CRTO_PRODUCT_MS, NULL, &t, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(t, CRTO_ID__COUNT);
}

static void test_type_names(void)
{
    CHECK(crto_id_type_name(CRTO_PRODUCT_MS, CRTO_ID_CUSTOMER_ID) == NULL);
    CHECK(crto_id_type_name(CRTO_PRODUCT_MS, CRTO_ID_USER_IDENTIFIER) == NULL);
    CHECK(crto_id_type_name(CRTO_PRODUCT_RM, CRTO_ID_MADID) == NULL);
    CHECK(crto_id_type_name(CRTO_PRODUCT_MS, CRTO_ID__COUNT) == NULL);
    CHECK(crto_id_type_name(CRTO_PRODUCT_RM, (crto_id_type_t)-1) == NULL);

    CHECK(crto_id_type_hashed(CRTO_ID_EMAIL));
    CHECK(crto_id_type_hashed(CRTO_ID_PHONE));
    CHECK(!crto_id_type_hashed(CRTO_ID_MADID));
    CHECK(!crto_id_type_hashed(CRTO_ID_IDENTITY_LINK));
    CHECK(!crto_id_type_hashed(CRTO_ID_GUM));
    CHECK(!crto_id_type_hashed(CRTO_ID_CUSTOMER_ID));
    CHECK(!crto_id_type_hashed(CRTO_ID_USER_IDENTIFIER));
}

/* National numbers need a configured country calling code: the trunk 0 goes. */
static void test_phone_national_with_a_default_country_code(void)
{
    crto_norm_rules_t fr = {"33"};
    crto_norm_rules_t us = {"1"};
    crto_norm_rules_t bad = {"033"};
    char out[80], want[80];
    size_t n = 0;
    crto_diag_t d;
    crto_sha256_hex((const uint8_t *)"+33612345678", 12, want);
    CHECK_EQ_INT(crto_identifier_normalise_with(&fr, CRTO_ID_PHONE, "06 12 34 56 78", 14, true, out, sizeof out, &n, &d),
                 CRTO_OK);
    CHECK_EQ_STR(out, want);
    CHECK_EQ_INT(crto_identifier_normalise_with(&fr, CRTO_ID_PHONE, "06.12.34.56.78", 14, false, out, sizeof out, &n,
                                                &d),
                 CRTO_OK);
    CHECK_EQ_STR(out, "+33612345678");
    /* international input ignores the default */
    CHECK_EQ_INT(crto_identifier_normalise_with(&fr, CRTO_ID_PHONE, "+44 20 7946 0958", 16, false, out, sizeof out, &n,
                                                &d),
                 CRTO_OK);
    CHECK_EQ_STR(out, "+442079460958");
    CHECK_EQ_INT(crto_identifier_normalise_with(&us, CRTO_ID_PHONE, "(415) 555-2671", 14, false, out, sizeof out, &n,
                                                &d),
                 CRTO_OK);
    CHECK_EQ_STR(out, "+14155552671");
    CHECK_EQ_INT(crto_identifier_normalise_with(&bad, CRTO_ID_PHONE, "0612345678", 10, false, out, sizeof out, &n, &d),
                 CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_identifier_normalise_with(&fr, CRTO_ID_PHONE, "0612", 4, false, out, sizeof out, &n, &d),
                 CRTO_ERR_IDENTIFIER);
    /* without rules a national number is still refused */
    CHECK_EQ_INT(crto_identifier_normalise_with(NULL, CRTO_ID_PHONE, "0612345678", 10, false, out, sizeof out, &n, &d),
                 CRTO_ERR_IDENTIFIER);
}

/* normalise() checks and lower-cases eight bytes at a time. Every byte
 * value at every position of a word must give what the byte-by-byte rules
 * give: ASCII capitals lowered, everything else (digits, the separator '@' and '[' just
 * outside 'A'..'Z', UTF-8 bytes) unchanged, no hash involved. */
static void test_email_case_folding_is_exact_for_every_byte(void)
{
    static const char *const pieces[] = { "A", "Z", "a", "z", "[", "`", "{", "0", "9", "_", "~", "\xc3\x84", "\xc3\xa9" };
    char in[64], want[64];
    size_t p, pos;
    for (p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
        for (pos = 0; pos < 17; pos++) {
            size_t k, n = 0;
            for (k = 0; k < pos; k++) {
                in[n++] = (char)('B' + (char)(k % 20)); /* capitals around it too */
            }
            n += (size_t)snprintf(in + n, sizeof in - n, "%sQ@Ex.COM", pieces[p]);
            for (k = 0; k <= n; k++) {
                char c = in[k];
                want[k] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
            }
            CHECK_EQ_INT(norm(CRTO_ID_EMAIL, in, false), CRTO_OK);
            CHECK_EQ_STR(g_out, want);
        }
    }
}

/* A space, control character or DEL is found, and named by its byte, in
 * any position of an eight-byte word. */
static void test_bad_byte_found_in_every_word_position(void)
{
    static const char bad[] = { ' ', 0x01, 0x1f, 0x7f };
    size_t b, pos;
    for (b = 0; b < sizeof bad; b++) {
        for (pos = 1; pos < 20; pos++) {
            char in[40];
            char want[48];
            memcpy(in, "abcdefghijklmnopqrstuvw@example.com", 36);
            in[pos] = bad[b];
            CHECK_EQ_INT(norm(CRTO_ID_EMAIL, in, true), CRTO_ERR_IDENTIFIER);
            (void)snprintf(want, sizeof want, "at byte %zu", pos + 1);
            CHECK(contains(g_diag.msg, want));
        }
    }
}

int main(void)
{
    RUN(test_phone_national_with_a_default_country_code);
    RUN(test_sha256_vector);
    RUN(test_email_case_folding_is_exact_for_every_byte);
    RUN(test_bad_byte_found_in_every_word_position);
    RUN(test_email_hashed);
    RUN(test_prehashed_passes_through_lowercased);
    RUN(test_email_no_hash);
    RUN(test_empty_is_refused);
    RUN(test_control_character_names_its_byte);
    RUN(test_error_byte_counts_from_the_start_of_the_input);
    RUN(test_invalid_utf8_is_refused);
    RUN(test_valid_utf8_is_accepted);
    RUN(test_email_shape);
    RUN(test_length_limit);
    RUN(test_phone);
    RUN(test_phone_rejections);
    RUN(test_madid);
    RUN(test_identity_link_and_gum_pass_through);
    RUN(test_invalid_type);
    RUN(test_check_json_len);
    RUN(test_check_agrees_with_normalise);
    RUN(test_output_too_small);
    RUN(test_input_is_only_read_within_len);
    RUN(test_id_is_valid);
    RUN(test_type_parse_ms);
    RUN(test_type_parse_rm);
    RUN(test_type_parse_is_exact);
    RUN(test_type_names);
    return crto_test_summary();
}
