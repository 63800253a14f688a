/* The protocol stack's static configuration in the chip demo application: the same advertised limits as its
 * bootloader, and room for the SDK's usual hosts in the response cache (the application has the whole SRAM). */
#ifndef CSA_CHIP_APP_CONFIG_H_
#define CSA_CHIP_APP_CONFIG_H_

#include "csa_chip_limits.h"

#define CSA_CONFIG_MAX_FRAME_SIZE CSA_CHIP_MAX_FRAME_SIZE
#define CSA_CONFIG_RX_BUFFERS CSA_CHIP_RX_BUFFERS
#define CSA_CONFIG_MAX_PACKET_SIZE CSA_CHIP_MAX_PACKET_SIZE
#define CSA_CONFIG_MAX_LINKS 1u
#define CSA_CONFIG_MAX_PORTS 3u
#define CSA_CONFIG_PEERS 4u
#define CSA_CONFIG_RPC_INTERFACES 3u     /* Device, DemoApp, one of the customer's own */
#define CSA_CONFIG_CACHE_CLIENTS 4u
#define CSA_CONFIG_CACHE_DEPTH 32u
#define CSA_CONFIG_CACHE_ANSWER_SIZE 64u
#define CSA_CONFIG_CACHE_HISTORY 32u
#define CSA_CONFIG_ERROR_MESSAGE_MAX 96u
#define CSA_CONFIG_RPC_SCRATCH_SIZE 512u
#define CSA_CONFIG_EVENT_SUBSCRIBERS 2u

#endif /* CSA_CHIP_APP_CONFIG_H_ */
