/* Payload decryption while writing (docs/security.md 4-5): the bootloader's decryptor (csa_bl_decryptor) over the
 * key-storage port. BeginUpdate unwraps the image's content key from the device's entry of the key block (ECIES on
 * P-256 with the identity key, bound to SHA-256 of the manifest; the ECDH step runs inside the key storage); every
 * Write decrypts its bytes in place with AES-256-CTR at their payload offset, so writes decrypt in any order and a
 * resent write decrypts to the same plaintext. The content key lives in the update session's RAM only.
 *
 *     csa_keystore_decryptor_init(&dec, &keystore);
 *     config.decryptor = &dec.decryptor;              // before csa_bl_init */
#ifndef CSA_BOOT_DECRYPTOR_H_
#define CSA_BOOT_DECRYPTOR_H_

#include "csa_boot/bootloader.h"
#include "csa_boot/keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csa_keystore_decryptor {
    csa_bl_decryptor decryptor;   /* what the bootloader configuration points to */
    const csa_keystore *keystore;
} csa_keystore_decryptor;

void csa_keystore_decryptor_init(csa_keystore_decryptor *d, const csa_keystore *keystore);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_DECRYPTOR_H_ */
