/*
 * The static configuration of the Csa protocol stack: every buffer of the core is sized here, at compile time.
 *
 * A firmware overrides any value by defining it before this file is read: on the compiler command line
 * (-DCSA_CONFIG_MAX_FRAME_SIZE=256) or in its own header named by CSA_CONFIG_FILE (-DCSA_CONFIG_FILE='"my_csa_config.h"').
 * docs/firmware.md lists every value, its protocol meaning and the RAM it costs.
 *
 * What a node advertises (link-management capabilities: maximum frame size and receive buffers; the Device
 * interface's GetCapabilities: also the maximum packet size) is its csa_limits_t, which defaults to exactly these
 * capacities. A port may lower a limit at run time (the POSIX device does, from its command line), never raise it.
 */
#ifndef CSA_CONFIG_H_
#define CSA_CONFIG_H_

#ifdef CSA_CONFIG_FILE
#include CSA_CONFIG_FILE
#endif

/* Largest decoded frame (header + payload + CRC) a node accepts; the protocol minimum is 64, the maximum 65535.
   Costs this many bytes per link (receive) plus once for sending. */
#ifndef CSA_CONFIG_MAX_FRAME_SIZE
#define CSA_CONFIG_MAX_FRAME_SIZE 256u
#endif

/* Receive buffers: packets the node holds before it has processed them. Advertised in capabilities; the host keeps
   at most this many requests in flight. Each is one packet buffer (reassembly) and one RPC call slot. */
#ifndef CSA_CONFIG_RX_BUFFERS
#define CSA_CONFIG_RX_BUFFERS 4u
#endif

/* Largest packet (RPC header + payload) the node reassembles or sends; larger ones are dropped as PacketTooLarge. */
#ifndef CSA_CONFIG_MAX_PACKET_SIZE
#define CSA_CONFIG_MAX_PACKET_SIZE 1024u
#endif

/* Links of a node: a daisy-chain device has two (upstream, downstream). */
#ifndef CSA_CONFIG_MAX_LINKS
#define CSA_CONFIG_MAX_LINKS 2u
#endif

/* Packets from one source node that may be in reassembly at once per link (protocol.md 6.2, the SDK uses 4). */
#ifndef CSA_CONFIG_REASSEMBLY_PER_SOURCE
#define CSA_CONFIG_REASSEMBLY_PER_SOURCE 4u
#endif

/* A packet whose next fragment does not come within this time is discarded (protocol.md 6.2, SDK default 2 s). */
#ifndef CSA_CONFIG_REASSEMBLY_TIMEOUT_MS
#define CSA_CONFIG_REASSEMBLY_TIMEOUT_MS 2000u
#endif

/* Ports other than link management a node can bind (the RPC server, an RPC client, an application's own). */
#ifndef CSA_CONFIG_MAX_PORTS
#define CSA_CONFIG_MAX_PORTS 3u
#endif

/* Nodes whose path frame limit and capabilities a node remembers (the host, and peers an RPC client calls). */
#ifndef CSA_CONFIG_PEERS
#define CSA_CONFIG_PEERS 4u
#endif

/* Groups (protocol.md 7.6) a node can be a member of at once: it delivers frames sent to them and answers join and
   leave requests (0x05, 0x06). 0 compiles groups out: the node drops those requests unanswered (unknown types) and
   forwards group frames like any frame it does not take. The SDK's default is 4. Costs a few bytes of RAM. */
#ifndef CSA_CONFIG_MAX_GROUPS
#define CSA_CONFIG_MAX_GROUPS 4u
#endif

/* Hop limit of frames this node originates (protocol.md section 4; the SDK uses 64). */
#ifndef CSA_CONFIG_HOP_LIMIT
#define CSA_CONFIG_HOP_LIMIT 64u
#endif

/* 1: frames for other nodes are passed on while they arrive (cut-through, protocol.md 6.3.1) when the header names
   exactly one outgoing link, instead of after their delimiter (store-and-forward). The wire carries the same bytes
   for an intact frame; a chain of N nodes then adds a few byte times per hop instead of a whole frame's time. It
   needs no buffer beyond the receive buffer each link already has (a few bytes of state per link) and costs some
   code: off by default, so a bootloader that has no room for it stores and forwards (docs/firmware.md). A node built
   with it can still be switched to store-and-forward at run time (csa_node_set_cut_through). */
#ifndef CSA_CONFIG_CUT_THROUGH
#define CSA_CONFIG_CUT_THROUGH 0
#endif

/* A bootloader service starts a background (erase-ahead) erase only when it is in step with the line: right after a
   command that started with at most max(64, M/16) decoded bytes of the next frame in on every link, or when no link
   has more than that of a frame in now (device-model.md 6.4.1). 0: an erase starts whenever the main loop finds no
   byte arrived (the chip bootloader copies: 104 bytes of Cortex-M4 flash they do not have to spare). */
#ifndef CSA_CONFIG_ERASE_IN_STEP
#define CSA_CONFIG_ERASE_IN_STEP 1
#endif

/* Cut-through: a frame being passed on whose next byte does not come within this time is aborted on the outgoing
   link (`02 00`, protocol.md 6.3.1 rule 5) and forwarded whole at its end if it ends intact. At least the time the
   largest frame takes at the incoming link's rate (the SDK waits 100 ms). Checked by csa_node_poll. */
#ifndef CSA_CONFIG_CUT_THROUGH_STALL_MS
#define CSA_CONFIG_CUT_THROUGH_STALL_MS 100u
#endif

/* --- RPC server (rpc-packets.md sections 6 and 7) --- */

/* Interfaces one server dispatches (Device, Bootloader, Provisioning, the application's own, ...). */
#ifndef CSA_CONFIG_RPC_INTERFACES
#define CSA_CONFIG_RPC_INTERFACES 4u
#endif

/* Clients (source endpoints) the response cache keeps answers for; the least recently heard from is evicted. */
#ifndef CSA_CONFIG_CACHE_CLIENTS
#define CSA_CONFIG_CACHE_CLIENTS 2u
#endif

/* Answers cached per client; at least 32 (twice the replay window), which is what makes a resend safe. */
#ifndef CSA_CONFIG_CACHE_DEPTH
#define CSA_CONFIG_CACHE_DEPTH 32u
#endif

/* Payload bytes of one cached answer. A non-idempotent command's largest answer must fit (checked when its interface
   is added); a larger answer of an idempotent command is not stored, and a repeat of it executes again. */
#ifndef CSA_CONFIG_CACHE_ANSWER_SIZE
#define CSA_CONFIG_CACHE_ANSWER_SIZE 40u
#endif

/* Fingerprints of evicted requests remembered per client, so that a late copy is dropped (rpc-packets.md 7). */
#ifndef CSA_CONFIG_CACHE_HISTORY
#define CSA_CONFIG_CACHE_HISTORY 32u
#endif

/* How long an evicted request's fingerprint is remembered. */
#ifndef CSA_CONFIG_CACHE_HISTORY_MS
#define CSA_CONFIG_CACHE_HISTORY_MS 2000u
#endif

/* Longest error message text a server sends (rpc-packets.md allows 128). */
#ifndef CSA_CONFIG_ERROR_MESSAGE_MAX
#define CSA_CONFIG_ERROR_MESSAGE_MAX 32u
#endif

/* Bytes of the dispatch scratch: the decoded request and the response of one command (the generated bindings give
   each interface's need as <PREFIX>_DISPATCH_SCRATCH_SIZE; adding an interface that needs more fails). */
#ifndef CSA_CONFIG_RPC_SCRATCH_SIZE
#define CSA_CONFIG_RPC_SCRATCH_SIZE 512u
#endif

/* Endpoints events are published to (the host's RPC port by default). */
#ifndef CSA_CONFIG_EVENT_SUBSCRIBERS
#define CSA_CONFIG_EVENT_SUBSCRIBERS 2u
#endif

/* --- RPC client (so an application can call another node) --- */

/* Calls a client keeps in flight at once (over all devices); at most 16, the replay window. */
#ifndef CSA_CONFIG_CLIENT_CALLS
#define CSA_CONFIG_CLIENT_CALLS 2u
#endif

/* Largest request packet (header + payload) a client sends; each call slot keeps its request for resending. */
#ifndef CSA_CONFIG_CLIENT_PACKET_SIZE
#define CSA_CONFIG_CLIENT_PACKET_SIZE 128u
#endif

/* Per-attempt answer timeout, attempts, and the wait after a Busy answer (the SDK: 1 s, 3, 50 ms). */
#ifndef CSA_CONFIG_CLIENT_TIMEOUT_MS
#define CSA_CONFIG_CLIENT_TIMEOUT_MS 1000u
#endif
#ifndef CSA_CONFIG_CLIENT_ATTEMPTS
#define CSA_CONFIG_CLIENT_ATTEMPTS 3u
#endif
#ifndef CSA_CONFIG_CLIENT_RETRY_DELAY_MS
#define CSA_CONFIG_CLIENT_RETRY_DELAY_MS 50u
#endif

/* --- Ports --- */

/* 1: the port provides csa_port_crc32_update (e.g. the STM32 CRC unit); 0: the core's table-free software CRC. */
#ifndef CSA_CONFIG_PORT_CRC32
#define CSA_CONFIG_PORT_CRC32 0
#endif

/* Where the data link's receive path goes (docs/firmware.md, "On the chips"): empty (the default) leaves it with
   the rest of the code; a chip whose flash stalls code fetch while it erases (the single-bank STM32F4) defines it as
   __attribute__((section(".ramfunc"))) so the node keeps receiving, forwarding and answering link management from
   SRAM while the flash is busy. Every function the receive path reaches carries it (csa_node_receive and its
   callees: frame decoding, CRC, routes, reassembly, link management, sending); CSA_CONFIG_LINK_RAMDATA places the
   constants they read (the CRC table) in SRAM as well. Only markings: the code is the same wherever it runs. */
#ifndef CSA_CONFIG_LINK_RAMFUNC
#define CSA_CONFIG_LINK_RAMFUNC
#endif
#ifndef CSA_CONFIG_LINK_RAMDATA
#define CSA_CONFIG_LINK_RAMDATA
#endif

/* --- Checks: a configuration the protocol does not allow does not compile. --- */
#if CSA_CONFIG_MAX_FRAME_SIZE < 64u || CSA_CONFIG_MAX_FRAME_SIZE > 65535u
#error "CSA_CONFIG_MAX_FRAME_SIZE must be 64..65535 (protocol.md section 4)"
#endif
#if CSA_CONFIG_RX_BUFFERS < 1u || CSA_CONFIG_RX_BUFFERS > 255u
#error "CSA_CONFIG_RX_BUFFERS must be 1..255 (it is a u8 in the capabilities)"
#endif
#if CSA_CONFIG_MAX_PACKET_SIZE < 8u || CSA_CONFIG_MAX_PACKET_SIZE > 65535u
#error "CSA_CONFIG_MAX_PACKET_SIZE must be 8..65535 (GetCapabilities carries it as a u16)"
#endif
#if CSA_CONFIG_MAX_LINKS < 1u || CSA_CONFIG_MAX_LINKS > 8u
#error "CSA_CONFIG_MAX_LINKS must be 1..8"
#endif
#if CSA_CONFIG_MAX_GROUPS > 14u
#error "CSA_CONFIG_MAX_GROUPS must be 0..14 (the group addresses 0xF0..0xFD, protocol.md section 2)"
#endif
#if CSA_CONFIG_CACHE_DEPTH < 32u
#error "CSA_CONFIG_CACHE_DEPTH must be at least 32 (rpc-packets.md section 7: twice the replay window)"
#endif
#if CSA_CONFIG_CACHE_DEPTH > 255u || CSA_CONFIG_CACHE_HISTORY > 255u
#error "CSA_CONFIG_CACHE_DEPTH and CSA_CONFIG_CACHE_HISTORY must be at most 255"
#endif
#if CSA_CONFIG_CACHE_CLIENTS < 1u || CSA_CONFIG_RPC_INTERFACES < 1u || CSA_CONFIG_MAX_PORTS < 1u || CSA_CONFIG_PEERS < 1u
#error "CSA_CONFIG_CACHE_CLIENTS, CSA_CONFIG_RPC_INTERFACES, CSA_CONFIG_MAX_PORTS and CSA_CONFIG_PEERS must be at least 1"
#endif
#if CSA_CONFIG_CACHE_ANSWER_SIZE < 2u
#error "CSA_CONFIG_CACHE_ANSWER_SIZE must hold at least an error code (2 bytes)"
#endif
#if CSA_CONFIG_CLIENT_CALLS < 1u || CSA_CONFIG_CLIENT_CALLS > 16u
#error "CSA_CONFIG_CLIENT_CALLS must be 1..16 (the replay window)"
#endif
#if CSA_CONFIG_CLIENT_PACKET_SIZE < 8u || CSA_CONFIG_CLIENT_PACKET_SIZE > CSA_CONFIG_MAX_PACKET_SIZE
#error "CSA_CONFIG_CLIENT_PACKET_SIZE must be 8..CSA_CONFIG_MAX_PACKET_SIZE"
#endif
#if CSA_CONFIG_ERROR_MESSAGE_MAX > 128u
#error "CSA_CONFIG_ERROR_MESSAGE_MAX must be at most 128 (rpc-packets.md section 5)"
#endif

#endif /* CSA_CONFIG_H_ */
