/*
 * render.c - paints the sim phone's display list onto an RGB canvas and encodes it as PNG.
 *
 * The main data structure is the `canvas`: the 8-bit RGB pixels of one frame (3 bytes a pixel,
 * rows packed), the clip rect that every write goes through, and the per-item state (dimming
 * for DISABLED, a scratch vertex buffer for stb_easy_font). All drawing ends in fill_rect(),
 * the only function that writes pixels, so clipping and dimming are enforced in one place.
 * Shapes are built from horizontal spans (rounded rects, circles, rings) or from stamped
 * squares (thick lines); text comes from stb_easy_font's quads scaled to the cap height.
 *
 * Everything lives on the stack or in per-call allocations, so concurrent calls are safe.
 */
#include "drivers/sim/render.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * stb_easy_font is header-only with static functions; we do not use all of them. Its one
 * mutable static (the spacing set by stb_easy_font_spacing) is never written here, so it is
 * effectively a constant and does not break thread safety.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#define DEFAULT_TEXT_PX 28
#define MAX_TEXT_PX     1024
#define FONT_CAP        7.0 /* stb_easy_font's cap height in font units */
#define MAX_GLYPH_QUADS 64  /* vertex buffer per glyph: the busiest glyph needs 11 quads */
#define QUAD_BYTES      64  /* 4 vertices of x, y, z floats and 4 colour bytes */
/* Item coordinates are clamped to this so that sizes and squares never overflow. */
#define COORD_LIMIT     65536
#define MAX_SHAPE_PX    1024 /* glyph shapes (nav icons) are never larger than this */

typedef struct palette {
    uint32_t bg, surface, text, text2, accent, on_accent, line, track_off, knob_off;
} palette;

static const palette light_palette = {
    .bg = 0xFFFFFF,
    .surface = 0xF1F3F4,
    .text = 0x202124,
    .text2 = 0x5F6368,
    .accent = 0x1A73E8,
    .on_accent = 0xFFFFFF,
    .line = 0x80868B,
    .track_off = 0xDADCE0,
    .knob_off = 0x9AA0A6,
};

/* The dark accent is light, so white labels on it would be hard to read: use dark ink. */
static const palette dark_palette = {
    .bg = 0x121212,
    .surface = 0x1E1E1E,
    .text = 0xE8EAED,
    .text2 = 0x9AA0A6,
    .accent = 0x8AB4F8,
    .on_accent = 0x121212,
    .line = 0x9AA0A6,
    .track_off = 0x5F6368,
    .knob_off = 0xBDC1C6,
};

/* Launcher icon tiles, picked by a hash of the label so an app keeps its colour. */
static const uint32_t icon_colors[] = {0xE53935, 0xD81B60, 0x8E24AA, 0x3949AB,
                                       0x039BE5, 0x00897B, 0x43A047, 0xF4511E};

typedef struct canvas {
    uint8_t *px; /* w * h * 3 bytes, RGB */
    int w, h;
    tl_rect clip; /* writes are limited to this rect, always inside the canvas */
    uint32_t bg;  /* theme background: DISABLED items are mixed halfway toward it */
    bool dim;     /* the item being drawn is disabled */
    char *vbuf;   /* stb_easy_font vertex buffer, MAX_GLYPH_QUADS * QUAD_BYTES */
} canvas;

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int iround(double v)
{
    return (int)floor(v + 0.5);
}

static tl_rect rect_isect(tl_rect a, tl_rect b)
{
    tl_rect r = {imax(a.left, b.left), imax(a.top, b.top), imin(a.right, b.right),
                 imin(a.bottom, b.bottom)};
    return r;
}

static int32_t clamp_coord(int32_t v)
{
    return v < -COORD_LIMIT ? -COORD_LIMIT : v > COORD_LIMIT ? COORD_LIMIT : v;
}

/* Mix a toward b by t/256 per channel. */
static uint32_t mix(uint32_t a, uint32_t b, unsigned t)
{
    uint32_t out = 0;
    for (int sh = 0; sh <= 16; sh += 8) {
        int ca = (int)((a >> sh) & 0xFF), cb = (int)((b >> sh) & 0xFF);
        out |= (uint32_t)(ca + (cb - ca) * (int)t / 256) << sh;
    }
    return out;
}

/* ---- primitives ---------------------------------------------------------------------- */

/* The only pixel writer: fills [x0,x1) x [y0,y1) within the clip. */
static void fill_rect(canvas *cv, int x0, int y0, int x1, int y1, uint32_t color)
{
    x0 = imax(x0, cv->clip.left);
    y0 = imax(y0, cv->clip.top);
    x1 = imin(x1, cv->clip.right);
    y1 = imin(y1, cv->clip.bottom);
    if (x0 >= x1 || y0 >= y1)
        return;
    if (cv->dim)
        color = mix(color, cv->bg, 128);
    uint8_t r = (uint8_t)(color >> 16), g = (uint8_t)(color >> 8), b = (uint8_t)color;
    size_t stride = (size_t)cv->w * 3, n = (size_t)(x1 - x0) * 3;
    uint8_t *first = cv->px + (size_t)y0 * stride + (size_t)x0 * 3;
    for (size_t i = 0; i < n; i += 3) {
        first[i] = r;
        first[i + 1] = g;
        first[i + 2] = b;
    }
    for (int y = y0 + 1; y < y1; y++)
        memcpy(first + (size_t)(y - y0) * stride, first, n);
}

/* Horizontal inset of row y (pixel centre y + 0.5) of a rect [y0,y1) with corner radius rad. */
static int corner_inset(int y0, int y1, double rad, int y)
{
    double cy = y + 0.5, d;
    if (cy < y0 + rad)
        d = y0 + rad - cy;
    else if (cy > y1 - rad)
        d = cy - (y1 - rad);
    else
        return 0;
    double q = rad * rad - d * d;
    return iround(rad - sqrt(q > 0 ? q : 0));
}

/*
 * Rounded rectangle, filled (t <= 0) or stroked with thickness t. Drawn as one or two spans
 * a row: the outer shape minus the inner shape inset by t. A circle is a square with
 * rad = side / 2.
 */
static void round_rect(canvas *cv, int x0, int y0, int x1, int y1, double rad, int t,
                       uint32_t color)
{
    if (x1 <= x0 || y1 <= y0)
        return;
    double rmax = imin(x1 - x0, y1 - y0) / 2.0;
    rad = rad < 0 ? 0 : rad > rmax ? rmax : rad;
    bool ring = t > 0 && 2 * t < x1 - x0 && 2 * t < y1 - y0;
    double irad = rad - t > 0 ? rad - t : 0;
    int ya = imax(y0, cv->clip.top), yb = imin(y1, cv->clip.bottom);
    for (int y = ya; y < yb; y++) {
        int in = corner_inset(y0, y1, rad, y);
        if (ring && y >= y0 + t && y < y1 - t) {
            int iin = corner_inset(y0 + t, y1 - t, irad, y);
            fill_rect(cv, x0 + in, y, x0 + t + iin, y + 1, color);
            fill_rect(cv, x1 - t - iin, y, x1 - in, y + 1, color);
        } else {
            fill_rect(cv, x0 + in, y, x1 - in, y + 1, color);
        }
    }
}

static void circle(canvas *cv, int cx, int cy, int d, int t, uint32_t color)
{
    round_rect(cv, cx - d / 2, cy - d / 2, cx - d / 2 + d, cy - d / 2 + d, d / 2.0, t, color);
}

/* A thick line made of t x t squares stamped at every pixel step. */
static void line(canvas *cv, double xa, double ya, double xb, double yb, int t, uint32_t color)
{
    double dx = xb - xa, dy = yb - ya;
    int n = (int)ceil(fmax(fabs(dx), fabs(dy)));
    if (n < 1)
        n = 1;
    for (int i = 0; i <= n; i++) {
        int x = iround(xa + dx * i / n - t / 2.0), y = iround(ya + dy * i / n - t / 2.0);
        fill_rect(cv, x, y, x + t, y + t, color);
    }
}

/* ---- text ---------------------------------------------------------------------------- */

/*
 * Consume one character (one whole UTF-8 sequence) from *s and return the glyph that shows
 * it: itself for printable ASCII, else '?'. A stray continuation byte counts as one char.
 */
static char next_glyph(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    unsigned char c = *p++;
    if (c >= 0xC0 && c < 0xF8) {
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        while (more-- > 0 && (*p & 0xC0) == 0x80)
            p++;
        c = '?';
    } else if (c < 32 || c > 126) {
        c = '?';
    }
    *s = (const char *)p;
    return (char)c;
}

static int glyph_advance(char g)
{
    char one[2] = {g, '\0'};
    return stb_easy_font_width(one);
}

/*
 * Width in pixels of the ink of s (the last glyph's trailing gap excluded) at cap height px.
 * mask, when not '\0', replaces every character (password fields).
 */
static int text_width(const char *s, char mask, int px)
{
    /* Capped so that absurdly long strings cannot overflow; they are clipped anyway. */
    int units = 0;
    while (s && *s && units < (1 << 20)) {
        char g = next_glyph(&s);
        units += glyph_advance(mask ? mask : g);
    }
    return units > 0 ? iround((units - 1) * (double)px / FONT_CAP) : 0;
}

/*
 * Draw s with its cap top at y. Each glyph is printed by stb_easy_font at its pen position (in
 * font units) and its quads are scaled and rounded to whole pixels, which keeps strokes crisp
 * and makes neighbouring quads meet exactly.
 */
static void draw_text(canvas *cv, int x, int y, const char *s, char mask, int px, uint32_t color)
{
    double scale = px / FONT_CAP;
    float pen = 0;
    while (s && *s) {
        char g[2] = {next_glyph(&s), '\0'};
        if (mask)
            g[0] = mask;
        if (x + pen * scale >= cv->clip.right)
            break; /* the rest is clipped anyway; also bounds the work for huge strings */
        int quads = stb_easy_font_print(pen, 0, g, NULL, cv->vbuf, MAX_GLYPH_QUADS * QUAD_BYTES);
        for (int q = 0; q < quads; q++) {
            float v0[2], v2[2]; /* top-left and bottom-right vertices */
            memcpy(v0, cv->vbuf + q * QUAD_BYTES, sizeof v0);
            memcpy(v2, cv->vbuf + q * QUAD_BYTES + 2 * 16, sizeof v2);
            fill_rect(cv, x + iround(v0[0] * scale), y + iround(v0[1] * scale),
                      x + iround(v2[0] * scale), y + iround(v2[1] * scale), color);
        }
        pen += (float)glyph_advance(g[0]);
    }
}

/* Titles and icon initials: the text twice, the second copy shifted right. */
static void draw_bold(canvas *cv, int x, int y, const char *s, int px, uint32_t color)
{
    draw_text(cv, x, y, s, '\0', px, color);
    draw_text(cv, x + (px >= 24 ? 2 : 1), y, s, '\0', px, color);
}

/* ---- widgets ------------------------------------------------------------------------- */

typedef struct item_geo {
    int x0, y0, x1, y1, w, h;
    int px;         /* cap height of the label */
    uint32_t color; /* item colour, or 0 */
    uint32_t flags;
} item_geo;

static uint32_t or_default(uint32_t color, uint32_t fallback)
{
    return color ? color : fallback;
}

/* Top of a line of text at cap height px, vertically centred in [y0,y1). */
static int centre_text_y(int y0, int y1, int px)
{
    return y0 + (y1 - y0 - px) / 2;
}

static void draw_input(canvas *cv, const palette *pal, const item_geo *g, const sim_draw *it)
{
    bool focused = g->flags & SIM_DRAW_FOCUSED;
    int t = focused ? imax(2, g->px / 7) : imax(1, g->px / 14);
    uint32_t accent = pal->accent;
    fill_rect(cv, g->x0, g->y1 - t, g->x1, g->y1, focused ? accent : pal->line);

    /* A little padding on the left leaves room for the caret of an empty field. */
    int pad = g->px / 3, cw = imax(2, g->px / 12);
    int x = g->x0 + pad, y = centre_text_y(g->y0, g->y1 - t, g->px);
    char mask = (g->flags & SIM_DRAW_PASSWORD) ? '*' : '\0';
    int caret_x = g->x0 + (pad - cw) / 2;
    if (it->text && *it->text) {
        draw_text(cv, x, y, it->text, mask, g->px, or_default(g->color, pal->text));
        caret_x = x + text_width(it->text, mask, g->px) + imax(2, g->px / 6);
    } else if (it->hint && *it->hint) {
        draw_text(cv, x, y, it->hint, '\0', g->px, pal->text2);
    }
    if (focused) {
        int over = g->px / 5;
        fill_rect(cv, caret_x, y - over, caret_x + cw, y + g->px + over, accent);
    }
}

static void draw_switch(canvas *cv, const palette *pal, const item_geo *g, const sim_draw *it)
{
    bool on = g->flags & SIM_DRAW_CHECKED;
    uint32_t accent = or_default(g->color, pal->accent);
    int d = imin(g->h, iround(g->px * 1.5)); /* knob diameter */
    int th = iround(d * 0.6), tw = iround(d * 1.8);
    int tx1 = g->x1 - (d - th) / 2, tx0 = tx1 - tw; /* the knob overhangs the track ends */
    int cy = (g->y0 + g->y1) / 2;
    round_rect(cv, tx0, cy - th / 2, tx1, cy - th / 2 + th, th / 2.0, 0,
               on ? mix(accent, pal->bg, 128) : pal->track_off);
    circle(cv, on ? tx1 - th / 2 : tx0 + th / 2, cy, d, 0, on ? accent : pal->knob_off);

    /* The label must stop before the switch. */
    tl_rect saved = cv->clip;
    cv->clip.right = imin(cv->clip.right, tx0 - (d - th) / 2 - g->px / 2);
    draw_text(cv, g->x0, centre_text_y(g->y0, g->y1, g->px), it->text, '\0', g->px, pal->text);
    cv->clip = saved;
}

static void draw_checkbox(canvas *cv, const palette *pal, const item_geo *g, const sim_draw *it)
{
    uint32_t accent = or_default(g->color, pal->accent);
    int b = imin(g->h, iround(g->px * 1.25));
    int by = (g->y0 + g->y1 - b) / 2, bx = g->x0;
    if (g->flags & SIM_DRAW_CHECKED) {
        round_rect(cv, bx, by, bx + b, by + b, b / 8.0, 0, accent);
        int t = imax(2, b / 8);
        line(cv, bx + b * 0.22, by + b * 0.52, bx + b * 0.42, by + b * 0.72, t, pal->on_accent);
        line(cv, bx + b * 0.42, by + b * 0.72, bx + b * 0.78, by + b * 0.30, t, pal->on_accent);
    } else {
        round_rect(cv, bx, by, bx + b, by + b, b / 8.0, imax(2, b / 10), pal->text2);
    }
    draw_text(cv, bx + b + g->px * 2 / 3, centre_text_y(g->y0, g->y1, g->px), it->text, '\0', g->px,
              pal->text);
}

static void draw_icon(canvas *cv, const palette *pal, const item_geo *g, const sim_draw *it)
{
    const char *label = it->text ? it->text : "";
    int gap = g->px / 2;
    int tile = imin(iround(g->w * 0.6), g->h - gap - g->px);
    if (tile > 0) {
        uint32_t hash = 2166136261u; /* FNV-1a */
        for (const char *p = label; *p; p++)
            hash = (hash ^ (unsigned char)*p) * 16777619u;
        uint32_t tile_color =
            or_default(g->color, icon_colors[hash % (sizeof icon_colors / sizeof icon_colors[0])]);
        int tx = (g->x0 + g->x1 - tile) / 2, ty = g->y0 + (g->h - tile - gap - g->px) / 2;
        round_rect(cv, tx, ty, tx + tile, ty + tile, tile * 0.22, 0, tile_color);
        if (*label) {
            const char *p = label;
            char initial[2] = {next_glyph(&p), '\0'};
            if (initial[0] >= 'a' && initial[0] <= 'z')
                initial[0] = (char)(initial[0] - 'a' + 'A');
            int ipx = imax(1, imin(tile / 2, MAX_TEXT_PX));
            draw_bold(cv, tx + (tile - text_width(initial, '\0', ipx)) / 2, ty + (tile - ipx) / 2,
                      initial, ipx, 0xFFFFFF);
        }
        int ly = ty + tile + gap;
        draw_text(cv, (g->x0 + g->x1 - text_width(label, '\0', g->px)) / 2, ly, label, '\0', g->px,
                  pal->text);
    } else {
        draw_text(cv, g->x0, centre_text_y(g->y0, g->y1, g->px), label, '\0', g->px, pal->text);
    }
}

/* Nav-bar glyphs and the app bar's up arrow: outlines centred in the rect. */
static void draw_glyph(canvas *cv, const palette *pal, const item_geo *g, sim_draw_kind kind)
{
    uint32_t color = or_default(g->color, pal->text);
    int cx = (g->x0 + g->x1) / 2, cy = (g->y0 + g->y1) / 2;
    double factor = kind == SIM_DRAW_UP_ARROW ? 0.45 : 0.36;
    int s = imin(iround(imin(g->w, g->h) * factor), MAX_SHAPE_PX);
    int t = imax(2, s / 9);
    double h = s / 2.0;
    switch (kind) {
    case SIM_DRAW_NAV_BACK:
        line(cv, cx - h, cy, cx + h * 0.8, cy - h, t, color);
        line(cv, cx + h * 0.8, cy - h, cx + h * 0.8, cy + h, t, color);
        line(cv, cx + h * 0.8, cy + h, cx - h, cy, t, color);
        break;
    case SIM_DRAW_NAV_HOME: circle(cv, cx, cy, s, t, color); break;
    case SIM_DRAW_NAV_RECENT: {
        int side = iround(s * 0.85);
        int x0 = cx - side / 2, y0 = cy - side / 2;
        round_rect(cv, x0, y0, x0 + side, y0 + side, side / 10.0, t, color);
        break;
    }
    default: /* SIM_DRAW_UP_ARROW */
        line(cv, cx - h, cy, cx + h, cy, t, color);
        line(cv, cx - h, cy, cx - h * 0.1, cy - h * 0.9, t, color);
        line(cv, cx - h, cy, cx - h * 0.1, cy + h * 0.9, t, color);
        break;
    }
}

static void draw_item(canvas *cv, const palette *pal, const sim_draw *it)
{
    item_geo g = {
        .x0 = clamp_coord(it->r.left),
        .y0 = clamp_coord(it->r.top),
        .x1 = clamp_coord(it->r.right),
        .y1 = clamp_coord(it->r.bottom),
        .color = it->color & 0xFFFFFF,
        .flags = it->flags,
    };
    g.w = g.x1 - g.x0;
    g.h = g.y1 - g.y0;
    if (g.w <= 0 || g.h <= 0)
        return;
    int px = it->text_px > 0 ? imin(it->text_px, MAX_TEXT_PX) : DEFAULT_TEXT_PX;
    if (g.flags & SIM_DRAW_SECONDARY)
        px = imax(1, iround(px * 0.8));
    g.px = px;

    /* Nothing an item draws may leave its own rect. */
    tl_rect own = {g.x0, g.y0, g.x1, g.y1};
    cv->clip = rect_isect(cv->clip, own);
    cv->dim = g.flags & SIM_DRAW_DISABLED;
    int ty = centre_text_y(g.y0, g.y1, px);

    switch (it->kind) {
    case SIM_DRAW_FILL:
        fill_rect(cv, g.x0, g.y0, g.x1, g.y1, or_default(g.color, pal->surface));
        break;
    case SIM_DRAW_TEXT: {
        uint32_t fallback = (g.flags & SIM_DRAW_SECONDARY) ? pal->text2 : pal->text;
        draw_text(cv, g.x0, ty, it->text, '\0', px, or_default(g.color, fallback));
        break;
    }
    case SIM_DRAW_TITLE: {
        int tpx = imin(iround(px * 1.3), MAX_TEXT_PX);
        draw_bold(cv, g.x0, centre_text_y(g.y0, g.y1, tpx), it->text, tpx,
                  or_default(g.color, pal->text));
        break;
    }
    case SIM_DRAW_BUTTON:
        round_rect(cv, g.x0, g.y0, g.x1, g.y1, imin(g.h, g.w) / 5.0, 0,
                   or_default(g.color, pal->accent));
        draw_text(cv, (g.x0 + g.x1 - text_width(it->text, '\0', px)) / 2, ty, it->text, '\0', px,
                  pal->on_accent);
        break;
    case SIM_DRAW_INPUT: draw_input(cv, pal, &g, it); break;
    case SIM_DRAW_SWITCH: draw_switch(cv, pal, &g, it); break;
    case SIM_DRAW_CHECKBOX: draw_checkbox(cv, pal, &g, it); break;
    case SIM_DRAW_ICON: draw_icon(cv, pal, &g, it); break;
    case SIM_DRAW_NAV_BACK:
    case SIM_DRAW_NAV_HOME:
    case SIM_DRAW_NAV_RECENT:
    case SIM_DRAW_UP_ARROW: draw_glyph(cv, pal, &g, it->kind); break;
    default: break; /* unknown kinds draw nothing */
    }
}

/* ---- PNG ----------------------------------------------------------------------------- */

/*
 * Output state of the PNG writer. It lives in the caller of encode_png(), not in the function
 * that calls setjmp, so its fields keep their values across libpng's longjmp.
 */
typedef struct png_sink {
    tl_buf *out;
    int status;
    char msg[128];
} png_sink;

static void png_on_write(png_structp png, png_bytep data, size_t n)
{
    png_sink *sink = png_get_io_ptr(png);
    if (tl_buf_append(sink->out, data, n) != TL_OK)
        png_error(png, "output buffer limit reached");
}

static void png_on_flush(png_structp png)
{
    (void)png;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_sink *sink = png_get_error_ptr(png);
    sink->status = TL_ENOMEM;
    snprintf(sink->msg, sizeof sink->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Encode w x h RGB pixels into sink->out; on failure sink->status is set. */
static void encode_png(const uint8_t *px, int w, int h, png_sink *sink)
{
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, png_on_error, png_on_warning);
    if (!png) {
        sink->status = TL_ENOMEM;
        snprintf(sink->msg, sizeof sink->msg, "cannot create the PNG writer");
        return;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        sink->status = TL_ENOMEM;
        snprintf(sink->msg, sizeof sink->msg, "cannot create the PNG writer");
        return;
    }
    /* png and info are not modified after setjmp, so they need not be volatile. */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return;
    }
    png_set_write_fn(png, sink, png_on_write, png_on_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /*
     * Speed matters more than size: zlib's fastest level, and no filter, because screens are
     * runs of flat colour that deflate matches well as they are (measured: the SUB filter
     * costs a third more time for the same size).
     */
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    size_t stride = (size_t)w * 3;
    for (int y = 0; y < h; y++)
        png_write_row(png, px + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
}

/* ---- entry point --------------------------------------------------------------------- */

int sim_render_png(const sim_frame *frame, tl_buf *out, tl_error *err)
{
    if (!frame || !out)
        return tl_error_set(err, TL_EUSAGE, "sim render: no frame or output buffer");
    if (frame->width < 1 || frame->width > 8192 || frame->height < 1 || frame->height > 8192)
        return tl_error_set(err, TL_EUSAGE,
                            "sim render: canvas size %dx%d is out of range (1..8192 each)",
                            frame->width, frame->height);
    if (!frame->items && frame->n > 0)
        return tl_error_set(err, TL_EUSAGE, "sim render: %zu items but no item array", frame->n);

    const palette *pal = frame->dark ? &dark_palette : &light_palette;
    canvas cv = {.w = frame->width, .h = frame->height, .bg = pal->bg};
    cv.px = malloc((size_t)cv.w * (size_t)cv.h * 3);
    cv.vbuf = malloc(MAX_GLYPH_QUADS * QUAD_BYTES);
    if (!cv.px || !cv.vbuf) {
        free(cv.px);
        free(cv.vbuf);
        return tl_error_set(err, TL_ENOMEM, "sim render: out of memory for a %dx%d canvas", cv.w,
                            cv.h);
    }

    const tl_rect whole = {0, 0, cv.w, cv.h};
    cv.clip = whole;
    fill_rect(&cv, 0, 0, cv.w, cv.h, pal->bg);
    for (size_t i = 0; i < frame->n; i++) {
        cv.clip = whole;
        if (i >= frame->clip_from && i < frame->clip_to)
            cv.clip = rect_isect(whole, frame->clip);
        draw_item(&cv, pal, &frame->items[i]);
    }

    size_t start = out->len;
    png_sink sink = {.out = out, .status = TL_OK};
    encode_png(cv.px, cv.w, cv.h, &sink);
    free(cv.px);
    free(cv.vbuf);
    if (sink.status != TL_OK) {
        /* Drop the partial PNG so the buffer holds what it had before the call. */
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return tl_error_set(err, sink.status, "sim render: PNG encoding failed: %s", sink.msg);
    }
    return TL_OK;
}
