/*
 * test_sim_model.c - loading and validating sim phone models (drivers/sim/model.c): the built-in
 * demo model, defaults, and the errors that name the key path of the first problem.
 *
 * Models are written with single quotes for readability; J() turns them into JSON.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sim/sim_int.h"

/* A copy of s with every ' replaced by ". Freed by the caller. */
static char *J(const char *s)
{
    char *out = strdup(s);
    cr_assert_not_null(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

/* Load a single-quoted model; returns the status, fills err, frees the model on success. */
static int load_q(const char *model, tl_error *err)
{
    char *json = J(model);
    struct sim_model *m = (struct sim_model *)1;
    tl_error_clear(err);
    int rc = sim_model_load(&m, json, strlen(json), "test.json", err);
    if (rc == TL_OK) {
        cr_assert_not_null(m);
        sim_model_free(m);
    } else {
        cr_assert_null(m, "*out must be NULL after a failed load");
    }
    free(json);
    return rc;
}

/* Expect a load to fail with TL_EPARSE and a message containing every given fragment. */
#define expect_error(model, ...)                                                         \
    do {                                                                                 \
        tl_error err_;                                                                   \
        int rc_ = load_q(model, &err_);                                                  \
        cr_assert_eq(rc_, TL_EPARSE, "expected TL_EPARSE, got %d (%s)", rc_, err_.msg);  \
        cr_assert_eq(err_.code, TL_EPARSE);                                              \
        const char *frags_[] = {__VA_ARGS__, NULL};                                      \
        for (size_t i_ = 0; frags_[i_]; i_++)                                            \
            cr_assert_not_null(strstr(err_.msg, frags_[i_]), "message lacks \"%s\": %s", \
                               frags_[i_], err_.msg);                                    \
    } while (0)

/* A small valid model; the tests below break one thing at a time. */
#define APPS  "'apps':[{'package':'com.example.a','label':'A','start':'main'}]"
#define HEAD  "{'name':'t'," APPS ","
#define MAIN0 "'screens':{'main':{'app':'com.example.a','title':'Main','views':["

static void expect_ok(const char *model)
{
    tl_error err;
    int rc = load_q(model, &err);
    cr_assert_eq(rc, TL_OK, "load failed: %s", err.msg);
}

Test(sim_model, demo_model_loads)
{
    struct sim_model *m = NULL;
    tl_error err;
    int rc = sim_model_load(&m, tl_sim_demo_model, tl_sim_demo_model_len, "(built-in)", &err);
    cr_assert_eq(rc, TL_OK, "%s", err.msg);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->name, "demo");
    cr_assert_eq(m->width, 1080);
    cr_assert_eq(m->height, 2400);
    cr_assert_float_eq(m->density, 2.625, 1e-9);
    cr_assert_str_eq(m->theme_var, "dark_theme");
    cr_assert_eq(m->napps, 3);
    cr_assert_str_eq(m->apps[0].package, "com.android.settings");
    cr_assert_str_eq(m->apps[1].package, "com.android.contacts");
    cr_assert_str_eq(m->apps[2].package, "com.example.notes");
    cr_assert_str_eq(m->apps[2].label, "Notes");
    cr_assert_eq(m->apps[0].start, sim_model_screen(m, "settings"));
    cr_assert_eq(m->apps[1].start, sim_model_screen(m, "contacts"));
    cr_assert_eq(m->apps[2].start, sim_model_screen(m, "notes_login"));
    cr_assert_eq(m->nscreens, 7);
    int display = sim_model_screen(m, "display");
    cr_assert_geq(display, 0);
    cr_assert_str_eq(m->screens[display].activity, ".DisplaySettings");
    cr_assert_eq(m->screens[display].app, sim_model_app(m, "com.android.settings"));
    cr_assert_eq(sim_model_screen(m, "nope"), -1);
    cr_assert_eq(sim_model_app(m, "com.nope"), -1);

    /* fields: global, in declaration order, the password one secret */
    cr_assert_eq(m->nfields, 5);
    int pw = sim_model_field(m, "password");
    int email = sim_model_field(m, "email");
    cr_assert_geq(pw, 0);
    cr_assert_geq(email, 0);
    cr_assert(m->field_secret[pw]);
    cr_assert_not(m->field_secret[email]);
    cr_assert_not(m->field_secret[sim_model_field(m, "first_name")]);

    /* vars and their types */
    int dark = sim_model_var(m, "dark_theme");
    cr_assert_geq(dark, 0);
    cr_assert_eq(m->vars[dark].init.type, SIM_VAR_BOOL);
    cr_assert_not(m->vars[dark].init.b);
    int contacts = sim_model_var(m, "contacts");
    cr_assert_eq(m->vars[contacts].init.type, SIM_VAR_LIST);
    cr_assert_eq(m->vars[contacts].init.nitems, 2);
    int account = sim_model_var(m, "notes_account");
    cr_assert_eq(m->vars[account].init.type, SIM_VAR_STRING);
    cr_assert_str_eq(m->vars[account].init.s, "demo@example.com");

    /* ids are expanded to package:id/name */
    const struct sim_screen *s = &m->screens[sim_model_screen(m, "settings")];
    bool found = false;
    for (size_t i = 0; i < s->nviews; i++)
        found |= s->views[i].id && strcmp(s->views[i].id, "com.android.settings:id/display") == 0;
    cr_assert(found, "the Display row's id is not expanded");

    cr_assert_eq(strlen(m->digest), 64);
    cr_assert_eq(strspn(m->digest, "0123456789abcdef"), 64);
    sim_model_free(m);
}

Test(sim_model, minimal_model_defaults)
{
    char *json = J("{'name':'t','apps':[{'package':'p.q','label':'Q','start':'s'}],"
                   "'screens':{'s':{'app':'p.q'}}}");
    struct sim_model *m = NULL;
    tl_error err;
    cr_assert_eq(sim_model_load(&m, json, strlen(json), "min", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(m->width, 1080);
    cr_assert_eq(m->height, 2400);
    cr_assert_float_eq(m->density, 2.625, 1e-9);
    cr_assert_null(m->theme_var);
    cr_assert_eq(m->nscreens, 1);
    cr_assert_str_eq(m->screens[0].activity, ".MainActivity");
    cr_assert_null(m->screens[0].title);
    cr_assert_eq(m->screens[0].nviews, 0);
    cr_assert_eq(m->nvars, 0);
    cr_assert_eq(m->nfields, 0);
    sim_model_free(m);
    free(json);
}

Test(sim_model, screen_size_and_digest)
{
    char *a =
        J("{'name':'t','screen':{'width':720,'height':1280,'density':2},"
          "'apps':[{'package':'p.q','label':'Q','start':'s'}],'screens':{'s':{'app':'p.q'}}}");
    char *b =
        J("{'name':'t', 'screen':{'width':720,'height':1280,'density':2},"
          "'apps':[{'package':'p.q','label':'Q','start':'s'}],'screens':{'s':{'app':'p.q'}}}");
    struct sim_model *ma = NULL, *ma2 = NULL, *mb = NULL;
    tl_error err;
    cr_assert_eq(sim_model_load(&ma, a, strlen(a), "a", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(sim_model_load(&ma2, a, strlen(a), "a", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(sim_model_load(&mb, b, strlen(b), "b", &err), TL_OK, "%s", err.msg);
    cr_assert_eq(ma->width, 720);
    cr_assert_eq(ma->height, 1280);
    cr_assert_float_eq(ma->density, 2.0, 1e-9);
    cr_assert_str_eq(ma->digest, ma2->digest, "same text, same digest");
    cr_assert_str_neq(ma->digest, mb->digest, "the digest is of the text, spaces included");
    sim_model_free(ma);
    sim_model_free(ma2);
    sim_model_free(mb);
    free(a);
    free(b);
}

Test(sim_model, full_feature_model_loads)
{
    expect_ok(
        "{'name':'t','theme_var':'night',"
        "'vars':{'night':false,'label':'x','items':[{'name':'a'}]},"
        "'apps':[{'package':'p.q','label':'Q','start':'main'},"
        "        {'package':'p.r','label':'R','start':'other'}],"
        "'screens':{"
        " 'main':{'app':'p.q','title':'T {label} {entry}','activity':'.Main','views':["
        "  {'type':'text','text':'{label}','visible_if':'!night','enabled_if':'night'},"
        "  {'type':'input','field':'entry','hint':'Entry','password':true},"
        "  {'type':'checkbox','text':'Night','checked':'night','height':40},"
        "  {'type':'list','items':'items','empty':'none','item':"
        "    {'type':'row','text':'{name}','summary':'{whatever}',"
        "     'on_tap':[{'set':{'label':'{name}'}}]}},"
        "  {'type':'button','text':'Go','fab':true,'on_tap':["
        "    {'if':{'not_equals':['{entry}','']},"
        "     'then':[{'append':{'to':'items','item':{'name':'{entry}'}}},{'clear':['entry']}],"
        "     'else':[{'launch':'p.r'}]},"
        "    {'if':{'falsy':'night'},'then':[{'toggle':'night'}]},"
        "    {'if':{'empty':'{label}'},'then':[{'home':true}]}]}],"
        "  'on_submit':[{'go':'other'}]},"
        " 'other':{'app':'p.r','views':[{'type':'row','text':'Back',"
        "  'on_tap':[{'back':true}],'on_long_press':[{'set':{'night':true}}]}]}}}");
}

Test(sim_model, unknown_top_level_key)
{
    expect_error("{'name':'t','colour':'red'," APPS ",'screens':{'main':{'app':'com.example.a'}}}",
                 "test.json", "(top level)", "unknown key \"colour\"", "allowed:", "screens");
}

Test(sim_model, unknown_view_key)
{
    expect_error(HEAD MAIN0 "{'type':'text','text':'a'},{'type':'text','txt':'b'}]}}}",
                 "screens.main.views[1]", "unknown key \"txt\"");
}

Test(sim_model, unknown_view_type)
{
    expect_error(HEAD MAIN0 "{'type':'slider'}]}}}", "screens.main.views[0]",
                 "unknown view type \"slider\"");
    expect_error(HEAD MAIN0 "{'text':'no type'}]}}}", "screens.main.views[0]", "needs \"type\"");
}

Test(sim_model, switch_without_checked)
{
    expect_error(HEAD "'vars':{'on':true}," MAIN0 "{'type':'switch','text':'On'}]}}}",
                 "screens.main.views[0]", "a switch needs \"checked\"");
    expect_error(HEAD "'vars':{'on':true}," MAIN0 "{'type':'checkbox','text':'On'}]}}}",
                 "screens.main.views[0]", "a checkbox needs \"checked\"");
}

Test(sim_model, checked_must_name_a_bool_var)
{
    expect_error(HEAD "'vars':{'on':'yes'}," MAIN0
                      "{'type':'switch','text':'On','checked':'on'}]}}}",
                 "screens.main.views[0]", "variable \"on\" must be true or false");
    expect_error(HEAD "'vars':{'on':true}," MAIN0
                      "{'type':'switch','text':'On','checked':'off'}]}}}",
                 "screens.main.views[0]", "no variable \"off\"");
}

Test(sim_model, go_to_unknown_screen)
{
    tl_error err;
    int rc = load_q(HEAD MAIN0 "{'type':'text','text':'a'},{'type':'text','text':'b'},"
                               "{'type':'row','text':'c','on_tap':[{'go':'dispaly'}]}]}}}",
                    &err);
    cr_assert_eq(rc, TL_EPARSE);
    cr_assert_str_eq(
        err.msg, "sim model test.json: screens.main.views[2].on_tap[0].go: no screen \"dispaly\"");
}

Test(sim_model, go_nested_in_if_names_the_branch)
{
    expect_error(HEAD "'vars':{'on':true}," MAIN0
                      "{'type':'button','text':'b','on_tap':[{'toggle':'on'},"
                      "{'if':{'truthy':'on'},'then':[{'back':true}],'else':[{'go':'x'}]}]}]}}}",
                 "screens.main.views[0].on_tap[1].else[0].go: no screen \"x\"");
}

Test(sim_model, launch_unknown_app)
{
    expect_error(HEAD MAIN0 "{'type':'button','text':'b','on_tap':[{'launch':'com.nope'}]}]}}}",
                 "screens.main.views[0].on_tap[0].launch", "no app \"com.nope\"");
}

Test(sim_model, template_naming_unknown_name)
{
    expect_error(HEAD "'vars':{'who':'x'}," MAIN0 "{'type':'text','text':'Hi {whom}'}]}}}",
                 "screens.main.views[0]", "{whom}", "neither a variable nor an input field");
    expect_error("{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.a','title':'{t}'}}}",
                 "screens.main", "{t}");
    expect_error(HEAD "'vars':{'s':'x'}," MAIN0
                      "{'type':'button','text':'b','on_tap':[{'set':{'s':'{nope}'}}]}]}}}",
                 "screens.main.views[0].on_tap[0].set", "{nope}");
    expect_error(HEAD MAIN0 "{'type':'text','text':'oops {'}]}}}", "unclosed '{'");
    expect_error(HEAD MAIN0 "{'type':'text','text':'empty {}'}]}}}", "bad {name}");
}

Test(sim_model, templates_may_name_fields_of_other_screens)
{
    expect_ok(HEAD MAIN0 "{'type':'text','text':'You typed {later}'}]},"
                         "'second':{'app':'com.example.a','views':["
                         "{'type':'input','field':'later'}]}}}");
}

Test(sim_model, duplicate_field_names)
{
    expect_error(HEAD MAIN0 "{'type':'input','field':'f'},{'type':'input','field':'f'}]}}}",
                 "screens.main.views", "input field \"f\" is declared twice");
    /* field names are global: two screens cannot share one either */
    expect_error(HEAD MAIN0 "{'type':'input','field':'f'}]},"
                            "'other':{'app':'com.example.a','views':["
                            "{'type':'input','field':'f'}]}}}",
                 "screens.other.views", "declared twice");
}

Test(sim_model, invalid_json_has_line_number)
{
    tl_error err;
    const char *text = "{\n  \"name\": \"t\",\n  \"apps\": [,]\n}\n";
    struct sim_model *m = NULL;
    int rc = sim_model_load(&m, text, strlen(text), "broken.json", &err);
    cr_assert_eq(rc, TL_EPARSE);
    cr_assert_null(m);
    cr_assert_not_null(strstr(err.msg, "broken.json"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "invalid JSON"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "line 3"), "%s", err.msg);

    rc = sim_model_load(&m, "", 0, "empty.json", &err);
    cr_assert_eq(rc, TL_EPARSE);
    cr_assert_not_null(strstr(err.msg, "line 1"), "%s", err.msg);
}

Test(sim_model, trailing_text_after_the_model)
{
    /* a second object pasted after the first must not be silently ignored */
    expect_error("{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.a'}}}\n"
                 "{'name':'u'}",
                 "invalid JSON", "line 2");
    /* trailing whitespace is fine */
    expect_ok("{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.a'}}}\n\n  ");
}

Test(sim_model, apps_empty_or_missing)
{
    expect_error("{'name':'t','apps':[],'screens':{'main':{'app':'com.example.a'}}}",
                 "apps must be a non-empty list");
    expect_error("{'name':'t','screens':{'main':{'app':'com.example.a'}}}",
                 "apps must be a non-empty list");
}

Test(sim_model, start_screen_missing)
{
    expect_error("{'name':'t','apps':[{'package':'a.b','label':'A','start':'mian'}],"
                 "'screens':{'main':{'app':'a.b'}}}",
                 "apps[0]", "start screen \"mian\" is not under screens");
    expect_error("{'name':'t','apps':[{'package':'a.b','label':'A','start':'main'},"
                 "{'package':'a.c','label':'C'}],'screens':{'main':{'app':'a.b'}}}",
                 "apps[1]", "the key \"start\" is required");
}

Test(sim_model, other_structural_errors)
{
    expect_error("[1,2]", "(top level)", "must be a JSON object");
    expect_error("{'apps':[],'screens':{}}", "\"name\" is required");
    expect_error("{'name':'t'," APPS ",'screens':{}}", "screens must be a non-empty object");
    expect_error("{'name':'t','apps':[{'package':'a.b','label':'A','start':'main'},"
                 "{'package':'a.b','label':'B','start':'main'}],'screens':{'main':{'app':'a.b'}}}",
                 "apps[1]", "package \"a.b\" is declared twice");
    expect_error("{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.b'}}}", "screens.main",
                 "app \"com.example.b\" is not declared");
    expect_error("{'name':'t','screen':{'width':100}," APPS
                 ",'screens':{'main':{'app':'com.example.a'}}}",
                 "screen:", "width 240..4096");
    expect_error("{'name':'t','theme_var':'dark'," APPS
                 ",'screens':{'main':{'app':'com.example.a'}}}",
                 "no variable \"dark\"");
    expect_error(HEAD "'vars':{'n':3}," MAIN0 "]}}}", "vars.n", "a variable must be");
    expect_error(HEAD "'vars':{'l':[{'a':1}]}," MAIN0 "]}}}", "vars.l[0]", "must be a string");
    expect_error(HEAD MAIN0 "{'type':'text','text':5}]}}}", "screens.main.views[0].text",
                 "must be a string");
    expect_error(HEAD MAIN0 "{'type':'input','field':'f','password':'yes'}]}}}",
                 "screens.main.views[0].password", "must be true or false");
    expect_error(HEAD MAIN0 "{'type':'text','text':'x','height':4}]}}}", "height must be");
    expect_error(HEAD MAIN0 "{'type':'input'}]}}}", "an input needs a \"field\"");
    expect_error(HEAD MAIN0 "{'type':'text','text':'x','fab':true}]}}}", "only a button");
    expect_error(HEAD "'vars':{'l':[]}," MAIN0
                      "{'type':'list','items':'l','item':{'type':'input','field':'f'}}]}}}",
                 "screens.main.views[0].item", "inputs cannot be list items");
    expect_error(HEAD "'vars':{'l':[]}," MAIN0
                      "{'type':'list','items':'l','item':{'type':'list','items':'l',"
                      "'item':{'type':'text'}}}]}}}",
                 "lists cannot be nested");
    expect_error(HEAD "'vars':{'l':true}," MAIN0
                      "{'type':'list','items':'l','item':{'type':'text'}}]}}}",
                 "variable \"l\" must be a list");
    expect_error(HEAD "'vars':{'l':[]}," MAIN0 "{'type':'list','items':'l'}]}}}",
                 "a list needs an \"item\"");
    expect_error(HEAD MAIN0 "{'type':'text','visible_if':'!ghost'}]}}}", "no variable \"ghost\"");
}

Test(sim_model, operation_errors)
{
    expect_error(HEAD "'vars':{'s':'x'}," MAIN0 "{'type':'button','on_tap':[{'toggle':'s'}]}]}}}",
                 "on_tap[0].toggle", "variable \"s\" must be true or false");
    expect_error(HEAD "'vars':{'l':[]}," MAIN0 "{'type':'button','on_tap':[{'set':{'l':'x'}}]}]}}}",
                 "on_tap[0].set", "list variable \"l\" cannot be set");
    expect_error(HEAD "'vars':{'b':true}," MAIN0
                      "{'type':'button','on_tap':[{'set':{'b':'x'}}]}]}}}",
                 "variable \"b\" takes true or false");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'clear':['nofield']}]}]}}}",
                 "on_tap[0].clear", "no input field \"nofield\"");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'back':true,'home':true}]}]}}}",
                 "on_tap[0]", "exactly one key");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'jump':'x'}]}]}}}", "on_tap[0]",
                 "unknown key \"jump\"");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'back':false}]}]}}}", "on_tap[0].back",
                 "must be true");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':{'back':true}}]}}}", "on_tap",
                 "must be a list of operations");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'if':{'equals':['a']}}]}]}}}",
                 "on_tap[0].if.equals", "two strings");
    expect_error(HEAD MAIN0
                 "{'type':'button','on_tap':[{'if':{'equals':['a','b'],'empty':'c'}}]}]}}}",
                 "on_tap[0].if", "a condition is an object with one of");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'if':{'truthy':'nope'}}]}]}}}",
                 "on_tap[0].if.truthy", "no variable \"nope\"");
    expect_error(HEAD "'vars':{'l':[]}," MAIN0
                      "{'type':'button','on_tap':[{'append':{'to':'l','item':{'a':'{zz}'}}}]}]}}}",
                 "on_tap[0].append", "{zz}");
    expect_error(HEAD "'vars':{'l':true}," MAIN0
                      "{'type':'button','on_tap':[{'append':{'to':'l','item':{'a':'x'}}}]}]}}}",
                 "on_tap[0].append", "variable \"l\" must be a list");
    expect_error(HEAD MAIN0 "{'type':'button','on_tap':[{'then':[]}]}]}}}",
                 "\"then\" and \"else\" only go with \"if\"");
    expect_error("{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.a',"
                 "'on_submit':[{'go':'nowhere'}]}}}",
                 "screens.main.on_submit[0].go", "no screen \"nowhere\"");
}

#define AFTER(x) "{'name':'t'," APPS ",'screens':{'main':{'app':'com.example.a','after':" x "}}}"

Test(sim_model, timed_transition_loads)
{
    char *json = J("{'name':'t','apps':[{'package':'a.b','label':'A','start':'wait'},"
                   "{'package':'c.d','label':'C','start':'other'}],'vars':{'ready':false},"
                   "'screens':{'wait':{'app':'a.b','after':{'ms':600,'do':[{'replace':'done'}]}},"
                   "'done':{'app':'a.b','after':{'ms':1,'do':[{'set':{'ready':true}}]},"
                   "'views':[{'type':'button','text':'Again','on_tap':[{'replace':'wait'}]}]},"
                   "'other':{'app':'c.d'}}}");
    struct sim_model *m = NULL;
    tl_error err;
    int rc = sim_model_load(&m, json, strlen(json), "t.json", &err);
    cr_assert_eq(rc, TL_OK, "%s", err.msg);
    const struct sim_screen *w = &m->screens[sim_model_screen(m, "wait")];
    cr_assert_eq(w->after_ms, 600);
    cr_assert_eq(w->after.n, 1);
    cr_assert_eq(w->after.items[0].kind, SIM_OP_REPLACE);
    cr_assert_str_eq(w->after.items[0].arg, "done");
    const struct sim_screen *d = &m->screens[sim_model_screen(m, "done")];
    cr_assert_eq(d->after_ms, 1);
    cr_assert_eq(d->after.items[0].kind, SIM_OP_SET);
    cr_assert_eq(d->views[0].on_tap.items[0].kind, SIM_OP_REPLACE);
    const struct sim_screen *o = &m->screens[sim_model_screen(m, "other")];
    cr_assert_eq(o->after_ms, 0, "no after: no timed transition");
    cr_assert_eq(o->after.n, 0);
    sim_model_free(m);
    free(json);
}

Test(sim_model, timed_transition_errors)
{
    expect_error(AFTER("600"), "screens.main.after:", "must be {\"ms\": milliseconds");
    expect_error(AFTER("{'ms':600}"), "screens.main.after:", "the key \"do\" is required");
    expect_error(AFTER("{'do':[{'back':true}]}"),
                 "screens.main.after:", "the key \"ms\" is required");
    expect_error(AFTER("{'ms':600,'do':[{'back':true}],'every':2}"),
                 "screens.main.after:", "unknown key \"every\"");
    expect_error(AFTER("{'ms':0,'do':[{'back':true}]}"),
                 "screens.main.after.ms:", "whole number of milliseconds from 1 to 600000");
    expect_error(AFTER("{'ms':600001,'do':[{'back':true}]}"),
                 "screens.main.after.ms:", "from 1 to 600000");
    expect_error(AFTER("{'ms':-5,'do':[{'back':true}]}"), "screens.main.after.ms:");
    expect_error(AFTER("{'ms':1.5,'do':[{'back':true}]}"),
                 "screens.main.after.ms:", "whole number");
    expect_error(AFTER("{'ms':'500','do':[{'back':true}]}"), "screens.main.after.ms:");
    expect_error(AFTER("{'ms':1e999,'do':[{'back':true}]}"), "screens.main.after.ms:");
    expect_error(AFTER("{'ms':500,'do':[]}"), "screens.main.after.do:", "non-empty list");
    expect_error(AFTER("{'ms':500,'do':{'back':true}}"),
                 "screens.main.after.do:", "non-empty list");
    expect_error(AFTER("{'ms':500,'do':[{'replace':'gone'}]}"), "screens.main.after.do[0].replace",
                 "no screen \"gone\"");
    expect_error(AFTER("{'ms':500,'do':[{'go':'main'},{'jump':1}]}"), "screens.main.after.do[1]",
                 "unknown key \"jump\"");
    expect_error(AFTER("{'ms':500,'do':[{'replace':5}]}"), "screens.main.after.do[0].replace",
                 "must be a string");
    /* replace stays in the app: another app's screen is a go */
    expect_error("{'name':'t','apps':[{'package':'a.b','label':'A','start':'one'},"
                 "{'package':'c.d','label':'C','start':'two'}],'screens':{"
                 "'one':{'app':'a.b','views':[{'type':'button','on_tap':[{'replace':'two'}]}]},"
                 "'two':{'app':'c.d'}}}",
                 "screens.one.views[0].on_tap[0].replace",
                 "screen \"two\" belongs to another app (c.d)", "use go");
}
