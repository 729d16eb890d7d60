/*
 * selector.h - finding elements of an index by what they say and what state they are in.
 *
 * A selector holds string matchers (text, desc, id, class, package) and state filters
 * (checked, enabled, selected, focused, clickable, editable, scrollable). A matcher written
 * `/pattern/` or `/pattern/i` is a PCRE2 regular expression searched in the field (anchor it with
 * ^ and $ to match the whole field); anything else must equal the field exactly. An exact `id`
 * without a ':' compares with the short resource id (after ":id/"), an exact `class` without a
 * '.' with the short class name; a regular expression on id or class is tried on the short form,
 * then on the full one. Every matcher and filter given must hold.
 *
 * Only elements with a visible area on screen are considered. When several match, the first in
 * reading order wins: the smallest top edge of the visible area, then the smallest left edge,
 * then document order.
 *
 * A selector is used by one thread at a time (it owns the PCRE2 match data).
 */
#ifndef TL_SELECTOR_H
#define TL_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/status.h"

typedef struct tl_selector tl_selector;

/** A new empty selector (matches every visible element). Caller frees with tl_selector_free().
 *  @return NULL when out of memory. */
tl_selector *tl_selector_new(void);

/** Free a selector. NULL is accepted. */
void tl_selector_free(tl_selector *s);

/**
 * Set one key: text, desc, id, class or package take a pattern; checked, enabled, selected,
 * focused, clickable, editable and scrollable take "true" or "false".
 * @return TL_OK; TL_EUSAGE for an unknown key, a bad boolean, a repeated key or a regular
 *         expression that does not compile (the message names the key and the PCRE2 error with
 *         its offset); TL_ENOMEM.
 */
int tl_selector_set(tl_selector *s, const char *key, const char *value, tl_error *err);

/** true if no key was set. */
bool tl_selector_empty(const tl_selector *s);

/** Append a readable form, e.g. `{text: "/^Dark/i", checked: true}`. */
int tl_selector_describe(const tl_selector *s, tl_buf *out);

/** true if element e satisfies the selector (visibility is not checked here). */
bool tl_selector_match(tl_selector *s, const tl_element *e);

/**
 * The first visible element in reading order that matches, or NULL. Borrowed from ui. When no
 * element matches on its own fields, a listing line's owner (a clickable row) also matches
 * text and desc through the labels shown on its line, so that {class: LinearLayout, text:
 * "About phone"} finds the row the listing shows as `LinearLayout "About phone"`.
 */
const tl_element *tl_ui_find(const tl_ui *ui, tl_selector *s);

/**
 * Up to `max` visible elements most similar to what the selector asks for, best first, for
 * error messages ("closest candidates"). @return how many were written to out.
 */
size_t tl_ui_closest(const tl_ui *ui, const tl_selector *s, const tl_element **out, size_t max);

/**
 * Append a message for a selector that matched nothing: the selector, then up to `max` closest
 * candidates, one listing line each.
 */
int tl_ui_describe_miss(const tl_ui *ui, const tl_selector *s, size_t max, tl_buf *out);

#endif
