/*
 * test_base64.c - Base64 encoding: the RFC 4648 §10 vectors, every byte value, appending to
 * existing content, a large buffer checked by decoding it back, and the buffer's cap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"

static void check(const void *data, size_t len, const char *want)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_base64_encode(data, len, &b), TL_OK);
    cr_assert_not_null(b.data);
    cr_assert_eq(b.len, strlen(want), "length %zu, want %zu", b.len, strlen(want));
    cr_assert_str_eq(b.data, want);
    tl_buf_dispose(&b);
}

Test(core_base64, rfc4648_vectors)
{
    check("", 0, "");
    check("f", 1, "Zg==");
    check("fo", 2, "Zm8=");
    check("foo", 3, "Zm9v");
    check("foob", 4, "Zm9vYg==");
    check("fooba", 5, "Zm9vYmE=");
    check("foobar", 6, "Zm9vYmFy");
}

Test(core_base64, binary_bytes)
{
    static const unsigned char zeros[3] = {0, 0, 0};
    static const unsigned char ones[3] = {0xff, 0xff, 0xff};
    static const unsigned char mixed[] = {0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    check(zeros, 3, "AAAA");
    check(zeros, 1, "AA==");
    check(ones, 3, "////");
    check(ones, 2, "//8=");
    check(mixed, sizeof mixed, "+/+/ABCD");
    check(png, sizeof png, "iVBORw0KGgo=");
}

Test(core_base64, appends_to_existing_content)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_buf_puts(&b, "data:image/png;base64,"), TL_OK);
    cr_assert_eq(tl_base64_encode("foobar", 6, &b), TL_OK);
    cr_assert_eq(tl_base64_encode("f", 1, &b), TL_OK);
    cr_assert_str_eq(b.data, "data:image/png;base64,Zm9vYmFyZg==");
    tl_buf_dispose(&b);
}

static int decode_char(char c)
{
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(alpha, c);
    return c && p ? (int)(p - alpha) : -1;
}

Test(core_base64, large_buffer_round_trips)
{
    /* 1 MiB + 1 pseudo-random bytes, so the tail takes the padding path. */
    size_t n = ((size_t)1 << 20) + 1; /* n % 3 == 2: one "=" */
    unsigned char *in = malloc(n);
    cr_assert_not_null(in);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (unsigned char)(x >> 16);
    }
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_base64_encode(in, n, &b), TL_OK);
    cr_assert_eq(b.len, (n + 2) / 3 * 4);
    cr_assert_eq(strlen(b.data), b.len, "NUL inside the output");
    cr_assert_str_eq(b.data + b.len - 1, "=");
    cr_assert_neq(b.data[b.len - 2], '=');
    /* Decode it back and compare. */
    size_t o = 0;
    for (size_t i = 0; i < b.len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = b.data[i + k] == '=' ? 0 : decode_char(b.data[i + k]);
        for (int k = 0; k < 4; k++)
            cr_assert(v[k] >= 0, "bad character at %zu", i + (size_t)k);
        unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                          (unsigned long)v[2] << 6 | (unsigned long)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8),
                                  (unsigned char)w};
        for (int k = 0; k < 3 && o < n; k++, o++)
            cr_assert_eq(bytes[k], in[o], "byte %zu differs", o);
    }
    cr_assert_eq(o, n);
    tl_buf_dispose(&b);
    free(in);
}

Test(core_base64, cap_is_respected)
{
    tl_buf b;
    tl_buf_init(&b, 10);
    cr_assert_eq(tl_buf_puts(&b, "ab"), TL_OK);
    cr_assert_eq(tl_base64_encode("foobar", 6, &b), TL_OK); /* 2 + 8 = 10: fits exactly */
    cr_assert_str_eq(b.data, "abZm9vYmFy");
    cr_assert_eq(tl_base64_encode("f", 1, &b), TL_ENOMEM);
    cr_assert_str_eq(b.data, "abZm9vYmFy", "content changed by a refused append");
    cr_assert_eq(b.len, 10);
    tl_buf_dispose(&b);
}
