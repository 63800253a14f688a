/* The server's response cache (rpc-packets.md section 7), private to the RPC server. */
#ifndef CSA_RPC_CACHE_H_
#define CSA_RPC_CACHE_H_

#include "csa/csa_rpc_server.h"

typedef enum {
    CSA_CACHE_NEW = 0,  /* never seen (or with other content, or re-executable): execute it; recorded as executing */
    CSA_CACHE_ANSWERED, /* answered before: the stored answer is sent again */
    CSA_CACHE_EXECUTING, /* its first copy is still executing: ignore this one */
    CSA_CACHE_STALE      /* a late copy of a request whose answer left the cache: drop it */
} csa_cache_lookup_t;

#define CSA_CACHE_FREE 0u
#define CSA_CACHE_EXECUTING_STATE 1u
#define CSA_CACHE_STORED 2u
#define CSA_CACHE_NOT_STORED 3u

/* Looks the request up; on CSA_CACHE_NEW it is recorded as executing. *entry is set for ANSWERED. */
csa_cache_lookup_t csa_cache_begin(csa_rpc_server_t *server, const csa_rpc_call_t *call,
                                   const csa_rpc_cache_entry_t **entry);

/* Stores the answer (kind and payload) of an executed request, or forgets the request (answer NULL). */
void csa_cache_complete(csa_rpc_server_t *server, const csa_rpc_call_t *call, uint8_t kind, const uint8_t *payload,
                        size_t len, bool forget);

#endif /* CSA_RPC_CACHE_H_ */
