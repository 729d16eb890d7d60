/*
 * digest.c - SHA-256, HMAC-SHA256 and hex (see digest.h), on OpenSSL libcrypto.
 */
#include "core/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <limits.h>
#include <string.h>

#include "core/status.h"

void tl_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

void tl_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void tl_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    tl_sha256(data, len, md);
    tl_hex(md, 32, out);
}

int tl_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   unsigned char out[32])
{
    /* HMAC() wants non-NULL pointers even for empty inputs */
    static const unsigned char empty[1] = {0};
    unsigned int n = 0;
    if (key_len > (size_t)INT_MAX ||
        !HMAC(EVP_sha256(), key_len ? key : empty, (int)key_len,
              msg_len ? (const unsigned char *)msg : empty, msg_len, out, &n) ||
        n != 32) {
        memset(out, 0, 32);
        return TL_ENOMEM;
    }
    return TL_OK;
}

void tl_digest_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}
