/*
 * vision.c - decode once, scale, mark, encode (see vision.h).
 *
 * Marks: each listed element gets a frame in its colour around its visible area and a label
 * "N" in white on a patch of the same colour at its top-right corner (text usually starts at
 * the left, so the label hides less of it), inside the box when the box is tall enough, else
 * just above it, always kept inside the image. Sizes follow the
 * image, not the screen, so labels stay readable however far the screenshot was scaled down.
 * Larger elements are drawn first, so the frames of small ones (a button inside a row) end up
 * on top.
 */
#include "agent/vision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"

static long elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)((t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000);
}

static void stamp(struct timespec *t)
{
    clock_gettime(CLOCK_MONOTONIC, t);
}

void tl_vision_frame_init(tl_vision_frame *f)
{
    memset(f, 0, sizeof(*f));
    tl_buf_init(&f->encoded, 0);
}

void tl_vision_frame_dispose(tl_vision_frame *f)
{
    if (!f)
        return;
    tl_buf_dispose(&f->encoded);
}

tl_rgb tl_vision_mark_color(int index)
{
    /* Strong, distinct colours that white text reads well on. */
    static const tl_rgb palette[] = {
        {0xE5, 0x39, 0x35}, {0x1E, 0x88, 0xE5}, {0x43, 0xA0, 0x47}, {0x8E, 0x24, 0xAA},
        {0xF4, 0x51, 0x1E}, {0x00, 0x89, 0x7B}, {0xD8, 0x1B, 0x60}, {0x3F, 0x51, 0xB5},
    };
    int n = (int)(sizeof(palette) / sizeof(palette[0]));
    return palette[((index % n) + n) % n];
}

typedef struct mark {
    long x0, y0, x1, y1; /* in image pixels, exclusive right/bottom */
    long area;
    int index;
} mark;

static int by_area_desc(const void *a, const void *b)
{
    const mark *p = a, *q = b;
    if (p->area != q->area)
        return p->area > q->area ? -1 : 1;
    return p->index - q->index;
}

int tl_vision_draw_marks(tl_image *im, const tl_ui *ui, const tl_ui_view *view)
{
    size_t n = tl_ui_count(ui);
    const tl_element *el = tl_ui_elements(ui);
    mark *marks = malloc(sizeof(mark) * (n ? n : 1)); /* owned */
    if (!marks)
        return 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const tl_element *e = &el[i];
        if (e->index <= 0 || !(e->flags & TL_EL_TAPPABLE))
            continue;
        mark k = {.index = e->index};
        tl_ui_to_view(view, e->visible.left, e->visible.top, &k.x0, &k.y0);
        tl_ui_to_view(view, e->visible.right - 1, e->visible.bottom - 1, &k.x1, &k.y1);
        k.x1++;
        k.y1++;
        k.area = (k.x1 - k.x0) * (k.y1 - k.y0);
        marks[m++] = k;
    }
    qsort(marks, m, sizeof(mark), by_area_desc);

    int longer = im->w > im->h ? im->w : im->h;
    int thick = longer >= 1400 ? 3 : 2;
    int cap = longer / 90 < 8 ? 8 : longer / 90; /* 11 px at 1024 */
    int pad = cap / 4 + 1;
    int lh = cap + 2 * pad; /* digits have no descenders */
    tl_rgb white = {0xFF, 0xFF, 0xFF};
    for (size_t i = 0; i < m; i++) {
        const mark *k = &marks[i];
        tl_rgb c = tl_vision_mark_color(k->index);
        tl_image_frame(im, (int)k->x0, (int)k->y0, (int)k->x1, (int)k->y1, thick, c);
        char label[16];
        snprintf(label, sizeof(label), "%d", k->index);
        int lw = tl_image_text_width(label, cap) + 2 * pad;
        long lx = k->x1 - lw, ly = k->y0; /* top-right: text usually starts at the left */
        if (k->y1 - k->y0 < 2 * lh && ly - lh >= 0)
            ly -= lh; /* a short box: the label goes above it */
        if (lx + lw > im->w)
            lx = im->w - lw;
        if (ly + lh > im->h)
            ly = im->h - lh;
        lx = lx < 0 ? 0 : lx;
        ly = ly < 0 ? 0 : ly;
        tl_image_fill(im, (int)lx, (int)ly, (int)lx + lw, (int)ly + lh, c);
        tl_image_text(im, (int)lx + pad, (int)ly + pad, label, cap, white);
    }
    free(marks);
    return (int)m;
}

int tl_vision_prepare(tl_vision_frame *f, const void *shot, size_t len, const tl_ui *ui,
                      const tl_vision_options *opts, tl_error *err)
{
    tl_vision_options o = opts ? *opts : (tl_vision_options){0};
    if (o.max_side == 0)
        o.max_side = TL_VISION_MAX_SIDE;
    if (o.format == TL_IMAGE_UNKNOWN)
        o.format = TL_IMAGE_JPEG;
    if (o.quality == 0)
        o.quality = TL_VISION_QUALITY;
    if (o.max_side < 16 || o.quality < 1 || o.quality > 100)
        return tl_error_set(err, TL_EUSAGE,
                            "image options out of range (longest side %d, at least 16; quality "
                            "%d, 1-100)",
                            o.max_side, o.quality);
    tl_image full, small;
    tl_image_init(&full);
    tl_image_init(&small);
    struct timespec t;
    stamp(&t);
    int rc = tl_image_decode(&full, shot, len, err);
    f->decode_us = elapsed_us(&t);
    if (rc) {
        tl_error_prefix(err, "screenshot: ");
        return rc;
    }
    stamp(&t);
    rc = tl_image_fit(&small, &full, o.max_side, err);
    f->scale_us = elapsed_us(&t);
    const tl_ui_info *in = ui ? tl_ui_get_info(ui) : NULL;
    f->view = (tl_ui_view){
        .screen_w = in && in->screen_w > 0 ? in->screen_w : full.w,
        .screen_h = in && in->screen_h > 0 ? in->screen_h : full.h,
        .view_w = small.w,
        .view_h = small.h,
    };
    tl_image_dispose(&full);
    stamp(&t);
    f->marks = 0;
    if (rc == TL_OK && ui && !o.no_marks)
        f->marks = tl_vision_draw_marks(&small, ui, &f->view);
    f->marks_us = elapsed_us(&t);
    stamp(&t);
    tl_buf_clear(&f->encoded);
    if (rc == TL_OK)
        rc = tl_image_encode(&small, o.format, o.quality, &f->encoded, err);
    f->encode_us = elapsed_us(&t);
    f->format = o.format;
    tl_image_dispose(&small);
    return rc;
}

int tl_vision_data_url(const tl_vision_frame *f, tl_buf *out)
{
    const char *mime = tl_image_mime(f->format);
    int rc = tl_buf_printf(out, "data:%s;base64,", mime ? mime : "application/octet-stream");
    return rc ? rc : tl_base64_encode(f->encoded.data, f->encoded.len, out);
}
