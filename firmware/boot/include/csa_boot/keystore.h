/* The key-storage port: where the device's identity private key lives (docs/security.md 10.1), behind a narrow
 * interface the key never crosses. The bootloader asks it for the public key, to make a key pair, to sign a digest
 * (key-possession proofs, challenge answers), for the ECDH step of the content-key unwrap, and to note that the key
 * is certified; no operation returns the private key.
 *
 * Implementations: csa_boot/keystore_soft.h (the key in a protected storage area the bootloader can read: a flash
 * sector under RDP level 2, the POSIX device's key file) or a customer's secure element (its sign and ECDH commands).
 * The storage is NOT part of the flash image: a copy of the flash does not carry the key (a clone has none). */
#ifndef CSA_BOOT_KEYSTORE_H_
#define CSA_BOOT_KEYSTORE_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum csa_keystore_status {
    CSA_KEYSTORE_OK = 0,
    CSA_KEYSTORE_NO_KEY = 1,     /* no identity key pair yet */
    CSA_KEYSTORE_CERTIFIED = 2,  /* the key is certified: it is never replaced */
    CSA_KEYSTORE_RNG = 3,        /* the random-number source failed (or its health test did) */
    CSA_KEYSTORE_STORAGE = 4,    /* the storage could not be read or written */
    CSA_KEYSTORE_CRYPTO = 5      /* the computation failed (a peer point off the curve, a back-end fault) */
} csa_keystore_status;

/* What the storage holds, public parts only. */
typedef struct csa_keystore_info {
    uint8_t has_key;
    uint8_t certified;             /* a certificate for this key was committed (security.md 10.5) */
    uint8_t public_key[64];        /* X || Y when has_key */
    uint8_t certified_digest[32];  /* SHA-256 of that certificate when certified */
} csa_keystore_info;

typedef struct csa_keystore_ops {
    csa_keystore_status (*info)(void *ctx, csa_keystore_info *out);
    /* A fresh key pair from the platform's random source, replacing one that is not certified (CERTIFIED
     * otherwise); persisted before it returns. Writes the new public key. */
    csa_keystore_status (*generate)(void *ctx, uint8_t public_key[64]);
    /* ECDSA P-256 over a SHA-256 digest with the identity key: RFC 6979 nonce, low S. */
    csa_keystore_status (*sign)(void *ctx, const uint8_t digest[32], uint8_t signature[64]);
    /* z = x(d * peer) with the identity key, peer validated (below p, on the curve); constant time in d. */
    csa_keystore_status (*ecdh)(void *ctx, const uint8_t peer[64], uint8_t z[32]);
    /* Notes that the certificate with this SHA-256 certifies the key (idempotent); persisted before it returns. */
    csa_keystore_status (*mark_certified)(void *ctx, const uint8_t certificate_digest[32]);
} csa_keystore_ops;

typedef struct csa_keystore {
    const csa_keystore_ops *ops;
    void *ctx;
} csa_keystore;

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_KEYSTORE_H_ */
