/* STM32F405/F407 registers used by the port, from RM0090 (Rev 19): addresses and bits by their manual names. Only
 * what the drivers touch; no vendor headers, so the port builds with Debian's toolchain alone. */
#ifndef CSA_STM32F4_H_
#define CSA_STM32F4_H_

#include "csa/cm4.h"

/* RM0090 3.9: embedded flash interface */
#define F4_FLASH_BASE 0x40023C00u
#define F4_FLASH_ACR CSA_REG32(F4_FLASH_BASE + 0x00u)
#define F4_FLASH_KEYR CSA_REG32(F4_FLASH_BASE + 0x04u)
#define F4_FLASH_OPTKEYR CSA_REG32(F4_FLASH_BASE + 0x08u)
#define F4_FLASH_SR CSA_REG32(F4_FLASH_BASE + 0x0Cu)
#define F4_FLASH_CR CSA_REG32(F4_FLASH_BASE + 0x10u)
#define F4_FLASH_OPTCR CSA_REG32(F4_FLASH_BASE + 0x14u)

#define F4_FLASH_KEY1 0x45670123u
#define F4_FLASH_KEY2 0xCDEF89ABu
#define F4_FLASH_OPTKEY1 0x08192A3Bu
#define F4_FLASH_OPTKEY2 0x4C5D6E7Fu

#define F4_ACR_LATENCY_MASK 0xFu
#define F4_ACR_PRFTEN (1u << 8)
#define F4_ACR_ICEN (1u << 9)
#define F4_ACR_DCEN (1u << 10)
#define F4_ACR_ICRST (1u << 11)
#define F4_ACR_DCRST (1u << 12)

#define F4_SR_EOP (1u << 0)
#define F4_SR_OPERR (1u << 1)
#define F4_SR_WRPERR (1u << 4)
#define F4_SR_PGAERR (1u << 5)
#define F4_SR_PGPERR (1u << 6)
#define F4_SR_PGSERR (1u << 7)
#define F4_SR_RDERR (1u << 8) /* F42x/F43x (PCROP); reads as 0 on the F405/F407 */
#define F4_SR_BSY (1u << 16)
#define F4_SR_ERRORS (F4_SR_OPERR | F4_SR_WRPERR | F4_SR_PGAERR | F4_SR_PGPERR | F4_SR_PGSERR | F4_SR_RDERR)

#define F4_CR_PG (1u << 0)
#define F4_CR_SER (1u << 1)
#define F4_CR_MER (1u << 2)
#define F4_CR_SNB_SHIFT 3u
#define F4_CR_SNB_MASK (0x1Fu << 3)
#define F4_CR_PSIZE_X8 (0u << 8)
#define F4_CR_PSIZE_X16 (1u << 8)
#define F4_CR_PSIZE_X32 (2u << 8)
#define F4_CR_PSIZE_MASK (3u << 8)
#define F4_CR_STRT (1u << 16)
#define F4_CR_LOCK (1u << 31)

#define F4_OPTCR_OPTLOCK (1u << 0)
#define F4_OPTCR_OPTSTRT (1u << 1)
#define F4_OPTCR_RDP_SHIFT 8u
#define F4_OPTCR_RDP_MASK (0xFFu << 8)
#define F4_OPTCR_NWRP_SHIFT 16u
#define F4_OPTCR_NWRP_MASK (0xFFFu << 16)
#define F4_RDP_LEVEL0 0xAAu
#define F4_RDP_LEVEL2 0xCCu

/* RM0090 6.3: reset and clock control */
#define F4_RCC_BASE 0x40023800u
#define F4_RCC_CR CSA_REG32(F4_RCC_BASE + 0x00u)
#define F4_RCC_PLLCFGR CSA_REG32(F4_RCC_BASE + 0x04u)
#define F4_RCC_CFGR CSA_REG32(F4_RCC_BASE + 0x08u)
#define F4_RCC_AHB1RSTR CSA_REG32(F4_RCC_BASE + 0x10u)
#define F4_RCC_APB1RSTR CSA_REG32(F4_RCC_BASE + 0x20u)
#define F4_RCC_APB2RSTR CSA_REG32(F4_RCC_BASE + 0x24u)
#define F4_RCC_AHB1ENR CSA_REG32(F4_RCC_BASE + 0x30u)
#define F4_RCC_APB1ENR CSA_REG32(F4_RCC_BASE + 0x40u)
#define F4_RCC_APB2ENR CSA_REG32(F4_RCC_BASE + 0x44u)
#define F4_RCC_CSR CSA_REG32(F4_RCC_BASE + 0x74u)

#define F4_RCC_CR_HSION (1u << 0)
#define F4_RCC_CR_HSIRDY (1u << 1)
#define F4_RCC_CR_PLLON (1u << 24)
#define F4_RCC_CR_PLLRDY (1u << 25)
#define F4_RCC_CFGR_SW_MASK 3u
#define F4_RCC_CFGR_SW_PLL 2u
#define F4_RCC_CFGR_SWS_SHIFT 2u
#define F4_RCC_AHB1ENR_GPIOAEN (1u << 0)
#define F4_RCC_AHB1ENR_CRCEN (1u << 12)
#define F4_RCC_APB1ENR_USART2EN (1u << 17)
#define F4_RCC_APB1ENR_PWREN (1u << 28)
#define F4_RCC_APB2ENR_USART1EN (1u << 4)
#define F4_RCC_APB2RSTR_USART1RST (1u << 4)
#define F4_RCC_APB1RSTR_USART2RST (1u << 17)
#define F4_RCC_CSR_LSION (1u << 0)
#define F4_RCC_CSR_LSIRDY (1u << 1)

/* RM0090 5.4: power control (voltage scale 1 for 168 MHz) */
#define F4_PWR_CR CSA_REG32(0x40007000u)
#define F4_PWR_CR_VOS (1u << 14)

/* RM0090 8.4: GPIO port A */
#define F4_GPIOA_BASE 0x40020000u
#define F4_GPIO_MODER(base) CSA_REG32((base) + 0x00u)
#define F4_GPIO_OSPEEDR(base) CSA_REG32((base) + 0x08u)
#define F4_GPIO_PUPDR(base) CSA_REG32((base) + 0x0Cu)
#define F4_GPIO_AFRL(base) CSA_REG32((base) + 0x20u)
#define F4_GPIO_AFRH(base) CSA_REG32((base) + 0x24u)

/* RM0090 30.6: USART (also QEMU's stm32f2xx-usart model, same layout) */
#define F4_USART1_BASE 0x40011000u
#define F4_USART2_BASE 0x40004400u
#define F4_USART_SR(base) CSA_REG32((base) + 0x00u)
#define F4_USART_DR(base) CSA_REG32((base) + 0x04u)
#define F4_USART_BRR(base) CSA_REG32((base) + 0x08u)
#define F4_USART_CR1(base) CSA_REG32((base) + 0x0Cu)
#define F4_USART_CR2(base) CSA_REG32((base) + 0x10u)
#define F4_USART_CR3(base) CSA_REG32((base) + 0x14u)
#define F4_USART_SR_FE (1u << 1)
#define F4_USART_SR_NF (1u << 2)
#define F4_USART_SR_ORE (1u << 3)
#define F4_USART_SR_RXNE (1u << 5)
#define F4_USART_SR_TC (1u << 6)
#define F4_USART_SR_TXE (1u << 7)
#define F4_USART_CR1_RE (1u << 2)
#define F4_USART_CR1_TE (1u << 3)
#define F4_USART_CR1_RXNEIE (1u << 5)
#define F4_USART_CR1_UE (1u << 13)
#define F4_USART1_IRQ 37u
#define F4_USART2_IRQ 38u

/* RM0090 4.4: CRC calculation unit (CRC-32/MPEG-2 on 32-bit words, no INIT register) */
#define F4_CRC_DR CSA_REG32(0x40023000u)
#define F4_CRC_CR CSA_REG32(0x40023008u)
#define F4_CRC_CR_RESET (1u << 0)

/* RM0090 19.4: independent watchdog (LSI, about 32 kHz) */
#define F4_IWDG_KR CSA_REG32(0x40003000u)
#define F4_IWDG_PR CSA_REG32(0x40003004u)
#define F4_IWDG_RLR CSA_REG32(0x40003008u)
#define F4_IWDG_SR CSA_REG32(0x4000300Cu)

/* RM0090 38.6.1: MCU device id; 39.1: unique device id and flash size */
#define F4_DBGMCU_IDCODE CSA_REG32(0xE0042000u)
#define F4_UID_ADDRESS 0x1FFF7A10u
#define F4_FLASH_SIZE_ADDRESS 0x1FFF7A22u

#define F4_IRQ_COUNT 82u /* position 0..81 (FPU) on the F405/F407 */

#endif /* CSA_STM32F4_H_ */
