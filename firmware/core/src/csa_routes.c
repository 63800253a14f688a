/* Routes (learnt from every intact frame's source, or set explicitly) and what the node knows about its peers:
   protocol.md 6.1 (path limits) and 6.3 (routes). */
#include "csa_node_internal.h"

#include <string.h>

CSA_CONFIG_LINK_RAMFUNC void csa_routes_learn(csa_node_t *node, uint8_t source, uint8_t link)
{
    if (!csa_addr_is_routable(source) || source == node->address || link == CSA_LINK_LOCAL)
        return;
    node->routes[source] = (uint8_t)((node->routes[source] & 0xF0u) | (uint8_t)(link + 1u));
}

CSA_CONFIG_LINK_RAMFUNC void csa_routes_forget_learnt(csa_node_t *node, uint8_t link)
{
    unsigned a;
    for (a = 0; a <= CSA_ADDR_LAST_DEVICE; a++) {
        uint8_t learnt = (uint8_t)(node->routes[a] & 0x0Fu);
        if (link != CSA_LINK_LOCAL && learnt != (uint8_t)(link + 1u))
            continue;
        node->routes[a] &= 0xF0u;
        if (learnt != 0u || link == CSA_LINK_LOCAL) {
            csa_peer_t *peer = csa_peer_get(node, (uint8_t)a, false);
            if (peer != NULL)
                memset(peer, 0, sizeof *peer);
        }
    }
}

int csa_node_set_route(csa_node_t *node, uint8_t address, uint8_t link)
{
    if (!csa_addr_is_routable(address) || (link != CSA_LINK_LOCAL && link >= node->link_count))
        return CSA_ERR_ARGUMENT;
    node->routes[address] = (uint8_t)((node->routes[address] & 0x0Fu) |
                                      (link == CSA_LINK_LOCAL ? 0u : (uint8_t)((link + 1u) << 4)));
    return CSA_OK;
}

CSA_CONFIG_LINK_RAMFUNC uint8_t csa_node_route(const csa_node_t *node, uint8_t address)
{
    uint8_t r;
    if (!csa_addr_is_routable(address))
        return CSA_LINK_LOCAL;
    r = node->routes[address];
    if ((r >> 4) != 0u)
        return (uint8_t)((r >> 4) - 1u);
    if ((r & 0x0Fu) != 0u)
        return (uint8_t)((r & 0x0Fu) - 1u);
    return CSA_LINK_LOCAL;
}

CSA_CONFIG_LINK_RAMFUNC csa_peer_t *csa_peer_get(csa_node_t *node, uint8_t address, bool create)
{
    csa_peer_t *oldest = NULL;
    unsigned i;
    for (i = 0; i < CSA_CONFIG_PEERS; i++) {
        csa_peer_t *p = &node->peers[i];
        if (p->used && p->address == address) {
            p->last_used = ++node->sequence;
            return p;
        }
    }
    if (!create)
        return NULL;
    /* A free entry, else the least recently used one. */
    for (i = 0; i < CSA_CONFIG_PEERS; i++) {
        csa_peer_t *p = &node->peers[i];
        if (!p->used) {
            oldest = p;
            break;
        }
        if (oldest == NULL || (int32_t)(p->last_used - oldest->last_used) < 0)
            oldest = p;
    }
    memset(oldest, 0, sizeof *oldest);
    oldest->used = true;
    oldest->address = address;
    oldest->last_used = ++node->sequence;
    return oldest;
}

CSA_CONFIG_LINK_RAMFUNC const csa_peer_t *csa_node_peer(const csa_node_t *node, uint8_t address)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_PEERS; i++) {
        if (node->peers[i].used && node->peers[i].address == address)
            return &node->peers[i];
    }
    return NULL;
}

CSA_CONFIG_LINK_RAMFUNC uint16_t csa_node_path_frame_size(const csa_node_t *node, uint8_t address)
{
    uint16_t size = node->limits.max_frame_size;
    const csa_peer_t *peer;
    if (!csa_addr_is_routable(address))
        return size < CSA_MIN_MAX_FRAME_SIZE ? size : (uint16_t)CSA_MIN_MAX_FRAME_SIZE;
    peer = csa_node_peer(node, address);
    if (peer == NULL || (!peer->has_capabilities && peer->path_limit == 0u))
        return (uint16_t)CSA_MIN_MAX_FRAME_SIZE;
    if (peer->has_capabilities && peer->max_frame_size < size)
        size = peer->max_frame_size;
    if (peer->path_limit != 0u && peer->path_limit < size)
        size = peer->path_limit;
    return size;
}
