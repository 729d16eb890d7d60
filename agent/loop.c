/*
 * loop.c - the agent loop (see loop.h).
 *
 * One step, as data:
 *   observation (tree [+ screenshot]) -> element index -> step prompt (goal, budget, app,
 *   listing, history, last failure, hints) -> LLM reply -> action -> checked against the index
 *   -> performed through the driver -> the UI polled until it settles, giving the next step's
 *   observation -> one trajectory line.
 * An answer that is not a usable action (no action, an unknown tool, bad arguments, an index
 * not in the listing, a point off the screen, an output that does not fit the schema) is never
 * performed: it goes back to the model as an error observation in the same step, at most
 * max_retries times, then the run fails saying why.
 *
 * What is typed into a password field is a secret of the run: it is masked in the action as
 * shown and stored, and scrubbed from every text written to stderr or the trajectory (the
 * model's reasoning, messages, the goal in the report).
 */
#include "agent/loop.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/exec.h"
#include "agent/observe.h"
#include "agent/trace.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"

#define HISTORY_SHOWN 15 /* previous steps shown to the model */
#define SECRET_MIN    4  /* shorter typed secrets are masked in actions, not scrubbed */
#define MAX_SECRETS   16
#define TARGET_MAX    160 /* bytes of an element line kept in history and trajectory */

struct run {
    tl_driver *drv;
    tl_llm *llm;
    const tl_run_config *cfg;
    tl_run_result *res;
    tl_ui *ui;
    tl_observation obs;
    tl_buf listing;  /* the listing of ui, built with every observation */
    uint64_t screen; /* hash of the listing and the foreground package */
    tl_trace *trace;
    long long start_ms;
    int max_retries;
    tl_buf history; /* one line per step taken */
    int history_lines;
    char last_failure[TL_ERROR_MSG_MAX]; /* the previous action's failure on the device */
    char hint[512];
    uint64_t prev_sig;
    int repeats;
    char *secrets[MAX_SECRETS]; /* owned: texts typed into password fields */
    int nsecrets;
    char started[32];      /* UTC time the run started */
    tl_vision_frame frame; /* --vision: this step's image */
    bool have_frame;       /* frame holds the current screen's image */
    tl_buf view_listing;   /* --vision: the listing in the image's pixels */
    tl_buf image_url;      /* --vision: the frame as a data: URL */
    bool shot_fresh;       /* obs.screenshot is of the screen in ui (fetched with the tree) */
    tl_buf indexed_tree;   /* the bytes ui was parsed from (swapped with obs.tree, not copied) */
    int32_t indexed_w, indexed_h; /* and the display size they were parsed with */
    bool indexed;                 /* ui, listing and screen hash are of indexed_tree */
};

/* ---- small helpers ------------------------------------------------------------------------ */

static void utc_now(char out[32])
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", day, (int)(t.tv_nsec / 1000000));
}

static uint64_t hash64(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ULL;
    return h;
}

static bool canceled(const struct run *r)
{
    return r->cfg->cancel && *r->cfg->cancel;
}

/* Copy `text` into out with every secret replaced by the mask. */
static int scrub(const struct run *r, const char *text, tl_buf *out)
{
    tl_buf_clear(out);
    if (!text)
        return tl_buf_append(out, "", 0);
    const char *p = text;
    while (*p) {
        const char *best = NULL;
        size_t best_len = 0;
        for (int i = 0; i < r->nsecrets; i++) {
            const char *hit = strstr(p, r->secrets[i]);
            if (hit && (!best || hit < best)) {
                best = hit;
                best_len = strlen(r->secrets[i]);
            }
        }
        if (!best)
            return tl_buf_puts(out, p);
        if (tl_buf_append(out, p, (size_t)(best - p)) || tl_buf_puts(out, TL_UI_MASK))
            return TL_ENOMEM;
        p = best + best_len;
    }
    return TL_OK;
}

/* A scrubbed, owned copy. */
static char *scrubbed(const struct run *r, const char *text)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    char *s = scrub(r, text, &b) == TL_OK ? tl_buf_detach(&b, NULL) : NULL;
    tl_buf_dispose(&b);
    return s;
}

static void remember_secret(struct run *r, const char *text)
{
    if (!text || strlen(text) < SECRET_MIN || r->nsecrets == MAX_SECRETS)
        return;
    for (int i = 0; i < r->nsecrets; i++)
        if (strcmp(r->secrets[i], text) == 0)
            return;
    char *copy = tl_strdup(text);
    if (copy)
        r->secrets[r->nsecrets++] = copy;
}

static void finish(struct run *r, int code, const char *status, bool success, const char *msg)
{
    tl_run_result *res = r->res;
    res->code = code;
    res->status = status;
    res->success = success;
    free(res->message);
    res->message = scrubbed(r, msg ? msg : "");
}

/* ---- observation -------------------------------------------------------------------------- */

static bool wants_screenshots(const struct run *r);

/* The tree just fetched is byte for byte the one indexed last, at the same display size. */
static bool same_tree(const struct run *r)
{
    return r->indexed && r->obs.tree.len == r->indexed_tree.len &&
           r->obs.display_w == r->indexed_w && r->obs.display_h == r->indexed_h &&
           (r->obs.tree.len == 0 ||
            memcmp(r->obs.tree.data, r->indexed_tree.data, r->obs.tree.len) == 0);
}

/*
 * Observe and index the screen; write its listing (the prompt shows it) and hash it with the
 * foreground package: what "the screen changed" means for settling and stuck detection.
 * A tree identical to the one indexed last (the confirming poll of a screen that holds) keeps
 * the index, the listing and the hash: the parse, the larger part of a step's own cost, is
 * skipped. The bytes indexed are kept by swapping buffers, never copied.
 */
static int observe_tree(struct run *r, bool with_shot, tl_error *err)
{
    with_shot = with_shot && wants_screenshots(r);
    int rc = tl_driver_observe(r->drv, TL_OBSERVE_TREE | (with_shot ? TL_OBSERVE_SCREENSHOT : 0),
                               &r->obs, err);
    r->shot_fresh = rc == TL_OK && with_shot && r->obs.screenshot.len > 0;
    if (rc)
        return rc;
    if (same_tree(r))
        return TL_OK;
    r->indexed = false;
    rc = tl_observe_index(r->drv, &r->cfg->ui_opts, &r->obs, r->ui, err);
    if (rc)
        return rc;
    tl_buf held = r->indexed_tree;
    r->indexed_tree = r->obs.tree;
    r->obs.tree = held;
    r->indexed_w = r->obs.display_w;
    r->indexed_h = r->obs.display_h;
    r->indexed = true;
    tl_buf_clear(&r->listing);
    if (tl_ui_listing(r->ui, &r->listing) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory writing the listing");
    if (r->listing.len) /* the step template places the line breaks around it */
        r->listing.data[--r->listing.len] = '\0';
    const char *pkg = tl_ui_get_info(r->ui)->package;
    r->screen = hash64(
        pkg, strlen(pkg),
        hash64(r->listing.data ? r->listing.data : "", r->listing.len, 0xCBF29CE484222325ULL));
    return TL_OK;
}

/*
 * After an action: poll the tree until the screen has stayed the same for the settle window,
 * that is until two observations that started at least `window` ms apart, with none between
 * them showing anything else, show the same screen; or until the bound passes, when the step
 * goes on with the last observation and records that the screen had not settled. The last
 * observation becomes the next step's, so nothing is fetched twice.
 *
 * Polls are window/2 apart (a change is seen within half a window), never past the end of the
 * window or the bound. A device slower to answer than the window (a cloud phone) settles after
 * two fetches without sleeping; an immediate one (the sim) costs about one window. The poll
 * expected to be the last also fetches the screenshot when one is wanted (see take_screenshot).
 * *settled: 1 settled, 0 the bound passed first, -1 not checked (no waiting, or an error).
 */
static int settle(struct run *r, long *settle_ms, int *settled, tl_error *err)
{
    long long t0 = tl_now_ms();
    long max = r->cfg->settle_max_ms ? r->cfg->settle_max_ms : TL_RUN_SETTLE_MAX_MS;
    long window = r->cfg->settle_window_ms ? r->cfg->settle_window_ms : TL_RUN_SETTLE_WINDOW_MS;
    if (window < 0)
        window = 0;
    long poll = window / 2 > TL_RUN_SETTLE_POLL_MIN_MS ? window / 2 : TL_RUN_SETTLE_POLL_MIN_MS;
    *settled = -1;
    int rc = observe_tree(r, max < 0, err); /* no waiting: this is the step's observation */
    if (rc || max < 0) {
        *settle_ms = tl_now_ms() - t0;
        return rc;
    }
    uint64_t h = r->screen;
    long long since = t0; /* when the first observation showing h started */
    bool changing = false;
    for (;;) {
        long long now = tl_now_ms();
        long wait = poll;
        if (!changing && since + window - now < wait)
            wait = since + window - now > 0 ? (long)(since + window - now) : 0;
        if (t0 + max - now < wait)
            wait = t0 + max - now > 0 ? (long)(t0 + max - now) : 0;
        if (tl_sleep_ms(wait, r->cfg->cancel) != TL_OK) {
            rc = tl_error_set(err, TL_ECANCELED, "interrupted");
            break;
        }
        long long start = tl_now_ms();
        /* A poll that will end the settling if the screen holds (the window has passed, or
         * the bound) fetches the screenshot with the tree, concurrently where the driver can:
         * the step then waits for the slower of the two, not for their sum. */
        bool last = (!changing && start - since >= window) || start - t0 >= max;
        rc = observe_tree(r, last, err);
        if (rc)
            break;
        changing = r->screen != h;
        if (changing) {
            h = r->screen;
            since = start;
        } else if (start - since >= window) {
            *settled = 1;
            break;
        }
        if (tl_now_ms() - t0 >= max) {
            *settled = 0;
            break;
        }
    }
    *settle_ms = tl_now_ms() - t0;
    return rc;
}

/* ---- the step prompt ---------------------------------------------------------------------- */

static int render_step(struct run *r, int step, tl_buf *out)
{
    const tl_run_config *cfg = r->cfg;
    const tl_ui_info *in = tl_ui_get_info(r->ui);
    char num[16], max[16], left[16], screen[96], app[320];
    snprintf(num, sizeof(num), "%d", step);
    snprintf(max, sizeof(max), "%d", cfg->max_steps);
    snprintf(left, sizeof(left), "%d", cfg->max_steps - step);
    const tl_ui_view *view = r->have_frame ? &r->frame.view : NULL;
    if (view)
        snprintf(screen, sizeof(screen),
                 "the attached %dx%d screenshot (coordinates are its pixels), %zu elements listed",
                 view->view_w, view->view_h, tl_ui_listed_count(r->ui));
    else
        snprintf(screen, sizeof(screen), "%dx%d pixels, %zu elements listed", in->screen_w,
                 in->screen_h, tl_ui_listed_count(r->ui));
    if (in->app[0] && in->package[0])
        snprintf(app, sizeof(app), "%s (%s)", in->app, in->package);
    else
        snprintf(app, sizeof(app), "%s", in->package[0] ? in->package : "unknown");

    tl_buf keyboard, history;
    tl_buf_init(&keyboard, 0);
    tl_buf_init(&history, 0);
    int rc = TL_OK;
    if (in->keyboard_visible && in->focused >= 0)
        rc |= tl_ui_element_line_view(r->ui, &tl_ui_elements(r->ui)[in->focused], view, &keyboard);
    /* the last HISTORY_SHOWN lines */
    const char *h = r->history.data ? r->history.data : "";
    int skip = r->history_lines - HISTORY_SHOWN;
    if (skip > 0) {
        for (int i = 0; i < skip && *h; i++) {
            const char *nl = strchr(h, '\n');
            h = nl ? nl + 1 : h + strlen(h);
        }
        rc |= tl_buf_printf(&history, "(%d earlier steps not shown)\n", skip);
    }
    rc |= tl_buf_puts(&history, h);
    if (history.len && history.data[history.len - 1] == '\n')
        history.data[--history.len] = '\0';
    const tl_buf *listing = &r->listing;
    if (view) {
        tl_buf_clear(&r->view_listing);
        rc |= tl_ui_listing_view(r->ui, view, &r->view_listing);
        if (r->view_listing.len)
            r->view_listing.data[--r->view_listing.len] = '\0';
        listing = &r->view_listing;
    }
    tl_prompt_var vars[] = {
        {"goal", cfg->goal},
        {"step", num},
        {"max_steps", max},
        {"steps_left", left},
        {"app", app},
        {"package", in->package},
        {"activity", in->activity},
        {"screen", screen},
        {"listing",
         listing->len ? listing->data : "(no elements: the screen may be loading or empty)"},
        {"history", history.data},
        {"error", r->last_failure},
        {"hint", r->hint},
        {"keyboard", keyboard.data},
        {"output_schema", cfg->output_schema ? tl_schema_text(cfg->output_schema) : NULL},
    };
    if (rc == TL_OK)
        rc = tl_prompt_render(cfg->prompts->step, vars, sizeof(vars) / sizeof(vars[0]), out);
    tl_buf_dispose(&keyboard);
    tl_buf_dispose(&history);
    return rc ? TL_ENOMEM : TL_OK;
}

static int start_chat(struct run *r, int step, tl_chat *chat)
{
    tl_buf sys, user;
    tl_buf_init(&sys, 0);
    tl_buf_init(&user, 0);
    tl_prompt_var svars[] = {
        {"output_schema", r->cfg->output_schema ? tl_schema_text(r->cfg->output_schema) : NULL}};
    int rc = tl_prompt_render(r->cfg->prompts->system, svars, 1, &sys);
    if (rc == TL_OK)
        rc = render_step(r, step, &user);
    if (rc == TL_OK)
        rc = tl_chat_add(chat, TL_ROLE_SYSTEM, sys.data ? sys.data : "");
    if (rc == TL_OK && r->have_frame)
        rc = tl_chat_add_image(chat, user.data ? user.data : "", r->image_url.data);
    else if (rc == TL_OK)
        rc = tl_chat_add(chat, TL_ROLE_USER, user.data ? user.data : "");
    tl_buf_dispose(&sys);
    tl_buf_dispose(&user);
    return rc;
}

/* Send an error observation back: a tool message for every tool call of the reply (the API
 * requires an answer to each), else a user message. */
static int send_back(tl_chat *chat, const tl_llm_reply *reply, const char *problem)
{
    int rc = tl_chat_add_reply(chat, reply);
    if (rc)
        return rc;
    char text[TL_ERROR_MSG_MAX + 128];
    snprintf(text, sizeof(text),
             "Error: %s. Nothing was done. Choose one valid action for the "
             "same screen.",
             problem);
    if (!reply->tool_calls_json)
        return tl_chat_add(chat, TL_ROLE_USER, text);
    cJSON *calls = cJSON_Parse(reply->tool_calls_json);
    bool first = true;
    for (const cJSON *c = calls ? calls->child : NULL; c && rc == TL_OK; c = c->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (!cJSON_IsString(id))
            continue;
        rc = tl_chat_add_tool_result(chat, id->valuestring,
                                     first ? text : "Ignored: one action per turn.");
        first = false;
    }
    cJSON_Delete(calls);
    if (rc == TL_OK && first) /* no usable id: say it as a user message */
        rc = tl_chat_add(chat, TL_ROLE_USER, text);
    return rc;
}

/* ---- one step ----------------------------------------------------------------------------- */

struct step_record {
    char time[32];
    char screenshot[64];
    int image_w, image_h; /* --vision: the image the model saw (0 without) */
    size_t image_bytes;
    long llm_ms, act_ms, settle_ms, observe_ms;
    int settled; /* after the action: 1 settled, 0 still changing at the bound, -1 not checked */
    long prompt_tokens, completion_tokens;
    int retries;
    tl_buf errors;    /* error observations, one per line */
    char *reasoning;  /* owned, from the last reply */
    tl_action action; /* the action taken (or done) */
    bool have_action;
    tl_exec_result exec;
    char target[TARGET_MAX + 8];      /* the acted-on element's line at the time */
    char described[TARGET_MAX + 256]; /* the action as it reads, e.g. tap [3] Button "Save" */
    char result[TL_ERROR_MSG_MAX + 16];
    char package[256];
    size_t elements;
    tl_rect rect;
    bool has_rect;
    int screen_w, screen_h;
};

/* The action as shown and stored: a secret's text masked. */
static void shown_action(const struct step_record *s, tl_action *out)
{
    *out = s->action;
    if (s->exec.secret && out->type == TL_ACT_TYPE)
        out->text = (char *)TL_UI_MASK;
}

/* Append a JSON array of the lines of text (NULL or "" gives []). */
static int put_lines(tl_buf *out, const char *text)
{
    int rc = tl_buf_putc(out, '[');
    for (const char *e = text ? text : ""; *e;) {
        const char *nl = strchr(e, '\n');
        size_t n = nl ? (size_t)(nl - e) : strlen(e);
        if (e != text)
            rc |= tl_buf_putc(out, ',');
        rc |= tl_json_str(out, e, n);
        e += n + (nl ? 1 : 0);
    }
    return rc | tl_buf_putc(out, ']');
}

/* The step's trajectory line and its report entry, from texts scrubbed once for both. */
static int write_line(struct run *r, int step, struct step_record *s, long step_ms)
{
    if (!r->trace)
        return TL_OK;
    tl_action shown;
    shown_action(s, &shown);
    tl_buf act, line;
    tl_buf_init(&act, 0);
    tl_buf_init(&line, 0);
    int rc = s->have_action ? tl_action_to_json(&shown, &act) : TL_OK;
    /* a secret may also sit inside done's message or the model's reasoning */
    char *action = act.data ? scrubbed(r, act.data) : NULL;
    char *action_text = s->have_action ? scrubbed(r, s->described) : NULL;
    char *reasoning = s->reasoning ? scrubbed(r, s->reasoning) : NULL;
    char *errors = scrubbed(r, s->errors.data);
    char *result = scrubbed(r, s->result);
    if ((s->have_action && (!action || !action_text)) || (s->reasoning && !reasoning) || !errors ||
        !result)
        rc = TL_ENOMEM;

    rc |= tl_buf_printf(&line, "{\"step\":%d,\"time\":\"%s\",\"package\":", step, s->time);
    rc |= tl_json_cstr(&line, s->package);
    rc |= tl_buf_printf(&line, ",\"elements\":%zu,\"screenshot\":", s->elements);
    rc |= tl_json_cstr(&line, s->screenshot[0] ? s->screenshot : NULL);
    if (s->image_w > 0)
        rc |= tl_buf_printf(&line, ",\"image\":{\"width\":%d,\"height\":%d,\"bytes\":%zu}",
                            s->image_w, s->image_h, s->image_bytes);
    rc |= tl_buf_printf(&line,
                        ",\"llm_ms\":%ld,\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                        "\"retries\":%d,\"errors\":",
                        s->llm_ms, s->prompt_tokens, s->completion_tokens, s->retries);
    rc |= put_lines(&line, errors);
    rc |= tl_buf_puts(&line, ",\"reasoning\":");
    rc |= tl_json_cstr(&line, reasoning);
    rc |= tl_buf_puts(&line, ",\"action\":");
    rc |= tl_buf_puts(&line, action ? action : "null");
    rc |= tl_buf_puts(&line, ",\"target\":");
    rc |= tl_json_cstr(&line, s->target[0] ? s->target : NULL);
    if (s->exec.has_point)
        rc |= tl_buf_printf(&line, ",\"x\":%d,\"y\":%d", s->exec.x, s->exec.y);
    if (s->exec.has_end)
        rc |= tl_buf_printf(&line, ",\"x2\":%d,\"y2\":%d", s->exec.x2, s->exec.y2);
    rc |= tl_buf_puts(&line, ",\"result\":");
    rc |= tl_json_cstr(&line, result);
    rc |= tl_buf_printf(&line,
                        ",\"timings\":{\"observe_ms\":%ld,\"llm_ms\":%ld,\"act_ms\":%ld,"
                        "\"settle_ms\":%ld,",
                        s->observe_ms, s->llm_ms, s->act_ms, s->settle_ms);
    if (s->settled >= 0)
        rc |= tl_buf_printf(&line, "\"settled\":%s,", s->settled ? "true" : "false");
    rc |= tl_buf_printf(&line, "\"step_ms\":%ld}}", step_ms);
    tl_error err;
    tl_error_clear(&err);
    if (rc == TL_OK)
        rc = tl_trace_line(r->trace, line.data, line.len, &err);
    if (rc == TL_OK) {
        tl_report_step rs = {
            .step = step,
            .time = s->time,
            .package = s->package,
            .screenshot = s->screenshot[0] ? s->screenshot : NULL,
            .screen_w = s->screen_w,
            .screen_h = s->screen_h,
            .action = action,
            .action_text = action_text,
            .result = result,
            .reasoning = reasoning,
            .errors = errors[0] ? errors : NULL,
            .has_rect = s->has_rect,
            .rect = s->rect,
            .has_point = s->exec.has_point,
            .x = s->exec.x,
            .y = s->exec.y,
            .has_end = s->exec.has_end,
            .x2 = s->exec.x2,
            .y2 = s->exec.y2,
            .llm_ms = s->llm_ms,
            .step_ms = step_ms,
            .prompt_tokens = s->prompt_tokens,
            .completion_tokens = s->completion_tokens,
        };
        if (tl_trace_report_step(r->trace, &rs) != TL_OK)
            rc = TL_ENOMEM;
    }
    if (rc)
        tl_log_error("%s", rc == TL_ENOMEM ? "out of memory writing the trajectory" : err.msg);
    free(action);
    free(action_text);
    free(reasoning);
    free(errors);
    free(result);
    tl_buf_dispose(&act);
    tl_buf_dispose(&line);
    return rc;
}

static void add_history(struct run *r, int step, const struct step_record *s)
{
    tl_action shown;
    shown_action(s, &shown);
    tl_buf line;
    tl_buf_init(&line, 0);
    tl_buf_printf(&line, "%d. ", step);
    if (s->described[0])
        tl_buf_puts(&line, s->described);
    else
        tl_action_describe(&shown, &line);
    tl_buf_printf(&line, " -> %s\n", s->result);
    char *clean = scrubbed(r, line.data);
    if (clean)
        tl_buf_puts(&r->history, clean);
    free(clean);
    r->history_lines++;
    tl_buf_dispose(&line);
}

static void progress(struct run *r, int step, const struct step_record *s)
{
    if (tl_log_level() < TL_LOG_INFO)
        return;
    tl_action shown;
    shown_action(s, &shown);
    tl_buf line;
    tl_buf_init(&line, 0);
    tl_buf_printf(&line, "step %d/%d: ", step, r->cfg->max_steps);
    if (s->described[0])
        tl_buf_puts(&line, s->described);
    else
        tl_action_describe(&shown, &line);
    tl_buf_printf(&line, " -> %s (LLM %.1f s%s)", s->result, (double)s->llm_ms / 1000.0,
                  s->retries ? ", after refused answers" : "");
    char *clean = scrubbed(r, line.data);
    tl_log(TL_LOG_INFO, "%s", clean ? clean : "");
    if (s->reasoning && tl_log_level() >= TL_LOG_DEBUG) {
        char *why = scrubbed(r, s->reasoning);
        tl_log(TL_LOG_DEBUG, "  reasoning: %s", why ? why : "");
        free(why);
    }
    free(clean);
    tl_buf_dispose(&line);
}

/* The element an action targets, as a short line, and its box. */
static void describe_target(const struct run *r, struct step_record *s)
{
    tl_buf text;
    tl_buf_init(&text, 0);
    const tl_ui_view *view = r->have_frame ? &r->frame.view : NULL;
    if (tl_exec_describe_view(r->ui, &s->action, &s->exec, view, &text) == TL_OK && text.data) {
        size_t n = text.len < sizeof(s->described) - 4 ? text.len : sizeof(s->described) - 4;
        memcpy(s->described, text.data, n);
        s->described[n] = '\0';
        if (n < text.len)
            strcat(s->described, "...");
    }
    tl_buf_dispose(&text);
    const tl_element *e = tl_exec_element(r->ui, &s->action, &s->exec);
    if (!e)
        return;
    tl_buf line;
    tl_buf_init(&line, 0);
    if (tl_ui_element_line(r->ui, e, &line) == TL_OK && line.data) {
        size_t n = line.len > TARGET_MAX ? TARGET_MAX : line.len;
        memcpy(s->target, line.data, n);
        s->target[n] = '\0';
        if (n < line.len)
            strcat(s->target, "...");
    }
    tl_buf_dispose(&line);
    s->rect = e->visible;
    s->has_rect = true;
}

enum step_end { STEP_NEXT, STEP_STOP };

/*
 * The action in screen pixels: with --vision the model's points are pixels of the image it
 * saw, mapped here to the screen pixel under each image pixel's centre. A shallow copy: its
 * strings belong to `a`. @return TL_OK, or TL_EREJECTED for a point outside the image.
 */
static int on_screen(const struct run *r, const tl_action *a, tl_action *out, tl_error *err)
{
    *out = *a;
    bool points = (a->type == TL_ACT_TAP || a->type == TL_ACT_LONG_PRESS) && a->has_point;
    bool swipe = a->type == TL_ACT_SWIPE;
    if (!r->have_frame || !(points || swipe))
        return TL_OK;
    const tl_ui_view *v = &r->frame.view;
    long xs[2] = {a->x, a->x2}, ys[2] = {a->y, a->y2};
    for (int k = 0; k < (swipe ? 2 : 1); k++)
        if (xs[k] < 0 || ys[k] < 0 || xs[k] >= v->view_w || ys[k] >= v->view_h)
            return tl_error_set(err, TL_EREJECTED,
                                "point (%ld,%ld) is outside the %dx%d screenshot", xs[k], ys[k],
                                v->view_w, v->view_h);
    tl_ui_from_view(v, a->x, a->y, &out->x, &out->y);
    if (swipe)
        tl_ui_from_view(v, a->x2, a->y2, &out->x2, &out->y2);
    return TL_OK;
}

/* Ask the model until it gives a usable action (or the retries run out). */
static int plan(struct run *r, int step, struct step_record *s, enum step_end *end)
{
    tl_chat chat = {0};
    tl_error err;
    tl_error_clear(&err);
    int rc = start_chat(r, step, &chat);
    if (rc) {
        finish(r, TL_ENOMEM, "error", false, "out of memory building the prompt");
        *end = STEP_STOP;
        tl_chat_dispose(&chat);
        return TL_ENOMEM;
    }
    for (int attempt = 0;; attempt++) {
        long remaining = r->cfg->timeout_ms - (tl_now_ms() - r->start_ms);
        if (remaining <= 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "the goal was not achieved within the time budget (%ld s)",
                     r->cfg->timeout_ms / 1000);
            finish(r, TL_OK, "timeout", false, msg);
            *end = STEP_STOP;
            break;
        }
        tl_llm_set_deadline(r->llm, remaining);
        tl_llm_reply reply;
        memset(&reply, 0, sizeof(reply));
        rc = tl_llm_complete(r->llm, &chat, &reply, &err);
        if (rc) {
            tl_llm_reply_dispose(&reply);
            *end = STEP_STOP;
            if (rc == TL_ECANCELED || canceled(r)) {
                char msg[64];
                snprintf(msg, sizeof(msg), "interrupted at step %d", step);
                finish(r, TL_ECANCELED, "interrupted", false, msg);
            } else if (rc == TL_ETIMEOUT && r->cfg->timeout_ms - (tl_now_ms() - r->start_ms) <= 0) {
                char msg[128];
                snprintf(msg, sizeof(msg),
                         "the goal was not achieved within the time budget (%ld s)",
                         r->cfg->timeout_ms / 1000);
                finish(r, TL_OK, "timeout", false, msg);
                rc = TL_OK;
            } else {
                char msg[TL_ERROR_MSG_MAX + 32];
                snprintf(msg, sizeof(msg), "step %d: %s", step, err.msg);
                finish(r, rc, "error", false, msg);
            }
            break;
        }
        s->llm_ms += reply.latency_ms;
        s->prompt_tokens += reply.prompt_tokens;
        s->completion_tokens += reply.completion_tokens;
        r->res->prompt_tokens += reply.prompt_tokens;
        r->res->completion_tokens += reply.completion_tokens;
        free(s->reasoning);
        s->reasoning = reply.content ? tl_strdup(reply.content) : NULL;

        tl_action_dispose(&s->action);
        tl_error why;
        tl_error_clear(&why);
        int arc = tl_llm_reply_action(&reply, &s->action, &why);
        if (arc == TL_OK && s->action.type == TL_ACT_DONE) {
            /* The schema describes what a goal achieved returns; a model that gives up
             * (success false) without an output is not asked for one, and its reason kept. */
            if (r->cfg->output_schema && (s->action.success || s->action.output)) {
                arc = tl_schema_validate(r->cfg->output_schema, s->action.output,
                                         s->action.output ? strlen(s->action.output) : 0, &why);
                if (arc)
                    tl_error_prefix(&why, "done's output does not match the output schema: ");
            }
        } else if (arc == TL_OK) {
            tl_action dev;
            arc = on_screen(r, &s->action, &dev, &why);
            if (arc == TL_OK)
                arc = tl_exec_resolve(r->ui, &dev, &s->exec, &why);
        } else if (reply.refusal) {
            tl_error_set(&why, TL_EPARSE, "the model refused: %s", reply.refusal);
        }
        if (arc == TL_OK) {
            s->have_action = true;
            if (s->exec.secret)
                remember_secret(r, s->action.text);
            tl_llm_reply_dispose(&reply);
            break;
        }
        tl_buf_puts(&s->errors, why.msg);
        tl_buf_putc(&s->errors, '\n');
        tl_log(TL_LOG_INFO, "step %d: answer refused: %s", step, why.msg);
        if (attempt >= r->max_retries) {
            char msg[TL_ERROR_MSG_MAX + 96];
            snprintf(msg, sizeof(msg),
                     "the model gave no usable action at step %d after %d answers (last: %s)", step,
                     attempt + 1, why.msg);
            finish(r, TL_OK, "failed", false, msg);
            snprintf(s->result, sizeof(s->result), "no usable action");
            tl_llm_reply_dispose(&reply);
            *end = STEP_STOP;
            break;
        }
        s->retries++;
        rc = send_back(&chat, &reply, why.msg);
        tl_llm_reply_dispose(&reply);
        if (rc) {
            finish(r, TL_ENOMEM, "error", false, "out of memory");
            *end = STEP_STOP;
            break;
        }
    }
    tl_chat_dispose(&chat);
    return rc;
}

static void check_stuck(struct run *r, uint64_t screen, const struct step_record *s)
{
    tl_buf act;
    tl_buf_init(&act, 0);
    tl_action_to_json(&s->action, &act);
    uint64_t sig = hash64(act.data ? act.data : "", act.len, screen);
    tl_buf_dispose(&act);
    r->repeats = sig == r->prev_sig ? r->repeats + 1 : 1;
    r->prev_sig = sig;
    r->hint[0] = '\0';
    if (r->repeats >= TL_RUN_STUCK_HINT) {
        tl_buf what;
        tl_buf_init(&what, 0);
        tl_action shown;
        shown_action(s, &shown);
        tl_action_describe(&shown, &what);
        snprintf(r->hint, sizeof(r->hint),
                 "you did `%s` %d times in a row on the same screen and it changed nothing. "
                 "Do something else: another element, scrolling, going back, or done with "
                 "success false if the goal cannot be reached.",
                 what.data ? what.data : "", r->repeats);
        tl_buf_dispose(&what);
    }
}

/* ---- the run ------------------------------------------------------------------------------ */

void tl_run_result_dispose(tl_run_result *r)
{
    if (!r)
        return;
    free(r->message);
    free(r->output);
    free(r->trajectory);
    memset(r, 0, sizeof(*r));
}

static void step_record_dispose(struct step_record *s)
{
    tl_buf_dispose(&s->errors);
    free(s->reasoning);
    tl_action_dispose(&s->action);
}

static bool wants_screenshots(const struct run *r)
{
    return (r->trace || r->cfg->vision) && (tl_driver_caps(r->drv) & TL_DRIVER_CAP_SCREENSHOT);
}

/*
 * The screenshot of the current (settled) screen, for the trajectory and, with --vision, for
 * the model: decoded once, scaled, marked and encoded into r->frame, which is then also what
 * the trajectory keeps (the image the model saw). A screenshot that cannot be had or decoded
 * is logged and the step goes on with the listing alone.
 */
static void take_screenshot(struct run *r, int step, struct step_record *s)
{
    r->have_frame = false;
    if (!wants_screenshots(r))
        return;
    tl_observation shot;
    tl_observation_init(&shot);
    tl_error err;
    tl_error_clear(&err);
    int rc = TL_OK;
    const tl_observation *o = &r->obs; /* fetched with the tree: the usual case */
    if (!r->shot_fresh) {
        /* the last poll was not the one expected to be: fetch it now */
        rc = tl_driver_observe(r->drv, TL_OBSERVE_SCREENSHOT, &shot, &err);
        o = &shot;
    }
    if (rc == TL_OK && r->cfg->vision) {
        rc = tl_vision_prepare(&r->frame, o->screenshot.data, o->screenshot.len, r->ui,
                               &r->cfg->vision_opts, &err);
        tl_buf_clear(&r->image_url);
        if (rc == TL_OK && tl_vision_data_url(&r->frame, &r->image_url) != TL_OK)
            rc = tl_error_set(&err, TL_ENOMEM, "out of memory encoding the screenshot");
        if (rc == TL_OK) {
            r->have_frame = true;
            s->image_w = r->frame.view.view_w;
            s->image_h = r->frame.view.view_h;
            s->image_bytes = r->frame.encoded.len;
            tl_log(TL_LOG_DEBUG,
                   "step %d: image %dx%d, %zu bytes, %d marks (decode %ld us, scale %ld us, "
                   "marks %ld us, encode %ld us)",
                   step, s->image_w, s->image_h, s->image_bytes, r->frame.marks, r->frame.decode_us,
                   r->frame.scale_us, r->frame.marks_us, r->frame.encode_us);
        }
    }
    if (rc == TL_OK && r->trace) {
        if (r->have_frame)
            rc = tl_trace_image(r->trace, step, r->frame.encoded.data, r->frame.encoded.len,
                                tl_image_mime(r->frame.format), s->screenshot,
                                sizeof(s->screenshot), &err);
        else
            rc = tl_trace_screenshot(r->trace, step, o, s->screenshot, sizeof(s->screenshot), &err);
    }
    if (rc != TL_OK)
        tl_log(TL_LOG_INFO, "step %d: no screenshot: %s", step, err.msg);
    tl_observation_dispose(&shot);
}

static void run_steps(struct run *r)
{
    const tl_run_config *cfg = r->cfg;
    tl_error err;
    tl_error_clear(&err);
    long long t0 = tl_now_ms();
    int rc = observe_tree(r, true, &err);
    long observe_ms = tl_now_ms() - t0;
    if (rc) {
        finish(r, rc, rc == TL_ECANCELED ? "interrupted" : "error", false, err.msg);
        return;
    }
    for (int step = 1;; step++) {
        if (canceled(r)) {
            char msg[64];
            snprintf(msg, sizeof(msg), "interrupted at step %d", step);
            finish(r, TL_ECANCELED, "interrupted", false, msg);
            return;
        }
        if (step > cfg->max_steps) {
            char msg[128];
            snprintf(msg, sizeof(msg),
                     "the goal was not achieved within the step budget (%d steps)", cfg->max_steps);
            finish(r, TL_OK, "max_steps", false, msg);
            return;
        }
        long long step_t0 = tl_now_ms();
        struct step_record s;
        memset(&s, 0, sizeof(s));
        s.settled = -1;
        tl_buf_init(&s.errors, 0);
        tl_action_init(&s.action);
        utc_now(s.time);
        const tl_ui_info *in = tl_ui_get_info(r->ui);
        snprintf(s.package, sizeof(s.package), "%s", in->package);
        s.elements = tl_ui_count(r->ui);
        s.screen_w = in->screen_w;
        s.screen_h = in->screen_h;
        s.observe_ms = observe_ms;
        snprintf(s.result, sizeof(s.result), "ok");
        take_screenshot(r, step, &s);
        if (r->trace && tl_trace_index(r->trace, step, r->ui, &err) != TL_OK)
            tl_log(TL_LOG_INFO, "%s", err.msg);
        uint64_t screen_before = r->screen;

        enum step_end end = STEP_NEXT;
        plan(r, step, &s, &end);
        r->res->steps = step;
        if (end == STEP_STOP) {
            /* A step stopped before the model said anything is not a step of the run: the
             * result counts the steps the trajectory holds. */
            if (s.retries || s.have_action || s.reasoning)
                write_line(r, step, &s, tl_now_ms() - step_t0);
            else
                r->res->steps = step - 1;
            step_record_dispose(&s);
            return;
        }
        describe_target(r, &s);

        if (s.action.type == TL_ACT_DONE) {
            snprintf(s.result, sizeof(s.result), "ok");
            progress(r, step, &s);
            finish(r, TL_OK, s.action.success ? "completed" : "failed", s.action.success,
                   s.action.message);
            if (s.action.output) {
                r->res->output = scrubbed(r, s.action.output);
            }
            write_line(r, step, &s, tl_now_ms() - step_t0);
            step_record_dispose(&s);
            return;
        }

        long long act_t0 = tl_now_ms();
        tl_action dev;
        rc = on_screen(r, &s.action, &dev, &err); /* checked in plan(): cannot fail here */
        if (rc == TL_OK)
            rc = tl_policy_check(cfg->policy, &dev, in->package, &err);
        if (rc == TL_OK)
            rc = tl_exec(r->drv, r->ui, &dev, cfg->cancel, &s.exec, &err);
        s.act_ms = tl_now_ms() - act_t0;
        r->last_failure[0] = '\0';
        bool stop = false;
        if (rc == TL_EREJECTED || rc == TL_EUSAGE) {
            /* the device refused: the model hears about it in the next step */
            snprintf(s.result, sizeof(s.result), "error: %s", err.msg);
            snprintf(r->last_failure, sizeof(r->last_failure), "%s", err.msg);
        } else if (rc == TL_ECANCELED) {
            char msg[64];
            snprintf(msg, sizeof(msg), "interrupted at step %d", step);
            finish(r, TL_ECANCELED, "interrupted", false, msg);
            snprintf(s.result, sizeof(s.result), "interrupted");
            stop = true;
        } else if (rc) {
            char msg[TL_ERROR_MSG_MAX + 32];
            snprintf(msg, sizeof(msg), "step %d: %s", step, err.msg);
            finish(r, rc, "error", false, msg);
            snprintf(s.result, sizeof(s.result), "error: %s", err.msg);
            stop = true;
        }
        if (!stop) {
            rc = settle(r, &s.settle_ms, &s.settled, &err);
            if (rc == TL_OK && s.settled == 0)
                tl_log(TL_LOG_INFO,
                       "step %d: the screen was still changing after %ld ms; going on with the "
                       "last observation",
                       step, s.settle_ms);
            if (rc) {
                char msg[TL_ERROR_MSG_MAX + 32];
                snprintf(msg, sizeof(msg), "step %d: %s", step, err.msg);
                finish(r, rc, rc == TL_ECANCELED ? "interrupted" : "error", false, msg);
                stop = true;
            }
        }
        observe_ms = s.settle_ms;
        progress(r, step, &s);
        add_history(r, step, &s);
        write_line(r, step, &s, tl_now_ms() - step_t0);
        if (!stop)
            check_stuck(r, screen_before, &s);
        if (!stop && r->repeats >= TL_RUN_STUCK_STOP) {
            tl_buf what;
            tl_buf_init(&what, 0);
            tl_action shown;
            shown_action(&s, &shown);
            tl_action_describe(&shown, &what);
            char msg[512];
            snprintf(msg, sizeof(msg), "stuck: `%s` on the same screen %d times in a row",
                     what.data ? what.data : "", r->repeats);
            finish(r, TL_OK, "failed", false, msg);
            tl_buf_dispose(&what);
            stop = true;
        }
        step_record_dispose(&s);
        if (stop)
            return;
    }
}

int tl_run_result_json(const tl_run_result *r, const char *device, const char *driver, tl_buf *out)
{
    int rc = tl_buf_printf(out, "{\"success\":%s,\"status\":\"%s\",\"message\":",
                           r->success ? "true" : "false", r->status ? r->status : "error");
    rc |= tl_json_cstr(out, r->message ? r->message : "");
    rc |= tl_buf_puts(out, ",\"output\":");
    rc |= tl_buf_puts(out, r->output ? r->output : "null");
    rc |= tl_buf_printf(out, ",\"steps\":%d,\"device\":", r->steps);
    rc |= tl_json_cstr(out, device ? device : "");
    rc |= tl_buf_puts(out, ",\"driver\":");
    rc |= tl_json_cstr(out, driver ? driver : "");
    rc |= tl_buf_puts(out, ",\"trajectory\":");
    rc |= tl_json_cstr(out, r->trajectory);
    rc |= tl_buf_printf(out,
                        ",\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld},"
                        "\"duration_ms\":%ld}",
                        r->prompt_tokens, r->completion_tokens, r->duration_ms);
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_run_exit_code(const tl_run_result *r)
{
    if (r->status && strcmp(r->status, "interrupted") == 0)
        return TL_EXIT_INTR;
    if (r->status && strcmp(r->status, "error") == 0) {
        int cls = tl_exit_class(r->code);
        return cls == TL_EXIT_OK || cls == TL_EXIT_FAIL ? TL_EXIT_INFRA : cls;
    }
    return r->success ? TL_EXIT_OK : TL_EXIT_FAIL;
}

int tl_run(tl_driver *drv, tl_llm *llm, const tl_run_config *cfg, tl_run_result *res)
{
    memset(res, 0, sizeof(*res));
    struct run r;
    memset(&r, 0, sizeof(r));
    r.drv = drv;
    r.llm = llm;
    r.cfg = cfg;
    r.res = res;
    r.start_ms = tl_now_ms();
    utc_now(r.started);
    r.max_retries = cfg->max_retries > 0 ? cfg->max_retries : TL_RUN_MAX_RETRIES;
    tl_buf_init(&r.history, 0);
    tl_buf_init(&r.listing, 0);
    tl_buf_init(&r.view_listing, 0);
    tl_buf_init(&r.image_url, 0);
    tl_buf_init(&r.indexed_tree, (size_t)64 << 20); /* the cap of obs.tree: they swap */
    tl_vision_frame_init(&r.frame);
    tl_observation_init(&r.obs);
    r.ui = tl_ui_new();
    tl_error err;
    tl_error_clear(&err);
    if (!r.ui) {
        finish(&r, TL_ENOMEM, "error", false, "out of memory");
    } else if (cfg->out_dir && tl_trace_open(&r.trace, cfg->out_dir, &err) != TL_OK) {
        finish(&r, err.code, "error", false, err.msg);
    } else {
        if (r.trace)
            res->trajectory = tl_strdup(cfg->out_dir);
        run_steps(&r);
    }
    res->duration_ms = tl_now_ms() - r.start_ms;
    if (r.trace) {
        tl_buf json;
        tl_buf_init(&json, 0);
        tl_run_result_json(res, tl_driver_device(drv), tl_driver_name(drv), &json);
        char *goal = scrubbed(&r, cfg->goal);
        tl_report_run run = {
            .goal = goal,
            .status = res->status,
            .message = res->message,
            .output = res->output,
            .driver = tl_driver_name(drv),
            .device = tl_driver_device(drv),
            .model = cfg->model,
            .started = r.started,
            .steps = res->steps,
            .duration_ms = res->duration_ms,
            .prompt_tokens = res->prompt_tokens,
            .completion_tokens = res->completion_tokens,
        };
        if (tl_trace_finish(r.trace, json.data ? json.data : "{}", &run, &err) != TL_OK)
            tl_log_error("%s", err.msg);
        free(goal);
        tl_buf_dispose(&json);
        tl_trace_close(r.trace);
    }
    for (int i = 0; i < r.nsecrets; i++)
        tl_str_wipe_free(r.secrets[i]);
    tl_buf_dispose(&r.history);
    tl_buf_dispose(&r.listing);
    tl_buf_dispose(&r.view_listing);
    tl_buf_dispose(&r.image_url);
    tl_buf_dispose(&r.indexed_tree);
    tl_vision_frame_dispose(&r.frame);
    tl_observation_dispose(&r.obs);
    tl_ui_free(r.ui);
    return res->code;
}
