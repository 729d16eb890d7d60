/*
 * report.h - report.html: a self-contained page to look through a run step by step (SPEC §5):
 * each step's screenshot with the acted-on element marked (its box, the tap point, a swipe's
 * path), the action, its result, the model's reasoning, error observations, timings and tokens.
 * Screenshots are embedded as data: URLs, so the page is one file that opens anywhere, offline.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/ui.h" /* tl_rect */
#include "core/status.h"

/** One step as the report shows it. All strings borrowed; NULL means absent. */
typedef struct tl_report_step {
    int step;                /**< 1-based */
    const char *time;        /**< ISO 8601 UTC */
    const char *package;     /**< foreground app during the step */
    const char *screenshot;  /**< file name inside the run directory (PNG or JPEG), or NULL */
    int screen_w, screen_h;  /**< the screenshot's coordinate space */
    const char *action;      /**< the action as JSON text, or NULL (no action was taken) */
    const char *action_text; /**< human form, e.g. `tap [12] Switch "Dark theme"` */
    const char *result;      /**< "ok" or the error */
    const char *reasoning;   /**< the model's text */
    const char *errors;      /**< error observations sent back during the step, one per line */
    bool has_rect;           /**< the acted-on element's box */
    tl_rect rect;
    bool has_point; /**< tap / press / swipe start */
    int x, y;
    bool has_end; /**< swipe end */
    int x2, y2;
    long llm_ms, step_ms;
    long prompt_tokens, completion_tokens;
} tl_report_step;

/** The run as the report's header shows it. All borrowed; NULL means absent. */
typedef struct tl_report_run {
    const char *goal, *status, *message;
    const char *output; /**< done.output as JSON text */
    const char *driver, *device, *model;
    const char *started; /**< ISO 8601 UTC */
    int steps;
    long duration_ms;
    long prompt_tokens, completion_tokens;
} tl_report_run;

/**
 * Write `dir`/report.html (atomically). Screenshots named by the steps are read from `dir`; a
 * missing or unreadable one is shown as missing, not an error. All text is HTML-escaped.
 * @return TL_OK, TL_EIO naming the path, TL_ENOMEM.
 */
int tl_report_write(const char *dir, const tl_report_run *run, const tl_report_step *steps,
                    size_t n, tl_error *err);

#endif
