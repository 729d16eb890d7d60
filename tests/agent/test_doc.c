/*
 * test_doc.c - the configuration document loader (agent/doc.h): positions, strict accessors
 * with key paths, and hostile input (deep nesting, alias bombs, huge scalars, binary bytes,
 * several documents, duplicate keys) refused with clear errors, never a crash or a hang.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agent/doc.h"

static int parse(tl_doc **d, const char *text, tl_error *err)
{
    tl_error_clear(err);
    return tl_doc_parse(d, text, strlen(text), "f.yaml", err);
}

Test(agent_doc, tree_with_positions)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(parse(&d, "a: 1\nb:\n  - x\n  - \"30\"\nc: ~\n", &err), TL_OK, "%s", err.msg);
    const tl_doc_node *root = tl_doc_root(d);
    cr_assert_eq(root->kind, TL_DOC_MAP);
    cr_assert_eq(root->n, 3);
    const tl_doc_node *b = tl_doc_get(root, "b");
    cr_assert_eq(b->kind, TL_DOC_SEQ);
    cr_assert_eq(b->n, 2);
    cr_assert_eq(b->line, 3);
    cr_assert_eq(b->col, 3);
    cr_assert_str_eq(b->items[1]->text, "30");
    cr_assert(b->items[1]->quoted);
    cr_assert_eq(tl_doc_get(root, "c")->kind, TL_DOC_NULL);
    long v;
    cr_assert_eq(tl_doc_int(d, tl_doc_get(root, "a"), "a", 0, 10, &v, &err), TL_OK);
    cr_assert_eq(v, 1);
    /* a quoted number is a string */
    cr_assert_eq(tl_doc_int(d, b->items[1], "b[1]", 0, 100, &v, &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "f.yaml:4:5: b[1]: expected an integer (0..100), not the string "
                              "\"30\"");
    cr_assert_eq(tl_doc_int(d, tl_doc_get(root, "a"), "a", 2, 10, &v, &err), TL_EPARSE);
    tl_doc_free(d);
}

Test(agent_doc, json_accepted)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(parse(&d, "{\"devices\": [\"a\", \"b\"],\n \"n\": 3}", &err), TL_OK, "%s",
                 err.msg);
    cr_assert_eq(tl_doc_get(tl_doc_root(d), "devices")->n, 2);
    tl_doc_free(d);
}

Test(agent_doc, syntax_error_names_line_and_column)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(parse(&d, "a: [1, 2\nb: 3\n", &err), TL_EPARSE);
    cr_assert_null(d);
    cr_assert(strncmp(err.msg, "f.yaml:2:", 9) == 0, "%s", err.msg);
    cr_assert(strstr(err.msg, "YAML syntax error"), "%s", err.msg);
    cr_assert_eq(parse(&d, "a: 1\n\tb: 2\n", &err), TL_EPARSE);
    cr_assert(strncmp(err.msg, "f.yaml:2:", 9) == 0, "%s", err.msg);
}

Test(agent_doc, unknown_keys_and_types_name_the_path)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(parse(&d, "goals:\n  - goal: x\n    max_step: 3\n", &err), TL_OK);
    const tl_doc_node *g = tl_doc_get(tl_doc_root(d), "goals")->items[0];
    static const char *const keys[] = {"goal", "max_steps", NULL};
    cr_assert_eq(tl_doc_check_keys(d, g, "goals[0]", keys, &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "f.yaml:3:5: goals[0].max_step: unknown key \"max_step\" (known "
                              "keys: goal, max_steps)");
    const char *s;
    cr_assert_eq(tl_doc_string(d, tl_doc_get(tl_doc_root(d), "goals"), "goals", &s, &err),
                 TL_EPARSE);
    cr_assert(strstr(err.msg, "goals: expected a string, not a list"), "%s", err.msg);
    tl_doc_free(d);
}

Test(agent_doc, duplicate_keys)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(parse(&d, "a: 1\nb: 2\na: 3\n", &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "f.yaml:3:1: duplicate key \"a\" (first at line 1)");
}

Test(agent_doc, aliases_refused_so_no_bomb)
{
    tl_doc *d;
    tl_error err;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    cr_assert_eq(parse(&d, bomb, &err), TL_EPARSE);
    cr_assert(strncmp(err.msg, "f.yaml:2:", 9) == 0, "%s", err.msg);
    cr_assert(strstr(err.msg, "aliases (*a) are not supported"), "%s", err.msg);
}

Test(agent_doc, deep_nesting_refused)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 1);
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = '\0';
    tl_doc *d;
    tl_error err;
    cr_assert_eq(tl_doc_parse(&d, text, 2 * n, "deep.yaml", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "nested more than 64 levels deep"), "%s", err.msg);
    free(text);
}

Test(agent_doc, huge_scalar_refused)
{
    size_t n = TL_DOC_MAX_SCALAR + 10;
    char *text = malloc(n + 8);
    memcpy(text, "a: ", 3);
    memset(text + 3, 'x', n);
    text[n + 3] = '\0';
    tl_doc *d;
    tl_error err;
    cr_assert_eq(tl_doc_parse(&d, text, n + 3, "big.yaml", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "big.yaml:1:4: a value of"), "%s", err.msg);
    free(text);
}

Test(agent_doc, many_nodes_refused)
{
    size_t n = TL_DOC_MAX_NODES + 10;
    char *text = malloc(3 * n + 8);
    size_t o = 0;
    text[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        text[o++] = '1';
        text[o++] = ',';
    }
    text[o++] = ']';
    tl_doc *d;
    tl_error err;
    cr_assert_eq(tl_doc_parse(&d, text, o, "many.yaml", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "more than"), "%s", err.msg);
    free(text);
}

Test(agent_doc, hostile_bytes_and_documents)
{
    tl_doc *d;
    tl_error err;
    cr_assert_eq(tl_doc_parse(&d, "a: \xff\xfe\n", 6, "bin.yaml", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "bin.yaml:1:"), "%s", err.msg);
    cr_assert_eq(tl_doc_parse(&d, "a: x\0b", 6, "nul.yaml", &err), TL_EPARSE);
    cr_assert_eq(parse(&d, "a: 1\n---\nb: 2\n", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "second document"), "%s", err.msg);
    cr_assert_eq(parse(&d, "", &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "f.yaml: the file is empty");
    cr_assert_eq(parse(&d, "a: \"x\\0y\"\n", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "NUL"), "%s", err.msg);
    cr_assert_eq(parse(&d, "a: !custom x\n", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "tag"), "%s", err.msg);
    cr_assert_eq(parse(&d, "? [a, b]\n: 1\n", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "key must be a plain string"), "%s", err.msg);
}

Test(agent_doc, every_prefix_of_a_file_is_handled)
{
    const char *text = "driver: sim\ndevices: [sim:a, 'sim:b']\ngoals:\n  - x\n  - goal: \"y\"\n"
                       "    max_steps: 3\n";
    size_t n = strlen(text);
    for (size_t k = 0; k <= n; k++) {
        tl_doc *d = NULL;
        tl_error err;
        int rc = tl_doc_parse(&d, text, k, "p.yaml", &err);
        cr_assert(rc == TL_OK || rc == TL_EPARSE);
        tl_doc_free(d);
    }
}

Test(agent_doc, paths)
{
    char p[64];
    tl_doc_path(p, sizeof(p), NULL, "goals", 0);
    cr_assert_str_eq(p, "goals");
    tl_doc_path(p, sizeof(p), "goals", NULL, 2);
    cr_assert_str_eq(p, "goals[2]");
    tl_doc_path(p, sizeof(p), "goals[2]", "timeout", 0);
    cr_assert_str_eq(p, "goals[2].timeout");
}
