#include "image_builder.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "csa_crypto.h"

const uint8_t test_rfc6979_private[32] = {0xC9, 0xAF, 0xA9, 0xD8, 0x45, 0xBA, 0x75, 0x16, 0x6B, 0x5C, 0x21,
                                          0x57, 0x67, 0xB1, 0xD6, 0x93, 0x4E, 0x50, 0xC3, 0xDB, 0x36, 0xE8,
                                          0x9B, 0x12, 0x7B, 0x8A, 0x62, 0x2B, 0x12, 0x0F, 0x67, 0x21};
const uint8_t test_rfc6979_public[64] = {
    0x60, 0xFE, 0xD4, 0xBA, 0x25, 0x5A, 0x9D, 0x31, 0xC9, 0x61, 0xEB, 0x74, 0xC6, 0x35, 0x6D, 0x68,
    0xC0, 0x49, 0xB8, 0x92, 0x3B, 0x61, 0xFA, 0x6C, 0xE6, 0x69, 0x62, 0x2E, 0x60, 0xF2, 0x9F, 0xB6,
    0x79, 0x03, 0xFE, 0x10, 0x08, 0xB8, 0xBC, 0x99, 0xA4, 0x1A, 0xE9, 0xE9, 0x56, 0x28, 0xBC, 0x64,
    0xF2, 0xF1, 0xB2, 0x0C, 0x2D, 0x7E, 0x9F, 0x51, 0x77, 0xA3, 0xC2, 0x94, 0xD4, 0x46, 0x22, 0x99};
const uint8_t test_other_private[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,
                                        0xCC, 0xDD, 0xEE, 0xF0, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67,
                                        0x78, 0x89, 0x9A, 0xAB, 0xBC, 0xCD, 0xDE, 0xEF, 0xF1, 0x02};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

size_t test_image_build(const test_image_spec *s, uint8_t *out, size_t cap)
{
    size_t mlen = 96u + 12u * s->binding_count, alen = s->authentication == 1 ? 4u : 64u;
    size_t kb = s->encryption != 0 ? 8u + (size_t)s->key_entries * (12u + 129u) : 0u;
    size_t total = mlen + s->payload_size + alen + kb;
    uint8_t *m = out;
    if (total > cap)
        return 0;
    memset(m, 0, mlen);
    put32(m, 0x49415343u);
    put16(m + 4, 1);
    put16(m + 6, (uint32_t)mlen);
    m[8] = s->kind;
    m[9] = s->authentication;
    m[10] = s->encryption;
    m[11] = s->binding_count;
    put32(m + 12, s->vendor_id);
    put32(m + 16, s->device_class_id);
    m[20] = s->major;
    m[21] = s->minor;
    put16(m + 22, s->patch);
    put32(m + 24, s->build);
    put32(m + 28, s->security_counter);
    put32(m + 32, s->load_address);
    put32(m + 36, s->payload_size);
    csa_sha256(s->payload, s->payload_size, m + 40); /* over the plaintext, also when encrypted */
    if (s->encryption != 0)
        memset(m + 72, 0x5A, 16);
    if (s->authentication == 2) {
        uint8_t pub[64], digest[32];
        static const uint8_t four = 0x04;
        csa_sha256_ctx c;
        csa_p256_public_key(s->private_key, pub);
        csa_sha256_init(&c);
        csa_sha256_update(&c, &four, 1);
        csa_sha256_update(&c, pub, 64);
        csa_sha256_final(&c, digest);
        memcpy(m + 88, digest, 8);
    }
    if (s->binding_count > 0)
        memcpy(m + 96, s->bound, 12u * s->binding_count);
    memcpy(out + mlen, s->payload, s->payload_size); /* the "ciphertext" of a test key block image is the plaintext */
    if (s->authentication == 1) {
        put32(out + mlen + s->payload_size, csa_crc32(m, mlen));
    } else {
        uint8_t digest[32];
        csa_sha256(m, mlen, digest);
        csa_p256_sign(s->private_key, digest, out + mlen + s->payload_size);
    }
    if (kb != 0) {
        uint8_t *k = out + mlen + s->payload_size + alen;
        uint16_t i;
        put32(k, 0x4B415343u);
        put16(k + 4, s->key_entries);
        put16(k + 6, 129);
        for (i = 0; i < s->key_entries; i++) {
            uint8_t *e = k + 8 + (size_t)i * (12u + 129u);
            memset(e, 0, 12);
            put16(e, i);
            memset(e + 12, (int)(0x40 + i), 129);
        }
    }
    return total;
}

test_image_spec test_image_default(uint32_t load_address, const uint8_t *payload, uint32_t size)
{
    test_image_spec s;
    memset(&s, 0, sizeof s);
    s.kind = 1;
    s.authentication = 2;
    s.vendor_id = 0x0000C5A0u;
    s.device_class_id = 0x00000401u;
    s.major = 1;
    s.security_counter = 1;
    s.load_address = load_address;
    s.payload = payload;
    s.payload_size = size;
    s.private_key = test_rfc6979_private;
    return s;
}

void test_payload(uint8_t *out, uint32_t size, uint32_t seed)
{
    uint32_t i;
    for (i = 0; i < size; i++)
        out[i] = (uint8_t)((i * 131u + seed + (i >> 8) * 7u) & 0xFFu);
}
