/*
 * suite.h - regression suites (SPEC §7): the suite file, and the runner that plays each case on
 * a fresh device and says whether it passed.
 *
 * A case is driven either by a goal (the agent loop with the LLM, optionally after launching an
 * app) or by deterministic steps (launch, tap, long_press, type ... into, press, scroll, swipe,
 * wait_for, assert_visible, assert_not_visible, assert_checked, assert_text), and may end with
 * `expect` checks on the final screen. Targets are named by selectors (agent/selector.h, PCRE2
 * regular expressions written /.../i). A case with `retries: N` is played again, up to N more
 * times, after a failure; a pass after a retry is reported as flaky.
 *
 * Loading is strict (agent/doc.h): unknown keys, wrong types, missing fields, empty case or
 * step lists, a regular expression that does not compile, are errors naming the file, the line
 * and column and the key path, e.g.
 *
 *     smoke.yaml:9:13: cases[1].steps[2].tap.txt: unknown key (known: text, desc, ...)
 *
 * Running is single-threaded: one driver session per attempt (opened fresh: a sim phone starts
 * from its initial state), one LLM client for the goal cases, one cassette per case.
 */
#ifndef TL_SUITE_H
#define TL_SUITE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/junit.h"
#include "agent/runopts.h"
#include "agent/selector.h"
#include "core/buf.h"
#include "core/status.h"
#include "planner/action.h"

#define TL_SUITE_MAX_RETRIES     100
#define TL_SUITE_WAIT_DEFAULT_MS 5000   /* wait_for without timeout_ms */
#define TL_SUITE_WAIT_MAX_MS     600000 /* timeout_ms at most */
#define TL_SUITE_WAIT_POLL_MS    100    /* wait_for polls the screen this often */
#define TL_SUITE_CANDIDATES      5      /* closest candidates named when a selector misses */

/** What a step (or an expect check) does. */
typedef enum tl_suite_step_kind {
    TL_STEP_LAUNCH,
    TL_STEP_TAP,
    TL_STEP_LONG_PRESS,
    TL_STEP_TYPE,
    TL_STEP_PRESS,
    TL_STEP_SCROLL,
    TL_STEP_SWIPE,
    TL_STEP_WAIT_FOR,
    TL_STEP_ASSERT_VISIBLE,
    TL_STEP_ASSERT_NOT_VISIBLE,
    TL_STEP_ASSERT_CHECKED,
    TL_STEP_ASSERT_TEXT,
} tl_suite_step_kind;

/** One step as written in the file. Everything is owned by the suite. */
typedef struct tl_suite_step {
    tl_suite_step_kind kind;
    char *label;           /**< how messages name it: `steps[2] tap {text: "Display"}` */
    int line, col;         /**< where it is written */
    tl_selector *sel;      /**< owned; the target (NULL: none, e.g. launch, press, plain scroll) */
    char *value;           /**< owned or NULL: launch's package, type's text, assert_text's expected
                                value (an exact string or /regex/flags) */
    tl_selector *value_re; /**< owned: assert_text's expected value compiled as a "text" matcher */
    bool want;             /**< assert_checked: the checked state wanted (default true) */
    bool clear;            /**< type: clear the field first */
    tl_key key;            /**< press */
    tl_direction direction; /**< scroll */
    long x1, y1, x2, y2;    /**< swipe */
    long duration_ms;       /**< long_press and swipe (0: the action's default) */
    long timeout_ms;        /**< wait_for */
} tl_suite_step;

/** One case. */
typedef struct tl_suite_case {
    char *name;           /**< owned, unique in the suite */
    int line;             /**< where it is written */
    char *goal;           /**< owned; NULL for a case driven by steps */
    char *launch;         /**< owned; goal cases: the app started before the goal, or NULL */
    long max_steps;       /**< goal cases: 0 for the suite's / the command line's */
    long timeout_s;       /**< 0 for the suite's */
    long retries;         /**< -1: the suite's */
    char *skip;           /**< owned: `skip: reason` (the case is reported skipped), or NULL */
    tl_suite_step *steps; /**< owned, n_steps (0 for a goal case) */
    size_t n_steps;
    tl_suite_step *expect; /**< owned, n_expect checks on the final screen */
    size_t n_expect;
} tl_suite_case;

/** A suite file. Release with tl_suite_dispose(). */
typedef struct tl_suite {
    char *path;   /**< owned: the file it was loaded from (its name in messages) */
    char *name;   /**< owned: `name`, else the file name without directory and extension */
    char *driver; /**< owned or NULL */
    char *device; /**< owned or NULL */
    long max_steps, timeout_s, retries; /**< 0 when the file does not say */
    tl_suite_case *cases;               /**< owned, n_cases >= 1 */
    size_t n_cases;
} tl_suite;

/**
 * Parse a suite from memory; `name` names it in messages. *out is zeroed first; dispose it
 * whatever the result.
 * @return TL_OK; TL_EPARSE "NAME:LINE:COL: PATH: why" (exit 2); TL_ENOMEM.
 */
int tl_suite_parse(tl_suite *out, const char *text, size_t len, const char *name, tl_error *err);

/** Read and parse a suite file. @return as tl_suite_parse(), or TL_EIO (unreadable). */
int tl_suite_load(tl_suite *out, const char *path, tl_error *err);

/** Release a suite. NULL is accepted. */
void tl_suite_dispose(tl_suite *s);

/** The name of a step kind as written in files ("tap", "assert_text", ...). */
const char *tl_suite_step_name(tl_suite_step_kind k);

typedef struct tl_suite_filter tl_suite_filter;

/**
 * An --only pattern: `/regex/` or `/regex/i` (PCRE2, searched in the case name), anything else
 * a case-insensitive substring. Caller frees with tl_suite_filter_free().
 * @return TL_OK; TL_EUSAGE for a regular expression that does not compile; TL_ENOMEM.
 */
int tl_suite_filter_new(tl_suite_filter **out, const char *pattern, tl_error *err);
/** Free a filter. NULL is accepted. */
void tl_suite_filter_free(tl_suite_filter *f);
/** true if `name` is selected by the filter. */
bool tl_suite_filter_match(tl_suite_filter *f, const char *name);

/** How a case ended. */
typedef enum tl_suite_status {
    TL_CASE_PASSED,
    TL_CASE_FAILED,  /**< a step, an assertion, an expect check or the goal failed */
    TL_CASE_ERROR,   /**< the case could not run (device, network, configuration) */
    TL_CASE_SKIPPED, /**< `skip:` in the file, or not started because of an interruption */
} tl_suite_status;

/** The result of a case. Release with tl_suite_result_dispose(). */
typedef struct tl_suite_result {
    tl_suite_status status;
    int code;            /**< status code of the last attempt (TL_OK when it passed or failed) */
    const char *type;    /**< static: "step", "assertion", "expect", a goal status
                              ("failed", "max_steps", ...), "cassette_miss", "error" */
    bool flaky;          /**< passed after a failed attempt */
    int attempts;        /**< attempts played (0 when skipped) */
    char *message;       /**< owned: one line, or NULL when it passed */
    char *detail;        /**< owned: more lines (closest candidates, the screenshot), or NULL */
    char *screenshot;    /**< owned: the failing step's screenshot path, or NULL */
    char *trajectory;    /**< owned: the last attempt's trajectory directory, or NULL */
    char *trajectories;  /**< owned: every attempt's directory, one per line, or NULL */
    char *first_failure; /**< owned: a flaky case's first failure message, or NULL */
    int steps;           /**< steps (or loop steps) of the last attempt */
    long duration_ms;    /**< all attempts together */
} tl_suite_result;

/** Release a result. NULL is accepted. */
void tl_suite_result_dispose(tl_suite_result *r);

/** What the runner needs. Everything is borrowed and must outlive tl_suite_run_case(). */
typedef struct tl_suite_config {
    const char *driver;   /**< the suite's or --driver */
    const char *device;   /**< the suite's or --device; NULL: the driver's first ready device */
    const tl_runenv *env; /**< goal cases: prompts, schema, settle and index options */
    tl_llm *llm;          /**< goal cases: the LLM client (may be NULL when none is needed) */
    long max_steps;       /**< goal budget when the case names none */
    bool override_steps;  /**< --max-steps beats the case's own */
    long timeout_s;       /**< per attempt when the case names none */
    bool override_timeout;
    const char *out_dir;  /**< the case's trajectory directory (attempt 2 on: "DIR-retry-N"),
                               or NULL for none */
    const char *cassette; /**< the case's cassette path, or NULL */
    bool record;          /**< record into `cassette` (else replay from it) */
    volatile sig_atomic_t *cancel;
} tl_suite_config;

/**
 * Play a case: up to 1 + retries attempts, each on a device opened fresh, until one passes.
 * `res` is always filled (dispose it).
 * @return TL_OK (whatever the case's outcome); TL_ENOMEM.
 */
int tl_suite_run_case(const tl_suite_config *cfg, const tl_suite *s, const tl_suite_case *c,
                      tl_suite_result *res);

/**
 * The checked state of what element e shows (assert_checked, expect checked): e itself when
 * checkable, else the element of its listing line, else the first checkable element inside
 * that line (a settings row whose label and switch are siblings). *checkable is false when
 * there is none (the state returned is then false).
 */
bool tl_suite_checked_state(const tl_ui *ui, const tl_element *e, bool *checkable);

/** A case's name in reports and directories: "NN-slug" (NN its 1-based number). */
void tl_suite_case_slug(char *out, size_t size, const tl_suite *s, size_t index);

/**
 * Add a case result to a JUnit report: suite = the suite's name, classname = the suite name
 * too, a <failure> (type and message, the detail as body), <error>, or <skipped>; a flaky pass
 * carries the flaky property and its first failure in system-out; system-out names the
 * trajectories. @return TL_OK or TL_ENOMEM.
 */
int tl_suite_junit_add(tl_junit_report *r, const tl_suite *s, const tl_suite_case *c,
                       const tl_suite_result *res, const char *timestamp);

/** Append the `--json` line of a case (no newline). @return TL_OK or TL_ENOMEM. */
int tl_suite_result_json(const tl_suite *s, const tl_suite_case *c, const tl_suite_result *res,
                         tl_buf *out);

/** Exit code of a case (SPEC §2): 0 passed or skipped, 1 failed, 2 configuration error,
 *  3 infrastructure error or cassette miss, 130 interrupted. */
int tl_suite_exit_code(const tl_suite_result *res);

#endif
