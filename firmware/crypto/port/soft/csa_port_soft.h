/* The software engine as the crypto port (the default): plain C99, constant time where secrets are involved.
 * Its functions keep their own names (csa_soft_*), so a test can call them next to another port. */
#ifndef CSA_PORT_SOFT_H
#define CSA_PORT_SOFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t state[8];
    uint64_t bytes;      /* message length so far */
    uint8_t block[64];
    uint32_t used;       /* bytes waiting in block */
} csa_soft_sha256_ctx;

void csa_soft_sha256_init(csa_soft_sha256_ctx *c);
void csa_soft_sha256_update(csa_soft_sha256_ctx *c, const uint8_t *data, size_t len);
void csa_soft_sha256_final(csa_soft_sha256_ctx *c, uint8_t digest[32]);

/* Bitsliced AES: round keys stored as 8 bit planes, two blocks per pass, no table look-ups at all. */
typedef struct {
    uint32_t rk[15][8];
    uint32_t rounds;
} csa_soft_aes_ctx;

int csa_soft_aes_setkey(csa_soft_aes_ctx *c, const uint8_t *key, size_t key_len);
void csa_soft_aes_encrypt(const csa_soft_aes_ctx *c, const uint8_t *in, uint8_t *out, size_t blocks);
void csa_soft_aes_clear(csa_soft_aes_ctx *c);

int csa_soft_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64]);
int csa_soft_p256_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]);
int csa_soft_p256_ecdh(const uint8_t priv[32], const uint8_t pub[64], uint8_t z[32]);
int csa_soft_p256_public_key(const uint8_t priv[32], uint8_t pub[64]);

#ifdef __cplusplus
}
#endif

#endif
