/*
 * selector.c - element selectors (see selector.h): exact or PCRE2 matchers on the string fields,
 * state filters, first match in reading order, and the "closest candidates" ranking used when
 * nothing matches (a bounded edit distance on the labels).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "agent/selector.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui_int.h"
#include "core/json.h"
#include "core/str.h"

enum field { F_TEXT, F_DESC, F_ID, F_CLASS, F_PACKAGE, F_COUNT };
static const char *const field_names[F_COUNT] = {"text", "desc", "id", "class", "package"};

struct state_key {
    const char *name;
    uint32_t bit;
};
static const struct state_key state_keys[] = {
    {"checked", TL_EL_CHECKED},       {"enabled", TL_EL_ENABLED},     {"selected", TL_EL_SELECTED},
    {"focused", TL_EL_FOCUSED},       {"clickable", TL_EL_CLICKABLE}, {"editable", TL_EL_EDITABLE},
    {"scrollable", TL_EL_SCROLLABLE},
};

struct matcher {
    char *src;      /* owned: the pattern as written; NULL when unset */
    char *literal;  /* owned: the exact value, NULL for a regex */
    pcre2_code *re; /* owned: compiled regex */
};

struct tl_selector {
    struct matcher m[F_COUNT];
    uint32_t state_mask;  /* which state bits are filtered */
    uint32_t state_value; /* their required values */
    pcre2_match_data *md; /* owned; created with the first regex */
    pcre2_match_context *mctx;
};

tl_selector *tl_selector_new(void)
{
    return calloc(1, sizeof(tl_selector));
}

void tl_selector_free(tl_selector *s)
{
    if (!s)
        return;
    for (int f = 0; f < F_COUNT; f++) {
        free(s->m[f].src);
        free(s->m[f].literal);
        pcre2_code_free(s->m[f].re);
    }
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    free(s);
}

bool tl_selector_empty(const tl_selector *s)
{
    for (int f = 0; f < F_COUNT; f++)
        if (s->m[f].src)
            return false;
    return s->state_mask == 0;
}

static int set_pattern(tl_selector *s, int f, const char *v, tl_error *err)
{
    struct matcher *m = &s->m[f];
    if (m->src)
        return tl_error_set(err, TL_EUSAGE, "selector key %s is given twice", field_names[f]);
    size_t n = strlen(v);
    const char *close = n >= 2 && v[0] == '/' ? strrchr(v + 1, '/') : NULL;
    if (!close) {
        m->src = tl_strdup(v);
        m->literal = tl_strdup(v);
        return m->src && m->literal ? TL_OK : TL_ENOMEM;
    }
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    for (const char *fl = close + 1; *fl; fl++) {
        if (*fl == 'i')
            opts |= PCRE2_CASELESS;
        else
            return tl_error_set(err, TL_EUSAGE,
                                "selector %s: unknown regular expression flag '%c' in %s "
                                "(only i is supported)",
                                field_names[f], *fl, v);
    }
    int code;
    PCRE2_SIZE off;
    m->re =
        pcre2_compile((PCRE2_SPTR)(v + 1), (PCRE2_SIZE)(close - v - 1), opts, &code, &off, NULL);
    if (!m->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return tl_error_set(err, TL_EUSAGE,
                            "selector %s: bad regular expression %s: %s at offset %zu",
                            field_names[f], v, (const char *)msg, (size_t)off);
    }
    pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* an optimisation; matching works without */
    if (!s->md) {
        s->md = pcre2_match_data_create(1, NULL);
        s->mctx = pcre2_match_context_create(NULL);
        if (!s->md || !s->mctx)
            return TL_ENOMEM;
        /* A pathological pattern must fail, not hang the run. */
        pcre2_set_match_limit(s->mctx, 1000000);
        pcre2_set_depth_limit(s->mctx, 10000);
    }
    m->src = tl_strdup(v);
    return m->src ? TL_OK : TL_ENOMEM;
}

int tl_selector_set(tl_selector *s, const char *key, const char *value, tl_error *err)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(key, field_names[f]) == 0)
            return set_pattern(s, f, value, err);
    for (size_t k = 0; k < sizeof(state_keys) / sizeof(state_keys[0]); k++) {
        if (strcmp(key, state_keys[k].name) != 0)
            continue;
        uint32_t bit = state_keys[k].bit;
        if (s->state_mask & bit)
            return tl_error_set(err, TL_EUSAGE, "selector key %s is given twice", key);
        bool v;
        if (strcmp(value, "true") == 0)
            v = true;
        else if (strcmp(value, "false") == 0)
            v = false;
        else
            return tl_error_set(err, TL_EUSAGE, "selector key %s must be true or false, not \"%s\"",
                                key, value);
        s->state_mask |= bit;
        if (v)
            s->state_value |= bit;
        return TL_OK;
    }
    return tl_error_set(err, TL_EUSAGE,
                        "unknown selector key \"%s\" (expected text, desc, id, class, package, "
                        "checked, enabled, selected, focused, clickable, editable or scrollable)",
                        key);
}

int tl_selector_describe(const tl_selector *s, tl_buf *out)
{
    int rc = tl_buf_putc(out, '{');
    bool first = true;
    for (int f = 0; f < F_COUNT; f++) {
        if (!s->m[f].src)
            continue;
        rc |= tl_buf_printf(out, "%s%s: ", first ? "" : ", ", field_names[f]);
        rc |= tl_json_cstr(out, s->m[f].src);
        first = false;
    }
    for (size_t k = 0; k < sizeof(state_keys) / sizeof(state_keys[0]); k++) {
        if (!(s->state_mask & state_keys[k].bit))
            continue;
        rc |= tl_buf_printf(out, "%s%s: %s", first ? "" : ", ", state_keys[k].name,
                            (s->state_value & state_keys[k].bit) ? "true" : "false");
        first = false;
    }
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

static const char *field_value(const tl_element *e, int f, const char *literal)
{
    switch (f) {
    case F_TEXT: return e->text;
    case F_DESC: return e->desc;
    case F_ID: {
        if (literal && strchr(literal, ':'))
            return e->id;
        const char *p = strstr(e->id, ":id/");
        return p ? p + 4 : e->id;
    }
    case F_CLASS: return literal && strchr(literal, '.') ? e->cls : tl_ui_short_class(e->cls);
    default: return e->pkg;
    }
}

/* Does element e's field f satisfy matcher m? */
static bool field_matches(tl_selector *s, const struct matcher *m, int f, const tl_element *e)
{
    if (m->literal)
        return strcmp(field_value(e, f, m->literal), m->literal) == 0;
    const char *v = field_value(e, f, NULL);
    if (f == F_ID || f == F_CLASS) {
        /* a regex on id or class is tried on the short form, then on the full one (a pattern
         * cannot say which form it means: '.' and ':' are also metacharacters) */
        const char *full = f == F_ID ? e->id : e->cls;
        if (pcre2_match(m->re, (PCRE2_SPTR)v, strlen(v), 0, 0, s->md, s->mctx) >= 0)
            return true;
        if (v == full)
            return false;
        v = full;
    }
    return pcre2_match(m->re, (PCRE2_SPTR)v, strlen(v), 0, 0, s->md, s->mctx) >= 0;
}

/* The match of tl_selector_match; with `ui`, text and desc may also be matched by one of the
 * labels shown on e's listing line (texts absorbed into a clickable row). */
static bool match(tl_selector *s, const tl_ui *ui, const tl_element *e)
{
    if ((e->flags & s->state_mask) != s->state_value)
        return false;
    for (int f = 0; f < F_COUNT; f++) {
        const struct matcher *m = &s->m[f];
        if (!m->src || field_matches(s, m, f, e))
            continue;
        bool by_label = false;
        if (ui && (f == F_TEXT || f == F_DESC))
            for (int32_t k = e->label_first; k >= 0 && (size_t)k < ui->n && !by_label;
                 k = ui->el[k].label_next)
                by_label = field_matches(s, m, f, &ui->el[k]);
        if (!by_label)
            return false;
    }
    return true;
}

bool tl_selector_match(tl_selector *s, const tl_element *e)
{
    return match(s, NULL, e);
}

static bool reads_before(const tl_element *a, const tl_element *b)
{
    if (a->visible.top != b->visible.top)
        return a->visible.top < b->visible.top;
    if (a->visible.left != b->visible.left)
        return a->visible.left < b->visible.left;
    return a < b;
}

static const tl_element *find(const tl_ui *ui, tl_selector *s, bool labels)
{
    const tl_element *best = NULL;
    for (size_t i = 0; i < ui->n; i++) {
        const tl_element *e = &ui->el[i];
        if (!(e->flags & TL_EL_TAPPABLE) || (labels && e->label_first < 0) ||
            !match(s, labels ? ui : NULL, e))
            continue;
        if (!best || reads_before(e, best))
            best = e;
    }
    return best;
}

const tl_element *tl_ui_find(const tl_ui *ui, tl_selector *s)
{
    const tl_element *e = find(ui, s, false);
    return e ? e : find(ui, s, true);
}

/* ---- closest candidates -------------------------------------------------------------------- */

#define SIM_MAX 48

static bool contains_bytes(const char *hay, size_t hn, const char *needle, size_t nn)
{
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(hay + i, needle, nn) == 0)
            return true;
    return false;
}

/* Similarity in [0, 1] of two strings, case-insensitive: 1 - edit distance / longer length,
 * over at most SIM_MAX bytes of each; a containment scores at least 0.75. */
static double similarity(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (!la || !lb)
        return 0;
    char x[SIM_MAX] = {0}, y[SIM_MAX] = {0};
    size_t n = la < SIM_MAX ? la : SIM_MAX, m = lb < SIM_MAX ? lb : SIM_MAX;
    for (size_t i = 0; i < n; i++)
        x[i] = (char)tolower((unsigned char)a[i]);
    for (size_t i = 0; i < m; i++)
        y[i] = (char)tolower((unsigned char)b[i]);
    unsigned row[SIM_MAX + 1];
    for (size_t j = 0; j <= m; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            unsigned up = row[j];
            unsigned cost = x[i - 1] == y[j - 1] ? 0 : 1;
            unsigned best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t longer = n > m ? n : m;
    double sim = 1.0 - (double)row[m] / (double)longer;
    bool contains = false;
    if (n <= m && contains_bytes(y, m, x, n))
        contains = true;
    else if (m < n && contains_bytes(x, n, y, m))
        contains = true;
    if (contains && sim < 0.75)
        sim = 0.75;
    return sim;
}

/* A regex's source without slashes, flags and the most common metacharacters, to compare. */
static void pattern_words(const char *src, char *out, size_t size)
{
    size_t o = 0;
    const char *p = src;
    const char *end = src + strlen(src);
    if (*p == '/') {
        p++;
        const char *close = strrchr(p, '/');
        if (close)
            end = close;
    }
    for (; p < end && o + 1 < size; p++) {
        if (strchr("^$()[]{}|*+?\\.", *p))
            continue;
        out[o++] = *p;
    }
    out[o] = '\0';
}

static double score(const tl_selector *s, const tl_element *e)
{
    double best = 0;
    bool any = false;
    for (int f = 0; f < F_COUNT; f++) {
        const struct matcher *m = &s->m[f];
        if (!m->src || f == F_CLASS || f == F_PACKAGE)
            continue;
        any = true;
        char want[128];
        pattern_words(m->src, want, sizeof(want));
        const char *vals[4] = {e->text, e->desc, field_value(e, F_ID, NULL), e->hint};
        for (size_t k = 0; k < 4; k++) {
            double v = similarity(want, vals[k]);
            if (v > best)
                best = v;
        }
    }
    if (!any) /* only state, class or package filters: rank the elements that have a label */
        best = (e->text[0] || e->desc[0]) ? 0.5 : 0.1;
    if (s->state_mask && (e->flags & s->state_mask) == s->state_value)
        best += 0.05;
    return best;
}

size_t tl_ui_closest(const tl_ui *ui, const tl_selector *s, const tl_element **out, size_t max)
{
    double scores[16];
    if (max > 16)
        max = 16;
    size_t count = 0;
    for (size_t i = 0; i < ui->n && max; i++) {
        const tl_element *e = &ui->el[i];
        if (!(e->flags & TL_EL_TAPPABLE) || (e->flags & TL_EL_ABSORBED && !e->text[0]))
            continue;
        double sc = score(s, e);
        if (sc < 0.3)
            continue;
        /* insertion into the top-max list, best first; ties keep reading order */
        size_t pos = count;
        while (pos > 0 &&
               (scores[pos - 1] < sc || (scores[pos - 1] == sc && reads_before(e, out[pos - 1]))))
            pos--;
        if (pos >= max)
            continue;
        size_t last = count < max ? count : max - 1;
        for (size_t k = last; k > pos; k--) {
            out[k] = out[k - 1];
            scores[k] = scores[k - 1];
        }
        out[pos] = e;
        scores[pos] = sc;
        if (count < max)
            count++;
    }
    return count;
}

int tl_ui_describe_miss(const tl_ui *ui, const tl_selector *s, size_t max, tl_buf *out)
{
    int rc = tl_buf_puts(out, "no visible element matches ");
    rc |= tl_selector_describe(s, out);
    const tl_element *cand[16];
    size_t n = tl_ui_closest(ui, s, cand, max);
    if (n == 0) {
        rc |= tl_buf_printf(out, " (nothing similar among %zu listed elements)",
                            tl_ui_listed_count(ui));
        return rc ? TL_ENOMEM : TL_OK;
    }
    rc |= tl_buf_puts(out, "; closest candidates:");
    for (size_t i = 0; i < n; i++) {
        const tl_element *e = cand[i];
        rc |= tl_buf_puts(out, "\n  ");
        /* an absorbed text is shown through the line that carries it */
        const tl_element *line = (e->flags & TL_EL_ABSORBED) ? &ui->el[e->label_owner] : e;
        rc |= tl_ui_element_line(ui, line, out);
        if (line != e) {
            rc |= tl_buf_puts(out, "  <- ");
            rc |= tl_json_cstr(out, e->text[0] ? e->text : e->desc);
        }
    }
    return rc ? TL_ENOMEM : TL_OK;
}
