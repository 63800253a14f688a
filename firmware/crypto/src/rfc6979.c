/* RFC 6979 §3.2 deterministic nonce for P-256 with HMAC-SHA256 (qlen = hlen = 256, so bits2int is the identity
 * and bits2octets(h1) = h1 mod n). Constant time: the candidate's range check is a mask; only the verdict
 * "rejected" (probability < 2^-32, and the rejected value is never used) is made public. */
#include <string.h>

#include "csa_crypto.h"
#include "p256_internal.h"

static void hmac2(const uint8_t key[32], const uint8_t *a, size_t alen, uint8_t sep, int with_sep,
                  const uint8_t *x, const uint8_t *h, uint8_t out[32])
{
    csa_hmac_sha256_ctx c;
    csa_hmac_sha256_init(&c, key, 32);
    csa_hmac_sha256_update(&c, a, alen);
    if (with_sep) csa_hmac_sha256_update(&c, &sep, 1);
    if (x) csa_hmac_sha256_update(&c, x, 32);
    if (h) csa_hmac_sha256_update(&c, h, 32);
    csa_hmac_sha256_final(&c, out);
}

void csa_rfc6979_nonce(const uint8_t priv[32], const uint8_t digest[32], uint8_t k[32])
{
    uint8_t v[32], key[32], h1[32];
    csa_fe e;
    uint32_t ok;
    csa_fe_from_bytes(e, digest);
    csa_mod_reduce_once(e, e, &csa_p256_n);
    csa_fe_to_bytes(h1, e);
    memset(v, 0x01, sizeof v);
    memset(key, 0x00, sizeof key);
    hmac2(key, v, 32, 0x00, 1, priv, h1, key); /* step d */
    hmac2(key, v, 32, 0, 0, NULL, NULL, v);    /* step e */
    hmac2(key, v, 32, 0x01, 1, priv, h1, key); /* step f */
    hmac2(key, v, 32, 0, 0, NULL, NULL, v);    /* step g */
    for (;;) {
        hmac2(key, v, 32, 0, 0, NULL, NULL, v); /* step h: T = V (tlen = qlen) */
        ok = csa_p256_scalar_valid(v);
        CSA_CT_DECLASSIFY(&ok, sizeof ok);
        if (ok) break;
        hmac2(key, v, 32, 0x00, 1, NULL, NULL, key);
        hmac2(key, v, 32, 0, 0, NULL, NULL, v);
    }
    memcpy(k, v, 32);
    csa_ct_wipe(v, sizeof v);
    csa_ct_wipe(key, sizeof key);
}
