/*
 * phone.c - the sim phone's behaviour: what it shows (layout) and what input does to it.
 *
 * The phone is a model (immutable) plus a state: a list of app tasks, each a stack of screens
 * with their scroll offsets, the surface in front (an app, the launcher or recents), variable
 * values, input field values and the focused field. Every observation lays the front surface out
 * from scratch into struct sim_layout: accessibility nodes in pre-order (what the tree reports)
 * and a display list (what the screenshot shows). Input is applied by laying out first and
 * hit-testing that layout, so a tap acts on exactly what the last observation described.
 *
 * Time enters through timed transitions only (a screen's `after`, like a spinner turning into
 * content): the state records when the front screen came to the front, and sim_advance(), which
 * the driver calls with its clock before every observation and input, runs what is due. The
 * functions here take the time as an argument and never read a clock, so tests can drive them.
 *
 * Geometry follows Android's: dp scaled by the density, a status bar, an app bar with a
 * navigate-up button below the task's root screen, a scrolling content area that keeps only the
 * rows intersecting it (like a RecyclerView), an optional floating action button, and a
 * navigation bar whose back/home/recents buttons work when tapped.
 */
#include "drivers/sim/sim_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"
#include "core/str.h"
#include "core/utf8.h"

#define STATUS_DP    24
#define APPBAR_DP    64
#define NAV_DP       48
#define MARGIN_DP    16
#define ROW2_DP      72 /* row with a summary */
#define ROW1_DP      56
#define TEXT_DP      48
#define SWITCH_DP    64
#define CHECK_DP     56
#define BUTTON_DP    64
#define INPUT_DP     72
#define FAB_DP       56
#define ICON_DP      112 /* launcher cell height */
#define RECENT_DP    96
#define UP_DP        56
#define MIN_SWIPE_DP 8

#define LAUNCHER_PKG "com.android.launcher3"

static int px(const struct sim_model *m, int dp)
{
    return (int)(dp * m->density + 0.5);
}

/* ---- values --------------------------------------------------------------------------------- */

void sim_secret_digest(const struct sim_state *st, const char *value, unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    if (!ctx) {
        memset(out, 0, 32);
        return;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, st->salt, sizeof(st->salt));
    EVP_DigestUpdate(ctx, value, strlen(value));
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Set a field's value (copied); secret fields also get their digest. */
static int set_field(const struct sim_model *m, struct sim_state *st, int f, const char *value)
{
    char *copy = tl_strdup(value);
    if (!copy)
        return TL_ENOMEM;
    struct sim_field_value *fv = &st->fields[f];
    tl_str_wipe_free(fv->value);
    fv->value = copy;
    fv->chars = utf8_chars(copy);
    if (m->field_secret[f])
        sim_secret_digest(st, copy, fv->digest);
    return TL_OK;
}

static struct sim_value *var(const struct sim_model *m, struct sim_state *st, const char *name)
{
    int v = sim_model_var(m, name);
    return v >= 0 ? &st->vars[v] : NULL;
}

static bool truthy(const struct sim_value *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case SIM_VAR_BOOL: return v->b;
    case SIM_VAR_STRING: return v->s && v->s[0];
    default: return v->nitems > 0;
    }
}

/* "name" or "!name" on a variable; NULL holds. */
static bool holds(const struct sim_model *m, const struct sim_state *st, const char *spec)
{
    if (!spec)
        return true;
    bool neg = spec[0] == '!';
    bool t = truthy(var(m, (struct sim_state *)st, neg ? spec + 1 : spec));
    return neg ? !t : t;
}

static const char *record_get(const struct sim_record *r, const char *key)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (strcmp(r->keys[i], key) == 0)
            return r->vals[i];
    return NULL;
}

/* Expand a template's {names} into b: item fields, then input fields, then variables. The
 * result is trimmed. A secret field whose value is not known expands to "" here. */
static int expand(const struct sim_model *m, const struct sim_state *st, const char *t,
                  const struct sim_record *item, tl_buf *b)
{
    tl_buf_clear(b);
    /* allocate even for an empty result: the trim below and callers read b->data */
    if (tl_buf_append(b, "", 0) != TL_OK)
        return TL_ENOMEM;
    const char *p = t ? t : "";
    while (*p) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            if (tl_buf_puts(b, p) != TL_OK)
                return TL_ENOMEM;
            break; /* the rest is literal; trim it like the rest */
        }
        if (tl_buf_append(b, p, (size_t)(open - p)) != TL_OK)
            return TL_ENOMEM;
        char name[64];
        size_t n = (size_t)(close - open - 1);
        if (n >= sizeof(name))
            n = sizeof(name) - 1;
        memcpy(name, open + 1, n);
        name[n] = '\0';
        const char *val = record_get(item, name);
        char num[24];
        int f;
        if (!val && (f = sim_model_field(m, name)) >= 0)
            val = st->fields[f].value ? st->fields[f].value : "";
        if (!val) {
            const struct sim_value *v = var(m, (struct sim_state *)st, name);
            if (v && v->type == SIM_VAR_BOOL)
                val = v->b ? "true" : "false";
            else if (v && v->type == SIM_VAR_STRING)
                val = v->s ? v->s : "";
            else if (v) {
                snprintf(num, sizeof(num), "%zu", v->nitems);
                val = num;
            } else {
                val = "";
            }
        }
        if (tl_buf_puts(b, val) != TL_OK)
            return TL_ENOMEM;
        p = close + 1;
    }
    /* trim */
    size_t s = 0, e = b->len;
    while (s < e && (b->data[s] == ' ' || b->data[s] == '\t'))
        s++;
    while (e > s && (b->data[e - 1] == ' ' || b->data[e - 1] == '\t'))
        e--;
    memmove(b->data, b->data + s, e - s);
    b->len = e - s;
    b->data[b->len] = '\0';
    return TL_OK;
}

/* ---- layout --------------------------------------------------------------------------------- */

void sim_layout_init(struct sim_layout *l)
{
    memset(l, 0, sizeof(*l));
    tl_arena_init(&l->arena, 16 << 10);
}

void sim_layout_dispose(struct sim_layout *l)
{
    free(l->nodes);
    free(l->draws);
    tl_arena_dispose(&l->arena);
    memset(l, 0, sizeof(*l));
}

struct builder {
    struct sim_layout *l;
    const struct sim_model *m;
    const struct sim_state *st;
    tl_buf tmp;
    int failed;
};

static int add_node(struct builder *b, int parent, enum sim_role role, const char *cls,
                    const char *pkg, tl_rect r)
{
    struct sim_layout *l = b->l;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct sim_node *p = realloc(l->nodes, cap * sizeof(*p));
        if (!p) {
            b->failed = 1;
            return -1;
        }
        l->nodes = p;
        l->cap = cap;
    }
    struct sim_node *nd = &l->nodes[l->n];
    memset(nd, 0, sizeof(*nd));
    nd->parent = parent;
    nd->end = (int)l->n + 1;
    nd->role = role;
    nd->cls = cls;
    nd->pkg = pkg;
    nd->id = nd->text = nd->desc = nd->hint = "";
    nd->bounds = r;
    nd->enabled = true;
    nd->item = nd->target = nd->field = -1;
    return (int)l->n++;
}

/* Close node i: its subtree ends at the current node count. */
static void end_node(struct builder *b, int i)
{
    if (i >= 0)
        b->l->nodes[i].end = (int)b->l->n;
}

static void add_draw(struct builder *b, sim_draw_kind kind, tl_rect r, const char *text,
                     uint32_t flags)
{
    struct sim_layout *l = b->l;
    if (l->ndraws == l->draws_cap) {
        size_t cap = l->draws_cap ? l->draws_cap * 2 : 64;
        sim_draw *p = realloc(l->draws, cap * sizeof(*p));
        if (!p) {
            b->failed = 1;
            return;
        }
        l->draws = p;
        l->draws_cap = cap;
    }
    sim_draw *d = &l->draws[l->ndraws++];
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->r = r;
    d->text = text;
    d->flags = flags;
}

static void add_fill(struct builder *b, tl_rect r, uint32_t color)
{
    add_draw(b, SIM_DRAW_FILL, r, NULL, 0);
    if (b->l->ndraws)
        b->l->draws[b->l->ndraws - 1].color = color;
}

/* Expand a template into the layout's arena. */
static const char *text_of(struct builder *b, const char *t, const struct sim_record *item)
{
    if (!t)
        return "";
    if (expand(b->m, b->st, t, item, &b->tmp) != TL_OK) {
        b->failed = 1;
        return "";
    }
    const char *s = tl_arena_strndup(&b->l->arena, b->tmp.data, b->tmp.len);
    if (!s) {
        b->failed = 1;
        return "";
    }
    return s;
}

static int view_height(const struct builder *b, const struct sim_view *v)
{
    const struct sim_model *m = b->m;
    if (v->height_dp)
        return px(m, v->height_dp);
    switch (v->kind) {
    case SIM_V_ROW: return px(m, v->summary ? ROW2_DP : ROW1_DP);
    case SIM_V_SWITCH: return px(m, SWITCH_DP);
    case SIM_V_CHECKBOX: return px(m, CHECK_DP);
    case SIM_V_BUTTON: return px(m, BUTTON_DP);
    case SIM_V_INPUT: return px(m, INPUT_DP);
    default: return px(m, TEXT_DP);
    }
}

static bool intersects_viewport(const struct sim_layout *l, int top, int bottom)
{
    return bottom > l->viewport.top && top < l->viewport.bottom;
}

/* Lay out one view (or list item) at y = *cy under `parent`; advances *cy. */
static void layout_view(struct builder *b, int parent, const struct sim_view *v, const char *pkg,
                        int *cy, const struct sim_record *item, int item_index)
{
    const struct sim_model *m = b->m;
    const struct sim_state *st = b->st;
    struct sim_layout *l = b->l;
    int W = m->width, mg = px(m, MARGIN_DP);
    if (!holds(m, st, v->visible_if))
        return;
    if (v->kind == SIM_V_LIST) {
        const struct sim_value *list = var(m, (struct sim_state *)st, v->items);
        if (!list || list->nitems == 0) {
            if (v->empty) {
                int h = px(m, TEXT_DP);
                if (intersects_viewport(l, *cy, *cy + h)) {
                    int n = add_node(b, parent, SIM_R_VIEW, "android.widget.TextView", pkg,
                                     (tl_rect){mg, *cy, W - mg, *cy + h});
                    if (n >= 0) {
                        l->nodes[n].text = text_of(b, v->empty, NULL);
                        add_draw(b, SIM_DRAW_TEXT, l->nodes[n].bounds, l->nodes[n].text,
                                 SIM_DRAW_SECONDARY);
                    }
                }
                *cy += h;
            }
            return;
        }
        for (size_t i = 0; i < list->nitems; i++)
            layout_view(b, parent, v->item, pkg, cy, &list->items[i], (int)i);
        return;
    }
    if (v->fab)
        return; /* floating: laid out after the scrolling content */
    int h = view_height(b, v);
    int top = *cy, bottom = *cy + h;
    *cy = bottom;
    if (!intersects_viewport(l, top, bottom))
        return; /* recycled, as a RecyclerView would */
    bool enabled = holds(m, st, v->enabled_if);
    bool tappable = v->on_tap.n > 0 || v->on_long_press.n > 0;
    const char *text = text_of(b, v->text, item);
    const char *desc = text_of(b, v->desc, item);
    uint32_t dis = enabled ? 0 : SIM_DRAW_DISABLED;
    int n;
    switch (v->kind) {
    case SIM_V_TEXT:
        n = add_node(b, parent, SIM_R_VIEW, "android.widget.TextView", pkg,
                     (tl_rect){mg, top, W - mg, bottom});
        if (n < 0)
            return;
        l->nodes[n].clickable = tappable;
        add_draw(b, SIM_DRAW_TEXT, l->nodes[n].bounds, text, dis);
        break;
    case SIM_V_ROW: {
        n = add_node(b, parent, SIM_R_VIEW, "android.widget.LinearLayout", pkg,
                     (tl_rect){0, top, W, bottom});
        if (n < 0)
            return;
        l->nodes[n].clickable = tappable;
        l->nodes[n].long_clickable = v->on_long_press.n > 0;
        l->nodes[n].focusable = tappable;
        const char *summary = text_of(b, v->summary, item);
        int split = summary[0] ? top + (bottom - top) * 55 / 100 : bottom;
        int t = add_node(b, n, SIM_R_LABEL, "android.widget.TextView", pkg,
                         (tl_rect){mg, top, W - mg, split});
        if (t >= 0) {
            l->nodes[t].id = "android:id/title";
            l->nodes[t].text = text;
            add_draw(b, SIM_DRAW_TEXT, l->nodes[t].bounds, text, dis);
        }
        if (summary[0]) {
            int s = add_node(b, n, SIM_R_LABEL, "android.widget.TextView", pkg,
                             (tl_rect){mg, split, W - mg, bottom - px(m, 8)});
            if (s >= 0) {
                l->nodes[s].id = "android:id/summary";
                l->nodes[s].text = summary;
                add_draw(b, SIM_DRAW_TEXT, l->nodes[s].bounds, summary, SIM_DRAW_SECONDARY | dis);
            }
        }
        end_node(b, n);
        break;
    }
    case SIM_V_SWITCH:
    case SIM_V_CHECKBOX: {
        bool sw = v->kind == SIM_V_SWITCH;
        int c = add_node(b, parent, SIM_R_CONTAINER, "android.widget.LinearLayout", pkg,
                         (tl_rect){0, top, W, bottom});
        n = add_node(b, c, SIM_R_VIEW, sw ? "android.widget.Switch" : "android.widget.CheckBox",
                     pkg, (tl_rect){mg, top, W - mg, bottom});
        if (n < 0)
            return;
        l->nodes[n].clickable = l->nodes[n].checkable = l->nodes[n].focusable = true;
        l->nodes[n].checked = holds(m, st, v->checked);
        add_draw(b, sw ? SIM_DRAW_SWITCH : SIM_DRAW_CHECKBOX, l->nodes[n].bounds, text,
                 (l->nodes[n].checked ? SIM_DRAW_CHECKED : 0) | dis);
        end_node(b, c);
        break;
    }
    case SIM_V_BUTTON:
        n = add_node(b, parent, SIM_R_VIEW, "android.widget.Button", pkg,
                     (tl_rect){mg, top + px(m, 8), W - mg, bottom - px(m, 8)});
        if (n < 0)
            return;
        l->nodes[n].clickable = l->nodes[n].focusable = true;
        add_draw(b, SIM_DRAW_BUTTON, l->nodes[n].bounds, text, dis);
        break;
    case SIM_V_INPUT: {
        int f = sim_model_field(m, v->field);
        const struct sim_field_value *fv = &st->fields[f];
        n = add_node(b, parent, SIM_R_VIEW, "android.widget.EditText", pkg,
                     (tl_rect){mg, top + px(m, 8), W - mg, bottom - px(m, 8)});
        if (n < 0)
            return;
        struct sim_node *nd = &l->nodes[n];
        nd->clickable = nd->focusable = nd->editable = nd->long_clickable = true;
        nd->focused = st->focus == f;
        nd->password = v->password;
        nd->field = f;
        nd->hint = text_of(b, v->hint, NULL);
        if (fv->value) {
            nd->text = tl_arena_strndup(&l->arena, fv->value, strlen(fv->value));
            if (!nd->text)
                b->failed = 1;
        } else if (fv->chars) {
            /* restored password: its characters are unknown, its length is not */
            char *dots = tl_arena_alloc(&l->arena, fv->chars * 3 + 1);
            if (dots) {
                for (size_t i = 0; i < fv->chars; i++)
                    memcpy(dots + 3 * i, "\xE2\x80\xA2", 3);
                dots[fv->chars * 3] = '\0';
                nd->text = dots;
            }
        }
        if (!nd->text)
            nd->text = "";
        add_draw(b, SIM_DRAW_INPUT, nd->bounds, nd->text,
                 (nd->focused ? SIM_DRAW_FOCUSED : 0) | (nd->password ? SIM_DRAW_PASSWORD : 0) |
                     dis);
        if (l->ndraws)
            l->draws[l->ndraws - 1].hint = nd->hint;
        break;
    }
    default: return;
    }
    struct sim_node *nd = &l->nodes[n];
    nd->view = v;
    nd->item = item_index;
    nd->enabled = enabled;
    if (v->id)
        nd->id = v->id;
    if (desc[0])
        nd->desc = desc;
    if (!nd->text[0] && v->kind != SIM_V_INPUT && v->kind != SIM_V_ROW)
        nd->text = text;
}

static void layout_app(struct builder *b, const struct sim_task *task)
{
    const struct sim_model *m = b->m;
    struct sim_layout *l = b->l;
    const struct sim_entry *e = &task->stack[task->depth - 1];
    const struct sim_screen *s = &m->screens[e->screen];
    const char *pkg = m->apps[task->app].package;
    int W = m->width, H = m->height;
    int status = px(m, STATUS_DP), nav = px(m, NAV_DP);
    l->package = pkg;
    l->app_label = m->apps[task->app].label;
    l->activity = s->activity;

    int root =
        add_node(b, -1, SIM_R_ROOT, "android.widget.FrameLayout", pkg, (tl_rect){0, 0, W, H});
    int content = add_node(b, root, SIM_R_CONTAINER, "android.widget.FrameLayout", pkg,
                           (tl_rect){0, status, W, H - nav});
    if (content >= 0)
        l->nodes[content].id = "android:id/content";
    int y = status;
    if (s->title) {
        int bar_h = px(m, APPBAR_DP);
        tl_rect bar = {0, y, W, y + bar_h};
        add_fill(b, bar, l->dark ? 0x1F1F1F : 0xF3F6FC);
        int tb = add_node(b, content, SIM_R_CONTAINER, "android.view.ViewGroup", pkg, bar);
        if (tb >= 0)
            l->nodes[tb].id = "android:id/action_bar";
        int x0 = px(m, MARGIN_DP);
        if (task->depth > 1) {
            int up = add_node(b, tb, SIM_R_UP, "android.widget.ImageButton", pkg,
                              (tl_rect){0, y, px(m, UP_DP), y + bar_h});
            if (up >= 0) {
                l->nodes[up].desc = "Navigate up";
                l->nodes[up].clickable = l->nodes[up].focusable = true;
                add_draw(b, SIM_DRAW_UP_ARROW, l->nodes[up].bounds, NULL, 0);
            }
            x0 = px(m, UP_DP + 16);
        }
        int t = add_node(b, tb, SIM_R_TITLE, "android.widget.TextView", pkg,
                         (tl_rect){x0, y, W - px(m, MARGIN_DP), y + bar_h});
        if (t >= 0) {
            l->nodes[t].text = text_of(b, s->title, NULL);
            add_draw(b, SIM_DRAW_TITLE, l->nodes[t].bounds, l->nodes[t].text, 0);
        }
        end_node(b, tb);
        y += bar_h;
    }
    l->viewport = (tl_rect){0, y, W, H - nav};
    l->scroll = e->scroll;
    int scroller = add_node(b, content, SIM_R_SCROLL, "androidx.recyclerview.widget.RecyclerView",
                            pkg, l->viewport);
    if (scroller >= 0)
        l->nodes[scroller].id = "android:id/list";
    l->clip_from = l->ndraws;
    int cy = y - e->scroll;
    for (size_t i = 0; i < s->nviews; i++)
        layout_view(b, scroller, &s->views[i], pkg, &cy, NULL, -1);
    l->clip_to = l->ndraws;
    l->content_h = cy + e->scroll - y;
    int view_h = l->viewport.bottom - l->viewport.top;
    l->max_scroll = l->content_h > view_h ? l->content_h - view_h : 0;
    if (scroller >= 0) {
        l->nodes[scroller].scrollable = l->max_scroll > 0;
        end_node(b, scroller);
    }
    /* floating action buttons sit over the content, bottom right */
    int fab = px(m, FAB_DP), fy = H - nav - px(m, 16) - fab;
    for (size_t i = 0; i < s->nviews; i++) {
        const struct sim_view *v = &s->views[i];
        if (!v->fab || !holds(m, b->st, v->visible_if))
            continue;
        int fx = W - px(m, 16) - fab;
        int n = add_node(b, content, SIM_R_VIEW, "android.widget.ImageButton", pkg,
                         (tl_rect){fx, fy, fx + fab, fy + fab});
        if (n < 0)
            continue;
        struct sim_node *nd = &l->nodes[n];
        nd->view = v;
        nd->clickable = nd->focusable = true;
        nd->enabled = holds(m, b->st, v->enabled_if);
        nd->desc = text_of(b, v->desc ? v->desc : v->text, NULL);
        if (v->id)
            nd->id = v->id;
        add_draw(b, SIM_DRAW_BUTTON, nd->bounds, "+", nd->enabled ? 0 : SIM_DRAW_DISABLED);
        fy -= fab + px(m, 16);
    }
    end_node(b, content);
    end_node(b, root);
    l->keyboard = b->st->focus >= 0;
}

static void layout_launcher(struct builder *b)
{
    const struct sim_model *m = b->m;
    struct sim_layout *l = b->l;
    int W = m->width, H = m->height;
    l->package = LAUNCHER_PKG;
    l->app_label = "Launcher";
    l->activity = ".Launcher";
    int root = add_node(b, -1, SIM_R_ROOT, "android.widget.FrameLayout", LAUNCHER_PKG,
                        (tl_rect){0, 0, W, H});
    int ws = add_node(b, root, SIM_R_CONTAINER, "android.view.ViewGroup", LAUNCHER_PKG,
                      (tl_rect){0, px(m, STATUS_DP), W, H - px(m, NAV_DP)});
    if (ws >= 0)
        l->nodes[ws].id = LAUNCHER_PKG ":id/workspace";
    int cols = 4, cell_w = W / cols, cell_h = px(m, ICON_DP);
    int y0 = px(m, STATUS_DP) + px(m, 48);
    for (size_t i = 0; i < m->napps; i++) {
        int x = (int)(i % (size_t)cols) * cell_w, y = y0 + (int)(i / (size_t)cols) * cell_h;
        int n = add_node(b, ws, SIM_R_ICON, "android.widget.TextView", LAUNCHER_PKG,
                         (tl_rect){x, y, x + cell_w, y + cell_h});
        if (n < 0)
            continue;
        struct sim_node *nd = &l->nodes[n];
        nd->text = m->apps[i].label;
        nd->desc = m->apps[i].label;
        nd->clickable = nd->long_clickable = nd->focusable = true;
        nd->target = (int)i;
        add_draw(b, SIM_DRAW_ICON, nd->bounds, nd->text, 0);
    }
    end_node(b, ws);
    end_node(b, root);
    l->viewport = (tl_rect){0, 0, 0, 0};
}

static void layout_recents(struct builder *b)
{
    const struct sim_model *m = b->m;
    const struct sim_state *st = b->st;
    struct sim_layout *l = b->l;
    int W = m->width, H = m->height, mg = px(m, MARGIN_DP);
    l->package = LAUNCHER_PKG;
    l->app_label = "Launcher";
    l->activity = ".RecentsActivity";
    int root = add_node(b, -1, SIM_R_ROOT, "android.widget.FrameLayout", LAUNCHER_PKG,
                        (tl_rect){0, 0, W, H});
    int y = px(m, STATUS_DP);
    int t = add_node(b, root, SIM_R_TITLE, "android.widget.TextView", LAUNCHER_PKG,
                     (tl_rect){mg, y, W - mg, y + px(m, APPBAR_DP)});
    if (t >= 0) {
        l->nodes[t].text = "Recent apps";
        add_draw(b, SIM_DRAW_TITLE, l->nodes[t].bounds, "Recent apps", 0);
    }
    y += px(m, APPBAR_DP);
    l->viewport = (tl_rect){0, y, W, H - px(m, NAV_DP) - px(m, BUTTON_DP)};
    int list = add_node(b, root, SIM_R_SCROLL, "androidx.recyclerview.widget.RecyclerView",
                        LAUNCHER_PKG, l->viewport);
    l->clip_from = l->ndraws;
    int card = px(m, RECENT_DP);
    int cy = y - st->recents_scroll;
    for (size_t k = st->ntasks; k-- > 0;) {
        const struct sim_task *task = &st->tasks[k];
        tl_rect r = {mg, cy + px(m, 8), W - mg, cy + card - px(m, 8)};
        cy += card;
        if (!intersects_viewport(l, r.top, r.bottom))
            continue;
        int n = add_node(b, list, SIM_R_RECENT, "android.widget.FrameLayout", LAUNCHER_PKG, r);
        if (n < 0)
            continue;
        l->nodes[n].text = m->apps[task->app].label;
        l->nodes[n].clickable = l->nodes[n].focusable = true;
        l->nodes[n].target = (int)k;
        add_fill(b, r, l->dark ? 0x2A2A2A : 0xE8EAED);
        add_draw(b, SIM_DRAW_TEXT, r, l->nodes[n].text, 0);
    }
    if (st->ntasks == 0) {
        int n = add_node(b, list, SIM_R_VIEW, "android.widget.TextView", LAUNCHER_PKG,
                         (tl_rect){mg, y, W - mg, y + px(m, TEXT_DP)});
        if (n >= 0) {
            l->nodes[n].text = "No recent items";
            add_draw(b, SIM_DRAW_TEXT, l->nodes[n].bounds, "No recent items", SIM_DRAW_SECONDARY);
        }
    }
    l->clip_to = l->ndraws;
    l->content_h = cy + st->recents_scroll - y;
    int view_h = l->viewport.bottom - l->viewport.top;
    l->max_scroll = l->content_h > view_h ? l->content_h - view_h : 0;
    l->scroll = st->recents_scroll;
    if (list >= 0) {
        l->nodes[list].scrollable = l->max_scroll > 0;
        end_node(b, list);
    }
    if (st->ntasks) {
        int bottom = H - px(m, NAV_DP);
        int n = add_node(
            b, root, SIM_R_CLEAR_ALL, "android.widget.Button", LAUNCHER_PKG,
            (tl_rect){W / 4, bottom - px(m, BUTTON_DP) + px(m, 8), W * 3 / 4, bottom - px(m, 8)});
        if (n >= 0) {
            l->nodes[n].text = "Clear all";
            l->nodes[n].clickable = l->nodes[n].focusable = true;
            add_draw(b, SIM_DRAW_BUTTON, l->nodes[n].bounds, "Clear all", 0);
        }
    }
    end_node(b, root);
}

int sim_layout(struct sim_layout *l, const struct sim_model *m, const struct sim_state *st,
               tl_error *err)
{
    l->n = 0;
    l->ndraws = 0;
    l->clip_from = l->clip_to = 0;
    l->content_h = l->scroll = l->max_scroll = 0;
    l->keyboard = false;
    tl_arena_reset(&l->arena);
    struct builder b = {.l = l, .m = m, .st = st};
    tl_buf_init(&b.tmp, 1 << 20);
    int W = m->width, H = m->height;
    l->dark = m->theme_var && holds(m, st, m->theme_var);
    int status = px(m, STATUS_DP), nav = px(m, NAV_DP);
    add_fill(&b, (tl_rect){0, 0, W, status}, l->dark ? 0x000000 : 0xE8EAED);
    add_draw(&b, SIM_DRAW_TEXT, (tl_rect){px(m, 16), 0, W / 2, status}, "12:00", 0);
    if (b.l->ndraws)
        b.l->draws[b.l->ndraws - 1].text_px = status / 2;
    if (st->surface == SIM_SURFACE_APP && st->ntasks)
        layout_app(&b, &st->tasks[st->ntasks - 1]);
    else if (st->surface == SIM_SURFACE_RECENTS)
        layout_recents(&b);
    else
        layout_launcher(&b);
    add_fill(&b, (tl_rect){0, H - nav, W, H}, l->dark ? 0x000000 : 0xE8EAED);
    add_draw(&b, SIM_DRAW_NAV_BACK, (tl_rect){W / 6 - nav / 2, H - nav, W / 6 + nav / 2, H}, NULL,
             0);
    add_draw(&b, SIM_DRAW_NAV_HOME, (tl_rect){W / 2 - nav / 2, H - nav, W / 2 + nav / 2, H}, NULL,
             0);
    add_draw(&b, SIM_DRAW_NAV_RECENT,
             (tl_rect){W * 5 / 6 - nav / 2, H - nav, W * 5 / 6 + nav / 2, H}, NULL, 0);
    tl_buf_dispose(&b.tmp);
    if (b.failed)
        return tl_error_set(err, TL_ENOMEM, "sim: out of memory laying out the screen");
    return TL_OK;
}

/* ---- navigation ----------------------------------------------------------------------------- */

static int task_of(const struct sim_state *st, int app)
{
    for (size_t i = 0; i < st->ntasks; i++)
        if (st->tasks[i].app == app)
            return (int)i;
    return -1;
}

/* Move task i to the front (end of the list). */
static void to_front(struct sim_state *st, int i)
{
    struct sim_task t = st->tasks[i];
    memmove(&st->tasks[i], &st->tasks[i + 1], (st->ntasks - (size_t)i - 1) * sizeof(t));
    st->tasks[st->ntasks - 1] = t;
}

static int push_screen(struct sim_task *t, int screen)
{
    if (t->depth == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        if (cap > 64)
            return TL_EREJECTED;
        struct sim_entry *p = realloc(t->stack, cap * sizeof(*p));
        if (!p)
            return TL_ENOMEM;
        t->stack = p;
        t->cap = cap;
    }
    t->stack[t->depth].screen = screen;
    t->stack[t->depth].scroll = 0;
    t->depth++;
    return TL_OK;
}

static int new_task(struct sim_state *st, int app, int screen)
{
    struct sim_task *p = realloc(st->tasks, (st->ntasks + 1) * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    st->tasks = p;
    struct sim_task *t = &p[st->ntasks];
    memset(t, 0, sizeof(*t));
    t->app = app;
    int rc = push_screen(t, screen);
    if (rc)
        return rc;
    st->ntasks++;
    return TL_OK;
}

static void remove_task(struct sim_state *st, int i)
{
    free(st->tasks[i].stack);
    memmove(&st->tasks[i], &st->tasks[i + 1], (st->ntasks - (size_t)i - 1) * sizeof(*st->tasks));
    st->ntasks--;
}

/* Open `screen` in its app's task, creating or resuming the task. */
static int go_to(const struct sim_model *m, struct sim_state *st, int screen)
{
    int app = m->screens[screen].app;
    int t = task_of(st, app);
    int rc;
    if (t < 0) {
        rc = new_task(st, app, screen);
    } else {
        to_front(st, t);
        rc = push_screen(&st->tasks[st->ntasks - 1], screen);
        if (rc == TL_EREJECTED)
            rc = TL_OK; /* a model that navigates in a loop: stay, do not grow without end */
    }
    if (rc == TL_OK) {
        st->surface = SIM_SURFACE_APP;
        st->focus = -1;
    }
    return rc;
}

/* Open `screen` in place of the front screen when that one is of the same app (a loading
 * screen turning into its content: back then skips it), else like go_to. */
static int replace_top(const struct sim_model *m, struct sim_state *st, int screen)
{
    if (st->surface != SIM_SURFACE_APP || !st->ntasks ||
        st->tasks[st->ntasks - 1].app != m->screens[screen].app)
        return go_to(m, st, screen);
    struct sim_task *t = &st->tasks[st->ntasks - 1];
    t->stack[t->depth - 1].screen = screen;
    t->stack[t->depth - 1].scroll = 0;
    st->focus = -1;
    return TL_OK;
}

static void go_back(struct sim_state *st)
{
    st->focus = -1;
    if (st->surface == SIM_SURFACE_RECENTS) {
        st->surface = st->ntasks ? SIM_SURFACE_APP : SIM_SURFACE_LAUNCHER;
        return;
    }
    if (st->surface != SIM_SURFACE_APP || !st->ntasks)
        return;
    struct sim_task *t = &st->tasks[st->ntasks - 1];
    if (t->depth > 1)
        t->depth--;
    else
        st->surface = SIM_SURFACE_LAUNCHER; /* the root stays, as on Android 12+ */
}

/* An activity name without the package prefix and the leading dot. */
static const char *short_activity(const char *a, const char *package)
{
    size_t pl = strlen(package);
    if (strncmp(a, package, pl) == 0 && a[pl] == '.')
        a += pl;
    return a[0] == '.' ? a + 1 : a;
}

int sim_start_app(const struct sim_model *m, struct sim_state *st, const char *package,
                  const char *activity, tl_error *err)
{
    int app = sim_model_app(m, package);
    if (app < 0) {
        char list[256] = "";
        size_t off = 0;
        for (size_t i = 0; i < m->napps && off < sizeof(list); i++) {
            int n =
                snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", m->apps[i].package);
            if (n < 0)
                break;
            off += (size_t)n;
        }
        return tl_error_set(err, TL_EREJECTED,
                            "package %s is not installed on the sim phone "
                            "(installed: %s)",
                            package, list);
    }
    st->focus = -1;
    if (activity) {
        /* ".Name", "Name", "pkg.Name", "pkg/.Name" and "pkg/pkg.Name" all name ".Name" */
        const char *a = strchr(activity, '/') ? strchr(activity, '/') + 1 : activity;
        a = short_activity(a, package);
        for (size_t i = 0; i < m->nscreens; i++) {
            const struct sim_screen *s = &m->screens[i];
            if (s->app == app && strcmp(short_activity(s->activity, package), a) == 0) {
                int rc = go_to(m, st, (int)i);
                return rc ? tl_error_set(err, rc, "sim: cannot open %s", activity) : TL_OK;
            }
        }
        return tl_error_set(err, TL_EREJECTED, "package %s has no activity %s", package, activity);
    }
    int t = task_of(st, app);
    int rc = TL_OK;
    if (t >= 0)
        to_front(st, t);
    else
        rc = new_task(st, app, m->apps[app].start);
    if (rc)
        return tl_error_set(err, rc, "sim: out of memory starting %s", package);
    st->surface = SIM_SURFACE_APP;
    return TL_OK;
}

int sim_stop_app(const struct sim_model *m, struct sim_state *st, const char *package,
                 tl_error *err)
{
    int app = sim_model_app(m, package);
    if (app < 0)
        return tl_error_set(err, TL_EREJECTED, "package %s is not installed on the sim phone",
                            package);
    int t = task_of(st, app);
    if (t >= 0) {
        bool front = st->surface == SIM_SURFACE_APP && t == (int)st->ntasks - 1;
        remove_task(st, t);
        if (front)
            st->surface = SIM_SURFACE_LAUNCHER;
        if (st->surface == SIM_SURFACE_APP && st->ntasks == 0)
            st->surface = SIM_SURFACE_LAUNCHER;
    }
    /* a force-stopped app loses what was typed into its screens */
    for (size_t s = 0; s < m->nscreens; s++) {
        if (m->screens[s].app != app)
            continue;
        for (size_t v = 0; v < m->screens[s].nviews; v++) {
            const struct sim_view *vw = &m->screens[s].views[v];
            if (vw->kind != SIM_V_INPUT)
                continue;
            int f = sim_model_field(m, vw->field);
            if (set_field(m, st, f, "") != TL_OK)
                return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
            if (st->focus == f)
                st->focus = -1;
        }
    }
    return TL_OK;
}

/* ---- operations ----------------------------------------------------------------------------- */

/* The secret field a template consists of alone ("{password}"), or -1. */
static int lone_secret_field(const struct sim_model *m, const char *t)
{
    size_t tl = strlen(t);
    if (tl < 3 || t[0] != '{' || t[tl - 1] != '}' || strchr(t + 1, '{'))
        return -1;
    char name[64];
    if (tl - 2 >= sizeof(name))
        return -1;
    memcpy(name, t + 1, tl - 2);
    name[tl - 2] = '\0';
    int f = sim_model_field(m, name);
    return f >= 0 && m->field_secret[f] ? f : -1;
}

/* a == b, where either side may be a lone {secret field} known only by its digest. */
static int cond_equals(const struct sim_model *m, const struct sim_state *st, const char *a,
                       const char *b, const struct sim_record *item, bool *out)
{
    tl_buf x, y;
    tl_buf_init(&x, 1 << 20);
    tl_buf_init(&y, 1 << 20);
    int rc = expand(m, st, a, item, &x);
    if (rc == TL_OK)
        rc = expand(m, st, b, item, &y);
    if (rc == TL_OK) {
        *out = strcmp(x.data, y.data) == 0;
        for (int side = 0; side < 2; side++) {
            int f = lone_secret_field(m, side ? b : a);
            if (f < 0)
                continue;
            unsigned char d[32];
            sim_secret_digest(st, side ? x.data : y.data, d);
            *out = memcmp(d, st->fields[f].digest, 32) == 0;
        }
    }
    tl_buf_dispose(&x);
    tl_buf_dispose(&y);
    return rc;
}

static int eval_cond(const struct sim_model *m, const struct sim_state *st,
                     const struct sim_cond *c, const struct sim_record *item, bool *out)
{
    switch (c->kind) {
    case SIM_C_EQUALS:
    case SIM_C_NOT_EQUALS: {
        int rc = cond_equals(m, st, c->a, c->b, item, out);
        if (c->kind == SIM_C_NOT_EQUALS)
            *out = !*out;
        return rc;
    }
    case SIM_C_EMPTY:
    case SIM_C_NOT_EMPTY: {
        /* a restored password expands to "" but is only empty if its length says so */
        int f = lone_secret_field(m, c->a);
        if (f >= 0 && !st->fields[f].value) {
            *out = (st->fields[f].chars == 0) == (c->kind == SIM_C_EMPTY);
            return TL_OK;
        }
        tl_buf x;
        tl_buf_init(&x, 1 << 20);
        int rc = expand(m, st, c->a, item, &x);
        *out = (x.len == 0) == (c->kind == SIM_C_EMPTY);
        tl_buf_dispose(&x);
        return rc;
    }
    case SIM_C_TRUTHY: *out = holds(m, st, c->a); return TL_OK;
    default: *out = !holds(m, st, c->a); return TL_OK;
    }
}

static int run_ops(const struct sim_model *m, struct sim_state *st, const struct sim_ops *ops,
                   const struct sim_record *item, tl_error *err);

static int append_record(const struct sim_model *m, struct sim_state *st, const struct sim_op *op,
                         const struct sim_record *item)
{
    struct sim_value *list = var(m, st, op->arg);
    struct sim_record *p = realloc(list->items, (list->nitems + 1) * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    list->items = p;
    struct sim_record *r = &p[list->nitems];
    memset(r, 0, sizeof(*r));
    r->keys = calloc(op->nkv ? op->nkv : 1, sizeof(char *));
    r->vals = calloc(op->nkv ? op->nkv : 1, sizeof(char *));
    list->nitems++; /* counted now so that a failure below is released with the list */
    if (!r->keys || !r->vals)
        return TL_ENOMEM;
    tl_buf b;
    tl_buf_init(&b, 1 << 20);
    int rc = TL_OK;
    for (size_t i = 0; i < op->nkv && rc == TL_OK; i++) {
        rc = expand(m, st, op->vals[i], item, &b);
        if (rc)
            break;
        r->keys[i] = tl_strdup(op->keys[i]);
        r->vals[i] = tl_strdup(b.data);
        if (!r->keys[i] || !r->vals[i]) {
            free(r->keys[i]);
            free(r->vals[i]);
            rc = TL_ENOMEM;
            break;
        }
        r->n++;
    }
    tl_buf_dispose(&b);
    return rc;
}

static int run_op(const struct sim_model *m, struct sim_state *st, const struct sim_op *op,
                  const struct sim_record *item, tl_error *err)
{
    int rc = TL_OK;
    switch (op->kind) {
    case SIM_OP_GO: rc = go_to(m, st, sim_model_screen(m, op->arg)); break;
    case SIM_OP_REPLACE: rc = replace_top(m, st, sim_model_screen(m, op->arg)); break;
    case SIM_OP_BACK: go_back(st); break;
    case SIM_OP_HOME:
        st->surface = SIM_SURFACE_LAUNCHER;
        st->focus = -1;
        break;
    case SIM_OP_LAUNCH: return sim_start_app(m, st, op->arg, NULL, err);
    case SIM_OP_TOGGLE: {
        struct sim_value *v = var(m, st, op->arg);
        v->b = !v->b;
        break;
    }
    case SIM_OP_SET: {
        struct sim_value *v = var(m, st, op->arg);
        if (op->is_bool) {
            v->b = op->bool_value;
            break;
        }
        tl_buf b;
        tl_buf_init(&b, 1 << 20);
        rc = expand(m, st, op->value, item, &b);
        if (rc == TL_OK) {
            char *s = tl_strdup(b.data);
            if (s) {
                free(v->s);
                v->s = s;
            } else {
                rc = TL_ENOMEM;
            }
        }
        tl_buf_dispose(&b);
        break;
    }
    case SIM_OP_APPEND: rc = append_record(m, st, op, item); break;
    case SIM_OP_CLEAR:
        for (size_t i = 0; i < op->nkv && rc == TL_OK; i++)
            rc = set_field(m, st, sim_model_field(m, op->keys[i]), "");
        break;
    case SIM_OP_IF: {
        bool yes;
        rc = eval_cond(m, st, &op->cond, item, &yes);
        if (rc == TL_OK)
            return run_ops(m, st, yes ? &op->then : &op->otherwise, item, err);
        break;
    }
    }
    if (rc)
        return tl_error_set(err, rc, "sim: %s",
                            rc == TL_ENOMEM ? "out of memory" : "operation failed");
    return TL_OK;
}

static int run_ops(const struct sim_model *m, struct sim_state *st, const struct sim_ops *ops,
                   const struct sim_record *item, tl_error *err)
{
    for (size_t i = 0; i < ops->n; i++) {
        int rc = run_op(m, st, &ops->items[i], item, err);
        if (rc)
            return rc;
    }
    return TL_OK;
}

/* ---- input ---------------------------------------------------------------------------------- */

static bool inside(const tl_rect *r, int x, int y)
{
    return x >= r->left && x < r->right && y >= r->top && y < r->bottom;
}

/* Scroll offset of the front surface. */
static int *scroll_of(struct sim_state *st)
{
    if (st->surface == SIM_SURFACE_RECENTS)
        return &st->recents_scroll;
    if (st->surface == SIM_SURFACE_APP && st->ntasks) {
        struct sim_task *t = &st->tasks[st->ntasks - 1];
        return &t->stack[t->depth - 1].scroll;
    }
    return NULL;
}

static const struct sim_record *item_of(const struct sim_model *m, struct sim_state *st,
                                        const struct sim_node *nd)
{
    (void)m;
    if (nd->item < 0)
        return NULL;
    /* list items come from the list view's variable: find the list that owns this item view */
    if (st->surface != SIM_SURFACE_APP || !st->ntasks)
        return NULL;
    const struct sim_task *t = &st->tasks[st->ntasks - 1];
    const struct sim_screen *s = &m->screens[t->stack[t->depth - 1].screen];
    for (size_t i = 0; i < s->nviews; i++) {
        const struct sim_view *v = &s->views[i];
        if (v->kind == SIM_V_LIST && v->item == nd->view) {
            const struct sim_value *list = var(m, st, v->items);
            if (list && (size_t)nd->item < list->nitems)
                return &list->items[nd->item];
        }
    }
    return NULL;
}

/* The input field after the focused one on the front screen (the first one when none has
 * focus); past the last field, the first again when `wrap`, else -1. */
static int focus_next(const struct sim_model *m, struct sim_state *st, bool wrap)
{
    if (st->surface != SIM_SURFACE_APP || !st->ntasks)
        return -1;
    const struct sim_task *t = &st->tasks[st->ntasks - 1];
    const struct sim_screen *s = &m->screens[t->stack[t->depth - 1].screen];
    int first = -1, next = -1;
    bool after = st->focus < 0;
    for (size_t i = 0; i < s->nviews; i++) {
        const struct sim_view *v = &s->views[i];
        if (v->kind != SIM_V_INPUT || !holds(m, st, v->visible_if))
            continue;
        int f = sim_model_field(m, v->field);
        if (first < 0)
            first = f;
        if (after && next < 0)
            next = f;
        if (f == st->focus)
            after = true;
    }
    return next >= 0 ? next : wrap ? first : -1;
}

int sim_tap(const struct sim_model *m, struct sim_state *st, int x, int y, bool long_press,
            tl_error *err)
{
    if (x >= m->width || y >= m->height)
        return tl_error_set(err, TL_EREJECTED, "tap (%d,%d) is outside the %dx%d screen", x, y,
                            m->width, m->height);
    int nav = px(m, NAV_DP);
    if (y >= m->height - nav) {
        /* the navigation bar's buttons: back, home, recents */
        tl_key k = x < m->width / 3       ? TL_KEY_BACK
                   : x < m->width * 2 / 3 ? TL_KEY_HOME
                                          : TL_KEY_RECENT;
        return sim_key(m, st, k, err);
    }
    struct sim_layout l;
    sim_layout_init(&l);
    int rc = sim_layout(&l, m, st, err);
    if (rc) {
        sim_layout_dispose(&l);
        return rc;
    }
    /* the topmost clickable node under the point: nodes are in pre-order, so a later node is
     * either a descendant (deeper) or drawn after (on top, like a floating action button over
     * the list rows); the last match wins */
    int hit = -1;
    for (size_t i = 0; i < l.n; i++) {
        const struct sim_node *nd = &l.nodes[i];
        if (!inside(&nd->bounds, x, y) || !(nd->clickable || nd->editable))
            continue;
        bool in_content = false;
        for (int p = nd->parent; p >= 0; p = l.nodes[p].parent)
            in_content |= l.nodes[p].role == SIM_R_SCROLL;
        if (in_content && !inside(&l.viewport, x, y))
            continue;
        hit = (int)i;
    }
    if (hit < 0) {
        sim_layout_dispose(&l);
        return TL_OK; /* nothing there: like a real phone, the tap does nothing */
    }
    struct sim_node nd = l.nodes[hit];
    sim_layout_dispose(&l);
    if (!nd.enabled)
        return TL_OK;
    switch (nd.role) {
    case SIM_R_UP: go_back(st); return TL_OK;
    case SIM_R_ICON:
        if (long_press)
            return TL_OK;
        return sim_start_app(m, st, m->apps[nd.target].package, NULL, err);
    case SIM_R_RECENT:
        to_front(st, nd.target);
        st->surface = SIM_SURFACE_APP;
        return TL_OK;
    case SIM_R_CLEAR_ALL:
        while (st->ntasks)
            remove_task(st, (int)st->ntasks - 1);
        st->surface = SIM_SURFACE_LAUNCHER;
        return TL_OK;
    default: break;
    }
    const struct sim_view *v = nd.view;
    if (!v)
        return TL_OK;
    if (v->kind == SIM_V_INPUT) {
        st->focus = nd.field;
        return TL_OK;
    }
    const struct sim_record *item = item_of(m, st, &nd);
    if (long_press)
        return run_ops(m, st, &v->on_long_press, item, err);
    if (v->kind == SIM_V_SWITCH || v->kind == SIM_V_CHECKBOX) {
        struct sim_value *b = var(m, st, v->checked);
        b->b = !b->b;
    }
    return run_ops(m, st, &v->on_tap, item, err);
}

int sim_swipe(const struct sim_model *m, struct sim_state *st, int x1, int y1, int x2, int y2,
              tl_error *err)
{
    int dy = y1 - y2, dx = x1 - x2;
    if ((dy < 0 ? -dy : dy) < px(m, MIN_SWIPE_DP) || (dx < 0 ? -dx : dx) > (dy < 0 ? -dy : dy))
        return TL_OK; /* not a vertical swipe: nothing here scrolls sideways */
    struct sim_layout l;
    sim_layout_init(&l);
    int rc = sim_layout(&l, m, st, err);
    if (rc == TL_OK && inside(&l.viewport, x1, y1)) {
        int *scroll = scroll_of(st);
        if (scroll) {
            int s = *scroll + dy;
            *scroll = s < 0 ? 0 : s > l.max_scroll ? l.max_scroll : s;
        }
    }
    sim_layout_dispose(&l);
    return rc;
}

int sim_type(const struct sim_model *m, struct sim_state *st, const char *text, bool clear,
             tl_error *err)
{
    if (st->focus < 0)
        return tl_error_set(err, TL_EREJECTED,
                            "no text field has focus on the sim phone: tap a text field first");
    if (!tl_utf8_valid(text, strlen(text)))
        return tl_error_set(err, TL_EUSAGE, "type: the text is not valid UTF-8");
    struct sim_field_value *fv = &st->fields[st->focus];
    const char *old = clear || !fv->value ? "" : fv->value;
    size_t n = strlen(old) + strlen(text);
    char *joined = malloc(n + 1);
    if (!joined)
        return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
    snprintf(joined, n + 1, "%s%s", old, text);
    int rc = set_field(m, st, st->focus, joined);
    memset(joined, 0, n);
    free(joined);
    return rc ? tl_error_set(err, rc, "sim: out of memory") : TL_OK;
}

int sim_key(const struct sim_model *m, struct sim_state *st, int key, tl_error *err)
{
    switch ((tl_key)key) {
    case TL_KEY_BACK:
        if (st->focus >= 0)
            st->focus = -1; /* back first hides the keyboard */
        else
            go_back(st);
        return TL_OK;
    case TL_KEY_HOME:
        st->surface = SIM_SURFACE_LAUNCHER;
        st->focus = -1;
        return TL_OK;
    case TL_KEY_RECENT:
        st->surface = st->surface == SIM_SURFACE_RECENTS
                          ? (st->ntasks ? SIM_SURFACE_APP : SIM_SURFACE_LAUNCHER)
                          : SIM_SURFACE_RECENTS;
        st->focus = -1;
        return TL_OK;
    case TL_KEY_ENTER: {
        if (st->focus < 0)
            return TL_OK;
        const struct sim_task *t = &st->tasks[st->ntasks - 1];
        const struct sim_screen *s = &m->screens[t->stack[t->depth - 1].screen];
        if (s->on_submit.n)
            return run_ops(m, st, &s->on_submit, NULL, err);
        /* the keyboard's "next" action, and "done" in the last field */
        st->focus = focus_next(m, st, false);
        return TL_OK;
    }
    case TL_KEY_TAB:
        if (st->surface == SIM_SURFACE_APP)
            st->focus = focus_next(m, st, true);
        return TL_OK;
    case TL_KEY_DELETE: {
        if (st->focus < 0)
            return TL_OK;
        struct sim_field_value *fv = &st->fields[st->focus];
        if (!fv->value) /* a restored password: its characters are not known, start over */
            return set_field(m, st, st->focus, "")
                       ? tl_error_set(err, TL_ENOMEM, "sim: out of memory")
                       : TL_OK;
        size_t len = strlen(fv->value);
        while (len > 0 && ((unsigned char)fv->value[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0)
            len--;
        char *cut = malloc(len + 1);
        if (!cut)
            return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
        memcpy(cut, fv->value, len);
        cut[len] = '\0';
        int rc = set_field(m, st, st->focus, cut);
        memset(cut, 0, len);
        free(cut);
        return rc ? tl_error_set(err, rc, "sim: out of memory") : TL_OK;
    }
    case TL_KEY_FORWARD_DELETE: return TL_OK; /* the caret is always at the end */
    default: return tl_error_set(err, TL_EUSAGE, "unknown key %d", key);
    }
}

/* ---- timed transitions ---------------------------------------------------------------------- */

/* Timed transitions run per call at most: a model whose screens replace each other in a loop
 * would otherwise replay every lap since the phone was last looked at. */
#define ADVANCE_MAX 256

struct sim_front sim_front_of(const struct sim_state *st)
{
    struct sim_front f = {.surface = st->surface, .app = -1, .depth = 0, .screen = -1};
    if (st->surface == SIM_SURFACE_APP && st->ntasks) {
        const struct sim_task *t = &st->tasks[st->ntasks - 1];
        f.app = t->app;
        f.depth = t->depth;
        f.screen = t->stack[t->depth - 1].screen;
    }
    return f;
}

static bool same_front(const struct sim_front *a, const struct sim_front *b)
{
    return a->surface == b->surface && a->app == b->app && a->depth == b->depth &&
           a->screen == b->screen;
}

void sim_note_entry(struct sim_state *st, const struct sim_front *before, long long now_ms)
{
    struct sim_front now = sim_front_of(st);
    if (same_front(&now, before))
        return;
    st->entered_ms = now_ms;
    st->after_done = false;
}

int sim_advance(const struct sim_model *m, struct sim_state *st, long long now_ms, tl_error *err)
{
    for (int i = 0; i < ADVANCE_MAX; i++) {
        struct sim_front before = sim_front_of(st);
        if (before.screen < 0 || st->after_done)
            return TL_OK;
        const struct sim_screen *s = &m->screens[before.screen];
        long long due = st->entered_ms + s->after_ms;
        if (!s->after_ms || now_ms < due)
            return TL_OK;
        int rc = run_ops(m, st, &s->after, NULL, err);
        if (rc)
            return rc;
        struct sim_front after = sim_front_of(st);
        if (same_front(&before, &after)) {
            st->after_done = true; /* done until the screen is entered again */
        } else {
            /* the screen it brought to the front was entered when it was due, not now */
            st->entered_ms = due;
            st->after_done = false;
        }
    }
    st->entered_ms = now_ms; /* transitions in a loop: go on from now */
    return TL_OK;
}

/* ---- state lifetime ------------------------------------------------------------------------- */

static int copy_value(struct sim_value *dst, const struct sim_value *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->type = src->type;
    dst->b = src->b;
    if (src->type == SIM_VAR_STRING) {
        dst->s = tl_strdup(src->s ? src->s : "");
        return dst->s ? TL_OK : TL_ENOMEM;
    }
    if (src->type != SIM_VAR_LIST || !src->nitems)
        return TL_OK;
    dst->items = calloc(src->nitems, sizeof(*dst->items));
    if (!dst->items)
        return TL_ENOMEM;
    for (size_t i = 0; i < src->nitems; i++) {
        const struct sim_record *r = &src->items[i];
        struct sim_record *d = &dst->items[i];
        dst->nitems++;
        d->keys = calloc(r->n ? r->n : 1, sizeof(char *));
        d->vals = calloc(r->n ? r->n : 1, sizeof(char *));
        if (!d->keys || !d->vals)
            return TL_ENOMEM;
        for (size_t k = 0; k < r->n; k++) {
            d->keys[k] = tl_strdup(r->keys[k]);
            d->vals[k] = tl_strdup(r->vals[k]);
            d->n++;
            if (!d->keys[k] || !d->vals[k])
                return TL_ENOMEM;
        }
    }
    return TL_OK;
}

static void dispose_value(struct sim_value *v)
{
    free(v->s);
    for (size_t i = 0; i < v->nitems; i++)
        sim_record_dispose(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

int sim_state_init(struct sim_state *st, const struct sim_model *m, tl_error *err)
{
    memset(st, 0, sizeof(*st));
    st->focus = -1;
    st->surface = SIM_SURFACE_LAUNCHER;
    st->vars = calloc(m->nvars ? m->nvars : 1, sizeof(*st->vars));
    st->fields = calloc(m->nfields ? m->nfields : 1, sizeof(*st->fields));
    if (!st->vars || !st->fields)
        goto oom;
    for (size_t i = 0; i < m->nvars; i++)
        if (copy_value(&st->vars[i], &m->vars[i].init) != TL_OK)
            goto oom;
    /* The salt only protects digests written to disk; any unpredictable bytes will do. */
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(st->salt, 1, sizeof(st->salt), f) != sizeof(st->salt)) {
        if (f)
            fclose(f);
        sim_state_dispose(st, m);
        return tl_error_set(err, TL_EIO, "sim: cannot read /dev/urandom");
    }
    fclose(f);
    for (size_t i = 0; i < m->nfields; i++)
        if (set_field(m, st, (int)i, "") != TL_OK)
            goto oom;
    return TL_OK;
oom:
    sim_state_dispose(st, m);
    return tl_error_set(err, TL_ENOMEM, "sim: out of memory");
}

void sim_state_dispose(struct sim_state *st, const struct sim_model *m)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->ntasks; i++)
        free(st->tasks[i].stack);
    free(st->tasks);
    if (st->vars)
        for (size_t i = 0; i < m->nvars; i++)
            dispose_value(&st->vars[i]);
    free(st->vars);
    if (st->fields) {
        for (size_t i = 0; i < m->nfields; i++)
            tl_str_wipe_free(st->fields[i].value);
    }
    free(st->fields);
    memset(st, 0, sizeof(*st));
}
