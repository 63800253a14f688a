/* The RPC server: the decisions of rpc-packets.md section 6, in arrival order. */
#include "csa/csa_rpc_server.h"

#include "csa/csa_crc32.h"
#include "csa_rpc_cache.h"
#include "csa_wire.h"

#include <string.h>

static void on_packet(void *ctx, csa_node_t *node, const csa_packet_t *packet);

int csa_rpc_server_init(csa_rpc_server_t *server, csa_node_t *node, uint8_t port)
{
    int rc;
    memset(server, 0, sizeof *server);
    server->node = node;
    server->port = port;
    server->answer_malformed = true;
    server->subscribers[0].used = true;
    server->subscribers[0].node = CSA_ADDR_HOST;
    server->subscribers[0].port = CSA_PORT_RPC;
    rc = csa_node_bind(node, port, on_packet, server);
    return rc;
}

static const csa_rpc_command_info_t *command_info(const csa_rpc_interface_t *iface, uint16_t command_id)
{
    uint16_t i;
    for (i = 0; i < iface->command_count; i++) {
        if (iface->commands[i].id == command_id)
            return &iface->commands[i];
    }
    return NULL;
}

/* The longest error message an answer to this command may carry: within the configured maximum, and, for a command
   that must be replayable, small enough for a cache entry. */
static size_t message_limit(const csa_rpc_call_t *call)
{
    size_t limit = CSA_CONFIG_ERROR_MESSAGE_MAX;
    if (!call->idempotent && CSA_CONFIG_CACHE_ANSWER_SIZE - 2u < limit)
        limit = CSA_CONFIG_CACHE_ANSWER_SIZE - 2u;
    return limit;
}

int csa_rpc_server_add(csa_rpc_server_t *server, const csa_rpc_service_t *service)
{
    unsigned i, free_slot = CSA_CONFIG_RPC_INTERFACES;
    const csa_rpc_interface_t *iface;
    if (service == NULL || service->interface == NULL || service->interface->dispatch == NULL)
        return CSA_ERR_ARGUMENT;
    iface = service->interface;
    for (i = 0; i < CSA_CONFIG_RPC_INTERFACES; i++) {
        if (server->services[i] == NULL) {
            if (free_slot == CSA_CONFIG_RPC_INTERFACES)
                free_slot = i;
        } else if (server->services[i]->interface->id == iface->id) {
            return CSA_ERR_EXISTS;
        }
    }
    if (iface->scratch_size > CSA_CONFIG_RPC_SCRATCH_SIZE)
        return CSA_ERR_CONFIG;
    for (i = 0; i < iface->command_count; i++) {
        const csa_rpc_command_info_t *c = &iface->commands[i];
        if ((size_t)c->max_response_size + CSA_RPC_HEADER_SIZE > sizeof server->tx)
            return CSA_ERR_CONFIG;
        if (!c->idempotent && c->max_response_size > CSA_CONFIG_CACHE_ANSWER_SIZE)
            return CSA_ERR_CONFIG;
    }
    if (free_slot == CSA_CONFIG_RPC_INTERFACES)
        return CSA_ERR_FULL;
    server->services[free_slot] = service;
    return CSA_OK;
}

void csa_rpc_server_remove(csa_rpc_server_t *server, uint16_t interface_id)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_RPC_INTERFACES; i++) {
        if (server->services[i] != NULL && server->services[i]->interface->id == interface_id)
            server->services[i] = NULL;
    }
}

static const csa_rpc_service_t *find_service(const csa_rpc_server_t *server, uint16_t interface_id)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_RPC_INTERFACES; i++) {
        if (server->services[i] != NULL && server->services[i]->interface->id == interface_id)
            return server->services[i];
    }
    return NULL;
}

static void send_to(csa_rpc_server_t *server, uint8_t node, uint8_t port, size_t len)
{
    /* Not delivered (no link, too large): the answer is cached when replayable, and the client's resend gets it. */
    (void)csa_node_send(server->node, server->port, node, port, server->tx, len);
}

static void send_error(csa_rpc_server_t *server, uint8_t node, uint8_t port, const csa_rpc_header_t *request,
                       uint16_t code, const char *message)
{
    size_t len = csa_rpc_write_error(server->tx, sizeof server->tx, request, code, message, CSA_CONFIG_ERROR_MESSAGE_MAX);
    send_to(server, node, port, len);
}

static csa_rpc_header_t call_header(const csa_rpc_call_t *call, uint8_t kind)
{
    csa_rpc_header_t h;
    h.kind = kind;
    h.flags = 0;
    h.interface_id = call->interface_id;
    h.message_id = call->command_id;
    h.request_id = call->request_id;
    return h;
}

/* Ends a call: the answer (response payload at tx + 8, or an error) is cached, the slot freed, then it is sent. */
static void finish(csa_rpc_server_t *server, csa_rpc_call_t *call, uint16_t status, size_t rsp_len)
{
    csa_rpc_header_t h;
    size_t len;
    if (status == 0u) {
        h = call_header(call, CSA_RPC_RESPONSE);
        csa_rpc_write_header(server->tx, &h);
        len = CSA_RPC_HEADER_SIZE + rsp_len;
    } else {
        h = call_header(call, CSA_RPC_COMMAND);
        len = csa_rpc_write_error(server->tx, sizeof server->tx, &h, status, call->error_message, message_limit(call));
    }
    /* Busy means "not done": never replayed, so a repeat executes. */
    csa_cache_complete(server, call, server->tx[0] & 0x0Fu, server->tx + CSA_RPC_HEADER_SIZE,
                       len - CSA_RPC_HEADER_SIZE, status == CSA_RPC_BUSY);
    call->used = false;
    call->deferred = false;
    send_to(server, call->src_node, call->src_port, len);
}

unsigned csa_rpc_server_deferred(const csa_rpc_server_t *server)
{
    unsigned i, n = 0;
    for (i = 0; i < CSA_CONFIG_RX_BUFFERS; i++)
        n += server->calls[i].used ? 1u : 0u;
    return n;
}

/* A packet that is no valid RPC packet: answer BadPacket when it could be a command (section 6, rule 1). */
static void handle_malformed(csa_rpc_server_t *server, const csa_packet_t *p, csa_rpc_packet_error_t error)
{
    csa_rpc_header_t echo;
    uint8_t kind;
    static const char *const texts[] = {
        "", "The RPC packet is shorter than its header.", "The RPC packet's protocol version is not 0.",
        "The RPC packet kind is not defined.", "The RPC packet sets reserved flag bits.",
        "The RPC error packet has no error code.",
    };
    server->stats.malformed_packets++;
    if (!server->answer_malformed || p->len < CSA_RPC_HEADER_SIZE || error == CSA_RPC_PACKET_MISSING_ERROR_CODE)
        return;
    kind = (uint8_t)(p->data[0] & 0x0Fu);
    if (kind == CSA_RPC_RESPONSE || kind == CSA_RPC_ERROR || kind == CSA_RPC_EVENT)
        return; /* answering a malformed answer or event could make two nodes bounce errors at each other */
    echo.kind = CSA_RPC_ERROR;
    echo.flags = 0;
    echo.interface_id = csa_get_u16(p->data + 2);
    echo.message_id = csa_get_u16(p->data + 4);
    echo.request_id = csa_get_u16(p->data + 6);
    send_error(server, p->src_node, p->src_port, &echo, CSA_RPC_BAD_PACKET, texts[error]);
}

static void on_packet(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    csa_rpc_server_t *server = (csa_rpc_server_t *)ctx;
    csa_rpc_header_t h;
    csa_rpc_packet_error_t error;
    const csa_rpc_service_t *service;
    const csa_rpc_command_info_t *info;
    const csa_rpc_cache_entry_t *cached;
    csa_rpc_call_t probe, *call = NULL;
    unsigned i, executing = 0;
    size_t payload_len, rsp_len = 0, rsp_cap;
    uint16_t status;
    (void)node;

    error = csa_rpc_parse(p->data, p->len, &h);
    if (error != CSA_RPC_PACKET_OK) {
        handle_malformed(server, p, error);
        return;
    }
    if (h.kind != CSA_RPC_COMMAND)
        return; /* a response, error or event sent to a server port */
    payload_len = p->len - CSA_RPC_HEADER_SIZE;
    service = find_service(server, h.interface_id);
    if (service == NULL) {
        send_error(server, p->src_node, p->src_port, &h, CSA_RPC_UNKNOWN_INTERFACE, "This node has no such interface.");
        return;
    }
    info = command_info(service->interface, h.message_id);

    memset(&probe, 0, sizeof probe);
    probe.src_node = p->src_node;
    probe.src_port = p->src_port;
    probe.interface_id = h.interface_id;
    probe.command_id = h.message_id;
    probe.request_id = h.request_id;
    probe.payload_len = (uint16_t)payload_len;
    probe.payload_crc = csa_crc32(p->data + CSA_RPC_HEADER_SIZE, payload_len);
    probe.idempotent = info != NULL && info->idempotent;

    switch (csa_cache_begin(server, &probe, &cached)) {
    case CSA_CACHE_ANSWERED:
        server->stats.answers_replayed++;
        h.kind = cached->answer_kind;
        h.flags = CSA_RPC_FLAG_RESEND;
        csa_rpc_write_header(server->tx, &h);
        memcpy(server->tx + CSA_RPC_HEADER_SIZE, cached->answer, cached->answer_len);
        send_to(server, p->src_node, p->src_port, CSA_RPC_HEADER_SIZE + cached->answer_len);
        return;
    case CSA_CACHE_EXECUTING:
    case CSA_CACHE_STALE:
        server->stats.duplicates_ignored++;
        return;
    default:
        break;
    }

    /* Overload: every receive buffer holds a command that is still executing. */
    for (i = 0; i < node->limits.rx_buffers; i++) {
        if (server->calls[i].used)
            executing++;
        else if (call == NULL)
            call = &server->calls[i];
    }
    if (call == NULL) {
        csa_cache_complete(server, &probe, 0, NULL, 0, true); /* not taken: nothing to replay */
        server->stats.busy_rejections++;
        send_error(server, p->src_node, p->src_port, &h, CSA_RPC_BUSY,
                   "Every receive buffer holds a command still executing; send again later.");
        return;
    }
    *call = probe;
    call->used = true;
    server->stats.commands_executed++;
    if (info == NULL) {
        call->error_message = "The interface has no such command.";
        finish(server, call, CSA_RPC_UNKNOWN_COMMAND, 0);
        return;
    }
    rsp_cap = sizeof server->tx - CSA_RPC_HEADER_SIZE;
    status = service->interface->dispatch(service, call, p->data + CSA_RPC_HEADER_SIZE, payload_len,
                                          server->tx + CSA_RPC_HEADER_SIZE, rsp_cap, &rsp_len, server->scratch.bytes);
    if (status == CSA_RPC_DEFERRED) {
        call->deferred = true;
        if (executing + 1u > server->stats.peak_deferred)
            server->stats.peak_deferred = executing + 1u;
        return;
    }
    finish(server, call, status, rsp_len);
}

static bool is_open_call(const csa_rpc_server_t *server, const csa_rpc_call_t *call)
{
    return call >= server->calls && call < server->calls + CSA_CONFIG_RX_BUFFERS && call->used && call->deferred;
}

int csa_rpc_server_respond(csa_rpc_server_t *server, csa_rpc_call_t *call, const uint8_t *payload, size_t len)
{
    if (!is_open_call(server, call) || len > sizeof server->tx - CSA_RPC_HEADER_SIZE)
        return CSA_ERR_ARGUMENT;
    if (payload != server->tx + CSA_RPC_HEADER_SIZE && len > 0u)
        memmove(server->tx + CSA_RPC_HEADER_SIZE, payload, len);
    finish(server, call, 0, len);
    return CSA_OK;
}

int csa_rpc_server_fail(csa_rpc_server_t *server, csa_rpc_call_t *call, uint16_t code, const char *message)
{
    if (!is_open_call(server, call) || code == 0u || code == CSA_RPC_DEFERRED)
        return CSA_ERR_ARGUMENT;
    call->error_message = message;
    finish(server, call, code, 0);
    return CSA_OK;
}

int csa_rpc_server_publish(csa_rpc_server_t *server, uint16_t interface_id, uint16_t event_id, const uint8_t *payload,
                           size_t len)
{
    csa_rpc_header_t h;
    unsigned i;
    int result = CSA_OK;
    if (len > sizeof server->tx - CSA_RPC_HEADER_SIZE)
        return CSA_ERR_TOO_LARGE;
    if (payload != server->tx + CSA_RPC_HEADER_SIZE && len > 0u)
        memmove(server->tx + CSA_RPC_HEADER_SIZE, payload, len);
    h.kind = CSA_RPC_EVENT;
    h.flags = 0;
    h.interface_id = interface_id;
    h.message_id = event_id;
    h.request_id = server->event_sequence++; /* every subscriber sees the same number */
    csa_rpc_write_header(server->tx, &h);
    for (i = 0; i < CSA_CONFIG_EVENT_SUBSCRIBERS; i++) {
        int rc;
        if (!server->subscribers[i].used)
            continue;
        rc = csa_node_send(server->node, server->port, server->subscribers[i].node, server->subscribers[i].port,
                           server->tx, CSA_RPC_HEADER_SIZE + len);
        if (rc == CSA_OK)
            server->stats.events_published++;
        else
            result = rc;
    }
    return result;
}

int csa_rpc_server_set_subscriber(csa_rpc_server_t *server, uint8_t node, uint8_t port)
{
    memset(server->subscribers, 0, sizeof server->subscribers);
    if (node == CSA_ADDR_BROADCAST)
        return CSA_OK;
    return csa_rpc_server_add_subscriber(server, node, port);
}

int csa_rpc_server_add_subscriber(csa_rpc_server_t *server, uint8_t node, uint8_t port)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_EVENT_SUBSCRIBERS; i++) {
        if (!server->subscribers[i].used) {
            server->subscribers[i].used = true;
            server->subscribers[i].node = node;
            server->subscribers[i].port = port;
            return CSA_OK;
        }
    }
    return CSA_ERR_FULL;
}

void csa_rpc_server_clear_cache(csa_rpc_server_t *server)
{
    memset(server->cache, 0, sizeof server->cache);
}
