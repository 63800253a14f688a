/* ECDH (SEC 1 §3.3.1) with the peer point checked first: an off-curve point would be an invalid-curve attack
 * on the device key (docs/security.md §5). */
#include "csa_crypto.h"
#include "p256_internal.h"

csa_crypto_result csa_p256_ecdh(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t peer[CSA_P256_PUBLIC_SIZE],
                                uint8_t z[CSA_P256_SCALAR_SIZE])
{
    uint32_t ok;
    csa_crypto_result rc = csa_p256_point_check(peer);
    if (rc != CSA_CRYPTO_OK) return rc;
    ok = csa_p256_scalar_valid(priv);
    CSA_CT_DECLASSIFY(&ok, sizeof ok);
    if (!ok) return CSA_CRYPTO_E_RANGE;
    return csa_port_p256_ecdh(priv, peer, z) == 0 ? CSA_CRYPTO_OK : CSA_CRYPTO_E_PORT;
}
