/* Write (device-model.md 6.4): offset-addressed, idempotent, a block programmed only once and only into a sector
 * erased in this session (or continued by comparison after a reset); and the erase-ahead step (6.4.1). */
#include <string.h>

#include "bl_internal.h"

#define BLOCK CSA_BL_WRITE_ALIGNMENT

/* Blocks [first, end) are unwritten; `src` holds payload offset first*16. Each sector the run touches is erased in
 * this session (program), dirty (erase it first) or resumed (continue by comparison). */
static csa_bl_status program_run(csa_bootloader *bl, uint32_t first, uint32_t end, const uint8_t *src)
{
    csa_bl_session *s = &bl->session;
    const csa_region *reg = csa_bl_region_of(bl, s->region);
    uint32_t from = first * BLOCK, to = end * BLOCK < s->payload_size ? end * BLOCK : s->payload_size;
    uint32_t address = reg->address + from, last = reg->address + to - 1u;
    int32_t sfirst = csa_flash_sector_at(bl->flash->geometry, address);
    int32_t slast = csa_flash_sector_at(bl->flash->geometry, last), k;
    int any_resumed = 0;
    csa_bl_status st;
    for (k = sfirst; k <= slast; k++) {
        csa_flash_sector sec;
        uint16_t i = (uint16_t)(k - reg->first_sector);
        csa_bl_region_sector(bl, s->region, i, &sec);
        any_resumed |= csa_bl_sector_kind(bl, i, &sec) == CSA_SECTOR_RESUMED;
    }
    if (!any_resumed) {
        for (k = sfirst; k <= slast; k++) {
            uint16_t i = (uint16_t)(k - reg->first_sector);
            if (!csa_bl_sector_erased(s, i) && (st = csa_bl_erase_sector(bl, i)) != CSA_BL_OK)
                return st;
        }
        st = csa_bl_program_padded(bl, address, src, to - from);
    } else {
        /* Sector by sector: a resumed one is continued by comparison (or, torn, erased again like a dirty one). */
        for (k = sfirst, st = CSA_BL_OK; k <= slast && st == CSA_BL_OK; k++) {
            csa_flash_sector sec;
            uint16_t i = (uint16_t)(k - reg->first_sector);
            uint32_t piece_from, piece_to;
            int done = 0;
            csa_bl_region_sector(bl, s->region, i, &sec);
            piece_from = address > sec.address ? address : sec.address;
            piece_to = reg->address + to < sec.address + sec.size ? reg->address + to : sec.address + sec.size;
            if (csa_bl_sector_kind(bl, i, &sec) == CSA_SECTOR_RESUMED) {
                st = csa_bl_program_resumed(bl, &sec, piece_from, src + (piece_from - address),
                                            piece_to - piece_from, &done);
                if (st != CSA_BL_OK || done)
                    continue;
            }
            if (!csa_bl_sector_erased(s, i) && (st = csa_bl_erase_sector(bl, i)) != CSA_BL_OK)
                break;
            st = csa_bl_program_padded(bl, piece_from, src + (piece_from - address), piece_to - piece_from);
        }
    }
    if (st != CSA_BL_OK)
        return st;
    csa_bl_mark_written(s, first, end); /* the program completed: written, whatever happens to the answer */
    bl->stats.programmed_blocks += end - first;
    return CSA_BL_OK;
}

csa_bl_status csa_bl_write(csa_bootloader *bl, uint32_t offset, uint8_t *data, uint16_t len, uint32_t now_ms,
                           csa_bl_write_answer *a)
{
    csa_bl_session *s = &bl->session;
    const csa_region *reg;
    uint32_t end = offset + (uint32_t)len, first, last, b;
    uint8_t stored[BLOCK];
    csa_bl_status st;
    memset(a, 0, sizeof *a);
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    if (!s->active)
        return CSA_BL_NO_UPDATE_IN_PROGRESS; /* also after a reset: BeginUpdate with the same image resumes */
    if (len == 0 || len > bl->config->max_write_size || (uint64_t)offset + len > s->payload_size)
        return CSA_BL_OUT_OF_RANGE;
    if (offset % BLOCK != 0 || (len % BLOCK != 0 && end != s->payload_size))
        return CSA_BL_MISALIGNED;
    if (s->encryption != CSA_ENCRYPTION_NONE) /* the plaintext is what flash stores */
        bl->config->decryptor->decrypt(bl->config->decryptor->ctx, s->key, s->nonce, offset, data, len);
    reg = csa_bl_region_of(bl, s->region);
    first = offset / BLOCK;
    last = (end - 1u) / BLOCK;
    /* First every comparison, so a conflicting write changes nothing. */
    for (b = first; b <= last; b++) {
        uint32_t n = s->payload_size - b * BLOCK < BLOCK ? s->payload_size - b * BLOCK : BLOCK;
        csa_flash_status fs;
        if (!csa_bl_written(s, b))
            continue;
        fs = csa_flash_read(bl->flash, reg->address + b * BLOCK, stored, n);
        if (fs != CSA_FLASH_OK && fs != CSA_FLASH_ERR_ECC)
            return csa_bl_flash(bl, fs);
        if (fs == CSA_FLASH_ERR_ECC || memcmp(stored, data + (b * BLOCK - offset), n) != 0)
            return CSA_BL_WRITE_CONFLICT; /* another image, or the update must be restarted */
    }
    /* Then the unwritten runs, each programmed once; written blocks are acknowledged without programming. */
    for (b = first; b <= last;) {
        uint32_t run;
        if (csa_bl_written(s, b)) {
            bl->stats.duplicate_blocks++;
            b++;
            continue;
        }
        for (run = b; run <= last && !csa_bl_written(s, run); run++) {
        }
        st = program_run(bl, b, run, data + (b * BLOCK - offset));
        if (st != CSA_BL_OK)
            return st;
        b = run;
    }
    csa_bl_advance(s);
    st = csa_bl_hash_catch_up(bl);
    if (st == CSA_BL_OK)
        st = csa_bl_checkpoint(bl);
    if (st != CSA_BL_OK)
        return st;
    csa_bl_note_command(bl, now_ms);
    a->offset = offset;
    a->length = len;
    a->bytes_committed = s->committed;
    return CSA_BL_OK;
}

/* The next sector the update needs: the first at or after the contiguous prefix's end that this session has not
 * erased and that holds no written block, in payload order; then any trailer sector not erased in this session. */
static int next_to_erase(const csa_bootloader *bl, uint16_t *out)
{
    const csa_bl_session *s = &bl->session;
    const csa_region *reg = csa_bl_region_of(bl, s->region);
    uint32_t front = reg->address + (s->committed < s->payload_size ? s->committed : s->payload_size - 1u);
    uint32_t payload_end = reg->address + s->payload_size, trailer = csa_trailer_area(reg);
    uint16_t i;
    int pass;
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < reg->sector_count; i++) {
            csa_flash_sector sec;
            int wanted;
            csa_bl_region_sector(bl, s->region, i, &sec);
            wanted = pass == 0 ? sec.address + sec.size > front && sec.address < payload_end
                               : sec.address + sec.size > trailer;
            if (wanted && !csa_bl_sector_erased(s, i) && !csa_bl_holds_written(bl, &sec)) {
                *out = i;
                return 1;
            }
        }
    return 0;
}

csa_bl_status csa_bl_erase_ahead(csa_bootloader *bl, int *erased)
{
    csa_bl_session *s = &bl->session;
    uint16_t i;
    csa_bl_status st;
    *erased = 0;
    if (!csa_bl_resident(bl) || !bl->config->erase_ahead || !s->active || s->complete || !s->erase_ahead
        || !next_to_erase(bl, &i))
        return CSA_BL_OK;
    st = csa_bl_erase_sector(bl, i);
    if (st != CSA_BL_OK)
        return st;
    *erased = 1;
    bl->stats.erased_ahead++;
    if (bl->checks[s->region].state == CSA_REGION_VALID)
        return csa_bl_refresh(bl, s->region); /* the old image just lost part of its payload */
    return CSA_BL_OK;
}
