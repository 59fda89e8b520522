/*
 * journal.c - the store-and-forward log (see crto_journal.h).
 *
 * Why a log with ACK records instead of deleting items in place: appends
 * are the only writes, so a power cut can only ever tear the last record,
 * and recovery is "keep every complete record, cut the rest".
 */
#include <string.h>

#include "crto/crto_journal.h"

#define MAGIC 0xC7u
#define KIND_ITEM 1u
#define KIND_ACK 2u
#define HEAD 4u /* magic, kind, length (u16) */
#define TAIL 4u /* CRC-32 */
#define FORM_DIGEST 0u
#define FORM_TEXT 1u
#define PAYLOAD_MAX (8u + CRTO_ID_MAX + 4u + 1u + CRTO_JOURNAL_TEXT_MAX)
#define RECORD_MAX (HEAD + PAYLOAD_MAX + TAIL)

/* ---------------------------------------------------------------- CRC */

uint32_t crto_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    /* bitwise: small in flash, and a record is a few dozen bytes */
    size_t i;
    int k;
    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (get16(p + 2) << 16);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

/* ------------------------------------------------------------ records */

typedef struct {
    uint8_t kind;
    crto_product_t product;
    crto_op_t op;
    crto_id_type_t type;
    char segment[CRTO_ID_MAX + 1];
    /* ITEM */
    uint8_t form;
    uint32_t time;
    uint8_t data[CRTO_JOURNAL_TEXT_MAX];
    size_t data_len;
    /* ACK */
    uint32_t count;
    uint64_t through;
} record_t;

/* Read len bytes at off through the window. Returns bytes got. */
static size_t jread(crto_journal_t *j, uint64_t off, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = off + done;
        if (at < j->win_off || at >= j->win_off + j->win_len) {
            size_t got = 0;
            if (j->st.read(j->st.ctx, at, j->win, sizeof j->win, &got) != CRTO_OK || got == 0) {
                j->win_len = 0;
                break;
            }
            j->win_off = at;
            j->win_len = got;
        }
        {
            size_t in = (size_t)(j->win_off + j->win_len - at);
            size_t n = len - done < in ? len - done : in;
            memcpy(buf + done, j->win + (at - j->win_off), n);
            done += n;
        }
    }
    return done;
}

static bool key_ok(uint8_t product, uint8_t op, uint8_t type)
{
    return product <= CRTO_PRODUCT_RM && op <= CRTO_OP_REMOVE && type < CRTO_ID__COUNT;
}

/* Parse the record at off; false when it is torn or corrupt. */
static bool read_record(crto_journal_t *j, uint64_t off, record_t *r, uint64_t *next)
{
    uint8_t buf[RECORD_MAX];
    size_t plen, seg_len, k;
    const uint8_t *p;

    if (jread(j, off, buf, HEAD) != HEAD || buf[0] != MAGIC) {
        return false;
    }
    plen = get16(buf + 2);
    if (plen > PAYLOAD_MAX || plen < 5 || (buf[1] != KIND_ITEM && buf[1] != KIND_ACK)) {
        return false;
    }
    if (jread(j, off + HEAD, buf + HEAD, plen + TAIL) != plen + TAIL ||
        crto_crc32(0, buf + 1, HEAD - 1 + plen) != get32(buf + HEAD + plen)) {
        return false;
    }
    memset(r, 0, sizeof *r);
    r->kind = buf[1];
    p = buf + HEAD;
    if (!key_ok(p[0], p[1], p[2])) {
        return false;
    }
    r->product = (crto_product_t)p[0];
    r->op = (crto_op_t)p[1];
    r->type = (crto_id_type_t)p[2];
    seg_len = p[3];
    /* A segment id crto_journal_add would refuse can only be garbage that
     * happens to pass the CRC: a group of it could never be flushed. */
    if (seg_len == 0 || seg_len > CRTO_ID_MAX || 4 + seg_len > plen ||
        !crto_id_is_valid((const char *)p + 4, seg_len)) {
        return false;
    }
    memcpy(r->segment, p + 4, seg_len);
    k = 4 + seg_len;
    if (r->kind == KIND_ITEM) {
        if (k + 6 > plen) {
            return false;
        }
        r->form = p[k];
        r->time = get32(p + k + 1);
        r->data_len = p[k + 5];
        k += 6;
        if (k + r->data_len != plen || r->data_len > sizeof r->data || (r->form == FORM_DIGEST && r->data_len != 32) ||
            r->form > FORM_TEXT) {
            return false;
        }
        memcpy(r->data, p + k, r->data_len);
    } else {
        if (k + 12 != plen) {
            return false;
        }
        r->count = get32(p + k);
        r->through = get64(p + k + 4);
        if (r->through > off) {
            return false; /* an ACK only covers items before it: this one is corrupt */
        }
    }
    *next = off + HEAD + plen + TAIL;
    return true;
}

static size_t encode(uint8_t *buf, const record_t *r)
{
    size_t seg_len = strlen(r->segment), k;
    uint8_t *p = buf + HEAD;
    p[0] = (uint8_t)r->product;
    p[1] = (uint8_t)r->op;
    p[2] = (uint8_t)r->type;
    p[3] = (uint8_t)seg_len;
    memcpy(p + 4, r->segment, seg_len);
    k = 4 + seg_len;
    if (r->kind == KIND_ITEM) {
        p[k] = r->form;
        put32(p + k + 1, r->time);
        p[k + 5] = (uint8_t)r->data_len;
        memcpy(p + k + 6, r->data, r->data_len);
        k += 6 + r->data_len;
    } else {
        put32(p + k, r->count);
        put64(p + k + 4, r->through);
        k += 12;
    }
    buf[0] = MAGIC;
    buf[1] = r->kind;
    put16(buf + 2, (uint32_t)k);
    put32(buf + HEAD + k, crto_crc32(0, buf + 1, HEAD - 1 + k));
    return HEAD + k + TAIL;
}

/* ------------------------------------------------------------ groups */

static crto_journal_group_t *group_of(crto_journal_t *j, const record_t *r, bool create)
{
    uint32_t i;
    for (i = 0; i < j->n_groups; i++) {
        crto_journal_group_t *g = &j->groups[i];
        if (g->product == r->product && g->op == r->op && g->type == r->type &&
            strcmp(g->segment_id, r->segment) == 0) {
            return g;
        }
    }
    if (!create || j->n_groups >= CRTO_JOURNAL_GROUPS) {
        return NULL;
    }
    {
        crto_journal_group_t *g = &j->groups[j->n_groups++];
        memset(g, 0, sizeof *g);
        g->product = r->product;
        g->op = r->op;
        g->type = r->type;
        memcpy(g->segment_id, r->segment, sizeof g->segment_id);
        return g;
    }
}

static void reset_state(crto_journal_t *j)
{
    j->end = 0;
    j->n_groups = 0;
    j->win_len = 0;
    memset(j->groups, 0, sizeof j->groups);
}

/* The record at or after off that reads back whole: a flipped bit inside
 * the log costs that one record, not every record after it. */
static bool next_valid(crto_journal_t *j, uint64_t off, uint64_t size, record_t *r, uint64_t *at, uint64_t *next)
{
    for (; off < size; off++) {
        uint8_t m;
        if (jread(j, off, &m, 1) == 1 && m == MAGIC && read_record(j, off, r, next)) {
            *at = off;
            return true;
        }
    }
    return false;
}

/* The record at off, or when that one is corrupt the next whole one before
 * end (as recovery skipped it); false when none is left. */
static bool read_whole(crto_journal_t *j, uint64_t *off, uint64_t end, record_t *r, uint64_t *next)
{
    uint64_t at;
    if (read_record(j, *off, r, next)) {
        return true;
    }
    if (!next_valid(j, *off + 1, end, r, &at, next)) {
        return false;
    }
    *off = at;
    return true;
}

/* Two passes over the log: group accounting, then acknowledgement by
 * position and the oldest pending time. A group's acked count is its items
 * before its last ACK's "through", not the ACKs' counts: a count that does
 * not match the log must never make a pending item look delivered. */
static crto_err_t scan(crto_journal_t *j, uint64_t size, uint64_t *records, bool *bad)
{
    uint64_t off = 0, next = 0, at = 0;
    uint64_t acked[CRTO_JOURNAL_GROUPS], acked_end[CRTO_JOURNAL_GROUPS];
    record_t r;
    int pass;
    uint32_t i;
    *bad = false;
    memset(acked, 0, sizeof acked);
    memset(acked_end, 0, sizeof acked_end);
    for (pass = 0; pass < 2; pass++) {
        off = 0;
        *records = 0;
        j->corrupt_bytes = 0;
        while (off < size) {
            if (!read_record(j, off, &r, &next)) {
                if (!next_valid(j, off + 1, size, &r, &at, &next)) {
                    break; /* nothing whole after it: a torn tail */
                }
                j->corrupt_bytes += at - off;
                off = at;
            }
            {
                crto_journal_group_t *g = group_of(j, &r, pass == 0);
                if (g == NULL) {
                    return crto_diag_set(&j->diag, CRTO_ERR_TOO_LARGE, "journal holds more than %u groups",
                                         (unsigned)CRTO_JOURNAL_GROUPS);
                }
                if (pass == 0 && r.kind == KIND_ITEM) {
                    g->items++;
                } else if (pass == 0) {
                    g->acked += r.count;
                    g->acked_through = r.through;
                } else if (r.kind == KIND_ITEM && off < g->acked_through) {
                    acked[g - j->groups]++;
                    acked_end[g - j->groups] = next;
                } else if (r.kind == KIND_ITEM && g->oldest_time == 0) {
                    g->oldest_time = r.time != 0 ? r.time : 1;
                }
            }
            (*records)++;
            off = next;
        }
    }
    for (i = 0; i < j->n_groups; i++) {
        /* and the flush resumes right after the last of them, on a record
         * boundary of this walk (a "through" inside a record would let a
         * resumed read fall out of step with it) */
        j->groups[i].acked = acked[i];
        j->groups[i].acked_through = acked_end[i];
    }
    *bad = off < size;
    j->end = off;
    return CRTO_OK;
}

crto_err_t crto_journal_open(crto_journal_t *j, const crto_storage_t *storage)
{
    uint64_t size = 0, records = 0;
    bool torn;
    crto_err_t e;

    memset(j, 0, sizeof *j);
    if (storage == NULL || storage->read == NULL || storage->append == NULL || storage->sync == NULL ||
        storage->truncate == NULL || storage->size == NULL) {
        return crto_diag_set(&j->diag, CRTO_ERR_CONFIG, "journal storage lacks a function");
    }
    j->st = *storage;
    e = j->st.size(j->st.ctx, &size);
    if (e == CRTO_OK) {
        e = scan(j, size, &records, &torn);
    }
    if (e != CRTO_OK) {
        return e;
    }
    if (torn) {
        /* a power cut tore the last append: keep every complete record */
        j->torn_bytes = size - j->end;
        e = j->st.truncate(j->st.ctx, j->end);
        if (e == CRTO_OK) {
            e = j->st.sync(j->st.ctx);
        }
        j->win_len = 0;
    }
    return e == CRTO_OK ? CRTO_OK : crto_diag_set(&j->diag, e, "journal storage failed during recovery");
}

static crto_err_t append(crto_journal_t *j, const record_t *r, uint64_t room)
{
    uint8_t buf[RECORD_MAX];
    size_t n = encode(buf, r);
    crto_err_t e;
    if (j->end + n > room) {
        j->diag.need = (size_t)(j->end + n);
        return crto_diag_set(&j->diag, CRTO_ERR_TOO_LARGE, "journal full (%llu of %llu bytes used)",
                             (unsigned long long)j->end, (unsigned long long)j->st.capacity);
    }
    e = j->st.append(j->st.ctx, j->end, buf, n);
    if (e != CRTO_OK) {
        /* whatever part landed is a torn tail that the next open cuts */
        return crto_diag_set(&j->diag, e, "journal write failed");
    }
    j->end += n;
    j->win_len = 0;
    return CRTO_OK;
}

static bool hex_digit(char c, uint8_t *v)
{
    if (c >= '0' && c <= '9') {
        *v = (uint8_t)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
        *v = (uint8_t)(c - 'a' + 10);
    } else {
        return false;
    }
    return true;
}

crto_err_t crto_journal_add(crto_journal_t *j, crto_product_t product, const char *segment_id, crto_op_t op,
                            crto_id_type_t type, const char *text, size_t len, uint32_t now)
{
    char norm[CRTO_IDENTIFIER_MAX + 1];
    size_t nlen = 0, i;
    record_t r;
    crto_journal_group_t *g;
    crto_err_t e;

    crto_diag_clear(&j->diag);
    if (segment_id == NULL || !crto_id_is_valid(segment_id, strlen(segment_id))) {
        return crto_diag_set(&j->diag, CRTO_ERR_INVALID_ID, "segment id \"%.24s\" is not 1-20 decimal digits",
                             segment_id != NULL ? segment_id : "");
    }
    if (crto_id_type_name(product, type) == NULL || (unsigned)op > (unsigned)CRTO_OP_REMOVE) {
        return crto_diag_set(&j->diag, CRTO_ERR_ARG, "identifier type or operation not available in this product");
    }
    if (product == CRTO_PRODUCT_MS && type == CRTO_ID_GUM) {
        /* a gum upload needs its caller id, which an ITEM does not carry */
        return crto_diag_set(
            &j->diag, CRTO_ERR_ARG,
            "gum identifiers cannot be queued (no gum caller id in the journal): upload them directly");
    }
    /* always hashed here: the journal never holds an e-mail or phone number in clear */
    e = crto_identifier_normalise_with(&j->rules, type, text, len, true, norm, sizeof norm, &nlen, &j->diag);
    if (e != CRTO_OK) {
        return e;
    }
    memset(&r, 0, sizeof r);
    r.kind = KIND_ITEM;
    r.product = product;
    r.op = op;
    r.type = type;
    memcpy(r.segment, segment_id, strlen(segment_id) + 1);
    r.time = now;
    if (crto_id_type_hashed(type)) {
        r.form = FORM_DIGEST;
        r.data_len = 32;
        for (i = 0; i < 32; i++) {
            uint8_t hi = 0, lo = 0;
            (void)hex_digit(norm[2 * i], &hi);
            (void)hex_digit(norm[2 * i + 1], &lo);
            r.data[i] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        if (nlen > CRTO_JOURNAL_TEXT_MAX) {
            return crto_diag_set(&j->diag, CRTO_ERR_IDENTIFIER, "identifier longer than %u bytes cannot be queued",
                                 (unsigned)CRTO_JOURNAL_TEXT_MAX);
        }
        r.form = FORM_TEXT;
        r.data_len = nlen;
        memcpy(r.data, norm, nlen);
    }
    g = group_of(j, &r, true);
    if (g == NULL) {
        return crto_diag_set(&j->diag, CRTO_ERR_TOO_LARGE, "journal full: more than %u segment/operation groups",
                             (unsigned)CRTO_JOURNAL_GROUPS);
    }
    e = append(j, &r, j->st.capacity > CRTO_JOURNAL_ACK_RESERVE ? j->st.capacity - CRTO_JOURNAL_ACK_RESERVE : 0);
    if (e != CRTO_OK) {
        if (g->items == 0 && g == &j->groups[j->n_groups - 1]) {
            j->n_groups--; /* the group got nothing: forget it */
        }
        return e;
    }
    if (g->items == g->acked) {
        g->oldest_time = now != 0 ? now : 1;
    }
    g->items++;
    return CRTO_OK;
}

crto_err_t crto_journal_sync(crto_journal_t *j)
{
    crto_err_t e = j->st.sync(j->st.ctx);
    return e == CRTO_OK ? CRTO_OK : crto_diag_set(&j->diag, e, "journal sync failed");
}

uint64_t crto_journal_pending(const crto_journal_t *j, uint32_t *oldest_time)
{
    uint64_t n = 0;
    uint32_t i, oldest = 0;
    for (i = 0; i < j->n_groups; i++) {
        const crto_journal_group_t *g = &j->groups[i];
        if (g->items > g->acked) {
            n += g->items - g->acked;
            if (oldest == 0 || (g->oldest_time != 0 && g->oldest_time < oldest)) {
                oldest = g->oldest_time;
            }
        }
    }
    if (oldest_time != NULL) {
        *oldest_time = oldest;
    }
    return n;
}

crto_err_t crto_journal_verify(crto_journal_t *j, uint64_t *records)
{
    uint64_t size = 0, off = 0, next = 0, n = 0;
    record_t r;
    crto_err_t e = j->st.size(j->st.ctx, &size);
    if (e != CRTO_OK) {
        return crto_diag_set(&j->diag, e, "journal storage cannot tell its size");
    }
    j->win_len = 0;
    while (off < size) {
        if (!read_record(j, off, &r, &next)) {
            return crto_diag_set(&j->diag, CRTO_ERR_FRAMING, "journal record at offset %llu is torn or corrupt",
                                 (unsigned long long)off);
        }
        if (r.kind == KIND_ACK && (r.through > off || group_of(j, &r, false) == NULL)) {
            return crto_diag_set(&j->diag, CRTO_ERR_FRAMING, "ACK at offset %llu points past itself or at no group",
                                 (unsigned long long)off);
        }
        n++;
        off = next;
    }
    if (records != NULL) {
        *records = n;
    }
    return CRTO_OK;
}

/* ------------------------------------------------------------ flush */

typedef struct {
    crto_journal_t *j;
    const crto_journal_group_t *g;
    uint64_t pos;        /* next record to read                       */
    uint32_t line;       /* ordinal of the last item handed over      */
    uint64_t last_end;   /* end of the last item handed over          */
    uint64_t acked_base; /* the group's acked count when the flush began */
    uint32_t max_line;   /* the furthest item read, and its end: the     */
    uint64_t max_end;    /* uploader may read past a chunk's last item   */
    char text[CRTO_JOURNAL_TEXT_MAX + 1];
    crto_err_t ack_err;
} group_source_t;

static crto_err_t src_next(void *arg, const char **text, size_t *len, uint32_t *line)
{
    group_source_t *s = arg;
    static const char digits[] = "0123456789abcdef";
    record_t r;
    uint64_t next;
    while (s->pos < s->j->end) {
        if (!read_whole(s->j, &s->pos, s->j->end, &r, &next)) {
            break; /* only corrupt bytes are left, which recovery skipped too */
        }
        s->pos = next;
        if (r.kind != KIND_ITEM || r.product != s->g->product || r.op != s->g->op || r.type != s->g->type ||
            strcmp(r.segment, s->g->segment_id) != 0) {
            continue;
        }
        if (r.form == FORM_DIGEST) {
            size_t i;
            for (i = 0; i < 32; i++) {
                s->text[2 * i] = digits[r.data[i] >> 4];
                s->text[2 * i + 1] = digits[r.data[i] & 15];
            }
            *len = 64;
        } else {
            memcpy(s->text, r.data, r.data_len);
            *len = r.data_len;
        }
        s->text[*len] = '\0';
        *text = s->text;
        *line = ++s->line;
        s->last_end = next;
        if (s->line > s->max_line) {
            s->max_line = s->line;
            s->max_end = next;
        }
        return CRTO_OK;
    }
    *text = NULL;
    *len = 0;
    return CRTO_OK;
}

static crto_err_t src_tell(void *arg, crto_source_pos_t *pos)
{
    const group_source_t *s = arg;
    pos->offset = s->pos;
    pos->line = s->line;
    return CRTO_OK;
}

static crto_err_t src_seek(void *arg, const crto_source_pos_t *pos)
{
    group_source_t *s = arg;
    s->pos = pos->offset;
    s->line = pos->line;
    return CRTO_OK;
}

/* Time stamp of the group's first item after what is acknowledged, or 0. */
static uint32_t first_pending_time(crto_journal_t *j, const crto_journal_group_t *g)
{
    uint64_t off = g->acked_through, next;
    record_t r;
    if (g->items <= g->acked) {
        return 0;
    }
    while (off < j->end && read_whole(j, &off, j->end, &r, &next)) {
        if (r.kind == KIND_ITEM && r.product == g->product && r.op == g->op && r.type == g->type &&
            strcmp(r.segment, g->segment_id) == 0) {
            return r.time != 0 ? r.time : 1;
        }
        off = next;
    }
    return 0;
}

/* Record durably that the group's items up to s->last_end are settled. */
static void settle(group_source_t *s, uint32_t identifiers)
{
    crto_journal_t *j = s->j;
    crto_journal_group_t *g = (crto_journal_group_t *)(uintptr_t)s->g;
    record_t r;
    crto_err_t e;
    memset(&r, 0, sizeof r);
    r.kind = KIND_ACK;
    r.product = g->product;
    r.op = g->op;
    r.type = g->type;
    memcpy(r.segment, g->segment_id, sizeof r.segment);
    r.count = identifiers;
    r.through = s->last_end;
    e = append(j, &r, j->st.capacity);
    if (e == CRTO_OK) {
        e = crto_journal_sync(j);
    }
    if (e != CRTO_OK) {
        /* not lost: the chunk stays pending and is sent again (set semantics) */
        s->ack_err = e;
        return;
    }
    /* By position, like recovery: every item handed over up to last_end is
     * settled, including one the uploader rejected (it would be rejected
     * again; counting only the identifiers sent would keep it pending, and
     * the log from ever starting afresh). */
    g->acked = s->acked_base + s->line;
    g->acked_through = s->last_end;
    g->oldest_time = first_pending_time(j, g);
}

/* Criteo took the chunk: record it durably before anything else. */
static void on_chunk_done(void *arg, const crto_chunk_result_t *res)
{
    settle(arg, res->identifiers);
}

static bool network_failure(crto_err_t e)
{
    return crto_err_is_network(e) || e == CRTO_ERR_TLS || e == CRTO_ERR_CERT || e == CRTO_ERR_IO;
}

static bool all_acked(const crto_journal_t *j)
{
    uint32_t i;
    for (i = 0; i < j->n_groups; i++) {
        if (j->groups[i].items > j->groups[i].acked) {
            return false;
        }
    }
    return true;
}

crto_err_t crto_journal_flush(crto_journal_t *j, crto_client_t *client, uint32_t chunk_size,
                              crto_upload_summary_t *summary)
{
    uint32_t i;
    crto_err_t e = CRTO_OK;

    if (summary != NULL) {
        memset(summary, 0, sizeof *summary);
    }
    crto_err_t first = CRTO_OK;
    for (i = 0; i < j->n_groups; i++) {
        crto_journal_group_t *g = &j->groups[i];
        crto_upload_t job = crto_upload_default();
        crto_upload_summary_t sum;
        group_source_t src;
        if (g->items <= g->acked) {
            continue;
        }
        memset(&src, 0, sizeof src);
        src.j = j;
        src.g = g;
        src.pos = g->acked_through;
        src.acked_base = g->acked;
        job.product = g->product;
        job.op = g->op;
        job.type = g->type;
        job.segment_id = g->segment_id;
        job.chunk_size = chunk_size;
        job.source.arg = &src;
        job.source.next = src_next;
        job.source.tell = src_tell;
        job.source.seek = src_seek;
        job.on_chunk = on_chunk_done;
        job.cb_arg = &src;
        e = crto_contact_list_upload(client, &job, &sum);
        if (e == CRTO_OK && src.ack_err == CRTO_OK && src.acked_base + src.max_line > g->acked) {
            /* The upload is over and went well: items read after the last
             * chunk Criteo took were rejected by the uploader (or the whole
             * group was, and nothing was sent); they are settled too. */
            src.line = src.max_line;
            src.last_end = src.max_end;
            settle(&src, 0);
        }
        if (e == CRTO_OK && src.ack_err != CRTO_OK) {
            e = src.ack_err;
        }
        if (e != CRTO_OK && e != src.ack_err) {
            (void)crto_diag_set(&j->diag, e, "%s", client->diag.msg);
        }
        if (e != CRTO_OK && first == CRTO_OK) {
            first = e;
        }
        if (summary != NULL) {
            summary->accepted += sum.accepted;
            summary->rejected += sum.rejected;
            summary->sent += sum.sent;
            summary->nb_valid += sum.nb_valid;
            summary->nb_invalid += sum.nb_invalid;
            summary->chunks += sum.chunks;
            summary->problems += sum.problems;
        }
        if (e != CRTO_OK && network_failure(e)) {
            break; /* offline: the next group would fail the same way */
        }
        /* an API refusal for one group: go on with the others */
    }
    e = first;
    if (e == CRTO_OK && all_acked(j)) {
        /* everything Criteo has: start the log afresh */
        e = j->st.truncate(j->st.ctx, 0);
        if (e == CRTO_OK) {
            e = j->st.sync(j->st.ctx);
        }
        if (e != CRTO_OK) {
            return crto_diag_set(&j->diag, e, "journal reset failed");
        }
        reset_state(j);
    }
    return e;
}

/* ------------------------------------------------------------ region */

static crto_err_t region_read(void *ctx, uint64_t off, uint8_t *buf, size_t len, size_t *got)
{
    crto_region_t *r = ctx;
    size_t n = 0;
    if (off < r->len) {
        n = r->len - (size_t)off < len ? r->len - (size_t)off : len;
        memcpy(buf, r->mem + off, n);
    }
    *got = n;
    return CRTO_OK;
}

static crto_err_t region_append(void *ctx, uint64_t off, const uint8_t *buf, size_t len)
{
    crto_region_t *r = ctx;
    if (off != r->len || len > r->cap - r->len) {
        return CRTO_ERR_IO;
    }
    memcpy(r->mem + r->len, buf, len);
    r->len += len;
    return CRTO_OK;
}

static crto_err_t region_sync(void *ctx)
{
    (void)ctx; /* RAM is as durable as it gets; a flash port programs here */
    return CRTO_OK;
}

static crto_err_t region_truncate(void *ctx, uint64_t size)
{
    crto_region_t *r = ctx;
    if (size > r->len) {
        return CRTO_ERR_IO;
    }
    r->len = (size_t)size;
    return CRTO_OK;
}

static crto_err_t region_size(void *ctx, uint64_t *size)
{
    *size = ((crto_region_t *)ctx)->len;
    return CRTO_OK;
}

void crto_region_storage_init(crto_region_t *region, uint8_t *mem, size_t cap, size_t used, crto_storage_t *storage)
{
    region->mem = mem;
    region->cap = cap;
    region->len = used <= cap ? used : cap;
    memset(storage, 0, sizeof *storage);
    storage->ctx = region;
    storage->read = region_read;
    storage->append = region_append;
    storage->sync = region_sync;
    storage->truncate = region_truncate;
    storage->size = region_size;
    storage->capacity = cap;
}
