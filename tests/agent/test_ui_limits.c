/*
 * test_ui_limits.c - the element index under pressure: nesting and size limits of both parsers
 * (trees built in memory), large trees, and the derived visible areas and tap points.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/json.h"
#include "test_helpers.h"

static void put_n(tl_buf *b, const char *s, size_t n)
{
    size_t l = strlen(s);
    cr_assert_eq(tl_buf_reserve(b, l * n), TL_OK);
    for (size_t i = 0; i < n; i++)
        tl_buf_append(b, s, l);
}

/* Parse b; return the status, and the message in err. */
static int parse_buf(tl_ui *ui, const tl_buf *b, const tl_ui_options *o, tl_error *err)
{
    tl_error_clear(err);
    return tl_ui_parse(ui, b->data, b->len, o, err);
}

static void expect_fail(tl_ui *ui, const tl_buf *b, const tl_ui_options *o, const char *what,
                        const char *n1, const char *n2)
{
    tl_error err;
    int rc = parse_buf(ui, b, o, &err);
    cr_assert_eq(rc, TL_EPARSE, "%s: rc %d (%s)", what, rc, err.msg);
    if (n1)
        cr_assert(strstr(err.msg, n1), "%s: \"%s\" lacks \"%s\"", what, err.msg, n1);
    if (n2)
        cr_assert(strstr(err.msg, n2), "%s: \"%s\" lacks \"%s\"", what, err.msg, n2);
    cr_assert_eq(tl_ui_count(ui), 0, "%s: elements left after the error", what);
}

static void expect_ok(tl_ui *ui, const tl_buf *b, const tl_ui_options *o, const char *what)
{
    tl_error err;
    int rc = parse_buf(ui, b, o, &err);
    cr_assert_eq(rc, TL_OK, "%s: %s", what, err.msg);
}

/* A chain of `depth` nested JSON nodes: {"children":[{"children":[ ... ]}]}. */
static void json_chain(tl_buf *b, const char *prefix, size_t depth, const char *suffix)
{
    tl_buf_init(b, 0);
    tl_buf_puts(b, prefix);
    put_n(b, "{\"children\":[", depth);
    put_n(b, "]}", depth);
    tl_buf_puts(b, suffix);
}

/* A chain of `depth` nested <node> elements. */
static void xml_chain(tl_buf *b, size_t depth)
{
    tl_buf_init(b, 0);
    tl_buf_puts(b, "<hierarchy rotation=\"0\">");
    put_n(b, "<node class=\"A\" bounds=\"[0,0][10,10]\">", depth);
    put_n(b, "</node>", depth);
    tl_buf_puts(b, "</hierarchy>");
}

/* The deepest element's depth. */
static uint32_t max_depth_of(const tl_ui *ui)
{
    uint32_t d = 0;
    for (size_t i = 0; i < tl_ui_count(ui); i++)
        if (tl_ui_elements(ui)[i].depth > d)
            d = tl_ui_elements(ui)[i].depth;
    return d;
}

/* ---- nesting ------------------------------------------------------------------------------- */

Test(ui_limits, json_nesting_beyond_the_limit)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    /* In an a11y_tree: the 513th level is refused where its object opens. */
    json_chain(&b, "{\"a11y_tree\":", 100000, "}");
    tl_error err;
    cr_assert_eq(parse_buf(ui, &b, NULL, &err), TL_EPARSE, "%s", err.msg);
    char where[64];
    snprintf(where, sizeof where, "byte %d ", 13 + 512 * 13);
    cr_assert(strstr(err.msg, where), "\"%s\" lacks \"%s\"", err.msg, where);
    cr_assert(strstr(err.msg, "512"), "%s", err.msg);
    cr_assert(strstr(err.msg, "limit"), "%s", err.msg);
    cr_assert_eq(tl_ui_count(ui), 0);
    tl_buf_dispose(&b);
    /* A bare node, an array of nodes, and inside a result wrapper. */
    json_chain(&b, "", 100000, "");
    expect_fail(ui, &b, NULL, "bare node", "512", "limit");
    tl_buf_dispose(&b);
    json_chain(&b, "[", 100000, "]");
    expect_fail(ui, &b, NULL, "array", "512", "limit");
    tl_buf_dispose(&b);
    json_chain(&b, "{\"status\":\"success\",\"result\":{\"a11y_tree\":[", 100000, "]}}");
    expect_fail(ui, &b, NULL, "wrapped", "512", "limit");
    tl_buf_dispose(&b);
    /* Exactly at the limit is fine. */
    json_chain(&b, "{\"a11y_tree\":", 512, "}");
    expect_ok(ui, &b, NULL, "512 levels");
    cr_assert_eq(tl_ui_count(ui), 512);
    cr_assert_eq(max_depth_of(ui), 511);
    check_ui_structure(ui, "512 levels", true);
    tl_buf_dispose(&b);
    json_chain(&b, "{\"a11y_tree\":", 513, "}");
    expect_fail(ui, &b, NULL, "513 levels", "512", "limit");
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, xml_nesting_beyond_the_limit)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    xml_chain(&b, 100000);
    expect_fail(ui, &b, NULL, "xml 100000", "512", "limit");
    expect_fail(ui, &b, NULL, "xml 100000", "line 1", NULL);
    tl_buf_dispose(&b);
    xml_chain(&b, 512);
    expect_ok(ui, &b, NULL, "xml 512");
    cr_assert_eq(tl_ui_count(ui), 512);
    cr_assert_eq(max_depth_of(ui), 511);
    check_ui_structure(ui, "xml 512", true);
    tl_buf_dispose(&b);
    xml_chain(&b, 513);
    expect_fail(ui, &b, NULL, "xml 513", "512", "limit");
    tl_buf_dispose(&b);
    /* Deep wrappers that are not <node> are bounded too. */
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "<hierarchy>");
    put_n(&b, "<w>", 100000);
    tl_buf_puts(&b, "<node class=\"A\" bounds=\"[0,0][1,1]\"/>");
    put_n(&b, "</w>", 100000);
    tl_buf_puts(&b, "</hierarchy>");
    expect_fail(ui, &b, NULL, "xml wrappers", "limit", "line");
    tl_buf_dispose(&b);
    /* Unclosed deep nesting is a limit error, not a crash or an expat error at the end. */
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "<hierarchy>");
    put_n(&b, "<node>", 100000);
    expect_fail(ui, &b, NULL, "xml unclosed", "limit", NULL);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, custom_max_depth_is_honoured)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    tl_ui_options o = {.max_depth = 10};
    json_chain(&b, "{\"a11y_tree\":", 10, "}");
    expect_ok(ui, &b, &o, "json 10 of 10");
    cr_assert_eq(tl_ui_count(ui), 10);
    cr_assert_eq(max_depth_of(ui), 9);
    tl_buf_dispose(&b);
    json_chain(&b, "{\"a11y_tree\":", 11, "}");
    expect_fail(ui, &b, &o, "json 11 of 10", "10 levels", "limit");
    expect_ok(ui, &b, NULL, "json 11, default limit");
    tl_buf_dispose(&b);
    json_chain(&b, "", 11, "");
    expect_fail(ui, &b, &o, "bare json 11 of 10", "10 levels", "limit");
    tl_buf_dispose(&b);
    xml_chain(&b, 10);
    expect_ok(ui, &b, &o, "xml 10 of 10");
    cr_assert_eq(tl_ui_count(ui), 10);
    tl_buf_dispose(&b);
    xml_chain(&b, 11);
    expect_fail(ui, &b, &o, "xml 11 of 10", "10 levels", "limit");
    tl_buf_dispose(&b);
    /* max_depth 1: only roots. */
    tl_ui_options flat = {.max_depth = 1};
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "[{\"text\":\"a\"},{\"text\":\"b\",\"children\":[]}]");
    expect_ok(ui, &b, &flat, "flat");
    cr_assert_eq(tl_ui_count(ui), 2);
    tl_buf_dispose(&b);
    json_chain(&b, "", 2, "");
    expect_fail(ui, &b, &flat, "flat, one child", "1 levels", "limit");
    tl_buf_dispose(&b);

    /* A higher limit: 100000 levels parse (iteratively: no C stack per level). */
    tl_ui_options deep = {.max_depth = 200000};
    json_chain(&b, "{\"a11y_tree\":", 100000, "}");
    expect_ok(ui, &b, &deep, "json 100000 of 200000");
    cr_assert_eq(tl_ui_count(ui), 100000);
    cr_assert_eq(tl_ui_elements(ui)[99999].depth, 99999);
    cr_assert_eq(tl_ui_elements(ui)[99999].parent, 99998);
    cr_assert_eq(tl_ui_elements(ui)[0].end, 100000);
    check_ui_structure(ui, "json 100000 deep", true);
    tl_buf_dispose(&b);
    xml_chain(&b, 100000);
    expect_ok(ui, &b, &deep, "xml 100000 of 200000");
    cr_assert_eq(tl_ui_count(ui), 100000);
    cr_assert_eq(tl_ui_elements(ui)[99999].depth, 99999);
    check_ui_structure(ui, "xml 100000 deep", true);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, deep_skipped_values_error_cleanly)
{
    static const struct {
        const char *prefix, *open, *close, *suffix;
    } cases[] = {
        {"{\"a11y_tree\":{\"text\":\"a\",\"extra\":", "[", "]", "}}"},
        {"{\"a11y_tree\":{\"extra\":", "{\"x\":", "}", ",\"text\":\"a\"}}"},
        {"{\"a11y_tree\":[{\"children\":[{\"actionList\":", "[{\"a\":", "}]", "}]}]}"},
        {"{\"unknown\":", "[", "]", ",\"a11y_tree\":{}}"},
        {"{\"phone_state\":{\"x\":", "[", "]", "},\"a11y_tree\":{}}"},
        {"{\"phone_state\":{\"focusedElement\":{\"x\":", "[", "]", "}},\"a11y_tree\":{}}"},
        {"{\"device_context\":{\"screen_bounds\":{\"x\":", "[", "]", "}},\"a11y_tree\":{}}"},
        {"{\"ime_tree\":{\"children\":", "[", "]", "},\"a11y_tree\":{}}"},
        {"{\"a11y_tree\":{\"boundsInScreen\":{\"left\":1,\"extra\":", "[", "]", "}}}"},
        {"{\"status\":\"success\",\"result\":{\"a11y_tree\":{},\"x\":", "{\"y\":", "}", "}}"},
        {"[{\"text\":\"a\",\"z\":", "[", "]", "}]"},
    };
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[64];
        /* 100000 levels: refused. */
        tl_buf_init(&b, 0);
        tl_buf_puts(&b, cases[i].prefix);
        put_n(&b, cases[i].open, 100000);
        tl_buf_puts(&b, "1");
        put_n(&b, cases[i].close, 100000);
        tl_buf_puts(&b, cases[i].suffix);
        snprintf(what, sizeof what, "case %zu deep", i);
        expect_fail(ui, &b, NULL, what, "byte", "nested deeper than");
        tl_buf_dispose(&b);
        /* 200 levels: skipped, and the tree is read. */
        tl_buf_init(&b, 0);
        tl_buf_puts(&b, cases[i].prefix);
        put_n(&b, cases[i].open, 200);
        tl_buf_puts(&b, "1");
        put_n(&b, cases[i].close, 200);
        tl_buf_puts(&b, cases[i].suffix);
        snprintf(what, sizeof what, "case %zu shallow", i);
        expect_ok(ui, &b, NULL, what);
        cr_assert_geq(tl_ui_count(ui), 1, "%s", what);
        tl_buf_dispose(&b);
    }
    /* Envelope wrappers nested without end. */
    tl_buf_init(&b, 0);
    put_n(&b, "{\"result\":", 100000);
    tl_buf_puts(&b, "{\"a11y_tree\":{}}");
    put_n(&b, "}", 100000);
    expect_fail(ui, &b, NULL, "result wrappers", "byte", "wrappers");
    tl_buf_dispose(&b);
    tl_buf_init(&b, 0);
    put_n(&b, "{\"data\":", 3);
    tl_buf_puts(&b, "{\"a11y_tree\":{\"text\":\"in\"}}");
    put_n(&b, "}", 3);
    expect_ok(ui, &b, NULL, "three data wrappers");
    cr_assert_str_eq(tl_ui_elements(ui)->text, "in");
    tl_buf_dispose(&b);
    /* A result string holding a result string holding ...: bounded as well. */
    tl_buf inner;
    tl_buf_init(&inner, 0);
    tl_buf_puts(&inner, "{\"a11y_tree\":{\"text\":\"in\"}}");
    for (int level = 0; level < 8; level++) {
        tl_buf_init(&b, 0);
        tl_buf_puts(&b, "{\"status\":\"success\",\"result\":");
        tl_json_str(&b, inner.data, inner.len);
        tl_buf_puts(&b, "}");
        tl_buf_dispose(&inner);
        inner = b;
    }
    expect_fail(ui, &inner, NULL, "result strings", "byte", "wrappers");
    tl_buf_dispose(&inner);
    tl_ui_free(ui);
}

/* ---- size ---------------------------------------------------------------------------------- */

/* Append one compact Portal-style leaf node. */
static void put_leaf(tl_buf *b, size_t i)
{
    int y = (int)(i % 2000);
    tl_buf_printf(b,
                  "{\"className\":\"android.widget.TextView\",\"text\":\"n%zu\",\"boundsInScreen\":"
                  "{\"left\":0,\"top\":%d,\"right\":1000,\"bottom\":%d}}",
                  i, y, y + 1);
}

#define ROOT_OPEN                                                                                  \
    "{\"a11y_tree\":{\"className\":\"android.widget.FrameLayout\",\"boundsInScreen\":{\"left\":0," \
    "\"top\":0,\"right\":1000,\"bottom\":2000},\"children\":["

static void check_big(const tl_ui *ui, size_t want, const char *what)
{
    cr_assert_eq(tl_ui_count(ui), want, "%s: %zu elements", what, tl_ui_count(ui));
    size_t per = tl_ui_retained_bytes(ui) / tl_ui_count(ui);
    cr_assert_lt(per, 512, "%s: %zu retained bytes per element", what, per);
    check_ui_structure(ui, what, true);
}

Test(ui_limits, two_hundred_thousand_nodes_wide)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, ROOT_OPEN);
    for (size_t i = 1; i < 200000; i++) {
        if (i > 1)
            tl_buf_putc(&b, ',');
        put_leaf(&b, i);
    }
    tl_buf_puts(&b, "]}}");
    expect_ok(ui, &b, NULL, "json wide");
    check_big(ui, 200000, "json wide");
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_str_eq(el[1].text, "n1");
    cr_assert_str_eq(el[123457].text, "n123457");
    cr_assert_str_eq(el[199999].text, "n199999");
    cr_assert(rect_eq(el[199999].bounds, 0, 1999, 1000, 2000));
    cr_assert_eq(el[199999].parent, 0);
    cr_assert_eq(el[199998].next_sibling, 199999);
    cr_assert_eq(el[0].end, 200000);
    cr_assert_eq(tl_ui_listed_count(ui), 199999);
    cr_assert_eq(tl_ui_by_index(ui, 199999), &el[199999]);

    /* The same index parses a small tree next, then the big one again. */
    tl_error err;
    cr_assert_eq(tl_ui_parse(ui, "[{\"text\":\"x\"}]", 14, NULL, &err), TL_OK);
    cr_assert_eq(tl_ui_count(ui), 1);
    expect_ok(ui, &b, NULL, "json wide again");
    check_big(ui, 200000, "json wide again");

    /* One element over max_nodes is refused, exactly max_nodes is fine. */
    tl_ui_options at = {.max_nodes = 200000}, below = {.max_nodes = 199999};
    expect_ok(ui, &b, &at, "max_nodes 200000");
    cr_assert_eq(tl_ui_count(ui), 200000);
    expect_fail(ui, &b, &below, "max_nodes 199999", "199999", "limit");
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, two_hundred_thousand_nodes_wide_and_deep)
{
    /* A root, 1999 chains of 100 nested nodes, and 99 leaves: 200000 elements, depth 100. */
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, ROOT_OPEN);
    size_t id = 1;
    for (size_t c = 0; c < 1999; c++) {
        if (c)
            tl_buf_putc(&b, ',');
        for (int d = 0; d < 100; d++)
            tl_buf_printf(&b, "{\"text\":\"c%zu\",\"children\":[", id++);
        put_n(&b, "]}", 100);
    }
    for (size_t l = 0; l < 99; l++) {
        tl_buf_putc(&b, ',');
        put_leaf(&b, id++);
    }
    tl_buf_puts(&b, "]}}");
    cr_assert_eq(id, 200000);
    expect_ok(ui, &b, NULL, "json mixed");
    check_big(ui, 200000, "json mixed");
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_eq(max_depth_of(ui), 100);
    cr_assert_str_eq(el[100].text, "c100");
    cr_assert_eq(el[100].depth, 100);
    cr_assert_eq(el[1].next_sibling, 101);
    cr_assert_eq(el[101].parent, 0);
    cr_assert_str_eq(el[199999].text, "n199999");
    cr_assert_eq(el[199999].depth, 1);

    /* The same shape in XML. */
    tl_buf_dispose(&b);
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "<hierarchy rotation=\"0\"><node class=\"R\" bounds=\"[0,0][1000,2000]\">");
    for (size_t c = 0; c < 1999; c++) {
        put_n(&b, "<node text=\"c\" bounds=\"[0,0][10,10]\">", 100);
        put_n(&b, "</node>", 100);
    }
    put_n(&b, "<node text=\"l\" class=\"android.widget.TextView\" bounds=\"[0,0][5,5]\"/>", 99);
    tl_buf_puts(&b, "</node></hierarchy>");
    expect_ok(ui, &b, NULL, "xml mixed");
    check_big(ui, 200000, "xml mixed");
    cr_assert_eq(max_depth_of(ui), 100);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, two_hundred_thousand_nodes_xml)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b,
                "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="
                "\"0\"><node class=\"android.widget.FrameLayout\" bounds=\"[0,0][1000,2000]\">");
    for (size_t i = 1; i < 200000; i++)
        tl_buf_printf(&b,
                      "<node index=\"%zu\" text=\"n%zu\" class=\"android.widget.TextView\" "
                      "package=\"com.ex\" clickable=\"false\" bounds=\"[0,%zu][1000,%zu]\"/>",
                      i, i, i % 2000, i % 2000 + 1);
    tl_buf_puts(&b, "</node></hierarchy>");
    expect_ok(ui, &b, NULL, "xml wide");
    check_big(ui, 200000, "xml wide");
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_str_eq(el[199999].text, "n199999");
    cr_assert_str_eq(el[199999].pkg, "com.ex");
    cr_assert(rect_eq(el[199999].bounds, 0, 1999, 1000, 2000));
    cr_assert_eq(el[199999].parent, 0);
    tl_ui_options below = {.max_nodes = 199999};
    expect_fail(ui, &b, &below, "xml max_nodes", "199999", "limit");
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

Test(ui_limits, max_nodes_option)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "[");
    for (int i = 0; i < 1001; i++)
        tl_buf_printf(&b, "%s{\"text\":\"t%d\"}", i ? "," : "", i);
    tl_buf_puts(&b, "]");
    tl_ui_options o = {.max_nodes = 1000};
    expect_fail(ui, &b, &o, "json 1001 of 1000", "1000 elements", "limit");
    tl_error err;
    parse_buf(ui, &b, &o, &err);
    cr_assert(strstr(err.msg, "byte"), "%s", err.msg);
    o.max_nodes = 1001;
    expect_ok(ui, &b, &o, "json 1001 of 1001");
    cr_assert_eq(tl_ui_count(ui), 1001);
    /* max_nodes 1: a bare node with a child is refused, a lone node is fine. */
    tl_ui_options one = {.max_nodes = 1};
    tl_buf_dispose(&b);
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "{\"text\":\"root\",\"children\":[{\"text\":\"kid\"}]}");
    expect_fail(ui, &b, &one, "bare node + child of 1", "1 elements", "limit");
    tl_buf_dispose(&b);
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "{\"text\":\"root\"}");
    expect_ok(ui, &b, &one, "lone node of 1");
    cr_assert_eq(tl_ui_count(ui), 1);
    tl_buf_dispose(&b);
    /* XML. */
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "<hierarchy>");
    put_n(&b, "<node class=\"A\" bounds=\"[0,0][1,1]\"/>", 1001);
    tl_buf_puts(&b, "</hierarchy>");
    o.max_nodes = 1000;
    expect_fail(ui, &b, &o, "xml 1001 of 1000", "1000 elements", "line");
    o.max_nodes = 1001;
    expect_ok(ui, &b, &o, "xml 1001 of 1001");
    cr_assert_eq(tl_ui_count(ui), 1001);
    tl_buf_dispose(&b);
    tl_ui_free(ui);
}

/* ---- visible areas and tap points ---------------------------------------------------------- */

/* The start of a ui-state document on a 1000x2000 screen, up to the a11y_tree value: `members`
 * (each followed by a comma) come first; NULL gives a phone_state with a package. */
static void doc_start(tl_buf *b, const char *members)
{
    tl_buf_init(b, 0);
    tl_buf_printf(b,
                  "{\"device_context\":{\"screen_bounds\":{\"width\":1000,\"height\":2000}},"
                  "%s\"a11y_tree\":",
                  members ? members : "\"phone_state\":{\"packageName\":\"com.ex\"},");
}

/*
 * Append a node with these members and bounds; `open` leaves its children array open (close it
 * with "]}"). A leading comma is written when `comma`.
 */
static void put_node(tl_buf *b, bool comma, const char *members, long l, long t, long r, long bt,
                     bool open)
{
    tl_buf_printf(b,
                  "%s{%s%s\"boundsInScreen\":{\"left\":%ld,\"top\":%ld,\"right\":%ld,\"bottom\":"
                  "%ld}%s",
                  comma ? "," : "", members, members[0] ? "," : "", l, t, r, bt,
                  open ? ",\"children\":[" : "}");
}

/* A clickable button labelled `name`. */
static void put_button(tl_buf *b, bool comma, const char *name, long l, long t, long r, long bt)
{
    char members[128];
    snprintf(members, sizeof members, "\"text\":\"%s\",\"isClickable\":true", name);
    put_node(b, comma, members, l, t, r, bt, false);
}

static void parse_built(tl_ui *ui, tl_buf *b, const tl_ui_options *o)
{
    tl_error err = {0};
    int rc = tl_ui_parse(ui, b->data, b->len, o, &err);
    cr_assert_eq(rc, TL_OK, "%s\n  doc: %.400s", err.msg, b->data);
    tl_buf_dispose(b);
}

static void expect_tap(const tl_element *e, int32_t x, int32_t y)
{
    cr_assert(e->flags & TL_EL_TAPPABLE, "\"%s\" is not tappable", e->text);
    cr_assert(e->flags & TL_EL_LISTED, "\"%s\" is not listed", e->text);
    cr_assert(e->tap_x == x && e->tap_y == y, "\"%s\": tap (%d,%d), want (%d,%d)", e->text,
              e->tap_x, e->tap_y, x, y);
}

static void expect_untappable(const tl_element *e)
{
    cr_assert_not(e->flags & TL_EL_TAPPABLE, "\"%s\" is tappable", e->text);
    cr_assert_not(e->flags & TL_EL_LISTED, "\"%s\" is listed", e->text);
    cr_assert_eq(e->index, 0);
    cr_assert(rect_eq(e->visible, 0, 0, 0, 0), "\"%s\" has a visible area", e->text);
}

Test(ui_limits, tap_points_on_and_off_screen)
{
    static const struct {
        const char *name;
        long l, t, r, b;
    } buttons[] = {
        {"left", -200, 100, 200, 300},     /* partly off the left edge */
        {"corner", 900, 1900, 1300, 2300}, /* partly off the bottom right */
        {"right", 1100, 100, 1300, 300},   /* entirely off screen */
        {"above", 0, -300, 100, -100},
        {"below", 0, 2000, 100, 2100},
        {"inverted", 300, 300, 100, 100},
        {"flat", 100, 100, 100, 200},
        {"huge", -2147483648L, -2147483648L, 2147483647L, 2147483647L},
        {"inside", 10, 10, 21, 31},
        {"edge", 999, 1999, 1000, 2000},
    };
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    doc_start(&b, NULL);
    tl_buf_putc(&b, '[');
    for (size_t i = 0; i < sizeof buttons / sizeof buttons[0]; i++)
        put_button(&b, i > 0, buttons[i].name, buttons[i].l, buttons[i].t, buttons[i].r,
                   buttons[i].b);
    tl_buf_puts(&b, "]}");
    parse_built(ui, &b, NULL);
    const tl_element *el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 10);
    expect_tap(&el[0], 100, 200); /* the centre of the part that shows, not of the bounds */
    cr_assert(rect_eq(el[0].visible, 0, 100, 200, 300));
    cr_assert(rect_eq(el[0].bounds, -200, 100, 200, 300), "bounds are kept as reported");
    expect_tap(&el[1], 950, 1950);
    cr_assert(rect_eq(el[1].visible, 900, 1900, 1000, 2000));
    for (int i = 2; i <= 6; i++)
        expect_untappable(&el[i]);
    expect_tap(&el[7], 500, 1000);
    cr_assert(rect_eq(el[7].bounds, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX));
    expect_tap(&el[8], 15, 20);
    expect_tap(&el[9], 999, 1999);
    cr_assert_eq(tl_ui_listed_count(ui), 5);
    cr_assert_eq(tl_ui_element_at(ui, 100, 200), &el[0]);
    cr_assert_eq(tl_ui_element_at(ui, 15, 20), &el[8], "the smallest element wins");
    cr_assert_null(tl_ui_element_at(ui, 1200, 200), "an off-screen element is hit");
    tl_buf out;
    ui_outputs(ui, &out);
    tl_buf_dispose(&out);
    tl_buf_init(&out, 0);
    cr_assert_eq(tl_ui_listing(ui, &out), TL_OK);
    cr_assert_null(strstr(out.data, "\"right\""), "an off-screen element is listed");
    cr_assert_not_null(strstr(out.data, "\"left\" clickable (100,200)"), "%s", out.data);
    tl_buf_dispose(&out);
    check_ui_structure(ui, "off screen", true);

    /* Invisible to the user: never tappable. */
    doc_start(&b, NULL);
    put_node(&b, false, "\"text\":\"ghost\",\"isClickable\":true,\"isVisibleToUser\":false", 0, 0,
             100, 100, false);
    tl_buf_puts(&b, "}");
    parse_built(ui, &b, NULL);
    expect_untappable(tl_ui_elements(ui));
    tl_ui_free(ui);
}

Test(ui_limits, scroll_containers_clip_their_descendants)
{
    tl_ui *ui = tl_ui_new();
    tl_buf b;
    doc_start(&b, NULL);
    put_node(&b, false, "", 0, 0, 1000, 2000, true);                        /* 0 */
    put_node(&b, false, "\"isScrollable\":true", 0, 500, 1000, 1500, true); /* 1 */
    put_button(&b, false, "top", 0, 400, 1000, 600);                        /* 2 */
    put_button(&b, true, "bottom", 0, 1400, 1000, 1700);                    /* 3 */
    put_button(&b, true, "outside", 0, 1600, 1000, 1800);                   /* 4 */
    put_node(&b, true, "\"text\":\"frame\"", 0, 1200, 1000, 1700, true);    /* 5 */
    put_button(&b, false, "grandchild", 0, 1450, 500, 1650);                /* 6 */
    tl_buf_puts(&b, "]}");
    put_node(&b, true, "\"isScrollable\":true", 0, 1000, 1000, 1600, true); /* 7 */
    put_button(&b, false, "inner", 100, 1300, 300, 1800);                   /* 8 */
    tl_buf_puts(&b, "]}]}");
    put_button(&b, true, "sibling", 0, 1600, 1000, 1800); /* 9 */
    tl_buf_puts(&b, "]}}");
    parse_built(ui, &b, NULL);

    const tl_element *el = tl_ui_elements(ui);
    cr_assert_eq(tl_ui_count(ui), 10);
    cr_assert(rect_eq(el[1].visible, 0, 500, 1000, 1500));
    expect_tap(&el[2], 500, 550);
    cr_assert(rect_eq(el[2].visible, 0, 500, 1000, 600));
    expect_tap(&el[3], 500, 1450);
    expect_untappable(&el[4]);
    cr_assert_str_eq(el[5].text, "frame");
    cr_assert(rect_eq(el[5].visible, 0, 1200, 1000, 1500));
    expect_tap(&el[6], 250, 1475); /* clipped by the scrolling grandparent */
    cr_assert(rect_eq(el[7].visible, 0, 1000, 1000, 1500), "nested container clipped by outer");
    expect_tap(&el[8], 200, 1400); /* both containers: [1300,1500) */
    expect_tap(&el[9], 500, 1700); /* not inside the container: not clipped */
    check_ui_structure(ui, "scroll", true);

    /* The same in uiautomator XML. */
    const char *xml =
        "<hierarchy rotation=\"0\"><node class=\"F\" bounds=\"[0,0][1000,2000]\"><node "
        "class=\"L\" scrollable=\"true\" bounds=\"[0,500][1000,1500]\"><node text=\"a\" "
        "clickable=\"true\" bounds=\"[0,1400][1000,1700]\"/><node text=\"b\" "
        "clickable=\"true\" bounds=\"[0,1600][1000,1800]\"/></node></node></hierarchy>";
    tl_error err = {0};
    cr_assert_eq(tl_ui_parse(ui, xml, strlen(xml), NULL, &err), TL_OK, "%s", err.msg);
    el = tl_ui_elements(ui);
    expect_tap(&el[2], 500, 1450);
    expect_untappable(&el[3]);
    tl_ui_free(ui);
}

/* A root with three buttons: "field" at the top, "half" across the keyboard's top edge and
 * "under" below it; the keyboard tree (1500..2000) before or after the a11y_tree. */
static void keyboard_doc(tl_buf *b, bool visible, bool ime_first)
{
    static const char ime[] = "\"ime_tree\":{\"className\":\"android.widget.FrameLayout\","
                              "\"boundsInScreen\":{\"left\":0,\"top\":1500,\"right\":1000,"
                              "\"bottom\":2000},\"children\":[{\"text\":\"q\"}]}";
    char members[512];
    snprintf(members, sizeof members, "\"phone_state\":{\"keyboardVisible\":%s},%s%s",
             visible ? "true" : "false", ime_first ? ime : "", ime_first ? "," : "");
    doc_start(b, members);
    put_node(b, false, "", 0, 0, 1000, 2000, true);
    put_button(b, false, "field", 0, 100, 1000, 200);
    put_button(b, true, "half", 0, 1400, 1000, 1600);
    put_button(b, true, "under", 0, 1600, 1000, 1800);
    tl_buf_puts(b, "]}");
    if (!ime_first) {
        tl_buf_putc(b, ',');
        tl_buf_puts(b, ime);
    }
    tl_buf_putc(b, '}');
}

Test(ui_limits, keyboard_hides_what_lies_under_it)
{
    tl_ui *ui = tl_ui_new();
    for (int ime_first = 0; ime_first < 2; ime_first++) {
        tl_buf b;
        keyboard_doc(&b, true, ime_first);
        parse_built(ui, &b, NULL);
        const tl_element *el = tl_ui_elements(ui);
        const tl_ui_info *in = tl_ui_get_info(ui);
        cr_assert_eq(tl_ui_count(ui), 4, "the keyboard tree is not part of the index");
        cr_assert(in->keyboard_visible);
        cr_assert(rect_eq(in->keyboard, 0, 1500, 1000, 2000));
        expect_tap(&el[1], 500, 150);
        expect_tap(&el[2], 500, 1450);
        cr_assert(rect_eq(el[2].visible, 0, 1400, 1000, 1500));
        expect_untappable(&el[3]);
        cr_assert(rect_eq(el[0].visible, 0, 0, 1000, 1500));
        cr_assert_null(tl_ui_element_at(ui, 500, 1700), "a tap on the keyboard hits an element");
    }
    /* Keyboard reported gone: nothing is clipped. */
    tl_buf b;
    keyboard_doc(&b, false, false);
    parse_built(ui, &b, NULL);
    expect_tap(&tl_ui_elements(ui)[2], 500, 1500);
    expect_tap(&tl_ui_elements(ui)[3], 500, 1700);
    tl_ui_free(ui);
}

Test(ui_limits, tap_offset_shifts_tap_points)
{
    tl_ui *ui = tl_ui_new();
    tl_ui_options o = {.tap_dx = 30, .tap_dy = -63};
    for (int shifted = 1; shifted >= 0; shifted--) {
        tl_buf b;
        doc_start(&b, NULL);
        tl_buf_putc(&b, '[');
        put_button(&b, false, "mid", 0, 100, 200, 300);
        put_button(&b, true, "top", 0, 0, 100, 50);
        put_button(&b, true, "corner", 950, 1950, 1000, 2000);
        tl_buf_puts(&b, "]}");
        parse_built(ui, &b, shifted ? &o : NULL);
        const tl_element *el = tl_ui_elements(ui);
        cr_assert(rect_eq(el[0].visible, 0, 100, 200, 300), "the visible area is not shifted");
        if (!shifted) {
            expect_tap(&el[0], 100, 200);
            expect_tap(&el[1], 50, 25);
            expect_tap(&el[2], 975, 1975);
            continue;
        }
        expect_tap(&el[0], 130, 137);
        expect_tap(&el[1], 80, 0);     /* clamped to the screen */
        expect_tap(&el[2], 999, 1912); /* clamped to the screen */
        tl_buf out;
        tl_buf_init(&out, 0);
        cr_assert_eq(tl_ui_listing(ui, &out), TL_OK);
        cr_assert_not_null(strstr(out.data, "\"mid\" clickable (130,137)"), "%s", out.data);
        tl_buf_dispose(&out);
    }
    tl_ui_free(ui);
}

static void overlay_doc(tl_buf *b, const char *members)
{
    doc_start(b, members);
    tl_buf_putc(b, '[');
    put_button(b, false, "mid", 0, 100, 200, 300);
    tl_buf_puts(b, "]}");
}

Test(ui_limits, overlay_mode_adds_the_reported_overlay_offset)
{
    tl_ui *ui = tl_ui_new();
    tl_ui_options overlay = {.tap_overlay = true};
    tl_ui_options both = {.tap_dx = 10, .tap_dy = 5, .tap_overlay = true};
    static const char *const members[] = {
        "\"device_context\":{\"filtering_params\":{\"overlay_offset\":-80}},",
        "\"device_context\":{\"filtering_params\":{\"overlay_offset\":-2147483648}},",
    };
    for (int hostile = 0; hostile < 2; hostile++) {
        tl_buf b;
        overlay_doc(&b, members[hostile]);
        parse_built(ui, &b, NULL);
        cr_assert_eq(tl_ui_get_info(ui)->overlay_offset, hostile ? INT32_MIN : -80);
        expect_tap(tl_ui_elements(ui), 100, 200); /* recorded, not applied by default */
        overlay_doc(&b, members[hostile]);
        parse_built(ui, &b, &overlay);
        expect_tap(tl_ui_elements(ui), 100, hostile ? 0 : 120);
        overlay_doc(&b, members[hostile]);
        parse_built(ui, &b, &both);
        expect_tap(tl_ui_elements(ui), 110, hostile ? 0 : 125);
    }
    tl_ui_free(ui);
}

/* Extreme bounds on the window roots of a tree without phone state: deriving the foreground
 * package compares root areas, which must not overflow (UBSan would stop the test). */
Test(ui_limits, package_from_roots_with_extreme_bounds)
{
    static const char json[] =
        "[{\"className\":\"a.B\",\"packageName\":\"com.android.systemui\","
        "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":1080,\"bottom\":60}},"
        "{\"className\":\"a.B\",\"packageName\":\"com.example.big\","
        "\"boundsInScreen\":{\"left\":-2147483648,\"top\":-2147483648,"
        "\"right\":2147483647,\"bottom\":2147483647}}]";
    static const char xml[] =
        "<hierarchy rotation=\"0\"><node class=\"a.B\" package=\"com.android.systemui\" "
        "bounds=\"[0,0][1080,60]\"/><node class=\"a.B\" package=\"com.example.big\" "
        "bounds=\"[-2147483648,-2147483648][2147483647,2147483647]\"/></hierarchy>";
    const char *docs[] = {json, xml};
    for (size_t i = 0; i < 2; i++) {
        tl_ui *ui = tl_ui_new();
        tl_error err;
        cr_assert_eq(tl_ui_parse(ui, docs[i], strlen(docs[i]), NULL, &err), TL_OK, "%s", err.msg);
        cr_assert_str_eq(tl_ui_get_info(ui)->package, "com.example.big");
        tl_ui_free(ui);
    }
}
