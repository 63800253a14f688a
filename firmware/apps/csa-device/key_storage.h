/* The POSIX device's key storage: the chip's protected key area, as a file of its own beside the flash file (never in
 * it: a copy of the flash file is a clone without the key). The same files as the C# SecureKeyStorage(path): the
 * identity key as a PEM "PRIVATE KEY" (PKCS#8, owner-only, what `openssl genpkey` and Csa.Crypto write) and, once a
 * certificate for it is committed, "<file>.certified" with the certificate's SHA-256 in hex. Both written atomically
 * (a temporary file, then rename). Without a file the key lives in the process (an in-memory key storage). */
#ifndef CSA_DEVICE_KEY_STORAGE_H_
#define CSA_DEVICE_KEY_STORAGE_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/keystore_soft.h"

/* The backend over `path` (NULL: RAM). */
void csa_device_key_file_backend(csa_keystore_backend *backend, const char *path);

/* Reads a P-256 private key from a PEM PKCS#8 file (the --identity-key a product without provisioning is given in
 * production). 0, or -1 with a reason in `error`. */
int csa_device_read_private_key(const char *path, uint8_t key[32], char *error, size_t error_len);

/* The platform's random source: getrandom(2). 0 on success. */
int csa_device_random(void *ctx, uint8_t *buf, size_t len);

#endif /* CSA_DEVICE_KEY_STORAGE_H_ */
