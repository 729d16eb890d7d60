/*
 * adb.c - the adb driver: a phone reached through the local adb server's socket protocol
 * (client.c), never through the adb binary.
 *
 * The server is ADB_SERVER_SOCKET (default tcp:127.0.0.1:5037); the device is --device, else
 * ANDROID_SERIAL, else the first device in state "device". Every operation is one or more device
 * services on fresh connections: `shell:` with a command line built by drivers/adbshell.h, whose
 * exit status comes back through a marker (protocol.h), and `exec:screencap -p` for the PNG.
 * The session keeps only what does not change while it is open: the display size (`wm size`,
 * asked once) and whether ADB Keyboard is the input method (asked the first time text needs it).
 */
#include "drivers/adb/client.h"
#include "drivers/adb/protocol.h"
#include "drivers/adbshell.h"
#include "drivers/driver_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"

#define SHELL_MAX        ((size_t)16 << 20) /* output of one shell command */
#define SCREENCAP_MAX    ((size_t)64 << 20) /* one PNG (the observation buffer's cap) */
#define DUMP_ATTEMPTS    3                  /* uiautomator's "could not get idle state" */
#define DUMP_RETRY_MS    500
#define CLEAR_CHARS      256  /* characters deleted to clear a field (docs/adb.md) */
#define TYPE_LINE_MAX    8192 /* longest typing command line sent in one call */
#define TYPE_CHUNK_CHARS 500  /* characters per call beyond that */
#define WAIT_DEFAULT_MS  60000
#define WAIT_POLL_MS     500

struct adb_driver {
    tl_driver base;
    tl_adb_server srv;
    int display_w, display_h; /* 0 until `wm size` answered */
    bool size_asked;
    int adb_keyboard; /* -1 not asked yet, else 0 or 1 */
};

#define ADB(d) ((struct adb_driver *)(d))

static int server_from_env(tl_adb_server *srv, const tl_driver_config *cfg, tl_error *err)
{
    memset(srv, 0, sizeof(*srv));
    int rc = tl_adb_socket_from_env(&srv->spec, getenv("ADB_SERVER_SOCKET"), err);
    srv->cancel = cfg->cancel;
    srv->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : TL_ADB_TIMEOUT_MS;
    srv->connect_timeout_ms =
        srv->timeout_ms < TL_ADB_CONNECT_TIMEOUT_MS ? srv->timeout_ms : TL_ADB_CONNECT_TIMEOUT_MS;
    return rc;
}

static int query_devices(const tl_adb_server *srv, tl_adb_devices *out, tl_error *err)
{
    tl_buf text;
    tl_buf_init(&text, 0);
    int rc = tl_adb_host_query(srv, "host:devices-l", &text, err);
    if (rc == TL_OK)
        rc = tl_adb_parse_devices(out, text.data ? text.data : "", text.len, err);
    tl_buf_dispose(&text);
    return rc;
}

/* ---- shell commands ------------------------------------------------------------------------- */

/* Run a command line from adbshell.h; out gets its output without the exit marker. */
static int run_shell(struct adb_driver *a, const tl_buf *cmd, const char *what, tl_buf *out,
                     int *status, tl_error *err)
{
    tl_buf service;
    tl_buf_init(&service, 0);
    int rc = tl_adb_shell_service(&service, cmd->data ? cmd->data : "", err);
    if (rc == TL_OK)
        rc =
            tl_adb_device_service(&a->srv, a->base.device, service.data, what, out, SHELL_MAX, err);
    tl_buf_wipe(&service); /* it may hold typed text */
    size_t body = 0;
    if (rc == TL_OK) {
        rc = tl_adb_split_exit(out->data ? out->data : "", out->len, &body, status, err);
        if (rc)
            tl_error_prefix(err, "adb: %s on %s: ", what, a->base.device);
    }
    if (rc == TL_OK) {
        out->len = body;
        if (out->data)
            out->data[body] = '\0';
    }
    return rc;
}

/* A command that failed: its exit status and the first line it printed. */
static int command_failed(struct adb_driver *a, const char *what, int status, const tl_buf *out,
                          tl_error *err)
{
    char shown[160];
    tl_adb_excerpt(shown, sizeof(shown), out->data ? out->data : "", out->len);
    return tl_error_set(err, TL_EBADRESP, "adb: %s failed on %s (exit status %d%s%s%s)", what,
                        a->base.device, status, shown[0] ? ": \"" : "", shown,
                        shown[0] ? "\"" : "");
}

/* Run a command whose only result is success or failure. */
static int run_checked(struct adb_driver *a, const tl_buf *cmd, const char *what, tl_error *err)
{
    tl_buf out;
    tl_buf_init(&out, SHELL_MAX);
    int status = -1;
    int rc = run_shell(a, cmd, what, &out, &status, err);
    if (rc == TL_OK && status != 0)
        rc = command_failed(a, what, status, &out, err);
    tl_buf_dispose(&out);
    return rc;
}

static int oom(tl_error *err)
{
    return tl_error_set(err, TL_ENOMEM, "adb: out of memory");
}

/* ---- observe -------------------------------------------------------------------------------- */

static void ask_display_size(struct adb_driver *a)
{
    a->size_asked = true;
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, SHELL_MAX);
    tl_error err;
    int status = -1;
    int rc = tl_shell_wm_size(&cmd) ? oom(&err) : TL_OK;
    if (rc == TL_OK)
        rc = run_shell(a, &cmd, "wm size", &out, &status, &err);
    if (rc == TL_OK && status != 0)
        rc = command_failed(a, "wm size", status, &out, &err);
    if (rc == TL_OK)
        rc = tl_shell_parse_wm_size(out.data ? out.data : "", out.len, &a->display_w, &a->display_h,
                                    &err);
    /* Not fatal: the element index then takes the screen from the tree's root bounds. */
    if (rc != TL_OK)
        tl_log(TL_LOG_DEBUG, "adb: display size unknown: %s", err.msg);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
}

/*
 * Dump the tree and read it back in one shell invocation: `uiautomator dump P && cat P`, and on
 * a session's first observation `; wm size` after it (one call less per `taploop` command). The
 * dump's message comes before the document, so it is checked on the output before the XML:
 * when uiautomator fails but exits 0 (it does), `cat` prints the previous dump, which must not
 * be taken for the current screen. With `wm size` appended the exit status is wm's, so the
 * dump is judged by its output alone (its message, then a complete document).
 */
static int dump_tree(struct adb_driver *a, tl_buf *tree, tl_error *err)
{
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, SHELL_MAX);
    int status = -1;
    size_t start = 0, len = 0;
    int rc = TL_OK;
    for (int attempt = 1; rc == TL_OK; attempt++) {
        bool with_size = !a->size_asked;
        tl_buf_clear(&cmd);
        if (tl_shell_dump_ui(&cmd, TL_SHELL_DUMP_PATH) || tl_buf_puts(&cmd, " && ") ||
            tl_shell_read_file(&cmd, TL_SHELL_DUMP_PATH, 0, 0) ||
            (with_size && (tl_buf_puts(&cmd, "; ") || tl_shell_wm_size(&cmd)))) {
            rc = oom(err);
            break;
        }
        rc = run_shell(a, &cmd, "uiautomator dump", &out, &status, err);
        if (rc != TL_OK)
            break;
        const char *text = out.data ? out.data : "";
        tl_error xml_err;
        bool have_xml = tl_shell_find_xml(text, out.len, &start, &len, &xml_err) == TL_OK;
        if (with_size) {
            size_t after = have_xml ? start + len : 0;
            tl_error size_err;
            if (tl_shell_parse_wm_size(text + after, out.len - after, &a->display_w, &a->display_h,
                                       &size_err) != TL_OK)
                tl_log(TL_LOG_DEBUG, "adb: display size unknown: %s", size_err.msg);
            a->size_asked = true;
        }
        rc = tl_shell_check_dump(text, have_xml ? start : out.len, err);
        if (rc == TL_OK && status != 0 && !with_size)
            rc = command_failed(a, "uiautomator dump", status, &out, err);
        if (rc == TL_OK && !have_xml)
            rc = tl_error_set(err, xml_err.code, "adb: %s: %s", a->base.device, xml_err.msg);
        if (rc != TL_ENOTREADY || attempt >= DUMP_ATTEMPTS)
            break;
        tl_log(TL_LOG_DEBUG, "adb: %s; trying again", err->msg);
        if (tl_sleep_ms(DUMP_RETRY_MS, a->srv.cancel) != TL_OK)
            rc = tl_error_set(err, TL_ECANCELED, "adb: interrupted");
        else
            rc = TL_OK;
    }
    if (rc == TL_OK) {
        tl_buf_clear(tree);
        if (tl_buf_append(tree, out.data + start, len) != TL_OK)
            rc = tl_error_set(err, TL_ENOMEM, "adb: the UI dump (%zu bytes) is over the cap", len);
    }
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

static int screencap(struct adb_driver *a, tl_buf *png, tl_error *err)
{
    int rc = tl_adb_device_service(&a->srv, a->base.device, "exec:screencap -p", "screencap", png,
                                   SCREENCAP_MAX, err);
    if (rc == TL_OK && !tl_adb_png_complete(png->data ? png->data : "", png->len)) {
        char shown[120];
        tl_adb_excerpt(shown, sizeof(shown), png->data ? png->data : "", png->len);
        rc = tl_error_set(
            err, TL_EBADRESP, "adb: screencap on %s did not send a whole PNG (%zu bytes%s%s%s)",
            a->base.device, png->len, shown[0] ? ", starting \"" : "", shown, shown[0] ? "\"" : "");
        tl_buf_clear(png);
    }
    return rc;
}

/* The screenshot half of an observation, run in its own thread while the tree is dumped. */
struct shot_job {
    struct adb_driver *a;
    tl_buf *png;
    tl_error err;
    int rc;
    uint32_t ms;
};

static void *shot_thread(void *arg)
{
    struct shot_job *j = arg;
    long long t0 = tl_now_ms();
    j->rc = screencap(j->a, j->png, &j->err);
    j->ms = (uint32_t)(tl_now_ms() - t0);
    return NULL;
}

/*
 * Tree and screenshot are two independent device services on two connections, so they run
 * concurrently (uiautomator takes a second or more on a real phone; screencap runs meanwhile).
 * The screenshot thread touches only its buffer and error record; the session is only read.
 */
static int adb_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    struct adb_driver *a = ADB(d);
    if (!a->size_asked && !(what & TL_OBSERVE_TREE))
        ask_display_size(a); /* else the dump asks it in the same call */
    struct shot_job job = {.a = a, .png = &out->screenshot, .rc = TL_OK};
    tl_error_clear(&job.err);
    pthread_t th;
    bool threaded = false;
    if ((what & TL_OBSERVE_SCREENSHOT) && (what & TL_OBSERVE_TREE))
        threaded = pthread_create(&th, NULL, shot_thread, &job) == 0;
    int rc = TL_OK;
    if (what & TL_OBSERVE_TREE) {
        long long t0 = tl_now_ms();
        rc = dump_tree(a, &out->tree, err);
        out->tree_ms = (uint32_t)(tl_now_ms() - t0);
    }
    out->display_w = a->display_w;
    out->display_h = a->display_h;
    if (what & TL_OBSERVE_SCREENSHOT) {
        if (threaded)
            pthread_join(th, NULL);
        else if (rc == TL_OK)
            shot_thread(&job);
        out->screenshot_type = job.rc == TL_OK ? "image/png" : NULL;
        out->screenshot_ms = job.ms;
        if (rc == TL_OK && job.rc != TL_OK) {
            *err = job.err;
            rc = job.rc;
        }
    }
    return rc;
}

/* ---- act ------------------------------------------------------------------------------------ */

static int adb_tap(tl_driver *d, int x, int y, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc = tl_shell_tap(&cmd, x, y) ? oom(err) : run_checked(ADB(d), &cmd, "input tap", err);
    tl_buf_dispose(&cmd);
    return rc;
}

static int adb_long_press(tl_driver *d, int x, int y, int duration_ms, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc = tl_shell_long_press(&cmd, x, y, duration_ms)
                 ? oom(err)
                 : run_checked(ADB(d), &cmd, "input swipe (long press)", err);
    tl_buf_dispose(&cmd);
    return rc;
}

static int adb_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc = tl_shell_swipe(&cmd, x1, y1, x2, y2, duration_ms)
                 ? oom(err)
                 : run_checked(ADB(d), &cmd, "input swipe", err);
    tl_buf_dispose(&cmd);
    return rc;
}

static int adb_press_key(tl_driver *d, tl_key key, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc =
        tl_shell_keyevent(&cmd, key) ? oom(err) : run_checked(ADB(d), &cmd, "input keyevent", err);
    tl_buf_dispose(&cmd);
    return rc;
}

/* Does `input text` fall short of this text (anything but printable ASCII, "\n" and "\t")? */
static bool needs_ime(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p >= 0x7f)
            return true;
    return false;
}

/* Ask once per session whether ADB Keyboard is the input method. */
static int detect_adb_keyboard(struct adb_driver *a, tl_error *err)
{
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, SHELL_MAX);
    int status = -1;
    int rc = tl_shell_input_method(&cmd) ? oom(err) : TL_OK;
    if (rc == TL_OK)
        rc = run_shell(a, &cmd, "reading the input method", &out, &status, err);
    if (rc == TL_OK && status != 0)
        rc = command_failed(a, "reading the input method", status, &out, err);
    if (rc == TL_OK) {
        a->adb_keyboard = tl_shell_is_adb_keyboard(out.data ? out.data : "", out.len) ? 1 : 0;
        tl_log(TL_LOG_DEBUG, "adb: ADB Keyboard is %sthe input method of %s",
               a->adb_keyboard ? "" : "not ", a->base.device);
    }
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

/* Type `text` (not empty) in pieces of at most TYPE_CHUNK_CHARS characters, one shell call each,
 * the first preceded by `prefix` (the clearing) when there is one. The whole text was checked
 * typeable before, so no piece fails to build for a reason other than memory. */
static int type_chunks(struct adb_driver *a, const char *text, const tl_shell_type_opts *opts,
                       const tl_buf *prefix, tl_error *err)
{
    tl_buf piece, cmd;
    tl_buf_init(&piece, 0);
    tl_buf_init(&cmd, 0);
    int rc = TL_OK;
    size_t len = strlen(text);
    for (size_t off = 0; rc == TL_OK && off < len;) {
        size_t n = tl_utf8_prefix(text + off, len - off, TYPE_CHUNK_CHARS);
        tl_buf_clear(&piece);
        tl_buf_clear(&cmd);
        if (tl_buf_append(&piece, text + off, n) ||
            (off == 0 && prefix->len &&
             (tl_buf_append(&cmd, prefix->data, prefix->len) || tl_buf_puts(&cmd, " && "))))
            rc = oom(err);
        if (rc == TL_OK)
            rc = tl_shell_type_text(&cmd, piece.data, opts, err);
        if (rc == TL_OK)
            rc = run_checked(a, &cmd, "typing", err);
        off += n;
    }
    tl_buf_wipe(&piece);
    tl_buf_wipe(&cmd);
    return rc;
}

static int adb_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    struct adb_driver *a = ADB(d);
    if (!text[0] && !clear)
        return TL_OK;
    int rc = TL_OK;
    if (text[0] && a->adb_keyboard < 0 && needs_ime(text))
        rc = detect_adb_keyboard(a, err);
    tl_shell_type_opts opts = {.adb_keyboard = a->adb_keyboard == 1};
    tl_buf typing, cmd;
    tl_buf_init(&typing, 0);
    tl_buf_init(&cmd, 0);
    /* build the typing first: text that cannot be typed must not clear the field */
    if (rc == TL_OK && text[0])
        rc = tl_shell_type_text(&typing, text, &opts, err);
    if (rc == TL_OK && clear && tl_shell_clear_field(&cmd, CLEAR_CHARS) != TL_OK)
        rc = oom(err);
    if (rc == TL_OK && typing.len > TYPE_LINE_MAX) {
        /* a long text: several calls, so that no request nears the protocol's 64 KiB */
        rc = type_chunks(a, text, &opts, &cmd, err);
    } else if (rc == TL_OK) {
        if ((cmd.len && typing.len && tl_buf_puts(&cmd, " && ")) ||
            (typing.len && tl_buf_append(&cmd, typing.data, typing.len)))
            rc = oom(err);
        if (rc == TL_OK)
            rc = run_checked(a, &cmd, text[0] ? "typing" : "clearing the field", err);
    }
    /* the typed text may be a password: leave no copy behind */
    tl_buf_wipe(&typing);
    tl_buf_wipe(&cmd);
    return rc;
}

static int adb_start_app(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    struct adb_driver *a = ADB(d);
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, SHELL_MAX);
    int status = -1;
    const char *what = activity ? "am start" : "monkey (starting an app)";
    int rc = tl_shell_start_app(&cmd, package, activity, err);
    if (rc == TL_OK)
        rc = run_shell(a, &cmd, what, &out, &status, err);
    if (rc == TL_OK)
        rc = tl_shell_check_start(out.data ? out.data : "", out.len, package, err);
    if (rc == TL_OK && status != 0)
        rc = command_failed(a, what, status, &out, err);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

static int adb_stop_app(tl_driver *d, const char *package, tl_error *err)
{
    tl_buf cmd;
    tl_buf_init(&cmd, 0);
    int rc = tl_shell_stop_app(&cmd, package, err);
    if (rc == TL_OK)
        rc = run_checked(ADB(d), &cmd, "am force-stop", err);
    tl_buf_dispose(&cmd);
    return rc;
}

static int adb_list_apps(tl_driver *d, tl_app_list *apps, tl_error *err)
{
    struct adb_driver *a = ADB(d);
    tl_buf cmd, out;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, SHELL_MAX);
    int status = -1;
    int rc = tl_shell_list_packages(&cmd) ? oom(err) : TL_OK;
    if (rc == TL_OK)
        rc = run_shell(a, &cmd, "pm list packages", &out, &status, err);
    if (rc == TL_OK && status != 0)
        rc = command_failed(a, "pm list packages", status, &out, err);
    if (rc == TL_OK)
        rc = tl_shell_parse_packages(out.data ? out.data : "", out.len, apps, err);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    return rc;
}

/* ---- open, close, devices ------------------------------------------------------------------- */

/* "a (device), b (offline)" for messages. */
static void describe_devices(const tl_adb_devices *l, char *out, size_t size)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->n && off + 1 < size; i++) {
        int n = snprintf(out + off, size - off, "%s%s (%s)", i ? ", " : "", l->items[i].serial,
                         l->items[i].state);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

/* Why no device can be chosen: the code and message. */
static int no_device(const tl_adb_server *srv, const tl_adb_devices *l, const char *target,
                     const char *source, bool ambiguous, tl_error *err)
{
    char list[400];
    describe_devices(l, list, sizeof(list));
    if (ambiguous)
        return tl_error_set(err, TL_EUSAGE,
                            "adb: %s \"%s\" matches several devices (%s): give a serial", source,
                            target, list);
    if (target)
        return tl_error_set(
            err, TL_ENOTFOUND, "adb: no device \"%s\" (from %s) at the adb server %s; %s%s", target,
            source, srv->spec.text, l->n ? "connected: " : "no device is connected", list);
    if (l->n == 0)
        return tl_error_set(err, TL_ENOTFOUND,
                            "adb: no Android device is connected to the adb server at %s: connect "
                            "a phone with USB debugging enabled (Settings > Developer options), "
                            "or start an emulator",
                            srv->spec.text);
    const tl_adb_device *first = &l->items[0];
    return tl_error_set(err, TL_ENOTREADY, "adb: no device is ready (%s): %s is %s: %s", list,
                        first->serial, first->state, tl_adb_state_advice(first->state));
}

/* Choose the device: copy its serial into d's base. With cfg->wait, wait for it to be ready. */
static int choose_device(struct adb_driver *a, const tl_driver_config *cfg, tl_error *err)
{
    const char *target = cfg->device && cfg->device[0] ? cfg->device : NULL;
    const char *source = "--device";
    if (!target) {
        target = getenv("ANDROID_SERIAL");
        target = target && target[0] ? target : NULL;
        source = "ANDROID_SERIAL";
    }
    long long wait_until =
        tl_now_ms() + (cfg->wait_timeout_ms > 0 ? cfg->wait_timeout_ms : WAIT_DEFAULT_MS);
    for (;;) {
        tl_adb_devices list = {0};
        int rc = query_devices(&a->srv, &list, err);
        if (rc) {
            tl_adb_devices_dispose(&list);
            return rc;
        }
        bool ambiguous = false;
        const tl_adb_device *dev = NULL;
        if (target) {
            dev = tl_adb_devices_find(&list, target, &ambiguous);
        } else {
            for (size_t i = 0; i < list.n && !dev; i++)
                if (tl_adb_state_ready(list.items[i].state))
                    dev = &list.items[i];
        }
        if (dev && tl_adb_state_ready(dev->state)) {
            rc = tl_driver_set_device(&a->base, dev->serial) ? oom(err) : TL_OK;
        } else if (dev) {
            rc = tl_error_set(err, TL_ENOTREADY, "adb: device %s is %s: %s", dev->serial,
                              dev->state, tl_adb_state_advice(dev->state));
        } else {
            rc = no_device(&a->srv, &list, target, source, ambiguous, err);
        }
        tl_adb_devices_dispose(&list);
        if (rc == TL_OK || !cfg->wait || rc == TL_EUSAGE || rc == TL_ENOMEM)
            return rc;
        if (tl_now_ms() + WAIT_POLL_MS > wait_until)
            return tl_error_prefix(
                err, "after waiting %d s: ",
                (cfg->wait_timeout_ms > 0 ? cfg->wait_timeout_ms : WAIT_DEFAULT_MS) / 1000);
        if (tl_sleep_ms(WAIT_POLL_MS, a->srv.cancel) != TL_OK)
            return tl_error_set(err, TL_ECANCELED, "adb: interrupted while waiting for a device");
    }
}

static void adb_close(tl_driver *d)
{
    free(d);
}

static int adb_open(tl_driver **out, const tl_driver_config *cfg, tl_error *err)
{
    if (cfg->provision && cfg->provision[0])
        return tl_error_set(err, TL_EUNSUPPORTED,
                            "the adb driver cannot provision devices (--provision): it drives the "
                            "phones connected to the adb server");
    struct adb_driver *a = calloc(1, sizeof(*a));
    if (!a)
        return oom(err);
    a->adb_keyboard = -1;
    int rc = server_from_env(&a->srv, cfg, err);
    if (rc == TL_OK)
        rc = choose_device(a, cfg, err);
    if (rc != TL_OK) {
        free(a->base.device);
        free(a);
        return rc;
    }
    tl_log(TL_LOG_DEBUG, "adb: driving %s through the adb server at %s", a->base.device,
           a->srv.spec.text);
    *out = &a->base;
    return TL_OK;
}

static int adb_list_devices(const tl_driver_config *cfg, tl_device_list *out, tl_error *err)
{
    tl_adb_server srv;
    int rc = server_from_env(&srv, cfg, err);
    if (rc)
        return rc;
    if (tl_log_level() >= TL_LOG_DEBUG) {
        tl_buf v;
        tl_buf_init(&v, 0);
        int version = 0;
        tl_error verr;
        if (tl_adb_host_query(&srv, "host:version", &v, &verr) == TL_OK &&
            tl_adb_parse_version(v.data, v.len, &version, &verr) == TL_OK)
            tl_log(TL_LOG_DEBUG, "adb: server version %d at %s", version, srv.spec.text);
        /* a failure shows in the listing's own error, just below */
        tl_buf_dispose(&v);
    }
    tl_adb_devices list = {0};
    rc = query_devices(&srv, &list, err);
    for (size_t i = 0; rc == TL_OK && i < list.n; i++) {
        const tl_adb_device *dv = &list.items[i];
        char type[600];
        snprintf(type, sizeof(type), "%s%s%s%s%s", dv->product[0] ? "product:" : "", dv->product,
                 dv->product[0] && dv->device[0] ? " " : "", dv->device[0] ? "device:" : "",
                 dv->device);
        if (tl_device_list_add(out, dv->serial, dv->model, dv->state, type,
                               tl_adb_state_ready(dv->state)) != TL_OK)
            rc = oom(err);
    }
    tl_adb_devices_dispose(&list);
    return rc;
}

const struct tl_driver_ops tl_adb_driver = {
    .abi_version = TL_DRIVER_ABI,
    .name = "adb",
    .summary = "a phone or emulator on the local adb server (ADB_SERVER_SOCKET, ANDROID_SERIAL)",
    .caps = TL_DRIVER_CAP_SCREENSHOT | TL_DRIVER_CAP_APPS | TL_DRIVER_CAP_PARALLEL_OBSERVE,
    .open = adb_open,
    .close = adb_close,
    .observe = adb_observe,
    .tap = adb_tap,
    .long_press = adb_long_press,
    .swipe = adb_swipe,
    .type = adb_type,
    .press_key = adb_press_key,
    .start_app = adb_start_app,
    .stop_app = adb_stop_app,
    .list_apps = adb_list_apps,
    .list_devices = adb_list_devices,
};
