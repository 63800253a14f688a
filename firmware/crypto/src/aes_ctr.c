/* AES-CTR as docs/security.md §4 defines it: keystream block i = AES_K(T0 + i mod 2^128), T0 one 128-bit
 * big-endian integer; byte offset o uses block o / 16 from o mod 16 on. Offset-addressed, so frames decrypt in any
 * order and a resent frame decrypts to the same bytes. The counter blocks are built here (full 128-bit carry), so
 * a port only ever runs the block function. */
#include <string.h>

#include "csa_crypto.h"

#define BATCH 4 /* counter blocks per port call (the soft engine does two per pass) */

csa_crypto_result csa_aes_ctr_init(csa_aes_ctr_ctx *ctx, const uint8_t *key, size_t key_len,
                                   const uint8_t counter0[CSA_AES_BLOCK])
{
    if (key == NULL || (key_len != 16 && key_len != 24 && key_len != 32)) return CSA_CRYPTO_E_LENGTH;
    if (csa_port_aes_setkey(&ctx->aes, key, key_len) != 0) return CSA_CRYPTO_E_PORT;
    memcpy(ctx->counter0, counter0, CSA_AES_BLOCK);
    return CSA_CRYPTO_OK;
}

/* out = T0 + index (128-bit big-endian addition, wrapping) */
static void counter_block(const uint8_t t0[16], uint64_t index, uint8_t out[16])
{
    unsigned carry = 0;
    int b;
    for (b = 15; b >= 0; b--) {
        unsigned s = t0[b] + (unsigned)(index & 0xffu) + carry;
        out[b] = (uint8_t)s;
        carry = s >> 8;
        index >>= 8;
    }
}

void csa_aes_ctr_crypt(const csa_aes_ctr_ctx *ctx, uint64_t offset, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t ks[BATCH * CSA_AES_BLOCK];
    uint64_t block = offset / CSA_AES_BLOCK;
    size_t skip = (size_t)(offset % CSA_AES_BLOCK);
    while (len > 0) {
        size_t need = (skip + len + CSA_AES_BLOCK - 1) / CSA_AES_BLOCK, n, i, avail;
        if (need > BATCH) need = BATCH;
        for (i = 0; i < need; i++) counter_block(ctx->counter0, block + i, ks + CSA_AES_BLOCK * i);
        csa_port_aes_encrypt(&ctx->aes, ks, ks, need);
        avail = need * CSA_AES_BLOCK - skip;
        n = len < avail ? len : avail;
        for (i = 0; i < n; i++) out[i] = (uint8_t)(in[i] ^ ks[skip + i]);
        in += n;
        out += n;
        len -= n;
        block += need;
        skip = 0;
    }
    csa_ct_wipe(ks, sizeof ks);
}

void csa_aes_ctr_clear(csa_aes_ctr_ctx *ctx)
{
    csa_port_aes_clear(&ctx->aes);
    csa_ct_wipe(ctx, sizeof *ctx);
}
