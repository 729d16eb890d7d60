/*
 * protocol.h - the ArmCloud / VMOS Cloud OpenAPI wire format, without I/O: the base URL and the
 * two path tables, the JSON request bodies, the {code,msg,ts,data} envelope with the table of
 * the reference's error codes, and the parsing of every response the driver reads (command
 * tasks, previews, pad lists). Private to drivers/armcloud/; the fuzzers call the parsers on
 * arbitrary bytes.
 *
 * Parsers take a response body (pointer and length, not NUL-terminated) and the operation it
 * answers, and either fill a plain struct (its strings owned by it) or return an error whose
 * message names the operation ("armcloud: syncCmd: ..."): a `code` other than 200 is mapped
 * through the error table (TL_EAUTH, TL_ENOTFOUND naming the pad, TL_ETIMEOUT, ...); anything
 * that is not the documented shape (not JSON, not an object, no `code`, `data` missing or of
 * the wrong type, a body over TL_AC_MAX_BODY) is TL_EBADRESP. They never crash or keep
 * pointers into the body.
 */
#ifndef TL_ARMCLOUD_PROTOCOL_H
#define TL_ARMCLOUD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"
#include "drivers/driver.h"

/** Largest response body parsed (the HTTP layer is given the same cap). */
#define TL_AC_MAX_BODY ((size_t)32 << 20)

/** The default base URL (ArmCloud overseas). */
#define TL_AC_DEFAULT_BASE "https://openapi-hk.armcloud.net"

/** Which service's path table. */
enum tl_ac_api {
    TL_AC_API_ARMCLOUD, /**< /openapi/open/pad/..., /task-center/open/task/... */
    TL_AC_API_VMOS,     /**< /vcpcloud/api/padApi/... */
};

/** The operations the driver uses. */
enum tl_ac_op {
    TL_AC_OP_SYNC_CMD,      /**< run a shell command, wait for its output (5 s server limit) */
    TL_AC_OP_ASYNC_CMD,     /**< start a shell command as a task */
    TL_AC_OP_SCRIPT_INFO,   /**< the result of an asyncCmd task */
    TL_AC_OP_PREVIEW,       /**< take a screenshot, get its download URL */
    TL_AC_OP_START_APP,     /**< launch an app (a task) */
    TL_AC_OP_STOP_APP,      /**< force-stop an app (a task) */
    TL_AC_OP_APP_TASK_INFO, /**< the result of a startApp/stopApp task */
    TL_AC_OP_PAD_INFOS,     /**< one page of the account's pads */
    TL_AC_OP__COUNT
};

/**
 * Parse ARMCLOUD_API: NULL, "" or "armcloud" give TL_AC_API_ARMCLOUD, "vmos" TL_AC_API_VMOS.
 * @return TL_OK or TL_EUSAGE naming ARMCLOUD_API and the accepted values.
 */
int tl_ac_api_parse(const char *s, enum tl_ac_api *out, tl_error *err);

/** "armcloud" or "vmos". Static. */
const char *tl_ac_api_name(enum tl_ac_api api);

/** The path of an operation in a table, e.g. "/openapi/open/pad/syncCmd". Static; NULL for an
 * out-of-range argument. */
const char *tl_ac_path(enum tl_ac_api api, enum tl_ac_op op);

/** The operation's short name for messages ("syncCmd"). Static; "?" when out of range. */
const char *tl_ac_op_name(enum tl_ac_op op);

/** A parsed base URL. Dispose with tl_ac_base_dispose(). */
typedef struct tl_ac_base {
    char *url;  /**< owned: scheme://host[:port][/prefix], no trailing '/' */
    char *host; /**< owned: host[:port] exactly as written in the URL (the x-host value) */
    bool https; /**< the scheme is https */
} tl_ac_base;

/**
 * Parse ARMCLOUD_BASE_URL (NULL or "": TL_AC_DEFAULT_BASE): http or https, a host with an
 * optional port, an optional path prefix; no user:password@, query or fragment.
 * @return TL_OK; TL_EUSAGE naming ARMCLOUD_BASE_URL and what is wrong; TL_ENOMEM.
 */
int tl_ac_base_parse(tl_ac_base *out, const char *url, tl_error *err);

/** Free a base's strings. NULL is accepted. */
void tl_ac_base_dispose(tl_ac_base *b);

/** Append the full URL of an operation (base url + path) to out. @return TL_OK, TL_ENOMEM. */
int tl_ac_url(tl_buf *out, const tl_ac_base *b, enum tl_ac_api api, enum tl_ac_op op);

/*
 * Request bodies: compact UTF-8 JSON, no null members, appended to out. These are the exact
 * bytes that are hashed and sent. @return TL_OK or TL_ENOMEM.
 */

/** {"padCode":PAD,"scriptContent":SCRIPT} */
int tl_ac_body_sync_cmd(tl_buf *out, const char *pad, const char *script);
/** {"padCodes":[PAD],"scriptContent":SCRIPT} */
int tl_ac_body_async_cmd(tl_buf *out, const char *pad, const char *script);
/** {"taskIds":[ID]} (executeScriptInfo, appOperateInfo) */
int tl_ac_body_task_ids(tl_buf *out, long long task_id);
/** {"padCodes":[PAD],"rotation":0,"broadcast":false} */
int tl_ac_body_preview(tl_buf *out, const char *pad);
/** {"padCodes":[PAD],"pkgName":PACKAGE} (startApp, stopApp) */
int tl_ac_body_app(tl_buf *out, const char *pad, const char *package);
/** {"page":PAGE,"rows":ROWS} plus "padCodes":[PAD] when pad is not NULL */
int tl_ac_body_pad_infos(tl_buf *out, int page, int rows, const char *pad);

/** One row of the error table: an envelope code, what the reference says it means, and the
 * taploop status it maps to. */
typedef struct tl_ac_error_code {
    long code;
    int status;          /**< TL_E* */
    const char *meaning; /**< the reference's description */
    const char *advice;  /**< what to do, or NULL */
} tl_ac_error_code;

/** The row of an envelope code, or NULL for a code the table does not know. */
const tl_ac_error_code *tl_ac_error_lookup(long code);

/** The whole table (for the docs and the tests): *n rows. Static. */
const tl_ac_error_code *tl_ac_error_table(size_t *n);

/**
 * Check a response's envelope only. On a code other than 200, *code is set and the mapped
 * error returned (unknown codes: TL_EBADRESP quoting code and msg); `pad` (may be NULL) is
 * named by not-found errors.
 * @return TL_OK when the envelope says 200; the mapped code; TL_EBADRESP for a body that is not
 *         an envelope (*code is then 0).
 */
int tl_ac_check_envelope(const char *body, size_t len, enum tl_ac_op op, const char *pad,
                         long *code, tl_error *err);

/** A command or app task as the server reports it. Dispose with tl_ac_task_dispose(). */
typedef struct tl_ac_task {
    long env_code;     /**< the envelope's code (200 on success; 0 if there was none) */
    long long task_id; /**< taskId, or -1 when absent */
    int status;        /**< taskStatus (3 done, 1 pending, 2 running, -1..-4 failed), or 0 */
    bool has_status;   /**< the item had a taskStatus */
    int vm_status;     /**< vmStatus (0 offline, 1 online), or -1 when absent */
    char *output;      /**< owned: errorMsg when it is a non-empty string, else taskResult,
                            else "" (never NULL after TL_OK) */
    size_t output_len;
    bool no_item; /**< set with TL_EBADRESP when `data` held no item for the task or pad (a task
                       the server does not list yet) */
} tl_ac_task;

void tl_ac_task_dispose(tl_ac_task *t);

/** Task statuses of the reference. */
enum {
    TL_AC_TASK_PENDING = 1,
    TL_AC_TASK_RUNNING = 2,
    TL_AC_TASK_DONE = 3,
    TL_AC_TASK_FAILED = -1,
    TL_AC_TASK_PARTIAL = -2,
    TL_AC_TASK_CANCELED = -3,
    TL_AC_TASK_TIMEOUT = -4,
};

/** true for a status after which the task changes no more (done, failed, canceled, timeout). */
bool tl_ac_task_final(int status);

/** A few words for a task status ("timed out"). Static. */
const char *tl_ac_task_status_text(int status);

/**
 * Parse the answer of a task operation (syncCmd, asyncCmd, executeScriptInfo, startApp,
 * stopApp, appOperateInfo): the envelope, then `data` (an array of task objects, or one
 * object), from which the item for `task_id` (when >= 0) or else for `pad` is taken.
 * out is overwritten (dispose it first when reusing).
 * @return TL_OK; the envelope's mapped error (out->env_code set: 110012 is TL_ETIMEOUT);
 *         TL_ENOTREADY when the item says vmStatus 0 (the pad is offline); TL_EBADRESP when
 *         data is missing or has no item for the pad or task; TL_ENOMEM.
 */
int tl_ac_parse_task(const char *body, size_t len, enum tl_ac_op op, const char *pad,
                     long long task_id, tl_ac_task *out, tl_error *err);

/**
 * Parse a generatePreview answer: the accessUrl of `pad` (an http or https URL) into *url.
 * @return TL_OK (*url owned by the caller, free()); the envelope's error; TL_EBADRESP; ENOMEM.
 */
int tl_ac_parse_preview(const char *body, size_t len, const char *pad, char **url, tl_error *err);

/** One page of pads. */
typedef struct tl_ac_page {
    int page;       /**< the page number the server says this is */
    int total_page; /**< totalPage (0 when absent) */
    size_t rows;    /**< pads on this page */
} tl_ac_page;

/**
 * Parse one page of /pad/infos, appending each pad to out: id = padCode, name = padIp
 * (decrypted when it is an encrypted field; "" if none), state = the padStatus in words
 * ("running", "restarting", ...), type = padGrade (the instance specification), ready =
 * padStatus 10 (running).
 * @return TL_OK; the envelope's error; TL_EBADRESP (data not an object, pageData not an array,
 *         a pad without padCode); TL_ENOMEM.
 */
int tl_ac_parse_pad_infos(const char *body, size_t len, tl_device_list *out, tl_ac_page *page,
                          tl_error *err);

/** The word for a padStatus ("running" for 10, ...); "status N" style words are written into
 * buf for unknown values. @return buf or a static string. */
const char *tl_ac_pad_status_text(int status, char *buf, size_t size);

/** true for a pad code the driver accepts: 1-128 printable ASCII characters, no space. */
bool tl_ac_pad_code_valid(const char *pad);

/**
 * Split the output of the first observe command, `[wm size ;] DUMP && SIZE && READ(0, n)`:
 * what comes before the line of uiautomator's that says "dumped to" is the output of the
 * commands before the dump (*head_len bytes); after that line, the first line that is a decimal
 * number is the dump's size in bytes, and everything after it is the start of the file.
 * @return TL_OK with *head_len, *size and *data_off (offsets into output); TL_EBADRESP when
 *         there is no such size line.
 */
int tl_ac_split_dump_output(const char *output, size_t len, size_t *head_len, size_t *size,
                            size_t *data_off, tl_error *err);

/**
 * How many bytes of a chunk read from file offset `off` can be kept, so that the next read
 * starts on a character boundary: got bytes arrived for the `want` asked. The last chunk
 * (off + want >= size) is kept whole when it is complete; any other chunk loses a trailing
 * incomplete UTF-8 sequence and trailing U+FFFD replacement characters (what a server that
 * decodes command output as UTF-8 makes of a character cut in two), which the next read asks
 * for again. @return the bytes to keep (the file offset advances by as much); 0 when nothing
 * can be kept (no progress).
 */
size_t tl_ac_chunk_keep(const char *data, size_t got, size_t want, bool last);

/**
 * Check downloaded screenshot bytes: a PNG (signature and IHDR chunk with a non-zero size) or
 * a JPEG (SOI marker), of at least a plausible size. @return TL_OK and *type ("image/png" or
 * "image/jpeg", static); TL_EBADRESP naming what arrived (an HTML page, an empty body, ...).
 */
int tl_ac_image_type(const void *data, size_t len, const char **type, tl_error *err);

/** The padStatus of a running pad. */
#define TL_AC_PAD_RUNNING 10

#endif
