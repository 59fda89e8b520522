/*
 * itest_examples.c - every example response in Criteo's OpenAPI files for
 * the audience operations parses with crto's own response path: the
 * streaming splitter cuts each element out within CRTO_JSON_WINDOW, jsmn
 * parses it within CRTO_JSON_TOKENS, and entities, problems and counts are
 * read from it.
 *
 * usage: itest_examples FILE...   (files written by tests/conformance/validate.py --examples)
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crto/crto.h"

static crto_jsplit_t split;
static crto_jdoc_t doc;
static crto_diag_t diag;
static char file_text[1 << 20];
static unsigned elements;

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

static crto_err_t on_element(void *arg, const char *key, size_t key_len, int32_t index, const char *json, size_t len)
{
    crto_err_t e;
    (void)arg;
    elements++;
    e = crto_jdoc_parse(&doc, json, len, &diag);
    if (e != CRTO_OK) {
        return e;
    }
    if (key_is(key, key_len, "data") && crto_jdoc_type(&doc, 0) == CRTO_JTYPE_OBJECT) {
        /* read it both ways: whichever it is, nothing may fail or overrun */
        crto_segment_t s;
        crto_audience_t a;
        crto_segment_from_json(&doc, &s);
        crto_audience_from_json(&doc, &a);
        (void)crto_api_int(&doc, crto_api_attributes(&doc), "size");
        (void)crto_api_int(&doc, crto_api_attributes(&doc), "nbValidIdentifiers");
        (void)crto_api_int(&doc, crto_api_attributes(&doc), "contactListId");
    } else if ((key_is(key, key_len, "errors") || key_is(key, key_len, "warnings")) && index >= 0 &&
               crto_jdoc_type(&doc, 0) != CRTO_JTYPE_OBJECT) {
        return crto_diag_set(&diag, CRTO_ERR_JSON, "a problem is not an object");
    }
    return CRTO_OK;
}

static bool parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    crto_err_t e;
    if (f == NULL) {
        printf("  cannot open %s\n", path);
        return false;
    }
    n = fread(file_text, 1, sizeof file_text, f);
    fclose(f);
    crto_diag_clear(&diag);
    elements = 0;
    crto_jsplit_init(&split, on_element, NULL, &diag);
    e = crto_jsplit_feed(&split, (const uint8_t *)file_text, n);
    if (e == CRTO_OK) {
        e = crto_jsplit_finish(&split);
    }
    if (e != CRTO_OK) {
        printf("  %s: %s: %s\n", path, crto_err_name(e), diag.msg);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    int i;
    unsigned passed = 0, failed = 0;
    for (i = 1; i < argc; i++) {
        if (parse_file(argv[i])) {
            printf("ok - %s (%u elements)\n", argv[i], elements);
            passed++;
        } else {
            printf("not ok - %s\n", argv[i]);
            failed++;
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed != 0 || argc < 2 ? 1 : 0;
}
