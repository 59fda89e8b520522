/*
 * crto_source_file.c - identifiers read one per line from a seekable file.
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>

#include "crto_port_posix.h"

static crto_err_t file_next(void *arg, const char **text, size_t *len, uint32_t *line)
{
    crto_file_source_t *fs = arg;
    for (;;) {
        size_t n;
        bool blank = true;
        size_t i;
        if (fgets(fs->buf, (int)sizeof fs->buf, fs->f) == NULL) {
            *text = NULL;
            *len = 0;
            return ferror(fs->f) ? CRTO_ERR_IO : CRTO_OK;
        }
        fs->line++;
        n = strlen(fs->buf);
        if (n > 0 && fs->buf[n - 1] == '\n') {
            n--;
        } else if (!feof(fs->f)) {
            /* longer than the buffer: swallow the rest, hand over the start
             * so the normaliser names it as too long */
            int c;
            while ((c = getc(fs->f)) != EOF && c != '\n') {
            }
        }
        for (i = 0; i < n && blank; i++) {
            blank = fs->buf[i] == ' ' || fs->buf[i] == '\t' || fs->buf[i] == '\r';
        }
        if (!blank) {
            *text = fs->buf;
            *len = n;
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
