/*
 * buf.h - growable byte buffer with a hard cap (HTTP bodies, files, listings, JSON output).
 *
 * The data is always NUL-terminated (the NUL is not counted in len), so text can be used as a
 * C string. Growth past `max` fails with TL_ENOMEM: the buffer keeps what it had, and the caller
 * reports which limit was hit.
 */
#ifndef TL_BUF_H
#define TL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/status.h"

/** Default cap of a buffer initialised with max == 0: 256 MiB. */
#define TL_BUF_DEFAULT_MAX ((size_t)256 << 20)

/** A buffer; a plain struct owned by the caller (tl_buf_init / tl_buf_dispose). */
typedef struct tl_buf {
    char *data; /**< owned; NULL until the first append; NUL-terminated after it */
    size_t len; /**< bytes of content */
    size_t cap; /**< bytes allocated */
    size_t max; /**< hard cap on len */
} tl_buf;

/** Initialise an empty buffer that refuses to grow beyond max bytes (0: TL_BUF_DEFAULT_MAX). */
void tl_buf_init(tl_buf *b, size_t max);

/** Free the data; the buffer is empty and can be reused. NULL is accepted. */
void tl_buf_dispose(tl_buf *b);

/** Overwrite the whole allocation with zeros, then free it (for buffers that may have held a
 * secret). NULL is accepted. */
void tl_buf_wipe(tl_buf *b);

/** Empty the buffer, keeping its allocation. */
void tl_buf_clear(tl_buf *b);

/**
 * Make room for `extra` more bytes. @return TL_OK, or TL_ENOMEM when malloc fails or the cap
 * would be exceeded (the content is unchanged).
 */
int tl_buf_reserve(tl_buf *b, size_t extra);

/** Append n bytes. @return TL_OK or TL_ENOMEM (see tl_buf_reserve). */
int tl_buf_append(tl_buf *b, const void *data, size_t n);

/** Append a NUL-terminated string. @return TL_OK or TL_ENOMEM. */
int tl_buf_puts(tl_buf *b, const char *s);

/** Append one byte. @return TL_OK or TL_ENOMEM. */
int tl_buf_putc(tl_buf *b, char c);

/** Append formatted text. @return TL_OK or TL_ENOMEM. */
int tl_buf_printf(tl_buf *b, const char *fmt, ...) TL_PRINTF(2, 3);

/** Append formatted text from a va_list. @return TL_OK or TL_ENOMEM. */
int tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap);

/** Append a decimal integer. @return TL_OK or TL_ENOMEM. */
int tl_buf_put_int(tl_buf *b, long long v);

/**
 * Take the content out of the buffer: the caller owns the returned pointer and frees it with
 * free(). The buffer is left empty. Never NULL: an empty buffer gives an allocated "".
 * @return NULL only when malloc fails.
 */
char *tl_buf_detach(tl_buf *b, size_t *len_out);

#endif
