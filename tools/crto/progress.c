/*
 * progress.c - a one-line progress bar for long uploads, on a terminal only.
 */
#include <unistd.h>

#include "cli.h"

void cli_progress_init(cli_progress_t *p, bool enabled)
{
    p->enabled = enabled && isatty(STDERR_FILENO);
    p->started = cli_seconds();
    p->last_draw = 0;
    p->total_hint = 0;
}

void cli_progress_update(cli_progress_t *p, unsigned long long sent, unsigned chunks)
{
    double now, rate;
    if (!p->enabled) {
        return;
    }
    now = cli_seconds();
    if (now - p->last_draw < 0.1) {
        return; /* redraw at most ten times a second */
    }
    p->last_draw = now;
    rate = now > p->started ? (double)sent / (now - p->started) : 0.0;
    fprintf(stderr, "\r  %llu identifiers sent  %.0f/s  %u chunk%s done   ", sent, rate, chunks, chunks == 1 ? "" : "s");
    fflush(stderr);
}

void cli_progress_done(cli_progress_t *p)
{
    if (p->enabled) {
        fputs("\n", stderr);
    }
}
