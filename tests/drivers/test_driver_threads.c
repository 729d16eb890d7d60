/*
 * test_driver_threads.c - many devices driven from many threads at once (driver.h's promise):
 * each thread opens its own sim phone and runs observe -> index -> act steps; the phones must
 * not see each other, and (run under ThreadSanitizer once, see docs/drivers.md) nothing may
 * race.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "agent/exec.h"
#include "agent/observe.h"
#include "agent/selector.h"

#define THREADS 8
#define ROUNDS  6

struct worker {
    int id;
    int rc;
    char msg[TL_ERROR_MSG_MAX];
    int dark; /* 1 if this phone ended with Dark theme on */
};

static int tap_text(tl_driver *drv, tl_ui *ui, tl_observation *obs, const char *text, tl_error *err)
{
    int rc = tl_observe(drv, 0, NULL, obs, ui, err);
    if (rc)
        return rc;
    tl_selector *sel = tl_selector_new();
    rc = tl_selector_set(sel, "text", text, err);
    const tl_element *e = rc ? NULL : tl_ui_find(ui, sel);
    tl_selector_free(sel);
    if (rc)
        return rc;
    if (!e)
        return tl_error_set(err, TL_EREJECTED, "no \"%s\" on screen", text);
    return tl_driver_tap(drv, e->tap_x, e->tap_y, err);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    tl_error err;
    tl_error_clear(&err);
    tl_driver_config cfg = {.device = "sim", .fresh = true};
    tl_driver *drv = NULL;
    tl_observation obs;
    tl_observation_init(&obs);
    tl_ui *ui = tl_ui_new();
    int rc = tl_driver_open(&drv, "sim", &cfg, &err);
    /* odd workers turn Dark theme on, even ones only look around: no state may leak across */
    for (int r = 0; rc == TL_OK && r < ROUNDS; r++) {
        rc = tl_driver_start_app(drv, "com.android.settings", ".DisplaySettings", &err);
        if (rc == TL_OK && (w->id % 2) && r == ROUNDS - 1)
            rc = tap_text(drv, ui, &obs, "Dark theme", &err);
        if (rc == TL_OK)
            rc = tl_observe(drv, TL_OBSERVE_SCREENSHOT, NULL, &obs, ui, &err);
        if (rc == TL_OK)
            rc = tl_driver_press_key(drv, TL_KEY_HOME, &err);
    }
    if (rc == TL_OK)
        rc = tl_driver_start_app(drv, "com.android.settings", ".DisplaySettings", &err);
    if (rc == TL_OK)
        rc = tl_observe(drv, 0, NULL, &obs, ui, &err);
    if (rc == TL_OK) {
        tl_selector *sel = tl_selector_new();
        tl_selector_set(sel, "text", "Dark theme", &err);
        tl_selector_set(sel, "checked", "true", &err);
        w->dark = tl_ui_find(ui, sel) != NULL;
        tl_selector_free(sel);
    }
    w->rc = rc;
    snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
    tl_driver_close(drv);
    tl_observation_dispose(&obs);
    tl_ui_free(ui);
    return NULL;
}

Test(driver_threads, independent_sim_phones_in_parallel)
{
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].id = i;
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        cr_expect_eq(w[i].rc, TL_OK, "worker %d: %s", i, w[i].msg);
        cr_expect_eq(w[i].dark, i % 2, "worker %d: Dark theme is %s", i, w[i].dark ? "on" : "off");
    }
}
