/* The static configuration of the POSIX device program: capacities large enough for any limit its command line may
   choose (--max-frame, --rx-buffers, --max-packet), and the SDK server's cache sizes. RAM is no concern in a process;
   on a chip the limits are the capacities (docs/firmware.md, "Configuration"). */
#ifndef CSA_DEVICE_CONFIG_H_
#define CSA_DEVICE_CONFIG_H_

#define CSA_CONFIG_MAX_FRAME_SIZE 4096u
#define CSA_CONFIG_RX_BUFFERS 16u
#define CSA_CONFIG_MAX_PACKET_SIZE 8192u
#define CSA_CONFIG_MAX_PORTS 3u
#define CSA_CONFIG_PEERS 8u
#define CSA_CONFIG_RPC_INTERFACES 4u
#define CSA_CONFIG_CACHE_CLIENTS 8u
#define CSA_CONFIG_CACHE_DEPTH 32u
#define CSA_CONFIG_CACHE_ANSWER_SIZE 256u
#define CSA_CONFIG_CACHE_HISTORY 128u
#define CSA_CONFIG_ERROR_MESSAGE_MAX 128u
#define CSA_CONFIG_RPC_SCRATCH_SIZE 16384u
#define CSA_CONFIG_EVENT_SUBSCRIBERS 2u

/* Frames for other nodes go on while they arrive (protocol.md 6.3.1), as a chip's UART bridge on DMA does; the
   --store-and-forward option switches it off at run time. */
#define CSA_CONFIG_CUT_THROUGH 1

#endif /* CSA_DEVICE_CONFIG_H_ */
