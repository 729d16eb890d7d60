/*
 * test_adb_client.c - the adb socket client (drivers/adb/client.h) and the adb driver's choices
 * (device selection, errors, the shell commands it sends) against a scripted adb server that runs
 * in a thread of the test: it accepts connections on 127.0.0.1 (or a Unix socket), reads framed
 * requests, records them, and answers each with the first unused exchange of a list that
 * expects it (so a list written in order also serves concurrent connections).
 *
 * Faults covered: FAIL replies, garbage, replies cut short, a server that closes before
 * answering or never answers (timeout), cancellation while waiting, a refused connection,
 * output over the cap, replies trickled one byte at a time.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "drivers/adb/client.h"
#include "drivers/driver.h"

/* ---- the scripted server -------------------------------------------------------------------- */

typedef struct exchange {
    const char *expect; /* the request expected, or a prefix ending in '*' */
    const char *reply;  /* bytes sent back */
    size_t reply_len;   /* 0: strlen(reply) */
    bool next;          /* keep the connection for the next exchange (after host:transport) */
    bool stall;         /* after replying, hold the connection open and send nothing */
    bool trickle;       /* send the reply one byte at a time */
    volatile sig_atomic_t *raise; /* set to 1 when the request arrives */
} exchange;

#define MAX_REQ 64

typedef struct fake_server {
    int lfd;
    int port;
    char path[108]; /* Unix socket path, or "" */
    pthread_t th;
    const exchange *ex;
    size_t n;
    bool used[64];
    char req[MAX_REQ][4096]; /* requests received, truncated */
    size_t nreq;
    int connections;
    volatile int stop;
    pthread_mutex_t mu;
} fake_server;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool read_full(int fd, char *p, size_t n, volatile int *stop)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (*stop)
            return false;
        if (poll(&pf, 1, 50) <= 0)
            continue;
        ssize_t k = read(fd, p + got, n - got);
        if (k <= 0)
            return false;
        got += (size_t)k;
    }
    return true;
}

static void send_all(int fd, const char *p, size_t n, bool trickle)
{
    for (size_t off = 0; off < n;) {
        size_t chunk = trickle ? 1 : n - off;
        ssize_t k = send(fd, p + off, chunk, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        off += (size_t)k;
        if (trickle)
            sleep_ms(2);
    }
}

static bool matches(const char *expect, const char *req)
{
    size_t n = strlen(expect);
    if (n && expect[n - 1] == '*')
        return strncmp(expect, req, n - 1) == 0;
    return strcmp(expect, req) == 0;
}

static void serve_connection(fake_server *s, int fd)
{
    for (;;) {
        char head[5] = "";
        if (!read_full(fd, head, 4, &s->stop))
            break;
        size_t len = (size_t)strtoul(head, NULL, 16);
        char *req = calloc(1, len + 1);
        if (!read_full(fd, req, len, &s->stop)) {
            free(req);
            break;
        }
        pthread_mutex_lock(&s->mu);
        if (s->nreq < MAX_REQ)
            snprintf(s->req[s->nreq++], sizeof(s->req[0]), "%s", req);
        /* the first unused exchange expecting this request (concurrent connections may come
         * in any order), else the first unused one, to report the surprise */
        const exchange *e = NULL;
        for (size_t i = 0; i < s->n && !e; i++)
            if (!s->used[i] && (!s->ex[i].expect || matches(s->ex[i].expect, req)))
                e = &s->ex[i];
        for (size_t i = 0; i < s->n && !e; i++)
            if (!s->used[i])
                e = &s->ex[i];
        if (e)
            s->used[e - s->ex] = true;
        pthread_mutex_unlock(&s->mu);
        if (!e) {
            free(req);
            break;
        }
        if (e->raise)
            *e->raise = 1;
        if (e->expect && !matches(e->expect, req)) {
            char fail[600];
            int m = snprintf(fail, sizeof(fail), "unexpected request %.400s", req);
            char msg[700];
            int k = snprintf(msg, sizeof(msg), "FAIL%04x%s", (unsigned)m, fail);
            send_all(fd, msg, (size_t)k, false);
            free(req);
            break;
        }
        free(req);
        send_all(fd, e->reply, e->reply_len ? e->reply_len : strlen(e->reply), e->trickle);
        if (e->stall)
            while (!s->stop)
                sleep_ms(10);
        if (!e->next)
            break;
    }
    close(fd);
}

static void *server_main(void *arg)
{
    fake_server *s = arg;
    while (!s->stop) {
        struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        s->connections++;
        serve_connection(s, fd);
    }
    return NULL;
}

static void server_start(fake_server *s, const exchange *ex, size_t n, bool unix_socket)
{
    memset(s, 0, sizeof(*s));
    cr_assert_leq(n, 64);
    pthread_mutex_init(&s->mu, NULL);
    s->ex = ex;
    s->n = n;
    if (unix_socket) {
        snprintf(s->path, sizeof(s->path), "/tmp/tl-adb-test-%d.sock", (int)getpid());
        unlink(s->path);
        s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
        cr_assert_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
    } else {
        s->lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
        cr_assert_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        socklen_t sl = sizeof(sa);
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
        s->port = ntohs(sa.sin_port);
    }
    cr_assert_eq(listen(s->lfd, 8), 0);
    cr_assert_eq(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_stop(fake_server *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    if (s->path[0])
        unlink(s->path);
    pthread_mutex_destroy(&s->mu);
}

static tl_adb_server client_for(const fake_server *s)
{
    tl_adb_server srv;
    memset(&srv, 0, sizeof(srv));
    char spec[160];
    if (s->path[0])
        snprintf(spec, sizeof(spec), "localfilesystem:%s", s->path);
    else
        snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", s->port);
    tl_error err;
    cr_assert_eq(tl_adb_parse_socket_spec(&srv.spec, spec, &err), TL_OK, "%s", err.msg);
    srv.timeout_ms = 5000;
    return srv;
}

/* Point ADB_SERVER_SOCKET at the server (each Criterion test is its own process). */
static void use_server(const fake_server *s)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", s->port);
    setenv("ADB_SERVER_SOCKET", spec, 1);
    unsetenv("ANDROID_SERIAL");
}

/* A port nothing listens on. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* "OKAY" + 4 hex digits + payload, in a static buffer per call site. */
static const char *okay_block(char *buf, size_t size, const char *payload)
{
    snprintf(buf, size, "OKAY%04x%s", (unsigned)strlen(payload), payload);
    return buf;
}

/* ---- host queries --------------------------------------------------------------------------- */

Test(adb_client, host_query)
{
    char r1[128], r2[256];
    const exchange ex[] = {
        {.expect = "host:version", .reply = okay_block(r1, sizeof(r1), "0029")},
        {.expect = "host:devices-l",
         .reply = okay_block(r2, sizeof(r2), "emulator-5554          device transport_id:1\n")},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(tl_adb_host_query(&srv, "host:version", &out, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(out.data, "0029");
    cr_assert_eq(tl_adb_host_query(&srv, "host:devices-l", &out, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(out.data, "emulator-5554          device transport_id:1\n");
    server_stop(&s);
    cr_assert_eq(s.nreq, 2);
    cr_assert_eq(s.connections, 2, "one connection per request");
    tl_buf_dispose(&out);
}

Test(adb_client, host_query_trickled_and_unix_socket)
{
    char r1[128];
    const exchange ex[] = {
        {.expect = "host:devices-l",
         .reply = okay_block(r1, sizeof(r1), "A\tdevice\nB\toffline\n"),
         .trickle = true},
    };
    fake_server s;
    server_start(&s, ex, N(ex), true);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(tl_adb_host_query(&srv, "host:devices-l", &out, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(out.data, "A\tdevice\nB\toffline\n");
    server_stop(&s);
    tl_buf_dispose(&out);
}

Test(adb_client, host_query_faults)
{
    static const struct {
        const char *reply;
        const char *says;
    } cases[] = {
        {"FAIL0014unknown host service", "refused host:devices-l: unknown host service"},
        {"HTTP/1.1 400 Bad Request\r\n\r\n", "expected OKAY or FAIL"},
        {"OKAY0100only a few bytes", "in the middle of its answer"},
        {"OKAYzzzz", "4-hex-digit length"},
        {"OK", "before answering"},
        {"", "before answering"},
        {"FAIL00", "before answering"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const exchange ex[] = {{.expect = "host:devices-l", .reply = cases[i].reply}};
        fake_server s;
        server_start(&s, ex, 1, false);
        tl_adb_server srv = client_for(&s);
        tl_buf out;
        tl_buf_init(&out, 0);
        tl_error err;
        int rc = tl_adb_host_query(&srv, "host:devices-l", &out, &err);
        cr_assert_eq(rc, TL_EBADRESP, "case %zu: %s %s", i, tl_err_name(rc), err.msg);
        cr_assert_not_null(strstr(err.msg, cases[i].says), "case %zu: %s", i, err.msg);
        cr_assert_eq(out.len, 0);
        server_stop(&s);
        tl_buf_dispose(&out);
    }
}

Test(adb_client, server_not_running)
{
    tl_adb_server srv;
    memset(&srv, 0, sizeof(srv));
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", closed_port());
    tl_error err;
    cr_assert_eq(tl_adb_parse_socket_spec(&srv.spec, spec, &err), TL_OK);
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(tl_adb_host_query(&srv, "host:devices-l", &out, &err), TL_ENET);
    cr_assert_not_null(strstr(err.msg, "adb server not reachable at"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, spec), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "adb start-server"), "%s", err.msg);
    cr_assert_eq(tl_adb_device_service(&srv, "S", "shell:true", "true", &out, 100, &err), TL_ENET);

    cr_assert_eq(tl_adb_parse_socket_spec(&srv.spec, "localfilesystem:/nonexistent/adb.sock", &err),
                 TL_OK);
    cr_assert_eq(tl_adb_host_query(&srv, "host:devices-l", &out, &err), TL_ENET);
    cr_assert_not_null(strstr(err.msg, "/nonexistent/adb.sock"), "%s", err.msg);
    tl_buf_dispose(&out);
}

Test(adb_client, timeout_and_cancel)
{
    /* a server that accepts and never answers: the whole exchange is bounded */
    const exchange stall[] = {{.expect = "host:devices-l", .reply = "OK", .stall = true}};
    fake_server s;
    server_start(&s, stall, 1, false);
    tl_adb_server srv = client_for(&s);
    srv.timeout_ms = 300;
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    long long t0 = tl_now_ms();
    cr_assert_eq(tl_adb_host_query(&srv, "host:devices-l", &out, &err), TL_ETIMEOUT, "%s", err.msg);
    long long took = tl_now_ms() - t0;
    cr_assert(took >= 290 && took < 2000, "took %lld ms", took);
    cr_assert_not_null(strstr(err.msg, "300 ms"), "%s", err.msg);
    server_stop(&s);

    /* the cancel flag stops a call that would wait 10 s, within a slice */
    volatile sig_atomic_t cancel = 0;
    const exchange raise[] = {
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "shell:*", .reply = "OKAYpartial output", .stall = true, .raise = &cancel},
    };
    server_start(&s, raise, 2, false);
    srv = client_for(&s);
    srv.timeout_ms = 10000;
    srv.cancel = &cancel;
    t0 = tl_now_ms();
    cr_assert_eq(tl_adb_device_service(&srv, "S", "shell:sleep 100", "sleep", &out, 1000, &err),
                 TL_ECANCELED, "%s", err.msg);
    took = tl_now_ms() - t0;
    cr_assert_lt(took, 1000, "took %lld ms", took);
    server_stop(&s);

    /* raised before the call: no connection at all */
    server_start(&s, raise, 2, false);
    srv = client_for(&s);
    srv.cancel = &cancel;
    cr_assert_eq(tl_adb_host_query(&srv, "host:version", &out, &err), TL_ECANCELED);
    server_stop(&s);
    cr_assert_eq(s.connections, 0);
    tl_buf_dispose(&out);
}

/* ---- device services ------------------------------------------------------------------------ */

Test(adb_client, device_service)
{
    static const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0\0IEND\xae\x42\x60\x82";
    char reply[64];
    memcpy(reply, "OKAY", 4);
    memcpy(reply + 4, binary, sizeof(binary) - 1);
    const exchange ex[] = {
        {.expect = "host:transport:emulator-5554", .reply = "OKAY", .next = true},
        {.expect = "shell:echo hi", .reply = "OKAYhi\n"},
        {.expect = "host:transport:emulator-5554", .reply = "OKAY", .next = true},
        {.expect = "exec:screencap -p", .reply = reply, .reply_len = 4 + sizeof(binary) - 1},
        {.expect = "host:transport:emulator-5554", .reply = "OKAY", .next = true, .trickle = true},
        {.expect = "shell:true", .reply = "OKAY", .trickle = true},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(
        tl_adb_device_service(&srv, "emulator-5554", "shell:echo hi", "echo", &out, 100, &err),
        TL_OK, "%s", err.msg);
    cr_assert_eq(out.len, 3);
    cr_assert_str_eq(out.data, "hi\n");
    cr_assert_eq(tl_adb_device_service(&srv, "emulator-5554", "exec:screencap -p", "screencap",
                                       &out, 1000, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_eq(out.len, sizeof(binary) - 1, "binary-safe: NULs kept");
    cr_assert(memcmp(out.data, binary, out.len) == 0);
    cr_assert_eq(
        tl_adb_device_service(&srv, "emulator-5554", "shell:true", "true", &out, 100, &err), TL_OK,
        "%s", err.msg);
    cr_assert_eq(out.len, 0);
    server_stop(&s);
    cr_assert_eq(s.nreq, 6);
    cr_assert_str_eq(s.req[0], "host:transport:emulator-5554");
    cr_assert_str_eq(s.req[1], "shell:echo hi");
    cr_assert_eq(s.connections, 3);
    tl_buf_dispose(&out);
}

Test(adb_client, device_service_large_output)
{
    size_t n = (size_t)3 << 20;
    char *reply = malloc(n + 4);
    memcpy(reply, "OKAY", 4);
    for (size_t i = 0; i < n; i++)
        reply[4 + i] = (char)(i * 7);
    const exchange ex[] = {
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "exec:cat big", .reply = reply, .reply_len = n + 4},
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "exec:cat big", .reply = reply, .reply_len = n + 4},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(tl_adb_device_service(&srv, "S", "exec:cat big", "cat", &out, n, &err), TL_OK,
                 "%s", err.msg);
    cr_assert_eq(out.len, n);
    cr_assert(memcmp(out.data, reply + 4, n) == 0);
    /* one byte under the size: refused, and said so */
    cr_assert_eq(tl_adb_device_service(&srv, "S", "exec:cat big", "cat", &out, n - 1, &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "more than"), "%s", err.msg);
    server_stop(&s);
    free(reply);
    tl_buf_dispose(&out);
}

Test(adb_client, transport_refused)
{
    static const char unauthorized[] =
        "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb "
        "kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your "
        "device.";
    char r_unauth[400];
    snprintf(r_unauth, sizeof(r_unauth), "FAIL%04x%s", (unsigned)strlen(unauthorized),
             unauthorized);
    static const struct {
        const char *reply;
        int code;
        const char *says;
    } cases[] = {
        {"FAIL0016device 'zzz' not found", TL_ENOTFOUND, "no device 'zzz'"},
        {NULL, TL_ENOTREADY, "Allow USB debugging"},
        {"FAIL000edevice offline", TL_ENOTREADY, "replug"},
        {"FAIL0018device still authorizing", TL_ENOTREADY, "authorizing"},
        {"FAIL0011something strange", TL_ENOTREADY, "something strange"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        const exchange ex[] = {
            {.expect = "host:transport:zzz", .reply = cases[i].reply ? cases[i].reply : r_unauth}};
        fake_server s;
        server_start(&s, ex, 1, false);
        tl_adb_server srv = client_for(&s);
        tl_buf out;
        tl_buf_init(&out, 0);
        tl_error err;
        int rc = tl_adb_device_service(&srv, "zzz", "shell:true", "true", &out, 100, &err);
        cr_assert_eq(rc, cases[i].code, "case %zu: %s %s", i, tl_err_name(rc), err.msg);
        cr_assert_not_null(strstr(err.msg, cases[i].says), "case %zu: %s", i, err.msg);
        cr_assert_null(strchr(err.msg, '\n'), "one line: %s", err.msg);
        server_stop(&s);
        cr_assert_eq(s.nreq, 1, "the service is not sent after a refused transport");
        tl_buf_dispose(&out);
    }
}

Test(adb_client, long_fail_message)
{
    /* a FAIL message of 65535 bytes, with control bytes: bounded, one line, printable */
    size_t n = 0xffff;
    char *reply = malloc(8 + n);
    memcpy(reply, "FAILffff", 8);
    for (size_t i = 0; i < n; i++)
        reply[8 + i] = (char)("ab\n\x01 c"[i % 6]);
    const exchange ex[] = {{.expect = "host:transport:S", .reply = reply, .reply_len = 8 + n}};
    fake_server s;
    server_start(&s, ex, 1, false);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(tl_adb_device_service(&srv, "S", "shell:true", "true", &out, 100, &err),
                 TL_ENOTREADY);
    cr_assert_lt(strlen(err.msg), TL_ERROR_MSG_MAX);
    cr_assert_not_null(strstr(err.msg, "ab ? cab"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "..."), "%s", err.msg);
    for (const char *p = err.msg; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "%s", err.msg);
    server_stop(&s);
    free(reply);
    tl_buf_dispose(&out);
}

Test(adb_client, service_refused_and_cut)
{
    const exchange ex[] = {
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "exec:*", .reply = "FAIL0006closed"},
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "shell:*", .reply = "OKA"},
        {.expect = "host:transport:S", .reply = "OKAY", .next = true},
        {.expect = "shell:*", .reply = "NOPE and more"},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    tl_adb_server srv = client_for(&s);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(
        tl_adb_device_service(&srv, "S", "exec:screencap -p", "screencap", &out, 100, &err),
        TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "refused to run screencap: closed"), "%s", err.msg);
    cr_assert_eq(tl_adb_device_service(&srv, "S", "shell:x", "x", &out, 100, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "before answering"), "%s", err.msg);
    cr_assert_eq(tl_adb_device_service(&srv, "S", "shell:x", "x", &out, 100, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "expected OKAY or FAIL"), "%s", err.msg);
    server_stop(&s);
    tl_buf_dispose(&out);
}

Test(adb_client, request_too_long)
{
    const exchange ex[] = {{.expect = "host:transport:S", .reply = "OKAY", .next = true}};
    fake_server s;
    server_start(&s, ex, 1, false);
    tl_adb_server srv = client_for(&s);
    size_t n = 70000;
    char *svc = malloc(n + 1);
    memset(svc, 'x', n);
    memcpy(svc, "shell:", 6);
    svc[n] = '\0';
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    cr_assert_eq(tl_adb_device_service(&srv, "S", svc, "typing", &out, 100, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "65535"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "xxxx"), "the request is not quoted: %s", err.msg);
    server_stop(&s);
    free(svc);
    tl_buf_dispose(&out);
}

/* ---- the driver: choosing a device ---------------------------------------------------------- */

static const char listing[] =
    "R58M123ABCD            unauthorized usb:1-1 transport_id:2\n"
    "emulator-5554          device product:sdk_gphone64 model:Pixel_7 device:emu64xa "
    "transport_id:1\n"
    "192.168.1.50:5555      device product:panther model:Pixel_7a device:panther "
    "transport_id:4\n";

Test(adb_driver, first_ready_device_and_serial_choice)
{
    char r[512];
    okay_block(r, sizeof(r), listing);
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = r},
        {.expect = "host:devices-l", .reply = r},
        {.expect = "host:devices-l", .reply = r},
        {.expect = "host:devices-l", .reply = r},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    use_server(&s);
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {0};
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(tl_driver_device(d), "emulator-5554", "the first in state device");
    cr_assert_eq(tl_driver_caps(d) & TL_DRIVER_CAP_RESET, 0);
    tl_driver_close(d);

    setenv("ANDROID_SERIAL", "192.168.1.50:5555", 1);
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(tl_driver_device(d), "192.168.1.50:5555");
    tl_driver_close(d);

    cfg.device = "emulator-5554"; /* --device wins over ANDROID_SERIAL */
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(tl_driver_device(d), "emulator-5554");
    tl_driver_close(d);

    cfg.device = "model:Pixel_7a"; /* a qualifier resolves to the serial */
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(tl_driver_device(d), "192.168.1.50:5555");
    tl_driver_close(d);
    server_stop(&s);
}

Test(adb_driver, no_usable_device)
{
    char r_listing[512], r_unauth[200], r_none[32], r_offline[200];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r_listing, sizeof(r_listing), listing)},
        {.expect = "host:devices-l", .reply = okay_block(r_listing, sizeof(r_listing), listing)},
        {.expect = "host:devices-l",
         .reply = okay_block(r_unauth, sizeof(r_unauth),
                             "R58M123ABCD            unauthorized usb:1-1 transport_id:2\n")},
        {.expect = "host:devices-l", .reply = okay_block(r_none, sizeof(r_none), "")},
        {.expect = "host:devices-l",
         .reply = okay_block(r_offline, sizeof(r_offline), "X offline transport_id:3\n")},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    use_server(&s);
    tl_driver *d = NULL;
    tl_error err;

    setenv("ANDROID_SERIAL", "NOSUCHSERIAL", 1);
    tl_driver_config cfg = {0};
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTFOUND, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "\"NOSUCHSERIAL\" (from ANDROID_SERIAL)"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "emulator-5554 (device)"), "lists what is there: %s",
                       err.msg);
    unsetenv("ANDROID_SERIAL");

    cfg.device = "R58M123ABCD";
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTREADY, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "R58M123ABCD is unauthorized"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Allow USB debugging"), "%s", err.msg);

    cfg.device = NULL;
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTREADY, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "no device is ready"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Allow USB debugging"), "%s", err.msg);

    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTFOUND, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "USB debugging enabled"), "%s", err.msg);

    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTREADY, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "replug"), "%s", err.msg);
    cr_assert_null(d);
    server_stop(&s);
}

Test(adb_driver, wait_for_the_device)
{
    char none[16], authorizing[64], ready[64], offline[64];
    okay_block(none, sizeof(none), "");
    okay_block(authorizing, sizeof(authorizing), "S authorizing\n");
    okay_block(ready, sizeof(ready), "S device\n");
    okay_block(offline, sizeof(offline), "S offline\n");
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = none},
        {.expect = "host:devices-l", .reply = none},
        {.expect = "host:devices-l", .reply = authorizing},
        {.expect = "host:devices-l", .reply = ready},
    };
    fake_server s;
    server_start(&s, ex, N(ex), false);
    use_server(&s);
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = "S", .wait = true, .wait_timeout_ms = 5000};
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(tl_driver_device(d), "S");
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 4);

    /* bounded: a device that stays offline */
    const exchange later[] = {
        {.expect = "host:devices-l", .reply = offline},
        {.expect = "host:devices-l", .reply = offline},
        {.expect = "host:devices-l", .reply = offline},
        {.expect = "host:devices-l", .reply = offline},
    };
    server_start(&s, later, N(later), false);
    use_server(&s);
    cfg.wait_timeout_ms = 700;
    long long t0 = tl_now_ms();
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENOTREADY, "%s", err.msg);
    cr_assert_lt(tl_now_ms() - t0, 2000);
    cr_assert_not_null(strstr(err.msg, "after waiting"), "%s", err.msg);
    server_stop(&s);
}

Test(adb_driver, configuration_errors)
{
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {0};
    setenv("ADB_SERVER_SOCKET", "127.0.0.1:5037", 1);
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "ADB_SERVER_SOCKET"), "%s", err.msg);
    tl_device_list devs = {0};
    cr_assert_eq(tl_driver_list_devices("adb", NULL, &devs, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "ADB_SERVER_SOCKET"), "%s", err.msg);

    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", closed_port());
    setenv("ADB_SERVER_SOCKET", spec, 1);
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_ENET);
    cr_assert_not_null(strstr(err.msg, spec), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "adb start-server"), "%s", err.msg);
    cr_assert_eq(tl_driver_list_devices("adb", NULL, &devs, &err), TL_ENET);

    cfg.provision = "pixel";
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_EUNSUPPORTED);
    cr_assert_null(d);
}

Test(adb_driver, list_devices)
{
    char r[512];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), listing)}};
    fake_server s;
    server_start(&s, ex, 1, false);
    use_server(&s);
    tl_device_list devs = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_devices("adb", NULL, &devs, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(devs.n, 3);
    cr_assert_str_eq(devs.items[0].id, "R58M123ABCD");
    cr_assert_str_eq(devs.items[0].state, "unauthorized");
    cr_assert_str_eq(devs.items[0].name, "");
    cr_assert_not(devs.items[0].ready);
    cr_assert_str_eq(devs.items[1].id, "emulator-5554");
    cr_assert_str_eq(devs.items[1].name, "Pixel_7");
    cr_assert_str_eq(devs.items[1].type, "product:sdk_gphone64 device:emu64xa");
    cr_assert(devs.items[1].ready);
    tl_device_list_dispose(&devs);
    server_stop(&s);
}

/* ---- the driver: the commands it sends ------------------------------------------------------ */

#define DUMP                                                                                   \
    "shell:uiautomator dump '/sdcard/window_dump.xml' && cat '/sdcard/window_dump.xml'; echo " \
    ":taploop-exit=$?"
#define DUMP_SIZE                                                                            \
    "shell:uiautomator dump '/sdcard/window_dump.xml' && cat '/sdcard/window_dump.xml'; wm " \
    "size; echo :taploop-exit=$?"
#define T(serial)                                                         \
    {                                                                     \
        .expect = "host:transport:" serial, .reply = "OKAY", .next = true \
    }

/* An open session on serial S (one devices-l exchange first). */
static tl_driver *open_s(fake_server *s, const exchange *ex, size_t n)
{
    server_start(s, ex, n, false);
    use_server(s);
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = "S"};
    cr_assert_eq(tl_driver_open(&d, "adb", &cfg, &err), TL_OK, "%s", err.msg);
    return d;
}

Test(adb_driver, actions)
{
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = "shell:input tap 5 6; echo :taploop-exit=$?", .reply = "OKAY:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:input swipe 1 2 3 4 300; echo :taploop-exit=$?",
         .reply = "OKAY:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:input keyevent 4; echo :taploop-exit=$?",
         .reply = "OKAY:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:input text 'Tom%sO'\\''Neil'; echo :taploop-exit=$?",
         .reply = "OKAY:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:am force-stop 'com.example'; echo :taploop-exit=$?",
         .reply = "OKAY:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:pm list packages; echo :taploop-exit=$?",
         .reply = "OKAYpackage:com.android.settings\npackage:com.example\n:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:input tap 7 8; echo :taploop-exit=$?",
         .reply = "OKAYError: something\n:taploop-exit=1\n"},
        T("S"),
        {.expect = "shell:input tap 9 9; echo :taploop-exit=$?", .reply = "OKAYhalf"},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    cr_assert_eq(tl_driver_tap(d, 5, 6, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_swipe(d, 1, 2, 3, 4, 300, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_press_key(d, TL_KEY_BACK, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_type(d, "Tom O'Neil", false, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_stop_app(d, "com.example", &err), TL_OK, "%s", err.msg);
    tl_app_list apps = {0};
    cr_assert_eq(tl_driver_list_apps(d, &apps, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(apps.n, 2);
    cr_assert_str_eq(apps.items[1].package, "com.example");
    tl_app_list_dispose(&apps);
    cr_assert_eq(tl_driver_tap(d, 7, 8, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "exit status 1"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Error: something"), "%s", err.msg);
    cr_assert_eq(tl_driver_tap(d, 9, 9, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "closed early"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "input tap on S"), "%s", err.msg);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 17, "every request was the expected one");
}

Test(adb_driver, typing_needs_adb_keyboard)
{
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = "shell:settings get secure default_input_method; echo :taploop-exit=$?",
         .reply = "OKAYcom.google.android.inputmethod.latin/com.android.inputmethod.latin."
                  "LatinIME\n:taploop-exit=0\n"},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    /* clear=true: the field must not be cleared when the text cannot be typed */
    cr_assert_eq(tl_driver_type(d, "Zoë", true, &err), TL_EUNSUPPORTED, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "ADB Keyboard"), "%s", err.msg);
    /* asked once per session */
    cr_assert_eq(tl_driver_type(d, "日本", false, &err), TL_EUNSUPPORTED, "%s", err.msg);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 3);
}

Test(adb_driver, typing_with_adb_keyboard)
{
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = "shell:settings get secure default_input_method; echo :taploop-exit=$?",
         .reply = "OKAYcom.android.adbkeyboard/.AdbIME\n:taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:input keyevent 123 && input keyevent 67*",
         .reply = "OKAY:taploop-exit=0\n"},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    cr_assert_eq(tl_driver_type(d, "Zoë", true, &err), TL_OK, "%s", err.msg);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 5);
    cr_assert_not_null(strstr(s.req[4], "am broadcast -a ADB_INPUT_B64"), "%s", s.req[4]);
    cr_assert_not_null(strstr(s.req[4], " && input text 'Zo' && "), "%s", s.req[4]);
}

Test(adb_driver, long_text_in_pieces)
{
    /* 8400 characters: over the single-call limit, typed 500 at a time, the clearing first */
    size_t n = 8400;
    char *text = malloc(n + 1);
    memset(text, 'a', n);
    text[n] = '\0';
    text[499] = '%'; /* "%s" across two pieces stays literal: two separate calls */
    text[500] = 's';
    char r[64];
    exchange ex[40] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")}};
    size_t k = 1;
    for (int piece = 0; piece < 17; piece++) {
        ex[k++] = (exchange)T("S");
        ex[k++] = (exchange){.expect = piece == 0 ? "shell:input keyevent 123 && input keyevent 67*"
                                                  : "shell:input text '*",
                             .reply = "OKAY:taploop-exit=0\n"};
    }
    fake_server s;
    tl_driver *d = open_s(&s, ex, k);
    tl_error err;
    cr_assert_eq(tl_driver_type(d, text, true, &err), TL_OK, "%s", err.msg);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, k);
    cr_assert_not_null(strstr(s.req[2], " && input text 'aaa"), "%.200s", s.req[2]);
    cr_assert_not_null(strstr(s.req[2], "aaa%'; echo :taploop-exit=$?"), "piece 1 ends with %%");
    cr_assert(strncmp(s.req[4], "shell:input text 'saaa", 22) == 0, "%.100s", s.req[4]);
    cr_assert_not_null(strstr(s.req[k - 1], "input text 'aaaa"), "%.100s", s.req[k - 1]);
    free(text);
}

Test(adb_driver, start_app)
{
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = "shell:monkey -p 'com.android.settings' -c android.intent.category.LAUNCHER 1; "
                   "echo :taploop-exit=$?",
         .reply = "OKAY  bash arg: -p\n  bash arg: com.android.settings\nEvents injected: 1\n"
                  ":taploop-exit=0\n"},
        T("S"),
        {.expect = "shell:monkey -p 'org.nope' *",
         .reply = "OKAY** No activities found to run, monkey aborted.\n:taploop-exit=251\n"},
        T("S"),
        {.expect = "shell:am start -n 'com.android.settings/.Settings'; echo :taploop-exit=$?",
         .reply = "OKAYStarting: Intent { cmp=com.android.settings/.Settings }\n"
                  ":taploop-exit=0\n"},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    cr_assert_eq(tl_driver_start_app(d, "com.android.settings", NULL, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_start_app(d, "org.nope", NULL, &err), TL_EREJECTED, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "org.nope"), "%s", err.msg);
    cr_assert_eq(tl_driver_start_app(d, "com.android.settings", ".Settings", &err), TL_OK, "%s",
                 err.msg);
    cr_assert_eq(tl_driver_start_app(d, "bad;name", NULL, &err), TL_EUSAGE);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 7, "an invalid name is never sent");
}

Test(adb_driver, observe)
{
    static const char xml[] =
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        "<node index=\"0\" text=\"Hello\" resource-id=\"\" class=\"android.widget.TextView\" "
        "package=\"com.example\" content-desc=\"\" checkable=\"false\" checked=\"false\" "
        "clickable=\"true\" enabled=\"true\" focusable=\"true\" focused=\"false\" "
        "scrollable=\"false\" long-clickable=\"false\" password=\"false\" selected=\"false\" "
        "bounds=\"[0,0][1080,200]\" /></hierarchy>";
    char r[64], cat[1200], stale[1200];
    snprintf(cat, sizeof(cat),
             "OKAYUI hierchary dumped to: /sdcard/window_dump.xml\n%s"
             ":taploop-exit=0\n",
             xml);
    snprintf(stale, sizeof(stale),
             "OKAYERROR: null root node returned by UiTestAutomationBridge.\n"
             "%s:taploop-exit=0\n",
             xml);
    static const char png[] = "OKAY\x89PNG\r\n\x1a\n\0\0\0\0IEND\xae\x42\x60\x82";
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        /* the first dump of a session asks the display size in the same call */
        {.expect = DUMP_SIZE,
         .reply = "OKAYERROR: could not get idle state.\nPhysical size: 1080x2400\n"
                  ":taploop-exit=0\n"},
        T("S"),
        /* uiautomator failed but exited 0, so cat printed the previous dump: not taken */
        {.expect = DUMP, .reply = stale},
        T("S"),
        {.expect = DUMP, .reply = cat},
        T("S"),
        {.expect = "exec:screencap -p", .reply = png, .reply_len = sizeof(png) - 1},
        T("S"),
        {.expect = "exec:screencap -p", .reply = png, .reply_len = sizeof(png) - 5},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    tl_observation o;
    tl_observation_init(&o);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE | TL_OBSERVE_SCREENSHOT, &o, &err), TL_OK,
                 "%s", err.msg);
    cr_assert_eq(o.display_w, 1080);
    cr_assert_eq(o.display_h, 2400);
    cr_assert_eq(o.tree.len, strlen(xml));
    cr_assert_str_eq(o.tree.data, xml);
    cr_assert_eq(o.screenshot.len, sizeof(png) - 5);
    cr_assert_str_eq(o.screenshot_type, "image/png");
    /* a PNG cut short is refused */
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "whole PNG"), "%s", err.msg);
    tl_observation_dispose(&o);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 11);
}

Test(adb_driver, observe_gives_up)
{
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = DUMP_SIZE,
         .reply = "OKAYERROR: could not get idle state.\n/system/bin/sh: wm: not found\n"
                  ":taploop-exit=127\n"},
        T("S"),
        {.expect = DUMP, .reply = "OKAYERROR: could not get idle state.\n:taploop-exit=0\n"},
        T("S"),
        {.expect = DUMP, .reply = "OKAYERROR: could not get idle state.\n:taploop-exit=0\n"},
        T("S"),
        {.expect = DUMP,
         .reply = "OKAYUI hierchary dumped to: /sdcard/window_dump.xml\n"
                  "cat: /sdcard/window_dump.xml: No such file\n:taploop-exit=1\n"},
        T("S"),
        {.expect = DUMP,
         .reply = "OKAYUI hierchary dumped to: /sdcard/window_dump.xml\n"
                  "<?xml version='1.0'?><hierarchy><node>:taploop-exit=0\n"},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    tl_observation o;
    tl_observation_init(&o);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_ENOTREADY, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "could not get idle state"), "%s", err.msg);
    cr_assert_eq(o.display_w, 0, "wm size failed: the size is unknown, not an error");
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_EBADRESP, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "exit status 1"), "%s", err.msg);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_EBADRESP, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "no complete uiautomator XML"), "%s", err.msg);
    cr_assert_eq(o.tree.len, 0);
    tl_observation_dispose(&o);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 11);
}

Test(adb_driver, observe_screenshot_only)
{
    static const char png[] = "OKAY\x89PNG\r\n\x1a\n\0\0\0\0IEND\xae\x42\x60\x82";
    char r[64];
    const exchange ex[] = {
        {.expect = "host:devices-l", .reply = okay_block(r, sizeof(r), "S device\n")},
        T("S"),
        {.expect = "shell:wm size; echo :taploop-exit=$?",
         .reply = "OKAYPhysical size: 1440x3120\nOverride size: 1080x2340\n:taploop-exit=0\n"},
        T("S"),
        {.expect = "exec:screencap -p", .reply = png, .reply_len = sizeof(png) - 1},
    };
    fake_server s;
    tl_driver *d = open_s(&s, ex, N(ex));
    tl_error err;
    tl_observation o;
    tl_observation_init(&o);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(o.display_w, 1080);
    cr_assert_eq(o.display_h, 2340);
    cr_assert_eq(o.tree.len, 0);
    tl_observation_dispose(&o);
    tl_driver_close(d);
    server_stop(&s);
    cr_assert_eq(s.nreq, 5);
}
