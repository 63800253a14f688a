/* The bootloader's decryptor over the key storage (csa_boot/decryptor.h). Every refusal of the unwrap is the same
 * answer to the host (KeyUnwrapFailed): the device is no oracle (security.md 5). */
#include "csa_boot/decryptor.h"

#include <string.h>

#include "csa_crypto.h"

#if CSA_BOOT_DECRYPT

static csa_crypto_result keystore_ecdh(void *ctx, const uint8_t peer[CSA_P256_PUBLIC_SIZE],
                                       uint8_t z[CSA_P256_SCALAR_SIZE])
{
    const csa_keystore *ks = (const csa_keystore *)ctx;
    return ks->ops->ecdh(ks->ctx, peer, z) == CSA_KEYSTORE_OK ? CSA_CRYPTO_OK : CSA_CRYPTO_E_PORT;
}

static int unwrap(void *ctx, const uint8_t *wrapped, uint16_t len, const uint8_t manifest_digest[32], uint8_t key[32])
{
    const csa_keystore *ks = ((const csa_keystore_decryptor *)ctx)->keystore;
    csa_keystore_info info;
    memset(key, 0, 32);
    if (ks->ops->ecdh == NULL || ks->ops->info(ks->ctx, &info) != CSA_KEYSTORE_OK || !info.has_key)
        return -1;
    /* R in the derivation is the device's own public key: a block wrapped for another device cannot verify. */
    return csa_ecies_unwrap_with(keystore_ecdh, (void *)ks, info.public_key, wrapped, len, manifest_digest, 32, key)
                   == CSA_CRYPTO_OK
               ? 0
               : -1;
}

static void decrypt(void *ctx, const uint8_t key[32], const uint8_t nonce[16], uint32_t offset, uint8_t *data,
                    uint32_t len)
{
    csa_aes_ctr_ctx aes;
    (void)ctx;
    /* The key schedule per write costs a few hundred bytes' worth of keystream; keeping it in the session would keep
     * a second copy of the key material in RAM. */
    (void)csa_aes_ctr_init(&aes, key, 32, nonce);
    csa_aes_ctr_crypt(&aes, offset, data, data, len);
    csa_aes_ctr_clear(&aes);
}

void csa_keystore_decryptor_init(csa_keystore_decryptor *d, const csa_keystore *keystore)
{
    d->decryptor.unwrap = unwrap;
    d->decryptor.decrypt = decrypt;
    d->decryptor.ctx = d;
    d->keystore = keystore;
}
#endif /* CSA_BOOT_DECRYPT */
