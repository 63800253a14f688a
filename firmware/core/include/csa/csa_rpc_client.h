/*
 * A small RPC client (rpc-packets.md sections 7 and 8), so that a firmware can call another node: request ids from a
 * seed, resends of the same request with the RESEND flag when an answer does not come, a wait and a resend after
 * Busy, at most as many calls in flight to a node as it advertises receive buffers (asked once through link
 * management), never more than the replay window allows. Answers arrive through csa_node_receive and complete the
 * call's callback; csa_node_poll and csa_rpc_client_poll drive the timeouts.
 */
#ifndef CSA_RPC_CLIENT_H_
#define CSA_RPC_CLIENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csa/csa_config.h"
#include "csa/csa_node.h"
#include "csa/csa_rpc_packet.h"
#include "csa/csa_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_RPC_REPLAY_WINDOW 16u

/** Any function pointer: a generated stub passes its typed callback through the client as one of these. */
typedef void (*csa_rpc_any_fn)(void);

/** How a call ended. */
typedef struct {
    /** 0: answered with a response; 1..0xFFFF: the error code the node answered (interface or RPC layer);
        negative: a local failure (CSA_ERR_TIMEOUT when no attempt was answered, CSA_ERR_NO_LINK, ...). */
    int32_t status;
    uint8_t node;
    uint16_t interface_id;
    uint16_t command_id;
    const uint8_t *payload; /**< The response payload, or the error message (valid during the callback). */
    size_t len;
    csa_rpc_any_fn user_done; /**< The typed callback a generated stub passed (NULL for raw calls). */
} csa_rpc_result_t;

typedef void (*csa_rpc_done_fn)(void *ctx, const csa_rpc_result_t *result);


/** Encodes a message into buf (cap bytes); returns the bytes written or -1 (generated encoders, type-erased). */
typedef int32_t (*csa_rpc_encode_fn)(const void *message, uint8_t *buf, size_t cap);

/** Decodes a whole payload into a message; returns len or -1 (generated decoders, type-erased). */
typedef int32_t (*csa_rpc_decode_fn)(void *message, const uint8_t *buf, size_t len);

/** Receives events sent to the client's port: sequence number, and the event payload (valid during the call). */
typedef void (*csa_rpc_event_fn)(void *ctx, uint8_t node, uint16_t interface_id, uint16_t event_id, uint16_t sequence,
                                 const uint8_t *payload, size_t len);

typedef struct {
    bool used;
    bool waiting_after_busy;
    uint8_t node;
    uint8_t attempts;
    uint16_t request_id;
    uint16_t interface_id;
    uint16_t command_id;
    uint16_t len;
    uint32_t issue;
    uint32_t deadline;
    csa_rpc_done_fn done;
    csa_rpc_any_fn user_done;
    void *ctx;
    uint8_t packet[CSA_CONFIG_CLIENT_PACKET_SIZE];
} csa_rpc_client_call_t;

typedef struct {
    csa_node_t *node;
    uint8_t port;
    uint8_t max_in_flight; /**< An upper bound of the caller's (1..CSA_CONFIG_CLIENT_CALLS). */
    uint16_t next_request_id;
    uint32_t issue;
    csa_rpc_event_fn on_event;
    void *event_ctx;
    csa_rpc_client_call_t calls[CSA_CONFIG_CLIENT_CALLS];
} csa_rpc_client_t;

/** Binds the client to node:port (a free application port, e.g. 0x10) and seeds its request ids (a random value:
    a restarted firmware must not reuse the ids still cached from its previous run). */
int csa_rpc_client_init(csa_rpc_client_t *client, csa_node_t *node, uint8_t port, uint16_t seed);

/** Starts a call. CSA_ERR_BUSY when the node's window (its receive buffers, until known 1; the replay window; the
    free call slots) is full: call again after the next answer. done is called exactly once, from csa_node_receive
    or csa_rpc_client_poll. */
int csa_rpc_client_call(csa_rpc_client_t *client, uint8_t node, uint16_t interface_id, uint16_t command_id,
                        const uint8_t *payload, size_t len, csa_rpc_done_fn done, void *ctx);

/** As csa_rpc_client_call, encoding the request straight into the call's buffer (what generated stubs use):
    CSA_ERR_ENCODE when the message does not encode or is larger than CSA_CONFIG_CLIENT_PACKET_SIZE allows. */
int csa_rpc_client_call_encoded(csa_rpc_client_t *client, uint8_t node, uint16_t interface_id, uint16_t command_id,
                                csa_rpc_encode_fn encode, const void *message, csa_rpc_done_fn done,
                                csa_rpc_any_fn user_done, void *ctx);

/** Resends and times out; call it with csa_node_poll. */
void csa_rpc_client_poll(csa_rpc_client_t *client);

/** Calls in flight. */
unsigned csa_rpc_client_pending(const csa_rpc_client_t *client);

#ifdef __cplusplus
}
#endif

#endif /* CSA_RPC_CLIENT_H_ */
