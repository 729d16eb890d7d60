/*
 * http.c - the shared HTTP layer (see http.h): libcurl, retries with backoff, error messages
 * without secrets.
 *
 * A tl_http owns one libcurl easy handle and a private multi handle that drives it. The multi
 * handle holds the connection and DNS caches (so successive requests reuse their connection)
 * and lets the transfer loop wake every 50 ms to look at the cancel flag: a canceled request
 * returns within that time even while the server says nothing, instead of the ~1 s libcurl's
 * own progress callback needs when a transfer is idle.
 *
 * tl_http_send() makes up to max_attempts attempts. Each one ends in an `outcome`: TL_OK when
 * an HTTP response arrived (whatever its status), otherwise the status code of the failure;
 * whether another attempt is worth making; and the cause in words ("connection refused",
 * "503 Service Unavailable"). Between attempts it sleeps in slices of at most 50 ms, watching
 * the cancel flag and the deadline. The one message, written at the end, names the endpoint,
 * the method, the redacted URL, the cause and the number of attempts; header values and the
 * request body are never formatted anywhere in this file.
 *
 * Every easy handle is attached to one process-wide share handle (created with libcurl's global
 * initialisation) holding the DNS and TLS session caches, each guarded by its own mutex.
 *
 * A transfer waits in curl_multi_poll without waking up to look at its cancel flag: one watcher
 * thread looks at the flags of all transfers in flight every SLICE_MS and wakes the canceled
 * ones (curl_multi_wakeup), so hundreds of idle transfers cost no CPU.
 *
 * A tl_http_throttle is a counting semaphore (mutex + condition variable on the monotonic
 * clock) plus a "paused until" time: an attempt through it first waits, in slices of SLICE_MS
 * so that the cancel flag is seen, until a slot is free and the pause is over; a 429 answer
 * pushes the pause forward for everyone.
 *
 * Requests that may change something on the server (a body, or POST/PATCH) are retried after a
 * transport failure only when the request never reached the server (connection refused, DNS,
 * send errors): a timeout, a reset or a truncated answer after the request was sent may mean
 * it was acted upon. 429 and 5xx answers are retried for every method: the server said it did
 * not do the work.
 */
#include "core/clock.h"
#include "core/http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/utf8.h"

/* Longest wait between two looks at the cancel flag. */
#define SLICE_MS 50

/* Longest wait in curl_multi_poll when the watcher wakes the transfer on cancel (a safety net:
 * libcurl's own timers still cap each wait). */
#define WATCHED_POLL_MS 1000

/* Longest Retry-After taken into account (then capped by max_backoff_ms anyway). */
#define RETRY_AFTER_MAX_S 86400L

/* Room for a redacted URL and an endpoint name in messages. */
#define URL_MAX      320
#define ENDPOINT_MAX 64

/* Length of a body excerpt in tl_http_check's messages, in characters. */
#define EXCERPT_CHARS     200
#define EXCERPT_SIZE      (EXCERPT_CHARS * 5 + 8) /* 4 bytes a character, a space between each */
#define EXCERPT_SCRUB_MAX (64 * 1024)             /* bytes of a body scrubbed for its excerpt */

/* Bodies larger than this are not parsed as JSON for an excerpt (their start is shown). */
#define EXCERPT_PARSE_MAX ((size_t)256 << 10)

struct tl_http {
    CURL *easy;
    CURLM *multi;
    volatile sig_atomic_t *cancel;
    uint64_t rng; /* splitmix64 state, for the jitter */
    char errbuf[CURL_ERROR_SIZE];
    tl_http *watch_prev, *watch_next; /* in the watched list while a transfer runs */
    bool woken;                       /* the watcher has woken this transfer */
};

/* One request's settings, defaults applied, and what its messages say about it. */
typedef struct call {
    const char *method;
    char url[URL_MAX]; /* redacted */
    char endpoint[ENDPOINT_MAX];
    bool unsafe; /* may change server state: not retried once the server has it */
    long connect_timeout_ms, timeout_ms, backoff_ms, max_backoff_ms, deadline_ms;
    size_t max_response;
    int max_attempts;
    long long start_ms;
    struct curl_slist *headers;
} call;

/* A retry is only started when at least this much of the deadline is left. */
#define MIN_ATTEMPT_MS 50

/* One attempt's state, as the libcurl callbacks see it. */
typedef struct xfer {
    tl_http *h;
    tl_buf *body;
    size_t max;
    bool over_cap;
    bool oom;
    long retry_after_ms; /* -1: no Retry-After */
} xfer;

/* How an attempt ended. */
typedef struct outcome {
    int code;            /* TL_OK: an HTTP response arrived (any status) */
    bool retry;          /* another attempt may succeed */
    bool deadline;       /* deadline_ms stopped the retries (set by tl_http_send) */
    long status;         /* HTTP status, 0 if none */
    long retry_after_ms; /* -1: none */
    char cause[192];
} outcome;

/* ---- small helpers -------------------------------------------------------------------------- */

static bool canceled(const tl_http *h)
{
    return h->cancel && *h->cancel != 0;
}

/* splitmix64: a per-client generator, so that no global rand() state is shared by threads. */
static uint64_t next_random(tl_http *h)
{
    uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double random_unit(tl_http *h)
{
    return (double)(next_random(h) >> 11) * (1.0 / 9007199254740992.0);
}

/* Seconds for messages: "0.3", "10", "120". */
static void format_seconds(char *out, size_t size, long ms)
{
    snprintf(out, size, "%g", (double)ms / 1000.0);
}

/* Copy at most max bytes of s into out as one printable line (controls and non-ASCII bytes
 * become '?'), for texts libcurl produced. */
static void copy_printable(char *out, size_t size, const char *s, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < max && s[i] && o + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (size)
        out[o] = '\0';
}

const char *tl_http_reason(long status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 425: return "Too Early";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 529: return "Overloaded";
    default: break;
    }
    if (status >= 500 && status < 600)
        return "Server Error";
    if (status >= 400 && status < 500)
        return "Client Error";
    return "";
}

/* "503 Service Unavailable", or "299" for a status without a known phrase. */
static void format_status(char *out, size_t size, long status)
{
    const char *phrase = tl_http_reason(status);
    snprintf(out, size, "%ld%s%s", status, *phrase ? " " : "", phrase);
}

static bool retryable_status(long status)
{
    return status == 429 || (status >= 500 && status < 600);
}

/* ---- URLs ----------------------------------------------------------------------------------- */

void tl_http_redact_url(const char *url, char *out, size_t size)
{
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (!url)
        return;
    const char *scheme_end = strstr(url, "://");
    size_t auth = scheme_end ? (size_t)(scheme_end - url) + 3 : 0;
    /* A "://" after the path starts (e.g. in the query) is not a scheme separator. */
    if (scheme_end && strcspn(url, "/?#") < (size_t)(scheme_end - url))
        auth = 0;
    size_t auth_end = auth + strcspn(url + auth, "/?#");
    size_t host = auth;
    for (size_t i = auth; i < auth_end; i++)
        if (url[i] == '@')
            host = i + 1;
    size_t end = auth_end + strcspn(url + auth_end, "?#");

    size_t o = 0;
    for (size_t i = 0; i < end && o + 1 < size; i++) {
        if (i >= auth && i < host)
            continue; /* user:password@ */
        unsigned char c = (unsigned char)url[i];
        out[o++] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[o] = '\0';
}

/* The host[:port] of a redacted URL, for messages when no endpoint name is given. */
static void host_of(const char *redacted, char *out, size_t size)
{
    const char *p = strstr(redacted, "://");
    p = p ? p + 3 : redacted;
    size_t n = strcspn(p, "/");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static bool scheme_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* A method is an HTTP token of capital letters (what the servers we talk to accept). */
static bool method_ok(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

/* ---- responses ------------------------------------------------------------------------------ */

void tl_http_response_init(tl_http_response *r)
{
    r->status = 0;
    tl_buf_init(&r->body, 0);
    r->content_type[0] = '\0';
    r->attempts = 0;
    r->elapsed_ms = 0;
    r->retry_after_ms = -1;
}

void tl_http_response_dispose(tl_http_response *r)
{
    if (!r)
        return;
    tl_buf_dispose(&r->body);
    r->status = 0;
    r->content_type[0] = '\0';
}

/* ---- clients -------------------------------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

/* The process-wide share handle (DNS and TLS session caches) and one mutex per kind of data
 * libcurl asks to lock. NULL when it could not be set up: every client then keeps its own. */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *payload)
{
    (void)handle;
    (void)access;
    (void)payload;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *payload)
{
    (void)handle;
    (void)payload;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&share_locks[data]);
}

/* TAPLOOP_HTTP_TIMEOUT_MS, read once by global_init_once: a cap on every attempt's connect and
 * total timeouts (0: none); timeout_env_bad when the variable is set but not a number of
 * milliseconds in range (its start kept for the message: it is no secret). */
static long timeout_cap_ms;
static bool timeout_env_bad;
static char timeout_env_text[40];

static void read_timeout_env(void)
{
    const char *v = getenv(TL_HTTP_TIMEOUT_ENV);
    if (!v || !v[0])
        return;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < TL_HTTP_TIMEOUT_ENV_MIN || ms > TL_HTTP_TIMEOUT_ENV_MAX) {
        timeout_env_bad = true;
        copy_printable(timeout_env_text, sizeof(timeout_env_text), v, sizeof(timeout_env_text) - 1);
        return;
    }
    timeout_cap_ms = ms;
}

static void global_init_once(void)
{
    read_timeout_env();
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (global_rc != CURLE_OK)
        return;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_locks[i], NULL);
    CURLSH *sh = curl_share_init();
    if (!sh)
        return;
    /* Sharing is an optimisation: a libcurl that refuses an option still works without it. */
    bool ok = curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock) == CURLSHE_OK &&
              curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock) == CURLSHE_OK &&
              curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK;
    if (ok)
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (ok)
        share = sh;
    else
        curl_share_cleanup(sh);
}

int tl_http_global_init(tl_error *err)
{
    pthread_once(&global_once, global_init_once);
    if (global_rc != CURLE_OK)
        return tl_error_set(err, TL_ENOMEM, "libcurl initialisation failed: %s",
                            curl_easy_strerror(global_rc));
    if (timeout_env_bad)
        return tl_error_set(err, TL_EUSAGE, "%s must be milliseconds (%ld..%ld), not '%s'",
                            TL_HTTP_TIMEOUT_ENV, (long)TL_HTTP_TIMEOUT_ENV_MIN,
                            (long)TL_HTTP_TIMEOUT_ENV_MAX, timeout_env_text);
    return TL_OK;
}

tl_http *tl_http_new(volatile sig_atomic_t *cancel, tl_error *err)
{
    int rc = tl_http_global_init(err);
    if (rc != TL_OK)
        return NULL;
    tl_http *h = calloc(1, sizeof(*h));
    if (!h) {
        tl_error_set(err, TL_ENOMEM, "out of memory creating an HTTP client");
        return NULL;
    }
    h->cancel = cancel;
    h->easy = curl_easy_init();
    h->multi = curl_multi_init();
    if (!h->easy || !h->multi) {
        tl_error_set(err, TL_ENOMEM, "out of memory creating an HTTP client (libcurl)");
        tl_http_free(h);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->rng = ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
             ((uint64_t)(uintptr_t)h << 16) ^ (uint64_t)tl_now_ms();
    return h;
}

void tl_http_free(tl_http *h)
{
    if (!h)
        return;
    if (h->multi)
        curl_multi_cleanup(h->multi); /* closes the cached connections */
    if (h->easy)
        curl_easy_cleanup(h->easy);
    free(h);
}

/* ---- libcurl callbacks ---------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
    xfer *x = payload;
    size_t len = size * n;
    if (len > x->max - x->body->len) {
        x->over_cap = true;
        return 0; /* anything but len aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (tl_buf_append(x->body, data, len) != TL_OK) {
        x->oom = true;
        return 0;
    }
    return len;
}

/* Retry-After: delay-seconds or an HTTP-date. @return milliseconds, or -1 if unreadable. */
static long parse_retry_after(const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    char text[64];
    if (n == 0 || n >= sizeof(text))
        return -1;
    memcpy(text, v, n);
    text[n] = '\0';
    long seconds = 0;
    if (strspn(text, "0123456789") == n) {
        for (size_t i = 0; i < n && seconds <= RETRY_AFTER_MAX_S; i++)
            seconds = seconds * 10 + (text[i] - '0');
    } else {
        time_t when = curl_getdate(text, NULL);
        if (when == (time_t)-1)
            return -1;
        double delta = difftime(when, time(NULL));
        seconds = delta <= 0 ? 0 : delta > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)delta;
    }
    if (seconds > RETRY_AFTER_MAX_S)
        seconds = RETRY_AFTER_MAX_S;
    return seconds * 1000;
}

static size_t on_header(char *line, size_t size, size_t n, void *payload)
{
    xfer *x = payload;
    size_t len = size * n;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
        x->retry_after_ms = -1; /* a new response (after a 100 Continue, say) */
    else if (len > 12 && strncasecmp(line, "Retry-After:", 12) == 0)
        x->retry_after_ms = parse_retry_after(line + 12, len - 12);
    return len;
}

static int on_progress(void *payload, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const xfer *x = payload;
    return canceled(x->h) ? 1 : 0;
}

/* ---- one attempt ---------------------------------------------------------------------------- */

/* Set the options that are the same for every attempt of a request. */
static CURLcode configure(tl_http *h, const tl_http_request *req, const call *c, xfer *x)
{
    CURL *e = h->easy;
    CURLcode rc = CURLE_OK;
    curl_easy_reset(e); /* keeps the connection, DNS and TLS session caches */
#define SET(opt, val)                           \
    do {                                        \
        if (rc == CURLE_OK)                     \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (share)
        SET(CURLOPT_SHARE, share);
    /* curl_off_t is 64-bit wherever libcurl builds; a cap beyond that is no cap. */
    curl_off_t max_file =
        (curl_off_t)(c->max_response < (size_t)INT64_MAX ? c->max_response : (size_t)INT64_MAX);
    SET(CURLOPT_MAXFILESIZE_LARGE, max_file);
    SET(CURLOPT_HTTPHEADER, c->headers);
#ifdef TAPLOOP_VERSION
    SET(CURLOPT_USERAGENT, "taploop/" TAPLOOP_VERSION);
#endif
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, x);

    const char *m = c->method;
    if (strcmp(m, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (req->body || strcmp(m, "POST") == 0) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(m, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, m);
    } else if (strcmp(m, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else {
        SET(CURLOPT_CUSTOMREQUEST, m);
    }
#undef SET
    return rc;
}

/* ---- the cancel watcher ---------------------------------------------------------------------
 * A transfer waits in curl_multi_poll. Rather than every waiting thread waking each SLICE_MS to
 * look at its cancel flag (with hundreds of jobs in a batch, tens of thousands of wake-ups a
 * second, each a curl_multi_perform and a poll), one watcher thread looks at the flags of the
 * transfers in flight every SLICE_MS and wakes (curl_multi_wakeup) those whose flag is set. */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv; /* initialised by watcher_start (monotonic clock) */
static tl_http *watch_head;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;
static bool watcher_running;
static bool watch_stop; /* set at exit: the watcher returns and is joined */
static pthread_t watch_thread;

static void *watcher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watch_mu);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!watch_stop) {
        next.tv_nsec += SLICE_MS * 1000000L;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        while (!watch_stop && pthread_cond_timedwait(&watch_cv, &watch_mu, &next) == 0) {
        }
        for (tl_http *h = watch_head; h && !watch_stop; h = h->watch_next) {
            if (!h->woken && canceled(h)) {
                h->woken = true;
                curl_multi_wakeup(h->multi);
            }
        }
    }
    pthread_mutex_unlock(&watch_mu);
    return NULL;
}

/* At exit: stop the watcher and join it, so that nothing of it is left behind. Transfers
 * still in flight on other threads then look at their flags themselves (watcher_running is
 * false). */
static void watcher_exit(void)
{
    pthread_mutex_lock(&watch_mu);
    watch_stop = true;
    watcher_running = false;
    pthread_cond_signal(&watch_cv);
    pthread_mutex_unlock(&watch_mu);
    pthread_join(watch_thread, NULL);
}

static void watcher_start(void)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&watch_cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    pthread_attr_t attr;
    if (!ok || pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setstacksize(&attr, (size_t)64 << 10);
    watcher_running = pthread_create(&watch_thread, &attr, watcher, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (watcher_running && atexit(watcher_exit) != 0) {
        /* cannot join it at exit: let it go, it only reads the list under the lock */
        pthread_detach(watch_thread);
    }
}

/* Put a transfer under the watcher. @return false when there is no watcher (the caller then
 * looks at the flag itself every SLICE_MS). */
static bool watch(tl_http *h)
{
    if (!h->cancel)
        return true; /* nothing to watch: no slice needed either */
    pthread_once(&watch_once, watcher_start);
    pthread_mutex_lock(&watch_mu);
    if (!watcher_running) {
        pthread_mutex_unlock(&watch_mu);
        return false;
    }
    h->woken = false;
    h->watch_prev = NULL;
    h->watch_next = watch_head;
    if (watch_head)
        watch_head->watch_prev = h;
    watch_head = h;
    pthread_mutex_unlock(&watch_mu);
    return true;
}

static void unwatch(tl_http *h)
{
    if (!h->cancel)
        return;
    pthread_mutex_lock(&watch_mu);
    if (!h->watch_prev && watch_head != h) { /* not in the list (no watcher) */
        pthread_mutex_unlock(&watch_mu);
        return;
    }
    if (h->watch_prev)
        h->watch_prev->watch_next = h->watch_next;
    else
        watch_head = h->watch_next;
    if (h->watch_next)
        h->watch_next->watch_prev = h->watch_prev;
    h->watch_prev = h->watch_next = NULL;
    pthread_mutex_unlock(&watch_mu);
}

/* Drive the transfer to its end, looking at the cancel flag after every wake-up: at least
 * every SLICE_MS without the watcher, and when the watcher sees the flag set with it. */
static CURLcode run_transfer(tl_http *h)
{
    if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK)
        return CURLE_OUT_OF_MEMORY;
    int slice = watch(h) ? WATCHED_POLL_MS : SLICE_MS;
    CURLcode rc = CURLE_OK;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
            rc = CURLE_OUT_OF_MEMORY;
            break;
        }
        bool done = false;
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                rc = msg->data.result;
                done = true;
            }
        }
        if (done)
            break;
        if (canceled(h)) {
            rc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (running == 0) { /* cannot happen without a CURLMSG_DONE; do not spin */
            rc = CURLE_FAILED_INIT;
            break;
        }
        if (curl_multi_poll(h->multi, NULL, 0, slice, NULL) != CURLM_OK) {
            rc = CURLE_OUT_OF_MEMORY;
            break;
        }
    }
    unwatch(h);
    curl_multi_remove_handle(h->multi, h->easy);
    return rc;
}

/* Why a connection could not be made, from the socket's errno. (CURLINFO_OS_ERRNO is only
 * fresh after a connect failure: libcurl does not reset it between transfers.) */
static void connect_cause(tl_http *h, outcome *o)
{
    long os_errno = 0;
    curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &os_errno);
    const char *why = "could not connect";
    switch (os_errno) {
    case ECONNREFUSED: why = "connection refused"; break;
    case ECONNRESET: why = "connection reset by peer"; break;
    case ENETUNREACH: why = "network unreachable"; break;
    case EHOSTUNREACH: why = "host unreachable"; break;
    case ETIMEDOUT: why = "connection timed out"; break;
    default: break;
    }
    snprintf(o->cause, sizeof(o->cause), "%s", why);
}

/* A failure on an established connection, from libcurl's words (which name no URL). */
static void io_cause(tl_http *h, outcome *o, const char *what)
{
    if (strstr(h->errbuf, "reset by peer"))
        snprintf(o->cause, sizeof(o->cause), "connection reset by peer");
    else if (strstr(h->errbuf, "Broken pipe"))
        snprintf(o->cause, sizeof(o->cause), "connection closed by peer");
    else if (h->errbuf[0]) {
        char text[128];
        copy_printable(text, sizeof(text), h->errbuf, 120);
        snprintf(o->cause, sizeof(o->cause), "%s: %s", what, text);
    } else
        snprintf(o->cause, sizeof(o->cause), "%s", what);
}

/* Turn a finished attempt into an outcome. `attempt_ms` is the attempt's timeout. */
static void classify(tl_http *h, const call *c, CURLcode cc, const xfer *x, long attempt_ms,
                     outcome *o)
{
    o->code = TL_ENET;
    o->retry = false;
    o->status = 0;
    o->retry_after_ms = x->retry_after_ms;
    o->cause[0] = '\0';
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &o->status);

    if (cc == CURLE_OK) {
        o->code = TL_OK;
        o->retry = retryable_status(o->status);
        format_status(o->cause, sizeof(o->cause), o->status);
        return;
    }

    /* Whether the server may have the request: libcurl counts the request bytes it sent. */
    long request_size = 0;
    curl_easy_getinfo(h->easy, CURLINFO_REQUEST_SIZE, &request_size);
    bool sent = request_size > 0;
    bool transient = false;
    char secs[32];
    format_seconds(secs, sizeof(secs), attempt_ms);
    char tls[128];
    copy_printable(tls, sizeof(tls), h->errbuf, 120);

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        snprintf(o->cause, sizeof(o->cause), "could not resolve the %s name",
                 cc == CURLE_COULDNT_RESOLVE_HOST ? "host" : "proxy");
        transient = true;
        sent = false;
        break;
    case CURLE_COULDNT_CONNECT:
        connect_cause(h, o);
        transient = true;
        sent = false;
        break;
    case CURLE_SEND_ERROR:
        io_cause(h, o, "could not send the request");
        transient = true;
        sent = false; /* the server does not have the whole request */
        break;
    case CURLE_RECV_ERROR:
        io_cause(h, o, "could not read the response");
        transient = true;
        break;
    case CURLE_GOT_NOTHING:
        snprintf(o->cause, sizeof(o->cause), "connection closed without a response");
        transient = true;
        break;
    case CURLE_PARTIAL_FILE: {
        curl_off_t got = 0, expected = -1;
        curl_easy_getinfo(h->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        curl_easy_getinfo(h->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
        if (expected >= 0)
            snprintf(o->cause, sizeof(o->cause),
                     "response truncated: connection closed after %lld of %lld bytes",
                     (long long)got, (long long)expected);
        else
            snprintf(o->cause, sizeof(o->cause),
                     "response truncated: connection closed after %lld bytes", (long long)got);
        transient = true;
        sent = true;
        break;
    }
    case CURLE_OPERATION_TIMEDOUT:
        o->code = TL_ETIMEOUT;
        snprintf(o->cause, sizeof(o->cause), "timed out after %s s%s", secs,
                 sent ? "" : " (connecting)");
        transient = true;
        break;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (x->oom) {
            o->code = TL_ENOMEM;
            snprintf(o->cause, sizeof(o->cause), "out of memory reading the response");
        } else {
            o->code = TL_EBADRESP;
            snprintf(o->cause, sizeof(o->cause), "response larger than the %zu-byte limit",
                     c->max_response);
        }
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        o->code = TL_ECANCELED;
        snprintf(o->cause, sizeof(o->cause), "canceled");
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        o->code = TL_EUSAGE;
        snprintf(o->cause, sizeof(o->cause), "invalid URL");
        break;
    case CURLE_OUT_OF_MEMORY:
        o->code = TL_ENOMEM;
        snprintf(o->cause, sizeof(o->cause), "out of memory");
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(o->cause, sizeof(o->cause), "TLS handshake failed: %s", tls);
        transient = true;
        sent = false;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        snprintf(o->cause, sizeof(o->cause), "TLS certificate not accepted: %s", tls);
        break;
    case CURLE_BAD_CONTENT_ENCODING:
        o->code = TL_EBADRESP;
        snprintf(o->cause, sizeof(o->cause), "response body could not be decoded");
        break;
    case CURLE_WEIRD_SERVER_REPLY:
        o->code = TL_EBADRESP;
        snprintf(o->cause, sizeof(o->cause), "malformed HTTP response");
        break;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        snprintf(o->cause, sizeof(o->cause), "HTTP/2 stream error");
        transient = true;
        break;
    default: snprintf(o->cause, sizeof(o->cause), "%s", curl_easy_strerror(cc)); break;
    }
    o->retry = transient && !(c->unsafe && sent);
}

/* ---- the request ---------------------------------------------------------------------------- */

/* Copy the caller's header lines into a libcurl list, refusing line breaks (they would let a
 * value inject headers). Only the header's name can appear in a message. */
static int build_headers(const tl_http_request *req, call *c, tl_error *err)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        const char *line = req->headers[i];
        if (strpbrk(line, "\r\n")) {
            int name_len = (int)strcspn(line, ":\r\n");
            if (name_len > 40)
                name_len = 40;
            c->headers = list;
            return tl_error_set(err, TL_EUSAGE, "%s: %s %s: header %.*s contains a line break",
                                c->endpoint, c->method, c->url, name_len, line);
        }
        struct curl_slist *next = curl_slist_append(list, line);
        if (!next) {
            c->headers = list;
            return tl_error_set(err, TL_ENOMEM, "%s: %s %s: out of memory", c->endpoint, c->method,
                                c->url);
        }
        list = next;
    }
    /* No "Expect: 100-continue" round trip for larger bodies. */
    struct curl_slist *next = curl_slist_append(list, "Expect:");
    c->headers = next ? next : list;
    if (!next)
        return tl_error_set(err, TL_ENOMEM, "%s: %s %s: out of memory", c->endpoint, c->method,
                            c->url);
    return TL_OK;
}

/* Free the header list, zeroing the copies of the values first (they hold credentials). */
static void free_headers(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next) {
        volatile char *p = l->data;
        while (*p)
            *p++ = 0;
    }
    curl_slist_free_all(list);
}

/* Fill `c` from the request, defaults applied. @return TL_OK or TL_EUSAGE. */
static int prepare(const tl_http_request *req, call *c, tl_error *err)
{
    memset(c, 0, sizeof(*c));
    c->method = req->method ? req->method : "GET";
    tl_http_redact_url(req->url, c->url, sizeof(c->url));
    if (req->endpoint)
        snprintf(c->endpoint, sizeof(c->endpoint), "%s", req->endpoint);
    else
        host_of(c->url, c->endpoint, sizeof(c->endpoint));
    if (!method_ok(c->method))
        return tl_error_set(err, TL_EUSAGE, "%s: %s: invalid HTTP method", c->endpoint, c->url);
    if (!scheme_ok(req->url))
        return tl_error_set(err, TL_EUSAGE, "%s: %s %s: not an http:// or https:// URL",
                            c->endpoint, c->method, c->url);
    c->unsafe = !req->idempotent && (req->body != NULL || strcmp(c->method, "POST") == 0 ||
                                     strcmp(c->method, "PATCH") == 0);
    c->connect_timeout_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : TL_HTTP_CONNECT_TIMEOUT_MS;
    c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : TL_HTTP_TIMEOUT_MS;
    if (timeout_cap_ms > 0 && c->timeout_ms > timeout_cap_ms)
        c->timeout_ms = timeout_cap_ms;
    if (timeout_cap_ms > 0 && c->connect_timeout_ms > timeout_cap_ms)
        c->connect_timeout_ms = timeout_cap_ms;
    c->max_response = req->max_response > 0 ? req->max_response : TL_HTTP_MAX_RESPONSE;
    c->max_attempts = req->max_attempts > 0 ? req->max_attempts : TL_HTTP_MAX_ATTEMPTS;
    c->backoff_ms = req->backoff_ms > 0 ? req->backoff_ms : TL_HTTP_BACKOFF_MS;
    c->max_backoff_ms = req->max_backoff_ms > 0 ? req->max_backoff_ms : TL_HTTP_MAX_BACKOFF_MS;
    c->deadline_ms = req->deadline_ms > 0 ? req->deadline_ms : 0;
    return TL_OK;
}

/* The wait after `attempts` attempts: base * 2^(attempts-1), +-25%, at least Retry-After, at
 * most max_backoff_ms (tl_http_send does not retry when Retry-After is longer than that). */
static long backoff_wait(tl_http *h, const call *c, int attempts, long retry_after_ms)
{
    double w = (double)c->backoff_ms;
    for (int i = 1; i < attempts && w < (double)c->max_backoff_ms; i++)
        w *= 2;
    w *= 0.75 + 0.5 * random_unit(h);
    if (retry_after_ms >= 0 && w < (double)retry_after_ms)
        w = (double)retry_after_ms;
    if (w > (double)c->max_backoff_ms)
        w = (double)c->max_backoff_ms;
    return (long)w;
}

static void copy_content_type(tl_http *h, tl_http_response *resp)
{
    char *ct = NULL;
    resp->content_type[0] = '\0';
    if (curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        copy_printable(resp->content_type, sizeof(resp->content_type), ct,
                       sizeof(resp->content_type) - 1);
}

/* Write the message of a failed request. @return o->code, or TL_ETIMEOUT for the deadline. */
static int fail(const call *c, const outcome *o, int attempts, tl_error *err)
{
    const char *plural = attempts == 1 ? "" : "s";
    if (o->deadline) {
        char secs[32];
        format_seconds(secs, sizeof(secs), c->deadline_ms);
        return tl_error_set(err, TL_ETIMEOUT,
                            "%s: %s %s: deadline of %s s exceeded, last attempt: %s (after %d "
                            "attempt%s)",
                            c->endpoint, c->method, c->url, secs, o->cause, attempts, plural);
    }
    return tl_error_set(err, o->code, "%s: %s %s: %s (after %d attempt%s)", c->endpoint, c->method,
                        c->url, o->code == TL_ECANCELED ? "canceled" : o->cause, attempts, plural);
}

/* ---- throttles ------------------------------------------------------------------------------ */

struct tl_http_throttle {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a slot frees or the pause changes */
    int max;           /* 0: no cap */
    int in_flight, peak;
    long long pause_until; /* tl_now_ms() time before which no attempt starts */
    long attempts, waits, pauses;
};

tl_http_throttle *tl_http_throttle_new(int max_in_flight, tl_error *err)
{
    if (max_in_flight < 0) {
        tl_error_set(err, TL_EUSAGE, "a throttle's cap must be 0 (none) or more, not %d",
                     max_in_flight);
        return NULL;
    }
    tl_http_throttle *t = calloc(1, sizeof(*t));
    if (!t) {
        tl_error_set(err, TL_ENOMEM, "out of memory creating an HTTP throttle");
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        free(t);
        tl_error_set(err, TL_ENOMEM, "out of memory creating an HTTP throttle");
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->max = max_in_flight;
    return t;
}

void tl_http_throttle_free(tl_http_throttle *t)
{
    if (!t)
        return;
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

void tl_http_throttle_stats_get(tl_http_throttle *t, tl_http_throttle_stats *out)
{
    pthread_mutex_lock(&t->mu);
    out->peak_in_flight = t->peak;
    out->attempts = t->attempts;
    out->waits = t->waits;
    out->pauses = t->pauses;
    pthread_mutex_unlock(&t->mu);
}

/* Wait on the throttle's condition variable at most `ms` milliseconds (mutex held). */
static void throttle_wait(tl_http_throttle *t, long long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
}

/* Take a slot for one attempt: wait until one is free and the shared pause is over.
 * @return TL_OK (the slot is taken), TL_ECANCELED, or TL_ETIMEOUT when the request's deadline
 * would pass first. */
static int throttle_enter(tl_http_throttle *t, tl_http *h, const call *c)
{
    long long limit =
        c->deadline_ms > 0 ? c->start_ms + c->deadline_ms - MIN_ATTEMPT_MS : LLONG_MAX;
    int rc = TL_OK;
    bool waited = false;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        long long now = tl_now_ms();
        bool paused = now < t->pause_until;
        bool full = t->max > 0 && t->in_flight >= t->max;
        if (!paused && !full)
            break;
        if (canceled(h)) {
            rc = TL_ECANCELED;
            break;
        }
        if (now >= limit) {
            rc = TL_ETIMEOUT;
            break;
        }
        waited = true;
        long long wait = SLICE_MS;
        if (paused && !full && t->pause_until - now < wait)
            wait = t->pause_until - now;
        if (limit - now < wait)
            wait = limit - now;
        throttle_wait(t, wait);
    }
    if (waited)
        t->waits++;
    if (rc == TL_OK) {
        t->in_flight++;
        if (t->in_flight > t->peak)
            t->peak = t->in_flight;
        t->attempts++;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* Give the slot back; pause_ms >= 0 (a 429 answer) pauses every request that long from now. */
static void throttle_leave(tl_http_throttle *t, long pause_ms)
{
    pthread_mutex_lock(&t->mu);
    t->in_flight--;
    if (pause_ms >= 0) {
        long long until = tl_now_ms() + pause_ms;
        if (until > t->pause_until) {
            t->pause_until = until;
            t->pauses++;
        }
    }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int tl_http_send(tl_http *h, const tl_http_request *req, tl_http_response *resp, tl_error *err)
{
    if (!h || !req || !req->url || !resp)
        return tl_error_set(err, TL_EUSAGE, "tl_http_send: missing client, request or URL");
    tl_buf_clear(&resp->body);
    resp->status = 0;
    resp->content_type[0] = '\0';
    resp->attempts = 0;
    resp->elapsed_ms = 0;
    call c;
    int rc = prepare(req, &c, err);
    if (rc != TL_OK)
        return rc;
    resp->body.max = c.max_response;
    xfer x = {.h = h, .body = &resp->body, .max = c.max_response, .retry_after_ms = -1};
    outcome o = {.code = TL_OK, .retry_after_ms = -1};

    rc = build_headers(req, &c, err);
    if (rc != TL_OK)
        goto done;
    if (configure(h, req, &c, &x) != CURLE_OK) {
        rc = tl_error_set(err, TL_EUSAGE, "%s: %s %s: libcurl refused the request options",
                          c.endpoint, c.method, c.url);
        goto done;
    }

    c.start_ms = tl_now_ms();
    for (;;) {
        if (canceled(h)) {
            o.code = TL_ECANCELED;
            break;
        }
        long attempt_ms = c.timeout_ms;
        if (c.deadline_ms > 0) {
            long left = (long)(c.deadline_ms - (tl_now_ms() - c.start_ms));
            /* A retry squeezed into the last few milliseconds can only time out, and its
             * "timed out" would hide the real cause of the previous attempt. */
            if (left <= 0 || (resp->attempts > 0 && left < MIN_ATTEMPT_MS)) {
                o.deadline = true;
                break;
            }
            if (left < attempt_ms)
                attempt_ms = left;
        }
        if (req->throttle) {
            int g = throttle_enter(req->throttle, h, &c);
            if (g == TL_ECANCELED) {
                o.code = TL_ECANCELED;
                break;
            }
            if (g == TL_ETIMEOUT) {
                if (resp->attempts == 0)
                    snprintf(o.cause, sizeof(o.cause),
                             "no attempt made: waiting for a free slot or for the end of the "
                             "endpoint's rate-limit pause (429)");
                o.deadline = true;
                break;
            }
            if (c.deadline_ms > 0) { /* the wait used some of the deadline */
                long left = (long)(c.deadline_ms - (tl_now_ms() - c.start_ms));
                if (left < attempt_ms)
                    attempt_ms = left > 1 ? left : 1;
            }
        }
        long connect_ms = c.connect_timeout_ms < attempt_ms ? c.connect_timeout_ms : attempt_ms;
        curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, attempt_ms);
        curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        tl_buf_clear(&resp->body);
        x.over_cap = x.oom = false;
        x.retry_after_ms = -1;
        h->errbuf[0] = '\0';

        resp->attempts++;
        long long t0 = tl_now_ms();
        CURLcode cc = run_transfer(h);
        classify(h, &c, cc, &x, attempt_ms, &o);
        if (req->throttle)
            throttle_leave(req->throttle,
                           o.status == 429 ? backoff_wait(h, &c, resp->attempts, o.retry_after_ms)
                                           : -1);
        resp->status = o.status;
        resp->retry_after_ms = o.retry_after_ms;
        copy_content_type(h, resp);
        tl_log(TL_LOG_DEBUG, "http: %s: %s %s: attempt %d of %d: %s (%lld ms)", c.endpoint,
               c.method, c.url, resp->attempts, c.max_attempts, o.cause, tl_now_ms() - t0);
        if (o.code == TL_ETIMEOUT && c.deadline_ms > 0 &&
            tl_now_ms() - c.start_ms >= c.deadline_ms - 1) {
            o.deadline = true; /* the attempt was cut short by the deadline */
            break;
        }
        if (!o.retry || resp->attempts >= c.max_attempts)
            break;
        if (o.retry_after_ms > c.max_backoff_ms)
            break; /* asking again before the server allows it would not be honest */

        long wait = backoff_wait(h, &c, resp->attempts, o.retry_after_ms);
        if (c.deadline_ms > 0 &&
            (tl_now_ms() - c.start_ms) + wait + MIN_ATTEMPT_MS >= c.deadline_ms) {
            o.deadline = true; /* no time left for another attempt */
            break;
        }
        tl_log(TL_LOG_DEBUG, "http: %s: retrying in %ld ms", c.endpoint, wait);
        if (tl_sleep_ms(wait, h->cancel) != TL_OK) {
            o.code = TL_ECANCELED;
            break;
        }
    }
    resp->elapsed_ms = (long)(tl_now_ms() - c.start_ms);
    rc = TL_OK;
    if (o.deadline || o.code != TL_OK) {
        rc = fail(&c, &o, resp->attempts, err);
        tl_buf_clear(&resp->body); /* never a partial body */
    }

done:
    free_headers(c.headers);
    return rc;
}

/* ---- tl_http_check -------------------------------------------------------------------------- */

static bool is_json_type(const char *ct)
{
    return strncasecmp(ct, "application/json", 16) == 0 || strstr(ct, "+json") != NULL;
}

static bool is_text_type(const char *ct)
{
    return strncasecmp(ct, "text/", 5) == 0 || strncasecmp(ct, "application/xml", 15) == 0 ||
           strstr(ct, "+xml") != NULL;
}

/* Write up to EXCERPT_CHARS characters of s (n bytes) into out as one printable line: control
 * characters and whitespace runs become one space, invalid UTF-8 becomes '?', and with
 * `strip_tags` anything between '<' and '>' is dropped (an HTML error page's text). "..." marks
 * a cut. out must hold EXCERPT_SIZE bytes. */
static void excerpt(char *out, const char *s, size_t n, bool strip_tags)
{
    size_t o = 0, chars = 0, i = 0;
    bool space = true; /* true: the last thing written is a space, or nothing yet */
    bool in_tag = false, cut = false;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        uint32_t cp = ch;
        size_t len = 1;
        if (ch >= 0x80) {
            len = tl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (len == 0) {
                len = 1;
                cp = '?';
            }
        }
        bool blank =
            cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029;
        if (strip_tags && (in_tag || cp == '<')) {
            in_tag = cp != '>';
            blank = !in_tag; /* a tag separates words */
            if (in_tag) {
                i += len;
                continue;
            }
        }
        if (blank) {
            if (!space)
                out[o++] = ' ';
            space = true;
            i += len;
            continue;
        }
        if (chars == EXCERPT_CHARS) {
            cut = true;
            break;
        }
        if (cp == '?' && ch >= 0x80)
            out[o++] = '?';
        else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        space = false;
        chars++;
        i += len;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* The message of a JSON error body: error.message, message, detail, title, error, or
 * error_description, the first that is a string. */
static const char *json_message(const cJSON *root)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *em = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : NULL;
    if (cJSON_IsString(em) && em->valuestring[0])
        return em->valuestring;
    static const char *const names[] = {"message", "detail", "title", "error", "error_description"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        if (cJSON_IsString(v) && v->valuestring[0])
            return v->valuestring;
    }
    return NULL;
}

/* ---- credentials echoed back ----
 * A server may repeat what it was sent in its error body ("Incorrect API key provided: Bearer
 * sk-..."; a gateway quoting the Authorization header it rejected). Before a body goes into a
 * message, the values of the request's credential headers, and each of their words (the key of
 * "Bearer KEY", the signature of "..., Signature=HEX"), are replaced by "<redacted>". */
#define SECRET_MIN  8 /* shorter words of a credential header are not searched for */
#define SECRETS_MAX 24

typedef struct {
    const char *s;
    size_t n;
} span;

/* Does a header of this name carry a credential (Authorization, X-Api-Key, Cookie, ...)? */
static bool credential_name(const char *name, size_t n)
{
    static const char *const words[] = {"auth", "key",    "token",    "secret",
                                        "sign", "cookie", "password", "session"};
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t wn = strlen(words[w]);
        for (size_t i = 0; i + wn <= n; i++)
            if (strncasecmp(name + i, words[w], wn) == 0)
                return true;
    }
    return false;
}

static void add_secret(span *out, size_t *k, const char *s, size_t n)
{
    if (n >= SECRET_MIN && *k < SECRETS_MAX)
        out[(*k)++] = (span){s, n};
}

/* The credentials of a request's headers, longest first. @return how many. */
static size_t header_secrets(const tl_http_request *req, span *out)
{
    size_t k = 0;
    for (const char *const *h = req ? req->headers : NULL; h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (!colon || !credential_name(*h, (size_t)(colon - *h)))
            continue;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vn = strlen(v);
        while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            vn--;
        add_secret(out, &k, v, vn);
        for (const char *p = v, *end = v + vn; p < end;) {
            size_t w = strcspn(p, " ,");
            if (w > (size_t)(end - p))
                w = (size_t)(end - p);
            add_secret(out, &k, p, w);
            const char *eq = memchr(p, '=', w);
            if (eq)
                add_secret(out, &k, eq + 1, (size_t)(p + w - eq - 1));
            p += w;
            while (p < end && (*p == ' ' || *p == ','))
                p++;
        }
    }
    for (size_t i = 1; i < k; i++) /* longest first: a word never pre-empts its whole */
        for (size_t j = i; j > 0 && out[j].n > out[j - 1].n; j--) {
            span t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

/* s (n bytes) with every secret replaced by "<redacted>", into out. @return TL_OK, TL_ENOMEM. */
static int scrub(const char *s, size_t n, const span *secrets, size_t k, tl_buf *out)
{
    int rc = TL_OK;
    for (size_t i = 0; i < n && rc == TL_OK;) {
        size_t hit = 0;
        for (size_t j = 0; j < k && !hit; j++)
            if (secrets[j].n <= n - i && memcmp(s + i, secrets[j].s, secrets[j].n) == 0)
                hit = secrets[j].n;
        if (hit) {
            rc = tl_buf_puts(out, "<redacted>");
            i += hit;
        } else {
            rc = tl_buf_putc(out, s[i++]);
        }
    }
    return rc;
}

/* excerpt() of s with the request's credentials scrubbed out first ("" when out of memory). */
static void excerpt_scrubbed(char *out, const char *s, size_t n, bool strip_tags,
                             const tl_http_request *req)
{
    span secrets[SECRETS_MAX];
    size_t k = header_secrets(req, secrets);
    if (k == 0) {
        excerpt(out, s, n, strip_tags);
        return;
    }
    tl_buf clean;
    tl_buf_init(&clean, 0);
    if (n > EXCERPT_SCRUB_MAX)
        n = EXCERPT_SCRUB_MAX;
    if (scrub(s, n, secrets, k, &clean) == TL_OK && clean.data)
        excerpt(out, clean.data, clean.len, strip_tags);
    else
        out[0] = '\0';
    tl_buf_wipe(&clean);
}

size_t tl_http_redact_body(tl_buf *body, const char *secret)
{
    static const char mask[] = "<redacted>";
    size_t n = secret ? strlen(secret) : 0, hits = 0;
    if (!body || !body->data || n < sizeof(mask) - 1)
        return 0;
    char *r = body->data, *w = body->data, *end = body->data + body->len;
    while (r < end) {
        char *hit = NULL;
        for (char *p = r; (size_t)(end - p) >= n; p++) {
            p = memchr(p, secret[0], (size_t)(end - p) - n + 1);
            if (!p)
                break;
            if (memcmp(p, secret, n) == 0) {
                hit = p;
                break;
            }
        }
        size_t keep = (size_t)((hit ? hit : end) - r);
        memmove(w, r, keep);
        w += keep;
        if (!hit)
            break;
        memcpy(w, mask, sizeof(mask) - 1);
        w += sizeof(mask) - 1;
        r = hit + n;
        hits++;
    }
    if (hits) {
        memset(w, 0, (size_t)(end - w)); /* the tail that held the secret's bytes */
        body->len = (size_t)(w - body->data);
    }
    return hits;
}

/* A short excerpt of the body for messages, "" when the body is not text; the request's
 * credentials never show in it. out: see excerpt(). */
static void body_excerpt(const tl_http_response *resp, const tl_http_request *req, char *out)
{
    out[0] = '\0';
    const char *body = resp->body.data;
    size_t n = resp->body.len;
    if (!body || n == 0)
        return;
    const char *ct = resp->content_type;
    bool looks_json = body[0] == '{' || body[0] == '[';
    bool json = is_json_type(ct) || (ct[0] == '\0' && looks_json);
    if (json && n <= EXCERPT_PARSE_MAX) {
        cJSON *root = cJSON_ParseWithLength(body, n);
        const char *msg = root && cJSON_IsObject(root) ? json_message(root) : NULL;
        if (msg)
            excerpt_scrubbed(out, msg, strlen(msg), false, req);
        cJSON_Delete(root);
        if (msg)
            return;
    }
    bool text = json || is_text_type(ct);
    if (ct[0] == '\0') /* no type: text if the start is valid UTF-8 without NUL bytes */
        text = memchr(body, '\0', n < 512 ? n : 512) == NULL &&
               tl_utf8_valid(body, tl_utf8_prefix(body, n < 512 ? n : 512, 400));
    if (!text)
        return;
    bool html = strncasecmp(ct, "text/html", 9) == 0;
    excerpt_scrubbed(out, body, n, html, req);
}

int tl_http_check(const tl_http_request *req, const tl_http_response *resp, const char *hint,
                  tl_error *err)
{
    if (!resp)
        return tl_error_set(err, TL_EUSAGE, "tl_http_check: no response");
    long st = resp->status;
    if (st >= 200 && st < 300)
        return TL_OK;

    int code = TL_EBADRESP;
    if (st == 401 || st == 403)
        code = TL_EAUTH;
    else if (st == 404)
        code = TL_ENOTFOUND;
    else if (retryable_status(st))
        code = TL_ENET;

    char url[URL_MAX] = "";
    char endpoint[ENDPOINT_MAX] = "";
    const char *method = "GET";
    if (req) {
        tl_http_redact_url(req->url, url, sizeof(url));
        if (req->endpoint)
            snprintf(endpoint, sizeof(endpoint), "%s", req->endpoint);
        else
            host_of(url, endpoint, sizeof(endpoint));
        if (req->method && method_ok(req->method))
            method = req->method;
    }
    char status[64];
    if (st > 0)
        format_status(status, sizeof(status), st);
    else
        snprintf(status, sizeof(status), "no HTTP status");
    char tail[TL_ERROR_MSG_MAX / 2] = ""; /* attempts and hint, never cut */
    if (code == TL_ENET)
        snprintf(tail, sizeof(tail), " (after %d attempt%s)", resp->attempts,
                 resp->attempts == 1 ? "" : "s");
    if (code == TL_ENET && resp->retry_after_ms >= 0) {
        char secs[32];
        format_seconds(secs, sizeof(secs), resp->retry_after_ms);
        long cap = req && req->max_backoff_ms > 0 ? req->max_backoff_ms : TL_HTTP_MAX_BACKOFF_MS;
        snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail),
                 "; the server asked to retry after %s s%s", secs,
                 resp->retry_after_ms > cap ? ", longer than taploop waits between attempts" : "");
    }
    if (hint && *hint)
        snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "; %s", hint);
    char head[URL_MAX + ENDPOINT_MAX + 96];
    if (req)
        snprintf(head, sizeof(head), "%s: %s %s: %s", endpoint, method, url, status);
    else
        snprintf(head, sizeof(head), "HTTP %s", status);

    /* The excerpt gets the room the rest leaves in the message, cut on a character boundary. */
    char text[EXCERPT_SIZE];
    body_excerpt(resp, req, text);
    size_t used = strlen(head) + strlen(tail) + 2;
    size_t room = used + 4 < TL_ERROR_MSG_MAX ? TL_ERROR_MSG_MAX - used - 4 : 0;
    if (strlen(text) > room) {
        size_t k = room;
        while (k > 0 && ((unsigned char)text[k] & 0xc0) == 0x80)
            k--;
        memcpy(text + k, k ? "..." : "", k ? 4 : 1);
    }
    return tl_error_set(err, code, "%s%s%s%s", head, text[0] ? ": " : "", text, tail);
}
