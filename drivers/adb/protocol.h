/*
 * protocol.h - the adb host protocol as taploop speaks it, without any I/O: where the adb server
 * listens (ADB_SERVER_SOCKET), request framing, OKAY/FAIL replies, length-prefixed blocks, the
 * `host:devices-l` listing, the exit-status marker appended to `shell:` commands, and the PNG
 * completeness check of `exec:screencap -p`. docs/adb.md describes the subset used.
 *
 * Everything here reads bytes that come from a server or a device, so every function accepts any
 * input: it never reads past the length it is given, never needs a NUL terminator, and answers
 * garbage with TL_EBADRESP and a message quoting (a bounded, printable excerpt of) what came.
 * Nothing keeps a pointer into its input except where written.
 */
#ifndef TL_ADB_PROTOCOL_H
#define TL_ADB_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/** Where the adb server listens unless ADB_SERVER_SOCKET says otherwise. */
#define TL_ADB_DEFAULT_SOCKET "tcp:127.0.0.1:5037"

/** Longest request the host protocol can frame (its length is 4 hex digits). */
#define TL_ADB_MAX_REQUEST 0xffff

/** Returned (positive) by the reply parsers when the bytes so far are a valid prefix. */
#define TL_ADB_INCOMPLETE 1

/** Kinds of server socket. */
typedef enum tl_adb_sock_kind {
    TL_ADB_SOCK_TCP,      /**< tcp:HOST:PORT or tcp:PORT */
    TL_ADB_SOCK_UNIX,     /**< localfilesystem:PATH (also local:PATH) */
    TL_ADB_SOCK_ABSTRACT, /**< localabstract:NAME (Linux abstract namespace) */
} tl_adb_sock_kind;

/** A parsed socket spec; a plain struct owned by the caller. */
typedef struct tl_adb_socket_spec {
    tl_adb_sock_kind kind;
    char host[256]; /**< TCP: host name or address, without IPv6 brackets */
    int port;       /**< TCP: 1..65535 */
    char path[108]; /**< UNIX / ABSTRACT: the path or name (sun_path holds at most 107) */
    char text[400]; /**< the spec as written, for messages: "tcp:127.0.0.1:5037" */
} tl_adb_socket_spec;

/**
 * Parse an adb socket spec: `tcp:HOST:PORT`, `tcp:[IPV6]:PORT`, `tcp:PORT` (localhost),
 * `localfilesystem:PATH`, `local:PATH` (the same) or `localabstract:NAME`.
 * @return TL_OK; TL_EUSAGE with a message quoting the spec and saying what is wrong.
 */
int tl_adb_parse_socket_spec(tl_adb_socket_spec *out, const char *spec, tl_error *err);

/**
 * The server socket from the value of ADB_SERVER_SOCKET (`value` is getenv()'s answer): NULL or
 * "" gives TL_ADB_DEFAULT_SOCKET. @return TL_OK; TL_EUSAGE whose message names ADB_SERVER_SOCKET.
 */
int tl_adb_socket_from_env(tl_adb_socket_spec *out, const char *value, tl_error *err);

/**
 * Append the framed request: the service's length as 4 lower-case hex digits, then the service.
 * @return TL_OK; TL_EUSAGE for an empty service or one longer than TL_ADB_MAX_REQUEST bytes
 *         (nothing appended); TL_ENOMEM.
 */
int tl_adb_frame(tl_buf *out, const char *service, tl_error *err);

/** A status reply: OKAY, or FAIL with the server's message. */
typedef struct tl_adb_status {
    bool okay;
    const char *msg; /**< FAIL: the message, pointing into the parsed buffer; NULL for OKAY */
    size_t msg_len;
    size_t consumed; /**< bytes of the buffer the reply took */
} tl_adb_status;

/**
 * Parse a status reply at the start of buf: "OKAY", or "FAIL" + 4 hex digits + message.
 * @return TL_OK with *out; TL_ADB_INCOMPLETE when buf is a valid but incomplete prefix;
 *         TL_EBADRESP for anything else (the message quotes what came).
 */
int tl_adb_parse_status(const char *buf, size_t len, tl_adb_status *out, tl_error *err);

/**
 * Parse a length-prefixed block at the start of buf (4 hex digits, then that many bytes), as
 * `host:version` and `host:devices-l` send after OKAY. *payload points into buf.
 * @return TL_OK; TL_ADB_INCOMPLETE; TL_EBADRESP when the length is not 4 hex digits.
 */
int tl_adb_parse_block(const char *buf, size_t len, const char **payload, size_t *payload_len,
                       size_t *consumed, tl_error *err);

/**
 * Parse the payload of `host:version` (the server's version as 4 hex digits, e.g. "0029").
 * @return TL_OK; TL_EBADRESP.
 */
int tl_adb_parse_version(const char *payload, size_t len, int *version, tl_error *err);

/** One line of `host:devices-l`. Strings are owned by the list; control bytes become '?'. */
typedef struct tl_adb_device {
    char *serial;  /**< "emulator-5554", "R58M123ABC", "192.168.1.5:5555" */
    char *state;   /**< "device", "unauthorized", "offline", "no permissions (...); see [...]" */
    char *product; /**< "" when not given */
    char *model;   /**< "" when not given */
    char *device;  /**< "" when not given */
    char *usb;     /**< the devpath ("usb:1-1"), "" when not given */
    long transport_id; /**< -1 when not given */
} tl_adb_device;

/** A device list; zero-initialise, release with tl_adb_devices_dispose(). */
typedef struct tl_adb_devices {
    tl_adb_device *items; /**< owned */
    size_t n;
} tl_adb_devices;

/** Most lines tl_adb_parse_devices() accepts. */
#define TL_ADB_MAX_DEVICES 1024

/**
 * Parse the text of `host:devices-l` (also `host:devices`: "SERIAL\tSTATE" lines) into out,
 * which must be zero-initialised. Lines are "SERIAL STATE [usb:P] [product:P] [model:M]
 * [device:D] [transport_id:N]"; the state may hold spaces ("no permissions (...); see [URL]").
 * Blank lines and the adb client's "List of devices attached" header are skipped.
 * @return TL_OK; TL_EBADRESP quoting a line that has no state, or when there are more than
 *         TL_ADB_MAX_DEVICES lines (out is then empty); TL_ENOMEM.
 */
int tl_adb_parse_devices(tl_adb_devices *out, const char *text, size_t len, tl_error *err);

/** Free the list's content; it is left empty. NULL is accepted. */
void tl_adb_devices_dispose(tl_adb_devices *l);

/**
 * The device `target` names, the way adb's -s does: an exact serial, or `product:P`, `model:M`,
 * `device:D`, or a devpath (`usb:1-1`). Borrowed from l. @return NULL when none, or when a
 * qualifier matches several devices (*ambiguous is then set; ambiguous may be NULL).
 */
const tl_adb_device *tl_adb_devices_find(const tl_adb_devices *l, const char *target,
                                         bool *ambiguous);

/** true when a device in this state accepts commands ("device"). */
bool tl_adb_state_ready(const char *state);

/**
 * What the user can do about a device in `state`, as one sentence ("accept the "Allow USB
 * debugging?" prompt on the phone"). Never NULL; a static string.
 */
const char *tl_adb_state_advice(const char *state);

/** The marker the exit status of a `shell:` command is printed after. */
#define TL_ADB_EXIT_MARKER ":taploop-exit="

/**
 * Append the `shell:` service for a command line built by drivers/adbshell.h: the line, then
 * `; echo :taploop-exit=$?`, so that the legacy shell service (which sends no exit status) ends
 * its output with the status of the command line.
 * @return TL_OK; TL_EUSAGE for an empty line or one holding a newline or NUL; TL_ENOMEM.
 */
int tl_adb_shell_service(tl_buf *out, const char *cmdline, tl_error *err);

/**
 * Split the output of a tl_adb_shell_service() command: the command's own output is the first
 * *body_len bytes, its exit status *status (0..255). The marker must be the last thing in the
 * output, followed by the decimal status and "\n" (or "\r\n").
 * @return TL_OK; TL_EBADRESP when the output does not end with the marker (the connection
 *         closed before the command finished).
 */
int tl_adb_split_exit(const char *out, size_t len, size_t *body_len, int *status, tl_error *err);

/**
 * Is this a whole PNG file: the signature at the start and the IEND chunk at the end?
 * (`exec:screencap -p` ends its output with the file; a cut connection loses the end.)
 */
bool tl_adb_png_complete(const char *data, size_t len);

/**
 * Write a printable excerpt of bytes into out (NUL-terminated, at most size-1 bytes): the first
 * line, control bytes as '?', cut with "..." when longer. For messages quoting device output.
 */
void tl_adb_excerpt(char *out, size_t size, const char *data, size_t len);

#endif
