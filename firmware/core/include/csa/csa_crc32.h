/* CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final XOR): the frame check of
   protocol.md section 4 and the request fingerprint of rpc-packets.md section 7. The STM32 CRC unit computes it in
   its reset configuration; a port that uses it sets CSA_CONFIG_PORT_CRC32 and provides csa_port_crc32_update. */
#ifndef CSA_CRC32_H_
#define CSA_CRC32_H_

#include <stddef.h>
#include <stdint.h>

#include "csa/csa_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The initial value; the CRC of no bytes. */
#define CSA_CRC32_INIT 0xFFFFFFFFu

/** Continues a CRC over len more bytes (start with CSA_CRC32_INIT; there is no final XOR). */
uint32_t csa_crc32_update(uint32_t crc, const uint8_t *data, size_t len);

/** The CRC of one buffer. */
CSA_CONFIG_LINK_RAMFUNC static inline uint32_t csa_crc32(const uint8_t *data, size_t len)
{
    return csa_crc32_update(CSA_CRC32_INIT, data, len);
}

/** The software implementation, also when a port hook is configured (ports fall back to it for odd tails). */
uint32_t csa_crc32_update_sw(uint32_t crc, const uint8_t *data, size_t len);

#if CSA_CONFIG_PORT_CRC32
/** Provided by the port when CSA_CONFIG_PORT_CRC32 is 1: same contract as csa_crc32_update. */
uint32_t csa_port_crc32_update(uint32_t crc, const uint8_t *data, size_t len);
#endif

#ifdef __cplusplus
}
#endif

#endif /* CSA_CRC32_H_ */
