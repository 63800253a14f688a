/* libFuzzer target: a whole device on a wire. The input is the byte stream a host (or an attacker on the line) sends
   to a node serving the sample pump and the all-types interfaces, split into bursts with the time advancing between
   them, so framing, link management, reassembly and its timeouts, forwarding, the RPC server and its cache all see
   hostile input. The sanitizers are the oracle; the node must also keep its own invariants. */
#include "all-types.rpc.binding.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static csa_node_t node;
    static csa_rpc_server_t server;
    static csa_rpc_service_t s1, s2;
    csa_limits_t limits = {256u, 3u, 1024u};
    uint32_t now = 1000;
    size_t at = 0;
    held = NULL;
    if (csa_node_init(&node, &limits, CSA_ADDR_UNASSIGNED, true, now) != CSA_OK)
        abort();
    (void)csa_node_add_link(&node, CSA_LINK_UPSTREAM, sink, NULL);
    (void)csa_node_add_link(&node, CSA_LINK_DOWNSTREAM, sink, NULL);
    if (csa_rpc_server_init(&server, &node, CSA_PORT_RPC) != CSA_OK)
        abort();
    infusion_pump_service_init(&s1, &pump, NULL);
    all_types_service_init(&s2, &types, NULL);
    if (csa_rpc_server_add(&server, &s1) != CSA_OK || csa_rpc_server_add(&server, &s2) != CSA_OK)
        abort();
    while (at < size) {
        /* A burst: a length byte, a link byte, a time step byte, then the bytes. */
        size_t n;
        uint8_t link;
        if (size - at < 3u)
            break;
        n = data[at];
        link = (uint8_t)(data[at + 1] & 1u);
        now += (uint32_t)data[at + 2] * 16u;
        at += 3u;
        if (n > size - at)
            n = size - at;
        csa_node_receive(&node, link, data + at, n, now);
        at += n;
        csa_node_poll(&node, now);
        if (held != NULL && (data[at - 1u] & 3u) == 0u) {
            (void)csa_rpc_server_fail(&server, held, CSA_RPC_INTERNAL_ERROR, "stopped");
            held = NULL;
        }
        if (csa_node_reassemblies(&node) > limits.rx_buffers || csa_rpc_server_deferred(&server) > limits.rx_buffers)
            abort();
    }
    return 0;
}
