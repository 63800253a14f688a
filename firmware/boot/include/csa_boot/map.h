/* The memory maps (docs/device-model.md section 2): which sectors each region of the product owns.
 *
 * Every region is a whole number of sectors and no sector belongs to two regions, so erasing one region never
 * touches another. The first four region ids equal the Bootloader interface's RegionKind values. */
#ifndef CSA_BOOT_MAP_H_
#define CSA_BOOT_MAP_H_

#include <stdint.h>

#include "csa_boot/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum csa_region_id {
    CSA_REGION_PRE_BOOTLOADER = 0, /* RegionKind.PreBootloader: the reset vector, never erased in the field */
    CSA_REGION_BOOTLOADER_A = 1,   /* RegionKind.BootloaderA */
    CSA_REGION_BOOTLOADER_B = 2,   /* RegionKind.BootloaderB */
    CSA_REGION_APPLICATION = 3,    /* RegionKind.Application */
    CSA_REGION_JOURNAL_A = 4,      /* the state journal's two regions (section 3) */
    CSA_REGION_JOURNAL_B = 5,
    CSA_REGION_PROVISIONING = 6,   /* device identity, written in production */
    CSA_REGION_APPLICATION_DATA = 7,
    CSA_REGION_COUNT = 8
} csa_region_id;

typedef struct csa_region {
    uint32_t address;
    uint32_t size;
    uint16_t first_sector;
    uint16_t sector_count;
} csa_region;

typedef struct csa_otp_range {
    uint32_t address;
    uint32_t size;
} csa_otp_range;

typedef struct csa_memory_map {
    const char *name;
    const csa_flash_geometry *geometry;
    csa_region regions[CSA_REGION_COUNT]; /* indexed by csa_region_id */
    csa_otp_range identity_otp;           /* section 2.4 */
    csa_otp_range counter_otp;            /* the security counter's floor: 64 steps of one program unit */
} csa_memory_map;

extern const csa_memory_map csa_map_stm32f4_1m; /* section 2.1 */
extern const csa_memory_map csa_map_stm32f4_2m; /* section 2.2 */
extern const csa_memory_map csa_map_stm32l4_1m; /* section 2.3 */

/* The map for a geometry; NULL when no map is defined for it. */
const csa_memory_map *csa_map_for(const csa_flash_geometry *g);

static inline const csa_region *csa_map_region(const csa_memory_map *m, csa_region_id id)
{
    return &m->regions[id];
}

/* The bootloader copy a running copy writes: A for B, B for A. */
static inline csa_region_id csa_map_other_bootloader(csa_region_id running)
{
    return running == CSA_REGION_BOOTLOADER_A ? CSA_REGION_BOOTLOADER_B : CSA_REGION_BOOTLOADER_A;
}

/* Checks a map against its geometry: regions are whole sectors in address order of their sectors, no sector is
 * shared, the pre-bootloader is at the reset vector, the OTP ranges are inside the OTP area. 0 when consistent,
 * else the (1-based) number of the first broken rule. */
int csa_map_check(const csa_memory_map *m);

/* Erases every sector of a region, in order, one erase operation per sector. */
csa_flash_status csa_map_erase_region(const csa_flash *f, const csa_region *r);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_MAP_H_ */
