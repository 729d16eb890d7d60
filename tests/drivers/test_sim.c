/*
 * test_sim.c - the sim phone through the public driver API, acting like the agent does: observe
 * the tree, parse it into the element index (agent/ui.h), find an element by what it says, tap
 * its tap point. Covers the demo phone (launcher, Settings, Contacts, Notes, keys, navigation,
 * recents), app start/stop, the uiautomator XML form, device names and a custom model.
 *
 * Every phone here is fresh and not persisted (tests/drivers/test_sim_state.c covers that).
 */
#include <criterion/criterion.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/ui.h"
#include "drivers/driver.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* One open phone with its last observation and index. */
typedef struct phone {
    tl_driver *d;
    tl_observation obs;
    tl_ui *ui;
    tl_buf listing; /* listing of the last observation */
    tl_error err;
} phone;

static void ph_open_cfg(phone *p, const tl_driver_config *cfg)
{
    memset(p, 0, sizeof(*p));
    tl_observation_init(&p->obs);
    tl_buf_init(&p->listing, 0);
    p->ui = tl_ui_new();
    cr_assert_not_null(p->ui);
    int rc = tl_driver_open(&p->d, "sim", cfg, &p->err);
    cr_assert_eq(rc, TL_OK, "open %s: %d %s", cfg->device ? cfg->device : "(default)", rc,
                 p->err.msg);
}

static void ph_open(phone *p, const char *device)
{
    tl_driver_config cfg = {.device = device, .fresh = true};
    ph_open_cfg(p, &cfg);
}

static void ph_close(phone *p)
{
    tl_driver_close(p->d);
    p->d = NULL;
    tl_ui_free(p->ui);
    tl_observation_dispose(&p->obs);
    tl_buf_dispose(&p->listing);
}

/* Observe the tree and index it. */
static const tl_ui *ph_observe(phone *p)
{
    int rc = tl_driver_observe(p->d, TL_OBSERVE_TREE, &p->obs, &p->err);
    cr_assert_eq(rc, TL_OK, "observe: %s", p->err.msg);
    cr_assert_gt(p->obs.tree.len, 0);
    tl_ui_options uo = {.display_w = p->obs.display_w, .display_h = p->obs.display_h};
    rc = tl_ui_parse(p->ui, p->obs.tree.data, p->obs.tree.len, &uo, &p->err);
    cr_assert_eq(rc, TL_OK, "parse: %s\n%s", p->err.msg, p->obs.tree.data);
    tl_buf_clear(&p->listing);
    cr_assert_eq(tl_ui_listing(p->ui, &p->listing), TL_OK);
    if (!p->listing.data)
        tl_buf_puts(&p->listing, "");
    return p->ui;
}

/* The first element with a visible area whose text, content description or hint is `label`. */
static const tl_element *find_in(const tl_ui *ui, const char *label)
{
    const tl_element *el = tl_ui_elements(ui);
    for (size_t i = 0; i < tl_ui_count(ui); i++) {
        const tl_element *e = &el[i];
        if (!(e->flags & TL_EL_TAPPABLE))
            continue;
        if (strcmp(e->text, label) == 0 || strcmp(e->desc, label) == 0 ||
            strcmp(e->hint, label) == 0)
            return e;
    }
    return NULL;
}

/* Observe, then find. NULL when `label` is not on screen. */
static const tl_element *ph_find(phone *p, const char *label)
{
    ph_observe(p);
    return find_in(p->ui, label);
}

/* Observe, find (the test fails if absent) and return the element. */
static const tl_element *ph_need(phone *p, const char *label)
{
    const tl_element *e = ph_find(p, label);
    cr_assert_not_null(e, "\"%s\" is not on the screen:\n%s", label, p->listing.data);
    return e;
}

/* Is `label` on the screen and in the prompt listing (its own line or absorbed into one)? */
static bool ph_shows(phone *p, const char *label)
{
    const tl_element *e = ph_find(p, label);
    if (!e)
        return false;
    if (e->flags & TL_EL_ABSORBED)
        e = &tl_ui_elements(p->ui)[e->label_owner];
    return (e->flags & TL_EL_LISTED) != 0;
}

/* Tap an element the way the agent does: at its tap point. */
static void ph_tap_el(phone *p, const tl_element *e)
{
    cr_assert(e->flags & TL_EL_TAPPABLE);
    int rc = tl_driver_tap(p->d, e->tap_x, e->tap_y, &p->err);
    cr_assert_eq(rc, TL_OK, "tap (%d,%d): %s", e->tap_x, e->tap_y, p->err.msg);
}

static void ph_tap(phone *p, const char *label)
{
    ph_tap_el(p, ph_need(p, label));
}

static void ph_type(phone *p, const char *text)
{
    int rc = tl_driver_type(p->d, text, false, &p->err);
    cr_assert_eq(rc, TL_OK, "type \"%s\": %s", text, p->err.msg);
}

static void ph_key(phone *p, tl_key k)
{
    int rc = tl_driver_press_key(p->d, k, &p->err);
    cr_assert_eq(rc, TL_OK, "key %s: %s", tl_key_name(k), p->err.msg);
}

static void ph_start(phone *p, const char *package, const char *activity)
{
    int rc = tl_driver_start_app(p->d, package, activity, &p->err);
    cr_assert_eq(rc, TL_OK, "start %s %s: %s", package, activity ? activity : "", p->err.msg);
}

/* Swipe the content upward (scrolls down) by dy pixels from the middle of the screen. */
static void ph_scroll(phone *p, int dy)
{
    int rc = tl_driver_swipe(p->d, 540, 1500 + dy / 2, 540, 1500 - dy / 2, 300, &p->err);
    cr_assert_eq(rc, TL_OK, "swipe: %s", p->err.msg);
}

static const tl_ui_info *ph_info(phone *p)
{
    ph_observe(p);
    return tl_ui_get_info(p->ui);
}

static const char *ph_activity(phone *p)
{
    return ph_info(p)->activity;
}

/* A copy of the current listing. Freed by the caller. */
static char *ph_listing(phone *p)
{
    ph_observe(p);
    char *s = strdup(p->listing.data);
    cr_assert_not_null(s);
    return s;
}

/* The focused element of the last observation, or NULL. */
static const tl_element *focused_el(phone *p)
{
    ph_observe(p);
    const tl_element *el = tl_ui_elements(p->ui);
    for (size_t i = 0; i < tl_ui_count(p->ui); i++)
        if (el[i].flags & TL_EL_FOCUSED)
            return &el[i];
    return NULL;
}

/* Number of elements with this resource id. */
static size_t count_id(phone *p, const char *id)
{
    ph_observe(p);
    size_t n = 0;
    const tl_element *el = tl_ui_elements(p->ui);
    for (size_t i = 0; i < tl_ui_count(p->ui); i++)
        n += strcmp(el[i].id, id) == 0;
    return n;
}

/* The Create contact form from the launcher. */
static void open_contact_form(phone *p)
{
    ph_key(p, TL_KEY_HOME);
    ph_tap(p, "Contacts");
    ph_tap(p, "Create contact");
    ph_need(p, "First name"); /* by what it shows: the XML form has no activity name */
}

/* The screenshot decoded to RGB. */
typedef struct image {
    int w, h;
    uint8_t *px;
} image;

static image ph_screenshot(phone *p)
{
    int rc = tl_driver_observe(p->d, TL_OBSERVE_SCREENSHOT, &p->obs, &p->err);
    cr_assert_eq(rc, TL_OK, "screenshot: %s", p->err.msg);
    cr_assert_str_eq(p->obs.screenshot_type, "image/png");
    png_image pi;
    memset(&pi, 0, sizeof(pi));
    pi.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_memory(&pi, p->obs.screenshot.data, p->obs.screenshot.len),
              "not a PNG: %s", pi.message);
    pi.format = PNG_FORMAT_RGB;
    image im = {(int)pi.width, (int)pi.height, malloc(PNG_IMAGE_SIZE(pi))};
    cr_assert_not_null(im.px);
    cr_assert(png_image_finish_read(&pi, NULL, im.px, 0, NULL), "decode: %s", pi.message);
    return im;
}

/* Luma (0..255) of a pixel. */
static int luma(const image *im, int x, int y)
{
    const uint8_t *q = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    return (299 * q[0] + 587 * q[1] + 114 * q[2]) / 1000;
}

/* Temporary model files of this test, removed by the suite's fini even when a test fails. */
static char temp_paths[4][32];
static size_t ntemp;

static void remove_temp_files(void)
{
    for (size_t i = 0; i < ntemp; i++)
        unlink(temp_paths[i]);
}

/* The tree format comes from the environment: start every test from the default. */
static void default_format(void)
{
    unsetenv("TAPLOOP_SIM_FORMAT");
}

TestSuite(sim, .init = default_format, .fini = remove_temp_files);

/* Write text to a new temporary file; returns its path (owned by the suite). */
static const char *temp_file(const char *text)
{
    cr_assert_lt(ntemp, 4);
    char *path = temp_paths[ntemp];
    snprintf(path, sizeof(temp_paths[0]), "/tmp/tl-sim-model-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    ntemp++;
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* ---- launcher and Settings ------------------------------------------------------------------ */

Test(sim, starts_on_the_launcher)
{
    phone p;
    ph_open(&p, "sim");
    cr_assert_str_eq(tl_driver_name(p.d), "sim");
    cr_assert_str_eq(tl_driver_device(p.d), "sim");
    const tl_ui_info *in = ph_info(&p);
    cr_assert_eq(in->format, TL_UI_FORMAT_PORTAL);
    cr_assert_str_eq(in->package, "com.android.launcher3");
    cr_assert_eq(in->screen_w, 1080);
    cr_assert_eq(in->screen_h, 2400);
    cr_assert_float_eq(in->density, 2.625, 1e-9);
    cr_assert_not(in->keyboard_visible);
    cr_assert_eq(p.obs.display_w, 1080);
    cr_assert_eq(p.obs.display_h, 2400);
    const char *apps[] = {"Settings", "Contacts", "Notes"};
    for (size_t i = 0; i < 3; i++) {
        const tl_element *e = ph_need(&p, apps[i]);
        cr_assert(e->flags & TL_EL_LISTED, "%s is not listed", apps[i]);
        cr_assert(e->flags & TL_EL_CLICKABLE);
    }
    cr_assert_eq(tl_ui_listed_count(p.ui), 3, "%s", p.listing.data);
    ph_close(&p);
}

Test(sim, default_device_is_the_demo_phone)
{
    phone p;
    tl_driver_config cfg = {.fresh = true};
    ph_open_cfg(&p, &cfg);
    cr_assert_str_eq(tl_driver_device(p.d), "sim");
    cr_assert(ph_shows(&p, "Notes"));
    ph_close(&p);
}

Test(sim, tapping_settings_opens_settings)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    const tl_ui_info *in = ph_info(&p);
    cr_assert_str_eq(in->package, "com.android.settings");
    cr_assert_str_eq(in->app, "Settings");
    cr_assert_str_eq(in->activity, ".Settings");
    cr_assert(ph_shows(&p, "Network & internet"));
    cr_assert_null(ph_find(&p, "Navigate up"), "the root screen has no up button");
    ph_close(&p);
}

Test(sim, display_is_below_the_fold_until_scrolled)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    cr_assert_not(ph_shows(&p, "Display"));
    cr_assert_null(strstr(p.listing.data, "\"Display\""), "%s", p.listing.data);
    ph_scroll(&p, 600);
    ph_scroll(&p, 600);
    cr_assert(ph_shows(&p, "Display"), "%s", p.listing.data);
    cr_assert_not(ph_shows(&p, "Network & internet"), "scrolled off the top");
    ph_tap(&p, "Display");
    cr_assert_str_eq(ph_activity(&p), ".DisplaySettings");
    const tl_element *sw = ph_need(&p, "Dark theme");
    cr_assert_str_eq(tl_ui_short_class(sw->cls), "Switch");
    cr_assert(sw->flags & TL_EL_CHECKABLE);
    cr_assert_not(sw->flags & TL_EL_CHECKED);
    cr_assert_not_null(strstr(p.listing.data, "Switch \"Dark theme\" checked=false"), "%s",
                       p.listing.data);
    ph_close(&p);
}

Test(sim, scrolling_is_clamped_at_both_ends)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    char *top = ph_listing(&p);
    for (int i = 0; i < 4; i++)
        ph_scroll(&p, 900);
    char *end = ph_listing(&p);
    cr_assert_str_neq(top, end);
    ph_scroll(&p, 900);
    char *end2 = ph_listing(&p);
    cr_assert_str_eq(end, end2, "scrolling past the end moved the content");
    /* at the end, the last row ends where the list ends */
    const tl_element *about = ph_need(&p, "About phone");
    const tl_element *el = tl_ui_elements(p.ui);
    const tl_element *row = &el[about->parent];
    const tl_element *list = &el[row->parent];
    cr_assert(list->flags & TL_EL_SCROLLABLE);
    cr_assert_eq(row->bounds.bottom, list->bounds.bottom);
    /* and back up: clamped at the top, the same screen as before */
    for (int i = 0; i < 6; i++)
        ph_scroll(&p, -900);
    char *back = ph_listing(&p);
    cr_assert_str_eq(top, back);
    free(top);
    free(end);
    free(end2);
    free(back);
    ph_close(&p);
}

Test(sim, short_or_sideways_swipes_do_not_scroll)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    char *before = ph_listing(&p);
    cr_assert_eq(tl_driver_swipe(p.d, 540, 1500, 540, 1495, 100, &p.err), TL_OK);
    cr_assert_eq(tl_driver_swipe(p.d, 1000, 1500, 100, 1400, 100, &p.err), TL_OK);
    /* a swipe starting in the app bar is not in the list */
    cr_assert_eq(tl_driver_swipe(p.d, 540, 150, 540, 100, 100, &p.err), TL_OK);
    char *after = ph_listing(&p);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    ph_close(&p);
}

Test(sim, dark_theme_switch_and_screenshot)
{
    phone p;
    ph_open(&p, "sim");
    ph_start(&p, "com.android.settings", ".DisplaySettings");
    image light = ph_screenshot(&p);
    cr_assert_eq(light.w, 1080);
    cr_assert_eq(light.h, 2400);
    /* an empty part of the content area, below the last row */
    cr_assert_gt(luma(&light, 8, 2100), 200, "light background expected");
    ph_tap(&p, "Dark theme");
    const tl_element *sw = ph_need(&p, "Dark theme");
    cr_assert(sw->flags & TL_EL_CHECKED);
    cr_assert_not_null(strstr(p.listing.data, "Switch \"Dark theme\" checked=true"));
    image dark = ph_screenshot(&p);
    cr_assert_lt(luma(&dark, 8, 2100), 60, "dark background expected");
    /* other switches are untouched */
    cr_assert(ph_need(&p, "Adaptive brightness")->flags & TL_EL_CHECKED);
    cr_assert_not(ph_need(&p, "Auto-rotate screen")->flags & TL_EL_CHECKED);
    /* the theme is the phone's: the launcher is dark too */
    ph_key(&p, TL_KEY_HOME);
    image home = ph_screenshot(&p);
    cr_assert_lt(luma(&home, 8, 2100), 60);
    free(light.px);
    free(dark.px);
    free(home.px);
    ph_close(&p);
}

Test(sim, about_phone_shows_android_version)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    ph_scroll(&p, 1200);
    ph_tap(&p, "About phone");
    cr_assert_str_eq(ph_activity(&p), ".DeviceInfoSettings");
    const tl_element *label = ph_need(&p, "Android version");
    const tl_element *value = ph_need(&p, "14");
    cr_assert_eq(label->parent, value->parent, "the version is the summary of its row");
    cr_assert_lt(label->bounds.top, value->bounds.top);
    cr_assert_str_eq(tl_ui_elements(p.ui)[label->parent].id,
                     "com.android.settings:id/android_version");
    ph_close(&p);
}

Test(sim, navigate_up_returns_to_the_scrolled_list)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    ph_scroll(&p, 1200);
    char *scrolled = ph_listing(&p);
    ph_tap(&p, "Display");
    ph_tap(&p, "Navigate up");
    char *back = ph_listing(&p);
    cr_assert_str_eq(scrolled, back);
    free(scrolled);
    free(back);
    /* back from the task's root screen goes home */
    ph_key(&p, TL_KEY_BACK);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    ph_close(&p);
}

/* ---- Contacts ------------------------------------------------------------------------------- */

Test(sim, create_contact)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Contacts");
    cr_assert_eq(count_id(&p, "com.android.contacts:id/contact"), 2);
    cr_assert(ph_shows(&p, "Alice Martin"));
    const tl_element *fab = ph_need(&p, "Create contact");
    cr_assert_str_eq(fab->desc, "Create contact", "found by its content description");
    cr_assert_str_eq(fab->text, "");
    cr_assert_str_eq(tl_ui_short_class(fab->cls), "ImageButton");
    ph_tap_el(&p, fab);
    cr_assert_str_eq(ph_activity(&p), ".activities.ContactEditorActivity");
    const char *hints[] = {"First name", "Last name", "Phone"};
    for (size_t i = 0; i < 3; i++) {
        const tl_element *e = ph_need(&p, hints[i]);
        cr_assert(e->flags & TL_EL_EDITABLE);
        cr_assert_str_eq(e->text, "");
    }
    ph_tap(&p, "First name");
    ph_type(&p, "Carol");
    ph_tap(&p, "Last name");
    ph_type(&p, "Diaz");
    ph_tap(&p, "Phone");
    ph_type(&p, "+1 650 555 0199");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "Carol");
    ph_tap(&p, "Save");
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    cr_assert(ph_shows(&p, "Carol Diaz"), "%s", p.listing.data);
    cr_assert(ph_shows(&p, "+1 650 555 0199"));
    cr_assert_eq(count_id(&p, "com.android.contacts:id/contact"), 3);
    /* the form was cleared for the next contact */
    ph_tap(&p, "Create contact");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    ph_close(&p);
}

Test(sim, contact_with_only_a_phone_number)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "Phone");
    ph_type(&p, "555");
    ph_tap(&p, "Save");
    cr_assert_eq(count_id(&p, "com.android.contacts:id/contact"), 3);
    /* the name template "{first_name} {last_name}" is trimmed to "" */
    const tl_element *phone_el = ph_need(&p, "555");
    cr_assert_not_null(phone_el);
    ph_close(&p);
}

Test(sim, save_empty_contact_shows_error)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    cr_assert_not(ph_shows(&p, "Enter a name or a phone number"));
    ph_tap(&p, "Save");
    cr_assert_str_eq(ph_activity(&p), ".activities.ContactEditorActivity");
    cr_assert(ph_shows(&p, "Enter a name or a phone number"));
    ph_key(&p, TL_KEY_BACK);
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    cr_assert_eq(count_id(&p, "com.android.contacts:id/contact"), 2);
    /* opening the form again clears the error */
    ph_tap(&p, "Create contact");
    cr_assert_not(ph_shows(&p, "Enter a name or a phone number"));
    ph_close(&p);
}

Test(sim, typing_without_focus_is_rejected)
{
    phone p;
    ph_open(&p, "sim");
    cr_assert_eq(tl_driver_type(p.d, "x", false, &p.err), TL_EREJECTED);
    cr_assert_eq(p.err.code, TL_EREJECTED);
    cr_assert_not_null(strstr(p.err.msg, "focus"), "%s", p.err.msg);
    open_contact_form(&p);
    cr_assert_eq(tl_driver_type(p.d, "x", false, &p.err), TL_EREJECTED);
    /* nothing landed anywhere */
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    ph_close(&p);
}

Test(sim, type_appends_or_clears)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_type(&p, "Ann");
    ph_type(&p, "a");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "Anna");
    cr_assert_eq(tl_driver_type(p.d, "Bea", true, &p.err), TL_OK);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "Bea");
    cr_assert_eq(tl_driver_type(p.d, NULL, true, &p.err), TL_OK, "NULL types nothing");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    cr_assert_eq(tl_driver_type(p.d, "\xC3\x28", false, &p.err), TL_EUSAGE, "invalid UTF-8");
    ph_close(&p);
}

/* ---- Notes ---------------------------------------------------------------------------------- */

static void notes_sign_in(phone *p, const char *email, const char *password)
{
    ph_tap(p, "Email");
    ph_type(p, email);
    ph_tap(p, "Password");
    ph_type(p, password);
    ph_tap(p, "Sign in");
}

Test(sim, notes_wrong_password)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity");
    cr_assert_not(ph_shows(&p, "Wrong email or password"));
    notes_sign_in(&p, "demo@example.com", "hunter3");
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity");
    cr_assert(ph_shows(&p, "Wrong email or password"));
    /* the password was cleared, the email kept */
    cr_assert_str_eq(ph_need(&p, "Password")->text, "");
    cr_assert_str_eq(ph_need(&p, "Email")->text, "demo@example.com");
    /* right password, wrong email */
    ph_tap(&p, "Email");
    cr_assert_eq(tl_driver_type(p.d, "eve@example.com", true, &p.err), TL_OK);
    ph_tap(&p, "Password");
    ph_type(&p, "hunter2");
    ph_tap(&p, "Sign in");
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity");
    cr_assert(ph_shows(&p, "Wrong email or password"));
    ph_close(&p);
}

Test(sim, notes_sign_in_lists_notes)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    notes_sign_in(&p, "demo@example.com", "hunter2");
    const tl_ui_info *in = ph_info(&p);
    cr_assert_str_eq(in->activity, ".NotesActivity");
    cr_assert_str_eq(in->package, "com.example.notes");
    cr_assert(ph_shows(&p, "My notes"));
    cr_assert(ph_shows(&p, "Signed in as demo@example.com"));
    cr_assert(ph_shows(&p, "Shopping list"));
    cr_assert(ph_shows(&p, "Ideas"));
    cr_assert(ph_shows(&p, "Milk, eggs, bread"));
    cr_assert_not(ph_shows(&p, "Wrong email or password"));
    /* sign out returns to the login screen with the password field empty */
    ph_tap(&p, "Sign out");
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity");
    cr_assert_str_eq(ph_need(&p, "Password")->text, "");
    ph_close(&p);
}

Test(sim, password_is_masked_in_the_index)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    ph_tap(&p, "Password");
    ph_type(&p, "hunter2");
    const tl_element *pw = ph_need(&p, "Password");
    /* the raw tree carries it, as a real device's does */
    cr_assert_not_null(strstr(p.obs.tree.data, "hunter2"));
    cr_assert(pw->flags & TL_EL_PASSWORD);
    cr_assert(pw->flags & TL_EL_FOCUSED);
    cr_assert_str_eq(pw->text, TL_UI_MASK);
    cr_assert_null(strstr(p.listing.data, "hunter2"), "%s", p.listing.data);
    cr_assert_not_null(strstr(p.listing.data, "password"));
    const tl_ui_info *in = tl_ui_get_info(p.ui);
    cr_assert_str_eq(in->focused_text, TL_UI_MASK);
    tl_buf json;
    tl_buf_init(&json, 0);
    cr_assert_eq(tl_ui_to_json(p.ui, &json), TL_OK);
    cr_assert_null(strstr(json.data, "hunter2"));
    tl_buf_dispose(&json);
    /* the email field is not a password field */
    cr_assert_not(ph_need(&p, "Email")->flags & TL_EL_PASSWORD);
    ph_close(&p);
}

/* ---- keys ----------------------------------------------------------------------------------- */

Test(sim, back_hides_the_keyboard_first)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    const tl_element *f = focused_el(&p);
    cr_assert_not_null(f);
    cr_assert_str_eq(f->hint, "First name");
    cr_assert(tl_ui_get_info(p.ui)->keyboard_visible);
    ph_key(&p, TL_KEY_BACK);
    cr_assert_null(focused_el(&p), "back must drop the focus");
    cr_assert_not(tl_ui_get_info(p.ui)->keyboard_visible);
    cr_assert_str_eq(ph_activity(&p), ".activities.ContactEditorActivity");
    ph_key(&p, TL_KEY_BACK);
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    ph_close(&p);
}

Test(sim, home_then_start_app_resumes_where_it_was)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Settings");
    ph_scroll(&p, 700);
    char *before = ph_listing(&p);
    ph_key(&p, TL_KEY_HOME);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    ph_start(&p, "com.android.settings", NULL);
    char *after = ph_listing(&p);
    cr_assert_str_eq(before, after, "same screen and scroll");
    /* also a deeper screen of the task */
    ph_scroll(&p, 700);
    ph_tap(&p, "Display");
    ph_key(&p, TL_KEY_HOME);
    ph_start(&p, "com.android.settings", NULL);
    cr_assert_str_eq(ph_activity(&p), ".DisplaySettings");
    /* tapping the launcher icon resumes it too */
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Settings");
    cr_assert_str_eq(ph_activity(&p), ".DisplaySettings");
    free(before);
    free(after);
    ph_close(&p);
}

Test(sim, recents_lists_resumes_and_clears)
{
    phone p;
    ph_open(&p, "sim");
    ph_key(&p, TL_KEY_RECENT);
    cr_assert(ph_shows(&p, "Recent apps"));
    cr_assert(ph_shows(&p, "No recent items"));
    ph_key(&p, TL_KEY_BACK);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");

    ph_tap(&p, "Settings");
    ph_scroll(&p, 700);
    char *settings = ph_listing(&p);
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Contacts");
    ph_key(&p, TL_KEY_RECENT);
    cr_assert_str_eq(ph_activity(&p), ".RecentsActivity");
    const tl_element *c = ph_need(&p, "Contacts");
    const tl_element *s = ph_need(&p, "Settings");
    cr_assert(c->flags & TL_EL_CLICKABLE);
    cr_assert_lt(c->bounds.top, s->bounds.top, "most recent first");
    cr_assert(ph_shows(&p, "Clear all"));
    ph_tap(&p, "Settings");
    char *resumed = ph_listing(&p);
    cr_assert_str_eq(settings, resumed);
    /* recents again: Settings is now the most recent */
    ph_key(&p, TL_KEY_RECENT);
    cr_assert_lt(ph_need(&p, "Settings")->bounds.top, ph_need(&p, "Contacts")->bounds.top);
    /* the recents key toggles back to the app */
    ph_key(&p, TL_KEY_RECENT);
    cr_assert_str_eq(ph_activity(&p), ".Settings");
    ph_key(&p, TL_KEY_RECENT);
    ph_tap(&p, "Clear all");
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    ph_key(&p, TL_KEY_RECENT);
    cr_assert(ph_shows(&p, "No recent items"));
    cr_assert_null(ph_find(&p, "Clear all"));
    /* the tasks are gone: Settings starts over at its top */
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Settings");
    cr_assert(ph_shows(&p, "Network & internet"));
    free(settings);
    free(resumed);
    ph_close(&p);
}

Test(sim, tab_moves_focus_to_the_next_field)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_key(&p, TL_KEY_TAB);
    cr_assert_str_eq(focused_el(&p)->hint, "Last name");
    ph_type(&p, "Lee");
    cr_assert_str_eq(ph_need(&p, "Last name")->text, "Lee");
    ph_key(&p, TL_KEY_TAB);
    cr_assert_str_eq(focused_el(&p)->hint, "Phone");
    /* with no focus, tab focuses the first field */
    ph_key(&p, TL_KEY_BACK);
    cr_assert_null(focused_el(&p));
    ph_key(&p, TL_KEY_TAB);
    cr_assert_str_eq(focused_el(&p)->hint, "First name");
    ph_close(&p);
}

Test(sim, delete_removes_the_last_character)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_type(&p, "h\xC3\xA9llo\xE2\x82\xAC"); /* héllo€ */
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "h\xC3\xA9llo");
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "h\xC3\xA9ll"); /* héll */
    ph_key(&p, TL_KEY_DELETE);
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "h\xC3\xA9");
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "h");
    ph_key(&p, TL_KEY_DELETE);
    ph_key(&p, TL_KEY_DELETE); /* on an empty field: nothing */
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    /* forward delete: the caret is at the end, nothing to delete */
    ph_type(&p, "ab");
    ph_key(&p, TL_KEY_FORWARD_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "ab");
    /* without focus, delete does nothing */
    ph_key(&p, TL_KEY_BACK);
    ph_key(&p, TL_KEY_DELETE);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "ab");
    ph_close(&p);
}

Test(sim, enter_moves_on_then_drops_focus_in_the_last_field)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_key(&p, TL_KEY_ENTER);
    cr_assert_str_eq(focused_el(&p)->hint, "Last name");
    ph_tap(&p, "Phone");
    ph_key(&p, TL_KEY_ENTER);
    cr_assert_null(focused_el(&p), "enter in the last field must remove the focus");
    cr_assert_not(tl_ui_get_info(p.ui)->keyboard_visible);
    cr_assert_str_eq(ph_activity(&p), ".activities.ContactEditorActivity");
    /* enter with no focus does nothing */
    ph_key(&p, TL_KEY_ENTER);
    cr_assert_null(focused_el(&p));
    /* the same on the Notes login: Password is its last field */
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Notes");
    ph_tap(&p, "Password");
    ph_key(&p, TL_KEY_ENTER);
    cr_assert_null(focused_el(&p));
    ph_close(&p);
}

/* ---- apps ----------------------------------------------------------------------------------- */

Test(sim, start_unknown_package)
{
    phone p;
    ph_open(&p, "sim");
    int rc = tl_driver_start_app(p.d, "com.example.nope", NULL, &p.err);
    cr_assert_eq(rc, TL_EREJECTED);
    cr_assert_not_null(strstr(p.err.msg, "com.example.nope"), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "com.android.settings"), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "com.android.contacts"), "%s", p.err.msg);
    cr_assert_not_null(strstr(p.err.msg, "com.example.notes"), "%s", p.err.msg);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    cr_assert_eq(tl_driver_start_app(p.d, "", NULL, &p.err), TL_EUSAGE);
    cr_assert_eq(tl_driver_start_app(p.d, NULL, NULL, &p.err), TL_EUSAGE);
    ph_close(&p);
}

Test(sim, start_app_with_activity)
{
    phone p;
    ph_open(&p, "sim");
    ph_start(&p, "com.android.settings", ".DisplaySettings");
    cr_assert_str_eq(ph_activity(&p), ".DisplaySettings");
    cr_assert(ph_shows(&p, "Dark theme"));
    /* back goes to where the task was before (a fresh task has only Display) */
    ph_key(&p, TL_KEY_HOME);
    const char *forms[] = {"DeviceInfoSettings", "com.android.settings.DeviceInfoSettings",
                           "com.android.settings/.DeviceInfoSettings",
                           "com.android.settings/com.android.settings.DeviceInfoSettings"};
    for (size_t i = 0; i < 4; i++) {
        ph_key(&p, TL_KEY_HOME);
        ph_start(&p, "com.android.settings", forms[i]);
        cr_assert_str_eq(ph_activity(&p), ".DeviceInfoSettings", "%s", forms[i]);
    }
    /* an empty activity is no activity */
    ph_start(&p, "com.android.contacts", "");
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    ph_close(&p);
}

Test(sim, start_app_unknown_activity)
{
    phone p;
    ph_open(&p, "sim");
    ph_tap(&p, "Notes");
    int rc = tl_driver_start_app(p.d, "com.android.settings", ".Nope", &p.err);
    cr_assert_eq(rc, TL_EREJECTED);
    cr_assert_not_null(strstr(p.err.msg, ".Nope"), "%s", p.err.msg);
    /* an activity of another app is not found either */
    rc = tl_driver_start_app(p.d, "com.android.settings", ".LoginActivity", &p.err);
    cr_assert_eq(rc, TL_EREJECTED);
    cr_assert_str_eq(ph_activity(&p), ".LoginActivity", "nothing changed");
    ph_close(&p);
}

Test(sim, stop_app_goes_home_and_forgets_typing)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_type(&p, "Zed");
    int rc = tl_driver_stop_app(p.d, "com.android.contacts", &p.err);
    cr_assert_eq(rc, TL_OK, "%s", p.err.msg);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    cr_assert_eq(tl_driver_type(p.d, "x", false, &p.err), TL_EREJECTED, "the focus went too");
    ph_start(&p, "com.android.contacts", NULL);
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity", "a new task at its start");
    ph_tap(&p, "Create contact");
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    ph_close(&p);
}

Test(sim, stop_app_in_the_background)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    ph_tap(&p, "Last name");
    ph_type(&p, "Kept?");
    ph_key(&p, TL_KEY_HOME);
    ph_tap(&p, "Settings");
    cr_assert_eq(tl_driver_stop_app(p.d, "com.android.contacts", &p.err), TL_OK);
    cr_assert_str_eq(ph_activity(&p), ".Settings", "the app in front stays");
    ph_key(&p, TL_KEY_RECENT);
    cr_assert_null(ph_find(&p, "Contacts"), "the stopped task left recents");
    cr_assert_not_null(ph_find(&p, "Settings"));
    /* stopping an app that is not running is fine; an unknown one is not found */
    cr_assert_eq(tl_driver_stop_app(p.d, "com.example.notes", &p.err), TL_OK);
    cr_assert_eq(tl_driver_stop_app(p.d, "com.example.nope", &p.err), TL_EREJECTED);
    cr_assert_eq(tl_driver_stop_app(p.d, "", &p.err), TL_EUSAGE);
    ph_close(&p);
}

Test(sim, list_apps)
{
    phone p;
    ph_open(&p, "sim");
    cr_assert(tl_driver_caps(p.d) & TL_DRIVER_CAP_APPS);
    tl_app_list apps = {0};
    cr_assert_eq(tl_driver_list_apps(p.d, &apps, &p.err), TL_OK);
    cr_assert_eq(apps.n, 3);
    cr_assert_str_eq(apps.items[0].package, "com.android.settings");
    cr_assert_str_eq(apps.items[0].label, "Settings");
    cr_assert_str_eq(apps.items[2].package, "com.example.notes");
    cr_assert_str_eq(apps.items[2].label, "Notes");
    tl_app_list_dispose(&apps);
    cr_assert_eq(apps.n, 0);
    ph_close(&p);
}

Test(sim, reset_restores_the_initial_phone)
{
    phone p;
    ph_open(&p, "sim");
    char *initial = ph_listing(&p);
    ph_start(&p, "com.android.settings", ".DisplaySettings");
    ph_tap(&p, "Dark theme");
    open_contact_form(&p);
    ph_tap(&p, "First name");
    ph_type(&p, "Temp");
    cr_assert_eq(tl_driver_reset(p.d, &p.err), TL_OK, "%s", p.err.msg);
    char *after = ph_listing(&p);
    cr_assert_str_eq(initial, after);
    ph_start(&p, "com.android.settings", ".DisplaySettings");
    cr_assert_not(ph_need(&p, "Dark theme")->flags & TL_EL_CHECKED);
    open_contact_form(&p);
    cr_assert_str_eq(ph_need(&p, "First name")->text, "");
    free(initial);
    free(after);
    ph_close(&p);
}

/* ---- input geometry ------------------------------------------------------------------------- */

Test(sim, navigation_bar_buttons)
{
    phone p;
    ph_open(&p, "sim");
    int y = 2400 - 126 / 2; /* 48dp at density 2.625 is 126 px */
    ph_tap(&p, "Settings");
    ph_scroll(&p, 1200);
    ph_tap(&p, "Display");
    /* left third: back */
    cr_assert_eq(tl_driver_tap(p.d, 180, y, &p.err), TL_OK);
    cr_assert_str_eq(ph_activity(&p), ".Settings");
    /* right third: recents */
    cr_assert_eq(tl_driver_tap(p.d, 900, y, &p.err), TL_OK);
    cr_assert_str_eq(ph_activity(&p), ".RecentsActivity");
    /* middle: home */
    cr_assert_eq(tl_driver_tap(p.d, 540, y, &p.err), TL_OK);
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    /* the top pixel row of the bar is the bar */
    ph_start(&p, "com.android.settings", NULL);
    cr_assert_eq(tl_driver_tap(p.d, 540, 2400 - 126, &p.err), TL_OK);
    cr_assert_str_eq(ph_activity(&p), ".Launcher");
    ph_close(&p);
}

Test(sim, taps_on_nothing_do_nothing)
{
    phone p;
    ph_open(&p, "sim");
    char *launcher = ph_listing(&p);
    cr_assert_eq(tl_driver_tap(p.d, 540, 1600, &p.err), TL_OK);
    cr_assert_eq(tl_driver_tap(p.d, 0, 0, &p.err), TL_OK, "status bar");
    char *still = ph_listing(&p);
    cr_assert_str_eq(launcher, still);
    ph_tap(&p, "Settings");
    char *settings = ph_listing(&p);
    ph_tap(&p, "Settings");           /* the app bar title */
    ph_tap(&p, "Network & internet"); /* a row without an action */
    char *same = ph_listing(&p);
    cr_assert_str_eq(settings, same);
    free(launcher);
    free(still);
    free(settings);
    free(same);
    ph_close(&p);
}

Test(sim, taps_outside_the_screen_are_rejected)
{
    phone p;
    ph_open(&p, "sim");
    cr_assert_eq(tl_driver_tap(p.d, 1080, 100, &p.err), TL_EREJECTED);
    cr_assert_not_null(strstr(p.err.msg, "1080x2400"), "%s", p.err.msg);
    cr_assert_eq(tl_driver_tap(p.d, 100, 2400, &p.err), TL_EREJECTED);
    cr_assert_eq(tl_driver_long_press(p.d, 5000, 5000, 500, &p.err), TL_EREJECTED);
    cr_assert_eq(tl_driver_swipe(p.d, 540, 1500, 540, 2400, 300, &p.err), TL_EREJECTED);
    cr_assert_eq(tl_driver_tap(p.d, -1, 100, &p.err), TL_EUSAGE);
    cr_assert_eq(tl_driver_swipe(p.d, 540, 1500, 540, 1000, 9, &p.err), TL_EUSAGE);
    cr_assert_eq(tl_driver_long_press(p.d, 10, 10, 0, &p.err), TL_EUSAGE);
    cr_assert_eq(tl_driver_press_key(p.d, TL_KEY__COUNT, &p.err), TL_EUSAGE);
    cr_assert_eq(tl_driver_press_key(p.d, (tl_key)-1, &p.err), TL_EUSAGE);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    ph_close(&p);
}

Test(sim, long_press_on_an_icon_does_not_launch)
{
    phone p;
    ph_open(&p, "sim");
    const tl_element *e = ph_need(&p, "Settings");
    cr_assert(e->flags & TL_EL_LONG_CLICKABLE);
    cr_assert_eq(tl_driver_long_press(p.d, e->tap_x, e->tap_y, 800, &p.err), TL_OK);
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    /* long press on a field focuses it, like a tap */
    open_contact_form(&p);
    const tl_element *f = ph_need(&p, "Phone");
    cr_assert_eq(tl_driver_long_press(p.d, f->tap_x, f->tap_y, 800, &p.err), TL_OK);
    cr_assert_str_eq(focused_el(&p)->hint, "Phone");
    ph_close(&p);
}

Test(sim, observe_what_was_asked)
{
    phone p;
    ph_open(&p, "sim");
    cr_assert(tl_driver_caps(p.d) & TL_DRIVER_CAP_SCREENSHOT);
    cr_assert(tl_driver_caps(p.d) & TL_DRIVER_CAP_RESET);
    cr_assert_eq(tl_driver_observe(p.d, TL_OBSERVE_TREE, &p.obs, &p.err), TL_OK);
    cr_assert_gt(p.obs.tree.len, 0);
    cr_assert_eq(p.obs.screenshot.len, 0);
    cr_assert_null(p.obs.screenshot_type);
    cr_assert_eq(p.obs.tree.data[0], '{');
    cr_assert_eq(tl_driver_observe(p.d, TL_OBSERVE_TREE | TL_OBSERVE_SCREENSHOT, &p.obs, &p.err),
                 TL_OK);
    cr_assert_gt(p.obs.screenshot.len, 8);
    cr_assert_eq(memcmp(p.obs.screenshot.data, "\x89PNG\r\n\x1a\n", 8), 0);
    /* a second observation replaces, not appends */
    size_t tree_len = p.obs.tree.len, shot_len = p.obs.screenshot.len;
    cr_assert_eq(tl_driver_observe(p.d, TL_OBSERVE_TREE | TL_OBSERVE_SCREENSHOT, &p.obs, &p.err),
                 TL_OK);
    cr_assert_eq(p.obs.tree.len, tree_len);
    cr_assert_eq(p.obs.screenshot.len, shot_len);
    ph_close(&p);
}

/* ---- the uiautomator XML form --------------------------------------------------------------- */

/* The part of a listing line before its tap point " (x,y)". */
static size_t line_head(const char *line, size_t len)
{
    for (size_t i = len; i > 1; i--)
        if (line[i - 1] == '(' && line[i - 2] == ' ')
            return i - 2;
    return len;
}

/* Compare the listings of two phones (JSON and XML form) line by line. */
static void same_listing(phone *js, phone *xml, const char *where)
{
    ph_observe(js);
    ph_observe(xml);
    cr_assert_eq(tl_ui_get_info(xml->ui)->format, TL_UI_FORMAT_UIAUTOMATOR);
    cr_assert_eq(tl_ui_get_info(js->ui)->format, TL_UI_FORMAT_PORTAL);
    cr_assert_eq(tl_ui_listed_count(js->ui), tl_ui_listed_count(xml->ui), "%s:\n%s\nvs\n%s", where,
                 js->listing.data, xml->listing.data);
    const char *a = js->listing.data, *b = xml->listing.data;
    for (size_t k = 1; k <= tl_ui_listed_count(js->ui); k++) {
        const char *ae = strchr(a, '\n'), *be = strchr(b, '\n');
        cr_assert(ae && be);
        size_t ah = line_head(a, (size_t)(ae - a)), bh = line_head(b, (size_t)(be - b));
        cr_assert(ah == bh && memcmp(a, b, ah) == 0, "%s: line %zu differs:\n%.*s\n%.*s", where, k,
                  (int)(ae - a), a, (int)(be - b), b);
        if ((ae - a) != (be - b) || memcmp(a, b, (size_t)(ae - a)) != 0) {
            /* tap points may differ only where the bounds reach beyond the display */
            const tl_element *e = tl_ui_by_index(js->ui, (long)k);
            bool clipped = e->bounds.left < 0 || e->bounds.top < 0 || e->bounds.right > 1080 ||
                           e->bounds.bottom > 2400;
            cr_assert(clipped, "%s: tap points differ on an unclipped element:\n%.*s\n%.*s", where,
                      (int)(ae - a), a, (int)(be - b), b);
        }
        a = ae + 1;
        b = be + 1;
    }
}

/* Do the same thing on both phones. */
#define BOTH(call_js, call_xml) \
    do {                        \
        call_js;                \
        call_xml;               \
    } while (0)

Test(sim, xml_form_parses_to_the_same_listing)
{
    phone js, xml;
    unsetenv("TAPLOOP_SIM_FORMAT");
    ph_open(&js, "sim");
    setenv("TAPLOOP_SIM_FORMAT", "xml", 1);
    ph_open(&xml, "sim");
    ph_observe(&xml);
    cr_assert_eq(strncmp(xml.obs.tree.data, "<?xml", 5), 0);
    cr_assert_not_null(strstr(xml.obs.tree.data, "<hierarchy"));
    same_listing(&js, &xml, "launcher");
    BOTH(ph_tap(&js, "Settings"), ph_tap(&xml, "Settings"));
    same_listing(&js, &xml, "settings");
    BOTH(ph_scroll(&js, 500), ph_scroll(&xml, 500));
    same_listing(&js, &xml, "settings scrolled (rows cut at both edges)");
    BOTH(ph_scroll(&js, 900), ph_scroll(&xml, 900));
    BOTH(ph_tap(&js, "Display"), ph_tap(&xml, "Display"));
    BOTH(ph_tap(&js, "Dark theme"), ph_tap(&xml, "Dark theme"));
    same_listing(&js, &xml, "display");
    cr_assert(ph_need(&xml, "Dark theme")->flags & TL_EL_CHECKED);
    BOTH(ph_key(&js, TL_KEY_HOME), ph_key(&xml, TL_KEY_HOME));
    BOTH(ph_tap(&js, "Contacts"), ph_tap(&xml, "Contacts"));
    same_listing(&js, &xml, "contacts");
    BOTH(ph_key(&js, TL_KEY_HOME), ph_key(&xml, TL_KEY_HOME));
    BOTH(ph_tap(&js, "Notes"), ph_tap(&xml, "Notes"));
    BOTH(ph_tap(&js, "Password"), ph_tap(&xml, "Password"));
    BOTH(ph_type(&js, "hunter2"), ph_type(&xml, "hunter2"));
    same_listing(&js, &xml, "notes login, password typed");
    cr_assert_null(strstr(xml.listing.data, "hunter2"));
    cr_assert(ph_need(&xml, "Password")->flags & TL_EL_PASSWORD);
    BOTH(ph_key(&js, TL_KEY_RECENT), ph_key(&xml, TL_KEY_RECENT));
    same_listing(&js, &xml, "recents");
    ph_close(&js);
    ph_close(&xml);
}

Test(sim, format_variable_values)
{
    setenv("TAPLOOP_SIM_FORMAT", "json", 1);
    phone p;
    ph_open(&p, "sim");
    ph_observe(&p);
    cr_assert_eq(p.obs.tree.data[0], '{');
    ph_close(&p);

    setenv("TAPLOOP_SIM_FORMAT", "yaml", 1);
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = "sim", .fresh = true};
    cr_assert_eq(tl_driver_open(&d, "sim", &cfg, &err), TL_EUSAGE);
    cr_assert_null(d);
    cr_assert_not_null(strstr(err.msg, "TAPLOOP_SIM_FORMAT"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "yaml"), "%s", err.msg);
    setenv("TAPLOOP_SIM_FORMAT", "XML", 1);
    cr_assert_eq(tl_driver_open(&d, "sim", &cfg, &err), TL_EUSAGE);
    /* empty is the default */
    setenv("TAPLOOP_SIM_FORMAT", "", 1);
    cr_assert_eq(tl_driver_open(&d, "sim", &cfg, &err), TL_OK, "%s", err.msg);
    tl_driver_close(d);
}

/* ---- device names --------------------------------------------------------------------------- */

Test(sim, invalid_device_names)
{
    const char *bad[] = {"sim:", "sim:a/b", "sim:a b", "sim:../x",
                         "sim:0123456789012345678901234567890123456789012345678901234567890123X"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tl_driver *d = NULL;
        tl_error err;
        tl_driver_config cfg = {.device = bad[i], .fresh = true};
        int rc = tl_driver_open(&d, "sim", &cfg, &err);
        cr_assert_eq(rc, TL_EUSAGE, "%s: %d %s", bad[i], rc, err.msg);
        cr_assert_null(d);
        cr_assert_not_null(strstr(err.msg, bad[i]), "%s", err.msg);
    }
}

Test(sim, missing_model_file)
{
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = "/tmp/tl-no-such-dir/phone.json", .fresh = true};
    int rc = tl_driver_open(&d, "sim", &cfg, &err);
    cr_assert_eq(rc, TL_EIO, "%d %s", rc, err.msg);
    cr_assert_null(d);
    cr_assert_not_null(strstr(err.msg, "/tmp/tl-no-such-dir/phone.json"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "sim:NAME"), "the message says what --device takes: %s",
                       err.msg);
}

Test(sim, broken_model_file)
{
    const char *path = temp_file("{\"name\": \"x\", \"apps\": []}");
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = path, .fresh = true};
    int rc = tl_driver_open(&d, "sim", &cfg, &err);
    cr_assert_eq(rc, TL_EPARSE, "%d %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_null(d);
}

/* ---- a custom model ------------------------------------------------------------------------- */

static const char counter_model[] =
    "{\"name\": \"counter\",\n"
    " \"screen\": {\"width\": 720, \"height\": 1280, \"density\": 2},\n"
    " \"theme_var\": \"night\",\n"
    " \"vars\": {\"night\": false, \"on\": false, \"label\": \"off\", \"items\": []},\n"
    " \"apps\": [{\"package\": \"com.example.counter\", \"label\": \"Counter\", \"start\": "
    "\"main\"}],\n"
    " \"screens\": {\n"
    "  \"main\": {\"app\": \"com.example.counter\", \"title\": \"Counter {label}\",\n"
    "   \"activity\": \".Main\",\n"
    "   \"views\": [\n"
    "    {\"type\": \"text\", \"text\": \"State: {label}\", \"id\": \"state\"},\n"
    "    {\"type\": \"text\", \"text\": \" Items: {items} \", \"id\": \"count\"},\n"
    "    {\"type\": \"button\", \"text\": \"Toggle\", \"id\": \"toggle\", \"on_tap\": [\n"
    "      {\"toggle\": \"on\"},\n"
    "      {\"if\": {\"truthy\": \"on\"}, \"then\": [{\"set\": {\"label\": \"on\"}}],\n"
    "       \"else\": [{\"set\": {\"label\": \"off\"}}]}]},\n"
    "    {\"type\": \"input\", \"field\": \"entry\", \"hint\": \"New item\"},\n"
    "    {\"type\": \"button\", \"text\": \"Add\", \"on_tap\": [\n"
    "      {\"if\": {\"not_empty\": \"{entry}\"}, \"then\": [\n"
    "        {\"append\": {\"to\": \"items\", \"item\": {\"name\": \"{entry}\"}}},\n"
    "        {\"clear\": [\"entry\"]}]}]},\n"
    "    {\"type\": \"list\", \"items\": \"items\", \"empty\": \"Nothing yet\",\n"
    "     \"item\": {\"type\": \"row\", \"text\": \"{name}\", \"id\": \"item\",\n"
    "       \"on_tap\": [{\"set\": {\"label\": \"picked {name}\"}}],\n"
    "       \"on_long_press\": [{\"set\": {\"label\": \"held {name}\"}}]}},\n"
    "    {\"type\": \"checkbox\", \"text\": \"Night\", \"checked\": \"night\", \"enabled_if\": "
    "\"on\"},\n"
    "    {\"type\": \"button\", \"fab\": true, \"text\": \"Reset\", \"desc\": \"Reset label\",\n"
    "     \"on_tap\": [{\"set\": {\"label\": \"reset\"}}]}\n"
    "   ],\n"
    "   \"on_submit\": [{\"if\": {\"not_empty\": \"{entry}\"}, \"then\": [\n"
    "        {\"append\": {\"to\": \"items\", \"item\": {\"name\": \"{entry}\"}}},\n"
    "        {\"clear\": [\"entry\"]}]}]}\n"
    " }\n"
    "}\n";

static void add_item(phone *p, const char *name)
{
    ph_tap(p, "New item");
    ph_type(p, name);
    ph_tap(p, "Add");
}

Test(sim, custom_model_drives_through_the_driver)
{
    const char *path = temp_file(counter_model);
    phone p;
    ph_open(&p, path);
    cr_assert_str_eq(tl_driver_device(p.d), path);
    const tl_ui_info *in = ph_info(&p);
    cr_assert_eq(in->screen_w, 720);
    cr_assert_eq(in->screen_h, 1280);
    cr_assert_float_eq(in->density, 2.0, 1e-9);
    tl_app_list apps = {0};
    cr_assert_eq(tl_driver_list_apps(p.d, &apps, &p.err), TL_OK);
    cr_assert_eq(apps.n, 1);
    cr_assert_str_eq(apps.items[0].label, "Counter");
    tl_app_list_dispose(&apps);

    ph_tap(&p, "Counter");
    in = ph_info(&p);
    cr_assert_str_eq(in->package, "com.example.counter");
    cr_assert_str_eq(in->activity, ".Main");
    cr_assert(ph_shows(&p, "Counter off"), "the title is a template:\n%s", p.listing.data);
    cr_assert(ph_shows(&p, "State: off"));
    cr_assert(ph_shows(&p, "Nothing yet"));
    /* the checkbox is disabled until "on" */
    const tl_element *night = ph_need(&p, "Night");
    cr_assert_not(night->flags & TL_EL_ENABLED);
    ph_tap_el(&p, night);
    cr_assert_not(ph_need(&p, "Night")->flags & TL_EL_CHECKED, "a disabled checkbox ignores taps");

    ph_tap(&p, "Toggle");
    cr_assert(ph_shows(&p, "State: on"));
    cr_assert(ph_shows(&p, "Counter on"));
    cr_assert(ph_need(&p, "Night")->flags & TL_EL_ENABLED);
    ph_tap(&p, "Night");
    cr_assert(ph_need(&p, "Night")->flags & TL_EL_CHECKED);
    image im = ph_screenshot(&p);
    cr_assert_eq(im.w, 720);
    cr_assert_lt(luma(&im, 4, 1150), 60, "theme_var makes the screen dark");
    free(im.px);
    ph_tap(&p, "Toggle");
    cr_assert(ph_shows(&p, "State: off"));

    /* list: append through a button and through the enter key (on_submit) */
    ph_tap(&p, "Add"); /* empty: nothing */
    cr_assert(ph_shows(&p, "Nothing yet"));
    /* templates expand a list to its length and are trimmed, literal ends too */
    cr_assert_not_null(strstr(p.obs.tree.data, "\"text\":\"Items: 0\""), "%s", p.obs.tree.data);
    add_item(&p, "apple");
    cr_assert(ph_shows(&p, "Items: 1"));
    cr_assert_not(ph_shows(&p, "Nothing yet"));
    cr_assert(ph_shows(&p, "apple"));
    cr_assert_str_eq(ph_need(&p, "New item")->text, "", "cleared after adding");
    ph_tap(&p, "New item");
    ph_type(&p, "banana");
    ph_key(&p, TL_KEY_ENTER);
    cr_assert(ph_shows(&p, "banana"));
    cr_assert_eq(count_id(&p, "com.example.counter:id/item"), 2);
    /* list items act with their own record */
    ph_tap(&p, "banana");
    cr_assert(ph_shows(&p, "State: picked banana"), "%s", p.listing.data);
    ph_tap(&p, "apple");
    cr_assert(ph_shows(&p, "State: picked apple"));
    /* a long press runs on_long_press, not on_tap */
    const tl_element *banana = ph_need(&p, "banana");
    const tl_element *row = &tl_ui_elements(p.ui)[banana->label_owner];
    cr_assert(banana->flags & TL_EL_ABSORBED);
    cr_assert(row->flags & TL_EL_LONG_CLICKABLE);
    cr_assert_eq(tl_driver_long_press(p.d, row->tap_x, row->tap_y, 700, &p.err), TL_OK);
    cr_assert(ph_shows(&p, "State: held banana"), "%s", p.listing.data);
    /* a long press on a button without on_long_press does nothing */
    const tl_element *toggle = ph_need(&p, "Toggle");
    cr_assert_eq(tl_driver_long_press(p.d, toggle->tap_x, toggle->tap_y, 700, &p.err), TL_OK);
    cr_assert(ph_shows(&p, "State: held banana"));
    ph_close(&p);
}

Test(sim, fab_is_on_top_of_list_rows)
{
    const char *path = temp_file(counter_model);
    phone p;
    ph_open(&p, path);
    ph_tap(&p, "Counter");
    const char *names[] = {"one", "two", "three", "four", "five", "six"};
    for (size_t i = 0; i < 6; i++)
        add_item(&p, names[i]);
    /* some row now lies under the floating button */
    const tl_element *fab = ph_need(&p, "Reset label");
    cr_assert_str_eq(tl_ui_short_class(fab->cls), "ImageButton");
    const tl_element *el = tl_ui_elements(p.ui);
    bool covered = false;
    for (size_t i = 0; i < tl_ui_count(p.ui); i++)
        covered |= strcmp(el[i].id, "com.example.counter:id/item") == 0 &&
                   el[i].visible.top <= fab->tap_y && el[i].visible.bottom > fab->tap_y;
    cr_assert(covered, "test setup: no row under the button\n%s", p.listing.data);
    /* the agent's index says a tap there lands on the button ... */
    cr_assert_eq(tl_ui_element_at(p.ui, fab->tap_x, fab->tap_y), fab);
    /* ... and so must the phone */
    ph_tap_el(&p, fab);
    cr_assert(ph_shows(&p, "State: reset"), "%s", p.listing.data);
    ph_close(&p);
}

Test(sim, launcher_grid_wraps_and_screens_without_a_title)
{
    const char *path = temp_file(
        "{\"name\": \"grid\", \"apps\": [\n"
        " {\"package\": \"a.one\", \"label\": \"One\", \"start\": \"s1\"},\n"
        " {\"package\": \"a.two\", \"label\": \"Two\", \"start\": \"s2\"},\n"
        " {\"package\": \"a.three\", \"label\": \"Three\", \"start\": \"s3\"},\n"
        " {\"package\": \"a.four\", \"label\": \"Four\", \"start\": \"s4\"},\n"
        " {\"package\": \"a.five\", \"label\": \"Five\", \"start\": \"s5\"}],\n"
        " \"screens\": {\n"
        "  \"s1\": {\"app\": \"a.one\", \"views\": [{\"type\": \"text\", \"text\": \"one\"}]},\n"
        "  \"s2\": {\"app\": \"a.two\", \"views\": [{\"type\": \"text\", \"text\": \"two\"}]},\n"
        "  \"s3\": {\"app\": \"a.three\", \"views\": [{\"type\": \"text\", \"text\": "
        "\"three\"}]},\n"
        "  \"s4\": {\"app\": \"a.four\", \"views\": [{\"type\": \"text\", \"text\": \"four\"}]},\n"
        "  \"s5\": {\"app\": \"a.five\", \"views\": [\n"
        "    {\"type\": \"text\", \"text\": \"five\"},\n"
        "    {\"type\": \"button\", \"text\": \"To one\", \"on_tap\": [{\"launch\": \"a.one\"}]},\n"
        "    {\"type\": \"button\", \"text\": \"Home\", \"on_tap\": [{\"home\": true}]}]}}}\n");
    phone p;
    ph_open(&p, path);
    const tl_element *one = ph_need(&p, "One");
    const tl_element *four = ph_need(&p, "Four");
    const tl_element *five = ph_need(&p, "Five");
    cr_assert_eq(one->bounds.top, four->bounds.top, "four icons to a row");
    cr_assert_gt(five->bounds.top, one->bounds.top, "the fifth starts a new row");
    cr_assert_eq(five->bounds.left, one->bounds.left);
    ph_tap(&p, "Five");
    const tl_ui_info *in = ph_info(&p);
    cr_assert_str_eq(in->package, "a.five");
    cr_assert_str_eq(in->activity, ".MainActivity", "the default activity");
    /* no title: no app bar, the content starts under the status bar */
    const tl_element *text = ph_need(&p, "five");
    cr_assert_eq(text->bounds.top, (int)(24 * 2.625 + 0.5));
    /* operations: launch another app, go home */
    ph_tap(&p, "To one");
    cr_assert_str_eq(ph_info(&p)->package, "a.one");
    ph_start(&p, "a.five", NULL);
    ph_tap(&p, "Home");
    cr_assert_str_eq(ph_info(&p)->package, "com.android.launcher3");
    ph_close(&p);
}

Test(sim, index_reports_focus_and_keyboard)
{
    phone p;
    ph_open(&p, "sim");
    open_contact_form(&p);
    const tl_ui_info *in = ph_info(&p);
    cr_assert_not(in->keyboard_visible);
    cr_assert_not(in->editable_focused);
    cr_assert_eq(in->focused, -1);
    ph_tap(&p, "First name");
    ph_type(&p, "Ann");
    in = ph_info(&p);
    cr_assert(in->keyboard_visible);
    cr_assert(in->editable_focused);
    cr_assert_geq(in->focused, 0);
    const tl_element *f = &tl_ui_elements(p.ui)[in->focused];
    cr_assert_str_eq(f->hint, "First name");
    cr_assert_str_eq(f->text, "Ann");
    cr_assert_str_eq(f->id, "com.android.contacts:id/first_name");
    cr_assert_str_eq(in->focused_text, "Ann");
    tl_buf sum;
    tl_buf_init(&sum, 0);
    cr_assert_eq(tl_ui_summary(p.ui, &sum), TL_OK);
    cr_assert_not_null(strstr(sum.data, "Contacts (com.android.contacts)"), "%s", sum.data);
    cr_assert_not_null(strstr(sum.data, "keyboard shown"), "%s", sum.data);
    tl_buf_dispose(&sum);
    /* what the index says a tap lands on is what the phone acts on */
    const tl_element *save = ph_need(&p, "Save");
    cr_assert_eq(tl_ui_element_at(p.ui, save->tap_x, save->tap_y), save);
    const tl_element *up = ph_need(&p, "Navigate up");
    cr_assert_eq(tl_ui_element_at(p.ui, up->tap_x, up->tap_y), up);
    ph_tap_el(&p, up);
    cr_assert_str_eq(ph_activity(&p), ".activities.PeopleActivity");
    ph_close(&p);
}

Test(sim, special_characters_survive_both_formats)
{
    const char *text = "Tom & \"Jerry\" <3> 'x' \xE2\x82\xAC\ttab";
    for (int xml = 0; xml < 2; xml++) {
        if (xml)
            setenv("TAPLOOP_SIM_FORMAT", "xml", 1);
        else
            unsetenv("TAPLOOP_SIM_FORMAT");
        phone p;
        ph_open(&p, "sim");
        open_contact_form(&p);
        ph_tap(&p, "First name");
        ph_type(&p, text);
        cr_assert_str_eq(ph_need(&p, "First name")->text, text, "%s", xml ? "xml" : "json");
        ph_tap(&p, "Save");
        cr_assert(ph_shows(&p, "Tom & \"Jerry\" <3> 'x' \xE2\x82\xAC\ttab"), "%s", p.listing.data);
        ph_close(&p);
    }
}

Test(sim, swipes_where_nothing_scrolls)
{
    phone p;
    ph_open(&p, "sim");
    char *launcher = ph_listing(&p);
    ph_scroll(&p, 800);
    ph_scroll(&p, -800);
    char *same = ph_listing(&p);
    cr_assert_str_eq(launcher, same);
    /* Display fits on the screen: its list is not scrollable and does not move */
    ph_start(&p, "com.android.settings", ".DisplaySettings");
    char *display = ph_listing(&p);
    cr_assert_null(strstr(display, "scrollable"), "%s", display);
    ph_scroll(&p, 800);
    char *display2 = ph_listing(&p);
    cr_assert_str_eq(display, display2);
    free(launcher);
    free(same);
    free(display);
    free(display2);
    ph_close(&p);
}
