/*
 * cassette.c - recording LLM exchanges into a JSON-lines file and replaying them in order (see
 * cassette.h and SPEC §8).
 *
 * A replaying cassette holds every exchange of the file in memory: the stripped request (as
 * compact JSON), its SHA-256 and the response (compact JSON, tokens as the server sent them).
 * A recording cassette holds the open file and the number of the next exchange; each exchange
 * is written as one line, flushed and fsync'ed at once, into PATH.tmp-<pid>, which is renamed
 * over PATH when the cassette is closed (see cassette.h).
 *
 * The stripped form of a request is the one thing both sides hash: the body parsed by cJSON,
 * every "image_url" URL replaced by "<image>", printed compactly by cJSON. On a miss, the
 * recorded and the new stripped requests are walked side by side to name the first member that
 * differs, and for strings (the listing is one long string) the first line that differs.
 */
#include "planner/cassette.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/utf8.h"

/** Largest cassette file read for replay. */
#define CASSETTE_MAX_FILE ((size_t)1 << 30)

struct exchange {
    char *request;  /* stripped request, compact JSON */
    char sha[65];   /* its SHA-256, hex */
    char *response; /* response body, compact JSON */
};

struct tl_cassette {
    char *path;
    char *tmp; /* recording: the file written, PATH.tmp-<pid>, put at path when closed */
    bool replay;
    FILE *f;     /* recording: the open file (tmp) */
    size_t n;    /* recording: exchanges written; replay: exchanges held */
    size_t next; /* replay: index of the next exchange to answer with */
    struct exchange *ex;
};

/* ---- stripping and hashing -------------------------------------------------------------- */

/* Replace every "image_url" URL below v by "<image>". @return false when out of memory. */
static bool strip_images(cJSON *v)
{
    for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
        if (c->string && strcmp(c->string, "image_url") == 0) {
            if (cJSON_IsString(c)) {
                if (!cJSON_SetValuestring(c, "<image>"))
                    return false;
                continue;
            }
            cJSON *url = cJSON_GetObjectItemCaseSensitive(c, "url");
            if (cJSON_IsString(url) && !cJSON_SetValuestring(url, "<image>"))
                return false;
        }
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && !strip_images(c))
            return false;
    }
    return true;
}

/* Parse a request, strip it, print it compactly. Caller frees *out with free(). */
static int strip_text(const char *request, size_t len, char **out, tl_error *err)
{
    cJSON *root = cJSON_ParseWithLength(request, len);
    if (!root)
        return tl_error_set(err, TL_EPARSE, "the LLM request is not JSON");
    int rc = TL_OK;
    if (!strip_images(root) || !(*out = cJSON_PrintUnformatted(root)))
        rc = tl_error_set(err, TL_ENOMEM, "out of memory stripping the LLM request");
    cJSON_Delete(root);
    return rc;
}

/*
 * true when `s` is already what cJSON_PrintUnformatted would print for it, with no image to
 * strip: no "image_url", no white space or control byte outside strings, string escapes only in
 * cJSON's forms
 * (\" \\ \b \f \n \r \t, and \u00xx in lowercase for other control bytes) and no raw control
 * byte, numbers only as plain integers (cJSON prints integral values with %d). Then the
 * request is its own canonical form and the parse-strip-print round trip (the larger part of a
 * replay's cost at 1,000 elements) is skipped. Any doubt answers false: the slow path is always
 * correct. It checks the form, not that the JSON is valid: only for requests taploop built.
 */
static bool already_canonical(const char *s, size_t n)
{
    static const char key[] = "\"image_url\"";
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_str) {
            if (c == '"') {
                in_str = false;
            } else if (c < 0x20) {
                return false;
            } else if (c == '\\') {
                if (++i >= n)
                    return false;
                char e = s[i];
                if (e == 'u') {
                    if (i + 4 >= n || s[i + 1] != '0' || s[i + 2] != '0' || s[i + 3] < '0' ||
                        s[i + 3] > '1' ||
                        !((s[i + 4] >= '0' && s[i + 4] <= '9') ||
                          (s[i + 4] >= 'a' && s[i + 4] <= 'f')))
                        return false;
                    int v = (s[i + 3] - '0') * 16 +
                            (s[i + 4] <= '9' ? s[i + 4] - '0' : s[i + 4] - 'a' + 10);
                    /* cJSON writes these five with their short escapes */
                    if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t')
                        return false;
                    i += 4;
                } else if (e == '\0' || !strchr("\"\\bfnrt", e)) {
                    return false;
                }
            }
        } else if (c == '"') {
            if (n - i >= sizeof(key) - 1 && memcmp(s + i, key, sizeof(key) - 1) == 0)
                return false;
            in_str = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i + (c == '-');
            if (j >= n || s[j] < '0' || s[j] > '9' ||
                (s[j] == '0' && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9'))
                return false;
            size_t digits = 0;
            while (j < n && s[j] >= '0' && s[j] <= '9') {
                j++;
                digits++;
            }
            if (digits > 9 || (j < n && (s[j] == '.' || s[j] == 'e' || s[j] == 'E')))
                return false; /* beyond int, or not an integer: cJSON may reformat it */
            if (c == '-' && digits == 1 && s[i + 1] == '0')
                return false; /* -0 prints as 0 */
            i = j - 1;
        } else if (c <= ' ') {
            return false; /* cJSON skips every byte up to the space as white space */
        }
    }
    return !in_str;
}

/*
 * tl_cassette_strip() for a request taploop built itself (tl_llm_build_request: valid JSON by
 * construction), with the fast path of already_canonical(). Stored and foreign texts go
 * through tl_cassette_strip(), which parses them.
 */
static int strip_request(const char *request, size_t len, tl_buf *stripped, char sha[65],
                         tl_error *err)
{
    if (!already_canonical(request, len))
        return tl_cassette_strip(request, len, stripped, sha, err);
    tl_sha256_hex(request, len, sha);
    if (stripped && tl_buf_append(stripped, request, len))
        return tl_error_set(err, TL_ENOMEM, "out of memory stripping the LLM request");
    return TL_OK;
}

int tl_cassette_strip(const char *request, size_t len, tl_buf *stripped, char sha256_hex_out[65],
                      tl_error *err)
{
    char *text = NULL;
    int rc = strip_text(request, len, &text, err);
    if (rc)
        return rc;
    size_t n = strlen(text);
    tl_sha256_hex(text, n, sha256_hex_out);
    if (stripped && tl_buf_append(stripped, text, n))
        rc = tl_error_set(err, TL_ENOMEM, "out of memory stripping the LLM request");
    free(text);
    return rc;
}

/*
 * Append a JSON text compactly: white space outside strings is dropped, every token is kept as
 * written (numbers are not reformatted). The text must be valid JSON.
 */
static int put_minified(tl_buf *out, const char *s, size_t n)
{
    int rc = TL_OK;
    bool in_str = false;
    size_t run = 0; /* start of the pending run of bytes to copy */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            rc |= tl_buf_append(out, s + run, i - run);
            run = i + 1;
        }
    }
    if (run < n)
        rc |= tl_buf_append(out, s + run, n - run);
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- opening and closing ---------------------------------------------------------------- */

static tl_cassette *cassette_new(const char *path, bool replay, tl_error *err)
{
    tl_cassette *c = calloc(1, sizeof(*c));
    if (c && !(c->path = tl_strdup(path))) {
        free(c);
        c = NULL;
    }
    if (!c)
        tl_error_set(err, TL_ENOMEM, "out of memory");
    else
        c->replay = replay;
    return c;
}

/*
 * Close a recording's file and put it in place: renamed over its path when it holds an exchange
 * (a run that failed or was interrupted keeps what it recorded), removed when it holds none (a
 * run that never reached the model leaves an older cassette at path as it was).
 */
static int finish_recording(tl_cassette *c, tl_error *err)
{
    int rc = TL_OK;
    if (c->f) {
        if (fflush(c->f) != 0 || fsync(fileno(c->f)) != 0)
            rc = tl_error_set(err, TL_EIO, "cannot write cassette %s: %s", c->tmp, strerror(errno));
        if (fclose(c->f) != 0 && rc == TL_OK)
            rc = tl_error_set(err, TL_EIO, "cannot write cassette %s: %s", c->tmp, strerror(errno));
        c->f = NULL;
    }
    if (!c->tmp)
        return rc;
    if (c->n == 0) {
        unlink(c->tmp);
        return rc;
    }
    if (rename(c->tmp, c->path) != 0)
        return tl_error_set(err, TL_EIO,
                            "cannot rename the recording %s to cassette %s: %s (the recorded "
                            "exchanges stay in %s)",
                            c->tmp, c->path, strerror(errno), c->tmp);
    return rc;
}

int tl_cassette_finish(tl_cassette *c, tl_error *err)
{
    if (!c)
        return TL_OK;
    int rc = c->replay ? TL_OK : finish_recording(c, err);
    for (size_t i = 0; i < c->n && c->ex; i++) {
        free(c->ex[i].request);
        free(c->ex[i].response);
    }
    free(c->ex);
    free(c->tmp);
    free(c->path);
    free(c);
    return rc;
}

void tl_cassette_close(tl_cassette *c)
{
    tl_error err;
    tl_error_clear(&err);
    if (tl_cassette_finish(c, &err) != TL_OK)
        tl_log_error("%s", err.msg);
}

/* Flush the file to the disk. @return TL_OK or TL_EIO. */
static int sync_file(tl_cassette *c, tl_error *err)
{
    if (fflush(c->f) != 0 || fsync(fileno(c->f)) != 0)
        return tl_error_set(err, TL_EIO, "cannot write cassette %s: %s", c->tmp, strerror(errno));
    return TL_OK;
}

int tl_cassette_open_record(tl_cassette **out, const char *path, const char *comment, tl_error *err)
{
    *out = NULL;
    tl_cassette *c = cassette_new(path, false, err);
    if (!c)
        return TL_ENOMEM;
    /* written beside path and renamed over it when closed: a cassette at path stays whole until
     * a new recording replaces it */
    tl_buf tmp;
    tl_buf_init(&tmp, 0);
    if (tl_buf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid()) ||
        !(c->tmp = tl_buf_detach(&tmp, NULL))) {
        tl_buf_dispose(&tmp);
        tl_cassette_finish(c, NULL);
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    tl_buf_dispose(&tmp);
    c->f = fopen(c->tmp, "w");
    if (!c->f) {
        int rc = tl_error_set(err, TL_EIO, "cannot create cassette %s: %s: %s", path, c->tmp,
                              strerror(errno));
        free(c->tmp);
        c->tmp = NULL;
        tl_cassette_finish(c, NULL);
        return rc;
    }
    /* every line of the comment becomes a '#' line */
    for (const char *s = comment; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        fprintf(c->f, "# %.*s\n", (int)n, s);
        s += n + (nl ? 1 : 0);
    }
    int rc = sync_file(c, err);
    if (rc) {
        tl_cassette_finish(c, NULL); /* nothing recorded: the file is removed */
        return rc;
    }
    *out = c;
    return TL_OK;
}

static bool is_hex64(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

/* One exchange line into c->ex[c->n]. */
static int load_line(tl_cassette *c, const char *line, size_t len, size_t lineno, tl_error *err)
{
    cJSON *root = cJSON_ParseWithLength(line, len);
    int rc = TL_OK;
    const char *what = NULL;
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(root, "response");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(root, "request_sha256");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "n");
    if (!root)
        what = "not JSON";
    else if (!cJSON_IsObject(root))
        what = "not a JSON object";
    else if (!cJSON_IsObject(req))
        what = "no \"request\" object";
    else if (!cJSON_IsObject(resp))
        what = "no \"response\" object";
    else if (!cJSON_IsString(sha) || !is_hex64(sha->valuestring))
        what = "no \"request_sha256\" (64 lowercase hex digits)";
    else if (n && !(cJSON_IsNumber(n) && n->valuedouble >= 1))
        what = "its \"n\" is not an exchange number";
    if (what) {
        rc = tl_error_set(err, TL_EPARSE, "cassette %s line %zu: %s (exchange %zu)", c->path,
                          lineno, what, c->n + 1);
        goto done;
    }
    struct exchange *e = &c->ex[c->n];
    e->request = cJSON_PrintUnformatted(req);
    e->response = cJSON_PrintUnformatted(resp);
    if (!e->request || !e->response) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory reading cassette %s", c->path);
        c->n++; /* so that close frees what was allocated */
        goto done;
    }
    /* the stored request is already stripped: strip again in case an image slipped in */
    tl_buf stripped;
    tl_buf_init(&stripped, 0);
    rc = tl_cassette_strip(e->request, strlen(e->request), &stripped, e->sha, err);
    if (rc == TL_OK && strcmp(e->sha, sha->valuestring) != 0)
        rc = tl_error_set(err, TL_EPARSE,
                          "cassette %s line %zu: request_sha256 is not the SHA-256 of the "
                          "request (was the request edited? exchange %zu)",
                          c->path, lineno, c->n + 1);
    if (rc == TL_OK) {
        free(e->request);
        e->request = tl_buf_detach(&stripped, NULL);
        if (!e->request)
            rc = tl_error_set(err, TL_ENOMEM, "out of memory reading cassette %s", c->path);
    }
    tl_buf_dispose(&stripped);
    c->n++;
done:
    cJSON_Delete(root);
    return rc;
}

int tl_cassette_open_replay(tl_cassette **out, const char *path, tl_error *err)
{
    *out = NULL;
    tl_buf file;
    tl_buf_init(&file, 0);
    int rc = tl_file_read(&file, path, CASSETTE_MAX_FILE, err);
    if (rc) {
        tl_buf_dispose(&file);
        return rc;
    }
    tl_cassette *c = cassette_new(path, true, err);
    if (!c) {
        tl_buf_dispose(&file);
        return TL_ENOMEM;
    }
    size_t lines = 1;
    for (size_t i = 0; i < file.len; i++)
        lines += file.data[i] == '\n';
    c->ex = calloc(lines, sizeof(*c->ex));
    if (!c->ex) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory reading cassette %s", path);
        goto done;
    }
    const char *s = file.data ? file.data : "";
    size_t lineno = 0;
    for (size_t pos = 0; pos < file.len && rc == TL_OK;) {
        const char *nl = memchr(s + pos, '\n', file.len - pos);
        size_t end = nl ? (size_t)(nl - s) : file.len;
        size_t a = pos, b = end;
        lineno++;
        pos = end + 1;
        while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
            b--;
        if (a == b || s[a] == '#')
            continue;
        rc = load_line(c, s + a, b - a, lineno, err);
    }
done:
    tl_buf_dispose(&file);
    if (rc) {
        tl_cassette_close(c);
        return rc;
    }
    *out = c;
    return TL_OK;
}

int tl_cassette_replaying(const tl_cassette *c)
{
    return c && c->replay;
}

/* ---- recording -------------------------------------------------------------------------- */

/* The length of the JSON object at the start of s when nothing but white space follows it,
 * else 0: what the "request" and "response" members of a cassette line can hold. */
static size_t object_len(const char *s, size_t n)
{
    const char *end = NULL;
    cJSON *check = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    bool valid = cJSON_IsObject(check) && end;
    cJSON_Delete(check);
    if (!valid)
        return 0;
    for (size_t i = (size_t)(end - s); i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return (size_t)(end - s);
}

int tl_cassette_record(tl_cassette *c, const char *request, size_t len, const char *response,
                       size_t rlen, tl_error *err)
{
    if (c->replay)
        return tl_error_set(err, TL_EUSAGE, "cassette %s is open for replay, not recording",
                            c->path);
    size_t olen = response ? object_len(response, rlen) : 0;
    if (!olen)
        return tl_error_set(err, TL_EPARSE,
                            "cassette %s: the response to record is not a JSON object", c->path);
    rlen = olen; /* only the object is copied into the line */
    /* The fast path of strip_request() checks the form, not the syntax: without this check a
     * request that is not one JSON object would be written into a line that no replay reads. */
    if (!request || !object_len(request, len))
        return tl_error_set(err, TL_EPARSE,
                            "cassette %s: the request to record is not a JSON object", c->path);
    tl_buf line;
    tl_buf_init(&line, 0);
    char sha[65];
    tl_buf stripped;
    tl_buf_init(&stripped, 0);
    int rc = strip_request(request, len, &stripped, sha, err);
    if (rc)
        goto done;
    int w =
        tl_buf_printf(&line, "{\"n\":%zu,\"request_sha256\":\"%s\",\"request\":", c->n + 1, sha);
    w |= tl_buf_append(&line, stripped.data, stripped.len);
    w |= tl_buf_puts(&line, ",\"response\":");
    w |= put_minified(&line, response, rlen);
    w |= tl_buf_puts(&line, "}\n");
    if (w) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory recording into cassette %s", c->path);
        goto done;
    }
    if (fwrite(line.data, 1, line.len, c->f) != line.len) {
        rc = tl_error_set(err, TL_EIO, "cannot write cassette %s: %s", c->tmp, strerror(errno));
        goto done;
    }
    rc = sync_file(c, err);
    if (rc == TL_OK)
        c->n++;
done:
    tl_buf_dispose(&stripped);
    tl_buf_dispose(&line);
    return rc;
}

/* ---- replaying -------------------------------------------------------------------------- */

/* A string for a message: JSON-escaped, at most 160 characters. */
static void put_quoted(tl_buf *out, const char *s, size_t n)
{
    size_t cut = tl_utf8_prefix(s, n, 160);
    tl_json_str(out, s, cut);
    if (cut < n)
        tl_buf_puts(out, "...");
}

/* Where two strings start to differ, backed up to show some context (a character boundary,
 * the same for both, since the bytes before it are equal). 0 when the difference is early. */
static size_t window_start(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    if (i < 120)
        return 0;
    size_t start = i - 60;
    while (start > 0 && ((unsigned char)a[start] & 0xC0) == 0x80)
        start--;
    return start;
}

/* Both sides of a difference: `recorded "...", now "..."`, each cut around where they differ;
 * a NULL side is a line that does not exist. */
static void put_sides(tl_buf *out, const char *a, size_t an, const char *b, size_t bn)
{
    size_t start = a && b ? window_start(a, an, b, bn) : 0;
    tl_buf_puts(out, "recorded ");
    if (a) {
        if (start)
            tl_buf_puts(out, "...");
        put_quoted(out, a + start, an - start);
    } else {
        tl_buf_puts(out, "(no such line)");
    }
    tl_buf_puts(out, ", now ");
    if (b) {
        if (start)
            tl_buf_puts(out, "...");
        put_quoted(out, b + start, bn - start);
    } else {
        tl_buf_puts(out, "(no such line)");
    }
}

/* A short text for a value of any type: strings quoted and cut, containers named. */
static void put_value(tl_buf *out, const cJSON *v)
{
    if (!v) {
        tl_buf_puts(out, "nothing");
    } else if (cJSON_IsString(v)) {
        put_quoted(out, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsObject(v)) {
        tl_buf_puts(out, "an object");
    } else if (cJSON_IsArray(v)) {
        tl_buf_printf(out, "an array of %d", cJSON_GetArraySize(v));
    } else {
        char *t = cJSON_PrintUnformatted(v);
        tl_buf_puts(out, t ? t : "?");
        free(t);
    }
}

/* Line `k` (1-based) of s: its start and length; false when s has fewer lines. */
static bool nth_line(const char *s, size_t k, const char **at, size_t *len)
{
    for (size_t i = 1; i < k; i++) {
        s = strchr(s, '\n');
        if (!s)
            return false;
        s++;
    }
    const char *nl = strchr(s, '\n');
    *at = s;
    *len = nl ? (size_t)(nl - s) : strlen(s);
    return true;
}

/* The difference between two different strings: the first line that differs. */
static void string_diff(tl_buf *out, const char *path, const char *rec, const char *now)
{
    if (!strchr(rec, '\n') && !strchr(now, '\n')) {
        tl_buf_printf(out, "%s differs: ", path);
        put_sides(out, rec, strlen(rec), now, strlen(now));
        return;
    }
    for (size_t k = 1;; k++) {
        const char *a, *b;
        size_t an, bn;
        bool ha = nth_line(rec, k, &a, &an), hb = nth_line(now, k, &b, &bn);
        if (ha && hb && an == bn && memcmp(a, b, an) == 0)
            continue;
        tl_buf_printf(out, "%s differs at line %zu: ", path, k);
        put_sides(out, ha ? a : NULL, ha ? an : 0, hb ? b : NULL, hb ? bn : 0);
        return;
    }
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* Path of member `key` of the value at `path`. */
static void join_key(char *out, size_t size, const char *path, const char *key)
{
    snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", key);
}

/*
 * Describe the first difference between rec and now (at `path`) into out.
 * @return true when a difference was found.
 */
static bool diff(tl_buf *out, const char *path, const cJSON *rec, const cJSON *now)
{
    const char *p = path[0] ? path : "the request";
    int trec = rec->type & 0xFF, tnow = now->type & 0xFF;
    bool both_bool = cJSON_IsBool(rec) && cJSON_IsBool(now);
    if (trec != tnow && !both_bool) {
        tl_buf_printf(out, "%s differs: recorded %s, now %s", p, type_name(rec), type_name(now));
        return true;
    }
    char sub[512];
    if (cJSON_IsObject(rec)) {
        for (const cJSON *c = rec->child; c; c = c->next) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(now, c->string);
            join_key(sub, sizeof(sub), path, c->string);
            if (!o) {
                tl_buf_printf(out, "%s is missing (recorded ", sub);
                put_value(out, c);
                tl_buf_putc(out, ')');
                return true;
            }
            if (diff(out, sub, c, o))
                return true;
        }
        for (const cJSON *c = now->child; c; c = c->next) {
            if (!cJSON_GetObjectItemCaseSensitive(rec, c->string)) {
                join_key(sub, sizeof(sub), path, c->string);
                tl_buf_printf(out, "%s is new (now ", sub);
                put_value(out, c);
                tl_buf_putc(out, ')');
                return true;
            }
        }
        return false;
    }
    if (cJSON_IsArray(rec)) {
        int i = 0;
        const cJSON *a = rec->child, *b = now->child;
        for (; a && b; a = a->next, b = b->next, i++) {
            snprintf(sub, sizeof(sub), "%s[%d]", path, i);
            if (diff(out, sub, a, b))
                return true;
        }
        if (a || b) {
            tl_buf_printf(out, "%s has %d items, recorded %d", p, cJSON_GetArraySize(now),
                          cJSON_GetArraySize(rec));
            return true;
        }
        return false;
    }
    if (cJSON_IsString(rec)) {
        if (strcmp(rec->valuestring, now->valuestring) == 0)
            return false;
        string_diff(out, p, rec->valuestring, now->valuestring);
        return true;
    }
    if ((cJSON_IsNumber(rec) && rec->valuedouble != now->valuedouble) ||
        (both_bool && cJSON_IsTrue(rec) != cJSON_IsTrue(now))) {
        tl_buf_printf(out, "%s differs: recorded ", p);
        put_value(out, rec);
        tl_buf_puts(out, ", now ");
        put_value(out, now);
        return true;
    }
    return false;
}

/* How much of a cassette's path a miss message shows: a longer one keeps its end (the file's
 * name), so that what differed still fits in the message. */
#define MISS_PATH_MAX 200

/* A miss: "cassette miss in PATH: exchange K: WHAT", TL_ENOTFOUND. */
static int miss_error(const tl_cassette *c, size_t k, const char *what, tl_error *err)
{
    size_t n = strlen(c->path);
    const char *shown = c->path;
    if (n > MISS_PATH_MAX) {
        shown = c->path + n - MISS_PATH_MAX;
        while (((unsigned char)*shown & 0xC0) == 0x80)
            shown++;
    }
    return tl_error_set(err, TL_ENOTFOUND, "cassette miss in %s%s: exchange %zu: %s",
                        shown == c->path ? "" : "...", shown, k, what);
}

/* The miss message for exchange e (1-based number k) against the new stripped request. */
static int miss(const tl_cassette *c, const struct exchange *e, size_t k, const char *stripped,
                tl_error *err)
{
    cJSON *rec = cJSON_Parse(e->request);
    cJSON *now = cJSON_Parse(stripped);
    tl_buf d;
    tl_buf_init(&d, TL_ERROR_MSG_MAX * 2);
    if (!rec || !now || !diff(&d, "", rec, now)) {
        tl_buf_clear(&d);
        tl_buf_puts(&d, "the request differs from the recorded one (members in another order)");
    }
    cJSON_Delete(rec);
    cJSON_Delete(now);
    int rc = miss_error(c, k, d.data ? d.data : "", err);
    tl_buf_dispose(&d);
    return rc;
}

int tl_cassette_replay(tl_cassette *c, const char *request, size_t len, tl_buf *response,
                       tl_error *err)
{
    if (!c->replay)
        return tl_error_set(err, TL_EUSAGE, "cassette %s is open for recording, not replay",
                            c->path);
    tl_buf stripped;
    tl_buf_init(&stripped, 0);
    char sha[65];
    int rc = strip_request(request, len, &stripped, sha, err);
    if (rc)
        goto done;
    if (c->next >= c->n) {
        char what[64];
        snprintf(what, sizeof(what), "the cassette has only %zu exchange%s", c->n,
                 c->n == 1 ? "" : "s");
        rc = miss_error(c, c->next + 1, what, err);
        goto done;
    }
    const struct exchange *e = &c->ex[c->next];
    if (strcmp(e->sha, sha) != 0) {
        rc = miss(c, e, c->next + 1, stripped.data, err);
        goto done;
    }
    if (tl_buf_puts(response, e->response)) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory replaying cassette %s", c->path);
        goto done;
    }
    c->next++;
done:
    tl_buf_dispose(&stripped);
    return rc;
}
