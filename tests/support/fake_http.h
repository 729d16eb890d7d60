/*
 * fake_http.h - a scripted HTTP/1.1 server for C tests.
 *
 * fake_http_start() listens on 127.0.0.1 on a free port and serves, from one thread, a script of
 * responses: the k-th request received gets script[k], and the last entry repeats. Each entry
 * can answer (status, extra headers such as Retry-After, body, optionally chunked), wait
 * before acting, close or reset the connection without answering, never answer, or announce a
 * Content-Length and send less. Every request is recorded (method, target, header lines, body,
 * connection number) for assertions, and the TCP connections accepted are counted, so that a
 * test can see connection reuse (connections stay open between requests: keep-alive).
 *
 * The server never hangs a test: every socket write has a timeout, and the thread stops by
 * itself after FAKE_HTTP_IDLE_MS without any activity. A delay blocks the whole server (one
 * thread), which is what the tests want: one client at a time.
 */
#ifndef TL_TEST_FAKE_HTTP_H
#define TL_TEST_FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/** The server stops by itself after this long without a connection, a request or data. */
#define FAKE_HTTP_IDLE_MS 15000

/** Requests recorded at most (later ones are served but not recorded). */
#define FAKE_HTTP_MAX_REQUESTS 256

enum fake_http_action {
    FAKE_HTTP_ANSWER = 0, /**< send the response */
    FAKE_HTTP_CLOSE,      /**< read the request, close the connection without answering */
    FAKE_HTTP_RESET,      /**< read the request, reset the connection (TCP RST) */
    FAKE_HTTP_HANG,       /**< read the request, never answer (the client must time out) */
    FAKE_HTTP_TRUNCATE,   /**< announce the whole body (Content-Length, or with `chunked` one
                               chunk of its size), send truncate_len bytes of it, close */
};

/** One scripted response. Zero-initialise, then set what applies; strings are borrowed and
 * must outlive the server. */
typedef struct fake_http_response {
    enum fake_http_action action;
    int status;          /**< 0: 200 */
    const char *headers; /**< extra header lines, each ending in "\r\n"; NULL: none */
    const char *body;    /**< NULL: empty */
    size_t body_len;     /**< 0: strlen(body) */
    int delay_ms;        /**< wait this long after reading the request, before acting */
    size_t truncate_len; /**< FAKE_HTTP_TRUNCATE: body bytes actually sent */
    bool chunked;        /**< Transfer-Encoding: chunked instead of Content-Length */
    bool close;          /**< send "Connection: close" and close after answering */
} fake_http_response;

/** A request as received. */
typedef struct fake_http_request {
    char method[16];
    char target[2048]; /**< path and query, as sent */
    char *head;        /**< the header lines, "Name: value\r\n" each (owned by the server) */
    char *body;        /**< NUL-terminated (owned by the server) */
    size_t body_len;
    int connection; /**< 1 for the first connection accepted, 2 for the next... */
} fake_http_request;

typedef struct fake_http fake_http;

/**
 * Start a server with a script of n >= 1 responses (copied; the strings it points to are
 * borrowed). @return the server (stop it with fake_http_stop()), or NULL on failure.
 */
fake_http *fake_http_start(const fake_http_response *script, size_t n);

/** Stop the server (wakes it from a delay), join its thread, free everything. NULL is fine. */
void fake_http_stop(fake_http *s);

/** The port it listens on. */
int fake_http_port(const fake_http *s);

/** Write "http://127.0.0.1:<port><path>" into out. */
void fake_http_url(const fake_http *s, const char *path, char *out, size_t size);

/** TCP connections accepted so far. */
int fake_http_connections(fake_http *s);

/** Requests received so far (each is recorded before it is answered). */
size_t fake_http_request_count(fake_http *s);

/** The i-th request received (0-based), valid until fake_http_stop(); NULL if none. */
const fake_http_request *fake_http_request_at(fake_http *s, size_t i);

/**
 * Copy the value of header `name` (case-insensitive) of a request into out.
 * @return true if the request had that header.
 */
bool fake_http_header(const fake_http_request *r, const char *name, char *out, size_t size);

/** A port on 127.0.0.1 where nothing listens (bound, then closed). @return it, or -1. */
int fake_http_unused_port(void);

#endif
