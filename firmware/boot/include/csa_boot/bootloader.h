/* The bootloader (docs/device-model.md sections 5.2 and 6): the start-up decision and its stay rules, and the
 * update engine the Bootloader interface's RPC handlers call (bootloader.rpc.json): BeginUpdate with every check
 * before anything is erased (and nothing erased before its answer: the journal revokes the old image), Write
 * offset-addressed and idempotent and never programming a flash unit twice, GetMissingBlocks for a group transfer,
 * erase-ahead as a step the main loop runs when idle, FinishUpdate's commit order, AbortUpdate, GetStatus and
 * GetRegionHash with its granule rules, and the requested stay with its deadline.
 *
 * One csa_bootloader is the RAM of a running bootloader. It is not copied and not shared between threads; the
 * caller runs one command at a time (the MCU does). Every call that touches flash can return CSA_BL_POWER_LOST:
 * the power failed inside it (a simulated cut); nothing may be answered and the device starts again with
 * csa_bl_start on a fresh csa_bootloader. Time is the caller's monotonic millisecond clock. */
#ifndef CSA_BOOT_BOOTLOADER_H_
#define CSA_BOOT_BOOTLOADER_H_

#include <stdint.h>

#include "csa_boot/config.h"
#include "csa_boot/image.h"
#include "csa_boot/journal.h"
#include "csa_boot/state.h"
#include "csa_boot/trailer.h"
#include "csa_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a command answered. 1..20 are the Bootloader interface's error codes (bootloader.rpc.json "errors"), so the
 * RPC glue answers the value as it is. */
typedef enum csa_bl_status {
    CSA_BL_OK = 0,
    CSA_BL_BAD_MANIFEST = 1,
    CSA_BL_UNKNOWN_KEY = 2,
    CSA_BL_BAD_SIGNATURE = 3,
    CSA_BL_WRONG_TARGET = 4,
    CSA_BL_NOT_BOUND_TO_THIS_DEVICE = 5,
    CSA_BL_SECURITY_COUNTER_TOO_LOW = 6,
    CSA_BL_WRONG_LOCATION = 7,
    CSA_BL_ENCRYPTION_REQUIRED = 8,
    CSA_BL_KEY_UNWRAP_FAILED = 9,
    CSA_BL_NO_UPDATE_IN_PROGRESS = 10,
    CSA_BL_OUT_OF_RANGE = 11,
    CSA_BL_MISALIGNED = 12,
    CSA_BL_WRITE_CONFLICT = 13,
    CSA_BL_INCOMPLETE = 14,
    CSA_BL_PAYLOAD_HASH_MISMATCH = 15,
    CSA_BL_FLASH_FAULT = 16,
    CSA_BL_NOT_ALLOWED = 17,
    CSA_BL_BUSY = 18,
    CSA_BL_NOT_PROVISIONED = 19,
    CSA_BL_RANGE_NOT_ALLOWED = 20,
    CSA_BL_POWER_LOST = 256 /* not an answer: the device lost power inside the call */
} csa_bl_status;

/* StayReason of the Bootloader interface. */
enum {
    CSA_STAY_NONE = 0,
    CSA_STAY_NO_VALID_APPLICATION = 1,
    CSA_STAY_REQUESTED = 2,
    CSA_STAY_UPDATE_IN_PROGRESS = 3,
    CSA_STAY_NOT_PROVISIONED = 4,
    CSA_STAY_IDENTITY_MISMATCH = 5,
    CSA_STAY_PROVISIONING_DAMAGED = 6
};

/* UpdateTarget of the Bootloader interface. */
enum { CSA_TARGET_APPLICATION = 1, CSA_TARGET_OTHER_BOOTLOADER = 2 };

#define CSA_BL_WRITE_ALIGNMENT 16u
#define CSA_BL_HASH_GRANULE 1024u
#define CSA_BL_MAX_CHECKPOINT 16384u

/* Payload decryption (issue "encrypted updates"): NULL in the configuration refuses encrypted images
 * (KeyUnwrapFailed). unwrap: 0 when the wrapped key unwraps with the device key for this manifest digest.
 * decrypt: AES-CTR is seekable, so any offset; in place. */
typedef struct csa_bl_decryptor {
    int (*unwrap)(void *ctx, const uint8_t *wrapped, uint16_t len, const uint8_t manifest_digest[32], uint8_t key[32]);
    void (*decrypt)(void *ctx, const uint8_t key[32], const uint8_t nonce[16], uint32_t offset, uint8_t *data,
                    uint32_t len);
    void *ctx;
} csa_bl_decryptor;

/* The product (the C# DeviceProfile's bootloader part). Static: it must outlive the bootloader. */
typedef struct csa_bl_config {
    const csa_memory_map *map;
    uint32_t vendor_id;
    uint32_t device_class_id;
    csa_trusted_key keys[CSA_BOOT_MAX_KEYS]; /* csa_trusted_key_init */
    uint8_t key_count;
    uint8_t accept_crc;            /* a checksum-only product */
    uint8_t require_low_s;
    uint8_t downgrade_prevention;  /* REQ-DOWNGRADE: the security counter is enforced */
    uint8_t require_binding;       /* only images bound to this device's UID */
    uint8_t require_encryption;
    uint8_t erase_ahead;           /* 1: the main loop erases ahead (csa_bl_erase_ahead); 0: erase on first touch */
    uint16_t max_write_size;       /* the largest Write: max packet size - 64, <= 4096, a multiple of 16 */
    uint32_t checkpoint_interval;  /* bytes between persisted watermarks: min(16 KiB, one receive window), 0 = 16 KiB */
    const csa_bl_decryptor *decryptor;
    /* UpdatePhaseChanged (phase, target, bytes committed), or NULL. */
    void (*phase_changed)(void *ctx, uint8_t phase, uint8_t target, uint32_t committed);
    void *event_ctx;
} csa_bl_config;

/* The RAM state of the update in progress (device-model.md 6.1). Internal; read it through GetStatus. */
typedef struct csa_bl_session {
    uint8_t active;
    uint8_t complete;              /* committed, or found already installed */
    uint8_t erase_ahead;           /* 0 for a session over an image the region already holds */
    uint8_t region;                /* csa_region_id */
    uint8_t encryption;
    uint8_t has_key;
    uint8_t hash_broken;           /* a read-back for the running hash hit an ECC error */
    uint8_t auth_length;
    uint16_t manifest_length;
    uint32_t owner;                /* the endpoint that began or last resumed it */
    uint32_t payload_size;
    uint32_t security_counter;
    uint32_t committed;            /* live contiguous prefix */
    uint32_t persisted;            /* the watermark in the journal */
    uint32_t hashed;               /* the running SHA-256 covers [0, hashed) */
    uint8_t digest[32];            /* SHA-256 of the manifest */
    uint8_t payload_sha256[32];
    uint8_t nonce[16];
    uint8_t key[32];               /* the content key (RAM only, never flash) */
    uint8_t manifest[CSA_MANIFEST_MAX_SIZE];
    uint8_t auth[CSA_AUTH_MAX_SIZE];
    csa_sha256_ctx hash;           /* hashing while writing: the plaintext read back, in offset order */
    uint8_t written[CSA_BOOT_MAX_PAYLOAD / CSA_BL_WRITE_ALIGNMENT / 8]; /* one bit per 16-byte block */
    uint8_t erased[CSA_BOOT_MAX_REGION_SECTORS / 8]; /* sectors of the region erased in this session */
} csa_bl_session;

/* Counters the tests read (they prove no flash unit is programmed twice and no committed byte erased). */
typedef struct csa_bl_stats {
    uint32_t duplicate_blocks;     /* blocks a Write acknowledged without programming */
    uint32_t programmed_blocks;
    uint32_t erased_ahead;         /* sectors the erase-ahead step erased */
    uint32_t resumed_sectors_lost; /* resumed sectors erased again because a unit in them was torn */
    uint32_t invariant_refusals;   /* erases refused because the sector held written blocks (must stay 0) */
} csa_bl_stats;

typedef struct csa_bootloader {
    const csa_bl_config *config;
    const csa_flash *flash;
    csa_journal journal;
    csa_image_policy policy;       /* the product's part of the image policy */
    uint8_t uid[CSA_IMAGE_UID_SIZE];
    uint8_t halted;                /* power lost: nothing more happens in this run */
    uint8_t has_prebootloader;
    uint8_t pre_major, pre_minor;
    uint16_t pre_patch;
    uint8_t running;               /* CSA_REGION_BOOTLOADER_A / B; 0 = nothing runs (bricked) */
    uint8_t application_runs;      /* the decision: start the application */
    uint8_t stay;                  /* CSA_STAY_* */
    uint8_t lifecycle;             /* CSA_STAY_NOT_PROVISIONED / IDENTITY_MISMATCH / PROVISIONING_DAMAGED or 0 */
    uint8_t has_deadline;
    uint32_t deadline_ms;
    uint32_t wait_ms;
    csa_region_check checks[4];    /* indexed by csa_region_id; [0] unused */
    csa_state_record record;       /* the newest journal record */
    csa_bl_session session;
    csa_bl_stats stats;
} csa_bootloader;

/* The start-up decision. */
typedef struct csa_bl_decision {
    uint8_t running;           /* the bootloader copy the pre-bootloader starts; 0 = bricked */
    uint8_t start_application; /* 1: the bootloader starts the verified application */
    uint8_t stay_reason;       /* why it stays (CSA_STAY_*), when it stays */
} csa_bl_decision;

/* Checks the configuration and binds the bootloader to it and to the flash: 0, or -1 when the map is inconsistent,
 * a region is larger than the session can track (CSA_BOOT_MAX_PAYLOAD, CSA_BOOT_MAX_REGION_SECTORS), the write
 * size is out of range, or no authentication is configured. */
int csa_bl_init(csa_bootloader *bl, const csa_bl_config *config, const csa_flash *flash);

/* Power-on (device-model.md 5.2): reads flash only. The pre-bootloader's choice of copy, the check of the
 * application, the journal's newest record; then stays, in order of precedence, for the lifecycle (`lifecycle`:
 * the provisioning check's verdict, a CSA_STAY_* value from 4 to 6, or 0), an update in progress, no valid
 * application, a persisted request (with its deadline when it has a wait); otherwise starts the application. */
csa_bl_status csa_bl_start(csa_bootloader *bl, uint32_t now_ms, uint8_t lifecycle, csa_bl_decision *decision);

/* The lifecycle verdict changed while the bootloader runs (InstallCertificate provisioned the device, or repaired
 * damaged provisioning): BeginUpdate follows it from now on. The stay reason GetStatus reports stays the start-up's
 * until the next start, as on the C# device. */
void csa_bl_set_lifecycle(csa_bootloader *bl, uint8_t lifecycle);

/* BeginUpdate. `owner` names the host endpoint (another host cannot replace its session: Busy). */
typedef struct csa_bl_begin_answer {
    uint32_t resume_offset;
    uint16_t write_alignment;
    uint16_t max_write_size;
    uint32_t erase_ms_max;
} csa_bl_begin_answer;
csa_bl_status csa_bl_begin_update(csa_bootloader *bl, uint8_t target, const uint8_t *manifest, uint16_t manifest_length,
                                  const uint8_t *auth, uint16_t auth_length, const uint8_t *wrapped_key,
                                  uint16_t wrapped_key_length, uint32_t owner, uint32_t now_ms,
                                  csa_bl_begin_answer *answer);

/* Write. `data` is modified in place when the image is encrypted (it is decrypted there). */
typedef struct csa_bl_write_answer {
    uint32_t offset;
    uint16_t length;
    uint32_t bytes_committed;
} csa_bl_write_answer;
csa_bl_status csa_bl_write(csa_bootloader *bl, uint32_t offset, uint8_t *data, uint16_t length, uint32_t now_ms,
                           csa_bl_write_answer *answer);

/* FinishUpdate: payload_sha256 receives the payload's SHA-256. On Incomplete, *first_missing (may be NULL) is the
 * offset the host must send from. */
csa_bl_status csa_bl_finish_update(csa_bootloader *bl, uint32_t now_ms, uint8_t payload_sha256[32],
                                   uint32_t *first_missing);

csa_bl_status csa_bl_abort_update(csa_bootloader *bl, uint32_t now_ms);

/* GetStatus. */
typedef struct csa_bl_region_status {
    uint8_t region;        /* RegionKind */
    uint8_t state;         /* RegionState: Empty, Valid, Invalid, Updating */
    uint32_t start;
    uint32_t size;
    uint32_t usable_size;  /* what a payload may use: size - 4096 for image regions (issue 13 item 4) */
    uint8_t version_major;
    uint8_t version_minor;
    uint16_t version_patch;
    uint32_t version_build;
    uint32_t security_counter;
} csa_bl_region_status;

typedef struct csa_bl_status_answer {
    uint8_t running_copy;
    uint8_t stay_reason;
    csa_bl_region_status regions[4]; /* RegionKind order */
    uint32_t device_security_counter;
    uint8_t phase;           /* UpdatePhase */
    uint8_t target;          /* UpdateTarget (relative) */
    uint8_t manifest_digest[32];
    uint32_t payload_size;
    uint32_t bytes_committed;
    uint16_t write_alignment;
    uint16_t max_write_size;
} csa_bl_status_answer;
csa_bl_status csa_bl_get_status(csa_bootloader *bl, csa_bl_status_answer *answer);

/* GetRegionHash: whole 1 KiB granules, or exactly [0, payload size) of the valid image in the region. */
csa_bl_status csa_bl_get_region_hash(csa_bootloader *bl, uint8_t region, uint32_t offset, uint32_t length,
                                     uint8_t sha256[32]);

/* GetMissingBlocks (device-model.md 6.4.2): after a transfer to a group, where any member may have lost any write,
 * which blocks of `block_size` bytes from `offset` still hold a 16-byte unit that is not written (the block map Write
 * keeps), as a bitmap of at most CSA_BL_MISSING_BLOCKS blocks (bit i % 8 of byte i / 8; the last block ends at the
 * payload's end; bits from block_count on are 0), with the live contiguous prefix. A read: it changes nothing and
 * does not move the requested stay's deadline. NoUpdateInProgress without a session (also after a reset), Misaligned
 * for a block size of 0 or an offset or block size that is not a multiple of 16, OutOfRange for an offset at or past
 * the payload's end. */
#define CSA_BL_MISSING_BLOCKS 512u
csa_bl_status csa_bl_missing_blocks(const csa_bootloader *bl, uint32_t offset, uint16_t block_size,
                                    uint32_t *bytes_committed, uint16_t *block_count,
                                    uint8_t missing[CSA_BL_MISSING_BLOCKS / 8u]);

/* Erase-ahead: the main loop calls it when no command waits. Erases at most one sector (the next the update needs)
 * and sets *erased to 1, or 0 when there is nothing to erase. */
csa_bl_status csa_bl_erase_ahead(csa_bootloader *bl, int *erased);

/* The requested stay: 1 when its deadline passed (no update command for `wait` seconds since the start or since
 * the last accepted update command; reads never move it). The caller then calls csa_bl_end_requested_stay and
 * resets, so the application starts again. */
int csa_bl_stay_expired(const csa_bootloader *bl, uint32_t now_ms);
/* Forgets the persisted request (writes nothing when none is persisted). */
csa_bl_status csa_bl_end_requested_stay(csa_bootloader *bl);

/* The effective security counter (device-model.md 4): 0 without downgrade prevention. */
uint32_t csa_bl_security_counter(const csa_bootloader *bl);

/* What the start-up check found in a region (BootloaderA/B, Application): versions for the Device interface. */
const csa_region_check *csa_bl_region(const csa_bootloader *bl, uint8_t region);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_BOOTLOADER_H_ */
