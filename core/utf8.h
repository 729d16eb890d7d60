/*
 * utf8.h - UTF-8 decoding, encoding and safe truncation. Strict: overlong forms, surrogates and
 * code points above U+10FFFF are invalid.
 */
#ifndef TL_UTF8_H
#define TL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decode one code point from s (n > 0 bytes available).
 * @return its length in bytes (1-4) with *cp set, or 0 when the bytes are not valid UTF-8.
 */
size_t tl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/** Encode cp (<= 0x10FFFF, not a surrogate) into out (4 bytes). @return bytes written, 0 if bad. */
size_t tl_utf8_encode(uint32_t cp, char out[4]);

/** 1 if the n bytes are entirely valid UTF-8, else 0. */
int tl_utf8_valid(const char *s, size_t n);

/**
 * Length in bytes of the longest prefix of s (n bytes) holding at most max_chars code points,
 * never splitting a character. Invalid bytes count as one character each.
 */
size_t tl_utf8_prefix(const char *s, size_t n, size_t max_chars);

#endif
