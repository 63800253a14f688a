/* The image trailer and the start-up check of a region, docs/device-model.md 5.1. */
#include "csa_boot/trailer.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "csa_boot/config.h"
#include "csa_crypto.h"
#include "le.h"

int csa_trailer_encode_body(const uint8_t *manifest, uint16_t mlen, const uint8_t *auth, uint16_t alen,
                            uint8_t body[CSA_TRAILER_BODY])
{
    if (8u + mlen + alen > CSA_TRAILER_BODY)
        return -1;
    memset(body, 0xFF, CSA_TRAILER_BODY);
    csa_put32(body, CSA_TRAILER_MAGIC);
    csa_put16(body + 4, mlen);
    csa_put16(body + 6, alen);
    memcpy(body + 8, manifest, mlen);
    memcpy(body + 8 + mlen, auth, alen);
    return 0;
}

void csa_trailer_encode_commit(const uint8_t body[CSA_TRAILER_BODY], uint8_t commit[CSA_TRAILER_COMMIT])
{
    csa_put32(commit, CSA_COMMIT_MAGIC);
    csa_put32(commit + 4, csa_crc32(body, CSA_TRAILER_BODY));
}

int csa_trailer_decode(const uint8_t slot[CSA_TRAILER_SLOT], const uint8_t **manifest, uint16_t *mlen,
                       const uint8_t **auth, uint16_t *alen)
{
    const uint8_t *marker = slot + CSA_TRAILER_BODY;
    if (csa_le32(marker) != CSA_COMMIT_MAGIC || csa_le32(marker + 4) != csa_crc32(slot, CSA_TRAILER_BODY)
        || csa_le32(slot) != CSA_TRAILER_MAGIC)
        return 0;
    *mlen = csa_le16(slot + 4);
    *alen = csa_le16(slot + 6);
    if (8u + *mlen + *alen > CSA_TRAILER_BODY)
        return 0;
    *manifest = slot + 8;
    *auth = slot + 8 + *mlen;
    return 1;
}

csa_flash_status csa_flash_sha256(const csa_flash *f, uint32_t address, uint32_t len, uint8_t digest[32])
{
    uint8_t chunk[CSA_BOOT_READ_CHUNK];
    csa_sha256_ctx ctx;
    csa_sha256_init(&ctx);
    while (len > 0) {
        uint32_t n = len < sizeof chunk ? len : (uint32_t)sizeof chunk;
        csa_flash_status st = csa_flash_read(f, address, chunk, n);
        if (st != CSA_FLASH_OK)
            return st;
        csa_sha256_update(&ctx, chunk, n);
        address += n;
        len -= n;
    }
    csa_sha256_final(&ctx, digest);
    return CSA_FLASH_OK;
}

static void invalid(csa_region_check *out, csa_region_reason reason)
{
    uint8_t reason_byte = (uint8_t)reason;
    csa_image_verdict v = out->verdict;
    memset(out, 0, sizeof *out);
    out->state = reason == CSA_REASON_ERASED ? CSA_REGION_EMPTY : CSA_REGION_INVALID;
    out->reason = reason_byte;
    out->verdict = v;
}

static csa_flash_status check_committed(const csa_flash *f, const csa_region *r, uint8_t kind,
                                        const csa_image_policy *policy, const uint8_t *manifest, uint16_t mlen,
                                        const uint8_t *auth, uint16_t alen, csa_region_check *out)
{
    csa_image_policy p = *policy;
    csa_manifest m;
    uint8_t hash[32];
    csa_flash_status st;
    p.expected_kind = kind;
    p.check_region = 1;
    p.region_start = r->address;
    p.region_usable = csa_trailer_usable(r);
    p.check_counter = 0; /* the counter decides what may be installed, not what may run */
    p.require_encryption = 0;
    memset(out, 0, sizeof *out);
    if (csa_image_check_before_erase(&p, manifest, mlen, auth, alen, &m, out->manifest_digest, &out->verdict) != 0) {
        invalid(out, CSA_REASON_IMAGE_REFUSED);
        return CSA_FLASH_OK;
    }
    st = csa_flash_sha256(f, r->address, m.payload_size, hash);
    if (st == CSA_FLASH_ERR_ECC) {
        invalid(out, CSA_REASON_ECC);
        return CSA_FLASH_OK;
    }
    if (st != CSA_FLASH_OK)
        return st;
    if (!csa_ct_equal(hash, m.payload_sha256, 32)) {
        invalid(out, CSA_REASON_PAYLOAD_HASH);
        return CSA_FLASH_OK;
    }
    out->state = CSA_REGION_VALID;
    out->reason = CSA_REASON_VALID;
    out->version_major = m.version_major;
    out->version_minor = m.version_minor;
    out->version_patch = m.version_patch;
    out->version_build = m.version_build;
    out->security_counter = m.security_counter;
    out->payload_size = m.payload_size;
    memcpy(out->payload_sha256, m.payload_sha256, 32);
    return CSA_FLASH_OK;
}

csa_flash_status csa_region_inspect(const csa_flash *f, const csa_region *r, uint8_t kind,
                                    const csa_image_policy *policy, csa_region_check *out)
{
    uint8_t slot[CSA_TRAILER_SLOT];
    unsigned i, k;
    int any_used = 0, blank = 0;
    csa_flash_status st;
    memset(out, 0, sizeof *out);
    for (i = 0; i < CSA_TRAILER_SLOTS; i++) {
        const uint8_t *manifest, *auth;
        uint16_t mlen, alen;
        int erased = 1;
        st = csa_flash_read(f, csa_trailer_slot_address(r, i), slot, sizeof slot);
        if (st == CSA_FLASH_ERR_ECC) {
            any_used = 1; /* a torn slot */
            continue;
        }
        if (st != CSA_FLASH_OK)
            return st;
        for (k = 0; k < sizeof slot && erased; k++)
            erased = slot[k] == CSA_FLASH_ERASED;
        if (erased)
            continue;
        any_used = 1;
        if (csa_trailer_decode(slot, &manifest, &mlen, &auth, &alen))
            return check_committed(f, r, kind, policy, manifest, mlen, auth, alen, out);
    }
    if (!any_used) {
        st = csa_flash_is_blank(f, r->address, 1024, &blank);
        if (st != CSA_FLASH_OK)
            return st;
    }
    invalid(out, any_used || !blank ? CSA_REASON_NO_COMMITTED_SLOT : CSA_REASON_ERASED);
    return CSA_FLASH_OK;
}

uint64_t csa_region_check_version(const csa_region_check *c)
{
    return (uint64_t)c->version_major << 56 | (uint64_t)c->version_minor << 48 | (uint64_t)c->version_patch << 32
           | c->version_build;
}

int csa_region_check_holds(const csa_region_check *c, const uint8_t digest[32])
{
    return c->state == CSA_REGION_VALID && memcmp(c->manifest_digest, digest, 32) == 0;
}

int csa_region_check_holds_raw(const csa_region_check *c, const uint8_t digest[32])
{
    return (c->state == CSA_REGION_VALID || c->reason == CSA_REASON_REVOKED)
           && memcmp(c->manifest_digest, digest, 32) == 0;
}
