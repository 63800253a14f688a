/* The product a chip build is for (csa_service/product.h), from the CSA_PRODUCT_* and CSA_CHIP_* settings of
 * firmware/chips/CMakeLists.txt: identity, trusted keys, policy, the link's limits. The pre-bootloader, the
 * bootloader and the application of one build compile in the same one. */
#ifndef CSA_CHIP_PRODUCT_H_
#define CSA_CHIP_PRODUCT_H_

#include "csa_service/product.h"

/* The product on `map` (the board's memory map). */
void csa_chip_product(csa_product *product, const csa_memory_map *map);

#endif /* CSA_CHIP_PRODUCT_H_ */
