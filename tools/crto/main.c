/*
 * main.c - the crto command: global options, the environment, dispatch.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char k_usage[] =
    "usage: crto [GLOBAL OPTIONS] COMMAND ...\n"
    "  --base-url URL     API root (default https://api.criteo.com; env CRTO_BASE_URL)\n"
    "  --token-url URL    token endpoint (default <base-url>/oauth2/token; env CRTO_TOKEN_URL)\n"
    "  --ca-file PEM      trust anchors (default: system bundle; env CRTO_CA_FILE)\n"
    "  --api-version V    default 2026-07 (env CRTO_API_VERSION)\n"
    "  --json             machine-readable result on stdout\n"
    "  --verbose          log what the client does on stderr (never secrets or identifiers)\n"
    "  Credentials: env CRITEO_CLIENT_ID and CRITEO_CLIENT_SECRET, or env CRTO_ACCESS_TOKEN.\n"
    "\n"
    "commands:\n"
    "  crto token                     fetch a token; print its lifetime, never the token\n"
    "  crto ms contacts add|remove --segment ID --type email|madid|identityLink|gum|phoneNumber\n"
    "       [--gum-caller-id N] [--input FILE|-] [--chunk-size N] [--no-hash]\n"
    "  crto ms contacts wipe --segment ID            remove every identifier (the segment stays)\n"
    "  crto ms contacts stats --segment ID           identifiers, matches, match rate\n"
    "  crto ms segments search --advertiser ID [--type ContactList|InMarket|...]... [--id ID]... [--limit N]\n"
    "  crto ms segments create --advertiser ID --name NAME [--name NAME]... [--description TEXT]\n"
    "                                                contact-list segments; prints each new id\n"
    "  crto ms segments update --id ID [--id ID]... [--name NAME] [--description TEXT | --clear-description]\n"
    "                                                the same changes to each id, in one call\n"
    "  crto ms segments delete --id ID [--id ID]...\n"
    "  crto ms segments sizes --id ID [--id ID]...\n"
    "  crto ms segments estimate --advertiser ID --country CC [--brand ID]... [--interest ID]...\n"
    "       [--gender Male|Female]                   size of an in-market segment; prints the size\n"
    "  crto ms segments in-market-brands --advertiser ID --country CC     one line per brand: ID  NAME  SIZE\n"
    "  crto ms segments in-market-interests --advertiser ID --country CC  one line per interest: ID  PARENT_ID\n"
    "  crto ms audiences search --advertiser ID [--id ID]... [--segment ID]... [--limit N]\n"
    "  crto ms audiences create --advertiser ID --name NAME --algebra JSON [--description TEXT]\n"
    "       e.g. --algebra '{\"and\":[{\"audienceSegmentId\":\"1\"},{\"not\":{\"audienceSegmentId\":\"2\"}}]}'\n"
    "  crto ms audiences update --id ID [--id ID]... [--name NAME] [--description TEXT | --clear-description]\n"
    "       [--algebra JSON]                         the same changes to each id, in one call\n"
    "  crto ms audiences delete --id ID [--id ID]...\n"
    "  crto ms audiences sizes --id ID [--id ID]...\n"
    "  crto ms audiences estimate --advertiser ID --algebra JSON    size of an audience; prints the size\n"
    "  crto rm contacts add|remove --segment ID --type Email|UserIdentifier|IdentityLink|Gum|CustomerId|PhoneNumber\n"
    "       [--input FILE|-] [--chunk-size N] [--no-hash]\n"
    "  crto rm contacts clear --segment ID\n"
    "  crto rm contacts stats --account ID --segment ID\n"
    "  crto rm segments search --account ID [--retailer ID]... [--type ContactList|Events]... [--id ID]... [--limit N]\n"
    "  crto rm segments create --account ID --retailer ID --name NAME [--name NAME]...\n"
    "       --identifier-type Email|UserIdentifier|IdentityLink|CustomerId|PhoneNumber [--description TEXT]\n"
    "  crto rm segments update --account ID --id ID [--id ID]... [--name NAME]\n"
    "       [--description TEXT | --clear-description]\n"
    "  crto rm segments delete --account ID --id ID [--id ID]...\n"
    "  crto rm audiences search --account ID [--retailer ID]... [--id ID]... [--segment ID]... [--limit N]\n"
    "  Searches walk every page (--limit: page size, default the API's maximum). Up to 64 of each\n"
    "  repeatable option. Bulk commands print \"item N ok id=...\" or \"item N failed: CODE\" per item.\n"
    "  A value the API did not send is printed as \"-\".\n"
    "\n"
    "exit status: 0 success, 1 usage, 2 partial success (some items failed), 3 authentication or permission,\n"
    "             4 network or TLS, 5 API error after retries\n";

/* Apart from k_usage: one string literal must stay under 4095 bytes (C99/C11). */
static const char k_usage_queue[] =
    "\n"
    "store-and-forward (gateways, kiosks):\n"
    "  crto queue add --journal DIR --api ms|rm --segment ID --type TYPE [--operation add|remove]\n"
    "       [--input FILE|-] [--max-bytes N]      store identifiers durably for a later flush (no network);\n"
    "                                                prints \"queued LINE\" once each line is on disk\n"
    "  crto queue flush --journal DIR [--max-seconds N] [--chunk-size N] [--if-due]\n"
    "                                                upload what is pending; exit 0 once the journal is empty\n"
    "  crto queue status --journal DIR            pending per segment, bytes, oldest age, last error, next flush\n"
    "  crto queue verify --journal DIR            check every record of the journal\n"
    "  add, status and verify need no credentials; flush exits 4 when offline (nothing is lost) and\n"
    "  records the error in DIR/last_error. --max-bytes: journal capacity for add (default 64 MiB; full:\n"
    "  exit 1 after acknowledging what fitted). --max-seconds: bound on the whole flush (exit 4 when\n"
    "  used up). --if-due: flush only when the schedule (crto_flush_plan, device id = host name) says so.\n"
    "  One process per journal: add waits up to 2 s for the lock, the others exit 1 (\"journal busy\").\n";

static void print_usage(FILE *f)
{
    fputs(k_usage, f);
    fputs(k_usage_queue, f);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("crto: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see crto --help)\n", stderr);
    return CLI_USAGE;
}

double cli_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_exit_for(crto_err_t e)
{
    switch (e) {
    case CRTO_OK:
        return CLI_OK;
    case CRTO_ERR_ARG:
    case CRTO_ERR_INVALID_ID:
    case CRTO_ERR_IDENTIFIER:
    case CRTO_ERR_CONFIG:
    case CRTO_ERR_IO:
        return CLI_USAGE;
    case CRTO_ERR_AUTH:
    case CRTO_ERR_FORBIDDEN:
        return CLI_AUTH;
    case CRTO_ERR_TIMEOUT:
    case CRTO_ERR_CONNECT:
    case CRTO_ERR_RESOLVE:
    case CRTO_ERR_CLOSED:
    case CRTO_ERR_RESET:
    case CRTO_ERR_TLS:
    case CRTO_ERR_CERT:
    case CRTO_ERR_WOULD_BLOCK:
        return CLI_NETWORK;
    default:
        return CLI_API;
    }
}

static const char *env_or(const char *value, const char *env)
{
    const char *v = getenv(env);
    return value != NULL ? value : (v != NULL && v[0] != '\0' ? v : NULL);
}

/* The CA bundle lives here for the life of the command: a gateway tool may
 * use a static buffer; the library itself only reads it during init. */
static char g_ca[1 << 20];

int cli_session_open(cli_session_t *s, const cli_globals_t *g)
{
    crto_client_config_t cfg = crto_client_config_default();
    crto_diag_t diag;
    crto_err_t e;
    size_t ca_len = 0;

    memset(s, 0, sizeof *s);
    s->started = cli_seconds();
    crto_posix_port_init(&s->posix, &s->port, g->verbose ? stderr : NULL, g->verbose ? CRTO_LOG_DEBUG : CRTO_LOG_WARN);
    crto_diag_clear(&diag);
    if (g->base_url != NULL) {
        cfg.base_url = g->base_url;
    }
    cfg.token_url = g->token_url;
    if (g->api_version != NULL) {
        cfg.api_version = g->api_version;
    }
    cfg.log_level = g->verbose ? CRTO_LOG_DEBUG : CRTO_LOG_WARN;
    cfg.access_token = getenv("CRTO_ACCESS_TOKEN");
    cfg.client_id = getenv("CRITEO_CLIENT_ID");
    cfg.client_secret = getenv("CRITEO_CLIENT_SECRET");
    if ((cfg.access_token == NULL || cfg.access_token[0] == '\0') &&
        (cfg.client_id == NULL || cfg.client_secret == NULL)) {
        fputs("crto: no credentials: set CRITEO_CLIENT_ID and CRITEO_CLIENT_SECRET, or CRTO_ACCESS_TOKEN\n", stderr);
        return CLI_AUTH;
    }
    if (strncmp(cfg.base_url, "https://", 8) == 0 || (cfg.token_url != NULL && strncmp(cfg.token_url, "https://", 8) == 0)) {
        e = crto_posix_read_ca(g->ca_file, g_ca, sizeof g_ca, &ca_len, &diag);
        if (e != CRTO_OK) {
            fprintf(stderr, "crto: %s\n", diag.msg);
            return CLI_USAGE;
        }
        cfg.ca_pem = g_ca;
        cfg.ca_pem_len = ca_len;
    }
    e = crto_client_init(&s->client, &s->port, &cfg);
    if (e != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", s->client.diag.msg);
        return e == CRTO_ERR_CERT ? CLI_NETWORK : CLI_USAGE;
    }
    return CLI_OK;
}

void cli_session_close(cli_session_t *s)
{
    crto_client_deinit(&s->client);
}

static crto_err_t flush_stdout(void *arg, const uint8_t *data, size_t len)
{
    (void)arg;
    return fwrite(data, 1, len, stdout) == len ? CRTO_OK : CRTO_ERR_IO;
}

static uint8_t g_json_window[512];

void cli_json_begin(crto_jw_t *w)
{
    crto_jw_init(w, g_json_window, sizeof g_json_window, flush_stdout, NULL);
    (void)crto_jw_lit(w, "{");
}

void cli_json_key(crto_jw_t *w, const char *key, bool first)
{
    if (!first) {
        (void)crto_jw_lit(w, ",");
    }
    (void)crto_jw_str(w, key, strlen(key));
    (void)crto_jw_lit(w, ":");
}

void cli_json_end(crto_jw_t *w)
{
    (void)crto_jw_lit(w, "}\n");
    (void)crto_jw_finish(w);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    cli_globals_t g;
    char *rest[256]; /* 64 repeated options and their values fit */
    int nrest = 0, i;

    memset(&g, 0, sizeof g);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            g.json = true;
        } else if (strcmp(a, "--verbose") == 0) {
            g.verbose = true;
        } else if (strcmp(a, "--base-url") == 0 || strcmp(a, "--token-url") == 0 || strcmp(a, "--ca-file") == 0 ||
                   strcmp(a, "--api-version") == 0) {
            if (!has_value) {
                return cli_usage_error("%s needs a value", a);
            }
            if (strcmp(a, "--base-url") == 0) {
                g.base_url = argv[++i];
            } else if (strcmp(a, "--token-url") == 0) {
                g.token_url = argv[++i];
            } else if (strcmp(a, "--ca-file") == 0) {
                g.ca_file = argv[++i];
            } else {
                g.api_version = argv[++i];
            }
        } else {
            if (nrest == (int)(sizeof rest / sizeof rest[0])) {
                return cli_usage_error("too many arguments");
            }
            rest[nrest++] = argv[i];
        }
    }
    g.base_url = env_or(g.base_url, "CRTO_BASE_URL");
    g.token_url = env_or(g.token_url, "CRTO_TOKEN_URL");
    g.ca_file = env_or(g.ca_file, "CRTO_CA_FILE");
    g.api_version = env_or(g.api_version, "CRTO_API_VERSION");

    if (nrest == 0) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(rest[0], "token") == 0) {
        return cmd_token(&g, nrest - 1, rest + 1);
    }
    if (strcmp(rest[0], "queue") == 0) {
        return cmd_queue(&g, nrest - 1, rest + 1);
    }
    if ((strcmp(rest[0], "ms") == 0 || strcmp(rest[0], "rm") == 0) && nrest >= 2) {
        crto_product_t product = rest[0][0] == 'm' ? CRTO_PRODUCT_MS : CRTO_PRODUCT_RM;
        if (strcmp(rest[1], "contacts") == 0) {
            return cmd_contacts(&g, product, nrest - 2, rest + 2);
        }
        if (strcmp(rest[1], "segments") == 0) {
            return cmd_segments(&g, product, nrest - 2, rest + 2);
        }
        if (strcmp(rest[1], "audiences") == 0) {
            return cmd_audiences(&g, product, nrest - 2, rest + 2);
        }
    }
    return cli_usage_error("unknown command \"%s%s%s\"", rest[0], nrest > 1 ? " " : "", nrest > 1 ? rest[1] : "");
}
