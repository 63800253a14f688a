/* Frames, protocol.md sections 4 and 5: the 9-byte header, the decoded frame with its little-endian CRC-32, the
   validation order of a received run, and a byte-stream receiver that cuts a link's bytes into frames without ever
   holding more than one maximum-size frame. */
#ifndef CSA_FRAME_H_
#define CSA_FRAME_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csa/csa_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_PROTOCOL_VERSION 1u
#define CSA_FRAME_HEADER_SIZE 9u
#define CSA_FRAME_CRC_SIZE 4u
#define CSA_FRAME_OVERHEAD 13u
#define CSA_MIN_MAX_FRAME_SIZE 64u
#define CSA_MAX_FRAGMENTS 256u

/* Addresses (protocol.md section 2). */
#define CSA_ADDR_HOST 0x00u
#define CSA_ADDR_LAST_DEVICE 0xEFu
#define CSA_ADDR_FIRST_GROUP 0xF0u
#define CSA_ADDR_LAST_GROUP 0xFDu
#define CSA_ADDR_UNASSIGNED 0xFEu
#define CSA_ADDR_BROADCAST 0xFFu
/* Ports. */
#define CSA_PORT_LINK_MANAGEMENT 0x00u
#define CSA_PORT_RPC 0x01u

/** True for the host (0x00) and device addresses 0x01..0xEF: the addresses routes and peers exist for. */
static inline bool csa_addr_is_routable(uint8_t address)
{
    return address <= CSA_ADDR_LAST_DEVICE;
}

/** True for the group addresses 0xF0..0xFD (protocol.md 7.6): delivered by their members, forwarded like a broadcast. */
static inline bool csa_addr_is_group(uint8_t address)
{
    return address >= CSA_ADDR_FIRST_GROUP && address <= CSA_ADDR_LAST_GROUP;
}

/** Why a frame or packet was dropped: the reasons of protocol.md section 5, in the SDK's order. */
typedef enum {
    CSA_DROP_CRC_MISMATCH = 0,
    CSA_DROP_MALFORMED,
    CSA_DROP_OVERSIZE,
    CSA_DROP_UNSUPPORTED_VERSION,
    CSA_DROP_TRUNCATED,
    CSA_DROP_HOP_LIMIT_EXCEEDED,
    CSA_DROP_NO_ROUTE,
    CSA_DROP_NOT_FOR_THIS_NODE,
    CSA_DROP_PORT_NOT_BOUND,
    CSA_DROP_SOCKET_QUEUE_FULL,
    CSA_DROP_DUPLICATE_FRAGMENT,
    CSA_DROP_FRAGMENT_OUT_OF_ORDER,
    CSA_DROP_ORPHAN_FRAGMENT,
    CSA_DROP_REASSEMBLY_TIMEOUT,
    CSA_DROP_REASSEMBLY_EVICTED,
    CSA_DROP_PACKET_TOO_LARGE,
    CSA_DROP_INVALID_LINK_MANAGEMENT,
    CSA_DROP_REASON_COUNT
} csa_drop_reason_t;

/** The name the SDK and the docs use for a reason ("CrcMismatch", ...). */
const char *csa_drop_reason_name(csa_drop_reason_t reason);

/** The header fields of a frame. */
typedef struct {
    bool last;           /**< LAST: the last (or only) frame of its packet. */
    uint8_t hop_limit;
    uint8_t dst_node;
    uint8_t dst_port;
    uint8_t src_node;
    uint8_t src_port;
    uint16_t packet_id;
    uint8_t fragment;
} csa_frame_header_t;

/** Writes the decoded frame (header, payload, CRC) into out; returns its length or 0 when it does not fit cap. */
size_t csa_frame_write(const csa_frame_header_t *header, const uint8_t *payload, size_t payload_len, uint8_t *out,
                       size_t cap);

/** Recomputes the CRC of a decoded frame of len bytes in place (after a forwarder changed its hop limit). */
void csa_frame_reseal(uint8_t *frame, size_t len);

/** Checks a decoded frame (protocol.md section 5, steps 5 to 8); on success fills header and the payload's place.
    Returns -1 when valid, otherwise the csa_drop_reason_t to count. */
int csa_frame_parse(const uint8_t *frame, size_t len, csa_frame_header_t *header, size_t *payload_offset,
                    size_t *payload_len);

/** What csa_frame_rx_feed found. */
typedef enum {
    CSA_RX_NEED_MORE = 0, /**< Every byte given was consumed; no frame ended. */
    CSA_RX_FRAME,         /**< A valid frame ended: header, and payload in rx->frame. */
    CSA_RX_DROPPED,       /**< A run ended and was dropped for reason. */
    CSA_RX_EMPTY          /**< An empty run (two delimiters in a row): ignored, nothing counted. */
} csa_rx_status_t;

/** The receiving side of one link: an incremental COBS decoder into a frame buffer. */
typedef struct {
    uint16_t max_frame;   /**< The node's maximum frame size M (at most CSA_CONFIG_MAX_FRAME_SIZE). */
    uint16_t length;      /**< Decoded bytes so far. */
    uint32_t encoded;     /**< Encoded bytes of the current run so far. */
    uint8_t remaining;    /**< Bytes left in the current COBS block; 0 when a code byte is next. */
    bool zero_pending;    /**< The block just ended implies a zero if more input follows. */
    bool block_is_full;   /**< The current block's code is 0xFF (no implied zero). */
    bool oversize;        /**< The run outgrew M; its bytes are discarded up to the delimiter. */
    bool in_run;          /**< Bytes of a run have arrived since the last delimiter. */
    uint8_t frame[CSA_CONFIG_MAX_FRAME_SIZE];
} csa_frame_rx_t;

/** The result of a completed run. */
typedef struct {
    csa_rx_status_t status;
    csa_drop_reason_t reason;  /**< For CSA_RX_DROPPED. */
    csa_frame_header_t header; /**< For CSA_RX_FRAME. */
    size_t payload_offset;     /**< For CSA_RX_FRAME: the payload is rx->frame[payload_offset ...]. */
    size_t payload_len;
    size_t frame_len;          /**< For CSA_RX_FRAME (and CSA_RX_DROPPED with cut-through built in): the decoded length (what rx->frame holds). */
} csa_rx_result_t;

/** Prepares a receiver for frames of at most max_frame bytes (64..CSA_CONFIG_MAX_FRAME_SIZE). */
void csa_frame_rx_init(csa_frame_rx_t *rx, uint16_t max_frame);

/** Consumes bytes up to and including the first delimiter; returns how many were consumed and what ended. Call it
    again with the rest until everything is consumed. The frame stays in rx->frame until the next call. */
size_t csa_frame_rx_feed(csa_frame_rx_t *rx, const uint8_t *data, size_t len, csa_rx_result_t *result);

/** The link ended: returns true when a run was in progress (to be counted as Truncated) and resets the receiver. */
bool csa_frame_rx_truncate(csa_frame_rx_t *rx);

/** Calls write(ctx, bytes, n) with the COBS encoding of a decoded frame followed by the delimiter, in chunks of a
    small stack buffer (nothing else is needed to send a frame). */
void csa_frame_send_encoded(const uint8_t *frame, size_t len, void (*write)(void *ctx, const uint8_t *data, size_t n),
                            void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CSA_FRAME_H_ */
