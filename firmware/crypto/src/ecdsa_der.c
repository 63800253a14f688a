/* Strict DER ECDSA-Sig-Value to r || s (docs/security.md §3: short-form lengths, minimal INTEGERs, no negative
 * values, no trailing bytes; at most 72 bytes). */
#include <string.h>

#include "csa_crypto.h"

/* Reads one INTEGER at der[*pos] into out[32] (big-endian, left-padded). */
static csa_crypto_result read_int(const uint8_t *der, size_t end, size_t *pos, uint8_t out[32])
{
    size_t p = *pos, n;
    if (end - p < 2 || der[p] != 0x02) return CSA_CRYPTO_E_ENCODING;
    n = der[p + 1];
    p += 2;
    if (n & 0x80) return CSA_CRYPTO_E_ENCODING;         /* long form is never needed for <= 33 bytes */
    if (n == 0 || n > end - p) return CSA_CRYPTO_E_ENCODING;
    if (der[p] & 0x80) return CSA_CRYPTO_E_ENCODING;    /* negative */
    if (n > 1 && der[p] == 0 && !(der[p + 1] & 0x80)) return CSA_CRYPTO_E_ENCODING; /* not minimal */
    if (der[p] == 0) { p++; n--; }                       /* the sign byte of a value with its top bit set */
    if (n > 32) return CSA_CRYPTO_E_RANGE;               /* > 2^256: cannot be below n */
    memset(out, 0, 32);
    memcpy(out + 32 - n, der + p, n);
    *pos = p + n;
    return CSA_CRYPTO_OK;
}

csa_crypto_result csa_ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t sig[CSA_P256_SIG_SIZE])
{
    uint8_t tmp[64];
    size_t pos = 2;
    csa_crypto_result rc;
    if (der == NULL || len < 8 || len > 72) return CSA_CRYPTO_E_LENGTH;
    if (der[0] != 0x30 || (der[1] & 0x80) || der[1] != len - 2) return CSA_CRYPTO_E_ENCODING;
    rc = read_int(der, len, &pos, tmp);
    if (rc == CSA_CRYPTO_OK) rc = read_int(der, len, &pos, tmp + 32);
    if (rc == CSA_CRYPTO_OK && pos != len) rc = CSA_CRYPTO_E_ENCODING;
    if (rc == CSA_CRYPTO_OK) memcpy(sig, tmp, 64);
    return rc;
}
