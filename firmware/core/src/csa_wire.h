/* Little-endian loads and stores by shifts: any host byte order, any alignment. Private to the core. */
#ifndef CSA_WIRE_H_
#define CSA_WIRE_H_

#include <stdint.h>

#include "csa/csa_config.h" /* CSA_CONFIG_LINK_RAMFUNC: the receive path calls these while the flash may be busy */

CSA_CONFIG_LINK_RAMFUNC static inline void csa_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

CSA_CONFIG_LINK_RAMFUNC static inline void csa_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

CSA_CONFIG_LINK_RAMFUNC static inline uint16_t csa_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
}

CSA_CONFIG_LINK_RAMFUNC static inline uint32_t csa_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Wrapping millisecond time: true when now has reached deadline (within half the 32-bit range). */
CSA_CONFIG_LINK_RAMFUNC static inline int csa_time_reached(uint32_t now, uint32_t deadline)
{
    return (int32_t)(now - deadline) >= 0;
}

#endif /* CSA_WIRE_H_ */
