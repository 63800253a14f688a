/* CRC-32/MPEG-2 in software, four bits per step from a 16-entry table (64 bytes of constants: a compromise between
   the bit-by-bit loop, 8x slower, and a 1 KiB byte table that a 16 KB bootloader cannot spare). */
#include "csa/csa_crc32.h"

static CSA_CONFIG_LINK_RAMDATA const uint32_t nibble_table[16] = {
    0x00000000u, 0x04C11DB7u, 0x09823B6Eu, 0x0D4326D9u, 0x130476DCu, 0x17C56B6Bu, 0x1A864DB2u, 0x1E475005u,
    0x2608EDB8u, 0x22C9F00Fu, 0x2F8AD6D6u, 0x2B4BCB61u, 0x350C9B64u, 0x31CD86D3u, 0x3C8EA00Au, 0x384FBDBDu,
};

CSA_CONFIG_LINK_RAMFUNC uint32_t csa_crc32_update_sw(uint32_t crc, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        crc ^= (uint32_t)data[i] << 24;
        crc = (crc << 4) ^ nibble_table[crc >> 28];
        crc = (crc << 4) ^ nibble_table[crc >> 28];
    }
    return crc;
}

CSA_CONFIG_LINK_RAMFUNC uint32_t csa_crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
#if CSA_CONFIG_PORT_CRC32
    return csa_port_crc32_update(crc, data, len);
#else
    return csa_crc32_update_sw(crc, data, len);
#endif
}
