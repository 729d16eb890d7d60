/*
 * prompt.c - loading, checking and rendering prompt templates (see prompt.h).
 *
 * The renderer is one pass over the template with a count of enclosing sections that are
 * switched off; tags are found with strstr, so rendering is linear in template + output size.
 */
#include "planner/prompt.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/str.h"

#define MAX_NESTING  16
#define TEMPLATE_MAX ((size_t)1 << 20)

extern const char tl_prompt_system_txt[];
extern const char tl_prompt_step_txt[];

const char *const tl_prompt_step_names[] = {
    "goal",    "step",     "max_steps", "steps_left",    "app",
    "package", "activity", "screen",    "listing",       "history",
    "error",   "hint",     "keyboard",  "output_schema", NULL,
};

static const char *const system_names[] = {"output_schema", NULL};

/* A tag at p ("{{..}}"): its kind ('#', '/', or 0 for a value), its name, and its end. */
struct tag {
    char kind;
    const char *name;
    size_t len;
    const char *end; /* just after "}}" */
};

static bool parse_tag(const char *p, struct tag *t)
{
    if (p[0] != '{' || p[1] != '{')
        return false;
    const char *q = p + 2;
    t->kind = (*q == '#' || *q == '/') ? *q++ : 0;
    t->name = q;
    while ((*q >= 'a' && *q <= 'z') || *q == '_')
        q++;
    t->len = (size_t)(q - t->name);
    if (t->len == 0 || q[0] != '}' || q[1] != '}')
        return false;
    t->end = q + 2;
    return true;
}

/* A section tag alone on its line: the span to drop (from the line start to after its
 * newline). */
static bool standalone(const char *tmpl, const char *tag, const char *end, const char **from,
                       const char **to)
{
    const char *s = tag;
    while (s > tmpl && (s[-1] == ' ' || s[-1] == '\t'))
        s--;
    if (s != tmpl && s[-1] != '\n')
        return false;
    const char *e = end;
    while (*e == ' ' || *e == '\t')
        e++;
    if (*e == '\n')
        e++;
    else if (*e != '\0')
        return false;
    *from = s;
    *to = e;
    return true;
}

static size_t line_of(const char *tmpl, const char *p)
{
    size_t line = 1;
    for (const char *q = tmpl; q < p; q++)
        line += *q == '\n';
    return line;
}

int tl_prompt_check(const char *tmpl, const char *const *names, const char *origin, tl_error *err)
{
    const char *open[MAX_NESTING];
    size_t open_len[MAX_NESTING];
    int depth = 0;
    for (const char *p = strstr(tmpl, "{{"); p; p = strstr(p + 2, "{{")) {
        struct tag t;
        if (!parse_tag(p, &t))
            return tl_error_set(err, TL_EPARSE,
                                "%s line %zu: a tag is {{name}}, {{#name}} or "
                                "{{/name}} (lower-case letters and _)",
                                origin, line_of(tmpl, p));
        bool known = false;
        for (size_t i = 0; names[i] && !known; i++)
            known = strlen(names[i]) == t.len && memcmp(names[i], t.name, t.len) == 0;
        if (!known)
            return tl_error_set(err, TL_EPARSE, "%s line %zu: unknown name {{%.*s}}", origin,
                                line_of(tmpl, p), (int)t.len, t.name);
        if (t.kind == '#') {
            if (depth == MAX_NESTING)
                return tl_error_set(err, TL_EPARSE, "%s line %zu: sections nested too deep", origin,
                                    line_of(tmpl, p));
            open[depth] = t.name;
            open_len[depth++] = t.len;
        } else if (t.kind == '/') {
            if (depth == 0 || open_len[depth - 1] != t.len ||
                memcmp(open[depth - 1], t.name, t.len) != 0)
                return tl_error_set(err, TL_EPARSE,
                                    "%s line %zu: {{/%.*s}} closes no open "
                                    "section",
                                    origin, line_of(tmpl, p), (int)t.len, t.name);
            depth--;
        }
    }
    if (depth)
        return tl_error_set(err, TL_EPARSE, "%s: section {{#%.*s}} is never closed", origin,
                            (int)open_len[depth - 1], open[depth - 1]);
    return TL_OK;
}

static const char *value_of(const tl_prompt_var *vars, size_t n, const struct tag *t)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == t->len && memcmp(vars[i].name, t->name, t->len) == 0)
            return vars[i].value ? vars[i].value : "";
    return "";
}

int tl_prompt_render(const char *tmpl, const tl_prompt_var *vars, size_t n, tl_buf *out)
{
    int off = 0; /* enclosing sections switched off */
    const char *p = tmpl;
    int rc = TL_OK;
    for (;;) {
        const char *tagp = strstr(p, "{{");
        struct tag t;
        while (tagp && !parse_tag(tagp, &t))
            tagp = strstr(tagp + 2, "{{");
        if (!tagp) {
            if (!off)
                rc |= tl_buf_puts(out, p);
            break;
        }
        const char *text_end = tagp, *resume = t.end;
        if (t.kind) {
            const char *from, *to;
            if (standalone(tmpl, tagp, t.end, &from, &to) && from >= p) {
                text_end = from;
                resume = to;
            }
        }
        if (!off)
            rc |= tl_buf_append(out, p, (size_t)(text_end - p));
        if (t.kind == '#') {
            if (off || !value_of(vars, n, &t)[0])
                off++;
        } else if (t.kind == '/') {
            if (off)
                off--;
        } else if (!off) {
            rc |= tl_buf_puts(out, value_of(vars, n, &t));
        }
        p = resume;
    }
    return rc ? TL_ENOMEM : TL_OK;
}

/* Is there something at path (even something that cannot be read)? */
static bool present(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno != ENOENT;
}

/* DIR/file into *dst: its text, checked; a file that does not exist gives the built-in one. */
static int load_one(char **dst, const char *dir, const char *file, const char *builtin,
                    const char *const *names, tl_error *err)
{
    char path[4096];
    if (dir) {
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        if (present(path)) {
            tl_buf text;
            tl_buf_init(&text, TEMPLATE_MAX);
            int rc = tl_file_read(&text, path, TEMPLATE_MAX, err);
            if (rc == TL_OK)
                rc = tl_prompt_check(text.data ? text.data : "", names, path, err);
            if (rc == TL_OK && !(*dst = tl_strdup(text.data ? text.data : "")))
                rc = tl_error_set(err, TL_ENOMEM, "out of memory");
            tl_buf_dispose(&text);
            return rc;
        }
    }
    int rc = tl_prompt_check(builtin, names, file, err);
    if (rc == TL_OK && !(*dst = tl_strdup(builtin)))
        rc = tl_error_set(err, TL_ENOMEM, "out of memory");
    return rc;
}

/* DIR must be a directory that can be read and that holds at least one of the templates: a
 * typo in the path would otherwise run with the built-in prompts without a word. */
static int check_dir(const char *dir, tl_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return tl_error_set(err, TL_EUSAGE, "--prompts %s: %s", dir, strerror(errno));
    closedir(d);
    static const char *const files[] = {"system.txt", "step.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (present(path))
            return TL_OK; /* there, or there but unreadable: load_one says which */
    }
    return tl_error_set(err, TL_EUSAGE,
                        "--prompts %s: the directory holds neither system.txt nor step.txt", dir);
}

int tl_prompts_load(tl_prompts *out, const char *dir, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = dir ? check_dir(dir, err) : TL_OK;
    if (rc == TL_OK)
        rc = load_one(&out->system, dir, "system.txt", tl_prompt_system_txt, system_names, err);
    if (rc == TL_OK)
        rc = load_one(&out->step, dir, "step.txt", tl_prompt_step_txt, tl_prompt_step_names, err);
    if (rc)
        tl_prompts_dispose(out);
    return rc;
}

void tl_prompts_dispose(tl_prompts *p)
{
    if (!p)
        return;
    free(p->system);
    free(p->step);
    p->system = p->step = NULL;
}
