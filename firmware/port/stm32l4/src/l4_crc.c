/* The core's CRC hook on the STM32L4 CRC unit (RM0351 section 14): in its reset configuration (polynomial
 * 0x04C11DB7, 32 bits, no reversal) it computes CRC-32/MPEG-2; INIT takes any starting value and byte writes take
 * single bytes, so every call runs on the unit: whole words byte-reversed (the unit takes a word most significant
 * bit first), then the tail byte by byte. */
#include "csa/csa_crc32.h"
#include "csa/csa_stm32l4.h"
#include "csa/stm32l4.h"

void csa_l4_crc_init(void)
{
    L4_RCC_AHB1ENR |= L4_RCC_AHB1ENR_CRCEN;
    (void)L4_RCC_AHB1ENR;
    L4_CRC_POL = 0x04C11DB7u;
    L4_CRC_CR = 0; /* 32-bit polynomial, no input or output reversal */
}

CSA_LINK_RAMFUNC uint32_t csa_port_crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
    size_t i;
    L4_CRC_INIT = crc;
    L4_CRC_CR = L4_CRC_CR_RESET; /* DR := INIT */
    for (i = 0; i + 4u <= len; i += 4u)
        L4_CRC_DR = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1u] << 16 | (uint32_t)data[i + 2u] << 8 | data[i + 3u];
    for (; i < len; i++)
        L4_CRC_DR8 = data[i];
    return L4_CRC_DR;
}
