/* The pre-bootloader (docs/device-model.md 5.2 step 1): the code at the reset vector, in the pre-bootloader region,
 * never updated in the field. It checks both bootloader copies exactly as the bootloader checks an image at start-up
 * (committed trailer slot, manifest, signature under a trusted key, payload hash, kind, vendor, class, binding,
 * location) and starts the valid copy with the highest version, A on a tie. It writes nothing. */
#include "csa/csa_board.h"
#include "csa_boot/preboot.h"
#include "csa_product.h"

int main(void)
{
    const csa_flash *flash;
    const csa_memory_map *map;
    csa_image_policy policy;
    csa_region_check copies[2];
    csa_region_id running = CSA_REGION_PRE_BOOTLOADER;
    uint8_t uid[CSA_FLASH_UID_SIZE];

    csa_board_init();
    flash = csa_board_flash();
    map = csa_board_map();
    if (csa_flash_read_uid(flash, uid) != CSA_FLASH_OK)
        csa_board_halt("pre-bootloader: the unique id cannot be read");
    csa_product_policy(&policy, uid);
    if (csa_preboot_select(flash, map, &policy, copies, &running) != CSA_FLASH_OK)
        csa_board_halt("pre-bootloader: flash read error");
    if (running == CSA_REGION_PRE_BOOTLOADER)
        csa_board_halt("pre-bootloader: no valid bootloader copy");
    csa_board_start_image(map->regions[running].address);
}
