/* The QEMU netduinoplus2 board (csa_board.h; csa_qemu.h says what QEMU 7.2 models): the F4 1 MB memory map, the
 * upstream link on USART1 (QEMU's first -serial), SysTick at 1 kHz from the 168 MHz clock QEMU gives the SoC, flash
 * and unique id through semihosting, the CRC in software (no CRC unit), a reset that leaves QEMU (-no-reboot) after
 * saving the retained SRAM block for the harness's restart, diagnostics on the emulator's console. */
#include "csa/csa_board.h"
#include "csa/csa_crc32.h"
#include "csa/csa_qemu.h"
#include "csa/csa_semihost.h"
#include "csa/csa_startup.h"
#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

#define QEMU_SYSCLK_HZ 168000000u /* the SoC clock QEMU's stm32f405 model drives SysTick with */
#define QEMU_BAUD 115200u         /* QEMU ignores BRR; the value is what a chip would get */

static volatile uint32_t millis;

void SysTick_Handler(void)
{
    millis++;
}

void USART1_IRQHandler(void)
{
    csa_f4_usart_irq();
}

/* What the previous run's reset kept (retained.bin), back in SRAM; then the file goes, so that a later power cut
 * (the harness killing QEMU) finds nothing and the block reads as lost. */
static void restore_retained(void)
{
    int fd = csa_sh_open("retained.bin", CSA_SH_OPEN_RB);
    if (fd < 0)
        return;
    if (csa_sh_read(fd, csa_board_retained(), sizeof(csa_retained)) != 0)
        csa_retained_clear(csa_board_retained());
    (void)csa_sh_close(fd);
    (void)csa_sh_remove("retained.bin");
}

void csa_board_init(void)
{
    /* No clock tree to set: QEMU's RCC is not modelled (its ready bits never come). */
    restore_retained();
    CSA_SYST_RVR = QEMU_SYSCLK_HZ / 1000u - 1u;
    CSA_SYST_CVR = 0;
    CSA_SYST_CSR = CSA_SYST_CSR_CLKSOURCE | CSA_SYST_CSR_TICKINT | CSA_SYST_CSR_ENABLE;
    csa_irq_enable();
}

CSA_LINK_RAMFUNC uint32_t csa_board_millis(void)
{
    return millis;
}

const csa_flash *csa_board_flash(void)
{
    return &csa_qemu_flash;
}

const csa_memory_map *csa_board_map(void)
{
    return &csa_map_stm32f4_1m;
}

uint16_t csa_board_mcu_device_id(void)
{
    return 0x413u; /* DBGMCU is not modelled; the F405's id */
}

void csa_board_link_open(void)
{
    csa_f4_usart_open(F4_USART1_BASE, F4_USART1_IRQ, QEMU_SYSCLK_HZ / 2u, QEMU_BAUD);
    /* QEMU drops what reaches USART1 before UE is set: this line tells a harness that the host may speak now. */
    csa_board_log("csa qemu: link open");
}

CSA_LINK_RAMFUNC size_t csa_board_link_read(uint8_t *dst, size_t max)
{
    return csa_f4_usart_read(dst, max);
}

CSA_LINK_RAMFUNC void csa_board_link_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    csa_f4_usart_write(data, n);
}

void csa_board_link_drain(void)
{
    csa_f4_usart_drain();
}

void csa_board_link_counters_get(csa_board_link_counters *out)
{
    csa_f4_usart_counters(out);
}

void csa_board_idle(void)
{
    /* WFI, not a busy loop: QEMU delivers timer and character events while the vCPU sleeps; a loop polling device
       registers starves them (measured: SysTick ran about 3x slow under a polling loop). */
    csa_wfi();
}

void csa_board_watchdog_start(void)
{
    /* The IWDG is not modelled. */
}

void csa_board_watchdog_refresh(void)
{
}

__attribute__((noreturn)) void csa_board_reset(void)
{
    int fd = csa_sh_open("retained.bin", CSA_SH_OPEN_WB);
    if (fd >= 0) {
        (void)csa_sh_write(fd, csa_board_retained(), sizeof(csa_retained));
        (void)csa_sh_close(fd);
    }
    csa_cm4_system_reset(); /* with -no-reboot QEMU exits with status 0 here */
}

__attribute__((noreturn)) void csa_board_start_image(uint32_t address)
{
    csa_irq_disable();
    F4_USART_CR1(F4_USART1_BASE) = 0; /* no RCC reset in QEMU: switch the USART off by hand */
    csa_cm4_start_image(address);
}

void csa_board_log(const char *text)
{
    csa_sh_write0(text);
    csa_sh_write0("\n");
}

__attribute__((noreturn)) void csa_board_halt(const char *why)
{
    csa_board_log(why);
    csa_sh_exit(4u);
}

__attribute__((noreturn)) void csa_board_fault(uint32_t ipsr)
{
    static const char digits[] = "0123456789";
    char text[] = "csa qemu: fault, exception 000";
    text[27] = digits[(ipsr / 100u) % 10u];
    text[28] = digits[(ipsr / 10u) % 10u];
    text[29] = digits[ipsr % 10u];
    csa_board_log(text);
    csa_sh_exit(3u);
}

/* No CRC unit in QEMU: the core's software CRC. */
CSA_LINK_RAMFUNC uint32_t csa_port_crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
    return csa_crc32_update_sw(crc, data, len);
}
