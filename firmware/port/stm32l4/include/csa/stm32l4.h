/* STM32L476 registers used by the port, from RM0351 (Rev 9): addresses and bits by their manual names. */
#ifndef CSA_STM32L4_H_
#define CSA_STM32L4_H_

#include "csa/cm4.h"

/* RM0351 3.7: flash */
#define L4_FLASH_BASE 0x40022000u
#define L4_FLASH_ACR CSA_REG32(L4_FLASH_BASE + 0x00u)
#define L4_FLASH_KEYR CSA_REG32(L4_FLASH_BASE + 0x08u)
#define L4_FLASH_OPTKEYR CSA_REG32(L4_FLASH_BASE + 0x0Cu)
#define L4_FLASH_SR CSA_REG32(L4_FLASH_BASE + 0x10u)
#define L4_FLASH_CR CSA_REG32(L4_FLASH_BASE + 0x14u)
#define L4_FLASH_ECCR CSA_REG32(L4_FLASH_BASE + 0x18u)
#define L4_FLASH_OPTR CSA_REG32(L4_FLASH_BASE + 0x20u)
#define L4_FLASH_WRP1AR CSA_REG32(L4_FLASH_BASE + 0x2Cu)
#define L4_FLASH_WRP1BR CSA_REG32(L4_FLASH_BASE + 0x30u)
#define L4_FLASH_WRP2AR CSA_REG32(L4_FLASH_BASE + 0x4Cu)
#define L4_FLASH_WRP2BR CSA_REG32(L4_FLASH_BASE + 0x50u)

#define L4_FLASH_KEY1 0x45670123u
#define L4_FLASH_KEY2 0xCDEF89ABu
#define L4_FLASH_OPTKEY1 0x08192A3Bu
#define L4_FLASH_OPTKEY2 0x4C5D6E7Fu

#define L4_ACR_LATENCY_MASK 0x7u
#define L4_ACR_PRFTEN (1u << 8)
#define L4_ACR_ICEN (1u << 9)
#define L4_ACR_DCEN (1u << 10)
#define L4_ACR_ICRST (1u << 11)
#define L4_ACR_DCRST (1u << 12)

#define L4_SR_EOP (1u << 0)
#define L4_SR_OPERR (1u << 1)
#define L4_SR_PROGERR (1u << 3)
#define L4_SR_WRPERR (1u << 4)
#define L4_SR_PGAERR (1u << 5)
#define L4_SR_SIZERR (1u << 6)
#define L4_SR_PGSERR (1u << 7)
#define L4_SR_MISERR (1u << 8)
#define L4_SR_FASTERR (1u << 9)
#define L4_SR_RDERR (1u << 14)
#define L4_SR_OPTVERR (1u << 15)
#define L4_SR_BSY (1u << 16)
#define L4_SR_ERRORS (L4_SR_OPERR | L4_SR_PROGERR | L4_SR_WRPERR | L4_SR_PGAERR | L4_SR_SIZERR | L4_SR_PGSERR \
                      | L4_SR_MISERR | L4_SR_FASTERR | L4_SR_RDERR | L4_SR_OPTVERR)

#define L4_CR_PG (1u << 0)
#define L4_CR_PER (1u << 1)
#define L4_CR_PNB_SHIFT 3u
#define L4_CR_BKER (1u << 11)
#define L4_CR_STRT (1u << 16)
#define L4_CR_OPTSTRT (1u << 17)
#define L4_CR_OPTLOCK (1u << 30)
#define L4_CR_LOCK (1u << 31)

#define L4_ECCR_ECCD (1u << 31)
#define L4_OPTR_RDP_MASK 0xFFu
#define L4_RDP_LEVEL2 0xCCu

/* RM0351 6.4: reset and clock control */
#define L4_RCC_BASE 0x40021000u
#define L4_RCC_CR CSA_REG32(L4_RCC_BASE + 0x00u)
#define L4_RCC_CFGR CSA_REG32(L4_RCC_BASE + 0x08u)
#define L4_RCC_PLLCFGR CSA_REG32(L4_RCC_BASE + 0x0Cu)
#define L4_RCC_AHB1ENR CSA_REG32(L4_RCC_BASE + 0x48u)
#define L4_RCC_AHB2ENR CSA_REG32(L4_RCC_BASE + 0x4Cu)
#define L4_RCC_APB1RSTR1 CSA_REG32(L4_RCC_BASE + 0x38u)
#define L4_RCC_APB2RSTR CSA_REG32(L4_RCC_BASE + 0x40u)
#define L4_RCC_APB1ENR1 CSA_REG32(L4_RCC_BASE + 0x58u)
#define L4_RCC_APB2ENR CSA_REG32(L4_RCC_BASE + 0x60u)

#define L4_RCC_CR_MSIRDY (1u << 1)
#define L4_RCC_CR_PLLON (1u << 24)
#define L4_RCC_CR_PLLRDY (1u << 25)
#define L4_RCC_CFGR_SW_MASK 3u
#define L4_RCC_CFGR_SW_PLL 3u
#define L4_RCC_CFGR_SWS_SHIFT 2u
#define L4_RCC_AHB1ENR_CRCEN (1u << 12)
#define L4_RCC_AHB2ENR_GPIOAEN (1u << 0)
#define L4_RCC_APB1ENR1_USART2EN (1u << 17)
#define L4_RCC_APB1RSTR1_USART2RST (1u << 17)
#define L4_RCC_APB2ENR_USART1EN (1u << 14)
#define L4_RCC_APB2RSTR_USART1RST (1u << 14)

/* RM0351 8.5: GPIO port A (on AHB2) */
#define L4_GPIOA_BASE 0x48000000u
#define L4_GPIO_MODER(base) CSA_REG32((base) + 0x00u)
#define L4_GPIO_OSPEEDR(base) CSA_REG32((base) + 0x08u)
#define L4_GPIO_PUPDR(base) CSA_REG32((base) + 0x0Cu)
#define L4_GPIO_AFRL(base) CSA_REG32((base) + 0x20u)
#define L4_GPIO_AFRH(base) CSA_REG32((base) + 0x24u)

/* RM0351 40.8: USART (CR1 first, ISR/ICR/RDR/TDR: another layout than the F4's) */
#define L4_USART1_BASE 0x40013800u
#define L4_USART2_BASE 0x40004400u
#define L4_USART_CR1(base) CSA_REG32((base) + 0x00u)
#define L4_USART_CR2(base) CSA_REG32((base) + 0x04u)
#define L4_USART_CR3(base) CSA_REG32((base) + 0x08u)
#define L4_USART_BRR(base) CSA_REG32((base) + 0x0Cu)
#define L4_USART_ISR(base) CSA_REG32((base) + 0x1Cu)
#define L4_USART_ICR(base) CSA_REG32((base) + 0x20u)
#define L4_USART_RDR(base) CSA_REG32((base) + 0x24u)
#define L4_USART_TDR(base) CSA_REG32((base) + 0x28u)
#define L4_USART_CR1_UE (1u << 0)
#define L4_USART_CR1_RE (1u << 2)
#define L4_USART_CR1_TE (1u << 3)
#define L4_USART_CR1_RXNEIE (1u << 5)
#define L4_USART_ISR_FE (1u << 1)
#define L4_USART_ISR_NF (1u << 2)
#define L4_USART_ISR_ORE (1u << 3)
#define L4_USART_ISR_RXNE (1u << 5)
#define L4_USART_ISR_TC (1u << 6)
#define L4_USART_ISR_TXE (1u << 7)
#define L4_USART_ICR_FECF (1u << 1)
#define L4_USART_ICR_NCF (1u << 2)
#define L4_USART_ICR_ORECF (1u << 3)
#define L4_USART1_IRQ 37u
#define L4_USART2_IRQ 38u

/* RM0351 14.4: CRC unit (programmable: INIT register, byte writes) */
#define L4_CRC_DR CSA_REG32(0x40023000u)
#define L4_CRC_DR8 CSA_REG8(0x40023000u)
#define L4_CRC_CR CSA_REG32(0x40023008u)
#define L4_CRC_INIT CSA_REG32(0x40023010u)
#define L4_CRC_POL CSA_REG32(0x40023014u)
#define L4_CRC_CR_RESET (1u << 0)

/* RM0351 32.7: independent watchdog */
#define L4_IWDG_KR CSA_REG32(0x40003000u)
#define L4_IWDG_PR CSA_REG32(0x40003004u)
#define L4_IWDG_RLR CSA_REG32(0x40003008u)

/* RM0351 48.6.1: MCU device id; 49.1: unique device id and flash size */
#define L4_DBGMCU_IDCODE CSA_REG32(0xE0042000u)
#define L4_UID_ADDRESS 0x1FFF7590u
#define L4_FLASH_SIZE_ADDRESS 0x1FFF75E0u

#define L4_IRQ_COUNT 82u
#define L4_PAGE_SIZE 2048u
#define L4_BANK_PAGES 256u

#endif /* CSA_STM32L4_H_ */
