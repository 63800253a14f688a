/* The node against docs/protocol.md sections 6 and 7: link management answered byte for byte as the golden vectors
   show, chain enumeration, forwarding and its drop reasons, reassembly and its limits, fragmentation of what a node
   sends, and the leading delimiter. */
#include "csa/csa_cobs.h"
#include "csa/csa_node.h"
#include "csa_test.h"
#include "test_net.h"
#include "test_vectors.h"

#include <stdlib.h>
#include <string.h>

static csa_node_t dev[3];
static test_queue_t down[3]; /* towards dev[i] from upstream (down[0]: from the host) */
static test_queue_t up[3];   /* from dev[i] upstream (up[0]: to the host) */
static const csa_limits_t big = {1024u, 8u, 2048u};

/* host -> dev[0] -> dev[1] -> ... -> dev[n-1]; the host end of up[0] is read raw. */
static void chain(unsigned n, uint8_t first_address, bool allow)
{
    unsigned i;
    memset(down, 0, sizeof down);
    memset(up, 0, sizeof up);
    for (i = 0; i < n; i++) {
        CHECK_EQ(csa_node_init(&dev[i], &big, first_address == CSA_ADDR_UNASSIGNED ? CSA_ADDR_UNASSIGNED
                                                                               : (uint8_t)(first_address + i),
                               allow, 1000),
                 CSA_OK);
        CHECK_EQ(test_connect(&dev[i], CSA_LINK_UPSTREAM, &down[i], &up[i]), 0);
        dev[i].next_packet_id = 1;
    }
    for (i = 0; i + 1u < n; i++) {
        /* dev[i]'s downstream link writes into down[i+1] and reads up[i+1]. */
        CHECK_EQ(test_connect(&dev[i], CSA_LINK_DOWNSTREAM, &up[i + 1u], &down[i + 1u]), 1);
    }
}

static void run(uint32_t now)
{
    test_queue_t *all[6] = {&down[0], &down[1], &down[2], &up[1], &up[2], &up[0]};
    test_net_run(all, 6, now);
}

static void host_send(const csa_frame_header_t *h, const uint8_t *payload, size_t len)
{
    test_host_send_frame(&down[0], h, payload, len);
    run(1000);
}

/* Strips the leading delimiters a node puts before a burst (protocol.md 3.2). */
static const uint8_t *skip_delimiters(const test_queue_t *q, size_t *len)
{
    size_t i = 0;
    while (i < q->len && q->data[i] == 0u)
        i++;
    *len = q->len - i;
    return q->data + i;
}

static void lm_capabilities_golden(void)
{
    vector_t request, response;
    const uint8_t *out;
    size_t len;
    const csa_peer_t *host;
    CHECK(find_vector("capabilities-request", &request));
    CHECK(find_vector("capabilities-response", &response));
    chain(1, 0x01, false);
    memcpy(down[0].data, request.encoded, request.encoded_len);
    down[0].len = request.encoded_len;
    run(1000);
    CHECK_EQ(up[0].data[0], 0); /* the first frame gets a leading delimiter */
    out = skip_delimiters(&up[0], &len);
    CHECK_BYTES(out, len, response.encoded, response.encoded_len);
    host = csa_node_peer(&dev[0], 0x00);
    CHECK(host != NULL && host->path_limit == 1024u);
}

static void lm_assign_golden(void)
{
    vector_t assign;
    csa_frame_header_t h;
    uint8_t payload[64];
    size_t len;
    static const uint8_t assigned[] = {0x83, 0x08, 0x01, 0x00, 0x04, 0x08};
    CHECK(find_vector("assign-address", &assign));
    chain(1, CSA_ADDR_UNASSIGNED, true);
    memcpy(down[0].data, assign.encoded, assign.encoded_len);
    down[0].len = assign.encoded_len;
    run(1000);
    CHECK_EQ(csa_node_address(&dev[0]), 0x02);
    CHECK(test_host_next_frame(&up[0], &h, payload, &len));
    CHECK_EQ(h.src_node, 0x02);
    CHECK_EQ(h.src_port, 0x00);
    CHECK_EQ(h.dst_node, 0x00);
    CHECK_EQ(h.dst_port, 0x00);
    CHECK_BYTES(payload, len, assigned, sizeof assigned);
}

static void lm_forget_golden(void)
{
    vector_t forget;
    CHECK(find_vector("forget-addresses", &forget));
    chain(1, 0x05, true);
    memcpy(down[0].data, forget.encoded, forget.encoded_len);
    down[0].len = forget.encoded_len;
    run(1000);
    CHECK_EQ(csa_node_address(&dev[0]), CSA_ADDR_UNASSIGNED);
    CHECK_EQ(up[0].len, 0);
}

static void lm_fixed_address_ignores_assignment(void)
{
    vector_t forget, assign;
    CHECK(find_vector("forget-addresses", &forget));
    CHECK(find_vector("assign-address", &assign));
    chain(1, 0x05, false);
    memcpy(down[0].data, forget.encoded, forget.encoded_len);
    memcpy(down[0].data + forget.encoded_len, assign.encoded, assign.encoded_len);
    down[0].len = forget.encoded_len + assign.encoded_len;
    run(1000);
    CHECK_EQ(csa_node_address(&dev[0]), 0x05);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_INVALID_LINK_MANAGEMENT], 1);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_NOT_FOR_THIS_NODE], 1); /* the assign, for 0xFE */
    CHECK_EQ(up[0].len, 0);
}

static void lm_invalid_requests_are_dropped(void)
{
    static const uint8_t short_limit[] = {0x01, 0x09, 0x00};
    static const uint8_t low_limit[] = {0x01, 0x09, 0x3F, 0x00};
    static const uint8_t unknown[] = {0x07, 0x09};
    static const uint8_t unsolicited[] = {0x81, 0x09, 0x01, 0x00, 0x04, 0x08};
    static const uint8_t one_byte[] = {0x02};
    static const uint8_t join_empty[] = {0x05, 0x09};
    static const uint8_t join_long[] = {0x05, 0x09, 0xF0, 0x00};
    static const uint8_t join_device[] = {0x05, 0x09, 0x10}; /* not a group address */
    static const uint8_t join_broadcast[] = {0x05, 0x09, 0xFF};
    static const uint8_t leave_device[] = {0x06, 0x09, 0x10};
    csa_frame_header_t h = test_header(0x01, 0x00, 0x00, 0x00, 7);
    chain(1, 0x01, false);
    host_send(&h, short_limit, sizeof short_limit);
    host_send(&h, low_limit, sizeof low_limit);
    host_send(&h, unknown, sizeof unknown);
    host_send(&h, unsolicited, sizeof unsolicited);
    host_send(&h, one_byte, sizeof one_byte);
    host_send(&h, join_empty, sizeof join_empty);
    host_send(&h, join_long, sizeof join_long);
    host_send(&h, join_device, sizeof join_device);
    host_send(&h, join_broadcast, sizeof join_broadcast);
    host_send(&h, leave_device, sizeof leave_device);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_INVALID_LINK_MANAGEMENT], 10);
    CHECK_EQ(up[0].len, 0);
    CHECK(!csa_node_is_member(&dev[0], 0xF0));
}

/* What a bound port received (groups and reassembly). */
static unsigned delivered;
static size_t delivered_len;
static uint8_t delivered_data[4096];

static void record(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    (void)ctx;
    (void)node;
    delivered++;
    delivered_len = p->len;
    memcpy(delivered_data, p->data, p->len);
}

/* ---- groups (protocol.md 7.6) ---- */

/* Feeds a vector's encoded bytes to dev[0] as the host sends them. */
static void host_send_vector(const vector_t *v)
{
    memcpy(down[0].data + down[0].len, v->encoded, v->encoded_len);
    down[0].len += v->encoded_len;
    run(1000);
}

static void lm_join_and_leave_golden(void)
{
    vector_t join, joined, leave, left;
    const uint8_t *out;
    size_t len;
    CHECK(find_vector("join-group", &join));
    CHECK(find_vector("group-joined", &joined));
    CHECK(find_vector("leave-group", &leave));
    CHECK(find_vector("group-left", &left));
    chain(1, 0x01, false);
    dev[0].next_packet_id = 4; /* the vectors' answers are the device's packets 4 and 5 */
    host_send_vector(&join);
    CHECK(csa_node_is_member(&dev[0], 0xF0));
    out = skip_delimiters(&up[0], &len);
    CHECK_BYTES(out, len, joined.encoded, joined.encoded_len);
    up[0].len = 0;
    host_send_vector(&leave);
    CHECK(!csa_node_is_member(&dev[0], 0xF0));
    out = skip_delimiters(&up[0], &len);
    CHECK_BYTES(out, len, left.encoded, left.encoded_len);
}

static uint8_t lm_answer[8];
static size_t lm_answer_len;

/* Sends a join (0x05) or leave (0x06) request from the host to `to` and returns the answer's result byte (joins),
   the group byte (leaves), or -1 when nothing came back. */
static int group_request(uint8_t to, uint8_t type, uint8_t group)
{
    uint8_t request[3];
    csa_frame_header_t h = test_header(to, 0x00, 0x00, 0x00, 11), got;
    request[0] = type;
    request[1] = (uint8_t)(0x40u + group);
    request[2] = group;
    host_send(&h, request, sizeof request);
    if (!test_host_next_frame(&up[0], &got, lm_answer, &lm_answer_len))
        return -1;
    CHECK_EQ(lm_answer[0], (uint8_t)(type | 0x80u));
    CHECK_EQ(lm_answer[1], (uint8_t)(0x40u + group));
    CHECK_EQ(lm_answer[2], group);
    CHECK_EQ(lm_answer_len, type == 0x05u ? 4u : 3u);
    return type == 0x05u ? lm_answer[3] : lm_answer[2];
}

static void group_membership_is_bounded_idempotent_and_ram_only(void)
{
    static const uint8_t forget[] = {0x04, 0x00};
    csa_frame_header_t h;
    uint8_t g;
    chain(1, 0x01, true);
    for (g = 0xF0; g < 0xF0 + CSA_CONFIG_MAX_GROUPS; g++)
        CHECK_EQ(group_request(0x01, 0x05, g), 0);
    CHECK_EQ(group_request(0x01, 0x05, 0xFD), 1); /* a member of as many as it may be: refused, not joined */
    CHECK(!csa_node_is_member(&dev[0], 0xFD));
    CHECK_EQ(group_request(0x01, 0x05, 0xF0), 0); /* joining a group it is in: answered 0 again */
    CHECK_EQ(group_request(0x01, 0x06, 0xF1), 0xF1);
    CHECK_EQ(group_request(0x01, 0x06, 0xF1), 0xF1); /* leaving one it is not in: answered too */
    CHECK_EQ(group_request(0x01, 0x05, 0xFD), 0);
    CHECK(csa_node_is_member(&dev[0], 0xFD) && !csa_node_is_member(&dev[0], 0xF1));
    /* A join is addressed to the node itself: through the broadcast address it is dropped unanswered. */
    h = test_header(CSA_ADDR_BROADCAST, 0x00, 0x00, 0x00, 12);
    {
        static const uint8_t join[] = {0x05, 0x01, 0xF7};
        host_send(&h, join, sizeof join);
        CHECK_EQ(up[0].len, 0);
        CHECK(!csa_node_is_member(&dev[0], 0xF7));
    }
    /* Forgetting the address keeps the groups (a chain re-enumerated during a transfer keeps its members). */
    host_send(&h, forget, sizeof forget);
    CHECK_EQ(csa_node_address(&dev[0]), CSA_ADDR_UNASSIGNED);
    CHECK(csa_node_is_member(&dev[0], 0xF0));
    csa_node_set_address(&dev[0], 0x01);
    CHECK_EQ(group_request(0x01, 0x06, 0xFF), 0xFF); /* every group */
    CHECK(!csa_node_is_member(&dev[0], 0xF0) && !csa_node_is_member(&dev[0], 0xFD));
    /* A node configured to take none refuses every join; a restart (a new init) forgets every group. */
    CHECK_EQ(csa_node_set_max_groups(&dev[0], 0), CSA_OK);
    CHECK_EQ(group_request(0x01, 0x05, 0xF0), 1);
    CHECK_EQ(csa_node_set_max_groups(&dev[0], (uint8_t)(CSA_CONFIG_MAX_GROUPS + 1u)), CSA_ERR_ARGUMENT);
    CHECK_EQ(csa_node_set_max_groups(&dev[0], 2), CSA_OK);
    CHECK_EQ(csa_node_join_group(&dev[0], 0xF3), CSA_OK);
    CHECK_EQ(csa_node_join_group(&dev[0], 0xF4), CSA_OK);
    CHECK_EQ(csa_node_join_group(&dev[0], 0xF5), CSA_ERR_FULL);
    CHECK_EQ(csa_node_join_group(&dev[0], 0xFE), CSA_ERR_ARGUMENT);
    chain(1, 0x01, true);
    CHECK(!csa_node_is_member(&dev[0], 0xF3));
}

/* A frame to a group travels the chain once: each node forwards it once (hop limit lowered, CRC resealed, nothing else
   changed: the group-write vectors), and each member delivers it; a node that is no member forwards it only. */
static void group_frames_are_delivered_by_members_and_forwarded_once(void)
{
    vector_t write, forwarded;
    const uint8_t *out;
    size_t len;
    unsigned i;
    CHECK(find_vector("group-write", &write));
    CHECK(find_vector("group-write-forwarded", &forwarded));
    /* One device with a raw downstream end: what it passes on is the forwarded vector, byte for byte. */
    chain(1, 0x01, false);
    CHECK_EQ(test_connect(&dev[0], CSA_LINK_DOWNSTREAM, &up[1], &down[1]), 1);
    CHECK_EQ(csa_node_bind(&dev[0], 0x01, record, NULL), CSA_OK);
    delivered = 0;
    host_send_vector(&write); /* not a member: forwarded only */
    CHECK_EQ(delivered, 0);
    out = skip_delimiters(&down[1], &len);
    CHECK_BYTES(out, len, forwarded.encoded, forwarded.encoded_len);
    CHECK_EQ(dev[0].links[1].counters.frames_forwarded, 1);
    down[1].len = 0;
    CHECK_EQ(csa_node_join_group(&dev[0], 0xF0), CSA_OK);
    host_send_vector(&write); /* a member: delivered and forwarded */
    CHECK_EQ(delivered, 1);
    CHECK_BYTES(delivered_data, delivered_len, write.payload, write.payload_len);
    out = skip_delimiters(&down[1], &len);
    CHECK_BYTES(out, len, forwarded.encoded, forwarded.encoded_len);

    /* Three devices, members 1 and 3: each hop carries the frame once, both members take it. */
    chain(3, 0x01, false);
    for (i = 0; i < 3; i++)
        CHECK_EQ(csa_node_bind(&dev[i], 0x20, record, NULL), CSA_OK);
    CHECK_EQ(csa_node_join_group(&dev[0], 0xF5), CSA_OK);
    CHECK_EQ(csa_node_join_group(&dev[2], 0xF5), CSA_OK);
    delivered = 0;
    {
        static const uint8_t data[] = {1, 2, 3, 4};
        csa_frame_header_t h = test_header(0xF5, 0x20, 0x00, 0x10, 77);
        host_send(&h, data, sizeof data);
    }
    CHECK_EQ(delivered, 2);
    CHECK_EQ(dev[0].links[1].counters.frames_forwarded, 1);
    CHECK_EQ(dev[1].links[1].counters.frames_forwarded, 1);
    CHECK_EQ(dev[2].links[0].counters.frames_received, 1);
    for (i = 0; i < 3; i++) {
        /* nobody counts a group frame as NotForThisNode or PortNotBound, and the last one does not send it back */
        CHECK_EQ(dev[i].links[0].counters.dropped[CSA_DROP_NOT_FOR_THIS_NODE], 0);
        CHECK_EQ(dev[i].links[0].counters.dropped[CSA_DROP_PORT_NOT_BOUND], 0);
    }
    CHECK_EQ(up[0].len, 0);
    /* A port nobody listens on: members drop the packet silently, the frame still travels on. */
    {
        static const uint8_t data[] = {9};
        csa_frame_header_t h = test_header(0xF5, 0x33, 0x00, 0x10, 78);
        host_send(&h, data, sizeof data);
    }
    CHECK_EQ(dev[2].links[0].counters.frames_received, 2);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_PORT_NOT_BOUND], 0);
    CHECK_EQ(dev[2].links[0].counters.dropped[CSA_DROP_PORT_NOT_BOUND], 0);
    /* Hop limit 1: the first member takes it, nobody passes it on. */
    {
        static const uint8_t data[] = {7};
        csa_frame_header_t h = test_header(0xF5, 0x20, 0x00, 0x10, 79);
        h.hop_limit = 1;
        delivered = 0;
        host_send(&h, data, sizeof data);
    }
    CHECK_EQ(delivered, 1);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_HOP_LIMIT_EXCEEDED], 1);
    CHECK_EQ(dev[2].links[0].counters.frames_received, 2);
}

/* Reassembles what the raw host received from one packet (frames in order). */
static size_t host_receive_packet(uint8_t *packet, size_t cap, csa_frame_header_t *first, unsigned *frames)
{
    csa_frame_header_t h;
    uint8_t payload[1024];
    size_t len, total = 0;
    *frames = 0;
    while (test_host_next_frame(&up[0], &h, payload, &len)) {
        CHECK_EQ(h.fragment, *frames);
        if (*frames == 0u)
            *first = h;
        CHECK(total + len <= cap);
        memcpy(packet + total, payload, len);
        total += len;
        (*frames)++;
        if (h.last)
            break;
    }
    return total;
}

static void echo_answers_long_bodies(void)
{
    uint8_t request[302], answer[400];
    csa_frame_header_t h = test_header(0x01, 0x00, 0x00, 0x00, 9), first;
    size_t i, n;
    unsigned frames, f;
    chain(1, 0x01, false);
    request[0] = 0x02;
    request[1] = 0x33;
    for (i = 2; i < sizeof request; i++)
        request[i] = (uint8_t)(i * 7u);
    /* 302 bytes in 1024-byte frames from the host: one frame. */
    host_send(&h, request, sizeof request);
    /* The device knows no path limit towards the host yet: it answers in 64-byte frames (protocol.md 6.1). */
    n = host_receive_packet(answer, sizeof answer, &first, &frames);
    CHECK_EQ(frames, (sizeof request + 50u) / 51u);
    CHECK_EQ(answer[0], 0x82);
    CHECK_BYTES(answer + 1, n - 1u, request + 1, sizeof request - 1u);
    for (f = 0; f < 1; f++)
        CHECK_EQ(first.hop_limit, 64);
}

static void enumerates_a_chain_in_order(void)
{
    static const uint8_t forget[] = {0x04, 0x00};
    csa_frame_header_t h, got;
    uint8_t payload[64], assign[5];
    size_t len;
    uint8_t n;
    chain(3, 0x20, true); /* addresses from an earlier enumeration: forgotten first */
    h = test_header(CSA_ADDR_BROADCAST, 0x00, 0x00, 0x00, 1);
    host_send(&h, forget, sizeof forget);
    CHECK_EQ(csa_node_address(&dev[0]), CSA_ADDR_UNASSIGNED);
    CHECK_EQ(csa_node_address(&dev[1]), CSA_ADDR_UNASSIGNED);
    CHECK_EQ(csa_node_address(&dev[2]), CSA_ADDR_UNASSIGNED);
    for (n = 1; n <= 4; n++) {
        h = test_header(CSA_ADDR_UNASSIGNED, 0x00, 0x00, 0x00, (uint16_t)(1u + n));
        assign[0] = 0x03;
        assign[1] = n;
        assign[2] = n;
        assign[3] = 0x00;
        assign[4] = 0x04;
        host_send(&h, assign, sizeof assign);
        if (n <= 3u) {
            CHECK(test_host_next_frame(&up[0], &got, payload, &len));
            CHECK_EQ(got.src_node, n);
            CHECK_EQ(payload[0], 0x83);
            CHECK_EQ(payload[1], n);
            CHECK_EQ(csa_node_address(&dev[n - 1u]), n);
            /* Each answer crossed the devices before it: one hop each. */
            CHECK_EQ(got.hop_limit, 64 - (n - 1u));
        } else {
            CHECK(!test_host_next_frame(&up[0], &got, payload, &len)); /* the chain has ended */
        }
    }
    /* Enumeration left routes: dev[0] reaches 3 downstream, the host upstream. */
    CHECK_EQ(csa_node_route(&dev[0], 3), 1);
    CHECK_EQ(csa_node_route(&dev[0], 0), 0);
}

static void forwarding_rules(void)
{
    static const uint8_t echo[] = {0x02, 0x44, 0xAB};
    csa_frame_header_t h, got;
    uint8_t payload[64];
    size_t len;
    unsigned answers = 0;
    chain(3, 0x01, false);
    /* A unicast frame is forwarded with its hop limit lowered by each forwarder. */
    h = test_header(0x03, 0x00, 0x00, 0x00, 1);
    host_send(&h, echo, sizeof echo);
    CHECK(test_host_next_frame(&up[0], &got, payload, &len));
    CHECK_EQ(got.src_node, 3);
    CHECK_EQ(got.hop_limit, 62);
    CHECK_EQ(dev[0].links[1].counters.frames_forwarded, 1);
    /* Hop limit 1 dies at the first forwarder. */
    h.hop_limit = 1;
    host_send(&h, echo, sizeof echo);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_HOP_LIMIT_EXCEEDED], 1);
    CHECK(!test_host_next_frame(&up[0], &got, payload, &len));
    /* A broadcast is delivered by every node and forwarded: three answers. */
    h = test_header(CSA_ADDR_BROADCAST, 0x00, 0x00, 0x00, 2);
    host_send(&h, echo, sizeof echo);
    while (test_host_next_frame(&up[0], &got, payload, &len))
        answers++;
    CHECK_EQ(answers, 3);
    /* The last device has one link: a frame for someone else is NotForThisNode there. */
    h = test_header(0x07, 0x00, 0x00, 0x00, 3);
    host_send(&h, echo, sizeof echo);
    CHECK_EQ(dev[2].links[0].counters.dropped[CSA_DROP_NOT_FOR_THIS_NODE], 1);
    /* An unbound port: counted for unicast, silent for broadcast. */
    h = test_header(0x01, 0x33, 0x00, 0x00, 4);
    host_send(&h, echo, sizeof echo);
    h.dst_node = CSA_ADDR_BROADCAST;
    host_send(&h, echo, sizeof echo);
    CHECK_EQ(dev[0].links[0].counters.dropped[CSA_DROP_PORT_NOT_BOUND], 1);
    /* A frame for 0xFE coming up from downstream is never sent upstream. */
    h = test_header(CSA_ADDR_UNASSIGNED, 0x00, 0x03, 0x00, 5);
    test_host_send_frame(&up[2], &h, echo, sizeof echo);
    run(1000);
    CHECK_EQ(dev[1].links[1].counters.dropped[CSA_DROP_NO_ROUTE], 1);
    CHECK(!test_host_next_frame(&up[0], &got, payload, &len));
    /* dev[0] learnt that 3 is downstream: a frame for 3 coming from downstream is not sent back. */
    h = test_header(0x03, 0x00, 0x02, 0x00, 6);
    test_host_send_frame(&up[1], &h, echo, sizeof echo);
    run(1000);
    CHECK_EQ(dev[0].links[1].counters.dropped[CSA_DROP_NOT_FOR_THIS_NODE], 1);
}

/* ---- reassembly (protocol.md 6.2) ---- */


static void fragment(uint8_t src, uint16_t id, uint8_t index, bool last, size_t len, uint8_t fill)
{
    csa_frame_header_t h = test_header(0x01, 0x20, src, 0x10, id);
    uint8_t payload[1100];
    memset(payload, fill, len);
    h.fragment = index;
    h.last = last;
    test_host_send_frame(&down[0], &h, payload, len);
    run(dev[0].now);
}

static csa_counters_t *c0(void)
{
    return &dev[0].links[0].counters;
}

static void reassembly_in_order_and_its_drops(void)
{
    chain(1, 0x01, false);
    delivered = 0;
    CHECK_EQ(csa_node_bind(&dev[0], 0x20, record, NULL), CSA_OK);
    fragment(0, 1, 0, false, 100, 0xA1);
    fragment(0, 1, 1, false, 100, 0xA2);
    fragment(0, 1, 1, false, 100, 0xA2); /* duplicate: dropped, the packet goes on */
    fragment(0, 1, 2, true, 10, 0xA3);
    CHECK_EQ(delivered, 1);
    CHECK_EQ(delivered_len, 210);
    CHECK(delivered_data[0] == 0xA1 && delivered_data[100] == 0xA2 && delivered_data[209] == 0xA3);
    CHECK_EQ(c0()->dropped[CSA_DROP_DUPLICATE_FRAGMENT], 1);
    /* A gap discards the packet; its later fragments are orphans. */
    fragment(0, 2, 0, false, 50, 1);
    fragment(0, 2, 2, false, 50, 1);
    fragment(0, 2, 3, true, 50, 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_FRAGMENT_OUT_OF_ORDER], 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_ORPHAN_FRAGMENT], 1);
    /* Index 0 again restarts the packet. */
    fragment(0, 3, 0, false, 50, 1);
    fragment(0, 3, 0, false, 50, 2);
    fragment(0, 3, 1, true, 5, 3);
    CHECK_EQ(c0()->dropped[CSA_DROP_FRAGMENT_OUT_OF_ORDER], 2);
    CHECK_EQ(delivered, 2);
    CHECK_EQ(delivered_len, 55);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 0);
}

static void reassembly_limits(void)
{
    unsigned i;
    chain(1, 0x01, false);
    delivered = 0;
    CHECK_EQ(csa_node_bind(&dev[0], 0x20, record, NULL), CSA_OK);
    /* More than the maximum packet size (2048): PacketTooLarge. */
    fragment(0, 1, 0, false, 1000, 1);
    fragment(0, 1, 1, false, 1000, 1);
    fragment(0, 1, 2, true, 49, 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_PACKET_TOO_LARGE], 1);
    /* A single frame larger than the packet size is refused too. */
    /* Fragment 255 without LAST: PacketTooLarge. */
    for (i = 0; i < 255u; i++)
        fragment(0, 2, (uint8_t)i, false, 1, 1);
    fragment(0, 2, 255, false, 1, 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_PACKET_TOO_LARGE], 2);
    /* At most 4 packets per source in progress: the fifth evicts the oldest. */
    for (i = 0; i < 5u; i++)
        fragment(7, (uint16_t)(10u + i), 0, false, 10, 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_REASSEMBLY_EVICTED], 1);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 4);
    fragment(7, 10, 1, true, 10, 1); /* the evicted one: an orphan now */
    CHECK_EQ(c0()->dropped[CSA_DROP_ORPHAN_FRAGMENT], 1);
    fragment(7, 11, 1, true, 10, 1);
    CHECK_EQ(delivered, 1);
    /* Every receive buffer taken (3 from 7, 4 from 8, one from 9 = 8): the next evicts the oldest of any source. */
    for (i = 0; i < 4u; i++)
        fragment(8, (uint16_t)(20u + i), 0, false, 10, 1);
    fragment(9, 30, 0, false, 10, 1);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 8);
    fragment(9, 31, 0, false, 10, 1);
    CHECK_EQ(c0()->dropped[CSA_DROP_REASSEMBLY_EVICTED], 2);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 8);
    /* A packet whose next fragment does not come within 2 s is discarded. */
    csa_node_poll(&dev[0], 1000u + 1999u);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 8);
    csa_node_poll(&dev[0], 1000u + 2000u);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 0);
    CHECK_EQ(c0()->dropped[CSA_DROP_REASSEMBLY_TIMEOUT], 8);
}

/* A packet held for later delivery (csa_service/busy_link.h: while the flash is busy) keeps one of the node's receive
   buffers: a reassembled one where it was put together, a single-frame one copied from the frame. Held packets and
   packets in reassembly share the advertised buffers; one more is lost (SocketQueueFull); a held one never expires or
   is evicted, and they come back oldest first. */
static unsigned held_refused;

static void keep(void *ctx, csa_node_t *node, const csa_packet_t *p)
{
    (void)ctx;
    if (csa_node_hold_packet(node, p) == NULL)
        held_refused++;
}

static void held_packets_keep_their_receive_buffers(void)
{
    csa_reassembly_t *b;
    csa_packet_t p;
    unsigned i;
    chain(1, 0x01, false);
    held_refused = 0;
    CHECK_EQ(csa_node_bind(&dev[0], 0x20, keep, NULL), CSA_OK);
    CHECK(csa_node_oldest_held(&dev[0]) == NULL);
    fragment(0, 1, 0, false, 1000, 0x50); /* reassembled: stays in its buffer */
    fragment(0, 1, 1, true, 24, 0x51);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 0);
    for (i = 0; i < 7u; i++) /* single-frame packets: copied, one buffer each */
        fragment(0, (uint16_t)(2u + i), 0, true, 10u + i, (uint8_t)(0x60u + i));
    CHECK_EQ(held_refused, 0);
    fragment(0, 20, 0, true, 10, 0x70); /* all 8 buffers hold a packet */
    CHECK_EQ(held_refused, 1);
    fragment(0, 21, 0, false, 10, 0x71); /* a packet in several frames finds no buffer either */
    CHECK_EQ(c0()->dropped[CSA_DROP_SOCKET_QUEUE_FULL], 2);
    CHECK_EQ(c0()->dropped[CSA_DROP_REASSEMBLY_EVICTED], 0);
    csa_node_poll(&dev[0], dev[0].now + 10000u); /* held packets do not time out */
    CHECK_EQ(c0()->dropped[CSA_DROP_REASSEMBLY_TIMEOUT], 0);
    /* Back oldest first, each whole. */
    b = csa_node_oldest_held(&dev[0]);
    CHECK(b != NULL);
    csa_node_held_packet(b, &p);
    CHECK_EQ(p.len, 1024);
    CHECK(p.data[0] == 0x50 && p.data[999] == 0x50 && p.data[1000] == 0x51 && p.src_node == 0 && p.dst_port == 0x20);
    CHECK_EQ(p.dst_node, 0x01);
    csa_node_release_packet(b);
    for (i = 0; i < 7u; i++) {
        b = csa_node_oldest_held(&dev[0]);
        CHECK(b != NULL);
        csa_node_held_packet(b, &p);
        CHECK_EQ(p.len, 10u + i);
        CHECK(p.data[0] == 0x60u + i && p.data[p.len - 1u] == 0x60u + i);
        csa_node_release_packet(b);
    }
    CHECK(csa_node_oldest_held(&dev[0]) == NULL);
    /* The buffers are free again: a packet in several frames reassembles and is delivered as usual. */
    CHECK_EQ(csa_node_bind(&dev[0], 0x21, record, NULL), CSA_OK);
    delivered = 0;
    {
        csa_frame_header_t h = test_header(0x01, 0x21, 0x00, 0x10, 40);
        uint8_t payload[20];
        memset(payload, 0x7A, sizeof payload);
        h.fragment = 0;
        h.last = false;
        test_host_send_frame(&down[0], &h, payload, sizeof payload);
        h.fragment = 1;
        h.last = true;
        test_host_send_frame(&down[0], &h, payload, 5);
        run(dev[0].now);
    }
    CHECK_EQ(delivered, 1);
    CHECK_EQ(delivered_len, 25);
    CHECK_EQ(csa_node_reassemblies(&dev[0]), 0);
}

static void sends_in_frames_that_fit_the_path(void)
{
    static const uint8_t caps_request[] = {0x01, 0x05, 128, 0x00};
    uint8_t packet[1000], got[1100];
    csa_frame_header_t h = test_header(0x01, 0x00, 0x00, 0x00, 1), first;
    size_t i, n;
    unsigned frames;
    chain(1, 0x01, false);
    for (i = 0; i < sizeof packet; i++)
        packet[i] = (uint8_t)i;
    /* No path limit known: 64-byte frames, 51 payload bytes each. */
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, packet, sizeof packet), CSA_OK);
    run(1000);
    n = host_receive_packet(got, sizeof got, &first, &frames);
    CHECK_EQ(frames, 20);
    CHECK_BYTES(got, n, packet, sizeof packet);
    /* The host says it takes 128-byte frames back: 115 payload bytes each. */
    host_send(&h, caps_request, sizeof caps_request);
    (void)host_receive_packet(got, sizeof got, &first, &frames);
    CHECK_EQ(csa_node_path_frame_size(&dev[0], 0x00), 128);
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, packet, sizeof packet), CSA_OK);
    run(1000);
    n = host_receive_packet(got, sizeof got, &first, &frames);
    CHECK_EQ(frames, 9);
    CHECK_BYTES(got, n, packet, sizeof packet);
    /* An empty packet is one frame; a packet over the maximum packet size is refused before anything is sent. */
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, packet, 0), CSA_OK);
    run(1000);
    n = host_receive_packet(got, sizeof got, &first, &frames);
    CHECK_EQ(frames, 1);
    CHECK_EQ(n, 0);
    {
        static uint8_t huge[2049];
        CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, huge, sizeof huge), CSA_ERR_TOO_LARGE);
    }
    CHECK_EQ(up[0].len, 0);
}

static void leading_delimiter_after_silence(void)
{
    static const uint8_t one[] = {1};
    chain(1, 0x01, false);
    dev[0].now = 5000;
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, one, 1), CSA_OK);
    CHECK_EQ(up[0].data[0], 0);
    up[0].len = 0;
    dev[0].now = 5099; /* 99 ms later: straight on */
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, one, 1), CSA_OK);
    CHECK(up[0].data[0] != 0);
    up[0].len = 0;
    dev[0].now = 5199; /* 100 ms of silence: a delimiter first */
    CHECK_EQ(csa_node_send(&dev[0], 0x20, 0x00, 0x20, one, 1), CSA_OK);
    CHECK_EQ(up[0].data[0], 0);
    CHECK(up[0].data[1] != 0);
}

static void a_closing_link_truncates_and_forgets(void)
{
    static const uint8_t part[] = {0x09, 0x11, 0x01};
    static const uint8_t echo[] = {0x02, 0x01};
    csa_frame_header_t h = test_header(0x02, 0x00, 0x00, 0x00, 1);
    chain(2, 0x01, false);
    host_send(&h, echo, sizeof echo); /* dev[0] learns: the host is upstream, 2 downstream */
    CHECK_EQ(csa_node_route(&dev[0], 2), 1);
    csa_node_receive(&dev[0], 1, part, sizeof part, 1000);
    csa_node_set_link_open(&dev[0], 1, false);
    CHECK_EQ(dev[0].links[1].counters.dropped[CSA_DROP_TRUNCATED], 1);
    CHECK_EQ(csa_node_route(&dev[0], 2), CSA_LINK_LOCAL);
    CHECK_EQ(csa_node_route(&dev[0], 0), 0);
    /* Nothing goes out of a closed link. */
    CHECK_EQ(csa_node_send_via(&dev[0], 1, 0x20, 0x02, 0x20, echo, sizeof echo), CSA_ERR_NO_LINK);
}

static const csa_test_case_t cases[] = {
    {"lm_capabilities_golden", lm_capabilities_golden},
    {"lm_assign_golden", lm_assign_golden},
    {"lm_forget_golden", lm_forget_golden},
    {"lm_fixed_address_ignores_assignment", lm_fixed_address_ignores_assignment},
    {"lm_invalid_requests_are_dropped", lm_invalid_requests_are_dropped},
    {"lm_join_and_leave_golden", lm_join_and_leave_golden},
    {"group_membership_is_bounded_idempotent_and_ram_only", group_membership_is_bounded_idempotent_and_ram_only},
    {"group_frames_are_delivered_by_members_and_forwarded_once", group_frames_are_delivered_by_members_and_forwarded_once},
    {"echo_answers_long_bodies", echo_answers_long_bodies},
    {"enumerates_a_chain_in_order", enumerates_a_chain_in_order},
    {"forwarding_rules", forwarding_rules},
    {"reassembly_in_order_and_its_drops", reassembly_in_order_and_its_drops},
    {"reassembly_limits", reassembly_limits},
    {"held_packets_keep_their_receive_buffers", held_packets_keep_their_receive_buffers},
    {"sends_in_frames_that_fit_the_path", sends_in_frames_that_fit_the_path},
    {"leading_delimiter_after_silence", leading_delimiter_after_silence},
    {"a_closing_link_truncates_and_forgets", a_closing_link_truncates_and_forgets},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
