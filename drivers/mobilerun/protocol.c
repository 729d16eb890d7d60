/*
 * protocol.c - the Mobilerun REST API wire format (see protocol.h): request bodies built with
 * the JSON writer of core/json.h, responses read with cJSON (never beyond this file).
 *
 * Everything a server sends is treated as hostile: sizes are bounded before parsing, every
 * member's type is checked before it is used, ids are restricted to printable ASCII (they go
 * into URL paths, percent-encoded), and any text that may reach a terminal goes through
 * tl_mr_sanitize(), which also scrubs the API key. Messages say which request and which member
 * was wrong ("GET /devices: items[3]: \"id\" is a number, expected a string").
 */
#include "drivers/mobilerun/protocol.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/http.h"
#include "core/json.h"
#include "core/utf8.h"

/* The reference's default page size of GET /devices, used when pagination says nothing. */
#define DEFAULT_PAGE_SIZE 20

/* Characters of server text shown in an error message. */
#define DETAIL_CHARS 200

static const char *const device_types[] = {
    "dedicated_emulated_device",
    "dedicated_physical_device",
    "dedicated_premium_device",
};

bool tl_mr_device_type_valid(const char *type)
{
    if (!type)
        return false;
    for (size_t i = 0; i < sizeof(device_types) / sizeof(device_types[0]); i++)
        if (strcmp(type, device_types[i]) == 0)
            return true;
    return false;
}

const char *tl_mr_device_types_list(void)
{
    return "dedicated_emulated_device, dedicated_physical_device, dedicated_premium_device";
}

/* ---- sanitising ----------------------------------------------------------------------------- */

/* Code points that must not reach a terminal: C0/C1 controls, DEL, line/paragraph separators
 * and the bidirectional overrides (they can make text display as something else). */
static bool unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

void tl_mr_sanitize(char *out, size_t size, const char *text, size_t len, size_t max_chars,
                    const char *secret)
{
    if (!out || size == 0)
        return;
    out[0] = '\0';
    if (!text)
        return;
    static const char redacted[] = "<redacted>";
    size_t slen = secret ? strlen(secret) : 0;
    size_t o = 0, chars = 0, i = 0;
    bool space = true; /* the last thing written is a space (or nothing yet) */
    bool cut = false;
    while (i < len) {
        const char *piece;
        size_t plen, advance;
        char one[4];
        if (slen && len - i >= slen && memcmp(text + i, secret, slen) == 0) {
            piece = redacted;
            plen = sizeof(redacted) - 1;
            advance = slen;
        } else {
            uint32_t cp = 0;
            size_t n = tl_utf8_decode((const unsigned char *)text + i, len - i, &cp);
            if (n == 0) {
                one[0] = '?';
                piece = one;
                plen = 1;
                advance = 1;
            } else if (unsafe_cp(cp) || cp == ' ') {
                advance = n;
                if (!space && chars < max_chars && o + 1 < size) {
                    out[o++] = ' ';
                    chars++;
                }
                space = true;
                i += advance;
                continue;
            } else {
                piece = text + i;
                plen = n;
                advance = n;
            }
        }
        /* room for this piece, and for "..." should something follow */
        if (chars >= max_chars || o + plen + 4 > size) {
            cut = true;
            break;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        chars++;
        space = false;
        i += advance;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    if (cut && o + 4 <= size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* ---- configuration -------------------------------------------------------------------------- */

int tl_mr_check_id(const char *id, int code, const char *what, tl_error *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0)
        return tl_error_set(err, code, "%s: the device id is empty", what);
    if (n > TL_MR_ID_MAX)
        return tl_error_set(err, code, "%s: the device id is %zu bytes long (at most %d)", what, n,
                            TL_MR_ID_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c <= 0x20 || c >= 0x7f) {
            char shown[96];
            tl_mr_sanitize(shown, sizeof(shown), id, n, 64, NULL);
            return tl_error_set(err, code,
                                "%s: the device id \"%s\" contains a space, a control character "
                                "or a non-ASCII byte",
                                what, shown);
        }
    }
    return TL_OK;
}

int tl_mr_check_key(const char *key, tl_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0)
        return tl_error_set(err, TL_EUSAGE,
                            "mobilerun: MOBILERUN_API_KEY is not set: create a key at "
                            "https://cloud.mobilerun.ai/api-keys and export MOBILERUN_API_KEY");
    if (n > 4096)
        return tl_error_set(err, TL_EUSAGE,
                            "mobilerun: MOBILERUN_API_KEY is %zu bytes long: that is not an API "
                            "key",
                            n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c <= 0x20 || c == 0x7f)
            return tl_error_set(err, TL_EUSAGE,
                                "mobilerun: MOBILERUN_API_KEY contains a space or a control "
                                "character (byte %zu): copy the key again",
                                i + 1);
    }
    return TL_OK;
}

int tl_mr_base_url(const char *url, char *out, size_t size, tl_error *err)
{
    size_t n = url ? strlen(url) : 0;
    while (n > 0 && url[n - 1] == '/')
        n--;
    size_t scheme = 0;
    if (n >= 7 && strncasecmp(url, "http://", 7) == 0)
        scheme = 7;
    else if (n >= 8 && strncasecmp(url, "https://", 8) == 0)
        scheme = 8;
    char shown[128];
    tl_mr_sanitize(shown, sizeof(shown), url ? url : "", url ? strlen(url) : 0, 100, NULL);
    if (scheme == 0 || n == scheme || url[scheme] == '/')
        return tl_error_set(err, TL_EUSAGE,
                            "mobilerun: MOBILERUN_BASE_URL must be an http:// or https:// URL "
                            "such as " TL_MR_DEFAULT_BASE_URL ", not \"%s\"",
                            shown);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#')
            return tl_error_set(err, TL_EUSAGE,
                                "mobilerun: MOBILERUN_BASE_URL must be a plain URL (no spaces, "
                                "query or fragment), not \"%s\"",
                                shown);
    }
    if (n >= size)
        return tl_error_set(err, TL_EUSAGE, "mobilerun: MOBILERUN_BASE_URL is too long (%zu bytes)",
                            n);
    memcpy(out, url, n);
    out[n] = '\0';
    return TL_OK;
}

/* ---- requests ------------------------------------------------------------------------------- */

int tl_mr_path_segment(tl_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = TL_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == TL_OK; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        /* "." and ".." alone would be read as path steps */
        if (c == '.' && (p == (const unsigned char *)s) &&
            (p[1] == '\0' || (p[1] == '.' && p[2] == '\0')))
            keep = false;
        if (keep) {
            rc = tl_buf_putc(out, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = tl_buf_append(out, esc, 3);
        }
    }
    return rc;
}

int tl_mr_body_tap(tl_buf *out, int x, int y)
{
    return tl_buf_printf(out, "{\"x\":%d,\"y\":%d}", x, y);
}

int tl_mr_body_swipe(tl_buf *out, int x1, int y1, int x2, int y2, int duration_ms)
{
    if (duration_ms < 10)
        duration_ms = 10;
    return tl_buf_printf(out,
                         "{\"startX\":%d,\"startY\":%d,\"endX\":%d,\"endY\":%d,\"duration\":%d}",
                         x1, y1, x2, y2, duration_ms);
}

int tl_mr_body_global(tl_buf *out, int action)
{
    return tl_buf_printf(out, "{\"action\":%d}", action);
}

int tl_mr_body_type(tl_buf *out, const char *text, bool clear, tl_error *err)
{
    size_t n = strlen(text);
    if (!tl_utf8_valid(text, n))
        return tl_error_set(err, TL_EUSAGE, "type: the text is not valid UTF-8");
    int rc = tl_buf_puts(out, "{\"text\":");
    rc |= tl_json_str(out, text, n);
    rc |= tl_buf_puts(out, ",\"clear\":");
    rc |= tl_json_bool(out, clear);
    rc |= tl_buf_putc(out, '}');
    return rc ? tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory") : TL_OK;
}

int tl_mr_body_key(tl_buf *out, int keycode)
{
    return tl_buf_printf(out, "{\"key\":%d}", keycode);
}

int tl_mr_body_start_app(tl_buf *out, const char *activity)
{
    if (!activity)
        return tl_buf_puts(out, "{}");
    int rc = tl_buf_puts(out, "{\"activity\":");
    rc |= tl_json_cstr(out, activity);
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

/* An Android package name: dot-separated segments of letters, digits and '_', each starting
 * with a letter, at most 255 bytes. */
static bool package_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255)
        return false;
    bool seg_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (c == '.') {
            if (seg_start)
                return false;
            seg_start = true;
        } else if (seg_start) {
            if (!letter)
                return false;
            seg_start = false;
        } else if (!letter && !(c >= '0' && c <= '9') && c != '_') {
            return false;
        }
    }
    return !seg_start;
}

int tl_mr_body_provision(tl_buf *out, const char *name, const char *apps_csv, tl_error *err)
{
    int rc = tl_buf_puts(out, "{\"name\":");
    rc |= tl_json_cstr(out, name);
    rc |= tl_buf_puts(out, ",\"apps\":[");
    size_t count = 0;
    const char *p = apps_csv ? apps_csv : "";
    while (*p && rc == TL_OK) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        size_t len = n;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        p += n + (p[n] == ',');
        if (len == 0)
            continue;
        if (!package_name_ok(s, len)) {
            char shown[96];
            tl_mr_sanitize(shown, sizeof(shown), s, len, 64, NULL);
            return tl_error_set(err, TL_EUSAGE,
                                "--apps: \"%s\" is not an Android package name (e.g. "
                                "com.example.app); separate packages with commas",
                                shown);
        }
        if (++count > TL_MR_APPS_MAX)
            return tl_error_set(err, TL_EUSAGE, "--apps: at most %d packages", TL_MR_APPS_MAX);
        if (count > 1)
            rc |= tl_buf_putc(out, ',');
        rc |= tl_json_str(out, s, len);
    }
    rc |= tl_buf_puts(out, "]}");
    return rc ? tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory") : TL_OK;
}

int tl_mr_key_route(tl_key key, int *global_action, int *keycode, tl_error *err)
{
    *global_action = 0;
    *keycode = 0;
    switch (key) {
    case TL_KEY_BACK: *global_action = 1; break;
    case TL_KEY_HOME: *global_action = 2; break;
    case TL_KEY_RECENT: *global_action = 3; break;
    case TL_KEY_ENTER: *keycode = 66; break;
    case TL_KEY_DELETE: *keycode = 67; break;
    case TL_KEY_TAB: *keycode = 61; break;
    case TL_KEY_FORWARD_DELETE: *keycode = 112; break;
    default: return tl_error_set(err, TL_EUSAGE, "mobilerun: unknown key %d", (int)key);
    }
    return TL_OK;
}

/* ---- JSON helpers --------------------------------------------------------------------------- */

static size_t skip_space(const char *s, size_t len, size_t i)
{
    if (i == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3; /* a UTF-8 byte order mark */
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static const char *type_name(const cJSON *v)
{
    if (!v)
        return "missing";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "invalid";
}

/* What a body that is not the expected JSON looks like, for messages: "an empty body",
 * "HTML: <start>", "312 bytes of binary data", or the start of the text. */
static void describe_body(char *out, size_t size, const char *body, size_t len,
                          const char *content_type)
{
    if (len == 0) {
        snprintf(out, size, "an empty body");
        return;
    }
    size_t probe = len < 512 ? len : 512;
    bool binary =
        memchr(body, '\0', probe) != NULL || !tl_utf8_valid(body, tl_utf8_prefix(body, probe, 256));
    const char *ct = content_type && content_type[0] ? content_type : "no content type";
    char ct_shown[96];
    tl_mr_sanitize(ct_shown, sizeof(ct_shown), ct, strlen(ct), 60, NULL);
    if (binary) {
        snprintf(out, size, "%zu bytes of binary data (%s)", len, ct_shown);
        return;
    }
    char start[128];
    tl_mr_sanitize(start, sizeof(start), body, probe, 60, NULL);
    snprintf(out, size, "%zu bytes of %s: \"%s\"", len, ct_shown, start);
}

/* Parse a JSON document of at most TL_MR_JSON_MAX bytes. @return the tree (caller deletes) or
 * NULL with TL_EBADRESP set, naming `what`. */
static cJSON *parse_json(const char *body, size_t len, const char *what, tl_error *err)
{
    if (len > TL_MR_JSON_MAX) {
        tl_error_set(err, TL_EBADRESP,
                     "mobilerun: %s: the response is %zu bytes, more than the "
                     "%zu-byte limit for JSON",
                     what, len, TL_MR_JSON_MAX);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = body && len ? cJSON_ParseWithLengthOpts(body, len, &end, false) : NULL;
    if (!root) {
        char desc[200];
        describe_body(desc, sizeof(desc), body ? body : "", body ? len : 0, NULL);
        size_t at = end && body && end >= body ? (size_t)(end - body) : 0;
        if (len == 0)
            tl_error_set(err, TL_EBADRESP, "mobilerun: %s: expected JSON, got an empty body", what);
        else
            tl_error_set(err, TL_EBADRESP,
                         "mobilerun: %s: the response is not valid JSON (error near byte %zu): "
                         "%s",
                         what, at, desc);
        return NULL;
    }
    size_t at = end && end >= body ? (size_t)(end - body) : len;
    at = skip_space(body, len, at);
    if (at < len) {
        cJSON_Delete(root);
        tl_error_set(err, TL_EBADRESP,
                     "mobilerun: %s: the response has %zu bytes of trailing data after the JSON "
                     "value",
                     what, len - at);
        return NULL;
    }
    return root;
}

/* An optional string member: absent or null gives "" and TL_OK; another type is an error. */
static int opt_string(const cJSON *obj, const char *name, const char *where, const char **out,
                      tl_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = "";
    if (!v || cJSON_IsNull(v))
        return TL_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return tl_error_set(err, TL_EBADRESP, "mobilerun: %s: \"%s\" is %s, expected a string",
                            where, name, type_name(v));
    *out = v->valuestring;
    return TL_OK;
}

/* A finite number member as a long in [lo, hi]. @return true when present and usable. */
static bool get_long(const cJSON *obj, const char *name, long lo, long hi, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi)
        return false;
    *out = (long)v->valuedouble;
    return true;
}

/* ---- devices -------------------------------------------------------------------------------- */

static int device_from_json(const cJSON *o, const char *where, const char *secret, tl_mr_device *d,
                            tl_error *err)
{
    memset(d, 0, sizeof(*d));
    if (!cJSON_IsObject(o))
        return tl_error_set(err, TL_EBADRESP, "mobilerun: %s: expected a DeviceInfo object, got %s",
                            where, type_name(o));
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!id || cJSON_IsNull(id))
        id = cJSON_GetObjectItemCaseSensitive(o, "deviceId");
    if (!cJSON_IsString(id) || !id->valuestring)
        return tl_error_set(err, TL_EBADRESP, "mobilerun: %s: \"id\" is %s, expected a string",
                            where, type_name(id));
    char what[160];
    snprintf(what, sizeof(what), "mobilerun: %s", where);
    int rc = tl_mr_check_id(id->valuestring, TL_EBADRESP, what, err);
    if (rc)
        return rc;
    snprintf(d->id, sizeof(d->id), "%s", id->valuestring);
    const char *name, *state, *type, *msg;
    if ((rc = opt_string(o, "name", where, &name, err)) ||
        (rc = opt_string(o, "state", where, &state, err)) ||
        (rc = opt_string(o, "type", where, &type, err)) ||
        (rc = opt_string(o, "stateMessage", where, &msg, err)))
        return rc;
    if (!type[0] && (rc = opt_string(o, "deviceType", where, &type, err)))
        return rc;
    tl_mr_sanitize(d->name, sizeof(d->name), name, strlen(name), 100, secret);
    tl_mr_sanitize(d->state, sizeof(d->state), state, strlen(state), 40, secret);
    tl_mr_sanitize(d->type, sizeof(d->type), type, strlen(type), 40, secret);
    tl_mr_sanitize(d->state_message, sizeof(d->state_message), msg, strlen(msg), 160, secret);
    if (!d->state[0])
        snprintf(d->state, sizeof(d->state), "unknown");
    return TL_OK;
}

int tl_mr_parse_device(const char *body, size_t len, const char *secret, tl_mr_device *out,
                       tl_error *err)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = parse_json(body, len, "device info", err);
    if (!root)
        return TL_EBADRESP;
    int rc = device_from_json(root, "device info", secret, out, err);
    cJSON_Delete(root);
    return rc;
}

int tl_mr_parse_device_page(const char *body, size_t len, long page, const char *secret,
                            tl_device_list *out, tl_mr_page *info, tl_error *err)
{
    info->count = 0;
    info->more = false;
    cJSON *root = parse_json(body, len, "GET /devices", err);
    if (!root)
        return TL_EBADRESP;
    int rc = TL_OK;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "pagination");
    if (!cJSON_IsObject(root)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "mobilerun: GET /devices: expected {items, pagination}, got %s",
                          type_name(root));
        goto done;
    }
    if (items && !cJSON_IsNull(items) && !cJSON_IsArray(items)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "mobilerun: GET /devices: \"items\" is %s, expected an array",
                          type_name(items));
        goto done;
    }
    if (meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "mobilerun: GET /devices: \"pagination\" is %s, expected an object",
                          type_name(meta));
        goto done;
    }
    size_t i = 0;
    const cJSON *list = cJSON_IsArray(items) ? items : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        char where[64];
        snprintf(where, sizeof(where), "GET /devices: items[%zu]", i++);
        tl_mr_device d;
        if ((rc = device_from_json(it, where, secret, &d, err)) != TL_OK)
            goto done;
        if (tl_device_list_add(out, d.id, d.name, d.state, d.type, strcmp(d.state, "ready") == 0) !=
            TL_OK) {
            rc = tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
            goto done;
        }
    }
    info->count = i;
    if (i > 0 && cJSON_IsObject(meta)) {
        const cJSON *has_next = cJSON_GetObjectItemCaseSensitive(meta, "hasNext");
        long pages = 0, total = 0, size = DEFAULT_PAGE_SIZE;
        get_long(meta, "pageSize", 1, 1000000, &size);
        if (cJSON_IsBool(has_next))
            info->more = cJSON_IsTrue(has_next);
        else if (get_long(meta, "pages", 0, 1000000000L, &pages))
            info->more = page < pages;
        else if (get_long(meta, "total", 0, 1000000000L, &total))
            info->more = (double)(page - 1) * (double)size + (double)i < (double)total;
        else
            info->more = i >= (size_t)size;
    } else if (i > 0) {
        info->more = i >= DEFAULT_PAGE_SIZE;
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- apps ----------------------------------------------------------------------------------- */

int tl_mr_parse_apps(const char *body, size_t len, tl_app_list *out, tl_error *err)
{
    cJSON *root = parse_json(body, len, "GET apps", err);
    if (!root)
        return TL_EBADRESP;
    int rc = TL_OK;
    if (!cJSON_IsArray(root)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "mobilerun: GET apps: expected an array of AppInfo, got %s",
                          type_name(root));
        goto done;
    }
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root)
    {
        char where[48];
        snprintf(where, sizeof(where), "GET apps: [%zu]", i++);
        if (!cJSON_IsObject(it)) {
            rc = tl_error_set(err, TL_EBADRESP, "mobilerun: %s: expected an AppInfo object, got %s",
                              where, type_name(it));
            goto done;
        }
        const char *pkg, *label;
        if ((rc = opt_string(it, "packageName", where, &pkg, err)) ||
            (rc = opt_string(it, "label", where, &label, err)))
            goto done;
        if (!pkg[0]) {
            rc = tl_error_set(err, TL_EBADRESP, "mobilerun: %s: no \"packageName\"", where);
            goto done;
        }
        char p[TL_MR_TEXT_SIZE], l[TL_MR_TEXT_SIZE];
        tl_mr_sanitize(p, sizeof(p), pkg, strlen(pkg), 200, NULL);
        tl_mr_sanitize(l, sizeof(l), label, strlen(label), 100, NULL);
        if (tl_app_list_add(out, p, l) != TL_OK) {
            rc = tl_error_set(err, TL_ENOMEM, "mobilerun: out of memory");
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

int tl_mr_parse_packages(const char *body, size_t len, const char *package, bool *found,
                         tl_error *err)
{
    *found = false;
    cJSON *root = parse_json(body, len, "GET packages", err);
    if (!root)
        return TL_EBADRESP;
    int rc = TL_OK;
    if (!cJSON_IsArray(root)) {
        rc = tl_error_set(err, TL_EBADRESP,
                          "mobilerun: GET packages: expected an array of package names, got %s",
                          type_name(root));
        goto done;
    }
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root)
    {
        if (!cJSON_IsString(it) || !it->valuestring) {
            rc = tl_error_set(err, TL_EBADRESP,
                              "mobilerun: GET packages: [%zu] is %s, expected a string", i,
                              type_name(it));
            goto done;
        }
        if (strcmp(it->valuestring, package) == 0)
            *found = true;
        i++;
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- observations --------------------------------------------------------------------------- */

int tl_mr_check_ui_state(const char *body, size_t len, const char *content_type, tl_error *err)
{
    size_t i = body ? skip_space(body, len, 0) : 0;
    if (body && i < len && (body[i] == '{' || body[i] == '['))
        return TL_OK;
    char desc[200];
    describe_body(desc, sizeof(desc), body ? body : "", body ? len : 0, content_type);
    return tl_error_set(err, TL_EBADRESP,
                        "mobilerun: ui-state: expected a JSON object (AndroidState), got %s", desc);
}

static const char *image_type(const unsigned char *d, size_t len)
{
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    return NULL;
}

/* Standard or URL-safe Base64, padding optional, whitespace ignored. @return false on a byte
 * outside the alphabet or a dangling single character. */
static bool base64_decode(const char *s, size_t n, tl_buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=') {
            pad++;
            continue;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        else
            return false;
        if (pad)
            return false; /* data after padding */
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (tl_buf_putc(out, (char)((acc >> bits) & 0xFF)) != TL_OK)
                return false;
        }
    }
    return bits < 6;
}

int tl_mr_parse_screenshot(const char *body, size_t len, const char *content_type, tl_buf *decoded,
                           bool *in_place, const char **type, tl_error *err)
{
    *in_place = false;
    *type = NULL;
    const unsigned char *d = (const unsigned char *)(body ? body : "");
    if (body && (*type = image_type(d, len)) != NULL) {
        *in_place = true;
        return TL_OK;
    }
    size_t i = body ? skip_space(body, len, 0) : 0;
    if (body && i < len && body[i] == '"') {
        /* a JSON string: the image in base64, perhaps as a data: URL */
        cJSON *root = parse_json(body, len, "screenshot", err);
        if (!root)
            return TL_EBADRESP;
        int rc = TL_OK;
        const char *s = cJSON_IsString(root) ? root->valuestring : NULL;
        if (s) {
            if (strncasecmp(s, "data:", 5) == 0) {
                const char *comma = strchr(s, ',');
                s = comma ? comma + 1 : s + strlen(s);
            }
            tl_buf_clear(decoded);
            if (!base64_decode(s, strlen(s), decoded))
                rc = tl_error_set(err, TL_EBADRESP,
                                  "mobilerun: screenshot: the JSON string is not Base64 image "
                                  "data");
            else if (!(*type = image_type((const unsigned char *)decoded->data, decoded->len)))
                rc = tl_error_set(err, TL_EBADRESP,
                                  "mobilerun: screenshot: the Base64 data (%zu bytes) is not a "
                                  "PNG or JPEG image",
                                  decoded->len);
        }
        cJSON_Delete(root);
        if (s)
            return rc;
    }
    char desc[200];
    describe_body(desc, sizeof(desc), body ? body : "", body ? len : 0, content_type);
    return tl_error_set(err, TL_EBADRESP, "mobilerun: screenshot: expected a PNG image, got %s",
                        desc);
}

/* ---- errors --------------------------------------------------------------------------------- */

void tl_mr_parse_problem(const char *body, size_t len, const char *content_type, const char *secret,
                         tl_mr_problem *out)
{
    memset(out, 0, sizeof(*out));
    if (!body || len == 0)
        return;
    size_t i = skip_space(body, len, 0);
    if (i < len && body[i] == '{' && len <= ((size_t)256 << 10)) {
        cJSON *root = cJSON_ParseWithLength(body, len);
        if (cJSON_IsObject(root)) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "title");
            const cJSON *dt = cJSON_GetObjectItemCaseSensitive(root, "detail");
            if (!cJSON_IsString(dt))
                dt = cJSON_GetObjectItemCaseSensitive(root, "message");
            const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
            if (cJSON_IsString(t))
                tl_mr_sanitize(out->title, sizeof(out->title), t->valuestring,
                               strlen(t->valuestring), 60, secret);
            if (cJSON_IsString(dt))
                tl_mr_sanitize(out->detail, sizeof(out->detail), dt->valuestring,
                               strlen(dt->valuestring), DETAIL_CHARS, secret);
            const cJSON *e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
            const cJSON *loc =
                cJSON_IsObject(e0) ? cJSON_GetObjectItemCaseSensitive(e0, "location") : NULL;
            const cJSON *msg =
                cJSON_IsObject(e0) ? cJSON_GetObjectItemCaseSensitive(e0, "message") : NULL;
            if (cJSON_IsString(msg)) {
                char joined[400];
                snprintf(joined, sizeof(joined), "%.120s%s%.240s",
                         cJSON_IsString(loc) ? loc->valuestring : "",
                         cJSON_IsString(loc) ? ": " : "", msg->valuestring);
                tl_mr_sanitize(out->first_error, sizeof(out->first_error), joined, strlen(joined),
                               120, secret);
            }
            cJSON_Delete(root);
            return;
        }
        cJSON_Delete(root);
    }
    /* not a problem object: the start of a text body, tags dropped for HTML */
    size_t probe = len < 4096 ? len : 4096;
    if (memchr(body, '\0', probe))
        return;
    bool html = (content_type && strncasecmp(content_type, "text/html", 9) == 0) ||
                (i < len && body[i] == '<');
    char text[1024];
    size_t o = 0;
    bool in_tag = false;
    for (size_t k = 0; k < probe && o + 1 < sizeof(text); k++) {
        char c = body[k];
        if (html && (in_tag || c == '<')) {
            in_tag = c != '>';
            if (!in_tag)
                text[o++] = ' ';
            continue;
        }
        text[o++] = c;
    }
    tl_mr_sanitize(out->detail, sizeof(out->detail), text, o, DETAIL_CHARS, secret);
}

static bool base_has_v1(const char *base)
{
    size_t n = base ? strlen(base) : 0;
    return n >= 3 && strcmp(base + n - 3, "/v1") == 0;
}

int tl_mr_status_error(const tl_mr_call *call, long status, const char *content_type,
                       const char *body, size_t len, tl_error *err)
{
    tl_mr_problem pb;
    tl_mr_parse_problem(body, len, content_type, call->secret, &pb);
    const char *dev = call->device && call->device[0] ? call->device : NULL;
    int attempts = call->attempts > 0 ? call->attempts : 1;
    char why[400];
    int code;
    bool limit = strstr(pb.detail, "limit") || strstr(pb.title, "limit");

    if (status == 401) {
        code = TL_EAUTH;
        snprintf(why, sizeof(why),
                 "the API key was rejected (check MOBILERUN_API_KEY): it is invalid, expired or "
                 "revoked; see https://cloud.mobilerun.ai/api-keys");
    } else if (status == 402) {
        code = TL_EAUTH;
        snprintf(why, sizeof(why),
                 "not enough credits: add credits or upgrade the plan at "
                 "https://cloud.mobilerun.ai/billing");
    } else if (status == 403 && (limit || call->op == TL_MR_OP_PROVISION)) {
        code = TL_EAUTH;
        if (limit)
            snprintf(why, sizeof(why),
                     "the plan's device limit is reached: terminate a device (list them with "
                     "`taploop devices --driver mobilerun`) or upgrade the plan at "
                     "https://cloud.mobilerun.ai/billing");
        else
            snprintf(why, sizeof(why),
                     "the plan does not allow this cloud device: terminate a device or upgrade "
                     "the plan at https://cloud.mobilerun.ai/billing");
    } else if (status == 403) {
        code = TL_EAUTH;
        snprintf(why, sizeof(why),
                 "access denied: this API key may not use %s%s (check MOBILERUN_API_KEY)",
                 dev ? "device " : "this endpoint", dev ? dev : "");
    } else if (status == 404) {
        code = TL_ENOTFOUND;
        if (dev && call->op != TL_MR_OP_LIST && call->op != TL_MR_OP_PROVISION)
            snprintf(why, sizeof(why),
                     "device %s not found: check --device, or list the devices with `taploop "
                     "devices --driver mobilerun`",
                     dev);
        else if (!base_has_v1(call->base_url))
            snprintf(why, sizeof(why),
                     "not found: MOBILERUN_BASE_URL must include /v1 (e.g. " TL_MR_DEFAULT_BASE_URL
                     ")");
        else
            snprintf(why, sizeof(why), "not found (check MOBILERUN_BASE_URL)");
    } else if (status == 409 || status == 423) {
        code = TL_ENOTREADY;
        snprintf(why, sizeof(why),
                 "device %s is busy or not connected: check it with `taploop devices --driver "
                 "mobilerun`; a disconnected phone needs the Portal app reopened",
                 dev ? dev : "(none)");
    } else if (status == 400 || status == 422) {
        if (call->op == TL_MR_OP_ACTION) {
            code = TL_EREJECTED;
            snprintf(why, sizeof(why), "device %s refused the action", dev ? dev : "(none)");
        } else if (call->op == TL_MR_OP_PROVISION) {
            code = TL_EUSAGE;
            snprintf(why, sizeof(why),
                     "the device could not be created as asked (check --provision and --apps)");
        } else {
            code = TL_EBADRESP;
            snprintf(why, sizeof(why), "the service refused the request as invalid");
        }
    } else if (status == 429) {
        code = TL_ENET;
        snprintf(why, sizeof(why), "rate limited, still after %d attempt%s: try again later",
                 attempts, attempts == 1 ? "" : "s");
    } else if (status >= 500 && status < 600) {
        code = TL_ENET;
        if (call->op == TL_MR_OP_ACTION || call->op == TL_MR_OP_OBSERVE)
            snprintf(why, sizeof(why),
                     "the service failed after %d attempt%s: device %s may be busy, locked or "
                     "unresponsive, or the id may be wrong",
                     attempts, attempts == 1 ? "" : "s", dev ? dev : "(none)");
        else
            snprintf(why, sizeof(why), "the service failed after %d attempt%s", attempts,
                     attempts == 1 ? "" : "s");
    } else {
        code = TL_EBADRESP;
        snprintf(why, sizeof(why), "unexpected HTTP status");
    }

    char server[700] = "";
    if (pb.title[0] || pb.detail[0] || pb.first_error[0]) {
        bool both = pb.title[0] && pb.detail[0] && strcmp(pb.title, pb.detail) != 0;
        snprintf(server, sizeof(server), "; server says: %s%s%s%s%s",
                 pb.title[0] && (both || !pb.detail[0]) ? pb.title : "", both ? ": " : "",
                 pb.detail, pb.first_error[0] ? " - " : "", pb.first_error);
    }
    char path[160];
    tl_mr_sanitize(path, sizeof(path), call->path ? call->path : "",
                   call->path ? strlen(call->path) : 0, 120, call->secret);
    const char *phrase = tl_http_reason(status);
    return tl_error_set(err, code, "mobilerun: %ld%s%s: %s%s (%s %s)", status, *phrase ? " " : "",
                        phrase, why, server, call->method ? call->method : "GET", path);
}
