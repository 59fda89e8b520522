/*
 * test_algebra.c - audience algebra trees in a fixed array: checked before
 * any traffic, written as the API's JSON, parsed back from it.
 */
#include <string.h>

#include "api.h"
#include "crto/crto.h"
#include "crto_test.h"

static crto_jdoc_t doc;
static crto_diag_t diag;

static size_t write_tree(const crto_algebra_node_t *nodes, uint16_t n, char *out, size_t cap)
{
    crto_jw_t w;
    crto_jw_init(&w, (uint8_t *)out, cap - 1, NULL, NULL);
    crto_algebra_write(&w, nodes, n);
    out[w.len] = '\0';
    return w.len;
}

static void test_and_not_tree_is_written_as_the_api_wants(void)
{
    crto_algebra_node_t n[4] = {
        {CRTO_ALG_AND, 1, -1, ""},
        {CRTO_ALG_SEGMENT, -1, 2, "1"},
        {CRTO_ALG_NOT, 3, -1, ""},
        {CRTO_ALG_SEGMENT, -1, -1, "2"},
    };
    char out[256];
    CHECK_EQ_INT(crto_algebra_check(n, 4, &diag), CRTO_OK);
    write_tree(n, 4, out, sizeof out);
    CHECK_EQ_STR(out, "{\"and\":[{\"audienceSegmentId\":\"1\"},{\"not\":{\"audienceSegmentId\":\"2\"}}]}");
}

static void test_parse_then_write_round_trips(void)
{
    static const char text[] =
        "{\"or\":[{\"and\":[{\"audienceSegmentId\":\"11\"},{\"audienceSegmentId\":\"12\"}]},"
        "{\"not\":{\"audienceSegmentId\":\"920472839472539402\"}}]}";
    crto_algebra_node_t nodes[16];
    uint16_t n = 0;
    char out[512];
    CHECK_EQ_INT(crto_algebra_parse(text, strlen(text), nodes, 16, &n, &doc, &diag), CRTO_OK);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(crto_algebra_check(nodes, n, &diag), CRTO_OK);
    write_tree(nodes, n, out, sizeof out);
    CHECK_EQ_STR(out, text);
}

static void test_bad_shapes_are_named(void)
{
    static const char *const bad[] = {
        "{\"and\":[]}",                                           /* empty list      */
        "{\"not\":[{\"audienceSegmentId\":\"1\"}]}",                /* not takes a node */
        "{\"audienceSegmentId\":1}",                                /* id as a number  */
        "{\"audienceSegmentId\":\"12a\"}",                          /* not digits      */
        "{\"and\":[{\"audienceSegmentId\":\"1\"}],\"or\":[]}",     /* two operators   */
        "{\"xor\":[{\"audienceSegmentId\":\"1\"}]}",               /* unknown op      */
        "[]",
    };
    crto_algebra_node_t nodes[8];
    uint16_t n;
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crto_diag_clear(&diag);
        CHECK(crto_algebra_parse(bad[i], strlen(bad[i]), nodes, 8, &n, &doc, &diag) != CRTO_OK);
        CHECK(diag.msg[0] != '\0');
    }
}

static void test_too_many_nodes_says_how_many(void)
{
    static const char text[] = "{\"or\":[{\"audienceSegmentId\":\"1\"},{\"audienceSegmentId\":\"2\"},"
                                "{\"audienceSegmentId\":\"3\"}]}";
    crto_algebra_node_t nodes[3];
    uint16_t n;
    CHECK_EQ_INT(crto_algebra_parse(text, strlen(text), nodes, 3, &n, &doc, &diag), CRTO_ERR_TOO_LARGE);
    CHECK_EQ_INT(diag.need, 4);
}

/* A chain of `nots` "not" nodes over one leaf: the leaf sits at depth nots+1. */
static uint16_t chain(crto_algebra_node_t *nodes, int nots)
{
    int i;
    for (i = 0; i < nots; i++) {
        nodes[i].op = CRTO_ALG_NOT;
        nodes[i].child = (int16_t)(i + 1);
        nodes[i].next = -1;
        nodes[i].segment_id[0] = '\0';
    }
    nodes[i].op = CRTO_ALG_SEGMENT;
    nodes[i].child = nodes[i].next = -1;
    memcpy(nodes[i].segment_id, "7", 2);
    return (uint16_t)(nots + 1);
}

static void test_depth_is_bounded(void)
{
    crto_algebra_node_t nodes[CRTO_ALGEBRA_MAX_DEPTH + 1];
    CHECK_EQ_INT(crto_algebra_check(nodes, chain(nodes, CRTO_ALGEBRA_MAX_DEPTH - 1), &diag), CRTO_OK);
    CHECK_EQ_INT(crto_algebra_check(nodes, chain(nodes, CRTO_ALGEBRA_MAX_DEPTH), &diag), CRTO_ERR_ARG);
    CHECK(strstr(diag.msg, "CRTO_ALGEBRA_MAX_DEPTH") != NULL);
}

static void test_cycles_and_orphans_are_refused(void)
{
    crto_algebra_node_t loop[2] = {{CRTO_ALG_NOT, 1, -1, ""}, {CRTO_ALG_NOT, 0, -1, ""}};
    crto_algebra_node_t orphan[3] = {{CRTO_ALG_NOT, 1, -1, ""}, {CRTO_ALG_SEGMENT, -1, -1, "1"},
                                     {CRTO_ALG_SEGMENT, -1, -1, "2"}};
    crto_algebra_node_t leafkid[2] = {{CRTO_ALG_SEGMENT, 1, -1, "1"}, {CRTO_ALG_SEGMENT, -1, -1, "2"}};
    crto_algebra_node_t twonot[3] = {{CRTO_ALG_NOT, 1, -1, ""}, {CRTO_ALG_SEGMENT, -1, 2, "1"},
                                     {CRTO_ALG_SEGMENT, -1, -1, "2"}};
    CHECK_EQ_INT(crto_algebra_check(loop, 2, &diag), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_algebra_check(orphan, 3, &diag), CRTO_ERR_ARG);
    CHECK(strstr(diag.msg, "not reachable") != NULL);
    CHECK_EQ_INT(crto_algebra_check(leafkid, 2, &diag), CRTO_ERR_ARG);
    CHECK_EQ_INT(crto_algebra_check(twonot, 3, &diag), CRTO_ERR_ARG);
    CHECK(strstr(diag.msg, "exactly one child") != NULL);
    CHECK_EQ_INT(crto_algebra_check(NULL, 0, &diag), CRTO_ERR_ARG);
}

int main(void)
{
    RUN(test_and_not_tree_is_written_as_the_api_wants);
    RUN(test_parse_then_write_round_trips);
    RUN(test_bad_shapes_are_named);
    RUN(test_too_many_nodes_says_how_many);
    RUN(test_depth_is_bounded);
    RUN(test_cycles_and_orphans_are_refused);
    return crto_test_summary();
}
