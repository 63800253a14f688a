/* libFuzzer target: the RPC packet codec (rpc-packets.md section 10). A packet that parses writes back to the same
   header bytes; an error packet's message is cut at character boundaries whatever the bytes. */
#include "csa/csa_rpc_packet.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csa_rpc_header_t h;
    csa_rpc_packet_error_t e = csa_rpc_parse(data, size, &h);
    if (e == CSA_RPC_PACKET_OK) {
        uint8_t out[8];
        csa_rpc_write_header(out, &h);
        if (memcmp(out, data, 8) != 0)
            abort();
        if (h.kind == CSA_RPC_ERROR && size < 10u)
            abort();
    } else if (e > CSA_RPC_PACKET_MISSING_ERROR_CODE) {
        abort();
    }
    if (size >= 1u) {
        /* The input as an error message: never more than asked, never half a character. */
        static char message[300];
        static uint8_t out[400];
        size_t n = size - 1u < sizeof message - 1u ? size - 1u : sizeof message - 1u, w, limit = data[0] % 140u;
        memcpy(message, data + 1, n);
        message[n] = '\0';
        h.kind = CSA_RPC_COMMAND;
        h.flags = 0;
        w = csa_rpc_write_error(out, sizeof out, &h, 1, message, limit);
        if (w < 10u || w - 10u > limit || (w > 10u && w - 10u < strlen(message) && ((uint8_t)message[w - 10u] & 0xC0u) == 0x80u))
            abort();
    }
    return 0;
}
