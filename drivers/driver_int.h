/*
 * driver_int.h - for driver implementations only: the vtable and the base struct every driver
 * session embeds first. The rest of taploop uses drivers/driver.h.
 *
 * A driver is one `static const struct tl_driver_ops` with designated initializers, registered
 * in drivers/driver.c. Each slot documents whether it blocks and who frees outputs; optional
 * slots may be NULL (the wrapper then answers TL_EUNSUPPORTED).
 */
#ifndef TL_DRIVER_INT_H
#define TL_DRIVER_INT_H

#include "drivers/driver.h"

struct tl_driver_ops {
    unsigned abi_version; /* TL_DRIVER_ABI */
    const char *name;     /* "sim", ... */
    const char *summary;  /* one line for --help */
    unsigned caps;        /* TL_DRIVER_CAP_* */

    /* Open a session; *out is allocated by the driver and freed by close. Blocks (network). */
    int (*open)(tl_driver **out, const tl_driver_config *cfg, tl_error *err);
    /* Release the session and everything it holds, except base.device (freed by the
     * wrapper). Never fails. */
    void (*close)(tl_driver *d);
    /* Fill out (already initialised) with what `what` asks. Blocks. */
    int (*observe)(tl_driver *d, unsigned what, tl_observation *out, tl_error *err);
    int (*tap)(tl_driver *d, int x, int y, tl_error *err);
    int (*long_press)(tl_driver *d, int x, int y, int duration_ms, tl_error *err);
    int (*swipe)(tl_driver *d, int x1, int y1, int x2, int y2, int duration_ms, tl_error *err);
    int (*type)(tl_driver *d, const char *text, bool clear, tl_error *err);
    int (*press_key)(tl_driver *d, tl_key key, tl_error *err);
    int (*start_app)(tl_driver *d, const char *package, const char *activity, tl_error *err);
    int (*stop_app)(tl_driver *d, const char *package, tl_error *err);
    /* Optional. */
    int (*list_apps)(tl_driver *d, tl_app_list *out, tl_error *err);
    /* Optional; restores the initial state. */
    int (*reset)(tl_driver *d, tl_error *err);
    /* Optional; lists reachable devices without a session. */
    int (*list_devices)(const tl_driver_config *cfg, tl_device_list *out, tl_error *err);
};

/* The first member of every driver's session struct. */
struct tl_driver {
    const struct tl_driver_ops *ops;
    char *device;                  /* owned: the device id this session drives */
    volatile sig_atomic_t *cancel; /* from the config: the wrappers refuse to start once set */
};

/* Set the session's device id (copied). @return TL_OK or TL_ENOMEM. */
int tl_driver_set_device(tl_driver *d, const char *id);

/* Registered drivers. */
extern const struct tl_driver_ops tl_sim_driver;
extern const struct tl_driver_ops tl_mobilerun_driver;
extern const struct tl_driver_ops tl_armcloud_driver;
extern const struct tl_driver_ops tl_adb_driver;

#endif
