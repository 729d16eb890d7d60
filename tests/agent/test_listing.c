/*
 * test_listing.c - the element index's post-pass and outputs: which elements are listed, their
 * indices, the exact listing line format, label absorption, the JSON dump, the summary and
 * tl_ui_element_at.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/utf8.h"

/* A 1080x2400 portrait screen: a root that spans it, holding `body`. */
#define SCREEN(body)                                                                     \
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">" \
    "<node class=\"android.widget.FrameLayout\" package=\"com.example\" "                \
    "bounds=\"[0,0][1080,2400]\">" body "</node></hierarchy>"

static tl_ui *parse_len(const char *data, size_t len)
{
    tl_ui *ui = tl_ui_new();
    cr_assert_not_null(ui);
    tl_error err = {0};
    int rc = tl_ui_parse(ui, data, len, NULL, &err);
    cr_assert_eq(rc, TL_OK, "parse failed: %d %s", rc, err.msg);
    return ui;
}

static tl_ui *parse(const char *data)
{
    return parse_len(data, strlen(data));
}

/* The whole listing as a malloc'd string. */
static char *listing(const tl_ui *ui)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_listing(ui, &b), TL_OK);
    char *s = tl_buf_detach(&b, NULL);
    cr_assert_not_null(s);
    return s;
}

/* The listing line of element [index] as a malloc'd string. */
static char *line(const tl_ui *ui, long index)
{
    const tl_element *e = tl_ui_by_index(ui, index);
    cr_assert_not_null(e, "no element [%ld] (%zu listed)", index, tl_ui_listed_count(ui));
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_element_line(ui, e, &b), TL_OK);
    char *s = tl_buf_detach(&b, NULL);
    cr_assert_not_null(s);
    return s;
}

static void expect_line(const tl_ui *ui, long index, const char *want)
{
    char *got = line(ui, index);
    cr_expect_str_eq(got, want, "line [%ld]:\n got: %s\nwant: %s", index, got, want);
    free(got);
}

static void expect_listing(const tl_ui *ui, const char *want)
{
    char *got = listing(ui);
    cr_expect_str_eq(got, want, "listing:\n%s\nwanted:\n%s", got, want);
    free(got);
}

/* The first element (in document order) whose text is `text`, or NULL. */
static const tl_element *by_text(const tl_ui *ui, const char *text)
{
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        if (strcmp(el[i].text, text) == 0)
            return &el[i];
    return NULL;
}

static char *read_fixture(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TL_FIXTURES, rel);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *data = malloc((size_t)n + 1);
    cr_assert_not_null(data);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    data[n] = '\0';
    *len = (size_t)n;
    return data;
}

static tl_ui *parse_fixture(const char *rel)
{
    size_t len;
    char *data = read_fixture(rel, &len);
    tl_ui *ui = parse_len(data, len);
    free(data);
    return ui;
}

static const char *const xml_fixtures[] = {
    "ui/androidmcp-youtube-multiline-attrs.xml",
    "ui/douyinhelper-douyin-video-zh.xml",
    "ui/macyolo-hermes-password-field.xml",
    "ui/mobileenv-gmail-welcome.xml",
    "ui/nkumedgemma-camera-numeric-refs.xml",
    "ui/ultranavbar-tablet-landscape-launcher-ko.xml",
    "ui/ultranavbar-tablet-landscape-splitscreen.xml",
    "ui/visiontest-systemui-launcher-multiwindow.xml",
    "ui/xiaocong-uiautomator-launcher-jb-480x800.xml",
    "ui/droidrunvl-legacy-settings-zh.json",
    "ui/zjndroidrun-trajectory-uistate-flat-calendar.json",
    "portal/real-macyolo-hermes-password-field.json",
    "portal/synth-n100.json",
};

/* ---- line format --------------------------------------------------------------------------- */

Test(ui_listing, switch_line_shows_checked_state)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.Switch\" text=\"Dark theme\" checkable=\"true\" "
        "checked=\"false\" clickable=\"true\" bounds=\"[0,900][1080,1020]\"/>"
        "<node class=\"android.widget.Switch\" text=\"Wi-Fi\" checkable=\"true\" checked=\"true\" "
        "clickable=\"true\" bounds=\"[0,1100][1080,1220]\"/>"));
    cr_assert_eq(tl_ui_listed_count(ui), 2);
    expect_listing(ui, "[1] Switch \"Dark theme\" checked=false clickable (540,960)\n"
                       "[2] Switch \"Wi-Fi\" checked=true clickable (540,1160)\n");
    tl_ui_free(ui);
}

Test(ui_listing, clickable_container_absorbs_child_texts)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.TextView\" text=\"Settings\" bounds=\"[0,100][800,200]\"/>"
        "<node class=\"android.widget.ImageButton\" content-desc=\"Search\" clickable=\"true\" "
        "bounds=\"[900,100][1080,200]\"/>"
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,300][1080,500]\">"
        "<node class=\"android.widget.ImageView\" bounds=\"[0,300][150,500]\"/>"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[150,300][1080,500]\">"
        "<node class=\"android.widget.TextView\" text=\"Display\" bounds=\"[150,320][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Dark theme, font size\" "
        "bounds=\"[150,400][1080,480]\"/>"
        "</node></node>"));
    expect_listing(ui,
                   "[1] TextView \"Settings\" (400,150)\n"
                   "[2] ImageButton \"Search\" clickable (990,150)\n"
                   "[3] LinearLayout \"Display\" \"Dark theme, font size\" clickable (540,400)\n");
    const tl_element *owner = tl_ui_by_index(ui, 3);
    const tl_element *display = by_text(ui, "Display");
    const tl_element *sub = by_text(ui, "Dark theme, font size");
    cr_assert(display && sub);
    cr_expect(display->flags & TL_EL_ABSORBED);
    cr_expect(sub->flags & TL_EL_ABSORBED);
    cr_expect_eq(display->index, 0);
    cr_expect_eq((size_t)display->label_owner, tl_ui_pos(ui, owner));
    cr_expect_eq(owner->label_first, (int32_t)tl_ui_pos(ui, display));
    cr_expect_eq(display->label_next, (int32_t)tl_ui_pos(ui, sub));
    cr_expect_eq(sub->label_next, -1);
    tl_ui_free(ui);
}

Test(ui_listing, edit_text_hint_and_state_words)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.EditText\" text=\"\" hint=\"Search settings\" "
        "clickable=\"true\" focusable=\"true\" focused=\"true\" bounds=\"[0,100][1080,250]\"/>"
        "<node class=\"android.widget.EditText\" text=\"hunter2\" hint=\"Password\" "
        "password=\"true\" clickable=\"true\" bounds=\"[0,300][1080,450]\"/>"
        "<node class=\"android.widget.EditText\" text=\"Search\" hint=\"Search\" "
        "clickable=\"true\" bounds=\"[0,500][1080,650]\"/>"
        "<node class=\"android.widget.AutoCompleteTextView\" text=\"Lond\" hint=\"City\" "
        "bounds=\"[0,700][1080,850]\"/>"));
    expect_listing(ui,
                   "[1] EditText hint=\"Search settings\" clickable editable focused (540,175)\n"
                   "[2] EditText \"\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\" hint=\"Password\" "
                   "clickable editable password (540,375)\n"
                   "[3] EditText \"Search\" clickable editable (540,575)\n"
                   "[4] AutoCompleteTextView \"Lond\" hint=\"City\" editable (540,775)\n");
    tl_ui_free(ui);
}

Test(ui_listing, hint_only_on_editable_elements)
{
    tl_ui *ui =
        parse(SCREEN("<node class=\"android.widget.TextView\" text=\"Name\" hint=\"ignored\" "
                     "bounds=\"[0,100][1080,200]\"/>"));
    expect_line(ui, 1, "[1] TextView \"Name\" (540,150)");
    tl_ui_free(ui);
}

Test(ui_listing, disabled_selected_scrollable_long_clickable_words)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.Button\" text=\"Next\" clickable=\"true\" enabled=\"false\" "
        "bounds=\"[600,2200][1000,2300]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Home\" clickable=\"true\" "
        "selected=\"true\" bounds=\"[0,2200][200,2300]\"/>"
        "<node class=\"androidx.recyclerview.widget.RecyclerView\" scrollable=\"true\" "
        "bounds=\"[0,300][1080,2000]\"/>"
        "<node class=\"android.widget.ImageView\" resource-id=\"com.example:id/fab_add\" "
        "clickable=\"true\" long-clickable=\"true\" bounds=\"[900,2000][1040,2140]\"/>"));
    expect_listing(ui, "[1] Button \"Next\" clickable disabled (800,2250)\n"
                       "[2] TextView \"Home\" clickable selected (100,2250)\n"
                       "[3] RecyclerView scrollable (540,1150)\n"
                       "[4] ImageView id=fab_add clickable long-clickable (970,2070)\n");
    tl_ui_free(ui);
}

Test(ui_listing, image_button_with_only_content_desc)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.ImageButton\" text=\"\" "
                             "content-desc=\"Navigate up\" clickable=\"true\" "
                             "bounds=\"[0,60][150,210]\"/>"));
    expect_listing(ui, "[1] ImageButton \"Navigate up\" clickable (75,135)\n");
    tl_ui_free(ui);
}

Test(ui_listing, text_and_different_desc_are_both_shown_once)
{
    tl_ui *ui =
        parse(SCREEN("<node class=\"android.widget.Button\" text=\"Send\" "
                     "content-desc=\"Send message\" clickable=\"true\" "
                     "bounds=\"[0,0][100,100]\"/>"
                     "<node class=\"android.widget.Button\" text=\"Send\" "
                     "content-desc=\"Send\" clickable=\"true\" bounds=\"[0,200][100,300]\"/>"));
    expect_listing(ui, "[1] Button \"Send\" \"Send message\" clickable (50,50)\n"
                       "[2] Button \"Send\" clickable (50,250)\n");
    tl_ui_free(ui);
}

Test(ui_listing, id_shown_only_without_label)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.ImageView\" resource-id=\"com.example:id/avatar\" "
        "clickable=\"true\" bounds=\"[0,0][100,100]\"/>"
        "<node class=\"android.widget.ImageView\" resource-id=\"plain_id\" clickable=\"true\" "
        "bounds=\"[0,100][100,200]\"/>"
        "<node class=\"android.widget.Button\" text=\"OK\" resource-id=\"com.example:id/ok\" "
        "clickable=\"true\" bounds=\"[0,200][100,300]\"/>"
        "<node resource-id=\"com.example:id/raw\" clickable=\"true\" "
        "bounds=\"[0,300][100,400]\"/>"));
    expect_listing(ui, "[1] ImageView id=avatar clickable (50,50)\n"
                       "[2] ImageView id=plain_id clickable (50,150)\n"
                       "[3] Button \"OK\" clickable (50,250)\n"
                       "[4] View id=raw clickable (50,350)\n");
    tl_ui_free(ui);
}

Test(ui_listing, quotes_backslashes_and_newlines_are_escaped)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.TextView\" "
                             "text=\"say &quot;hi&quot; C:\\temp&#10;line2&#9;end\" "
                             "bounds=\"[0,100][1080,200]\"/>"));
    expect_line(ui, 1, "[1] TextView \"say \\\"hi\\\" C:\\\\temp\\nline2\\tend\" (540,150)");
    char *all = listing(ui);
    /* one line only: the newline inside the text must not split the listing */
    cr_expect_eq(strchr(all, '\n'), all + strlen(all) - 1, "listing: %s", all);
    free(all);
    tl_ui_free(ui);
}

/* A one-element screen whose TextView text is `text`, built with snprintf. */
static tl_ui *screen_with_text(const char *text)
{
    char xml[4096];
    int n = snprintf(xml, sizeof(xml),
                     SCREEN("<node class=\"android.widget.TextView\" text=\"%s\" "
                            "bounds=\"[0,100][1080,200]\"/>"),
                     text);
    cr_assert(n > 0 && (size_t)n < sizeof(xml));
    return parse(xml);
}

static char *repeat(const char *unit, int times)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)times + 1);
    cr_assert_not_null(s);
    for (int i = 0; i < times; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)times] = '\0';
    return s;
}

Test(ui_listing, long_text_cut_at_80_characters_without_splitting_utf8)
{
    /* 79 ASCII letters, then 2-byte characters: the 80th character is 'é' */
    char *as = repeat("a", 79), *es = repeat("\xC3\xA9", 10);
    char text[256], want[512];
    snprintf(text, sizeof(text), "%s%s", as, es);
    tl_ui *ui = screen_with_text(text);
    snprintf(want, sizeof(want), "[1] TextView \"%s\xC3\xA9\xE2\x80\xA6\" (540,150)", as);
    expect_line(ui, 1, want);
    char *got = line(ui, 1);
    cr_expect(tl_utf8_valid(got, strlen(got)));
    free(got);
    tl_ui_free(ui);

    /* 4-byte characters at the cut */
    snprintf(text, sizeof(text), "%s\xF0\x9F\x98\x80\xF0\x9F\x98\x80", as);
    ui = screen_with_text(text);
    snprintf(want, sizeof(want), "[1] TextView \"%s\xF0\x9F\x98\x80\xE2\x80\xA6\" (540,150)", as);
    expect_line(ui, 1, want);
    tl_ui_free(ui);
    free(as);
    free(es);
}

Test(ui_listing, eighty_characters_are_not_cut_even_when_longer_in_bytes)
{
    char *e80 = repeat("\xC3\xA9", 80), *e81 = repeat("\xC3\xA9", 81), *a80 = repeat("a", 80);
    char want[512];
    tl_ui *ui = screen_with_text(e80);
    snprintf(want, sizeof(want), "[1] TextView \"%s\" (540,150)", e80);
    expect_line(ui, 1, want);
    tl_ui_free(ui);

    ui = screen_with_text(a80);
    snprintf(want, sizeof(want), "[1] TextView \"%s\" (540,150)", a80);
    expect_line(ui, 1, want);
    tl_ui_free(ui);

    ui = screen_with_text(e81);
    snprintf(want, sizeof(want), "[1] TextView \"%s\xE2\x80\xA6\" (540,150)", e80);
    expect_line(ui, 1, want);
    tl_ui_free(ui);
    free(e80);
    free(e81);
    free(a80);
}

Test(ui_listing, long_hint_is_cut_too)
{
    char *as = repeat("h", 100), *a80 = repeat("h", 80);
    char xml[1024], want[512];
    snprintf(xml, sizeof(xml),
             SCREEN("<node class=\"android.widget.EditText\" hint=\"%s\" "
                    "bounds=\"[0,100][1080,200]\"/>"),
             as);
    tl_ui *ui = parse(xml);
    snprintf(want, sizeof(want), "[1] EditText hint=\"%s\xE2\x80\xA6\" editable (540,150)", a80);
    expect_line(ui, 1, want);
    tl_ui_free(ui);
    free(as);
    free(a80);
}

Test(ui_listing, unlisted_element_line_has_no_index)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.TextView\" text=\"Gone\" "
                             "bounds=\"[0,3000][1080,3100]\"/>"));
    const tl_element *e = by_text(ui, "Gone");
    cr_assert_not_null(e);
    cr_expect_eq(e->index, 0);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_element_line(ui, e, &b), TL_OK);
    cr_expect_str_eq(b.data, "[-] TextView \"Gone\" (off-screen)");
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

/* ---- indices ------------------------------------------------------------------------------- */

/* Check the index invariants of any parsed tree. */
static void check_indices(const tl_ui *ui, const char *what)
{
    const tl_element *el = tl_ui_elements(ui);
    size_t n = tl_ui_listed_count(ui);
    size_t next = 1;
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        const tl_element *e = &el[i];
        if (e->flags & TL_EL_LISTED) {
            cr_assert_eq((size_t)e->index, next, "%s: element %zu has index %d, expected %zu", what,
                         i, e->index, next);
            cr_assert(e->flags & TL_EL_TAPPABLE, "%s: [%d] listed without a visible area", what,
                      e->index);
            cr_assert(!(e->flags & TL_EL_ABSORBED), "%s: [%d] listed and absorbed", what, e->index);
            cr_assert_eq(tl_ui_by_index(ui, e->index), e, "%s: by_index(%d)", what, e->index);
            cr_assert_eq(tl_ui_pos(ui, e), i);
            next++;
        } else {
            cr_assert_eq(e->index, 0, "%s: unlisted element %zu has index %d", what, i, e->index);
        }
    }
    cr_assert_eq(next - 1, n, "%s: %zu listed elements, listed_count %zu", what, next - 1, n);
    cr_expect_null(tl_ui_by_index(ui, 0));
    cr_expect_null(tl_ui_by_index(ui, -1));
    cr_expect_null(tl_ui_by_index(ui, (long)n + 1));
    cr_expect_null(tl_ui_by_index(ui, 2147483647L));

    /* the listing has n lines, line k starting with "[k] " */
    char *all = listing(ui);
    const char *p = all;
    for (size_t k = 1; k <= n; k++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "[%zu] ", k);
        cr_assert_eq(strncmp(p, prefix, strlen(prefix)), 0, "%s: line %zu: %.60s", what, k, p);
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        p = nl + 1;
    }
    cr_assert_eq(*p, '\0', "%s: extra listing text: %.60s", what, p);
    cr_assert(tl_utf8_valid(all, strlen(all)), "%s: listing is not valid UTF-8", what);
    free(all);
}

Test(ui_listing, indices_are_one_based_contiguous_in_document_order)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,0][1080,1200]\">"
        "<node class=\"android.widget.TextView\" text=\"B\" bounds=\"[0,600][1080,700]\"/>"
        "<node class=\"android.widget.TextView\" text=\"A\" bounds=\"[0,100][1080,200]\"/>"
        "</node>"
        "<node class=\"android.view.View\" bounds=\"[0,1200][1080,1300]\"/>"
        "<node class=\"android.widget.Button\" text=\"C\" clickable=\"true\" "
        "bounds=\"[0,1300][1080,1400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"D\" bounds=\"[0,1400][1080,1500]\"/>"));
    check_indices(ui, "inline");
    cr_assert_eq(tl_ui_listed_count(ui), 4);
    /* document order, not reading order: B comes before A */
    cr_expect_str_eq(tl_ui_by_index(ui, 1)->text, "B");
    cr_expect_str_eq(tl_ui_by_index(ui, 2)->text, "A");
    cr_expect_str_eq(tl_ui_by_index(ui, 3)->text, "C");
    cr_expect_str_eq(tl_ui_by_index(ui, 4)->text, "D");
    cr_expect_null(tl_ui_by_index(ui, 5));
    tl_ui_free(ui);
}

Test(ui_listing, indices_of_real_fixtures)
{
    for (size_t f = 0; f < sizeof(xml_fixtures) / sizeof(xml_fixtures[0]); f++) {
        tl_ui *ui = parse_fixture(xml_fixtures[f]);
        cr_expect_gt(tl_ui_listed_count(ui), 0, "%s lists nothing", xml_fixtures[f]);
        check_indices(ui, xml_fixtures[f]);
        tl_ui_free(ui);
    }
}

Test(ui_listing, listing_is_deterministic)
{
    for (size_t f = 0; f < sizeof(xml_fixtures) / sizeof(xml_fixtures[0]); f++) {
        size_t len;
        char *data = read_fixture(xml_fixtures[f], &len);
        tl_ui *a = parse_len(data, len), *b = parse_len(data, len);
        char *la = listing(a), *lb = listing(b);
        cr_expect_str_eq(la, lb, "%s: two parses list differently", xml_fixtures[f]);
        /* reparsing into a used index (memory reused) gives the same bytes too */
        tl_error err = {0};
        cr_assert_eq(tl_ui_parse(a, "<hierarchy/>", 12, NULL, &err), TL_OK, "%s", err.msg);
        cr_assert_eq(tl_ui_parse(a, data, len, NULL, &err), TL_OK, "%s", err.msg);
        char *lc = listing(a);
        cr_expect_str_eq(la, lc, "%s: reparse lists differently", xml_fixtures[f]);
        tl_buf ja, jb;
        tl_buf_init(&ja, 0);
        tl_buf_init(&jb, 0);
        cr_assert_eq(tl_ui_to_json(a, &ja), TL_OK);
        cr_assert_eq(tl_ui_to_json(b, &jb), TL_OK);
        cr_expect(ja.len == jb.len && memcmp(ja.data, jb.data, ja.len) == 0, "%s: JSON differs",
                  xml_fixtures[f]);
        tl_buf_dispose(&ja);
        tl_buf_dispose(&jb);
        free(la);
        free(lb);
        free(lc);
        tl_ui_free(a);
        tl_ui_free(b);
        free(data);
    }
}

Test(ui_listing, empty_screen_lists_nothing)
{
    tl_ui *ui = parse("<hierarchy rotation=\"0\"></hierarchy>");
    cr_expect_eq(tl_ui_listed_count(ui), 0);
    cr_expect_null(tl_ui_by_index(ui, 1));
    expect_listing(ui, "");
    tl_ui_free(ui);
}

/* ---- absorption ---------------------------------------------------------------------------- */

Test(ui_listing, at_most_four_texts_are_absorbed)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" bounds=\"[0,0][1080,400]\">"
        "<node class=\"android.widget.TextView\" text=\"one\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.TextView\" text=\"two\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.TextView\" text=\"three\" bounds=\"[0,200][1080,300]\"/>"
        "<node class=\"android.widget.TextView\" text=\"four\" bounds=\"[0,300][1080,400]\"/>"
        "</node>"));
    expect_listing(ui, "[1] LinearLayout \"one\" \"two\" \"three\" \"four\" clickable (540,200)\n");
    tl_ui_free(ui);
}

Test(ui_listing, owner_with_more_than_four_texts_absorbs_none)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" bounds=\"[0,0][1080,500]\">"
        "<node class=\"android.widget.TextView\" text=\"one\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.TextView\" text=\"two\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,200][1080,400]\">"
        "<node class=\"android.widget.TextView\" text=\"three\" bounds=\"[0,200][1080,300]\"/>"
        "<node class=\"android.widget.TextView\" content-desc=\"four\" "
        "bounds=\"[0,300][1080,400]\"/>"
        "</node>"
        "<node class=\"android.widget.TextView\" text=\"five\" bounds=\"[0,400][1080,500]\"/>"
        "</node>"));
    expect_listing(ui, "[1] LinearLayout clickable (540,250)\n"
                       "[2] TextView \"one\" (540,50)\n"
                       "[3] TextView \"two\" (540,150)\n"
                       "[4] TextView \"three\" (540,250)\n"
                       "[5] TextView \"four\" (540,350)\n"
                       "[6] TextView \"five\" (540,450)\n");
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        cr_expect(!(el[i].flags & TL_EL_ABSORBED), "element %zu absorbed", i);
    tl_ui_free(ui);
}

Test(ui_listing, screen_sized_clickable_container_does_not_swallow_the_screen)
{
    tl_ui *ui = parse(
        "<hierarchy rotation=\"0\">"
        "<node class=\"android.widget.FrameLayout\" clickable=\"true\" bounds=\"[0,0][1080,2400]\">"
        "<node class=\"android.widget.TextView\" text=\"Inbox\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,300][1080,500]\">"
        "<node class=\"android.widget.TextView\" text=\"Alice\" bounds=\"[0,300][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Lunch?\" bounds=\"[0,400][1080,500]\"/>"
        "</node>"
        "<node class=\"android.widget.TextView\" text=\"Bob\" bounds=\"[0,600][1080,700]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Carol\" bounds=\"[0,700][1080,800]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Dave\" bounds=\"[0,800][1080,900]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Eve\" bounds=\"[0,900][1080,1000]\"/>"
        "</node></hierarchy>");
    /* the row's own texts go to the row; the root would get 5 and gets none */
    expect_listing(ui, "[1] FrameLayout clickable (540,1200)\n"
                       "[2] TextView \"Inbox\" (540,150)\n"
                       "[3] LinearLayout \"Alice\" \"Lunch?\" clickable (540,400)\n"
                       "[4] TextView \"Bob\" (540,650)\n"
                       "[5] TextView \"Carol\" (540,750)\n"
                       "[6] TextView \"Dave\" (540,850)\n"
                       "[7] TextView \"Eve\" (540,950)\n");
    tl_ui_free(ui);
}

Test(ui_listing, texts_inside_a_scrollable_are_not_absorbed)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,0][1080,1000]\">"
        "<node class=\"android.widget.TextView\" text=\"Title\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.ScrollView\" scrollable=\"true\" "
        "bounds=\"[0,100][1080,1000]\">"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,100][1080,1000]\">"
        "<node class=\"android.widget.TextView\" text=\"Item\" bounds=\"[0,100][1080,200]\"/>"
        "</node></node></node>"));
    expect_listing(ui, "[1] LinearLayout \"Title\" clickable (540,500)\n"
                       "[2] ScrollView scrollable (540,550)\n"
                       "[3] TextView \"Item\" (540,150)\n");
    const tl_element *item = by_text(ui, "Item");
    cr_assert_not_null(item);
    cr_expect(!(item->flags & TL_EL_ABSORBED));
    tl_ui_free(ui);
}

Test(ui_listing, nearest_clickable_owns_the_text)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" bounds=\"[0,0][1080,400]\">"
        "<node class=\"android.widget.TextView\" text=\"Row\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.Button\" clickable=\"true\" bounds=\"[0,200][500,400]\">"
        "<node class=\"android.widget.TextView\" text=\"Buy\" bounds=\"[0,200][500,400]\"/>"
        "</node>"
        "<node class=\"android.widget.CheckBox\" checkable=\"true\" checked=\"true\" "
        "bounds=\"[500,200][1080,400]\">"
        "<node class=\"android.widget.TextView\" text=\"Gift wrap\" "
        "bounds=\"[600,200][1080,400]\"/>"
        "</node></node>"));
    expect_listing(ui, "[1] LinearLayout \"Row\" clickable (540,200)\n"
                       "[2] Button \"Buy\" clickable (250,300)\n"
                       "[3] CheckBox \"Gift wrap\" checked=true (790,300)\n");
    tl_ui_free(ui);
}

Test(ui_listing, duplicate_text_is_not_repeated)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" content-desc=\"Wi-Fi\" clickable=\"true\" "
        "bounds=\"[0,0][1080,200]\">"
        "<node class=\"android.widget.TextView\" text=\"Wi-Fi\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Connected\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Connected\" bounds=\"[0,100][500,200]\"/>"
        "</node>"));
    expect_listing(ui, "[1] LinearLayout \"Wi-Fi\" \"Connected\" clickable (540,100)\n");
    tl_ui_free(ui);
}

Test(ui_listing, hidden_texts_are_neither_absorbed_nor_counted)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" bounds=\"[0,0][1080,400]\">"
        "<node class=\"android.widget.TextView\" text=\"a\" bounds=\"[0,0][1080,100]\"/>"
        "<node class=\"android.widget.TextView\" text=\"b\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.TextView\" text=\"c\" bounds=\"[0,200][1080,300]\"/>"
        "<node class=\"android.widget.TextView\" text=\"d\" bounds=\"[0,300][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"hidden\" visible-to-user=\"false\" "
        "bounds=\"[0,300][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"below\" bounds=\"[0,2500][1080,2600]\"/>"
        "</node>"));
    expect_listing(ui, "[1] LinearLayout \"a\" \"b\" \"c\" \"d\" clickable (540,200)\n");
    cr_expect(!(by_text(ui, "hidden")->flags & TL_EL_ABSORBED));
    cr_expect(!(by_text(ui, "below")->flags & TL_EL_ABSORBED));
    tl_ui_free(ui);
}

Test(ui_listing, text_of_an_owner_without_visible_area_is_listed_on_its_own)
{
    /* Real dumps carry clickable wrappers with empty or inverted bounds around visible text;
     * the text must not vanish into an owner that has no line. */
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.view.ViewGroup\" clickable=\"true\" bounds=\"[0,0][0,0]\">"
        "<node class=\"android.widget.TextView\" text=\"Continue\" bounds=\"[0,300][1080,400]\"/>"
        "</node>"
        "<node class=\"android.view.ViewGroup\" clickable=\"true\" visible-to-user=\"false\" "
        "bounds=\"[0,500][1080,600]\">"
        "<node class=\"android.widget.TextView\" text=\"Skip\" bounds=\"[0,500][1080,600]\"/>"
        "</node>"));
    expect_listing(ui, "[1] TextView \"Continue\" (540,350)\n"
                       "[2] TextView \"Skip\" (540,550)\n");
    tl_ui_free(ui);
}

/* ---- not listed ---------------------------------------------------------------------------- */

Test(ui_listing, invisible_offscreen_empty_and_pure_containers_are_not_listed)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.TextView\" text=\"Hidden\" visible-to-user=\"false\" "
        "bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.Button\" text=\"Below\" clickable=\"true\" "
        "bounds=\"[0,2500][1080,2600]\"/>"
        "<node class=\"android.widget.Button\" text=\"Right\" clickable=\"true\" "
        "bounds=\"[1080,100][1200,200]\"/>"
        "<node class=\"android.widget.Button\" text=\"Empty\" clickable=\"true\" "
        "bounds=\"[0,0][0,0]\"/>"
        "<node class=\"android.widget.Button\" text=\"Inverted\" clickable=\"true\" "
        "bounds=\"[500,600][400,500]\"/>"
        "<node class=\"android.widget.Button\" text=\"Flat\" clickable=\"true\" "
        "bounds=\"[0,700][1080,700]\"/>"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,700][1080,900]\"/>"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,900][1080,1100]\">"
        "<node class=\"android.view.View\" resource-id=\"com.example:id/divider\" "
        "bounds=\"[0,900][500,1000]\"/></node>"
        "<node class=\"android.widget.TextView\" text=\"Shown\" bounds=\"[0,1200][1080,1300]\"/>"));
    expect_listing(ui, "[1] TextView \"Shown\" (540,1250)\n");
    const char *gone[] = {"Hidden", "Below", "Right", "Empty", "Inverted", "Flat"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        const tl_element *e = by_text(ui, gone[i]);
        cr_assert_not_null(e, "%s", gone[i]);
        cr_expect(!(e->flags & (TL_EL_LISTED | TL_EL_TAPPABLE)), "%s is listed or tappable",
                  gone[i]);
        cr_expect_eq(e->index, 0);
    }
    tl_ui_free(ui);
}

Test(ui_listing, invisible_in_portal_json_is_not_listed)
{
    const char *json =
        "{\"a11y_tree\":{\"className\":\"android.widget.FrameLayout\",\"packageName\":\"com.x\","
        "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":1080,\"bottom\":2400},"
        "\"isEnabled\":true,\"isVisibleToUser\":true,\"children\":["
        "{\"className\":\"android.widget.Button\",\"text\":\"Ghost\",\"isClickable\":true,"
        "\"isEnabled\":true,\"isVisibleToUser\":false,"
        "\"boundsInScreen\":{\"left\":0,\"top\":100,\"right\":1080,\"bottom\":200}},"
        "{\"className\":\"android.widget.Button\",\"text\":\"Real\",\"isClickable\":true,"
        "\"isEnabled\":true,\"isVisibleToUser\":true,"
        "\"boundsInScreen\":{\"left\":0,\"top\":300,\"right\":1080,\"bottom\":400}}]}}";
    tl_ui *ui = parse(json);
    expect_listing(ui, "[1] Button \"Real\" clickable (540,350)\n");
    tl_ui_free(ui);
}

Test(ui_listing, scroll_container_clips_its_children)
{
    tl_ui *ui = parse(
        SCREEN("<node class=\"android.widget.ScrollView\" scrollable=\"true\" "
               "bounds=\"[0,200][1080,1200]\">"
               "<node class=\"android.widget.LinearLayout\" bounds=\"[0,200][1080,3000]\">"
               "<node class=\"android.widget.Button\" text=\"Partly\" clickable=\"true\" "
               "bounds=\"[0,1100][1080,1400]\"/>"
               "<node class=\"android.widget.Button\" text=\"Hidden below\" clickable=\"true\" "
               "bounds=\"[0,1300][1080,1400]\"/>"
               "</node></node>"));
    expect_listing(ui, "[1] ScrollView scrollable (540,700)\n"
                       "[2] Button \"Partly\" clickable (540,1150)\n");
    const tl_element *p = by_text(ui, "Partly");
    cr_expect_eq(p->visible.top, 1100);
    cr_expect_eq(p->visible.bottom, 1200);
    tl_ui_free(ui);
}

/* ---- JSON, summary, element_at ------------------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert_not_null(v, "member %s missing", k);
    return v;
}

static void expect_rect(const cJSON *arr, const tl_rect *r, const char *what, size_t i)
{
    cr_assert(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 4, "%s of %zu", what, i);
    int32_t v[4] = {r->left, r->top, r->right, r->bottom};
    for (int k = 0; k < 4; k++)
        cr_expect_eq(cJSON_GetArrayItem(arr, k)->valueint, v[k], "%s[%d] of %zu", what, k, i);
}

static bool has_flag(const cJSON *flags, const char *name)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, flags)
    {
        if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0)
            return true;
    }
    return false;
}

Test(ui_listing, to_json_has_one_object_per_element)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,300][1080,500]\">"
        "<node class=\"android.widget.TextView\" text=\"Display\" bounds=\"[150,320][1080,400]\"/>"
        "</node>"
        "<node class=\"android.widget.Switch\" text=\"say &quot;hi&quot;&#10;\\ok\" "
        "resource-id=\"com.example:id/sw\" checkable=\"true\" checked=\"true\" clickable=\"true\" "
        "bounds=\"[0,900][1080,1020]\"/>"
        "<node class=\"android.widget.EditText\" text=\"secret\" hint=\"PIN\" password=\"true\" "
        "bounds=\"[0,1100][1080,1200]\"/>"
        "<node class=\"android.widget.TextView\" text=\"off\" bounds=\"[0,3000][1080,3100]\"/>"));
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_to_json(ui, &b), TL_OK);
    cr_expect_null(strstr(b.data, "secret"), "the password leaked into JSON");
    cJSON *root = cJSON_ParseWithLength(b.data, b.len);
    cr_assert_not_null(root, "not JSON: %s", b.data);

    cr_expect_str_eq(member(root, "format")->valuestring, "uiautomator");
    const cJSON *screen = member(root, "screen");
    cr_expect_eq(member(screen, "width")->valueint, 1080);
    cr_expect_eq(member(screen, "height")->valueint, 2400);
    cr_expect_eq(member(root, "count")->valueint, (int)tl_ui_count(ui));
    cr_expect_eq(member(root, "listed")->valueint, (int)tl_ui_listed_count(ui));
    char *l = listing(ui);
    cr_expect_str_eq(member(root, "listing")->valuestring, l);
    free(l);

    const cJSON *els = member(root, "elements");
    cr_assert(cJSON_IsArray(els));
    cr_assert_eq((size_t)cJSON_GetArraySize(els), tl_ui_count(ui));
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        const tl_element *e = &el[i];
        const cJSON *o = cJSON_GetArrayItem(els, (int)i);
        cr_expect_eq(member(o, "pos")->valueint, (int)i);
        const cJSON *idx = member(o, "index");
        if (e->index > 0)
            cr_expect(cJSON_IsNumber(idx) && idx->valueint == e->index, "index of %zu", i);
        else
            cr_expect(cJSON_IsNull(idx), "index of %zu should be null", i);
        cr_expect_eq(member(o, "parent")->valueint, e->parent);
        cr_expect_eq(member(o, "depth")->valueint, (int)e->depth);
        cr_expect_str_eq(member(o, "class")->valuestring, e->cls);
        cr_expect_str_eq(member(o, "package")->valuestring, e->pkg);
        cr_expect_str_eq(member(o, "text")->valuestring, e->text);
        cr_expect_str_eq(member(o, "desc")->valuestring, e->desc);
        cr_expect_str_eq(member(o, "resource_id")->valuestring, e->id);
        cr_expect_str_eq(member(o, "hint")->valuestring, e->hint);
        expect_rect(member(o, "bounds"), &e->bounds, "bounds", i);
        expect_rect(member(o, "visible"), &e->visible, "visible", i);
        const cJSON *tap = member(o, "tap");
        if (e->flags & TL_EL_TAPPABLE) {
            cr_assert(cJSON_IsArray(tap) && cJSON_GetArraySize(tap) == 2);
            cr_expect_eq(cJSON_GetArrayItem(tap, 0)->valueint, e->tap_x);
            cr_expect_eq(cJSON_GetArrayItem(tap, 1)->valueint, e->tap_y);
        } else {
            cr_expect(cJSON_IsNull(tap), "tap of %zu should be null", i);
        }
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(o, "label_of");
        if (e->flags & TL_EL_ABSORBED)
            cr_expect(cJSON_IsNumber(lo) && lo->valueint == e->label_owner, "label_of of %zu", i);
        else
            cr_expect_null(lo, "label_of on unabsorbed %zu", i);
        const cJSON *flags = member(o, "flags");
        static const struct {
            uint32_t bit;
            const char *name;
        } fl[] = {
            {TL_EL_CLICKABLE, "clickable"}, {TL_EL_CHECKABLE, "checkable"},
            {TL_EL_CHECKED, "checked"},     {TL_EL_ENABLED, "enabled"},
            {TL_EL_EDITABLE, "editable"},   {TL_EL_PASSWORD, "password"},
            {TL_EL_VISIBLE, "visible"},     {TL_EL_TAPPABLE, "tappable"},
            {TL_EL_ABSORBED, "absorbed"},   {TL_EL_SCROLLABLE, "scrollable"},
        };
        for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++)
            cr_expect_eq(has_flag(flags, fl[k].name), (e->flags & fl[k].bit) != 0,
                         "flag %s of element %zu", fl[k].name, i);
    }
    /* spot checks against what the tree says */
    const cJSON *sw = cJSON_GetArrayItem(els, 3);
    cr_expect_str_eq(member(sw, "text")->valuestring, "say \"hi\"\n\\ok");
    cr_expect_str_eq(member(sw, "resource_id")->valuestring, "com.example:id/sw");
    cr_expect(has_flag(member(sw, "flags"), "checked"));
    cr_expect_eq(member(cJSON_GetArrayItem(els, 2), "label_of")->valueint, 1);
    cr_expect_str_eq(member(cJSON_GetArrayItem(els, 4), "text")->valuestring,
                     "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2");
    cJSON_Delete(root);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_listing, to_json_of_fixtures_parses)
{
    for (size_t f = 0; f < sizeof(xml_fixtures) / sizeof(xml_fixtures[0]); f++) {
        tl_ui *ui = parse_fixture(xml_fixtures[f]);
        tl_buf b;
        tl_buf_init(&b, 0);
        cr_assert_eq(tl_ui_to_json(ui, &b), TL_OK);
        cJSON *root = cJSON_ParseWithLength(b.data, b.len);
        cr_assert_not_null(root, "%s: to_json is not JSON", xml_fixtures[f]);
        cr_expect_eq(cJSON_GetArraySize(member(root, "elements")), (int)tl_ui_count(ui));
        cJSON_Delete(root);
        tl_buf_dispose(&b);
        tl_ui_free(ui);
    }
}

Test(ui_listing, summary_mentions_app_package_and_counts)
{
    const char *json =
        "{\"a11y_tree\":{\"className\":\"android.widget.FrameLayout\","
        "\"packageName\":\"com.android.settings\","
        "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":1080,\"bottom\":2400},"
        "\"isEnabled\":true,\"children\":["
        "{\"className\":\"android.widget.TextView\",\"text\":\"Network\",\"isEnabled\":true,"
        "\"boundsInScreen\":{\"left\":0,\"top\":100,\"right\":1080,\"bottom\":200}},"
        "{\"className\":\"android.view.View\",\"isEnabled\":true,"
        "\"boundsInScreen\":{\"left\":0,\"top\":200,\"right\":1080,\"bottom\":300}}]},"
        "\"phone_state\":{\"currentApp\":\"Settings\",\"packageName\":\"com.android.settings\","
        "\"keyboardVisible\":false}}";
    tl_ui *ui = parse(json);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_summary(ui, &b), TL_OK);
    cr_expect_str_eq(b.data, "Settings (com.android.settings), screen 1080x2400, 3 elements, "
                             "1 listed");
    tl_buf_dispose(&b);
    tl_ui_free(ui);

    /* without phone state (uiautomator): the package comes from the window root */
    ui = parse(SCREEN("<node class=\"android.widget.TextView\" text=\"x\" "
                      "bounds=\"[0,0][10,10]\"/>"));
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_summary(ui, &b), TL_OK);
    cr_expect_str_eq(b.data, "com.example, screen 1080x2400, 2 elements, 1 listed");
    tl_buf_dispose(&b);
    tl_ui_free(ui);

    /* no package anywhere */
    ui = parse("{\"a11y_tree\":{\"className\":\"android.widget.FrameLayout\","
               "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":100,\"bottom\":100},"
               "\"text\":\"x\"}}");
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_summary(ui, &b), TL_OK);
    cr_expect_str_eq(b.data, "unknown app, screen 100x100, 1 elements, 1 listed");
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_listing, element_at_picks_the_most_specific_listed_element)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" bounds=\"[0,0][1080,400]\">"
        "<node class=\"android.widget.Button\" text=\"Inner\" clickable=\"true\" "
        "bounds=\"[100,100][300,200]\"/>"
        "</node>"
        "<node class=\"android.widget.LinearLayout\" bounds=\"[0,500][1080,600]\"/>"));
    const tl_element *outer = tl_ui_by_index(ui, 1), *inner = tl_ui_by_index(ui, 2);
    cr_assert(outer && inner);
    cr_expect_eq(tl_ui_element_at(ui, 150, 150), inner);
    cr_expect_eq(tl_ui_element_at(ui, 100, 100), inner); /* left/top edges are inside */
    cr_expect_eq(tl_ui_element_at(ui, 300, 150), outer); /* right edge is exclusive */
    cr_expect_eq(tl_ui_element_at(ui, 500, 300), outer);
    cr_expect_null(tl_ui_element_at(ui, 500, 550)); /* an unlisted container */
    cr_expect_null(tl_ui_element_at(ui, -1, 10));
    cr_expect_null(tl_ui_element_at(ui, 500, 5000));
    tl_ui_free(ui);
}

Test(ui_listing, on_screen_bounds)
{
    tl_ui *ui = parse(SCREEN(""));
    cr_expect(tl_ui_on_screen(ui, 0, 0));
    cr_expect(tl_ui_on_screen(ui, 1079, 2399));
    cr_expect(!tl_ui_on_screen(ui, 1080, 0));
    cr_expect(!tl_ui_on_screen(ui, 0, 2400));
    cr_expect(!tl_ui_on_screen(ui, -1, 5));
    tl_ui_free(ui);
}

/* ---- passwords in a real dump -------------------------------------------------------------- */

Test(ui_listing, real_password_field_is_masked)
{
    static const char bullets35[] =
        "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"
        "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"
        "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"
        "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"
        "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";
    size_t len;
    char *data = read_fixture("ui/macyolo-hermes-password-field.xml", &len);
    cr_assert_not_null(strstr(data, bullets35), "fixture changed?");
    tl_ui *ui = parse_len(data, len);
    free(data);
    char *l = listing(ui);
    cr_expect_null(strstr(l, bullets35), "original password bytes in the listing");
    cr_expect_not_null(strstr(l, "EditText \"\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\" "
                                 "hint=\"sk-...\" clickable long-clickable editable password"),
                       "listing:\n%s", l);
    /* exactly three bullets between the quotes */
    cr_expect_null(strstr(l, "\"\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"));
    free(l);
    const tl_element *el = tl_ui_elements(ui);
    size_t masked = 0;
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        if (el[i].flags & TL_EL_PASSWORD) {
            cr_expect_str_eq(el[i].text, TL_UI_MASK);
            masked++;
        }
    }
    cr_expect_eq(masked, 1);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_to_json(ui, &b), TL_OK);
    cr_expect_null(strstr(b.data, bullets35));
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_listing, password_text_never_reaches_outputs)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.EditText\" text=\"hunter2\" "
                             "password=\"true\" clickable=\"true\" bounds=\"[0,0][1080,100]\"/>"));
    char *l = listing(ui);
    cr_expect_null(strstr(l, "hunter2"));
    free(l);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_to_json(ui, &b), TL_OK);
    cr_expect_null(strstr(b.data, "hunter2"));
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}
