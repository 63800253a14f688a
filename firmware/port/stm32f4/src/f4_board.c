/* The STM32F405/F407 board (csa_board.h): the 1 MB memory map, the upstream link on USART1 (PA9 TX, PA10 RX, AF7)
 * or, with -DCSA_BOARD_UART=2, USART2 (PA2 TX, PA3 RX, AF7: the ST-LINK virtual COM port of many boards), SysTick at
 * 1 kHz, the CRC unit, the watchdog, resets and starting images. */
#include "csa/csa_board.h"
#include "csa/csa_startup.h"
#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

#ifndef CSA_BOARD_BAUD
#define CSA_BOARD_BAUD 115200u
#endif
#ifndef CSA_BOARD_UART
#define CSA_BOARD_UART 1
#endif

static volatile uint32_t millis;

CSA_RAMFUNC void SysTick_Handler(void)
{
    millis++;
}

#if CSA_BOARD_UART == 1
CSA_RAMFUNC void USART1_IRQHandler(void)
{
    csa_f4_usart_irq();
}
#elif CSA_BOARD_UART == 2
CSA_RAMFUNC void USART2_IRQHandler(void)
{
    csa_f4_usart_irq();
}
#else
#error "CSA_BOARD_UART: 1 (USART1 on PA9/PA10) or 2 (USART2 on PA2/PA3)"
#endif

void csa_board_init(void)
{
    uint32_t sysclk = csa_f4_clock_init();
    csa_cm4_vectors_to_ram(); /* interrupts keep running while an erase stalls flash */
    csa_f4_crc_init();
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
    return &csa_f4_flash;
}

const csa_memory_map *csa_board_map(void)
{
    return &csa_map_stm32f4_1m;
}

uint16_t csa_board_mcu_device_id(void)
{
    return (uint16_t)(F4_DBGMCU_IDCODE & 0xFFFu);
}

/* Alternate function 7 on two pins of port A, pull-up on RX so an unconnected line idles high. */
static void pins_af7(unsigned tx, unsigned rx)
{
    F4_RCC_AHB1ENR |= F4_RCC_AHB1ENR_GPIOAEN;
    (void)F4_RCC_AHB1ENR;
    F4_GPIO_MODER(F4_GPIOA_BASE) = (F4_GPIO_MODER(F4_GPIOA_BASE) & ~(3u << (2u * tx)) & ~(3u << (2u * rx)))
                                   | (2u << (2u * tx)) | (2u << (2u * rx));
    F4_GPIO_OSPEEDR(F4_GPIOA_BASE) |= (2u << (2u * tx));
    F4_GPIO_PUPDR(F4_GPIOA_BASE) = (F4_GPIO_PUPDR(F4_GPIOA_BASE) & ~(3u << (2u * rx))) | (1u << (2u * rx));
    if (tx < 8u)
        F4_GPIO_AFRL(F4_GPIOA_BASE) = (F4_GPIO_AFRL(F4_GPIOA_BASE) & ~(0xFu << (4u * tx))) | (7u << (4u * tx));
    else
        F4_GPIO_AFRH(F4_GPIOA_BASE) = (F4_GPIO_AFRH(F4_GPIOA_BASE) & ~(0xFu << (4u * (tx - 8u)))) | (7u << (4u * (tx - 8u)));
    if (rx < 8u)
        F4_GPIO_AFRL(F4_GPIOA_BASE) = (F4_GPIO_AFRL(F4_GPIOA_BASE) & ~(0xFu << (4u * rx))) | (7u << (4u * rx));
    else
        F4_GPIO_AFRH(F4_GPIOA_BASE) = (F4_GPIO_AFRH(F4_GPIOA_BASE) & ~(0xFu << (4u * (rx - 8u)))) | (7u << (4u * (rx - 8u)));
}

void csa_board_link_open(void)
{
#if CSA_BOARD_UART == 1
    F4_RCC_APB2ENR |= F4_RCC_APB2ENR_USART1EN;
    (void)F4_RCC_APB2ENR;
    pins_af7(9u, 10u);
    csa_f4_usart_open(F4_USART1_BASE, F4_USART1_IRQ, csa_f4_apb2_hz, CSA_BOARD_BAUD);
#else
    F4_RCC_APB1ENR |= F4_RCC_APB1ENR_USART2EN;
    (void)F4_RCC_APB1ENR;
    pins_af7(2u, 3u);
    csa_f4_usart_open(F4_USART2_BASE, F4_USART2_IRQ, csa_f4_apb1_hz, CSA_BOARD_BAUD);
#endif
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
    csa_wfi();
}

void csa_board_watchdog_start(void)
{
    csa_f4_iwdg_start();
}

void csa_board_watchdog_refresh(void)
{
    csa_f4_iwdg_refresh();
}

__attribute__((noreturn)) void csa_board_reset(void)
{
    csa_cm4_system_reset();
}

/* The next image finds the clock tree as csa_f4_clock_init left it (168 MHz from the PLL, 5 wait states) and every
 * peripheral this image used back in its reset state. */
__attribute__((noreturn)) void csa_board_start_image(uint32_t address)
{
    csa_irq_disable();
    F4_RCC_APB2RSTR |= F4_RCC_APB2RSTR_USART1RST;
    F4_RCC_APB2RSTR &= ~F4_RCC_APB2RSTR_USART1RST;
    F4_RCC_APB1RSTR |= F4_RCC_APB1RSTR_USART2RST;
    F4_RCC_APB1RSTR &= ~F4_RCC_APB1RSTR_USART2RST;
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
    (void)text; /* the one UART is the protocol's */
}

__attribute__((noreturn)) void csa_board_fault(uint32_t ipsr)
{
    (void)ipsr;
    csa_cm4_system_reset();
}
