/* The product of a chip build (csa_chip_product.h). */
#include "csa_chip_product.h"

#include <string.h>

#include "csa_chip_product_config.h"

static const uint8_t trusted[CSA_PRODUCT_KEY_COUNT > 0 ? CSA_PRODUCT_KEY_COUNT : 1][64] = CSA_PRODUCT_KEYS;

typedef char csa_product_name_fits[sizeof CSA_PRODUCT_NAME - 1u <= CSA_PRODUCT_NAME_MAX ? 1 : -1];
typedef char csa_product_keys_fit[CSA_PRODUCT_KEY_COUNT <= CSA_BOOT_MAX_KEYS ? 1 : -1];

void csa_chip_product(csa_product *p, const csa_memory_map *map)
{
    unsigned i;
    csa_product_defaults(p, map);
    p->vendor_id = CSA_PRODUCT_VENDOR_ID;
    p->device_class_id = CSA_PRODUCT_DEVICE_CLASS;
    p->hardware_revision = CSA_PRODUCT_HARDWARE_REVISION;
    memset(p->product_name, 0, sizeof p->product_name);
    memcpy(p->product_name, CSA_PRODUCT_NAME, sizeof CSA_PRODUCT_NAME - 1u);
    for (i = 0; i < CSA_PRODUCT_KEY_COUNT; i++)
        csa_trusted_key_init(&p->keys[i], trusted[i]);
    p->key_count = CSA_PRODUCT_KEY_COUNT;
    p->accept_crc = CSA_PRODUCT_ACCEPT_CRC;
    p->require_binding = CSA_PRODUCT_REQUIRE_BINDING;
    p->downgrade_prevention = CSA_PRODUCT_DOWNGRADE_PREVENTION;
    /* What the link advertises: the chip bootloader's capacities (chips/config), which the application shares so
       that both report the same limits. */
    p->limits.max_frame_size = CSA_CHIP_MAX_FRAME_SIZE;
    p->limits.rx_buffers = CSA_CHIP_RX_BUFFERS;
    p->limits.max_packet_size = CSA_CHIP_MAX_PACKET_SIZE;
    p->heartbeat_ms = CSA_PRODUCT_HEARTBEAT_MS;
}
