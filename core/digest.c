/*
 * digest.c - SHA-256 and hex (see digest.h).
 */
#include "core/digest.h"

#include <openssl/evp.h>
#include <string.h>

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
