/* P-256 arithmetic shared by the portable layer (point validation) and the software engine.
 *
 * Numbers are 8 little-endian 32-bit limbs. Both fields (mod p for coordinates, mod n for scalars) use one
 * Montgomery multiplication (CIOS, R = 2^256) parameterised by the modulus: one routine keeps the bootloader
 * small. Everything here is constant time: no branch and no memory index depends on a limb value; results of
 * comparisons come back as 0/1 or all-ones masks. */
#ifndef CSA_P256_INTERNAL_H
#define CSA_P256_INTERNAL_H

#include <stdint.h>

#include "csa_crypto_config.h"

typedef uint32_t csa_fe[8];

typedef struct {
    csa_fe m;       /* the modulus */
    csa_fe r2;      /* R^2 mod m, to enter the Montgomery domain */
    csa_fe one;     /* R mod m, 1 in the Montgomery domain */
    csa_fe m_minus_2; /* exponent for inversion (Fermat) */
    uint32_t m0inv; /* -m^-1 mod 2^32 */
} csa_p256_modulus;

extern const csa_p256_modulus csa_p256_p; /* field prime p */
extern const csa_p256_modulus csa_p256_n; /* group order n */
extern const csa_fe csa_p256_b_mont;      /* curve b, Montgomery form mod p */
extern const csa_fe csa_p256_gx_mont, csa_p256_gy_mont;
extern const csa_fe csa_p256_half_n;      /* (n - 1) / 2: the largest low S */
extern const csa_fe csa_p256_sqrt_exp;    /* (p + 1) / 4 */

/* Projective homogeneous point (X : Y : Z), coordinates in Montgomery form; infinity is (0 : 1 : 0). */
typedef struct {
    csa_fe x, y, z;
} csa_p256_point;

void csa_fe_from_bytes(csa_fe r, const uint8_t in[32]);  /* big-endian, no reduction */
void csa_fe_to_bytes(uint8_t out[32], const csa_fe a);
void csa_fe_copy(csa_fe r, const csa_fe a);
/* 1 when a < b, else 0 */
uint32_t csa_fe_lt(const csa_fe a, const csa_fe b);
/* 1 when a == 0 */
uint32_t csa_fe_is_zero(const csa_fe a);
/* r = a when mask is all ones, unchanged when mask is 0 */
void csa_fe_cmov(csa_fe r, const csa_fe a, uint32_t mask);

/* Montgomery arithmetic modulo M->m; inputs < m, outputs < m. */
void csa_mod_mul(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M);
void csa_mod_add(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M);
void csa_mod_sub(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M);
/* r = a^e (Montgomery domain), e public: square-and-multiply over e's fixed bits */
void csa_mod_pow(csa_fe r, const csa_fe a, const csa_fe e, const csa_p256_modulus *M);
void csa_mod_to_mont(csa_fe r, const csa_fe a, const csa_p256_modulus *M);
void csa_mod_from_mont(csa_fe r, const csa_fe a, const csa_p256_modulus *M);
/* a mod m for any 256-bit a (a < 2m holds for both moduli) */
void csa_mod_reduce_once(csa_fe r, const csa_fe a, const csa_p256_modulus *M);

/* rhs = x^3 - 3x + b (Montgomery), for on-curve checks and decompression */
void csa_p256_curve_rhs(csa_fe rhs, const csa_fe x_mont);
/* 1 when the affine point (big-endian X || Y) has both coordinates < p and lies on the curve */
int csa_p256_affine_valid(const uint8_t xy[64]);

/* Software engine, point level (soft_p256_point.c / soft_p256_ladder.c) */
void csa_p256_point_add(csa_p256_point *r, const csa_p256_point *a, const csa_p256_point *b); /* complete */
void csa_p256_point_from_affine(csa_p256_point *r, const uint8_t xy[64]);
void csa_p256_point_generator(csa_p256_point *r);
/* affine X || Y; returns 0 for the point at infinity (nothing written), 1 otherwise */
int csa_p256_point_to_affine(uint8_t xy[64], const csa_p256_point *a);
/* r = k * a, Montgomery ladder over all 256 bits; constant time in k */
void csa_p256_scalar_mul(csa_p256_point *r, const csa_fe k, const csa_p256_point *a);

/* 1 when the 32-byte big-endian scalar is in [1, n-1], constant time */
uint32_t csa_p256_scalar_valid(const uint8_t k[32]);

#endif
