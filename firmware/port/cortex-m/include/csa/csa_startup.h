/* Start-up code shared by every Cortex-M4 image (src/startup.c) and the chip's vector table (port/<chip>/src/
 * *_vectors.c), which lists the core exceptions and the chip's interrupts in the order of its reference manual. */
#ifndef CSA_STARTUP_H_
#define CSA_STARTUP_H_

#include <stdint.h>

typedef void (*csa_vector_fn)(void);

/* The image's vector table (section .isr_vector, first in the image: the load address of every image is its
 * vector table) and its number of entries. */
extern const csa_vector_fn csa_vector_table[];
extern const uint32_t csa_vector_count;

/* Linker-script symbols (port/cortex-m/ld/image.ld.in). */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SVC_Handler(void);
void DebugMon_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);
/* The chip interrupts the ports use (the names of RM0090 / RM0351; each vector table lists its own). */
void FLASH_IRQHandler(void);
void USART1_IRQHandler(void);
void USART2_IRQHandler(void);
void USART3_IRQHandler(void);
void USART6_IRQHandler(void);
void LPUART1_IRQHandler(void);

/* What happens on an exception nobody handles (a fault): the board decides (QEMU reports it and stops the emulator;
 * the chips reset). `ipsr` is the exception number. */
__attribute__((noreturn)) void csa_board_fault(uint32_t ipsr);

/* Moves the vector table to SRAM (aligned as VTOR requires) so interrupts keep being taken while the flash is busy;
 * the handlers that must run then are CSA_RAMFUNC. */
void csa_cm4_vectors_to_ram(void);

int main(void);

#endif /* CSA_STARTUP_H_ */
