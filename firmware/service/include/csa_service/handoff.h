/* What survives a reset but not a power cut: the few words a firmware keeps in a RAM area that start-up code does
 * not clear (.noinit on a chip; a static in the POSIX device). The node address the host gave (device-model.md 7.2:
 * a reset keeps it, a power cut loses it), and what the bootloader found at its start, which the application reports
 * (GetVersions) without checking every region again. A magic and a CRC-32 tell a power-on's random RAM from them. */
#ifndef CSA_SERVICE_HANDOFF_H_
#define CSA_SERVICE_HANDOFF_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_RETAINED_MAGIC 0x52415343u /* "CSAR" */

typedef struct csa_image_version_info {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
} csa_image_version_info;

/* The bootloader's findings at its last start (the C# FirmwareInventory's part the Device interface reports). */
typedef struct csa_boot_handoff {
    uint8_t running_copy;          /* CSA_REGION_BOOTLOADER_A / B */
    uint8_t application_valid;
    csa_image_version_info bootloader_version;
    csa_image_version_info application_version; /* zero when the application is not valid */
    uint32_t security_counter;     /* the effective counter (0 without downgrade prevention) */
} csa_boot_handoff;

typedef struct csa_retained {
    uint32_t magic;
    uint8_t has_address;
    uint8_t address;               /* the node address to keep across the reset */
    uint8_t has_handoff;
    uint8_t reserved;
    csa_boot_handoff handoff;
    uint32_t crc;                  /* CRC-32/MPEG-2 of everything before it */
} csa_retained;

/* 1 when the area holds what a firmware left before a reset (magic and CRC hold); after a power-on it does not. */
int csa_retained_valid(const csa_retained *r);
/* Seals the area after a change (magic and CRC). */
void csa_retained_seal(csa_retained *r);
/* Forgets everything (what a power cut does to RAM). */
void csa_retained_clear(csa_retained *r);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_HANDOFF_H_ */
