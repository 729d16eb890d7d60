/*
 * observe.c - observe a device and index what it shows (see observe.h).
 */
#include "agent/observe.h"

int tl_observe_index(const tl_driver *drv, const tl_ui_options *base, const tl_observation *obs,
                     tl_ui *ui, tl_error *err)
{
    tl_ui_options opts = {0};
    if (base)
        opts = *base;
    opts.display_w = obs->display_w;
    opts.display_h = obs->display_h;
    int rc = tl_ui_parse(ui, obs->tree.data ? obs->tree.data : "", obs->tree.len, &opts, err);
    if (rc == TL_EPARSE) {
        if (obs->tree_source[0])
            tl_error_prefix(err,
                            "%s: %s: the device's UI tree could not be read: ", tl_driver_name(drv),
                            obs->tree_source);
        else
            tl_error_prefix(err,
                            "%s: the device's UI tree could not be read: ", tl_driver_name(drv));
        err->code = rc = TL_EBADRESP;
    }
    return rc;
}

int tl_observe(tl_driver *drv, unsigned what, const tl_ui_options *base, tl_observation *obs,
               tl_ui *ui, tl_error *err)
{
    int rc = tl_driver_observe(drv, what | TL_OBSERVE_TREE, obs, err);
    return rc ? rc : tl_observe_index(drv, base, obs, ui, err);
}
