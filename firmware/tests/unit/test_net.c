#include "test_net.h"

#include <string.h>

uint32_t test_random(uint32_t *state)
{
    uint32_t x = *state == 0u ? 0x9E3779B9u : *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

void test_queue_write(void *ctx, const uint8_t *data, size_t n)
{
    test_queue_t *q = (test_queue_t *)ctx;
    if (q->len + n > sizeof q->data)
        n = sizeof q->data - q->len; /* a full queue loses the rest, as an overrun UART would */
    memcpy(q->data + q->len, data, n);
    q->len += n;
}

static void deliver(test_queue_t *q, const uint8_t *data, size_t n, uint32_t now)
{
    if (q->to != NULL && n > 0u)
        csa_node_receive(q->to, q->to_link, data, n, now);
}

size_t test_queue_flush(test_queue_t *q, uint32_t now)
{
    uint8_t copy[TEST_QUEUE_SIZE];
    size_t len = q->len, start = 0, i;
    static uint8_t held[8192];
    size_t held_len = 0;
    if (len == 0u || q->to == NULL)
        return 0;
    memcpy(copy, q->data, len);
    q->len = 0;
    if (q->loss_percent == 0u && q->duplicate_percent == 0u && q->reorder_percent == 0u) {
        deliver(q, copy, len, now);
        return len;
    }
    /* Frame by frame: lose, duplicate or hold back (deliver after the next frame), like the SDK's emulated link. */
    for (i = 0; i < len; i++) {
        if (copy[i] != 0u)
            continue;
        {
            size_t n = i + 1u - start;
            const uint8_t *frame = copy + start;
            uint32_t r1 = test_random(&q->seed) % 100u, r2 = test_random(&q->seed) % 100u,
                     r3 = test_random(&q->seed) % 100u;
            start = i + 1u;
            if (n == 1u) {
                deliver(q, frame, n, now); /* a lone delimiter */
                continue;
            }
            if (r1 < q->loss_percent)
                continue;
            if (r3 < q->reorder_percent && held_len == 0u && n <= sizeof held) {
                memcpy(held, frame, n);
                held_len = n;
                continue;
            }
            deliver(q, frame, n, now);
            if (r2 < q->duplicate_percent)
                deliver(q, frame, n, now);
            if (held_len > 0u) {
                deliver(q, held, held_len, now);
                held_len = 0;
            }
        }
    }
    if (held_len > 0u)
        deliver(q, held, held_len, now);
    deliver(q, copy + start, len - start, now);
    return len;
}

void test_net_run(test_queue_t **queues, size_t count, uint32_t now)
{
    size_t moved, i, rounds = 0;
    do {
        moved = 0;
        for (i = 0; i < count; i++)
            moved += test_queue_flush(queues[i], now);
    } while (moved > 0u && ++rounds < 10000u);
}

int test_connect(csa_node_t *node, csa_link_role_t role, test_queue_t *in, test_queue_t *out)
{
    int link = csa_node_add_link(node, role, test_queue_write, out);
    if (link >= 0 && in != NULL) {
        in->to = node;
        in->to_link = (uint8_t)link;
    }
    return link;
}

bool test_host_next_frame(test_queue_t *q, csa_frame_header_t *header, uint8_t *payload, size_t *payload_len)
{
    static csa_frame_rx_t rx;
    size_t used = 0;
    csa_frame_rx_init(&rx, 4096u > CSA_CONFIG_MAX_FRAME_SIZE ? (uint16_t)CSA_CONFIG_MAX_FRAME_SIZE : 4096u);
    while (used < q->len) {
        csa_rx_result_t r;
        used += csa_frame_rx_feed(&rx, q->data + used, q->len - used, &r);
        if (r.status == CSA_RX_FRAME) {
            *header = r.header;
            memcpy(payload, rx.frame + r.payload_offset, r.payload_len);
            *payload_len = r.payload_len;
            memmove(q->data, q->data + used, q->len - used);
            q->len -= used;
            return true;
        }
    }
    q->len = 0;
    return false;
}

static void append(void *ctx, const uint8_t *data, size_t n)
{
    test_queue_write(ctx, data, n);
}

void test_host_send_frame(test_queue_t *q, const csa_frame_header_t *header, const uint8_t *payload, size_t len)
{
    static uint8_t frame[65536];
    size_t n = csa_frame_write(header, payload, len, frame, sizeof frame);
    csa_frame_send_encoded(frame, n, append, q);
}

csa_frame_header_t test_header(uint8_t dst_node, uint8_t dst_port, uint8_t src_node, uint8_t src_port,
                               uint16_t packet_id)
{
    csa_frame_header_t h;
    h.last = true;
    h.hop_limit = 64;
    h.dst_node = dst_node;
    h.dst_port = dst_port;
    h.src_node = src_node;
    h.src_port = src_port;
    h.packet_id = packet_id;
    h.fragment = 0;
    return h;
}
