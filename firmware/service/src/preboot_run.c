/* The pre-bootloader's choice (device-model.md 5.2 step 1) as a port's pre-bootloader calls it. */
#include "csa_service/preboot_run.h"

#include <string.h>

#include "csa_boot/preboot.h"

csa_flash_status csa_preboot_run(const csa_flash *flash, const csa_product *product, csa_preboot_result *result)
{
    csa_bl_config config;
    csa_image_policy policy;
    uint8_t uid[CSA_FLASH_UID_SIZE];
    csa_region_id running = CSA_REGION_PRE_BOOTLOADER;
    csa_journal journal;
    csa_state_record record;
    csa_flash_status st;
    memset(result, 0, sizeof *result);
    st = csa_flash_read_uid(flash, uid);
    if (st != CSA_FLASH_OK)
        return st;
    /* The newest state record: a copy it marks as being rewritten is not valid (device-model.md 6.2). */
    csa_state_journal(&journal, flash, product->map);
    st = csa_state_read(&journal, &record);
    if (st != CSA_FLASH_OK)
        return st;
    /* The same policy the bootloader's start-up check applies (its kind and location are set per region). */
    csa_product_bl_config(product, &config);
    memset(&policy, 0, sizeof policy);
    policy.keys = config.keys;
    policy.key_count = config.key_count;
    policy.accept_crc = config.accept_crc;
    policy.vendor_id = config.vendor_id;
    policy.device_class_id = config.device_class_id;
    policy.device_uid = uid;
    policy.require_binding = config.require_binding;
    st = csa_preboot_select(flash, product->map, &policy, &record, result->checks, &running);
    if (st != CSA_FLASH_OK)
        return st;
    if (running != CSA_REGION_PRE_BOOTLOADER) {
        result->copy = (uint8_t)running;
        result->entry = product->map->regions[running].address;
    }
    return CSA_FLASH_OK;
}
