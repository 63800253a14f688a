/* The product's settings and what follows from them (the C# DeviceProfile and DeviceService.FeaturesOf). */
#include "csa_service/product.h"

#include <string.h>

void csa_product_defaults(csa_product *p, const csa_memory_map *map)
{
    memset(p, 0, sizeof *p);
    p->vendor_id = 0x00C5A000u;
    p->device_class_id = 1u;
    p->hardware_revision = 1u;
    memcpy(p->product_name, "Csa C device", sizeof "Csa C device");
    p->map = map;
    p->downgrade_prevention = 1;
    p->erase_ahead = 1;
    p->multicast = 1;
    p->limits.max_frame_size = 1024u;
    p->limits.rx_buffers = 4u;
    p->limits.max_packet_size = 4096u + 64u;
    p->heartbeat_ms = 5000u;
}

uint16_t csa_product_mcu_device_id(const csa_product *p)
{
    return p->map->geometry->family == CSA_FLASH_L4 ? 0x415u : 0x413u;
}

void csa_product_bl_config(const csa_product *p, csa_bl_config *c)
{
    uint32_t write = p->limits.max_packet_size > 64u ? p->limits.max_packet_size - 64u : 0u;
    uint32_t window = (uint32_t)p->limits.rx_buffers * p->limits.max_frame_size;
    unsigned i;
    memset(c, 0, sizeof *c);
    c->map = p->map;
    c->vendor_id = p->vendor_id;
    c->device_class_id = p->device_class_id;
    for (i = 0; i < p->key_count && i < CSA_BOOT_MAX_KEYS; i++)
        c->keys[i] = p->keys[i];
    c->key_count = p->key_count;
    c->accept_crc = p->accept_crc;
    c->downgrade_prevention = p->downgrade_prevention;
    c->require_binding = p->require_binding;
    c->require_encryption = p->require_encryption;
    c->erase_ahead = p->erase_ahead;
    /* device-model.md 6.3: the largest write is the packet size less 64 (RPC header and Write fields with room to
     * spare), at most 4096, a multiple of the 16-byte write alignment. */
    if (write > 4096u)
        write = 4096u;
    c->max_write_size = (uint16_t)(write / CSA_BL_WRITE_ALIGNMENT * CSA_BL_WRITE_ALIGNMENT);
    /* 6.4 step 5: a watermark every 16 KiB, or every receive window when that is smaller. */
    if (window > CSA_BL_MAX_CHECKPOINT)
        window = CSA_BL_MAX_CHECKPOINT;
    c->checkpoint_interval = window / 16u * 16u;
}

uint32_t csa_product_bootloader_features(const csa_product *p)
{
    /* Every bootloader forwards, updates its other copy and honours a binding (an image bound to other unique ids
     * is refused); whether it also refuses unbound images is the product's policy, reported as a requirement. */
    uint32_t f = CSA_FEATURE_FORWARDING | CSA_FEATURE_BOOTLOADER_UPDATE | CSA_FEATURE_DEVICE_BINDING;
    if (p->key_count > 0u)
        f |= CSA_FEATURE_SIGNATURES;
    if (p->downgrade_prevention)
        f |= CSA_FEATURE_DOWNGRADE_PROTECTION;
    if (csa_product_max_groups(p) > 0u)
        f |= CSA_FEATURE_MULTICAST; /* its data link joins groups; the bootloader answers GetMissingBlocks */
#if CSA_BOOT_DECRYPT
    if (p->keystore != NULL) {
        csa_keystore_info key;
        int injected = p->production_key_count == 0 && p->keystore->ops->info(p->keystore->ctx, &key) == CSA_KEYSTORE_OK
                       && key.has_key;
        if (p->require_provisioning || injected)
            f |= CSA_FEATURE_ENCRYPTION;
    }
#endif
    return f;
}

uint8_t csa_product_max_groups(const csa_product *p)
{
    return p->multicast ? (uint8_t)CSA_CONFIG_MAX_GROUPS : 0u;
}

uint32_t csa_product_requirements(const csa_product *p)
{
    return (p->require_binding ? CSA_REQUIRE_DEVICE_BINDING : 0u) | (p->require_encryption ? CSA_REQUIRE_ENCRYPTION : 0u);
}

void csa_product_identity_config(const csa_product *p, csa_identity_config *c)
{
    unsigned i;
    memset(c, 0, sizeof *c);
    c->map = p->map;
    c->vendor_id = p->vendor_id;
    c->device_class_id = p->device_class_id;
    for (i = 0; i < p->production_key_count && i < CSA_ID_MAX_PRODUCTION_KEYS; i++)
        c->production_keys[i] = p->production_keys[i];
    c->production_key_count = p->production_key_count;
    c->require_provisioning = p->require_provisioning;
}
