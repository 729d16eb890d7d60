/*
 * cmd_act.c - `taploop act ACTION [ARGS]`: perform one action of SPEC §3 directly.
 *
 * Arguments become a tl_action (the same type the LLM's answers become), checked by the same
 * validator and resolved on the current screen by the same code as in a run: an index must be
 * in the listing, a point on the screen. A target may also be named by a selector (--text,
 * --desc, --id, --class, --select KEY=VALUE): the first visible match in reading order.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
    const char *index;    /* --index as given, checked once the action is known */
    const char *duration; /* --duration as given, likewise */
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
    case TL_OPT_INDEX: o->index = arg; return true;
    case TL_OPT_DURATION: o->duration = arg; return true;
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

/* Positional arguments of each action: the usage line, their names and what they take. */
static const struct {
    tl_action_type type;
    const char *form;
    const char *args[4];
    const char *rule;
} forms[] = {
    {TL_ACT_TAP, "tap X Y | tap --index N | tap --text T", {"X", "Y"}, "screen pixels"},
    {TL_ACT_LONG_PRESS,
     "long_press X Y [--duration MS] | long_press --index N",
     {"X", "Y"},
     "screen pixels"},
    {TL_ACT_SWIPE, "swipe X1 Y1 X2 Y2 [--duration MS]", {"X1", "Y1", "X2", "Y2"}, "screen pixels"},
    {TL_ACT_SCROLL,
     "scroll up|down|left|right [--index N]",
     {"DIRECTION"},
     "up, down, left or right"},
    {TL_ACT_TYPE, "type TEXT [--index N] [--clear]", {"TEXT"}, "the text to type"},
    {TL_ACT_PRESS_KEY,
     "press_key back|home|recent|enter|delete|tab|forward_delete",
     {"KEY"},
     "back, home, recent, enter, delete, tab or forward_delete"},
    {TL_ACT_START_APP,
     "start_app PACKAGE [--activity NAME]",
     {"PACKAGE"},
     "an Android package name, e.g. com.android.settings"},
    {TL_ACT_STOP_APP,
     "stop_app PACKAGE",
     {"PACKAGE"},
     "an Android package name, e.g. com.android.settings"},
    {TL_ACT_WAIT, "wait MS", {"MS"}, "milliseconds, at most 10000"},
};

static size_t form_of(tl_action_type t)
{
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (forms[i].type == t)
            return i;
    return 0; /* not reached: every action but done has a form */
}

/* "taploop act ACTION: message" and the action's usage line. @return TL_EXIT_USAGE. */
static int arg_error(tl_action_type t, const char *fmt, ...) TL_PRINTF(2, 3);

static int arg_error(tl_action_type t, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "taploop act %s: %s\nusage: taploop act %s\n", tl_action_name(t), msg,
            forms[form_of(t)].form);
    return TL_EXIT_USAGE;
}

/* A whole number in `s`. @return false if it is not one; out of range of long, *out is
 * LONG_MIN or LONG_MAX, which every range check below refuses. */
static bool number(const char *s, long *out)
{
    char *end;
    *out = strtol(s, &end, 10);
    return end != s && *end == '\0';
}

#define COORD_MAX 100000

/* Coordinate argument `name` (X, Y2, ...) of action t. @return -1 or an exit code. */
static int coord(tl_action_type t, const char *name, const char *s, long *out)
{
    if (!number(s, out))
        return arg_error(t, "%s '%s' is not a number of screen pixels", name, s);
    if (*out < 0)
        return arg_error(t, "%s %s is negative: coordinates are screen pixels, 0 or more", name, s);
    if (*out > COORD_MAX)
        return arg_error(t, "%s %s is more than %d, beyond any screen (screen pixels)", name, s,
                         COORD_MAX);
    return -1;
}

/* --duration for long_press (at least 1 ms) and swipe (at least TL_SWIPE_MIN_MS). */
static int duration(tl_action_type t, const char *s, long *out)
{
    const char *what = t == TL_ACT_SWIPE ? "a swipe" : "a long press";
    long min = t == TL_ACT_SWIPE ? TL_SWIPE_MIN_MS : 1;
    if (!number(s, out))
        return arg_error(t, "--duration '%s' is not a number of milliseconds", s);
    if (*out < min)
        return arg_error(t, "--duration %s ms is less than the %ld ms %s lasts at least", s, min,
                         what);
    if (*out > TL_DURATION_MAX_MS)
        return arg_error(t, "--duration %s ms is more than the %d ms %s may last", s,
                         TL_DURATION_MAX_MS, what);
    return -1;
}

/* --index: a listing index. */
static int listing_index(tl_action_type t, const char *s, long *out)
{
    if (!number(s, out) || *out < 1 || *out > 1000000)
        return arg_error(t,
                         "--index '%s' is not a listing index ([1] or more, as `taploop "
                         "observe` shows them)",
                         s);
    return -1;
}

static int wait_ms(const char *s, long *out)
{
    if (!number(s, out))
        return arg_error(TL_ACT_WAIT, "MS '%s' is not a number of milliseconds", s);
    if (*out < 0)
        return arg_error(TL_ACT_WAIT, "%s ms is negative: a wait lasts 0 to %d ms", s,
                         TL_WAIT_MAX_MS);
    if (*out > TL_WAIT_MAX_MS)
        return arg_error(TL_ACT_WAIT, "%s ms is more than the %d ms a wait may last", s,
                         TL_WAIT_MAX_MS);
    return -1;
}

/* The count of positional arguments: what is missing or one too many. */
static int count_error(const struct act_opts *o, tl_action_type t, int nargs, char **args, int want)
{
    size_t f = form_of(t);
    bool target = o->index || o->nsel;
    if (nargs > want) {
        if (target && want == 1)
            return arg_error(t, "unexpected argument '%s': %s already names the target", args[1],
                             o->index ? "--index" : "the selector");
        return arg_error(t, "unexpected argument '%s' after %s", args[want],
                         forms[f].args[want - 2]);
    }
    if (nargs == 1 && (t == TL_ACT_TAP || t == TL_ACT_LONG_PRESS))
        return arg_error(t, "no target: give a point X Y (screen pixels), --index N or a "
                            "selector such as --text T");
    char missing[64] = "";
    size_t off = 0;
    for (int k = nargs; k < want && off < sizeof(missing); k++) {
        const char *sep = k == nargs ? "" : k == want - 1 ? " and " : ", ";
        int n = snprintf(missing + off, sizeof(missing) - off, "%s%s", sep, forms[f].args[k - 1]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return arg_error(t, "missing %s (%s)", missing, forms[f].rule);
}

static int oom(void)
{
    tl_error err;
    tl_error_set(&err, TL_ENOMEM, "out of memory");
    return tl_cli_fail(&err);
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
    const tl_action_type t = a->type;
    int want;
    switch (t) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS: want = (o->index || o->nsel) ? 1 : 3; break;
    case TL_ACT_SWIPE: want = 5; break;
    default: want = 2;
    }
    if (nargs != want)
        return count_error(o, t, nargs, args, want);
    int ex = -1;
    long dur = t == TL_ACT_SWIPE ? TL_SWIPE_DEFAULT_MS : TL_LONG_PRESS_DEFAULT_MS;
    if (o->duration && t != TL_ACT_SWIPE && t != TL_ACT_LONG_PRESS)
        return arg_error(t, "--duration goes with long_press and swipe");
    if (o->duration && (ex = duration(t, o->duration, &dur)) >= 0)
        return ex;
    switch (t) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS:
        if (want == 3) {
            if ((ex = coord(t, "X", args[1], &a->x)) >= 0 ||
                (ex = coord(t, "Y", args[2], &a->y)) >= 0)
                return ex;
            a->has_point = true;
        }
        a->duration_ms = dur;
        break;
    case TL_ACT_SWIPE:
        if ((ex = coord(t, "X1", args[1], &a->x)) >= 0 ||
            (ex = coord(t, "Y1", args[2], &a->y)) >= 0 ||
            (ex = coord(t, "X2", args[3], &a->x2)) >= 0 ||
            (ex = coord(t, "Y2", args[4], &a->y2)) >= 0)
            return ex;
        a->has_point = true;
        a->duration_ms = dur;
        break;
    case TL_ACT_SCROLL:
        if (!tl_direction_parse(args[1], &a->direction))
            return arg_error(t, "unknown direction '%s' (%s)", args[1], forms[form_of(t)].rule);
        break;
    case TL_ACT_TYPE:
        if (!(a->text = tl_strdup(args[1])))
            return oom();
        a->clear = o->clear;
        break;
    case TL_ACT_PRESS_KEY:
        if (!tl_key_parse(args[1], &a->key))
            return arg_error(t, "unknown key '%s' (%s)", args[1], forms[form_of(t)].rule);
        break;
    case TL_ACT_START_APP:
    case TL_ACT_STOP_APP:
        a->package = tl_strdup(args[1]);
        a->activity = o->activity ? tl_strdup(o->activity) : NULL;
        if (!a->package || (o->activity && !a->activity))
            return oom();
        break;
    case TL_ACT_WAIT:
        if ((ex = wait_ms(args[1], &a->ms)) >= 0)
            return ex;
        break;
    default: break;
    }
    if (o->index && (ex = listing_index(t, o->index, &a->index)) >= 0)
        return ex;
    a->has_index = o->index != NULL;
    if (o->activity && t != TL_ACT_START_APP)
        return tl_cli_usage(o->cmd, "--activity goes with start_app");
    bool targets =
        t == TL_ACT_TAP || t == TL_ACT_LONG_PRESS || t == TL_ACT_SCROLL || t == TL_ACT_TYPE;
    if ((o->index || o->nsel) && !targets)
        return tl_cli_usage(o->cmd, "%s takes no --index or selector", name);
    if (o->index && o->nsel)
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

/* After the options: reset or build and perform the action. @return the exit code. */
static int perform(struct act_opts *o, struct tl_cli_common *co, int argc, char **argv, int first)
{
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_act, "which action? (tap, long_press, swipe, scroll, type, "
                                         "press_key, start_app, stop_app, wait, reset)");
    tl_error err;
    tl_error_clear(&err);
    int rc = tl_cli_common_finish(co, &err);
    if (rc)
        return tl_cli_fail(&err);
    if (strcmp(argv[first], "reset") == 0) {
        if (argc - first != 1)
            return tl_cli_usage(&tl_cmd_act, "reset takes no arguments");
        return reset(co, &err) ? tl_cli_fail(&err) : TL_EXIT_OK;
    }
    tl_action a;
    tl_action_init(&a);
    int ex = build(o, &a, argc - first, argv + first);
    if (ex < 0) {
        rc = act(o, co, &a, &err);
        ex = rc ? tl_cli_fail(&err) : TL_EXIT_OK;
    }
    tl_action_dispose(&a);
    return ex;
}

/* Whether long option `arg` ("--name", no "=value") takes the next argument as its value: its
 * name or an unambiguous prefix of one names an option with a required argument. */
static bool long_takes_value(const struct option *opts, const char *arg)
{
    const char *name = arg + 2;
    size_t len = strlen(name);
    if (memchr(name, '=', len))
        return false;
    int found = -1; /* has_arg of the prefix matches; -2 when they disagree */
    for (const struct option *o = opts; o->name; o++) {
        if (strcmp(o->name, name) == 0)
            return o->has_arg == required_argument;
        if (strncmp(o->name, name, len) == 0)
            found = found == -1 || found == o->has_arg ? o->has_arg : -2;
    }
    return found == required_argument;
}

/* Whether short option cluster `arg` ("-qv") ends with an option that takes the next argument. */
static bool short_takes_value(const struct option *opts, const char *arg)
{
    for (const char *c = arg + 1; *c; c++)
        for (const struct option *o = opts; o->name; o++)
            if (o->val == (unsigned char)*c && o->has_arg == required_argument)
                return c[1] == '\0'; /* else the rest of the cluster is the value */
    return false;
}

/*
 * getopt takes "-5" for an option: the positional arguments (a negative number among them)
 * move after a "--", in their order, so that the argument checks say what is wrong with it.
 * The options keep their order and values; what follows the user's own "--" is positional.
 * @return a new argv of *nout entries, NULL-terminated (free it), or NULL out of memory.
 */
static char **positionals_last(int argc, char **argv, const struct option *opts, int *nout)
{
    static char dashes[] = "--";
    char **out = malloc(((size_t)argc + 2) * sizeof(*out));
    char **pos = malloc(((size_t)argc + 1) * sizeof(*pos));
    if (!out || !pos) {
        free(out);
        free(pos);
        return NULL;
    }
    int n = 0, np = 0;
    out[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0) {
            while (++i < argc)
                pos[np++] = argv[i];
        } else if (s[0] != '-' || s[1] == '\0' || isdigit((unsigned char)s[1])) {
            pos[np++] = argv[i];
        } else {
            out[n++] = argv[i];
            bool value = s[1] == '-' ? long_takes_value(opts, s) : short_takes_value(opts, s);
            if (value && i + 1 < argc)
                out[n++] = argv[++i];
        }
    }
    out[n++] = dashes;
    for (int k = 0; k < np; k++)
        out[n++] = pos[k];
    out[n] = NULL;
    *nout = n;
    free(pos);
    return out;
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
    char **args = positionals_last(argc, argv, opts, &argc);
    if (!args)
        return oom();
    argv = args;
    int first;
    int ex = tl_cli_parse(&tl_cmd_act, argc, argv, opts, &co, handle, &o, &first);
    if (ex < 0)
        ex = perform(&o, &co, argc, argv, first);
    free(args);
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
        "is sent to the device. Use `--` before a TEXT that starts with '-' (a number such as\n"
        "-5 needs none: it is read as an argument).\n",
    .run = run,
    .flags = TL_CMD_WAIT,
};
