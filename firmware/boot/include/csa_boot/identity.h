/* Device identity on the bootloader (docs/security.md 10): the lifecycle read at every start-up, and the device side
 * of provisioning and authentication behind the key-storage port (csa_boot/keystore.h).
 *
 * The provisioning record (10.5) at the start of the Provisioning region: a 184-byte body (magic "CSID", format 1,
 * certificate length 176, the certificate) programmed in one operation, then the 8-byte commit marker ("CSIC" and
 * the CRC-32/MPEG-2 of the body) in a second: the commit point. Then the region is write protected: the lock. A
 * device is Provisioned exactly when a committed record holds a certificate that is this chip's: its unique id, the
 * public key of the identity key in the key storage, lifecycle Provisioned, signed by a production key the
 * bootloader ships (one ECDSA verification per start). Anything else is Blank; a committed record that is not this
 * chip's (a copied flash) stays in the bootloader with IdentityMismatch, and a certified key without a valid record
 * with ProvisioningDamaged.
 *
 *     csa_identity_read(&id, &config, &flash, &keystore);        // at power-on, before csa_bl_start
 *     csa_identity_complete_lock(&id);                           // the one write a start-up may make
 *     csa_bl_start(&bl, now, csa_identity_stay(&id), &decision);
 *
 * The provisioning commands (provisioning.rpc.json) call csa_identity_generate_key, csa_identity_install and
 * csa_identity_authenticate; their statuses are the interface's error codes. Every call that touches flash may
 * return CSA_PROV_POWER_LOST: answer nothing. */
#ifndef CSA_BOOT_IDENTITY_H_
#define CSA_BOOT_IDENTITY_H_

#include <stdint.h>

#include "csa_boot/certificate.h"
#include "csa_boot/flash.h"
#include "csa_boot/keystore.h"
#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_ID_RECORD_MAGIC 0x44495343u  /* "CSID" */
#define CSA_ID_COMMIT_MAGIC 0x43495343u  /* "CSIC" */
#define CSA_ID_BODY_SIZE (8u + CSA_CERT_SIZE) /* 184 */
#define CSA_ID_COMMIT_SIZE 8u
#define CSA_ID_RECORD_SIZE (CSA_ID_BODY_SIZE + CSA_ID_COMMIT_SIZE)
#define CSA_ID_MAX_PRODUCTION_KEYS 2u

/* What a command answered: the Provisioning interface's error codes (provisioning.rpc.json "errors"). */
typedef enum csa_prov_status {
    CSA_PROV_OK = 0,
    CSA_PROV_NOT_ALLOWED = 1,
    CSA_PROV_ALREADY_PROVISIONED = 2,
    CSA_PROV_NOT_PROVISIONED = 3,
    CSA_PROV_NO_IDENTITY_KEY = 4,
    CSA_PROV_MALFORMED_CERTIFICATE = 5,
    CSA_PROV_UNKNOWN_ISSUER = 6,
    CSA_PROV_BAD_CERTIFICATE_SIGNATURE = 7,
    CSA_PROV_WRONG_DEVICE = 8,
    CSA_PROV_WRONG_PUBLIC_KEY = 9,
    CSA_PROV_WRONG_PRODUCT = 10,
    CSA_PROV_WRONG_LIFECYCLE = 11,
    CSA_PROV_FLASH_FAULT = 12,
    CSA_PROV_NOT_SUPPORTED = 13,
    CSA_PROV_KEY_STORAGE = 255,  /* the key storage failed (its random source, its storage): no interface code */
    CSA_PROV_POWER_LOST = 256    /* not an answer: the power failed inside the call */
} csa_prov_status;

/* What the Provisioning region holds. */
typedef enum csa_id_record_state {
    CSA_ID_RECORD_ERASED = 0,    /* blank */
    CSA_ID_RECORD_TORN = 1,      /* anything but a committed record: an interrupted write or erase */
    CSA_ID_RECORD_COMMITTED = 2  /* body and marker whole (the certificate still has to be this chip's) */
} csa_id_record_state;

/* The product's identity settings (the C# DeviceProfile's ProductionTrustAnchors and RequireProvisioning). */
typedef struct csa_identity_config {
    const csa_memory_map *map;
    uint32_t vendor_id;
    uint32_t device_class_id;
    csa_trusted_key production_keys[CSA_ID_MAX_PRODUCTION_KEYS]; /* none: the product is not provisioned */
    uint8_t production_key_count;
    uint8_t require_provisioning; /* a blank device installs and starts nothing (REQ-PROD-KEYS) */
} csa_identity_config;

/* Why a committed record is not this chip's (C# ProvisioningService.FindStoredCertificateFault), for logs. */
typedef enum csa_id_fault {
    CSA_ID_FAULT_NONE = 0,
    CSA_ID_FAULT_NO_ANCHOR = 1,       /* the bootloader ships no production key: no certificate can be genuine */
    CSA_ID_FAULT_OTHER_UID = 2,       /* the certificate names another unique id */
    CSA_ID_FAULT_NO_KEY = 3,          /* the key storage holds no identity key */
    CSA_ID_FAULT_OTHER_KEY = 4,       /* the certificate names another public key than the key storage's */
    CSA_ID_FAULT_NOT_GENUINE = 5,     /* no production key this bootloader ships signed it */
    CSA_ID_FAULT_LIFECYCLE = 6        /* the certificate grants Blank */
} csa_id_fault;

typedef struct csa_identity {
    const csa_identity_config *config;
    const csa_flash *flash;
    const csa_keystore *keystore;    /* NULL: the device has no key storage (holds no key) */
    uint8_t uid[CSA_IMAGE_UID_SIZE];
    uint8_t lifecycle;               /* CSA_LIFECYCLE_BLANK / _PROVISIONED */
    uint8_t stay;                    /* 0, CSA_STAY_NOT_PROVISIONED, _IDENTITY_MISMATCH or _PROVISIONING_DAMAGED */
    uint8_t record;                  /* csa_id_record_state */
    uint8_t fault;                   /* csa_id_fault of a committed record that is not this chip's */
    uint8_t locked;                  /* every sector of the region write protected */
    uint8_t certificate[CSA_CERT_SIZE]; /* the stored certificate while Provisioned */
} csa_identity;

/* Power-on: binds the identity to the product, the flash and the key storage, and reads the lifecycle (flash and key
 * storage reads; the one write is the key storage's certified note when a power cut overtook it). CSA_PROV_OK or
 * CSA_PROV_POWER_LOST. */
csa_prov_status csa_identity_read(csa_identity *id, const csa_identity_config *config, const csa_flash *flash,
                                  const csa_keystore *keystore);

/* What the bootloader must enforce (csa_bl_start's `lifecycle`): the stay reason, or 0. */
static inline uint8_t csa_identity_stay(const csa_identity *id)
{
    return id->stay;
}

/* A Provisioned device whose region is not write protected (a cut hit the lock) protects it now. A refusal (option
 * bytes frozen by RDP level 2) leaves it unlocked: the lifecycle is the record's, not the lock's. OK or POWER_LOST. */
csa_prov_status csa_identity_complete_lock(csa_identity *id);

/* GenerateIdentityKey (10.3): a fresh key pair in the key storage (replacing one never certified) and the proof of
 * possession over the key-possession message with the station's nonce. */
csa_prov_status csa_identity_generate_key(csa_identity *id, const uint8_t nonce[CSA_NONCE_SIZE],
                                          uint8_t public_key[64], uint8_t proof[64]);

/* InstallCertificate (10.5): every check, then erase (only when not blank), body, marker, re-read, lock. The stored
 * certificate again completes an interrupted lock. Afterwards id->lifecycle and id->locked are the answer. */
csa_prov_status csa_identity_install(csa_identity *id, const uint8_t *certificate, uint16_t length);

/* Authenticate (10.4): the stored certificate and the identity key's signature over the authentication message. */
csa_prov_status csa_identity_authenticate(csa_identity *id, const uint8_t challenge[CSA_NONCE_SIZE],
                                          uint8_t certificate[CSA_CERT_SIZE], uint8_t signature[64]);

/* The identity public key, when the key storage holds one: 1 and *public_key filled, else 0. */
int csa_identity_public_key(const csa_identity *id, uint8_t public_key[64]);

/* The record's body and commit marker for a certificate (what InstallCertificate programs). */
void csa_identity_encode(const uint8_t certificate[CSA_CERT_SIZE], uint8_t body[CSA_ID_BODY_SIZE],
                         uint8_t commit[CSA_ID_COMMIT_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_IDENTITY_H_ */
