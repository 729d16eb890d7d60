/*
 * observe.h - one observation of a device, indexed: the step every command and the loop start
 * with. The driver fetches the tree (and a screenshot if asked), the element index parses it
 * with the display size the driver knows, and a tree the parser rejects is reported as the
 * device's fault (TL_EBADRESP), not the user's.
 */
#ifndef TL_OBSERVE_H
#define TL_OBSERVE_H

#include "agent/ui.h"
#include "drivers/driver.h"

/**
 * Observe `drv` (TL_OBSERVE_TREE is always fetched; add TL_OBSERVE_SCREENSHOT in `what`) into
 * `obs` (initialised by the caller) and index the tree into `ui`. `base` gives index options
 * (tap offsets, limits; may be NULL); the display size comes from the observation.
 * @return TL_OK; the driver's error; TL_EBADRESP naming the driver when the tree cannot be
 *         parsed; TL_ENOMEM.
 */
int tl_observe(tl_driver *drv, unsigned what, const tl_ui_options *base, tl_observation *obs,
               tl_ui *ui, tl_error *err);

/**
 * The indexing half of tl_observe(): parse obs->tree (with the observation's display size)
 * into `ui`. @return TL_OK; TL_EBADRESP naming the driver when the tree cannot be parsed;
 *         TL_ENOMEM.
 */
int tl_observe_index(const tl_driver *drv, const tl_ui_options *base, const tl_observation *obs,
                     tl_ui *ui, tl_error *err);

#endif
