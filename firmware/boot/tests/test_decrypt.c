/* boot.decrypt: encrypted updates on the C bootloader (docs/security.md 4-5): the ECIES golden vector of security.md
 * 5 (read from the document) unwrapped through the key-storage port; encrypted images installed on the F4 and the L4
 * with writes out of order and resent (the flash holds the plaintext, the image starts); a cut in the middle resumes;
 * keys wrapped for another device, for another manifest, or damaged, and images without a key, refused before
 * anything is erased (the flash byte-identical); the content key never in flash.
 * REQ-CONFIDENTIAL, REQ-KEY-EXPOSURE, REQ-TAMPER, REQ-RECOVER. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/decryptor.h"
#include "csa_crypto.h"
#include "device.h"
#include "identity_kit.h"
#include "image_builder.h"

static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
static char *doc;
static test_device dev;
static test_keystore keys;
static csa_keystore_decryptor dec;
static uint8_t image[200000], plain[200000];
static const uint8_t content_key[32] = "content key of this test image!";
static const uint8_t device_private[32] = {0x5E, 0xC2, 0x07, 0x11, 0x9A, 0x30, 0x44, 0x21, 0x0F, 0xEE, 0x18,
                                           0x73, 0x2A, 0x65, 0x90, 0x01, 0xB4, 0x3C, 0x58, 0x7D, 0x12, 0xA9,
                                           0x66, 0x0E, 0x31, 0x8F, 0xD2, 0x45, 0x7B, 0x19, 0xC0, 0x02};

/* A row of a Markdown table in the document: "| name | `hex` |". */
static long table_hex(const char *name, uint8_t *out, size_t cap)
{
    char key[96];
    const char *row, *open, *close;
    char hex[600];
    snprintf(key, sizeof key, "| %s |", name);
    row = strstr(doc, key);
    if (row == NULL || (open = strchr(row + strlen(key), '`')) == NULL || (close = strchr(open + 1, '`')) == NULL
        || (size_t)(close - open - 1) >= sizeof hex) {
        fprintf(stderr, "security.md has no row '%s'\n", name);
        return -1;
    }
    memcpy(hex, open + 1, (size_t)(close - open - 1));
    hex[close - open - 1] = '\0';
    return csa_test_hex(hex, out, cap);
}

static void golden_vector_of_security_md_unwraps_through_the_key_storage(void)
{
    uint8_t d[32], r[65], block[129], ctx[32], ck[32], key[32];
    CHECK_EQ(table_hex("recipient private key d", d, sizeof d), 32);
    CHECK_EQ(table_hex("recipient public key R", r, sizeof r), 65);
    CHECK_EQ(table_hex("context ctx", ctx, sizeof ctx), 32);
    CHECK_EQ(table_hex("content key CK", ck, sizeof ck), 32);
    {
        /* The wrapped block: the fenced block after its caption. */
        const char *at = strstr(doc, "Wrapped key block (129 bytes):");
        const char *fence = at == NULL ? NULL : strstr(at, "```");
        const char *end = fence == NULL ? NULL : strstr(fence + 3, "```");
        char hex[300];
        CHECK(end != NULL && end - fence - 3 < (long)sizeof hex);
        if (end == NULL || end - fence - 3 >= (long)sizeof hex)
            return;
        memcpy(hex, fence + 3, (size_t)(end - fence - 3));
        hex[end - fence - 3] = '\0';
        CHECK_EQ(csa_test_hex(hex, block, sizeof block), 129);
    }
    test_keystore_init(&keys, 1);
    test_keystore_put(&keys, d);
    CHECK(memcmp(keys.record.public_key, r + 1, 64) == 0);
    csa_keystore_decryptor_init(&dec, &keys.soft.port);
    CHECK_EQ(dec.decryptor.unwrap(dec.decryptor.ctx, block, 129, ctx, key), 0);
    CHECK(memcmp(key, ck, 32) == 0);
    /* The same block for another manifest, or under another device's key: refused, no key. */
    ctx[31] ^= 1;
    CHECK_EQ(dec.decryptor.unwrap(dec.decryptor.ctx, block, 129, ctx, key), -1);
    CHECK(memcmp(key, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32) == 0);
    ctx[31] ^= 1;
    test_keystore_put(&keys, device_private);
    CHECK_EQ(dec.decryptor.unwrap(dec.decryptor.ctx, block, 129, ctx, key), -1);
    /* An empty key storage unwraps nothing. */
    test_keystore_init(&keys, 2);
    CHECK_EQ(dec.decryptor.unwrap(dec.decryptor.ctx, block, 129, ctx, key), -1);
}

/* An encrypted application image for the map: AES-256-CTR of the plaintext under content_key with the manifest's
 * nonce; the manifest names the plaintext's SHA-256. Returns its length. */
static size_t encrypted_image(const csa_memory_map *map, uint32_t size, uint8_t major, uint32_t counter)
{
    test_image_spec s;
    csa_image parsed;
    csa_aes_ctr_ctx aes;
    size_t n;
    test_payload(plain, size, major);
    s = test_image_default(map->regions[CSA_REGION_APPLICATION].address, plain, size);
    s.major = major;
    s.security_counter = counter;
    s.encryption = 1;
    s.key_entries = 1;
    n = test_image_build(&s, image, sizeof image);
    CHECK_EQ(csa_image_parse(image, n, &parsed, NULL), CSA_IMAGE_OK);
    CHECK_EQ(csa_aes_ctr_init(&aes, content_key, 32, parsed.manifest.nonce), CSA_CRYPTO_OK);
    csa_aes_ctr_crypt(&aes, 0, plain, (uint8_t *)parsed.payload, size);
    return n;
}

/* The device's entry: the content key wrapped for `recipient` under SHA-256(manifest). */
static void wrap_for(const uint8_t *img, size_t len, const uint8_t recipient[64], uint8_t block[129])
{
    static const uint8_t ephemeral[32] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                          0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                          0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
    csa_image parsed;
    uint8_t ctx[32];
    CHECK_EQ(csa_image_parse(img, len, &parsed, NULL), CSA_IMAGE_OK);
    csa_sha256(parsed.manifest.bytes, parsed.manifest.length, ctx);
    test_ecies_wrap(content_key, recipient, ctx, ephemeral, block);
}

static void power_on_with_key(const csa_memory_map *map)
{
    CHECK_EQ(test_power_on(&dev, test_factory(map, 30000), map), CSA_BL_OK);
    test_keystore_init(&keys, 3);
    test_keystore_put(&keys, device_private);
    csa_keystore_decryptor_init(&dec, &keys.soft.port);
    dev.config.decryptor = &dec.decryptor;
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.start_application, 0);
}

static int flash_holds(const csa_memory_map *map, const uint8_t *data, uint32_t size)
{
    uint8_t *now = (uint8_t *)malloc(size);
    int same = csa_flashsim_read_raw(dev.sim, map->regions[CSA_REGION_APPLICATION].address, now, size) == 0
               && memcmp(now, data, size) == 0;
    free(now);
    return same;
}

static int flash_contains(const uint8_t *needle, size_t n)
{
    size_t len, i;
    uint8_t *all = csa_flashsim_serialize(dev.sim, &len);
    int found = 0;
    for (i = 0; i + n <= len && !found; i++)
        found = memcmp(all + i, needle, n) == 0;
    free(all);
    return found;
}

static void encrypted_images_install_with_writes_in_any_order_and_resent(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        uint32_t size = 70000, chunk = 1024, blocks = (size + chunk - 1) / chunk, i;
        uint8_t wrapped[129], buf[1024], sha[32];
        csa_image parsed;
        csa_bl_begin_answer a;
        csa_bl_write_answer w;
        size_t n;
        int erased;
        power_on_with_key(map);
        n = encrypted_image(map, size, 2, 2);
        CHECK_EQ(csa_image_parse(image, n, &parsed, NULL), CSA_IMAGE_OK);
        wrap_for(image, n, keys.record.public_key, wrapped);
        CHECK_EQ(csa_bl_begin_update(&dev.bl, CSA_TARGET_APPLICATION, parsed.manifest.bytes, parsed.manifest.length,
                                     parsed.auth, parsed.auth_length, wrapped, 129, 1, dev.now, &a),
                 CSA_BL_OK);
        /* The odd writes forwards, the even ones backwards, then ten again (a host resending after lost answers). */
        for (i = 0; i < blocks + 10; i++) {
            uint32_t half = blocks / 2;
            uint32_t b = i < half ? 2 * i + 1 : i < blocks ? 2 * (blocks - 1 - i) : (i * 7) % blocks;
            uint32_t off = b * chunk, len = size - off < chunk ? size - off : chunk;
            memcpy(buf, parsed.payload + off, len);
            CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
            CHECK(memcmp(buf, plain + off, len) == 0); /* decrypted in place */
            CHECK_EQ(csa_bl_erase_ahead(&dev.bl, &erased), CSA_BL_OK);
        }
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, NULL), CSA_BL_OK);
        CHECK(memcmp(sha, parsed.manifest.payload_sha256, 32) == 0);
        CHECK(flash_holds(map, plain, size));
        /* The content key is RAM only: not in flash, and wiped from the session at the next start. */
        CHECK(!flash_contains(content_key, 32));
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 1);
        CHECK_EQ(csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->version_major, 2);
        CHECK_EQ(dev.bl.stats.invariant_refusals, 0);
        test_device_free(&dev);
    }
}

static void a_cut_in_the_middle_of_an_encrypted_update_resumes(void)
{
    const csa_memory_map *map = maps[1];
    uint8_t wrapped[129];
    csa_flashsim_plan plan;
    size_t n;
    power_on_with_key(map);
    n = encrypted_image(map, 60000, 3, 2);
    wrap_for(image, n, keys.record.public_key, wrapped);
    memset(&plan, 0, sizeof plan);
    plan.operation = 20;
    plan.during = 1;
    plan.fraction = 0.5;
    csa_flashsim_arm(dev.sim, &plan);
    CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 768, wrapped, 129), CSA_BL_POWER_LOST);
    csa_flashsim_disarm(dev.sim);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 768, wrapped, 129), CSA_BL_OK);
    CHECK(flash_holds(map, plain, 60000));
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.start_application, 1);
    test_device_free(&dev);
}

static void keys_for_another_device_or_manifest_or_damaged_are_refused_before_anything_is_erased(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        uint8_t wrapped[129], bad[129], other_pub[64];
        uint8_t *before;
        size_t n, len, now_len;
        unsigned i;
        power_on_with_key(map);
        n = encrypted_image(map, 40000, 2, 2);
        before = csa_flashsim_serialize(dev.sim, &len);
        /* Wrapped for another device (a key extracted from device A opens nothing meant for B, and the reverse). */
        (void)csa_p256_public_key(test_other_private, other_pub);
        wrap_for(image, n, other_pub, wrapped);
        CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, wrapped, 129),
                 CSA_BL_KEY_UNWRAP_FAILED);
        /* Wrapped for this device, but for another image's manifest (moved onto this one). */
        {
            size_t n2;
            uint8_t keep[96];
            memcpy(keep, image, 96);
            n2 = encrypted_image(map, 40000, 2, 3); /* another manifest */
            wrap_for(image, n2, keys.record.public_key, wrapped);
            n = encrypted_image(map, 40000, 2, 2);
            CHECK(memcmp(keep, image, 96) == 0);
            CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, wrapped, 129),
                     CSA_BL_KEY_UNWRAP_FAILED);
        }
        /* Damaged: a bit flipped in E, in C and in T (the whole flip table runs in crypto.ecies). */
        wrap_for(image, n, keys.record.public_key, wrapped);
        for (i = 0; i < 129; i += 16) {
            memcpy(bad, wrapped, 129);
            bad[i] ^= (uint8_t)(1u << (i % 8));
            CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, bad, 129),
                     CSA_BL_KEY_UNWRAP_FAILED);
        }
        /* Too short, none at all, and a device whose key storage is empty. */
        CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, wrapped, 128),
                 CSA_BL_KEY_UNWRAP_FAILED);
        CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, NULL, 0),
                 CSA_BL_KEY_UNWRAP_FAILED);
        memset(&keys.record, 0, sizeof keys.record);
        CHECK_EQ(test_host_update_wrapped(&dev, CSA_TARGET_APPLICATION, image, n, 1024, wrapped, 129),
                 CSA_BL_KEY_UNWRAP_FAILED);
        {
            uint8_t *now = csa_flashsim_serialize(dev.sim, &now_len);
            CHECK(now_len == len && memcmp(now, before, len) == 0); /* not a byte written */
            free(now);
        }
        free(before);
        test_device_free(&dev);
    }
}

int main(int argc, char **argv)
{
    size_t len;
    if (argc < 2 || (doc = csa_test_read_file(argv[1], &len)) == NULL) {
        fprintf(stderr, "usage: test_boot_decrypt docs/security.md\n");
        return 2;
    }
    RUN(golden_vector_of_security_md_unwraps_through_the_key_storage);
    RUN(encrypted_images_install_with_writes_in_any_order_and_resent);
    RUN(a_cut_in_the_middle_of_an_encrypted_update_resumes);
    RUN(keys_for_another_device_or_manifest_or_damaged_are_refused_before_anything_is_erased);
    free(doc);
    return csa_test_done();
}
