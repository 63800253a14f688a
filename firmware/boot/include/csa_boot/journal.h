/* The boot/update state journal (docs/device-model.md section 3): fixed-size record slots over two separately
 * erasable regions, appended in sequence; the valid record with the highest sequence number is the state. A power
 * cut at any moment leaves the old record or the new one: an append programs only erased slots, and erases only
 * the region that does not hold the newest record. Nothing is kept in RAM: every call scans the flash, as a
 * freshly booted device does. */
#ifndef CSA_BOOT_JOURNAL_H_
#define CSA_BOOT_JOURNAL_H_

#include <stdint.h>

#include "csa_boot/flash.h"
#include "csa_boot/map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_JOURNAL_MAGIC 0x524A5343u /* "CSJR" */
#define CSA_JOURNAL_OVERHEAD 16u      /* magic, sequence, length, slot size, CRC */
#define CSA_JOURNAL_MAX_SLOT 128u     /* the scan reads one slot into a stack buffer this large */

typedef struct csa_journal {
    const csa_flash *flash;
    const csa_region *regions[2];
    uint16_t slot_size; /* a multiple of 8 from 16 to CSA_JOURNAL_MAX_SLOT (the firmware uses 80) */
} csa_journal;

/* Encodes a record into slot (slot_size bytes): magic, sequence, payload length, slot size, payload, 0xFF padding,
 * CRC-32/MPEG-2 of the bytes before it. Returns 0, or -1 when the payload does not fit. */
int csa_journal_encode(uint32_t sequence, const uint8_t *payload, uint16_t len, uint16_t slot_size, uint8_t *slot);
/* 1 when slot holds a valid record (magic, slot size and CRC hold), with its sequence, payload and length. */
int csa_journal_decode(const uint8_t *slot, uint16_t slot_size, uint32_t *sequence, const uint8_t **payload,
                       uint16_t *len);

/* The newest valid record: copies at most cap payload bytes, sets *len and *sequence; *found = 0 on a fresh device.
 * Returns a flash status other than OK only for failures other than torn slots (power lost, out of range). */
csa_flash_status csa_journal_read_latest(const csa_journal *j, uint8_t *payload, uint16_t cap, uint16_t *len,
                                         uint32_t *sequence, int *found);

/* Appends a record with the next sequence number into the first slot after the last non-erased slot of the region
 * that holds the newest record; when it is full, erases the other region (all its sectors) and writes to its slot 0.
 * One program, or one erase per sector of the other region plus one program. */
csa_flash_status csa_journal_append(const csa_journal *j, const uint8_t *payload, uint16_t len);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_JOURNAL_H_ */
