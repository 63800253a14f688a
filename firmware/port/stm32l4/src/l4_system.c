/* STM32L476 clock tree and watchdog (RM0351 sections 5, 6, 32). */
#include "csa/csa_stm32l4.h"
#include "csa/stm32l4.h"

uint32_t csa_l4_pclk_hz = 4000000u;

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    uint32_t n;
    for (n = 0; n < 1000000u; n++)
        if ((*reg & mask) == value)
            return 1;
    return 0;
}

uint32_t csa_l4_clock_init(void)
{
    if (((L4_RCC_CFGR >> L4_RCC_CFGR_SWS_SHIFT) & 3u) == L4_RCC_CFGR_SW_PLL) {
        csa_l4_pclk_hz = 80000000u; /* set up by the image before this one */
        return 80000000u;
    }
    if (!wait_set(&L4_RCC_CR, L4_RCC_CR_MSIRDY, L4_RCC_CR_MSIRDY))
        return 4000000u;
    /* 4 wait states for 64-80 MHz in range 1 (RM0351 Table 11) before the frequency rises. */
    L4_FLASH_ACR = (L4_FLASH_ACR & ~L4_ACR_LATENCY_MASK) | 4u | L4_ACR_PRFTEN | L4_ACR_ICEN | L4_ACR_DCEN;
    if ((L4_FLASH_ACR & L4_ACR_LATENCY_MASK) != 4u)
        return 4000000u;
    /* MSI 4 MHz / M 1 = 4 MHz (VCO input 4-16 MHz); x N 40 = 160 MHz VCO; / R 2 = 80 MHz on PLLCLK. */
    L4_RCC_PLLCFGR = 1u /* MSI */ | (0u << 4) /* M = 1 */ | (40u << 8) | (1u << 24) /* PLLREN */ | (0u << 25) /* R = 2 */;
    L4_RCC_CR |= L4_RCC_CR_PLLON;
    if (!wait_set(&L4_RCC_CR, L4_RCC_CR_PLLRDY, L4_RCC_CR_PLLRDY))
        return 4000000u;
    L4_RCC_CFGR = (L4_RCC_CFGR & ~(0xF0u | 0x700u | 0x3800u)) /* AHB, APB1, APB2 / 1 */;
    L4_RCC_CFGR = (L4_RCC_CFGR & ~L4_RCC_CFGR_SW_MASK) | L4_RCC_CFGR_SW_PLL;
    if (!wait_set(&L4_RCC_CFGR, 3u << L4_RCC_CFGR_SWS_SHIFT, L4_RCC_CFGR_SW_PLL << L4_RCC_CFGR_SWS_SHIFT))
        return 4000000u;
    csa_l4_pclk_hz = 80000000u;
    return 80000000u;
}

void csa_l4_iwdg_start(void)
{
    L4_IWDG_KR = 0xCCCCu;
    L4_IWDG_KR = 0x5555u;
    L4_IWDG_PR = 4u; /* LSI 32 kHz / 64, reload 4095: 8.2 s nominal */
    L4_IWDG_RLR = 4095u;
    L4_IWDG_KR = 0xAAAAu;
}

void csa_l4_iwdg_refresh(void)
{
    L4_IWDG_KR = 0xAAAAu;
}
