/*
 * test_adbshell.c - the Android shell layer: command lines and the parsers of their output.
 *
 * The property tests run what the layer builds through a real /bin/sh: thousands of random
 * strings, weighted towards the characters a shell treats specially, must come back unchanged
 * from quoting, and from typing (with `input` and `am` replaced by shell functions that print
 * their arguments, decoded here the way Android's `input text` and ADB Keyboard decode them).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/adbshell.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* A random string: shell metacharacters, quotes, '%' and 's', spaces and newlines, any other
 * printable ASCII, and (with utf8) non-ASCII characters and control bytes. */
static void random_text(char *out, size_t max, bool utf8)
{
    static const char special[] = ";&|$()`'\"\\%s \n\t*?~#!{}[]<>=-^/.,:@+";
    static const char *const wide[] = {"é", "ß", "中", "文", "😀", "Ж", "\x01", "\x7f", "\xc2\xa0"};
    size_t len = rnd() % 40, n = 0;
    for (size_t i = 0; i < len && n + 5 < max; i++) {
        uint32_t k = rnd() % 10;
        if (k < 5) {
            out[n++] = special[rnd() % (sizeof(special) - 1)];
        } else if (k < 9 || !utf8) {
            out[n++] = (char)(0x20 + rnd() % 95);
        } else {
            const char *w = wide[rnd() % (sizeof(wide) / sizeof(wide[0]))];
            memcpy(out + n, w, strlen(w));
            n += strlen(w);
        }
    }
    out[n] = '\0';
}

/* Run `script` with /bin/sh -c; collect its standard output. @return the exit status. */
static int run_sh(const char *script, tl_buf *out)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char chunk[4096];
    ssize_t r;
    while ((r = read(fd[0], chunk, sizeof(chunk))) > 0)
        cr_assert_eq(tl_buf_append(out, chunk, (size_t)r), TL_OK);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static void b64_decode(const char *s, size_t n, tl_buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64val(s[i]);
        cr_assert_geq(v, 0, "bad base64 character %d", s[i]);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            tl_buf_putc(out, (char)((acc >> bits) & 0xff));
        }
    }
}

/* What Android's `input text ARG` types: "%s" is a space (InputShellCommand.sendText). */
static void android_input_text(const char *arg, size_t n, tl_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (arg[i] == '%' && i + 1 < n && arg[i + 1] == 's') {
            tl_buf_putc(out, ' ');
            i++;
        } else {
            tl_buf_putc(out, arg[i]);
        }
    }
}

/* Shell functions standing in for the device's tools: each call prints its name and arguments,
 * separated by \036, ended by \035. */
static const char fake_tools[] =
    "input() { printf 'input'; for a in \"$@\"; do printf '\\036%s' \"$a\"; done; printf '\\035'; "
    "}\n"
    "am() { printf 'am'; for a in \"$@\"; do printf '\\036%s' \"$a\"; done; printf '\\035'; }\n";

/* Decode the calls recorded by fake_tools into the text they would type. */
static void typed_text(const tl_buf *calls, tl_buf *typed)
{
    const char *p = calls->data, *end = calls->data + calls->len;
    while (p < end) {
        const char *rec_end = memchr(p, '\035', (size_t)(end - p));
        cr_assert_not_null(rec_end);
        const char *args[8];
        size_t lens[8], argc = 0;
        const char *q = p;
        while (q < rec_end && argc < 8) {
            const char *sepp = memchr(q, '\036', (size_t)(rec_end - q));
            const char *e = sepp ? sepp : rec_end;
            args[argc] = q;
            lens[argc++] = (size_t)(e - q);
            q = sepp ? sepp + 1 : rec_end;
        }
        cr_assert_geq(argc, 2);
        if (lens[0] == 5 && memcmp(args[0], "input", 5) == 0 && lens[1] == 4 &&
            memcmp(args[1], "text", 4) == 0) {
            cr_assert_eq(argc, 3, "input text takes one argument");
            android_input_text(args[2], lens[2], typed);
        } else if (lens[0] == 5 && memcmp(args[0], "input", 5) == 0) {
            cr_assert_eq(argc, 3);
            int code = atoi(args[2]);
            cr_assert(code == 66 || code == 61, "unexpected key %d", code);
            tl_buf_putc(typed, code == 66 ? '\n' : '\t');
        } else {
            cr_assert_eq(argc, 7, "am broadcast -a ADB_INPUT_B64 --es msg B64");
            cr_assert_eq(memcmp(args[1], "broadcast", 9), 0);
            b64_decode(args[6], lens[6], typed);
        }
        p = rec_end + 1;
    }
}

/* ---- quoting -------------------------------------------------------------------------------- */

Test(adbshell, quote_simple)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_shell_quote(&b, "it's $(id)"), TL_OK);
    cr_assert_str_eq(b.data, "'it'\\''s $(id)'");
    tl_buf_clear(&b);
    tl_shell_quote(&b, "");
    cr_assert_str_eq(b.data, "''");
    tl_buf_dispose(&b);
}

Test(adbshell, quote_property_through_sh)
{
    /* 4000 strings in batches of 400: printf '%s\0' QUOTED for each, through one sh. */
    char texts[400][256];
    for (int batch = 0; batch < 10; batch++) {
        tl_buf script, out;
        tl_buf_init(&script, 0);
        tl_buf_init(&out, 0);
        for (int i = 0; i < 400; i++) {
            random_text(texts[i], sizeof(texts[i]), true);
            tl_buf_puts(&script, "printf '%s\\0' ");
            cr_assert_eq(tl_shell_quote(&script, texts[i]), TL_OK);
            tl_buf_putc(&script, '\n');
        }
        cr_assert_eq(run_sh(script.data, &out), 0);
        const char *p = out.data;
        for (int i = 0; i < 400; i++) {
            cr_assert(p && p < out.data + out.len, "output ended early at string %d", i);
            cr_assert_str_eq(p, texts[i], "string %d of batch %d changed", i, batch);
            p += strlen(p) + 1;
        }
        cr_assert_eq(p, out.data + out.len);
        tl_buf_dispose(&script);
        tl_buf_dispose(&out);
    }
}

/* ---- typing --------------------------------------------------------------------------------- */

/* Type `rounds` random texts, 100 per shell: each text's command line, then a \034 mark. */
static void type_property(bool ime, int rounds)
{
    enum { PER_SH = 100 };
    static char texts[PER_SH][256];
    for (int done = 0; done < rounds; done += PER_SH) {
        tl_buf cmd, out, typed;
        tl_buf_init(&cmd, 0);
        tl_buf_init(&out, 0);
        tl_buf_init(&typed, 0);
        tl_buf_puts(&cmd, fake_tools);
        for (int i = 0; i < PER_SH; i++) {
            do
                random_text(texts[i], sizeof(texts[i]), ime);
            while (!texts[i][0]);
            tl_error err;
            tl_error_clear(&err);
            size_t at = cmd.len;
            tl_shell_type_opts o = {.adb_keyboard = ime};
            cr_assert_eq(tl_shell_type_text(&cmd, texts[i], &o, &err), TL_OK, "%s", err.msg);
            cr_assert_null(memchr(cmd.data + at, '\n', cmd.len - at), "a command line is one line");
            tl_buf_puts(&cmd, "\nprintf '\\034'\n");
        }
        cr_assert_eq(run_sh(cmd.data, &out), 0);
        const char *p = out.data, *end = out.data + out.len;
        for (int i = 0; i < PER_SH; i++) {
            const char *mark = memchr(p, '\034', (size_t)(end - p));
            cr_assert_not_null(mark, "output ended early at text %d", done + i);
            tl_buf calls;
            tl_buf_init(&calls, 0);
            tl_buf_append(&calls, p, (size_t)(mark - p));
            tl_buf_clear(&typed);
            typed_text(&calls, &typed);
            cr_assert(typed.len == strlen(texts[i]) && memcmp(typed.data, texts[i], typed.len) == 0,
                      "text %d typed as \"%s\" instead of \"%s\"", done + i,
                      typed.data ? typed.data : "", texts[i]);
            tl_buf_dispose(&calls);
            p = mark + 1;
        }
        tl_buf_dispose(&cmd);
        tl_buf_dispose(&out);
        tl_buf_dispose(&typed);
    }
}

Test(adbshell, type_ascii_property_through_sh, .timeout = 120)
{
    type_property(false, 3000);
}

Test(adbshell, type_with_adb_keyboard_property_through_sh, .timeout = 120)
{
    type_property(true, 3000);
}

Test(adbshell, type_examples)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err;
    cr_assert_eq(tl_shell_type_text(&b, "a b", NULL, &err), TL_OK);
    cr_assert_str_eq(b.data, "input text 'a%sb'");
    tl_buf_clear(&b);
    cr_assert_eq(tl_shell_type_text(&b, "100%sure", NULL, &err), TL_OK);
    cr_assert_str_eq(b.data, "input text '100%' && input text 'sure'");
    tl_buf_clear(&b);
    cr_assert_eq(tl_shell_type_text(&b, "; reboot $(id) \"q\"\n", NULL, &err), TL_OK);
    cr_assert_str_eq(b.data, "input text ';%sreboot%s$(id)%s\"q\"' && input keyevent 66");
    tl_buf_dispose(&b);
}

Test(adbshell, type_refuses_what_input_cannot_type)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "kept");
    tl_error err;
    tl_error_clear(&err);
    cr_assert_eq(tl_shell_type_text(&b, "caf\xc3\xa9", NULL, &err), TL_EUNSUPPORTED);
    cr_assert_str_eq(b.data, "kept", "nothing appended on failure");
    cr_assert_not_null(strstr(err.msg, "U+00E9, character 4"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "ADB Keyboard"), "%s", err.msg);
    cr_assert_eq(tl_shell_type_text(&b, "a\x01", NULL, &err), TL_EUNSUPPORTED);
    cr_assert_eq(tl_shell_type_text(&b, "\xff", NULL, &err), TL_EUSAGE);
    cr_assert_eq(tl_shell_type_text(&b, "", NULL, &err), TL_EUSAGE);
    tl_buf_dispose(&b);
}

/* ---- commands ------------------------------------------------------------------------------- */

Test(adbshell, input_commands)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_shell_tap(&b, 540, 960);
    cr_assert_str_eq(b.data, "input tap 540 960");
    tl_buf_clear(&b);
    tl_shell_swipe(&b, 1, 2, 3, 4, 300);
    cr_assert_str_eq(b.data, "input swipe 1 2 3 4 300");
    tl_buf_clear(&b);
    tl_shell_long_press(&b, 5, 6, 800);
    cr_assert_str_eq(b.data, "input swipe 5 6 5 6 800");
    tl_buf_clear(&b);
    tl_shell_keyevent(&b, TL_KEY_BACK);
    cr_assert_str_eq(b.data, "input keyevent 4");
    tl_buf_clear(&b);
    tl_shell_clear_field(&b, 3);
    cr_assert_str_eq(b.data, "input keyevent 123 && input keyevent 67 67 67");
    tl_buf_dispose(&b);
}

Test(adbshell, apps)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err;
    cr_assert_eq(tl_shell_start_app(&b, "com.android.settings", NULL, &err), TL_OK);
    cr_assert_str_eq(b.data,
                     "monkey -p 'com.android.settings' -c android.intent.category.LAUNCHER 1");
    tl_buf_clear(&b);
    cr_assert_eq(tl_shell_start_app(&b, "com.a", ".Main$Inner", &err), TL_OK);
    cr_assert_str_eq(b.data, "am start -n 'com.a/.Main$Inner'");
    tl_buf_clear(&b);
    cr_assert_eq(tl_shell_stop_app(&b, "com.a", &err), TL_OK);
    cr_assert_str_eq(b.data, "am force-stop 'com.a'");
    tl_buf_clear(&b);
    const char *bad[] = {"", "com.a;reboot", "com..a", ".com", "com.a.", "1com", "com a", "com/a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_shell_start_app(&b, bad[i], NULL, &err), TL_EUSAGE, "%s", bad[i]);
        cr_assert_eq(tl_shell_stop_app(&b, bad[i], &err), TL_EUSAGE, "%s", bad[i]);
    }
    cr_assert_eq(tl_shell_start_app(&b, "com.a", "x;id", &err), TL_EUSAGE);
    cr_assert_eq(tl_shell_start_app(&b, "com.a", ".", &err), TL_EUSAGE);
    cr_assert_eq(b.len, 0);
    tl_buf_dispose(&b);
}

Test(adbshell, check_start)
{
    tl_error err;
    const char *ok = "  bash arg: -p\n  bash arg: com.a\nEvents injected: 1\n## Network stats";
    cr_assert_eq(tl_shell_check_start(ok, strlen(ok), "com.a", &err), TL_OK);
    const char *none = "  bash arg: -p\n** No activities found to run, monkey aborted.\n";
    cr_assert_eq(tl_shell_check_start(none, strlen(none), "com.x", &err), TL_EREJECTED);
    cr_assert_not_null(strstr(err.msg, "cannot start com.x"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "No activities found"), "%s", err.msg);
    const char *act = "Starting: Intent { cmp=com.a/.X }\nError type 3\nError: Activity class "
                      "{com.a/com.a.X} does not exist.\n";
    cr_assert_eq(tl_shell_check_start(act, strlen(act), "com.a", &err), TL_EREJECTED);
    const char *sec = "java.lang.SecurityException: Permission Denial\n";
    cr_assert_eq(tl_shell_check_start(sec, strlen(sec), "com.a", &err), TL_EBADRESP);
}

/* ---- the tree ------------------------------------------------------------------------------- */

Test(adbshell, dump_and_read)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_shell_dump_ui(&b, TL_SHELL_DUMP_PATH);
    cr_assert_str_eq(b.data, "uiautomator dump '/sdcard/window_dump.xml'");
    tl_buf_clear(&b);
    tl_shell_read_file(&b, "/sdcard/a b.xml", 0, 0);
    cr_assert_str_eq(b.data, "cat '/sdcard/a b.xml'");
    tl_buf_clear(&b);
    tl_shell_read_file(&b, "/f", 65536, 65536);
    cr_assert_str_eq(b.data, "tail -c +65537 '/f' | head -c 65536");
    tl_buf_clear(&b);
    tl_shell_file_size(&b, "/f");
    cr_assert_str_eq(b.data, "stat -c %s '/f'");
    tl_buf_dispose(&b);
}

Test(adbshell, chunked_read_through_sh)
{
    /* Read a file back in chunks with the command lines the layer builds. */
    char path[] = "/tmp/tl-adbshell-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    char data[10000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    cr_assert_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
    close(fd);
    tl_buf cmd, out, all;
    tl_buf_init(&cmd, 0);
    tl_buf_init(&out, 0);
    tl_buf_init(&all, 0);
    tl_error err;
    tl_shell_file_size(&cmd, path);
    cr_assert_eq(run_sh(cmd.data, &out), 0);
    size_t size = 0;
    cr_assert_eq(tl_shell_parse_size(out.data, out.len, &size, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(size, sizeof(data));
    for (size_t off = 0; off < size; off += 4096) {
        tl_buf_clear(&cmd);
        tl_buf_clear(&out);
        tl_shell_read_file(&cmd, path, off, 4096);
        cr_assert_eq(run_sh(cmd.data, &out), 0);
        tl_buf_append(&all, out.data, out.len);
    }
    cr_assert_eq(all.len, sizeof(data));
    cr_assert_eq(memcmp(all.data, data, sizeof(data)), 0);
    unlink(path);
    tl_buf_dispose(&cmd);
    tl_buf_dispose(&out);
    tl_buf_dispose(&all);
}

Test(adbshell, check_dump)
{
    tl_error err;
    const char *ok = "UI hierchary dumped to: /sdcard/window_dump.xml\n";
    cr_assert_eq(tl_shell_check_dump(ok, strlen(ok), &err), TL_OK);
    const char *busy = "ERROR: could not get idle state.\n";
    cr_assert_eq(tl_shell_check_dump(busy, strlen(busy), &err), TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "could not get idle state"), "%s", err.msg);
    const char *other = "\n/system/bin/sh: uiautomator: not found\n";
    cr_assert_eq(tl_shell_check_dump(other, strlen(other), &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "uiautomator: not found"), "%s", err.msg);
    cr_assert_eq(tl_shell_check_dump("", 0, &err), TL_EBADRESP);
}

Test(adbshell, find_xml)
{
    tl_error err;
    size_t s = 0, n = 0;
    const char *out = "UI hierchary dumped to: /dev/tty\n<?xml version='1.0' ?><hierarchy "
                      "rotation=\"0\"><node/></hierarchy>\r\nextra";
    cr_assert_eq(tl_shell_find_xml(out, strlen(out), &s, &n, &err), TL_OK);
    cr_assert_eq(strncmp(out + s, "<?xml", 5), 0);
    cr_assert_eq(strncmp(out + s + n - 12, "</hierarchy>", 12), 0);
    cr_assert_eq(out[s + n], '\r');
    const char *cut = "<?xml version='1.0' ?><hierarchy><node";
    cr_assert_eq(tl_shell_find_xml(cut, strlen(cut), &s, &n, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "no complete"), "%s", err.msg);
    cr_assert_eq(tl_shell_find_xml("", 0, &s, &n, &err), TL_EBADRESP);
}

Test(adbshell, parse_size)
{
    tl_error err;
    size_t v = 1;
    cr_assert_eq(tl_shell_parse_size(" 12345\r\n", 8, &v, &err), TL_OK);
    cr_assert_eq(v, 12345);
    cr_assert_eq(tl_shell_parse_size("12 x", 4, &v, &err), TL_EBADRESP);
    cr_assert_eq(tl_shell_parse_size("", 0, &v, &err), TL_EBADRESP);
    cr_assert_eq(tl_shell_parse_size("99999999999999999999999", 23, &v, &err), TL_EBADRESP);
    const char *nf = "stat: /sdcard/x: No such file or directory\n";
    cr_assert_eq(tl_shell_parse_size(nf, strlen(nf), &v, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
}

/* ---- screen, focus, packages ---------------------------------------------------------------- */

Test(adbshell, wm_size)
{
    tl_error err;
    int w = 0, h = 0;
    const char *phys = "Physical size: 1080x2400\n";
    cr_assert_eq(tl_shell_parse_wm_size(phys, strlen(phys), &w, &h, &err), TL_OK);
    cr_assert_eq(w, 1080);
    cr_assert_eq(h, 2400);
    const char *over = "Physical size: 1440x3200\nOverride size: 1080x2400\n";
    cr_assert_eq(tl_shell_parse_wm_size(over, strlen(over), &w, &h, &err), TL_OK);
    cr_assert_eq(w, 1080);
    const char *bad[] = {"", "Physical size: x2400", "Physical size: 1080x", "Physical size: 0x0",
                         "Physical size: 99999999x1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(tl_shell_parse_wm_size(bad[i], strlen(bad[i]), &w, &h, &err), TL_EBADRESP,
                     "%s", bad[i]);
}

Test(adbshell, focus)
{
    tl_error err;
    char pkg[64];
    const char *out = "  mCurrentFocus=Window{1a2b3c u0 com.android.settings/"
                      "com.android.settings.Settings}\n  mFocusedApp=ActivityRecord{9 u0 "
                      "com.other/.Main t12}\n";
    cr_assert_eq(tl_shell_parse_focus(out, strlen(out), pkg, sizeof(pkg), &err), TL_OK);
    cr_assert_str_eq(pkg, "com.android.settings");
    const char *nul =
        "  mCurrentFocus=null\n  mFocusedApp=ActivityRecord{9 u0 com.other/.Main t12}\n";
    cr_assert_eq(tl_shell_parse_focus(nul, strlen(nul), pkg, sizeof(pkg), &err), TL_OK);
    cr_assert_str_eq(pkg, "com.other");
    const char *none = "  mCurrentFocus=null\n  mFocusedApp=null\n";
    cr_assert_eq(tl_shell_parse_focus(none, strlen(none), pkg, sizeof(pkg), &err), TL_ENOTFOUND);
    cr_assert_str_eq(pkg, "");
}

Test(adbshell, packages)
{
    tl_error err;
    tl_app_list apps = {0};
    const char *out = "package:com.android.settings\r\npackage:com.example.notes\nWARNING: x\n"
                      "package:bad name\npackage:\npackage:com.android.contacts";
    cr_assert_eq(tl_shell_parse_packages(out, strlen(out), &apps, &err), TL_OK);
    cr_assert_eq(apps.n, 3);
    cr_assert_str_eq(apps.items[0].package, "com.android.settings");
    cr_assert_str_eq(apps.items[1].package, "com.example.notes");
    cr_assert_str_eq(apps.items[2].package, "com.android.contacts");
    tl_app_list_dispose(&apps);
}

Test(adbshell, input_method)
{
    const char *yes = "com.android.adbkeyboard/.AdbIME\n";
    const char *no =
        "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME\n";
    cr_assert(tl_shell_is_adb_keyboard(yes, strlen(yes)));
    cr_assert_not(tl_shell_is_adb_keyboard(no, strlen(no)));
    cr_assert_not(tl_shell_is_adb_keyboard("", 0));
}
