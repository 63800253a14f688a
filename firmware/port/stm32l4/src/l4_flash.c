/* The STM32L476 flash controller (RM0351 section 3) behind the bootloader core's flash port.
 *
 * The rules the controller enforces are checked before it is touched, so a refused operation writes nothing:
 * alignment and size of double words, write protection (WRP areas), and PROGERR: a double word that is not erased
 * takes only all zeros (RM0351 3.3.7), an OTP double word nothing once written. The controller's flags are still
 * read after every access. The busy waits run from SRAM: erasing a page of the bank the code runs from stalls its
 * fetches (the other bank keeps running, read-while-write).
 *
 * ECC: a double-word read whose ECC detects two errors (a program or erase cut by a power failure) raises an NMI
 * with FLASH_ECCR.ECCD (RM0351 3.3.8). This driver's NMI handler notes it, and a read that saw it answers
 * CSA_FLASH_ERR_ECC, which is how the bootloader core expects a torn double word to look. */
#include <string.h>

#include "csa/csa_startup.h"
#include "csa/csa_stm32l4.h"
#include "csa/stm32l4.h"

static const csa_flash_geometry *const geometry = &csa_flash_stm32l4_1m;
static volatile uint32_t ecc_errors;

void NMI_Handler(void)
{
    if (L4_FLASH_ECCR & L4_ECCR_ECCD) {
        L4_FLASH_ECCR |= L4_ECCR_ECCD; /* write 1 to clear */
        ecc_errors++;
        return;
    }
    csa_cm4_system_reset(); /* another NMI source (the clock security system): nothing sensible to continue with */
}

/* csa_board_flash_on_busy: the bootloader's data-link step, called from the wait loop (in SRAM, as it is). */
static csa_board_busy_fn busy_fn;
static void *busy_ctx;

void csa_board_flash_on_busy(csa_board_busy_fn fn, void *ctx)
{
    busy_fn = fn;
    busy_ctx = ctx;
}

CSA_RAMFUNC static uint32_t wait_ready(void)
{
    while (L4_FLASH_SR & L4_SR_BSY) {
        L4_IWDG_KR = 0xAAAAu;
        if (busy_fn != 0)
            busy_fn(busy_ctx); /* the link keeps running: an erase of the bank this code runs from stalls it */
    }
    return L4_FLASH_SR;
}

CSA_RAMFUNC static void reset_caches(void)
{
    uint32_t acr = L4_FLASH_ACR;
    L4_FLASH_ACR = acr & ~(L4_ACR_ICEN | L4_ACR_DCEN);
    L4_FLASH_ACR = (acr & ~(L4_ACR_ICEN | L4_ACR_DCEN)) | L4_ACR_ICRST | L4_ACR_DCRST;
    L4_FLASH_ACR = acr & ~(L4_ACR_ICRST | L4_ACR_DCRST);
}

CSA_RAMFUNC static uint32_t erase_ram(uint32_t cr)
{
    uint32_t sr;
    L4_FLASH_CR = cr;
    L4_FLASH_CR = cr | L4_CR_STRT;
    sr = wait_ready();
    L4_FLASH_CR = 0;
    reset_caches();
    return sr;
}

/* RM0351 3.3.7: PG set, then the two words of each double word written in order, the first at the lower address. */
CSA_RAMFUNC static uint32_t program_ram(uint32_t address, const uint8_t *src, uint32_t double_words)
{
    uint32_t sr = 0, i;
    L4_FLASH_CR = L4_CR_PG;
    for (i = 0; i < double_words; i++, src += 8, address += 8u) {
        uint32_t lo = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
        uint32_t hi = (uint32_t)src[4] | (uint32_t)src[5] << 8 | (uint32_t)src[6] << 16 | (uint32_t)src[7] << 24;
        *(volatile uint32_t *)(uintptr_t)address = lo;
        *(volatile uint32_t *)(uintptr_t)(address + 4u) = hi;
        sr = wait_ready();
        if (sr & L4_SR_ERRORS)
            break;
    }
    L4_FLASH_CR = 0;
    reset_caches();
    return sr;
}

CSA_RAMFUNC static uint32_t option_start_ram(void)
{
    L4_FLASH_CR |= L4_CR_OPTSTRT;
    return wait_ready();
}

static csa_flash_status status_of(uint32_t sr)
{
    if (sr & L4_SR_WRPERR)
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    if (sr & L4_SR_PGAERR)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (sr & L4_SR_SIZERR)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    if (sr & L4_SR_PROGERR)
        return CSA_FLASH_ERR_NOT_ERASED;
    if (sr & L4_SR_RDERR)
        return CSA_FLASH_ERR_READ_PROTECTED;
    if (sr & L4_SR_OPTVERR)
        return CSA_FLASH_ERR_INVALID_OPTION;
    if (sr & (L4_SR_PGSERR | L4_SR_MISERR | L4_SR_FASTERR | L4_SR_OPERR))
        return CSA_FLASH_ERR_SEQUENCE;
    return CSA_FLASH_OK;
}

static csa_flash_status begin(void)
{
    (void)wait_ready();
    if (L4_FLASH_CR & L4_CR_LOCK) {
        L4_FLASH_KEYR = L4_FLASH_KEY1;
        L4_FLASH_KEYR = L4_FLASH_KEY2;
        if (L4_FLASH_CR & L4_CR_LOCK)
            return CSA_FLASH_ERR_SEQUENCE;
    }
    L4_FLASH_SR = L4_SR_ERRORS | L4_SR_EOP; /* a stale flag fails the next operation with PGSERR */
    return CSA_FLASH_OK;
}

static void end(void)
{
    L4_FLASH_CR = L4_CR_LOCK;
}

static int in_range(uint32_t address, uint32_t len, uint32_t start, uint32_t size)
{
    return address >= start && len <= size && address - start <= size - len;
}

/* One WRP area register: pages STRT..END of its bank are protected when STRT <= END (RM0351 3.5.2). */
static int area_covers(uint32_t reg, uint32_t page_in_bank)
{
    uint32_t start = reg & 0xFFu, stop = (reg >> 16) & 0xFFu;
    return start <= stop && page_in_bank >= start && page_in_bank <= stop;
}

static int page_protected(uint32_t page)
{
    uint32_t in_bank = page % L4_BANK_PAGES;
    if (page < L4_BANK_PAGES)
        return area_covers(L4_FLASH_WRP1AR, in_bank) || area_covers(L4_FLASH_WRP1BR, in_bank);
    return area_covers(L4_FLASH_WRP2AR, in_bank) || area_covers(L4_FLASH_WRP2BR, in_bank);
}

static csa_flash_status l4_read(void *ctx, uint32_t address, void *dst, uint32_t len)
{
    uint32_t before;
    (void)ctx;
    if (!in_range(address, len, geometry->base, geometry->size)
        && !in_range(address, len, geometry->otp_address, geometry->otp_size)
        && !in_range(address, len, geometry->uid_address, CSA_FLASH_UID_SIZE)
        && !in_range(address, len, geometry->flash_size_register, 2u))
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    before = ecc_errors;
    memcpy(dst, (const void *)(uintptr_t)address, len);
    csa_dsb();
    return ecc_errors != before ? CSA_FLASH_ERR_ECC : CSA_FLASH_OK;
}

/* 1 when every double word of [address, address + len) may be programmed with `src` (PROGERR's rule). */
static int programmable(uint32_t address, const uint8_t *src, uint32_t len, int otp)
{
    uint32_t i, j;
    for (i = 0; i < len; i += 8u) {
        uint8_t cells[8];
        int erased = 1, zeros = 1;
        if (l4_read(NULL, address + i, cells, 8u) != CSA_FLASH_OK)
            erased = 0; /* an ECC-broken double word is not erased; it still takes all zeros */
        for (j = 0; j < 8u; j++) {
            erased &= cells[j] == 0xFFu;
            zeros &= src[i + j] == 0x00u;
        }
        if (!erased && (otp || !zeros))
            return 0;
    }
    return 1;
}

static csa_flash_status l4_program(void *ctx, uint32_t address, const void *src, uint32_t len)
{
    int otp;
    csa_flash_status st;
    uint32_t sr;
    (void)ctx;
    if (len == 0)
        return CSA_FLASH_ERR_SEQUENCE;
    if (in_range(address, len, geometry->base, geometry->size)) {
        uint32_t p;
        otp = 0;
        for (p = (address - geometry->base) / L4_PAGE_SIZE; p <= (address + len - 1u - geometry->base) / L4_PAGE_SIZE; p++)
            if (page_protected(p))
                return CSA_FLASH_ERR_WRITE_PROTECTED;
    } else if (in_range(address, len, geometry->otp_address, geometry->otp_size)) {
        otp = 1;
    } else if (in_range(address, len, geometry->uid_address, CSA_FLASH_UID_SIZE)
               || in_range(address, len, geometry->flash_size_register, 2u)) {
        return CSA_FLASH_ERR_READ_ONLY;
    } else {
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    }
    if (address % 8u != 0)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (len % 8u != 0)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    if (!programmable(address, (const uint8_t *)src, len, otp))
        return CSA_FLASH_ERR_NOT_ERASED;
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    sr = program_ram(address, (const uint8_t *)src, len / 8u);
    end();
    return status_of(sr);
}

static csa_flash_status l4_erase_sector(void *ctx, uint16_t page)
{
    csa_flash_status st;
    uint32_t sr, cr;
    (void)ctx;
    if (page >= geometry->sector_count)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (page_protected(page))
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    cr = L4_CR_PER | ((uint32_t)(page % L4_BANK_PAGES) << L4_CR_PNB_SHIFT) | (page >= L4_BANK_PAGES ? L4_CR_BKER : 0u);
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    sr = erase_ram(cr);
    end();
    return status_of(sr);
}

static csa_flash_status l4_get_write_protection(void *ctx, uint8_t *bitmap)
{
    uint32_t p;
    (void)ctx;
    memset(bitmap, 0, geometry->sector_count / 8u);
    for (p = 0; p < geometry->sector_count; p++)
        if (page_protected(p))
            bitmap[p / 8u] |= (uint8_t)(1u << (p % 8u));
    return CSA_FLASH_OK;
}

/* Turns a bank's bits of the bitmap into at most two page ranges (the bank's WRP areas A and B); -1 when it needs
 * more. An unused area is written STRT 0xFF > END 0x00. */
static int bank_areas(const uint8_t *bitmap, uint32_t bank, uint32_t areas[2])
{
    uint32_t p, n = 0;
    areas[0] = areas[1] = 0x000000FFu;
    for (p = 0; p < L4_BANK_PAGES; p++) {
        uint32_t page = bank * L4_BANK_PAGES + p, start;
        if (!(bitmap[page / 8u] & (1u << (page % 8u))))
            continue;
        start = p;
        while (p + 1u < L4_BANK_PAGES
               && (bitmap[(page + 1u) / 8u] & (1u << ((page + 1u) % 8u)))) {
            p++;
            page++;
        }
        if (n == 2u)
            return -1;
        areas[n++] = start | (p << 16);
    }
    return 0;
}

/* RM0351 3.4.2: the WRP option bytes are programmed with OPTSTRT and loaded at the next reset (or OBL_LAUNCH, which
 * itself resets the chip): this driver leaves the launch to the next reset, so the protection applies from then. */
static csa_flash_status l4_set_write_protection(void *ctx, const uint8_t *bitmap)
{
    uint32_t bank1[2], bank2[2], sr;
    csa_flash_status st;
    (void)ctx;
    if (bank_areas(bitmap, 0, bank1) != 0 || bank_areas(bitmap, 1, bank2) != 0)
        return CSA_FLASH_ERR_INVALID_OPTION;
    if ((L4_FLASH_OPTR & L4_OPTR_RDP_MASK) == L4_RDP_LEVEL2)
        return CSA_FLASH_ERR_OPTION_LOCKED;
    st = begin();
    if (st != CSA_FLASH_OK)
        return st;
    if (L4_FLASH_CR & L4_CR_OPTLOCK) {
        L4_FLASH_OPTKEYR = L4_FLASH_OPTKEY1;
        L4_FLASH_OPTKEYR = L4_FLASH_OPTKEY2;
        if (L4_FLASH_CR & L4_CR_OPTLOCK) {
            end();
            return CSA_FLASH_ERR_OPTION_LOCKED;
        }
    }
    L4_FLASH_WRP1AR = (L4_FLASH_WRP1AR & ~0x00FF00FFu) | bank1[0];
    L4_FLASH_WRP1BR = (L4_FLASH_WRP1BR & ~0x00FF00FFu) | bank1[1];
    L4_FLASH_WRP2AR = (L4_FLASH_WRP2AR & ~0x00FF00FFu) | bank2[0];
    L4_FLASH_WRP2BR = (L4_FLASH_WRP2BR & ~0x00FF00FFu) | bank2[1];
    sr = option_start_ram();
    L4_FLASH_CR = L4_CR_OPTLOCK | L4_CR_LOCK;
    return status_of(sr);
}

static const csa_flash_ops l4_ops = {
    l4_read, l4_program, l4_erase_sector, NULL, l4_set_write_protection, l4_get_write_protection,
};

const csa_flash csa_l4_flash = {&l4_ops, NULL, &csa_flash_stm32l4_1m, 8u};
