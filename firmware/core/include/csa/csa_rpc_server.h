/*
 * The RPC server (rpc-packets.md sections 6, 7 and 9): dispatches commands to the interfaces added to it (Device,
 * Bootloader, Provisioning, an application's own: generated bindings provide each as a csa_rpc_service_t), answers
 * every command exactly once through the response cache, answers Busy when all receive buffers hold commands that
 * are still executing, and publishes events to its subscribers with one running sequence number.
 *
 * A handler answers at once (it returns 0 with the response filled, or an error code), or later: it returns
 * CSA_RPC_DEFERRED, keeps the csa_rpc_call_t pointer, and calls csa_rpc_server_respond / _fail when done (a
 * bootloader that starts a flash erase answers when the erase has finished). A deferred call keeps its receive
 * buffer until then; the request it decoded from does not stay valid, so a handler copies what it still needs.
 */
#ifndef CSA_RPC_SERVER_H_
#define CSA_RPC_SERVER_H_

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

#if CSA_CONFIG_RX_BUFFERS >= CSA_CONFIG_CACHE_DEPTH
#error "CSA_CONFIG_CACHE_DEPTH must exceed CSA_CONFIG_RX_BUFFERS (executing requests are never evicted)"
#endif

struct csa_rpc_service;

/** One command being executed: what the answer needs, and the fingerprint of its request. */
typedef struct csa_rpc_call {
    bool used;
    bool deferred;
    uint8_t src_node;
    uint8_t src_port;
    uint16_t interface_id;
    uint16_t command_id;
    uint16_t request_id;
    uint16_t payload_len;
    uint32_t payload_crc;
    bool idempotent;
    const char *error_message; /**< Set by a handler that returns an error code; NULL for none. */
} csa_rpc_call_t;

/** What the server needs to know about a command (generated). */
typedef struct {
    uint16_t id;
    bool idempotent;
    uint16_t max_request_size;  /**< Largest request payload. */
    uint16_t max_response_size; /**< Largest response payload. */
} csa_rpc_command_info_t;

/** Decodes the request, runs the handler, encodes its response into rsp (generated per interface). Returns 0 with
    *rsp_len set, CSA_RPC_DEFERRED, or an error code (call->error_message may say why). */
typedef uint16_t (*csa_rpc_dispatch_fn)(const struct csa_rpc_service *service, csa_rpc_call_t *call,
                                        const uint8_t *request, size_t request_len, uint8_t *rsp, size_t rsp_cap,
                                        size_t *rsp_len, void *scratch);

/** An interface as the generator describes it. */
typedef struct {
    uint16_t id;
    uint16_t version;
    const char *name;
    const csa_rpc_command_info_t *commands;
    uint16_t command_count;
    uint16_t scratch_size; /**< Bytes of dispatch scratch it needs (decoded request and response). */
    csa_rpc_dispatch_fn dispatch;
} csa_rpc_interface_t;

/** An interface with the firmware's handlers (a generated <prefix>_handlers_t) and their context. */
typedef struct csa_rpc_service {
    const csa_rpc_interface_t *interface;
    const void *handlers;
    void *ctx;
} csa_rpc_service_t;

/** Counters since init. */
typedef struct {
    uint32_t commands_executed;
    uint32_t answers_replayed;
    uint32_t duplicates_ignored;
    uint32_t busy_rejections;
    uint32_t malformed_packets;
    uint32_t events_published;
    uint32_t peak_deferred;
} csa_rpc_server_stats_t;

/** A cached request: its fingerprint and, once answered, its answer (when it fits). */
typedef struct {
    uint8_t state; /* free, executing, answered (stored), answered (not stored: idempotent, re-executed) */
    uint8_t answer_kind;
    uint16_t request_id;
    uint16_t interface_id;
    uint16_t command_id;
    uint16_t payload_len;
    uint16_t answer_len;
    uint32_t payload_crc;
    uint32_t order;
    uint8_t answer[CSA_CONFIG_CACHE_ANSWER_SIZE];
} csa_rpc_cache_entry_t;

/** The fingerprint of an evicted request, so that a late copy is dropped. */
typedef struct {
    bool used;
    uint16_t request_id;
    uint16_t interface_id;
    uint16_t command_id;
    uint16_t payload_len;
    uint32_t payload_crc;
    uint32_t evicted_at;
} csa_rpc_tombstone_t;

/** The cache of one client endpoint. */
typedef struct {
    bool used;
    uint8_t node;
    uint8_t port;
    uint8_t history_next;
    uint32_t last_heard;
    csa_rpc_cache_entry_t entries[CSA_CONFIG_CACHE_DEPTH];
    csa_rpc_tombstone_t history[CSA_CONFIG_CACHE_HISTORY];
} csa_rpc_cache_client_t;

/** The server. Everything it needs is inside. */
typedef struct csa_rpc_server {
    csa_node_t *node;
    uint8_t port;
    bool answer_malformed;
    uint16_t event_sequence;
    uint32_t order;
    const csa_rpc_service_t *services[CSA_CONFIG_RPC_INTERFACES];
    csa_rpc_call_t calls[CSA_CONFIG_RX_BUFFERS];
    csa_rpc_cache_client_t cache[CSA_CONFIG_CACHE_CLIENTS];
    struct {
        bool used;
        uint8_t node;
        uint8_t port;
    } subscribers[CSA_CONFIG_EVENT_SUBSCRIBERS];
    csa_rpc_server_stats_t stats;
    union {
        uint8_t bytes[CSA_CONFIG_RPC_SCRATCH_SIZE];
        uint64_t align_u64;
        double align_double;
        void *align_pointer;
    } scratch;
    uint8_t tx[CSA_CONFIG_MAX_PACKET_SIZE];
} csa_rpc_server_t;

/** Binds the server to node:port (CSA_PORT_RPC normally) and subscribes the host's RPC endpoint to events. */
int csa_rpc_server_init(csa_rpc_server_t *server, csa_node_t *node, uint8_t port);

/** Adds an interface. CSA_ERR_EXISTS (its id is there), CSA_ERR_FULL, or CSA_ERR_CONFIG when the configuration
    cannot serve it: its dispatch scratch exceeds CSA_CONFIG_RPC_SCRATCH_SIZE, a response exceeds the packet size, or
    a non-idempotent command's answer exceeds CSA_CONFIG_CACHE_ANSWER_SIZE (it could not be replayed). */
int csa_rpc_server_add(csa_rpc_server_t *server, const csa_rpc_service_t *service);

/** Removes an interface; its commands are answered UnknownInterface from now on. */
void csa_rpc_server_remove(csa_rpc_server_t *server, uint16_t interface_id);

/** Answers a deferred call with a response payload (already encoded; generated <prefix>_<command>_respond encode). */
int csa_rpc_server_respond(csa_rpc_server_t *server, csa_rpc_call_t *call, const uint8_t *payload, size_t len);

/** Answers a deferred call with an error code and an optional message. */
int csa_rpc_server_fail(csa_rpc_server_t *server, csa_rpc_call_t *call, uint16_t code, const char *message);

/** Publishes an event (payload already encoded) to every subscriber with the next sequence number. */
int csa_rpc_server_publish(csa_rpc_server_t *server, uint16_t interface_id, uint16_t event_id, const uint8_t *payload,
                           size_t len);

/** The buffer a generated event emitter or deferred responder encodes its payload into (after the 8-byte header). */
static inline uint8_t *csa_rpc_server_payload_buffer(csa_rpc_server_t *server, size_t *cap)
{
    *cap = sizeof server->tx - CSA_RPC_HEADER_SIZE;
    return server->tx + CSA_RPC_HEADER_SIZE;
}

/** Replaces the subscribers by one endpoint (node, port); CSA_ADDR_BROADCAST as node removes all. */
int csa_rpc_server_set_subscriber(csa_rpc_server_t *server, uint8_t node, uint8_t port);

/** Adds a subscriber endpoint. */
int csa_rpc_server_add_subscriber(csa_rpc_server_t *server, uint8_t node, uint8_t port);

/** Deferred calls now executing. */
unsigned csa_rpc_server_deferred(const csa_rpc_server_t *server);

/** Forgets every cached answer (a reset). */
void csa_rpc_server_clear_cache(csa_rpc_server_t *server);

#ifdef __cplusplus
}
#endif

#endif /* CSA_RPC_SERVER_H_ */
