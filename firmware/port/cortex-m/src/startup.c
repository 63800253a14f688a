/* Reset handler and default exception handlers of every Cortex-M4 image (pre-bootloader, bootloader, application).
 * The chip's vector table is in port/<chip>/src/<chip>_vectors.c. */
#include <string.h>

#include "csa/cm4.h"
#include "csa/csa_startup.h"

/* Runs before anything is initialised: only locals and linker symbols. The stores are volatile so the compiler
 * does not turn the loops into memcpy and memset calls: in an image with the link in SRAM those live in .ramfunc,
 * which this loop is about to copy there. */
void Reset_Handler(void)
{
    const uint32_t *src = &_sidata;
    volatile uint32_t *dst = &_sdata;
    while (dst < &_edata) /* .data and .ramfunc: copied from flash */
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++)
        *dst = 0;
#if defined(__ARM_FP)
    CSA_SCB_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
    csa_dsb();
    csa_isb();
#endif
    /* Whoever started this image (reset, the pre-bootloader, the bootloader) may have left VTOR elsewhere. */
    CSA_SCB_VTOR = (uint32_t)(uintptr_t)csa_vector_table;
    csa_dsb();
    csa_isb();
    (void)main();
    for (;;)
        csa_board_fault(0);
}

/* The table's SRAM copy at the start of SRAM (VECTRAM in ld/image.ld.in: 512-byte aligned as VTOR requires for up
 * to 128 entries; 112 fit before the retained block, both chips have 98). */
#define RAM_VECTORS 112u
__attribute__((section(".ram_vectors"))) static csa_vector_fn ram_vectors[RAM_VECTORS];

void csa_cm4_vectors_to_ram(void)
{
    uint32_t n = csa_vector_count <= RAM_VECTORS ? csa_vector_count : RAM_VECTORS;
    uint32_t primask = csa_primask();
    csa_irq_disable();
    memcpy(ram_vectors, csa_vector_table, n * sizeof ram_vectors[0]);
    CSA_SCB_VTOR = (uint32_t)(uintptr_t)ram_vectors;
    csa_dsb();
    csa_isb();
    if (!primask)
        csa_irq_enable();
}

__attribute__((noreturn)) void csa_cm4_start_image(uint32_t vector_table)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)(uintptr_t)vector_table;
    uint32_t sp = vt[0], entry = vt[1];
    unsigned i;
    csa_irq_disable();
    CSA_SYST_CSR = 0;
    for (i = 0; i < CSA_NVIC_REGISTERS; i++) {
        CSA_NVIC_ICER(i) = 0xFFFFFFFFu;
        CSA_NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    CSA_SCB_ICSR = 1u << 25; /* PENDSTCLR: no SysTick left pending */
    CSA_SCB_VTOR = vector_table;
    csa_dsb();
    csa_isb();
    /* PRIMASK clear, as after a reset: with every interrupt disabled in the NVIC and SysTick stopped nothing fires. */
    csa_irq_enable();
    __asm__ volatile("msr msp, %0\n\tbx %1" : : "r"(sp), "r"(entry) : "memory");
    for (;;) {
    }
}

__attribute__((noreturn)) void csa_cm4_system_reset(void)
{
    csa_dsb();
    CSA_SCB_AIRCR = CSA_AIRCR_VECTKEY | CSA_AIRCR_SYSRESETREQ;
    csa_dsb();
    for (;;) {
    }
}
