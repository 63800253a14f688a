/* boot.update: the bootloader's start-up decision and update engine (docs/device-model.md 5.2 and 6) on F4 and L4:
 * application and bootloader updates, every refusal before anything is erased (flash byte-identical afterwards),
 * Write's idempotence and conflicts, FinishUpdate's verification and repetition, AbortUpdate, GetStatus,
 * GetRegionHash's granule rule, resumption after a reset, and the requested stay's deadline.
 * REQ-UPD-APP, REQ-UPD-BL, REQ-RECOVER, REQ-AUTH-FW, REQ-DOWNGRADE, REQ-DEVICE-BOUND, REQ-BOOT-VERIFY. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/otp_counter.h"
#include "device.h"
#include "image_builder.h"

static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
static uint8_t image[800000];
static test_device dev;

static void fresh(const csa_memory_map *map, uint32_t app_size)
{
    CHECK_EQ(test_power_on(&dev, test_factory(map, app_size), map), CSA_BL_OK);
}

static uint8_t *snapshot(size_t *len)
{
    return csa_flashsim_serialize(dev.sim, len);
}

static void unchanged_since(uint8_t *before, size_t len)
{
    size_t now_len;
    uint8_t *now = snapshot(&now_len);
    CHECK(now_len == len && memcmp(now, before, len) == 0); /* byte-identical flash */
    free(now);
    free(before);
}

static csa_bl_status begin_image(uint8_t target, const uint8_t *img, size_t len, uint32_t owner, uint32_t *resume)
{
    csa_image parsed;
    csa_bl_begin_answer a;
    csa_bl_status st;
    CHECK_EQ(csa_image_parse(img, len, &parsed, NULL), CSA_IMAGE_OK);
    st = csa_bl_begin_update(&dev.bl, target, parsed.manifest.bytes, parsed.manifest.length, parsed.auth,
                             parsed.auth_length, NULL, 0, owner, dev.now, &a);
    if (resume != NULL)
        *resume = a.resume_offset;
    return st;
}

static void application_runs_after_the_factory_and_stays_when_requested(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        fresh(maps[m], 30000);
        CHECK_EQ(dev.decision.running, CSA_REGION_BOOTLOADER_A);
        CHECK_EQ(dev.decision.start_application, 1);
        CHECK_EQ(csa_bl_get_status(&dev.bl, &(csa_bl_status_answer){0}), CSA_BL_NOT_ALLOWED); /* the application runs */
        CHECK_EQ(csa_state_request_bootloader(&dev.flash, maps[m], 120), CSA_FLASH_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 0);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_REQUESTED);
        test_device_free(&dev);
        fresh(maps[m], 0);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_NO_VALID_APPLICATION);
        test_device_free(&dev);
    }
}

static void application_update_end_to_end(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        csa_bl_status_answer s;
        uint32_t otp = 0;
        size_t n = test_make_image(maps[m], CSA_REGION_APPLICATION, 2, 140000, 3, image, sizeof image);
        fresh(maps[m], 30000);
        CHECK_EQ(csa_state_request_bootloader(&dev.flash, maps[m], 0), CSA_FLASH_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
        CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
        CHECK_EQ(s.phase, CSA_PHASE_COMPLETE);
        CHECK_EQ(s.regions[CSA_REGION_APPLICATION].state, CSA_REGION_VALID);
        CHECK_EQ(s.regions[CSA_REGION_APPLICATION].version_major, 2);
        CHECK_EQ(s.device_security_counter, 3);
        CHECK_EQ(s.bytes_committed, 140000);
        CHECK_EQ(csa_otp_counter_read(&dev.flash, &maps[m]->counter_otp, &otp), CSA_FLASH_OK);
        CHECK_EQ(otp, 3); /* the floor follows the installed counter */
        CHECK_EQ(dev.bl.stats.invariant_refusals, 0);
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->reprogrammed_units, 0);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 1); /* the completed update cleared the request */
        CHECK_EQ(csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->version_major, 2);
        test_device_free(&dev);
    }
}

static void bootloader_update_through_the_other_copy(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        size_t n = test_make_image(maps[m], CSA_REGION_BOOTLOADER_B, 2, 40000, 1, image, sizeof image);
        uint32_t resume;
        fresh(maps[m], 30000);
        CHECK_EQ(csa_state_request_bootloader(&dev.flash, maps[m], 0), CSA_FLASH_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_OTHER_BOOTLOADER, image, n, 512), CSA_BL_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.running, CSA_REGION_BOOTLOADER_B); /* the newer copy runs */
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_REQUESTED);   /* a bootloader update keeps the request */
        /* The new copy writes only the other one: the same image is now for the wrong location. */
        CHECK_EQ(begin_image(CSA_TARGET_OTHER_BOOTLOADER, image, n, 1, &resume), CSA_BL_WRONG_LOCATION);
        n = test_make_image(maps[m], CSA_REGION_BOOTLOADER_A, 3, 30000, 1, image, sizeof image);
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_OTHER_BOOTLOADER, image, n, 1024), CSA_BL_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.running, CSA_REGION_BOOTLOADER_A);
        test_device_free(&dev);
    }
}

/* Every refusal of BeginUpdate leaves the flash byte-identical: nothing is erased or written (THREAT.IMG.*). */
static void every_refusal_happens_before_anything_is_erased(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    static uint8_t payload[4096];
    test_image_spec spec;
    struct {
        const char *what;
        uint8_t target;
        csa_bl_status expected;
        int mutate;
    } cases[] = {
        {"malformed manifest", CSA_TARGET_APPLICATION, CSA_BL_BAD_MANIFEST, 1},
        {"unknown key", CSA_TARGET_APPLICATION, CSA_BL_UNKNOWN_KEY, 2},
        {"bad signature", CSA_TARGET_APPLICATION, CSA_BL_BAD_SIGNATURE, 3},
        {"CRC image on a signing product", CSA_TARGET_APPLICATION, CSA_BL_BAD_SIGNATURE, 4},
        {"bootloader image for the application", CSA_TARGET_APPLICATION, CSA_BL_WRONG_TARGET, 5},
        {"other vendor", CSA_TARGET_APPLICATION, CSA_BL_WRONG_TARGET, 6},
        {"other class", CSA_TARGET_APPLICATION, CSA_BL_WRONG_TARGET, 7},
        {"undefined target", 9, CSA_BL_WRONG_TARGET, 0},
        {"bound to another device", CSA_TARGET_APPLICATION, CSA_BL_NOT_BOUND_TO_THIS_DEVICE, 8},
        {"counter below the device's", CSA_TARGET_APPLICATION, CSA_BL_SECURITY_COUNTER_TOO_LOW, 9},
        {"linked for another address", CSA_TARGET_APPLICATION, CSA_BL_WRONG_LOCATION, 10},
        {"larger than the usable size", CSA_TARGET_APPLICATION, CSA_BL_WRONG_LOCATION, 11},
    };
    unsigned i;
    test_payload(payload, sizeof payload, 5);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n, len;
        uint8_t *before;
        static uint8_t big[760000];
        uint8_t *img = image;
        fresh(map, 30000);
        CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        /* The device's counter is 2 (its application says so). */
        n = test_make_image(map, CSA_REGION_APPLICATION, 1, 30000, 2, image, sizeof image);
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
        spec = test_image_default(map->regions[CSA_REGION_APPLICATION].address, payload, sizeof payload);
        spec.security_counter = 2;
        switch (cases[i].mutate) {
        case 2: spec.private_key = test_other_private; break;
        case 4: spec.authentication = 1; break;
        case 5: spec.kind = CSA_IMAGE_KIND_BOOTLOADER; break;
        case 6: spec.vendor_id++; break;
        case 7: spec.device_class_id++; break;
        case 8: spec.bound = (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C"; spec.binding_count = 1; break;
        case 9: spec.security_counter = 1; break;
        case 10: spec.load_address += 0x800; break;
        case 11: spec.payload = big; spec.payload_size = 749568 + 1; break;
        default: break;
        }
        n = test_image_build(&spec, img, sizeof image);
        if (cases[i].mutate == 1)
            img[11] = 40; /* binding count */
        if (cases[i].mutate == 3)
            img[96 + spec.payload_size + 10] ^= 0x01;
        before = snapshot(&len);
        {
            const uint8_t *auth = img + 96 + spec.binding_count * 12 + spec.payload_size;
            csa_bl_begin_answer a;
            csa_bl_status st = csa_bl_begin_update(&dev.bl, cases[i].target, img, (uint16_t)(96 + 12 * spec.binding_count),
                                                   auth, spec.authentication == 1 ? 4 : 64, NULL, 0, 1, dev.now, &a);
            if (st != cases[i].expected)
                fprintf(stderr, "case '%s': %d\n", cases[i].what, st);
            CHECK_EQ(st, cases[i].expected);
        }
        unchanged_since(before, len);
        test_device_free(&dev);
    }
}

static void more_refusals_before_erase(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    size_t n, len;
    uint8_t *before;
    csa_bl_begin_answer a;
    csa_image img;
    fresh(map, 0);
    n = test_make_image(map, CSA_REGION_APPLICATION, 2, 5000, 1, image, sizeof image);
    csa_image_parse(image, n, &img, NULL);
    before = snapshot(&len);
    /* A plaintext image with a wrapped key: the host and the image disagree. */
    CHECK_EQ(csa_bl_begin_update(&dev.bl, CSA_TARGET_APPLICATION, img.manifest.bytes, img.manifest.length, img.auth, 64,
                                 (const uint8_t *)"key", 3, 1, dev.now, &a), CSA_BL_KEY_UNWRAP_FAILED);
    /* A manifest with a byte more than its length. */
    CHECK_EQ(csa_bl_begin_update(&dev.bl, CSA_TARGET_APPLICATION, image, 97, img.auth, 64, NULL, 0, 1, dev.now, &a),
             CSA_BL_BAD_MANIFEST);
    /* The product requires encryption. */
    dev.config.require_encryption = 1;
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_ENCRYPTION_REQUIRED);
    dev.config.require_encryption = 0;
    /* The product requires binding: an unbound image is refused. */
    dev.config.require_binding = 1;
    dev.bl.policy.require_binding = 1;
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_NOT_BOUND_TO_THIS_DEVICE);
    dev.config.require_binding = 0;
    dev.bl.policy.require_binding = 0;
    unchanged_since(before, len);
    /* An encrypted image on a device without a decryptor: the key cannot unwrap. */
    {
        static uint8_t payload[2000];
        test_image_spec spec;
        test_payload(payload, sizeof payload, 9);
        spec = test_image_default(map->regions[CSA_REGION_APPLICATION].address, payload, sizeof payload);
        spec.encryption = 1;
        spec.key_entries = 1;
        n = test_image_build(&spec, image, sizeof image);
        csa_image_parse(image, n, &img, NULL);
        before = snapshot(&len);
        CHECK_EQ(csa_bl_begin_update(&dev.bl, CSA_TARGET_APPLICATION, img.manifest.bytes, img.manifest.length, img.auth,
                                     64, img.key_block + 8 + 12, 129, 1, dev.now, &a), CSA_BL_KEY_UNWRAP_FAILED);
        unchanged_since(before, len);
    }
    test_device_free(&dev);
    /* A blank product that requires provisioning (the lifecycle gate): checked before the manifest. */
    fresh(map, 30000);
    CHECK_EQ(csa_bl_init(&dev.bl, &dev.config, &dev.flash), 0);
    CHECK_EQ(csa_bl_start(&dev.bl, 0, CSA_STAY_NOT_PROVISIONED, &dev.decision), CSA_BL_OK);
    CHECK_EQ(dev.decision.stay_reason, CSA_STAY_NOT_PROVISIONED);
    CHECK_EQ(dev.decision.start_application, 0);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_NOT_PROVISIONED);
    test_device_free(&dev);
}

static void writes_are_idempotent_and_never_program_twice(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 10000, 1, image, sizeof image);
        csa_image img;
        csa_bl_write_answer w;
        uint8_t buf[1024], sha[32];
        uint64_t programs;
        uint32_t missing = 0, resume = 7;
        fresh(map, 0);
        csa_image_parse(image, n, &img, NULL);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, buf, 16, dev.now, &w), CSA_BL_NO_UPDATE_IN_PROGRESS);
        CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, &resume), CSA_BL_OK);
        CHECK_EQ(resume, 0);
        memcpy(buf, img.payload + 1024, 1024);
        CHECK_EQ(csa_bl_write(&dev.bl, 1024, buf, 1024, dev.now, &w), CSA_BL_OK); /* out of order */
        CHECK_EQ(w.bytes_committed, 0);
        programs = csa_flashsim_get_stats(dev.sim)->programs;
        memcpy(buf, img.payload + 1024, 1024);
        CHECK_EQ(csa_bl_write(&dev.bl, 1024, buf, 1024, dev.now, &w), CSA_BL_OK); /* a duplicate */
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->programs, programs);            /* compared, not programmed */
        CHECK_EQ(dev.bl.stats.duplicate_blocks, 64);
        buf[5] ^= 1;
        CHECK_EQ(csa_bl_write(&dev.bl, 1024, buf, 1024, dev.now, &w), CSA_BL_WRITE_CONFLICT);
        CHECK_EQ(csa_bl_write(&dev.bl, 8, buf, 16, dev.now, &w), CSA_BL_MISALIGNED);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, buf, 24, dev.now, &w), CSA_BL_MISALIGNED);
        CHECK_EQ(csa_bl_write(&dev.bl, 9984, buf, 32, dev.now, &w), CSA_BL_OUT_OF_RANGE);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, buf, 0, dev.now, &w), CSA_BL_OUT_OF_RANGE);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, image, 1040, dev.now, &w), CSA_BL_OUT_OF_RANGE); /* > max write size */
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_INCOMPLETE);
        CHECK_EQ(missing, 0);
        memcpy(buf, img.payload, 1024);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, buf, 1024, dev.now, &w), CSA_BL_OK);
        CHECK_EQ(w.bytes_committed, 2048);
        /* The last write may end the payload with a length that is not a multiple of 16. */
        {
            uint32_t off;
            for (off = 2048; off < 10000; off += 1024) {
                uint32_t len = 10000 - off < 1024 ? 10000 - off : 1024;
                memcpy(buf, img.payload + off, len);
                CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
            }
        }
        CHECK_EQ(w.bytes_committed, 10000);
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_OK);
        CHECK(memcmp(sha, img.manifest.payload_sha256, 32) == 0);
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_OK); /* again: the same answer */
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->reprogrammed_units, 0);
        /* After a reset: the journal and the installed trailer answer it. */
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 1);
        dev.bl.application_runs = 0; /* as if the host had asked to stay */
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_OK);
        CHECK(memcmp(sha, img.manifest.payload_sha256, 32) == 0);
        test_device_free(&dev);
    }
}

static void a_payload_that_is_not_the_manifests_is_sent_again(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 5000, 1, image, sizeof image);
    csa_image img;
    csa_bl_write_answer w;
    uint8_t buf[1024], sha[32];
    uint32_t off, missing;
    fresh(map, 0);
    csa_image_parse(image, n, &img, NULL);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
    for (off = 0; off < 5000; off += 1024) {
        uint32_t len = 5000 - off < 1024 ? 5000 - off : 1024;
        memcpy(buf, img.payload + off, len);
        if (off == 2048)
            buf[100] ^= 0x80; /* the host sends a damaged chunk */
        CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
    }
    CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_PAYLOAD_HASH_MISMATCH);
    CHECK_EQ(dev.bl.record.watermark, 0);
    CHECK_EQ(csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->state != CSA_REGION_VALID, 1);
    /* Sent again correctly: every sector is erased again before its program. */
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->reprogrammed_units, 0);
    test_device_free(&dev);
}

static void abort_and_busy(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 5000, 1, image, sizeof image), n2;
    static uint8_t other[10000];
    csa_bl_status_answer s;
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(csa_bl_abort_update(&dev.bl, dev.now), CSA_BL_OK); /* idle: nothing written */
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->operations, 1);  /* the request only */
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
    CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
    CHECK_EQ(s.phase, CSA_PHASE_RECEIVING);
    CHECK_EQ(s.regions[CSA_REGION_APPLICATION].state, CSA_REGION_UPDATING);
    CHECK_EQ(s.target, CSA_TARGET_APPLICATION);
    /* Another host may not replace the session with another image; it may resume the same one. */
    n2 = test_make_image(map, CSA_REGION_APPLICATION, 3, 5000, 1, other, sizeof other);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, other, n2, 2, NULL), CSA_BL_BUSY);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 2, NULL), CSA_BL_OK);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, other, n2, 1, NULL), CSA_BL_BUSY); /* ownership moved to host 2 */
    CHECK_EQ(csa_bl_abort_update(&dev.bl, dev.now), CSA_BL_OK);
    CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
    CHECK_EQ(s.phase, CSA_PHASE_IDLE);
    CHECK(s.regions[CSA_REGION_APPLICATION].state != CSA_REGION_VALID); /* the old application is gone */
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.stay_reason, CSA_STAY_NO_VALID_APPLICATION);
    test_device_free(&dev);
}

static void region_hash_answers_granules_and_the_valid_payload_only(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    uint8_t sha[32], expected[32];
    const csa_region *app = &map->regions[CSA_REGION_APPLICATION];
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    /* REQ-CONFIDENTIAL: no byte-by-byte read-out through hashes of short ranges. */
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 0, 1, sha), CSA_BL_RANGE_NOT_ALLOWED);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 512, 1024, sha), CSA_BL_RANGE_NOT_ALLOWED);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 0, 29999, sha), CSA_BL_RANGE_NOT_ALLOWED);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 0, app->size + 1024, sha), CSA_BL_OUT_OF_RANGE);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, 4, 0, 1024, sha), CSA_BL_NOT_ALLOWED);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 0, 30000, sha), CSA_BL_OK);
    CHECK(memcmp(sha, csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->payload_sha256, 32) == 0);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 2048, 4096, sha), CSA_BL_OK);
    CHECK_EQ(csa_flash_sha256(&dev.flash, app->address + 2048, 4096, expected), CSA_FLASH_OK);
    CHECK(memcmp(sha, expected, 32) == 0);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_PRE_BOOTLOADER, 0, 1024, sha), CSA_BL_OK);
    test_device_free(&dev);
}

static void status_reports_regions_counter_and_usable_sizes(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    csa_bl_status_answer s;
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
    CHECK_EQ(s.running_copy, CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(s.stay_reason, CSA_STAY_REQUESTED);
    CHECK_EQ(s.phase, CSA_PHASE_IDLE);
    CHECK_EQ(s.regions[0].state, CSA_REGION_VALID); /* the pre-bootloader */
    CHECK_EQ(s.regions[0].version_major, 1);
    CHECK_EQ(s.regions[CSA_REGION_BOOTLOADER_A].state, CSA_REGION_VALID);
    CHECK_EQ(s.regions[CSA_REGION_BOOTLOADER_B].state, CSA_REGION_EMPTY);
    CHECK_EQ(s.regions[CSA_REGION_APPLICATION].state, CSA_REGION_VALID);
    CHECK_EQ(s.regions[CSA_REGION_APPLICATION].start, 0x08060000u);
    CHECK_EQ(s.regions[CSA_REGION_APPLICATION].size, 655360u);
    CHECK_EQ(s.regions[CSA_REGION_APPLICATION].usable_size, 651264u);
    CHECK_EQ(s.device_security_counter, 1);
    CHECK_EQ(s.write_alignment, 16);
    CHECK_EQ(s.max_write_size, 1024);
    dev.config.downgrade_prevention = 0;
    CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
    CHECK_EQ(s.device_security_counter, 0);
    test_device_free(&dev);
}

/* After a reset the session is gone: writes answer NoUpdateInProgress until BeginUpdate of the same image resumes
 * from the persisted watermark, which is at most one checkpoint interval behind what was acknowledged. */
static void resume_after_a_reset_loses_at_most_one_checkpoint(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 300000, 1, image, sizeof image);
        csa_image img;
        csa_bl_write_answer w;
        csa_bl_status_answer s;
        uint8_t buf[1024];
        uint32_t off, resume = 0, held = 0;
        int erased;
        fresh(map, 0);
        csa_image_parse(image, n, &img, NULL);
        CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
        for (off = 0; off < 200000; off += 1024) {
            memcpy(buf, img.payload + off, 1024);
            CHECK_EQ(csa_bl_write(&dev.bl, off, buf, 1024, dev.now, &w), CSA_BL_OK);
            CHECK_EQ(csa_bl_erase_ahead(&dev.bl, &erased), CSA_BL_OK);
            held = w.bytes_committed;
        }
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_UPDATE_IN_PROGRESS);
        CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
        CHECK_EQ(s.phase, CSA_PHASE_RECEIVING);
        CHECK_EQ(s.regions[CSA_REGION_APPLICATION].state, CSA_REGION_UPDATING);
        memcpy(buf, img.payload, 1024);
        CHECK_EQ(csa_bl_write(&dev.bl, 0, buf, 1024, dev.now, &w), CSA_BL_NO_UPDATE_IN_PROGRESS);
        CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, &resume), CSA_BL_OK);
        CHECK(resume <= held && held - resume <= 16384);
        CHECK_EQ(s.bytes_committed, resume);
        /* continue in the watermark's sector by comparison: nothing is programmed twice */
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->reprogrammed_units, 0);
        CHECK_EQ(dev.bl.stats.invariant_refusals, 0);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 1);
        test_device_free(&dev);
    }
}

static void a_reinstall_writes_nothing(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 1, 30000, 1, image, sizeof image); /* the factory's */
    uint64_t ops;
    uint32_t resume = 0;
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    ops = csa_flashsim_get_stats(dev.sim)->operations;
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, &resume), CSA_BL_OK);
    CHECK_EQ(resume, 30000);
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->operations, ops); /* already installed: nothing erased */
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
    /* Only the Complete record (the request cleared) and the OTP floor's first step (the factory left it at 0);
     * nothing erased or programmed in the region. */
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->operations, ops + 2);
    {
        uint32_t otp = 0;
        CHECK_EQ(csa_otp_counter_read(&dev.flash, &map->counter_otp, &otp), CSA_FLASH_OK);
        CHECK_EQ(otp, 1);
    }
    test_device_free(&dev);
}

/* The requested stay ends after its wait without an update command; reads never extend it (issue 13 item 2). */
static void the_requested_stay_ends_after_its_wait(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    csa_bl_status_answer s;
    uint8_t sha[32];
    size_t n = test_make_image(map, CSA_REGION_BOOTLOADER_B, 2, 3000, 1, image, sizeof image);
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 120), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.stay_reason, CSA_STAY_REQUESTED);
    CHECK(!csa_bl_stay_expired(&dev.bl, dev.now + 119999));
    CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
    CHECK_EQ(csa_bl_get_region_hash(&dev.bl, CSA_REGION_APPLICATION, 0, 1024, sha), CSA_BL_OK);
    CHECK(csa_bl_stay_expired(&dev.bl, dev.now + 120000)); /* the reads did not move it */
    /* An update command restarts the wait. */
    dev.now += 60000;
    CHECK_EQ(begin_image(CSA_TARGET_OTHER_BOOTLOADER, image, n, 1, NULL), CSA_BL_OK);
    CHECK(!csa_bl_stay_expired(&dev.bl, dev.now + 119999));
    CHECK(csa_bl_stay_expired(&dev.bl, dev.now + 120000));
    CHECK_EQ(csa_bl_abort_update(&dev.bl, dev.now), CSA_BL_OK);
    CHECK_EQ(csa_bl_end_requested_stay(&dev.bl), CSA_BL_OK);
    CHECK(!csa_bl_stay_expired(&dev.bl, dev.now + 1000000));
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.start_application, 1); /* the application runs again */
    /* A wait of 0 stays until an update or a reset: no deadline. */
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK(!csa_bl_stay_expired(&dev.bl, dev.now + 100000000));
    test_device_free(&dev);
}

/* With erase-ahead, in-order writes never wait for an erase: the main loop's idle steps erase the sector after the
 * contiguous prefix first. Without it, each sector is erased by the first write into it. */
static void erase_ahead_runs_in_payload_order(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 20000, 1, image, sizeof image);
    csa_image img;
    csa_bl_write_answer w;
    uint8_t buf[1024];
    uint32_t off;
    int erased = 0, steps = 0;
    fresh(map, 0);
    csa_image_parse(image, n, &img, NULL);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->erases, 0); /* BeginUpdate erased nothing: the journal revoked the region */
    do {
        uint64_t before = csa_flashsim_get_stats(dev.sim)->erases;
        CHECK_EQ(csa_bl_erase_ahead(&dev.bl, &erased), CSA_BL_OK);
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->erases, before + (uint64_t)erased); /* one sector per step */
        steps += erased;
    } while (erased);
    CHECK_EQ(steps, 12); /* the payload's 10 pages, then the trailer's 2 */
    {
        uint64_t erases = csa_flashsim_get_stats(dev.sim)->erases;
        for (off = 0; off < 20000; off += 1024) {
            uint32_t len = 20000 - off < 1024 ? 20000 - off : 1024;
            memcpy(buf, img.payload + off, len);
            CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
        }
        CHECK_EQ(csa_flashsim_get_stats(dev.sim)->erases, erases); /* no write waited for an erase */
    }
    test_device_free(&dev);

    fresh(map, 0);
    dev.config.erase_ahead = 0;
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
    CHECK_EQ(csa_bl_erase_ahead(&dev.bl, &erased), CSA_BL_OK);
    CHECK_EQ(erased, 0);
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
    CHECK_EQ(dev.bl.stats.erased_ahead, 0);
    test_device_free(&dev);
}

/* device-model.md 6.2 and 6.3: BeginUpdate of a new image appends its Receiving record with the target's revoked bit and
 * answers with nothing erased. From that record on the old image is not valid, whatever its trailer still holds: a
 * reset finds the update in progress, an abort leaves a region with no valid image (the bootloader stays), and
 * only the commit (the Complete record) clears the bit. REQ-RECOVER, REQ-BOOT-VERIFY. */
static void begin_revokes_the_target_and_erases_nothing(void)
{
    unsigned m;
    for (m = 0; m < 2; m++) {
        const csa_memory_map *map = maps[m];
        size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 60000, 2, image, sizeof image);
        const csa_flashsim_stats *st;
        csa_region_check raw;
        csa_bl_status_answer s;
        uint64_t ops, programs;
        uint32_t resume = 1;
        fresh(map, 30000);
        CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        st = csa_flashsim_get_stats(dev.sim);
        ops = st->operations;
        programs = st->programs;
        CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, &resume), CSA_BL_OK);
        CHECK_EQ(resume, 0);
        CHECK_EQ(st->operations, ops + 1); /* the journal append, nothing else */
        CHECK_EQ(st->programs, programs + 1);
        CHECK_EQ(dev.bl.record.revoked, CSA_STATE_REVOKED_BIT(CSA_REGION_APPLICATION));
        /* The old application's flash still holds it, whole; the journal says it is being rewritten. */
        CHECK_EQ(csa_region_inspect(&dev.flash, &map->regions[CSA_REGION_APPLICATION], CSA_IMAGE_KIND_APPLICATION,
                                    &dev.bl.policy, &raw), CSA_FLASH_OK);
        CHECK_EQ(raw.state, CSA_REGION_VALID);
        CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].state, CSA_REGION_INVALID);
        CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].reason, CSA_REASON_REVOKED);
        CHECK_EQ(csa_bl_get_status(&dev.bl, &s), CSA_BL_OK);
        CHECK_EQ(s.regions[CSA_REGION_APPLICATION].state, CSA_REGION_UPDATING);
        /* A reset right after the answer: the update is in progress, the old application does not start. */
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 0);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_UPDATE_IN_PROGRESS);
        CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].reason, CSA_REASON_REVOKED);
        /* An abort keeps the bit: no valid application, whatever the erases had reached (none). */
        CHECK_EQ(csa_bl_abort_update(&dev.bl, dev.now), CSA_BL_OK);
        CHECK_EQ(dev.bl.record.phase, CSA_PHASE_IDLE);
        CHECK_EQ(dev.bl.record.revoked, CSA_STATE_REVOKED_BIT(CSA_REGION_APPLICATION));
        CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].state, CSA_REGION_INVALID);
        CHECK_EQ(csa_state_clear_request(&dev.flash, map), CSA_FLASH_OK); /* the application's records keep it too */
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_NO_VALID_APPLICATION);
        /* The update, from the start: its commit clears the bit, and the new application starts. */
        CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
        CHECK_EQ(dev.bl.record.phase, CSA_PHASE_COMPLETE);
        CHECK_EQ(dev.bl.record.revoked, 0);
        CHECK_EQ(dev.bl.stats.invariant_refusals, 0);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.start_application, 1);
        CHECK_EQ(csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->version_major, 2);
        test_device_free(&dev);
    }
}

/* A commit whose Complete record was cut: the region holds the image the Receiving record installs, so the revoked bit
 * does not make it invalid; and a record that moves on to another target clears the bit instead of taking the
 * exception away (device-model.md 6.2, the refinement). REQ-RECOVER. */
static void a_commit_whose_complete_record_was_cut_stays_valid(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    static uint8_t bootloader[60000];
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 50000, 2, image, sizeof image);
    size_t nb = test_make_image(map, CSA_REGION_BOOTLOADER_B, 2, 20000, 2, bootloader, sizeof bootloader);
    csa_flashsim *base;
    csa_flashsim_plan plan;
    uint64_t total;
    uint32_t resume, otp = 0;
    fresh(map, 30000);
    CHECK_EQ(csa_otp_counter_read(&dev.flash, &map->counter_otp, &otp), CSA_FLASH_OK);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    base = csa_flashsim_clone(dev.sim);
    csa_flashsim_reset_stats(dev.sim);
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_OK);
    total = csa_flashsim_get_stats(dev.sim)->operations; /* ..., marker, the Complete record, the OTP steps */
    test_device_free(&dev);
    CHECK_EQ(test_power_on(&dev, base, map), CSA_BL_OK);
    memset(&plan, 0, sizeof plan);
    plan.operation = total - 1 - (2 - otp); /* before the Complete record (the OTP floor steps from otp to 2 after it) */
    csa_flashsim_reset_stats(dev.sim);
    csa_flashsim_arm(dev.sim, &plan);
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_APPLICATION, image, n, 1024), CSA_BL_POWER_LOST);
    csa_flashsim_disarm(dev.sim);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.bl.record.phase, CSA_PHASE_RECEIVING);
    CHECK_EQ(dev.bl.record.revoked, CSA_STATE_REVOKED_BIT(CSA_REGION_APPLICATION));
    CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].state, CSA_REGION_VALID); /* it holds the record's image */
    CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].version_major, 2);
    CHECK_EQ(dev.decision.stay_reason, CSA_STAY_REQUESTED); /* nothing pending; the request still persisted */
    /* The host goes on with the bootloader: the new record names copy B and clears the application's bit. */
    CHECK_EQ(begin_image(CSA_TARGET_OTHER_BOOTLOADER, bootloader, nb, 1, &resume), CSA_BL_OK);
    CHECK_EQ(dev.bl.record.revoked, CSA_STATE_REVOKED_BIT(CSA_REGION_BOOTLOADER_B));
    CHECK_EQ(dev.bl.checks[CSA_REGION_APPLICATION].state, CSA_REGION_VALID);
    CHECK_EQ(csa_bl_abort_update(&dev.bl, dev.now), CSA_BL_OK);
    CHECK_EQ(csa_state_clear_request(&dev.flash, map), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.start_application, 1); /* the new application, committed before the cut */
    CHECK_EQ(csa_bl_region(&dev.bl, CSA_REGION_APPLICATION)->version_major, 2);
    test_device_free(&dev);
}

/* GetMissingBlocks (device-model.md 6.4.2): the block map as a bitmap of blocks of the host's write size; a read that
 * changes nothing, and its refusals. */
static void missing_blocks_report_the_holes(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, 10000, 2, image, sizeof image);
    uint8_t bits[CSA_BL_MISSING_BLOCKS / 8], buf[1024];
    csa_image img;
    csa_bl_write_answer w;
    uint32_t committed = 1, off;
    uint16_t count = 1;
    uint64_t ops;
    unsigned i;
    static const uint32_t sent[] = {0, 1024, 3072, 4096 + 16, 9216}; /* block 4 gets all but its first unit */
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 60), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 1024, &committed, &count, bits), CSA_BL_NO_UPDATE_IN_PROGRESS);
    CHECK(committed == 0 && count == 0);
    csa_image_parse(image, n, &img, NULL);
    CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
    for (i = 0; i < sizeof sent / sizeof sent[0]; i++) {
        uint32_t len = sent[i] == 4096 + 16 ? 1024 - 16 : 10000 - sent[i] < 1024 ? 10000 - sent[i] : 1024;
        memcpy(buf, img.payload + sent[i], len);
        CHECK_EQ(csa_bl_write(&dev.bl, sent[i], buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
    }
    ops = csa_flashsim_get_stats(dev.sim)->operations;
    dev.now += 59000; /* a read does not move the requested stay's deadline */
    memset(bits, 0xAA, sizeof bits);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 1024, &committed, &count, bits), CSA_BL_OK);
    CHECK_EQ(committed, 2048);
    CHECK_EQ(count, 10); /* 9 whole blocks and the last one (784 bytes) */
    CHECK_EQ(bits[0], 0xF4); /* blocks 2, 4 (its first unit), 5, 6, 7 missing */
    CHECK_EQ(bits[1], 0x01); /* block 8 missing, 9 (the last, short one) written; bits from 10 on are 0 */
    for (i = 2; i < sizeof bits; i++)
        CHECK_EQ(bits[i], 0);
    /* From another offset and block size; small blocks are capped at 512 per answer. */
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 4096, 16, &committed, &count, bits), CSA_BL_OK);
    CHECK_EQ(count, 369); /* (10000 - 4096) / 16, rounded up */
    CHECK_EQ(bits[0], 0x01);
    CHECK_EQ(bits[7], 0x00);
    CHECK_EQ(bits[8], 0xFF); /* 4096 + 1024 .. : block 5 */
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 16, 16, &committed, &count, bits), CSA_BL_OK);
    CHECK_EQ(count, CSA_BL_MISSING_BLOCKS);
    CHECK_EQ(bits[0], 0x00);
    CHECK_EQ(bits[15], 0x80); /* offset 16 + 127 * 16 = 2048: the first unit of block 2 */
    CHECK_EQ(bits[63], 0xFF);
    CHECK_EQ(csa_flashsim_get_stats(dev.sim)->operations, ops); /* nothing written */
    CHECK(csa_bl_stay_expired(&dev.bl, dev.now + 1000));
    /* Refusals: a block size of 0 or not a multiple of 16, an offset that is not, an offset at or past the end. */
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 0, &committed, &count, bits), CSA_BL_MISALIGNED);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 1000, &committed, &count, bits), CSA_BL_MISALIGNED);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 8, 1024, &committed, &count, bits), CSA_BL_MISALIGNED);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 10000, 1024, &committed, &count, bits), CSA_BL_OUT_OF_RANGE);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0xFFFFFFF0u, 1024, &committed, &count, bits), CSA_BL_OUT_OF_RANGE);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 9984, 1024, &committed, &count, bits), CSA_BL_OK);
    CHECK_EQ(count, 1);
    /* The holes filled: nothing missing; after a reset there is no session to ask. */
    for (off = 0; off < 10000; off += 1024) {
        uint32_t len = 10000 - off < 1024 ? 10000 - off : 1024;
        memcpy(buf, img.payload + off, len);
        CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
    }
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 1024, &committed, &count, bits), CSA_BL_OK);
    CHECK_EQ(committed, 10000);
    for (i = 0; i < sizeof bits; i++)
        CHECK_EQ(bits[i], 0);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(csa_bl_missing_blocks(&dev.bl, 0, 1024, &committed, &count, bits), CSA_BL_NO_UPDATE_IN_PROGRESS);
    test_device_free(&dev);
}

/* device-model.md 5.1: each interrupted commit spends a trailer slot; on the F4 a bootloader copy is one sector,
 * shared by payload and trailer, so no slot can be freed by an erase. Seven torn commit markers in a row: the
 * device rolls its watermark back to the sector's start (Incomplete), the host sends the payload again, and the
 * commit then lands. */
static void seven_torn_commits_in_a_row(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    size_t n = test_make_image(map, CSA_REGION_BOOTLOADER_B, 2, 30000, 1, image, sizeof image);
    csa_image img;
    csa_bl_write_answer w;
    uint8_t buf[1024], sha[32];
    uint32_t off, missing = 99, resume;
    int cut;
    fresh(map, 30000);
    CHECK_EQ(csa_state_request_bootloader(&dev.flash, map, 0), CSA_FLASH_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    csa_image_parse(image, n, &img, NULL);
    CHECK_EQ(begin_image(CSA_TARGET_OTHER_BOOTLOADER, image, n, 1, NULL), CSA_BL_OK);
    for (off = 0; off < 30000; off += 1024) {
        uint32_t len = 30000 - off < 1024 ? 30000 - off : 1024;
        memcpy(buf, img.payload + off, len);
        CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
    }
    for (cut = 0; cut < 7; cut++) {
        csa_flashsim_plan plan;
        memset(&plan, 0, sizeof plan);
        plan.operation = 1; /* the body lands (operation 0), the marker is torn */
        plan.during = 1;
        plan.fraction = 0.9;
        plan.seed = (uint32_t)cut + 1;
        csa_flashsim_arm(dev.sim, &plan);
        CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_POWER_LOST);
        CHECK_EQ(test_restart(&dev), CSA_BL_OK);
        CHECK_EQ(dev.decision.running, CSA_REGION_BOOTLOADER_A);
        CHECK_EQ(dev.decision.stay_reason, CSA_STAY_UPDATE_IN_PROGRESS);
        CHECK_EQ(begin_image(CSA_TARGET_OTHER_BOOTLOADER, image, n, 1, &resume), CSA_BL_OK);
        CHECK_EQ(resume, 30000);
    }
    CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_INCOMPLETE);
    CHECK_EQ(missing, 0); /* the trailer's sector starts the region */
    CHECK_EQ(test_host_update(&dev, CSA_TARGET_OTHER_BOOTLOADER, image, n, 1024), CSA_BL_OK);
    CHECK_EQ(test_restart(&dev), CSA_BL_OK);
    CHECK_EQ(dev.decision.running, CSA_REGION_BOOTLOADER_B);
    CHECK_EQ(dev.bl.stats.invariant_refusals, 0);
    test_device_free(&dev);
}

/* A payload that does not end on a program unit: its last unit is padded with 0xFF; a duplicate of the last write
 * compares, and a reset between the last write and FinishUpdate resumes at the payload's end. */
static void odd_payload_sizes(void)
{
    static const uint32_t sizes[] = {20001, 4099, 16383};
    unsigned m, k;
    for (m = 0; m < 2; m++)
        for (k = 0; k < 3; k++) {
            const csa_memory_map *map = maps[m];
            uint32_t size = sizes[k], off, resume = 0, missing;
            size_t n = test_make_image(map, CSA_REGION_APPLICATION, 2, size, 1, image, sizeof image);
            csa_image img;
            csa_bl_write_answer w;
            uint8_t buf[1024], sha[32], tail[8];
            fresh(map, 0);
            csa_image_parse(image, n, &img, NULL);
            CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, NULL), CSA_BL_OK);
            for (off = 0; off < size; off += 1024) {
                uint32_t len = size - off < 1024 ? size - off : 1024;
                memcpy(buf, img.payload + off, len);
                CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)len, dev.now, &w), CSA_BL_OK);
            }
            off -= 1024;
            memcpy(buf, img.payload + off, size - off);
            CHECK_EQ(csa_bl_write(&dev.bl, off, buf, (uint16_t)(size - off), dev.now, &w), CSA_BL_OK); /* duplicate */
            CHECK_EQ(w.bytes_committed, size);
            CHECK_EQ(csa_flash_read(&dev.flash, map->regions[CSA_REGION_APPLICATION].address + size / 8 * 8, tail, 8),
                     CSA_FLASH_OK);
            CHECK_EQ(tail[size % 8], 0xFF); /* the padding of the last unit */
            CHECK_EQ(test_restart(&dev), CSA_BL_OK);
            CHECK_EQ(begin_image(CSA_TARGET_APPLICATION, image, n, 1, &resume), CSA_BL_OK);
            CHECK_EQ(resume, size); /* the watermark was persisted at the payload's end */
            CHECK_EQ(csa_bl_finish_update(&dev.bl, dev.now, sha, &missing), CSA_BL_OK);
            CHECK_EQ(test_restart(&dev), CSA_BL_OK);
            CHECK_EQ(dev.decision.start_application, 1);
            CHECK_EQ(csa_flashsim_get_stats(dev.sim)->reprogrammed_units, 0);
            test_device_free(&dev);
        }
}

static void configuration_is_checked(void)
{
    csa_bl_config c;
    csa_flashsim *sim = test_factory(&csa_map_stm32f4_2m, 0);
    csa_flash f = csa_flashsim_port(sim);
    static csa_bootloader bl;
    test_product(&c, &csa_map_stm32f4_2m);
    /* The F4 2 MB application needs CSA_BOOT_MAX_PAYLOAD >= 1699840 (13 KiB of block map). */
    CHECK_EQ(csa_bl_init(&bl, &c, &f), CSA_BOOT_MAX_PAYLOAD >= 1699840u ? 0 : -1);
    test_product(&c, &csa_map_stm32l4_1m);
    CHECK_EQ(csa_bl_init(&bl, &c, &f), -1); /* a map for another chip */
    csa_flashsim_destroy(sim);
    sim = test_factory(&csa_map_stm32l4_1m, 0);
    f = csa_flashsim_port(sim);
    CHECK_EQ(csa_bl_init(&bl, &c, &f), 0);
    c.max_write_size = 1000;
    CHECK_EQ(csa_bl_init(&bl, &c, &f), -1);
    c.max_write_size = 1024;
    c.key_count = 0;
    CHECK_EQ(csa_bl_init(&bl, &c, &f), -1); /* nothing could be authenticated */
    c.accept_crc = 1;
    CHECK_EQ(csa_bl_init(&bl, &c, &f), 0);
    csa_flashsim_destroy(sim);
}

int main(void)
{
    RUN(application_runs_after_the_factory_and_stays_when_requested);
    RUN(application_update_end_to_end);
    RUN(bootloader_update_through_the_other_copy);
    RUN(every_refusal_happens_before_anything_is_erased);
    RUN(more_refusals_before_erase);
    RUN(writes_are_idempotent_and_never_program_twice);
    RUN(a_payload_that_is_not_the_manifests_is_sent_again);
    RUN(abort_and_busy);
    RUN(region_hash_answers_granules_and_the_valid_payload_only);
    RUN(status_reports_regions_counter_and_usable_sizes);
    RUN(resume_after_a_reset_loses_at_most_one_checkpoint);
    RUN(a_reinstall_writes_nothing);
    RUN(the_requested_stay_ends_after_its_wait);
    RUN(erase_ahead_runs_in_payload_order);
    RUN(begin_revokes_the_target_and_erases_nothing);
    RUN(a_commit_whose_complete_record_was_cut_stays_valid);
    RUN(missing_blocks_report_the_holes);
    RUN(seven_torn_commits_in_a_row);
    RUN(odd_payload_sizes);
    RUN(configuration_is_checked);
    return csa_test_done();
}
