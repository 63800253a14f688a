/* ECDSA signing, public keys and key generation (docs/security.md §10.3-10.4): input checks and the low-S output
 * rule above the port. */
#include <string.h>

#include "csa_crypto.h"
#include "p256_internal.h"

static csa_crypto_result check_priv(const uint8_t priv[32])
{
    uint32_t ok = csa_p256_scalar_valid(priv);
    CSA_CT_DECLASSIFY(&ok, sizeof ok); /* whether a key is usable is public, its value is not */
    return ok ? CSA_CRYPTO_OK : CSA_CRYPTO_E_RANGE;
}

csa_crypto_result csa_p256_sign(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t digest[CSA_SHA256_SIZE],
                                uint8_t sig[CSA_P256_SIG_SIZE])
{
    csa_fe s, ns;
    uint32_t high;
    csa_crypto_result rc = check_priv(priv);
    if (rc != CSA_CRYPTO_OK) return rc;
    if (csa_port_p256_sign(priv, digest, sig) != 0) return CSA_CRYPTO_E_PORT;
    CSA_CT_DECLASSIFY(sig, CSA_P256_SIG_SIZE); /* the signature is the output: public */
    /* low S: s := n - s when s > (n-1)/2, so every signature has exactly one encoding */
    csa_fe_from_bytes(s, sig + 32);
    high = csa_fe_lt(csa_p256_half_n, s);
    {
        static const csa_fe zero = {0};
        csa_mod_sub(ns, zero, s, &csa_p256_n);
    }
    csa_fe_cmov(s, ns, 0u - high);
    csa_fe_to_bytes(sig + 32, s);
    return CSA_CRYPTO_OK;
}

csa_crypto_result csa_p256_public_key(const uint8_t priv[CSA_P256_SCALAR_SIZE], uint8_t pub[CSA_P256_PUBLIC_SIZE])
{
    csa_crypto_result rc = check_priv(priv);
    if (rc != CSA_CRYPTO_OK) return rc;
    if (csa_port_p256_public_key(priv, pub) != 0) return CSA_CRYPTO_E_PORT;
    CSA_CT_DECLASSIFY(pub, CSA_P256_PUBLIC_SIZE);
    return CSA_CRYPTO_OK;
}

csa_crypto_result csa_p256_keygen(csa_rng_fn rng, void *rng_ctx, uint8_t priv[CSA_P256_SCALAR_SIZE],
                                  uint8_t pub[CSA_P256_PUBLIC_SIZE])
{
    uint8_t cand[32];
    int tries;
    for (tries = 0; tries < CSA_P256_KEYGEN_TRIES; tries++) {
        uint32_t ok;
        if (rng == NULL || rng(rng_ctx, cand, sizeof cand) != 0) break;
        ok = csa_p256_scalar_valid(cand);
        CSA_CT_DECLASSIFY(&ok, sizeof ok); /* only "this draw was thrown away" becomes public */
        if (ok) {
            csa_crypto_result rc = csa_p256_public_key(cand, pub);
            if (rc == CSA_CRYPTO_OK) memcpy(priv, cand, sizeof cand);
            csa_ct_wipe(cand, sizeof cand);
            return rc;
        }
    }
    csa_ct_wipe(cand, sizeof cand);
    return CSA_CRYPTO_E_RNG;
}
