/* Reassembly of multi-frame packets, protocol.md 6.2: per link, keyed by (source endpoint, destination port, packet
   id); fragments strictly in index order; at most CSA_CONFIG_REASSEMBLY_PER_SOURCE packets per source node and link
   (the oldest is evicted); a packet whose next fragment does not come in time is discarded. Each packet in progress
   holds one of the node's receive buffers; when all are taken the oldest packet in progress is evicted. A whole packet
   held for later delivery (csa_node_hold_packet) keeps its buffer until it is released: it is never continued,
   evicted or expired, and when every buffer holds one a new packet is lost (SocketQueueFull). */
#include "csa_node_internal.h"
#include "csa_wire.h"

#include <string.h>

/* The node frees a packet's buffer once its handler returns; a held one stays until csa_node_release_packet. */
CSA_CONFIG_LINK_RAMFUNC void csa_reassembly_free(csa_reassembly_t *slot)
{
    if (slot->held)
        return;
    slot->used = false;
    slot->length = 0;
    slot->next_index = 0;
}

CSA_CONFIG_LINK_RAMFUNC static csa_reassembly_t *find(csa_node_t *node, uint8_t link, const csa_frame_header_t *h)
{
    unsigned i;
    for (i = 0; i < node->limits.rx_buffers; i++) {
        csa_reassembly_t *s = &node->reassembly[i];
        if (s->used && !s->held && s->link == link && s->src_node == h->src_node && s->src_port == h->src_port &&
            s->dst_port == h->dst_port && s->packet_id == h->packet_id)
            return s;
    }
    return NULL;
}

CSA_CONFIG_LINK_RAMFUNC static bool older(const csa_reassembly_t *a, const csa_reassembly_t *b)
{
    return b == NULL || (int32_t)(a->sequence - b->sequence) < 0;
}

/* Makes room for one more packet from this source: evicts its oldest beyond the per-source limit, then, when
   every receive buffer is taken, the oldest packet in progress of any source. Returns a free slot. */
CSA_CONFIG_LINK_RAMFUNC static csa_reassembly_t *allocate(csa_node_t *node, uint8_t link, uint8_t src_node)
{
    csa_reassembly_t *oldest_same = NULL, *oldest_any = NULL, *free_slot = NULL;
    unsigned i, same = 0;
    for (i = 0; i < node->limits.rx_buffers; i++) {
        csa_reassembly_t *s = &node->reassembly[i];
        if (!s->used) {
            if (free_slot == NULL)
                free_slot = s;
            continue;
        }
        if (s->held)
            continue;
        if (s->link == link && s->src_node == src_node) {
            same++;
            if (older(s, oldest_same))
                oldest_same = s;
        }
        if (older(s, oldest_any))
            oldest_any = s;
    }
    if (same >= CSA_CONFIG_REASSEMBLY_PER_SOURCE && oldest_same != NULL) {
        csa_node_drop(node, oldest_same->link, CSA_DROP_REASSEMBLY_EVICTED);
        csa_reassembly_free(oldest_same);
        return free_slot != NULL ? free_slot : oldest_same;
    }
    if (free_slot != NULL)
        return free_slot;
    if (oldest_any == NULL)
        return NULL; /* every buffer holds a whole packet for later delivery */
    csa_node_drop(node, oldest_any->link, CSA_DROP_REASSEMBLY_EVICTED);
    csa_reassembly_free(oldest_any);
    return oldest_any;
}

CSA_CONFIG_LINK_RAMFUNC csa_reassembly_t *csa_reassembly_accept(csa_node_t *node, uint8_t link, const csa_frame_header_t *h,
                                        const uint8_t *payload, size_t payload_len)
{
    csa_reassembly_t *slot = find(node, link, h);
    if (slot != NULL && h->fragment != slot->next_index) {
        if (h->fragment == 0u) {
            /* The sender started this packet id afresh: restart it. */
            csa_reassembly_free(slot);
            csa_node_drop(node, link, CSA_DROP_FRAGMENT_OUT_OF_ORDER);
            slot = NULL;
        } else if (h->fragment < slot->next_index) {
            csa_node_drop(node, link, CSA_DROP_DUPLICATE_FRAGMENT);
            return NULL;
        } else {
            csa_reassembly_free(slot);
            csa_node_drop(node, link, CSA_DROP_FRAGMENT_OUT_OF_ORDER);
            return NULL;
        }
    }
    if (slot == NULL) {
        if (h->fragment != 0u) {
            csa_node_drop(node, link, CSA_DROP_ORPHAN_FRAGMENT);
            return NULL;
        }
        slot = allocate(node, link, h->src_node);
        if (slot == NULL) {
            csa_node_drop(node, link, CSA_DROP_SOCKET_QUEUE_FULL);
            return NULL;
        }
        slot->used = true;
        slot->held = false;
        slot->link = link;
        slot->src_node = h->src_node;
        slot->src_port = h->src_port;
        slot->dst_port = h->dst_port;
        slot->packet_id = h->packet_id;
        slot->next_index = 0;
        slot->length = 0;
        slot->sequence = ++node->sequence;
    }
    if (payload_len > (size_t)node->limits.max_packet_size - slot->length ||
        (!h->last && h->fragment == CSA_MAX_FRAGMENTS - 1u)) {
        csa_reassembly_free(slot);
        csa_node_drop(node, link, CSA_DROP_PACKET_TOO_LARGE);
        return NULL;
    }
    if (payload_len > 0u)
        memcpy(slot->data + slot->length, payload, payload_len);
    slot->length += (uint32_t)payload_len;
    slot->next_index++;
    slot->deadline = node->now + CSA_CONFIG_REASSEMBLY_TIMEOUT_MS;
    return h->last ? slot : NULL;
}

void csa_reassembly_expire(csa_node_t *node)
{
    unsigned i;
    for (i = 0; i < node->limits.rx_buffers; i++) {
        csa_reassembly_t *s = &node->reassembly[i];
        if (s->used && !s->held && csa_time_reached(node->now, s->deadline)) {
            csa_node_drop(node, s->link, CSA_DROP_REASSEMBLY_TIMEOUT);
            csa_reassembly_free(s);
        }
    }
}

unsigned csa_node_reassemblies(const csa_node_t *node)
{
    unsigned i, n = 0;
    for (i = 0; i < node->limits.rx_buffers; i++)
        n += node->reassembly[i].used && !node->reassembly[i].held ? 1u : 0u;
    return n;
}

CSA_CONFIG_LINK_RAMFUNC csa_reassembly_t *csa_node_hold_packet(csa_node_t *node, const csa_packet_t *p)
{
    csa_reassembly_t *slot = NULL;
    unsigned i;
    for (i = 0; i < node->limits.rx_buffers; i++) {
        csa_reassembly_t *s = &node->reassembly[i];
        if (s->used && !s->held && p->data == s->data) {
            slot = s; /* reassembled here: it stays */
            break;
        }
        if (!s->used && slot == NULL && p->len <= sizeof s->data)
            slot = s; /* a free one for a single-frame packet, unless it was reassembled further on */
    }
    if (slot == NULL) {
        csa_node_drop(node, p->link, CSA_DROP_SOCKET_QUEUE_FULL);
        return NULL;
    }
    if (p->data != slot->data) {
        memcpy(slot->data, p->data, p->len); /* on a chip the image's own memcpy, in SRAM (CSA_LINK_RAMFUNC) */
        slot->length = (uint32_t)p->len;
    }
    slot->used = true;
    slot->held = true;
    slot->sequence = ++node->sequence; /* held packets are handed on in arrival order */
    slot->link = p->link;
    slot->src_node = p->src_node;
    slot->src_port = p->src_port;
    slot->dst_node = p->dst_node;
    slot->dst_port = p->dst_port;
    return slot;
}

csa_reassembly_t *csa_node_oldest_held(csa_node_t *node)
{
    csa_reassembly_t *oldest = NULL;
    unsigned i;
    for (i = 0; i < node->limits.rx_buffers; i++) {
        csa_reassembly_t *s = &node->reassembly[i];
        if (s->held && older(s, oldest))
            oldest = s;
    }
    return oldest;
}

void csa_node_held_packet(const csa_reassembly_t *held, csa_packet_t *p)
{
    p->src_node = held->src_node;
    p->src_port = held->src_port;
    p->dst_node = held->dst_node;
    p->dst_port = held->dst_port;
    p->link = held->link;
    p->data = held->data;
    p->len = held->length;
}

void csa_node_release_packet(csa_reassembly_t *held)
{
    held->held = false;
    csa_reassembly_free(held);
}
