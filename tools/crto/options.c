/*
 * options.c - the options of one API command, from a table: single values,
 * repeatable values (ids) and flags; and the checks of values commands
 * share (page size, country, a choice, id lists, what an update changes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_opts(const cli_opt_t *opts, int argc, char **argv)
{
    int i;
    for (i = 0; i < argc; i++) {
        const cli_opt_t *o = opts;
        while (o->name != NULL && strcmp(o->name, argv[i]) != 0) {
            o++;
        }
        if (o->name == NULL) {
            return cli_usage_error(argv[i][0] == '-' ? "unknown option %s" : "unexpected argument \"%s\"", argv[i]);
        }
        if (o->flag != NULL) {
            *o->flag = true;
            continue;
        }
        if (i + 1 >= argc) {
            return cli_usage_error("%s needs a value", o->name);
        }
        i++;
        if (o->list != NULL) {
            if (o->list->n == CLI_MAX_IDS) {
                return cli_usage_error("%s at most %d times", o->name, CLI_MAX_IDS);
            }
            o->list->v[o->list->n++] = argv[i];
        } else if (*o->value != NULL) {
            return cli_usage_error("%s given twice", o->name);
        } else {
            *o->value = argv[i];
        }
    }
    return CLI_OK;
}

int cli_need(const char *value, const char *cmd, const char *option)
{
    return value != NULL ? CLI_OK : cli_usage_error("crto %s needs %s", cmd, option);
}

int cli_need_list(const cli_list_t *list, const char *cmd, const char *option)
{
    return list->n > 0 ? CLI_OK : cli_usage_error("crto %s needs %s", cmd, option);
}

crto_strings_t cli_strings(const cli_list_t *list)
{
    crto_strings_t s;
    s.v = list->v;
    s.n = list->n;
    return s;
}

int cli_parse_limit(const char *text, uint32_t max, uint32_t *limit)
{
    char *end = NULL;
    unsigned long v;
    if (text == NULL) {
        *limit = 0; /* the product's maximum */
        return CLI_OK;
    }
    errno = 0;
    v = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
    if (v == 0 || errno != 0 || *end != '\0' || v > max) {
        return cli_usage_error("--limit must be 1 to %u (got \"%s\")", (unsigned)max, text);
    }
    *limit = (uint32_t)v;
    return CLI_OK;
}

int cli_parse_country(const char *text, char out[3])
{
    size_t i;
    for (i = 0; text[i] != '\0' && i < 2; i++) {
        char ch = text[i];
        if (ch >= 'a' && ch <= 'z') {
            ch = (char)(ch - 'a' + 'A');
        }
        if (ch < 'A' || ch > 'Z') {
            break;
        }
        out[i] = ch;
    }
    if (i != 2 || text[2] != '\0') {
        return cli_usage_error("--country must be an ISO 3166 alpha-2 code such as FR (got \"%s\")", text);
    }
    out[2] = '\0';
    return CLI_OK;
}

static bool same_letters(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

int cli_parse_choice(const char *text, const char *const *choices, const char *option, const char **out)
{
    char accepted[128];
    size_t used = 0;
    uint32_t i;
    *out = NULL;
    if (text == NULL) {
        return CLI_OK;
    }
    for (i = 0; choices[i] != NULL; i++) {
        if (same_letters(text, choices[i])) {
            *out = choices[i];
            return CLI_OK;
        }
    }
    accepted[0] = '\0';
    for (i = 0; choices[i] != NULL && used < sizeof accepted; i++) {
        int n = snprintf(accepted + used, sizeof accepted - used, "%s%s", i > 0 ? "|" : "", choices[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    return cli_usage_error("%s must be %s (got \"%s\")", option, accepted, text);
}

int cli_check_id_list(const cli_list_t *list, const char *option)
{
    uint32_t i, k;
    for (i = 0; i < list->n; i++) {
        if (!crto_id_is_valid(list->v[i], strlen(list->v[i]))) {
            return cli_usage_error("%s \"%s\" is not an id (1-20 decimal digits)", option, list->v[i]);
        }
        for (k = 0; k < i; k++) {
            if (strcmp(list->v[k], list->v[i]) == 0) {
                return cli_usage_error("%s %s given twice", option, list->v[i]);
            }
        }
    }
    return CLI_OK;
}

int cli_update_check(cli_update_t *u, const char *cmd, bool other_change, const char *other_option)
{
    int rc = cli_need_list(&u->ids, cmd, "--id ID");
    if (rc != CLI_OK) {
        return rc;
    }
    if (u->description != NULL && u->clear_description) {
        return cli_usage_error("--description and --clear-description exclude each other");
    }
    u->description_op = u->description != NULL ? CRTO_SET : u->clear_description ? CRTO_CLEAR : CRTO_KEEP;
    if (u->name == NULL && u->description_op == CRTO_KEEP && !other_change) {
        return cli_usage_error("nothing to update: give --name, --description%s%s or --clear-description",
                               other_option != NULL ? ", " : "", other_option != NULL ? other_option : "");
    }
    return CLI_OK;
}
