/*
 * fake_fast - a small, fast fake of the Mobilerun device API and of an OpenAI-compatible chat
 * endpoint, for benchmarking `taploop batch` at hundreds of devices (bench/bench_batch_fast.sh).
 *
 * One thread, epoll, non-blocking sockets, HTTP/1.1 keep-alive, on 127.0.0.1 at a free port
 * written to --port-file. Latency is injected with timers, never by sleeping: a request's
 * response is queued and sent --device-ms (device endpoints) or --llm-ms (chat completions)
 * after the request was read. Every latency class has one fixed delay, so its queue is FIFO in
 * due order and a timer costs O(1).
 *
 *   fake_fast --port-file FILE [--devices N] [--tree FILE] [--png FILE] [--device-ms MS]
 *             [--llm-ms MS] [--steps K] [--page-size N] [--idle-timeout SEC] [--log FILE]
 *
 * Devices dev-0001..dev-N, all "ready", every one served the same --tree (a Mobilerun
 * ui-state JSON, e.g. a sim phone's `taploop observe --dump -`) and --png. Actions answer 200
 * {}. The chat endpoint answers press_key home while the request's observation says "Step S of"
 * with S < K (the largest S in the body), then done success: deterministic per request. No
 * authentication is checked. Exits after --idle-timeout seconds without a request, on
 * SIGTERM/SIGINT, or when its parent dies; prints the request counts per endpoint on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER  (64 * 1024)
#define MAX_BODY    (64 * 1024 * 1024)
#define MAX_EVENTS  256
#define MAX_DEVICES 100000

enum ep {
    EP_LIST,
    EP_INFO,
    EP_WAIT,
    EP_UI_STATE,
    EP_SCREENSHOT,
    EP_TAP,
    EP_SWIPE,
    EP_GLOBAL,
    EP_KEYBOARD,
    EP_APP,
    EP_APPS,
    EP_OTHER_DEVICE,
    EP_CHAT,
    EP_NOT_FOUND,
    EP_COUNT
};

static const char *const ep_names[EP_COUNT] = {"GET /devices",
                                               "GET /devices/{id}",
                                               "GET /devices/{id}/wait",
                                               "GET ui-state",
                                               "GET screenshot",
                                               "POST tap",
                                               "POST swipe",
                                               "POST global",
                                               "keyboard",
                                               "PUT/PATCH apps/{p}",
                                               "GET apps/packages",
                                               "other device call",
                                               "POST chat/completions",
                                               "404"};

typedef struct conn conn;
struct conn {
    int fd;
    bool closed;     /* the socket is gone; freed when it leaves the timer queue */
    bool queued;     /* a response waits in a timer queue */
    bool keep_alive; /* of the request being answered */
    char *in;        /* owned: bytes read and not yet consumed */
    size_t in_len, in_cap;
    char head[512]; /* the response's status line and headers */
    size_t head_len;
    char *body_owned; /* owned: the response body when it is not a shared one */
    const char *body; /* the response body (body_owned or a shared buffer) */
    size_t body_len;
    size_t sent; /* of head + body */
    double due;  /* when the queued response may be sent */
    conn *next;  /* in a timer queue */
};

typedef struct {
    conn *head, *tail;
    double delay; /* seconds */
} queue;

static struct {
    int ep;
    int listen_fd;
    int devices, steps, page_size;
    double idle_timeout;
    char *tree, *png; /* owned */
    size_t tree_len, png_len;
    queue dev_q, llm_q;
    double last_request;
    unsigned long counts[EP_COUNT];
    unsigned long served, connections, open_conns, max_open, chat_done, bytes_in;
    pid_t parent;
    FILE *log;
} S;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fake_fast: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    if (!p)
        die("out of memory");
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *q = realloc(p, cap);
            if (!q)
                die("out of memory");
            p = q;
        }
        size_t r = fread(p + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    if (ferror(f))
        die("%s: read error", path);
    fclose(f);
    *len = n;
    return p;
}

static void conn_free(conn *c)
{
    free(c->in);
    free(c->body_owned);
    free(c);
}

static void conn_close(conn *c)
{
    if (c->closed)
        return;
    epoll_ctl(S.ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->closed = true;
    S.open_conns--;
    if (!c->queued)
        conn_free(c);
}

/* ---- responses -------------------------------------------------------------------------- */

static void set_response(conn *c, int status, const char *ctype, const char *body, size_t len,
                         char *owned)
{
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
    int n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                     reason, ctype, len, c->keep_alive ? "" : "Connection: close\r\n");
    c->head_len = (size_t)n;
    free(c->body_owned);
    c->body_owned = owned;
    c->body = body;
    c->body_len = len;
    c->sent = 0;
}

static void set_json(conn *c, int status, char *owned)
{
    set_response(c, status, "application/json", owned, strlen(owned), owned);
}

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        die("out of memory");
    va_end(ap);
    return s;
}

static char *device_info(int n)
{
    return xasprintf(
        "{\"id\":\"dev-%04d\",\"name\":\"bench %d\",\"state\":\"ready\","
        "\"stateMessage\":\"\",\"type\":\"dedicated_emulated_device\","
        "\"streamUrl\":null,\"streamToken\":null,\"apps\":[],"
        "\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\","
        "\"assignedAt\":null,\"terminatesAt\":null,\"taskCount\":0}",
        n, n);
}

static char *device_page(long page, long size)
{
    size_t cap = 256 + (size_t)size * 400, len = 0;
    char *p = malloc(cap);
    if (!p)
        die("out of memory");
    long total = S.devices, pages = (total + size - 1) / size;
    len += (size_t)snprintf(p, cap, "{\"items\":[");
    for (long i = (page - 1) * size; i < page * size && i < total; i++) {
        char *d = device_info((int)i + 1);
        len += (size_t)snprintf(p + len, cap - len, "%s%s", i > (page - 1) * size ? "," : "", d);
        free(d);
    }
    snprintf(p + len, cap - len,
             "],\"pagination\":{\"hasNext\":%s,\"hasPrev\":%s,\"page\":%ld,\"pages\":%ld,"
             "\"pageSize\":%ld,\"total\":%ld}}",
             page < pages ? "true" : "false", page > 1 ? "true" : "false", page, pages, size,
             total);
    return p;
}

/* The largest S of "Step S of" in the body, 0 if none. */
static long step_of(const char *body, size_t len)
{
    long best = 0;
    const char *p = body, *end = body + len;
    while ((p = memmem(p, (size_t)(end - p), "Step ", 5)) != NULL) {
        p += 5;
        long v = 0;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9' && v < 1000000)
            v = v * 10 + (*q++ - '0');
        if (q > p && end - q >= 4 && memcmp(q, " of ", 4) == 0 && v > best)
            best = v;
    }
    return best;
}

static char *chat_reply(const char *body, size_t len)
{
    static unsigned long n;
    n++;
    long step = step_of(body, len);
    bool done = step >= S.steps;
    if (done)
        S.chat_done++;
    const char *name = done ? "done" : "press_key";
    const char *args =
        done ? "{\\\"success\\\":true,\\\"message\\\":\\\"ok\\\"}" : "{\\\"key\\\":\\\"home\\\"}";
    size_t prompt = len / 4;
    return xasprintf("{\"id\":\"chatcmpl-fast-%lu\",\"object\":\"chat.completion\","
                     "\"created\":1700000000,\"model\":\"fake\",\"choices\":[{\"index\":0,"
                     "\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{"
                     "\"id\":\"call_%lu\",\"type\":\"function\",\"function\":{\"name\":\"%s\","
                     "\"arguments\":\"%s\"}}]},\"finish_reason\":\"tool_calls\"}],"
                     "\"usage\":{\"prompt_tokens\":%zu,\"completion_tokens\":20,"
                     "\"total_tokens\":%zu}}",
                     n, n, name, args, prompt, prompt + 20);
}

/* dev-NNNN within range: its number, else 0. */
static int device_number(const char *id, size_t len)
{
    if (len < 5 || memcmp(id, "dev-", 4) != 0)
        return 0;
    long v = 0;
    for (size_t i = 4; i < len; i++) {
        if (id[i] < '0' || id[i] > '9' || v > MAX_DEVICES)
            return 0;
        v = v * 10 + (id[i] - '0');
    }
    return v >= 1 && v <= S.devices ? (int)v : 0;
}

static long query_long(const char *query, const char *name, long dflt)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return strtol(p + n + 1, NULL, 10);
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return dflt;
}

/* Route one request: sets the response and returns its endpoint. */
static enum ep route(conn *c, const char *method, char *target, const char *body, size_t blen)
{
    char *query = strchr(target, '?');
    if (query)
        *query++ = '\0';
    if (strcmp(method, "POST") == 0 && strcmp(target, "/v1/chat/completions") == 0) {
        set_json(c, 200, chat_reply(body, blen));
        return EP_CHAT;
    }
    if (strcmp(target, "/v1/devices") == 0 && strcmp(method, "GET") == 0) {
        long page = query_long(query, "page", 1);
        long size = query_long(query, "pageSize", S.page_size);
        if (page < 1)
            page = 1;
        if (size < 1 || size > S.page_size)
            size = S.page_size;
        set_json(c, 200, device_page(page, size));
        return EP_LIST;
    }
    if (strncmp(target, "/v1/devices/", 12) == 0) {
        const char *id = target + 12, *slash = strchr(id, '/');
        size_t idlen = slash ? (size_t)(slash - id) : strlen(id);
        int dev = device_number(id, idlen);
        if (!dev) {
            set_json(
                c, 404,
                xasprintf("{\"title\":\"Not Found\",\"status\":404,\"detail\":\"no device\"}"));
            return EP_NOT_FOUND;
        }
        const char *rest = slash ? slash : "";
        bool get = strcmp(method, "GET") == 0;
        if (!*rest && get) {
            set_json(c, 200, device_info(dev));
            return EP_INFO;
        }
        if (strcmp(rest, "/wait") == 0 && get) {
            set_json(c, 200, device_info(dev));
            return EP_WAIT;
        }
        if (strcmp(rest, "/ui-state") == 0 && get) {
            set_response(c, 200, "application/json", S.tree, S.tree_len, NULL);
            return EP_UI_STATE;
        }
        if (strcmp(rest, "/screenshot") == 0 && get) {
            set_response(c, 200, "image/png", S.png, S.png_len, NULL);
            return EP_SCREENSHOT;
        }
        if ((strcmp(rest, "/apps") == 0 || strcmp(rest, "/packages") == 0) && get) {
            set_json(c, 200, xasprintf("[]"));
            return EP_APPS;
        }
        enum ep e = EP_OTHER_DEVICE;
        if (strcmp(rest, "/tap") == 0)
            e = EP_TAP;
        else if (strcmp(rest, "/swipe") == 0)
            e = EP_SWIPE;
        else if (strcmp(rest, "/global") == 0)
            e = EP_GLOBAL;
        else if (strcmp(rest, "/keyboard") == 0)
            e = EP_KEYBOARD;
        else if (strncmp(rest, "/apps/", 6) == 0)
            e = EP_APP;
        set_json(c, 200, xasprintf("{}"));
        return e;
    }
    set_json(c, 404,
             xasprintf("{\"title\":\"Not Found\",\"status\":404,\"detail\":\"no such endpoint\"}"));
    return EP_NOT_FOUND;
}

/* ---- I/O --------------------------------------------------------------------------------- */

static void want_write(conn *c, bool on)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u), .data.ptr = c};
    epoll_ctl(S.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void try_parse(conn *c);

/* Write what can be written; on completion read the next request. */
static void flush_out(conn *c)
{
    if (!c->head_len) {
        want_write(c, false);
        return;
    }
    size_t total = c->head_len + c->body_len;
    while (c->sent < total) {
        struct iovec iov[2];
        int n = 0;
        if (c->sent < c->head_len) {
            iov[n].iov_base = c->head + c->sent;
            iov[n++].iov_len = c->head_len - c->sent;
            iov[n].iov_base = (void *)c->body;
            iov[n++].iov_len = c->body_len;
        } else {
            iov[n].iov_base = (void *)(c->body + (c->sent - c->head_len));
            iov[n++].iov_len = total - c->sent;
        }
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                want_write(c, true);
                return;
            }
            if (errno == EINTR)
                continue;
            conn_close(c);
            return;
        }
        c->sent += (size_t)w;
    }
    S.served++;
    free(c->body_owned);
    c->body_owned = NULL;
    c->body = NULL;
    c->body_len = c->head_len = c->sent = 0;
    want_write(c, false);
    if (!c->keep_alive) {
        conn_close(c);
        return;
    }
    try_parse(c);
}

static void enqueue(queue *q, conn *c, double t)
{
    c->queued = true;
    c->due = t + q->delay;
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
}

/* Is a complete request in c->in? Then answer it (now or through a timer queue). */
static void try_parse(conn *c)
{
    if (c->closed || c->queued || c->head_len)
        return;
    char *end = c->in_len ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (c->in_len > MAX_HEADER)
            conn_close(c);
        return;
    }
    size_t hlen = (size_t)(end - c->in) + 4;
    /* request line */
    char *sp1 = memchr(c->in, ' ', hlen);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', hlen - (size_t)(sp1 + 1 - c->in)) : NULL;
    if (!sp1 || !sp2) {
        conn_close(c);
        return;
    }
    size_t clen = 0;
    bool keep = memmem(sp2, 9, "HTTP/1.1", 8) != NULL, expect = false;
    for (char *line = memchr(c->in, '\n', hlen); line && line + 1 < end;
         line = memchr(line + 1, '\n', (size_t)(end - line))) {
        char *h = line + 1;
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtoul(h + 15, NULL, 10);
        else if (strncasecmp(h, "Connection:", 11) == 0) {
            const char *v = h + 11;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "close", 5) == 0)
                keep = false;
            else if (strncasecmp(v, "keep-alive", 10) == 0)
                keep = true;
        } else if (strncasecmp(h, "Expect:", 7) == 0 && strcasestr(h, "100-continue") &&
                   strcasestr(h, "100-continue") < end)
            expect = true;
    }
    if (clen > MAX_BODY) {
        conn_close(c);
        return;
    }
    if (c->in_len < hlen + clen) {
        if (expect && c->in_len == hlen) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (write(c->fd, cont, sizeof(cont) - 1) < 0) {
                conn_close(c);
                return;
            }
        }
        return;
    }
    double t = now_s();
    S.last_request = t;
    *sp1 = '\0';
    *sp2 = '\0';
    c->keep_alive = keep;
    enum ep e = route(c, c->in, sp1 + 1, c->in + hlen, clen);
    S.counts[e]++;
    if (S.log)
        fprintf(S.log, "%.6f %d %s %s\n", t, c->fd, c->in, sp1 + 1);
    size_t used = hlen + clen;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    enqueue(e == EP_CHAT ? &S.llm_q : &S.dev_q, c, t);
}

static void on_readable(conn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 16384) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 32768;
            char *p = realloc(c->in, cap);
            if (!p)
                die("out of memory");
            c->in = p;
            c->in_cap = cap;
        }
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r > 0) {
            c->in_len += (size_t)r;
            S.bytes_in += (unsigned long)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EOF or error: a queued response is dropped with the connection */
        conn_close(c);
        return;
    }
    try_parse(c);
}

static void on_accept(void)
{
    for (;;) {
        int fd = accept4(S.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "fake_fast: accept: %s\n", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn *c = calloc(1, sizeof(*c));
        if (!c)
            die("out of memory");
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl: %s", strerror(errno));
        S.connections++;
        if (++S.open_conns > S.max_open)
            S.max_open = S.open_conns;
    }
}

/* Send the responses that are due; returns the ms until the next one (-1: none). */
static int fire_timers(void)
{
    double t = now_s(), next = -1;
    queue *qs[2] = {&S.dev_q, &S.llm_q};
    for (int i = 0; i < 2; i++) {
        queue *q = qs[i];
        while (q->head && q->head->due <= t) {
            conn *c = q->head;
            q->head = c->next;
            if (!q->head)
                q->tail = NULL;
            c->queued = false;
            if (c->closed)
                conn_free(c);
            else
                flush_out(c);
        }
        if (q->head && (next < 0 || q->head->due < next))
            next = q->head->due;
    }
    if (next < 0)
        return -1;
    double ms = (next - t) * 1000.0;
    return ms < 0 ? 0 : (int)ms + 1;
}

static void summary(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "fake_fast: %lu requests on %lu connections (at most %lu open), cpu %.2f s\n",
            S.served, S.connections, S.max_open,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    for (int i = 0; i < EP_COUNT; i++)
        if (S.counts[i])
            fprintf(stderr, "fake_fast: %8lu %s\n", S.counts[i], ep_names[i]);
    fprintf(stderr, "fake_fast: %8lu chat replies were done\n", S.chat_done);
}

static void usage(void)
{
    fputs("usage: fake_fast --port-file FILE [--devices N] [--tree FILE] [--png FILE]\n"
          "                 [--device-ms MS] [--llm-ms MS] [--steps K] [--page-size N]\n"
          "                 [--idle-timeout SEC] [--log FILE]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *tree = NULL, *png = NULL, *log = NULL;
    double device_ms = 0, llm_ms = 0;
    S.devices = 100;
    S.steps = 3;
    S.page_size = 100;
    S.idle_timeout = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "--port-file") == 0)
            port_file = v;
        else if (strcmp(a, "--devices") == 0)
            S.devices = atoi(v);
        else if (strcmp(a, "--tree") == 0)
            tree = v;
        else if (strcmp(a, "--png") == 0)
            png = v;
        else if (strcmp(a, "--device-ms") == 0)
            device_ms = atof(v);
        else if (strcmp(a, "--llm-ms") == 0)
            llm_ms = atof(v);
        else if (strcmp(a, "--steps") == 0)
            S.steps = atoi(v);
        else if (strcmp(a, "--page-size") == 0)
            S.page_size = atoi(v);
        else if (strcmp(a, "--idle-timeout") == 0)
            S.idle_timeout = atof(v);
        else if (strcmp(a, "--log") == 0)
            log = v;
        else
            usage();
    }
    if (!port_file || S.devices < 0 || S.devices > MAX_DEVICES || S.steps < 1 || S.page_size < 1 ||
        device_ms < 0 || llm_ms < 0)
        usage();
    if (tree) {
        S.tree = read_file(tree, &S.tree_len);
    } else {
        S.tree = xasprintf("{\"a11y_tree\":[],\"phone_state\":{\"currentApp\":\"Home\","
                           "\"packageName\":\"com.android.launcher3\",\"keyboardVisible\":false},"
                           "\"device_context\":{\"screen_bounds\":{\"width\":1080,"
                           "\"height\":2400}}}");
        S.tree_len = strlen(S.tree);
    }
    if (png) {
        S.png = read_file(png, &S.png_len);
    } else {
        S.png = xasprintf("not a png");
        S.png_len = strlen(S.png);
    }
    if (log && !(S.log = fopen(log, "w")))
        die("%s: %s", log, strerror(errno));
    S.dev_q.delay = device_ms / 1000.0;
    S.llm_q.delay = llm_ms / 1000.0;

    S.parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    S.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (S.listen_fd < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(S.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(S.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(S.listen_fd, 4096) < 0)
        die("bind/listen: %s", strerror(errno));
    socklen_t alen = sizeof(addr);
    getsockname(S.listen_fd, (struct sockaddr *)&addr, &alen);
    S.ep = epoll_create1(EPOLL_CLOEXEC);
    if (S.ep < 0)
        die("epoll_create1: %s", strerror(errno));
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(S.ep, EPOLL_CTL_ADD, S.listen_fd, &lev);

    /* the port file appears complete (written aside, then renamed) */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(pf) != 0 ||
        rename(tmp, port_file) != 0)
        die("%s: %s", port_file, strerror(errno));

    S.last_request = now_s();
    struct epoll_event evs[MAX_EVENTS];
    while (!stop_flag) {
        int timeout = fire_timers();
        if (timeout < 0 || timeout > 200)
            timeout = 200; /* to notice idleness and a dead parent */
        int n = epoll_wait(S.ep, evs, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR)
            die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                on_accept();
                continue;
            }
            if (c->closed)
                continue;
            if (evs[i].events & EPOLLOUT) {
                flush_out(c);
                if (c->closed)
                    continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                on_readable(c);
        }
        double t = now_s();
        if (!S.dev_q.head && !S.llm_q.head && t - S.last_request > S.idle_timeout)
            break;
        if (getppid() != S.parent)
            break;
    }
    summary();
    if (S.log)
        fclose(S.log);
    free(S.tree);
    free(S.png);
    return 0;
}
