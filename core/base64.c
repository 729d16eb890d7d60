/*
 * base64.c - Base64 encoder (RFC 4648 §4: standard alphabet, '=' padding, no line breaks), used
 * to embed screenshots in report.html as data: URLs (see base64.h).
 *
 * The output size is known up front (4 bytes per started 3-byte group), so the buffer is
 * reserved once and filled in place.
 */
#include "core/base64.h"

#include <stdint.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int tl_base64_encode(const void *data, size_t len, tl_buf *out)
{
    if (len == 0)
        return tl_buf_append(out, "", 0);
    size_t groups = len / 3 + (len % 3 != 0);
    if (groups > SIZE_MAX / 4 - 1 || tl_buf_reserve(out, groups * 4) != TL_OK)
        return TL_ENOMEM;
    const unsigned char *p = data;
    char *o = out->data + out->len;
    size_t i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = ALPHABET[v >> 18];
        *o++ = ALPHABET[(v >> 12) & 63];
        *o++ = ALPHABET[(v >> 6) & 63];
        *o++ = ALPHABET[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = ALPHABET[v >> 18];
        *o++ = ALPHABET[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = ALPHABET[v >> 18];
        *o++ = ALPHABET[(v >> 12) & 63];
        *o++ = ALPHABET[(v >> 6) & 63];
        *o++ = '=';
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return TL_OK;
}
