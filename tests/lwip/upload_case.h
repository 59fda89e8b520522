/*
 * upload_case.h - the contact-list upload both lwIP client tests run (one
 * over the raw port, one over the sockets port), against the in-process
 * responder of http_responder.h: e-mails with mixed case and stray white
 * space, the SHA-256 of each normalised one expected in order on the
 * server side. Header-only, included once per test program.
 */
#ifndef CRTO_LWIP_UPLOAD_CASE_H
#define CRTO_LWIP_UPLOAD_CASE_H

#include <stdio.h>
#include <string.h>

#include "crto/crto.h"
#include "crto_test.h"
#include "http_responder.h"

#define UC_EMAILS 2500u
#define UC_CHUNK 1000u

static char uc_text[UC_EMAILS * 64];
static char uc_expected[UC_EMAILS][CRTO_SHA256_HEX_LEN + 1];
static lt_http_id_t uc_received[UC_EMAILS + 16];

/* UC_EMAILS lines like "  LW.17.ann@Shop-17.Example\t"; uc_expected[i]
 * is sha256 of the trimmed, lower-cased line i. */
static size_t uc_make_emails(void)
{
    static const char *const names[] = {"ann", "bob", "cecil"};
    static const char *const pads[] = {"", "", " ", "\t", "  "};
    size_t len = 0;
    unsigned i;
    for (i = 0; i < UC_EMAILS; i++) {
        char clean[64], mixed[64];
        size_t j, n;
        n = (size_t)snprintf(clean, sizeof clean, "lw.%u.%s@shop-%u.example", i, names[i % 3], i % 89);
        for (j = 0; j <= n; j++) {
            mixed[j] = (char)((i + j) % 4 == 0 ? (clean[j] >= 'a' && clean[j] <= 'z' ? clean[j] - 32 : clean[j])
                                               : clean[j]);
        }
        len += (size_t)snprintf(uc_text + len, sizeof uc_text - len, "%s%s%s\n", pads[i % 5], mixed,
                                pads[(i / 5) % 5]);
        crto_sha256_hex((const uint8_t *)clean, n, uc_expected[i]);
    }
    return len;
}

/* Upload every e-mail in chunks of UC_CHUNK to segment 4242 and check
 * both ends: the client's summary and statistics, the responder's view. */
static void uc_upload_and_compare(crto_client_t *client, lt_http_t *http)
{
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    crto_lines_source_t lines;
    size_t len = uc_make_emails(), i, mismatches = 0;
    crto_err_t e;

    memset(&sum, 0, sizeof sum);
    job.segment_id = "4242";
    job.chunk_size = UC_CHUNK;
    crto_lines_source_init(&lines, uc_text, len, &job.source);
    e = crto_contact_list_upload(client, &job, &sum);
    if (e != CRTO_OK) {
        printf("  upload: %s\n", client->diag.msg);
    }
    CHECK_EQ_INT(e, CRTO_OK);
    CHECK_EQ_INT(sum.accepted, UC_EMAILS);
    CHECK_EQ_INT(sum.rejected, 0);
    CHECK_EQ_INT(sum.sent, UC_EMAILS);
    CHECK_EQ_INT(sum.nb_valid, UC_EMAILS);
    CHECK_EQ_INT(sum.chunks, (UC_EMAILS + UC_CHUNK - 1) / UC_CHUNK);
    /* one token, one PATCH per chunk, all on one kept-alive connection */
    CHECK_EQ_INT(client->stats.token_requests, 1);
    CHECK_EQ_INT(client->stats.requests, 1 + (UC_EMAILS + UC_CHUNK - 1) / UC_CHUNK);
    CHECK_EQ_INT(client->stats.connections, 1);
    CHECK_EQ_INT(http->token_requests, 1);
    CHECK_EQ_INT(http->patches, (UC_EMAILS + UC_CHUNK - 1) / UC_CHUNK);
    CHECK_EQ_INT(http->bad_requests, 0);
    CHECK_EQ_STR(http->last_op, "add");
    CHECK_EQ_STR(http->last_type, "email");
    /* the very hashes, in order */
    CHECK_EQ_INT(http->n_ids, UC_EMAILS);
    CHECK(!http->ids_overflow);
    for (i = 0; i < UC_EMAILS && i < http->n_ids; i++) {
        if (strcmp(http->ids[i], uc_expected[i]) != 0) {
            if (mismatches++ == 0) {
                printf("  identifier %u: got %s, want %s\n", (unsigned)i, http->ids[i], uc_expected[i]);
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
}

/* A removal of three e-mails with one bad line between them, on the same
 * connection: the bad line is reported and skipped, the rest arrive. */
static void uc_remove_with_a_rejected_line(crto_client_t *client, lt_http_t *http)
{
    static const char text[] = "Ann@Example.com\nbad\001line@example.com\n  bob@example.org \ncecil@example.net\n";
    static const char *const clean[] = {"ann@example.com", "bob@example.org", "cecil@example.net"};
    crto_upload_t job = crto_upload_default();
    crto_upload_summary_t sum;
    crto_lines_source_t lines;
    size_t before = http->n_ids, i;
    unsigned patches = http->patches;

    memset(&sum, 0, sizeof sum);
    job.segment_id = "4242";
    job.op = CRTO_OP_REMOVE;
    crto_lines_source_init(&lines, text, sizeof text - 1, &job.source);
    CHECK_EQ_INT(crto_contact_list_upload(client, &job, &sum), CRTO_OK);
    CHECK_EQ_INT(sum.rejected, 1);
    CHECK_EQ_INT(sum.sent, 3);
    CHECK_EQ_INT(http->patches, patches + 1);
    CHECK_EQ_STR(http->last_op, "remove");
    CHECK_EQ_INT(http->n_ids, before + 3);
    for (i = 0; i < 3 && before + i < http->n_ids; i++) {
        char want[CRTO_SHA256_HEX_LEN + 1];
        crto_sha256_hex((const uint8_t *)clean[i], strlen(clean[i]), want);
        CHECK_EQ_STR(http->ids[before + i], want);
    }
    CHECK_EQ_INT(client->stats.connections, 1);
}

#endif /* CRTO_LWIP_UPLOAD_CASE_H */
