/* libFuzzer target, built once per generated binding (FUZZ_HEADER, FUZZ_MESSAGES, FUZZ_COUNT): the first byte picks
   a message of the interface, the rest is its payload. The wire format is canonical, so a payload that decodes must
   encode back to exactly the same bytes; one that does not decode must not have been half-written past its struct. */
#include FUZZ_HEADER

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t message[70000], again[70000];
    const csa_rpc_message_info_t *info;
    int32_t d, e;
    if (size < 1u || FUZZ_COUNT == 0u)
        return 0;
    info = &FUZZ_MESSAGES[data[0] % FUZZ_COUNT];
    if (info->size > sizeof message)
        abort();
    d = info->decode(message, data + 1, size - 1u);
    if (d < 0)
        return 0;
    if ((size_t)d != size - 1u || d > info->max_size)
        abort();
    e = info->encode(message, again, sizeof again);
    if (e != d || memcmp(again, data + 1, (size_t)d) != 0)
        abort();
    /* One byte too few is refused by the encoder, never overrun. */
    if (d > 0 && info->encode(message, again, (size_t)d - 1u) != -1)
        abort();
    return 0;
}
