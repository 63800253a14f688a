/* How an installed image sits in its region (docs/device-model.md 5.1): the plaintext payload from the region
 * start, and a 4096-byte trailer area at the region's end with 7 slots of 576 bytes. A slot is the manifest and
 * authentication block (the body, one program operation) and an 8-byte commit marker written last: the commit
 * point of an installation. And the start-up check of a region (REQ-BOOT-VERIFY): Valid, Empty or Invalid. */
#ifndef CSA_BOOT_TRAILER_H_
#define CSA_BOOT_TRAILER_H_

#include <stdint.h>

#include "csa_boot/flash.h"
#include "csa_boot/image.h"
#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_TRAILER_AREA 4096u
#define CSA_TRAILER_SLOT 576u
#define CSA_TRAILER_SLOTS 7u
#define CSA_TRAILER_BODY 568u
#define CSA_TRAILER_COMMIT 8u
#define CSA_TRAILER_MAGIC 0x54415343u /* "CSAT" */
#define CSA_COMMIT_MAGIC 0x56415343u  /* "CSAV" */

static inline uint32_t csa_trailer_area(const csa_region *r)
{
    return r->address + r->size - CSA_TRAILER_AREA;
}

static inline uint32_t csa_trailer_slot_address(const csa_region *r, unsigned slot)
{
    return csa_trailer_area(r) + slot * CSA_TRAILER_SLOT;
}

/* The bytes an image payload may use: the region minus the trailer area (the device's usable payload size). */
static inline uint32_t csa_trailer_usable(const csa_region *r)
{
    return r->size - CSA_TRAILER_AREA;
}

/* The slot body: magic, manifest length, authentication length, manifest, authentication block, 0xFF padding. */
int csa_trailer_encode_body(const uint8_t *manifest, uint16_t mlen, const uint8_t *auth, uint16_t alen,
                            uint8_t body[CSA_TRAILER_BODY]);
/* The commit marker: magic and CRC-32/MPEG-2 of the body; one double word. */
void csa_trailer_encode_commit(const uint8_t body[CSA_TRAILER_BODY], uint8_t commit[CSA_TRAILER_COMMIT]);
/* 1 for a committed, well-formed slot, with pointers into it. */
int csa_trailer_decode(const uint8_t slot[CSA_TRAILER_SLOT], const uint8_t **manifest, uint16_t *mlen,
                       const uint8_t **auth, uint16_t *alen);

/* RegionState values of the Bootloader interface. */
enum { CSA_REGION_EMPTY = 0, CSA_REGION_VALID = 1, CSA_REGION_INVALID = 2, CSA_REGION_UPDATING = 3 };

/* Why a region is not valid (for logs and tests). */
typedef enum csa_region_reason {
    CSA_REASON_VALID = 0,
    CSA_REASON_ERASED = 1,
    CSA_REASON_NO_COMMITTED_SLOT = 2, /* an update was interrupted or abandoned */
    CSA_REASON_IMAGE_REFUSED = 3,     /* the committed manifest fails a check: see verdict */
    CSA_REASON_PAYLOAD_HASH = 4,      /* the payload in flash is not the manifest's */
    CSA_REASON_ECC = 5,               /* the payload holds an ECC double error */
    CSA_REASON_REVOKED = 6            /* its flash holds a valid image, but the journal marks the region as being
                                         rewritten (device-model.md 6.2: csa_state_apply) */
} csa_region_reason;

/* What the start-up check found in one image region. */
typedef struct csa_region_check {
    uint8_t state;              /* CSA_REGION_EMPTY / VALID / INVALID */
    uint8_t reason;             /* csa_region_reason */
    csa_image_verdict verdict;  /* for CSA_REASON_IMAGE_REFUSED */
    uint8_t version_major;      /* the image's fields when VALID (zero otherwise) */
    uint8_t version_minor;
    uint16_t version_patch;
    uint32_t version_build;
    uint32_t security_counter;
    uint32_t payload_size;
    uint8_t manifest_digest[32];
    uint8_t payload_sha256[32];
} csa_region_check;

/* The check of device-model.md 5.1: a committed trailer slot whose manifest is well formed, authenticated by a
 * trusted key (or its CRC), of the expected kind, vendor, class, binding and location (policy: the product's keys,
 * ids, UID and binding rule; kind and location are set here from the region), and whose payload's SHA-256, re-read
 * from flash, equals the manifest's. Empty: every slot and the first 1 KB of the region erased. The start-up check
 * does not compare counters. Returns a flash status only for failures that stop the device (power lost). */
csa_flash_status csa_region_inspect(const csa_flash *f, const csa_region *r, uint8_t expected_kind,
                                    const csa_image_policy *policy, csa_region_check *out);

/* SHA-256 of a flash range, read in chunks. CSA_FLASH_ERR_ECC when a double word of it has an ECC error. */
csa_flash_status csa_flash_sha256(const csa_flash *f, uint32_t address, uint32_t len, uint8_t digest[32]);

/* The version of a valid check as one ordered number (image-format.md 3). */
uint64_t csa_region_check_version(const csa_region_check *c);
/* 1 when the region is valid with the image whose manifest digest is `digest`. */
int csa_region_check_holds(const csa_region_check *c, const uint8_t digest[32]);
/* 1 when the region's flash alone holds that image: valid, or valid but revoked by the journal. */
int csa_region_check_holds_raw(const csa_region_check *c, const uint8_t digest[32]);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_TRAILER_H_ */
