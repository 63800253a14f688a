/*
 * The link while the flash is busy. On the single-bank F4 an erase stalls code fetch, so a bootloader runs its
 * UART/DMA receive path and the data link from SRAM (device-model.md 6.4.1): frames keep arriving, frames for other
 * nodes keep being forwarded, and packets for this node wait in the receive buffers until the flash is idle and the
 * RPC handlers (in flash) run again. The device process does the same around csa_node_receive: between
 * csa_busy_link_begin and csa_busy_link_end every packet the node delivers to a bound port is copied into a receive
 * buffer instead of reaching its handler (at most the node's advertised rx_buffers; one more is lost, as on the chip,
 * and counted as SocketQueueFull on its link); csa_busy_link_deliver hands them to their handlers later, in arrival
 * order. Link management (capabilities, echo, addresses, groups) and forwarding are the data link's own and keep
 * running. Static memory, one node.
 */
#ifndef CSA_DEVICE_BUSY_LINK_H_
#define CSA_DEVICE_BUSY_LINK_H_

#include <stdbool.h>

#include "csa/csa_node.h"

/* Forgets every held packet (RAM is new at a reset or a power-on). */
void csa_busy_link_reset(void);
/* From now on packets for node's ports are held (its handlers are swapped for the holding one). */
void csa_busy_link_begin(csa_node_t *node);
/* The node's own handlers again. */
void csa_busy_link_end(csa_node_t *node);
/* Hands every held packet to its port's handler, oldest first (a handler may hold more meanwhile: they follow).
 * Returns true when it delivered any. */
bool csa_busy_link_deliver(csa_node_t *node);
/* Packets held now. */
unsigned csa_busy_link_held(void);

#endif /* CSA_DEVICE_BUSY_LINK_H_ */
