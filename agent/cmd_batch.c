/*
 * cmd_batch.c - `taploop batch FILE`: run every goal of a batch file on every device
 * (SPEC §6), `parallel` devices at a time, with live progress on stderr, `--json` job lines
 * and a summary line on stdout, a JUnit report, and `--shard I/N`.
 *
 * The command loads the file, resolves `devices: all` through the driver's listing (ready
 * devices, sorted by id so that every shard sees the same order), keeps its shard, builds the
 * shared run environment (agent/runopts.h) and one LLM throttle, and hands the jobs to the
 * runner (agent/batch.h). Progress is printed from the runner's event callback, which the
 * runner serialises. SIGINT/SIGTERM set the cancel flag every job watches (exit 130 once they
 * have flushed their trajectories and released their devices); a second signal exits at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/batch.h"
#include "agent/cli.h"
#include "agent/junit.h"
#include "agent/runopts.h"
#include "agent/signals.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"

#define DEFAULT_PARALLEL 8
#define MESSAGE_SHOWN    160 /* characters of a job's message on its progress line */

enum {
    OPT_PARALLEL = TL_RUNOPT__END,
    OPT_SHARD,
    OPT_REPORT,
    OPT_LLM_PARALLEL,
};

struct batch_opts {
    tl_runopts run;
    long parallel; /* 0: not given */
    long llm_parallel;
    const char *shard, *report;
    long shard_index, shard_count;
};

static bool handle(int c, const char *arg, void *payload)
{
    struct batch_opts *o = payload;
    int r = tl_runopts_opt(&o->run, c, arg);
    if (r)
        return r > 0;
    switch (c) {
    case OPT_PARALLEL:
        if (!tl_cli_parse_long(arg, 1, TL_BATCH_PARALLEL_LIMIT, &o->parallel)) {
            tl_cli_usage(&tl_cmd_batch, "--parallel takes a number of devices (1..%d), not '%s'",
                         TL_BATCH_PARALLEL_LIMIT, arg);
            return false;
        }
        return true;
    case OPT_LLM_PARALLEL:
        if (!tl_cli_parse_long(arg, 1, TL_BATCH_PARALLEL_LIMIT, &o->llm_parallel)) {
            tl_cli_usage(&tl_cmd_batch,
                         "--llm-parallel takes a number of requests (1..%d), not '%s'",
                         TL_BATCH_PARALLEL_LIMIT, arg);
            return false;
        }
        return true;
    case OPT_SHARD:
        if (!tl_batch_shard_parse(arg, &o->shard_index, &o->shard_count)) {
            tl_cli_usage(&tl_cmd_batch,
                         "--shard takes I/N with 0 <= I < N, e.g. --shard 0/4, not '%s'", arg);
            return false;
        }
        o->shard = arg;
        return true;
    case OPT_REPORT: o->report = arg; return true;
    default: return false;
    }
}

/* ---- progress ------------------------------------------------------------------------------- */

struct progress {
    const struct tl_cli_common *co;
    const tl_batch_config *cfg;
    bool tty;   /* stderr is a terminal: one redrawn status line */
    bool quiet; /* -q: no progress at all */
    size_t total, done, failed, running;
    long long t0;
    bool status_shown;
    bool stdout_failed;
};

/* Write a buffer to a file descriptor in full (one line: one write when it fits). */
static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void put_counts(struct progress *pg, tl_buf *b)
{
    tl_buf_printf(b, "%zu/%zu done, %zu failed, %zu running", pg->done, pg->total, pg->failed,
                  pg->running);
}

static void redraw(struct progress *pg)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    long long s = (tl_now_ms() - pg->t0) / 1000;
    tl_buf_puts(&b, "\r\033[Ktaploop: batch: ");
    put_counts(pg, &b);
    tl_buf_printf(&b, " (%02lld:%02lld)", s / 60, s % 60);
    if (b.data)
        write_all(STDERR_FILENO, b.data, b.len);
    pg->status_shown = true;
    tl_buf_dispose(&b);
}

/* The job's line: "sim:a #01 completed (5 steps, 3.2 s): message". */
static void job_line(const struct progress *pg, const tl_batch_job *job, tl_buf *b)
{
    const tl_run_result *r = &job->result;
    const char *status = r->status ? r->status : "error";
    tl_buf_printf(b, "%s #%02zu %s%s (%d step%s, %.1f s)", pg->cfg->devices[job->device],
                  job->goal + 1, status, r->success ? "" : (job->started ? "" : ""), r->steps,
                  r->steps == 1 ? "" : "s", (double)r->duration_ms / 1000.0);
    if (r->message && r->message[0]) {
        size_t n = strlen(r->message);
        tl_buf_puts(b, ": ");
        if (n > MESSAGE_SHOWN) {
            tl_buf_append(b, r->message, MESSAGE_SHOWN);
            tl_buf_puts(b, "...");
        } else {
            tl_buf_puts(b, r->message);
        }
    }
}

static void on_event(tl_batch_event_kind kind, const tl_batch_job *job, void *payload)
{
    struct progress *pg = payload;
    if (kind == TL_BATCH_JOB_START) {
        pg->running++;
        if (pg->tty && !pg->quiet)
            redraw(pg);
        return;
    }
    if (kind == TL_BATCH_TICK) {
        if (pg->tty && !pg->quiet)
            redraw(pg);
        return;
    }
    pg->running--;
    pg->done++;
    if (!job->result.success)
        pg->failed++;
    if (pg->co->json) {
        tl_buf line;
        tl_buf_init(&line, 0);
        int rc = tl_batch_job_json(job, pg->cfg->devices[job->device],
                                   pg->cfg->goals[job->goal].goal, pg->cfg->driver, &line);
        if (rc == TL_OK && tl_buf_putc(&line, '\n') == TL_OK &&
            fwrite(line.data, 1, line.len, stdout) == line.len)
            fflush(stdout);
        else
            pg->stdout_failed = true;
        tl_buf_dispose(&line);
    }
    if (pg->quiet)
        return;
    tl_buf b;
    tl_buf_init(&b, 0);
    if (pg->tty) {
        /* a terminal: the redrawn status line, with the jobs that did not pass above it */
        if (!job->result.success) {
            tl_buf_puts(&b, "\r\033[Ktaploop: ");
            job_line(pg, job, &b);
            tl_buf_putc(&b, '\n');
        }
        if (b.data)
            write_all(STDERR_FILENO, b.data, b.len);
        redraw(pg);
    } else {
        tl_buf_puts(&b, "taploop: ");
        job_line(pg, job, &b);
        tl_buf_puts(&b, " [");
        put_counts(pg, &b);
        tl_buf_puts(&b, "]\n");
        if (b.data)
            write_all(STDERR_FILENO, b.data, b.len);
    }
    tl_buf_dispose(&b);
}

/* ---- the command ---------------------------------------------------------------------------- */

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* devices: all -> the ready devices of the driver, sorted. *out (owned strings) and *n. */
static int resolve_all(const char *driver, bool wait, char ***out, size_t *n, tl_error *err)
{
    *out = NULL;
    *n = 0;
    tl_device_list list = {0};
    tl_driver_config dcfg = {.cancel = tl_signals_flag(), .wait = wait};
    int rc = tl_driver_list_devices(driver, &dcfg, &list, err);
    if (rc == TL_OK) {
        char **ids = calloc(list.n ? list.n : 1, sizeof(*ids));
        if (!ids)
            rc = tl_error_set(err, TL_ENOMEM, "out of memory");
        for (size_t i = 0; rc == TL_OK && i < list.n; i++) {
            if (!list.items[i].ready)
                continue;
            if (!(ids[*n] = tl_strdup(list.items[i].id)))
                rc = tl_error_set(err, TL_ENOMEM, "out of memory");
            else
                (*n)++;
        }
        if (rc == TL_OK && *n == 0)
            rc = tl_error_set(err, TL_ENOTREADY,
                              "devices: all: the %s driver lists %zu device%s and none is ready "
                              "(see `taploop devices --driver %s`)",
                              driver, list.n, list.n == 1 ? "" : "s", driver);
        if (rc == TL_OK)
            qsort(ids, *n, sizeof(*ids), cmp_ids);
        *out = ids;
    }
    tl_device_list_dispose(&list);
    return rc;
}

/* The summary: a JSON line ({"summary":{...}}) or a sentence, on stdout. */
static void print_summary(const struct tl_cli_common *co, const struct batch_opts *o,
                          const tl_batch_config *cfg, const tl_batch_job *jobs, size_t njobs,
                          long long duration_ms, int code)
{
    size_t passed = 0, failed = 0, errors = 0, intr = 0;
    for (size_t i = 0; i < njobs; i++) {
        const tl_run_result *r = &jobs[i].result;
        const char *st = r->status ? r->status : "error";
        if (r->success)
            passed++;
        else if (strcmp(st, "error") == 0)
            errors++;
        else if (strcmp(st, "interrupted") == 0)
            intr++;
        else
            failed++;
    }
    tl_buf b;
    tl_buf_init(&b, 0);
    if (co->json) {
        tl_buf_printf(&b,
                      "{\"summary\":{\"jobs\":%zu,\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,"
                      "\"interrupted\":%zu,\"devices\":%zu,\"goals\":%zu,\"driver\":",
                      njobs, passed, failed, errors, intr, cfg->n_devices, cfg->n_goals);
        tl_json_cstr(&b, cfg->driver);
        tl_buf_puts(&b, ",\"shard\":");
        tl_json_cstr(&b, o->shard);
        tl_buf_puts(&b, ",\"out\":");
        tl_json_cstr(&b, cfg->out_root);
        tl_buf_printf(&b, ",\"duration_ms\":%lld,\"exit_code\":%d}}\n", duration_ms, code);
    } else {
        tl_buf_printf(&b, "batch: %zu job%s on %zu device%s: %zu passed, %zu failed, %zu error%s",
                      njobs, njobs == 1 ? "" : "s", cfg->n_devices, cfg->n_devices == 1 ? "" : "s",
                      passed, failed, errors, errors == 1 ? "" : "s");
        if (intr)
            tl_buf_printf(&b, ", %zu interrupted", intr);
        tl_buf_printf(&b, " (%.1f s)\n", (double)duration_ms / 1000.0);
        if (cfg->out_root && njobs)
            tl_buf_printf(&b, "trajectories: %s/<device>/<NN-goal>/\n", cfg->out_root);
    }
    tl_error err;
    if (tl_cli_print(&b, TL_OK, &err) != TL_OK)
        tl_cli_fail(&err);
    fflush(stdout);
    tl_buf_dispose(&b);
}

static int write_report(const char *path, const tl_batch_config *cfg, const tl_batch_job *jobs,
                        size_t njobs, const char *timestamp, tl_error *err)
{
    tl_junit_report rep;
    int rc = tl_junit_init(&rep, "taploop batch");
    for (size_t i = 0; rc == TL_OK && i < njobs; i++) {
        const tl_batch_job *j = &jobs[i];
        const tl_run_result *r = &j->result;
        rc = tl_batch_junit_add(&rep, cfg->devices[j->device], timestamp, j->goal + 1,
                                cfg->goals[j->goal].goal, r->success, r->status, r->message,
                                r->duration_ms, r->trajectory);
    }
    if (rc != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "out of memory writing the JUnit report");
    else
        rc = tl_junit_save(&rep, path, err);
    tl_junit_dispose(&rep);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        TL_RUNOPTS_OPTIONS,
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"report", required_argument, NULL, OPT_REPORT},
        {"llm-parallel", required_argument, NULL, OPT_LLM_PARALLEL},
        TL_CLI_COMMON_OPTIONS,
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    const char *env_driver = co.driver, *env_device = co.device;
    struct batch_opts o;
    memset(&o, 0, sizeof(o));
    tl_runopts_init(&o.run, &tl_cmd_batch);
    int first;
    int ex = tl_cli_parse(&tl_cmd_batch, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_batch, "which batch file? e.g. taploop batch batch.yaml");
    if (first + 1 < argc)
        return tl_cli_usage(&tl_cmd_batch, "one batch file at a time, not '%s' too",
                            argv[first + 1]);
    if (co.device != env_device)
        return tl_cli_usage(&tl_cmd_batch, "--device: a batch takes its devices from the file "
                                           "(devices: [...] or devices: all)");
    ex = tl_runopts_check(&o.run);
    if (ex >= 0)
        return ex;
    bool driver_flag = co.driver != env_driver;

    tl_error err;
    tl_error_clear(&err);
    tl_batch_file file;
    int rc = tl_batch_file_load(&file, argv[first], &err);
    if (rc) {
        tl_batch_file_dispose(&file);
        return tl_cli_fail(&err);
    }
    if (!driver_flag && file.driver)
        co.driver = file.driver;
    rc = tl_cli_common_finish(&co, &err);
    tl_signals_install(); /* the device listing and the setup are interruptible too (exit 130) */
    /* the loop's step lines only with -v: a batch's progress is one line per job */
    tl_log_set_level(co.verbosity >= TL_LOG_DEBUG ? TL_LOG_INFO : TL_LOG_QUIET);

    char **all = NULL;
    size_t n_all = 0;
    const char **devices = NULL;
    size_t n_devices = 0;
    tl_batch_job *jobs = NULL;
    tl_http_throttle *throttle = NULL;
    tl_runenv env;
    memset(&env, 0, sizeof(env));
    int code = TL_EXIT_USAGE;
    char out_root[512] = "";
    if (rc == TL_OK)
        rc = tl_http_global_init(&err);
    if (rc == TL_OK)
        rc = tl_runenv_init(&env, &o.run, tl_signals_flag(), &err);
    if (rc == TL_OK && file.all_devices)
        rc = resolve_all(co.driver, co.wait, &all, &n_all, &err);
    if (rc) {
        code = tl_cli_fail(&err);
        goto done;
    }
    char *const *list = file.all_devices ? all : file.devices;
    size_t n_list = file.all_devices ? n_all : file.n_devices;
    devices = calloc(n_list ? n_list : 1, sizeof(*devices));
    if (!devices) {
        code = tl_cli_fail(&(tl_error){.code = TL_ENOMEM, .msg = "out of memory"});
        goto done;
    }
    for (size_t i = 0; i < n_list; i++)
        if (!o.shard || tl_batch_in_shard(i, o.shard_index, o.shard_count))
            devices[n_devices++] = list[i];

    if (!o.run.no_trace) {
        if (o.run.out) {
            snprintf(out_root, sizeof(out_root), "%s", o.run.out);
        } else {
            char stamp[32];
            tl_utc_stamp(stamp, sizeof(stamp), false);
            if (o.shard)
                snprintf(out_root, sizeof(out_root), "taploop-runs/batch-%s-shard-%ld-of-%ld",
                         stamp, o.shard_index, o.shard_count);
            else
                snprintf(out_root, sizeof(out_root), "taploop-runs/batch-%s", stamp);
        }
    }
    throttle = tl_http_throttle_new((int)o.llm_parallel, &err);
    size_t njobs = n_devices * file.n_goals;
    jobs = calloc(njobs ? njobs : 1, sizeof(*jobs));
    if (!throttle || !jobs) {
        code = tl_cli_fail(&(tl_error){.code = TL_ENOMEM, .msg = "out of memory"});
        goto done;
    }
    long parallel = o.parallel ? o.parallel : file.parallel ? file.parallel : DEFAULT_PARALLEL;
    tl_batch_config cfg = {
        .driver = co.driver,
        .devices = devices,
        .n_devices = n_devices,
        .goals = file.goals,
        .n_goals = file.n_goals,
        .max_steps = o.run.max_steps_set ? o.run.max_steps
                     : file.max_steps    ? file.max_steps
                                         : TL_RUNOPTS_DEFAULT_MAX_STEPS,
        .timeout_s = o.run.timeout_set ? o.run.timeout_s
                     : file.timeout_s  ? file.timeout_s
                                       : TL_RUNOPTS_DEFAULT_TIMEOUT_S,
        .override_steps = o.run.max_steps_set,
        .override_timeout = o.run.timeout_set,
        .parallel = (int)parallel,
        .env = &env,
        .out_root = o.run.no_trace ? NULL : out_root,
        .record_dir = o.run.record,
        .replay_dir = o.run.replay,
        .throttle = throttle,
        .cancel = tl_signals_flag(),
        .wait = co.wait,
    };
    struct progress pg = {
        .co = &co,
        .cfg = &cfg,
        .tty = isatty(STDERR_FILENO) == 1,
        .quiet = co.verbosity == TL_LOG_QUIET,
        .total = njobs,
        .t0 = tl_now_ms(),
    };
    cfg.on_event = on_event;
    cfg.payload = &pg;
    if (co.verbosity >= TL_LOG_INFO) {
        char msg[700];
        snprintf(msg, sizeof(msg),
                 "taploop: batch: %zu goal%s on %zu device%s%s%s (%s, %ld at a time, model %s%s)"
                 "\n",
                 file.n_goals, file.n_goals == 1 ? "" : "s", n_devices, n_devices == 1 ? "" : "s",
                 o.shard ? ", shard " : "", o.shard ? o.shard : "", co.driver,
                 parallel < (long)n_devices ? parallel : (long)(n_devices ? n_devices : 1),
                 env.base.model,
                 o.run.replay   ? ", replaying"
                 : o.run.record ? ", recording"
                                : "");
        write_all(STDERR_FILENO, msg, strlen(msg));
    }
    char timestamp[32];
    tl_utc_stamp(timestamp, sizeof(timestamp), true);
    tl_signals_farewell("\ntaploop: exiting at once: running jobs are cut off\n");
    rc = tl_batch_run(&cfg, jobs, &err);
    if (pg.status_shown)
        write_all(STDERR_FILENO, "\n", 1);
    if (rc) {
        code = tl_cli_fail(&err);
        goto done;
    }
    const tl_run_result **results = calloc(njobs ? njobs : 1, sizeof(*results));
    if (!results) {
        code = tl_cli_fail(&(tl_error){.code = TL_ENOMEM, .msg = "out of memory"});
        goto done;
    }
    for (size_t i = 0; i < njobs; i++)
        results[i] = &jobs[i].result;
    code = tl_batch_exit_code(results, njobs);
    free(results);
    if (o.report && write_report(o.report, &cfg, jobs, njobs, timestamp, &err) != TL_OK) {
        tl_log_error("%s", err.msg);
        if (code != TL_EXIT_INTR)
            code = TL_EXIT_USAGE;
    }
    print_summary(&co, &o, &cfg, jobs, njobs, tl_now_ms() - pg.t0, code);
    if (pg.stdout_failed && code == TL_EXIT_OK)
        code = TL_EXIT_USAGE;
    if (jobs)
        for (size_t i = 0; i < njobs; i++)
            tl_run_result_dispose(&jobs[i].result);
done:
    free(jobs);
    tl_http_throttle_free(throttle);
    free((void *)devices);
    for (size_t i = 0; i < n_all; i++)
        free(all[i]);
    free(all);
    tl_runenv_dispose(&env);
    tl_batch_file_dispose(&file);
    return code;
}

const struct tl_command tl_cmd_batch = {
    .name = "batch",
    .summary = "run goals across many devices (a YAML or JSON batch file)",
    .help =
        "usage: taploop batch FILE [options]\n"
        "\n"
        "Run every goal of a batch file on every device it names, several devices at a time,\n"
        "goals in order on each device. One job's failure or error never stops the others.\n"
        "\n"
        "  driver: mobilerun              # default for every job (--driver overrides)\n"
        "  devices: [dev-1, dev-2]        # or: all (every ready device of the driver)\n"
        "  parallel: 16                   # devices driven at once (--parallel overrides)\n"
        "  max_steps: 30                  # step budget per goal (--max-steps overrides)\n"
        "  timeout: 600                   # seconds per goal (--timeout overrides)\n"
        "  goals:\n"
        "    - Open Settings and turn on Dark theme\n"
        "    - goal: Open Contacts and add Tom\n"
        "      max_steps: 15              # this goal's own budget (timeout too)\n"
        "\n"
        "  --parallel N         devices at once (default: the file's parallel, else 8)\n"
        "  --max-steps N        step budget of every goal (beats the file's values)\n"
        "  --timeout SEC        wall-clock budget of every goal (beats the file's values)\n"
        "  --shard I/N          run only the devices whose position (0-based, in the file's\n"
        "                       order; `all` is sorted by id) modulo N is I\n"
        "  --out DIR            trajectories under DIR/<device>/<NN-goal-slug>/ (default\n"
        "                       taploop-runs/batch-<UTC time>[-shard-I-of-N])\n"
        "  --no-trace           write no trajectories\n"
        "  --json               one JSON line per job on stdout ({\"device\",\"goal\",\n"
        "                       \"goal_index\", and the fields of `run --json`}), then\n"
        "                       {\"summary\":{...}}\n"
        "  --report FILE        write a JUnit XML report: a testsuite per device, a testcase\n"
        "                       per goal\n"
        "  --llm-parallel N     at most N LLM requests in flight across all jobs (default: no\n"
        "                       cap); whatever N, a 429 answer pauses every job until its\n"
        "                       Retry-After has passed\n"
        "  --record DIR         record each job's LLM exchanges to\n"
        "                       DIR/<device>/<NN-goal-slug>.cassette\n"
        "  --replay DIR         answer each job's LLM requests from those "
        "cassettes\n" TL_RUNOPTS_HELP
        "  --driver NAME        sim, mobilerun, armcloud, adb (beats the file's driver)\n"
        "  --wait               wait for each device to become ready instead of failing\n"
        "  -q, -v               no progress / also each step of every job\n"
        "\n"
        "Progress: a line per finished job on stderr with the counts done, failed and running;\n"
        "on a terminal, one redrawn status line (and the jobs that did not pass).\n"
        "\n"
        "Exit codes: 0 every goal achieved, 1 some goal not achieved, 2 usage or configuration\n"
        "error (the file's problems name the line, column and key), 3 device, network or\n"
        "cassette error in some job, 130 interrupted (SIGINT or SIGTERM: running jobs stop and\n"
        "keep their trajectories; a second signal exits at once).\n",
    .run = run,
    .flags = TL_CMD_WAIT,
};
