/*
 * runopts.c - the run options shared by `run` and `batch` (see runopts.h): parsing and checking
 * them, and turning them into what a run needs (prompts, schema, template configuration, LLM
 * clients, cassettes).
 */
#include "agent/runopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fs.h"

#define SCHEMA_MAX_BYTES ((size_t)1 << 20)

#define SETTLE_MAX_LIMIT_MS    60000 /* --settle-max at most */
#define SETTLE_WINDOW_LIMIT_MS 10000 /* --settle-window at most */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}

void tl_runopts_init(tl_runopts *o, const struct tl_command *cmd)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->llm_url = env_or("OPENAI_BASE_URL", TL_RUNOPTS_DEFAULT_LLM_URL);
    o->model = env_or("TAPLOOP_MODEL", TL_RUNOPTS_DEFAULT_MODEL);
    o->max_steps = TL_RUNOPTS_DEFAULT_MAX_STEPS;
    o->timeout_s = TL_RUNOPTS_DEFAULT_TIMEOUT_S;
    o->settle_max_ms = -1;
    o->settle_window_ms = -1;
}

/* Build the policy of the --deny-* options given so far, or NULL when there are none.
 * Caller frees *out with tl_policy_free(). */
static int build_policy(const tl_runopts *o, tl_policy **out, tl_error *err)
{
    *out = NULL;
    if (o->n_deny_package == 0 && o->n_deny_text == 0)
        return TL_OK;
    tl_policy *p = tl_policy_new(); /* owned until handed to *out */
    if (!p)
        return TL_ENOMEM;
    int rc = TL_OK;
    for (int i = 0; rc == TL_OK && i < o->n_deny_package; i++)
        rc = tl_policy_deny_package(p, o->deny_package[i], err);
    for (int i = 0; rc == TL_OK && i < o->n_deny_text; i++)
        rc = tl_policy_deny_text(p, o->deny_text[i], err);
    if (rc != TL_OK) {
        tl_policy_free(p);
        return rc;
    }
    *out = p;
    return TL_OK;
}

/* --deny-package, --deny-text: keep the value, checked now so that a bad one is a usage error
 * naming it before anything runs. */
static int deny_opt(tl_runopts *o, int c, const char *arg)
{
    bool pkg = c == TL_RUNOPT_DENY_PACKAGE;
    int *n = pkg ? &o->n_deny_package : &o->n_deny_text;
    if (*n >= TL_POLICY_MAX_RULES) {
        tl_cli_usage(o->cmd, "at most %d --%s options", TL_POLICY_MAX_RULES,
                     pkg ? "deny-package" : "deny-text");
        return -1;
    }
    (pkg ? o->deny_package : o->deny_text)[(*n)++] = arg;
    tl_error err = {0};
    tl_policy *p = NULL;
    int rc = build_policy(o, &p, &err);
    tl_policy_free(p);
    if (rc != TL_OK) {
        (*n)--;
        tl_cli_usage(o->cmd, "%s", rc == TL_ENOMEM ? "out of memory" : err.msg);
        return -1;
    }
    return 1;
}

int tl_runopts_opt(tl_runopts *o, int c, const char *arg)
{
    const struct tl_command *cmd = o->cmd;
    long v;
    switch (c) {
    case TL_RUNOPT_LLM_URL: o->llm_url = arg; return 1;
    case TL_RUNOPT_MODEL: o->model = arg; return 1;
    case TL_RUNOPT_OUT: o->out = arg; return 1;
    case TL_RUNOPT_NO_TRACE: o->no_trace = true; return 1;
    case TL_RUNOPT_RECORD: o->record = arg; return 1;
    case TL_RUNOPT_REPLAY: o->replay = arg; return 1;
    case TL_RUNOPT_SCHEMA: o->schema = arg; return 1;
    case TL_RUNOPT_PROMPTS: o->prompts = arg; return 1;
    case TL_RUNOPT_VISION: o->vision = true; return 1;
    case TL_RUNOPT_MARKS:
    case TL_RUNOPT_NO_MARKS:
        o->vision_opts.no_marks = c == TL_RUNOPT_NO_MARKS;
        o->marks_set = true;
        return 1;
    case TL_RUNOPT_IMAGE_MAX:
        if (!tl_cli_parse_long(arg, 64, 8192, &v)) {
            tl_cli_usage(cmd, "--image-max takes a size in pixels (64..8192), not '%s'", arg);
            return -1;
        }
        o->vision_opts.max_side = (int)v;
        return 1;
    case TL_RUNOPT_IMAGE_QUALITY:
        if (!tl_cli_parse_long(arg, 1, 100, &v)) {
            tl_cli_usage(cmd, "--image-quality takes a JPEG quality (1..100), not '%s'", arg);
            return -1;
        }
        o->vision_opts.quality = (int)v;
        return 1;
    case TL_RUNOPT_IMAGE_FORMAT:
        if (strcmp(arg, "jpeg") == 0 || strcmp(arg, "jpg") == 0) {
            o->vision_opts.format = TL_IMAGE_JPEG;
        } else if (strcmp(arg, "png") == 0) {
            o->vision_opts.format = TL_IMAGE_PNG;
        } else {
            tl_cli_usage(cmd, "--image-format takes jpeg or png, not '%s'", arg);
            return -1;
        }
        return 1;
    case TL_RUNOPT_MAX_STEPS:
        if (!tl_cli_parse_long(arg, 1, TL_RUNOPTS_MAX_STEPS_LIMIT, &o->max_steps)) {
            tl_cli_usage(cmd, "--max-steps takes a number of steps (1..%d), not '%s'",
                         TL_RUNOPTS_MAX_STEPS_LIMIT, arg);
            return -1;
        }
        o->max_steps_set = true;
        return 1;
    case TL_RUNOPT_TIMEOUT:
        if (!tl_cli_parse_long(arg, 1, TL_RUNOPTS_TIMEOUT_LIMIT_S, &o->timeout_s)) {
            tl_cli_usage(cmd, "--timeout takes seconds (1..%d), not '%s'",
                         TL_RUNOPTS_TIMEOUT_LIMIT_S, arg);
            return -1;
        }
        o->timeout_set = true;
        return 1;
    case TL_RUNOPT_SETTLE_MAX:
        if (!tl_cli_parse_long(arg, 0, SETTLE_MAX_LIMIT_MS, &o->settle_max_ms)) {
            tl_cli_usage(cmd, "--settle-max takes milliseconds (0..%d; 0: do not wait), not '%s'",
                         SETTLE_MAX_LIMIT_MS, arg);
            return -1;
        }
        return 1;
    case TL_RUNOPT_DENY_PACKAGE:
    case TL_RUNOPT_DENY_TEXT: return deny_opt(o, c, arg);
    case TL_RUNOPT_SETTLE_WINDOW:
        if (!tl_cli_parse_long(arg, 0, SETTLE_WINDOW_LIMIT_MS, &o->settle_window_ms)) {
            tl_cli_usage(cmd, "--settle-window takes milliseconds (0..%d), not '%s'",
                         SETTLE_WINDOW_LIMIT_MS, arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

/* The effective settle bound and window (the defaults unless given). */
static void settle_of(const tl_runopts *o, long *max, long *window)
{
    *max = o->settle_max_ms >= 0 ? o->settle_max_ms : TL_RUN_SETTLE_MAX_MS;
    *window = o->settle_window_ms >= 0 ? o->settle_window_ms : TL_RUN_SETTLE_WINDOW_MS;
}

int tl_runopts_check(const tl_runopts *o)
{
    const struct tl_command *cmd = o->cmd;
    if (o->record && o->replay)
        return tl_cli_usage(cmd, "--record and --replay exclude each other");
    if (o->no_trace && o->out)
        return tl_cli_usage(cmd, "--no-trace and --out exclude each other");
    if (!o->vision && (o->marks_set || o->vision_opts.max_side || o->vision_opts.format ||
                       o->vision_opts.quality))
        return tl_cli_usage(cmd, "--marks, --no-marks and --image-* need --vision");
    /* a window longer than the bound could never pass: every step would wait the whole bound */
    long settle_max, settle_window;
    settle_of(o, &settle_max, &settle_window);
    if (settle_max > 0 && settle_window > settle_max)
        return tl_cli_usage(
            cmd,
            "the settle window (%ld ms) is longer than the settle bound (%ld ms%s): "
            "the screen could never settle; lower --settle-window or raise "
            "--settle-max",
            settle_window, settle_max, o->settle_max_ms >= 0 ? "" : ", the default");
    return -1;
}

static int load_schema(const char *path, tl_schema **out, tl_error *err)
{
    tl_buf text;
    tl_buf_init(&text, SCHEMA_MAX_BYTES);
    int rc = tl_file_read(&text, path, SCHEMA_MAX_BYTES, err);
    if (rc == TL_OK)
        rc = tl_schema_load(out, text.data ? text.data : "", text.len, path, err);
    tl_buf_dispose(&text);
    return rc;
}

int tl_runenv_init(tl_runenv *env, const tl_runopts *o, volatile sig_atomic_t *cancel,
                   tl_error *err)
{
    memset(env, 0, sizeof(*env));
    long settle_max, settle_window;
    settle_of(o, &settle_max, &settle_window);
    env->llm_url = o->llm_url;
    const char *key = getenv("OPENAI_API_KEY");
    env->api_key = key && key[0] ? key : NULL;
    tl_run_config *c = &env->base;
    c->max_steps = (int)o->max_steps;
    c->timeout_ms = o->timeout_s * 1000;
    c->cancel = cancel;
    c->vision = o->vision;
    c->vision_opts = o->vision_opts;
    /* the config's 0 means "the default"; "none" is negative there */
    c->settle_max_ms = settle_max ? settle_max : -1;
    c->settle_window_ms = settle_window ? settle_window : -1;
    c->model = o->model;
    c->prompts = &env->prompts;
    /* bad files (TL_EIO, TL_EPARSE) are configuration errors: exit 2 by the status table */
    int rc = tl_cli_ui_options(&c->ui_opts, err);
    if (rc == TL_OK)
        rc = tl_prompts_load(&env->prompts, o->prompts, err);
    if (rc == TL_OK && o->schema && (rc = load_schema(o->schema, &env->schema, err)) == TL_OK)
        c->output_schema = env->schema;
    if (rc == TL_OK && (rc = build_policy(o, &env->policy, err)) == TL_OK)
        c->policy = env->policy;
    return rc;
}

void tl_runenv_dispose(tl_runenv *env)
{
    if (!env)
        return;
    tl_schema_free(env->schema);
    env->schema = NULL;
    tl_policy_free(env->policy);
    env->policy = NULL;
    env->base.policy = NULL;
    tl_prompts_dispose(&env->prompts);
}

tl_llm *tl_runenv_llm(const tl_runenv *env, volatile sig_atomic_t *cancel,
                      tl_http_throttle *throttle, tl_error *err)
{
    tl_llm_config lcfg = {
        .base_url = env->llm_url,
        .api_key = env->api_key,
        .model = env->base.model,
        .throttle = throttle,
    };
    return tl_llm_new(&lcfg, cancel, err);
}

int tl_runenv_cassette(const tl_runenv *env, tl_cassette **out, const char *path, bool record,
                       const char *goal, tl_error *err)
{
    *out = NULL;
    if (!record)
        return tl_cassette_open_replay(out, path, err);
    char comment[512], url[256];
    tl_http_redact_url(env->llm_url, url, sizeof(url));
    snprintf(comment, sizeof(comment),
             "recorded by taploop %s: goal \"%.200s\", model %s, endpoint %s", TAPLOOP_VERSION,
             goal, env->base.model, url);
    return tl_cassette_open_record(out, path, comment, err);
}
