/* RPC packets (rpc-packets.md): the 8-byte header, kinds, flags, the error payload and the RPC layer's status codes. */
#ifndef CSA_RPC_PACKET_H_
#define CSA_RPC_PACKET_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_RPC_HEADER_SIZE 8u
#define CSA_RPC_VERSION 0u

/* Kinds (section 3). */
#define CSA_RPC_COMMAND 1u
#define CSA_RPC_RESPONSE 2u
#define CSA_RPC_ERROR 3u
#define CSA_RPC_EVENT 4u

/* Flags (section 4). */
#define CSA_RPC_FLAG_RESEND 0x01u

/* Codes of the RPC layer (section 5); 0x0001..0xFEFF are the interfaces' own. */
#define CSA_RPC_FIRST_RESERVED 0xFF00u
#define CSA_RPC_UNKNOWN_INTERFACE 0xFF01u
#define CSA_RPC_UNKNOWN_COMMAND 0xFF02u
#define CSA_RPC_BAD_PAYLOAD 0xFF03u
#define CSA_RPC_INTERNAL_ERROR 0xFF04u
#define CSA_RPC_BUSY 0xFF05u
#define CSA_RPC_BAD_PACKET 0xFF06u

/** Returned by a command handler that answers later (csa_rpc_server_respond / _fail). Never sent: it is the
    reserved code 0xFF00, which no answer carries. */
#define CSA_RPC_DEFERRED CSA_RPC_FIRST_RESERVED

/** The header fields. */
typedef struct {
    uint8_t kind;
    uint8_t flags;
    uint16_t interface_id;
    uint16_t message_id;
    uint16_t request_id; /**< Or the event sequence number. */
} csa_rpc_header_t;

/** Why a packet is malformed (section 10), checked in this order. */
typedef enum {
    CSA_RPC_PACKET_OK = 0,
    CSA_RPC_PACKET_TOO_SHORT,
    CSA_RPC_PACKET_UNSUPPORTED_VERSION,
    CSA_RPC_PACKET_UNKNOWN_KIND,
    CSA_RPC_PACKET_RESERVED_FLAGS,
    CSA_RPC_PACKET_MISSING_ERROR_CODE
} csa_rpc_packet_error_t;

/** The name the docs use ("TooShort", ...). */
const char *csa_rpc_packet_error_name(csa_rpc_packet_error_t error);

/** Parses and checks a packet; the payload is packet[8 .. len). */
csa_rpc_packet_error_t csa_rpc_parse(const uint8_t *packet, size_t len, csa_rpc_header_t *header);

/** Writes the 8-byte header. */
void csa_rpc_write_header(uint8_t *out, const csa_rpc_header_t *header);

/** Writes an error packet (header, code, message cut at a UTF-8 character boundary to at most max_message bytes)
    into out (cap bytes); returns its length (0 when even the code does not fit). */
size_t csa_rpc_write_error(uint8_t *out, size_t cap, const csa_rpc_header_t *request, uint16_t code,
                           const char *message, size_t max_message);

#ifdef __cplusplus
}
#endif

#endif /* CSA_RPC_PACKET_H_ */
