/* ECDSA P-256 signing and public-key derivation, software engine. Constant time in the private key and the
 * nonce: ladder scalar multiplication, Fermat inversion mod n (fixed exponent), Montgomery arithmetic. */
#include "csa_crypto.h"
#include "csa_port_soft.h"
#include "p256_internal.h"

#define N (&csa_p256_n)

int csa_soft_p256_public_key(const uint8_t priv[32], uint8_t pub[64])
{
    csa_fe d;
    csa_p256_point g, q;
    int ok;
    csa_fe_from_bytes(d, priv);
    csa_p256_point_generator(&g);
    csa_p256_scalar_mul(&q, d, &g);
    ok = csa_p256_point_to_affine(pub, &q);
    csa_ct_wipe(d, sizeof d);
    csa_ct_wipe(&q, sizeof q);
    return ok ? 0 : 1;
}

int csa_soft_p256_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64])
{
    uint8_t kb[32], xy[64];
    csa_fe k, r, s, d, e;
    csa_p256_point g, kg;
    uint32_t bad;
    int ok;

    csa_rfc6979_nonce(priv, digest, kb);
    csa_fe_from_bytes(k, kb);
    csa_p256_point_generator(&g);
    csa_p256_scalar_mul(&kg, k, &g);
    ok = csa_p256_point_to_affine(xy, &kg); /* never infinity: 1 <= k < n */
    csa_fe_from_bytes(r, xy);
    csa_mod_reduce_once(r, r, N);             /* r = x(kG) mod n, public */

    csa_fe_from_bytes(e, digest);
    csa_mod_reduce_once(e, e, N);
    csa_fe_from_bytes(d, priv);
    csa_mod_to_mont(k, k, N);
    csa_mod_pow(k, k, csa_p256_n.m_minus_2, N); /* k^-1 R */
    csa_mod_to_mont(d, d, N);                   /* d R */
    csa_mod_mul(s, r, d, N);                    /* r d (plain) */
    csa_mod_add(s, s, e, N);                    /* e + r d */
    csa_mod_mul(s, s, k, N);                    /* k^-1 (e + r d) */

    bad = csa_fe_is_zero(r) | csa_fe_is_zero(s);
    CSA_CT_DECLASSIFY(&bad, sizeof bad); /* probability 2^-256; the signature is public anyway */
    csa_fe_to_bytes(sig, r);
    csa_fe_to_bytes(sig + 32, s);
    csa_ct_wipe(k, sizeof k);
    csa_ct_wipe(d, sizeof d);
    csa_ct_wipe(kb, sizeof kb);
    csa_ct_wipe(&kg, sizeof kg);
    return ok && !bad ? 0 : 1;
}
