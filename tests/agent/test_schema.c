/*
 * test_schema.c - the --output-schema subset: every keyword passing and failing, nested objects
 * and arrays, the exact problem messages and paths, the five-problem limit, unsupported
 * keywords and bad keyword values refused at load with their key path, malformed schema JSON
 * with its line, the nesting limit, and a realistic schema for an {"android_version": "14"}
 * answer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/schema.h"
#include "core/buf.h"

static tl_schema *load(const char *json)
{
    tl_schema *s = NULL;
    tl_error err = {0};
    int rc = tl_schema_load(&s, json, strlen(json), "schema.json", &err);
    cr_assert_eq(rc, TL_OK, "load failed (%d): %s\nschema: %s", rc, err.msg, json);
    cr_assert_not_null(s);
    return s;
}

/* Loading fails with TL_EPARSE and exactly this message. */
static void load_fails(const char *json, const char *msg)
{
    tl_schema *s = (tl_schema *)1;
    tl_error err = {0};
    int rc = tl_schema_load(&s, json, strlen(json), "schema.json", &err);
    cr_assert_eq(rc, TL_EPARSE, "load gave %d for %s", rc, json);
    cr_assert_null(s, "out not reset on failure");
    cr_assert_eq(err.code, TL_EPARSE);
    cr_assert_str_eq(err.msg, msg, "schema: %s", json);
}

static void valid(const char *schema, const char *instance)
{
    tl_schema *s = load(schema);
    tl_error err = {0};
    int rc = tl_schema_validate(s, instance, strlen(instance), &err);
    cr_assert_eq(rc, TL_OK, "%s rejected by %s: %s", instance, schema, err.msg);
    tl_schema_free(s);
}

/* Validation rejects the instance with exactly this message. */
static void invalid(const char *schema, const char *instance, const char *msg)
{
    tl_schema *s = load(schema);
    tl_error err = {0};
    int rc = tl_schema_validate(s, instance, instance ? strlen(instance) : 0, &err);
    cr_assert_eq(rc, TL_EREJECTED, "%s: got %d (%s) against %s", instance, rc, err.msg, schema);
    cr_assert_eq(err.code, TL_EREJECTED);
    cr_assert_str_eq(err.msg, msg, "instance %s against %s", instance, schema);
    tl_schema_free(s);
}

/* ---- type ----------------------------------------------------------------------------------- */

Test(agent_schema, type_each_name_passes)
{
    valid("{\"type\":\"object\"}", "{}");
    valid("{\"type\":\"array\"}", "[1,\"a\"]");
    valid("{\"type\":\"string\"}", "\"14\"");
    valid("{\"type\":\"number\"}", "1.5");
    valid("{\"type\":\"number\"}", "3"); /* number accepts integers */
    valid("{\"type\":\"integer\"}", "3");
    valid("{\"type\":\"integer\"}", "3.0"); /* no fractional part */
    valid("{\"type\":\"integer\"}", "-12e2");
    valid("{\"type\":\"boolean\"}", "false");
    valid("{\"type\":\"boolean\"}", "true");
    valid("{\"type\":\"null\"}", "null");
}

Test(agent_schema, type_each_name_fails)
{
    invalid("{\"type\":\"object\"}", "[]", "output: expected object, got array");
    invalid("{\"type\":\"array\"}", "{}", "output: expected array, got object");
    invalid("{\"type\":\"string\"}", "14", "output: expected string, got number");
    invalid("{\"type\":\"number\"}", "\"1.5\"", "output: expected number, got string");
    invalid("{\"type\":\"integer\"}", "3.5", "output: expected integer, got number");
    invalid("{\"type\":\"integer\"}", "true", "output: expected integer, got boolean");
    invalid("{\"type\":\"boolean\"}", "0", "output: expected boolean, got number");
    invalid("{\"type\":\"null\"}", "\"\"", "output: expected null, got string");
    invalid("{\"type\":\"string\"}", "null", "output: expected string, got null");
}

Test(agent_schema, type_list)
{
    const char *s = "{\"type\":[\"string\",\"null\"]}";
    valid(s, "\"x\"");
    valid(s, "null");
    invalid(s, "1", "output: expected string or null, got number");
    invalid("{\"type\":[\"null\",\"integer\",\"string\"]}", "{}",
            "output: expected string, integer or null, got object");
    valid("{\"type\":[\"integer\"]}", "7");
}

/* ---- properties, required, additionalProperties --------------------------------------------- */

Test(agent_schema, properties)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                    "\"age\":{\"type\":\"integer\"}}}";
    valid(s, "{\"name\":\"Ada\",\"age\":36}");
    valid(s, "{}");                    /* properties alone require nothing */
    valid(s, "{\"other\":[1,2]}");     /* and allow others */
    valid("{\"properties\":{}}", "5"); /* properties only apply to objects */
    invalid(s, "{\"name\":1,\"age\":\"x\"}",
            "output.name: expected string, got number; output.age: expected integer, got string");
}

Test(agent_schema, required)
{
    const char *s = "{\"type\":\"object\",\"required\":[\"model\",\"version\"]}";
    valid(s, "{\"model\":\"Pixel\",\"version\":\"14\"}");
    invalid(s, "{\"version\":\"14\"}", "output: missing required property \"model\"");
    invalid(s, "{}",
            "output: missing required property \"model\"; output: missing required property "
            "\"version\"");
    valid("{\"required\":[]}", "{}");
}

Test(agent_schema, additional_properties_false)
{
    const char *s =
        "{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}";
    valid(s, "{\"a\":1}");
    valid(s, "{}");
    invalid(s, "{\"a\":1,\"b\":2}", "output: unexpected property \"b\"");
    valid("{\"additionalProperties\":true}", "{\"x\":1}");
}

Test(agent_schema, additional_properties_schema)
{
    const char *s = "{\"properties\":{\"id\":{\"type\":\"integer\"}},"
                    "\"additionalProperties\":{\"type\":\"string\"}}";
    valid(s, "{\"id\":1,\"x\":\"a\",\"y\":\"b\"}");
    invalid(s, "{\"id\":1,\"x\":2}", "output.x: expected string, got number");
    invalid(s, "{\"id\":\"1\"}", "output.id: expected integer, got string");
}

Test(agent_schema, boolean_subschemas)
{
    valid("true", "[1,{}]");
    valid("{\"properties\":{\"x\":true}}", "{\"x\":null}");
    invalid("{\"properties\":{\"x\":false}}", "{\"x\":null}", "output.x: not allowed here");
    invalid("false", "1", "output: not allowed here");
    valid("{\"items\":false}", "[]");
    invalid("{\"items\":false}", "[0]", "output[0]: not allowed here");
}

/* ---- items, enum, const --------------------------------------------------------------------- */

Test(agent_schema, items)
{
    const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}";
    valid(s, "[]");
    valid(s, "[1,2,3]");
    invalid(s, "[1,\"2\",3.5]",
            "output[1]: expected integer, got string; output[2]: expected integer, got number");
}

Test(agent_schema, nested_objects_and_arrays)
{
    const char *s = "{\"type\":\"object\",\"required\":[\"items\"],\"properties\":{"
                    "\"items\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
                    "\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"},"
                    "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]}}}}}}}";
    valid(s, "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\",\"tags\":[\"a\",\"b\",\"a\"]}]}");
    invalid(s, "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\"},{\"name\":3}]}",
            "output.items[2].name: expected string, got number");
    invalid(s, "{\"items\":[{\"tags\":[\"a\",\"c\"]}]}",
            "output.items[0]: missing required property \"name\"; output.items[0].tags[1]: must "
            "be one of \"a\", \"b\"");
    invalid(s, "{\"items\":{}}", "output.items: expected array, got object");
}

Test(agent_schema, enum_values)
{
    const char *s = "{\"enum\":[\"C\",\"F\",1,null,{\"k\":[1,2]}]}";
    valid(s, "\"C\"");
    valid(s, "1");
    valid(s, "1.0");
    valid(s, "null");
    valid(s, "{\"k\":[1,2]}");
    invalid(s, "\"c\"", "output: must be one of \"C\", \"F\", 1, null, {\"k\":[1,2]}");
    invalid(s, "{\"k\":[2,1]}", "output: must be one of \"C\", \"F\", 1, null, {\"k\":[1,2]}");
    invalid(s, "2", "output: must be one of \"C\", \"F\", 1, null, {\"k\":[1,2]}");
}

Test(agent_schema, enum_long_list_is_cut)
{
    invalid("{\"enum\":[1,2,3,4,5,6,7,8,9,10]}", "0",
            "output: must be one of 1, 2, 3, 4, 5, 6, 7, 8, ...");
}

Test(agent_schema, const_value)
{
    valid("{\"const\":\"answer\"}", "\"answer\"");
    valid("{\"const\":{\"a\":[true,null]}}", "{\"a\":[true,null]}");
    invalid("{\"const\":\"answer\"}", "\"Answer\"", "output: must equal \"answer\"");
    invalid("{\"const\":false}", "0", "output: must equal false");
    invalid("{\"properties\":{\"kind\":{\"type\":\"string\",\"const\":\"x\"}}}", "{\"kind\":\"y\"}",
            "output.kind: must equal \"x\"");
}

Test(agent_schema, long_values_are_cut_in_messages)
{
    char schema[256];
    snprintf(schema, sizeof schema, "{\"const\":\"%s\"}",
             "0123456789012345678901234567890123456789012345678901234567890123456789");
    invalid(schema, "1",
            "output: must equal \"01234567890123456789012345678901234567890123456789012345678..."
            "");
}

/* ---- messages ------------------------------------------------------------------------------- */

Test(agent_schema, at_most_five_problems)
{
    const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}";
    invalid(s, "[1,2,3,4,5]",
            "output[0]: expected string, got number; output[1]: expected string, got number; "
            "output[2]: expected string, got number; output[3]: expected string, got number; "
            "output[4]: expected string, got number");
    invalid(s, "[1,2,3,4,5,6,7]",
            "output[0]: expected string, got number; output[1]: expected string, got number; "
            "output[2]: expected string, got number; output[3]: expected string, got number; "
            "output[4]: expected string, got number; (more problems not shown)");
}

Test(agent_schema, paths_quote_unusual_names)
{
    const char *s = "{\"properties\":{\"a b\":{\"type\":\"string\"},\"2x\":{\"type\":\"string\"},"
                    "\"版本\":{\"type\":\"string\"},\"a.b\":{\"type\":\"string\"}}}";
    invalid(s, "{\"a b\":1}", "output[\"a b\"]: expected string, got number");
    invalid(s, "{\"2x\":1}", "output[\"2x\"]: expected string, got number");
    invalid(s, "{\"版本\":1}", "output.版本: expected string, got number");
    invalid(s, "{\"a.b\":1}", "output[\"a.b\"]: expected string, got number");
    invalid("{\"additionalProperties\":false}", "{\"<x>\\n\":1}",
            "output: unexpected property \"<x>\\n\"");
}

Test(agent_schema, missing_output)
{
    invalid("{\"type\":\"object\"}", NULL, "output: missing, expected object");
    invalid("{\"type\":\"object\"}", "", "output: missing, expected object");
    invalid("{\"type\":\"object\"}", " \n", "output: missing, expected object");
    invalid("{\"type\":[\"object\",\"array\"]}", "", "output: missing, expected object or array");
    invalid("{}", "", "output: missing");
}

Test(agent_schema, instance_not_json)
{
    tl_schema *s = load("{\"type\":\"object\"}");
    tl_error err = {0};
    const char *bad = "{\n  \"a\": tru\n}";
    cr_assert_eq(tl_schema_validate(s, bad, strlen(bad), &err), TL_EPARSE);
    cr_assert_str_eq(err.msg, "output: invalid JSON at line 2, column 8");
    const char *trailing = "{} {}";
    cr_assert_eq(tl_schema_validate(s, trailing, strlen(trailing), &err), TL_EPARSE);
    cr_assert_str_eq(err.msg,
                     "output: invalid JSON at line 1, column 4: unexpected text after the value");
    /* Only len bytes are read: what follows them does not count. */
    const char *prefix = "{\"a\":1}garbage";
    cr_assert_eq(tl_schema_validate(s, prefix, 7, &err), TL_OK, "%s", err.msg);
    tl_schema_free(s);
}

/* ---- loading -------------------------------------------------------------------------------- */

Test(agent_schema, annotations_are_ignored)
{
    const char *s = "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
                    "\"$id\":\"https://example.com/a\",\"$comment\":\"c\",\"title\":\"T\","
                    "\"description\":\"D\",\"examples\":[{\"x\":1}],\"default\":{},"
                    "\"type\":\"object\",\"properties\":{\"x\":{\"title\":3,\"description\":"
                    "{\"weird\":true},\"type\":\"integer\",\"default\":\"not checked\"}}}";
    valid(s, "{\"x\":1}");
    invalid(s, "{\"x\":\"1\"}", "output.x: expected integer, got string");
}

Test(agent_schema, unsupported_keywords)
{
    load_fails("{\"properties\":{\"name\":{\"type\":\"string\",\"pattern\":\"^a\"}}}",
               "schema.json: properties.name.pattern: unsupported keyword");
    load_fails("{\"minimum\":0}", "schema.json: minimum: unsupported keyword");
    load_fails("{\"$ref\":\"#/$defs/x\"}", "schema.json: $ref: unsupported keyword");
    load_fails("{\"items\":{\"oneOf\":[]}}", "schema.json: items.oneOf: unsupported keyword");
    load_fails("{\"additionalProperties\":{\"format\":\"date\"}}",
               "schema.json: additionalProperties.format: unsupported keyword");
    load_fails("{\"properties\":{\"a b\":{\"minLength\":1}}}",
               "schema.json: properties[\"a b\"].minLength: unsupported keyword");
    load_fails("{\"items\":[{\"type\":\"string\"}]}",
               "schema.json: items: a list of schemas (tuple validation) is not supported; give "
               "one schema for every item");
    /* A property merely named like a keyword is fine. */
    valid("{\"properties\":{\"pattern\":{\"type\":\"string\"}}}", "{\"pattern\":\"x\"}");
}

Test(agent_schema, bad_keyword_values)
{
    load_fails("{\"type\":\"strng\"}",
               "schema.json: type: unknown type \"strng\" (types: object, array, string, number, "
               "integer, boolean, null)");
    load_fails("{\"type\":3}",
               "schema.json: type: expected a type name or a non-empty list of type names");
    load_fails("{\"type\":[]}",
               "schema.json: type: expected a type name or a non-empty list of type names");
    load_fails("{\"type\":[\"string\",3]}", "schema.json: type[1]: expected a type name");
    load_fails("{\"type\":[\"string\",\"nul\"]}",
               "schema.json: type[1]: unknown type \"nul\" (types: object, array, string, "
               "number, integer, boolean, null)");
    load_fails("{\"type\":[\"string\",\"string\"]}", "schema.json: type[1]: type listed twice");
    load_fails("{\"required\":\"name\"}",
               "schema.json: required: expected a list of property names");
    load_fails("{\"required\":[\"a\",1]}",
               "schema.json: required: expected a list of property names (strings)");
    load_fails("{\"properties\":[]}",
               "schema.json: properties: expected an object mapping property names to schemas");
    load_fails("{\"properties\":{\"a\":\"string\"}}",
               "schema.json: properties.a: expected a schema (an object, true or false)");
    load_fails("{\"items\":3}", "schema.json: items: expected a schema (an object, true or false)");
    load_fails("{\"enum\":\"a\"}", "schema.json: enum: expected a non-empty list of values");
    load_fails("{\"enum\":[]}", "schema.json: enum: expected a non-empty list of values");
    load_fails("{\"additionalProperties\":\"no\"}",
               "schema.json: additionalProperties: expected a schema (an object, true or false)");
    load_fails("{\"type\":\"string\",\"type\":\"integer\"}",
               "schema.json: type: keyword given twice");
    load_fails("[{\"type\":\"string\"}]",
               "schema.json: the schema must be a JSON object (or true or false)");
    load_fails("\"string\"", "schema.json: the schema must be a JSON object (or true or false)");
}

Test(agent_schema, malformed_schema_json)
{
    load_fails(
        "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": {\"type\": \"string\",}\n"
        "  }\n}",
        "schema.json: invalid JSON at line 4, column 29");
    load_fails("{\"type\":\"object\"} x",
               "schema.json: invalid JSON at line 1, column 19: unexpected text after the value");
    load_fails("", "schema.json: empty schema");
    load_fails("  \n ", "schema.json: empty schema");
    load_fails("{\"type\":", "schema.json: invalid JSON at line 1, column 8");
}

Test(agent_schema, origin_defaults_and_null_text)
{
    tl_schema *s = (tl_schema *)1;
    tl_error err = {0};
    cr_assert_eq(tl_schema_load(&s, NULL, 0, NULL, &err), TL_EPARSE);
    cr_assert_null(s);
    cr_assert_str_eq(err.msg, "schema: empty schema");
    tl_schema_free(NULL);
}

/* A schema of `levels` objects nested through properties.a, innermost {"type":"string"}. */
static char *nested_schema(int levels)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    for (int i = 0; i < levels; i++)
        cr_assert_eq(tl_buf_puts(&b, "{\"properties\":{\"a\":"), TL_OK);
    cr_assert_eq(tl_buf_puts(&b, "{\"type\":\"string\"}"), TL_OK);
    for (int i = 0; i < levels; i++)
        cr_assert_eq(tl_buf_puts(&b, "}}"), TL_OK);
    return tl_buf_detach(&b, NULL);
}

Test(agent_schema, nesting_limit)
{
    char *ok = nested_schema(64); /* the innermost schema is at level 64 */
    tl_schema *s = load(ok);
    /* An instance as deep as the schema is walked to the bottom. */
    tl_buf inst;
    tl_buf_init(&inst, 0);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(tl_buf_puts(&inst, "{\"a\":"), TL_OK);
    cr_assert_eq(tl_buf_puts(&inst, "1"), TL_OK);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(tl_buf_puts(&inst, "}"), TL_OK);
    tl_error err = {0};
    cr_assert_eq(tl_schema_validate(s, inst.data, inst.len, &err), TL_EREJECTED);
    cr_assert(strstr(err.msg, "output.a.a.a.") == err.msg, "%s", err.msg);
    cr_assert(strstr(err.msg, ".a: expected string, got number") != NULL, "%s", err.msg);
    tl_buf_dispose(&inst);
    tl_schema_free(s);
    free(ok);

    char *deep = nested_schema(65);
    s = (tl_schema *)1;
    cr_assert_eq(tl_schema_load(&s, deep, strlen(deep), "deep.json", &err), TL_EPARSE);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "deep.json: schema nested deeper than 64 levels, at "
                              "properties.a.properties.a.") == err.msg,
              "%s", err.msg);
    free(deep);

    /* Items count as levels too. */
    tl_buf b;
    tl_buf_init(&b, 0);
    for (int i = 0; i < 65; i++)
        cr_assert_eq(tl_buf_puts(&b, "{\"items\":"), TL_OK);
    cr_assert_eq(tl_buf_puts(&b, "true"), TL_OK);
    for (int i = 0; i < 65; i++)
        cr_assert_eq(tl_buf_puts(&b, "}"), TL_OK);
    cr_assert_eq(tl_schema_load(&s, b.data, b.len, "items.json", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "items.json: schema nested deeper than 64 levels") == err.msg, "%s",
              err.msg);
    tl_buf_dispose(&b);
}

Test(agent_schema, deep_json_is_refused_not_crashing)
{
    size_t n = 100000;
    char *deep = malloc(n + 1);
    cr_assert_not_null(deep);
    memset(deep, '[', n);
    deep[n] = '\0';
    tl_schema *s = (tl_schema *)1;
    tl_error err = {0};
    cr_assert_eq(tl_schema_load(&s, deep, n, "deep.json", &err), TL_EPARSE);
    cr_assert(strstr(err.msg, "deep.json: invalid JSON at line 1") == err.msg, "%s", err.msg);

    /* A deep instance against a shallow schema: nothing below the schema is walked. */
    s = load("{\"type\":\"array\"}");
    memset(deep, '[', 500);
    memset(deep + 500, ']', 500);
    cr_assert_eq(tl_schema_validate(s, deep, 1000, &err), TL_OK, "%s", err.msg);
    memset(deep, '[', n);
    cr_assert_eq(tl_schema_validate(s, deep, n, &err), TL_EPARSE);
    tl_schema_free(s);
    free(deep);
}

Test(agent_schema, text_is_compact_json)
{
    tl_schema *s = load("{\n  \"type\" : \"object\",\n  \"required\" : [ \"a\" ],\n"
                        "  \"description\": \"the answer\"\n}\n");
    cr_assert_str_eq(tl_schema_text(s),
                     "{\"type\":\"object\",\"required\":[\"a\"],\"description\":\"the answer\"}");
    tl_schema_free(s);
}

Test(agent_schema, realistic_android_version_answer)
{
    const char *schema =
        "{\n"
        "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
        "  \"title\": \"Device info\",\n"
        "  \"type\": \"object\",\n"
        "  \"properties\": {\n"
        "    \"android_version\": {\"type\": \"string\", \"description\": \"e.g. 14\"},\n"
        "    \"model\": {\"type\": \"string\"},\n"
        "    \"security_patch\": {\"type\": [\"string\", \"null\"]},\n"
        "    \"build_number\": {\"type\": \"string\"},\n"
        "    \"storage_gb\": {\"type\": \"integer\"},\n"
        "    \"dark_theme\": {\"type\": \"boolean\"},\n"
        "    \"channel\": {\"enum\": [\"stable\", \"beta\"]}\n"
        "  },\n"
        "  \"required\": [\"android_version\", \"model\"],\n"
        "  \"additionalProperties\": false\n"
        "}\n";
    valid(schema, "{\"android_version\":\"14\",\"model\":\"Pixel 8\"}");
    valid(schema, "{\"android_version\":\"14\",\"model\":\"Pixel 8\",\"security_patch\":null,"
                  "\"storage_gb\":128.0,\"dark_theme\":true,\"channel\":\"beta\"}");
    invalid(schema, "{\"android_version\":14,\"model\":\"Pixel 8\"}",
            "output.android_version: expected string, got number");
    invalid(schema, "{\"android_version\":\"14\"}", "output: missing required property \"model\"");
    invalid(schema,
            "{\"version\":\"14\",\"model\":\"Pixel 8\",\"storage_gb\":\"128 GB\","
            "\"channel\":\"nightly\"}",
            "output: missing required property \"android_version\"; output: unexpected "
            "property \"version\"; output.storage_gb: expected integer, got string; "
            "output.channel: must be one of \"stable\", \"beta\"");
    invalid(schema, "[\"14\"]", "output: expected object, got array");
    invalid(schema, "", "output: missing, expected object");
}
