/*
 * doc.c - configuration documents (see doc.h): libyaml's event stream folded into a tree of
 * tl_doc_node, each node malloc'd and owned by its parent (the root by the tl_doc), with the
 * limits that keep hostile files harmless checked as each event arrives.
 *
 * The builder keeps a stack of open containers (at most TL_DOC_MAX_DEPTH). A mapping's items
 * alternate key and value; a key must be a scalar, and duplicate keys are found when the
 * mapping ends (its keys sorted, so a mapping of many keys costs n log n, not n^2).
 */
#include "agent/doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"
#include "core/fs.h"
#include "core/str.h"

struct tl_doc {
    char *name;        /* owned */
    tl_doc_node *root; /* owned */
};

/* ---- nodes ---------------------------------------------------------------------------------- */

static void node_free(tl_doc_node *n)
{
    if (!n)
        return;
    size_t count = n->kind == TL_DOC_MAP ? 2 * n->n : n->n;
    for (size_t i = 0; i < count; i++)
        node_free(n->items[i]); /* depth is bounded by TL_DOC_MAX_DEPTH */
    /* a mapping cut short by an error may hold a key without its value in items[2n] (attach()
     * always leaves that slot allocated) */
    if (n->kind == TL_DOC_MAP && n->items)
        node_free(n->items[count]);
    free(n->items);
    free(n->text);
    free(n);
}

void tl_doc_free(tl_doc *d)
{
    if (!d)
        return;
    node_free(d->root);
    free(d->name);
    free(d);
}

const tl_doc_node *tl_doc_root(const tl_doc *d)
{
    return d->root;
}

const char *tl_doc_name(const tl_doc *d)
{
    return d->name;
}

/* ---- the builder ---------------------------------------------------------------------------- */

typedef struct builder {
    const tl_doc *doc;
    tl_doc_node *stack[TL_DOC_MAX_DEPTH];
    size_t cap[TL_DOC_MAX_DEPTH]; /* allocated item slots of each open container */
    int depth;
    size_t nodes;
    tl_doc_node *root;
    int documents;
} builder;

static int err_at(const tl_doc *d, int line, int col, tl_error *err, const char *fmt, ...)
    TL_PRINTF(5, 6);

static int err_at(const tl_doc *d, int line, int col, tl_error *err, const char *fmt, ...)
{
    char msg[TL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tl_error_set(err, TL_EPARSE, "%s:%d:%d: %s", d->name, line, col, msg);
}

static bool is_null_text(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

/* A tag libyaml reports: the standard ones (or none) are accepted; `*str` tells !!str. */
static bool tag_ok(const yaml_char_t *tag, bool *str)
{
    *str = false;
    if (!tag)
        return true;
    const char *t = (const char *)tag;
    static const char prefix[] = "tag:yaml.org,2002:";
    if (strncmp(t, prefix, sizeof(prefix) - 1) != 0)
        return strcmp(t, "!") == 0;
    t += sizeof(prefix) - 1;
    *str = strcmp(t, "str") == 0;
    static const char *const known[] = {"str", "int", "float", "bool", "null", "seq", "map"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(t, known[i]) == 0)
            return true;
    return false;
}

/* Add a finished or newly opened node to the open container (or make it the root). */
static int attach(builder *b, tl_doc_node *n, tl_error *err)
{
    if (++b->nodes > TL_DOC_MAX_NODES) {
        int line = n->line, col = n->col;
        node_free(n);
        return err_at(b->doc, line, col, err, "the document has more than %d nodes",
                      TL_DOC_MAX_NODES);
    }
    if (b->depth == 0) {
        b->root = n;
        return TL_OK;
    }
    tl_doc_node *p = b->stack[b->depth - 1];
    size_t *cap = &b->cap[b->depth - 1];
    size_t count = p->kind == TL_DOC_MAP ? 2 * p->n : p->n;
    /* A mapping counts a pair in n once its value arrives: a key waiting for its value sits in
     * items[2n] (unused slots are NULL). */
    bool pending_key = p->kind == TL_DOC_MAP && p->items && count < *cap && p->items[count];
    size_t slot = count + (pending_key ? 1 : 0);
    if (p->kind == TL_DOC_MAP && !pending_key && n->kind != TL_DOC_SCALAR &&
        n->kind != TL_DOC_NULL) {
        int rc = err_at(b->doc, n->line, n->col, err,
                        "a mapping key must be a plain string, not %s", tl_doc_kind_name(n));
        node_free(n);
        return rc;
    }
    if (slot + 1 >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        tl_doc_node **items = realloc(p->items, ncap * sizeof(*items));
        if (!items) {
            node_free(n);
            return tl_error_set(err, TL_ENOMEM, "out of memory reading %s", b->doc->name);
        }
        memset(items + *cap, 0, (ncap - *cap) * sizeof(*items));
        p->items = items;
        *cap = ncap;
    }
    p->items[slot] = n;
    if (p->kind == TL_DOC_SEQ)
        p->n++;
    else if (pending_key)
        p->n++; /* the pair is complete */
    return TL_OK;
}

static tl_doc_node *node_new(tl_doc_kind kind, const yaml_mark_t *mark)
{
    tl_doc_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    n->text = calloc(1, 1);
    if (!n->text) {
        free(n);
        return NULL;
    }
    return n;
}

static int cmp_keys(const void *a, const void *b)
{
    const tl_doc_node *x = *(const tl_doc_node *const *)a;
    const tl_doc_node *y = *(const tl_doc_node *const *)b;
    int c = strcmp(x->text, y->text);
    if (c)
        return c;
    return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x->col < y->col ? -1 : 1);
}

/* At the end of a mapping: refuse duplicate keys, naming the later one. */
static int check_duplicates(builder *b, const tl_doc_node *map, tl_error *err)
{
    if (map->n < 2)
        return TL_OK;
    tl_doc_node **keys = malloc(map->n * sizeof(*keys));
    if (!keys)
        return tl_error_set(err, TL_ENOMEM, "out of memory reading %s", b->doc->name);
    for (size_t i = 0; i < map->n; i++)
        keys[i] = map->items[2 * i];
    qsort(keys, map->n, sizeof(*keys), cmp_keys);
    int rc = TL_OK;
    for (size_t i = 1; i < map->n && rc == TL_OK; i++)
        if (strcmp(keys[i - 1]->text, keys[i]->text) == 0)
            rc = err_at(b->doc, keys[i]->line, keys[i]->col, err,
                        "duplicate key \"%.80s\" (first at line %d)", keys[i]->text,
                        keys[i - 1]->line);
    free(keys);
    return rc;
}

static int on_event(builder *b, const yaml_event_t *ev, tl_error *err)
{
    const tl_doc *d = b->doc;
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    bool str = false;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return err_at(d, line, col, err,
                          "a second document (---): the file must hold exactly one");
        return TL_OK;
    case YAML_ALIAS_EVENT:
        return err_at(d, line, col, err, "aliases (*%.40s) are not supported: write the value out",
                      ev->data.alias.anchor ? (const char *)ev->data.alias.anchor : "");
    case YAML_SCALAR_EVENT: {
        if (!tag_ok(ev->data.scalar.tag, &str))
            return err_at(d, line, col, err, "the tag %.60s is not supported",
                          (const char *)ev->data.scalar.tag);
        size_t len = ev->data.scalar.length;
        if (len > TL_DOC_MAX_SCALAR)
            return err_at(d, line, col, err, "a value of %zu bytes (at most %zu)", len,
                          TL_DOC_MAX_SCALAR);
        const char *v = (const char *)ev->data.scalar.value;
        if (memchr(v, '\0', len))
            return err_at(d, line, col, err, "a string holds a NUL character");
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
                     ev->data.scalar.style == YAML_ANY_SCALAR_STYLE;
        bool quoted = !plain || str;
        tl_doc_node *n =
            node_new(!quoted && is_null_text(v) ? TL_DOC_NULL : TL_DOC_SCALAR, &ev->start_mark);
        char *text = n ? tl_strndup(v, len) : NULL;
        if (!text) {
            node_free(n);
            return tl_error_set(err, TL_ENOMEM, "out of memory reading %s", d->name);
        }
        free(n->text);
        n->text = text;
        n->len = len;
        n->quoted = quoted;
        if (n->kind == TL_DOC_NULL) {
            n->text[0] = '\0';
            n->len = 0;
        }
        return attach(b, n, err);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        const yaml_char_t *tag = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
                                                                       : ev->data.mapping_start.tag;
        if (!tag_ok(tag, &str))
            return err_at(d, line, col, err, "the tag %.60s is not supported", (const char *)tag);
        if (b->depth >= TL_DOC_MAX_DEPTH)
            return err_at(d, line, col, err, "nested more than %d levels deep", TL_DOC_MAX_DEPTH);
        tl_doc_node *n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? TL_DOC_SEQ : TL_DOC_MAP,
                                  &ev->start_mark);
        if (!n)
            return tl_error_set(err, TL_ENOMEM, "out of memory reading %s", d->name);
        int rc = attach(b, n, err);
        if (rc)
            return rc;
        b->stack[b->depth] = n;
        b->cap[b->depth] = 0;
        b->depth++;
        return TL_OK;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        if (b->depth == 0)
            return err_at(d, line, col, err, "unbalanced end of a collection");
        tl_doc_node *n = b->stack[--b->depth];
        return n->kind == TL_DOC_MAP ? check_duplicates(b, n, err) : TL_OK;
    }
    default: return TL_OK;
    }
}

/* Line and column (1-based) of a byte offset, for reader errors that carry only the offset. */
static void position_of(const char *text, size_t len, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static int syntax_error(const tl_doc *d, const yaml_parser_t *p, const char *text, size_t len,
                        tl_error *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return tl_error_set(err, TL_ENOMEM, "out of memory reading %s", d->name);
    int line, col;
    if (p->error == YAML_READER_ERROR) {
        position_of(text, len, p->problem_offset, &line, &col);
        return err_at(d, line, col, err, "not a text file: %s",
                      p->problem ? p->problem : "unreadable bytes");
    }
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    if (p->context)
        return err_at(d, line, col, err, "YAML syntax error: %s %s (line %d)", p->problem,
                      p->context, (int)p->context_mark.line + 1);
    return err_at(d, line, col, err, "YAML syntax error: %s",
                  p->problem ? p->problem : "invalid document");
}

int tl_doc_parse(tl_doc **out, const char *text, size_t len, const char *name, tl_error *err)
{
    *out = NULL;
    tl_doc *d = calloc(1, sizeof(*d));
    if (!d || !(d->name = tl_strdup(name ? name : "<input>"))) {
        free(d);
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    if (len > TL_DOC_MAX_BYTES) {
        int rc = tl_error_set(err, TL_EPARSE, "%s: the file is larger than %zu bytes", d->name,
                              TL_DOC_MAX_BYTES);
        tl_doc_free(d);
        return rc;
    }
    builder b;
    memset(&b, 0, sizeof(b));
    b.doc = d;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        tl_doc_free(d);
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""), len);
    int rc = TL_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(d, &p, text, len, err);
            break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev, err);
        yaml_event_delete(&ev);
        if (rc || end)
            break;
    }
    yaml_parser_delete(&p);
    /* on an error mid-way the open containers hang from the root: freeing it frees them */
    d->root = b.root;
    if (rc == TL_OK && !d->root)
        rc = tl_error_set(err, TL_EPARSE, "%s: the file is empty", d->name);
    if (rc) {
        tl_doc_free(d);
        return rc;
    }
    *out = d;
    return TL_OK;
}

int tl_doc_load(tl_doc **out, const char *path, tl_error *err)
{
    *out = NULL;
    tl_buf text;
    tl_buf_init(&text, TL_DOC_MAX_BYTES);
    int rc = tl_file_read(&text, path, TL_DOC_MAX_BYTES, err);
    if (rc == TL_OK)
        rc = tl_doc_parse(out, text.data ? text.data : "", text.len, path, err);
    tl_buf_dispose(&text);
    return rc;
}

/* ---- accessors ------------------------------------------------------------------------------ */

const char *tl_doc_kind_name(const tl_doc_node *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case TL_DOC_NULL: return "null";
    case TL_DOC_SCALAR: return "a string";
    case TL_DOC_SEQ: return "a list";
    case TL_DOC_MAP: return "a mapping";
    }
    return "?";
}

const tl_doc_node *tl_doc_get(const tl_doc_node *map, const char *key)
{
    if (!map || map->kind != TL_DOC_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->text, key) == 0)
            return map->items[2 * i + 1];
    return NULL;
}

int tl_doc_error(const tl_doc *d, const tl_doc_node *n, const char *path, tl_error *err,
                 const char *fmt, ...)
{
    char msg[TL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char where[64] = "";
    if (n)
        snprintf(where, sizeof(where), ":%d:%d", n->line, n->col);
    bool has_path = path && *path;
    return tl_error_set(err, TL_EPARSE, "%s%s: %s%s%s", d->name, where, has_path ? path : "",
                        has_path ? ": " : "", msg);
}

void tl_doc_path(char *out, size_t size, const char *parent, const char *key, size_t index)
{
    bool top = !parent || !*parent;
    if (key)
        snprintf(out, size, "%s%s%s", top ? "" : parent, top ? "" : ".", key);
    else
        snprintf(out, size, "%s[%zu]", top ? "" : parent, index);
}

/* A short, printable excerpt of a scalar for messages. */
static void quote_excerpt(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 4 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        if (i >= 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
    }
    out[o] = '\0';
}

int tl_doc_check_keys(const tl_doc *d, const tl_doc_node *n, const char *path,
                      const char *const *allowed, tl_error *err)
{
    if (!n || n->kind != TL_DOC_MAP)
        return tl_doc_error(d, n, path, err, "expected a mapping (key: value lines), not %s",
                            tl_doc_kind_name(n));
    for (size_t i = 0; i < n->n; i++) {
        const tl_doc_node *k = n->items[2 * i];
        bool known = false;
        for (size_t j = 0; allowed[j] && !known; j++)
            known = strcmp(k->text, allowed[j]) == 0;
        if (known)
            continue;
        char list[256] = "";
        size_t off = 0;
        for (size_t j = 0; allowed[j] && off < sizeof(list); j++) {
            int w = snprintf(list + off, sizeof(list) - off, "%s%s", j ? ", " : "", allowed[j]);
            if (w < 0)
                break;
            off += (size_t)w;
        }
        char key[80], sub[256];
        quote_excerpt(key, sizeof(key), k->text);
        tl_doc_path(sub, sizeof(sub), path, key, 0);
        return tl_doc_error(d, k, sub, err, "unknown key \"%s\" (known keys: %s)", key, list);
    }
    return TL_OK;
}

int tl_doc_string(const tl_doc *d, const tl_doc_node *n, const char *path, const char **out,
                  tl_error *err)
{
    if (!n || n->kind != TL_DOC_SCALAR)
        return tl_doc_error(d, n, path, err, "expected a string, not %s", tl_doc_kind_name(n));
    if (n->len == 0)
        return tl_doc_error(d, n, path, err, "expected a non-empty string");
    *out = n->text;
    return TL_OK;
}

int tl_doc_int(const tl_doc *d, const tl_doc_node *n, const char *path, long min, long max,
               long *out, tl_error *err)
{
    if (!n || n->kind != TL_DOC_SCALAR)
        return tl_doc_error(d, n, path, err, "expected an integer (%ld..%ld), not %s", min, max,
                            tl_doc_kind_name(n));
    char shown[80];
    quote_excerpt(shown, sizeof(shown), n->text);
    const char *s = n->text;
    size_t digits = strspn(s + (s[0] == '-' || s[0] == '+'), "0123456789");
    bool syntax = !n->quoted && digits > 0 && s[(s[0] == '-' || s[0] == '+') + digits] == '\0';
    char *end = NULL;
    errno = 0;
    long v = syntax ? strtol(s, &end, 10) : 0;
    if (!syntax || errno || v < min || v > max)
        return tl_doc_error(d, n, path, err, "expected an integer (%ld..%ld), not %s\"%s\"", min,
                            max, n->quoted ? "the string " : "", shown);
    *out = v;
    return TL_OK;
}
