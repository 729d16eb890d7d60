/*
 * state.c - saving and restoring a sim phone's state, so that `taploop act` then
 * `taploop observe` see the same phone, like a real one.
 *
 * The state is JSON: the model's digest (a state is only valid for the model text it was made
 * with), the app tasks with their screen stacks and scroll offsets, the surface in front,
 * variables, input fields and focus, and when the front screen was entered (wall-clock ms, for
 * its timed transition) and whether that transition has run. The text of password fields never
 * reaches the file: only a salted SHA-256 of it and its length are stored, enough to check a login
 * later.
 */
#include "drivers/sim/sim_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/str.h"

#define STATE_VERSION  1
#define ENTERED_MAX_MS 1e15 /* wall-clock ms: year 33658; beyond, a damaged file */

static const char *const surface_names[] = {"app", "launcher", "recents"};

static bool unhex(const char *s, unsigned char *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return false;
        out[i] = (unsigned char)v;
    }
    return true;
}

static cJSON *value_json(const struct sim_value *v)
{
    if (v->type == SIM_VAR_BOOL)
        return cJSON_CreateBool(v->b);
    if (v->type == SIM_VAR_STRING)
        return cJSON_CreateString(v->s ? v->s : "");
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < v->nitems; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        for (size_t k = 0; k < v->items[i].n; k++)
            if (!cJSON_AddStringToObject(o, v->items[i].keys[k], v->items[i].vals[k])) {
                cJSON_Delete(arr);
                return NULL;
            }
    }
    return arr;
}

int sim_state_save(const struct sim_state *st, const struct sim_model *m, tl_buf *out)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return TL_ENOMEM;
    char salt[33];
    tl_hex(st->salt, sizeof(st->salt), salt);
    bool ok = cJSON_AddNumberToObject(root, "version", STATE_VERSION) &&
              cJSON_AddStringToObject(root, "model", m->digest) &&
              cJSON_AddStringToObject(root, "salt", salt) &&
              cJSON_AddStringToObject(root, "surface", surface_names[st->surface]) &&
              cJSON_AddNumberToObject(root, "recents_scroll", st->recents_scroll) &&
              cJSON_AddNumberToObject(root, "entered_ms", (double)st->entered_ms) &&
              cJSON_AddBoolToObject(root, "after_done", st->after_done);
    cJSON *tasks = ok ? cJSON_AddArrayToObject(root, "tasks") : NULL;
    for (size_t i = 0; tasks && i < st->ntasks; i++) {
        const struct sim_task *t = &st->tasks[i];
        cJSON *to = cJSON_CreateObject();
        if (!to || !cJSON_AddItemToArray(tasks, to)) {
            cJSON_Delete(to);
            ok = false;
            break;
        }
        ok = cJSON_AddStringToObject(to, "app", m->apps[t->app].package) != NULL;
        cJSON *stack = ok ? cJSON_AddArrayToObject(to, "stack") : NULL;
        for (size_t k = 0; stack && k < t->depth; k++) {
            cJSON *e = cJSON_CreateObject();
            if (!e || !cJSON_AddItemToArray(stack, e)) {
                cJSON_Delete(e);
                ok = false;
                break;
            }
            ok = cJSON_AddStringToObject(e, "screen", m->screens[t->stack[k].screen].id) &&
                 cJSON_AddNumberToObject(e, "scroll", t->stack[k].scroll);
        }
        ok = ok && stack;
    }
    cJSON *vars = ok && tasks ? cJSON_AddObjectToObject(root, "vars") : NULL;
    for (size_t i = 0; vars && i < m->nvars; i++) {
        cJSON *v = value_json(&st->vars[i]);
        if (!v || !cJSON_AddItemToObject(vars, m->vars[i].name, v)) {
            cJSON_Delete(v);
            ok = false;
            break;
        }
    }
    cJSON *fields = ok && vars ? cJSON_AddObjectToObject(root, "fields") : NULL;
    for (size_t i = 0; fields && i < m->nfields; i++) {
        const struct sim_field_value *f = &st->fields[i];
        cJSON *fo = cJSON_AddObjectToObject(fields, m->fields[i]);
        if (!fo) {
            ok = false;
            break;
        }
        if (m->field_secret[i]) {
            char d[65];
            tl_hex(f->digest, 32, d);
            ok = cJSON_AddStringToObject(fo, "sha256", d) &&
                 cJSON_AddNumberToObject(fo, "chars", (double)f->chars);
        } else {
            ok = cJSON_AddStringToObject(fo, "value", f->value ? f->value : "") != NULL;
        }
        if (!ok)
            break;
    }
    if (ok && fields) {
        ok = st->focus >= 0 ? cJSON_AddStringToObject(root, "focus", m->fields[st->focus]) != NULL
                            : cJSON_AddNullToObject(root, "focus") != NULL;
    }
    char *text = ok && fields ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return TL_ENOMEM;
    int rc = tl_buf_puts(out, text);
    free(text);
    return rc;
}

/* ---- restoring ------------------------------------------------------------------------------ */

struct reader {
    const struct sim_model *m;
    tl_error *err;
};

static int bad(struct reader *r, const char *what)
{
    return tl_error_set(r->err, TL_EPARSE, "the saved sim phone state is damaged (%s)", what);
}

static int read_value(struct reader *r, const cJSON *j, struct sim_value *v)
{
    if (v->type == SIM_VAR_BOOL) {
        if (!cJSON_IsBool(j))
            return bad(r, "a variable has the wrong type");
        v->b = cJSON_IsTrue(j);
        return TL_OK;
    }
    if (v->type == SIM_VAR_STRING) {
        if (!cJSON_IsString(j))
            return bad(r, "a variable has the wrong type");
        char *s = tl_strdup(j->valuestring);
        if (!s)
            return TL_ENOMEM;
        free(v->s);
        v->s = s;
        return TL_OK;
    }
    if (!cJSON_IsArray(j))
        return bad(r, "a list variable is not a list");
    for (size_t i = 0; i < v->nitems; i++)
        sim_record_dispose(&v->items[i]);
    free(v->items);
    v->items = NULL;
    v->nitems = 0;
    size_t n = (size_t)cJSON_GetArraySize(j);
    if (!n)
        return TL_OK;
    v->items = calloc(n, sizeof(*v->items));
    if (!v->items)
        return TL_ENOMEM;
    for (const cJSON *o = j->child; o; o = o->next) {
        if (!cJSON_IsObject(o))
            return bad(r, "a list item is not an object");
        struct sim_record *rec = &v->items[v->nitems++];
        size_t k = (size_t)cJSON_GetArraySize(o);
        rec->keys = calloc(k ? k : 1, sizeof(char *));
        rec->vals = calloc(k ? k : 1, sizeof(char *));
        if (!rec->keys || !rec->vals)
            return TL_ENOMEM;
        for (const cJSON *c = o->child; c; c = c->next) {
            if (!cJSON_IsString(c))
                return bad(r, "a list item member is not a string");
            rec->keys[rec->n] = tl_strdup(c->string);
            rec->vals[rec->n] = tl_strdup(c->valuestring);
            rec->n++;
            if (!rec->keys[rec->n - 1] || !rec->vals[rec->n - 1])
                return TL_ENOMEM;
        }
    }
    return TL_OK;
}

static int read_tasks(struct reader *r, const cJSON *tasks, struct sim_state *st)
{
    const struct sim_model *m = r->m;
    if (!cJSON_IsArray(tasks))
        return bad(r, "tasks");
    size_t n = (size_t)cJSON_GetArraySize(tasks);
    if (n > m->napps)
        return bad(r, "more tasks than apps");
    st->tasks = calloc(n ? n : 1, sizeof(*st->tasks));
    if (!st->tasks)
        return TL_ENOMEM;
    for (const cJSON *t = tasks->child; t; t = t->next) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(t, "app");
        const cJSON *stack = cJSON_GetObjectItemCaseSensitive(t, "stack");
        int a = cJSON_IsString(app) ? sim_model_app(m, app->valuestring) : -1;
        if (a < 0 || !cJSON_IsArray(stack) || cJSON_GetArraySize(stack) < 1 ||
            cJSON_GetArraySize(stack) > 64)
            return bad(r, "a task");
        struct sim_task *task = &st->tasks[st->ntasks++];
        task->app = a;
        task->cap = (size_t)cJSON_GetArraySize(stack);
        task->stack = calloc(task->cap, sizeof(*task->stack));
        if (!task->stack)
            return TL_ENOMEM;
        for (const cJSON *e = stack->child; e; e = e->next) {
            const cJSON *scr = cJSON_GetObjectItemCaseSensitive(e, "screen");
            const cJSON *scroll = cJSON_GetObjectItemCaseSensitive(e, "scroll");
            int s = cJSON_IsString(scr) ? sim_model_screen(m, scr->valuestring) : -1;
            if (s < 0 || m->screens[s].app != a || !cJSON_IsNumber(scroll) ||
                scroll->valuedouble < 0 || scroll->valuedouble > 1e7)
                return bad(r, "a screen of a task");
            task->stack[task->depth].screen = s;
            task->stack[task->depth].scroll = (int)scroll->valuedouble;
            task->depth++;
        }
    }
    return TL_OK;
}

static int read_fields(struct reader *r, const cJSON *fields, struct sim_state *st)
{
    const struct sim_model *m = r->m;
    if (!cJSON_IsObject(fields))
        return bad(r, "fields");
    for (size_t i = 0; i < m->nfields; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(fields, m->fields[i]);
        if (!cJSON_IsObject(f))
            return bad(r, "a field is missing");
        struct sim_field_value *fv = &st->fields[i];
        tl_str_wipe_free(fv->value);
        fv->value = NULL;
        if (m->field_secret[i]) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(f, "sha256");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(f, "chars");
            if (!cJSON_IsString(d) || !unhex(d->valuestring, fv->digest, 32) ||
                !cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 1e6)
                return bad(r, "a password field");
            fv->chars = (size_t)c->valuedouble;
            if (fv->chars == 0 && !(fv->value = tl_strdup("")))
                return TL_ENOMEM;
        } else {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "value");
            if (!cJSON_IsString(v))
                return bad(r, "a field value");
            if (!(fv->value = tl_strdup(v->valuestring)))
                return TL_ENOMEM;
            fv->chars = strlen(fv->value);
        }
    }
    return TL_OK;
}

int sim_state_load(struct sim_state *st, const struct sim_model *m, const char *json, size_t len,
                   tl_error *err)
{
    struct reader r = {m, err};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return bad(&r, "not JSON");
    int rc = TL_OK;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *salt = cJSON_GetObjectItemCaseSensitive(root, "salt");
    const cJSON *surface = cJSON_GetObjectItemCaseSensitive(root, "surface");
    const cJSON *rscroll = cJSON_GetObjectItemCaseSensitive(root, "recents_scroll");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "vars");
    const cJSON *focus = cJSON_GetObjectItemCaseSensitive(root, "focus");
    const cJSON *entered = cJSON_GetObjectItemCaseSensitive(root, "entered_ms");
    const cJSON *after_done = cJSON_GetObjectItemCaseSensitive(root, "after_done");
    if (!cJSON_IsNumber(version) || version->valueint != STATE_VERSION || !cJSON_IsString(model) ||
        strcmp(model->valuestring, m->digest) != 0) {
        rc = tl_error_set(err, TL_ENOTFOUND, "the saved state belongs to another model");
        goto done;
    }
    if (!cJSON_IsString(salt) || !unhex(salt->valuestring, st->salt, sizeof(st->salt))) {
        rc = bad(&r, "salt");
        goto done;
    }
    st->surface = SIM_SURFACE_LAUNCHER;
    for (int s = 0; s < 3; s++)
        if (cJSON_IsString(surface) && strcmp(surface->valuestring, surface_names[s]) == 0)
            st->surface = (enum sim_surface)s;
    st->recents_scroll =
        cJSON_IsNumber(rscroll) && rscroll->valuedouble >= 0 && rscroll->valuedouble < 1e7
            ? (int)rscroll->valuedouble
            : 0;
    /* absent from states saved before timed transitions: the front screen's is due */
    if (entered && (!cJSON_IsNumber(entered) ||
                    !(entered->valuedouble >= 0 && entered->valuedouble <= ENTERED_MAX_MS))) {
        rc = bad(&r, "entered_ms");
        goto done;
    }
    if (after_done && !cJSON_IsBool(after_done)) {
        rc = bad(&r, "after_done");
        goto done;
    }
    st->entered_ms = entered ? (long long)entered->valuedouble : 0;
    st->after_done = cJSON_IsTrue(after_done);
    if ((rc = read_tasks(&r, cJSON_GetObjectItemCaseSensitive(root, "tasks"), st)))
        goto done;
    if (st->surface == SIM_SURFACE_APP && !st->ntasks)
        st->surface = SIM_SURFACE_LAUNCHER;
    if (!cJSON_IsObject(vars)) {
        rc = bad(&r, "vars");
        goto done;
    }
    for (size_t i = 0; i < m->nvars; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, m->vars[i].name);
        if (!v) {
            rc = bad(&r, "a variable is missing");
            goto done;
        }
        if ((rc = read_value(&r, v, &st->vars[i])))
            goto done;
    }
    if ((rc = read_fields(&r, cJSON_GetObjectItemCaseSensitive(root, "fields"), st)))
        goto done;
    st->focus = cJSON_IsString(focus) ? sim_model_field(m, focus->valuestring) : -1;
done:
    cJSON_Delete(root);
    if (rc == TL_ENOMEM)
        tl_error_set(err, TL_ENOMEM, "sim: out of memory restoring the phone state");
    return rc;
}
