/*
 * ui.h - the element index: one observed screen as a flat array of UI elements (SPEC §4).
 *
 * A tl_ui is parsed from the accessibility tree a device returns: Mobilerun / DroidRun Portal
 * `ui-state` JSON (current full-tree shape and the older Portal shapes) or `uiautomator dump`
 * XML. Elements are stored in one contiguous array in document pre-order, with parent, first
 * child and next sibling links by position, and the descendants of element i are exactly the
 * elements i+1 .. end-1. Strings live in an arena owned by the tl_ui.
 *
 * After parsing, every element carries derived data: its visible rectangle (bounds clipped to
 * the screen, to scroll containers and to the on-screen keyboard), its tap point (the centre of
 * the visible rectangle), and whether it appears in the prompt listing, with its listing index
 * [N] (1-based, in pre-order). Password text never enters the index: it is replaced by "•••".
 *
 * Thread safety: a tl_ui is used by one thread at a time; distinct tl_ui objects are independent.
 * Parsing is iterative (no recursion on input depth) and linear in the input size.
 */
#ifndef TL_UI_H
#define TL_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/geom.h"
#include "core/status.h"

/** Nesting deeper than this is refused unless tl_ui_options.max_depth says otherwise. */
#define TL_UI_DEFAULT_MAX_DEPTH 512
/** More elements than this are refused unless tl_ui_options.max_nodes says otherwise. */
#define TL_UI_DEFAULT_MAX_NODES 1000000
/** The text shown in place of a password field's content. */
#define TL_UI_MASK              "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"

/** Element flags: the first group comes from the tree, the second is derived by the index. */
enum tl_element_flag {
    TL_EL_CLICKABLE = 1u << 0,
    TL_EL_LONG_CLICKABLE = 1u << 1,
    TL_EL_EDITABLE = 1u << 2,
    TL_EL_SCROLLABLE = 1u << 3,
    TL_EL_CHECKABLE = 1u << 4,
    TL_EL_CHECKED = 1u << 5,
    TL_EL_ENABLED = 1u << 6,
    TL_EL_FOCUSED = 1u << 7,
    TL_EL_SELECTED = 1u << 8,
    TL_EL_PASSWORD = 1u << 9,
    TL_EL_FOCUSABLE = 1u << 10,
    TL_EL_VISIBLE = 1u << 11, /**< visible to the user per the tree (true unless it says not) */

    TL_EL_TAPPABLE = 1u << 16,      /**< non-empty visible area: tap_x/tap_y are valid */
    TL_EL_LISTED = 1u << 17,        /**< has a line (and an index) in the prompt listing */
    TL_EL_ABSORBED = 1u << 18,      /**< its text is shown on the line of label_owner */
    TL_EL_FLAGS_UNKNOWN = 1u << 19, /**< legacy tree without state flags for this node */
};

/** Flags that make an element worth acting on. */
#define TL_EL_ACTIONABLE \
    (TL_EL_CLICKABLE | TL_EL_LONG_CLICKABLE | TL_EL_EDITABLE | TL_EL_SCROLLABLE | TL_EL_CHECKABLE)

/**
 * One UI element. Plain data, borrowed from its tl_ui: valid until the tl_ui is parsed again or
 * freed. String members are never NULL ("" when absent) and are valid UTF-8.
 */
typedef struct tl_element {
    tl_rect bounds;       /**< bounds as reported, screen pixels */
    tl_rect visible;      /**< bounds clipped to screen, scroll containers, keyboard */
    int32_t tap_x, tap_y; /**< centre of `visible`; meaningful when TL_EL_TAPPABLE */
    int32_t parent;       /**< position of the parent, -1 for a root */
    int32_t first_child;  /**< position of the first child, -1 if none */
    int32_t next_sibling; /**< position of the next sibling, -1 if none */
    int32_t end;          /**< one past the last descendant (pre-order subtree range) */
    int32_t index;        /**< listing index [N], 1-based; 0 when not listed */
    int32_t label_owner;  /**< TL_EL_ABSORBED: position of the element showing this text */
    int32_t label_first;  /**< first absorbed element shown on this line, -1 if none */
    int32_t label_next;   /**< next absorbed element of the same owner, -1 at the end */
    uint32_t flags;       /**< TL_EL_* */
    uint32_t depth;       /**< 0 for roots */
    const char *cls;      /**< class name as reported (e.g. android.widget.Switch) */
    const char *pkg;      /**< package name */
    const char *text;     /**< text; TL_UI_MASK for a non-empty password field */
    const char *desc;     /**< content description */
    const char *id;       /**< resource id (pkg:id/name) */
    const char *hint;     /**< hint text of an input field */
} tl_element;

/** Which shape the tree came in. */
typedef enum tl_ui_format {
    TL_UI_FORMAT_NONE = 0,
    TL_UI_FORMAT_PORTAL,        /**< Mobilerun ui-state / Portal full tree (boundsInScreen, is*) */
    TL_UI_FORMAT_PORTAL_LEGACY, /**< older Portal shapes ("bounds" strings, no state flags) */
    TL_UI_FORMAT_UIAUTOMATOR,   /**< uiautomator dump XML */
} tl_ui_format;

/** Screen and phone state that came with the tree. Borrowed from the tl_ui. */
typedef struct tl_ui_info {
    tl_ui_format format;
    int32_t screen_w, screen_h; /**< the screen in the current rotation (tap coordinate space) */
    int rotation;               /**< quarter turns from natural orientation, 0-3 */
    int32_t overlay_offset;     /**< Portal filtering_params.overlay_offset (recorded only) */
    double density;             /**< display density, 0 if unknown */
    bool keyboard_visible;      /**< phone_state.keyboardVisible */
    bool editable_focused;      /**< phone_state.isEditable */
    tl_rect keyboard;           /**< on-screen keyboard area when known, else empty */
    int32_t focused;            /**< position of the focused element, -1 if none */
    const char *package;        /**< foreground package ("" if unknown) */
    const char *app;            /**< foreground app's name ("" if unknown) */
    const char *activity;       /**< foreground activity ("" if unknown) */
    const char *focused_text;   /**< phone_state.focusedElement.text, masked for passwords */
} tl_ui_info;

/** Parse options. Zero-initialise, then set what is known. */
typedef struct tl_ui_options {
    int32_t display_w, display_h; /**< natural-orientation display size if the driver knows it */
    int32_t tap_dx, tap_dy;       /**< added to every tap point (devices whose input space is
                                       offset from the tree's; see docs/element-index.md) */
    bool tap_overlay;             /**< also add the tree's overlay_offset to every tap point's y
                                       (TAPLOOP_TAP_OFFSET=overlay; see docs/element-index.md) */
    uint32_t max_depth;           /**< 0: TL_UI_DEFAULT_MAX_DEPTH */
    size_t max_nodes;             /**< 0: TL_UI_DEFAULT_MAX_NODES */
} tl_ui_options;

typedef struct tl_ui tl_ui;

/** A new, empty index. Caller frees with tl_ui_free(). @return NULL when out of memory. */
tl_ui *tl_ui_new(void);

/** Free an index and everything borrowed from it. NULL is accepted. */
void tl_ui_free(tl_ui *ui);

/**
 * Parse a tree, replacing the current content (memory is reused between parses). The format is
 * detected from the first non-blank byte: '<' is uiautomator XML, '{' or '[' is JSON.
 * `data` is only read during the call; nothing points into it afterwards.
 * @param opts may be NULL for defaults.
 * @return TL_OK; TL_EPARSE for invalid or truncated input, nesting deeper than max_depth or
 *         more than max_nodes elements, with the byte offset (JSON) or line and column (XML)
 *         in err; TL_ENOMEM. On error the index is empty.
 */
int tl_ui_parse(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts, tl_error *err);

/** Parse JSON only (see tl_ui_parse). */
int tl_ui_parse_json(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts,
                     tl_error *err);

/** Parse uiautomator XML only (see tl_ui_parse). */
int tl_ui_parse_xml(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts,
                    tl_error *err);

/** Number of elements. */
size_t tl_ui_count(const tl_ui *ui);

/** The element array (tl_ui_count() elements, pre-order). Borrowed. */
const tl_element *tl_ui_elements(const tl_ui *ui);

/** Screen and phone state. Borrowed. */
const tl_ui_info *tl_ui_get_info(const tl_ui *ui);

/** Number of listed elements (the highest listing index). */
size_t tl_ui_listed_count(const tl_ui *ui);

/** The element with listing index `index` (1-based), or NULL if there is none. Borrowed. */
const tl_element *tl_ui_by_index(const tl_ui *ui, long index);

/** Position of an element of this index in the element array. */
size_t tl_ui_pos(const tl_ui *ui, const tl_element *e);

/**
 * Append the prompt listing: one line per listed element, in listing order, each
 * `[N] Class "label"... flags (x,y)\n` (format in docs/element-index.md). Deterministic.
 * @return TL_OK or TL_ENOMEM.
 */
int tl_ui_listing(const tl_ui *ui, tl_buf *out);

/**
 * A view of the screen at another resolution: the downscaled screenshot the model sees with
 * --vision. Each view pixel maps to the screen pixel under its centre and back, so a point
 * the model reads off the image lands on what it showed: for a view no larger than the
 * screen, view -> screen -> view gives the same point.
 */
typedef struct tl_ui_view {
    int32_t screen_w, screen_h; /**< screen pixels (tl_ui_info.screen_w/h), > 0 */
    int32_t view_w, view_h;     /**< view pixels, > 0 */
} tl_ui_view;

/** Screen point -> the view pixel whose area holds the screen pixel's centre. */
void tl_ui_to_view(const tl_ui_view *v, long sx, long sy, long *vx, long *vy);

/** View point -> the screen pixel under the view pixel's centre. */
void tl_ui_from_view(const tl_ui_view *v, long vx, long vy, long *sx, long *sy);

/** tl_ui_listing() with tap points in view pixels (v NULL: screen pixels). */
int tl_ui_listing_view(const tl_ui *ui, const tl_ui_view *v, tl_buf *out);

/** tl_ui_element_line() with the tap point in view pixels (v NULL: screen pixels). */
int tl_ui_element_line_view(const tl_ui *ui, const tl_element *e, const tl_ui_view *v, tl_buf *out);

/** Append the listing line of one element (without the newline); unlisted elements get "[-]". */
int tl_ui_element_line(const tl_ui *ui, const tl_element *e, tl_buf *out);

/** Append a one-line summary: app, package, screen size and element counts. */
int tl_ui_summary(const tl_ui *ui, tl_buf *out);

/** Append the whole index as one JSON object (format in docs/element-index.md). */
int tl_ui_to_json(const tl_ui *ui, tl_buf *out);

/** Bytes of memory the index holds (elements, strings, tables), for benchmarks. */
size_t tl_ui_retained_bytes(const tl_ui *ui);

/** The short form of a class name: the part after the last '.'. Borrowed from `cls`. */
const char *tl_ui_short_class(const char *cls);

/**
 * The listed element a tap at (x, y) would land on: the one with the smallest visible area
 * containing the point (the most specific), or NULL. Borrowed.
 */
const tl_element *tl_ui_element_at(const tl_ui *ui, long x, long y);

/**
 * The nearest scrollable ancestor of `e` (the scroll container that clips it), or NULL if it is
 * in none. Constant time: the index records it while parsing. Borrowed.
 */
const tl_element *tl_ui_scroll_parent(const tl_ui *ui, const tl_element *e);

/** Append an element's short name for messages: `[N] Class "first label"` ("[-]" when it
 *  is not listed; without a label, its hint or id as in its listing line).
 *  @return TL_OK or TL_ENOMEM. */
int tl_ui_element_name(const tl_ui *ui, const tl_element *e, tl_buf *out);

/** 1 if point (x, y) is on the screen of this index. */
bool tl_ui_on_screen(const tl_ui *ui, long x, long y);

#endif
