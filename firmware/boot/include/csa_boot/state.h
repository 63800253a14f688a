/* The firmware's state record (docs/device-model.md 6.2): one 52-byte journal payload per state change, holding the
 * enter-bootloader request, the update in progress and how far it has come, and the exact security counter. */
#ifndef CSA_BOOT_STATE_H_
#define CSA_BOOT_STATE_H_

#include <stdint.h>

#include "csa_boot/journal.h"

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
    uint8_t digest[32];        /* SHA-256 of the manifest being installed */
} csa_state_record;

/* The state of a fresh device: nothing requested, Idle, counter 0. */
void csa_state_fresh(csa_state_record *r);
void csa_state_encode(const csa_state_record *r, uint8_t out[CSA_STATE_RECORD_SIZE]);
/* Decodes a payload; one of another format or length reads as a fresh state (as the C# device does). */
void csa_state_decode(const uint8_t *payload, uint16_t len, csa_state_record *r);
/* 1 when both records encode to the same bytes. */
int csa_state_equal(const csa_state_record *a, const csa_state_record *b);

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
