/*
 * json.c - JSON text writer (see json.h).
 */
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

int tl_json_str(tl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case 6 output bytes per input byte; reserving it once keeps the loop simple. */
    if (n > (b->max / 6) || tl_buf_reserve(b, n * 6 + 2) != TL_OK)
        return TL_ENOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t l = tl_utf8_decode(p + i, n - i, &cp);
            if (l) {
                memcpy(o, p + i, l);
                o += l;
                i += l;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return TL_OK;
}

int tl_json_cstr(tl_buf *b, const char *s)
{
    if (!s)
        return tl_buf_append(b, "null", 4);
    return tl_json_str(b, s, strlen(s));
}

int tl_json_key(tl_buf *b, const char *key)
{
    size_t n = strlen(key);
    if (tl_buf_reserve(b, n + 3) != TL_OK)
        return TL_ENOMEM;
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, key, n);
    b->len += n;
    b->data[b->len++] = '"';
    b->data[b->len++] = ':';
    b->data[b->len] = '\0';
    return TL_OK;
}

int tl_json_bool(tl_buf *b, bool v)
{
    return v ? tl_buf_append(b, "true", 4) : tl_buf_append(b, "false", 5);
}

int tl_json_double(tl_buf *b, double v)
{
    if (!isfinite(v))
        return tl_buf_append(b, "null", 4);
    char tmp[32];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        double back;
        if (sscanf(tmp, "%lf", &back) == 1 && back == v)
            break;
    }
    return tl_buf_puts(b, tmp);
}
