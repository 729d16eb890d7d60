/*
 * schema.c - the --output-schema subset of JSON Schema (see schema.h).
 *
 * A tl_schema owns the parsed cJSON tree of the schema and its compact text. Loading checks
 * every keyword once (known, well-formed, nesting at most TL_SCHEMA_MAX_DEPTH subschemas deep),
 * so that validation can trust the tree. Validation walks the instance alongside the schema:
 * it only descends where the schema has a subschema (properties, items, additionalProperties),
 * so its recursion is bounded by the schema's depth whatever the instance holds.
 *
 * Problems are collected into a message as "path: problem" separated by "; ", at most
 * TL_SCHEMA_MAX_PROBLEMS of them; paths read like output.items[2].name, with names that are not
 * plain identifiers quoted as ["a b"].
 */
#include "agent/schema.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"

/* Deepest allowed nesting of subschemas (the root is level 0). */
#define TL_SCHEMA_MAX_DEPTH    64
/* Problems reported by one validation. */
#define TL_SCHEMA_MAX_PROBLEMS 5
/* Values of an enum shown in a message. */
#define TL_SCHEMA_ENUM_SHOWN   8
/* Code points of one value shown in a message. */
#define TL_SCHEMA_VALUE_SHOWN  60

struct tl_schema {
    cJSON *root; /* validated at load */
    char *text;  /* compact JSON, from cJSON_PrintUnformatted */
};

/* Keywords: the first group is checked, the second only annotates. */
enum keyword {
    KW_TYPE,
    KW_PROPERTIES,
    KW_REQUIRED,
    KW_ITEMS,
    KW_ENUM,
    KW_ADDITIONAL,
    KW_CONST,
    KW_ANNOTATION,
    KW_UNKNOWN,
};

static const struct {
    const char *name;
    enum keyword kw;
} KEYWORDS[] = {
    {"type", KW_TYPE},           {"properties", KW_PROPERTIES},
    {"required", KW_REQUIRED},   {"items", KW_ITEMS},
    {"enum", KW_ENUM},           {"additionalProperties", KW_ADDITIONAL},
    {"const", KW_CONST},         {"$schema", KW_ANNOTATION},
    {"$id", KW_ANNOTATION},      {"$comment", KW_ANNOTATION},
    {"title", KW_ANNOTATION},    {"description", KW_ANNOTATION},
    {"examples", KW_ANNOTATION}, {"default", KW_ANNOTATION},
};

/* JSON Schema type names, as bits of a type mask. */
enum {
    T_OBJECT = 1u << 0,
    T_ARRAY = 1u << 1,
    T_STRING = 1u << 2,
    T_NUMBER = 1u << 3,
    T_INTEGER = 1u << 4,
    T_BOOLEAN = 1u << 5,
    T_NULL = 1u << 6,
};

static const char *const TYPE_NAMES[] = {"object",  "array",   "string", "number",
                                         "integer", "boolean", "null"};
#define TYPE_COUNT (sizeof TYPE_NAMES / sizeof TYPE_NAMES[0])

static enum keyword keyword_of(const char *name, size_t *slot)
{
    for (size_t i = 0; i < sizeof KEYWORDS / sizeof KEYWORDS[0]; i++) {
        if (strcmp(KEYWORDS[i].name, name) == 0) {
            *slot = i;
            return KEYWORDS[i].kw;
        }
    }
    return KW_UNKNOWN;
}

static unsigned type_bit(const char *name)
{
    for (size_t i = 0; i < TYPE_COUNT; i++)
        if (strcmp(TYPE_NAMES[i], name) == 0)
            return 1u << i;
    return 0;
}

/* ---- paths ---------------------------------------------------------------------------------- */

/* A name that reads well after a dot: no digit first, only word characters, '-', '$', UTF-8. */
static bool plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || (s[0] >= '0' && s[0] <= '9') || !tl_utf8_valid(s, n))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '$' || c >= 0x80;
        if (!ok)
            return false;
    }
    return true;
}

/* Append ".name" (or "name" at the start of a path) or ["name"] to a path. */
static int path_push_name(tl_buf *path, const char *name)
{
    if (plain_name(name)) {
        if (path->len && tl_buf_putc(path, '.') != TL_OK)
            return TL_ENOMEM;
        return tl_buf_puts(path, name);
    }
    if (tl_buf_putc(path, '[') != TL_OK || tl_json_cstr(path, name) != TL_OK)
        return TL_ENOMEM;
    return tl_buf_putc(path, ']');
}

static int path_push_index(tl_buf *path, size_t i)
{
    return tl_buf_printf(path, "[%zu]", i);
}

static void path_pop(tl_buf *path, size_t len)
{
    path->len = len;
    if (path->data)
        path->data[len] = '\0';
}

/* Append a JSON value compactly, cut to TL_SCHEMA_VALUE_SHOWN code points with "...". */
static int put_value(tl_buf *b, const cJSON *v)
{
    char *text = cJSON_PrintUnformatted(v);
    if (!text)
        return TL_ENOMEM;
    size_t n = strlen(text);
    size_t keep = tl_utf8_prefix(text, n, TL_SCHEMA_VALUE_SHOWN);
    int rc = tl_buf_append(b, text, keep);
    if (rc == TL_OK && keep < n)
        rc = tl_buf_puts(b, "...");
    cJSON_free(text);
    return rc;
}

/* Append "a", "a or b", "a, b or c" for the types of a mask. */
static int put_types(tl_buf *b, unsigned mask)
{
    size_t total = 0, done = 0;
    for (size_t i = 0; i < TYPE_COUNT; i++)
        total += (mask >> i) & 1u;
    for (size_t i = 0; i < TYPE_COUNT; i++) {
        if (!((mask >> i) & 1u))
            continue;
        const char *sep = done == 0 ? "" : done + 1 == total ? " or " : ", ";
        if (tl_buf_puts(b, sep) != TL_OK || tl_buf_puts(b, TYPE_NAMES[i]) != TL_OK)
            return TL_ENOMEM;
        done++;
    }
    return TL_OK;
}

/* Line and column (1-based, columns in bytes) of offset `at` in text. */
static void line_col(const char *text, size_t at, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/*
 * Parse one JSON value filling all of text[0..len). On failure sets TL_EPARSE
 * "<what>: invalid JSON at line L, column C" (or "...: unexpected text after the JSON value").
 */
static int parse_json(cJSON **out, const char *text, size_t len, const char *what, tl_error *err)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, false);
    size_t line, col;
    if (!v) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        line_col(text, at, &line, &col);
        return tl_error_set(err, TL_EPARSE, "%s: invalid JSON at line %zu, column %zu", what, line,
                            col);
    }
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    if (!blank(text + at, len - at)) {
        while (at < len && blank(text + at, 1))
            at++;
        line_col(text, at, &line, &col);
        cJSON_Delete(v);
        return tl_error_set(err, TL_EPARSE,
                            "%s: invalid JSON at line %zu, column %zu: unexpected text after the "
                            "value",
                            what, line, col);
    }
    *out = v;
    return TL_OK;
}

/* ---- loading -------------------------------------------------------------------------------- */

struct loader {
    const char *origin;
    tl_buf path; /* key path of the schema node being checked */
    tl_error *err;
};

/* Refuse the keyword or value at the current path. */
static int load_fail(struct loader *ld, const char *what)
{
    if (ld->path.len == 0)
        return tl_error_set(ld->err, TL_EPARSE, "%s: %s", ld->origin, what);
    return tl_error_set(ld->err, TL_EPARSE, "%s: %s: %s", ld->origin, ld->path.data, what);
}

static int load_oom(struct loader *ld)
{
    return tl_error_set(ld->err, TL_ENOMEM, "%s: out of memory while loading the schema",
                        ld->origin);
}

static int check_schema(struct loader *ld, const cJSON *s, int depth);

static int check_type(struct loader *ld, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        if (!type_bit(v->valuestring)) {
            tl_buf msg;
            tl_buf_init(&msg, 0);
            int rc = tl_buf_puts(&msg, "unknown type ");
            if (rc == TL_OK)
                rc = tl_json_cstr(&msg, v->valuestring);
            if (rc == TL_OK)
                rc = tl_buf_puts(&msg, " (types: object, array, string, number, integer, "
                                       "boolean, null)");
            rc = rc == TL_OK ? load_fail(ld, msg.data) : load_oom(ld);
            tl_buf_dispose(&msg);
            return rc;
        }
        return TL_OK;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return load_fail(ld, "expected a type name or a non-empty list of type names");
    unsigned seen = 0;
    size_t i = 0;
    for (const cJSON *t = v->child; t; t = t->next, i++) {
        size_t mark = ld->path.len;
        if (path_push_index(&ld->path, i) != TL_OK)
            return load_oom(ld);
        int rc = TL_OK;
        if (!cJSON_IsString(t))
            rc = load_fail(ld, "expected a type name");
        else if ((rc = check_type(ld, t)) == TL_OK && (seen & type_bit(t->valuestring)))
            rc = load_fail(ld, "type listed twice");
        if (rc != TL_OK)
            return rc;
        seen |= type_bit(t->valuestring);
        path_pop(&ld->path, mark);
    }
    return TL_OK;
}

static int check_keyword(struct loader *ld, enum keyword kw, const cJSON *v, int depth)
{
    switch (kw) {
    case KW_TYPE: return check_type(ld, v);
    case KW_PROPERTIES:
        if (!cJSON_IsObject(v))
            return load_fail(ld, "expected an object mapping property names to schemas");
        for (const cJSON *p = v->child; p; p = p->next) {
            size_t mark = ld->path.len;
            if (path_push_name(&ld->path, p->string) != TL_OK)
                return load_oom(ld);
            int rc = check_schema(ld, p, depth + 1);
            if (rc != TL_OK)
                return rc;
            path_pop(&ld->path, mark);
        }
        return TL_OK;
    case KW_REQUIRED:
        if (!cJSON_IsArray(v))
            return load_fail(ld, "expected a list of property names");
        for (const cJSON *p = v->child; p; p = p->next)
            if (!cJSON_IsString(p))
                return load_fail(ld, "expected a list of property names (strings)");
        return TL_OK;
    case KW_ITEMS:
        if (cJSON_IsArray(v))
            return load_fail(ld, "a list of schemas (tuple validation) is not supported; give "
                                 "one schema for every item");
        return check_schema(ld, v, depth + 1);
    case KW_ENUM:
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
            return load_fail(ld, "expected a non-empty list of values");
        return TL_OK;
    case KW_ADDITIONAL: return check_schema(ld, v, depth + 1);
    case KW_CONST:
    case KW_ANNOTATION:
    case KW_UNKNOWN: break;
    }
    return TL_OK;
}

/* Check one schema (object or boolean) at the current path, `depth` subschemas below the root. */
static int check_schema(struct loader *ld, const cJSON *s, int depth)
{
    if (depth > TL_SCHEMA_MAX_DEPTH) /* the path is long: the reason goes first */
        return tl_error_set(ld->err, TL_EPARSE, "%s: schema nested deeper than %d levels, at %s",
                            ld->origin, TL_SCHEMA_MAX_DEPTH, ld->path.data);
    if (cJSON_IsBool(s))
        return TL_OK;
    if (!cJSON_IsObject(s))
        return load_fail(ld, "expected a schema (an object, true or false)");
    unsigned long seen = 0;
    for (const cJSON *k = s->child; k; k = k->next) {
        size_t mark = ld->path.len;
        if (path_push_name(&ld->path, k->string) != TL_OK)
            return load_oom(ld);
        size_t slot = 0;
        enum keyword kw = keyword_of(k->string, &slot);
        int rc = TL_OK;
        if (kw == KW_UNKNOWN)
            rc = load_fail(ld, "unsupported keyword");
        else if (seen & (1ul << slot))
            rc = load_fail(ld, "keyword given twice");
        else
            rc = check_keyword(ld, kw, k, depth);
        if (rc != TL_OK)
            return rc;
        seen |= 1ul << slot;
        path_pop(&ld->path, mark);
    }
    return TL_OK;
}

int tl_schema_load(tl_schema **out, const char *json, size_t len, const char *origin, tl_error *err)
{
    *out = NULL;
    if (!origin || !*origin)
        origin = "schema";
    if (!json || blank(json, len))
        return tl_error_set(err, TL_EPARSE, "%s: empty schema", origin);
    cJSON *root = NULL;
    int rc = parse_json(&root, json, len, origin, err);
    if (rc != TL_OK)
        return rc;
    struct loader ld = {.origin = origin, .err = err};
    tl_buf_init(&ld.path, 0);
    if (!cJSON_IsObject(root) && !cJSON_IsBool(root))
        rc = load_fail(&ld, "the schema must be a JSON object (or true or false)");
    else
        rc = check_schema(&ld, root, 0);
    tl_buf_dispose(&ld.path);
    if (rc != TL_OK) {
        cJSON_Delete(root);
        return rc;
    }
    tl_schema *s = calloc(1, sizeof *s);
    char *text = cJSON_PrintUnformatted(root);
    if (!s || !text) {
        free(s);
        cJSON_free(text);
        cJSON_Delete(root);
        return tl_error_set(err, TL_ENOMEM, "%s: out of memory while loading the schema", origin);
    }
    s->root = root;
    s->text = text;
    *out = s;
    return TL_OK;
}

void tl_schema_free(tl_schema *s)
{
    if (!s)
        return;
    cJSON_Delete(s->root);
    cJSON_free(s->text);
    free(s);
}

const char *tl_schema_text(const tl_schema *s)
{
    return s->text;
}

/* ---- validation ----------------------------------------------------------------------------- */

struct validator {
    tl_buf path;     /* instance path, starting with "output" */
    tl_buf problems; /* "path: problem; path: problem" */
    int count;       /* problems in `problems` */
    bool more;       /* a problem beyond TL_SCHEMA_MAX_PROBLEMS was found */
    bool oom;
};

/* Start a problem at the current path; the caller appends its text. false: stop walking. */
static bool problem_begin(struct validator *v)
{
    if (v->count == TL_SCHEMA_MAX_PROBLEMS) {
        v->more = true;
        return false;
    }
    if ((v->count && tl_buf_puts(&v->problems, "; ") != TL_OK) ||
        tl_buf_append(&v->problems, v->path.data, v->path.len) != TL_OK ||
        tl_buf_puts(&v->problems, ": ") != TL_OK) {
        v->oom = true;
        return false;
    }
    v->count++;
    return true;
}

static bool stopped(const struct validator *v)
{
    return v->more || v->oom;
}

static void problem_text(struct validator *v, const char *text)
{
    if (problem_begin(v) && tl_buf_puts(&v->problems, text) != TL_OK)
        v->oom = true;
}

/* The JSON Schema types an instance value belongs to (a number may also be an integer). */
static unsigned types_of(const cJSON *x)
{
    if (cJSON_IsObject(x))
        return T_OBJECT;
    if (cJSON_IsArray(x))
        return T_ARRAY;
    if (cJSON_IsString(x))
        return T_STRING;
    if (cJSON_IsBool(x))
        return T_BOOLEAN;
    if (cJSON_IsNull(x))
        return T_NULL;
    if (cJSON_IsNumber(x)) {
        double d = x->valuedouble;
        return isfinite(d) && floor(d) == d ? T_NUMBER | T_INTEGER : T_NUMBER;
    }
    return 0;
}

static unsigned type_mask(const cJSON *type)
{
    if (cJSON_IsString(type))
        return type_bit(type->valuestring);
    unsigned mask = 0;
    for (const cJSON *t = type->child; t; t = t->next)
        mask |= type_bit(t->valuestring);
    return mask;
}

/* "expected string or null, got number" */
static void problem_type(struct validator *v, unsigned want, unsigned got)
{
    if (!problem_begin(v))
        return;
    unsigned got_name = got & T_OBJECT    ? T_OBJECT
                        : got & T_ARRAY   ? T_ARRAY
                        : got & T_STRING  ? T_STRING
                        : got & T_BOOLEAN ? T_BOOLEAN
                        : got & T_NULL    ? T_NULL
                                          : T_NUMBER;
    if (tl_buf_puts(&v->problems, "expected ") != TL_OK || put_types(&v->problems, want) != TL_OK ||
        tl_buf_puts(&v->problems, ", got ") != TL_OK || put_types(&v->problems, got_name) != TL_OK)
        v->oom = true;
}

static void problem_values(struct validator *v, const char *lead, const cJSON *values, bool list)
{
    if (!problem_begin(v))
        return;
    int rc = tl_buf_puts(&v->problems, lead);
    if (!list) {
        if (rc == TL_OK)
            rc = put_value(&v->problems, values);
    } else {
        int shown = 0;
        for (const cJSON *e = values->child; e && rc == TL_OK; e = e->next, shown++) {
            if (shown == TL_SCHEMA_ENUM_SHOWN) {
                rc = tl_buf_puts(&v->problems, ", ...");
                break;
            }
            if (shown)
                rc = tl_buf_puts(&v->problems, ", ");
            if (rc == TL_OK)
                rc = put_value(&v->problems, e);
        }
    }
    if (rc != TL_OK)
        v->oom = true;
}

/* "unexpected property "x"" / "missing required property "x"" */
static void problem_property(struct validator *v, const char *lead, const char *name)
{
    if (!problem_begin(v))
        return;
    if (tl_buf_puts(&v->problems, lead) != TL_OK || tl_json_cstr(&v->problems, name) != TL_OK)
        v->oom = true;
}

static void validate(struct validator *v, const cJSON *s, const cJSON *x);

/* Validate x against schema s at path + name (or + [index] when name is NULL). */
static void validate_child(struct validator *v, const cJSON *s, const cJSON *x, const char *name,
                           size_t index)
{
    size_t mark = v->path.len;
    int rc = name ? path_push_name(&v->path, name) : path_push_index(&v->path, index);
    if (rc != TL_OK) {
        v->oom = true;
        return;
    }
    validate(v, s, x);
    path_pop(&v->path, mark);
}

static void validate_object(struct validator *v, const cJSON *s, const cJSON *x)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(s, "required");
    const cJSON *additional = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
    for (const cJSON *r = required ? required->child : NULL; r && !stopped(v); r = r->next)
        if (!cJSON_GetObjectItemCaseSensitive(x, r->valuestring))
            problem_property(v, "missing required property ", r->valuestring);
    for (const cJSON *m = x->child; m && !stopped(v); m = m->next) {
        const cJSON *sub = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        if (sub) {
            validate_child(v, sub, m, m->string, 0);
        } else if (cJSON_IsFalse(additional)) {
            problem_property(v, "unexpected property ", m->string);
        } else if (additional) {
            validate_child(v, additional, m, m->string, 0);
        }
    }
}

static void validate(struct validator *v, const cJSON *s, const cJSON *x)
{
    if (cJSON_IsTrue(s))
        return;
    if (cJSON_IsFalse(s)) {
        problem_text(v, "not allowed here");
        return;
    }
    unsigned got = types_of(x);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
    if (type) {
        unsigned want = type_mask(type);
        if (!(want & got)) {
            problem_type(v, want, got);
            return; /* the other keywords would only repeat it */
        }
    }
    const cJSON *cnst = cJSON_GetObjectItemCaseSensitive(s, "const");
    if (cnst && !cJSON_Compare(cnst, x, true))
        problem_values(v, "must equal ", cnst, false);
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enum");
    if (en && !stopped(v)) {
        const cJSON *e = en->child;
        while (e && !cJSON_Compare(e, x, true))
            e = e->next;
        if (!e)
            problem_values(v, "must be one of ", en, true);
    }
    if (stopped(v))
        return;
    if (got & T_OBJECT) {
        validate_object(v, s, x);
    } else if (got & T_ARRAY) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
        size_t i = 0;
        for (const cJSON *e = items ? x->child : NULL; e && !stopped(v); e = e->next, i++)
            validate_child(v, items, e, NULL, i);
    }
}

int tl_schema_validate(const tl_schema *s, const char *instance, size_t len, tl_error *err)
{
    struct validator v = {0};
    tl_buf_init(&v.path, 0);
    tl_buf_init(&v.problems, 0);
    int rc = TL_OK;
    cJSON *x = NULL;
    if (!instance || blank(instance, len)) {
        const cJSON *type =
            cJSON_IsObject(s->root) ? cJSON_GetObjectItemCaseSensitive(s->root, "type") : NULL;
        tl_buf msg;
        tl_buf_init(&msg, 0);
        int mrc = tl_buf_puts(&msg, "output: missing");
        if (mrc == TL_OK && type) {
            mrc = tl_buf_puts(&msg, ", expected ");
            if (mrc == TL_OK)
                mrc = put_types(&msg, type_mask(type));
        }
        rc = mrc == TL_OK ? tl_error_set(err, TL_EREJECTED, "%s", msg.data)
                          : tl_error_set(err, TL_ENOMEM, "out of memory validating the output");
        tl_buf_dispose(&msg);
        goto done;
    }
    rc = parse_json(&x, instance, len, "output", err);
    if (rc != TL_OK)
        goto done;
    if (tl_buf_puts(&v.path, "output") != TL_OK) {
        v.oom = true;
    } else {
        validate(&v, s->root, x);
    }
    if (v.oom)
        rc = tl_error_set(err, TL_ENOMEM, "out of memory validating the output");
    else if (v.count)
        rc = tl_error_set(err, TL_EREJECTED, "%s%s", v.problems.data,
                          v.more ? "; (more problems not shown)" : "");
done:
    cJSON_Delete(x);
    tl_buf_dispose(&v.path);
    tl_buf_dispose(&v.problems);
    return rc;
}
