/* STM32F405/F407 clock tree, watchdog and device id (RM0090 sections 5, 6, 19, 38). */
#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

uint32_t csa_f4_apb1_hz = 16000000u, csa_f4_apb2_hz = 16000000u;

/* Ready bits that never come (a board without power on the PLL's supply, a debugger holding the chip) must not hang
 * the bootloader: every wait is bounded and the chip stays on HSI if the PLL does not lock. */
static int wait_set(volatile uint32_t *reg, uint32_t bits)
{
    uint32_t n;
    for (n = 0; n < 1000000u; n++)
        if ((*reg & bits) == bits)
            return 1;
    return 0;
}

uint32_t csa_f4_clock_init(void)
{
    if (((F4_RCC_CFGR >> F4_RCC_CFGR_SWS_SHIFT) & 3u) == F4_RCC_CFGR_SW_PLL) {
        /* The image before this one (the pre-bootloader, the bootloader) set the clock tree up already; the PLL
           cannot be reconfigured while it drives SYSCLK. */
        csa_f4_apb1_hz = 42000000u;
        csa_f4_apb2_hz = 84000000u;
        return 168000000u;
    }
    F4_RCC_CR |= F4_RCC_CR_HSION;
    if (!wait_set(&F4_RCC_CR, F4_RCC_CR_HSIRDY))
        return 16000000u;
    /* Voltage scale 1 (RM0090 5.1.3) before the frequency rises; PWR needs its clock for the write. */
    F4_RCC_APB1ENR |= F4_RCC_APB1ENR_PWREN;
    (void)F4_RCC_APB1ENR;
    F4_PWR_CR |= F4_PWR_CR_VOS;
    /* HSI 16 MHz / M 16 = 1 MHz; x N 336 = 336 MHz VCO; / P 2 = 168 MHz SYSCLK; / Q 7 = 48 MHz (USB, SDIO). */
    F4_RCC_PLLCFGR = (F4_RCC_PLLCFGR & ~(0x3Fu | (0x1FFu << 6) | (3u << 16) | (1u << 22) | (0xFu << 24))) /* reserved bits kept */
                     | 16u | (336u << 6) | (0u << 16) /* P = 2 */ | (0u << 22) /* HSI */ | (7u << 24);
    F4_RCC_CR |= F4_RCC_CR_PLLON;
    if (!wait_set(&F4_RCC_CR, F4_RCC_CR_PLLRDY))
        return 16000000u;
    /* 5 wait states for 150-168 MHz at 2.7-3.6 V (RM0090 Table 10), prefetch and caches, before the switch. */
    F4_FLASH_ACR = 5u | F4_ACR_PRFTEN | F4_ACR_ICEN | F4_ACR_DCEN;
    if ((F4_FLASH_ACR & F4_ACR_LATENCY_MASK) != 5u)
        return 16000000u;
    /* AHB / 1, APB1 / 4 (42 MHz, at most 42), APB2 / 2 (84 MHz, at most 84), then SYSCLK from the PLL. */
    F4_RCC_CFGR = (F4_RCC_CFGR & ~(0xF0u | 0x1C00u | 0xE000u)) | (5u << 10) | (4u << 13); /* HPRE, PPRE1, PPRE2 */
    F4_RCC_CFGR = (F4_RCC_CFGR & ~F4_RCC_CFGR_SW_MASK) | F4_RCC_CFGR_SW_PLL;
    {
        uint32_t n;
        for (n = 0; n < 1000000u; n++)
            if (((F4_RCC_CFGR >> F4_RCC_CFGR_SWS_SHIFT) & 3u) == F4_RCC_CFGR_SW_PLL)
                break;
        if (n == 1000000u)
            return 16000000u;
    }
    csa_f4_apb1_hz = 42000000u;
    csa_f4_apb2_hz = 84000000u;
    return 168000000u;
}

void csa_f4_iwdg_start(void)
{
    F4_IWDG_KR = 0xCCCCu; /* start (LSI starts with it) */
    F4_IWDG_KR = 0x5555u; /* unlock PR and RLR */
    F4_IWDG_PR = 4u;      /* / 64 */
    F4_IWDG_RLR = 4095u;
    F4_IWDG_KR = 0xAAAAu;
}

void csa_f4_iwdg_refresh(void)
{
    F4_IWDG_KR = 0xAAAAu;
}
