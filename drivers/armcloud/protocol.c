/*
 * protocol.c - the ArmCloud OpenAPI wire format (see protocol.h): path tables, request bodies,
 * the envelope and its error table, and the response parsers.
 *
 * Every response goes through parse_envelope(), which turns the body into a cJSON tree and
 * checks `code`; the parsers then walk `data` with small typed accessors (get_string,
 * get_integer) that accept only the documented types (an integer may also come as a string of
 * digits, as some of the vendor's servers send), so that a hostile body can only ever produce
 * TL_EBADRESP with a message naming the operation and the field.
 */
#include "drivers/armcloud/protocol.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/str.h"
#include "core/utf8.h"
#include "drivers/armcloud/sign.h"

/* ---- paths --------------------------------------------------------------------------------- */

static const char *const op_names[TL_AC_OP__COUNT] = {
    [TL_AC_OP_SYNC_CMD] = "syncCmd",
    [TL_AC_OP_ASYNC_CMD] = "asyncCmd",
    [TL_AC_OP_SCRIPT_INFO] = "executeScriptInfo",
    [TL_AC_OP_PREVIEW] = "generatePreview",
    [TL_AC_OP_START_APP] = "startApp",
    [TL_AC_OP_STOP_APP] = "stopApp",
    [TL_AC_OP_APP_TASK_INFO] = "appOperateInfo",
    [TL_AC_OP_PAD_INFOS] = "infos",
};

/* The reference's relative paths (/pad/..., /task/...) under the real service's prefixes. */
static const char *const armcloud_paths[TL_AC_OP__COUNT] = {
    [TL_AC_OP_SYNC_CMD] = "/openapi/open/pad/syncCmd",
    [TL_AC_OP_ASYNC_CMD] = "/openapi/open/pad/asyncCmd",
    [TL_AC_OP_SCRIPT_INFO] = "/task-center/open/task/executeScriptInfo",
    [TL_AC_OP_PREVIEW] = "/openapi/open/pad/generatePreview",
    [TL_AC_OP_START_APP] = "/openapi/open/pad/startApp",
    [TL_AC_OP_STOP_APP] = "/openapi/open/pad/stopApp",
    [TL_AC_OP_APP_TASK_INFO] = "/task-center/open/task/appOperateInfo",
    [TL_AC_OP_PAD_INFOS] = "/openapi/open/pad/infos",
};

/* VMOS Cloud: every operation under one prefix, by its last name. */
static const char *const vmos_paths[TL_AC_OP__COUNT] = {
    [TL_AC_OP_SYNC_CMD] = "/vcpcloud/api/padApi/syncCmd",
    [TL_AC_OP_ASYNC_CMD] = "/vcpcloud/api/padApi/asyncCmd",
    [TL_AC_OP_SCRIPT_INFO] = "/vcpcloud/api/padApi/executeScriptInfo",
    [TL_AC_OP_PREVIEW] = "/vcpcloud/api/padApi/generatePreview",
    [TL_AC_OP_START_APP] = "/vcpcloud/api/padApi/startApp",
    [TL_AC_OP_STOP_APP] = "/vcpcloud/api/padApi/stopApp",
    [TL_AC_OP_APP_TASK_INFO] = "/vcpcloud/api/padApi/appOperateInfo",
    [TL_AC_OP_PAD_INFOS] = "/vcpcloud/api/padApi/infos",
};

int tl_ac_api_parse(const char *s, enum tl_ac_api *out, tl_error *err)
{
    if (!s || !s[0] || strcmp(s, "armcloud") == 0) {
        *out = TL_AC_API_ARMCLOUD;
        return TL_OK;
    }
    if (strcmp(s, "vmos") == 0) {
        *out = TL_AC_API_VMOS;
        return TL_OK;
    }
    return tl_error_set(err, TL_EUSAGE,
                        "ARMCLOUD_API must be armcloud (the default) or vmos, not \"%.64s\"", s);
}

const char *tl_ac_api_name(enum tl_ac_api api)
{
    return api == TL_AC_API_VMOS ? "vmos" : "armcloud";
}

const char *tl_ac_path(enum tl_ac_api api, enum tl_ac_op op)
{
    if ((unsigned)op >= TL_AC_OP__COUNT)
        return NULL;
    if (api == TL_AC_API_ARMCLOUD)
        return armcloud_paths[op];
    if (api == TL_AC_API_VMOS)
        return vmos_paths[op];
    return NULL;
}

const char *tl_ac_op_name(enum tl_ac_op op)
{
    return (unsigned)op < TL_AC_OP__COUNT ? op_names[op] : "?";
}

/* ---- the base URL ---------------------------------------------------------------------------- */

void tl_ac_base_dispose(tl_ac_base *b)
{
    if (!b)
        return;
    free(b->url);
    free(b->host);
    b->url = NULL;
    b->host = NULL;
}

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '[' || c == ']' ||
           c == ':';
}

int tl_ac_base_parse(tl_ac_base *out, const char *url, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!url || !url[0])
        url = TL_AC_DEFAULT_BASE;
    const char *rest;
    if (strncmp(url, "https://", 8) == 0) {
        out->https = true;
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        rest = url + 7;
    } else {
        return tl_error_set(err, TL_EUSAGE,
                            "ARMCLOUD_BASE_URL must start with https:// or http:// (e.g. %s)",
                            TL_AC_DEFAULT_BASE);
    }
    size_t hlen = strcspn(rest, "/?#");
    if (hlen == 0)
        return tl_error_set(err, TL_EUSAGE, "ARMCLOUD_BASE_URL has no host (e.g. %s)",
                            TL_AC_DEFAULT_BASE);
    for (size_t i = 0; i < hlen; i++) {
        if (rest[i] == '@')
            return tl_error_set(err, TL_EUSAGE,
                                "ARMCLOUD_BASE_URL must not contain user:password@ (credentials "
                                "come from ARMCLOUD_AK and ARMCLOUD_SK)");
        if (!host_char(rest[i]))
            return tl_error_set(err, TL_EUSAGE,
                                "ARMCLOUD_BASE_URL: invalid character in the host part");
    }
    const char *path = rest + hlen;
    if (strpbrk(path, "?#"))
        return tl_error_set(err, TL_EUSAGE,
                            "ARMCLOUD_BASE_URL must not have a query or fragment (only scheme, "
                            "host, port and a path prefix)");
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return tl_error_set(err, TL_EUSAGE,
                                "ARMCLOUD_BASE_URL: space or control character in the path");
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    size_t scheme = (size_t)(rest - url);
    out->host = tl_strndup(rest, hlen);
    out->url = tl_strndup(url, scheme + hlen + plen);
    if (!out->host || !out->url) {
        tl_ac_base_dispose(out);
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    return TL_OK;
}

int tl_ac_url(tl_buf *out, const tl_ac_base *b, enum tl_ac_api api, enum tl_ac_op op)
{
    const char *path = tl_ac_path(api, op);
    if (!path)
        return TL_EUSAGE;
    return tl_buf_printf(out, "%s%s", b->url, path);
}

/* ---- request bodies ------------------------------------------------------------------------ */

int tl_ac_body_sync_cmd(tl_buf *out, const char *pad, const char *script)
{
    int rc = tl_buf_puts(out, "{\"padCode\":");
    rc |= tl_json_cstr(out, pad);
    rc |= tl_buf_puts(out, ",\"scriptContent\":");
    rc |= tl_json_cstr(out, script);
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ac_body_async_cmd(tl_buf *out, const char *pad, const char *script)
{
    int rc = tl_buf_puts(out, "{\"padCodes\":[");
    rc |= tl_json_cstr(out, pad);
    rc |= tl_buf_puts(out, "],\"scriptContent\":");
    rc |= tl_json_cstr(out, script);
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ac_body_task_ids(tl_buf *out, long long task_id)
{
    return tl_buf_printf(out, "{\"taskIds\":[%lld]}", task_id) ? TL_ENOMEM : TL_OK;
}

int tl_ac_body_preview(tl_buf *out, const char *pad)
{
    int rc = tl_buf_puts(out, "{\"padCodes\":[");
    rc |= tl_json_cstr(out, pad);
    rc |= tl_buf_puts(out, "],\"rotation\":0,\"broadcast\":false}");
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ac_body_app(tl_buf *out, const char *pad, const char *package)
{
    int rc = tl_buf_puts(out, "{\"padCodes\":[");
    rc |= tl_json_cstr(out, pad);
    rc |= tl_buf_puts(out, "],\"pkgName\":");
    rc |= tl_json_cstr(out, package);
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

int tl_ac_body_pad_infos(tl_buf *out, int page, int rows, const char *pad)
{
    int rc = tl_buf_printf(out, "{\"page\":%d,\"rows\":%d", page, rows);
    if (pad) {
        rc |= tl_buf_puts(out, ",\"padCodes\":[");
        rc |= tl_json_cstr(out, pad);
        rc |= tl_buf_putc(out, ']');
    }
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- the error table ----------------------------------------------------------------------- */

/* The codes of the reference's error tables, with what a caller can do about each. */
static const tl_ac_error_code error_table[] = {
    {10001, TL_ENOTREADY, "Reboot failed", "contact the administrator"},
    {10002, TL_ENOTREADY, "Reset failed", "contact the administrator"},
    {100001, TL_EAUTH, "No access",
     "the account has no server room here: check ARMCLOUD_BASE_URL (overseas or mainland "
     "service) and the account"},
    {100004, TL_EAUTH, "Invalid key",
     "the signature was rejected: check ARMCLOUD_AK and ARMCLOUD_SK, and that this machine's "
     "clock is right"},
    {100010, TL_ENOTREADY, "Processing failed", "try again"},
    {110001, TL_ENOTREADY, "Screenshot failed", "try again"},
    {110003, TL_ENOTREADY, "Failed to execute ADB command", "try again later"},
    {110004, TL_ENOTREADY, "Failed to execute reboot command", "reboot again later"},
    {110005, TL_ENOTREADY, "Failed to execute reset command", "reset again later"},
    {110006, TL_EBADRESP, "Download failed", NULL},
    {110007, TL_EREJECTED, "Failed to uninstall application", "try again later"},
    {110008, TL_EREJECTED, "Failed to launch application",
     "is the app installed? The reference advises rebooting the pad and launching it again"},
    {110009, TL_EREJECTED, "Failed to restart the application",
     "restart the pad, then start the application again"},
    {110010, TL_EREJECTED, "Failed to stop the application", "restart the pad"},
    {110011, TL_ENOTREADY, "Failed to execute modify attribute command", "try again later"},
    {110012, TL_ETIMEOUT, "Command execution timeout", "try again later"},
    {110027, TL_EBADRESP, "Duplicate item in the instance number set", NULL},
    {110028, TL_ENOTFOUND, "Instance does not exist",
     "check --device against `taploop devices --driver armcloud`"},
    {110039, TL_ENOTREADY, "Task add failed", "try again"},
    {110040, TL_EAUTH, "Account does not exist", "check ARMCLOUD_AK"},
    {120004, TL_ENOTREADY, "Abort push error, command service exception", "try again later"},
    {120005, TL_ENOTFOUND, "Instance does not exist",
     "check --device against `taploop devices --driver armcloud`"},
    {120007, TL_EUNSUPPORTED, "This interface does not support this feature at the moment", NULL},
};

const tl_ac_error_code *tl_ac_error_lookup(long code)
{
    for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
        if (error_table[i].code == code)
            return &error_table[i];
    return NULL;
}

const tl_ac_error_code *tl_ac_error_table(size_t *n)
{
    *n = sizeof(error_table) / sizeof(error_table[0]);
    return error_table;
}

/* ---- JSON helpers -------------------------------------------------------------------------- */

/* A server string quoted in a message: at most 160 bytes, valid UTF-8, control characters as
 * spaces. */
static void excerpt(const char *s, char *out, size_t size)
{
    size_t n = 0, max = size - 1 < 160 ? size - 1 : 160;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && n < max) {
        uint32_t cp;
        size_t l = *p < 0x80 ? 1 : tl_utf8_decode(p, strlen((const char *)p), &cp);
        if (l == 0 || n + l > max)
            break;
        if (l == 1)
            out[n++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
        else {
            memcpy(out + n, p, l);
            n += l;
        }
        p += l;
    }
    out[n] = '\0';
    if (*p && size > 4 && n + 3 < size)
        strcat(out, "...");
}

/* An integer member: a JSON number without a fraction, or a string of digits (with an optional
 * '-'). @return true and *out when present and well-formed. */
static bool get_integer(const cJSON *obj, const char *name, long long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= -9.0e15 && d <= 9.0e15) || d != (double)(long long)d)
            return false;
        *out = (long long)d;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring && v->valuestring[0]) {
        const char *s = v->valuestring;
        size_t i = s[0] == '-' ? 1 : 0;
        if (!s[i] || strlen(s + i) > 15)
            return false;
        for (size_t k = i; s[k]; k++)
            if (!isdigit((unsigned char)s[k]))
                return false;
        errno = 0;
        *out = strtoll(s, NULL, 10);
        return errno == 0;
    }
    return false;
}

static bool has_member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return v && !cJSON_IsNull(v);
}

/* A string member, or NULL (absent, null, not a string). Borrowed from obj. */
static const char *get_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Parse the body and check the envelope. On TL_OK, *root is the tree (caller frees with
 * cJSON_Delete) and *data its `data` member (may be NULL). */
static int parse_envelope(const char *body, size_t len, enum tl_ac_op op, const char *pad,
                          long *code_out, cJSON **root, const cJSON **data, tl_error *err)
{
    const char *name = tl_ac_op_name(op);
    *root = NULL;
    if (data)
        *data = NULL;
    if (code_out)
        *code_out = 0;
    if (!body || len == 0)
        return tl_error_set(err, TL_EBADRESP, "armcloud: %s: empty response body", name);
    if (len > TL_AC_MAX_BODY)
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s: response body of %zu bytes is over the %zu MiB limit",
                            name, len, TL_AC_MAX_BODY >> 20);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!doc) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s: the response is not JSON (error near byte %zu)", name,
                            at);
    }
    for (const char *p = end; p && p < body + len; p++)
        if (!isspace((unsigned char)*p) && *p != '\0') {
            cJSON_Delete(doc);
            return tl_error_set(err, TL_EBADRESP,
                                "armcloud: %s: the response has data after its JSON value "
                                "(byte %zu)",
                                name, (size_t)(p - body));
        }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s: the response is not a JSON object with code, msg and "
                            "data",
                            name);
    }
    long long code;
    if (!get_integer(doc, "code", &code)) {
        cJSON_Delete(doc);
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s: the response has no integer \"code\" (not an "
                            "ArmCloud OpenAPI envelope: check ARMCLOUD_BASE_URL)",
                            name);
    }
    if (code_out)
        *code_out = code < -2147483647LL || code > 2147483647LL ? 0 : (long)code;
    if (code != 200) {
        char msg[200];
        excerpt(get_string(doc, "msg"), msg, sizeof(msg));
        const tl_ac_error_code *e = tl_ac_error_lookup((long)code);
        int rc;
        if (!e)
            rc =
                tl_error_set(err, TL_EBADRESP, "armcloud: %s: error %lld: \"%s\"", name, code, msg);
        else if (e->status == TL_ENOTFOUND && pad)
            rc =
                tl_error_set(err, e->status, "armcloud: %s: error %lld (%s): pad %.64s: \"%s\"; %s",
                             name, code, e->meaning, pad, msg, e->advice);
        else
            rc = tl_error_set(err, e->status, "armcloud: %s: error %lld (%s): \"%s\"%s%s", name,
                              code, e->meaning, msg, e->advice ? "; " : "",
                              e->advice ? e->advice : "");
        cJSON_Delete(doc);
        return rc;
    }
    *root = doc;
    if (data) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "data");
        *data = d && !cJSON_IsNull(d) ? d : NULL;
    }
    return TL_OK;
}

int tl_ac_check_envelope(const char *body, size_t len, enum tl_ac_op op, const char *pad,
                         long *code, tl_error *err)
{
    cJSON *root = NULL;
    int rc = parse_envelope(body, len, op, pad, code, &root, NULL, err);
    cJSON_Delete(root);
    return rc;
}

/* ---- tasks --------------------------------------------------------------------------------- */

void tl_ac_task_dispose(tl_ac_task *t)
{
    if (!t)
        return;
    free(t->output);
    t->output = NULL;
    t->output_len = 0;
}

bool tl_ac_task_final(int status)
{
    return status == TL_AC_TASK_DONE || status < 0;
}

const char *tl_ac_task_status_text(int status)
{
    switch (status) {
    case TL_AC_TASK_PENDING: return "pending";
    case TL_AC_TASK_RUNNING: return "running";
    case TL_AC_TASK_DONE: return "done";
    case TL_AC_TASK_FAILED: return "failed";
    case TL_AC_TASK_PARTIAL: return "partly failed";
    case TL_AC_TASK_CANCELED: return "canceled";
    case TL_AC_TASK_TIMEOUT: return "timed out";
    default: return "in an unknown state";
    }
}

/* The item of `data` for a task id (>= 0) or else a pad: data may be one object or an array of
 * them. An item without padCode matches any pad. */
static const cJSON *find_item(const cJSON *data, const char *pad, long long task_id)
{
    const cJSON *first = NULL;
    bool array = cJSON_IsArray(data);
    for (const cJSON *it = array ? data->child : data; it; it = array ? it->next : NULL) {
        if (!cJSON_IsObject(it))
            continue;
        long long id;
        if (task_id >= 0) {
            if (get_integer(it, "taskId", &id) && id == task_id)
                return it;
            continue;
        }
        const char *p = get_string(it, "padCode");
        if (p && pad && strcmp(p, pad) == 0)
            return it;
        if (!has_member(it, "padCode") && !first)
            first = it;
    }
    return first;
}

int tl_ac_parse_task(const char *body, size_t len, enum tl_ac_op op, const char *pad,
                     long long task_id, tl_ac_task *out, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    out->task_id = -1;
    out->vm_status = -1;
    const char *name = tl_ac_op_name(op);
    cJSON *root = NULL;
    const cJSON *data = NULL;
    int rc = parse_envelope(body, len, op, pad, &out->env_code, &root, &data, err);
    if (rc)
        return rc;
    if (!data) {
        rc = tl_error_set(err, TL_EBADRESP, "armcloud: %s: the response has no \"data\"", name);
        goto done;
    }
    if (!cJSON_IsArray(data) && !cJSON_IsObject(data)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: %s: \"data\" is neither a list of tasks nor a task", name);
        goto done;
    }
    const cJSON *it = find_item(data, pad, task_id);
    if (!it) {
        out->no_item = true;
        if (task_id >= 0)
            rc = tl_error_set(err, TL_EBADRESP, "armcloud: %s: the response has no task %lld", name,
                              task_id);
        else
            rc = tl_error_set(err, TL_EBADRESP,
                              "armcloud: %s: the response has no task for pad %.64s", name,
                              pad ? pad : "?");
        goto done;
    }
    long long v;
    if (get_integer(it, "taskId", &v))
        out->task_id = v;
    else if (has_member(it, "taskId")) {
        rc = tl_error_set(err, TL_EBADRESP, "armcloud: %s: \"taskId\" is not an integer", name);
        goto done;
    }
    if (get_integer(it, "taskStatus", &v) && v >= -100 && v <= 100) {
        out->status = (int)v;
        out->has_status = true;
    } else if (has_member(it, "taskStatus")) {
        rc = tl_error_set(err, TL_EBADRESP, "armcloud: %s: \"taskStatus\" is not a small integer",
                          name);
        goto done;
    }
    if (get_integer(it, "vmStatus", &v))
        out->vm_status = v == 0 ? 0 : 1;
    const char *msg = get_string(it, "errorMsg");
    const char *result = get_string(it, "taskResult");
    const char *text = msg && msg[0] ? msg : result ? result : "";
    out->output_len = strlen(text);
    out->output = tl_strndup(text, out->output_len);
    if (!out->output) {
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: %s: out of memory", name);
        goto done;
    }
    if (out->vm_status == 0)
        rc = tl_error_set(err, TL_ENOTREADY,
                          "armcloud: %s: pad %.64s is offline (vmStatus 0); start it in the "
                          "console, or wait for it",
                          name, pad ? pad : "?");
done:
    cJSON_Delete(root);
    if (rc)
        tl_ac_task_dispose(out);
    return rc;
}

/* ---- previews ------------------------------------------------------------------------------ */

int tl_ac_parse_preview(const char *body, size_t len, const char *pad, char **url, tl_error *err)
{
    *url = NULL;
    cJSON *root = NULL;
    const cJSON *data = NULL;
    int rc = parse_envelope(body, len, TL_AC_OP_PREVIEW, pad, NULL, &root, &data, err);
    if (rc)
        return rc;
    const cJSON *it =
        data && (cJSON_IsArray(data) || cJSON_IsObject(data)) ? find_item(data, pad, -1) : NULL;
    const char *u = it ? get_string(it, "accessUrl") : NULL;
    if (!data)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: generatePreview: the response has no "
                          "\"data\"");
    else if (!it)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: generatePreview: the response has no preview for pad %.64s",
                          pad ? pad : "?");
    else if (!u || !u[0])
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: generatePreview: the preview has no \"accessUrl\" string");
    else if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: generatePreview: \"accessUrl\" is not an http(s) URL");
    else if (strlen(u) > 8192 || strpbrk(u, " \t\r\n"))
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: generatePreview: \"accessUrl\" is too long or has spaces");
    else if (!(*url = tl_strdup(u)))
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: generatePreview: out of memory");
    cJSON_Delete(root);
    return rc;
}

bool tl_ac_pad_code_valid(const char *pad)
{
    size_t n = pad ? strlen(pad) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pad[i] <= 0x20 || pad[i] >= 0x7f)
            return false;
    return true;
}

/* ---- pad lists ----------------------------------------------------------------------------- */

const char *tl_ac_pad_status_text(int status, char *buf, size_t size)
{
    switch (status) {
    case 10: return "running";
    case 11: return "restarting";
    case 12: return "resetting";
    case 13:
    case 16: return "upgrading";
    case 14: return "abnormal";
    case 15: return "not ready";
    default: snprintf(buf, size, "status %d", status); return buf;
    }
}

int tl_ac_parse_pad_infos(const char *body, size_t len, tl_device_list *out, tl_ac_page *page,
                          tl_error *err)
{
    memset(page, 0, sizeof(*page));
    cJSON *root = NULL;
    const cJSON *data = NULL;
    int rc = parse_envelope(body, len, TL_AC_OP_PAD_INFOS, NULL, NULL, &root, &data, err);
    if (rc)
        return rc;
    const cJSON *rows = data ? cJSON_GetObjectItemCaseSensitive(data, "pageData") : NULL;
    if (!cJSON_IsObject(data)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: infos: \"data\" is missing or not an object with pageData");
        goto done;
    }
    if (rows && !cJSON_IsNull(rows) && !cJSON_IsArray(rows)) {
        rc = tl_error_set(err, TL_EBADRESP, "armcloud: infos: \"pageData\" is not a list");
        goto done;
    }
    long long v;
    if (get_integer(data, "page", &v) && v > 0 && v < 1000000)
        page->page = (int)v;
    if (get_integer(data, "totalPage", &v) && v > 0 && v < 1000000)
        page->total_page = (int)v;
    tl_buf ip;
    tl_buf_init(&ip, (size_t)1 << 16);
    for (const cJSON *it = cJSON_IsArray(rows) ? rows->child : NULL; it && rc == TL_OK;
         it = it->next) {
        const char *code = cJSON_IsObject(it) ? get_string(it, "padCode") : NULL;
        if (!code || !tl_ac_pad_code_valid(code)) {
            rc = tl_error_set(err, TL_EBADRESP,
                              "armcloud: infos: pad %zu of the page has no valid padCode (a "
                              "string of 1-128 printable ASCII characters)",
                              page->rows + 1);
            break;
        }
        char sbuf[32];
        const char *state = "unknown";
        bool ready = false;
        if (get_integer(it, "padStatus", &v) && v >= -1000000 && v <= 1000000) {
            state = tl_ac_pad_status_text((int)v, sbuf, sizeof(sbuf));
            ready = v == TL_AC_PAD_RUNNING;
        }
        const char *grade = get_string(it, "padGrade");
        const char *pip = get_string(it, "padIp");
        tl_buf_clear(&ip);
        if (pip && tl_ac_looks_encrypted(pip, strlen(pip))) {
            tl_error ignored;
            if (tl_ac_decrypt_field(&ip, pip, strlen(pip), code, "padIp", &ignored) != TL_OK)
                tl_buf_clear(&ip);
        } else if (pip && strlen(pip) < 256 && tl_buf_puts(&ip, pip) != TL_OK) {
            tl_buf_clear(&ip);
        }
        char name[160];
        excerpt(ip.data ? ip.data : "", name, sizeof(name));
        char type[160];
        excerpt(grade, type, sizeof(type));
        if (tl_device_list_add(out, code, name, state, type, ready) != TL_OK)
            rc = tl_error_set(err, TL_ENOMEM, "armcloud: infos: out of memory");
        else
            page->rows++;
    }
    tl_buf_wipe(&ip);
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- command output ------------------------------------------------------------------------ */

static const char *find_bytes(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

int tl_ac_split_dump_output(const char *output, size_t len, size_t *head_len, size_t *size,
                            size_t *data_off, tl_error *err)
{
    const char *p = output ? find_bytes(output, len, "dumped to") : NULL;
    const char *end = output + len;
    *head_len = 0;
    if (p) {
        const char *line = p;
        while (line > output && line[-1] != '\n')
            line--;
        *head_len = (size_t)(line - output);
    }
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        const char *line = nl + 1;
        const char *lend = memchr(line, '\n', (size_t)(end - line));
        if (!lend)
            break;
        size_t n = (size_t)(lend - line);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        bool digits = n > 0 && n <= 15;
        for (size_t i = 0; digits && i < n; i++)
            digits = isdigit((unsigned char)line[i]) != 0;
        if (digits) {
            *size = (size_t)strtoull(line, NULL, 10);
            *data_off = (size_t)(lend + 1 - output);
            return TL_OK;
        }
        p = lend;
    }
    return tl_error_set(err, TL_EBADRESP,
                        "armcloud: the dump command printed no file size after uiautomator's "
                        "\"dumped to\" line");
}

/* Length of the UTF-8 sequence a lead byte starts (0 for a continuation or invalid byte). */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

size_t tl_ac_chunk_keep(const char *data, size_t got, size_t want, bool last)
{
    if (last && got >= want)
        return got;
    const unsigned char *d = (const unsigned char *)data;
    size_t n = got;
    while (n >= 3 && d[n - 3] == 0xEF && d[n - 2] == 0xBF && d[n - 1] == 0xBD)
        n -= 3;
    /* a lead byte in the last three whose sequence does not fit: cut before it */
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        unsigned char c = d[n - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        size_t l = utf8_seq_len(c);
        if (l > back)
            n -= back;
        break;
    }
    return n;
}

int tl_ac_image_type(const void *data, size_t len, const char **type, tl_error *err)
{
    const unsigned char *d = data;
    *type = NULL;
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
        if (len < 33 || memcmp(d + 12, "IHDR", 4) != 0)
            return tl_error_set(err, TL_EBADRESP,
                                "armcloud: the screenshot is a truncated PNG (%zu bytes)", len);
        uint32_t w = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
        uint32_t h = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
        if (w == 0 || h == 0 || w > 100000 || h > 100000)
            return tl_error_set(err, TL_EBADRESP,
                                "armcloud: the screenshot PNG claims a size of %ux%u", (unsigned)w,
                                (unsigned)h);
        *type = "image/png";
        return TL_OK;
    }
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        if (len < 125)
            return tl_error_set(err, TL_EBADRESP,
                                "armcloud: the screenshot is a truncated JPEG (%zu bytes)", len);
        *type = "image/jpeg";
        return TL_OK;
    }
    const char *what = "neither a PNG nor a JPEG";
    if (len == 0)
        what = "empty";
    else if (len >= 1 && (d[0] == '<' || (len >= 15 && find_bytes(data, 15, "<"))))
        what = "an HTML or XML page, not an image";
    else if (len >= 1 && (d[0] == '{' || d[0] == '['))
        what = "JSON, not an image";
    return tl_error_set(err, TL_EBADRESP, "armcloud: the downloaded screenshot is %s (%zu bytes)",
                        what, len);
}
