/* The protocol stack's configuration of the measured verify-only bootloader (tools/bootloader_size.sh): the chip
 * bootloader's (issue 16: 1 KiB frames, 3 receive buffers, Writes of 1024 bytes, one host's response cache), serving
 * Device and Bootloader. */
#ifndef CSA_SIZE_VERIFY_CONFIG_H_
#define CSA_SIZE_VERIFY_CONFIG_H_

#define CSA_CONFIG_MAX_FRAME_SIZE 1024u
#define CSA_CONFIG_RX_BUFFERS 3u
#define CSA_CONFIG_MAX_PACKET_SIZE 1088u
#define CSA_CONFIG_MAX_LINKS 1u
#define CSA_CONFIG_MAX_PORTS 2u
#define CSA_CONFIG_PEERS 2u
#define CSA_CONFIG_RPC_INTERFACES 2u
#define CSA_CONFIG_CACHE_CLIENTS 1u
#define CSA_CONFIG_CACHE_DEPTH 32u
#define CSA_CONFIG_CACHE_ANSWER_SIZE 48u
#define CSA_CONFIG_CACHE_HISTORY 32u
#define CSA_CONFIG_ERROR_MESSAGE_MAX 96u
#define CSA_CONFIG_RPC_SCRATCH_SIZE 4256u
#define CSA_CONFIG_EVENT_SUBSCRIBERS 1u
#define CSA_CONFIG_CLIENT_CALLS 1u
#define CSA_CONFIG_CLIENT_PACKET_SIZE 64u

#endif
