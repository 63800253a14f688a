/* The RPC layer against docs/rpc-packets.md: every golden and malformed packet of section 11, the server's decisions
   of section 6 (errors, repeats, the response cache, Busy), events (section 9), and the client (sections 7 and 8),
   including 200 non-idempotent calls over a line that loses, duplicates and reorders frames, each executed once. */
#include "all-types.rpc.binding.h"
#include "bootloader.rpc.binding.h"
#include "csa/csa_rpc_client.h"
#include "csa/csa_rpc_server.h"
#include "csa_test.h"
#include "provisioning.rpc.binding.h"
#include "sample-pump.rpc.binding.h"
#include "test_net.h"

#include <stdlib.h>
#include <string.h>

/* ---- packets (section 11) ---- */

/* The cells of one table row (between '|'), trimmed of spaces and backticks. */
static int row_cells(const char *line, char cells[12][256])
{
    int n = 0;
    const char *p = strchr(line, '|');
    while (p != NULL && n < 12) {
        const char *end = strchr(p + 1, '|');
        const char *nl = strchr(p + 1, '\n');
        size_t len;
        if (end == NULL || (nl != NULL && end > nl))
            break;
        p++;
        while (*p == ' ' || *p == '`')
            p++;
        len = (size_t)(end - p);
        while (len > 0u && (p[len - 1u] == ' ' || p[len - 1u] == '`'))
            len--;
        if (len >= 256u)
            len = 255u;
        memcpy(cells[n], p, len);
        cells[n][len] = '\0';
        n++;
        p = end;
    }
    return n;
}

static const char *table_rows(const char *doc, const char *marker)
{
    const char *t = strstr(doc, marker);
    if (t == NULL)
        return NULL;
    t = strchr(t, '\n') + 1; /* header */
    t = strchr(t, '\n') + 1; /* |---| */
    return strchr(t, '\n') + 1;
}

static uint8_t kind_of(const char *name)
{
    if (strcmp(name, "Command") == 0)
        return CSA_RPC_COMMAND;
    if (strcmp(name, "Response") == 0)
        return CSA_RPC_RESPONSE;
    if (strcmp(name, "Error") == 0)
        return CSA_RPC_ERROR;
    return strcmp(name, "Event") == 0 ? CSA_RPC_EVENT : 0u;
}

static void packet_golden(void)
{
    char *doc = csa_test_read_doc("rpc-packets.md");
    const char *line = table_rows(doc, "<!-- golden-vectors:begin -->");
    char cells[12][256];
    int rows = 0;
    CHECK(line != NULL);
    while (line != NULL && line[0] == '|') {
        uint8_t packet[300], payload[300], out[300];
        long n, pn;
        unsigned iface = 0, id = 0, request = 0, code = 0;
        csa_rpc_header_t h;
        int c = row_cells(line, cells);
        CHECK_EQ(c, 10);
        n = csa_test_parse_hex(cells[1], packet, sizeof packet);
        pn = csa_test_parse_hex(cells[7], payload, sizeof payload);
        CHECK(n >= 8 && pn >= 0);
        CHECK(sscanf(cells[4], "%x", &iface) == 1 && sscanf(cells[5], "%x", &id) == 1 &&
              sscanf(cells[6], "%x", &request) == 1);
        CHECK_EQ(csa_rpc_parse(packet, (size_t)n, &h), CSA_RPC_PACKET_OK);
        CHECK_EQ(h.kind, kind_of(cells[2]));
        CHECK_EQ(h.flags, strcmp(cells[3], "Resend") == 0 ? CSA_RPC_FLAG_RESEND : 0u);
        CHECK_EQ(h.interface_id, iface);
        CHECK_EQ(h.message_id, id);
        CHECK_EQ(h.request_id, request);
        CHECK_BYTES(packet + 8, (size_t)n - 8u, payload, (size_t)pn);
        /* The header fields write back to the same bytes. */
        csa_rpc_write_header(out, &h);
        CHECK_BYTES(out, 8, packet, 8);
        if (h.kind == CSA_RPC_ERROR) {
            char message[64];
            size_t mlen = strlen(cells[9]);
            size_t w;
            CHECK(sscanf(cells[8], "%x", &code) == 1);
            CHECK_EQ(packet[8] | (packet[9] << 8), code);
            /* The message cell is a quoted string: "no", "", "µ". */
            CHECK(mlen >= 2u);
            memcpy(message, cells[9] + 1, mlen - 2u);
            message[mlen - 2u] = '\0';
            CHECK_BYTES(packet + 10, (size_t)n - 10u, (const uint8_t *)message, strlen(message));
            h.kind = CSA_RPC_COMMAND;
            w = csa_rpc_write_error(out, sizeof out, &h, (uint16_t)code, message, 128);
            CHECK_BYTES(out, w, packet, (size_t)n);
        }
        rows++;
        line = strchr(line, '\n') + 1;
    }
    CHECK_EQ(rows, 8);
    free(doc);
}

static void packet_malformed(void)
{
    char *doc = csa_test_read_doc("rpc-packets.md");
    const char *line = table_rows(doc, "<!-- malformed-vectors:begin -->");
    char cells[12][256];
    int rows = 0;
    CHECK(line != NULL);
    while (line != NULL && line[0] == '|') {
        uint8_t packet[64];
        long n;
        csa_rpc_header_t h;
        csa_rpc_packet_error_t e;
        CHECK_EQ(row_cells(line, cells), 3);
        n = csa_test_parse_hex(cells[1], packet, sizeof packet);
        CHECK(n >= 0);
        e = csa_rpc_parse(packet, n < 0 ? 0u : (size_t)n, &h);
        if (strcmp(csa_rpc_packet_error_name(e), cells[2]) != 0) {
            csa_test_fail(__FILE__, __LINE__, "malformed packet reported for another reason");
            fprintf(stderr, "  %s: expected %s, got %s\n", cells[0], cells[2], csa_rpc_packet_error_name(e));
        }
        rows++;
        line = strchr(line, '\n') + 1;
    }
    CHECK_EQ(rows, 9);
    free(doc);
}

static void error_message_cut_at_a_character(void)
{
    csa_rpc_header_t h = {CSA_RPC_COMMAND, 0, 1, 2, 3};
    uint8_t out[64];
    /* "aµµ" is 5 bytes; at most 4 leaves "aµ" (3), never half a µ. */
    size_t n = csa_rpc_write_error(out, sizeof out, &h, 7, "a\xC2\xB5\xC2\xB5", 4);
    CHECK_EQ(n, 10 + 3);
    CHECK_EQ(out[0], 0x03);
    n = csa_rpc_write_error(out, sizeof out, &h, 7, "a\xC2\xB5\xC2\xB5", 5);
    CHECK_EQ(n, 10 + 5);
    n = csa_rpc_write_error(out, 12, &h, 7, "abcdef", 128);
    CHECK_EQ(n, 12);
    CHECK_EQ(csa_rpc_write_error(out, 9, &h, 7, "x", 128), 0);
}

/* ---- a host node and a device node on one wire ---- */

static csa_node_t host, device;
static test_queue_t to_device, to_host;
static csa_rpc_server_t server;
static csa_rpc_service_t pump_service, types_service;

static unsigned answers;
static uint8_t answer[4096];
static size_t answer_len;
static unsigned events;
static uint16_t event_sequences[16];

static void on_host_packet(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    (void)ctx;
    (void)node;
    if (p->len >= 1u && (p->data[0] & 0x0Fu) == CSA_RPC_EVENT) {
        if (events < 16u)
            event_sequences[events] = (uint16_t)(p->data[6] | (p->data[7] << 8));
        events++;
        return;
    }
    answers++;
    answer_len = p->len;
    memcpy(answer, p->data, p->len);
}

/* The pump's behaviour, counted. */
static unsigned starts, statuses, stops, everythings;
static csa_rpc_call_t *held[8];
static unsigned held_count;
static uint32_t started_volume[512];

static uint16_t pump_get_status(void *ctx, csa_rpc_call_t *call, const infusion_pump_get_status_request_t *rq,
                                infusion_pump_get_status_response_t *rs)
{
    (void)ctx;
    (void)call;
    (void)rq;
    statuses++;
    rs->state = INFUSION_PUMP_PUMP_STATE_IDLE;
    rs->rate_microliters_per_hour = 1234;
    return 0;
}

static uint16_t pump_start(void *ctx, csa_rpc_call_t *call, const infusion_pump_start_infusion_request_t *rq,
                           infusion_pump_start_infusion_response_t *rs)
{
    (void)ctx;
    if (strcmp(rq->drug_name, "Door") == 0) {
        call->error_message = "The door is open; close it and check the line before you start again, please.";
        return INFUSION_PUMP_ERR_DOOR_OPEN;
    }
    if (strcmp(rq->drug_name, "Later") == 0) {
        held[held_count++] = call;
        return CSA_RPC_DEFERRED;
    }
    if (starts < 512u)
        started_volume[starts] = rq->volume_to_be_infused_microliters;
    starts++;
    rs->infusion_number = starts;
    return 0;
}

static uint16_t pump_stop(void *ctx, csa_rpc_call_t *call, const infusion_pump_stop_infusion_request_t *rq,
                          infusion_pump_stop_infusion_response_t *rs)
{
    (void)ctx;
    (void)rq;
    (void)rs;
    stops++;
    held[held_count++] = call;
    return CSA_RPC_DEFERRED; /* answered later, like a flash erase */
}

static uint16_t types_everything(void *ctx, csa_rpc_call_t *call, const all_types_everything_request_t *rq,
                                 all_types_everything_response_t *rs)
{
    (void)ctx;
    (void)call;
    everythings++;
    rs->echo_len = 900;
    memset(rs->echo, rq->a, 900);
    return 0;
}

static const infusion_pump_handlers_t pump_handlers = {pump_get_status, pump_start, pump_stop};
static const all_types_handlers_t types_handlers = {types_everything, NULL};

static void setup(uint8_t rx_buffers)
{
    csa_limits_t limits = {1024u, 8u, 2048u};
    limits.rx_buffers = rx_buffers;
    memset(&to_device, 0, sizeof to_device);
    memset(&to_host, 0, sizeof to_host);
    CHECK_EQ(csa_node_init(&host, NULL, CSA_ADDR_HOST, false, 1000), CSA_OK);
    CHECK_EQ(csa_node_init(&device, &limits, 0x01, false, 1000), CSA_OK);
    CHECK_EQ(test_connect(&host, CSA_LINK_DOWNSTREAM, &to_host, &to_device), 0);
    CHECK_EQ(test_connect(&device, CSA_LINK_UPSTREAM, &to_device, &to_host), 0);
    CHECK_EQ(csa_rpc_server_init(&server, &device, CSA_PORT_RPC), CSA_OK);
    infusion_pump_service_init(&pump_service, &pump_handlers, NULL);
    all_types_service_init(&types_service, &types_handlers, NULL);
    CHECK_EQ(csa_rpc_server_add(&server, &pump_service), CSA_OK);
    CHECK_EQ(csa_rpc_server_add(&server, &types_service), CSA_OK);
    answers = events = 0;
    starts = statuses = stops = everythings = held_count = 0;
}

static void bind_host_recorder(void)
{
    CHECK_EQ(csa_node_bind(&host, CSA_PORT_RPC, on_host_packet, NULL), CSA_OK);
}

static void run(void)
{
    test_queue_t *q[2] = {&to_device, &to_host};
    test_net_run(q, 2, host.now);
}

/* Sends one RPC packet from host:port to the device and runs the wire. */
static void send_from(uint8_t port, uint8_t kind, uint8_t flags, uint16_t iface, uint16_t cmd, uint16_t id,
                      const uint8_t *payload, size_t len)
{
    uint8_t packet[2048];
    csa_rpc_header_t h;
    h.kind = kind;
    h.flags = flags;
    h.interface_id = iface;
    h.message_id = cmd;
    h.request_id = id;
    csa_rpc_write_header(packet, &h);
    if (len > 0u)
        memcpy(packet + 8, payload, len);
    CHECK_EQ(csa_node_send(&host, port, 0x01, CSA_PORT_RPC, packet, 8u + len), CSA_OK);
    run();
}

static void command(uint16_t iface, uint16_t cmd, uint16_t id, const uint8_t *payload, size_t len)
{
    send_from(CSA_PORT_RPC, CSA_RPC_COMMAND, 0, iface, cmd, id, payload, len);
}

static size_t start_request(const char *drug, uint32_t volume, uint8_t *out, size_t cap)
{
    infusion_pump_start_infusion_request_t rq;
    int32_t n;
    memset(&rq, 0, sizeof rq);
    rq.drug_name_len = (uint16_t)strlen(drug);
    memcpy(rq.drug_name, drug, rq.drug_name_len);
    rq.volume_to_be_infused_microliters = volume;
    n = infusion_pump_start_infusion_request_encode(&rq, out, cap);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0u;
}

static uint16_t answer_code(void)
{
    return (uint16_t)(answer[8] | (answer[9] << 8));
}

static void server_executes_once_and_replays(void)
{
    uint8_t rq[200], first[64];
    size_t n = start_request("Heparin", 5000, rq, sizeof rq), first_len;
    setup(8);
    bind_host_recorder();
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 0x4242, rq, n);
    CHECK_EQ(answers, 1);
    CHECK_EQ(starts, 1);
    CHECK_EQ(answer[0], 0x02);
    CHECK_EQ(answer[1], 0x00);
    first_len = answer_len;
    memcpy(first, answer, answer_len);
    /* The same request again (a resend): answered from the cache with RESEND, not executed. */
    send_from(CSA_PORT_RPC, CSA_RPC_COMMAND, CSA_RPC_FLAG_RESEND, INFUSION_PUMP_INTERFACE_ID,
              INFUSION_PUMP_CMD_START_INFUSION, 0x4242, rq, n);
    CHECK_EQ(answers, 2);
    CHECK_EQ(starts, 1);
    CHECK_EQ(answer[1], CSA_RPC_FLAG_RESEND);
    CHECK_BYTES(answer + 2, answer_len - 2u, first + 2, first_len - 2u);
    CHECK_EQ(server.stats.answers_replayed, 1);
    /* The same id with other content is a new request (an old session's id reused): executed. */
    n = start_request("Insulin", 10, rq, sizeof rq);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 0x4242, rq, n);
    CHECK_EQ(starts, 2);
    CHECK_EQ(answer[8], 2);
    /* Another client endpoint (port 0x10) with the same id is another request. */
    send_from(0x10, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 0x4242, rq, n);
    CHECK_EQ(starts, 3);
}

static void server_ignores_repeats_while_executing(void)
{
    uint8_t rq[200];
    size_t n = start_request("Later", 1, rq, sizeof rq);
    setup(8);
    bind_host_recorder();
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 7, rq, n);
    CHECK_EQ(answers, 0);
    CHECK_EQ(held_count, 1);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 7, rq, n);
    CHECK_EQ(answers, 0);
    CHECK_EQ(held_count, 1);
    CHECK_EQ(server.stats.duplicates_ignored, 1);
    {
        infusion_pump_start_infusion_response_t rs = {77u};
        CHECK_EQ(infusion_pump_start_infusion_respond(&server, held[0], &rs), CSA_OK);
        CHECK_EQ(infusion_pump_start_infusion_respond(&server, held[0], &rs), CSA_ERR_ARGUMENT); /* answered once */
    }
    run();
    CHECK_EQ(answers, 1);
    CHECK_EQ(answer[8], 77);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 7, rq, n);
    CHECK_EQ(answers, 2);
    CHECK_EQ(answer[1], CSA_RPC_FLAG_RESEND);
    CHECK_EQ(answer[8], 77);
    CHECK_EQ(held_count, 1);
}

static void server_drops_late_copies_then_forgets_them(void)
{
    uint8_t rq[200];
    size_t n;
    uint16_t id;
    setup(8);
    bind_host_recorder();
    /* 33 requests: the first one's answer leaves the cache (32 per client). */
    for (id = 100; id < 133; id++) {
        n = start_request("Heparin", id, rq, sizeof rq);
        command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, id, rq, n);
    }
    CHECK_EQ(starts, 33);
    /* A late copy of request 100: its fingerprint is remembered, it is dropped without an answer. */
    n = start_request("Heparin", 100, rq, sizeof rq);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 100, rq, n);
    CHECK_EQ(starts, 33);
    CHECK_EQ(answers, 33);
    CHECK_EQ(server.stats.duplicates_ignored, 1);
    /* Request 101 is still cached: replayed. */
    n = start_request("Heparin", 101, rq, sizeof rq);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 101, rq, n);
    CHECK_EQ(answers, 34);
    CHECK_EQ(answer[1], CSA_RPC_FLAG_RESEND);
    /* After the history's lifetime the same id and content is a new request (a restarted host). */
    host.now = device.now = 1000u + CSA_CONFIG_CACHE_HISTORY_MS;
    n = start_request("Heparin", 100, rq, sizeof rq);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 100, rq, n);
    CHECK_EQ(starts, 34);
}

static void server_answers_busy_when_buffers_hold_commands(void)
{
    uint8_t rq[200];
    size_t n = start_request("Heparin", 1, rq, sizeof rq);
    setup(2);
    bind_host_recorder();
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_STOP_INFUSION, 1, NULL, 0);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_STOP_INFUSION, 2, NULL, 0);
    CHECK_EQ(csa_rpc_server_deferred(&server), 2);
    CHECK_EQ(answers, 0);
    /* Both receive buffers hold a command: the next is Busy, neither executed nor cached. */
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 3, rq, n);
    CHECK_EQ(answers, 1);
    CHECK_EQ(answer[0], 0x03);
    CHECK_EQ(answer_code(), CSA_RPC_BUSY);
    CHECK_EQ(starts, 0);
    /* A repeat of an executing command is still only ignored. */
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_STOP_INFUSION, 1, NULL, 0);
    CHECK_EQ(answers, 1);
    /* One finishes: the Busy request, sent again, executes now. */
    CHECK_EQ(csa_rpc_server_fail(&server, held[0], INFUSION_PUMP_ERR_ALARM_ACTIVE, "alarm"), CSA_OK);
    run();
    CHECK_EQ(answers, 2);
    CHECK_EQ(answer_code(), INFUSION_PUMP_ERR_ALARM_ACTIVE);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 3, rq, n);
    CHECK_EQ(starts, 1);
    CHECK_EQ(answer[0], 0x02);
    CHECK_EQ(server.stats.busy_rejections, 1);
    CHECK_EQ(server.stats.peak_deferred, 2);
}

/* The longest message an answer to a non-idempotent command carries: the configured maximum, within a cache entry. */
#define MESSAGE_ROOM                                                                                                   \
    (CSA_CONFIG_ERROR_MESSAGE_MAX < CSA_CONFIG_CACHE_ANSWER_SIZE - 2u ? CSA_CONFIG_ERROR_MESSAGE_MAX                   \
                                                                      : CSA_CONFIG_CACHE_ANSWER_SIZE - 2u)

static void server_errors(void)
{
    uint8_t rq[200], bad[200];
    size_t n = start_request("Door", 1, rq, sizeof rq);
    static const uint8_t kind5[] = {0x05, 0x00, 0x00, 0x01, 0x02, 0x00, 0x09, 0x00};
    static const uint8_t bad_response[] = {0x02, 0x80, 0x00, 0x01, 0x02, 0x00, 0x09, 0x00};
    setup(8);
    bind_host_recorder();
    /* Unknown interface: answered, not cached (a repeat is answered the same way, not replayed). */
    command(0x7777, 1, 1, NULL, 0);
    CHECK_EQ(answer_code(), CSA_RPC_UNKNOWN_INTERFACE);
    command(0x7777, 1, 1, NULL, 0);
    CHECK_EQ(answer[1], 0);
    /* Unknown command; a handler the firmware left out (NULL) is unknown too. */
    command(INFUSION_PUMP_INTERFACE_ID, 9, 2, NULL, 0);
    CHECK_EQ(answer_code(), CSA_RPC_UNKNOWN_COMMAND);
    command(ALL_TYPES_INTERFACE_ID, ALL_TYPES_CMD_NOTHING, 3, NULL, 0);
    CHECK_EQ(answer_code(), CSA_RPC_UNKNOWN_COMMAND);
    /* A request that does not decode: short, with trailing bytes, with invalid UTF-8. */
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 4, rq, n - 1u);
    CHECK_EQ(answer_code(), CSA_RPC_BAD_PAYLOAD);
    memcpy(bad, rq, n);
    bad[n] = 0;
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 5, bad, n + 1u);
    CHECK_EQ(answer_code(), CSA_RPC_BAD_PAYLOAD);
    memcpy(bad, rq, n);
    bad[2] = 0xC0; /* "Door" -> an overlong lead byte */
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 6, bad, n);
    CHECK_EQ(answer_code(), CSA_RPC_BAD_PAYLOAD);
    CHECK_EQ(starts, 0);
    /* A handler's error: its code, and its message cut so the answer fits a cache entry (not idempotent). */
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 8, rq, n);
    CHECK_EQ(answer_code(), INFUSION_PUMP_ERR_DOOR_OPEN);
    CHECK_EQ(answer_len, 8u + 2u + MESSAGE_ROOM);
    CHECK(memcmp(answer + 10, "The door is open", 16) == 0);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 8, rq, n);
    CHECK_EQ(answer[1], CSA_RPC_FLAG_RESEND);
    CHECK_EQ(answer_len, 8u + 2u + MESSAGE_ROOM);
    /* Malformed packets: a command-like one is answered BadPacket echoing its ids; an answer-like one is not. */
    answers = 0;
    CHECK_EQ(csa_node_send(&host, CSA_PORT_RPC, 0x01, CSA_PORT_RPC, kind5, sizeof kind5), CSA_OK);
    run();
    CHECK_EQ(answers, 1);
    CHECK_EQ(answer_code(), CSA_RPC_BAD_PACKET);
    CHECK_BYTES(answer + 2, 6, kind5 + 2, 6);
    CHECK_EQ(csa_node_send(&host, CSA_PORT_RPC, 0x01, CSA_PORT_RPC, bad_response, sizeof bad_response), CSA_OK);
    CHECK_EQ(csa_node_send(&host, CSA_PORT_RPC, 0x01, CSA_PORT_RPC, kind5, 5), CSA_OK);
    run();
    CHECK_EQ(answers, 1);
    CHECK_EQ(server.stats.malformed_packets, 3);
    /* A response or event sent to a server port is dropped. */
    send_from(CSA_PORT_RPC, CSA_RPC_RESPONSE, 0, INFUSION_PUMP_INTERFACE_ID, 1, 9, NULL, 0);
    send_from(CSA_PORT_RPC, CSA_RPC_EVENT, 0, INFUSION_PUMP_INTERFACE_ID, 1, 9, NULL, 0);
    CHECK_EQ(answers, 1);
}

static void server_executes_large_idempotent_answers_again(void)
{
    all_types_everything_request_t rq;
    uint8_t payload[300];
    int32_t n;
    memset(&rq, 0, sizeof rq);
    rq.a = 0x5A;
    rq.medium = ALL_TYPES_MEDIUM_ONE;
    rq.modes[0] = rq.modes[1] = ALL_TYPES_MEDIUM_ONE;
    rq.outer.inner.blob[0] = 1;
    rq.outers[0] = rq.outers[1] = rq.outer;
    n = all_types_everything_request_encode(&rq, payload, sizeof payload);
    CHECK(n > 0);
    setup(8);
    bind_host_recorder();
    command(ALL_TYPES_INTERFACE_ID, ALL_TYPES_CMD_EVERYTHING, 1, payload, (size_t)n);
    CHECK_EQ(everythings, 1);
    CHECK_EQ(answer_len, 8u + 2u + 900u);
    /* 902 bytes do not fit a cache entry: the command is idempotent, so its repeat executes again. */
    command(ALL_TYPES_INTERFACE_ID, ALL_TYPES_CMD_EVERYTHING, 1, payload, (size_t)n);
    CHECK_EQ(everythings, 2);
    CHECK_EQ(answer[1], 0);
    CHECK_EQ(answer[10], 0x5A);
}

static void server_refuses_interfaces_it_cannot_serve(void)
{
    static const provisioning_handlers_t prov = {NULL, NULL, NULL, NULL};
    static const bootloader_handlers_t boot = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    csa_rpc_service_t p, b, again;
    setup(8);
    provisioning_service_init(&p, &prov, NULL);
    bootloader_service_init(&b, &boot, NULL);
    /* GenerateIdentityKey is not idempotent and answers 128 bytes: more than a cache entry holds. */
    CHECK_EQ(csa_rpc_server_add(&server, &p), CSA_ERR_CONFIG);
    /* Write's decoded request (4 KiB of data) does not fit the dispatch scratch of this configuration. */
    CHECK((size_t)BOOTLOADER_DISPATCH_SCRATCH_SIZE > CSA_CONFIG_RPC_SCRATCH_SIZE);
    CHECK_EQ(csa_rpc_server_add(&server, &b), CSA_ERR_CONFIG);
    infusion_pump_service_init(&again, &pump_handlers, NULL);
    CHECK_EQ(csa_rpc_server_add(&server, &again), CSA_ERR_EXISTS);
}

static void server_evicts_the_least_recent_client(void)
{
    uint8_t rq[200];
    size_t n = start_request("Heparin", 1, rq, sizeof rq);
    setup(8);
    bind_host_recorder();
    send_from(0x11, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    send_from(0x12, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    send_from(0x11, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    CHECK_EQ(starts, 2); /* 0x11's repeat is replayed */
    /* A third client: the cache holds two, so the least recently heard from (0x12) loses its answers. */
    send_from(0x13, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    send_from(0x11, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    CHECK_EQ(starts, 3);
    send_from(0x12, CSA_RPC_COMMAND, 0, INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_START_INFUSION, 1, rq, n);
    CHECK_EQ(starts, 4);
}

static void events_carry_one_running_sequence(void)
{
    infusion_pump_alarm_raised_event_t e;
    memset(&e, 0, sizeof e);
    setup(8);
    bind_host_recorder();
    CHECK_EQ(csa_rpc_server_add_subscriber(&server, CSA_ADDR_HOST, CSA_PORT_RPC), CSA_OK);
    CHECK_EQ(infusion_pump_publish_alarm_raised(&server, &e), CSA_OK);
    CHECK_EQ(infusion_pump_publish_alarm_raised(&server, &e), CSA_OK);
    CHECK_EQ(csa_rpc_server_set_subscriber(&server, CSA_ADDR_HOST, CSA_PORT_RPC), CSA_OK);
    CHECK_EQ(infusion_pump_publish_alarm_raised(&server, &e), CSA_OK);
    e.alarms = 0xFFFF;
    e.sensor_reading = -1;
    CHECK_EQ(infusion_pump_publish_alarm_raised(&server, &e), CSA_OK);
    run();
    /* Two subscribers saw 0 and 1 (both the same numbers), then one saw 2 and 3. */
    CHECK_EQ(events, 6);
    CHECK(event_sequences[0] == 0 && event_sequences[1] == 0 && event_sequences[2] == 1 && event_sequences[3] == 1);
    CHECK(event_sequences[4] == 2 && event_sequences[5] == 3);
    CHECK_EQ(server.stats.events_published, 6);
}

/* ---- the client ---- */

static csa_rpc_client_t client;
static unsigned done_calls, done_ok, done_timeouts;
static int32_t last_status;
static uint32_t last_number;
static unsigned completed_for[512];

static void status_done(void *ctx, int32_t status, const infusion_pump_get_status_response_t *r)
{
    (void)ctx;
    done_calls++;
    last_status = status;
    if (status == 0 && r != NULL && r->rate_microliters_per_hour == 1234u)
        done_ok++;
}

static void start_done(void *ctx, int32_t status, const infusion_pump_start_infusion_response_t *r)
{
    size_t index = (size_t)(uintptr_t)ctx;
    done_calls++;
    last_status = status;
    if (status == 0 && r != NULL) {
        done_ok++;
        last_number = r->infusion_number;
        if (index < 512u)
            completed_for[index]++;
    } else if (status == CSA_ERR_TIMEOUT) {
        done_timeouts++;
    }
}

static void advance(uint32_t ms)
{
    uint32_t t;
    for (t = 0; t < ms; t += 10u) {
        host.now += 10u;
        device.now += 10u;
        run();
        csa_node_poll(&host, host.now);
        csa_node_poll(&device, device.now);
        csa_rpc_client_poll(&client);
        run();
    }
}

static void client_setup(uint8_t rx_buffers)
{
    setup(rx_buffers);
    CHECK_EQ(csa_rpc_client_init(&client, &host, 0x10, 0xFFF0), CSA_OK);
    done_calls = done_ok = done_timeouts = 0;
    memset(completed_for, 0, sizeof completed_for);
}

static void client_calls_within_the_window(void)
{
    infusion_pump_get_status_request_t rq;
    unsigned i;
    client_setup(3);
    memset(&rq, 0, sizeof rq);
    /* Until the device's receive buffers are known the window is 1; asking for them starts with the first call. */
    CHECK_EQ(infusion_pump_get_status_call(&client, 0x01, &rq, status_done, NULL), CSA_OK);
    CHECK_EQ(infusion_pump_get_status_call(&client, 0x01, &rq, status_done, NULL), CSA_ERR_BUSY);
    run();
    CHECK_EQ(done_ok, 1);
    CHECK(csa_node_peer(&host, 0x01) != NULL && csa_node_peer(&host, 0x01)->rx_buffers == 3u);
    /* Now three in flight, never a fourth. */
    for (i = 0; i < 3u; i++)
        CHECK_EQ(infusion_pump_get_status_call(&client, 0x01, &rq, status_done, NULL), CSA_OK);
    CHECK_EQ(infusion_pump_get_status_call(&client, 0x01, &rq, status_done, NULL), CSA_ERR_BUSY);
    CHECK_EQ(csa_rpc_client_pending(&client), 3);
    run();
    CHECK_EQ(done_ok, 4);
    CHECK_EQ(statuses, 4);
    CHECK_EQ(csa_rpc_client_pending(&client), 0);
    /* Ids wrap from the seed 0xFFF0 and are never reused while pending. */
    CHECK_EQ(client.next_request_id, 0xFFF4);
}

static void client_resends_and_the_server_replays(void)
{
    infusion_pump_start_infusion_request_t rq;
    memset(&rq, 0, sizeof rq);
    rq.drug_name_len = 3;
    memcpy(rq.drug_name, "Abc", 3);
    client_setup(4);
    CHECK_EQ(infusion_pump_start_infusion_call(&client, 0x01, &rq, start_done, NULL), CSA_OK);
    to_device.len = 0; /* the request is lost on the line */
    run();
    CHECK_EQ(starts, 0);
    advance(1000); /* the timeout: the same request again, with RESEND */
    CHECK_EQ(starts, 1);
    CHECK_EQ(done_ok, 1);
    /* The answer is lost: the resend is answered from the cache, the command is not executed again. */
    CHECK_EQ(infusion_pump_start_infusion_call(&client, 0x01, &rq, start_done, NULL), CSA_OK);
    to_device.to = &device;
    test_queue_flush(&to_device, host.now);
    to_host.len = 0;
    CHECK_EQ(starts, 2);
    advance(1000);
    CHECK_EQ(starts, 2);
    CHECK_EQ(done_ok, 2);
    CHECK_EQ(last_number, 2);
    CHECK_EQ(server.stats.answers_replayed, 1);
}

static void client_retries_after_busy_and_times_out(void)
{
    infusion_pump_start_infusion_request_t rq;
    memset(&rq, 0, sizeof rq);
    client_setup(1);
    command(INFUSION_PUMP_INTERFACE_ID, INFUSION_PUMP_CMD_STOP_INFUSION, 1, NULL, 0); /* holds the one buffer */
    CHECK_EQ(infusion_pump_start_infusion_call(&client, 0x01, &rq, start_done, NULL), CSA_OK);
    run();
    CHECK_EQ(done_calls, 0); /* Busy: the client waits 50 ms and sends the same id again */
    CHECK_EQ(csa_rpc_server_respond(&server, held[0], NULL, 0), CSA_OK);
    advance(60);
    CHECK_EQ(done_ok, 1);
    CHECK_EQ(starts, 1);
    /* A device that never answers: every attempt times out, the call fails with CSA_ERR_TIMEOUT. */
    to_device.to = NULL;
    CHECK_EQ(infusion_pump_start_infusion_call(&client, 0x01, &rq, start_done, NULL), CSA_OK);
    advance(2990);
    CHECK_EQ(done_calls, 1);
    advance(20);
    CHECK_EQ(done_calls, 2);
    CHECK_EQ(last_status, CSA_ERR_TIMEOUT);
}

/* 200 non-idempotent calls, 4 in flight, over a line that loses 5 %, duplicates 5 % and reorders 5 % of the frames in
   each direction: every call is answered and executed exactly once. */
static void exactly_once_over_a_lossy_line(void)
{
    infusion_pump_start_infusion_request_t rq;
    size_t next = 0, i;
    uint32_t elapsed = 0;
    memset(&rq, 0, sizeof rq);
    rq.drug_name_len = 7;
    memcpy(rq.drug_name, "Heparin", 7);
    client_setup(4);
    to_device.loss_percent = to_host.loss_percent = 5;
    to_device.duplicate_percent = to_host.duplicate_percent = 5;
    to_device.reorder_percent = to_host.reorder_percent = 5;
    to_device.seed = 11;
    to_host.seed = 29;
    while (done_calls < 200u && elapsed < 600000u) {
        while (next < 200u) {
            rq.volume_to_be_infused_microliters = (uint32_t)next;
            if (infusion_pump_start_infusion_call(&client, 0x01, &rq, start_done, (void *)(uintptr_t)next) != CSA_OK)
                break;
            next++;
        }
        advance(10);
        elapsed += 10u;
    }
    CHECK_EQ(done_calls, 200);
    CHECK_EQ(done_timeouts, 0);
    CHECK_EQ(starts, 200);
    for (i = 0; i < 200u; i++) {
        CHECK_EQ(completed_for[i], 1);
        CHECK_EQ(started_volume[i] < 200u, 1);
    }
    /* Every volume 0..199 was started once: the executions are a permutation of the calls. */
    {
        unsigned seen[200];
        memset(seen, 0, sizeof seen);
        for (i = 0; i < 200u; i++)
            seen[started_volume[i]]++;
        for (i = 0; i < 200u; i++)
            CHECK_EQ(seen[i], 1);
    }
    CHECK(server.stats.answers_replayed + server.stats.duplicates_ignored > 0u); /* the line did impair */
}

static const csa_test_case_t cases[] = {
    {"packet_golden", packet_golden},
    {"packet_malformed", packet_malformed},
    {"error_message_cut_at_a_character", error_message_cut_at_a_character},
    {"server_executes_once_and_replays", server_executes_once_and_replays},
    {"server_ignores_repeats_while_executing", server_ignores_repeats_while_executing},
    {"server_drops_late_copies_then_forgets_them", server_drops_late_copies_then_forgets_them},
    {"server_answers_busy_when_buffers_hold_commands", server_answers_busy_when_buffers_hold_commands},
    {"server_errors", server_errors},
    {"server_executes_large_idempotent_answers_again", server_executes_large_idempotent_answers_again},
    {"server_refuses_interfaces_it_cannot_serve", server_refuses_interfaces_it_cannot_serve},
    {"server_evicts_the_least_recent_client", server_evicts_the_least_recent_client},
    {"events_carry_one_running_sequence", events_carry_one_running_sequence},
    {"client_calls_within_the_window", client_calls_within_the_window},
    {"client_resends_and_the_server_replays", client_resends_and_the_server_replays},
    {"client_retries_after_busy_and_times_out", client_retries_after_busy_and_times_out},
    {"exactly_once_over_a_lossy_line", exactly_once_over_a_lossy_line},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
