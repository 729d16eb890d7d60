/*
 * suite.c - suite files and the case runner (see suite.h).
 *
 * The file is read with agent/doc.h into a tl_suite whose steps hold compiled selectors, so a
 * bad regular expression is reported at load time with its position. A case attempt opens the
 * device fresh, then either plays its steps (each: observe with a screenshot, record the
 * screen, resolve the selector, act through agent/exec.c or check, settle) or runs its goal
 * with the agent loop, then checks `expect` on a final observation. A failure keeps a one-line
 * message (the step, the selector, what was wrong), a detail (the closest candidates on the
 * screen) and the path of the screenshot the step saw.
 */
#include "agent/suite.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <stdarg.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/doc.h"
#include "agent/exec.h"
#include "agent/observe.h"
#include "agent/trace.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/str.h"

#define SLUG_MAX 40

static const char *const step_names[] = {
    "launch",         "tap",         "long_press", "type",           "press",
    "scroll",         "swipe",       "wait_for",   "assert_visible", "assert_not_visible",
    "assert_checked", "assert_text",
};

static const char *const selector_keys[] = {
    "text",     "desc",    "id",        "class",    "package",    "checked", "enabled",
    "selected", "focused", "clickable", "editable", "scrollable", NULL};

const char *tl_suite_step_name(tl_suite_step_kind k)
{
    return (size_t)k < sizeof(step_names) / sizeof(step_names[0]) ? step_names[k] : "?";
}

/* ---- the file ------------------------------------------------------------------------------- */

static void step_dispose(tl_suite_step *st)
{
    free(st->label);
    tl_selector_free(st->sel);
    free(st->value);
    tl_selector_free(st->value_re);
}

static void case_dispose(tl_suite_case *c)
{
    free(c->name);
    free(c->goal);
    free(c->launch);
    free(c->skip);
    for (size_t i = 0; i < c->n_steps; i++)
        step_dispose(&c->steps[i]);
    free(c->steps);
    for (size_t i = 0; i < c->n_expect; i++)
        step_dispose(&c->expect[i]);
    free(c->expect);
}

void tl_suite_dispose(tl_suite *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->name);
    free(s->driver);
    free(s->device);
    for (size_t i = 0; i < s->n_cases; i++)
        case_dispose(&s->cases[i]);
    free(s->cases);
    memset(s, 0, sizeof(*s));
}

static int oom(tl_error *err)
{
    return tl_error_set(err, TL_ENOMEM, "out of memory");
}

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static int parse_bool(const tl_doc *d, const tl_doc_node *n, const char *path, bool *out,
                      tl_error *err)
{
    if (n->kind == TL_DOC_SCALAR && !n->quoted &&
        (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0)) {
        *out = n->text[0] == 't';
        return TL_OK;
    }
    return tl_doc_error(d, n, path, err, "expected true or false, not %s%s%.60s%s",
                        tl_doc_kind_name(n), n->kind == TL_DOC_SCALAR ? " \"" : "",
                        n->kind == TL_DOC_SCALAR ? n->text : "",
                        n->kind == TL_DOC_SCALAR ? "\"" : "");
}

/* Append the keys of a list for messages: "a, b, c". */
static void list_keys(char *out, size_t size, const char *const *a, const char *const *b)
{
    size_t n = 0;
    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++)
        for (const char *const *k = pass ? b : a; k && *k; k++) {
            int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "", *k);
            if (w < 0 || (size_t)w >= size - n)
                return;
            n += (size_t)w;
        }
}

/*
 * A selector: a mapping of selector keys (plus the step's own `extra` keys, left to the
 * caller), or a string (shorthand for {text: STRING}). *out is a new selector.
 */
static int parse_selector(const tl_doc *d, const tl_doc_node *n, const char *path,
                          const char *const *extra, tl_selector **out, tl_error *err)
{
    *out = tl_selector_new();
    if (!*out)
        return oom(err);
    char sub[256];
    if (n->kind == TL_DOC_SCALAR) {
        const char *s;
        int rc = tl_doc_string(d, n, path, &s, err);
        if (rc == TL_OK && (rc = tl_selector_set(*out, "text", s, err)) != TL_OK)
            rc = tl_doc_error(d, n, path, err, "%s", err->msg);
        return rc;
    }
    if (n->kind != TL_DOC_MAP)
        return tl_doc_error(d, n, path, err,
                            "expected a selector (a mapping such as {text: Display}, or a "
                            "string: the text), not %s",
                            tl_doc_kind_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const tl_doc_node *k = n->items[2 * i], *v = n->items[2 * i + 1];
        tl_doc_path(sub, sizeof(sub), path, k->text, 0);
        if (extra && in_list(extra, k->text))
            continue;
        if (!in_list(selector_keys, k->text)) {
            char known[400];
            list_keys(known, sizeof(known), selector_keys, extra);
            return tl_doc_error(d, k, sub, err, "unknown key (known: %s)", known);
        }
        const char *val;
        int rc;
        bool b = false;
        if (strcmp(k->text, "text") && strcmp(k->text, "desc") && strcmp(k->text, "id") &&
            strcmp(k->text, "class") && strcmp(k->text, "package")) {
            rc = parse_bool(d, v, sub, &b, err);
            val = b ? "true" : "false";
        } else {
            rc = tl_doc_string(d, v, sub, &val, err);
        }
        if (rc)
            return rc;
        if ((rc = tl_selector_set(*out, k->text, val, err)) != TL_OK)
            return rc == TL_ENOMEM ? rc : tl_doc_error(d, v, sub, err, "%s", err->msg);
    }
    if (tl_selector_empty(*out))
        return tl_doc_error(d, n, path, err,
                            "the selector is empty: give at least one of text, desc, id, class, "
                            "package, checked, ...");
    return TL_OK;
}

/* An optional integer key of a mapping. */
static int opt_int(const tl_doc *d, const tl_doc_node *map, const char *path, const char *key,
                   long min, long max, long *out, tl_error *err)
{
    const tl_doc_node *v = map->kind == TL_DOC_MAP ? tl_doc_get(map, key) : NULL;
    if (!v)
        return TL_OK;
    char sub[256];
    tl_doc_path(sub, sizeof(sub), path, key, 0);
    return tl_doc_int(d, v, sub, min, max, out, err);
}

static int set_label(tl_suite_step *st, const char *path, tl_error *err)
{
    tl_buf b;
    tl_buf_init(&b, 4096);
    int rc = tl_buf_printf(&b, "%s %s", path, tl_suite_step_name(st->kind));
    if (st->sel) {
        rc |= tl_buf_putc(&b, ' ');
        rc |= tl_selector_describe(st->sel, &b);
    } else if (st->value && st->kind == TL_STEP_LAUNCH) {
        rc |= tl_buf_printf(&b, " %s", st->value);
    } else if (st->kind == TL_STEP_PRESS) {
        rc |= tl_buf_printf(&b, " %s", tl_key_name(st->key));
    } else if (st->kind == TL_STEP_SCROLL) {
        rc |= tl_buf_printf(&b, " %s", tl_direction_name(st->direction));
    }
    if (rc == TL_OK)
        st->label = tl_buf_detach(&b, NULL);
    tl_buf_dispose(&b);
    return st->label ? TL_OK : oom(err);
}

/* The value of a step whose name is `name` (written at key node k). */
static int parse_step_body(const tl_doc *d, const tl_doc_node *k, const tl_doc_node *v,
                           const char *path, tl_suite_step *st, tl_error *err)
{
    char sub[256];
    const char *s;
    int rc = TL_OK;
    switch (st->kind) {
    case TL_STEP_LAUNCH:
        if ((rc = tl_doc_string(d, v, path, &s, err)) == TL_OK && !(st->value = tl_strdup(s)))
            rc = oom(err);
        return rc;
    case TL_STEP_PRESS:
        if ((rc = tl_doc_string(d, v, path, &s, err)) != TL_OK)
            return rc;
        if (!tl_key_parse(s, &st->key))
            return tl_doc_error(d, v, path, err, "unknown key \"%.40s\" (known: %s)", s,
                                tl_key_names_list());
        return TL_OK;
    case TL_STEP_TAP:
    case TL_STEP_ASSERT_VISIBLE:
    case TL_STEP_ASSERT_NOT_VISIBLE: return parse_selector(d, v, path, NULL, &st->sel, err);
    case TL_STEP_LONG_PRESS: {
        static const char *const extra[] = {"duration_ms", NULL};
        rc = parse_selector(d, v, path, extra, &st->sel, err);
        if (rc == TL_OK)
            rc = opt_int(d, v, path, "duration_ms", 1, TL_DURATION_MAX_MS, &st->duration_ms, err);
        return rc;
    }
    case TL_STEP_WAIT_FOR: {
        static const char *const extra[] = {"timeout_ms", NULL};
        st->timeout_ms = TL_SUITE_WAIT_DEFAULT_MS;
        rc = parse_selector(d, v, path, extra, &st->sel, err);
        if (rc == TL_OK)
            rc = opt_int(d, v, path, "timeout_ms", 0, TL_SUITE_WAIT_MAX_MS, &st->timeout_ms, err);
        return rc;
    }
    case TL_STEP_ASSERT_CHECKED: {
        static const char *const extra[] = {"value", NULL};
        st->want = true;
        rc = parse_selector(d, v, path, extra, &st->sel, err);
        const tl_doc_node *x = v->kind == TL_DOC_MAP ? tl_doc_get(v, "value") : NULL;
        if (rc == TL_OK && x) {
            tl_doc_path(sub, sizeof(sub), path, "value", 0);
            rc = parse_bool(d, x, sub, &st->want, err);
        }
        return rc;
    }
    case TL_STEP_ASSERT_TEXT: {
        static const char *const extra[] = {"value", NULL};
        if (v->kind != TL_DOC_MAP)
            return tl_doc_error(d, v, path, err,
                                "expected a selector with the expected value, e.g. {id: title, "
                                "value: Display}, not %s",
                                tl_doc_kind_name(v));
        rc = parse_selector(d, v, path, extra, &st->sel, err);
        const tl_doc_node *x = tl_doc_get(v, "value");
        if (rc == TL_OK && !x)
            rc = tl_doc_error(d, v, path, err,
                              "missing required key \"value\" (the text expected: a string or "
                              "/regex/)");
        tl_doc_path(sub, sizeof(sub), path, "value", 0);
        if (rc == TL_OK)
            rc = tl_doc_string(d, x, sub, &s, err);
        if (rc == TL_OK && (!(st->value = tl_strdup(s)) || !(st->value_re = tl_selector_new())))
            rc = oom(err);
        if (rc == TL_OK && (rc = tl_selector_set(st->value_re, "text", s, err)) != TL_OK &&
            rc != TL_ENOMEM)
            rc = tl_doc_error(d, x, sub, err, "%s", err->msg);
        return rc;
    }
    case TL_STEP_TYPE: {
        static const char *const keys[] = {"text", "into", "clear", NULL};
        if (v->kind != TL_DOC_MAP)
            return tl_doc_error(d, v, path, err,
                                "expected {text: TEXT, into: SELECTOR, clear: BOOL}, not %s",
                                tl_doc_kind_name(v));
        if ((rc = tl_doc_check_keys(d, v, path, keys, err)) != TL_OK)
            return rc;
        const tl_doc_node *x = tl_doc_get(v, "text");
        if (!x)
            return tl_doc_error(d, v, path, err, "missing required key \"text\" (what to type)");
        tl_doc_path(sub, sizeof(sub), path, "text", 0);
        if ((rc = tl_doc_string(d, x, sub, &s, err)) != TL_OK)
            return rc;
        if (!(st->value = tl_strdup(s)))
            return oom(err);
        if ((x = tl_doc_get(v, "into")) != NULL) {
            tl_doc_path(sub, sizeof(sub), path, "into", 0);
            if ((rc = parse_selector(d, x, sub, NULL, &st->sel, err)) != TL_OK)
                return rc;
        }
        if ((x = tl_doc_get(v, "clear")) != NULL) {
            tl_doc_path(sub, sizeof(sub), path, "clear", 0);
            rc = parse_bool(d, x, sub, &st->clear, err);
        }
        return rc;
    }
    case TL_STEP_SCROLL: {
        static const char *const keys[] = {"direction", "in", NULL};
        const tl_doc_node *dir = v;
        if (v->kind == TL_DOC_MAP) {
            if ((rc = tl_doc_check_keys(d, v, path, keys, err)) != TL_OK)
                return rc;
            if (!(dir = tl_doc_get(v, "direction")))
                return tl_doc_error(d, v, path, err,
                                    "missing required key \"direction\" (up, down, left, right)");
            const tl_doc_node *in = tl_doc_get(v, "in");
            tl_doc_path(sub, sizeof(sub), path, "in", 0);
            if (in && (rc = parse_selector(d, in, sub, NULL, &st->sel, err)) != TL_OK)
                return rc;
            tl_doc_path(sub, sizeof(sub), path, "direction", 0);
        } else {
            snprintf(sub, sizeof(sub), "%s", path);
        }
        if ((rc = tl_doc_string(d, dir, sub, &s, err)) != TL_OK)
            return rc;
        if (!tl_direction_parse(s, &st->direction))
            return tl_doc_error(d, dir, sub, err,
                                "unknown direction \"%.40s\" (up, down, left, right)", s);
        return TL_OK;
    }
    case TL_STEP_SWIPE: {
        static const char *const keys[] = {"start_x", "start_y",     "end_x",
                                           "end_y",   "duration_ms", NULL};
        if (v->kind != TL_DOC_MAP)
            return tl_doc_error(d, v, path, err,
                                "expected {start_x, start_y, end_x, end_y, duration_ms}, not %s",
                                tl_doc_kind_name(v));
        if ((rc = tl_doc_check_keys(d, v, path, keys, err)) != TL_OK)
            return rc;
        long *dst[] = {&st->x1, &st->y1, &st->x2, &st->y2};
        for (int i = 0; i < 4; i++) {
            if (!tl_doc_get(v, keys[i]))
                return tl_doc_error(d, v, path, err, "missing required key \"%s\"", keys[i]);
            if ((rc = opt_int(d, v, path, keys[i], 0, 100000, dst[i], err)) != TL_OK)
                return rc;
        }
        return opt_int(d, v, path, "duration_ms", TL_SWIPE_MIN_MS, TL_DURATION_MAX_MS,
                       &st->duration_ms, err);
    }
    }
    (void)k;
    return TL_OK;
}

/*
 * A step: a mapping with one key, the step's name. In `expect`, the names visible,
 * not_visible, checked, unchecked and text stand for the assert_* steps.
 */
static int parse_step(const tl_doc *d, const tl_doc_node *n, const char *path, bool expect,
                      tl_suite_step *st, tl_error *err)
{
    st->line = n->line;
    st->col = n->col;
    const char *names = expect ? "visible, not_visible, checked, unchecked, text (or the "
                                 "assert_* steps)"
                               : "launch, tap, long_press, type, press, scroll, swipe, "
                                 "wait_for, assert_visible, assert_not_visible, "
                                 "assert_checked, assert_text";
    if (n->kind != TL_DOC_MAP || n->n != 1)
        return tl_doc_error(d, n, path, err,
                            "expected a %s as a mapping with one key, its name (%s), not %s%s",
                            expect ? "check" : "step", names,
                            n->kind == TL_DOC_MAP ? "a mapping with " : tl_doc_kind_name(n),
                            n->kind == TL_DOC_MAP ? (n->n ? "several keys" : "no key") : "");
    const tl_doc_node *k = n->items[0], *v = n->items[1];
    const char *name = k->text;
    bool found = false;
    if (expect) {
        static const struct {
            const char *name;
            tl_suite_step_kind kind;
            bool want;
        } aliases[] = {
            {"visible", TL_STEP_ASSERT_VISIBLE, true},
            {"not_visible", TL_STEP_ASSERT_NOT_VISIBLE, true},
            {"checked", TL_STEP_ASSERT_CHECKED, true},
            {"unchecked", TL_STEP_ASSERT_CHECKED, false},
            {"text", TL_STEP_ASSERT_TEXT, true},
            {"assert_visible", TL_STEP_ASSERT_VISIBLE, true},
            {"assert_not_visible", TL_STEP_ASSERT_NOT_VISIBLE, true},
            {"assert_checked", TL_STEP_ASSERT_CHECKED, true},
            {"assert_text", TL_STEP_ASSERT_TEXT, true},
        };
        for (size_t i = 0; !found && i < sizeof(aliases) / sizeof(aliases[0]); i++)
            if (strcmp(aliases[i].name, name) == 0) {
                st->kind = aliases[i].kind;
                found = true;
            }
    } else {
        for (size_t i = 0; !found && i < sizeof(step_names) / sizeof(step_names[0]); i++)
            if (strcmp(step_names[i], name) == 0) {
                st->kind = (tl_suite_step_kind)i;
                found = true;
            }
    }
    char sub[256];
    tl_doc_path(sub, sizeof(sub), path, name, 0);
    if (!found)
        return tl_doc_error(d, k, sub, err, "unknown %s (known: %s)", expect ? "check" : "step",
                            names);
    int rc = parse_step_body(d, k, v, sub, st, err);
    if (rc == TL_OK && expect && strcmp(name, "unchecked") == 0) {
        if (v->kind == TL_DOC_MAP && tl_doc_get(v, "value"))
            return tl_doc_error(d, tl_doc_get(v, "value"), sub, err,
                                "unchecked takes no value (use checked: {..., value: false})");
        st->want = false;
    }
    if (rc == TL_OK)
        rc = set_label(st, path, err);
    return rc;
}

static int parse_steps(const tl_doc *d, const tl_doc_node *n, const char *path, bool expect,
                       tl_suite_step **out, size_t *nout, tl_error *err)
{
    if (n->kind != TL_DOC_SEQ)
        return tl_doc_error(d, n, path, err, "expected a list of %s, not %s",
                            expect ? "checks" : "steps", tl_doc_kind_name(n));
    if (n->n == 0)
        return tl_doc_error(d, n, path, err, "the %s list is empty", expect ? "expect" : "step");
    *out = calloc(n->n, sizeof(**out));
    if (!*out)
        return oom(err);
    for (size_t i = 0; i < n->n; i++) {
        char sub[256];
        tl_doc_path(sub, sizeof(sub), path, NULL, i);
        (*nout)++;
        int rc = parse_step(d, n->items[i], sub, expect, &(*out)[i], err);
        if (rc)
            return rc;
    }
    return TL_OK;
}

static int parse_case(const tl_doc *d, const tl_doc_node *n, const char *path, tl_suite *s,
                      tl_suite_case *c, tl_error *err)
{
    static const char *const keys[] = {"name",      "goal",    "launch",  "steps", "expect",
                                       "max_steps", "timeout", "retries", "skip",  NULL};
    c->line = n->line;
    c->retries = -1;
    if (n->kind != TL_DOC_MAP)
        return tl_doc_error(d, n, path, err,
                            "expected a case (a mapping with name, and goal or steps), not %s",
                            tl_doc_kind_name(n));
    int rc = tl_doc_check_keys(d, n, path, keys, err);
    if (rc)
        return rc;
    char sub[256];
    const char *str;
    const tl_doc_node *v = tl_doc_get(n, "name");
    if (!v)
        return tl_doc_error(d, n, path, err, "missing required key \"name\"");
    tl_doc_path(sub, sizeof(sub), path, "name", 0);
    if ((rc = tl_doc_string(d, v, sub, &str, err)) != TL_OK)
        return rc;
    for (size_t i = 0; i < s->n_cases; i++)
        if (strcmp(s->cases[i].name, str) == 0)
            return tl_doc_error(d, v, sub, err,
                                "case \"%.80s\" is named twice (also cases[%zu]): names must be "
                                "unique",
                                str, i);
    if (!(c->name = tl_strdup(str)))
        return oom(err);
    struct {
        const char *key;
        char **dst;
    } strs[] = {{"goal", &c->goal}, {"launch", &c->launch}, {"skip", &c->skip}};
    for (size_t i = 0; i < 3; i++) {
        if (!(v = tl_doc_get(n, strs[i].key)))
            continue;
        tl_doc_path(sub, sizeof(sub), path, strs[i].key, 0);
        if ((rc = tl_doc_string(d, v, sub, &str, err)) != TL_OK)
            return rc;
        if (!(*strs[i].dst = tl_strdup(str)))
            return oom(err);
    }
    if ((rc =
             opt_int(d, n, path, "max_steps", 1, TL_RUNOPTS_MAX_STEPS_LIMIT, &c->max_steps, err)) ||
        (rc = opt_int(d, n, path, "timeout", 1, TL_RUNOPTS_TIMEOUT_LIMIT_S, &c->timeout_s, err)) ||
        (rc = opt_int(d, n, path, "retries", 0, TL_SUITE_MAX_RETRIES, &c->retries, err)))
        return rc;
    const tl_doc_node *steps = tl_doc_get(n, "steps");
    if (c->goal && steps)
        return tl_doc_error(d, steps, path, err,
                            "a case has a goal or steps, not both (make two cases)");
    if (!c->goal && !steps)
        return tl_doc_error(d, n, path, err,
                            "missing \"goal\" (an LLM-driven case) or \"steps\" (a "
                            "deterministic case)");
    if (steps && c->launch)
        return tl_doc_error(d, tl_doc_get(n, "launch"), path, err,
                            "launch: in a case with steps, write it as the first step "
                            "(- launch: PACKAGE)");
    if (!c->goal && tl_doc_get(n, "max_steps"))
        return tl_doc_error(d, tl_doc_get(n, "max_steps"), path, err,
                            "max_steps is the step budget of a goal; this case has no goal");
    if (!c->goal && tl_doc_get(n, "timeout"))
        return tl_doc_error(d, tl_doc_get(n, "timeout"), path, err,
                            "timeout is the time budget of a goal; this case has no goal (bound "
                            "waits with wait_for's timeout_ms)");
    if (steps) {
        tl_doc_path(sub, sizeof(sub), path, "steps", 0);
        if ((rc = parse_steps(d, steps, sub, false, &c->steps, &c->n_steps, err)) != TL_OK)
            return rc;
    }
    if ((v = tl_doc_get(n, "expect")) != NULL) {
        tl_doc_path(sub, sizeof(sub), path, "expect", 0);
        rc = parse_steps(d, v, sub, true, &c->expect, &c->n_expect, err);
    }
    return rc;
}

static int parse_doc(tl_suite *s, const tl_doc *d, tl_error *err)
{
    static const char *const keys[] = {"name",    "driver",  "device", "max_steps",
                                       "timeout", "retries", "cases",  NULL};
    const tl_doc_node *root = tl_doc_root(d);
    int rc = tl_doc_check_keys(d, root, NULL, keys, err);
    if (rc)
        return rc;
    const tl_doc_node *v;
    const char *str;
    if ((v = tl_doc_get(root, "name")) != NULL) {
        if ((rc = tl_doc_string(d, v, "name", &str, err)) != TL_OK)
            return rc;
        if (!(s->name = tl_strdup(str)))
            return oom(err);
    }
    if ((v = tl_doc_get(root, "driver")) != NULL) {
        if ((rc = tl_doc_string(d, v, "driver", &str, err)) != TL_OK)
            return rc;
        if (!tl_driver_exists(str))
            return tl_doc_error(d, v, "driver", err, "unknown driver \"%.60s\"", str);
        if (!(s->driver = tl_strdup(str)))
            return oom(err);
    }
    if ((v = tl_doc_get(root, "device")) != NULL) {
        if ((rc = tl_doc_string(d, v, "device", &str, err)) != TL_OK)
            return rc;
        if (!(s->device = tl_strdup(str)))
            return oom(err);
    }
    if ((rc = opt_int(d, root, NULL, "max_steps", 1, TL_RUNOPTS_MAX_STEPS_LIMIT, &s->max_steps,
                      err)) ||
        (rc = opt_int(d, root, NULL, "timeout", 1, TL_RUNOPTS_TIMEOUT_LIMIT_S, &s->timeout_s,
                      err)) ||
        (rc = opt_int(d, root, NULL, "retries", 0, TL_SUITE_MAX_RETRIES, &s->retries, err)))
        return rc;
    if (!(v = tl_doc_get(root, "cases")))
        return tl_doc_error(d, root, NULL, err, "missing required key \"cases\" (a list)");
    if (v->kind != TL_DOC_SEQ)
        return tl_doc_error(d, v, "cases", err, "expected a list of cases, not %s",
                            tl_doc_kind_name(v));
    if (v->n == 0)
        return tl_doc_error(d, v, "cases", err, "the case list is empty: give at least one case");
    s->cases = calloc(v->n, sizeof(*s->cases));
    if (!s->cases)
        return oom(err);
    for (size_t i = 0; i < v->n; i++) {
        char path[64];
        tl_doc_path(path, sizeof(path), "cases", NULL, i);
        rc = parse_case(d, v->items[i], path, s, &s->cases[i], err);
        s->n_cases++;
        if (rc)
            return rc;
    }
    return TL_OK;
}

/* The suite's default name: the file name without directory and extension. */
static int default_name(tl_suite *s, const char *name, tl_error *err)
{
    if (!(s->path = tl_strdup(name)))
        return oom(err);
    if (s->name)
        return TL_OK;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    if (!(s->name = tl_strndup(base, n)))
        return oom(err);
    return TL_OK;
}

int tl_suite_parse(tl_suite *out, const char *text, size_t len, const char *name, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    tl_doc *d = NULL;
    int rc = tl_doc_parse(&d, text, len, name, err);
    if (rc == TL_OK)
        rc = parse_doc(out, d, err);
    if (rc == TL_OK)
        rc = default_name(out, name, err);
    tl_doc_free(d);
    return rc;
}

int tl_suite_load(tl_suite *out, const char *path, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    tl_doc *d = NULL;
    int rc = tl_doc_load(&d, path, err);
    if (rc == TL_OK)
        rc = parse_doc(out, d, err);
    if (rc == TL_OK)
        rc = default_name(out, path, err);
    tl_doc_free(d);
    return rc;
}

/* ---- --only --------------------------------------------------------------------------------- */

struct tl_suite_filter {
    pcre2_code *re; /* NULL: a substring */
    pcre2_match_data *md;
    char *needle; /* lower-case substring */
};

int tl_suite_filter_new(tl_suite_filter **out, const char *pattern, tl_error *err)
{
    *out = NULL;
    tl_suite_filter *f = calloc(1, sizeof(*f));
    if (!f)
        return oom(err);
    size_t n = strlen(pattern);
    const char *end = n >= 2 && pattern[0] == '/' ? strrchr(pattern, '/') : NULL;
    bool regex = end && end > pattern && (strcmp(end, "/") == 0 || strcmp(end, "/i") == 0);
    if (regex) {
        int ec;
        PCRE2_SIZE off;
        f->re = pcre2_compile((PCRE2_SPTR)(pattern + 1), (PCRE2_SIZE)(end - pattern - 1),
                              PCRE2_UTF | (end[1] == 'i' ? PCRE2_CASELESS : 0), &ec, &off, NULL);
        if (!f->re) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            free(f);
            return tl_error_set(err, TL_EUSAGE, "--only %s: %s at offset %zu", pattern,
                                (const char *)msg, (size_t)off);
        }
        if (!(f->md = pcre2_match_data_create_from_pattern(f->re, NULL))) {
            tl_suite_filter_free(f);
            return oom(err);
        }
    } else {
        if (!(f->needle = tl_strdup(pattern))) {
            free(f);
            return oom(err);
        }
        for (char *p = f->needle; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    *out = f;
    return TL_OK;
}

void tl_suite_filter_free(tl_suite_filter *f)
{
    if (!f)
        return;
    pcre2_match_data_free(f->md);
    pcre2_code_free(f->re);
    free(f->needle);
    free(f);
}

bool tl_suite_filter_match(tl_suite_filter *f, const char *name)
{
    if (f->re)
        return pcre2_match(f->re, (PCRE2_SPTR)name, strlen(name), 0, 0, f->md, NULL) >= 0;
    size_t n = strlen(f->needle);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == (unsigned char)f->needle[i])
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* ---- names ---------------------------------------------------------------------------------- */

void tl_suite_case_slug(char *out, size_t size, const tl_suite *s, size_t index)
{
    char slug[SLUG_MAX + 1];
    size_t n = 0;
    bool dash = false;
    for (const char *p = s->cases[index].name; *p && n < SLUG_MAX; p++) {
        char c = (char)tolower((unsigned char)*p);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0 && n + 1 < SLUG_MAX)
                slug[n++] = '-';
            dash = false;
            slug[n++] = c;
        } else {
            dash = true;
        }
    }
    slug[n] = '\0';
    snprintf(out, size, "%02zu-%s", index + 1, n ? slug : "case");
}

/* ---- playing a case ------------------------------------------------------------------------- */

void tl_suite_result_dispose(tl_suite_result *r)
{
    if (!r)
        return;
    free(r->message);
    free(r->detail);
    free(r->screenshot);
    free(r->trajectory);
    free(r->trajectories);
    free(r->first_failure);
    memset(r, 0, sizeof(*r));
}

/* One attempt's state. */
struct play {
    const tl_suite_config *cfg;
    tl_driver *drv;
    tl_trace *trace;
    const char *dir;
    tl_ui *ui;
    tl_observation obs;
    tl_ui_options uo;
    int step;      /* trajectory step number */
    char shot[64]; /* the current observation's screenshot file name, or "" */
    /* the outcome */
    tl_suite_status status;
    int code;
    const char *type;
    tl_buf msg, detail;
    char *screenshot; /* owned: path of the failing step's screenshot */
    int steps;
};

/* The deny lists of the run (--deny-*), or NULL. */
static const tl_policy *policy_of(const struct play *p)
{
    return p->cfg->env ? p->cfg->env->base.policy : NULL;
}

static void utc_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.20s.%03dZ", day, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Observe the device; with a trajectory, keep the screenshot and the index as step `step`. */
static int observe(struct play *p, bool keep, tl_error *err)
{
    tl_observation_dispose(&p->obs);
    tl_observation_init(&p->obs);
    p->shot[0] = '\0';
    unsigned what = keep && p->trace ? TL_OBSERVE_SCREENSHOT : 0;
    int rc = tl_observe(p->drv, what, &p->uo, &p->obs, p->ui, err);
    if (rc == TL_OK && keep && p->trace) {
        rc = tl_trace_screenshot(p->trace, p->step, &p->obs, p->shot, sizeof(p->shot), err);
        if (rc == TL_OK)
            rc = tl_trace_index(p->trace, p->step, p->ui, err);
    }
    return rc;
}

/* Wait until the screen stops changing (the loop's settling: the tree unchanged for the
 * window), at most the bound; observing once when the bound is negative. */
static int settle(struct play *p, tl_error *err)
{
    const tl_run_config *base = &p->cfg->env->base;
    long max = base->settle_max_ms ? base->settle_max_ms : TL_RUN_SETTLE_MAX_MS;
    long window = base->settle_window_ms ? base->settle_window_ms : TL_RUN_SETTLE_WINDOW_MS;
    if (max < 0)
        return TL_OK;
    if (window < 0)
        window = 0;
    long poll = window / 2 > TL_RUN_SETTLE_POLL_MIN_MS ? window / 2 : TL_RUN_SETTLE_POLL_MIN_MS;
    long long start = tl_now_ms(), changed = start;
    tl_buf prev;
    tl_buf_init(&prev, 0);
    int rc = TL_OK;
    bool have = false;
    while (rc == TL_OK) {
        tl_observation o;
        tl_observation_init(&o);
        rc = tl_driver_observe(p->drv, 0, &o, err);
        if (rc == TL_OK) {
            long long now = tl_now_ms();
            bool same = have && prev.len == o.tree.len &&
                        (prev.len == 0 || memcmp(prev.data, o.tree.data, prev.len) == 0);
            if (!same) {
                changed = now;
                tl_buf_clear(&prev);
                rc = tl_buf_append(&prev, o.tree.data ? o.tree.data : "", o.tree.len);
                have = true;
            } else if (now - changed >= window) {
                tl_observation_dispose(&o);
                break;
            }
            if (now - start >= max) {
                tl_observation_dispose(&o);
                break;
            }
        }
        tl_observation_dispose(&o);
        if (rc == TL_OK)
            rc = tl_sleep_ms(poll, p->cfg->cancel) ? tl_error_set(err, TL_ECANCELED, "interrupted")
                                                   : TL_OK;
    }
    tl_buf_dispose(&prev);
    return rc;
}

/* The element a listing line shows for e (its label owner when e's text is absorbed). */
static const tl_element *line_of(const tl_ui *ui, const tl_element *e)
{
    return (e->flags & TL_EL_ABSORBED) ? &tl_ui_elements(ui)[e->label_owner] : e;
}

/* Record a failure of the current step. `fmt` is the one-line reason. */
static void fail_step(struct play *p, const tl_suite_step *st, tl_suite_status status,
                      const char *type, const char *fmt, ...) TL_PRINTF(5, 6);
static void fail_step(struct play *p, const tl_suite_step *st, tl_suite_status status,
                      const char *type, const char *fmt, ...)
{
    p->status = status;
    p->type = type;
    tl_buf_clear(&p->msg);
    if (st)
        tl_buf_printf(&p->msg, "%s (line %d): ", st->label, st->line);
    va_list ap;
    va_start(ap, fmt);
    tl_buf_vprintf(&p->msg, fmt, ap);
    va_end(ap);
    if (p->shot[0] && p->dir) {
        free(p->screenshot);
        size_t n = strlen(p->dir) + strlen(p->shot) + 2;
        p->screenshot = malloc(n);
        if (p->screenshot) {
            snprintf(p->screenshot, n, "%s/%s", p->dir, p->shot);
            tl_buf_printf(&p->msg, " (screenshot: %s)", p->screenshot);
        }
    }
}

/* The selector missed: the message names it, the detail lists the closest candidates. */
static void fail_miss(struct play *p, const tl_suite_step *st, const char *type, const char *what)
{
    tl_buf sel;
    tl_buf_init(&sel, 4096);
    tl_selector_describe(st->sel, &sel);
    tl_buf_clear(&p->detail);
    tl_ui_describe_miss(p->ui, st->sel, TL_SUITE_CANDIDATES, &p->detail);
    /* the closest candidate on the one-line message too, so a terminal line says it all */
    const tl_element *best[1];
    tl_buf first;
    tl_buf_init(&first, 4096);
    if (tl_ui_closest(p->ui, st->sel, best, 1) == 1)
        tl_ui_element_line(p->ui, best[0], &first);
    fail_step(p, st, TL_CASE_FAILED, type, "%s %s%s%s%s", what, sel.data ? sel.data : "{}",
              first.len ? "; closest: " : "; the screen lists nothing close",
              first.len ? first.data : "", "");
    tl_buf_dispose(&first);
    tl_buf_dispose(&sel);
}

/* Point an action at element e (its line when absorbed, like `taploop act --text`). */
static void aim(const tl_ui *ui, const tl_element *e, tl_action *a)
{
    e = line_of(ui, e);
    if (e->index > 0) {
        a->has_index = true;
        a->index = e->index;
    } else {
        a->has_point = true;
        a->x = e->tap_x;
        a->y = e->tap_y;
    }
}

bool tl_suite_checked_state(const tl_ui *ui, const tl_element *e, bool *checkable)
{
    const tl_element *l = line_of(ui, e);
    if (!(e->flags & TL_EL_CHECKABLE) && (l->flags & TL_EL_CHECKABLE))
        e = l;
    if (!(e->flags & TL_EL_CHECKABLE)) {
        const tl_element *all = tl_ui_elements(ui);
        size_t pos = tl_ui_pos(ui, l);
        for (size_t i = pos + 1; i < (size_t)l->end && i < tl_ui_count(ui); i++)
            if (all[i].flags & TL_EL_CHECKABLE) {
                e = &all[i];
                break;
            }
    }
    *checkable = (e->flags & TL_EL_CHECKABLE) != 0;
    return (e->flags & TL_EL_CHECKED) != 0;
}

/* Check an assertion on the current observation. @return true when it holds (else the
 * failure is recorded). */
static bool check(struct play *p, const tl_suite_step *st, const char *type)
{
    const tl_element *e = st->sel ? tl_ui_find(p->ui, st->sel) : NULL;
    tl_buf line;
    tl_buf_init(&line, 4096);
    bool ok = true;
    switch (st->kind) {
    case TL_STEP_WAIT_FOR:
    case TL_STEP_ASSERT_VISIBLE:
        if (!e) {
            fail_miss(p, st, type,
                      st->kind == TL_STEP_WAIT_FOR ? "timed out: nothing on screen matches"
                                                   : "nothing on screen matches");
            if (st->kind == TL_STEP_WAIT_FOR) {
                tl_buf_clear(&p->msg);
                tl_buf b;
                tl_buf_init(&b, 4096);
                tl_selector_describe(st->sel, &b);
                fail_step(p, st, TL_CASE_FAILED, type, "nothing matched %s within %ld ms",
                          b.data ? b.data : "{}", st->timeout_ms);
                tl_buf_dispose(&b);
            }
            ok = false;
        }
        break;
    case TL_STEP_ASSERT_NOT_VISIBLE:
        if (e) {
            tl_ui_element_line(p->ui, line_of(p->ui, e), &line);
            fail_step(p, st, TL_CASE_FAILED, type, "it is visible: %s", line.data);
            ok = false;
        }
        break;
    case TL_STEP_ASSERT_CHECKED:
        if (!e) {
            fail_miss(p, st, type, "nothing on screen matches");
            ok = false;
        } else {
            bool checkable;
            bool on = tl_suite_checked_state(p->ui, e, &checkable);
            if (!checkable || on != st->want) {
                tl_ui_element_line(p->ui, line_of(p->ui, e), &line);
                fail_step(p, st, TL_CASE_FAILED, type, "expected checked=%s, found %s",
                          st->want ? "true" : "false",
                          checkable ? line.data : "an element that cannot be checked");
                if (!checkable) {
                    tl_buf_clear(&p->detail);
                    tl_buf_puts(&p->detail, line.data);
                }
                ok = false;
            }
        }
        break;
    case TL_STEP_ASSERT_TEXT:
        if (!e) {
            fail_miss(p, st, type, "nothing on screen matches");
            ok = false;
        } else if (!tl_selector_match(st->value_re, e)) {
            tl_ui_element_line(p->ui, line_of(p->ui, e), &line);
            fail_step(p, st, TL_CASE_FAILED, type, "expected text %s%s%s, found \"%.200s\" in %s",
                      st->value[0] == '/' ? "" : "\"", st->value, st->value[0] == '/' ? "" : "\"",
                      e->text ? e->text : "", line.data);
            ok = false;
        }
        break;
    default: break;
    }
    tl_buf_dispose(&line);
    return ok;
}

/* Append the trajectory line (and report step) of a suite step. */
static int record(struct play *p, const tl_suite_step *st, const tl_action *a,
                  const tl_exec_result *res, bool ok, long step_ms, tl_error *err)
{
    if (!p->trace)
        return TL_OK;
    char now[32];
    utc_now(now);
    tl_buf line, act, text;
    tl_buf_init(&line, 1 << 20);
    tl_buf_init(&act, 1 << 16);
    tl_buf_init(&text, 1 << 16);
    const char *pkg = tl_ui_get_info(p->ui)->package;
    int rc = TL_OK;
    if (a) {
        /* text typed into a password field is stored masked, as the loop stores it */
        tl_action shown = *a; /* shallow: only for writing */
        if (res->secret && shown.type == TL_ACT_TYPE)
            shown.text = (char *)TL_UI_MASK;
        rc |= tl_action_to_json(&shown, &act);
        rc |= tl_exec_describe(p->ui, a, res, &text);
    } else {
        rc |= tl_buf_puts(&text, st->label);
    }
    const char *result = ok ? "ok" : (p->msg.data ? p->msg.data : "failed");
    rc |= tl_buf_printf(&line, "{\"step\":%d,\"time\":\"%s\",\"package\":", p->step, now);
    rc |= tl_json_cstr(&line, pkg && pkg[0] ? pkg : NULL);
    rc |= tl_buf_printf(&line, ",\"elements\":%zu,\"screenshot\":", tl_ui_count(p->ui));
    rc |= tl_json_cstr(&line, p->shot[0] ? p->shot : NULL);
    rc |= tl_buf_puts(&line, ",\"llm_ms\":0,\"suite_step\":");
    rc |= tl_json_cstr(&line, st->label);
    rc |= tl_buf_printf(&line, ",\"line\":%d,\"action\":", st->line);
    rc |= tl_buf_puts(&line, act.len ? act.data : "null");
    if (res && res->has_point)
        rc |= tl_buf_printf(&line, ",\"x\":%d,\"y\":%d", res->x, res->y);
    rc |= tl_buf_puts(&line, ",\"result\":");
    rc |= tl_json_cstr(&line, result);
    rc |= tl_buf_printf(&line, ",\"timings\":{\"step_ms\":%ld}}", step_ms);
    if (rc == TL_OK)
        rc = tl_trace_line(p->trace, line.data, line.len, err);
    else
        rc = oom(err);
    if (rc == TL_OK) {
        const tl_exec_result none = {0};
        const tl_exec_result *r = res ? res : &none;
        const tl_ui_info *in = tl_ui_get_info(p->ui);
        tl_report_step rs = {
            .step = p->step,
            .time = now,
            .package = pkg,
            .screenshot = p->shot[0] ? p->shot : NULL,
            .screen_w = in->screen_w,
            .screen_h = in->screen_h,
            .action = act.len ? act.data : NULL,
            .action_text = text.data,
            .result = result,
            .has_rect = r->target != NULL,
            .rect = r->target ? r->target->visible : (tl_rect){0},
            .has_point = r->has_point,
            .x = r->x,
            .y = r->y,
            .has_end = r->has_end,
            .x2 = r->x2,
            .y2 = r->y2,
            .step_ms = step_ms,
        };
        if (tl_trace_report_step(p->trace, &rs) != TL_OK)
            rc = oom(err);
    }
    tl_buf_dispose(&line);
    tl_buf_dispose(&act);
    tl_buf_dispose(&text);
    return rc;
}

/* An infrastructure error during a step. */
static void fail_error(struct play *p, const tl_suite_step *st, const tl_error *err)
{
    p->code = err->code;
    fail_step(p, st, err->code == TL_ECANCELED ? TL_CASE_SKIPPED : TL_CASE_ERROR,
              err->code == TL_EREJECTED ? "step" : "error", "%s", err->msg);
    if (err->code == TL_EREJECTED) {
        p->status = TL_CASE_FAILED;
        p->code = TL_OK;
    }
}

/* Play one step. @return true to go on. */
static bool play_step(struct play *p, const tl_suite_step *st, bool is_expect)
{
    long long t0 = tl_now_ms();
    tl_error err;
    tl_error_clear(&err);
    p->step++;
    p->steps++;
    int rc = observe(p, true, &err);
    if (rc) {
        fail_error(p, st, &err);
        return false;
    }
    const char *type = is_expect ? "expect" : "assertion";
    tl_action a;
    tl_action_init(&a);
    tl_exec_result res;
    memset(&res, 0, sizeof(res));
    bool acted = false, ok = true;
    const tl_element *e = NULL;
    switch (st->kind) {
    case TL_STEP_WAIT_FOR: {
        long long deadline = t0 + st->timeout_ms;
        while (!(e = tl_ui_find(p->ui, st->sel)) && tl_now_ms() < deadline) {
            if (tl_sleep_ms(TL_SUITE_WAIT_POLL_MS, p->cfg->cancel)) {
                rc = tl_error_set(&err, TL_ECANCELED, "interrupted");
                break;
            }
            if ((rc = observe(p, false, &err)) != TL_OK)
                break;
        }
        if (rc == TL_OK && !e) /* keep the screen it gave up on */
            rc = observe(p, true, &err);
        if (rc == TL_OK)
            ok = check(p, st, "step");
        break;
    }
    case TL_STEP_ASSERT_VISIBLE:
    case TL_STEP_ASSERT_NOT_VISIBLE:
    case TL_STEP_ASSERT_CHECKED:
    case TL_STEP_ASSERT_TEXT: ok = check(p, st, type); break;
    default:
        acted = true;
        if (st->sel && !(e = tl_ui_find(p->ui, st->sel))) {
            fail_miss(p, st, "step", "nothing on screen matches");
            ok = false;
            break;
        }
        switch (st->kind) {
        case TL_STEP_LAUNCH:
            a.type = TL_ACT_START_APP;
            a.package = tl_strdup(st->value);
            if (!a.package)
                rc = oom(&err);
            break;
        case TL_STEP_TAP: a.type = TL_ACT_TAP; break;
        case TL_STEP_LONG_PRESS:
            a.type = TL_ACT_LONG_PRESS;
            a.duration_ms = st->duration_ms ? st->duration_ms : TL_LONG_PRESS_DEFAULT_MS;
            break;
        case TL_STEP_TYPE:
            a.type = TL_ACT_TYPE;
            a.clear = st->clear;
            if (!(a.text = tl_strdup(st->value)))
                rc = oom(&err);
            break;
        case TL_STEP_PRESS:
            a.type = TL_ACT_PRESS_KEY;
            a.key = st->key;
            break;
        case TL_STEP_SCROLL:
            a.type = TL_ACT_SCROLL;
            a.direction = st->direction;
            break;
        case TL_STEP_SWIPE:
            a.type = TL_ACT_SWIPE;
            a.has_point = true;
            a.x = st->x1;
            a.y = st->y1;
            a.x2 = st->x2;
            a.y2 = st->y2;
            a.duration_ms = st->duration_ms ? st->duration_ms : TL_SWIPE_DEFAULT_MS;
            break;
        default: break;
        }
        if (e)
            aim(p->ui, e, &a);
        if (rc == TL_OK)
            rc = tl_action_check(&a, &err);
        if (rc == TL_OK)
            rc = tl_policy_check(policy_of(p), &a, p->ui ? tl_ui_get_info(p->ui)->package : NULL,
                                 &err);
        if (rc == TL_OK)
            rc = tl_exec(p->drv, p->ui, &a, p->cfg->cancel, &res, &err);
        if (rc == TL_OK)
            rc = settle(p, &err);
        break;
    }
    if (rc) {
        fail_error(p, st, &err);
        ok = false;
    }
    tl_error rerr;
    tl_error_clear(&rerr);
    if (record(p, st, acted ? &a : NULL, acted ? &res : NULL, ok, (long)(tl_now_ms() - t0),
               &rerr) != TL_OK &&
        ok) {
        fail_error(p, st, &rerr);
        ok = false;
    }
    tl_action_dispose(&a);
    return ok;
}

/* Write result.json and report.html of a steps case. */
static void finish_trace(struct play *p, const tl_suite_case *c, long long t0)
{
    if (!p->trace)
        return;
    bool passed = p->status == TL_CASE_PASSED;
    tl_buf json;
    tl_buf_init(&json, 1 << 20);
    const char *status = passed ? "completed" : p->status == TL_CASE_FAILED ? "failed" : "error";
    tl_buf_printf(
        &json, "{\"success\":%s,\"status\":\"%s\",\"message\":", passed ? "true" : "false", status);
    tl_json_cstr(&json, passed ? "all steps passed" : p->msg.data);
    tl_buf_printf(&json, ",\"output\":null,\"steps\":%d,\"device\":", p->steps);
    tl_json_cstr(&json, tl_driver_device(p->drv));
    tl_buf_puts(&json, ",\"driver\":");
    tl_json_cstr(&json, tl_driver_name(p->drv));
    tl_buf_puts(&json, ",\"trajectory\":");
    tl_json_cstr(&json, p->dir);
    tl_buf_printf(&json,
                  ",\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0},"
                  "\"duration_ms\":%lld}",
                  tl_now_ms() - t0);
    char started[32];
    utc_now(started);
    tl_report_run run = {
        .goal = c->name,
        .status = status,
        .message = passed ? "all steps passed" : p->msg.data,
        .driver = tl_driver_name(p->drv),
        .device = tl_driver_device(p->drv),
        .started = started,
        .steps = p->steps,
        .duration_ms = (long)(tl_now_ms() - t0),
    };
    tl_error err;
    tl_error_clear(&err);
    tl_trace_finish(p->trace, json.data ? json.data : "{}", &run, &err);
    tl_buf_dispose(&json);
}

/* A goal case: launch, then the loop. */
static void play_goal(struct play *p, const tl_suite_case *c, tl_run_result *rr)
{
    const tl_suite_config *cfg = p->cfg;
    tl_error err;
    tl_error_clear(&err);
    int rc = TL_OK;
    if (c->launch) {
        if (tl_policy_package_denied(policy_of(p), c->launch))
            rc = tl_error_set(&err, TL_EREJECTED, "the app is on the deny list (--deny-package)");
        else
            rc = tl_driver_start_app(p->drv, c->launch, NULL, &err);
        if (rc == TL_OK)
            rc = settle(p, &err);
        if (rc) {
            tl_error_prefix(&err, "launch %s: ", c->launch);
            fail_error(p, NULL, &err);
            return;
        }
    }
    tl_cassette *cassette = NULL;
    if (cfg->cassette && !cfg->record && access(cfg->cassette, F_OK) != 0) {
        /* a case without a recording misses at its first request */
        p->code = TL_ENOTFOUND;
        fail_step(p, NULL, TL_CASE_FAILED, "cassette_miss",
                  "cassette miss: there is no cassette %s for this case (record one with "
                  "--record DIR)",
                  cfg->cassette);
        return;
    }
    if (cfg->cassette) {
        rc = tl_runenv_cassette(cfg->env, &cassette, cfg->cassette, cfg->record, c->goal, &err);
        if (rc) {
            p->code = rc;
            fail_step(p, NULL, TL_CASE_ERROR, "error", "%s", err.msg);
            return;
        }
    }
    if (!cfg->llm) {
        tl_cassette_close(cassette);
        p->code = TL_EUSAGE;
        fail_step(p, NULL, TL_CASE_ERROR, "error", "no LLM client for a goal case");
        return;
    }
    tl_run_config rc_cfg = cfg->env->base;
    rc_cfg.goal = c->goal;
    rc_cfg.max_steps = (int)(!cfg->override_steps && c->max_steps ? c->max_steps : cfg->max_steps);
    rc_cfg.timeout_ms =
        (!cfg->override_timeout && c->timeout_s ? c->timeout_s : cfg->timeout_s) * 1000;
    rc_cfg.out_dir = p->dir;
    rc_cfg.cancel = cfg->cancel;
    tl_llm_set_cassette(cfg->llm, cassette);
    tl_run(p->drv, cfg->llm, &rc_cfg, rr);
    tl_llm_set_cassette(cfg->llm, NULL);
    tl_cassette_close(cassette);
    p->steps = rr->steps;
    if (rr->success)
        return;
    /* point the failure at the last screen the loop saved */
    for (int k = rr->steps; p->dir && k >= 1 && !p->shot[0] && k > rr->steps - 2; k--) {
        char path[1200];
        static const char *const ext[] = {"png", "jpg"};
        for (int x = 0; x < 2 && !p->shot[0]; x++) {
            snprintf(path, sizeof(path), "%s/step-%03d.%s", p->dir, k, ext[x]);
            if (access(path, R_OK) == 0)
                snprintf(p->shot, sizeof(p->shot), "step-%03d.%s", k, ext[x]);
        }
    }
    const char *st = rr->status ? rr->status : "error";
    bool miss = rr->code == TL_ENOTFOUND && cassette && !cfg->record;
    if (miss) {
        p->code = TL_ENOTFOUND;
        /* the replay's message already says "cassette miss in FILE" after the step number */
        const char *m = rr->message ? rr->message : "";
        if (strstr(m, "cassette miss in "))
            fail_step(p, NULL, TL_CASE_FAILED, "cassette_miss",
                      "%s: the app's UI or the prompt changed since the recording", m);
        else
            fail_step(p, NULL, TL_CASE_FAILED, "cassette_miss",
                      "cassette miss (%s): %s: the app's UI or the prompt changed since the "
                      "recording",
                      cfg->cassette, m);
    } else if (strcmp(st, "error") == 0 || strcmp(st, "interrupted") == 0) {
        p->code = rr->code ? rr->code : TL_EBADRESP;
        fail_step(p, NULL, strcmp(st, "interrupted") == 0 ? TL_CASE_SKIPPED : TL_CASE_ERROR,
                  "error", "goal: %s", rr->message ? rr->message : st);
    } else {
        fail_step(p, NULL, TL_CASE_FAILED, st, "goal not achieved (%s after %d step%s): %s", st,
                  rr->steps, rr->steps == 1 ? "" : "s", rr->message ? rr->message : "");
    }
}

/* The expect checks of a goal case, on a final observation saved as expect-NN files. */
static void play_expect_goal(struct play *p, const tl_suite_case *c)
{
    for (size_t i = 0; i < c->n_expect && p->status == TL_CASE_PASSED; i++) {
        tl_error err;
        tl_error_clear(&err);
        tl_observation_dispose(&p->obs);
        tl_observation_init(&p->obs);
        p->shot[0] = '\0';
        int rc =
            tl_observe(p->drv, p->dir ? TL_OBSERVE_SCREENSHOT : 0, &p->uo, &p->obs, p->ui, &err);
        if (rc == TL_OK && p->dir && p->obs.screenshot.len) {
            char path[1200];
            snprintf(p->shot, sizeof(p->shot), "expect.png");
            snprintf(path, sizeof(path), "%s/%s", p->dir, p->shot);
            if (tl_file_write(path, p->obs.screenshot.data, p->obs.screenshot.len, &err) != TL_OK)
                p->shot[0] = '\0';
            tl_buf ui;
            tl_buf_init(&ui, (size_t)64 << 20);
            snprintf(path, sizeof(path), "%s/expect.ui.json", p->dir);
            if (tl_ui_to_json(p->ui, &ui) == TL_OK)
                tl_file_write(path, ui.data, ui.len, &err);
            tl_buf_dispose(&ui);
        }
        if (rc) {
            fail_error(p, &c->expect[i], &err);
            return;
        }
        check(p, &c->expect[i], "expect");
    }
}

/* One attempt into p. */
static void attempt(struct play *p, const tl_suite_case *c, tl_run_result *rr)
{
    const tl_suite_config *cfg = p->cfg;
    tl_error err;
    tl_error_clear(&err);
    long long t0 = tl_now_ms();
    tl_driver_config dcfg = {
        .device = cfg->device,
        .fresh = true,
        .cancel = cfg->cancel,
    };
    int rc = tl_cli_ui_options(&p->uo, &err);
    if (rc == TL_OK)
        rc = tl_driver_open(&p->drv, cfg->driver, &dcfg, &err);
    if (rc) {
        fail_error(p, NULL, &err);
        return;
    }
    if (c->goal) {
        play_goal(p, c, rr);
        if (p->status == TL_CASE_PASSED)
            play_expect_goal(p, c);
    } else {
        if (p->dir && tl_trace_open(&p->trace, p->dir, &err) != TL_OK) {
            fail_error(p, NULL, &err);
        } else {
            for (size_t i = 0; i < c->n_steps && p->status == TL_CASE_PASSED; i++)
                play_step(p, &c->steps[i], false);
            for (size_t i = 0; i < c->n_expect && p->status == TL_CASE_PASSED; i++)
                play_step(p, &c->expect[i], true);
            finish_trace(p, c, t0);
        }
        tl_trace_close(p->trace);
        p->trace = NULL;
    }
    tl_driver_close(p->drv);
    p->drv = NULL;
}

static char *buf_str(tl_buf *b)
{
    return b->len ? tl_strndup(b->data, b->len) : NULL;
}

int tl_suite_run_case(const tl_suite_config *cfg, const tl_suite *s, const tl_suite_case *c,
                      tl_suite_result *res)
{
    memset(res, 0, sizeof(*res));
    long long t0 = tl_now_ms();
    if (c->skip) {
        res->status = TL_CASE_SKIPPED;
        res->type = "skipped";
        res->message = tl_strdup(c->skip);
        return res->message ? TL_OK : TL_ENOMEM;
    }
    long retries = c->retries >= 0 ? c->retries : s->retries;
    tl_buf dirs;
    tl_buf_init(&dirs, 0);
    int rc = TL_OK;
    for (long a = 0; a <= retries; a++) {
        if (cfg->cancel && *cfg->cancel) {
            if (a == 0) {
                res->status = TL_CASE_SKIPPED;
                res->type = "interrupted";
                res->code = TL_ECANCELED;
                res->message = tl_strdup("not started: the run was interrupted");
            }
            break;
        }
        char dir[1200] = "";
        if (cfg->out_dir) {
            if (a == 0)
                snprintf(dir, sizeof(dir), "%s", cfg->out_dir);
            else
                snprintf(dir, sizeof(dir), "%s-retry-%ld", cfg->out_dir, a);
        }
        struct play p;
        memset(&p, 0, sizeof(p));
        p.cfg = cfg;
        p.dir = dir[0] ? dir : NULL;
        p.status = TL_CASE_PASSED;
        p.ui = tl_ui_new();
        tl_observation_init(&p.obs);
        tl_buf_init(&p.msg, 1 << 16);
        tl_buf_init(&p.detail, 1 << 16);
        tl_run_result rr;
        memset(&rr, 0, sizeof(rr));
        if (!p.ui)
            rc = TL_ENOMEM;
        else
            attempt(&p, c, &rr);
        res->attempts++;
        if (p.dir) {
            rc |= tl_buf_printf(&dirs, "%s%s", dirs.len ? "\n" : "", p.dir);
            free(res->trajectory);
            res->trajectory = tl_strdup(p.dir);
        }
        if (rc == TL_OK) {
            if (a > 0 && p.status == TL_CASE_PASSED && !res->first_failure)
                res->first_failure = tl_strdup(res->message ? res->message : "failed");
            free(res->message);
            free(res->detail);
            free(res->screenshot);
            res->message = buf_str(&p.msg);
            res->detail = buf_str(&p.detail);
            res->screenshot = p.screenshot;
            p.screenshot = NULL;
            res->status = p.status;
            res->code = p.code;
            res->type = p.type;
            res->steps = p.steps;
        }
        free(p.screenshot);
        tl_buf_dispose(&p.msg);
        tl_buf_dispose(&p.detail);
        tl_observation_dispose(&p.obs);
        tl_ui_free(p.ui);
        tl_run_result_dispose(&rr);
        if (rc || p.status == TL_CASE_PASSED || p.status == TL_CASE_SKIPPED ||
            (p.status == TL_CASE_ERROR && tl_exit_code(p.code) == TL_EXIT_USAGE) ||
            (p.type && strcmp(p.type, "cassette_miss") == 0)) /* a replay misses every time */
            break;
    }
    res->flaky = res->status == TL_CASE_PASSED && res->attempts > 1;
    if (res->status == TL_CASE_PASSED) {
        free(res->message);
        res->message = NULL;
        res->type = NULL;
    }
    res->trajectories = buf_str(&dirs);
    tl_buf_dispose(&dirs);
    res->duration_ms = (long)(tl_now_ms() - t0);
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- outputs -------------------------------------------------------------------------------- */

static const char *status_name(tl_suite_status s)
{
    static const char *const names[] = {"passed", "failed", "error", "skipped"};
    return names[s];
}

int tl_suite_exit_code(const tl_suite_result *res)
{
    switch (res->status) {
    case TL_CASE_PASSED: return TL_EXIT_OK;
    case TL_CASE_SKIPPED: return res->code == TL_ECANCELED ? TL_EXIT_INTR : TL_EXIT_OK;
    case TL_CASE_FAILED: return res->code == TL_ENOTFOUND ? TL_EXIT_INFRA : TL_EXIT_FAIL;
    case TL_CASE_ERROR: {
        int x = tl_exit_code(res->code);
        return x == TL_EXIT_OK || x == TL_EXIT_FAIL ? TL_EXIT_INFRA : x;
    }
    }
    return TL_EXIT_INFRA;
}

int tl_suite_junit_add(tl_junit_report *r, const tl_suite *s, const tl_suite_case *c,
                       const tl_suite_result *res, const char *timestamp)
{
    tl_buf out, body;
    tl_buf_init(&out, 0);
    tl_buf_init(&body, 0);
    int rc = TL_OK;
    if (res->trajectories) {
        for (const char *p = res->trajectories; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            rc |= tl_buf_puts(&out, "trajectory: ");
            rc |= tl_buf_append(&out, p, n);
            rc |= tl_buf_putc(&out, '\n');
            p += n + (nl ? 1 : 0);
        }
    }
    if (res->flaky)
        rc |= tl_buf_printf(&out, "flaky: passed on attempt %d of %ld; attempt 1 failed: %s\n",
                            res->attempts, 1 + (c->retries >= 0 ? c->retries : s->retries),
                            res->first_failure ? res->first_failure : "");
    if (res->status != TL_CASE_PASSED && res->message) {
        rc |= tl_buf_printf(&body, "%s\n", res->message);
        if (res->detail)
            rc |= tl_buf_printf(&body, "%s\n", res->detail);
        if (res->screenshot)
            rc |= tl_buf_printf(&body, "screenshot: %s\n", res->screenshot);
        if (res->trajectory)
            rc |= tl_buf_printf(&body, "trajectory: %s\n", res->trajectory);
        if (res->attempts > 1)
            rc |= tl_buf_printf(&body, "attempts: %d\n", res->attempts);
    }
    static const tl_junit_outcome outcomes[] = {TL_JUNIT_PASSED, TL_JUNIT_FAILURE, TL_JUNIT_ERROR,
                                                TL_JUNIT_SKIPPED};
    tl_junit_case jc = {
        .name = c->name,
        .classname = s->name,
        .time_s = (double)res->duration_ms / 1000.0,
        .outcome = outcomes[res->status],
        .type = res->type,
        .message = res->message,
        .body = body.len ? body.data : NULL,
        .system_out = out.len ? out.data : NULL,
        .flaky = res->flaky,
        .flaky_message = res->flaky ? res->first_failure : NULL,
    };
    if (rc == TL_OK)
        rc = tl_junit_add(r, s->name, timestamp, &jc);
    tl_buf_dispose(&out);
    tl_buf_dispose(&body);
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_suite_result_json(const tl_suite *s, const tl_suite_case *c, const tl_suite_result *res,
                         tl_buf *out)
{
    int rc = tl_buf_puts(out, "{\"suite\":");
    rc |= tl_json_cstr(out, s->name);
    rc |= tl_buf_puts(out, ",\"file\":");
    rc |= tl_json_cstr(out, s->path);
    rc |= tl_buf_puts(out, ",\"case\":");
    rc |= tl_json_cstr(out, c->name);
    rc |= tl_buf_printf(out, ",\"kind\":\"%s\",\"status\":\"%s\",\"success\":%s,\"flaky\":%s",
                        c->goal ? "goal" : "steps", status_name(res->status),
                        res->status == TL_CASE_PASSED ? "true" : "false",
                        res->flaky ? "true" : "false");
    rc |= tl_buf_printf(out, ",\"attempts\":%d,\"steps\":%d,\"type\":", res->attempts, res->steps);
    rc |= tl_json_cstr(out, res->type);
    rc |= tl_buf_puts(out, ",\"message\":");
    rc |= tl_json_cstr(out, res->message);
    rc |= tl_buf_puts(out, ",\"detail\":");
    rc |= tl_json_cstr(out, res->detail);
    rc |= tl_buf_puts(out, ",\"screenshot\":");
    rc |= tl_json_cstr(out, res->screenshot);
    rc |= tl_buf_puts(out, ",\"trajectory\":");
    rc |= tl_json_cstr(out, res->trajectory);
    rc |= tl_buf_puts(out, ",\"trajectories\":[");
    for (const char *t = res->trajectories; t && *t;) {
        const char *nl = strchr(t, '\n');
        size_t n = nl ? (size_t)(nl - t) : strlen(t);
        if (t != res->trajectories)
            rc |= tl_buf_putc(out, ',');
        rc |= tl_json_str(out, t, n);
        t += n + (nl ? 1 : 0);
    }
    rc |= tl_buf_puts(out, "],\"first_failure\":");
    rc |= tl_json_cstr(out, res->first_failure);
    rc |= tl_buf_printf(out, ",\"duration_ms\":%ld,\"exit_code\":%d}", res->duration_ms,
                        tl_suite_exit_code(res));
    return rc ? TL_ENOMEM : TL_OK;
}
