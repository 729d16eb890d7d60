/*
 * fuzz_cassette.c - fuzz the cassette reader and the replay's request matching.
 *
 * The input is a cassette file, optionally followed by a FUZZ_SEPARATOR line and requests, one
 * JSON text per line, replayed in order against it (each a hit, or a miss whose message quotes
 * the first difference: the diff code). Every request line also goes through
 * tl_cassette_strip. tl_cassette_open_replay reads a path, so the file part is written to an
 * unlinked temporary file created once and reached through /proc/self/fd.
 *
 * Then the recorder: the request lines that are JSON are recorded (each with a small response)
 * into a cassette in a temporary directory (a recording is written beside its path and renamed
 * over it when closed, so it needs a real directory: removed when the process exits), which
 * must open for replay and answer each of them in order; a recording of nothing leaves no file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "fuzz.h"
#include "planner/cassette.h"

static int fd = -1;
static char path[64], rec_dir[64], rec_path[96];

static int temp_file(int *out_fd, char *out_path, size_t size)
{
    if (*out_fd >= 0)
        return 0;
    char tmpl[] = "/tmp/fuzz_cassette.XXXXXX";
    *out_fd = mkstemp(tmpl);
    if (*out_fd < 0)
        return -1;
    unlink(tmpl);
    snprintf(out_path, size, "/proc/self/fd/%d", *out_fd);
    return 0;
}

static void remove_rec_dir(void)
{
    unlink(rec_path);
    rmdir(rec_dir);
}

/* The recorder's cassette path, in a directory made on first use. @return 0 or -1. */
static int rec_file(void)
{
    if (rec_path[0])
        return 0;
    snprintf(rec_dir, sizeof rec_dir, "/tmp/fuzz_cassette.XXXXXX");
    if (!mkdtemp(rec_dir))
        return -1;
    snprintf(rec_path, sizeof rec_path, "%s/rec.cassette", rec_dir);
    atexit(remove_rec_dir);
    return 0;
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_cassette: %s: %s\n", what, detail);
    abort();
}

/* Record every request line that records, then replay them all: each must hit. */
static void record_and_replay(const uint8_t *req, size_t req_len)
{
    static const char response[] = "{\"choices\":[]}";
    tl_error err;
    tl_cassette *c = NULL;
    if (rec_file() != 0)
        fail("temporary directory", "mkdtemp");
    unlink(rec_path);
    if (tl_cassette_open_record(&c, rec_path, "fuzz\nrecording", &err) != TL_OK)
        fail("cannot record", err.msg);
    size_t recorded[64], n = 0;
    size_t ends[64];
    for (size_t pos = 0; pos < req_len && n < 64;) {
        const uint8_t *nl = memchr(req + pos, '\n', req_len - pos);
        size_t end = nl ? (size_t)(nl - req) : req_len;
        if (tl_cassette_record(c, (const char *)req + pos, end - pos, response, sizeof response - 1,
                               &err) == TL_OK) {
            recorded[n] = pos;
            ends[n++] = end;
        }
        pos = end + 1;
    }
    if (tl_cassette_finish(c, &err) != TL_OK)
        fail("a recording is not put in place", err.msg);
    c = NULL;
    if (n == 0) {
        if (access(rec_path, F_OK) == 0)
            fail("a recording of nothing", "left a cassette");
        return;
    }
    if (tl_cassette_open_replay(&c, rec_path, &err) != TL_OK)
        fail("a recorded cassette does not open for replay", err.msg);
    tl_buf got;
    tl_buf_init(&got, 0);
    for (size_t i = 0; i < n; i++) {
        tl_buf_clear(&got);
        if (tl_cassette_replay(c, (const char *)req + recorded[i], ends[i] - recorded[i], &got,
                               &err) != TL_OK)
            fail("a recorded request misses on replay", err.msg);
    }
    tl_buf_dispose(&got);
    tl_cassette_close(c);
}

static int write_file(const uint8_t *data, size_t size)
{
    if (temp_file(&fd, path, sizeof path) != 0)
        return -1;
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
    if (req_len)
        record_and_replay(req, req_len);
    return 0;
}
