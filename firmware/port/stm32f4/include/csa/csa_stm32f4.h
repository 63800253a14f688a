/* The STM32F405/F407 port's drivers (RM0090), for board files and for a customer's own board. */
#ifndef CSA_STM32F4_PORT_H_
#define CSA_STM32F4_PORT_H_

#include <stddef.h>
#include <stdint.h>

#include "csa/csa_board.h"
#include "csa_boot/flash.h"

/* The flash controller behind the bootloader core's flash port (csa_boot/flash.h): x32 word programming (PSIZE,
 * 2.7-3.6 V), sector erase, OTP blocks and their lock bytes, the nWRP option bits. The wait loops run from SRAM. */
extern const csa_flash csa_f4_flash;

/* The clock tree: HSI 16 MHz -> PLL (M 16, N 336, P 2, Q 7) -> 168 MHz SYSCLK, AHB 168, APB1 42, APB2 84 MHz;
 * voltage scale 1; 5 flash wait states with prefetch and both caches (RM0090 Table 10, 2.7-3.6 V). Returns the
 * SYSCLK it runs at: 16 MHz when the PLL did not lock within its bound (the chip then stays on HSI). */
uint32_t csa_f4_clock_init(void);
extern uint32_t csa_f4_apb1_hz, csa_f4_apb2_hz;

/* A USART (F4 register layout: SR, DR, BRR, CR1..): 8N1, receive interrupt into a ring in SRAM; its clock and pins
 * are the board's. `irq` is its NVIC position; `pclk_hz` the clock of its bus. The same driver serves QEMU's
 * stm32f2xx-usart model. */
void csa_f4_usart_open(uint32_t base, unsigned irq, uint32_t pclk_hz, uint32_t baud);
size_t csa_f4_usart_read(uint8_t *dst, size_t max);
void csa_f4_usart_write(const uint8_t *data, size_t n);
void csa_f4_usart_drain(void);
void csa_f4_usart_counters(csa_board_link_counters *out);
/* The receive interrupt's body: the board's USARTn_IRQHandler calls it (CSA_RAMFUNC: runs during flash waits). */
void csa_f4_usart_irq(void);

/* The CRC unit (RM0090 4): CRC-32/MPEG-2 over 32-bit words; enables its clock. */
void csa_f4_crc_init(void);

/* The independent watchdog: LSI (32 kHz nominal, 17-47 kHz over the datasheet's spread) / 64, reload 4095: 8.2 s
 * nominal, at least 5.6 s, over the 4 s worst-case 128 KB erase even if nothing refreshed it during the erase. */
void csa_f4_iwdg_start(void);
void csa_f4_iwdg_refresh(void);

#endif /* CSA_STM32F4_PORT_H_ */
