/*
 * One node of the Csa data link (protocol.md sections 6 and 7): its links, delivery and reassembly, forwarding
 * between an upstream and a downstream link (daisy chain), link management (capabilities, echo, address assignment,
 * forget, joining and leaving groups), and sending packets in frames that fit the path.
 *
 * The node never reads a clock and never blocks on its own: the port feeds it the bytes each link received
 * (csa_node_receive), the time (every call takes `now`, milliseconds from any origin, wrapping), and calls
 * csa_node_poll regularly for timeouts. It writes through each link's write function, which must take every byte
 * (a UART driver queues or waits). All memory is inside csa_node_t; nothing is allocated.
 */
#ifndef CSA_NODE_H_
#define CSA_NODE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csa/csa_config.h"
#include "csa/csa_frame.h"
#include "csa/csa_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct csa_node;

/** Writes n bytes to a link; must take all of them (queue or wait). */
typedef void (*csa_link_write_fn)(void *ctx, const uint8_t *data, size_t n);

/** A link's role: only frames for the unassigned address 0xFE depend on it (protocol.md 6.3). */
typedef enum {
    CSA_LINK_UPSTREAM = 0,  /**< Towards the host (a device with one link has it upstream). */
    CSA_LINK_DOWNSTREAM = 1 /**< Away from the host (the next device of a chain). */
} csa_link_role_t;

/** The link index of a packet the node sent to itself. */
#define CSA_LINK_LOCAL 0xFFu

/** Counters of one link (protocol.md section 10 lists the SDK's). */
typedef struct {
    uint32_t frames_received;
    uint32_t frames_sent;
    uint32_t bytes_received;
    uint32_t bytes_sent;
    uint32_t frames_forwarded;
    uint32_t packets_received;
    uint32_t packets_sent;
    uint32_t resynchronisations;
    uint32_t dropped[CSA_DROP_REASON_COUNT];
#if CSA_CONFIG_CUT_THROUGH
    uint32_t frames_cut_through; /**< Sent: frames passed on while they arrived, intact (also in frames_forwarded). */
    uint32_t frames_poisoned;    /**< Sent: frames passed on that ended poisoned (bad CRC) or aborted (02 00). */
#endif
} csa_counters_t;

#if CSA_CONFIG_CUT_THROUGH
/** What happens to the frame a link is receiving, while it arrives (protocol.md 6.3.1). */
typedef enum {
    CSA_CT_UNDECIDED = 0, /**< Its 9 header bytes have not all arrived. */
    CSA_CT_STORE,         /**< Handled at its end: for this node, flooded, stopped, or aborted and forwarded whole. */
    CSA_CT_PASSING        /**< Being passed on to one outgoing link, which it holds until its delimiter. */
} csa_cut_through_state_t;

/** The cut-through state of one incoming link: the decoded frame itself is the link's receive buffer. */
typedef struct {
    uint8_t state;        /**< csa_cut_through_state_t */
    uint8_t out;          /**< The outgoing link while passing. */
    uint8_t hop_limit;    /**< The hop limit it goes out with (received minus 1). */
    bool written;         /**< Bytes of it went out: an abort must end that run with 02 00. */
    bool full_block;      /**< The last block written was a full one (254 bytes, no implied zero). */
    uint16_t block;       /**< Where the open output block starts in the receive buffer. */
    uint16_t scanned;     /**< Decoded bytes the encoder has looked at. */
    uint32_t last_byte_ms; /**< When the last bytes of it arrived (stall, rule 5). */
} csa_cut_through_t;
#endif

/** One link: a byte stream to one neighbour. */
typedef struct {
    csa_link_write_fn write;
    void *ctx;
    csa_link_role_t role;
    bool open;
    bool sent_before;      /**< A frame went out already (the first one gets a leading delimiter). */
    uint32_t last_tx_ms;   /**< When the last frame went out (idle 100 ms: leading delimiter, protocol.md 3.2). */
    csa_frame_rx_t rx;
    csa_counters_t counters;
#if CSA_CONFIG_CUT_THROUGH
    csa_cut_through_t ct; /**< The frame arriving on this link, if it is being passed on. */
#endif
} csa_link_t;

/** A whole packet handed to a bound port. data is valid only during the call. */
typedef struct {
    uint8_t src_node;
    uint8_t src_port;
    uint8_t dst_node;
    uint8_t dst_port;
    uint8_t link; /**< The link it came in on, or CSA_LINK_LOCAL. */
    const uint8_t *data;
    size_t len;
} csa_packet_t;

/** Receives the packets of a bound port. */
typedef void (*csa_port_handler_fn)(void *ctx, struct csa_node *node, const csa_packet_t *packet);

/** What the node advertises and enforces: at most the compile-time capacities of csa_config.h. */
typedef struct {
    uint16_t max_frame_size;  /**< 64..CSA_CONFIG_MAX_FRAME_SIZE */
    uint8_t rx_buffers;       /**< 1..CSA_CONFIG_RX_BUFFERS */
    uint16_t max_packet_size; /**< 8..CSA_CONFIG_MAX_PACKET_SIZE */
} csa_limits_t;

/** The limits equal to the capacities: what a firmware with no run-time choice advertises. */
#define CSA_LIMITS_DEFAULT                                                                                             \
    { (uint16_t)CSA_CONFIG_MAX_FRAME_SIZE, (uint8_t)CSA_CONFIG_RX_BUFFERS, (uint16_t)CSA_CONFIG_MAX_PACKET_SIZE }

/** What a node knows about another: the path limit it was told (7.1) and the capabilities it asked for. */
typedef struct {
    bool used;
    bool has_capabilities;
    uint8_t address;
    uint8_t rx_buffers;      /**< From its capabilities (0 until known). */
    uint16_t max_frame_size; /**< From its capabilities (0 until known). */
    uint16_t path_limit;     /**< Largest frame the path allows (0 until known). */
    uint32_t last_used;
} csa_peer_t;

/** A packet being reassembled, or a whole one held for later delivery (csa_node_hold_packet); the buffer is one of
    the node's receive buffers. */
typedef struct {
    bool used;
    bool held;       /**< A whole packet kept until csa_node_release_packet: never continued, evicted or expired. */
    uint8_t link;
    uint8_t src_node;
    uint8_t src_port;
    uint8_t dst_node; /**< Set for a held packet (this node, the broadcast or a group). */
    uint8_t dst_port;
    uint16_t packet_id;
    uint16_t next_index;
    uint32_t length;
    uint32_t deadline;
    uint32_t sequence;
    uint8_t data[CSA_CONFIG_MAX_PACKET_SIZE];
} csa_reassembly_t;

/** A link-management request this node sent and waits an answer for (capabilities of a peer). */
typedef struct {
    bool active;
    uint8_t token;
    uint8_t address;
    uint8_t attempts;
    uint32_t deadline;
} csa_lm_request_t;

/** One node. Initialise with csa_node_init; everything it needs is inside. */
typedef struct csa_node {
    csa_limits_t limits;
    uint8_t address;
    bool allow_assignment;
    uint8_t hop_limit;
    uint8_t link_count;
    uint8_t next_token;
    uint16_t next_packet_id;
    uint32_t now;
    uint32_t sequence;
    csa_link_t links[CSA_CONFIG_MAX_LINKS];
    /* Per address 0x00..0xEF: low nibble the learnt link + 1, high nibble the static link + 1 (0: none). */
    uint8_t routes[CSA_ADDR_LAST_DEVICE + 1u];
    csa_peer_t peers[CSA_CONFIG_PEERS];
    csa_reassembly_t reassembly[CSA_CONFIG_RX_BUFFERS];
    struct {
        uint8_t port;
        csa_port_handler_fn handler;
        void *ctx;
    } ports[CSA_CONFIG_MAX_PORTS];
    csa_lm_request_t lm_requests[2];
#if CSA_CONFIG_MAX_GROUPS > 0
    uint16_t groups;     /**< Bit i: a member of group 0xF0 + i (RAM only: a restart forgets them, protocol.md 7.6). */
    uint8_t max_groups;  /**< How many it may join at once: 0..CSA_CONFIG_MAX_GROUPS (0: it refuses every join). */
#endif
#if CSA_CONFIG_CUT_THROUGH
    bool cut_through; /**< Pass frames on while they arrive (csa_node_set_cut_through; on after csa_node_init). */
#endif
    csa_counters_t local;                       /**< Counters of packets the node sent to itself. */
    uint8_t tx_frame[CSA_CONFIG_MAX_FRAME_SIZE]; /**< The frame being sent. */
} csa_node_t;

/** Prepares a node. address: a device address (fixed), or CSA_ADDR_UNASSIGNED for a chain member that waits to be
    enumerated; allow_assignment: whether assign/forget address are obeyed. Returns CSA_ERR_ARGUMENT when a limit is
    outside 64..capacity (frame), 1..capacity (buffers) or 8..capacity (packet). */
int csa_node_init(csa_node_t *node, const csa_limits_t *limits, uint8_t address, bool allow_assignment, uint32_t now);

/** Adds a link; returns its index (0, 1, ...) or CSA_ERR_FULL. */
int csa_node_add_link(csa_node_t *node, csa_link_role_t role, csa_link_write_fn write, void *ctx);

/** A link's far end went away (or came back): a run in progress is dropped as Truncated, routes learnt over it
    are forgotten. A closed link sends and forwards nothing. */
void csa_node_set_link_open(csa_node_t *node, uint8_t link, bool open);

/** Feeds bytes a link received; frames are handled (delivered, forwarded, answered) before it returns. */
void csa_node_receive(csa_node_t *node, uint8_t link, const uint8_t *data, size_t len, uint32_t now);

/** Runs timeouts (reassembly, link-management retries). Call it at least every few tens of milliseconds. */
void csa_node_poll(csa_node_t *node, uint32_t now);

/** Binds a port (1..255) to a handler. CSA_ERR_EXISTS when bound, CSA_ERR_FULL when CSA_CONFIG_MAX_PORTS are. */
int csa_node_bind(csa_node_t *node, uint8_t port, csa_port_handler_fn handler, void *ctx);

/** Sends a packet from src_port to dst_node:dst_port, in frames that fit the path (6.1), out of the route's link or,
    without a route, every open link (for 0xFE: the downstream ones). CSA_ERR_TOO_LARGE (over the maximum packet size,
    or more than 256 frames), CSA_ERR_NO_LINK (no open link, or the route's link is closed). */
int csa_node_send(csa_node_t *node, uint8_t src_port, uint8_t dst_node, uint8_t dst_port, const uint8_t *packet,
                  size_t len);

/** As csa_node_send, but out of one given link (answers go back the way the request came). */
int csa_node_send_via(csa_node_t *node, uint8_t link, uint8_t src_port, uint8_t dst_node, uint8_t dst_port,
                      const uint8_t *packet, size_t len);

/** Sets (link index) or clears (CSA_LINK_LOCAL) an explicit route; it wins over learnt ones. */
int csa_node_set_route(csa_node_t *node, uint8_t address, uint8_t link);

/** The link frames for address leave by, or CSA_LINK_LOCAL when they would be flooded. */
uint8_t csa_node_route(const csa_node_t *node, uint8_t address);

/** The largest frame that may go to address now (protocol.md 6.1). */
uint16_t csa_node_path_frame_size(const csa_node_t *node, uint8_t address);

/** Asks address for its capabilities (link management, 3 attempts of 1 s); the answer lands in the peer table. */
int csa_node_request_capabilities(csa_node_t *node, uint8_t address);

/** The peer entry of address, or NULL when the node knows nothing about it. */
const csa_peer_t *csa_node_peer(const csa_node_t *node, uint8_t address);

/** How many groups (protocol.md 7.6) the node may be a member of at once: 0..CSA_CONFIG_MAX_GROUPS (the default after
    csa_node_init is CSA_CONFIG_MAX_GROUPS; 0 refuses every join, result 1). Leaves every group. CSA_ERR_ARGUMENT above
    the capacity (always, for a build with CSA_CONFIG_MAX_GROUPS 0, unless max is 0). */
int csa_node_set_max_groups(csa_node_t *node, uint8_t max);

/** Joins group (0xF0..0xFD) as a join request from a host does: CSA_OK (a member now, or already), CSA_ERR_FULL (a
    member of as many groups as it may be), CSA_ERR_ARGUMENT (not a group address). */
int csa_node_join_group(csa_node_t *node, uint8_t group);

/** Leaves group, or every group for CSA_ADDR_BROADCAST; nothing happens when it was not a member. */
void csa_node_leave_group(csa_node_t *node, uint8_t group);

/** True when the node delivers frames sent to group. */
bool csa_node_is_member(const csa_node_t *node, uint8_t group);

#if CSA_CONFIG_CUT_THROUGH
/** Cut-through forwarding (protocol.md 6.3.1) on (the default) or off (store-and-forward, as a build without it).
    A frame already being passed on finishes as it began. */
void csa_node_set_cut_through(csa_node_t *node, bool on);
#endif

/** Decoded bytes of the frame arriving now on a link (0 between frames): how far the line is into it. A bootloader
    reads it to start a long flash erase only while its receive buffers can still take the host's window (device-model.md
    6.4.1). It counts frames passing through for other nodes too. */
static inline uint16_t csa_node_bytes_arriving(const csa_node_t *node, uint8_t link)
{
    return node->links[link].rx.length;
}

/** The node's current address (CSA_ADDR_UNASSIGNED before enumeration). */
static inline uint8_t csa_node_address(const csa_node_t *node)
{
    return node->address;
}

/** Sets the address, e.g. one kept across a reset in RAM that start-up code does not clear (device-model.md 7.2). */
void csa_node_set_address(csa_node_t *node, uint8_t address);

/** The sum of every link's counters and the local ones. */
void csa_node_totals(const csa_node_t *node, csa_counters_t *totals);

/** Packets being reassembled now (each holds a receive buffer). */
unsigned csa_node_reassemblies(const csa_node_t *node);

/** Keeps the packet being delivered to a port handler (packet, inside the handler) in one of the node's receive
    buffers, to be handed on later: a reassembled packet stays where it was put together, a single-frame one (which
    lies in the link's frame buffer) is copied into a free buffer. The buffer counts against the receive buffers the
    node advertises until csa_node_release_packet. Returns it, or NULL when every receive buffer is taken (the packet
    is lost: counted as SocketQueueFull on its link). For a bootloader that keeps its link running while the flash is
    busy (csa_service/busy_link.h): marked CSA_CONFIG_LINK_RAMFUNC. */
csa_reassembly_t *csa_node_hold_packet(csa_node_t *node, const csa_packet_t *packet);

/** The held buffer that has waited longest (packets held in arrival order), or NULL when none is held. */
csa_reassembly_t *csa_node_oldest_held(csa_node_t *node);

/** The packet a held buffer carries (data points into the buffer, valid until csa_node_release_packet). */
void csa_node_held_packet(const csa_reassembly_t *held, csa_packet_t *packet);

/** Gives a held buffer back to the node. */
void csa_node_release_packet(csa_reassembly_t *held);

#ifdef __cplusplus
}
#endif

#endif /* CSA_NODE_H_ */
