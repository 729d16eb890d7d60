/*
 * sign.c - ArmCloud request signing and encrypted-field decryption (see sign.h).
 *
 * Everything is computed into caller-owned buffers; the only secret-derived material outside
 * a tl_ac_signature is the signing key chain, held in stack arrays that are wiped with
 * tl_digest_wipe() on every path out of the function that made them.
 */
#include "drivers/armcloud/sign.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "core/digest.h"

int tl_ac_x_date(time_t t, char out[TL_AC_X_DATE_LEN + 1])
{
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
        return TL_EUSAGE;
    if (strftime(out, TL_AC_X_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != TL_AC_X_DATE_LEN) {
        out[0] = '\0';
        return TL_EUSAGE;
    }
    return TL_OK;
}

bool tl_ac_x_date_valid(const char *s)
{
    if (!s || strlen(s) != TL_AC_X_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

void tl_ac_signature_init(tl_ac_signature *s)
{
    memset(s, 0, sizeof(*s));
    tl_buf_init(&s->canonical, 0);
    tl_buf_init(&s->string_to_sign, 0);
    tl_buf_init(&s->authorization, 0);
}

void tl_ac_signature_dispose(tl_ac_signature *s)
{
    if (!s)
        return;
    tl_buf_dispose(&s->canonical);
    tl_buf_dispose(&s->string_to_sign);
    tl_buf_wipe(&s->authorization);
    tl_digest_wipe(s->signature, sizeof(s->signature));
}

int tl_ac_canonical(tl_buf *out, const char *host, const char *x_date, const char *content_type,
                    const char *body_sha256_hex)
{
    return tl_buf_printf(out,
                         "host:%s\nx-date:%s\ncontent-type:%s\nsignedHeaders:" TL_AC_SIGNED_HEADERS
                         "\nx-content-sha256:%s",
                         host, x_date, content_type, body_sha256_hex);
}

int tl_ac_string_to_sign(tl_buf *out, const char *x_date, const char *canonical, size_t len)
{
    char hash[65];
    tl_sha256_hex(canonical, len, hash);
    return tl_buf_printf(out, TL_AC_ALGORITHM "\n%s\n%.8s/" TL_AC_SERVICE "/request\n%s", x_date,
                         x_date, hash);
}

int tl_ac_signing_key(unsigned char out[32], const char *sk, const char *short_date)
{
    unsigned char k1[32], k2[32];
    int rc = tl_hmac_sha256(sk, strlen(sk), short_date, 8, k1);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(k1, sizeof(k1), TL_AC_SERVICE, strlen(TL_AC_SERVICE), k2);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(k2, sizeof(k2), "request", 7, out);
    tl_digest_wipe(k1, sizeof(k1));
    tl_digest_wipe(k2, sizeof(k2));
    if (rc != TL_OK)
        tl_digest_wipe(out, 32);
    return rc;
}

/* A value that goes into a header line must not end it early. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int tl_ac_sign(const tl_ac_sign_input *in, tl_ac_signature *out, tl_error *err)
{
    const char *ct = in->content_type ? in->content_type : TL_AC_CONTENT_TYPE;
    if (!in->ak || !in->ak[0])
        return tl_error_set(err, TL_EUSAGE, "armcloud: the access key (ARMCLOUD_AK) is empty");
    if (!in->sk || !in->sk[0])
        return tl_error_set(err, TL_EUSAGE, "armcloud: the secret key (ARMCLOUD_SK) is empty");
    if (!header_safe(in->ak))
        return tl_error_set(err, TL_EUSAGE, "armcloud: ARMCLOUD_AK contains a control character");
    if (!in->host || !in->host[0] || !header_safe(in->host) || !header_safe(ct))
        return tl_error_set(err, TL_EUSAGE,
                            "armcloud: the host or content type to sign is empty or contains a "
                            "control character");
    if (!tl_ac_x_date_valid(in->x_date))
        return tl_error_set(err, TL_EUSAGE, "armcloud: malformed x-date (want YYYYMMDDTHHMMSSZ)");

    tl_buf_clear(&out->canonical);
    tl_buf_clear(&out->string_to_sign);
    tl_buf_wipe(&out->authorization);
    tl_sha256_hex(in->body_len ? in->body : "", in->body_len, out->body_sha256);
    int rc = tl_ac_canonical(&out->canonical, in->host, in->x_date, ct, out->body_sha256);
    if (rc == TL_OK) {
        tl_sha256_hex(out->canonical.data, out->canonical.len, out->canonical_sha256);
        rc = tl_ac_string_to_sign(&out->string_to_sign, in->x_date, out->canonical.data,
                                  out->canonical.len);
    }
    if (rc != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "armcloud: out of memory signing a request");
    snprintf(out->credential_scope, sizeof(out->credential_scope), "%.8s/" TL_AC_SERVICE "/request",
             in->x_date);

    unsigned char key[32], mac[32];
    rc = tl_ac_signing_key(key, in->sk, in->x_date);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(key, sizeof(key), out->string_to_sign.data, out->string_to_sign.len,
                            mac);
    tl_digest_wipe(key, sizeof(key));
    if (rc == TL_OK) {
        tl_hex(mac, sizeof(mac), out->signature);
        rc = tl_buf_printf(&out->authorization,
                           TL_AC_ALGORITHM " Credential=%s/%s, SignedHeaders=" TL_AC_SIGNED_HEADERS
                                           ", Signature=%s",
                           in->ak, out->credential_scope, out->signature);
    }
    tl_digest_wipe(mac, sizeof(mac));
    if (rc != TL_OK) {
        tl_ac_signature_dispose(out);
        tl_ac_signature_init(out);
        return tl_error_set(err, TL_ENOMEM, "armcloud: could not compute a request signature");
    }
    return TL_OK;
}

/* ---- encrypted fields ------------------------------------------------------------------------ */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Strict standard Base64 (padding optional) of n characters into out (room for n * 3 / 4
 * bytes). @return the decoded length, or -1 for a character outside the alphabet, padding
 * anywhere but the end, or a length no encoder produces.
 */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* Split "IV:CT" and check both parts' characters; no decoding. */
static bool split_field(const char *value, size_t len, size_t *colon)
{
    const char *c = memchr(value, ':', len);
    if (!c)
        return false;
    *colon = (size_t)(c - value);
    for (size_t i = 0; i < len; i++)
        if (i != *colon && b64_value((unsigned char)value[i]) < 0 && value[i] != '=')
            return false;
    return true;
}

bool tl_ac_looks_encrypted(const char *value, size_t len)
{
    size_t colon;
    if (!value || len < 16 + 1 + 22 || !split_field(value, len, &colon))
        return false;
    size_t iv_chars = colon, ct_chars = len - colon - 1;
    /* 12 bytes are 16 characters without padding; the tag alone is 22 (+ "==") */
    return iv_chars == 16 && ct_chars >= 22;
}

int tl_ac_decrypt_field(tl_buf *out, const char *value, size_t len, const char *pad_code,
                        const char *what, tl_error *err)
{
    size_t colon;
    if (!value || !split_field(value, len, &colon) || colon == 0 || colon + 1 >= len)
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s is not an encrypted value (base64 IV ':' base64 data)",
                            what);
    unsigned char iv[16];
    size_t ct_chars = len - colon - 1;
    if (colon > 16 || b64_decode(value, colon, iv) != 12)
        return tl_error_set(err, TL_EBADRESP, "armcloud: %s: the IV is not 12 bytes of base64",
                            what);
    if (ct_chars > ((size_t)16 << 20))
        return tl_error_set(err, TL_EBADRESP, "armcloud: %s: the encrypted value is too large",
                            what);
    tl_buf ct;
    tl_buf_init(&ct, 0);
    if (tl_buf_reserve(&ct, ct_chars / 4 * 3 + 4) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "armcloud: out of memory decrypting %s", what);
    long n = b64_decode(value + colon + 1, ct_chars, (unsigned char *)ct.data);
    if (n < 16) {
        tl_buf_dispose(&ct);
        return tl_error_set(err, TL_EBADRESP,
                            "armcloud: %s: the encrypted data is not base64 of at least the "
                            "16-byte tag",
                            what);
    }
    size_t ct_len = (size_t)n - 16;
    const unsigned char *tag = (const unsigned char *)ct.data + ct_len;

    unsigned char key[32];
    tl_sha256(pad_code, strlen(pad_code), key);
    int rc = TL_OK;
    size_t start = out->len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0;
    if (!ctx || tl_buf_reserve(out, ct_len + 1) != TL_OK)
        rc = tl_error_set(err, TL_ENOMEM, "armcloud: out of memory decrypting %s", what);
    else if (!EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ||
             !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) ||
             !EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv) ||
             (ct_len > 0 && !EVP_DecryptUpdate(ctx, (unsigned char *)out->data + start, &outl,
                                               (const unsigned char *)ct.data, (int)ct_len)) ||
             !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) ||
             EVP_DecryptFinal_ex(ctx, (unsigned char *)out->data + start + outl, &finl) <= 0)
        rc = tl_error_set(err, TL_EBADRESP,
                          "armcloud: %s does not decrypt with the key of pad %s (authentication "
                          "failed)",
                          what, pad_code);
    EVP_CIPHER_CTX_free(ctx);
    tl_digest_wipe(key, sizeof(key));
    tl_buf_dispose(&ct);
    if (rc == TL_OK) {
        out->len = start + (size_t)outl + (size_t)finl;
    } else if (out->data) {
        tl_digest_wipe(out->data + start, out->cap - start);
        out->len = start;
    }
    if (out->data)
        out->data[out->len] = '\0';
    return rc;
}
