/*
 * test_junit.c - JUnit reports (agent/junit.h): written, parsed back (counts, outcomes,
 * messages, system-out, hostile characters escaped), merged, and bad XML refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "agent/junit.h"

static tl_junit_report sample(void)
{
    tl_junit_report r;
    cr_assert_eq(tl_junit_init(&r, "taploop batch"), TL_OK);
    tl_junit_case pass = {.name = "#01 Turn on \"Dark\" <theme> & more",
                          .classname = "sim:a",
                          .time_s = 1.5,
                          .system_out = "trajectory: out/sim-a/01"};
    tl_junit_case fail = {.name = "#02 x",
                          .classname = "sim:a",
                          .time_s = 2,
                          .outcome = TL_JUNIT_FAILURE,
                          .type = "max_steps",
                          .message = "ran out\x01 of steps\nline 2",
                          .body = "details ]]> <here>"};
    tl_junit_case err = {.name = "#01 y",
                         .outcome = TL_JUNIT_ERROR,
                         .type = "error",
                         .message = "dev: 503 \xff bad"};
    tl_junit_case skip = {
        .name = "#02 y", .outcome = TL_JUNIT_SKIPPED, .message = "interrupted", .flaky = true};
    cr_assert_eq(tl_junit_add(&r, "sim:a", "2024-01-01T00:00:00Z", &pass), TL_OK);
    cr_assert_eq(tl_junit_add(&r, "sim:a", NULL, &fail), TL_OK);
    cr_assert_eq(tl_junit_add(&r, "dev \"b\"", NULL, &err), TL_OK);
    cr_assert_eq(tl_junit_add(&r, "dev \"b\"", NULL, &skip), TL_OK);
    return r;
}

Test(agent_junit, write_then_parse_back)
{
    tl_junit_report r = sample();
    tl_buf xml;
    tl_buf_init(&xml, 0);
    cr_assert_eq(tl_junit_write(&r, &xml), TL_OK);
    cr_assert(strstr(xml.data, "<testsuites name=\"taploop batch\" tests=\"4\" failures=\"1\" "
                               "errors=\"1\" skipped=\"1\" time=\"3.500\">"),
              "%s", xml.data);
    cr_assert(strstr(xml.data, "&lt;theme&gt; &amp; more"), "%s", xml.data);
    cr_assert_null(strchr(xml.data, '\x01'));
    tl_junit_report back;
    tl_error err;
    cr_assert_eq(tl_junit_init(&back, NULL), TL_OK);
    cr_assert_eq(tl_junit_parse(&back, xml.data, xml.len, "r.xml", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(back.n, 2);
    cr_assert_str_eq(back.suites[0].name, "sim:a");
    cr_assert_str_eq(back.suites[0].timestamp, "2024-01-01T00:00:00Z");
    cr_assert_str_eq(back.suites[1].name, "dev \"b\"");
    const tl_junit_case *c = &back.suites[0].cases[0];
    cr_assert_str_eq(c->name, "#01 Turn on \"Dark\" <theme> & more");
    cr_assert_str_eq(c->system_out, "trajectory: out/sim-a/01");
    cr_assert_eq(c->outcome, TL_JUNIT_PASSED);
    cr_assert_float_eq(c->time_s, 1.5, 1e-9);
    c = &back.suites[0].cases[1];
    cr_assert_eq(c->outcome, TL_JUNIT_FAILURE);
    cr_assert_str_eq(c->type, "max_steps");
    cr_assert_str_eq(c->message, "ran out? of steps\nline 2");
    cr_assert_str_eq(c->body, "details ]]> <here>");
    cr_assert_eq(back.suites[1].cases[0].outcome, TL_JUNIT_ERROR);
    cr_assert_str_eq(back.suites[1].cases[0].message, "dev: 503 ? bad");
    cr_assert_eq(back.suites[1].cases[1].outcome, TL_JUNIT_SKIPPED);
    cr_assert(back.suites[1].cases[1].flaky);
    tl_junit_totals t = tl_junit_count(&back, NULL);
    cr_assert_eq(t.tests, 4);
    cr_assert_eq(t.failures, 1);
    cr_assert_eq(t.errors, 1);
    cr_assert_eq(t.skipped, 1);
    /* merging: a second copy appends to the same suites */
    cr_assert_eq(tl_junit_parse(&back, xml.data, xml.len, "r.xml", &err), TL_OK);
    cr_assert_eq(back.n, 2);
    cr_assert_eq(tl_junit_count(&back, NULL).tests, 8);
    tl_junit_dispose(&back);
    tl_junit_dispose(&r);
    tl_buf_dispose(&xml);
}

Test(agent_junit, lone_testsuite_root)
{
    const char *x = "<testsuite name=\"s\"><testcase name=\"c\" time=\"2\"><error message=\"m\"/>"
                    "</testcase></testsuite>";
    tl_junit_report r;
    tl_error err;
    tl_junit_init(&r, NULL);
    cr_assert_eq(tl_junit_parse(&r, x, strlen(x), "s.xml", &err), TL_OK);
    cr_assert_eq(tl_junit_count(&r, NULL).errors, 1);
    tl_junit_dispose(&r);
}

Test(agent_junit, bad_xml_refused)
{
    tl_junit_report r;
    tl_error err;
    tl_junit_init(&r, NULL);
    const char *x = "<testsuites>\n  <testsuite name=\"a\">\n</testsuites>";
    cr_assert_eq(tl_junit_parse(&r, x, strlen(x), "bad.xml", &err), TL_EPARSE);
    cr_assert(strncmp(err.msg, "bad.xml:3:", 10) == 0, "%s", err.msg);
    const char *other = "<html><body/></html>";
    cr_assert_eq(tl_junit_parse(&r, other, strlen(other), "o.xml", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "no <testsuites>"), "%s", err.msg);
    const char *bomb = "<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;"
                       "&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
                       "<testsuites><testsuite name=\"&c;\"/></testsuites>";
    int rc = tl_junit_parse(&r, bomb, strlen(bomb), "bomb.xml", &err);
    cr_assert(rc == TL_OK || rc == TL_EPARSE);
    tl_junit_dispose(&r);
}
