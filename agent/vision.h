/*
 * vision.h - the screenshot the model sees with --vision: decoded once, downscaled to a longest
 * side, set-of-mark boxes and [N] labels drawn for the listed elements, encoded (JPEG or PNG),
 * and turned into an OpenAI image_url data URL. The frame also carries the mapping between
 * screen pixels and image pixels (tl_ui_view), which the model's coordinates go through.
 */
#ifndef TL_VISION_H
#define TL_VISION_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/ui.h"
#include "core/buf.h"
#include "core/image.h"
#include "core/status.h"

#define TL_VISION_MAX_SIDE 1024 /* default longest side of the image sent */
#define TL_VISION_QUALITY  75   /* default JPEG quality: ~30 KB for a 461x1024 screenshot */

/** How the image is made. Zero-initialise for the defaults, then set what differs. */
typedef struct tl_vision_options {
    int max_side;           /**< 0: TL_VISION_MAX_SIDE; the image is never enlarged */
    tl_image_format format; /**< TL_IMAGE_UNKNOWN (0): JPEG */
    int quality;            /**< JPEG quality 1-100, 0: TL_VISION_QUALITY */
    bool no_marks;          /**< leave out the set-of-mark boxes and labels */
} tl_vision_options;

/** One prepared image. Initialise with tl_vision_frame_init, release with _dispose. */
typedef struct tl_vision_frame {
    tl_buf encoded; /**< the image bytes sent (and written to the trajectory) */
    tl_image_format format;
    tl_ui_view view;                               /**< screen pixels <-> image pixels */
    int marks;                                     /**< boxes drawn */
    long decode_us, scale_us, marks_us, encode_us; /**< where the time went */
} tl_vision_frame;

void tl_vision_frame_init(tl_vision_frame *f);
void tl_vision_frame_dispose(tl_vision_frame *f);

/**
 * Prepare the image for a screenshot (PNG or JPEG bytes, decoded once here) of the screen
 * indexed in `ui`: scale it so its longer side is at most max_side, draw a box and the [N]
 * label of every listed element (unless no_marks), encode it into f->encoded (replaced).
 * The screen size is the index's (tl_ui_info.screen_w/h); when the index has none, the
 * screenshot's own size is used.
 * @return TL_OK; TL_EBADRESP for bytes that are not a decodable image (message says why);
 *         TL_EUSAGE for bad options; TL_ENOMEM.
 */
int tl_vision_prepare(tl_vision_frame *f, const void *shot, size_t len, const tl_ui *ui,
                      const tl_vision_options *opts, tl_error *err);

/** Append "data:image/jpeg;base64,..." for the frame. @return TL_OK or TL_ENOMEM. */
int tl_vision_data_url(const tl_vision_frame *f, tl_buf *out);

/**
 * Draw the set-of-mark boxes and labels of the listed elements of `ui` onto `im`, an image of
 * the screen mapped by `view`. Labels are sized for the image (readable at its resolution) and
 * kept inside it. @return the number of boxes drawn.
 */
int tl_vision_draw_marks(tl_image *im, const tl_ui *ui, const tl_ui_view *view);

/** The colour of mark N (a fixed cycle of strong colours). */
tl_rgb tl_vision_mark_color(int index);

#endif
