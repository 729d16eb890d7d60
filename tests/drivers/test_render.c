/*
 * test_render.c - the sim screen renderer: decode the PNG it produces and check its pixels.
 */
#include <criterion/criterion.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sim/render.h"

/* A decoded frame: RGB, rows packed. */
typedef struct image {
    int w, h;
    uint8_t *px;
} image;

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static void decode(const tl_buf *buf, image *im)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_memory(&pi, buf->data, buf->len), "not a PNG: %s",
              pi.message);
    pi.format = PNG_FORMAT_RGB;
    im->w = (int)pi.width;
    im->h = (int)pi.height;
    im->px = malloc(PNG_IMAGE_SIZE(pi));
    cr_assert_not_null(im->px);
    cr_assert(png_image_finish_read(&pi, NULL, im->px, 0, NULL), "decode: %s", pi.message);
}

/* Render a frame and decode it; the test fails if rendering fails. */
static image render(const sim_frame *f)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    int rc = sim_render_png(f, &out, &err);
    cr_assert_eq(rc, TL_OK, "render failed: %d %s", rc, err.msg);
    image im;
    decode(&out, &im);
    tl_buf_dispose(&out);
    return im;
}

static image render_items(int w, int h, bool dark, const sim_draw *items, size_t n)
{
    sim_frame f = {.width = w, .height = h, .dark = dark, .items = items, .n = n};
    return render(&f);
}

static uint32_t pixel(const image *im, int x, int y)
{
    const uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* Pixels of colour c in [x0,x1) x [y0,y1). */
static int count_color(const image *im, int x0, int y0, int x1, int y1, uint32_t c)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += pixel(im, x, y) == c;
    return n;
}

/* Pixels in [x0,x1) x [y0,y1) that differ from colour bg. */
static int count_ink(const image *im, int x0, int y0, int x1, int y1, uint32_t bg)
{
    return (x1 - x0) * (y1 - y0) - count_color(im, x0, y0, x1, y1, bg);
}

/* Bounding box of the pixels that differ from bg; {0,0,0,0} when there are none. */
static tl_rect ink_box(const image *im, uint32_t bg)
{
    tl_rect b = {im->w, im->h, 0, 0};
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (pixel(im, x, y) != bg) {
                b.left = x < b.left ? x : b.left;
                b.top = y < b.top ? y : b.top;
                b.right = x + 1 > b.right ? x + 1 : b.right;
                b.bottom = y + 1 > b.bottom ? y + 1 : b.bottom;
            }
    if (b.right == 0)
        b = (tl_rect){0, 0, 0, 0};
    return b;
}

static bool same_pixels(const image *a, const image *b)
{
    return a->w == b->w && a->h == b->h &&
           memcmp(a->px, b->px, (size_t)a->w * (size_t)a->h * 3) == 0;
}

/* The theme's accent, read from the middle of a label-less button. */
static uint32_t accent_of(bool dark)
{
    sim_draw b = {.kind = SIM_DRAW_BUTTON, .r = {0, 0, 40, 40}};
    image im = render_items(40, 40, dark, &b, 1);
    uint32_t c = pixel(&im, 20, 20);
    free(im.px);
    return c;
}

Test(sim_render, png_signature_and_size)
{
    sim_frame f = {.width = 37, .height = 53};
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(sim_render_png(&f, &out, NULL), TL_OK);
    cr_assert_gt(out.len, 33);
    const uint8_t *d = (const uint8_t *)out.data;
    cr_assert_arr_eq(d, png_signature, 8);
    cr_assert_arr_eq(d + 12, "IHDR", 4);
    uint32_t w = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
    uint32_t h = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
    cr_assert_eq(w, 37);
    cr_assert_eq(h, 53);
    cr_assert_eq(d[24], 8, "bit depth");
    cr_assert_eq(d[25], 2, "colour type RGB");
    image im;
    decode(&out, &im);
    cr_assert_eq(im.w, 37);
    cr_assert_eq(im.h, 53);
    free(im.px);
    tl_buf_dispose(&out);
}

Test(sim_render, appends_after_existing_content)
{
    sim_frame f = {.width = 4, .height = 4};
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_buf_puts(&out, "xyz");
    cr_assert_eq(sim_render_png(&f, &out, NULL), TL_OK);
    cr_assert_arr_eq(out.data, "xyz", 3);
    cr_assert_arr_eq(out.data + 3, png_signature, 8);
    tl_buf_dispose(&out);
}

Test(sim_render, light_background_is_white)
{
    image im = render_items(20, 30, false, NULL, 0);
    for (int i = 0; i < 3; i++) {
        uint32_t c = pixel(&im, i * 9, i * 14);
        cr_assert(((c >> 16) & 0xFF) >= 0xF0 && ((c >> 8) & 0xFF) >= 0xF0 && (c & 0xFF) >= 0xF0,
                  "pixel %06x is not white-ish", c);
    }
    cr_assert_eq(count_color(&im, 0, 0, 20, 30, pixel(&im, 0, 0)), 20 * 30, "not uniform");
    free(im.px);
}

Test(sim_render, dark_background_is_dark)
{
    image im = render_items(20, 30, true, NULL, 0);
    uint32_t c = pixel(&im, 10, 15);
    cr_assert(((c >> 16) & 0xFF) <= 0x20 && ((c >> 8) & 0xFF) <= 0x20 && (c & 0xFF) <= 0x20,
              "pixel %06x is not dark", c);
    cr_assert_eq(count_color(&im, 0, 0, 20, 30, c), 20 * 30, "not uniform");
    free(im.px);
}

Test(sim_render, fill_has_exactly_its_colour)
{
    sim_draw items[] = {
        {.kind = SIM_DRAW_FILL, .r = {10, 20, 50, 40}, .color = 0x336699},
        {.kind = SIM_DRAW_FILL, .r = {60, 0, 70, 10}}, /* colour 0: the theme surface */
    };
    image im = render_items(80, 60, false, items, 2);
    uint32_t bg = pixel(&im, 0, 0);
    cr_assert_eq(count_color(&im, 10, 20, 50, 40, 0x336699), 40 * 20);
    cr_assert_eq(count_ink(&im, 0, 0, 80, 60, bg), 40 * 20 + 10 * 10, "drew outside the rects");
    uint32_t surface = pixel(&im, 65, 5);
    cr_assert_neq(surface, 0x000000, "colour 0 drew black");
    cr_assert_neq(surface, bg, "colour 0 drew nothing");
    free(im.px);
}

Test(sim_render, switch_checked_shows_accent_on_the_right)
{
    for (int dark = 0; dark <= 1; dark++) {
        uint32_t accent = accent_of(dark);
        sim_draw on = {.kind = SIM_DRAW_SWITCH,
                       .r = {0, 0, 400, 100},
                       .text = "Wi-Fi",
                       .flags = SIM_DRAW_CHECKED};
        sim_draw off = on;
        off.flags = 0;
        image a = render_items(400, 100, dark, &on, 1);
        image b = render_items(400, 100, dark, &off, 1);
        cr_assert_gt(count_color(&a, 300, 0, 400, 100, accent), 50, "checked: no accent knob");
        cr_assert_eq(count_color(&b, 0, 0, 400, 100, accent), 0, "unchecked: accent pixels");
        cr_assert_gt(count_ink(&b, 300, 0, 400, 100, pixel(&b, 0, 0)), 50, "unchecked: no switch");
        free(a.px);
        free(b.px);
    }
}

Test(sim_render, checkbox_checked_is_filled_with_accent)
{
    uint32_t accent = accent_of(false);
    sim_draw on = {.kind = SIM_DRAW_CHECKBOX,
                   .r = {0, 0, 300, 60},
                   .text = "Agree",
                   .flags = SIM_DRAW_CHECKED};
    sim_draw off = on;
    off.flags = 0;
    image a = render_items(300, 60, false, &on, 1);
    image b = render_items(300, 60, false, &off, 1);
    cr_assert_gt(count_color(&a, 0, 0, 60, 60, accent), 200);
    cr_assert_eq(count_color(&b, 0, 0, 300, 60, accent), 0);
    cr_assert_gt(count_ink(&b, 0, 0, 60, 60, pixel(&b, 299, 0)), 50, "no box outline");
    free(a.px);
    free(b.px);
}

Test(sim_render, long_text_is_clipped_to_its_rect)
{
    sim_draw t = {.kind = SIM_DRAW_TEXT,
                  .r = {10, 10, 110, 90},
                  .text = "The quick brown fox jumps over the lazy dog, twice over"};
    image im = render_items(400, 100, false, &t, 1);
    uint32_t bg = pixel(&im, 0, 0);
    int inside = count_ink(&im, 10, 10, 110, 90, bg);
    cr_assert_gt(inside, 200, "no text drawn");
    cr_assert_eq(count_ink(&im, 0, 0, 400, 100, bg), inside, "text outside its rect");
    cr_assert_eq(count_ink(&im, 110, 0, 130, 100, bg), 0, "text right of the rect");
    free(im.px);
}

Test(sim_render, text_cap_height_follows_text_px)
{
    int sizes[] = {14, 28, 40};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sim_draw t = {
            .kind = SIM_DRAW_TEXT, .r = {5, 0, 200, 100}, .text = "H", .text_px = sizes[i]};
        image im = render_items(200, 100, false, &t, 1);
        tl_rect b = ink_box(&im, pixel(&im, 0, 0));
        cr_assert_eq(b.bottom - b.top, sizes[i], "text_px %d gave %d", sizes[i], b.bottom - b.top);
        cr_assert_eq(b.left, 5, "not left aligned");
        int mid = (b.top + b.bottom) / 2;
        cr_assert(mid >= 48 && mid <= 52, "not vertically centred: %d", mid);
        free(im.px);
    }
}

Test(sim_render, default_secondary_and_title_sizes)
{
    sim_draw plain = {.kind = SIM_DRAW_TEXT, .r = {0, 0, 200, 100}, .text = "H"};
    sim_draw second = plain;
    second.flags = SIM_DRAW_SECONDARY;
    sim_draw title = plain;
    title.kind = SIM_DRAW_TITLE;
    image a = render_items(200, 100, false, &plain, 1);
    image b = render_items(200, 100, false, &second, 1);
    image c = render_items(200, 100, false, &title, 1);
    uint32_t bg = pixel(&a, 199, 0);
    tl_rect ba = ink_box(&a, bg), bb = ink_box(&b, bg), bc = ink_box(&c, bg);
    cr_assert_eq(ba.bottom - ba.top, 28);
    cr_assert(bb.bottom - bb.top >= 21 && bb.bottom - bb.top <= 24, "secondary %d",
              bb.bottom - bb.top);
    cr_assert(bc.bottom - bc.top >= 35 && bc.bottom - bc.top <= 38, "title %d", bc.bottom - bc.top);
    cr_assert_neq(pixel(&a, (ba.left + ba.right) / 2, (ba.top + ba.bottom) / 2),
                  pixel(&b, (bb.left + bb.right) / 2, (bb.top + bb.bottom) / 2),
                  "secondary text is not dimmer");
    free(a.px);
    free(b.px);
    free(c.px);
}

Test(sim_render, password_draws_one_star_per_character)
{
    sim_draw masked = {.kind = SIM_DRAW_INPUT,
                       .r = {0, 0, 400, 80},
                       .text = "secret",
                       .flags = SIM_DRAW_PASSWORD | SIM_DRAW_FOCUSED};
    sim_draw stars = masked;
    stars.text = "******";
    stars.flags = SIM_DRAW_FOCUSED;
    sim_draw utf8 = masked;
    utf8.text = "s\xc3\xa9"
                "cr\xe2\x82\xac"
                "t"; /* 6 characters in 9 bytes */
    sim_draw clear = masked;
    clear.flags = SIM_DRAW_FOCUSED;
    image a = render_items(400, 80, false, &masked, 1);
    image b = render_items(400, 80, false, &stars, 1);
    image c = render_items(400, 80, false, &utf8, 1);
    image d = render_items(400, 80, false, &clear, 1);
    cr_assert(same_pixels(&a, &b), "PASSWORD \"secret\" differs from \"******\"");
    cr_assert(same_pixels(&c, &b), "multi-byte characters were not masked one star each");
    cr_assert_not(same_pixels(&d, &b), "the clear text looks like stars");
    free(a.px);
    free(b.px);
    free(c.px);
    free(d.px);
}

Test(sim_render, input_hint_and_focus)
{
    uint32_t accent = accent_of(false);
    sim_draw hint = {.kind = SIM_DRAW_INPUT, .r = {0, 0, 400, 80}, .hint = "Search"};
    sim_draw focused = hint;
    focused.flags = SIM_DRAW_FOCUSED;
    sim_draw empty = hint;
    empty.hint = NULL;
    image a = render_items(400, 80, false, &hint, 1);
    image b = render_items(400, 80, false, &focused, 1);
    image c = render_items(400, 80, false, &empty, 1);
    uint32_t bg = pixel(&a, 0, 0);
    cr_assert_gt(count_ink(&a, 0, 0, 400, 70, bg), count_ink(&c, 0, 0, 400, 70, bg) + 100,
                 "hint not drawn");
    cr_assert_eq(count_color(&a, 0, 0, 400, 80, accent), 0, "unfocused field uses accent");
    cr_assert_geq(count_color(&b, 0, 70, 400, 80, accent), 400 * 2, "no accent underline");
    cr_assert_eq(count_ink(&c, 0, 0, 400, 70, bg), 0, "empty field draws above the line");
    free(a.px);
    free(b.px);
    free(c.px);
}

Test(sim_render, non_ascii_is_drawn_as_question_marks)
{
    const char *pairs[][2] = {
        {"\xe6\x97\xa5\xe6\x9c\xac", "??"}, /* two 3-byte sequences */
        {"caf\xc3\xa9!", "caf?!"},
        {"a\x01"
         "b\x7f",
         "a?b?"},
        {"\xf0\x9f\x98\x80x", "?x"}, /* a 4-byte emoji */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        sim_draw a = {.kind = SIM_DRAW_TEXT, .r = {0, 0, 300, 50}, .text = pairs[i][0]};
        sim_draw b = a;
        b.text = pairs[i][1];
        image ia = render_items(300, 50, false, &a, 1);
        image ib = render_items(300, 50, false, &b, 1);
        cr_assert(same_pixels(&ia, &ib), "case %zu", i);
        cr_assert_gt(count_ink(&ia, 0, 0, 300, 50, pixel(&ia, 299, 0)), 0, "case %zu empty", i);
        free(ia.px);
        free(ib.px);
    }
}

Test(sim_render, off_canvas_and_inverted_items_draw_nothing)
{
    sim_draw items[] = {
        {.kind = SIM_DRAW_FILL, .r = {-500, -500, -1, -1}, .color = 0xFF0000},
        {.kind = SIM_DRAW_TEXT, .r = {100, 0, 300, 50}, .text = "beyond the right edge"},
        {.kind = SIM_DRAW_BUTTON, .r = {0, 5000, 100, 5100}, .text = "below"},
        {.kind = SIM_DRAW_FILL, .r = {40, 40, 10, 10}, .color = 0xFF0000}, /* inverted */
        {.kind = SIM_DRAW_SWITCH, .r = {50, 20, 50, 60}, .text = "empty"}, /* zero width */
        {.kind = SIM_DRAW_ICON, .r = {INT32_MAX - 10, 0, INT32_MIN, 40}, .text = "x"},
        {.kind = SIM_DRAW_NAV_HOME, .r = {INT32_MIN, INT32_MIN, INT32_MIN + 5, 0}},
        {.kind = SIM_DRAW_CHECKBOX, .r = {-INT32_MAX, 0, -100, 40}, .text = "far left"},
        {.kind = SIM_DRAW_INPUT, .r = {0, -90, 90, -10}, .text = "above", .flags = 0xFFFFFFFFu},
        {.kind = (sim_draw_kind)999, .r = {0, 0, 90, 90}}, /* unknown kind */
    };
    image im = render_items(90, 90, false, items, sizeof items / sizeof items[0]);
    cr_assert_eq(count_ink(&im, 0, 0, 90, 90, 0xFFFFFF), 0, "something was drawn");
    free(im.px);
}

Test(sim_render, huge_and_odd_items_do_not_crash)
{
    sim_draw items[] = {
        {.kind = SIM_DRAW_TEXT, .r = {INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX}, .text = "x"},
        {.kind = SIM_DRAW_TITLE, .r = {-1000, -1000, 2000, 2000}, .text = "W", .text_px = 5000},
        {.kind = SIM_DRAW_BUTTON, .r = {INT32_MIN, 0, INT32_MAX, 50}, .text = "huge"},
        {.kind = SIM_DRAW_SWITCH, .r = {-50, -50, 20, 20}, .flags = SIM_DRAW_CHECKED},
        {.kind = SIM_DRAW_CHECKBOX, .r = {0, 0, 2, 2}, .text = "tiny", .flags = SIM_DRAW_CHECKED},
        {.kind = SIM_DRAW_ICON, .r = {0, 0, 1, 1}, .text = "\xe2\x82"}, /* truncated UTF-8 */
        {.kind = SIM_DRAW_ICON, .r = {-70000, -70000, 70000, 70000}, .text = "Big"},
        {.kind = SIM_DRAW_NAV_BACK, .r = {INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX}},
        {.kind = SIM_DRAW_NAV_RECENT, .r = {0, 0, 3, 3}},
        {.kind = SIM_DRAW_UP_ARROW, .r = {-5, -5, 30, 30}},
        {.kind = SIM_DRAW_INPUT, .r = {0, 0, 60, 60}, .text = "", .hint = "", .text_px = -4},
    };
    image im = render_items(60, 60, true, items, sizeof items / sizeof items[0]);
    cr_assert_eq(im.w, 60);
    free(im.px);
}

Test(sim_render, bad_canvas_size_is_a_usage_error)
{
    int sizes[][2] = {{0, 10}, {9000, 10}, {10, 0}, {10, 9000}, {-1, 10}, {10, -5}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sim_frame f = {.width = sizes[i][0], .height = sizes[i][1]};
        tl_buf out;
        tl_buf_init(&out, 0);
        tl_error err = {0};
        cr_assert_eq(sim_render_png(&f, &out, &err), TL_EUSAGE, "%dx%d", f.width, f.height);
        cr_assert_eq(err.code, TL_EUSAGE);
        cr_assert_neq(err.msg[0], '\0', "no message");
        cr_assert_eq(out.len, 0);
        tl_buf_dispose(&out);
    }
    sim_frame ok = {.width = 8192, .height = 1};
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(sim_render_png(&ok, &out, NULL), TL_OK, "8192 is allowed");
    tl_buf_dispose(&out);
}

Test(sim_render, items_without_array_is_a_usage_error)
{
    sim_frame f = {.width = 10, .height = 10, .items = NULL, .n = 3};
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    cr_assert_eq(sim_render_png(&f, &out, &err), TL_EUSAGE);
    cr_assert_eq(sim_render_png(NULL, &out, NULL), TL_EUSAGE);
    tl_buf_dispose(&out);
}

Test(sim_render, output_cap_gives_enomem_and_keeps_the_buffer)
{
    sim_draw t = {.kind = SIM_DRAW_TEXT, .r = {0, 0, 200, 200}, .text = "noise 0123456789"};
    sim_frame f = {.width = 200, .height = 200, .items = &t, .n = 1};
    tl_buf out;
    tl_buf_init(&out, 100);
    tl_buf_puts(&out, "abc");
    tl_error err = {0};
    cr_assert_eq(sim_render_png(&f, &out, &err), TL_ENOMEM);
    cr_assert_eq(err.code, TL_ENOMEM);
    cr_assert_neq(err.msg[0], '\0');
    cr_assert_eq(out.len, 3, "partial PNG left in the buffer");
    cr_assert_str_eq(out.data, "abc");
    tl_buf_dispose(&out);
}

Test(sim_render, viewport_clip_applies_to_its_item_range)
{
    sim_draw items[] = {
        {.kind = SIM_DRAW_FILL, .r = {0, 0, 100, 100}, .color = 0x00AA00}, /* not clipped */
        {.kind = SIM_DRAW_FILL, .r = {0, 0, 100, 100}, .color = 0xAA0000}, /* clipped */
        {.kind = SIM_DRAW_TEXT,
         .r = {0, 0, 100, 100},
         .text = "MMMMMMMMMMMMMMMMMMMM"},                                    /* clipped */
        {.kind = SIM_DRAW_FILL, .r = {90, 90, 100, 100}, .color = 0x0000AA}, /* not clipped */
    };
    sim_frame f = {.width = 100,
                   .height = 100,
                   .clip = {20, 30, 80, 70},
                   .clip_from = 1,
                   .clip_to = 3,
                   .items = items,
                   .n = 4};
    image im = render(&f);
    /* Outside the clip only the unclipped items show. */
    cr_assert_eq(count_color(&im, 0, 0, 100, 30, 0x00AA00), 100 * 30);
    cr_assert_eq(count_color(&im, 0, 70, 90, 100, 0x00AA00), 90 * 30);
    cr_assert_eq(count_color(&im, 0, 30, 20, 70, 0x00AA00), 20 * 40);
    cr_assert_eq(count_color(&im, 80, 30, 100, 70, 0x00AA00), 20 * 40, "text outside the clip");
    cr_assert_eq(count_color(&im, 90, 90, 100, 100, 0x0000AA), 100);
    /* Inside it, the clipped fill and the text. */
    int red = count_color(&im, 20, 30, 80, 70, 0xAA0000);
    cr_assert_gt(red, 0);
    cr_assert_lt(red, 60 * 40, "the text is missing");
    cr_assert_eq(count_color(&im, 0, 0, 100, 100, 0xAA0000), red, "red outside the clip");
    free(im.px);
}

Test(sim_render, disabled_items_are_dimmed_toward_the_background)
{
    uint32_t accent = accent_of(false);
    sim_draw b = {.kind = SIM_DRAW_BUTTON, .r = {0, 0, 40, 40}, .flags = SIM_DRAW_DISABLED};
    image im = render_items(40, 40, false, &b, 1);
    uint32_t c = pixel(&im, 20, 20);
    cr_assert_neq(c, accent, "not dimmed");
    for (int sh = 0; sh <= 16; sh += 8) {
        unsigned lo = (accent >> sh) & 0xFF, v = (c >> sh) & 0xFF;
        cr_assert(v >= lo && v <= 0xFF, "channel %u outside [%u, 255]", v, lo);
    }
    free(im.px);
}

Test(sim_render, nav_glyphs_are_outlines_inside_their_rect)
{
    sim_draw_kind kinds[] = {SIM_DRAW_NAV_BACK, SIM_DRAW_NAV_HOME, SIM_DRAW_NAV_RECENT,
                             SIM_DRAW_UP_ARROW};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        sim_draw g = {.kind = kinds[i], .r = {50, 50, 150, 150}};
        image im = render_items(200, 200, false, &g, 1);
        uint32_t bg = pixel(&im, 0, 0);
        int ink = count_ink(&im, 50, 50, 150, 150, bg);
        cr_assert_gt(ink, 50, "kind %d drew nothing", kinds[i]);
        cr_assert_eq(count_ink(&im, 0, 0, 200, 200, bg), ink, "kind %d outside", kinds[i]);
        if (kinds[i] != SIM_DRAW_UP_ARROW)
            cr_assert_eq(pixel(&im, 100, 100), bg, "kind %d is not an outline", kinds[i]);
        free(im.px);
    }
}

Test(sim_render, icon_tile_colour_depends_on_label)
{
    sim_draw a = {.kind = SIM_DRAW_ICON, .r = {0, 0, 200, 200}, .text = "Maps"};
    image ia = render_items(200, 200, false, &a, 1);
    image ib = render_items(200, 200, false, &a, 1);
    cr_assert(same_pixels(&ia, &ib), "not deterministic");
    /* The tile's top-centre (above the initial) is neither background nor white. */
    tl_rect box = ink_box(&ia, pixel(&ia, 0, 0));
    uint32_t tile = pixel(&ia, 100, box.top + 5);
    cr_assert_neq(tile, 0xFFFFFF);
    int white = count_color(&ia, 40, box.top, 160, box.top + 120, 0xFFFFFF);
    cr_assert_gt(white, 100, "no white initial on the tile");
    /* Some other label lands on a different colour of the palette. */
    const char *others[] = {"Gmail", "Chrome", "Photos", "Clock", "Camera"};
    bool differs = false;
    for (size_t i = 0; i < sizeof others / sizeof others[0] && !differs; i++) {
        sim_draw o = a;
        o.text = others[i];
        image io = render_items(200, 200, false, &o, 1);
        differs = pixel(&io, 100, box.top + 5) != tile;
        free(io.px);
    }
    cr_assert(differs, "every label gets the same tile colour");
    free(ia.px);
    free(ib.px);
}

Test(sim_render, button_label_is_centred_in_white)
{
    sim_draw b = {.kind = SIM_DRAW_BUTTON, .r = {0, 0, 300, 80}, .text = "Save"};
    image im = render_items(300, 80, false, &b, 1);
    tl_rect box = {300, 80, 0, 0};
    for (int y = 0; y < 80; y++)
        for (int x = 0; x < 300; x++)
            if (pixel(&im, x, y) == 0xFFFFFF && x > 20 && x < 280 && y > 10 && y < 70) {
                box.left = x < box.left ? x : box.left;
                box.top = y < box.top ? y : box.top;
                box.right = x + 1 > box.right ? x + 1 : box.right;
                box.bottom = y + 1 > box.bottom ? y + 1 : box.bottom;
            }
    cr_assert_gt(box.right, box.left, "no white label");
    int cx2 = box.left + box.right, cy2 = box.top + box.bottom;
    cr_assert(cx2 >= 296 && cx2 <= 304, "label not centred horizontally: %d..%d", box.left,
              box.right);
    cr_assert(cy2 >= 76 && cy2 <= 84, "label not centred vertically: %d..%d", box.top, box.bottom);
    free(im.px);
}
