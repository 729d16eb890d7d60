/*
 * test_action.c - the action model: parsing from JSON and from tool calls, defaults, the
 * messages of malformed actions, serialisation round trips and short descriptions.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "planner/action.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static void parse_ok(tl_action *a, const char *json)
{
    tl_error err = {0};
    int rc = tl_action_parse_json(a, json, strlen(json), &err);
    cr_assert_eq(rc, TL_OK, "%s: %d %s", json, rc, err.msg);
}

/* Parse must fail with TL_EPARSE and a message containing `want`; the action stays empty. */
static void parse_err(const char *json, const char *want)
{
    tl_action a;
    tl_error err = {0};
    int rc = tl_action_parse_json(&a, json, strlen(json), &err);
    cr_expect_eq(rc, TL_EPARSE, "%s: accepted (rc %d)", json, rc);
    cr_expect_eq(err.code, TL_EPARSE, "%s", json);
    cr_expect_not_null(strstr(err.msg, want), "%s\n  message: %s\n  wanted:  %s", json, err.msg,
                       want);
    /* left initialised */
    cr_expect_null(a.text);
    cr_expect_null(a.package);
    cr_expect_null(a.activity);
    cr_expect_null(a.message);
    cr_expect_null(a.output);
    cr_expect(!a.has_index && !a.has_point);
    cr_expect_eq(a.x, -1);
    tl_action_dispose(&a);
}

static void call_ok(tl_action *a, const char *name, const char *args)
{
    tl_error err = {0};
    int rc = tl_action_parse_call(a, name, args, args ? strlen(args) : 0, &err);
    cr_assert_eq(rc, TL_OK, "%s(%s): %d %s", name, args ? args : "NULL", rc, err.msg);
}

static void call_err(const char *name, const char *args, const char *want)
{
    tl_action a;
    tl_error err = {0};
    int rc = tl_action_parse_call(&a, name, args, args ? strlen(args) : 0, &err);
    cr_expect_eq(rc, TL_EPARSE, "%s(%s): accepted", name, args ? args : "NULL");
    cr_expect_not_null(strstr(err.msg, want), "%s(%s)\n  message: %s\n  wanted:  %s", name,
                       args ? args : "NULL", err.msg, want);
    tl_action_dispose(&a);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void expect_equal(const tl_action *a, const tl_action *b, const char *what)
{
    cr_expect_eq(a->type, b->type, "%s: type", what);
    cr_expect_eq(a->has_index, b->has_index, "%s: has_index", what);
    cr_expect_eq(a->index, b->index, "%s: index", what);
    cr_expect_eq(a->has_point, b->has_point, "%s: has_point", what);
    cr_expect_eq(a->x, b->x, "%s: x", what);
    cr_expect_eq(a->y, b->y, "%s: y", what);
    cr_expect_eq(a->x2, b->x2, "%s: x2", what);
    cr_expect_eq(a->y2, b->y2, "%s: y2", what);
    cr_expect_eq(a->duration_ms, b->duration_ms, "%s: duration_ms", what);
    cr_expect_eq(a->direction, b->direction, "%s: direction", what);
    cr_expect(str_eq(a->text, b->text), "%s: text", what);
    cr_expect_eq(a->clear, b->clear, "%s: clear", what);
    cr_expect_eq(a->key, b->key, "%s: key", what);
    cr_expect(str_eq(a->package, b->package), "%s: package", what);
    cr_expect(str_eq(a->activity, b->activity), "%s: activity", what);
    cr_expect_eq(a->ms, b->ms, "%s: ms", what);
    cr_expect_eq(a->success, b->success, "%s: success", what);
    cr_expect(str_eq(a->message, b->message), "%s: message", what);
    cr_expect(str_eq(a->output, b->output), "%s: output", what);
}

static char *to_json(const tl_action *a)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_action_to_json(a, &b), TL_OK);
    return tl_buf_detach(&b, NULL);
}

static char *describe(const tl_action *a)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_action_describe(a, &b), TL_OK);
    return tl_buf_detach(&b, NULL);
}

/* ---- names --------------------------------------------------------------------------------- */

Test(action, names_and_directions)
{
    static const char *const names[] = {"tap",       "long_press", "swipe",    "scroll", "type",
                                        "press_key", "start_app",  "stop_app", "wait",   "done"};
    cr_assert_eq(sizeof(names) / sizeof(names[0]), TL_ACT__COUNT);
    for (int t = 0; t < TL_ACT__COUNT; t++) {
        cr_expect_str_eq(tl_action_name((tl_action_type)t), names[t]);
        tl_action_type back;
        cr_expect(tl_action_type_parse(names[t], &back));
        cr_expect_eq(back, t);
    }
    tl_action_type t;
    cr_expect(!tl_action_type_parse("click", &t));
    cr_expect(!tl_action_type_parse("Tap", &t));
    cr_expect_str_eq(tl_action_name(TL_ACT__COUNT), "?");
    static const char *const dirs[] = {"up", "down", "left", "right"};
    for (int d = 0; d < 4; d++) {
        tl_direction back;
        cr_expect(tl_direction_parse(dirs[d], &back));
        cr_expect_eq(back, d);
        cr_expect_str_eq(tl_direction_name(back), dirs[d]);
    }
    tl_direction d;
    cr_expect(!tl_direction_parse("forward", &d));
    cr_expect_str_eq(tl_direction_name((tl_direction)7), "?");
}

/* ---- parsing every action ------------------------------------------------------------------ */

Test(action, parse_tap)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"tap\",\"index\":12}");
    cr_expect_eq(a.type, TL_ACT_TAP);
    cr_expect(a.has_index && !a.has_point);
    cr_expect_eq(a.index, 12);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"tap\",\"x\":100,\"y\":200}");
    cr_expect(!a.has_index && a.has_point);
    cr_expect_eq(a.x, 100);
    cr_expect_eq(a.y, 200);
    tl_action_dispose(&a);
    /* white space around the object is fine */
    parse_ok(&a, " \n{\"action\":\"tap\",\"index\":1}\r\n\t ");
    cr_expect_eq(a.index, 1);
    tl_action_dispose(&a);
    /* members in any order, "action" anywhere */
    parse_ok(&a, "{\"y\":0,\"x\":0,\"action\":\"tap\"}");
    cr_expect(a.has_point);
    cr_expect_eq(a.x, 0);
    tl_action_dispose(&a);
}

Test(action, parse_long_press_and_default)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"long_press\",\"index\":3}");
    cr_expect_eq(a.type, TL_ACT_LONG_PRESS);
    cr_expect_eq(a.index, 3);
    cr_expect_eq(a.duration_ms, 800);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"long_press\",\"x\":5,\"y\":6,\"duration_ms\":2000}");
    cr_expect(a.has_point);
    cr_expect_eq(a.duration_ms, 2000);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"long_press\",\"index\":1,\"duration_ms\":1}");
    cr_expect_eq(a.duration_ms, 1);
    tl_action_dispose(&a);
}

Test(action, parse_swipe_and_default)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4}");
    cr_expect_eq(a.type, TL_ACT_SWIPE);
    cr_expect(a.has_point);
    cr_expect_eq(a.x, 1);
    cr_expect_eq(a.y, 2);
    cr_expect_eq(a.x2, 3);
    cr_expect_eq(a.y2, 4);
    cr_expect_eq(a.duration_ms, 300);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4,"
                 "\"duration_ms\":10}");
    cr_expect_eq(a.duration_ms, 10);
    tl_action_dispose(&a);
}

Test(action, parse_scroll)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"scroll\",\"direction\":\"down\"}");
    cr_expect_eq(a.type, TL_ACT_SCROLL);
    cr_expect_eq(a.direction, TL_DIR_DOWN);
    cr_expect(!a.has_index);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"scroll\",\"direction\":\"left\",\"index\":7}");
    cr_expect_eq(a.direction, TL_DIR_LEFT);
    cr_expect(a.has_index);
    cr_expect_eq(a.index, 7);
    tl_action_dispose(&a);
}

Test(action, parse_type)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"h\\u00e9llo \\\"w\\\"\",\"index\":4,"
                 "\"clear\":true}");
    cr_expect_eq(a.type, TL_ACT_TYPE);
    cr_expect_str_eq(a.text, "h\xC3\xA9llo \"w\"");
    cr_expect(a.has_index);
    cr_expect_eq(a.index, 4);
    cr_expect(a.clear);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"x\"}");
    cr_expect(!a.has_index);
    cr_expect(!a.clear);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"\",\"clear\":true}");
    cr_expect_str_eq(a.text, "");
    tl_action_dispose(&a);
}

Test(action, parse_press_key_every_key)
{
    static const char *const keys[] = {"back",   "home", "recent",        "enter",
                                       "delete", "tab",  "forward_delete"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"action\":\"press_key\",\"key\":\"%s\"}", keys[k]);
        tl_action a;
        parse_ok(&a, json);
        cr_expect_eq(a.type, TL_ACT_PRESS_KEY);
        cr_expect_eq(a.key, (tl_key)k);
        tl_action_dispose(&a);
    }
}

Test(action, parse_apps_wait_done)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"start_app\",\"package\":\"com.android.settings\"}");
    cr_expect_eq(a.type, TL_ACT_START_APP);
    cr_expect_str_eq(a.package, "com.android.settings");
    cr_expect_null(a.activity);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"start_app\",\"package\":\"com.android.settings\","
                 "\"activity\":\".Settings$WifiSettingsActivity\"}");
    cr_expect_str_eq(a.activity, ".Settings$WifiSettingsActivity");
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"start_app\",\"package\":\"com.a.b\",\"activity\":null}");
    cr_expect_null(a.activity);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"stop_app\",\"package\":\"com.google.android.youtube\"}");
    cr_expect_eq(a.type, TL_ACT_STOP_APP);
    cr_expect_str_eq(a.package, "com.google.android.youtube");
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"wait\",\"ms\":1500}");
    cr_expect_eq(a.type, TL_ACT_WAIT);
    cr_expect_eq(a.ms, 1500);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"wait\",\"ms\":0}");
    cr_expect_eq(a.ms, 0);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"wait\",\"ms\":10000}");
    cr_expect_eq(a.ms, 10000);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"done\",\"success\":true,\"message\":\"Dark theme is on\","
                 "\"output\":{\"price\": 12.5, \"items\": [1, 2]}}");
    cr_expect_eq(a.type, TL_ACT_DONE);
    cr_expect(a.success);
    cr_expect_str_eq(a.message, "Dark theme is on");
    cr_expect_str_eq(a.output, "{\"price\":12.5,\"items\":[1,2]}");
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"done\",\"success\":false,\"message\":\"\",\"output\":null}");
    cr_expect(!a.success);
    cr_expect_null(a.output);
    tl_action_dispose(&a);
}

Test(action, commentary_members_are_ignored)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"tap\",\"index\":2,\"reason\":\"the OK button\","
                 "\"thought\":\"tap it\",\"reasoning\":{\"steps\":[1,2]}}");
    cr_expect_eq(a.index, 2);
    tl_action_dispose(&a);
    call_ok(&a, "wait", "{\"ms\":5,\"reason\":\"loading\"}");
    cr_expect_eq(a.ms, 5);
    tl_action_dispose(&a);
}

/* ---- tool calls ---------------------------------------------------------------------------- */

Test(action, parse_call_every_action)
{
    tl_action a;
    call_ok(&a, "tap", "{\"index\":3}");
    cr_expect_eq(a.type, TL_ACT_TAP);
    cr_expect_eq(a.index, 3);
    tl_action_dispose(&a);
    call_ok(&a, "long_press", "{\"x\":1,\"y\":2}");
    cr_expect_eq(a.type, TL_ACT_LONG_PRESS);
    cr_expect_eq(a.duration_ms, 800);
    tl_action_dispose(&a);
    call_ok(&a, "swipe", "{\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4}");
    cr_expect_eq(a.type, TL_ACT_SWIPE);
    cr_expect_eq(a.duration_ms, 300);
    tl_action_dispose(&a);
    call_ok(&a, "scroll", "{\"direction\":\"up\"}");
    cr_expect_eq(a.direction, TL_DIR_UP);
    tl_action_dispose(&a);
    call_ok(&a, "type", "{\"text\":\"hi\",\"index\":1}");
    cr_expect_str_eq(a.text, "hi");
    tl_action_dispose(&a);
    call_ok(&a, "press_key", "{\"key\":\"enter\"}");
    cr_expect_eq(a.key, TL_KEY_ENTER);
    tl_action_dispose(&a);
    call_ok(&a, "start_app", "{\"package\":\"org.mozilla.firefox\"}");
    cr_expect_str_eq(a.package, "org.mozilla.firefox");
    tl_action_dispose(&a);
    call_ok(&a, "stop_app", "{\"package\":\"org.mozilla.firefox\"}");
    cr_expect_eq(a.type, TL_ACT_STOP_APP);
    tl_action_dispose(&a);
    call_ok(&a, "wait", "{\"ms\":100}");
    cr_expect_eq(a.ms, 100);
    tl_action_dispose(&a);
    call_ok(&a, "done", "{\"success\":true,\"message\":\"ok\"}");
    cr_expect(a.success);
    tl_action_dispose(&a);
}

Test(action, parse_call_errors)
{
    call_err("click", "{\"index\":1}", "unknown action \"click\"");
    call_err("tap", "[1]", "must be a JSON object");
    call_err("tap", "{\"index\":", "not valid JSON");
    call_err("wait", NULL, "wait needs ms");
    call_err("wait", "", "wait needs ms");
    call_err("tap", "{}", "tap needs index");
    call_err("done", "{\"message\":\"x\"}", "done needs success");
}

/* ---- errors -------------------------------------------------------------------------------- */

Test(action, envelope_errors)
{
    parse_err("", "not valid JSON");
    parse_err("{\"action\":\"tap\",\"index\":1", "not valid JSON");
    parse_err("{\"action\":\"tap\",\"index\":1} x", "not valid JSON");
    parse_err("{\"action\":\"tap\",\"index\":1}{\"action\":\"tap\",\"index\":2}",
              "unexpected text after the object at byte 26");
    parse_err("[{\"action\":\"tap\"}]", "must be a JSON object");
    parse_err("{\"index\":1}", "no \"action\"");
    parse_err("{\"action\":5}", "no \"action\"");
    parse_err("{\"action\":\"click\",\"index\":1}",
              "unknown action \"click\" (use tap, long_press, swipe, scroll, type, press_key, "
              "start_app, stop_app, wait or done)");
}

Test(action, unknown_argument_names_the_expected_ones)
{
    parse_err("{\"action\":\"tap\",\"index\":1,\"foo\":2}",
              "unknown argument \"foo\" for tap (it takes index, x, y)");
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4,"
              "\"x\":1}",
              "unknown argument \"x\" for swipe (it takes start_x, start_y, end_x, end_y, "
              "duration_ms)");
    parse_err("{\"action\":\"wait\",\"ms\":1,\"duration_ms\":5}",
              "unknown argument \"duration_ms\" for wait (it takes ms)");
    parse_err("{\"action\":\"done\",\"success\":true,\"message\":\"\",\"Reason\":\"x\"}",
              "unknown argument \"Reason\"");
}

Test(action, target_errors)
{
    parse_err("{\"action\":\"tap\",\"index\":1,\"x\":1,\"y\":2}",
              "tap takes either index or x and y, not both");
    parse_err("{\"action\":\"long_press\",\"index\":1,\"x\":1,\"y\":2}", "not both");
    parse_err("{\"action\":\"tap\",\"x\":1}", "tap needs both x and y");
    parse_err("{\"action\":\"tap\",\"y\":1}", "tap needs both x and y");
    parse_err("{\"action\":\"tap\"}", "tap needs index (an element of the listing) or x and y");
    parse_err("{\"action\":\"tap\",\"index\":0}", "tap: index must be 1 or more, not 0");
    parse_err("{\"action\":\"tap\",\"index\":-3}", "index must be 1 or more");
    parse_err("{\"action\":\"tap\",\"x\":-1,\"y\":5}", "x and y must not be negative (-1,5)");
    parse_err("{\"action\":\"scroll\",\"direction\":\"up\",\"index\":0}",
              "scroll: index must be 1 or more");
    parse_err("{\"action\":\"type\",\"text\":\"a\",\"index\":0}", "type: index must be 1 or more");
}

Test(action, swipe_errors)
{
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3}",
              "swipe needs start_x, start_y, end_x and end_y (end_y is missing)");
    parse_err("{\"action\":\"swipe\",\"start_y\":2,\"end_x\":3,\"end_y\":4}",
              "(start_x is missing)");
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4,"
              "\"duration_ms\":5}",
              "swipe: duration_ms must be between 10 and 60000, not 5");
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4,"
              "\"duration_ms\":9}",
              "not 9");
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4,"
              "\"duration_ms\":60001}",
              "not 60001");
    parse_err("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":-3,\"end_y\":4}",
              "not negative");
}

Test(action, duration_and_wait_ranges)
{
    parse_err("{\"action\":\"long_press\",\"index\":1,\"duration_ms\":0}",
              "long_press: duration_ms must be between 1 and 60000, not 0");
    parse_err("{\"action\":\"long_press\",\"index\":1,\"duration_ms\":60001}", "not 60001");
    parse_err("{\"action\":\"wait\",\"ms\":10001}", "wait needs ms between 0 and 10000");
    parse_err("{\"action\":\"wait\",\"ms\":-1}", "wait needs ms between 0 and 10000");
    parse_err("{\"action\":\"wait\"}", "wait needs ms");
}

Test(action, key_and_direction_errors)
{
    parse_err("{\"action\":\"press_key\",\"key\":\"volume_up\"}",
              "press_key: key must be one of back, home, recent, enter, delete, tab, "
              "forward_delete");
    parse_err("{\"action\":\"press_key\",\"key\":\"BACK\"}", "key must be one of");
    parse_err("{\"action\":\"press_key\",\"key\":4}", "key must be one of");
    parse_err("{\"action\":\"press_key\"}", "press_key needs key: back, home");
    parse_err("{\"action\":\"scroll\",\"direction\":\"forward\"}",
              "scroll: direction must be up, down, left or right");
    parse_err("{\"action\":\"scroll\",\"direction\":1}", "direction must be up, down");
    parse_err("{\"action\":\"scroll\"}", "scroll needs direction: up, down, left or right");
}

Test(action, package_and_activity_errors)
{
    parse_err("{\"action\":\"start_app\",\"package\":\"Settings\"}",
              "start_app: \"Settings\" is not an Android package name (e.g. com.android.settings)");
    parse_err("{\"action\":\"stop_app\",\"package\":\"com\"}",
              "stop_app: \"com\" is not an Android package name");
    parse_err("{\"action\":\"start_app\",\"package\":\"com.example.\"}", "not an Android package");
    parse_err("{\"action\":\"start_app\",\"package\":\".com.example\"}", "not an Android package");
    parse_err("{\"action\":\"start_app\",\"package\":\"com..example\"}", "not an Android package");
    parse_err("{\"action\":\"start_app\",\"package\":\"1com.example\"}", "not an Android package");
    parse_err("{\"action\":\"start_app\",\"package\":\"com.exa mple\"}", "not an Android package");
    parse_err("{\"action\":\"start_app\",\"package\":\"\"}", "start_app needs package");
    parse_err("{\"action\":\"start_app\"}", "start_app needs package");
    parse_err("{\"action\":\"start_app\",\"package\":5}", "start_app: package must be a string");
    parse_err("{\"action\":\"start_app\",\"package\":\"com.a.b\",\"activity\":\".Main Activity\"}",
              "start_app: \".Main Activity\" is not an activity name (e.g. .MainActivity)");
    parse_err("{\"action\":\"stop_app\",\"package\":\"com.a.b\",\"activity\":\".Main\"}",
              "unknown argument \"activity\" for stop_app");

    tl_action a;
    parse_ok(&a, "{\"action\":\"start_app\",\"package\":\"com.a_b.c9\","
                 "\"activity\":\"com.a_b.c9/.ui.Main\"}");
    tl_action_dispose(&a);
}

Test(action, type_and_done_errors)
{
    parse_err("{\"action\":\"type\"}", "type needs text");
    parse_err("{\"action\":\"type\",\"text\":\"\"}", "type needs text (or clear: true");
    parse_err("{\"action\":\"type\",\"text\":\"\",\"clear\":false}", "type needs text");
    parse_err("{\"action\":\"type\",\"text\":5}", "type: text must be a string");
    parse_err("{\"action\":\"done\",\"message\":\"x\"}",
              "done needs success (true or false) and message");
    parse_err("{\"action\":\"done\",\"success\":true}", "done needs success");
    parse_err("{\"action\":\"done\",\"success\":true,\"message\":null}",
              "message must be a string");
    parse_err("{\"action\":\"done\",\"success\":true,\"message\":\"\",\"output\":[1]}",
              "done: output must be a JSON object");
}

/* ---- value types --------------------------------------------------------------------------- */

Test(action, numbers_as_strings_accepted)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"tap\",\"index\":\"12\"}");
    cr_expect(a.has_index);
    cr_expect_eq(a.index, 12);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"tap\",\"x\":\"100\",\"y\":\"200\"}");
    cr_expect_eq(a.x, 100);
    cr_expect_eq(a.y, 200);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"wait\",\"ms\":\"250\"}");
    cr_expect_eq(a.ms, 250);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"tap\",\"index\":12.0}");
    cr_expect_eq(a.index, 12);
    tl_action_dispose(&a);
}

Test(action, non_integers_rejected)
{
    parse_err("{\"action\":\"tap\",\"index\":12.5}", "tap: index must be an integer, not 12.5");
    parse_err("{\"action\":\"tap\",\"index\":\"12.5\"}", "tap: index must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":\"twelve\"}",
              "tap: index must be an integer, not \"twelve\"");
    parse_err("{\"action\":\"tap\",\"index\":\"0x10\"}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":\"12 \"}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":\"\"}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":true}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":null}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":[1]}", "must be an integer");
    parse_err("{\"action\":\"tap\",\"index\":1e12}", "must be an integer");
    parse_err("{\"action\":\"wait\",\"ms\":\"nan\"}", "must be an integer");
    parse_err("{\"action\":\"wait\",\"ms\":\"inf\"}", "must be an integer");
}

Test(action, booleans_as_literals_or_strings)
{
    tl_action a;
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"a\",\"clear\":\"true\"}");
    cr_expect(a.clear);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"a\",\"clear\":\"false\"}");
    cr_expect(!a.clear);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"done\",\"success\":\"true\",\"message\":\"m\"}");
    cr_expect(a.success);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"done\",\"success\":false,\"message\":\"m\"}");
    cr_expect(!a.success);
    tl_action_dispose(&a);
    parse_err("{\"action\":\"type\",\"text\":\"a\",\"clear\":\"yes\"}",
              "type: clear must be true or false");
    parse_err("{\"action\":\"type\",\"text\":\"a\",\"clear\":1}", "clear must be true or false");
    parse_err("{\"action\":\"done\",\"success\":\"True\",\"message\":\"m\"}",
              "done: success must be true or false");
    parse_err("{\"action\":\"done\",\"success\":null,\"message\":\"m\"}", "true or false");
}

/* ---- checking hand-built actions ----------------------------------------------------------- */

Test(action, check_hand_built_actions)
{
    tl_action a;
    tl_action_init(&a);
    tl_error err = {0};
    a.type = TL_ACT_TAP;
    cr_expect_eq(tl_action_check(&a, &err), TL_EPARSE);
    a.has_index = true;
    a.index = 1;
    cr_expect_eq(tl_action_check(&a, &err), TL_OK, "%s", err.msg);
    a.type = TL_ACT_TYPE;
    cr_expect_eq(tl_action_check(&a, &err), TL_EPARSE, "type without text");
    a.text = malloc(3);
    cr_assert_not_null(a.text);
    memcpy(a.text, "\xC3(", 3); /* not UTF-8 */
    cr_expect_eq(tl_action_check(&a, &err), TL_EPARSE);
    cr_expect_not_null(strstr(err.msg, "UTF-8"), "%s", err.msg);
    tl_action_dispose(&a);
    cr_expect_null(a.text, "dispose leaves an initialised action");
    a.type = (tl_action_type)TL_ACT__COUNT;
    cr_expect_eq(tl_action_check(&a, &err), TL_EPARSE);
    cr_expect_eq(tl_action_check(&a, NULL), TL_EPARSE);
}

/* ---- round trip ---------------------------------------------------------------------------- */

Test(action, round_trip_every_action)
{
    static const char *const cases[] = {
        "{\"action\":\"tap\",\"index\":12}",
        "{\"action\":\"tap\",\"x\":0,\"y\":2399}",
        "{\"action\":\"long_press\",\"index\":3}",
        "{\"action\":\"long_press\",\"x\":10,\"y\":20,\"duration_ms\":1234}",
        "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4}",
        "{\"action\":\"swipe\",\"start_x\":540,\"start_y\":1800,\"end_x\":540,\"end_y\":600,"
        "\"duration_ms\":60000}",
        "{\"action\":\"scroll\",\"direction\":\"down\"}",
        "{\"action\":\"scroll\",\"direction\":\"up\",\"index\":5}",
        "{\"action\":\"scroll\",\"direction\":\"left\"}",
        "{\"action\":\"scroll\",\"direction\":\"right\",\"index\":1}",
        "{\"action\":\"type\",\"text\":\"hello\"}",
        "{\"action\":\"type\",\"text\":\"q\\\"uo\\\\te\\n\\u00e9\\u4e2d\",\"index\":4,"
        "\"clear\":true}",
        "{\"action\":\"type\",\"text\":\"\",\"clear\":true}",
        "{\"action\":\"press_key\",\"key\":\"back\"}",
        "{\"action\":\"press_key\",\"key\":\"home\"}",
        "{\"action\":\"press_key\",\"key\":\"recent\"}",
        "{\"action\":\"press_key\",\"key\":\"enter\"}",
        "{\"action\":\"press_key\",\"key\":\"delete\"}",
        "{\"action\":\"press_key\",\"key\":\"tab\"}",
        "{\"action\":\"press_key\",\"key\":\"forward_delete\"}",
        "{\"action\":\"start_app\",\"package\":\"com.android.settings\"}",
        "{\"action\":\"start_app\",\"package\":\"com.android.settings\",\"activity\":\"."
        "Settings\"}",
        "{\"action\":\"stop_app\",\"package\":\"com.android.chrome\"}",
        "{\"action\":\"wait\",\"ms\":0}",
        "{\"action\":\"wait\",\"ms\":10000}",
        "{\"action\":\"done\",\"success\":true,\"message\":\"all \\\"good\\\"\"}",
        "{\"action\":\"done\",\"success\":false,\"message\":\"\"}",
        "{\"action\":\"done\",\"success\":true,\"message\":\"m\",\"output\":{\"a\":[1,\"x\"],"
        "\"b\":{\"c\":null}}}",
    };
    bool seen[TL_ACT__COUNT] = {false};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tl_action a, b;
        parse_ok(&a, cases[i]);
        seen[a.type] = true;
        char *json = to_json(&a);
        parse_ok(&b, json);
        expect_equal(&a, &b, cases[i]);
        /* serialising again gives the same bytes */
        char *again = to_json(&b);
        cr_expect_str_eq(json, again, "%s", cases[i]);
        free(json);
        free(again);
        tl_action_dispose(&a);
        tl_action_dispose(&b);
    }
    for (int t = 0; t < TL_ACT__COUNT; t++)
        cr_expect(seen[t], "no round trip case for %s", tl_action_name((tl_action_type)t));
}

Test(action, to_json_exact_forms)
{
    tl_action a;
    parse_ok(&a, "{\"index\":\"7\",\"action\":\"long_press\",\"reason\":\"x\"}");
    char *j = to_json(&a);
    cr_expect_str_eq(j, "{\"action\":\"long_press\",\"index\":7,\"duration_ms\":800}");
    free(j);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"type\",\"text\":\"a\\nb\",\"clear\":false}");
    j = to_json(&a);
    cr_expect_str_eq(j, "{\"action\":\"type\",\"text\":\"a\\nb\"}");
    free(j);
    tl_action_dispose(&a);
    parse_ok(&a, "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4}");
    j = to_json(&a);
    cr_expect_str_eq(j, "{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,"
                        "\"end_y\":4,\"duration_ms\":300}");
    free(j);
    tl_action_dispose(&a);
}

/* ---- describe ------------------------------------------------------------------------------ */

static void expect_describe(const char *json, const char *want)
{
    tl_action a;
    parse_ok(&a, json);
    char *d = describe(&a);
    cr_expect_str_eq(d, want, "%s", json);
    free(d);
    tl_action_dispose(&a);
}

Test(action, describe_texts)
{
    expect_describe("{\"action\":\"tap\",\"index\":12}", "tap [12]");
    expect_describe("{\"action\":\"tap\",\"x\":100,\"y\":200}", "tap (100,200)");
    expect_describe("{\"action\":\"long_press\",\"index\":3}", "long_press [3] 800ms");
    expect_describe("{\"action\":\"long_press\",\"x\":1,\"y\":2,\"duration_ms\":50}",
                    "long_press (1,2) 50ms");
    expect_describe("{\"action\":\"swipe\",\"start_x\":1,\"start_y\":2,\"end_x\":3,\"end_y\":4}",
                    "swipe (1,2)->(3,4) 300ms");
    expect_describe("{\"action\":\"scroll\",\"direction\":\"down\"}", "scroll down");
    expect_describe("{\"action\":\"scroll\",\"direction\":\"up\",\"index\":5}", "scroll up [5]");
    expect_describe("{\"action\":\"type\",\"text\":\"hello\",\"index\":4}",
                    "type \"hello\" into [4]");
    expect_describe("{\"action\":\"type\",\"text\":\"a\\\"b\",\"clear\":true}",
                    "type \"a\\\"b\" (clear first)");
    expect_describe("{\"action\":\"type\",\"text\":\"x\",\"index\":2,\"clear\":true}",
                    "type \"x\" into [2] (clear first)");
    expect_describe("{\"action\":\"press_key\",\"key\":\"back\"}", "press_key back");
    expect_describe("{\"action\":\"start_app\",\"package\":\"com.android.settings\"}",
                    "start_app com.android.settings");
    expect_describe("{\"action\":\"start_app\",\"package\":\"com.android.settings\","
                    "\"activity\":\".Settings\"}",
                    "start_app com.android.settings/.Settings");
    expect_describe("{\"action\":\"stop_app\",\"package\":\"com.x.y\"}", "stop_app com.x.y");
    expect_describe("{\"action\":\"wait\",\"ms\":500}", "wait 500ms");
    expect_describe("{\"action\":\"done\",\"success\":true,\"message\":\"ok\"}",
                    "done success \"ok\"");
    expect_describe("{\"action\":\"done\",\"success\":false,\"message\":\"no\"}",
                    "done failure \"no\"");
}
