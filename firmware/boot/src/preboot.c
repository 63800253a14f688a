/* The pre-bootloader's choice of bootloader copy, docs/device-model.md 5.2 step 1. */
#include "csa_boot/preboot.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "le.h"

void csa_preboot_marker_encode(uint8_t major, uint8_t minor, uint16_t patch, uint8_t out[CSA_PREBOOT_MARKER_SIZE])
{
    memset(out, 0xFF, CSA_PREBOOT_MARKER_SIZE);
    csa_put32(out, CSA_PREBOOT_MAGIC);
    csa_put16(out + 4, 1);
    out[6] = major;
    out[7] = minor;
    csa_put16(out + 8, patch);
    csa_put32(out + 28, csa_crc32(out, 28));
}

/* One place the record may be: 1 when a valid record is there. */
static csa_flash_status marker_at(const csa_flash *f, uint32_t address, int *present, uint8_t *major, uint8_t *minor,
                                  uint16_t *patch)
{
    uint8_t m[CSA_PREBOOT_MARKER_SIZE];
    csa_flash_status st = csa_flash_read(f, address, m, sizeof m);
    *present = 0;
    if (st == CSA_FLASH_ERR_ECC)
        return CSA_FLASH_OK;
    if (st != CSA_FLASH_OK)
        return st;
    if (csa_le32(m) != CSA_PREBOOT_MAGIC || csa_le32(m + 28) != csa_crc32(m, 28))
        return CSA_FLASH_OK;
    *present = 1;
    *major = m[6];
    *minor = m[7];
    *patch = csa_le16(m + 8);
    return CSA_FLASH_OK;
}

csa_flash_status csa_preboot_marker_read(const csa_flash *f, const csa_memory_map *map, int *present, uint8_t *major,
                                         uint8_t *minor, uint16_t *patch)
{
    const csa_region *r = &map->regions[CSA_REGION_PRE_BOOTLOADER];
    /* At the reset vector where the pre-bootloader is a record only (the simulations); in the region's last 32 bytes
       where it is code, whose vector table owns the reset vector (the chips: device-model.md 5.1). */
    csa_flash_status st = marker_at(f, r->address, present, major, minor, patch);
    if (st != CSA_FLASH_OK || *present)
        return st;
    return marker_at(f, r->address + r->size - CSA_PREBOOT_MARKER_SIZE, present, major, minor, patch);
}

csa_flash_status csa_preboot_select(const csa_flash *f, const csa_memory_map *map, const csa_image_policy *policy,
                                    const csa_state_record *record, csa_region_check checks[2], csa_region_id *running)
{
    csa_flash_status st = csa_region_inspect(f, &map->regions[CSA_REGION_BOOTLOADER_A], CSA_IMAGE_KIND_BOOTLOADER,
                                             policy, &checks[0]);
    if (st == CSA_FLASH_OK)
        st = csa_region_inspect(f, &map->regions[CSA_REGION_BOOTLOADER_B], CSA_IMAGE_KIND_BOOTLOADER, policy,
                                &checks[1]);
    *running = CSA_REGION_PRE_BOOTLOADER;
    if (st != CSA_FLASH_OK)
        return st;
    /* One definition of Valid for every reader: a copy being rewritten is not valid (device-model.md 6.2). It never
     * changes the choice (the copy being rewritten is not the running one, and its old image is never newer than
     * the running copy), but a reader that skipped it would know another Valid than the bootloader. */
    csa_state_apply(record, CSA_REGION_BOOTLOADER_A, &checks[0]);
    csa_state_apply(record, CSA_REGION_BOOTLOADER_B, &checks[1]);
    if (checks[0].state == CSA_REGION_VALID && checks[1].state == CSA_REGION_VALID)
        *running = csa_region_check_version(&checks[1]) > csa_region_check_version(&checks[0])
                       ? CSA_REGION_BOOTLOADER_B
                       : CSA_REGION_BOOTLOADER_A;
    else if (checks[0].state == CSA_REGION_VALID)
        *running = CSA_REGION_BOOTLOADER_A;
    else if (checks[1].state == CSA_REGION_VALID)
        *running = CSA_REGION_BOOTLOADER_B;
    return CSA_FLASH_OK;
}
