/*
 * crto_bulk.h - what every Audience API call shares: Criteo's problems,
 * one outcome per request item of a bulk call (partial success), and the
 * paging state of a search.
 *
 * Criteo answers bulk create/update/delete with HTTP 200 even when some
 * items failed; the failures are problems in "errors" or "warnings" whose
 * "instance" is "@data/N" (N = the request item). crto scans both arrays
 * and fills the caller's outcome array: an item fails on any problem bound
 * to it, except a warning of type "deprecation" (informational).
 */
#ifndef CRTO_BULK_H
#define CRTO_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crto_config.h"
#include "crto_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Entity ids are decimal strings of at most 20 digits (int64 values). */
#define CRTO_ID_MAX 20

/* One problem as Criteo reported it. Unknown codes and types are kept as
 * text; a field longer than its buffer is cut (at a UTF-8 boundary). */
typedef struct {
    char type[24];     /* validation, authorization, availability, quota, deprecation... */
    char code[64];     /* e.g. segment-not-found                                */
    char instance[48]; /* e.g. @data/2                                          */
    char title[96];
    char detail[160];
    char trace_id[40];
    int32_t item; /* request item from "@data/N", -1 when bound to none    */
    bool warning; /* it came from "warnings" (else "errors")               */
} crto_problem_t;

/* The outcome of one request item. */
typedef struct {
    bool ok;
    char id[CRTO_ID_MAX + 1]; /* the entity's id (for create: the new id), or "" */
    int64_t size;             /* compute-sizes: the size, else -1                  */
    char code[64];            /* the first failing problem's code when !ok         */
    uint16_t problems;        /* problems bound to this item                       */
} crto_outcome_t;

/* Outcomes of one bulk call. The caller owns `items` (n_items long, one per
 * request item, in request order); crto fills it. */
typedef struct {
    crto_outcome_t *items;
    uint32_t n_items;
    /* optional: every problem, as it is read (item-bound or not) */
    void (*on_problem)(void *arg, const crto_problem_t *problem);
    void *arg;
    /* filled by crto: */
    uint32_t ok;       /* items that succeeded                    */
    uint32_t failed;   /* items that failed                       */
    uint32_t errors;   /* problems in "errors"                    */
    uint32_t warnings; /* problems in "warnings"                  */
    uint32_t general;  /* problems bound to no item               */
    crto_problem_t first_general;
} crto_bulk_t;

/* Start outcomes over the caller's items[n] (which may be NULL when n is 0). */
void crto_bulk_init(crto_bulk_t *bulk, crto_outcome_t *items, uint32_t n);

/* Paging of a search: crto walks offset/limit until meta.totalItems. */
typedef struct {
    uint32_t limit;     /* page size; 0 = the product's maximum (MS 100, RM 500) */
    uint64_t offset;    /* where to start                                        */
    uint64_t max_items; /* stop after this many (0 = all)                        */
    /* filled by crto: */
    uint64_t total_items; /* meta.totalItems of the last page                      */
    uint32_t pages;       /* requests made                                         */
    uint64_t visited;     /* entities handed to the callback                       */
} crto_page_t;

/* Copy a string, cutting it at a UTF-8 boundary to fit cap (with its NUL).
 * Returns true when it had to cut. */
bool crto_copy_text(char *out, size_t cap, const char *in, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CRTO_BULK_H */
