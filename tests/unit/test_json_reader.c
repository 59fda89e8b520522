/*
 * test_json_reader.c - crto_jdoc_*: lookup, iteration, strings, integers,
 * the token limit, and what is refused as malformed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_json.h"
#include "crto_test.h"

static crto_jdoc_t g_doc; /* ~2 KB: kept off the stack as a device would */

static crto_err_t parse(const char *js)
{
    return crto_jdoc_parse(&g_doc, js, strlen(js), NULL);
}

/* Token text as a NUL-terminated string, for CHECK_EQ_STR. */
static const char *text_of(int t)
{
    static char buf[256];
    size_t n;
    const char *p = crto_jdoc_text(&g_doc, t, &n);
    if (p == NULL || n >= sizeof buf) {
        return "(none)";
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- tests */

static void test_nested_lookup(void)
{
    /* A Criteo-like element: follow members down to the values. */
    const char *js = "{\"type\":\"AudienceSegment\",\"id\":\"568708742535471104\","
                     "\"attributes\":{\"name\":\"Shop \\\"A\\\"\",\"advertiserId\":\"12345\","
                     "\"contactList\":{\"isReadOnly\":false,\"nbValidIdentifiers\":2048},"
                     "\"tags\":[\"a\",{\"k\":[1,2,3]},null]}}";
    int attrs, cl, tags, el, arr;
    int64_t v = 0;
    char name[32];
    size_t name_len = 0;

    CHECK_EQ_INT(parse(js), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, 0), CRTO_JTYPE_OBJECT);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, 0), 3);
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, 0, "type")), "AudienceSegment");

    attrs = crto_jdoc_member(&g_doc, 0, "attributes");
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, attrs), CRTO_JTYPE_OBJECT);
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, crto_jdoc_member(&g_doc, attrs, "name"), name, sizeof name,
                               &name_len, NULL),
                 CRTO_OK);
    CHECK_EQ_STR(name, "Shop \"A\"");
    CHECK_EQ_INT(name_len, 8);

    cl = crto_jdoc_member(&g_doc, attrs, "contactList");
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, cl, "nbValidIdentifiers"), &v),
                 CRTO_OK);
    CHECK_EQ_INT(v, 2048);
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, cl, "isReadOnly")), "false");

    tags = crto_jdoc_member(&g_doc, attrs, "tags");
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, tags), CRTO_JTYPE_ARRAY);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, tags), 3);
    CHECK_EQ_STR(text_of(crto_jdoc_index(&g_doc, tags, 0)), "a");
    el = crto_jdoc_index(&g_doc, tags, 1);
    arr = crto_jdoc_member(&g_doc, el, "k");
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_index(&g_doc, arr, 2), &v), CRTO_OK);
    CHECK_EQ_INT(v, 3);
    CHECK(crto_jdoc_is_null(&g_doc, crto_jdoc_index(&g_doc, tags, 2)));
    CHECK(!crto_jdoc_is_null(&g_doc, crto_jdoc_index(&g_doc, tags, 0)));

    /* Missing things are CRTO_JSON_NONE, and NONE is harmless downstream. */
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "nope"), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "typ"), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "types"), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, tags, "a"), CRTO_JSON_NONE); /* not an object */
    CHECK_EQ_INT(crto_jdoc_index(&g_doc, tags, 3), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_index(&g_doc, tags, -1), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_index(&g_doc, attrs, 0), CRTO_JSON_NONE); /* not an array */
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, CRTO_JSON_NONE), CRTO_JTYPE_INVALID);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, g_doc.ntok), CRTO_JTYPE_INVALID);
    CHECK(crto_jdoc_text(&g_doc, CRTO_JSON_NONE, NULL) == NULL);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, CRTO_JSON_NONE), 0);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, CRTO_JSON_NONE, &v), CRTO_ERR_JSON);
}

static void test_member_value_not_matched_as_key(void)
{
    /* A value equal to the name looked for must not be taken for a key. */
    CHECK_EQ_INT(parse("{\"a\":\"b\",\"b\":{\"b\":\"c\"},\"c\":[\"c\"]}"), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, crto_jdoc_member(&g_doc, 0, "b")), CRTO_JTYPE_OBJECT);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, crto_jdoc_member(&g_doc, 0, "c")), CRTO_JTYPE_ARRAY);
    /* The first of duplicate names wins. */
    CHECK_EQ_INT(parse("{\"x\":1,\"x\":2}"), CRTO_OK);
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, 0, "x")), "1");
}

static void test_iterate_members_and_elements(void)
{
    /* Walking an object: key, value = key + 1, next key = next(key). */
    static const char *const names[] = {"errors", "warnings", "meta"};
    int k, m, e, i;

    CHECK_EQ_INT(parse("{\"errors\":[{\"code\":\"a\"},{\"code\":\"b\",\"x\":[[]]}],"
                       "\"warnings\":[],\"meta\":{\"n\":2}}"),
                 CRTO_OK);
    for (m = 0, k = 1; m < crto_jdoc_count(&g_doc, 0); m++, k = crto_jdoc_next(&g_doc, k)) {
        CHECK_EQ_STR(text_of(k), names[m]);
    }
    CHECK_EQ_INT(m, 3);
    CHECK_EQ_INT(k, CRTO_JSON_NONE); /* next() of the last member */

    /* Walking an array: next(element) is the following element. */
    e = crto_jdoc_member(&g_doc, 0, "errors") + 1;
    for (i = 0; i < 2; i++, e = crto_jdoc_next(&g_doc, e)) {
        CHECK_EQ_INT(e, crto_jdoc_index(&g_doc, crto_jdoc_member(&g_doc, 0, "errors"), i));
        CHECK_EQ_INT(crto_jdoc_type(&g_doc, e), CRTO_JTYPE_OBJECT);
    }
    CHECK_EQ_STR(text_of(crto_jdoc_member(
                     &g_doc, crto_jdoc_index(&g_doc, crto_jdoc_member(&g_doc, 0, "errors"), 1),
                     "code")),
                 "b");
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, crto_jdoc_member(&g_doc, 0, "warnings")), 0);
    CHECK_EQ_INT(crto_jdoc_next(&g_doc, 0), CRTO_JSON_NONE);
}

static void test_int64_edges(void)
{
    static const struct {
        const char *text;
        crto_err_t err;
        int64_t v;
    } cases[] = {
        {"0", CRTO_OK, 0},
        {"-0", CRTO_OK, 0},
        {"42", CRTO_OK, 42},
        {"-42", CRTO_OK, -42},
        {"9223372036854775807", CRTO_OK, INT64_MAX},
        {"-9223372036854775808", CRTO_OK, INT64_MIN},
        {"9223372036854775806", CRTO_OK, INT64_MAX - 1},
        {"-9223372036854775807", CRTO_OK, INT64_MIN + 1},
        {"568708742535471104", CRTO_OK, 568708742535471104},
        {"007", CRTO_OK, 7}, /* bare text (headers) may have leading zeros */
        {"9223372036854775808", CRTO_ERR_JSON, 0},   /* INT64_MAX + 1 */
        {"-9223372036854775809", CRTO_ERR_JSON, 0},  /* INT64_MIN - 1 */
        {"18446744073709551616", CRTO_ERR_JSON, 0},  /* 2^64 wraps a uint64 */
        {"99999999999999999999", CRTO_ERR_JSON, 0},
        {"", CRTO_ERR_JSON, 0},
        {"-", CRTO_ERR_JSON, 0},
        {"+1", CRTO_ERR_JSON, 0},
        {"1.0", CRTO_ERR_JSON, 0},
        {"1e3", CRTO_ERR_JSON, 0},
        {" 1", CRTO_ERR_JSON, 0},
        {"1 ", CRTO_ERR_JSON, 0},
        {"--1", CRTO_ERR_JSON, 0},
        {"0x10", CRTO_ERR_JSON, 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 12345;
        crto_err_t err = crto_parse_int64(cases[i].text, strlen(cases[i].text), &v);
        if (err != cases[i].err) {
            printf("  case \"%s\"\n", cases[i].text);
        }
        CHECK_EQ_INT(err, cases[i].err);
        if (cases[i].err == CRTO_OK) {
            CHECK(v == cases[i].v);
        } else {
            CHECK(v == 12345); /* untouched on error */
        }
    }
}

static void test_int64_from_tokens(void)
{
    int64_t v = 0;

    CHECK_EQ_INT(parse("{\"id\":568708742535471104,\"sid\":\"568708742535471104\","
                       "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
                       "\"over\":9223372036854775808,\"f\":1.0,\"e\":1e3,\"t\":true,"
                       "\"o\":{},\"s\":\"12a\",\"esc\":\"\\u0031\"}"),
                 CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "id"), &v), CRTO_OK);
    CHECK(v == 568708742535471104); /* no trip through double */
    v = 0;
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "sid"), &v), CRTO_OK);
    CHECK(v == 568708742535471104);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "max"), &v), CRTO_OK);
    CHECK(v == INT64_MAX);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "min"), &v), CRTO_OK);
    CHECK(v == INT64_MIN);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "over"), &v), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "f"), &v), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "e"), &v), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "t"), &v), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "o"), &v), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "s"), &v), CRTO_ERR_JSON);
    /* Strings are read raw: an escaped digit is not a digit. */
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, crto_jdoc_member(&g_doc, 0, "esc"), &v), CRTO_ERR_JSON);
}

static void test_scalar_roots(void)
{
    /* The splitter hands out `900` or `"Bearer"` alone; both must parse. */
    int64_t v = 0;
    char s[16];

    CHECK_EQ_INT(parse("900"), CRTO_OK);
    CHECK_EQ_INT(g_doc.ntok, 1);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, 0), CRTO_JTYPE_PRIMITIVE);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, 0, &v), CRTO_OK);
    CHECK_EQ_INT(v, 900);
    CHECK_EQ_INT(parse(" \r\n-9223372036854775808\t"), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_int(&g_doc, 0, &v), CRTO_OK);
    CHECK(v == INT64_MIN);
    CHECK_EQ_INT(parse("null"), CRTO_OK);
    CHECK(crto_jdoc_is_null(&g_doc, 0));
    CHECK_EQ_INT(parse("true"), CRTO_OK);
    CHECK_EQ_INT(parse("-0.5e+3"), CRTO_OK);
    CHECK_EQ_INT(parse("\"Bearer\""), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, s, sizeof s, NULL, NULL), CRTO_OK);
    CHECK_EQ_STR(s, "Bearer");
    CHECK_EQ_INT(parse("[]"), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, 0), 0);
    CHECK_EQ_INT(parse(" { } "), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, 0), 0);
}

static void test_unescape(void)
{
    char out[64];
    size_t n = 0;

    CHECK_EQ_INT(parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\","
                       "\"\\ud83d\\ude00\",\"x\\u0000y\",\"plain\"]"),
                 CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 1, out, sizeof out, &n, NULL), CRTO_OK);
    CHECK_EQ_STR(out, "a\"b\\c/d\b\f\n\r\t");
    CHECK_EQ_INT(n, 12);
    /* \u00e9 is é (2 bytes), \u20AC is € (3 bytes) */
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 2, out, sizeof out, &n, NULL), CRTO_OK);
    CHECK_EQ_STR(out, "\xc3\xa9\xe2\x82\xac");
    CHECK_EQ_INT(n, 5);
    /* A surrogate pair is one code point: U+1F600, 4 bytes of UTF-8. */
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 3, out, sizeof out, &n, NULL), CRTO_OK);
    CHECK_EQ_STR(out, "\xf0\x9f\x98\x80");
    CHECK_EQ_INT(n, 4);
    /* \u0000 is data: out_len tells where the string really ends. */
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 4, out, sizeof out, &n, NULL), CRTO_OK);
    CHECK_EQ_INT(n, 3);
    CHECK_MEM(out, "x\0y", 4);
    /* Not a string */
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, out, sizeof out, &n, NULL), CRTO_ERR_JSON);
}

static void test_bad_surrogates(void)
{
    static const char *const bad[] = {
        "\"\\ud83d\"",         /* high alone */
        "\"\\ud83dx\"",        /* high then a plain byte */
        "\"\\ud83d\\n\"",      /* high then another escape */
        "\"\\ud83d\\u0041\"",  /* high then a non-surrogate */
        "\"\\ud83d\\ud83d\"",  /* high then high */
        "\"\\ude00\"",         /* low alone */
        "\"\\ude00\\ud83d\"",  /* a pair the wrong way round */
    };
    size_t i;
    char out[32];
    crto_diag_t d;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crto_diag_clear(&d);
        CHECK_EQ_INT(parse(bad[i]), CRTO_OK); /* jsmn's syntax is fine */
        CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, out, sizeof out, NULL, &d), CRTO_ERR_JSON);
        CHECK_EQ_INT(d.err, CRTO_ERR_JSON);
        CHECK_EQ_STR(out, "");
    }
}

static void test_str_too_small_reports_need(void)
{
    char out[8];
    size_t n = 99;
    crto_diag_t d;

    CHECK_EQ_INT(parse("\"0123456789\\u20ac\""), CRTO_OK); /* 10 + 3 bytes */
    crto_diag_clear(&d);
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, out, sizeof out, &n, &d), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(d.need, 14); /* NUL included */
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_STR(out, "");
    /* Measure first with no buffer at all, then read into an exact fit. */
    crto_diag_clear(&d);
    CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, NULL, 0, NULL, &d), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(d.need, 14);
    {
        char exact[14];
        CHECK_EQ_INT(crto_jdoc_str(&g_doc, 0, exact, sizeof exact, &n, &d), CRTO_OK);
        CHECK_EQ_INT(n, 13);
        CHECK_EQ_STR(exact, "0123456789\xe2\x82\xac");
    }
}

static void test_escaped_member_names(void)
{
    /* Member names are compared after unescaping. */
    CHECK_EQ_INT(parse("{\"a\\u0062\":1,\"q\\\"\":2,\"caf\\u00e9\":3}"), CRTO_OK);
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, 0, "ab")), "1");
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, 0, "q\"")), "2");
    CHECK_EQ_STR(text_of(crto_jdoc_member(&g_doc, 0, "caf\xc3\xa9")), "3");
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "a"), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "abc"), CRTO_JSON_NONE);
    CHECK_EQ_INT(crto_jdoc_member(&g_doc, 0, "a\\u0062"), CRTO_JSON_NONE);
}

static void test_too_many_tokens_reports_need(void)
{
    /* An array of CRTO_JSON_TOKENS + 43 numbers (139 by default) is
     * CRTO_JSON_TOKENS + 44 tokens (140): the array and its elements. */
    static char js[CRTO_JSON_TOKENS * 8 + 512];
    const int need = CRTO_JSON_TOKENS + 44;
    size_t n = 0;
    int i;
    crto_diag_t d;

    js[n++] = '[';
    for (i = 0; i < need - 1; i++) {
        n += (size_t)snprintf(js + n, sizeof js - n, "%s%d", i ? "," : "", i);
    }
    js[n++] = ']';
    crto_diag_clear(&d);
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, js, n, &d), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(d.err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(d.need, need);
    {
        char want[96];
        snprintf(want, sizeof want, "JSON element needs %d tokens, CRTO_JSON_TOKENS is %d", need,
                 CRTO_JSON_TOKENS);
        CHECK_EQ_STR(d.msg, want);
    }
    CHECK_EQ_INT(g_doc.ntok, 0);
    CHECK_EQ_INT(crto_jdoc_type(&g_doc, 0), CRTO_JTYPE_INVALID);

    /* Exactly CRTO_JSON_TOKENS tokens still fit. */
    n = 0;
    js[n++] = '[';
    for (i = 0; i < CRTO_JSON_TOKENS - 1; i++) {
        n += (size_t)snprintf(js + n, sizeof js - n, "%s%d", i ? "," : "", i);
    }
    js[n++] = ']';
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, js, n, NULL), CRTO_OK);
    CHECK_EQ_INT(g_doc.ntok, CRTO_JSON_TOKENS);
    CHECK_EQ_INT(crto_jdoc_count(&g_doc, 0), CRTO_JSON_TOKENS - 1);
    {
        char last[16];
        snprintf(last, sizeof last, "%d", CRTO_JSON_TOKENS - 2);
        CHECK_EQ_STR(text_of(crto_jdoc_index(&g_doc, 0, CRTO_JSON_TOKENS - 2)), last);
    }
}

static void test_rejects_malformed(void)
{
    static const char *const bad[] = {
        "",
        "   ",
        "{",
        "{\"a\":1",
        "[1,2",
        "\"abc",
        "]",
        "}",
        "{}}",
        "[]]",
        "{} x",                   /* trailing garbage */
        "{\"a\":1} {\"b\":2}",    /* two roots */
        "[1] [2]",
        "\"a\" \"b\"",
        "1 2",
        "[1 2]",                  /* jsmn alone accepts these */
        "[1,]",
        "[,1]",
        "[1,,2]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\" 1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1:2}",
        "{\"a\"::1}",
        "[\"a\":1]",
        "\"a\":1",
        "{1:2}",
        "{{}}",
        "[{]",
        "[}",
        "[tru]",
        "[nul]",
        "[True]",
        "[01]",
        "[1.]",
        "[.5]",
        "[-]",
        "[1e]",
        "[+1]",
        "[0x1]",
        "[1\"a\"]",
        "[\"a\"1]",
        "[[1]2]",
        "tru",
        "01",
        "1.5.2",
        "[\"a\x01\"]",            /* raw control byte in a string */
        "[\"tab\there\"]",
        "[\"\\x\"]",              /* unknown escape */
        "[\"\\u12G4\"]",
        "{\"a\":1}\x01",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crto_diag_t d;
        crto_err_t err;
        crto_diag_clear(&d);
        err = crto_jdoc_parse(&g_doc, bad[i], strlen(bad[i]), &d);
        if (err != CRTO_ERR_JSON) {
            printf("  accepted or misjudged: '%s' -> %s\n", bad[i], crto_err_name(err));
        }
        CHECK_EQ_INT(err, CRTO_ERR_JSON);
        CHECK_EQ_INT(d.err, CRTO_ERR_JSON);
        CHECK(d.msg[0] != '\0');
        CHECK_EQ_INT(g_doc.ntok, 0);
    }
    /* A NUL inside the given length is not whitespace. */
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "{}\0", 3, NULL), CRTO_ERR_JSON);
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "[\"a\0\"]", 6, NULL), CRTO_ERR_JSON);
}

static void test_accepts_valid(void)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " \t\r\n[ ] \n",
        "{\"a\":{\"b\":{\"c\":[[],[{}],{\"d\":null}]}}}",
        "[0,-0,1.5,-1.5e10,2E-3,1e+2,true,false,null]",
        "{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }",
        "[\"\",\"\\\"\",\"\\\\\",\"\\/\",\"\\u0000\",\"\xc3\xa9\x7f\"]",
        "{\"\":\"\"}",
        "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
        "{\"a\":\"]}\",\"b\":\"[{\"}",
    };
    size_t i;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        crto_diag_t d;
        crto_err_t err;
        crto_diag_clear(&d);
        err = crto_jdoc_parse(&g_doc, good[i], strlen(good[i]), &d);
        if (err != CRTO_OK) {
            printf("  refused: '%s': %s\n", good[i], d.msg);
        }
        CHECK_EQ_INT(err, CRTO_OK);
    }
    /* Only len bytes are read: no NUL needed after the text. */
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "[1]xyz", 3, NULL), CRTO_OK);
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "123456", 3, NULL), CRTO_OK);
    {
        int64_t v = 0;
        CHECK_EQ_INT(crto_jdoc_int(&g_doc, 0, &v), CRTO_OK);
        CHECK_EQ_INT(v, 123);
    }
}

static void test_error_message_names_the_place(void)
{
    crto_diag_t d;

    crto_diag_clear(&d);
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "{\"a\":1,}", 8, &d), CRTO_ERR_JSON);
    CHECK(strstr(d.msg, "byte") != NULL);
    crto_diag_clear(&d);
    CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "{\"a\":[1,2", 9, &d), CRTO_ERR_JSON);
    CHECK(strstr(d.msg, "truncated") != NULL);
}

int main(void)
{
    RUN(test_nested_lookup);
    RUN(test_member_value_not_matched_as_key);
    RUN(test_iterate_members_and_elements);
    RUN(test_int64_edges);
    RUN(test_int64_from_tokens);
    RUN(test_scalar_roots);
    RUN(test_unescape);
    RUN(test_bad_surrogates);
    RUN(test_str_too_small_reports_need);
    RUN(test_escaped_member_names);
    RUN(test_too_many_tokens_reports_need);
    RUN(test_rejects_malformed);
    RUN(test_accepts_valid);
    RUN(test_error_message_names_the_place);
    return crto_test_summary();
}
