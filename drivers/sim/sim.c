/*
 * sim.c - the sim driver: an in-process simulated phone behind the driver vtable.
 *
 * --device names the phone: "sim" (the built-in demo phone), "sim:NAME" (an independent demo
 * phone called NAME), or the path of a model JSON file (docs/sim-model.md). A session loads the
 * model, then either starts from the model's initial state (run, batch, test: reproducible) or,
 * with tl_driver_config.persist (observe, act), restores the phone saved under the user's state
 * directory and saves it back on close, holding a file lock in between so that concurrent
 * invocations on one phone take turns.
 *
 * Observations are the texts a real device would send: Mobilerun ui-state JSON by default, or
 * uiautomator XML with TAPLOOP_SIM_FORMAT=xml, and a PNG screenshot rendered from the layout.
 *
 * The phone's clock drives timed transitions (a screen's "after"): a monotonic clock for an
 * in-process phone, wall-clock time for a persisted one, whose state (with the time its front
 * screen was entered) must mean the same to the next invocation. Every observation and input
 * first runs the transitions due by now; an input that brings another screen to the front
 * starts that screen's clock.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include "drivers/driver_int.h"
#include "drivers/sim/sim_int.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/str.h"

#define MODEL_MAX_BYTES ((size_t)16 << 20)
#define STATE_MAX_BYTES ((size_t)16 << 20)

struct sim_driver {
    tl_driver base;
    struct sim_model *model;  /* owned */
    struct sim_state state;   /* owned */
    struct sim_layout layout; /* owned; reused by every observation */
    char *state_path;         /* owned; NULL unless persisting */
    int lock_fd;
    bool persist;
    bool xml; /* observe as uiautomator XML */
};

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* The state file name of a phone: sim, sim-NAME, or model-<hash of the model's real path>. */
static int state_name(const char *device, bool is_model, char *out, size_t size, tl_error *err)
{
    if (!is_model) {
        if (strcmp(device, "sim") == 0)
            snprintf(out, size, "sim");
        else
            snprintf(out, size, "sim-%s", device + 4);
        return TL_OK;
    }
    char real[PATH_MAX];
    if (!realpath(device, real))
        return tl_error_set(err, TL_EIO, "cannot resolve %s", device);
    char hex[65];
    tl_sha256_hex(real, strlen(real), hex);
    snprintf(out, size, "model-%.16s", hex);
    return TL_OK;
}

static int load_model(const char *device, bool *is_model, struct sim_model **out, tl_error *err)
{
    *is_model = false;
    if (strcmp(device, "sim") == 0 || tl_str_starts(device, "sim:")) {
        if (device[3] == ':' && !valid_name(device + 4))
            return tl_error_set(err, TL_EUSAGE,
                                "--device %s: a sim phone name is 1-64 letters, digits, '-', '_' "
                                "or '.'",
                                device);
        return sim_model_load(out, tl_sim_demo_model, tl_sim_demo_model_len, "(built-in demo)",
                              err);
    }
    *is_model = true;
    tl_buf text;
    tl_buf_init(&text, MODEL_MAX_BYTES);
    int rc = tl_file_read(&text, device, MODEL_MAX_BYTES, err);
    if (rc == TL_OK)
        rc = sim_model_load(out, text.data ? text.data : "", text.len, device, err);
    else
        tl_error_prefix(err, "--device: the sim driver takes sim, sim:NAME or a model file: ");
    tl_buf_dispose(&text);
    return rc;
}

static int open_state(struct sim_driver *s, const char *device, bool is_model, bool fresh,
                      tl_error *err)
{
    char dir[PATH_MAX], name[96];
    int rc = tl_state_dir(dir, sizeof(dir) - 16, err);
    if (rc)
        return rc;
    strcat(dir, "/sim");
    if ((rc = tl_mkdir_p(dir, err)) || (rc = state_name(device, is_model, name, sizeof(name), err)))
        return rc;
    size_t n = strlen(dir) + strlen(name) + 8;
    s->state_path = malloc(n);
    char *lock = malloc(n);
    if (!s->state_path || !lock) {
        free(lock);
        return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    }
    snprintf(s->state_path, n, "%s/%s.json", dir, name);
    snprintf(lock, n, "%s/%s.lock", dir, name);
    s->lock_fd = tl_file_lock(lock, err);
    free(lock);
    if (s->lock_fd < 0)
        return err->code;
    if (fresh || access(s->state_path, F_OK) != 0)
        return TL_OK;
    tl_buf text;
    tl_buf_init(&text, STATE_MAX_BYTES);
    rc = tl_file_read(&text, s->state_path, STATE_MAX_BYTES, err);
    if (rc == TL_OK) {
        struct sim_state saved;
        rc = sim_state_init(&saved, s->model, err);
        if (rc == TL_OK)
            rc = sim_state_load(&saved, s->model, text.data ? text.data : "", text.len, err);
        if (rc == TL_OK) {
            sim_state_dispose(&s->state, s->model);
            s->state = saved;
        } else {
            sim_state_dispose(&saved, s->model);
            if (rc == TL_ENOTFOUND) {
                tl_log(TL_LOG_INFO,
                       "sim: %s was saved for another version of the model; "
                       "starting from the initial state",
                       s->state_path);
                rc = TL_OK;
            } else if (rc == TL_EPARSE) {
                /* copy first: formatting err->msg into itself would overlap */
                char why[TL_ERROR_MSG_MAX];
                memcpy(why, err->msg, sizeof(why));
                tl_error_set(err, TL_EIO,
                             "%s: %s; run `taploop act reset --device %s` to start over",
                             s->state_path, why, device);
                rc = TL_EIO;
            }
        }
    }
    tl_buf_dispose(&text);
    return rc;
}

static void sim_close(tl_driver *d)
{
    struct sim_driver *s = (struct sim_driver *)d;
    if (s->persist && s->state_path) {
        tl_buf text;
        tl_buf_init(&text, STATE_MAX_BYTES);
        tl_error err;
        if (sim_state_save(&s->state, s->model, &text) != TL_OK ||
            tl_file_write(s->state_path, text.data, text.len, &err) != TL_OK)
            tl_log_error("sim: could not save the phone state to %s", s->state_path);
        tl_buf_dispose(&text);
    }
    tl_file_unlock(s->lock_fd);
    sim_layout_dispose(&s->layout);
    if (s->model)
        sim_state_dispose(&s->state, s->model);
    sim_model_free(s->model);
    free(s->state_path);
    free(s);
}

static int sim_open(tl_driver **out, const tl_driver_config *cfg, tl_error *err)
{
    const char *device = cfg->device && cfg->device[0] ? cfg->device : "sim";
    if ((cfg->provision && cfg->provision[0]) || (cfg->apps && cfg->apps[0]))
        return tl_error_set(err, TL_EUNSUPPORTED,
                            "--provision, --apps: the sim driver cannot "
                            "create temporary devices (mobilerun can)");
    struct sim_driver *s = calloc(1, sizeof(*s));
    if (!s)
        return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    s->lock_fd = -1;
    sim_layout_init(&s->layout);
    const char *fmt = getenv("TAPLOOP_SIM_FORMAT");
    s->xml = fmt && strcmp(fmt, "xml") == 0;
    int rc = TL_OK;
    if (fmt && fmt[0] && !s->xml && strcmp(fmt, "json") != 0)
        rc =
            tl_error_set(err, TL_EUSAGE, "TAPLOOP_SIM_FORMAT must be json or xml, not \"%s\"", fmt);
    bool is_model = false;
    if (rc == TL_OK)
        rc = load_model(device, &is_model, &s->model, err);
    if (rc == TL_OK)
        rc = sim_state_init(&s->state, s->model, err);
    if (rc == TL_OK && cfg->persist) {
        s->persist = true;
        rc = open_state(s, device, is_model, cfg->fresh, err);
    }
    if (rc == TL_OK && tl_driver_set_device(&s->base, device) != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    if (rc != TL_OK) {
        s->persist = false; /* nothing was changed: leave the saved phone alone */
        free(s->base.device);
        sim_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return TL_OK;
}

/* The phone's clock, in ms (see the top of the file). */
static long long phone_now(const struct sim_driver *s)
{
    struct timespec t;
    clock_gettime(s->persist ? CLOCK_REALTIME : CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Around every input: run what is due first (the input acts on the screen as it is now), then
 * note whether the input entered another screen. */
struct input {
    long long now;
    struct sim_front before;
};

static int input_begin(struct sim_driver *s, struct input *in, tl_error *err)
{
    in->now = phone_now(s);
    int rc = sim_advance(s->model, &s->state, in->now, err);
    in->before = sim_front_of(&s->state);
    return rc;
}

static int input_end(struct sim_driver *s, const struct input *in, int rc)
{
    sim_note_entry(&s->state, &in->before, in->now);
    return rc;
}

static uint32_t elapsed_ms(const struct timeval *t0)
{
    struct timeval t1;
    gettimeofday(&t1, NULL);
    long ms = (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_usec - t0->tv_usec) / 1000;
    return ms < 0 ? 0 : (uint32_t)ms;
}

static int sim_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    struct sim_driver *s = (struct sim_driver *)d;
    struct timeval t0;
    gettimeofday(&t0, NULL);
    int rc = sim_advance(s->model, &s->state, phone_now(s), err);
    if (rc == TL_OK)
        rc = sim_layout(&s->layout, s->model, &s->state, err);
    if (rc)
        return rc;
    out->display_w = s->model->width;
    out->display_h = s->model->height;
    if (what & TL_OBSERVE_TREE) {
        tl_buf_clear(&out->tree);
        rc = s->xml ? sim_emit_uiautomator(&s->layout, &out->tree)
                    : sim_emit_ui_state(&s->layout, s->model, &out->tree);
        if (rc)
            return tl_error_set(err, TL_ENOMEM, "sim: out of memory writing the UI tree");
        out->tree_ms = elapsed_ms(&t0);
    }
    if (what & TL_OBSERVE_SCREENSHOT) {
        gettimeofday(&t0, NULL);
        tl_buf_clear(&out->screenshot);
        sim_frame frame = {
            .width = s->model->width,
            .height = s->model->height,
            .dark = s->layout.dark,
            .clip = s->layout.viewport,
            .clip_from = s->layout.clip_from,
            .clip_to = s->layout.clip_to,
            .items = s->layout.draws,
            .n = s->layout.ndraws,
        };
        rc = sim_render_png(&frame, &out->screenshot, err);
        if (rc)
            return rc;
        out->screenshot_type = "image/png";
        out->screenshot_ms = elapsed_ms(&t0);
    }
    return TL_OK;
}

#define SIM(d) ((struct sim_driver *)(d))

static int sim_tap_op(tl_driver *d, int x, int y, tl_error *err)
{
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_tap(SIM(d)->model, &SIM(d)->state, x, y, false, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_long_press_op(tl_driver *d, int x, int y, int duration_ms, tl_error *err)
{
    (void)duration_ms;
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_tap(SIM(d)->model, &SIM(d)->state, x, y, true, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_swipe_op(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms,
                        tl_error *err)
{
    (void)duration_ms;
    const struct sim_model *m = SIM(d)->model;
    if (x1 >= m->width || x2 >= m->width || y1 >= m->height || y2 >= m->height)
        return tl_error_set(err, TL_EREJECTED, "swipe (%d,%d)->(%d,%d) leaves the %dx%d screen", x1,
                            y1, x2, y2, m->width, m->height);
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_swipe(m, &SIM(d)->state, x1, y1, x2, y2, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_type_op(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_type(SIM(d)->model, &SIM(d)->state, text, clear, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_key_op(tl_driver *d, tl_key key, tl_error *err)
{
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_key(SIM(d)->model, &SIM(d)->state, (int)key, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_start_op(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_start_app(SIM(d)->model, &SIM(d)->state, package, activity, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_stop_op(tl_driver *d, const char *package, tl_error *err)
{
    struct input in;
    int rc = input_begin(SIM(d), &in, err);
    if (rc == TL_OK)
        rc = sim_stop_app(SIM(d)->model, &SIM(d)->state, package, err);
    return input_end(SIM(d), &in, rc);
}

static int sim_list_apps(tl_driver *d, tl_app_list *out, tl_error *err)
{
    const struct sim_model *m = SIM(d)->model;
    for (size_t i = 0; i < m->napps; i++)
        if (tl_app_list_add(out, m->apps[i].package, m->apps[i].label) != TL_OK)
            return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    return TL_OK;
}

static int sim_reset(tl_driver *d, tl_error *err)
{
    struct sim_driver *s = SIM(d);
    struct sim_state fresh;
    int rc = sim_state_init(&fresh, s->model, err);
    if (rc)
        return rc;
    sim_state_dispose(&s->state, s->model);
    s->state = fresh;
    return TL_OK;
}

static int sim_list_devices(const tl_driver_config *cfg, tl_device_list *out, tl_error *err)
{
    (void)cfg;
    if (tl_device_list_add(out, "sim", "demo phone", "ready", "sim", true) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    /* the named phones that have been used (their saved states) */
    char dir[PATH_MAX];
    tl_error ignored;
    if (tl_state_dir(dir, sizeof(dir) - 8, &ignored) != TL_OK)
        return TL_OK;
    strcat(dir, "/sim");
    DIR *dp = opendir(dir);
    if (!dp)
        return TL_OK;
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    int rc = TL_OK;
    while ((de = readdir(dp)) && rc == TL_OK) {
        size_t len = strlen(de->d_name);
        if (!tl_str_starts(de->d_name, "sim-") || len < 10 ||
            strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char **p = realloc(names, (n + 1) * sizeof(*p));
        if (!p || !(p[n] = tl_strndup(de->d_name + 4, len - 9))) {
            names = p ? p : names;
            rc = TL_ENOMEM;
            break;
        }
        names = p;
        n++;
    }
    closedir(dp);
    /* readdir order is arbitrary: sort for a stable listing */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        char id[96];
        snprintf(id, sizeof(id), "sim:%s", names[i]);
        if (rc == TL_OK && tl_device_list_add(out, id, "demo phone", "ready", "sim", true) != TL_OK)
            rc = TL_ENOMEM;
        free(names[i]);
    }
    free(names);
    return rc ? tl_error_set(err, rc, "sim: out of memory") : TL_OK;
}

const struct tl_driver_ops tl_sim_driver = {
    .abi_version = TL_DRIVER_ABI,
    .name = "sim",
    .summary = "in-process simulated phone (built-in demo phone, or your own model JSON)",
    .caps = TL_DRIVER_CAP_SCREENSHOT | TL_DRIVER_CAP_APPS | TL_DRIVER_CAP_RESET,
    .open = sim_open,
    .close = sim_close,
    .observe = sim_observe,
    .tap = sim_tap_op,
    .long_press = sim_long_press_op,
    .swipe = sim_swipe_op,
    .type = sim_type_op,
    .press_key = sim_key_op,
    .start_app = sim_start_op,
    .stop_app = sim_stop_op,
    .list_apps = sim_list_apps,
    .reset = sim_reset,
    .list_devices = sim_list_devices,
};
