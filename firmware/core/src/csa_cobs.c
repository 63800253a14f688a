#include "csa/csa_cobs.h"

size_t csa_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t r = 0, w = 1, code_at = 0;
    uint8_t code = 1;
    if (cap == 0u)
        return 0;
    for (r = 0; r < len; r++) {
        if (in[r] != 0u) {
            if (w >= cap)
                return 0;
            out[w++] = in[r];
            code++;
        }
        if (in[r] == 0u || code == 0xFFu) {
            out[code_at] = code;
            code = 1;
            code_at = w;
            /* After a full block that ends the data no new block starts: no trailing 0x01 (canonical form). */
            if (in[r] == 0u || r + 1u < len) {
                if (w >= cap)
                    return 0;
                w++;
            }
        }
    }
    if (code_at < w)
        out[code_at] = code;
    return w;
}

int32_t csa_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t r = 0, w = 0;
    while (r < len) {
        uint8_t code = in[r++];
        size_t n = (size_t)code - 1u;
        if (code == 0u || n > len - r || n > cap - w)
            return -1;
        while (n-- > 0u) {
            if (in[r] == 0u)
                return -1;
            out[w++] = in[r++];
        }
        if (code != 0xFFu && r < len) {
            if (w == cap)
                return -1;
            out[w++] = 0u;
        }
    }
    return w > (size_t)INT32_MAX ? -1 : (int32_t)w;
}
