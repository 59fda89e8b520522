/*
 * cmd_token.c - `crto token`: prove the credentials work; print the token's
 * lifetime, never the token.
 */
#include <string.h>

#include "cli.h"

int cmd_token(const cli_globals_t *g, int argc, char **argv)
{
    cli_session_t s;
    crto_result_t result;
    crto_err_t e;
    int rc;

    if (argc > 0) {
        return cli_usage_error("crto token takes no arguments (got \"%s\")", argv[0]);
    }
    rc = cli_session_open(&s, g);
    if (rc != CLI_OK) {
        return rc;
    }
    if (s.client.static_token) {
        /* A bearer minted elsewhere: nothing to fetch, and its lifetime is not ours to know. */
        if (g->json) {
            crto_jw_t w;
            cli_json_begin(&w);
            cli_json_key(&w, "source", true);
            (void)crto_jw_lit(&w, "\"CRTO_ACCESS_TOKEN\"");
            cli_json_key(&w, "expiresIn", false);
            (void)crto_jw_lit(&w, "null");
            cli_json_end(&w);
        } else {
            puts("using the bearer token from CRTO_ACCESS_TOKEN; no token request made");
        }
        cli_session_close(&s);
        return CLI_OK;
    }
    e = crto_client_authenticate(&s.client, &result);
    if (e != CRTO_OK) {
        fprintf(stderr, "crto: %s\n", s.client.diag.msg);
        rc = cli_exit_for(e);
    } else if (g->json) {
        crto_jw_t w;
        cli_json_begin(&w);
        cli_json_key(&w, "tokenType", true);
        (void)crto_jw_lit(&w, "\"Bearer\"");
        cli_json_key(&w, "expiresIn", false);
        (void)crto_jw_int(&w, s.client.token_lifetime_s);
        cli_json_end(&w);
    } else {
        printf("token obtained: valid for %u s\n", (unsigned)s.client.token_lifetime_s);
    }
    cli_session_close(&s);
    return rc;
}
