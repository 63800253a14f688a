/* P-256 encodings and ECDSA verification policy (docs/security.md §3): the rules every port obeys, because they
 * are checked here before the port is called. */
#include <string.h>

#include "csa_crypto.h"
#include "p256_internal.h"

csa_crypto_result csa_p256_point_check(const uint8_t pub[CSA_P256_PUBLIC_SIZE])
{
    csa_fe x, y;
    csa_fe_from_bytes(x, pub);
    csa_fe_from_bytes(y, pub + 32);
    if (!csa_fe_lt(x, csa_p256_p.m) || !csa_fe_lt(y, csa_p256_p.m)) return CSA_CRYPTO_E_RANGE;
    return csa_p256_affine_valid(pub) ? CSA_CRYPTO_OK : CSA_CRYPTO_E_NOT_ON_CURVE;
}

static csa_crypto_result decompress(const uint8_t *in, uint8_t out[64])
{
    csa_fe x, rhs, y, yy;
    uint32_t odd;
    csa_fe_from_bytes(x, in + 1);
    if (!csa_fe_lt(x, csa_p256_p.m)) return CSA_CRYPTO_E_RANGE;
    csa_mod_to_mont(x, x, &csa_p256_p);
    csa_p256_curve_rhs(rhs, x);
    csa_mod_pow(y, rhs, csa_p256_sqrt_exp, &csa_p256_p); /* p = 3 mod 4: y = rhs^((p+1)/4) if a root exists */
    csa_mod_mul(yy, y, y, &csa_p256_p);
    if (memcmp(yy, rhs, sizeof yy) != 0) return CSA_CRYPTO_E_NOT_ON_CURVE; /* x^3 - 3x + b has no root */
    csa_mod_from_mont(y, y, &csa_p256_p);
    odd = y[0] & 1u;
    if (odd != (uint32_t)(in[0] & 1u)) {
        static const csa_fe zero = {0};
        csa_mod_sub(y, zero, y, &csa_p256_p); /* the other root, p - y (y != 0: P-256 has no point of order 2) */
    }
    memcpy(out, in + 1, 32);
    csa_fe_to_bytes(out + 32, y);
    return CSA_CRYPTO_OK;
}

csa_crypto_result csa_p256_point_decode(const uint8_t *in, size_t len, unsigned flags, uint8_t out[CSA_P256_PUBLIC_SIZE])
{
    csa_crypto_result rc;
    if (len == 0 || in == NULL) return CSA_CRYPTO_E_LENGTH;
    if (in[0] == 0x04) {
        if (len != 65) return CSA_CRYPTO_E_LENGTH;
        rc = csa_p256_point_check(in + 1);
        if (rc == CSA_CRYPTO_OK) memcpy(out, in + 1, 64);
        return rc;
    }
    if (in[0] == 0x02 || in[0] == 0x03) {
        if (!(flags & CSA_P256_ACCEPT_COMPRESSED)) return CSA_CRYPTO_E_ENCODING;
        if (len != 33) return CSA_CRYPTO_E_LENGTH;
        return decompress(in, out);
    }
    return CSA_CRYPTO_E_ENCODING; /* 00 (infinity), 06/07 (hybrid), anything else */
}

csa_crypto_result csa_p256_verify(const uint8_t pub[CSA_P256_PUBLIC_SIZE], const uint8_t digest[CSA_SHA256_SIZE],
                                  const uint8_t sig[CSA_P256_SIG_SIZE], unsigned flags)
{
    csa_crypto_result rc;
    csa_fe s;
    if (!csa_p256_scalar_valid(sig) || !csa_p256_scalar_valid(sig + 32)) return CSA_CRYPTO_E_RANGE;
    if (flags & CSA_P256_REQUIRE_LOW_S) {
        csa_fe_from_bytes(s, sig + 32);
        if (csa_fe_lt(csa_p256_half_n, s)) return CSA_CRYPTO_E_HIGH_S;
    }
    rc = csa_p256_point_check(pub);
    if (rc != CSA_CRYPTO_OK) return rc;
    return csa_port_p256_verify(pub, digest, sig) == 0 ? CSA_CRYPTO_OK : CSA_CRYPTO_E_BAD_SIGNATURE;
}
