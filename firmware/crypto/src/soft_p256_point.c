/* P-256 point arithmetic of the software engine: projective homogeneous coordinates and the complete addition
 * formula of Renes, Costello and Batina (EUROCRYPT 2016, Algorithm 4, a = -3). "Complete" means one formula for
 * every pair of inputs (P + Q, P + P, P + O, O + O): no special cases, so no branches on secret data, and a single
 * routine both adds and doubles (smaller firmware). Cost: 12 multiplications, 2 by b, 29 additions. */
#include <string.h>

#include "p256_internal.h"

#define P (&csa_p256_p)

void csa_p256_point_add(csa_p256_point *r, const csa_p256_point *a, const csa_p256_point *q)
{
    csa_fe t0, t1, t2, t3, t4, x3, y3, z3;
    csa_mod_mul(t0, a->x, q->x, P);
    csa_mod_mul(t1, a->y, q->y, P);
    csa_mod_mul(t2, a->z, q->z, P);
    csa_mod_add(t3, a->x, a->y, P);
    csa_mod_add(t4, q->x, q->y, P);
    csa_mod_mul(t3, t3, t4, P);
    csa_mod_add(t4, t0, t1, P);
    csa_mod_sub(t3, t3, t4, P);   /* X1 Y2 + X2 Y1 */
    csa_mod_add(t4, a->y, a->z, P);
    csa_mod_add(x3, q->y, q->z, P);
    csa_mod_mul(t4, t4, x3, P);
    csa_mod_add(x3, t1, t2, P);
    csa_mod_sub(t4, t4, x3, P);   /* Y1 Z2 + Y2 Z1 */
    csa_mod_add(x3, a->x, a->z, P);
    csa_mod_add(y3, q->x, q->z, P);
    csa_mod_mul(x3, x3, y3, P);
    csa_mod_add(y3, t0, t2, P);
    csa_mod_sub(y3, x3, y3, P);   /* X1 Z2 + X2 Z1 */
    csa_mod_mul(z3, csa_p256_b_mont, t2, P);
    csa_mod_sub(x3, y3, z3, P);
    csa_mod_add(z3, x3, x3, P);
    csa_mod_add(x3, x3, z3, P);
    csa_mod_sub(z3, t1, x3, P);
    csa_mod_add(x3, t1, x3, P);
    csa_mod_mul(y3, csa_p256_b_mont, y3, P);
    csa_mod_add(t1, t2, t2, P);
    csa_mod_add(t2, t1, t2, P);
    csa_mod_sub(y3, y3, t2, P);
    csa_mod_sub(y3, y3, t0, P);
    csa_mod_add(t1, y3, y3, P);
    csa_mod_add(y3, t1, y3, P);
    csa_mod_add(t1, t0, t0, P);
    csa_mod_add(t0, t1, t0, P);
    csa_mod_sub(t0, t0, t2, P);
    csa_mod_mul(t1, t4, y3, P);
    csa_mod_mul(t2, t0, y3, P);
    csa_mod_mul(y3, x3, z3, P);
    csa_mod_add(y3, y3, t2, P);
    csa_mod_mul(x3, x3, t3, P);
    csa_mod_sub(x3, x3, t1, P);
    csa_mod_mul(z3, z3, t4, P);
    csa_mod_mul(t1, t3, t0, P);
    csa_mod_add(z3, z3, t1, P);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof y3);
    memcpy(r->z, z3, sizeof z3);
}

void csa_p256_point_from_affine(csa_p256_point *r, const uint8_t xy[64])
{
    csa_fe_from_bytes(r->x, xy);
    csa_fe_from_bytes(r->y, xy + 32);
    csa_mod_to_mont(r->x, r->x, P);
    csa_mod_to_mont(r->y, r->y, P);
    memcpy(r->z, csa_p256_p.one, sizeof(csa_fe));
}

void csa_p256_point_generator(csa_p256_point *r)
{
    memcpy(r->x, csa_p256_gx_mont, sizeof(csa_fe));
    memcpy(r->y, csa_p256_gy_mont, sizeof(csa_fe));
    memcpy(r->z, csa_p256_p.one, sizeof(csa_fe));
}

int csa_p256_point_to_affine(uint8_t xy[64], const csa_p256_point *a)
{
    csa_fe zi, t;
    uint32_t inf = csa_fe_is_zero(a->z);
    CSA_CT_DECLASSIFY(&inf, sizeof inf); /* whether a result is the point at infinity is public */
    if (inf) return 0;
    csa_mod_pow(zi, a->z, csa_p256_p.m_minus_2, P); /* Fermat: constant time, the exponent is fixed */
    csa_mod_mul(t, a->x, zi, P);
    csa_mod_from_mont(t, t, P);
    csa_fe_to_bytes(xy, t);
    csa_mod_mul(t, a->y, zi, P);
    csa_mod_from_mont(t, t, P);
    csa_fe_to_bytes(xy + 32, t);
    return 1;
}
