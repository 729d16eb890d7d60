/*
 * batch.c - batch files and the batch runner (see batch.h).
 *
 * The file is read with agent/doc.h into a tl_batch_file. The runner starts min(parallel,
 * devices) worker threads; each takes the next device index under the runner's mutex, drives
 * that device's goals in order with one driver session and one LLM client, and reports each
 * job through the event callback, called under the same mutex so that output lines never mix.
 * The calling thread waits on a condition variable for the workers and delivers ticks.
 */
#include "agent/batch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agent/doc.h"
#include "core/fs.h"
#include "core/str.h"

#define SHARD_LIMIT 100000
#define SLUG_MAX    40
#define TICK_MS     250

/* ---- the file ------------------------------------------------------------------------------- */

void tl_batch_file_dispose(tl_batch_file *f)
{
    if (!f)
        return;
    free(f->driver);
    for (size_t i = 0; i < f->n_devices; i++)
        free(f->devices[i]);
    free(f->devices);
    for (size_t i = 0; i < f->n_goals; i++)
        free(f->goals[i].goal);
    free(f->goals);
    memset(f, 0, sizeof(*f));
}

static int parse_devices(tl_batch_file *f, const tl_doc *d, const tl_doc_node *n, tl_error *err)
{
    if (n->kind == TL_DOC_SCALAR && strcmp(n->text, "all") == 0) {
        f->all_devices = true;
        return TL_OK;
    }
    if (n->kind != TL_DOC_SEQ)
        return tl_doc_error(
            d, n, "devices", err, "expected a list of device ids or \"all\", not %s%s%.60s%s",
            tl_doc_kind_name(n), n->kind == TL_DOC_SCALAR ? " \"" : "",
            n->kind == TL_DOC_SCALAR ? n->text : "", n->kind == TL_DOC_SCALAR ? "\"" : "");
    if (n->n == 0)
        return tl_doc_error(d, n, "devices", err,
                            "the device list is empty: name at least one device, or write "
                            "devices: all");
    f->devices = calloc(n->n, sizeof(*f->devices));
    if (!f->devices)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        char path[64];
        tl_doc_path(path, sizeof(path), "devices", NULL, i);
        const char *id;
        int rc = tl_doc_string(d, n->items[i], path, &id, err);
        if (rc)
            return rc;
        for (size_t k = 0; k < f->n_devices; k++)
            if (strcmp(f->devices[k], id) == 0)
                return tl_doc_error(d, n->items[i], path, err,
                                    "device \"%.80s\" is listed twice (also devices[%zu]): one "
                                    "session per device",
                                    id, k);
        if (!(f->devices[f->n_devices] = tl_strdup(id)))
            return tl_error_set(err, TL_ENOMEM, "out of memory");
        f->n_devices++;
    }
    return TL_OK;
}

static int parse_goals(tl_batch_file *f, const tl_doc *d, const tl_doc_node *n, tl_error *err)
{
    if (n->kind != TL_DOC_SEQ)
        return tl_doc_error(d, n, "goals", err, "expected a list of goals, not %s",
                            tl_doc_kind_name(n));
    if (n->n == 0)
        return tl_doc_error(d, n, "goals", err, "the goal list is empty: give at least one goal");
    f->goals = calloc(n->n, sizeof(*f->goals));
    if (!f->goals)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    static const char *const keys[] = {"goal", "max_steps", "timeout", NULL};
    for (size_t i = 0; i < n->n; i++) {
        const tl_doc_node *g = n->items[i];
        char path[64], sub[80];
        tl_doc_path(path, sizeof(path), "goals", NULL, i);
        tl_batch_goal *out = &f->goals[i];
        out->line = g->line;
        const char *text = NULL;
        int rc = TL_OK;
        if (g->kind == TL_DOC_MAP) {
            rc = tl_doc_check_keys(d, g, path, keys, err);
            const tl_doc_node *v = tl_doc_get(g, "goal");
            tl_doc_path(sub, sizeof(sub), path, "goal", 0);
            if (rc == TL_OK && !v)
                rc = tl_doc_error(d, g, path, err, "missing required key \"goal\"");
            if (rc == TL_OK)
                rc = tl_doc_string(d, v, sub, &text, err);
            if (rc == TL_OK && (v = tl_doc_get(g, "max_steps")) != NULL) {
                tl_doc_path(sub, sizeof(sub), path, "max_steps", 0);
                rc = tl_doc_int(d, v, sub, 1, TL_RUNOPTS_MAX_STEPS_LIMIT, &out->max_steps, err);
            }
            if (rc == TL_OK && (v = tl_doc_get(g, "timeout")) != NULL) {
                tl_doc_path(sub, sizeof(sub), path, "timeout", 0);
                rc = tl_doc_int(d, v, sub, 1, TL_RUNOPTS_TIMEOUT_LIMIT_S, &out->timeout_s, err);
            }
        } else if (g->kind == TL_DOC_SCALAR) {
            rc = tl_doc_string(d, g, path, &text, err);
        } else {
            rc = tl_doc_error(d, g, path, err,
                              "expected a goal (a string, or a mapping with goal, max_steps, "
                              "timeout), not %s",
                              tl_doc_kind_name(g));
        }
        if (rc)
            return rc;
        if (!(out->goal = tl_strdup(text)))
            return tl_error_set(err, TL_ENOMEM, "out of memory");
        f->n_goals++;
    }
    return TL_OK;
}

static int parse_doc(tl_batch_file *f, const tl_doc *d, tl_error *err)
{
    static const char *const keys[] = {"driver",  "devices", "parallel", "max_steps",
                                       "timeout", "goals",   NULL};
    const tl_doc_node *root = tl_doc_root(d);
    int rc = tl_doc_check_keys(d, root, NULL, keys, err);
    if (rc)
        return rc;
    const tl_doc_node *v;
    const char *s;
    if ((v = tl_doc_get(root, "driver")) != NULL) {
        if ((rc = tl_doc_string(d, v, "driver", &s, err)) != TL_OK)
            return rc;
        if (!tl_driver_exists(s))
            return tl_doc_error(d, v, "driver", err, "unknown driver \"%.60s\"", s);
        if (!(f->driver = tl_strdup(s)))
            return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    if ((v = tl_doc_get(root, "parallel")) != NULL &&
        (rc = tl_doc_int(d, v, "parallel", 1, TL_BATCH_PARALLEL_LIMIT, &f->parallel, err)))
        return rc;
    if ((v = tl_doc_get(root, "max_steps")) != NULL &&
        (rc = tl_doc_int(d, v, "max_steps", 1, TL_RUNOPTS_MAX_STEPS_LIMIT, &f->max_steps, err)))
        return rc;
    if ((v = tl_doc_get(root, "timeout")) != NULL &&
        (rc = tl_doc_int(d, v, "timeout", 1, TL_RUNOPTS_TIMEOUT_LIMIT_S, &f->timeout_s, err)))
        return rc;
    if (!(v = tl_doc_get(root, "devices")))
        return tl_doc_error(d, root, NULL, err,
                            "missing required key \"devices\" (a list of device ids, or all)");
    if ((rc = parse_devices(f, d, v, err)) != TL_OK)
        return rc;
    if (!(v = tl_doc_get(root, "goals")))
        return tl_doc_error(d, root, NULL, err, "missing required key \"goals\" (a list)");
    return parse_goals(f, d, v, err);
}

int tl_batch_file_parse(tl_batch_file *out, const char *text, size_t len, const char *name,
                        tl_error *err)
{
    memset(out, 0, sizeof(*out));
    tl_doc *d = NULL;
    int rc = tl_doc_parse(&d, text, len, name, err);
    if (rc == TL_OK)
        rc = parse_doc(out, d, err);
    tl_doc_free(d);
    return rc;
}

int tl_batch_file_load(tl_batch_file *out, const char *path, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    tl_doc *d = NULL;
    int rc = tl_doc_load(&d, path, err);
    if (rc == TL_OK)
        rc = parse_doc(out, d, err);
    tl_doc_free(d);
    return rc;
}

/* ---- shards, names -------------------------------------------------------------------------- */

bool tl_batch_shard_parse(const char *s, long *index, long *count)
{
    if (!s)
        return false;
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1])
        return false;
    char a[16];
    size_t n = (size_t)(slash - s);
    if (n >= sizeof(a))
        return false;
    memcpy(a, s, n);
    a[n] = '\0';
    long i, c;
    if (!tl_cli_parse_long(a, 0, SHARD_LIMIT - 1, &i) ||
        !tl_cli_parse_long(slash + 1, 1, SHARD_LIMIT, &c) || i >= c)
        return false;
    *index = i;
    *count = c;
    return true;
}

bool tl_batch_in_shard(size_t position, long index, long count)
{
    return count > 0 && (long)(position % (size_t)count) == index;
}

void tl_batch_slug(char *out, size_t size, size_t number, size_t total, const char *goal)
{
    if (size == 0)
        return;
    int width = 2;
    for (size_t t = total; t >= 100; t /= 10)
        width++;
    char slug[SLUG_MAX + 2] = "";
    size_t n = 0;
    bool dash = false;
    /* one character past the limit tells whether the cut falls inside a word */
    for (const char *p = goal ? goal : ""; *p && n <= SLUG_MAX; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0)
                slug[n++] = '-';
            dash = false;
            if (n <= SLUG_MAX)
                slug[n++] = c;
        } else {
            dash = true;
        }
    }
    if (n > SLUG_MAX) { /* cut at the last whole word that fits, if there is one */
        size_t cut = SLUG_MAX;
        bool mid_word = slug[SLUG_MAX] != '-';
        while (mid_word && cut > 0 && slug[cut] != '-')
            cut--;
        n = cut > 0 ? cut : SLUG_MAX;
    }
    while (n > 0 && slug[n - 1] == '-')
        n--;
    slug[n] = '\0';
    snprintf(out, size, "%0*zu-%s", width, number, n ? slug : "goal");
}

void tl_batch_safe_name(char *out, size_t size, const char *device)
{
    if (size == 0)
        return;
    size_t n = 0;
    for (const char *p = device ? device : ""; *p && n + 1 < size && n < 64; p++)
        out[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
                       ? *p
                       : '-';
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "device");
    else if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        for (size_t i = 0; i < n; i++)
            out[i] = '-';
}

/* ---- results -------------------------------------------------------------------------------- */

int tl_batch_job_json(const tl_batch_job *job, const char *device, const char *goal,
                      const char *driver, tl_buf *out)
{
    tl_buf res;
    tl_buf_init(&res, 0);
    int rc = tl_run_result_json(&job->result, device, driver, &res);
    cJSON *obj = rc == TL_OK ? cJSON_ParseWithLength(res.data, res.len) : NULL;
    cJSON *line = cJSON_CreateObject();
    rc = TL_ENOMEM;
    if (obj && line && cJSON_AddStringToObject(line, "device", device ? device : "") &&
        cJSON_AddStringToObject(line, "goal", goal ? goal : "") &&
        cJSON_AddNumberToObject(line, "goal_index", (double)job->goal + 1)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "device");
        while (obj->child) {
            cJSON *item = cJSON_DetachItemViaPointer(obj, obj->child);
            cJSON_AddItemToObject(line, item->string, item);
        }
        char *text = cJSON_PrintUnformatted(line);
        if (text) {
            rc = tl_buf_puts(out, text);
            cJSON_free(text);
        }
    }
    cJSON_Delete(line);
    cJSON_Delete(obj);
    tl_buf_dispose(&res);
    return rc;
}

int tl_batch_junit_add(tl_junit_report *r, const char *device, const char *timestamp,
                       size_t goal_index, const char *goal, bool success, const char *status,
                       const char *message, long duration_ms, const char *trajectory)
{
    char name[600], out[1200];
    snprintf(name, sizeof(name), "#%02zu %.560s", goal_index, goal ? goal : "");
    if (trajectory)
        snprintf(out, sizeof(out), "trajectory: %.1100s", trajectory);
    const char *st = status ? status : "error";
    tl_junit_case c = {
        .name = name,
        .classname = device,
        .time_s = (double)duration_ms / 1000.0,
        .message = success ? NULL : message,
        .type = success ? NULL : st,
        .system_out = trajectory ? out : NULL,
    };
    if (success)
        c.outcome = TL_JUNIT_PASSED;
    else if (strcmp(st, "error") == 0)
        c.outcome = TL_JUNIT_ERROR;
    else if (strcmp(st, "interrupted") == 0)
        c.outcome = TL_JUNIT_SKIPPED;
    else
        c.outcome = TL_JUNIT_FAILURE;
    return tl_junit_add(r, device, timestamp, &c);
}

int tl_batch_exit_code(const tl_run_result *const *results, size_t n)
{
    bool intr = false, usage = false, infra = false, fail = false;
    for (size_t i = 0; i < n; i++) {
        int code = tl_run_exit_code(results[i]);
        intr |= code == TL_EXIT_INTR;
        usage |= code == TL_EXIT_USAGE;
        infra |= code == TL_EXIT_INFRA;
        fail |= code == TL_EXIT_FAIL;
    }
    return intr    ? TL_EXIT_INTR
           : usage ? TL_EXIT_USAGE
           : infra ? TL_EXIT_INFRA
           : fail  ? TL_EXIT_FAIL
                   : TL_EXIT_OK;
}

/* ---- the runner ----------------------------------------------------------------------------- */

typedef struct runner {
    const tl_batch_config *cfg;
    tl_batch_job *jobs;
    pthread_mutex_t mu;
    pthread_cond_t done_cv; /* signalled when a worker ends */
    size_t next;            /* the next device to take */
    int workers_left;
} runner;

static void emit(runner *r, tl_batch_event_kind kind, const tl_batch_job *job)
{
    if (!r->cfg->on_event)
        return;
    pthread_mutex_lock(&r->mu);
    r->cfg->on_event(kind, job, r->cfg->payload);
    pthread_mutex_unlock(&r->mu);
}

/* A job that did not run: its result says why. */
static void set_not_run(tl_batch_job *job, int code, const char *msg)
{
    memset(&job->result, 0, sizeof(job->result));
    job->result.code = code;
    job->result.status = code == TL_ECANCELED ? "interrupted" : "error";
    job->result.message = tl_strdup(msg);
}

static bool canceled(const runner *r)
{
    return r->cfg->cancel && *r->cfg->cancel;
}

/* Open the job's cassette when recording or replaying (DIR/<device>/<NN-slug>.cassette). */
static int job_cassette(runner *r, const char *dev_name, const char *slug, const char *goal,
                        tl_cassette **out, tl_error *err)
{
    const tl_batch_config *c = r->cfg;
    const char *dir = c->record_dir ? c->record_dir : c->replay_dir;
    *out = NULL;
    if (!dir)
        return TL_OK;
    char sub[1024], path[1200];
    snprintf(sub, sizeof(sub), "%s/%s", dir, dev_name);
    snprintf(path, sizeof(path), "%s/%s.cassette", sub, slug);
    if (c->record_dir) {
        int rc = tl_mkdir_p(sub, err);
        if (rc)
            return rc;
    }
    return tl_runenv_cassette(c->env, out, path, c->record_dir != NULL, goal, err);
}

static void run_device(runner *r, size_t di)
{
    const tl_batch_config *c = r->cfg;
    const char *id = c->devices[di];
    char dev_name[96];
    tl_batch_safe_name(dev_name, sizeof(dev_name), id);
    tl_error err;
    tl_error_clear(&err);
    tl_driver *drv = NULL;
    tl_llm *llm = NULL;
    int rc = TL_OK;
    if (canceled(r)) {
        rc = tl_error_set(&err, TL_ECANCELED, "not started: the batch was interrupted");
    } else {
        tl_driver_config dcfg = {
            .device = id,
            .fresh = true,
            .cancel = c->cancel,
            .wait = c->wait,
            .wait_timeout_ms = (int)((c->timeout_s > 0 ? c->timeout_s : 600) * 1000),
        };
        rc = tl_driver_open(&drv, c->driver, &dcfg, &err);
        if (rc == TL_OK && !(llm = tl_runenv_llm(c->env, c->cancel, c->throttle, &err)))
            rc = err.code ? err.code : TL_ENOMEM;
        if (rc && rc != TL_ECANCELED)
            tl_error_prefix(&err, "%s: ", id);
    }
    for (size_t gi = 0; gi < c->n_goals; gi++) {
        tl_batch_job *job = &r->jobs[di * c->n_goals + gi];
        const tl_batch_goal *g = &c->goals[gi];
        emit(r, TL_BATCH_JOB_START, job);
        if (rc == TL_OK && canceled(r)) {
            set_not_run(job, TL_ECANCELED, "not started: the batch was interrupted");
            emit(r, TL_BATCH_JOB_END, job);
            continue;
        }
        if (rc != TL_OK) {
            set_not_run(job, rc, err.msg);
            emit(r, TL_BATCH_JOB_END, job);
            continue;
        }
        char slug[64], out_dir[1200];
        tl_batch_slug(slug, sizeof(slug), gi + 1, c->n_goals, g->goal);
        tl_run_config cfg = c->env->base;
        cfg.goal = g->goal;
        cfg.max_steps = (int)(!c->override_steps && g->max_steps ? g->max_steps : c->max_steps);
        cfg.timeout_ms =
            (!c->override_timeout && g->timeout_s ? g->timeout_s : c->timeout_s) * 1000;
        if (c->out_root) {
            snprintf(out_dir, sizeof(out_dir), "%s/%s/%s", c->out_root, dev_name, slug);
            cfg.out_dir = out_dir;
        }
        tl_cassette *cassette = NULL;
        tl_error jerr;
        tl_error_clear(&jerr);
        if (job_cassette(r, dev_name, slug, g->goal, &cassette, &jerr) != TL_OK) {
            set_not_run(job, jerr.code, jerr.msg);
        } else {
            tl_llm_set_cassette(llm, cassette);
            job->started = true;
            tl_run(drv, llm, &cfg, &job->result);
            tl_llm_set_cassette(llm, NULL);
            tl_cassette_close(cassette);
        }
        emit(r, TL_BATCH_JOB_END, job);
    }
    tl_llm_free(llm);
    tl_driver_close(drv); /* on every path: the device is released here */
}

static void *worker(void *payload)
{
    runner *r = payload;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t di = r->next < r->cfg->n_devices ? r->next++ : r->cfg->n_devices;
        pthread_mutex_unlock(&r->mu);
        if (di >= r->cfg->n_devices)
            break;
        run_device(r, di);
    }
    pthread_mutex_lock(&r->mu);
    r->workers_left--;
    pthread_cond_signal(&r->done_cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Descriptors a running job may hold, with room to spare: 8 measured (a wake-up socket pair in
 * each of three HTTP clients' libcurl multi handles, and the driver's and the LLM's connections).
 */
#define FDS_PER_WORKER 16

/* Raise the soft limit on open descriptors towards the hard one so that hundreds of workers do
 * not run out at the common soft limit of 1024 (connections then fail and are retried, and a
 * 200-device batch took 5x its time). Best effort: the limit stays as it was on failure. */
static void raise_fd_limit(size_t workers)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    rlim_t want = (rlim_t)workers * FDS_PER_WORKER + 256;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

int tl_batch_run(const tl_batch_config *cfg, tl_batch_job *jobs, tl_error *err)
{
    size_t total = cfg->n_devices * cfg->n_goals;
    for (size_t i = 0; i < total; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].device = i / cfg->n_goals;
        jobs[i].goal = i % cfg->n_goals;
    }
    if (cfg->n_devices == 0)
        return TL_OK;
    if (cfg->parallel < 1)
        return tl_error_set(err, TL_EUSAGE, "parallel must be at least 1");
    size_t n = (size_t)cfg->parallel < cfg->n_devices ? (size_t)cfg->parallel : cfg->n_devices;
    pthread_t *threads = calloc(n, sizeof(*threads));
    if (!threads)
        return tl_error_set(err, TL_ENOMEM, "out of memory starting the batch");
    raise_fd_limit(n);
    runner r = {.cfg = cfg, .jobs = jobs};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.done_cv, NULL);
    /* Small stacks: a worker's deepest use is the loop and libcurl, far below 1 MiB; hundreds
     * of workers then reserve hundreds of MiB of address space, not gigabytes. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)2 << 20);
    size_t started = 0;
    int rc = TL_OK;
    for (; started < n; started++) {
        pthread_mutex_lock(&r.mu);
        r.workers_left++;
        pthread_mutex_unlock(&r.mu);
        int e = pthread_create(&threads[started], &attr, worker, &r);
        if (e != 0) {
            pthread_mutex_lock(&r.mu);
            r.workers_left--;
            pthread_mutex_unlock(&r.mu);
            if (started == 0)
                rc = tl_error_set(err, TL_ENOMEM, "cannot start a worker thread: %s", strerror(e));
            break; /* the workers already started take every device */
        }
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&r.mu);
    while (r.workers_left > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int w = pthread_cond_timedwait(&r.done_cv, &r.mu, &ts);
        if (w == ETIMEDOUT && cfg->on_event)
            cfg->on_event(TL_BATCH_TICK, NULL, cfg->payload);
    }
    pthread_mutex_unlock(&r.mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pthread_cond_destroy(&r.done_cv);
    pthread_mutex_destroy(&r.mu);
    return rc;
}
