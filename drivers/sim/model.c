/*
 * model.c - loading a sim phone model from JSON (format: docs/sim-model.md).
 *
 * The loader is strict, because people write these files by hand: an unknown key, a value of
 * the wrong type, a reference to a screen, app, variable or field that does not exist, or a
 * template naming something unknown is an error that names the key path, e.g.
 * `screens.settings.views[3].on_tap[0].go: no screen "dispaly"`. After loading, the model is
 * immutable and shared by every phone made from it.
 */
#include "drivers/sim/sim_int.h"

#include "core/digest.h"
#include "core/str.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WIDTH   1080
#define DEFAULT_HEIGHT  2400
#define DEFAULT_DENSITY 2.625
#define AFTER_MAX_MS    600000 /* a screen's timed transition: at most 10 minutes */

/* A key path being walked, for messages. */
struct path {
    char buf[256];
    size_t len;
};

struct loader {
    struct sim_model *m;
    const char *origin;
    tl_error *err;
    struct path path;
    const cJSON *screens; /* the "screens" object, for forward references */
    int app;              /* the app of the screen being loaded, for "replace" */
};

static size_t path_push(struct path *p, const char *fmt, ...) TL_PRINTF(2, 3);

static size_t path_push(struct path *p, const char *fmt, ...)
{
    size_t mark = p->len;
    if (p->len < sizeof(p->buf) - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
        va_end(ap);
        if (n > 0)
            p->len += (size_t)n < sizeof(p->buf) - p->len ? (size_t)n : sizeof(p->buf) - 1 - p->len;
    }
    return mark;
}

static void path_pop(struct path *p, size_t mark)
{
    p->len = mark;
    p->buf[mark] = '\0';
}

static int lfail(struct loader *L, const char *fmt, ...) TL_PRINTF(2, 3);

static int lfail(struct loader *L, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return tl_error_set(L->err, TL_EPARSE, "sim model %s: %s: %s", L->origin,
                        L->path.len ? L->path.buf : "(top level)", reason);
}

static int loom(struct loader *L)
{
    return tl_error_set(L->err, TL_ENOMEM, "sim model %s: out of memory", L->origin);
}

/* Check that `obj` has only keys from `allowed` (NULL-terminated). */
static int only_keys(struct loader *L, const cJSON *obj, const char *const *allowed)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(c->string, allowed[i]) == 0;
        if (!ok) {
            char list[200] = "";
            size_t off = 0;
            for (size_t i = 0; allowed[i] && off < sizeof(list); i++) {
                int n = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", allowed[i]);
                if (n < 0)
                    break;
                off += (size_t)n;
            }
            return lfail(L, "unknown key \"%s\" (allowed: %s)", c->string, list);
        }
    }
    return TL_OK;
}

/* Read an optional string member into *out (copied). Missing: *out stays NULL. */
static int opt_string(struct loader *L, const cJSON *obj, const char *key, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return TL_OK;
    if (!cJSON_IsString(v)) {
        size_t mark = path_push(&L->path, ".%s", key);
        int rc = lfail(L, "must be a string");
        path_pop(&L->path, mark);
        return rc;
    }
    *out = tl_strdup(v->valuestring);
    return *out ? TL_OK : loom(L);
}

static int req_string(struct loader *L, const cJSON *obj, const char *key, char **out)
{
    int rc = opt_string(L, obj, key, out);
    if (rc == TL_OK && !*out)
        rc = lfail(L, "the key \"%s\" is required", key);
    return rc;
}

static int opt_bool(struct loader *L, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return TL_OK;
    if (!cJSON_IsBool(v)) {
        size_t mark = path_push(&L->path, ".%s", key);
        int rc = lfail(L, "must be true or false");
        path_pop(&L->path, mark);
        return rc;
    }
    *out = cJSON_IsTrue(v);
    return TL_OK;
}

int sim_model_screen(const struct sim_model *m, const char *id)
{
    for (size_t i = 0; i < m->nscreens; i++)
        if (strcmp(m->screens[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sim_model_app(const struct sim_model *m, const char *package)
{
    for (size_t i = 0; i < m->napps; i++)
        if (strcmp(m->apps[i].package, package) == 0)
            return (int)i;
    return -1;
}

int sim_model_var(const struct sim_model *m, const char *name)
{
    for (size_t i = 0; i < m->nvars; i++)
        if (strcmp(m->vars[i].name, name) == 0)
            return (int)i;
    return -1;
}

int sim_model_field(const struct sim_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i], name) == 0)
            return (int)i;
    return -1;
}

/* ---- variables ------------------------------------------------------------------------------ */

static int load_record(struct loader *L, const cJSON *obj, struct sim_record *r)
{
    if (!cJSON_IsObject(obj))
        return lfail(L, "a list item must be an object of strings");
    size_t n = (size_t)cJSON_GetArraySize(obj);
    r->keys = calloc(n ? n : 1, sizeof(char *));
    r->vals = calloc(n ? n : 1, sizeof(char *));
    if (!r->keys || !r->vals)
        return loom(L);
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return lfail(L, "list item member \"%s\" must be a string", c->string);
        r->keys[r->n] = tl_strdup(c->string);
        r->vals[r->n] = tl_strdup(c->valuestring);
        if (!r->keys[r->n] || !r->vals[r->n])
            return loom(L);
        r->n++;
    }
    return TL_OK;
}

static int load_vars(struct loader *L, const cJSON *vars)
{
    struct sim_model *m = L->m;
    if (!vars)
        return TL_OK;
    if (!cJSON_IsObject(vars))
        return lfail(L, "vars must be an object");
    size_t n = (size_t)cJSON_GetArraySize(vars);
    m->vars = calloc(n ? n : 1, sizeof(*m->vars));
    if (!m->vars)
        return loom(L);
    for (const cJSON *c = vars->child; c; c = c->next) {
        size_t mark = path_push(&L->path, "vars.%s", c->string);
        struct sim_var *v = &m->vars[m->nvars++];
        v->name = tl_strdup(c->string);
        if (!v->name)
            return loom(L);
        int rc = TL_OK;
        if (cJSON_IsBool(c)) {
            v->init.type = SIM_VAR_BOOL;
            v->init.b = cJSON_IsTrue(c);
        } else if (cJSON_IsString(c)) {
            v->init.type = SIM_VAR_STRING;
            v->init.s = tl_strdup(c->valuestring);
            if (!v->init.s)
                rc = loom(L);
        } else if (cJSON_IsArray(c)) {
            v->init.type = SIM_VAR_LIST;
            size_t k = (size_t)cJSON_GetArraySize(c);
            v->init.items = calloc(k ? k : 1, sizeof(struct sim_record));
            if (!v->init.items)
                return loom(L);
            size_t i = 0;
            for (const cJSON *it = c->child; it && rc == TL_OK; it = it->next, i++) {
                size_t m2 = path_push(&L->path, "[%zu]", i);
                rc = load_record(L, it, &v->init.items[v->init.nitems]);
                v->init.nitems++;
                path_pop(&L->path, m2);
            }
        } else {
            rc = lfail(L, "a variable must be true/false, a string or a list of objects");
        }
        if (rc)
            return rc;
        path_pop(&L->path, mark);
    }
    return TL_OK;
}

/* ---- templates ------------------------------------------------------------------------------ */

/* Check every {name} of a template; `in_item` allows names of list item fields. */
static int check_template(struct loader *L, const char *t, bool in_item)
{
    if (!t)
        return TL_OK;
    for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close)
            return lfail(L, "unclosed '{' in \"%s\"", t);
        char name[64];
        size_t n = (size_t)(close - p - 1);
        if (n == 0 || n >= sizeof(name))
            return lfail(L, "bad {name} in \"%s\"", t);
        memcpy(name, p + 1, n);
        name[n] = '\0';
        if (!in_item && sim_model_var(L->m, name) < 0 && sim_model_field(L->m, name) < 0)
            return lfail(L,
                         "\"%s\" refers to {%s}, which is neither a variable nor an input "
                         "field",
                         t, name);
    }
    return TL_OK;
}

static int check_var(struct loader *L, const char *name, int type, const char *what)
{
    int v = sim_model_var(L->m, name);
    if (v < 0)
        return lfail(L, "no variable \"%s\" (declare it under vars)", name);
    if (type >= 0 && (int)L->m->vars[v].init.type != type)
        return lfail(L, "variable \"%s\" must be %s", name, what);
    return TL_OK;
}

/* ---- operations ----------------------------------------------------------------------------- */

static int load_ops(struct loader *L, const cJSON *arr, struct sim_ops *out, bool in_item);

static int load_cond(struct loader *L, const cJSON *c, struct sim_cond *cond, bool in_item)
{
    static const char *const kinds[] = {"equals", "not_equals", "empty", "not_empty",
                                        "truthy", "falsy",      NULL};
    if (!cJSON_IsObject(c) || cJSON_GetArraySize(c) != 1)
        return lfail(L, "a condition is an object with one of: equals, not_equals, empty, "
                        "not_empty, truthy, falsy");
    int rc = only_keys(L, c, kinds);
    if (rc)
        return rc;
    const cJSON *v = c->child;
    const char *k = v->string;
    size_t mark = path_push(&L->path, ".%s", k);
    if (strcmp(k, "equals") == 0 || strcmp(k, "not_equals") == 0) {
        cond->kind = k[0] == 'e' ? SIM_C_EQUALS : SIM_C_NOT_EQUALS;
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsString(v->child) ||
            !cJSON_IsString(v->child->next))
            return lfail(L, "must be a list of two strings");
        cond->a = tl_strdup(v->child->valuestring);
        cond->b = tl_strdup(v->child->next->valuestring);
        if (!cond->a || !cond->b)
            return loom(L);
        rc = check_template(L, cond->a, in_item);
        if (rc == TL_OK)
            rc = check_template(L, cond->b, in_item);
    } else if (strcmp(k, "empty") == 0 || strcmp(k, "not_empty") == 0) {
        cond->kind = k[0] == 'e' ? SIM_C_EMPTY : SIM_C_NOT_EMPTY;
        if (!cJSON_IsString(v))
            return lfail(L, "must be a string");
        cond->a = tl_strdup(v->valuestring);
        if (!cond->a)
            return loom(L);
        rc = check_template(L, cond->a, in_item);
    } else {
        cond->kind = k[0] == 't' ? SIM_C_TRUTHY : SIM_C_FALSY;
        if (!cJSON_IsString(v))
            return lfail(L, "must be a variable name");
        cond->a = tl_strdup(v->valuestring);
        if (!cond->a)
            return loom(L);
        rc = check_var(L, cond->a, -1, NULL);
    }
    if (rc == TL_OK)
        path_pop(&L->path, mark);
    return rc;
}

static int load_op(struct loader *L, const cJSON *o, struct sim_op *op, bool in_item)
{
    static const char *const keys[] = {"go",     "replace", "back",   "home",  "launch",
                                       "toggle", "set",     "append", "clear", "if",
                                       "then",   "else",    NULL};
    if (!cJSON_IsObject(o))
        return lfail(L, "an operation must be an object like {\"go\": \"screen\"}");
    int rc = only_keys(L, o, keys);
    if (rc)
        return rc;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "if"))) {
        op->kind = SIM_OP_IF;
        size_t mark = path_push(&L->path, ".if");
        rc = load_cond(L, v, &op->cond, in_item);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
        mark = path_push(&L->path, ".then");
        rc = load_ops(L, cJSON_GetObjectItemCaseSensitive(o, "then"), &op->then, in_item);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
        mark = path_push(&L->path, ".else");
        rc = load_ops(L, cJSON_GetObjectItemCaseSensitive(o, "else"), &op->otherwise, in_item);
        if (rc == TL_OK)
            path_pop(&L->path, mark);
        return rc;
    }
    if (cJSON_GetArraySize(o) != 1)
        return lfail(L, "an operation has exactly one key (\"then\"/\"else\" only go with \"if\")");
    v = o->child;
    const char *k = v->string;
    size_t mark = path_push(&L->path, ".%s", k);
    if (strcmp(k, "go") == 0 || strcmp(k, "launch") == 0 || strcmp(k, "toggle") == 0 ||
        strcmp(k, "replace") == 0) {
        if (!cJSON_IsString(v))
            return lfail(L, "must be a string");
        op->arg = tl_strdup(v->valuestring);
        if (!op->arg)
            return loom(L);
        if (k[0] == 'r') {
            op->kind = SIM_OP_REPLACE;
            const cJSON *target = cJSON_GetObjectItemCaseSensitive(L->screens, op->arg);
            if (!target)
                return lfail(L, "no screen \"%s\"", op->arg);
            /* the target's app, read from its JSON: screens are loaded in order */
            const cJSON *app = cJSON_GetObjectItemCaseSensitive(target, "app");
            int a = cJSON_IsString(app) ? sim_model_app(L->m, app->valuestring) : -1;
            if (a >= 0 && a != L->app)
                return lfail(L,
                             "screen \"%s\" belongs to another app (%s): replace stays in the "
                             "app, use go",
                             op->arg, app->valuestring);
        } else if (k[0] == 'g') {
            op->kind = SIM_OP_GO;
            if (!cJSON_GetObjectItemCaseSensitive(L->screens, op->arg))
                return lfail(L, "no screen \"%s\"", op->arg);
        } else if (k[0] == 'l') {
            op->kind = SIM_OP_LAUNCH;
            if (sim_model_app(L->m, op->arg) < 0)
                return lfail(L, "no app \"%s\" (declare it under apps)", op->arg);
        } else {
            op->kind = SIM_OP_TOGGLE;
            rc = check_var(L, op->arg, SIM_VAR_BOOL, "true or false");
        }
    } else if (strcmp(k, "back") == 0 || strcmp(k, "home") == 0) {
        if (!cJSON_IsTrue(v))
            return lfail(L, "must be true");
        op->kind = k[0] == 'b' ? SIM_OP_BACK : SIM_OP_HOME;
    } else if (strcmp(k, "set") == 0) {
        op->kind = SIM_OP_SET;
        if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1)
            return lfail(L, "must be an object with one variable, like {\"logged_in\": true}");
        const cJSON *val = v->child;
        op->arg = tl_strdup(val->string);
        if (!op->arg)
            return loom(L);
        int var = sim_model_var(L->m, op->arg);
        if (var < 0)
            return lfail(L, "no variable \"%s\" (declare it under vars)", op->arg);
        if (L->m->vars[var].init.type == SIM_VAR_BOOL) {
            if (!cJSON_IsBool(val))
                return lfail(L, "variable \"%s\" takes true or false", op->arg);
            op->is_bool = true;
            op->bool_value = cJSON_IsTrue(val);
        } else if (L->m->vars[var].init.type == SIM_VAR_STRING) {
            if (!cJSON_IsString(val))
                return lfail(L, "variable \"%s\" takes a string", op->arg);
            op->value = tl_strdup(val->valuestring);
            if (!op->value)
                return loom(L);
            rc = check_template(L, op->value, in_item);
        } else {
            return lfail(L, "list variable \"%s\" cannot be set; use append", op->arg);
        }
    } else if (strcmp(k, "append") == 0) {
        op->kind = SIM_OP_APPEND;
        static const char *const akeys[] = {"to", "item", NULL};
        if (!cJSON_IsObject(v) || (rc = only_keys(L, v, akeys)) != TL_OK)
            return rc ? rc : lfail(L, "must be {\"to\": list variable, \"item\": {...}}");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(v, "to");
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(v, "item");
        if (!cJSON_IsString(to) || !cJSON_IsObject(item))
            return lfail(L, "must be {\"to\": list variable, \"item\": {...}}");
        op->arg = tl_strdup(to->valuestring);
        if (!op->arg)
            return loom(L);
        rc = check_var(L, op->arg, SIM_VAR_LIST, "a list");
        size_t n = (size_t)cJSON_GetArraySize(item);
        op->keys = calloc(n ? n : 1, sizeof(char *));
        op->vals = calloc(n ? n : 1, sizeof(char *));
        if (!op->keys || !op->vals)
            return loom(L);
        for (const cJSON *c = item->child; c && rc == TL_OK; c = c->next) {
            if (!cJSON_IsString(c))
                return lfail(L, "item member \"%s\" must be a string", c->string);
            op->keys[op->nkv] = tl_strdup(c->string);
            op->vals[op->nkv] = tl_strdup(c->valuestring);
            if (!op->keys[op->nkv] || !op->vals[op->nkv])
                return loom(L);
            op->nkv++;
            rc = check_template(L, c->valuestring, in_item);
        }
    } else if (strcmp(k, "clear") == 0) {
        op->kind = SIM_OP_CLEAR;
        if (!cJSON_IsArray(v))
            return lfail(L, "must be a list of input field names");
        size_t n = (size_t)cJSON_GetArraySize(v);
        op->keys = calloc(n ? n : 1, sizeof(char *));
        if (!op->keys)
            return loom(L);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!cJSON_IsString(c))
                return lfail(L, "must be a list of input field names");
            if (sim_model_field(L->m, c->valuestring) < 0)
                return lfail(L, "no input field \"%s\"", c->valuestring);
            op->keys[op->nkv] = tl_strdup(c->valuestring);
            if (!op->keys[op->nkv++])
                return loom(L);
        }
    } else {
        return lfail(L, "\"then\" and \"else\" only go with \"if\"");
    }
    if (rc == TL_OK)
        path_pop(&L->path, mark);
    return rc;
}

static int load_ops(struct loader *L, const cJSON *arr, struct sim_ops *out, bool in_item)
{
    if (!arr)
        return TL_OK;
    if (!cJSON_IsArray(arr))
        return lfail(L, "must be a list of operations");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    if (!out->items)
        return loom(L);
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t mark = path_push(&L->path, "[%zu]", i);
        int rc = load_op(L, c, &out->items[out->n++], in_item);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
    }
    return TL_OK;
}

/* ---- views and screens ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    enum sim_view_kind kind;
} view_kinds[] = {
    {"text", SIM_V_TEXT},         {"row", SIM_V_ROW},       {"switch", SIM_V_SWITCH},
    {"checkbox", SIM_V_CHECKBOX}, {"button", SIM_V_BUTTON}, {"input", SIM_V_INPUT},
    {"list", SIM_V_LIST},
};

/* Collect input field names first, so that templates anywhere may refer to them. */
static int collect_fields(struct loader *L, const cJSON *views)
{
    struct sim_model *m = L->m;
    for (const cJSON *v = views ? views->child : NULL; v; v = v->next) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type");
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(v, "field");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "input") != 0 ||
            !cJSON_IsString(field))
            continue;
        if (sim_model_field(m, field->valuestring) >= 0)
            return lfail(L, "input field \"%s\" is declared twice (field names are global)",
                         field->valuestring);
        char **f = realloc(m->fields, (m->nfields + 1) * sizeof(*f));
        if (!f)
            return loom(L);
        m->fields = f;
        bool *s = realloc(m->field_secret, (m->nfields + 1) * sizeof(*s));
        if (!s)
            return loom(L);
        m->field_secret = s;
        f[m->nfields] = tl_strdup(field->valuestring);
        s[m->nfields] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "password"));
        if (!f[m->nfields])
            return loom(L);
        m->nfields++;
    }
    return TL_OK;
}

static int expand_id(struct loader *L, const char *pkg, char **id)
{
    if (!*id || strchr(*id, ':'))
        return TL_OK;
    size_t n = strlen(pkg) + strlen(*id) + 5;
    char *full = malloc(n);
    if (!full)
        return loom(L);
    snprintf(full, n, "%s:id/%s", pkg, *id);
    free(*id);
    *id = full;
    return TL_OK;
}

static int check_cond_var(struct loader *L, const char *spec)
{
    if (!spec)
        return TL_OK;
    return check_var(L, spec[0] == '!' ? spec + 1 : spec, -1, NULL);
}

static int load_view(struct loader *L, const cJSON *o, struct sim_view *v, const char *pkg,
                     bool in_item)
{
    static const char *const keys[] = {
        "type",     "id",      "text",       "summary",       "desc",  "hint", "field",
        "password", "checked", "visible_if", "enabled_if",    "items", "item", "empty",
        "fab",      "height",  "on_tap",     "on_long_press", NULL};
    if (!cJSON_IsObject(o))
        return lfail(L, "a view must be an object with a \"type\"");
    int rc = only_keys(L, o, keys);
    if (rc)
        return rc;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!cJSON_IsString(type))
        return lfail(L,
                     "a view needs \"type\": text, row, switch, checkbox, button, input or list");
    size_t k = 0;
    while (k < sizeof(view_kinds) / sizeof(view_kinds[0]) &&
           strcmp(view_kinds[k].name, type->valuestring) != 0)
        k++;
    if (k == sizeof(view_kinds) / sizeof(view_kinds[0]))
        return lfail(L,
                     "unknown view type \"%s\" (text, row, switch, checkbox, button, input, list)",
                     type->valuestring);
    v->kind = view_kinds[k].kind;
    if ((rc = opt_string(L, o, "id", &v->id)) || (rc = opt_string(L, o, "text", &v->text)) ||
        (rc = opt_string(L, o, "summary", &v->summary)) ||
        (rc = opt_string(L, o, "desc", &v->desc)) || (rc = opt_string(L, o, "hint", &v->hint)) ||
        (rc = opt_string(L, o, "field", &v->field)) ||
        (rc = opt_string(L, o, "checked", &v->checked)) ||
        (rc = opt_string(L, o, "visible_if", &v->visible_if)) ||
        (rc = opt_string(L, o, "enabled_if", &v->enabled_if)) ||
        (rc = opt_string(L, o, "items", &v->items)) ||
        (rc = opt_string(L, o, "empty", &v->empty)) ||
        (rc = opt_bool(L, o, "password", &v->password)) || (rc = opt_bool(L, o, "fab", &v->fab)))
        return rc;
    if ((rc = expand_id(L, pkg, &v->id)))
        return rc;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "height");
    if (h) {
        if (!cJSON_IsNumber(h) || h->valuedouble < 8 || h->valuedouble > 2000)
            return lfail(L, "height must be a number of dp between 8 and 2000");
        v->height_dp = (int)h->valuedouble;
    }
    if ((rc = check_template(L, v->text, in_item)) ||
        (rc = check_template(L, v->summary, in_item)) ||
        (rc = check_template(L, v->desc, in_item)) || (rc = check_cond_var(L, v->visible_if)) ||
        (rc = check_cond_var(L, v->enabled_if)))
        return rc;
    switch (v->kind) {
    case SIM_V_INPUT:
        if (!v->field)
            return lfail(L, "an input needs a \"field\" name");
        if (in_item)
            return lfail(L, "inputs cannot be list items");
        break;
    case SIM_V_SWITCH:
    case SIM_V_CHECKBOX:
        if (!v->checked)
            return lfail(L, "a %s needs \"checked\": the name of a true/false variable",
                         type->valuestring);
        if ((rc = check_var(L, v->checked, SIM_VAR_BOOL, "true or false")))
            return rc;
        break;
    case SIM_V_LIST: {
        if (in_item)
            return lfail(L, "lists cannot be nested");
        if (!v->items)
            return lfail(L, "a list needs \"items\": the name of a list variable");
        if ((rc = check_var(L, v->items, SIM_VAR_LIST, "a list")))
            return rc;
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, "item");
        if (!item)
            return lfail(L, "a list needs an \"item\" view");
        v->item = calloc(1, sizeof(*v->item));
        if (!v->item)
            return loom(L);
        size_t mark = path_push(&L->path, ".item");
        rc = load_view(L, item, v->item, pkg, true);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
        break;
    }
    default: break;
    }
    if (v->fab && v->kind != SIM_V_BUTTON)
        return lfail(L, "only a button can be a fab");
    size_t mark = path_push(&L->path, ".on_tap");
    rc = load_ops(L, cJSON_GetObjectItemCaseSensitive(o, "on_tap"), &v->on_tap, in_item);
    if (rc)
        return rc;
    path_pop(&L->path, mark);
    mark = path_push(&L->path, ".on_long_press");
    rc = load_ops(L, cJSON_GetObjectItemCaseSensitive(o, "on_long_press"), &v->on_long_press,
                  in_item);
    if (rc)
        return rc;
    path_pop(&L->path, mark);
    return TL_OK;
}

/* A screen's timed transition: {"ms": 1..AFTER_MAX_MS, "do": [operations]}. */
static int load_after(struct loader *L, const cJSON *o, struct sim_screen *s)
{
    static const char *const keys[] = {"ms", "do", NULL};
    if (!o)
        return TL_OK;
    if (!cJSON_IsObject(o))
        return lfail(L, "must be {\"ms\": milliseconds, \"do\": [operations]}");
    int rc = only_keys(L, o, keys);
    if (rc)
        return rc;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "ms");
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(o, "do");
    if (!ms || !ops)
        return lfail(L, "the key \"%s\" is required", ms ? "do" : "ms");
    size_t mark = path_push(&L->path, ".ms");
    /* the range check also rejects NaN and fractions of a millisecond */
    if (!cJSON_IsNumber(ms) || !(ms->valuedouble >= 1 && ms->valuedouble <= AFTER_MAX_MS) ||
        ms->valuedouble != (double)(int)ms->valuedouble)
        return lfail(L, "must be a whole number of milliseconds from 1 to %d", AFTER_MAX_MS);
    path_pop(&L->path, mark);
    s->after_ms = (int)ms->valuedouble;
    mark = path_push(&L->path, ".do");
    if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) == 0)
        return lfail(L, "must be a non-empty list of operations");
    rc = load_ops(L, ops, &s->after, false);
    if (rc == TL_OK)
        path_pop(&L->path, mark);
    return rc;
}

static int load_screen(struct loader *L, const cJSON *o, struct sim_screen *s)
{
    static const char *const keys[] = {"app",       "title", "activity", "views",
                                       "on_submit", "after", NULL};
    if (!cJSON_IsObject(o))
        return lfail(L, "a screen must be an object");
    int rc = only_keys(L, o, keys);
    char *app = NULL;
    if (rc || (rc = req_string(L, o, "app", &app)))
        return rc;
    s->app = sim_model_app(L->m, app);
    if (s->app < 0) {
        rc = lfail(L, "app \"%s\" is not declared under apps", app);
        free(app);
        return rc;
    }
    free(app);
    L->app = s->app;
    if ((rc = opt_string(L, o, "title", &s->title)) ||
        (rc = opt_string(L, o, "activity", &s->activity)) ||
        (rc = check_template(L, s->title, false)))
        return rc;
    if (!s->activity) {
        s->activity = tl_strdup(".MainActivity");
        if (!s->activity)
            return loom(L);
    }
    const cJSON *views = cJSON_GetObjectItemCaseSensitive(o, "views");
    if (views && !cJSON_IsArray(views))
        return lfail(L, "views must be a list");
    size_t n = views ? (size_t)cJSON_GetArraySize(views) : 0;
    s->views = calloc(n ? n : 1, sizeof(*s->views));
    if (!s->views)
        return loom(L);
    const char *pkg = L->m->apps[s->app].package;
    size_t i = 0;
    for (const cJSON *c = views ? views->child : NULL; c; c = c->next, i++) {
        size_t mark = path_push(&L->path, ".views[%zu]", i);
        rc = load_view(L, c, &s->views[s->nviews++], pkg, false);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
    }
    size_t mark = path_push(&L->path, ".on_submit");
    rc = load_ops(L, cJSON_GetObjectItemCaseSensitive(o, "on_submit"), &s->on_submit, false);
    if (rc)
        return rc;
    path_pop(&L->path, mark);
    mark = path_push(&L->path, ".after");
    rc = load_after(L, cJSON_GetObjectItemCaseSensitive(o, "after"), s);
    if (rc == TL_OK)
        path_pop(&L->path, mark);
    return rc;
}

static int load_apps(struct loader *L, const cJSON *apps)
{
    static const char *const keys[] = {"package", "label", "start", NULL};
    struct sim_model *m = L->m;
    if (!cJSON_IsArray(apps) || cJSON_GetArraySize(apps) == 0)
        return lfail(L, "apps must be a non-empty list of {package, label, start}");
    size_t n = (size_t)cJSON_GetArraySize(apps);
    m->apps = calloc(n, sizeof(*m->apps));
    if (!m->apps)
        return loom(L);
    size_t i = 0;
    for (const cJSON *c = apps->child; c; c = c->next, i++) {
        size_t mark = path_push(&L->path, "apps[%zu]", i);
        if (!cJSON_IsObject(c))
            return lfail(L, "an app must be an object");
        struct sim_app *a = &m->apps[m->napps++];
        int rc = only_keys(L, c, keys);
        char *start = NULL;
        if (rc || (rc = req_string(L, c, "package", &a->package)) ||
            (rc = req_string(L, c, "label", &a->label)) || (rc = req_string(L, c, "start", &start)))
            return rc;
        if (sim_model_app(m, a->package) != (int)m->napps - 1) {
            free(start);
            return lfail(L, "package \"%s\" is declared twice", a->package);
        }
        const cJSON *scr = cJSON_GetObjectItemCaseSensitive(L->screens, start);
        int idx = 0;
        for (const cJSON *s = L->screens->child; s && s != scr; s = s->next)
            idx++;
        if (!scr)
            rc = lfail(L, "start screen \"%s\" is not under screens", start);
        free(start);
        if (rc)
            return rc;
        a->start = idx;
        path_pop(&L->path, mark);
    }
    return TL_OK;
}

static int load(struct loader *L, const cJSON *root)
{
    static const char *const keys[] = {"name", "screen",  "theme_var", "vars",
                                       "apps", "screens", "$comment",  NULL};
    struct sim_model *m = L->m;
    if (!cJSON_IsObject(root))
        return lfail(L, "the model must be a JSON object");
    int rc = only_keys(L, root, keys);
    if (rc || (rc = req_string(L, root, "name", &m->name)) ||
        (rc = opt_string(L, root, "theme_var", &m->theme_var)))
        return rc;
    m->width = DEFAULT_WIDTH;
    m->height = DEFAULT_HEIGHT;
    m->density = DEFAULT_DENSITY;
    const cJSON *scr = cJSON_GetObjectItemCaseSensitive(root, "screen");
    if (scr) {
        static const char *const skeys[] = {"width", "height", "density", NULL};
        size_t mark = path_push(&L->path, "screen");
        if (!cJSON_IsObject(scr) || (rc = only_keys(L, scr, skeys)))
            return rc ? rc : lfail(L, "must be {width, height, density}");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(scr, "width");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(scr, "height");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(scr, "density");
        if ((w && (!cJSON_IsNumber(w) || w->valuedouble < 240 || w->valuedouble > 4096)) ||
            (h && (!cJSON_IsNumber(h) || h->valuedouble < 320 || h->valuedouble > 4096)) ||
            (d && (!cJSON_IsNumber(d) || d->valuedouble < 0.75 || d->valuedouble > 5)))
            return lfail(L, "width 240..4096, height 320..4096 and density 0.75..5 please");
        if (w)
            m->width = (int)w->valuedouble;
        if (h)
            m->height = (int)h->valuedouble;
        if (d)
            m->density = d->valuedouble;
        path_pop(&L->path, mark);
    }
    L->screens = cJSON_GetObjectItemCaseSensitive(root, "screens");
    if (!cJSON_IsObject(L->screens) || cJSON_GetArraySize(L->screens) == 0)
        return lfail(L, "screens must be a non-empty object of screen id -> screen");
    if ((rc = load_vars(L, cJSON_GetObjectItemCaseSensitive(root, "vars"))))
        return rc;
    if (m->theme_var && (rc = check_var(L, m->theme_var, SIM_VAR_BOOL, "true or false")))
        return rc;
    if ((rc = load_apps(L, cJSON_GetObjectItemCaseSensitive(root, "apps"))))
        return rc;
    for (const cJSON *s = L->screens->child; s; s = s->next) {
        size_t mark = path_push(&L->path, "screens.%s.views", s->string);
        rc = collect_fields(L, cJSON_GetObjectItemCaseSensitive(s, "views"));
        if (rc)
            return rc;
        path_pop(&L->path, mark);
    }
    size_t n = (size_t)cJSON_GetArraySize(L->screens);
    m->screens = calloc(n, sizeof(*m->screens));
    if (!m->screens)
        return loom(L);
    for (const cJSON *s = L->screens->child; s; s = s->next) {
        size_t mark = path_push(&L->path, "screens.%s", s->string);
        struct sim_screen *sc = &m->screens[m->nscreens++];
        sc->id = tl_strdup(s->string);
        if (!sc->id)
            return loom(L);
        rc = load_screen(L, s, sc);
        if (rc)
            return rc;
        path_pop(&L->path, mark);
    }
    return TL_OK;
}

int sim_model_load(struct sim_model **out, const char *json, size_t len, const char *origin,
                   tl_error *err)
{
    *out = NULL;
    struct sim_model *m = calloc(1, sizeof(*m));
    if (!m)
        return tl_error_set(err, TL_ENOMEM, "out of memory loading a sim model");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    size_t off = end ? (size_t)(end - json) : 0;
    bool trailing = false;
    if (root) {
        /* strict: text after the model (a second object pasted in) is an error, not ignored */
        while (off < len &&
               (json[off] == ' ' || json[off] == '\t' || json[off] == '\n' || json[off] == '\r'))
            off++;
        if (off < len) {
            cJSON_Delete(root);
            root = NULL;
            trailing = true;
        }
    }
    if (!root) {
        size_t line = 1;
        for (size_t i = 0; i < off && i < len; i++)
            line += json[i] == '\n';
        free(m);
        return tl_error_set(err, TL_EPARSE, "sim model %s: invalid JSON near byte %zu (line %zu)%s",
                            origin, off, line, trailing ? ": text after the end of the model" : "");
    }
    struct loader L = {.m = m, .origin = origin, .err = err};
    int rc = load(&L, root);
    cJSON_Delete(root);
    if (rc != TL_OK) {
        sim_model_free(m);
        return rc;
    }
    tl_sha256_hex(json, len, m->digest);
    *out = m;
    return TL_OK;
}

/* ---- freeing -------------------------------------------------------------------------------- */

static void free_ops(struct sim_ops *ops);

static void free_op(struct sim_op *op)
{
    free(op->arg);
    free(op->value);
    for (size_t i = 0; i < op->nkv; i++) {
        free(op->keys[i]);
        if (op->vals)
            free(op->vals[i]);
    }
    free(op->keys);
    free(op->vals);
    free(op->cond.a);
    free(op->cond.b);
    free_ops(&op->then);
    free_ops(&op->otherwise);
}

static void free_ops(struct sim_ops *ops)
{
    for (size_t i = 0; i < ops->n; i++)
        free_op(&ops->items[i]);
    free(ops->items);
}

static void free_view(struct sim_view *v)
{
    free(v->id);
    free(v->text);
    free(v->summary);
    free(v->desc);
    free(v->hint);
    free(v->field);
    free(v->checked);
    free(v->visible_if);
    free(v->enabled_if);
    free(v->items);
    free(v->empty);
    if (v->item) {
        free_view(v->item);
        free(v->item);
    }
    free_ops(&v->on_tap);
    free_ops(&v->on_long_press);
}

void sim_record_dispose(struct sim_record *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->keys[i]);
        free(r->vals[i]);
    }
    free(r->keys);
    free(r->vals);
    r->keys = r->vals = NULL;
    r->n = 0;
}

void sim_model_free(struct sim_model *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->theme_var);
    for (size_t i = 0; i < m->napps; i++) {
        free(m->apps[i].package);
        free(m->apps[i].label);
    }
    free(m->apps);
    for (size_t i = 0; i < m->nscreens; i++) {
        struct sim_screen *s = &m->screens[i];
        free(s->id);
        free(s->title);
        free(s->activity);
        for (size_t k = 0; k < s->nviews; k++)
            free_view(&s->views[k]);
        free(s->views);
        free_ops(&s->on_submit);
        free_ops(&s->after);
    }
    free(m->screens);
    for (size_t i = 0; i < m->nvars; i++) {
        struct sim_var *v = &m->vars[i];
        free(v->name);
        free(v->init.s);
        for (size_t k = 0; k < v->init.nitems; k++)
            sim_record_dispose(&v->init.items[k]);
        free(v->init.items);
    }
    free(m->vars);
    for (size_t i = 0; i < m->nfields; i++)
        free(m->fields[i]);
    free(m->fields);
    free(m->field_secret);
    free(m);
}
