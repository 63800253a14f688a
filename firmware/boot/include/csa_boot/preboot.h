/* The pre-bootloader (docs/device-model.md 5.1-5.2): the code at the reset vector that checks both bootloader
 * copies and starts the valid one with the highest version (A on a tie). On the POSIX device, as in the C#
 * simulator, its region holds a 32-byte marker record instead of code; without it the chip has nothing to run. */
#ifndef CSA_BOOT_PREBOOT_H_
#define CSA_BOOT_PREBOOT_H_

#include <stdint.h>

#include "csa_boot/state.h"
#include "csa_boot/trailer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_PREBOOT_MAGIC 0x50415343u /* "CSAP" */
#define CSA_PREBOOT_MARKER_SIZE 32u

/* The marker: magic, format 1, version major, minor, patch (u16), 0xFF padding, CRC-32/MPEG-2 of bytes 0-27. */
void csa_preboot_marker_encode(uint8_t major, uint8_t minor, uint16_t patch, uint8_t out[CSA_PREBOOT_MARKER_SIZE]);
/* Reads the marker: *present = 1 and its version, or 0 when the region holds none. It is looked for at the region's
 * start (the simulations, where it stands for the code) and then in the region's last 32 bytes (the chips, where the
 * pre-bootloader's code and vector table start the region and its build puts the record at the end). */
csa_flash_status csa_preboot_marker_read(const csa_flash *f, const csa_memory_map *map, int *present, uint8_t *major,
                                         uint8_t *minor, uint16_t *patch);

/* Checks both copies (checks[0] = A, checks[1] = B), with the journal's word on them (record: the newest state
 * record; a copy it marks as being rewritten is not valid, device-model.md 6.2), and names the copy to start: the
 * valid one with the highest version, A on a tie; CSA_REGION_PRE_BOOTLOADER (0) when neither is valid (bricked). */
csa_flash_status csa_preboot_select(const csa_flash *f, const csa_memory_map *map, const csa_image_policy *policy,
                                    const csa_state_record *record, csa_region_check checks[2],
                                    csa_region_id *running);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_PREBOOT_H_ */
