/* libFuzzer target: a byte stream into the frame receiver (protocol.md section 5). Whatever the input, every
   accepted frame parses, and its fields written back give exactly the frame that was received. */
#include "csa/csa_cobs.h"
#include "csa/csa_frame.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static csa_frame_rx_t rx;
    static uint8_t again[CSA_CONFIG_MAX_FRAME_SIZE];
    size_t used = 0;
    uint16_t max_frame;
    if (size < 1u)
        return 0;
    /* The first byte picks the receiver's maximum frame size, the rest is the line. */
    max_frame = (uint16_t)(64u + (data[0] * 4u) % (CSA_CONFIG_MAX_FRAME_SIZE - 63u));
    csa_frame_rx_init(&rx, max_frame);
    data++;
    size--;
    while (used < size) {
        csa_rx_result_t r;
        size_t n = csa_frame_rx_feed(&rx, data + used, size - used, &r);
        if (n == 0u)
            abort(); /* no progress would be a hang */
        used += n;
        if (r.status == CSA_RX_FRAME) {
            size_t len;
            if (r.frame_len > max_frame || r.payload_len + CSA_FRAME_OVERHEAD != r.frame_len)
                abort();
            len = csa_frame_write(&r.header, rx.frame + r.payload_offset, r.payload_len, again, sizeof again);
            if (len != r.frame_len || memcmp(again, rx.frame, len) != 0)
                abort();
        }
    }
    /* COBS on its own: what decodes encodes to something that decodes to the same bytes. */
    {
        static uint8_t decoded[4096], encoded[4200], back[4096];
        size_t run = 0;
        int32_t d;
        while (run < size && data[run] != 0u)
            run++;
        d = csa_cobs_decode(data, run, decoded, sizeof decoded);
        if (d >= 0) {
            size_t e = csa_cobs_encode(decoded, (size_t)d, encoded, sizeof encoded);
            if (e == 0u || csa_cobs_decode(encoded, e, back, sizeof back) != d || memcmp(back, decoded, (size_t)d) != 0)
                abort();
        }
    }
    return 0;
}
