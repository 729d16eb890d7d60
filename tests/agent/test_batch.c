/*
 * test_batch.c - batch files (agent/batch.h): the keys of SPEC §6, strict errors with
 * positions and key paths, shards, slugs, directory names, the exit code of a set of results
 * and the job line.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "agent/batch.h"

static int load(tl_batch_file *f, const char *text, tl_error *err)
{
    tl_error_clear(err);
    return tl_batch_file_parse(f, text, strlen(text), "b.yaml", err);
}

Test(agent_batch, spec_example)
{
    tl_batch_file f;
    tl_error err;
    const char *text = "driver: sim\n"
                       "devices: [AC22030010001, AC22030010002]\n"
                       "parallel: 16\n"
                       "max_steps: 30\n"
                       "goals:\n"
                       "  - Open Settings and turn on Dark theme\n"
                       "  - goal: Open Contacts and add Tom with phone 13111111111\n"
                       "    max_steps: 15\n"
                       "    timeout: 60\n";
    cr_assert_eq(load(&f, text, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(f.driver, "sim");
    cr_assert_eq(f.n_devices, 2);
    cr_assert_str_eq(f.devices[1], "AC22030010002");
    cr_assert_eq(f.parallel, 16);
    cr_assert_eq(f.max_steps, 30);
    cr_assert_eq(f.n_goals, 2);
    cr_assert_eq(f.goals[0].max_steps, 0);
    cr_assert_eq(f.goals[1].max_steps, 15);
    cr_assert_eq(f.goals[1].timeout_s, 60);
    cr_assert_eq(f.goals[1].line, 7);
    tl_batch_file_dispose(&f);
    cr_assert_eq(load(&f, "devices: all\ngoals: [x]\n", &err), TL_OK);
    cr_assert(f.all_devices);
    tl_batch_file_dispose(&f);
}

static void refused(const char *text, const char *msg)
{
    tl_batch_file f;
    tl_error err;
    cr_assert_eq(load(&f, text, &err), TL_EPARSE, "accepted: %s", text);
    cr_assert(strstr(err.msg, msg), "wanted \"%s\" in \"%s\"", msg, err.msg);
    tl_batch_file_dispose(&f);
}

Test(agent_batch, strict_errors)
{
    refused("devices: [a]\ngoals: [x]\nparalel: 3\n", "b.yaml:3:1: paralel: unknown key");
    refused("devices: [a]\ngoals: [x]\nparallel: 0\n", "b.yaml:3:11: parallel: expected an "
                                                       "integer (1..10000), not \"0\"");
    refused("devices: [a]\ngoals: [x]\nmax_steps: \"5\"\n", "the string \"5\"");
    refused("devices: [a]\n", "b.yaml:1:1: missing required key \"goals\"");
    refused("goals: [x]\n", "missing required key \"devices\"");
    refused("devices: []\ngoals: [x]\n", "devices: the device list is empty");
    refused("devices: [a]\ngoals: []\n", "goals: the goal list is empty");
    refused("devices: some\ngoals: [x]\n", "devices: expected a list of device ids or \"all\"");
    refused("devices: [a, a]\ngoals: [x]\n", "devices[1]: device \"a\" is listed twice");
    refused("devices: [a, \"\"]\ngoals: [x]\n", "devices[1]: expected a non-empty string");
    refused("devices: [a]\ngoals:\n  - goal: x\n    timeout: -1\n", "goals[0].timeout");
    refused("devices: [a]\ngoals:\n  - max_steps: 3\n", "goals[0]: missing required key \"goal\"");
    refused("devices: [a]\ngoals:\n  - [x]\n", "goals[0]: expected a goal");
    refused("driver: nope\ndevices: [a]\ngoals: [x]\n", "driver: unknown driver \"nope\"");
    refused("- a\n- b\n", "expected a mapping");
    refused("devices: [a\n", "b.yaml:2:1: YAML syntax error");
}

Test(agent_batch, shards)
{
    long i, n;
    cr_assert(tl_batch_shard_parse("0/4", &i, &n));
    cr_assert_eq(i, 0);
    cr_assert_eq(n, 4);
    cr_assert(tl_batch_shard_parse("3/4", &i, &n));
    cr_assert_not(tl_batch_shard_parse("4/4", &i, &n));
    cr_assert_not(tl_batch_shard_parse("-1/4", &i, &n));
    cr_assert_not(tl_batch_shard_parse("1/0", &i, &n));
    cr_assert_not(tl_batch_shard_parse("1", &i, &n));
    cr_assert_not(tl_batch_shard_parse("/4", &i, &n));
    cr_assert_not(tl_batch_shard_parse("1/", &i, &n));
    cr_assert_not(tl_batch_shard_parse("a/b", &i, &n));
    /* every position is in exactly one shard */
    for (size_t p = 0; p < 50; p++) {
        int in = 0;
        for (long s = 0; s < 7; s++)
            in += tl_batch_in_shard(p, s, 7);
        cr_assert_eq(in, 1);
    }
    cr_assert(tl_batch_in_shard(9, 1, 4));
    cr_assert_not(tl_batch_in_shard(9, 0, 4));
}

Test(agent_batch, slugs_and_names)
{
    char s[80];
    tl_batch_slug(s, sizeof(s), 1, 2, "Open Settings and turn on Dark theme");
    cr_assert_str_eq(s, "01-open-settings-and-turn-on-dark-theme");
    tl_batch_slug(s, sizeof(s), 2, 2, "Open Contacts and add Tom with phone 13111111111");
    cr_assert_str_eq(s, "02-open-contacts-and-add-tom-with-phone");
    tl_batch_slug(s, sizeof(s), 7, 150, "  打开设置 !! ");
    cr_assert_str_eq(s, "007-goal");
    tl_batch_slug(s, sizeof(s), 3, 3, "../../etc/passwd");
    cr_assert_str_eq(s, "03-etc-passwd");
    tl_batch_slug(s, sizeof(s), 1, 1, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij");
    cr_assert_str_eq(s, "01-abcdefghijabcdefghijabcdefghijabcdefghij");
    tl_batch_safe_name(s, sizeof(s), "sim:a");
    cr_assert_str_eq(s, "sim-a");
    tl_batch_safe_name(s, sizeof(s), "..");
    cr_assert_str_eq(s, "--");
    tl_batch_safe_name(s, sizeof(s), "");
    cr_assert_str_eq(s, "device");
    tl_batch_safe_name(s, sizeof(s), "192.168.1.50:5555");
    cr_assert_str_eq(s, "192.168.1.50-5555");
}

Test(agent_batch, exit_codes)
{
    tl_run_result ok = {.success = true, .status = "completed"};
    tl_run_result failed = {.status = "max_steps"};
    tl_run_result infra = {.status = "error", .code = TL_ENET};
    tl_run_result usage = {.status = "error", .code = TL_EUSAGE};
    tl_run_result intr = {.status = "interrupted", .code = TL_ECANCELED};
    const tl_run_result *a[] = {&ok, &ok};
    cr_assert_eq(tl_batch_exit_code(a, 2), 0);
    const tl_run_result *b[] = {&ok, &failed};
    cr_assert_eq(tl_batch_exit_code(b, 2), 1);
    const tl_run_result *c[] = {&failed, &infra, &ok};
    cr_assert_eq(tl_batch_exit_code(c, 3), 3);
    const tl_run_result *d[] = {&infra, &usage};
    cr_assert_eq(tl_batch_exit_code(d, 2), 2);
    const tl_run_result *e[] = {&usage, &intr, &failed};
    cr_assert_eq(tl_batch_exit_code(e, 3), 130);
    cr_assert_eq(tl_batch_exit_code(NULL, 0), 0);
}

Test(agent_batch, job_line)
{
    tl_batch_job job = {.device = 0, .goal = 1};
    job.result.success = true;
    job.result.status = "completed";
    job.result.message = (char *)"done \"ok\"";
    job.result.steps = 4;
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_batch_job_json(&job, "sim:a", "Turn on", "sim", &b), TL_OK);
    cr_assert_str_eq(b.data, "{\"device\":\"sim:a\",\"goal\":\"Turn on\",\"goal_index\":2,"
                             "\"success\":true,\"status\":\"completed\",\"message\":\"done "
                             "\\\"ok\\\"\",\"output\":null,\"steps\":4,\"driver\":\"sim\","
                             "\"trajectory\":null,\"usage\":{\"prompt_tokens\":0,"
                             "\"completion_tokens\":0},\"duration_ms\":0}");
    tl_buf_dispose(&b);
}
