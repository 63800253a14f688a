/* The STM32L476 board (csa_board.h): the 1 MB dual-bank memory map, the upstream link on USART2 (PA2 TX, PA3 RX,
 * AF7: the ST-LINK virtual COM port of the NUCLEO-L476RG) or, with -DCSA_BOARD_UART=1, USART1 (PA9/PA10, AF7),
 * SysTick at 1 kHz, the CRC unit, the watchdog, resets and starting images. */
#include "csa/csa_board.h"
#include "csa/csa_startup.h"
#include "csa/csa_stm32l4.h"
#include "csa/stm32l4.h"

#ifndef CSA_BOARD_BAUD
#define CSA_BOARD_BAUD 115200u
#endif
#ifndef CSA_BOARD_UART
#define CSA_BOARD_UART 2
#endif

static volatile uint32_t millis;

CSA_RAMFUNC void SysTick_Handler(void)
{
    millis++;
}

#if CSA_BOARD_UART == 1
CSA_RAMFUNC void USART1_IRQHandler(void)
{
    csa_l4_usart_irq();
}
#elif CSA_BOARD_UART == 2
CSA_RAMFUNC void USART2_IRQHandler(void)
{
    csa_l4_usart_irq();
}
#else
#error "CSA_BOARD_UART: 1 (USART1 on PA9/PA10) or 2 (USART2 on PA2/PA3)"
#endif

void csa_board_init(void)
{
    uint32_t sysclk = csa_l4_clock_init();
    csa_cm4_vectors_to_ram();
    csa_l4_crc_init();
    CSA_SYST_RVR = sysclk / 1000u - 1u;
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
    return &csa_l4_flash;
}

const csa_memory_map *csa_board_map(void)
{
    return &csa_map_stm32l4_1m;
}

uint16_t csa_board_mcu_device_id(void)
{
    return (uint16_t)(L4_DBGMCU_IDCODE & 0xFFFu);
}

static void af7(unsigned pin)
{
    if (pin < 8u)
        L4_GPIO_AFRL(L4_GPIOA_BASE) = (L4_GPIO_AFRL(L4_GPIOA_BASE) & ~(0xFu << (4u * pin))) | (7u << (4u * pin));
    else
        L4_GPIO_AFRH(L4_GPIOA_BASE) = (L4_GPIO_AFRH(L4_GPIOA_BASE) & ~(0xFu << (4u * (pin - 8u)))) | (7u << (4u * (pin - 8u)));
    L4_GPIO_MODER(L4_GPIOA_BASE) = (L4_GPIO_MODER(L4_GPIOA_BASE) & ~(3u << (2u * pin))) | (2u << (2u * pin));
}

void csa_board_link_open(void)
{
    unsigned tx, rx;
    L4_RCC_AHB2ENR |= L4_RCC_AHB2ENR_GPIOAEN;
    (void)L4_RCC_AHB2ENR;
#if CSA_BOARD_UART == 1
    tx = 9u;
    rx = 10u;
    L4_RCC_APB2ENR |= L4_RCC_APB2ENR_USART1EN;
    (void)L4_RCC_APB2ENR;
#else
    tx = 2u;
    rx = 3u;
    L4_RCC_APB1ENR1 |= L4_RCC_APB1ENR1_USART2EN;
    (void)L4_RCC_APB1ENR1;
#endif
    af7(tx);
    af7(rx);
    L4_GPIO_OSPEEDR(L4_GPIOA_BASE) |= 2u << (2u * tx);
    L4_GPIO_PUPDR(L4_GPIOA_BASE) = (L4_GPIO_PUPDR(L4_GPIOA_BASE) & ~(3u << (2u * rx))) | (1u << (2u * rx));
#if CSA_BOARD_UART == 1
    csa_l4_usart_open(L4_USART1_BASE, L4_USART1_IRQ, csa_l4_pclk_hz, CSA_BOARD_BAUD);
#else
    csa_l4_usart_open(L4_USART2_BASE, L4_USART2_IRQ, csa_l4_pclk_hz, CSA_BOARD_BAUD);
#endif
}

CSA_LINK_RAMFUNC size_t csa_board_link_read(uint8_t *dst, size_t max)
{
    return csa_l4_usart_read(dst, max);
}

CSA_LINK_RAMFUNC void csa_board_link_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    csa_l4_usart_write(data, n);
}

void csa_board_link_drain(void)
{
    csa_l4_usart_drain();
}

void csa_board_link_counters_get(csa_board_link_counters *out)
{
    csa_l4_usart_counters(out);
}

void csa_board_idle(void)
{
    csa_wfi();
}

void csa_board_watchdog_start(void)
{
    csa_l4_iwdg_start();
}

void csa_board_watchdog_refresh(void)
{
    csa_l4_iwdg_refresh();
}

__attribute__((noreturn)) void csa_board_reset(void)
{
    csa_cm4_system_reset();
}

__attribute__((noreturn)) void csa_board_start_image(uint32_t address)
{
    csa_irq_disable();
    L4_RCC_APB2RSTR |= L4_RCC_APB2RSTR_USART1RST;
    L4_RCC_APB2RSTR &= ~L4_RCC_APB2RSTR_USART1RST;
    L4_RCC_APB1RSTR1 |= L4_RCC_APB1RSTR1_USART2RST;
    L4_RCC_APB1RSTR1 &= ~L4_RCC_APB1RSTR1_USART2RST;
    csa_cm4_start_image(address);
}

__attribute__((noreturn)) void csa_board_halt(const char *why)
{
    (void)why;
    for (;;)
        csa_wfi();
}

void csa_board_log(const char *text)
{
    (void)text;
}

__attribute__((noreturn)) void csa_board_fault(uint32_t ipsr)
{
    (void)ipsr;
    csa_cm4_system_reset();
}
