/*
 * policy.c - the deny lists of a run (see policy.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/policy.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

/* Limits that make a pathological pattern fail (closed) instead of hanging a run. */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000

struct pkg_rule {
    char *name;  /* owned: the package, or the prefix without ".*" */
    bool prefix; /* the spec ended in ".*" */
};

struct tl_policy {
    struct pkg_rule pkg[TL_POLICY_MAX_RULES];
    int n_pkg;
    pcre2_code *text[TL_POLICY_MAX_RULES]; /* owned: compiled --deny-text patterns */
    int n_text;
};

tl_policy *tl_policy_new(void)
{
    return calloc(1, sizeof(tl_policy));
}

void tl_policy_free(tl_policy *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_pkg; i++)
        free(p->pkg[i].name);
    for (int i = 0; i < p->n_text; i++)
        pcre2_code_free(p->text[i]);
    free(p);
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A Java package name: segments of a letter then letters, digits or '_', joined by '.'. Android
 * also allows '_' first in a segment, so do we. */
static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 255)
        return false;
    bool seg_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (seg_start)
                return false;
            seg_start = true;
        } else if (is_alpha(c) || c == '_' || (!seg_start && is_digit(c))) {
            seg_start = false;
        } else {
            return false;
        }
    }
    return !seg_start;
}

int tl_policy_deny_package(tl_policy *p, const char *spec, tl_error *err)
{
    size_t n = strlen(spec);
    bool prefix = n >= 2 && strcmp(spec + n - 2, ".*") == 0;
    size_t name_len = prefix ? n - 2 : n;
    if (!valid_name(spec, name_len))
        return tl_error_set(err, TL_EUSAGE,
                            "--deny-package '%.80s' is not a package name (like "
                            "com.android.vending) nor a prefix ending in .* (like com.bank.*)",
                            spec);
    if (p->n_pkg >= TL_POLICY_MAX_RULES)
        return tl_error_set(err, TL_EUSAGE, "more than %d --deny-package rules",
                            TL_POLICY_MAX_RULES);
    char *name = tl_strndup(spec, name_len);
    if (!name)
        return TL_ENOMEM;
    p->pkg[p->n_pkg].name = name;
    p->pkg[p->n_pkg].prefix = prefix;
    p->n_pkg++;
    return TL_OK;
}

int tl_policy_deny_text(tl_policy *p, const char *pattern, tl_error *err)
{
    const char *src = pattern;
    size_t len = strlen(pattern);
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    const char *close = len >= 2 && pattern[0] == '/' ? strrchr(pattern, '/') : NULL;
    if (close && close > pattern) {
        for (const char *fl = close + 1; *fl; fl++) {
            if (*fl != 'i')
                return tl_error_set(err, TL_EUSAGE,
                                    "--deny-text: unknown flag '%c' after the closing slash "
                                    "(only i is supported)",
                                    *fl);
            opts |= PCRE2_CASELESS;
        }
        src = pattern + 1;
        len = (size_t)(close - pattern - 1);
    }
    if (len == 0)
        return tl_error_set(err, TL_EUSAGE, "--deny-text: the pattern is empty");
    if (p->n_text >= TL_POLICY_MAX_RULES)
        return tl_error_set(err, TL_EUSAGE, "more than %d --deny-text rules", TL_POLICY_MAX_RULES);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, len, opts, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return tl_error_set(err, TL_EUSAGE, "--deny-text: bad regular expression: %s at offset %zu",
                            (const char *)msg, (size_t)off);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimisation; matching works without */
    p->text[p->n_text++] = re;
    return TL_OK;
}

bool tl_policy_empty(const tl_policy *p)
{
    return !p || (p->n_pkg == 0 && p->n_text == 0);
}

bool tl_policy_package_denied(const tl_policy *p, const char *package)
{
    if (!p || !package || !package[0])
        return false;
    for (int i = 0; i < p->n_pkg; i++) {
        const struct pkg_rule *r = &p->pkg[i];
        size_t n = strlen(r->name);
        if (strncmp(package, r->name, n) != 0)
            continue;
        if (package[n] == '\0' || (r->prefix && package[n] == '.'))
            return true;
    }
    return false;
}

/* 1 if a --deny-text pattern matches `text` (or matching it hit a limit), 0 if none does,
 * -1 when out of memory. */
static int text_denied(const tl_policy *p, const char *text)
{
    if (p->n_text == 0 || !text)
        return 0;
    /* per call: the compiled patterns are shared by the threads of a batch */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);    /* owned */
    pcre2_match_context *mc = pcre2_match_context_create(NULL); /* owned */
    int denied = -1;
    if (md && mc) {
        pcre2_set_match_limit(mc, MATCH_LIMIT);
        pcre2_set_depth_limit(mc, DEPTH_LIMIT);
        denied = 0;
        for (int i = 0; i < p->n_text && !denied; i++) {
            int rc = pcre2_match(p->text[i], (PCRE2_SPTR)text, strlen(text), 0, 0, md, mc);
            /* no match is the only answer that allows: limits and errors deny */
            if (rc != PCRE2_ERROR_NOMATCH)
                denied = 1;
        }
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    return denied;
}

/* Actions that act inside the app on screen. */
static bool acts_on_screen(tl_action_type t)
{
    return t == TL_ACT_TAP || t == TL_ACT_LONG_PRESS || t == TL_ACT_SWIPE || t == TL_ACT_SCROLL ||
           t == TL_ACT_TYPE;
}

int tl_policy_check(const tl_policy *p, const tl_action *a, const char *foreground, tl_error *err)
{
    if (tl_policy_empty(p))
        return TL_OK;
    if (a->type == TL_ACT_START_APP && tl_policy_package_denied(p, a->package))
        return tl_error_set(err, TL_EREJECTED,
                            "refused: the app %.200s is on the user's deny list "
                            "(--deny-package); do not try to open it",
                            a->package);
    if (acts_on_screen(a->type) && tl_policy_package_denied(p, foreground))
        return tl_error_set(err, TL_EREJECTED,
                            "refused: the app on screen, %.200s, is on the user's deny list "
                            "(--deny-package); only back, home, other keys, start_app of "
                            "another app, stop_app, wait and done are allowed",
                            foreground);
    if (a->type == TL_ACT_TYPE) {
        int d = text_denied(p, a->text);
        if (d < 0)
            return TL_ENOMEM;
        if (d)
            return tl_error_set(err, TL_EREJECTED,
                                "refused: the user does not allow typing this text "
                                "(it matches a --deny-text pattern)");
    }
    return TL_OK;
}
