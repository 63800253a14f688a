/* Builds firmware images for the tests (docs/image-format.md): manifest, payload, authentication block (CRC-32 or
 * an ECDSA P-256 signature made with csa_p256_sign, RFC 6979), optional key block. */
#ifndef CSA_TEST_IMAGE_BUILDER_H_
#define CSA_TEST_IMAGE_BUILDER_H_

#include <stddef.h>
#include <stdint.h>

typedef struct test_image_spec {
    uint8_t kind;            /* 1 application, 2 bootloader */
    uint8_t authentication;  /* 1 CRC-32, 2 ECDSA */
    uint8_t encryption;      /* 0 none (1: a key block of key_entries fake entries is appended, nonce 0x5A..) */
    uint32_t vendor_id;
    uint32_t device_class_id;
    uint8_t major, minor;
    uint16_t patch;
    uint32_t build;
    uint32_t security_counter;
    uint32_t load_address;
    const uint8_t *payload;
    uint32_t payload_size;
    const uint8_t *bound;    /* binding_count x 12 bytes */
    uint8_t binding_count;
    const uint8_t *private_key; /* 32 bytes, for ECDSA */
    uint16_t key_entries;
} test_image_spec;

/* The RFC 6979 A.2.5 P-256 test key (the key of the golden ECDSA image). */
extern const uint8_t test_rfc6979_private[32];
extern const uint8_t test_rfc6979_public[64];
/* A second key, for "unknown key" tests. */
extern const uint8_t test_other_private[32];

/* Writes the image into out (capacity cap); returns its length, or 0 when it does not fit. manifest_length and
 * auth_length give the sections' sizes. */
size_t test_image_build(const test_image_spec *spec, uint8_t *out, size_t cap);

/* A spec for an application image of the tests' product (vendor 0x0000C5A0, class 0x00000401). */
test_image_spec test_image_default(uint32_t load_address, const uint8_t *payload, uint32_t size);

/* A deterministic payload: byte i = (i * 131 + seed) & 0xFF, with a little variation per 256 bytes. */
void test_payload(uint8_t *out, uint32_t size, uint32_t seed);

#endif
