/* The protocol stack's configuration of the measured full bootloader for a 32 KB-SRAM part (tools/bootloader_size.sh):
 * the verify-only one plus the Provisioning interface (a third interface) and room in the response cache for
 * GenerateIdentityKey's 128-byte answer (it is not idempotent: a repeat must be answered from the cache,
 * docs/firmware.md section 4; 32 entries x 80 more bytes). What pays for it: two receive buffers instead of three (the
 * host keeps two 1 KiB writes in flight instead of three, and the UART ring that holds the window shrinks with it).
 * A part with more SRAM (every F405/F407 and L476 has 96 KB or more) keeps three. */
#ifndef CSA_SIZE_FULL_CONFIG_H_
#define CSA_SIZE_FULL_CONFIG_H_

#include "bootloader_verify_config.h"
#undef CSA_CONFIG_RPC_INTERFACES
#define CSA_CONFIG_RPC_INTERFACES 3u
#undef CSA_CONFIG_CACHE_ANSWER_SIZE
#define CSA_CONFIG_CACHE_ANSWER_SIZE 128u
#undef CSA_CONFIG_RX_BUFFERS
#define CSA_CONFIG_RX_BUFFERS 2u

#endif
