/* The unit tests' configuration: room for the golden vectors' values (1024-byte frames, 8 receive buffers), small
   caches so that eviction is reachable, and the protocol's minimum cache depth. */
#ifndef CSA_TEST_CONFIG_H_
#define CSA_TEST_CONFIG_H_

#define CSA_CONFIG_MAX_FRAME_SIZE 1024u
#define CSA_CONFIG_RX_BUFFERS 8u
#define CSA_CONFIG_MAX_PACKET_SIZE 2048u
#define CSA_CONFIG_MAX_LINKS 2u
#define CSA_CONFIG_MAX_PORTS 3u
#define CSA_CONFIG_PEERS 4u
#define CSA_CONFIG_RPC_INTERFACES 4u
#define CSA_CONFIG_CACHE_CLIENTS 2u
#define CSA_CONFIG_CACHE_DEPTH 32u
#define CSA_CONFIG_CACHE_ANSWER_SIZE 40u
#define CSA_CONFIG_CACHE_HISTORY 32u
#define CSA_CONFIG_ERROR_MESSAGE_MAX 32u
#define CSA_CONFIG_RPC_SCRATCH_SIZE 4096u
#define CSA_CONFIG_EVENT_SUBSCRIBERS 2u
#define CSA_CONFIG_CLIENT_CALLS 8u
#define CSA_CONFIG_CLIENT_PACKET_SIZE 256u

/* The node's tests cover cut-through forwarding (they switch it off where they check store-and-forward). */
#define CSA_CONFIG_CUT_THROUGH 1

#endif /* CSA_TEST_CONFIG_H_ */
