/*
 * fs.c - file helpers (see fs.h).
 */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int tl_file_read(tl_buf *out, const char *path, size_t max, tl_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tl_error_set(err, TL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (!is_stdin && fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            return tl_error_set(err, TL_EIO, "cannot read %s: it is a directory", path);
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
            close(fd);
            return tl_error_set(err, TL_EIO, "%s is too large (%lld bytes; the limit is %zu)", path,
                                (long long)st.st_size, max);
        }
    }
    size_t start = out->len;
    int rc = TL_OK;
    for (;;) {
        if (out->len - start >= max) {
            char probe;
            ssize_t n = read(fd, &probe, 1);
            if (n > 0)
                rc = tl_error_set(err, TL_EIO, "%s is too large (the limit is %zu bytes)", path,
                                  max);
            break;
        }
        size_t chunk = 65536;
        if (chunk > max - (out->len - start))
            chunk = max - (out->len - start);
        if (tl_buf_reserve(out, chunk) != TL_OK) {
            rc = tl_error_set(err, TL_EIO, "cannot read %s: out of memory", path);
            break;
        }
        ssize_t n = read(fd, out->data + out->len, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = tl_error_set(err, TL_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->data[out->len] = '\0';
    }
    if (!is_stdin)
        close(fd);
    return rc;
}

int tl_file_write(const char *path, const void *data, size_t len, tl_error *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp)
        return tl_error_set(err, TL_EIO, "cannot write %s: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int rc = tl_error_set(err, TL_EIO, "cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int rc = tl_error_set(err, TL_EIO, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return rc;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int rc = tl_error_set(err, TL_EIO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return TL_OK;
}

int tl_mkdir_p(const char *path, tl_error *err)
{
    size_t len = strlen(path);
    char *copy = malloc(len + 1);
    if (!copy)
        return tl_error_set(err, TL_EIO, "cannot create %s: out of memory", path);
    memcpy(copy, path, len + 1);
    int rc = TL_OK;
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
            rc = tl_error_set(err, TL_EIO, "cannot create directory %s: %s", copy, strerror(errno));
            break;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (rc == TL_OK && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = tl_error_set(err, TL_EIO, "cannot create directory %s: a file is in the way", path);
    free(copy);
    return rc;
}

int tl_state_dir(char *out, size_t size, tl_error *err)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/taploop", xdg);
    else if (home && home[0])
        n = snprintf(out, size, "%s/.local/state/taploop", home);
    else
        return tl_error_set(err, TL_EUSAGE, "no state directory: set HOME or XDG_STATE_HOME");
    if (n < 0 || (size_t)n >= size)
        return tl_error_set(err, TL_EUSAGE, "state directory path is too long");
    return tl_mkdir_p(out, err);
}

int tl_file_lock(const char *path, tl_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        tl_error_set(err, TL_EIO, "cannot open lock file %s: %s", path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        tl_error_set(err, TL_EIO, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void tl_file_unlock(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}
