/* Build configuration of the Csa crypto library.
 *
 * A product overrides these with -DCSA_CRYPTO_CONFIG_FILE="my_config.h" (included first) or -D on the command
 * line; the CMake options of firmware/crypto/CMakeLists.txt set them too. Features that are off are not
 * compiled, so the verify-only bootloader build cannot call them by mistake. */
#ifndef CSA_CRYPTO_CONFIG_H
#define CSA_CRYPTO_CONFIG_H

#ifdef CSA_CRYPTO_CONFIG_FILE
#include CSA_CRYPTO_CONFIG_FILE
#endif

/* ECDSA signing, key generation (identity keys, key-possession proofs, challenge answers: docs/security.md §10). */
#ifndef CSA_CRYPTO_WITH_SIGN
#define CSA_CRYPTO_WITH_SIGN 1
#endif
/* ECDH, AES-CTR, HKDF and the ECIES content-key unwrap (encrypted images: docs/security.md §4-§5). */
#ifndef CSA_CRYPTO_WITH_DECRYPT
#define CSA_CRYPTO_WITH_DECRYPT 1
#endif

/* Constant-time test hook (ctgrind): tells valgrind that a value derived from a secret may be made public
 * (e.g. "this RFC 6979 candidate was rejected"). Empty in product builds. */
#ifdef CSA_CRYPTO_CTGRIND
#include <valgrind/memcheck.h>
#define CSA_CT_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define CSA_CT_DECLASSIFY(p, n) ((void)0)
#endif

#endif
