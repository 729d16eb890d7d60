/*
 * test_driver_conformance.c - what every registered driver must do through the tl_driver_*
 * interface (drivers/driver.h), run once per driver of the registry. Drivers that need
 * credentials or a server are skipped when their open says which environment variable is
 * missing (TL_EUSAGE naming it); everything else must pass against a real device.
 *
 * XDG_STATE_HOME points at a private directory so that drivers keeping state (the sim lists
 * its saved phones) never touch the user's.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "drivers/driver.h"

#define MAX_DRIVERS 32

static char state_home[64];

static void private_state_home(void)
{
    snprintf(state_home, sizeof(state_home), "/tmp/tl-conformance-XXXXXX");
    cr_assert_not_null(mkdtemp(state_home));
    cr_assert_eq(setenv("XDG_STATE_HOME", state_home, 1), 0);
    unsetenv("TAPLOOP_SIM_FORMAT");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_state_home(void)
{
    if (state_home[0])
        nftw(state_home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(driver_conformance, .init = private_state_home, .fini = remove_state_home);

static size_t driver_count(void)
{
    size_t n = 0;
    while (tl_driver_name_at(n))
        n++;
    return n;
}

/* Does the message name an environment variable (an upper-case word with an underscore, like
 * MOBILERUN_API_KEY)? */
static bool names_env_var(const char *msg)
{
    for (const char *p = msg; *p;) {
        if (isupper((unsigned char)*p)) {
            const char *s = p;
            bool underscore = false;
            while (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')
                underscore |= *p++ == '_';
            if (underscore && p - s >= 4)
                return true;
        } else {
            p++;
        }
    }
    return false;
}

static bool is_image(const tl_buf *b, const char *type)
{
    const unsigned char *d = (const unsigned char *)b->data;
    if (b->len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return type && strcmp(type, "image/png") == 0;
    if (b->len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return type && strcmp(type, "image/jpeg") == 0;
    return false;
}

/* ---- the registry --------------------------------------------------------------------------- */

Test(driver_conformance, registry)
{
    size_t n = driver_count();
    cr_assert_geq(n, 1);
    cr_assert_lt(n, MAX_DRIVERS);
    for (size_t i = 0; i < n; i++) {
        const char *name = tl_driver_name_at(i);
        cr_assert_gt(strlen(name), 0);
        cr_assert(tl_driver_exists(name), "%s", name);
        for (size_t k = 0; k < i; k++)
            cr_assert_str_neq(name, tl_driver_name_at(k), "registered twice");
    }
    cr_assert_null(tl_driver_name_at(n));
    cr_assert_null(tl_driver_name_at((size_t)-1));
    cr_assert(tl_driver_exists("sim"));
    cr_assert_not(tl_driver_exists("nope"));
    cr_assert_not(tl_driver_exists(NULL));

    tl_driver *d = (tl_driver *)1;
    tl_error err;
    cr_assert_eq(tl_driver_open(&d, "nope", NULL, &err), TL_EUSAGE);
    cr_assert_null(d);
    cr_assert_not_null(strstr(err.msg, "\"nope\""), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "sim"), "the message lists the drivers: %s", err.msg);
    tl_device_list devs = {0};
    cr_assert_eq(tl_driver_list_devices("nope", NULL, &devs, &err), TL_EUSAGE);
    cr_assert_eq(devs.n, 0);
    tl_driver_close(NULL);
}

Test(driver_conformance, app_and_device_lists)
{
    tl_app_list apps = {0};
    cr_assert_eq(tl_app_list_add(&apps, "a.b", NULL), TL_OK);
    cr_assert_eq(tl_app_list_add(&apps, "c.d", "D"), TL_OK);
    cr_assert_eq(apps.n, 2);
    cr_assert_str_eq(apps.items[0].label, "");
    cr_assert_str_eq(apps.items[1].label, "D");
    tl_app_list_dispose(&apps);
    cr_assert_eq(apps.n, 0);
    cr_assert_null(apps.items);
    tl_app_list_dispose(NULL);

    tl_device_list devs = {0};
    cr_assert_eq(tl_device_list_add(&devs, "x", NULL, "ready", NULL, true), TL_OK);
    cr_assert_str_eq(devs.items[0].name, "");
    cr_assert_str_eq(devs.items[0].type, "");
    cr_assert(devs.items[0].ready);
    tl_device_list_dispose(&devs);
    cr_assert_eq(devs.n, 0);
    tl_device_list_dispose(NULL);

    tl_observation o;
    tl_observation_init(&o);
    cr_assert_eq(o.tree.len, 0);
    cr_assert_null(o.screenshot_type);
    tl_observation_dispose(&o);
    tl_observation_dispose(NULL);
}

/* ---- every driver --------------------------------------------------------------------------- */

ParameterizedTestParameters(driver_conformance, each_driver)
{
    static size_t idx[MAX_DRIVERS];
    size_t n = driver_count();
    if (n > MAX_DRIVERS)
        n = MAX_DRIVERS;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n);
}

/* Open the driver's default device, or skip the test when the driver needs configuration that
 * this environment does not have. */
static tl_driver *open_or_skip(const char *name, tl_driver_config *cfg)
{
    tl_driver *d = NULL;
    tl_error err;
    /* The adb driver runs here only against a fake adb server that the caller names
     * (tests/e2e/test_adb.sh starts tests/fakes/fake_adb.py and sets the variable): a unit test
     * must never act on a developer's real phone through their running adb server. */
    if (strcmp(name, "adb") == 0) {
        const char *fake = getenv("TAPLOOP_TEST_ADB_SERVER_SOCKET");
        if (!fake || !fake[0])
            cr_skip("adb: no fake adb server here (TAPLOOP_TEST_ADB_SERVER_SOCKET is unset; "
                    "tests/e2e/test_adb.sh runs this test against tests/fakes/fake_adb.py)");
        cr_assert_eq(setenv("ADB_SERVER_SOCKET", fake, 1), 0);
    }
    int rc = tl_driver_open(&d, name, cfg, &err);
    if (rc == TL_EUSAGE && names_env_var(err.msg))
        cr_skip("%s: not configured here (%s)", name, err.msg);
    cr_assert_eq(rc, TL_OK, "%s: open: %s %s", name, tl_err_name(rc), err.msg);
    cr_assert_not_null(d);
    return d;
}

ParameterizedTest(size_t *i, driver_conformance, each_driver)
{
    const char *name = tl_driver_name_at(*i);
    cr_assert_not_null(name);
    tl_driver_config cfg = {.fresh = true};
    tl_driver *d = open_or_skip(name, &cfg);
    tl_error err;
    cr_assert_str_eq(tl_driver_name(d), name);
    cr_assert_not_null(tl_driver_device(d));
    unsigned caps = tl_driver_caps(d);

    /* observe: a parseable tree with at least one listed element */
    tl_observation obs;
    tl_observation_init(&obs);
    int rc = tl_driver_observe(d, TL_OBSERVE_TREE, &obs, &err);
    cr_assert_eq(rc, TL_OK, "%s: observe: %s", name, err.msg);
    cr_assert_gt(obs.tree.len, 0, "%s: empty tree", name);
    tl_ui *ui = tl_ui_new();
    cr_assert_not_null(ui);
    tl_ui_options uo = {.display_w = obs.display_w, .display_h = obs.display_h};
    rc = tl_ui_parse(ui, obs.tree.data, obs.tree.len, &uo, &err);
    cr_assert_eq(rc, TL_OK, "%s: the tree does not parse: %s", name, err.msg);
    cr_assert_geq(tl_ui_listed_count(ui), 1, "%s: nothing listed", name);
    const tl_element *first = tl_ui_by_index(ui, 1);
    cr_assert_not_null(first);
    cr_assert(first->flags & TL_EL_TAPPABLE);
    cr_assert(tl_ui_on_screen(ui, first->tap_x, first->tap_y));
    int tap_x = first->tap_x, tap_y = first->tap_y;

    /* screenshot: PNG or JPEG, and what the bytes are is what the type says */
    if (caps & TL_DRIVER_CAP_SCREENSHOT) {
        rc = tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &obs, &err);
        cr_assert_eq(rc, TL_OK, "%s: screenshot: %s", name, err.msg);
        cr_assert(is_image(&obs.screenshot, obs.screenshot_type),
                  "%s: screenshot is not a PNG/JPEG of its declared type (%s, %zu bytes)", name,
                  obs.screenshot_type ? obs.screenshot_type : "NULL", obs.screenshot.len);
    } else {
        rc = tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &obs, &err);
        cr_assert_eq(rc, TL_EUNSUPPORTED, "%s: screenshots without the capability", name);
    }

    /* the wrapper checks arguments before any driver sees them */
    rc = tl_driver_tap(d, -1, 5, &err);
    cr_assert_eq(rc, TL_EUSAGE, "%s", name);
    cr_assert_not_null(strstr(err.msg, "must not be negative"), "%s", err.msg);
    cr_assert_eq(tl_driver_tap(d, 5, -1, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_long_press(d, -5, 5, 500, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_long_press(d, 5, 5, 0, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_swipe(d, 10, 10, -1, 10, 300, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_swipe(d, 10, 500, 10, 100, 9, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "at least 10"), "%s", err.msg);
    cr_assert_eq(tl_driver_press_key(d, TL_KEY__COUNT, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_start_app(d, NULL, NULL, &err), TL_EUSAGE);
    cr_assert_eq(tl_driver_stop_app(d, "", &err), TL_EUSAGE);
    /* none of that reached the device: the screen is as it was */
    tl_buf before;
    tl_buf_init(&before, 0);
    cr_assert_eq(tl_ui_listing(ui, &before), TL_OK);
    rc = tl_driver_observe(d, TL_OBSERVE_TREE, &obs, &err);
    cr_assert_eq(rc, TL_OK);
    cr_assert_eq(tl_ui_parse(ui, obs.tree.data, obs.tree.len, &uo, &err), TL_OK);
    tl_buf now;
    tl_buf_init(&now, 0);
    cr_assert_eq(tl_ui_listing(ui, &now), TL_OK);
    cr_assert_str_eq(before.data, now.data, "%s: a refused call changed the screen", name);
    tl_buf_dispose(&before);
    tl_buf_dispose(&now);

    /* tap the first listed element */
    rc = tl_driver_tap(d, tap_x, tap_y, &err);
    cr_assert_eq(rc, TL_OK, "%s: tap (%d,%d): %s", name, tap_x, tap_y, err.msg);
    rc =
        tl_driver_swipe(d, tap_x, tap_y, tap_x, tap_y > 200 ? tap_y - 100 : tap_y + 100, 300, &err);
    cr_assert_eq(rc, TL_OK, "%s: swipe: %s", name, err.msg);
    rc = tl_driver_press_key(d, TL_KEY_BACK, &err);
    cr_assert_eq(rc, TL_OK, "%s: back: %s", name, err.msg);
    rc = tl_driver_press_key(d, TL_KEY_HOME, &err);
    cr_assert_eq(rc, TL_OK, "%s: home: %s", name, err.msg);

    /* apps */
    tl_app_list apps = {0};
    rc = tl_driver_list_apps(d, &apps, &err);
    if (caps & TL_DRIVER_CAP_APPS) {
        cr_assert_eq(rc, TL_OK, "%s: list_apps: %s", name, err.msg);
        cr_assert_gt(apps.n, 0, "%s: no apps", name);
        for (size_t k = 0; k < apps.n; k++) {
            cr_assert_gt(strlen(apps.items[k].package), 0);
            cr_assert_not_null(apps.items[k].label);
        }
        /* an app it lists can be started and stopped. Android's package list (adb's
         * `pm list packages`) also holds packages with no launcher activity (the launcher
         * itself, providers): starting one of those is refused, never an infrastructure error. */
        size_t k = 0;
        for (; k < apps.n && k < 8; k++) {
            rc = tl_driver_start_app(d, apps.items[k].package, NULL, &err);
            if (rc == TL_OK)
                break;
            cr_assert_eq(rc, TL_EREJECTED, "%s: start %s: %s %s", name, apps.items[k].package,
                         tl_err_name(rc), err.msg);
        }
        cr_assert(k < apps.n && k < 8, "%s: none of the first listed apps starts", name);
        rc = tl_driver_stop_app(d, apps.items[k].package, &err);
        cr_assert_eq(rc, TL_OK, "%s: stop %s: %s", name, apps.items[k].package, err.msg);
    } else {
        cr_assert(rc == TL_OK || rc == TL_EUNSUPPORTED, "%s: list_apps: %s", name, err.msg);
    }
    tl_app_list_dispose(&apps);
    rc = tl_driver_start_app(d, "org.taploop.no.such.app", NULL, &err);
    cr_assert_eq(rc, TL_EREJECTED, "%s: starting a missing app: %s %s", name, tl_err_name(rc),
                 err.msg);

    /* reset works, or says it cannot */
    rc = tl_driver_reset(d, &err);
    if (caps & TL_DRIVER_CAP_RESET)
        cr_assert_eq(rc, TL_OK, "%s: reset: %s", name, err.msg);
    else
        cr_assert_eq(rc, TL_EUNSUPPORTED, "%s: reset: %s %s", name, tl_err_name(rc), err.msg);
    rc = tl_driver_observe(d, TL_OBSERVE_TREE, &obs, &err);
    cr_assert_eq(rc, TL_OK, "%s: observe after reset: %s", name, err.msg);

    tl_ui_free(ui);
    tl_observation_dispose(&obs);
    tl_driver_close(d);

    /* devices: listing works without a session, and names what --device takes */
    tl_device_list devs = {0};
    rc = tl_driver_list_devices(name, NULL, &devs, &err);
    cr_assert(rc == TL_OK || rc == TL_EUNSUPPORTED, "%s: list_devices: %s %s", name,
              tl_err_name(rc), err.msg);
    for (size_t k = 0; rc == TL_OK && k < devs.n; k++) {
        cr_assert_gt(strlen(devs.items[k].id), 0);
        cr_assert_not_null(devs.items[k].state);
    }
    tl_device_list_dispose(&devs);
}

ParameterizedTestParameters(driver_conformance, open_close_twice)
{
    static size_t idx[MAX_DRIVERS];
    size_t n = driver_count();
    if (n > MAX_DRIVERS)
        n = MAX_DRIVERS;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n);
}

ParameterizedTest(size_t *i, driver_conformance, open_close_twice)
{
    const char *name = tl_driver_name_at(*i);
    tl_driver_config cfg = {.fresh = true};
    for (int round = 0; round < 2; round++) {
        tl_driver *d = open_or_skip(name, &cfg);
        tl_driver_close(d);
    }
}

ParameterizedTestParameters(driver_conformance, canceled_before_open)
{
    static size_t idx[MAX_DRIVERS];
    size_t n = driver_count();
    if (n > MAX_DRIVERS)
        n = MAX_DRIVERS;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n);
}

ParameterizedTest(size_t *i, driver_conformance, canceled_before_open)
{
    /* "blocking calls return early with TL_ECANCELED once the cancel flag is non-zero" */
    const char *name = tl_driver_name_at(*i);
    volatile sig_atomic_t cancel = 1;
    tl_driver_config cfg = {.fresh = true, .cancel = &cancel};
    tl_driver *d = NULL;
    tl_error err;
    int rc = tl_driver_open(&d, name, &cfg, &err);
    cr_assert_eq(rc, TL_ECANCELED, "%s: %s %s", name, tl_err_name(rc), err.msg);
    cr_assert_null(d);
}
