/* The link while the flash is busy (csa_service/busy_link.h). */
#include "csa_service/busy_link.h"

typedef struct {
    csa_port_handler_fn handler;
    void *ctx;
} bound_handler;

/* The packets held, oldest first: each stays in the node's own receive buffer (csa_node_hold_packet), so holding
 * costs no packet buffer of its own and held packets count against the receive buffers the node advertises. */
static csa_reassembly_t *held[CSA_CONFIG_RX_BUFFERS];
static unsigned head, count;
static bound_handler bound[CSA_CONFIG_MAX_PORTS]; /* the node's handlers while the holding one stands in */
static bool holding;

void csa_busy_link_reset(void)
{
    head = 0;
    count = 0;
}

unsigned csa_busy_link_held(void)
{
    return count;
}

CSA_CONFIG_LINK_RAMFUNC static void hold(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    csa_reassembly_t *buffer;
    (void)ctx;
    if (count >= CSA_CONFIG_RX_BUFFERS)
        return; /* cannot happen: each held packet takes one of the node's receive buffers */
    buffer = csa_node_hold_packet(node, p);
    if (buffer == NULL)
        return; /* every receive buffer is taken: lost, as on the chip (SocketQueueFull); the host's repair resends it */
    held[(head + count) % CSA_CONFIG_RX_BUFFERS] = buffer;
    count++;
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
    while (count > 0) {
        csa_reassembly_t *buffer = held[head];
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
        head = (head + 1u) % CSA_CONFIG_RX_BUFFERS;
        count--;
        delivered = true;
    }
    return delivered;
}
