/*
 * test_image.c - the image pipeline on real PNG and JPEG inputs: the sim phone's screenshots
 * (written by libpng), PNGs of every colour type written here with libpng, and JPEGs written
 * with libjpeg in baseline, progressive and greyscale forms, all decoded and checked pixel by
 * pixel or by their mean; downscaling sizes, aspect ratio and mean preservation; drawing; both
 * encoders round-tripping through the decoder; hostile bytes.
 */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "core/image.h"
#include "drivers/driver.h"

/* An RGB test pattern: a gradient with a red square. */
static void pattern(tl_image *im, int w, int h)
{
    im->w = w;
    im->h = h;
    im->px = malloc((size_t)w * (size_t)h * 3);
    cr_assert_not_null(im->px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = im->px + ((size_t)y * (size_t)w + (size_t)x) * 3;
            p[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
            p[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
            p[2] = 128;
        }
    tl_image_fill(im, w / 4, h / 4, w / 2, h / 2, (tl_rgb){255, 0, 0});
}

static double mean(const tl_image *im, int c)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)im->w * (size_t)im->h; i++)
        s += im->px[i * 3 + (size_t)c];
    return s / ((double)im->w * im->h);
}

static const uint8_t *at(const tl_image *im, int x, int y)
{
    return im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
}

/* Write a PNG with libpng's simplified API in the given format. */
static void write_png(tl_buf *out, const void *px, int w, int h, png_uint_32 format)
{
    png_image pi;
    memset(&pi, 0, sizeof(pi));
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)w;
    pi.height = (png_uint_32)h;
    pi.format = format;
    png_alloc_size_t size = 0;
    cr_assert(png_image_write_to_memory(&pi, NULL, &size, 0, px, 0, NULL));
    cr_assert_eq(tl_buf_reserve(out, size), TL_OK);
    cr_assert(png_image_write_to_memory(&pi, out->data, &size, 0, px, 0, NULL));
    out->len = size;
}

/* Write a JPEG with libjpeg. */
static void write_jpeg(tl_buf *out, const tl_image *im, bool progressive, bool grey)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = (JDIMENSION)im->w;
    c.image_height = (JDIMENSION)im->h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 92, TRUE);
    if (grey)
        jpeg_set_colorspace(&c, JCS_GRAYSCALE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im->px + (size_t)c.next_scanline * (size_t)im->w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    tl_buf_append(out, mem, size);
    free(mem);
}

/* CRC-32 of a PNG chunk's type and data (ISO 3309, as in the PNG specification). */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* The sim phone's screenshot: a real PNG from a real encoder. */
static void sim_screenshot(tl_buf *out)
{
    tl_driver *d = NULL;
    tl_error err;
    tl_driver_config cfg = {.device = "sim", .fresh = true};
    cr_assert_eq(tl_driver_open(&d, "sim", &cfg, &err), TL_OK, "%s", err.msg);
    tl_observation o;
    tl_observation_init(&o);
    cr_assert_eq(tl_driver_observe(d, TL_OBSERVE_SCREENSHOT, &o, &err), TL_OK, "%s", err.msg);
    tl_buf_append(out, o.screenshot.data, o.screenshot.len);
    tl_observation_dispose(&o);
    tl_driver_close(d);
}

/* ---- decoding --------------------------------------------------------------------------- */

Test(image, decodes_the_sim_screenshot_and_scales_it)
{
    tl_buf png;
    tl_buf_init(&png, 0);
    sim_screenshot(&png);
    cr_assert_eq(tl_image_sniff(png.data, png.len), TL_IMAGE_PNG);
    tl_image full = {0}, small = {0};
    tl_error err;
    cr_assert_eq(tl_image_decode(&full, png.data, png.len, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(full.w, 1080);
    cr_assert_eq(full.h, 2400);
    cr_assert_eq(tl_image_fit(&small, &full, 1024, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(small.w, 461); /* 1080 * 1024 / 2400 = 460.8 */
    cr_assert_eq(small.h, 1024);
    for (int c = 0; c < 3; c++)
        cr_assert_float_eq(mean(&small, c), mean(&full, c), 1.0, "channel %d mean moved", c);
    tl_image_dispose(&full);
    tl_image_dispose(&small);
    tl_buf_dispose(&png);
}

Test(image, decodes_every_png_colour_type)
{
    tl_image src = {0};
    pattern(&src, 37, 23);
    /* grey, grey+alpha, RGB, RGBA, 16-bit linear RGB: all come back as 8-bit RGB */
    struct {
        png_uint_32 format;
        int channels;
    } forms[] = {
        {PNG_FORMAT_GRAY, 1}, {PNG_FORMAT_GA, 2}, {PNG_FORMAT_RGB, 3}, {PNG_FORMAT_RGBA, 4}};
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        int ch = forms[f].channels;
        uint8_t *px = malloc((size_t)src.w * (size_t)src.h * (size_t)ch);
        for (int i = 0; i < src.w * src.h; i++) {
            const uint8_t *s = src.px + i * 3;
            uint8_t grey = s[1];
            uint8_t v[4] = {ch < 3 ? grey : s[0], ch < 3 ? 255 : s[1], s[2], 255};
            memcpy(px + (size_t)i * (size_t)ch, v, (size_t)ch);
        }
        tl_buf png;
        tl_buf_init(&png, 0);
        write_png(&png, px, src.w, src.h, forms[f].format);
        tl_image out = {0};
        tl_error err;
        cr_assert_eq(tl_image_decode(&out, png.data, png.len, &err), TL_OK, "%s", err.msg);
        cr_assert_eq(out.w, src.w);
        cr_assert_eq(out.h, src.h);
        for (int y = 0; y < src.h; y++)
            for (int x = 0; x < src.w; x++) {
                const uint8_t *s = at(&src, x, y), *o = at(&out, x, y);
                if (ch < 3)
                    cr_assert(o[0] == s[1] && o[1] == s[1] && o[2] == s[1], "grey at %d,%d", x, y);
                else
                    cr_assert(memcmp(o, s, 3) == 0, "format %zu pixel %d,%d", f, x, y);
            }
        tl_image_dispose(&out);
        tl_buf_dispose(&png);
        free(px);
    }
    tl_image_dispose(&src);
}

Test(image, decodes_jpeg_baseline_progressive_and_grey)
{
    tl_image src = {0};
    pattern(&src, 64, 48);
    for (int form = 0; form < 3; form++) {
        tl_buf jpg;
        tl_buf_init(&jpg, 0);
        write_jpeg(&jpg, &src, form == 1, form == 2);
        cr_assert_eq(tl_image_sniff(jpg.data, jpg.len), TL_IMAGE_JPEG);
        tl_image out = {0};
        tl_error err;
        cr_assert_eq(tl_image_decode(&out, jpg.data, jpg.len, &err), TL_OK, "%s", err.msg);
        cr_assert_eq(out.w, 64);
        cr_assert_eq(out.h, 48);
        if (form < 2) {
            /* lossy, but close: the red square is red, the gradient runs left to right */
            const uint8_t *red = at(&out, 24, 18);
            cr_assert(red[0] > 200 && red[1] < 60 && red[2] < 60, "form %d: %d,%d,%d", form, red[0],
                      red[1], red[2]);
            cr_assert_lt(at(&out, 2, 40)[0], at(&out, 60, 40)[0]);
            for (int c = 0; c < 3; c++)
                cr_assert_float_eq(mean(&out, c), mean(&src, c), 4.0);
        } else {
            const uint8_t *p = at(&out, 5, 40);
            cr_assert(p[0] == p[1] && p[1] == p[2], "grey JPEG decodes to grey RGB");
        }
        tl_image_dispose(&out);
        tl_buf_dispose(&jpg);
    }
    tl_image_dispose(&src);
}

Test(image, refuses_hostile_bytes)
{
    tl_image out = {0};
    tl_error err;
    cr_assert_eq(tl_image_decode(&out, "GIF89a", 6, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "not a PNG or JPEG"), "%s", err.msg);
    cr_assert_eq(tl_image_decode(&out, "", 0, &err), TL_EBADRESP);

    /* a real PNG cut short, and one with its pixel data corrupted */
    tl_buf png;
    tl_buf_init(&png, 0);
    sim_screenshot(&png);
    for (size_t cut = 8; cut < png.len; cut += png.len / 7 + 1) {
        cr_assert_eq(tl_image_decode(&out, png.data, cut, &err), TL_EBADRESP, "cut at %zu", cut);
        cr_assert_null(out.px);
    }
    /* a PNG header claiming 100000 x 100000 pixels (with a valid CRC): refused before any
     * allocation, with the reason */
    tl_buf big;
    tl_buf_init(&big, 0);
    tl_buf_append(&big, png.data, png.len);
    static const unsigned char dims[8] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};
    memcpy(big.data + 16, dims, 8);
    uint32_t crc = crc32_png((const unsigned char *)big.data + 12, 17);
    for (int i = 0; i < 4; i++)
        big.data[29 + i] = (char)(crc >> (24 - 8 * i));
    cr_assert_eq(tl_image_decode(&out, big.data, big.len, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "too large"), "%s", err.msg);
    tl_buf_dispose(&big);

    /* a JPEG cut short */
    tl_image src = {0};
    pattern(&src, 40, 40);
    tl_buf jpg;
    tl_buf_init(&jpg, 0);
    write_jpeg(&jpg, &src, false, false);
    cr_assert_eq(tl_image_decode(&out, jpg.data, 40, &err), TL_EBADRESP);
    cr_assert_null(out.px);
    tl_image_dispose(&src);
    tl_buf_dispose(&jpg);
    tl_buf_dispose(&png);
}

/* ---- scaling ---------------------------------------------------------------------------- */

/* Found by fuzzing: 283 bytes of JPEG declaring 7952x4112 pixels cost seconds to decode and
 * scale under ASan; over the 16-megapixel bound, it is refused before decoding. */
Test(image, refuses_a_tiny_jpeg_declaring_too_many_pixels)
{
    FILE *f = fopen(TL_TESTS_DIR "/fuzz/corpus/image/regress-jpeg-4112x7952-slow.jpg", "rb");
    cr_assert_not_null(f);
    unsigned char data[1024];
    size_t n = fread(data, 1, sizeof(data), f);
    fclose(f);
    cr_assert(n > 100 && n < sizeof(data));
    tl_image out = {0};
    tl_error err = {0};
    cr_assert_eq(tl_image_decode(&out, data, n, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "too large (7952x4112"), "%s", err.msg);
    cr_assert_null(out.px);
}

Test(image, fit_keeps_aspect_ratio)
{
    struct {
        int w, h, max, ow, oh;
    } cases[] = {
        {1080, 2400, 1024, 461, 1024}, {2400, 1080, 1024, 1024, 461}, {1440, 3200, 1024, 461, 1024},
        {720, 1600, 800, 360, 800},    {1081, 2401, 512, 231, 512},   {100, 50, 1024, 100, 50},
        {3000, 2, 100, 100, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tl_image in = {0}, out = {0};
        pattern(&in, cases[i].w, cases[i].h);
        tl_error err;
        cr_assert_eq(tl_image_fit(&out, &in, cases[i].max, &err), TL_OK, "%s", err.msg);
        cr_assert(out.w == cases[i].ow && out.h == cases[i].oh, "%dx%d max %d gave %dx%d",
                  cases[i].w, cases[i].h, cases[i].max, out.w, out.h);
        if (out.w > 4 && out.h > 4)
            for (int c = 0; c < 3; c++)
                cr_assert_float_eq(mean(&out, c), mean(&in, c), 2.0, "case %zu channel %d", i, c);
        tl_image_dispose(&in);
        tl_image_dispose(&out);
    }
}

Test(image, fit_averages_areas)
{
    /* 4x2 pixels: a black column pair and a white one; halved, each output pixel is uniform. */
    tl_image in = {0}, out = {0};
    in.w = 4;
    in.h = 2;
    in.px = calloc(4 * 2 * 3, 1);
    tl_image_fill(&in, 2, 0, 4, 2, (tl_rgb){255, 255, 255});
    tl_error err;
    cr_assert_eq(tl_image_fit(&out, &in, 2, &err), TL_OK);
    cr_assert_eq(out.w, 2);
    cr_assert_eq(at(&out, 0, 0)[0], 0);
    cr_assert_eq(at(&out, 1, 0)[0], 255);
    /* 3 -> 2: the middle input pixel is split between both outputs */
    tl_image_dispose(&in);
    in.w = 3;
    in.h = 1;
    in.px = calloc(3 * 3, 1);
    tl_image_fill(&in, 1, 0, 2, 1, (tl_rgb){255, 255, 255});
    cr_assert_eq(tl_image_fit(&out, &in, 2, &err), TL_OK);
    cr_assert_eq(out.w, 2);
    cr_assert_eq(at(&out, 0, 0)[0], 85); /* (0 * 1 + 255 * 0.5) / 1.5 */
    cr_assert_eq(at(&out, 1, 0)[0], 85);
    tl_image_dispose(&in);
    tl_image_dispose(&out);
    cr_assert_eq(tl_image_fit(&out, &in, 0, &err), TL_EUSAGE);
}

/* ---- encoding ----------------------------------------------------------------------------- */

Test(image, encoders_round_trip)
{
    tl_image src = {0}, back = {0};
    pattern(&src, 120, 90);
    tl_error err;
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_image_encode(&src, TL_IMAGE_PNG, 0, &b, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_image_sniff(b.data, b.len), TL_IMAGE_PNG);
    cr_assert_eq(tl_image_decode(&back, b.data, b.len, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(memcmp(back.px, src.px, 120 * 90 * 3), 0, "PNG is lossless");
    tl_buf_clear(&b);
    cr_assert_eq(tl_image_encode(&src, TL_IMAGE_JPEG, 75, &b, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(tl_image_sniff(b.data, b.len), TL_IMAGE_JPEG);
    cr_assert_eq(tl_image_decode(&back, b.data, b.len, &err), TL_OK, "%s", err.msg);
    cr_assert_eq(back.w, 120);
    for (int c = 0; c < 3; c++)
        cr_assert_float_eq(mean(&back, c), mean(&src, c), 3.0);
    size_t q75 = b.len;
    tl_buf_clear(&b);
    tl_image_encode(&src, TL_IMAGE_JPEG, 30, &b, &err);
    cr_assert_lt(b.len, q75, "lower quality, fewer bytes");
    tl_image empty = {0};
    cr_assert_eq(tl_image_encode(&empty, TL_IMAGE_JPEG, 75, &b, &err), TL_EUSAGE);
    tl_buf_dispose(&b);
    tl_image_dispose(&src);
    tl_image_dispose(&back);
}

/* ---- drawing ------------------------------------------------------------------------------ */

Test(image, drawing_is_clipped)
{
    tl_image im = {0};
    im.w = 20;
    im.h = 10;
    im.px = calloc(20 * 10 * 3, 1);
    tl_rgb red = {255, 0, 0};
    tl_image_fill(&im, -5, -5, 3, 3, red);
    cr_assert_eq(at(&im, 0, 0)[0], 255);
    cr_assert_eq(at(&im, 3, 3)[0], 0);
    tl_image_frame(&im, 5, 2, 15, 9, 1, red);
    cr_assert_eq(at(&im, 5, 5)[0], 255);  /* left edge */
    cr_assert_eq(at(&im, 14, 5)[0], 255); /* right edge, inside the rectangle */
    cr_assert_eq(at(&im, 10, 5)[0], 0);   /* inside */
    tl_image_fill(&im, 15, 0, 100, 100, red);
    tl_image_text(&im, 15, 5, "1234567890", 50, red); /* far outside: clipped, no crash */
    tl_image_text(&im, -100, -100, "\x01\xff", 7, red);
    cr_assert_gt(tl_image_text_width("12", 11), tl_image_text_width("1", 11));
    cr_assert_eq(tl_image_text_width("", 11), 0);
    tl_image_dispose(&im);
}
