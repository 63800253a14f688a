/* Groups (protocol.md 7.6): the node's membership, in RAM only (a restart forgets it), and the join and leave requests
   of link management. Delivery and forwarding of group frames are the node's (csa_node.c): a member delivers them, and
   every node forwards them like a broadcast, so a frame to a group travels a daisy chain once. */
#include "csa_node_internal.h"

#if CSA_CONFIG_MAX_GROUPS > 0

#define GROUP_JOINED 0u  /* result of a join: a member now */
#define GROUP_REFUSED 1u /* result of a join: the node takes no (more) groups */

CSA_CONFIG_LINK_RAMFUNC static uint16_t bit_of(uint8_t group)
{
    return (uint16_t)(1u << (group - CSA_ADDR_FIRST_GROUP));
}

CSA_CONFIG_LINK_RAMFUNC static unsigned members_of(uint16_t groups)
{
    unsigned n = 0;
    for (; groups != 0u; groups &= (uint16_t)(groups - 1u))
        n++;
    return n;
}

int csa_node_set_max_groups(csa_node_t *node, uint8_t max)
{
    if (max > CSA_CONFIG_MAX_GROUPS)
        return CSA_ERR_ARGUMENT;
    node->max_groups = max;
    node->groups = 0;
    return CSA_OK;
}

CSA_CONFIG_LINK_RAMFUNC int csa_node_join_group(csa_node_t *node, uint8_t group)
{
    if (!csa_addr_is_group(group))
        return CSA_ERR_ARGUMENT;
    if ((node->groups & bit_of(group)) != 0u)
        return CSA_OK; /* joining twice is answered as the first time: a host repeats a join whose answer was lost */
    if (members_of(node->groups) >= node->max_groups)
        return CSA_ERR_FULL;
    node->groups = (uint16_t)(node->groups | bit_of(group));
    return CSA_OK;
}

CSA_CONFIG_LINK_RAMFUNC void csa_node_leave_group(csa_node_t *node, uint8_t group)
{
    if (group == CSA_ADDR_BROADCAST)
        node->groups = 0;
    else if (csa_addr_is_group(group))
        node->groups = (uint16_t)(node->groups & ~bit_of(group));
}

CSA_CONFIG_LINK_RAMFUNC bool csa_node_is_member(const csa_node_t *node, uint8_t group)
{
    return csa_addr_is_group(group) && (node->groups & bit_of(group)) != 0u;
}

CSA_CONFIG_LINK_RAMFUNC int csa_lm_group_request(csa_node_t *node, const csa_packet_t *p, uint8_t type, uint8_t token)
{
    uint8_t body[2];
    /* A member is asked by name: never through a broadcast, a group or the unassigned address. */
    if (p->dst_node != node->address || p->len != 3u)
        return 0;
    body[0] = p->data[2];
    if (type == CSA_LM_JOIN_GROUP && csa_addr_is_group(body[0])) {
        body[1] = csa_node_join_group(node, body[0]) == CSA_OK ? GROUP_JOINED : GROUP_REFUSED;
        csa_lm_reply(node, p, CSA_LM_JOIN_GROUP | CSA_LM_RESPONSE, token, body, 2u);
        return 1;
    }
    if (type == CSA_LM_LEAVE_GROUP && (csa_addr_is_group(body[0]) || body[0] == CSA_ADDR_BROADCAST)) {
        csa_node_leave_group(node, body[0]);
        csa_lm_reply(node, p, CSA_LM_LEAVE_GROUP | CSA_LM_RESPONSE, token, body, 1u);
        return 1;
    }
    return 0;
}

#else /* CSA_CONFIG_MAX_GROUPS == 0: a node that knows no groups (protocol.md 7.6) */

int csa_node_set_max_groups(csa_node_t *node, uint8_t max)
{
    (void)node;
    return max == 0u ? CSA_OK : CSA_ERR_ARGUMENT;
}

int csa_node_join_group(csa_node_t *node, uint8_t group)
{
    (void)node;
    return csa_addr_is_group(group) ? CSA_ERR_FULL : CSA_ERR_ARGUMENT;
}

void csa_node_leave_group(csa_node_t *node, uint8_t group)
{
    (void)node;
    (void)group;
}

CSA_CONFIG_LINK_RAMFUNC bool csa_node_is_member(const csa_node_t *node, uint8_t group)
{
    (void)node;
    (void)group;
    return false;
}

#endif
