/* The crypto port: the seam between Csa's cryptography and the engine that does the heavy lifting.
 *
 * Shape: compile-time selection, as nanopb and littlefs configure themselves. The build defines
 * CSA_CRYPTO_PORT_HEADER as the name of a header that provides the items below (functions or macros); without
 * it the software engine of this directory is used (port/soft/csa_port_soft.h). Nothing is dispatched at run
 * time, so a bootloader links only the engine functions it calls (the verify-only build carries no signing,
 * ECDH or AES code).
 *
 * A port provides:
 *
 *   type csa_port_sha256_ctx;
 *   void csa_port_sha256_init  (csa_port_sha256_ctx *c);
 *   void csa_port_sha256_update(csa_port_sha256_ctx *c, const uint8_t *data, size_t len);
 *   void csa_port_sha256_final (csa_port_sha256_ctx *c, uint8_t digest[32]);
 *
 *   type csa_port_aes_ctx;                              (an expanded encryption key)
 *   int  csa_port_aes_setkey (csa_port_aes_ctx *c, const uint8_t *key, size_t key_len);   16/24/32, 0 = ok
 *   void csa_port_aes_encrypt(const csa_port_aes_ctx *c, const uint8_t *in, uint8_t *out, size_t blocks);
 *                                                       (ECB over `blocks` 16-byte blocks: the CTR layer
 *                                                        builds the counter blocks, so a peripheral that only
 *                                                        counts the low 32 bits is never trusted with a carry)
 *   void csa_port_aes_clear  (csa_port_aes_ctx *c);
 *
 *   P-256, all byte strings big-endian, points as X || Y (64 bytes). The layer above has already checked every
 *   input (points on the curve, coordinates < p, scalars and r, s in [1, n-1]); a port returns 0 on success:
 *   int csa_port_p256_verify    (const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64]);
 *                                 0 = valid; r == x(u1 G + u2 Q) mod n with the point at infinity refused
 *   int csa_port_p256_sign      (const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]);
 *                                 RFC 6979 nonce (HMAC-SHA256), either s (the layer above makes it low S);
 *                                 constant time in priv and the nonce
 *   int csa_port_p256_ecdh      (const uint8_t priv[32], const uint8_t pub[64], uint8_t z[32]);
 *   int csa_port_p256_public_key(const uint8_t priv[32], uint8_t pub[64]);
 *
 * A port that uses a peripheral with a fixed nonce interface (e.g. a PKA that takes k) calls
 * csa_rfc6979_nonce() below for the nonce. Ports in this tree: port/soft (default), port/mbedtls (host build,
 * Debian's libmbedtls-dev; it demonstrates the seam and cross-checks the software engine). */
#ifndef CSA_CRYPTO_PORT_H
#define CSA_CRYPTO_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "csa_crypto_config.h"

#ifdef CSA_CRYPTO_PORT_HEADER
#include CSA_CRYPTO_PORT_HEADER
#else
#include "csa_port_soft_map.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 6979 §3.2 nonce for P-256 with HMAC-SHA256: the first candidate k in [1, n-1] for (priv, digest).
 * Constant time in priv and k (a rejected candidate, probability < 2^-32, costs one more round). */
void csa_rfc6979_nonce(const uint8_t priv[32], const uint8_t digest[32], uint8_t k[32]);

#ifdef __cplusplus
}
#endif

#endif
