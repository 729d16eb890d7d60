/*
 * adbshell.c - Android shell command lines and their output (see adbshell.h).
 *
 * Quoting: a value is always written as one single-quoted word. Inside single quotes a POSIX
 * shell (mksh and toybox on Android, dash and bash elsewhere) gives every character its literal
 * meaning; the only character that cannot appear is the quote itself, written '\'' (close,
 * escaped quote, reopen). There is no other escaping, so there is nothing else to get wrong.
 */
#include "drivers/adbshell.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/base64.h"
#include "core/utf8.h"

#define KEYCODE_TAB      61
#define KEYCODE_ENTER    66
#define KEYCODE_DEL      67
#define KEYCODE_MOVE_END 123

/* Most characters of a field tl_shell_clear_field() deletes. */
#define CLEAR_MAX 4096

int tl_shell_quote(tl_buf *out, const char *arg)
{
    int rc = tl_buf_putc(out, '\'');
    for (const char *p = arg; rc == TL_OK && *p; p++) {
        if (*p == '\'')
            rc = tl_buf_puts(out, "'\\''");
        else
            rc = tl_buf_putc(out, *p);
    }
    return rc ? rc : tl_buf_putc(out, '\'');
}

/* ---- typing ----------------------------------------------------------------------------- */

/* One run of text typed the same way. */
enum run_kind { RUN_INPUT, RUN_KEY, RUN_BROADCAST };

static int sep(tl_buf *out, size_t start)
{
    return out->len > start ? tl_buf_puts(out, " && ") : TL_OK;
}

/* `input text` for printable ASCII bytes s[0..n): spaces become %s; the word is quoted. */
static int put_input_text(tl_buf *out, size_t start, const char *s, size_t n)
{
    tl_buf word;
    tl_buf_init(&word, 0);
    int rc = TL_OK;
    for (size_t i = 0; rc == TL_OK && i < n; i++)
        rc = s[i] == ' ' ? tl_buf_puts(&word, "%s") : tl_buf_putc(&word, s[i]);
    rc = rc ? rc : sep(out, start);
    rc = rc ? rc : tl_buf_puts(out, "input text ");
    rc = rc ? rc : tl_shell_quote(out, word.data ? word.data : "");
    tl_buf_dispose(&word);
    return rc;
}

static int put_broadcast(tl_buf *out, size_t start, const char *s, size_t n)
{
    tl_buf b64;
    tl_buf_init(&b64, 0);
    int rc = tl_base64_encode(s, n, &b64);
    rc = rc ? rc : sep(out, start);
    rc = rc ? rc : tl_buf_puts(out, "am broadcast -a ADB_INPUT_B64 --es msg ");
    rc = rc ? rc : tl_shell_quote(out, b64.data ? b64.data : "");
    tl_buf_dispose(&b64);
    return rc;
}

static bool input_typeable(unsigned char c)
{
    return c >= 0x20 && c < 0x7f;
}

static int cannot_type(const char *text, size_t at, uint32_t cp, size_t clen, tl_error *err)
{
    size_t chars = 0;
    for (size_t i = 0; i < at;) {
        uint32_t ignored;
        size_t l = tl_utf8_decode((const unsigned char *)text + i, strlen(text + i), &ignored);
        i += l ? l : 1;
        chars++;
    }
    char shown[16] = "";
    if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0))
        snprintf(shown, sizeof(shown), "\"%.*s\" ", (int)clen, text + at);
    return tl_error_set(err, TL_EUNSUPPORTED,
                        "cannot type %s(U+%04X, character %zu of the text): `input text` types "
                        "printable ASCII only; install ADB Keyboard (com.android.adbkeyboard) and "
                        "make it the input method (ime set %s) to type any text",
                        shown, (unsigned)cp, chars + 1, TL_SHELL_ADB_KEYBOARD_IME);
}

int tl_shell_type_text(tl_buf *out, const char *text, const tl_shell_type_opts *opts, tl_error *err)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0)
        return tl_error_set(err, TL_EUSAGE, "nothing to type: the text is empty");
    if (!tl_utf8_valid(text, n))
        return tl_error_set(err, TL_EUSAGE, "the text to type is not valid UTF-8");
    bool ime = opts && opts->adb_keyboard;
    size_t start = out->len;
    int rc = TL_OK;
    size_t i = 0;
    while (rc == TL_OK && i < n) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\t') {
            rc = sep(out, start);
            rc = rc ? rc
                    : tl_buf_printf(out, "input keyevent %d",
                                    c == '\n' ? KEYCODE_ENTER : KEYCODE_TAB);
            i++;
            continue;
        }
        if (input_typeable(c)) {
            /* A run of printable ASCII; a "%s" in it is split after the '%' (input text would
             * read it as a space). */
            size_t j = i + 1;
            while (j < n && input_typeable((unsigned char)text[j]) &&
                   !(text[j] == 's' && text[j - 1] == '%'))
                j++;
            rc = put_input_text(out, start, text + i, j - i);
            i = j;
            continue;
        }
        /* A run of what `input text` cannot type. */
        uint32_t cp = 0;
        size_t clen = tl_utf8_decode((const unsigned char *)text + i, n - i, &cp);
        if (!ime) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return cannot_type(text, i, cp, clen, err);
        }
        size_t j = i;
        while (j < n && !input_typeable((unsigned char)text[j]) && text[j] != '\n' &&
               text[j] != '\t') {
            uint32_t ignored;
            size_t l = tl_utf8_decode((const unsigned char *)text + j, n - j, &ignored);
            j += l ? l : 1;
        }
        rc = put_broadcast(out, start, text + i, j - i);
        i = j;
    }
    if (rc != TL_OK) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return tl_error_set(err, rc, "out of memory");
    }
    return TL_OK;
}

/* ---- input ------------------------------------------------------------------------------ */

int tl_shell_tap(tl_buf *out, int x, int y)
{
    return tl_buf_printf(out, "input tap %d %d", x, y);
}

int tl_shell_swipe(tl_buf *out, int x1, int y1, int x2, int y2, int duration_ms)
{
    return tl_buf_printf(out, "input swipe %d %d %d %d %d", x1, y1, x2, y2, duration_ms);
}

int tl_shell_long_press(tl_buf *out, int x, int y, int duration_ms)
{
    return tl_shell_swipe(out, x, y, x, y, duration_ms);
}

int tl_shell_keyevent(tl_buf *out, tl_key key)
{
    return tl_buf_printf(out, "input keyevent %d", tl_key_android_code(key));
}

int tl_shell_clear_field(tl_buf *out, int max_chars)
{
    if (max_chars < 1)
        max_chars = 1;
    if (max_chars > CLEAR_MAX)
        max_chars = CLEAR_MAX;
    int rc = tl_buf_printf(out, "input keyevent %d && input keyevent", KEYCODE_MOVE_END);
    for (int i = 0; rc == TL_OK && i < max_chars; i++)
        rc = tl_buf_printf(out, " %d", KEYCODE_DEL);
    return rc;
}

/* ---- apps ------------------------------------------------------------------------------- */

/* A Java package name: dot-separated identifiers, each starting with a letter or '_'. */
static bool valid_package(const char *s)
{
    if (!s || !*s || strlen(s) > 255)
        return false;
    bool at_start = true;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (at_start)
                return false;
            at_start = true;
        } else if (isalpha(c) || c == '_' || (!at_start && isdigit(c))) {
            at_start = false;
        } else {
            return false;
        }
    }
    return !at_start;
}

/* An activity: a class name, maybe relative (".Main"), maybe nested ("Outer$Inner"). */
static bool valid_activity(const char *s)
{
    if (!s || !*s || strlen(s) > 255)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '$')
            return false;
    return strcmp(s, ".") != 0;
}

static int bad_package(const char *package, tl_error *err)
{
    return tl_error_set(err, TL_EUSAGE,
                        "\"%.80s\" is not a valid package name (letters, digits, '_' and '.')",
                        package ? package : "");
}

int tl_shell_start_app(tl_buf *out, const char *package, const char *activity, tl_error *err)
{
    if (!valid_package(package))
        return bad_package(package, err);
    int rc;
    if (activity && *activity) {
        if (!valid_activity(activity))
            return tl_error_set(err, TL_EUSAGE,
                                "\"%.80s\" is not a valid activity name (letters, digits, '_', "
                                "'.' and '$')",
                                activity);
        tl_buf comp;
        tl_buf_init(&comp, 0);
        rc = tl_buf_printf(&comp, "%s/%s", package, activity);
        rc = rc ? rc : tl_buf_puts(out, "am start -n ");
        rc = rc ? rc : tl_shell_quote(out, comp.data);
        tl_buf_dispose(&comp);
    } else {
        rc = tl_buf_puts(out, "monkey -p ");
        rc = rc ? rc : tl_shell_quote(out, package);
        rc = rc ? rc : tl_buf_puts(out, " -c android.intent.category.LAUNCHER 1");
    }
    return rc ? tl_error_set(err, rc, "out of memory") : TL_OK;
}

int tl_shell_stop_app(tl_buf *out, const char *package, tl_error *err)
{
    if (!valid_package(package))
        return bad_package(package, err);
    int rc = tl_buf_puts(out, "am force-stop ");
    rc = rc ? rc : tl_shell_quote(out, package);
    return rc ? tl_error_set(err, rc, "out of memory") : TL_OK;
}

/* Find needle in the first len bytes of hay. */
static const char *find(const char *hay, size_t len, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || len < m)
        return NULL;
    for (size_t i = 0; i + m <= len; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

/* Copy the line of output around p (or the first non-blank line when p is NULL) into a short,
 * printable quotation. */
static void quote_line(const char *output, size_t len, const char *p, char *q, size_t size)
{
    size_t s = 0;
    if (p) {
        s = (size_t)(p - output);
        while (s > 0 && output[s - 1] != '\n')
            s--;
    } else {
        while (s < len && isspace((unsigned char)output[s]))
            s++;
    }
    size_t k = 0;
    for (size_t i = s; i < len && output[i] != '\n' && output[i] != '\r' && k + 1 < size; i++) {
        unsigned char c = (unsigned char)output[i];
        q[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    q[k] = '\0';
}

int tl_shell_check_start(const char *output, size_t len, const char *package, tl_error *err)
{
    static const char *const missing[] = {"No activities found", "does not exist",
                                          "unable to resolve Intent", "Error type 3", NULL};
    for (size_t i = 0; missing[i]; i++) {
        const char *p = find(output, len, missing[i]);
        if (p) {
            char q[160];
            quote_line(output, len, p, q, sizeof(q));
            return tl_error_set(err, TL_EREJECTED,
                                "cannot start %s: it is not installed or has no such activity "
                                "(\"%s\")",
                                package ? package : "the app", q);
        }
    }
    static const char *const failed[] = {"Error:", "Exception", "monkey aborted", NULL};
    for (size_t i = 0; failed[i]; i++) {
        const char *p = find(output, len, failed[i]);
        if (p) {
            char q[160];
            quote_line(output, len, p, q, sizeof(q));
            return tl_error_set(err, TL_EBADRESP, "starting %s failed: \"%s\"",
                                package ? package : "the app", q);
        }
    }
    return TL_OK;
}

/* ---- the tree --------------------------------------------------------------------------- */

int tl_shell_dump_ui(tl_buf *out, const char *path)
{
    int rc = tl_buf_puts(out, "uiautomator dump ");
    return rc ? rc : tl_shell_quote(out, path);
}

int tl_shell_read_file(tl_buf *out, const char *path, size_t offset, size_t len)
{
    int rc;
    if (offset == 0 && len == 0) {
        rc = tl_buf_puts(out, "cat ");
        return rc ? rc : tl_shell_quote(out, path);
    }
    rc = tl_buf_printf(out, "tail -c +%zu ", offset + 1);
    rc = rc ? rc : tl_shell_quote(out, path);
    if (rc == TL_OK && len > 0)
        rc = tl_buf_printf(out, " | head -c %zu", len);
    return rc;
}

int tl_shell_file_size(tl_buf *out, const char *path)
{
    int rc = tl_buf_puts(out, "stat -c %s ");
    return rc ? rc : tl_shell_quote(out, path);
}

int tl_shell_check_dump(const char *output, size_t len, tl_error *err)
{
    if (find(output, len, "dumped to"))
        return TL_OK;
    static const char *const busy[] = {"could not get idle state", "null root node",
                                       "already running", NULL};
    for (size_t i = 0; busy[i]; i++)
        if (find(output, len, busy[i])) {
            char q[160];
            quote_line(output, len, find(output, len, busy[i]), q, sizeof(q));
            return tl_error_set(err, TL_ENOTREADY, "uiautomator could not dump the screen: \"%s\"",
                                q);
        }
    char q[160];
    quote_line(output, len, NULL, q, sizeof(q));
    return tl_error_set(err, TL_EBADRESP, "uiautomator dump failed: \"%s\"",
                        q[0] ? q : "no output");
}

int tl_shell_find_xml(const char *output, size_t len, size_t *start, size_t *doc_len, tl_error *err)
{
    const char *s = find(output, len, "<?xml");
    if (!s)
        s = find(output, len, "<hierarchy");
    const char *end = NULL;
    if (s) {
        static const char close[] = "</hierarchy>";
        size_t from = (size_t)(s - output);
        for (const char *p = find(s, len - from, close); p;
             p = find(p + 1, len - (size_t)(p + 1 - output), close))
            end = p + sizeof(close) - 1;
    }
    if (!s || !end) {
        char q[160];
        quote_line(output, len, NULL, q, sizeof(q));
        return tl_error_set(err, TL_EBADRESP,
                            "no complete uiautomator XML document in the output (%zu bytes%s%s%s)",
                            len, q[0] ? ", starting \"" : "", q, q[0] ? "\"" : "");
    }
    *start = (size_t)(s - output);
    *doc_len = (size_t)(end - s);
    return TL_OK;
}

int tl_shell_parse_size(const char *output, size_t len, size_t *size, tl_error *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)output[i]))
        i++;
    size_t v = 0, digits = 0;
    for (; i < len && isdigit((unsigned char)output[i]); i++, digits++) {
        if (v > (SIZE_MAX - 9) / 10)
            return tl_error_set(err, TL_EBADRESP, "file size out of range");
        v = v * 10 + (size_t)(output[i] - '0');
    }
    while (i < len && isspace((unsigned char)output[i]))
        i++;
    if (digits == 0 || i != len) {
        char q[160];
        quote_line(output, len, NULL, q, sizeof(q));
        return tl_error_set(err, TL_EBADRESP, "expected a file size, got \"%s\"", q);
    }
    *size = v;
    return TL_OK;
}

/* ---- screen, focus, packages, input method ------------------------------------------------ */

int tl_shell_wm_size(tl_buf *out)
{
    return tl_buf_puts(out, "wm size");
}

/* Parse "WxH" after the label; @return true with *w, *h. */
static bool size_after(const char *output, size_t len, const char *label, int *w, int *h)
{
    const char *p = find(output, len, label);
    if (!p)
        return false;
    const char *end = output + len;
    p += strlen(label);
    while (p < end && *p == ' ')
        p++;
    long v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        int digits = 0;
        while (p < end && isdigit((unsigned char)*p) && digits < 6) {
            v[k] = v[k] * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || v[k] == 0)
            return false;
        if (k == 0) {
            if (p >= end || *p != 'x')
                return false;
            p++;
        }
    }
    *w = (int)v[0];
    *h = (int)v[1];
    return true;
}

int tl_shell_parse_wm_size(const char *output, size_t len, int *w, int *h, tl_error *err)
{
    if (size_after(output, len, "Override size:", w, h) ||
        size_after(output, len, "Physical size:", w, h))
        return TL_OK;
    char q[160];
    quote_line(output, len, NULL, q, sizeof(q));
    return tl_error_set(err, TL_EBADRESP, "no screen size in the output of `wm size`: \"%s\"", q);
}

int tl_shell_focus(tl_buf *out)
{
    return tl_buf_puts(out, "dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'");
}

/* The package of a "pkg/activity" token in the line holding `key`. */
static bool package_in_line(const char *output, size_t len, const char *key, char *pkg, size_t size)
{
    const char *p = find(output, len, key);
    if (!p)
        return false;
    const char *end = output + len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    const char *slash = memchr(p, '/', (size_t)(eol - p));
    if (!slash)
        return false;
    const char *s = slash;
    while (s > p && (isalnum((unsigned char)s[-1]) || s[-1] == '.' || s[-1] == '_'))
        s--;
    size_t n = (size_t)(slash - s);
    if (n == 0 || n >= 256)
        return false;
    char name[256];
    memcpy(name, s, n);
    name[n] = '\0';
    if (!valid_package(name))
        return false;
    snprintf(pkg, size, "%s", name);
    return true;
}

int tl_shell_parse_focus(const char *output, size_t len, char *pkg, size_t size, tl_error *err)
{
    if (package_in_line(output, len, "mCurrentFocus=", pkg, size) ||
        package_in_line(output, len, "mFocusedApp=", pkg, size))
        return TL_OK;
    if (size)
        pkg[0] = '\0';
    return tl_error_set(err, TL_ENOTFOUND, "no focused window in the output of `dumpsys window`");
}

int tl_shell_list_packages(tl_buf *out)
{
    return tl_buf_puts(out, "pm list packages");
}

int tl_shell_parse_packages(const char *output, size_t len, tl_app_list *apps, tl_error *err)
{
    static const char prefix[] = "package:";
    const char *end = output + len;
    for (const char *line = output; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        size_t n = (size_t)(eol - line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (n > sizeof(prefix) - 1 && n - (sizeof(prefix) - 1) < 256 &&
            memcmp(line, prefix, sizeof(prefix) - 1) == 0) {
            char name[256];
            size_t m = n - (sizeof(prefix) - 1);
            memcpy(name, line + sizeof(prefix) - 1, m);
            name[m] = '\0';
            if (valid_package(name) && tl_app_list_add(apps, name, "") != TL_OK)
                return tl_error_set(err, TL_ENOMEM, "out of memory");
        }
        line = eol + 1;
    }
    return TL_OK;
}

int tl_shell_input_method(tl_buf *out)
{
    return tl_buf_puts(out, "settings get secure default_input_method");
}

bool tl_shell_is_adb_keyboard(const char *output, size_t len)
{
    return find(output, len, "com.android.adbkeyboard/") != NULL;
}
