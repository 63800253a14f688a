/* A C device for the tests: a flash simulation with a factory-programmed product (pre-bootloader marker, bootloader
 * copy A, an application), the product's bootloader configuration, and a bootloader started on it. */
#ifndef CSA_TEST_DEVICE_H_
#define CSA_TEST_DEVICE_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/bootloader.h"
#include "csa_flashsim.h"

#define TEST_VENDOR 0x0000C5A0u
#define TEST_CLASS 0x00000401u

typedef struct test_device {
    csa_flashsim *sim;
    csa_flash flash;
    csa_bl_config config;
    csa_bootloader bl;
    csa_bl_decision decision;
    uint32_t now;
} test_device;

/* The tests' product on a map: ECDSA (RFC 6979 key), downgrade prevention, erase-ahead, 1024-byte writes, a
 * 16 KiB checkpoint interval. */
void test_product(csa_bl_config *c, const csa_memory_map *map);

/* A signed plaintext image for a region of the map; returns its length (out must hold 96 + size + 64). */
size_t test_make_image(const csa_memory_map *map, uint8_t region, uint8_t major, uint32_t size, uint32_t counter,
                       uint8_t *out, size_t cap);

/* A factory-programmed chip: marker 1.0.0, bootloader A 1.0.0 (20000 bytes, counter 1), application 1.0.0 (30000
 * bytes, counter 1) unless app_size is 0. Strict flash: a program over non-erased cells fails. */
csa_flashsim *test_factory(const csa_memory_map *map, uint32_t app_size);

/* Binds a device to a chip (taking ownership of sim) and powers it on: csa_bl_init + csa_bl_start. */
csa_bl_status test_power_on(test_device *d, csa_flashsim *sim, const csa_memory_map *map);
/* Power-on again on the same chip (after a cut: the chip is powered on first). */
csa_bl_status test_restart(test_device *d);
void test_device_free(test_device *d);

/* A host: begins, writes from the resume offset in `chunk`-byte writes with one erase-ahead step after each
 * command, and finishes, resending from where the device says (Incomplete, PayloadHashMismatch). Returns the first
 * status that is not a recoverable answer (CSA_BL_OK when the image is committed). */
csa_bl_status test_host_update(test_device *d, uint8_t target, const uint8_t *image, size_t len, uint32_t chunk);
/* The same for an encrypted image: BeginUpdate carries the device's wrapped content key. */
csa_bl_status test_host_update_wrapped(test_device *d, uint8_t target, const uint8_t *image, size_t len, uint32_t chunk,
                                       const uint8_t *wrapped, uint16_t wrapped_len);

#endif
