/* The STM32F405/F407 vector table (RM0090 Table 61): the core exceptions, then the chip's interrupts in position
 * order. Handlers are weak aliases of Default_Handler until a driver defines them (USART, flash). */
#include <stdint.h>

#include "csa/csa_startup.h"

/* An exception nobody handles is a fault: the board decides what follows (csa_board_fault). Defined here because
 * the weak aliases below must name a function of this translation unit. */
void Default_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    csa_board_fault(ipsr & 0x1FFu);
}

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))

void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;
void FLASH_IRQHandler(void) WEAK_DEFAULT;
void USART1_IRQHandler(void) WEAK_DEFAULT;
void USART2_IRQHandler(void) WEAK_DEFAULT;
void USART3_IRQHandler(void) WEAK_DEFAULT;
void USART6_IRQHandler(void) WEAK_DEFAULT;

#define D Default_Handler

__attribute__((section(".isr_vector"), used)) const csa_vector_fn csa_vector_table[16 + 82] = {
    /* core exceptions (ARMv7-M B1.5.2) */
    (csa_vector_fn)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    /* STM32F405/F407 (RM0090 Table 61) interrupts, by position */
    /*  0 */ D, D, D, D, FLASH_IRQHandler, D, D, D,
    /*  8 */ D, D, D, D, D, D, D, D,
    /* 16 */ D, D, D, D, D, D, D, D,
    /* 24 */ D, D, D, D, D, D, D, D,
    /* 32 */ D, D, D, D, D, USART1_IRQHandler, USART2_IRQHandler, USART3_IRQHandler,
    /* 40 */ D, D, D, D, D, D, D, D,
    /* 48 */ D, D, D, D, D, D, D, D,
    /* 56 */ D, D, D, D, D, D, D, D,
    /* 64 */ D, D, D, D, D, D, D, USART6_IRQHandler,
    /* 72 */ D, D, D, D, D, D, D, D,
    /* 80 */ D, D,
};

const uint32_t csa_vector_count = 16u + 82u;
