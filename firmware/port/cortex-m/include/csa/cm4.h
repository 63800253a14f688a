/* The Cortex-M4 core peripherals every chip image uses (ARMv7-M Architecture Reference Manual, B3): the System
 * Control Block (VTOR, AIRCR, CPACR), the NVIC and SysTick, and the few instructions C cannot express. Written from
 * the architecture manual; no CMSIS dependency, so firmware/ builds with Debian's toolchain alone. */
#ifndef CSA_CM4_H_
#define CSA_CM4_H_

#include <stdint.h>

#define CSA_REG32(address) (*(volatile uint32_t *)(uintptr_t)(address))
#define CSA_REG16(address) (*(volatile uint16_t *)(uintptr_t)(address))
#define CSA_REG8(address) (*(volatile uint8_t *)(uintptr_t)(address))

/* System Control Block */
#define CSA_SCB_ICSR CSA_REG32(0xE000ED04u)
#define CSA_SCB_VTOR CSA_REG32(0xE000ED08u)
#define CSA_SCB_AIRCR CSA_REG32(0xE000ED0Cu)
#define CSA_SCB_SHCSR CSA_REG32(0xE000ED24u)
#define CSA_SCB_CPACR CSA_REG32(0xE000ED88u)
#define CSA_AIRCR_VECTKEY 0x05FA0000u
#define CSA_AIRCR_SYSRESETREQ (1u << 2)

/* SysTick */
#define CSA_SYST_CSR CSA_REG32(0xE000E010u)
#define CSA_SYST_RVR CSA_REG32(0xE000E014u)
#define CSA_SYST_CVR CSA_REG32(0xE000E018u)
#define CSA_SYST_CSR_ENABLE (1u << 0)
#define CSA_SYST_CSR_TICKINT (1u << 1)
#define CSA_SYST_CSR_CLKSOURCE (1u << 2) /* the processor clock */

/* NVIC: 8 registers of 32 interrupts each cover every STM32F4/L4 interrupt. */
#define CSA_NVIC_ISER(n) CSA_REG32(0xE000E100u + 4u * (n))
#define CSA_NVIC_ICER(n) CSA_REG32(0xE000E180u + 4u * (n))
#define CSA_NVIC_ICPR(n) CSA_REG32(0xE000E280u + 4u * (n))
#define CSA_NVIC_IPR8(irq) CSA_REG8(0xE000E400u + (irq))
#define CSA_NVIC_REGISTERS 8u

static inline void csa_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void csa_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void csa_dsb(void) { __asm__ volatile("dsb 0xF" ::: "memory"); }
static inline void csa_isb(void) { __asm__ volatile("isb 0xF" ::: "memory"); }
static inline void csa_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

/* PRIMASK: 1 while interrupts are masked. */
static inline uint32_t csa_primask(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, primask" : "=r"(v));
    return v;
}

static inline uint32_t csa_rev(uint32_t v)
{
    uint32_t r;
    __asm__("rev %0, %1" : "=r"(r) : "r"(v));
    return r;
}

static inline void csa_nvic_enable(unsigned irq, uint8_t priority)
{
    CSA_NVIC_IPR8(irq) = priority;
    CSA_NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

/* A function that must keep running while the flash is busy (an erase stalls every fetch from a single-bank F4 for up
 * to 4 s): placed in SRAM by the linker scripts (.ramfunc, copied with .data), called through a long call so the
 * 0x08000000 -> 0x20000000 distance needs no veneer. It may only call other CSA_RAMFUNC code and inline functions. */
#define CSA_RAMFUNC __attribute__((section(".ramfunc"), noinline, long_call))

/* What the data link's busy step reaches in the port (the link's read and write, the time, the CRC hook): in SRAM in
 * an image built with the link in SRAM (CSA_CHIP_LINK_IN_SRAM: the bootloader copies), in flash elsewhere. Unlike
 * CSA_RAMFUNC these may be inlined and are called with ordinary branches: the linker puts one veneer per function
 * in flash for the callers there (cheaper in flash than a long call at every call site), and
 * tools/ramfunc_reach.sh fails the image if any such veneer, or any flash address, is reached from the busy step. */
#if defined(CSA_CHIP_LINK_IN_SRAM) && CSA_CHIP_LINK_IN_SRAM
#define CSA_LINK_RAMFUNC __attribute__((section(".ramfunc")))
#else
#define CSA_LINK_RAMFUNC
#endif

/* Starts another image at `vector_table` (its first word the initial stack pointer, its second the reset handler):
 * interrupts off, SysTick stopped, every NVIC interrupt disabled and cleared, VTOR moved to the image, MSP loaded,
 * then a jump. The image finds the core as after a reset, except for the clocks and peripherals its caller set up. */
__attribute__((noreturn)) void csa_cm4_start_image(uint32_t vector_table);

/* A system reset through AIRCR.SYSRESETREQ (SRAM keeps its content: csa_board_retained). */
__attribute__((noreturn)) void csa_cm4_system_reset(void);

#endif /* CSA_CM4_H_ */
