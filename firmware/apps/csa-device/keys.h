/* Trusted signing keys from the command line: a PEM public key file (SubjectPublicKeyInfo of a P-256 key, what
 * `csa keys generate` and openssl write) or the point in hex (X || Y, 128 digits, or 04 || X || Y, 130). */
#ifndef CSA_DEVICE_KEYS_H_
#define CSA_DEVICE_KEYS_H_

#include <stddef.h>
#include <stdint.h>

/* Reads the key named by `text` into xy (X || Y). 0, or -1 with a reason in `error`. */
int csa_device_read_public_key(const char *text, uint8_t xy[64], char *error, size_t error_len);

/* The DER between "-----BEGIN label-----" and "-----END label-----": the byte count, or -1. */
long csa_device_pem_decode(const char *pem, const char *label, uint8_t *out, size_t cap);
/* PEM text of DER (64 base64 characters a line): its length, or 0 when out is too small. */
size_t csa_device_pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap);

#endif /* CSA_DEVICE_KEYS_H_ */
