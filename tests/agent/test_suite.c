/*
 * test_suite.c - regression suites (agent/suite.h): the SPEC §7 example loads with every step,
 * strict errors name the file, line, column and key path, --only patterns, selectors with PCRE2
 * regular expressions played on the sim phone (a miss names the step, the selector, the closest
 * candidate and the screenshot), retries (a failing case is tried 1 + retries times; a goal
 * case that fails once then passes, against the scripted LLM, is flaky), exit codes, and the
 * JUnit report parsed back.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/suite.h"
#include "core/fs.h"
#include "core/http.h"

extern char **environ;

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tl_suite_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    char state[300];
    snprintf(state, sizeof state, "%s/state", tmpdir);
    setenv("XDG_STATE_HOME", state, 1);
    unsetenv("TAPLOOP_TAP_OFFSET");
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(agent_suite, .init = setup, .fini = teardown);

static int load(tl_suite *s, const char *text, tl_error *err)
{
    tl_error_clear(err);
    return tl_suite_parse(s, text, strlen(text), "dir/s.yaml", err);
}

static const char spec_example[] =
    "name: settings-smoke\n"
    "driver: sim\n"
    "device: sim\n"
    "cases:\n"
    "  - name: dark theme by goal            # LLM-driven case\n"
    "    launch: com.android.settings\n"
    "    goal: Turn on Dark theme\n"
    "    max_steps: 15\n"
    "    expect:                             # checked on the final screen\n"
    "      - checked: {text: Dark theme}\n"
    "  - name: dark theme by steps           # deterministic case, no LLM\n"
    "    retries: 2\n"
    "    steps:\n"
    "      - launch: com.android.settings\n"
    "      - tap: {text: Display}\n"
    "      - tap: {text: \"/^Dark (theme|mode)$/\"}\n"
    "      - wait_for: {text: Dark theme, checked: true, timeout_ms: 5000}\n"
    "      - assert_visible: {text: Dark theme}\n"
    "      - assert_not_visible: {text: Error}\n"
    "      - type: {text: hello, into: {id: \"com.example:id/search\"}}\n"
    "      - press: back\n"
    "      - scroll: down\n"
    "      - long_press: {desc: Menu, duration_ms: 1200}\n"
    "      - swipe: {start_x: 540, start_y: 1800, end_x: 540, end_y: 600}\n"
    "      - assert_checked: {text: Dark theme, value: false}\n"
    "      - assert_text: {id: title, value: \"/^Disp/i\"}\n";

Test(agent_suite, spec_example)
{
    tl_suite s;
    tl_error err;
    cr_assert_eq(load(&s, spec_example, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(s.name, "settings-smoke");
    cr_assert_str_eq(s.driver, "sim");
    cr_assert_str_eq(s.device, "sim");
    cr_assert_eq(s.n_cases, 2);
    const tl_suite_case *g = &s.cases[0], *c = &s.cases[1];
    cr_assert_str_eq(g->goal, "Turn on Dark theme");
    cr_assert_str_eq(g->launch, "com.android.settings");
    cr_assert_eq(g->max_steps, 15);
    cr_assert_eq(g->retries, -1);
    cr_assert_eq(g->n_expect, 1);
    cr_assert_eq(g->expect[0].kind, TL_STEP_ASSERT_CHECKED);
    cr_assert(g->expect[0].want);
    cr_assert_null(c->goal);
    cr_assert_eq(c->retries, 2);
    cr_assert_eq(c->n_steps, 13);
    static const tl_suite_step_kind kinds[] = {
        TL_STEP_LAUNCH,
        TL_STEP_TAP,
        TL_STEP_TAP,
        TL_STEP_WAIT_FOR,
        TL_STEP_ASSERT_VISIBLE,
        TL_STEP_ASSERT_NOT_VISIBLE,
        TL_STEP_TYPE,
        TL_STEP_PRESS,
        TL_STEP_SCROLL,
        TL_STEP_LONG_PRESS,
        TL_STEP_SWIPE,
        TL_STEP_ASSERT_CHECKED,
        TL_STEP_ASSERT_TEXT,
    };
    for (size_t i = 0; i < 13; i++)
        cr_assert_eq(c->steps[i].kind, kinds[i], "step %zu", i);
    cr_assert_str_eq(c->steps[0].value, "com.android.settings");
    cr_assert_eq(c->steps[3].timeout_ms, 5000);
    cr_assert_eq(c->steps[3].line, 17);
    cr_assert_str_eq(c->steps[6].value, "hello");
    cr_assert_not_null(c->steps[6].sel);
    cr_assert_eq(c->steps[7].key, TL_KEY_BACK);
    cr_assert_eq(c->steps[8].direction, TL_DIR_DOWN);
    cr_assert_eq(c->steps[9].duration_ms, 1200);
    cr_assert_eq(c->steps[10].y2, 600);
    cr_assert_not(c->steps[11].want);
    cr_assert_str_eq(c->steps[12].value, "/^Disp/i");
    cr_assert_str_eq(c->steps[2].label, "cases[1].steps[2] tap {text: \"/^Dark (theme|mode)$/\"}");
    tl_suite_dispose(&s);

    /* without a name, the file's */
    cr_assert_eq(load(&s, "cases: [{name: a, steps: [{press: home}]}]\n", &err), TL_OK, "%s",
                 err.msg);
    cr_assert_str_eq(s.name, "s");
    cr_assert_str_eq(s.path, "dir/s.yaml");
    tl_suite_dispose(&s);
}

static void refused(const char *text, const char *msg)
{
    tl_suite s;
    tl_error err;
    cr_assert_eq(load(&s, text, &err), TL_EPARSE, "accepted: %s", text);
    cr_assert(strstr(err.msg, msg), "wanted \"%s\" in \"%s\"", msg, err.msg);
    tl_suite_dispose(&s);
}

Test(agent_suite, strict_errors)
{
    refused("cases: []\n", "dir/s.yaml:1:8: cases: the case list is empty");
    refused("name: x\n", "dir/s.yaml:1:1: missing required key \"cases\"");
    refused("cases: [{name: a, steps: []}]\n", "1:26: cases[0].steps: the step list is empty");
    refused("cases:\n  - name: a\n    steps:\n      - tap: {txt: Display}\n",
            "dir/s.yaml:4:15: cases[0].steps[0].tap.txt: unknown key (known: text, desc");
    refused("cases:\n  - name: a\n    steps:\n      - tap: {text: \"/(unclosed/\"}\n",
            "dir/s.yaml:4:21: cases[0].steps[0].tap.text: selector text: bad regular expression");
    refused("cases:\n  - name: a\n    retries: many\n    goal: x\n",
            "dir/s.yaml:3:14: cases[0].retries: expected an integer (0..100), not \"many\"");
    refused("cases:\n  - steps: [{press: back}]\n", "2:5: cases[0]: missing required key \"name\"");
    refused("cases:\n  - name: a\n    steps: [{press: bak}]\n",
            "3:21: cases[0].steps[0].press: unknown key \"bak\"");
    refused("cases:\n  - name: a\n    steps: [{tap: {text: a}, press: back}]\n",
            "3:13: cases[0].steps[0]: expected a step as a mapping with one key");
    refused("cases:\n  - name: a\n    steps: [{click: {text: a}}]\n",
            "3:14: cases[0].steps[0].click: unknown step");
    refused("cases:\n  - name: a\n    steps: [{wait_for: {text: a, timeout_ms: \"5\"}}]\n",
            "cases[0].steps[0].wait_for.timeout_ms: expected an integer (0..600000)");
    refused("cases:\n  - name: a\n    steps: [{tap: {checked: yes}}]\n",
            "cases[0].steps[0].tap.checked: expected true or false");
    refused("cases:\n  - name: a\n    steps: [{tap: {}}]\n", "the selector is empty");
    refused("cases:\n  - name: a\n    steps: [{assert_text: {id: title}}]\n",
            "cases[0].steps[0].assert_text: missing required key \"value\"");
    refused("cases:\n  - name: a\n    steps: [{type: {into: {id: x}}}]\n",
            "cases[0].steps[0].type: missing required key \"text\"");
    refused("cases:\n  - name: a\n    steps: [{scroll: sideways}]\n", "unknown direction");
    refused("cases:\n  - name: a\n    steps: [{swipe: {start_x: 1, start_y: 2, end_x: 3}}]\n",
            "missing required key \"end_y\"");
    refused("cases:\n  - name: a\n  - name: a\n    goal: y\n", "cases[0]: missing \"goal\"");
    refused("cases:\n  - {name: a, goal: x}\n  - {name: a, goal: y}\n",
            "3:12: cases[1].name: case \"a\" is named twice (also cases[0])");
    refused("cases:\n  - {name: a, goal: x, steps: [{press: back}]}\n", "goal or steps, not both");
    refused("cases:\n  - {name: a, goal: x, expect: [{visible: {text: a}, x: 1}]}\n",
            "cases[0].expect[0]: expected a check");
    refused("cases:\n  - {name: a, goal: x, expect: [{tap: {text: a}}]}\n",
            "cases[0].expect[0].tap: unknown check");
    refused("driver: simm\ncases: [{name: a, goal: x}]\n", "1:9: driver: unknown driver");
    refused("cases: [{name: a, goal: x}]\ncasess: 1\n", "2:1: casess: unknown key");
    refused("cases: {name: a}\n", "cases: expected a list of cases, not a mapping");
    refused("cases: [{name: a, steps: [{press: back}], timeout: 5}]\n",
            "timeout is the time budget of a goal");
    refused("cases: [{name: a, goal: x, max_steps: 0}]\n", "cases[0].max_steps: expected an "
                                                           "integer (1..");
}

/* Every prefix of a valid file, and a few hostile ones, are refused or accepted cleanly. */
Test(agent_suite, hostile_input_never_crashes)
{
    size_t n = strlen(spec_example);
    for (size_t i = 0; i <= n; i++) {
        tl_suite s;
        tl_error err;
        tl_error_clear(&err);
        int rc = tl_suite_parse(&s, spec_example, i, "cut.yaml", &err);
        cr_assert(rc == TL_OK || rc == TL_EPARSE, "prefix %zu: %d %s", i, rc, err.msg);
        cr_assert(rc == TL_OK || strstr(err.msg, "cut.yaml"), "prefix %zu: %s", i, err.msg);
        tl_suite_dispose(&s);
    }
    refused("cases: &a [{name: a, goal: x}]\nx: *a\n", "dir/s.yaml:");
    refused("cases:\n  - name: a\n    steps: [{tap: {text: \"/(?<=a+)b/\"}}]\n",
            "bad regular expression");
    refused("cases:\n  - name: a\n    steps: [{tap: [text]}]\n", "expected a selector");
    refused("cases:\n  - name: a\n    steps: [[tap]]\n", "expected a step as a mapping");
    refused("- a\n", "dir/s.yaml:1:1:");
}

Test(agent_suite, only_filter)
{
    tl_suite_filter *f = NULL;
    tl_error err;
    tl_error_clear(&err);
    cr_assert_eq(tl_suite_filter_new(&f, "DARK", &err), TL_OK);
    cr_assert(tl_suite_filter_match(f, "dark theme by goal"));
    cr_assert_not(tl_suite_filter_match(f, "add a contact"));
    tl_suite_filter_free(f);
    cr_assert_eq(tl_suite_filter_new(&f, "/by (goal|steps)$/", &err), TL_OK, "%s", err.msg);
    cr_assert(tl_suite_filter_match(f, "dark theme by goal"));
    cr_assert_not(tl_suite_filter_match(f, "dark theme by goal 2"));
    tl_suite_filter_free(f);
    cr_assert_eq(tl_suite_filter_new(&f, "/^DARK/i", &err), TL_OK, "%s", err.msg);
    cr_assert(tl_suite_filter_match(f, "dark theme"));
    tl_suite_filter_free(f);
    cr_assert_eq(tl_suite_filter_new(&f, "/(/", &err), TL_EUSAGE);
    cr_assert(strstr(err.msg, "--only /(/"), "%s", err.msg);
}

static const char row_xml[] =
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
    "<node index=\"0\" text=\"\" resource-id=\"\" class=\"android.widget.FrameLayout\" "
    "package=\"com.android.settings\" content-desc=\"\" checkable=\"false\" checked=\"false\" "
    "clickable=\"false\" enabled=\"true\" bounds=\"[0,0][1080,2400]\">"
    "<node index=\"0\" text=\"\" resource-id=\"\" class=\"android.widget.LinearLayout\" "
    "package=\"com.android.settings\" content-desc=\"\" checkable=\"false\" checked=\"false\" "
    "clickable=\"true\" enabled=\"true\" bounds=\"[0,200][1080,400]\">"
    "<node index=\"0\" text=\"Dark theme\" resource-id=\"android:id/title\" "
    "class=\"android.widget.TextView\" package=\"com.android.settings\" content-desc=\"\" "
    "checkable=\"false\" checked=\"false\" clickable=\"false\" enabled=\"true\" "
    "bounds=\"[40,250][800,350]\"/>"
    "<node index=\"1\" text=\"\" resource-id=\"android:id/switch_widget\" "
    "class=\"android.widget.Switch\" package=\"com.android.settings\" content-desc=\"\" "
    "checkable=\"true\" checked=\"true\" clickable=\"false\" enabled=\"true\" "
    "bounds=\"[900,250][1040,350]\"/>"
    "</node>"
    "<node index=\"1\" text=\"Version\" resource-id=\"\" class=\"android.widget.TextView\" "
    "package=\"com.android.settings\" content-desc=\"\" checkable=\"false\" checked=\"false\" "
    "clickable=\"false\" enabled=\"true\" bounds=\"[40,500][800,600]\"/>"
    "</node></hierarchy>";

/* A row whose label and switch are siblings: the label's state is the switch's. */
Test(agent_suite, checked_state_of_a_row)
{
    tl_ui *ui = tl_ui_new();
    cr_assert_not_null(ui);
    tl_error err;
    tl_error_clear(&err);
    tl_ui_options uo = {0};
    cr_assert_eq(tl_ui_parse_xml(ui, row_xml, strlen(row_xml), &uo, &err), TL_OK, "%s", err.msg);
    tl_selector *sel = tl_selector_new();
    cr_assert_eq(tl_selector_set(sel, "text", "/^dark/i", &err), TL_OK);
    const tl_element *e = tl_ui_find(ui, sel);
    cr_assert_not_null(e);
    bool checkable = false;
    cr_assert(tl_suite_checked_state(ui, e, &checkable));
    cr_assert(checkable);
    tl_selector_free(sel);
    sel = tl_selector_new();
    cr_assert_eq(tl_selector_set(sel, "text", "Version", &err), TL_OK);
    e = tl_ui_find(ui, sel);
    cr_assert_not_null(e);
    cr_assert_not(tl_suite_checked_state(ui, e, &checkable));
    cr_assert_not(checkable);
    tl_selector_free(sel);
    tl_ui_free(ui);
}

/* ---- playing cases on the sim phone --------------------------------------------------------- */

static tl_runenv env;

static void play(const char *text, size_t ci, const char *out, tl_llm *llm, tl_suite_result *res,
                 tl_suite *s)
{
    tl_error err;
    cr_assert_eq(load(s, text, &err), TL_OK, "%s", err.msg);
    tl_suite_config cfg = {
        .driver = "sim",
        .device = "sim",
        .env = &env,
        .llm = llm,
        .max_steps = 15,
        .timeout_s = 60,
        .out_dir = out,
    };
    cr_assert_eq(tl_suite_run_case(&cfg, s, &s->cases[ci], res), TL_OK);
}

static const char steps_suite[] =
    "cases:\n"
    "  - name: dark theme\n"
    "    steps:\n"
    "      - launch: com.android.settings\n"
    "      - scroll: down\n"
    "      - tap: {text: \"/^displ?ay$/i\", class: /Layout|TextView/}\n"
    "      - assert_checked: {text: Dark theme, value: false}\n"
    "      - tap: {text: \"/^Dark (theme|mode)$/\"}\n"
    "      - wait_for: {text: Dark theme, checked: true, timeout_ms: 2000}\n"
    "    expect:\n"
    "      - checked: {text: Dark theme}\n"
    "      - text: {text: /^Bright/, value: Brightness}\n"
    "  - name: typo\n"
    "    retries: 2\n"
    "    steps:\n"
    "      - launch: com.android.settings\n"
    "      - scroll: down\n"
    "      - tap: {text: Display}\n"
    "      - tap: {text: Dark them}\n"
    "  - name: wrong expectation\n"
    "    steps:\n"
    "      - launch: com.android.settings\n"
    "    expect:\n"
    "      - not_visible: {text: Battery}\n"
    "  - name: later\n"
    "    skip: not on this phone\n"
    "    steps: [{press: back}]\n";

Test(agent_suite, steps_pass_with_regex_selectors, .timeout = 60)
{
    tl_suite s;
    tl_suite_result r;
    char out[300];
    snprintf(out, sizeof out, "%s/run/01-dark-theme", tmpdir);
    play(steps_suite, 0, out, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_PASSED, "%s", r.message ? r.message : "");
    cr_assert_eq(r.attempts, 1);
    cr_assert_not(r.flaky);
    cr_assert_eq(r.steps, 8);
    cr_assert_eq(tl_suite_exit_code(&r), 0);
    cr_assert_str_eq(r.trajectory, out);
    /* a trajectory line per step, with its screenshot and index */
    char path[400];
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err;
    snprintf(path, sizeof path, "%s/trajectory.jsonl", out);
    cr_assert_eq(tl_file_read(&b, path, 1 << 20, &err), TL_OK, "%s", err.msg);
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    cr_assert_eq(lines, 8);
    cr_assert(strstr(b.data, "\"suite_step\":\"cases[0].steps[2] tap"));
    tl_buf_dispose(&b);
    snprintf(path, sizeof path, "%s/step-008.png", out);
    cr_assert_eq(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/step-003.ui.json", out);
    cr_assert_eq(access(path, R_OK), 0);
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);
}

Test(agent_suite, failing_step_names_selector_candidates_screenshot, .timeout = 60)
{
    tl_suite s;
    tl_suite_result r;
    char out[300];
    snprintf(out, sizeof out, "%s/run/02-typo", tmpdir);
    play(steps_suite, 1, out, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_FAILED);
    cr_assert_str_eq(r.type, "step");
    /* retries: 2 -> three attempts, none passing: not flaky */
    cr_assert_eq(r.attempts, 3);
    cr_assert_not(r.flaky);
    cr_assert_eq(tl_suite_exit_code(&r), 1);
    cr_assert(strstr(r.message, "cases[1].steps[3] tap {text: \"Dark them\"} (line 19)"), "%s",
              r.message);
    cr_assert(strstr(r.message, "closest: [8] Switch \"Dark theme\" checked=false"), "%s",
              r.message);
    char shot[400];
    snprintf(shot, sizeof shot, "%s-retry-2/step-004.png", out);
    cr_assert_str_eq(r.screenshot, shot);
    cr_assert(strstr(r.message, shot), "%s", r.message);
    cr_assert_eq(access(shot, R_OK), 0);
    cr_assert(strstr(r.detail, "closest candidates:\n  [8] Switch \"Dark theme\""), "%s", r.detail);
    cr_assert(strstr(r.trajectories, out) && strstr(r.trajectories, "-retry-1\n"), "%s",
              r.trajectories);
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);

    play(steps_suite, 2, NULL, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_FAILED);
    cr_assert_str_eq(r.type, "expect");
    cr_assert(strstr(r.message, "cases[2].expect[0] assert_not_visible {text: \"Battery\"}"), "%s",
              r.message);
    cr_assert(strstr(r.message, "it is visible: [11] TextView \"Battery\""), "%s", r.message);
    cr_assert_null(r.screenshot); /* no trajectory, no screenshot */
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);

    play(steps_suite, 3, NULL, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_SKIPPED);
    cr_assert_eq(r.attempts, 0);
    cr_assert_str_eq(r.message, "not on this phone");
    cr_assert_eq(tl_suite_exit_code(&r), 0);
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);
}

Test(agent_suite, type_into_and_assert_text, .timeout = 60)
{
    const char *text = "cases:\n"
                       "  - name: contact\n"
                       "    steps:\n"
                       "      - launch: com.android.contacts\n"
                       "      - tap: {desc: Create contact}\n"
                       "      - type: {text: Tom, into: {id: first_name, editable: true}}\n"
                       "      - assert_text: {id: first_name, value: Tom}\n"
                       "      - assert_text: {id: first_name, value: \"/^tim$/i\"}\n";
    tl_suite s;
    tl_suite_result r;
    play(text, 0, NULL, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_FAILED);
    cr_assert_eq(r.steps, 5);
    cr_assert(strstr(r.message, "cases[0].steps[4] assert_text {id: \"first_name\"} (line 8): "
                                "expected text /^tim$/i, found \"Tom\" in [3] EditText \"Tom\""),
              "%s", r.message);
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);
}

/* ---- flaky: a goal case that fails once, then passes (the scripted LLM) ------------------- */

static pid_t fake_pid;

static void fake_start(const char *script, char *url, size_t size)
{
    char script_path[400], port_path[400], fake_py[512];
    snprintf(script_path, sizeof script_path, "%s/script.json", tmpdir);
    snprintf(port_path, sizeof port_path, "%s/port", tmpdir);
    snprintf(fake_py, sizeof fake_py, "%s/fakes/fake_openai.py", TL_TESTS_DIR);
    tl_error err;
    cr_assert_eq(tl_file_write(script_path, script, strlen(script), &err), TL_OK);
    const char *argv[] = {TL_PYTHON, fake_py,          "--script", script_path, "--port-file",
                          port_path, "--idle-timeout", "30",       NULL};
    int rc = posix_spawn(&fake_pid, TL_PYTHON, NULL, NULL, (char *const *)argv, environ);
    cr_assert_eq(rc, 0, "cannot start the fake server: %s", strerror(rc));
    for (int i = 0; i < 500; i++) {
        FILE *p = fopen(port_path, "r");
        int port = 0;
        if (p) {
            if (fscanf(p, "%d", &port) != 1)
                port = 0;
            fclose(p);
        }
        if (port > 0) {
            snprintf(url, size, "http://127.0.0.1:%d/v1", port);
            return;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    cr_assert_fail("the fake server did not write its port");
}

static const char flaky_rules[] =
    "{\"rules\": ["
    "{\"goal\": \"Dark theme\", \"times\": 1, \"tool\": \"done\", \"args\": {\"success\": false, "
    "\"message\": \"the switch did not answer\"}},"
    "{\"goal\": \"Dark theme\", \"matches\": \"\\\"Dark theme\\\" checked=true\", \"tool\": "
    "\"done\", \"args\": {\"success\": true, \"message\": \"on\"}},"
    "{\"goal\": \"Dark theme\", \"listed\": \"Dark theme\", \"tool\": \"tap\", \"tap_text\": "
    "\"Dark theme\"},"
    "{\"goal\": \"Dark theme\", \"listed\": \"Display\", \"tool\": \"tap\", \"tap_text\": "
    "\"Display\"},"
    "{\"goal\": \"Dark theme\", \"tool\": \"scroll\", \"args\": {\"direction\": \"down\"}}"
    "]}";

Test(agent_suite, flaky_goal_case_and_junit, .timeout = 120)
{
    char url[128];
    fake_start(flaky_rules, url, sizeof url);
    tl_runopts o;
    tl_runopts_init(&o, &tl_cmd_test);
    o.llm_url = url;
    tl_error err;
    tl_error_clear(&err);
    cr_assert_eq(tl_http_global_init(&err), TL_OK);
    cr_assert_eq(tl_runenv_init(&env, &o, NULL, &err), TL_OK, "%s", err.msg);
    tl_llm *llm = tl_runenv_llm(&env, NULL, NULL, &err);
    cr_assert_not_null(llm, "%s", err.msg);
    const char *text = "name: smoke\n"
                       "cases:\n"
                       "  - name: dark theme by goal\n"
                       "    launch: com.android.settings\n"
                       "    goal: Turn on Dark theme\n"
                       "    retries: 1\n"
                       "    expect: [{checked: {text: Dark theme}}]\n"
                       "  - name: no retry\n"
                       "    launch: com.android.settings\n"
                       "    goal: Turn on Dark theme, once\n"
                       "    expect: [{unchecked: {text: Dark theme}}]\n";
    tl_suite s;
    tl_suite_result r, r2;
    char out[300];
    snprintf(out, sizeof out, "%s/run/01-dark", tmpdir);
    play(text, 0, out, llm, &r, &s);
    cr_assert_eq(r.status, TL_CASE_PASSED, "%s", r.message ? r.message : "");
    cr_assert_eq(r.attempts, 2);
    cr_assert(r.flaky);
    cr_assert(strstr(r.first_failure, "goal not achieved (failed after 1 step): the switch did "
                                      "not answer"),
              "%s", r.first_failure);
    cr_assert_null(r.message);
    cr_assert_eq(tl_suite_exit_code(&r), 0);
    /* the second case: the goal passes, its expect fails */
    tl_suite_config cfg = {
        .driver = "sim", .env = &env, .llm = llm, .max_steps = 15, .timeout_s = 60};
    cr_assert_eq(tl_suite_run_case(&cfg, &s, &s.cases[1], &r2), TL_OK);
    cr_assert_eq(r2.status, TL_CASE_FAILED);
    cr_assert_str_eq(r2.type, "expect");
    cr_assert(strstr(r2.message, "expected checked=false, found [8] Switch \"Dark theme\" "
                                 "checked=true"),
              "%s", r2.message);

    /* the JUnit report, written and parsed back */
    tl_junit_report rep, back;
    cr_assert_eq(tl_junit_init(&rep, "taploop test"), TL_OK);
    cr_assert_eq(tl_suite_junit_add(&rep, &s, &s.cases[0], &r, "2024-01-01T00:00:00Z"), TL_OK);
    cr_assert_eq(tl_suite_junit_add(&rep, &s, &s.cases[1], &r2, "2024-01-01T00:00:00Z"), TL_OK);
    tl_buf xml;
    tl_buf_init(&xml, 0);
    cr_assert_eq(tl_junit_write(&rep, &xml), TL_OK);
    cr_assert_eq(tl_junit_init(&back, NULL), TL_OK);
    cr_assert_eq(tl_junit_parse(&back, xml.data, xml.len, "r.xml", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(back.n, 1);
    cr_assert_str_eq(back.suites[0].name, "smoke");
    cr_assert_eq(back.suites[0].n, 2);
    const tl_junit_case *c0 = &back.suites[0].cases[0], *c1 = &back.suites[0].cases[1];
    cr_assert_str_eq(c0->name, "dark theme by goal");
    cr_assert_eq(c0->outcome, TL_JUNIT_PASSED);
    cr_assert(c0->flaky);
    cr_assert(strstr(c0->flaky_message, "the switch did not answer"), "%s", c0->flaky_message);
    cr_assert(strstr(xml.data, "<flakyFailure message=\"goal not achieved"), "%s", xml.data);
    cr_assert(strstr(c0->system_out, "trajectory: ") && strstr(c0->system_out, "-retry-1"), "%s",
              c0->system_out);
    cr_assert(strstr(c0->system_out, "flaky: passed on attempt 2 of 2"), "%s", c0->system_out);
    cr_assert_eq(c1->outcome, TL_JUNIT_FAILURE);
    cr_assert_str_eq(c1->type, "expect");
    cr_assert(strstr(c1->message, "expected checked=false"), "%s", c1->message);
    cr_assert(strstr(c1->body, "expected checked=false"), "%s", c1->body);
    cr_assert_gt(c1->time_s, 0.0);
    tl_junit_totals t = tl_junit_count(&back, NULL);
    cr_assert_eq(t.tests, 2);
    cr_assert_eq(t.failures, 1);
    tl_buf_dispose(&xml);
    tl_junit_dispose(&rep);
    tl_junit_dispose(&back);

    /* --json line */
    tl_buf line;
    tl_buf_init(&line, 0);
    cr_assert_eq(tl_suite_result_json(&s, &s.cases[0], &r, &line), TL_OK);
    cr_assert(strstr(line.data, "\"status\":\"passed\",\"success\":true,\"flaky\":true,"
                                "\"attempts\":2"),
              "%s", line.data);
    cr_assert(strstr(line.data, "-retry-1\"],\"first_failure\":\"goal not achieved"), "%s",
              line.data);
    tl_buf_dispose(&line);

    tl_suite_result_dispose(&r);
    tl_suite_result_dispose(&r2);
    tl_suite_dispose(&s);
    tl_llm_free(llm);
    tl_runenv_dispose(&env);
    kill(fake_pid, SIGTERM);
    waitpid(fake_pid, NULL, 0);
}

/* A type step into a password field: the text reaches the phone, never the trajectory or report. */
Test(agent_suite, typed_password_is_stored_masked, .timeout = 60)
{
    static const char suite[] = "cases:\n"
                                "  - name: password\n"
                                "    steps:\n"
                                "      - launch: com.example.notes\n"
                                "      - type: {text: hunter2-PW-unit, into: {id: password}}\n"
                                "      - type: {text: visible-mail-unit, into: {id: email}}\n";
    tl_suite s;
    tl_suite_result r;
    char out[300];
    snprintf(out, sizeof out, "%s/run/03-password", tmpdir);
    play(suite, 0, out, NULL, &r, &s);
    cr_assert_eq(r.status, TL_CASE_PASSED, "%s", r.message ? r.message : "");
    static const char *const files[] = {"trajectory.jsonl", "report.html"};
    for (size_t f = 0; f < 2; f++) {
        char path[400];
        tl_buf b;
        tl_buf_init(&b, 0);
        tl_error err;
        snprintf(path, sizeof path, "%s/%s", out, files[f]);
        cr_assert_eq(tl_file_read(&b, path, 16 << 20, &err), TL_OK, "%s", err.msg);
        cr_assert_null(strstr(b.data, "PW-unit"), "the password is in %s", files[f]);
        cr_assert_not_null(strstr(b.data, "visible-mail-unit"), "%s", files[f]); /* others kept */
        if (f == 0)
            cr_assert_not_null(strstr(b.data, "\"text\":\"" TL_UI_MASK "\""), "%s", b.data);
        tl_buf_dispose(&b);
    }
    tl_suite_result_dispose(&r);
    tl_suite_dispose(&s);
}
