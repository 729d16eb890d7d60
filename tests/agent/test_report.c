/*
 * test_report.c - report.html: the header, one card per step, screenshots embedded as data:
 * URLs by their magic bytes, the marks placed as percentages of the screen, missing and unsafe
 * screenshots, HTML escaping of every text (markup, quotes, non-ASCII, invalid UTF-8), the
 * pretty-printed output, balanced markup without external resources, and write errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/report.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/utf8.h"

static const unsigned char PNG[] = {
    0x89, 'P',  'N',  'G',  '\r', '\n', 0x1a, '\n', 0x00, 0x00, 0x00, 0x0d, 'I',  'H',
    'D',  'R',  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
    0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 'I',  'D',  'A',  'T',  0x08,
    0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d,
    0xb0, 0x00, 0x00, 0x00, 0x00, 'I',  'E',  'N',  'D',  0xae, 0x42, 0x60, 0x82};
static const unsigned char JPEG[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',
                                     'I',  'F',  0x00, 0x01, 0x01, 0x00, 0xff, 0xd9};

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/tl-report-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(agent_report, .init = make_dir, .fini = remove_dir);

static void put_file(const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tl_error err = {0};
    cr_assert_eq(tl_file_write(path, data, len, &err), TL_OK, "%s", err.msg);
}

/* Write the report and read it back (caller frees). */
static char *write_read(const tl_report_run *run, const tl_report_step *steps, size_t n)
{
    tl_error err = {0};
    int rc = tl_report_write(dir, run, steps, n, &err);
    cr_assert_eq(rc, TL_OK, "tl_report_write: %d %s", rc, err.msg);
    char path[256];
    snprintf(path, sizeof path, "%s/report.html", dir);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_file_read(&b, path, (size_t)64 << 20, &err), TL_OK, "%s", err.msg);
    cr_assert(tl_utf8_valid(b.data, b.len), "report.html is not valid UTF-8");
    return tl_buf_detach(&b, NULL);
}

static void has(const char *html, const char *needle)
{
    cr_assert_not_null(strstr(html, needle), "report.html lacks: %s", needle);
}

static void lacks(const char *html, const char *needle)
{
    cr_assert_null(strstr(html, needle), "report.html should not contain: %s", needle);
}

static size_t count(const char *html, const char *needle)
{
    size_t c = 0;
    for (const char *p = html; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        c++;
    return c;
}

/*
 * Check that elements are balanced and properly nested: every open tag but the void ones
 * (meta, img) and self-closed SVG ones is closed in order. Text inside <style> is skipped.
 */
static void check_balanced(const char *html)
{
    const char *stack[64];
    size_t depth = 0;
    const char *p = strstr(html, "<html");
    cr_assert_not_null(p);
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0, "no doctype");
    while ((p = strchr(p, '<')) != NULL) {
        const char *end = strchr(p, '>');
        cr_assert_not_null(end, "unterminated tag");
        bool closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " >/\n");
        bool self_closed = end[-1] == '/';
        if (!closing &&
            (strncmp(name, "meta", len) == 0 || strncmp(name, "img", len) == 0 || self_closed)) {
            p = end + 1;
            continue;
        }
        if (closing) {
            cr_assert(depth > 0, "</%.*s> closes nothing", (int)len, name);
            depth--;
            cr_assert(strncmp(stack[depth], name, len) == 0 && strlen(stack[depth]) >= len &&
                          strcspn(stack[depth], " >/\n") == len,
                      "</%.*s> closes <%.20s", (int)len, name, stack[depth]);
        } else {
            cr_assert(depth < 64, "nested too deep");
            stack[depth++] = name;
            if (strncmp(name, "style>", 6) == 0) {
                end = strstr(end, "</style>");
                cr_assert_not_null(end);
                end--;
            }
        }
        p = end + 1;
    }
    cr_assert_eq(depth, 0, "%zu elements left open", depth);
}

static const tl_report_run RUN = {
    .goal = "Turn on dark theme",
    .status = "completed",
    .message = "Dark theme is on",
    .output = "{\"dark_theme\":true}",
    .driver = "sim",
    .device = "sim-1",
    .model = "gpt-4o-mini",
    .started = "2024-05-01T12:00:00.000Z",
    .steps = 2,
    .duration_ms = 125000,
    .prompt_tokens = 1234567,
    .completion_tokens = 89,
};

Test(agent_report, header_and_steps)
{
    put_file("step-001.png", PNG, sizeof PNG);
    tl_report_step steps[2] = {
        {.step = 1,
         .time = "2024-05-01T12:00:01.000Z",
         .package = "com.android.settings",
         .screenshot = "step-001.png",
         .screen_w = 1080,
         .screen_h = 2400,
         .action = "{\"action\":\"tap\",\"index\":12}",
         .action_text = "tap [12] Switch \"Dark theme\"",
         .result = "ok",
         .reasoning = "The switch is off.",
         .llm_ms = 850,
         .step_ms = 12345,
         .prompt_tokens = 1000,
         .completion_tokens = 20},
        {.step = 2, .action = "{\"action\":\"done\"}", .action_text = "done", .result = "ok"},
    };
    char *html = write_read(&RUN, steps, 2);
    check_balanced(html);
    has(html, "<title>taploop \xE2\x80\x94 Turn on dark theme</title>");
    has(html, "<h1>Turn on dark theme</h1>");
    has(html, "<span class=\"status s-ok\">completed</span>");
    has(html, "<p class=\"message\">Dark theme is on</p>");
    has(html, "<dt>Driver</dt><dd>sim</dd>");
    has(html, "<dt>Device</dt><dd>sim-1</dd>");
    has(html, "<dt>Model</dt><dd>gpt-4o-mini</dd>");
    has(html, "<dt>Started</dt><dd>2024-05-01T12:00:00.000Z</dd>");
    has(html, "<dt>Steps</dt><dd>2</dd>");
    has(html, "<dt>Duration</dt><dd>2 min 05 s</dd>");
    has(html, "<dt>Tokens</dt><dd>1,234,567 prompt + 89 completion</dd>");
    has(html, "<pre class=\"output\">{\n  &quot;dark_theme&quot;: true\n}</pre>");
    cr_assert_eq(count(html, "<section class=\"card step"), 2);
    has(html, "id=\"step-1\"");
    has(html, "id=\"step-2\"");
    has(html, "<a href=\"#step-1\" title=\"tap [12] Switch &quot;Dark theme&quot;\">1</a>");
    has(html, "<h2>Step 1</h2><span class=\"meta\">2024-05-01T12:00:01.000Z \xC2\xB7 "
              "com.android.settings</span>");
    has(html, "<p class=\"action\">tap [12] Switch &quot;Dark theme&quot;</p>");
    has(html, "<div class=\"result s-ok\">ok</div>");
    has(html, "<p class=\"reasoning\">The switch is off.</p>");
    has(html,
        "<pre class=\"json\">{&quot;action&quot;:&quot;tap&quot;,&quot;index&quot;:12}</pre>");
    has(html, "LLM <b>850 ms</b>");
    has(html, "step <b>12.3 s</b>");
    has(html, "tokens <b>1,000 + 20</b>");
    /* No external resources and no script needed. */
    lacks(html, "<script");
    lacks(html, "<link");
    lacks(html, "http://");
    lacks(html, "https://");
    free(html);
}

Test(agent_report, screenshots_are_embedded_by_magic_bytes)
{
    put_file("a.png", PNG, sizeof PNG);
    put_file("b.jpg", JPEG, sizeof JPEG);
    put_file("c.png", JPEG, sizeof JPEG); /* the name does not decide */
    tl_report_step steps[3] = {
        {.step = 1, .screenshot = "a.png", .screen_w = 1080, .screen_h = 2400},
        {.step = 2, .screenshot = "b.jpg", .screen_w = 1080, .screen_h = 2400},
        {.step = 3, .screenshot = "c.png", .screen_w = 2400, .screen_h = 1080},
    };
    char *html = write_read(&RUN, steps, 3);
    check_balanced(html);
    tl_buf want;
    tl_buf_init(&want, 0);
    cr_assert_eq(
        tl_buf_puts(&want, "<img alt=\"Screenshot of step 1\" src=\"data:image/png;base64,"),
        TL_OK);
    cr_assert_eq(tl_base64_encode(PNG, sizeof PNG, &want), TL_OK);
    cr_assert_eq(tl_buf_puts(&want, "\">"), TL_OK);
    has(html, want.data);
    tl_buf_clear(&want);
    cr_assert_eq(tl_buf_puts(&want, "src=\"data:image/jpeg;base64,"), TL_OK);
    cr_assert_eq(tl_base64_encode(JPEG, sizeof JPEG, &want), TL_OK);
    cr_assert_eq(count(html, want.data), 2);
    tl_buf_dispose(&want);
    /* A landscape screen gets the wide layout. */
    has(html, "<section class=\"card step none wide\" id=\"step-3\">");
    free(html);
}

Test(agent_report, tap_marks_are_percentages_of_the_screen)
{
    put_file("s.png", PNG, sizeof PNG);
    tl_report_step s = {
        .step = 1,
        .screenshot = "s.png",
        .screen_w = 1080,
        .screen_h = 2400,
        .action = "{\"action\":\"tap\",\"index\":12}",
        .result = "ok",
        .has_rect = true,
        .rect = {.left = 0, .top = 300, .right = 1080, .bottom = 400},
        .has_point = true,
        .x = 540,
        .y = 350,
    };
    char *html = write_read(&RUN, &s, 1);
    check_balanced(html);
    has(html, "<div class=\"box\" style=\"left:0.000%;top:12.500%;width:100.000%;"
              "height:4.166%\"></div>");
    has(html, "<div class=\"tap\" style=\"left:50.000%;top:14.583%\"></div>");
    has(html, "at <b>(540,350)</b>");
    has(html, "bounds <b>[0,300][1080,400]</b>");
    lacks(html, "<svg");
    /* The marks are inside the image's frame, after the image. */
    const char *frame = strstr(html, "<div class=\"frame\">");
    cr_assert_not_null(frame);
    cr_assert(strstr(frame, "<img") < strstr(frame, "class=\"box\""));
    cr_assert(strstr(frame, "class=\"box\"") < strstr(frame, "</div></div>"));
    free(html);
}

Test(agent_report, swipe_is_drawn_as_an_arrow)
{
    put_file("s.png", PNG, sizeof PNG);
    tl_report_step s = {
        .step = 4,
        .screenshot = "s.png",
        .screen_w = 1080,
        .screen_h = 2400,
        .action = "{\"action\":\"swipe\"}",
        .result = "ok",
        .has_point = true,
        .x = 540,
        .y = 1800,
        .has_end = true,
        .x2 = 540,
        .y2 = 600,
    };
    char *html = write_read(&RUN, &s, 1);
    check_balanced(html);
    has(html, "<svg class=\"path\" viewBox=\"0 0 1080 2400\" preserveAspectRatio=\"none\"");
    /* Stroke 1080/90+1 = 13, arrowhead 65 long: the line stops at its base. */
    has(html, "<line x1=\"540\" y1=\"1800\" x2=\"540\" y2=\"665\" stroke-width=\"13\"");
    has(html, "<polygon points=\"540,600 579,665 501,665\"");
    has(html, "<div class=\"tap\" style=\"left:50.000%;top:75.000%\"></div>");
    has(html, "from <b>(540,1800)</b> to <b>(540,600)</b>");
    free(html);
}

Test(agent_report, no_marks_without_a_screen_size)
{
    put_file("s.png", PNG, sizeof PNG);
    tl_report_step s = {.step = 1,
                        .screenshot = "s.png",
                        .has_rect = true,
                        .rect = {0, 0, 10, 10},
                        .has_point = true,
                        .x = 5,
                        .y = 5};
    char *html = write_read(&RUN, &s, 1);
    has(html, "<img");
    lacks(html, "class=\"box\"");
    lacks(html, "class=\"tap\"");
    free(html);
}

Test(agent_report, missing_and_unsafe_screenshots)
{
    put_file("text.png", "hello", 5);
    tl_report_step steps[4] = {
        {.step = 1, .screenshot = "nope.png", .screen_w = 1080, .screen_h = 2400},
        {.step = 2, .screenshot = "../etc/passwd"},
        {.step = 3, .screenshot = "text.png"},
        {.step = 4, .action_text = "wait 500 ms", .result = "ok"},
    };
    char *html = write_read(&RUN, steps, 4);
    check_balanced(html);
    has(html, "<div class=\"noimg\">Screenshot nope.png is missing or cannot be read</div>");
    has(html, "<div class=\"noimg\">Screenshot ../etc/passwd is not a file name inside the run "
              "directory</div>");
    has(html, "<div class=\"noimg\">Screenshot text.png is not a PNG or JPEG image</div>");
    lacks(html, "<img");
    has(html, "<section class=\"card step ok noshot\" id=\"step-4\">");
    has(html, "<p class=\"action\">wait 500 ms</p>");
    free(html);
}

Test(agent_report, failed_step_is_red)
{
    tl_report_step steps[2] = {
        {.step = 1,
         .action = "{\"action\":\"tap\",\"index\":99}",
         .action_text = "tap [99]",
         .result = "error: no element [99] in the current listing",
         .errors = "no element [99]\nthe listing has 14 elements"},
        {.step = 2, .reasoning = "thinking"},
    };
    char *html = write_read(&RUN, steps, 2);
    check_balanced(html);
    has(html, "<section class=\"card step bad noshot\" id=\"step-1\">");
    has(html, "<div class=\"result s-bad\">error: no element [99] in the current listing</div>");
    has(html, "<pre class=\"errors\">no element [99]\nthe listing has 14 elements</pre>");
    has(html, "<a href=\"#step-1\" class=\"bad\" title=\"tap [99]\">1</a>");
    /* A finishing step's result "done" is not an error. */
    tl_report_step done = {.step = 3, .action_text = "done", .result = "done"};
    char *html2 = write_read(&RUN, &done, 1);
    has(html2, "<section class=\"card step ok noshot\" id=\"step-3\">");
    has(html2, "<div class=\"result s-ok\">done</div>");
    lacks(html2, "class=\"bad\"");
    free(html2);
    /* A step without action or result. */
    has(html, "<section class=\"card step none noshot\" id=\"step-2\">");
    has(html, "<span class=\"none\">No action</span>");
    has(html, "<a href=\"#step-2\" title=\"no action\">2</a>");
    free(html);
}

Test(agent_report, everything_is_escaped)
{
    tl_report_run run = {
        .goal = "Search <script>alert('x')</script> & \"quotes\" — café ☕",
        .status = "failed",
        .message = "<b>bold</b> & done",
        .output = "{\"html\":\"<i>&</i>\",\"q\":\"'\\\"\"}",
        .driver = "<d>",
        .device = "dev\"ice",
        .model = "m&m",
    };
    tl_report_step s = {
        .step = 1,
        .time = "<t>",
        .package = "<p>",
        .action = "{\"action\":\"type\",\"text\":\"<script>&\"}",
        .action_text = "type \"<script>\" 日本語",
        .result = "error: <bad> & 'worse'",
        .reasoning = "Line one <script>\nLine two & \"three\"\n\tindented é",
        .errors = "<err>",
    };
    char *html = write_read(&run, &s, 1);
    check_balanced(html);
    lacks(html, "<script");
    lacks(html, "<b>bold");
    lacks(html, "<i>&");
    lacks(html, "<bad>");
    lacks(html, "<err>");
    lacks(html, "<d>");
    has(html, "<h1>Search &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
              "&quot;quotes&quot; — café ☕</h1>");
    has(html, "<span class=\"status s-bad\">failed</span>");
    has(html, "<p class=\"message\">&lt;b&gt;bold&lt;/b&gt; &amp; done</p>");
    has(html, "<pre class=\"output\">{\n  &quot;html&quot;: &quot;&lt;i&gt;&amp;&lt;/i&gt;&quot;,\n"
              "  &quot;q&quot;: &quot;&#39;\\&quot;&quot;\n}</pre>");
    has(html, "<dd>&lt;d&gt;</dd>");
    has(html, "<dd>dev&quot;ice</dd>");
    has(html, "<dd>m&amp;m</dd>");
    has(html, "&lt;t&gt; \xC2\xB7 &lt;p&gt;");
    has(html, "<p class=\"action\">type &quot;&lt;script&gt;&quot; 日本語</p>");
    has(html, "<div class=\"result s-bad\">error: &lt;bad&gt; &amp; &#39;worse&#39;</div>");
    has(html, "<p class=\"reasoning\">Line one &lt;script&gt;\nLine two &amp; &quot;three&quot;\n"
              "\tindented é</p>");
    has(html, "<pre class=\"errors\">&lt;err&gt;</pre>");
    has(html, "title=\"type &quot;&lt;script&gt;&quot; 日本語\"");
    free(html);
}

Test(agent_report, invalid_utf8_and_controls_are_replaced)
{
    tl_report_run run = {.goal = "bad \xff\xfe bytes \x01 and \x1b[31m and \xc2\x85 end"};
    char *html = write_read(&run, NULL, 0);
    has(html, "<h1>bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD and \xEF\xBF\xBD[31m and "
              "\xEF\xBF\xBD end</h1>");
    has(html, "No steps were recorded.");
    free(html);
}

Test(agent_report, long_goal_is_cut_in_the_title)
{
    char goal[300];
    memset(goal, 'a', sizeof goal - 1);
    goal[sizeof goal - 1] = '\0';
    tl_report_run run = {.goal = goal};
    char *html = write_read(&run, NULL, 0);
    char want[200];
    snprintf(want, sizeof want, "<title>taploop \xE2\x80\x94 %.80s\xE2\x80\xA6</title>", goal);
    has(html, want);
    free(html);
}

Test(agent_report, status_colours_and_formats)
{
    static const struct {
        const char *status, *cls;
    } cases[] = {
        {"completed", "s-ok"},   {"failed", "s-bad"},   {"error", "s-bad"},
        {"max_steps", "s-warn"}, {"timeout", "s-warn"}, {"interrupted", "s-dim"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_report_run run = {.status = cases[i].status, .duration_ms = (long)i * 1000 + 5};
        char *html = write_read(&run, NULL, 0);
        char want[128];
        snprintf(want, sizeof want, "<span class=\"status %s\">%s</span>", cases[i].cls,
                 cases[i].status);
        has(html, want);
        free(html);
    }
    tl_report_run run = {.duration_ms = 3725000, .output = "null"};
    char *html = write_read(&run, NULL, 0);
    has(html, "<dt>Duration</dt><dd>1 h 02 min</dd>");
    has(html, "<span class=\"status s-dim\">unknown</span>");
    has(html, "<h1>(no goal)</h1>");
    lacks(html, "class=\"output\""); /* a null output is not shown */
    free(html);
}

Test(agent_report, output_that_is_not_json_is_shown_as_is)
{
    tl_report_run run = {.output = "{not json <x>"};
    char *html = write_read(&run, NULL, 0);
    has(html, "<pre class=\"output\">{not json &lt;x&gt;</pre>");
    free(html);
    run.output = "[[],{},[1,{\"a\":[]}]]";
    html = write_read(&run, NULL, 0);
    has(html, "<pre class=\"output\">[\n  [],\n  {},\n  [\n    1,\n    {\n      &quot;a&quot;: "
              "[]\n    }\n  ]\n]</pre>");
    free(html);
}

Test(agent_report, null_run_and_many_steps)
{
    tl_report_step steps[200];
    for (int i = 0; i < 200; i++)
        steps[i] = (tl_report_step){.step = i + 1, .action_text = "wait", .result = "ok"};
    char *html = write_read(NULL, steps, 200);
    check_balanced(html);
    cr_assert_eq(count(html, "<section class=\"card step"), 200);
    cr_assert_eq(count(html, "<a href=\"#step-"), 200);
    free(html);
}

Test(agent_report, replaces_an_existing_report)
{
    put_file("report.html", "old", 3);
    char *html = write_read(&RUN, NULL, 0);
    has(html, "<h1>Turn on dark theme</h1>");
    free(html);
    /* No temporary file is left behind. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    cr_assert_eq(system(cmd), 0, "files left next to report.html");
}

Test(agent_report, unwritable_directory_is_an_io_error)
{
    char missing[128];
    snprintf(missing, sizeof missing, "%s/does/not/exist", dir);
    tl_error err = {0};
    cr_assert_eq(tl_report_write(missing, &RUN, NULL, 0, &err), TL_EIO);
    cr_assert_not_null(strstr(err.msg, "does/not/exist/report.html"), "%s", err.msg);
}
