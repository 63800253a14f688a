/* The product's identity and trust, compiled into the pre-bootloader, the bootloader and the application (set by
 * CMake: CSA_PRODUCT_* in firmware/chips/CMakeLists.txt, generated into csa_product_config.h; docs/firmware.md). */
#ifndef CSA_PRODUCT_H_
#define CSA_PRODUCT_H_

#include <stdint.h>

#include "csa_boot/image.h"
#include "csa_product_config.h"

/* The trusted signing keys (their ids computed once: csa_trusted_key_init). */
const csa_trusted_key *csa_product_keys(uint8_t *count);

/* The product's part of the image policy (keys, CRC or signatures, low S, vendor, device class, binding), for the
 * device `uid` (12 bytes; NULL: no binding check). */
void csa_product_policy(csa_image_policy *policy, const uint8_t *uid);

#endif /* CSA_PRODUCT_H_ */
