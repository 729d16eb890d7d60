/*
 * base64.h - Base64 (RFC 4648, standard alphabet, with padding) for data: URLs.
 */
#ifndef TL_BASE64_H
#define TL_BASE64_H

#include <stddef.h>

#include "core/buf.h"

/** Append the Base64 encoding of len bytes of data to out. @return TL_OK or TL_ENOMEM. */
int tl_base64_encode(const void *data, size_t len, tl_buf *out);

#endif
