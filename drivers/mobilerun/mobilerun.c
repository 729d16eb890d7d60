/*
 * mobilerun.c - the Mobilerun driver: phones (personal ones through the Droidrun Portal app, or
 * cloud devices) driven over the Mobilerun REST API. The wire format lives in protocol.c; this
 * file is the vtable glue: choosing or creating the device, sending the requests, the
 * concurrent observation, and terminating a temporary device whatever happens.
 *
 * Configuration comes from the environment: MOBILERUN_API_KEY (required; sent only as the
 * bearer token, never written anywhere) and MOBILERUN_BASE_URL (default
 * https://api.mobilerun.ai/v1).
 *
 * A session (struct mr_driver) owns two HTTP clients with the run's cancel flag: `http` for
 * the tree, the actions and the device calls, and `shot_http` for screenshots. An observation
 * that needs both fetches the screenshot on a worker thread while the calling thread fetches
 * the tree, each over its own kept-alive connection, so a step waits for the slower request
 * rather than for their sum. A session that provisioned its device (--provision) also owns
 * `term_http`, a client without the cancel flag: the provisioning request and the final
 * DELETE /devices/{id} must run to their (short) end even after SIGINT, or the device would be
 * left running on the user's credits.
 */
#include "drivers/driver_int.h"
#include "drivers/mobilerun/protocol.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/http.h"
#include "core/log.h"
#include "core/str.h"

#define DEFAULT_TIMEOUT_MS    30000  /* one attempt of a device call */
#define DEFAULT_WAIT_MS       300000 /* --wait and provisioning, when the config says 0 */
#define WAIT_REQUEST_MAX_MS   60000  /* the longest single GET /devices/{id}/wait */
#define WAIT_PAUSE_MS         1000   /* between two waits that ended before the device was ready */
#define PROVISION_TIMEOUT_MS  60000  /* POST /devices */
#define TERMINATE_DEADLINE_MS 10000  /* DELETE /devices/{id}, retries included */
#define MAX_PAGES             100    /* of GET /devices */
#define BODY_MAX              ((size_t)64 << 20) /* ui-state and screenshots */
#define SMALL_MAX             ((size_t)8 << 20)  /* JSON answers */

static const char auth_prefix[] = "Authorization: Bearer ";

/* What every request needs, with or without a session. */
struct mr_conn {
    char base[512];   /* MOBILERUN_BASE_URL without trailing '/' */
    char *auth;       /* owned: the Authorization header line; wiped before it is freed */
    const char *key;  /* borrowed: the key inside auth, scrubbed from server text */
    long timeout_ms;  /* one attempt */
    long deadline_ms; /* one call, retries included */
};

struct mr_driver {
    tl_driver base;
    struct mr_conn conn;
    tl_http *http;      /* owned: tree, actions, device calls (cancel flag) */
    tl_http *shot_http; /* owned: screenshots, used by the worker thread (cancel flag) */
    tl_http *term_http; /* owned; only when provisioning: no cancel flag */
    char *dev_path;     /* owned: "/devices/<percent-encoded id>" */
    char type[64];      /* the provisioned type, for messages */
    bool provisioned;   /* close() terminates the device */
    long wait_ms;       /* bound for --wait and provisioning */
    volatile sig_atomic_t *cancel;
};

/* One request below the base URL. */
typedef struct mr_req {
    const char *method;
    const char *path; /* may carry a query string */
    const char *body; /* NULL: no body */
    size_t body_len;
    tl_mr_op op;
    const char *accept; /* NULL: application/json */
    long timeout_ms;    /* 0: the connection's */
    long deadline_ms;   /* 0: the connection's */
    int max_attempts;   /* 0: the HTTP layer's */
    size_t max_response;
} mr_req;

static bool canceled(const struct mr_driver *s)
{
    return s->cancel && *s->cancel;
}

/* ---- connection ----------------------------------------------------------------------------- */

static bool local_host(const char *base)
{
    const char *h = strstr(base, "://");
    h = h ? h + 3 : base;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
           strncmp(h, "[::1]", 5) == 0;
}

static int conn_init(struct mr_conn *c, const tl_driver_config *cfg, tl_error *err)
{
    memset(c, 0, sizeof(*c));
    const char *key = getenv("MOBILERUN_API_KEY");
    int rc = tl_mr_check_key(key, err);
    if (rc)
        return rc;
    const char *base = getenv("MOBILERUN_BASE_URL");
    rc = tl_mr_base_url(base && base[0] ? base : TL_MR_DEFAULT_BASE_URL, c->base, sizeof(c->base),
                        err);
    if (rc)
        return rc;
    if (strncasecmp(c->base, "http://", 7) == 0 && !local_host(c->base))
        tl_log(TL_LOG_INFO, "mobilerun: warning: MOBILERUN_BASE_URL is plain http://: the API key "
                            "travels unencrypted");
    size_t n = sizeof(auth_prefix) + strlen(key);
    c->auth = malloc(n);
    if (!c->auth)
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    snprintf(c->auth, n, "%s%s", auth_prefix, key);
    c->key = c->auth + sizeof(auth_prefix) - 1;
    c->timeout_ms = cfg && cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->deadline_ms = 2 * c->timeout_ms;
    return TL_OK;
}

static void conn_dispose(struct mr_conn *c)
{
    tl_str_wipe_free(c->auth);
    c->auth = NULL;
    c->key = NULL;
}

/*
 * Send a request and map a non-2xx answer to a status code and message (protocol.c). `device`
 * names the device in messages (may be NULL). On TL_OK, resp holds a 2xx answer.
 */
static int mr_send(const struct mr_conn *c, tl_http *h, const mr_req *r, const char *device,
                   tl_http_response *resp, tl_error *err)
{
    tl_buf url;
    tl_buf_init(&url, 8192);
    int rc = tl_buf_puts(&url, c->base) | tl_buf_puts(&url, r->path);
    if (rc) {
        tl_buf_dispose(&url);
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    }
    char accept[64];
    snprintf(accept, sizeof(accept), "Accept: %s", r->accept ? r->accept : "application/json");
    const char *headers[] = {c->auth, accept, r->body ? "Content-Type: application/json" : NULL,
                             NULL};
    tl_http_request req = {
        .method = r->method,
        .url = url.data,
        .endpoint = "mobilerun",
        .headers = headers,
        .body = r->body,
        .body_len = r->body_len,
        .timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : c->timeout_ms,
        .deadline_ms = r->deadline_ms > 0 ? r->deadline_ms : c->deadline_ms,
        .max_attempts = r->max_attempts,
        .max_response = r->max_response ? r->max_response : SMALL_MAX,
    };
    rc = tl_http_send(h, &req, resp, err);
    if (rc == TL_OK && (resp->status < 200 || resp->status >= 300)) {
        char path[512];
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(r->path, "?"), r->path);
        tl_mr_call call = {
            .method = r->method,
            .path = path,
            .op = r->op,
            .device = device,
            .base_url = c->base,
            .secret = c->key,
            .attempts = resp->attempts,
        };
        rc = tl_mr_status_error(&call, resp->status, resp->content_type, resp->body.data,
                                resp->body.len, err);
    }
    tl_buf_dispose(&url);
    return rc;
}

/* Exchange two buffers' contents (not their caps), to hand a response body over uncopied. */
static void swap_content(tl_buf *a, tl_buf *b)
{
    tl_buf t = *a;
    a->data = b->data;
    a->len = b->len;
    a->cap = b->cap;
    b->data = t.data;
    b->len = t.len;
    b->cap = t.cap;
}

/* ---- devices -------------------------------------------------------------------------------- */

/* Every device of the account, page by page. */
static int list_all(const struct mr_conn *c, tl_http *h, tl_device_list *out, tl_error *err)
{
    tl_http_response resp;
    tl_http_response_init(&resp);
    int rc = TL_OK;
    for (long page = 1;; page++) {
        if (page > MAX_PAGES) {
            rc = tl_error_set(err, TL_EBADRESP,
                              "mobilerun: GET /devices: still more devices after %d pages; "
                              "giving up",
                              MAX_PAGES);
            break;
        }
        char path[64];
        snprintf(path, sizeof(path), "/devices?page=%ld", page);
        mr_req r = {.method = "GET", .path = path, .op = TL_MR_OP_LIST};
        rc = mr_send(c, h, &r, NULL, &resp, err);
        tl_mr_page info;
        if (rc == TL_OK)
            rc = tl_mr_parse_device_page(resp.body.data, resp.body.len, page, c->key, out, &info,
                                         err);
        if (rc || !info.more)
            break;
    }
    tl_http_response_dispose(&resp);
    return rc;
}

/* GET /devices/{id}. */
static int get_device(struct mr_driver *s, const char *id, tl_mr_device *d, tl_error *err)
{
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "GET", .path = s->dev_path, .op = TL_MR_OP_DEVICE};
    int rc = mr_send(&s->conn, s->http, &r, id, &resp, err);
    if (rc == TL_OK)
        rc = tl_mr_parse_device(resp.body.data, resp.body.len, s->conn.key, d, err);
    tl_http_response_dispose(&resp);
    return rc;
}

/* What to do about a device that is not ready, in the reference's words. */
static void advice(const tl_mr_device *d, char *out, size_t size)
{
    char what[TL_MR_ID_MAX + TL_MR_TEXT_SIZE + 16];
    if (d->name[0])
        snprintf(what, sizeof(what), "device %s (%s)", d->id, d->name);
    else
        snprintf(what, sizeof(what), "device %s", d->id);
    char note[TL_MR_TEXT_SIZE + 8] = "";
    if (d->state_message[0])
        snprintf(note, sizeof(note), " [%s]", d->state_message);
    if (strcmp(d->state, "disconnected") == 0)
        snprintf(out, size,
                 "%s is disconnected%s: the Portal app lost its connection; open the Droidrun "
                 "Portal app on the phone and tap Connect (or add --wait to wait for it)",
                 what, note);
    else if (strcmp(d->state, "creating") == 0 || strcmp(d->state, "assigned") == 0)
        snprintf(out, size,
                 "%s is still starting (state %s)%s: add --wait to wait until it is ready", what,
                 d->state, note);
    else if (strcmp(d->state, "terminated") == 0)
        snprintf(out, size,
                 "%s was terminated%s: pick another device (`taploop devices --driver mobilerun`) "
                 "or create one with --provision",
                 what, note);
    else if (strcmp(d->state, "maintenance") == 0)
        snprintf(out, size, "%s is under maintenance%s: try again later (or add --wait)", what,
                 note);
    else
        snprintf(out, size, "%s is not ready (state %s)%s: add --wait to wait for it", what,
                 d->state, note);
}

static void seconds(char *out, size_t size, long ms)
{
    snprintf(out, size, "%g", (double)ms / 1000.0);
}

/*
 * Wait until the session's device is ready: GET /devices/{id}/wait (which blocks until then),
 * checking with GET /devices/{id} whenever a wait ends without a ready device, within
 * s->wait_ms in all. @return TL_OK; TL_ETIMEOUT; TL_ECANCELED; TL_ENOTREADY (terminated);
 * TL_EAUTH / TL_ENOTFOUND from the service.
 */
static int wait_ready(struct mr_driver *s, const char *id, tl_error *err)
{
    long long start = tl_now_ms();
    tl_mr_device d;
    memset(&d, 0, sizeof(d));
    snprintf(d.state, sizeof(d.state), "unknown");
    char budget[32];
    seconds(budget, sizeof(budget), s->wait_ms);
    tl_log(TL_LOG_INFO, "mobilerun: waiting up to %s s for device %s to be ready", budget, id);
    tl_buf path;
    tl_buf_init(&path, 4096);
    if (tl_buf_puts(&path, s->dev_path) || tl_buf_puts(&path, "/wait")) {
        tl_buf_dispose(&path);
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    }
    tl_http_response resp;
    tl_http_response_init(&resp);
    int rc;
    for (;;) {
        if (canceled(s)) {
            rc = tl_error_set(err, TL_ECANCELED,
                              "mobilerun: interrupted while waiting for device %s", id);
            break;
        }
        long left = (long)(s->wait_ms - (tl_now_ms() - start));
        if (left <= 0) {
            rc = tl_error_set(err, TL_ETIMEOUT,
                              "mobilerun: device %s did not become ready within %s s (last state: "
                              "%s%s%s)",
                              id, budget, d.state, d.state_message[0] ? ", " : "", d.state_message);
            break;
        }
        long req_ms = left < WAIT_REQUEST_MAX_MS ? left : WAIT_REQUEST_MAX_MS;
        mr_req r = {.method = "GET",
                    .path = path.data,
                    .op = TL_MR_OP_DEVICE,
                    .timeout_ms = req_ms,
                    .deadline_ms = req_ms,
                    .max_attempts = 1};
        tl_error werr;
        rc = mr_send(&s->conn, s->http, &r, id, &resp, &werr);
        if (rc == TL_OK) {
            tl_mr_device w;
            if (tl_mr_parse_device(resp.body.data, resp.body.len, s->conn.key, &w, &werr) ==
                    TL_OK &&
                strcmp(w.state, "ready") == 0)
                break;
        } else if (rc == TL_ECANCELED || rc == TL_EAUTH || rc == TL_ENOTFOUND) {
            *err = werr;
            break;
        } else {
            tl_log(TL_LOG_DEBUG, "mobilerun: %s", werr.msg);
        }
        /* the wait ended without a ready device (or failed): see where it stands */
        if (canceled(s))
            continue;
        rc = get_device(s, id, &d, &werr);
        if (rc == TL_OK && strcmp(d.state, "ready") == 0)
            break;
        if (rc == TL_ECANCELED || rc == TL_EAUTH || rc == TL_ENOTFOUND) {
            *err = werr;
            break;
        }
        if (rc == TL_OK && strcmp(d.state, "terminated") == 0) {
            rc = tl_error_set(err, TL_ENOTREADY,
                              "mobilerun: device %s was terminated while waiting for it%s%s", id,
                              d.state_message[0] ? ": " : "", d.state_message);
            break;
        }
        left = (long)(s->wait_ms - (tl_now_ms() - start));
        tl_sleep_ms(left < WAIT_PAUSE_MS ? (left > 0 ? left : 0) : WAIT_PAUSE_MS, s->cancel);
    }
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&path);
    if (rc == TL_OK)
        tl_log(TL_LOG_INFO, "mobilerun: device %s is ready", id);
    return rc;
}

/* Make `id` the session's device. */
static int set_device(struct mr_driver *s, const char *id, tl_error *err)
{
    tl_buf p;
    tl_buf_init(&p, 4096);
    int rc = tl_buf_puts(&p, "/devices/") | tl_mr_path_segment(&p, id);
    char *path = rc ? NULL : tl_buf_detach(&p, NULL);
    tl_buf_dispose(&p);
    if (!path || tl_driver_set_device(&s->base, id) != TL_OK) {
        free(path);
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    }
    free(s->dev_path);
    s->dev_path = path;
    return TL_OK;
}

/* --device ID: it must exist, and be ready (or become so with --wait). */
static int open_named(struct mr_driver *s, const char *id, bool wait, tl_error *err)
{
    int rc = set_device(s, id, err);
    tl_mr_device d;
    if (rc == TL_OK)
        rc = get_device(s, id, &d, err);
    if (rc || strcmp(d.state, "ready") == 0)
        return rc;
    if (wait)
        return wait_ready(s, id, err);
    char why[1024];
    advice(&d, why, sizeof(why));
    return tl_error_set(err, TL_ENOTREADY, "mobilerun: %s", why);
}

/* Without --device: the first ready device of the listing. */
static int open_first(struct mr_driver *s, bool wait, tl_error *err)
{
    tl_device_list list = {0};
    int rc = list_all(&s->conn, s->http, &list, err);
    const tl_device_info *pick = NULL, *waitable = NULL;
    size_t terminated = 0;
    for (size_t i = 0; rc == TL_OK && i < list.n && !pick; i++) {
        const tl_device_info *d = &list.items[i];
        if (d->ready)
            pick = d;
        else if (strcmp(d->state, "terminated") == 0)
            terminated++;
        else if (!waitable)
            waitable = d;
    }
    if (rc == TL_OK && pick) {
        rc = set_device(s, pick->id, err);
    } else if (rc == TL_OK && list.n == 0) {
        rc = tl_error_set(err, TL_ENOTFOUND,
                          "mobilerun: no devices on this account: connect a phone with the "
                          "Droidrun Portal app (tap Connect to Mobilerun), or create a cloud "
                          "device with --provision dedicated_emulated_device");
    } else if (rc == TL_OK && !waitable) {
        rc = tl_error_set(err, TL_ENOTFOUND,
                          "mobilerun: all %zu devices of this account are terminated: connect a "
                          "phone with the Droidrun Portal app, or create a cloud device with "
                          "--provision dedicated_emulated_device",
                          terminated);
    } else if (rc == TL_OK && wait) {
        rc = set_device(s, waitable->id, err);
        if (rc == TL_OK)
            rc = wait_ready(s, waitable->id, err);
    } else if (rc == TL_OK) {
        tl_mr_device d;
        memset(&d, 0, sizeof(d));
        snprintf(d.id, sizeof(d.id), "%s", waitable->id);
        snprintf(d.name, sizeof(d.name), "%s", waitable->name);
        snprintf(d.state, sizeof(d.state), "%s", waitable->state);
        char why[1024];
        advice(&d, why, sizeof(why));
        size_t others = list.n - terminated - 1;
        char more[96] = "";
        if (others)
            snprintf(more, sizeof(more), " (%zu other device%s not ready either)", others,
                     others == 1 ? " is" : "s are");
        rc = tl_error_set(err, TL_ENOTREADY, "mobilerun: no device is ready: %s%s", why, more);
    }
    tl_device_list_dispose(&list);
    return rc;
}

/*
 * DELETE /devices/{id} of the provisioned device, through the client without the cancel flag
 * and within TERMINATE_DEADLINE_MS. A failure is said loudly, with the id, whatever the
 * verbosity. @return TL_OK when the device is gone.
 */
static int terminate(struct mr_driver *s)
{
    const char *id = tl_driver_device(&s->base);
    tl_error err;
    tl_error_clear(&err);
    int rc;
    if (!s->term_http) {
        rc = tl_error_set(&err, TL_ENOMEM, "no HTTP client");
    } else {
        tl_http_response resp;
        tl_http_response_init(&resp);
        mr_req r = {.method = "DELETE",
                    .path = s->dev_path,
                    .body = "{}",
                    .body_len = 2,
                    .op = TL_MR_OP_TERMINATE,
                    .timeout_ms = TERMINATE_DEADLINE_MS,
                    .deadline_ms = TERMINATE_DEADLINE_MS,
                    .max_attempts = 3};
        rc = mr_send(&s->conn, s->term_http, &r, id, &resp, &err);
        tl_http_response_dispose(&resp);
    }
    if (rc == TL_OK) {
        tl_log(TL_LOG_INFO, "mobilerun: terminated the temporary device %s", id);
    } else if (rc == TL_ENOTFOUND) {
        tl_log(TL_LOG_INFO, "mobilerun: the temporary device %s is already gone", id);
        rc = TL_OK;
    } else {
        tl_log_error("mobilerun: COULD NOT TERMINATE the temporary device %s: %s. It keeps "
                     "using credits until it is deleted: delete it at https://cloud.mobilerun.ai "
                     "or with `curl -X DELETE -H \"Authorization: Bearer $MOBILERUN_API_KEY\" "
                     "-H \"Content-Type: application/json\" -d '{}' %s%s`",
                     id, err.msg, s->conn.base, s->dev_path);
    }
    return rc;
}

/*
 * --provision TYPE: POST /devices?deviceType=TYPE (not cancelable: once sent, the device may
 * exist, and only the answer gives its id), then wait for it. From the moment the id is known,
 * the session owns the device: a failure after that terminates it before returning.
 */
static int provision(struct mr_driver *s, const char *type, const tl_buf *body, tl_error *err)
{
    tl_buf path;
    tl_buf_init(&path, 1024);
    int rc = tl_buf_puts(&path, "/devices?deviceType=") | tl_mr_path_segment(&path, type);
    if (rc) {
        tl_buf_dispose(&path);
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    }
    snprintf(s->type, sizeof(s->type), "%s", type);
    tl_log(TL_LOG_INFO, "mobilerun: creating a temporary %s", type);
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "POST",
                .path = path.data,
                .body = body->data,
                .body_len = body->len,
                .op = TL_MR_OP_PROVISION,
                .timeout_ms = PROVISION_TIMEOUT_MS,
                .deadline_ms = PROVISION_TIMEOUT_MS};
    rc = mr_send(&s->conn, s->term_http, &r, NULL, &resp, err);
    if (rc == TL_ETIMEOUT || rc == TL_ENET)
        tl_error_prefix(err, "creating the device failed, but it may exist anyway: check "
                             "`taploop devices --driver mobilerun` and terminate it there: ");
    tl_mr_device d;
    if (rc == TL_OK &&
        (rc = tl_mr_parse_device(resp.body.data, resp.body.len, s->conn.key, &d, err)) != TL_OK)
        tl_error_prefix(err, "POST /devices answered, but no device id could be read: check "
                             "`taploop devices --driver mobilerun` for a device to terminate: ");
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&path);
    if (rc)
        return rc;
    rc = set_device(s, d.id, err);
    if (rc)
        return rc; /* out of memory: the id is in no message we can still write reliably */
    s->provisioned = true;
    tl_log(TL_LOG_INFO,
           "mobilerun: created the temporary device %s (%s); it is terminated when "
           "the run ends",
           d.id, d.state);
    if (canceled(s))
        return tl_error_set(err, TL_ECANCELED, "mobilerun: interrupted while creating device %s",
                            d.id);
    if (strcmp(d.state, "ready") == 0)
        return TL_OK;
    return wait_ready(s, d.id, err);
}

/* ---- the vtable ----------------------------------------------------------------------------- */

static void mr_close(tl_driver *d)
{
    struct mr_driver *s = (struct mr_driver *)d;
    if (s->provisioned)
        terminate(s);
    tl_http_free(s->http);
    tl_http_free(s->shot_http);
    tl_http_free(s->term_http);
    free(s->dev_path);
    conn_dispose(&s->conn);
    free(s);
}

static int mr_open(tl_driver **out, const tl_driver_config *cfg, tl_error *err)
{
    const char *device = cfg->device && cfg->device[0] ? cfg->device : NULL;
    const char *prov = cfg->provision && cfg->provision[0] ? cfg->provision : NULL;
    const char *apps = cfg->apps && cfg->apps[0] ? cfg->apps : NULL;
    if (prov && !tl_mr_device_type_valid(prov)) {
        char shown[96];
        tl_mr_sanitize(shown, sizeof(shown), prov, strlen(prov), 64, NULL);
        return tl_error_set(err, TL_EUSAGE, "--provision: unknown device type \"%s\" (one of: %s)",
                            shown, tl_mr_device_types_list());
    }
    if (prov && device)
        return tl_error_set(err, TL_EUSAGE,
                            "--provision creates a new device: give --provision or --device, not "
                            "both");
    if (apps && !prov)
        return tl_error_set(err, TL_EUSAGE,
                            "--apps installs apps on a new cloud device: it goes with --provision");
    if (device) {
        int rc = tl_mr_check_id(device, TL_EUSAGE, "--device", err);
        if (rc)
            return rc;
    }
    struct mr_driver *s = calloc(1, sizeof(*s));
    if (!s)
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    s->cancel = cfg->cancel;
    s->wait_ms = cfg->wait_timeout_ms > 0 ? cfg->wait_timeout_ms : DEFAULT_WAIT_MS;
    tl_buf body;
    tl_buf_init(&body, 1 << 20);
    int rc = conn_init(&s->conn, cfg, err);
    if (rc == TL_OK && prov) {
        /* a name that tells where a leftover device came from */
        char name[96];
        snprintf(name, sizeof(name), "taploop-%lld-%ld", (long long)time(NULL), (long)getpid());
        rc = tl_mr_body_provision(&body, name, apps, err);
    }
    if (rc == TL_OK) {
        s->http = tl_http_new(cfg->cancel, err);
        s->shot_http = s->http ? tl_http_new(cfg->cancel, err) : NULL;
        if (s->shot_http && prov)
            s->term_http = tl_http_new(NULL, err);
        if (!s->http || !s->shot_http || (prov && !s->term_http))
            rc = err->code ? err->code : TL_ENOMEM;
    }
    if (rc == TL_OK) {
        if (prov)
            rc = provision(s, prov, &body, err);
        else if (device)
            rc = open_named(s, device, cfg->wait, err);
        else
            rc = open_first(s, cfg->wait, err);
    }
    tl_buf_dispose(&body);
    if (rc != TL_OK) {
        char *dev = s->base.device;
        mr_close(&s->base); /* terminates a device this open created */
        free(dev);
        return rc;
    }
    *out = &s->base;
    return TL_OK;
}

#define MR(d) ((struct mr_driver *)(d))

static uint32_t since(long long t0)
{
    long long ms = tl_now_ms() - t0;
    return ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* A path below the device: dev_path + suffix (+ a percent-encoded segment). Caller frees. */
static char *device_path(const struct mr_driver *s, const char *suffix, const char *segment)
{
    tl_buf p;
    tl_buf_init(&p, 8192);
    int rc = tl_buf_puts(&p, s->dev_path) | tl_buf_puts(&p, suffix);
    if (segment)
        rc |= tl_mr_path_segment(&p, segment);
    char *path = rc ? NULL : tl_buf_detach(&p, NULL);
    tl_buf_dispose(&p);
    return path;
}

static int fetch_tree(struct mr_driver *s, tl_observation *out, tl_error *err)
{
    long long t0 = tl_now_ms();
    char *path = device_path(s, "/ui-state", NULL);
    if (!path)
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "GET", .path = path, .op = TL_MR_OP_OBSERVE, .max_response = BODY_MAX};
    int rc = mr_send(&s->conn, s->http, &r, tl_driver_device(&s->base), &resp, err);
    if (rc == TL_OK)
        rc = tl_mr_check_ui_state(resp.body.data, resp.body.len, resp.content_type, err);
    if (rc == TL_OK) {
        tl_buf_clear(&out->tree);
        swap_content(&out->tree, &resp.body);
        out->tree_ms = since(t0);
        snprintf(out->tree_source, sizeof(out->tree_source), "GET %s", path);
    }
    tl_http_response_dispose(&resp);
    free(path);
    return rc;
}

/* A screenshot fetch, run on the worker thread or inline. */
struct shot_job {
    struct mr_driver *s; /* borrowed; the job only uses conn (read-only) and shot_http */
    tl_buf image;        /* owned: the image bytes */
    const char *type;    /* static */
    uint32_t ms;
    int rc;
    tl_error err;
};

static void fetch_shot(struct shot_job *j)
{
    struct mr_driver *s = j->s;
    long long t0 = tl_now_ms();
    char *path = device_path(s, "/screenshot", NULL);
    if (!path) {
        j->rc = tl_error_set(&j->err, TL_ENOMEM, "mobilerun: out of memory");
        return;
    }
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "GET",
                .path = path,
                .op = TL_MR_OP_OBSERVE,
                .accept = "image/png",
                .max_response = BODY_MAX};
    j->rc = mr_send(&s->conn, s->shot_http, &r, tl_driver_device(&s->base), &resp, &j->err);
    if (j->rc == TL_OK) {
        tl_buf decoded;
        tl_buf_init(&decoded, BODY_MAX);
        bool in_place = false;
        j->rc = tl_mr_parse_screenshot(resp.body.data, resp.body.len, resp.content_type, &decoded,
                                       &in_place, &j->type, &j->err);
        if (j->rc == TL_OK)
            swap_content(&j->image, in_place ? &resp.body : &decoded);
        tl_buf_dispose(&decoded);
    }
    j->ms = since(t0);
    tl_http_response_dispose(&resp);
    free(path);
}

static void *shot_worker(void *payload)
{
    fetch_shot(payload);
    return NULL;
}

static int mr_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    struct mr_driver *s = MR(d);
    bool tree = what & TL_OBSERVE_TREE, shot = what & TL_OBSERVE_SCREENSHOT;
    struct shot_job job = {.s = s, .rc = TL_OK};
    tl_buf_init(&job.image, BODY_MAX);
    tl_error_clear(&job.err);
    pthread_t worker;
    bool threaded = tree && shot && pthread_create(&worker, NULL, shot_worker, &job) == 0;
    int rc = tree ? fetch_tree(s, out, err) : TL_OK;
    if (threaded)
        pthread_join(worker, NULL);
    else if (shot && rc == TL_OK)
        fetch_shot(&job);
    if (rc == TL_OK && shot && job.rc != TL_OK) {
        *err = job.err;
        rc = job.rc;
    }
    if (rc == TL_OK && shot) {
        tl_buf_clear(&out->screenshot);
        swap_content(&out->screenshot, &job.image);
        out->screenshot_type = job.type;
        out->screenshot_ms = job.ms;
    }
    tl_buf_dispose(&job.image);
    return rc;
}

/* Send an action with its JSON body (NULL: none). */
static int action(struct mr_driver *s, const char *method, const char *path, const tl_buf *body,
                  long *status, tl_error *err)
{
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = method,
                .path = path,
                .body = body ? body->data : NULL,
                .body_len = body ? body->len : 0,
                .op = TL_MR_OP_ACTION};
    int rc = mr_send(&s->conn, s->http, &r, tl_driver_device(&s->base), &resp, err);
    if (status)
        *status = resp.status;
    tl_http_response_dispose(&resp);
    return rc;
}

/* An action on dev_path + suffix with the body the caller built (`built`: the build's status;
 * an empty body is sent as none). Disposes of the body. */
static int simple_action(struct mr_driver *s, const char *method, const char *suffix, tl_buf *body,
                         int built, tl_error *err)
{
    char *path = built == TL_OK ? device_path(s, suffix, NULL) : NULL;
    int rc = path ? action(s, method, path, body->len ? body : NULL, NULL, err)
                  : tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    free(path);
    tl_buf_dispose(body);
    return rc;
}

static int mr_tap(tl_driver *d, int x, int y, tl_error *err)
{
    tl_buf b;
    tl_buf_init(&b, 256);
    return simple_action(MR(d), "POST", "/tap", &b, tl_mr_body_tap(&b, x, y), err);
}

/*
 * The reference has no long-press endpoint: a swipe that starts and ends on the point, held
 * for the duration, is what Android's input injection turns into a long press.
 */
static int mr_long_press(tl_driver *d, int x, int y, int duration_ms, tl_error *err)
{
    tl_buf b;
    tl_buf_init(&b, 256);
    return simple_action(MR(d), "POST", "/swipe", &b, tl_mr_body_swipe(&b, x, y, x, y, duration_ms),
                         err);
}

static int mr_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err)
{
    tl_buf b;
    tl_buf_init(&b, 256);
    return simple_action(MR(d), "POST", "/swipe", &b,
                         tl_mr_body_swipe(&b, x1, y1, x2, y2, duration_ms), err);
}

/*
 * Typing: POST /keyboard {text, clear}. Clearing with nothing to type is the reference's
 * DELETE /keyboard ("clears the currently focused input field").
 */
static int mr_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    tl_buf b;
    tl_buf_init(&b, (size_t)16 << 20);
    if (clear && !text[0])
        return simple_action(MR(d), "DELETE", "/keyboard", &b, TL_OK, err);
    int rc = tl_mr_body_type(&b, text, clear, err);
    if (rc) {
        tl_buf_dispose(&b);
        return rc;
    }
    return simple_action(MR(d), "POST", "/keyboard", &b, TL_OK, err);
}

static int mr_press_key(tl_driver *d, tl_key key, tl_error *err)
{
    int global = 0, keycode = 0;
    int rc = tl_mr_key_route(key, &global, &keycode, err);
    if (rc)
        return rc;
    tl_buf b;
    tl_buf_init(&b, 256);
    if (global)
        return simple_action(MR(d), "POST", "/global", &b, tl_mr_body_global(&b, global), err);
    return simple_action(MR(d), "PUT", "/keyboard", &b, tl_mr_body_key(&b, keycode), err);
}

/* Is the package installed? GET /devices/{id}/packages. @return TL_OK with *found set. */
static int installed(struct mr_driver *s, const char *package, bool *found, tl_error *err)
{
    char *path = device_path(s, "/packages?includeSystemPackages=true", NULL);
    if (!path)
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "GET", .path = path, .op = TL_MR_OP_OBSERVE};
    int rc = mr_send(&s->conn, s->http, &r, tl_driver_device(&s->base), &resp, err);
    if (rc == TL_OK)
        rc = tl_mr_parse_packages(resp.body.data, resp.body.len, package, found, err);
    tl_http_response_dispose(&resp);
    free(path);
    return rc;
}

/*
 * PUT /devices/{id}/apps/{package}. The reference does not say how a missing app is reported,
 * so when the service refuses the start, the package list settles it: an app that is not
 * installed is a refused action (TL_EREJECTED), anything else keeps the service's error.
 */
static int mr_start_app(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    struct mr_driver *s = MR(d);
    tl_buf b;
    tl_buf_init(&b, 64 << 10);
    char *path = device_path(s, "/apps/", package);
    int rc = path && tl_mr_body_start_app(&b, activity) == TL_OK
                 ? TL_OK
                 : tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    long status = 0;
    if (rc == TL_OK)
        rc = action(s, "PUT", path, &b, &status, err);
    if (rc != TL_OK && status >= 400 && status != 401 && status != 402 && status != 403 &&
        status != 429 && !canceled(s)) {
        bool found = true;
        tl_error perr;
        if (installed(s, package, &found, &perr) == TL_OK && !found) {
            char shown[TL_MR_TEXT_SIZE];
            tl_mr_sanitize(shown, sizeof(shown), package, strlen(package), 120, NULL);
            rc = tl_error_set(err, TL_EREJECTED,
                              "mobilerun: app %s is not installed on device %s (PUT %s answered "
                              "HTTP %ld)",
                              shown, tl_driver_device(d), path, status);
        }
    }
    free(path);
    tl_buf_dispose(&b);
    return rc;
}

static int mr_stop_app(tl_driver *d, const char *package, tl_error *err)
{
    struct mr_driver *s = MR(d);
    tl_buf b;
    tl_buf_init(&b, 16);
    char *path = device_path(s, "/apps/", package);
    int rc = path && tl_buf_puts(&b, "{}") == TL_OK
                 ? action(s, "PATCH", path, &b, NULL, err)
                 : tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    free(path);
    tl_buf_dispose(&b);
    return rc;
}

static int mr_list_apps(tl_driver *d, tl_app_list *out, tl_error *err)
{
    struct mr_driver *s = MR(d);
    char *path = device_path(s, "/apps?includeSystemApps=true", NULL);
    if (!path)
        return tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
    tl_http_response resp;
    tl_http_response_init(&resp);
    mr_req r = {.method = "GET", .path = path, .op = TL_MR_OP_OBSERVE};
    int rc = mr_send(&s->conn, s->http, &r, tl_driver_device(d), &resp, err);
    if (rc == TL_OK)
        rc = tl_mr_parse_apps(resp.body.data, resp.body.len, out, err);
    tl_http_response_dispose(&resp);
    free(path);
    return rc;
}

static int mr_list_devices(const tl_driver_config *cfg, tl_device_list *out, tl_error *err)
{
    struct mr_conn c;
    int rc = conn_init(&c, cfg, err);
    tl_http *h = rc == TL_OK ? tl_http_new(cfg->cancel, err) : NULL;
    if (rc == TL_OK && !h)
        rc = err->code ? err->code : TL_ENOMEM;
    if (rc == TL_OK)
        rc = list_all(&c, h, out, err);
    tl_http_free(h);
    conn_dispose(&c);
    return rc;
}

const struct tl_driver_ops tl_mobilerun_driver = {
    .abi_version = TL_DRIVER_ABI,
    .name = "mobilerun",
    .summary = "phones and cloud devices over the Mobilerun REST API (MOBILERUN_API_KEY)",
    .caps = TL_DRIVER_CAP_SCREENSHOT | TL_DRIVER_CAP_APPS | TL_DRIVER_CAP_PARALLEL_OBSERVE,
    .open = mr_open,
    .close = mr_close,
    .observe = mr_observe,
    .tap = mr_tap,
    .long_press = mr_long_press,
    .swipe = mr_swipe,
    .type = mr_type,
    .press_key = mr_press_key,
    .start_app = mr_start_app,
    .stop_app = mr_stop_app,
    .list_apps = mr_list_apps,
    .list_devices = mr_list_devices,
};
