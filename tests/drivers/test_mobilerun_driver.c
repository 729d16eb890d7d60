/*
 * test_mobilerun_driver.c - the mobilerun driver through the tl_driver_* interface against the
 * scripted server of tests/support/fake_http.h: the exact requests every action and
 * observation sends (method, path, body, headers), device choice, --wait, provisioning and the
 * termination of the temporary device on close, on a failure inside open and on cancellation
 * (with the termination not blocked by the cancel flag, and loud when it fails), the
 * configuration errors, and answers the driver must refuse (wrong shapes, HTML, oversize,
 * the key echoed back by the server).
 *
 * The server answers the k-th request with the k-th script entry, so these tests fetch the
 * tree and the screenshot one at a time; their concurrency is checked end to end
 * (tests/e2e/test_mobilerun.sh) against tests/fakes/fake_mobilerun.py, which serves both at
 * once.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/http.h"
#include "core/log.h"
#include "drivers/driver.h"
#include "tests/support/fake_http.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KEY  "mr-unit-secret-4d3c2b1a"
#define JSON "Content-Type: application/json\r\n"

#define DEV_READY                                                                             \
    "{\"id\":\"dev-1\",\"name\":\"Pixel 7\",\"state\":\"ready\",\"type\":"                    \
    "\"dedicated_physical_device\",\"stateMessage\":\"\",\"streamUrl\":\"wss://x\",\"apps\":" \
    "[],\"taskCount\":0}"
#define UI_STATE                                                                                \
    "{\"a11y_tree\":{\"className\":\"android.widget.FrameLayout\",\"text\":\"Hi\","             \
    "\"boundsInScreen\":{\"left\":0,\"top\":0,\"right\":720,\"bottom\":1616}},\"phone_state\":" \
    "{\"packageName\":\"app.lawnchair\"},\"device_context\":{\"screen_bounds\":{\"width\":720," \
    "\"height\":1616}}}"

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1";

static fake_http *srv;
static volatile sig_atomic_t cancel_flag;

static void setup(void)
{
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < N(proxies); i++)
        unsetenv(proxies[i]);
    setenv("MOBILERUN_API_KEY", KEY, 1);
    setenv("MOBILERUN_BASE_URL", "http://127.0.0.1:9/v1", 1);
    cr_assert_eq(tl_http_global_init(NULL), TL_OK);
    tl_log_set_level(TL_LOG_QUIET);
    srv = NULL;
    cancel_flag = 0;
}

static void teardown(void)
{
    fake_http_stop(srv);
}

TestSuite(mobilerun_driver, .init = setup, .fini = teardown, .timeout = 60);

/* Start the server with a script and point MOBILERUN_BASE_URL at its /v1. */
static void serve(const fake_http_response *script, size_t n)
{
    srv = fake_http_start(script, n);
    cr_assert_not_null(srv, "fake server did not start");
    char url[256];
    fake_http_url(srv, "/v1", url, sizeof(url));
    setenv("MOBILERUN_BASE_URL", url, 1);
}

static const fake_http_request *req(size_t i)
{
    const fake_http_request *r = fake_http_request_at(srv, i);
    cr_assert_not_null(r, "request %zu was not received (%zu in all)", i,
                       fake_http_request_count(srv));
    return r;
}

/* The i-th request was METHOD TARGET with this body (NULL: none), the key as bearer token and
 * a JSON content type when there is a body. */
static void expect(size_t i, const char *method, const char *target, const char *body)
{
    const fake_http_request *r = req(i);
    cr_assert_str_eq(r->method, method, "request %zu", i);
    cr_assert_str_eq(r->target, target, "request %zu", i);
    char v[256];
    cr_assert(fake_http_header(r, "Authorization", v, sizeof(v)));
    cr_assert_str_eq(v, "Bearer " KEY);
    if (body) {
        cr_assert_str_eq(r->body, body, "request %zu (%s %s)", i, method, target);
        cr_assert(fake_http_header(r, "Content-Type", v, sizeof(v)), "request %zu", i);
        cr_assert_str_eq(v, "application/json");
    } else {
        cr_assert_eq(r->body_len, 0, "request %zu has a body: %s", i, r->body);
        cr_assert_not(fake_http_header(r, "Content-Type", v, sizeof(v)), "request %zu", i);
    }
}

static tl_driver *open_ok(const tl_driver_config *cfg)
{
    tl_driver *d = NULL;
    tl_error err;
    int rc = tl_driver_open(&d, "mobilerun", cfg, &err);
    cr_assert_eq(rc, TL_OK, "open: %s %s", tl_err_name(rc), err.msg);
    return d;
}

static int open_err(const tl_driver_config *cfg, tl_error *err)
{
    tl_driver *d = (tl_driver *)1;
    int rc = tl_driver_open(&d, "mobilerun", cfg, err);
    cr_assert_neq(rc, TL_OK);
    cr_assert_null(d);
    cr_assert_null(strstr(err->msg, KEY), "the key in a message: %s", err->msg);
    return rc;
}

/* ---- actions -------------------------------------------------------------------------------- */

Test(mobilerun_driver, every_action_as_the_reference_says)
{
    fake_http_response script[] = {{.headers = JSON, .body = DEV_READY},
                                   {.headers = JSON, .body = "{}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "dev-1"};
    tl_driver *d = open_ok(&cfg);
    cr_assert_str_eq(tl_driver_name(d), "mobilerun");
    cr_assert_str_eq(tl_driver_device(d), "dev-1");
    cr_assert(tl_driver_caps(d) & TL_DRIVER_CAP_PARALLEL_OBSERVE);
    cr_assert(tl_driver_caps(d) & TL_DRIVER_CAP_SCREENSHOT);
    tl_error err;
    cr_assert_eq(tl_driver_tap(d, 540, 960, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_driver_long_press(d, 10, 20, 800, &err), TL_OK);
    cr_assert_eq(tl_driver_swipe(d, 540, 1200, 540, 400, 300, &err), TL_OK);
    cr_assert_eq(tl_driver_type(d, "h\xc3\xa9 \"x\"", false, &err), TL_OK);
    cr_assert_eq(tl_driver_type(d, "new", true, &err), TL_OK);
    cr_assert_eq(tl_driver_type(d, "", true, &err), TL_OK);
    static const tl_key keys[] = {TL_KEY_BACK,   TL_KEY_HOME, TL_KEY_RECENT,        TL_KEY_ENTER,
                                  TL_KEY_DELETE, TL_KEY_TAB,  TL_KEY_FORWARD_DELETE};
    for (size_t i = 0; i < N(keys); i++)
        cr_assert_eq(tl_driver_press_key(d, keys[i], &err), TL_OK);
    cr_assert_eq(tl_driver_start_app(d, "com.example.app", "com.example.app.Main", &err), TL_OK);
    cr_assert_eq(tl_driver_start_app(d, "com.android.settings", NULL, &err), TL_OK);
    cr_assert_eq(tl_driver_stop_app(d, "com.android.settings", &err), TL_OK);
    cr_assert_eq(tl_driver_reset(d, &err), TL_EUNSUPPORTED);
    tl_driver_close(d);

    expect(0, "GET", "/v1/devices/dev-1", NULL);
    expect(1, "POST", "/v1/devices/dev-1/tap", "{\"x\":540,\"y\":960}");
    expect(2, "POST", "/v1/devices/dev-1/swipe",
           "{\"startX\":10,\"startY\":20,\"endX\":10,\"endY\":20,\"duration\":800}");
    expect(3, "POST", "/v1/devices/dev-1/swipe",
           "{\"startX\":540,\"startY\":1200,\"endX\":540,\"endY\":400,\"duration\":300}");
    expect(4, "POST", "/v1/devices/dev-1/keyboard",
           "{\"text\":\"h\xc3\xa9 \\\"x\\\"\",\"clear\":false}");
    expect(5, "POST", "/v1/devices/dev-1/keyboard", "{\"text\":\"new\",\"clear\":true}");
    expect(6, "DELETE", "/v1/devices/dev-1/keyboard", NULL);
    expect(7, "POST", "/v1/devices/dev-1/global", "{\"action\":1}");
    expect(8, "POST", "/v1/devices/dev-1/global", "{\"action\":2}");
    expect(9, "POST", "/v1/devices/dev-1/global", "{\"action\":3}");
    expect(10, "PUT", "/v1/devices/dev-1/keyboard", "{\"key\":66}");
    expect(11, "PUT", "/v1/devices/dev-1/keyboard", "{\"key\":67}");
    expect(12, "PUT", "/v1/devices/dev-1/keyboard", "{\"key\":61}");
    expect(13, "PUT", "/v1/devices/dev-1/keyboard", "{\"key\":112}");
    expect(14, "PUT", "/v1/devices/dev-1/apps/com.example.app",
           "{\"activity\":\"com.example.app.Main\"}");
    expect(15, "PUT", "/v1/devices/dev-1/apps/com.android.settings", "{}");
    expect(16, "PATCH", "/v1/devices/dev-1/apps/com.android.settings", "{}");
    cr_assert_eq(fake_http_request_count(srv), 17);
    cr_assert_eq(fake_http_connections(srv), 1, "one kept-alive connection");
}

Test(mobilerun_driver, ids_are_percent_encoded)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = "{\"id\":\"a/b?c\",\"state\":\"ready\"}"},
        {.headers = JSON, .body = "{}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "a/b?c"};
    tl_driver *d = open_ok(&cfg);
    tl_error err;
    cr_assert_eq(tl_driver_stop_app(d, "x/../y", &err), TL_OK);
    tl_driver_close(d);
    expect(0, "GET", "/v1/devices/a%2Fb%3Fc", NULL);
    expect(1, "PATCH", "/v1/devices/a%2Fb%3Fc/apps/x%2F..%2Fy", "{}");
}

/* ---- observations --------------------------------------------------------------------------- */

Test(mobilerun_driver, tree_and_screenshot)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = DEV_READY},
        {.headers = JSON, .body = UI_STATE},
        {.headers = "Content-Type: image/png\r\n", .body = png, .body_len = sizeof(png) - 1}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "dev-1"};
    tl_driver *d = open_ok(&cfg);
    tl_observation o;
    tl_observation_init(&o);
    tl_error err;
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(o.tree.data, UI_STATE, "the tree as the device sent it");
    cr_assert_eq(o.screenshot.len, 0);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(o.screenshot.len, sizeof(png) - 1);
    cr_assert_eq(memcmp(o.screenshot.data, png, sizeof(png) - 1), 0);
    cr_assert_str_eq(o.screenshot_type, "image/png");
    cr_assert_str_eq(o.tree.data, UI_STATE, "a screenshot alone leaves the tree alone");
    tl_observation_dispose(&o);
    tl_driver_close(d);
    expect(1, "GET", "/v1/devices/dev-1/ui-state", NULL);
    expect(2, "GET", "/v1/devices/dev-1/screenshot", NULL);
    char v[64];
    cr_assert(fake_http_header(req(2), "Accept", v, sizeof(v)));
    cr_assert_str_eq(v, "image/png");
    cr_assert(fake_http_header(req(1), "Accept", v, sizeof(v)));
    cr_assert_str_eq(v, "application/json");
    cr_assert_eq(fake_http_connections(srv), 2, "screenshots have their own connection");
}

Test(mobilerun_driver, base64_screenshot_and_transient_errors)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = DEV_READY},
        {.status = 503, .headers = JSON, .body = "{\"title\":\"Service Unavailable\"}"},
        {.headers = JSON, .body = "\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE=\""}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "dev-1"};
    tl_driver *d = open_ok(&cfg);
    tl_observation o;
    tl_observation_init(&o);
    tl_error err;
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(o.screenshot.len, sizeof(png) - 1);
    cr_assert_eq(memcmp(o.screenshot.data, png, sizeof(png) - 1), 0);
    tl_observation_dispose(&o);
    tl_driver_close(d);
    cr_assert_eq(fake_http_request_count(srv), 3, "the 503 was retried");
}

Test(mobilerun_driver, unusable_observations)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = DEV_READY},
        {.headers = "Content-Type: text/html\r\n", .body = "<html><b>Login</b> required</html>"},
        {.headers = JSON, .body = "{\"title\":\"Oops\"}"},
        {.status = 404,
         .headers = JSON,
         .body = "{\"title\":\"Not Found\",\"status\":404,\"detail\":\"device not found\"}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "dev-1"};
    tl_driver *d = open_ok(&cfg);
    tl_observation o;
    tl_observation_init(&o);
    tl_error err;
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "ui-state: expected a JSON object"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "text/html"), "%s", err.msg);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "screenshot: expected a PNG image"), "%s", err.msg);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_TREE, &o, &err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "404 Not Found: device dev-1 not found"), "%s", err.msg);
    cr_assert_eq(o.tree.len, 0, "nothing partial is kept");
    tl_observation_dispose(&o);
    tl_driver_close(d);
}

/* ---- apps ----------------------------------------------------------------------------------- */

Test(mobilerun_driver, apps_and_a_missing_app)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = DEV_READY},
        {.headers = JSON,
         .body = "[{\"packageName\":\"com.android.settings\",\"label\":\"Settings\","
                 "\"versionName\":\"14\",\"versionCode\":34,\"isSystemApp\":true}]"},
        {.status = 404, .headers = JSON, .body = "{\"title\":\"Not Found\",\"status\":404}"},
        {.headers = JSON, .body = "[\"com.android.settings\"]"},
        {.status = 409, .headers = JSON, .body = "{\"title\":\"Conflict\",\"detail\":\"busy\"}"},
        {.headers = JSON, .body = "[\"com.android.settings\"]"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "dev-1"};
    tl_driver *d = open_ok(&cfg);
    tl_app_list apps = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_apps(d, &apps, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(apps.n, 1);
    cr_assert_str_eq(apps.items[0].label, "Settings");
    tl_app_list_dispose(&apps);
    cr_assert_eq(tl_driver_start_app(d, "org.missing", NULL, &err), TL_EREJECTED);
    cr_assert_not_null(strstr(err.msg, "app org.missing is not installed on device dev-1"), "%s",
                       err.msg);
    /* installed, but the service refuses: its error stands */
    cr_assert_eq(tl_driver_start_app(d, "com.android.settings", NULL, &err), TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "409 Conflict"), "%s", err.msg);
    tl_driver_close(d);
    expect(1, "GET", "/v1/devices/dev-1/apps?includeSystemApps=true", NULL);
    expect(3, "GET", "/v1/devices/dev-1/packages?includeSystemPackages=true", NULL);
}

/* ---- devices -------------------------------------------------------------------------------- */

Test(mobilerun_driver, list_devices_over_pages)
{
    fake_http_response script[] = {
        {.headers = JSON,
         .body = "{\"items\":[{\"id\":\"d1\",\"name\":\"A\",\"state\":\"ready\",\"type\":\"t1\"},"
                 "{\"id\":\"d2\",\"state\":\"disconnected\"}],\"pagination\":{\"hasNext\":true,"
                 "\"page\":1,\"pages\":2,\"pageSize\":2,\"total\":3}}"},
        {.headers = JSON,
         .body = "{\"items\":[{\"id\":\"d3\",\"state\":\"creating\"}],\"pagination\":{"
                 "\"hasNext\":false,\"page\":2,\"pages\":2,\"pageSize\":2,\"total\":3}}"}};
    serve(script, N(script));
    tl_device_list l = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.items[0].name, "A");
    cr_assert_str_eq(l.items[0].type, "t1");
    cr_assert(l.items[0].ready);
    cr_assert_str_eq(l.items[2].state, "creating");
    cr_assert_not(l.items[2].ready);
    tl_device_list_dispose(&l);
    expect(0, "GET", "/v1/devices?page=1", NULL);
    expect(1, "GET", "/v1/devices?page=2", NULL);
}

Test(mobilerun_driver, hostile_device_lists)
{
    static char big[(9 << 20) + 1];
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    fake_http_response script[] = {
        {.headers = JSON, .body = "{\"items\":[{\"id\":\"d1\",\"state\":\"ready\"},"},
        {.headers = JSON, .body = "{\"items\":\"lots\"}"},
        {.headers = JSON, .body = big, .body_len = sizeof(big) - 1},
        {.headers = JSON,
         .body = "{\"items\":[{\"id\":\"d1\",\"state\":\"ready\"}],"
                 "\"pagination\":{\"hasNext\":true}}"}};
    serve(script, N(script));
    tl_device_list l = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "GET /devices: the response is not valid JSON"), "%s",
                       err.msg);
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "\"items\" is a string, expected an array"), "%s", err.msg);
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "larger than"), "%s", err.msg);
    /* a server that always says there is more: bounded */
    tl_device_list_dispose(&l);
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "after 100 pages"), "%s", err.msg);
    tl_device_list_dispose(&l);
}

Test(mobilerun_driver, first_ready_device)
{
    fake_http_response script[] = {
        {.headers = JSON,
         .body =
             "{\"items\":[{\"id\":\"gone\",\"state\":\"terminated\"},"
             "{\"id\":\"off\",\"state\":\"disconnected\"},{\"id\":\"on\",\"state\":\"ready\"}]}"}};
    serve(script, N(script));
    tl_driver_config cfg = {0};
    tl_driver *d = open_ok(&cfg);
    cr_assert_str_eq(tl_driver_device(d), "on");
    tl_driver_close(d);
}

Test(mobilerun_driver, no_ready_device_advice)
{
    fake_http_response script[] = {
        {.headers = JSON,
         .body = "{\"items\":[{\"id\":\"ph\",\"name\":\"My phone\",\"state\":\"disconnected\"},"
                 "{\"id\":\"c\",\"state\":\"creating\"}]}"},
        {.headers = JSON, .body = "{\"items\":[{\"id\":\"c\",\"state\":\"creating\"}]}"},
        {.headers = JSON, .body = "{\"items\":[]}"},
        {.headers = JSON, .body = "{\"items\":[{\"id\":\"x\",\"state\":\"terminated\"}]}"}};
    serve(script, N(script));
    tl_driver_config cfg = {0};
    tl_error err;
    cr_assert_eq(open_err(&cfg, &err), TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "no device is ready: device ph (My phone) is disconnected"),
                       "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "open the Droidrun Portal app"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "1 other device is not ready either"), "%s", err.msg);
    cr_assert_eq(open_err(&cfg, &err), TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "still starting (state creating): add --wait"), "%s",
                       err.msg);
    cr_assert_eq(open_err(&cfg, &err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "no devices on this account: connect a phone with the "
                                       "Droidrun Portal app"),
                       "%s", err.msg);
    cr_assert_eq(open_err(&cfg, &err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "terminated"), "%s", err.msg);
}

Test(mobilerun_driver, named_device_not_ready_and_wait)
{
    fake_http_response script[] = {
        {.headers = JSON,
         .body = "{\"id\":\"ph\",\"state\":\"disconnected\",\"stateMessage\":\"portal closed\"}"},
        {.headers = JSON, .body = "{\"id\":\"ph\",\"state\":\"disconnected\"}"},
        {.headers = JSON, .body = "{\"id\":\"ph\",\"state\":\"ready\"}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "ph"};
    tl_error err;
    cr_assert_eq(open_err(&cfg, &err), TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "device ph is disconnected [portal closed]"), "%s", err.msg);
    cfg.wait = true;
    tl_driver *d = open_ok(&cfg);
    tl_driver_close(d);
    expect(1, "GET", "/v1/devices/ph", NULL);
    expect(2, "GET", "/v1/devices/ph/wait", NULL);
}

Test(mobilerun_driver, wait_is_bounded)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = "{\"id\":\"c\",\"state\":\"creating\"}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.device = "c", .wait = true, .wait_timeout_ms = 300};
    tl_error err;
    cr_assert_eq(open_err(&cfg, &err), TL_ETIMEOUT);
    cr_assert_not_null(strstr(err.msg, "device c did not become ready within 0.3 s (last state: "
                                       "creating)"),
                       "%s", err.msg);
}

/* ---- provisioning --------------------------------------------------------------------------- */

#define CREATING "{\"id\":\"prov-1\",\"state\":\"creating\",\"type\":\"dedicated_emulated_device\"}"
#define READY    "{\"id\":\"prov-1\",\"state\":\"ready\",\"type\":\"dedicated_emulated_device\"}"

Test(mobilerun_driver, provision_then_terminate_on_close)
{
    fake_http_response script[] = {{.headers = JSON, .body = CREATING},
                                   {.headers = JSON, .body = READY},
                                   {.headers = JSON, .body = READY}};
    serve(script, N(script));
    tl_driver_config cfg = {.provision = "dedicated_emulated_device", .apps = "com.a, com.b"};
    tl_driver *d = open_ok(&cfg);
    cr_assert_str_eq(tl_driver_device(d), "prov-1");
    cr_assert_eq(fake_http_request_count(srv), 2);
    tl_driver_close(d);
    cr_assert_eq(fake_http_request_count(srv), 3);
    const fake_http_request *post = req(0);
    cr_assert_str_eq(post->method, "POST");
    cr_assert_str_eq(post->target, "/v1/devices?deviceType=dedicated_emulated_device");
    cr_assert(strncmp(post->body, "{\"name\":\"taploop-", 17) == 0, "%s", post->body);
    cr_assert_not_null(strstr(post->body, "\",\"apps\":[\"com.a\",\"com.b\"]}"), "%s", post->body);
    expect(1, "GET", "/v1/devices/prov-1/wait", NULL);
    expect(2, "DELETE", "/v1/devices/prov-1", "{}");
}

Test(mobilerun_driver, provision_failure_inside_open_terminates)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = CREATING},
        {.status = 401,
         .headers = JSON,
         .body = "{\"title\":\"Unauthorized\",\"detail\":\"key " KEY " revoked\"}"},
        {.headers = JSON, .body = READY}};
    serve(script, N(script));
    tl_driver_config cfg = {.provision = "dedicated_physical_device"};
    tl_error err;
    cr_assert_eq(open_err(&cfg, &err), TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "check MOBILERUN_API_KEY"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "<redacted>"), "%s", err.msg);
    cr_assert_eq(fake_http_request_count(srv), 3);
    expect(2, "DELETE", "/v1/devices/prov-1", "{}");
}

static void *raise_cancel(void *payload)
{
    (void)payload;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 300L * 1000 * 1000};
    nanosleep(&ts, NULL);
    cancel_flag = 1;
    return NULL;
}

Test(mobilerun_driver, provision_canceled_while_waiting_still_terminates)
{
    fake_http_response script[] = {{.headers = JSON, .body = CREATING},
                                   {.action = FAKE_HTTP_HANG},
                                   {.headers = JSON, .body = READY}};
    serve(script, N(script));
    tl_driver_config cfg = {.provision = "dedicated_premium_device", .cancel = &cancel_flag};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, raise_cancel, NULL), 0);
    tl_error err;
    cr_assert_eq(open_err(&cfg, &err), TL_ECANCELED, "%s", err.msg);
    pthread_join(t, NULL);
    cr_assert_eq(fake_http_request_count(srv), 3, "the DELETE went out despite the cancel flag");
    expect(2, "DELETE", "/v1/devices/prov-1", "{}");
}

Test(mobilerun_driver, a_failed_termination_is_loud)
{
    fake_http_response script[] = {
        {.headers = JSON, .body = READY},
        {.status = 400, .headers = JSON, .body = "{\"detail\":\"nope " KEY "\"}"}};
    serve(script, N(script));
    tl_driver_config cfg = {.provision = "dedicated_emulated_device"};
    tl_driver *d = open_ok(&cfg);
    FILE *cap = tmpfile();
    cr_assert_not_null(cap);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(cap), STDERR_FILENO);
    tl_driver_close(d); /* errors are said whatever the verbosity */
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[4096] = "";
    rewind(cap);
    size_t n = fread(text, 1, sizeof(text) - 1, cap);
    text[n] = '\0';
    fclose(cap);
    cr_assert_not_null(strstr(text, "COULD NOT TERMINATE the temporary device prov-1"), "%s", text);
    cr_assert_not_null(strstr(text, "/devices/prov-1"), "%s", text);
    cr_assert_null(strstr(text, KEY), "the key on stderr: %s", text);
    expect(1, "DELETE", "/v1/devices/prov-1", "{}");
}

/* ---- configuration -------------------------------------------------------------------------- */

Test(mobilerun_driver, configuration_errors_before_any_request)
{
    fake_http_response script[] = {{.headers = JSON, .body = READY}};
    serve(script, N(script));
    tl_error err;
    tl_driver_config cfg = {.provision = "device_slot"};
    cr_assert_eq(open_err(&cfg, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "dedicated_emulated_device, dedicated_physical_device, "
                                       "dedicated_premium_device"),
                       "%s", err.msg);
    tl_driver_config both = {.provision = "dedicated_emulated_device", .device = "d"};
    cr_assert_eq(open_err(&both, &err), TL_EUSAGE);
    tl_driver_config apps = {.apps = "com.a"};
    cr_assert_eq(open_err(&apps, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "--apps"), "%s", err.msg);
    tl_driver_config badapps = {.provision = "dedicated_emulated_device", .apps = "com.a,bad app"};
    cr_assert_eq(open_err(&badapps, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "\"bad app\" is not an Android package name"), "%s",
                       err.msg);
    tl_driver_config baddev = {.device = "has space"};
    cr_assert_eq(open_err(&baddev, &err), TL_EUSAGE);
    cr_assert_eq(fake_http_request_count(srv), 0);

    tl_driver_config plain = {.device = "d"};
    setenv("MOBILERUN_BASE_URL", "api.mobilerun.ai/v1", 1);
    cr_assert_eq(open_err(&plain, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "MOBILERUN_BASE_URL"), "%s", err.msg);
    unsetenv("MOBILERUN_API_KEY");
    cr_assert_eq(open_err(&plain, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "MOBILERUN_API_KEY is not set"), "%s", err.msg);
    tl_device_list l = {0};
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EUSAGE);
    setenv("MOBILERUN_API_KEY", "two words", 1);
    cr_assert_eq(open_err(&plain, &err), TL_EUSAGE);
    cr_assert_null(strstr(err.msg, "two words"), "%s", err.msg);
    cr_assert_eq(fake_http_request_count(srv), 0);
}

Test(mobilerun_driver, a_rejected_key)
{
    fake_http_response script[] = {
        {.status = 401,
         .headers = JSON,
         .body = "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"Invalid API key.\","
                 "\"errors\":[]}"}};
    serve(script, N(script));
    tl_device_list l = {0};
    tl_error err;
    cr_assert_eq(tl_driver_list_devices("mobilerun", NULL, &l, &err), TL_EAUTH);
    cr_assert(strstr(err.msg, "mobilerun: 401 Unauthorized: the API key was rejected (check "
                              "MOBILERUN_API_KEY)") == err.msg,
              "%s", err.msg);
    cr_assert_null(strstr(err.msg, KEY));
    cr_assert_eq(fake_http_request_count(srv), 1, "a 401 is not retried");
}
