/*
 * contact_list.c - the streamed add/remove upload, for both products.
 *
 * A chunk is read twice from the source: the sizing pass validates each
 * identifier (cheap, no hashing) and finds where the chunk ends and how
 * many bytes it takes; the sending pass hashes and streams the very same
 * identifiers. A resend (after 429/5xx/401) repeats the sending pass only.
 */
#include <stdio.h>
#include <string.h>

#include "client_internal.h"
#include "crto/crto_contact_list.h"

#define PROGRESS_EVERY 4096u

typedef struct {
    crto_client_t *c;
    const crto_upload_t *job;
    crto_upload_summary_t *sum;
    crto_source_pos_t start;
    crto_source_pos_t end;
    uint32_t n; /* identifiers in the chunk       */
    uint32_t chunk_size;
    uint64_t ids_len; /* JSON bytes of the identifiers  */
    crto_chunk_result_t res;
} chunk_ctx_t;

crto_upload_t crto_upload_default(void)
{
    crto_upload_t job;
    memset(&job, 0, sizeof job);
    job.product = CRTO_PRODUCT_MS;
    job.op = CRTO_OP_ADD;
    job.type = CRTO_ID_EMAIL;
    job.gum_caller_id = -1;
    return job;
}

static bool hashing(const crto_upload_t *job)
{
    return !job->no_hash && crto_id_type_hashed(job->type);
}

static void write_prefix(crto_jw_t *w, const crto_upload_t *job)
{
    bool ms = job->product == CRTO_PRODUCT_MS;
    (void)crto_jw_lit(w, ms ? "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":{\"operation\":\""
                            : "{\"data\":{\"type\":\"AddRemoveContactlist\",\"attributes\":{\"operation\":\"");
    (void)crto_jw_lit(w, job->op == CRTO_OP_ADD ? "add" : "remove");
    (void)crto_jw_lit(w, "\",\"identifierType\":\"");
    (void)crto_jw_lit(w, crto_id_type_name(job->product, job->type));
    (void)crto_jw_lit(w, "\",");
    if (ms && job->type == CRTO_ID_GUM) {
        (void)crto_jw_lit(w, "\"gumCallerId\":");
        (void)crto_jw_int(w, job->gum_caller_id);
        (void)crto_jw_lit(w, ",");
    }
    (void)crto_jw_lit(w, "\"identifiers\":[");
}

static const char k_suffix[] = "]}}}";

/* The sizing pass: validate identifiers from ctx->start until the chunk is
 * full or the source ends; report each rejected line once. */
static crto_err_t size_chunk(chunk_ctx_t *ctx)
{
    const crto_upload_t *job = ctx->job;
    crto_diag_t why;
    crto_err_t e;

    ctx->n = 0;
    ctx->ids_len = 0;
    crto_diag_clear(&why);
    e = job->source.seek(job->source.arg, &ctx->start);
    while (e == CRTO_OK && ctx->n < ctx->chunk_size) {
        const char *text = NULL;
        size_t len = 0, json_len = 0;
        uint32_t line = 0;
        e = job->source.next(job->source.arg, &text, &len, &line);
        if (why.err != CRTO_OK) {
            crto_diag_clear(&why); /* only after a rejection: a memset per line costs more than the JSON */
        }
        if (e == CRTO_ERR_TOO_LARGE) {
            /* a line the source could not hold: reject it, read on */
            (void)crto_diag_set(&why, CRTO_ERR_IDENTIFIER, "identifier is longer than %u bytes",
                                (unsigned)CRTO_IDENTIFIER_MAX);
            e = CRTO_OK;
            why.line = line;
            ctx->sum->rejected++;
            if (job->on_reject != NULL) {
                job->on_reject(job->cb_arg, line, &why);
            }
            continue;
        }
        if (e != CRTO_OK || text == NULL) {
            break;
        }
        if (crto_identifier_check_with(job->rules, job->type, text, len, hashing(job), &json_len, &why) != CRTO_OK) {
            why.line = line;
            ctx->sum->rejected++;
            if (job->on_reject != NULL) {
                job->on_reject(job->cb_arg, line, &why);
            }
            continue;
        }
        ctx->n++;
        ctx->ids_len += json_len;
    }
    if (e != CRTO_OK) {
        return crto_diag_set(&ctx->c->diag, e, "reading the identifiers failed");
    }
    return job->source.tell(job->source.arg, &ctx->end);
}

/* Before each attempt: forget what a failed attempt's answer half-said. */
static void reset_answer(crto_chunk_result_t *res)
{
    res->contact_list_id = res->nb_valid = res->nb_invalid = -1;
    res->n_samples = res->n_errors = res->n_warnings = 0;
    res->first_problem[0] = '\0';
}

/* The sending pass, also run in counting mode to give the Content-Length. */
static crto_err_t produce_body(void *arg, crto_jw_t *w)
{
    chunk_ctx_t *ctx = arg;
    const crto_upload_t *job = ctx->job;
    char item[CRTO_IDENTIFIER_MAX + 8];
    uint32_t i = 0;
    crto_err_t e;

    write_prefix(w, job);
    if (w->buf == NULL && w->flush == NULL) {
        /* the sizing pass already measured the identifiers */
        w->total += (size_t)(ctx->ids_len + (ctx->n > 0 ? ctx->n - 1u : 0u));
        return crto_jw_lit(w, k_suffix);
    }
    e = job->source.seek(job->source.arg, &ctx->start);
    while (e == CRTO_OK && i < ctx->n && w->err == CRTO_OK) {
        const char *text = NULL;
        size_t len = 0, out_len = 0;
        uint32_t line = 0;
        e = job->source.next(job->source.arg, &text, &len, &line);
        if (e == CRTO_ERR_TOO_LARGE) {
            e = CRTO_OK; /* a line too long to hold, rejected in the sizing pass */
            continue;
        }
        if (e != CRTO_OK) {
            break;
        }
        if (text == NULL) {
            return crto_diag_set(&ctx->c->diag, CRTO_ERR_IO, "the identifier source changed while it was uploaded");
        }
        /* item = ',' '"' identifier '"' when it needs no escaping: one
         * write per identifier, the comma included */
        if (crto_identifier_normalise_with(job->rules, job->type, text, len, hashing(job), item + 2, sizeof item - 3,
                                           &out_len, NULL) != CRTO_OK) {
            continue; /* rejected in the sizing pass already */
        }
        if (out_len == CRTO_SHA256_HEX_LEN && hashing(job)) {
            item[0] = ',';
            item[1] = '"';
            item[2 + out_len] = '"';
            (void)crto_jw_raw(w, i > 0 ? item : item + 1, i > 0 ? out_len + 3 : out_len + 2);
        } else {
            if (i > 0) {
                (void)crto_jw_raw(w, ",", 1);
            }
            (void)crto_jw_str(w, item + 2, out_len);
        }
        i++;
        if (job->on_progress != NULL && i % PROGRESS_EVERY == 0) {
            job->on_progress(job->cb_arg, ctx->sum->sent + i);
        }
    }
    if (e != CRTO_OK) {
        return crto_diag_set(&ctx->c->diag, e, "reading the identifiers failed");
    }
    return crto_jw_lit(w, k_suffix);
}

static void on_attempt(void *arg)
{
    reset_answer(&((chunk_ctx_t *)arg)->res);
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

static void read_int(crto_jdoc_t *doc, int obj, const char *key, int64_t *out)
{
    int t = crto_jdoc_member(doc, obj, key);
    if (t != CRTO_JSON_NONE && crto_jdoc_int(doc, t, out) != CRTO_OK) {
        *out = -1;
    }
}

/* {"data":{"type":..,"attributes":{counts}}} (MS, and RM as its guide
 * shows it) or {"data":{counts}} (RM as its spec has it): accept both. */
static crto_err_t on_response(void *arg, const char *key, size_t key_len, int32_t index, const char *json, size_t len)
{
    chunk_ctx_t *ctx = arg;
    crto_chunk_result_t *res = &ctx->res;
    crto_jdoc_t *doc = &ctx->c->doc;
    crto_err_t e;

    if (key_is(key, key_len, "errors") || key_is(key, key_len, "warnings")) {
        if (index < 0) {
            return CRTO_OK; /* null or a non-array: no problems */
        }
        if (key[0] == 'e') {
            res->n_errors++;
        } else {
            res->n_warnings++;
        }
        if (res->first_problem[0] == '\0' && crto_jdoc_parse(doc, json, len, NULL) == CRTO_OK) {
            int t = crto_jdoc_member(doc, 0, "code");
            if (t == CRTO_JSON_NONE ||
                crto_jdoc_str(doc, t, res->first_problem, sizeof res->first_problem, NULL, NULL) != CRTO_OK) {
                res->first_problem[0] = '\0';
            }
        }
        return CRTO_OK;
    }
    if (!key_is(key, key_len, "data") || index >= 0) {
        return CRTO_OK;
    }
    e = crto_jdoc_parse(doc, json, len, &ctx->c->diag);
    if (e != CRTO_OK) {
        return e;
    }
    if (crto_jdoc_type(doc, 0) == CRTO_JTYPE_OBJECT) {
        int obj = crto_jdoc_member(doc, 0, "attributes");
        int samples;
        if (obj == CRTO_JSON_NONE || crto_jdoc_type(doc, obj) != CRTO_JTYPE_OBJECT) {
            obj = 0;
        }
        read_int(doc, obj, "contactListId", &res->contact_list_id);
        read_int(doc, obj, "nbValidIdentifiers", &res->nb_valid);
        read_int(doc, obj, "nbInvalidIdentifiers", &res->nb_invalid);
        samples = crto_jdoc_member(doc, obj, "sampleInvalidIdentifiers");
        if (samples != CRTO_JSON_NONE && crto_jdoc_type(doc, samples) == CRTO_JTYPE_ARRAY) {
            int i, count = crto_jdoc_count(doc, samples);
            for (i = 0; i < count && res->n_samples < CRTO_SAMPLE_INVALID_MAX; i++) {
                char *out = res->samples[res->n_samples];
                size_t cap = sizeof res->samples[0];
                int t = crto_jdoc_index(doc, samples, i);
                size_t tlen = 0;
                const char *txt = crto_jdoc_text(doc, t, &tlen);
                /* a sample is for a person to read: keep its start if long */
                if (txt != NULL && crto_jdoc_type(doc, t) == CRTO_JTYPE_STRING) {
                    size_t n = tlen < cap - 1 ? tlen : cap - 1;
                    memcpy(out, txt, n);
                    out[n] = '\0';
                    res->n_samples++;
                }
            }
        }
    }
    return CRTO_OK;
}

static crto_err_t check_job(crto_client_t *c, const crto_upload_t *job, uint32_t *chunk_size)
{
    if (job->segment_id == NULL || !crto_id_is_valid(job->segment_id, strlen(job->segment_id))) {
        return crto_diag_set(&c->diag, CRTO_ERR_INVALID_ID, "segment id \"%.24s\" is not 1-20 decimal digits",
                             job->segment_id != NULL ? job->segment_id : "");
    }
    if (crto_id_type_name(job->product, job->type) == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "identifier type not available in %s",
                             job->product == CRTO_PRODUCT_MS ? "Marketing Solutions" : "Retail Media");
    }
    if (job->product == CRTO_PRODUCT_MS && job->type == CRTO_ID_GUM && job->gum_caller_id < 0) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "identifier type gum needs a gum caller id");
    }
    if (!(job->product == CRTO_PRODUCT_MS && job->type == CRTO_ID_GUM) && job->gum_caller_id >= 0) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "a gum caller id goes only with Marketing Solutions type gum");
    }
    if (job->op != CRTO_OP_ADD && job->op != CRTO_OP_REMOVE) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "operation must be add or remove");
    }
    *chunk_size = job->chunk_size == 0 ? CRTO_CHUNK_MAX : job->chunk_size;
    if (*chunk_size > CRTO_CHUNK_MAX) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "chunk size %u is over Criteo's limit of %u",
                             (unsigned)*chunk_size, (unsigned)CRTO_CHUNK_MAX);
    }
    if (job->source.next == NULL || job->source.tell == NULL || job->source.seek == NULL) {
        return crto_diag_set(&c->diag, CRTO_ERR_ARG, "the identifier source needs next, tell and seek");
    }
    return CRTO_OK;
}

crto_err_t crto_contact_list_upload(crto_client_t *c, const crto_upload_t *job, crto_upload_summary_t *summary)
{
    crto_upload_summary_t local = { 0 };
    crto_upload_summary_t *sum = summary != NULL ? summary : &local;
    char path[CRTO_PATH_MAX + 96];
    char rest[96];
    chunk_ctx_t ctx;
    crto_request_t req;
    crto_result_t result;
    crto_err_t e;

    memset(sum, 0, sizeof *sum);
    memset(&ctx, 0, sizeof ctx);
    crto_diag_clear(&c->diag);
    e = check_job(c, job, &ctx.chunk_size);
    if (e != CRTO_OK) {
        return e;
    }
    (void)snprintf(rest, sizeof rest,
                   job->product == CRTO_PRODUCT_MS ? "/marketing-solutions/audience-segments/%s/contact-list"
                                                   : "/retail-media/audience-segments/%s/contact-list/add-remove",
                   job->segment_id);
    if (crto_client_path(c, path, sizeof path, rest) != CRTO_OK) {
        return crto_diag_set(&c->diag, CRTO_ERR_TOO_LARGE, "request path too long");
    }
    ctx.c = c;
    ctx.job = job;
    ctx.sum = sum;
    e = job->source.tell(job->source.arg, &ctx.start);
    if (e != CRTO_OK) {
        return crto_diag_set(&c->diag, e, "the identifier source cannot tell its position");
    }
    memset(&req, 0, sizeof req);
    req.method = job->product == CRTO_PRODUCT_MS ? "PATCH" : "POST";
    req.path = path;
    req.content_type = "application/json";
    req.body = produce_body;
    req.body_arg = &ctx;
    req.on_element = on_response;
    req.element_arg = &ctx;
    req.idempotent = true; /* adding or removing the same ids twice changes nothing */
    req.on_attempt = on_attempt;

    for (;;) {
        e = size_chunk(&ctx);
        if (e != CRTO_OK) {
            return e;
        }
        if (ctx.n == 0) {
            return CRTO_OK; /* the end (or nothing valid): no request at all */
        }
        sum->accepted += ctx.n;
        memset(&ctx.res, 0, sizeof ctx.res);
        ctx.res.index = sum->chunks;
        ctx.res.identifiers = ctx.n;
        reset_answer(&ctx.res);
        e = crto_client_call(c, &req, &result);
        ctx.res.attempts = result.attempts;
        if (e != CRTO_OK) {
            return e;
        }
        sum->chunks++;
        sum->sent += ctx.n;
        sum->nb_valid += ctx.res.nb_valid > 0 ? (uint64_t)ctx.res.nb_valid : 0u;
        sum->nb_invalid += ctx.res.nb_invalid > 0 ? (uint64_t)ctx.res.nb_invalid : 0u;
        sum->problems += ctx.res.n_errors + ctx.res.n_warnings;
        crto_log(c, CRTO_LOG_INFO, "chunk %u: %u identifiers sent, %lld valid, %lld invalid", (unsigned)ctx.res.index,
                 (unsigned)ctx.n, (long long)ctx.res.nb_valid, (long long)ctx.res.nb_invalid);
        if (job->on_chunk != NULL) {
            job->on_chunk(job->cb_arg, &ctx.res);
        }
        if (job->on_progress != NULL) {
            job->on_progress(job->cb_arg, sum->sent);
        }
        if (ctx.n < ctx.chunk_size) {
            return CRTO_OK; /* the sizing pass met the end of the source */
        }
        ctx.start = ctx.end;
    }
}

/* ------------------------------------------------------ the buffer source */

static crto_err_t lines_next(void *arg, const char **text, size_t *len, uint32_t *line)
{
    crto_lines_source_t *s = arg;
    while (s->pos < s->len) {
        const char *p = s->text + s->pos;
        const char *nl = memchr(p, '\n', s->len - s->pos);
        size_t n = nl != NULL ? (size_t)(nl - p) : s->len - s->pos;
        size_t i;
        bool blank = true;
        s->pos += n + (nl != NULL ? 1u : 0u);
        s->line++;
        for (i = 0; i < n && blank; i++) {
            blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
        }
        if (!blank) {
            *text = p;
            *len = n;
            *line = s->line;
            return CRTO_OK;
        }
    }
    *text = NULL;
    *len = 0;
    return CRTO_OK;
}

static crto_err_t lines_tell(void *arg, crto_source_pos_t *pos)
{
    const crto_lines_source_t *s = arg;
    pos->offset = s->pos;
    pos->line = s->line;
    return CRTO_OK;
}

static crto_err_t lines_seek(void *arg, const crto_source_pos_t *pos)
{
    crto_lines_source_t *s = arg;
    if (pos->offset > s->len) {
        return CRTO_ERR_ARG;
    }
    s->pos = (size_t)pos->offset;
    s->line = pos->line;
    return CRTO_OK;
}

void crto_lines_source_init(crto_lines_source_t *lines, const char *text, size_t len, crto_id_source_t *src)
{
    lines->text = text;
    lines->len = len;
    lines->pos = 0;
    lines->line = 0;
    src->arg = lines;
    src->next = lines_next;
    src->tell = lines_tell;
    src->seek = lines_seek;
}
