/* The STM32F405/F407 flash controller (RM0090 section 3) behind the bootloader core's flash port.
 *
 * Every operation is checked before the controller is touched (range, program unit, write protection, OTP locks),
 * so a refused operation writes nothing, as the port contract (csa_boot/flash.h) and the flash model ask; the
 * controller's own error flags are still read after every access and reported in the FlashError set. The busy
 * waits run from SRAM (CSA_RAMFUNC): on the single-bank 1 MB part an erase stalls every fetch from flash for up to
 * 4 s, while the UART interrupt (also in SRAM, with the vector table) keeps filling the receive ring. */
#include <string.h>

#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

#define F4_OTP_DATA_SIZE 512u
#define F4_OTP_LOCK_ADDRESS 0x1FFF7A00u

static const csa_flash_geometry *const geometry = &csa_flash_stm32f4_1m;

/* csa_board_flash_on_busy: the bootloader's data-link step, called from the wait loop (in SRAM, as it is). */
static csa_board_busy_fn busy_fn;
static void *busy_ctx;

void csa_board_flash_on_busy(csa_board_busy_fn fn, void *ctx)
{
    busy_fn = fn;
    busy_ctx = ctx;
}

/* --- SRAM-resident primitives: nothing here may fetch from flash while the controller is busy --- */

CSA_RAMFUNC static uint32_t wait_ready(void)
{
    while (F4_FLASH_SR & F4_SR_BSY) {
        F4_IWDG_KR = 0xAAAAu; /* refresh the watchdog (no effect when it is not running) */
        if (busy_fn != 0)
            busy_fn(busy_ctx); /* the link keeps running: frames decoded, forwarded, held (device-model.md 6.4.1) */
    }
    return F4_FLASH_SR;
}

/* Resets the instruction and data caches after flash content changed (RM0090 3.5.2: a cache must be disabled
 * before it is reset), so later reads see the new content. */
CSA_RAMFUNC static void reset_caches(void)
{
    uint32_t acr = F4_FLASH_ACR;
    F4_FLASH_ACR = acr & ~(F4_ACR_ICEN | F4_ACR_DCEN);
    F4_FLASH_ACR = (acr & ~(F4_ACR_ICEN | F4_ACR_DCEN)) | F4_ACR_ICRST | F4_ACR_DCRST;
    F4_FLASH_ACR = acr & ~(F4_ACR_ICRST | F4_ACR_DCRST);
}

CSA_RAMFUNC static uint32_t erase_ram(uint32_t snb)
{
    uint32_t sr;
    F4_FLASH_CR = F4_CR_PSIZE_X32 | F4_CR_SER | (snb << F4_CR_SNB_SHIFT);
    F4_FLASH_CR |= F4_CR_STRT;
    sr = wait_ready();
    F4_FLASH_CR = 0;
    reset_caches();
    return sr;
}

CSA_RAMFUNC static uint32_t program_words_ram(uint32_t address, const uint8_t *src, uint32_t words)
{
    uint32_t sr = 0, i;
    F4_FLASH_CR = F4_CR_PSIZE_X32 | F4_CR_PG;
    for (i = 0; i < words; i++, src += 4) {
        uint32_t w = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
        *(volatile uint32_t *)(uintptr_t)(address + 4u * i) = w;
        sr = wait_ready();
        if (sr & F4_SR_ERRORS)
            break;
    }
    F4_FLASH_CR = 0;
    reset_caches();
    return sr;
}

CSA_RAMFUNC static uint32_t program_byte_ram(uint32_t address, uint8_t value)
{
    uint32_t sr;
    F4_FLASH_CR = F4_CR_PSIZE_X8 | F4_CR_PG;
    *(volatile uint8_t *)(uintptr_t)address = value;
    sr = wait_ready();
    F4_FLASH_CR = 0;
    reset_caches();
    return sr;
}

CSA_RAMFUNC static uint32_t option_start_ram(uint32_t optcr)
{
    F4_FLASH_OPTCR = optcr;
    F4_FLASH_OPTCR = optcr | F4_OPTCR_OPTSTRT;
    return wait_ready();
}

/* --- checks and the port functions --- */

/* The controller's error flags in the FlashError set (device-model.md 1.2). */
static csa_flash_status status_of(uint32_t sr)
{
    if (sr & F4_SR_WRPERR)
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    if (sr & F4_SR_PGAERR)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (sr & F4_SR_PGPERR)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    if (sr & F4_SR_RDERR)
        return CSA_FLASH_ERR_READ_PROTECTED;
    if (sr & (F4_SR_PGSERR | F4_SR_OPERR))
        return CSA_FLASH_ERR_SEQUENCE;
    return CSA_FLASH_OK;
}

/* Unlocks the control register and clears stale error flags (a flag left set makes the next operation fail with
 * PGSERR). Waits for an operation in progress first: the controller runs one at a time. */
static csa_flash_status begin(void)
{
    (void)wait_ready();
    if (F4_FLASH_CR & F4_CR_LOCK) {
        F4_FLASH_KEYR = F4_FLASH_KEY1;
        F4_FLASH_KEYR = F4_FLASH_KEY2;
        if (F4_FLASH_CR & F4_CR_LOCK)
            return CSA_FLASH_ERR_SEQUENCE; /* a wrong key sequence locks the controller until reset */
    }
    F4_FLASH_SR = F4_SR_ERRORS | F4_SR_EOP;
    return CSA_FLASH_OK;
}

static void end(void)
{
    F4_FLASH_CR = F4_CR_LOCK;
}

static int in_range(uint32_t address, uint32_t len, uint32_t start, uint32_t size)
{
    return address >= start && len <= size && address - start <= size - len;
}

static uint16_t protected_sectors(void)
{
    return (uint16_t)(~(F4_FLASH_OPTCR >> F4_OPTCR_NWRP_SHIFT) & 0xFFFu);
}

static csa_flash_status f4_read(void *ctx, uint32_t address, void *dst, uint32_t len)
{
    (void)ctx;
    if (!in_range(address, len, geometry->base, geometry->size)
        && !in_range(address, len, geometry->otp_address, geometry->otp_size)
        && !in_range(address, len, geometry->uid_address, CSA_FLASH_UID_SIZE)
        && !in_range(address, len, geometry->flash_size_register, 2u))
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    memcpy(dst, (const void *)(uintptr_t)address, len);
    return CSA_FLASH_OK;
}

static csa_flash_status f4_program(void *ctx, uint32_t address, const void *src, uint32_t len)
{
    const uint8_t *lock = (const uint8_t *)(uintptr_t)F4_OTP_LOCK_ADDRESS;
    csa_flash_status st;
    uint32_t sr;
    (void)ctx;
    if (len == 0)
        return CSA_FLASH_ERR_SEQUENCE;
    if (in_range(address, len, geometry->base, geometry->size)) {
        int32_t first = csa_flash_sector_at(geometry, address), last = csa_flash_sector_at(geometry, address + len - 1u);
        uint16_t wrp = protected_sectors();
        int32_t s;
        for (s = first; s <= last; s++)
            if (wrp & (1u << s))
                return CSA_FLASH_ERR_WRITE_PROTECTED;
    } else if (in_range(address, len, geometry->otp_address, F4_OTP_DATA_SIZE)) {
        uint32_t b;
        for (b = (address - geometry->otp_address) / 32u; b <= (address + len - 1u - geometry->otp_address) / 32u; b++)
            if (lock[b] == 0x00u)
                return CSA_FLASH_ERR_OTP_LOCKED;
    } else if (in_range(address, len, geometry->uid_address, CSA_FLASH_UID_SIZE)
               || in_range(address, len, geometry->flash_size_register, 2u)) {
        return CSA_FLASH_ERR_READ_ONLY;
    } else {
        return CSA_FLASH_ERR_OUT_OF_RANGE; /* lock bytes: lock_otp_block only */
    }
    if (address % 4u != 0)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (len % 4u != 0)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    sr = program_words_ram(address, (const uint8_t *)src, len / 4u);
    end();
    return status_of(sr);
}

static csa_flash_status f4_erase_sector(void *ctx, uint16_t sector)
{
    csa_flash_status st;
    uint32_t sr, snb;
    (void)ctx;
    if (sector >= geometry->sector_count)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (protected_sectors() & (1u << sector))
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    snb = sector < 12u ? sector : sector + 4u; /* 2 MB parts number bank 2's sectors 0x10..0x1B (RM0090 3.9.8) */
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    sr = erase_ram(snb);
    end();
    return status_of(sr);
}

static csa_flash_status f4_lock_otp_block(void *ctx, uint8_t block)
{
    csa_flash_status st;
    uint32_t sr;
    (void)ctx;
    if (block >= CSA_FLASH_OTP_BLOCKS)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (*(const volatile uint8_t *)(uintptr_t)(F4_OTP_LOCK_ADDRESS + block) == 0x00u)
        return CSA_FLASH_OK; /* locked already: RM0090 allows only 0x00 and 0xFF there */
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    sr = program_byte_ram(F4_OTP_LOCK_ADDRESS + block, 0x00u);
    end();
    return status_of(sr);
}

static csa_flash_status f4_get_write_protection(void *ctx, uint8_t *bitmap)
{
    uint16_t wrp = protected_sectors();
    (void)ctx;
    bitmap[0] = (uint8_t)wrp;
    bitmap[1] = (uint8_t)(wrp >> 8);
    return CSA_FLASH_OK;
}

/* RM0090 3.6.2: the nWRP bits (0 = protected) of the user option bytes, programmed with OPTSTRT; they apply at once
 * (no reset needed on the F4). RDP level 2 freezes the option bytes. */
static csa_flash_status f4_set_write_protection(void *ctx, const uint8_t *bitmap)
{
    uint32_t want = ((uint32_t)bitmap[0] | (uint32_t)bitmap[1] << 8), optcr, sr;
    (void)ctx;
    if (want & ~0xFFFu)
        return CSA_FLASH_ERR_INVALID_OPTION; /* the F405/F407 has 12 sectors */
    if (((F4_FLASH_OPTCR & F4_OPTCR_RDP_MASK) >> F4_OPTCR_RDP_SHIFT) == F4_RDP_LEVEL2)
        return CSA_FLASH_ERR_OPTION_LOCKED;
    if (protected_sectors() == want)
        return CSA_FLASH_OK;
    (void)wait_ready();
    if (F4_FLASH_OPTCR & F4_OPTCR_OPTLOCK) {
        F4_FLASH_OPTKEYR = F4_FLASH_OPTKEY1;
        F4_FLASH_OPTKEYR = F4_FLASH_OPTKEY2;
        if (F4_FLASH_OPTCR & F4_OPTCR_OPTLOCK)
            return CSA_FLASH_ERR_OPTION_LOCKED;
    }
    F4_FLASH_SR = F4_SR_ERRORS | F4_SR_EOP;
    optcr = (F4_FLASH_OPTCR & ~F4_OPTCR_NWRP_MASK) | ((~want & 0xFFFu) << F4_OPTCR_NWRP_SHIFT);
    sr = option_start_ram(optcr);
    F4_FLASH_OPTCR |= F4_OPTCR_OPTLOCK;
    if (status_of(sr) != CSA_FLASH_OK)
        return status_of(sr);
    return protected_sectors() == want ? CSA_FLASH_OK : CSA_FLASH_ERR_INVALID_OPTION;
}

static const csa_flash_ops f4_ops = {
    f4_read, f4_program, f4_erase_sector, f4_lock_otp_block, f4_set_write_protection, f4_get_write_protection,
};

const csa_flash csa_f4_flash = {&f4_ops, NULL, &csa_flash_stm32f4_1m, 4u};
