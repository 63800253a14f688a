/* The board: what a chip image's main() (pre-bootloader, bootloader, application) gets from its port, and all it gets.
 *
 * One implementation per board, chosen at link time: STM32F405/F407 (port/stm32f4, RM0090 registers), STM32L476
 * (port/stm32l4, RM0351 registers) and QEMU's netduinoplus2 (port/qemu: the F405's USART1 and SysTick registers,
 * flash and unique id through semihosting). The protocol stack asks only for the link write function, the time and
 * the CRC hook (docs/firmware.md, "Porting guide"); the bootloader core asks for a csa_flash; the rest is here. */
#ifndef CSA_BOARD_H_
#define CSA_BOARD_H_

#include <stddef.h>
#include <stdint.h>

#include "csa_boot/flash.h"
#include "csa_boot/map.h"
#include "csa_service/handoff.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Brings the chip up: clock tree and flash wait states, caches, the vector table in SRAM, SysTick at 1 kHz, the CRC
 * unit; interrupts on. Every image calls it first; an image started by another finds the clock tree already set. */
void csa_board_init(void);

/* Milliseconds since csa_board_init, wrapping at 2^32 (SysTick). */
uint32_t csa_board_millis(void);

/* The flash port (csa_boot/flash.h) over this chip's controller, and the product's memory map on it. */
const csa_flash *csa_board_flash(void);
const csa_memory_map *csa_board_map(void);

/* The DBGMCU device id the Device interface reports (0x413 STM32F405/F407, 0x415 STM32L476). */
uint16_t csa_board_mcu_device_id(void);

/* --- The upstream link: a UART at CSA_BOARD_BAUD, 8N1, received by interrupt into a ring --- */

typedef struct csa_board_link_counters {
    uint32_t received;        /* bytes taken into the ring */
    uint32_t ring_overflows;  /* bytes dropped because the main loop had not emptied the ring in time */
    uint32_t overruns;        /* USART ORE: a byte lost before the interrupt ran */
    uint32_t framing_errors;  /* FE / NE: line noise; the byte is kept, the frame CRC decides */
} csa_board_link_counters;

void csa_board_link_open(void);
/* Takes up to `max` received bytes out of the ring; 0 when none are waiting. Main loop only. */
size_t csa_board_link_read(uint8_t *dst, size_t max);
/* The csa_link_write_fn of the upstream link: sends every byte before it returns (polled transmit). */
void csa_board_link_write(void *ctx, const uint8_t *data, size_t n);
/* Returns when the last byte written has left the wire (USART TC): what "the answer went out" means before a reset. */
void csa_board_link_drain(void);
void csa_board_link_counters_get(csa_board_link_counters *out);

/* What the flash driver's SRAM wait loop calls while the controller is busy (an erase, a program): the bootloader's
 * data-link step (docs/firmware.md, "On the chips"), so frames keep being decoded, forwarded and held while code
 * fetch from flash stalls. `fn` and everything it reaches must be in SRAM (CSA_RAMFUNC, CSA_CONFIG_LINK_RAMFUNC) and
 * may start no flash operation; NULL: the wait loop only waits (and refreshes the watchdog). */
typedef void (*csa_board_busy_fn)(void *ctx);
void csa_board_flash_on_busy(csa_board_busy_fn fn, void *ctx);

/* Sleeps until the next interrupt (a received byte, the next SysTick): WFI. */
void csa_board_idle(void);

/* --- Watchdog policy (docs/firmware.md, "On the chips") ---
 * The bootloader starts the independent watchdog only when it stays resident (never on the way to the application:
 * once started it cannot be stopped, and the application did not ask for it) and refreshes it from its main loop and
 * from the flash driver's SRAM wait loop. A system reset stops a software-started IWDG. */
void csa_board_watchdog_start(void);
void csa_board_watchdog_refresh(void);

/* The RAM block a system reset keeps (csa_service/handoff.h): at the same address in every image, never cleared by
 * start-up code; random after a power-on (csa_retained_valid tells). */
csa_retained *csa_board_retained(void);

/* A system reset. The retained block survives it, as SRAM does on the chip. */
__attribute__((noreturn)) void csa_board_reset(void);

/* Starts the image whose vector table is at `address` (a bootloader copy, the application). */
__attribute__((noreturn)) void csa_board_start_image(uint32_t address);

/* Nothing can run (no valid bootloader copy): stops for good after saying why (QEMU: the console, and the emulator
 * exits with status 4; the chips: WFI forever, the watchdog if running resets and the same verdict follows). */
__attribute__((noreturn)) void csa_board_halt(const char *why);

/* A line of diagnostics where the board has a place for it (QEMU: the emulator's console through semihosting;
 * the chips: nowhere, the one UART is the protocol's). */
void csa_board_log(const char *text);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOARD_H_ */
