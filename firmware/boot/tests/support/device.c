#include "device.h"

#include <stdlib.h>
#include <string.h>

#include "csa_boot/factory.h"
#include "image_builder.h"

void test_product(csa_bl_config *c, const csa_memory_map *map)
{
    memset(c, 0, sizeof *c);
    c->map = map;
    c->vendor_id = TEST_VENDOR;
    c->device_class_id = TEST_CLASS;
    csa_trusted_key_init(&c->keys[0], test_rfc6979_public);
    c->key_count = 1;
    c->downgrade_prevention = 1;
    c->erase_ahead = 1;
    c->max_write_size = 1024;
    c->checkpoint_interval = 16384;
}

size_t test_make_image(const csa_memory_map *map, uint8_t region, uint8_t major, uint32_t size, uint32_t counter,
                       uint8_t *out, size_t cap)
{
    uint8_t *payload = (uint8_t *)malloc(size);
    test_image_spec s;
    size_t n;
    test_payload(payload, size, (uint32_t)major * 977u + region);
    s = test_image_default(map->regions[region].address, payload, size);
    s.kind = region == CSA_REGION_APPLICATION ? CSA_IMAGE_KIND_APPLICATION : CSA_IMAGE_KIND_BOOTLOADER;
    s.major = major;
    s.security_counter = counter;
    n = test_image_build(&s, out, cap);
    free(payload);
    return n;
}

csa_flashsim *test_factory(const csa_memory_map *map, uint32_t app_size)
{
    csa_flashsim_options o;
    csa_flashsim *sim;
    csa_flash f;
    size_t cap = 96 + 64 + (app_size > 20000 ? app_size : 20000), n;
    uint8_t *image = (uint8_t *)malloc(cap);
    memset(&o, 0, sizeof o);
    o.geometry = map->geometry;
    o.overwrite = CSA_FLASHSIM_REJECT_ANY_REPROGRAM;
    o.has_uid = 1;
    memcpy(o.uid, "\x3A\x00\x24\x00\x0D\x51\x34\x31\x38\x39\x38\x36", 12);
    sim = csa_flashsim_create(&o);
    f = csa_flashsim_port(sim);
    csa_factory_write_marker(&f, map, 1, 0, 0, NULL);
    n = test_make_image(map, CSA_REGION_BOOTLOADER_A, 1, 20000, 1, image, cap);
    csa_factory_install(&f, &map->regions[CSA_REGION_BOOTLOADER_A], image, n, NULL);
    if (app_size > 0) {
        n = test_make_image(map, CSA_REGION_APPLICATION, 1, app_size, 1, image, cap);
        csa_factory_install(&f, &map->regions[CSA_REGION_APPLICATION], image, n, NULL);
    }
    free(image);
    csa_flashsim_reset_stats(sim);
    return sim;
}

csa_bl_status test_power_on(test_device *d, csa_flashsim *sim, const csa_memory_map *map)
{
    d->sim = sim;
    d->flash = csa_flashsim_port(sim);
    test_product(&d->config, map);
    return test_restart(d);
}

csa_bl_status test_restart(test_device *d)
{
    if (!csa_flashsim_powered(d->sim))
        csa_flashsim_power_on(d->sim);
    if (csa_bl_init(&d->bl, &d->config, &d->flash) != 0)
        return CSA_BL_NOT_ALLOWED;
    d->now += 1000;
    return csa_bl_start(&d->bl, d->now, 0, &d->decision);
}

void test_device_free(test_device *d)
{
    csa_flashsim_destroy(d->sim);
    d->sim = NULL;
}

csa_bl_status test_host_update(test_device *d, uint8_t target, const uint8_t *image, size_t len, uint32_t chunk)
{
    return test_host_update_wrapped(d, target, image, len, chunk, NULL, 0);
}

csa_bl_status test_host_update_wrapped(test_device *d, uint8_t target, const uint8_t *image, size_t len, uint32_t chunk,
                                       const uint8_t *wrapped, uint16_t wrapped_len)
{
    csa_image img;
    csa_bl_begin_answer begin;
    csa_bl_status st;
    uint32_t offset, missing = 0;
    int erased, attempt, finished = 0;
    uint8_t *buf = (uint8_t *)malloc(chunk), sha[32];
    if (csa_image_parse(image, len, &img, NULL) != CSA_IMAGE_OK) {
        free(buf);
        return CSA_BL_BAD_MANIFEST;
    }
    st = csa_bl_begin_update(&d->bl, target, img.manifest.bytes, img.manifest.length, img.auth, img.auth_length,
                             wrapped, wrapped_len, 1, d->now, &begin);
    if (st == CSA_BL_OK)
        st = csa_bl_erase_ahead(&d->bl, &erased);
    offset = begin.resume_offset;
    for (attempt = 0; st == CSA_BL_OK && attempt < 4; attempt++) {
        while (offset < img.manifest.payload_size && st == CSA_BL_OK) {
            uint32_t n = img.manifest.payload_size - offset < chunk ? img.manifest.payload_size - offset : chunk;
            csa_bl_write_answer w;
            memcpy(buf, img.payload + offset, n);
            st = csa_bl_write(&d->bl, offset, buf, (uint16_t)n, d->now, &w);
            if (st == CSA_BL_OK)
                st = csa_bl_erase_ahead(&d->bl, &erased);
            offset += n;
        }
        if (st != CSA_BL_OK)
            break;
        st = csa_bl_finish_update(&d->bl, d->now, sha, &missing);
        if (st == CSA_BL_INCOMPLETE) {
            offset = missing;
            st = CSA_BL_OK;
            continue;
        }
        if (st == CSA_BL_PAYLOAD_HASH_MISMATCH) {
            offset = 0;
            st = CSA_BL_OK;
            continue;
        }
        finished = st == CSA_BL_OK;
        break;
    }
    if (st == CSA_BL_OK && !finished)
        st = CSA_BL_INCOMPLETE;
    if (st == CSA_BL_OK && memcmp(sha, img.manifest.payload_sha256, 32) != 0)
        st = CSA_BL_PAYLOAD_HASH_MISMATCH;
    free(buf);
    return st;
}
