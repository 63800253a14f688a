/* The device certificate and the identity messages (csa_boot/certificate.h, docs/security.md 10.2-10.4). */
#include "csa_boot/certificate.h"

#include <string.h>

#include "csa_crypto.h"
#include "le.h"

static const char KEY_POSSESSION_LABEL[] = "CSA-KEY-POSSESSION-V1"; /* 21 bytes, no terminator in the message */
static const char AUTHENTICATION_LABEL[] = "CSA-DEVICE-AUTH-V1";    /* 18 bytes */

static csa_cert_error fail(csa_cert_error e, uint32_t at, uint32_t *offset)
{
    if (offset != NULL)
        *offset = at;
    return e;
}

csa_cert_error csa_certificate_parse(const uint8_t *b, size_t len, csa_certificate *c, uint32_t *offset)
{
    memset(c, 0, sizeof *c);
    /* In byte order, so the first broken rule is the one reported (as DeviceCertificate.TryParse). */
    if (len < 4u)
        return fail(CSA_CERT_TRUNCATED, (uint32_t)len, offset);
    if (csa_le32(b) != CSA_CERT_MAGIC)
        return fail(CSA_CERT_BAD_MAGIC, 0, offset);
    if (len < 8u)
        return fail(CSA_CERT_TRUNCATED, (uint32_t)len, offset);
    if (csa_le16(b + 4) != 1u)
        return fail(CSA_CERT_UNSUPPORTED_VERSION, 4, offset);
    if (csa_le16(b + 6) != CSA_CERT_SIZE)
        return fail(CSA_CERT_BAD_LENGTH, 6, offset);
    if (len < CSA_CERT_SIZE)
        return fail(CSA_CERT_TRUNCATED, (uint32_t)len, offset);
    if (len > CSA_CERT_SIZE)
        return fail(CSA_CERT_TRAILING_DATA, CSA_CERT_SIZE, offset);
    if (b[28] != CSA_LIFECYCLE_BLANK && b[28] != CSA_LIFECYCLE_PROVISIONED)
        return fail(CSA_CERT_BAD_LIFECYCLE, 28, offset);
    if (b[29] != 1u)
        return fail(CSA_CERT_UNSUPPORTED_KEY_ALGORITHM, 29, offset);
    if (b[30] != 0 || b[31] != 0)
        return fail(CSA_CERT_RESERVED_NOT_ZERO, 30, offset);
    if (csa_le32(b + 32) == 0)
        return fail(CSA_CERT_ZERO_SERIAL_NUMBER, 32, offset);
    c->bytes = b;
    c->uid = b + CSA_CERT_UID_OFFSET;
    c->vendor_id = csa_le32(b + CSA_CERT_VENDOR_OFFSET);
    c->device_class_id = csa_le32(b + CSA_CERT_CLASS_OFFSET);
    c->lifecycle = b[CSA_CERT_LIFECYCLE_OFFSET];
    c->serial_number = csa_le32(b + 32);
    c->issued_at = csa_le32(b + 36);
    c->issuer_key_id = b + CSA_CERT_ISSUER_OFFSET;
    c->public_key = b + CSA_CERT_PUBLIC_KEY_OFFSET;
    c->signature = b + CSA_CERT_SIGNATURE_OFFSET;
    if (offset != NULL)
        *offset = 0;
    return CSA_CERT_OK;
}

csa_cert_verdict csa_certificate_check(const csa_certificate *c, const csa_trusted_key *keys, uint8_t key_count)
{
    uint8_t digest[32];
    uint8_t i;
    for (i = 0; i < key_count; i++)
        if (memcmp(keys[i].id, c->issuer_key_id, 8) == 0)
            break;
    if (i == key_count)
        return CSA_CERT_UNKNOWN_ISSUER;
    csa_sha256(c->bytes, CSA_CERT_SIGNED_SIZE, digest);
    /* Low S only (security.md 10.2): the device and the station compare certificates byte for byte. */
    if (csa_p256_verify(keys[i].public_key, digest, c->signature, CSA_P256_REQUIRE_LOW_S) != CSA_CRYPTO_OK)
        return CSA_CERT_BAD_SIGNATURE;
    if (c->lifecycle != CSA_LIFECYCLE_PROVISIONED)
        return CSA_CERT_WRONG_LIFECYCLE;
    return CSA_CERT_GENUINE;
}

void csa_key_possession_message(const uint8_t uid[CSA_IMAGE_UID_SIZE], const uint8_t nonce[CSA_NONCE_SIZE],
                                const uint8_t public_key[64], uint8_t out[CSA_KEY_POSSESSION_SIZE])
{
    memcpy(out, KEY_POSSESSION_LABEL, 21);
    memcpy(out + 21, uid, CSA_IMAGE_UID_SIZE);
    memcpy(out + 33, nonce, CSA_NONCE_SIZE);
    memcpy(out + 65, public_key, 64);
}

void csa_authentication_message(const uint8_t uid[CSA_IMAGE_UID_SIZE], const uint8_t challenge[CSA_NONCE_SIZE],
                                const uint8_t certificate[CSA_CERT_SIZE], uint8_t out[CSA_AUTHENTICATION_SIZE])
{
    memcpy(out, AUTHENTICATION_LABEL, 18);
    memcpy(out + 18, uid, CSA_IMAGE_UID_SIZE);
    memcpy(out + 30, challenge, CSA_NONCE_SIZE);
    csa_sha256(certificate, CSA_CERT_SIZE, out + 62);
}
