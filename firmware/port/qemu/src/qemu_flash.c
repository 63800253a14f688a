/* The STM32F4 flash of the QEMU board, in host files through semihosting (csa_qemu.h), with the controller's rules:
 * x32 word programming that can only clear bits (the cells AND, as RM0090 describes and the flash model's default
 * AndLikeSilicon policy does), sector erase to 0xFF, OTP blocks locked by their lock byte, write protection from
 * the nWRP option bits, the unique id and the flash size register read-only. Every check runs before the file is
 * touched, so a refused operation writes nothing.
 *
 * Operations run in chunks of 256 bytes with the time of each chunk slept after it: a harness that kills QEMU in
 * the middle leaves the operation as far as it got (a partly erased sector, the first words of a program), which is
 * what a power cut leaves on the chip (device-model.md 1.5: ErasedPrefix, units before the cut). */
#include <string.h>

#include "csa/csa_board.h"
#include "csa/csa_qemu.h"
#include "csa/csa_semihost.h"

#define CHUNK 256u
#define OTP_DATA_SIZE 512u
#define LOCK_OFFSET 0x200u
#define UID_OFFSET 0x210u
#define SIZE_REG_OFFSET 0x222u

static const csa_flash_geometry *const geometry = &csa_flash_stm32f4_1m;
static int flash_fd = -1, sysmem_fd = -1;
static uint16_t nwrp = 0x0FFFu;
#if CSA_QEMU_FLASH_TIMING
static uint32_t carry_us;
#endif

static __attribute__((noreturn)) void missing(const char *what)
{
    csa_board_log(what);
    csa_sh_exit(2u);
}

static void open_files(void)
{
    int fd;
    if (flash_fd >= 0)
        return;
    flash_fd = csa_sh_open("flash.bin", CSA_SH_OPEN_RPLUSB);
    if (flash_fd < 0 || csa_sh_flen(flash_fd) != (int32_t)geometry->size)
        missing("qemu flash: flash.bin (1048576 bytes) missing in the working directory");
    sysmem_fd = csa_sh_open("sysmem.bin", CSA_SH_OPEN_RPLUSB);
    if (sysmem_fd < 0 || csa_sh_flen(sysmem_fd) != (int32_t)CSA_QEMU_SYSMEM_SIZE)
        missing("qemu flash: sysmem.bin (548 bytes) missing in the working directory");
    fd = csa_sh_open("optbytes.bin", CSA_SH_OPEN_RB);
    if (fd >= 0) {
        uint8_t ob[16];
        if (csa_sh_read(fd, ob, sizeof ob) == 0)
            nwrp = (uint16_t)((ob[8] | ob[9] << 8) & 0x0FFFu);
        (void)csa_sh_close(fd);
    }
}

static csa_board_busy_fn busy_fn;
static void *busy_ctx;

void csa_board_flash_on_busy(csa_board_busy_fn fn, void *ctx)
{
    busy_fn = fn;
    busy_ctx = ctx;
}

/* The flash's busy time, slept: SysTick keeps the clock and the UART interrupt the ring going meanwhile, and the
 * bootloader's data-link step runs as it does in the chips' wait loops (QEMU does not stall code fetch, so this
 * board shows what the step does, not that it runs from SRAM: the chips' images are checked for that). */
static void charge_us(uint32_t us)
{
#if CSA_QEMU_FLASH_TIMING
    uint32_t start, ms;
    carry_us += us;
    ms = carry_us / 1000u;
    carry_us %= 1000u;
    start = csa_board_millis();
    while (csa_board_millis() - start < ms) {
        if (busy_fn != 0)
            busy_fn(busy_ctx);
        csa_board_idle();
    }
#else
    (void)us;
#endif
}

static int in_range(uint32_t address, uint32_t len, uint32_t start, uint32_t size)
{
    return address >= start && len <= size && address - start <= size - len;
}

/* The file and offset behind an address range, or -1. */
static int locate(uint32_t address, uint32_t len, int *fd, uint32_t *offset)
{
    open_files();
    if (in_range(address, len, geometry->base, geometry->size)) {
        *fd = flash_fd;
        *offset = address - geometry->base;
        return 0;
    }
    if (in_range(address, len, CSA_QEMU_SYSMEM_BASE, SIZE_REG_OFFSET + 2u)) {
        *fd = sysmem_fd;
        *offset = address - CSA_QEMU_SYSMEM_BASE;
        return 0;
    }
    return -1;
}

static csa_flash_status file_read(int fd, uint32_t offset, void *dst, uint32_t len)
{
    if (csa_sh_seek(fd, offset) != 0 || csa_sh_read(fd, dst, len) != 0)
        missing("qemu flash: a host file read failed");
    return CSA_FLASH_OK;
}

static void file_write(int fd, uint32_t offset, const void *src, uint32_t len)
{
    if (csa_sh_seek(fd, offset) != 0 || csa_sh_write(fd, src, len) != 0)
        missing("qemu flash: a host file write failed");
}

static csa_flash_status q_read(void *ctx, uint32_t address, void *dst, uint32_t len)
{
    int fd;
    uint32_t offset;
    (void)ctx;
    if (len == 0)
        return CSA_FLASH_OK;
    if (locate(address, len, &fd, &offset) != 0)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    return file_read(fd, offset, dst, len);
}

static csa_flash_status q_program(void *ctx, uint32_t address, const void *src, uint32_t len)
{
    const uint8_t *in = (const uint8_t *)src;
    uint8_t cells[CHUNK];
    int fd;
    uint32_t offset, done;
    (void)ctx;
    if (len == 0)
        return CSA_FLASH_ERR_SEQUENCE;
    if (locate(address, len, &fd, &offset) != 0)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (fd == flash_fd) {
        int32_t s, last = csa_flash_sector_at(geometry, address + len - 1u);
        for (s = csa_flash_sector_at(geometry, address); s <= last; s++)
            if (!(nwrp & (1u << s)))
                return CSA_FLASH_ERR_WRITE_PROTECTED;
    } else if (offset + len > LOCK_OFFSET) {
        return offset >= UID_OFFSET ? CSA_FLASH_ERR_READ_ONLY : CSA_FLASH_ERR_OUT_OF_RANGE; /* locks: lock_otp_block */
    } else {
        uint32_t b;
        uint8_t lock[16];
        (void)file_read(sysmem_fd, LOCK_OFFSET, lock, sizeof lock);
        for (b = offset / 32u; b <= (offset + len - 1u) / 32u; b++)
            if (lock[b] == 0x00u)
                return CSA_FLASH_ERR_OTP_LOCKED;
    }
    if (address % 4u != 0)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (len % 4u != 0)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    for (done = 0; done < len;) {
        uint32_t n = len - done < CHUNK ? len - done : CHUNK, i;
        (void)file_read(fd, offset + done, cells, n);
        for (i = 0; i < n; i++)
            cells[i] &= in[done + i]; /* programming only clears bits */
        file_write(fd, offset + done, cells, n);
        done += n;
        charge_us(16u * (n / 4u)); /* 16 us per word, typical (DS8626) */
    }
    return CSA_FLASH_OK;
}

static csa_flash_status q_erase_sector(void *ctx, uint16_t sector)
{
    uint8_t blank[CHUNK];
    csa_flash_sector s;
    uint32_t done, ms;
    (void)ctx;
    open_files();
    if (csa_flash_sector_info(geometry, sector, &s) != 0)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (!(nwrp & (1u << sector)))
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    ms = s.size == 16384u ? 250u : s.size == 65536u ? 550u : 1000u; /* typical, DS8626 */
    memset(blank, 0xFF, sizeof blank);
    for (done = 0; done < s.size; done += CHUNK) {
        file_write(flash_fd, s.address - geometry->base + done, blank, CHUNK);
        /* A sector is whole chunks: its time per chunk in 32 bits (a 64-bit division would pull 750 bytes of
         * libgcc into a bootloader copy that has to fit 32 KB). */
        charge_us(ms * 1000u / (s.size / CHUNK));
    }
    return CSA_FLASH_OK;
}

static csa_flash_status q_lock_otp_block(void *ctx, uint8_t block)
{
    uint8_t zero = 0x00u;
    (void)ctx;
    if (block >= CSA_FLASH_OTP_BLOCKS)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    open_files();
    file_write(sysmem_fd, LOCK_OFFSET + block, &zero, 1u);
    return CSA_FLASH_OK;
}

static csa_flash_status q_get_write_protection(void *ctx, uint8_t *bitmap)
{
    uint16_t wrp;
    (void)ctx;
    open_files();
    wrp = (uint16_t)(~nwrp & 0x0FFFu);
    bitmap[0] = (uint8_t)wrp;
    bitmap[1] = (uint8_t)(wrp >> 8);
    return CSA_FLASH_OK;
}

/* The option bytes are the board's RAM copy plus the file, so a restart keeps them. */
static csa_flash_status q_set_write_protection(void *ctx, const uint8_t *bitmap)
{
    uint8_t ob[16];
    uint32_t want = (uint32_t)bitmap[0] | (uint32_t)bitmap[1] << 8;
    int fd;
    (void)ctx;
    if (want & ~0xFFFu)
        return CSA_FLASH_ERR_INVALID_OPTION;
    open_files();
    memset(ob, 0xFF, sizeof ob);
    nwrp = (uint16_t)(~want & 0x0FFFu);
    ob[8] = (uint8_t)nwrp;
    ob[9] = (uint8_t)(nwrp >> 8);
    fd = csa_sh_open("optbytes.bin", CSA_SH_OPEN_WB);
    if (fd < 0)
        missing("qemu flash: optbytes.bin cannot be written");
    file_write(fd, 0, ob, sizeof ob);
    (void)csa_sh_close(fd);
    return CSA_FLASH_OK;
}

static const csa_flash_ops qemu_ops = {
    q_read, q_program, q_erase_sector, q_lock_otp_block, q_set_write_protection, q_get_write_protection,
};

const csa_flash csa_qemu_flash = {&qemu_ops, NULL, &csa_flash_stm32f4_1m, 4u};
