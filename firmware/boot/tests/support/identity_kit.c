#include "identity_kit.h"

#include <string.h>

#include "csa_crypto.h"
#include "image_builder.h"

static int test_rng(void *ctx, uint8_t *buf, size_t len)
{
    test_keystore *ks = (test_keystore *)ctx;
    while (len > 0) {
        uint8_t block[36], out[32];
        size_t n = len < 32 ? len : 32;
        if (ks->broken)
            return -1;
        memcpy(block, ks->seed, 32);
        block[32] = (uint8_t)ks->counter;
        block[33] = (uint8_t)(ks->counter >> 8);
        block[34] = (uint8_t)(ks->counter >> 16);
        block[35] = (uint8_t)(ks->counter >> 24);
        ks->counter++;
        csa_sha256(block, sizeof block, out);
        memcpy(buf, out, n);
        buf += n;
        len -= n;
    }
    return 0;
}

void test_keystore_init(test_keystore *ks, uint32_t seed)
{
    csa_keystore_backend b;
    uint8_t s[4] = {(uint8_t)seed, (uint8_t)(seed >> 8), (uint8_t)(seed >> 16), (uint8_t)(seed >> 24)};
    memset(ks, 0, sizeof *ks);
    csa_sha256(s, sizeof s, ks->seed);
    csa_keystore_ram_backend(&b, &ks->record);
    csa_keystore_soft_init(&ks->soft, &b, test_rng, ks);
}

void test_keystore_put(test_keystore *ks, const uint8_t private_key[32])
{
    memset(&ks->record, 0, sizeof ks->record);
    memcpy(ks->record.private_key, private_key, 32);
    (void)csa_p256_public_key(private_key, ks->record.public_key);
    ks->record.has_key = 1;
}

void test_identity_config(csa_identity_config *c, const csa_memory_map *map)
{
    memset(c, 0, sizeof *c);
    c->map = map;
    c->vendor_id = 0x00C5A000u;
    c->device_class_id = 1u;
    csa_trusted_key_init(&c->production_keys[0], test_rfc6979_public);
    c->production_key_count = 1;
    c->require_provisioning = 1;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void test_make_certificate(const uint8_t uid[12], uint32_t vendor, uint32_t device_class, uint8_t lifecycle,
                           uint32_t serial, const uint8_t public_key[64], const uint8_t production_private[32],
                           uint8_t out[CSA_CERT_SIZE])
{
    uint8_t pub[64], digest[32];
    csa_trusted_key issuer;
    memset(out, 0, CSA_CERT_SIZE);
    put32(out, CSA_CERT_MAGIC);
    out[4] = 1;
    out[6] = CSA_CERT_SIZE;
    memcpy(out + 8, uid, 12);
    put32(out + 20, vendor);
    put32(out + 24, device_class);
    out[28] = lifecycle;
    out[29] = 1;
    put32(out + 32, serial);
    put32(out + 36, 0x6B062500u);
    (void)csa_p256_public_key(production_private, pub);
    csa_trusted_key_init(&issuer, pub);
    memcpy(out + 40, issuer.id, 8);
    memcpy(out + 48, public_key, 64);
    csa_sha256(out, CSA_CERT_SIGNED_SIZE, digest);
    (void)csa_p256_sign(production_private, digest, out + 112);
}

void test_ecies_wrap(const uint8_t content_key[32], const uint8_t recipient[64], const uint8_t ctx[32],
                     const uint8_t ephemeral[32], uint8_t block[129])
{
    static const char label[] = "Csa ECIES-P256 content key v1";
    uint8_t e[64], z[32], info[29 + 32 + 65 + 65], okm[64];
    csa_hmac_sha256_ctx h;
    unsigned i;
    (void)csa_p256_public_key(ephemeral, e);
    (void)csa_p256_ecdh(ephemeral, recipient, z);
    block[0] = 0x04;
    memcpy(block + 1, e, 64);
    memcpy(info, label, 29);
    memcpy(info + 29, ctx, 32);
    memcpy(info + 61, block, 65);
    info[126] = 0x04;
    memcpy(info + 127, recipient, 64);
    (void)csa_hkdf_sha256(NULL, 0, z, 32, info, sizeof info, okm, sizeof okm);
    for (i = 0; i < 32; i++)
        block[65 + i] = (uint8_t)(content_key[i] ^ okm[i]);
    csa_hmac_sha256_init(&h, okm + 32, 32);
    csa_hmac_sha256_update(&h, block, 97);
    csa_hmac_sha256_update(&h, ctx, 32);
    csa_hmac_sha256_final(&h, block + 97);
}
