/* boot.identity: device identity on the C bootloader (docs/security.md 10): the golden certificate, messages,
 * signatures and commit marker of the document reproduced byte for byte (read from security.md); every malformed
 * certificate field with its typed error and offset; GenerateIdentityKey, InstallCertificate and Authenticate; every
 * refusal of InstallCertificate before a byte is written; the start-up check (blank, provisioned, a copied flash on
 * another chip or key storage, a certified key without its record, a product without production keys); and the
 * power-cut sweep of InstallCertificate on the F4 and the L4 (every first cut before and inside every operation, and
 * a second cut at every operation of the retry; the CI slice cuts inside at one fraction and cuts the retries of every
 * third first cut, --full at three fractions and every retry): blank or provisioned after each, provisioned and locked
 * after the retry.
 * REQ-PROD-KEYS, REQ-AUTH-DEV, REQ-KEY-EXPOSURE, REQ-RECOVER. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/bootloader.h"
#include "csa_crypto.h"
#include "device.h"
#include "identity_kit.h"
#include "image_builder.h"

static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
static const uint8_t golden_uid[12] = {0x3A, 0x00, 0x24, 0x00, 0x0D, 0x51, 0x34, 0x31, 0x38, 0x39, 0x38, 0x36};
static uint8_t identity_private[32]; /* the golden identity key: 0123456789abcdef x 4 */
static char *doc;
static int full; /* --full: every bit flip and every second cut (label exhaustive); else the CI slice */

static long golden(const char *name, uint8_t *out, size_t cap)
{
    long n = csa_test_doc_golden(doc, name, out, cap);
    if (n < 0)
        fprintf(stderr, "security.md has no golden '%s'\n", name);
    return n;
}

static csa_flashsim *blank_chip(const csa_memory_map *map, const uint8_t uid[12])
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = map->geometry;
    o.overwrite = CSA_FLASHSIM_REJECT_ANY_REPROGRAM; /* a record is never programmed over itself */
    o.has_uid = 1;
    memcpy(o.uid, uid, 12);
    return csa_flashsim_create(&o);
}

static uint64_t ops(csa_flashsim *sim)
{
    return csa_flashsim_get_stats(sim)->operations;
}

/* ---- the goldens of security.md 10 ---- */

static void goldens_of_security_md_are_reproduced(void)
{
    uint8_t cert[176], msg[200], sig[64], want[200], body[CSA_ID_BODY_SIZE], commit[8], nonce[32];
    uint8_t out_cert[176];
    csa_certificate c;
    csa_identity_config cfg;
    csa_identity id;
    test_keystore ks;
    csa_flashsim *sim;
    csa_flash f;
    unsigned i;
    CHECK_EQ(golden("device-certificate", cert, sizeof cert), 176);
    CHECK_EQ(csa_certificate_parse(cert, 176, &c, NULL), CSA_CERT_OK);
    CHECK(memcmp(c.uid, golden_uid, 12) == 0);
    CHECK_EQ(c.vendor_id, 0x00C5A000u);
    CHECK_EQ(c.device_class_id, 1);
    CHECK_EQ(c.serial_number, 1);
    CHECK_EQ(c.issued_at, 0x6B062500u);
    /* Issued by the RFC 6979 A.2.5 key (key id B18B86CE1389E46D), for the identity key 0123...ef x 4. */
    test_identity_config(&cfg, maps[0]);
    CHECK(memcmp(cfg.production_keys[0].id, "\xB1\x8B\x86\xCE\x13\x89\xE4\x6D", 8) == 0);
    CHECK_EQ(csa_certificate_check(&c, cfg.production_keys, 1), CSA_CERT_GENUINE);
    test_keystore_init(&ks, 1);
    test_keystore_put(&ks, identity_private);
    CHECK(memcmp(c.public_key, ks.record.public_key, 64) == 0);

    /* The key-possession message and its signature by the identity key, made through the key storage. */
    for (i = 0; i < 32; i++)
        nonce[i] = (uint8_t)(0x20 + i);
    csa_key_possession_message(golden_uid, nonce, ks.record.public_key, msg);
    CHECK_EQ(golden("key-possession-message", want, sizeof want), CSA_KEY_POSSESSION_SIZE);
    CHECK(memcmp(msg, want, CSA_KEY_POSSESSION_SIZE) == 0);
    csa_sha256(msg, CSA_KEY_POSSESSION_SIZE, want);
    CHECK_EQ(ks.soft.port.ops->sign(ks.soft.port.ctx, want, sig), CSA_KEYSTORE_OK);
    CHECK_EQ(golden("key-possession-signature", want, sizeof want), 64);
    CHECK(memcmp(sig, want, 64) == 0);

    /* The provisioning record: body "CSID" 1 176 and the certificate; the commit marker. */
    csa_identity_encode(cert, body, commit);
    CHECK(memcmp(body, "\x43\x53\x49\x44\x01\x00\xB0\x00", 8) == 0 && memcmp(body + 8, cert, 176) == 0);
    CHECK_EQ(golden("provisioning-commit", want, sizeof want), 8);
    CHECK(memcmp(commit, want, 8) == 0);

    /* InstallCertificate of the golden certificate on the golden chip writes exactly that record; Authenticate with
     * the challenge 00..1F answers the golden message's signature. */
    for (i = 0; i < 2; i++) {
        test_identity_config(&cfg, maps[i]);
        sim = blank_chip(maps[i], golden_uid);
        f = csa_flashsim_port(sim);
        CHECK_EQ(csa_identity_read(&id, &cfg, &f, &ks.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.lifecycle, CSA_LIFECYCLE_BLANK);
        CHECK_EQ(id.stay, CSA_STAY_NOT_PROVISIONED);
        CHECK_EQ(csa_identity_install(&id, cert, 176), CSA_PROV_OK);
        CHECK_EQ(id.lifecycle, CSA_LIFECYCLE_PROVISIONED);
        CHECK_EQ(id.locked, 1);
        CHECK_EQ(id.stay, 0);
        CHECK_EQ(ops(sim), 3); /* body, commit marker, option bytes */
        CHECK_EQ(csa_flashsim_read_raw(sim, maps[i]->regions[CSA_REGION_PROVISIONING].address, msg, 192), 0);
        CHECK(memcmp(msg, body, CSA_ID_BODY_SIZE) == 0 && memcmp(msg + CSA_ID_BODY_SIZE, commit, 8) == 0);
        {
            uint8_t challenge[32];
            unsigned k;
            for (k = 0; k < 32; k++)
                challenge[k] = (uint8_t)k;
            csa_authentication_message(golden_uid, challenge, cert, msg);
            CHECK_EQ(golden("authentication-message", want, sizeof want), CSA_AUTHENTICATION_SIZE);
            CHECK(memcmp(msg, want, CSA_AUTHENTICATION_SIZE) == 0);
            CHECK_EQ(csa_identity_authenticate(&id, challenge, out_cert, sig), CSA_PROV_OK);
            CHECK(memcmp(out_cert, cert, 176) == 0);
            CHECK_EQ(golden("authentication-signature", want, sizeof want), 64);
            CHECK(memcmp(sig, want, 64) == 0);
        }
        /* The key is noted as certified by this certificate. */
        csa_sha256(cert, 176, want);
        CHECK(ks.record.certified && memcmp(ks.record.certified_digest, want, 32) == 0);
        ks.record.certified = 0;
        csa_flashsim_destroy(sim);
    }
}

/* ---- the certificate's format ---- */

static void expect_cert(const uint8_t *b, size_t len, csa_cert_error e, uint32_t offset)
{
    csa_certificate c;
    uint32_t at = 9999;
    CHECK_EQ(csa_certificate_parse(b, len, &c, &at), e);
    CHECK_EQ(at, offset);
}

static void every_malformed_field_is_refused_with_its_error_and_offset(void)
{
    uint8_t cert[180], bad[180];
    size_t n;
    CHECK_EQ(golden("device-certificate", cert, sizeof cert), 176);
    /* Every prefix is Truncated where it ends, except where a rule before it already fails. */
    for (n = 0; n < 176; n++)
        expect_cert(cert, n, CSA_CERT_TRUNCATED, (uint32_t)n);
    expect_cert(cert, 177, CSA_CERT_TRAILING_DATA, 176);
/* One byte changed: the error, reported at the field's first byte. */
#define FIELD(at, val, err, field)                                                                                     \
    do {                                                                                                               \
        memcpy(bad, cert, 176);                                                                                        \
        bad[at] = (uint8_t)(val);                                                                                      \
        expect_cert(bad, 176, err, field);                                                                             \
    } while (0)
    FIELD(0, 0x44, CSA_CERT_BAD_MAGIC, 0);
    FIELD(3, 0x42, CSA_CERT_BAD_MAGIC, 0);
    FIELD(4, 2, CSA_CERT_UNSUPPORTED_VERSION, 4);
    FIELD(5, 1, CSA_CERT_UNSUPPORTED_VERSION, 4);
    FIELD(6, 0xB1, CSA_CERT_BAD_LENGTH, 6);
    FIELD(7, 1, CSA_CERT_BAD_LENGTH, 6);
    FIELD(28, 0, CSA_CERT_BAD_LIFECYCLE, 28);
    FIELD(28, 3, CSA_CERT_BAD_LIFECYCLE, 28);
    FIELD(29, 2, CSA_CERT_UNSUPPORTED_KEY_ALGORITHM, 29);
    FIELD(30, 1, CSA_CERT_RESERVED_NOT_ZERO, 30);
    memcpy(bad, cert, 176);
    bad[31] = 1;
    expect_cert(bad, 176, CSA_CERT_RESERVED_NOT_ZERO, 30);
    memcpy(bad, cert, 176);
    memset(bad + 32, 0, 4);
    expect_cert(bad, 176, CSA_CERT_ZERO_SERIAL_NUMBER, 32);
    /* A short input with a wrong magic is BadMagic once it has 4 bytes. */
    memcpy(bad, cert, 176);
    bad[0] = 0;
    expect_cert(bad, 6, CSA_CERT_BAD_MAGIC, 0);
#undef FIELD
}

static void every_bit_of_the_certificate_flipped_is_caught(void)
{
    uint8_t cert[176], bad[176];
    csa_identity_config cfg;
    csa_certificate c;
    unsigned bit, caught = 0;
    CHECK_EQ(golden("device-certificate", cert, sizeof cert), 176);
    test_identity_config(&cfg, maps[0]);
    /* The CI slice flips every 11th bit (128 of them, every field's bytes among them); --full all 1 408. */
    for (bit = 0; bit < 176u * 8u; bit += full ? 1u : 11u) {
        memcpy(bad, cert, 176);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (csa_certificate_parse(bad, 176, &c, NULL) != CSA_CERT_OK
            || csa_certificate_check(&c, cfg.production_keys, 1) != CSA_CERT_GENUINE)
            caught++;
    }
    CHECK_EQ(caught, full ? 176u * 8u : (176u * 8u + 10u) / 11u);
}

/* ---- provisioning on the device ---- */

typedef struct rig {
    csa_flashsim *sim;
    csa_flash flash;
    csa_identity_config cfg;
    csa_identity id;
    test_keystore ks;
} rig;

static void rig_open(rig *r, const csa_memory_map *map, const uint8_t uid[12], uint32_t seed)
{
    r->sim = blank_chip(map, uid);
    r->flash = csa_flashsim_port(r->sim);
    test_identity_config(&r->cfg, map);
    test_keystore_init(&r->ks, seed);
    CHECK_EQ(csa_identity_read(&r->id, &r->cfg, &r->flash, &r->ks.soft.port), CSA_PROV_OK);
}

/* A copy of a device: its flash cloned, its key storage copied (the copy owns its own). */
static void rig_copy(rig *to, const rig *from)
{
    csa_keystore_backend b;
    *to = *from;
    to->sim = csa_flashsim_clone(from->sim);
    to->flash = csa_flashsim_port(to->sim);
    csa_keystore_ram_backend(&b, &to->ks.record);
    csa_keystore_soft_init(&to->ks.soft, &b, from->ks.soft.rng, &to->ks);
}

static void rig_restart(rig *r)
{
    if (!csa_flashsim_powered(r->sim))
        csa_flashsim_power_on(r->sim);
    CHECK_EQ(csa_identity_read(&r->id, &r->cfg, &r->flash, &r->ks.soft.port), CSA_PROV_OK);
    CHECK_EQ(csa_identity_complete_lock(&r->id), CSA_PROV_OK);
}

/* What the production station does: a key, the proof checked, a certificate for it. */
static void station_certificate(rig *r, uint8_t cert[176])
{
    uint8_t nonce[32], pub[64], proof[64], msg[CSA_KEY_POSSESSION_SIZE], digest[32];
    memset(nonce, 0x77, sizeof nonce);
    CHECK_EQ(csa_identity_generate_key(&r->id, nonce, pub, proof), CSA_PROV_OK);
    csa_key_possession_message(r->id.uid, nonce, pub, msg);
    csa_sha256(msg, sizeof msg, digest);
    CHECK_EQ(csa_p256_verify(pub, digest, proof, CSA_P256_REQUIRE_LOW_S), CSA_CRYPTO_OK);
    test_make_certificate(r->id.uid, r->cfg.vendor_id, r->cfg.device_class_id, CSA_LIFECYCLE_PROVISIONED, 42, pub,
                          test_rfc6979_private, cert);
}

static void a_blank_device_is_provisioned_authenticates_and_refuses_reprovisioning(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        uint8_t cert[176], other[176], nonce[32] = {0}, pub[64], proof[64], sig[64], out[176], msg[94], digest[32];
        rig r;
        rig_open(&r, maps[m], golden_uid, 7);
        CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_BLANK);
        CHECK_EQ(csa_identity_public_key(&r.id, pub), 0);
        CHECK_EQ(csa_identity_authenticate(&r.id, nonce, out, sig), CSA_PROV_NOT_PROVISIONED);
        /* A station that lost the answer simply asks again: an uncertified key is replaced. */
        station_certificate(&r, other);
        station_certificate(&r, cert);
        CHECK(memcmp(other + 48, cert + 48, 64) != 0);
        CHECK_EQ(csa_identity_install(&r.id, other, 176), CSA_PROV_WRONG_PUBLIC_KEY); /* the first key is gone */
        CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
        CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_PROVISIONED);
        CHECK_EQ(r.id.locked, 1);
        rig_restart(&r);
        CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_PROVISIONED);
        CHECK_EQ(r.id.stay, 0);
        CHECK(memcmp(r.id.certificate, cert, 176) == 0);
        /* Authenticate: the identity key's signature over this challenge, UID and certificate. */
        memset(nonce, 0x3C, sizeof nonce);
        CHECK_EQ(csa_identity_authenticate(&r.id, nonce, out, sig), CSA_PROV_OK);
        csa_authentication_message(golden_uid, nonce, cert, msg);
        csa_sha256(msg, sizeof msg, digest);
        CHECK_EQ(csa_p256_verify(cert + 48, digest, sig, CSA_P256_REQUIRE_LOW_S), CSA_CRYPTO_OK);
        /* Provisioned: no new key, no other certificate; the same one again answers success and writes nothing. */
        {
            uint64_t before = ops(r.sim);
            CHECK_EQ(csa_identity_generate_key(&r.id, nonce, pub, proof), CSA_PROV_ALREADY_PROVISIONED);
            CHECK_EQ(csa_identity_install(&r.id, other, 176), CSA_PROV_ALREADY_PROVISIONED);
            CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
            CHECK_EQ(ops(r.sim), before);
        }
        csa_flashsim_destroy(r.sim);
    }
}

static void every_refusal_of_install_certificate_writes_nothing(void)
{
    uint8_t cert[176], bad[176], pub[64], other_pub[64];
    uint64_t before;
    rig r;
    rig_open(&r, maps[1], golden_uid, 9);
    memset(cert, 0, sizeof cert);
    CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_NO_IDENTITY_KEY);
    station_certificate(&r, cert);
    CHECK(csa_identity_public_key(&r.id, pub));
    (void)csa_p256_public_key(test_other_private, other_pub);
    before = ops(r.sim);
    memcpy(bad, cert, 176);
    bad[29] = 2;
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_MALFORMED_CERTIFICATE);
    CHECK_EQ(csa_identity_install(&r.id, cert, 175), CSA_PROV_MALFORMED_CERTIFICATE);
    /* Signed by a key that is not a production key (a stolen device provisioned by an attacker). */
    test_make_certificate(golden_uid, 0x00C5A000u, 1, 2, 42, pub, test_other_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_UNKNOWN_ISSUER);
    memcpy(bad, cert, 176);
    bad[36] ^= 1; /* issued-at: covered by the signature */
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_BAD_CERTIFICATE_SIGNATURE);
    {
        /* The high-S form of the genuine signature: one certificate has one byte string (security.md 10.2). */
        static const uint8_t n[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                                      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                                      0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
        int i, borrow = 0;
        memcpy(bad, cert, 176);
        for (i = 31; i >= 0; i--) {
            int d = n[i] - cert[144 + i] - borrow;
            borrow = d < 0;
            bad[144 + i] = (uint8_t)(d + (borrow ? 256 : 0));
        }
        CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_BAD_CERTIFICATE_SIGNATURE);
    }
    test_make_certificate((const uint8_t *)"\x3A\x00\x24\x00\x0D\x51\x34\x31\x38\x39\x38\x37", 0x00C5A000u, 1, 2, 42,
                          pub, test_rfc6979_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_WRONG_DEVICE);
    test_make_certificate(golden_uid, 0x00C5A000u, 1, 2, 42, other_pub, test_rfc6979_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_WRONG_PUBLIC_KEY);
    test_make_certificate(golden_uid, 0x00C5A001u, 1, 2, 42, pub, test_rfc6979_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_WRONG_PRODUCT);
    test_make_certificate(golden_uid, 0x00C5A000u, 2, 2, 42, pub, test_rfc6979_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_WRONG_PRODUCT);
    test_make_certificate(golden_uid, 0x00C5A000u, 1, 1, 42, pub, test_rfc6979_private, bad);
    CHECK_EQ(csa_identity_install(&r.id, bad, 176), CSA_PROV_WRONG_LIFECYCLE);
    CHECK_EQ(ops(r.sim), before);
    CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_BLANK);
    CHECK_EQ(r.ks.record.certified, 0);
    /* The broken random source: no key, a typed failure. */
    r.ks.broken = 1;
    CHECK_EQ(csa_identity_generate_key(&r.id, cert, pub, other_pub), CSA_PROV_KEY_STORAGE);
    csa_flashsim_destroy(r.sim);
}

/* The provisioned device's flash copied onto another chip: the certificate is not that chip's. */
static void a_copied_flash_is_identity_mismatch_on_any_other_chip(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        const csa_region *prov = &map->regions[CSA_REGION_PROVISIONING];
        uint8_t cert[176], record[CSA_ID_RECORD_SIZE], out[176], sig[64], nonce[32] = {0};
        csa_identity id;
        test_keystore empty, own;
        csa_flashsim *copy, *other;
        csa_flash f;
        rig r;
        rig_open(&r, map, golden_uid, 11);
        station_certificate(&r, cert);
        CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
        /* The same unique id (a cloner that fakes it), with an empty key storage or a key of its own. */
        copy = csa_flashsim_clone(r.sim);
        f = csa_flashsim_port(copy);
        test_keystore_init(&empty, 12);
        CHECK_EQ(csa_identity_read(&id, &r.cfg, &f, &empty.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.lifecycle, CSA_LIFECYCLE_BLANK);
        CHECK_EQ(id.stay, CSA_STAY_IDENTITY_MISMATCH);
        CHECK_EQ(id.fault, CSA_ID_FAULT_NO_KEY);
        CHECK_EQ(csa_identity_authenticate(&id, nonce, out, sig), CSA_PROV_NOT_PROVISIONED);
        test_keystore_init(&own, 13);
        test_keystore_put(&own, test_other_private);
        CHECK_EQ(csa_identity_read(&id, &r.cfg, &f, &own.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.stay, CSA_STAY_IDENTITY_MISMATCH);
        CHECK_EQ(id.fault, CSA_ID_FAULT_OTHER_KEY);
        /* Nor on a product that does not even require provisioning. */
        r.cfg.require_provisioning = 0;
        CHECK_EQ(csa_identity_read(&id, &r.cfg, &f, &own.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.stay, CSA_STAY_IDENTITY_MISMATCH);
        r.cfg.require_provisioning = 1;
        csa_flashsim_destroy(copy);
        /* Another chip (another unique id) with the genuine key storage: the certificate names another UID. */
        other = blank_chip(map, (const uint8_t *)"\x11\x22\x33\x44\x55\x66\x77\x88\x99\xAA\xBB\xCC");
        f = csa_flashsim_port(other);
        CHECK_EQ(csa_flashsim_read_raw(r.sim, prov->address, record, sizeof record), 0);
        CHECK_EQ(csa_flash_program(&f, prov->address, record, sizeof record), CSA_FLASH_OK);
        CHECK_EQ(csa_identity_read(&id, &r.cfg, &f, &r.ks.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.stay, CSA_STAY_PROVISIONING_DAMAGED); /* the genuine key storage knows its key is certified */
        r.ks.record.certified = 0;
        CHECK_EQ(csa_identity_read(&id, &r.cfg, &f, &r.ks.soft.port), CSA_PROV_OK);
        CHECK_EQ(id.stay, CSA_STAY_IDENTITY_MISMATCH);
        CHECK_EQ(id.fault, CSA_ID_FAULT_OTHER_UID);
        csa_flashsim_destroy(other);
        csa_flashsim_destroy(r.sim);
    }
}

static void a_certified_key_without_its_record_is_damaged_and_reinstalling_repairs_it(void)
{
    const csa_memory_map *map = maps[0];
    uint8_t cert[176], pub[64], proof[64], nonce[32] = {0};
    rig r;
    rig_open(&r, map, golden_uid, 21);
    station_certificate(&r, cert);
    CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
    /* A debug probe wipes the region (the lock lifted first). */
    {
        uint8_t none[64] = {0};
        CHECK_EQ(r.flash.ops->set_write_protection(r.flash.ctx, none), CSA_FLASH_OK);
        CHECK_EQ(csa_map_erase_region(&r.flash, &map->regions[CSA_REGION_PROVISIONING]), CSA_FLASH_OK);
    }
    rig_restart(&r);
    CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_BLANK);
    CHECK_EQ(r.id.stay, CSA_STAY_PROVISIONING_DAMAGED);
    /* No station can make it throw away its certified key. */
    CHECK_EQ(csa_identity_generate_key(&r.id, nonce, pub, proof), CSA_PROV_ALREADY_PROVISIONED);
    CHECK(csa_identity_public_key(&r.id, pub) && memcmp(pub, cert + 48, 64) == 0);
    /* Its certificate from the manufacturer's records repairs it. */
    CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
    CHECK_EQ(r.id.stay, 0);
    rig_restart(&r);
    CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_PROVISIONED);
    CHECK_EQ(r.id.locked, 1);
    csa_flashsim_destroy(r.sim);
}

static void a_product_without_production_keys_is_never_provisioned(void)
{
    uint8_t cert[176], pub[64], proof[64], nonce[32] = {0};
    uint64_t before;
    rig r;
    rig_open(&r, maps[1], golden_uid, 31);
    station_certificate(&r, cert);
    CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_OK);
    r.cfg.production_key_count = 0;
    r.cfg.require_provisioning = 0;
    rig_restart(&r);
    /* Its bootloader ships no production key, so no certificate can be genuine: a committed record is a mismatch
     * (the certified key in the storage makes it damage). */
    CHECK_EQ(r.id.lifecycle, CSA_LIFECYCLE_BLANK);
    CHECK(r.id.stay == CSA_STAY_PROVISIONING_DAMAGED);
    r.ks.record.certified = 0;
    rig_restart(&r);
    CHECK_EQ(r.id.stay, CSA_STAY_IDENTITY_MISMATCH);
    CHECK_EQ(r.id.fault, CSA_ID_FAULT_NO_ANCHOR);
    before = ops(r.sim);
    CHECK_EQ(csa_identity_generate_key(&r.id, nonce, pub, proof), CSA_PROV_NOT_SUPPORTED);
    CHECK_EQ(csa_identity_install(&r.id, cert, 176), CSA_PROV_NOT_SUPPORTED);
    CHECK_EQ(ops(r.sim), before);
    csa_flashsim_destroy(r.sim);
}

/* ---- power cuts ---- */

static int sweep_cases, sweep_second_cuts;

/* After any cut: blank (nothing claims provisioning) or provisioned with the certificate for its own key. */
static void blank_or_provisioned(rig *r, const uint8_t cert[176])
{
    rig_restart(r);
    if (r->id.lifecycle == CSA_LIFECYCLE_PROVISIONED)
        CHECK(memcmp(r->id.certificate, cert, 176) == 0);
    else
        CHECK_EQ(r->id.stay, CSA_STAY_NOT_PROVISIONED);
}

static void install_until_done(rig *r, const uint8_t cert[176])
{
    csa_prov_status st = csa_identity_install(&r->id, cert, 176);
    CHECK_EQ(st, CSA_PROV_OK);
    rig_restart(r);
    CHECK_EQ(r->id.lifecycle, CSA_LIFECYCLE_PROVISIONED);
    CHECK_EQ(r->id.locked, 1);
    CHECK_EQ(r->id.stay, 0);
    CHECK(memcmp(r->id.certificate, cert, 176) == 0);
}

/* One scenario: a chip whose region is blank (torn = 0) or holds an earlier attempt's torn body (torn = 1). */
static void sweep_scenario(const csa_memory_map *map, int torn)
{
    static const double fractions[] = {0.5, 0.07, 0.93};
    uint8_t cert[176];
    uint64_t total, op;
    unsigned style;
    rig base;
    rig_open(&base, map, golden_uid, 41 + (uint32_t)torn);
    station_certificate(&base, cert);
    if (torn) {
        uint8_t junk[64];
        memset(junk, 0x5A, sizeof junk);
        CHECK_EQ(csa_flash_program(&base.flash, map->regions[CSA_REGION_PROVISIONING].address, junk, 64), CSA_FLASH_OK);
        rig_restart(&base);
        CHECK_EQ(base.id.record, CSA_ID_RECORD_TORN);
    }
    /* The uninterrupted run, counted. */
    {
        rig run;
        rig_copy(&run, &base);
        csa_flashsim_reset_stats(run.sim);
        rig_restart(&run);
        install_until_done(&run, cert);
        total = ops(run.sim);
        CHECK_EQ(total, torn ? 3u + map->regions[CSA_REGION_PROVISIONING].sector_count : 3u);
        csa_flashsim_destroy(run.sim);
    }
    for (op = 0; op < total; op++)
        for (style = 0; style < (full ? 4u : 2u); style++) { /* the CI slice: before, and inside at 0.5 */
            csa_flashsim_plan plan;
            uint64_t retry_ops, second;
            rig run;
            memset(&plan, 0, sizeof plan);
            plan.operation = op;
            plan.during = style > 0;
            plan.fraction = style > 0 ? fractions[style - 1] : 0;
            plan.seed = (uint32_t)(op * 31 + style);
            plan.erase_style = (csa_flashsim_tear)(style % 3);
            rig_copy(&run, &base);
            rig_restart(&run);
            csa_flashsim_arm(run.sim, &plan);
            CHECK_EQ(csa_identity_install(&run.id, cert, 176), CSA_PROV_POWER_LOST);
            csa_flashsim_disarm(run.sim);
            blank_or_provisioned(&run, cert);
            sweep_cases++;
            /* The retry, counted, then cut again at each of its operations on copies of this state (the CI slice cuts
             * the retries of every third first cut; --full every one). */
            retry_ops = 0;
            if (full || sweep_cases % 3 == 1) {
                rig retry;
                rig_copy(&retry, &run);
                csa_flashsim_reset_stats(retry.sim);
                rig_restart(&retry);
                install_until_done(&retry, cert);
                retry_ops = ops(retry.sim);
                csa_flashsim_destroy(retry.sim);
            }
            for (second = 0; second < retry_ops; second++) {
                rig again;
                csa_flashsim_plan p2 = plan;
                rig_copy(&again, &run);
                rig_restart(&again);
                p2.operation = second;
                p2.seed += 1000;
                csa_flashsim_arm(again.sim, &p2);
                (void)csa_identity_install(&again.id, cert, 176);
                csa_flashsim_disarm(again.sim);
                blank_or_provisioned(&again, cert);
                install_until_done(&again, cert);
                sweep_second_cuts++;
                csa_flashsim_destroy(again.sim);
            }
            install_until_done(&run, cert);
            csa_flashsim_destroy(run.sim);
        }
    csa_flashsim_destroy(base.sim);
}

static void install_certificate_survives_a_power_cut_at_every_operation(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        sweep_scenario(maps[m], 0);
        sweep_scenario(maps[m], 1);
    }
    printf("  %d first cuts, %d second cuts during the retry: every device blank or provisioned, then provisioned "
           "and locked\n",
           sweep_cases, sweep_second_cuts);
}

int main(int argc, char **argv)
{
    size_t len;
    unsigned i;
    if (argc < 2 || (doc = csa_test_read_file(argv[1], &len)) == NULL) {
        fprintf(stderr, "usage: test_boot_identity docs/security.md [--full]\n");
        return 2;
    }
    full = argc > 2 && strcmp(argv[2], "--full") == 0;
    for (i = 0; i < 32; i++) /* 0123456789abcdef, four times */
        identity_private[i] = (uint8_t)("\x01\x23\x45\x67\x89\xab\xcd\xef"[i % 8]);
    RUN(goldens_of_security_md_are_reproduced);
    RUN(every_malformed_field_is_refused_with_its_error_and_offset);
    RUN(every_bit_of_the_certificate_flipped_is_caught);
    RUN(a_blank_device_is_provisioned_authenticates_and_refuses_reprovisioning);
    RUN(every_refusal_of_install_certificate_writes_nothing);
    RUN(a_copied_flash_is_identity_mismatch_on_any_other_chip);
    RUN(a_certified_key_without_its_record_is_damaged_and_reinstalling_repairs_it);
    RUN(a_product_without_production_keys_is_never_provisioned);
    RUN(install_certificate_survives_a_power_cut_at_every_operation);
    free(doc);
    return csa_test_done();
}
