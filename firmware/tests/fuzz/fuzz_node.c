/* libFuzzer target: a whole device on a wire. The input is what a host (or an attacker on the line) sends to a node
   serving the sample pump and the all-types interfaces: raw bytes and well-sealed frames with chosen fields, with the
   time advancing between them, so framing, link management (groups too), reassembly and its timeouts, forwarding, the
   RPC server and its cache all see hostile input. The sanitizers are the oracle; the node must also keep its own invariants. */
#include "all-types.rpc.binding.h"
#include "csa/csa_cobs.h"
#include "csa/csa_node.h"
#include "csa/csa_rpc_server.h"
#include "sample-pump.rpc.binding.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t written;

static void sink(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    (void)p;
    written += n;
}

static csa_rpc_call_t *held;

static uint16_t get_status(void *ctx, csa_rpc_call_t *call, const infusion_pump_get_status_request_t *rq,
                           infusion_pump_get_status_response_t *rs)
{
    (void)ctx;
    (void)call;
    (void)rq;
    rs->state = INFUSION_PUMP_PUMP_STATE_INFUSING;
    return 0;
}

static uint16_t start(void *ctx, csa_rpc_call_t *call, const infusion_pump_start_infusion_request_t *rq,
                      infusion_pump_start_infusion_response_t *rs)
{
    (void)ctx;
    if (rq->volume_to_be_infused_microliters == 0u) {
        call->error_message = "no volume";
        return INFUSION_PUMP_ERR_RATE_OUT_OF_RANGE;
    }
    rs->infusion_number = rq->volume_to_be_infused_microliters;
    return 0;
}

static uint16_t stop(void *ctx, csa_rpc_call_t *call, const infusion_pump_stop_infusion_request_t *rq,
                     infusion_pump_stop_infusion_response_t *rs)
{
    (void)ctx;
    (void)rq;
    (void)rs;
    held = call;
    return CSA_RPC_DEFERRED;
}

static uint16_t everything(void *ctx, csa_rpc_call_t *call, const all_types_everything_request_t *rq,
                           all_types_everything_response_t *rs)
{
    (void)ctx;
    (void)call;
    rs->echo_len = rq->var_bytes_len;
    memcpy(rs->echo, rq->var_bytes, rq->var_bytes_len);
    return 0;
}

static uint16_t nothing(void *ctx, csa_rpc_call_t *call, const all_types_nothing_request_t *rq,
                        all_types_nothing_response_t *rs)
{
    (void)ctx;
    (void)call;
    (void)rq;
    (void)rs;
    return 0;
}

static const infusion_pump_handlers_t pump = {get_status, start, stop};
static const all_types_handlers_t types = {everything, nothing};

/* The input is a list of records, so that most of it reaches past the CRC: a record either is raw line bytes (noise,
   broken frames) or describes a frame (header fields and payload) that the target seals with a correct CRC, encodes
   and puts on the line; the time advances between records. */
static void put_frame(csa_node_t *node, uint8_t link, const csa_frame_header_t *h, const uint8_t *payload, size_t len,
                      uint32_t now)
{
    static uint8_t frame[CSA_CONFIG_MAX_FRAME_SIZE + 64], encoded[CSA_CONFIG_MAX_FRAME_SIZE + 128];
    size_t n = csa_frame_write(h, payload, len, frame, sizeof frame), e;
    if (n == 0u)
        return;
    e = csa_cobs_encode(frame, n, encoded, sizeof encoded - 1u);
    encoded[e++] = 0;
    csa_node_receive(node, link, encoded, e, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static csa_node_t node;
    static csa_rpc_server_t server;
    static csa_rpc_service_t s1, s2;
    /* Node addresses a frame may name: this node, unassigned, broadcast, the host, other devices, two groups (which the
       node may join through link management, protocol.md 7.6). */
    static const uint8_t nodes[8] = {0x01, CSA_ADDR_UNASSIGNED, CSA_ADDR_BROADCAST, 0x00, 0x02, 0x05, 0xF3, 0xF0};
    csa_limits_t limits = {256u, 3u, 1024u};
    uint32_t now = 1000;
    size_t at = 1;
    held = NULL;
    if (size < 1u)
        return 0;
    if (csa_node_init(&node, &limits, (data[0] & 1u) != 0u ? 0x01u : CSA_ADDR_UNASSIGNED, (data[0] & 2u) != 0u, now) !=
        CSA_OK)
        abort();
    (void)csa_node_add_link(&node, CSA_LINK_UPSTREAM, sink, NULL);
    (void)csa_node_add_link(&node, CSA_LINK_DOWNSTREAM, sink, NULL);
    if (csa_rpc_server_init(&server, &node, CSA_PORT_RPC) != CSA_OK)
        abort();
    infusion_pump_service_init(&s1, &pump, NULL);
    all_types_service_init(&s2, &types, NULL);
    if (csa_rpc_server_add(&server, &s1) != CSA_OK || csa_rpc_server_add(&server, &s2) != CSA_OK)
        abort();
    while (at + 2u <= size) {
        uint8_t op = data[at], link = (uint8_t)((op >> 1) & 1u);
        now += (uint32_t)data[at + 1] * 16u;
        at += 2u;
        if ((op & 1u) == 0u) {
            /* Raw bytes: a length, then the bytes. */
            size_t n;
            if (at >= size)
                break;
            n = data[at++];
            if (n > size - at)
                n = size - at;
            csa_node_receive(&node, link, data + at, n, now);
            at += n;
        } else {
            /* A sealed frame: 8 bytes of header choices, a length, the payload. */
            csa_frame_header_t h;
            size_t n;
            if (size - at < 9u)
                break;
            h.last = (data[at] & 1u) != 0u;
            h.hop_limit = (uint8_t)(data[at] >> 1);
            h.dst_node = nodes[data[at + 1] & 7u];
            h.dst_port = (uint8_t)(data[at + 2] % 4u);
            h.src_node = nodes[data[at + 3] & 7u] == CSA_ADDR_BROADCAST ? 0x00u : nodes[data[at + 3] & 7u];
            h.src_port = data[at + 4];
            h.packet_id = (uint16_t)(data[at + 5] & 7u);
            h.fragment = data[at + 6];
            n = data[at + 7];
            at += 8u;
            if (n > size - at)
                n = size - at;
            if (n > limits.max_frame_size - CSA_FRAME_OVERHEAD)
                n = limits.max_frame_size - CSA_FRAME_OVERHEAD;
            put_frame(&node, link, &h, data + at, n, now);
            at += n;
        }
        csa_node_poll(&node, now);
        if (held != NULL && (op & 0x80u) != 0u) {
            (void)csa_rpc_server_fail(&server, held, CSA_RPC_INTERNAL_ERROR, "stopped");
            held = NULL;
        }
        if (csa_node_reassemblies(&node) > limits.rx_buffers || csa_rpc_server_deferred(&server) > limits.rx_buffers)
            abort();
        {
            /* Never a member of more groups than the node may be. */
            unsigned g, members = 0;
            for (g = CSA_ADDR_FIRST_GROUP; g <= CSA_ADDR_LAST_GROUP; g++)
                members += csa_node_is_member(&node, (uint8_t)g) ? 1u : 0u;
            if (members > CSA_CONFIG_MAX_GROUPS)
                abort();
        }
    }
    return 0;
}
