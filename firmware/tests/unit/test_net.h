/* In-process networks for the tests: links are byte queues, so nothing is delivered re-entrantly (a node's write
   only queues; test_net_run moves the bytes on), and a raw "host" end that writes and reads frames byte by byte. */
#ifndef CSA_TEST_NET_H_
#define CSA_TEST_NET_H_

#include "csa/csa_frame.h"
#include "csa/csa_node.h"

#include <stdbool.h>
#include <stdint.h>

#define TEST_QUEUE_SIZE 262144u

/** One direction of a wire: bytes written by one end, waiting for the other. */
typedef struct {
    uint8_t data[TEST_QUEUE_SIZE];
    size_t len;
    csa_node_t *to;   /**< NULL: the raw host end reads it with test_host_next_frame. */
    uint8_t to_link;
    /* Impairments, applied per frame (a 0x00-terminated run) when the queue is moved on. */
    uint32_t seed;
    unsigned loss_percent;
    unsigned duplicate_percent;
    unsigned reorder_percent;
} test_queue_t;

/** The write function of a link: appends to the queue (ctx). */
void test_queue_write(void *ctx, const uint8_t *data, size_t n);

/** Moves every queued byte to its node (applying impairments); returns how many bytes moved. */
size_t test_queue_flush(test_queue_t *q, uint32_t now);

/** Flushes the queues again and again until none has bytes left. */
void test_net_run(test_queue_t **queues, size_t count, uint32_t now);

/** Connects a node's new link (role) to a queue towards it (in) and one from it (out). Returns the link index. */
int test_connect(csa_node_t *node, csa_link_role_t role, test_queue_t *in, test_queue_t *out);

/** Reads the next decoded frame the raw host received on q (bytes consumed); false when none is left. */
bool test_host_next_frame(test_queue_t *q, csa_frame_header_t *header, uint8_t *payload, size_t *payload_len);

/** Writes a frame as the raw host (COBS, delimiter) into q. */
void test_host_send_frame(test_queue_t *q, const csa_frame_header_t *header, const uint8_t *payload, size_t len);

/** A header with version 1 defaults: hop limit 64, fragment 0, LAST. */
csa_frame_header_t test_header(uint8_t dst_node, uint8_t dst_port, uint8_t src_node, uint8_t src_port,
                               uint16_t packet_id);

/** A deterministic pseudo-random generator (xorshift32). */
uint32_t test_random(uint32_t *state);

#endif /* CSA_TEST_NET_H_ */
