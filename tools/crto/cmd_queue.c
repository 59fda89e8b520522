/*
 * cmd_queue.c - `crto queue add|flush|status|verify`: store-and-forward on a
 * gateway or kiosk. Identifiers are made durable in a journal directory
 * first (crto_journal, file storage: DIR/journal.crto under an exclusive
 * lock) and uploaded later, whenever the network and Criteo allow.
 *
 * Files in the journal directory, all written by this command only:
 *   journal.crto  the journal (digests of e-mails and phone numbers, never
 *                 clear text)
 *   last_error    the last failed flush: time, code, exit status, message
 *                 (no identifier ever); removed by a flush that empties the
 *                 journal
 *   last_flush    UTC seconds when the last flush that emptied the journal
 *                 began (crto_flush_plan's last_flush_utc)
 * The two small files are replaced atomically (write a temporary, fsync,
 * rename, fsync the directory), so a reader sees the old or the new one.
 */
#define _GNU_SOURCE /* gethostname, nanosleep, gmtime_r */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crto/crto_policy.h"

#define QUEUE_BATCH 256u                       /* identifiers per fdatasync      */
#define QUEUE_DEFAULT_MAX_BYTES (64ull << 20)  /* journal capacity for add       */
#define QUEUE_ADD_LOCK_WAIT_MS 2000u           /* add waits this long for a lock */
#define QUEUE_LOCK_POLL_MS 50u
#define QUEUE_NO_LIMIT UINT64_MAX              /* flush/status/verify never add  */

/* The journal and its storage: static, as on a device. */
static crto_file_storage_t g_fs;
static crto_storage_t g_storage;
static crto_journal_t g_journal;

/* ------------------------------------------------------------ helpers */

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint32_t utc_seconds(void)
{
    time_t t = time(NULL);
    return t > 0 ? (uint32_t)t : 0u;
}

static void format_utc(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        (void)snprintf(out, 32, "%lld", (long long)t);
    }
}

static const char *product_name(crto_product_t p)
{
    return p == CRTO_PRODUCT_RM ? "rm" : "ms";
}

static const char *op_name(crto_op_t op)
{
    return op == CRTO_OP_REMOVE ? "remove" : "add";
}

static bool dir_path(char *out, size_t cap, const char *dir, const char *name)
{
    return snprintf(out, cap, "%s/%s", dir, name) < (int)cap;
}

/* Replace DIR/name with text, atomically and durably. */
static bool write_small_file(const char *dir, const char *name, const char *text)
{
    char path[4096], tmp[4096];
    size_t len = strlen(text);
    int fd, dfd;
    bool ok;

    if (!dir_path(path, sizeof path, dir, name) || snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        return false;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd); /* the new name survives a power cut */
        close(dfd);
    }
    return true;
}

static void remove_small_file(const char *dir, const char *name)
{
    char path[4096];
    if (dir_path(path, sizeof path, dir, name) && unlink(path) == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
}

/* Read DIR/name into buf[cap] (NUL-terminated); false when absent. */
static bool read_small_file(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[4096];
    ssize_t n;
    int fd;
    if (!dir_path(path, sizeof path, dir, name) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return false;
    }
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) {
        return false;
    }
    buf[n] = '\0';
    return true;
}

/* The value of "key=" in a key=value text, copied into out[cap]. */
static bool kv_get(const char *text, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = text;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1;
            size_t n = strcspn(v, "\n");
            if (n >= cap) {
                n = cap - 1;
            }
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}

typedef struct {
    bool present;
    char time[32];
    char code[40];
    char message[CRTO_DIAG_MAX];
    int exit_code;
} last_error_t;

static void record_last_error(const char *dir, crto_err_t e, int rc, const char *message)
{
    char text[CRTO_DIAG_MAX + 160], when[32], msg[CRTO_DIAG_MAX];
    size_t i;
    (void)snprintf(msg, sizeof msg, "%s", message);
    for (i = 0; msg[i] != '\0'; i++) {
        if ((unsigned char)msg[i] < 0x20) {
            msg[i] = ' '; /* one line per key */
        }
    }
    format_utc((int64_t)time(NULL), when);
    (void)snprintf(text, sizeof text, "time=%s\ncode=%s\nexit=%d\nmessage=%s\n", when, crto_err_name(e), rc, msg);
    if (!write_small_file(dir, "last_error", text)) {
        fprintf(stderr, "crto: could not record the error in %s/last_error: %s\n", dir, strerror(errno));
    }
}

static void load_last_error(const char *dir, last_error_t *le)
{
    char text[CRTO_DIAG_MAX + 160], num[16];
    memset(le, 0, sizeof *le);
    if (!read_small_file(dir, "last_error", text, sizeof text)) {
        return;
    }
    le->present = true;
    (void)kv_get(text, "time", le->time, sizeof le->time);
    (void)kv_get(text, "code", le->code, sizeof le->code);
    (void)kv_get(text, "message", le->message, sizeof le->message);
    if (kv_get(text, "exit", num, sizeof num)) {
        le->exit_code = atoi(num);
    }
}

static int64_t load_last_flush(const char *dir)
{
    char text[64], num[32];
    unsigned long long v;
    if (read_small_file(dir, "last_flush", text, sizeof text) && kv_get(text, "utc", num, sizeof num) &&
        parse_u64(num, (unsigned long long)INT64_MAX, &v)) {
        return (int64_t)v;
    }
    return CRTO_FLUSH_NEVER;
}

/* Open the journal in dir: lock it (add waits up to wait_ms for a lock
 * another crto holds), recover a torn tail. Returns CLI_OK or the exit
 * status after printing why. must_exist: refuse a directory that is not
 * there (a typo must not look like an empty journal). */
static int journal_open(const char *dir, uint64_t capacity, unsigned wait_ms, bool must_exist)
{
    crto_diag_t diag;
    crto_err_t e;
    unsigned waited = 0;
    struct stat st;

    if (must_exist && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "crto: no journal directory %s\n", dir);
        return CLI_USAGE;
    }
    for (;;) {
        crto_diag_clear(&diag);
        e = crto_file_storage_open(&g_fs, dir, capacity, &g_storage, &diag);
        if (e != CRTO_ERR_CONFIG || waited >= wait_ms) {
            break;
        }
        sleep_ms(QUEUE_LOCK_POLL_MS); /* another crto holds the lock: a status or a short add */
        waited += QUEUE_LOCK_POLL_MS;
    }
    if (e != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", diag.msg);
        return CLI_USAGE;
    }
    e = crto_journal_open(&g_journal, &g_storage);
    if (e != CRTO_OK) {
        fprintf(stderr, "crto: cannot open the journal in %s: %s\n", dir, g_journal.diag.msg);
        crto_file_storage_close(&g_fs);
        return CLI_USAGE;
    }
    if (g_journal.torn_bytes > 0) {
        fprintf(stderr, "crto: recovered the journal: cut %llu bytes of an interrupted write at offset %llu\n",
                (unsigned long long)g_journal.torn_bytes, (unsigned long long)g_journal.end);
    }
    return CLI_OK;
}

static void journal_close(void)
{
    crto_file_storage_close(&g_fs);
}

/* JSON helpers on top of cli_json_* (main.c). */
static void jkey_int(crto_jw_t *w, const char *key, int64_t v, bool first)
{
    cli_json_key(w, key, first);
    (void)crto_jw_int(w, v);
}

static void jkey_str(crto_jw_t *w, const char *key, const char *s, bool first)
{
    cli_json_key(w, key, first);
    (void)crto_jw_str(w, s, strlen(s));
}

static void jkey_error(crto_jw_t *w, crto_err_t e, const char *message, int rc)
{
    cli_json_key(w, "error", false);
    if (e == CRTO_OK) {
        (void)crto_jw_lit(w, "null");
    } else {
        (void)crto_jw_lit(w, "{\"code\":");
        (void)crto_jw_str(w, crto_err_name(e), strlen(crto_err_name(e)));
        (void)crto_jw_lit(w, ",\"message\":");
        (void)crto_jw_str(w, message, strlen(message));
        (void)crto_jw_lit(w, "}");
    }
    jkey_int(w, "exitCode", rc, false);
}

/* ------------------------------------------------------------ add */

/* Lines from a file or a pipe, read with read(2) so that the add can tell
 * when the producer has nothing more for now (and acknowledge what it has
 * instead of waiting for a full batch). No seek needed: each line is used
 * once. Same rules as crto_file_source_t: blank lines skipped, white space
 * around an identifier does not count towards its length. */
typedef struct {
    int fd;
    size_t pos, len;
    bool eof;
    uint32_t line;
    uint8_t buf[65536];
    char id[CRTO_IDENTIFIER_MAX];
} line_reader_t;

enum { LINE_END = 0, LINE_OK, LINE_TOO_LONG, LINE_IO };

static line_reader_t g_in;

typedef struct {
    uint32_t lines[QUEUE_BATCH]; /* accepted since the last sync */
    uint32_t n;
    uint64_t queued;
    uint64_t rejected;
    bool sync_failed;
} add_state_t;

static add_state_t g_add;

/* Make the batch durable, then - only then - acknowledge each line. */
static bool add_sync(add_state_t *a)
{
    uint32_t i;
    if (a->n == 0) {
        return true;
    }
    if (crto_journal_sync(&g_journal) != CRTO_OK) {
        fprintf(stderr, "crto: %s: the last %u lines are NOT queued\n", g_journal.diag.msg, (unsigned)a->n);
        a->sync_failed = true;
        a->n = 0;
        return false;
    }
    for (i = 0; i < a->n; i++) {
        printf("queued %u\n", (unsigned)a->lines[i]);
    }
    fflush(stdout);
    a->queued += a->n;
    a->n = 0;
    return true;
}

/* Next byte, or -1 at the end (-2 on a read error). Before blocking on an
 * empty pipe, whatever is waiting is made durable and acknowledged. */
static int reader_byte(line_reader_t *r)
{
    if (r->pos == r->len) {
        ssize_t n;
        if (r->eof) {
            return -1;
        }
        if (g_add.n > 0) {
            struct pollfd p;
            p.fd = r->fd;
            p.events = POLLIN;
            p.revents = 0;
            if (poll(&p, 1, 0) == 0 && !add_sync(&g_add)) {
                return -2;
            }
        }
        do {
            n = read(r->fd, r->buf, sizeof r->buf);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            return -2;
        }
        if (n == 0) {
            r->eof = true;
            return -1;
        }
        r->pos = 0;
        r->len = (size_t)n;
    }
    return r->buf[r->pos++];
}

static bool blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int reader_next(line_reader_t *r, size_t *len)
{
    for (;;) {
        size_t kept = 0, end = 0;
        bool started = false, too_long = false, any = false;
        int c;
        while ((c = reader_byte(r)) >= 0 && c != '\n') {
            any = true;
            if (!started && blank(c)) {
                continue;
            }
            started = true;
            if (kept < sizeof r->id) {
                r->id[kept++] = (char)c;
                if (!blank(c)) {
                    end = kept;
                }
            } else if (!blank(c)) {
                too_long = true;
            }
        }
        if (c == -2) {
            return LINE_IO;
        }
        if (c == -1 && !any) {
            return LINE_END;
        }
        r->line++;
        if (too_long) {
            return LINE_TOO_LONG;
        }
        if (end > 0) {
            *len = end;
            return LINE_OK;
        }
    }
}

static int queue_add(const cli_globals_t *g, int argc, char **argv)
{
    const char *dir = NULL, *api = NULL, *segment = NULL, *type = NULL, *operation = NULL, *input = NULL;
    const char *max_bytes = NULL;
    cli_opt_t opts[] = {{"--journal", &dir, NULL, NULL},       {"--api", &api, NULL, NULL},
                        {"--segment", &segment, NULL, NULL},   {"--type", &type, NULL, NULL},
                        {"--operation", &operation, NULL, NULL}, {"--input", &input, NULL, NULL},
                        {"--max-bytes", &max_bytes, NULL, NULL}, {NULL, NULL, NULL, NULL}};
    crto_product_t product;
    crto_id_type_t id_type;
    crto_op_t op = CRTO_OP_ADD;
    unsigned long long capacity = QUEUE_DEFAULT_MAX_BYTES;
    crto_diag_t diag;
    crto_err_t stop = CRTO_OK;
    char stop_msg[CRTO_DIAG_MAX] = "";
    uint32_t stop_line = 0;
    int rc, r;
    size_t len = 0;

    if ((rc = cli_parse_opts(opts, argc, argv)) != CLI_OK || (rc = cli_need(dir, "queue add", "--journal DIR")) != CLI_OK ||
        (rc = cli_need(api, "queue add", "--api ms|rm")) != CLI_OK ||
        (rc = cli_need(segment, "queue add", "--segment ID")) != CLI_OK ||
        (rc = cli_need(type, "queue add", "--type TYPE")) != CLI_OK) {
        return rc;
    }
    if (strcmp(api, "ms") != 0 && strcmp(api, "rm") != 0) {
        return cli_usage_error("--api must be ms or rm (got \"%s\")", api);
    }
    product = api[0] == 'm' ? CRTO_PRODUCT_MS : CRTO_PRODUCT_RM;
    if (!crto_id_is_valid(segment, strlen(segment))) {
        return cli_usage_error("segment id \"%s\" is not 1-20 decimal digits", segment);
    }
    crto_diag_clear(&diag);
    if (crto_id_type_parse(product, type, &id_type, &diag) != CRTO_OK) {
        return cli_usage_error("%s", diag.msg);
    }
    if (product == CRTO_PRODUCT_MS && id_type == CRTO_ID_GUM) {
        /* the journal keeps no gum caller id, and an MS gum upload needs one */
        return cli_usage_error("--type gum cannot be queued (the journal keeps no gum caller id); "
                               "use crto ms contacts add --type gum --gum-caller-id N");
    }
    if (operation != NULL && strcmp(operation, "add") != 0 && strcmp(operation, "remove") != 0) {
        return cli_usage_error("--operation must be add or remove (got \"%s\")", operation);
    }
    if (operation != NULL && operation[0] == 'r') {
        op = CRTO_OP_REMOVE;
    }
    if (max_bytes != NULL && (!parse_u64(max_bytes, UINT64_MAX - 1, &capacity) || capacity <= CRTO_JOURNAL_ACK_RESERVE)) {
        return cli_usage_error("--max-bytes must be a number of bytes above %u (the room kept for acknowledgements)",
                               (unsigned)CRTO_JOURNAL_ACK_RESERVE);
    }

    memset(&g_in, 0, sizeof g_in);
    g_in.fd = STDIN_FILENO;
    if (input != NULL && strcmp(input, "-") != 0) {
        g_in.fd = open(input, O_RDONLY | O_CLOEXEC);
        if (g_in.fd < 0) {
            return cli_usage_error("cannot read %s: %s", input, strerror(errno));
        }
    }
    /* the lock first: a second writer is told "journal busy" before it reads anything */
    rc = journal_open(dir, capacity, QUEUE_ADD_LOCK_WAIT_MS, false);
    if (rc != CLI_OK) {
        if (g_in.fd != STDIN_FILENO) {
            close(g_in.fd);
        }
        return rc;
    }
    memset(&g_add, 0, sizeof g_add);

    while (stop == CRTO_OK && (r = reader_next(&g_in, &len)) != LINE_END) {
        crto_err_t e;
        if (r == LINE_IO) {
            if (!g_add.sync_failed) {
                stop = CRTO_ERR_IO;
                (void)snprintf(stop_msg, sizeof stop_msg, "reading %s failed: %s",
                               input != NULL && strcmp(input, "-") != 0 ? input : "standard input", strerror(errno));
            } else {
                stop = CRTO_ERR_IO;
                (void)snprintf(stop_msg, sizeof stop_msg, "%s", g_journal.diag.msg);
            }
            break;
        }
        if (r == LINE_TOO_LONG) {
            fprintf(stderr, "crto: line %u rejected: identifier longer than %u bytes\n", (unsigned)g_in.line,
                    (unsigned)CRTO_IDENTIFIER_MAX);
            g_add.rejected++;
            continue;
        }
        e = crto_journal_add(&g_journal, product, segment, op, id_type, g_in.id, len, utc_seconds());
        if (e == CRTO_OK) {
            g_add.lines[g_add.n++] = g_in.line;
            if (g_add.n == QUEUE_BATCH && !add_sync(&g_add)) {
                stop = CRTO_ERR_IO;
                (void)snprintf(stop_msg, sizeof stop_msg, "%s", g_journal.diag.msg);
            }
        } else if (e == CRTO_ERR_IDENTIFIER) {
            /* the line number and the reason, never the identifier: it may be an e-mail */
            fprintf(stderr, "crto: line %u rejected: %s\n", (unsigned)g_in.line, g_journal.diag.msg);
            g_add.rejected++;
        } else {
            stop = e; /* journal full, or the storage failed: nothing of this line was kept */
            stop_line = g_in.line;
            (void)snprintf(stop_msg, sizeof stop_msg, "%s", g_journal.diag.msg);
        }
    }
    /* what was accepted before a stop is still made durable and acknowledged */
    if (!add_sync(&g_add) && stop == CRTO_OK) {
        stop = CRTO_ERR_IO;
        (void)snprintf(stop_msg, sizeof stop_msg, "%s", g_journal.diag.msg);
    }
    if (g_in.fd != STDIN_FILENO) {
        close(g_in.fd);
    }

    if (stop == CRTO_ERR_TOO_LARGE) {
        fprintf(stderr, "crto: %s: line %u and the lines after it were NOT queued; run crto queue flush first\n",
                stop_msg, (unsigned)stop_line);
        rc = CLI_USAGE;
    } else if (stop != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", stop_msg);
        rc = CLI_USAGE;
    } else if (g_add.queued == 0 && g_add.rejected > 0) {
        fputs("crto: no valid identifier in the input; nothing was queued\n", stderr);
        rc = CLI_USAGE;
    } else {
        rc = g_add.rejected > 0 ? CLI_PARTIAL : CLI_OK;
    }
    {
        uint64_t pending = crto_journal_pending(&g_journal, NULL);
        if (g->json) {
            crto_jw_t w;
            cli_json_begin(&w);
            jkey_int(&w, "queued", (int64_t)g_add.queued, true);
            jkey_int(&w, "rejected", (int64_t)g_add.rejected, false);
            jkey_int(&w, "pending", (int64_t)pending, false);
            jkey_int(&w, "bytes", (int64_t)g_journal.end, false);
            jkey_error(&w, stop, stop_msg, rc);
            cli_json_end(&w);
        } else {
            fprintf(stderr, "crto: %llu line%s queued, %llu rejected; %llu identifier%s pending in %s\n",
                    (unsigned long long)g_add.queued, g_add.queued == 1 ? "" : "s",
                    (unsigned long long)g_add.rejected, (unsigned long long)pending, pending == 1 ? "" : "s", dir);
        }
    }
    journal_close();
    return rc;
}

/* ------------------------------------------------------------ flush */

/* --max-seconds: the client's port, wrapped so that no wait goes past the
 * deadline. Every connect, send, receive and retry sleep is cut to the time
 * left; once it is gone they fail at once (as a timeout / reset), so the
 * upload stops with a network error, the chunk in flight stays pending and
 * nothing is lost. A Retry-After longer than the time left is never cut
 * short into an early request: the next request simply never goes. */
typedef struct {
    crto_port_t inner;
    uint64_t deadline_ms;
    bool spent;
} budget_port_t;

static budget_port_t g_budget;

/* want, cut to the time left (0: none left, and spent is set). */
static uint32_t budget_left(budget_port_t *b, uint32_t want)
{
    uint64_t now = b->inner.now_ms(b->inner.ctx);
    uint64_t left = b->deadline_ms > now ? b->deadline_ms - now : 0;
    if (left == 0) {
        b->spent = true;
    }
    return left < want ? (uint32_t)left : want;
}

static crto_err_t bp_connect(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms)
{
    budget_port_t *b = ctx;
    uint32_t t = budget_left(b, timeout_ms);
    if (timeout_ms > 0 && t == 0) {
        return CRTO_ERR_TIMEOUT;
    }
    return b->inner.connect(b->inner.ctx, host, port, t);
}

static int32_t bp_send(void *ctx, const uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    budget_port_t *b = ctx;
    uint32_t t = budget_left(b, timeout_ms);
    int32_t n;
    if (timeout_ms > 0 && t == 0) {
        return -(int32_t)CRTO_ERR_RESET;
    }
    n = b->inner.send(b->inner.ctx, buf, len, t);
    return n == 0 && timeout_ms > 0 && budget_left(b, 1) == 0 ? -(int32_t)CRTO_ERR_RESET : n;
}

static int32_t bp_recv(void *ctx, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
    budget_port_t *b = ctx;
    uint32_t t = budget_left(b, timeout_ms);
    int32_t n;
    if (timeout_ms > 0 && t == 0) {
        return -(int32_t)CRTO_ERR_RESET;
    }
    n = b->inner.recv(b->inner.ctx, buf, len, t);
    return n == 0 && timeout_ms > 0 && budget_left(b, 1) == 0 ? -(int32_t)CRTO_ERR_RESET : n;
}

static void bp_close(void *ctx)
{
    budget_port_t *b = ctx;
    b->inner.close(b->inner.ctx);
}

static uint64_t bp_now_ms(void *ctx)
{
    budget_port_t *b = ctx;
    return b->inner.now_ms(b->inner.ctx);
}

static crto_err_t bp_utc_now(void *ctx, int64_t *unix_seconds)
{
    budget_port_t *b = ctx;
    return b->inner.utc_now(b->inner.ctx, unix_seconds);
}

static crto_err_t bp_entropy(void *ctx, uint8_t *buf, size_t len)
{
    budget_port_t *b = ctx;
    return b->inner.entropy(b->inner.ctx, buf, len);
}

static void bp_sleep_ms(void *ctx, uint32_t ms)
{
    budget_port_t *b = ctx;
    uint32_t t = budget_left(b, ms);
    if (t > 0) {
        b->inner.sleep_ms(b->inner.ctx, t);
    }
}

static void bp_log(void *ctx, crto_log_level_t level, const char *line)
{
    budget_port_t *b = ctx;
    b->inner.log(b->inner.ctx, level, line);
}

/* Put the budget between the client and its port. The client keeps its
 * own copy of the port (crto_client_t.port, which its TLS layer reaches by
 * pointer), so the copy is wrapped in place, before the first call. */
static void budget_install(crto_client_t *c, uint64_t deadline_ms)
{
    crto_port_t *p = &c->port;
    memset(&g_budget, 0, sizeof g_budget);
    g_budget.inner = *p;
    g_budget.deadline_ms = deadline_ms;
    p->ctx = &g_budget;
    p->connect = bp_connect;
    p->send = bp_send;
    p->recv = bp_recv;
    p->close = bp_close;
    p->now_ms = bp_now_ms;
    p->utc_now = g_budget.inner.utc_now != NULL ? bp_utc_now : NULL;
    p->entropy = g_budget.inner.entropy != NULL ? bp_entropy : NULL;
    p->sleep_ms = g_budget.inner.sleep_ms != NULL ? bp_sleep_ms : NULL;
    p->log = g_budget.inner.log != NULL ? bp_log : NULL;
}

static void flush_report(const cli_globals_t *g, const crto_upload_summary_t *sum, uint64_t pending,
                         const crto_client_t *c, crto_err_t e, const char *msg, int rc)
{
    if (g->json) {
        crto_jw_t w;
        cli_json_begin(&w);
        jkey_int(&w, "sent", (int64_t)sum->sent, true);
        jkey_int(&w, "chunks", sum->chunks, false);
        jkey_int(&w, "pending", (int64_t)pending, false);
        jkey_int(&w, "requests", c != NULL ? c->stats.requests : 0, false);
        jkey_int(&w, "retries", c != NULL ? c->stats.retries : 0, false);
        jkey_error(&w, e, msg, rc);
        cli_json_end(&w);
    } else {
        printf("flushed %llu identifier%s in %u chunk%s; %llu pending\n", (unsigned long long)sum->sent,
               sum->sent == 1 ? "" : "s", (unsigned)sum->chunks, sum->chunks == 1 ? "" : "s",
               (unsigned long long)pending);
    }
}

static bool plan_due(const char *dir, crto_flush_decision_t *d);

static int queue_flush(const cli_globals_t *g, int argc, char **argv)
{
    const char *dir = NULL, *max_seconds = NULL, *chunk = NULL;
    bool if_due = false;
    cli_opt_t opts[] = {{"--journal", &dir, NULL, NULL},
                        {"--max-seconds", &max_seconds, NULL, NULL},
                        {"--chunk-size", &chunk, NULL, NULL},
                        {"--if-due", NULL, NULL, &if_due},
                        {NULL, NULL, NULL, NULL}};
    unsigned long long budget_s = 0, chunk_size = 0;
    crto_upload_summary_t sum;
    cli_session_t s;
    uint64_t pending;
    int64_t began;
    double t0 = cli_seconds();
    char msg[CRTO_DIAG_MAX + 64];
    crto_err_t e;
    int rc;

    memset(&sum, 0, sizeof sum);
    if ((rc = cli_parse_opts(opts, argc, argv)) != CLI_OK || (rc = cli_need(dir, "queue flush", "--journal DIR")) != CLI_OK) {
        return rc;
    }
    if (max_seconds != NULL && (!parse_u64(max_seconds, 86400u * 365u, &budget_s) || budget_s == 0)) {
        return cli_usage_error("--max-seconds must be a whole number of seconds, at least 1 (got \"%s\")", max_seconds);
    }
    if (chunk != NULL && (!parse_u64(chunk, CRTO_CHUNK_MAX, &chunk_size) || chunk_size == 0)) {
        return cli_usage_error("--chunk-size must be 1 to %u (got \"%s\")", (unsigned)CRTO_CHUNK_MAX, chunk);
    }
    if ((rc = journal_open(dir, QUEUE_NO_LIMIT, 0, true)) != CLI_OK) {
        return rc;
    }
    pending = crto_journal_pending(&g_journal, NULL);
    if (if_due) {
        crto_flush_decision_t d;
        if (!plan_due(dir, &d)) {
            if (!g->json) {
                printf("not due: %llu pending; next planned flush in %u s\n", (unsigned long long)pending,
                       (unsigned)d.next_check_s);
            } else {
                flush_report(g, &sum, pending, NULL, CRTO_OK, "", CLI_OK);
            }
            journal_close();
            return CLI_OK;
        }
    }
    if (pending == 0 && g_journal.end == 0) {
        /* nothing to send and nothing to compact: no credentials needed */
        remove_small_file(dir, "last_error");
        flush_report(g, &sum, 0, NULL, CRTO_OK, "", CLI_OK);
        journal_close();
        return CLI_OK;
    }
    rc = cli_session_open(&s, g);
    if (rc != CLI_OK) {
        record_last_error(dir, rc == CLI_AUTH ? CRTO_ERR_AUTH : CRTO_ERR_CONFIG, rc,
                          "the client could not start (credentials, URL or CA file; see the flush's stderr)");
        if (g->json) {
            flush_report(g, &sum, pending, NULL, CRTO_ERR_CONFIG, "the client could not start", rc);
        }
        journal_close();
        return rc;
    }
    if (budget_s > 0) {
        /* the budget counts from the start of the command */
        uint64_t total_ms = budget_s * 1000u, used_ms = (uint64_t)((cli_seconds() - t0) * 1000.0);
        budget_install(&s.client, s.client.port.now_ms(s.client.port.ctx) + (total_ms > used_ms ? total_ms - used_ms : 0));
    }
    began = (int64_t)time(NULL);
    e = crto_journal_flush(&g_journal, &s.client, (uint32_t)chunk_size, &sum);
    pending = crto_journal_pending(&g_journal, NULL);
    msg[0] = '\0';
    if (e == CRTO_OK && pending == 0) {
        char text[48];
        rc = CLI_OK;
        remove_small_file(dir, "last_error");
        (void)snprintf(text, sizeof text, "utc=%lld\n", (long long)began);
        (void)write_small_file(dir, "last_flush", text);
    } else {
        if (e == CRTO_OK) {
            e = CRTO_ERR_HTTP; /* cannot happen: a flush that returns OK has sent everything */
        }
        if (budget_s > 0 && g_budget.spent) {
            (void)snprintf(msg, sizeof msg, "stopped after --max-seconds %llu (%s)", budget_s,
                           g_journal.diag.msg[0] != '\0' ? g_journal.diag.msg : crto_err_str(e));
            rc = CLI_NETWORK;
            e = CRTO_ERR_TIMEOUT;
        } else {
            (void)snprintf(msg, sizeof msg, "%s", g_journal.diag.msg[0] != '\0' ? g_journal.diag.msg : crto_err_str(e));
            rc = cli_exit_for(e);
        }
        fprintf(stderr, "crto: %s\n", msg);
        fprintf(stderr, "crto: %llu identifier%s delivered before the failure; %llu still pending (nothing lost)\n",
                (unsigned long long)sum.sent, sum.sent == 1 ? "" : "s", (unsigned long long)pending);
        record_last_error(dir, e, rc, msg);
    }
    flush_report(g, &sum, pending, &s.client, rc == CLI_OK ? CRTO_OK : e, msg, rc);
    cli_session_close(&s);
    journal_close();
    return rc;
}

/* ------------------------------------------------------------ status */

/* The schedule's view (crto_policy.h) with this host's name as the device
 * id and the host's clock as UTC. */
static crto_flush_decision_t plan_for(const char *dir, uint64_t pending, uint32_t oldest)
{
    crto_flush_policy_t pol = crto_flush_policy_default();
    crto_flush_state_t st;
    char host[256];
    uint32_t now = utc_seconds();

    memset(&st, 0, sizeof st);
    if (gethostname(host, sizeof host) != 0) {
        host[0] = '\0';
    }
    host[sizeof host - 1] = '\0';
    st.has_utc = now != 0;
    st.utc_now = (int64_t)now;
    st.device_hash = crto_flush_device_hash(host, strlen(host));
    st.pending = pending > UINT32_MAX ? UINT32_MAX : (uint32_t)pending;
    /* the journal stamps items with UTC seconds: the age is by the wall clock */
    st.oldest_pending_age_s = pending > 0 && oldest != 0 && now > oldest ? now - oldest : 0;
    st.last_flush_utc = load_last_flush(dir);
    return crto_flush_plan(&pol, &st);
}

static bool plan_due(const char *dir, crto_flush_decision_t *d)
{
    uint32_t oldest = 0;
    uint64_t pending = crto_journal_pending(&g_journal, &oldest);
    *d = plan_for(dir, pending, oldest);
    return d->flush_now;
}

static int queue_status(const cli_globals_t *g, int argc, char **argv)
{
    const char *dir = NULL;
    cli_opt_t opts[] = {{"--journal", &dir, NULL, NULL}, {NULL, NULL, NULL, NULL}};
    uint32_t oldest = 0, now = utc_seconds(), i;
    uint64_t pending;
    int64_t age;
    last_error_t le;
    crto_flush_decision_t d;
    char when[32];
    int rc;

    if ((rc = cli_parse_opts(opts, argc, argv)) != CLI_OK || (rc = cli_need(dir, "queue status", "--journal DIR")) != CLI_OK) {
        return rc;
    }
    if ((rc = journal_open(dir, QUEUE_NO_LIMIT, 0, true)) != CLI_OK) {
        return rc;
    }
    pending = crto_journal_pending(&g_journal, &oldest);
    age = pending > 0 && oldest != 0 ? (now > oldest ? (int64_t)(now - oldest) : 0) : -1;
    load_last_error(dir, &le);
    d = plan_for(dir, pending, oldest);
    format_utc((int64_t)now + d.next_check_s, when);

    if (g->json) {
        crto_jw_t w;
        char path[4096];
        (void)dir_path(path, sizeof path, dir, "journal.crto");
        cli_json_begin(&w);
        jkey_str(&w, "journal", path, true);
        jkey_int(&w, "bytes", (int64_t)g_journal.end, false);
        jkey_int(&w, "tornBytes", (int64_t)g_journal.torn_bytes, false);
        jkey_int(&w, "pending", (int64_t)pending, false);
        cli_json_key(&w, "oldestPendingSeconds", false);
        (void)(age >= 0 ? crto_jw_int(&w, age) : crto_jw_lit(&w, "null"));
        cli_json_key(&w, "groups", false);
        (void)crto_jw_lit(&w, "[");
        for (i = 0; i < g_journal.n_groups; i++) {
            const crto_journal_group_t *gr = &g_journal.groups[i];
            const char *tn = crto_id_type_name(gr->product, gr->type);
            uint64_t gp = gr->items - gr->acked;
            if (i > 0) {
                (void)crto_jw_lit(&w, ",");
            }
            (void)crto_jw_lit(&w, "{");
            jkey_str(&w, "api", product_name(gr->product), true);
            jkey_str(&w, "segment", gr->segment_id, false);
            jkey_str(&w, "operation", op_name(gr->op), false);
            jkey_str(&w, "type", tn != NULL ? tn : "?", false);
            jkey_int(&w, "pending", (int64_t)gp, false);
            jkey_int(&w, "acked", (int64_t)gr->acked, false);
            cli_json_key(&w, "oldestPendingSeconds", false);
            (void)(gp > 0 && gr->oldest_time != 0 ? crto_jw_int(&w, now > gr->oldest_time ? now - gr->oldest_time : 0)
                                                   : crto_jw_lit(&w, "null"));
            (void)crto_jw_lit(&w, "}");
        }
        (void)crto_jw_lit(&w, "]");
        cli_json_key(&w, "lastError", false);
        if (le.present) {
            (void)crto_jw_lit(&w, "{");
            jkey_str(&w, "time", le.time, true);
            jkey_str(&w, "code", le.code, false);
            jkey_str(&w, "message", le.message, false);
            jkey_int(&w, "exitCode", le.exit_code, false);
            (void)crto_jw_lit(&w, "}");
        } else {
            (void)crto_jw_lit(&w, "null");
        }
        cli_json_key(&w, "nextFlush", false);
        if (pending == 0) {
            (void)crto_jw_lit(&w, "null");
        } else {
            (void)crto_jw_lit(&w, "{");
            cli_json_key(&w, "due", true);
            (void)crto_jw_lit(&w, d.flush_now ? "true" : "false");
            jkey_str(&w, "reason", crto_flush_reason_name(d.reason), false);
            jkey_int(&w, "inSeconds", d.next_check_s, false);
            jkey_str(&w, "at", when, false);
            (void)crto_jw_lit(&w, "}");
        }
        jkey_error(&w, CRTO_OK, "", CLI_OK);
        cli_json_end(&w);
    } else {
        printf("journal %s/journal.crto: %llu bytes, %llu pending", dir, (unsigned long long)g_journal.end,
               (unsigned long long)pending);
        if (age >= 0) {
            printf(", oldest %lld s old", (long long)age);
        }
        putchar('\n');
        for (i = 0; i < g_journal.n_groups; i++) {
            const crto_journal_group_t *gr = &g_journal.groups[i];
            const char *tn = crto_id_type_name(gr->product, gr->type);
            printf("  %s segment %s %s %s: pending %llu, acked %llu\n", product_name(gr->product), gr->segment_id,
                   op_name(gr->op), tn != NULL ? tn : "?", (unsigned long long)(gr->items - gr->acked),
                   (unsigned long long)gr->acked);
        }
        if (le.present) {
            printf("last error: %s %s (exit %d): %s\n", le.time, le.code, le.exit_code, le.message);
        } else {
            puts("last error: none");
        }
        if (pending == 0) {
            puts("next planned flush: none (nothing pending)");
        } else if (d.flush_now) {
            printf("next planned flush: now (%s)\n", crto_flush_reason_name(d.reason));
        } else {
            printf("next planned flush: %s (in %u s)\n", when, (unsigned)d.next_check_s);
        }
    }
    journal_close();
    return CLI_OK;
}

/* ------------------------------------------------------------ verify */

static int queue_verify(const cli_globals_t *g, int argc, char **argv)
{
    const char *dir = NULL;
    cli_opt_t opts[] = {{"--journal", &dir, NULL, NULL}, {NULL, NULL, NULL, NULL}};
    uint64_t records = 0;
    crto_err_t e;
    int rc;

    if ((rc = cli_parse_opts(opts, argc, argv)) != CLI_OK || (rc = cli_need(dir, "queue verify", "--journal DIR")) != CLI_OK) {
        return rc;
    }
    if ((rc = journal_open(dir, QUEUE_NO_LIMIT, 0, true)) != CLI_OK) {
        return rc;
    }
    e = crto_journal_verify(&g_journal, &records);
    rc = e == CRTO_OK ? CLI_OK : CLI_USAGE;
    if (e != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", g_journal.diag.msg);
    }
    if (g->json) {
        crto_jw_t w;
        cli_json_begin(&w);
        jkey_int(&w, "records", (int64_t)records, true);
        jkey_int(&w, "bytes", (int64_t)g_journal.end, false);
        jkey_int(&w, "tornBytes", (int64_t)g_journal.torn_bytes, false);
        jkey_int(&w, "pending", (int64_t)crto_journal_pending(&g_journal, NULL), false);
        jkey_error(&w, e, g_journal.diag.msg, rc);
        cli_json_end(&w);
    } else if (e == CRTO_OK) {
        printf("journal %s/journal.crto: %llu records intact, %llu bytes", dir, (unsigned long long)records,
               (unsigned long long)g_journal.end);
        if (g_journal.torn_bytes > 0) {
            printf("; %llu bytes of an interrupted write were cut at open", (unsigned long long)g_journal.torn_bytes);
        }
        putchar('\n');
    }
    journal_close();
    return rc;
}

int cmd_queue(const cli_globals_t *g, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "add") == 0) {
        return queue_add(g, argc - 1, argv + 1);
    }
    if (argc >= 1 && strcmp(argv[0], "flush") == 0) {
        return queue_flush(g, argc - 1, argv + 1);
    }
    if (argc >= 1 && strcmp(argv[0], "status") == 0) {
        return queue_status(g, argc - 1, argv + 1);
    }
    if (argc >= 1 && strcmp(argv[0], "verify") == 0) {
        return queue_verify(g, argc - 1, argv + 1);
    }
    return cli_usage_error("expected: crto queue add|flush|status|verify --journal DIR ...");
}
