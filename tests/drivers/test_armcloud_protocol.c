/*
 * test_armcloud_protocol.c - the ArmCloud wire format (drivers/armcloud/protocol.h): both path
 * tables, ARMCLOUD_API and ARMCLOUD_BASE_URL parsing, the exact request bodies, the envelope
 * and every row of the error table, the task/preview/pad-list parsers, hostile bodies (wrong
 * shapes, invalid JSON, huge, deeply nested, random and mutated bytes: TL_EBADRESP naming the
 * operation, never a crash), the dump-output split, chunk boundaries and image checks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/armcloud/protocol.h"

#define LEN(s) (s), strlen(s)

/* ---- paths and configuration ---------------------------------------------------------------- */

Test(armcloud_protocol, path_tables)
{
    static const struct {
        enum tl_ac_op op;
        const char *armcloud, *vmos;
    } want[] = {
        {TL_AC_OP_SYNC_CMD, "/openapi/open/pad/syncCmd", "/vcpcloud/api/padApi/syncCmd"},
        {TL_AC_OP_ASYNC_CMD, "/openapi/open/pad/asyncCmd", "/vcpcloud/api/padApi/asyncCmd"},
        {TL_AC_OP_SCRIPT_INFO, "/task-center/open/task/executeScriptInfo",
         "/vcpcloud/api/padApi/executeScriptInfo"},
        {TL_AC_OP_PREVIEW, "/openapi/open/pad/generatePreview",
         "/vcpcloud/api/padApi/generatePreview"},
        {TL_AC_OP_START_APP, "/openapi/open/pad/startApp", "/vcpcloud/api/padApi/startApp"},
        {TL_AC_OP_STOP_APP, "/openapi/open/pad/stopApp", "/vcpcloud/api/padApi/stopApp"},
        {TL_AC_OP_APP_TASK_INFO, "/task-center/open/task/appOperateInfo",
         "/vcpcloud/api/padApi/appOperateInfo"},
        {TL_AC_OP_PAD_INFOS, "/openapi/open/pad/infos", "/vcpcloud/api/padApi/infos"},
    };
    cr_assert_eq(sizeof(want) / sizeof(want[0]), TL_AC_OP__COUNT, "every operation is checked");
    for (size_t i = 0; i < TL_AC_OP__COUNT; i++) {
        cr_assert_str_eq(tl_ac_path(TL_AC_API_ARMCLOUD, want[i].op), want[i].armcloud);
        cr_assert_str_eq(tl_ac_path(TL_AC_API_VMOS, want[i].op), want[i].vmos);
        /* the VMOS name is the last component of the ArmCloud path */
        const char *last = strrchr(want[i].armcloud, '/');
        cr_assert_str_eq(strrchr(want[i].vmos, '/'), last);
        cr_assert_str_eq(tl_ac_op_name(want[i].op), last + 1);
    }
    cr_assert_null(tl_ac_path(TL_AC_API_ARMCLOUD, TL_AC_OP__COUNT));
    cr_assert_null(tl_ac_path((enum tl_ac_api)7, TL_AC_OP_SYNC_CMD));
    cr_assert_str_eq(tl_ac_op_name(TL_AC_OP__COUNT), "?");
}

Test(armcloud_protocol, api_names)
{
    enum tl_ac_api api = TL_AC_API_VMOS;
    tl_error err;
    cr_assert_eq(tl_ac_api_parse(NULL, &api, &err), TL_OK);
    cr_assert_eq(api, TL_AC_API_ARMCLOUD);
    cr_assert_eq(tl_ac_api_parse("vmos", &api, &err), TL_OK);
    cr_assert_eq(api, TL_AC_API_VMOS);
    cr_assert_eq(tl_ac_api_parse("", &api, &err), TL_OK);
    cr_assert_eq(api, TL_AC_API_ARMCLOUD);
    cr_assert_eq(tl_ac_api_parse("armcloud", &api, &err), TL_OK);
    cr_assert_eq(tl_ac_api_parse("VMOS", &api, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_API"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "\"VMOS\""));
    cr_assert_str_eq(tl_ac_api_name(TL_AC_API_VMOS), "vmos");
}

static void base_ok(const char *in, const char *url, const char *host, bool https)
{
    tl_ac_base b;
    tl_error err;
    cr_assert_eq(tl_ac_base_parse(&b, in, &err), TL_OK, "%s: %s", in ? in : "(null)", err.msg);
    cr_assert_str_eq(b.url, url);
    cr_assert_str_eq(b.host, host);
    cr_assert_eq(b.https, https);
    tl_ac_base_dispose(&b);
}

static void base_bad(const char *in, const char *words)
{
    tl_ac_base b;
    tl_error err;
    cr_assert_eq(tl_ac_base_parse(&b, in, &err), TL_EUSAGE, "%s", in);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_BASE_URL"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, words), "%s: %s", in, err.msg);
    cr_assert_null(b.url);
}

Test(armcloud_protocol, base_url)
{
    base_ok(NULL, "https://openapi-hk.armcloud.net", "openapi-hk.armcloud.net", true);
    base_ok("", "https://openapi-hk.armcloud.net", "openapi-hk.armcloud.net", true);
    base_ok("https://api.xiaosuanyun.com/", "https://api.xiaosuanyun.com", "api.xiaosuanyun.com",
            true);
    base_ok("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080", false);
    base_ok("http://127.0.0.1:8080/gw/v1//", "http://127.0.0.1:8080/gw/v1", "127.0.0.1:8080",
            false);
    base_ok("https://[::1]:9443/p", "https://[::1]:9443/p", "[::1]:9443", true);
    base_bad("ftp://host", "https://");
    base_bad("openapi-hk.armcloud.net", "https://");
    base_bad("https://", "no host");
    base_bad("https:///path", "no host");
    base_bad("https://user:pw@host", "user:password@");
    base_bad("https://host/p?x=1", "query");
    base_bad("https://host#f", "query");
    base_bad("https://ho st", "invalid character");
    base_bad("https://host/a b", "space");

    tl_ac_base b;
    tl_error err;
    cr_assert_eq(tl_ac_base_parse(&b, "http://127.0.0.1:1/pre/", &err), TL_OK);
    tl_buf u;
    tl_buf_init(&u, 0);
    cr_assert_eq(tl_ac_url(&u, &b, TL_AC_API_ARMCLOUD, TL_AC_OP_SCRIPT_INFO), TL_OK);
    cr_assert_str_eq(u.data, "http://127.0.0.1:1/pre/task-center/open/task/executeScriptInfo");
    tl_buf_clear(&u);
    cr_assert_eq(tl_ac_url(&u, &b, TL_AC_API_VMOS, TL_AC_OP_SYNC_CMD), TL_OK);
    cr_assert_str_eq(u.data, "http://127.0.0.1:1/pre/vcpcloud/api/padApi/syncCmd");
    tl_buf_dispose(&u);
    tl_ac_base_dispose(&b);
    tl_ac_base_dispose(NULL);
}

Test(armcloud_protocol, request_bodies)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ac_body_sync_cmd(&b, "AC22030010001", "input tap 100 200"), TL_OK);
    /* the body of the post_syncCmd_armcloud_hk vector, byte for byte */
    cr_assert_str_eq(b.data,
                     "{\"padCode\":\"AC22030010001\",\"scriptContent\":\"input tap 100 200\"}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_async_cmd(&b, "P1", "echo 你好 'a\"b' \\ \n"), TL_OK);
    cr_assert_str_eq(b.data,
                     "{\"padCodes\":[\"P1\"],\"scriptContent\":\"echo 你好 'a\\\"b' \\\\ \\n\"}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_task_ids(&b, 123456789012LL), TL_OK);
    cr_assert_str_eq(b.data, "{\"taskIds\":[123456789012]}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_preview(&b, "P1"), TL_OK);
    cr_assert_str_eq(b.data, "{\"padCodes\":[\"P1\"],\"rotation\":0,\"broadcast\":false}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_app(&b, "P1", "com.android.settings"), TL_OK);
    cr_assert_str_eq(b.data, "{\"padCodes\":[\"P1\"],\"pkgName\":\"com.android.settings\"}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_pad_infos(&b, 2, 100, NULL), TL_OK);
    cr_assert_str_eq(b.data, "{\"page\":2,\"rows\":100}");
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_body_pad_infos(&b, 1, 10, "P1"), TL_OK);
    cr_assert_str_eq(b.data, "{\"page\":1,\"rows\":10,\"padCodes\":[\"P1\"]}");
    tl_buf_dispose(&b);
}

Test(armcloud_protocol, pad_codes)
{
    cr_assert(tl_ac_pad_code_valid("AC22030010001"));
    cr_assert(tl_ac_pad_code_valid("VP21020010391"));
    cr_assert_not(tl_ac_pad_code_valid(""));
    cr_assert_not(tl_ac_pad_code_valid(NULL));
    cr_assert_not(tl_ac_pad_code_valid("AC 1"));
    cr_assert_not(tl_ac_pad_code_valid("AC\n1"));
    cr_assert_not(tl_ac_pad_code_valid("AC\xc3\xa9"));
    char big[200];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_not(tl_ac_pad_code_valid(big));
}

/* ---- the envelope and its error table -------------------------------------------------------- */

Test(armcloud_protocol, error_table_maps_every_code)
{
    size_t n;
    const tl_ac_error_code *t = tl_ac_error_table(&n);
    cr_assert_geq(n, 20);
    for (size_t i = 0; i < n; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"code\":%ld,\"msg\":\"server words\",\"ts\":1,\"data\":null}", t[i].code);
        long code = 0;
        tl_error err;
        int rc = tl_ac_check_envelope(LEN(body), TL_AC_OP_SYNC_CMD, "AC22030010001", &code, &err);
        cr_assert_eq(rc, t[i].status, "code %ld", t[i].code);
        cr_assert_eq(code, t[i].code);
        cr_assert_eq(err.code, t[i].status);
        char num[16];
        snprintf(num, sizeof(num), "%ld", t[i].code);
        cr_assert_not_null(strstr(err.msg, num), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, t[i].meaning), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "syncCmd"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "server words"), "%s", err.msg);
        cr_assert_eq(tl_ac_error_lookup(t[i].code), &t[i]);
    }
    cr_assert_null(tl_ac_error_lookup(200));
    cr_assert_null(tl_ac_error_lookup(999999));
}

Test(armcloud_protocol, the_errors_a_user_meets)
{
    tl_error err;
    long code;
    const char *bad_key = "{\"code\":100004,\"msg\":\"Invalid key\",\"ts\":1717570297639}";
    cr_assert_eq(tl_ac_check_envelope(LEN(bad_key), TL_AC_OP_PAD_INFOS, NULL, &code, &err),
                 TL_EAUTH);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_AK"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_SK"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "infos"), "%s", err.msg);

    const char *no_pad = "{\"code\":110028,\"msg\":\"实例不存在\",\"ts\":1,\"data\":null}";
    cr_assert_eq(tl_ac_check_envelope(LEN(no_pad), TL_AC_OP_SYNC_CMD, "AC99", &code, &err),
                 TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "pad AC99"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Instance does not exist"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "实例不存在"), "server text kept: %s", err.msg);

    const char *slow = "{\"code\":110012,\"msg\":\"Command execution timeout\"}";
    cr_assert_eq(tl_ac_check_envelope(LEN(slow), TL_AC_OP_SYNC_CMD, "P", &code, &err), TL_ETIMEOUT);
    cr_assert_eq(code, 110012);

    const char *unknown = "{\"code\":123456,\"msg\":\"Something\\nodd\\u0007\"}";
    cr_assert_eq(tl_ac_check_envelope(LEN(unknown), TL_AC_OP_SYNC_CMD, "P", &code, &err),
                 TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "error 123456"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "control characters are not copied: %s", err.msg);
    cr_assert_null(strchr(err.msg, '\a'));

    /* a code as a string of digits is read too; 200 is success */
    cr_assert_eq(tl_ac_check_envelope(LEN("{\"code\":\"200\",\"data\":[]}"), TL_AC_OP_SYNC_CMD, "P",
                                      &code, &err),
                 TL_OK);
    cr_assert_eq(code, 200);

    /* a long msg is cut */
    char body[4096];
    char msg[3000];
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    snprintf(body, sizeof(body), "{\"code\":110003,\"msg\":\"%s\"}", msg);
    cr_assert_eq(tl_ac_check_envelope(LEN(body), TL_AC_OP_SYNC_CMD, "P", &code, &err),
                 TL_ENOTREADY);
    cr_assert_lt(strlen(err.msg), 500);
}

/* Bodies that are not the documented envelope: TL_EBADRESP naming the operation. */
Test(armcloud_protocol, hostile_envelopes)
{
    static const char *const bodies[] = {
        "",
        " ",
        "not json",
        "<html><body>502 Bad Gateway</body></html>",
        "[]",
        "\"string\"",
        "42",
        "null",
        "{}",
        "{\"msg\":\"success\",\"data\":[]}",
        "{\"code\":null}",
        "{\"code\":\"abc\"}",
        "{\"code\":200.5}",
        "{\"code\":1e300}",
        "{\"code\":[200]}",
        "{\"code\":{\"v\":200}}",
        "{\"code\":200,\"data\":[]} trailing",
        "{\"code\":200,\"data\":[",
        "{\"code\":200,",
        "{\"code\":\"99999999999999999999\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        tl_error err;
        long code = 7;
        int rc = tl_ac_check_envelope(LEN(bodies[i]), TL_AC_OP_PREVIEW, "P", &code, &err);
        cr_assert_eq(rc, TL_EBADRESP, "body %zu \"%s\" gave %d", i, bodies[i], rc);
        cr_assert_not_null(strstr(err.msg, "generatePreview"), "%s", err.msg);
    }
    /* NULL with length 0 */
    tl_error err;
    cr_assert_eq(tl_ac_check_envelope(NULL, 0, TL_AC_OP_SYNC_CMD, NULL, NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "empty"));
}

Test(armcloud_protocol, huge_and_deep_bodies)
{
    /* over the cap: refused before parsing */
    size_t n = TL_AC_MAX_BODY + 16;
    char *big = malloc(n);
    cr_assert_not_null(big);
    memset(big, ' ', n);
    memcpy(big, "{\"code\":200}", 12);
    tl_error err;
    cr_assert_eq(tl_ac_check_envelope(big, n, TL_AC_OP_SYNC_CMD, "P", NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "limit"), "%s", err.msg);
    free(big);

    /* nesting far deeper than any real answer: the parser's limit, not the stack */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 64);
    cr_assert_not_null(deep);
    size_t k = (size_t)sprintf(deep, "{\"code\":200,\"data\":");
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    tl_ac_task t;
    cr_assert_eq(tl_ac_parse_task(deep, k, TL_AC_OP_SYNC_CMD, "P", -1, &t, &err), TL_EBADRESP);
    free(deep);

    /* a large but legal output is returned whole */
    size_t out_n = (size_t)4 << 20;
    char *body = malloc(out_n + 256);
    cr_assert_not_null(body);
    k = (size_t)sprintf(body, "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskStatus\":3,"
                              "\"errorMsg\":\"");
    memset(body + k, 'a', out_n);
    k += out_n;
    k += (size_t)sprintf(body + k, "\"}]}");
    cr_assert_eq(tl_ac_parse_task(body, k, TL_AC_OP_SYNC_CMD, "P", -1, &t, &err), TL_OK, "%s",
                 err.msg);
    cr_assert_eq(t.output_len, out_n);
    tl_ac_task_dispose(&t);
    free(body);
}

/* ---- tasks ---------------------------------------------------------------------------------- */

static int task(const char *body, enum tl_ac_op op, const char *pad, long long id, tl_ac_task *t,
                tl_error *err)
{
    return tl_ac_parse_task(LEN(body), op, pad, id, t, err);
}

Test(armcloud_protocol, sync_output_fields)
{
    tl_ac_task t;
    tl_error err;
    /* the vendor's real examples: output in errorMsg */
    cr_assert_eq(task("{\"code\":200,\"msg\":\"success\",\"ts\":1,\"data\":[{\"taskId\":7,"
                      "\"padCode\":\"P\",\"taskStatus\":3,\"taskResult\":\"Success\","
                      "\"errorMsg\":\"Physical size: 1080x2400\\n\"}]}",
                      TL_AC_OP_SYNC_CMD, "P", -1, &t, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_str_eq(t.output, "Physical size: 1080x2400\n");
    cr_assert_eq(t.task_id, 7);
    cr_assert_eq(t.status, 3);
    cr_assert(t.has_status);
    cr_assert_eq(t.env_code, 200);
    tl_ac_task_dispose(&t);
    /* the reference's shape: output in taskResult, no taskStatus */
    cr_assert_eq(task("{\"code\":200,\"data\":[{\"taskId\":1,\"padCode\":\"P\",\"taskResult\":\"ls "
                      "output\"}]}",
                      TL_AC_OP_SYNC_CMD, "P", -1, &t, &err),
                 TL_OK);
    cr_assert_str_eq(t.output, "ls output");
    cr_assert_not(t.has_status);
    tl_ac_task_dispose(&t);
    /* an empty errorMsg does not hide taskResult; no output at all is "" */
    cr_assert_eq(task("{\"code\":200,\"data\":[{\"padCode\":\"P\",\"errorMsg\":\"\",\"taskResult\":"
                      "\"out\"}]}",
                      TL_AC_OP_SYNC_CMD, "P", -1, &t, &err),
                 TL_OK);
    cr_assert_str_eq(t.output, "out");
    tl_ac_task_dispose(&t);
    cr_assert_eq(task("{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskStatus\":-4,"
                      "\"errorMsg\":null}]}",
                      TL_AC_OP_SYNC_CMD, "P", -1, &t, &err),
                 TL_OK);
    cr_assert_str_eq(t.output, "");
    cr_assert_eq(t.status, TL_AC_TASK_TIMEOUT);
    cr_assert_eq(t.task_id, -1);
    tl_ac_task_dispose(&t);
}

Test(armcloud_protocol, task_selection)
{
    tl_ac_task t;
    tl_error err;
    const char *two = "{\"code\":200,\"data\":[{\"taskId\":14,\"padCode\":\"A\",\"vmStatus\":1},"
                      "{\"taskId\":15,\"padCode\":\"B\",\"vmStatus\":1}]}";
    cr_assert_eq(task(two, TL_AC_OP_ASYNC_CMD, "B", -1, &t, &err), TL_OK);
    cr_assert_eq(t.task_id, 15);
    cr_assert_eq(t.vm_status, 1);
    tl_ac_task_dispose(&t);
    cr_assert_eq(task(two, TL_AC_OP_SCRIPT_INFO, "A", 15, &t, &err), TL_OK);
    cr_assert_eq(t.task_id, 15);
    tl_ac_task_dispose(&t);
    cr_assert_eq(task(two, TL_AC_OP_ASYNC_CMD, "C", -1, &t, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "pad C"), "%s", err.msg);
    cr_assert(t.no_item);
    cr_assert_eq(task(two, TL_AC_OP_SCRIPT_INFO, "A", 99, &t, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "task 99"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "executeScriptInfo"), "%s", err.msg);
    /* data as one object, ids as strings */
    cr_assert_eq(task("{\"code\":200,\"data\":{\"taskId\":\"42\",\"padCode\":\"A\",\"taskStatus\":"
                      "\"2\"}}",
                      TL_AC_OP_SCRIPT_INFO, "A", 42, &t, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_eq(t.status, TL_AC_TASK_RUNNING);
    tl_ac_task_dispose(&t);
    /* an offline pad */
    cr_assert_eq(task("{\"code\":200,\"data\":[{\"taskId\":1,\"padCode\":\"A\",\"vmStatus\":0}]}",
                      TL_AC_OP_START_APP, "A", -1, &t, &err),
                 TL_ENOTREADY);
    cr_assert_not_null(strstr(err.msg, "offline"), "%s", err.msg);
    cr_assert_not(t.no_item);
    cr_assert_null(t.output, "nothing left to free after an error");
}

Test(armcloud_protocol, task_bodies_of_the_wrong_shape)
{
    static const char *const bodies[] = {
        "{\"code\":200}",
        "{\"code\":200,\"data\":null}",
        "{\"code\":200,\"data\":\"text\"}",
        "{\"code\":200,\"data\":5}",
        "{\"code\":200,\"data\":[]}",
        "{\"code\":200,\"data\":[1,2,\"x\",null]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"other\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskId\":\"x\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskId\":1.5}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskStatus\":9999}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"taskStatus\":[3]}]}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        tl_ac_task t;
        tl_error err;
        int rc = task(bodies[i], TL_AC_OP_SYNC_CMD, "P", -1, &t, &err);
        cr_assert_eq(rc, TL_EBADRESP, "%s gave %d", bodies[i], rc);
        cr_assert_not_null(strstr(err.msg, "syncCmd"), "%s", err.msg);
        cr_assert_null(t.output);
    }
    cr_assert(tl_ac_task_final(3));
    cr_assert(tl_ac_task_final(-4));
    cr_assert_not(tl_ac_task_final(1));
    cr_assert_not(tl_ac_task_final(2));
    cr_assert_str_eq(tl_ac_task_status_text(-4), "timed out");
    cr_assert_str_eq(tl_ac_task_status_text(77), "in an unknown state");
}

/* ---- previews and pad lists ----------------------------------------------------------------- */

Test(armcloud_protocol, previews)
{
    char *url = NULL;
    tl_error err;
    cr_assert_eq(
        tl_ac_parse_preview(LEN("{\"code\":200,\"msg\":\"success\",\"data\":[{\"padCode\":"
                                "\"AC11010000031\",\"accessUrl\":\"http://xxx.armcloud.png\"}"
                                "]}"),
                            "AC11010000031", &url, &err),
        TL_OK, "%s", err.msg);
    cr_assert_str_eq(url, "http://xxx.armcloud.png");
    free(url);
    static const char *const bad[] = {
        "{\"code\":200,\"data\":[]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"accessUrl\":\"\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"accessUrl\":\"file:///etc/passwd\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"accessUrl\":\"http://a b\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"accessUrl\":7}]}",
        "{\"code\":200}",
        "{\"code\":200,\"data\":\"http://x\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        url = (char *)1;
        cr_assert_eq(tl_ac_parse_preview(LEN(bad[i]), "P", &url, &err), TL_EBADRESP, "%s", bad[i]);
        cr_assert_null(url);
        cr_assert_not_null(strstr(err.msg, "generatePreview"), "%s", err.msg);
    }
    cr_assert_eq(tl_ac_parse_preview(LEN("{\"code\":110028}"), "P9", &url, &err), TL_ENOTFOUND);
    cr_assert_not_null(strstr(err.msg, "P9"));
}

Test(armcloud_protocol, pad_lists)
{
    const char *body =
        "{\"code\":200,\"msg\":\"success\",\"data\":{\"page\":1,\"rows\":2,\"size\":2,"
        "\"total\":3,\"totalPage\":2,\"pageData\":["
        "{\"padCode\":\"AC22030010001\",\"padGrade\":\"q2-4\",\"padStatus\":10,"
        "\"padIp\":\"iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r\"},"
        "{\"padCode\":\"VP21020010391\",\"padGrade\":\"q1-2\",\"padStatus\":\"14\","
        "\"padIp\":\"10.0.0.7\",\"apps\":[\"armcloud001\"]}]}}";
    tl_device_list l = {0};
    tl_ac_page pg;
    tl_error err;
    cr_assert_eq(tl_ac_parse_pad_infos(LEN(body), &l, &pg, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(pg.rows, 2);
    cr_assert_eq(pg.page, 1);
    cr_assert_eq(pg.total_page, 2);
    cr_assert_str_eq(l.items[0].id, "AC22030010001");
    cr_assert_str_eq(l.items[0].state, "running");
    cr_assert_str_eq(l.items[0].type, "q2-4");
    cr_assert_str_eq(l.items[0].name, "47.92.204.33:5000", "the encrypted padIp is decrypted");
    cr_assert(l.items[0].ready);
    cr_assert_str_eq(l.items[1].state, "abnormal");
    cr_assert_str_eq(l.items[1].name, "10.0.0.7");
    cr_assert_not(l.items[1].ready);
    tl_device_list_dispose(&l);

    /* an empty page; unknown statuses in words */
    cr_assert_eq(tl_ac_parse_pad_infos(LEN("{\"code\":200,\"data\":{\"page\":3,\"pageData\":[]}}"),
                                       &l, &pg, &err),
                 TL_OK);
    cr_assert_eq(l.n, 0);
    cr_assert_eq(pg.rows, 0);
    cr_assert_eq(tl_ac_parse_pad_infos(LEN("{\"code\":200,\"data\":{\"pageData\":[{\"padCode\":"
                                           "\"X1\",\"padStatus\":42}]}}"),
                                       &l, &pg, &err),
                 TL_OK);
    cr_assert_str_eq(l.items[0].state, "status 42");
    cr_assert_str_eq(l.items[0].type, "");
    tl_device_list_dispose(&l);
    char buf[16];
    cr_assert_str_eq(tl_ac_pad_status_text(11, buf, sizeof(buf)), "restarting");
    cr_assert_str_eq(tl_ac_pad_status_text(15, buf, sizeof(buf)), "not ready");

    static const char *const bad[] = {
        "{\"code\":200}",
        "{\"code\":200,\"data\":[]}",
        "{\"code\":200,\"data\":{\"pageData\":{}}}",
        "{\"code\":200,\"data\":{\"pageData\":[{\"padStatus\":10}]}}",
        "{\"code\":200,\"data\":{\"pageData\":[{\"padCode\":\"A B\"}]}}",
        "{\"code\":200,\"data\":{\"pageData\":[7]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tl_ac_parse_pad_infos(LEN(bad[i]), &l, &pg, &err), TL_EBADRESP, "%s", bad[i]);
        cr_assert_not_null(strstr(err.msg, "infos"), "%s", err.msg);
        tl_device_list_dispose(&l);
    }
    cr_assert_eq(
        tl_ac_parse_pad_infos(LEN("{\"code\":100004,\"msg\":\"Invalid key\"}"), &l, &pg, &err),
        TL_EAUTH);
}

/* ---- random and mutated bodies never crash ----------------------------------------------------
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void feed_all(const char *body, size_t len)
{
    static const int allowed[] = {TL_OK,       TL_EBADRESP,  TL_EAUTH,     TL_ENOTFOUND,
                                  TL_ETIMEOUT, TL_ENOTREADY, TL_EREJECTED, TL_EUNSUPPORTED};
    tl_error err;
    int rcs[4];
    tl_ac_task t;
    rcs[0] = tl_ac_parse_task(body, len, TL_AC_OP_SYNC_CMD, "P", -1, &t, &err);
    if (rcs[0] == TL_OK)
        tl_ac_task_dispose(&t);
    char *url = NULL;
    rcs[1] = tl_ac_parse_preview(body, len, "P", &url, &err);
    free(url);
    tl_device_list l = {0};
    tl_ac_page pg;
    rcs[2] = tl_ac_parse_pad_infos(body, len, &l, &pg, &err);
    tl_device_list_dispose(&l);
    rcs[3] = tl_ac_check_envelope(body, len, TL_AC_OP_ASYNC_CMD, "P", NULL, &err);
    for (int i = 0; i < 4; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
            ok |= rcs[i] == allowed[k];
        cr_assert(ok, "parser %d returned %d", i, rcs[i]);
    }
}

Test(armcloud_protocol, random_and_mutated_bodies)
{
    static const char *const seeds[] = {
        "{\"code\":200,\"msg\":\"success\",\"ts\":1,\"data\":[{\"taskId\":1,\"padCode\":\"P\","
        "\"taskStatus\":3,\"taskResult\":\"Success\",\"errorMsg\":\"out\"}]}",
        "{\"code\":200,\"data\":[{\"padCode\":\"P\",\"accessUrl\":\"http://h/x.png\"}]}",
        "{\"code\":200,\"data\":{\"page\":1,\"totalPage\":1,\"pageData\":[{\"padCode\":\"P\","
        "\"padStatus\":10,\"padGrade\":\"q\",\"padIp\":\"iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/"
        "F3VSUVWBwLFQZH/HOCjLAI95r\"}]}}",
        "{\"code\":110028,\"msg\":\"Instance does not exist\"}",
    };
    char buf[512];
    for (int round = 0; round < 4000; round++) {
        const char *s = seeds[round % 4];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = rnd() % n;
            switch (rnd() % 3) {
            case 0: buf[at] = (char)(rnd() & 0xff); break;
            case 1:
                n = at; /* truncate */
                break;
            default: buf[at] = "{}[]\",:0-\\u"[rnd() % 11];
            }
            if (n == 0)
                break;
        }
        feed_all(buf, n);
    }
    for (int round = 0; round < 1000; round++) {
        size_t n = rnd() % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rnd() & 0xff);
        feed_all(buf, n);
    }
}

/* ---- command output ------------------------------------------------------------------------- */

Test(armcloud_protocol, dump_output_split)
{
    const char *out = "UI hierchary dumped to: /sdcard/window_dump.xml\n1234\n<?xml version=";
    size_t size = 0, off = 0, head = 7;
    tl_error err;
    cr_assert_eq(tl_ac_split_dump_output(LEN(out), &head, &size, &off, &err), TL_OK);
    cr_assert_eq(size, 1234);
    cr_assert_eq(head, 0);
    cr_assert_str_eq(out + off, "<?xml version=");
    /* what the commands before the dump printed */
    const char *wm = "Physical size: 1080x2400\nUI hierchary dumped to: /x\n9\n<hierarchy";
    cr_assert_eq(tl_ac_split_dump_output(LEN(wm), &head, &size, &off, &err), TL_OK);
    cr_assert_eq(head, strlen("Physical size: 1080x2400\n"));
    cr_assert_eq(size, 9);
    /* CRLF, and a warning line before the size */
    const char *crlf = "UI hierchary dumped to: /x\r\nWARNING: slow\r\n17\r\n<hierarchy/>";
    cr_assert_eq(tl_ac_split_dump_output(LEN(crlf), &head, &size, &off, &err), TL_OK);
    cr_assert_eq(size, 17);
    cr_assert_str_eq(crlf + off, "<hierarchy/>");
    /* an empty file: the size line ends the output */
    const char *empty = "UI hierchary dumped to: /x\n0\n";
    cr_assert_eq(tl_ac_split_dump_output(LEN(empty), &head, &size, &off, &err), TL_OK);
    cr_assert_eq(size, 0);
    cr_assert_eq(off, strlen(empty));
    static const char *const bad[] = {"", "UI hierchary dumped to: /x", "dumped to\nabc\n",
                                      "1234\n<?xml", "dumped to\n99999999999999999\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(tl_ac_split_dump_output(LEN(bad[i]), &head, &size, &off, &err), TL_EBADRESP,
                     "%s", bad[i]);
}

Test(armcloud_protocol, chunk_boundaries)
{
    /* a whole last chunk is kept as is */
    cr_assert_eq(tl_ac_chunk_keep(LEN("abc"), 3, true), 3);
    /* ASCII: nothing to cut */
    cr_assert_eq(tl_ac_chunk_keep(LEN("abcd"), 4, false), 4);
    /* 你 is E4 BD A0: cut in two, the raw tail is dropped and read again */
    cr_assert_eq(tl_ac_chunk_keep("ab\xe4\xbd", 4, 4, false), 2);
    cr_assert_eq(tl_ac_chunk_keep("ab\xe4", 3, 3, false), 2);
    cr_assert_eq(tl_ac_chunk_keep("ab\xe4\xbd\xa0", 5, 5, false), 5);
    /* a 4-byte character (U+1F4F7) cut after 3 bytes */
    cr_assert_eq(tl_ac_chunk_keep("a\xf0\x9f\x93", 4, 4, false), 1);
    /* what a server decoding as UTF-8 sends for the cut character: U+FFFD */
    cr_assert_eq(tl_ac_chunk_keep("ab\xef\xbf\xbd", 5, 4, false), 2);
    /* a short last chunk (the server cut the output) is treated like a middle one */
    cr_assert_eq(tl_ac_chunk_keep("ab\xe4\xbd", 4, 100, true), 2);
    /* nothing usable */
    cr_assert_eq(tl_ac_chunk_keep("\xef\xbf\xbd", 3, 3, false), 0);
    cr_assert_eq(tl_ac_chunk_keep("", 0, 10, false), 0);
}

Test(armcloud_protocol, image_checks)
{
    unsigned char png[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                             'I',  'H', 'D', 'R', 0,    0,    4,    56,   0, 0, 9, 96};
    const char *type = NULL;
    tl_error err;
    cr_assert_eq(tl_ac_image_type(png, sizeof(png), &type, &err), TL_OK, "%s", err.msg);
    cr_assert_str_eq(type, "image/png");
    cr_assert_eq(tl_ac_image_type(png, 20, &type, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "truncated PNG"));
    png[18] = png[19] = 0;
    cr_assert_eq(tl_ac_image_type(png, sizeof(png), &type, &err), TL_EBADRESP);
    unsigned char jpeg[200] = {0xFF, 0xD8, 0xFF, 0xE0};
    cr_assert_eq(tl_ac_image_type(jpeg, sizeof(jpeg), &type, &err), TL_OK);
    cr_assert_str_eq(type, "image/jpeg");
    cr_assert_eq(tl_ac_image_type(jpeg, 10, &type, &err), TL_EBADRESP);
    cr_assert_eq(tl_ac_image_type(LEN("<html>404</html>"), &type, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "HTML"), "%s", err.msg);
    cr_assert_eq(tl_ac_image_type(LEN("{\"code\":404}"), &type, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "JSON"), "%s", err.msg);
    cr_assert_eq(tl_ac_image_type("", 0, &type, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "empty"), "%s", err.msg);
    cr_assert_null(type);
}
