/* The pre-bootloader (docs/device-model.md 5.2 step 1): the code at the reset vector, in the pre-bootloader region,
 * never updated in the field. It checks both bootloader copies exactly as the bootloader checks an image at start-up
 * (csa_preboot_run: committed trailer slot, manifest, signature under a trusted key, payload hash, kind, vendor,
 * class, binding, location) and starts the valid copy with the highest version, A on a tie. It writes nothing. */
#include "csa/csa_board.h"
#include "csa_chip_product.h"
#include "csa_service/preboot_run.h"

static csa_product product;
static csa_preboot_result found;

int main(void)
{
    csa_board_init();
    csa_chip_product(&product, csa_board_map());
    if (csa_preboot_run(csa_board_flash(), &product, &found) != CSA_FLASH_OK)
        csa_board_halt("pre-bootloader: flash read error");
    if (found.copy == 0)
        csa_board_halt("pre-bootloader: no valid bootloader copy");
    csa_board_start_image(found.entry);
}
