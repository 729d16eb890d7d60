/*
 * digest.h - SHA-256 and HMAC-SHA256 (OpenSSL libcrypto), and lowercase hex.
 *
 * Keys passed to tl_hmac_sha256() are only read; callers that derive keys from a secret wipe
 * them with tl_digest_wipe() when done.
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

/**
 * HMAC-SHA256 (RFC 2104) of msg_len bytes of msg under key_len bytes of key into out.
 * Either length may be 0 (the pointer may then be NULL).
 * @return TL_OK, or TL_ENOMEM when libcrypto fails (out is then zeroed).
 */
int tl_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   unsigned char out[32]);

/** Overwrite n bytes with zeros in a way the compiler cannot drop (OPENSSL_cleanse). */
void tl_digest_wipe(void *p, size_t n);

#endif
