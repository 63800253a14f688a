/* How far an update has come, across resets: when the watermark is persisted and how a write continues in the
 * sector that holds it after a reset. Kept apart from the rest of the engine so it can follow the design as
 * docs/device-model.md 6.4 settles it (issue 13 item 7, the fix-recovery design: a checkpoint every interval at any
 * 16-byte boundary, the watermark's sector continued by comparison, never programming a unit twice). */
#include <string.h>

#include "bl_internal.h"

csa_bl_status csa_bl_checkpoint(csa_bootloader *bl)
{
    csa_bl_session *s = &bl->session;
    uint32_t interval = bl->config->checkpoint_interval != 0 ? bl->config->checkpoint_interval : CSA_BL_MAX_CHECKPOINT;
    csa_state_record r;
    csa_bl_status st;
    if (s->committed <= s->persisted || (s->committed != s->payload_size && s->committed - s->persisted < interval))
        return CSA_BL_OK;
    r = bl->record;
    r.watermark = s->committed;
    st = csa_bl_append(bl, &r);
    if (st == CSA_BL_OK)
        s->persisted = s->committed;
    return st;
}

csa_sector_kind csa_bl_sector_kind(const csa_bootloader *bl, uint16_t i, const csa_flash_sector *sec)
{
    if (csa_bl_sector_erased(&bl->session, i))
        return CSA_SECTOR_ERASED;
    return csa_bl_holds_written(bl, sec) ? CSA_SECTOR_RESUMED : CSA_SECTOR_DIRTY;
}

/* A torn unit in a resumed sector: only an erase repairs it. Forget the sector's blocks and move the persisted
 * watermark back to its start before the caller erases, so a cut during that erase leaves a watermark that counts
 * nothing in the sector. */
static csa_bl_status forget_resumed(csa_bootloader *bl, const csa_flash_sector *sec)
{
    csa_bl_session *s = &bl->session;
    uint32_t base = csa_bl_region_of(bl, s->region)->address, start = sec->address - base;
    csa_bl_forget(s, start, sec->address + sec->size - base);
    bl->stats.resumed_sectors_lost++;
    if (bl->record.watermark > start) {
        csa_state_record r = bl->record;
        r.watermark = start;
        return csa_bl_append(bl, &r);
    }
    return CSA_BL_OK;
}

csa_bl_status csa_bl_program_resumed(csa_bootloader *bl, const csa_flash_sector *sec, uint32_t address,
                                     const uint8_t *src, uint32_t src_len, int *done)
{
    uint32_t unit = bl->flash->program_unit, units = (src_len + unit - 1u) / unit, u, run = 0, run_start = 0;
    uint8_t stored[8], wanted[8];
    *done = 0;
    /* First compare every unit: nothing is programmed unless the whole piece can be continued. */
    for (u = 0; u < units; u++) {
        uint32_t have = src_len - u * unit < unit ? src_len - u * unit : unit, k;
        int erased = 1;
        csa_flash_status fs = csa_flash_read(bl->flash, address + u * unit, stored, unit);
        memset(wanted, CSA_FLASH_ERASED, sizeof wanted);
        memcpy(wanted, src + u * unit, have);
        if (fs == CSA_FLASH_ERR_ECC)
            return forget_resumed(bl, sec);
        if (fs != CSA_FLASH_OK)
            return csa_bl_flash(bl, fs);
        if (memcmp(stored, wanted, unit) == 0)
            continue;
        for (k = 0; k < unit; k++)
            erased &= stored[k] == CSA_FLASH_ERASED;
        if (!erased)
            return forget_resumed(bl, sec);
    }
    /* Then program the erased units, in runs of one operation each. */
    for (u = 0; u <= units; u++) {
        int program = 0;
        if (u < units) {
            csa_flash_status fs = csa_flash_read(bl->flash, address + u * unit, stored, unit);
            uint32_t k;
            if (fs != CSA_FLASH_OK)
                return csa_bl_flash(bl, fs);
            program = 1;
            for (k = 0; k < unit; k++)
                program &= stored[k] == CSA_FLASH_ERASED;
            /* an erased unit that should stay erased (0xFF data) needs nothing either */
            if (program) {
                uint32_t have = src_len - u * unit < unit ? src_len - u * unit : unit;
                memset(wanted, CSA_FLASH_ERASED, sizeof wanted);
                memcpy(wanted, src + u * unit, have);
                program = memcmp(stored, wanted, unit) != 0;
            }
        }
        if (program && run == 0)
            run_start = u;
        if (program) {
            run++;
            continue;
        }
        if (run > 0) {
            uint32_t from = run_start * unit, len = run * unit;
            csa_bl_status st;
            if (from + len > src_len)
                len = src_len - from; /* the payload's last unit: padded */
            st = csa_bl_program_padded(bl, address + from, src + from, len);
            if (st != CSA_BL_OK)
                return st;
            run = 0;
        }
    }
    *done = 1;
    return CSA_BL_OK;
}
