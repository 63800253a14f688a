#include "test_vectors.h"

#include "csa_test.h"

#include <stdlib.h>
#include <string.h>



static int parse_address(const char *text, uint8_t *node, uint8_t *port)
{
    unsigned n, p;
    if (sscanf(text, "%2x:%2x", &n, &p) != 2)
        return -1;
    *node = (uint8_t)n;
    *port = (uint8_t)p;
    return 0;
}

/* Reads the next ```text block of protocol.md section 9 from *cursor; false when there is none. */
bool next_vector(const char **cursor, vector_t *v)
{
    char value[4096];
    const char *block = strstr(*cursor, "```text\n");
    unsigned u = 0;
    long n;
    if (block == NULL)
        return false;
    block += 8;
    *cursor = strstr(block, "```");
    if (*cursor == NULL)
        return false;
    *cursor += 3;
    memset(v, 0, sizeof *v);
    if (csa_test_field(block, "rejected", v->rejected, sizeof v->rejected) == 0) {
        CHECK(csa_test_field(block, "encoded", value, sizeof value) == 0);
        n = csa_test_parse_hex(value, v->encoded, sizeof v->encoded);
        CHECK(n > 0);
        v->encoded_len = n > 0 ? (size_t)n : 0u;
        return true;
    }
    if (csa_test_field(block, "vector", v->name, sizeof v->name) != 0)
        return next_vector(cursor, v);
    CHECK(csa_test_field(block, "last-fragment", value, sizeof value) == 0);
    v->header.last = strcmp(value, "yes") == 0;
    CHECK(csa_test_field(block, "hop-limit", value, sizeof value) == 0 && sscanf(value, "%u", &u) == 1);
    v->header.hop_limit = (uint8_t)u;
    CHECK(csa_test_field(block, "destination", value, sizeof value) == 0 &&
          parse_address(value, &v->header.dst_node, &v->header.dst_port) == 0);
    CHECK(csa_test_field(block, "source", value, sizeof value) == 0 &&
          parse_address(value, &v->header.src_node, &v->header.src_port) == 0);
    CHECK(csa_test_field(block, "packet-id", value, sizeof value) == 0 && sscanf(value, "%4x", &u) == 1);
    v->header.packet_id = (uint16_t)u;
    CHECK(csa_test_field(block, "fragment", value, sizeof value) == 0 && sscanf(value, "%u", &u) == 1);
    v->header.fragment = (uint8_t)u;
    CHECK(csa_test_field(block, "payload", value, sizeof value) == 0);
    n = strstr(value, "(empty)") != NULL ? 0 : csa_test_parse_hex(value, v->payload, sizeof v->payload);
    CHECK(n >= 0);
    v->payload_len = n > 0 ? (size_t)n : 0u;
    CHECK(csa_test_field(block, "decoded", value, sizeof value) == 0);
    n = csa_test_parse_hex(value, v->decoded, sizeof v->decoded);
    CHECK(n > 0);
    v->decoded_len = n > 0 ? (size_t)n : 0u;
    CHECK(csa_test_field(block, "encoded", value, sizeof value) == 0);
    n = csa_test_parse_hex(value, v->encoded, sizeof v->encoded);
    CHECK(n > 0);
    v->encoded_len = n > 0 ? (size_t)n : 0u;
    return true;
}


bool find_vector(const char *name, vector_t *v)
{
    char *doc = csa_test_read_doc("protocol.md");
    const char *cursor = strstr(doc, "## 9. Golden vectors");
    bool found = false;
    while (cursor != NULL && next_vector(&cursor, v)) {
        if (strcmp(v->name, name) == 0) {
            found = true;
            break;
        }
    }
    free(doc);
    CHECK(found);
    return found;
}
