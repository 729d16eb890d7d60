/*
 * runopts.h - the options that configure a goal run, shared by every command that runs goals
 * (`run`, `batch`, later `test`), so that they mean the same everywhere: the LLM endpoint and
 * model, the step and time budgets, the output schema, prompt templates, vision and its image
 * options, settling, tracing and cassettes.
 *
 * A command lists TL_RUNOPTS_OPTIONS in its getopt table, passes each option code to
 * tl_runopts_opt(), checks the combination with tl_runopts_check(), then builds the parts a run
 * needs once per process with tl_runenv_init() (prompts, schema, the LLM endpoint) and one LLM
 * client per thread with tl_runenv_llm().
 */
#ifndef TL_RUNOPTS_H
#define TL_RUNOPTS_H

#include <signal.h>
#include <stdbool.h>

#include "agent/cli.h"
#include "agent/loop.h"
#include "agent/policy.h"
#include "core/http.h"
#include "planner/cassette.h"
#include "planner/llm.h"

#define TL_RUNOPTS_DEFAULT_LLM_URL   "http://127.0.0.1:8080/v1"
#define TL_RUNOPTS_DEFAULT_MODEL     "gpt-4o-mini"
#define TL_RUNOPTS_DEFAULT_MAX_STEPS 30
#define TL_RUNOPTS_DEFAULT_TIMEOUT_S 600
#define TL_RUNOPTS_MAX_STEPS_LIMIT   10000
#define TL_RUNOPTS_TIMEOUT_LIMIT_S   (7 * 86400)

/** Option codes of the run options (above the common TL_OPT_* codes). */
enum tl_runopt {
    TL_RUNOPT_LLM_URL = 512,
    TL_RUNOPT_MODEL,
    TL_RUNOPT_MAX_STEPS,
    TL_RUNOPT_TIMEOUT,
    TL_RUNOPT_OUT,
    TL_RUNOPT_NO_TRACE,
    TL_RUNOPT_RECORD,
    TL_RUNOPT_REPLAY,
    TL_RUNOPT_SCHEMA,
    TL_RUNOPT_PROMPTS,
    TL_RUNOPT_VISION,
    TL_RUNOPT_MARKS,
    TL_RUNOPT_NO_MARKS,
    TL_RUNOPT_IMAGE_MAX,
    TL_RUNOPT_IMAGE_FORMAT,
    TL_RUNOPT_IMAGE_QUALITY,
    TL_RUNOPT_SETTLE_MAX,
    TL_RUNOPT_SETTLE_WINDOW,
    TL_RUNOPT_DENY_PACKAGE,
    TL_RUNOPT_DENY_TEXT,
    TL_RUNOPT__END /**< commands number their own options from here */
};

/** getopt_long entries of the run options; put them before TL_CLI_COMMON_OPTIONS. */
#define TL_RUNOPTS_OPTIONS                                                   \
    {"llm-url", required_argument, NULL, TL_RUNOPT_LLM_URL},                 \
        {"model", required_argument, NULL, TL_RUNOPT_MODEL},                 \
        {"max-steps", required_argument, NULL, TL_RUNOPT_MAX_STEPS},         \
        {"timeout", required_argument, NULL, TL_RUNOPT_TIMEOUT},             \
        {"out", required_argument, NULL, TL_RUNOPT_OUT},                     \
        {"no-trace", no_argument, NULL, TL_RUNOPT_NO_TRACE},                 \
        {"record", required_argument, NULL, TL_RUNOPT_RECORD},               \
        {"replay", required_argument, NULL, TL_RUNOPT_REPLAY},               \
        {"output-schema", required_argument, NULL, TL_RUNOPT_SCHEMA},        \
        {"prompts", required_argument, NULL, TL_RUNOPT_PROMPTS},             \
        {"vision", no_argument, NULL, TL_RUNOPT_VISION},                     \
        {"marks", no_argument, NULL, TL_RUNOPT_MARKS},                       \
        {"no-marks", no_argument, NULL, TL_RUNOPT_NO_MARKS},                 \
        {"image-max", required_argument, NULL, TL_RUNOPT_IMAGE_MAX},         \
        {"image-format", required_argument, NULL, TL_RUNOPT_IMAGE_FORMAT},   \
        {"image-quality", required_argument, NULL, TL_RUNOPT_IMAGE_QUALITY}, \
        {"settle-max", required_argument, NULL, TL_RUNOPT_SETTLE_MAX},       \
        {"settle-window", required_argument, NULL, TL_RUNOPT_SETTLE_WINDOW}, \
        {"deny-package", required_argument, NULL, TL_RUNOPT_DENY_PACKAGE},   \
    {                                                                        \
        "deny-text", required_argument, NULL, TL_RUNOPT_DENY_TEXT            \
    }

/** The --help lines of the run options every goal-running command shares. */
#define TL_RUNOPTS_HELP                                                                          \
    "  --llm-url URL        OpenAI-compatible base URL ($OPENAI_BASE_URL; default\n"             \
    "                       " TL_RUNOPTS_DEFAULT_LLM_URL "); requests go to\n"                   \
    "                       URL/chat/completions; $OPENAI_API_KEY is sent as the bearer key\n"   \
    "                       when set\n"                                                          \
    "  --model NAME         model name ($TAPLOOP_MODEL; default " TL_RUNOPTS_DEFAULT_MODEL ")\n" \
    "  --output-schema FILE JSON Schema the final output must satisfy (structured output)\n"     \
    "  --prompts DIR        use DIR/system.txt and DIR/step.txt as prompt templates\n"           \
    "  --vision             also send each step's screenshot to the model, scaled down,\n"       \
    "                       with each listed element's box and [N] drawn on it; the\n"           \
    "                       model then works in the image's pixels\n"                            \
    "  --no-marks           (with --vision) send the screenshot without the boxes\n"             \
    "  --image-max N        (with --vision) longest side of the image (default 1024)\n"          \
    "  --image-format F     (with --vision) jpeg (default) or png\n"                             \
    "  --image-quality Q    (with --vision) JPEG quality 1..100 (default 75)\n"                  \
    "  --settle-max MS      after each action, poll the screen until it settles, at most\n"      \
    "                       MS (default 3000; 0: do not wait, observe once)\n"                   \
    "  --settle-window MS   settled means unchanged for MS (default 200; 0: the same in\n"       \
    "                       two observations in a row)\n" TL_RUNOPTS_HELP_SAFETY

/** The --help lines of the action-safety options (agent/policy.h). */
#define TL_RUNOPTS_HELP_SAFETY                                                                  \
    "  --deny-package PKG   never open PKG nor act inside it while it is on screen; PKG is a\n" \
    "                       package or a prefix like com.bank.* (repeatable)\n"                 \
    "  --deny-text PATTERN  never type text that the regular expression PATTERN (/re/ or\n"     \
    "                       /re/i) matches (repeatable); refused actions are reported to\n"     \
    "                       the model as refused\n"

/** The parsed run options. Initialise with tl_runopts_init(); strings are borrowed from argv
 * and the environment. */
typedef struct tl_runopts {
    const struct tl_command *cmd; /**< for usage messages */
    const char *llm_url;          /**< --llm-url, else $OPENAI_BASE_URL, else the default */
    const char *model;            /**< --model, else $TAPLOOP_MODEL, else the default */
    const char *out, *record, *replay, *schema, *prompts; /**< NULL when not given */
    long max_steps, timeout_s;                            /**< the defaults unless given */
    bool max_steps_set, timeout_set;                      /**< given on the command line */
    long settle_max_ms, settle_window_ms;                 /**< -1: not given */
    bool no_trace;
    bool vision, marks_set;
    tl_vision_options vision_opts;
    const char *deny_package[TL_POLICY_MAX_RULES]; /**< --deny-package values, checked */
    int n_deny_package;
    const char *deny_text[TL_POLICY_MAX_RULES]; /**< --deny-text values, checked */
    int n_deny_text;
} tl_runopts;

/** Defaults (from the environment where SPEC §1 says so). */
void tl_runopts_init(tl_runopts *o, const struct tl_command *cmd);

/**
 * Handle a run option. An invalid value is reported with tl_cli_usage().
 * @return 1 when `c` was a run option and its value is valid, 0 when `c` is not a run option,
 *         -1 when its value is invalid (the message is printed).
 */
int tl_runopts_opt(tl_runopts *o, int c, const char *arg);

/**
 * Check the options together (--record with --replay, --no-trace with --out, image options
 * without --vision, a settle window longer than the bound), printing the problem.
 * @return -1 when they are consistent, else TL_EXIT_USAGE.
 */
int tl_runopts_check(const tl_runopts *o);

/**
 * What every run of a command shares, built once: the prompt templates, the output schema,
 * and a template run configuration. Release with tl_runenv_dispose().
 */
typedef struct tl_runenv {
    tl_prompts prompts; /**< owned */
    tl_schema *schema;  /**< owned, or NULL */
    tl_policy *policy;  /**< owned: the deny lists, or NULL when there are none */
    tl_run_config base; /**< goal, out_dir, max_steps and timeout_ms to be set per run; the
                             pointers in it borrow from this struct and from the options */
    const char *llm_url;
    const char *api_key; /**< $OPENAI_API_KEY or NULL; never printed */
} tl_runenv;

/**
 * Build the shared parts: the index options from the environment, the prompt templates, the
 * output schema, and the template configuration (cancel flag, vision and settle options).
 * `o` and `cancel` must outlive env.
 * @return TL_OK; TL_EUSAGE (a bad environment variable), TL_EIO or TL_EPARSE (an unreadable or
 *         invalid prompt or schema file; the message names it), TL_ENOMEM. On failure env is
 *         still safe to dispose.
 */
int tl_runenv_init(tl_runenv *env, const tl_runopts *o, volatile sig_atomic_t *cancel,
                   tl_error *err);

/** Release what tl_runenv_init() built. NULL is accepted. */
void tl_runenv_dispose(tl_runenv *env);

/**
 * A new LLM client for the endpoint and model of the options. `throttle` (borrowed, may be
 * NULL) is shared by the clients of a batch: it caps their concurrent requests and makes them
 * all pause when the endpoint answers 429. Caller frees with tl_llm_free().
 * @return the client, or NULL with err set (TL_ENOMEM).
 */
tl_llm *tl_runenv_llm(const tl_runenv *env, volatile sig_atomic_t *cancel,
                      tl_http_throttle *throttle, tl_error *err);

/**
 * Open the cassette of a run: to record into `path` (the comment names the goal, the model and
 * the redacted endpoint; never the key), or to replay from it, as `record` says.
 * Caller closes *out with tl_cassette_close().
 * @return TL_OK; TL_EIO or TL_EPARSE for a file that cannot be opened or read (exit 2).
 */
int tl_runenv_cassette(const tl_runenv *env, tl_cassette **out, const char *path, bool record,
                       const char *goal, tl_error *err);

#endif
