/*
 * render.h - the sim phone's screen renderer: a display list of widgets in, a real PNG out.
 *
 * The sim phone lays its current screen out into a list of drawing items (rectangles in screen
 * pixels with a widget kind, a label and a few states) and this module paints them onto an RGB
 * canvas of the phone's size, in list order (later items on top), then encodes the canvas as
 * PNG with libpng. Labels are drawn with stb_easy_font, scaled to the item's text size;
 * characters outside printable ASCII are drawn as '?'.
 *
 * Pure function of its input: no global state, safe from many threads at once.
 */
#ifndef TL_SIM_RENDER_H
#define TL_SIM_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"
#include "core/buf.h"
#include "core/status.h"

/** What an item looks like. */
typedef enum sim_draw_kind {
    SIM_DRAW_FILL,     /**< a filled rectangle in `color` (backgrounds, bars, dividers) */
    SIM_DRAW_TEXT,     /**< a label, left-aligned and vertically centred in the rect */
    SIM_DRAW_TITLE,    /**< a bold, larger label (app bar title) */
    SIM_DRAW_BUTTON,   /**< a rounded, filled button with its label centred */
    SIM_DRAW_INPUT,    /**< a text field: underline, the text or (dimmed) the hint */
    SIM_DRAW_SWITCH,   /**< a label on the left and a switch track+knob on the right */
    SIM_DRAW_CHECKBOX, /**< a box (ticked when checked) on the left, the label after it */
    SIM_DRAW_ICON,     /**< a launcher icon: a rounded square with the label's initial, the
                            label centred under it */
    SIM_DRAW_NAV_BACK, /**< navigation-bar glyphs: back triangle, home circle, recents square */
    SIM_DRAW_NAV_HOME,
    SIM_DRAW_NAV_RECENT,
    SIM_DRAW_UP_ARROW, /**< the app bar's "navigate up" arrow */
} sim_draw_kind;

/** Item states. */
enum sim_draw_flags {
    SIM_DRAW_CHECKED = 1u << 0,   /**< switch on / checkbox ticked */
    SIM_DRAW_FOCUSED = 1u << 1,   /**< input with focus: accent underline and a caret */
    SIM_DRAW_DISABLED = 1u << 2,  /**< dimmed */
    SIM_DRAW_PASSWORD = 1u << 3,  /**< input text drawn as one '*' per character */
    SIM_DRAW_SECONDARY = 1u << 4, /**< TEXT in the secondary (dimmer, smaller) style */
};

/** One thing to draw. Strings are borrowed for the duration of the render call. */
typedef struct sim_draw {
    sim_draw_kind kind;
    tl_rect r;        /**< where, in screen pixels; may extend beyond the canvas (clipped) */
    const char *text; /**< label / field text; NULL or "" for none */
    const char *hint; /**< INPUT: shown dimmed when text is empty; may be NULL */
    uint32_t color;   /**< FILL: 0xRRGGBB; other kinds: 0 means the theme's default */
    uint32_t flags;   /**< SIM_DRAW_* */
    int text_px;      /**< cap height of labels in pixels; 0 means the default (28) */
} sim_draw;

/** A whole frame. */
typedef struct sim_frame {
    int width, height; /**< canvas size in pixels, 1..8192 each */
    bool dark;         /**< dark theme palette */
    tl_rect clip;      /**< items are clipped to this rect (the scrolling viewport) ... */
    size_t clip_from;  /**< ... from this item index on, up to clip_to (exclusive) */
    size_t clip_to;
    const sim_draw *items;
    size_t n;
} sim_frame;

/**
 * Render a frame and append the PNG bytes to out (which must be initialised).
 * @return TL_OK; TL_EUSAGE for a bad canvas size; TL_ENOMEM.
 */
int sim_render_png(const sim_frame *frame, tl_buf *out, tl_error *err);

#endif
