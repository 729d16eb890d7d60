/*
 * cmd_report.c - `taploop report merge FILES...`: combine what the shards of a batch wrote
 * (their `--json` outputs: job lines and a summary line; their `--report` JUnit files) into
 * one summary on stdout (`--json`: every job line, then one merged summary line) and one
 * JUnit file (`--report FILE`).
 *
 * Each input is recognised by its content: a file whose first non-blank character is '<' is
 * JUnit XML (agent/junit.h), anything else JSON lines. The merged JUnit report is the union of
 * the JUnit inputs when there are any, else it is built from the job lines, the way
 * `batch --report` builds it. The exit code is the batch's over every shard: 130 if any was
 * interrupted, 2 if a shard had a configuration error, 3 for infrastructure errors (and for
 * shards missing from a set whose summaries say "I/N"), 1 if some goal was not achieved.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/batch.h"
#include "agent/cli.h"
#include "agent/junit.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"

#define INPUT_MAX  ((size_t)256 << 20)
#define SHARDS_MAX 100000

enum { OPT_REPORT = 600 };

struct merge_opts {
    const char *report;
};

static bool handle(int c, const char *arg, void *payload)
{
    struct merge_opts *o = payload;
    if (c == OPT_REPORT) {
        o->report = arg;
        return true;
    }
    return false;
}

/* What the inputs hold. */
struct merged {
    cJSON *jobs; /* owned: an array of the job line objects, in input order */
    size_t summaries;
    long long duration_ms;
    int exit_code; /* the worst (see exit_rank) of the summaries' */
    long shard_count;
    unsigned char *shard_seen; /* owned, shard_count entries */
    bool shards_mixed;         /* summaries disagree on N */
    tl_junit_report junit;
    size_t junit_files;
};

/* 130 > 2 > 3 > 1 > 0: the order in which a batch's exit code is decided. */
static int exit_rank(int code)
{
    switch (code) {
    case TL_EXIT_INTR: return 4;
    case TL_EXIT_USAGE: return 3;
    case TL_EXIT_INFRA: return 2;
    case TL_EXIT_FAIL: return 1;
    default: return 0;
    }
}

static void worse(int *code, int other)
{
    if (exit_rank(other) > exit_rank(*code))
        *code = other;
}

static int take_summary(struct merged *m, const cJSON *s, const char *file, size_t line,
                        tl_error *err)
{
    if (!cJSON_IsObject(s))
        return tl_error_set(err, TL_EPARSE, "%s:%zu: \"summary\" is not an object", file, line);
    m->summaries++;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, "duration_ms");
    if (cJSON_IsNumber(d) && d->valuedouble > (double)m->duration_ms && d->valuedouble < 1e15)
        m->duration_ms = (long long)d->valuedouble;
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, "exit_code");
    if (cJSON_IsNumber(x))
        worse(&m->exit_code, (int)x->valuedouble);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(s, "shard");
    long i, n;
    if (cJSON_IsString(sh) && tl_batch_shard_parse(sh->valuestring, &i, &n)) {
        if (m->shard_count == 0 && n <= SHARDS_MAX) {
            m->shard_seen = calloc((size_t)n, 1);
            if (!m->shard_seen)
                return tl_error_set(err, TL_ENOMEM, "out of memory");
            m->shard_count = n;
        }
        if (n != m->shard_count)
            m->shards_mixed = true;
        else
            m->shard_seen[i] = 1;
    }
    return TL_OK;
}

static int read_lines(struct merged *m, const char *file, const char *text, size_t len,
                      tl_error *err)
{
    size_t line = 0;
    for (size_t at = 0; at < len;) {
        const char *p = text + at;
        const char *nl = memchr(p, '\n', len - at);
        size_t n = nl ? (size_t)(nl - p) : len - at;
        at += n + 1;
        line++;
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
            k++;
        if (k == n)
            continue;
        cJSON *obj = cJSON_ParseWithLength(p, n);
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            return tl_error_set(err, TL_EPARSE,
                                "%s:%zu: not a JSON object (expected the --json output of "
                                "`taploop batch` or a JUnit XML file)",
                                file, line);
        }
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "summary");
        if (s) {
            int rc = take_summary(m, s, file, line, err);
            cJSON_Delete(obj);
            if (rc)
                return rc;
            continue;
        }
        const cJSON *dev = cJSON_GetObjectItemCaseSensitive(obj, "device");
        const cJSON *goal = cJSON_GetObjectItemCaseSensitive(obj, "goal");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
        if (!cJSON_IsString(dev) || !cJSON_IsString(goal) || !cJSON_IsString(st)) {
            cJSON_Delete(obj);
            return tl_error_set(err, TL_EPARSE,
                                "%s:%zu: a job line needs \"device\", \"goal\" and \"status\" "
                                "strings",
                                file, line);
        }
        cJSON_AddItemToArray(m->jobs, obj);
    }
    return TL_OK;
}

static int read_input(struct merged *m, const char *path, tl_error *err)
{
    tl_buf text;
    tl_buf_init(&text, INPUT_MAX);
    int rc = tl_file_read(&text, path, INPUT_MAX, err);
    if (rc == TL_OK) {
        const char *p = text.data ? text.data : "";
        size_t k = strspn(p, " \t\r\n");
        if (k < text.len && p[k] == '<') {
            rc = tl_junit_parse(&m->junit, p, text.len, path, err);
            m->junit_files++;
        } else {
            rc = read_lines(m, path, p, text.len, err);
        }
    }
    tl_buf_dispose(&text);
    return rc;
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"report", required_argument, NULL, OPT_REPORT},
        {"json", no_argument, NULL, TL_OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    struct merge_opts o = {0};
    int first;
    int ex = tl_cli_parse(&tl_cmd_report, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first >= argc)
        return tl_cli_usage(&tl_cmd_report,
                            "which files? e.g. taploop report merge shard-*.jsonl --report "
                            "junit.xml");
    tl_log_set_level(co.verbosity);
    struct merged m;
    memset(&m, 0, sizeof(m));
    m.jobs = cJSON_CreateArray();
    tl_error err;
    tl_error_clear(&err);
    int rc = m.jobs ? tl_junit_init(&m.junit, "taploop batch") : TL_ENOMEM;
    if (rc)
        rc = tl_error_set(&err, TL_ENOMEM, "out of memory");
    for (int i = first; rc == TL_OK && i < argc; i++)
        rc = read_input(&m, argv[i], &err);
    tl_buf out;
    tl_buf_init(&out, 0);
    int code = TL_EXIT_OK;
    if (rc) {
        code = tl_cli_fail(&err);
        goto done;
    }

    /* counts: from the job lines, else from the JUnit inputs */
    size_t jobs = 0, passed = 0, failed = 0, errors = 0, intr = 0, devices = 0;
    const cJSON *job;
    cJSON_ArrayForEach(job, m.jobs)
    {
        jobs++;
        const char *st = str_of(job, "status");
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(job, "success");
        if (cJSON_IsTrue(ok))
            passed++;
        else if (strcmp(st, "error") == 0)
            errors++;
        else if (strcmp(st, "interrupted") == 0)
            intr++;
        else
            failed++;
        worse(&code, cJSON_IsTrue(ok)                 ? TL_EXIT_OK
                     : strcmp(st, "error") == 0       ? TL_EXIT_INFRA
                     : strcmp(st, "interrupted") == 0 ? TL_EXIT_INTR
                                                      : TL_EXIT_FAIL);
        bool seen = false;
        const cJSON *other;
        cJSON_ArrayForEach(other, m.jobs)
        {
            if (other == job)
                break;
            if (strcmp(str_of(other, "device"), str_of(job, "device")) == 0) {
                seen = true;
                break;
            }
        }
        devices += !seen;
    }
    if (jobs == 0 && m.junit_files) {
        tl_junit_totals t = tl_junit_count(&m.junit, NULL);
        jobs = t.tests;
        failed = t.failures;
        errors = t.errors;
        intr = t.skipped;
        passed = t.tests - t.failures - t.errors - t.skipped;
        devices = m.junit.n;
        worse(&code, t.skipped    ? TL_EXIT_INTR
                     : t.errors   ? TL_EXIT_INFRA
                     : t.failures ? TL_EXIT_FAIL
                                  : TL_EXIT_OK);
    }
    worse(&code, m.exit_code);
    size_t missing = 0;
    for (long i = 0; i < m.shard_count; i++)
        missing += !m.shard_seen[i];
    if (missing || m.shards_mixed) {
        char list[200] = "";
        size_t off = 0;
        for (long i = 0; i < m.shard_count && off + 16 < sizeof(list); i++)
            if (!m.shard_seen[i])
                off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%ld/%ld",
                                        off ? ", " : "", i, m.shard_count);
        if (m.shards_mixed)
            tl_log_error("report merge: the summaries come from batches split in different "
                         "numbers of shards");
        else
            tl_log_error("report merge: missing shard%s %s: their jobs are not in the merged "
                         "report",
                         missing == 1 ? "" : "s", list);
        worse(&code, TL_EXIT_INFRA);
    }

    if (o.report) {
        tl_junit_report built;
        tl_junit_report *rep = &m.junit;
        rc = tl_junit_init(&built, "taploop batch");
        if (m.junit_files == 0) {
            cJSON_ArrayForEach(job, m.jobs)
            {
                if (rc)
                    break;
                const cJSON *ok = cJSON_GetObjectItemCaseSensitive(job, "success");
                rc = tl_batch_junit_add(&built, str_of(job, "device"), NULL,
                                        (size_t)num_of(job, "goal_index"), str_of(job, "goal"),
                                        cJSON_IsTrue(ok), str_of(job, "status"),
                                        str_of(job, "message"), (long)num_of(job, "duration_ms"),
                                        str_of(job, "trajectory"));
            }
            rep = &built;
        }
        if (rc)
            rc = tl_error_set(&err, TL_ENOMEM, "out of memory writing the JUnit report");
        else
            rc = tl_junit_save(rep, o.report, &err);
        tl_junit_dispose(&built);
        if (rc) {
            code = tl_cli_fail(&err);
            goto done;
        }
    }

    if (co.json) {
        cJSON_ArrayForEach(job, m.jobs)
        {
            char *s = cJSON_PrintUnformatted(job);
            if (s) {
                tl_buf_puts(&out, s);
                tl_buf_putc(&out, '\n');
                cJSON_free(s);
            }
        }
        tl_buf_printf(&out,
                      "{\"summary\":{\"jobs\":%zu,\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,"
                      "\"interrupted\":%zu,\"devices\":%zu,\"shards\":%zu,\"junit_files\":%zu,"
                      "\"duration_ms\":%lld,\"exit_code\":%d}}\n",
                      jobs, passed, failed, errors, intr, devices, m.summaries, m.junit_files,
                      m.duration_ms, code);
    } else {
        tl_buf_printf(&out,
                      "merged %d file%s (%zu shard summar%s): %zu job%s on %zu device%s: %zu "
                      "passed, %zu failed, %zu error%s",
                      argc - first, argc - first == 1 ? "" : "s", m.summaries,
                      m.summaries == 1 ? "y" : "ies", jobs, jobs == 1 ? "" : "s", devices,
                      devices == 1 ? "" : "s", passed, failed, errors, errors == 1 ? "" : "s");
        if (intr)
            tl_buf_printf(&out, ", %zu interrupted", intr);
        if (m.summaries)
            tl_buf_printf(&out, " (longest shard %.1f s)", (double)m.duration_ms / 1000.0);
        tl_buf_putc(&out, '\n');
    }
    if (tl_cli_print(&out, TL_OK, &err) != TL_OK)
        code = tl_cli_fail(&err);
done:
    fflush(stdout);
    tl_buf_dispose(&out);
    cJSON_Delete(m.jobs);
    free(m.shard_seen);
    tl_junit_dispose(&m.junit);
    return code;
}

static int run(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return merge(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(tl_cmd_report.help, stdout);
        return TL_EXIT_OK;
    }
    return tl_cli_usage(&tl_cmd_report, "%s: the report command is `taploop report merge FILES`",
                        argc >= 2 ? argv[1] : "a subcommand is needed");
}

const struct tl_command tl_cmd_report = {
    .name = "report",
    .summary = "merge the JSON-lines / JUnit outputs of batch shards into one",
    .help = "usage: taploop report merge FILES... [--json] [--report FILE]\n"
            "\n"
            "Combine the outputs of the shards of one batch (`taploop batch --shard I/N`): their\n"
            "--json outputs (job lines and a summary line) and their --report JUnit files, told\n"
            "apart by content. Prints one summary (with --json: every job line, then one\n"
            "{\"summary\":{...}} line) and writes one JUnit file with --report: the union of\n"
            "the JUnit inputs, or, with none, built from the job lines.\n"
            "\n"
            "  --json          the job lines and a merged summary line on stdout\n"
            "  --report FILE   write the merged JUnit XML report\n"
            "\n"
            "Exit code: the batch's over all the shards: 0 every goal achieved, 1 some goal not\n"
            "achieved, 2 an unreadable or invalid input (or a shard's configuration error), 3\n"
            "an infrastructure error in some job or a shard missing from an I/N set, 130 a\n"
            "shard was interrupted.\n",
    .run = run,
};
