/* What a production programmer does to a blank chip (the C# FactoryProgrammer): the pre-bootloader marker, then
 * each image installed exactly as the bootloader installs it (payload padded to whole program units, slot 0 body,
 * slot 0 commit marker). It checks only that an image fits its region; whether the device accepts it is decided at
 * start-up like any other image. Host tools and tests use it; a bootloader never calls it. */
#ifndef CSA_BOOT_FACTORY_H_
#define CSA_BOOT_FACTORY_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum csa_factory_result {
    CSA_FACTORY_OK = 0,
    CSA_FACTORY_MALFORMED = 1,   /* the image file does not parse (image-format.md) */
    CSA_FACTORY_DOES_NOT_FIT = 2, /* payload larger than the region's usable size, or manifest + block too large */
    CSA_FACTORY_FLASH = 3        /* the flash refused (see *flash_status) */
} csa_factory_result;

csa_factory_result csa_factory_write_marker(const csa_flash *f, const csa_memory_map *map, uint8_t major,
                                            uint8_t minor, uint16_t patch, csa_flash_status *flash_status);
/* Erases the region, then installs the plaintext image file (manifest, payload, authentication block). */
csa_factory_result csa_factory_install(const csa_flash *f, const csa_region *region, const uint8_t *image, size_t len,
                                       csa_flash_status *flash_status);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_FACTORY_H_ */
