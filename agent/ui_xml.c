/*
 * ui_xml.c - uiautomator dump XML into the element index, with expat.
 *
 * Every <node> element becomes an element, in document order (pre-order); other elements
 * (<hierarchy>, the <window> wrappers some dumpers add) only carry context: `rotation` on
 * <hierarchy>. Nodes may be roots side by side (androidx multi-window dumps). Attributes are read
 * in any order and unknown ones are ignored (see ../shared notes on the dumper: NAF, index,
 * drawing-order, hint, visible-to-user, display-id).
 *
 * Safety: a DOCTYPE is refused (so no entity can expand), nesting is bounded by the depth limit
 * and tracked on a heap stack, and expat itself never recurses on element depth.
 *
 * Real dumps can hold bytes that are not valid UTF-8 (orphan surrogates) and references to
 * characters XML 1.0 forbids; when expat rejects a document for exactly those reasons it is
 * parsed once more from a sanitised copy in which they read '?'.
 */
#include "agent/ui_int.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define XML_CHUNK ((size_t)1 << 26)

struct open_el {
    int32_t pos;        /* element of a <node>, -1 for another tag */
    int32_t last_child; /* last child node appended under it */
    int32_t node_entry; /* stack index of the nearest open <node> (itself for a node), -1 */
};

struct xp {
    tl_ui *ui;
    XML_Parser parser;
    tl_error *err;
    struct open_el *stack; /* owned */
    size_t top, cap;       /* entries in use, allocated */
    int32_t last_root;
    bool seen_hierarchy;
    int failed;
};

static void xfail(struct xp *x, int code, const char *fmt, ...) TL_PRINTF(3, 4);

static void xfail(struct xp *x, int code, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = 1;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    tl_error_set(x->err, code, "invalid uiautomator XML at line %lu, column %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(x->parser),
                 (unsigned long)XML_GetCurrentColumnNumber(x->parser) + 1, reason);
    XML_StopParser(x->parser, XML_FALSE);
}

static int parse_bool(struct xp *x, const char *name, const char *v, bool *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0) {
        *out = false;
        return 0;
    }
    xfail(x, TL_EPARSE, "attribute %s must be true or false, not \"%.40s\"", name, v);
    return -1;
}

static bool parse_xml_bounds(const char *s, tl_rect *r)
{
    long long v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        while (*p == ' ')
            p++;
        char want = (i % 2 == 0) ? '[' : ',';
        if (*p != want)
            return false;
        p++;
        while (*p == ' ')
            p++;
        bool neg = *p == '-';
        if (neg)
            p++;
        if (*p < '0' || *p > '9')
            return false;
        long long n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 10000000000LL)
                n = n * 10 + (*p - '0');
            p++;
        }
        v[i] = neg ? -n : n;
        while (*p == ' ')
            p++;
        if (i % 2 == 1) {
            if (*p != ']')
                return false;
            p++;
        }
    }
    while (*p == ' ')
        p++;
    if (*p)
        return false;
    *r = (tl_rect){ui_clamp32(v[0]), ui_clamp32(v[1]), ui_clamp32(v[2]), ui_clamp32(v[3])};
    return true;
}

struct flag_attr {
    const char *name;
    uint32_t bit;
};

static const struct flag_attr flag_attrs[] = {
    {"clickable", TL_EL_CLICKABLE},     {"long-clickable", TL_EL_LONG_CLICKABLE},
    {"scrollable", TL_EL_SCROLLABLE},   {"checkable", TL_EL_CHECKABLE},
    {"checked", TL_EL_CHECKED},         {"enabled", TL_EL_ENABLED},
    {"focused", TL_EL_FOCUSED},         {"focusable", TL_EL_FOCUSABLE},
    {"selected", TL_EL_SELECTED},       {"password", TL_EL_PASSWORD},
    {"visible-to-user", TL_EL_VISIBLE},
};

static int push(struct xp *x, int32_t pos, int32_t node_entry)
{
    if (x->top == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        struct open_el *s = realloc(x->stack, cap * sizeof(*s));
        if (!s) {
            xfail(x, TL_ENOMEM, "out of memory");
            return -1;
        }
        x->stack = s;
        x->cap = cap;
    }
    x->stack[x->top].pos = pos;
    x->stack[x->top].last_child = -1;
    x->stack[x->top].node_entry = pos >= 0 ? (int32_t)x->top : node_entry;
    x->top++;
    return 0;
}

static void node_start(struct xp *x, const XML_Char **atts)
{
    tl_ui *ui = x->ui;
    int32_t pe = x->top ? x->stack[x->top - 1].node_entry : -1;
    int32_t parent = pe >= 0 ? x->stack[pe].pos : -1;
    int32_t prev = pe >= 0 ? x->stack[pe].last_child : x->last_root;
    uint32_t depth = parent >= 0 ? ui->el[parent].depth + 1 : 0;
    if (depth >= ui->max_depth) {
        xfail(x, TL_EPARSE, "nodes nested deeper than %u levels (the limit)", ui->max_depth);
        return;
    }
    tl_error add_err;
    tl_error_clear(&add_err);
    int32_t pos = ui_add(ui, parent, prev, depth, &add_err);
    if (pos < 0) {
        xfail(x, add_err.code, "%s", add_err.msg);
        return;
    }
    if (pe >= 0)
        x->stack[pe].last_child = pos;
    else
        x->last_root = pos;
    tl_element *e = &ui->el[pos];
    for (size_t i = 0; atts[i]; i += 2) {
        const char *name = atts[i], *v = atts[i + 1];
        size_t vn = strlen(v);
        const char **dst = NULL;
        bool intern = false;
        if (strcmp(name, "text") == 0) {
            dst = &e->text;
        } else if (strcmp(name, "content-desc") == 0) {
            dst = &e->desc;
        } else if (strcmp(name, "resource-id") == 0) {
            dst = &e->id;
            intern = true;
        } else if (strcmp(name, "class") == 0) {
            dst = &e->cls;
            intern = true;
        } else if (strcmp(name, "package") == 0) {
            dst = &e->pkg;
            intern = true;
        } else if (strcmp(name, "hint") == 0) {
            dst = &e->hint;
        } else if (strcmp(name, "bounds") == 0) {
            if (!parse_xml_bounds(v, &e->bounds)) {
                xfail(x, TL_EPARSE, "bounds must be [left,top][right,bottom], not \"%.60s\"", v);
                return;
            }
            continue;
        } else {
            for (size_t k = 0; k < sizeof(flag_attrs) / sizeof(flag_attrs[0]); k++) {
                if (strcmp(name, flag_attrs[k].name) != 0)
                    continue;
                bool b;
                if (parse_bool(x, name, v, &b) != 0)
                    return;
                e->flags = b ? e->flags | flag_attrs[k].bit : e->flags & ~flag_attrs[k].bit;
                break;
            }
            continue;
        }
        const char *copy = intern ? ui_intern(ui, v, vn) : ui_str(ui, v, vn);
        if (!copy) {
            xfail(x, TL_ENOMEM, "out of memory");
            return;
        }
        *dst = copy;
    }
    /* uiautomator's `editable` is not an attribute: EditText (and subclasses) is editable. */
    const char *sc = tl_ui_short_class(e->cls);
    if (strstr(sc, "EditText") || strstr(sc, "AutoCompleteTextView"))
        e->flags |= TL_EL_EDITABLE;
    push(x, pos, -1);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xp *x = ud;
    if (x->failed)
        return;
    if (x->top >= (size_t)x->ui->max_depth + 16) {
        xfail(x, TL_EPARSE, "elements nested deeper than %u levels (the limit)",
              x->ui->max_depth + 16);
        return;
    }
    if (strcmp(name, "node") == 0) {
        node_start(x, atts);
        return;
    }
    if (strcmp(name, "hierarchy") == 0) {
        x->seen_hierarchy = true;
        for (size_t i = 0; atts[i]; i += 2) {
            if (strcmp(atts[i], "rotation") != 0)
                continue;
            const char *v = atts[i + 1];
            if (!(v[0] >= '0' && v[0] <= '3' && v[1] == '\0')) {
                xfail(x, TL_EPARSE, "rotation must be 0, 1, 2 or 3, not \"%.20s\"", v);
                return;
            }
            x->ui->info.rotation = v[0] - '0';
        }
    }
    push(x, -1, x->top ? x->stack[x->top - 1].node_entry : -1);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xp *x = ud;
    (void)name;
    if (x->failed || x->top == 0)
        return;
    struct open_el *o = &x->stack[--x->top];
    if (o->pos >= 0)
        ui_close(x->ui, o->pos);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    xfail(ud, TL_EPARSE, "a DOCTYPE is not allowed in a UI dump");
}

/* Parse once. @return TL_OK, or the error; *expat_code tells why expat itself failed. */
static int parse_once(tl_ui *ui, const char *data, size_t len, tl_error *err,
                      enum XML_Error *expat_code, bool *seen_hierarchy)
{
    struct xp x;
    memset(&x, 0, sizeof(x));
    x.ui = ui;
    x.err = err;
    x.last_root = -1;
    *expat_code = XML_ERROR_NONE;
    x.parser = XML_ParserCreate("UTF-8");
    if (!x.parser)
        return tl_error_set(err, TL_ENOMEM, "out of memory creating the XML parser");
    XML_SetUserData(x.parser, &x);
    XML_SetElementHandler(x.parser, on_start, on_end);
    XML_SetStartDoctypeDeclHandler(x.parser, on_doctype);
    XML_SetParamEntityParsing(x.parser, XML_PARAM_ENTITY_PARSING_NEVER);

    size_t off = 0;
    int rc = TL_OK;
    do {
        size_t chunk = len - off > XML_CHUNK ? XML_CHUNK : len - off;
        int final = off + chunk == len;
        if (XML_Parse(x.parser, data + off, (int)chunk, final) == XML_STATUS_ERROR) {
            if (!x.failed) {
                *expat_code = XML_GetErrorCode(x.parser);
                rc = tl_error_set(err, TL_EPARSE,
                                  "invalid uiautomator XML at line %lu, column %lu: %s",
                                  (unsigned long)XML_GetCurrentLineNumber(x.parser),
                                  (unsigned long)XML_GetCurrentColumnNumber(x.parser) + 1,
                                  XML_ErrorString(*expat_code));
            } else {
                rc = err->code;
            }
            break;
        }
        off += chunk;
    } while (off < len);
    if (rc == TL_OK && x.failed)
        rc = err->code;
    *seen_hierarchy = x.seen_hierarchy;
    XML_ParserFree(x.parser);
    free(x.stack);
    return rc;
}

static bool xml_char_ok(unsigned long cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/*
 * A copy of the document where invalid UTF-8 bytes, raw control characters and references to
 * characters XML forbids read '?'. Caller frees. @return NULL when out of memory.
 */
static char *sanitize(const char *data, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == '&' && i + 2 < len && p[i + 1] == '#') {
            size_t k = i + 2;
            int hex = k < len && (p[k] == 'x' || p[k] == 'X');
            if (hex)
                k++;
            unsigned long cp = 0;
            size_t digits = 0;
            while (k < len && digits < 10 &&
                   ((p[k] >= '0' && p[k] <= '9') ||
                    (hex && ((p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'f')))) {
                unsigned d =
                    p[k] <= '9' ? (unsigned)(p[k] - '0') : (unsigned)((p[k] | 0x20) - 'a' + 10);
                cp = cp * (hex ? 16 : 10) + d;
                k++;
                digits++;
            }
            if (digits && k < len && p[k] == ';' && !xml_char_ok(cp)) {
                out[o++] = '?';
                i = k + 1;
                continue;
            }
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out[o++] = '?';
            i++;
            continue;
        }
        if (c < 0x80) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        uint32_t cp;
        size_t l = tl_utf8_decode(p + i, len - i, &cp);
        if (!l) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, p + i, l);
        o += l;
        i += l;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

int tl_ui_parse_xml(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts,
                    tl_error *err)
{
    tl_error local;
    if (!err)
        err = &local;
    tl_error_clear(err);
    if (len > (size_t)1 << 31) {
        ui_fail(ui); /* on error the index is empty */
        return tl_error_set(err, TL_EPARSE, "the XML dump is too large (%zu bytes)", len);
    }
    if (ui_begin(ui, opts, TL_UI_FORMAT_UIAUTOMATOR, len) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory for a %zu-byte tree", len);
    enum XML_Error why;
    bool hier = false;
    int rc = parse_once(ui, data, len, err, &why, &hier);
    if (rc != TL_OK && (why == XML_ERROR_INVALID_TOKEN || why == XML_ERROR_BAD_CHAR_REF)) {
        size_t clean_len;
        char *clean = sanitize(data, len, &clean_len);
        if (clean && (clean_len != len || memcmp(clean, data, len) != 0)) {
            tl_error first = *err;
            tl_error_clear(err);
            if (ui_begin(ui, opts, TL_UI_FORMAT_UIAUTOMATOR, len) != TL_OK) {
                free(clean);
                return tl_error_set(err, TL_ENOMEM, "out of memory for a %zu-byte tree", len);
            }
            rc = parse_once(ui, clean, clean_len, err, &why, &hier);
            if (rc != TL_OK)
                *err = first; /* report the original document's first problem */
        }
        free(clean);
    }
    if (rc == TL_OK && ui->n == 0 && !hier)
        rc = tl_error_set(err, TL_EPARSE,
                          "the XML holds neither <hierarchy> nor <node>: not a uiautomator dump");
    if (rc == TL_OK)
        rc = ui_finish(ui, opts, err);
    if (rc != TL_OK)
        ui_fail(ui);
    return rc;
}
