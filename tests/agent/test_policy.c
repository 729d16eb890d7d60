/*
 * test_policy.c - the deny lists (agent/policy.h): package specs, text patterns, and which
 * actions each refuses.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "agent/policy.h"
#include "core/str.h"

static tl_policy *pol;
static tl_error err;

static void setup(void)
{
    pol = tl_policy_new();
    cr_assert_not_null(pol);
    memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
    tl_policy_free(pol);
}

TestSuite(policy, .init = setup, .fini = teardown);

static tl_action start_app(const char *pkg)
{
    tl_action a;
    tl_action_init(&a);
    a.type = TL_ACT_START_APP;
    a.package = tl_strdup(pkg);
    return a;
}

static tl_action type_text(const char *text)
{
    tl_action a;
    tl_action_init(&a);
    a.type = TL_ACT_TYPE;
    a.text = tl_strdup(text);
    return a;
}

static int check(tl_action a, const char *foreground)
{
    memset(&err, 0, sizeof(err));
    int rc = tl_policy_check(pol, &a, foreground, &err);
    tl_action_dispose(&a);
    return rc;
}

Test(policy, empty_allows_everything)
{
    cr_assert(tl_policy_empty(pol));
    cr_assert(tl_policy_empty(NULL));
    cr_assert_eq(check(start_app("com.bank"), "com.bank"), TL_OK);
    cr_assert_eq(check(type_text("anything"), NULL), TL_OK);
    tl_action a = start_app("com.bank");
    cr_assert_eq(tl_policy_check(NULL, &a, "com.bank", &err), TL_OK);
    tl_action_dispose(&a);
}

Test(policy, package_specs)
{
    const char *good[] = {"com.android.vending", "com.bank.*", "a", "_x.y_1", "A.B9"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert_eq(tl_policy_deny_package(pol, good[i], &err), TL_OK, "%s: %s", good[i], err.msg);
    const char *bad[] = {"",       ".*",          "com..x",    ".com", "com.",
                         "com.9x", "com bank",    "com.*.x",   "*",    "com.bank*",
                         "com/x",  "com.bank.**", "x;rm -rf /"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_policy_deny_package(pol, bad[i], &err), TL_EUSAGE, "%s accepted", bad[i]);
        cr_assert(strstr(err.msg, "--deny-package"), "%s", err.msg);
    }
    cr_assert_not(tl_policy_empty(pol));
}

Test(policy, exact_and_prefix_matching)
{
    cr_assert_eq(tl_policy_deny_package(pol, "com.android.vending", &err), TL_OK);
    cr_assert_eq(tl_policy_deny_package(pol, "com.bank.*", &err), TL_OK);
    cr_assert(tl_policy_package_denied(pol, "com.android.vending"));
    cr_assert_not(tl_policy_package_denied(pol, "com.android.vendingx"));
    cr_assert_not(tl_policy_package_denied(pol, "com.android.vending.sub"));
    cr_assert_not(tl_policy_package_denied(pol, "com.android"));
    cr_assert(tl_policy_package_denied(pol, "com.bank"));
    cr_assert(tl_policy_package_denied(pol, "com.bank.app"));
    cr_assert(tl_policy_package_denied(pol, "com.bank.app.beta"));
    cr_assert_not(tl_policy_package_denied(pol, "com.banking"));
    cr_assert_not(tl_policy_package_denied(pol, "com"));
    cr_assert_not(tl_policy_package_denied(pol, ""));
    cr_assert_not(tl_policy_package_denied(pol, NULL));
}

Test(policy, start_app_refused_with_a_message_for_the_model)
{
    cr_assert_eq(tl_policy_deny_package(pol, "com.bank.*", &err), TL_OK);
    cr_assert_eq(check(start_app("com.bank.app"), "com.android.launcher"), TL_EREJECTED);
    cr_assert(strstr(err.msg, "refused"), "%s", err.msg);
    cr_assert(strstr(err.msg, "com.bank.app"), "%s", err.msg);
    cr_assert_eq(check(start_app("com.android.settings"), "com.bank.app"), TL_OK,
                 "leaving a denied app for an allowed one is allowed");
}

Test(policy, nothing_acts_inside_a_denied_foreground_app)
{
    cr_assert_eq(tl_policy_deny_package(pol, "com.bank", &err), TL_OK);
    tl_action_type inside[] = {TL_ACT_TAP, TL_ACT_LONG_PRESS, TL_ACT_SWIPE, TL_ACT_SCROLL,
                               TL_ACT_TYPE};
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        tl_action a;
        tl_action_init(&a);
        a.type = inside[i];
        cr_assert_eq(check(a, "com.bank"), TL_EREJECTED, "%s", tl_action_name(inside[i]));
        cr_assert(strstr(err.msg, "com.bank"), "%s", err.msg);
        tl_action_init(&a);
        a.type = inside[i];
        cr_assert_eq(check(a, "com.other"), TL_OK, "%s", tl_action_name(inside[i]));
    }
    tl_action_type ways_out[] = {TL_ACT_PRESS_KEY, TL_ACT_WAIT, TL_ACT_DONE};
    for (size_t i = 0; i < sizeof(ways_out) / sizeof(ways_out[0]); i++) {
        tl_action a;
        tl_action_init(&a);
        a.type = ways_out[i];
        cr_assert_eq(check(a, "com.bank"), TL_OK, "%s", tl_action_name(ways_out[i]));
    }
    tl_action a;
    tl_action_init(&a);
    a.type = TL_ACT_STOP_APP;
    a.package = tl_strdup("com.bank");
    cr_assert_eq(check(a, "com.bank"), TL_OK);
}

Test(policy, text_patterns)
{
    cr_assert_eq(tl_policy_deny_text(pol, "/\\b\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}\\b/", &err),
                 TL_OK, "%s", err.msg);
    cr_assert_eq(tl_policy_deny_text(pol, "/transfer/i", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_policy_deny_text(pol, "^rm ", &err), TL_OK, "%s", err.msg); /* bare */
    cr_assert_eq(check(type_text("card 4111 1111 1111 1111 ok"), NULL), TL_EREJECTED);
    cr_assert(strstr(err.msg, "refused"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "4111"), "the refused text is not repeated: %s", err.msg);
    cr_assert_null(strstr(err.msg, "\\d"), "the pattern is not shown: %s", err.msg);
    cr_assert_eq(check(type_text("please TRANSFER now"), NULL), TL_EREJECTED);
    cr_assert_eq(check(type_text("rm -rf"), NULL), TL_EREJECTED);
    cr_assert_eq(check(type_text("a rm b"), NULL), TL_OK);
    cr_assert_eq(check(type_text("hello"), NULL), TL_OK);
    cr_assert_eq(check(type_text("caf\xc3\xa9 \xff\xfe"), NULL), TL_OK,
                 "invalid UTF-8 is matched, not an error");
    /* only type is about text */
    tl_action a;
    tl_action_init(&a);
    a.type = TL_ACT_DONE;
    a.message = tl_strdup("transfer done");
    cr_assert_eq(check(a, NULL), TL_OK);
}

Test(policy, caseless_utf8)
{
    cr_assert_eq(tl_policy_deny_text(pol, "/ÉTÉ/i", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(check(type_text("un été chaud"), NULL), TL_EREJECTED);
}

Test(policy, bad_patterns)
{
    const char *bad[] = {"", "//", "/(/", "(", "/a/x", "/a/ig", "[z-a]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_policy_deny_text(pol, bad[i], &err), TL_EUSAGE, "%s accepted", bad[i]);
        cr_assert(strstr(err.msg, "--deny-text"), "%s", err.msg);
    }
    cr_assert(tl_policy_empty(pol));
    /* a lone slash is a pattern matching a slash */
    cr_assert_eq(tl_policy_deny_text(pol, "/", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(check(type_text("a/b"), NULL), TL_EREJECTED);
}

Test(policy, a_runaway_pattern_fails_closed)
{
    cr_assert_eq(tl_policy_deny_text(pol, "/^(a+)+$/", &err), TL_OK, "%s", err.msg);
    char text[64];
    memset(text, 'a', sizeof(text) - 2);
    text[sizeof(text) - 2] = 'b';
    text[sizeof(text) - 1] = '\0';
    cr_assert_eq(check(type_text(text), NULL), TL_EREJECTED);
}

Test(policy, rule_limits)
{
    char spec[32];
    for (int i = 0; i < TL_POLICY_MAX_RULES; i++) {
        snprintf(spec, sizeof(spec), "com.p%d", i);
        cr_assert_eq(tl_policy_deny_package(pol, spec, &err), TL_OK);
        cr_assert_eq(tl_policy_deny_text(pol, "x", &err), TL_OK);
    }
    cr_assert_eq(tl_policy_deny_package(pol, "com.more", &err), TL_EUSAGE);
    cr_assert_eq(tl_policy_deny_text(pol, "y", &err), TL_EUSAGE);
}
