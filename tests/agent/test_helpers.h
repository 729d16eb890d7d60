/*
 * test_helpers.h - small helpers shared by the tests under tests/agent: reading fixture files,
 * listing a fixture directory, and a structural checker for a parsed element index.
 * Everything is static inline so that a test file pays only for what it uses.
 */
#ifndef TL_TEST_HELPERS_H
#define TL_TEST_HELPERS_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/utf8.h"

#ifndef TL_FIXTURES
#error "TL_FIXTURES must name the fixtures directory"
#endif

/* Read TL_FIXTURES/<rel> whole; the test fails if it cannot. Caller frees. NUL-terminated. */
static inline char *read_fixture(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TL_FIXTURES, rel);
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err = {0};
    int rc = tl_file_read(&b, path, (size_t)64 << 20, &err);
    cr_assert_eq(rc, TL_OK, "cannot read fixture %s: %s", path, err.msg);
    size_t n = 0;
    char *data = tl_buf_detach(&b, &n);
    cr_assert_not_null(data, "out of memory reading %s", path);
    if (len)
        *len = n;
    return data;
}

static inline int cmp_names_(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Names of the files in TL_FIXTURES/<subdir> whose name ends with `suffix`, sorted. Returns
 * their number; *names is a malloc'ed array of malloc'ed strings (free_names()).
 */
static inline size_t list_fixtures(const char *subdir, const char *suffix, char ***names)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TL_FIXTURES, subdir);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "cannot open %s", path);
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof(*v));
    cr_assert_not_null(v);
    size_t sl = strlen(suffix);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0)
            continue;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof(*v));
            cr_assert_not_null(v);
        }
        v[n] = strdup(de->d_name);
        cr_assert_not_null(v[n]);
        n++;
    }
    closedir(d);
    qsort(v, n, sizeof(*v), cmp_names_);
    *names = v;
    return n;
}

static inline void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/*
 * The node count that ui/SOURCES.md gives for fixture `name` (its tables' 4th column), or -1
 * when the file has no row there.
 */
static inline long sources_md_nodes(const char *md, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "| `%s` |", name);
    const char *row = strstr(md, key);
    if (!row)
        return -1;
    const char *p = row;
    for (int bars = 0; bars < 4; p++) { /* skip "| file | repo | licence |" */
        if (*p == '\0' || *p == '\n')
            return -1;
        bars += *p == '|';
    }
    char *end;
    long v = strtol(p, &end, 10);
    return end == p ? -1 : v;
}

/* Find an element by resource id (first in pre-order), or NULL. */
static inline const tl_element *ui_find_id(const tl_ui *ui, const char *id)
{
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        if (strcmp(el[i].id, id) == 0)
            return &el[i];
    return NULL;
}

/* Find an element by text (first in pre-order), or NULL. */
static inline const tl_element *ui_find_text(const tl_ui *ui, const char *text)
{
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        if (strcmp(el[i].text, text) == 0)
            return &el[i];
    return NULL;
}

static inline bool rect_eq(tl_rect a, int32_t l, int32_t t, int32_t r, int32_t b)
{
    return a.left == l && a.top == t && a.right == r && a.bottom == b;
}

/*
 * Check every structural invariant of a parsed index (`what` names it in failures): pre-order
 * subtree ranges, parent / first_child / next_sibling / end / depth links, listing indexes,
 * strings, and (when tap points are not shifted) tap points inside visible rectangles inside
 * bounds and screen.
 */
static inline void check_ui_structure(const tl_ui *ui, const char *what, bool taps_unshifted)
{
    size_t n = tl_ui_count(ui);
    const tl_element *el = tl_ui_elements(ui);
    const tl_ui_info *in = tl_ui_get_info(ui);
    int32_t last_root = -1;
    size_t listed = 0;
    for (size_t k = 0; k < n; k++) {
        int32_t i = (int32_t)k;
        const tl_element *e = &el[k];
        int32_t p = e->parent;
        cr_assert(p >= -1 && p < i, "%s: [%d] parent %d not before it", what, i, p);
        cr_assert_eq(e->depth, p < 0 ? 0u : el[p].depth + 1, "%s: [%d] depth %u, parent %d", what,
                     i, e->depth, p);
        cr_assert(e->end > i && (size_t)e->end <= n, "%s: [%d] end %d", what, i, e->end);
        if (p >= 0) {
            cr_assert(e->end <= el[p].end, "%s: [%d] range [%d,%d) leaves its parent's [%d,%d)",
                      what, i, i, e->end, p, el[p].end);
        } else {
            cr_assert(last_root < 0 || el[last_root].next_sibling == i,
                      "%s: root %d is not the next sibling of root %d", what, i, last_root);
            cr_assert(last_root >= 0 || i == 0, "%s: first root at %d", what, i);
            last_root = i;
        }
        if (e->end > i + 1) {
            cr_assert_eq(e->first_child, i + 1, "%s: [%d] first_child %d", what, i, e->first_child);
            cr_assert_eq(el[i + 1].parent, i, "%s: [%d] first child's parent", what, i);
        } else {
            cr_assert_eq(e->first_child, -1, "%s: [%d] leaf has first_child %d", what, i,
                         e->first_child);
        }
        if (e->next_sibling >= 0) {
            cr_assert_eq(e->next_sibling, e->end, "%s: [%d] next sibling %d is not at end %d", what,
                         i, e->next_sibling, e->end);
            cr_assert_eq(el[e->next_sibling].parent, p, "%s: [%d] sibling has another parent", what,
                         i);
        } else {
            cr_assert_eq(e->end, p >= 0 ? el[p].end : (int32_t)n,
                         "%s: [%d] last sibling's subtree does not end its parent's", what, i);
        }
        /* Strings: never NULL, valid UTF-8. */
        const char *strs[] = {e->cls, e->pkg, e->text, e->desc, e->id, e->hint};
        for (size_t s = 0; s < sizeof strs / sizeof strs[0]; s++) {
            cr_assert_not_null(strs[s], "%s: [%d] NULL string %zu", what, i, s);
            cr_assert(tl_utf8_valid(strs[s], strlen(strs[s])), "%s: [%d] string %zu not UTF-8",
                      what, i, s);
        }
        if ((e->flags & TL_EL_PASSWORD) && e->text[0])
            cr_assert_str_eq(e->text, TL_UI_MASK, "%s: [%d] password text not masked", what, i);
        /* Derived data. */
        const tl_rect *v = &e->visible;
        if (e->flags & TL_EL_TAPPABLE) {
            cr_assert(v->left < v->right && v->top < v->bottom, "%s: [%d] tappable, empty", what,
                      i);
            cr_assert(v->left >= e->bounds.left && v->right <= e->bounds.right &&
                          v->top >= e->bounds.top && v->bottom <= e->bounds.bottom,
                      "%s: [%d] visible outside bounds", what, i);
            cr_assert(v->left >= 0 && v->top >= 0 && v->right <= in->screen_w &&
                          v->bottom <= in->screen_h,
                      "%s: [%d] visible off screen", what, i);
            if (taps_unshifted)
                cr_assert(e->tap_x >= v->left && e->tap_x < v->right && e->tap_y >= v->top &&
                              e->tap_y < v->bottom,
                          "%s: [%d] tap (%d,%d) outside visible [%d,%d][%d,%d]", what, i, e->tap_x,
                          e->tap_y, v->left, v->top, v->right, v->bottom);
        } else {
            cr_assert(!(e->flags & TL_EL_LISTED), "%s: [%d] listed but not tappable", what, i);
        }
        if (e->flags & TL_EL_LISTED) {
            listed++;
            cr_assert_eq(e->index, (int32_t)listed, "%s: [%d] index %d, expected %zu", what, i,
                         e->index, listed);
            cr_assert_eq(tl_ui_by_index(ui, e->index), e, "%s: [%d] by_index", what, i);
            cr_assert_eq(tl_ui_pos(ui, e), k);
        } else {
            cr_assert_eq(e->index, 0, "%s: [%d] unlisted with index %d", what, i, e->index);
        }
    }
    cr_assert_eq(tl_ui_listed_count(ui), listed, "%s: listed count", what);
    cr_assert_null(tl_ui_by_index(ui, 0));
    cr_assert_null(tl_ui_by_index(ui, (long)listed + 1));
    cr_assert(in->focused >= -1 && in->focused < (int32_t)n, "%s: focused %d", what, in->focused);
    cr_assert_not_null(in->package);
    cr_assert_not_null(in->app);
    cr_assert_not_null(in->activity);
    cr_assert_not_null(in->focused_text);
}

/* The listing and the JSON export of an index, concatenated (caller disposes). */
static inline void ui_outputs(const tl_ui *ui, tl_buf *out)
{
    tl_buf_init(out, 0);
    cr_assert_eq(tl_ui_listing(ui, out), TL_OK);
    cr_assert_eq(tl_ui_summary(ui, out), TL_OK);
    cr_assert_eq(tl_ui_to_json(ui, out), TL_OK);
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        cr_assert_eq(tl_ui_element_line(ui, &tl_ui_elements(ui)[i], out), TL_OK);
    cr_assert(tl_utf8_valid(out->data, out->len), "outputs are not valid UTF-8");
}

/* tl_ui_to_json() is valid JSON that agrees with the index (count, listing size, a few fields). */
static inline void check_ui_json_export(const tl_ui *ui, const char *what)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(tl_ui_to_json(ui, &out), TL_OK);
    cJSON *doc = cJSON_ParseWithLength(out.data, out.len);
    cr_assert_not_null(doc, "%s: tl_ui_to_json() is not JSON", what);
    const cJSON *els = cJSON_GetObjectItemCaseSensitive(doc, "elements");
    size_t n = tl_ui_count(ui);
    cr_assert_eq((size_t)cJSON_GetArraySize(els), n, "%s: elements", what);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "count")->valuedouble, (double)n);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "listed")->valuedouble,
                 (double)tl_ui_listed_count(ui));
    const tl_element *el = tl_ui_elements(ui);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, els)
    {
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "text")->valuestring, el[i].text,
                         "%s: [%zu] text", what, i);
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "class")->valuestring, el[i].cls,
                         "%s: [%zu] class", what, i);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(it, "parent")->valuedouble,
                     (double)el[i].parent, "%s: [%zu] parent", what, i);
        i++;
    }
    cJSON_Delete(doc);
    tl_buf_dispose(&out);
}

#endif
