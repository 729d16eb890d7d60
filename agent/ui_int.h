/*
 * ui_int.h - private to the element index (agent/ui*.c, agent/selector.c): the tl_ui struct and
 * the builder the JSON and XML parsers share. Never included from another module.
 */
#ifndef TL_UI_INT_H
#define TL_UI_INT_H

#include <string.h>

#include "agent/ui.h"
#include "core/arena.h"

/* One slot of the string interning table (class, package and resource id names repeat). */
struct ui_intern_slot {
    const char *str; /* arena string, NULL for an empty slot */
    uint32_t hash;
    uint32_t len;
};

struct tl_ui {
    tl_element *el; /* owned; `n` used of `cap` */
    size_t n, cap;
    tl_arena arena; /* strings and phone-state text */
    tl_ui_info info;

    int32_t *listed; /* owned; listed[k] = position of the element with index k+1 */
    size_t nlisted, listed_cap;

    int32_t *scratch; /* owned; per-element scratch used by the post-pass; after it,
                       * scratch[3i] stays the nearest scrollable ancestor of element i
                       * (tl_ui_scroll_parent) until the next parse */
    size_t scratch_cap;

    struct ui_intern_slot *intern; /* owned; open addressing, intern_cap is a power of 2 */
    size_t intern_cap, intern_used;

    /* Parse-time facts that only the post-pass consumes. */
    const char *focused_class;
    const char *focused_id;
    bool focused_password; /* phone_state.focusedElement.isPassword (not in the reference) */
    bool have_screen_bounds;
    size_t max_nodes;
    uint32_t max_depth;
};

/* Reset the index to empty, keeping allocations, apply the limits of opts and reserve room for
 * the elements of an input of `len` bytes. @return TL_OK or TL_ENOMEM. */
int ui_begin(tl_ui *ui, const tl_ui_options *opts, tl_ui_format format, size_t len);

/*
 * Append an element under `parent` (-1 for a root) after `prev` (the parent's last child so
 * far, or the previous root; -1 if none). Defaults: empty strings and bounds, flags
 * ENABLED|VISIBLE. @return its position, or -1 when out of memory or over max_nodes (err set).
 */
int32_t ui_add(tl_ui *ui, int32_t parent, int32_t prev, uint32_t depth, tl_error *err);

/* Close an element: its subtree ends at the current element count. */
static inline void ui_close(tl_ui *ui, int32_t pos)
{
    ui->el[pos].end = (int32_t)ui->n;
}

/* Copy a string into the arena ("" for n == 0). @return NULL when out of memory. */
const char *ui_str(tl_ui *ui, const char *s, size_t n);

/* Intern a string (same bytes give the same pointer). @return NULL when out of memory. */
const char *ui_intern(tl_ui *ui, const char *s, size_t n);

/*
 * Finish a parse: screen size, visible rectangles, tap points, password masking, label
 * absorption and the listing. @return TL_OK or TL_ENOMEM.
 */
int ui_finish(tl_ui *ui, const tl_ui_options *opts, tl_error *err);

/* Empty the index after a failed parse. */
void ui_fail(tl_ui *ui);

/* n bytes of a and b are equal. Inlined word-at-a-time compare for the short strings of a tree
 * (member names, class names), where a libc call costs more than the comparison. */
static inline bool ui_bytes_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8); /* the tail, overlapping what was already compared */
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v)
            return false;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Clamp a 64-bit value into int32. */
static inline int32_t ui_clamp32(long long v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

#endif
