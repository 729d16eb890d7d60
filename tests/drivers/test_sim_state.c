/*
 * test_sim_state.c - persisted sim phones (tl_driver_config.persist): what one session does, the
 * next one sees; fresh and reset start over; passwords never reach the state file; damaged and
 * outdated state files; named phones are independent.
 *
 * Every test points XDG_STATE_HOME at its own new directory under /tmp (Criterion runs each
 * test in its own process), so the user's real phones are never touched.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/ui.h"
#include "drivers/driver.h"

/* ---- the private state directory ------------------------------------------------------------ */

static char state_home[64];

static void fresh_state_home(void)
{
    snprintf(state_home, sizeof(state_home), "/tmp/tl-sim-state-XXXXXX");
    cr_assert_not_null(mkdtemp(state_home));
    cr_assert_eq(setenv("XDG_STATE_HOME", state_home, 1), 0);
    unsetenv("TAPLOOP_SIM_FORMAT");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_state_home(void)
{
    if (state_home[0])
        nftw(state_home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(sim_state, .fini = remove_state_home);

/* $XDG_STATE_HOME/taploop/sim/<name> */
static char *state_file(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/taploop/sim/%s", state_home, name);
    return path;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The whole file; *len gets its size. Freed by the caller. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void spill(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static bool contains_bytes(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

/* ---- one session ----------------------------------------------------------------------------- */

typedef struct phone {
    tl_driver *d;
    tl_observation obs;
    tl_ui *ui;
    tl_buf listing;
    tl_error err;
} phone;

static int ph_try_open(phone *p, const char *device, bool persist, bool fresh)
{
    memset(p, 0, sizeof(*p));
    tl_observation_init(&p->obs);
    tl_buf_init(&p->listing, 0);
    p->ui = tl_ui_new();
    cr_assert_not_null(p->ui);
    tl_driver_config cfg = {.device = device, .persist = persist, .fresh = fresh};
    return tl_driver_open(&p->d, "sim", &cfg, &p->err);
}

/* A persisted session on `device`, resuming the saved phone. */
static void ph_open(phone *p, const char *device)
{
    int rc = ph_try_open(p, device, true, false);
    cr_assert_eq(rc, TL_OK, "open %s: %s", device, p->err.msg);
}

static void ph_close(phone *p)
{
    tl_driver_close(p->d);
    p->d = NULL;
    tl_ui_free(p->ui);
    tl_observation_dispose(&p->obs);
    tl_buf_dispose(&p->listing);
}

static const tl_ui *ph_observe(phone *p)
{
    int rc = tl_driver_observe(p->d, TL_OBSERVE_TREE, &p->obs, &p->err);
    cr_assert_eq(rc, TL_OK, "observe: %s", p->err.msg);
    tl_ui_options uo = {.display_w = p->obs.display_w, .display_h = p->obs.display_h};
    rc = tl_ui_parse(p->ui, p->obs.tree.data, p->obs.tree.len, &uo, &p->err);
    cr_assert_eq(rc, TL_OK, "parse: %s", p->err.msg);
    tl_buf_clear(&p->listing);
    cr_assert_eq(tl_ui_listing(p->ui, &p->listing), TL_OK);
    if (!p->listing.data)
        tl_buf_puts(&p->listing, "");
    return p->ui;
}

static const tl_element *ph_find(phone *p, const char *label)
{
    ph_observe(p);
    const tl_element *el = tl_ui_elements(p->ui);
    for (size_t i = 0; i < tl_ui_count(p->ui); i++)
        if ((el[i].flags & TL_EL_TAPPABLE) &&
            (strcmp(el[i].text, label) == 0 || strcmp(el[i].desc, label) == 0 ||
             strcmp(el[i].hint, label) == 0))
            return &el[i];
    return NULL;
}

static const tl_element *ph_need(phone *p, const char *label)
{
    const tl_element *e = ph_find(p, label);
    cr_assert_not_null(e, "\"%s\" is not on the screen:\n%s", label, p->listing.data);
    return e;
}

static void ph_tap(phone *p, const char *label)
{
    const tl_element *e = ph_need(p, label);
    int rc = tl_driver_tap(p->d, e->tap_x, e->tap_y, &p->err);
    cr_assert_eq(rc, TL_OK, "tap %s: %s", label, p->err.msg);
}

static void ph_type(phone *p, const char *text)
{
    cr_assert_eq(tl_driver_type(p->d, text, false, &p->err), TL_OK, "type: %s", p->err.msg);
}

static void ph_key(phone *p, tl_key k)
{
    cr_assert_eq(tl_driver_press_key(p->d, k, &p->err), TL_OK, "key: %s", p->err.msg);
}

static void ph_start(phone *p, const char *package, const char *activity)
{
    cr_assert_eq(tl_driver_start_app(p->d, package, activity, &p->err), TL_OK, "start: %s",
                 p->err.msg);
}

static const char *ph_activity(phone *p)
{
    ph_observe(p);
    return tl_ui_get_info(p->ui)->activity;
}

static char *ph_listing(phone *p)
{
    ph_observe(p);
    char *s = strdup(p->listing.data);
    cr_assert_not_null(s);
    return s;
}

static bool dark_theme_on(phone *p)
{
    ph_start(p, "com.android.settings", ".DisplaySettings");
    return (ph_need(p, "Dark theme")->flags & TL_EL_CHECKED) != 0;
}

static void turn_dark_theme_on(phone *p)
{
    ph_start(p, "com.android.settings", ".DisplaySettings");
    ph_tap(p, "Dark theme");
    cr_assert(ph_need(p, "Dark theme")->flags & TL_EL_CHECKED);
}

/* ---- tests ---------------------------------------------------------------------------------- */

Test(sim_state, dark_theme_persists)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    cr_assert_not(dark_theme_on(&p));
    ph_tap(&p, "Dark theme");
    ph_close(&p);
    cr_assert(exists(state_file("sim.json")));

    ph_open(&p, "sim");
    /* the same screen as it was left, with the switch on */
    cr_assert_str_eq(ph_activity(&p), ".DisplaySettings");
    cr_assert(ph_need(&p, "Dark theme")->flags & TL_EL_CHECKED);
    ph_close(&p);
}

Test(sim_state, typed_text_focus_stack_and_scroll_persist)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    int rc = tl_driver_swipe(p.d, 540, 1800, 540, 1100, 300, &p.err);
    cr_assert_eq(rc, TL_OK);
    char *scrolled = ph_listing(&p);
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Contacts");
    ph_tap(&p, "Create contact");
    ph_tap(&p, "First name");
    ph_type(&p, "Persisted \xC3\xA9");
    ph_close(&p);

    ph_open(&p, "sim");
    cr_assert_str_eq(ph_activity(&p), ".activities.ContactEditorActivity");
    const tl_element *f = ph_need(&p, "First name");
    cr_assert_str_eq(f->text, "Persisted \xC3\xA9");
    cr_assert(f->flags & TL_EL_FOCUSED, "the focus is part of the phone's state");
    ph_type(&p, "!");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "Persisted \xC3\xA9!");
    /* the back stack survived: back twice leaves the keyboard, then the form */
    ph_key(&p, TL_KEY_BACK);
    ph_key(&p, TL_KEY_BACK);
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    /* and the Settings task kept its scroll */
    ph_start(&p, "com.android.settings", NULL);
    char *resumed = ph_listing(&p);
    cr_assert_str_eq(scrolled, resumed);
    free(scrolled);
    free(resumed);
    ph_close(&p);
}

Test(sim_state, contacts_list_persists)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Contacts");
    ph_tap(&p, "Create contact");
    ph_tap(&p, "First name");
    ph_type(&p, "Dora");
    ph_tap(&p, "Save");
    ph_close(&p);
    ph_open(&p, "sim");
    cr_assert_not_null(ph_find(&p, "Dora"), "%s", p.listing.data);
    ph_close(&p);
}

Test(sim_state, fresh_with_persist_starts_over)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    turn_dark_theme_on(&p);
    ph_close(&p);

    cr_assert_eq(ph_try_open(&p, "sim", true, true), TL_OK, "%s", p.err.msg);
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);
    /* and the fresh phone is what was saved */
    ph_open(&p, "sim");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);
}

Test(sim_state, reset_starts_over_and_is_saved)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    turn_dark_theme_on(&p);
    ph_close(&p);

    ph_open(&p, "sim");
    cr_assert(dark_theme_on(&p));
    cr_assert_eq(tl_driver_reset(p.d, &p.err), TL_OK, "%s", p.err.msg);
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);

    ph_open(&p, "sim");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);
}

Test(sim_state, not_persisting_writes_nothing)
{
    fresh_state_home();
    phone p;
    cr_assert_eq(ph_try_open(&p, "sim", false, false), TL_OK, "%s", p.err.msg);
    turn_dark_theme_on(&p);
    ph_close(&p);
    cr_assert_not(exists(state_file("sim.json")));
    ph_open(&p, "sim");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);
}

Test(sim_state, password_never_reaches_the_file)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    ph_tap(&p, "Email");
    ph_type(&p, "demo@example.com");
    ph_tap(&p, "Password");
    ph_type(&p, "s3cret-pw");
    ph_close(&p);

    size_t len = 0;
    char *saved = slurp(state_file("sim.json"), &len);
    cr_assert_not(contains_bytes(saved, len, "s3cret-pw"), "the password is in the state file");
    cr_assert_not(contains_bytes(saved, len, "s3cret"));
    cr_assert(contains_bytes(saved, len, "demo@example.com"), "plain fields are saved");
    /* what is saved for it: a digest and a length */
    cJSON *root = cJSON_ParseWithLength(saved, len);
    cr_assert_not_null(root);
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "fields"), "password");
    cr_assert(cJSON_IsObject(pw));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(pw, "value"));
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(pw, "sha256");
    cr_assert(cJSON_IsString(sha));
    cr_assert_eq(strlen(sha->valuestring), 64);
    const cJSON *chars = cJSON_GetObjectItemCaseSensitive(pw, "chars");
    cr_assert(cJSON_IsNumber(chars));
    cr_assert_eq(chars->valueint, 9);
    cJSON_Delete(root);
    free(saved);

    /* the next session shows it masked, and the raw tree has no trace of it either */
    ph_open(&p, "sim");
    const tl_element *e = ph_need(&p, "Password");
    cr_assert(e->flags & TL_EL_PASSWORD);
    cr_assert_str_eq(e->text, TL_UI_MASK);
    cr_assert_null(strstr(p.obs.tree.data, "s3cret"));
    /* it is not the right password: signing in fails */
    ph_tap(&p, "Sign in");
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity");
    cr_assert_not_null(ph_find(&p, "Wrong email or password"));
    ph_close(&p);

    /* nor is it written by a session that only looked */
    saved = slurp(state_file("sim.json"), &len);
    cr_assert_not(contains_bytes(saved, len, "s3cret"));
    free(saved);
}

Test(sim_state, sign_in_across_sessions_by_digest)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    ph_tap(&p, "Email");
    ph_type(&p, "demo@example.com");
    ph_tap(&p, "Password");
    ph_type(&p, "hunter2");
    ph_close(&p);

    /* "hunter2" is in the file only as the model variable, never as the field */
    size_t len = 0;
    char *saved = slurp(state_file("sim.json"), &len);
    cJSON *root = cJSON_ParseWithLength(saved, len);
    cr_assert_not_null(root);
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "fields"), "password");
    char *pw_text = cJSON_PrintUnformatted(pw);
    cr_assert_null(strstr(pw_text, "hunter2"), "%s", pw_text);
    free(pw_text);
    cJSON_Delete(root);
    free(saved);

    ph_open(&p, "sim");
    cr_assert_str_eq(ph_need(&p, "Password")->text, TL_UI_MASK);
    cr_assert_null(strstr(p.obs.tree.data, "hunter2"));
    ph_tap(&p, "Sign in");
    cr_assert_str_eq(ph_activity(&p), ".NotesActivity", "%s", p.listing.data);
    cr_assert_not_null(ph_find(&p, "Shopping list"));
    ph_close(&p);
}

Test(sim_state, restored_password_can_be_deleted)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    ph_tap(&p, "Password");
    ph_type(&p, "abc");
    ph_close(&p);
    ph_open(&p, "sim");
    /* its characters are unknown: delete starts the field over */
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "Password")->text, "");
    ph_close(&p);
}

Test(sim_state, damaged_state_file)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    ph_close(&p);
    const char *path = state_file("sim.json");
    cr_assert(exists(path));
    spill(path, "{\"version\": 1, \"model\": tru");

    cr_assert_eq(ph_try_open(&p, "sim", true, false), TL_EIO);
    cr_assert_null(p.d);
    cr_assert_eq(p.err.code, TL_EIO);
    cr_assert_not_null(strstr(p.err.msg, path), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "damaged"), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "taploop act reset"), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "--device sim"), "%s", p.err.msg);
    ph_close(&p);
    /* the failed open left the file as it was */
    char *text = slurp(path, NULL);
    cr_assert_str_eq(text, "{\"version\": 1, \"model\": tru");
    free(text);

    /* what `taploop act reset` does (fresh + persist + reset) repairs it */
    cr_assert_eq(ph_try_open(&p, "sim", true, true), TL_OK, "%s", p.err.msg);
    cr_assert_eq(tl_driver_reset(p.d, &p.err), TL_OK);
    ph_close(&p);
    ph_open(&p, "sim");
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    ph_close(&p);
}

Test(sim_state, damaged_structure_is_an_error_too)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    turn_dark_theme_on(&p);
    ph_close(&p);
    const char *path = state_file("sim.json");
    char *good = slurp(path, NULL);
    cJSON *root = cJSON_Parse(good);
    cr_assert_not_null(root);
    /* a well-formed file for this model whose tasks name a screen that does not exist */
    cJSON *tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    cJSON *stack = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tasks, 0), "stack");
    cJSON *screen = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(stack, 0), "screen");
    cr_assert(cJSON_SetValuestring(screen, "no_such_screen"));
    char *bad = cJSON_PrintUnformatted(root);
    spill(path, bad);
    cr_assert_eq(ph_try_open(&p, "sim", true, false), TL_EIO, "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "taploop act reset"), "%s", p.err.msg);
    ph_close(&p);
    free(bad);
    cJSON_Delete(root);
    free(good);
}

Test(sim_state, state_of_another_model_is_ignored)
{
    fresh_state_home();
    phone p;
    ph_open(&p, "sim");
    turn_dark_theme_on(&p);
    ph_close(&p);
    /* the same file, as if saved by another version of the demo model */
    const char *path = state_file("sim.json");
    char *good = slurp(path, NULL);
    cJSON *root = cJSON_Parse(good);
    cr_assert_not_null(root);
    cr_assert(
        cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(root, "model"),
                             "0000000000000000000000000000000000000000000000000000000000000000"));
    char *other = cJSON_PrintUnformatted(root);
    spill(path, other);
    ph_open(&p, "sim");
    cr_assert_str_eq(ph_activity(&p), ".Launcher", "a fresh start");
    cr_assert_not(dark_theme_on(&p));
    ph_close(&p);
    free(other);
    cJSON_Delete(root);
    free(good);
}

static const char model_v1[] =
    "{\"name\": \"m\", \"vars\": {\"on\": false},\n"
    " \"apps\": [{\"package\": \"com.example.m\", \"label\": \"Em\", \"start\": \"main\"}],\n"
    " \"screens\": {\"main\": {\"app\": \"com.example.m\", \"title\": \"Main\", \"views\": [\n"
    "   {\"type\": \"switch\", \"text\": \"Power\", \"checked\": \"on\"},\n"
    "   {\"type\": \"input\", \"field\": \"note\", \"hint\": \"Note\"}]}}}\n";

Test(sim_state, model_file_phones_persist_until_the_model_changes)
{
    fresh_state_home();
    char model[128];
    snprintf(model, sizeof(model), "%s/phone.json", state_home);
    spill(model, model_v1);

    phone p;
    ph_open(&p, model);
    ph_tap(&p, "Em");
    ph_tap(&p, "Power");
    ph_tap(&p, "Note");
    ph_type(&p, "kept");
    ph_close(&p);

    /* the state is named after the model's path */
    DIR *dir = opendir(state_file(""));
    cr_assert_not_null(dir);
    int found = 0;
    struct dirent *de;
    while ((de = readdir(dir)))
        found += strncmp(de->d_name, "model-", 6) == 0 &&
                 strcmp(de->d_name + strlen(de->d_name) - 5, ".json") == 0;
    closedir(dir);
    cr_assert_eq(found, 1);

    ph_open(&p, model);
    cr_assert(ph_need(&p, "Power")->flags & TL_EL_CHECKED);
    cr_assert_str_eq(ph_need(&p, "Note")->text, "kept");
    ph_close(&p);

    /* edit the model: the saved state belongs to the old text and is ignored */
    char *v2 = malloc(sizeof(model_v1) + 16);
    cr_assert_not_null(v2);
    snprintf(v2, sizeof(model_v1) + 16, "%s ", model_v1);
    spill(model, v2);
    free(v2);
    ph_open(&p, model);
    cr_assert_str_eq(tl_ui_get_info(ph_observe(&p))->package, "com.android.launcher3");
    ph_tap(&p, "Em");
    cr_assert_not(ph_need(&p, "Power")->flags & TL_EL_CHECKED);
    cr_assert_str_eq(ph_need(&p, "Note")->text, "");
    ph_close(&p);
}

Test(sim_state, named_phones_are_independent)
{
    fresh_state_home();
    phone alice, bob;
    ph_open(&alice, "sim:alice");
    cr_assert_str_eq(tl_driver_device(alice.d), "sim:alice");
    turn_dark_theme_on(&alice);
    /* two different phones can be open at once */
    ph_open(&bob, "sim:bob");
    cr_assert_not(dark_theme_on(&bob));
    ph_close(&bob);
    ph_close(&alice);
    cr_assert(exists(state_file("sim-alice.json")));
    cr_assert(exists(state_file("sim-bob.json")));

    ph_open(&alice, "sim:alice");
    cr_assert(dark_theme_on(&alice));
    ph_close(&alice);
    ph_open(&bob, "sim:bob");
    cr_assert_not(dark_theme_on(&bob));
    ph_close(&bob);
    phone def;
    ph_open(&def, "sim");
    cr_assert_not(dark_theme_on(&def));
    ph_close(&def);

    tl_device_list devs = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_devices("sim", NULL, &devs, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(devs.n, 3);
    cr_assert_str_eq(devs.items[0].id, "sim");
    cr_assert_str_eq(devs.items[1].id, "sim:alice");
    cr_assert_str_eq(devs.items[2].id, "sim:bob");
    for (size_t i = 0; i < devs.n; i++) {
        cr_assert(devs.items[i].ready);
        cr_assert_str_eq(devs.items[i].state, "ready");
        cr_assert_str_eq(devs.items[i].type, "sim");
    }
    tl_device_list_dispose(&devs);
}

Test(sim_state, invalid_names_touch_nothing)
{
    fresh_state_home();
    const char *bad[] = {"sim:", "sim:a/b", "sim:../../etc"};
    for (size_t i = 0; i < 3; i++) {
        phone p;
        cr_assert_eq(ph_try_open(&p, bad[i], true, false), TL_EUSAGE, "%s", bad[i]);
        cr_assert_null(p.d);
        ph_close(&p);
    }
    cr_assert_not(exists(state_file("")), "no state directory was made");
}

static const char pin_model[] =
    "{\"name\": \"pin\", \"vars\": {\"missing\": false},\n"
    " \"apps\": [{\"package\": \"com.example.pin\", \"label\": \"Pin\", \"start\": \"lock\"}],\n"
    " \"screens\": {\n"
    "  \"lock\": {\"app\": \"com.example.pin\", \"title\": \"Locked\", \"views\": [\n"
    "    {\"type\": \"input\", \"field\": \"pin\", \"hint\": \"PIN\", \"password\": true},\n"
    "    {\"type\": \"text\", \"text\": \"Enter your PIN\", \"visible_if\": \"missing\"},\n"
    "    {\"type\": \"button\", \"text\": \"Unlock\", \"on_tap\": [\n"
    "      {\"if\": {\"empty\": \"{pin}\"}, \"then\": [{\"set\": {\"missing\": true}}],\n"
    "       \"else\": [{\"set\": {\"missing\": false}}, {\"go\": \"open\"}]}]},\n"
    "    {\"type\": \"button\", \"text\": \"Check\", \"on_tap\": [\n"
    "      {\"if\": {\"not_empty\": \"{pin}\"}, \"then\": [{\"set\": {\"missing\": false}}],\n"
    "       \"else\": [{\"set\": {\"missing\": true}}]}]}]},\n"
    "  \"open\": {\"app\": \"com.example.pin\", \"title\": \"Unlocked\"}}}\n";

Test(sim_state, emptiness_of_a_restored_password)
{
    /* `taploop act` types in one session and taps in the next: a password restored as a digest
     * is not empty */
    fresh_state_home();
    char model[128];
    snprintf(model, sizeof(model), "%s/pin.json", state_home);
    spill(model, pin_model);
    phone p;
    ph_open(&p, model);
    ph_tap(&p, "Pin");
    ph_tap(&p, "Unlock");
    cr_assert_not_null(ph_find(&p, "Enter your PIN"), "empty: the error shows");
    ph_tap(&p, "PIN");
    ph_type(&p, "1234");
    ph_close(&p);

    ph_open(&p, model);
    ph_tap(&p, "Check");
    cr_assert_null(ph_find(&p, "Enter your PIN"), "not_empty holds for a restored password");
    ph_tap(&p, "Unlock");
    cr_assert_not_null(ph_find(&p, "Unlocked"), "%s", p.listing.data);
    ph_close(&p);

    /* and a restored empty one is empty */
    ph_open(&p, model);
    cr_assert_eq(tl_driver_reset(p.d, &p.err), TL_OK);
    ph_close(&p);
    ph_open(&p, model);
    ph_tap(&p, "Pin");
    ph_close(&p);
    ph_open(&p, model);
    ph_tap(&p, "Check");
    cr_assert_not_null(ph_find(&p, "Enter your PIN"));
    ph_close(&p);
}
