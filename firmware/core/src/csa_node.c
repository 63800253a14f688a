/* The node: links, receiving frames, delivery, forwarding (protocol.md 6.2, 6.3) and sending packets (6.1). */
#include "csa_node_internal.h"
#include "csa_wire.h"

#include <string.h>

#define IDLE_RESYNC_MS 100u /* protocol.md 3.2: a leading delimiter after this much silence */

int csa_node_init(csa_node_t *node, const csa_limits_t *limits, uint8_t address, bool allow_assignment, uint32_t now)
{
    csa_limits_t l;
    if (limits == NULL) {
        l.max_frame_size = (uint16_t)CSA_CONFIG_MAX_FRAME_SIZE;
        l.rx_buffers = (uint8_t)CSA_CONFIG_RX_BUFFERS;
        l.max_packet_size = (uint16_t)CSA_CONFIG_MAX_PACKET_SIZE;
    } else {
        l = *limits;
    }
    if (l.max_frame_size < CSA_MIN_MAX_FRAME_SIZE || l.max_frame_size > CSA_CONFIG_MAX_FRAME_SIZE ||
        l.rx_buffers < 1u || l.rx_buffers > CSA_CONFIG_RX_BUFFERS || l.max_packet_size < 8u ||
        l.max_packet_size > CSA_CONFIG_MAX_PACKET_SIZE)
        return CSA_ERR_ARGUMENT;
    if (address == CSA_ADDR_BROADCAST || (address > CSA_ADDR_LAST_DEVICE && address != CSA_ADDR_UNASSIGNED))
        return CSA_ERR_ARGUMENT;
    memset(node, 0, sizeof *node);
    node->limits = l;
    node->address = address;
    node->allow_assignment = allow_assignment;
    node->hop_limit = (uint8_t)CSA_CONFIG_HOP_LIMIT;
#if CSA_CONFIG_MAX_GROUPS > 0
    node->max_groups = (uint8_t)CSA_CONFIG_MAX_GROUPS; /* a member of none yet: groups are RAM state */
#endif
    node->now = now;
#if CSA_CONFIG_CUT_THROUGH
    node->cut_through = true;
#endif
    /* Packet ids and tokens only need to differ from recent ones; start them somewhere other than 0. */
    node->next_packet_id = (uint16_t)(now * 40503u);
    node->next_token = (uint8_t)(now >> 3);
    return CSA_OK;
}

int csa_node_add_link(csa_node_t *node, csa_link_role_t role, csa_link_write_fn write, void *ctx)
{
    csa_link_t *link;
    if (write == NULL)
        return CSA_ERR_ARGUMENT;
    if (node->link_count >= CSA_CONFIG_MAX_LINKS)
        return CSA_ERR_FULL;
    link = &node->links[node->link_count];
    memset(link, 0, sizeof *link);
    link->write = write;
    link->ctx = ctx;
    link->role = role;
    link->open = true;
    csa_frame_rx_init(&link->rx, node->limits.max_frame_size);
    return node->link_count++;
}

void csa_node_set_link_open(csa_node_t *node, uint8_t index, bool open)
{
    csa_link_t *link;
    if (index >= node->link_count)
        return;
    link = &node->links[index];
    if (link->open && !open) {
#if CSA_CONFIG_CUT_THROUGH
        csa_ct_link_closed(node, index);
#endif
        if (csa_frame_rx_truncate(&link->rx)) {
            link->counters.resynchronisations++;
            link->counters.dropped[CSA_DROP_TRUNCATED]++;
        }
        csa_routes_forget_learnt(node, index);
    }
    if (!link->open && open)
        link->sent_before = false; /* a new far end: its receiver gets a leading delimiter first */
    link->open = open;
}

int csa_node_bind(csa_node_t *node, uint8_t port, csa_port_handler_fn handler, void *ctx)
{
    unsigned i;
    if (port == CSA_PORT_LINK_MANAGEMENT || handler == NULL)
        return CSA_ERR_ARGUMENT;
    for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
        if (node->ports[i].handler != NULL && node->ports[i].port == port)
            return CSA_ERR_EXISTS;
    }
    for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
        if (node->ports[i].handler == NULL) {
            node->ports[i].port = port;
            node->ports[i].handler = handler;
            node->ports[i].ctx = ctx;
            return CSA_OK;
        }
    }
    return CSA_ERR_FULL;
}

CSA_CONFIG_LINK_RAMFUNC static int find_port(const csa_node_t *node, uint8_t port)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_MAX_PORTS; i++) {
        if (node->ports[i].handler != NULL && node->ports[i].port == port)
            return (int)i;
    }
    return -1;
}

CSA_CONFIG_LINK_RAMFUNC csa_counters_t *csa_node_counters(csa_node_t *node, uint8_t link)
{
    return link < node->link_count ? &node->links[link].counters : &node->local;
}

CSA_CONFIG_LINK_RAMFUNC void csa_node_drop(csa_node_t *node, uint8_t link, csa_drop_reason_t reason)
{
    csa_node_counters(node, link)->dropped[reason]++;
}

void csa_node_set_address(csa_node_t *node, uint8_t address)
{
    if (address == CSA_ADDR_UNASSIGNED || csa_addr_is_routable(address))
        node->address = address;
}

void csa_node_totals(const csa_node_t *node, csa_counters_t *t)
{
    unsigned i, r;
    *t = node->local;
    for (i = 0; i < node->link_count; i++) {
        const csa_counters_t *c = &node->links[i].counters;
        t->frames_received += c->frames_received;
        t->frames_sent += c->frames_sent;
        t->bytes_received += c->bytes_received;
        t->bytes_sent += c->bytes_sent;
        t->frames_forwarded += c->frames_forwarded;
        t->packets_received += c->packets_received;
        t->packets_sent += c->packets_sent;
        t->resynchronisations += c->resynchronisations;
#if CSA_CONFIG_CUT_THROUGH
        t->frames_cut_through += c->frames_cut_through;
        t->frames_poisoned += c->frames_poisoned;
#endif
        for (r = 0; r < CSA_DROP_REASON_COUNT; r++)
            t->dropped[r] += c->dropped[r];
    }
}

/* ---- sending ---- */

CSA_CONFIG_LINK_RAMFUNC static void counted_write(void *ctx, const uint8_t *data, size_t n)
{
    csa_link_t *link = (csa_link_t *)ctx;
    link->counters.bytes_sent += (uint32_t)n;
    link->write(link->ctx, data, n);
}

/* The leading delimiter of protocol.md 3.2 before a frame, when the link has been silent (or never sent). */
CSA_CONFIG_LINK_RAMFUNC static void begin_burst(csa_node_t *node, csa_link_t *link)
{
    if (!link->sent_before || (uint32_t)(node->now - link->last_tx_ms) >= IDLE_RESYNC_MS) {
        static CSA_CONFIG_LINK_RAMDATA const uint8_t delimiter = 0u; /* read while the flash may be busy */
        counted_write(link, &delimiter, 1u);
    }
}

#if CSA_CONFIG_CUT_THROUGH
void csa_node_link_write(csa_node_t *node, uint8_t index, const uint8_t *data, size_t n)
{
    counted_write(&node->links[index], data, n);
}

void csa_node_begin_burst(csa_node_t *node, uint8_t index)
{
    begin_burst(node, &node->links[index]);
}
#endif

/* Writes one decoded frame to a link: a leading delimiter after silence, then COBS and the delimiter. A frame being
   passed on to the link (cut-through) gives way first: nothing may come between its bytes. */
CSA_CONFIG_LINK_RAMFUNC static void write_frame(csa_node_t *node, csa_link_t *link, const uint8_t *frame, size_t len)
{
#if CSA_CONFIG_CUT_THROUGH
    csa_ct_yield(node, (uint8_t)(link - node->links));
#endif
    begin_burst(node, link);
    csa_frame_send_encoded(frame, len, counted_write, link);
    link->sent_before = true;
    link->last_tx_ms = node->now;
    link->counters.frames_sent++;
}

CSA_CONFIG_LINK_RAMFUNC static int send_on_link(csa_node_t *node, csa_link_t *link, csa_frame_header_t *h, const uint8_t *packet, size_t len,
                        size_t per_frame, unsigned fragments)
{
    unsigned i;
    for (i = 0; i < fragments; i++) {
        size_t offset = (size_t)i * per_frame;
        size_t n = len - offset < per_frame ? len - offset : per_frame;
        size_t frame_len;
        h->fragment = (uint8_t)i;
        h->last = i + 1u == fragments;
        frame_len = csa_frame_write(h, packet + offset, n, node->tx_frame, sizeof node->tx_frame);
        write_frame(node, link, node->tx_frame, frame_len);
    }
    link->counters.packets_sent++;
    return CSA_OK;
}

CSA_CONFIG_LINK_RAMFUNC static int send_packet(csa_node_t *node, uint8_t via, uint8_t src_port, uint8_t dst_node, uint8_t dst_port,
                       const uint8_t *packet, size_t len)
{
    csa_frame_header_t h;
    size_t per_frame;
    unsigned fragments, i, sent = 0;
    uint8_t route;
    bool any_downstream = false;
    if (len > node->limits.max_packet_size)
        return CSA_ERR_TOO_LARGE;
    if (via == CSA_LINK_LOCAL && dst_node == node->address && node->address != CSA_ADDR_UNASSIGNED) {
        csa_packet_t p;
        p.src_node = node->address;
        p.src_port = src_port;
        p.dst_node = dst_node;
        p.dst_port = dst_port;
        p.link = CSA_LINK_LOCAL;
        p.data = packet;
        p.len = len;
        node->local.packets_sent++;
        csa_node_deliver(node, &p);
        return CSA_OK;
    }
    per_frame = (size_t)csa_node_path_frame_size(node, dst_node) - CSA_FRAME_OVERHEAD;
    fragments = len == 0u ? 1u : (unsigned)((len + per_frame - 1u) / per_frame);
    if (fragments > CSA_MAX_FRAGMENTS)
        return CSA_ERR_TOO_LARGE;
    h.hop_limit = node->hop_limit;
    h.dst_node = dst_node;
    h.dst_port = dst_port;
    h.src_node = node->address;
    h.src_port = src_port;
    h.packet_id = node->next_packet_id++;
    if (via != CSA_LINK_LOCAL) {
        if (via >= node->link_count || !node->links[via].open)
            return CSA_ERR_NO_LINK;
        return send_on_link(node, &node->links[via], &h, packet, len, per_frame, fragments);
    }
    route = csa_node_route(node, dst_node);
    if (route != CSA_LINK_LOCAL) {
        /* A route to a closed link is kept: the send fails instead of vanishing into a flood. */
        if (!node->links[route].open)
            return CSA_ERR_NO_LINK;
        return send_on_link(node, &node->links[route], &h, packet, len, per_frame, fragments);
    }
    if (dst_node == CSA_ADDR_UNASSIGNED) {
        for (i = 0; i < node->link_count; i++)
            any_downstream = any_downstream || (node->links[i].open && node->links[i].role == CSA_LINK_DOWNSTREAM);
    }
    for (i = 0; i < node->link_count; i++) {
        csa_link_t *link = &node->links[i];
        if (!link->open || (any_downstream && link->role != CSA_LINK_DOWNSTREAM))
            continue;
        (void)send_on_link(node, link, &h, packet, len, per_frame, fragments);
        sent++;
    }
    return sent == 0u ? CSA_ERR_NO_LINK : CSA_OK;
}

int csa_node_send(csa_node_t *node, uint8_t src_port, uint8_t dst_node, uint8_t dst_port, const uint8_t *packet,
                  size_t len)
{
    return send_packet(node, CSA_LINK_LOCAL, src_port, dst_node, dst_port, packet, len);
}

CSA_CONFIG_LINK_RAMFUNC int csa_node_send_via(csa_node_t *node, uint8_t link, uint8_t src_port, uint8_t dst_node, uint8_t dst_port,
                      const uint8_t *packet, size_t len)
{
    if (link == CSA_LINK_LOCAL)
        return send_packet(node, CSA_LINK_LOCAL, src_port, dst_node, dst_port, packet, len);
    return send_packet(node, link, src_port, dst_node, dst_port, packet, len);
}

/* ---- receiving ---- */

CSA_CONFIG_LINK_RAMFUNC void csa_node_deliver(csa_node_t *node, const csa_packet_t *p)
{
    int slot;
    if (p->dst_port == CSA_PORT_LINK_MANAGEMENT) {
        csa_node_counters(node, p->link)->packets_received++;
        csa_lm_handle(node, p);
        return;
    }
    slot = find_port(node, p->dst_port);
    if (slot < 0) {
        if (p->dst_node != CSA_ADDR_BROADCAST && !csa_addr_is_group(p->dst_node))
            csa_node_drop(node, p->link, CSA_DROP_PORT_NOT_BOUND);
        return;
    }
    csa_node_counters(node, p->link)->packets_received++;
    node->ports[slot].handler(node->ports[slot].ctx, node, p);
}

/* A frame for this node (a broadcast, a group it joined): deliver a single-frame packet at once, reassemble the
   others. */
CSA_CONFIG_LINK_RAMFUNC static void receive_frame(csa_node_t *node, uint8_t link, const csa_frame_header_t *h, const uint8_t *payload,
                          size_t payload_len)
{
    csa_packet_t p;
    csa_reassembly_t *complete;
    if (h->dst_port != CSA_PORT_LINK_MANAGEMENT && find_port(node, h->dst_port) < 0) {
        /* Nobody listens: do not spend a receive buffer on it. */
        if (h->dst_node != CSA_ADDR_BROADCAST && !csa_addr_is_group(h->dst_node))
            csa_node_drop(node, link, CSA_DROP_PORT_NOT_BOUND);
        return;
    }
    p.src_node = h->src_node;
    p.src_port = h->src_port;
    p.dst_node = h->dst_node;
    p.dst_port = h->dst_port;
    p.link = link;
    if (h->fragment == 0u && h->last) {
        if (payload_len > node->limits.max_packet_size) {
            csa_node_drop(node, link, CSA_DROP_PACKET_TOO_LARGE);
            return;
        }
        p.data = payload;
        p.len = payload_len;
        csa_node_deliver(node, &p);
        return;
    }
    complete = csa_reassembly_accept(node, link, h, payload, payload_len);
    if (complete == NULL)
        return;
    p.data = complete->data;
    p.len = complete->length;
    csa_node_deliver(node, &p);
    csa_reassembly_free(complete);
}

/* Passes a frame that is not (only) for this node on (protocol.md 6.3). The frame is changed in place. A group frame
   goes on like a broadcast: members further down the chain need it whether or not this node took it. */
CSA_CONFIG_LINK_RAMFUNC static void forward_frame(csa_node_t *node, uint8_t from, uint8_t *frame, size_t frame_len, const csa_frame_header_t *h)
{
    bool broadcast = h->dst_node == CSA_ADDR_BROADCAST || csa_addr_is_group(h->dst_node);
    uint8_t route = csa_addr_is_routable(h->dst_node) ? csa_node_route(node, h->dst_node) : CSA_LINK_LOCAL;
    unsigned i, sent = 0;
    if (node->link_count <= 1u) {
        if (!broadcast)
            csa_node_drop(node, from, CSA_DROP_NOT_FOR_THIS_NODE);
        return;
    }
    if (route != CSA_LINK_LOCAL && (route == from || !node->links[route].open)) {
        csa_node_drop(node, from, route == from ? CSA_DROP_NOT_FOR_THIS_NODE : CSA_DROP_NO_ROUTE);
        return;
    }
    if (h->hop_limit <= 1u) {
        csa_node_drop(node, from, CSA_DROP_HOP_LIMIT_EXCEEDED);
        return;
    }
    frame[1] = (uint8_t)(h->hop_limit - 1u);
    csa_frame_reseal(frame, frame_len);
    for (i = 0; i < node->link_count; i++) {
        csa_link_t *link = &node->links[i];
        if (i == from || !link->open)
            continue;
        if (route != CSA_LINK_LOCAL && i != route)
            continue;
        if (h->dst_node == CSA_ADDR_UNASSIGNED && link->role != CSA_LINK_DOWNSTREAM)
            continue;
        write_frame(node, link, frame, frame_len);
        link->counters.frames_forwarded++;
        sent++;
    }
    if (sent == 0u && !broadcast)
        csa_node_drop(node, from, CSA_DROP_NO_ROUTE);
}

/* A frame that ended intact. passed: it went on while it arrived (cut-through) and is not forwarded again. */
CSA_CONFIG_LINK_RAMFUNC static void handle_frame(csa_node_t *node, uint8_t index, csa_rx_result_t *r, bool passed)
{
    csa_link_t *link = &node->links[index];
    const csa_frame_header_t *h = &r->header;
    bool consumed = h->dst_node == node->address ||
                    (h->dst_node == CSA_ADDR_UNASSIGNED && node->address == CSA_ADDR_UNASSIGNED);
    link->counters.frames_received++;
    csa_routes_learn(node, h->src_node, index);
    if (consumed || h->dst_node == CSA_ADDR_BROADCAST || csa_node_is_member(node, h->dst_node))
        receive_frame(node, index, h, link->rx.frame + r->payload_offset, r->payload_len);
    if (!consumed && !passed)
        forward_frame(node, index, link->rx.frame, r->frame_len, h);
}

CSA_CONFIG_LINK_RAMFUNC void csa_node_receive(csa_node_t *node, uint8_t index, const uint8_t *data, size_t len, uint32_t now)
{
    csa_link_t *link;
    node->now = now;
    if (index >= node->link_count)
        return;
    link = &node->links[index];
    if (!link->open)
        return;
    link->counters.bytes_received += (uint32_t)len;
    while (len > 0u) {
        csa_rx_result_t r;
        bool passed = false;
        size_t used = csa_frame_rx_feed(&link->rx, data, len, &r);
        data += used;
        len -= used;
#if CSA_CONFIG_CUT_THROUGH
        if (r.status == CSA_RX_NEED_MORE) {
            link->ct.last_byte_ms = now;
            csa_ct_progress(node, index);
        } else {
            passed = csa_ct_end(node, index, &r);
        }
#endif
        if (r.status == CSA_RX_FRAME) {
            handle_frame(node, index, &r, passed);
        } else if (r.status == CSA_RX_DROPPED) {
            link->counters.resynchronisations++;
            link->counters.dropped[r.reason]++;
        }
    }
}

void csa_node_poll(csa_node_t *node, uint32_t now)
{
    node->now = now;
#if CSA_CONFIG_CUT_THROUGH
    csa_ct_poll(node);
#endif
    csa_reassembly_expire(node);
    csa_lm_poll(node);
}
