/* The product: what one kind of device is (vendor, class, name, chip), what its bootloader installs (trusted keys or
 * checksums, binding, encryption, downgrade prevention) and what its link advertises. One constant a firmware
 * compiles in; the pre-bootloader, the bootloader and the application read the same one, so what the application
 * reports (GetUpdateRules) is what its bootloader enforces. The C# counterpart is DeviceProfile. */
#ifndef CSA_SERVICE_PRODUCT_H_
#define CSA_SERVICE_PRODUCT_H_

#include <stdint.h>

#include "csa/csa_node.h"
#include "csa_boot/bootloader.h"
#include "csa_boot/identity.h"
#include "csa_boot/keystore.h"
#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_PRODUCT_NAME_MAX 32u

/* Feature flags of the Device interface (device.rpc.json FeatureFlags). */
enum {
    CSA_FEATURE_SIGNATURES = 0x01u,
    CSA_FEATURE_ENCRYPTION = 0x02u,
    CSA_FEATURE_DOWNGRADE_PROTECTION = 0x04u,
    CSA_FEATURE_DEVICE_BINDING = 0x08u,
    CSA_FEATURE_BOOTLOADER_UPDATE = 0x10u,
    CSA_FEATURE_FORWARDING = 0x20u,
    CSA_FEATURE_MULTICAST = 0x40u
};

/* ImageRequirements of the Device interface. */
enum { CSA_REQUIRE_DEVICE_BINDING = 0x01u, CSA_REQUIRE_ENCRYPTION = 0x02u };

typedef struct csa_product {
    /* Who the device is (Device.GetIdentity). */
    uint32_t vendor_id;
    uint32_t device_class_id;
    uint16_t hardware_revision;
    char product_name[CSA_PRODUCT_NAME_MAX + 1u];
    /* The chip: its memory map (and through it the flash geometry and family). */
    const csa_memory_map *map;
    /* What the bootloader installs (device-model.md 6.3). accept_crc = 1 with no keys is a checksum-only product;
     * otherwise images must carry an ECDSA P-256 signature by one of the keys. */
    csa_trusted_key keys[CSA_BOOT_MAX_KEYS];
    uint8_t key_count;
    uint8_t accept_crc;
    uint8_t downgrade_prevention;
    uint8_t require_binding;
    uint8_t require_encryption;
    uint8_t erase_ahead;
    /* Multicast (docs/updates.md 10a, the C# DeviceProfile.Multicast): the data link takes up to CSA_CONFIG_MAX_GROUPS
     * groups (protocol.md 7.6) and the bootloader advertises Multicast (it answers GetMissingBlocks either way). 0: the
     * node refuses every join and the feature is not advertised. A build with CSA_CONFIG_MAX_GROUPS 0 never has it. */
    uint8_t multicast;
    /* The link: what the node advertises and enforces (maximum frame, receive buffers, maximum packet). */
    csa_limits_t limits;
    /* Heartbeat events' period (0: none). */
    uint32_t heartbeat_ms;
    /* Device identity (docs/security.md 10; the C# DeviceProfile's ProductionTrustAnchors and RequireProvisioning):
     * the production public keys the bootloader ships (none: the product is not provisioned: GenerateIdentityKey and
     * InstallCertificate answer NotSupported), and whether a blank device installs and starts nothing. */
    csa_trusted_key production_keys[CSA_ID_MAX_PRODUCTION_KEYS];
    uint8_t production_key_count;
    uint8_t require_provisioning;
    /* The chip's key storage (csa_boot/keystore.h) where the identity key lives: content keys are unwrapped with it
     * and provisioning makes and uses it. NULL: no identity key, encrypted images are refused (KeyUnwrapFailed). A
     * product without production keys that decrypts has its key injected into the storage in production (the C#
     * DeviceProfile.IdentityKey). Not part of the flash image. */
    const csa_keystore *keystore;
} csa_product;

/* The defaults of the C# DeviceProfile: vendor 0x00C5A000, class 1, revision 1, downgrade prevention,
 * erase-ahead and multicast on, 1024-byte frames, 4 receive buffers, 4160-byte packets, Heartbeat every 5 s. The caller sets the
 * map, the keys (or accept_crc) and the name. */
void csa_product_defaults(csa_product *p, const csa_memory_map *map);

/* The DBGMCU DEV_ID the Device interface reports: 0x413 (STM32F405/407), 0x415 (STM32L476). */
uint16_t csa_product_mcu_device_id(const csa_product *p);

/* The bootloader core's configuration for this product: max_write_size = the packet size less 64, at most 4096, a
 * multiple of 16; checkpoint_interval = min(16 KiB, receive buffers x maximum frame), a multiple of 16. */
void csa_product_bl_config(const csa_product *p, csa_bl_config *config);

/* The bootloader's GetCapabilities features (the application reports Forwarding only, and the bootloader's features
 * in GetUpdateRules). Multicast, when the product has it and the build's data link takes groups. Encryption, as the C# device decides it: a build that decrypts, with a key storage, on a product
 * that requires provisioning or whose storage holds a key injected in production (no production keys). */
uint32_t csa_product_bootloader_features(const csa_product *p);
uint32_t csa_product_requirements(const csa_product *p);

/* The groups the node may join for this product: CSA_CONFIG_MAX_GROUPS with multicast, else 0 (csa_node_set_max_groups;
 * the bootloader service and the application runtime apply it at their start). */
uint8_t csa_product_max_groups(const csa_product *p);

/* The identity settings of the product (csa_boot/identity.h). */
void csa_product_identity_config(const csa_product *p, csa_identity_config *config);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_PRODUCT_H_ */
