/* GetMissingBlocks (device-model.md 6.4.2): the holes a transfer to a group left, read from the session's block map. */
#include <string.h>

#include "bl_internal.h"

#define BLOCK CSA_BL_WRITE_ALIGNMENT

/* 1 when every 16-byte unit in [first, end) is written; a whole byte of the map at a time where it can. */
static int all_written(const csa_bl_session *s, uint32_t first, uint32_t end)
{
    uint32_t b = first;
    while (b < end) {
        if ((b & 7u) == 0 && b + 8u <= end) {
            if (s->written[b >> 3] != 0xFFu)
                return 0;
            b += 8u;
        } else {
            if (!csa_bl_written(s, b))
                return 0;
            b++;
        }
    }
    return 1;
}

csa_bl_status csa_bl_missing_blocks(const csa_bootloader *bl, uint32_t offset, uint16_t block_size,
                                    uint32_t *bytes_committed, uint16_t *block_count,
                                    uint8_t missing[CSA_BL_MISSING_BLOCKS / 8u])
{
    const csa_bl_session *s = &bl->session;
    uint32_t remaining, count, i;
    memset(missing, 0, CSA_BL_MISSING_BLOCKS / 8u);
    *bytes_committed = 0;
    *block_count = 0;
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    if (!s->active)
        return CSA_BL_NO_UPDATE_IN_PROGRESS; /* also after a reset: BeginUpdate with the same image resumes */
    if (block_size == 0u || block_size % BLOCK != 0u || offset % BLOCK != 0u)
        return CSA_BL_MISALIGNED;
    if (offset >= s->payload_size)
        return CSA_BL_OUT_OF_RANGE;
    remaining = s->payload_size - offset;
    count = remaining / block_size + (remaining % block_size != 0u ? 1u : 0u);
    if (count > CSA_BL_MISSING_BLOCKS)
        count = CSA_BL_MISSING_BLOCKS;
    for (i = 0; i < count; i++) {
        uint32_t from = offset + i * block_size, to = from + block_size;
        if (to > s->payload_size)
            to = s->payload_size;
        if (!all_written(s, from / BLOCK, (to + BLOCK - 1u) / BLOCK))
            missing[i >> 3] = (uint8_t)(missing[i >> 3] | (1u << (i & 7u)));
    }
    *bytes_committed = s->committed;
    *block_count = (uint16_t)count;
    return CSA_BL_OK;
}
