/*
 * The link while the flash is busy (device-model.md 6.4.1, docs/firmware.md "While the flash is busy" and "On the
 * chips"). On the single-bank F4 an erase stalls code fetch, so a bootloader runs its UART receive path and the data
 * link from SRAM: frames keep arriving, frames for other nodes keep being forwarded, link management keeps being
 * answered, and packets for this node wait in the receive buffers until the flash is idle and the RPC handlers (in
 * flash) run again. Between csa_busy_link_begin and csa_busy_link_end every packet the node delivers to a bound port
 * is copied into a receive buffer instead of reaching its handler (at most the node's advertised rx_buffers; one
 * more is lost, as on the chip, and counted as SocketQueueFull on its link); csa_busy_link_deliver hands them to
 * their handlers later, in arrival order. Static memory, one node.
 *
 * Shared by the device process (apps/csa-device: around its pump, from the flash simulation's busy hook) and the chip
 * bootloader (chips/bootloader: csa_busy_link_receive from the flash driver's wait loop). Everything the busy side
 * reaches (begin, end, receive and the holding handler) carries CSA_CONFIG_LINK_RAMFUNC, as the node's receive path
 * does; csa_busy_link_deliver and csa_busy_link_reset run with the flash idle.
 */
#ifndef CSA_SERVICE_BUSY_LINK_H_
#define CSA_SERVICE_BUSY_LINK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csa/csa_node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Forgets every held packet (RAM is new at a reset or a power-on). */
void csa_busy_link_reset(void);
/* From now on packets for node's ports are held (its handlers are swapped for the holding one). */
void csa_busy_link_begin(csa_node_t *node);
/* The node's own handlers again. */
void csa_busy_link_end(csa_node_t *node);
/* The busy step of one link: begin, csa_node_receive(node, link, data, len, now), end. The caller makes sure the
 * node is not in the middle of a receive already (a flash operation inside a handler the main loop is feeding). */
void csa_busy_link_receive(csa_node_t *node, uint8_t link, const uint8_t *data, size_t len, uint32_t now);
/* Hands every held packet to its port's handler, oldest first (a handler may hold more meanwhile: they follow).
 * Returns true when it delivered any. */
bool csa_busy_link_deliver(csa_node_t *node);
/* Packets held now. */
unsigned csa_busy_link_held(void);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_BUSY_LINK_H_ */
