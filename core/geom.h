/*
 * geom.h - screen geometry shared by the element index and the drivers (the sim phone lays out
 * and draws its screens in the same rectangles the index parses), so that drivers need not
 * include agent/.
 */
#ifndef TL_GEOM_H
#define TL_GEOM_H

#include <stdint.h>

/** A rectangle in screen pixels; right and bottom are exclusive (Android Rect). */
typedef struct tl_rect {
    int32_t left, top, right, bottom;
} tl_rect;

#endif
