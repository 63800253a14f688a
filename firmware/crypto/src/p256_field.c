/* P-256 field and scalar arithmetic (constant time), constants, the curve equation. */
#include <string.h>

#include "p256_internal.h"

const csa_p256_modulus csa_p256_p = {
    {0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff},
    {0x00000003, 0x00000000, 0xffffffff, 0xfffffffb, 0xfffffffe, 0xffffffff, 0xfffffffd, 0x00000004},
    {0x00000001, 0x00000000, 0x00000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe, 0x00000000},
    {0xfffffffd, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff},
    0x00000001};

const csa_p256_modulus csa_p256_n = {
    {0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff},
    {0xbe79eea2, 0x83244c95, 0x49bd6fa6, 0x4699799c, 0x2b6bec59, 0x2845b239, 0xf3d95620, 0x66e12d94},
    {0x039cdaaf, 0x0c46353d, 0x58e8617b, 0x43190552, 0x00000000, 0x00000000, 0xffffffff, 0x00000000},
    {0xfc63254f, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff},
    0xee00bc4f};

/* b, Gx, Gy in Montgomery form (b R mod p ...); tests recompute them from the FIPS 186 values. */
const csa_fe csa_p256_b_mont = {0x29c4bddf, 0xd89cdf62, 0x78843090, 0xacf005cd,
                                0xf7212ed6, 0xe5a220ab, 0x04874834, 0xdc30061d};
const csa_fe csa_p256_gx_mont = {0x18a9143c, 0x79e730d4, 0x5fedb601, 0x75ba95fc,
                                 0x77622510, 0x79fb732b, 0xa53755c6, 0x18905f76};
const csa_fe csa_p256_gy_mont = {0xce95560a, 0xddf25357, 0xba19e45c, 0x8b4ab8e4,
                                 0xdd21f325, 0xd2e88688, 0x25885d85, 0x8571ff18};
const csa_fe csa_p256_half_n = {0x7e3192a8, 0x79dce561, 0xd38bcf42, 0xde737d56,
                                0xffffffff, 0x7fffffff, 0x80000000, 0x7fffffff};
const csa_fe csa_p256_sqrt_exp = {0x00000000, 0x00000000, 0x40000000, 0x00000000,
                                  0x00000000, 0x40000000, 0xc0000000, 0x3fffffff};

void csa_fe_from_bytes(csa_fe r, const uint8_t in[32])
{
    unsigned i;
    for (i = 0; i < 8; i++) {
        const uint8_t *q = in + 28 - 4 * i;
        r[i] = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
    }
}

void csa_fe_to_bytes(uint8_t out[32], const csa_fe a)
{
    unsigned i;
    for (i = 0; i < 8; i++) {
        uint8_t *q = out + 28 - 4 * i;
        q[0] = (uint8_t)(a[i] >> 24);
        q[1] = (uint8_t)(a[i] >> 16);
        q[2] = (uint8_t)(a[i] >> 8);
        q[3] = (uint8_t)a[i];
    }
}

void csa_fe_copy(csa_fe r, const csa_fe a) { memcpy(r, a, sizeof(csa_fe)); }

/* r = a - b over 256 bits; returns the borrow (0 or 1) */
static uint32_t sub_raw(csa_fe r, const csa_fe a, const csa_fe b)
{
    uint64_t t = 0;
    unsigned i;
    for (i = 0; i < 8; i++) {
        t = (uint64_t)a[i] - b[i] - (uint32_t)(t >> 63);
        r[i] = (uint32_t)t;
    }
    return (uint32_t)(t >> 63);
}

static uint32_t add_raw(csa_fe r, const csa_fe a, const csa_fe b)
{
    uint64_t t = 0;
    unsigned i;
    for (i = 0; i < 8; i++) {
        t = (uint64_t)a[i] + b[i] + (t >> 32);
        r[i] = (uint32_t)t;
    }
    return (uint32_t)(t >> 32);
}

uint32_t csa_fe_lt(const csa_fe a, const csa_fe b)
{
    csa_fe d;
    return sub_raw(d, a, b);
}

uint32_t csa_fe_is_zero(const csa_fe a)
{
    uint32_t acc = 0;
    unsigned i;
    for (i = 0; i < 8; i++) acc |= a[i];
    /* (acc | -acc) has its top bit set exactly when acc != 0 */
    return 1u ^ ((acc | (0u - acc)) >> 31);
}

void csa_fe_cmov(csa_fe r, const csa_fe a, uint32_t mask)
{
    unsigned i;
    for (i = 0; i < 8; i++) r[i] ^= mask & (r[i] ^ a[i]);
}

void csa_mod_mul(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M)
{
    uint32_t t[10] = {0};
    csa_fe d;
    uint32_t borrow, use_d;
    unsigned i, j;
    for (i = 0; i < 8; i++) {
        uint64_t c = 0;
        uint32_t m;
        for (j = 0; j < 8; j++) { /* t += a * b[i] */
            c += (uint64_t)a[j] * b[i] + t[j];
            t[j] = (uint32_t)c;
            c >>= 32;
        }
        c += t[8];
        t[8] = (uint32_t)c;
        t[9] = (uint32_t)(c >> 32);
        m = t[0] * M->m0inv; /* t + m * M is divisible by 2^32 */
        c = ((uint64_t)m * M->m[0] + t[0]) >> 32;
        for (j = 1; j < 8; j++) {
            c += (uint64_t)m * M->m[j] + t[j];
            t[j - 1] = (uint32_t)c;
            c >>= 32;
        }
        c += t[8];
        t[7] = (uint32_t)c;
        t[8] = t[9] + (uint32_t)(c >> 32);
    }
    /* t < 2m: subtract m when t >= m (t[8] set, or no borrow) */
    borrow = sub_raw(d, t, M->m);
    use_d = t[8] | (borrow ^ 1u);
    memcpy(r, t, sizeof(csa_fe));
    csa_fe_cmov(r, d, 0u - use_d);
}

void csa_mod_add(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M)
{
    csa_fe s, d;
    uint32_t carry = add_raw(s, a, b);
    uint32_t borrow = sub_raw(d, s, M->m);
    csa_fe_cmov(s, d, 0u - (carry | (borrow ^ 1u)));
    memcpy(r, s, sizeof(csa_fe));
}

void csa_mod_sub(csa_fe r, const csa_fe a, const csa_fe b, const csa_p256_modulus *M)
{
    csa_fe d, s;
    uint32_t borrow = sub_raw(d, a, b);
    add_raw(s, d, M->m);
    csa_fe_cmov(d, s, 0u - borrow);
    memcpy(r, d, sizeof(csa_fe));
}

void csa_mod_reduce_once(csa_fe r, const csa_fe a, const csa_p256_modulus *M)
{
    csa_fe d;
    uint32_t borrow = sub_raw(d, a, M->m);
    memcpy(r, a, sizeof(csa_fe));
    csa_fe_cmov(r, d, 0u - (borrow ^ 1u));
}

void csa_mod_pow(csa_fe r, const csa_fe a, const csa_fe e, const csa_p256_modulus *M)
{
    csa_fe acc, base;
    int i;
    memcpy(base, a, sizeof(csa_fe)); /* a may alias r */
    memcpy(acc, M->one, sizeof(csa_fe));
    for (i = 255; i >= 0; i--) {
        csa_mod_mul(acc, acc, acc, M);
        if ((e[i >> 5] >> (i & 31)) & 1u) csa_mod_mul(acc, acc, base, M); /* e is public */
    }
    memcpy(r, acc, sizeof(csa_fe));
}

void csa_mod_to_mont(csa_fe r, const csa_fe a, const csa_p256_modulus *M) { csa_mod_mul(r, a, M->r2, M); }

void csa_mod_from_mont(csa_fe r, const csa_fe a, const csa_p256_modulus *M)
{
    static const csa_fe one = {1, 0, 0, 0, 0, 0, 0, 0};
    csa_mod_mul(r, a, one, M);
}

void csa_p256_curve_rhs(csa_fe rhs, const csa_fe x)
{
    csa_fe t;
    csa_mod_mul(t, x, x, &csa_p256_p);
    csa_mod_mul(t, t, x, &csa_p256_p);  /* x^3 */
    csa_mod_sub(t, t, x, &csa_p256_p);
    csa_mod_sub(t, t, x, &csa_p256_p);
    csa_mod_sub(t, t, x, &csa_p256_p);  /* x^3 - 3x */
    csa_mod_add(rhs, t, csa_p256_b_mont, &csa_p256_p);
}

int csa_p256_affine_valid(const uint8_t xy[64])
{
    csa_fe x, y, lhs, rhs;
    csa_fe_from_bytes(x, xy);
    csa_fe_from_bytes(y, xy + 32);
    if (!csa_fe_lt(x, csa_p256_p.m) || !csa_fe_lt(y, csa_p256_p.m)) return 0;
    csa_mod_to_mont(x, x, &csa_p256_p);
    csa_mod_to_mont(y, y, &csa_p256_p);
    csa_mod_mul(lhs, y, y, &csa_p256_p);
    csa_p256_curve_rhs(rhs, x);
    return (int)csa_fe_is_zero((csa_mod_sub(lhs, lhs, rhs, &csa_p256_p), lhs));
}

uint32_t csa_p256_scalar_valid(const uint8_t k[32])
{
    csa_fe v;
    csa_fe_from_bytes(v, k);
    return csa_fe_lt(v, csa_p256_n.m) & (csa_fe_is_zero(v) ^ 1u);
}
