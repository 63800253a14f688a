/* CRC-32/MPEG-2, COBS and frames against docs/protocol.md: the check value, the COBS worked examples of 3.1, every
   golden vector of section 9 (encoded from the fields, decoded back), every rejected run of 9.1, and the receiver's
   resynchronisation and limits (section 5). */
#include "csa/csa_cobs.h"
#include "csa/csa_crc32.h"
#include "csa/csa_frame.h"
#include "csa_test.h"
#include "test_net.h"
#include "test_vectors.h"

#include <stdlib.h>
#include <string.h>

static void crc_check_value(void)
{
    const uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    CHECK_EQ(csa_crc32(text, sizeof text), 0x0376E6E7u);
    CHECK_EQ(csa_crc32_update(csa_crc32_update(CSA_CRC32_INIT, text, 4), text + 4, 5), 0x0376E6E7u);
    CHECK_EQ(csa_crc32(text, 0), 0xFFFFFFFFu);
}

/* A byte-at-a-time reference straight from the definition (poly 0x04C11DB7, MSB first). */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int b;
    for (i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (b = 0; b < 8; b++)
            crc = (crc & 0x80000000u) != 0u ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static void crc_matches_the_definition(void)
{
    uint8_t data[300];
    uint32_t seed = 7;
    size_t n, i;
    for (n = 0; n < sizeof data; n += 13) {
        for (i = 0; i < n; i++)
            data[i] = (uint8_t)test_random(&seed);
        CHECK_EQ(csa_crc32(data, n), crc_bitwise(data, n));
    }
}

/* Expands one cell of the worked-example table: "01 02 … FE 00" (a run), "*(empty)*". */
static long expand_cell(const char *cell, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *p = cell;
    if (strncmp(cell, "*(empty)*", 9) == 0)
        return 0;
    while (*p != '\0' && *p != '`' && *p != '|') {
        if (strncmp(p, "\xE2\x80\xA6", 3) == 0) { /* "…": the values between its neighbours */
            unsigned next;
            p += 3;
            while (*p == ' ')
                p++;
            if (n == 0u || sscanf(p, "%2x", &next) != 1)
                return -1;
            while (out[n - 1u] + 1u < next && n < cap) {
                out[n] = (uint8_t)(out[n - 1u] + 1u);
                n++;
            }
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        {
            unsigned v;
            if (sscanf(p, "%2x", &v) != 1 || n >= cap)
                return -1;
            out[n++] = (uint8_t)v;
            p += 2;
        }
    }
    return (long)n;
}

static void cobs_worked_examples(void)
{
    char *doc = csa_test_read_doc("protocol.md");
    const char *table = strstr(doc, "| decoded | encoded | why |");
    const char *line;
    int rows = 0;
    CHECK(table != NULL);
    if (table == NULL) {
        free(doc);
        return;
    }
    line = strchr(table, '\n') + 1;
    line = strchr(line, '\n') + 1; /* the |---| row */
    while (line[0] == '|') {
        const char *c1 = strchr(line, '|') + 1, *c2 = strchr(c1, '|') + 1;
        uint8_t decoded[600], encoded[600], out[600];
        long dn, en;
        int32_t back;
        size_t w;
        while (*c1 == ' ' || *c1 == '`')
            c1++;
        while (*c2 == ' ' || *c2 == '`')
            c2++;
        dn = expand_cell(c1, decoded, sizeof decoded);
        en = expand_cell(c2, encoded, sizeof encoded);
        CHECK(dn >= 0 && en > 0);
        if (dn >= 0 && en > 0) {
            w = csa_cobs_encode(decoded, (size_t)dn, out, sizeof out);
            CHECK_BYTES(out, w, encoded, (size_t)en);
            back = csa_cobs_decode(encoded, (size_t)en, out, sizeof out);
            CHECK_BYTES(out, back < 0 ? 0u : (size_t)back, decoded, (size_t)dn);
            rows++;
        }
        line = strchr(line, '\n') + 1;
    }
    CHECK_EQ(rows, 8);
    free(doc);
}

static void cobs_round_trips_and_limits(void)
{
    uint8_t data[1000], enc[1100], dec[1000];
    uint32_t seed = 42;
    size_t n, i, w;
    for (n = 0; n < sizeof data; n += 37) {
        for (i = 0; i < n; i++)
            data[i] = (uint8_t)(test_random(&seed) % 3u == 0u ? 0u : test_random(&seed));
        w = csa_cobs_encode(data, n, enc, sizeof enc);
        CHECK(w >= n + 1u && w <= CSA_COBS_MAX_ENCODED(n));
        CHECK(memchr(enc, 0, w) == NULL);
        CHECK_EQ(csa_cobs_decode(enc, w, dec, sizeof dec), (long long)n);
        CHECK(memcmp(data, dec, n) == 0);
        if (n > 0u)
            CHECK_EQ(csa_cobs_encode(data, n, enc, w - 1u), 0); /* too small: refused, not overrun */
    }
    /* The non-canonical trailing 0x01 after a final full block decodes to the same bytes. */
    for (i = 0; i < 254u; i++)
        data[i] = (uint8_t)(i + 1u);
    enc[0] = 0xFF;
    memcpy(enc + 1, data, 254);
    enc[255] = 0x01;
    CHECK_EQ(csa_cobs_decode(enc, 256, dec, sizeof dec), 254);
    /* A code byte promising more than remains, and output that does not fit, are errors. */
    enc[0] = 0x05;
    CHECK_EQ(csa_cobs_decode(enc, 3, dec, sizeof dec), -1);
    CHECK_EQ(csa_cobs_decode(enc, 5, dec, 3), -1);
}

/* ---- golden frames (section 9) ---- */

typedef struct {
    uint8_t data[1024];
    size_t len;
} sink_t;

static void sink_write(void *ctx, const uint8_t *data, size_t n)
{
    sink_t *s = (sink_t *)ctx;
    memcpy(s->data + s->len, data, n);
    s->len += n;
}

static void golden_frames(void)
{
    char *doc = csa_test_read_doc("protocol.md");
    const char *cursor = strstr(doc, "## 9. Golden vectors");
    vector_t v;
    int count = 0;
    static csa_frame_rx_t rx;
    CHECK(cursor != NULL);
    while (cursor != NULL && next_vector(&cursor, &v)) {
        uint8_t frame[600];
        sink_t sink;
        size_t n, used;
        csa_rx_result_t r;
        if (v.rejected[0] != '\0')
            continue;
        count++;
        /* The fields encode to exactly the decoded and encoded bytes... */
        n = csa_frame_write(&v.header, v.payload, v.payload_len, frame, sizeof frame);
        CHECK_BYTES(frame, n, v.decoded, v.decoded_len);
        sink.len = 0;
        csa_frame_send_encoded(frame, n, sink_write, &sink);
        CHECK_BYTES(sink.data, sink.len, v.encoded, v.encoded_len);
        /* ... and the encoded bytes decode to exactly the fields. */
        csa_frame_rx_init(&rx, 1024);
        used = csa_frame_rx_feed(&rx, v.encoded, v.encoded_len, &r);
        CHECK_EQ(used, v.encoded_len);
        CHECK_EQ(r.status, CSA_RX_FRAME);
        if (r.status == CSA_RX_FRAME) {
            CHECK_EQ(r.header.last, v.header.last);
            CHECK_EQ(r.header.hop_limit, v.header.hop_limit);
            CHECK_EQ(r.header.dst_node, v.header.dst_node);
            CHECK_EQ(r.header.dst_port, v.header.dst_port);
            CHECK_EQ(r.header.src_node, v.header.src_node);
            CHECK_EQ(r.header.src_port, v.header.src_port);
            CHECK_EQ(r.header.packet_id, v.header.packet_id);
            CHECK_EQ(r.header.fragment, v.header.fragment);
            CHECK_BYTES(rx.frame + r.payload_offset, r.payload_len, v.payload, v.payload_len);
        }
    }
    CHECK_EQ(count, 14); /* protocol.md section 9: 8 vectors, and the 6 of the groups (7.6) */
    free(doc);
}

static void rejected_frames(void)
{
    char *doc = csa_test_read_doc("protocol.md");
    const char *cursor = strstr(doc, "### 9.1 Frames a receiver must reject");
    vector_t v;
    int count = 0;
    static csa_frame_rx_t rx;
    CHECK(cursor != NULL);
    while (cursor != NULL && next_vector(&cursor, &v)) {
        csa_rx_result_t r;
        if (v.rejected[0] == '\0')
            continue;
        count++;
        csa_frame_rx_init(&rx, 1024);
        (void)csa_frame_rx_feed(&rx, v.encoded, v.encoded_len, &r);
        CHECK_EQ(r.status, CSA_RX_DROPPED);
        if (strcmp(csa_drop_reason_name(r.reason), v.rejected) != 0) {
            csa_test_fail(__FILE__, __LINE__, "rejected for another reason");
            fprintf(stderr, "  expected %s, got %s\n", v.rejected, csa_drop_reason_name(r.reason));
        }
    }
    CHECK_EQ(count, 5);
    free(doc);
}

/* Feeds bytes in chunks of every size; returns how many frames came out, checking each equals want. */
static int feed_all(csa_frame_rx_t *rx, const uint8_t *data, size_t len, size_t chunk, int *drops)
{
    size_t off = 0;
    int frames = 0;
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk, used = 0;
        while (used < n) {
            csa_rx_result_t r;
            used += csa_frame_rx_feed(rx, data + off + used, n - used, &r);
            if (r.status == CSA_RX_FRAME)
                frames++;
            else if (r.status == CSA_RX_DROPPED && drops != NULL)
                drops[r.reason]++;
        }
        off += n;
    }
    return frames;
}

static void receiver_takes_any_split(void)
{
    /* The long-block vector (a full 254-byte COBS block) and an empty packet, back to back, in every chunk size. */
    char *doc = csa_test_read_doc("protocol.md");
    const char *cursor = strstr(doc, "## 9. Golden vectors");
    static uint8_t stream[4096];
    size_t len = 0, chunk;
    vector_t v;
    static csa_frame_rx_t rx;
    while (next_vector(&cursor, &v)) {
        if (v.rejected[0] != '\0')
            break;
        memcpy(stream + len, v.encoded, v.encoded_len);
        len += v.encoded_len;
    }
    for (chunk = 1; chunk <= len; chunk += chunk < 20u ? 1u : 97u) {
        csa_frame_rx_init(&rx, 1024);
        CHECK_EQ(feed_all(&rx, stream, len, chunk, NULL), 14);
    }
    free(doc);
}

static void resynchronises_after_noise(void)
{
    const uint8_t good[] = {0x09, 0x11, 0x01, 0x05, 0x20, 0x03, 0x21, 0xFF, 0xFF, 0x05, 0xB7, 0x17, 0xBA, 0x31, 0x00};
    uint8_t stream[600];
    int drops[CSA_DROP_REASON_COUNT];
    size_t i, len = 0;
    uint32_t seed = 99;
    static csa_frame_rx_t rx;
    /* Noise glued to the front of a frame spoils that frame only; the next one is received. */
    for (i = 0; i < 40u; i++)
        stream[len++] = (uint8_t)(test_random(&seed) | 1u);
    memcpy(stream + len, good, sizeof good);
    len += sizeof good;
    memcpy(stream + len, good, sizeof good);
    len += sizeof good;
    /* Empty runs (delimiters in a row) are ignored without counting. */
    stream[len++] = 0;
    stream[len++] = 0;
    memset(drops, 0, sizeof drops);
    csa_frame_rx_init(&rx, 1024);
    CHECK_EQ(feed_all(&rx, stream, len, 7, drops), 1);
    CHECK_EQ(drops[CSA_DROP_MALFORMED] + drops[CSA_DROP_CRC_MISMATCH], 1);
}

static void oversize_runs_are_discarded_once(void)
{
    /* M = 64: a run longer than 64 + 1 encoded bytes is discarded as it arrives and counted once. */
    const uint8_t good[] = {0x09, 0x11, 0x01, 0x05, 0x20, 0x03, 0x21, 0xFF, 0xFF, 0x05, 0xB7, 0x17, 0xBA, 0x31, 0x00};
    uint8_t stream[5000], frame[80], enc[100];
    int drops[CSA_DROP_REASON_COUNT];
    size_t len = 0, n, w;
    csa_frame_header_t h = test_header(5, 0x20, 3, 0x21, 1);
    static csa_frame_rx_t rx;
    memset(stream, 0x41, 4000);
    len = 4000;
    stream[len++] = 0;
    memcpy(stream + len, good, sizeof good);
    len += sizeof good;
    /* A frame of exactly M = 64 bytes is accepted; of 65 decoded bytes, it is Oversize. */
    n = csa_frame_write(&h, (const uint8_t *)"0123456789012345678901234567890123456789012345678901", 51, frame, sizeof frame);
    CHECK_EQ(n, 64);
    w = csa_cobs_encode(frame, n, enc, sizeof enc);
    memcpy(stream + len, enc, w);
    len += w;
    stream[len++] = 0;
    n = csa_frame_write(&h, (const uint8_t *)"01234567890123456789012345678901234567890123456789012", 52, frame, sizeof frame);
    w = csa_cobs_encode(frame, n, enc, sizeof enc);
    memcpy(stream + len, enc, w);
    len += w;
    stream[len++] = 0;
    memset(drops, 0, sizeof drops);
    csa_frame_rx_init(&rx, 64);
    CHECK_EQ(feed_all(&rx, stream, len, 333, drops), 2);
    CHECK_EQ(drops[CSA_DROP_OVERSIZE], 2);
    CHECK_EQ(drops[CSA_DROP_MALFORMED] + drops[CSA_DROP_CRC_MISMATCH], 0);
}

static void truncated_run_on_link_end(void)
{
    static csa_frame_rx_t rx;
    csa_rx_result_t r;
    const uint8_t part[] = {0x09, 0x11, 0x01};
    csa_frame_rx_init(&rx, 64);
    CHECK_EQ(csa_frame_rx_feed(&rx, part, sizeof part, &r), sizeof part);
    CHECK_EQ(r.status, CSA_RX_NEED_MORE);
    CHECK(csa_frame_rx_truncate(&rx));
    CHECK(!csa_frame_rx_truncate(&rx));
}

static const csa_test_case_t cases[] = {
    {"crc_check_value", crc_check_value},
    {"crc_matches_the_definition", crc_matches_the_definition},
    {"cobs_worked_examples", cobs_worked_examples},
    {"cobs_round_trips_and_limits", cobs_round_trips_and_limits},
    {"golden_frames", golden_frames},
    {"rejected_frames", rejected_frames},
    {"receiver_takes_any_split", receiver_takes_any_split},
    {"resynchronises_after_noise", resynchronises_after_noise},
    {"oversize_runs_are_discarded_once", oversize_runs_are_discarded_once},
    {"truncated_run_on_link_end", truncated_run_on_link_end},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
