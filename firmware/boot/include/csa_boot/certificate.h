/* The device certificate and the signed messages of device identity (docs/security.md 10.2-10.4), in C: the
 * 176-byte fixed-layout certificate (parsed with the C# DeviceCertificate's rules, in byte order, the first broken
 * rule reported with its offset), its check against the production keys a bootloader ships, and the key-possession
 * and authentication messages whose SHA-256 the identity key signs.
 *
 * Nothing here allocates or keeps state; the production-key check is one ECDSA P-256 verification with low S. */
#ifndef CSA_BOOT_CERTIFICATE_H_
#define CSA_BOOT_CERTIFICATE_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_CERT_SIZE 176u
#define CSA_CERT_SIGNED_SIZE 112u          /* bytes 0-111: what the production key signs */
#define CSA_CERT_MAGIC 0x43415343u         /* "CSAC" */
#define CSA_CERT_UID_OFFSET 8u
#define CSA_CERT_VENDOR_OFFSET 20u
#define CSA_CERT_CLASS_OFFSET 24u
#define CSA_CERT_LIFECYCLE_OFFSET 28u
#define CSA_CERT_ISSUER_OFFSET 40u
#define CSA_CERT_PUBLIC_KEY_OFFSET 48u
#define CSA_CERT_SIGNATURE_OFFSET 112u
#define CSA_NONCE_SIZE 32u

/* DeviceLifecycle of the Provisioning interface. */
enum { CSA_LIFECYCLE_BLANK = 1, CSA_LIFECYCLE_PROVISIONED = 2 };

/* A malformed certificate, numbered one above the C# DeviceCertificateError member of the same name (0 = well
 * formed). */
typedef enum csa_cert_error {
    CSA_CERT_OK = 0,
    CSA_CERT_TRUNCATED = 1,
    CSA_CERT_TRAILING_DATA = 2,
    CSA_CERT_BAD_MAGIC = 3,
    CSA_CERT_UNSUPPORTED_VERSION = 4,
    CSA_CERT_BAD_LENGTH = 5,
    CSA_CERT_BAD_LIFECYCLE = 6,
    CSA_CERT_UNSUPPORTED_KEY_ALGORITHM = 7,
    CSA_CERT_RESERVED_NOT_ZERO = 8,
    CSA_CERT_ZERO_SERIAL_NUMBER = 9
} csa_cert_error;

/* The certificate's fields; the pointers point into the parsed bytes. */
typedef struct csa_certificate {
    const uint8_t *bytes;          /* all 176 */
    const uint8_t *uid;            /* 12 */
    uint32_t vendor_id;
    uint32_t device_class_id;
    uint8_t lifecycle;
    uint32_t serial_number;
    uint32_t issued_at;
    const uint8_t *issuer_key_id;  /* 8 */
    const uint8_t *public_key;     /* 64: X || Y */
    const uint8_t *signature;      /* 64: r || s over SHA-256(bytes 0-111) */
} csa_certificate;

/* Parses exactly `len` bytes (security.md 10.2): the rules in byte order; *offset (may be NULL) is where the first
 * broken one is (a short input: Truncated at its length). */
csa_cert_error csa_certificate_parse(const uint8_t *bytes, size_t len, csa_certificate *cert, uint32_t *offset);

/* Why a well-formed certificate is not accepted as the production key's (the order of ProductionTrustAnchor.Check). */
typedef enum csa_cert_verdict {
    CSA_CERT_GENUINE = 0,
    CSA_CERT_UNKNOWN_ISSUER = 1,      /* no production key with the issuer key id */
    CSA_CERT_BAD_SIGNATURE = 2,       /* the signature does not hold (or is high S) */
    CSA_CERT_WRONG_LIFECYCLE = 3      /* it grants Blank */
} csa_cert_verdict;

/* Checks the issuer key id against `keys`, the signature (ECDSA P-256, low S only: one certificate, one byte
 * string) and the lifecycle. */
csa_cert_verdict csa_certificate_check(const csa_certificate *cert, const csa_trusted_key *keys, uint8_t key_count);

/* The key-possession message (10.3, 129 bytes): "CSA-KEY-POSSESSION-V1" || uid || nonce || public key X || Y. */
#define CSA_KEY_POSSESSION_SIZE 129u
void csa_key_possession_message(const uint8_t uid[CSA_IMAGE_UID_SIZE], const uint8_t nonce[CSA_NONCE_SIZE],
                                const uint8_t public_key[64], uint8_t out[CSA_KEY_POSSESSION_SIZE]);

/* The authentication message (10.4, 94 bytes): "CSA-DEVICE-AUTH-V1" || uid || challenge || SHA-256(certificate). */
#define CSA_AUTHENTICATION_SIZE 94u
void csa_authentication_message(const uint8_t uid[CSA_IMAGE_UID_SIZE], const uint8_t challenge[CSA_NONCE_SIZE],
                                const uint8_t certificate[CSA_CERT_SIZE], uint8_t out[CSA_AUTHENTICATION_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_CERTIFICATE_H_ */
