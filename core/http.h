/*
 * http.h - the HTTP layer every HTTP user shares (the LLM client, the Mobilerun and ArmCloud
 * drivers): libcurl with connection reuse, connect and total timeouts, a response size cap,
 * bounded retries with exponential backoff and jitter, cancellation, and error messages that
 * name the endpoint and the cause but never a secret.
 *
 * Retries: a request is retried on HTTP 429 (waiting what Retry-After says; a server that asks
 * for more than the backoff cap is not asked again early: the 429 or 5xx is returned at once, and
 * tl_http_check names the wait it asked for), on 5xx, on timeouts and on connection errors
 * (refused, reset, DNS), up to max_attempts attempts in all, sleeping base * 2^(attempt-1) with
 * +-25% jitter in between. Other 4xx answers are not retried. A request that is not safe to repeat
 * (one with a body, or POST or PATCH, unless marked idempotent) is retried only when the server did
 * not receive it (DNS, refused, timeout while connecting) or answered 429/5xx; libcurl itself
 * re-sends once when a reused keep-alive connection turns out to be dead before any byte of the
 * answer arrived.
 *
 * Secrets: header values (Authorization, signatures, keys) never appear in messages or logs;
 * URLs in messages lose any user:password@ part and their query string.
 *
 * A tl_http is used by one thread at a time (it owns one libcurl easy handle, whose connection
 * cache makes successive requests to the same host reuse their connection). Every client of
 * the process shares one libcurl share handle holding the DNS cache and the TLS session cache
 * (guarded by mutexes), so that hundreds of clients talking to one host resolve it once and
 * resume TLS sessions instead of doing a full handshake each; connections themselves are not
 * shared between threads (libcurl does not support that).
 *
 * A tl_http_throttle, shared by several clients, caps their concurrent attempts and makes them
 * all pause when one of them is answered 429 (see below).
 */
#ifndef TL_HTTP_H
#define TL_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/** Defaults of tl_http_request fields left 0. */
#define TL_HTTP_CONNECT_TIMEOUT_MS 10000
#define TL_HTTP_TIMEOUT_MS         120000
#define TL_HTTP_MAX_RESPONSE       ((size_t)64 << 20)
#define TL_HTTP_MAX_ATTEMPTS       4
#define TL_HTTP_BACKOFF_MS         500
#define TL_HTTP_MAX_BACKOFF_MS     30000

/**
 * The environment variable capping every attempt's connect and total timeouts, in milliseconds
 * (TL_HTTP_TIMEOUT_ENV_MIN..TL_HTTP_TIMEOUT_ENV_MAX): for an operator who wants a hung endpoint
 * noticed sooner than the requests' own timeouts (120 s for the LLM, 30 s for Mobilerun calls),
 * and for tests. Read once, by the first tl_http_global_init(); a value that is not such a
 * number makes tl_http_global_init() (and so tl_http_new()) fail with TL_EUSAGE.
 */
#define TL_HTTP_TIMEOUT_ENV     "TAPLOOP_HTTP_TIMEOUT_MS"
#define TL_HTTP_TIMEOUT_ENV_MIN 100
#define TL_HTTP_TIMEOUT_ENV_MAX 3600000

/**
 * A throttle shared by the clients that talk to one endpoint (the LLM clients of a batch).
 *
 * - At most max_in_flight attempts are in flight at once across the requests that name it
 *   (0: no cap); a request waits for a free slot before each attempt, never holding one while
 *   it sleeps between attempts.
 * - A shared pause: when an attempt is answered 429, no request through the throttle starts an
 *   attempt before the Retry-After (or, without one, the request's backoff) has passed, so a
 *   rate-limited endpoint slows every client down instead of each burning its retries.
 *
 * Waiting for the throttle is not an attempt; it ends early with TL_ECANCELED when the
 * client's cancel flag is set, and with TL_ETIMEOUT when the request's deadline_ms would pass.
 * Thread-safe. Free it after every request using it has returned.
 */
typedef struct tl_http_throttle tl_http_throttle;

/** What a throttle saw, for tests and benchmarks. */
typedef struct tl_http_throttle_stats {
    int peak_in_flight; /**< most attempts in flight at once */
    long attempts;      /**< attempts let through */
    long waits;         /**< attempts that had to wait (no slot, or a pause), with those that
                             gave up waiting */
    long pauses;        /**< 429 answers that started or extended the shared pause */
} tl_http_throttle_stats;

/**
 * A throttle allowing max_in_flight attempts at once (0: unlimited; only the shared pause).
 * Caller frees with tl_http_throttle_free(). @return NULL with err set (TL_ENOMEM, or
 * TL_EUSAGE for a negative max_in_flight).
 */
tl_http_throttle *tl_http_throttle_new(int max_in_flight, tl_error *err);

/** Free a throttle no request uses any more. NULL is accepted. */
void tl_http_throttle_free(tl_http_throttle *t);

/** Copy the throttle's counters into out. */
void tl_http_throttle_stats_get(tl_http_throttle *t, tl_http_throttle_stats *out);

/** One request. Zero-initialise, then set what applies. Everything is borrowed. */
typedef struct tl_http_request {
    const char *method;   /**< "GET", "POST", "PUT", "PATCH", "DELETE"; NULL means GET */
    const char *url;      /**< absolute http:// or https:// URL */
    const char *endpoint; /**< short name for messages, e.g. "LLM" or "mobilerun"; NULL: host */
    const char *const *headers; /**< NULL-terminated "Name: value" lines; values are secret */
    const void *body;           /**< request body or NULL */
    size_t body_len;
    long connect_timeout_ms;    /**< 0: TL_HTTP_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /**< whole attempt, 0: TL_HTTP_TIMEOUT_MS */
    size_t max_response;        /**< body cap, 0: TL_HTTP_MAX_RESPONSE */
    int max_attempts;           /**< 0: TL_HTTP_MAX_ATTEMPTS; 1: no retry */
    long backoff_ms;            /**< first backoff, 0: TL_HTTP_BACKOFF_MS */
    long max_backoff_ms;        /**< cap on one wait; a longer Retry-After ends the retries, 0:
                                   TL_HTTP_MAX_BACKOFF_MS */
    long deadline_ms;           /**< if > 0: give up (TL_ETIMEOUT) when this much time has passed,
                                     waits and attempts included */
    tl_http_throttle *throttle; /**< shared cap and 429 pause (see above), or NULL */
    bool idempotent; /**< repeating the request changes nothing on the server even though it
                          has a body or is a POST (a chat completion, a read-only query): it
                          is retried like a GET after a timeout, a reset or a truncated answer */
} tl_http_request;

/** A response. Initialise with tl_http_response_init(), release with _dispose(). */
typedef struct tl_http_response {
    long status;            /**< HTTP status of the last attempt */
    tl_buf body;            /**< its body (owned) */
    char content_type[128]; /**< Content-Type header, "" if none */
    int attempts;           /**< attempts made */
    long elapsed_ms;        /**< time from the first attempt to the end, waits included */
    long retry_after_ms;    /**< the last answer's Retry-After in ms, -1 if none */
} tl_http_response;

void tl_http_response_init(tl_http_response *r);
void tl_http_response_dispose(tl_http_response *r);

typedef struct tl_http tl_http;

/** Initialise libcurl once per process, before any thread starts. @return TL_OK or TL_ENOMEM. */
int tl_http_global_init(tl_error *err);

/**
 * A client. `cancel` (may be NULL) aborts requests in flight and waits between attempts as
 * soon as it becomes non-zero. Caller frees with tl_http_free(). @return NULL when out of
 * memory (err set).
 */
tl_http *tl_http_new(volatile sig_atomic_t *cancel, tl_error *err);

/** Free a client. NULL is accepted. */
void tl_http_free(tl_http *h);

/**
 * Send a request, with the retries described above. When an HTTP response arrives (whatever
 * its status, after retries for 429 and 5xx), returns TL_OK with it in `resp` (initialised by
 * the caller; its body is replaced): the caller decides what a status means, with
 * tl_http_check() for the usual mapping.
 * When the request's deadline_ms passes first, the call ends with TL_ETIMEOUT even if the last
 * attempt got a 429 or 5xx (its status is in resp->status and in the message). A retry is
 * not started with less than 50 ms of the deadline left.
 * On failure, resp has attempts, elapsed_ms, and the last answer's status and content type (0
 * and "" when none answered); its body is emptied, never partial.
 * @return TL_OK; TL_ENET (connection failed or reset, response truncated, after retries);
 *         TL_ETIMEOUT; TL_EBADRESP (body over the cap, bad encoding); TL_ECANCELED; TL_EUSAGE
 *         (a bad URL, a header with CR or LF); TL_ENOMEM. Messages name the method, the
 *         endpoint and the cause, e.g. "LLM: POST http://127.0.0.1:8080/v1/chat/completions:
 *         connection refused (after 4 attempts)".
 */
int tl_http_send(tl_http *h, const tl_http_request *req, tl_http_response *resp, tl_error *err);

/**
 * Map a response's status to a status code: 2xx TL_OK; 401 and 403 TL_EAUTH; 404 TL_ENOTFOUND;
 * 429 and 5xx TL_ENET ("after N attempts"); other statuses TL_EBADRESP. The message names the
 * endpoint, the status and its reason phrase, and, when the body is short text or JSON, an
 * excerpt of it (e.g. an error's "message"); `hint` (may be NULL) is appended, e.g.
 * "check OPENAI_API_KEY". The values of the request's credential headers (Authorization,
 * X-Api-Key, Cookie, ...) and their words are replaced by "<redacted>" in the excerpt, so a
 * server that echoes them never gets them printed: `req` and its headers must still be valid.
 */
int tl_http_check(const tl_http_request *req, const tl_http_response *resp, const char *hint,
                  tl_error *err);

/**
 * Replace, in place, every occurrence of `secret` (at least 10 bytes) in a response body by
 * "<redacted>": for a credential a hostile or careless server echoes back (an ArmCloud request's
 * signature) before anything parses the body or quotes it in a message. @return how many.
 */
size_t tl_http_redact_body(tl_buf *body, const char *secret);

/**
 * The reason phrase of an HTTP status ("Service Unavailable"), "Server Error" / "Client Error"
 * for other 5xx / 4xx, "" for anything else. Static string.
 */
const char *tl_http_reason(long status);

/** Write `url` without user:password@ and without the query string into out (size bytes). */
void tl_http_redact_url(const char *url, char *out, size_t size);

#endif
