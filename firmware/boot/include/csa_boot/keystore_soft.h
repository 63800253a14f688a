/* A key storage in software (csa_boot/keystore.h) over a storage area the bootloader can read and write: the key
 * record lives in a backend (load / save, atomic), every operation loads it onto the stack, computes with
 * firmware/crypto's constant-time P-256 and wipes it. The key pair comes from the platform's random-number port
 * (csa_rng_fn: getrandom on POSIX, the RNG peripheral with its health test on the chips).
 *
 * Backends: csa_keystore_ram_backend (RAM: a device whose key lives as long as the process or the power), the POSIX
 * device's key file (apps/csa-device), a protected flash sector or a secure element's storage on a chip
 * (docs/firmware.md section 15.3, "Where the key storage lives"). */
#ifndef CSA_BOOT_KEYSTORE_SOFT_H_
#define CSA_BOOT_KEYSTORE_SOFT_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/keystore.h"
#include "csa_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a backend stores. */
typedef struct csa_keystore_record {
    uint8_t has_key;
    uint8_t certified;
    uint8_t private_key[32];
    uint8_t public_key[64];
    uint8_t certified_digest[32];
} csa_keystore_record;

typedef struct csa_keystore_backend {
    /* Fills *r (has_key 0 for an empty storage); 0, or -1 when the storage cannot be read or is damaged. */
    int (*load)(void *ctx, csa_keystore_record *r);
    /* Replaces the stored record, atomically (the old one or the new one after any failure); 0 or -1. */
    int (*save)(void *ctx, const csa_keystore_record *r);
    void *ctx;
} csa_keystore_backend;

/* The platform's random-number port (the csa_rng_fn of firmware/crypto): fills buf from a cryptographically secure,
 * health-tested source; 0 on success. */
typedef int (*csa_keystore_rng)(void *rng_ctx, uint8_t *buf, size_t len);

typedef struct csa_keystore_soft {
    csa_keystore port;             /* what the bootloader uses */
    csa_keystore_backend backend;
    csa_keystore_rng rng;
    void *rng_ctx;
} csa_keystore_soft;

/* Binds the key storage to its backend and random source (rng NULL: no key can be made, GenerateIdentityKey
 * fails with CSA_KEYSTORE_RNG; a build without CSA_CRYPTO_WITH_SIGN cannot make or sign either). */
void csa_keystore_soft_init(csa_keystore_soft *ks, const csa_keystore_backend *backend, csa_keystore_rng rng,
                            void *rng_ctx);

/* A backend in RAM: `record` is the storage (zeroed: empty). */
void csa_keystore_ram_backend(csa_keystore_backend *backend, csa_keystore_record *record);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_KEYSTORE_SOFT_H_ */
