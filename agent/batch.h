/*
 * batch.h - batch runs (SPEC §6): the batch file, and the runner that drives many devices at
 * once, each running every goal in order.
 *
 * The runner is a fixed pool of `parallel` worker threads taking devices from a shared queue
 * (an index under a mutex): a worker opens one driver session and one LLM client for its
 * device, runs the device's goals one after the other, closes both, and takes the next device.
 * So at most `parallel` sessions, clients and loops exist at once, whatever the number of
 * devices. A job that fails or errors never stops the others; once the cancel flag is set,
 * running jobs stop at their next check and jobs not started are reported as interrupted.
 */
#ifndef TL_BATCH_H
#define TL_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/junit.h"
#include "agent/loop.h"
#include "agent/runopts.h"
#include "core/buf.h"
#include "core/http.h"
#include "drivers/driver.h"

#define TL_BATCH_PARALLEL_LIMIT 10000 /* parallel at most */

/** One goal of a batch file. */
typedef struct tl_batch_goal {
    char *goal;     /**< owned */
    long max_steps; /**< 0: the batch's */
    long timeout_s; /**< 0: the batch's */
    int line;       /**< where it is written in the file */
} tl_batch_goal;

/** A batch file (SPEC §6). Release with tl_batch_file_dispose(). */
typedef struct tl_batch_file {
    char *driver;     /**< owned; NULL when the file names none */
    bool all_devices; /**< devices: all */
    char **devices;   /**< owned, n_devices (none with all_devices) */
    size_t n_devices;
    long parallel, max_steps, timeout_s; /**< 0 when the file does not say */
    tl_batch_goal *goals;                /**< owned, n_goals >= 1 */
    size_t n_goals;
} tl_batch_file;

/**
 * Parse a batch file's text (YAML or JSON). Strict: unknown keys, wrong types, missing
 * `devices` or `goals`, empty lists, empty or duplicate device ids are errors naming the file,
 * the line and column and the key path. *out is zeroed first; dispose it whatever the result.
 * @return TL_OK; TL_EPARSE (exit 2); TL_ENOMEM.
 */
int tl_batch_file_parse(tl_batch_file *out, const char *text, size_t len, const char *name,
                        tl_error *err);

/** Read and parse a batch file. @return as tl_batch_file_parse(), or TL_EIO (unreadable). */
int tl_batch_file_load(tl_batch_file *out, const char *path, tl_error *err);

/** Release a batch file. NULL is accepted. */
void tl_batch_file_dispose(tl_batch_file *f);

/**
 * Parse --shard "I/N" (0 <= I < N <= 100000). @return true when valid.
 */
bool tl_batch_shard_parse(const char *s, long *index, long *count);

/** true when the device at `position` (0-based, in the batch's device order) is in shard
 * index/count: position modulo count equals index. */
bool tl_batch_in_shard(size_t position, long index, long count);

/**
 * The directory name of a job: "NN-goal-slug", NN the goal's 1-based number (zero-padded to
 * the width of `total`, at least 2), the slug the goal's first words in lower-case ASCII
 * letters and digits joined by '-', at most 40 characters ("goal" when none remain).
 */
void tl_batch_slug(char *out, size_t size, size_t number, size_t total, const char *goal);

/** A device id made safe as one directory name: [A-Za-z0-9._-] kept, anything else '-', at
 * most 64 characters; "." and ".." become "-" and "--"; "" becomes "device". */
void tl_batch_safe_name(char *out, size_t size, const char *device);

/** One job: a goal on a device. */
typedef struct tl_batch_job {
    size_t device, goal; /**< indexes in the run's lists */
    bool started;        /**< its goal was given to the loop */
    tl_run_result result;
} tl_batch_job;

/** What the runner tells as it goes. */
typedef enum tl_batch_event_kind {
    TL_BATCH_JOB_START, /**< a job is about to run (job->result not set yet) */
    TL_BATCH_JOB_END,   /**< a job ended, job->result is final */
    TL_BATCH_TICK,      /**< a quarter of a second passed (from the calling thread) */
} tl_batch_event_kind;

/**
 * Called by the runner, one call at a time (under the runner's lock), from worker threads for
 * job events and from the thread of tl_batch_run() for ticks. `job` is NULL for ticks.
 */
typedef void (*tl_batch_event_fn)(tl_batch_event_kind kind, const tl_batch_job *job, void *payload);

/** A batch to run. Everything is borrowed and must outlive tl_batch_run(). */
typedef struct tl_batch_config {
    const char *driver;
    const char *const *devices; /**< the devices to drive (after `all` and sharding) */
    size_t n_devices;
    const tl_batch_goal *goals;
    size_t n_goals;
    long max_steps, timeout_s;  /**< for goals without their own (> 0) */
    bool override_steps;        /**< max_steps wins over the goals' own (--max-steps) */
    bool override_timeout;      /**< timeout_s wins over the goals' own (--timeout) */
    int parallel;               /**< worker threads (>= 1; more than n_devices is capped) */
    const tl_runenv *env;       /**< prompts, schema, template configuration, LLM endpoint */
    const char *out_root;       /**< trajectories under OUT/<device>/<NN-slug>/, or NULL */
    const char *record_dir;     /**< per-job cassettes DIR/<device>/<NN-slug>.cassette, or NULL */
    const char *replay_dir;     /**< idem, replayed */
    tl_http_throttle *throttle; /**< shared by every LLM client, or NULL */
    volatile sig_atomic_t *cancel; /**< set by a signal: every job stops */
    bool wait;                     /**< --wait: wait for devices to become ready */
    tl_batch_event_fn on_event;    /**< may be NULL */
    void *payload;
} tl_batch_config;

/**
 * Run every goal on every device, `parallel` devices at a time. jobs must hold
 * n_devices * n_goals entries; job (d, g) is jobs[d * n_goals + g]; each result is filled
 * (dispose them with tl_run_result_dispose()). Per-job errors are in the results, never
 * returned.
 * @return TL_OK; TL_ENOMEM (or TL_EUSAGE) when the workers could not be started.
 */
int tl_batch_run(const tl_batch_config *cfg, tl_batch_job *jobs, tl_error *err);

/**
 * Append one `--json` job line (no newline): {"device":..,"goal":..,"goal_index":N, then the
 * fields of SPEC §2's result object}.
 * @return TL_OK or TL_ENOMEM.
 */
int tl_batch_job_json(const tl_batch_job *job, const char *device, const char *goal,
                      const char *driver, tl_buf *out);

/**
 * Add a job to a JUnit report the way batch reports write it: suite = device, case name
 * "#NN goal", time, and by status: completed with success passes, "error" is an <error>,
 * "interrupted" is <skipped>, anything else a <failure> of that type; system-out names the
 * trajectory. Used by `batch --report` and by `report merge` (from the job lines).
 * @return TL_OK or TL_ENOMEM.
 */
int tl_batch_junit_add(tl_junit_report *r, const char *device, const char *timestamp,
                       size_t goal_index, const char *goal, bool success, const char *status,
                       const char *message, long duration_ms, const char *trajectory);

/** Exit code of a set of results (SPEC §2): 130 if any was interrupted, else 2 if a job
 * failed on a configuration error, else 3 on an infrastructure error, else 1 if a goal was
 * not achieved, else 0. */
int tl_batch_exit_code(const tl_run_result *const *results, size_t n);

#endif
