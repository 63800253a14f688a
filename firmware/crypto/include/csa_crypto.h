/* Csa device cryptography: the public API in one header.
 *
 * C99, freestanding: no allocation, no libc beyond memcpy/memset. Every context is a plain struct the caller
 * owns (stack or static). The expensive primitives (SHA-256, the AES block function, P-256 scalar
 * multiplications) go through the crypto port (csa_crypto_port.h), so a customer can plug in a hardware
 * accelerator or a certified library; encodings, range checks and policies (low S, point validation, the ECIES
 * construction, RFC 6979 nonces) live here, above the port, so every back end enforces the same rules.
 * Normative reference: docs/security.md (§3 signatures, §4 AES-256-CTR, §5 ECIES, §10 device keys). */
#ifndef CSA_CRYPTO_H
#define CSA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "csa_crypto_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Results. Zero is success; every refusal has its own code so a caller (and a test) knows what was wrong.
 * Protocol code that must not be an oracle (ECIES unwrap) maps them to one answer itself. */
typedef enum {
    CSA_CRYPTO_OK = 0,
    CSA_CRYPTO_E_LENGTH = 1,          /* an input has the wrong length */
    CSA_CRYPTO_E_ENCODING = 2,        /* malformed encoding: point prefix, non-strict DER, trailing bytes */
    CSA_CRYPTO_E_RANGE = 3,           /* a coordinate >= p, or r, s, a private key outside [1, n-1] */
    CSA_CRYPTO_E_NOT_ON_CURVE = 4,    /* the point is not on P-256 (invalid-curve attack) */
    CSA_CRYPTO_E_HIGH_S = 5,          /* s > n/2 where the caller requires low S */
    CSA_CRYPTO_E_BAD_SIGNATURE = 6,   /* well-formed signature that does not verify */
    CSA_CRYPTO_E_BAD_TAG = 7,         /* ECIES key-confirmation tag mismatch */
    CSA_CRYPTO_E_RNG = 8,             /* the random-number port failed or returned no usable scalar */
    CSA_CRYPTO_E_PORT = 9             /* the crypto back end reported an internal failure */
} csa_crypto_result;

/* ---- constant-time helpers (csa_ct.c) ---- */

/* 1 when the n bytes are equal, else 0; time depends on n only. */
int csa_ct_equal(const void *a, const void *b, size_t n);
/* Clears n bytes in a way the compiler cannot drop (secrets on the stack). */
void csa_ct_wipe(void *p, size_t n);

/* ---- SHA-256 (FIPS 180-4), streaming: hash a payload while it is written ---- */

#define CSA_SHA256_SIZE 32u
#define CSA_SHA256_BLOCK 64u

typedef struct {
    csa_port_sha256_ctx port;
} csa_sha256_ctx;

void csa_sha256_init(csa_sha256_ctx *ctx);
void csa_sha256_update(csa_sha256_ctx *ctx, const void *data, size_t len);
void csa_sha256_final(csa_sha256_ctx *ctx, uint8_t digest[CSA_SHA256_SIZE]);
void csa_sha256(const void *data, size_t len, uint8_t digest[CSA_SHA256_SIZE]);

/* ---- HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) ---- */

typedef struct {
    csa_sha256_ctx inner;
    csa_sha256_ctx outer; /* already fed with key XOR opad */
} csa_hmac_sha256_ctx;

void csa_hmac_sha256_init(csa_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len);
void csa_hmac_sha256_update(csa_hmac_sha256_ctx *ctx, const void *data, size_t len);
void csa_hmac_sha256_final(csa_hmac_sha256_ctx *ctx, uint8_t mac[CSA_SHA256_SIZE]);
void csa_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t mac[CSA_SHA256_SIZE]);

#if CSA_CRYPTO_WITH_DECRYPT
/* HKDF extract + expand. salt may be NULL/0 (= 32 zero bytes). okm_len <= 255 * 32, else CSA_CRYPTO_E_LENGTH
 * and nothing is written. */
csa_crypto_result csa_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                                  const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len);

/* ---- AES (FIPS 197) block function and AES-CTR (docs/security.md §4) ---- */

#define CSA_AES_BLOCK 16u

typedef struct {
    csa_port_aes_ctx aes;
    uint8_t counter0[CSA_AES_BLOCK]; /* T0, the manifest nonce */
} csa_aes_ctr_ctx;

/* key_len 16, 24 or 32 (Csa images use 32: AES-256). */
csa_crypto_result csa_aes_ctr_init(csa_aes_ctr_ctx *ctx, const uint8_t *key, size_t key_len,
                                   const uint8_t counter0[CSA_AES_BLOCK]);
/* out = in XOR keystream, for the payload bytes starting at byte offset `offset`: block floor(offset/16),
 * offset mod 16 bytes into it; T0 + i is one 128-bit big-endian integer (carry through all 16 bytes, wraps).
 * Any order, any offset; in and out may be the same buffer. */
void csa_aes_ctr_crypt(const csa_aes_ctr_ctx *ctx, uint64_t offset, const uint8_t *in, uint8_t *out, size_t len);
void csa_aes_ctr_clear(csa_aes_ctr_ctx *ctx);
#endif /* CSA_CRYPTO_WITH_DECRYPT */

/* ---- P-256 (docs/security.md §3) ---- */

#define CSA_P256_SCALAR_SIZE 32u
#define CSA_P256_PUBLIC_SIZE 64u   /* X || Y, 32-byte big-endian each: the form certificates carry */
#define CSA_P256_SIG_SIZE 64u      /* r || s, IEEE P1363 */

/* Decode flags */
#define CSA_P256_ACCEPT_COMPRESSED 1u /* also accept 33-byte 02/03 || X (key files); ECIES blocks carry 04 only */

/* Decodes an SEC 1 point: 65 bytes 04 || X || Y, or (with CSA_P256_ACCEPT_COMPRESSED) 33 bytes 02/03 || X.
 * Refuses: any other length or prefix (infinity 00, hybrid 06/07) = E_ENCODING / E_LENGTH, a coordinate >= p
 * = E_RANGE, a point not on the curve = E_NOT_ON_CURVE. Writes X || Y only on success. */
csa_crypto_result csa_p256_point_decode(const uint8_t *in, size_t len, unsigned flags,
                                        uint8_t out[CSA_P256_PUBLIC_SIZE]);
/* Checks 64-byte X || Y: both coordinates < p and on the curve. */
csa_crypto_result csa_p256_point_check(const uint8_t pub[CSA_P256_PUBLIC_SIZE]);

/* Verify flags */
#define CSA_P256_REQUIRE_LOW_S 1u /* certificates, key-possession proofs, challenge answers (§10.2) */

/* ECDSA P-256 verification of a SHA-256 digest. sig = r || s with 1 <= r, s <= n-1 (E_RANGE otherwise: the
 * r = 0 / s = 0 forgery class dies here); with CSA_P256_REQUIRE_LOW_S also s <= (n-1)/2 (E_HIGH_S). */
csa_crypto_result csa_p256_verify(const uint8_t pub[CSA_P256_PUBLIC_SIZE], const uint8_t digest[CSA_SHA256_SIZE],
                                  const uint8_t sig[CSA_P256_SIG_SIZE], unsigned flags);

#if CSA_CRYPTO_WITH_SIGN
/* ECDSA P-256 signature of a SHA-256 digest with a deterministic nonce (RFC 6979, HMAC-SHA256), always low S.
 * Constant time in the private key. E_RANGE if the key is not in [1, n-1]. */
csa_crypto_result csa_p256_sign(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t digest[CSA_SHA256_SIZE],
                                uint8_t sig[CSA_P256_SIG_SIZE]);

#endif /* CSA_CRYPTO_WITH_SIGN */

#if CSA_CRYPTO_WITH_SIGN
/* The public key d*G of a private key (constant time). E_RANGE if d is not in [1, n-1]. */
csa_crypto_result csa_p256_public_key(const uint8_t priv[CSA_P256_SCALAR_SIZE], uint8_t pub[CSA_P256_PUBLIC_SIZE]);
#endif

#if CSA_CRYPTO_WITH_DECRYPT
/* ECDH (SEC 1 §3.3.1): z = x(d * peer). The peer point is checked (range, on curve) first. Constant time in d. */
csa_crypto_result csa_p256_ecdh(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t peer[CSA_P256_PUBLIC_SIZE],
                                uint8_t z[CSA_P256_SCALAR_SIZE]);
#endif /* CSA_CRYPTO_WITH_DECRYPT */

#if CSA_CRYPTO_WITH_SIGN

/* Random-number port: fill buf with len bytes from a cryptographically secure, health-tested source.
 * Returns 0 on success, anything else on failure. */
typedef int (*csa_rng_fn)(void *rng_ctx, uint8_t *buf, size_t len);

/* Key generation by rejection sampling: 32 random bytes read as a big-endian integer are used as they are when
 * they lie in [1, n-1] and thrown away otherwise (no modular reduction, so no bias); at most
 * CSA_P256_KEYGEN_TRIES draws (a rejection has probability < 2^-32, so running out means a broken RNG: E_RNG). */
#define CSA_P256_KEYGEN_TRIES 16
csa_crypto_result csa_p256_keygen(csa_rng_fn rng, void *rng_ctx, uint8_t priv[CSA_P256_SCALAR_SIZE],
                                  uint8_t pub[CSA_P256_PUBLIC_SIZE]);
#endif /* CSA_CRYPTO_WITH_SIGN */

/* Strict DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) to r || s: short-form lengths, minimal positive
 * INTEGERs, nothing trailing, total <= 72 bytes. For interop with openssl / X.509 tooling; images carry r || s. */
csa_crypto_result csa_ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t sig[CSA_P256_SIG_SIZE]);

#if CSA_CRYPTO_WITH_DECRYPT
/* ---- ECIES content-key unwrap (docs/security.md §5) ---- */

#define CSA_ECIES_BLOCK_SIZE 129u /* E (65) || C (32) || T (32) */
#define CSA_ECIES_KEY_SIZE 32u

/* Unwraps the content key of one wrapped block with the device's private key d and its own public key
 * (X || Y, the R of the construction), bound to ctx = SHA-256 of the manifest (32 bytes).
 * Writes content_key only on success (zeros otherwise). E_LENGTH, E_ENCODING/E_RANGE/E_NOT_ON_CURVE for E,
 * E_BAD_TAG when the key confirmation fails. Constant time in d, Z, the derived keys and the content key. */
csa_crypto_result csa_ecies_unwrap(const uint8_t priv[CSA_P256_SCALAR_SIZE], const uint8_t own_pub[CSA_P256_PUBLIC_SIZE],
                                   const uint8_t *block, size_t block_len, const uint8_t *ctx, size_t ctx_len,
                                   uint8_t content_key[CSA_ECIES_KEY_SIZE]);

/* The scalar multiplication of the unwrap where the private key lives: z = x(d * peer), peer already decoded and
 * validated (below p, on the curve). A key storage that never hands out d (a secure element, a firewalled key area)
 * implements it; it must be constant time in d and return CSA_CRYPTO_OK or an error. */
typedef csa_crypto_result (*csa_ecdh_fn)(void *ecdh_ctx, const uint8_t peer[CSA_P256_PUBLIC_SIZE],
                                         uint8_t z[CSA_P256_SCALAR_SIZE]);

/* csa_ecies_unwrap with the ECDH step delegated to `ecdh` (the key storage port's): the same checks, derivation and
 * constant-time tag comparison, byte for byte. */
csa_crypto_result csa_ecies_unwrap_with(csa_ecdh_fn ecdh, void *ecdh_ctx, const uint8_t own_pub[CSA_P256_PUBLIC_SIZE],
                                        const uint8_t *block, size_t block_len, const uint8_t *ctx, size_t ctx_len,
                                        uint8_t content_key[CSA_ECIES_KEY_SIZE]);
#endif /* CSA_CRYPTO_WITH_DECRYPT */

#ifdef __cplusplus
}
#endif

#endif
