/* Constant-time helpers. */
#include "csa_crypto.h"

int csa_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = (const volatile uint8_t *)a, *y = (const volatile uint8_t *)b;
    uint32_t diff = 0;
    size_t i;
    for (i = 0; i < n; i++) diff |= (uint32_t)(x[i] ^ y[i]);
    /* diff is 0..255: (diff - 1) >> 8 is all ones exactly when diff == 0 */
    return (int)(1u & ((diff - 1u) >> 8));
}

void csa_ct_wipe(void *p, size_t n)
{
    volatile uint8_t *q = (volatile uint8_t *)p;
    while (n--) *q++ = 0;
}
