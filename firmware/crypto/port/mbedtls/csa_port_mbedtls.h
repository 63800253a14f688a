/* A second crypto port: Mbed TLS 2.28 (Debian's libmbedtls-dev) as the engine. It shows the shape a customer's
 * port takes (a certified library, or a port whose functions drive STM32 HASH/AES/PKA peripherals), and on the
 * host build it cross-checks the software engine: every vector suite also runs through this port, and
 * crypto.mbedtls.crosscheck compares the two engines on random inputs.
 * Selected with -DCSA_CRYPTO_PORT_HEADER="csa_port_mbedtls.h" (CMake: CSA_CRYPTO_PORT=mbedtls). */
#ifndef CSA_PORT_MBEDTLS_H
#define CSA_PORT_MBEDTLS_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/aes.h>
#include <mbedtls/sha256.h>

void csa_mbedtls_sha256_init(mbedtls_sha256_context *c);
void csa_mbedtls_sha256_update(mbedtls_sha256_context *c, const uint8_t *data, size_t len);
void csa_mbedtls_sha256_final(mbedtls_sha256_context *c, uint8_t digest[32]);
int csa_mbedtls_aes_setkey(mbedtls_aes_context *c, const uint8_t *key, size_t key_len);
void csa_mbedtls_aes_encrypt(const mbedtls_aes_context *c, const uint8_t *in, uint8_t *out, size_t blocks);
void csa_mbedtls_aes_clear(mbedtls_aes_context *c);
int csa_mbedtls_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64]);
int csa_mbedtls_p256_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]);
int csa_mbedtls_p256_ecdh(const uint8_t priv[32], const uint8_t pub[64], uint8_t z[32]);
int csa_mbedtls_p256_public_key(const uint8_t priv[32], uint8_t pub[64]);

#define csa_port_sha256_ctx mbedtls_sha256_context
#define csa_port_sha256_init csa_mbedtls_sha256_init
#define csa_port_sha256_update csa_mbedtls_sha256_update
#define csa_port_sha256_final csa_mbedtls_sha256_final
#define csa_port_aes_ctx mbedtls_aes_context
#define csa_port_aes_setkey csa_mbedtls_aes_setkey
#define csa_port_aes_encrypt csa_mbedtls_aes_encrypt
#define csa_port_aes_clear csa_mbedtls_aes_clear
#define csa_port_p256_verify csa_mbedtls_p256_verify
#define csa_port_p256_sign csa_mbedtls_p256_sign
#define csa_port_p256_ecdh csa_mbedtls_p256_ecdh
#define csa_port_p256_public_key csa_mbedtls_p256_public_key

#endif
