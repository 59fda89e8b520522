/*
 * test_json_splitter.c - crto_jsplit_*: cutting a streamed response into
 * elements, in pieces of any size, and refusing what is not one object.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_json.h"
#include "crto_test.h"

static crto_jsplit_t g_split; /* holds the window: keep it off the stack */
static crto_jdoc_t g_doc;

/* ------------------------------------------------------------- recording */

/* The elements a callback saw, as "key[index]=text" lines. */
typedef struct {
    char log[8192];
    size_t len;
    unsigned calls;
    unsigned stop_at;     /* 1-based call that returns CRTO_ERR_ABORTED; 0: never */
} record_t;

static record_t g_rec;

static void record_reset(unsigned stop_at)
{
    g_rec.len = 0;
    g_rec.log[0] = '\0';
    g_rec.calls = 0;
    g_rec.stop_at = stop_at;
}

static crto_err_t record_element(void *arg, const char *key, size_t key_len, int32_t index,
                                 const char *json, size_t len)
{
    record_t *r = arg;
    int n;

    r->calls++;
    if (r->stop_at != 0 && r->calls == r->stop_at) {
        return CRTO_ERR_ABORTED;
    }
    if (index >= 0) {
        n = snprintf(r->log + r->len, sizeof r->log - r->len, "%.*s[%" PRId32 "]=%.*s\n",
                     (int)key_len, key, index, (int)len, json);
    } else {
        n = snprintf(r->log + r->len, sizeof r->log - r->len, "%.*s=%.*s\n", (int)key_len, key,
                     (int)len, json);
    }
    if (n > 0 && (size_t)n < sizeof r->log - r->len) {
        r->len += (size_t)n;
    }
    return CRTO_OK;
}

/* Split a whole text fed in pieces of `piece` bytes; returns the first
 * error of feed or finish. */
static crto_err_t split_text(const char *js, size_t len, size_t piece, crto_diag_t *d)
{
    size_t off = 0;
    crto_err_t err = CRTO_OK;

    crto_jsplit_init(&g_split, record_element, &g_rec, d);
    while (off < len && err == CRTO_OK) {
        size_t n = len - off < piece ? len - off : piece;
        err = crto_jsplit_feed(&g_split, (const uint8_t *)js + off, n);
        off += n;
    }
    if (err == CRTO_OK) {
        err = crto_jsplit_finish(&g_split);
    }
    return err;
}

/* Split js with several piece sizes; every run must log the same `want`. */
static void expect_split(const char *js, const char *want)
{
    static const size_t pieces[] = {1, 2, 3, 7, 64, 100000};
    size_t i;

    for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        crto_diag_t d;
        crto_diag_clear(&d);
        record_reset(0);
        CHECK_EQ_INT(split_text(js, strlen(js), pieces[i], &d), CRTO_OK);
        CHECK_EQ_STR(g_rec.log, want);
        if (d.err != CRTO_OK) {
            printf("  piece %zu: %s\n", pieces[i], d.msg);
        }
    }
}

/* -------------------------------------------------- the 1 MB response */

/* Element i of the big response. Some carry strings full of the bytes a
 * careless scanner would take for structure. */
static size_t big_element(unsigned i, char *out, size_t cap)
{
    return (size_t)snprintf(
        out, cap,
        "{\"type\":\"ContactlistAmendment\",\"id\":\"%u\",\"attributes\":{\"n\":%u,"
        "\"hash\":\"%08x%08x%08x%08x%08x%08x%08x%08x\",\"tags\":[%s]}}",
        i, i, i * 2654435761u, i ^ 0x5bd1e995u, i + 1u, i * 7u, ~i, i << 3, i * 31u, i * 131u,
        i % 7u == 0 ? "\"a]b}c\\\"d\\\\\",\"[{\"" : (i % 11u == 0 ? "" : "1,{\"x\":[]}"));
}

static const char k_big_meta[] = "{\"totalItems\":%u,\"next\":null,\"note\":\"}]\"}";

static char g_big[1200000];
static size_t g_big_len;
static unsigned g_big_count;

static void build_big(void)
{
    size_t n = 0;
    unsigned i = 0;

    n += (size_t)snprintf(g_big + n, sizeof g_big - n, "{\"data\":[");
    while (n < (1u << 20)) {
        if (i > 0) {
            g_big[n++] = ',';
        }
        if (i % 5u == 0) {
            n += (size_t)snprintf(g_big + n, sizeof g_big - n, "\n  "); /* pretty in places */
        }
        n += big_element(i, g_big + n, sizeof g_big - n);
        i++;
    }
    n += (size_t)snprintf(g_big + n, sizeof g_big - n, "\n],\"meta\":");
    n += (size_t)snprintf(g_big + n, sizeof g_big - n, k_big_meta, i);
    n += (size_t)snprintf(g_big + n, sizeof g_big - n, "}\n");
    g_big_len = n;
    g_big_count = i;
}

typedef struct {
    int32_t next;    /* index expected for the next "data" element */
    unsigned data;   /* "data" elements seen */
    unsigned meta;   /* "meta" elements seen */
    unsigned wrong;  /* elements that were not exactly what was sent */
} big_visit_t;

static crto_err_t big_element_cb(void *arg, const char *key, size_t key_len, int32_t index,
                                 const char *json, size_t len)
{
    big_visit_t *v = arg;
    char want[512];
    size_t want_len;

    if (key_len == 4 && memcmp(key, "data", 4) == 0) {
        int64_t n = -1;
        if (index != v->next) {
            v->wrong++;
        }
        v->next = index + 1;
        v->data++;
        want_len = big_element((unsigned)index, want, sizeof want);
        if (len != want_len || memcmp(json, want, len) != 0) {
            v->wrong++;
        }
        /* Each element is ready for the reader as it is. */
        if (crto_jdoc_parse(&g_doc, json, len, NULL) != CRTO_OK ||
            crto_jdoc_int(&g_doc,
                          crto_jdoc_member(&g_doc, crto_jdoc_member(&g_doc, 0, "attributes"), "n"),
                          &n) != CRTO_OK ||
            n != index) {
            v->wrong++;
        }
    } else if (key_len == 4 && memcmp(key, "meta", 4) == 0) {
        v->meta++;
        want_len = (size_t)snprintf(want, sizeof want, k_big_meta, g_big_count);
        if (index != -1 || len != want_len || memcmp(json, want, len) != 0) {
            v->wrong++;
        }
    } else {
        v->wrong++;
    }
    return CRTO_OK;
}

static void test_1mb_response_in_odd_pieces(void)
{
    /* Pieces cycle through 1, 7 and 4093 bytes (and other patterns): an
     * element, a string, an escape or a name is cut anywhere. */
    static const size_t patterns[][3] = {{1, 7, 4093}, {4093, 1, 7}, {1, 1, 1},
                                         {1500, 1500, 1500}, {65536, 3, 999}};
    size_t p;

    build_big();
    CHECK(g_big_len > (1u << 20));
    CHECK(g_big_count > 5000);
    for (p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        big_visit_t v = {0, 0, 0, 0};
        crto_diag_t d;
        size_t off = 0, k = 0;
        crto_err_t err = CRTO_OK;

        crto_diag_clear(&d);
        crto_jsplit_init(&g_split, big_element_cb, &v, &d);
        while (off < g_big_len && err == CRTO_OK) {
            size_t n = patterns[p][k++ % 3];
            if (n > g_big_len - off) {
                n = g_big_len - off;
            }
            err = crto_jsplit_feed(&g_split, (const uint8_t *)g_big + off, n);
            off += n;
        }
        CHECK_EQ_INT(err, CRTO_OK);
        CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_OK);
        CHECK_EQ_INT(v.data, g_big_count); /* every element exactly once */
        CHECK_EQ_INT(v.next, g_big_count);
        CHECK_EQ_INT(v.meta, 1);
        CHECK_EQ_INT(v.wrong, 0);
    }
}

/* ------------------------------------------------------------ too large */

static char g_large[2 * CRTO_JSON_WINDOW + 8192];

static void test_element_larger_than_window(void)
{
    /* data[3] is {"blob":"xxx..."}, 5123 bytes with the default window */
    const size_t el = CRTO_JSON_WINDOW + 2051;
    size_t n = 0, blob = el - 11, piece;

    n += (size_t)snprintf(g_large + n, sizeof g_large - n, "{\"data\":[1,{\"a\":2},\"x\",");
    n += (size_t)snprintf(g_large + n, sizeof g_large - n, "{\"blob\":\"");
    memset(g_large + n, 'x', blob);
    n += blob;
    n += (size_t)snprintf(g_large + n, sizeof g_large - n, "\"},4],\"meta\":{}}");

    for (piece = 1; piece <= 4096; piece *= 8) {
        crto_diag_t d;
        char want[CRTO_DIAG_MAX];
        crto_diag_clear(&d);
        record_reset(0);
        CHECK_EQ_INT(split_text(g_large, n, piece, &d), CRTO_ERR_TOO_LARGE);
        CHECK_EQ_INT(d.err, CRTO_ERR_TOO_LARGE);
        CHECK_EQ_INT(d.need, el); /* measured to the element's very end */
        snprintf(want, sizeof want,
                 "JSON element data[3] is %zu bytes; the window (CRTO_JSON_WINDOW) is %d", el,
                 CRTO_JSON_WINDOW);
        CHECK_EQ_STR(d.msg, want);
        /* The elements before it were delivered; the error is sticky. */
        CHECK_EQ_STR(g_rec.log, "data[0]=1\ndata[1]={\"a\":2}\ndata[2]=\"x\"\n");
        CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)"", 0), CRTO_ERR_TOO_LARGE);
        CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_ERR_TOO_LARGE);
    }
}

static void test_window_boundary(void)
{
    /* A value of exactly CRTO_JSON_WINDOW bytes fits; one more does not. */
    size_t w = CRTO_JSON_WINDOW;
    size_t extra;

    for (extra = 0; extra <= 1; extra++) {
        size_t el = w + extra, n = 0;
        crto_diag_t d;
        crto_err_t err;
        n += (size_t)snprintf(g_large, sizeof g_large, "{\"token\":\"");
        memset(g_large + n, 'y', el - 2);
        n += el - 2;
        n += (size_t)snprintf(g_large + n, sizeof g_large - n, "\"}");
        crto_diag_clear(&d);
        record_reset(0);
        err = split_text(g_large, n, 1000, &d);
        if (extra == 0) {
            CHECK_EQ_INT(err, CRTO_OK);
            CHECK_EQ_INT(g_rec.calls, 1);
        } else {
            char want[CRTO_DIAG_MAX];
            CHECK_EQ_INT(err, CRTO_ERR_TOO_LARGE);
            CHECK_EQ_INT(d.need, el);
            snprintf(want, sizeof want,
                     "JSON element token is %zu bytes; the window (CRTO_JSON_WINDOW) is %d", el,
                     CRTO_JSON_WINDOW);
            CHECK_EQ_STR(d.msg, want);
            CHECK_EQ_INT(g_rec.calls, 0);
        }
    }
}

static void test_large_number_element(void)
{
    /* A primitive ends at its delimiter, which is not part of it. */
    size_t n = 0, digits = CRTO_JSON_WINDOW + 1928; /* 5000 by default */
    char want[64];
    crto_diag_t d;

    n += (size_t)snprintf(g_large, sizeof g_large, "{\"n\":[");
    memset(g_large + n, '7', digits);
    n += digits;
    n += (size_t)snprintf(g_large + n, sizeof g_large - n, " ]}");
    crto_diag_clear(&d);
    record_reset(0);
    CHECK_EQ_INT(split_text(g_large, n, 333, &d), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(d.need, digits);
    snprintf(want, sizeof want, "JSON element n[0] is %zu bytes", digits);
    CHECK(strncmp(d.msg, want, strlen(want)) == 0);
}

/* ------------------------------------------------------- element shapes */

static void test_tricky_strings(void)
{
    /* ] } [ { \" and \\ inside strings are data, not structure. */
    expect_split("{\"data\":[{\"s\":\"a]b}c\\\"d\\\\\"},\"x\\\\\\\"]\",\"[{\\\\\\\\\",\"}\","
                 "{\"k\":\"\\\\\"}],\"t\":\"]}{[\",\"]\":\"\\\"\"}",
                 "data[0]={\"s\":\"a]b}c\\\"d\\\\\"}\n"
                 "data[1]=\"x\\\\\\\"]\"\n"
                 "data[2]=\"[{\\\\\\\\\"\n"
                 "data[3]=\"}\"\n"
                 "data[4]={\"k\":\"\\\\\"}\n"
                 "t=\"]}{[\"\n"
                 "]=\"\\\"\"\n");
    /* A \u escape in a name is checked and kept as written. */
    expect_split("{\"a\\u0062\":[1]}", "a\\u0062[0]=1\n");
    /* A name with an escaped quote stays as written. */
    expect_split("{\"a\\\"b\":1}", "a\\\"b=1\n");
}

static void test_scalars_and_nested_values(void)
{
    /* A token response: every member whose value is not an array is one
     * element, index -1, its text exactly as sent. */
    expect_split("{\"access_token\":\"eyJ.abc\",\"token_type\":\"Bearer\",\"expires_in\":900,"
                 "\"nested\":{\"a\":[1,{\"b\":2}]},\"flag\":true,\"nil\":null,\"neg\":-1.5e3,"
                 "\"deep\":[[1,[2]],{\"c\":[]}]}",
                 "access_token=\"eyJ.abc\"\n"
                 "token_type=\"Bearer\"\n"
                 "expires_in=900\n"
                 "nested={\"a\":[1,{\"b\":2}]}\n"
                 "flag=true\n"
                 "nil=null\n"
                 "neg=-1.5e3\n"
                 "deep[0]=[1,[2]]\n"
                 "deep[1]={\"c\":[]}\n");
}

static void test_errors_and_warnings_arrays(void)
{
    /* Indexes restart for each array member; an empty array yields nothing. */
    expect_split("{\"data\":[],\"errors\":[{\"type\":\"validation\",\"code\":\"invalid-identifier\","
                 "\"detail\":\"x\"}],\"warnings\":[{\"code\":\"w1\"},{\"code\":\"w2\"}]}",
                 "errors[0]={\"type\":\"validation\",\"code\":\"invalid-identifier\","
                 "\"detail\":\"x\"}\n"
                 "warnings[0]={\"code\":\"w1\"}\n"
                 "warnings[1]={\"code\":\"w2\"}\n");
}

static void test_whitespace_everywhere(void)
{
    /* Whitespace around structure is skipped; inside an element it is kept. */
    expect_split(" \r\n{\n \"data\" : [\n  { \"a\" : 1 } ,\n  2 \t,\"s\"\n ] ,\n"
                 " \"meta\" : { } , \"n\" : 5\n}\n ",
                 "data[0]={ \"a\" : 1 }\n"
                 "data[1]=2\n"
                 "data[2]=\"s\"\n"
                 "meta={ }\n"
                 "n=5\n");
}

static void test_empty_object_and_arrays(void)
{
    expect_split("{}", "");
    expect_split("{\"data\":[],\"meta\":[ ]}", "");
    expect_split("{\"data\":[[]]}", "data[0]=[]\n");
}

static void test_long_names_are_truncated(void)
{
    /* Names are cut to sizeof key - 1 = 31 bytes. */
    expect_split("{\"abcdefghijklmnopqrstuvwxyz0123456789\":1}",
                 "abcdefghijklmnopqrstuvwxyz01234=1\n");
}

/* ------------------------------------------------------------- refusals */

static void test_truncated_input(void)
{
    /* Every proper prefix of a valid body feeds fine but fails at finish. */
    static const char js[] = "{\"data\":[{\"a\":\"x]\\\"\"},2],\"meta\":{\"n\":1},\"e\":-7}";
    size_t cut;

    for (cut = 0; cut < sizeof js - 1; cut++) {
        crto_diag_t d;
        crto_diag_clear(&d);
        record_reset(0);
        crto_jsplit_init(&g_split, record_element, &g_rec, &d);
        CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)js, cut), CRTO_OK);
        CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_ERR_JSON);
        CHECK(strstr(d.msg, "truncated") != NULL);
        CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_ERR_JSON); /* sticky */
    }
    record_reset(0);
    CHECK_EQ_INT(split_text(js, sizeof js - 1, 5, NULL), CRTO_OK);
    CHECK_EQ_INT(g_rec.calls, 4);
}

static void test_malformed_top_level(void)
{
    static const char *const bad[] = {
        "[1]",                    /* root not an object */
        "\"x\"",
        "1",
        "{\"a\":[}",              /* ']' expected */
        "{\"a\":{]}",             /* mismatched inside an element */
        "{\"a\":[{\"b\":[}]}]}",
        "{\"a\":[1]]}",
        "{} x",                   /* after the end */
        "{}{}",
        "{\"a\" 1}",              /* missing ':' */
        "{\"a\":1 \"b\":2}",      /* missing ',' */
        "{\"d\":[1 2]}",
        "{\"d\":[{} {}]}",
        "{\"a\":1,}",             /* trailing commas */
        "{\"d\":[1,]}",
        "{,}",
        "{\"a\":}",
        "{\"a\":1]",
        "{\"a\":12\"x\"}",
        "{\"a\":1[]}",
        "{a:1}",
        "{\"a\",1}",
        "{\"\\q\":1}",          /* a bad escape in a member name */
        "{\"\x01\":1}",          /* a raw control byte in one */
        "{\"\\u00g1\":1}",      /* a \u without four hex digits */
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crto_diag_t d;
        crto_err_t err;
        crto_diag_clear(&d);
        record_reset(0);
        err = split_text(bad[i], strlen(bad[i]), 1, &d);
        if (err != CRTO_ERR_JSON) {
            printf("  accepted or misjudged: '%s' -> %s\n", bad[i], crto_err_name(err));
        }
        CHECK_EQ_INT(err, CRTO_ERR_JSON);
        CHECK_EQ_INT(d.err, CRTO_ERR_JSON);
        CHECK(strstr(d.msg, "truncated") == NULL); /* judged while feeding */
        /* sticky */
        CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)"}", 1), CRTO_ERR_JSON);
    }
}

static void test_data_after_done(void)
{
    crto_diag_t d;

    crto_diag_clear(&d);
    record_reset(0);
    crto_jsplit_init(&g_split, record_element, &g_rec, &d);
    CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)"{\"a\":1}", 7), CRTO_OK);
    CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)" \r\n\t", 4), CRTO_OK);
    CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)"  x", 3), CRTO_ERR_JSON);
    CHECK(strstr(d.msg, "byte 13") != NULL); /* offset in the whole stream */
    CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_ERR_JSON);
    CHECK_EQ_INT(g_rec.calls, 1);
}

static void test_depth_limit(void)
{
    /* The root '{' and the member's '[' count: CRTO_JSON_MAX_DEPTH - 1
     * brackets after the ':' still fit, one more does not. */
    static char js[4 * CRTO_JSON_MAX_DEPTH + 16];
    int extra;

    for (extra = 0; extra <= 1; extra++) {
        int open = CRTO_JSON_MAX_DEPTH - 1 + extra, i;
        size_t n = 0;
        crto_diag_t d;
        n += (size_t)snprintf(js, sizeof js, "{\"a\":");
        for (i = 0; i < open; i++) {
            js[n++] = '[';
        }
        for (i = 0; i < open; i++) {
            js[n++] = ']';
        }
        js[n++] = '}';
        crto_diag_clear(&d);
        record_reset(0);
        if (extra == 0) {
            CHECK_EQ_INT(split_text(js, n, 3, &d), CRTO_OK);
            CHECK_EQ_INT(g_rec.calls, 1);
        } else {
            CHECK_EQ_INT(split_text(js, n, 3, &d), CRTO_ERR_JSON);
            CHECK(strstr(d.msg, "CRTO_JSON_MAX_DEPTH") != NULL);
        }
    }
}

static void test_callback_stops_the_splitter(void)
{
    record_reset(2); /* the second element is refused */
    CHECK_EQ_INT(split_text("{\"d\":[1,2,3]}", 13, 1, NULL), CRTO_ERR_ABORTED);
    CHECK_EQ_INT(g_rec.calls, 2);
    CHECK_EQ_INT(crto_jsplit_feed(&g_split, (const uint8_t *)",", 1), CRTO_ERR_ABORTED);
    CHECK_EQ_INT(crto_jsplit_finish(&g_split), CRTO_ERR_ABORTED);
    CHECK_EQ_INT(g_rec.calls, 2);
}

static void test_elements_parse_with_reader(void)
{
    /* The intended pairing: each element goes straight to crto_jdoc_parse. */
    record_reset(0);
    CHECK_EQ_INT(split_text("{\"expires_in\":900,\"token_type\":\"Bearer\"}", 40, 4, NULL),
                 CRTO_OK);
    CHECK_EQ_STR(g_rec.log, "expires_in=900\ntoken_type=\"Bearer\"\n");
    {
        int64_t v = 0;
        CHECK_EQ_INT(crto_jdoc_parse(&g_doc, "900", 3, NULL), CRTO_OK);
        CHECK_EQ_INT(crto_jdoc_int(&g_doc, 0, &v), CRTO_OK);
        CHECK_EQ_INT(v, 900);
    }
}

int main(void)
{
    RUN(test_1mb_response_in_odd_pieces);
    RUN(test_element_larger_than_window);
    RUN(test_window_boundary);
    RUN(test_large_number_element);
    RUN(test_tricky_strings);
    RUN(test_scalars_and_nested_values);
    RUN(test_errors_and_warnings_arrays);
    RUN(test_whitespace_everywhere);
    RUN(test_empty_object_and_arrays);
    RUN(test_long_names_are_truncated);
    RUN(test_truncated_input);
    RUN(test_malformed_top_level);
    RUN(test_data_after_done);
    RUN(test_depth_limit);
    RUN(test_callback_stops_the_splitter);
    RUN(test_elements_parse_with_reader);
    return crto_test_summary();
}
