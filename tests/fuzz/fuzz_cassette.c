/*
 * fuzz_cassette.c - fuzz the cassette reader and the replay's request matching.
 *
 * The input is a cassette file, optionally followed by a FUZZ_SEPARATOR line and requests, one
 * JSON text per line, replayed in order against it (each a hit, or a miss whose message quotes
 * the first difference: the diff code). Every request line also goes through
 * tl_cassette_strip. tl_cassette_open_replay reads a path, so the file part is written to an
 * unlinked temporary file created once and reached through /proc/self/fd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "fuzz.h"
#include "planner/cassette.h"

static int fd = -1;
static char path[64];

static int write_file(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        char tmpl[] = "/tmp/fuzz_cassette.XXXXXX";
        fd = mkstemp(tmpl);
        if (fd < 0)
            return -1;
        unlink(tmpl);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Cassettes of real runs are well under 1 MiB per exchange; larger inputs only slow down. */
    if (size > ((size_t)1 << 20))
        return 0;
    size_t file_len, req_len;
    const uint8_t *req;
    fuzz_split(data, size, &file_len, &req, &req_len);
    if (write_file(data, file_len) != 0) {
        perror("fuzz_cassette: temporary file");
        abort();
    }
    tl_error err;
    tl_cassette *c = NULL;
    int rc = tl_cassette_open_replay(&c, path, &err);
    if (rc == TL_OK && !tl_cassette_replaying(c))
        abort();
    tl_buf response, stripped;
    tl_buf_init(&response, 0);
    tl_buf_init(&stripped, 0);
    size_t pos = 0;
    while (pos < req_len) {
        const uint8_t *nl = memchr(req + pos, '\n', req_len - pos);
        size_t end = nl ? (size_t)(nl - req) : req_len;
        const char *line = (const char *)req + pos;
        size_t len = end - pos;
        char sha[65];
        tl_buf_clear(&stripped);
        tl_cassette_strip(line, len, &stripped, sha, &err);
        if (c) {
            tl_buf_clear(&response);
            tl_cassette_replay(c, line, len, &response, &err);
        }
        pos = end + 1;
    }
    tl_buf_dispose(&response);
    tl_buf_dispose(&stripped);
    tl_cassette_close(c);
    return 0;
}
