/* A POSIX flash simulation behind the flash port (csa_boot/flash.h), with the chips' rules of docs/device-model.md
 * section 1: F4 programming only clears bits (AND), L4 2 KB pages and 64-bit double words with PROGERR over a
 * non-erased double word (unless all zeros) and ECC double errors on torn double words, OTP rules (F4 lock bytes,
 * L4 write-once double words), write protection, typical or worst-case timing (an accounting clock, optionally
 * slept), erase counters, and power cuts before or inside a chosen or random operation, with torn programs and
 * the three torn-erase styles. The state persists in the flash image file of device-model.md 1.6, the format the
 * C# virtual device (FlashImageFile) reads and writes, so both devices open each other's flash.
 *
 * Host-only: it allocates, uses stdio and POSIX. One csa_flashsim is one chip; it is not thread-safe. */
#ifndef CSA_FLASHSIM_H_
#define CSA_FLASHSIM_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* device-model.md 1.2: what a program over non-erased cells does, beyond the chip's own rules. AND is the F4
 * silicon; the strict policies let tests prove the device logic never relies on it. */
typedef enum csa_flashsim_overwrite {
    CSA_FLASHSIM_AND_LIKE_SILICON = 0,
    CSA_FLASHSIM_REJECT_BIT_SET = 1,      /* refuse a program that needs a 0 -> 1 change */
    CSA_FLASHSIM_REJECT_ANY_REPROGRAM = 2 /* refuse any program over a unit that is not fully erased */
} csa_flashsim_overwrite;

typedef enum csa_flashsim_timing {
    CSA_FLASHSIM_INSTANT = 0,
    CSA_FLASHSIM_TYPICAL = 1,
    CSA_FLASHSIM_WORST_CASE = 2
} csa_flashsim_timing;

/* How an interrupted erase leaves the sector at the cut point (device-model.md 1.5). */
typedef enum csa_flashsim_tear {
    CSA_FLASHSIM_PARTIALLY_ERASED_BITS = 0, /* a random subset of its 0 bits back at 1 */
    CSA_FLASHSIM_RANDOM_CONTENT = 1,        /* random bytes */
    CSA_FLASHSIM_ERASED_PREFIX = 2          /* the leading `fraction` of it erased */
} csa_flashsim_tear;

typedef struct csa_flashsim_options {
    const csa_flash_geometry *geometry;
    uint8_t program_unit;               /* F4: 1, 2, 4 or 8 (PSIZE); L4: 8. 0 = the family's default (4 / 8) */
    csa_flashsim_overwrite overwrite;
    csa_flashsim_timing timing;
    int sleep;                          /* nonzero: really take each operation's duration (a device process):
                                           asleep, or in the owner's busy function (csa_flashsim_on_busy) */
    int fail_beyond_endurance;          /* nonzero: an erase past 10 000 cycles fails with ENDURANCE */
    int has_uid;                        /* nonzero: uid below; else a random unique ID (from /dev/urandom) */
    uint8_t uid[CSA_FLASH_UID_SIZE];
} csa_flashsim_options;

/* A power cut: before operation `operation` (counted from arming, from 0), or inside it. */
typedef struct csa_flashsim_plan {
    uint64_t operation;
    int during;                     /* 0: nothing of the operation happens; 1: it is torn */
    double fraction;                /* where inside it, [0, 1); negative: drawn from the seed */
    uint32_t seed;                  /* the torn bits and bytes; the same plan always tears the same way */
    csa_flashsim_tear erase_style;
} csa_flashsim_plan;

/* What a cut does to the process that owns the flash. */
typedef enum csa_flashsim_cut_action {
    CSA_FLASHSIM_CUT_RETURN = 0, /* the operation answers CSA_FLASH_POWER_LOST, every later one too until power-on */
    CSA_FLASHSIM_CUT_EXIT = 1    /* the flash file is saved (torn state included) and the process exits at once */
} csa_flashsim_cut_action;

typedef struct csa_flashsim_stats {
    uint64_t operations;         /* every program, erase, OTP lock and option-byte program that was carried out */
    uint64_t programs;
    uint64_t erases;
    uint64_t programmed_bytes;
    uint64_t bit_set_attempts;   /* programs that needed a 0 -> 1 change */
    uint64_t reprogrammed_units; /* units programmed over non-erased cells */
    uint64_t power_cuts;
    uint64_t busy_ns;            /* the accounting clock: the operations' durations */
} csa_flashsim_stats;

typedef struct csa_flashsim csa_flashsim;

/* Why a flash image file does not load (device-model.md 1.6, FlashImageFileError). */
typedef enum csa_flashsim_file_error {
    CSA_FLASHSIM_FILE_OK = 0,
    CSA_FLASHSIM_FILE_NOT_A_FLASH_IMAGE = 1,
    CSA_FLASHSIM_FILE_TRUNCATED = 2,
    CSA_FLASHSIM_FILE_UNSUPPORTED_VERSION = 3,
    CSA_FLASHSIM_FILE_UNKNOWN_GEOMETRY = 4,
    CSA_FLASHSIM_FILE_GEOMETRY_MISMATCH = 5,
    CSA_FLASHSIM_FILE_CORRUPT = 6,
    CSA_FLASHSIM_FILE_IO = 7 /* the file could not be opened, read or written (errno says why) */
} csa_flashsim_file_error;

/* A new chip, every byte erased. NULL when out of memory or the options are inconsistent. */
csa_flashsim *csa_flashsim_create(const csa_flashsim_options *options);
/* An exact copy (a second device in the same state; plan and statistics start empty). */
csa_flashsim *csa_flashsim_clone(const csa_flashsim *sim);
void csa_flashsim_destroy(csa_flashsim *sim);

/* Loads a flash image file. options->geometry NULL: the file's geometry; else the file must hold that one
 * (GEOMETRY_MISMATCH). The file's unique ID wins over options->uid. */
csa_flashsim_file_error csa_flashsim_load(const char *path, const csa_flashsim_options *options, csa_flashsim **out);
/* Loads from memory (the same format). */
csa_flashsim_file_error csa_flashsim_load_buffer(const uint8_t *image, size_t len, const csa_flashsim_options *options,
                                                 csa_flashsim **out);
/* Saves atomically: writes path.tmp, flushes it to disk, renames it over path. */
csa_flashsim_file_error csa_flashsim_save(const csa_flashsim *sim, const char *path);
/* The file's bytes in memory: *len receives the size; free() the result. NULL when out of memory. */
uint8_t *csa_flashsim_serialize(const csa_flashsim *sim, size_t *len);
const char *csa_flashsim_file_error_name(csa_flashsim_file_error error);

/* After every operation (and at a cut), save the state to `path` (NULL: stop). A process killed at any moment then
 * leaves the flash as it was after the last completed operation, as a chip keeps what it programmed. */
void csa_flashsim_persist_to(csa_flashsim *sim, const char *path);

/* The port to hand to the bootloader core. The returned struct points into sim. */
csa_flash csa_flashsim_port(csa_flashsim *sim);

void csa_flashsim_arm(csa_flashsim *sim, const csa_flashsim_plan *plan);
/* Arms a random cut: an operation in [0, operation_count), before or inside it, with a random tear, all drawn from
 * seed. */
void csa_flashsim_arm_random(csa_flashsim *sim, uint32_t seed, uint64_t operation_count);
void csa_flashsim_disarm(csa_flashsim *sim);
void csa_flashsim_on_cut(csa_flashsim *sim, csa_flashsim_cut_action action, int exit_code);

/* What the owner does while an operation's time runs (timing with `sleep`): called again and again until the time is
 * up, each call told the nanoseconds left; it returns within about that time (it may return early, e.g. woken by a
 * signal). A device process services its links here, as a chip's SRAM-resident receive path keeps running while the
 * flash stalls code fetch (device-model.md 6.4.1). It must not start another flash operation of this chip (the
 * controller runs one at a time); the operation's data lands after the time is up. NULL (the default): sleep. */
typedef void (*csa_flashsim_busy_fn)(void *ctx, uint64_t remaining_ns);
void csa_flashsim_on_busy(csa_flashsim *sim, csa_flashsim_busy_fn fn, void *ctx);
/* Operations since the plan was armed (or since creation / the last reset_operation_count). */
uint64_t csa_flashsim_operations_since_armed(const csa_flashsim *sim);
/* Cuts the power now, between operations. */
void csa_flashsim_cut_power(csa_flashsim *sim);
/* Asks for a cut from anywhere, a signal handler included (it only sets a flag): an operation whose time is running
 * (timing with `sleep`) is torn at the fraction of it that had passed, as the C# CutPower does; otherwise the next
 * operation never starts. The owner checks csa_flashsim_cut_requested between operations and calls
 * csa_flashsim_cut_power when the request is still pending. */
void csa_flashsim_request_cut(csa_flashsim *sim);
int csa_flashsim_cut_requested(const csa_flashsim *sim);
void csa_flashsim_power_on(csa_flashsim *sim);
int csa_flashsim_powered(const csa_flashsim *sim);

const csa_flashsim_stats *csa_flashsim_get_stats(const csa_flashsim *sim);
void csa_flashsim_reset_stats(csa_flashsim *sim);

/* Diagnostics, as a chip-off analysis sees the cells: no power, ECC or protection checks. 0 on success. */
int csa_flashsim_read_raw(const csa_flashsim *sim, uint32_t address, void *dst, uint32_t len);
uint32_t csa_flashsim_erase_cycles(const csa_flashsim *sim, uint16_t sector);
int csa_flashsim_ecc_broken(const csa_flashsim *sim, uint32_t address);
const csa_flash_geometry *csa_flashsim_geometry(const csa_flashsim *sim);
/* Read-out protection level 0..2 as stored (only persisted: the simulation has no debug port). */
uint8_t csa_flashsim_rdp(const csa_flashsim *sim);
void csa_flashsim_set_rdp(csa_flashsim *sim, uint8_t level);

/* The typical or worst-case duration of one operation in nanoseconds (device-model.md 1.4). */
uint64_t csa_flashsim_program_ns(const csa_flash_geometry *g, csa_flashsim_timing t, uint32_t units);
uint64_t csa_flashsim_erase_ns(const csa_flash_geometry *g, csa_flashsim_timing t, uint32_t sector_size);

#ifdef __cplusplus
}
#endif

#endif /* CSA_FLASHSIM_H_ */
