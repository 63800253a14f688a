/* GetMissingBlocks (device-model.md 6.4.2): the holes a transfer to a group left, read from the session's block map. */
#include <string.h>

#include "bl_internal.h"

#define BLOCK CSA_BL_WRITE_ALIGNMENT

csa_bl_status csa_bl_missing_blocks(const csa_bootloader *bl, uint32_t offset, uint16_t block_size,
                                    uint32_t *bytes_committed, uint16_t *block_count,
                                    uint8_t missing[CSA_BL_MISSING_BLOCKS / 8u])
{
    const csa_bl_session *s = &bl->session;
    uint32_t remaining, count, i, unit, end;
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
    /* Each 16-byte unit from offset on belongs to one block: one pass over the map (blocks never overlap). */
    for (unit = offset / BLOCK, end = csa_bl_blocks(s); unit < end; unit++) {
        i = (unit * BLOCK - offset) / block_size;
        if (i >= count)
            break;
        if (!csa_bl_written(s, unit))
            missing[i >> 3] = (uint8_t)(missing[i >> 3] | (1u << (i & 7u)));
    }
    *bytes_committed = s->committed;
    *block_count = (uint16_t)count;
    return CSA_BL_OK;
}
