/*
 * crto_source_file.c - identifiers read one per line from a seekable file.
 *
 * The file is read a block at a time and lines are cut out with memchr:
 * per line that is a few calls instead of one stdio call per character,
 * which matters because an upload reads every line twice (the sizing pass
 * and the sending pass).
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>

#include "crto_port_posix.h"

static bool blank(char c)
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
        size_t kept = 0, end;
        bool started = false, too_long = false, any = false, newline = false;
        while (!newline) {
            const char *p, *nl;
            size_t seg, i = 0, take;
            if (fs->blk_pos == fs->blk_len) {
                size_t n = fread(fs->blk, 1, sizeof fs->blk, fs->f);
                if (n == 0) {
                    if (ferror(fs->f)) {
                        return CRTO_ERR_IO;
                    }
                    break; /* the end of the file ends the line too */
                }
                fs->blk_pos = 0;
                fs->blk_len = n;
            }
            p = fs->blk + fs->blk_pos;
            nl = memchr(p, '\n', fs->blk_len - fs->blk_pos);
            seg = nl != NULL ? (size_t)(nl - p) : fs->blk_len - fs->blk_pos;
            fs->blk_pos += seg + (nl != NULL ? 1u : 0u);
            newline = nl != NULL;
            any = any || seg > 0;
            if (!started) {
                while (i < seg && blank(p[i])) {
                    i++;
                }
                started = i < seg;
            }
            take = seg - i;
            if (take > sizeof fs->buf - kept) {
                size_t k;
                take = sizeof fs->buf - kept;
                for (k = i + take; k < seg && !too_long; k++) {
                    too_long = !blank(p[k]); /* white space past the buffer is fine */
                }
            }
            memcpy(fs->buf + kept, p + i, take);
            kept += take;
        }
        if (!newline && !any) {
            *text = NULL;
            *len = 0;
            return CRTO_OK;
        }
        fs->line++;
        if (too_long) {
            *line = fs->line;
            return CRTO_ERR_TOO_LARGE;
        }
        end = kept;
        while (end > 0 && blank(fs->buf[end - 1])) {
            end--;
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
    if (off < 0 || (uint64_t)off < fs->blk_len - fs->blk_pos) {
        return CRTO_ERR_IO;
    }
    pos->offset = (uint64_t)off - (fs->blk_len - fs->blk_pos); /* read ahead, not yet taken */
    pos->line = fs->line;
    return CRTO_OK;
}

static crto_err_t file_seek(void *arg, const crto_source_pos_t *pos)
{
    crto_file_source_t *fs = arg;
    if (fseeko(fs->f, (off_t)pos->offset, SEEK_SET) != 0) {
        return CRTO_ERR_IO;
    }
    fs->blk_pos = fs->blk_len = 0;
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
