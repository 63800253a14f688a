/* HKDF-SHA256 (RFC 5869): PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) || info || i). */
#include <string.h>

#include "csa_crypto.h"

csa_crypto_result csa_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
    uint8_t prk[CSA_SHA256_SIZE], t[CSA_SHA256_SIZE];
    csa_hmac_sha256_ctx h;
    uint8_t i;
    size_t done = 0;
    if (okm_len > 255u * CSA_SHA256_SIZE) return CSA_CRYPTO_E_LENGTH;
    csa_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
    for (i = 1; done < okm_len; i++) {
        size_t n = okm_len - done < CSA_SHA256_SIZE ? okm_len - done : CSA_SHA256_SIZE;
        csa_hmac_sha256_init(&h, prk, sizeof prk);
        if (i > 1) csa_hmac_sha256_update(&h, t, sizeof t);
        csa_hmac_sha256_update(&h, info, info_len);
        csa_hmac_sha256_update(&h, &i, 1);
        csa_hmac_sha256_final(&h, t);
        memcpy(okm + done, t, n);
        done += n;
    }
    csa_ct_wipe(prk, sizeof prk);
    csa_ct_wipe(t, sizeof t);
    return CSA_CRYPTO_OK;
}
