/*
 * test_exec.c - resolving actions on the element index and performing them through a driver.
 *
 * A fake driver defined here records every operation it receives; each test checks both what
 * tl_exec returned and exactly what reached the driver (nothing, when an action is rejected).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/exec.h"
#include "agent/ui.h"
#include "drivers/driver_int.h"
#include "planner/action.h"

/* ---- the fake driver ----------------------------------------------------------------------- */

#define MAX_CALLS 16

static char calls[MAX_CALLS][160];
static size_t ncalls;
static int fail_code; /* returned by every operation when non-zero */

struct fake_driver {
    struct tl_driver base; /* first: a tl_driver * is a struct fake_driver * */
    int closed;
};

static void record(const char *fmt, ...) TL_PRINTF(1, 2);

static void record(const char *fmt, ...)
{
    cr_assert_lt(ncalls, MAX_CALLS, "too many driver calls");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(calls[ncalls++], sizeof(calls[0]), fmt, ap);
    va_end(ap);
}

static int result(tl_error *err)
{
    if (fail_code)
        return tl_error_set(err, fail_code, "fake failure");
    return TL_OK;
}

static void fake_close(tl_driver *d)
{
    free((struct fake_driver *)d);
}

static int fake_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    (void)d;
    (void)out;
    record("observe %u", what);
    return result(err);
}

static int fake_tap(tl_driver *d, int x, int y, tl_error *err)
{
    (void)d;
    record("tap %d %d", x, y);
    return result(err);
}

static int fake_long_press(tl_driver *d, int x, int y, int ms, tl_error *err)
{
    (void)d;
    record("long_press %d %d %d", x, y, ms);
    return result(err);
}

static int fake_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int ms, tl_error *err)
{
    (void)d;
    record("swipe %d %d %d %d %d", x1, y1, x2, y2, ms);
    return result(err);
}

static int fake_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    (void)d;
    record("type %s clear=%d", text, clear ? 1 : 0);
    return result(err);
}

static int fake_press_key(tl_driver *d, tl_key key, tl_error *err)
{
    (void)d;
    record("press_key %s", tl_key_name(key));
    return result(err);
}

static int fake_start_app(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    (void)d;
    record("start_app %s %s", package, activity ? activity : "(none)");
    return result(err);
}

static int fake_stop_app(tl_driver *d, const char *package, tl_error *err)
{
    (void)d;
    record("stop_app %s", package);
    return result(err);
}

static const struct tl_driver_ops fake_ops = {
    .abi_version = TL_DRIVER_ABI,
    .name = "fake",
    .summary = "records the calls it receives",
    .caps = 0,
    .open = NULL, /* never opened through the registry */
    .close = fake_close,
    .observe = fake_observe,
    .tap = fake_tap,
    .long_press = fake_long_press,
    .swipe = fake_swipe,
    .type = fake_type,
    .press_key = fake_press_key,
    .start_app = fake_start_app,
    .stop_app = fake_stop_app,
};

static tl_driver *fake_new(void)
{
    struct fake_driver *f = calloc(1, sizeof(*f));
    cr_assert_not_null(f);
    f->base.ops = &fake_ops;
    f->base.device = NULL;
    ncalls = 0;
    fail_code = 0;
    return &f->base;
}

static void expect_calls(size_t n, ...)
{
    cr_expect_eq(ncalls, n, "%zu driver calls, expected %zu (first: %s)", ncalls, n,
                 ncalls ? calls[0] : "-");
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < ncalls; i++) {
        const char *want = va_arg(ap, const char *);
        cr_expect_str_eq(calls[i], want, "call %zu: got \"%s\", expected \"%s\"", i, calls[i],
                         want);
    }
    va_end(ap);
}

/* ---- screens and actions ------------------------------------------------------------------- */

#define SCREEN(body)                                                                     \
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">" \
    "<node class=\"android.widget.FrameLayout\" package=\"com.example\" "                \
    "bounds=\"[0,0][1080,2400]\">" body "</node></hierarchy>"

/* [1] OK (200,250), [2] RecyclerView, [3] Row 1, [4] HorizontalScrollView, [5] EditText Name
 * (270,2250), [6] focused password field (810,2250). */
static const char MAIN[] =
    SCREEN("<node class=\"android.widget.Button\" text=\"OK\" clickable=\"true\" "
           "bounds=\"[100,200][300,300]\"/>"
           "<node class=\"androidx.recyclerview.widget.RecyclerView\" scrollable=\"true\" "
           "bounds=\"[0,400][1080,2000]\">"
           "<node class=\"android.widget.TextView\" text=\"Row 1\" bounds=\"[0,400][1080,500]\"/>"
           "</node>"
           "<node class=\"android.widget.HorizontalScrollView\" scrollable=\"true\" "
           "bounds=\"[0,2000][1080,2200]\"/>"
           "<node class=\"android.widget.EditText\" text=\"\" hint=\"Name\" clickable=\"true\" "
           "bounds=\"[0,2200][540,2300]\"/>"
           "<node class=\"android.widget.EditText\" text=\"pw\" password=\"true\" focused=\"true\" "
           "clickable=\"true\" bounds=\"[540,2200][1080,2300]\"/>");

static tl_ui *parse(const char *xml)
{
    tl_ui *ui = tl_ui_new();
    cr_assert_not_null(ui);
    tl_error err = {0};
    int rc = tl_ui_parse(ui, xml, strlen(xml), NULL, &err);
    cr_assert_eq(rc, TL_OK, "parse failed: %s", err.msg);
    return ui;
}

static void act(tl_action *a, const char *json)
{
    tl_error err = {0};
    int rc = tl_action_parse_json(a, json, strlen(json), &err);
    cr_assert_eq(rc, TL_OK, "%s: %s", json, err.msg);
}

/* Parse `json`, run it on `ui` through a fresh fake driver; the driver is closed after. */
static int run(const tl_ui *ui, const char *json, volatile sig_atomic_t *cancel,
               tl_exec_result *res, tl_error *err)
{
    tl_action a;
    act(&a, json);
    tl_driver *d = fake_new();
    tl_error_clear(err);
    int rc = tl_exec(d, ui, &a, cancel, res, err);
    tl_action_dispose(&a);
    tl_driver_close(d);
    return rc;
}

static int run_ok(const tl_ui *ui, const char *json, tl_exec_result *res)
{
    tl_error err;
    int rc = run(ui, json, NULL, res, &err);
    cr_expect_eq(rc, TL_OK, "%s: %d %s", json, rc, err.msg);
    return rc;
}

/* ---- tap and long press -------------------------------------------------------------------- */

Test(exec, tap_index_sends_the_tap_point)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"tap\",\"index\":1}", &res);
    expect_calls(1, "tap 200 250");
    cr_expect(res.has_point);
    cr_expect(!res.has_end);
    cr_expect_eq(res.x, 200);
    cr_expect_eq(res.y, 250);
    cr_expect_eq(res.target, tl_ui_by_index(ui, 1));
    cr_expect(!res.secret);
    tl_ui_free(ui);
}

Test(exec, index_not_in_listing_is_rejected_and_nothing_sent)
{
    tl_ui *ui = parse(MAIN);
    cr_assert_eq(tl_ui_listed_count(ui), 6);
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(run(ui, "{\"action\":\"tap\",\"index\":7}", NULL, &res, &err), TL_EREJECTED);
    cr_expect_str_eq(err.msg, "index 7 is not in the current listing ([1]..[6])");
    expect_calls(0);

    cr_expect_eq(run(ui, "{\"action\":\"long_press\",\"index\":57}", NULL, &res, &err),
                 TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "[1]..[6]"), "%s", err.msg);
    expect_calls(0);

    cr_expect_eq(run(ui, "{\"action\":\"type\",\"text\":\"x\",\"index\":9}", NULL, &res, &err),
                 TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "[1]..[6]"), "%s", err.msg);
    expect_calls(0);

    cr_expect_eq(
        run(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":8}", NULL, &res, &err),
        TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "[1]..[6]"), "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, index_on_a_screen_without_listing)
{
    tl_ui *ui = parse("<hierarchy rotation=\"0\"><node class=\"android.view.View\" "
                      "bounds=\"[0,0][1080,2400]\"/></hierarchy>");
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(run(ui, "{\"action\":\"tap\",\"index\":1}", NULL, &res, &err), TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "lists no elements"), "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, tap_point_checked_against_the_screen)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    tl_error err;
    run_ok(ui, "{\"action\":\"tap\",\"x\":1079,\"y\":2399}", &res);
    expect_calls(1, "tap 1079 2399");
    cr_expect_null(res.target);

    cr_expect_eq(run(ui, "{\"action\":\"tap\",\"x\":2000,\"y\":10}", NULL, &res, &err),
                 TL_EREJECTED);
    cr_expect_str_eq(err.msg, "point (2000,10) is outside the 1080x2400 screen");
    expect_calls(0);

    cr_expect_eq(run(ui, "{\"action\":\"tap\",\"x\":1080,\"y\":10}", NULL, &res, &err),
                 TL_EREJECTED);
    expect_calls(0);
    cr_expect_eq(run(ui, "{\"action\":\"long_press\",\"x\":10,\"y\":2400}", NULL, &res, &err),
                 TL_EREJECTED);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, long_press_sends_its_duration)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"long_press\",\"index\":1,\"duration_ms\":1500}", &res);
    expect_calls(1, "long_press 200 250 1500");
    cr_expect_eq(res.duration_ms, 1500);
    run_ok(ui, "{\"action\":\"long_press\",\"x\":5,\"y\":6}", &res);
    expect_calls(1, "long_press 5 6 800");
    cr_expect_eq(res.duration_ms, 800);
    tl_ui_free(ui);
}

/* ---- swipe and scroll ---------------------------------------------------------------------- */

Test(exec, swipe_endpoints_checked)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    tl_error err;
    run_ok(ui, "{\"action\":\"swipe\",\"start_x\":100,\"start_y\":200,\"end_x\":300,\"end_y\":400}",
           &res);
    expect_calls(1, "swipe 100 200 300 400 300");
    cr_expect(res.has_point && res.has_end);
    cr_expect_eq(res.x2, 300);
    cr_expect_eq(res.y2, 400);

    cr_expect_eq(run(ui,
                     "{\"action\":\"swipe\",\"start_x\":100,\"start_y\":200,\"end_x\":100,"
                     "\"end_y\":2400}",
                     NULL, &res, &err),
                 TL_EREJECTED);
    cr_expect_str_eq(err.msg, "swipe end (100,2400) is outside the 1080x2400 screen");
    expect_calls(0);

    cr_expect_eq(run(ui,
                     "{\"action\":\"swipe\",\"start_x\":5000,\"start_y\":200,\"end_x\":100,"
                     "\"end_y\":200,\"duration_ms\":50}",
                     NULL, &res, &err),
                 TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "swipe start (5000,200)"), "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, scroll_down_swipes_upward_in_the_largest_scrollable)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"down\"}", &res);
    /* RecyclerView [0,400][1080,2000]: 75% is y 1600, 25% is y 800 */
    expect_calls(1, "swipe 540 1600 540 800 400");
    cr_expect_eq(res.target, tl_ui_by_index(ui, 2));
    cr_expect(res.y > res.y2, "the finger moves up");
    tl_ui_free(ui);
}

Test(exec, scroll_directions)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"up\"}", &res);
    expect_calls(1, "swipe 540 800 540 1600 400");
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"left\"}", &res);
    expect_calls(1, "swipe 270 1200 810 1200 400");
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"right\"}", &res);
    expect_calls(1, "swipe 810 1200 270 1200 400");
    tl_ui_free(ui);
}

Test(exec, scroll_with_index_uses_that_element)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    /* HorizontalScrollView [0,2000][1080,2200] */
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"right\",\"index\":4}", &res);
    expect_calls(1, "swipe 810 2100 270 2100 400");
    cr_expect_eq(res.target, tl_ui_by_index(ui, 4));
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":4}", &res);
    expect_calls(1, "swipe 540 2150 540 2050 400");
    tl_ui_free(ui);
}

Test(exec, scroll_with_the_index_of_a_row_scrolls_its_list)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    /* [3] TextView "Row 1" does not scroll: its RecyclerView [2] [0,400][1080,2000] does */
    cr_assert_eq(tl_ui_scroll_parent(ui, tl_ui_by_index(ui, 3)), tl_ui_by_index(ui, 2));
    cr_expect_null(tl_ui_scroll_parent(ui, tl_ui_by_index(ui, 2)));
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"up\",\"index\":3}", &res);
    expect_calls(1, "swipe 540 800 540 1600 400");
    cr_expect_eq(res.target, tl_ui_by_index(ui, 2));
    tl_action a;
    act(&a, "{\"action\":\"scroll\",\"direction\":\"up\",\"index\":3}");
    tl_buf text;
    tl_buf_init(&text, 0);
    cr_assert_eq(tl_exec_describe(ui, &a, &res, &text), TL_OK);
    cr_expect_str_eq(text.data, "scroll up [3] in [2] RecyclerView scrollable (540,1200): swipe "
                                "(540,800)->(540,1600)");
    tl_buf_dispose(&text);
    tl_action_dispose(&a);
    tl_ui_free(ui);
}

Test(exec, scroll_with_the_index_of_a_nested_label_scrolls_the_nearest_list)
{
    /* a row (clickable, not scrollable) inside a horizontal strip inside a vertical list: the
     * strip is the nearest scrollable ancestor of the row's icon */
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.ListView\" scrollable=\"true\" "
        "bounds=\"[0,0][1080,2400]\">"
        "<node class=\"android.widget.HorizontalScrollView\" scrollable=\"true\" "
        "bounds=\"[0,100][1080,500]\">"
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,100][400,500]\">"
        "<node class=\"android.widget.ImageView\" content-desc=\"Icon\" long-clickable=\"true\" "
        "bounds=\"[0,100][200,300]\"/>"
        "</node></node></node>"));
    tl_exec_result res;
    const tl_element *icon = NULL;
    for (size_t i = 1; i <= tl_ui_listed_count(ui); i++)
        if (strcmp(tl_ui_by_index(ui, (long)i)->desc, "Icon") == 0)
            icon = tl_ui_by_index(ui, (long)i);
    cr_assert_not_null(icon);
    char json[96];
    snprintf(json, sizeof(json), "{\"action\":\"scroll\",\"direction\":\"right\",\"index\":%d}",
             icon->index);
    run_ok(ui, json, &res);
    /* the strip [0,100][1080,500]: 75% is x 810, 25% is x 270 */
    expect_calls(1, "swipe 810 300 270 300 400");
    cr_expect_str_eq(tl_ui_short_class(res.target->cls), "HorizontalScrollView");
    tl_ui_free(ui);
}

Test(exec, scroll_with_the_index_of_an_element_outside_any_list_is_rejected)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(
        run(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":1}", NULL, &res, &err),
        TL_EREJECTED);
    cr_expect_str_eq(err.msg,
                     "[1] Button \"OK\" is not scrollable and is not inside a scrollable element");
    expect_calls(0);
    cr_expect_eq(
        run(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":5}", NULL, &res, &err),
        TL_EREJECTED);
    cr_expect_str_eq(err.msg,
                     "[5] EditText hint=\"Name\" is not scrollable and is not inside a "
                     "scrollable element",
                     "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, scroll_with_the_index_of_an_element_without_state_flags_scrolls_in_it)
{
    /* old Portal trees without state flags: whether an element scrolls is unknown */
    tl_ui *ui = parse("[{\"className\":\"View\",\"text\":\"Feed\",\"bounds\":\"0,0,1080,2000\"}]");
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":1}", &res);
    expect_calls(1, "swipe 540 1500 540 500 400");
    cr_expect_eq(res.target, tl_ui_by_index(ui, 1));
    tl_ui_free(ui);
}

Test(exec, scroll_without_scrollable_uses_the_middle_of_the_screen)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.TextView\" text=\"Hi\" "
                             "bounds=\"[0,100][1080,200]\"/>"));
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"scroll\",\"direction\":\"down\"}", &res);
    /* [0,240][1080,2160]: 75% is y 1680, 25% is y 720 */
    expect_calls(1, "swipe 540 1680 540 720 400");
    cr_expect_null(res.target);
    tl_ui_free(ui);
}

Test(exec, scroll_in_a_tiny_area_is_rejected)
{
    tl_ui *ui =
        parse(SCREEN("<node class=\"android.widget.ScrollView\" text=\"dot\" scrollable=\"true\" "
                     "bounds=\"[10,10][11,11]\"/>"));
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(
        run(ui, "{\"action\":\"scroll\",\"direction\":\"down\",\"index\":1}", NULL, &res, &err),
        TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "too small"), "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

/* ---- type ---------------------------------------------------------------------------------- */

Test(exec, type_with_index_taps_the_field_first)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"type\",\"text\":\"Ada\",\"index\":5}", &res);
    expect_calls(2, "tap 270 2250", "type Ada clear=0");
    cr_expect(res.has_point);
    cr_expect_eq(res.target, tl_ui_by_index(ui, 5));
    cr_expect(!res.secret);
    run_ok(ui, "{\"action\":\"type\",\"text\":\"Bob\",\"index\":5,\"clear\":true}", &res);
    expect_calls(2, "tap 270 2250", "type Bob clear=1");
    tl_ui_free(ui);
}

Test(exec, type_into_focused_password_field_is_secret)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"type\",\"text\":\"s3cret\"}", &res);
    expect_calls(1, "type s3cret clear=0");
    cr_expect(!res.has_point, "no index: no tap");
    cr_expect(res.secret);
    cr_expect_eq(res.target, tl_ui_by_index(ui, 6));

    run_ok(ui, "{\"action\":\"type\",\"text\":\"s3cret\",\"index\":6}", &res);
    expect_calls(2, "tap 810 2250", "type s3cret clear=0");
    cr_expect(res.secret);
    tl_ui_free(ui);
}

Test(exec, type_without_index_or_focus_just_types)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.EditText\" text=\"\" clickable=\"true\" "
                             "bounds=\"[0,100][1080,200]\"/>"));
    tl_exec_result res;
    run_ok(ui, "{\"action\":\"type\",\"text\":\"hi\"}", &res);
    expect_calls(1, "type hi clear=0");
    cr_expect_null(res.target);
    cr_expect(!res.secret);
    run_ok(ui, "{\"action\":\"type\",\"text\":\"\",\"clear\":true}", &res);
    expect_calls(1, "type  clear=1");
    tl_ui_free(ui);
}

Test(exec, failed_tap_stops_type)
{
    tl_ui *ui = parse(MAIN);
    tl_action a;
    act(&a, "{\"action\":\"type\",\"text\":\"Ada\",\"index\":5}");
    tl_driver *d = fake_new();
    fail_code = TL_ENOTREADY;
    tl_exec_result res;
    tl_error err = {0};
    cr_expect_eq(tl_exec(d, ui, &a, NULL, &res, &err), TL_ENOTREADY);
    cr_expect_str_eq(err.msg, "fake failure");
    expect_calls(1, "tap 270 2250");
    tl_action_dispose(&a);
    tl_driver_close(d);
    tl_ui_free(ui);
}

/* ---- actions without a screen -------------------------------------------------------------- */

Test(exec, press_key_start_app_stop_app_pass_through)
{
    tl_exec_result res;
    run_ok(NULL, "{\"action\":\"press_key\",\"key\":\"back\"}", &res);
    expect_calls(1, "press_key back");
    cr_expect(!res.has_point);
    run_ok(NULL, "{\"action\":\"press_key\",\"key\":\"forward_delete\"}", &res);
    expect_calls(1, "press_key forward_delete");
    run_ok(NULL, "{\"action\":\"start_app\",\"package\":\"com.android.settings\"}", &res);
    expect_calls(1, "start_app com.android.settings (none)");
    run_ok(NULL,
           "{\"action\":\"start_app\",\"package\":\"com.android.settings\","
           "\"activity\":\".Settings\"}",
           &res);
    expect_calls(1, "start_app com.android.settings .Settings");
    run_ok(NULL, "{\"action\":\"stop_app\",\"package\":\"com.example.app\"}", &res);
    expect_calls(1, "stop_app com.example.app");

    /* a screen may be given too; it changes nothing */
    tl_ui *ui = parse(MAIN);
    run_ok(ui, "{\"action\":\"press_key\",\"key\":\"home\"}", &res);
    expect_calls(1, "press_key home");
    tl_ui_free(ui);
}

Test(exec, driver_errors_are_returned)
{
    tl_action a;
    act(&a, "{\"action\":\"stop_app\",\"package\":\"com.example.app\"}");
    tl_driver *d = fake_new();
    fail_code = TL_ENOTFOUND;
    tl_exec_result res;
    tl_error err = {0};
    cr_expect_eq(tl_exec(d, NULL, &a, NULL, &res, &err), TL_ENOTFOUND);
    expect_calls(1, "stop_app com.example.app");
    tl_action_dispose(&a);
    tl_driver_close(d);
}

Test(exec, wait_sleeps_and_sends_nothing)
{
    tl_exec_result res;
    run_ok(NULL, "{\"action\":\"wait\",\"ms\":20}", &res);
    expect_calls(0);
    run_ok(NULL, "{\"action\":\"wait\",\"ms\":0}", &res);
    expect_calls(0);
}

Test(exec, wait_honours_cancel)
{
    volatile sig_atomic_t cancel = 1;
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(run(NULL, "{\"action\":\"wait\",\"ms\":10000}", &cancel, &res, &err),
                 TL_ECANCELED);
    expect_calls(0);
}

Test(exec, done_is_refused)
{
    tl_ui *ui = parse(MAIN);
    tl_exec_result res;
    tl_error err;
    cr_expect_eq(
        run(ui, "{\"action\":\"done\",\"success\":true,\"message\":\"ok\"}", NULL, &res, &err),
        TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "done"), "%s", err.msg);
    expect_calls(0);
    tl_ui_free(ui);
}

Test(exec, screen_actions_need_a_screen)
{
    tl_exec_result res;
    tl_error err;
    const char *need[] = {
        "{\"action\":\"tap\",\"index\":1}",
        "{\"action\":\"long_press\",\"x\":1,\"y\":1}",
        "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":1,\"end_x\":2,\"end_y\":2}",
        "{\"action\":\"scroll\",\"direction\":\"down\"}",
        "{\"action\":\"type\",\"text\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        tl_action a;
        act(&a, need[i]);
        cr_expect(tl_exec_needs_screen(&a), "%s", need[i]);
        tl_action_dispose(&a);
        cr_expect_eq(run(NULL, need[i], NULL, &res, &err), TL_EUSAGE, "%s", need[i]);
        cr_expect_not_null(strstr(err.msg, "needs the current screen"), "%s", err.msg);
        expect_calls(0);
    }
    const char *free_of_screen[] = {
        "{\"action\":\"press_key\",\"key\":\"back\"}",
        "{\"action\":\"start_app\",\"package\":\"a.b\"}",
        "{\"action\":\"stop_app\",\"package\":\"a.b\"}",
        "{\"action\":\"wait\",\"ms\":1}",
        "{\"action\":\"done\",\"success\":false,\"message\":\"\"}",
    };
    for (size_t i = 0; i < sizeof(free_of_screen) / sizeof(free_of_screen[0]); i++) {
        tl_action a;
        act(&a, free_of_screen[i]);
        cr_expect(!tl_exec_needs_screen(&a), "%s", free_of_screen[i]);
        tl_action_dispose(&a);
    }
}

Test(exec, invalid_action_is_rejected_even_without_error_record)
{
    tl_ui *ui = parse(MAIN);
    tl_action a;
    tl_action_init(&a);
    a.type = TL_ACT_TAP; /* neither index nor point */
    tl_exec_result res;
    tl_error err = {0};
    cr_expect_eq(tl_exec_resolve(ui, &a, &res, &err), TL_EREJECTED);
    cr_expect_not_null(strstr(err.msg, "tap needs index"), "%s", err.msg);
    cr_expect_eq(tl_exec_resolve(ui, &a, &res, NULL), TL_EREJECTED);
    tl_driver *d = fake_new();
    cr_expect_eq(tl_exec(d, ui, &a, NULL, &res, NULL), TL_EREJECTED);
    expect_calls(0);
    tl_driver_close(d);

    /* out-of-range index through the resolver alone, without an error record */
    act(&a, "{\"action\":\"tap\",\"index\":99}");
    cr_expect_eq(tl_exec_resolve(ui, &a, &res, NULL), TL_EREJECTED);
    tl_action_dispose(&a);
    tl_ui_free(ui);
}

Test(exec, resolve_sends_nothing)
{
    tl_ui *ui = parse(MAIN);
    tl_action a;
    act(&a, "{\"action\":\"type\",\"text\":\"x\",\"index\":5}");
    ncalls = 0;
    tl_exec_result res;
    tl_error err = {0};
    cr_expect_eq(tl_exec_resolve(ui, &a, &res, &err), TL_OK, "%s", err.msg);
    cr_expect_eq(res.x, 270);
    cr_expect_eq(res.y, 2250);
    cr_expect_eq(ncalls, 0);
    tl_action_dispose(&a);
    tl_ui_free(ui);
}
