/*
 * test_selector.c - element selectors: exact and PCRE2 matchers, id and class forms, state
 * filters, reading order, visibility, errors, and the "closest candidates" of a miss.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/selector.h"
#include "agent/ui.h"
#include "core/buf.h"

#define SCREEN(body)                                                                     \
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">" \
    "<node class=\"android.widget.FrameLayout\" package=\"com.example\" "                \
    "bounds=\"[0,0][1080,2400]\">" body "</node></hierarchy>"

/* Positions in SETTINGS below. */
enum {
    P_ROOT,
    P_DISPLAY,
    P_DARK,
    P_WIFI,
    P_OK,
    P_CANCEL,
    P_EDIT,
    P_HOME,
    P_SCROLL,
    P_MORE,
    P_HIDDEN,
    P_OFFSCREEN,
};

static const char SETTINGS[] = SCREEN(
    "<node class=\"android.widget.TextView\" text=\"Display\" resource-id=\"android:id/title\" "
    "bounds=\"[0,100][800,200]\"/>"
    "<node class=\"android.widget.Switch\" text=\"Dark theme\" "
    "resource-id=\"com.android.settings:id/switch_widget\" package=\"com.android.settings\" "
    "checkable=\"true\" checked=\"false\" clickable=\"true\" bounds=\"[0,300][1080,400]\"/>"
    "<node class=\"android.widget.Switch\" text=\"Wi-Fi\" "
    "resource-id=\"com.android.settings:id/switch_widget\" package=\"com.android.settings\" "
    "checkable=\"true\" checked=\"true\" clickable=\"true\" bounds=\"[0,500][1080,600]\"/>"
    "<node class=\"android.widget.Button\" text=\"OK\" enabled=\"false\" clickable=\"true\" "
    "bounds=\"[0,700][500,800]\"/>"
    "<node class=\"android.widget.Button\" text=\"Cancel\" clickable=\"true\" "
    "bounds=\"[500,700][1080,800]\"/>"
    "<node class=\"android.widget.EditText\" text=\"hello\" focused=\"true\" clickable=\"true\" "
    "bounds=\"[0,900][1080,1000]\"/>"
    "<node class=\"android.widget.TextView\" text=\"Home\" selected=\"true\" clickable=\"true\" "
    "bounds=\"[0,2200][540,2300]\"/>"
    "<node class=\"android.widget.ScrollView\" scrollable=\"true\" bounds=\"[0,1000][1080,2000]\"/>"
    "<node class=\"android.widget.ImageButton\" content-desc=\"More options\" clickable=\"true\" "
    "bounds=\"[900,0][1080,100]\"/>"
    "<node class=\"android.widget.TextView\" text=\"Hidden\" visible-to-user=\"false\" "
    "bounds=\"[0,1100][1080,1200]\"/>"
    "<node class=\"android.widget.TextView\" text=\"Offscreen\" bounds=\"[0,2500][1080,2600]\"/>");

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

static tl_ui *parse_fixture(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TL_FIXTURES, rel);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_gt(n, 0);
    rewind(f);
    char *data = malloc((size_t)n);
    cr_assert_not_null(data);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    tl_ui *ui = parse_len(data, (size_t)n);
    free(data);
    return ui;
}

/* A selector from key/value pairs ending with NULL; every key must be accepted. */
static tl_selector *sel(const char *key, ...)
{
    tl_selector *s = tl_selector_new();
    cr_assert_not_null(s);
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        tl_error err = {0};
        int rc = tl_selector_set(s, k, v, &err);
        cr_assert_eq(rc, TL_OK, "set %s=%s: %s", k, v, err.msg);
    }
    va_end(ap);
    return s;
}

/* Position of what the selector finds, -1 for nothing. */
static long find_pos(const tl_ui *ui, tl_selector *s)
{
    const tl_element *e = tl_ui_find(ui, s);
    return e ? (long)tl_ui_pos(ui, e) : -1;
}

/* Find with a one-key selector. */
static long find1(const tl_ui *ui, const char *key, const char *value)
{
    tl_selector *s = sel(key, value, NULL);
    long p = find_pos(ui, s);
    tl_selector_free(s);
    return p;
}

/* The error of setting key=value on a fresh selector (after `pre_key`=`pre_value` if given). */
static int set_error(const char *pre_key, const char *pre_value, const char *key, const char *value,
                     tl_error *err)
{
    tl_selector *s = tl_selector_new();
    cr_assert_not_null(s);
    if (pre_key)
        cr_assert_eq(tl_selector_set(s, pre_key, pre_value, err), TL_OK, "%s", err->msg);
    tl_error_clear(err);
    int rc = tl_selector_set(s, key, value, err);
    tl_selector_free(s);
    return rc;
}

/* ---- string matchers ----------------------------------------------------------------------- */

Test(ui_selector, exact_text_and_desc)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "text", "Dark theme"), P_DARK);
    cr_expect_eq(find1(ui, "text", "Wi-Fi"), P_WIFI);
    cr_expect_eq(find1(ui, "text", "Dark"), -1, "exact means the whole field");
    cr_expect_eq(find1(ui, "text", "dark theme"), -1, "exact is case-sensitive");
    cr_expect_eq(find1(ui, "text", "Dark theme "), -1);
    cr_expect_eq(find1(ui, "desc", "More options"), P_MORE);
    cr_expect_eq(find1(ui, "desc", "More"), -1);
    cr_expect_eq(find1(ui, "text", "More options"), -1, "text does not look at desc");
    /* a lone slash or an unclosed one is a literal */
    cr_expect_eq(find1(ui, "text", "/"), -1);
    cr_expect_eq(find1(ui, "text", "/Dark"), -1);
    tl_ui_free(ui);
}

Test(ui_selector, regex_search_and_caseless_flag)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "text", "/^Dark/"), P_DARK);
    cr_expect_eq(find1(ui, "text", "/theme$/"), P_DARK);
    cr_expect_eq(find1(ui, "text", "/ark th/"), P_DARK, "a regex is searched, not anchored");
    cr_expect_eq(find1(ui, "text", "/^Dark$/"), -1);
    cr_expect_eq(find1(ui, "text", "/dark/"), -1);
    cr_expect_eq(find1(ui, "text", "/dark/i"), P_DARK);
    cr_expect_eq(find1(ui, "text", "/^WI-FI$/i"), P_WIFI);
    cr_expect_eq(find1(ui, "text", "/^(OK|Cancel)$/"), P_OK);
    cr_expect_eq(find1(ui, "desc", "/options/"), P_MORE);
    cr_expect_eq(find1(ui, "text", "/a/b/"), -1, "the last slash closes the pattern");
    tl_ui_free(ui);
}

Test(ui_selector, regex_is_utf8_aware_on_chinese_text)
{
    tl_ui *ui = parse_fixture("ui/douyinhelper-douyin-video-zh.xml");
    const tl_element *e;

    tl_selector *s = sel("text", "\xE5\x85\xB3\xE6\xB3\xA8", NULL); /* 关注 */
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_eq(e->visible.top, 378, "first 关注 button in reading order");
    cr_expect_str_eq(e->id, "com.ss.android.ugc.aweme:id/qr");
    tl_selector_free(s);

    /* . is one character, not one byte: 老高电商 has 4 characters (12 bytes) */
    s = sel("text", "/^.{4}$/", NULL);
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->text, "\xE8\x80\x81\xE9\xAB\x98\xE7\x94\xB5\xE5\x95\x86");
    tl_selector_free(s);

    s = sel("text", "/^\\p{Han}+$/", NULL);
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->text, "\xE8\x80\x81\xE9\xAB\x98\xE7\x94\xB5\xE5\x95\x86");
    tl_selector_free(s);

    /* 公司$: the first company name in reading order */
    s = sel("text", "/\xE5\x85\xAC\xE5\x8F\xB8$/", NULL);
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->text, "\xE4\xB9\x89\xE4\xB9\x8C\xE5\xB8\x82\xE7\x82\x8E\xE5\xB8\x8C"
                              "\xE5\xB7\xA5\xE8\x89\xBA\xE5\x93\x81\xE6\x9C\x89\xE9\x99\x90"
                              "\xE5\x85\xAC\xE5\x8F\xB8");
    tl_selector_free(s);

    /* 粉丝 followed by a number */
    s = sel("text", "/^\xE7\xB2\x89\xE4\xB8\x9D\\s+\\d+/", NULL);
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_eq(e->visible.left, 659);
    tl_selector_free(s);

    cr_expect_neq(find1(ui, "desc", "\xE8\xBF\x94\xE5\x9B\x9E"), -1); /* 返回 */
    tl_ui_free(ui);
}

Test(ui_selector, id_short_and_full_forms)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "id", "switch_widget"), P_DARK);
    cr_expect_eq(find1(ui, "id", "com.android.settings:id/switch_widget"), P_DARK);
    cr_expect_eq(find1(ui, "id", "com.other:id/switch_widget"), -1);
    cr_expect_eq(find1(ui, "id", "widget"), -1);
    cr_expect_eq(find1(ui, "id", "id/switch_widget"), -1);
    cr_expect_eq(find1(ui, "id", "title"), P_DISPLAY);
    cr_expect_eq(find1(ui, "id", "android:id/title"), P_DISPLAY);
    /* regexes try the short id, then the full one */
    cr_expect_eq(find1(ui, "id", "/^switch_/"), P_DARK);
    cr_expect_eq(find1(ui, "id", "/^com\\.android\\.settings/"), P_DARK);
    cr_expect_eq(find1(ui, "id", "/^com\\.android\\.settings:id\\/switch_widget$/"), P_DARK);
    cr_expect_eq(find1(ui, "id", "/^android:id\\/title$/"), P_DISPLAY);
    cr_expect_eq(find1(ui, "id", "/^com\\.other:/"), -1);
    tl_ui_free(ui);
}

Test(ui_selector, class_short_and_full_forms)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "class", "Switch"), P_DARK);
    cr_expect_eq(find1(ui, "class", "android.widget.Switch"), P_DARK);
    cr_expect_eq(find1(ui, "class", "widget.Switch"), -1);
    cr_expect_eq(find1(ui, "class", "android.view.Switch"), -1);
    cr_expect_eq(find1(ui, "class", "switch"), -1);
    cr_expect_eq(find1(ui, "class", "Button"), P_OK);
    cr_expect_eq(find1(ui, "class", "/Button$/"), P_MORE, "ImageButton reads first");
    cr_expect_eq(find1(ui, "class", "/^Button$/"), P_OK);
    cr_expect_eq(find1(ui, "class", "/^android\\.widget\\.Edit/"), P_EDIT);
    cr_expect_eq(find1(ui, "class", "/^android\\.widget\\.Button$/"), P_OK);
    tl_ui_free(ui);
}

Test(ui_selector, package)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "package", "com.android.settings"), P_DARK);
    cr_expect_eq(find1(ui, "package", "com.example"), P_ROOT);
    cr_expect_eq(find1(ui, "package", "com.android"), -1);
    cr_expect_eq(find1(ui, "package", "/^com\\.android\\./"), P_DARK);
    tl_ui_free(ui);
}

/* ---- state filters ------------------------------------------------------------------------- */

Test(ui_selector, state_filters)
{
    tl_ui *ui = parse(SETTINGS);
    cr_expect_eq(find1(ui, "checked", "true"), P_WIFI);
    cr_expect_eq(find1(ui, "enabled", "false"), P_OK);
    cr_expect_eq(find1(ui, "selected", "true"), P_HOME);
    cr_expect_eq(find1(ui, "focused", "true"), P_EDIT);
    cr_expect_eq(find1(ui, "clickable", "true"), P_MORE);
    cr_expect_eq(find1(ui, "clickable", "false"), P_ROOT);
    cr_expect_eq(find1(ui, "editable", "true"), P_EDIT);
    cr_expect_eq(find1(ui, "scrollable", "true"), P_SCROLL);
    tl_ui_free(ui);
}

Test(ui_selector, several_keys_must_all_hold)
{
    tl_ui *ui = parse(SETTINGS);
    tl_selector *s = sel("class", "Switch", "checked", "false", NULL);
    cr_expect_eq(find_pos(ui, s), P_DARK);
    tl_selector_free(s);
    s = sel("class", "Switch", "checked", "true", NULL);
    cr_expect_eq(find_pos(ui, s), P_WIFI);
    tl_selector_free(s);
    s = sel("text", "Wi-Fi", "checked", "false", NULL);
    cr_expect_eq(find_pos(ui, s), -1);
    tl_selector_free(s);
    s = sel("class", "Button", "enabled", "true", NULL);
    cr_expect_eq(find_pos(ui, s), P_CANCEL);
    tl_selector_free(s);
    s = sel("id", "switch_widget", "text", "/^W/", "package", "com.android.settings", "clickable",
            "true", NULL);
    cr_expect_eq(find_pos(ui, s), P_WIFI);
    tl_selector_free(s);
    tl_ui_free(ui);
}

/* A clickable row whose texts are shown on its line: the listing reads
 * `LinearLayout "About phone" "Android version 14"`, so a selector naming the row's class and
 * one of those texts finds the row; a text matched by its own element still wins. */
Test(ui_selector, row_found_through_the_labels_on_its_line)
{
    tl_ui *ui = parse(SCREEN("<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
                             "bounds=\"[0,100][1080,300]\">"
                             "<node class=\"android.widget.TextView\" text=\"About phone\" "
                             "bounds=\"[40,120][600,180]\"/>"
                             "<node class=\"android.widget.TextView\" text=\"Android version 14\" "
                             "bounds=\"[40,200][600,260]\"/>"
                             "</node>"
                             "<node class=\"android.widget.TextView\" text=\"About phone\" "
                             "bounds=\"[0,400][1080,500]\"/>"));
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_eq(el[1].label_first, 2, "the row does not show its texts: the fixture is wrong");
    tl_selector *s = sel("class", "LinearLayout", "text", "/about/i", NULL);
    cr_expect_eq(find_pos(ui, s), 1);
    tl_selector_free(s);
    s = sel("class", "LinearLayout", "text", "Android version 14", NULL);
    cr_expect_eq(find_pos(ui, s), 1);
    tl_selector_free(s);
    s = sel("class", "LinearLayout", "text", "Battery", NULL);
    cr_expect_eq(find_pos(ui, s), -1);
    tl_selector_free(s);
    /* the element's own text first: the absorbed TextView reads first */
    cr_expect_eq(find1(ui, "text", "About phone"), 2);
    /* tl_selector_match looks at one element only */
    s = sel("class", "LinearLayout", "text", "/about/i", NULL);
    cr_expect(!tl_selector_match(s, &el[1]));
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, match_checks_one_element)
{
    tl_ui *ui = parse(SETTINGS);
    const tl_element *el = tl_ui_elements(ui);
    tl_selector *s = sel("class", "Switch", "checked", "true", NULL);
    cr_expect(!tl_selector_match(s, &el[P_DARK]));
    cr_expect(tl_selector_match(s, &el[P_WIFI]));
    cr_expect(!tl_selector_match(s, &el[P_OK]));
    tl_selector_free(s);
    tl_ui_free(ui);
}

/* ---- order and visibility ------------------------------------------------------------------ */

Test(ui_selector, first_match_in_reading_order)
{
    tl_ui *ui = parse(
        SCREEN("<node class=\"android.widget.TextView\" text=\"C\" bounds=\"[0,500][1080,600]\"/>"
               "<node class=\"android.widget.TextView\" text=\"B\" bounds=\"[500,100][1080,200]\"/>"
               "<node class=\"android.widget.TextView\" text=\"A\" bounds=\"[0,100][500,200]\"/>"
               "<node class=\"android.widget.TextView\" text=\"D\" bounds=\"[0,100][500,150]\"/>"));
    const tl_element *el = tl_ui_elements(ui);
    cr_expect_eq(find1(ui, "text", "/^[ABCD]$/"), 3, "smallest top, then left, then document");
    cr_expect_str_eq(el[3].text, "A");
    cr_expect_eq(find1(ui, "text", "/^[BCD]$/"), 4, "same top and left: D (top 100, left 0)");
    cr_expect_eq(find1(ui, "text", "/^[BC]$/"), 2, "B: top 100 beats C's 500");
    cr_expect_eq(find1(ui, "text", "/^C$/"), 1);
    tl_ui_free(ui);
}

Test(ui_selector, reading_order_uses_the_visible_area)
{
    /* the list item starts above the scroll area but is seen from its top edge */
    tl_ui *ui =
        parse(SCREEN("<node class=\"android.widget.Button\" text=\"Item\" clickable=\"true\" "
                     "bounds=\"[0,300][1080,400]\"/>"
                     "<node class=\"android.widget.ScrollView\" scrollable=\"true\" "
                     "bounds=\"[0,500][1080,900]\">"
                     "<node class=\"android.widget.Button\" text=\"Item\" clickable=\"true\" "
                     "bounds=\"[0,200][1080,600]\"/></node>"));
    tl_selector *s = sel("text", "Item", NULL);
    const tl_element *e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_eq(e->visible.top, 300);
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, only_visible_elements_are_found)
{
    tl_ui *ui = parse(SETTINGS);
    const tl_element *el = tl_ui_elements(ui);
    tl_selector *s = sel("text", "Hidden", NULL);
    cr_expect(tl_selector_match(s, &el[P_HIDDEN]), "match itself ignores visibility");
    cr_expect_null(tl_ui_find(ui, s));
    tl_selector_free(s);
    s = sel("text", "Offscreen", NULL);
    cr_expect(tl_selector_match(s, &el[P_OFFSCREEN]));
    cr_expect_null(tl_ui_find(ui, s));
    tl_selector_free(s);
    s = sel("text", "/^(Hidden|Offscreen|Home)$/", NULL);
    cr_expect_eq(find_pos(ui, s), P_HOME);
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, empty_selector_matches_the_first_visible_element)
{
    tl_ui *ui = parse(SETTINGS);
    tl_selector *s = tl_selector_new();
    cr_assert_not_null(s);
    cr_expect(tl_selector_empty(s));
    cr_expect_eq(find_pos(ui, s), P_ROOT);
    tl_error err = {0};
    cr_assert_eq(tl_selector_set(s, "checked", "false", &err), TL_OK);
    cr_expect(!tl_selector_empty(s));
    tl_selector_free(s);
    s = sel("text", "x", NULL);
    cr_expect(!tl_selector_empty(s));
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, nothing_found_on_an_empty_screen)
{
    tl_ui *ui = parse("<hierarchy rotation=\"0\"/>");
    tl_selector *s = tl_selector_new();
    cr_expect_null(tl_ui_find(ui, s));
    const tl_element *out[4];
    cr_expect_eq(tl_ui_closest(ui, s, out, 4), 0);
    tl_selector_free(s);
    tl_ui_free(ui);
}

/* ---- describe and errors ------------------------------------------------------------------- */

Test(ui_selector, describe)
{
    tl_selector *s =
        sel("checked", "true", "text", "/^Dark/i", "id", "sw", "enabled", "false", NULL);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_selector_describe(s, &b), TL_OK);
    cr_expect_str_eq(b.data, "{text: \"/^Dark/i\", id: \"sw\", checked: true, enabled: false}");
    tl_buf_clear(&b);
    tl_selector_free(s);
    s = tl_selector_new();
    cr_assert_eq(tl_selector_describe(s, &b), TL_OK);
    cr_expect_str_eq(b.data, "{}");
    tl_selector_free(s);
    s = sel("text", "say \"hi\"", NULL);
    tl_buf_clear(&b);
    cr_assert_eq(tl_selector_describe(s, &b), TL_OK);
    cr_expect_str_eq(b.data, "{text: \"say \\\"hi\\\"\"}");
    tl_selector_free(s);
    tl_buf_dispose(&b);
}

Test(ui_selector, unknown_key)
{
    tl_error err;
    cr_expect_eq(set_error(NULL, NULL, "colour", "red", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "unknown selector key \"colour\""), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "scrollable"), "lists the keys: %s", err.msg);
    cr_expect_eq(set_error(NULL, NULL, "Text", "x", &err), TL_EUSAGE, "keys are case-sensitive");
}

Test(ui_selector, repeated_key)
{
    tl_error err;
    cr_expect_eq(set_error("text", "a", "text", "b", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "text"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "twice"), "%s", err.msg);
    cr_expect_eq(set_error("text", "/a/", "text", "/b/", &err), TL_EUSAGE);
    cr_expect_eq(set_error("checked", "true", "checked", "true", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "checked"), "%s", err.msg);
    cr_expect_eq(set_error("checked", "false", "checked", "false", &err), TL_EUSAGE);
}

Test(ui_selector, bad_boolean)
{
    tl_error err;
    const char *bad[] = {"yes", "1", "TRUE", "", "true "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(set_error(NULL, NULL, "enabled", bad[i], &err), TL_EUSAGE, "\"%s\"", bad[i]);
        cr_expect_not_null(strstr(err.msg, "true or false"), "%s", err.msg);
        cr_expect_not_null(strstr(err.msg, "enabled"), "%s", err.msg);
    }
}

Test(ui_selector, bad_regex_reports_pcre2_error_and_offset)
{
    tl_error err;
    cr_expect_eq(set_error(NULL, NULL, "text", "/(abc/", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "selector text"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "/(abc/"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "missing closing parenthesis"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "at offset 4"), "%s", err.msg);

    cr_expect_eq(set_error(NULL, NULL, "desc", "/a{2,1}/", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "selector desc"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "at offset"), "%s", err.msg);

    cr_expect_eq(set_error(NULL, NULL, "id", "/[z-a]/", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "range out of order"), "%s", err.msg);
}

Test(ui_selector, unknown_regex_flag)
{
    tl_error err;
    cr_expect_eq(set_error(NULL, NULL, "text", "/abc/g", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "'g'"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "only i"), "%s", err.msg);
    cr_expect_eq(set_error(NULL, NULL, "text", "/abc/ix", &err), TL_EUSAGE);
    cr_expect_not_null(strstr(err.msg, "'x'"), "%s", err.msg);
    cr_expect_eq(set_error(NULL, NULL, "text", "/abc/ii", &err), TL_OK);
}

Test(ui_selector, failed_set_leaves_the_key_free)
{
    tl_selector *s = tl_selector_new();
    tl_error err = {0};
    cr_assert_eq(tl_selector_set(s, "text", "/(/", &err), TL_EUSAGE);
    cr_expect_eq(tl_selector_set(s, "text", "/ok/", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_selector_set(s, "checked", "maybe", &err), TL_EUSAGE);
    cr_expect_eq(tl_selector_set(s, "checked", "true", &err), TL_OK, "%s", err.msg);
    tl_selector_free(s);
}

/* ---- closest candidates -------------------------------------------------------------------- */

Test(ui_selector, closest_ranks_near_misses_first)
{
    tl_ui *ui = parse(SETTINGS);
    const tl_element *out[8];
    tl_selector *s = sel("text", "Dark them", NULL);
    size_t n = tl_ui_closest(ui, s, out, 8);
    cr_assert_geq(n, 1);
    cr_expect_eq(tl_ui_pos(ui, out[0]), P_DARK);
    tl_selector_free(s);

    s = sel("text", "dark THEME", NULL);
    n = tl_ui_closest(ui, s, out, 8);
    cr_assert_geq(n, 1);
    cr_expect_eq(tl_ui_pos(ui, out[0]), P_DARK);
    tl_selector_free(s);

    s = sel("text", "/^wifi$/", NULL);
    n = tl_ui_closest(ui, s, out, 8);
    cr_assert_geq(n, 1);
    cr_expect_eq(tl_ui_pos(ui, out[0]), P_WIFI);
    tl_selector_free(s);

    s = sel("desc", "More option", NULL);
    n = tl_ui_closest(ui, s, out, 8);
    cr_assert_geq(n, 1);
    cr_expect_eq(tl_ui_pos(ui, out[0]), P_MORE);
    tl_selector_free(s);

    /* never more than asked, and never hidden elements */
    s = sel("text", "/e/", NULL);
    n = tl_ui_closest(ui, s, out, 2);
    cr_expect_leq(n, 2);
    for (size_t i = 0; i < n; i++)
        cr_expect(out[i]->flags & TL_EL_TAPPABLE);
    tl_selector_free(s);
    s = sel("text", "Hiden", NULL);
    n = tl_ui_closest(ui, s, out, 8);
    for (size_t i = 0; i < n; i++)
        cr_expect_neq(tl_ui_pos(ui, out[i]), P_HIDDEN);
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, closest_is_sorted_by_similarity)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.TextView\" text=\"Battery\" bounds=\"[0,100][1080,200]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Battery saver\" "
        "bounds=\"[0,200][1080,300]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Batery usage\" "
        "bounds=\"[0,300][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Bluetooth\" "
        "bounds=\"[0,400][1080,500]\"/>"));
    tl_selector *s = sel("text", "Battery saving", NULL);
    const tl_element *out[4];
    size_t n = tl_ui_closest(ui, s, out, 4);
    cr_assert_geq(n, 2);
    cr_expect_str_eq(out[0]->text, "Battery saver");
    tl_selector_free(s);
    tl_ui_free(ui);
}

static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(ui_selector, describe_miss_lists_selector_and_candidate_lines)
{
    tl_ui *ui = parse(SETTINGS);
    tl_selector *s = sel("text", "Dark them", NULL);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_describe_miss(ui, s, 3, &b), TL_OK);
    const char *want = "no visible element matches {text: \"Dark them\"}; closest candidates:\n"
                       "  [2] Switch \"Dark theme\" checked=false clickable (540,350)";
    cr_expect_eq(strncmp(b.data, want, strlen(want)), 0, "got:\n%s", b.data);
    cr_expect_leq(count_str(b.data, "\n  ["), 3, "at most 3 candidates:\n%s", b.data);
    cr_expect_null(strstr(b.data, "Hidden"));
    tl_selector_free(s);

    /* a limit of 1 gives one line */
    s = sel("text", "/^Wi-Fy$/", "checked", "true", NULL);
    tl_buf_clear(&b);
    cr_assert_eq(tl_ui_describe_miss(ui, s, 1, &b), TL_OK);
    cr_expect_str_eq(b.data, "no visible element matches {text: \"/^Wi-Fy$/\", checked: true}; "
                             "closest candidates:\n"
                             "  [3] Switch \"Wi-Fi\" checked=true clickable (540,550)");
    tl_selector_free(s);

    /* nothing similar */
    s = sel("text", "zqxjv", NULL);
    tl_buf_clear(&b);
    cr_assert_eq(tl_ui_describe_miss(ui, s, 5, &b), TL_OK);
    char want2[256];
    snprintf(want2, sizeof(want2),
             "no visible element matches {text: \"zqxjv\"} (nothing similar among %zu listed "
             "elements)",
             tl_ui_listed_count(ui));
    cr_expect_str_eq(b.data, want2);
    tl_selector_free(s);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_selector, describe_miss_shows_absorbed_text_through_its_line)
{
    tl_ui *ui = parse(SCREEN(
        "<node class=\"android.widget.LinearLayout\" clickable=\"true\" "
        "bounds=\"[0,300][1080,500]\">"
        "<node class=\"android.widget.TextView\" text=\"Display\" bounds=\"[150,320][1080,400]\"/>"
        "<node class=\"android.widget.TextView\" text=\"Brightness\" "
        "bounds=\"[150,400][1080,480]\"/>"
        "</node>"));
    tl_selector *s = sel("text", "Displai", NULL);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ui_describe_miss(ui, s, 2, &b), TL_OK);
    const char *want = "no visible element matches {text: \"Displai\"}; closest candidates:\n"
                       "  [1] LinearLayout \"Display\" \"Brightness\" clickable (540,400)"
                       "  <- \"Display\"";
    cr_expect_eq(strncmp(b.data, want, strlen(want)), 0, "got:\n%s", b.data);
    tl_buf_dispose(&b);
    tl_selector_free(s);
    tl_ui_free(ui);
}

Test(ui_selector, catastrophic_regex_is_bounded, .timeout = 30)
{
    char as[600];
    memset(as, 'a', sizeof(as) - 2);
    as[sizeof(as) - 2] = 'b';
    as[sizeof(as) - 1] = '\0';
    char xml[2048];
    snprintf(xml, sizeof(xml),
             SCREEN("<node class=\"android.widget.TextView\" text=\"%s\" "
                    "bounds=\"[0,100][1080,200]\"/>"
                    "<node class=\"android.widget.TextView\" text=\"aaaa\" "
                    "bounds=\"[0,300][1080,400]\"/>"),
             as);
    tl_ui *ui = parse(xml);
    tl_selector *s = sel("text", "/(a+)+$/", NULL);
    const tl_element *e = tl_ui_find(ui, s);
    /* the long text fails (match limit), the search goes on to the short one */
    cr_assert_not_null(e);
    cr_expect_str_eq(e->text, "aaaa");
    tl_selector_free(s);

    s = sel("text", "/^(a|aa)+$/", NULL);
    e = tl_ui_find(ui, s);
    cr_assert_not_null(e);
    cr_expect_str_eq(e->text, "aaaa");
    tl_selector_free(s);
    tl_ui_free(ui);
}
