/*
 * cassette.h - recording LLM exchanges and replaying them (SPEC §8).
 *
 * A cassette is a JSON-lines file, one exchange per line:
 *   {"n":1,"request_sha256":"<hex>","request":{...},"response":{...}}
 * `request` is the request body with image data left out (every "image_url" URL replaced by
 * "<image>"), `request_sha256` the SHA-256 of that stripped request's compact JSON text, and
 * `response` the response body as the server sent it. Lines may be preceded by comment lines
 * starting with '#' (who recorded it, against what).
 *
 * Replay answers the n-th request with the n-th exchange when the hashes match. Anything else
 * is a miss: TL_ENOTFOUND, "cassette miss in PATH: exchange N: " and what differed (the first
 * differing member, e.g. a line of the listing), which is how a replayed suite notices that the
 * app's UI changed.
 */
#ifndef TL_CASSETTE_H
#define TL_CASSETTE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

typedef struct tl_cassette tl_cassette;

/**
 * Open for recording into `path` (copied): the exchanges are written to `path`.tmp-<pid> in the
 * same directory, which tl_cassette_finish()/tl_cassette_close() rename over `path`, so that a
 * cassette already at `path` stays whole until this recording replaces it (one run per
 * cassette: replay starts from the first exchange). `comment` (may be NULL) is written first as
 * '#' lines. Caller closes *out with tl_cassette_finish() or tl_cassette_close().
 * @return TL_OK; TL_EIO naming the path and the temporary file; TL_ENOMEM.
 */
int tl_cassette_open_record(tl_cassette **out, const char *path, const char *comment,
                            tl_error *err);

/**
 * Open for replay: the whole file is read and checked.
 * @return TL_OK; TL_EIO (unreadable); TL_EPARSE naming the line of a malformed exchange.
 */
int tl_cassette_open_replay(tl_cassette **out, const char *path, tl_error *err);

/** true if the cassette replays (false: it records). */
int tl_cassette_replaying(const tl_cassette *c);

/**
 * Replay: the response body for this request (the next exchange in order), appended to
 * `response`. @return TL_OK; TL_ENOTFOUND on a miss (no exchange left, or the next one's hash
 * differs): "cassette miss in PATH: exchange N: " then what differed (a path longer than 200
 * bytes is shown as "..." and its end).
 */
int tl_cassette_replay(tl_cassette *c, const char *request, size_t len, tl_buf *response,
                       tl_error *err);

/**
 * Record one exchange and flush it to the (temporary) file at once (an interrupted run keeps
 * what it recorded). @return TL_OK, TL_EPARSE (request or response is not one JSON object),
 * TL_EIO naming the file written.
 */
int tl_cassette_record(tl_cassette *c, const char *request, size_t len, const char *response,
                       size_t rlen, tl_error *err);

/**
 * Close and free `c` (NULL is accepted). A recording is flushed and its temporary file renamed
 * over the cassette's path, whether the run succeeded, failed or was interrupted; a recording
 * that holds no exchange is removed instead, leaving whatever was at the path as it was.
 * @return TL_OK; TL_EIO when the file could not be flushed or renamed, naming both paths (the
 *         exchanges then stay in the temporary file). `c` is freed in every case.
 */
int tl_cassette_finish(tl_cassette *c, tl_error *err);

/** tl_cassette_finish() for callers with no use for its error: one is written to stderr. */
void tl_cassette_close(tl_cassette *c);

/**
 * The stripped form of a request body (images replaced) and its SHA-256 hex, as stored.
 * @return TL_OK, TL_EPARSE (not JSON), TL_ENOMEM.
 */
int tl_cassette_strip(const char *request, size_t len, tl_buf *stripped, char sha256_hex[65],
                      tl_error *err);

#endif
