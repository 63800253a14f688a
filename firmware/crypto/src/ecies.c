/* ECIES content-key unwrap, docs/security.md §5, byte by byte:
 *   Z = x(d E); info = "Csa ECIES-P256 content key v1" || ctx || E || R; Ke || Km = HKDF-SHA256(Z, salt = empty,
 *   info, 64); T' = HMAC-SHA256(Km, E || C || ctx); CK = C XOR Ke only when T' == T (constant-time compare).
 * Every secret (d, Z, Ke, Km, CK) flows through constant-time code; only the verdict of the tag compare becomes
 * public. The scalar multiplication Z = x(d E) is a callback, so a key storage that never hands out d (a secure
 * element, a firewalled key area) computes it where the key lives; csa_ecies_unwrap is the same construction with
 * d in RAM. */
#include <string.h>

#include "csa_crypto.h"

static const char LABEL[] = "Csa ECIES-P256 content key v1"; /* 29 bytes, no terminator in info */

static csa_crypto_result ecdh_with_scalar(void *priv, const uint8_t peer[CSA_P256_PUBLIC_SIZE],
                                          uint8_t z[CSA_P256_SCALAR_SIZE])
{
    return csa_p256_ecdh((const uint8_t *)priv, peer, z);
}

csa_crypto_result csa_ecies_unwrap(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t own_pub[CSA_P256_PUBLIC_SIZE],
                                   const uint8_t *block, size_t block_len, const uint8_t *ctx, size_t ctx_len,
                                   uint8_t content_key[CSA_ECIES_KEY_SIZE])
{
    return csa_ecies_unwrap_with(ecdh_with_scalar, (void *)priv, own_pub, block, block_len, ctx, ctx_len, content_key);
}

csa_crypto_result csa_ecies_unwrap_with(csa_ecdh_fn ecdh, void *ecdh_ctx, const uint8_t own_pub[CSA_P256_PUBLIC_SIZE],
                                        const uint8_t *block, size_t block_len, const uint8_t *ctx, size_t ctx_len,
                                        uint8_t content_key[CSA_ECIES_KEY_SIZE])
{
    uint8_t e[64], z[32], okm[64], tag[32], info[29 + 32 + 65 + 65];
    csa_hmac_sha256_ctx h;
    csa_crypto_result rc;
    uint32_t equal, mask;
    unsigned i;

    memset(content_key, 0, CSA_ECIES_KEY_SIZE);
    if (block == NULL || ctx == NULL || block_len != CSA_ECIES_BLOCK_SIZE || ctx_len != CSA_SHA256_SIZE)
        return CSA_CRYPTO_E_LENGTH;
    rc = csa_p256_point_decode(block, 65, 0, e); /* 04 || X || Y only, below p, on the curve */
    if (rc != CSA_CRYPTO_OK) return rc;
    rc = ecdh(ecdh_ctx, e, z);
    if (rc != CSA_CRYPTO_OK) {
        csa_ct_wipe(z, sizeof z);
        return rc;
    }

    memcpy(info, LABEL, 29);
    memcpy(info + 29, ctx, 32);
    memcpy(info + 61, block, 65);
    info[126] = 0x04;
    memcpy(info + 127, own_pub, 64);
    csa_hkdf_sha256(NULL, 0, z, sizeof z, info, sizeof info, okm, sizeof okm);

    csa_hmac_sha256_init(&h, okm + 32, 32);
    csa_hmac_sha256_update(&h, block, 65 + 32); /* E || C */
    csa_hmac_sha256_update(&h, ctx, 32);
    csa_hmac_sha256_final(&h, tag);
    equal = (uint32_t)csa_ct_equal(tag, block + 97, 32);
    mask = 0u - equal;
    for (i = 0; i < CSA_ECIES_KEY_SIZE; i++) content_key[i] = (uint8_t)(mask & (block[65 + i] ^ okm[i]));
    csa_ct_wipe(z, sizeof z);
    csa_ct_wipe(okm, sizeof okm);
    CSA_CT_DECLASSIFY(&equal, sizeof equal); /* the verdict is public; the key is not */
    return equal ? CSA_CRYPTO_OK : CSA_CRYPTO_E_BAD_TAG;
}
