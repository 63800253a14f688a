/* The Device interface's answers that the bootloader and the application give alike (device-model.md 7.4). */
#ifndef CSA_SERVICE_DEVICE_COMMON_H_
#define CSA_SERVICE_DEVICE_COMMON_H_

#include "csa_boot/flash.h"
#include "csa_service/handoff.h"
#include "csa_service/product.h"
#include "device.rpc.binding.h"

/* Who the device is: the product, and the unique id as the flash port reads it. */
uint16_t csa_device_identity(const csa_product *p, const csa_flash *flash, device_get_identity_response_t *r);
/* The bootloader's rules: its features, the product's requirements, each image region's start and largest payload
 * (its size less the 4096-byte trailer). */
void csa_device_update_rules(const csa_product *p, device_get_update_rules_response_t *r);
/* Versions from the bootloader's findings, for the image that answers. */
void csa_device_versions(const csa_boot_handoff *h, uint8_t running_image, device_get_versions_response_t *r);
/* The findings of a started bootloader, in the form the application reads them. */
void csa_device_handoff_from(const csa_bootloader *bl, csa_boot_handoff *h);

#endif /* CSA_SERVICE_DEVICE_COMMON_H_ */
