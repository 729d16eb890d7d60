/*
 * cmd_act.c - `taploop act ACTION [ARGS]`: perform one action of SPEC §3 directly.
 *
 * Arguments become a tl_action (the same type the LLM's answers become), checked by the same
 * validator and resolved on the current screen by the same code as in a run: an index must be
 * in the listing, a point on the screen. A target may also be named by a selector (--text,
 * --desc, --id, --class, --select KEY=VALUE): the first visible match in reading order.
 */
#include <stdio.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/exec.h"
#include "agent/observe.h"
#include "agent/selector.h"
#include "core/json.h"
#include "core/str.h"

#define MAX_SELECT 8

struct act_opts {
    const struct tl_command *cmd;
    long index;
    bool has_index;
    long duration;
    bool has_duration;
    bool clear;
    const char *activity;
    const char *sel_key[MAX_SELECT]; /* not NUL-terminated: sel_keylen bytes */
    size_t sel_keylen[MAX_SELECT];
    const char *sel_val[MAX_SELECT];
    size_t nsel;
};

static bool add_select(struct act_opts *o, const char *key, size_t keylen, const char *val)
{
    if (o->nsel == MAX_SELECT) {
        tl_cli_usage(o->cmd, "at most %d selector options", MAX_SELECT);
        return false;
    }
    o->sel_key[o->nsel] = key;
    o->sel_keylen[o->nsel] = keylen;
    o->sel_val[o->nsel++] = val;
    return true;
}

static bool handle(int c, const char *arg, void *payload)
{
    struct act_opts *o = payload;
    switch (c) {
    case TL_OPT_INDEX:
        if (!tl_cli_parse_long(arg, 1, 1000000, &o->index)) {
            tl_cli_usage(o->cmd, "--index takes a listing index (1 or more), not '%s'", arg);
            return false;
        }
        o->has_index = true;
        return true;
    case TL_OPT_DURATION:
        if (!tl_cli_parse_long(arg, 1, TL_DURATION_MAX_MS, &o->duration)) {
            tl_cli_usage(o->cmd, "--duration takes milliseconds (1..%d), not '%s'",
                         TL_DURATION_MAX_MS, arg);
            return false;
        }
        o->has_duration = true;
        return true;
    case TL_OPT_CLEAR: o->clear = true; return true;
    case TL_OPT_ACTIVITY: o->activity = arg; return true;
    case TL_OPT_TEXT: return add_select(o, "text", 4, arg);
    case TL_OPT_DESC: return add_select(o, "desc", 4, arg);
    case TL_OPT_ID: return add_select(o, "id", 2, arg);
    case TL_OPT_CLASS: return add_select(o, "class", 5, arg);
    case TL_OPT_SELECT: {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || eq - arg >= 32) {
            tl_cli_usage(o->cmd, "--select takes KEY=VALUE, e.g. --select checked=true");
            return false;
        }
        return add_select(o, arg, (size_t)(eq - arg), eq + 1);
    }
    default: return false;
    }
}

/* Positional arguments of each action, for the usage check. */
static const struct {
    tl_action_type type;
    const char *form;
} forms[] = {
    {TL_ACT_TAP, "tap X Y | tap --index N | tap --text T"},
    {TL_ACT_LONG_PRESS, "long_press X Y [--duration MS] | long_press --index N"},
    {TL_ACT_SWIPE, "swipe X1 Y1 X2 Y2 [--duration MS]"},
    {TL_ACT_SCROLL, "scroll up|down|left|right [--index N]"},
    {TL_ACT_TYPE, "type TEXT [--index N] [--clear]"},
    {TL_ACT_PRESS_KEY, "press_key back|home|recent|enter|delete|tab|forward_delete"},
    {TL_ACT_START_APP, "start_app PACKAGE [--activity NAME]"},
    {TL_ACT_STOP_APP, "stop_app PACKAGE"},
    {TL_ACT_WAIT, "wait MS"},
};

static const char *form_of(tl_action_type t)
{
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (forms[i].type == t)
            return forms[i].form;
    return "";
}

static bool coord(const char *s, long *out)
{
    return tl_cli_parse_long(s, 0, 100000, out);
}

/* Build the action from the positional arguments and options. @return -1 or an exit code. */
static int build(struct act_opts *o, tl_action *a, int nargs, char **args)
{
    const char *name = args[0];
    if (!tl_action_type_parse(name, &a->type) || a->type == TL_ACT_DONE)
        return tl_cli_usage(o->cmd,
                            "unknown action \"%s\" (tap, long_press, swipe, scroll, type, "
                            "press_key, start_app, stop_app, wait, reset)",
                            name);
    int want;
    switch (a->type) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS: want = (o->has_index || o->nsel) ? 1 : 3; break;
    case TL_ACT_SWIPE: want = 5; break;
    default: want = 2;
    }
    if (nargs != want)
        return tl_cli_usage(o->cmd, "usage: taploop act %s", form_of(a->type));
    bool ok = true;
    switch (a->type) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS:
        if (want == 3) {
            ok = coord(args[1], &a->x) && coord(args[2], &a->y);
            a->has_point = true;
        }
        a->duration_ms = o->has_duration ? o->duration : TL_LONG_PRESS_DEFAULT_MS;
        break;
    case TL_ACT_SWIPE:
        ok = coord(args[1], &a->x) && coord(args[2], &a->y) && coord(args[3], &a->x2) &&
             coord(args[4], &a->y2);
        a->has_point = true;
        a->duration_ms = o->has_duration ? o->duration : TL_SWIPE_DEFAULT_MS;
        break;
    case TL_ACT_SCROLL: ok = tl_direction_parse(args[1], &a->direction); break;
    case TL_ACT_TYPE:
        a->text = tl_strdup(args[1]);
        a->clear = o->clear;
        ok = a->text != NULL;
        break;
    case TL_ACT_PRESS_KEY: ok = tl_key_parse(args[1], &a->key); break;
    case TL_ACT_START_APP:
    case TL_ACT_STOP_APP:
        a->package = tl_strdup(args[1]);
        a->activity = o->activity ? tl_strdup(o->activity) : NULL;
        ok = a->package && (!o->activity || a->activity);
        break;
    case TL_ACT_WAIT: ok = tl_cli_parse_long(args[1], 0, TL_WAIT_MAX_MS, &a->ms); break;
    default: break;
    }
    if (!ok)
        return tl_cli_usage(o->cmd, "usage: taploop act %s", form_of(a->type));
    if (o->has_index) {
        a->has_index = true;
        a->index = o->index;
    }
    if (o->activity && a->type != TL_ACT_START_APP)
        return tl_cli_usage(o->cmd, "--activity goes with start_app");
    bool targets = a->type == TL_ACT_TAP || a->type == TL_ACT_LONG_PRESS ||
                   a->type == TL_ACT_SCROLL || a->type == TL_ACT_TYPE;
    if ((o->has_index || o->nsel) && !targets)
        return tl_cli_usage(o->cmd, "%s takes no --index or selector", name);
    if (o->has_index && o->nsel)
        return tl_cli_usage(o->cmd, "give --index or a selector, not both");
    tl_error err;
    tl_error_clear(&err);
    if (!o->nsel && tl_action_check(a, &err) != TL_OK)
        return tl_cli_usage(o->cmd, "%s", err.msg);
    return -1;
}

/* Point the action at the element a selector finds. */
static int apply_selector(const struct act_opts *o, const tl_ui *ui, tl_action *a, tl_error *err)
{
    tl_selector *sel = tl_selector_new();
    if (!sel)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    int rc = TL_OK;
    for (size_t i = 0; i < o->nsel && rc == TL_OK; i++) {
        char key[32];
        memcpy(key, o->sel_key[i], o->sel_keylen[i]);
        key[o->sel_keylen[i]] = '\0';
        rc = tl_selector_set(sel, key, o->sel_val[i], err);
    }
    const tl_element *e = rc == TL_OK ? tl_ui_find(ui, sel) : NULL;
    if (rc == TL_OK && !e) {
        tl_buf msg;
        tl_buf_init(&msg, 1 << 16);
        tl_ui_describe_miss(ui, sel, 5, &msg);
        rc = tl_error_set(err, TL_EREJECTED, "%s", msg.data ? msg.data : "no match");
        tl_buf_dispose(&msg);
    }
    if (rc == TL_OK && (e->flags & TL_EL_ABSORBED))
        e = &tl_ui_elements(ui)[e->label_owner]; /* the line that shows this text */
    if (rc == TL_OK) {
        if (e->index > 0) {
            a->has_index = true;
            a->index = e->index;
        } else { /* not listed: tap where it is */
            a->has_point = true;
            a->x = e->tap_x;
            a->y = e->tap_y;
        }
        rc = tl_action_check(a, err);
    }
    tl_selector_free(sel);
    return rc;
}

static int report(const struct tl_cli_common *co, const tl_ui *ui, const tl_action *a,
                  const tl_exec_result *res, tl_error *err)
{
    tl_buf out;
    tl_buf_init(&out, 1 << 20);
    int rc = TL_OK;
    /* text typed into a password field is never printed */
    tl_action shown = *a;
    if (res->secret)
        shown.text = (char *)TL_UI_MASK;
    const tl_element *e = tl_exec_element(ui, a, res);
    if (co->json) {
        rc |= tl_buf_puts(&out, "{\"ok\":true,\"action\":");
        rc |= tl_action_to_json(&shown, &out);
        if (res->has_point)
            rc |= tl_buf_printf(&out, ",\"x\":%d,\"y\":%d", res->x, res->y);
        if (res->has_end)
            rc |= tl_buf_printf(&out, ",\"x2\":%d,\"y2\":%d", res->x2, res->y2);
        rc |= tl_buf_puts(&out, ",\"element\":");
        if (e) {
            tl_buf line;
            tl_buf_init(&line, 1 << 16);
            rc |= tl_ui_element_line(ui, e, &line);
            rc |= tl_json_cstr(&out, line.data);
            tl_buf_dispose(&line);
        } else {
            rc |= tl_buf_puts(&out, "null");
        }
        rc |= tl_buf_puts(&out, "}\n");
    } else {
        rc |= tl_buf_puts(&out, "ok: ");
        rc |= tl_exec_describe(ui, a, res, &out);
        rc |= tl_buf_putc(&out, '\n');
    }
    rc = tl_cli_print(&out, rc, err);
    tl_buf_dispose(&out);
    return rc;
}

static int act(const struct act_opts *o, const struct tl_cli_common *co, tl_action *a,
               tl_error *err)
{
    tl_ui_options uo;
    int rc = tl_cli_ui_options(&uo, err);
    if (rc)
        return rc;
    tl_driver_config cfg = {.persist = true};
    tl_cli_driver_config(co, &cfg);
    tl_driver *drv = NULL;
    tl_observation obs;
    tl_observation_init(&obs);
    tl_ui *ui = NULL;
    rc = tl_driver_open(&drv, co->driver, &cfg, err);
    if (rc == TL_OK && (tl_exec_needs_screen(a) || o->nsel)) {
        ui = tl_ui_new();
        rc = ui ? tl_observe(drv, 0, &uo, &obs, ui, err)
                : tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    if (rc == TL_OK && o->nsel)
        rc = apply_selector(o, ui, a, err);
    tl_exec_result res;
    if (rc == TL_OK)
        rc = tl_exec(drv, ui, a, NULL, &res, err);
    if (rc == TL_OK)
        rc = report(co, ui, a, &res, err);
    if (rc && rc != TL_ENOMEM)
        tl_error_prefix(err, "act %s: ", tl_action_name(a->type));
    tl_driver_close(drv);
    tl_observation_dispose(&obs);
    tl_ui_free(ui);
    return rc;
}

static int reset(const struct tl_cli_common *co, tl_error *err)
{
    /* fresh: a damaged saved state must not stop the reset that repairs it */
    tl_driver_config cfg = {.persist = true, .fresh = true};
    tl_cli_driver_config(co, &cfg);
    tl_driver *drv = NULL;
    int rc = tl_driver_open(&drv, co->driver, &cfg, err);
    if (rc == TL_OK)
        rc = tl_driver_reset(drv, err);
    if (rc == TL_OK) {
        if (co->json)
            printf("{\"ok\":true,\"action\":{\"action\":\"reset\"},\"device\":\"%s\"}\n",
                   tl_driver_device(drv));
        else
            printf("ok: reset %s to its initial state\n", tl_driver_device(drv));
    }
    tl_driver_close(drv);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"index", required_argument, NULL, TL_OPT_INDEX},
        {"duration", required_argument, NULL, TL_OPT_DURATION},
        {"clear", no_argument, NULL, TL_OPT_CLEAR},
        {"activity", required_argument, NULL, TL_OPT_ACTIVITY},
        {"text", required_argument, NULL, TL_OPT_TEXT},
        {"desc", required_argument, NULL, TL_OPT_DESC},
        {"id", required_argument, NULL, TL_OPT_ID},
        {"class", required_argument, NULL, TL_OPT_CLASS},
        {"select", required_argument, NULL, TL_OPT_SELECT},
        TL_CLI_COMMON_OPTIONS,
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    struct act_opts o = {.cmd = &tl_cmd_act};
    int first;
    int ex = tl_cli_parse(&tl_cmd_act, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_act, "which action? (tap, long_press, swipe, scroll, type, "
                                         "press_key, start_app, stop_app, wait, reset)");
    tl_error err;
    tl_error_clear(&err);
    int rc = tl_cli_common_finish(&co, &err);
    if (rc)
        return tl_cli_fail(&err);
    if (strcmp(argv[first], "reset") == 0) {
        if (argc - first != 1)
            return tl_cli_usage(&tl_cmd_act, "reset takes no arguments");
        return reset(&co, &err) ? tl_cli_fail(&err) : TL_EXIT_OK;
    }
    tl_action a;
    tl_action_init(&a);
    ex = build(&o, &a, argc - first, argv + first);
    if (ex < 0) {
        rc = act(&o, &co, &a, &err);
        ex = rc ? tl_cli_fail(&err) : TL_EXIT_OK;
    }
    tl_action_dispose(&a);
    return ex;
}

const struct tl_command tl_cmd_act = {
    .name = "act",
    .summary = "perform one action on the device (tap, type, scroll, ...)",
    .help =
        "usage: taploop act ACTION [ARGS] [options]\n"
        "\n"
        "Perform one action of the agent's action set directly:\n"
        "  tap X Y                      tap a point (screen pixels)\n"
        "  tap --index N                tap element [N] of `taploop observe`'s listing\n"
        "  long_press X Y | --index N   [--duration MS, default 800]\n"
        "  swipe X1 Y1 X2 Y2            [--duration MS, default 300, at least 10]\n"
        "  scroll up|down|left|right    [--index N]; down reveals what is further down\n"
        "  type TEXT                    into the focused field [--index N taps it first]\n"
        "                               [--clear empties the field first]\n"
        "  press_key KEY                back, home, recent, enter, delete, tab, forward_delete\n"
        "  start_app PACKAGE            [--activity NAME]\n"
        "  stop_app PACKAGE             force-stop an app\n"
        "  wait MS                      at most 10000\n"
        "  reset                        (sim) restore the phone's initial state\n"
        "\n"
        "Instead of --index, name the target with a selector: the first visible match in\n"
        "reading order. A value written /.../ or /.../i is a regular expression.\n"
        "  --text T, --desc D, --id ID, --class C, --select KEY=VALUE (KEY: text, desc, id,\n"
        "  class, package, checked, enabled, selected, focused, clickable, editable, "
        "scrollable)\n"
        "\n"
        "  --json          print {\"ok\":true,\"action\":{...},\"x\":..,\"y\":..,\"element\":...}\n"
        "  --driver NAME   sim, mobilerun, armcloud or adb (default: $TAPLOOP_DRIVER or sim)\n"
        "  --device ID     sim, sim:NAME or a sim model JSON; a Mobilerun device id; an\n"
        "                  ArmCloud pad code; an adb serial\n"
        "                  (default: $TAPLOOP_DEVICE, else the driver's first ready device)\n"
        "  --wait          wait for the device to become ready instead of failing\n"
        "\n"
        "An index not in the listing or a point off the screen is refused (exit 1) and nothing\n"
        "is sent to the device. Use `--` before a TEXT that starts with '-'.\n",
    .run = run,
    .flags = TL_CMD_WAIT,
};
