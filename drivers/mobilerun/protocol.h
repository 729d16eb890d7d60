/*
 * protocol.h - the Mobilerun REST API wire format (drivers/mobilerun, private to the driver):
 * request paths and JSON bodies exactly as the API reference gives them, and the parsing of
 * what comes back (device lists and pages, device info, app and package lists, screenshots,
 * ui-state, RFC 7807 error bodies). No I/O: everything here works on bytes in memory, so that
 * it can be unit-tested and fuzzed without a server.
 *
 * Hostile input: every parser accepts any bytes (NUL bytes, invalid UTF-8, huge or deeply
 * nested JSON, wrong types) and answers TL_EBADRESP with a message that says what was expected
 * where, never crashing. Text meant for people (device names, states, server messages) is
 * sanitised: one printable line, bounded length, and the API key (when given as `secret`)
 * replaced by "<redacted>" before anything is cut, so that no part of it can leak.
 */
#ifndef TL_MOBILERUN_PROTOCOL_H
#define TL_MOBILERUN_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/keys.h"
#include "core/status.h"
#include "drivers/driver.h"

/** Default base URL (MOBILERUN_BASE_URL overrides it). */
#define TL_MR_DEFAULT_BASE_URL "https://api.mobilerun.ai/v1"

/** Longest device id accepted from the service or --device, in bytes. */
#define TL_MR_ID_MAX 128

/** Size of the sanitised text fields below (bytes, NUL included). */
#define TL_MR_TEXT_SIZE 256

/** Largest JSON document (device list, device info, app list, error body) parsed, in bytes. */
#define TL_MR_JSON_MAX ((size_t)8 << 20)

/** Most apps accepted in --apps. */
#define TL_MR_APPS_MAX 64

/** What a request was for: decides how an error status is explained. */
typedef enum tl_mr_op {
    TL_MR_OP_LIST,      /**< GET /devices */
    TL_MR_OP_DEVICE,    /**< GET /devices/{id}, GET /devices/{id}/wait */
    TL_MR_OP_PROVISION, /**< POST /devices */
    TL_MR_OP_TERMINATE, /**< DELETE /devices/{id} */
    TL_MR_OP_OBSERVE,   /**< GET ui-state, screenshot, apps, packages */
    TL_MR_OP_ACTION,    /**< tap, swipe, global, keyboard, apps PUT/PATCH */
} tl_mr_op;

/** A device as DeviceInfo describes it; every field sanitised and NUL-terminated. */
typedef struct tl_mr_device {
    char id[TL_MR_ID_MAX + 1];           /**< printable ASCII, no spaces; never empty */
    char name[TL_MR_TEXT_SIZE];          /**< "" when absent */
    char state[64];                      /**< "unknown" when absent */
    char type[64];                       /**< `type`, else `deviceType`; "" when absent */
    char state_message[TL_MR_TEXT_SIZE]; /**< `stateMessage`; "" when absent */
} tl_mr_device;

/** One parsed page of GET /devices. */
typedef struct tl_mr_page {
    size_t count; /**< items on this page */
    bool more;    /**< another page follows */
} tl_mr_page;

/* ---- configuration ------------------------------------------------------------------------ */

/** true for the provisionable device types of the reference. */
bool tl_mr_device_type_valid(const char *type);

/** "dedicated_emulated_device, dedicated_physical_device, dedicated_premium_device". */
const char *tl_mr_device_types_list(void);

/**
 * Check a device id given by the user (--device) or the service: 1..TL_MR_ID_MAX bytes of
 * printable ASCII without spaces. @return TL_OK or `code` with a message naming `what`.
 */
int tl_mr_check_id(const char *id, int code, const char *what, tl_error *err);

/**
 * Check the API key (non-empty, no control characters or spaces, at most 4096 bytes) without
 * ever writing it into a message. @return TL_OK or TL_EUSAGE naming MOBILERUN_API_KEY.
 */
int tl_mr_check_key(const char *key, tl_error *err);

/**
 * Normalise a base URL into out (without trailing slashes). @return TL_OK, or TL_EUSAGE when it
 * is not an http:// or https:// URL with a host, or longer than size - 1 bytes.
 */
int tl_mr_base_url(const char *url, char *out, size_t size, tl_error *err);

/* ---- requests ----------------------------------------------------------------------------- */

/** Append s percent-encoded as one path segment (RFC 3986 unreserved bytes kept). */
int tl_mr_path_segment(tl_buf *out, const char *s);

/** `{"x":X,"y":Y}` (POST /devices/{id}/tap). @return TL_OK or TL_ENOMEM. */
int tl_mr_body_tap(tl_buf *out, int x, int y);

/** `{"startX":..,"startY":..,"endX":..,"endY":..,"duration":D}`, D raised to 10 (the API
 * minimum) when lower. @return TL_OK or TL_ENOMEM. */
int tl_mr_body_swipe(tl_buf *out, int x1, int y1, int x2, int y2, int duration_ms);

/** `{"action":A}` (POST /devices/{id}/global; 1 back, 2 home, 3 recent). */
int tl_mr_body_global(tl_buf *out, int action);

/**
 * `{"text":"...","clear":false}` (POST /devices/{id}/keyboard).
 * @return TL_OK, TL_ENOMEM, or TL_EUSAGE when text is not valid UTF-8.
 */
int tl_mr_body_type(tl_buf *out, const char *text, bool clear, tl_error *err);

/** `{"key":K}` (PUT /devices/{id}/keyboard). */
int tl_mr_body_key(tl_buf *out, int keycode);

/** `{}`, or `{"activity":"..."}` when activity is non-NULL (PUT /devices/{id}/apps/{pkg}). */
int tl_mr_body_start_app(tl_buf *out, const char *activity);

/**
 * The body of POST /devices: `{"name":"...","apps":[...]}` from a comma-separated list of
 * package names (NULL or "" for none; blanks around names are ignored).
 * @return TL_OK; TL_EUSAGE naming the bad entry when a name is not an Android package name or
 *         there are more than TL_MR_APPS_MAX; TL_ENOMEM.
 */
int tl_mr_body_provision(tl_buf *out, const char *name, const char *apps_csv, tl_error *err);

/**
 * How a key is sent: through POST /global (*global_action 1..3, *keycode 0) for back, home and
 * recent, through PUT /keyboard (*keycode, *global_action 0) for enter 66, delete 67, tab 61
 * and forward_delete 112. @return TL_OK or TL_EUSAGE for a key out of range.
 */
int tl_mr_key_route(tl_key key, int *global_action, int *keycode, tl_error *err);

/* ---- responses ---------------------------------------------------------------------------- */

/**
 * Parse a DeviceInfo object (GET /devices/{id}, /wait, POST /devices). `secret` (may be NULL)
 * is scrubbed from the text fields. @return TL_OK or TL_EBADRESP ("<what>: ...").
 */
int tl_mr_parse_device(const char *body, size_t len, const char *secret, tl_mr_device *out,
                       tl_error *err);

/**
 * Parse one page of GET /devices (`{items: DeviceInfo[], pagination: Meta}`) requested as page
 * `page` (1-based), appending its devices to out (ready = state "ready"). Whether more pages
 * follow comes from pagination.hasNext, else pagination.pages, else pagination.total, else
 * from a page of 20 items (the default page size) or more.
 * @return TL_OK; TL_EBADRESP naming the bad item or field; TL_ENOMEM.
 */
int tl_mr_parse_device_page(const char *body, size_t len, long page, const char *secret,
                            tl_device_list *out, tl_mr_page *info, tl_error *err);

/**
 * Parse GET /devices/{id}/apps (an array of AppInfo: packageName, label) into out.
 * @return TL_OK, TL_EBADRESP or TL_ENOMEM.
 */
int tl_mr_parse_apps(const char *body, size_t len, tl_app_list *out, tl_error *err);

/**
 * Look for `package` in GET /devices/{id}/packages (an array of strings).
 * @return TL_OK with *found set, or TL_EBADRESP.
 */
int tl_mr_parse_packages(const char *body, size_t len, const char *package, bool *found,
                         tl_error *err);

/**
 * Check that a ui-state body is a JSON object (the AndroidState; the element index parses the
 * rest). @return TL_OK or TL_EBADRESP describing what came instead.
 */
int tl_mr_check_ui_state(const char *body, size_t len, const char *content_type, tl_error *err);

/**
 * Make sense of a screenshot body: PNG or JPEG bytes as the reference gives them (*in_place
 * true, *type "image/png" or "image/jpeg"), or a JSON string holding the image in base64,
 * optionally as a data: URL (decoded into `decoded`, *in_place false).
 * @return TL_OK, TL_EBADRESP describing what came instead, or TL_ENOMEM.
 */
int tl_mr_parse_screenshot(const char *body, size_t len, const char *content_type, tl_buf *decoded,
                           bool *in_place, const char **type, tl_error *err);

/** The parts of an RFC 7807 error body worth showing, sanitised and bounded. */
typedef struct tl_mr_problem {
    char title[96];
    char detail[320];
    char first_error[200]; /**< errors[0]: "location: message", or "" */
} tl_mr_problem;

/**
 * Read an error body: JSON `{title, status, detail, errors[]}`, or the start of a text body
 * as `detail`. Never fails: fields stay "" when there is nothing usable. `secret` (may be NULL)
 * is scrubbed first.
 */
void tl_mr_parse_problem(const char *body, size_t len, const char *content_type, const char *secret,
                         tl_mr_problem *out);

/** What an error message says about the request that failed. */
typedef struct tl_mr_call {
    const char *method;   /**< "GET", ... */
    const char *path;     /**< path below the base URL, without the query */
    tl_mr_op op;          /**< what it was for */
    const char *device;   /**< device id concerned, or NULL */
    const char *base_url; /**< for the hint on a 404 from a base URL without /v1 */
    const char *secret;   /**< the API key, scrubbed from the server's text; may be NULL */
    int attempts;         /**< attempts made (for 429/5xx) */
} tl_mr_call;

/**
 * Turn a non-2xx status into a status code and a message following the reference's error
 * table: 401 TL_EAUTH naming MOBILERUN_API_KEY; 402 (credits) and 403 (plan limit or access)
 * TL_EAUTH; 404 TL_ENOTFOUND naming the device; 409/423 TL_ENOTREADY; 400/422 TL_EREJECTED for
 * actions (TL_EUSAGE for provisioning, TL_EBADRESP otherwise); 429 and 5xx TL_ENET "after N
 * attempts"; anything else TL_EBADRESP. The server's title/detail follow, sanitised, and the
 * method and path end the message, e.g.
 * "mobilerun: 401 Unauthorized: the API key was rejected (check MOBILERUN_API_KEY) ...".
 * @return the code (never TL_OK; a 2xx status gives TL_EBADRESP).
 */
int tl_mr_status_error(const tl_mr_call *call, long status, const char *content_type,
                       const char *body, size_t len, tl_error *err);

/**
 * Copy text into out (size > 0) as one printable line: `secret` occurrences become
 * "<redacted>", control characters and invalid UTF-8 become '?' or a space, and text longer
 * than `max_chars` characters is cut with "...". Always NUL-terminates.
 */
void tl_mr_sanitize(char *out, size_t size, const char *text, size_t len, size_t max_chars,
                    const char *secret);

#endif
