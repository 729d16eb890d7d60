/*
 * test_prompt.c - prompt templates: rendering, sections, standalone section lines, checking
 * names, and the built-in and --prompts DIR templates.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/prompt.h"

static char *render(const char *tmpl, const tl_prompt_var *vars, size_t n)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(tl_prompt_render(tmpl, vars, n, &out), TL_OK);
    char *s = tl_buf_detach(&out, NULL);
    tl_buf_dispose(&out);
    return s;
}

Test(prompt, values_are_substituted)
{
    tl_prompt_var v[] = {{"goal", "Turn on {{Dark}} theme"}, {"step", "3"}};
    char *s = render("Goal: {{goal}} (step {{step}}, {{hint}}.)", v, 2);
    /* a value is inserted as is, never expanded again; a name without a value reads as "" */
    cr_assert_str_eq(s, "Goal: Turn on {{Dark}} theme (step 3, .)");
    free(s);
}

Test(prompt, sections_follow_their_value)
{
    tl_prompt_var on[] = {{"error", "boom"}};
    tl_prompt_var off[] = {{"error", ""}};
    const char *t = "a{{#error}}[{{error}}]{{/error}}b";
    char *s = render(t, on, 1);
    cr_assert_str_eq(s, "a[boom]b");
    free(s);
    s = render(t, off, 1);
    cr_assert_str_eq(s, "ab");
    free(s);
    s = render(t, NULL, 0);
    cr_assert_str_eq(s, "ab");
    free(s);
}

Test(prompt, nested_sections)
{
    tl_prompt_var v[] = {{"history", "h"}, {"hint", ""}};
    char *s = render("{{#history}}H{{#hint}}I{{/hint}}{{/history}}|{{#hint}}x{{#history}}y{{/"
                     "history}}{{/hint}}.",
                     v, 2);
    cr_assert_str_eq(s, "H|.");
    free(s);
}

Test(prompt, standalone_section_lines_leave_no_blank_lines)
{
    const char *t = "Goal\n{{#error}}\nFailed: {{error}}\n{{/error}}\nScreen\n";
    tl_prompt_var on[] = {{"error", "x"}};
    char *s = render(t, on, 1);
    cr_assert_str_eq(s, "Goal\nFailed: x\nScreen\n");
    free(s);
    s = render(t, NULL, 0);
    cr_assert_str_eq(s, "Goal\nScreen\n");
    free(s);
    /* indented tags are standalone too; a tag sharing its line with text is not */
    s = render("A\n  {{#error}}  \nB\n  {{/error}}\nC {{#error}}D{{/error}}\n", on, 1);
    cr_assert_str_eq(s, "A\nB\nC D\n");
    free(s);
}

Test(prompt, check_names_and_balance)
{
    const char *const names[] = {"goal", "error", NULL};
    tl_error err;
    cr_assert_eq(tl_prompt_check("{{goal}} {{#error}}{{error}}{{/error}}", names, "t", &err),
                 TL_OK);
    cr_assert_eq(tl_prompt_check("a\nb {{gaol}}", names, "step.txt", &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "step.txt line 2: unknown name {{gaol}}");
    cr_assert_eq(tl_prompt_check("{{#error}}x", names, "t", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "never closed"), "%s", err.msg);
    cr_assert_eq(tl_prompt_check("{{/error}}", names, "t", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "closes no open section"), "%s", err.msg);
    cr_assert_eq(tl_prompt_check("{{#goal}}{{/error}}", names, "t", &err), TL_EPARSE);
    cr_assert_eq(tl_prompt_check("{{ goal }}", names, "t", &err), TL_EPARSE);
    cr_assert_eq(tl_prompt_check("{{Goal}}", names, "t", &err), TL_EPARSE);
}

Test(prompt, builtin_templates_render_every_part)
{
    tl_prompts p;
    tl_error err;
    cr_assert_eq(tl_prompts_load(&p, NULL, &err), TL_OK, "%s", err.msg);
    cr_assert(strstr(p.system, "tool"), "the system prompt talks about tools");
    tl_prompt_var v[] = {
        {"goal", "GOAL-X"},
        {"step", "2"},
        {"max_steps", "30"},
        {"app", "Settings (com.x)"},
        {"screen", "1x1"},
        {"listing", "[1] View \"a\" (0,0)"},
        {"history", "1. tap -> ok"},
        {"error", "ERR-X"},
        {"hint", "HINT-X"},
        {"keyboard", "[1] EditText"},
        {"output_schema", "{\"type\":\"object\"}"},
    };
    char *s = render(p.step, v, sizeof(v) / sizeof(v[0]));
    const char *want[] = {
        "GOAL-X", "Step 2 of 30", "Settings (com.x)", "[1] View \"a\" (0,0)", "1. tap -> ok",
        "ERR-X",  "HINT-X",       "[1] EditText",     "{\"type\":\"object\"}"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(s, want[i]), "missing %s in:\n%s", want[i], s);
    cr_assert_null(strstr(s, "{{"), "a tag was left in:\n%s", s);
    cr_assert_null(strstr(s, "\n\n\n"), "blank lines pile up in:\n%s", s);
    free(s);
    /* with the optional parts empty, none of their text shows */
    tl_prompt_var few[] = {{"goal", "G"}, {"listing", "L"}};
    s = render(p.step, few, 2);
    cr_assert_null(strstr(s, "failed"), "%s", s);
    cr_assert_null(strstr(s, "Note:"), "%s", s);
    cr_assert_null(strstr(s, "JSON Schema"), "%s", s);
    cr_assert_null(strstr(s, "\n\n\n"), "%s", s);
    free(s);
    tl_prompts_dispose(&p);
}

/* Write text to DIR/name; the path goes to path. */
static void put_file(const char *dir, const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

Test(prompt, directory_overrides_and_falls_back)
{
    char dir[] = "/tmp/tl-prompts-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    put_file(dir, "step.txt", "My goal is {{goal}}.\n", path, sizeof(path));
    tl_prompts p;
    tl_error err;
    cr_assert_eq(tl_prompts_load(&p, dir, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(p.step, "My goal is {{goal}}.\n");
    tl_prompts builtin;
    cr_assert_eq(tl_prompts_load(&builtin, NULL, &err), TL_OK);
    cr_assert_str_eq(p.system, builtin.system, "a missing system.txt falls back");
    tl_prompts_dispose(&p);
    tl_prompts_dispose(&builtin);
    put_file(dir, "step.txt", "Goal: {{goal}}\nStep {{stepp}}\n", path, sizeof(path));
    cr_assert_eq(tl_prompts_load(&p, dir, &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "step.txt line 2: unknown name {{stepp}}"), "%s", err.msg);
    unlink(path);
    rmdir(dir);
}

/* --prompts DIR with a typo used to run with the built-in prompts without a word. */
Test(prompt, directory_must_exist_and_be_readable)
{
    tl_prompts p;
    tl_error err;
    char dir[] = "/tmp/tl-prompts-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char missing[256], file[256];
    snprintf(missing, sizeof(missing), "%s/nope", dir);
    cr_assert_eq(tl_prompts_load(&p, missing, &err), TL_EUSAGE);
    cr_expect(strstr(err.msg, missing) && strstr(err.msg, "No such file or directory"), "%s",
              err.msg);
    cr_expect_null(p.system);
    put_file(dir, "step.txt", "Goal: {{goal}}\n", file, sizeof(file));
    cr_assert_eq(tl_prompts_load(&p, file, &err), TL_EUSAGE);
    cr_expect(strstr(err.msg, file) && strstr(err.msg, "Not a directory"), "%s", err.msg);
    if (geteuid() != 0) { /* root reads any directory */
        cr_assert_eq(chmod(dir, 0300), 0);
        cr_expect_eq(tl_prompts_load(&p, dir, &err), TL_EUSAGE);
        cr_expect(strstr(err.msg, dir) && strstr(err.msg, "Permission denied"), "%s", err.msg);
        chmod(dir, 0700);
    }
    unlink(file);
    rmdir(dir);
}

Test(prompt, directory_without_either_template_is_an_error)
{
    char dir[] = "/tmp/tl-prompts-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char other[256];
    put_file(dir, "System.txt", "You are an agent.\n", other, sizeof(other)); /* not system.txt */
    tl_prompts p;
    tl_error err;
    cr_assert_eq(tl_prompts_load(&p, dir, &err), TL_EUSAGE);
    cr_expect(strstr(err.msg, dir) && strstr(err.msg, "system.txt") && strstr(err.msg, "step.txt"),
              "%s", err.msg);
    unlink(other);
    rmdir(dir);
}

/* A template that is there but cannot be read is an error, not a fallback. */
Test(prompt, template_that_cannot_be_read_is_an_error)
{
    char dir[] = "/tmp/tl-prompts-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/system.txt", dir); /* a directory: exists, cannot be read */
    cr_assert_eq(mkdir(sub, 0700), 0);
    tl_prompts p;
    tl_error err;
    cr_assert_eq(tl_prompts_load(&p, dir, &err), TL_EIO);
    cr_expect(strstr(err.msg, sub), "%s", err.msg);
    rmdir(sub);
    rmdir(dir);
}
