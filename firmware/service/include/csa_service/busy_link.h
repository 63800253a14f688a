/*
 * The link while the flash is busy (device-model.md 6.4.1, docs/firmware.md "While the flash is busy" and "On the
 * chips"). On the single-bank F4 an erase stalls code fetch, so a bootloader runs its UART receive path and the data
 * link from SRAM: frames keep arriving, frames for other nodes keep being forwarded, link management keeps being
 * answered, and packets for this node wait in the receive buffers until the flash is idle and the RPC handlers (in
 * flash) run again. Between csa_busy_link_begin and csa_busy_link_end every packet the node delivers to a bound port
 * stays in one of the node's receive buffers (csa_node_hold_packet: where it was reassembled, or copied there from
 * the frame) instead of reaching its handler; held packets and packets in reassembly share the node's advertised
 * rx_buffers, and one more is lost, as on the chip, counted as SocketQueueFull on its link. csa_busy_link_deliver
 * hands them to their handlers later, in arrival order. They live in the node: csa_node_init forgets them.
 *
 * Shared by the device process (apps/csa-device: around its pump, from the flash simulation's busy hook) and the chip
 * bootloader (chips/bootloader: csa_busy_link_receive from the flash driver's wait loop). Everything the busy side
 * reaches (begin, end, receive and the holding handler) carries CSA_CONFIG_LINK_RAMFUNC, as the node's receive path
 * does; csa_busy_link_deliver runs with the flash idle.
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

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_BUSY_LINK_H_ */
