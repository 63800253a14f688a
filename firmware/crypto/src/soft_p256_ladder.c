/* Constant-time scalar multiplication: a Montgomery ladder over all 256 bits with the complete addition, so the
 * sequence of operations and memory addresses is the same for every scalar. The bit only steers a masked swap. */
#include <string.h>

#include "csa_crypto.h"
#include "p256_internal.h"

static void point_cswap(csa_p256_point *a, csa_p256_point *b, uint32_t bit)
{
    uint32_t mask = 0u - bit, *x = (uint32_t *)a, *y = (uint32_t *)b;
    unsigned i;
    for (i = 0; i < sizeof(csa_p256_point) / 4; i++) {
        uint32_t t = mask & (x[i] ^ y[i]);
        x[i] ^= t;
        y[i] ^= t;
    }
}

void csa_p256_scalar_mul(csa_p256_point *r, const csa_fe k, const csa_p256_point *a)
{
    csa_p256_point r0, r1;
    uint32_t prev = 0;
    int i;
    memset(&r0, 0, sizeof r0); /* infinity (0 : 1 : 0) */
    memcpy(r0.y, csa_p256_p.one, sizeof(csa_fe));
    r1 = *a;
    /* invariant: r1 = r0 + a; swaps are merged (swap when this bit differs from the previous one) */
    for (i = 255; i >= 0; i--) {
        uint32_t bit = (k[i >> 5] >> (i & 31)) & 1u;
        point_cswap(&r0, &r1, bit ^ prev);
        prev = bit;
        csa_p256_point_add(&r1, &r0, &r1);
        csa_p256_point_add(&r0, &r0, &r0);
    }
    point_cswap(&r0, &r1, prev);
    *r = r0;
    csa_ct_wipe(&r0, sizeof r0);
    csa_ct_wipe(&r1, sizeof r1);
}
