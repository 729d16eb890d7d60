/*
 * armcloud.c - the ArmCloud driver: cloud phones ("pads") of ArmCloud or VMOS Cloud, driven
 * through the vendor's signed OpenAPI (docs/armcloud.md).
 *
 * A session holds the configuration read from the environment (struct ac_conf: credentials,
 * base URL, path table, tunables) and one HTTP client. Every request is a POST with a compact
 * JSON body, signed (sign.c) just before it is sent; every answer goes through the envelope
 * check and the parsers of protocol.c.
 *
 * The device side is an Android shell reached through syncCmd: every command line comes from
 * drivers/adbshell.h (quoted there), and run_shell() turns "run this, give me its output" into
 * a syncCmd call that falls back to asyncCmd + executeScriptInfo polling when the server's 5 s
 * limit is hit. Observing dumps the UI tree to a file and reads it back in bounded chunks;
 * screenshots come from generatePreview's download URL. startApp/stopApp are tasks whose end
 * is awaited through appOperateInfo, so that the next observation sees their effect.
 */
#include "drivers/armcloud/protocol.h"
#include "drivers/armcloud/sign.h"
#include "drivers/adbshell.h"
#include "drivers/driver_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/http.h"
#include "core/log.h"
#include "core/str.h"

/* Defaults of the tunables (docs/armcloud.md, "Settings"). */
#define DEFAULT_CHUNK   ((size_t)64 << 10)
#define DEFAULT_POLL_MS 500
#define DEFAULT_TASK_MS 60000
#define DEFAULT_SYNC_MS 15000
#define DEFAULT_HTTP_MS 30000
#define DEFAULT_WAIT_MS 300000

/* Times a read-only command is sent again after its answer was lost (post_as). */
#define READ_RESENDS   2
#define SCREENSHOT_MAX ((size_t)32 << 20)
#define PAGE_ROWS      100
#define PAGES_MAX      1000
#define DUMP_ATTEMPTS  3
#define CLEAR_CHARS    256
#define TREE_MAX       ((size_t)64 << 20)

/* Everything a session or a device listing needs; read from the environment once. */
struct ac_conf {
    char *ak; /* owned */
    char *sk; /* owned; wiped on dispose */
    tl_ac_base base;
    enum tl_ac_api api;
    size_t chunk; /* bytes per file read */
    long poll_ms; /* between two looks at a task */
    long task_ms; /* bound on waiting for a task (async fallback, startApp/stopApp) */
    long sync_ms; /* HTTP timeout of one syncCmd request */
    long http_ms; /* HTTP timeout of every other request */
    volatile sig_atomic_t *cancel;
    tl_http *http;    /* owned */
    long last_status; /* HTTP status of the last answer, 0 if none */
};

struct ac_driver {
    tl_driver base;
    struct ac_conf conf;
    tl_http *shot_http; /* owned: screenshots, fetched on a worker thread beside the tree */
    bool ime_known, adb_keyboard;
    bool size_known;
    int32_t width, height;
};

#define AC(d) ((struct ac_driver *)(d))

/* ---- configuration ------------------------------------------------------------------------- */

static void conf_dispose(struct ac_conf *c)
{
    tl_http_free(c->http);
    tl_str_wipe_free(c->sk);
    free(c->ak);
    tl_ac_base_dispose(&c->base);
    memset(c, 0, sizeof(*c));
}

/* A numeric setting from the environment, within [min, max]. */
static int env_long(const char *name, long def, long min, long max, long *out, tl_error *err)
{
    const char *s = getenv(name);
    *out = def;
    if (!s || !s[0])
        return TL_OK;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < min || v > max)
        return tl_error_set(err, TL_EUSAGE,
                            "%s must be a whole number from %ld to %ld, not \"%.32s\"", name, min,
                            max, s);
    *out = v;
    return TL_OK;
}

static int conf_init(struct ac_conf *c, const tl_driver_config *cfg, tl_error *err)
{
    memset(c, 0, sizeof(*c));
    c->cancel = cfg->cancel;
    const char *ak = getenv("ARMCLOUD_AK"), *sk = getenv("ARMCLOUD_SK");
    if (!ak || !ak[0])
        return tl_error_set(err, TL_EUSAGE,
                            "armcloud: ARMCLOUD_AK is not set: export your ArmCloud access key "
                            "id in ARMCLOUD_AK and its secret in ARMCLOUD_SK");
    if (!sk || !sk[0])
        return tl_error_set(err, TL_EUSAGE,
                            "armcloud: ARMCLOUD_SK is not set: export your ArmCloud secret access "
                            "key in ARMCLOUD_SK");
    long chunk = 0;
    int rc = tl_ac_api_parse(getenv("ARMCLOUD_API"), &c->api, err);
    if (rc == TL_OK)
        rc = tl_ac_base_parse(&c->base, getenv("ARMCLOUD_BASE_URL"), err);
    if (rc == TL_OK)
        rc = env_long("ARMCLOUD_CHUNK_BYTES", (long)DEFAULT_CHUNK, 1024, 16L << 20, &chunk, err);
    if (rc == TL_OK)
        rc = env_long("ARMCLOUD_POLL_MS", DEFAULT_POLL_MS, 10, 60000, &c->poll_ms, err);
    if (rc == TL_OK)
        rc = env_long("ARMCLOUD_TASK_TIMEOUT_MS",
                      cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TASK_MS, 100, 3600000,
                      &c->task_ms, err);
    if (rc == TL_OK)
        rc = env_long("ARMCLOUD_SYNC_TIMEOUT_MS", DEFAULT_SYNC_MS, 100, 600000, &c->sync_ms, err);
    if (rc == TL_OK)
        rc = env_long("ARMCLOUD_HTTP_TIMEOUT_MS", DEFAULT_HTTP_MS, 100, 600000, &c->http_ms, err);
    c->chunk = (size_t)chunk;
    if (rc == TL_OK) {
        c->ak = tl_strdup(ak);
        c->sk = tl_strdup(sk);
        if (!c->ak || !c->sk)
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    }
    if (rc == TL_OK && !(c->http = tl_http_new(cfg->cancel, err)))
        rc = err && err->code ? err->code : TL_ENOMEM;
    if (rc != TL_OK)
        conf_dispose(c);
    return rc;
}

/* ---- signed requests ----------------------------------------------------------------------- */

/*
 * POST a body to an operation, signed, and check the HTTP status. On TL_OK resp holds a 2xx
 * answer (its envelope is checked by the caller's parser). A non-2xx answer that carries an
 * envelope with a known error code is reported with that code's meaning.
 */
static int post_as(struct ac_conf *c, enum tl_ac_op op, const tl_buf *body, const char *pad,
                   long timeout_ms, bool repeatable, tl_http_response *resp, tl_error *err)
{
    const char *name = tl_ac_op_name(op);
    char x_date[TL_AC_X_DATE_LEN + 1];
    if (tl_ac_x_date(time(NULL), x_date) != TL_OK)
        return tl_error_set(err, TL_EUSAGE, "armcloud: the system clock is not a valid date");
    tl_buf url, date_h, host_h, auth_h;
    tl_buf_init(&url, 0);
    tl_buf_init(&date_h, 0);
    tl_buf_init(&host_h, 0);
    tl_buf_init(&auth_h, 0);
    tl_ac_signature sig;
    tl_ac_signature_init(&sig);
    tl_ac_sign_input in = {
        .ak = c->ak,
        .sk = c->sk,
        .x_date = x_date,
        .host = c->base.host,
        .content_type = TL_AC_CONTENT_TYPE,
        .body = body->data,
        .body_len = body->len,
    };
    int rc = tl_ac_sign(&in, &sig, err);
    if (rc == TL_OK &&
        (tl_ac_url(&url, &c->base, c->api, op) || tl_buf_printf(&date_h, "x-date: %s", x_date) ||
         tl_buf_printf(&host_h, "x-host: %s", c->base.host) ||
         tl_buf_printf(&auth_h, "authorization: %s", sig.authorization.data)))
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    char signature[sizeof(sig.signature)]; /* to scrub from an answer that echoes it */
    memcpy(signature, sig.signature, sizeof(signature));
    tl_ac_signature_dispose(&sig);
    char endpoint[48];
    snprintf(endpoint, sizeof(endpoint), "armcloud %s", name);
    const char *headers[] = {
        "content-type: " TL_AC_CONTENT_TYPE, date_h.data, host_h.data, auth_h.data,
        "accept: application/json",          NULL};
    tl_http_request req = {
        .method = "POST",
        .url = url.data,
        .endpoint = endpoint,
        .headers = headers,
        .body = body->data,
        .body_len = body->len,
        .timeout_ms = timeout_ms,
        .max_response = TL_AC_MAX_BODY,
        /* the queries change nothing: repeated after a reset, a truncated answer or a timeout
         * (commands and app launches are not: the pad may have run them) */
        .idempotent = op == TL_AC_OP_SCRIPT_INFO || op == TL_AC_OP_PREVIEW ||
                      op == TL_AC_OP_APP_TASK_INFO || op == TL_AC_OP_PAD_INFOS,
    };
    if (rc == TL_OK)
        rc = tl_http_send(c->http, &req, resp, err);
    /* A read-only command whose one attempt reached the server but whose answer was lost (a
     * reset, a truncated body): the HTTP layer does not repeat a POST, but this one is safe to
     * send again. A timeout is not repeated here: the syncCmd caller falls back to asyncCmd. */
    int sends = 1;
    for (; repeatable && rc == TL_ENET && resp->attempts == 1 && sends <= READ_RESENDS; sends++) {
        tl_log(TL_LOG_DEBUG, "armcloud: %s: %s; sending the read-only command again", name,
               err ? err->msg : "lost answer");
        if (err)
            tl_error_clear(err);
        rc = tl_http_send(c->http, &req, resp, err);
    }
    if (rc != TL_OK && sends > 1 && err) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (the command was sent %d times)", sends);
    }
    c->last_status = resp->status;
    /* a server quoting the request's authorization (say, in an error's msg) never gets the
     * signature into a message, a log or a trajectory: it is gone before the body is read */
    if (rc == TL_OK && signature[0])
        tl_http_redact_body(&resp->body, signature);
    for (volatile char *p = signature; p < signature + sizeof(signature); p++)
        *p = 0;
    if (rc == TL_OK && (resp->status < 200 || resp->status > 299)) {
        long code = 0;
        tl_error env;
        int erc = tl_ac_check_envelope(resp->body.data, resp->body.len, op, pad, &code, &env);
        if (erc != TL_OK && code != 0 && tl_ac_error_lookup(code)) {
            if (err)
                *err = env;
            rc = erc;
        } else {
            const char *hint = NULL;
            char h[200];
            if (resp->status == 401 || resp->status == 403)
                hint = "check ARMCLOUD_AK and ARMCLOUD_SK";
            else if (resp->status == 404) {
                snprintf(h, sizeof(h),
                         "check ARMCLOUD_BASE_URL and ARMCLOUD_API (the %s table puts %s at %s)",
                         tl_ac_api_name(c->api), name, tl_ac_path(c->api, op));
                hint = h;
            }
            rc = tl_http_check(&req, resp, hint, err);
        }
    }
    tl_buf_wipe(&auth_h); /* after tl_http_check(), which scrubs its value from messages */
    tl_buf_dispose(&url);
    tl_buf_dispose(&date_h);
    tl_buf_dispose(&host_h);
    return rc;
}

/* post_as() for a request that is not to be repeated once the server has it, unless its
 * operation is a query. */
static int post(struct ac_conf *c, enum tl_ac_op op, const tl_buf *body, const char *pad,
                long timeout_ms, tl_http_response *resp, tl_error *err)
{
    return post_as(c, op, body, pad, timeout_ms, false, resp, err);
}

/* ---- tasks and shell commands -------------------------------------------------------------- */

/* Polls that may find a just-started task missing from the list before that is an error. */
#define TASK_MISSING_POLLS 3

/* Wait for task `id` of an operation's info endpoint to end; its last report goes to out. */
static int await_task(struct ac_conf *c, enum tl_ac_op info_op, const char *pad, long long id,
                      tl_ac_task *out, tl_error *err)
{
    long long deadline = tl_now_ms() + c->task_ms;
    tl_buf body;
    tl_buf_init(&body, 0);
    int rc = tl_ac_body_task_ids(&body, id) ? TL_ENOMEM : TL_OK;
    memset(out, 0, sizeof(*out));
    for (int polls = 0; rc == TL_OK; polls++) {
        tl_http_response resp;
        tl_http_response_init(&resp);
        rc = post(c, info_op, &body, pad, c->http_ms, &resp, err);
        if (rc == TL_OK) {
            tl_ac_task_dispose(out);
            rc = tl_ac_parse_task(resp.body.data, resp.body.len, info_op, pad, id, out, err);
            if (rc == TL_EBADRESP && out->no_item && polls < TASK_MISSING_POLLS) {
                /* not listed yet: the service may register a task after answering */
                rc = TL_OK;
                tl_error_clear(err);
                out->has_status = false;
            }
        }
        tl_http_response_dispose(&resp);
        if (rc != TL_OK || (out->has_status && tl_ac_task_final(out->status)))
            break;
        if (tl_now_ms() + c->poll_ms > deadline) {
            rc = tl_error_set(err, TL_ETIMEOUT,
                              "armcloud: %s: task %lld on pad %s is still %s after %ld ms (%d "
                              "polls; raise ARMCLOUD_TASK_TIMEOUT_MS to wait longer)",
                              tl_ac_op_name(info_op), id, pad, tl_ac_task_status_text(out->status),
                              c->task_ms, polls + 1);
            break;
        }
        if (tl_sleep_ms(c->poll_ms, c->cancel) != TL_OK)
            rc = tl_error_set(err, TL_ECANCELED,
                              "armcloud: interrupted while waiting for task %lld", id);
    }
    tl_buf_dispose(&body);
    if (rc)
        tl_ac_task_dispose(out);
    return rc;
}

/* Run a command line as an asyncCmd task and wait for its end. */
static int run_async(struct ac_conf *c, const char *pad, const char *cmd, tl_ac_task *out,
                     tl_error *err)
{
    tl_buf body;
    tl_buf_init(&body, 0);
    int rc = tl_ac_body_async_cmd(&body, pad, cmd)
                 ? tl_error_set(err, TL_ENOMEM, "armcloud: out of memory")
                 : TL_OK;
    tl_http_response resp;
    tl_http_response_init(&resp);
    tl_ac_task started;
    memset(&started, 0, sizeof(started));
    if (rc == TL_OK)
        rc = post(c, TL_AC_OP_ASYNC_CMD, &body, pad, c->http_ms, &resp, err);
    if (rc == TL_OK)
        rc = tl_ac_parse_task(resp.body.data, resp.body.len, TL_AC_OP_ASYNC_CMD, pad, -1, &started,
                              err);
    if (rc == TL_OK && started.task_id < 0)
        rc = tl_error_set(err, TL_EBADRESP, "armcloud: asyncCmd: the answer has no taskId");
    if (rc == TL_OK)
        rc = await_task(c, TL_AC_OP_SCRIPT_INFO, pad, started.task_id, out, err);
    tl_ac_task_dispose(&started);
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&body);
    return rc;
}

/*
 * Run one command line on the pad and append its output to `output`: syncCmd, falling back to
 * asyncCmd + executeScriptInfo when syncCmd times out (error 110012, taskStatus -4, or no HTTP
 * answer within ARMCLOUD_SYNC_TIMEOUT_MS).
 */
static int run_shell_as(struct ac_driver *d, const char *cmd, bool read_only, tl_buf *output,
                        tl_error *err)
{
    struct ac_conf *c = &d->conf;
    const char *pad = d->base.device;
    tl_buf body;
    tl_buf_init(&body, 0);
    if (tl_ac_body_sync_cmd(&body, pad, cmd)) {
        tl_buf_dispose(&body);
        return tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    }
    tl_http_response resp;
    tl_http_response_init(&resp);
    tl_ac_task task;
    memset(&task, 0, sizeof(task));
    long long t0 = tl_now_ms();
    int rc = post_as(c, TL_AC_OP_SYNC_CMD, &body, pad, c->sync_ms, read_only, &resp, err);
    if (rc == TL_OK)
        rc =
            tl_ac_parse_task(resp.body.data, resp.body.len, TL_AC_OP_SYNC_CMD, pad, -1, &task, err);
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&body);
    bool timed_out =
        rc == TL_ETIMEOUT || (rc == TL_OK && task.has_status && task.status == TL_AC_TASK_TIMEOUT);
    if (rc == TL_OK && task.has_status && !tl_ac_task_final(task.status) && task.task_id >= 0) {
        /* the server answered before the command ended: wait for that task */
        long long id = task.task_id;
        tl_ac_task_dispose(&task);
        rc = await_task(c, TL_AC_OP_SCRIPT_INFO, pad, id, &task, err);
    } else if (timed_out) {
        tl_log(TL_LOG_DEBUG,
               "armcloud: syncCmd timed out after %lld ms; running it as an asyncCmd "
               "task",
               tl_now_ms() - t0);
        tl_ac_task_dispose(&task);
        tl_error_clear(err);
        rc = run_async(c, pad, cmd, &task, err);
    }
    if (rc == TL_OK && task.has_status && task.status != TL_AC_TASK_DONE) {
        char q[160];
        snprintf(q, sizeof(q), "%.150s", task.output ? task.output : "");
        for (char *p = q; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        rc = tl_error_set(err, task.status == TL_AC_TASK_TIMEOUT ? TL_ETIMEOUT : TL_ENOTREADY,
                          "armcloud: pad %s could not run a command: the task %s%s%s%s", pad,
                          tl_ac_task_status_text(task.status), q[0] ? " (\"" : "", q,
                          q[0] ? "\")" : "");
    }
    if (rc == TL_OK && tl_buf_append(output, task.output, task.output_len) != TL_OK)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: pad %s: a command printed more than %zu bytes", pad,
                          output->max);
    tl_ac_task_dispose(&task);
    return rc;
}

/* Run a command that may change the pad (an input event, a launch): not sent again once the
 * server has it. */
static int run_shell(struct ac_driver *d, const char *cmd, tl_buf *output, tl_error *err)
{
    return run_shell_as(d, cmd, false, output, err);
}

/* Run a command that only reads (the UI dump and its chunks, wm size, settings, the package
 * list): repeated after a reset or a truncated answer like any query. */
static int run_query(struct ac_driver *d, const char *cmd, tl_buf *output, tl_error *err)
{
    return run_shell_as(d, cmd, true, output, err);
}

/* Run a command line built by one of the adbshell builders, ignoring its output. */
static int run_action(struct ac_driver *d, tl_buf *cmd, int built, tl_error *err)
{
    if (built != TL_OK) {
        tl_buf_dispose(cmd);
        return built == TL_ENOMEM ? tl_error_set(err, TL_ENOMEM, "armcloud: out of memory") : built;
    }
    tl_buf out;
    tl_buf_init(&out, (size_t)1 << 20);
    int rc = run_shell(d, cmd->data, &out, err); /* `input` prints nothing worth reading */
    tl_buf_dispose(&out);
    tl_buf_dispose(cmd);
    return rc;
}

/* ---- observe ------------------------------------------------------------------------------- */

/* Read the rest of the dump from file offset `off` in chunks, appending to tree. */
static int read_rest(struct ac_driver *d, size_t off, size_t size, tl_buf *tree, tl_error *err)
{
    tl_buf cmd, chunk;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&chunk, d->conf.chunk * 4 + 4096);
    int rc = TL_OK;
    while (rc == TL_OK && off < size) {
        size_t want = size - off < d->conf.chunk ? size - off : d->conf.chunk;
        tl_buf_clear(&cmd);
        tl_buf_clear(&chunk);
        if (tl_shell_read_file(&cmd, TL_SHELL_DUMP_PATH, off, want)) {
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
            break;
        }
        rc = run_query(d, cmd.data, &chunk, err);
        if (rc)
            break;
        size_t keep = tl_ac_chunk_keep(chunk.data, chunk.len, want, off + want >= size);
        if (keep == 0) {
            rc = tl_error_set(err, TL_EBADRESP,
                              "armcloud: reading the UI dump back: no bytes at offset %zu of %zu "
                              "(the file changed, or the service cuts command output short: "
                              "try a smaller ARMCLOUD_CHUNK_BYTES)",
                              off, size);
            break;
        }
        if (tl_buf_append(tree, chunk.data, keep) != TL_OK)
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: the UI dump is over %zu bytes", tree->max);
        off += keep < want ? keep : want;
    }
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&chunk);
    return rc;
}

static int fetch_tree(struct ac_driver *d, tl_buf *tree, tl_error *err)
{
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, d->conf.chunk * 4 + 65536);
    int rc = TL_OK;
    /* the first observation of a session also asks for the display size, in the same call */
    bool wm = !d->size_known;
    if (wm && (tl_shell_wm_size(&cmd) || tl_buf_puts(&cmd, " ; ")))
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    if (tl_shell_dump_ui(&cmd, TL_SHELL_DUMP_PATH) || tl_buf_puts(&cmd, " && ") ||
        tl_shell_file_size(&cmd, TL_SHELL_DUMP_PATH) || tl_buf_puts(&cmd, " && ") ||
        tl_shell_read_file(&cmd, TL_SHELL_DUMP_PATH, 0, d->conf.chunk))
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    for (int attempt = 1; rc == TL_OK; attempt++) {
        tl_buf_clear(&out);
        rc = run_query(d, cmd.data, &out, err);
        if (rc == TL_OK)
            rc = tl_shell_check_dump(out.data ? out.data : "", out.len, err);
        if (rc != TL_ENOTREADY || attempt >= DUMP_ATTEMPTS)
            break;
        tl_log(TL_LOG_DEBUG, "armcloud: uiautomator was busy; dumping again");
        rc = tl_sleep_ms(300, d->conf.cancel)
                 ? tl_error_set(err, TL_ECANCELED, "armcloud: interrupted")
                 : TL_OK;
    }
    size_t head = 0, size = 0, data_off = 0;
    if (rc == TL_OK)
        rc = tl_ac_split_dump_output(out.data, out.len, &head, &size, &data_off, err);
    if (rc == TL_OK && wm) {
        int w = 0, h = 0;
        tl_error ignored;
        d->size_known = true;
        if (tl_shell_parse_wm_size(out.data, head, &w, &h, &ignored) == TL_OK) {
            d->width = w;
            d->height = h;
        }
    }
    if (rc == TL_OK && size > tree->max)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: the UI dump is %zu bytes, over the %zu MiB limit", size,
                          tree->max >> 20);
    if (rc == TL_OK) {
        size_t got = out.len - data_off;
        size_t want = size < d->conf.chunk ? size : d->conf.chunk;
        size_t keep = tl_ac_chunk_keep(out.data + data_off, got, want, want >= size);
        tl_buf_clear(tree);
        if (tl_buf_append(tree, out.data + data_off, keep) != TL_OK)
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
        else if (size > 0)
            rc = read_rest(d, keep < want ? keep : want, size, tree, err);
    }
    size_t start = 0, len = 0;
    if (rc == TL_OK)
        rc = tl_shell_find_xml(tree->data ? tree->data : "", tree->len, &start, &len, err);
    if (rc == TL_OK && (start > 0 || len < tree->len)) {
        memmove(tree->data, tree->data + start, len);
        tree->len = len;
        tree->data[len] = '\0';
    }
    if (rc != TL_OK && rc != TL_ECANCELED && err && strncmp(err->msg, "armcloud", 8) != 0)
        tl_error_prefix(err, "armcloud: pad %s: ", d->base.device);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

/* `c` is the session's configuration, or the worker thread's copy of it (its own client). */
static int fetch_screenshot(struct ac_driver *d, struct ac_conf *c, tl_observation *o,
                            tl_error *err)
{
    const char *pad = d->base.device;
    tl_buf body;
    tl_buf_init(&body, 0);
    tl_http_response resp;
    tl_http_response_init(&resp);
    char *url = NULL;
    int rc = tl_ac_body_preview(&body, pad) ? tl_error_set(err, TL_ENOMEM, "out of memory") : TL_OK;
    if (rc == TL_OK)
        rc = post(c, TL_AC_OP_PREVIEW, &body, pad, c->http_ms, &resp, err);
    if (rc == TL_OK)
        rc = tl_ac_parse_preview(resp.body.data, resp.body.len, pad, &url, err);
    if (rc == TL_OK) {
        /* the preview URL is a plain download: no signature */
        tl_http_response img;
        tl_http_response_init(&img);
        tl_http_request req = {
            .method = "GET",
            .url = url,
            .endpoint = "armcloud screenshot download",
            .timeout_ms = c->http_ms,
            .max_response = SCREENSHOT_MAX,
        };
        rc = tl_http_send(c->http, &req, &img, err);
        if (rc == TL_OK)
            rc = tl_http_check(&req, &img, "the preview's accessUrl could not be downloaded", err);
        const char *type = NULL;
        if (rc == TL_OK)
            rc = tl_ac_image_type(img.body.data, img.body.len, &type, err);
        if (rc == TL_OK) {
            tl_buf_clear(&o->screenshot);
            if (tl_buf_append(&o->screenshot, img.body.data, img.body.len) != TL_OK)
                rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
            else
                o->screenshot_type = type;
        }
        tl_http_response_dispose(&img);
    }
    free(url);
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&body);
    return rc;
}

/* The display size, once per session (`wm size`); unknown (0) if the pad does not say. */
static void learn_size(struct ac_driver *d)
{
    if (d->size_known)
        return;
    d->size_known = true;
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, 1 << 16);
    tl_error ignored;
    int w = 0, h = 0;
    if (tl_shell_wm_size(&cmd) == TL_OK && run_query(d, cmd.data, &out, &ignored) == TL_OK &&
        tl_shell_parse_wm_size(out.data ? out.data : "", out.len, &w, &h, &ignored) == TL_OK) {
        d->width = w;
        d->height = h;
    }
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
}

/* The screenshot half of an observation, on a worker thread. */
struct shot_job {
    struct ac_driver *d;
    struct ac_conf conf; /* a copy of the session's with the screenshot client: nothing shared
                            is written (the signing inputs are only read) */
    tl_observation *out;
    int rc;
    tl_error err;
};

static void *shot_thread(void *arg)
{
    struct shot_job *j = arg;
    long long t0 = tl_now_ms();
    j->rc = fetch_screenshot(j->d, &j->conf, j->out, &j->err);
    j->out->screenshot_ms = (uint32_t)(tl_now_ms() - t0);
    return NULL;
}

/*
 * Tree and screenshot together: the screenshot (generatePreview, then the download) runs on a
 * worker thread with its own kept-alive client while this thread dumps the tree, so the
 * observation takes as long as the slower of the two.
 */
static int ac_observe(tl_driver *drv, unsigned what, tl_observation *out, tl_error *err)
{
    struct ac_driver *d = AC(drv);
    int rc = TL_OK;
    bool both = (what & TL_OBSERVE_TREE) && (what & TL_OBSERVE_SCREENSHOT);
    struct shot_job job = {.d = d, .conf = d->conf, .out = out};
    bool started = false;
    if (both && !d->shot_http)
        d->shot_http = tl_http_new(d->conf.cancel, NULL);
    if (both && d->shot_http) {
        job.conf.http = d->shot_http;
        tl_error_clear(&job.err);
        pthread_t t;
        started = pthread_create(&t, NULL, shot_thread, &job) == 0;
        if (started) {
            long long t0 = tl_now_ms();
            rc = fetch_tree(d, &out->tree, err);
            out->tree_ms = (uint32_t)(tl_now_ms() - t0);
            pthread_join(t, NULL);
            if (rc == TL_OK && job.rc != TL_OK) {
                rc = job.rc;
                if (err)
                    *err = job.err;
            }
        }
    }
    if (!started && (what & TL_OBSERVE_TREE)) {
        long long t0 = tl_now_ms();
        rc = fetch_tree(d, &out->tree, err);
        out->tree_ms = (uint32_t)(tl_now_ms() - t0);
    }
    if (!started && rc == TL_OK && (what & TL_OBSERVE_SCREENSHOT)) {
        long long t0 = tl_now_ms();
        rc = fetch_screenshot(d, &d->conf, out, err);
        out->screenshot_ms = (uint32_t)(tl_now_ms() - t0);
    }
    if (rc == TL_OK) {
        learn_size(d);
        out->display_w = d->width;
        out->display_h = d->height;
    }
    return rc;
}

/* ---- act ----------------------------------------------------------------------------------- */

static int ac_tap(tl_driver *drv, int x, int y, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    return run_action(AC(drv), &cmd, tl_shell_tap(&cmd, x, y), err);
}

static int ac_long_press(tl_driver *drv, int x, int y, int duration_ms, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    return run_action(AC(drv), &cmd, tl_shell_long_press(&cmd, x, y, duration_ms), err);
}

static int ac_swipe(tl_driver *drv, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    return run_action(AC(drv), &cmd, tl_shell_swipe(&cmd, x1, y1, x2, y2, duration_ms), err);
}

static int ac_press_key(tl_driver *drv, tl_key key, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    return run_action(AC(drv), &cmd, tl_shell_keyevent(&cmd, key), err);
}

/* Is ADB Keyboard the input method? Asked once per session. */
static int learn_ime(struct ac_driver *d, tl_error *err)
{
    if (d->ime_known)
        return TL_OK;
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, 1 << 16);
    int rc = tl_shell_input_method(&cmd) ? tl_error_set(err, TL_ENOMEM, "out of memory") : TL_OK;
    if (rc == TL_OK)
        rc = run_query(d, cmd.data, &out, err);
    if (rc == TL_OK) {
        d->adb_keyboard = tl_shell_is_adb_keyboard(out.data ? out.data : "", out.len);
        d->ime_known = true;
        tl_log(TL_LOG_DEBUG, "armcloud: pad %s: ADB Keyboard is %s", d->base.device,
               d->adb_keyboard ? "the input method" : "not the input method");
    }
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

static int ac_type(tl_driver *drv, const char *text, bool clear, tl_error *err)
{
    struct ac_driver *d = AC(drv);
    int rc = TL_OK;
    if (text[0])
        rc = learn_ime(d, err);
    if (rc)
        return rc;
    tl_shell_type_opts opts = {.adb_keyboard = d->adb_keyboard};
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    if (clear) {
        rc = tl_shell_clear_field(&cmd, CLEAR_CHARS);
        if (rc == TL_OK && text[0])
            rc = tl_buf_puts(&cmd, " && ");
        if (rc)
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    }
    if (rc == TL_OK && (text[0] || !clear))
        rc = tl_shell_type_text(&cmd, text, &opts, err);
    if (rc != TL_OK) {
        tl_buf_dispose(&cmd);
        return rc;
    }
    return run_action(d, &cmd, TL_OK, err);
}

/* startApp / stopApp: start the task, then wait for it through appOperateInfo. */
static int app_task(struct ac_driver *d, enum tl_ac_op op, const char *package, tl_error *err)
{
    struct ac_conf *c = &d->conf;
    const char *pad = d->base.device;
    tl_buf body;
    tl_buf_init(&body, 0);
    int rc =
        tl_ac_body_app(&body, pad, package) ? tl_error_set(err, TL_ENOMEM, "out of memory") : TL_OK;
    tl_http_response resp;
    tl_http_response_init(&resp);
    tl_ac_task task;
    memset(&task, 0, sizeof(task));
    if (rc == TL_OK)
        rc = post(c, op, &body, pad, c->http_ms, &resp, err);
    if (rc == TL_OK)
        rc = tl_ac_parse_task(resp.body.data, resp.body.len, op, pad, -1, &task, err);
    if (rc == TL_OK && task.task_id >= 0 && !(task.has_status && tl_ac_task_final(task.status))) {
        long long id = task.task_id;
        tl_ac_task_dispose(&task);
        rc = await_task(c, TL_AC_OP_APP_TASK_INFO, pad, id, &task, err);
        if (rc == TL_ENOTFOUND && c->last_status == 404) {
            /* a service without the task endpoint: the task was accepted, go on */
            tl_log(TL_LOG_DEBUG, "armcloud: %s has no %s (HTTP 404): not waiting for task %lld",
                   c->base.host, tl_ac_path(c->api, TL_AC_OP_APP_TASK_INFO), id);
            tl_error_clear(err);
            rc = TL_OK;
        }
    }
    if (rc == TL_OK && task.has_status && task.status != TL_AC_TASK_DONE) {
        bool start = op == TL_AC_OP_START_APP;
        rc = tl_error_set(err, task.status == TL_AC_TASK_TIMEOUT ? TL_ETIMEOUT : TL_EREJECTED,
                          "armcloud: %s: pad %s could not %s %s: the task %s%s", tl_ac_op_name(op),
                          pad, start ? "start" : "stop", package,
                          tl_ac_task_status_text(task.status),
                          start ? " (is the app installed?)" : "");
    }
    tl_ac_task_dispose(&task);
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&body);
    return rc;
}

static int ac_start_app(tl_driver *drv, const char *package, const char *activity, tl_error *err)
{
    struct ac_driver *d = AC(drv);
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    /* validate the names the same way for both paths */
    int rc = tl_shell_start_app(&cmd, package, activity, err);
    if (rc != TL_OK || !activity) {
        tl_buf_dispose(&cmd);
        return rc ? rc : app_task(d, TL_AC_OP_START_APP, package, err);
    }
    /* the startApp operation takes no activity: `am start -n` through syncCmd */
    tl_buf out;
    tl_buf_init(&out, 1 << 20);
    rc = run_shell(d, cmd.data, &out, err);
    if (rc == TL_OK)
        rc = tl_shell_check_start(out.data ? out.data : "", out.len, package, err);
    tl_buf_dispose(&out);
    tl_buf_dispose(&cmd);
    return rc;
}

static int ac_stop_app(tl_driver *drv, const char *package, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc = tl_shell_stop_app(&cmd, package, err); /* validates the name */
    tl_buf_dispose(&cmd);
    return rc ? rc : app_task(AC(drv), TL_AC_OP_STOP_APP, package, err);
}

static int ac_list_apps(tl_driver *drv, tl_app_list *out, tl_error *err)
{
    tl_buf cmd, text;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&text, (size_t)8 << 20);
    int rc = tl_shell_list_packages(&cmd) ? tl_error_set(err, TL_ENOMEM, "out of memory") : TL_OK;
    if (rc == TL_OK)
        rc = run_query(AC(drv), cmd.data, &text, err);
    if (rc == TL_OK)
        rc = tl_shell_parse_packages(text.data ? text.data : "", text.len, out, err);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&text);
    return rc;
}

/* ---- pads ---------------------------------------------------------------------------------- */

/* List pads: all of them (pad NULL) or the one named, page after page. */
static int list_pads(struct ac_conf *c, const char *pad, tl_device_list *out, tl_error *err)
{
    int rc = TL_OK;
    for (int page = 1; rc == TL_OK && page <= PAGES_MAX; page++) {
        tl_buf body;
        tl_buf_init(&body, 0);
        tl_http_response resp;
        tl_http_response_init(&resp);
        tl_ac_page pg;
        memset(&pg, 0, sizeof(pg));
        if (tl_ac_body_pad_infos(&body, page, PAGE_ROWS, pad))
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
        if (rc == TL_OK)
            rc = post(c, TL_AC_OP_PAD_INFOS, &body, pad, c->http_ms, &resp, err);
        if (rc == TL_OK)
            rc = tl_ac_parse_pad_infos(resp.body.data, resp.body.len, out, &pg, err);
        tl_http_response_dispose(&resp);
        tl_buf_dispose(&body);
        if (rc != TL_OK || pg.rows == 0 || pg.total_page <= page)
            break;
    }
    return rc;
}

static int ac_list_devices(const tl_driver_config *cfg, tl_device_list *out, tl_error *err)
{
    struct ac_conf c;
    int rc = conf_init(&c, cfg, err);
    if (rc)
        return rc;
    rc = list_pads(&c, NULL, out, err);
    conf_dispose(&c);
    return rc;
}

/* Find the pad to drive: the one named (it must exist), or the first running one. */
static int pick_pad(struct ac_conf *c, const tl_driver_config *cfg, char **pad, tl_error *err)
{
    const char *want = cfg->device && cfg->device[0] ? cfg->device : NULL;
    if (want && !tl_ac_pad_code_valid(want))
        return tl_error_set(err, TL_EUSAGE,
                            "--device: an ArmCloud pad code is 1-128 printable ASCII characters "
                            "without spaces (e.g. AC22030010001)");
    long long deadline =
        tl_now_ms() + (cfg->wait_timeout_ms > 0 ? cfg->wait_timeout_ms : DEFAULT_WAIT_MS);
    for (;;) {
        tl_device_list pads = {0};
        int rc = list_pads(c, want, &pads, err);
        const tl_device_info *found = NULL, *running = NULL;
        for (size_t i = 0; rc == TL_OK && i < pads.n; i++) {
            if (want && strcmp(pads.items[i].id, want) != 0)
                continue;
            found = found ? found : &pads.items[i];
            if (pads.items[i].ready && !running)
                running = &pads.items[i];
        }
        if (rc == TL_OK && running) {
            *pad = tl_strdup(running->id);
            rc = *pad ? TL_OK : tl_error_set(err, TL_ENOMEM, "out of memory");
        } else if (rc == TL_OK && want && !found) {
            rc = tl_error_set(err, TL_ENOTFOUND,
                              "armcloud: pad %s does not exist on this account (check --device "
                              "against `taploop devices --driver armcloud`)",
                              want);
        } else if (rc == TL_OK && !cfg->wait) {
            if (want)
                rc = tl_error_set(err, TL_ENOTREADY,
                                  "armcloud: pad %s is %s, not running; start it in the console, "
                                  "or pass --wait",
                                  want, found->state);
            else
                rc = tl_error_set(err, TL_ENOTREADY,
                                  "armcloud: no running pad on this account (%zu pad%s, none "
                                  "running); start one in the console, pass --device PADCODE, "
                                  "or --wait",
                                  pads.n, pads.n == 1 ? "" : "s");
        } else if (rc == TL_OK && tl_now_ms() + c->poll_ms * 4 > deadline) {
            rc = tl_error_set(err, TL_ENOTREADY, "armcloud: %s%s is still not running after --wait",
                              want ? "pad " : "no pad", want ? want : "");
        } else if (rc == TL_OK && tl_sleep_ms(c->poll_ms * 4, c->cancel) != TL_OK) {
            rc = tl_error_set(err, TL_ECANCELED, "armcloud: interrupted while waiting for a pad");
        } else if (rc == TL_OK) {
            tl_device_list_dispose(&pads);
            continue;
        }
        tl_device_list_dispose(&pads);
        return rc;
    }
}

static void ac_close(tl_driver *drv)
{
    struct ac_driver *d = AC(drv);
    tl_http_free(d->shot_http);
    conf_dispose(&d->conf);
    free(d);
}

static int ac_open(tl_driver **out, const tl_driver_config *cfg, tl_error *err)
{
    if (cfg->provision && cfg->provision[0])
        return tl_error_set(err, TL_EUNSUPPORTED,
                            "armcloud: --provision is not supported: create pads in the ArmCloud "
                            "console, then pass --device PADCODE");
    struct ac_driver *d = calloc(1, sizeof(*d));
    if (!d)
        return tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    int rc = conf_init(&d->conf, cfg, err);
    char *pad = NULL;
    if (rc == TL_OK)
        rc = pick_pad(&d->conf, cfg, &pad, err);
    if (rc == TL_OK && tl_driver_set_device(&d->base, pad) != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory");
    free(pad);
    if (rc != TL_OK) {
        free(d->base.device);
        ac_close(&d->base);
        return rc;
    }
    tl_log(TL_LOG_DEBUG, "armcloud: driving pad %s through %s (%s paths)", d->base.device,
           d->conf.base.host, tl_ac_api_name(d->conf.api));
    *out = &d->base;
    return TL_OK;
}

const struct tl_driver_ops tl_armcloud_driver = {
    .abi_version = TL_DRIVER_ABI,
    .name = "armcloud",
    .summary = "ArmCloud / VMOS Cloud pads through the signed OpenAPI (ARMCLOUD_AK, ARMCLOUD_SK)",
    .caps = TL_DRIVER_CAP_SCREENSHOT | TL_DRIVER_CAP_APPS | TL_DRIVER_CAP_PARALLEL_OBSERVE,
    .open = ac_open,
    .close = ac_close,
    .observe = ac_observe,
    .tap = ac_tap,
    .long_press = ac_long_press,
    .swipe = ac_swipe,
    .type = ac_type,
    .press_key = ac_press_key,
    .start_app = ac_start_app,
    .stop_app = ac_stop_app,
    .list_apps = ac_list_apps,
    .list_devices = ac_list_devices,
};
