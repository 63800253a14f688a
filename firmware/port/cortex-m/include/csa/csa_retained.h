/* The few bytes a system reset must not lose (docs/device-model.md 7.2): the node address the host assigned, so a
 * host that sent EnterBootloader to device 3 of a chain keeps talking to device 3 in its bootloader.
 *
 * Every image's linker script puts this block at the same address (the first 64 bytes of SRAM, section .retained,
 * never zeroed by start-up code), so the application writes it and the bootloader reads it after the reset. Power
 * loss leaves SRAM random: the block counts only when its magic and its check word agree. */
#ifndef CSA_RETAINED_H_
#define CSA_RETAINED_H_

#include <stdint.h>

#define CSA_RETAINED_MAGIC 0x52415343u /* "CSAR" */

typedef struct csa_retained {
    uint32_t magic;
    uint32_t node_address; /* 0x00..0xFF, or CSA_RETAINED_NONE */
    uint32_t check;        /* ~(magic ^ node_address) */
    uint32_t reserved[13];
} csa_retained;

#define CSA_RETAINED_NONE 0xFFFFFFFFu

extern csa_retained csa_retained_block;

/* The address kept across the last reset, or CSA_RETAINED_NONE (power-on, or nothing was kept). */
uint32_t csa_retained_node_address(void);
/* Keeps `address` for the next reset (call it right before csa_board_reset). */
void csa_retained_keep_node_address(uint8_t address);
/* Forgets it (so a later reset does not reuse a stale address). */
void csa_retained_clear(void);

#endif /* CSA_RETAINED_H_ */
