/* The firmware image container of docs/image-format.md, parsed and checked in C: the manifest (section 3), the
 * payload and authentication block (4), the per-device key block (5) and the device's checks (6), each refusal a
 * typed value whose number equals the C# ImageError / ImageRejection member of the same name.
 *
 * Nothing here allocates or copies: a parsed manifest points into the caller's bytes. */
#ifndef CSA_BOOT_IMAGE_H_
#define CSA_BOOT_IMAGE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_IMAGE_MAGIC 0x49415343u      /* "CSAI" */
#define CSA_KEY_BLOCK_MAGIC 0x4B415343u  /* "CSAK" */
#define CSA_MANIFEST_FIXED_SIZE 96u
#define CSA_MANIFEST_MAX_BINDINGS 32u
#define CSA_MANIFEST_MAX_SIZE (CSA_MANIFEST_FIXED_SIZE + 12u * CSA_MANIFEST_MAX_BINDINGS) /* 480 */
#define CSA_IMAGE_MAX_PAYLOAD 2097152u
#define CSA_IMAGE_UID_SIZE 12u
#define CSA_IMAGE_MAX_KEY_ENTRIES 4096u
#define CSA_IMAGE_MAX_WRAPPED_KEY 512u
#define CSA_AUTH_MAX_SIZE 64u

enum { CSA_IMAGE_KIND_APPLICATION = 1, CSA_IMAGE_KIND_BOOTLOADER = 2 };
enum { CSA_AUTH_CRC32 = 1, CSA_AUTH_ECDSA_P256 = 2 };
enum { CSA_ENCRYPTION_NONE = 0, CSA_ENCRYPTION_AES256_CTR_ECIES_P256 = 1 };

/* A malformed image (image-format.md 3-5; C# ImageError). */
typedef enum csa_image_error {
    CSA_IMAGE_OK = 0,
    CSA_IMAGE_BAD_MAGIC = 1,
    CSA_IMAGE_UNKNOWN_FORMAT_VERSION = 2,
    CSA_IMAGE_TRUNCATED = 3,
    CSA_IMAGE_SIZE_MISMATCH = 4,
    CSA_IMAGE_BAD_IMAGE_KIND = 5,
    CSA_IMAGE_UNSUPPORTED_AUTHENTICATION = 6,
    CSA_IMAGE_UNSUPPORTED_ENCRYPTION = 7,
    CSA_IMAGE_BAD_BINDING_COUNT = 8,
    CSA_IMAGE_DUPLICATE_BINDING = 9,
    CSA_IMAGE_BAD_PAYLOAD_SIZE = 10,
    CSA_IMAGE_ADDRESS_OVERFLOW = 11,
    CSA_IMAGE_BAD_NONCE = 12,
    CSA_IMAGE_BAD_KEY_ID = 13,
    CSA_IMAGE_BAD_KEY_BLOCK = 14,
    CSA_IMAGE_TRAILING_DATA = 15
} csa_image_error;

/* A well-formed image the device refuses (image-format.md 6; C# ImageRejection). */
typedef enum csa_image_rejection {
    CSA_REJECT_NONE = 0,
    CSA_REJECT_UNSUPPORTED_AUTHENTICATION = 1,
    CSA_REJECT_UNKNOWN_KEY = 2,
    CSA_REJECT_BAD_SIGNATURE = 3,
    CSA_REJECT_WRONG_IMAGE_KIND = 4,
    CSA_REJECT_WRONG_VENDOR = 5,
    CSA_REJECT_WRONG_DEVICE_CLASS = 6,
    CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE = 7,
    CSA_REJECT_SECURITY_COUNTER_TOO_LOW = 8,
    CSA_REJECT_WRONG_LOAD_ADDRESS = 9,
    CSA_REJECT_TOO_LARGE_FOR_REGION = 10,
    CSA_REJECT_ENCRYPTION_REQUIRED = 11,
    CSA_REJECT_UNSUPPORTED_ENCRYPTION = 12,
    CSA_REJECT_NO_KEY_FOR_THIS_DEVICE = 13,
    CSA_REJECT_KEY_UNWRAP_FAILED = 14,
    CSA_REJECT_PAYLOAD_HASH_MISMATCH = 15,
    CSA_REJECT_PAYLOAD_SIZE_MISMATCH = 16
} csa_image_rejection;

/* The manifest's fields (section 3), decoded little-endian; the pointers point into the parsed bytes. */
typedef struct csa_manifest {
    const uint8_t *bytes;        /* the manifest exactly as signed */
    uint16_t length;             /* 96 + 12 * binding_count */
    uint8_t kind;
    uint8_t authentication;
    uint8_t encryption;
    uint8_t binding_count;
    uint32_t vendor_id;
    uint32_t device_class_id;
    uint8_t version_major;
    uint8_t version_minor;
    uint16_t version_patch;
    uint32_t version_build;
    uint32_t security_counter;
    uint32_t load_address;
    uint32_t payload_size;
    const uint8_t *payload_sha256; /* 32 bytes: SHA-256 of the plaintext payload */
    const uint8_t *nonce;          /* 16 bytes */
    const uint8_t *key_id;         /* 8 bytes */
    const uint8_t *bound_uids;     /* binding_count x 12 bytes */
} csa_manifest;

/* Parses the manifest at the start of data (which may continue with the payload), checking the rules in the
 * document's order and reporting the first one broken with its byte offset (*offset may be NULL). */
csa_image_error csa_manifest_parse(const uint8_t *data, size_t len, csa_manifest *m, uint32_t *offset);

/* The version as one ordered number: major << 56 | minor << 48 | patch << 32 | build. */
uint64_t csa_manifest_version(const csa_manifest *m);
/* The authentication block's length for the manifest's algorithm: 4 (CRC-32) or 64 (ECDSA P-256). */
uint8_t csa_manifest_auth_length(const csa_manifest *m);
/* 1 when the image is unbound or lists uid. */
int csa_manifest_allows(const csa_manifest *m, const uint8_t uid[CSA_IMAGE_UID_SIZE]);

/* A whole image file (sections 1-5). */
typedef struct csa_image {
    csa_manifest manifest;
    const uint8_t *payload;
    const uint8_t *auth;
    uint8_t auth_length;
    const uint8_t *key_block;   /* NULL for a plaintext image */
    uint16_t key_entries;
    uint16_t wrapped_key_length;
    size_t length;              /* the whole image */
} csa_image;

/* Parses a whole image; data must hold exactly the image (TRAILING_DATA otherwise). */
csa_image_error csa_image_parse(const uint8_t *data, size_t len, csa_image *img, uint32_t *offset);
/* The wrapped key of the key-block entry for uid, or NULL (the image has none for this device). */
const uint8_t *csa_image_wrapped_key_for(const csa_image *img, const uint8_t uid[CSA_IMAGE_UID_SIZE]);

/* A trusted signing key: its id (the first 8 bytes of SHA-256 over 04 || X || Y, security.md 3) and X || Y. */
typedef struct csa_trusted_key {
    uint8_t id[8];
    uint8_t public_key[64];
} csa_trusted_key;

/* Fills a trusted key from its 64-byte X || Y, computing the id. */
void csa_trusted_key_init(csa_trusted_key *k, const uint8_t public_key[64]);

/* What a device accepts (the C# ImagePolicy, as the device builds it). */
typedef struct csa_image_policy {
    const csa_trusted_key *keys;   /* ECDSA P-256 keys the device trusts (none: no ECDSA image is accepted) */
    uint8_t key_count;
    uint8_t accept_crc;            /* a checksum-only product: CRC-32 images are accepted */
    uint8_t require_low_s;         /* refuse s > n/2 (security.md 3: off by default for images) */
    uint8_t expected_kind;         /* CSA_IMAGE_KIND_*, 0 = any */
    uint32_t vendor_id;
    uint32_t device_class_id;
    const uint8_t *device_uid;     /* this device's UID; NULL = no binding check */
    uint8_t require_binding;       /* the product installs only bound images: unbound = NotBoundToThisDevice */
    uint8_t check_counter;         /* downgrade prevention on: */
    uint32_t minimum_counter;      /*   refuse a counter below this */
    uint8_t check_region;          /* the target region: */
    uint32_t region_start;         /*   load address must equal it */
    uint32_t region_usable;        /*   payload size must not exceed it (region size - trailer) */
    uint8_t require_encryption;
} csa_image_policy;

/* The verdict of a check: the malformation or the refusal (one of them is set unless both are 0), and the byte
 * offset of a malformation. */
typedef struct csa_image_verdict {
    csa_image_error error;
    csa_image_rejection rejection;
    uint32_t offset;
} csa_image_verdict;

/* The before-erase check (section 6, steps 1-8): the manifest is well formed and exactly mlen bytes,
 * authenticated by the block (nothing else is acted upon before), of the expected kind, vendor and class, binding,
 * counter, location and size, encryption. On acceptance fills *m and returns 0; otherwise fills *v and returns -1.
 * manifest_sha256 receives SHA-256(manifest) (the digest the device identifies an image by) when not NULL. */
int csa_image_check_before_erase(const csa_image_policy *p, const uint8_t *manifest, size_t mlen, const uint8_t *auth,
                                 size_t alen, csa_manifest *m, uint8_t manifest_sha256[32], csa_image_verdict *v);

/* The after-write check on a whole plaintext payload: its length and SHA-256 (PAYLOAD_SIZE_MISMATCH,
 * PAYLOAD_HASH_MISMATCH). 0 when it holds. */
csa_image_rejection csa_image_check_payload(const csa_manifest *m, const uint8_t *payload, size_t len);

/* Everything that can be checked of a whole plaintext image: parse, before-erase check, payload. 0 when valid. */
int csa_image_validate(const csa_image_policy *p, const uint8_t *data, size_t len, csa_image *img,
                       csa_image_verdict *v);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_IMAGE_H_ */
