/* What the identity and encrypted-update tests share: a deterministic random source, a RAM key storage, a production
 * key that signs certificates, and the tests' identity configuration. */
#ifndef CSA_TEST_IDENTITY_KIT_H_
#define CSA_TEST_IDENTITY_KIT_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/identity.h"
#include "csa_boot/keystore_soft.h"

/* A key storage in RAM with a deterministic random source (SHA-256 of a seed and a counter). */
typedef struct test_keystore {
    csa_keystore_soft soft;
    csa_keystore_record record;
    uint8_t seed[32];
    uint32_t counter;
    int broken;               /* 1: the random source fails */
} test_keystore;

void test_keystore_init(test_keystore *ks, uint32_t seed);
/* Puts a known private key into the storage (a factory-injected key, or the golden identity key). */
void test_keystore_put(test_keystore *ks, const uint8_t private_key[32]);

/* The tests' product: vendor 0x00C5A000, class 1 (the golden certificate's), the RFC 6979 A.2.5 key as the
 * production key (the golden certificate's issuer), provisioning required. */
void test_identity_config(csa_identity_config *c, const csa_memory_map *map);

/* A certificate for (uid, public key) signed by `production_private` (RFC 6979, low S). */
void test_make_certificate(const uint8_t uid[12], uint32_t vendor, uint32_t device_class, uint8_t lifecycle,
                           uint32_t serial, const uint8_t public_key[64], const uint8_t production_private[32],
                           uint8_t out[CSA_CERT_SIZE]);

/* The ECIES wrap of security.md 5 (the host's side, for the tests): the content key for recipient R under context
 * ctx, with ephemeral scalar e. */
void test_ecies_wrap(const uint8_t content_key[32], const uint8_t recipient[64], const uint8_t ctx[32],
                     const uint8_t ephemeral[32], uint8_t block[129]);

#endif
