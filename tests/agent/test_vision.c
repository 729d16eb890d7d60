/*
 * test_vision.c - the image the model sees: size and aspect, set-of-mark positions on the
 * downscaled image, the screen <-> image coordinate mapping, the data URL.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/observe.h"
#include "agent/vision.h"
#include "drivers/driver.h"

typedef struct phone {
    tl_driver *d;
    tl_observation obs;
    tl_ui *ui;
} phone;

static void open_phone(phone *p, const char *app)
{
    tl_error err;
    tl_driver_config cfg = {.device = "sim", .fresh = true};
    cr_assert_eq(tl_driver_open(&p->d, "sim", &cfg, &err), TL_OK, "%s", err.msg);
    if (app)
        cr_assert_eq(tl_driver_start_app(p->d, app, NULL, &err), TL_OK, "%s", err.msg);
    tl_observation_init(&p->obs);
    p->ui = tl_ui_new();
    tl_ui_options uo = {0};
    cr_assert_eq(tl_observe(p->d, TL_OBSERVE_SCREENSHOT, &uo, &p->obs, p->ui, &err), TL_OK, "%s",
                 err.msg);
}

static void close_phone(phone *p)
{
    tl_ui_free(p->ui);
    tl_observation_dispose(&p->obs);
    tl_driver_close(p->d);
}

Test(vision, view_mapping_round_trips)
{
    tl_ui_view v = {.screen_w = 1080, .screen_h = 2400, .view_w = 461, .view_h = 1024};
    for (long x = 0; x < 461; x++) {
        long sx, sy, bx, by;
        tl_ui_from_view(&v, x, x * 2, &sx, &sy);
        cr_assert(sx >= 0 && sx < 1080 && sy >= 0 && sy < 2400);
        tl_ui_to_view(&v, sx, sy, &bx, &by);
        cr_assert(bx == x && by == x * 2, "%ld,%ld -> %ld,%ld -> %ld,%ld", x, x * 2, sx, sy, bx,
                  by);
    }
    /* corners */
    long sx, sy;
    tl_ui_from_view(&v, 0, 0, &sx, &sy);
    cr_assert(sx == 1 && sy == 1); /* the screen pixel under the centre of image pixel 0 */
    tl_ui_from_view(&v, 460, 1023, &sx, &sy);
    cr_assert(sx == 1078 && sy == 2398, "%ld,%ld", sx, sy);
    /* identity view */
    tl_ui_view id = {.screen_w = 100, .screen_h = 100, .view_w = 100, .view_h = 100};
    tl_ui_from_view(&id, 37, 99, &sx, &sy);
    cr_assert(sx == 37 && sy == 99);
}

Test(vision, frame_size_marks_and_listing)
{
    phone p;
    open_phone(&p, "com.android.settings");
    tl_vision_frame f;
    tl_vision_frame_init(&f);
    tl_error err;
    cr_assert_eq(
        tl_vision_prepare(&f, p.obs.screenshot.data, p.obs.screenshot.len, p.ui, NULL, &err), TL_OK,
        "%s", err.msg);
    cr_assert_eq(f.view.view_w, 461);
    cr_assert_eq(f.view.view_h, 1024);
    cr_assert_eq(f.view.screen_w, 1080);
    cr_assert_eq(f.marks, (int)tl_ui_listed_count(p.ui));
    cr_assert_eq(tl_image_sniff(f.encoded.data, f.encoded.len), TL_IMAGE_JPEG);

    /* The listing in image pixels shows each tap point mapped into the image. */
    tl_buf l;
    tl_buf_init(&l, 0);
    cr_assert_eq(tl_ui_listing_view(p.ui, &f.view, &l), TL_OK);
    const tl_element *e = tl_ui_by_index(p.ui, 1);
    long vx, vy;
    tl_ui_to_view(&f.view, e->tap_x, e->tap_y, &vx, &vy);
    char want[64];
    snprintf(want, sizeof(want), "(%ld,%ld)\n", vx, vy);
    cr_assert_not_null(strstr(l.data, want), "%s not in\n%s", want, l.data);
    tl_buf_dispose(&l);

    /* The mark of element [1] is drawn where its box lands on the image: decode what was
     * sent and look at the frame's left edge, in [1]'s colour (JPEG: approximately). */
    tl_image im = {0};
    cr_assert_eq(tl_image_decode(&im, f.encoded.data, f.encoded.len, &err), TL_OK);
    long x0, y0, x1, y1;
    tl_ui_to_view(&f.view, e->visible.left, e->visible.top, &x0, &y0);
    tl_ui_to_view(&f.view, e->visible.right - 1, e->visible.bottom - 1, &x1, &y1);
    tl_rgb c = tl_vision_mark_color(e->index);
    long ymid = (y0 + y1) / 2;
    const uint8_t *px = im.px + ((size_t)ymid * (size_t)im.w + (size_t)x0) * 3;
    cr_assert(abs(px[0] - c.r) < 60 && abs(px[1] - c.g) < 60 && abs(px[2] - c.b) < 60,
              "left edge of [1] at %ld,%ld is %d,%d,%d, not %d,%d,%d", x0, ymid, px[0], px[1],
              px[2], c.r, c.g, c.b);
    tl_image_dispose(&im);

    /* Without marks, the same pixel shows the app, not the mark colour. */
    tl_vision_options no = {.no_marks = true, .format = TL_IMAGE_PNG};
    cr_assert_eq(
        tl_vision_prepare(&f, p.obs.screenshot.data, p.obs.screenshot.len, p.ui, &no, &err), TL_OK);
    cr_assert_eq(f.marks, 0);
    cr_assert_eq(tl_image_sniff(f.encoded.data, f.encoded.len), TL_IMAGE_PNG);
    cr_assert_eq(tl_image_decode(&im, f.encoded.data, f.encoded.len, &err), TL_OK);
    px = im.px + ((size_t)ymid * (size_t)im.w + (size_t)x0) * 3;
    cr_assert(!(px[0] == c.r && px[1] == c.g && px[2] == c.b));
    tl_image_dispose(&im);
    tl_vision_frame_dispose(&f);
    close_phone(&p);
}

Test(vision, max_side_and_data_url)
{
    phone p;
    open_phone(&p, NULL);
    tl_vision_frame f;
    tl_vision_frame_init(&f);
    tl_error err;
    tl_vision_options o = {.max_side = 512};
    cr_assert_eq(tl_vision_prepare(&f, p.obs.screenshot.data, p.obs.screenshot.len, p.ui, &o, &err),
                 TL_OK, "%s", err.msg);
    cr_assert_eq(f.view.view_h, 512);
    cr_assert_eq(f.view.view_w, 230); /* 1080 * 512 / 2400 = 230.4 */
    tl_buf url;
    tl_buf_init(&url, 0);
    cr_assert_eq(tl_vision_data_url(&f, &url), TL_OK);
    cr_assert_eq(strncmp(url.data, "data:image/jpeg;base64,/9j/", 27), 0, "%.40s", url.data);
    cr_assert_eq((url.len - 23) % 4, 0);
    tl_buf_dispose(&url);

    /* never enlarged */
    o.max_side = 4000;
    cr_assert_eq(tl_vision_prepare(&f, p.obs.screenshot.data, p.obs.screenshot.len, p.ui, &o, &err),
                 TL_OK);
    cr_assert_eq(f.view.view_w, 1080);
    o.max_side = 8;
    cr_assert_eq(tl_vision_prepare(&f, p.obs.screenshot.data, p.obs.screenshot.len, p.ui, &o, &err),
                 TL_EUSAGE);
    cr_assert_eq(tl_vision_prepare(&f, "junk", 4, p.ui, NULL, &err), TL_EBADRESP);
    cr_assert_not_null(strstr(err.msg, "screenshot: "), "%s", err.msg);
    tl_vision_frame_dispose(&f);
    close_phone(&p);
}
