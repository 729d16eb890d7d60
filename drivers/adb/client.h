/*
 * client.h - the adb host-protocol client: one connection to the adb server per request,
 * bounded in time (connect and whole-exchange timeouts, polled in short slices so that the
 * cancel flag stops it within 50 ms) and in size (a cap on what a device may send).
 *
 * Every call opens its own connection and closes it before returning, so a tl_adb_server may
 * be shared by any number of threads; the struct itself is never written by these calls.
 *
 * Errors: TL_ENET (the server is not reachable: the message names the socket and says how to
 * start the server), TL_ETIMEOUT, TL_ECANCELED, TL_ENOTFOUND (no device with that serial),
 * TL_ENOTREADY (the device is unauthorized, offline, ...: the message says what to do),
 * TL_EBADRESP (garbage, a FAIL of the service, a reply cut short, output over the cap),
 * TL_EUSAGE (a request too long to frame), TL_ENOMEM. Messages never quote the request, which
 * may carry typed text.
 */
#ifndef TL_ADB_CLIENT_H
#define TL_ADB_CLIENT_H

#include <signal.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"
#include "drivers/adb/protocol.h"

/** Defaults for the tl_adb_server fields left 0. */
#define TL_ADB_CONNECT_TIMEOUT_MS 5000
#define TL_ADB_TIMEOUT_MS         30000

/** How to reach the adb server. A plain struct owned by the caller; borrowed by the calls. */
typedef struct tl_adb_server {
    tl_adb_socket_spec spec;       /**< where it listens */
    volatile sig_atomic_t *cancel; /**< may be NULL; non-zero stops a call with TL_ECANCELED */
    int connect_timeout_ms;        /**< 0: TL_ADB_CONNECT_TIMEOUT_MS */
    int timeout_ms;                /**< bound of one whole exchange; 0: TL_ADB_TIMEOUT_MS */
} tl_adb_server;

/**
 * Run a host service (`host:version`, `host:devices-l`) and put the block it answers into out
 * (cleared first; out->max bounds it). Blocks up to the server's timeout.
 * @return TL_OK; TL_EBADRESP for a FAIL reply (its message quoted) or garbage; see above.
 */
int tl_adb_host_query(const tl_adb_server *srv, const char *service, tl_buf *out, tl_error *err);

/**
 * Run a device service: connect, `host:transport:SERIAL`, then `service` (`shell:...`,
 * `exec:...`), and read everything the device sends until it closes the connection into out
 * (cleared first). `what` names the command in messages ("uiautomator dump"), never the
 * request itself. At most `max` bytes are accepted (more: TL_EBADRESP saying so).
 * @return TL_OK; TL_ENOTFOUND / TL_ENOTREADY when the server refuses the serial; TL_EBADRESP when
 *         the device refuses the service; see above.
 */
int tl_adb_device_service(const tl_adb_server *srv, const char *serial, const char *service,
                          const char *what, tl_buf *out, size_t max, tl_error *err);

#endif
