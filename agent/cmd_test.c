/*
 * cmd_test.c - `taploop test SUITE...`: run regression suites (SPEC §7), a line per case and a
 * summary on stdout (or `--json` lines), a JUnit report with `--report FILE`.
 *
 * Every file is loaded first, so a bad file stops the command before any device is touched
 * (exit 2, naming the file, line, column and key path). Cases then run one after the other,
 * each attempt on a device opened fresh, with per-case trajectories under
 * OUT/<suite>/<NN-case-slug>/ and per-case cassettes under DIR/<suite>/<NN-case-slug>.cassette.
 * SIGINT/SIGTERM stop the running case at its next check; the cases not started are reported
 * as skipped and the command exits 130.
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
#include "agent/suite.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"

#define MAX_ONLY 32

enum {
    OPT_REPORT = TL_RUNOPT__END,
    OPT_ONLY,
};

struct test_opts {
    tl_runopts run;
    const char *report;
    const char *only[MAX_ONLY];
    size_t n_only;
};

static bool handle(int c, const char *arg, void *payload)
{
    struct test_opts *o = payload;
    int r = tl_runopts_opt(&o->run, c, arg);
    if (r)
        return r > 0;
    switch (c) {
    case OPT_REPORT: o->report = arg; return true;
    case OPT_ONLY:
        if (o->n_only == MAX_ONLY) {
            tl_cli_usage(&tl_cmd_test, "at most %d --only patterns", MAX_ONLY);
            return false;
        }
        o->only[o->n_only++] = arg;
        return true;
    default: return false;
    }
}

static bool selected(tl_suite_filter **filters, size_t n, const char *name)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (tl_suite_filter_match(filters[i], name))
            return true;
    return false;
}

/* The human line of a case (and its failure's detail, indented). */
static void case_line(const tl_suite *s, const tl_suite_case *c, const tl_suite_result *r,
                      long retries, tl_buf *b)
{
    static const char *const tags[] = {"PASS ", "FAIL ", "ERROR", "SKIP "};
    tl_buf_printf(b, "%s %s / %s", r->flaky ? "FLAKY" : tags[r->status], s->name, c->name);
    if (r->status != TL_CASE_SKIPPED)
        tl_buf_printf(b, " (%.1f s)", (double)r->duration_ms / 1000.0);
    if (r->flaky)
        tl_buf_printf(b, ": passed on attempt %d of %ld; attempt 1: %s", r->attempts, retries + 1,
                      r->first_failure ? r->first_failure : "failed");
    else if (r->message)
        tl_buf_printf(b, ": %s", r->message);
    tl_buf_putc(b, '\n');
    if (r->status != TL_CASE_PASSED && r->detail) {
        for (const char *p = r->detail; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            tl_buf_puts(b, "      ");
            tl_buf_append(b, p, n);
            tl_buf_putc(b, '\n');
            p += n + (nl ? 1 : 0);
        }
    }
    if (r->status != TL_CASE_PASSED && r->status != TL_CASE_SKIPPED && r->trajectory)
        tl_buf_printf(b, "      trajectory: %s\n", r->trajectory);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        TL_RUNOPTS_OPTIONS,
        {"report", required_argument, NULL, OPT_REPORT},
        {"only", required_argument, NULL, OPT_ONLY},
        TL_CLI_COMMON_OPTIONS,
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    const char *env_driver = co.driver, *env_device = co.device;
    struct test_opts o;
    memset(&o, 0, sizeof(o));
    tl_runopts_init(&o.run, &tl_cmd_test);
    int first;
    int ex = tl_cli_parse(&tl_cmd_test, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_test, "which suite? e.g. taploop test suite.yaml");
    if (o.run.record && o.run.replay)
        return tl_cli_usage(&tl_cmd_test, "--record and --replay do not go together");
    ex = tl_runopts_check(&o.run);
    if (ex >= 0)
        return ex;
    bool driver_flag = co.driver != env_driver, device_flag = co.device != env_device;

    tl_error err;
    tl_error_clear(&err);
    size_t n_suites = (size_t)(argc - first);
    tl_suite *suites = calloc(n_suites, sizeof(*suites));
    tl_suite_filter *filters[MAX_ONLY] = {0};
    tl_suite_result *results = NULL;
    tl_llm *llm = NULL;
    tl_runenv env;
    memset(&env, 0, sizeof(env));
    tl_junit_report rep;
    memset(&rep, 0, sizeof(rep));
    int code = TL_EXIT_USAGE;
    int rc = suites ? TL_OK : tl_error_set(&err, TL_ENOMEM, "out of memory");
    size_t total = 0, goals = 0;
    for (size_t i = 0; rc == TL_OK && i < n_suites; i++) {
        rc = tl_suite_load(&suites[i], argv[first + (int)i], &err);
        for (size_t k = 0; rc == TL_OK && k < i; k++)
            if (strcmp(suites[k].name, suites[i].name) == 0)
                rc = tl_error_set(&err, TL_EPARSE,
                                  "%s: suite \"%s\" has the same name as %s: name one of them "
                                  "(name: ...) so that their reports and directories differ",
                                  suites[i].path, suites[i].name, suites[k].path);
        for (size_t k = 0; rc == TL_OK && k < suites[i].n_cases; k++)
            goals += suites[i].cases[k].goal != NULL;
        if (rc == TL_OK)
            total += suites[i].n_cases;
    }
    for (size_t i = 0; rc == TL_OK && i < o.n_only; i++)
        rc = tl_suite_filter_new(&filters[i], o.only[i], &err);
    if (rc == TL_OK)
        rc = tl_cli_common_finish(&co, &err);
    tl_signals_install(); /* the setup is interruptible too (exit 130) */
    tl_log_set_level(co.verbosity >= TL_LOG_DEBUG ? TL_LOG_INFO : TL_LOG_QUIET);
    if (rc == TL_OK)
        rc = tl_http_global_init(&err);
    if (rc == TL_OK)
        rc = tl_runenv_init(&env, &o.run, tl_signals_flag(), &err);
    if (rc == TL_OK && goals && !(llm = tl_runenv_llm(&env, tl_signals_flag(), NULL, &err)))
        rc = err.code ? err.code : TL_ENOMEM;
    if (rc == TL_OK)
        rc = tl_junit_init(&rep, "taploop test");
    results = calloc(total ? total : 1, sizeof(*results));
    if (rc == TL_OK && !results)
        rc = tl_error_set(&err, TL_ENOMEM, "out of memory");
    if (rc) {
        code = tl_cli_fail(&err);
        goto done;
    }

    char out_root[512] = "";
    if (!o.run.no_trace) {
        if (o.run.out) {
            snprintf(out_root, sizeof(out_root), "%s", o.run.out);
        } else {
            char stamp[32];
            tl_utc_stamp(stamp, sizeof(stamp), false);
            snprintf(out_root, sizeof(out_root), "taploop-runs/test-%s", stamp);
        }
    }
    char timestamp[32];
    tl_utc_stamp(timestamp, sizeof(timestamp), true);
    tl_signals_farewell("\ntaploop: exiting at once\n");

    long long t0 = tl_now_ms();
    size_t ran = 0, passed = 0, failed = 0, errors = 0, skipped = 0, flaky = 0;
    bool intr = false, usage = false, infra = false, fail = false, stdout_failed = false;
    size_t ri = 0;
    for (size_t si = 0; si < n_suites; si++) {
        const tl_suite *s = &suites[si];
        char sname[96];
        tl_batch_safe_name(sname, sizeof(sname), s->name);
        for (size_t ci = 0; ci < s->n_cases; ci++) {
            const tl_suite_case *c = &s->cases[ci];
            if (!selected(filters, o.n_only, c->name))
                continue;
            char slug[64], dir[1200] = "", cassette[1200] = "";
            tl_suite_case_slug(slug, sizeof(slug), s, ci);
            if (out_root[0])
                snprintf(dir, sizeof(dir), "%s/%s/%s", out_root, sname, slug);
            const char *cdir = o.run.record ? o.run.record : o.run.replay;
            tl_suite_result *r = &results[ri++];
            if (c->goal && cdir) {
                char sub[1100];
                snprintf(sub, sizeof(sub), "%s/%s", cdir, sname);
                snprintf(cassette, sizeof(cassette), "%s/%s.cassette", sub, slug);
                if (o.run.record && tl_mkdir_p(sub, &err) != TL_OK) {
                    code = tl_cli_fail(&err);
                    goto done;
                }
            }
            tl_suite_config cfg = {
                .driver = driver_flag || !s->driver ? co.driver : s->driver,
                .device = device_flag || !s->device ? co.device : s->device,
                .env = &env,
                .llm = llm,
                .max_steps = o.run.max_steps_set ? o.run.max_steps
                             : s->max_steps      ? s->max_steps
                                                 : TL_RUNOPTS_DEFAULT_MAX_STEPS,
                .override_steps = o.run.max_steps_set,
                .timeout_s = o.run.timeout_set ? o.run.timeout_s
                             : s->timeout_s    ? s->timeout_s
                                               : TL_RUNOPTS_DEFAULT_TIMEOUT_S,
                .override_timeout = o.run.timeout_set,
                .out_dir = dir[0] ? dir : NULL,
                .cassette = cassette[0] ? cassette : NULL,
                .record = o.run.record != NULL,
                .cancel = tl_signals_flag(),
            };
            if (co.verbosity >= TL_LOG_INFO && !co.json)
                fprintf(stderr, "taploop: test: %s / %s ...\n", s->name, c->name);
            if (tl_suite_run_case(&cfg, s, c, r) != TL_OK ||
                tl_suite_junit_add(&rep, s, c, r, timestamp) != TL_OK) {
                code = tl_cli_fail(&(tl_error){.code = TL_ENOMEM, .msg = "out of memory"});
                goto done;
            }
            ran++;
            passed += r->status == TL_CASE_PASSED;
            failed += r->status == TL_CASE_FAILED;
            errors += r->status == TL_CASE_ERROR;
            skipped += r->status == TL_CASE_SKIPPED;
            flaky += r->flaky;
            int x = tl_suite_exit_code(r);
            intr |= x == TL_EXIT_INTR;
            usage |= x == TL_EXIT_USAGE;
            infra |= x == TL_EXIT_INFRA;
            fail |= x == TL_EXIT_FAIL;
            tl_buf line;
            tl_buf_init(&line, 0);
            int brc = TL_OK;
            if (co.json) {
                brc = tl_suite_result_json(s, c, r, &line);
                brc |= tl_buf_putc(&line, '\n');
            } else {
                case_line(s, c, r, c->retries >= 0 ? c->retries : s->retries, &line);
            }
            if (brc != TL_OK || fwrite(line.data, 1, line.len, stdout) != line.len)
                stdout_failed = true;
            fflush(stdout);
            tl_buf_dispose(&line);
        }
    }
    code = intr    ? TL_EXIT_INTR
           : usage ? TL_EXIT_USAGE
           : infra ? TL_EXIT_INFRA
           : fail  ? TL_EXIT_FAIL
                   : TL_EXIT_OK;
    if (ran == 0) {
        tl_log_error("--only: no case matches in %zu suite%s (%zu case%s)", n_suites,
                     n_suites == 1 ? "" : "s", total, total == 1 ? "" : "s");
        code = TL_EXIT_USAGE;
    }
    if (o.report && tl_junit_save(&rep, o.report, &err) != TL_OK) {
        tl_log_error("%s", err.msg);
        if (code != TL_EXIT_INTR)
            code = TL_EXIT_USAGE;
    }
    long long ms = tl_now_ms() - t0;
    tl_buf b;
    tl_buf_init(&b, 0);
    if (co.json) {
        tl_buf_printf(&b,
                      "{\"summary\":{\"suites\":%zu,\"cases\":%zu,\"passed\":%zu,\"failed\":%zu,"
                      "\"errors\":%zu,\"skipped\":%zu,\"flaky\":%zu,\"not_selected\":%zu,"
                      "\"out\":",
                      n_suites, ran, passed, failed, errors, skipped, flaky, total - ran);
        tl_json_cstr(&b, out_root[0] ? out_root : NULL);
        tl_buf_printf(&b, ",\"duration_ms\":%lld,\"exit_code\":%d}}\n", ms, code);
    } else {
        tl_buf_printf(&b, "test: %zu case%s: %zu passed", ran, ran == 1 ? "" : "s", passed);
        if (flaky)
            tl_buf_printf(&b, " (%zu flaky)", flaky);
        tl_buf_printf(&b, ", %zu failed, %zu error%s, %zu skipped", failed, errors,
                      errors == 1 ? "" : "s", skipped);
        if (total > ran)
            tl_buf_printf(&b, ", %zu not selected", total - ran);
        tl_buf_printf(&b, " (%.1f s)\n", (double)ms / 1000.0);
        if (out_root[0] && ran)
            tl_buf_printf(&b, "trajectories: %s/<suite>/<NN-case>/\n", out_root);
    }
    if (tl_cli_print(&b, TL_OK, &err) != TL_OK)
        stdout_failed = true;
    fflush(stdout);
    tl_buf_dispose(&b);
    if (stdout_failed && code == TL_EXIT_OK)
        code = TL_EXIT_USAGE;
done:
    for (size_t i = 0; results && i < total; i++)
        tl_suite_result_dispose(&results[i]);
    free(results);
    tl_junit_dispose(&rep);
    tl_llm_free(llm);
    tl_runenv_dispose(&env);
    for (size_t i = 0; i < o.n_only; i++)
        tl_suite_filter_free(filters[i]);
    for (size_t i = 0; suites && i < n_suites; i++)
        tl_suite_dispose(&suites[i]);
    free(suites);
    return code;
}

const struct tl_command tl_cmd_test = {
    .name = "test",
    .summary = "run regression suites (YAML or JSON), JUnit report",
    .help =
        "usage: taploop test SUITE... [options]\n"
        "\n"
        "Run every case of each suite file on a fresh device, one after the other; print a\n"
        "line per case and a summary. A case is driven by a goal (the LLM) or by\n"
        "deterministic steps, and may end with expect checks on the final screen:\n"
        "\n"
        "  name: settings-smoke\n"
        "  driver: sim                    # --driver overrides\n"
        "  device: sim                    # --device overrides\n"
        "  retries: 0                     # default for every case\n"
        "  cases:\n"
        "    - name: dark theme by goal\n"
        "      launch: com.android.settings\n"
        "      goal: Turn on Dark theme\n"
        "      max_steps: 15\n"
        "      expect:\n"
        "        - checked: {text: Dark theme}\n"
        "    - name: dark theme by steps\n"
        "      retries: 2                 # a pass after a retry is reported as flaky\n"
        "      steps:\n"
        "        - launch: com.android.settings\n"
        "        - scroll: down\n"
        "        - tap: {text: Display}\n"
        "        - tap: {text: \"/^Dark (theme|mode)$/\"}\n"
        "        - wait_for: {text: Dark theme, checked: true, timeout_ms: 5000}\n"
        "        - assert_checked: {text: Dark theme}\n"
        "\n"
        "Steps: launch, tap, long_press, type {text, into, clear}, press, scroll, swipe,\n"
        "wait_for, assert_visible, assert_not_visible, assert_checked, assert_text {..., value}.\n"
        "Selectors: text, desc, id, class, package, checked, enabled, selected, focused,\n"
        "clickable, editable, scrollable; /regex/ or /regex/i is a PCRE2 regular expression.\n"
        "See docs/suites.md.\n"
        "\n"
        "  --only PATTERN       run only the cases whose name contains PATTERN (any case), or\n"
        "                       matches /regex/ (repeatable: any of them)\n"
        "  --report FILE        write a JUnit XML report (a testsuite per suite)\n"
        "  --json               a JSON line per case on stdout, then {\"summary\":{...}}\n"
        "  --out DIR            trajectories under DIR/<suite>/<NN-case>/ (default\n"
        "                       taploop-runs/test-<UTC time>)\n"
        "  --no-trace           write no trajectories\n"
        "  --record DIR         record each goal case's LLM exchanges to\n"
        "                       DIR/<suite>/<NN-case>.cassette\n"
        "  --replay DIR         answer them from those cassettes (a miss fails the case)\n"
        "  --max-steps N        step budget of every goal (beats the file's values)\n"
        "  --timeout SEC        wall-clock budget of every goal attempt\n" TL_RUNOPTS_HELP
        "  --driver NAME        sim, mobilerun, armcloud, adb (beats the suite's driver)\n"
        "  --device ID          the device (beats the suite's device)\n"
        "  -q, -v               quieter / also each case as it starts and the loop's steps\n"
        "\n"
        "Exit codes: 0 every case passed (or was skipped), 1 some case failed, 2 usage or\n"
        "configuration error (a bad suite file names the line, column and key), 3 device,\n"
        "network or cassette miss, 130 interrupted.\n",
    .run = run,
};
