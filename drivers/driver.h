/*
 * driver.h - the device driver interface: one vtable every driver implements (sim, mobilerun,
 * armcloud, adb), and the tl_driver_* calls the rest of taploop uses. Never call a driver's
 * operations directly.
 *
 * A tl_driver is one open session with one device. Concurrency: any number of drivers may be
 * open at once, each used by one thread at a time; drivers keep no global mutable state, so a
 * batch drives hundreds of devices from as many threads. Blocking calls return early with
 * TL_ECANCELED once the config's cancel flag becomes non-zero.
 *
 * Errors: every call returns TL_OK or a TL_E* code with a message in err. The category says
 * what a caller can do: TL_EAUTH (credentials rejected), TL_ENET / TL_ETIMEOUT (unreachable),
 * TL_ENOTFOUND (no such device), TL_ENOTREADY (device offline or busy),
 * TL_EBADRESP (the device answered something unusable), TL_EUNSUPPORTED (this driver cannot do
 * that), TL_EREJECTED (the device refused the action: typing with no focused field, an app or
 * activity that is not installed),
 * TL_EUSAGE (bad configuration), TL_ECANCELED.
 */
#ifndef TL_DRIVER_H
#define TL_DRIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/keys.h"
#include "core/status.h"

/** Version of struct tl_driver_ops; a driver built for another version is refused. */
#define TL_DRIVER_ABI 1

/** What an observation should fetch. */
enum tl_observe_what {
    TL_OBSERVE_TREE = 1u << 0,       /**< the accessibility tree (text) */
    TL_OBSERVE_SCREENSHOT = 1u << 1, /**< an encoded screenshot (PNG or JPEG) */
};

/** Driver capabilities. */
enum tl_driver_caps {
    TL_DRIVER_CAP_SCREENSHOT = 1u << 0,       /**< can take screenshots */
    TL_DRIVER_CAP_APPS = 1u << 1,             /**< can list installed apps */
    TL_DRIVER_CAP_RESET = 1u << 2,            /**< can restore the device to its initial state */
    TL_DRIVER_CAP_PARALLEL_OBSERVE = 1u << 3, /**< fetches tree and screenshot concurrently */
};

/**
 * One observation. Initialise with tl_observation_init(), release with
 * tl_observation_dispose(); the buffers are owned by the observation.
 */
typedef struct tl_observation {
    tl_buf tree;       /**< UI tree text: ui-state JSON or uiautomator XML (empty if not asked) */
    tl_buf screenshot; /**< encoded image bytes (empty if not asked) */
    const char *screenshot_type;  /**< "image/png" or "image/jpeg"; static string; NULL if none */
    int32_t display_w, display_h; /**< natural-orientation display size if known, else 0 */
    uint32_t tree_ms, screenshot_ms; /**< how long each fetch took */
    char tree_source[192];           /**< where the tree came from, for messages about it (e.g.
                                          "GET /v1/devices/ID/ui-state"), or "" */
} tl_observation;

void tl_observation_init(tl_observation *o);
void tl_observation_dispose(tl_observation *o);

/** An installed app. */
typedef struct tl_app {
    char *package; /**< owned by the list */
    char *label;   /**< owned by the list; "" if unknown */
} tl_app;

/** A list of apps; release with tl_app_list_dispose(). */
typedef struct tl_app_list {
    tl_app *items; /**< owned */
    size_t n;
} tl_app_list;

void tl_app_list_dispose(tl_app_list *l);
/** Append an app (strings are copied). @return TL_OK or TL_ENOMEM. */
int tl_app_list_add(tl_app_list *l, const char *package, const char *label);

/** A device a driver can reach. */
typedef struct tl_device_info {
    char *id;    /**< what --device takes; owned by the list */
    char *name;  /**< human name; owned; "" if none */
    char *state; /**< the driver's word for its state ("ready", "disconnected", ...); owned */
    char *type;  /**< kind of device; owned; "" if none */
    bool ready;  /**< usable now */
} tl_device_info;

/** A list of devices; release with tl_device_list_dispose(). */
typedef struct tl_device_list {
    tl_device_info *items; /**< owned */
    size_t n;
} tl_device_list;

void tl_device_list_dispose(tl_device_list *l);
/** Append a device (strings are copied; NULL reads ""). @return TL_OK or TL_ENOMEM. */
int tl_device_list_add(tl_device_list *l, const char *id, const char *name, const char *state,
                       const char *type, bool ready);

/** How to open a device. Zero-initialise, then set what applies. */
typedef struct tl_driver_config {
    const char *device;            /**< --device; NULL or "" for the driver's first ready device */
    bool fresh;                    /**< start from the device's initial state where the driver can
                                        (the sim for run/batch/test, so that runs are reproducible) */
    bool persist;                  /**< keep state across invocations where the driver keeps it (the
                                        sim for observe/act) */
    volatile sig_atomic_t *cancel; /**< when non-NULL and non-zero, blocking calls give up */
    int timeout_ms;                /**< bound for one device call (0: the driver's default) */
    bool wait;                     /**< --wait: wait for the device to become ready instead of
                                        failing with TL_ENOTREADY (bounded by wait_timeout_ms) */
    int wait_timeout_ms;           /**< bound for --wait and for provisioning (0: driver default) */
    const char *provision;         /**< --provision TYPE: create a temporary device of this type
                                        for the session and terminate it on close (cloud drivers;
                                        others answer TL_EUNSUPPORTED) */
    const char *apps;              /**< --apps pkg,...: apps to install on a provisioned device */
} tl_driver_config;

typedef struct tl_driver tl_driver;

/** Name of the i-th registered driver (0-based), or NULL past the last one. */
const char *tl_driver_name_at(size_t i);

/** true if a driver of this name is registered. */
bool tl_driver_exists(const char *name);

/**
 * Open a session with a device. Caller closes it with tl_driver_close().
 * @return TL_OK; TL_EUSAGE for an unknown driver name or bad configuration (missing env var);
 *         TL_ENOTFOUND when the device does not exist; TL_ENOTREADY when it is not usable;
 *         other codes as in the header comment.
 */
int tl_driver_open(tl_driver **out, const char *name, const tl_driver_config *cfg, tl_error *err);

/** Close a session, releasing the device. NULL is accepted. */
void tl_driver_close(tl_driver *d);

/** The driver's name ("sim", ...). Borrowed, static. */
const char *tl_driver_name(const tl_driver *d);

/** The device this session drives (as --device would name it). Borrowed from d. */
const char *tl_driver_device(const tl_driver *d);

/** TL_DRIVER_CAP_* bits. */
unsigned tl_driver_caps(const tl_driver *d);

/**
 * Observe the device: fetch what `what` asks (TL_OBSERVE_* bits) into `out`, which must be
 * initialised; fetched buffers replace its content. Drivers with
 * TL_DRIVER_CAP_PARALLEL_OBSERVE fetch tree and screenshot concurrently.
 */
int tl_driver_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err);

/** Tap at screen pixel (x, y). @return TL_EUSAGE for negative coordinates. */
int tl_driver_tap(tl_driver *d, int x, int y, tl_error *err);

/** Press at (x, y) for duration_ms (>= 1). */
int tl_driver_long_press(tl_driver *d, int x, int y, int duration_ms, tl_error *err);

/** Swipe from (x1, y1) to (x2, y2) in duration_ms (>= 10). */
int tl_driver_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err);

/** Type UTF-8 text into the focused field, clearing it first when `clear`. */
int tl_driver_type(tl_driver *d, const char *text, bool clear, tl_error *err);

/** Press a key or global action. */
int tl_driver_press_key(tl_driver *d, tl_key key, tl_error *err);

/** Launch an app (activity may be NULL). */
int tl_driver_start_app(tl_driver *d, const char *package, const char *activity, tl_error *err);

/** Force-stop an app. */
int tl_driver_stop_app(tl_driver *d, const char *package, tl_error *err);

/** List installed apps into out (which must be zero-initialised). */
int tl_driver_list_apps(tl_driver *d, tl_app_list *out, tl_error *err);

/** Restore the device's initial state. @return TL_EUNSUPPORTED where a driver cannot. */
int tl_driver_reset(tl_driver *d, tl_error *err);

/**
 * List the devices a driver can reach, without opening one. out must be zero-initialised.
 */
int tl_driver_list_devices(const char *name, const tl_driver_config *cfg, tl_device_list *out,
                           tl_error *err);

#endif
