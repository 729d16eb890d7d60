/*
 * driver.c - the driver registry and the tl_driver_* wrappers (see driver.h).
 *
 * The wrappers check arguments once for every driver (negative coordinates, swipe durations,
 * NULL strings), enforce the cancel flag, and answer TL_EUNSUPPORTED for optional slots a
 * driver leaves NULL, so drivers implement only the device side.
 */
#include "drivers/driver_int.h"

#include "core/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One driver a line, so that registering one is a one-line change. */
/* clang-format off */
static const struct tl_driver_ops *const registry[] = {
    &tl_sim_driver,
    &tl_mobilerun_driver,
    &tl_armcloud_driver,
    &tl_adb_driver,
    NULL,
};
/* clang-format on */

const char *tl_driver_name_at(size_t i)
{
    for (size_t k = 0; registry[k]; k++)
        if (k == i)
            return registry[k]->name;
    return NULL;
}

static const struct tl_driver_ops *find(const char *name)
{
    for (size_t i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

bool tl_driver_exists(const char *name)
{
    return name && find(name) != NULL;
}

static int unknown_driver(const char *name, tl_error *err)
{
    char list[256] = "";
    size_t off = 0;
    for (size_t k = 0; registry[k] && off < sizeof(list); k++) {
        int n = snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "", registry[k]->name);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return tl_error_set(err, TL_EUSAGE, "unknown driver \"%s\" (available: %s)", name, list);
}

void tl_observation_init(tl_observation *o)
{
    memset(o, 0, sizeof(*o));
    tl_buf_init(&o->tree, (size_t)64 << 20);
    tl_buf_init(&o->screenshot, (size_t)64 << 20);
}

void tl_observation_dispose(tl_observation *o)
{
    if (!o)
        return;
    tl_buf_dispose(&o->tree);
    tl_buf_dispose(&o->screenshot);
    o->screenshot_type = NULL;
}

static char *dup_or_empty(const char *s)
{
    return tl_strdup(s ? s : "");
}

void tl_app_list_dispose(tl_app_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].package);
        free(l->items[i].label);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int tl_app_list_add(tl_app_list *l, const char *package, const char *label)
{
    tl_app *p = realloc(l->items, (l->n + 1) * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    l->items = p;
    tl_app *a = &p[l->n];
    a->package = dup_or_empty(package);
    a->label = dup_or_empty(label);
    if (!a->package || !a->label) {
        free(a->package);
        free(a->label);
        return TL_ENOMEM;
    }
    l->n++;
    return TL_OK;
}

void tl_device_list_dispose(tl_device_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].id);
        free(l->items[i].name);
        free(l->items[i].state);
        free(l->items[i].type);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int tl_device_list_add(tl_device_list *l, const char *id, const char *name, const char *state,
                       const char *type, bool ready)
{
    tl_device_info *p = realloc(l->items, (l->n + 1) * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    l->items = p;
    tl_device_info *d = &p[l->n];
    d->id = dup_or_empty(id);
    d->name = dup_or_empty(name);
    d->state = dup_or_empty(state);
    d->type = dup_or_empty(type);
    d->ready = ready;
    if (!d->id || !d->name || !d->state || !d->type) {
        free(d->id);
        free(d->name);
        free(d->state);
        free(d->type);
        return TL_ENOMEM;
    }
    l->n++;
    return TL_OK;
}

int tl_driver_set_device(tl_driver *d, const char *id)
{
    char *copy = dup_or_empty(id);
    if (!copy)
        return TL_ENOMEM;
    free(d->device);
    d->device = copy;
    return TL_OK;
}

int tl_driver_open(tl_driver **out, const char *name, const tl_driver_config *cfg, tl_error *err)
{
    *out = NULL;
    const struct tl_driver_ops *ops = find(name);
    if (!ops)
        return unknown_driver(name, err);
    if (ops->abi_version != TL_DRIVER_ABI)
        return tl_error_set(err, TL_EUSAGE, "driver %s was built for interface version %u, not %u",
                            name, ops->abi_version, TL_DRIVER_ABI);
    tl_driver_config defaults;
    if (!cfg) {
        memset(&defaults, 0, sizeof(defaults));
        cfg = &defaults;
    }
    if (cfg->cancel && *cfg->cancel)
        return tl_error_set(err, TL_ECANCELED, "%s: interrupted before opening the device", name);
    tl_driver *d = NULL;
    int rc = ops->open(&d, cfg, err);
    if (rc != TL_OK)
        return rc;
    d->ops = ops;
    d->cancel = cfg->cancel;
    *out = d;
    return TL_OK;
}

void tl_driver_close(tl_driver *d)
{
    if (!d)
        return;
    char *device = d->device;
    d->ops->close(d);
    free(device);
}

const char *tl_driver_name(const tl_driver *d)
{
    return d->ops->name;
}

const char *tl_driver_device(const tl_driver *d)
{
    return d->device ? d->device : "";
}

unsigned tl_driver_caps(const tl_driver *d)
{
    return d->ops->caps;
}

/* An interrupted run starts no new device call; calls already running check the flag too. */
#define CHECK_CANCEL(d, err)                                                           \
    do {                                                                               \
        if ((d)->cancel && *(d)->cancel)                                               \
            return tl_error_set(err, TL_ECANCELED, "%s: interrupted", (d)->ops->name); \
    } while (0)

static int check_point(const char *what, int x, int y, tl_error *err)
{
    if (x < 0 || y < 0)
        return tl_error_set(err, TL_EUSAGE, "%s: coordinates must not be negative (%d,%d)", what, x,
                            y);
    return TL_OK;
}

static int unsupported(const tl_driver *d, const char *what, tl_error *err)
{
    return tl_error_set(err, TL_EUNSUPPORTED, "the %s driver cannot %s", d->ops->name, what);
}

int tl_driver_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if ((what & TL_OBSERVE_SCREENSHOT) && !(d->ops->caps & TL_DRIVER_CAP_SCREENSHOT))
        return unsupported(d, "take screenshots", err);
    return d->ops->observe(d, what, out, err);
}

int tl_driver_tap(tl_driver *d, int x, int y, tl_error *err)
{
    CHECK_CANCEL(d, err);
    int rc = check_point("tap", x, y, err);
    return rc ? rc : d->ops->tap(d, x, y, err);
}

int tl_driver_long_press(tl_driver *d, int x, int y, int duration_ms, tl_error *err)
{
    CHECK_CANCEL(d, err);
    int rc = check_point("long_press", x, y, err);
    if (rc)
        return rc;
    if (duration_ms < 1)
        return tl_error_set(err, TL_EUSAGE, "long_press: duration_ms must be at least 1");
    return d->ops->long_press(d, x, y, duration_ms, err);
}

int tl_driver_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err)
{
    CHECK_CANCEL(d, err);
    int rc = check_point("swipe start", x1, y1, err);
    if (rc == TL_OK)
        rc = check_point("swipe end", x2, y2, err);
    if (rc)
        return rc;
    if (duration_ms < 10)
        return tl_error_set(err, TL_EUSAGE, "swipe: duration_ms must be at least 10, not %d",
                            duration_ms);
    return d->ops->swipe(d, x1, y1, x2, y2, duration_ms, err);
}

int tl_driver_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    CHECK_CANCEL(d, err);
    return d->ops->type(d, text ? text : "", clear, err);
}

int tl_driver_press_key(tl_driver *d, tl_key key, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if ((unsigned)key >= TL_KEY__COUNT)
        return tl_error_set(err, TL_EUSAGE, "unknown key %d", (int)key);
    return d->ops->press_key(d, key, err);
}

int tl_driver_start_app(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if (!package || !package[0])
        return tl_error_set(err, TL_EUSAGE, "start_app: a package name is required");
    return d->ops->start_app(d, package, activity && activity[0] ? activity : NULL, err);
}

int tl_driver_stop_app(tl_driver *d, const char *package, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if (!package || !package[0])
        return tl_error_set(err, TL_EUSAGE, "stop_app: a package name is required");
    return d->ops->stop_app(d, package, err);
}

int tl_driver_list_apps(tl_driver *d, tl_app_list *out, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if (!d->ops->list_apps)
        return unsupported(d, "list apps", err);
    return d->ops->list_apps(d, out, err);
}

int tl_driver_reset(tl_driver *d, tl_error *err)
{
    CHECK_CANCEL(d, err);
    if (!d->ops->reset)
        return unsupported(d, "reset the device (only the sim phone can)", err);
    return d->ops->reset(d, err);
}

int tl_driver_list_devices(const char *name, const tl_driver_config *cfg, tl_device_list *out,
                           tl_error *err)
{
    const struct tl_driver_ops *ops = find(name);
    if (!ops)
        return unknown_driver(name, err);
    if (!ops->list_devices)
        return tl_error_set(err, TL_EUNSUPPORTED, "the %s driver cannot list devices", name);
    tl_driver_config defaults;
    if (!cfg) {
        memset(&defaults, 0, sizeof(defaults));
        cfg = &defaults;
    }
    if (cfg->cancel && *cfg->cancel)
        return tl_error_set(err, TL_ECANCELED, "%s: interrupted before listing devices", name);
    return ops->list_devices(cfg, out, err);
}
