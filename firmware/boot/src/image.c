/* docs/image-format.md in C: the strict parser (sections 3-5) and the device's checks (section 6). The parser never
 * trusts a length before checking it against the limits and reports the first rule broken, in the document's
 * order, so the same defect always yields the same error. */
#include "csa_boot/image.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "csa_boot/config.h"
#include "csa_crypto.h"
#include "le.h"

static csa_image_error fail(csa_image_error e, uint32_t at, uint32_t *offset)
{
    if (offset != NULL)
        *offset = at;
    return e;
}

/* The index of the first non-zero byte, or -1. */
static int first_nonzero(const uint8_t *p, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return (int)i;
    return -1;
}

csa_image_error csa_manifest_parse(const uint8_t *d, size_t len, csa_manifest *m, uint32_t *offset)
{
    uint32_t expected, i, j;
    int nz;
    if (len < 4)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    if (csa_le32(d) != CSA_IMAGE_MAGIC)
        return fail(CSA_IMAGE_BAD_MAGIC, 0, offset);
    if (len < 6)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    if (csa_le16(d + 4) != 1)
        return fail(CSA_IMAGE_UNKNOWN_FORMAT_VERSION, 4, offset);
    if (len < CSA_MANIFEST_FIXED_SIZE)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    if (d[8] != CSA_IMAGE_KIND_APPLICATION && d[8] != CSA_IMAGE_KIND_BOOTLOADER)
        return fail(CSA_IMAGE_BAD_IMAGE_KIND, 8, offset);
    if (d[9] != CSA_AUTH_CRC32 && d[9] != CSA_AUTH_ECDSA_P256)
        return fail(CSA_IMAGE_UNSUPPORTED_AUTHENTICATION, 9, offset);
    if (d[10] != CSA_ENCRYPTION_NONE && d[10] != CSA_ENCRYPTION_AES256_CTR_ECIES_P256)
        return fail(CSA_IMAGE_UNSUPPORTED_ENCRYPTION, 10, offset);
    if (d[11] > CSA_MANIFEST_MAX_BINDINGS)
        return fail(CSA_IMAGE_BAD_BINDING_COUNT, 11, offset);
    expected = CSA_MANIFEST_FIXED_SIZE + CSA_IMAGE_UID_SIZE * (uint32_t)d[11];
    if (csa_le16(d + 6) != expected)
        return fail(CSA_IMAGE_SIZE_MISMATCH, 6, offset);
    m->payload_size = csa_le32(d + 36);
    m->load_address = csa_le32(d + 32);
    if (m->payload_size == 0 || m->payload_size > CSA_IMAGE_MAX_PAYLOAD)
        return fail(CSA_IMAGE_BAD_PAYLOAD_SIZE, 36, offset);
    if ((uint64_t)m->load_address + m->payload_size > 0x100000000ull)
        return fail(CSA_IMAGE_ADDRESS_OVERFLOW, 32, offset);
    if (d[10] == CSA_ENCRYPTION_NONE && (nz = first_nonzero(d + 72, 16)) >= 0)
        return fail(CSA_IMAGE_BAD_NONCE, 72u + (uint32_t)nz, offset);
    if (d[9] == CSA_AUTH_CRC32 && (nz = first_nonzero(d + 88, 8)) >= 0)
        return fail(CSA_IMAGE_BAD_KEY_ID, 88u + (uint32_t)nz, offset);
    if (len < expected)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    for (i = 1; i < d[11]; i++)
        for (j = 0; j < i; j++)
            if (memcmp(d + 96 + 12 * i, d + 96 + 12 * j, 12) == 0)
                return fail(CSA_IMAGE_DUPLICATE_BINDING, 96 + 12 * i, offset);
    m->bytes = d;
    m->length = (uint16_t)expected;
    m->kind = d[8];
    m->authentication = d[9];
    m->encryption = d[10];
    m->binding_count = d[11];
    m->vendor_id = csa_le32(d + 12);
    m->device_class_id = csa_le32(d + 16);
    m->version_major = d[20];
    m->version_minor = d[21];
    m->version_patch = csa_le16(d + 22);
    m->version_build = csa_le32(d + 24);
    m->security_counter = csa_le32(d + 28);
    m->payload_sha256 = d + 40;
    m->nonce = d + 72;
    m->key_id = d + 88;
    m->bound_uids = d + 96;
    return CSA_IMAGE_OK;
}

uint64_t csa_manifest_version(const csa_manifest *m)
{
    return (uint64_t)m->version_major << 56 | (uint64_t)m->version_minor << 48 | (uint64_t)m->version_patch << 32
           | m->version_build;
}

uint8_t csa_manifest_auth_length(const csa_manifest *m)
{
    return m->authentication == CSA_AUTH_CRC32 ? 4u : 64u;
}

int csa_manifest_allows(const csa_manifest *m, const uint8_t uid[CSA_IMAGE_UID_SIZE])
{
    unsigned i;
    if (m->binding_count == 0)
        return 1;
    for (i = 0; i < m->binding_count; i++)
        if (memcmp(m->bound_uids + CSA_IMAGE_UID_SIZE * i, uid, CSA_IMAGE_UID_SIZE) == 0)
            return 1;
    return 0;
}

csa_image_error csa_image_parse(const uint8_t *d, size_t len, csa_image *img, uint32_t *offset)
{
    csa_manifest *m = &img->manifest;
    csa_image_error e = csa_manifest_parse(d, len, m, offset);
    size_t payload_end, auth_end, end;
    if (e != CSA_IMAGE_OK)
        return e;
    payload_end = (size_t)m->length + m->payload_size;
    if (len < payload_end)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    img->auth_length = csa_manifest_auth_length(m);
    auth_end = payload_end + img->auth_length;
    if (len < auth_end)
        return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
    img->payload = d + m->length;
    img->auth = d + payload_end;
    img->key_block = NULL;
    img->key_entries = 0;
    img->wrapped_key_length = 0;
    end = auth_end;
    if (m->encryption != CSA_ENCRYPTION_NONE) {
        /* An encrypted image is useless without its key block: cutting it off is truncation. */
        const uint8_t *k = d + auth_end;
        uint32_t count, klen, i, j, stride;
        if (len - auth_end < 8)
            return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
        if (csa_le32(k) != CSA_KEY_BLOCK_MAGIC)
            return fail(CSA_IMAGE_BAD_KEY_BLOCK, (uint32_t)auth_end, offset);
        count = csa_le16(k + 4);
        klen = csa_le16(k + 6);
        if (count == 0 || count > CSA_IMAGE_MAX_KEY_ENTRIES)
            return fail(CSA_IMAGE_BAD_KEY_BLOCK, (uint32_t)auth_end + 4, offset);
        if (klen == 0 || klen > CSA_IMAGE_MAX_WRAPPED_KEY)
            return fail(CSA_IMAGE_BAD_KEY_BLOCK, (uint32_t)auth_end + 6, offset);
        stride = CSA_IMAGE_UID_SIZE + klen;
        end = auth_end + 8 + (size_t)count * stride;
        if (len < end)
            return fail(CSA_IMAGE_TRUNCATED, (uint32_t)len, offset);
        for (i = 1; i < count; i++)
            for (j = 0; j < i; j++)
                if (memcmp(k + 8 + i * stride, k + 8 + j * stride, CSA_IMAGE_UID_SIZE) == 0)
                    return fail(CSA_IMAGE_BAD_KEY_BLOCK, (uint32_t)(auth_end + 8 + i * stride), offset);
        img->key_block = k;
        img->key_entries = (uint16_t)count;
        img->wrapped_key_length = (uint16_t)klen;
    }
    if (len > end)
        return fail(CSA_IMAGE_TRAILING_DATA, (uint32_t)end, offset);
    img->length = end;
    return CSA_IMAGE_OK;
}

const uint8_t *csa_image_wrapped_key_for(const csa_image *img, const uint8_t uid[CSA_IMAGE_UID_SIZE])
{
    uint32_t i, stride = CSA_IMAGE_UID_SIZE + (uint32_t)img->wrapped_key_length;
    for (i = 0; img->key_block != NULL && i < img->key_entries; i++) {
        const uint8_t *entry = img->key_block + 8 + i * stride;
        if (memcmp(entry, uid, CSA_IMAGE_UID_SIZE) == 0)
            return entry + CSA_IMAGE_UID_SIZE;
    }
    return NULL;
}

void csa_trusted_key_init(csa_trusted_key *k, const uint8_t public_key[64])
{
    static const uint8_t uncompressed = 0x04;
    uint8_t digest[CSA_SHA256_SIZE];
    csa_sha256_ctx ctx;
    csa_sha256_init(&ctx);
    csa_sha256_update(&ctx, &uncompressed, 1);
    csa_sha256_update(&ctx, public_key, 64);
    csa_sha256_final(&ctx, digest);
    memcpy(k->id, digest, sizeof k->id);
    memcpy(k->public_key, public_key, 64);
}

/* Step 2: no other field is acted upon before this holds. */
static csa_image_rejection authenticate(const csa_image_policy *p, const csa_manifest *m, const uint8_t *auth,
                                        size_t alen, const uint8_t digest[32])
{
    if (m->authentication == CSA_AUTH_CRC32) {
        if (!p->accept_crc)
            return CSA_REJECT_UNSUPPORTED_AUTHENTICATION;
        if (alen != 4 || csa_le32(auth) != csa_crc32(m->bytes, m->length))
            return CSA_REJECT_BAD_SIGNATURE;
        return CSA_REJECT_NONE;
    }
#if CSA_BOOT_ECDSA
    {
        unsigned i;
        if (p->key_count == 0)
            return CSA_REJECT_UNSUPPORTED_AUTHENTICATION;
        if (alen != CSA_P256_SIG_SIZE)
            return CSA_REJECT_BAD_SIGNATURE;
        for (i = 0; i < p->key_count; i++)
            if (memcmp(p->keys[i].id, m->key_id, 8) == 0)
                return csa_p256_verify(p->keys[i].public_key, digest, auth,
                                       p->require_low_s ? CSA_P256_REQUIRE_LOW_S : 0u) == CSA_CRYPTO_OK
                           ? CSA_REJECT_NONE
                           : CSA_REJECT_BAD_SIGNATURE;
        return CSA_REJECT_UNKNOWN_KEY;
    }
#else
    (void)auth;
    (void)alen;
    (void)digest;
    return CSA_REJECT_UNSUPPORTED_AUTHENTICATION;
#endif
}

/* Steps 3-8, in the order of the C# ImageValidator, then the product's binding requirement. */
static csa_image_rejection check_target(const csa_image_policy *p, const csa_manifest *m)
{
    if (p->expected_kind != 0 && m->kind != p->expected_kind)
        return CSA_REJECT_WRONG_IMAGE_KIND;
    if (m->vendor_id != p->vendor_id)
        return CSA_REJECT_WRONG_VENDOR;
    if (m->device_class_id != p->device_class_id)
        return CSA_REJECT_WRONG_DEVICE_CLASS;
    if (p->device_uid != NULL && !csa_manifest_allows(m, p->device_uid))
        return CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE;
    if (p->check_counter && m->security_counter < p->minimum_counter)
        return CSA_REJECT_SECURITY_COUNTER_TOO_LOW;
    if (p->check_region) {
        if (m->load_address != p->region_start)
            return CSA_REJECT_WRONG_LOAD_ADDRESS;
        if (m->payload_size > p->region_usable)
            return CSA_REJECT_TOO_LARGE_FOR_REGION;
    }
    if (p->require_encryption && m->encryption == CSA_ENCRYPTION_NONE)
        return CSA_REJECT_ENCRYPTION_REQUIRED;
    if (p->require_binding && m->binding_count == 0)
        return CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE;
    return CSA_REJECT_NONE;
}

int csa_image_check_before_erase(const csa_image_policy *p, const uint8_t *manifest, size_t mlen, const uint8_t *auth,
                                 size_t alen, csa_manifest *m, uint8_t manifest_sha256[32], csa_image_verdict *v)
{
    uint8_t digest[CSA_SHA256_SIZE];
    v->error = csa_manifest_parse(manifest, mlen, m, &v->offset);
    v->rejection = CSA_REJECT_NONE;
    if (v->error != CSA_IMAGE_OK)
        return -1;
    if (mlen != m->length) {
        v->error = CSA_IMAGE_TRAILING_DATA;
        v->offset = m->length;
        return -1;
    }
    csa_sha256(manifest, mlen, digest);
    v->rejection = authenticate(p, m, auth, alen, digest);
    if (v->rejection == CSA_REJECT_NONE)
        v->rejection = check_target(p, m);
    if (v->rejection != CSA_REJECT_NONE)
        return -1;
    if (manifest_sha256 != NULL)
        memcpy(manifest_sha256, digest, sizeof digest);
    return 0;
}

csa_image_rejection csa_image_check_payload(const csa_manifest *m, const uint8_t *payload, size_t len)
{
    uint8_t digest[CSA_SHA256_SIZE];
    if (len != m->payload_size)
        return CSA_REJECT_PAYLOAD_SIZE_MISMATCH;
    csa_sha256(payload, len, digest);
    return csa_ct_equal(digest, m->payload_sha256, sizeof digest) ? CSA_REJECT_NONE : CSA_REJECT_PAYLOAD_HASH_MISMATCH;
}

int csa_image_validate(const csa_image_policy *p, const uint8_t *data, size_t len, csa_image *img, csa_image_verdict *v)
{
    csa_manifest checked;
    v->rejection = CSA_REJECT_NONE;
    v->error = csa_image_parse(data, len, img, &v->offset);
    if (v->error != CSA_IMAGE_OK)
        return -1;
    if (csa_image_check_before_erase(p, img->manifest.bytes, img->manifest.length, img->auth, img->auth_length,
                                     &checked, NULL, v) != 0)
        return -1;
    if (img->manifest.encryption != CSA_ENCRYPTION_NONE)
        return 0; /* the plaintext is only known to a device that unwraps its key */
    v->rejection = csa_image_check_payload(&img->manifest, img->payload, img->manifest.payload_size);
    return v->rejection == CSA_REJECT_NONE ? 0 : -1;
}
