/* The link while the flash is busy (csa_service/busy_link.h). */
#include "csa_service/busy_link.h"

typedef struct {
    uint8_t src_node, src_port, dst_node, dst_port, link;
    uint16_t len;
    uint8_t data[CSA_CONFIG_MAX_PACKET_SIZE];
} held_packet;

typedef struct {
    csa_port_handler_fn handler;
    void *ctx;
} bound_handler;

static held_packet held[CSA_CONFIG_RX_BUFFERS]; /* a ring: the receive buffers DMA fills on a chip */
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

/* A byte loop, not memcpy: the C library's copy lives in flash, and this runs while the flash may be busy. */
CSA_CONFIG_LINK_RAMFUNC static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
    while (n-- > 0u)
        *dst++ = *src++;
}

CSA_CONFIG_LINK_RAMFUNC static void hold(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    held_packet *h;
    (void)ctx;
    if (count >= node->limits.rx_buffers || p->len > sizeof h->data) {
        node->links[p->link < node->link_count ? p->link : 0].counters.dropped[CSA_DROP_SOCKET_QUEUE_FULL]++;
        return; /* every receive buffer is full: lost, as on the chip; the host's repair sends it again */
    }
    h = &held[(head + count) % CSA_CONFIG_RX_BUFFERS];
    h->src_node = p->src_node;
    h->src_port = p->src_port;
    h->dst_node = p->dst_node;
    h->dst_port = p->dst_port;
    h->link = p->link;
    h->len = (uint16_t)p->len;
    copy_bytes(h->data, p->data, p->len);
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
        held_packet *h = &held[head];
        csa_packet_t p;
        unsigned i;
        p.src_node = h->src_node;
        p.src_port = h->src_port;
        p.dst_node = h->dst_node;
        p.dst_port = h->dst_port;
        p.link = h->link;
        p.data = h->data;
        p.len = h->len;
        for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
            if (node->ports[i].handler != NULL && node->ports[i].handler != hold && node->ports[i].port == p.dst_port) {
                node->ports[i].handler(node->ports[i].ctx, node, &p); /* the buffer stays taken until it returns */
                break;
            }
        }
        head = (head + 1u) % CSA_CONFIG_RX_BUFFERS;
        count--;
        delivered = true;
    }
    return delivered;
}
