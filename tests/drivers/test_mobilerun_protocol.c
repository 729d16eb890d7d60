/*
 * test_mobilerun_protocol.c - the Mobilerun wire format (drivers/mobilerun/protocol.h): the
 * request bodies exactly as the API reference gives them, key routing, ids, the key and the
 * base URL; the parsing of device pages and device info, app and package lists, ui-state,
 * screenshots and error bodies; the messages of every status of the reference's error table;
 * and hostile input (wrong shapes, invalid or huge JSON, random bytes, a server echoing the
 * key), which must give TL_EBADRESP with a clear message and never crash.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/mobilerun/protocol.h"

#define SECRET "mr-secret-key-0123456789"

static tl_buf buf;

static void setup(void)
{
    tl_buf_init(&buf, 0);
}

static void teardown(void)
{
    tl_buf_dispose(&buf);
}

TestSuite(mobilerun_protocol, .init = setup, .fini = teardown, .timeout = 60);

/* ---- request bodies ------------------------------------------------------------------------- */

Test(mobilerun_protocol, bodies_as_the_reference_gives_them)
{
    tl_error err;
    cr_assert_eq(tl_mr_body_tap(&buf, 540, 960), TL_OK);
    cr_assert_str_eq(buf.data, "{\"x\":540,\"y\":960}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_swipe(&buf, 540, 1200, 540, 400, 300), TL_OK);
    cr_assert_str_eq(buf.data,
                     "{\"startX\":540,\"startY\":1200,\"endX\":540,\"endY\":400,\"duration\":300}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_swipe(&buf, 1, 2, 1, 2, 3), TL_OK);
    cr_assert_str_eq(buf.data, "{\"startX\":1,\"startY\":2,\"endX\":1,\"endY\":2,\"duration\":10}",
                     "the API's minimum duration is 10 ms");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_global(&buf, 2), TL_OK);
    cr_assert_str_eq(buf.data, "{\"action\":2}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_key(&buf, 66), TL_OK);
    cr_assert_str_eq(buf.data, "{\"key\":66}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_type(&buf, "Hello world", false, &err), TL_OK);
    cr_assert_str_eq(buf.data, "{\"text\":\"Hello world\",\"clear\":false}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_type(&buf, "a\"b\\c\nd\x01 caf\xc3\xa9", true, &err), TL_OK);
    cr_assert_str_eq(buf.data, "{\"text\":\"a\\\"b\\\\c\\nd\\u0001 caf\xc3\xa9\",\"clear\":true}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_type(&buf, "bad \xff utf-8", false, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "UTF-8"), "%s", err.msg);
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_start_app(&buf, NULL), TL_OK);
    cr_assert_str_eq(buf.data, "{}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_start_app(&buf, "com.example.app.Main\"Activity"), TL_OK);
    cr_assert_str_eq(buf.data, "{\"activity\":\"com.example.app.Main\\\"Activity\"}");
}

Test(mobilerun_protocol, provision_body_and_apps)
{
    tl_error err;
    cr_assert_eq(tl_mr_body_provision(&buf, "temp", NULL, &err), TL_OK);
    cr_assert_str_eq(buf.data, "{\"name\":\"temp\",\"apps\":[]}");
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_provision(&buf, "t", " com.a.b , ,org.c_d.E2,", &err), TL_OK);
    cr_assert_str_eq(buf.data, "{\"name\":\"t\",\"apps\":[\"com.a.b\",\"org.c_d.E2\"]}");
    static const char *const bad[] = {"com..b",  ".com",     "com.",  "1com.b",
                                      "com.b-c", "com.b\"x", "com b", "com.\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tl_buf_clear(&buf);
        tl_error_clear(&err);
        cr_assert_eq(tl_mr_body_provision(&buf, "t", bad[i], &err), TL_EUSAGE, "%s", bad[i]);
        cr_assert_not_null(strstr(err.msg, "--apps"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "not an Android package name"), "%s", err.msg);
    }
    char many[4096] = "";
    for (int i = 0; i <= TL_MR_APPS_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "com.a%d,", i);
    tl_buf_clear(&buf);
    cr_assert_eq(tl_mr_body_provision(&buf, "t", many, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "at most"), "%s", err.msg);
}

Test(mobilerun_protocol, keys_route_to_global_or_keyboard)
{
    static const struct {
        tl_key key;
        int global, code;
    } want[] = {
        {TL_KEY_BACK, 1, 0},
        {TL_KEY_HOME, 2, 0},
        {TL_KEY_RECENT, 3, 0},
        {TL_KEY_ENTER, 0, 66},
        {TL_KEY_DELETE, 0, 67},
        {TL_KEY_TAB, 0, 61},
        {TL_KEY_FORWARD_DELETE, 0, 112},
    };
    cr_assert_eq(sizeof(want) / sizeof(want[0]), TL_KEY__COUNT, "every key is routed");
    tl_error err;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int g = -1, k = -1;
        cr_assert_eq(tl_mr_key_route(want[i].key, &g, &k, &err), TL_OK);
        cr_assert_eq(g, want[i].global, "%s", tl_key_name(want[i].key));
        cr_assert_eq(k, want[i].code, "%s", tl_key_name(want[i].key));
    }
    int g, k;
    cr_assert_eq(tl_mr_key_route(TL_KEY__COUNT, &g, &k, &err), TL_EUSAGE);
}

Test(mobilerun_protocol, path_segments_are_percent_encoded)
{
    cr_assert_eq(tl_mr_path_segment(&buf, "abc-DEF_1.2~"), TL_OK);
    cr_assert_str_eq(buf.data, "abc-DEF_1.2~");
    tl_buf_clear(&buf);
    tl_mr_path_segment(&buf, "a/b?c d#%\xc3\xa9");
    cr_assert_str_eq(buf.data, "a%2Fb%3Fc%20d%23%25%C3%A9");
    tl_buf_clear(&buf);
    tl_mr_path_segment(&buf, "..");
    cr_assert_str_eq(buf.data, "%2E.", "a bare .. is no path step");
    tl_buf_clear(&buf);
    tl_mr_path_segment(&buf, ".");
    cr_assert_str_eq(buf.data, "%2E");
}

Test(mobilerun_protocol, ids_keys_urls_and_types)
{
    tl_error err;
    cr_assert_eq(
        tl_mr_check_id("7f9c2a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6", TL_EUSAGE, "--device", &err), TL_OK);
    cr_assert_eq(tl_mr_check_id("", TL_EUSAGE, "--device", &err), TL_EUSAGE);
    cr_assert_eq(tl_mr_check_id("a b", TL_EUSAGE, "--device", &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "--device"), "%s", err.msg);
    cr_assert_eq(tl_mr_check_id("a\nb", TL_EBADRESP, "x", &err), TL_EBADRESP);
    cr_assert_null(strchr(err.msg, '\n'), "the message stays on one line");
    char longid[TL_MR_ID_MAX + 2];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    cr_assert_eq(tl_mr_check_id(longid, TL_EUSAGE, "--device", &err), TL_EUSAGE);

    cr_assert_eq(tl_mr_check_key(NULL, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "MOBILERUN_API_KEY is not set"), "%s", err.msg);
    cr_assert_eq(tl_mr_check_key("", &err), TL_EUSAGE);
    cr_assert_eq(tl_mr_check_key("dr_sk_abc123", &err), TL_OK);
    cr_assert_eq(tl_mr_check_key(SECRET "\r\nX-Evil: 1", &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "MOBILERUN_API_KEY"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, SECRET), "the key never appears: %s", err.msg);

    char out[256];
    cr_assert_eq(tl_mr_base_url("https://api.mobilerun.ai/v1///", out, sizeof(out), &err), TL_OK);
    cr_assert_str_eq(out, "https://api.mobilerun.ai/v1");
    cr_assert_eq(tl_mr_base_url("HTTP://127.0.0.1:8080/v1", out, sizeof(out), &err), TL_OK);
    static const char *const bad[] = {"",
                                      "api.mobilerun.ai/v1",
                                      "ftp://x/v1",
                                      "https://",
                                      "https:///v1",
                                      "https://x/v1?key=1",
                                      "https://x y/v1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_mr_base_url(bad[i], out, sizeof(out), &err), TL_EUSAGE, "%s", bad[i]);
        cr_assert_not_null(strstr(err.msg, "MOBILERUN_BASE_URL"), "%s", err.msg);
    }
    char small[16];
    cr_assert_eq(tl_mr_base_url("https://api.mobilerun.ai/v1", small, sizeof(small), &err),
                 TL_EUSAGE);

    cr_assert(tl_mr_device_type_valid("dedicated_emulated_device"));
    cr_assert(tl_mr_device_type_valid("dedicated_physical_device"));
    cr_assert(tl_mr_device_type_valid("dedicated_premium_device"));
    cr_assert_not(tl_mr_device_type_valid("device_slot"));
    cr_assert_not(tl_mr_device_type_valid(NULL));
    cr_assert_not_null(strstr(tl_mr_device_types_list(), "dedicated_premium_device"));
}

/* ---- devices -------------------------------------------------------------------------------- */

static int page(const char *body, long n, tl_device_list *out, tl_mr_page *info, tl_error *err)
{
    return tl_mr_parse_device_page(body, strlen(body), n, SECRET, out, info, err);
}

Test(mobilerun_protocol, device_pages)
{
    tl_device_list l = {0};
    tl_mr_page info;
    tl_error err;
    const char *p1 = "{\"$schema\":\"x\",\"items\":["
                     "{\"id\":\"d1\",\"name\":\"Pixel 7\",\"state\":\"ready\","
                     "\"type\":\"dedicated_physical_device\",\"streamUrl\":\"wss://x\","
                     "\"taskCount\":3,\"apps\":null},"
                     "{\"id\":\"d2\",\"name\":null,\"state\":\"disconnected\","
                     "\"deviceType\":\"device_slot\",\"stateMessage\":\"portal closed\"}],"
                     "\"pagination\":{\"hasNext\":true,\"hasPrev\":false,\"page\":1,\"pages\":2,"
                     "\"pageSize\":2,\"total\":3}}";
    cr_assert_eq(page(p1, 1, &l, &info, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(info.count, 2);
    cr_assert(info.more);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].id, "d1");
    cr_assert_str_eq(l.items[0].name, "Pixel 7");
    cr_assert_str_eq(l.items[0].type, "dedicated_physical_device");
    cr_assert(l.items[0].ready);
    cr_assert_str_eq(l.items[1].name, "");
    cr_assert_str_eq(l.items[1].state, "disconnected");
    cr_assert_str_eq(l.items[1].type, "device_slot", "deviceType when type is absent");
    cr_assert_not(l.items[1].ready);
    cr_assert_eq(page("{\"items\":[{\"id\":\"d3\",\"state\":\"ready\"}],\"pagination\":{"
                      "\"hasNext\":false,\"pages\":2}}",
                      2, &l, &info, &err),
                 TL_OK);
    cr_assert_not(info.more, "hasNext wins over pages");
    cr_assert_eq(l.n, 3);
    tl_device_list_dispose(&l);

    /* without hasNext: pages, then total, then a full default page */
    cr_assert_eq(
        page("{\"items\":[{\"id\":\"a\"}],\"pagination\":{\"pages\":3}}", 2, &l, &info, &err),
        TL_OK);
    cr_assert(info.more);
    cr_assert_str_eq(l.items[0].state, "unknown", "a missing state is unknown, not ready");
    cr_assert_not(l.items[0].ready);
    cr_assert_eq(
        page("{\"items\":[{\"id\":\"a\"}],\"pagination\":{\"pages\":2}}", 2, &l, &info, &err),
        TL_OK);
    cr_assert_not(info.more);
    cr_assert_eq(page("{\"items\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"pagination\":{\"total\":5,"
                      "\"pageSize\":2}}",
                      2, &l, &info, &err),
                 TL_OK);
    cr_assert(info.more, "4 of 5 seen");
    cr_assert_eq(page("{\"items\":[{\"id\":\"a\"}],\"pagination\":{\"total\":5,\"pageSize\":2}}", 3,
                      &l, &info, &err),
                 TL_OK);
    cr_assert_not(info.more, "5 of 5 seen");
    cr_assert_eq(page("{\"items\":[{\"id\":\"a\"}]}", 1, &l, &info, &err), TL_OK);
    cr_assert_not(info.more);
    cr_assert_eq(page("{\"items\":[],\"pagination\":{\"hasNext\":true}}", 1, &l, &info, &err),
                 TL_OK);
    cr_assert_not(info.more, "an empty page ends the listing whatever it says");
    cr_assert_eq(page("{\"items\":null,\"pagination\":null}", 1, &l, &info, &err), TL_OK);
    cr_assert_eq(info.count, 0);
    tl_device_list_dispose(&l);
}

Test(mobilerun_protocol, device_pages_wrong_shapes)
{
    static const struct {
        const char *body, *says;
    } cases[] = {
        {"", "expected JSON, got an empty body"},
        {"<html><body>Bad gateway</body></html>", "not valid JSON"},
        {"[]", "expected {items, pagination}, got an array"},
        {"{\"items\":{}}", "\"items\" is an object, expected an array"},
        {"{\"items\":[],\"pagination\":[]}", "\"pagination\" is an array"},
        {"{\"items\":[1]}", "items[0]: expected a DeviceInfo object, got a number"},
        {"{\"items\":[{\"id\":\"a\"},{\"name\":\"x\"}]}", "items[1]: \"id\" is missing"},
        {"{\"items\":[{\"id\":42}]}", "\"id\" is a number, expected a string"},
        {"{\"items\":[{\"id\":\"a b\"}]}", "contains a space"},
        {"{\"items\":[{\"id\":\"\"}]}", "the device id is empty"},
        {"{\"items\":[{\"id\":\"a\",\"state\":1}]}", "\"state\" is a number, expected a string"},
        {"{\"items\":[{\"id\":\"a\",\"name\":{}}]}", "\"name\" is an object"},
        {"{\"items\":[]} trailing", "trailing data"},
        {"{\"items\":[", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tl_device_list l = {0};
        tl_mr_page info;
        tl_error err;
        tl_error_clear(&err);
        cr_assert_eq(page(cases[i].body, 1, &l, &info, &err), TL_EBADRESP, "%s", cases[i].body);
        cr_assert_not_null(strstr(err.msg, cases[i].says), "%s -> %s", cases[i].body, err.msg);
        cr_assert(strncmp(err.msg, "mobilerun: ", 11) == 0, "%s", err.msg);
        tl_device_list_dispose(&l);
    }
}

Test(mobilerun_protocol, device_info_and_text_sanitised)
{
    tl_mr_device d;
    tl_error err;
    const char *body = "{\"id\":\"prov-1\",\"name\":\"evil\\u001b[31m\\u202ename\\nx " SECRET
                       "\",\"state\":\"creating\",\"type\":\"dedicated_emulated_device\","
                       "\"stateMessage\":\"booting\"}";
    cr_assert_eq(tl_mr_parse_device(body, strlen(body), SECRET, &d, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "prov-1");
    cr_assert_str_eq(d.state, "creating");
    cr_assert_str_eq(d.state_message, "booting");
    cr_assert_str_eq(d.name, "evil [31m name x <redacted>");
    cr_assert_eq(tl_mr_parse_device("{\"deviceId\":\"x1\"}", 17, NULL, &d, &err), TL_OK);
    cr_assert_str_eq(d.id, "x1");
    cr_assert_eq(tl_mr_parse_device("\"x\"", 3, NULL, &d, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "expected a DeviceInfo object, got a string"), "%s",
                       err.msg);
}

/* ---- apps and packages ---------------------------------------------------------------------- */

Test(mobilerun_protocol, apps_and_packages)
{
    tl_app_list apps = {0};
    tl_error err;
    const char *body = "[{\"packageName\":\"com.example.app\",\"label\":\"Example App\","
                       "\"versionName\":\"1.2.3\",\"versionCode\":123,\"isSystemApp\":false},"
                       "{\"packageName\":\"com.b\"}]";
    cr_assert_eq(tl_mr_parse_apps(body, strlen(body), &apps, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(apps.n, 2);
    cr_assert_str_eq(apps.items[0].package, "com.example.app");
    cr_assert_str_eq(apps.items[0].label, "Example App");
    cr_assert_str_eq(apps.items[1].label, "");
    tl_app_list_dispose(&apps);
    cr_assert_eq(tl_mr_parse_apps("{}", 2, &apps, &err), TL_EBADRESP);
    cr_assert_eq(tl_mr_parse_apps("[{\"label\":\"x\"}]", 15, &apps, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "packageName"), "%s", err.msg);
    cr_assert_eq(tl_mr_parse_apps("[\"com.a\"]", 9, &apps, &err), TL_EBADRESP);
    tl_app_list_dispose(&apps);

    bool found = true;
    const char *pk = "[\"com.a\",\"com.b\"]";
    cr_assert_eq(tl_mr_parse_packages(pk, strlen(pk), "com.b", &found, &err), TL_OK);
    cr_assert(found);
    cr_assert_eq(tl_mr_parse_packages(pk, strlen(pk), "com.c", &found, &err), TL_OK);
    cr_assert_not(found);
    cr_assert_eq(tl_mr_parse_packages("[\"a\",1]", 7, "a", &found, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "[1] is a number"), "%s", err.msg);
    cr_assert_eq(tl_mr_parse_packages("{\"items\":[]}", 12, "a", &found, &err), TL_EBADRESP);
}

/* ---- observations --------------------------------------------------------------------------- */

Test(mobilerun_protocol, ui_state_shape)
{
    tl_error err;
    cr_assert_eq(tl_mr_check_ui_state(" \n{\"a11y_tree\":{}}", 17, "application/json", &err),
                 TL_OK);
    cr_assert_eq(tl_mr_check_ui_state("\xEF\xBB\xBF[{}]", 7, NULL, &err), TL_OK);
    cr_assert_eq(tl_mr_check_ui_state("<html>502 Bad Gateway</html>", 28, "text/html", &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "expected a JSON object (AndroidState)"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "text/html"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "502 Bad Gateway"), "%s", err.msg);
    cr_assert_eq(tl_mr_check_ui_state("", 0, NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "empty body"), "%s", err.msg);
    cr_assert_eq(tl_mr_check_ui_state("\x89PNG\r\n\x1a\n\0\0", 10, "image/png", &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "10 bytes of binary data (image/png)"), "%s", err.msg);
}

Test(mobilerun_protocol, screenshots)
{
    tl_buf decoded;
    tl_buf_init(&decoded, 0);
    bool in_place = false;
    const char *type = NULL;
    tl_error err;
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    cr_assert_eq(
        tl_mr_parse_screenshot(png, sizeof(png) - 1, "image/png", &decoded, &in_place, &type, &err),
        TL_OK);
    cr_assert(in_place);
    cr_assert_str_eq(type, "image/png");
    cr_assert_eq(
        tl_mr_parse_screenshot("\xFF\xD8\xFF\xE0", 4, NULL, &decoded, &in_place, &type, &err),
        TL_OK);
    cr_assert_str_eq(type, "image/jpeg");
    /* a JSON string with the image in Base64, plain or as a data: URL */
    const char *b64 = "\"iVBORw0KGgoAAAANSUhEUg==\"";
    cr_assert_eq(tl_mr_parse_screenshot(b64, strlen(b64), "application/json", &decoded, &in_place,
                                        &type, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_not(in_place);
    cr_assert_str_eq(type, "image/png");
    cr_assert_eq(decoded.len, 16);
    cr_assert_eq(memcmp(decoded.data, png, 16), 0);
    const char *url = "\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg\"";
    cr_assert_eq(tl_mr_parse_screenshot(url, strlen(url), NULL, &decoded, &in_place, &type, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_eq(decoded.len, 16);
    cr_assert_eq(tl_mr_parse_screenshot("\"aGVsbG8=\"", 10, NULL, &decoded, &in_place, &type, &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "not a PNG or JPEG image"), "%s", err.msg);
    cr_assert_eq(tl_mr_parse_screenshot("\"a$b\"", 5, NULL, &decoded, &in_place, &type, &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "not Base64"), "%s", err.msg);
    const char *problem = "{\"title\":\"Not Found\",\"status\":404}";
    cr_assert_eq(tl_mr_parse_screenshot(problem, strlen(problem), "application/json", &decoded,
                                        &in_place, &type, &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "expected a PNG image, got"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Not Found"), "%s", err.msg);
    cr_assert_eq(tl_mr_parse_screenshot("", 0, NULL, &decoded, &in_place, &type, &err),
                 TL_EBADRESP);
    tl_buf_dispose(&decoded);
}

/* ---- errors --------------------------------------------------------------------------------- */

static int status_error(long status, tl_mr_op op, const char *device, const char *body,
                        const char *base, tl_error *err)
{
    tl_mr_call call = {.method = "GET",
                       .path = device ? "/devices/dev-1/tap" : "/devices",
                       .op = op,
                       .device = device,
                       .base_url = base ? base : "https://api.mobilerun.ai/v1",
                       .secret = SECRET,
                       .attempts = 4};
    return tl_mr_status_error(&call, status, "application/json", body, body ? strlen(body) : 0,
                              err);
}

Test(mobilerun_protocol, the_error_table)
{
    tl_error err;
    const char *unauth = "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"Invalid API "
                         "key " SECRET ".\",\"errors\":[]}";
    cr_assert_eq(status_error(401, TL_MR_OP_LIST, NULL, unauth, NULL, &err), TL_EAUTH);
    cr_assert(strstr(err.msg, "mobilerun: 401 Unauthorized: the API key was rejected (check "
                              "MOBILERUN_API_KEY)") == err.msg,
              "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "server says: Unauthorized: Invalid API key <redacted>."),
                       "%s", err.msg);
    cr_assert_null(strstr(err.msg, SECRET), "the key never appears: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, "(GET /devices)"), "%s", err.msg);

    cr_assert_eq(status_error(402, TL_MR_OP_PROVISION, NULL, NULL, NULL, &err), TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "402 Payment Required: not enough credits"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "billing"), "%s", err.msg);

    const char *limit = "{\"title\":\"Forbidden\",\"status\":403,\"detail\":\"device_slot limit "
                        "reached\"}";
    cr_assert_eq(status_error(403, TL_MR_OP_PROVISION, NULL, limit, NULL, &err), TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "device limit is reached: terminate a device"), "%s",
                       err.msg);
    cr_assert_not_null(strstr(err.msg, "upgrade the plan"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "device_slot limit reached"), "%s", err.msg);
    cr_assert_eq(status_error(403, TL_MR_OP_PROVISION, NULL, NULL, NULL, &err), TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "does not allow this cloud device"), "%s", err.msg);
    cr_assert_eq(status_error(403, TL_MR_OP_ACTION, "dev-1", NULL, NULL, &err), TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "may not use device dev-1"), "%s", err.msg);

    cr_assert_eq(status_error(404, TL_MR_OP_ACTION, "dev-1", NULL, NULL, &err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "404 Not Found: device dev-1 not found"), "%s", err.msg);
    cr_assert_eq(
        status_error(404, TL_MR_OP_LIST, NULL, "Not Found", "https://api.mobilerun.ai", &err),
        TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "MOBILERUN_BASE_URL must include /v1"), "%s", err.msg);

    cr_assert_eq(status_error(409, TL_MR_OP_OBSERVE, "dev-1", NULL, NULL, &err), TL_ENOTREADY);
    cr_assert_eq(status_error(400, TL_MR_OP_ACTION, "dev-1", NULL, NULL, &err), TL_EREJECTED);
    cr_assert_not_null(strstr(err.msg, "device dev-1 refused the action"), "%s", err.msg);
    const char *huma = "{\"title\":\"Unprocessable Entity\",\"status\":422,\"detail\":\"validation "
                       "failed\",\"errors\":[{\"message\":\"expected string\",\"location\":"
                       "\"body.apps[0]\",\"value\":1}]}";
    cr_assert_eq(status_error(422, TL_MR_OP_PROVISION, NULL, huma, NULL, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "validation failed - body.apps[0]: expected string"), "%s",
                       err.msg);
    cr_assert_eq(status_error(400, TL_MR_OP_LIST, NULL, NULL, NULL, &err), TL_EBADRESP);

    cr_assert_eq(status_error(429, TL_MR_OP_LIST, NULL, NULL, NULL, &err), TL_ENET);
    cr_assert_not_null(strstr(err.msg, "rate limited, still after 4 attempts"), "%s", err.msg);
    cr_assert_eq(status_error(503, TL_MR_OP_ACTION, "dev-1",
                              "<html><h1>Service\nUnavailable"
                              "</h1></html>",
                              NULL, &err),
                 TL_ENET);
    cr_assert_not_null(strstr(err.msg, "503 Service Unavailable: the service failed after 4 "
                                       "attempts"),
                       "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "server says: Service Unavailable"), "%s", err.msg);
    cr_assert_eq(status_error(418, TL_MR_OP_LIST, NULL, NULL, NULL, &err), TL_EBADRESP);
    cr_assert_eq(status_error(200, TL_MR_OP_LIST, NULL, NULL, NULL, &err), TL_EBADRESP);
}

Test(mobilerun_protocol, problems_are_bounded_and_scrubbed)
{
    tl_mr_problem pb;
    /* a long detail is cut, but never in the middle of the key: the key goes first */
    char body[2048];
    snprintf(body, sizeof(body), "{\"detail\":\"%0*d%s tail\"}", 195, 0, SECRET);
    tl_mr_parse_problem(body, strlen(body), "application/json", SECRET, &pb);
    cr_assert_null(strstr(pb.detail, "mr-secret"), "no part of the key: %s", pb.detail);
    cr_assert_not_null(strstr(pb.detail, "..."), "%s", pb.detail);
    cr_assert_leq(strlen(pb.detail), 220);
    /* binary bodies give nothing */
    tl_mr_parse_problem("\0\1\2", 3, NULL, SECRET, &pb);
    cr_assert_str_eq(pb.detail, "");
    tl_mr_parse_problem("", 0, NULL, SECRET, &pb);
    cr_assert_str_eq(pb.title, "");
    /* plain text, with its controls made safe */
    const char *ctl = "upstream\r\n\tfailed \x1b]0;x\x07";
    tl_mr_parse_problem(ctl, strlen(ctl), "text/plain", NULL, &pb);
    cr_assert_str_eq(pb.detail, "upstream failed ]0;x");
    /* a JSON problem whose fields have the wrong types */
    tl_mr_parse_problem("{\"title\":1,\"detail\":[],\"errors\":{}}", 35, NULL, NULL, &pb);
    cr_assert_str_eq(pb.title, "");
    cr_assert_str_eq(pb.detail, "");
}

Test(mobilerun_protocol, sanitize)
{
    char out[32];
    tl_mr_sanitize(out, sizeof(out), "a\tb\n\nc", 6, 100, NULL);
    cr_assert_str_eq(out, "a b c");
    tl_mr_sanitize(out, sizeof(out), "bad \xff\xfe bytes", 12, 100, NULL);
    cr_assert_str_eq(out, "bad ?? bytes");
    tl_mr_sanitize(out, sizeof(out), "0123456789", 10, 4, NULL);
    cr_assert_str_eq(out, "0123...");
    tl_mr_sanitize(out, 8, "0123456789", 10, 100, NULL);
    cr_assert_str_eq(out, "0123...", "bounded by the buffer too");
    tl_mr_sanitize(out, sizeof(out), "x KEY y", 7, 100, "KEY");
    cr_assert_str_eq(out, "x <redacted> y");
    tl_mr_sanitize(out, sizeof(out), "\xe2\x80\xae\xef\xbb\xbfok", 8, 100, NULL);
    cr_assert_str_eq(out, "ok");
    tl_mr_sanitize(out, 1, "abc", 3, 100, NULL);
    cr_assert_str_eq(out, "");
}

/* ---- hostile input -------------------------------------------------------------------------- */

/* splitmix64, for reproducible random input */
static uint64_t rng_state = 0x5eed;
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Every parser on one input: each must answer TL_OK or TL_EBADRESP (with a message). */
static void parse_all(const char *data, size_t len)
{
    tl_error err;
    tl_device_list l = {0};
    tl_mr_page info;
    int rc = tl_mr_parse_device_page(data, len, 1, SECRET, &l, &info, &err);
    cr_assert(rc == TL_OK || (rc == TL_EBADRESP && err.msg[0]), "page: %d", rc);
    tl_device_list_dispose(&l);
    tl_mr_device d;
    rc = tl_mr_parse_device(data, len, SECRET, &d, &err);
    cr_assert(rc == TL_OK || rc == TL_EBADRESP);
    tl_app_list apps = {0};
    rc = tl_mr_parse_apps(data, len, &apps, &err);
    cr_assert(rc == TL_OK || rc == TL_EBADRESP);
    tl_app_list_dispose(&apps);
    bool found;
    rc = tl_mr_parse_packages(data, len, "com.a", &found, &err);
    cr_assert(rc == TL_OK || rc == TL_EBADRESP);
    rc = tl_mr_check_ui_state(data, len, "application/json", &err);
    cr_assert(rc == TL_OK || rc == TL_EBADRESP);
    tl_buf dec;
    tl_buf_init(&dec, (size_t)1 << 20);
    bool in_place;
    const char *type;
    rc = tl_mr_parse_screenshot(data, len, NULL, &dec, &in_place, &type, &err);
    cr_assert(rc == TL_OK || rc == TL_EBADRESP || rc == TL_ENOMEM);
    tl_buf_dispose(&dec);
    tl_mr_problem pb;
    tl_mr_parse_problem(data, len, NULL, SECRET, &pb);
    tl_mr_call call = {.method = "GET", .path = "/devices", .secret = SECRET, .attempts = 1};
    rc = tl_mr_status_error(&call, 400 + (long)(len % 200), NULL, data, len, &err);
    cr_assert_neq(rc, TL_OK);
    cr_assert_null(strstr(err.msg, SECRET));
}

Test(mobilerun_protocol, hostile_inputs_never_crash)
{
    static const char *const seeds[] = {
        "{\"items\":[{\"id\":\"d1\",\"name\":\"n\",\"state\":\"ready\",\"type\":\"t\"}],"
        "\"pagination\":{\"hasNext\":false,\"pages\":1,\"total\":1,\"pageSize\":20}}",
        "[{\"packageName\":\"com.a\",\"label\":\"A\"}]",
        "[\"com.a\",\"com.b\"]",
        "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"Invalid API key.\","
        "\"errors\":[{\"message\":\"m\",\"location\":\"l\"}]}",
        "\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\"",
    };
    char work[1024];
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        size_t n = strlen(seeds[s]);
        parse_all(seeds[s], n);
        for (int round = 0; round < 300; round++) {
            memcpy(work, seeds[s], n);
            size_t len = n;
            int edits = 1 + (int)(next_random() % 4);
            for (int e = 0; e < edits; e++) {
                uint64_t r = next_random();
                size_t at = (size_t)(r % len);
                switch ((r >> 32) % 4) {
                case 0: work[at] = (char)(r >> 40); break;              /* flip a byte */
                case 1: len = at ? at : 1; break;                       /* truncate */
                case 2: work[at] = "{}[]\",:0\\"[(r >> 40) % 9]; break; /* structure */
                default: work[at] = '\0'; break;                        /* a NUL inside */
                }
            }
            parse_all(work, len);
        }
    }
    /* random bytes */
    for (int round = 0; round < 200; round++) {
        size_t len = 1 + (size_t)(next_random() % sizeof(work));
        for (size_t i = 0; i < len; i++)
            work[i] = (char)next_random();
        parse_all(work, len);
    }
}

Test(mobilerun_protocol, deep_and_huge_documents)
{
    /* nesting far beyond cJSON's limit */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 1);
    cr_assert_not_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[depth * 2] = '\0';
    parse_all(deep, depth * 2);
    tl_device_list l = {0};
    tl_mr_page info;
    tl_error err;
    cr_assert_eq(tl_mr_parse_device_page(deep, depth * 2, 1, NULL, &l, &info, &err), TL_EBADRESP);
    free(deep);

    /* over the JSON size limit: refused before parsing, with the sizes in the message */
    size_t big = TL_MR_JSON_MAX + 10;
    char *huge = malloc(big);
    cr_assert_not_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    cr_assert_eq(tl_mr_parse_device_page(huge, big, 1, NULL, &l, &info, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "limit"), "%s", err.msg);
    free(huge);

    /* many devices: all kept */
    tl_buf many;
    tl_buf_init(&many, 0);
    tl_buf_puts(&many, "{\"items\":[");
    for (int i = 0; i < 5000; i++)
        tl_buf_printf(&many, "%s{\"id\":\"d%d\",\"state\":\"ready\"}", i ? "," : "", i);
    tl_buf_puts(&many, "]}");
    cr_assert_eq(tl_mr_parse_device_page(many.data, many.len, 1, NULL, &l, &info, &err), TL_OK);
    cr_assert_eq(l.n, 5000);
    cr_assert_str_eq(l.items[4999].id, "d4999");
    tl_device_list_dispose(&l);
    tl_buf_dispose(&many);
}
