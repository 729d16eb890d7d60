/*
 * loop.h - the agent loop: observe -> plan -> validate -> act -> settle -> record, until the
 * model calls done, the step budget or the time budget runs out, or the run is interrupted.
 *
 * One run drives one device with one LLM client; a batch runs many loops in many threads (each
 * with its own driver session, client and trace).
 */
#ifndef TL_LOOP_H
#define TL_LOOP_H

#include <signal.h>
#include <stdbool.h>

#include "agent/policy.h"
#include "agent/schema.h"
#include "agent/ui.h"
#include "agent/vision.h"
#include "core/buf.h"
#include "drivers/driver.h"
#include "planner/llm.h"
#include "planner/prompt.h"

/** Defaults. */
#define TL_RUN_MAX_RETRIES 3 /* error observations per step before the run fails */
#define TL_RUN_STUCK_HINT  3 /* same action on the same screen: hint the model */
#define TL_RUN_STUCK_STOP  5 /* ... stop with status failed */

/*
 * Settling (docs/loop.md, "Settling"): after each action the tree is polled until the screen
 * (its listing and foreground package) has stayed the same for the window, or the bound passes.
 * Polls are window/2 apart (at least TL_RUN_SETTLE_POLL_MIN_MS).
 */
#define TL_RUN_SETTLE_MAX_MS      3000 /* bound on waiting for the UI to settle after an action */
#define TL_RUN_SETTLE_WINDOW_MS   200  /* how long the screen must stay unchanged */
#define TL_RUN_SETTLE_POLL_MIN_MS 25   /* shortest interval between two polls */

/** What to run. Zero-initialise, then set; everything is borrowed. */
typedef struct tl_run_config {
    const char *goal;
    int max_steps;                  /**< step budget (>= 1) */
    long timeout_ms;                /**< wall-clock budget (>= 1) */
    const tl_prompts *prompts;      /**< the system and step templates */
    const tl_schema *output_schema; /**< what done.output must satisfy, or NULL */
    const char *out_dir;            /**< trajectory directory, or NULL for none */
    volatile sig_atomic_t *cancel;  /**< set by a signal: stop promptly */
    tl_ui_options ui_opts;          /**< index options (tap offsets) */
    int max_retries;                /**< 0: TL_RUN_MAX_RETRIES */
    long settle_max_ms;             /**< 0: TL_RUN_SETTLE_MAX_MS; < 0: observe once, no wait */
    long settle_window_ms;          /**< 0: TL_RUN_SETTLE_WINDOW_MS; < 0: two equal in a row */
    const char *model;              /**< for the report */
    bool vision;                    /**< send each step's screenshot to the model (--vision):
                                         the model then works in the image's pixels */
    tl_vision_options vision_opts;  /**< size, format, quality, marks of that image */
    const tl_policy *policy;        /**< actions never performed (--deny-*), or NULL */
} tl_run_config;

/** How a run ended. Release with tl_run_result_dispose(). */
typedef struct tl_run_result {
    int code;           /**< TL_OK, or the error that ended the run (status error/interrupted) */
    bool success;       /**< done with success: true */
    const char *status; /**< static: completed, failed, max_steps, timeout, error, interrupted */
    char *message;      /**< owned */
    char *output;       /**< owned: done.output as JSON text, or NULL */
    int steps;
    long prompt_tokens, completion_tokens;
    long duration_ms;
    char *trajectory; /**< owned: the trajectory directory, or NULL */
} tl_run_result;

void tl_run_result_dispose(tl_run_result *r);

/**
 * Run a goal. The driver session and the LLM client are used from this thread only.
 * @return the result's code: TL_OK when the run ended normally (whatever its status), the
 *         error that ended it otherwise (TL_ECANCELED when interrupted).
 */
int tl_run(tl_driver *drv, tl_llm *llm, const tl_run_config *cfg, tl_run_result *res);

/** Append the result object of SPEC §2 (one line of JSON, no newline). */
int tl_run_result_json(const tl_run_result *r, const char *device, const char *driver, tl_buf *out);

/** Exit code of SPEC §2 for a result: 0, 1, 2, 3 or 130. */
int tl_run_exit_code(const tl_run_result *r);

#endif
