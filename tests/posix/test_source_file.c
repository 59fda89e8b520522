/*
 * test_source_file.c - the POSIX file source (crto_file_source_init):
 * identifiers one per line, read ahead a block at a time. Every case is
 * compared with the rules as the header states them, read one character at
 * a time (ref_lines below): blank lines skipped, white space around an
 * identifier trimmed and not counted towards CRTO_IDENTIFIER_MAX, a longer
 * identifier reported as CRTO_ERR_TOO_LARGE with its line, NUL bytes
 * handed over; and tell/seek return to the same line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_posix.h"
#include "crto_test.h"

#define MAX_LINES 4000

typedef struct {
    crto_err_t err;
    uint32_t line;
    size_t len;
    char text[CRTO_IDENTIFIER_MAX];
} got_t;

static got_t g_want[MAX_LINES], g_got[MAX_LINES];
static char g_data[1 << 20];

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The rules, one character at a time. Returns the number of results. */
static size_t ref_lines(const char *d, size_t n, got_t *out)
{
    size_t pos = 0, count = 0;
    uint32_t line = 0;
    while (pos < n) {
        size_t start = pos, end;
        while (pos < n && d[pos] != '\n') {
            pos++;
        }
        end = pos;
        pos++; /* past the newline (or the end) */
        line++;
        while (start < end && is_blank(d[start])) {
            start++;
        }
        while (end > start && is_blank(d[end - 1])) {
            end--;
        }
        if (end == start) {
            continue;
        }
        out[count].line = line;
        if (end - start > CRTO_IDENTIFIER_MAX) {
            out[count].err = CRTO_ERR_TOO_LARGE;
            out[count].len = 0;
        } else {
            out[count].err = CRTO_OK;
            out[count].len = end - start;
            memcpy(out[count].text, d + start, end - start);
        }
        count++;
    }
    return count;
}

static FILE *file_with(const char *d, size_t n)
{
    FILE *f = tmpfile();
    if (f != NULL && (fwrite(d, 1, n, f) != n || fseek(f, 0, SEEK_SET) != 0)) {
        fclose(f);
        f = NULL;
    }
    return f;
}

/* Everything the source gives until its end (or an I/O error). */
static size_t read_all(crto_id_source_t *src, got_t *out, size_t cap)
{
    size_t count = 0;
    while (count < cap) {
        const char *text = NULL;
        size_t len = 0;
        uint32_t line = 0;
        crto_err_t e = src->next(src->arg, &text, &len, &line);
        if (e == CRTO_OK && text == NULL) {
            break;
        }
        out[count].err = e;
        out[count].line = line;
        out[count].len = e == CRTO_OK ? len : 0;
        if (e == CRTO_OK) {
            memcpy(out[count].text, text, len);
        } else if (e != CRTO_ERR_TOO_LARGE) {
            break;
        }
        count++;
    }
    return count;
}

static void compare(const char *d, size_t n)
{
    crto_file_source_t fs;
    crto_id_source_t src;
    FILE *f = file_with(d, n);
    size_t want, got, i, bad = 0;
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    CHECK_EQ_INT(crto_file_source_init(&fs, f, &src), CRTO_OK);
    want = ref_lines(d, n, g_want);
    got = read_all(&src, g_got, MAX_LINES);
    CHECK_EQ_INT(got, want);
    for (i = 0; i < want && i < got; i++) {
        if (g_got[i].err != g_want[i].err || g_got[i].line != g_want[i].line || g_got[i].len != g_want[i].len ||
            memcmp(g_got[i].text, g_want[i].text, g_want[i].len) != 0) {
            if (bad++ == 0) {
                printf("  result %u (line %u): got err %d len %u, want err %d len %u\n", (unsigned)i,
                       (unsigned)g_want[i].line, g_got[i].err, (unsigned)g_got[i].len, g_want[i].err,
                       (unsigned)g_want[i].len);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    fclose(f);
}

static void test_simple_lines_and_blank_lines(void)
{
    static const char d[] = "a@b.c\n\n   \n  Mixed@Example.COM \t\r\n\tx@y.z\nlast@line.no-newline";
    compare(d, sizeof d - 1);
}

/* Lines of every length from 1 to 300 with white space around them, so
 * that lines start and end at every offset of the 4 KiB read-ahead, and
 * some identifiers are one byte too long. */
static void test_lines_across_block_boundaries(void)
{
    size_t n = 0, len;
    unsigned k = 0;
    for (len = 1; len <= 300 && n + 700 < sizeof g_data; len++, k++) {
        size_t i;
        n += (size_t)snprintf(g_data + n, sizeof g_data - n, "%s", k % 3 == 0 ? "  " : (k % 3 == 1 ? "\t" : ""));
        for (i = 0; i < len; i++) {
            g_data[n++] = (char)('a' + (char)((i + k) % 26));
        }
        n += (size_t)snprintf(g_data + n, sizeof g_data - n, "%s\n%s", k % 4 == 0 ? " \t" : "", k % 5 == 0 ? "\n" : "");
    }
    compare(g_data, n);
}

static void test_white_space_past_the_buffer_does_not_count(void)
{
    size_t n = 0, i;
    for (i = 0; i < 5000; i++) { /* leading run longer than a block */
        g_data[n++] = ' ';
    }
    for (i = 0; i < CRTO_IDENTIFIER_MAX; i++) { /* exactly the limit */
        g_data[n++] = 'x';
    }
    for (i = 0; i < 5000; i++) { /* trailing run past the buffer */
        g_data[n++] = i % 2 ? ' ' : '\t';
    }
    g_data[n++] = '\n';
    for (i = 0; i <= CRTO_IDENTIFIER_MAX; i++) { /* one over */
        g_data[n++] = 'y';
    }
    g_data[n++] = '\n';
    memcpy(g_data + n, "ok@after.long\n", 14);
    n += 14;
    compare(g_data, n);
    CHECK_EQ_INT(g_got[0].err, CRTO_OK);
    CHECK_EQ_INT(g_got[0].len, CRTO_IDENTIFIER_MAX);
    CHECK_EQ_INT(g_got[1].err, CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(g_got[1].line, 2);
    CHECK_EQ_INT(g_got[2].line, 3);
}

static void test_nul_bytes_are_handed_over(void)
{
    static const char d[] = "ab\0cd@x.y\n\0\n";
    compare(d, sizeof d - 1);
    CHECK_EQ_INT(g_got[0].len, 9);
    CHECK_EQ_INT(g_got[1].len, 1);
}

/* The sizing pass tells, the sending pass seeks back: the same lines, with
 * the same numbers, must come again, wherever the read-ahead stood. */
static void test_tell_and_seek_return_to_the_same_line(void)
{
    crto_file_source_t fs;
    crto_id_source_t src;
    crto_source_pos_t pos;
    size_t n = 0, i;
    FILE *f;
    got_t first[50], again[50];
    for (i = 0; i < 3000; i++) {
        n += (size_t)snprintf(g_data + n, sizeof g_data - n, "%s user.%u@example.com\n", i % 7 ? "" : "\n",
                              (unsigned)i);
    }
    f = file_with(g_data, n);
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    CHECK_EQ_INT(crto_file_source_init(&fs, f, &src), CRTO_OK);
    for (i = 0; i < 1234; i++) { /* somewhere inside a block */
        const char *text;
        size_t len;
        uint32_t line;
        CHECK_EQ_INT(src.next(src.arg, &text, &len, &line), CRTO_OK);
    }
    CHECK_EQ_INT(src.tell(src.arg, &pos), CRTO_OK);
    CHECK_EQ_INT(read_all(&src, first, 50), 50);
    CHECK_EQ_INT(src.seek(src.arg, &pos), CRTO_OK);
    CHECK_EQ_INT(read_all(&src, again, 50), 50);
    for (i = 0; i < 50; i++) {
        CHECK_EQ_INT(again[i].line, first[i].line);
        CHECK_EQ_INT(again[i].len, first[i].len);
        CHECK(memcmp(again[i].text, first[i].text, first[i].len) == 0);
    }
    CHECK_EQ_INT(first[0].len, strlen("user.1234@example.com"));
    CHECK(memcmp(first[0].text, "user.1234@example.com", first[0].len) == 0);
    fclose(f);
}

/* Starting where the caller left the stream: offsets count from the file's
 * beginning, as ftello does. */
static void test_starts_at_the_streams_position(void)
{
    static const char d[] = "skipped@header\nfirst@x.y\nsecond@x.y\n";
    crto_file_source_t fs;
    crto_id_source_t src;
    crto_source_pos_t pos;
    const char *text;
    size_t len;
    uint32_t line;
    FILE *f = file_with(d, sizeof d - 1);
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    CHECK(fseek(f, 15, SEEK_SET) == 0);
    CHECK_EQ_INT(crto_file_source_init(&fs, f, &src), CRTO_OK);
    CHECK_EQ_INT(src.next(src.arg, &text, &len, &line), CRTO_OK);
    CHECK(len == 9 && memcmp(text, "first@x.y", 9) == 0);
    CHECK_EQ_INT(src.tell(src.arg, &pos), CRTO_OK);
    CHECK_EQ_INT(pos.offset, 25);
    fclose(f);
}

int main(void)
{
    RUN(test_simple_lines_and_blank_lines);
    RUN(test_lines_across_block_boundaries);
    RUN(test_white_space_past_the_buffer_does_not_count);
    RUN(test_nul_bytes_are_handed_over);
    RUN(test_tell_and_seek_return_to_the_same_line);
    RUN(test_starts_at_the_streams_position);
    return crto_test_summary();
}
