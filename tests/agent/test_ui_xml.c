/*
 * test_ui_xml.c - the uiautomator dump parser (agent/ui_xml.c): the real dumps, entities and
 * character references, line endings, rotation, multi-window roots, passwords, errors and the
 * sanitising retry.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "test_helpers.h"

#define HEAD "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
#define TAIL "</hierarchy>"
#define ATTRS                                                                                     \
    "index=\"0\" resource-id=\"\" package=\"com.ex\" checkable=\"false\" "                        \
    "checked=\"false\" clickable=\"true\" enabled=\"true\" focusable=\"true\" focused=\"false\" " \
    "scrollable=\"false\" long-clickable=\"false\" password=\"false\" selected=\"false\""

static void parse_ok(tl_ui *ui, const char *doc, const tl_ui_options *opts)
{
    tl_error err = {0};
    int rc = tl_ui_parse(ui, doc, strlen(doc), opts, &err);
    cr_assert_eq(rc, TL_OK, "parse failed (%d): %s\n  doc: %.300s", rc, err.msg, doc);
    cr_assert_eq(tl_ui_get_info(ui)->format, TL_UI_FORMAT_UIAUTOMATOR);
}

static void parse_fails(tl_ui *ui, const char *doc, const char *needle)
{
    tl_error err = {0};
    int rc = tl_ui_parse(ui, doc, strlen(doc), NULL, &err);
    cr_assert_eq(rc, TL_EPARSE, "rc %d for: %.300s (msg: %s)", rc, doc, err.msg);
    cr_assert_eq(err.code, TL_EPARSE);
    if (needle)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\" (doc: %.200s)", err.msg,
                  needle, doc);
    cr_assert_eq(tl_ui_count(ui), 0, "index not emptied after an error");
    cr_assert_eq(tl_ui_listed_count(ui), 0);
    cr_assert_eq(tl_ui_get_info(ui)->rotation, 0);
}

/* Parse a fixture file from ui/. */
static char *parse_fixture(tl_ui *ui, const char *name, const tl_ui_options *opts)
{
    char rel[512];
    snprintf(rel, sizeof rel, "ui/%s", name);
    size_t len;
    char *doc = read_fixture(rel, &len);
    tl_error err = {0};
    int rc = tl_ui_parse(ui, doc, len, opts, &err);
    cr_assert_eq(rc, TL_OK, "%s: %s", name, err.msg);
    return doc;
}

/* ---- the real dumps ------------------------------------------------------------------------ */

Test(ui_xml, fixtures_parse_with_sources_md_counts)
{
    static const struct {
        const char *file;
        int w, h, rotation;
    } screens[] = {
        {"androidmcp-youtube-multiline-attrs.xml", 1344, 2992, 0},
        {"douyinhelper-douyin-video-zh.xml", 1080, 2032, 0},
        {"macyolo-hermes-password-field.xml", 1080, 2340, 0},
        {"mobileenv-gmail-welcome.xml", 1080, 1794, 0},
        {"nkumedgemma-camera-numeric-refs.xml", 1080, 2340, 0},
        {"ultranavbar-tablet-landscape-launcher-ko.xml", 2000, 1128, 1},
        {"ultranavbar-tablet-landscape-splitscreen.xml", 2000, 1128, 1},
        {"visiontest-systemui-launcher-multiwindow.xml", 1080, 2400, 0},
        {"xiaocong-uiautomator-launcher-jb-480x800.xml", 480, 800, 0},
    };
    char *md = read_fixture("ui/SOURCES.md", NULL);
    char **names;
    size_t n = list_fixtures("ui", ".xml", &names);
    cr_assert_eq(n, sizeof screens / sizeof screens[0], "expected 9 XML fixtures, found %zu", n);
    tl_ui *ui = tl_ui_new();
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(names[i], screens[i].file);
        long want = sources_md_nodes(md, names[i]);
        cr_assert_gt(want, 0, "%s has no node count in SOURCES.md", names[i]);
        char *doc = parse_fixture(ui, names[i], NULL);
        cr_assert_eq(tl_ui_count(ui), (size_t)want, "%s: %zu nodes, SOURCES.md says %ld", names[i],
                     tl_ui_count(ui), want);
        const tl_ui_info *in = tl_ui_get_info(ui);
        cr_assert_eq(in->format, TL_UI_FORMAT_UIAUTOMATOR);
        cr_assert_eq(in->screen_w, screens[i].w, "%s: width %d", names[i], in->screen_w);
        cr_assert_eq(in->screen_h, screens[i].h, "%s: height %d", names[i], in->screen_h);
        cr_assert_eq(in->rotation, screens[i].rotation, "%s: rotation", names[i]);
        cr_assert_gt(tl_ui_listed_count(ui), 0, "%s: nothing listed", names[i]);
        check_ui_structure(ui, names[i], true);
        check_ui_json_export(ui, names[i]);
        /* Every element of a uiautomator dump carries state flags. */
        for (size_t k = 0; k < tl_ui_count(ui); k++)
            cr_assert_not(tl_ui_elements(ui)[k].flags & TL_EL_FLAGS_UNKNOWN, "%s [%zu]", names[i],
                          k);
        tl_buf out;
        ui_outputs(ui, &out);
        tl_buf_dispose(&out);
        free(doc);
    }
    free_names(names, n);
    free(md);
    tl_ui_free(ui);
}

Test(ui_xml, entities_and_numeric_references)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "nkumedgemma-camera-numeric-refs.xml", NULL);
    const tl_element *el = tl_ui_elements(ui);
    /* &#128247; is U+1F4F7, written as four UTF-8 bytes; the em dash is raw UTF-8. */
    cr_assert_str_eq(el[15].text, "\xF0\x9F\x93\xB7 Uses rear camera \xE2\x80\x94 place patient's "
                                  "fingertip over lens");
    cr_assert(rect_eq(el[15].bounds, 128, 1287, 952, 1353));
    /* The single-quoted attribute holds double quotes, and &#10; is a newline. */
    cr_assert_str_eq(el[18].text, "1. Tap \"Start Measurement\" above\n2. Place fingertip over the "
                                  "back camera\n3. The flashlight turns on automatically\n4. Hold "
                                  "still for 10 seconds\n5. Heart rate appears when the buffer "
                                  "fills");
    cr_assert_str_eq(el[18].cls, "android.widget.TextView");
    cr_assert_str_eq(el[18].pkg, "com.nku.app");
    free(doc);

    doc = parse_fixture(ui, "visiontest-systemui-launcher-multiwindow.xml", NULL);
    cr_assert_str_eq(tl_ui_elements(ui)[11].desc,
                     "Security & privacy notification: Set a screen lock");
    free(doc);

    /* Every named entity, hex and decimal references, both quote styles. */
    parse_ok(ui,
             HEAD "<node " ATTRS " class=\"T\" bounds=\"[0,0][10,10]\" "
                  "text=\"&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos; &#x1F600;&#x41;&#65;&#9;x"
                  "&#13;&#10;y\" content-desc='say &quot;hi&quot; &apos;there&apos;' />" TAIL,
             NULL);
    el = tl_ui_elements(ui);
    cr_assert_str_eq(el->text, "<a> & \"q\" 's' \xF0\x9F\x98\x80"
                               "AA\tx\r\ny");
    cr_assert_str_eq(el->desc, "say \"hi\" 'there'");

    /* Literal line breaks and tabs inside a value are normalised to spaces (XML 1.0 §3.3.3),
     * CRLF included; references to them are kept. */
    parse_ok(ui,
             HEAD "<node " ATTRS " class=\"T\" bounds=\"[0,0][10,10]\" text=\"a\r\nb\tc\nd\" "
                  "content-desc=\"e&#10;f\"/>" TAIL,
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a b c d");
    cr_assert_str_eq(tl_ui_elements(ui)->desc, "e\nf");
    /* An undefined entity is an error. */
    parse_fails(ui, HEAD "<node " ATTRS " text=\"&nbsp;\" bounds=\"[0,0][1,1]\"/>" TAIL, "line 1");
    tl_ui_free(ui);
}

Test(ui_xml, crlf_and_wrapped_attributes)
{
    tl_ui *ui = tl_ui_new();
    /* Pretty-printed with CRLF. */
    char *doc = parse_fixture(ui, "xiaocong-uiautomator-launcher-jb-480x800.xml", NULL);
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_str_eq(el[1].id, "com.android.launcher:id/workspace");
    cr_assert(el[1].flags & TL_EL_SCROLLABLE);
    cr_assert(rect_eq(el[1].bounds, 0, 38, 480, 800));
    cr_assert_str_eq(el[2].desc, "Home screen 3");
    cr_assert_str_eq(el[2].id, "com.android.launcher:id/cell3");
    cr_assert_eq(el[2].parent, 1);
    cr_assert_str_eq(el[4].pkg, "com.android.deskclock", "nested widget of another package");
    cr_assert_str_eq(el[4].desc, "11:33");
    cr_assert_eq(el[4].parent, 3);
    cr_assert_eq(el[4].depth, 4);
    cr_assert_str_eq(el[11].text, "Browser");
    cr_assert(rect_eq(el[11].bounds, 384, 706, 480, 800));
    cr_assert_eq(el[7].parent, 6);
    cr_assert_eq(el[11].parent, 6);
    free(doc);

    /* Attributes wrapped over several lines. */
    doc = parse_fixture(ui, "androidmcp-youtube-multiline-attrs.xml", NULL);
    el = tl_ui_elements(ui);
    cr_assert_str_eq(el[6].id, "com.google.android.youtube:id/slim_status_bar_player_container");
    cr_assert_str_eq(el[6].cls, "android.widget.FrameLayout");
    cr_assert_str_eq(el[6].pkg, "com.google.android.youtube");
    cr_assert(rect_eq(el[6].bounds, 0, 0, 1344, 2992));
    cr_assert_eq(el[6].depth, 6);
    cr_assert_str_eq(el[19].desc, "Cast. Disconnected");
    cr_assert(rect_eq(el[19].bounds, 936, 151, 1080, 295));
    cr_assert(el[19].flags & TL_EL_CLICKABLE);
    free(doc);

    /* A whole dump with CR line ends only, and mixed with tabs. */
    parse_ok(ui,
             "<?xml version=\"1.0\" ?>\r<hierarchy\trotation=\"0\">\r\t<node\r\t\tclass=\"A\""
             "\r\t\tbounds=\"[0,0][100,100]\"\r\t\ttext=\"x\">\r\t\t<node class=\"B\" "
             "bounds=\"[0,0][50,50]\"\r/>\r\t</node>\r</hierarchy>\r",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 2);
    cr_assert_str_eq(tl_ui_elements(ui)[0].text, "x");
    cr_assert_str_eq(tl_ui_elements(ui)[1].cls, "B");
    cr_assert_eq(tl_ui_elements(ui)[1].parent, 0);

    /* A byte order mark, and blank lines before the document. */
    parse_ok(ui,
             "\xEF\xBB\xBF<hierarchy rotation=\"1\"><node class=\"A\" bounds=\"[0,0][9,9]\"/>"
             "</hierarchy>",
             NULL);
    cr_assert_eq(tl_ui_get_info(ui)->rotation, 1);
    parse_ok(ui,
             "\r\n\n <hierarchy rotation=\"1\"><node class=\"A\" bounds=\"[0,0][9,9]\"/>"
             "</hierarchy>",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    tl_ui_free(ui);
}

Test(ui_xml, rotation_and_landscape_screens)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "ultranavbar-tablet-landscape-launcher-ko.xml", NULL);
    const tl_ui_info *in = tl_ui_get_info(ui);
    cr_assert_eq(in->rotation, 1);
    cr_assert_eq(in->screen_w, 2000);
    cr_assert_eq(in->screen_h, 1128);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_ui_summary(ui, &out);
    cr_assert(strstr(out.data, "2000x1128 rotation 1"), "%s", out.data);
    tl_buf_dispose(&out);
    free(doc);

    /* The split-screen root starts at x=176; the screen is still 2000 wide. */
    doc = parse_fixture(ui, "ultranavbar-tablet-landscape-splitscreen.xml", NULL);
    cr_assert(rect_eq(tl_ui_elements(ui)[0].bounds, 176, 0, 2000, 1128));
    cr_assert_eq(in->rotation, 1);
    cr_assert_eq(in->screen_w, 2000);
    cr_assert_eq(in->screen_h, 1128);
    check_ui_structure(ui, "splitscreen", true);
    free(doc);

    /* Every rotation value; anything else is refused. */
    const char *rot[] = {"0", "1", "2", "3"};
    char buf[512];
    for (int r = 0; r < 4; r++) {
        snprintf(buf, sizeof buf,
                 "<hierarchy rotation=\"%s\"><node class=\"A\" bounds=\"[0,0][30,20]\"/>"
                 "</hierarchy>",
                 rot[r]);
        parse_ok(ui, buf, NULL);
        cr_assert_eq(tl_ui_get_info(ui)->rotation, r);
    }
    const char *bad[] = {"4", "-1", "01", "", "1.0", "one", " 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf,
                 "<hierarchy rotation=\"%s\"><node class=\"A\" bounds=\"[0,0][30,20]\"/>"
                 "</hierarchy>",
                 bad[i]);
        parse_fails(ui, buf, "rotation");
    }
    /* No rotation attribute (MobileGPT-style dumps): natural orientation. */
    parse_ok(ui, "<hierarchy><node class=\"A\" bounds=\"[0,0][30,20]\"/></hierarchy>", NULL);
    cr_assert_eq(tl_ui_get_info(ui)->rotation, 0);
    tl_ui_free(ui);
}

Test(ui_xml, display_size_hint_is_rotated)
{
    tl_ui *ui = tl_ui_new();
    /* Natural portrait 1200x2100 reported by the driver; the dump is rotated: 2100x1200. */
    tl_ui_options o = {.display_w = 1200, .display_h = 2100};
    char *doc = parse_fixture(ui, "ultranavbar-tablet-landscape-launcher-ko.xml", &o);
    const tl_ui_info *in = tl_ui_get_info(ui);
    cr_assert_eq(in->screen_w, 2100, "width %d", in->screen_w);
    cr_assert_eq(in->screen_h, 1200, "height %d", in->screen_h);
    free(doc);
    /* Natural orientation: used as is. */
    doc = parse_fixture(ui, "mobileenv-gmail-welcome.xml", &o);
    cr_assert_eq(in->screen_w, 1200);
    cr_assert_eq(in->screen_h, 2100);
    free(doc);
    char buf[256];
    for (int r = 0; r < 4; r++) {
        snprintf(buf, sizeof buf,
                 "<hierarchy rotation=\"%d\"><node class=\"A\" bounds=\"[0,0][30,20]\"/>"
                 "</hierarchy>",
                 r);
        parse_ok(ui, buf, &o);
        cr_assert_eq(in->screen_w, r % 2 ? 2100 : 1200, "rotation %d", r);
        cr_assert_eq(in->screen_h, r % 2 ? 1200 : 2100, "rotation %d", r);
    }
    /* Only one side known: ignored, the roots give the screen. */
    tl_ui_options half = {.display_w = 1200};
    parse_ok(ui,
             "<hierarchy rotation=\"1\"><node class=\"A\" bounds=\"[0,0][30,20]\"/></hierarchy>",
             &half);
    cr_assert_eq(in->screen_w, 30);
    cr_assert_eq(in->screen_h, 20);
    tl_ui_free(ui);
}

Test(ui_xml, multi_window_roots)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "visiontest-systemui-launcher-multiwindow.xml", NULL);
    const tl_element *el = tl_ui_elements(ui);
    size_t n = tl_ui_count(ui);
    int32_t roots[8];
    size_t nroots = 0;
    for (size_t i = 0; i < n && nroots < 8; i++)
        if (el[i].parent == -1)
            roots[nroots++] = (int32_t)i;
    cr_assert_eq(nroots, 2, "%zu roots", nroots);
    cr_assert_eq(roots[0], 0);
    cr_assert_eq(el[0].next_sibling, roots[1]);
    cr_assert_eq(el[0].end, roots[1]);
    cr_assert_str_eq(el[0].pkg, "com.android.systemui");
    cr_assert(rect_eq(el[0].bounds, 0, 0, 1080, 132));
    cr_assert_str_eq(el[roots[1]].pkg, "de.vorwerk.homee.homee");
    cr_assert(rect_eq(el[roots[1]].bounds, 0, 0, 1080, 2400));
    cr_assert_eq(el[roots[1]].depth, 0);
    cr_assert_eq(el[roots[1]].end, (int32_t)n);
    /* The screen is the union of the roots, not the first one. */
    cr_assert_eq(tl_ui_get_info(ui)->screen_w, 1080);
    cr_assert_eq(tl_ui_get_info(ui)->screen_h, 2400);
    /* Elements of the app window lie outside the first root and are still tappable. */
    size_t tappable_below = 0;
    for (size_t i = (size_t)roots[1]; i < n; i++)
        tappable_below += (el[i].flags & TL_EL_TAPPABLE) && el[i].visible.top >= 132;
    cr_assert_gt(tappable_below, 0);
    free(doc);

    /* <window> wrappers and unknown elements between nodes do not break the links. */
    parse_ok(ui,
             "<hierarchy rotation=\"0\"><window id=\"1\"><node class=\"A\" bounds=\"[0,0][100,50]"
             "\"><extra><node class=\"A1\" bounds=\"[0,0][10,10]\"/></extra><node class=\"A2\" "
             "bounds=\"[10,0][20,10]\"/></node></window><window><node class=\"B\" "
             "bounds=\"[0,50][100,200]\"/></window></hierarchy>",
             NULL);
    el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 4);
    cr_assert_str_eq(el[1].cls, "A1");
    cr_assert_eq(el[1].parent, 0);
    cr_assert_eq(el[1].next_sibling, 2);
    cr_assert_eq(el[2].parent, 0);
    cr_assert_str_eq(el[3].cls, "B");
    cr_assert_eq(el[3].parent, -1);
    cr_assert_eq(el[0].next_sibling, 3);
    cr_assert_eq(tl_ui_get_info(ui)->screen_h, 200);
    check_ui_structure(ui, "windows", true);
    tl_ui_free(ui);
}

Test(ui_xml, zero_size_bounds_are_not_tappable)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "mobileenv-gmail-welcome.xml", NULL);
    const tl_element *e = &tl_ui_elements(ui)[19];
    cr_assert_str_eq(e->id, "android:id/navigationBarBackground");
    cr_assert(rect_eq(e->bounds, 0, 0, 0, 0));
    cr_assert_not(e->flags & TL_EL_TAPPABLE);
    cr_assert_not(e->flags & TL_EL_LISTED);
    cr_assert_eq(e->index, 0);
    free(doc);
    /* Even clickable and labelled. */
    parse_ok(ui,
             HEAD "<node " ATTRS " class=\"B\" text=\"Zero\" bounds=\"[5,5][5,40]\"/><node " ATTRS
                  " class=\"B\" text=\"Flat\" bounds=\"[5,5][40,5]\"/><node " ATTRS
                  " class=\"B\" text=\"Real\" bounds=\"[0,0][40,40]\"/>" TAIL,
             NULL);
    cr_assert_not(tl_ui_elements(ui)[0].flags & TL_EL_TAPPABLE);
    cr_assert_not(tl_ui_elements(ui)[1].flags & TL_EL_TAPPABLE);
    cr_assert(tl_ui_elements(ui)[2].flags & TL_EL_LISTED);
    cr_assert_eq(tl_ui_listed_count(ui), 1);
    tl_ui_free(ui);
}

/* ---- passwords and flags ------------------------------------------------------------------- */

Test(ui_xml, password_field_is_masked_and_flagged)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "macyolo-hermes-password-field.xml", NULL);
    const tl_element *el = tl_ui_elements(ui);
    const tl_element *pw = &el[38];
    cr_assert_str_eq(pw->id, "gateway-api-key-input");
    cr_assert_str_eq(pw->text, TL_UI_MASK);
    cr_assert_str_eq(pw->hint, "sk-...");
    cr_assert(pw->flags & TL_EL_PASSWORD);
    cr_assert(pw->flags & TL_EL_EDITABLE, "EditText is editable");
    cr_assert(pw->flags & TL_EL_LISTED);
    cr_assert(rect_eq(pw->bounds, 111, 1367, 969, 1502));
    const tl_element *url = &el[36];
    cr_assert_str_eq(url->text, "http://127.0.0.1:8642");
    cr_assert(url->flags & TL_EL_EDITABLE);
    cr_assert_not(url->flags & TL_EL_PASSWORD);
    cr_assert_str_eq(url->hint, "https://xxxx.ngrok-free.app");
    tl_buf out;
    ui_outputs(ui, &out);
    cr_assert_null(strstr(out.data, TL_UI_MASK "\xE2\x80\xA2"), "unmasked text leaked");
    cr_assert_not_null(strstr(out.data, "hint=\"sk-...\""), "hint not listed");
    tl_buf_dispose(&out);
    free(doc);

    /* A real secret, focused, attributes in another order. */
    parse_ok(ui,
             HEAD "<node bounds=\"[0,0][500,100]\" password=\"true\" text=\"hunter2-xml\" "
                  "focused=\"true\" class=\"android.widget.EditText\" resource-id=\"a:id/pw\"/>"
                  "<node class=\"android.widget.TextView\" text=\"hunter2-xml is not here\" "
                  "bounds=\"[0,100][500,200]\"/>" TAIL,
             NULL);
    el = tl_ui_elements(ui);
    cr_assert_str_eq(el[0].text, TL_UI_MASK);
    cr_assert_eq(tl_ui_get_info(ui)->focused, 0);
    cr_assert_str_eq(el[1].text, "hunter2-xml is not here", "only the password field is masked");
    ui_outputs(ui, &out);
    cr_assert_null(strstr(out.data, "\"hunter2-xml\""));
    tl_buf_dispose(&out);
    tl_ui_free(ui);
}

Test(ui_xml, flags_and_editable_classes)
{
    tl_ui *ui = tl_ui_new();
    parse_ok(ui,
             HEAD
             "<node class=\"android.widget.EditText\" bounds=\"[0,0][9,9]\"/>"
             "<node class=\"androidx.appcompat.widget.AppCompatEditText\" bounds=\"[0,0][9,9]\"/>"
             "<node class=\"android.widget.AutoCompleteTextView\" bounds=\"[0,0][9,9]\"/>"
             "<node class=\"android.widget.TextView\" bounds=\"[0,0][9,9]\"/>"
             "<node NAF=\"true\" index=\"3\" class=\"android.widget.Switch\" checkable=\"true\" "
             "checked=\"True\" clickable=\"true\" long-clickable=\"true\" enabled=\"False\" "
             "focusable=\"true\" focused=\"false\" scrollable=\"true\" selected=\"true\" "
             "visible-to-user=\"true\" drawing-order=\"7\" display-id=\"0\" bounds=\"[0,0][9,9]\"/>"
             "<node class=\"android.view.View\" visible-to-user=\"false\" clickable=\"true\" "
             "text=\"hidden\" bounds=\"[0,0][9,9]\"/>" TAIL,
             NULL);
    const tl_element *el = tl_ui_elements(ui);
    cr_assert(el[0].flags & TL_EL_EDITABLE);
    cr_assert(el[1].flags & TL_EL_EDITABLE);
    cr_assert(el[2].flags & TL_EL_EDITABLE);
    cr_assert_not(el[3].flags & TL_EL_EDITABLE);
    cr_assert(el[0].flags & TL_EL_ENABLED, "enabled unless the dump says not");
    const uint32_t all = TL_EL_CHECKABLE | TL_EL_CHECKED | TL_EL_CLICKABLE | TL_EL_LONG_CLICKABLE |
                         TL_EL_FOCUSABLE | TL_EL_SCROLLABLE | TL_EL_SELECTED | TL_EL_VISIBLE;
    cr_assert_eq(el[4].flags & (all | TL_EL_ENABLED | TL_EL_FOCUSED | TL_EL_EDITABLE), all,
                 "flags 0x%x", el[4].flags);
    cr_assert_not(el[5].flags & TL_EL_VISIBLE);
    cr_assert_not(el[5].flags & TL_EL_TAPPABLE, "invisible to the user");
    cr_assert_not(el[5].flags & TL_EL_LISTED);
    tl_ui_free(ui);
}

/* ---- errors -------------------------------------------------------------------------------- */

Test(ui_xml, truncated_dumps_fail_with_a_line)
{
    const char *files[] = {"xiaocong-uiautomator-launcher-jb-480x800.xml",
                           "nkumedgemma-camera-numeric-refs.xml",
                           "douyinhelper-douyin-video-zh.xml"};
    tl_ui *ui = tl_ui_new();
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char rel[512];
        snprintf(rel, sizeof rel, "ui/%s", files[f]);
        size_t len;
        char *doc = read_fixture(rel, &len);
        size_t t = len;
        while (t && (doc[t - 1] == '\n' || doc[t - 1] == '\r' || doc[t - 1] == ' '))
            t--;
        size_t step = f == 0 ? 1 : 89; /* the small file at every offset */
        for (size_t cut = 0; cut < t; cut += (cut < 100 || cut + 100 > t) ? 1 : step) {
            char *copy = malloc(cut ? cut : 1);
            cr_assert_not_null(copy);
            memcpy(copy, doc, cut);
            tl_error err = {0};
            int rc = tl_ui_parse_xml(ui, copy, cut, NULL, &err);
            cr_assert_eq(rc, TL_EPARSE, "%s cut at %zu of %zu parsed", files[f], cut, t);
            cr_assert(strstr(err.msg, "line"), "%s cut at %zu: %s", files[f], cut, err.msg);
            cr_assert_eq(tl_ui_count(ui), 0);
            free(copy);
        }
        tl_error err = {0};
        cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
        cr_assert_gt(tl_ui_count(ui), 0);
        free(doc);
    }
    tl_ui_free(ui);
}

Test(ui_xml, doctype_and_entity_declarations_are_refused)
{
    const char *laughs =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n<hierarchy rotation=\"0\"><node class=\"A\" text=\"&lol9;\" bounds=\"[0,0][1,1]\"/>"
        "<node class=\"A\" text=\"&lol9;&lol9;&lol9;&lol9;\" bounds=\"[0,0][1,1]\"/></hierarchy>";
    tl_ui *ui = tl_ui_new();
    parse_fails(ui, laughs, "DOCTYPE");
    parse_fails(ui, laughs, "line 2");
    /* External entities, and a DOCTYPE without a subset. */
    parse_fails(ui,
                "<?xml version=\"1.0\"?><!DOCTYPE h [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                "<hierarchy><node class=\"A\" text=\"&x;\" bounds=\"[0,0][1,1]\"/></hierarchy>",
                "DOCTYPE");
    parse_fails(ui, "<!DOCTYPE hierarchy SYSTEM \"http://example.invalid/x.dtd\"><hierarchy/>",
                "DOCTYPE");
    parse_fails(ui, "<!DOCTYPE hierarchy><hierarchy/>", "DOCTYPE");
    /* Parameter entities. */
    parse_fails(ui, "<!DOCTYPE h [<!ENTITY % p \"x\"> %p;]><hierarchy/>", "DOCTYPE");
    /* The same DOCTYPE after invalid bytes that trigger the sanitising retry. */
    parse_fails(ui,
                "<!DOCTYPE h [<!ENTITY a \"aaaaaaaaaa\">]><hierarchy><node class=\"\xff\" "
                "text=\"&a;\" bounds=\"[0,0][1,1]\"/></hierarchy>",
                "line");
    tl_ui_free(ui);
}

Test(ui_xml, bad_attributes_and_documents)
{
    tl_ui *ui = tl_ui_new();
    static const char *const bounds[] = {
        "[0,0][10]", "0,0,10,10",  "[0,0][10,10",     "[a,0][1,1]",   "[0,0][10,10]x",
        "",          "[0;0][1,1]", "[0,0] [10,10] [", "[--1,0][1,1]", "[0,0][+1,1]"};
    char buf[512];
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        snprintf(buf, sizeof buf, HEAD "<node class=\"A\" bounds=\"%s\"/>" TAIL, bounds[i]);
        parse_fails(ui, buf, "bounds");
        parse_fails(ui, buf, "line 1");
    }
    /* Spaces are tolerated, and values are clamped. */
    parse_ok(ui, HEAD "<node class=\"A\" bounds=\" [ -5 , 0 ] [ 99999999999 ,10 ] \"/>" TAIL, NULL);
    cr_assert(rect_eq(tl_ui_elements(ui)->bounds, -5, 0, INT32_MAX, 10));

    static const char *const bools[] = {"yes", "1", "", "TRUE", "true ", "t"};
    const char *names[] = {"clickable", "checked", "password", "visible-to-user", "scrollable"};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        snprintf(buf, sizeof buf, HEAD "<node class=\"A\" %s=\"%s\" bounds=\"[0,0][1,1]\"/>" TAIL,
                 names[i % 5], bools[i]);
        parse_fails(ui, buf, names[i % 5]);
    }
    /* Not a uiautomator dump. */
    parse_fails(ui, "<html/>", "not a uiautomator dump");
    parse_fails(ui, "<html><body>hi</body></html>", "not a uiautomator dump");
    parse_fails(ui, "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                "not a uiautomator dump");
    /* Not well-formed. */
    parse_fails(ui, "<hierarchy><node class=\"A\" bounds=\"[0,0][1,1]\"></hierarchy>", "line 1");
    parse_fails(ui, "<hierarchy>\n<node class=\"A\" class=\"B\"/></hierarchy>", "line 2");
    parse_fails(ui, "<hierarchy>\n\n<node class=A/></hierarchy>", "line 3");
    parse_fails(ui, "<hierarchy/><hierarchy/>", "line");
    parse_fails(ui, "<hierarchy/>trailing", "line");
    parse_fails(ui, "<", "line");
    parse_fails(ui, " <hierarchy", "line");
    parse_fails(ui, "<hierarchy><node text=\"a<b\"/></hierarchy>", "line");
    parse_fails(ui, "<hierarchy><node text=\"&#xZZ;\"/></hierarchy>", "line");
    parse_fails(ui, "<hierarchy><node text=\"&#99999999999;\"/></hierarchy>", "line");
    /* An empty hierarchy is an empty screen. */
    parse_ok(ui, "<hierarchy rotation=\"0\"/>", NULL);
    cr_assert_eq(tl_ui_count(ui), 0);
    parse_ok(ui, "<hierarchy rotation=\"0\">\n</hierarchy>\n", NULL);
    cr_assert_eq(tl_ui_count(ui), 0);
    /* After all that, a real dump parses in the same index. */
    char *doc = parse_fixture(ui, "mobileenv-gmail-welcome.xml", NULL);
    cr_assert_eq(tl_ui_count(ui), 20);
    check_ui_structure(ui, "after errors", true);
    free(doc);
    tl_ui_free(ui);
}

Test(ui_xml, illegal_char_refs_and_bad_bytes_read_as_question_marks)
{
    tl_ui *ui = tl_ui_new();
    /* A reference to a character XML 1.0 forbids. */
    parse_ok(ui, HEAD "<node class=\"A\" text=\"a&#1;b\" bounds=\"[0,0][10,10]\"/>" TAIL, NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a?b");
    cr_assert_str_eq(tl_ui_elements(ui)->cls, "A");
    parse_ok(ui,
             HEAD "<node class=\"A\" text=\"&#0;&#x1F;&#xFFFE;&#xD800;&#1114112;|&#x10FFFF;\" "
                  "content-desc=\"ok &#9;\" bounds=\"[0,0][10,10]\"/>" TAIL,
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "?????|\xF4\x8F\xBF\xBF");
    cr_assert_str_eq(tl_ui_elements(ui)->desc, "ok \t");
    /* Invalid UTF-8 in attributes (orphan surrogates as the dumper writes them, stray bytes). */
    parse_ok(ui,
             HEAD "<node class=\"A\" text=\"x\xed\xa0\xbdy\" content-desc=\"\xff\xfe caf\xc3\xa9\" "
                  "resource-id=\"id\xc3\" bounds=\"[0,0][10,10]\"/>" TAIL,
             NULL);
    const tl_element *e = tl_ui_elements(ui);
    cr_assert_str_eq(e->text, "x???y");
    cr_assert_str_eq(e->desc, "?? caf\xc3\xa9");
    cr_assert_str_eq(e->id, "id?");
    /* Raw control characters. */
    parse_ok(ui,
             HEAD "<node class=\"A\" text=\"a\x01\x1f"
                  "b\" bounds=\"[0,0][10,10]\"/>" TAIL,
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a??b");
    /* Both kinds at once, in a real dump. */
    size_t len;
    char *doc = read_fixture("ui/mobileenv-gmail-welcome.xml", &len);
    char *bad = strstr(doc, "New in Gmail");
    cr_assert_not_null(bad);
    bad[3] = '\x80';
    char *ref = malloc(len + 8);
    cr_assert_not_null(ref);
    size_t at = (size_t)(bad - doc) + 4;
    memcpy(ref, doc, at);
    memcpy(ref + at, "&#2;", 4);
    memcpy(ref + at + 4, doc + at, len - at);
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, ref, len + 4, NULL, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 20);
    cr_assert_not_null(ui_find_text(ui, "New??in Gmail"), "sanitised text not found");
    check_ui_structure(ui, "sanitised", true);
    /* A document that stays broken after sanitising reports the original problem. */
    memcpy(ref + len - 5, "<<<<<", 5);
    cr_assert_eq(tl_ui_parse(ui, ref, len + 4, NULL, &err), TL_EPARSE);
    char where[64];
    snprintf(where, sizeof where, "line 1, column %zu:", at); /* the 0x80 byte, 1-based */
    cr_assert(strstr(err.msg, where), "%s (want %s)", err.msg, where);
    cr_assert_eq(tl_ui_count(ui), 0);
    free(ref);
    free(doc);
    tl_ui_free(ui);
}

Test(ui_xml, oversized_input_is_refused_and_empties_the_index)
{
    tl_ui *ui = tl_ui_new();
    char *doc = parse_fixture(ui, "mobileenv-gmail-welcome.xml", NULL);
    cr_assert_eq(tl_ui_count(ui), 20);
    /* Inputs over 2 GiB are refused up front, before a byte is read (so the length may be
     * larger than the buffer here); the previous content must not survive the error. */
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse_xml(ui, doc, ((size_t)1 << 31) + 1, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "too large"), "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 0, "the old elements survived the error");
    cr_assert_eq(tl_ui_listed_count(ui), 0);
    cr_assert_eq(tl_ui_get_info(ui)->screen_w, 0);
    free(doc);
    tl_ui_free(ui);
}
