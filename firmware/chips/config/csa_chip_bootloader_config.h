/* The protocol stack's static configuration in the chip bootloader (docs/firmware.md section 4): the advertised
 * limits, one link (the board's UART), the response cache for one host, and the dispatch scratch the Bootloader
 * interface needs. RAM: docs/performance.md, "On the chips". */
#ifndef CSA_CHIP_BOOTLOADER_CONFIG_H_
#define CSA_CHIP_BOOTLOADER_CONFIG_H_

#include "csa_chip_limits.h"

#define CSA_CONFIG_MAX_FRAME_SIZE CSA_CHIP_MAX_FRAME_SIZE
#define CSA_CONFIG_RX_BUFFERS CSA_CHIP_RX_BUFFERS
#define CSA_CONFIG_MAX_PACKET_SIZE CSA_CHIP_MAX_PACKET_SIZE
#define CSA_CONFIG_MAX_LINKS 1u          /* the boards' one UART; a daisy-chain board adds a link (+1.1 KB) */
#define CSA_CONFIG_MAX_PORTS 2u
#define CSA_CONFIG_PEERS 2u
#define CSA_CONFIG_RPC_INTERFACES 2u     /* Device, Bootloader */
#define CSA_CONFIG_CACHE_CLIENTS 1u      /* one host updates a device at a time */
#define CSA_CONFIG_CACHE_DEPTH 32u
#define CSA_CONFIG_CACHE_ANSWER_SIZE 48u /* FinishUpdate's 32-byte hash is the largest non-idempotent answer */
#define CSA_CONFIG_CACHE_HISTORY 32u
#define CSA_CONFIG_ERROR_MESSAGE_MAX 96u
/* The Bootloader interface's Write holds up to 4096 data bytes; this node's packets hold at most
 * CSA_CHIP_MAX_PACKET_SIZE less the RPC header (8) and Write's offset and length (6): 1074 bytes, so every Write that
 * arrives decodes and a longer one than maxWriteSize (1024) is answered by the bootloader's documented error, and the
 * dispatch scratch (BOOTLOADER_DISPATCH_SCRATCH_SIZE, checked when the interface is added) shrinks by 3 KB. */
#define CSA_CFG_BOOTLOADER_WRITE_REQUEST_DATA_MAX_LENGTH (CSA_CHIP_MAX_PACKET_SIZE - 14u)
#define CSA_CONFIG_RPC_SCRATCH_SIZE 1232u
#define CSA_CONFIG_EVENT_SUBSCRIBERS 1u
#define CSA_CONFIG_CLIENT_CALLS 1u
#define CSA_CONFIG_CLIENT_PACKET_SIZE 64u

/* Erase-ahead in step with the line (csa_config.h, device-model.md 6.4.1) is off in the chip copies: it costs 104
 * bytes of flash, and the F4 copy with the link in SRAM has 64 left (32 704 of 32 768 bytes; 32 808 with it). Their
 * eraser starts whenever the main loop finds no byte (a product with the flash to spare may define it 1). */
#ifndef CSA_CONFIG_ERASE_IN_STEP
#define CSA_CONFIG_ERASE_IN_STEP 0
#endif

/* The data link's receive path in SRAM (CSA_CHIP_LINK_IN_SRAM, a CMake option: docs/firmware.md "On the chips"): the
 * bootloader runs it from the flash driver's wait loop, so the link keeps going while an erase stalls code fetch. */
#ifndef CSA_CHIP_LINK_IN_SRAM
#define CSA_CHIP_LINK_IN_SRAM 0
#endif
#if CSA_CHIP_LINK_IN_SRAM
#define CSA_CONFIG_LINK_RAMFUNC __attribute__((section(".ramfunc")))
#define CSA_CONFIG_LINK_RAMDATA __attribute__((section(".data.csa_link")))
#endif

#endif /* CSA_CHIP_BOOTLOADER_CONFIG_H_ */
