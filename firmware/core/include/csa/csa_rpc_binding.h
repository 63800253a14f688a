/* What the generated C bindings (csa rpc gen-c: <name>.rpc.binding.h/.c) build on: the server and client runtime,
   and a table of every message of an interface for generic tools (fuzzers, loggers). */
#ifndef CSA_RPC_BINDING_H_
#define CSA_RPC_BINDING_H_

#include <stddef.h>
#include <stdint.h>

#include "csa/csa_rpc_client.h"
#include "csa/csa_rpc_server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which message of a command or event. */
typedef enum { CSA_RPC_MESSAGE_REQUEST = 1, CSA_RPC_MESSAGE_RESPONSE = 2, CSA_RPC_MESSAGE_EVENT = 3 } csa_rpc_message_kind_t;

/** One message type of an interface, with type-erased codec entry points. */
typedef struct {
    const char *name;           /**< e.g. "get_identity_response" */
    csa_rpc_message_kind_t kind;
    uint16_t id;                /**< The command or event id. */
    size_t size;                /**< sizeof the C struct. */
    uint16_t max_size;          /**< Largest payload. */
    csa_rpc_encode_fn encode;
    csa_rpc_decode_fn decode;
} csa_rpc_message_info_t;

#ifdef __cplusplus
}
#endif

#endif /* CSA_RPC_BINDING_H_ */
