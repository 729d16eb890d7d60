/*
 * test_sim_delay.c - timed transitions of the sim phone (a screen's "after", docs/sim-model.md):
 * a loading screen that turns into its content by itself.
 *
 * The behaviour is tested on the phone's state functions with explicit times (sim_advance and
 * sim_note_entry take the time as an argument), so those tests do not depend on the machine's
 * speed at all. The driver tests then check that the clocks are wired in: monotonic for an
 * in-process phone, wall-clock timestamps in the state file of a persisted one. Where a real
 * clock is involved, a test only asserts what must hold however slow the machine is (a screen
 * observed before the delay shows "Loading…" only if the test measured that it was before).
 *
 * The model is tests/fixtures/sim/loading.json: Inbox shows Loading… for 150 ms, Archive for
 * 500 ms, Outbox fills in on the same screen after 150 ms, Sync changes every 100 ms for 1 s.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/ui.h"
#include "core/clock.h"
#include "drivers/driver.h"
#include "drivers/sim/sim_int.h"

#define MODEL   TL_FIXTURES "/sim/loading.json"
#define PACKAGE "com.example.mail"

/* ---- the phone's state, with explicit times ------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

typedef struct phone_state {
    struct sim_model *m;
    struct sim_state st;
    tl_error err;
} phone_state;

static void ps_open_text(phone_state *p, const char *json)
{
    memset(p, 0, sizeof(*p));
    int rc = sim_model_load(&p->m, json, strlen(json), "test", &p->err);
    cr_assert_eq(rc, TL_OK, "%s", p->err.msg);
    cr_assert_eq(sim_state_init(&p->st, p->m, &p->err), TL_OK, "%s", p->err.msg);
}

static void ps_open(phone_state *p)
{
    char *json = slurp(MODEL, NULL);
    ps_open_text(p, json);
    free(json);
}

static void ps_close(phone_state *p)
{
    sim_state_dispose(&p->st, p->m);
    sim_model_free(p->m);
}

/* The id of the screen in front, or "" (launcher, recents). */
static const char *ps_front(const phone_state *p)
{
    struct sim_front f = sim_front_of(&p->st);
    return f.screen >= 0 ? p->m->screens[f.screen].id : "";
}

/* What the phone shows at `now`: run what is due, then name the front screen. */
static const char *ps_at(phone_state *p, long long now)
{
    cr_assert_eq(sim_advance(p->m, &p->st, now, &p->err), TL_OK, "%s", p->err.msg);
    return ps_front(p);
}

/* An input at `now`, the way the driver wraps each one. */
#define PS_INPUT(p, now, call)                                                \
    do {                                                                      \
        cr_assert_eq(sim_advance((p)->m, &(p)->st, (now), &(p)->err), TL_OK); \
        struct sim_front before_ = sim_front_of(&(p)->st);                    \
        int rc_ = (call);                                                     \
        sim_note_entry(&(p)->st, &before_, (now));                            \
        cr_assert_eq(rc_, TL_OK, "%s", (p)->err.msg);                         \
    } while (0)

static void ps_start(phone_state *p, long long now, const char *activity)
{
    PS_INPUT(p, now, sim_start_app(p->m, &p->st, PACKAGE, activity, &p->err));
}

static void ps_back(phone_state *p, long long now)
{
    PS_INPUT(p, now, sim_key(p->m, &p->st, TL_KEY_BACK, &p->err));
}

static bool var_true(const phone_state *p, const char *name)
{
    int v = sim_model_var(p->m, name);
    cr_assert_geq(v, 0);
    return p->st.vars[v].b;
}

Test(sim_delay, screen_turns_into_its_content_after_the_delay)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 10000, ".InboxActivity");
    cr_assert_str_eq(ps_front(&p), "inbox_loading");
    cr_assert_str_eq(ps_at(&p, 10000), "inbox_loading");
    cr_assert_str_eq(ps_at(&p, 10149), "inbox_loading", "one millisecond early");
    cr_assert_str_eq(ps_at(&p, 10150), "inbox", "due at entered + 150 ms");
    cr_assert_str_eq(ps_at(&p, 99999), "inbox", "the content stays");
    /* replace: the loading screen left the task, back goes to what was below it */
    cr_assert_eq(p.st.tasks[p.st.ntasks - 1].depth, 1);
    ps_close(&p);
}

Test(sim_delay, a_late_look_sees_the_end_of_a_chain)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 0, ".SyncActivity");
    cr_assert_str_eq(ps_at(&p, 99), "sync_1");
    cr_assert_str_eq(ps_at(&p, 350), "sync_4");
    /* each link ran as of its due time, however rarely the phone was looked at */
    cr_assert_eq(p.st.entered_ms, 300);
    cr_assert_str_eq(ps_at(&p, 999), "sync_10");
    cr_assert_str_eq(ps_at(&p, 1000), "synced");
    cr_assert_eq(p.st.entered_ms, 1000);

    /* looked at only once, long after: the same end, in one call */
    phone_state q;
    ps_open(&q);
    ps_start(&q, 0, ".SyncActivity");
    cr_assert_str_eq(ps_at(&q, 3600000), "synced");
    cr_assert_eq(q.st.entered_ms, 1000);
    ps_close(&q);
    ps_close(&p);
}

Test(sim_delay, leaving_before_the_delay_cancels_the_transition)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 0, NULL);
    cr_assert_str_eq(ps_front(&p), "mailboxes");
    PS_INPUT(&p, 10, sim_start_app(p.m, &p.st, PACKAGE, ".ArchiveActivity", &p.err));
    cr_assert_str_eq(ps_at(&p, 300), "archive_loading");
    ps_back(&p, 400);
    cr_assert_str_eq(ps_front(&p), "mailboxes");
    cr_assert_str_eq(ps_at(&p, 5000), "mailboxes", "the transition ran from another screen");
    /* entering again starts the delay again, from the new entry */
    PS_INPUT(&p, 6000, sim_start_app(p.m, &p.st, PACKAGE, ".ArchiveActivity", &p.err));
    cr_assert_str_eq(ps_at(&p, 6499), "archive_loading");
    cr_assert_str_eq(ps_at(&p, 6500), "archive");
    /* back from the content skips the loading screen it replaced */
    ps_back(&p, 7000);
    cr_assert_str_eq(ps_front(&p), "mailboxes");
    ps_close(&p);
}

Test(sim_delay, the_launcher_in_front_stops_the_clock_of_the_app)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 0, ".InboxActivity");
    PS_INPUT(&p, 100, sim_key(p.m, &p.st, TL_KEY_HOME, &p.err));
    cr_assert_str_eq(ps_at(&p, 1000), "", "the launcher is in front");
    /* resuming the app enters the loading screen again: 150 ms from the resume */
    ps_start(&p, 2000, NULL);
    cr_assert_str_eq(ps_at(&p, 2149), "inbox_loading");
    cr_assert_str_eq(ps_at(&p, 2150), "inbox");
    ps_close(&p);
}

Test(sim_delay, a_transition_that_stays_on_the_screen_runs_once_per_entry)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 0, NULL);
    ps_start(&p, 0, ".OutboxActivity");
    cr_assert_not(var_true(&p, "outbox_loaded"));
    cr_assert_str_eq(ps_at(&p, 149), "outbox");
    cr_assert_not(var_true(&p, "outbox_loaded"));
    cr_assert_str_eq(ps_at(&p, 150), "outbox");
    cr_assert(var_true(&p, "outbox_loaded"));
    cr_assert(p.st.after_done);
    /* not again while the screen stays: a variable changed behind its back stays changed */
    p.st.vars[sim_model_var(p.m, "outbox_loaded")].b = false;
    cr_assert_str_eq(ps_at(&p, 10000), "outbox");
    cr_assert_not(var_true(&p, "outbox_loaded"));
    /* an input that stays on the screen does not restart it */
    PS_INPUT(&p, 10001, sim_swipe(p.m, &p.st, 540, 1500, 540, 900, &p.err));
    cr_assert_str_eq(ps_at(&p, 20000), "outbox");
    cr_assert_not(var_true(&p, "outbox_loaded"));
    /* leaving and coming back does */
    ps_back(&p, 20001);
    cr_assert_str_eq(ps_front(&p), "mailboxes");
    ps_start(&p, 20002, ".OutboxActivity");
    cr_assert_not(p.st.after_done);
    cr_assert_str_eq(ps_at(&p, 20152), "outbox");
    cr_assert(var_true(&p, "outbox_loaded"));
    ps_close(&p);
}

Test(sim_delay, transitions_in_a_loop_are_cut_off)
{
    phone_state p;
    ps_open_text(&p,
                 "{\"name\":\"loop\",\"apps\":[{\"package\":\"a.b\",\"label\":\"A\","
                 "\"start\":\"ping\"}],\"screens\":{"
                 "\"ping\":{\"app\":\"a.b\",\"after\":{\"ms\":1,\"do\":[{\"replace\":\"pong\"}]}},"
                 "\"pong\":{\"app\":\"a.b\",\"after\":{\"ms\":1,\"do\":[{\"replace\":\"ping\"}]}}"
                 "}}");
    PS_INPUT(&p, 0, sim_start_app(p.m, &p.st, "a.b", NULL, &p.err));
    /* an hour of 1 ms laps: bounded work, and the clock goes on from the time asked */
    const char *front = ps_at(&p, 3600000);
    cr_assert(strcmp(front, "ping") == 0 || strcmp(front, "pong") == 0);
    cr_assert_eq(p.st.entered_ms, 3600000);
    ps_close(&p);
}

Test(sim_delay, replace_from_a_tap_stays_in_the_task)
{
    phone_state p;
    ps_open_text(&p, "{\"name\":\"r\",\"apps\":[{\"package\":\"a.b\",\"label\":\"A\","
                     "\"start\":\"one\"}],\"screens\":{"
                     "\"one\":{\"app\":\"a.b\",\"views\":[{\"type\":\"button\",\"text\":\"Next\","
                     "\"on_tap\":[{\"go\":\"two\"}]}]},"
                     "\"two\":{\"app\":\"a.b\",\"views\":[{\"type\":\"button\",\"text\":\"Swap\","
                     "\"on_tap\":[{\"replace\":\"three\"}]}]},"
                     "\"three\":{\"app\":\"a.b\"}}}");
    PS_INPUT(&p, 0, sim_start_app(p.m, &p.st, "a.b", NULL, &p.err));
    struct sim_layout l;
    sim_layout_init(&l);
    for (int i = 0; i < 2; i++) {
        /* the button is the only clickable view: tap its centre */
        cr_assert_eq(sim_layout(&l, p.m, &p.st, &p.err), TL_OK);
        int x = -1, y = -1;
        for (size_t k = 0; k < l.n; k++)
            if (l.nodes[k].role == SIM_R_VIEW && l.nodes[k].clickable) {
                x = (l.nodes[k].bounds.left + l.nodes[k].bounds.right) / 2;
                y = (l.nodes[k].bounds.top + l.nodes[k].bounds.bottom) / 2;
            }
        cr_assert_geq(x, 0);
        PS_INPUT(&p, 10 + i, sim_tap(p.m, &p.st, x, y, false, &p.err));
    }
    sim_layout_dispose(&l);
    cr_assert_str_eq(ps_front(&p), "three");
    cr_assert_eq(p.st.tasks[0].depth, 2, "two replaced in place, above one");
    cr_assert_eq(p.st.entered_ms, 11);
    ps_back(&p, 20);
    cr_assert_str_eq(ps_front(&p), "one");
    ps_close(&p);
}

Test(sim_delay, state_round_trip_keeps_the_clock)
{
    phone_state p;
    ps_open(&p);
    ps_start(&p, 1700000000123LL, ".OutboxActivity");
    cr_assert_str_eq(ps_at(&p, 1700000000273LL), "outbox");
    cr_assert(p.st.after_done);
    tl_buf text;
    tl_buf_init(&text, 0);
    cr_assert_eq(sim_state_save(&p.st, p.m, &text), TL_OK);
    struct sim_state back;
    cr_assert_eq(sim_state_init(&back, p.m, &p.err), TL_OK);
    cr_assert_eq(sim_state_load(&back, p.m, text.data, text.len, &p.err), TL_OK, "%s", p.err.msg);
    cr_assert_eq(back.entered_ms, 1700000000123LL);
    cr_assert(back.after_done);
    sim_state_dispose(&back, p.m);
    tl_buf_dispose(&text);
    ps_close(&p);
}

Test(sim_delay, damaged_clock_in_a_state_is_refused)
{
    phone_state p;
    ps_open(&p);
    tl_buf text;
    tl_buf_init(&text, 0);
    cr_assert_eq(sim_state_save(&p.st, p.m, &text), TL_OK);
    static const char *const bad[][3] = {
        {"\"entered_ms\":0", "\"entered_ms\":\"soon\"", "entered_ms"},
        {"\"entered_ms\":0", "\"entered_ms\":-5", "entered_ms"},
        {"\"entered_ms\":0", "\"entered_ms\":1e300", "entered_ms"},
        {"\"after_done\":false", "\"after_done\":1", "after_done"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *at = strstr(text.data, bad[i][0]);
        cr_assert_not_null(at, "%s not in %s", bad[i][0], text.data);
        char damaged[8192];
        snprintf(damaged, sizeof(damaged), "%.*s%s%s", (int)(at - text.data), text.data, bad[i][1],
                 at + strlen(bad[i][0]));
        struct sim_state st;
        cr_assert_eq(sim_state_init(&st, p.m, &p.err), TL_OK);
        int rc = sim_state_load(&st, p.m, damaged, strlen(damaged), &p.err);
        cr_assert_eq(rc, TL_EPARSE, "%s accepted", bad[i][1]);
        cr_assert_not_null(strstr(p.err.msg, bad[i][2]), "%s", p.err.msg);
        sim_state_dispose(&st, p.m);
    }
    /* a state saved before timed transitions existed: the front screen's is due at once */
    char *old = strdup(text.data);
    cr_assert_not_null(old);
    char *cut = strstr(old, "\"entered_ms\":0,\"after_done\":false,");
    cr_assert_not_null(cut);
    memmove(cut, cut + strlen("\"entered_ms\":0,\"after_done\":false,"),
            strlen(cut + strlen("\"entered_ms\":0,\"after_done\":false,")) + 1);
    struct sim_state st;
    cr_assert_eq(sim_state_init(&st, p.m, &p.err), TL_OK);
    st.entered_ms = 42;
    cr_assert_eq(sim_state_load(&st, p.m, old, strlen(old), &p.err), TL_OK, "%s", p.err.msg);
    cr_assert_eq(st.entered_ms, 0);
    cr_assert_not(st.after_done);
    sim_state_dispose(&st, p.m);
    free(old);
    tl_buf_dispose(&text);
    ps_close(&p);
}

/* ---- through the driver, on the real clocks ------------------------------------------------- */

static char state_home[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(state_home, sizeof(state_home), "/tmp/tl-sim-delay-XXXXXX");
    cr_assert_not_null(mkdtemp(state_home));
    cr_assert_eq(setenv("XDG_STATE_HOME", state_home, 1), 0);
    unsetenv("TAPLOOP_SIM_FORMAT");
}

static void teardown(void)
{
    if (state_home[0])
        nftw(state_home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(sim_delay_driver, .init = setup, .fini = teardown);

typedef struct phone {
    tl_driver *d;
    tl_observation obs;
    tl_ui *ui;
    tl_buf listing;
    tl_error err;
} phone;

static void ph_open(phone *p, bool persist)
{
    memset(p, 0, sizeof(*p));
    tl_observation_init(&p->obs);
    tl_buf_init(&p->listing, 0);
    p->ui = tl_ui_new();
    cr_assert_not_null(p->ui);
    tl_driver_config cfg = {.device = MODEL, .fresh = !persist, .persist = persist};
    cr_assert_eq(tl_driver_open(&p->d, "sim", &cfg, &p->err), TL_OK, "%s", p->err.msg);
}

static void ph_close(phone *p)
{
    tl_driver_close(p->d);
    tl_ui_free(p->ui);
    tl_observation_dispose(&p->obs);
    tl_buf_dispose(&p->listing);
}

/* Observe; the listing is in p->listing. */
static const char *ph_listing(phone *p)
{
    cr_assert_eq(tl_driver_observe(p->d, TL_OBSERVE_TREE, &p->obs, &p->err), TL_OK, "%s",
                 p->err.msg);
    tl_ui_options uo = {.display_w = p->obs.display_w, .display_h = p->obs.display_h};
    cr_assert_eq(tl_ui_parse(p->ui, p->obs.tree.data, p->obs.tree.len, &uo, &p->err), TL_OK);
    tl_buf_clear(&p->listing);
    cr_assert_eq(tl_ui_listing(p->ui, &p->listing), TL_OK);
    return p->listing.data ? p->listing.data : "";
}

static void ph_start(phone *p, const char *activity)
{
    cr_assert_eq(tl_driver_start_app(p->d, PACKAGE, activity, &p->err), TL_OK, "%s", p->err.msg);
}

static void sleep_until(long long t)
{
    while (tl_now_ms() < t)
        cr_assert_eq(tl_sleep_ms((long)(t - tl_now_ms()), NULL), TL_OK);
}

static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

Test(sim_delay_driver, in_process_phone_changes_after_the_delay)
{
    phone p;
    ph_open(&p, false);
    long long before = tl_now_ms();
    ph_start(&p, ".InboxActivity");
    long long after = tl_now_ms();
    const char *first = ph_listing(&p);
    /* the screen was entered between before and after: seen earlier than 150 ms after
     * `before`, it cannot have turned yet (a slower machine just does not check this) */
    if (tl_now_ms() < before + 150) {
        cr_assert_not_null(strstr(first, "\"Loading\xE2\x80\xA6\""), "%s", first);
        cr_assert_null(strstr(first, "Alice Martin"), "%s", first);
    }
    sleep_until(after + 150);
    const char *later = ph_listing(&p);
    cr_assert_null(strstr(later, "Loading"), "%s", later);
    cr_assert_not_null(strstr(later, "\"Alice Martin\""), "%s", later);
    ph_close(&p);
}

Test(sim_delay_driver, a_tap_starts_the_delay)
{
    phone p;
    ph_open(&p, false);
    ph_start(&p, NULL);
    /* tap the Archive row (500 ms) at its tap point */
    ph_listing(&p);
    const tl_element *el = tl_ui_elements(p.ui);
    const tl_element *row = NULL;
    for (size_t i = 0; i < tl_ui_count(p.ui) && !row; i++)
        if (strcmp(el[i].text, "Archive") == 0 && (el[i].flags & TL_EL_TAPPABLE))
            row = &el[i];
    cr_assert_not_null(row, "%s", p.listing.data);
    long long before = tl_now_ms();
    cr_assert_eq(tl_driver_tap(p.d, row->tap_x, row->tap_y, &p.err), TL_OK, "%s", p.err.msg);
    long long after = tl_now_ms();
    const char *first = ph_listing(&p);
    if (tl_now_ms() < before + 500)
        cr_assert_not_null(strstr(first, "Loading"), "%s", first);
    sleep_until(after + 500);
    const char *later = ph_listing(&p);
    cr_assert_not_null(strstr(later, "\"Invoice 2023-11\""), "%s", later);
    ph_close(&p);
}

/* Where a tap on `label` lands, read from another phone that shows `activity` settled. */
static void tap_point(const char *activity, long ms, const char *label, int *x, int *y)
{
    phone q;
    ph_open(&q, false);
    ph_start(&q, activity);
    sleep_until(tl_now_ms() + ms);
    ph_listing(&q);
    const tl_element *el = tl_ui_elements(q.ui);
    *x = -1;
    for (size_t i = 0; i < tl_ui_count(q.ui) && *x < 0; i++)
        if (strcmp(el[i].text, label) == 0 && (el[i].flags & TL_EL_TAPPABLE)) {
            *x = el[i].tap_x;
            *y = el[i].tap_y;
        }
    cr_assert_geq(*x, 0, "%s not in:\n%s", label, q.listing.data);
    ph_close(&q);
}

Test(sim_delay_driver, input_acts_on_the_screen_as_it_is_when_it_comes)
{
    int x, y;
    tap_point(".InboxActivity", 150, "Alice Martin", &x, &y);
    phone p;
    ph_open(&p, false);
    ph_start(&p, ".InboxActivity");
    sleep_until(tl_now_ms() + 150);
    /* nobody looked since the inbox arrived: the tap still lands on its row */
    cr_assert_eq(tl_driver_tap(p.d, x, y, &p.err), TL_OK, "%s", p.err.msg);
    const char *now = ph_listing(&p);
    cr_assert_not_null(strstr(now, "\"Are you free at noon?\""), "%s", now);
    ph_close(&p);
}

/* The saved state of the persisted phone of MODEL: the one model-*.json under sim/. */
static char *state_path(void)
{
    static char path[512];
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/taploop/sim", state_home);
    DIR *dp = opendir(dir);
    cr_assert_not_null(dp, "no %s", dir);
    path[0] = '\0';
    for (struct dirent *de; (de = readdir(dp));) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "model-", 6) == 0 && n > 5 &&
            strcmp(de->d_name + n - 5, ".json") == 0)
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    }
    closedir(dp);
    cr_assert(path[0], "no saved state in %s", dir);
    return path;
}

/* Rewrite the saved state's entered_ms. */
static void set_entered(const char *path, long long ms)
{
    char *text = slurp(path, NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(root);
    cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "entered_ms");
    cr_assert(cJSON_IsNumber(e));
    cJSON_SetNumberValue(e, (double)ms);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(out, 1, strlen(out), f), strlen(out));
    fclose(f);
    free(out);
}

Test(sim_delay_driver, persisted_phone_keeps_wall_clock_time_across_invocations)
{
    phone p;
    ph_open(&p, true);
    ph_start(&p, NULL);
    long long before = wall_ms();
    ph_start(&p, ".ArchiveActivity");
    long long after = wall_ms();
    ph_close(&p); /* the next "invocation" opens the saved phone */

    const char *path = state_path();
    char *text = slurp(path, NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "entered_ms");
    cr_assert(cJSON_IsNumber(e));
    long long entered = (long long)e->valuedouble;
    cJSON_Delete(root);
    cr_assert(entered >= before && entered <= after,
              "entered_ms %lld is not wall-clock time in [%lld, %lld]", entered, before, after);

    /* entered an hour from now (say, a clock set back): not due, whatever this machine's speed */
    set_entered(path, wall_ms() + 3600000);
    ph_open(&p, true);
    cr_assert_not_null(strstr(ph_listing(&p), "Loading"), "%s", p.listing.data);
    ph_close(&p);

    /* entered ten seconds ago: the content arrived while nobody looked */
    set_entered(path, wall_ms() - 10000);
    ph_open(&p, true);
    const char *later = ph_listing(&p);
    cr_assert_not_null(strstr(later, "\"Invoice 2023-11\""), "%s", later);
    ph_close(&p);

    /* and the transition was saved: still the content, with the loading screen gone */
    ph_open(&p, true);
    cr_assert_not_null(strstr(ph_listing(&p), "\"Invoice 2023-11\""));
    cr_assert_eq(tl_driver_press_key(p.d, TL_KEY_BACK, &p.err), TL_OK);
    cr_assert_not_null(strstr(ph_listing(&p), "\"Loads in 500 ms\""), "%s", p.listing.data);
    ph_close(&p);
}

Test(sim_delay_driver, persisted_phone_on_a_real_delay)
{
    phone p;
    ph_open(&p, true);
    ph_start(&p, ".InboxActivity");
    long long after = wall_ms();
    ph_close(&p);
    while (wall_ms() < after + 150)
        cr_assert_eq(tl_sleep_ms(10, NULL), TL_OK);
    ph_open(&p, true);
    const char *later = ph_listing(&p);
    cr_assert_not_null(strstr(later, "\"Alice Martin\""), "%s", later);
    ph_close(&p);
}
