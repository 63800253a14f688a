/* The pre-bootloader's whole job (docs/device-model.md 5.2 step 1), for a port's pre-bootloader main():
 *
 *     csa_preboot_result r;
 *     if (csa_preboot_run(&flash, &product, &r) == CSA_FLASH_OK && r.copy != 0)
 *         jump_to(r.entry);        // VTOR = r.entry; MSP = *(uint32_t *)r.entry; PC = *(uint32_t *)(r.entry + 4)
 *     else
 *         halt();                  // no valid bootloader copy: production must never ship that
 *
 * It checks both bootloader copies as the start-up check of 5.1 does (committed trailer slot, manifest authenticated
 * by a trusted key or its CRC, kind, vendor, class, binding, location, payload SHA-256 re-read from flash), with the
 * state journal's word on them (a copy whose revoked bit the newest record sets is being rewritten: not valid,
 * device-model.md 6.2), and names the valid copy with the highest version, A on a tie. It reads flash only. */
#ifndef CSA_SERVICE_PREBOOT_RUN_H_
#define CSA_SERVICE_PREBOOT_RUN_H_

#include <stdint.h>

#include "csa_boot/flash.h"
#include "csa_boot/trailer.h"
#include "csa_service/product.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csa_preboot_result {
    uint8_t copy;              /* CSA_REGION_BOOTLOADER_A / B, or 0: neither copy is valid */
    uint32_t entry;            /* the copy's region start (its vector table), 0 when none */
    csa_region_check checks[2]; /* what was found in A and B */
} csa_preboot_result;

csa_flash_status csa_preboot_run(const csa_flash *flash, const csa_product *product, csa_preboot_result *result);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_PREBOOT_RUN_H_ */
