/*
 * test_settle.c - settle detection in the agent loop (agent/loop.c, docs/loop.md "Settling"):
 * after each action the loop polls the tree until the screen has stayed the same for the
 * window, or the bound passes.
 *
 * Each test runs tl_run() on the sim phone of tests/fixtures/sim/loading.json (screens that load
 * in 150 ms, 500 ms, or change every 100 ms for 1 s) with a scripted LLM (tests/support
 * fake_http: start an activity, then done). What the agent observed after the action is read
 * from the second request the model received (its listing) and from the trajectory line of the
 * step (settle_ms, settled). The phone is wrapped in a driver that counts tree observations.
 * Only lower bounds of time are asserted: a slow machine can make a run longer, never shorter.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "agent/loop.h"
#include "core/http.h"
#include "drivers/driver_int.h"
#include "tests/support/fake_http.h"

#define MODEL   TL_FIXTURES "/sim/loading.json"
#define PACKAGE "com.example.mail"

/* ---- a driver around the sim phone that counts tree observations ---------------------------- */

struct counting {
    tl_driver base;
    tl_driver *sim;              /* owned */
    int observes;                /* tree observations so far */
    int cancel_at;               /* raise *flag on this observation (0: never) */
    volatile sig_atomic_t *flag; /* the run's cancel flag */
};

#define C(d) ((struct counting *)(d))

static void c_close(tl_driver *d)
{
    tl_driver_close(C(d)->sim);
    free(d);
}

static int c_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    int rc = tl_driver_observe(C(d)->sim, what, out, err);
    if (what & TL_OBSERVE_TREE) {
        C(d)->observes++;
        if (C(d)->observes == C(d)->cancel_at)
            *C(d)->flag = 1; /* as if SIGINT came while this observation ran */
    }
    return rc;
}

static int c_tap(tl_driver *d, int x, int y, tl_error *err)
{
    return tl_driver_tap(C(d)->sim, x, y, err);
}

static int c_long_press(tl_driver *d, int x, int y, int ms, tl_error *err)
{
    return tl_driver_long_press(C(d)->sim, x, y, ms, err);
}

static int c_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int ms, tl_error *err)
{
    return tl_driver_swipe(C(d)->sim, x1, y1, x2, y2, ms, err);
}

static int c_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    return tl_driver_type(C(d)->sim, text, clear, err);
}

static int c_key(tl_driver *d, tl_key key, tl_error *err)
{
    return tl_driver_press_key(C(d)->sim, key, err);
}

static int c_start(tl_driver *d, const char *package, const char *activity, tl_error *err)
{
    return tl_driver_start_app(C(d)->sim, package, activity, err);
}

static int c_stop(tl_driver *d, const char *package, tl_error *err)
{
    return tl_driver_stop_app(C(d)->sim, package, err);
}

/* No screenshot capability: the loop takes none, and only trees are fetched. */
static const struct tl_driver_ops counting_ops = {
    .abi_version = TL_DRIVER_ABI,
    .name = "counting-sim",
    .summary = "the sim phone, counting observations",
    .caps = 0,
    .close = c_close,
    .observe = c_observe,
    .tap = c_tap,
    .long_press = c_long_press,
    .swipe = c_swipe,
    .type = c_type,
    .press_key = c_key,
    .start_app = c_start,
    .stop_app = c_stop,
};

static struct counting *counting_open(volatile sig_atomic_t *flag)
{
    struct counting *c = calloc(1, sizeof(*c));
    cr_assert_not_null(c);
    c->base.ops = &counting_ops;
    c->flag = flag;
    tl_driver_config cfg = {.device = MODEL, .fresh = true, .cancel = flag};
    tl_error err;
    cr_assert_eq(tl_driver_open(&c->sim, "sim", &cfg, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_set_device(&c->base, MODEL), TL_OK);
    return c;
}

/* ---- one run -------------------------------------------------------------------------------- */

static char out_dir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    tl_error err;
    cr_assert_eq(tl_http_global_init(&err), TL_OK, "%s", err.msg);
    snprintf(out_dir, sizeof(out_dir), "/tmp/tl-settle-XXXXXX");
    cr_assert_not_null(mkdtemp(out_dir));
    unsetenv("TAPLOOP_SIM_FORMAT");
}

static void teardown(void)
{
    if (out_dir[0])
        nftw(out_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(settle, .init = setup, .fini = teardown);

/* What a run saw. */
typedef struct outcome {
    tl_run_result res;
    char *listing;  /* owned: what the model was shown after the action (step 2's prompt) */
    long settle_ms; /* step 1's timings */
    long act_ms;
    int settled;      /* 1 true, 0 false, -1 absent */
    int observes;     /* tree observations in the whole run */
    int settle_polls; /* ... after the action: all but the first observation of the run */
} outcome;

static char body_start[2048], body_done[1024];

static void chat_completion(char *out, size_t size, int n, const char *tool, const char *args)
{
    cJSON *a = cJSON_CreateString(args);
    char *quoted = cJSON_PrintUnformatted(a);
    snprintf(out, size,
             "{\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion\",\"created\":1700000000,"
             "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
             "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_%d\",\"type\":"
             "\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]},"
             "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":100,"
             "\"completion_tokens\":10,\"total_tokens\":110}}",
             n, n, tool, quoted);
    free(quoted);
    cJSON_Delete(a);
}

/* The user message of a recorded chat request. Freed by the caller. */
static char *user_message(const fake_http_request *rq)
{
    cJSON *root = cJSON_Parse(rq->body);
    cr_assert_not_null(root, "request is not JSON");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    const cJSON *user = cJSON_GetArrayItem(msgs, 1);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(user, "content");
    cr_assert(cJSON_IsString(content));
    char *s = strdup(content->valuestring);
    cJSON_Delete(root);
    return s;
}

/* The first trajectory line's timings. */
static void read_timings(outcome *o)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/trajectory.jsonl", out_dir);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no %s", path);
    char line[65536];
    cr_assert_not_null(fgets(line, sizeof(line), f));
    fclose(f);
    cJSON *root = cJSON_Parse(line);
    cr_assert_not_null(root, "%s", line);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "timings");
    const cJSON *settle = cJSON_GetObjectItemCaseSensitive(t, "settle_ms");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(t, "act_ms");
    const cJSON *settled = cJSON_GetObjectItemCaseSensitive(t, "settled");
    cr_assert(cJSON_IsNumber(settle) && cJSON_IsNumber(act), "%s", line);
    o->settle_ms = (long)settle->valuedouble;
    o->act_ms = (long)act->valuedouble;
    o->settled = settled ? cJSON_IsTrue(settled) : -1;
    if (settled)
        cr_assert(cJSON_IsBool(settled), "%s", line);
    cJSON_Delete(root);
}

/*
 * Start `activity` of the mail app, then finish: one settle, after the start. `max` and
 * `window` go to the config as they are (0: default, < 0: none). With cancel_at, the run's
 * cancel flag is raised during that tree observation.
 */
static void run_once(outcome *o, const char *activity, long max, long window, int cancel_at)
{
    memset(o, 0, sizeof(*o));
    char args[128];
    snprintf(args, sizeof(args), "{\"package\":\"" PACKAGE "\",\"activity\":\"%s\"}", activity);
    chat_completion(body_start, sizeof(body_start), 1, "start_app", args);
    chat_completion(body_done, sizeof(body_done), 2, "done",
                    "{\"success\":true,\"message\":\"seen\"}");
    fake_http_response script[] = {{.body = body_start}, {.body = body_done}};
    fake_http *srv = fake_http_start(script, 2);
    cr_assert_not_null(srv);
    char url[128];
    fake_http_url(srv, "/v1", url, sizeof(url));

    static volatile sig_atomic_t cancel;
    cancel = 0;
    struct counting *drv = counting_open(&cancel);
    drv->cancel_at = cancel_at;
    tl_error err;
    tl_llm_config lcfg = {.base_url = url, .model = "gpt-4o-mini"};
    tl_llm *llm = tl_llm_new(&lcfg, &cancel, &err);
    cr_assert_not_null(llm, "%s", err.msg);
    tl_prompts prompts = {0};
    cr_assert_eq(tl_prompts_load(&prompts, NULL, &err), TL_OK, "%s", err.msg);
    tl_run_config cfg = {
        .goal = "Open the mailbox",
        .max_steps = 5,
        .timeout_ms = 60000,
        .prompts = &prompts,
        .out_dir = out_dir,
        .cancel = &cancel,
        .settle_max_ms = max,
        .settle_window_ms = window,
        .model = "gpt-4o-mini",
    };
    tl_run(&drv->base, llm, &cfg, &o->res);
    o->observes = drv->observes;
    o->settle_polls = drv->observes - 1;
    if (fake_http_request_count(srv) >= 2)
        o->listing = user_message(fake_http_request_at(srv, 1));
    read_timings(o);
    tl_prompts_dispose(&prompts);
    tl_llm_free(llm);
    tl_driver_close(&drv->base);
    fake_http_stop(srv);
}

static void outcome_dispose(outcome *o)
{
    tl_run_result_dispose(&o->res);
    free(o->listing);
}

static void expect_completed(const outcome *o)
{
    cr_assert_str_eq(o->res.status, "completed", "%s", o->res.message ? o->res.message : "");
    cr_assert_eq(o->res.steps, 2);
    cr_assert_not_null(o->listing);
}

/* ---- tests ---------------------------------------------------------------------------------- */

Test(settle, a_short_transition_is_waited_out)
{
    /* Inbox shows Loading… for 150 ms: less than the 200 ms window, so it cannot pass as
     * settled, however the polls fall */
    outcome o;
    run_once(&o, ".InboxActivity", 0, 0, 0);
    expect_completed(&o);
    cr_assert_not_null(strstr(o.listing, "\"Alice Martin\""), "%s", o.listing);
    cr_assert_null(strstr(o.listing, "Loading"), "%s", o.listing);
    cr_assert_eq(o.settled, 1);
    cr_assert_geq(o.settle_ms, 150, "settled before the content came");
    /* the content came after a first look at the spinner, then stayed a window */
    cr_assert_geq(o.settle_ms, TL_RUN_SETTLE_WINDOW_MS);
    cr_assert_geq(o.settle_polls, 3);
    outcome_dispose(&o);
}

Test(settle, a_chain_of_changes_is_waited_out_to_its_end)
{
    /* Sync changes every 100 ms for 1 s: never the same for 200 ms until it is done */
    outcome o;
    run_once(&o, ".SyncActivity", 0, 0, 0);
    expect_completed(&o);
    cr_assert_not_null(strstr(o.listing, "\"All folders synced\""), "%s", o.listing);
    cr_assert_null(strstr(o.listing, "Syncing folder"), "%s", o.listing);
    cr_assert_eq(o.settled, 1);
    cr_assert_geq(o.settle_ms + o.act_ms, 1000 + TL_RUN_SETTLE_WINDOW_MS - 2);
    outcome_dispose(&o);
}

Test(settle, the_bound_passes_while_the_screen_still_changes)
{
    outcome o;
    run_once(&o, ".SyncActivity", 400, 0, 0);
    expect_completed(&o);
    cr_assert_eq(o.settled, 0, "the step must record that the screen had not settled");
    cr_assert_geq(o.settle_ms, 400);
    /* the step went on with the last observation: one of the sync screens */
    cr_assert_not_null(strstr(o.listing, "Syncing folder"), "%s", o.listing);
    outcome_dispose(&o);
}

Test(settle, the_same_bound_is_enough_for_a_still_screen)
{
    /* the control of the test above: Drafts opens at once and settles within 400 ms */
    outcome o;
    run_once(&o, ".DraftsActivity", 400, 0, 0);
    expect_completed(&o);
    cr_assert_eq(o.settled, 1);
    cr_assert_not_null(strstr(o.listing, "\"Draft to Alice\""), "%s", o.listing);
    outcome_dispose(&o);
}

Test(settle, a_still_screen_costs_one_window)
{
    outcome o;
    run_once(&o, ".DraftsActivity", 0, 0, 0);
    expect_completed(&o);
    cr_assert_eq(o.settled, 1);
    cr_assert_geq(o.settle_ms, TL_RUN_SETTLE_WINDOW_MS);
    cr_assert_geq(o.settle_polls, 2, "settled on a single observation");
    outcome_dispose(&o);
}

Test(settle, a_longer_window_waits_out_a_slow_spinner)
{
    /* Archive shows Loading… for 500 ms; with a 600 ms window the spinner cannot pass */
    outcome o;
    run_once(&o, ".ArchiveActivity", 0, 600, 0);
    expect_completed(&o);
    cr_assert_not_null(strstr(o.listing, "\"Invoice 2023-11\""), "%s", o.listing);
    cr_assert_null(strstr(o.listing, "Loading"), "%s", o.listing);
    cr_assert_eq(o.settled, 1);
    cr_assert_geq(o.settle_ms, 500);
    cr_assert_geq(o.settle_ms + o.act_ms, 500 + 600 - 2);
    outcome_dispose(&o);
}

Test(settle, no_waiting_observes_once)
{
    outcome o;
    run_once(&o, ".InboxActivity", -1, 0, 0);
    expect_completed(&o);
    cr_assert_eq(o.observes, 2, "the run's first observation and one after the action");
    cr_assert_eq(o.settled, -1, "nothing was checked: no \"settled\" in the timings");
    outcome_dispose(&o);
}

Test(settle, no_window_is_two_equal_observations_in_a_row)
{
    outcome o;
    run_once(&o, ".DraftsActivity", 0, -1, 0);
    expect_completed(&o);
    cr_assert_eq(o.observes, 3, "the run's first observation and two after the action");
    cr_assert_eq(o.settled, 1);
    outcome_dispose(&o);
}

Test(settle, an_interrupt_stops_the_polling)
{
    /* the flag goes up during the second observation after the action, while Sync changes */
    outcome o;
    run_once(&o, ".SyncActivity", 0, 0, 3);
    cr_assert_str_eq(o.res.status, "interrupted");
    cr_assert_eq(o.res.code, TL_ECANCELED);
    cr_assert_eq(o.observes, 3, "polled on after the interrupt");
    cr_assert_eq(o.res.steps, 1);
    outcome_dispose(&o);
}
