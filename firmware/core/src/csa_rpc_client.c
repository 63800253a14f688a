#include "csa/csa_rpc_client.h"

#include "csa_wire.h"

#include <string.h>

static void on_packet(void *ctx, csa_node_t *node, const csa_packet_t *packet);

int csa_rpc_client_init(csa_rpc_client_t *client, csa_node_t *node, uint8_t port, uint16_t seed)
{
    memset(client, 0, sizeof *client);
    client->node = node;
    client->port = port;
    client->max_in_flight = (uint8_t)CSA_CONFIG_CLIENT_CALLS;
    client->next_request_id = seed;
    return csa_node_bind(node, port, on_packet, client);
}

unsigned csa_rpc_client_pending(const csa_rpc_client_t *client)
{
    unsigned i, n = 0;
    for (i = 0; i < CSA_CONFIG_CLIENT_CALLS; i++)
        n += client->calls[i].used ? 1u : 0u;
    return n;
}

/* The window towards a node: its receive buffers once known (1 until then), at most the replay window. */
static unsigned window_of(csa_rpc_client_t *client, uint8_t node)
{
    const csa_peer_t *peer = csa_node_peer(client->node, node);
    unsigned window = 1;
    if (peer != NULL && peer->has_capabilities)
        window = peer->rx_buffers;
    else
        (void)csa_node_request_capabilities(client->node, node);
    if (window > CSA_RPC_REPLAY_WINDOW)
        window = CSA_RPC_REPLAY_WINDOW;
    if (window > client->max_in_flight)
        window = client->max_in_flight;
    return window == 0u ? 1u : window;
}

static void transmit(csa_rpc_client_t *client, csa_rpc_client_call_t *call, bool resend)
{
    if (resend)
        call->packet[1] |= CSA_RPC_FLAG_RESEND;
    call->attempts++;
    call->waiting_after_busy = false;
    call->deadline = client->node->now + CSA_CONFIG_CLIENT_TIMEOUT_MS;
    (void)csa_node_send(client->node, client->port, call->node, CSA_PORT_RPC, call->packet, call->len);
}

/* Encodes a raw payload (csa_rpc_client_call). */
typedef struct {
    const uint8_t *data;
    size_t len;
} raw_payload_t;

static int32_t encode_raw(const void *message, uint8_t *buf, size_t cap)
{
    const raw_payload_t *raw = (const raw_payload_t *)message;
    if (raw->len > cap)
        return -1;
    if (raw->len > 0u)
        memcpy(buf, raw->data, raw->len);
    return (int32_t)raw->len;
}

int csa_rpc_client_call(csa_rpc_client_t *client, uint8_t node, uint16_t interface_id, uint16_t command_id,
                        const uint8_t *payload, size_t len, csa_rpc_done_fn done, void *ctx)
{
    raw_payload_t raw;
    if (len > CSA_CONFIG_CLIENT_PACKET_SIZE - CSA_RPC_HEADER_SIZE)
        return CSA_ERR_TOO_LARGE;
    raw.data = payload;
    raw.len = len;
    return csa_rpc_client_call_encoded(client, node, interface_id, command_id, encode_raw, &raw, done, NULL, ctx);
}

int csa_rpc_client_call_encoded(csa_rpc_client_t *client, uint8_t node, uint16_t interface_id, uint16_t command_id,
                                csa_rpc_encode_fn encode, const void *message, csa_rpc_done_fn done,
                                csa_rpc_any_fn user_done, void *ctx)
{
    csa_rpc_client_call_t *slot = NULL;
    csa_rpc_header_t h;
    unsigned i, in_flight = 0;
    uint32_t oldest = 0;
    bool oldest_known = false;
    uint16_t id;
    int32_t n;
    int rc;
    if (done == NULL || encode == NULL || !csa_addr_is_routable(node))
        return CSA_ERR_ARGUMENT;
    for (i = 0; i < CSA_CONFIG_CLIENT_CALLS; i++) {
        csa_rpc_client_call_t *c = &client->calls[i];
        if (!c->used) {
            if (slot == NULL)
                slot = c;
            continue;
        }
        if (c->node != node)
            continue;
        in_flight++;
        if (!oldest_known || (int32_t)(c->issue - oldest) < 0) {
            oldest = c->issue;
            oldest_known = true;
        }
    }
    /* The replay window: never CSA_RPC_REPLAY_WINDOW or more requests younger than the oldest unanswered one. */
    if (slot == NULL || in_flight >= window_of(client, node) ||
        (oldest_known && client->issue + 1u - oldest >= CSA_RPC_REPLAY_WINDOW))
        return CSA_ERR_BUSY;
    n = encode(message, slot->packet + CSA_RPC_HEADER_SIZE, sizeof slot->packet - CSA_RPC_HEADER_SIZE);
    if (n < 0)
        return CSA_ERR_ENCODE;
    /* The next id that no call to this node waits for. */
    for (;;) {
        bool taken = false;
        id = client->next_request_id++;
        for (i = 0; i < CSA_CONFIG_CLIENT_CALLS; i++)
            taken = taken || (client->calls[i].used && client->calls[i].node == node && client->calls[i].request_id == id);
        if (!taken)
            break;
    }
    h.kind = CSA_RPC_COMMAND;
    h.flags = 0;
    h.interface_id = interface_id;
    h.message_id = command_id;
    h.request_id = id;
    csa_rpc_write_header(slot->packet, &h);
    slot->len = (uint16_t)(CSA_RPC_HEADER_SIZE + (size_t)n);
    slot->node = node;
    slot->request_id = id;
    slot->interface_id = interface_id;
    slot->command_id = command_id;
    slot->done = done;
    slot->user_done = user_done;
    slot->ctx = ctx;
    /* A request the data link refuses at once (no link, too large for the path) was never sent: it fails here. */
    rc = csa_node_send(client->node, client->port, node, CSA_PORT_RPC, slot->packet, slot->len);
    if (rc != CSA_OK)
        return rc;
    slot->issue = ++client->issue;
    slot->used = true;
    slot->attempts = 1;
    slot->waiting_after_busy = false;
    slot->deadline = client->node->now + CSA_CONFIG_CLIENT_TIMEOUT_MS;
    return CSA_OK;
}

static void complete(csa_rpc_client_call_t *call, int32_t status, const uint8_t *payload, size_t len)
{
    csa_rpc_result_t r;
    csa_rpc_done_fn done = call->done;
    r.status = status;
    r.node = call->node;
    r.interface_id = call->interface_id;
    r.command_id = call->command_id;
    r.payload = payload;
    r.len = len;
    r.user_done = call->user_done;
    call->used = false; /* free before the callback, which may start the next call */
    done(call->ctx, &r);
}

static void on_packet(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    csa_rpc_client_t *client = (csa_rpc_client_t *)ctx;
    csa_rpc_header_t h;
    unsigned i;
    (void)node;
    if (csa_rpc_parse(p->data, p->len, &h) != CSA_RPC_PACKET_OK)
        return; /* malformed: the call it answered times out and is resent */
    if (h.kind == CSA_RPC_EVENT) {
        if (client->on_event != NULL)
            client->on_event(client->event_ctx, p->src_node, h.interface_id, h.message_id, h.request_id,
                             p->data + CSA_RPC_HEADER_SIZE, p->len - CSA_RPC_HEADER_SIZE);
        return;
    }
    if (h.kind != CSA_RPC_RESPONSE && h.kind != CSA_RPC_ERROR)
        return;
    for (i = 0; i < CSA_CONFIG_CLIENT_CALLS; i++) {
        csa_rpc_client_call_t *c = &client->calls[i];
        if (!c->used || c->node != p->src_node || c->request_id != h.request_id || c->interface_id != h.interface_id ||
            c->command_id != h.message_id)
            continue;
        if (h.kind == CSA_RPC_RESPONSE) {
            complete(c, 0, p->data + CSA_RPC_HEADER_SIZE, p->len - CSA_RPC_HEADER_SIZE);
        } else {
            uint16_t code = csa_get_u16(p->data + CSA_RPC_HEADER_SIZE);
            if (code == CSA_RPC_BUSY && c->attempts < CSA_CONFIG_CLIENT_ATTEMPTS) {
                /* Not taken: wait, then send the same id again. */
                c->waiting_after_busy = true;
                c->deadline = client->node->now + CSA_CONFIG_CLIENT_RETRY_DELAY_MS;
            } else {
                complete(c, code, p->data + CSA_RPC_HEADER_SIZE + 2u, p->len - CSA_RPC_HEADER_SIZE - 2u);
            }
        }
        return;
    }
}

void csa_rpc_client_poll(csa_rpc_client_t *client)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_CLIENT_CALLS; i++) {
        csa_rpc_client_call_t *c = &client->calls[i];
        if (!c->used || !csa_time_reached(client->node->now, c->deadline))
            continue;
        if (c->waiting_after_busy || c->attempts < CSA_CONFIG_CLIENT_ATTEMPTS)
            transmit(client, c, true);
        else
            complete(c, CSA_ERR_TIMEOUT, NULL, 0);
    }
}
