/*
 * exec.h - checking an action against the current screen and carrying it out on a device.
 *
 * This is where the action model (planner/action.h) meets the element index (agent/ui.h) and a
 * driver (drivers/driver.h): an index becomes the element's tap point, a scroll becomes a swipe
 * inside the element, or inside its nearest scrollable ancestor when the element itself does
 * not scroll (or the screen's main scrolling area without an index), `type` with an index taps
 * the field first. An action that names an index not in the listing, a point off the screen,
 * an element without a visible area, or for a scroll an element neither scrollable nor inside
 * a scrollable one, is rejected before anything is sent to the device.
 */
#ifndef TL_EXEC_H
#define TL_EXEC_H

#include <stdbool.h>

#include "agent/ui.h"
#include "drivers/driver.h"
#include "planner/action.h"

/** What an action resolved to on the screen. */
typedef struct tl_exec_result {
    bool has_point; /**< x, y are set (tap, long_press, type's tap, swipe start) */
    int x, y;
    bool has_end; /**< x2, y2 are set (swipe, scroll) */
    int x2, y2;
    int duration_ms;          /**< swipe / long press duration used */
    const tl_element *target; /**< the element acted on, borrowed from the tl_ui; may be NULL */
    bool secret;              /**< text went into a password field: never log or store it */
} tl_exec_result;

/**
 * Resolve and check `a` against `ui` (may be NULL for actions that need no screen: press_key,
 * start_app, stop_app, wait). Sends nothing.
 * @return TL_OK; TL_EREJECTED with a message fit to show to a model ("index 57 is not in the
 *         current listing ([1]..[23])", "point (2000,10) is outside the 1080x2400 screen");
 *         TL_EUSAGE for `done` (it ends a run, it is not performed).
 */
int tl_exec_resolve(const tl_ui *ui, const tl_action *a, tl_exec_result *res, tl_error *err);

/**
 * Resolve, then perform the action through the driver. `wait` sleeps here, checking `cancel`
 * (may be NULL) every 50 ms.
 * @return TL_OK, TL_EREJECTED (see tl_exec_resolve), or the driver's error.
 */
int tl_exec(tl_driver *drv, const tl_ui *ui, const tl_action *a, volatile sig_atomic_t *cancel,
            tl_exec_result *res, tl_error *err);

/**
 * The element an action acted on: the resolved target, else the listed element under its point
 * (taps and presses). Borrowed from ui; NULL if none.
 */
const tl_element *tl_exec_element(const tl_ui *ui, const tl_action *a, const tl_exec_result *res);

/**
 * Append how a resolved action reads, with the element it acted on as its listing line:
 * `tap [17] LinearLayout "Display" ... (540,1612)`, `tap (540,924) on [8] Switch ...`,
 * `type "..." into [3] EditText ...`, `scroll down in [2] RecyclerView ...: swipe (..)->(..)`.
 * Text typed into a password field (res->secret) is shown masked. `ui` may be NULL.
 */
int tl_exec_describe(const tl_ui *ui, const tl_action *a, const tl_exec_result *res, tl_buf *out);

/** tl_exec_describe() with element lines and swipe points in view pixels (--vision: the
 *  action `a` itself is then in view pixels too). `view` NULL: screen pixels. */
int tl_exec_describe_view(const tl_ui *ui, const tl_action *a, const tl_exec_result *res,
                          const tl_ui_view *view, tl_buf *out);

/** true if the action needs the current screen to be resolved (an index, a point to check,
 *  a scroll area, or a password check for `type`). */
bool tl_exec_needs_screen(const tl_action *a);

#endif
