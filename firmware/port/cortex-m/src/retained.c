/* The block of SRAM a system reset keeps (csa_retained.h). Section .retained: NOLOAD, never zeroed. */
#include "csa/csa_retained.h"

__attribute__((section(".retained"))) csa_retained csa_retained_block;

uint32_t csa_retained_node_address(void)
{
    const volatile csa_retained *r = &csa_retained_block;
    if (r->magic != CSA_RETAINED_MAGIC || r->check != ~(r->magic ^ r->node_address) || r->node_address > 0xFFu)
        return CSA_RETAINED_NONE;
    return r->node_address;
}

void csa_retained_keep_node_address(uint8_t address)
{
    volatile csa_retained *r = &csa_retained_block;
    r->magic = CSA_RETAINED_MAGIC;
    r->node_address = address;
    r->check = ~(CSA_RETAINED_MAGIC ^ (uint32_t)address);
}

void csa_retained_clear(void)
{
    volatile csa_retained *r = &csa_retained_block;
    r->magic = 0;
    r->node_address = CSA_RETAINED_NONE;
    r->check = 0;
}
