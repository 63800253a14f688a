/* Functions the node's source files share; not part of the public surface. */
#ifndef CSA_NODE_INTERNAL_H_
#define CSA_NODE_INTERNAL_H_

#include "csa/csa_node.h"

/* Link-management message types (protocol.md 7.1). */
#define CSA_LM_CAPABILITIES_REQUEST 0x01u
#define CSA_LM_ECHO_REQUEST 0x02u
#define CSA_LM_ASSIGN_ADDRESS 0x03u
#define CSA_LM_FORGET_ADDRESS 0x04u
#define CSA_LM_JOIN_GROUP 0x05u
#define CSA_LM_LEAVE_GROUP 0x06u
#define CSA_LM_RESPONSE 0x80u
#define CSA_LM_TIMEOUT_MS 1000u
#define CSA_LM_ATTEMPTS 3u

/* Counting. */
void csa_node_drop(csa_node_t *node, uint8_t link, csa_drop_reason_t reason);
csa_counters_t *csa_node_counters(csa_node_t *node, uint8_t link);

/* Routes and peers (csa_routes.c). */
void csa_routes_learn(csa_node_t *node, uint8_t source, uint8_t link);
void csa_routes_forget_learnt(csa_node_t *node, uint8_t link); /* CSA_LINK_LOCAL: every link, and the peers */
csa_peer_t *csa_peer_get(csa_node_t *node, uint8_t address, bool create);

/* Reassembly (csa_reassembly.c): returns the slot once the packet is complete, else NULL. */
csa_reassembly_t *csa_reassembly_accept(csa_node_t *node, uint8_t link, const csa_frame_header_t *header,
                                        const uint8_t *payload, size_t payload_len);
void csa_reassembly_free(csa_reassembly_t *slot);
void csa_reassembly_expire(csa_node_t *node);

/* Link management (csa_link_management.c). */
void csa_lm_handle(csa_node_t *node, const csa_packet_t *packet);
void csa_lm_poll(csa_node_t *node);
/* Answers a request with type | 0x80, the token and a body, out of the link it came in on (7). */
void csa_lm_reply(csa_node_t *node, const csa_packet_t *request, uint8_t type, uint8_t token, const uint8_t *body,
                  size_t body_len);
#if CSA_CONFIG_MAX_GROUPS > 0
/* Groups (csa_groups.c): answers a join or leave request; 0 when it is not a valid one (dropped as invalid). */
int csa_lm_group_request(csa_node_t *node, const csa_packet_t *packet, uint8_t type, uint8_t token);
#endif

#if CSA_CONFIG_CUT_THROUGH
/* Writes bytes to a link, counted (csa_node.c). */
void csa_node_link_write(csa_node_t *node, uint8_t link, const uint8_t *data, size_t n);
/* Before a frame goes out of a link after silence: the leading delimiter of protocol.md 3.2, if due. */
void csa_node_begin_burst(csa_node_t *node, uint8_t link);

/* Cut-through forwarding (csa_cut_through.c, protocol.md 6.3.1). */
/* Bytes of a run arrived on link in (no delimiter among them): decide at the header, pass closed blocks on. */
void csa_ct_progress(csa_node_t *node, uint8_t in);
/* The run on link in ended (a frame, or a drop): finish or poison what was passed on. True when the frame was passed
   on (it is then not forwarded again at its end). */
bool csa_ct_end(csa_node_t *node, uint8_t in, const csa_rx_result_t *result);
/* A frame is about to be written to link out: a frame being passed on to it gives way (aborted, forwarded whole at
   its end), since nothing may come between its bytes. */
void csa_ct_yield(csa_node_t *node, uint8_t out);
/* Link index closed: a frame arriving on it is aborted downstream; one passed on to it stops where it is. */
void csa_ct_link_closed(csa_node_t *node, uint8_t index);
/* Stalls (rule 5): frames being passed on whose next byte is overdue are aborted. */
void csa_ct_poll(csa_node_t *node);
#endif

/* Delivery of a whole packet to link management or a bound port. */
void csa_node_deliver(csa_node_t *node, const csa_packet_t *packet);

#endif /* CSA_NODE_INTERNAL_H_ */
