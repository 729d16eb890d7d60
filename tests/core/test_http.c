/*
 * test_http.c - the HTTP layer (core/http.h) against the scripted server of
 * tests/support/fake_http.h: bodies, headers and methods as sent, connection reuse, the retry
 * policy (429 with Retry-After, 5xx, timeouts, refused and reset connections, truncated bodies,
 * requests with a body), the response cap, deadlines, cancellation, tl_http_check's mapping and
 * messages, and that no secret (header value, userinfo, query) reaches a message or the log.
 *
 * Backoffs are 10 ms except where a test measures a wait, so the file runs in a few seconds.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/http.h"
#include "core/log.h"
#include "tests/support/fake_http.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers -------------------------------------------------------------------------------- */

static void setup(void)
{
    /* The tests talk to 127.0.0.1 only: a proxy from the environment must not get in between. */
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < N(proxies); i++)
        unsetenv(proxies[i]);
    cr_assert_eq(tl_http_global_init(NULL), TL_OK);
    cr_assert_eq(tl_http_global_init(NULL), TL_OK); /* idempotent */
}

TestSuite(http, .init = setup, .timeout = 60);

/* A server, a client and a response. */
typedef struct ctx {
    fake_http *srv;
    tl_http *h;
    volatile sig_atomic_t cancel;
    tl_http_response resp;
    tl_error err;
    char url[256];
} ctx;

static void ctx_start(ctx *t, const fake_http_response *script, size_t n, const char *path)
{
    memset(t, 0, sizeof(*t));
    if (script) {
        t->srv = fake_http_start(script, n);
        cr_assert_not_null(t->srv, "fake server did not start");
        fake_http_url(t->srv, path, t->url, sizeof(t->url));
    }
    t->h = tl_http_new(&t->cancel, &t->err);
    cr_assert_not_null(t->h, "tl_http_new: %s", t->err.msg);
    tl_http_response_init(&t->resp);
}

static void ctx_stop(ctx *t)
{
    tl_http_response_dispose(&t->resp);
    tl_http_free(t->h);
    fake_http_stop(t->srv);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fast-retrying request to url. */
static tl_http_request req_for(const char *url)
{
    tl_http_request r = {.url = url, .endpoint = "test", .backoff_ms = 10, .max_attempts = 3};
    return r;
}

static int send_req(ctx *t, const tl_http_request *r)
{
    tl_error_clear(&t->err);
    return tl_http_send(t->h, r, &t->resp, &t->err);
}

/* ---- plain requests ------------------------------------------------------------------------- */

Test(http, get_200_with_body)
{
    fake_http_response script[] = {
        {.body = "hello", .headers = "Content-Type: text/plain; charset=utf-8\r\n"}};
    ctx t;
    ctx_start(&t, script, N(script), "/hello?x=1");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
    cr_assert_eq(t.resp.body.len, 5);
    cr_assert_str_eq(t.resp.body.data, "hello");
    cr_assert_str_eq(t.resp.content_type, "text/plain; charset=utf-8");
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_OK);
    const fake_http_request *got = fake_http_request_at(t.srv, 0);
    cr_assert_str_eq(got->method, "GET");
    cr_assert_str_eq(got->target, "/hello?x=1");
    ctx_stop(&t);
}

Test(http, headers_sent_as_given)
{
    fake_http_response script[] = {{.status = 204}};
    ctx t;
    ctx_start(&t, script, N(script), "/h");
    const char *headers[] = {"Authorization: Bearer abc123", "X-Custom: one two",
                             "User-Agent: tester/1", NULL};
    tl_http_request r = req_for(t.url);
    r.headers = headers;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 204);
    const fake_http_request *got = fake_http_request_at(t.srv, 0);
    char v[128];
    cr_assert(fake_http_header(got, "authorization", v, sizeof(v)));
    cr_assert_str_eq(v, "Bearer abc123");
    cr_assert(fake_http_header(got, "X-Custom", v, sizeof(v)));
    cr_assert_str_eq(v, "one two");
    cr_assert(fake_http_header(got, "User-Agent", v, sizeof(v)));
    cr_assert_str_eq(v, "tester/1");
    cr_assert(fake_http_header(got, "Accept-Encoding", v, sizeof(v)));
    cr_assert_not_null(strstr(v, "gzip"), "Accept-Encoding: %s", v);
    cr_assert_not(fake_http_header(got, "Expect", v, sizeof(v)));
    ctx_stop(&t);
}

Test(http, post_body_and_other_methods)
{
    fake_http_response script[] = {{.status = 201, .body = "{}"}};
    ctx t;
    ctx_start(&t, script, N(script), "/v1/things");
    const char body[] = "{\"model\":\"m\",\"n\":1}";
    const char *headers[] = {"Content-Type: application/json", NULL};
    tl_http_request r = req_for(t.url);
    r.method = "POST";
    r.headers = headers;
    r.body = body;
    r.body_len = strlen(body);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 201);

    r.method = "PUT";
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    r.method = "PATCH";
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    r.method = "DELETE";
    r.body = NULL;
    r.body_len = 0;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    r.method = "POST"; /* a POST without a body */
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);

    cr_assert_eq(fake_http_request_count(t.srv), 5);
    static const char *const methods[] = {"POST", "PUT", "PATCH", "DELETE", "POST"};
    for (size_t i = 0; i < 5; i++) {
        const fake_http_request *got = fake_http_request_at(t.srv, i);
        cr_assert_str_eq(got->method, methods[i]);
        cr_assert_str_eq(got->target, "/v1/things");
        char v[64];
        if (i < 3) {
            cr_assert_eq(got->body_len, strlen(body));
            cr_assert_str_eq(got->body, body);
            cr_assert(fake_http_header(got, "Content-Type", v, sizeof(v)));
            cr_assert_str_eq(v, "application/json");
        } else {
            cr_assert_eq(got->body_len, 0, "%s has a body", got->method);
        }
    }
    ctx_stop(&t);
}

Test(http, connection_reused)
{
    fake_http_response script[] = {{.body = "ok"}};
    ctx t;
    ctx_start(&t, script, N(script), "/r");
    tl_http_request r = req_for(t.url);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
        cr_assert_str_eq(t.resp.body.data, "ok");
    }
    cr_assert_eq(fake_http_request_count(t.srv), 5);
    cr_assert_eq(fake_http_connections(t.srv), 1, "%d connections for 5 requests",
                 fake_http_connections(t.srv));
    ctx_stop(&t);
}

Test(http, gzip_body_decoded)
{
    static const unsigned char gz[] = {
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
        0xc9, 0x57, 0x48, 0x2b, 0xca, 0xcf, 0x55, 0x48, 0x54, 0x48, 0xaf, 0xca, 0x2c, 0x50,
        0x48, 0xca, 0x4f, 0xa9, 0x04, 0x00, 0x9e, 0xd1, 0xc8, 0x4f, 0x16, 0x00, 0x00, 0x00};
    fake_http_response script[] = {{.body = (const char *)gz,
                                    .body_len = sizeof(gz),
                                    .headers = "Content-Encoding: gzip\r\n"}};
    ctx t;
    ctx_start(&t, script, N(script), "/gz");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_str_eq(t.resp.body.data, "hello from a gzip body");
    ctx_stop(&t);
}

Test(http, redirect_not_followed)
{
    fake_http_response script[] = {{.status = 302, .headers = "Location: /elsewhere\r\n"}};
    ctx t;
    ctx_start(&t, script, N(script), "/from");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 302);
    cr_assert_eq(fake_http_request_count(t.srv), 1);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_EBADRESP);
    cr_assert_not_null(strstr(t.err.msg, "302 Found"), "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, response_reused_body_replaced)
{
    fake_http_response script[] = {{.body = "a much longer first body"}, {.body = "second"}};
    ctx t;
    ctx_start(&t, script, N(script), "/x");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_str_eq(t.resp.body.data, "second");
    cr_assert_eq(t.resp.body.len, 6);
    ctx_stop(&t);
}

/* ---- retries -------------------------------------------------------------------------------- */

Test(http, retry_after_seconds_honoured)
{
    fake_http_response script[] = {{.status = 429, .headers = "Retry-After: 1\r\n"},
                                   {.body = "done"}};
    ctx t;
    ctx_start(&t, script, N(script), "/limited");
    tl_http_request r = req_for(t.url);
    long long t0 = mono_ms();
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    long long took = mono_ms() - t0;
    cr_assert_eq(t.resp.status, 200);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_geq(t.resp.elapsed_ms, 900, "elapsed %ld ms", t.resp.elapsed_ms);
    cr_assert_geq(took, 900, "took %lld ms", took);
    ctx_stop(&t);
}

Test(http, retry_after_date_is_honoured)
{
    /* An HTTP-date 2 s ahead (1 to 2 s, the date having whole seconds): the wait is far above
     * the 10 ms backoff, which shows the date was read. */
    char date[96];
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(date, sizeof(date), "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    fake_http_response script[] = {{.status = 503, .headers = date}, {.body = "done"}};
    ctx t;
    ctx_start(&t, script, N(script), "/busy");
    tl_http_request r = req_for(t.url);
    r.max_backoff_ms = 5000;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_geq(t.resp.elapsed_ms, 500, "elapsed %ld ms: Retry-After was not read",
                  t.resp.elapsed_ms);
    ctx_stop(&t);
}

Test(http, retry_after_longer_than_the_cap_is_not_retried_early)
{
    /* The server asks for 60 s, more than the 300 ms cap: asking again after 300 ms would
     * ignore it, so the 429 comes back at once and the message says what the server asked. */
    fake_http_response script[] = {{.status = 429, .headers = "Retry-After: 60\r\n"},
                                   {.body = "too early"}};
    ctx t;
    ctx_start(&t, script, N(script), "/limited");
    tl_http_request r = req_for(t.url);
    r.max_backoff_ms = 300;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 429);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(t.resp.retry_after_ms, 60000);
    cr_assert_eq(fake_http_request_count(t.srv), 1);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_ENET);
    cr_assert(strstr(t.err.msg, "429 Too Many Requests"), "%s", t.err.msg);
    cr_assert(strstr(t.err.msg, "the server asked to retry after 60 s, longer than taploop waits"),
              "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, retry_5xx_then_ok)
{
    fake_http_response script[] = {{.status = 500}, {.status = 502}, {.body = "fine"}};
    ctx t;
    ctx_start(&t, script, N(script), "/flaky");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
    cr_assert_eq(t.resp.attempts, 3);
    cr_assert_str_eq(t.resp.body.data, "fine");
    cr_assert_eq(fake_http_connections(t.srv), 1);
    ctx_stop(&t);
}

Test(http, retry_5xx_exhausted)
{
    fake_http_response script[] = {{.status = 500,
                                    .headers = "Content-Type: application/json\r\n",
                                    .body = "{\"error\":{\"message\":\"upstream exploded\"}}"}};
    ctx t;
    ctx_start(&t, script, N(script), "/down");
    tl_http_request r = req_for(t.url);
    r.max_attempts = 3;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 500);
    cr_assert_eq(t.resp.attempts, 3);
    cr_assert_eq(fake_http_request_count(t.srv), 3);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_ENET);
    cr_assert_not_null(strstr(t.err.msg, "500 Internal Server Error"), "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, "upstream exploded"), "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, "after 3 attempts"), "%s", t.err.msg);
    cr_assert(strncmp(t.err.msg, "test: GET http://127.0.0.1:", 27) == 0, "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, not_found_not_retried)
{
    fake_http_response script[] = {{.status = 404, .body = "no such thing"}};
    ctx t;
    ctx_start(&t, script, N(script), "/missing");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 404);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(fake_http_request_count(t.srv), 1);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(t.err.msg, "404 Not Found"), "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, unauthorized_with_hint)
{
    fake_http_response script[] = {
        {.status = 401,
         .headers = "Content-Type: application/json\r\n",
         .body = "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"auth\"}}"}};
    ctx t;
    ctx_start(&t, script, N(script), "/v1/chat/completions");
    tl_http_request r = req_for(t.url);
    r.endpoint = "LLM";
    r.method = "POST";
    r.body = "{}";
    r.body_len = 2;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(tl_http_check(&r, &t.resp, "check OPENAI_API_KEY", &t.err), TL_EAUTH);
    char want[512];
    snprintf(want, sizeof(want),
             "LLM: POST %s: 401 Unauthorized: Incorrect API key provided; check OPENAI_API_KEY",
             t.url);
    cr_assert_str_eq(t.err.msg, want);
    ctx_stop(&t);
}

Test(http, connection_refused)
{
    int port = fake_http_unused_port();
    cr_assert_gt(port, 0);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
    ctx t;
    ctx_start(&t, NULL, 0, NULL);
    tl_http_request r = req_for(url);
    cr_assert_eq(send_req(&t, &r), TL_ENET);
    cr_assert_eq(t.resp.attempts, 3);
    char want[256];
    snprintf(want, sizeof(want), "test: GET %s: connection refused (after 3 attempts)", url);
    cr_assert_str_eq(t.err.msg, want);

    r.method = "POST"; /* the server never had it: retried too */
    r.body = "{}";
    r.body_len = 2;
    r.endpoint = NULL; /* the host names the endpoint */
    cr_assert_eq(send_req(&t, &r), TL_ENET);
    cr_assert_eq(t.resp.attempts, 3);
    snprintf(want, sizeof(want), "127.0.0.1:%d: POST %s: connection refused", port, url);
    cr_assert(strncmp(t.err.msg, want, strlen(want)) == 0, "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, timeout_when_server_never_answers)
{
    fake_http_response script[] = {{.action = FAKE_HTTP_HANG}};
    ctx t;
    ctx_start(&t, script, N(script), "/silent");
    tl_http_request r = req_for(t.url);
    r.timeout_ms = 300;
    r.max_attempts = 2;
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_not_null(strstr(t.err.msg, "timed out after 0.3 s (after 2 attempts)"), "%s",
                       t.err.msg);
    cr_assert_eq(fake_http_request_count(t.srv), 2);

    /* A POST the server may be working on is not sent twice. */
    r.method = "POST";
    r.body = "x";
    r.body_len = 1;
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(fake_http_request_count(t.srv), 3);
    ctx_stop(&t);
}

Test(http, body_over_cap)
{
    static char big[5001];
    memset(big, 'x', sizeof(big) - 1);
    fake_http_response script[] = {{.body = big}, {.body = big, .chunked = true}};
    ctx t;
    ctx_start(&t, script, N(script), "/big");
    tl_http_request r = req_for(t.url);
    r.max_response = 1000;
    /* With Content-Length. */
    cr_assert_eq(send_req(&t, &r), TL_EBADRESP, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(t.resp.body.len, 0);
    cr_assert_not_null(strstr(t.err.msg, "response larger than the 1000-byte limit"), "%s",
                       t.err.msg);
    /* Chunked, without Content-Length. */
    cr_assert_eq(send_req(&t, &r), TL_EBADRESP, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_not_null(strstr(t.err.msg, "1000-byte limit"), "%s", t.err.msg);
    cr_assert_eq(fake_http_request_count(t.srv), 2);
    ctx_stop(&t);
}

Test(http, body_at_cap_accepted)
{
    static char exact[1001];
    memset(exact, 'y', sizeof(exact) - 1);
    fake_http_response script[] = {{.body = exact, .chunked = true}};
    ctx t;
    ctx_start(&t, script, N(script), "/exact");
    tl_http_request r = req_for(t.url);
    r.max_response = 1000;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.body.len, 1000);
    ctx_stop(&t);
}

Test(http, truncated_body)
{
    static char hundred[101];
    memset(hundred, 'z', sizeof(hundred) - 1);
    fake_http_response trunc = {.action = FAKE_HTTP_TRUNCATE, .body = hundred, .truncate_len = 10};
    fake_http_response script[] = {trunc, {.body = "whole"}};
    ctx t;
    ctx_start(&t, script, N(script), "/cut");
    tl_http_request r = req_for(t.url);
    /* A GET is retried, and the second answer is whole. */
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_str_eq(t.resp.body.data, "whole");
    fake_http_stop(t.srv);

    /* Always truncated: TL_ENET after the attempts, no partial body. */
    fake_http_response always[] = {trunc};
    t.srv = fake_http_start(always, 1);
    fake_http_url(t.srv, "/cut", t.url, sizeof(t.url));
    r.url = t.url;
    r.max_attempts = 2;
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_eq(t.resp.body.len, 0);
    cr_assert_not_null(strstr(t.err.msg, "response truncated: connection closed after 10 of "
                                         "100 bytes (after 2 attempts)"),
                       "%s", t.err.msg);

    /* A POST was taken by the server: not sent again. */
    r.method = "POST";
    r.body = "{}";
    r.body_len = 2;
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    fake_http_stop(t.srv);

    /* Chunked, cut inside a chunk: the size is unknown. */
    fake_http_response chunked[] = {
        {.action = FAKE_HTTP_TRUNCATE, .body = hundred, .truncate_len = 10, .chunked = true}};
    t.srv = fake_http_start(chunked, 1);
    fake_http_url(t.srv, "/cut", t.url, sizeof(t.url));
    r = req_for(t.url);
    r.max_attempts = 1;
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, ": response truncated: connection closed after 10 bytes "
                                         "(after 1 attempt)"),
                       "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, closed_without_answer)
{
    fake_http_response script[] = {{.action = FAKE_HTTP_CLOSE}, {.body = "second try"}};
    ctx t;
    ctx_start(&t, script, N(script), "/c");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_str_eq(t.resp.body.data, "second try");
    fake_http_stop(t.srv);

    t.srv = fake_http_start(script, N(script));
    fake_http_url(t.srv, "/c", t.url, sizeof(t.url));
    r.url = t.url;
    r.method = "POST";
    r.body = "{\"do\":\"it once\"}";
    r.body_len = strlen(r.body);
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_eq(fake_http_request_count(t.srv), 1);
    cr_assert_not_null(strstr(t.err.msg, "connection closed without a response (after 1 attempt)"),
                       "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, reset_connection)
{
    fake_http_response script[] = {{.action = FAKE_HTTP_RESET}, {.body = "ok"}};
    ctx t;
    ctx_start(&t, script, N(script), "/rst");
    tl_http_request r = req_for(t.url);
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    fake_http_stop(t.srv);

    fake_http_response always[] = {{.action = FAKE_HTTP_RESET}};
    t.srv = fake_http_start(always, 1);
    fake_http_url(t.srv, "/rst", t.url, sizeof(t.url));
    r.url = t.url;
    r.max_attempts = 2;
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    /* The kernel may report the RST as a reset or as the end of the stream. */
    cr_assert(strstr(t.err.msg, "connection reset by peer (after 2 attempts)") ||
                  strstr(t.err.msg, "connection closed without a response (after 2 attempts)"),
              "%s", t.err.msg);
    ctx_stop(&t);
}

/* A request marked idempotent (a chat completion) is asked again after a truncated answer or a
 * reset though it is a POST with a body; unmarked, it is not. */
Test(http, idempotent_post_retried_after_truncation_and_reset)
{
    fake_http_response trunc = {
        .action = FAKE_HTTP_TRUNCATE, .body = "0123456789", .truncate_len = 4};
    fake_http_response script[] = {trunc, {.action = FAKE_HTTP_RESET}, {.body = "whole"}, trunc};
    ctx t;
    ctx_start(&t, script, N(script), "/chat");
    tl_http_request r = req_for(t.url);
    r.method = "POST";
    r.body = "{}";
    r.body_len = 2;
    r.idempotent = true;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 3);
    cr_assert_str_eq(t.resp.body.data, "whole");
    r.idempotent = false;
    cr_assert_eq(send_req(&t, &r), TL_ENET, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_not_null(strstr(t.err.msg, "response truncated"), "%s", t.err.msg);
    cr_assert_eq(fake_http_request_count(t.srv), 4);
    ctx_stop(&t);
}

Test(http, post_retried_on_503)
{
    fake_http_response script[] = {{.status = 503}, {.body = "ok"}};
    ctx t;
    ctx_start(&t, script, N(script), "/p");
    tl_http_request r = req_for(t.url);
    r.method = "POST";
    r.body = "payload";
    r.body_len = 7;
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_eq(fake_http_request_count(t.srv), 2);
    cr_assert_str_eq(fake_http_request_at(t.srv, 1)->body, "payload");
    ctx_stop(&t);
}

/* ---- deadline and cancellation -------------------------------------------------------------- */

Test(http, deadline_bounds_retries)
{
    fake_http_response script[] = {{.status = 500}};
    ctx t;
    ctx_start(&t, script, N(script), "/never");
    tl_http_request r = req_for(t.url);
    r.max_attempts = 100;
    r.backoff_ms = 100;
    r.max_backoff_ms = 100;
    r.deadline_ms = 400;
    long long t0 = mono_ms();
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    long long took = mono_ms() - t0;
    cr_assert_lt(took, 2000, "took %lld ms", took);
    cr_assert_gt(t.resp.attempts, 1);
    cr_assert_lt(t.resp.attempts, 10);
    cr_assert_not_null(strstr(t.err.msg, "deadline of 0.4 s exceeded"), "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, "500 Internal Server Error"), "%s", t.err.msg);
    ctx_stop(&t);
}

Test(http, deadline_bounds_a_slow_attempt)
{
    fake_http_response script[] = {{.delay_ms = 5000, .body = "late"}};
    ctx t;
    ctx_start(&t, script, N(script), "/slow");
    tl_http_request r = req_for(t.url);
    r.deadline_ms = 300;
    long long t0 = mono_ms();
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    long long took = mono_ms() - t0;
    cr_assert_lt(took, 2000, "took %lld ms", took);
    cr_assert_eq(t.resp.attempts, 1);
    cr_assert_not_null(strstr(t.err.msg, "deadline of 0.3 s exceeded"), "%s", t.err.msg);
    fake_http_stop(t.srv);

    /* The same for a POST, which is not retried anyway. */
    t.srv = fake_http_start(script, N(script));
    fake_http_url(t.srv, "/slow", t.url, sizeof(t.url));
    r.url = t.url;
    r.method = "POST";
    r.body = "{}";
    r.body_len = 2;
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, "test: POST "), "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, "deadline of 0.3 s exceeded"), "%s", t.err.msg);
    ctx_stop(&t);
}

typedef struct canceler {
    volatile sig_atomic_t *flag;
    int after_ms;
} canceler;

static void *cancel_later(void *arg)
{
    canceler *c = arg;
    struct timespec ts = {c->after_ms / 1000, (c->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    *c->flag = 1;
    return NULL;
}

static void check_canceled_quickly(const fake_http_response *script, size_t n, long backoff_ms)
{
    ctx t;
    ctx_start(&t, script, n, "/wait");
    tl_http_request r = req_for(t.url);
    r.backoff_ms = backoff_ms;
    r.max_backoff_ms = backoff_ms;
    canceler c = {.flag = &t.cancel, .after_ms = 200};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_later, &c), 0);
    long long t0 = mono_ms();
    int rc = send_req(&t, &r);
    long long took = mono_ms() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(rc, TL_ECANCELED, "%d %s", rc, t.err.msg);
    cr_assert_lt(took, 2000, "took %lld ms", took);
    cr_assert_geq(took, 150, "took %lld ms", took);
    cr_assert_not_null(strstr(t.err.msg, "test: GET "), "%s", t.err.msg);
    cr_assert_not_null(strstr(t.err.msg, ": canceled (after 1 attempt)"), "%s", t.err.msg);
    /* Canceled before the first attempt: none is made. */
    cr_assert_eq(send_req(&t, &r), TL_ECANCELED);
    cr_assert_eq(t.resp.attempts, 0);
    ctx_stop(&t);
}

Test(http, cancel_in_flight)
{
    fake_http_response script[] = {{.delay_ms = 5000, .body = "too late"}};
    check_canceled_quickly(script, N(script), 10);
}

/* A transfer waiting on a slow answer does not look at its cancel flag on a timer of its own:
 * the cancel watcher wakes it, within about one SLICE_MS (50 ms), not after the long poll. */
Test(http, cancel_in_flight_wakes_promptly)
{
    fake_http_response script[] = {{.delay_ms = 5000, .body = "too late"}};
    ctx t;
    ctx_start(&t, script, N(script), "/wait");
    tl_http_request r = req_for(t.url);
    canceler c = {.flag = &t.cancel, .after_ms = 300};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_later, &c), 0);
    long long t0 = mono_ms();
    int rc = send_req(&t, &r);
    long long took = mono_ms() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(rc, TL_ECANCELED, "%d %s", rc, t.err.msg);
    cr_expect_geq(took, 250, "took %lld ms", took);
    cr_expect_lt(took, 900, "took %lld ms: the canceled transfer was not woken", took);
    ctx_stop(&t);
}

Test(http, cancel_between_attempts)
{
    fake_http_response script[] = {{.status = 503}};
    check_canceled_quickly(script, N(script), 5000);
}

/* ---- usage errors --------------------------------------------------------------------------- */

Test(http, usage_errors)
{
    fake_http_response script[] = {{.body = "x"}};
    ctx t;
    ctx_start(&t, script, N(script), "/u");
    tl_http_request r = req_for("ftp://example.com/file");
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);
    cr_assert_eq(t.resp.attempts, 0);
    cr_assert_str_eq(t.err.msg, "test: GET ftp://example.com/file: not an http:// or https:// URL");

    r = req_for("no url at all");
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);

    r = req_for(t.url);
    r.method = "get";
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);
    cr_assert_not_null(strstr(t.err.msg, "invalid HTTP method"), "%s", t.err.msg);

    const char *injected[] = {"X-Token: abc\r\nX-Evil: 1", NULL};
    r = req_for(t.url);
    r.headers = injected;
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);
    cr_assert_not_null(strstr(t.err.msg, "header X-Token contains a line break"), "%s", t.err.msg);
    cr_assert_eq(fake_http_request_count(t.srv), 0);
    cr_assert_eq(tl_http_send(t.h, NULL, &t.resp, &t.err), TL_EUSAGE);
    ctx_stop(&t);
}

/* ---- secrets -------------------------------------------------------------------------------- */

#define SECRET "Sup3rS3cret"

/* Capture what is written on fd 2 while the calls run. */
typedef struct capture {
    int saved;
    FILE *file;
} capture;

static void capture_start(capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    cr_assert_not_null(c->file);
    c->saved = dup(2);
    cr_assert_geq(c->saved, 0);
    cr_assert_geq(dup2(fileno(c->file), 2), 0);
}

static char *capture_end(capture *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    long n = ftell(c->file);
    char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    cr_assert_not_null(text);
    rewind(c->file);
    size_t got = fread(text, 1, (size_t)(n > 0 ? n : 0), c->file);
    text[got] = '\0';
    fclose(c->file);
    return text;
}

static void assert_no_secret(const ctx *t, const char *what)
{
    cr_assert_neq(t->err.code, TL_OK, "%s: expected a failure", what);
    cr_assert_null(strstr(t->err.msg, SECRET), "%s: secret in message: %s", what, t->err.msg);
    cr_assert_null(strstr(t->err.msg, "user"), "%s: userinfo in message: %s", what, t->err.msg);
    cr_assert_null(strstr(t->err.msg, "?"), "%s: query in message: %s", what, t->err.msg);
}

Test(http, secrets_never_in_messages_or_log)
{
    static char big[3001];
    memset(big, 'b', sizeof(big) - 1);
    fake_http_response script[] = {
        {.status = 500, .body = "oops"},
        {.status = 500, .body = "oops"},
        {.status = 401, .body = "{\"message\":\"bad key\"}"},
        {.action = FAKE_HTTP_HANG},
        {.body = big},
        {.action = FAKE_HTTP_TRUNCATE, .body = "0123456789", .truncate_len = 5},
        {.action = FAKE_HTTP_CLOSE},
        {.delay_ms = 3000},
    };
    ctx t;
    ctx_start(&t, script, N(script), "");
    char url[256];
    snprintf(url, sizeof(url),
             "http://user:" SECRET "@127.0.0.1:%d/v1/x?api_key=" SECRET "&b=2#frag" SECRET,
             fake_http_port(t.srv));
    const char *headers[] = {"Authorization: Bearer " SECRET, "X-Api-Key: " SECRET, NULL};
    tl_http_request r = req_for(url);
    r.headers = headers;
    r.max_attempts = 2;
    r.timeout_ms = 300;
    r.max_response = 1000;
    r.method = "POST";
    r.body = "{\"k\":\"" SECRET "\"}";
    r.body_len = strlen(r.body);

    tl_log_set_level(TL_LOG_DEBUG);
    capture cap;
    capture_start(&cap);

    /* 500, 500: a response; tl_http_check fails. */
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(t.resp.attempts, 2);
    cr_assert_eq(tl_http_check(&r, &t.resp, "check the key", &t.err), TL_ENET);
    assert_no_secret(&t, "500");
    /* 401 */
    cr_assert_eq(send_req(&t, &r), TL_OK, "%s", t.err.msg);
    cr_assert_eq(tl_http_check(&r, &t.resp, NULL, &t.err), TL_EAUTH);
    assert_no_secret(&t, "401");
    cr_assert_not_null(strstr(t.err.msg, "bad key"), "%s", t.err.msg);
    /* no answer */
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT);
    assert_no_secret(&t, "timeout");
    /* over the cap */
    cr_assert_eq(send_req(&t, &r), TL_EBADRESP);
    assert_no_secret(&t, "cap");
    /* truncated */
    cr_assert_eq(send_req(&t, &r), TL_ENET);
    assert_no_secret(&t, "truncated");
    /* closed */
    cr_assert_eq(send_req(&t, &r), TL_ENET);
    assert_no_secret(&t, "closed");
    /* deadline */
    r.deadline_ms = 200;
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT);
    assert_no_secret(&t, "deadline");
    r.deadline_ms = 0;
    /* refused */
    int port = fake_http_unused_port();
    char refused[256];
    snprintf(refused, sizeof(refused), "https://user:" SECRET "@127.0.0.1:%d/p?token=" SECRET,
             port);
    r.url = refused;
    cr_assert_eq(send_req(&t, &r), TL_ENET);
    assert_no_secret(&t, "refused");
    /* not a URL we take */
    r.url = "ftp://user:" SECRET "@host/p?k=" SECRET;
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);
    assert_no_secret(&t, "scheme");
    /* a header with a line break */
    const char *bad[] = {"Authorization: Bearer " SECRET "\r\nX: y", NULL};
    r.url = url;
    r.headers = bad;
    cr_assert_eq(send_req(&t, &r), TL_EUSAGE);
    assert_no_secret(&t, "header");

    char *log = capture_end(&cap);
    tl_log_set_level(TL_LOG_INFO);
    cr_assert_not_null(strstr(log, "attempt 1 of 2"), "nothing logged at debug level: %s", log);
    cr_assert_null(strstr(log, SECRET), "secret in the log: %s", log);
    cr_assert_null(strstr(log, "Bearer"), "header in the log: %s", log);
    free(log);
    ctx_stop(&t);
}

Test(http, redact_url)
{
    static const char *const cases[][2] = {
        {"http://user:pw@host:8080/p/q?x=1#f", "http://host:8080/p/q"},
        {"https://host", "https://host"},
        {"https://host/", "https://host/"},
        {"http://host/path?token=abc", "http://host/path"},
        {"http://u:p@h", "http://h"},
        {"http://h?x=1", "http://h"},
        {"http://h#frag", "http://h"},
        {"http://u@h/a@b", "http://h/a@b"},
        {"http://a:b@c:d@host/x", "http://host/x"},
        {"host/path?q", "host/path"},
        {"u:p@host/path", "host/path"},
        {"http://host/a b\n", "http://host/a?b?"},
        {"", ""},
    };
    char out[128];
    for (size_t i = 0; i < N(cases); i++) {
        tl_http_redact_url(cases[i][0], out, sizeof(out));
        cr_assert_str_eq(out, cases[i][1], "case %zu: %s", i, cases[i][0]);
    }
    tl_http_redact_url(NULL, out, sizeof(out));
    cr_assert_str_eq(out, "");
    char small[8];
    tl_http_redact_url("http://user:pw@hostname/long/path", small, sizeof(small));
    cr_assert_str_eq(small, "http://");
    tl_http_redact_url("http://x", small, 0); /* no room: nothing written */
}

/* ---- tl_http_check without a server --------------------------------------------------------- */

static int check(long status, const char *type, const char *body, const char *hint, tl_error *err)
{
    tl_http_response resp;
    tl_http_response_init(&resp);
    resp.status = status;
    resp.attempts = 4;
    snprintf(resp.content_type, sizeof(resp.content_type), "%s", type);
    if (body)
        tl_buf_puts(&resp.body, body);
    tl_http_request req = {
        .method = "POST", .url = "https://api.example.com/v1/chat?k=1", .endpoint = "LLM"};
    tl_error_clear(err);
    int rc = tl_http_check(&req, &resp, hint, err);
    tl_http_response_dispose(&resp);
    return rc;
}

Test(http, check_mapping)
{
    tl_error err;
    cr_assert_eq(check(200, "", "", NULL, &err), TL_OK);
    cr_assert_eq(check(204, "", NULL, NULL, &err), TL_OK);
    cr_assert_eq(check(299, "", NULL, NULL, &err), TL_OK);
    cr_assert_eq(check(401, "", NULL, NULL, &err), TL_EAUTH);
    cr_assert_eq(check(403, "", NULL, NULL, &err), TL_EAUTH);
    cr_assert_eq(check(404, "", NULL, NULL, &err), TL_ENOTFOUND);
    cr_assert_eq(check(429, "", NULL, NULL, &err), TL_ENET);
    cr_assert_str_eq(err.msg, "LLM: POST https://api.example.com/v1/chat: 429 Too Many Requests "
                              "(after 4 attempts)");
    cr_assert_eq(check(503, "", NULL, "try later", &err), TL_ENET);
    cr_assert_str_eq(err.msg, "LLM: POST https://api.example.com/v1/chat: 503 Service "
                              "Unavailable (after 4 attempts); try later");
    cr_assert_eq(check(599, "", NULL, NULL, &err), TL_ENET);
    cr_assert_eq(check(400, "", NULL, NULL, &err), TL_EBADRESP);
    cr_assert_eq(check(418, "", NULL, NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, ": 418 Client Error"), "%s", err.msg);
    cr_assert_eq(check(302, "", NULL, NULL, &err), TL_EBADRESP);
    cr_assert_eq(check(101, "", NULL, NULL, &err), TL_EBADRESP);
    cr_assert_eq(check(0, "", NULL, NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "no HTTP status"), "%s", err.msg);
    cr_assert_eq(tl_http_check(NULL, NULL, NULL, &err), TL_EUSAGE);
}

Test(http, check_excerpts)
{
    tl_error err;
    /* JSON members, in order of preference. */
    check(400, "application/json", "{\"error\":{\"message\":\"bad model\"},\"message\":\"no\"}",
          NULL, &err);
    cr_assert_str_eq(strstr(err.msg, "400 Bad Request: "), "400 Bad Request: bad model");
    check(422, "application/problem+json", "{\"title\":\"Invalid\",\"detail\":\"x is required\"}",
          NULL, &err);
    cr_assert_not_null(strstr(err.msg, ": x is required"), "%s", err.msg);
    check(400, "application/json", "{\"title\":\"Invalid thing\"}", NULL, &err);
    cr_assert_not_null(strstr(err.msg, ": Invalid thing"), "%s", err.msg);
    check(401, "", "{\"error\":\"invalid_token\",\"error_description\":\"expired\"}", NULL, &err);
    cr_assert_not_null(strstr(err.msg, "401 Unauthorized: invalid_token"), "%s", err.msg);
    /* JSON without a known member: the text itself. */
    check(400, "application/json", "{\"detail\":[{\"loc\":[\"body\"]}]}", NULL, &err);
    cr_assert_not_null(strstr(err.msg, ": {\"detail\":[{\"loc\":[\"body\"]}]}"), "%s", err.msg);
    /* Text on several lines becomes one line. */
    check(400, "text/plain", "  line one\r\n\tline two\n\n", "hint", &err);
    cr_assert_str_eq(strstr(err.msg, "400 Bad Request"),
                     "400 Bad Request: line one line two; hint");
    /* HTML: the text without the tags. */
    check(502, "text/html",
          "<html><head><title>502</title></head><body><h1>Bad gateway</h1>"
          "</body></html>",
          NULL, &err);
    cr_assert_not_null(strstr(err.msg, "502 Bad Gateway: 502 Bad gateway (after"), "%s", err.msg);
    /* Binary: no excerpt. */
    check(500, "application/octet-stream", "\x01\x02 binary", NULL, &err);
    cr_assert_str_eq(strstr(err.msg, "500"), "500 Internal Server Error (after 4 attempts)");
    /* Long text is cut at 200 characters; invalid UTF-8 and controls are replaced. */
    char longer[600];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    check(400, "text/plain", longer, NULL, &err);
    const char *ex = strstr(err.msg, "Request: ") + 9;
    cr_assert_eq(strlen(ex), 203, "%zu: %s", strlen(ex), ex);
    cr_assert_str_eq(ex + 200, "...");
    /* A long URL and a long excerpt: the hint survives, the excerpt is cut. */
    tl_http_response resp;
    tl_http_response_init(&resp);
    resp.status = 400;
    snprintf(resp.content_type, sizeof(resp.content_type), "text/plain");
    for (int i = 0; i < 300; i++)
        tl_buf_puts(&resp.body, "\xc3\xa9");
    char url[400] = "https://api.example.com/";
    memset(url + strlen(url), 'p', 300);
    tl_http_request req = {.method = "POST", .url = url};
    cr_assert_eq(tl_http_check(&req, &resp, "check THE_KEY", &err), TL_EBADRESP);
    size_t len = strlen(err.msg);
    cr_assert_lt(len, TL_ERROR_MSG_MAX);
    cr_assert_str_eq(err.msg + len - 18, "...; check THE_KEY", "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "api.example.com: POST https://api.example.com/ppp"));
    tl_http_response_dispose(&resp);

    check(400, "text/plain", "caf\xc3\xa9 \xff\xfe ok\x1b[31m", NULL, &err);
    cr_assert_not_null(strstr(err.msg, ": caf\xc3\xa9 ?? ok [31m"), "%s", err.msg);
}

/* ---- throttles: the shared cap and the shared 429 pause -------------------------------------- */

typedef struct throttled {
    const char *url;
    tl_http_throttle *t;
    long deadline_ms;
    int rc;
    long elapsed_ms;
    int attempts;
    char msg[TL_ERROR_MSG_MAX];
} throttled;

static void *throttled_send(void *payload)
{
    throttled *a = payload;
    tl_error err;
    tl_http *h = tl_http_new(NULL, &err);
    cr_assert_not_null(h);
    tl_http_response resp;
    tl_http_response_init(&resp);
    tl_http_request r = req_for(a->url);
    r.throttle = a->t;
    r.deadline_ms = a->deadline_ms;
    r.max_backoff_ms = 5000;
    long long t0 = mono_ms();
    a->rc = tl_http_send(h, &r, &resp, &err);
    a->elapsed_ms = (long)(mono_ms() - t0);
    a->attempts = resp.attempts;
    snprintf(a->msg, sizeof(a->msg), "%s", a->rc ? err.msg : "");
    tl_http_response_dispose(&resp);
    tl_http_free(h);
    return NULL;
}

Test(http, throttle_caps_requests_in_flight)
{
    fake_http_response script[] = {{.status = 200, .body = "ok", .delay_ms = 40}};
    fake_http *srv = fake_http_start(script, 1);
    cr_assert_not_null(srv);
    char url[256];
    fake_http_url(srv, "/x", url, sizeof(url));
    tl_error err;
    tl_http_throttle *t = tl_http_throttle_new(2, &err);
    cr_assert_not_null(t);
    throttled a[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        a[i] = (throttled){.url = url, .t = t};
        pthread_create(&th[i], NULL, throttled_send, &a[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(a[i].rc, TL_OK, "%s", a[i].msg);
    }
    tl_http_throttle_stats st;
    tl_http_throttle_stats_get(t, &st);
    cr_assert_eq(st.attempts, 6);
    cr_assert(st.peak_in_flight >= 1 && st.peak_in_flight <= 2, "peak %d", st.peak_in_flight);
    cr_assert_geq(st.waits, 1);
    cr_assert_eq(st.pauses, 0);
    tl_http_throttle_free(t);
    fake_http_stop(srv);
    cr_assert_null(tl_http_throttle_new(-1, &err));
    cr_assert_eq(err.code, TL_EUSAGE);
}

Test(http, throttle_429_pauses_every_client)
{
    fake_http_response script[] = {
        {.status = 429, .headers = "Retry-After: 1\r\n", .body = "slow down"},
        {.status = 200, .body = "ok"},
    };
    fake_http *srv = fake_http_start(script, 2);
    cr_assert_not_null(srv);
    char url[256];
    fake_http_url(srv, "/x", url, sizeof(url));
    tl_error err;
    tl_http_throttle *t = tl_http_throttle_new(0, &err);
    cr_assert_not_null(t);
    throttled first = {.url = url, .t = t};
    pthread_t th1, th2, th3;
    pthread_create(&th1, NULL, throttled_send, &first);
    struct timespec tick = {0, 5000000};
    for (int i = 0; i < 200 && fake_http_request_count(srv) < 1; i++)
        nanosleep(&tick, NULL);
    struct timespec settle = {0, 50000000};
    nanosleep(&settle, NULL); /* the 429 has been answered: the pause runs */
    /* another client starts: it waits for the pause instead of getting its own 429 */
    throttled second = {.url = url, .t = t};
    pthread_create(&th2, NULL, throttled_send, &second);
    /* one whose deadline ends within the pause gives up without an attempt */
    throttled third = {.url = url, .t = t, .deadline_ms = 200};
    pthread_create(&th3, NULL, throttled_send, &third);
    pthread_join(th1, NULL);
    pthread_join(th2, NULL);
    pthread_join(th3, NULL);
    cr_assert_eq(first.rc, TL_OK, "%s", first.msg);
    cr_assert_eq(first.attempts, 2);
    cr_assert_eq(second.rc, TL_OK, "%s", second.msg);
    cr_assert_eq(second.attempts, 1, "the second client made %d attempts", second.attempts);
    cr_assert_geq(second.elapsed_ms, 700, "the second client did not wait (%ld ms)",
                  second.elapsed_ms);
    cr_assert_eq(third.rc, TL_ETIMEOUT);
    cr_assert_eq(third.attempts, 0);
    cr_assert(strstr(third.msg, "rate-limit pause"), "%s", third.msg);
    cr_assert_eq(fake_http_request_count(srv), 3);
    tl_http_throttle_stats st;
    tl_http_throttle_stats_get(t, &st);
    cr_assert_eq(st.pauses, 1);
    cr_assert_geq(st.waits, 2);
    tl_http_throttle_free(t);
    fake_http_stop(srv);
}

/* Many clients in many threads at once: the shared DNS/TLS cache's locking holds up. */
Test(http, share_handle_under_threads)
{
    fake_http_response script[] = {{.status = 200, .body = "ok"}};
    fake_http *srv = fake_http_start(script, 1);
    cr_assert_not_null(srv);
    char url[256];
    snprintf(url, sizeof(url), "http://localhost:%d/x", fake_http_port(srv));
    throttled a[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (throttled){.url = url};
        pthread_create(&th[i], NULL, throttled_send, &a[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(a[i].rc, TL_OK, "%s", a[i].msg);
    }
    fake_http_stop(srv);
}

/* ---- TAPLOOP_HTTP_TIMEOUT_MS (read once per process: each test runs in its own) ------------- */

static void setup_cap(void)
{
    setenv(TL_HTTP_TIMEOUT_ENV, "200", 1);
    setup();
}

/* The variable caps an attempt's timeout below the request's own. */
Test(http_env, timeout_env_caps_every_attempt, .init = setup_cap, .timeout = 60)
{
    fake_http_response script[] = {{.action = FAKE_HTTP_HANG}};
    ctx t;
    ctx_start(&t, script, N(script), "/silent");
    tl_http_request r = req_for(t.url);
    r.timeout_ms = 30000;
    r.max_attempts = 2;
    long long t0 = mono_ms();
    cr_assert_eq(send_req(&t, &r), TL_ETIMEOUT, "%s", t.err.msg);
    cr_assert_lt(mono_ms() - t0, 20000); /* far below the request's own 2 x 30 s */
    cr_assert_not_null(strstr(t.err.msg, "timed out after 0.2 s (after 2 attempts)"), "%s",
                       t.err.msg);
    ctx_stop(&t);
}

static void setup_bad_cap(void)
{
    setenv(TL_HTTP_TIMEOUT_ENV, "2s", 1);
}

/* A value that is not milliseconds in range is a usage error naming the variable. */
Test(http_env, timeout_env_invalid, .init = setup_bad_cap, .timeout = 60)
{
    tl_error err = {0};
    cr_assert_eq(tl_http_global_init(&err), TL_EUSAGE);
    cr_assert_str_eq(err.msg, "TAPLOOP_HTTP_TIMEOUT_MS must be milliseconds (100..3600000), not "
                              "'2s'");
    cr_assert_null(tl_http_new(NULL, &err));
    cr_assert_eq(err.code, TL_EUSAGE);
}

/* A server that echoes the credentials it was sent: the message never repeats them. */
static int check_headers(long status, const char *type, const char *body,
                         const char *const *headers, tl_error *err)
{
    tl_http_response resp;
    tl_http_response_init(&resp);
    resp.status = status;
    resp.attempts = 1;
    snprintf(resp.content_type, sizeof(resp.content_type), "%s", type);
    tl_buf_puts(&resp.body, body);
    tl_http_request req = {.method = "POST",
                           .url = "https://api.example.com/v1/chat/completions",
                           .endpoint = "LLM",
                           .headers = headers};
    tl_error_clear(err);
    int rc = tl_http_check(&req, &resp, "check OPENAI_API_KEY", err);
    tl_http_response_dispose(&resp);
    return rc;
}

Test(http, check_scrubs_echoed_credentials)
{
    tl_error err;
    const char *const bearer[] = {"Content-Type: application/json",
                                  "Authorization: Bearer sk-SECRET-7f3a91c2e4", NULL};
    cr_assert_eq(check_headers(401, "application/json",
                               "{\"error\":{\"message\":\"Incorrect API key provided: Bearer "
                               "sk-SECRET-7f3a91c2e4. Key sk-SECRET-7f3a91c2e4 is unknown\"}}",
                               bearer, &err),
                 TL_EAUTH);
    cr_assert_null(strstr(err.msg, "7f3a91c2e4"), "%s", err.msg);
    cr_assert_str_eq(strstr(err.msg, "401 Unauthorized"),
                     "401 Unauthorized: Incorrect API key provided: <redacted>. Key <redacted> is "
                     "unknown; check OPENAI_API_KEY");
    /* text bodies and HTML too; content types are no credentials */
    check_headers(403, "text/plain", "forbidden for sk-SECRET-7f3a91c2e4 (application/json)",
                  bearer, &err);
    cr_assert_not_null(strstr(err.msg, ": forbidden for <redacted> (application/json)"), "%s",
                       err.msg);
    /* each word of a signed authorization header: the signature alone is found */
    const char *const signed_[] = {
        "authorization: HMAC-SHA256 Credential=AKID0001/20261125/armcloud-paas/request, "
        "SignedHeaders=content-type;host;x-content-sha256;x-date, "
        "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "x-date: 20261125T120000Z", NULL};
    check_headers(400, "application/json",
                  "{\"message\":\"bad sig 0123456789abcdef0123456789abcdef0123456789abcdef01234567"
                  "89abcdef at 20261125T120000Z\"}",
                  signed_, &err);
    cr_assert_null(strstr(err.msg, "0123456789abcdef"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "bad sig <redacted> at 20261125T120000Z"), "%s", err.msg);
    /* other headers (X-Api-Key, Cookie) are credentials too; short words are left alone */
    const char *const others[] = {"X-Api-Key: key-SECRET-0042", "Cookie: sid=SESSION-SECRET-9",
                                  NULL};
    check_headers(401, "text/plain", "key-SECRET-0042 and SESSION-SECRET-9 and sid", others, &err);
    cr_assert_not_null(strstr(err.msg, ": <redacted> and <redacted> and sid;"), "%s", err.msg);
}

Test(http, redact_body)
{
    const char *sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_printf(&b, "{\"msg\":\"bad %s; again %s%s\"}", sig, sig, sig);
    cr_assert_eq(tl_http_redact_body(&b, sig), 3);
    cr_assert_str_eq(b.data, "{\"msg\":\"bad <redacted>; again <redacted><redacted>\"}");
    cr_assert_eq(b.len, strlen(b.data));
    /* no occurrence, a near miss, a secret longer than the body, short or no secrets */
    cr_assert_eq(tl_http_redact_body(&b, "0123456789abcdef0123456789abcdeX"), 0);
    cr_assert_eq(tl_http_redact_body(&b, "short"), 0);
    cr_assert_eq(tl_http_redact_body(&b, NULL), 0);
    cr_assert_str_eq(b.data, "{\"msg\":\"bad <redacted>; again <redacted><redacted>\"}");
    tl_buf_dispose(&b);
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_http_redact_body(&b, sig), 0); /* an empty body */
    tl_buf_puts(&b, sig);
    cr_assert_eq(tl_http_redact_body(&b, sig), 1); /* the whole body */
    cr_assert_str_eq(b.data, "<redacted>");
    tl_buf_dispose(&b);
}
