/* Shared by the bootloader's source files: the session's block map and sector set, progress (checkpoints and
 * resumption), and small helpers. */
#ifndef CSA_BOOT_BL_INTERNAL_H_
#define CSA_BOOT_BL_INTERNAL_H_

#include "csa_boot/bootloader.h"

/* A flash status as the command's answer: power lost stops everything, other flash errors are FlashFault. */
csa_bl_status csa_bl_flash(csa_bootloader *bl, csa_flash_status st);

static inline const csa_region *csa_bl_region_of(const csa_bootloader *bl, uint8_t id)
{
    return &bl->config->map->regions[id];
}

/* 1 while a bootloader runs and serves commands (not bricked, not the application, power not lost). */
static inline int csa_bl_resident(const csa_bootloader *bl)
{
    return bl->running != 0 && !bl->application_runs && !bl->halted;
}

/* Re-runs the start-up check of a region and keeps the result. */
csa_bl_status csa_bl_refresh(csa_bootloader *bl, uint8_t region);
/* Appends a record and keeps it as the current one. */
csa_bl_status csa_bl_append(csa_bootloader *bl, const csa_state_record *r);
/* An accepted update command: the requested stay's wait starts again. */
void csa_bl_note_command(csa_bootloader *bl, uint32_t now_ms);
void csa_bl_publish(csa_bootloader *bl, uint8_t phase, uint8_t region, uint32_t committed);
uint8_t csa_bl_target_of(uint8_t region);

/* ---- the session's block map (bl_session.c) ---- */

uint32_t csa_bl_blocks(const csa_bl_session *s);
int csa_bl_written(const csa_bl_session *s, uint32_t block);
void csa_bl_mark_written(csa_bl_session *s, uint32_t first, uint32_t end);
/* Marks the blocks below `watermark` written (resume after a reset), all when it reaches the payload's end. */
void csa_bl_mark_written_below(csa_bl_session *s, uint32_t watermark);
/* Forgets the blocks of payload range [from, to) (they must be written again). */
void csa_bl_forget(csa_bl_session *s, uint32_t from, uint32_t to);
/* Moves the live contiguous prefix forward over written blocks. */
void csa_bl_advance(csa_bl_session *s);
int csa_bl_sector_erased(const csa_bl_session *s, uint16_t index_in_region);
void csa_bl_set_sector_erased(csa_bl_session *s, uint16_t index_in_region, int erased);
/* 1 when any written block lies in sector `sec` of the session's region. */
int csa_bl_holds_written(const csa_bootloader *bl, const csa_flash_sector *sec);
/* Sector i of the session's region (0-based inside the region). */
void csa_bl_region_sector(const csa_bootloader *bl, uint8_t region, uint16_t i, csa_flash_sector *out);
/* Erases sector i of the session's region, never one that holds a written block (the invariant behind "never erase
 * committed bytes"; violating it is refused and counted), and marks it erased in this session. */
csa_bl_status csa_bl_erase_sector(csa_bootloader *bl, uint16_t i);
/* Feeds the running hash with the prefix read back from flash, up to the live contiguous prefix. */
csa_bl_status csa_bl_hash_catch_up(csa_bootloader *bl);
void csa_bl_hash_reset(csa_bl_session *s);
void csa_bl_session_clear(csa_bl_session *s);

/* ---- progress: checkpoints and resumption (bl_progress.c) ---- */

/* After a write: persists the watermark when the prefix moved a checkpoint interval past the last one, or reached
 * the payload's end. */
csa_bl_status csa_bl_checkpoint(csa_bootloader *bl);

/* How a sector is treated when a write first needs it (device-model.md 6.4 and the resume rule): */
typedef enum {
    CSA_SECTOR_ERASED = 0,  /* erased in this session: program there */
    CSA_SECTOR_DIRTY = 1,   /* not erased in this session, no written block: erase it first */
    CSA_SECTOR_RESUMED = 2  /* not erased in this session, holds written blocks (the watermark's sector after a
                               reset): continue by comparison, never erase while it holds them */
} csa_sector_kind;
csa_sector_kind csa_bl_sector_kind(const csa_bootloader *bl, uint16_t i, const csa_flash_sector *sec);

/* Writes [address, address + len) of the payload from src into a resumed sector without erasing: units that
 * already hold the data are kept, erased ones are programmed; *done = 0 when a unit is torn (other data, or an ECC
 * error): then the sector's blocks are forgotten and the watermark moved back to its start in the journal, and the
 * caller erases it and programs the piece. `src_len` may end inside the last unit (the payload's end). */
csa_bl_status csa_bl_program_resumed(csa_bootloader *bl, const csa_flash_sector *sec, uint32_t address,
                                     const uint8_t *src, uint32_t src_len, int *done);

/* Programs src_len bytes at address in one operation, and the payload's last unit padded with 0xFF in a second. */
csa_bl_status csa_bl_program_padded(csa_bootloader *bl, uint32_t address, const uint8_t *src, uint32_t src_len);

#endif /* CSA_BOOT_BL_INTERNAL_H_ */
