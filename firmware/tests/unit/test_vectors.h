/* Reading the frame vectors of docs/protocol.md section 9 (shared by the frame and node tests). */
#ifndef CSA_TEST_VECTORS_H_
#define CSA_TEST_VECTORS_H_

#include "csa/csa_frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char name[64];
    csa_frame_header_t header;
    uint8_t payload[512];
    size_t payload_len;
    uint8_t decoded[600];
    size_t decoded_len;
    uint8_t encoded[700];
    size_t encoded_len;
    char rejected[64];
} vector_t;

/** Reads the next ```text block from *cursor (a golden vector, or a rejected run); false when there is none. */
bool next_vector(const char **cursor, vector_t *v);

/** Finds the golden vector named name in protocol.md; false (and a failed check) when it is missing. */
bool find_vector(const char *name, vector_t *v);

#endif /* CSA_TEST_VECTORS_H_ */
