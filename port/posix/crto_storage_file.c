/*
 * crto_storage_file.c - a journal in a file, durable with fsync.
 */
#define _GNU_SOURCE /* O_CLOEXEC, flock */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crto_port_posix.h"

static crto_err_t file_read(void *ctx, uint64_t off, uint8_t *buf, size_t len, size_t *got)
{
    crto_file_storage_t *fs = ctx;
    ssize_t n;
    do {
        n = pread(fs->fd, buf, len, (off_t)off);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return CRTO_ERR_IO;
    }
    *got = (size_t)n;
    return CRTO_OK;
}

static crto_err_t file_append(void *ctx, uint64_t off, const uint8_t *buf, size_t len)
{
    crto_file_storage_t *fs = ctx;
    while (len > 0) {
        ssize_t n = pwrite(fs->fd, buf, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return CRTO_ERR_IO;
        }
        buf += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return CRTO_OK;
}

static crto_err_t file_sync(void *ctx)
{
    crto_file_storage_t *fs = ctx;
    return fdatasync(fs->fd) == 0 ? CRTO_OK : CRTO_ERR_IO;
}

static crto_err_t file_truncate(void *ctx, uint64_t size)
{
    crto_file_storage_t *fs = ctx;
    return ftruncate(fs->fd, (off_t)size) == 0 ? CRTO_OK : CRTO_ERR_IO;
}

static crto_err_t file_size(void *ctx, uint64_t *size)
{
    crto_file_storage_t *fs = ctx;
    struct stat st;
    if (fstat(fs->fd, &st) != 0) {
        return CRTO_ERR_IO;
    }
    *size = (uint64_t)st.st_size;
    return CRTO_OK;
}

crto_err_t crto_file_storage_open(crto_file_storage_t *fs, const char *dir, uint64_t capacity, crto_storage_t *storage,
                                  crto_diag_t *diag)
{
    char path[4096];
    struct stat st;
    bool created;

    fs->fd = fs->dir_fd = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return crto_diag_set(diag, CRTO_ERR_IO, "cannot create journal directory %s: %s", dir, strerror(errno));
    }
    if (snprintf(path, sizeof path, "%s/journal.crto", dir) >= (int)sizeof path) {
        return crto_diag_set(diag, CRTO_ERR_IO, "journal directory path too long");
    }
    created = stat(path, &st) != 0;
    fs->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fs->fd < 0) {
        return crto_diag_set(diag, CRTO_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    if (flock(fs->fd, LOCK_EX | LOCK_NB) != 0) {
        close(fs->fd);
        fs->fd = -1;
        return crto_diag_set(diag, CRTO_ERR_CONFIG, "journal busy: another process is using %s", path);
    }
    fs->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (created && fs->dir_fd >= 0) {
        (void)fsync(fs->dir_fd); /* the new file's name must survive a power cut too */
    }
    memset(storage, 0, sizeof *storage);
    storage->ctx = fs;
    storage->read = file_read;
    storage->append = file_append;
    storage->sync = file_sync;
    storage->truncate = file_truncate;
    storage->size = file_size;
    storage->capacity = capacity;
    return CRTO_OK;
}

void crto_file_storage_close(crto_file_storage_t *fs)
{
    if (fs->fd >= 0) {
        close(fs->fd);
    }
    if (fs->dir_fd >= 0) {
        close(fs->dir_fd);
    }
    fs->fd = fs->dir_fd = -1;
}
