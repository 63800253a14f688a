/* The firmware's state record (docs/device-model.md 6.2): one 52-byte journal payload per state change, holding the
 * enter-bootloader request, the update in progress and how far it has come, and the exact security counter. */
#ifndef CSA_BOOT_STATE_H_
#define CSA_BOOT_STATE_H_

#include <stdint.h>

#include "csa_boot/journal.h"
#include "csa_boot/trailer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_STATE_RECORD_SIZE 52u
#define CSA_STATE_SLOT_SIZE 80u /* the firmware's journal slot size */
#define CSA_STATE_NO_REGION 0xFFu

enum { CSA_PHASE_IDLE = 0, CSA_PHASE_RECEIVING = 1, CSA_PHASE_COMPLETE = 2 };

typedef struct csa_state_record {
    uint8_t requested;         /* flags bit 0: enter-bootloader requested */
    uint8_t phase;             /* CSA_PHASE_* */
    uint8_t region;            /* target: CSA_REGION_BOOTLOADER_A/B or CSA_REGION_APPLICATION; 0xFF none */
    uint32_t watermark;        /* payload bytes from 0 known written */
    uint32_t payload_size;
    uint32_t security_counter; /* exact */
    uint16_t wait_seconds;     /* the requested stay's wait */
    uint8_t revoked;           /* regions being rewritten: bit 1 << region (CSA_STATE_REVOCABLE), byte 18 */
    uint8_t digest[32];        /* SHA-256 of the manifest being installed */
} csa_state_record;

/* The bits of byte 18 that name image regions (1 << BootloaderA, BootloaderB, Application); others are ignored. */
#define CSA_STATE_REVOCABLE 0x0Eu
#define CSA_STATE_REVOKED_BIT(region) ((uint8_t)(1u << (region)))

/* The state of a fresh device: nothing requested, Idle, counter 0, nothing revoked. */
void csa_state_fresh(csa_state_record *r);
void csa_state_encode(const csa_state_record *r, uint8_t out[CSA_STATE_RECORD_SIZE]);
/* Decodes a payload; one of another format or length reads as a fresh state (as the C# device does). */
void csa_state_decode(const uint8_t *payload, uint16_t len, csa_state_record *r);
/* 1 when both records encode to the same bytes. */
int csa_state_equal(const csa_state_record *a, const csa_state_record *b);

/* The journal's word on a region (device-model.md 6.2), applied over what its flash says (c, from
 * csa_region_inspect): a region whose revoked bit the record sets is not valid, whatever its trailer and payload
 * hold, unless it holds exactly the image the record installs (a commit whose Complete record was cut). Reversible:
 * a check demoted here (CSA_REASON_REVOKED) is valid again when applied with a record that no longer revokes it. */
void csa_state_apply(const csa_state_record *r, uint8_t region, csa_region_check *c);

/* The journal over a map's two journal regions with the firmware's slot size. */
void csa_state_journal(csa_journal *j, const csa_flash *flash, const csa_memory_map *map);
/* The newest record, or a fresh state. */
csa_flash_status csa_state_read(const csa_journal *j, csa_state_record *r);
csa_flash_status csa_state_append(const csa_journal *j, const csa_state_record *r);

/* What the application's EnterBootloader (and Device.Reset(Bootloader)) does before it resets: persists the
 * request with its wait, so the next start stays in the bootloader (device-model.md 5.2). */
csa_flash_status csa_state_request_bootloader(const csa_flash *flash, const csa_memory_map *map, uint16_t wait_seconds);
/* Forgets a persisted request (Device.Reset(Normal)); writes nothing when none is persisted. */
csa_flash_status csa_state_clear_request(const csa_flash *flash, const csa_memory_map *map);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_STATE_H_ */
