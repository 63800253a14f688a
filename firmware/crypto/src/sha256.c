/* SHA-256 through the crypto port. */
#include "csa_crypto.h"

void csa_sha256_init(csa_sha256_ctx *ctx) { csa_port_sha256_init(&ctx->port); }

void csa_sha256_update(csa_sha256_ctx *ctx, const void *data, size_t len)
{
    csa_port_sha256_update(&ctx->port, (const uint8_t *)data, len);
}

void csa_sha256_final(csa_sha256_ctx *ctx, uint8_t digest[CSA_SHA256_SIZE])
{
    csa_port_sha256_final(&ctx->port, digest);
}

void csa_sha256(const void *data, size_t len, uint8_t digest[CSA_SHA256_SIZE])
{
    csa_sha256_ctx ctx;
    csa_sha256_init(&ctx);
    csa_sha256_update(&ctx, data, len);
    csa_sha256_final(&ctx, digest);
}
