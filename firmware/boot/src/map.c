/* The product's memory maps, docs/device-model.md 2.1-2.4. A test reads those tables from the document and
 * compares them with these, so the two cannot drift. */
#include "csa_boot/map.h"

#define R(addr, size, first, count) {addr, size, first, count}

/* Order of the initialisers: csa_region_id (pre, A, B, application, journal A, journal B, provisioning, app data). */
const csa_memory_map csa_map_stm32f4_1m = {
    "STM32F4 1 MB",
    &csa_flash_stm32f4_1m,
    {R(0x08000000u, 16384u, 0, 1), R(0x08020000u, 131072u, 5, 1), R(0x08040000u, 131072u, 6, 1),
     R(0x08060000u, 655360u, 7, 5), R(0x08004000u, 16384u, 1, 1), R(0x08008000u, 16384u, 2, 1),
     R(0x0800C000u, 16384u, 3, 1), R(0x08010000u, 65536u, 4, 1)},
    {0x1FFF7800u, 256u},
    {0x1FFF7900u, 256u}};

/* Copy B in bank 2, so whichever copy runs writes the other without stalling its own code fetch. */
const csa_memory_map csa_map_stm32f4_2m = {
    "STM32F4 2 MB",
    &csa_flash_stm32f4_2m,
    {R(0x08000000u, 16384u, 0, 1), R(0x08020000u, 131072u, 5, 1), R(0x081E0000u, 131072u, 23, 1),
     R(0x08040000u, 1703936u, 6, 17), R(0x08004000u, 16384u, 1, 1), R(0x08008000u, 16384u, 2, 1),
     R(0x0800C000u, 16384u, 3, 1), R(0x08010000u, 65536u, 4, 1)},
    {0x1FFF7800u, 256u},
    {0x1FFF7900u, 256u}};

const csa_memory_map csa_map_stm32l4_1m = {
    "STM32L4 1 MB",
    &csa_flash_stm32l4_1m,
    {R(0x08000000u, 16384u, 0, 8), R(0x08008000u, 131072u, 16, 64), R(0x080E0000u, 131072u, 448, 64),
     R(0x08028000u, 753664u, 80, 368), R(0x08004000u, 2048u, 8, 1), R(0x08004800u, 2048u, 9, 1),
     R(0x08005000u, 4096u, 10, 2), R(0x08006000u, 8192u, 12, 4)},
    {0x1FFF7000u, 512u},
    {0x1FFF7200u, 512u}};

const csa_memory_map *csa_map_for(const csa_flash_geometry *g)
{
    if (g == &csa_flash_stm32f4_1m)
        return &csa_map_stm32f4_1m;
    if (g == &csa_flash_stm32f4_2m)
        return &csa_map_stm32f4_2m;
    if (g == &csa_flash_stm32l4_1m)
        return &csa_map_stm32l4_1m;
    return (const csa_memory_map *)0;
}

int csa_map_check(const csa_memory_map *m)
{
    const csa_flash_geometry *g = m->geometry;
    uint8_t owner[512];
    unsigned i, s;
    const csa_otp_range *otp[2];
    if (g->sector_count > sizeof owner)
        return 1;
    for (s = 0; s < g->sector_count; s++)
        owner[s] = 0xFF;
    for (i = 0; i < CSA_REGION_COUNT; i++) {
        const csa_region *r = &m->regions[i];
        csa_flash_sector first, last;
        if (r->sector_count == 0 || csa_flash_sector_info(g, r->first_sector, &first) != 0
            || csa_flash_sector_info(g, (uint16_t)(r->first_sector + r->sector_count - 1), &last) != 0)
            return 2;
        if (first.address != r->address || last.address + last.size - first.address != r->size)
            return 3; /* the address and size are not exactly the region's sectors */
        for (s = r->first_sector; s < (unsigned)r->first_sector + r->sector_count; s++) {
            if (owner[s] != 0xFF)
                return 4; /* a sector in two regions */
            owner[s] = (uint8_t)i;
        }
    }
    if (m->regions[CSA_REGION_PRE_BOOTLOADER].address != g->base)
        return 5;
    otp[0] = &m->identity_otp;
    otp[1] = &m->counter_otp;
    for (i = 0; i < 2; i++)
        if (otp[i]->size == 0 || otp[i]->address < g->otp_address
            || otp[i]->address + otp[i]->size > g->otp_address + g->otp_size)
            return 6;
    return 0;
}

csa_flash_status csa_map_erase_region(const csa_flash *f, const csa_region *r)
{
    uint16_t s;
    for (s = 0; s < r->sector_count; s++) {
        csa_flash_status st = csa_flash_erase(f, (uint16_t)(r->first_sector + s));
        if (st != CSA_FLASH_OK)
            return st;
    }
    return CSA_FLASH_OK;
}
