/*
 * test_armcloud_sign.c - ArmCloud request signing against every vector of
 * tests/fixtures/armcloud/signing-vectors.json, field by field (body hash, canonical string and
 * its hash, credential scope, string to sign, signing key, signature, authorization, the
 * headers), the garbled canonical string of the reference as a counter-example that must not
 * match, the AES-256-GCM field examples, x-date formatting, and the errors of tl_ac_sign().
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "drivers/armcloud/sign.h"

static cJSON *load_vectors(void)
{
    const char *path = TL_FIXTURES "/armcloud/signing-vectors.json";
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *doc = cJSON_Parse(text);
    cr_assert_not_null(doc, "%s is not JSON", path);
    return doc;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    cr_assert(cJSON_IsString(v), "vector field %s missing", name);
    return v->valuestring;
}

/* Sign one vector's inputs and compare every intermediate value the vector gives. */
static void check_vector(const cJSON *v)
{
    const char *name = str(v, "name");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(v, "expected");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(want, "headers");
    cr_assert_not_null(headers, "%s: no expected headers", name);
    const char *body = str(v, "body");
    tl_ac_sign_input in = {
        .ak = str(v, "ak"),
        .sk = str(v, "sk"),
        .x_date = str(v, "x_date"),
        .host = str(v, "host"),
        .content_type = str(v, "content_type"),
        .body = body,
        .body_len = strlen(body),
    };
    tl_ac_signature sig;
    tl_ac_signature_init(&sig);
    tl_error err;
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_OK, "%s: %s", name, err.msg);

    cr_assert_str_eq(sig.body_sha256, str(want, "x_content_sha256"), "%s: body hash", name);
    cr_assert_str_eq(sig.canonical.data, str(want, "canonical_string"), "%s: canonical", name);
    cr_assert_str_eq(sig.canonical_sha256, str(want, "canonical_sha256"), "%s", name);
    cr_assert_str_eq(sig.credential_scope, str(want, "credential_scope"), "%s", name);
    cr_assert_str_eq(sig.string_to_sign.data, str(want, "string_to_sign"), "%s: string to sign",
                     name);
    cr_assert_str_eq(sig.signature, str(want, "signature"), "%s: signature", name);
    cr_assert_str_eq(sig.authorization.data, str(want, "authorization"), "%s: authorization", name);
    cr_assert_str_eq(sig.authorization.data, str(headers, "authorization"), "%s", name);
    /* the header values the driver sends are the signed ones */
    cr_assert_str_eq(in.x_date, str(headers, "x-date"), "%s", name);
    cr_assert_str_eq(in.host, str(headers, "x-host"), "%s", name);
    cr_assert_str_eq(in.content_type, str(headers, "content-type"), "%s", name);

    /* the AK-only Credential form of the VMOS samples is the same signature */
    const char *short_form = str(want, "authorization_ak_only");
    cr_assert_not_null(strstr(short_form, sig.signature), "%s", name);

    /* the pieces, one by one */
    unsigned char key[32];
    char hex[65];
    cr_assert_eq(tl_ac_signing_key(key, in.sk, in.x_date), TL_OK);
    tl_hex(key, 32, hex);
    tl_digest_wipe(key, sizeof(key));
    cr_assert_str_eq(hex, str(want, "signing_key_hex"), "%s: signing key", name);

    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_ac_canonical(&b, in.host, in.x_date, in.content_type, sig.body_sha256), TL_OK);
    cr_assert_str_eq(b.data, str(want, "canonical_string"));
    tl_buf_clear(&b);
    cr_assert_eq(tl_ac_string_to_sign(&b, in.x_date, sig.canonical.data, sig.canonical.len), TL_OK);
    cr_assert_str_eq(b.data, str(want, "string_to_sign"));
    tl_buf_dispose(&b);

    /* signing twice into the same record gives the same result */
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_OK);
    cr_assert_str_eq(sig.authorization.data, str(want, "authorization"));
    tl_ac_signature_dispose(&sig);
}

Test(armcloud_sign, every_vector)
{
    cJSON *doc = load_vectors();
    const cJSON *vectors = cJSON_GetObjectItemCaseSensitive(doc, "vectors");
    cr_assert(cJSON_IsArray(vectors));
    int n = 0;
    for (const cJSON *v = vectors->child; v; v = v->next, n++)
        check_vector(v);
    cr_assert_eq(n, cJSON_GetArraySize(vectors));
    cr_assert_geq(n, 3, "the fixture has three vectors");
    cJSON_Delete(doc);
}

/* The reference prints "host: " + ... + "\n " (spaces after the colons and the newlines): that
 * canonical string gives another signature, which must not be ours. */
Test(armcloud_sign, garbled_counter_example_does_not_match)
{
    cJSON *doc = load_vectors();
    const cJSON *ce =
        cJSON_GetObjectItemCaseSensitive(doc, "counter_example_seed_garbled_canonical");
    const char *vname = str(ce, "vector");
    const cJSON *v = NULL;
    for (v = cJSON_GetObjectItemCaseSensitive(doc, "vectors")->child; v; v = v->next)
        if (strcmp(str(v, "name"), vname) == 0)
            break;
    cr_assert_not_null(v, "vector %s", vname);
    const char *garbled = str(ce, "canonical_string_as_literally_printed_in_seed");
    const char *wrong_sig = str(ce, "signature_it_would_give");

    /* our canonical string is not the garbled one */
    tl_ac_signature sig;
    tl_ac_signature_init(&sig);
    const char *body = str(v, "body");
    tl_ac_sign_input in = {.ak = str(v, "ak"),
                           .sk = str(v, "sk"),
                           .x_date = str(v, "x_date"),
                           .host = str(v, "host"),
                           .content_type = str(v, "content_type"),
                           .body = body,
                           .body_len = strlen(body)};
    tl_error err;
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_OK);
    cr_assert_str_neq(sig.canonical.data, garbled);
    cr_assert_str_neq(sig.signature, wrong_sig);

    /* and the garbled string, run through the same steps, gives the documented wrong
     * signature: the steps after the canonical string are right, only the string differs */
    tl_buf sts;
    tl_buf_init(&sts, 0);
    cr_assert_eq(tl_ac_string_to_sign(&sts, in.x_date, garbled, strlen(garbled)), TL_OK);
    unsigned char key[32], mac[32];
    cr_assert_eq(tl_ac_signing_key(key, in.sk, in.x_date), TL_OK);
    cr_assert_eq(tl_hmac_sha256(key, 32, sts.data, sts.len, mac), TL_OK);
    char hex[65];
    tl_hex(mac, 32, hex);
    cr_assert_str_eq(hex, wrong_sig);
    cr_assert_str_neq(hex, str(cJSON_GetObjectItemCaseSensitive(v, "expected"), "signature"));
    tl_buf_dispose(&sts);
    tl_ac_signature_dispose(&sig);
    cJSON_Delete(doc);
}

Test(armcloud_sign, aes_gcm_examples)
{
    cJSON *doc = load_vectors();
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(doc, "aes_gcm_examples");
    cr_assert(cJSON_IsArray(ex));
    int n = 0;
    for (const cJSON *e = ex->child; e; e = e->next, n++) {
        const char *value = str(e, "value"), *pad = str(e, "pad_code");
        const char *plain = str(e, "plaintext");
        cr_assert(tl_ac_looks_encrypted(value, strlen(value)), "%s", value);
        tl_buf out;
        tl_buf_init(&out, 0);
        tl_error err;
        cr_assert_eq(tl_ac_decrypt_field(&out, value, strlen(value), pad, "field", &err), TL_OK,
                     "%s: %s", str(e, "source"), err.msg);
        if (strstr(plain, "<redacted>")) {
            /* the fixture hides the credential values: compare the shape */
            cr_assert_not_null(strstr(out.data, "\"uri\":\"turn:42.192.40.58:3478\""), "%s",
                               out.data);
            cr_assert_not_null(strstr(out.data, "\"pwd\":\""));
            cr_assert_not_null(strstr(out.data, "\"username\":\""));
        } else {
            cr_assert_eq(out.len, strlen(plain));
            cr_assert_str_eq(out.data, plain);
        }
        /* another pad's key does not authenticate */
        tl_buf_clear(&out);
        cr_assert_eq(
            tl_ac_decrypt_field(&out, value, strlen(value), "AC00000000000", "padIp", &err),
            TL_EBADRESP);
        cr_assert_not_null(strstr(err.msg, "padIp"));
        cr_assert_null(strstr(err.msg, value), "the value is never quoted");
        cr_assert_eq(out.len, 0);
        tl_buf_dispose(&out);
    }
    cr_assert_eq(n, 4);
    cJSON_Delete(doc);
}

Test(armcloud_sign, aes_gcm_rejects_tampering_and_garbage)
{
    const char *good = "iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r";
    const char *pad = "AC22030010001";
    char bad[128];
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err;
    /* flip one character of the ciphertext, then of the tag, then of the IV */
    size_t positions[] = {20, strlen(good) - 3, 2};
    for (size_t i = 0; i < 3; i++) {
        snprintf(bad, sizeof(bad), "%s", good);
        bad[positions[i]] = bad[positions[i]] == 'A' ? 'B' : 'A';
        cr_assert_eq(tl_ac_decrypt_field(&out, bad, strlen(bad), pad, "f", &err), TL_EBADRESP,
                     "position %zu", positions[i]);
    }
    const char *garbage[] = {"",
                             "no colon at all",
                             ":",
                             "iMzQUI7SwzSD0kGJ:",
                             ":4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r",
                             "iMzQUI7SwzSD0k:4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r",
                             "iMzQUI7SwzSD0kGJ:4FZ1fn1J",
                             "iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/F3VS*VWBwLFQZH/HOCjLAI95r",
                             "iMzQUI7SwzSD0kGJ:4FZ1f=n1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r",
                             "iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95:x"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        int rc = tl_ac_decrypt_field(&out, garbage[i], strlen(garbage[i]), pad, "f", &err);
        cr_assert_eq(rc, TL_EBADRESP, "\"%s\" gave %d", garbage[i], rc);
        cr_assert_eq(out.len, 0);
    }
    cr_assert_not(tl_ac_looks_encrypted("47.92.204.33:5000", 17));
    cr_assert_not(tl_ac_looks_encrypted("", 0));
    cr_assert_not(tl_ac_looks_encrypted("10.0.0.1", 8));
    tl_buf_dispose(&out);
}

Test(armcloud_sign, x_date)
{
    char d[TL_AC_X_DATE_LEN + 1];
    cr_assert_eq(tl_ac_x_date((time_t)1709285820, d), TL_OK); /* 2024-03-01 09:37:00 UTC */
    cr_assert_str_eq(d, "20240301T093700Z");
    cr_assert_eq(tl_ac_x_date((time_t)0, d), TL_OK);
    cr_assert_str_eq(d, "19700101T000000Z");
    cr_assert(tl_ac_x_date_valid("20240301T093700Z"));
    cr_assert_not(tl_ac_x_date_valid("20240301T093700"));
    cr_assert_not(tl_ac_x_date_valid("2024-03-01T09:37"));
    cr_assert_not(tl_ac_x_date_valid("20240301 093700Z"));
    cr_assert_not(tl_ac_x_date_valid("2024030lT093700Z"));
    cr_assert_not(tl_ac_x_date_valid(NULL));
}

Test(armcloud_sign, errors_name_the_variable_not_the_secret)
{
    const char *sk = "SKtopSecretValue0001";
    tl_ac_sign_input in = {.ak = "AK1",
                           .sk = sk,
                           .x_date = "20240301T093700Z",
                           .host = "openapi-hk.armcloud.net",
                           .body = "{}",
                           .body_len = 2};
    tl_ac_signature sig;
    tl_ac_signature_init(&sig);
    tl_error err;
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_OK);
    cr_assert_str_eq(sig.canonical.data + strlen(sig.canonical.data) - 64,
                     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");

    in.ak = "";
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_AK"));
    in.ak = "AK1";
    in.sk = "";
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_EUSAGE);
    cr_assert_not_null(strstr(err.msg, "ARMCLOUD_SK"));
    in.sk = sk;
    in.x_date = "2024-03-01";
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_EUSAGE);
    cr_assert_null(strstr(err.msg, sk));
    in.x_date = "20240301T093700Z";
    in.host = "evil\r\nx: y";
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_EUSAGE);
    in.host = "h";
    in.ak = "AK\nInjected: 1";
    cr_assert_eq(tl_ac_sign(&in, &sig, &err), TL_EUSAGE);
    tl_ac_signature_dispose(&sig);
    tl_ac_signature_dispose(NULL);
}

/* Same inputs but one byte of the body, the date, the host or the SK: another signature. */
Test(armcloud_sign, every_input_counts)
{
    tl_ac_sign_input base = {.ak = "AK",
                             .sk = "SK",
                             .x_date = "20240301T093700Z",
                             .host = "h.example",
                             .body = "{\"a\":1}",
                             .body_len = 7};
    tl_ac_signature a, b;
    tl_ac_signature_init(&a);
    tl_ac_signature_init(&b);
    tl_error err;
    cr_assert_eq(tl_ac_sign(&base, &a, &err), TL_OK);
    tl_ac_sign_input v[5];
    for (int i = 0; i < 5; i++)
        v[i] = base;
    v[0].body = "{\"a\":2}";
    v[1].x_date = "20240301T093701Z";
    v[2].host = "h.example:443";
    v[3].sk = "SK2";
    v[4].content_type = "application/json;charset=UTF-8";
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(tl_ac_sign(&v[i], &b, &err), TL_OK);
        cr_assert_str_neq(a.signature, b.signature, "variant %d", i);
    }
    tl_ac_signature_dispose(&a);
    tl_ac_signature_dispose(&b);
}
