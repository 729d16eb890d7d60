/*
 * exec.c - resolving actions on the element index and performing them (see exec.h).
 */
#include "agent/exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

/* A scroll swipes across this share of the area, from 75% to 25% of its extent. */
#define SCROLL_FROM 75
#define SCROLL_TO   25
#define SCROLL_MS   400

bool tl_exec_needs_screen(const tl_action *a)
{
    switch (a->type) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS:
    case TL_ACT_SWIPE:
    case TL_ACT_SCROLL:
    case TL_ACT_TYPE: return true;
    default: return false;
    }
}

static int reject(tl_error *err, const char *fmt, ...) TL_PRINTF(2, 3);

static int reject(tl_error *err, const char *fmt, ...)
{
    char msg[TL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tl_error_set(err, TL_EREJECTED, "%s", msg);
}

static int by_index(const tl_ui *ui, long index, const tl_element **out, tl_error *err)
{
    const tl_element *e = tl_ui_by_index(ui, index);
    size_t n = tl_ui_listed_count(ui);
    if (!e) {
        if (n == 0)
            return reject(err,
                          "index %ld is not in the current listing (the screen lists no "
                          "elements)",
                          index);
        return reject(err, "index %ld is not in the current listing ([1]..[%zu])", index, n);
    }
    if (!(e->flags & TL_EL_TAPPABLE))
        return reject(err, "element [%ld] has no visible area to act on", index);
    *out = e;
    return TL_OK;
}

static int on_screen(const tl_ui *ui, const char *what, long x, long y, tl_error *err)
{
    const tl_ui_info *in = tl_ui_get_info(ui);
    if (!tl_ui_on_screen(ui, x, y))
        return reject(err, "%s (%ld,%ld) is outside the %dx%d screen", what, x, y, in->screen_w,
                      in->screen_h);
    return TL_OK;
}

/* The area a scroll without an index moves: the largest visible scrollable element, else the
 * middle of the screen (clear of status and navigation bars). */
static tl_rect scroll_area(const tl_ui *ui, const tl_element **target)
{
    const tl_element *el = tl_ui_elements(ui);
    const tl_element *best = NULL;
    long best_area = 0;
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        const tl_element *e = &el[i];
        if (!(e->flags & TL_EL_SCROLLABLE) || !(e->flags & TL_EL_TAPPABLE))
            continue;
        long area =
            (long)(e->visible.right - e->visible.left) * (e->visible.bottom - e->visible.top);
        if (area > best_area) {
            best = e;
            best_area = area;
        }
    }
    *target = best;
    if (best)
        return best->visible;
    const tl_ui_info *in = tl_ui_get_info(ui);
    return (tl_rect){0, in->screen_h / 10, in->screen_w, in->screen_h - in->screen_h / 10};
}

/* The element a scroll with an index moves: the indexed element if it scrolls, else its
 * nearest scrollable ancestor (the list a row's text is in). An element of a tree without
 * state flags may scroll for all we know: it is taken as it is. */
static int scroll_target(const tl_ui *ui, long index, const tl_element **out, tl_error *err)
{
    const tl_element *e = NULL;
    int rc = by_index(ui, index, &e, err);
    if (rc)
        return rc;
    const tl_element *p = tl_ui_scroll_parent(ui, e);
    if (!(e->flags & TL_EL_SCROLLABLE) && p)
        e = p; /* visible, as e is: e's visible area lies inside p's */
    else if (!(e->flags & (TL_EL_SCROLLABLE | TL_EL_FLAGS_UNKNOWN))) {
        tl_buf name;
        tl_buf_init(&name, 1 << 12);
        int nrc = tl_ui_element_name(ui, e, &name);
        rc = reject(err, "%s is not scrollable and is not inside a scrollable element",
                    nrc == TL_OK && name.data ? name.data : "the element");
        tl_buf_dispose(&name);
        return rc;
    }
    *out = e;
    return TL_OK;
}

static int resolve_scroll(const tl_ui *ui, const tl_action *a, tl_exec_result *res, tl_error *err)
{
    tl_rect r;
    if (a->has_index) {
        int rc = scroll_target(ui, a->index, &res->target, err);
        if (rc)
            return rc;
        r = res->target->visible;
    } else {
        r = scroll_area(ui, &res->target);
    }
    int w = r.right - r.left, h = r.bottom - r.top;
    int cx = r.left + w / 2, cy = r.top + h / 2;
    int from_y = r.top + h * SCROLL_FROM / 100, to_y = r.top + h * SCROLL_TO / 100;
    int from_x = r.left + w * SCROLL_FROM / 100, to_x = r.left + w * SCROLL_TO / 100;
    /* "down" reveals what is further down, so the finger moves up; "right" reveals what is
     * further right, so the finger moves left */
    bool vertical = a->direction == TL_DIR_DOWN || a->direction == TL_DIR_UP;
    bool forward = a->direction == TL_DIR_DOWN || a->direction == TL_DIR_RIGHT;
    if (vertical) {
        res->x = res->x2 = cx;
        res->y = forward ? from_y : to_y;
        res->y2 = forward ? to_y : from_y;
    } else {
        res->y = res->y2 = cy;
        res->x = forward ? from_x : to_x;
        res->x2 = forward ? to_x : from_x;
    }
    if (res->x == res->x2 && res->y == res->y2)
        return reject(err, "the area to scroll is too small");
    res->has_point = res->has_end = true;
    res->duration_ms = SCROLL_MS;
    return TL_OK;
}

int tl_exec_resolve(const tl_ui *ui, const tl_action *a, tl_exec_result *res, tl_error *err)
{
    memset(res, 0, sizeof(*res));
    /* checked into a local record: err may be NULL, and formatting err->msg into itself
     * would pass overlapping buffers to vsnprintf */
    tl_error why;
    tl_error_clear(&why);
    int rc = tl_action_check(a, &why);
    if (rc)
        return tl_error_set(err, TL_EREJECTED, "%s", why.msg);
    if (a->type == TL_ACT_DONE)
        return tl_error_set(err, TL_EUSAGE, "done ends a run; it is not performed on a device");
    if (!ui && tl_exec_needs_screen(a))
        return tl_error_set(err, TL_EUSAGE, "%s needs the current screen", tl_action_name(a->type));
    switch (a->type) {
    case TL_ACT_TAP:
    case TL_ACT_LONG_PRESS:
        if (a->has_index) {
            if ((rc = by_index(ui, a->index, &res->target, err)))
                return rc;
            res->x = res->target->tap_x;
            res->y = res->target->tap_y;
        } else {
            if ((rc = on_screen(ui, "point", a->x, a->y, err)))
                return rc;
            res->x = (int)a->x;
            res->y = (int)a->y;
        }
        res->has_point = true;
        res->duration_ms = a->type == TL_ACT_LONG_PRESS ? (int)a->duration_ms : 0;
        return TL_OK;
    case TL_ACT_SWIPE:
        if ((rc = on_screen(ui, "swipe start", a->x, a->y, err)) ||
            (rc = on_screen(ui, "swipe end", a->x2, a->y2, err)))
            return rc;
        res->x = (int)a->x;
        res->y = (int)a->y;
        res->x2 = (int)a->x2;
        res->y2 = (int)a->y2;
        res->has_point = res->has_end = true;
        res->duration_ms = (int)a->duration_ms;
        return TL_OK;
    case TL_ACT_SCROLL: return resolve_scroll(ui, a, res, err);
    case TL_ACT_TYPE: {
        const tl_ui_info *in = tl_ui_get_info(ui);
        if (a->has_index) {
            if ((rc = by_index(ui, a->index, &res->target, err)))
                return rc;
            res->x = res->target->tap_x;
            res->y = res->target->tap_y;
            res->has_point = true;
        } else if (in->focused >= 0) {
            res->target = &tl_ui_elements(ui)[in->focused];
        }
        res->secret = res->target && (res->target->flags & TL_EL_PASSWORD);
        return TL_OK;
    }
    default: return TL_OK;
    }
}

int tl_exec(tl_driver *drv, const tl_ui *ui, const tl_action *a, volatile sig_atomic_t *cancel,
            tl_exec_result *res, tl_error *err)
{
    int rc = tl_exec_resolve(ui, a, res, err);
    if (rc)
        return rc;
    switch (a->type) {
    case TL_ACT_TAP: return tl_driver_tap(drv, res->x, res->y, err);
    case TL_ACT_LONG_PRESS: return tl_driver_long_press(drv, res->x, res->y, res->duration_ms, err);
    case TL_ACT_SWIPE:
    case TL_ACT_SCROLL:
        return tl_driver_swipe(drv, res->x, res->y, res->x2, res->y2, res->duration_ms, err);
    case TL_ACT_TYPE:
        if (res->has_point && (rc = tl_driver_tap(drv, res->x, res->y, err)))
            return rc;
        return tl_driver_type(drv, a->text, a->clear, err);
    case TL_ACT_PRESS_KEY: return tl_driver_press_key(drv, a->key, err);
    case TL_ACT_START_APP: return tl_driver_start_app(drv, a->package, a->activity, err);
    case TL_ACT_STOP_APP: return tl_driver_stop_app(drv, a->package, err);
    case TL_ACT_WAIT:
        return tl_sleep_ms(a->ms, cancel) ? tl_error_set(err, TL_ECANCELED, "interrupted") : TL_OK;
    default:
        return tl_error_set(err, TL_EUSAGE, "%s is not performed on a device",
                            tl_action_name(a->type));
    }
}

const tl_element *tl_exec_element(const tl_ui *ui, const tl_action *a, const tl_exec_result *res)
{
    if (res->target || !ui)
        return res->target;
    if (res->has_point && a->type != TL_ACT_SWIPE && a->type != TL_ACT_SCROLL)
        return tl_ui_element_at(ui, res->x, res->y);
    return NULL;
}

int tl_exec_describe(const tl_ui *ui, const tl_action *a, const tl_exec_result *res, tl_buf *out)
{
    return tl_exec_describe_view(ui, a, res, NULL, out);
}

int tl_exec_describe_view(const tl_ui *ui, const tl_action *a, const tl_exec_result *res,
                          const tl_ui_view *view, tl_buf *out)
{
    tl_action shown = *a; /* shallow: only for printing */
    if (res->secret && shown.type == TL_ACT_TYPE)
        shown.text = (char *)TL_UI_MASK;
    const tl_element *e = tl_exec_element(ui, a, res);
    bool by_index = a->has_index && e && e->index == a->index;
    int rc = TL_OK;
    if (by_index && a->type != TL_ACT_SCROLL && a->type != TL_ACT_TYPE) {
        rc |= tl_buf_printf(out, "%s ", tl_action_name(a->type));
        rc |= tl_ui_element_line_view(ui, e, view, out);
        if (a->type == TL_ACT_LONG_PRESS)
            rc |= tl_buf_printf(out, " for %ldms", a->duration_ms);
        return rc ? TL_ENOMEM : TL_OK;
    }
    shown.has_index = shown.has_index && !by_index; /* the element line carries the index */
    rc |= tl_action_describe(&shown, out);
    if (e) {
        rc |= tl_buf_puts(out, a->type == TL_ACT_SCROLL ? " in "
                               : a->type == TL_ACT_TYPE ? " into "
                                                        : " on ");
        rc |= tl_ui_element_line_view(ui, e, view, out);
    } else if (a->type == TL_ACT_TYPE) {
        rc |= tl_buf_puts(out, " into the focused field");
    }
    if (res->has_end && a->type == TL_ACT_SCROLL) {
        long x = res->x, y = res->y, x2 = res->x2, y2 = res->y2;
        if (view) {
            tl_ui_to_view(view, x, y, &x, &y);
            tl_ui_to_view(view, x2, y2, &x2, &y2);
        }
        rc |= tl_buf_printf(out, ": swipe (%ld,%ld)->(%ld,%ld)", x, y, x2, y2);
    }
    return rc ? TL_ENOMEM : TL_OK;
}
