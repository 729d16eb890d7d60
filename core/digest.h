/*
 * digest.h - SHA-256 (OpenSSL libcrypto) and lowercase hex.
 */
#ifndef TL_DIGEST_H
#define TL_DIGEST_H

#include <stddef.h>

/** SHA-256 of len bytes into out. */
void tl_sha256(const void *data, size_t len, unsigned char out[32]);

/** Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void tl_hex(const unsigned char *bytes, size_t n, char *out);

/** Lowercase hex SHA-256 of len bytes into out (NUL-terminated). */
void tl_sha256_hex(const void *data, size_t len, char out[65]);

#endif
