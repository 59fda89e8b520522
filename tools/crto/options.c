/*
 * options.c - the options of one API command, from a table: single values,
 * repeatable values (ids) and flags.
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
