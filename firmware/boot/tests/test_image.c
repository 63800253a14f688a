/* boot.image: docs/image-format.md in C. The golden images of section 8 (read from the document) are accepted and
 * rebuilt byte for byte; every bit flip of their manifest or authentication block is refused, every payload change
 * fails the payload hash; each rule of section 3 reports its documented error at its offset, in order; each check of
 * section 6 its documented refusal. REQ-AUTH-FW, REQ-TAMPER, REQ-DEVICE-BOUND, REQ-DOWNGRADE. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa/csa_crc32.h"
#include "csa_boot/image.h"
#include "csa_crypto.h"
#include "image_builder.h"

static uint32_t csa_le32_of(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char *doc;
static uint8_t crc_image[256], ecdsa_image[512];
static long crc_len, ecdsa_len;
static csa_trusted_key rfc_key, other_key;
static const uint8_t bound_a[12] = {0x3A, 0x00, 0x24, 0x00, 0x0D, 0x51, 0x34, 0x31, 0x38, 0x39, 0x38, 0x36};
static const uint8_t bound_b[12] = {0x1F, 0x00, 0x31, 0x00, 0x12, 0x47, 0x36, 0x30, 0x35, 0x35, 0x35, 0x33};
static const uint8_t stranger[12] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C};

static csa_image_policy crc_policy(void)
{
    csa_image_policy p;
    memset(&p, 0, sizeof p);
    p.accept_crc = 1;
    p.expected_kind = CSA_IMAGE_KIND_APPLICATION;
    p.vendor_id = 0x0000C5A0u;
    p.device_class_id = 0x00000401u;
    p.device_uid = stranger;
    p.check_counter = 1;
    p.minimum_counter = 7;
    p.check_region = 1;
    p.region_start = 0x08020000u;
    p.region_usable = 126976u;
    return p;
}

static csa_image_policy ecdsa_policy(void)
{
    csa_image_policy p = crc_policy();
    p.accept_crc = 0;
    p.keys = &rfc_key;
    p.key_count = 1;
    p.device_uid = bound_b;
    p.minimum_counter = 8;
    return p;
}

static void golden_images_are_accepted_with_their_documented_fields(void)
{
    csa_image img;
    csa_image_verdict v;
    csa_image_policy p = crc_policy();
    CHECK_EQ(crc_len, 132);
    CHECK_EQ(ecdsa_len, 216);
    CHECK_EQ(csa_image_validate(&p, crc_image, (size_t)crc_len, &img, &v), 0);
    CHECK_EQ(img.manifest.length, 96);
    CHECK_EQ(csa_manifest_version(&img.manifest), 0x0102000300000000ull + 45);
    CHECK_EQ(img.manifest.security_counter, 7);
    CHECK_EQ(img.manifest.payload_size, 32);
    CHECK_EQ(csa_le32_of(img.auth), 0x40BF472Au);
    CHECK_EQ(csa_crc32(crc_image, 96), 0x40BF472Au);
    p = ecdsa_policy();
    CHECK_EQ(csa_image_validate(&p, ecdsa_image, (size_t)ecdsa_len, &img, &v), 0);
    CHECK_EQ(img.manifest.length, 120);
    CHECK_EQ(img.manifest.binding_count, 2);
    CHECK_EQ(csa_manifest_version(&img.manifest), 0x0200000000000001ull);
    CHECK(memcmp(img.manifest.key_id, "\xB1\x8B\x86\xCE\x13\x89\xE4\x6D", 8) == 0);
    CHECK(memcmp(rfc_key.id, "\xB1\x8B\x86\xCE\x13\x89\xE4\x6D", 8) == 0); /* security.md 3: the key-id rule */
    p.device_uid = bound_a;
    CHECK_EQ(csa_image_validate(&p, ecdsa_image, (size_t)ecdsa_len, &img, &v), 0);
    p.device_uid = stranger;
    CHECK_EQ(csa_image_validate(&p, ecdsa_image, (size_t)ecdsa_len, &img, &v), -1);
    CHECK_EQ(v.rejection, CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE);
}

static void the_builder_reproduces_the_golden_images(void)
{
    uint8_t out[512], bound[24];
    test_image_spec s = test_image_default(0x08020000u, crc_image + 96, 32);
    s.authentication = 1;
    s.major = 1;
    s.minor = 2;
    s.patch = 3;
    s.build = 45;
    s.security_counter = 7;
    CHECK_EQ(test_image_build(&s, out, sizeof out), 132);
    CHECK(memcmp(out, crc_image, 132) == 0);
    memcpy(bound, bound_a, 12);
    memcpy(bound + 12, bound_b, 12);
    s.authentication = 2;
    s.major = 2;
    s.minor = 0;
    s.patch = 0;
    s.build = 1;
    s.security_counter = 8;
    s.bound = bound;
    s.binding_count = 2;
    CHECK_EQ(test_image_build(&s, out, sizeof out), 216);
    CHECK(memcmp(out, ecdsa_image, 216) == 0); /* RFC 6979: the same bytes, low S */
}

/* REQ-TAMPER / THREAT.MFST.MODIFICATION: any change of the signed bytes or of the block is refused. */
static void every_bit_flip_of_manifest_or_authentication_is_refused(void)
{
    struct {
        uint8_t *image;
        long len;
        unsigned mlen;
        csa_image_policy policy;
    } cases[2];
    unsigned c, refused = 0, total = 0, stride = csa_test_stride();
    cases[0].image = crc_image;
    cases[0].len = crc_len;
    cases[0].mlen = 96;
    cases[0].policy = crc_policy();
    cases[1].image = ecdsa_image;
    cases[1].len = ecdsa_len;
    cases[1].mlen = 120;
    cases[1].policy = ecdsa_policy();
    for (c = 0; c < 2; c++) {
        const uint8_t *img = cases[c].image;
        unsigned mlen = cases[c].mlen, alen = (unsigned)cases[c].len - mlen - 32, pos, bit;
        uint8_t manifest[480], auth[64];
        for (pos = 0; pos < mlen + alen; pos++)
            for (bit = 0; bit < 9; bit++) {
                if ((pos * 9u + bit) % stride != 0)
                    continue;
                csa_manifest m;
                csa_image_verdict v;
                uint8_t flip = bit < 8 ? (uint8_t)(1u << bit) : 0xFF;
                memcpy(manifest, img, mlen);
                memcpy(auth, img + mlen + 32, alen);
                if (pos < mlen)
                    manifest[pos] ^= flip;
                else
                    auth[pos - mlen] ^= flip;
                total++;
                if (csa_image_check_before_erase(&cases[c].policy, manifest, mlen, auth, alen, &m, NULL, &v) != 0
                    && (v.error != CSA_IMAGE_OK || v.rejection != CSA_REJECT_NONE))
                    refused++;
                else
                    fprintf(stderr, "image %u: flip 0x%02X at %u accepted\n", c, flip, pos);
            }
    }
    CHECK_EQ(refused, total);
    if (stride == 1)
        CHECK_EQ(total, 9u * (96 + 4 + 120 + 64));
    else
        CHECK(total >= 9u * (96 + 4 + 120 + 64) / stride);
    printf("     %u manifest/authentication flips, %u refused\n", total, refused);
}

static void every_payload_change_fails_the_hash(void)
{
    unsigned pos;
    csa_image_policy p = ecdsa_policy();
    for (pos = 0; pos < 32; pos++) {
        uint8_t copy[216];
        csa_image img;
        csa_image_verdict v;
        memcpy(copy, ecdsa_image, 216);
        copy[120 + pos] ^= 0x01;
        CHECK_EQ(csa_image_validate(&p, copy, 216, &img, &v), -1);
        CHECK_EQ(v.rejection, CSA_REJECT_PAYLOAD_HASH_MISMATCH);
    }
}

static void put(uint8_t *m, unsigned at, uint32_t v, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++)
        m[at + i] = (uint8_t)(v >> (8 * i));
}

static void expect_parse(const uint8_t *m, size_t len, csa_image_error e, uint32_t offset)
{
    csa_manifest out;
    uint32_t at = 0xDEAD;
    CHECK_EQ(csa_manifest_parse(m, len, &out, &at), e);
    CHECK_EQ(at, offset);
}

/* Section 3: each rule's error and offset, in the documented order. */
static void each_manifest_rule_has_its_error_and_offset(void)
{
    uint8_t m[480];
    memcpy(m, ecdsa_image, 120);
    expect_parse(m, 3, CSA_IMAGE_TRUNCATED, 3);
    m[0] = 0x42;
    expect_parse(m, 120, CSA_IMAGE_BAD_MAGIC, 0);
    expect_parse(m, 2, CSA_IMAGE_TRUNCATED, 2);
    memcpy(m, ecdsa_image, 120);
    expect_parse(m, 5, CSA_IMAGE_TRUNCATED, 5);
    put(m, 4, 2, 2);
    expect_parse(m, 6, CSA_IMAGE_UNKNOWN_FORMAT_VERSION, 4);
    memcpy(m, ecdsa_image, 120);
    expect_parse(m, 95, CSA_IMAGE_TRUNCATED, 95);
    m[8] = 3;
    m[9] = 0;     /* several rules broken: the first in the order wins */
    expect_parse(m, 120, CSA_IMAGE_BAD_IMAGE_KIND, 8);
    m[8] = 2;
    expect_parse(m, 120, CSA_IMAGE_UNSUPPORTED_AUTHENTICATION, 9);
    m[9] = 2;
    m[10] = 2;
    expect_parse(m, 120, CSA_IMAGE_UNSUPPORTED_ENCRYPTION, 10);
    m[10] = 0;
    m[11] = 33;
    expect_parse(m, 120, CSA_IMAGE_BAD_BINDING_COUNT, 11);
    m[11] = 1;
    expect_parse(m, 120, CSA_IMAGE_SIZE_MISMATCH, 6);
    m[11] = 2;
    put(m, 36, 0, 4);
    expect_parse(m, 120, CSA_IMAGE_BAD_PAYLOAD_SIZE, 36);
    put(m, 36, 2097153, 4);
    expect_parse(m, 120, CSA_IMAGE_BAD_PAYLOAD_SIZE, 36);
    put(m, 36, 2097152, 4);
    put(m, 32, 0xFFE00001u, 4);
    expect_parse(m, 120, CSA_IMAGE_ADDRESS_OVERFLOW, 32);
    put(m, 32, 0xFFE00000u, 4); /* exactly to 2^32 is allowed */
    m[77] = 1;
    expect_parse(m, 120, CSA_IMAGE_BAD_NONCE, 77);
    m[10] = 1; /* an encrypted image has a nonce */
    m[9] = 1;
    expect_parse(m, 120, CSA_IMAGE_BAD_KEY_ID, 88); /* the CRC-32 has no key: key id must be zero */
    m[9] = 2;
    expect_parse(m, 119, CSA_IMAGE_TRUNCATED, 119);
    memcpy(m + 108, m + 96, 12);
    expect_parse(m, 120, CSA_IMAGE_DUPLICATE_BINDING, 108);
    memcpy(m, ecdsa_image, 120);
    expect_parse(m, 120, CSA_IMAGE_OK, 0xDEAD);
}

static void whole_image_sections(void)
{
    csa_image img;
    uint32_t at = 0;
    uint8_t buf[4096];
    uint8_t payload[100];
    test_image_spec s;
    size_t n;
    const uint8_t *key;
    CHECK_EQ(csa_image_parse(ecdsa_image, 215, &img, &at), CSA_IMAGE_TRUNCATED);
    CHECK_EQ(at, 215);
    CHECK_EQ(csa_image_parse(ecdsa_image, 151, &img, &at), CSA_IMAGE_TRUNCATED);
    memcpy(buf, ecdsa_image, 216);
    buf[216] = 0;
    CHECK_EQ(csa_image_parse(buf, 217, &img, &at), CSA_IMAGE_TRAILING_DATA);
    CHECK_EQ(at, 216);
    /* An encrypted image carries a key block: one entry per device, the entry's wrapped key found by UID. */
    test_payload(payload, sizeof payload, 1);
    s = test_image_default(0x08020000u, payload, sizeof payload);
    s.encryption = 1;
    s.key_entries = 3;
    n = test_image_build(&s, buf, sizeof buf);
    CHECK_EQ(csa_image_parse(buf, n, &img, &at), CSA_IMAGE_OK);
    CHECK_EQ(img.key_entries, 3);
    CHECK_EQ(img.wrapped_key_length, 129);
    {
        uint8_t uid[12] = {2, 0};
        key = csa_image_wrapped_key_for(&img, uid);
        CHECK(key != NULL && key[0] == 0x42);
        uid[0] = 9;
        CHECK(csa_image_wrapped_key_for(&img, uid) == NULL);
    }
    CHECK_EQ(csa_image_parse(buf, n - 1, &img, &at), CSA_IMAGE_TRUNCATED);
    CHECK_EQ(csa_image_parse(buf, 96 + 100 + 64 + 7, &img, &at), CSA_IMAGE_TRUNCATED);
    {
        size_t kb = 96 + 100 + 64;
        buf[kb] ^= 1;
        CHECK_EQ(csa_image_parse(buf, n, &img, &at), CSA_IMAGE_BAD_KEY_BLOCK);
        CHECK_EQ(at, kb);
        buf[kb] ^= 1;
        put(buf, (unsigned)kb + 4, 0, 2);
        CHECK_EQ(csa_image_parse(buf, n, &img, &at), CSA_IMAGE_BAD_KEY_BLOCK);
        CHECK_EQ(at, kb + 4);
        put(buf, (unsigned)kb + 4, 3, 2);
        put(buf, (unsigned)kb + 6, 513, 2);
        CHECK_EQ(csa_image_parse(buf, n, &img, &at), CSA_IMAGE_BAD_KEY_BLOCK);
        CHECK_EQ(at, kb + 6);
        put(buf, (unsigned)kb + 6, 129, 2);
        memcpy(buf + kb + 8 + 2 * 141, buf + kb + 8, 12); /* entry 2 names entry 0's device */
        CHECK_EQ(csa_image_parse(buf, n, &img, &at), CSA_IMAGE_BAD_KEY_BLOCK);
        CHECK_EQ(at, kb + 8 + 2 * 141);
    }
}

static int refused_with(const csa_image_policy *p, const uint8_t *image, unsigned mlen, csa_image_rejection r)
{
    csa_manifest m;
    csa_image_verdict v;
    int rc = csa_image_check_before_erase(p, image, mlen, image + mlen + 32, 64, &m, NULL, &v);
    if ((rc == 0) != (r == CSA_REJECT_NONE) || v.rejection != r)
        fprintf(stderr, "expected rejection %d, got rc %d error %d rejection %d\n", r, rc, v.error, v.rejection);
    return rc != 0 && v.rejection == r;
}

/* Section 6, steps 2-8: each check's refusal, checked before anything else is acted upon. */
static void each_device_check_has_its_refusal(void)
{
    csa_image_policy p = ecdsa_policy();
    csa_trusted_key keys[2];
    uint8_t other_pub[64], digest[32];
    csa_manifest m;
    csa_image_verdict v;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_NONE) == 0);
    p.key_count = 0;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_UNSUPPORTED_AUTHENTICATION));
    csa_p256_public_key(test_other_private, other_pub);
    csa_trusted_key_init(&keys[0], other_pub);
    p.keys = keys;
    p.key_count = 1;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_UNKNOWN_KEY));
    keys[1] = rfc_key;
    memcpy(keys[0].id, rfc_key.id, 8); /* the id selects the key; the signature check then fails */
    p.key_count = 1;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_BAD_SIGNATURE));
    p = ecdsa_policy();
    p.expected_kind = CSA_IMAGE_KIND_BOOTLOADER;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_WRONG_IMAGE_KIND));
    p = ecdsa_policy();
    p.vendor_id = 0xC5A1;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_WRONG_VENDOR));
    p = ecdsa_policy();
    p.device_class_id = 0x402;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_WRONG_DEVICE_CLASS));
    p = ecdsa_policy();
    p.device_uid = stranger;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE));
    p = ecdsa_policy();
    p.minimum_counter = 9;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_SECURITY_COUNTER_TOO_LOW));
    p.check_counter = 0; /* downgrade prevention off */
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_NONE) == 0);
    p = ecdsa_policy();
    p.region_start = 0x08040000u;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_WRONG_LOAD_ADDRESS));
    p = ecdsa_policy();
    p.region_usable = 31;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_TOO_LARGE_FOR_REGION));
    p = ecdsa_policy();
    p.require_encryption = 1;
    CHECK(refused_with(&p, ecdsa_image, 120, CSA_REJECT_ENCRYPTION_REQUIRED));
    /* A CRC image on a device that requires signatures: the algorithm is not trusted. */
    p = ecdsa_policy();
    CHECK_EQ(csa_image_check_before_erase(&p, crc_image, 96, crc_image + 128, 4, &m, NULL, &v), -1);
    CHECK_EQ(v.rejection, CSA_REJECT_UNSUPPORTED_AUTHENTICATION);
    /* The product requires binding: the unbound CRC image is refused. */
    p = crc_policy();
    p.require_binding = 1;
    CHECK_EQ(csa_image_check_before_erase(&p, crc_image, 96, crc_image + 128, 4, &m, NULL, &v), -1);
    CHECK_EQ(v.rejection, CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE);
    /* The authentication block must have its algorithm's length; a manifest with bytes after it is malformed. */
    p = crc_policy();
    CHECK_EQ(csa_image_check_before_erase(&p, crc_image, 96, crc_image + 128, 3, &m, NULL, &v), -1);
    CHECK_EQ(v.rejection, CSA_REJECT_BAD_SIGNATURE);
    CHECK_EQ(csa_image_check_before_erase(&p, crc_image, 97, crc_image + 128, 4, &m, NULL, &v), -1);
    CHECK_EQ(v.error, CSA_IMAGE_TRAILING_DATA);
    CHECK_EQ(v.offset, 96);
    /* Accepted: the manifest digest the device identifies the image by. */
    p = ecdsa_policy();
    CHECK_EQ(csa_image_check_before_erase(&p, ecdsa_image, 120, ecdsa_image + 152, 64, &m, digest, &v), 0);
    {
        uint8_t expected[32];
        csa_sha256(ecdsa_image, 120, expected);
        CHECK(memcmp(digest, expected, 32) == 0);
    }
}

/* security.md 3: images accept the high-S twin (n - s) by default; a product that wants one encoding refuses it. */
static void high_s_is_accepted_unless_the_product_requires_low_s(void)
{
    static const uint8_t n[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                                  0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
    uint8_t sig[64];
    int i, borrow = 0;
    csa_image_policy p = ecdsa_policy();
    csa_manifest m;
    csa_image_verdict v;
    memcpy(sig, ecdsa_image + 152, 64);
    for (i = 31; i >= 0; i--) { /* s' = n - s */
        int d = n[i] - sig[32 + i] - borrow;
        borrow = d < 0;
        sig[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    CHECK_EQ(csa_image_check_before_erase(&p, ecdsa_image, 120, sig, 64, &m, NULL, &v), 0);
    p.require_low_s = 1;
    CHECK_EQ(csa_image_check_before_erase(&p, ecdsa_image, 120, sig, 64, &m, NULL, &v), -1);
    CHECK_EQ(v.rejection, CSA_REJECT_BAD_SIGNATURE);
    CHECK_EQ(csa_image_check_before_erase(&p, ecdsa_image, 120, ecdsa_image + 152, 64, &m, NULL, &v), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (doc = csa_test_read_file(argv[1], NULL)) == NULL) {
        fprintf(stderr, "usage: test_boot_image docs/image-format.md\n");
        return 2;
    }
    crc_len = csa_test_doc_golden(doc, "golden-crc.hex", crc_image, sizeof crc_image);
    ecdsa_len = csa_test_doc_golden(doc, "golden-ecdsa.hex", ecdsa_image, sizeof ecdsa_image);
    csa_trusted_key_init(&rfc_key, test_rfc6979_public);
    (void)other_key;
    RUN(golden_images_are_accepted_with_their_documented_fields);
    RUN(the_builder_reproduces_the_golden_images);
    RUN(every_bit_flip_of_manifest_or_authentication_is_refused);
    RUN(every_payload_change_fails_the_hash);
    RUN(each_manifest_rule_has_its_error_and_offset);
    RUN(whole_image_sections);
    RUN(each_device_check_has_its_refusal);
    RUN(high_s_is_accepted_unless_the_product_requires_low_s);
    free(doc);
    return csa_test_done();
}
