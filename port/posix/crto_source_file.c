/*
 * crto_source_file.c - identifiers read one per line from a seekable file.
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>

#include "crto_port_posix.h"

static bool blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Read one line: leading white space is dropped before it is buffered and
 * trailing white space may run past the buffer, so only the identifier
 * itself has to fit (a long run of spaces never truncates it silently). */
static crto_err_t file_next(void *arg, const char **text, size_t *len, uint32_t *line)
{
    crto_file_source_t *fs = arg;
    for (;;) {
        size_t kept = 0; /* bytes stored in buf                  */
        size_t end = 0;  /* ... up to the last non-blank one     */
        bool started = false, too_long = false, any = false;
        int c;
        /* One lock per line, not per byte: getc() takes the stream's lock
         * for every character, a third of the upload's reading cost. */
        flockfile(fs->f);
        while ((c = getc_unlocked(fs->f)) != EOF && c != '\n') {
            any = true;
            if (c <= ' ' && blank(c)) {
                if (started && kept < sizeof fs->buf) {
                    fs->buf[kept++] = (char)c; /* inside: kept; trailing: cut by end */
                }
                continue;
            }
            started = true;
            if (kept < sizeof fs->buf) {
                fs->buf[kept++] = (char)c;
                end = kept;
            } else {
                too_long = true;
            }
        }
        funlockfile(fs->f);
        if (c == EOF && ferror(fs->f)) {
            return CRTO_ERR_IO;
        }
        if (c == EOF && !any) {
            *text = NULL;
            *len = 0;
            return CRTO_OK;
        }
        fs->line++;
        if (too_long) {
            *line = fs->line;
            return CRTO_ERR_TOO_LARGE;
        }
        if (end > 0) {
            *text = fs->buf;
            *len = end;
            *line = fs->line;
            return CRTO_OK;
        }
    }
}

static crto_err_t file_tell(void *arg, crto_source_pos_t *pos)
{
    crto_file_source_t *fs = arg;
    off_t off = ftello(fs->f);
    if (off < 0) {
        return CRTO_ERR_IO;
    }
    pos->offset = (uint64_t)off;
    pos->line = fs->line;
    return CRTO_OK;
}

static crto_err_t file_seek(void *arg, const crto_source_pos_t *pos)
{
    crto_file_source_t *fs = arg;
    if (fseeko(fs->f, (off_t)pos->offset, SEEK_SET) != 0) {
        return CRTO_ERR_IO;
    }
    fs->line = pos->line;
    return CRTO_OK;
}

crto_err_t crto_file_source_init(crto_file_source_t *fs, FILE *f, crto_id_source_t *src)
{
    memset(fs, 0, sizeof *fs);
    fs->f = f;
    if (ftello(f) < 0) {
        return CRTO_ERR_IO;
    }
    src->arg = fs;
    src->next = file_next;
    src->tell = file_tell;
    src->seek = file_seek;
    return CRTO_OK;
}
