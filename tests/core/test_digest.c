/*
 * test_digest.c - SHA-256 and HMAC-SHA256: the RFC 4231 HMAC-SHA256 test cases 1-4 and 6
 * (keys shorter than, equal to and longer than the block), empty key and message, and
 * tl_digest_wipe().
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/digest.h"
#include "core/status.h"

static void hmac_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char out[65])
{
    unsigned char mac[32];
    cr_assert_eq(tl_hmac_sha256(key, key_len, msg, msg_len, mac), TL_OK);
    tl_hex(mac, 32, out);
}

Test(core_digest, sha256_known_values)
{
    char hex[65];
    tl_sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tl_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(core_digest, hmac_sha256_rfc4231)
{
    char hex[65];
    unsigned char key[131];

    memset(key, 0x0b, 20);
    hmac_hex(key, 20, "Hi There", 8, hex);
    cr_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
    cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    unsigned char data[50];
    memset(key, 0xaa, 20);
    memset(data, 0xdd, sizeof(data));
    hmac_hex(key, 20, data, sizeof(data), hex);
    cr_assert_str_eq(hex, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, sizeof(data));
    hmac_hex(key, 25, data, sizeof(data), hex);
    cr_assert_str_eq(hex, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    /* a key longer than SHA-256's 64-byte block is hashed first */
    memset(key, 0xaa, sizeof(key));
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_hex(key, sizeof(key), m6, strlen(m6), hex);
    cr_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(core_digest, hmac_sha256_empty_inputs)
{
    char hex[65];
    hmac_hex(NULL, 0, NULL, 0, hex);
    cr_assert_str_eq(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    hmac_hex("", 0, "", 0, hex);
    cr_assert_str_eq(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

Test(core_digest, wipe)
{
    unsigned char secret[40];
    memset(secret, 0x5a, sizeof(secret));
    tl_digest_wipe(secret, sizeof(secret));
    for (size_t i = 0; i < sizeof(secret); i++)
        cr_assert_eq(secret[i], 0);
    tl_digest_wipe(NULL, 10); /* accepted */
}
