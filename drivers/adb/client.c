/*
 * client.c - the adb host-protocol client (see client.h): non-blocking sockets driven by poll()
 * in slices of at most 50 ms, so that every wait is bounded by the exchange's deadline and the
 * cancel flag is seen promptly.
 *
 * One exchange: connect (TCP or a Unix socket), write the framed request, read until the reply
 * parses (protocol.c); for a device service, the same socket then carries `host:transport`,
 * the service request, and the service's output until the server closes it. `struct link`
 * holds the socket, the deadline and the bytes read but not yet parsed.
 */
#include "drivers/adb/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"

#define SLICE_MS   50
#define READ_CHUNK 65536

/* One connection in progress. */
struct link {
    const tl_adb_server *srv;
    int fd;
    long long deadline; /* tl_now_ms() value */
    int timeout_ms;     /* for messages */
    tl_buf in;          /* owned: bytes read and not consumed yet */
};

static int timeout_of(const tl_adb_server *srv)
{
    return srv->timeout_ms > 0 ? srv->timeout_ms : TL_ADB_TIMEOUT_MS;
}

static bool canceled(const tl_adb_server *srv)
{
    return srv->cancel && *srv->cancel;
}

static int unreachable(const tl_adb_server *srv, const char *why, tl_error *err)
{
    return tl_error_set(err, TL_ENET,
                        "adb server not reachable at %s (%s): start it with `adb start-server`, "
                        "or point ADB_SERVER_SOCKET at it",
                        srv->spec.text, why);
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Wait until fd is ready for `events`, the deadline passes or the cancel flag rises.
 * @return 1 ready, 0 timed out, -1 canceled, -2 poll failed (errno). */
static int wait_fd(const tl_adb_server *srv, int fd, short events, long long deadline)
{
    for (;;) {
        if (canceled(srv))
            return -1;
        long long left = deadline - tl_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left < SLICE_MS ? (int)left : SLICE_MS);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -2;
    }
}

/* Connect fd to addr before the deadline. @return 0, or an errno value (ETIMEDOUT, ECANCELED). */
static int connect_addr(const tl_adb_server *srv, int fd, const struct sockaddr *addr,
                        socklen_t len, long long deadline)
{
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
        return errno;
    int w = wait_fd(srv, fd, POLLOUT, deadline);
    if (w == 0)
        return ETIMEDOUT;
    if (w == -1)
        return ECANCELED;
    if (w == -2)
        return errno;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return errno;
    return soerr;
}

static int connect_failed(const tl_adb_server *srv, int e, tl_error *err)
{
    if (e == ECANCELED)
        return tl_error_set(err, TL_ECANCELED, "adb: interrupted while connecting to %s",
                            srv->spec.text);
    if (e == ETIMEDOUT)
        return tl_error_set(err, TL_ETIMEOUT,
                            "adb server at %s did not accept a connection within %d ms: is it "
                            "running? (`adb start-server`)",
                            srv->spec.text,
                            srv->connect_timeout_ms > 0 ? srv->connect_timeout_ms
                                                        : TL_ADB_CONNECT_TIMEOUT_MS);
    return unreachable(srv, strerror(e), err);
}

static int open_unix(struct link *l, long long deadline, tl_error *err)
{
    const tl_adb_socket_spec *spec = &l->srv->spec;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    size_t n = strlen(spec->path);
    socklen_t len;
    if (spec->kind == TL_ADB_SOCK_ABSTRACT) {
        memcpy(sa.sun_path + 1, spec->path, n); /* the abstract namespace: a leading NUL */
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
        memcpy(sa.sun_path, spec->path, n);
        len = (socklen_t)sizeof(sa);
    }
    l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l->fd < 0 || set_nonblocking(l->fd) < 0)
        return unreachable(l->srv, strerror(errno), err);
    int e = connect_addr(l->srv, l->fd, (const struct sockaddr *)&sa, len, deadline);
    return e ? connect_failed(l->srv, e, err) : TL_OK;
}

static int open_tcp(struct link *l, long long deadline, tl_error *err)
{
    const tl_adb_socket_spec *spec = &l->srv->spec;
    char port[8];
    snprintf(port, sizeof(port), "%d", spec->port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(spec->host, port, &hints, &res);
    if (g != 0)
        return tl_error_set(err, TL_ENET, "adb server at %s: cannot resolve %s (%s)", spec->text,
                            spec->host, gai_strerror(g));
    int e = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        l->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (l->fd < 0) {
            e = errno;
            continue;
        }
        if (set_nonblocking(l->fd) < 0) {
            e = errno;
        } else {
            e = connect_addr(l->srv, l->fd, ai->ai_addr, ai->ai_addrlen, deadline);
            if (e == 0)
                break;
        }
        close(l->fd);
        l->fd = -1;
        if (e == ECANCELED || e == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    return l->fd >= 0 ? TL_OK : connect_failed(l->srv, e, err);
}

/* Initialise l (never fails, so that link_close() is always safe). */
static void link_init(struct link *l, const tl_adb_server *srv)
{
    memset(l, 0, sizeof(*l));
    l->srv = srv;
    l->fd = -1;
    l->timeout_ms = timeout_of(srv);
    l->deadline = tl_now_ms() + l->timeout_ms;
    tl_buf_init(&l->in, 0);
}

static int link_connect(struct link *l, tl_error *err)
{
    const tl_adb_server *srv = l->srv;
    if (canceled(srv))
        return tl_error_set(err, TL_ECANCELED, "adb: interrupted");
    int connect_ms =
        srv->connect_timeout_ms > 0 ? srv->connect_timeout_ms : TL_ADB_CONNECT_TIMEOUT_MS;
    long long cdl = tl_now_ms() + connect_ms;
    if (cdl > l->deadline)
        cdl = l->deadline;
    return srv->spec.kind == TL_ADB_SOCK_TCP ? open_tcp(l, cdl, err) : open_unix(l, cdl, err);
}

static void link_close(struct link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    tl_buf_dispose(&l->in);
}

static int timed_out(const struct link *l, const char *what, tl_error *err)
{
    return tl_error_set(err, TL_ETIMEOUT, "adb: %s did not finish within %d ms", what,
                        l->timeout_ms);
}

static int link_send(struct link *l, const char *service, const char *what, tl_error *err)
{
    tl_buf req;
    tl_buf_init(&req, 0);
    int rc = tl_adb_frame(&req, service, err);
    size_t off = 0;
    while (rc == TL_OK && off < req.len) {
        ssize_t n = send(l->fd, req.data + off, req.len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_fd(l->srv, l->fd, POLLOUT, l->deadline);
            if (w == 1)
                continue;
            rc = w == 0    ? timed_out(l, what, err)
                 : w == -1 ? tl_error_set(err, TL_ECANCELED, "adb: interrupted")
                           : tl_error_set(err, TL_ENET, "adb: %s: poll: %s", what, strerror(errno));
            break;
        }
        rc = tl_error_set(err, TL_ENET, "adb: the server at %s dropped the connection (%s)",
                          l->srv->spec.text, strerror(errno));
    }
    tl_buf_dispose(&req);
    return rc;
}

/* Read what is available into dst (at most `room` bytes).
 * @return TL_OK with *got (0: the peer closed), or an error. */
static int link_read(struct link *l, tl_buf *dst, size_t room, const char *what, size_t *got,
                     tl_error *err)
{
    *got = 0;
    for (;;) {
        int w = wait_fd(l->srv, l->fd, POLLIN, l->deadline);
        if (w == 0)
            return timed_out(l, what, err);
        if (w == -1)
            return tl_error_set(err, TL_ECANCELED, "adb: interrupted");
        if (w == -2)
            return tl_error_set(err, TL_ENET, "adb: %s: poll: %s", what, strerror(errno));
        size_t want = room < READ_CHUNK ? room : READ_CHUNK;
        if (want == 0)
            want = 1; /* enough to tell more data from the end */
        if (tl_buf_reserve(dst, want) != TL_OK)
            return tl_error_set(err, TL_ENOMEM,
                                "adb: out of memory reading %s (or over the %zu-byte cap)", what,
                                dst->max);
        ssize_t n = recv(l->fd, dst->data + dst->len, want, 0);
        if (n > 0) {
            dst->len += (size_t)n;
            dst->data[dst->len] = '\0';
            *got = (size_t)n;
            return TL_OK;
        }
        if (n == 0)
            return TL_OK;
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            continue;
        return tl_error_set(err, TL_ENET, "adb: the connection to %s broke during %s (%s)",
                            l->srv->spec.text, what, strerror(errno));
    }
}

/* How much more a reply of at most `limit` bytes may need, having `have` (at least 1, so that a
 * read can tell more data from the end). */
static size_t room_for(size_t have, size_t limit)
{
    return have < limit ? limit - have : 1;
}

/* Drop the first n bytes of l->in. */
static void consume(struct link *l, size_t n)
{
    memmove(l->in.data, l->in.data + n, l->in.len - n);
    l->in.len -= n;
    l->in.data[l->in.len] = '\0';
}

/* Copy a FAIL message into a one-line printable string (size >= 8): runs of white space become
 * one space, other control bytes '?', and a message too long ends with "...". */
static void fail_text(char *out, size_t size, const char *msg, size_t len)
{
    size_t k = 0, i = 0;
    bool space = false;
    /* each turn writes at most 2 bytes; keep 4 for "..." and the NUL */
    for (; i < len && k + 2 + 4 <= size; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = k > 0;
            continue;
        }
        if (space)
            out[k++] = ' ';
        space = false;
        out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < len) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* Read a status reply. @return TL_OK with *okay, and the FAIL message in msg. */
static int read_status(struct link *l, const char *what, bool *okay, char *msg, size_t size,
                       tl_error *err)
{
    for (;;) {
        tl_adb_status st;
        int rc =
            l->in.len ? tl_adb_parse_status(l->in.data, l->in.len, &st, err) : TL_ADB_INCOMPLETE;
        if (rc == TL_OK) {
            *okay = st.okay;
            msg[0] = '\0';
            if (!st.okay)
                fail_text(msg, size, st.msg, st.msg_len);
            consume(l, st.consumed);
            return TL_OK;
        }
        if (rc != TL_ADB_INCOMPLETE)
            return tl_error_prefix(err, "%s: ", what);
        size_t got;
        /* a FAIL message is at most 65535 bytes after its 8-byte head */
        rc = link_read(l, &l->in, room_for(l->in.len, 8 + 65535), what, &got, err);
        if (rc)
            return rc;
        if (got == 0)
            return tl_error_set(err, TL_EBADRESP,
                                "adb server at %s closed the connection before answering %s "
                                "(%zu bytes came)",
                                l->srv->spec.text, what, l->in.len);
    }
}

int tl_adb_host_query(const tl_adb_server *srv, const char *service, tl_buf *out, tl_error *err)
{
    struct link l;
    tl_buf_clear(out);
    link_init(&l, srv);
    int rc = link_connect(&l, err);
    if (rc == TL_OK)
        rc = link_send(&l, service, service, err);
    bool okay = false;
    char msg[TL_ERROR_MSG_MAX / 2];
    if (rc == TL_OK)
        rc = read_status(&l, service, &okay, msg, sizeof(msg), err);
    if (rc == TL_OK && !okay)
        rc = tl_error_set(err, TL_EBADRESP, "adb server at %s refused %s: %s", srv->spec.text,
                          service, msg);
    while (rc == TL_OK) {
        const char *payload;
        size_t plen, used;
        rc = l.in.len ? tl_adb_parse_block(l.in.data, l.in.len, &payload, &plen, &used, err)
                      : TL_ADB_INCOMPLETE;
        if (rc == TL_OK) {
            if (tl_buf_append(out, payload, plen) != TL_OK)
                rc = tl_error_set(err, TL_ENOMEM, "adb: the answer to %s is over the %zu-byte cap",
                                  service, out->max);
            break;
        }
        if (rc != TL_ADB_INCOMPLETE) {
            tl_error_prefix(err, "%s: ", service);
            break;
        }
        size_t got;
        rc = link_read(&l, &l.in, room_for(l.in.len, 4 + 65535), service, &got, err);
        if (rc == TL_OK && got == 0)
            rc = tl_error_set(err, TL_EBADRESP,
                              "adb server at %s closed the connection in the middle of its answer "
                              "to %s (%zu bytes came)",
                              srv->spec.text, service, l.in.len);
    }
    link_close(&l);
    return rc;
}

/* The code and advice for a FAIL of host:transport. */
static int transport_failed(const tl_adb_server *srv, const char *serial, const char *msg,
                            tl_error *err)
{
    if (strstr(msg, "not found"))
        return tl_error_set(err, TL_ENOTFOUND,
                            "adb: no device '%s' at the adb server %s (\"%s\"): check `taploop "
                            "devices --driver adb`",
                            serial, srv->spec.text, msg);
    const char *state = strstr(msg, "unauthorized")  ? "unauthorized"
                        : strstr(msg, "offline")     ? "offline"
                        : strstr(msg, "authorizing") ? "authorizing"
                        : strstr(msg, "connecting")  ? "connecting"
                        : strstr(msg, "permissions") ? "no permissions"
                                                     : NULL;
    if (state)
        return tl_error_set(err, TL_ENOTREADY, "adb: device %s is %s: %s", serial, state,
                            tl_adb_state_advice(state));
    return tl_error_set(err, TL_ENOTREADY, "adb: the server cannot reach device %s: %s", serial,
                        msg);
}

int tl_adb_device_service(const tl_adb_server *srv, const char *serial, const char *service,
                          const char *what, tl_buf *out, size_t max, tl_error *err)
{
    struct link l;
    tl_buf_clear(out);
    link_init(&l, srv);
    tl_buf transport;
    tl_buf_init(&transport, 0);
    int rc = tl_buf_printf(&transport, "host:transport:%s", serial) == TL_OK
                 ? TL_OK
                 : tl_error_set(err, TL_ENOMEM, "adb: out of memory");
    if (rc == TL_OK)
        rc = link_connect(&l, err);
    bool okay = false;
    char msg[TL_ERROR_MSG_MAX / 2];
    if (rc == TL_OK)
        rc = link_send(&l, transport.data, what, err);
    if (rc == TL_OK)
        rc = read_status(&l, what, &okay, msg, sizeof(msg), err);
    if (rc == TL_OK && !okay)
        rc = transport_failed(srv, serial, msg, err);
    if (rc == TL_OK)
        rc = link_send(&l, service, what, err);
    if (rc == TL_OK)
        rc = read_status(&l, what, &okay, msg, sizeof(msg), err);
    if (rc == TL_OK && !okay)
        rc = tl_error_set(err, TL_EBADRESP, "adb: device %s refused to run %s: %s", serial, what,
                          msg);
    /* the output: what came with the status, then everything until the device closes */
    if (rc == TL_OK && l.in.len > 0 && tl_buf_append(out, l.in.data, l.in.len) != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "adb: out of memory keeping the output of %s", what);
    while (rc == TL_OK) {
        if (out->len > max) {
            rc = tl_error_set(err, TL_EBADRESP,
                              "adb: %s on %s printed more than %zu bytes; giving up", what, serial,
                              max);
            break;
        }
        size_t got;
        rc = link_read(&l, out, max + 1 - out->len, what, &got, err);
        if (rc == TL_OK && got == 0)
            break;
    }
    link_close(&l);
    tl_buf_dispose(&transport);
    return rc;
}
