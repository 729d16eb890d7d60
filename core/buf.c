/*
 * buf.c - capped growable buffer (see buf.h). Capacity doubles, so appends are amortised O(1).
 */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_buf_init(tl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : TL_BUF_DEFAULT_MAX;
}

void tl_buf_dispose(tl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tl_buf_wipe(tl_buf *b)
{
    if (!b)
        return;
    if (b->data) {
        volatile char *p = b->data; /* volatile: the stores must happen before free() */
        for (size_t i = 0; i < b->cap; i++)
            p[i] = 0;
    }
    tl_buf_dispose(b);
}

void tl_buf_clear(tl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int tl_buf_reserve(tl_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return TL_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return TL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return TL_ENOMEM;
    b->data = p;
    b->cap = cap;
    return TL_OK;
}

int tl_buf_append(tl_buf *b, const void *data, size_t n)
{
    if (tl_buf_reserve(b, n) != TL_OK)
        return TL_ENOMEM;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TL_OK;
}

int tl_buf_puts(tl_buf *b, const char *s)
{
    return tl_buf_append(b, s, strlen(s));
}

int tl_buf_putc(tl_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return TL_OK;
    }
    return tl_buf_append(b, &c, 1);
}

int tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return TL_ENOMEM;
    if ((size_t)n < sizeof(small))
        return tl_buf_append(b, small, (size_t)n);
    if (tl_buf_reserve(b, (size_t)n) != TL_OK)
        return TL_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return TL_OK;
}

int tl_buf_printf(tl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int tl_buf_put_int(tl_buf *b, long long v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return tl_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

char *tl_buf_detach(tl_buf *b, size_t *len_out)
{
    if (!b->data && tl_buf_reserve(b, 0) != TL_OK)
        return NULL;
    if (!b->data)
        return NULL;
    b->data[b->len] = '\0';
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
