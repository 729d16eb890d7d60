/*
 * adbshell.h - the Android shell layer shared by the drivers that reach a device through a
 * shell command line (ArmCloud's syncCmd, the adb server's shell: service): it builds the
 * `input`, `uiautomator dump`, `am start`/`monkey`, `am force-stop`, `pm list packages`,
 * `wm size` and `dumpsys window` command lines, and parses what they print.
 *
 * Safety: every value that comes from outside (text to type, package and activity names, file
 * paths) is single-quoted, so no character of it can run a command; package and activity names
 * are also validated. A command line built here is one line (no newline), so it can be joined
 * with others by " && " or ";" and sent as one shell invocation.
 *
 * Builders append to a caller-owned tl_buf and return TL_OK, TL_ENOMEM, or (where they take an
 * error) TL_EUSAGE / TL_EUNSUPPORTED with a message. Parsers read a command's output (not
 * NUL-terminated: a pointer and a length) and never keep pointers into it.
 */
#ifndef TL_ADBSHELL_H
#define TL_ADBSHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/keys.h"
#include "core/status.h"
#include "drivers/driver.h"

/** Where the tree is dumped on the device (a path every Android build can write). */
#define TL_SHELL_DUMP_PATH "/sdcard/window_dump.xml"

/** Package of the ADB Keyboard IME, the fallback for text `input text` cannot type. */
#define TL_SHELL_ADB_KEYBOARD_IME "com.android.adbkeyboard/.AdbIME"

/**
 * Append `arg` as one single-quoted shell word: `it's` becomes `'it'\''s'`. Every byte other
 * than NUL is kept literally (the empty string becomes ''). @return TL_OK or TL_ENOMEM.
 */
int tl_shell_quote(tl_buf *out, const char *arg);

/** How text is typed. Zero-initialise. */
typedef struct tl_shell_type_opts {
    bool adb_keyboard; /**< the ADB Keyboard IME is the active input method: text `input text`
                            cannot type goes through its ADB_INPUT_B64 broadcast */
} tl_shell_type_opts;

/**
 * Append a command line that types UTF-8 `text` into the focused field, exactly.
 * `input text` gets printable ASCII, single-quoted, with spaces written `%s` (Android's rule);
 * a literal "%s" in the text is split across two `input text` calls so it is not read as a
 * space; "\n" presses ENTER and "\t" TAB. Anything else (non-ASCII, other control characters)
 * goes through the ADB Keyboard broadcast when opts->adb_keyboard, else the call fails.
 * @return TL_OK; TL_EUSAGE for invalid UTF-8 or an empty text; TL_EUNSUPPORTED naming the first
 *         character that cannot be typed and how to make it typeable (install and enable ADB
 *         Keyboard); TL_ENOMEM. Nothing is appended on failure.
 */
int tl_shell_type_text(tl_buf *out, const char *text, const tl_shell_type_opts *opts,
                       tl_error *err);

/** Append `input tap X Y`. */
int tl_shell_tap(tl_buf *out, int x, int y);

/** Append `input swipe X1 Y1 X2 Y2 MS`. */
int tl_shell_swipe(tl_buf *out, int x1, int y1, int x2, int y2, int duration_ms);

/** Append a long press at (x, y): a swipe that does not move, held for duration_ms. */
int tl_shell_long_press(tl_buf *out, int x, int y, int duration_ms);

/** Append `input keyevent CODE` for a SPEC key (tl_key_android_code()). */
int tl_shell_keyevent(tl_buf *out, tl_key key);

/**
 * Append a command line that empties the focused field: move to its end, then delete up to
 * `max_chars` characters (one `input keyevent` call with the codes repeated).
 */
int tl_shell_clear_field(tl_buf *out, int max_chars);

/**
 * Append a command line that launches `package` (its launcher activity through `monkey`), or
 * `package/activity` through `am start -n` when activity is not NULL or "". Activity may be
 * relative (".Main"). @return TL_EUSAGE for a name that is not a valid Java package / class
 * name (letters, digits, '_', '.', '$'), TL_ENOMEM.
 */
int tl_shell_start_app(tl_buf *out, const char *package, const char *activity, tl_error *err);

/**
 * Check the output of a tl_shell_start_app() command line.
 * @return TL_OK; TL_EREJECTED when the package or activity does not exist ("No activities
 *         found to run", "Error: Activity class ... does not exist", "Error type 3"), with the
 *         package in the message; TL_EBADRESP for another error the tools printed.
 */
int tl_shell_check_start(const char *output, size_t len, const char *package, tl_error *err);

/** Append `am force-stop 'PACKAGE'`. @return TL_EUSAGE for an invalid package name. */
int tl_shell_stop_app(tl_buf *out, const char *package, tl_error *err);

/** Append a command line that dumps the UI tree to `path` (uiautomator dump PATH). */
int tl_shell_dump_ui(tl_buf *out, const char *path);

/**
 * Append a command line that prints `len` bytes of file `path` from byte `offset` (0-based),
 * so that a large dump can be read back in bounded chunks. With len == 0, the whole rest.
 */
int tl_shell_read_file(tl_buf *out, const char *path, size_t offset, size_t len);

/** Append a command line that prints the size of file `path` in bytes, one decimal number
 * (`stat -c %s PATH`: no redirection, so the path is an argument a tool sees). */
int tl_shell_file_size(tl_buf *out, const char *path);

/**
 * Check the output of a tl_shell_dump_ui() command line ("UI hierchary dumped to: PATH").
 * @return TL_OK; TL_ENOTREADY when uiautomator could not get an idle state or another dump was
 *         running (worth retrying); TL_EBADRESP quoting the first line of any other output.
 */
int tl_shell_check_dump(const char *output, size_t len, tl_error *err);

/**
 * Find the XML document in the output of a dump or a file read: from `<?xml` (or `<hierarchy`)
 * to the end of `</hierarchy>`, dropping anything the tools printed around it.
 * @return TL_OK with *start and *doc_len; TL_EBADRESP (quoting the first line) when there is no
 *         complete document.
 */
int tl_shell_find_xml(const char *output, size_t len, size_t *start, size_t *doc_len,
                      tl_error *err);

/** Parse one non-negative decimal number (a file size), surrounding whitespace allowed. */
int tl_shell_parse_size(const char *output, size_t len, size_t *size, tl_error *err);

/** Append `wm size`. */
int tl_shell_wm_size(tl_buf *out);

/**
 * Parse `wm size` ("Physical size: 1080x2400", then maybe "Override size: 720x1600", which
 * wins). @return TL_OK; TL_EBADRESP when no size is found.
 */
int tl_shell_parse_wm_size(const char *output, size_t len, int *w, int *h, tl_error *err);

/** Append the command line that prints the focused window (`dumpsys window`, filtered). */
int tl_shell_focus(tl_buf *out);

/**
 * Parse the foreground package from `dumpsys window` output (mCurrentFocus, else
 * mFocusedApp) into pkg (NUL-terminated, truncated to size).
 * @return TL_OK; TL_ENOTFOUND when no window has focus.
 */
int tl_shell_parse_focus(const char *output, size_t len, char *pkg, size_t size, tl_error *err);

/** Append `pm list packages`. */
int tl_shell_list_packages(tl_buf *out);

/**
 * Parse `pm list packages` ("package:NAME" lines; other lines ignored) into `apps`, which must
 * be zero-initialised (labels are ""). @return TL_OK, TL_ENOMEM.
 */
int tl_shell_parse_packages(const char *output, size_t len, tl_app_list *apps, tl_error *err);

/** Append the command line that prints the default input method (to detect ADB Keyboard). */
int tl_shell_input_method(tl_buf *out);

/** true when the output of tl_shell_input_method() names the ADB Keyboard IME. */
bool tl_shell_is_adb_keyboard(const char *output, size_t len);

#endif
