/*
 * sign.h - ArmCloud / VMOS Cloud OpenAPI request signing (HMAC-SHA256, service
 * "armcloud-paas") and the decryption of AES-256-GCM encrypted response fields, as
 * docs/armcloud.md describes (from the vendor's sample signers; the reference's pseudo-code is
 * garbled). Private to drivers/armcloud/.
 *
 * Signing a request:
 *   x-content-sha256 = hex(SHA-256(body))
 *   canonical        = "host:H\nx-date:D\ncontent-type:T\n"
 *                      "signedHeaders:content-type;host;x-content-sha256;x-date\n"
 *                      "x-content-sha256:HASH"                       (no trailing newline)
 *   string to sign   = "HMAC-SHA256\nD\nYYYYMMDD/armcloud-paas/request\n" hex(SHA-256(canonical))
 *   signing key      = HMAC(HMAC(HMAC(SK, YYYYMMDD), "armcloud-paas"), "request")
 *   signature        = hex(HMAC(signing key, string to sign))
 *   authorization    = "HMAC-SHA256 Credential=AK/YYYYMMDD/armcloud-paas/request, "
 *                      "SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=SIG"
 *
 * Secrets: the SK, the derived keys and the signature are never formatted into a message. The
 * derived keys live on the stack and are wiped before every function returns; a
 * tl_ac_signature holds the signature and the authorization value and is wiped by
 * tl_ac_signature_dispose().
 */
#ifndef TL_ARMCLOUD_SIGN_H
#define TL_ARMCLOUD_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/status.h"

#define TL_AC_SERVICE        "armcloud-paas"
#define TL_AC_SIGNED_HEADERS "content-type;host;x-content-sha256;x-date"
#define TL_AC_CONTENT_TYPE   "application/json"
#define TL_AC_ALGORITHM      "HMAC-SHA256"

/** Length of an x-date, "YYYYMMDDTHHMMSSZ". */
#define TL_AC_X_DATE_LEN 16

/**
 * Format a time as an x-date in UTC ("20240301T093700Z") into out (17 bytes with the NUL).
 * @return TL_OK, or TL_EUSAGE when the time cannot be represented (out is then "").
 */
int tl_ac_x_date(time_t t, char out[TL_AC_X_DATE_LEN + 1]);

/** true when s is a well-formed x-date (16 characters, digits where digits go). */
bool tl_ac_x_date_valid(const char *s);

/** What a signature depends on. Everything is borrowed. */
typedef struct tl_ac_sign_input {
    const char *ak;           /**< access key id (goes into the Credential, not secret) */
    const char *sk;           /**< secret key, used as raw UTF-8 bytes */
    const char *x_date;       /**< "YYYYMMDDTHHMMSSZ" (tl_ac_x_date_valid) */
    const char *host;         /**< the x-host value: host[:port] */
    const char *content_type; /**< NULL: TL_AC_CONTENT_TYPE */
    const void *body;         /**< the exact body bytes sent (NULL with body_len 0: empty) */
    size_t body_len;
} tl_ac_sign_input;

/**
 * A signature and every intermediate value. Initialise with tl_ac_signature_init(), release
 * with tl_ac_signature_dispose() (which wipes it). The buffers are owned.
 */
typedef struct tl_ac_signature {
    char body_sha256[65];      /**< x-content-sha256 */
    char canonical_sha256[65]; /**< hex SHA-256 of the canonical string */
    char credential_scope[48]; /**< "YYYYMMDD/armcloud-paas/request" */
    char signature[65];        /**< secret: never print */
    tl_buf canonical;          /**< the canonical string */
    tl_buf string_to_sign;     /**< the string to sign */
    tl_buf authorization;      /**< the authorization header value (secret: never print) */
} tl_ac_signature;

void tl_ac_signature_init(tl_ac_signature *s);
/** Wipe and free. NULL is accepted. */
void tl_ac_signature_dispose(tl_ac_signature *s);

/**
 * Append the canonical string for host, x-date, content type and body hash to out.
 * @return TL_OK or TL_ENOMEM.
 */
int tl_ac_canonical(tl_buf *out, const char *host, const char *x_date, const char *content_type,
                    const char *body_sha256_hex);

/**
 * Append the string to sign for an x-date and a canonical string (len bytes) to out.
 * @return TL_OK or TL_ENOMEM.
 */
int tl_ac_string_to_sign(tl_buf *out, const char *x_date, const char *canonical, size_t len);

/**
 * Derive the signing key of a secret key for a short date ("YYYYMMDD", the first 8 characters
 * of the x-date) into out. The caller wipes out (tl_digest_wipe) when done.
 * @return TL_OK or TL_ENOMEM (libcrypto failed; out is zeroed).
 */
int tl_ac_signing_key(unsigned char out[32], const char *sk, const char *short_date);

/**
 * Sign a request: fill every field of out (initialised by the caller; its previous content is
 * replaced). @return TL_OK; TL_EUSAGE for a missing AK, SK or host, a malformed x-date, or a
 * host or content type with a character that cannot go into a header line (the message names
 * the field, never its value when it is the SK); TL_ENOMEM.
 */
int tl_ac_sign(const tl_ac_sign_input *in, tl_ac_signature *out, tl_error *err);

/**
 * true when `value` has the shape of an encrypted field: base64 of a 12-byte IV, ':', base64
 * of at least the 16-byte tag (standard alphabet, padding allowed).
 */
bool tl_ac_looks_encrypted(const char *value, size_t len);

/**
 * Decrypt an AES-256-GCM encrypted field: key = SHA-256(pad_code), value =
 * base64(12-byte IV) ":" base64(ciphertext || 16-byte tag), no additional data. The plaintext
 * is appended to out (it may contain any bytes; out stays NUL-terminated).
 * @return TL_OK; TL_EBADRESP when the value is malformed or does not authenticate under this
 *         pad's key (the message names `what`, never the value); TL_ENOMEM.
 */
int tl_ac_decrypt_field(tl_buf *out, const char *value, size_t len, const char *pad_code,
                        const char *what, tl_error *err);

#endif
