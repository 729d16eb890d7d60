/*
 * test_ui_json.c - the Portal / Mobilerun ui-state JSON parser (agent/ui_json.c): the real
 * fixtures, every envelope and member order, escapes, errors with byte offsets and password
 * masking.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/json.h"
#include "test_helpers.h"

#define FFFD "\xEF\xBF\xBD"

/* Parse NUL-terminated JSON and require success. */
static void parse_ok(tl_ui *ui, const char *doc, const tl_ui_options *opts)
{
    tl_error err = {0};
    int rc = tl_ui_parse_json(ui, doc, strlen(doc), opts, &err);
    cr_assert_eq(rc, TL_OK, "parse failed (%d): %s\n  doc: %.300s", rc, err.msg, doc);
    cr_assert_eq(err.code, TL_OK);
}

/* Parse NUL-terminated JSON and require TL_EPARSE with `needle` in the message and an empty
 * index afterwards. */
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
}

/* ---- fixtures ------------------------------------------------------------------------------ */

Test(ui_json, ui_fixtures_parse_with_sources_md_counts)
{
    char *md = read_fixture("ui/SOURCES.md", NULL);
    char **names;
    size_t n = list_fixtures("ui", ".json", &names);
    cr_assert_eq(n, 5, "expected the 5 JSON fixtures of ui/, found %zu", n);
    tl_ui *ui = tl_ui_new();
    for (size_t i = 0; i < n; i++) {
        long want = sources_md_nodes(md, names[i]);
        cr_assert_gt(want, 0, "%s has no node count in SOURCES.md", names[i]);
        char rel[512];
        snprintf(rel, sizeof rel, "ui/%s", names[i]);
        size_t len;
        char *doc = read_fixture(rel, &len);
        tl_error err = {0};
        int rc = tl_ui_parse(ui, doc, len, NULL, &err);
        cr_assert_eq(rc, TL_OK, "%s: %s", names[i], err.msg);
        cr_assert_eq(tl_ui_count(ui), (size_t)want, "%s: %zu nodes, SOURCES.md says %ld", names[i],
                     tl_ui_count(ui), want);
        cr_assert_eq(tl_ui_get_info(ui)->format, TL_UI_FORMAT_PORTAL_LEGACY, "%s", names[i]);
        cr_assert_gt(tl_ui_listed_count(ui), 0, "%s: nothing listed", names[i]);
        check_ui_structure(ui, names[i], true);
        check_ui_json_export(ui, names[i]);
        free(doc);
    }
    free_names(names, n);
    free(md);
    tl_ui_free(ui);
}

/* The "nodes" of `file` in portal/manifest.json, and its screen; -1 when not listed. */
static long manifest_nodes(const cJSON *manifest, const char *file, int *w, int *h)
{
    const char *groups[] = {"real_adapted", "synthesized"};
    for (size_t g = 0; g < 2; g++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(manifest, groups[g]);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "file");
            if (!cJSON_IsString(f) || strcmp(f->valuestring, file) != 0)
                continue;
            const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(it, "nodes");
            const cJSON *screen = cJSON_GetObjectItemCaseSensitive(it, "screen");
            cr_assert(cJSON_IsNumber(nodes), "%s: no nodes in the manifest", file);
            cr_assert(cJSON_IsArray(screen) && cJSON_GetArraySize(screen) == 2);
            *w = cJSON_GetArrayItem(screen, 0)->valueint;
            *h = cJSON_GetArrayItem(screen, 1)->valueint;
            return (long)nodes->valuedouble;
        }
    }
    return -1;
}

Test(ui_json, portal_fixtures_match_manifest)
{
    char *mtext = read_fixture("portal/manifest.json", NULL);
    cJSON *manifest = cJSON_Parse(mtext);
    cr_assert_not_null(manifest, "manifest.json is not JSON");
    char **names;
    size_t n = list_fixtures("portal", ".json", &names);
    size_t checked = 0;
    tl_ui *ui = tl_ui_new();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "manifest.json") == 0)
            continue;
        int w = 0, h = 0;
        long want = manifest_nodes(manifest, names[i], &w, &h);
        cr_assert_gt(want, 0, "%s is not in portal/manifest.json", names[i]);
        char rel[512];
        snprintf(rel, sizeof rel, "portal/%s", names[i]);
        size_t len;
        char *doc = read_fixture(rel, &len);
        tl_error err = {0};
        int rc = tl_ui_parse(ui, doc, len, NULL, &err);
        cr_assert_eq(rc, TL_OK, "%s: %s", names[i], err.msg);
        cr_assert_eq(tl_ui_count(ui), (size_t)want, "%s: %zu nodes, manifest says %ld", names[i],
                     tl_ui_count(ui), want);
        const tl_ui_info *in = tl_ui_get_info(ui);
        cr_assert_eq(in->format, TL_UI_FORMAT_PORTAL, "%s", names[i]);
        cr_assert_eq(in->screen_w, w, "%s: screen width %d, manifest %d", names[i], in->screen_w,
                     w);
        cr_assert_eq(in->screen_h, h, "%s: screen height %d, manifest %d", names[i], in->screen_h,
                     h);
        cr_assert_neq(in->package[0], '\0', "%s: no package from phone_state", names[i]);
        check_ui_structure(ui, names[i], true);
        check_ui_json_export(ui, names[i]);
        free(doc);
        checked++;
    }
    cr_assert_eq(checked, 15, "expected 15 portal fixtures, checked %zu", checked);
    free_names(names, n);
    cJSON_Delete(manifest);
    free(mtext);
    tl_ui_free(ui);
}

Test(ui_json, portal_password_field_and_full_shape)
{
    size_t len;
    char *doc = read_fixture("portal/real-macyolo-hermes-password-field.json", &len);
    tl_ui *ui = tl_ui_new();
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 72);
    const tl_element *el = tl_ui_elements(ui);

    /* The root. */
    cr_assert_str_eq(el[0].cls, "android.widget.FrameLayout");
    cr_assert_str_eq(el[0].pkg, "com.iganapolsky.hermesmobile");
    cr_assert(rect_eq(el[0].bounds, 0, 0, 1080, 2340));
    cr_assert_eq(el[0].flags & (TL_EL_ACTIONABLE | TL_EL_FOCUSABLE | TL_EL_FLAGS_UNKNOWN), 0);
    cr_assert(el[0].flags & TL_EL_ENABLED);
    cr_assert(el[0].flags & TL_EL_VISIBLE);

    /* The scroll view (pre-order position 16). */
    cr_assert_str_eq(el[16].cls, "android.widget.ScrollView");
    cr_assert(rect_eq(el[16].bounds, 0, 354, 1080, 2149));
    cr_assert_eq(el[16].flags & (TL_EL_SCROLLABLE | TL_EL_FOCUSABLE | TL_EL_CLICKABLE),
                 TL_EL_SCROLLABLE | TL_EL_FOCUSABLE);
    cr_assert_eq(el[16].depth, 11);

    /* The URL field (36): plain text, hint, editable. */
    const tl_element *url = &el[36];
    cr_assert_str_eq(url->id, "gateway-url-input");
    cr_assert_str_eq(url->text, "http://127.0.0.1:8642");
    cr_assert_str_eq(url->hint, "https://xxxx.ngrok-free.app");
    cr_assert_eq(url->flags & (TL_EL_EDITABLE | TL_EL_CLICKABLE | TL_EL_LONG_CLICKABLE |
                               TL_EL_FOCUSABLE | TL_EL_PASSWORD),
                 TL_EL_EDITABLE | TL_EL_CLICKABLE | TL_EL_LONG_CLICKABLE | TL_EL_FOCUSABLE);
    cr_assert_eq(url->depth, 14);

    /* The password field (38): masked and flagged. */
    const tl_element *pw = &el[38];
    cr_assert_eq(ui_find_id(ui, "gateway-api-key-input"), pw);
    cr_assert_str_eq(pw->cls, "android.widget.EditText");
    cr_assert_str_eq(pw->pkg, "com.iganapolsky.hermesmobile");
    cr_assert_str_eq(pw->text, TL_UI_MASK);
    cr_assert_str_eq(pw->hint, "sk-...");
    cr_assert_str_eq(pw->desc, "");
    cr_assert(rect_eq(pw->bounds, 111, 1367, 969, 1502));
    cr_assert(pw->flags & TL_EL_PASSWORD);
    cr_assert(pw->flags & TL_EL_EDITABLE);
    cr_assert(pw->flags & TL_EL_LISTED);
    cr_assert_eq(pw->tap_x, 540);
    cr_assert_eq(pw->tap_y, 1434);
    cr_assert_eq(pw->parent, url->parent, "the two fields are siblings");

    /* The original 35 bullets appear nowhere: the longest run of bullets is the mask. */
    tl_buf out;
    ui_outputs(ui, &out);
    cr_assert_null(strstr(out.data, TL_UI_MASK "\xE2\x80\xA2"), "unmasked password text leaked");
    cr_assert_not_null(strstr(out.data, TL_UI_MASK), "the mask is not shown");
    tl_buf_dispose(&out);

    const tl_ui_info *in = tl_ui_get_info(ui);
    cr_assert_str_eq(in->package, "com.iganapolsky.hermesmobile");
    cr_assert_eq(in->screen_w, 1080);
    cr_assert_eq(in->screen_h, 2340);
    cr_assert_eq(in->keyboard_visible, false);
    cr_assert_eq(in->overlay_offset, 0);
    free(doc);
    tl_ui_free(ui);
}

Test(ui_json, portal_descriptions_and_state_flags)
{
    size_t len;
    char *doc = read_fixture("portal/real-androidmcp-youtube-multiline-attrs.json", &len);
    tl_ui *ui = tl_ui_new();
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
    const tl_element *el = tl_ui_elements(ui);
    const tl_element *cast = &el[19];
    cr_assert_str_eq(cast->cls, "android.widget.Button");
    cr_assert_str_eq(cast->desc, "Cast. Disconnected");
    cr_assert_str_eq(cast->text, "");
    cr_assert_str_eq(cast->id, "com.google.android.youtube:id/media_route_button");
    cr_assert(rect_eq(cast->bounds, 936, 151, 1080, 295));
    cr_assert_eq(cast->flags & (TL_EL_CLICKABLE | TL_EL_FOCUSABLE | TL_EL_SELECTED),
                 TL_EL_CLICKABLE | TL_EL_FOCUSABLE);
    const tl_element *home = &el[43];
    cr_assert_str_eq(home->desc, "Home");
    cr_assert(home->flags & TL_EL_SELECTED);
    cr_assert(home->flags & TL_EL_CLICKABLE);
    cr_assert_str_eq(el[46].text, "Home");
    cr_assert(el[46].flags & TL_EL_SELECTED);
    free(doc);

    doc = read_fixture("portal/synth-n100.json", &len);
    cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
    el = tl_ui_elements(ui);
    cr_assert_str_eq(el[33].cls, "android.widget.CheckBox");
    cr_assert_str_eq(el[33].desc, "Add to favorites");
    cr_assert_eq(el[33].flags & (TL_EL_CHECKABLE | TL_EL_CHECKED), TL_EL_CHECKABLE | TL_EL_CHECKED);
    cr_assert_eq(el[59].flags & (TL_EL_CHECKABLE | TL_EL_CHECKED), TL_EL_CHECKABLE);
    cr_assert_eq(el[33].depth, 13);
    cr_assert_str_eq(el[13].hint, "Search items, brands, sellers");
    cr_assert(el[13].flags & TL_EL_EDITABLE);
    cr_assert(el[19].flags & TL_EL_SCROLLABLE);
    const tl_ui_info *in = tl_ui_get_info(ui);
    cr_assert_str_eq(in->package, "com.example.market");
    cr_assert_str_eq(in->app, "Market");
    cr_assert_eq(in->density, 2.625);
    cr_assert_eq(in->screen_w, 1080);
    cr_assert_eq(in->screen_h, 2400);
    cr_assert_str_eq(in->focused_text, "");
    free(doc);
    tl_ui_free(ui);
}

Test(ui_json, phone_state_and_device_context_reach_info)
{
    static const char *const docs[] = {
        /* screen_bounds before display_metrics */
        "{\"a11y_tree\":{\"className\":\"F\",\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":10,"
        "\"bottom\":10}},"
        "\"phone_state\":{\"currentApp\":\"Shop\",\"packageName\":\"com.shop\","
        "\"activityName\":\"com.shop.Main\",\"keyboardVisible\":true,\"isEditable\":true,"
        "\"focusedElement\":{\"text\":\"query text\",\"className\":\"android.widget.EditText\","
        "\"resourceId\":\"com.shop:id/q\"}},"
        "\"device_context\":{\"screen_bounds\":{\"width\":1080,\"height\":2400},"
        "\"filtering_params\":{\"min_element_size\":5,\"overlay_offset\":-63},"
        "\"display_metrics\":{\"density\":2.75,\"densityDpi\":440,\"widthPixels\":1080,"
        "\"heightPixels\":2337}}}",
        /* the other order, and phone_state first */
        "{\"device_context\":{\"display_metrics\":{\"heightPixels\":2337,\"widthPixels\":1080,"
        "\"density\":2.75},\"filtering_params\":{\"overlay_offset\":-63},"
        "\"screen_bounds\":{\"height\":2400,\"width\":1080}},"
        "\"phone_state\":{\"focusedElement\":{\"resourceId\":\"com.shop:id/q\",\"text\":\"query "
        "text\"},\"isEditable\":true,\"keyboardVisible\":true,\"activityName\":\"com.shop.Main\","
        "\"packageName\":\"com.shop\",\"currentApp\":\"Shop\"},"
        "\"a11y_tree\":{\"boundsInScreen\":{\"bottom\":10,\"right\":10,\"top\":0,\"left\":0},"
        "\"className\":\"F\"}}",
    };
    tl_ui *ui = tl_ui_new();
    for (size_t i = 0; i < 2; i++) {
        parse_ok(ui, docs[i], NULL);
        const tl_ui_info *in = tl_ui_get_info(ui);
        cr_assert_eq(tl_ui_count(ui), 1);
        cr_assert_str_eq(in->app, "Shop", "doc %zu", i);
        cr_assert_str_eq(in->package, "com.shop");
        cr_assert_str_eq(in->activity, "com.shop.Main");
        cr_assert_eq(in->keyboard_visible, true);
        cr_assert_eq(in->editable_focused, true);
        cr_assert_str_eq(in->focused_text, "query text");
        cr_assert_eq(in->screen_w, 1080, "doc %zu", i);
        cr_assert_eq(in->screen_h, 2400, "doc %zu: %d", i, in->screen_h);
        cr_assert_eq(in->density, 2.75);
        cr_assert_eq(in->overlay_offset, -63);
        cr_assert_eq(in->format, TL_UI_FORMAT_PORTAL);
        cr_assert(rect_eq(tl_ui_elements(ui)[0].bounds, 0, 0, 10, 10));
    }
    /* Without screen_bounds the display metrics give the screen. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"className\":\"F\"},\"device_context\":{\"display_metrics\":"
             "{\"widthPixels\":720,\"heightPixels\":1600,\"density\":2}}}",
             NULL);
    cr_assert_eq(tl_ui_get_info(ui)->screen_w, 720);
    cr_assert_eq(tl_ui_get_info(ui)->screen_h, 1600);
    cr_assert_eq(tl_ui_get_info(ui)->density, 2.0);
    /* A new parse forgets the previous phone state. */
    parse_ok(ui, "{\"a11y_tree\":{\"className\":\"F\"}}", NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->app, "");
    cr_assert_str_eq(tl_ui_get_info(ui)->package, "");
    cr_assert_eq(tl_ui_get_info(ui)->density, 0.0);
    cr_assert_eq(tl_ui_get_info(ui)->keyboard_visible, false);
    tl_ui_free(ui);
}

/* ---- envelopes and member order ------------------------------------------------------------ */

#define NODE                                                                                      \
    "{\"className\":\"android.widget.FrameLayout\",\"packageName\":\"com.ex\","                   \
    "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":1000,\"bottom\":2000},\"children\":["     \
    "{\"className\":\"android.widget.Button\",\"text\":\"OK\",\"resourceId\":\"com.ex:id/ok\","   \
    "\"isClickable\":true,\"boundsInScreen\":{\"left\":100,\"top\":200,\"right\":300,"            \
    "\"bottom\":400}},"                                                                           \
    "{\"className\":\"android.widget.TextView\",\"text\":\"Hello\",\"boundsInScreen\":{\"left\":" \
    "100,\"top\":500,\"right\":900,\"bottom\":600}}]}"
#define PHONE \
    "\"phone_state\":{\"currentApp\":\"Ex\",\"packageName\":\"com.ex\",\"keyboardVisible\":false}"

/* The NODE tree at position `at`. */
static void check_node_tree(const tl_ui *ui, size_t at)
{
    const tl_element *el = tl_ui_elements(ui) + at;
    int32_t a = (int32_t)at;
    cr_assert_str_eq(el[0].cls, "android.widget.FrameLayout");
    cr_assert_str_eq(el[0].pkg, "com.ex");
    cr_assert(rect_eq(el[0].bounds, 0, 0, 1000, 2000));
    cr_assert_eq(el[0].first_child, a + 1);
    cr_assert_eq(el[0].end, a + 3);
    cr_assert_str_eq(el[1].text, "OK");
    cr_assert_str_eq(el[1].id, "com.ex:id/ok");
    cr_assert_str_eq(el[1].cls, "android.widget.Button");
    cr_assert(el[1].flags & TL_EL_CLICKABLE);
    cr_assert(rect_eq(el[1].bounds, 100, 200, 300, 400));
    cr_assert_eq(el[1].parent, a);
    cr_assert_eq(el[1].next_sibling, a + 2);
    cr_assert_eq(el[1].tap_x, 200);
    cr_assert_eq(el[1].tap_y, 300);
    cr_assert_str_eq(el[2].text, "Hello");
    cr_assert_eq(el[2].parent, a);
    cr_assert_eq(el[2].depth, 1);
    cr_assert_eq(el[2].flags & TL_EL_CLICKABLE, 0);
}

Test(ui_json, envelopes)
{
    tl_ui *ui = tl_ui_new();
    /* Current Portal: result holds an object. */
    parse_ok(ui, "{\"status\":\"success\",\"result\":{\"a11y_tree\":" NODE "," PHONE "}}", NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->app, "Ex");
    check_ui_structure(ui, "result object", true);

    /* Legacy: data, with an array a11y_tree, status last. */
    parse_ok(ui, "{\"data\":{\"a11y_tree\":[" NODE "]," PHONE "},\"status\":\"success\"}", NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->package, "com.ex");

    /* result as a JSON-encoded string, parsed twice. */
    tl_buf doc;
    tl_buf_init(&doc, 0);
    tl_buf_puts(&doc, "{\"status\":\"success\",\"result\":");
    const char *inner = "{\"a11y_tree\":" NODE "," PHONE "}";
    cr_assert_eq(tl_json_str(&doc, inner, strlen(inner)), TL_OK);
    tl_buf_puts(&doc, "}");
    cr_assert_not_null(strstr(doc.data, "\\\"a11y_tree\\\""), "not an encoded string: %s",
                       doc.data);
    parse_ok(ui, doc.data, NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->app, "Ex");
    check_ui_structure(ui, "result string", true);
    tl_buf_dispose(&doc);

    /* A bare node object. */
    parse_ok(ui, NODE, NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->app, "");

    /* A bare array of nodes: two roots. */
    parse_ok(ui, "[" NODE "," NODE "]", NULL);
    cr_assert_eq(tl_ui_count(ui), 6);
    check_node_tree(ui, 0);
    check_node_tree(ui, 3);
    cr_assert_eq(tl_ui_elements(ui)[0].next_sibling, 3);
    cr_assert_eq(tl_ui_elements(ui)[3].parent, -1);
    check_ui_structure(ui, "bare array", true);

    /* Unwrapped state with whitespace everywhere and a BOM. */
    parse_ok(ui, "\xEF\xBB\xBF \n{ \"a11y_tree\" :\n" NODE " ,\t" PHONE " }\r\n", NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);

    /* The device reported an error. */
    parse_fails(ui, "{\"status\":\"error\",\"error\":\"boom\"}", "boom");
    parse_fails(ui, "{\"error\":\"boom: no service\",\"status\":\"error\"}", "boom: no service");
    parse_fails(ui, "{\"status\":\"error\",\"result\":{\"a11y_tree\":" NODE "},\"error\":\"boom\"}",
                "boom");
    parse_fails(ui, "{\"status\":\"success\"}", "no accessibility tree");
    tl_ui_free(ui);
}

Test(ui_json, member_order_does_not_matter)
{
    tl_ui *ui = tl_ui_new();
    /* phone_state and device_context before a11y_tree. */
    parse_ok(ui,
             "{\"status\":\"success\",\"result\":{" PHONE ",\"device_context\":{\"screen_bounds\":"
             "{\"width\":1000,\"height\":2000}},\"a11y_tree\":" NODE "}}",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 3);
    check_node_tree(ui, 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->app, "Ex");
    cr_assert_eq(tl_ui_get_info(ui)->screen_h, 2000);

    /* children before the other members, in nested nodes and in the top-level node. */
    const char *kids_first =
        "{\"a11y_tree\":{\"children\":[{\"children\":[{\"text\":\"leaf\",\"boundsInScreen\":"
        "{\"left\":0,\"top\":0,\"right\":5,\"bottom\":5}}],\"className\":\"Mid\",\"text\":\"mid\","
        "\"isClickable\":true},{\"text\":\"second\"}],\"className\":\"Root\",\"boundsInScreen\":"
        "{\"left\":0,\"top\":0,\"right\":100,\"bottom\":100},\"isScrollable\":true}}";
    parse_ok(ui, kids_first, NULL);
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 4);
    cr_assert_str_eq(el[0].cls, "Root");
    cr_assert(el[0].flags & TL_EL_SCROLLABLE);
    cr_assert(rect_eq(el[0].bounds, 0, 0, 100, 100));
    cr_assert_str_eq(el[1].cls, "Mid");
    cr_assert_str_eq(el[1].text, "mid");
    cr_assert(el[1].flags & TL_EL_CLICKABLE);
    cr_assert_str_eq(el[2].text, "leaf");
    cr_assert_eq(el[2].parent, 1);
    cr_assert_eq(el[2].depth, 2);
    cr_assert_str_eq(el[3].text, "second");
    cr_assert_eq(el[3].parent, 0);
    cr_assert_eq(el[1].next_sibling, 3);
    check_ui_structure(ui, "children first", true);

    /* A bare node: children first, then members, then a second children array. */
    parse_ok(ui,
             "{\"children\":[{\"text\":\"a\"},{\"text\":\"b\"}],\"className\":\"Root\","
             "\"children\":[{\"text\":\"c\"}],\"text\":\"root\"}",
             NULL);
    el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 4);
    cr_assert_str_eq(el[0].cls, "Root");
    cr_assert_str_eq(el[0].text, "root");
    cr_assert_str_eq(el[1].text, "a");
    cr_assert_str_eq(el[2].text, "b");
    cr_assert_str_eq(el[3].text, "c");
    cr_assert_eq(el[2].next_sibling, 3);
    cr_assert_eq(el[3].parent, 0);
    check_ui_structure(ui, "bare node, two children arrays", true);

    /* A nested node with two children arrays. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"children\":[{\"text\":\"a\"}],\"text\":\"r\",\"children\":[{"
             "\"text\":\"b\",\"children\":[{\"text\":\"b1\"}]}]}}",
             NULL);
    el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 4);
    cr_assert_str_eq(el[2].text, "b");
    cr_assert_eq(el[1].next_sibling, 2);
    cr_assert_eq(el[3].parent, 2);
    check_ui_structure(ui, "nested node, two children arrays", true);

    /* Unknown members of every type are skipped wherever they are. */
    parse_ok(ui,
             "{\"$schema\":\"x\",\"extra\":[1,{\"a\":[true,null,-1.5e3]}],\"a11y_tree\":{\"x\":{"
             "\"y\":[]},\"childCount\":12,\"drawingOrder\":0,\"z\":-3,\"w\":2.5,\"q\":null,"
             "\"actionList\":[{\"id\":16,\"label\":null,\"name\":\"ACTION_CLICK\"}],"
             "\"text\":\"t\",\"isHeading\":false,\"isClickable\":true},\"ime_tree\":null}",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    cr_assert_str_eq(tl_ui_elements(ui)[0].text, "t");
    cr_assert(tl_ui_elements(ui)[0].flags & TL_EL_CLICKABLE);
    tl_ui_free(ui);
}

Test(ui_json, bounds_in_every_spelling)
{
    static const char *const spellings[] = {
        "\"boundsInScreen\":{\"left\":10,\"top\":20,\"right\":30,\"bottom\":40}",
        "\"boundsInScreen\": { \"left\" : 10 , \"top\" : 20 , \"right\" : 30 , \"bottom\" : 40 }",
        "\"boundsInScreen\":{\"bottom\":40,\"right\":30,\"top\":20,\"left\":10}",
        "\"boundsInScreen\":{\"left\":10,\"top\":20,\"right\":30,\"bottom\":40,\"width\":20}",
        "\"boundsInScreen\":{\"left\":10.0,\"top\":20.9,\"right\":3e1,\"bottom\":40}",
        "\"boundsInScreen\":{\"left\":10,\n\"top\":20,\"right\":30,\"bottom\":40}",
        "\"bounds\":\"10, 20, 30, 40\"",
        "\"bounds\":\"10,20,30,40\"",
        "\"bounds\":\"[10,20][30,40]\"",
        "\"bounds\":\" [10, 20] [30, 40] \"",
        "\"bounds\":[10,20,30,40]",
        "\"bounds\":[ 10 , 20 , 30 , 40 ]",
        "\"bounds\":{\"top\":20,\"left\":10,\"bottom\":40,\"right\":30}",
    };
    tl_ui *ui = tl_ui_new();
    char doc[512];
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        /* In a nested node (the frame engine) and in a bare top-level node. */
        snprintf(doc, sizeof doc, "{\"a11y_tree\":[{\"text\":\"x\",%s,\"isClickable\":true}]}",
                 spellings[i]);
        parse_ok(ui, doc, NULL);
        const tl_element *e = tl_ui_elements(ui);
        cr_assert(rect_eq(e->bounds, 10, 20, 30, 40), "%s gave [%d,%d][%d,%d]", spellings[i],
                  e->bounds.left, e->bounds.top, e->bounds.right, e->bounds.bottom);
        cr_assert(e->flags & TL_EL_CLICKABLE, "%s: member after bounds lost", spellings[i]);
        cr_assert_str_eq(e->text, "x");
        snprintf(doc, sizeof doc, "{%s,\"text\":\"y\"}", spellings[i]);
        parse_ok(ui, doc, NULL);
        cr_assert(rect_eq(tl_ui_elements(ui)->bounds, 10, 20, 30, 40), "bare: %s", spellings[i]);
        cr_assert_str_eq(tl_ui_elements(ui)->text, "y");
    }
    /* Negative and huge values: kept as reported (clamped to int32). */
    parse_ok(ui, "[{\"bounds\":\"-5,-6,30,99999999999\"}]", NULL);
    cr_assert(rect_eq(tl_ui_elements(ui)->bounds, -5, -6, 30, INT32_MAX));
    parse_ok(ui, "[{\"boundsInScreen\":{\"left\":-2147483649,\"top\":0,\"right\":1,\"bottom\":1}}]",
             NULL);
    cr_assert_eq(tl_ui_elements(ui)->bounds.left, INT32_MIN);
    /* Bounds null: empty. */
    parse_ok(ui, "[{\"bounds\":null,\"text\":\"n\"}]", NULL);
    cr_assert(rect_eq(tl_ui_elements(ui)->bounds, 0, 0, 0, 0));

    static const char *const bad[] = {
        "\"bounds\":\"10,20,30\"",
        "\"bounds\":\"10,20,30,40,50\"",
        "\"bounds\":\"a,b,c,d\"",
        "\"bounds\":\"10;20;30;40\"",
        "\"bounds\":\"\"",
        "\"bounds\":[10,20,30]",
        "\"bounds\":[10,20,30,40,50]",
        "\"bounds\":[10,\"20\",30,40]",
        "\"bounds\":true",
        "\"bounds\":12",
        "\"boundsInScreen\":{\"left\":\"10\",\"top\":20,\"right\":30,\"bottom\":40}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(doc, sizeof doc, "{\"a11y_tree\":[{\"text\":\"x\",%s}]}", bad[i]);
        parse_fails(ui, doc, "byte");
    }
    tl_ui_free(ui);
}

Test(ui_json, legacy_type_sets_flags)
{
    tl_ui *ui = tl_ui_new();
    parse_ok(ui,
             "[{\"className\":\"Button\",\"type\":\"clickable\",\"bounds\":\"0,0,100,100\"},"
             "{\"className\":\"Switch\",\"type\":\"checkable\",\"bounds\":\"0,100,100,200\"},"
             "{\"className\":\"EditText\",\"type\":\"input\",\"bounds\":\"0,200,100,300\"},"
             "{\"className\":\"ScrollView\",\"type\":\"scrollable\",\"bounds\":\"0,300,100,400\"},"
             "{\"className\":\"SeekBar\",\"type\":\"focusable\",\"bounds\":\"0,400,100,500\"},"
             "{\"className\":\"TextView\",\"type\":\"text\",\"text\":\"T\",\"bounds\":\"0,500,"
             "100,600\"},"
             "{\"className\":\"View\",\"type\":\"view\",\"bounds\":\"0,600,100,700\"},"
             "{\"className\":\"View\",\"bounds\":\"0,700,100,800\"},"
             "{\"className\":\"View\",\"type\":\"weird\",\"bounds\":\"0,800,100,900\"}]",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 9);
    const tl_element *el = tl_ui_elements(ui);
    const uint32_t mask = TL_EL_ACTIONABLE | TL_EL_FOCUSABLE | TL_EL_FLAGS_UNKNOWN;
    const uint32_t want[] = {
        TL_EL_CLICKABLE,
        TL_EL_CHECKABLE | TL_EL_CLICKABLE,
        TL_EL_EDITABLE | TL_EL_CLICKABLE,
        TL_EL_SCROLLABLE,
        TL_EL_FOCUSABLE,
        0,
        0,
        TL_EL_FLAGS_UNKNOWN,
        TL_EL_FLAGS_UNKNOWN,
    };
    for (size_t i = 0; i < 9; i++) {
        cr_assert_eq(el[i].flags & mask, want[i], "node %zu (%s): flags 0x%x, want 0x%x", i,
                     el[i].cls, el[i].flags & mask, want[i]);
        cr_assert(el[i].flags & TL_EL_ENABLED);
    }
    cr_assert_eq(tl_ui_get_info(ui)->format, TL_UI_FORMAT_PORTAL_LEGACY);
    /* Listed: the actionable ones and the text; the unknown-flag View without text is not. */
    cr_assert(el[0].flags & TL_EL_LISTED);
    cr_assert(el[2].flags & TL_EL_LISTED);
    cr_assert(el[5].flags & TL_EL_LISTED);
    cr_assert_not(el[4].flags & TL_EL_LISTED);
    cr_assert_not(el[7].flags & TL_EL_LISTED);
    tl_ui_free(ui);
}

Test(ui_json, legacy_display_text_cleanup)
{
    tl_ui *ui = tl_ui_new();
    parse_ok(ui,
             "[{\"className\":\"FrameLayout\",\"text\":\"FrameLayout\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"ViewGroup\",\"resourceId\":\"com.x:id/main\",\"text\":\"main\","
             "\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"ViewGroup\",\"resourceId\":\"com.x:id/main\",\"text\":"
             "\"com.x:id/main\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"FrameLayout\",\"text\":\"android.widget.FrameLayout\","
             "\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"android.widget.Button\",\"text\":\"android.widget.Button\","
             "\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"Button\",\"resourceId\":\"com.x:id/fetch_button\",\"text\":"
             "\"FETCH ELEMENT DATA fetch_button\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"TextView\",\"text\":\"Real text\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"TextView\",\"resourceId\":\"com.x:id/title\",\"text\":\"Hello "
             "world\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"TextView\",\"resourceId\":\"com.x:id/title\",\"text\":\"title\","
             "\"contentDescription\":\"kept\",\"bounds\":\"0,0,9,9\"},"
             "{\"className\":\"i\",\"text\":\"w4.i\",\"bounds\":\"0,0,9,9\"}]",
             NULL);
    const tl_element *el = tl_ui_elements(ui);
    const char *want[] = {"", "", "", "", "", "FETCH ELEMENT DATA", "Real text", "Hello world",
                          "", ""};
    cr_assert_eq(tl_ui_count(ui), 10);
    for (size_t i = 0; i < 10; i++)
        cr_assert_str_eq(el[i].text, want[i], "node %zu: \"%s\", want \"%s\"", i, el[i].text,
                         want[i]);
    cr_assert_str_eq(el[8].desc, "kept");

    /* The real v0 file: "<text> <short id>" loses the suffix, bare ids and classes go. */
    size_t len;
    char *doc = read_fixture("ui/droidrungui-portal-v0-element-data.json", &len);
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
    el = tl_ui_elements(ui);
    cr_assert_str_eq(el[0].text, "FETCH ELEMENT DATA");
    cr_assert_str_eq(el[0].id, "com.droidrun.portal:id/fetch_button", "\\/ not decoded");
    cr_assert_str_eq(el[1].text, "Show Rectangles");
    cr_assert_str_eq(el[3].text, "-128");
    cr_assert_str_eq(el[3].cls, "EditText");
    cr_assert_str_eq(el[4].text, "-128", "child text");
    cr_assert_eq(el[4].parent, 3);
    cr_assert_str_eq(el[5].text, "", "offset_slider is the short id");
    cr_assert_str_eq(el[6].text, "", "ScrollView is the class");
    cr_assert(rect_eq(el[0].bounds, 104, 658, 587, 906));
    free(doc);

    /* The same display text in the current format is real text and stays. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"className\":\"FrameLayout\",\"text\":\"FrameLayout\","
             "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":9,\"bottom\":9}}}",
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "FrameLayout");
    tl_ui_free(ui);
}

/* ---- strings ------------------------------------------------------------------------------- */

Test(ui_json, escapes_and_utf8_repair)
{
    tl_ui *ui = tl_ui_new();
    parse_ok(ui,
             "{\"a11y_tree\":{"
             "\"text\":\"caf\\u00e9 \\ud83d\\ude00 \\/ \\\" \\\\ \\n\\t\\b\\f\\r|\\u20AC\","
             "\"contentDescription\":\"lone \\ud800 x \\udc00 y \\ud800\\u0041 z \\u0000|\","
             "\"resourceId\":\"com.a:id\\/b\","
             "\"hint\":\"bad \xff\xfe bytes \xc3\x28|\xe2\x82|\xc0\xaf|\xed\xa0\x80.\","
             "\"className\":\"\xc3\xa9t\xc3\xa9 \xe5\xad\x97 \xf0\x9f\x93\xb7\","
             "\"packageName\":\"p\\u0041\\u00DF\"}}",
             NULL);
    const tl_element *e = tl_ui_elements(ui);
    cr_assert_str_eq(e->text, "caf\xc3\xa9 \xf0\x9f\x98\x80 / \" \\ \n\t\b\f\r|\xe2\x82\xac");
    cr_assert_str_eq(e->desc, "lone " FFFD " x " FFFD " y " FFFD "A z " FFFD "|");
    cr_assert_str_eq(e->id, "com.a:id/b");
    cr_assert_str_eq(e->cls, "\xc3\xa9t\xc3\xa9 \xe5\xad\x97 \xf0\x9f\x93\xb7", "valid UTF-8 kept");
    cr_assert_str_eq(e->pkg, "pA\xc3\x9f");
    cr_assert(tl_utf8_valid(e->hint, strlen(e->hint)), "hint is not valid UTF-8");
    const char *hint_start = "bad " FFFD FFFD " bytes " FFFD "(|";
    cr_assert(strncmp(e->hint, hint_start, strlen(hint_start)) == 0, "hint: %s", e->hint);
    cr_assert_not_null(strstr(e->hint, "."));
    /* Every invalid sequence became at least one U+FFFD and nothing else. */
    size_t fffd = 0;
    for (const char *p = e->hint; (p = strstr(p, FFFD)) != NULL; p += 3)
        fffd++;
    cr_assert_geq(fffd, 7, "only %zu replacement characters in %s", fffd, e->hint);

    /* An escaped member name is still recognised. */
    parse_ok(ui, "[{\"te\\u0078t\":\"by escape\",\"class\\u004eame\":\"C\"}]", NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "by escape");
    cr_assert_str_eq(tl_ui_elements(ui)->cls, "C");

    /* Interned strings with escapes decode the same as their plain spelling. */
    parse_ok(ui,
             "[{\"className\":\"a\\/b\"},{\"className\":\"a/b\"},{\"className\":\"a\\u002fb\"},"
             "{\"className\":\"a\\/b\"}]",
             NULL);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(tl_ui_elements(ui)[i].cls, "a/b", "node %zu", i);

    /* Outputs are valid UTF-8 too. */
    parse_ok(ui, "[{\"text\":\"\xff\xfe\",\"isClickable\":true,\"bounds\":\"0,0,9,9\"}]", NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, FFFD FFFD);
    tl_buf out;
    ui_outputs(ui, &out);
    tl_buf_dispose(&out);
    tl_ui_free(ui);
}

Test(ui_json, bad_strings_are_errors)
{
    tl_ui *ui = tl_ui_new();
    static const char *const bad[] = {
        "{\"a11y_tree\":{\"text\":\"a\x01z\"}}",
        "{\"a11y_tree\":{\"text\":\"line\nbreak\"}}",
        "{\"a11y_tree\":{\"text\":\"tab\there\"}}",
        "{\"a11y_tree\":{\"className\":\"x\x1f\"}}",
        "{\"a11y_tree\":{\"unknown\":\"x\x1f\"}}",
        "{\"a11y_tree\":{\"text\":\"\\x41\"}}",
        "{\"a11y_tree\":{\"text\":\"\\u12G4\"}}",
        "{\"a11y_tree\":{\"text\":\"\\u12\"}}",
        "{\"a11y_tree\":{\"text\":\"\\'\"}}",
        "{\"a11y_tree\":{\"te\x02xt\":\"a\"}}",
        "{\"phone_state\":{\"currentApp\":\"\x7f\x05\"},\"a11y_tree\":{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        parse_fails(ui, bad[i], "byte");
    parse_fails(ui, "{\"a11y_tree\":{\"text\":\"a\x01z\"}}", "control character");
    parse_fails(ui, "{\"a11y_tree\":{\"text\":\"a\x01z\"}}", "byte 23");
    /* DEL is an ordinary character. */
    parse_ok(ui, "{\"a11y_tree\":{\"text\":\"a\x7fz\"}}", NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a\x7fz");
    tl_ui_free(ui);
}

/* ---- errors -------------------------------------------------------------------------------- */

Test(ui_json, errors_name_the_byte_offset)
{
    tl_ui *ui = tl_ui_new();
    parse_fails(ui, "{\"a11y_tree\":{\"text\":\"a\" \"b\"}}", "byte 25");
    parse_fails(ui, "{\"a11y_tree\":[]} x", "byte 17");
    parse_fails(ui, "{\"a11y_tree\":[]} x", "unexpected data");
    parse_fails(ui, "[{\"text\":\"a\"}]]", "byte 14");
    parse_fails(ui, "[{\"text\":\"a\"}]{}", "byte 14");
    parse_fails(ui, "{\"a11y_tree\":{\"text\":\"a\"}}}", "byte 26");
    parse_fails(ui, "{\"a11y_tree\":{\"text\":\"a\"}\n,}", "line 2");
    /* Numbers. */
    static const char *const numbers[] = {"01",  "1.",       "-",         "1e",  "+1",
                                          ".5",  "1e+",      "0x10",      "--1", "1.2.3",
                                          "NaN", "Infinity", "-Infinity", "1_0"};
    char doc[256];
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        snprintf(doc, sizeof doc, "{\"a11y_tree\":{\"childCount\":%s,\"text\":\"a\"}}", numbers[i]);
        parse_fails(ui, doc, "byte");
        snprintf(doc, sizeof doc,
                 "{\"a11y_tree\":{\"boundsInScreen\":{\"left\":%s,\"top\":0,\"right\":1,"
                 "\"bottom\":1}}}",
                 numbers[i]);
        parse_fails(ui, doc, "byte");
        snprintf(doc, sizeof doc, "{\"x\":[%s],\"a11y_tree\":{}}", numbers[i]);
        parse_fails(ui, doc, "byte");
    }
    snprintf(doc, sizeof doc, "{\"a11y_tree\":{\"childCount\":01}}");
    parse_fails(ui, doc, "byte 28");
    /* Good numbers in skipped members. */
    parse_ok(ui,
             "{\"x\":[0,-0,1.5,-2e10,3E-2,1e+5,123456789012345678901234567890],\"a11y_tree\":{"
             "\"childCount\":0,\"z\":-1,\"w\":10.25}}",
             NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    /* Punctuation. */
    static const char *const punct[] = {
        "{\"a11y_tree\":{\"text\":\"a\"\"className\":\"b\"}}",
        "{\"a11y_tree\":{\"text\" \"a\"}}",
        "{\"a11y_tree\" {\"text\":\"a\"}}",
        "{\"a11y_tree\":{} \"phone_state\":{}}",
        "[{\"text\":\"a\"} {\"text\":\"b\"}]",
        "{\"a11y_tree\":{\"text\":\"a\",}}",
        "{\"a11y_tree\":{\"children\":[{\"text\":\"a\"},]}}",
        "{\"a11y_tree\":{,\"text\":\"a\"}}",
        "{\"a11y_tree\":{text:\"a\"}}",
        "{'a11y_tree':{}}",
        "{\"a11y_tree\":{\"text\":'a'}}",
        "{\"a11y_tree\":{\"isClickable\":tru}}",
        "{\"a11y_tree\":{\"isClickable\":True}}",
        "{\"a11y_tree\":{\"isClickable\":nul}}",
        "{\"a11y_tree\":{\"text\":\"a\"} /* c */}",
        "{\"phone_state\":{\"packageName\":\"a\" \"b\"},\"a11y_tree\":{}}",
        "{\"phone_state\":{\"packageName\"},\"a11y_tree\":{}}",
        "{\"device_context\":{\"screen_bounds\":{\"width\":1,}},\"a11y_tree\":{}}",
        "{\"a11y_tree\":{\"x\":[1 2]}}",
        "{\"a11y_tree\":{\"x\":{\"a\":1 \"b\":2}}}",
        "{\"a11y_tree\":{\"x\":[1,]}}",
        "{\"a11y_tree\":{\"x\":{\"a\"}}}",
        "{\"a11y_tree\":{\"x\":]}}",
        "{\"a11y_tree\":{\"x\":[}]}}",
    };
    for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
        parse_fails(ui, punct[i], "byte");
    /* children and a11y_tree of the wrong type. */
    static const char *const types[] = {
        "{\"a11y_tree\":{\"children\":{}}}",
        "{\"a11y_tree\":{\"children\":\"x\"}}",
        "{\"a11y_tree\":{\"children\":[1]}}",
        "{\"a11y_tree\":{\"children\":[[]]}}",
        "{\"a11y_tree\":{\"children\":[{\"text\":\"a\"},2]}}",
        "{\"a11y_tree\":{\"children\":[{\"text\":\"a\"},null]}}",
        "{\"a11y_tree\":{\"children\":true}}",
        "{\"a11y_tree\":{\"children\":7}}",
        "{\"children\":{},\"text\":\"bare\"}",
        "{\"text\":\"bare\",\"children\":[\"x\"]}",
        "{\"a11y_tree\":\"x\"}",
        "{\"a11y_tree\":5}",
        "{\"a11y_tree\":[1]}",
        "{\"a11y_tree\":[{\"text\":\"a\"},\"b\"]}",
        "[1,2]",
        "[[]]",
        "[{\"text\":\"a\"},[]]",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        parse_fails(ui, types[i], "byte");
    parse_fails(ui, "{\"a11y_tree\":{\"children\":{}}}", "\"children\" must be an array");
    /* Mixed shapes. */
    parse_fails(ui, "{\"text\":\"a\",\"a11y_tree\":{}}", "mixes");
    parse_fails(ui, "{\"a11y_tree\":{},\"className\":\"a\"}", "mixes");
    parse_fails(ui, "{\"result\":{\"a11y_tree\":{}},\"className\":\"a\"}", "mixes");
    /* The same mixes with the node members first (a wrapped tree would not be linked to the
     * node that is already open). */
    parse_fails(ui, "{\"text\":\"a\",\"result\":{\"a11y_tree\":{\"text\":\"b\"}}}", "mixes");
    parse_fails(ui, "{\"className\":\"a\",\"data\":[{\"text\":\"b\"}]}", "mixes");
    parse_fails(ui, "{\"text\":\"a\",\"result\":\"{\\\"a11y_tree\\\":{}}\"}", "mixes");
    parse_fails(ui, "{\"children\":[],\"data\":{\"data\":[]}}", "mixes");
    /* A node member that happens to be called data, holding no tree, is just skipped. */
    parse_ok(ui, "{\"text\":\"a\",\"data\":{\"k\":1}}", NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    parse_ok(ui, "{\"data\":{\"k\":1},\"text\":\"a\"}", NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a");
    tl_ui_free(ui);
}

Test(ui_json, empty_and_foreign_input)
{
    tl_ui *ui = tl_ui_new();
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, "", 0, NULL, &err), TL_EPARSE);
    cr_assert_neq(err.msg[0], '\0');
    cr_assert_eq(tl_ui_parse(ui, " \r\n\t ", 5, NULL, &err), TL_EPARSE);
    cr_assert_eq(tl_ui_parse(ui, "\xEF\xBB\xBF", 3, NULL, &err), TL_EPARSE);
    cr_assert_eq(tl_ui_parse_json(ui, "", 0, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "byte 0"), "%s", err.msg);
    cr_assert_eq(tl_ui_parse_json(ui, "   ", 3, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "byte 3"), "%s", err.msg);
    /* No buffer at all, and no error record. */
    cr_assert_eq(tl_ui_parse(ui, NULL, 0, NULL, &err), TL_EPARSE);
    cr_assert_eq(tl_ui_parse_json(ui, NULL, 0, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "byte 0"), "%s", err.msg);
    cr_assert_eq(tl_ui_parse_xml(ui, NULL, 0, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "line 1"), "%s", err.msg);
    cr_assert_eq(tl_ui_parse(ui, "{}", 2, NULL, NULL), TL_EPARSE);
    cr_assert_eq(tl_ui_parse(ui, "[{}]", 4, NULL, NULL), TL_OK);
    cr_assert_eq(tl_ui_count(ui), 1);
    parse_fails(ui, "hello", "byte 0");
    parse_fails(ui, "  \n nope", "byte 4");
    parse_fails(ui, "\"a string\"", "byte 0");
    parse_fails(ui, "42", "byte 0");
    parse_fails(ui, "null", "byte 0");
    parse_fails(ui, "{}", "byte");
    parse_fails(ui, "{\"phone_state\":{}}", "no accessibility tree");
    parse_fails(ui, "{\"unknown\":1}", "no accessibility tree");
    /* JSON only: XML given to the JSON parser fails. */
    cr_assert_eq(tl_ui_parse_json(ui, "<hierarchy/>", 12, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "byte 0"), "%s", err.msg);
    /* A NUL byte inside the document. */
    cr_assert_eq(tl_ui_parse(ui, "[{\"text\":\"a\0b\"}]", 16, NULL, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "byte 11"), "%s", err.msg);
    cr_assert_eq(tl_ui_parse(ui, "[{}]\0", 5, NULL, &err), TL_EPARSE);
    /* An empty tree is a valid (empty) screen. */
    parse_ok(ui, "[]", NULL);
    cr_assert_eq(tl_ui_count(ui), 0);
    parse_ok(ui, "{\"a11y_tree\":[]}", NULL);
    cr_assert_eq(tl_ui_count(ui), 0);
    parse_ok(ui, "{\"a11y_tree\":null,\"phone_state\":{\"packageName\":\"p\"}}", NULL);
    cr_assert_eq(tl_ui_count(ui), 0);
    cr_assert_str_eq(tl_ui_get_info(ui)->package, "p");
    tl_ui_free(ui);
}

/* Cut `doc` at every offset in [from, to) with `step`, each cut must fail with a byte offset. */
static void cut_everywhere(tl_ui *ui, const char *name, const char *doc, size_t len, size_t from,
                           size_t to, size_t step)
{
    tl_error err;
    for (size_t cut = from; cut < to && cut < len; cut += step) {
        char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any read past the cut */
        cr_assert_not_null(copy);
        memcpy(copy, doc, cut);
        tl_error_clear(&err);
        int rc = tl_ui_parse_json(ui, copy, cut, NULL, &err);
        cr_assert_eq(rc, TL_EPARSE, "%s cut at %zu of %zu parsed (rc %d)", name, cut, len, rc);
        cr_assert(strstr(err.msg, "byte"), "%s cut at %zu: \"%s\"", name, cut, err.msg);
        cr_assert_eq(tl_ui_count(ui), 0, "%s cut at %zu left elements", name, cut);
        free(copy);
    }
}

static size_t trimmed_len(const char *s, size_t len)
{
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t'))
        len--;
    return len;
}

Test(ui_json, truncated_documents_fail_with_an_offset)
{
    tl_ui *ui = tl_ui_new();
    size_t len;
    /* A small real file at every offset. */
    char *doc = read_fixture("portal/real-xiaocong-uiautomator-launcher-jb-480x800.json", &len);
    size_t t = trimmed_len(doc, len);
    cut_everywhere(ui, "xiaocong", doc, len, 0, t, 1);
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 12);

    /* The same document as a JSON-encoded result string. */
    tl_buf wrapped;
    tl_buf_init(&wrapped, 0);
    const char *inner = strstr(doc, "\"result\":") + 9;
    size_t inner_len = (size_t)(doc + t - inner) - 1; /* without the outer '}' */
    tl_buf_puts(&wrapped, "{\"status\":\"success\",\"result\":");
    cr_assert_eq(tl_json_str(&wrapped, inner, inner_len), TL_OK);
    tl_buf_puts(&wrapped, "}");
    cr_assert_eq(tl_ui_parse(ui, wrapped.data, wrapped.len, NULL, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 12);
    cut_everywhere(ui, "xiaocong as a string", wrapped.data, wrapped.len, 0, wrapped.len, 3);
    tl_buf_dispose(&wrapped);
    free(doc);

    /* Larger files (pretty-printed legacy, compact Portal): a spread of offsets, and the ends. */
    const char *files[] = {
        "ui/droidrunvl-legacy-settings-zh.json", "ui/droidrungui-portal-v0-element-data.json",
        "ui/zjndroidrun-trajectory-uistate-flat-calendar.json",
        "portal/real-macyolo-hermes-password-field.json", "portal/synth-n100.json"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        doc = read_fixture(files[f], &len);
        t = trimmed_len(doc, len);
        cut_everywhere(ui, files[f], doc, len, 0, 200, 1);
        cut_everywhere(ui, files[f], doc, len, 200, t, 97);
        cut_everywhere(ui, files[f], doc, len, t > 200 ? t - 200 : 0, t, 1);
        cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
        free(doc);
    }
    tl_ui_free(ui);
}

Test(ui_json, failed_parse_empties_the_index_and_memory_is_reused)
{
    tl_ui *ui = tl_ui_new();
    size_t len;
    char *doc = read_fixture("portal/synth-n100.json", &len);
    tl_error err = {0};
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_OK, "%s", err.msg);
        cr_assert_eq(tl_ui_count(ui), 100);
        cr_assert_str_eq(tl_ui_get_info(ui)->app, "Market");
        size_t retained = tl_ui_retained_bytes(ui);
        cr_assert_gt(retained, 0);

        /* Fail late: the elements and phone state parsed so far are dropped. */
        char *last = strrchr(doc, '}');
        *last = ']';
        cr_assert_eq(tl_ui_parse(ui, doc, len, NULL, &err), TL_EPARSE);
        cr_assert(strstr(err.msg, "byte"), "%s", err.msg);
        *last = '}';
        cr_assert_eq(tl_ui_count(ui), 0);
        cr_assert_eq(tl_ui_listed_count(ui), 0);
        cr_assert_null(tl_ui_by_index(ui, 1));
        const tl_ui_info *in = tl_ui_get_info(ui);
        cr_assert_str_eq(in->app, "");
        cr_assert_str_eq(in->package, "");
        cr_assert_str_eq(in->focused_text, "");
        cr_assert_eq(in->focused, -1);
        cr_assert_eq(in->screen_w, 0);
        cr_assert_null(tl_ui_element_at(ui, 500, 500));
        tl_buf out;
        ui_outputs(ui, &out);
        tl_buf_dispose(&out);

        /* A small good parse after the failure, then the big one again. */
        parse_ok(ui, "[{\"text\":\"after\",\"bounds\":\"0,0,10,10\"}]", NULL);
        cr_assert_eq(tl_ui_count(ui), 1);
        cr_assert_str_eq(tl_ui_elements(ui)->text, "after");
        cr_assert_eq(tl_ui_listed_count(ui), 1);
        cr_assert_leq(tl_ui_retained_bytes(ui), retained + 4096, "memory not reused");
    }
    free(doc);
    tl_ui_free(ui);
}

/* ---- passwords ----------------------------------------------------------------------------- */

/* No string reachable from the index, nor its outputs, contains `secret`. */
static void assert_secret_gone(const tl_ui *ui, const char *secret)
{
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        const char *s[] = {el[i].cls, el[i].pkg, el[i].text, el[i].desc, el[i].id, el[i].hint};
        for (size_t k = 0; k < 6; k++)
            cr_assert_null(strstr(s[k], secret), "element %zu string %zu holds the secret", i, k);
    }
    const tl_ui_info *in = tl_ui_get_info(ui);
    cr_assert_null(strstr(in->focused_text, secret), "focused_text holds the secret");
    cr_assert_null(strstr(in->app, secret));
    tl_buf out;
    ui_outputs(ui, &out);
    cr_assert_null(strstr(out.data, secret), "outputs hold the secret: %s", out.data);
    tl_buf_dispose(&out);
}

#define PW_BOUNDS "\"boundsInScreen\":{\"left\":0,\"top\":100,\"right\":1000,\"bottom\":200}"

Test(ui_json, password_masking)
{
    tl_ui *ui = tl_ui_new();
    /* Focused password field: its text and phone_state's focused text. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"className\":\"android.widget.EditText\",\"resourceId\":\"com.ex:"
             "id/pw\",\"text\":\"hunter2secret\",\"isPassword\":true,\"isFocused\":true,"
             "\"isEditable\":true," PW_BOUNDS "},\"phone_state\":{\"focusedElement\":{\"text\":"
             "\"hunter2secret\",\"resourceId\":\"com.ex:id/pw\"}}}",
             NULL);
    const tl_element *e = tl_ui_elements(ui);
    cr_assert_str_eq(e->text, TL_UI_MASK);
    cr_assert(e->flags & TL_EL_PASSWORD);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    cr_assert_eq(tl_ui_get_info(ui)->focused, 0);
    assert_secret_gone(ui, "hunter2");

    /* phone_state first, text member after the flag, password spelled with escapes. */
    parse_ok(ui,
             "{\"phone_state\":{\"focusedElement\":{\"text\":\"hunter\\u0032s\\/cret\"}},"
             "\"a11y_tree\":{\"isPassword\":true,\"isFocused\":true,\"text\":\"hunter\\u0032s\\/"
             "cret\"," PW_BOUNDS "}}",
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, TL_UI_MASK);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "hunter2");

    /* Focus found by the focus flag, the field's own text empty. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"className\":\"F\",\"children\":[{\"className\":\"android.widget."
             "EditText\",\"text\":\"\",\"isPassword\":true,\"isFocused\":true," PW_BOUNDS
             "}]},\"phone_state\":{\"focusedElement\":{\"text\":\"typed-s3cr3t\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    cr_assert_eq(tl_ui_get_info(ui)->focused, 1);
    assert_secret_gone(ui, "s3cr3t");

    /* Focus found by resource id only (no focus flag in the tree). */
    parse_ok(ui,
             "{\"a11y_tree\":[{\"text\":\"User\",\"resourceId\":\"com.ex:id/user\"},{\"text\":"
             "\"\",\"resourceId\":\"com.ex:id/pw\",\"isPassword\":true," PW_BOUNDS
             "}],\"phone_state\":{\"focusedElement\":{\"text\":\"typed-s3cr3t\","
             "\"resourceId\":\"com.ex:id/pw\"}}}",
             NULL);
    cr_assert_eq(tl_ui_get_info(ui)->focused, -1);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "s3cr3t");

    /* No focus flag and no resource id, but phone_state repeats the password field's text. */
    parse_ok(ui,
             "{\"phone_state\":{\"focusedElement\":{\"text\":\"same-s3cr3t\"}},\"a11y_tree\":"
             "{\"text\":\"same-s3cr3t\",\"isPassword\":true," PW_BOUNDS "}}",
             NULL);
    cr_assert_eq(tl_ui_get_info(ui)->focused, -1);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "s3cr3t");

    /* A password field elsewhere does not mask the text of a focused ordinary field. */
    parse_ok(ui,
             "{\"a11y_tree\":[{\"text\":\"plain words\",\"resourceId\":\"com.ex:id/user\","
             "\"isFocused\":true,\"isEditable\":true," PW_BOUNDS "},{\"text\":\"pw-value\","
             "\"resourceId\":\"com.ex:id/pw\",\"isPassword\":true," PW_BOUNDS "}],"
             "\"phone_state\":{\"focusedElement\":{\"text\":\"plain words\",\"resourceId\":"
             "\"com.ex:id/user\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, "plain words");
    cr_assert_str_eq(tl_ui_elements(ui)[0].text, "plain words");
    cr_assert_str_eq(tl_ui_elements(ui)[1].text, TL_UI_MASK);
    assert_secret_gone(ui, "pw-value");

    /* A password field on screen, the focused element not identified (no focus flag, no
     * resource id) and its text not the field's: masked rather than risked. */
    parse_ok(ui,
             "{\"a11y_tree\":[{\"text\":\"SuperSecret123\",\"resourceId\":\"com.ex:id/pw\","
             "\"isPassword\":true," PW_BOUNDS "},{\"text\":\"Sign in\"," PW_BOUNDS "}],"
             "\"phone_state\":{\"focusedElement\":{\"text\":\"SuperSecret12\","
             "\"resourceId\":\"\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "SuperSecret");

    /* The focused ordinary field is identified but shows other text than phone_state's (the
     * tree lags the keyboard): with a password field on screen, masked. */
    parse_ok(ui,
             "{\"a11y_tree\":[{\"text\":\"us\",\"isFocused\":true,\"isEditable\":true," PW_BOUNDS
             "},{\"text\":\"\",\"isPassword\":true," PW_BOUNDS "}],"
             "\"phone_state\":{\"focusedElement\":{\"text\":\"lagging-s3cr3t\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "s3cr3t");

    /* No password field in the tree, but the reply flags the focused element as one. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"text\":\"Login\"," PW_BOUNDS "},\"phone_state\":"
             "{\"focusedElement\":{\"isPassword\":true,\"text\":\"flagged-s3cr3t\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, TL_UI_MASK);
    assert_secret_gone(ui, "s3cr3t");

    /* No password anywhere: the focused text is kept even when the focus is unknown. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"text\":\"Search\"," PW_BOUNDS "},\"phone_state\":"
             "{\"focusedElement\":{\"text\":\"cat videos\"}}}",
             NULL);
    cr_assert_str_eq(tl_ui_get_info(ui)->focused_text, "cat videos");

    /* The uiautomator-style key in JSON, legacy shape, text with the short id suffix. */
    parse_ok(ui,
             "[{\"className\":\"EditText\",\"text\":\"hunter2xyz pw_input\",\"resourceId\":"
             "\"com.ex:id/pw_input\",\"password\":true,\"bounds\":\"0,100,1000,200\"}]",
             NULL);
    cr_assert_str_eq(tl_ui_elements(ui)->text, TL_UI_MASK);
    assert_secret_gone(ui, "hunter2");
    tl_ui_free(ui);
}

/* ---- strictness of the nested parse and of numbers ----------------------------------------- */

/* {"status":"success","result":"<inner, JSON-encoded>"} */
static void wrap_as_string(tl_buf *out, const char *inner)
{
    tl_buf_init(out, 0);
    tl_buf_puts(out, "{\"status\":\"success\",\"result\":");
    cr_assert_eq(tl_json_str(out, inner, strlen(inner)), TL_OK);
    tl_buf_puts(out, "}");
}

Test(ui_json, result_string_is_parsed_strictly)
{
    tl_ui *ui = tl_ui_new();
    tl_buf doc;
    /* Whitespace around the embedded document is fine. */
    wrap_as_string(&doc, " \n{\"a11y_tree\":{\"text\":\"a\"}}\r\n\t ");
    parse_ok(ui, doc.data, NULL);
    cr_assert_eq(tl_ui_count(ui), 1);
    cr_assert_str_eq(tl_ui_elements(ui)->text, "a");
    tl_buf_dispose(&doc);
    /* Trailing data inside the string is an error, as it is outside. */
    static const char *const bad[] = {
        "{\"a11y_tree\":{\"text\":\"a\"}} garbage",
        "{\"a11y_tree\":{\"text\":\"a\"}}}",
        "[{\"text\":\"a\"}]]",
        "[{\"text\":\"a\"}]{\"text\":\"b\"}",
        "{\"a11y_tree\":{\"text\":\"a\"}},",
        "{\"a11y_tree\":{\"text\":\"a\"}}\"",
        "{\"a11y_tree\":{\"text\":\"a\"}",
        "{\"a11y_tree\":{\"text\":\"a\"",
        "",
        "   ",
        "nope",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wrap_as_string(&doc, bad[i]);
        parse_fails(ui, doc.data, "inside the JSON-encoded result string");
        tl_buf_dispose(&doc);
    }
    /* The offset is the one inside the string. */
    wrap_as_string(&doc, "{\"a11y_tree\":{\"text\":\"a\"}} garbage");
    parse_fails(ui, doc.data, "byte 27");
    tl_buf_dispose(&doc);
    tl_ui_free(ui);
}

Test(ui_json, long_numbers_are_read_exactly)
{
    tl_ui *ui = tl_ui_new();
    /* 2.75 and 1.0 written with 70-digit mantissas and an exponent. */
    parse_ok(ui,
             "{\"a11y_tree\":{\"text\":\"x\",\"boundsInScreen\":{\"left\":"
             "1000000000000000000000000000000000000000000000000000000000000000000000e-69,"
             "\"top\":0.0000000000000000000000000000000000000000000000000000000000000000000002e70,"
             "\"right\":30,\"bottom\":40}},"
             "\"device_context\":{\"display_metrics\":{\"density\":"
             "2750000000000000000000000000000000000000000000000000000000000000000000e-69}}}",
             NULL);
    const tl_element *e = tl_ui_elements(ui);
    cr_assert(rect_eq(e->bounds, 1, 2, 30, 40), "bounds [%d,%d][%d,%d]", e->bounds.left,
              e->bounds.top, e->bounds.right, e->bounds.bottom);
    cr_assert_eq(tl_ui_get_info(ui)->density, 2.75, "density %g", tl_ui_get_info(ui)->density);
    /* Long plain integers clamp, long fractions truncate. */
    parse_ok(ui,
             "[{\"bounds\":[-99999999999999999999999999999999999999999999999999999999999999999999,"
             "0.50000000000000000000000000000000000000000000000000000000000000000000009,"
             "99999999999999999999999999999999999999999999999999999999999999999999,"
             "7.000000000000000000000000000000000000000000000000000000000000000000000001]}]",
             NULL);
    e = tl_ui_elements(ui);
    cr_assert(rect_eq(e->bounds, INT32_MIN, 0, INT32_MAX, 7), "bounds [%d,%d][%d,%d]",
              e->bounds.left, e->bounds.top, e->bounds.right, e->bounds.bottom);
    tl_ui_free(ui);
}
