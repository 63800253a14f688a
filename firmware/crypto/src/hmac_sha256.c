/* HMAC-SHA256 (RFC 2104). Keys longer than the block are hashed first; shorter ones are zero-padded, so an empty
 * key equals 64 zero bytes (HKDF's empty salt). No branch depends on key bytes. */
#include <string.h>

#include "csa_crypto.h"

void csa_hmac_sha256_init(csa_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len)
{
    uint8_t k[CSA_SHA256_BLOCK];
    unsigned i;
    memset(k, 0, sizeof k);
    if (key_len > CSA_SHA256_BLOCK) {
        csa_sha256(key, key_len, k);
    } else if (key_len > 0) {
        memcpy(k, key, key_len);
    }
    for (i = 0; i < sizeof k; i++) k[i] ^= 0x36;
    csa_sha256_init(&ctx->inner);
    csa_sha256_update(&ctx->inner, k, sizeof k);
    for (i = 0; i < sizeof k; i++) k[i] ^= 0x36 ^ 0x5c;
    csa_sha256_init(&ctx->outer);
    csa_sha256_update(&ctx->outer, k, sizeof k);
    csa_ct_wipe(k, sizeof k);
}

void csa_hmac_sha256_update(csa_hmac_sha256_ctx *ctx, const void *data, size_t len)
{
    csa_sha256_update(&ctx->inner, data, len);
}

void csa_hmac_sha256_final(csa_hmac_sha256_ctx *ctx, uint8_t mac[CSA_SHA256_SIZE])
{
    uint8_t ih[CSA_SHA256_SIZE];
    csa_sha256_final(&ctx->inner, ih);
    csa_sha256_update(&ctx->outer, ih, sizeof ih);
    csa_sha256_final(&ctx->outer, mac);
    csa_ct_wipe(ih, sizeof ih);
    csa_ct_wipe(ctx, sizeof *ctx);
}

void csa_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t mac[CSA_SHA256_SIZE])
{
    csa_hmac_sha256_ctx ctx;
    csa_hmac_sha256_init(&ctx, key, key_len);
    csa_hmac_sha256_update(&ctx, data, len);
    csa_hmac_sha256_final(&ctx, mac);
}
