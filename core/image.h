/*
 * image.h - screenshots as pixels: decode (PNG with libpng, JPEG with stb_image), downscale
 * with a proper filter (area averaging: each output pixel is the coverage-weighted mean of the
 * input pixels under it), draw boxes and labels, encode (JPEG with libjpeg-turbo, PNG with
 * libpng).
 *
 * A tl_image is RGB, 8 bits per channel, rows packed (stride 3 * w). It owns its pixels:
 * initialise it zeroed (or with tl_image_init), release it with tl_image_dispose. Functions that
 * fill an image replace what it held. All functions are thread-safe for distinct images.
 */
#ifndef TL_IMAGE_H
#define TL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/status.h"

/** Largest width or height accepted on decode. */
#define TL_IMAGE_MAX_SIDE   16384
/** Largest pixel count accepted on decode (16 Mpx, 48 MiB of RGB): three times the largest
 *  tablet screen (2960x1848), while bounding what a hostile screenshot costs to decode and
 *  scale (fuzzing found a 4112x7952 JPEG of 283 bytes taking seconds under ASan). */
#define TL_IMAGE_MAX_PIXELS ((size_t)16 << 20)

typedef struct tl_image {
    uint8_t *px; /**< owned; RGB rows, 3 * w * h bytes; NULL when empty */
    int w, h;
} tl_image;

/** The encodings. */
typedef enum tl_image_format {
    TL_IMAGE_UNKNOWN = 0,
    TL_IMAGE_PNG,
    TL_IMAGE_JPEG,
} tl_image_format;

/** An RGB colour. */
typedef struct tl_rgb {
    uint8_t r, g, b;
} tl_rgb;

void tl_image_init(tl_image *im);
void tl_image_dispose(tl_image *im);

/** The format of encoded bytes, from their magic number. */
tl_image_format tl_image_sniff(const void *data, size_t len);

/** MIME type of a format ("image/png", "image/jpeg"); NULL for TL_IMAGE_UNKNOWN. Static. */
const char *tl_image_mime(tl_image_format f);

/**
 * Decode a PNG or JPEG into `out` (RGB; alpha is composited on black, grey expanded, 16-bit
 * reduced). @return TL_OK; TL_EBADRESP for bytes that are neither, a corrupt image, or one
 * larger than TL_IMAGE_MAX_SIDE / TL_IMAGE_MAX_PIXELS (the message says which); TL_ENOMEM.
 */
int tl_image_decode(tl_image *out, const void *data, size_t len, tl_error *err);

/**
 * Downscale `in` into `out` so that its longer side is at most max_side, keeping the aspect
 * ratio (each side rounded to the nearest pixel, at least 1). An image that already fits is
 * copied unchanged. `out` must not be `in`. @return TL_OK, TL_EUSAGE (max_side < 1), TL_ENOMEM.
 */
int tl_image_fit(tl_image *out, const tl_image *in, int max_side, tl_error *err);

/**
 * Encode as JPEG (quality 1-100) or PNG (quality ignored), appending to `out`.
 * @return TL_OK, TL_EUSAGE (empty image, unknown format), TL_ENOMEM.
 */
int tl_image_encode(const tl_image *im, tl_image_format f, int quality, tl_buf *out, tl_error *err);

/** Fill the rectangle [x0, x1) x [y0, y1), clipped to the image. */
void tl_image_fill(tl_image *im, int x0, int y0, int x1, int y1, tl_rgb c);

/** Outline [x0, x1) x [y0, y1) with lines `thickness` pixels wide, inside the rectangle. */
void tl_image_frame(tl_image *im, int x0, int y0, int x1, int y1, int thickness, tl_rgb c);

/**
 * Width in pixels of ASCII text drawn by tl_image_text at cap height `cap` pixels (bytes
 * outside printable ASCII are drawn as '?').
 */
int tl_image_text_width(const char *s, int cap);

/** Height in pixels of a text line at cap height `cap` (cap plus descenders). */
int tl_image_text_height(int cap);

/** Draw ASCII text with its top-left at (x, y), letters `cap` pixels tall, clipped. */
void tl_image_text(tl_image *im, int x, int y, const char *s, int cap, tl_rgb c);

#endif
