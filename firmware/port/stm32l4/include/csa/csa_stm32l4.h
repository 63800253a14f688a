/* The STM32L476 port's drivers (RM0351), for board files and for a customer's own board. */
#ifndef CSA_STM32L4_PORT_H_
#define CSA_STM32L4_PORT_H_

#include <stddef.h>
#include <stdint.h>

#include "csa/csa_board.h"
#include "csa_boot/flash.h"

/* The flash controller behind the bootloader core's flash port: 64-bit double-word programming (PROGERR over a
 * non-erased double word unless the new value is all zeros), 2 KB page erase in either bank, the OTP area (written
 * once per double word), the WRP areas (two page ranges per bank), ECC double errors reported as CSA_FLASH_ERR_ECC
 * (the NMI they raise is taken by this driver). */
extern const csa_flash csa_l4_flash;

/* MSI 4 MHz -> PLL (M 1, N 40, R 2) -> 80 MHz SYSCLK, AHB/APB1/APB2 80 MHz; voltage range 1 (the reset value);
 * 4 wait states with prefetch and both caches (RM0351 Table 11). Returns the SYSCLK: 4 MHz (MSI) when the PLL did
 * not lock within its bound. */
uint32_t csa_l4_clock_init(void);
extern uint32_t csa_l4_pclk_hz;

/* A USART with the L4 register layout: 8N1, receive interrupt into a ring in SRAM (see port/stm32f4's driver for
 * the sizing rule, CSA_BOARD_RX_RING). */
void csa_l4_usart_open(uint32_t base, unsigned irq, uint32_t pclk_hz, uint32_t baud);
size_t csa_l4_usart_read(uint8_t *dst, size_t max);
void csa_l4_usart_write(const uint8_t *data, size_t n);
void csa_l4_usart_drain(void);
void csa_l4_usart_counters(csa_board_link_counters *out);
void csa_l4_usart_irq(void);

void csa_l4_crc_init(void);
void csa_l4_iwdg_start(void);
void csa_l4_iwdg_refresh(void);

#endif /* CSA_STM32L4_PORT_H_ */
