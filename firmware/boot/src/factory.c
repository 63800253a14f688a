/* The production programmer's installation, the same layout the bootloader's FinishUpdate produces. */
#include "csa_boot/factory.h"

#include <string.h>

#include "csa_boot/image.h"
#include "csa_boot/preboot.h"
#include "csa_boot/trailer.h"

static csa_factory_result flash_failed(csa_flash_status st, csa_flash_status *out)
{
    if (out != NULL)
        *out = st;
    return st == CSA_FLASH_OK ? CSA_FACTORY_OK : CSA_FACTORY_FLASH;
}

csa_factory_result csa_factory_write_marker(const csa_flash *f, const csa_memory_map *map, uint8_t major,
                                            uint8_t minor, uint16_t patch, csa_flash_status *flash_status)
{
    uint8_t marker[CSA_PREBOOT_MARKER_SIZE];
    csa_flash_status st = csa_map_erase_region(f, &map->regions[CSA_REGION_PRE_BOOTLOADER]);
    csa_preboot_marker_encode(major, minor, patch, marker);
    if (st == CSA_FLASH_OK)
        st = csa_flash_program(f, map->regions[CSA_REGION_PRE_BOOTLOADER].address, marker, sizeof marker);
    return flash_failed(st, flash_status);
}

csa_factory_result csa_factory_install(const csa_flash *f, const csa_region *region, const uint8_t *image, size_t len,
                                       csa_flash_status *flash_status)
{
    csa_image img;
    uint8_t body[CSA_TRAILER_BODY], commit[CSA_TRAILER_COMMIT], tail[8];
    uint32_t size, whole, unit = f->program_unit;
    csa_flash_status st;
    if (csa_image_parse(image, len, &img, NULL) != CSA_IMAGE_OK)
        return CSA_FACTORY_MALFORMED;
    size = img.manifest.payload_size;
    if (size > csa_trailer_usable(region)
        || csa_trailer_encode_body(img.manifest.bytes, img.manifest.length, img.auth, img.auth_length, body) != 0)
        return CSA_FACTORY_DOES_NOT_FIT;
    st = csa_map_erase_region(f, region);
    whole = size / unit * unit;
    if (st == CSA_FLASH_OK && whole > 0)
        st = csa_flash_program(f, region->address, img.payload, whole);
    if (st == CSA_FLASH_OK && whole < size) { /* the last unit padded with 0xFF */
        memset(tail, 0xFF, sizeof tail);
        memcpy(tail, img.payload + whole, size - whole);
        st = csa_flash_program(f, region->address + whole, tail, unit);
    }
    csa_trailer_encode_commit(body, commit);
    if (st == CSA_FLASH_OK)
        st = csa_flash_program(f, csa_trailer_slot_address(region, 0), body, sizeof body);
    if (st == CSA_FLASH_OK)
        st = csa_flash_program(f, csa_trailer_slot_address(region, 0) + CSA_TRAILER_BODY, commit, sizeof commit);
    return flash_failed(st, flash_status);
}
