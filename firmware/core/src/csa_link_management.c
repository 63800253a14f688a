/* Link management on port 0 (protocol.md section 7), answered by the data link itself: capabilities, echo, assign
   and forget address, join and leave group (csa_groups.c); and the requester side for capabilities, so an RPC client learns a peer's receive buffers. */
#include "csa_node_internal.h"
#include "csa_wire.h"

#include <string.h>

/* Reads a 2-byte return limit; 0 unless it is exactly two bytes and at least the protocol minimum. */
CSA_CONFIG_LINK_RAMFUNC static uint16_t read_frame_limit(const uint8_t *field, size_t len)
{
    uint16_t limit;
    if (len != 2u)
        return 0;
    limit = csa_get_u16(field);
    return limit < CSA_MIN_MAX_FRAME_SIZE ? 0u : limit;
}

/* The requester told us the largest frame it takes back: our path limit towards it (7.1). */
CSA_CONFIG_LINK_RAMFUNC static void learn_return_limit(csa_node_t *node, uint8_t requester, uint16_t limit)
{
    csa_peer_t *peer;
    if (!csa_addr_is_routable(requester))
        return;
    peer = csa_peer_get(node, requester, true);
    peer->path_limit = limit;
}

CSA_CONFIG_LINK_RAMFUNC void csa_lm_reply(csa_node_t *node, const csa_packet_t *request, uint8_t type, uint8_t token, const uint8_t *body,
                  size_t body_len)
{
    uint8_t message[64];
    if (2u + body_len <= sizeof message) {
        message[0] = type;
        message[1] = token;
        if (body_len > 0u)
            memcpy(message + 2, body, body_len);
        (void)csa_node_send_via(node, request->link, CSA_PORT_LINK_MANAGEMENT, request->src_node, request->src_port,
                                message, 2u + body_len);
    } else if (request->link != CSA_LINK_LOCAL) {
        /* A long echo: answer from the request's own bytes (the link's frame buffer or a reassembly buffer, both the
           node's), with the type byte changed for the answer and restored for a broadcast still to be forwarded. */
        uint8_t *whole = (uint8_t *)(uintptr_t)request->data;
        uint8_t saved = whole[0];
        whole[0] = type;
        (void)csa_node_send_via(node, request->link, CSA_PORT_LINK_MANAGEMENT, request->src_node, request->src_port,
                                whole, request->len);
        whole[0] = saved;
    }
}

CSA_CONFIG_LINK_RAMFUNC static void write_capabilities(const csa_node_t *node, uint8_t *body)
{
    body[0] = (uint8_t)CSA_PROTOCOL_VERSION;
    csa_put_u16(body + 1, node->limits.max_frame_size);
    body[3] = node->limits.rx_buffers;
}

CSA_CONFIG_LINK_RAMFUNC static void handle_response(csa_node_t *node, const csa_packet_t *p, uint8_t type, uint8_t token)
{
    unsigned i;
    const uint8_t *body = p->data + 2;
    size_t body_len = p->len - 2u;
    for (i = 0; i < sizeof node->lm_requests / sizeof node->lm_requests[0]; i++) {
        csa_lm_request_t *r = &node->lm_requests[i];
        uint16_t max_frame;
        csa_peer_t *peer;
        if (!r->active || r->token != token || r->address != p->src_node ||
            type != (CSA_LM_CAPABILITIES_REQUEST | CSA_LM_RESPONSE))
            continue;
        if (body_len < 4u || (max_frame = csa_get_u16(body + 1)) < CSA_MIN_MAX_FRAME_SIZE || body[3] == 0u)
            break; /* impossible capabilities: not accepted */
        r->active = false;
        peer = csa_peer_get(node, p->src_node, true);
        peer->has_capabilities = true;
        peer->max_frame_size = max_frame;
        peer->rx_buffers = body[3];
        return;
    }
    csa_node_drop(node, p->link, CSA_DROP_INVALID_LINK_MANAGEMENT); /* late, duplicate or unsolicited */
}

CSA_CONFIG_LINK_RAMFUNC void csa_lm_handle(csa_node_t *node, const csa_packet_t *p)
{
    uint8_t type, token, caps[4];
    const uint8_t *body;
    size_t body_len;
    uint16_t limit;
    if (p->len < 2u) {
        csa_node_drop(node, p->link, CSA_DROP_INVALID_LINK_MANAGEMENT);
        return;
    }
    type = p->data[0];
    token = p->data[1];
    body = p->data + 2;
    body_len = p->len - 2u;
    if ((type & CSA_LM_RESPONSE) != 0u) {
        handle_response(node, p, type, token);
        return;
    }
    switch (type) {
    case CSA_LM_CAPABILITIES_REQUEST:
        limit = read_frame_limit(body, body_len);
        if (limit == 0u)
            break;
        learn_return_limit(node, p->src_node, limit);
        write_capabilities(node, caps);
        csa_lm_reply(node, p, CSA_LM_CAPABILITIES_REQUEST | CSA_LM_RESPONSE, token, caps, sizeof caps);
        return;
    case CSA_LM_ECHO_REQUEST:
        csa_lm_reply(node, p, CSA_LM_ECHO_REQUEST | CSA_LM_RESPONSE, token, body, body_len);
        return;
    case CSA_LM_ASSIGN_ADDRESS:
        if (!node->allow_assignment || node->address != CSA_ADDR_UNASSIGNED || p->dst_node != CSA_ADDR_UNASSIGNED ||
            body_len != 3u || body[0] == CSA_ADDR_HOST || body[0] > CSA_ADDR_LAST_DEVICE)
            break;
        limit = read_frame_limit(body + 1, 2u);
        if (limit == 0u)
            break;
        node->address = body[0];
        learn_return_limit(node, p->src_node, limit);
        write_capabilities(node, caps);
        csa_lm_reply(node, p, CSA_LM_ASSIGN_ADDRESS | CSA_LM_RESPONSE, token, caps, sizeof caps);
        return;
    case CSA_LM_FORGET_ADDRESS:
        if (!node->allow_assignment || body_len != 0u)
            break;
        node->address = CSA_ADDR_UNASSIGNED;
        csa_routes_forget_learnt(node, CSA_LINK_LOCAL); /* groups stay: a re-enumerated chain keeps its members */
        return;
#if CSA_CONFIG_MAX_GROUPS > 0
    case CSA_LM_JOIN_GROUP:
    case CSA_LM_LEAVE_GROUP:
        if (csa_lm_group_request(node, p, type, token))
            return;
        break;
#endif
    default:
        break;
    }
    csa_node_drop(node, p->link, CSA_DROP_INVALID_LINK_MANAGEMENT);
}

static void send_capabilities_request(csa_node_t *node, csa_lm_request_t *r)
{
    uint8_t message[4];
    const csa_peer_t *peer = csa_node_peer(node, r->address);
    uint16_t limit = node->limits.max_frame_size;
    if (peer != NULL && peer->path_limit != 0u && peer->path_limit < limit)
        limit = peer->path_limit;
    message[0] = CSA_LM_CAPABILITIES_REQUEST;
    message[1] = r->token;
    csa_put_u16(message + 2, limit);
    r->attempts++;
    r->deadline = node->now + CSA_LM_TIMEOUT_MS;
    (void)csa_node_send(node, CSA_PORT_LINK_MANAGEMENT, r->address, CSA_PORT_LINK_MANAGEMENT, message, sizeof message);
}

int csa_node_request_capabilities(csa_node_t *node, uint8_t address)
{
    unsigned i;
    csa_lm_request_t *free_slot = NULL;
    if (!csa_addr_is_routable(address) || address == node->address)
        return CSA_ERR_ARGUMENT;
    for (i = 0; i < sizeof node->lm_requests / sizeof node->lm_requests[0]; i++) {
        csa_lm_request_t *r = &node->lm_requests[i];
        if (r->active && r->address == address)
            return CSA_OK; /* already asking */
        if (!r->active && free_slot == NULL)
            free_slot = r;
    }
    if (free_slot == NULL)
        return CSA_ERR_FULL;
    free_slot->active = true;
    free_slot->address = address;
    free_slot->token = ++node->next_token;
    free_slot->attempts = 0;
    send_capabilities_request(node, free_slot);
    return CSA_OK;
}

void csa_lm_poll(csa_node_t *node)
{
    unsigned i;
    for (i = 0; i < sizeof node->lm_requests / sizeof node->lm_requests[0]; i++) {
        csa_lm_request_t *r = &node->lm_requests[i];
        if (!r->active || !csa_time_reached(node->now, r->deadline))
            continue;
        if (r->attempts >= CSA_LM_ATTEMPTS)
            r->active = false; /* no answer: the caller sees no capabilities and keeps a window of 1 */
        else
            send_capabilities_request(node, r); /* same token: a late answer to an earlier attempt still counts */
    }
}
