/*
 * test_contact_list.c - the streamed contact-list upload over the in-memory
 * port: exact bodies, chunking, rejected lines, both products' envelopes and
 * both shapes of their answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_port_mem.h"
#include "crto_test.h"

#define TOKEN_OK                                                                                                  \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 61\r\n\r\n"                            \
    "{\"access_token\":\"tok\",\"token_type\":\"Bearer\",\"expires_in\":900}"
#define MS_BODY(valid, invalid)                                                                                   \
    "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"contactListId\":568708742535471104,"         \
    "\"operation\":\"add\",\"nbValidIdentifiers\":" #valid ",\"nbInvalidIdentifiers\":" #invalid                 \
    ",\"sampleInvalidIdentifiers\":[\"zz\"]}},\"errors\":[],\"warnings\":[{\"type\":\"deprecation\","            \
    "\"code\":\"deprecated-field\",\"instance\":\"@data/0\",\"detail\":\"x\"}]}"
#define MS_OK(valid, invalid) ok_response(MS_BODY(valid, invalid))

/* A 200 JSON answer with its exact Content-Length, kept alive for the
 * duration of the test (the in-memory port borrows it). */
static const char *ok_response(const char *body)
{
    static char pool[8][1024];
    static unsigned next;
    char *buf = pool[next++ % 8];
    (void)snprintf(buf, sizeof pool[0],
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   strlen(body), body);
    return buf;
}

static crto_mem_t mem;
static crto_port_t port;
static crto_client_t client;
static uint8_t sent[1 << 16];

typedef struct {
    uint32_t lines[16];
    unsigned n;
    crto_chunk_result_t chunks[8];
    unsigned n_chunks;
} seen_t;

static seen_t seen;

static void on_reject(void *arg, uint32_t line, const crto_diag_t *why)
{
    seen_t *s = arg;
    (void)why;
    if (s->n < 16) {
        s->lines[s->n++] = line;
    }
}

static void on_chunk(void *arg, const crto_chunk_result_t *r)
{
    seen_t *s = arg;
    if (s->n_chunks < 8) {
        s->chunks[s->n_chunks++] = *r;
    }
}

/* One more answer on the current connection. */
static void then(const char *response)
{
    crto_mem_then(&mem, response, strlen(response));
}

static void setup(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    memset(sent, 0, sizeof sent);
    memset(&seen, 0, sizeof seen);
    crto_mem_init(&mem, &port, sent, sizeof sent - 1); /* keep a NUL for strstr */
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.client_id = "id";
    cfg.client_secret = "secret";
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
}

static crto_upload_t job_over(crto_lines_source_t *lines, const char *text)
{
    crto_upload_t job = crto_upload_default();
    job.segment_id = "12345";
    crto_lines_source_init(lines, text, strlen(text), &job.source);
    job.on_reject = on_reject;
    job.on_chunk = on_chunk;
    job.cb_arg = &seen;
    return job;
}

/* The body of the n-th request (0-based) in the capture, and its length
 * from the Content-Length header. */
static const char *body_of(int n, long *len)
{
    const char *p = (const char *)sent;
    int i;
    for (i = 0;; i++) {
        const char *m = strstr(p, "PATCH /");
        const char *q = strstr(p, "POST /2026");
        p = m == NULL ? q : (q == NULL || m < q ? m : q);
        if (p == NULL) {
            return NULL;
        }
        if (i == n) {
            break;
        }
        p++;
    }
    *len = strtol(strstr(p, "Content-Length: ") + 16, NULL, 10);
    return strstr(p, "\r\n\r\n") + 4;
}

static void test_emails_are_hashed_and_chunked(void)
{
    static const char expected0[] =
        "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"add\",\"identifierType\":"
        "\"email\",\"identifiers\":[\"973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b\","
        "\"973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b\"]}}}";
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    const char *body;
    long len = 0;

    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(2, 0));
    then(MS_OK(2, 0));
    then(MS_OK(1, 0));
    job = job_over(&lines, "test@example.com\n  TEST@Example.com \r\n\n a@b.c\nd@e.f\r\ng@h.i");
    job.chunk_size = 2;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.chunks, 3);
    CHECK_EQ_INT(sum.sent, 5);
    CHECK_EQ_INT(sum.accepted, 5);
    CHECK_EQ_INT(sum.rejected, 0);
    CHECK_EQ_INT(sum.nb_valid, 5);
    CHECK_EQ_INT(sum.problems, 3); /* one deprecation warning per chunk */
    CHECK_EQ_INT(mem.connects, 1);
    body = body_of(0, &len);
    CHECK(body != NULL);
    if (body != NULL) {
        CHECK_EQ_INT(len, (long)strlen(expected0));
        CHECK(strncmp(body, expected0, strlen(expected0)) == 0);
    }
    CHECK(strstr((char *)sent, "PATCH /2026-07/marketing-solutions/audience-segments/12345/contact-list HTTP/1.1") !=
          NULL);
    /* and the answer was read, both counts and the int64 id exactly */
    CHECK_EQ_INT(seen.n_chunks, 3);
    CHECK_EQ_INT(seen.chunks[0].identifiers, 2);
    CHECK_EQ_INT(seen.chunks[2].identifiers, 1);
    CHECK_EQ_INT(seen.chunks[0].contact_list_id, 568708742535471104LL);
    CHECK_EQ_INT(seen.chunks[0].n_warnings, 1);
    CHECK_EQ_STR(seen.chunks[0].first_problem, "deprecated-field");
    CHECK_EQ_INT(seen.chunks[0].n_samples, 1);
    CHECK_EQ_STR(seen.chunks[0].samples[0], "zz");
    crto_client_deinit(&client);
}

static void test_body_size_matches_the_reference_formula(void)
{
    /* REFERENCE.md section 9: 67 n - 1 + 115 bytes for "add" */
    static char text[1000 * 24];
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    size_t pos = 0;
    long len = 0;
    int i;

    for (i = 0; i < 1000; i++) {
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "user%d@shop.example\n", i);
    }
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(1000, 0));
    job = job_over(&lines, text);
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK(body_of(0, &len) != NULL); /* a PATCH request was sent */
    if (body_of(0, &len) != NULL) {
        const char *head = strstr((char *)sent, "PATCH");
        size_t head_len = (size_t)(strstr(head, "\r\n\r\n") + 4 - head);
        CHECK_EQ_INT(len, 67 * 1000 - 1 + 115);
        /* what went out after the token request is exactly head + body */
        CHECK_EQ_INT(mem.tx_total - (size_t)(head - (char *)sent), head_len + (size_t)len);
    }
    crto_client_deinit(&client);
}

static void test_bad_lines_are_named_and_skipped(void)
{
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(2, 0));
    job = job_over(&lines, "ok@x.io\nno-at-sign\na\001b@x.io\n\xff@x.io\n   \nfine@y.io\n");
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.accepted, 2);
    CHECK_EQ_INT(sum.rejected, 3);
    CHECK_EQ_INT(seen.n, 3);
    CHECK_EQ_INT(seen.lines[0], 2);
    CHECK_EQ_INT(seen.lines[1], 3);
    CHECK_EQ_INT(seen.lines[2], 4);
    crto_client_deinit(&client);
}

static void test_nothing_valid_means_no_traffic(void)
{
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    setup();
    job = job_over(&lines, "nope\n\n\x01@x\n");
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.rejected, 2);
    CHECK_EQ_INT(sum.chunks, 0);
    CHECK_EQ_INT(mem.connects, 0);
    CHECK_EQ_INT(client.stats.requests, 0);
    crto_client_deinit(&client);
}

static void test_invalid_segment_id_fails_before_the_network(void)
{
    static const char *const bad[] = {"", "abc", "12a", "123456789012345678901", "-1", " 1"};
    crto_lines_source_t lines;
    crto_upload_t job;
    size_t i;
    setup();
    job = job_over(&lines, "a@b.c\n");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        job.segment_id = bad[i];
        CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_ERR_INVALID_ID);
        CHECK(strstr(client.diag.msg, "segment id") != NULL);
    }
    job.segment_id = "12345678901234567890"; /* 20 digits is fine */
    job.chunk_size = CRTO_CHUNK_MAX + 1;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_ERR_ARG);
    job.chunk_size = 0;
    job.type = CRTO_ID_GUM; /* gum needs its caller id */
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_ERR_ARG);
    job.type = CRTO_ID_CUSTOMER_ID; /* a Retail Media type */
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_ERR_ARG);
    CHECK_EQ_INT(mem.connects, 0);
    crto_client_deinit(&client);
}

static void test_gum_carries_its_caller_id(void)
{
    crto_lines_source_t lines;
    crto_upload_t job;
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(1, 0));
    job = job_over(&lines, "gum-1234\n");
    job.type = CRTO_ID_GUM;
    job.gum_caller_id = 42;
    job.op = CRTO_OP_REMOVE;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_OK);
    CHECK(strstr((char *)sent, "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\"remove\","
                               "\"identifierType\":\"gum\",\"gumCallerId\":42,\"identifiers\":[\"gum-1234\"]}}}") !=
          NULL);
    crto_client_deinit(&client);
}

static void test_no_hash_sends_normalised_text_escaped(void)
{
    crto_lines_source_t lines;
    crto_upload_t job;
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(1, 0));
    job = job_over(&lines, "  Jo\"e@Example.COM \n");
    job.no_hash = true;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, NULL), CRTO_OK);
    CHECK(strstr((char *)sent, "\"identifiers\":[\"jo\\\"e@example.com\"]}}}") != NULL);
    crto_client_deinit(&client);
}

static void test_retail_media_envelope_and_flat_answer(void)
{
    const char *rm_ok = ok_response(
        "{\"type\":\"AddRemoveContactlistResult\",\"data\":{\"contactListId\":9007199254740993,\"operation\":\"add\","
        "\"nbValidIdentifiers\":1,\"nbInvalidIdentifiers\":0},\"errors\":[],\"warnings\":[]}");
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(rm_ok);
    job = job_over(&lines, "shopper@example.com\n");
    job.product = CRTO_PRODUCT_RM;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK(strstr((char *)sent, "POST /2026-07/retail-media/audience-segments/12345/contact-list/add-remove HTTP/1.1") !=
          NULL);
    CHECK(strstr((char *)sent, "{\"data\":{\"type\":\"AddRemoveContactlist\",\"attributes\":{\"operation\":\"add\","
                               "\"identifierType\":\"Email\",\"identifiers\":[\"") != NULL);
    CHECK_EQ_INT(seen.chunks[0].contact_list_id, 9007199254740993LL); /* > 2^53: no double on the way */
    CHECK_EQ_INT(sum.nb_valid, 1);
    crto_client_deinit(&client);
}

static void test_failure_reports_chunks_already_delivered(void)
{
    static const char bad[] = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 63\r\n\r\n"
                              "{\"errors\":[{\"code\":\"audience-invalid\",\"type\":\"validation\"}]}   ";
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    setup();
    crto_mem_add(&mem, TOKEN_OK, sizeof TOKEN_OK - 1);
    then(MS_OK(1, 0));
    then(bad);
    job = job_over(&lines, "a@b.c\nd@e.f\n");
    job.chunk_size = 1;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_ERR_NOT_FOUND);
    CHECK_EQ_INT(sum.chunks, 1);
    CHECK_EQ_INT(sum.sent, 1);
    CHECK(strstr(client.diag.msg, "audience-invalid") != NULL);
    crto_client_deinit(&client);
}

/* Everything the client logs at its most verbose, one line after another. */
static char log_text[8192];
static size_t log_len;
static unsigned log_lines;

static void capture_log(void *ctx, crto_log_level_t level, const char *line)
{
    int n;
    (void)ctx;
    n = snprintf(log_text + log_len, sizeof log_text - log_len, "%d %s\n", (int)level, line);
    if (n > 0 && (size_t)n < sizeof log_text - log_len) {
        log_len += (size_t)n;
    }
    log_lines++;
}

static void test_debug_log_holds_no_secret_token_or_identifier(void)
{
    /* sha256("test@example.com"), as sent in the body */
    static const char hash[] = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
    crto_client_config_t cfg = crto_client_config_default();
    crto_lines_source_t lines;
    crto_upload_summary_t sum;
    crto_upload_t job;
    const char *token;

    memset(sent, 0, sizeof sent);
    memset(&seen, 0, sizeof seen);
    log_len = 0;
    log_lines = 0;
    log_text[0] = '\0';
    crto_mem_init(&mem, &port, sent, sizeof sent - 1);
    port.log = capture_log;
    cfg.base_url = "http://127.0.0.1:9000";
    cfg.client_id = "kiosk-7";
    cfg.client_secret = "s3cr3t-Value";
    cfg.log_level = CRTO_LOG_DEBUG;
    CHECK_EQ_INT(crto_client_init(&client, &port, &cfg), CRTO_OK);
    token = ok_response("{\"access_token\":\"tOkEn-Z9q\",\"token_type\":\"Bearer\",\"expires_in\":900}");
    crto_mem_add(&mem, token, strlen(token));
    then("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"); /* a retry is logged too */
    then(MS_OK(2, 0));
    then(MS_OK(1, 1));
    job = job_over(&lines, "Test@Example.com\n+33 6 12 34 56 78\nnot-an-email\nzed@example.org\nAnn@Example.net");
    job.chunk_size = 2;
    CHECK_EQ_INT(crto_contact_list_upload(&client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.chunks, 2);
    /* the upload did happen with the hash in the body, and the log said things */
    CHECK(strstr((char *)sent, hash) != NULL);
    CHECK(strstr((char *)sent, "Authorization: Bearer tOkEn-Z9q\r\n") != NULL);
    CHECK(log_lines >= 4);
    CHECK(strstr(log_text, "retry") != NULL);
    /* and none of it is a secret or a person */
    CHECK(strstr(log_text, "s3cr3t-Value") == NULL);
    CHECK(strstr(log_text, "tOkEn-Z9q") == NULL);
    CHECK(strstr(log_text, "Bearer") == NULL);
    CHECK(strstr(log_text, "Authorization") == NULL);
    CHECK(strstr(log_text, "xample") == NULL);  /* no e-mail, either case */
    CHECK(strstr(log_text, "12 34") == NULL);   /* no phone */
    CHECK(strstr(log_text, "not-an-email") == NULL); /* a rejected line is not echoed */
    CHECK(strstr(log_text, "973dfe46") == NULL);     /* nor its hash */
    crto_client_deinit(&client);
}

int main(void)
{
    RUN(test_emails_are_hashed_and_chunked);
    RUN(test_body_size_matches_the_reference_formula);
    RUN(test_bad_lines_are_named_and_skipped);
    RUN(test_nothing_valid_means_no_traffic);
    RUN(test_invalid_segment_id_fails_before_the_network);
    RUN(test_gum_carries_its_caller_id);
    RUN(test_no_hash_sends_normalised_text_escaped);
    RUN(test_retail_media_envelope_and_flat_answer);
    RUN(test_failure_reports_chunks_already_delivered);
    RUN(test_debug_log_holds_no_secret_token_or_identifier);
    return crto_test_summary();
}
