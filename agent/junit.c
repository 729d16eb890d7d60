/*
 * junit.c - JUnit XML reports (see junit.h): a report is an array of suites, each an array of
 * cases whose strings the report owns; the writer escapes every string for XML 1.0, and the
 * reader is an expat handler that fills the same structures, depth-bounded and size-capped by
 * expat's own limits and the caller's file cap.
 */
#include "agent/junit.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/str.h"
#include "core/utf8.h"

static void free_case(tl_junit_case *c)
{
    free((char *)c->name);
    free((char *)c->classname);
    free((char *)c->type);
    free((char *)c->message);
    free((char *)c->body);
    free((char *)c->system_out);
    free((char *)c->flaky_message);
}

int tl_junit_init(tl_junit_report *r, const char *name)
{
    memset(r, 0, sizeof(*r));
    if (name && !(r->name = tl_strdup(name)))
        return TL_ENOMEM;
    return TL_OK;
}

void tl_junit_dispose(tl_junit_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        tl_junit_suite *s = &r->suites[i];
        for (size_t k = 0; k < s->n; k++)
            free_case(&s->cases[k]);
        free(s->cases);
        free(s->name);
        free(s->timestamp);
    }
    free(r->suites);
    free(r->name);
    memset(r, 0, sizeof(*r));
}

static tl_junit_suite *suite_for(tl_junit_report *r, const char *name, const char *timestamp)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->suites[i].name, name) == 0)
            return &r->suites[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        tl_junit_suite *s = realloc(r->suites, cap * sizeof(*s));
        if (!s)
            return NULL;
        r->suites = s;
        r->cap = cap;
    }
    tl_junit_suite *s = &r->suites[r->n];
    memset(s, 0, sizeof(*s));
    if (!(s->name = tl_strdup(name)))
        return NULL;
    if (timestamp && !(s->timestamp = tl_strdup(timestamp))) {
        free(s->name);
        return NULL;
    }
    r->n++;
    return s;
}

/* Copy s into *out (NULL stays NULL). @return false when out of memory. */
static bool dup_opt(const char **out, const char *s)
{
    *out = NULL;
    if (!s)
        return true;
    char *d = tl_strdup(s);
    *out = d;
    return d != NULL;
}

int tl_junit_add(tl_junit_report *r, const char *suite, const char *timestamp,
                 const tl_junit_case *c)
{
    tl_junit_suite *s = suite_for(r, suite ? suite : "", timestamp);
    if (!s)
        return TL_ENOMEM;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        tl_junit_case *cs = realloc(s->cases, cap * sizeof(*cs));
        if (!cs)
            return TL_ENOMEM;
        s->cases = cs;
        s->cap = cap;
    }
    tl_junit_case *d = &s->cases[s->n];
    memset(d, 0, sizeof(*d));
    d->time_s = c->time_s;
    d->outcome = c->outcome;
    d->flaky = c->flaky;
    bool ok = dup_opt(&d->name, c->name ? c->name : "") && dup_opt(&d->classname, c->classname) &&
              dup_opt(&d->type, c->type) && dup_opt(&d->message, c->message) &&
              dup_opt(&d->body, c->body) && dup_opt(&d->system_out, c->system_out) &&
              dup_opt(&d->flaky_message, c->flaky ? c->flaky_message : NULL);
    if (!ok) {
        free_case(d);
        return TL_ENOMEM;
    }
    s->n++;
    return TL_OK;
}

tl_junit_totals tl_junit_count(const tl_junit_report *r, const tl_junit_suite *s)
{
    tl_junit_totals t = {0};
    for (size_t i = 0; i < r->n; i++) {
        const tl_junit_suite *su = &r->suites[i];
        if (s && su != s)
            continue;
        for (size_t k = 0; k < su->n; k++) {
            t.tests++;
            t.time_s += su->cases[k].time_s;
            switch (su->cases[k].outcome) {
            case TL_JUNIT_FAILURE: t.failures++; break;
            case TL_JUNIT_ERROR: t.errors++; break;
            case TL_JUNIT_SKIPPED: t.skipped++; break;
            default: break;
            }
        }
    }
    return t;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* Append s escaped for an XML attribute or text: & < > " ' as entities, \t \n \r kept (as
 * character references in attributes), other controls and invalid UTF-8 as '?'. */
static int put_escaped(tl_buf *b, const char *s, bool attr)
{
    int rc = TL_OK;
    size_t n = strlen(s);
    for (size_t i = 0; i < n && rc == TL_OK;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = tl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            bool ok = len > 0 && cp != 0xfffe && cp != 0xffff;
            if (ok)
                rc = tl_buf_append(b, s + i, len);
            else
                rc = tl_buf_putc(b, '?');
            i += len ? len : 1;
            continue;
        }
        switch (c) {
        case '&': rc = tl_buf_puts(b, "&amp;"); break;
        case '<': rc = tl_buf_puts(b, "&lt;"); break;
        case '>': rc = tl_buf_puts(b, "&gt;"); break;
        case '"': rc = tl_buf_puts(b, attr ? "&quot;" : "\""); break;
        case '\'': rc = tl_buf_puts(b, attr ? "&apos;" : "'"); break;
        case '\t': rc = tl_buf_puts(b, attr ? "&#9;" : "\t"); break;
        case '\n': rc = tl_buf_puts(b, attr ? "&#10;" : "\n"); break;
        case '\r': rc = tl_buf_puts(b, "&#13;"); break;
        default: rc = tl_buf_putc(b, c < 0x20 || c == 0x7f ? '?' : (char)c); break;
        }
        i++;
    }
    return rc;
}

static int put_attr(tl_buf *b, const char *name, const char *value)
{
    int rc = tl_buf_printf(b, " %s=\"", name);
    rc |= put_escaped(b, value, true);
    rc |= tl_buf_putc(b, '"');
    return rc;
}

static int put_counts(tl_buf *b, tl_junit_totals t)
{
    return tl_buf_printf(b,
                         " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                         "time=\"%.3f\"",
                         t.tests, t.failures, t.errors, t.skipped, t.time_s);
}

static int put_case(tl_buf *b, const tl_junit_case *c)
{
    int rc = tl_buf_puts(b, "    <testcase");
    rc |= put_attr(b, "name", c->name ? c->name : "");
    if (c->classname)
        rc |= put_attr(b, "classname", c->classname);
    rc |= tl_buf_printf(b, " time=\"%.3f\">\n", c->time_s);
    if (c->flaky)
        rc |= tl_buf_puts(b, "      <properties><property name=\"flaky\" value=\"true\"/>"
                             "</properties>\n");
    if (c->flaky && c->flaky_message && c->outcome == TL_JUNIT_PASSED) {
        rc |= tl_buf_puts(b, "      <flakyFailure");
        rc |= put_attr(b, "message", c->flaky_message);
        rc |= tl_buf_puts(b, "/>\n");
    }
    static const char *const tags[] = {NULL, "failure", "error", "skipped"};
    const char *tag = tags[c->outcome];
    if (tag) {
        rc |= tl_buf_printf(b, "      <%s", tag);
        if (c->message)
            rc |= put_attr(b, "message", c->message);
        if (c->type && c->outcome != TL_JUNIT_SKIPPED)
            rc |= put_attr(b, "type", c->type);
        if (c->body) {
            rc |= tl_buf_putc(b, '>');
            rc |= put_escaped(b, c->body, false);
            rc |= tl_buf_printf(b, "</%s>\n", tag);
        } else {
            rc |= tl_buf_puts(b, "/>\n");
        }
    }
    if (c->system_out) {
        rc |= tl_buf_puts(b, "      <system-out>");
        rc |= put_escaped(b, c->system_out, false);
        rc |= tl_buf_puts(b, "</system-out>\n");
    }
    rc |= tl_buf_puts(b, "    </testcase>\n");
    return rc;
}

int tl_junit_write(const tl_junit_report *r, tl_buf *out)
{
    int rc = tl_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    if (r->name)
        rc |= put_attr(out, "name", r->name);
    rc |= put_counts(out, tl_junit_count(r, NULL));
    rc |= tl_buf_puts(out, ">\n");
    for (size_t i = 0; i < r->n && rc == TL_OK; i++) {
        const tl_junit_suite *s = &r->suites[i];
        rc |= tl_buf_puts(out, "  <testsuite");
        rc |= put_attr(out, "name", s->name);
        rc |= put_counts(out, tl_junit_count(r, s));
        if (s->timestamp)
            rc |= put_attr(out, "timestamp", s->timestamp);
        rc |= tl_buf_puts(out, ">\n");
        for (size_t k = 0; k < s->n; k++)
            rc |= put_case(out, &s->cases[k]);
        rc |= tl_buf_puts(out, "  </testsuite>\n");
    }
    rc |= tl_buf_puts(out, "</testsuites>\n");
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- reading -------------------------------------------------------------------------------- */

#define TEXT_MAX ((size_t)1 << 20) /* characters kept of one element's text */

typedef struct reader {
    XML_Parser p;
    tl_junit_report *r;
    int rc;
    bool seen_root;
    char *suite;     /* owned: the open <testsuite>'s name */
    char *timestamp; /* owned */
    bool in_case;
    tl_junit_case c; /* the open <testcase>: its strings owned here until added */
    int text_of;     /* 0: none, 1: failure/error/skipped body, 2: system-out */
    tl_buf text;
} reader;

static const char *attr_of(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

static void replace(const char **slot, const char *value, reader *rd)
{
    free((char *)*slot);
    if (!dup_opt(slot, value))
        rd->rc = TL_ENOMEM;
}

static void XMLCALL on_start(void *payload, const XML_Char *name, const XML_Char **attrs)
{
    reader *rd = payload;
    if (rd->rc)
        return;
    if (strcmp(name, "testsuites") == 0) {
        rd->seen_root = true;
    } else if (strcmp(name, "testsuite") == 0) {
        rd->seen_root = true;
        const char *n = attr_of(attrs, "name");
        const char *ts = attr_of(attrs, "timestamp");
        free(rd->suite);
        free(rd->timestamp);
        rd->suite = tl_strdup(n ? n : "");
        rd->timestamp = ts ? tl_strdup(ts) : NULL;
        if (!rd->suite || (ts && !rd->timestamp))
            rd->rc = TL_ENOMEM;
    } else if (strcmp(name, "testcase") == 0) {
        free_case(&rd->c);
        memset(&rd->c, 0, sizeof(rd->c));
        rd->in_case = true;
        replace(&rd->c.name, attr_of(attrs, "name"), rd);
        replace(&rd->c.classname, attr_of(attrs, "classname"), rd);
        const char *t = attr_of(attrs, "time");
        rd->c.time_s = t ? strtod(t, NULL) : 0;
        if (!(rd->c.time_s >= 0 && rd->c.time_s < 1e9))
            rd->c.time_s = 0;
    } else if (rd->in_case && (strcmp(name, "failure") == 0 || strcmp(name, "error") == 0 ||
                               strcmp(name, "skipped") == 0)) {
        rd->c.outcome = name[0] == 'f'   ? TL_JUNIT_FAILURE
                        : name[0] == 'e' ? TL_JUNIT_ERROR
                                         : TL_JUNIT_SKIPPED;
        replace(&rd->c.message, attr_of(attrs, "message"), rd);
        replace(&rd->c.type, attr_of(attrs, "type"), rd);
        rd->text_of = 1;
        tl_buf_clear(&rd->text);
    } else if (rd->in_case && strcmp(name, "flakyFailure") == 0) {
        rd->c.flaky = true;
        if (!rd->c.flaky_message)
            replace(&rd->c.flaky_message, attr_of(attrs, "message"), rd);
    } else if (rd->in_case && strcmp(name, "system-out") == 0) {
        rd->text_of = 2;
        tl_buf_clear(&rd->text);
    } else if (rd->in_case && strcmp(name, "property") == 0) {
        const char *n = attr_of(attrs, "name"), *v = attr_of(attrs, "value");
        if (n && v && strcmp(n, "flaky") == 0 && strcmp(v, "true") == 0)
            rd->c.flaky = true;
    }
}

static void XMLCALL on_end(void *payload, const XML_Char *name)
{
    reader *rd = payload;
    if (rd->rc)
        return;
    if (rd->text_of && (strcmp(name, "failure") == 0 || strcmp(name, "error") == 0 ||
                        strcmp(name, "skipped") == 0 || strcmp(name, "system-out") == 0)) {
        const char *t = rd->text.data ? rd->text.data : "";
        if (*t)
            replace(rd->text_of == 1 ? &rd->c.body : &rd->c.system_out, t, rd);
        rd->text_of = 0;
    } else if (strcmp(name, "testcase") == 0 && rd->in_case) {
        if (tl_junit_add(rd->r, rd->suite ? rd->suite : "", rd->timestamp, &rd->c) != TL_OK)
            rd->rc = TL_ENOMEM;
        free_case(&rd->c);
        memset(&rd->c, 0, sizeof(rd->c));
        rd->in_case = false;
    }
}

static void XMLCALL on_text(void *payload, const XML_Char *s, int len)
{
    reader *rd = payload;
    if (rd->rc || !rd->text_of || len <= 0 || rd->text.len >= TEXT_MAX)
        return;
    size_t n = (size_t)len;
    if (n > TEXT_MAX - rd->text.len)
        n = TEXT_MAX - rd->text.len;
    if (tl_buf_append(&rd->text, s, n) != TL_OK)
        rd->rc = TL_ENOMEM;
}

int tl_junit_parse(tl_junit_report *r, const char *xml, size_t len, const char *name, tl_error *err)
{
    const char *src = name ? name : "<input>";
    if (len > (size_t)1 << 30)
        return tl_error_set(err, TL_EPARSE, "%s: too large for a JUnit report", src);
    reader rd;
    memset(&rd, 0, sizeof(rd));
    rd.r = r;
    tl_buf_init(&rd.text, 0);
    rd.p = XML_ParserCreate("UTF-8");
    if (!rd.p)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    XML_SetUserData(rd.p, &rd);
    XML_SetElementHandler(rd.p, on_start, on_end);
    XML_SetCharacterDataHandler(rd.p, on_text);
    int rc = TL_OK;
    if (XML_Parse(rd.p, xml ? xml : "", (int)len, 1) == XML_STATUS_ERROR) {
        if (rd.rc == TL_ENOMEM)
            rc = tl_error_set(err, TL_ENOMEM, "out of memory reading %s", src);
        else
            rc = tl_error_set(err, TL_EPARSE, "%s:%lu:%lu: not a JUnit XML file: %s", src,
                              (unsigned long)XML_GetCurrentLineNumber(rd.p),
                              (unsigned long)XML_GetCurrentColumnNumber(rd.p) + 1,
                              XML_ErrorString(XML_GetErrorCode(rd.p)));
    } else if (rd.rc) {
        rc = tl_error_set(err, rd.rc, "out of memory reading %s", src);
    } else if (!rd.seen_root) {
        rc = tl_error_set(err, TL_EPARSE,
                          "%s: not a JUnit XML file: no <testsuites> or <testsuite> element", src);
    }
    XML_ParserFree(rd.p);
    free_case(&rd.c);
    free(rd.suite);
    free(rd.timestamp);
    tl_buf_dispose(&rd.text);
    return rc;
}

int tl_junit_save(const tl_junit_report *r, const char *path, tl_error *err)
{
    tl_buf xml;
    tl_buf_init(&xml, 0);
    int rc = tl_junit_write(r, &xml);
    if (rc != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "out of memory writing the JUnit report");
    else
        rc = tl_file_write(path, xml.data, xml.len, err);
    tl_buf_dispose(&xml);
    return rc;
}
