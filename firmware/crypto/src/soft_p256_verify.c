/* ECDSA P-256 verification, software engine. Everything here is public (key, digest, signature), so the double
 * scalar multiplication u1 G + u2 Q may branch on the bits (Shamir's trick: one doubling and at most one addition
 * per bit, from the table O, G, Q, G + Q). */
#include <string.h>

#include "csa_port_soft.h"
#include "p256_internal.h"

#define N (&csa_p256_n)

int csa_soft_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64])
{
    csa_fe e, r, s, w, u1, u2, x;
    csa_p256_point table[4], acc;
    uint8_t xy[64];
    int i;

    csa_fe_from_bytes(r, sig);
    csa_fe_from_bytes(s, sig + 32);
    csa_fe_from_bytes(e, digest);
    csa_mod_reduce_once(e, e, N); /* the digest as an integer mod n (bits2int, 256 = 256 bits) */

    /* w = s^-1; u1 = e w; u2 = r w (Montgomery: to_mont(s) then pow gives w R; a plain * w R / R = plain) */
    csa_mod_to_mont(w, s, N);
    csa_mod_pow(w, w, csa_p256_n.m_minus_2, N);
    csa_mod_mul(u1, e, w, N);
    csa_mod_mul(u2, r, w, N);

    csa_p256_point_generator(&table[1]);
    csa_p256_point_from_affine(&table[2], pub);
    csa_p256_point_add(&table[3], &table[1], &table[2]);
    memset(&acc, 0, sizeof acc); /* infinity (0 : 1 : 0), y = 1 in Montgomery form */
    csa_fe_copy(acc.y, csa_p256_p.one);
    for (i = 255; i >= 0; i--) {
        unsigned idx = ((u1[i >> 5] >> (i & 31)) & 1u) | (((u2[i >> 5] >> (i & 31)) & 1u) << 1);
        csa_p256_point_add(&acc, &acc, &acc);
        if (idx) csa_p256_point_add(&acc, &acc, &table[idx]);
    }
    if (!csa_p256_point_to_affine(xy, &acc)) return 1; /* u1 G + u2 Q = O: invalid */
    csa_fe_from_bytes(x, xy);
    csa_mod_reduce_once(x, x, N); /* x < p < 2n */
    for (i = 0; i < 8; i++)
        if (x[i] != r[i]) return 1;
    return 0;
}
