/*
 * fake_http.c - the scripted HTTP/1.1 test server (see fake_http.h).
 *
 * One thread runs a poll() loop over a self-pipe (to be stopped), the listening socket and the
 * open connections. Each connection accumulates bytes until it holds a whole request (header
 * block, then Content-Length bytes of body); the request is recorded under the mutex, then the
 * script entry for it is played. Reads only happen on sockets poll() reported readable, writes
 * have SO_SNDTIMEO, and poll() itself times out after FAKE_HTTP_IDLE_MS: nothing can block for
 * long.
 */
#include "tests/support/fake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_CONNS      32
#define HEAD_MAX       (64 << 10)
#define BODY_MAX       (16 << 20)
#define SEND_TIMEOUT_S 5

typedef struct conn {
    int fd;
    int number;     /* 1-based, in accept order */
    bool hung;      /* FAKE_HTTP_HANG: ignore data, wait for the client to close */
    bool continued; /* "100 Continue" already sent for the request in progress */
    char *buf;
    size_t len, cap;
} conn;

struct fake_http {
    int listen_fd;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    bool started;
    fake_http_response *script;
    size_t script_len;
    size_t served; /* requests received, recorded or not */
    conn conns[MAX_CONNS];
    size_t nconns;

    pthread_mutex_t lock; /* guards what follows, read by the test thread */
    int accepted;
    size_t nrequests;
    fake_http_request requests[FAKE_HTTP_MAX_REQUESTS];
};

enum { KEEP, DROP, STOP }; /* what becomes of a connection after a request */

/* ---- socket helpers ------------------------------------------------------------------------- */

static bool send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Wait ms milliseconds, or less if the server is told to stop. @return false when stopping. */
static bool pause_ms(fake_http *s, int ms)
{
    struct pollfd p = {.fd = s->stop_pipe[0], .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r == 0;
}

static void close_conn(fake_http *s, size_t i)
{
    close(s->conns[i].fd);
    free(s->conns[i].buf);
    s->conns[i] = s->conns[--s->nconns];
}

/* Make the coming close() send a TCP RST instead of a FIN. */
static void arm_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* ---- requests ------------------------------------------------------------------------------- */

static const char *find_crlf2(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    return NULL;
}

/* The value of a header in a raw header block (after the request line), or NULL. */
static const char *head_value(const char *head, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *line = head; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = ll - (size_t)(v - line);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            *len = vl;
            return v;
        }
        line = eol ? eol + 2 : NULL;
    }
    return NULL;
}

bool fake_http_header(const fake_http_request *r, const char *name, char *out, size_t size)
{
    size_t len = 0;
    const char *v = r && r->head ? head_value(r->head, name, &len) : NULL;
    if (!v)
        return false;
    if (size) {
        if (len >= size)
            len = size - 1;
        memcpy(out, v, len);
        out[len] = '\0';
    }
    return true;
}

/* Record a request. The strings are copied; a request beyond the record's size is not kept. */
static void record(fake_http *s, const char *line, size_t line_len, const char *head,
                   size_t head_len, const char *body, size_t body_len, int number)
{
    pthread_mutex_lock(&s->lock);
    if (s->nrequests < FAKE_HTTP_MAX_REQUESTS) {
        fake_http_request *r = &s->requests[s->nrequests];
        memset(r, 0, sizeof(*r));
        char l[sizeof(r->target) + 64];
        size_t n = line_len < sizeof(l) - 1 ? line_len : sizeof(l) - 1;
        memcpy(l, line, n);
        l[n] = '\0';
        char *sp = strchr(l, ' ');
        if (sp) {
            *sp = '\0';
            snprintf(r->method, sizeof(r->method), "%.*s", (int)sizeof(r->method) - 1, l);
            char *target = sp + 1;
            char *sp2 = strchr(target, ' ');
            if (sp2)
                *sp2 = '\0';
            snprintf(r->target, sizeof(r->target), "%.*s", (int)sizeof(r->target) - 1, target);
        }
        r->head = malloc(head_len + 1);
        r->body = malloc(body_len + 1);
        if (r->head) {
            memcpy(r->head, head, head_len);
            r->head[head_len] = '\0';
        }
        if (r->body) {
            memcpy(r->body, body, body_len);
            r->body[body_len] = '\0';
        }
        r->body_len = body_len;
        r->connection = number;
        s->nrequests++;
    }
    pthread_mutex_unlock(&s->lock);
}

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Play a script entry on connection c. @return KEEP, DROP or STOP. */
static int play(fake_http *s, conn *c, const fake_http_response *r)
{
    if (r->delay_ms > 0 && !pause_ms(s, r->delay_ms))
        return STOP;
    switch (r->action) {
    case FAKE_HTTP_CLOSE: return DROP;
    case FAKE_HTTP_RESET: arm_reset(c->fd); return DROP;
    case FAKE_HTTP_HANG: c->hung = true; return KEEP;
    case FAKE_HTTP_ANSWER:
    case FAKE_HTTP_TRUNCATE: break;
    }
    const char *body = r->body ? r->body : "";
    size_t body_len = r->body_len ? r->body_len : strlen(body);
    int status = r->status ? r->status : 200;
    char head[1024];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n", status, status_text(status));
    if (r->chunked)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Transfer-Encoding: chunked\r\n");
    else
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", body_len);
    if (r->close)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Connection: close\r\n");
    if (!send_all(c->fd, head, (size_t)n) ||
        (r->headers && !send_all(c->fd, r->headers, strlen(r->headers))) ||
        !send_all(c->fd, "\r\n", 2))
        return DROP;
    if (r->action == FAKE_HTTP_TRUNCATE) {
        /* Chunked: one chunk announced for the whole body, cut short. */
        size_t part = r->truncate_len < body_len ? r->truncate_len : body_len;
        char size_line[32];
        int m = snprintf(size_line, sizeof(size_line), "%zx\r\n", body_len);
        if (!r->chunked || send_all(c->fd, size_line, (size_t)m))
            send_all(c->fd, body, part);
        return DROP;
    }
    if (!r->chunked) {
        if (!send_all(c->fd, body, body_len))
            return DROP;
    } else {
        for (size_t off = 0; off < body_len;) {
            size_t k = body_len - off < 4096 ? body_len - off : 4096;
            char size_line[32];
            int m = snprintf(size_line, sizeof(size_line), "%zx\r\n", k);
            if (!send_all(c->fd, size_line, (size_t)m) || !send_all(c->fd, body + off, k) ||
                !send_all(c->fd, "\r\n", 2))
                return DROP;
            off += k;
        }
        if (!send_all(c->fd, "0\r\n\r\n", 5))
            return DROP;
    }
    return r->close ? DROP : KEEP;
}

/* Serve the whole requests buffered on connection c. @return KEEP, DROP or STOP. */
static int serve_buffered(fake_http *s, conn *c)
{
    while (c->len > 0 && !c->hung) {
        const char *end = find_crlf2(c->buf, c->len);
        if (!end)
            return c->len > HEAD_MAX ? DROP : KEEP;
        size_t head_total = (size_t)(end - c->buf) + 4;
        const char *line_end = strstr(c->buf, "\r\n");
        size_t line_len = (size_t)(line_end - c->buf);
        const char *head = line_end + 2;
        size_t head_len = head_total - line_len - 4; /* header lines, each with its CRLF */

        /* The header block as a string, to look up Content-Length and Expect. */
        char *h = malloc(head_len + 1);
        if (!h)
            return DROP;
        memcpy(h, head, head_len);
        h[head_len] = '\0';
        size_t vl = 0;
        const char *cl = head_value(h, "Content-Length", &vl);
        size_t body_len = cl ? (size_t)strtoul(cl, NULL, 10) : 0;
        bool expect = head_value(h, "Expect", &vl) != NULL && vl > 0;
        free(h);
        if (body_len > BODY_MAX)
            return DROP;
        if (c->len < head_total + body_len) {
            if (expect && !c->continued) {
                c->continued = true;
                const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                if (!send_all(c->fd, cont, sizeof(cont) - 1))
                    return DROP;
            }
            return KEEP;
        }
        c->continued = false;

        record(s, c->buf, line_len, head, head_len, c->buf + head_total, body_len, c->number);
        size_t k = s->served++;
        const fake_http_response *r = &s->script[k < s->script_len ? k : s->script_len - 1];
        size_t used = head_total + body_len;
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        c->buf[c->len] = '\0';
        int what = play(s, c, r);
        if (what != KEEP)
            return what;
    }
    if (c->hung)
        c->len = 0;
    return KEEP;
}

/* Read what connection c has for us. @return KEEP, DROP or STOP. */
static int on_readable(fake_http *s, conn *c)
{
    char tmp[16384];
    ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return KEEP;
    if (n <= 0)
        return DROP;
    if (c->hung)
        return KEEP;
    if (c->len + (size_t)n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + (size_t)n + 1)
            cap *= 2;
        if (cap > HEAD_MAX + BODY_MAX + sizeof(tmp))
            return DROP;
        char *p = realloc(c->buf, cap);
        if (!p)
            return DROP;
        c->buf = p;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, tmp, (size_t)n);
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return serve_buffered(s, c);
}

static void accept_one(fake_http *s)
{
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    if (s->nconns == MAX_CONNS) {
        close(fd);
        return;
    }
    struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    pthread_mutex_lock(&s->lock);
    int number = ++s->accepted;
    pthread_mutex_unlock(&s->lock);
    s->conns[s->nconns++] = (conn){.fd = fd, .number = number};
}

static void *serve(void *arg)
{
    fake_http *s = arg;
    struct pollfd fds[2 + MAX_CONNS];
    for (;;) {
        fds[0] = (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
        fds[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        size_t n = s->nconns;
        for (size_t i = 0; i < n; i++)
            fds[2 + i] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
        int r = poll(fds, 2 + n, FAKE_HTTP_IDLE_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || fds[0].revents)
            break; /* idle for too long, or told to stop */
        /* Connections from the last index down, as close_conn() moves the last one. */
        bool stop = false;
        for (size_t i = n; i-- > 0 && !stop;) {
            if (!fds[2 + i].revents)
                continue;
            int what = on_readable(s, &s->conns[i]);
            if (what != KEEP)
                close_conn(s, i);
            stop = what == STOP;
        }
        if (stop)
            break;
        if (fds[1].revents & POLLIN)
            accept_one(s);
    }
    while (s->nconns > 0)
        close_conn(s, s->nconns - 1);
    return NULL;
}

/* ---- public --------------------------------------------------------------------------------- */

fake_http *fake_http_start(const fake_http_response *script, size_t n)
{
    if (!script || n == 0)
        return NULL;
    fake_http *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->listen_fd = -1;
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    pthread_mutex_init(&s->lock, NULL);
    s->script = malloc(n * sizeof(*script));
    if (!s->script)
        goto fail;
    memcpy(s->script, script, n * sizeof(*script));
    s->script_len = n;
    if (pipe(s->stop_pipe) != 0)
        goto fail;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0)
        goto fail;
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->listen_fd, 16) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &alen) != 0)
        goto fail;
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        goto fail;
    s->started = true;
    return s;
fail:
    fake_http_stop(s);
    return NULL;
}

void fake_http_stop(fake_http *s)
{
    if (!s)
        return;
    if (s->started) {
        ssize_t w = write(s->stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(s->thread, NULL);
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    for (int i = 0; i < 2; i++)
        if (s->stop_pipe[i] >= 0)
            close(s->stop_pipe[i]);
    for (size_t i = 0; i < s->nrequests; i++) {
        free(s->requests[i].head);
        free(s->requests[i].body);
    }
    free(s->script);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int fake_http_port(const fake_http *s)
{
    return s->port;
}

void fake_http_url(const fake_http *s, const char *path, char *out, size_t size)
{
    snprintf(out, size, "http://127.0.0.1:%d%s", s->port, path ? path : "");
}

int fake_http_connections(fake_http *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->accepted;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t fake_http_request_count(fake_http *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->nrequests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const fake_http_request *fake_http_request_at(fake_http *s, size_t i)
{
    pthread_mutex_lock(&s->lock);
    const fake_http_request *r = i < s->nrequests ? &s->requests[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

int fake_http_unused_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}
