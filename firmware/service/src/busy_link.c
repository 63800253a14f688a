/* The link while the flash is busy (csa_service/busy_link.h). The packets held wait in the node's own receive buffers
 * (csa_node_hold_packet), in arrival order: holding costs no packet buffer of its own, and held packets count against
 * the receive buffers the node advertises. */
#include "csa_service/busy_link.h"

typedef struct {
    csa_port_handler_fn handler;
    void *ctx;
} bound_handler;

static bound_handler bound[CSA_CONFIG_MAX_PORTS]; /* the node's handlers while the holding one stands in */
static bool holding;

CSA_CONFIG_LINK_RAMFUNC static void hold(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    (void)ctx;
    /* NULL when every receive buffer is taken: lost, as on the chip (counted SocketQueueFull); the host resends it. */
    (void)csa_node_hold_packet(node, p);
}

CSA_CONFIG_LINK_RAMFUNC void csa_busy_link_begin(csa_node_t *node)
{
    unsigned i;
    if (holding)
        return;
    for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
        bound[i].handler = node->ports[i].handler;
        bound[i].ctx = node->ports[i].ctx;
        if (node->ports[i].handler != NULL) {
            node->ports[i].handler = hold;
            node->ports[i].ctx = NULL;
        }
    }
    holding = true;
}

CSA_CONFIG_LINK_RAMFUNC void csa_busy_link_end(csa_node_t *node)
{
    unsigned i;
    if (!holding)
        return;
    for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
        if (node->ports[i].handler == hold) {
            node->ports[i].handler = bound[i].handler;
            node->ports[i].ctx = bound[i].ctx;
        }
    }
    holding = false;
}

CSA_CONFIG_LINK_RAMFUNC void csa_busy_link_receive(csa_node_t *node, uint8_t link, const uint8_t *data, size_t len,
                                                   uint32_t now)
{
    csa_busy_link_begin(node);
    csa_node_receive(node, link, data, len, now);
    csa_busy_link_end(node);
}

bool csa_busy_link_deliver(csa_node_t *node)
{
    bool delivered = false;
    csa_reassembly_t *buffer;
    /* A handler's flash operation may hold more meanwhile: they come later in the order, and are delivered too. */
    while ((buffer = csa_node_oldest_held(node)) != NULL) {
        csa_packet_t p;
        unsigned i;
        csa_node_held_packet(buffer, &p);
        for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
            if (node->ports[i].handler != NULL && node->ports[i].handler != hold && node->ports[i].port == p.dst_port) {
                node->ports[i].handler(node->ports[i].ctx, node, &p); /* the buffer stays taken until it returns */
                break;
            }
        }
        csa_node_release_packet(buffer);
        delivered = true;
    }
    return delivered;
}
