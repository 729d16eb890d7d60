/*
 * ui.c - the element index: storage, the post-pass every parser ends with, and its outputs
 * (prompt listing, summary, JSON).
 *
 * The parsers (ui_json.c, ui_xml.c) append elements in pre-order through ui_add(). ui_finish()
 * then makes one pass over the array, parents before children, deriving for each element its
 * visible rectangle, tap point, password masking and label absorption, and a second pass that
 * numbers the listed elements. Both passes are O(n); no step depends on the input's depth.
 */
#include "agent/ui_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"

/* An actionable element shows at most this many descendant texts on its line. */
#define UI_MAX_ABSORBED  4
/* A label part longer than this many characters is cut with an ellipsis. */
#define UI_PART_MAX      80
#define UI_INTERN_MIN    256
/* Elements take 150 (compact XML) to 1200 (Portal's full member set) input bytes: reserve for
 * the verbose end and let the array double, so that little capacity is left unused. */
#define UI_BYTES_PER_EST 1200

static const char empty_str[] = "";

tl_ui *tl_ui_new(void)
{
    tl_ui *ui = calloc(1, sizeof(*ui));
    if (!ui)
        return NULL;
    tl_arena_init(&ui->arena, 0);
    ui->info.focused = -1;
    ui->info.package = ui->info.app = ui->info.activity = ui->info.focused_text = empty_str;
    return ui;
}

void tl_ui_free(tl_ui *ui)
{
    if (!ui)
        return;
    tl_arena_dispose(&ui->arena);
    free(ui->el);
    free(ui->listed);
    free(ui->scratch);
    free(ui->intern);
    free(ui);
}

static int ui_reserve_for(tl_ui *ui, size_t len);

int ui_begin(tl_ui *ui, const tl_ui_options *opts, tl_ui_format format, size_t len)
{
    ui->n = 0;
    ui->nlisted = 0;
    tl_arena_reset(&ui->arena);
    if (ui->intern && ui->intern_used)
        memset(ui->intern, 0, ui->intern_cap * sizeof(*ui->intern));
    ui->intern_used = 0;
    memset(&ui->info, 0, sizeof(ui->info));
    ui->info.format = format;
    ui->info.focused = -1;
    ui->info.package = ui->info.app = ui->info.activity = ui->info.focused_text = empty_str;
    ui->focused_class = ui->focused_id = empty_str;
    ui->focused_password = false;
    ui->have_screen_bounds = false;
    ui->max_nodes = opts && opts->max_nodes ? opts->max_nodes : TL_UI_DEFAULT_MAX_NODES;
    ui->max_depth = opts && opts->max_depth ? opts->max_depth : TL_UI_DEFAULT_MAX_DEPTH;
    /* Kept strings are roughly a tenth of the input: size new arena chunks to match, so a small
     * tree does not hold a large block. */
    size_t chunk = len / 8;
    ui->arena.chunk_size = chunk < 4096 ? 4096 : chunk > (64u << 10) ? (64u << 10) : chunk;
    return ui_reserve_for(ui, len);
}

void ui_fail(tl_ui *ui)
{
    ui->n = 0;
    ui->nlisted = 0;
    tl_arena_reset(&ui->arena);
    ui->intern_used = 0;
    if (ui->intern)
        memset(ui->intern, 0, ui->intern_cap * sizeof(*ui->intern));
    memset(&ui->info, 0, sizeof(ui->info));
    ui->info.focused = -1;
    ui->info.package = ui->info.app = ui->info.activity = ui->info.focused_text = empty_str;
}

/* Reserve room for the elements of an input of `len` bytes (a guess; the array still grows). */
static int ui_reserve_for(tl_ui *ui, size_t len)
{
    size_t want = len / UI_BYTES_PER_EST + 16;
    if (want > ui->max_nodes)
        want = ui->max_nodes;
    if (want <= ui->cap)
        return TL_OK;
    tl_element *p = realloc(ui->el, want * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    ui->el = p;
    ui->cap = want;
    return TL_OK;
}

int32_t ui_add(tl_ui *ui, int32_t parent, int32_t prev, uint32_t depth, tl_error *err)
{
    if (ui->n >= ui->max_nodes) {
        tl_error_set(err, TL_EPARSE, "the tree has more than %zu elements (the limit)",
                     ui->max_nodes);
        return -1;
    }
    if (ui->n == ui->cap) {
        size_t cap = ui->cap ? ui->cap * 2 : 64;
        if (cap > ui->max_nodes)
            cap = ui->max_nodes;
        tl_element *p = realloc(ui->el, cap * sizeof(*p));
        if (!p) {
            tl_error_set(err, TL_ENOMEM, "out of memory after %zu elements", ui->n);
            return -1;
        }
        ui->el = p;
        ui->cap = cap;
    }
    int32_t pos = (int32_t)ui->n++;
    tl_element *e = &ui->el[pos];
    memset(e, 0, sizeof(*e));
    e->parent = parent;
    e->first_child = e->next_sibling = -1;
    e->label_owner = e->label_first = e->label_next = -1;
    e->end = pos + 1;
    e->depth = depth;
    e->flags = TL_EL_ENABLED | TL_EL_VISIBLE;
    e->cls = e->pkg = e->text = e->desc = e->id = e->hint = empty_str;
    if (prev >= 0)
        ui->el[prev].next_sibling = pos;
    else if (parent >= 0)
        ui->el[parent].first_child = pos;
    return pos;
}

const char *ui_str(tl_ui *ui, const char *s, size_t n)
{
    if (n == 0)
        return empty_str;
    return tl_arena_strndup(&ui->arena, s, n);
}

/* A multiplicative hash over 8-byte words: interning hashes every class, package and id name. */
static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 32;
    return (uint32_t)h;
}

static int intern_grow(tl_ui *ui)
{
    size_t cap = ui->intern_cap ? ui->intern_cap * 2 : UI_INTERN_MIN;
    struct ui_intern_slot *t = calloc(cap, sizeof(*t));
    if (!t)
        return TL_ENOMEM;
    for (size_t i = 0; i < ui->intern_cap; i++) {
        struct ui_intern_slot *s = &ui->intern[i];
        if (!s->str)
            continue;
        size_t j = s->hash & (cap - 1);
        while (t[j].str)
            j = (j + 1) & (cap - 1);
        t[j] = *s;
    }
    free(ui->intern);
    ui->intern = t;
    ui->intern_cap = cap;
    return TL_OK;
}

const char *ui_intern(tl_ui *ui, const char *s, size_t n)
{
    if (n == 0)
        return empty_str;
    if (n > UINT32_MAX)
        return NULL;
    if ((ui->intern_used + 1) * 4 > ui->intern_cap * 3 && intern_grow(ui) != TL_OK)
        return NULL;
    uint32_t h = hash_bytes(s, n);
    size_t mask = ui->intern_cap - 1;
    size_t j = h & mask;
    while (ui->intern[j].str) {
        struct ui_intern_slot *slot = &ui->intern[j];
        if (slot->hash == h && slot->len == n && ui_bytes_eq(slot->str, s, n))
            return slot->str;
        j = (j + 1) & mask;
    }
    const char *copy = tl_arena_strndup(&ui->arena, s, n);
    if (!copy)
        return NULL;
    ui->intern[j].str = copy;
    ui->intern[j].hash = h;
    ui->intern[j].len = (uint32_t)n;
    ui->intern_used++;
    return copy;
}

/* ---- post-pass ---------------------------------------------------------------------------- */

static bool rect_empty(const tl_rect *r)
{
    return r->right <= r->left || r->bottom <= r->top;
}

static tl_rect rect_intersect(tl_rect a, const tl_rect *b)
{
    if (b->left > a.left)
        a.left = b->left;
    if (b->top > a.top)
        a.top = b->top;
    if (b->right < a.right)
        a.right = b->right;
    if (b->bottom < a.bottom)
        a.bottom = b->bottom;
    return a;
}

const char *tl_ui_short_class(const char *cls)
{
    const char *dot = strrchr(cls, '.');
    return dot && dot[1] ? dot + 1 : cls;
}

static const char *short_id(const char *id)
{
    const char *p = strstr(id, ":id/");
    return p ? p + 4 : id;
}

/*
 * Older Portal shapes put "display text" in `text`: text, else content description, else the
 * resource id's short name, else the short class name. Only real text is worth keeping, so the
 * fallbacks are dropped again; the very old shape also appends " <short id>" to real text.
 */
static void legacy_clean_text(tl_element *e)
{
    const char *t = e->text;
    if (!t[0])
        return;
    const char *sid = short_id(e->id);
    const char *scls = tl_ui_short_class(e->cls);
    /* The fallback may be the full class name while className holds the short one. */
    bool full_class = scls[0] && !strchr(t, ' ') && strcmp(tl_ui_short_class(t), scls) == 0;
    if (strcmp(t, e->cls) == 0 || full_class || strcmp(t, e->id) == 0 ||
        (sid[0] && strcmp(t, sid) == 0)) {
        e->text = empty_str;
        return;
    }
    size_t tl = strlen(t), sl = strlen(sid);
    if (sl && tl > sl + 1 && t[tl - sl - 1] == ' ' && strcmp(t + tl - sl, sid) == 0)
        ((char *)t)[tl - sl - 1] = '\0';
}

static int ensure_scratch(tl_ui *ui, size_t need)
{
    if (need <= ui->scratch_cap)
        return TL_OK;
    int32_t *p = realloc(ui->scratch, need * sizeof(*p));
    if (!p)
        return TL_ENOMEM;
    ui->scratch = p;
    ui->scratch_cap = need;
    return TL_OK;
}

static void determine_screen(tl_ui *ui, const tl_ui_options *opts)
{
    tl_ui_info *in = &ui->info;
    if (in->screen_w > 0 && in->screen_h > 0)
        return;
    if (opts && opts->display_w > 0 && opts->display_h > 0) {
        bool swap = (in->rotation & 1) != 0;
        in->screen_w = swap ? opts->display_h : opts->display_w;
        in->screen_h = swap ? opts->display_w : opts->display_h;
        return;
    }
    /* Without a size from the device, the window roots span the screen (uiautomator clips
     * bounds to the display, and multi-window dumps list every window as a root). */
    int32_t w = 0, h = 0;
    for (int32_t r = ui->n ? 0 : -1; r >= 0; r = ui->el[r].next_sibling) {
        const tl_rect *b = &ui->el[r].bounds;
        if (b->right > b->left && b->bottom > b->top) {
            w = b->right > w ? b->right : w;
            h = b->bottom > h ? b->bottom : h;
        }
    }
    in->screen_w = w;
    in->screen_h = h;
}

/*
 * A uiautomator dump names no foreground app: take the package of the largest window root,
 * leaving out the system UI (status and navigation bars, which multi-window dumps list too).
 */
static void derive_package(tl_ui *ui)
{
    const char *best = NULL, *any = NULL;
    uint64_t best_area = 0, any_area = 0;
    for (int32_t r = ui->n ? 0 : -1; r >= 0; r = ui->el[r].next_sibling) {
        const tl_element *e = &ui->el[r];
        /* 64-bit unsigned: hostile bounds span up to 2^32 on each side */
        int64_t w = (int64_t)e->bounds.right - e->bounds.left;
        int64_t h = (int64_t)e->bounds.bottom - e->bounds.top;
        uint64_t area = w > 0 && h > 0 ? (uint64_t)w * (uint64_t)h : 0;
        if (!e->pkg[0])
            continue;
        if (!any || area >= any_area) {
            any = e->pkg;
            any_area = area;
        }
        if (strcmp(e->pkg, "com.android.systemui") != 0 && (!best || area >= best_area)) {
            best = e->pkg;
            best_area = area;
        }
    }
    if (best || any)
        ui->info.package = best ? best : any;
}

static bool is_absorber(const tl_element *e)
{
    return (e->flags & TL_EL_FLAGS_UNKNOWN) == 0 &&
           (e->flags & (TL_EL_CLICKABLE | TL_EL_LONG_CLICKABLE | TL_EL_CHECKABLE)) != 0;
}

/* Replace a password field's text, wiping the bytes it was parsed into. */
static void mask_password(tl_ui *ui, tl_element *e)
{
    if (!e->text[0] || strcmp(e->text, TL_UI_MASK) == 0)
        return;
    if (ui->info.focused_text[0] && strcmp(ui->info.focused_text, e->text) == 0) {
        memset((char *)ui->info.focused_text, 0, strlen(ui->info.focused_text));
        ui->info.focused_text = TL_UI_MASK;
    }
    memset((char *)e->text, 0, strlen(e->text));
    e->text = TL_UI_MASK;
}

/* phone_state's focused text is masked unless it is known not to be a password: the focused
 * element is a password field (by focus flag, resource id or the reply's own flag), or a
 * password field is on screen and the focused element cannot be identified as an ordinary field
 * holding that very text (found by focus flag or resource id). Over-masking costs the model one
 * line of context; under-masking would send a password to the LLM. */
static void mask_focused_text(tl_ui *ui)
{
    tl_ui_info *in = &ui->info;
    if (!in->focused_text[0] || strcmp(in->focused_text, TL_UI_MASK) == 0)
        return;
    bool secret = ui->focused_password;
    bool any_password = false, known_plain = false;
    if (in->focused >= 0) {
        const tl_element *f = &ui->el[in->focused];
        if (f->flags & TL_EL_PASSWORD)
            secret = true;
        else if (strcmp(f->text, in->focused_text) == 0)
            known_plain = true;
    }
    for (size_t i = 0; !secret && i < ui->n; i++) {
        const tl_element *e = &ui->el[i];
        const bool by_id = ui->focused_id[0] && strcmp(e->id, ui->focused_id) == 0;
        if (e->flags & TL_EL_PASSWORD) {
            any_password = true;
            secret = by_id;
        } else if (by_id && strcmp(e->text, in->focused_text) == 0) {
            known_plain = true;
        }
    }
    if (secret || (any_password && !known_plain)) {
        memset((char *)in->focused_text, 0, strlen(in->focused_text));
        in->focused_text = TL_UI_MASK;
    }
}

int ui_finish(tl_ui *ui, const tl_ui_options *opts, tl_error *err)
{
    tl_ui_info *in = &ui->info;
    determine_screen(ui, opts);
    if (!in->package[0])
        derive_package(ui);
    const tl_rect screen = {0, 0, in->screen_w, in->screen_h};
    const bool kb = in->keyboard_visible && !rect_empty(&in->keyboard) && in->keyboard.left <= 0 &&
                    in->keyboard.right >= in->screen_w;
    const long dx = opts ? opts->tap_dx : 0;
    const long dy = (opts ? (long)opts->tap_dy : 0) +
                    (opts && opts->tap_overlay ? (long)in->overlay_offset : 0);
    const size_t n = ui->n;

    /* scratch[3i]: nearest scrollable ancestor; [3i+1]: nearest absorbing ancestor (no
     * scroll container in between); [3i+2]: how many texts would be absorbed into i. */
    if (n > SIZE_MAX / 3 || ensure_scratch(ui, n * 3) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory indexing %zu elements", n);
    int32_t *sc = ui->scratch;

    for (size_t i = 0; i < n; i++) {
        tl_element *e = &ui->el[i];
        int32_t p = e->parent;
        int32_t clip_owner = -1, absorber = -1;
        if (p >= 0) {
            const tl_element *pe = &ui->el[p];
            clip_owner = (pe->flags & TL_EL_SCROLLABLE) ? p : sc[3 * p];
            /* An owner without a visible area has no line: texts under it stand alone. */
            if (is_absorber(pe))
                absorber = (pe->flags & TL_EL_TAPPABLE) ? p : -1;
            else
                absorber = (pe->flags & TL_EL_SCROLLABLE) ? -1 : sc[3 * p + 1];
        }
        sc[3 * i] = clip_owner;
        sc[3 * i + 1] = absorber;
        sc[3 * i + 2] = 0;

        if (in->format == TL_UI_FORMAT_PORTAL_LEGACY)
            legacy_clean_text(e);
        if (e->flags & TL_EL_PASSWORD)
            mask_password(ui, e);
        if ((e->flags & TL_EL_FOCUSED) &&
            (in->focused < 0 ||
             ((e->flags & TL_EL_EDITABLE) && !(ui->el[in->focused].flags & TL_EL_EDITABLE))))
            in->focused = (int32_t)i;

        tl_rect v = {0, 0, 0, 0};
        if (e->flags & TL_EL_VISIBLE) {
            v = rect_intersect(e->bounds, &screen);
            if (clip_owner >= 0)
                v = rect_intersect(v, &ui->el[clip_owner].visible);
            if (kb && v.bottom > in->keyboard.top)
                v.bottom = in->keyboard.top;
            if (rect_empty(&v))
                v = (tl_rect){0, 0, 0, 0};
        }
        e->visible = v;
        if (!rect_empty(&v)) {
            e->flags |= TL_EL_TAPPABLE;
            long x = (long)v.left + ((long)v.right - v.left) / 2 + dx;
            long y = (long)v.top + ((long)v.bottom - v.top) / 2 + dy;
            e->tap_x = (int32_t)(x < 0 ? 0 : x >= in->screen_w ? in->screen_w - 1 : x);
            e->tap_y = (int32_t)(y < 0 ? 0 : y >= in->screen_h ? in->screen_h - 1 : y);
        }

        bool has_label = e->text[0] || e->desc[0];
        if (absorber >= 0 && has_label && (e->flags & TL_EL_TAPPABLE) &&
            !(e->flags & TL_EL_ACTIONABLE))
            sc[3 * absorber + 2]++;
    }
    mask_focused_text(ui);

    /* Absorb texts into their owner's line unless the owner would collect too many (a
     * screen-sized clickable container must not swallow every label on the screen). */
    for (size_t i = 0; i < n; i++) {
        tl_element *e = &ui->el[i];
        int32_t owner = sc[3 * i + 1];
        if (owner < 0 || sc[3 * owner + 2] == 0 || sc[3 * owner + 2] > UI_MAX_ABSORBED)
            continue;
        if (!(e->text[0] || e->desc[0]) || !(e->flags & TL_EL_TAPPABLE) ||
            (e->flags & TL_EL_ACTIONABLE))
            continue;
        e->flags |= TL_EL_ABSORBED;
        e->label_owner = owner;
        /* Pre-order visits an owner's texts in order: append each at the tail of its list. */
        tl_element *o = &ui->el[owner];
        if (o->label_first < 0) {
            o->label_first = (int32_t)i;
        } else {
            int32_t t = o->label_first;
            while (ui->el[t].label_next >= 0)
                t = ui->el[t].label_next; /* at most UI_MAX_ABSORBED steps */
            ui->el[t].label_next = (int32_t)i;
        }
    }

    size_t want = n ? n : 1;
    if (want > ui->listed_cap) {
        int32_t *p = realloc(ui->listed, want * sizeof(*p));
        if (!p)
            return tl_error_set(err, TL_ENOMEM, "out of memory indexing %zu elements", n);
        ui->listed = p;
        ui->listed_cap = want;
    }
    for (size_t i = 0; i < n; i++) {
        tl_element *e = &ui->el[i];
        if (!(e->flags & TL_EL_TAPPABLE) || (e->flags & TL_EL_ABSORBED))
            continue;
        bool unknown = (e->flags & TL_EL_FLAGS_UNKNOWN) != 0;
        if ((!unknown && (e->flags & TL_EL_ACTIONABLE)) || e->text[0] || e->desc[0] ||
            e->label_first >= 0) {
            e->flags |= TL_EL_LISTED;
            ui->listed[ui->nlisted++] = (int32_t)i;
            e->index = (int32_t)ui->nlisted;
        }
    }
    return TL_OK;
}

/* ---- accessors ----------------------------------------------------------------------------- */

size_t tl_ui_count(const tl_ui *ui)
{
    return ui->n;
}

const tl_element *tl_ui_elements(const tl_ui *ui)
{
    return ui->el;
}

const tl_ui_info *tl_ui_get_info(const tl_ui *ui)
{
    return &ui->info;
}

size_t tl_ui_listed_count(const tl_ui *ui)
{
    return ui->nlisted;
}

const tl_element *tl_ui_by_index(const tl_ui *ui, long index)
{
    if (index < 1 || (size_t)index > ui->nlisted)
        return NULL;
    return &ui->el[ui->listed[index - 1]];
}

size_t tl_ui_pos(const tl_ui *ui, const tl_element *e)
{
    return (size_t)(e - ui->el);
}

const tl_element *tl_ui_element_at(const tl_ui *ui, long x, long y)
{
    const tl_element *best = NULL;
    long best_area = 0;
    for (size_t k = 0; k < ui->nlisted; k++) {
        const tl_element *e = &ui->el[ui->listed[k]];
        const tl_rect *v = &e->visible;
        if (x < v->left || x >= v->right || y < v->top || y >= v->bottom)
            continue;
        long area = (long)(v->right - v->left) * (v->bottom - v->top);
        if (!best || area <= best_area) {
            best = e;
            best_area = area;
        }
    }
    return best;
}

bool tl_ui_on_screen(const tl_ui *ui, long x, long y)
{
    return x >= 0 && y >= 0 && x < ui->info.screen_w && y < ui->info.screen_h;
}

const tl_element *tl_ui_scroll_parent(const tl_ui *ui, const tl_element *e)
{
    size_t pos = (size_t)(e - ui->el);
    int32_t p = ui->scratch[3 * pos]; /* set by ui_finish() */
    return p >= 0 ? &ui->el[p] : NULL;
}

size_t tl_ui_retained_bytes(const tl_ui *ui)
{
    return sizeof(*ui) + ui->cap * sizeof(tl_element) + ui->arena.reserved +
           ui->listed_cap * sizeof(int32_t) + ui->scratch_cap * sizeof(int32_t) +
           ui->intern_cap * sizeof(struct ui_intern_slot);
}

/* ---- listing ------------------------------------------------------------------------------- */

/* Append a quoted, escaped label part cut at UI_PART_MAX characters. */
static int put_part(tl_buf *out, const char *s)
{
    size_t len = strlen(s);
    size_t cut = len <= UI_PART_MAX ? len : tl_utf8_prefix(s, len, UI_PART_MAX);
    if (cut == len)
        return tl_json_str(out, s, len);
    if (tl_json_str(out, s, cut) != TL_OK)
        return TL_ENOMEM;
    out->len--; /* reopen the closing quote to add the ellipsis */
    return tl_buf_puts(out, "\xE2\x80\xA6\"");
}

struct line_flag {
    uint32_t bit;
    const char *word;
};

static const struct line_flag line_flags[] = {
    {TL_EL_CLICKABLE, " clickable"}, {TL_EL_LONG_CLICKABLE, " long-clickable"},
    {TL_EL_EDITABLE, " editable"},   {TL_EL_SCROLLABLE, " scrollable"},
    {TL_EL_FOCUSED, " focused"},     {TL_EL_SELECTED, " selected"},
    {TL_EL_PASSWORD, " password"},
};

void tl_ui_to_view(const tl_ui_view *v, long sx, long sy, long *vx, long *vy)
{
    /* floor((s + 0.5) * view / screen), in integers */
    *vx = (long)(((2 * (long long)sx + 1) * v->view_w) / (2 * (long long)v->screen_w));
    *vy = (long)(((2 * (long long)sy + 1) * v->view_h) / (2 * (long long)v->screen_h));
}

void tl_ui_from_view(const tl_ui_view *v, long vx, long vy, long *sx, long *sy)
{
    /* floor((v + 0.5) * screen / view), in integers */
    *sx = (long)(((2 * (long long)vx + 1) * v->screen_w) / (2 * (long long)v->view_w));
    *sy = (long)(((2 * (long long)vy + 1) * v->screen_h) / (2 * (long long)v->view_h));
}

int tl_ui_element_line(const tl_ui *ui, const tl_element *e, tl_buf *out)
{
    return tl_ui_element_line_view(ui, e, NULL, out);
}

/* "[N] Class" ("[-]" for an element that is not listed): how a line and a name begin. */
static int put_head(tl_buf *out, const tl_element *e)
{
    int rc = tl_buf_putc(out, '[');
    if (e->index > 0)
        rc |= tl_buf_put_int(out, e->index);
    else
        rc |= tl_buf_putc(out, '-');
    rc |= tl_buf_puts(out, "] ");
    rc |= tl_buf_puts(out, e->cls[0] ? tl_ui_short_class(e->cls) : "View");
    return rc;
}

int tl_ui_element_line_view(const tl_ui *ui, const tl_element *e, const tl_ui_view *v, tl_buf *out)
{
    int rc = put_head(out, e);

    const char *parts[2 + UI_MAX_ABSORBED];
    size_t np = 0;
    if (e->text[0])
        parts[np++] = e->text;
    if (e->desc[0] && strcmp(e->desc, e->text) != 0)
        parts[np++] = e->desc;
    for (int32_t j = e->label_first; j >= 0 && np < sizeof(parts) / sizeof(parts[0]);
         j = ui->el[j].label_next) {
        const tl_element *a = &ui->el[j];
        const char *t = a->text[0] ? a->text : a->desc;
        bool dup = false;
        for (size_t k = 0; k < np && !dup; k++)
            dup = strcmp(parts[k], t) == 0;
        if (!dup)
            parts[np++] = t;
    }
    for (size_t k = 0; k < np; k++) {
        rc |= tl_buf_putc(out, ' ');
        rc |= put_part(out, parts[k]);
    }
    if (e->hint[0] && (e->flags & TL_EL_EDITABLE) && strcmp(e->hint, e->text) != 0) {
        rc |= tl_buf_puts(out, " hint=");
        rc |= put_part(out, e->hint);
    }
    if (np == 0 && e->id[0]) {
        rc |= tl_buf_puts(out, " id=");
        rc |= tl_buf_puts(out, short_id(e->id));
    }
    if (!(e->flags & TL_EL_FLAGS_UNKNOWN)) {
        if (e->flags & TL_EL_CHECKABLE)
            rc |= tl_buf_puts(out, (e->flags & TL_EL_CHECKED) ? " checked=true" : " checked=false");
        for (size_t k = 0; k < sizeof(line_flags) / sizeof(line_flags[0]); k++)
            if (e->flags & line_flags[k].bit)
                rc |= tl_buf_puts(out, line_flags[k].word);
        if (!(e->flags & TL_EL_ENABLED))
            rc |= tl_buf_puts(out, " disabled");
    }
    if (e->flags & TL_EL_TAPPABLE) {
        long x = e->tap_x, y = e->tap_y;
        if (v)
            tl_ui_to_view(v, x, y, &x, &y);
        rc |= tl_buf_puts(out, " (");
        rc |= tl_buf_put_int(out, x);
        rc |= tl_buf_putc(out, ',');
        rc |= tl_buf_put_int(out, y);
        rc |= tl_buf_putc(out, ')');
    } else {
        rc |= tl_buf_puts(out, " (off-screen)");
    }
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ui_element_name(const tl_ui *ui, const tl_element *e, tl_buf *out)
{
    int rc = put_head(out, e);
    const char *label = e->text[0]   ? e->text
                        : e->desc[0] ? e->desc
                        : e->label_first >= 0
                            ? (ui->el[e->label_first].text[0] ? ui->el[e->label_first].text
                                                              : ui->el[e->label_first].desc)
                            : "";
    if (label[0]) {
        rc |= tl_buf_putc(out, ' ');
        rc |= put_part(out, label);
    } else if (e->hint[0] && (e->flags & TL_EL_EDITABLE)) {
        rc |= tl_buf_puts(out, " hint=");
        rc |= put_part(out, e->hint);
    } else if (e->id[0]) {
        rc |= tl_buf_puts(out, " id=");
        rc |= tl_buf_puts(out, short_id(e->id));
    }
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ui_listing(const tl_ui *ui, tl_buf *out)
{
    return tl_ui_listing_view(ui, NULL, out);
}

int tl_ui_listing_view(const tl_ui *ui, const tl_ui_view *v, tl_buf *out)
{
    for (size_t k = 0; k < ui->nlisted; k++) {
        if (tl_ui_element_line_view(ui, &ui->el[ui->listed[k]], v, out) != TL_OK ||
            tl_buf_putc(out, '\n') != TL_OK)
            return TL_ENOMEM;
    }
    return TL_OK;
}

static const char *format_name(tl_ui_format f)
{
    switch (f) {
    case TL_UI_FORMAT_PORTAL: return "ui-state";
    case TL_UI_FORMAT_PORTAL_LEGACY: return "portal-legacy";
    case TL_UI_FORMAT_UIAUTOMATOR: return "uiautomator";
    default: return "none";
    }
}

int tl_ui_summary(const tl_ui *ui, tl_buf *out)
{
    const tl_ui_info *in = &ui->info;
    int rc = TL_OK;
    if (in->app[0] && in->package[0])
        rc |= tl_buf_printf(out, "%s (%s)", in->app, in->package);
    else if (in->package[0] || in->app[0])
        rc |= tl_buf_puts(out, in->package[0] ? in->package : in->app);
    else
        rc |= tl_buf_puts(out, "unknown app");
    rc |= tl_buf_printf(out, ", screen %dx%d", in->screen_w, in->screen_h);
    if (in->rotation)
        rc |= tl_buf_printf(out, " rotation %d", in->rotation);
    rc |= tl_buf_printf(out, ", %zu elements, %zu listed", ui->n, ui->nlisted);
    if (in->keyboard_visible)
        rc |= tl_buf_puts(out, ", keyboard shown");
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static const struct line_flag json_flags[] = {
    {TL_EL_CLICKABLE, "clickable"},
    {TL_EL_LONG_CLICKABLE, "long_clickable"},
    {TL_EL_EDITABLE, "editable"},
    {TL_EL_SCROLLABLE, "scrollable"},
    {TL_EL_CHECKABLE, "checkable"},
    {TL_EL_CHECKED, "checked"},
    {TL_EL_ENABLED, "enabled"},
    {TL_EL_FOCUSABLE, "focusable"},
    {TL_EL_FOCUSED, "focused"},
    {TL_EL_SELECTED, "selected"},
    {TL_EL_PASSWORD, "password"},
    {TL_EL_VISIBLE, "visible"},
    {TL_EL_TAPPABLE, "tappable"},
    {TL_EL_ABSORBED, "absorbed"},
    {TL_EL_FLAGS_UNKNOWN, "flags_unknown"},
};

static int put_rect(tl_buf *out, const tl_rect *r)
{
    return tl_buf_printf(out, "[%d,%d,%d,%d]", r->left, r->top, r->right, r->bottom);
}

static int put_element_json(const tl_ui *ui, const tl_element *e, tl_buf *out)
{
    int rc = TL_OK;
    rc |= tl_buf_printf(out, "{\"pos\":%zu,\"index\":", tl_ui_pos(ui, e));
    if (e->index > 0)
        rc |= tl_buf_put_int(out, e->index);
    else
        rc |= tl_buf_puts(out, "null");
    rc |= tl_buf_printf(out, ",\"parent\":%d,\"depth\":%u,\"class\":", e->parent, e->depth);
    rc |= tl_json_cstr(out, e->cls);
    rc |= tl_buf_puts(out, ",\"package\":");
    rc |= tl_json_cstr(out, e->pkg);
    rc |= tl_buf_puts(out, ",\"text\":");
    rc |= tl_json_cstr(out, e->text);
    rc |= tl_buf_puts(out, ",\"desc\":");
    rc |= tl_json_cstr(out, e->desc);
    rc |= tl_buf_puts(out, ",\"resource_id\":");
    rc |= tl_json_cstr(out, e->id);
    rc |= tl_buf_puts(out, ",\"hint\":");
    rc |= tl_json_cstr(out, e->hint);
    rc |= tl_buf_puts(out, ",\"bounds\":");
    rc |= put_rect(out, &e->bounds);
    rc |= tl_buf_puts(out, ",\"visible\":");
    rc |= put_rect(out, &e->visible);
    if (e->flags & TL_EL_TAPPABLE)
        rc |= tl_buf_printf(out, ",\"tap\":[%d,%d]", e->tap_x, e->tap_y);
    else
        rc |= tl_buf_puts(out, ",\"tap\":null");
    if (e->flags & TL_EL_ABSORBED)
        rc |= tl_buf_printf(out, ",\"label_of\":%d", e->label_owner);
    rc |= tl_buf_puts(out, ",\"flags\":[");
    bool first = true;
    for (size_t k = 0; k < sizeof(json_flags) / sizeof(json_flags[0]); k++) {
        if (!(e->flags & json_flags[k].bit))
            continue;
        rc |= tl_buf_printf(out, "%s\"%s\"", first ? "" : ",", json_flags[k].word);
        first = false;
    }
    rc |= tl_buf_puts(out, "]}");
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ui_to_json(const tl_ui *ui, tl_buf *out)
{
    const tl_ui_info *in = &ui->info;
    int rc = TL_OK;
    rc |= tl_buf_printf(out,
                        "{\"format\":\"%s\",\"screen\":{\"width\":%d,\"height\":%d,"
                        "\"rotation\":%d,\"density\":",
                        format_name(in->format), in->screen_w, in->screen_h, in->rotation);
    rc |= tl_json_double(out, in->density);
    rc |= tl_buf_printf(out, ",\"overlay_offset\":%d},\"package\":", in->overlay_offset);
    rc |= tl_json_cstr(out, in->package);
    rc |= tl_buf_puts(out, ",\"app\":");
    rc |= tl_json_cstr(out, in->app);
    rc |= tl_buf_puts(out, ",\"activity\":");
    rc |= tl_json_cstr(out, in->activity);
    rc |= tl_buf_puts(out, ",\"keyboard_visible\":");
    rc |= tl_json_bool(out, in->keyboard_visible);
    rc |= tl_buf_puts(out, ",\"focused\":");
    if (in->focused >= 0)
        rc |= tl_buf_put_int(out, in->focused);
    else
        rc |= tl_buf_puts(out, "null");
    rc |= tl_buf_puts(out, ",\"focused_text\":");
    rc |= tl_json_cstr(out, in->focused_text);
    rc |= tl_buf_printf(out, ",\"count\":%zu,\"listed\":%zu,\"listing\":", ui->n, ui->nlisted);
    if (rc)
        return TL_ENOMEM;
    tl_buf lines;
    tl_buf_init(&lines, out->max);
    rc = tl_ui_listing(ui, &lines);
    if (rc == TL_OK)
        rc = tl_json_str(out, lines.data ? lines.data : "", lines.len);
    tl_buf_dispose(&lines);
    rc |= tl_buf_puts(out, ",\"elements\":[");
    for (size_t i = 0; i < ui->n && rc == TL_OK; i++) {
        if (i)
            rc |= tl_buf_putc(out, ',');
        rc |= put_element_json(ui, &ui->el[i], out);
    }
    rc |= tl_buf_puts(out, "]}");
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- entry point --------------------------------------------------------------------------- */

int tl_ui_parse(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts, tl_error *err)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len) {
        ui_fail(ui);
        return tl_error_set(err, TL_EPARSE, "the UI tree is empty");
    }
    if (data[i] == '<')
        return tl_ui_parse_xml(ui, data, len, opts, err);
    if (data[i] == '{' || data[i] == '[')
        return tl_ui_parse_json(ui, data, len, opts, err);
    ui_fail(ui);
    return tl_error_set(err, TL_EPARSE,
                        "not a UI tree: expected ui-state JSON ('{' or '[') or uiautomator XML "
                        "('<') at byte %zu",
                        i);
}
