/*
 * kiosk.c - a loyalty kiosk (or a till) that collects e-mail addresses and
 * phone numbers from customers and sends them to a Criteo contact-list
 * segment, written the way a point-of-sale integrator would: everything
 * static, no heap, the network treated as something that comes and goes.
 *
 *   kiosk JOURNAL_DIR SEGMENT_ID [INPUT|-] [--drain]
 *
 * INPUT: one identifier per line ("-" = standard input, as a barcode
 * scanner or a sign-up form would feed it); without it a few built-in
 * samples are "collected". --drain: at the end of the input (closing
 * time), flush whatever is pending whatever the schedule says.
 *
 * Environment: CRITEO_CLIENT_ID and CRITEO_CLIENT_SECRET; CRTO_BASE_URL
 * (default https://api.criteo.com), CRTO_CA_FILE (default: the system
 * bundle), KIOSK_FLUSH_AT (flush once this many identifiers wait, default
 * 1000), KIOSK_DEVICE_ID (default: the host name).
 *
 * The journal directory is the same format `crto queue` uses, so
 * `crto queue status --journal DIR` shows what this kiosk holds (while the
 * kiosk is not running: the journal is locked by one process at a time).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crto/crto.h"
#include "crto/crto_policy.h"
#include "crto_port_posix.h"

/* A kiosk's flash is small and a customer's e-mail must never wait for a
 * full 50,000-identifier request: flush after a modest number. */
#define FLUSH_AT_DEFAULT 1000u
/* Bound on the journal file: a week offline at a busy kiosk fits; when it
 * is full, crto_journal_add says so and nothing is overwritten. */
#define JOURNAL_CAPACITY (16u * 1024u * 1024u)
/* One flush runs in the collecting loop, so it must not hold the kiosk for
 * long: a call gives up retrying after this much waiting, and what was not
 * sent simply stays in the journal for the next flush. */
#define RETRY_MAX_WAIT_MS 60000u

/* Everything crto needs lives in these statics: sizes are known at link
 * time and nothing can fail to allocate at 3 a.m. */
static crto_file_storage_t g_files;
static crto_storage_t g_storage;
static crto_journal_t g_journal;
static crto_posix_t g_posix;
static crto_port_t g_port;
static crto_client_t g_client;
static bool g_client_ready;
static char g_ca[1 << 20]; /* the system CA bundle is ~200 KB; read once */

static const char *g_segment;
static uint32_t g_flush_at = FLUSH_AT_DEFAULT;
static char g_device[256];
/* When the last flush that emptied the journal began (UTC). Kept in memory
 * only: after a restart the schedule treats it as "never", which at worst
 * means one extra flush in the current window. */
static int64_t g_last_flush_utc = CRTO_FLUSH_NEVER;
/* After a failed flush the schedule keeps saying "flush now" (nothing was
 * emptied), so the kiosk paces its own retries. */
static uint32_t g_failures;
static uint64_t g_retry_at_ms;

static const char *const k_samples[] = {
    "Alice.Martin@example.com", " bob@example.org ", "+33 6 12 34 56 78", "not an e-mail",
    "carol@shop.example",       "+44 20 7946 0958",
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t utc_now(void)
{
    return (int64_t)time(NULL);
}

/* The client is set up on the first flush, not at start: a kiosk must
 * collect even when its credentials or CA bundle are broken - that is the
 * point of the journal - and it can be fixed before anything is lost. */
static bool client_start(void)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_diag_t diag;
    const char *base = getenv("CRTO_BASE_URL");
    size_t ca_len = 0;

    if (g_client_ready) {
        return true;
    }
    crto_diag_clear(&diag);
    crto_posix_port_init(&g_posix, &g_port, stderr, CRTO_LOG_WARN);
    if (base != NULL && base[0] != '\0') {
        cfg.base_url = base;
    }
    cfg.client_id = getenv("CRITEO_CLIENT_ID");
    cfg.client_secret = getenv("CRITEO_CLIENT_SECRET");
    cfg.retry_max_wait_ms = RETRY_MAX_WAIT_MS;
    cfg.log_level = CRTO_LOG_WARN;
    if (strncmp(cfg.base_url, "https://", 8) == 0) {
        if (crto_posix_read_ca(getenv("CRTO_CA_FILE"), g_ca, sizeof g_ca, &ca_len, &diag) != CRTO_OK) {
            fprintf(stderr, "kiosk: %s\n", diag.msg);
            return false;
        }
        cfg.ca_pem = g_ca;
        cfg.ca_pem_len = ca_len;
    }
    if (crto_client_init(&g_client, &g_port, &cfg) != CRTO_OK) {
        fprintf(stderr, "kiosk: client: %s\n", g_client.diag.msg);
        return false;
    }
    g_client_ready = true;
    return true;
}

/* Ask the schedule. The threshold is the policy's chunk size, so "enough
 * is waiting" and "the time has come" are one decision: the oldest
 * identifier falling due, or this device's own slot before Criteo's
 * 00:00/12:00 UTC processing cut-off (each device of a fleet has a
 * different slot, drawn from its id, so 10,000 kiosks do not all call at
 * once). */
static crto_flush_decision_t plan(void)
{
    crto_flush_policy_t pol = crto_flush_policy_default();
    crto_flush_state_t st;
    uint32_t oldest = 0;
    uint64_t pending = crto_journal_pending(&g_journal, &oldest);
    int64_t now = utc_now();

    pol.chunk_size = g_flush_at;
    memset(&st, 0, sizeof st);
    st.has_utc = now > 0; /* a Linux kiosk runs NTP; a board without an RTC says false */
    st.utc_now = now;
    st.device_hash = crto_flush_device_hash(g_device, strlen(g_device));
    st.pending = pending > UINT32_MAX ? UINT32_MAX : (uint32_t)pending;
    /* journal time stamps are the UTC seconds given to crto_journal_add */
    st.oldest_pending_age_s = oldest != 0 && now > (int64_t)oldest ? (uint32_t)(now - (int64_t)oldest) : 0u;
    st.last_flush_utc = g_last_flush_utc;
    return crto_flush_plan(&pol, &st);
}

static void flush(const char *why)
{
    crto_upload_summary_t sum;
    int64_t began = utc_now();
    crto_err_t e;

    if (!client_start()) {
        g_failures++;
        g_retry_at_ms = mono_ms() + 60000u;
        return;
    }
    /* Uploads every pending identifier; after each chunk Criteo accepted,
     * an ACK is made durable first, so a power cut in the middle resends
     * at most one chunk (harmless: a contact list is a set). */
    e = crto_journal_flush(&g_journal, &g_client, 0, &sum);
    if (e == CRTO_OK) {
        printf("flushed %llu identifiers in %u chunks (%s)\n", (unsigned long long)sum.sent, (unsigned)sum.chunks,
               why);
        g_last_flush_utc = began;
        g_failures = 0;
        g_retry_at_ms = 0;
    } else {
        /* Offline, rate-limited, credentials revoked...: nothing is lost,
         * the identifiers stay in the journal. Back off with the same
         * full-jitter policy crto uses inside a call, at least 1 s. */
        uint32_t wait;
        g_failures++;
        wait = crto_retry_delay_ms(g_failures, 0, NULL, -1, (uint32_t)mono_ms() * 2654435761u);
        g_retry_at_ms = mono_ms() + 1000u + wait;
        printf("flush failed (%s): %s; %llu pending, nothing lost\n", why, g_journal.diag.msg,
               (unsigned long long)crto_journal_pending(&g_journal, NULL));
    }
    fflush(stdout);
}

/* Flush when the schedule says so and no back-off is running. */
static void maybe_flush(void)
{
    crto_flush_decision_t d = plan();
    if (d.flush_now && mono_ms() >= g_retry_at_ms) {
        flush(crto_flush_reason_name(d.reason));
    }
}

/* One customer's identifier: queued, and durable before the screen says
 * "thank you". One fdatasync per customer is nothing at kiosk rates. */
static void collect(const char *text, size_t len, unsigned n)
{
    /* a sign-up form takes either: an '@' means e-mail */
    crto_id_type_t type = memchr(text, '@', len) != NULL ? CRTO_ID_EMAIL : CRTO_ID_PHONE;
    crto_err_t e = crto_journal_add(&g_journal, CRTO_PRODUCT_MS, g_segment, CRTO_OP_ADD, type, text, len,
                                    (uint32_t)utc_now());
    if (e == CRTO_ERR_TOO_LARGE) {
        /* journal full (a long time offline): try to make room, then once more */
        flush("journal full");
        e = crto_journal_add(&g_journal, CRTO_PRODUCT_MS, g_segment, CRTO_OP_ADD, type, text, len,
                             (uint32_t)utc_now());
    }
    if (e == CRTO_OK) {
        e = crto_journal_sync(&g_journal);
    }
    if (e == CRTO_OK) {
        printf("queued %u\n", n);
    } else {
        /* the reason, never the identifier: it is personal data */
        printf("rejected %u: %s\n", n, g_journal.diag.msg);
    }
    fflush(stdout);
    maybe_flush();
}

/* Wait for the next line, but no longer than the schedule's next check:
 * a kiosk that nobody uses at night must still flush at its slot. Returns
 * 1 with a line, 0 at the end of the input, -1 on a timeout. */
static int next_line(FILE *in, char *buf, size_t cap)
{
    crto_flush_decision_t d = plan();
    uint64_t wait_ms = (uint64_t)d.next_check_s * 1000u;
    struct pollfd p;
    size_t len;

    if (d.flush_now) { /* due but backing off: wake when the back-off ends */
        uint64_t now = mono_ms();
        wait_ms = g_retry_at_ms > now ? g_retry_at_ms - now : 0;
    }
    p.fd = fileno(in);
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, wait_ms > 3600000u ? 3600000 : (int)wait_ms) == 0) {
        return -1;
    }
    if (fgets(buf, (int)cap, in) == NULL) {
        return 0;
    }
    len = strlen(buf);
    if (len > 0 && buf[len - 1] != '\n' && !feof(in)) {
        int c;
        while ((c = fgetc(in)) != EOF && c != '\n') {
        } /* longer than any identifier: cut, and crto rejects what is left */
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }
    return 1;
}

int main(int argc, char **argv)
{
    static char line[CRTO_IDENTIFIER_MAX + 2];
    const char *input = NULL, *env;
    bool drain = false;
    crto_diag_t diag;
    crto_flush_decision_t d;
    unsigned n = 0;
    int i, nargs = 0;
    const char *args[3] = {NULL, NULL, NULL};

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--drain") == 0) {
            drain = true;
        } else if (nargs < 3) {
            args[nargs++] = argv[i];
        }
    }
    if (nargs < 2 || !crto_id_is_valid(args[1], strlen(args[1]))) {
        fputs("usage: kiosk JOURNAL_DIR SEGMENT_ID [INPUT|-] [--drain]\n", stderr);
        return 1;
    }
    g_segment = args[1];
    input = args[2];
    env = getenv("KIOSK_FLUSH_AT");
    if (env != NULL && atoi(env) > 0) {
        g_flush_at = (uint32_t)atoi(env) > CRTO_CHUNK_MAX ? CRTO_CHUNK_MAX : (uint32_t)atoi(env);
    }
    env = getenv("KIOSK_DEVICE_ID");
    if (env != NULL && env[0] != '\0') {
        (void)snprintf(g_device, sizeof g_device, "%s", env);
    } else if (gethostname(g_device, sizeof g_device - 1) != 0) {
        g_device[0] = '\0';
    }

    /* Open the journal first: it recovers from a power cut (a torn last
     * record is cut, every complete one is kept) and holds what an earlier
     * run collected but could not send. The lock keeps a second copy of
     * the kiosk (or a `crto queue flush`) from writing at the same time. */
    crto_diag_clear(&diag);
    if (crto_file_storage_open(&g_files, args[0], JOURNAL_CAPACITY, &g_storage, &diag) != CRTO_OK) {
        fprintf(stderr, "kiosk: %s\n", diag.msg);
        return 1;
    }
    if (crto_journal_open(&g_journal, &g_storage) != CRTO_OK) {
        fprintf(stderr, "kiosk: journal: %s\n", g_journal.diag.msg);
        crto_file_storage_close(&g_files);
        return 1;
    }
    printf("kiosk %s: %llu identifiers waiting from before\n", g_device,
           (unsigned long long)crto_journal_pending(&g_journal, NULL));
    maybe_flush();

    if (input == NULL) {
        for (i = 0; i < (int)(sizeof k_samples / sizeof k_samples[0]); i++) {
            collect(k_samples[i], strlen(k_samples[i]), ++n);
        }
    } else {
        FILE *in = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
        int r;
        if (in == NULL) {
            fprintf(stderr, "kiosk: cannot read %s: %s\n", input, strerror(errno));
            crto_file_storage_close(&g_files);
            return 1;
        }
        /* unbuffered, so that poll() sees exactly what fgets has not read */
        (void)setvbuf(in, NULL, _IONBF, 0);
        while ((r = next_line(in, line, sizeof line)) != 0) {
            if (r < 0) {
                maybe_flush(); /* woke up for the schedule */
            } else if (line[strspn(line, " \t")] != '\0') {
                collect(line, strlen(line), ++n);
            } else {
                ++n; /* a blank line is nobody */
            }
        }
        if (in != stdin) {
            fclose(in);
        }
    }

    if (drain && crto_journal_pending(&g_journal, NULL) > 0) {
        flush("closing time");
    }
    d = plan();
    printf("kiosk: %llu pending; ", (unsigned long long)crto_journal_pending(&g_journal, NULL));
    if (crto_journal_pending(&g_journal, NULL) == 0) {
        puts("nothing to send");
    } else {
        printf("next planned flush in %u s\n", (unsigned)d.next_check_s);
    }
    if (g_client_ready) {
        crto_client_deinit(&g_client); /* wipes the secret and the token */
    }
    crto_file_storage_close(&g_files);
    return 0;
}
