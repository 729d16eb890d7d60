/*
 * report.c - report.html, the page to look through a run step by step (see report.h).
 *
 * The page is built in one tl_buf and written atomically. Its layout: a header card with the
 * goal, the coloured status, the message, the facts of the run and the structured output, a
 * strip of links to the steps (red for steps whose action failed), then one card per step with
 * the screenshot on the left and the text on the right (stacked on narrow screens).
 *
 * The screenshot sits in a relatively positioned frame; the marks drawn over it are absolutely
 * positioned with coordinates as percentages of the screen size (screen_w x screen_h), so they
 * stay on the element whatever the image's displayed size: a box for the acted-on element, a
 * dot for the tap point, and for a swipe an SVG line with an arrowhead whose viewBox is the
 * screen's coordinate space. Numbers are written with integer arithmetic so that no locale can
 * put a decimal comma into the CSS.
 *
 * No JavaScript and no external resource: CSS is inline, screenshots are data: URLs. Every text
 * is HTML-escaped, with invalid UTF-8 and control characters replaced by U+FFFD.
 */
#include "agent/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/utf8.h"

#ifndef TAPLOOP_VERSION
#define TAPLOOP_VERSION "dev"
#endif

/* Largest screenshot embedded. */
#define TL_REPORT_MAX_IMAGE  ((size_t)32 << 20)
/* Deepest indentation of the pretty-printed output, in levels. */
#define TL_REPORT_MAX_INDENT 32

/* The page being written: a buffer with a sticky out-of-memory flag. */
struct page {
    tl_buf b;
    bool oom;
};

static void put(struct page *p, const char *s)
{
    if (!p->oom && tl_buf_puts(&p->b, s) != TL_OK)
        p->oom = true;
}

static void putn(struct page *p, const char *s, size_t n)
{
    if (!p->oom && tl_buf_append(&p->b, s, n) != TL_OK)
        p->oom = true;
}

static void putf(struct page *p, const char *fmt, ...) TL_PRINTF(2, 3);

static void putf(struct page *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!p->oom && tl_buf_vprintf(&p->b, fmt, ap) != TL_OK)
        p->oom = true;
    va_end(ap);
}

/* Append n bytes of text HTML-escaped (valid in text and in quoted attribute values). */
static void text_n(struct page *p, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0; /* bytes [run, i) are copied as they are */
    while (i < n) {
        unsigned c = u[i];
        const char *rep = NULL;
        size_t len = 1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"')
            rep = "&quot;";
        else if (c == '\'')
            rep = "&#39;";
        else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            rep = "\xEF\xBF\xBD";
        else if (c >= 0x80) {
            uint32_t cp;
            len = tl_utf8_decode(u + i, n - i, &cp);
            if (len == 0) {
                rep = "\xEF\xBF\xBD";
                len = 1;
            } else if (cp >= 0x80 && cp < 0xa0) { /* C1 controls */
                rep = "\xEF\xBF\xBD";
            }
        }
        if (rep) {
            putn(p, s + run, i - run);
            put(p, rep);
            run = i + len;
        }
        i += len;
    }
    putn(p, s + run, n - run);
}

static void text(struct page *p, const char *s)
{
    if (s)
        text_n(p, s, strlen(s));
}

/* "1,234,567" */
static void put_count(struct page *p, long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    if (v < 0)
        put(p, "-");
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            put(p, ",");
        putn(p, &digits[i], 1);
    }
}

/* "850 ms", "12.3 s", "2 min 05 s"; "–" for a negative (unknown) time. */
static void put_ms(struct page *p, long ms)
{
    if (ms < 0)
        put(p, "\xE2\x80\x93");
    else if (ms < 1000)
        putf(p, "%ld ms", ms);
    else if (ms < 60000)
        putf(p, "%ld.%ld s", ms / 1000, ms % 1000 / 100);
    else if (ms < 3600000)
        putf(p, "%ld min %02ld s", ms / 60000, ms % 60000 / 1000);
    else
        putf(p, "%ld h %02ld min", ms / 3600000, ms % 3600000 / 60000);
}

/* num/den as a percentage with three decimals, e.g. "12.345%". den > 0. */
static void put_pct(struct page *p, long num, long den)
{
    long long v = (long long)num * 100000 / den; /* thousandths of a percent */
    const char *sign = v < 0 ? "-" : "";
    if (v < 0)
        v = -v;
    putf(p, "%s%lld.%03lld%%", sign, v / 1000, v % 1000);
}

/* A line break and the indentation of `depth` levels (at most TL_REPORT_MAX_INDENT). */
static void newline(struct page *p, int depth)
{
    static const char spaces[] = "                                                                ";
    int d = depth < 0 ? 0 : depth < TL_REPORT_MAX_INDENT ? depth : TL_REPORT_MAX_INDENT;
    put(p, "\n");
    putn(p, spaces, (size_t)d * 2);
}

/*
 * Append JSON text pretty-printed (2-space indentation, strings and numbers kept byte for
 * byte), escaped for HTML. Text that is not JSON is shown as it is.
 */
static void put_pretty_json(struct page *p, const char *json)
{
    size_t n = strlen(json);
    cJSON *check = cJSON_ParseWithLength(json, n);
    if (!check) {
        text_n(p, json, n);
        return;
    }
    cJSON_Delete(check);
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = json[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '"') {
            size_t j = i + 1;
            while (j < n && json[j] != '"')
                j += json[j] == '\\' ? 2 : 1;
            text_n(p, json + i, (j < n ? j + 1 : n) - i);
            i = j;
        } else if (c == '{' || c == '[') {
            size_t j = i + 1;
            while (j < n && strchr(" \t\r\n", json[j]))
                j++;
            putn(p, &c, 1);
            if (j < n && (json[j] == '}' || json[j] == ']')) { /* empty: {} or [] */
                putn(p, &json[j], 1);
                i = j;
            } else {
                newline(p, ++depth);
            }
        } else if (c == '}' || c == ']') {
            newline(p, --depth);
            putn(p, &c, 1);
        } else if (c == ',') {
            put(p, ",");
            newline(p, depth);
        } else if (c == ':') {
            put(p, ": ");
        } else {
            text_n(p, &c, 1);
        }
    }
}

/* ---- the page ------------------------------------------------------------------------------- */

static const char CSS[] =
    ":root{--bg:#f3f4f6;--card:#fff;--fg:#1f2328;--dim:#656d76;--line:#d8dee4;"
    "--code:#f6f8fa;--ok:#1a7f37;--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;"
    "--warn:#9a6700;--warnbg:#fff8c5;--mark:#ff2d55;--accent:#0969da}"
    "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;"
    "--dim:#8d96a0;--line:#30363d;--code:#0d1117;--ok:#3fb950;--okbg:#12261e;--bad:#f85149;"
    "--badbg:#301a1f;--warn:#d29922;--warnbg:#272115;--accent:#4493f8}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Noto Sans',Helvetica,Arial,sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:20px 16px 40px}"
    "pre,code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',"
    "monospace;font-size:13px}"
    "pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--code);"
    "border:1px solid var(--line);border-radius:6px;padding:8px 10px}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:12px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.06);padding:18px 20px;margin:0 0 18px}"
    ".run h1{font-size:22px;line-height:1.3;margin:0 0 10px;overflow-wrap:anywhere}"
    ".status{display:inline-block;font-weight:600;font-size:13px;padding:2px 10px;"
    "border-radius:999px;border:1px solid currentColor;vertical-align:middle}"
    ".s-ok{color:var(--ok);background:var(--okbg)}.s-bad{color:var(--bad);background:var(--badbg)}"
    ".s-warn{color:var(--warn);background:var(--warnbg)}.s-dim{color:var(--dim)}"
    ".message{margin:10px 0 0;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));"
    "gap:8px 20px;margin:14px 0 0}"
    ".facts div{min-width:0}.facts dt{color:var(--dim);font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}.facts dd{margin:0;overflow-wrap:anywhere}"
    "h3{font-size:12px;color:var(--dim);text-transform:uppercase;letter-spacing:.04em;"
    "margin:14px 0 4px}"
    ".toc{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 18px}"
    ".toc a{display:inline-block;min-width:34px;text-align:center;padding:2px 8px;"
    "border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);"
    "text-decoration:none;font-size:13px}.toc a.bad{border-color:var(--bad);color:var(--bad)}"
    ".step{display:grid;grid-template-columns:340px minmax(0,1fr);gap:22px;"
    "border-left:4px solid var(--ok)}"
    ".step.bad{border-left-color:var(--bad)}.step.none{border-left-color:var(--line)}"
    ".step.wide{grid-template-columns:560px minmax(0,1fr)}"
    ".step.noshot{grid-template-columns:minmax(0,1fr)}"
    "@media (max-width:820px){.step,.step.wide{grid-template-columns:minmax(0,1fr)}"
    ".shot{max-width:380px;width:100%;margin:0 auto}}"
    ".frame{position:relative;overflow:hidden;border-radius:10px;border:1px solid var(--line);"
    "background:#000;line-height:0}"
    ".frame img{display:block;width:100%;height:auto}"
    ".box{position:absolute;border:2px solid var(--mark);border-radius:3px;"
    "background:rgba(255,45,85,.07);box-shadow:0 0 0 1px rgba(255,255,255,.8)}"
    ".tap{position:absolute;width:18px;height:18px;margin:-9px 0 0 -9px;border-radius:50%;"
    "background:rgba(255,45,85,.35);border:2px solid var(--mark);"
    "box-shadow:0 0 0 1.5px #fff}"
    ".path{position:absolute;left:0;top:0;width:100%;height:100%}"
    ".frame:hover .box,.frame:hover .tap,.frame:hover .path{opacity:.2}"
    ".noimg{border:1px dashed var(--line);border-radius:10px;padding:40px 12px;"
    "text-align:center;color:var(--dim);overflow-wrap:anywhere}"
    ".head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 12px}"
    ".head h2{margin:0;font-size:18px}.head .meta{color:var(--dim);font-size:13px;"
    "overflow-wrap:anywhere}"
    ".action{margin:10px 0 0;font-size:16px;font-weight:600;overflow-wrap:anywhere}"
    ".action .none{color:var(--dim);font-weight:400}"
    ".result{margin:8px 0 0;padding:6px 10px;border-radius:6px;white-space:pre-wrap;"
    "overflow-wrap:anywhere}"
    ".reasoning{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}"
    "pre.errors{background:var(--warnbg);border-color:var(--warn)}"
    ".metrics{display:flex;flex-wrap:wrap;gap:4px 18px;margin:14px 0 0;color:var(--dim);"
    "font-size:13px}.metrics b{color:var(--fg);font-weight:600}"
    "footer{color:var(--dim);font-size:12px;text-align:center;margin-top:24px}";

/* Status colour class: completed is good, failed/error bad, limits a warning. */
static const char *status_class(const char *status)
{
    if (!status)
        return "s-dim";
    if (strcmp(status, "completed") == 0)
        return "s-ok";
    if (strcmp(status, "failed") == 0 || strcmp(status, "error") == 0)
        return "s-bad";
    if (strcmp(status, "max_steps") == 0 || strcmp(status, "timeout") == 0)
        return "s-warn";
    return "s-dim";
}

/* "ok", or "done" (the loop's word for a finishing step), is success; any other text an error. */
static bool result_ok(const tl_report_step *s)
{
    return s->result && (strcmp(s->result, "ok") == 0 || strcmp(s->result, "done") == 0);
}

static void fact(struct page *p, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    put(p, "<div><dt>");
    put(p, name);
    put(p, "</dt><dd>");
    text(p, value);
    put(p, "</dd></div>");
}

static void write_header(struct page *p, const tl_report_run *run)
{
    put(p, "<header class=\"card run\"><h1>");
    text(p, run->goal && *run->goal ? run->goal : "(no goal)");
    put(p, "</h1><span class=\"status ");
    put(p, status_class(run->status));
    put(p, "\">");
    text(p, run->status ? run->status : "unknown");
    put(p, "</span>");
    if (run->message && *run->message) {
        put(p, "<p class=\"message\">");
        text(p, run->message);
        put(p, "</p>");
    }
    put(p, "<dl class=\"facts\">");
    fact(p, "Driver", run->driver);
    fact(p, "Device", run->device);
    fact(p, "Model", run->model);
    fact(p, "Started", run->started);
    putf(p, "<div><dt>Steps</dt><dd>%d</dd></div><div><dt>Duration</dt><dd>", run->steps);
    put_ms(p, run->duration_ms);
    put(p, "</dd></div><div><dt>Tokens</dt><dd>");
    put_count(p, run->prompt_tokens);
    put(p, " prompt + ");
    put_count(p, run->completion_tokens);
    put(p, " completion</dd></div></dl>");
    if (run->output && *run->output && strcmp(run->output, "null") != 0) {
        put(p, "<h3>Output</h3><pre class=\"output\">");
        put_pretty_json(p, run->output);
        put(p, "</pre>");
    }
    put(p, "</header>");
}

static void write_toc(struct page *p, const tl_report_step *steps, size_t n)
{
    if (n == 0)
        return;
    put(p, "<nav class=\"toc\" aria-label=\"Steps\">");
    for (size_t i = 0; i < n; i++) {
        const tl_report_step *s = &steps[i];
        bool bad = s->result && !result_ok(s);
        putf(p, "<a href=\"#step-%d\"%s title=\"", s->step, bad ? " class=\"bad\"" : "");
        text(p, s->action_text ? s->action_text : "no action");
        putf(p, "\">%d</a>", s->step);
    }
    put(p, "</nav>");
}

/* A name inside the run directory: not absolute and without ".." components. */
static bool safe_name(const char *name)
{
    if (!*name || name[0] == '/')
        return false;
    for (const char *c = name; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += len;
        if (*c == '/')
            c++;
    }
    return true;
}

static void write_missing(struct page *p, const char *name, const char *why)
{
    put(p, "<div class=\"noimg\">Screenshot ");
    text(p, name);
    put(p, " ");
    put(p, why);
    put(p, "</div>");
}

/* The marks over the screenshot: element box, swipe path, tap point. */
static void write_marks(struct page *p, const tl_report_step *s)
{
    long w = s->screen_w, h = s->screen_h;
    if (w <= 0 || h <= 0)
        return;
    const tl_rect *r = &s->rect;
    if (s->has_rect && r->right > r->left && r->bottom > r->top) {
        put(p, "<div class=\"box\" style=\"left:");
        put_pct(p, r->left, w);
        put(p, ";top:");
        put_pct(p, r->top, h);
        put(p, ";width:");
        put_pct(p, (long)r->right - r->left, w);
        put(p, ";height:");
        put_pct(p, (long)r->bottom - r->top, h);
        put(p, "\"></div>");
    }
    if (s->has_point && s->has_end) {
        /* In the screen's own coordinates: the viewBox maps them onto the image. */
        double dx = s->x2 - s->x, dy = s->y2 - s->y, len = sqrt(dx * dx + dy * dy);
        long stroke = (w < h ? w : h) / 90 + 1;
        long head = stroke * 5;
        putf(p,
             "<svg class=\"path\" viewBox=\"0 0 %ld %ld\" preserveAspectRatio=\"none\" "
             "aria-hidden=\"true\"><g fill=\"#ff2d55\" stroke=\"#ff2d55\" "
             "stroke-linecap=\"round\" stroke-linejoin=\"round\">",
             w, h);
        if (len >= 1) {
            double ux = dx / len, uy = dy / len;
            double bx = s->x2 - ux * head, by = s->y2 - uy * head; /* base of the arrowhead */
            putf(p,
                 "<line x1=\"%d\" y1=\"%d\" x2=\"%ld\" y2=\"%ld\" stroke-width=\"%ld\" "
                 "stroke-opacity=\".85\"/>",
                 s->x, s->y, lround(bx), lround(by), stroke);
            putf(p, "<polygon points=\"%d,%d %ld,%ld %ld,%ld\" stroke-width=\"%ld\"/>", s->x2,
                 s->y2, lround(bx - uy * head * 0.6), lround(by + ux * head * 0.6),
                 lround(bx + uy * head * 0.6), lround(by - ux * head * 0.6), stroke / 2 + 1);
        }
        put(p, "</g></svg>");
    }
    if (s->has_point) {
        put(p, "<div class=\"tap\" style=\"left:");
        put_pct(p, s->x, w);
        put(p, ";top:");
        put_pct(p, s->y, h);
        put(p, "\"></div>");
    }
}

static void write_shot(struct page *p, const char *dir, const tl_report_step *s)
{
    put(p, "<div class=\"shot\">");
    if (!safe_name(s->screenshot)) {
        write_missing(p, s->screenshot, "is not a file name inside the run directory");
        put(p, "</div>");
        return;
    }
    tl_buf path, img;
    tl_buf_init(&path, 0);
    tl_buf_init(&img, 0);
    tl_error ignored;
    if (tl_buf_printf(&path, "%s/%s", dir, s->screenshot) != TL_OK) {
        p->oom = true;
    } else if (tl_file_read(&img, path.data, TL_REPORT_MAX_IMAGE, &ignored) != TL_OK) {
        write_missing(p, s->screenshot, "is missing or cannot be read");
    } else {
        const unsigned char *b = (const unsigned char *)img.data;
        const char *type = NULL;
        if (img.len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
            type = "image/png";
        else if (img.len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
            type = "image/jpeg";
        if (!type) {
            write_missing(p, s->screenshot, "is not a PNG or JPEG image");
        } else {
            put(p, "<div class=\"frame\"><img alt=\"Screenshot of step ");
            putf(p, "%d", s->step);
            put(p, "\" src=\"data:");
            put(p, type);
            put(p, ";base64,");
            if (!p->oom && tl_base64_encode(img.data, img.len, &p->b) != TL_OK)
                p->oom = true;
            put(p, "\">");
            write_marks(p, s);
            put(p, "</div>");
        }
    }
    tl_buf_dispose(&path);
    tl_buf_dispose(&img);
    put(p, "</div>");
}

static void metric(struct page *p, const char *name)
{
    put(p, "<span>");
    put(p, name);
    put(p, " <b>");
}

static void write_step(struct page *p, const char *dir, const tl_report_step *s)
{
    const char *state = !s->result ? "none" : result_ok(s) ? "ok" : "bad";
    bool wide = s->screen_w > s->screen_h;
    putf(p, "<section class=\"card step %s%s%s\" id=\"step-%d\">", state,
         s->screenshot ? "" : " noshot", s->screenshot && wide ? " wide" : "", s->step);
    if (s->screenshot)
        write_shot(p, dir, s);
    putf(p, "<div class=\"info\"><div class=\"head\"><h2>Step %d</h2>", s->step);
    if (s->time || s->package) {
        put(p, "<span class=\"meta\">");
        text(p, s->time);
        if (s->time && s->package)
            put(p, " \xC2\xB7 ");
        text(p, s->package);
        put(p, "</span>");
    }
    put(p, "</div><p class=\"action\">");
    if (s->action_text && *s->action_text)
        text(p, s->action_text);
    else if (s->action)
        text(p, s->action);
    else
        put(p, "<span class=\"none\">No action</span>");
    put(p, "</p>");
    if (s->result) {
        putf(p, "<div class=\"result %s\">", result_ok(s) ? "s-ok" : "s-bad");
        text(p, s->result);
        put(p, "</div>");
    }
    if (s->reasoning && *s->reasoning) {
        put(p, "<h3>Reasoning</h3><p class=\"reasoning\">");
        text(p, s->reasoning);
        put(p, "</p>");
    }
    if (s->errors && *s->errors) {
        put(p, "<h3>Errors sent back to the model</h3><pre class=\"errors\">");
        text(p, s->errors);
        put(p, "</pre>");
    }
    if (s->action) {
        put(p, "<h3>Action</h3><pre class=\"json\">");
        text(p, s->action);
        put(p, "</pre>");
    }
    put(p, "<div class=\"metrics\">");
    metric(p, "LLM");
    put_ms(p, s->llm_ms);
    put(p, "</b></span>");
    metric(p, "step");
    put_ms(p, s->step_ms);
    put(p, "</b></span>");
    metric(p, "tokens");
    put_count(p, s->prompt_tokens);
    put(p, " + ");
    put_count(p, s->completion_tokens);
    put(p, "</b></span>");
    if (s->has_point) {
        metric(p, s->has_end ? "from" : "at");
        putf(p, "(%d,%d)", s->x, s->y);
        if (s->has_end)
            putf(p, "</b> to <b>(%d,%d)", s->x2, s->y2);
        put(p, "</b></span>");
    }
    if (s->has_rect) {
        metric(p, "bounds");
        putf(p, "[%ld,%ld][%ld,%ld]", (long)s->rect.left, (long)s->rect.top, (long)s->rect.right,
             (long)s->rect.bottom);
        put(p, "</b></span>");
    }
    put(p, "</div></div></section>");
}

int tl_report_write(const char *dir, const tl_report_run *run, const tl_report_step *steps,
                    size_t n, tl_error *err)
{
    static const tl_report_run empty_run;
    if (!run)
        run = &empty_run;
    struct page p = {.oom = false};
    tl_buf_init(&p.b, 0);
    tl_buf path;
    tl_buf_init(&path, 0);
    int rc = TL_OK;
    if (tl_buf_printf(&path, "%s/report.html", dir) != TL_OK) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory writing the report");
        goto done;
    }
    put(&p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"taploop " TAPLOOP_VERSION "\">\n<title>");
    size_t glen = run->goal ? strlen(run->goal) : 0;
    size_t gkeep = tl_utf8_prefix(run->goal ? run->goal : "", glen, 80);
    put(&p, "taploop \xE2\x80\x94 ");
    if (glen)
        text_n(&p, run->goal, gkeep);
    else
        put(&p, "run");
    if (gkeep < glen)
        put(&p, "\xE2\x80\xA6");
    put(&p, "</title>\n<style>");
    put(&p, CSS);
    put(&p, "</style>\n</head>\n<body>\n<main>\n");
    write_header(&p, run);
    put(&p, "\n");
    write_toc(&p, steps, n);
    for (size_t i = 0; i < n; i++) {
        put(&p, "\n");
        write_step(&p, dir, &steps[i]);
    }
    if (n == 0)
        put(&p, "<p class=\"card\">No steps were recorded.</p>");
    put(&p, "\n<footer>Written by taploop " TAPLOOP_VERSION "</footer>\n</main>\n</body>\n"
            "</html>\n");
    if (p.oom) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory writing %s", path.data);
        goto done;
    }
    rc = tl_file_write(path.data, p.b.data, p.b.len, err);
done:
    tl_buf_dispose(&p.b);
    tl_buf_dispose(&path);
    return rc;
}
