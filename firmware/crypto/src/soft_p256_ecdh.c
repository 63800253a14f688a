/* ECDH on P-256, software engine: z = x(d * Q) by the constant-time ladder. */
#include <string.h>

#include "csa_crypto.h"
#include "csa_port_soft.h"
#include "p256_internal.h"

int csa_soft_p256_ecdh(const uint8_t priv[32], const uint8_t pub[64], uint8_t z[32])
{
    csa_fe d;
    csa_p256_point q, s;
    uint8_t xy[64];
    int ok;
    csa_fe_from_bytes(d, priv);
    csa_p256_point_from_affine(&q, pub);
    csa_p256_scalar_mul(&s, d, &q);
    ok = csa_p256_point_to_affine(xy, &s); /* never infinity for a valid point of prime order and 1 <= d < n */
    if (ok) memcpy(z, xy, 32);
    csa_ct_wipe(d, sizeof d);
    csa_ct_wipe(&s, sizeof s);
    csa_ct_wipe(xy, sizeof xy);
    return ok ? 0 : 1;
}
