/* The core's CRC hook (docs/firmware.md, "Porting guide") on the STM32F4 CRC unit (RM0090 section 4): CRC-32/MPEG-2
 * over 32-bit words, reset value 0xFFFFFFFF, no INIT register. A computation that starts from the initial value runs
 * on the unit; the unit cannot continue from any other value, so those, and the last len % 4 bytes, run in software
 * (the core computes a frame's CRC in one call, so the unit's path is the common one). */
#include "csa/csa_crc32.h"
#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

void csa_f4_crc_init(void)
{
    F4_RCC_AHB1ENR |= F4_RCC_AHB1ENR_CRCEN;
    (void)F4_RCC_AHB1ENR; /* the clock is on before the first access */
}

CSA_LINK_RAMFUNC uint32_t csa_port_crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
    size_t words = len / 4u, i;
    if (crc != CSA_CRC32_INIT || words == 0)
        return csa_crc32_update_sw(crc, data, len);
    F4_CRC_CR = F4_CRC_CR_RESET;
    for (i = 0; i < words; i++, data += 4) {
        /* The unit takes a word most significant bit first: bytes b0 b1 b2 b3 of the stream are the word
           b0 << 24 | b1 << 16 | b2 << 8 | b3, i.e. the byte-reversed little-endian load. */
        F4_CRC_DR = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
    }
    return csa_crc32_update_sw(F4_CRC_DR, data, len % 4u);
}
