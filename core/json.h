/*
 * json.h - writing JSON text into a tl_buf: escaped strings, numbers, booleans.
 *
 * The writer always produces valid UTF-8 JSON: bytes that are not valid UTF-8 are written as
 * U+FFFD, control characters as \uXXXX (or their short escapes). Reading JSON is done by cJSON
 * for small documents and by agent/ui_json.c for UI trees; cJSON never appears in a public
 * header.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/** Append s (n bytes) as a JSON string literal, quotes included. @return TL_OK or TL_ENOMEM. */
int tl_json_str(tl_buf *b, const char *s, size_t n);

/** Append a NUL-terminated string as a JSON string literal; NULL gives `null`. */
int tl_json_cstr(tl_buf *b, const char *s);

/** Append `"key":` (key is trusted ASCII, written as is). @return TL_OK or TL_ENOMEM. */
int tl_json_key(tl_buf *b, const char *key);

/** Append `true` or `false`. */
int tl_json_bool(tl_buf *b, bool v);

/** Append a finite double in the shortest round-trip form ("null" for NaN/inf). */
int tl_json_double(tl_buf *b, double v);

#endif
