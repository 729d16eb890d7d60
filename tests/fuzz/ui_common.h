/*
 * ui_common.h - the body shared by fuzz_ui_json and fuzz_ui_xml: parse the input with one of
 * the element index's parsers, then run the post-pass consumers (listing, views, JSON, summary,
 * hit testing) and check the documented invariants, aborting on any breach so that the fuzzer
 * reports it.
 */
#ifndef TL_FUZZ_UI_COMMON_H
#define TL_FUZZ_UI_COMMON_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/selector.h"
#include "agent/ui.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "fuzz.h"

/* Inputs above 1 MiB only slow the fuzzer down: the parsers are linear. */
#define FUZZ_UI_MAX_INPUT ((size_t)1 << 20)

typedef int (*fuzz_ui_parser)(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts,
                              tl_error *err);

static void fuzz_ui_fail(const char *what)
{
    fprintf(stderr, "fuzz_ui: invariant broken: %s\n", what);
    abort();
}

static void fuzz_ui_check_str(const char *s)
{
    if (!s)
        fuzz_ui_fail("NULL string member");
    if (!tl_utf8_valid(s, strlen(s)))
        fuzz_ui_fail("string member is not valid UTF-8");
}

static void fuzz_ui_check(const tl_ui *ui, int offset_taps)
{
    size_t n = tl_ui_count(ui);
    const tl_element *els = tl_ui_elements(ui);
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        const tl_element *e = &els[i];
        if (e->parent < -1 || e->parent >= (int32_t)i)
            fuzz_ui_fail("parent out of range");
        if (e->end <= (int32_t)i || e->end > (int32_t)n)
            fuzz_ui_fail("subtree end out of range");
        if (e->first_child != -1 && e->first_child != (int32_t)i + 1)
            fuzz_ui_fail("first child is not the next element");
        if (e->next_sibling != -1 && e->next_sibling != e->end)
            fuzz_ui_fail("next sibling is not the subtree end");
        fuzz_ui_check_str(e->cls);
        fuzz_ui_check_str(e->pkg);
        fuzz_ui_check_str(e->text);
        fuzz_ui_check_str(e->desc);
        fuzz_ui_check_str(e->id);
        fuzz_ui_check_str(e->hint);
        if (e->flags & TL_EL_LISTED) {
            listed++;
            if (tl_ui_by_index(ui, e->index) != e)
                fuzz_ui_fail("listing index does not find its element");
        }
        if (!offset_taps && (e->flags & TL_EL_TAPPABLE) &&
            (e->tap_x < e->visible.left || e->tap_x >= e->visible.right ||
             e->tap_y < e->visible.top || e->tap_y >= e->visible.bottom))
            fuzz_ui_fail("tap point outside the visible area");
    }
    if (listed != tl_ui_listed_count(ui))
        fuzz_ui_fail("listed count differs from the listed elements");
    const tl_ui_info *info = tl_ui_get_info(ui);
    fuzz_ui_check_str(info->package);
    fuzz_ui_check_str(info->app);
    fuzz_ui_check_str(info->activity);
    fuzz_ui_check_str(info->focused_text);
}

static void fuzz_ui_consume(const tl_ui *ui)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    if (tl_ui_listing(ui, &out) != TL_OK || !tl_utf8_valid(out.data, out.len))
        fuzz_ui_fail("listing failed or is not UTF-8");
    tl_buf_clear(&out);
    if (tl_ui_to_json(ui, &out) != TL_OK)
        fuzz_ui_fail("to_json failed");
    cJSON *j = cJSON_ParseWithLength(out.data, out.len);
    if (!j)
        fuzz_ui_fail("to_json output is not JSON");
    cJSON_Delete(j);
    tl_buf_clear(&out);
    if (tl_ui_summary(ui, &out) != TL_OK)
        fuzz_ui_fail("summary failed");
    const tl_ui_info *info = tl_ui_get_info(ui);
    if (info->screen_w > 0 && info->screen_h > 0) {
        tl_ui_view v = {info->screen_w, info->screen_h, 64, 96};
        tl_buf_clear(&out);
        if (tl_ui_listing_view(ui, &v, &out) != TL_OK)
            fuzz_ui_fail("listing_view failed");
        tl_ui_element_at(ui, info->screen_w / 2, info->screen_h / 2);
    }
    size_t n = tl_ui_count(ui);
    const tl_element *els = tl_ui_elements(ui);
    for (size_t i = 0; i < n && i < 64; i++) {
        tl_buf_clear(&out);
        tl_ui_element_line(ui, &els[i], &out);
        tl_ui_element_at(ui, els[i].tap_x, els[i].tap_y);
    }
    tl_selector *s = tl_selector_new();
    tl_error err;
    if (s && tl_selector_set(s, "text", "/^[A-Z]/", &err) == TL_OK) {
        tl_ui_find(ui, s);
        const tl_element *close[3];
        tl_ui_closest(ui, s, close, 3);
    }
    tl_selector_free(s);
    tl_buf_dispose(&out);
}

static int fuzz_ui_run(fuzz_ui_parser parse, const uint8_t *data, size_t size)
{
    if (size > FUZZ_UI_MAX_INPUT)
        return 0;
    tl_ui *ui = tl_ui_new();
    if (!ui)
        return 0;
    tl_error err;
    /* Low limits so that the fuzzer reaches them; the defaults are tested with big trees. */
    tl_ui_options opts = {.max_depth = 64, .max_nodes = 5000};
    if (parse(ui, (const char *)data, size, &opts, &err) == TL_OK) {
        fuzz_ui_check(ui, 0);
        fuzz_ui_consume(ui);
    } else if (tl_ui_count(ui) != 0) {
        fuzz_ui_fail("elements left after a parse error");
    }
    /* Parse again into the same index (memory is reused) with a known display and offsets. */
    tl_ui_options o2 = {.display_w = 1080, .display_h = 2400, .tap_dx = 3, .tap_dy = -7};
    if (parse(ui, (const char *)data, size, &o2, &err) == TL_OK)
        fuzz_ui_check(ui, 1);
    tl_ui_free(ui);
    return 0;
}

#endif
