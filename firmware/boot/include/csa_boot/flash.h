/* The flash port: the one seam between the bootloader core and a chip's flash controller.
 *
 * Shaped like the chips (docs/device-model.md section 1), not like a block device: sectors (F4) or pages (L4) of
 * different sizes are erased by index, data is programmed in the controller's program unit (F4: the PSIZE
 * parallelism, a word for bootloaders; L4: a 64-bit double word), the OTP area and the unique device ID are read
 * and programmed at their system-memory addresses, as the CPU sees them. Errors are the typed FlashError set of
 * device-model.md 1.2, so a port reports what the controller's status register said.
 *
 * A port is a csa_flash: a table of functions, its context and the chip's geometry. MCUboot's flash map is the
 * model: everything above this header addresses flash through regions (map.h), never through raw pointers, so the
 * same core runs over the POSIX file-backed simulation (firmware/flashsim), QEMU semihosting and the real
 * registers. */
#ifndef CSA_BOOT_FLASH_H_
#define CSA_BOOT_FLASH_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a flash operation answered. The values 1..14 mirror the FlashError set of docs/device-model.md 1.2 in its
 * order; CSA_FLASH_POWER_LOST is not a chip error: the power failed during or before the operation (a simulated
 * cut). Nothing after it happens, so the caller must stop and return without touching anything else. */
typedef enum csa_flash_status {
    CSA_FLASH_OK = 0,
    CSA_FLASH_ERR_SEQUENCE = 1,          /* ProgrammingSequence: nothing to program, or a malformed request (PGSERR) */
    CSA_FLASH_ERR_ALIGNMENT = 2,         /* Alignment: address not aligned to the program unit (PGAERR/PGPERR) */
    CSA_FLASH_ERR_PROGRAM_SIZE = 3,      /* ProgramSize: length not whole program units (PGPERR/SIZERR) */
    CSA_FLASH_ERR_NOT_ERASED = 4,        /* ProgramOverNonErased: L4 PROGERR, or a strict simulation policy */
    CSA_FLASH_ERR_WRITE_PROTECTED = 5,   /* WriteProtected (WRPERR) */
    CSA_FLASH_ERR_OUT_OF_RANGE = 6,      /* AddressOutOfRange */
    CSA_FLASH_ERR_READ_ONLY = 7,         /* ReadOnlyArea: unique ID, flash size register */
    CSA_FLASH_ERR_OTP_LOCKED = 8,        /* OtpLocked (F4 lock byte 0x00) */
    CSA_FLASH_ERR_ECC = 9,               /* EccDoubleError (L4 ECCD: a torn double word) */
    CSA_FLASH_ERR_READ_PROTECTED = 10,   /* ReadProtected (debug-port reads under RDP) */
    CSA_FLASH_ERR_OPTION_LOCKED = 11,    /* OptionBytesLocked (RDP level 2) */
    CSA_FLASH_ERR_INVALID_OPTION = 12,   /* InvalidOptionBytes (e.g. more than two L4 WRP areas per bank) */
    CSA_FLASH_ERR_BUSY = 13,             /* Busy: another operation runs */
    CSA_FLASH_ERR_ENDURANCE = 14,        /* EnduranceExceeded (only with a simulation policy that enforces it) */
    CSA_FLASH_POWER_LOST = 15            /* the power failed: stop now */
} csa_flash_status;

/* The controller family, with the value the flash image file stores (device-model.md 1.6). */
typedef enum csa_flash_family {
    CSA_FLASH_F4 = 0, /* STM32F4, RM0090: programming only clears bits, sectors of 16/64/128 KB */
    CSA_FLASH_L4 = 1  /* STM32L4, RM0351: 2 KB pages, 64-bit double words with ECC, PROGERR over non-erased */
} csa_flash_family;

/* `count` consecutive erase units of `size` bytes. A geometry is a list of runs, in address order. */
typedef struct csa_flash_run {
    uint16_t count;
    uint32_t size;
} csa_flash_run;

/* One chip's flash (device-model.md 1.1). The fields are what the datasheet and the reference manual say. */
typedef struct csa_flash_geometry {
    const char *name;              /* the name the flash image file stores, e.g. "STM32F4-1M" */
    csa_flash_family family;
    uint32_t base;                 /* 0x08000000 */
    uint32_t size;                 /* main flash bytes */
    uint8_t bank_count;            /* banks of equal size, bank 2 right after bank 1 */
    const csa_flash_run *runs;     /* the erase units, whole flash, in address order */
    uint8_t run_count;
    uint16_t sector_count;         /* sum of the runs' counts */
    uint32_t otp_address;          /* F4 0x1FFF7800, L4 0x1FFF7000 */
    uint32_t otp_size;             /* F4 528 (512 data + 16 lock bytes), L4 1024 */
    uint32_t otp_block_size;       /* F4 32 (16 lockable blocks, lock bytes after them), L4 0 (no lock bytes) */
    uint32_t uid_address;          /* 96-bit unique device ID: F4 0x1FFF7A10, L4 0x1FFF7590 */
    uint32_t flash_size_register;  /* u16, KB: F4 0x1FFF7A22, L4 0x1FFF75E0 */
} csa_flash_geometry;

#define CSA_FLASH_ERASED 0xFFu
#define CSA_FLASH_UID_SIZE 12u
#define CSA_FLASH_OTP_BLOCKS 16u /* F4 */

extern const csa_flash_geometry csa_flash_stm32f4_512k;
extern const csa_flash_geometry csa_flash_stm32f4_1m;
extern const csa_flash_geometry csa_flash_stm32f4_2m;
extern const csa_flash_geometry csa_flash_stm32l4_256k;
extern const csa_flash_geometry csa_flash_stm32l4_512k;
extern const csa_flash_geometry csa_flash_stm32l4_1m;

/* One erase unit, as the chip numbers it: index across the whole flash from 0; index_in_bank is the L4 PNB. */
typedef struct csa_flash_sector {
    uint16_t index;
    uint16_t index_in_bank;
    uint8_t bank;
    uint32_t address;
    uint32_t size;
} csa_flash_sector;

/* Fills *out with sector `index`; 0 on success, -1 when the chip has no such sector. */
int csa_flash_sector_info(const csa_flash_geometry *g, uint16_t index, csa_flash_sector *out);
/* The index of the sector holding `address`, or -1 outside the main flash. */
int32_t csa_flash_sector_at(const csa_flash_geometry *g, uint32_t address);
/* Looks a geometry up by its file name (ASCII, case-insensitive); NULL when unknown. */
const csa_flash_geometry *csa_flash_geometry_by_name(const char *name, size_t len);
/* The datasheet's worst-case erase time of one sector in milliseconds (device-model.md 1.4), rounded up. */
uint32_t csa_flash_erase_ms_max(const csa_flash_geometry *g, uint32_t sector_size);

/* The operations a port implements. Every function returns a csa_flash_status. `ctx` is the port's own state.
 *
 * read: copies len bytes at `address` (main flash, OTP, unique ID or flash size register) as the CPU reads them;
 *   an L4 double word with inconsistent ECC answers CSA_FLASH_ERR_ECC and the buffer content is undefined.
 * program: one program operation (on the chip, a loop of program accesses under one unlock). `address` and
 *   `len` must be whole program units; the target is main flash or OTP. The chip's rules apply: F4 ANDs into
 *   what is there, L4 refuses a non-erased double word unless the new value is all zeros (OTP: refuses always).
 * erase_sector: erases one sector (F4) or page (L4) by index.
 * lock_otp_block: F4 only (NULL elsewhere): programs lock byte `block` to 0x00, which locks that 32-byte block.
 * set_write_protection / get_write_protection: the write-protection option bytes as a bitmap with one bit per
 *   sector (bit i of byte i/8, LSB first). NULL when the port does not change option bytes. */
typedef struct csa_flash_ops {
    csa_flash_status (*read)(void *ctx, uint32_t address, void *dst, uint32_t len);
    csa_flash_status (*program)(void *ctx, uint32_t address, const void *src, uint32_t len);
    csa_flash_status (*erase_sector)(void *ctx, uint16_t sector);
    csa_flash_status (*lock_otp_block)(void *ctx, uint8_t block);
    csa_flash_status (*set_write_protection)(void *ctx, const uint8_t *sector_bitmap);
    csa_flash_status (*get_write_protection)(void *ctx, uint8_t *sector_bitmap);
} csa_flash_ops;

/* A flash port instance. program_unit is what the port programs per access: 4 (F4 at x32 parallelism, what a
 * bootloader uses at 2.7-3.6 V) or 8 (L4 double word). */
typedef struct csa_flash {
    const csa_flash_ops *ops;
    void *ctx;
    const csa_flash_geometry *geometry;
    uint8_t program_unit;
} csa_flash;

static inline csa_flash_status csa_flash_read(const csa_flash *f, uint32_t address, void *dst, uint32_t len)
{
    return f->ops->read(f->ctx, address, dst, len);
}

static inline csa_flash_status csa_flash_program(const csa_flash *f, uint32_t address, const void *src, uint32_t len)
{
    return f->ops->program(f->ctx, address, src, len);
}

static inline csa_flash_status csa_flash_erase(const csa_flash *f, uint16_t sector)
{
    return f->ops->erase_sector(f->ctx, sector);
}

/* Reads the 96-bit unique device ID (12 bytes, lowest address first: the form images bind to). */
static inline csa_flash_status csa_flash_read_uid(const csa_flash *f, uint8_t uid[CSA_FLASH_UID_SIZE])
{
    return f->ops->read(f->ctx, f->geometry->uid_address, uid, CSA_FLASH_UID_SIZE);
}

/* Blank check: *blank = 1 when every byte of the range reads 0xFF (a double word with an ECC error is not blank;
 * it answers CSA_FLASH_OK with *blank = 0). Other errors are returned. */
csa_flash_status csa_flash_is_blank(const csa_flash *f, uint32_t address, uint32_t len, int *blank);

/* A short name of a status, for logs and test messages ("NotErased", "PowerLost", ...). */
const char *csa_flash_status_name(csa_flash_status status);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_FLASH_H_ */
