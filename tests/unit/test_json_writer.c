/*
 * test_json_writer.c - crto_jw_*: fixed windows, streaming through flush,
 * counting mode, escaping and integers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crto/crto_json.h"
#include "crto_test.h"

/* ------------------------------------------------------------- helpers */

/* A flush target that appends every window to a big buffer, as a socket
 * would receive it, and remembers the size of each window it got. */
typedef struct {
    char data[1 << 20];
    size_t len;
    size_t calls;
    size_t short_calls; /* windows handed over that were not full */
    size_t cap;         /* the writer's window size, to spot short ones */
    size_t fail_at;     /* 1-based call that fails with CRTO_ERR_IO; 0: never */
} sink_t;

static sink_t g_sink;

static void sink_reset(size_t cap, size_t fail_at)
{
    g_sink.len = 0;
    g_sink.calls = 0;
    g_sink.short_calls = 0;
    g_sink.cap = cap;
    g_sink.fail_at = fail_at;
}

static crto_err_t sink_flush(void *arg, const uint8_t *data, size_t len)
{
    sink_t *k = arg;
    k->calls++;
    if (k->fail_at != 0 && k->calls == k->fail_at) {
        return CRTO_ERR_IO;
    }
    if (len != k->cap) {
        k->short_calls++;
    }
    if (len > sizeof k->data - k->len) {
        return CRTO_ERR_TOO_LARGE;
    }
    memcpy(k->data + k->len, data, len);
    k->len += len;
    return CRTO_OK;
}

/* A 64-character lowercase hex string derived from n (like a SHA-256). */
static void hex_id(unsigned n, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    uint32_t x = n * 2654435761u + 12345u;
    int i;
    for (i = 0; i < 64; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = hx[x & 15u];
    }
    out[64] = '\0';
}

/* The body of a contact-list amendment with `count` identifiers, written
 * with the writer API (the code under test). */
static crto_err_t write_amendment(crto_jw_t *w, unsigned count)
{
    unsigned i;
    crto_jw_lit(w, "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":"
                   "{\"operation\":\"add\",\"identifierType\":\"sha256email\",\"identifiers\":[");
    for (i = 0; i < count; i++) {
        char id[65];
        hex_id(i, id);
        if (i > 0) {
            crto_jw_raw(w, ",", 1);
        }
        crto_jw_str(w, id, 64);
    }
    crto_jw_lit(w, "]}}}");
    return crto_jw_finish(w);
}

/* The same body built independently with snprintf, to compare against. */
static size_t expected_amendment(char *out, size_t cap, unsigned count)
{
    size_t n = (size_t)snprintf(out, cap,
                                "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":"
                                "{\"operation\":\"add\",\"identifierType\":\"sha256email\","
                                "\"identifiers\":[");
    unsigned i;
    for (i = 0; i < count; i++) {
        char id[65];
        hex_id(i, id);
        n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", i > 0 ? "," : "", id);
    }
    n += (size_t)snprintf(out + n, cap - n, "]}}}");
    return n;
}

static char g_expected[1 << 20];

/* Write one string into a fixed window and return it NUL-terminated. */
static const char *str_json(const char *s, size_t len, char *out, size_t cap)
{
    crto_jw_t w;
    crto_jw_init(&w, (uint8_t *)out, cap - 1, NULL, NULL);
    if (crto_jw_str(&w, s, len) != CRTO_OK) {
        return "(error)";
    }
    out[w.len] = '\0';
    return out;
}

/* ---------------------------------------------------------------- tests */

static void test_object_into_fixed_window(void)
{
    /* The simplest use: the whole text fits in one buffer, no flush. */
    uint8_t buf[64];
    crto_jw_t w;

    crto_jw_init(&w, buf, sizeof buf, NULL, NULL);
    crto_jw_lit(&w, "{\"grant_type\":");
    crto_jw_str(&w, "client_credentials", 18);
    crto_jw_lit(&w, ",\"n\":");
    crto_jw_int(&w, 42);
    crto_jw_lit(&w, "}");
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_OK);
    {
        static const char want[] = "{\"grant_type\":\"client_credentials\",\"n\":42}";
        CHECK_EQ_INT(w.len, sizeof want - 1);
        CHECK_EQ_INT(w.total, sizeof want - 1);
        CHECK_MEM(buf, want, sizeof want - 1);
    }
}

static void test_streams_body_bigger_than_window(void)
{
    /* 12,000 ids through a 2 KiB window: ~800 KB leave through flush, and
     * the bytes must be exactly the text snprintf builds. */
    uint8_t win[2048];
    crto_jw_t w;
    size_t want = expected_amendment(g_expected, sizeof g_expected, 12000);

    sink_reset(sizeof win, 0);
    crto_jw_init(&w, win, sizeof win, sink_flush, &g_sink);
    CHECK_EQ_INT(write_amendment(&w, 12000), CRTO_OK);
    CHECK_EQ_INT(w.total, want);
    CHECK_EQ_INT(g_sink.len, want);
    CHECK(memcmp(g_sink.data, g_expected, want) == 0);
    CHECK_EQ_INT(w.len, 0);
    /* Every window but the last went out full. */
    CHECK_EQ_INT(g_sink.calls, (want + sizeof win - 1) / sizeof win);
    CHECK_EQ_INT(g_sink.short_calls, want % sizeof win != 0 ? 1 : 0);
}

static void test_tiny_windows_split_escapes(void)
{
    /* Windows of 1..9 bytes cut escape sequences and ids anywhere; the
     * stream must still be byte-identical. */
    static const char text[] = "a\"b\\c\nd\x01" "e\x1f" "f\xc3\xa9";
    char want[64];
    size_t cap;

    str_json(text, sizeof text - 1, want, sizeof want);
    for (cap = 1; cap <= 9; cap++) {
        uint8_t win[9];
        crto_jw_t w;
        sink_reset(cap, 0);
        crto_jw_init(&w, win, cap, sink_flush, &g_sink);
        crto_jw_raw(&w, "[", 1);
        crto_jw_str(&w, text, sizeof text - 1);
        crto_jw_raw(&w, ",", 1);
        crto_jw_int(&w, INT64_MIN);
        crto_jw_raw(&w, "]", 1);
        CHECK_EQ_INT(crto_jw_finish(&w), CRTO_OK);
        g_sink.data[g_sink.len] = '\0';
        {
            char full[128];
            snprintf(full, sizeof full, "[%s,-9223372036854775808]", want);
            CHECK_EQ_STR(g_sink.data, full);
            CHECK_EQ_INT(w.total, strlen(full));
        }
    }
}

static void test_window_exactly_full_is_flushed_by_finish(void)
{
    uint8_t win[8];
    crto_jw_t w;

    sink_reset(sizeof win, 0);
    crto_jw_init(&w, win, sizeof win, sink_flush, &g_sink);
    CHECK_EQ_INT(crto_jw_raw(&w, "12345678", 8), CRTO_OK);
    CHECK_EQ_INT(g_sink.calls, 0); /* lazily: nothing asked for room yet */
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_OK);
    CHECK_EQ_INT(g_sink.calls, 1);
    CHECK_EQ_INT(g_sink.len, 8);
    /* finish with nothing waiting does not call flush again */
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_OK);
    CHECK_EQ_INT(g_sink.calls, 1);
}

static void test_counting_mode_equals_real_bytes(void)
{
    /* Content-Length first, with the very code that writes the body. */
    crto_jw_t count, real;
    uint8_t win[512];
    unsigned n;

    for (n = 0; n < 300; n += 37) {
        size_t want = expected_amendment(g_expected, sizeof g_expected, n);
        crto_jw_init(&count, NULL, 0, NULL, NULL);
        CHECK_EQ_INT(write_amendment(&count, n), CRTO_OK);
        sink_reset(sizeof win, 0);
        crto_jw_init(&real, win, sizeof win, sink_flush, &g_sink);
        CHECK_EQ_INT(write_amendment(&real, n), CRTO_OK);
        CHECK_EQ_INT(count.total, want);
        CHECK_EQ_INT(count.total, g_sink.len);
        CHECK_EQ_INT(count.len, 0);
    }
    /* Escapes and integers are counted at their written size too. */
    crto_jw_init(&count, NULL, 0, NULL, NULL);
    crto_jw_str(&count, "\x01\n\"", 3);
    crto_jw_int(&count, INT64_MIN);
    CHECK_EQ_INT(crto_jw_finish(&count), CRTO_OK);
    CHECK_EQ_INT(count.total, 2 + 6 + 2 + 2 + 20);
}

static void test_escapes_every_control_char(void)
{
    static const char *const want[32] = {
        "\"\\u0000\"", "\"\\u0001\"", "\"\\u0002\"", "\"\\u0003\"", "\"\\u0004\"",
        "\"\\u0005\"", "\"\\u0006\"", "\"\\u0007\"", "\"\\b\"",     "\"\\t\"",
        "\"\\n\"",     "\"\\u000b\"", "\"\\f\"",     "\"\\r\"",     "\"\\u000e\"",
        "\"\\u000f\"", "\"\\u0010\"", "\"\\u0011\"", "\"\\u0012\"", "\"\\u0013\"",
        "\"\\u0014\"", "\"\\u0015\"", "\"\\u0016\"", "\"\\u0017\"", "\"\\u0018\"",
        "\"\\u0019\"", "\"\\u001a\"", "\"\\u001b\"", "\"\\u001c\"", "\"\\u001d\"",
        "\"\\u001e\"", "\"\\u001f\"",
    };
    char out[32];
    int c;

    for (c = 0; c < 32; c++) {
        char in = (char)c;
        CHECK_EQ_STR(str_json(&in, 1, out, sizeof out), want[c]);
        CHECK_EQ_INT(crto_json_str_len(&in, 1), strlen(want[c]));
    }
    CHECK_EQ_STR(str_json("\"", 1, out, sizeof out), "\"\\\"\"");
    CHECK_EQ_STR(str_json("\\", 1, out, sizeof out), "\"\\\\\"");
    /* '/' needs no escape and gets none. */
    CHECK_EQ_STR(str_json("a/b", 3, out, sizeof out), "\"a/b\"");
}

static void test_high_bytes_and_del_pass_through(void)
{
    /* 0x7F and UTF-8 (é, €, 😀) go out as they came. */
    static const char in[] = "\x7f" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80";
    char out[32];

    CHECK_EQ_STR(str_json(in, sizeof in - 1, out, sizeof out),
                 "\"\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    CHECK_EQ_INT(crto_json_str_len(in, sizeof in - 1), sizeof in - 1 + 2);
}

static void test_str_len_matches_writer(void)
{
    char in[256];
    char out[2048];
    size_t i;

    for (i = 0; i < sizeof in; i++) {
        in[i] = (char)(unsigned char)i;
    }
    str_json(in, sizeof in, out, sizeof out);
    CHECK_EQ_INT(crto_json_str_len(in, sizeof in), strlen(out));
    /* 27 long escapes, 5 short ones, '"' and '\\', the rest plain, quotes. */
    CHECK_EQ_INT(crto_json_str_len(in, sizeof in), 27 * 6 + 7 * 2 + (256 - 34) + 2);
    CHECK_EQ_INT(crto_json_str_len("", 0), 2);
    CHECK_EQ_STR(str_json("", 0, out, sizeof out), "\"\"");
    /* A NUL inside the string is data, not the end. */
    CHECK_EQ_STR(str_json("a\0b", 3, out, sizeof out), "\"a\\u0000b\"");
}

static void test_int_edges(void)
{
    static const struct {
        int64_t v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-1, "-1"},
        {10, "10"},
        {-10, "-10"},
        {568708742535471104, "568708742535471104"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
        {INT64_MIN + 1, "-9223372036854775807"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        crto_jw_t w;
        crto_jw_init(&w, (uint8_t *)buf, sizeof buf - 1, NULL, NULL);
        CHECK_EQ_INT(crto_jw_int(&w, cases[i].v), CRTO_OK);
        buf[w.len] = '\0';
        CHECK_EQ_STR(buf, cases[i].text);
    }
}

static void test_fixed_window_overflow_is_sticky(void)
{
    uint8_t buf[8];
    crto_jw_t w;

    crto_jw_init(&w, buf, sizeof buf, NULL, NULL);
    CHECK_EQ_INT(crto_jw_raw(&w, "[1,2,3]", 7), CRTO_OK);
    CHECK_EQ_INT(crto_jw_raw(&w, " ", 1), CRTO_OK); /* exactly full still fits */
    CHECK_EQ_INT(crto_jw_raw(&w, "x", 1), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(w.len, 8);
    /* Sticky: even a write that would fit nothing more is refused. */
    CHECK_EQ_INT(crto_jw_raw(&w, "", 0), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(crto_jw_int(&w, 1), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(w.total, 8);
}

static void test_flush_error_is_sticky(void)
{
    uint8_t win[16];
    crto_jw_t w;
    unsigned i;
    crto_err_t last = CRTO_OK;

    sink_reset(sizeof win, 2); /* the second flush fails */
    crto_jw_init(&w, win, sizeof win, sink_flush, &g_sink);
    for (i = 0; i < 20; i++) {
        last = crto_jw_str(&w, "0123456789", 10);
    }
    CHECK_EQ_INT(last, CRTO_ERR_IO);
    CHECK_EQ_INT(w.err, CRTO_ERR_IO);
    CHECK_EQ_INT(g_sink.calls, 2); /* no more flushes after the failure */
    CHECK_EQ_INT(g_sink.len, 16);
    CHECK_EQ_INT(crto_jw_lit(&w, "x"), CRTO_ERR_IO);
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_ERR_IO);
    CHECK_EQ_INT(g_sink.calls, 2);
}

static void test_bad_arguments(void)
{
    uint8_t buf[4];
    crto_jw_t w;

    /* A flush without a window cannot make progress. */
    crto_jw_init(&w, NULL, 16, sink_flush, &g_sink);
    CHECK_EQ_INT(crto_jw_raw(&w, "x", 1), CRTO_ERR_ARG);
    /* Neither can a window of nothing. */
    crto_jw_init(&w, buf, 0, sink_flush, &g_sink);
    CHECK_EQ_INT(crto_jw_finish(&w), CRTO_ERR_ARG);
    crto_jw_init(&w, buf, sizeof buf, NULL, NULL);
    CHECK_EQ_INT(crto_jw_lit(&w, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_jw_raw(NULL, "x", 1), CRTO_ERR_ARG);
    /* Zero bytes from a NULL pointer are fine. */
    crto_jw_init(&w, buf, sizeof buf, NULL, NULL);
    CHECK_EQ_INT(crto_jw_raw(&w, NULL, 0), CRTO_OK);
    CHECK_EQ_INT(crto_jw_str(&w, NULL, 0), CRTO_OK);
    CHECK_EQ_INT(w.len, 2);
}

static void test_many_ids_through_small_window(void)
{
    /* The hot path at full size: 50,000 ids (Criteo's per-request limit),
     * counted then streamed through a 2 KiB window. */
    uint8_t win[2048];
    crto_jw_t count, real;

    crto_jw_init(&count, NULL, 0, NULL, NULL);
    CHECK_EQ_INT(write_amendment(&count, 50000), CRTO_OK);
    CHECK(count.total > 50000u * 66u);
    /* The sink holds 1 MiB; drop the data, keep the byte count. */
    sink_reset(sizeof win, 0);
    crto_jw_init(&real, win, sizeof win, sink_flush, &g_sink);
    {
        unsigned i;
        size_t sent = 0;
        for (i = 0; i < 50000; i++) {
            char id[65];
            hex_id(i, id);
            crto_jw_str(&real, id, 64);
            if (g_sink.len > sizeof g_sink.data / 2) {
                sent += g_sink.len;
                g_sink.len = 0;
            }
        }
        CHECK_EQ_INT(crto_jw_finish(&real), CRTO_OK);
        sent += g_sink.len;
        CHECK_EQ_INT(sent, 50000u * 66u);
        CHECK_EQ_INT(real.total, sent);
    }
}

int main(void)
{
    RUN(test_object_into_fixed_window);
    RUN(test_streams_body_bigger_than_window);
    RUN(test_tiny_windows_split_escapes);
    RUN(test_window_exactly_full_is_flushed_by_finish);
    RUN(test_counting_mode_equals_real_bytes);
    RUN(test_escapes_every_control_char);
    RUN(test_high_bytes_and_del_pass_through);
    RUN(test_str_len_matches_writer);
    RUN(test_int_edges);
    RUN(test_fixed_window_overflow_is_sticky);
    RUN(test_flush_error_is_sticky);
    RUN(test_bad_arguments);
    RUN(test_many_ids_through_small_window);
    return crto_test_summary();
}
