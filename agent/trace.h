/*
 * trace.h - a run's trajectory directory (SPEC §5): trajectory.jsonl (one JSON object per step,
 * flushed and synced as each step ends, so an interrupted run keeps every completed step),
 * step-NNN.png screenshots, step-NNN.ui.json element indexes, result.json and report.html.
 */
#ifndef TL_TRACE_H
#define TL_TRACE_H

#include "agent/report.h"
#include "agent/ui.h"
#include "core/buf.h"
#include "drivers/driver.h"

typedef struct tl_trace tl_trace;

/**
 * Create the directory (and parents) and trajectory.jsonl in it. Caller closes with
 * tl_trace_close(). @return TL_OK or TL_EIO naming the path.
 */
int tl_trace_open(tl_trace **out, const char *dir, tl_error *err);

/** The directory. Borrowed. */
const char *tl_trace_dir(const tl_trace *t);

/**
 * Save the observation's screenshot as step-NNN.png (or .jpg), writing its file name into
 * `name` (size bytes). @return TL_OK (name is "" when the observation has none) or TL_EIO.
 */
int tl_trace_screenshot(tl_trace *t, int step, const tl_observation *obs, char *name, size_t size,
                        tl_error *err);

/**
 * Save encoded image bytes of type `mime` ("image/png" or "image/jpeg") as step-NNN.png (or
 * .jpg), writing the file name into `name`. @return TL_OK or TL_EIO (name is then "").
 */
int tl_trace_image(tl_trace *t, int step, const void *data, size_t len, const char *mime,
                   char *name, size_t size, tl_error *err);

/** Save the element index as step-NNN.ui.json. @return TL_OK, TL_EIO or TL_ENOMEM. */
int tl_trace_index(tl_trace *t, int step, const tl_ui *ui, tl_error *err);

/** Append one JSON object (no newline in it) as a line, then flush and sync. */
int tl_trace_line(tl_trace *t, const char *json, size_t len, tl_error *err);

/** Keep a step for report.html (strings are copied). @return TL_OK or TL_ENOMEM. */
int tl_trace_report_step(tl_trace *t, const tl_report_step *s);

/** Write result.json (the given JSON text) and report.html. */
int tl_trace_finish(tl_trace *t, const char *result_json, const tl_report_run *run, tl_error *err);

/** Close the files. NULL is accepted. */
void tl_trace_close(tl_trace *t);

#endif
