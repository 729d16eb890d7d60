/*
 * action.c - parsing, checking and writing actions (see action.h).
 *
 * One table lists every action of SPEC §3 with its parameters and their kinds; the JSON parser,
 * the error messages (which name the expected parameters) and the LLM tool schemas
 * (tl_action_tools_json, with the descriptions, bounds and required lists the table carries)
 * all read it, so the names cannot drift apart.
 */
#include "planner/action.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/str.h"
#include "core/utf8.h"
#include "planner/llm.h" /* tl_action_tools_json, written here from the table */

enum pkind { P_INT, P_STR, P_BOOL, P_DIR, P_KEY, P_OBJ };

/* Flags of a parameter, for the tool schemas: required, and which bounds of P_INT apply. */
enum { P_REQ = 1u, P_MIN = 2u, P_MAX = 4u };

struct param {
    const char *name;
    enum pkind kind;
    const char *desc; /* for the model, in the tool schema */
    unsigned flags;   /* P_REQ, P_MIN, P_MAX */
    long min, max;    /* P_INT bounds when P_MIN / P_MAX */
};

struct spec {
    const char *name;
    struct param params[6];
    const char *desc; /* the tool's description, for the model */
};

/* Shared parameter descriptions: the model reads them in every tool that takes the parameter. */
#define D_INDEX \
    "The element's number N, as shown in [N] at the start of its line in the current listing."
#define D_X      "Horizontal position of the point, in screen pixels (0 is the left edge)."
#define D_Y      "Vertical position of the point, in screen pixels (0 is the top edge)."
#define D_PIXELS "In screen pixels, like the (x,y) tap points of the listing."
#define P_INDEX                              \
    {                                        \
        "index", P_INT, D_INDEX, P_MIN, 1, 0 \
    }
#define P_X                          \
    {                                \
        "x", P_INT, D_X, P_MIN, 0, 0 \
    }
#define P_Y                          \
    {                                \
        "y", P_INT, D_Y, P_MIN, 0, 0 \
    }

static const struct spec specs[TL_ACT__COUNT] = {
    [TL_ACT_TAP] = {"tap",
                    {P_INDEX, P_X, P_Y},
                    "Tap an element of the current listing by its index (preferred), or a point "
                    "by x and y in screen pixels. Give either index, or both x and y."},
    [TL_ACT_LONG_PRESS] = {"long_press",
                           {P_INDEX,
                            P_X,
                            P_Y,
                            {"duration_ms", P_INT,
                             "How long to hold, in milliseconds (default 800).", P_MIN | P_MAX, 1,
                             TL_DURATION_MAX_MS}},
                           "Long-press an element of the listing by its index, or a point by x "
                           "and y in screen pixels (e.g. to open a context menu or start a "
                           "selection). Give either index, or both x and y."},
    [TL_ACT_SWIPE] =
        {"swipe",
         {{"start_x", P_INT, "Where the swipe starts, horizontally. " D_PIXELS, P_REQ | P_MIN, 0,
           0},
          {"start_y", P_INT, "Where the swipe starts, vertically. " D_PIXELS, P_REQ | P_MIN, 0, 0},
          {"end_x", P_INT, "Where the swipe ends, horizontally. " D_PIXELS, P_REQ | P_MIN, 0, 0},
          {"end_y", P_INT, "Where the swipe ends, vertically. " D_PIXELS, P_REQ | P_MIN, 0, 0},
          {"duration_ms", P_INT,
           "How long the finger moves, in milliseconds (default 300; shorter is a "
           "fling).",
           P_MIN | P_MAX, TL_SWIPE_MIN_MS, TL_DURATION_MAX_MS}},
         "Swipe a finger from (start_x,start_y) to (end_x,end_y), in screen pixels. "
         "To move through a list or a page, prefer scroll."},
    [TL_ACT_SCROLL] = {"scroll",
                       {{"direction", P_DIR,
                         "Which content to reveal: down shows content further down (like "
                         "reading on), up content further up, right content further right, left "
                         "content further left.",
                         P_REQ, 0, 0},
                        {"index", P_INT,
                         "A scrollable element of the listing, by its number N in [N]; omit it "
                         "to scroll the main content of the screen.",
                         P_MIN, 1, 0}},
                       "Scroll the screen, or one scrollable element, to reveal more content in "
                       "a direction. Use it when what you need is not in the listing yet."},
    [TL_ACT_TYPE] = {"type",
                     {{"text", P_STR, "The text to type.", P_REQ, 0, 0},
                      {"index", P_INT,
                       "The editable field to type into, by its number N in [N] (it is tapped "
                       "first); omit it to type into the focused field.",
                       P_MIN, 1, 0},
                      {"clear", P_BOOL,
                       "true to delete the field's current text first (default false).", 0, 0, 0}},
                     "Type text into an editable field of the listing, or into the field that "
                     "has the focus."},
    [TL_ACT_PRESS_KEY] = {"press_key",
                          {{"key", P_KEY,
                            "back: go back; home: the home screen; recent: the recent apps; "
                            "enter: submit or new line; delete: delete the character before the "
                            "cursor; tab: next field; forward_delete: delete the character after "
                            "the cursor.",
                            P_REQ, 0, 0}},
                          "Press a key or run a global navigation action."},
    [TL_ACT_START_APP] = {"start_app",
                          {{"package", P_STR,
                            "The app's Android package name, e.g. com.android.settings.", P_REQ, 0,
                            0},
                           {"activity", P_STR,
                            "An activity of the app to open, e.g. .Settings$DisplaySettings; omit "
                            "it to open the app's main screen.",
                            0, 0, 0}},
                          "Launch an app (or bring it to the front) by its package name."},
    [TL_ACT_STOP_APP] = {"stop_app",
                         {{"package", P_STR,
                           "The app's Android package name, e.g. com.android.settings.", P_REQ, 0,
                           0}},
                         "Force-stop an app, e.g. to restart it from a clean state."},
    [TL_ACT_WAIT] = {"wait",
                     {{"ms", P_INT, "How long to wait, in milliseconds (at most 10000).",
                       P_REQ | P_MIN | P_MAX, 0, TL_WAIT_MAX_MS}},
                     "Wait for the screen to change (loading, an animation) before the next "
                     "observation."},
    [TL_ACT_DONE] = {"done",
                     {{"success", P_BOOL,
                       "true when the goal is achieved, false when it cannot be achieved.", P_REQ,
                       0, 0},
                      {"message", P_STR,
                       "What was done, or why the goal cannot be achieved, in one or two "
                       "sentences.",
                       P_REQ, 0, 0},
                      {"output", P_OBJ,
                       "The data the goal asks for, as a JSON object (e.g. values read from the "
                       "screen); omit it when the goal asks for none.",
                       0, 0, 0}},
                     "Finish the goal, successfully or not. Call it only when the goal is "
                     "achieved or cannot be achieved."},
};

/* Members a model may add to explain itself; they are not arguments. */
static const char *const commentary[] = {"reason", "reasoning", "thought", NULL};

static const char *const dir_names[] = {"up", "down", "left", "right"};

const char *tl_action_name(tl_action_type t)
{
    return (unsigned)t < TL_ACT__COUNT ? specs[t].name : "?";
}

bool tl_action_type_parse(const char *name, tl_action_type *out)
{
    for (int t = 0; t < TL_ACT__COUNT; t++) {
        if (strcmp(name, specs[t].name) == 0) {
            *out = (tl_action_type)t;
            return true;
        }
    }
    return false;
}

const char *tl_direction_name(tl_direction d)
{
    return d >= TL_DIR_UP && d <= TL_DIR_RIGHT ? dir_names[d] : "?";
}

bool tl_direction_parse(const char *name, tl_direction *out)
{
    for (int d = 0; d < 4; d++) {
        if (strcmp(name, dir_names[d]) == 0) {
            *out = (tl_direction)d;
            return true;
        }
    }
    return false;
}

void tl_action_init(tl_action *a)
{
    memset(a, 0, sizeof(*a));
    a->x = a->y = a->x2 = a->y2 = -1;
    a->duration_ms = -1;
    a->ms = -1;
    a->key = TL_KEY__COUNT;
    a->direction = (tl_direction)-1;
}

void tl_action_dispose(tl_action *a)
{
    if (!a)
        return;
    free(a->text);
    free(a->package);
    free(a->activity);
    free(a->message);
    free(a->output);
    tl_action_init(a);
}

/* ---- checking ------------------------------------------------------------------------------- */

static bool is_package_name(const char *s)
{
    /* Android: two or more segments of [A-Za-z][A-Za-z0-9_]* joined by dots */
    int segments = 0;
    while (*s) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
               *s == '_')
            s++;
        segments++;
        if (*s == '.') {
            if (!*++s)
                return false; /* a trailing dot: "com.example." */
        } else if (*s) {
            return false;
        }
    }
    return segments >= 2;
}

static bool is_activity_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '$' || *s == '/'))
            return false;
    return true;
}

static int bad(tl_error *err, const char *fmt, ...) TL_PRINTF(2, 3);

static int bad(tl_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[TL_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tl_error_set(err, TL_EPARSE, "%s", msg);
}

static int check_target(const tl_action *a, tl_error *err)
{
    const char *n = specs[a->type].name;
    if (a->has_index && a->has_point)
        return bad(err, "%s takes either index or x and y, not both", n);
    if (!a->has_index && !a->has_point)
        return bad(err, "%s needs index (an element of the listing) or x and y (a point)", n);
    if (a->has_index && a->index < 1)
        return bad(err, "%s: index must be 1 or more, not %ld", n, a->index);
    if (a->has_point && (a->x < 0 || a->y < 0))
        return bad(err, "%s: x and y must not be negative (%ld,%ld)", n, a->x, a->y);
    return TL_OK;
}

int tl_action_check(const tl_action *a, tl_error *err)
{
    switch (a->type) {
    case TL_ACT_TAP: return check_target(a, err);
    case TL_ACT_LONG_PRESS: {
        int rc = check_target(a, err);
        if (rc)
            return rc;
        if (a->duration_ms < 1 || a->duration_ms > TL_DURATION_MAX_MS)
            return bad(err, "long_press: duration_ms must be between 1 and %d, not %ld",
                       TL_DURATION_MAX_MS, a->duration_ms);
        return TL_OK;
    }
    case TL_ACT_SWIPE:
        if (!a->has_point || a->x2 < 0 || a->y2 < 0 || a->x < 0 || a->y < 0)
            return bad(err, "swipe needs start_x, start_y, end_x and end_y (pixels, not negative)");
        if (a->duration_ms < TL_SWIPE_MIN_MS || a->duration_ms > TL_DURATION_MAX_MS)
            return bad(err, "swipe: duration_ms must be between %d and %d, not %ld",
                       TL_SWIPE_MIN_MS, TL_DURATION_MAX_MS, a->duration_ms);
        return TL_OK;
    case TL_ACT_SCROLL:
        if ((int)a->direction < TL_DIR_UP || a->direction > TL_DIR_RIGHT)
            return bad(err, "scroll needs direction: up, down, left or right");
        if (a->has_index && a->index < 1)
            return bad(err, "scroll: index must be 1 or more, not %ld", a->index);
        return TL_OK;
    case TL_ACT_TYPE:
        if (!a->text || (!a->text[0] && !a->clear))
            return bad(err, "type needs text (or clear: true with empty text to empty the field)");
        if (!tl_utf8_valid(a->text, strlen(a->text)))
            return bad(err, "type: text is not valid UTF-8");
        if (a->has_index && a->index < 1)
            return bad(err, "type: index must be 1 or more, not %ld", a->index);
        return TL_OK;
    case TL_ACT_PRESS_KEY:
        if ((unsigned)a->key >= TL_KEY__COUNT)
            return bad(err, "press_key needs key: %s", tl_key_names_list());
        return TL_OK;
    case TL_ACT_START_APP:
    case TL_ACT_STOP_APP:
        if (!a->package || !a->package[0])
            return bad(err, "%s needs package (e.g. com.android.settings)", specs[a->type].name);
        if (!is_package_name(a->package))
            return bad(err,
                       "%s: \"%.100s\" is not an Android package name (e.g. "
                       "com.android.settings)",
                       specs[a->type].name, a->package);
        if (a->activity && !is_activity_name(a->activity))
            return bad(err, "start_app: \"%.100s\" is not an activity name (e.g. .MainActivity)",
                       a->activity);
        return TL_OK;
    case TL_ACT_WAIT:
        if (a->ms < 0 || a->ms > TL_WAIT_MAX_MS)
            return bad(err, "wait needs ms between 0 and %d", TL_WAIT_MAX_MS);
        return TL_OK;
    case TL_ACT_DONE:
        if (!a->message)
            return bad(err, "done needs success (true or false) and message");
        return TL_OK;
    default: return bad(err, "unknown action type %d", (int)a->type);
    }
}

/* ---- parsing -------------------------------------------------------------------------------- */

static int expected_list(tl_action_type t, char *out, size_t size)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 6 && specs[t].params[i].name; i++) {
        int n = snprintf(out + off, size - off, "%s%s", i ? ", " : "", specs[t].params[i].name);
        if (n < 0 || (size_t)n >= size - off)
            break;
        off += (size_t)n;
    }
    return TL_OK;
}

static int get_int(const cJSON *v, const char *act, const char *name, long *out, tl_error *err)
{
    double d;
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (cJSON_IsString(v) && v->valuestring[0]) {
        /* some models quote numbers: accept a plain decimal integer */
        char *end;
        d = strtod(v->valuestring, &end);
        if (*end || strchr(v->valuestring, 'x') || strchr(v->valuestring, 'X'))
            return bad(err, "%s: %s must be an integer, not \"%.40s\"", act, name, v->valuestring);
    } else {
        return bad(err, "%s: %s must be an integer", act, name);
    }
    if (!isfinite(d) || d != floor(d) || d > 1e9 || d < -1e9)
        return bad(err, "%s: %s must be an integer, not %g", act, name, d);
    *out = (long)d;
    return TL_OK;
}

static int get_bool(const cJSON *v, const char *act, const char *name, bool *out, tl_error *err)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return TL_OK;
    }
    if (cJSON_IsString(v) &&
        (strcmp(v->valuestring, "true") == 0 || strcmp(v->valuestring, "false") == 0)) {
        *out = v->valuestring[0] == 't';
        return TL_OK;
    }
    return bad(err, "%s: %s must be true or false", act, name);
}

static int set_string(char **dst, const cJSON *v, const char *act, const char *name, tl_error *err)
{
    if (!cJSON_IsString(v))
        return bad(err, "%s: %s must be a string", act, name);
    char *s = tl_strdup(v->valuestring);
    if (!s)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    free(*dst);
    *dst = s;
    return TL_OK;
}

/* Apply one member of the arguments object to the action. */
static int apply_member(tl_action *a, const cJSON *v, const char *name, tl_error *err)
{
    const char *act = specs[a->type].name;
    const struct param *p = NULL;
    for (size_t i = 0; i < 6 && specs[a->type].params[i].name; i++)
        if (strcmp(specs[a->type].params[i].name, name) == 0)
            p = &specs[a->type].params[i];
    if (!p) {
        for (size_t i = 0; commentary[i]; i++)
            if (strcmp(commentary[i], name) == 0)
                return TL_OK;
        char list[128];
        expected_list(a->type, list, sizeof(list));
        return bad(err, "unknown argument \"%.40s\" for %s (it takes %s)", name, act, list);
    }
    long n = 0;
    int rc = TL_OK;
    switch (p->kind) {
    case P_INT:
        if ((rc = get_int(v, act, name, &n, err)))
            return rc;
        if (strcmp(name, "index") == 0) {
            a->has_index = true;
            a->index = n;
        } else if (strcmp(name, "x") == 0 || strcmp(name, "start_x") == 0) {
            a->x = n;
        } else if (strcmp(name, "y") == 0 || strcmp(name, "start_y") == 0) {
            a->y = n;
        } else if (strcmp(name, "end_x") == 0) {
            a->x2 = n;
        } else if (strcmp(name, "end_y") == 0) {
            a->y2 = n;
        } else if (strcmp(name, "duration_ms") == 0) {
            a->duration_ms = n;
        } else {
            a->ms = n;
        }
        return TL_OK;
    case P_STR:
        if (strcmp(name, "text") == 0)
            return set_string(&a->text, v, act, name, err);
        if (strcmp(name, "package") == 0)
            return set_string(&a->package, v, act, name, err);
        if (strcmp(name, "activity") == 0) /* null or "" means none */
            return cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0])
                       ? TL_OK
                       : set_string(&a->activity, v, act, name, err);
        return set_string(&a->message, v, act, name, err);
    case P_BOOL:
        if (strcmp(name, "clear") == 0)
            return get_bool(v, act, name, &a->clear, err);
        return get_bool(v, act, name, &a->success, err);
    case P_DIR:
        if (!cJSON_IsString(v) || !tl_direction_parse(v->valuestring, &a->direction))
            return bad(err, "scroll: direction must be up, down, left or right");
        return TL_OK;
    case P_KEY:
        if (!cJSON_IsString(v) || !tl_key_parse(v->valuestring, &a->key))
            return bad(err, "press_key: key must be one of %s", tl_key_names_list());
        return TL_OK;
    case P_OBJ: {
        if (cJSON_IsNull(v))
            return TL_OK;
        if (!cJSON_IsObject(v))
            return bad(err, "done: output must be a JSON object");
        char *text = cJSON_PrintUnformatted(v);
        if (!text)
            return tl_error_set(err, TL_ENOMEM, "out of memory");
        free(a->output);
        a->output = text;
        return TL_OK;
    }
    }
    return rc;
}

/* Fill `a` (type already set) from the members of `obj`, skipping "action". */
static int from_object(tl_action *a, const cJSON *obj, tl_error *err)
{
    bool saw_success = false;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (strcmp(c->string, "action") == 0)
            continue;
        if (strcmp(c->string, "success") == 0)
            saw_success = true;
        int rc = apply_member(a, c, c->string, err);
        if (rc)
            return rc;
    }
    bool sx = cJSON_GetObjectItemCaseSensitive(obj, "x") != NULL;
    bool sy = cJSON_GetObjectItemCaseSensitive(obj, "y") != NULL;
    if (a->type == TL_ACT_TAP || a->type == TL_ACT_LONG_PRESS) {
        if (sx != sy)
            return bad(err, "%s needs both x and y", specs[a->type].name);
        a->has_point = sx;
    }
    if (a->type == TL_ACT_SWIPE) {
        const char *const k[4] = {"start_x", "start_y", "end_x", "end_y"};
        for (int i = 0; i < 4; i++)
            if (!cJSON_GetObjectItemCaseSensitive(obj, k[i]))
                return bad(err, "swipe needs start_x, start_y, end_x and end_y (%s is missing)",
                           k[i]);
        a->has_point = true;
    }
    if (a->duration_ms < 0 && a->type == TL_ACT_LONG_PRESS)
        a->duration_ms = TL_LONG_PRESS_DEFAULT_MS;
    if (a->duration_ms < 0 && a->type == TL_ACT_SWIPE)
        a->duration_ms = TL_SWIPE_DEFAULT_MS;
    if (a->type == TL_ACT_DONE && !saw_success)
        return bad(err, "done needs success (true or false) and message");
    return tl_action_check(a, err);
}

static int parse_object(tl_action *out, const char *name, const char *json, size_t len,
                        tl_error *err)
{
    tl_action_init(out);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root)
        return bad(err, "the action is not valid JSON");
    /* cJSON stops after the first value: anything but white space after it is an error */
    size_t used = end ? (size_t)(end - json) : len;
    while (used < len &&
           (json[used] == ' ' || json[used] == '\t' || json[used] == '\n' || json[used] == '\r'))
        used++;
    if (used < len) {
        cJSON_Delete(root);
        return bad(err,
                   "the action is not valid JSON (unexpected text after the object at byte "
                   "%zu)",
                   used);
    }
    int rc = TL_OK;
    if (!cJSON_IsObject(root)) {
        rc = bad(err, "the action must be a JSON object");
        goto done;
    }
    if (!name) {
        const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "action");
        if (!cJSON_IsString(act)) {
            rc = bad(err, "the object has no \"action\" naming one of tap, long_press, swipe, "
                          "scroll, type, press_key, start_app, stop_app, wait, done");
            goto done;
        }
        name = act->valuestring;
    }
    if (!name) {
        rc = bad(err, "the action has no name");
        goto done;
    }
    if (!tl_action_type_parse(name, &out->type)) {
        rc = bad(err,
                 "unknown action \"%.40s\" (use tap, long_press, swipe, scroll, type, "
                 "press_key, start_app, stop_app, wait or done)",
                 name);
        goto done;
    }
    rc = from_object(out, root, err);
done:
    cJSON_Delete(root);
    if (rc) {
        tl_action_dispose(out);
        if (rc != TL_ENOMEM)
            rc = TL_EPARSE;
    }
    return rc;
}

int tl_action_parse_json(tl_action *out, const char *json, size_t len, tl_error *err)
{
    return parse_object(out, NULL, json, len, err);
}

int tl_action_parse_call(tl_action *out, const char *name, const char *args, size_t len,
                         tl_error *err)
{
    if (!args || len == 0) {
        args = "{}";
        len = 2;
    }
    return parse_object(out, name, args, len, err);
}

/* ---- writing -------------------------------------------------------------------------------- */

int tl_action_to_json(const tl_action *a, tl_buf *out)
{
    int rc = tl_buf_printf(out, "{\"action\":\"%s\"", tl_action_name(a->type));
    switch (a->type) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS:
        if (a->has_index)
            rc |= tl_buf_printf(out, ",\"index\":%ld", a->index);
        else
            rc |= tl_buf_printf(out, ",\"x\":%ld,\"y\":%ld", a->x, a->y);
        if (a->type == TL_ACT_LONG_PRESS)
            rc |= tl_buf_printf(out, ",\"duration_ms\":%ld", a->duration_ms);
        break;
    case TL_ACT_SWIPE:
        rc |= tl_buf_printf(out,
                            ",\"start_x\":%ld,\"start_y\":%ld,\"end_x\":%ld,\"end_y\":%ld,"
                            "\"duration_ms\":%ld",
                            a->x, a->y, a->x2, a->y2, a->duration_ms);
        break;
    case TL_ACT_SCROLL:
        rc |= tl_buf_printf(out, ",\"direction\":\"%s\"", tl_direction_name(a->direction));
        if (a->has_index)
            rc |= tl_buf_printf(out, ",\"index\":%ld", a->index);
        break;
    case TL_ACT_TYPE:
        rc |= tl_buf_puts(out, ",\"text\":");
        rc |= tl_json_cstr(out, a->text ? a->text : "");
        if (a->has_index)
            rc |= tl_buf_printf(out, ",\"index\":%ld", a->index);
        if (a->clear)
            rc |= tl_buf_puts(out, ",\"clear\":true");
        break;
    case TL_ACT_PRESS_KEY: rc |= tl_buf_printf(out, ",\"key\":\"%s\"", tl_key_name(a->key)); break;
    case TL_ACT_START_APP:
    case TL_ACT_STOP_APP:
        rc |= tl_buf_puts(out, ",\"package\":");
        rc |= tl_json_cstr(out, a->package ? a->package : "");
        if (a->activity) {
            rc |= tl_buf_puts(out, ",\"activity\":");
            rc |= tl_json_cstr(out, a->activity);
        }
        break;
    case TL_ACT_WAIT: rc |= tl_buf_printf(out, ",\"ms\":%ld", a->ms); break;
    case TL_ACT_DONE:
        rc |= tl_buf_printf(out, ",\"success\":%s,\"message\":", a->success ? "true" : "false");
        rc |= tl_json_cstr(out, a->message ? a->message : "");
        if (a->output) {
            rc |= tl_buf_puts(out, ",\"output\":");
            rc |= tl_buf_puts(out, a->output);
        }
        break;
    default: break;
    }
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

static int put_target(const tl_action *a, tl_buf *out)
{
    if (a->has_index)
        return tl_buf_printf(out, " [%ld]", a->index);
    return tl_buf_printf(out, " (%ld,%ld)", a->x, a->y);
}

int tl_action_describe(const tl_action *a, tl_buf *out)
{
    int rc = tl_buf_puts(out, tl_action_name(a->type));
    switch (a->type) {
    case TL_ACT_TAP: rc |= put_target(a, out); break;
    case TL_ACT_LONG_PRESS:
        rc |= put_target(a, out);
        rc |= tl_buf_printf(out, " %ldms", a->duration_ms);
        break;
    case TL_ACT_SWIPE:
        rc |= tl_buf_printf(out, " (%ld,%ld)->(%ld,%ld) %ldms", a->x, a->y, a->x2, a->y2,
                            a->duration_ms);
        break;
    case TL_ACT_SCROLL:
        rc |= tl_buf_printf(out, " %s", tl_direction_name(a->direction));
        if (a->has_index)
            rc |= tl_buf_printf(out, " [%ld]", a->index);
        break;
    case TL_ACT_TYPE:
        rc |= tl_buf_putc(out, ' ');
        rc |= tl_json_cstr(out, a->text ? a->text : "");
        if (a->has_index)
            rc |= tl_buf_printf(out, " into [%ld]", a->index);
        if (a->clear)
            rc |= tl_buf_puts(out, " (clear first)");
        break;
    case TL_ACT_PRESS_KEY: rc |= tl_buf_printf(out, " %s", tl_key_name(a->key)); break;
    case TL_ACT_START_APP:
    case TL_ACT_STOP_APP:
        rc |= tl_buf_printf(out, " %s", a->package ? a->package : "");
        if (a->activity)
            rc |= tl_buf_printf(out, "/%s", a->activity);
        break;
    case TL_ACT_WAIT: rc |= tl_buf_printf(out, " %ldms", a->ms); break;
    case TL_ACT_DONE:
        rc |= tl_buf_printf(out, " %s ", a->success ? "success" : "failure");
        rc |= tl_json_cstr(out, a->message ? a->message : "");
        break;
    default: break;
    }
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- the LLM tools -------------------------------------------------------------------------- */

/* One parameter's JSON Schema. */
static int put_param_schema(const struct param *p, tl_buf *out)
{
    static const char *const types[] = {
        [P_INT] = "integer", [P_STR] = "string", [P_BOOL] = "boolean",
        [P_DIR] = "string",  [P_KEY] = "string", [P_OBJ] = "object",
    };
    int rc = tl_json_key(out, p->name);
    rc |= tl_buf_printf(out, "{\"type\":\"%s\",\"description\":", types[p->kind]);
    rc |= tl_json_cstr(out, p->desc);
    if (p->kind == P_DIR || p->kind == P_KEY) {
        rc |= tl_buf_puts(out, ",\"enum\":[");
        int n = p->kind == P_DIR ? 4 : TL_KEY__COUNT;
        for (int i = 0; i < n; i++) {
            if (i)
                rc |= tl_buf_putc(out, ',');
            rc |= tl_json_cstr(out, p->kind == P_DIR ? dir_names[i] : tl_key_name((tl_key)i));
        }
        rc |= tl_buf_putc(out, ']');
    }
    if (p->flags & P_MIN)
        rc |= tl_buf_printf(out, ",\"minimum\":%ld", p->min);
    if (p->flags & P_MAX)
        rc |= tl_buf_printf(out, ",\"maximum\":%ld", p->max);
    rc |= tl_buf_putc(out, '}');
    return rc;
}

/* One tool: {"type":"function","function":{"name","description","parameters"}}. "required" is
 * left out when empty (tap and long_press take index or x and y: the description says so),
 * and so are JSON-Schema keywords some OpenAI-compatible servers reject (anyOf,
 * additionalProperties, strict). */
static int put_tool(const struct spec *s, tl_buf *out)
{
    int rc = tl_buf_puts(out, "{\"type\":\"function\",\"function\":{\"name\":");
    rc |= tl_json_cstr(out, s->name);
    rc |= tl_buf_puts(out, ",\"description\":");
    rc |= tl_json_cstr(out, s->desc);
    rc |= tl_buf_puts(out, ",\"parameters\":{\"type\":\"object\",\"properties\":{");
    int required = 0;
    for (size_t i = 0; i < 6 && s->params[i].name; i++) {
        if (i)
            rc |= tl_buf_putc(out, ',');
        rc |= put_param_schema(&s->params[i], out);
        required += (s->params[i].flags & P_REQ) != 0;
    }
    rc |= tl_buf_putc(out, '}');
    if (required) {
        rc |= tl_buf_puts(out, ",\"required\":[");
        int k = 0;
        for (size_t i = 0; i < 6 && s->params[i].name; i++) {
            if (!(s->params[i].flags & P_REQ))
                continue;
            if (k++)
                rc |= tl_buf_putc(out, ',');
            rc |= tl_json_cstr(out, s->params[i].name);
        }
        rc |= tl_buf_putc(out, ']');
    }
    rc |= tl_buf_puts(out, "}}}");
    return rc;
}

int tl_action_tools_json(tl_buf *out)
{
    int rc = tl_buf_putc(out, '[');
    for (int t = 0; t < TL_ACT__COUNT; t++) {
        if (t)
            rc |= tl_buf_putc(out, ',');
        rc |= put_tool(&specs[t], out);
    }
    rc |= tl_buf_putc(out, ']');
    return rc ? TL_ENOMEM : TL_OK;
}
