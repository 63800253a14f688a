/* The RAM a system reset keeps (csa_service/handoff.h's csa_retained): the node address and the bootloader's findings
 * for the application. Every image's linker script puts section .retained at the same address (64 bytes at SRAM + 448,
 * 0x200001C0, after the vector table's SRAM copy: ld/image.ld.in) and no start-up code clears it, so what the bootloader leaves there the application finds, and what either
 * leaves before a reset the next start finds. After a power-on the bytes are random: csa_retained_valid says so. */
#include "csa/csa_board.h"

typedef char csa_retained_fits_its_64_bytes[sizeof(csa_retained) <= 64u ? 1 : -1];

__attribute__((section(".retained"))) static csa_retained block;

csa_retained *csa_board_retained(void)
{
    return &block;
}
