/* The bootloader core's static configuration. A firmware overrides any value on the compiler command line
 * (-DCSA_BOOT_MAX_PAYLOAD=1699840) or in its own header named by CSA_BOOT_CONFIG_FILE. Every RAM buffer of the core
 * is sized here (docs/firmware.md section 8.7 lists the RAM each costs). */
#ifndef CSA_BOOT_CONFIG_H_
#define CSA_BOOT_CONFIG_H_

#ifdef CSA_BOOT_CONFIG_FILE
#include CSA_BOOT_CONFIG_FILE
#endif

/* ECDSA P-256 image signatures (0: a checksum-only bootloader, CRC-32 images only, no P-256 code linked). */
#ifndef CSA_BOOT_ECDSA
#define CSA_BOOT_ECDSA 1
#endif

/* The crypto features of a bootloader build (docs/firmware.md section 15, docs/performance.md section 6). They follow the
 * crypto library's build (csa_crypto_config.h) unless a product sets them:
 *   CSA_BOOT_DECRYPT       encrypted images: the content-key unwrap and AES-256-CTR while writing (security.md 4-5)
 *   CSA_BOOT_PROVISIONING  device identity: the Provisioning interface, the identity key made and used on the device,
 *                          the lifecycle check at every start (security.md 10); needs signing in the crypto build
 * Both 0 with CSA_BOOT_ECDSA 1 is the verify-only bootloader of the 32 KB budget. */
#include "csa_crypto_config.h"
#ifndef CSA_BOOT_DECRYPT
#define CSA_BOOT_DECRYPT CSA_CRYPTO_WITH_DECRYPT
#endif
#ifndef CSA_BOOT_PROVISIONING
#define CSA_BOOT_PROVISIONING CSA_CRYPTO_WITH_SIGN
#endif
#if CSA_BOOT_DECRYPT && !CSA_CRYPTO_WITH_DECRYPT
#error "CSA_BOOT_DECRYPT needs the crypto library built with CSA_CRYPTO_WITH_DECRYPT"
#endif
#if CSA_BOOT_PROVISIONING && !CSA_CRYPTO_WITH_SIGN
#error "CSA_BOOT_PROVISIONING needs the crypto library built with CSA_CRYPTO_WITH_SIGN"
#endif

/* The largest payload an update session tracks: one bit per 16-byte block of it in RAM (768 KiB: 6 KiB of bitmap,
 * the budget of device-model.md 6.4.1; it covers the F4 1 MB and L4 1 MB application regions). The F4 2 MB map
 * needs 1699840 (13 KiB). csa_bl_init refuses a map whose largest image region does not fit. */
#ifndef CSA_BOOT_MAX_PAYLOAD
#define CSA_BOOT_MAX_PAYLOAD 786432u
#endif

/* The most sectors (pages) one image region has: one bit each, the sectors erased in this session. */
#ifndef CSA_BOOT_MAX_REGION_SECTORS
#define CSA_BOOT_MAX_REGION_SECTORS 512u
#endif

/* Trusted signing keys a bootloader holds. */
#ifndef CSA_BOOT_MAX_KEYS
#define CSA_BOOT_MAX_KEYS 4u
#endif

/* The stack buffer flash is read through when hashing and comparing (bytes, a multiple of 16). */
#ifndef CSA_BOOT_READ_CHUNK
#define CSA_BOOT_READ_CHUNK 128u
#endif

#endif /* CSA_BOOT_CONFIG_H_ */
