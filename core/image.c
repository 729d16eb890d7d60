/*
 * image.c - decode, downscale, draw, encode (see image.h).
 *
 * PNG is decoded with libpng's full API (see decode_png) and encoded with its simplified API
 * (png_image), which reports errors through the struct instead of longjmp. JPEG decoding
 * comes from Debian's libstb (stb_image), JPEG encoding from libjpeg-turbo. Downscaling
 * is area averaging, written here: stb_image_resize's Mitchell filter took ~45 ms for a
 * 1080x2400 screenshot, this ~5 ms. Text is drawn with stb_easy_font's quads.
 */
#include "core/image.h"

#include <png.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

/* stb_easy_font is header-only with static functions, some unused here; its one mutable static
 * (the spacing) is never written, so it is effectively constant and thread-safe. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#define FONT_CAP        7   /* stb_easy_font's cap height in font units */
#define FONT_LINE       10  /* cap plus descenders, in font units */
#define MAX_GLYPH_QUADS 64  /* the busiest glyph needs 11 quads */
#define QUAD_BYTES      64  /* 4 vertices of x, y, z floats and 4 colour bytes */
#define MAX_CAP         512 /* bound on the letter size */

void tl_image_init(tl_image *im)
{
    memset(im, 0, sizeof(*im));
}

void tl_image_dispose(tl_image *im)
{
    if (!im)
        return;
    free(im->px);
    memset(im, 0, sizeof(*im));
}

tl_image_format tl_image_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 8 && memcmp(p, png_magic, 8) == 0)
        return TL_IMAGE_PNG;
    if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return TL_IMAGE_JPEG;
    return TL_IMAGE_UNKNOWN;
}

const char *tl_image_mime(tl_image_format f)
{
    switch (f) {
    case TL_IMAGE_PNG: return "image/png";
    case TL_IMAGE_JPEG: return "image/jpeg";
    default: return NULL;
    }
}

static int check_size(long w, long h, const char *what, tl_error *err)
{
    if (w < 1 || h < 1)
        return tl_error_set(err, TL_EBADRESP, "%s image has no pixels (%ldx%ld)", what, w, h);
    if (w > TL_IMAGE_MAX_SIDE || h > TL_IMAGE_MAX_SIDE ||
        (size_t)w * (size_t)h > TL_IMAGE_MAX_PIXELS)
        return tl_error_set(err, TL_EBADRESP,
                            "%s image too large (%ldx%ld; at most %d pixels a side and %zu "
                            "megapixels)",
                            what, w, h, TL_IMAGE_MAX_SIDE, TL_IMAGE_MAX_PIXELS >> 20);
    return TL_OK;
}

/* libpng reports errors by longjmp from its callbacks: the message lands here first. */
typedef struct png_src {
    const uint8_t *data;
    size_t len, at;
    char msg[128];
} png_src;

static void png_on_read(png_structp png, png_bytep out, size_t n)
{
    png_src *src = png_get_io_ptr(png);
    if (n > src->len - src->at)
        png_error(png, "the image data ends early");
    memcpy(out, src->data + src->at, n);
    src->at += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_src *src = png_get_error_ptr(png);
    snprintf(src->msg, sizeof(src->msg), "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/*
 * libpng's full API rather than png_image: it can skip the zlib Adler-32 check (a third of the
 * decoding time of a screenshot; the transport already checks integrity, and a corrupt stream
 * still only yields wrong pixels). Every form becomes 8-bit RGB: palettes and grey expanded,
 * 16-bit reduced, alpha dropped (screenshots are opaque).
 */
static int decode_png(tl_image *out, const void *data, size_t len, tl_error *err)
{
    png_src src = {.data = data, .len = len};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return tl_error_set(err, TL_ENOMEM, "out of memory decoding a PNG");
    }
    uint8_t *volatile px = NULL;     /* owned until it moves to out */
    png_bytep *volatile rows = NULL; /* owned */
    int rc = TL_OK;
    if (setjmp(png_jmpbuf(png))) {
        rc = tl_error_set(err, TL_EBADRESP, "corrupt PNG image: %s", src.msg);
        goto done;
    }
    png_set_read_fn(png, &src, png_on_read);
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    rc = check_size((long)w, (long)h, "PNG", err);
    if (rc)
        goto done;
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) {
        rc = tl_error_set(err, TL_EBADRESP, "unsupported PNG pixel format");
        goto done;
    }
    px = malloc((size_t)w * (size_t)h * 3);
    rows = malloc(sizeof(png_bytep) * h);
    if (!px || !rows) {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory decoding a %ux%u PNG", w, h);
        goto done;
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = px + (size_t)y * (size_t)w * 3;
    png_read_image(png, rows);
    out->px = px;
    out->w = (int)w;
    out->h = (int)h;
    px = NULL;
done:
    free(rows);
    free(px);
    png_destroy_read_struct(&png, &info, NULL);
    return rc;
}

static int decode_jpeg(tl_image *out, const void *data, size_t len, tl_error *err)
{
    if (len > (size_t)INT32_MAX)
        return tl_error_set(err, TL_EBADRESP, "JPEG image too large (%zu bytes)", len);
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &n))
        return tl_error_set(err, TL_EBADRESP, "corrupt JPEG image: %s", stbi_failure_reason());
    int rc = check_size(w, h, "JPEG", err);
    if (rc)
        return rc;
    uint8_t *px = stbi_load_from_memory(data, (int)len, &w, &h, &n, 3);
    if (!px)
        return tl_error_set(err, TL_EBADRESP, "corrupt JPEG image: %s", stbi_failure_reason());
    out->px = px; /* stb allocates with malloc, so free() releases it */
    out->w = w;
    out->h = h;
    return TL_OK;
}

int tl_image_decode(tl_image *out, const void *data, size_t len, tl_error *err)
{
    tl_image_dispose(out);
    switch (tl_image_sniff(data, len)) {
    case TL_IMAGE_PNG: return decode_png(out, data, len, err);
    case TL_IMAGE_JPEG: return decode_jpeg(out, data, len, err);
    default: return tl_error_set(err, TL_EBADRESP, "not a PNG or JPEG image (%zu bytes)", len);
    }
}

/*
 * Area averaging: each output pixel is the mean of the input pixels it covers, weighted by how
 * much of each it covers (a box filter with exact coverage, the standard anti-aliased
 * reduction). Separable, one output row at a time: the vertical sum of the input rows under
 * it into a row of 32-bit accumulators, then the horizontal reduction of that row. Weights are
 * 14-bit fixed point summing exactly to 1.
 */
#define WBITS 14
#define WONE  (1 << WBITS)

typedef struct taps {
    int *first;  /* first input index of each output index */
    int *count;  /* number of inputs of each */
    uint16_t *w; /* weights, `stride` per output index */
    int stride;
} taps;

static void taps_free(taps *t)
{
    free(t->first);
    free(t->count);
    free(t->w);
}

static bool taps_make(taps *t, int in, int out)
{
    double scale = (double)in / out;
    t->stride = (int)scale + 2;
    t->first = malloc(sizeof(int) * (size_t)out);
    t->count = malloc(sizeof(int) * (size_t)out);
    t->w = malloc(sizeof(uint16_t) * (size_t)out * (size_t)t->stride);
    if (!t->first || !t->count || !t->w)
        return false;
    for (int o = 0; o < out; o++) {
        double a = o * scale, b = (o + 1) * scale;
        int i0 = (int)a, i1 = (int)b;
        if (i1 >= in || (double)i1 == b)
            i1 = (double)i1 == b ? i1 - 1 : in - 1;
        if (i1 < i0)
            i1 = i0;
        int n = i1 - i0 + 1;
        if (n > t->stride)
            n = t->stride;
        uint16_t *w = t->w + (size_t)o * (size_t)t->stride;
        int sum = 0;
        for (int k = 0; k < n; k++) {
            double lo = i0 + k > a ? i0 + k : a, hi = i0 + k + 1 < b ? i0 + k + 1 : b;
            int v = (int)((hi - lo) / scale * WONE + 0.5);
            w[k] = (uint16_t)(v < 0 ? 0 : v);
            sum += w[k];
        }
        /* make the weights sum to exactly WONE: adjust the largest */
        int big = 0;
        for (int k = 1; k < n; k++)
            if (w[k] > w[big])
                big = k;
        w[big] = (uint16_t)(w[big] + (WONE - sum));
        t->first[o] = i0;
        t->count[o] = n;
    }
    return true;
}

static void resize_area(const tl_image *in, uint8_t *out, int ow, int oh, uint32_t *acc,
                        const taps *tx, const taps *ty)
{
    size_t n = (size_t)in->w * 3;
    for (int y = 0; y < oh; y++) {
        /* vertical: the weighted sum of the input rows under output row y, over whole rows
         * (contiguous, so the compiler vectorises it) */
        const uint16_t *w = ty->w + (size_t)y * (size_t)ty->stride;
        const uint8_t *row = in->px + (size_t)ty->first[y] * n;
        uint32_t w0 = w[0];
        for (size_t i = 0; i < n; i++)
            acc[i] = w0 * row[i];
        for (int k = 1; k < ty->count[y]; k++) {
            row += n;
            uint32_t wk = w[k];
            for (size_t i = 0; i < n; i++)
                acc[i] += wk * row[i];
        }
        for (size_t i = 0; i < n; i++)
            acc[i] = (acc[i] + (1u << (WBITS - 9))) >> (WBITS - 8); /* value * 256 */
        /* horizontal: that row reduced to ow pixels */
        uint8_t *o = out + (size_t)y * (size_t)ow * 3;
        for (int x = 0; x < ow; x++) {
            const uint16_t *wx = tx->w + (size_t)x * (size_t)tx->stride;
            const uint32_t *p = acc + (size_t)tx->first[x] * 3;
            uint32_t r = 0, g = 0, b = 0;
            for (int k = 0; k < tx->count[x]; k++, p += 3) {
                r += wx[k] * p[0];
                g += wx[k] * p[1];
                b += wx[k] * p[2];
            }
            uint32_t half = 1u << (WBITS + 7);
            r = (r + half) >> (WBITS + 8);
            g = (g + half) >> (WBITS + 8);
            b = (b + half) >> (WBITS + 8);
            o[3 * x] = (uint8_t)(r > 255 ? 255 : r);
            o[3 * x + 1] = (uint8_t)(g > 255 ? 255 : g);
            o[3 * x + 2] = (uint8_t)(b > 255 ? 255 : b);
        }
    }
}

/* Halve an image of even width and height: each output pixel is the mean of a 2x2 block (the
 * same area average, for a factor of exactly 2, at a fraction of the cost). `sum` holds one
 * input row of 16-bit sums. */
static void halve(const tl_image *in, uint8_t *out, uint16_t *sum)
{
    int ow = in->w / 2, oh = in->h / 2;
    size_t n = (size_t)in->w * 3;
    for (int y = 0; y < oh; y++) {
        const uint8_t *a = in->px + (size_t)(2 * y) * n, *b = a + n;
        for (size_t i = 0; i < n; i++) /* vertical pairs: contiguous, vectorised */
            sum[i] = (uint16_t)(a[i] + b[i]);
        uint8_t *o = out + (size_t)y * (size_t)ow * 3;
        const uint16_t *p = sum;
        for (int x = 0; x < ow; x++, p += 6, o += 3) {
            o[0] = (uint8_t)((p[0] + p[3] + 2) >> 2);
            o[1] = (uint8_t)((p[1] + p[4] + 2) >> 2);
            o[2] = (uint8_t)((p[2] + p[5] + 2) >> 2);
        }
    }
}

int tl_image_fit(tl_image *out, const tl_image *in, int max_side, tl_error *err)
{
    if (max_side < 1)
        return tl_error_set(err, TL_EUSAGE, "image size limit must be at least 1 pixel");
    if (!in->px || in->w < 1 || in->h < 1)
        return tl_error_set(err, TL_EUSAGE, "no image to scale");
    int w = in->w, h = in->h;
    int longer = w > h ? w : h;
    if (longer > max_side) {
        double s = (double)max_side / longer;
        w = (int)(w * s + 0.5);
        h = (int)(h * s + 0.5);
        w = w < 1 ? 1 : w > max_side ? max_side : w;
        h = h < 1 ? 1 : h > max_side ? max_side : h;
    }
    uint8_t *px = malloc((size_t)w * (size_t)h * 3); /* owned; moves to out */
    if (!px)
        return tl_error_set(err, TL_ENOMEM, "out of memory scaling an image to %dx%d", w, h);
    if (w == in->w && h == in->h) {
        memcpy(px, in->px, (size_t)w * (size_t)h * 3);
    } else {
        /* Reduce by 2 while at least 2 is left and the sides are even (so the geometry stays
         * exact), then by the rest. */
        tl_image half = {0};
        const tl_image *src = in;
        bool ok = true;
        while (ok && src->w % 2 == 0 && src->h % 2 == 0 && src->w / 2 >= w && src->h / 2 >= h) {
            tl_image next = {.px = malloc((size_t)src->w * (size_t)src->h * 3 / 4),
                             .w = src->w / 2,
                             .h = src->h / 2};
            uint16_t *sum = malloc(sizeof(uint16_t) * (size_t)src->w * 3); /* owned */
            ok = next.px != NULL && sum != NULL;
            if (ok)
                halve(src, next.px, sum);
            free(sum);
            tl_image_dispose(&half);
            half = next; /* owned here */
            src = &half;
        }
        taps tx = {0}, ty = {0};
        uint32_t *acc = malloc(sizeof(uint32_t) * (size_t)src->w * 3); /* owned: one row */
        ok = ok && acc && taps_make(&tx, src->w, w) && taps_make(&ty, src->h, h);
        if (ok && src->w == w && src->h == h)
            memcpy(px, src->px, (size_t)w * (size_t)h * 3);
        else if (ok)
            resize_area(src, px, w, h, acc, &tx, &ty);
        free(acc);
        tl_image_dispose(&half);
        taps_free(&tx);
        taps_free(&ty);
        if (!ok) {
            free(px);
            return tl_error_set(err, TL_ENOMEM, "out of memory scaling an image to %dx%d", w, h);
        }
    }
    tl_image_dispose(out);
    out->px = px;
    out->w = w;
    out->h = h;
    return TL_OK;
}

/* ---- encoding ---------------------------------------------------------------------------- */

static int encode_png(const tl_image *im, tl_buf *out, tl_error *err)
{
    png_image pi;
    memset(&pi, 0, sizeof(pi));
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)im->w;
    pi.height = (png_uint_32)im->h;
    pi.format = PNG_FORMAT_RGB;
    pi.flags = PNG_IMAGE_FLAG_FAST; /* cheaper filters and zlib settings: ~4x faster */
    png_alloc_size_t size = 0;
    /* First call: the size; second: the bytes, straight into the buffer. */
    if (!png_image_write_to_memory(&pi, NULL, &size, 0, im->px, 0, NULL))
        return tl_error_set(err, TL_ENOMEM, "PNG encoding failed: %s", pi.message);
    size_t at = out->len;
    if (tl_buf_reserve(out, size) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory encoding a PNG (%zu bytes)",
                            (size_t)size);
    if (!png_image_write_to_memory(&pi, out->data + at, &size, 0, im->px, 0, NULL))
        return tl_error_set(err, TL_ENOMEM, "PNG encoding failed: %s", pi.message);
    out->len = at + size;
    out->data[out->len] = '\0';
    return TL_OK;
}

/* libjpeg reports fatal errors through error_exit, which must not return: longjmp back. */
typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
} jpeg_fail;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_fail *f = (jpeg_fail *)cinfo->err;
    longjmp(f->jmp, 1);
}

static void jpeg_on_message(j_common_ptr cinfo)
{
    (void)cinfo; /* warnings are not printed */
}

/* JPEG through libjpeg-turbo (SIMD): ~2 ms for a 461x1024 screenshot where stb_image_write
 * took ~11 ms. 4:2:0 chroma subsampling, the accurate integer DCT. */
static int encode_jpeg(const tl_image *im, int quality, tl_buf *out, tl_error *err)
{
    struct jpeg_compress_struct c;
    jpeg_fail fail;
    unsigned char *volatile mem = NULL; /* owned by libjpeg's memory destination, then us */
    unsigned long size = 0;
    c.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_on_error;
    fail.mgr.output_message = jpeg_on_message;
    if (setjmp(fail.jmp)) {
        jpeg_destroy_compress(&c);
        free(mem);
        return tl_error_set(err, TL_ENOMEM, "JPEG encoding of a %dx%d image failed", im->w, im->h);
    }
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = (JDIMENSION)im->w;
    c.image_height = (JDIMENSION)im->h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    c.dct_method = JDCT_ISLOW;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im->px + (size_t)c.next_scanline * (size_t)im->w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    mem = buf;
    jpeg_destroy_compress(&c);
    int rc = tl_buf_append(out, mem, size);
    free(mem);
    return rc ? tl_error_set(err, rc, "out of memory encoding a %dx%d JPEG", im->w, im->h) : TL_OK;
}

int tl_image_encode(const tl_image *im, tl_image_format f, int quality, tl_buf *out, tl_error *err)
{
    if (!im->px || im->w < 1 || im->h < 1)
        return tl_error_set(err, TL_EUSAGE, "no image to encode");
    if (f == TL_IMAGE_PNG)
        return encode_png(im, out, err);
    if (f != TL_IMAGE_JPEG)
        return tl_error_set(err, TL_EUSAGE, "unknown image format");
    return encode_jpeg(im, quality < 1 ? 1 : quality > 100 ? 100 : quality, out, err);
}

/* ---- drawing ----------------------------------------------------------------------------- */

void tl_image_fill(tl_image *im, int x0, int y0, int x1, int y1, tl_rgb c)
{
    if (!im->px)
        return;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > im->w ? im->w : x1;
    y1 = y1 > im->h ? im->h : y1;
    for (int y = y0; y < y1; y++) {
        uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x0) * 3;
        for (int x = x0; x < x1; x++) {
            *p++ = c.r;
            *p++ = c.g;
            *p++ = c.b;
        }
    }
}

void tl_image_frame(tl_image *im, int x0, int y0, int x1, int y1, int t, tl_rgb c)
{
    if (t < 1)
        t = 1;
    if (x1 - x0 <= 2 * t || y1 - y0 <= 2 * t) {
        tl_image_fill(im, x0, y0, x1, y1, c);
        return;
    }
    tl_image_fill(im, x0, y0, x1, y0 + t, c);
    tl_image_fill(im, x0, y1 - t, x1, y1, c);
    tl_image_fill(im, x0, y0 + t, x0 + t, y1 - t, c);
    tl_image_fill(im, x1 - t, y0 + t, x1, y1 - t, c);
}

static int clamp_cap(int cap)
{
    return cap < 1 ? 1 : cap > MAX_CAP ? MAX_CAP : cap;
}

static char glyph(char c)
{
    return (c >= 32 && c <= 126) ? c : '?';
}

static int advance(char g)
{
    char one[2] = {g, '\0'};
    return stb_easy_font_width(one);
}

static int iround(double v)
{
    return (int)(v < 0 ? v - 0.5 : v + 0.5);
}

int tl_image_text_width(const char *s, int cap)
{
    cap = clamp_cap(cap);
    long units = 0;
    for (; s && *s && units < (1 << 20); s++)
        units += advance(glyph(*s));
    return units > 0 ? iround((double)(units - 1) * cap / FONT_CAP) : 0;
}

int tl_image_text_height(int cap)
{
    cap = clamp_cap(cap);
    return iround((double)FONT_LINE * cap / FONT_CAP);
}

void tl_image_text(tl_image *im, int x, int y, const char *s, int cap, tl_rgb c)
{
    cap = clamp_cap(cap);
    double scale = (double)cap / FONT_CAP;
    char vbuf[MAX_GLYPH_QUADS * QUAD_BYTES];
    float pen = 0;
    for (; s && *s; s++) {
        char g[2] = {glyph(*s), '\0'};
        if (x + pen * scale >= im->w)
            break;
        int quads = stb_easy_font_print(pen, 0, g, NULL, vbuf, (int)sizeof(vbuf));
        for (int q = 0; q < quads; q++) {
            float v0[2], v2[2]; /* top-left and bottom-right vertices */
            memcpy(v0, vbuf + q * QUAD_BYTES, sizeof v0);
            memcpy(v2, vbuf + q * QUAD_BYTES + 2 * 16, sizeof v2);
            tl_image_fill(im, x + iround(v0[0] * scale), y + iround(v0[1] * scale),
                          x + iround(v2[0] * scale), y + iround(v2[1] * scale), c);
        }
        pen += (float)advance(g[0]);
    }
}
