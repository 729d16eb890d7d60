/*
 * fuzz_image.c - fuzz the screenshot decoder (core/image.h): tl_image_decode on PNG or JPEG
 * bytes (libpng, stb_image), then tl_image_fit to a small size and a JPEG encode of the result,
 * so that every decoded image goes through the same path as a screenshot sent to the model.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/image.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_image im = {0}, small = {0};
    tl_error err;
    tl_image_sniff(data, size);
    if (tl_image_decode(&im, data, size, &err) == TL_OK) {
        if (!im.px || im.w < 1 || im.h < 1 || im.w > TL_IMAGE_MAX_SIDE ||
            im.h > TL_IMAGE_MAX_SIDE) {
            fprintf(stderr, "fuzz_image: decoded image of %dx%d\n", im.w, im.h);
            abort();
        }
        /* Scaling is linear and its paths (halving, area averaging, odd sizes) do not depend
         * on the size: above 2 Mpx it only costs time under the fuzzer's instrumentation (a
         * 10 Mpx image took over 10 s). tests/core/test_image.c scales full-size screens. */
        if ((size_t)im.w * (size_t)im.h <= ((size_t)2 << 20) &&
            tl_image_fit(&small, &im, 48, &err) == TL_OK) {
            tl_buf jpeg;
            tl_buf_init(&jpeg, 0);
            tl_image_encode(&small, TL_IMAGE_JPEG, 70, &jpeg, &err);
            tl_buf_dispose(&jpeg);
        }
    }
    tl_image_dispose(&small);
    tl_image_dispose(&im);
    return 0;
}
