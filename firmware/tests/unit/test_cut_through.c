/* Cut-through forwarding against docs/protocol.md 6.3.1: what a node passes on while a frame arrives is byte for byte
   what store-and-forward sends (however the frame's bytes are split), with the hop limit decremented; a frame with a
   bad CRC goes on poisoned and the next node drops it; a stall, an oversize frame, a closed link or a local frame
   that needs the outgoing link aborts it with 02 00 (and an intact frame is then forwarded whole at its end); frames
   for the node itself are not passed on; the two directions of a chain do not disturb each other. */
#include "csa/csa_cobs.h"
#include "csa/csa_crc32.h"
#include "csa/csa_node.h"
#include "csa_test.h"
#include "test_net.h"

#include <string.h>

#define NOW 1000u

/* One node between two raw ends: bytes are fed by hand, each link's output is captured. */
static csa_node_t node, next_node;
static test_queue_t out_up, out_down, next_up, next_down;
static unsigned delivered;

static void on_packet(void *ctx, csa_node_t *n, const csa_packet_t *p)
{
    (void)ctx;
    (void)n;
    (void)p;
    delivered++;
}

static void setup(csa_node_t *n, uint8_t address, const csa_limits_t *limits, test_queue_t *up, test_queue_t *down)
{
    memset(up, 0, sizeof *up);
    memset(down, 0, sizeof *down);
    CHECK_EQ(csa_node_init(n, limits, address, false, NOW), CSA_OK);
    CHECK_EQ(test_connect(n, CSA_LINK_UPSTREAM, NULL, up), 0);
    CHECK_EQ(test_connect(n, CSA_LINK_DOWNSTREAM, NULL, down), 1);
    CHECK_EQ(csa_node_bind(n, CSA_PORT_RPC, on_packet, NULL), CSA_OK);
    delivered = 0;
}

static void one_node(void)
{
    setup(&node, 0x01, NULL, &out_up, &out_down);
}

/* Encodes a frame as the host sends it: COBS and the delimiter, no leading one. */
static size_t encode(const csa_frame_header_t *h, const uint8_t *payload, size_t len, uint8_t *out)
{
    static uint8_t frame[CSA_CONFIG_MAX_FRAME_SIZE + 64u];
    size_t n = csa_frame_write(h, payload, len, frame, sizeof frame);
    size_t e = csa_cobs_encode(frame, n, out, n + n / 254u + 2u);
    out[e] = 0u;
    return e + 1u;
}

/* What store-and-forward sends for the frame: the same header with hop_limit - 1, a new CRC, encoded. */
static size_t expected_forward(csa_frame_header_t h, const uint8_t *payload, size_t len, uint8_t *out)
{
    h.hop_limit--;
    return encode(&h, payload, len, out);
}

/* The queue's bytes without the leading delimiters of a burst (protocol.md 3.2). */
static const uint8_t *skip_delimiters(const test_queue_t *q, size_t *len)
{
    size_t i = 0;
    while (i < q->len && q->data[i] == 0u)
        i++;
    *len = q->len - i;
    return q->data + i;
}

static void feed(csa_node_t *n, uint8_t link, const uint8_t *data, size_t len, size_t chunk)
{
    size_t i;
    for (i = 0; i < len; i += chunk)
        csa_node_receive(n, link, data + i, len - i < chunk ? len - i : chunk, NOW);
}

/* Payload bytes with zeros now and then and long non-zero runs (COBS blocks of every length, full ones too). */
static void fill(uint8_t *p, size_t len, uint32_t seed)
{
    size_t i;
    for (i = 0; i < len; i++) {
        uint32_t r = test_random(&seed);
        p[i] = (r % 97u == 0u) ? 0u : (uint8_t)(r >> 8 | 1u);
    }
}

static void split_at_every_byte_is_store_and_forward_byte_for_byte(void)
{
    static uint8_t payload[700], in[800], want[800];
    static const size_t lengths[] = {0, 1, 240, 245, 246, 300, 520, 700};
    unsigned li;
    for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t len = lengths[li], n, w, k, out_len;
        csa_frame_header_t h = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, (uint16_t)(0x0100u + li));
        const uint8_t *out;
        fill(payload, len, 7u + li);
        n = encode(&h, payload, len, in);
        w = expected_forward(h, payload, len, want);
        /* Store-and-forward (the whole run at once, or the switch off) and cut-through split at every byte. */
        for (k = 0; k <= n; k++) {
            one_node();
            if (k == n) {
                csa_node_set_cut_through(&node, false);
                feed(&node, 0, in, n, 1u);
            } else if (k == 0u) {
                feed(&node, 0, in, n, n);
            } else {
                csa_node_receive(&node, 0, in, k, NOW);
                csa_node_receive(&node, 0, in + k, n - k, NOW);
            }
            out = skip_delimiters(&out_down, &out_len);
            CHECK_BYTES(out, out_len, want, w);
            CHECK_EQ(node.links[1].counters.frames_forwarded, 1);
            CHECK_EQ(node.links[1].counters.frames_poisoned, 0);
            CHECK_EQ(out_up.len, 0);
        }
        /* Byte by byte: passed on while it arrives, each block as it closes. */
        one_node();
        for (k = 0; k + 1u < n; k++) {
            csa_node_receive(&node, 0, in + k, 1u, NOW);
            /* The output never runs ahead of the input: at most what the input's blocks allow. */
            CHECK(out_down.len <= k + 2u);
        }
        CHECK(out_down.len > 0u || n < 20u);
        csa_node_receive(&node, 0, in + n - 1u, 1u, NOW);
        out = skip_delimiters(&out_down, &out_len);
        CHECK_BYTES(out, out_len, want, w);
        CHECK_EQ(node.links[1].counters.frames_cut_through, 1);
    }
}

static void every_payload_length_byte_by_byte(void)
{
    /* Every length up to two full blocks: the last block of the CRC lands everywhere, and ends with a full block. */
    static uint8_t payload[600], in[700], want[700];
    size_t len;
    for (len = 0; len <= 560u; len++) {
        csa_frame_header_t h = test_header(0x07, CSA_PORT_RPC, 0x00, 0x10, (uint16_t)len);
        size_t n, w, out_len;
        const uint8_t *out;
        memset(payload, 0xA5, len); /* no zero after the header: the frame's end falls on every block position */
        n = encode(&h, payload, len, in);
        w = expected_forward(h, payload, len, want);
        one_node();
        feed(&node, 0, in, n, 1u);
        out = skip_delimiters(&out_down, &out_len);
        CHECK_BYTES(out, out_len, want, w);
        CHECK_EQ(node.links[1].counters.frames_cut_through, 1);
    }
}

static void hop_limit_is_decremented_and_one_stops(void)
{
    static uint8_t in[100], want[100];
    static const uint8_t payload[] = {1, 2, 3, 0, 5};
    csa_frame_header_t h = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, 9);
    csa_frame_header_t got;
    uint8_t body[64];
    size_t n, w, out_len, body_len;
    const uint8_t *out;
    h.hop_limit = 2;
    n = encode(&h, payload, sizeof payload, in);
    w = expected_forward(h, payload, sizeof payload, want);
    one_node();
    feed(&node, 0, in, n, 1u);
    out = skip_delimiters(&out_down, &out_len);
    CHECK_BYTES(out, out_len, want, w);
    CHECK(test_host_next_frame(&out_down, &got, body, &body_len));
    CHECK_EQ(got.hop_limit, 1);
    h.hop_limit = 1;
    n = encode(&h, payload, sizeof payload, in);
    one_node();
    feed(&node, 0, in, n, 1u);
    CHECK_EQ(out_down.len, 0);
    CHECK_EQ(node.links[0].counters.dropped[CSA_DROP_HOP_LIMIT_EXCEEDED], 1);
}

static void bad_crc_goes_on_poisoned_and_is_never_delivered(void)
{
    static uint8_t payload[300], in[400], want[400], decoded[400];
    csa_frame_header_t h = test_header(0x03, CSA_PORT_RPC, 0x00, 0x10, 0x4242);
    size_t n, w, k, out_len;
    int32_t dlen;
    const uint8_t *out;
    uint32_t crc;
    fill(payload, sizeof payload, 99u);
    n = encode(&h, payload, sizeof payload, in);
    w = expected_forward(h, payload, sizeof payload, want);
    /* Flip one payload byte that is neither a code byte nor would become zero: find a plain data byte. */
    for (k = 40; in[k] == 0u || (in[k] ^ 0x10u) == 0u; k++) {
    }
    in[k] ^= 0x10u;
    one_node();                                              /* 0x01 */
    setup(&next_node, 0x02, NULL, &next_up, &next_down);    /* 0x02 passes it on too; 0x03 would be behind */
    feed(&node, 0, in, n, 3u);
    CHECK_EQ(node.links[0].counters.dropped[CSA_DROP_CRC_MISMATCH], 1);
    CHECK_EQ(node.links[1].counters.frames_poisoned, 1);
    CHECK_EQ(node.links[1].counters.frames_forwarded, 0);
    out = skip_delimiters(&out_down, &out_len);
    CHECK_EQ(out_len, w); /* the same length as the good frame: only the flipped byte and the CRC differ */
    dlen = csa_cobs_decode(out, out_len - 1u, decoded, sizeof decoded);
    CHECK(dlen > 13);
    /* The CRC sent is the inverse of the right one for what was sent: never the received one. */
    crc = csa_crc32(decoded, (size_t)dlen - 4u);
    CHECK_EQ(decoded[dlen - 4] | decoded[dlen - 3] << 8 | (uint32_t)decoded[dlen - 2] << 16 |
                 (uint32_t)decoded[dlen - 1] << 24,
             (uint32_t)~crc);
    CHECK_EQ(decoded[1], 63);
    /* The next node drops it, and poisons it again where it passes it on. */
    feed(&next_node, 0, out_down.data, out_down.len, 1u);
    CHECK_EQ(next_node.links[0].counters.dropped[CSA_DROP_CRC_MISMATCH], 1);
    CHECK_EQ(next_node.links[1].counters.frames_poisoned, 1);
    CHECK_EQ(next_node.links[1].counters.frames_forwarded, 0);
    CHECK(!test_host_next_frame(&next_down, &h, decoded, &out_len));
    /* The destination drops it: not delivered. */
    h = test_header(0x02, CSA_PORT_RPC, 0x00, 0x10, 0x4243);
    n = encode(&h, payload, sizeof payload, in);
    in[k] ^= 0x10u;
    one_node();
    setup(&next_node, 0x02, NULL, &next_up, &next_down);
    feed(&node, 0, in, n, 1u);
    feed(&next_node, 0, out_down.data, out_down.len, 1u);
    CHECK_EQ(next_node.links[0].counters.dropped[CSA_DROP_CRC_MISMATCH], 1);
    CHECK_EQ(delivered, 0);
    CHECK_EQ(next_down.len, 0);
}

static void stall_aborts_then_the_intact_frame_goes_whole(void)
{
    static uint8_t payload[400], in[500], want[500];
    csa_frame_header_t h = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, 77);
    size_t n, w, half, before;
    fill(payload, sizeof payload, 5u);
    n = encode(&h, payload, sizeof payload, in);
    w = expected_forward(h, payload, sizeof payload, want);
    half = n / 2u;
    one_node();
    feed(&node, 0, in, half, 1u);
    before = out_down.len;
    CHECK(before > 0u);
    csa_node_poll(&node, NOW + CSA_CONFIG_CUT_THROUGH_STALL_MS - 1u);
    CHECK_EQ(out_down.len, before); /* not yet */
    csa_node_poll(&node, NOW + CSA_CONFIG_CUT_THROUGH_STALL_MS);
    CHECK_EQ(out_down.len, before + 2u);
    CHECK_EQ(out_down.data[before], 0x02);
    CHECK_EQ(out_down.data[before + 1u], 0x00);
    CHECK_EQ(node.links[1].counters.frames_poisoned, 1);
    /* The rest comes: the frame ends intact and is forwarded whole, store-and-forward (a stall costs time only). */
    csa_node_receive(&node, 0, in + half, n - half, NOW + 200u);
    before += 2u;
    CHECK_EQ(out_down.data[before], 0x00); /* after 100 ms of silence, a leading delimiter (protocol.md 3.2) */
    before++;
    CHECK_BYTES(out_down.data + before, out_down.len - before, want, w);
    CHECK_EQ(node.links[1].counters.frames_forwarded, 1);
    CHECK_EQ(node.links[1].counters.frames_cut_through, 0);
}

static void oversize_aborts_at_once(void)
{
    static const csa_limits_t small = {64u, 2u, 256u};
    static uint8_t payload[120], in[200];
    csa_frame_header_t h = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, 78);
    size_t n, k;
    memset(payload, 0x33, sizeof payload);
    payload[10] = 0; /* a block closes early, so bytes are out before the frame outgrows 64 */
    n = encode(&h, payload, sizeof payload, in);
    setup(&node, 0x01, &small, &out_up, &out_down);
    for (k = 0; k < 80u; k++)
        csa_node_receive(&node, 0, in + k, 1u, NOW);
    /* 80 encoded bytes hold more than 64 decoded ones: aborted already, long before the delimiter. */
    CHECK(out_down.len >= 2u);
    CHECK_EQ(out_down.data[out_down.len - 2u], 0x02);
    CHECK_EQ(out_down.data[out_down.len - 1u], 0x00);
    k = out_down.len;
    feed(&node, 0, in + 80u, n - 80u, 1u);
    CHECK_EQ(out_down.len, k); /* nothing more of it */
    CHECK_EQ(node.links[0].counters.dropped[CSA_DROP_OVERSIZE], 1);
    CHECK_EQ(node.links[1].counters.frames_poisoned, 1);
    CHECK_EQ(node.links[1].counters.frames_forwarded, 0);
}

static void malformed_end_and_closed_link_abort(void)
{
    static uint8_t payload[100], in[200];
    csa_frame_header_t h = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, 79);
    size_t n;
    memset(payload, 0x44, sizeof payload);
    payload[20] = 0;
    n = encode(&h, payload, sizeof payload, in);
    /* The delimiter comes where the last block still promised bytes: Malformed, aborted. */
    one_node();
    feed(&node, 0, in, 60u, 1u);
    csa_node_receive(&node, 0, in + n - 1u, 1u, NOW);
    CHECK_EQ(node.links[0].counters.dropped[CSA_DROP_MALFORMED], 1);
    CHECK_EQ(out_down.data[out_down.len - 2u], 0x02);
    CHECK_EQ(out_down.data[out_down.len - 1u], 0x00);
    /* The incoming link goes away mid-frame: aborted, Truncated. */
    one_node();
    feed(&node, 0, in, 60u, 1u);
    csa_node_set_link_open(&node, 0, false);
    CHECK_EQ(node.links[0].counters.dropped[CSA_DROP_TRUNCATED], 1);
    CHECK_EQ(out_down.data[out_down.len - 2u], 0x02);
    CHECK_EQ(out_down.data[out_down.len - 1u], 0x00);
    CHECK_EQ(node.links[1].counters.frames_poisoned, 1);
}

static void frames_for_this_node_are_not_passed_on(void)
{
    static uint8_t payload[300], in[400];
    csa_frame_header_t h = test_header(0x01, CSA_PORT_RPC, 0x00, 0x10, 80);
    size_t n;
    fill(payload, sizeof payload, 11u);
    n = encode(&h, payload, sizeof payload, in);
    one_node();
    feed(&node, 0, in, n, 1u);
    CHECK_EQ(out_down.len, 0);
    CHECK_EQ(delivered, 1);
    /* A broadcast is passed on and delivered at its end. */
    h = test_header(CSA_ADDR_BROADCAST, CSA_PORT_RPC, 0x00, 0x10, 81);
    n = encode(&h, payload, sizeof payload, in);
    one_node();
    feed(&node, 0, in, n, 1u);
    CHECK_EQ(delivered, 1);
    CHECK_EQ(node.links[1].counters.frames_cut_through, 1);
    /* Switched off, nothing goes on before the delimiter. */
    h = test_header(0x09, CSA_PORT_RPC, 0x00, 0x10, 82);
    n = encode(&h, payload, sizeof payload, in);
    one_node();
    csa_node_set_cut_through(&node, false);
    feed(&node, 0, in, n - 1u, 1u);
    CHECK_EQ(out_down.len, 0);
    csa_node_receive(&node, 0, in + n - 1u, 1u, NOW);
    CHECK_EQ(node.links[1].counters.frames_forwarded, 1);
    CHECK_EQ(node.links[1].counters.frames_cut_through, 0);
}

static void the_two_directions_interleave(void)
{
    static uint8_t down_payload[500], up_payload[200], in_down[600], in_up[300], want_down[600], want_up[300];
    csa_frame_header_t hd = test_header(0x05, CSA_PORT_RPC, 0x00, 0x10, 90);
    csa_frame_header_t hu = test_header(0x00, 0x10, 0x05, CSA_PORT_RPC, 91);
    size_t nd, nu, wd, wu, i, j, out_len;
    const uint8_t *out;
    fill(down_payload, sizeof down_payload, 21u);
    fill(up_payload, sizeof up_payload, 22u);
    nd = encode(&hd, down_payload, sizeof down_payload, in_down);
    nu = encode(&hu, up_payload, sizeof up_payload, in_up);
    wd = expected_forward(hd, down_payload, sizeof down_payload, want_down);
    wu = expected_forward(hu, up_payload, sizeof up_payload, want_up);
    one_node();
    /* Byte by byte, alternating: each direction's frame comes out whole and unchanged on its own link. */
    for (i = 0, j = 0; i < nd || j < nu; i++, j++) {
        if (i < nd)
            csa_node_receive(&node, 0, in_down + i, 1u, NOW);
        if (j < nu)
            csa_node_receive(&node, 1, in_up + j, 1u, NOW);
    }
    out = skip_delimiters(&out_down, &out_len);
    CHECK_BYTES(out, out_len, want_down, wd);
    out = skip_delimiters(&out_up, &out_len);
    CHECK_BYTES(out, out_len, want_up, wu);
    CHECK_EQ(node.links[0].counters.frames_cut_through, 1);
    CHECK_EQ(node.links[1].counters.frames_cut_through, 1);
}

/* A request for this node arrives from downstream while a frame from upstream is being passed on downstream... and
   one from upstream is passed up while this node answers upstream: the answer cannot wait (the node has no room to
   queue it), so the frame being passed on gives way (02 00) and goes whole at its end, after the answer. */
static void a_local_frame_takes_the_link_and_the_passed_frame_follows_whole(void)
{
    static uint8_t payload[300], in[400], want[400], echo_in[64];
    static const uint8_t echo[] = {0x02, 0x07, 'h', 'i'};
    csa_frame_header_t h = test_header(0x00, 0x10, 0x05, CSA_PORT_RPC, 95); /* from 5 up to the host */
    csa_frame_header_t e = test_header(0x01, CSA_PORT_LINK_MANAGEMENT, 0x00, 0x20, 96); /* the host pings 1 */
    csa_frame_header_t got;
    uint8_t body[400];
    size_t n, w, ne, half, body_len;
    fill(payload, sizeof payload, 31u);
    n = encode(&h, payload, sizeof payload, in);
    w = expected_forward(h, payload, sizeof payload, want);
    ne = encode(&e, echo, sizeof echo, echo_in);
    one_node();
    half = n / 2u;
    feed(&node, 1, in, half, 1u); /* passing up */
    CHECK(out_up.len > 0u);
    feed(&node, 0, echo_in, ne, ne); /* the echo request: answered upstream now */
    CHECK_EQ(node.links[0].counters.frames_poisoned, 1);
    feed(&node, 1, in + half, n - half, 7u);
    /* Upstream: the aborted run (dropped by the host), the echo answer, then the frame whole. */
    CHECK(test_host_next_frame(&out_up, &got, body, &body_len));
    CHECK_EQ(got.src_node, 0x01);
    CHECK_EQ(got.dst_port, 0x20);
    CHECK(test_host_next_frame(&out_up, &got, body, &body_len));
    CHECK_EQ(got.src_node, 0x05);
    CHECK_EQ(got.hop_limit, 63);
    CHECK_BYTES(body, body_len, payload, sizeof payload);
    CHECK(!test_host_next_frame(&out_up, &got, body, &body_len));
    CHECK_EQ(node.links[0].counters.frames_forwarded, 1);
    (void)w;
}

static const csa_test_case_t cases[] = {
    {"split_at_every_byte_is_store_and_forward_byte_for_byte", split_at_every_byte_is_store_and_forward_byte_for_byte},
    {"every_payload_length_byte_by_byte", every_payload_length_byte_by_byte},
    {"hop_limit_is_decremented_and_one_stops", hop_limit_is_decremented_and_one_stops},
    {"bad_crc_goes_on_poisoned_and_is_never_delivered", bad_crc_goes_on_poisoned_and_is_never_delivered},
    {"stall_aborts_then_the_intact_frame_goes_whole", stall_aborts_then_the_intact_frame_goes_whole},
    {"oversize_aborts_at_once", oversize_aborts_at_once},
    {"malformed_end_and_closed_link_abort", malformed_end_and_closed_link_abort},
    {"frames_for_this_node_are_not_passed_on", frames_for_this_node_are_not_passed_on},
    {"the_two_directions_interleave", the_two_directions_interleave},
    {"a_local_frame_takes_the_link_and_the_passed_frame_follows_whole",
     a_local_frame_takes_the_link_and_the_passed_frame_follows_whole},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
