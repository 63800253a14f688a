/* The security counter's floor in OTP (docs/device-model.md section 4): a thermometer code, one step per program
 * unit (F4 word, L4 double word). Each step programs a fresh unit to all zeros and never writes a taken one again,
 * which works under the strictest rules (L4 OTP double words are written once, zeros included). The value is the
 * number of the last taken step; a torn step counts as taken, so a cut may make the counter skip, never go back. */
#ifndef CSA_BOOT_OTP_COUNTER_H_
#define CSA_BOOT_OTP_COUNTER_H_

#include <stdint.h>

#include "csa_boot/flash.h"
#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Steps the range holds: its size in program units (64 on both maps). */
uint32_t csa_otp_counter_capacity(const csa_flash *f, const csa_otp_range *range);
csa_flash_status csa_otp_counter_read(const csa_flash *f, const csa_otp_range *range, uint32_t *value);
/* Raises the counter to at least value (a lower one changes nothing), one program operation per step.
 * CSA_FLASH_ERR_OUT_OF_RANGE when value exceeds the capacity (nothing is written). */
csa_flash_status csa_otp_counter_advance(const csa_flash *f, const csa_otp_range *range, uint32_t value);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_OTP_COUNTER_H_ */
