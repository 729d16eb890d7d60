/*
 * cmd_run.c - `taploop run GOAL`: run one natural-language goal on one device (SPEC §1-§2).
 *
 * Progress goes to stderr, the result to stdout (one JSON object with --json). SIGINT and
 * SIGTERM set a flag the loop, the HTTP layer and the driver check, so a run stops within a
 * moment, flushes its trajectory and reports `interrupted` (exit 130); a second signal exits at
 * once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/loop.h"
#include "agent/runopts.h"
#include "agent/report.h"
#include "agent/signals.h"
#include "agent/trace.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"

/* What a second signal says before leaving, when a temporary device may be left running (the
 * driver terminates it when the run winds down; leaving at once skips that). NULL id: a device
 * may exist, its id unknown yet. */
static void set_leftover(const char *id)
{
    char msg[512];
    if (id)
        snprintf(msg, sizeof(msg),
                 "taploop: exiting at once: the temporary device %s is NOT terminated: delete "
                 "it at https://cloud.mobilerun.ai\n",
                 id);
    else
        snprintf(msg, sizeof(msg),
                 "taploop: exiting at once: a temporary device may have been created and left "
                 "running: check `taploop devices --driver mobilerun`\n");
    tl_signals_farewell(msg);
}

static bool handle(int c, const char *arg, void *payload)
{
    return tl_runopts_opt(payload, c, arg) > 0;
}

/* taploop-runs/<UTC time>-<device>, the device made safe for a file name. */
static void default_out_dir(const char *device, char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    char safe[64];
    size_t n = 0;
    for (const char *p = device && device[0] ? device : "device"; *p && n < sizeof(safe) - 1; p++)
        safe[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
                        ? *p
                        : '-';
    safe[n] = '\0';
    snprintf(out, size, "taploop-runs/%s-%s", stamp, safe);
    /* two runs in the same second on the same device: add a counter */
    for (int i = 2; access(out, F_OK) == 0 && i < 1000; i++)
        snprintf(out, size, "taploop-runs/%s-%s-%d", stamp, safe, i);
}

/* Print the result: the JSON object with --json, else one line; the trajectory on stderr. */
static void print_result(const struct tl_cli_common *co, const tl_run_result *res,
                         const char *device)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    if (co->json) {
        tl_run_result_json(res, device, co->driver, &out);
        tl_buf_putc(&out, '\n');
    } else {
        tl_buf_printf(&out, "%s: %s\n", res->status ? res->status : "error",
                      res->message ? res->message : "");
        if (res->output)
            tl_buf_printf(&out, "output: %s\n", res->output);
    }
    tl_error err;
    tl_cli_print(&out, TL_OK, &err);
    fflush(stdout);
    /* an error is also said on stderr, where a person looks, whatever --json prints */
    if (co->json && res->status && strcmp(res->status, "error") == 0)
        tl_log_error("%s", res->message ? res->message : "error");
    tl_buf_dispose(&out);
    if (res->trajectory)
        tl_log(TL_LOG_INFO, "trajectory: %s (open %s/report.html)", res->trajectory,
               res->trajectory);
}

/* A run that could not start: report it like a run that ended in error. */
/* The run could not start (a bad configuration, a device that cannot be opened). The message
 * goes to stderr once; with --json the result object goes to stdout. When the device could not be
 * opened and --out names the trajectory directory, it still gets result.json, an empty
 * trajectory.jsonl and report.html, so that whoever reads DIR finds why nothing ran (`cfg` NULL
 * for a configuration error: nothing is written). */
static int fail_before_run(const struct tl_cli_common *co, const tl_error *err,
                           const tl_run_config *cfg, const char *out)
{
    tl_run_result res = {.code = err->code, .status = "error"};
    res.message = tl_strdup(err->msg);
    char started[32];
    tl_utc_stamp(started, sizeof(started), true);
    tl_trace *trace = NULL;
    tl_error terr;
    tl_error_clear(&terr);
    if (cfg && out && tl_trace_open(&trace, out, &terr) == TL_OK) {
        tl_buf json;
        tl_buf_init(&json, 0);
        res.trajectory = tl_strdup(out);
        tl_run_result_json(&res, co->device ? co->device : "", co->driver, &json);
        tl_report_run run = {
            .goal = cfg->goal,
            .status = res.status,
            .message = res.message,
            .driver = co->driver,
            .device = co->device ? co->device : "",
            .model = cfg->model,
            .started = started,
        };
        if (tl_trace_finish(trace, json.data ? json.data : "{}", &run, &terr) != TL_OK)
            tl_log_error("%s", terr.msg);
        tl_buf_dispose(&json);
        tl_trace_close(trace);
    } else if (cfg && out) {
        tl_log_error("%s", terr.msg);
    }
    if (co->json) /* it also says the error on stderr */
        print_result(co, &res, co->device);
    else
        fprintf(stderr, "taploop: %s\n", err->msg);
    if (!co->json && res.trajectory)
        tl_log(TL_LOG_INFO, "trajectory: %s (open %s/report.html)", res.trajectory, res.trajectory);
    int code = tl_run_exit_code(&res);
    tl_run_result_dispose(&res);
    return code;
}

static char *join_args(int argc, char **argv)
{
    tl_buf b;
    tl_buf_init(&b, 1 << 20);
    for (int i = 0; i < argc; i++) {
        if (i)
            tl_buf_putc(&b, ' ');
        tl_buf_puts(&b, argv[i]);
    }
    char *s = tl_buf_detach(&b, NULL);
    tl_buf_dispose(&b);
    return s;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        TL_RUNOPTS_OPTIONS,
        TL_CLI_COMMON_OPTIONS,
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    tl_runopts o;
    tl_runopts_init(&o, &tl_cmd_run);
    int first;
    int ex = tl_cli_parse(&tl_cmd_run, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_run, "what is the goal? e.g. taploop run \"Turn on Dark "
                                         "theme\"");
    ex = tl_runopts_check(&o);
    if (ex >= 0)
        return ex;

    tl_error err;
    tl_error_clear(&err);
    int rc = tl_cli_common_finish(&co, &err);
    if (rc)
        return tl_cli_fail(&err);
    /* from here on, Ctrl-C is an orderly interruption (exit 130), whatever is being set up */
    tl_signals_install();
    char *goal = join_args(argc - first, argv + first);
    tl_runenv env;
    tl_driver *drv = NULL;
    tl_llm *llm = NULL;
    tl_cassette *cassette = NULL;
    tl_run_result res = {0};
    int code;

    if (!goal) {
        memset(&env, 0, sizeof(env));
        rc = tl_error_set(&err, TL_ENOMEM, "out of memory");
    } else {
        rc = tl_runenv_init(&env, &o, tl_signals_flag(), &err);
    }
    tl_run_config cfg = env.base;
    cfg.goal = goal;
    if (rc == TL_OK && (o.replay || o.record))
        rc = tl_runenv_cassette(&env, &cassette, o.record ? o.record : o.replay, o.record != NULL,
                                goal, &err);
    if (rc == TL_OK)
        rc = tl_http_global_init(&err);
    if (rc) {
        code = fail_before_run(&co, &err, NULL, NULL);
        goto done;
    }

    tl_driver_config dcfg = {
        .fresh = true, .cancel = tl_signals_flag(), .wait_timeout_ms = (int)(o.timeout_s * 1000)};
    tl_cli_driver_config(&co, &dcfg);
    if (co.provision)
        set_leftover(NULL);
    rc = tl_driver_open(&drv, co.driver, &dcfg, &err);
    if (rc == TL_OK && co.provision)
        set_leftover(tl_driver_device(drv));
    else
        tl_signals_farewell(NULL);
    if (rc == TL_OK) {
        llm = tl_runenv_llm(&env, tl_signals_flag(), NULL, &err);
        if (!llm)
            rc = err.code ? err.code : TL_ENOMEM;
        else
            tl_llm_set_cassette(llm, cassette);
    }
    if (rc) {
        if (rc == TL_ECANCELED)
            err.code = TL_ECANCELED;
        code = fail_before_run(&co, &err, &cfg, o.no_trace ? NULL : o.out);
        goto done;
    }
    char out_dir[512];
    if (!o.no_trace) {
        if (o.out)
            snprintf(out_dir, sizeof(out_dir), "%s", o.out);
        else
            default_out_dir(tl_driver_device(drv), out_dir, sizeof(out_dir));
        cfg.out_dir = out_dir;
    }
    tl_log(TL_LOG_INFO, "goal: %s (%s on %s, model %s%s)", goal, co.driver, tl_driver_device(drv),
           cfg.model,
           o.replay   ? ", replaying"
           : o.record ? ", recording"
                      : "");
    tl_run(drv, llm, &cfg, &res);
    print_result(&co, &res, tl_driver_device(drv));
    code = tl_run_exit_code(&res);
done:
    tl_run_result_dispose(&res);
    tl_llm_free(llm);
    /* a recording is put at --record FILE here, also after a failure or an interruption */
    if (tl_cassette_finish(cassette, &err) != TL_OK) {
        int fin = tl_cli_fail(&err);
        if (code == TL_EXIT_OK)
            code = fin;
    }
    tl_driver_close(drv); /* on every path: a provisioned device is terminated here */
    tl_signals_farewell(NULL);
    tl_runenv_dispose(&env);
    free(goal);
    return code;
}

const struct tl_command tl_cmd_run = {
    .name = "run",
    .summary = "run one natural-language goal on one device",
    .help =
        "usage: taploop run GOAL [options]\n"
        "\n"
        "Run the observe -> plan -> act loop on a device until the model says the goal is done,\n"
        "or the step or time budget runs out. Progress goes to stderr; the result to stdout.\n"
        "\n"
        "  --llm-url URL        OpenAI-compatible base URL ($OPENAI_BASE_URL; default\n"
        "                       " TL_RUNOPTS_DEFAULT_LLM_URL
        "); requests go to URL/chat/completions;\n"
        "                       $OPENAI_API_KEY is sent as the bearer key when set\n"
        "  --model NAME         model name ($TAPLOOP_MODEL; default " TL_RUNOPTS_DEFAULT_MODEL ")\n"
        "  --max-steps N        step budget (default 30)\n"
        "  --timeout SEC        wall-clock budget (default 600)\n"
        "  --output-schema FILE JSON Schema the final output must satisfy (structured output)\n"
        "  --out DIR            trajectory directory (default taploop-runs/<UTC time>-<device>)\n"
        "  --no-trace           write no trajectory\n"
        "  --record FILE        record the LLM exchanges to a cassette\n"
        "  --replay FILE        answer the LLM requests from a cassette (no network)\n"
        "  --prompts DIR        use DIR/system.txt and DIR/step.txt as prompt templates\n"
        "  --vision             also send each step's screenshot to the model, scaled down,\n"
        "                       with each listed element's box and [N] drawn on it; the\n"
        "                       model then works in the image's pixels\n"
        "  --no-marks           (with --vision) send the screenshot without the boxes\n"
        "  --image-max N        (with --vision) longest side of the image (default 1024)\n"
        "  --image-format F     (with --vision) jpeg (default) or png\n"
        "  --image-quality Q    (with --vision) JPEG quality 1..100 (default 75)\n"
        "  --settle-max MS      after each action, poll the screen until it settles, at most\n"
        "                       MS (default 3000; 0: do not wait, observe once)\n"
        "  --settle-window MS   settled means unchanged for MS (default 200; 0: the same in\n"
        "                       two observations in a row)\n" TL_RUNOPTS_HELP_SAFETY
        "  --json               print the result as one JSON object\n"
        "  --driver, --device   as for the other commands (sim starts from its initial state)\n"
        "  --wait               wait for the device to become ready instead of failing\n"
        "                       (bounded by --timeout)\n"
        "  --provision TYPE     (mobilerun) create a temporary cloud device for this run and\n"
        "                       terminate it when the run ends, however it ends; TYPE is\n"
        "                       dedicated_emulated_device, dedicated_physical_device or\n"
        "                       dedicated_premium_device\n"
        "  --apps PKG,...       with --provision: apps to install on the new device\n"
        "  -q, -v               quieter / more verbose (-v shows the model's reasoning)\n"
        "\n"
        "Exit codes: 0 goal achieved, 1 not achieved (failed, max_steps, timeout), 2 usage or\n"
        "configuration error, 3 device, network or cassette error, 130 interrupted (SIGINT or\n"
        "SIGTERM; a second one exits at once).\n",
    .run = run,
    .flags = TL_CMD_WAIT | TL_CMD_PROVISION,
};
