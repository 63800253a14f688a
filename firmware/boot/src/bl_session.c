/* The update session's RAM state: which 16-byte blocks of the payload are written, which sectors were erased since
 * the session began, the live contiguous prefix, and the hash of the plaintext as written (device-model.md 6.4). */
#include <string.h>

#include "bl_internal.h"

#define BLOCK CSA_BL_WRITE_ALIGNMENT

uint32_t csa_bl_blocks(const csa_bl_session *s)
{
    return (s->payload_size + BLOCK - 1u) / BLOCK;
}

int csa_bl_written(const csa_bl_session *s, uint32_t b)
{
    return (s->written[b >> 3] >> (b & 7u)) & 1u;
}

void csa_bl_mark_written(csa_bl_session *s, uint32_t first, uint32_t end)
{
    for (; first < end; first++)
        s->written[first >> 3] = (uint8_t)(s->written[first >> 3] | (1u << (first & 7u)));
}

void csa_bl_mark_written_below(csa_bl_session *s, uint32_t watermark)
{
    uint32_t n = csa_bl_blocks(s);
    csa_bl_mark_written(s, 0, watermark >= s->payload_size ? n : watermark / BLOCK);
    s->persisted = watermark;
    csa_bl_advance(s);
}

void csa_bl_forget(csa_bl_session *s, uint32_t from, uint32_t to)
{
    uint32_t b, end = (to + BLOCK - 1u) / BLOCK, n = csa_bl_blocks(s);
    if (end > n)
        end = n;
    for (b = from / BLOCK; b < end; b++)
        s->written[b >> 3] = (uint8_t)(s->written[b >> 3] & ~(1u << (b & 7u)));
    if (s->committed > from)
        s->committed = from;
    if (s->persisted > from)
        s->persisted = from;
    if (s->hashed > from)
        csa_bl_hash_reset(s); /* SHA-256 cannot go back: start over from 0 */
}

void csa_bl_advance(csa_bl_session *s)
{
    uint32_t b = s->committed / BLOCK, n = csa_bl_blocks(s);
    while (b < n && csa_bl_written(s, b))
        b++;
    s->committed = b * BLOCK < s->payload_size ? b * BLOCK : s->payload_size;
}

int csa_bl_sector_erased(const csa_bl_session *s, uint16_t i)
{
    return (s->erased[i >> 3] >> (i & 7u)) & 1u;
}

void csa_bl_set_sector_erased(csa_bl_session *s, uint16_t i, int erased)
{
    if (erased)
        s->erased[i >> 3] = (uint8_t)(s->erased[i >> 3] | (1u << (i & 7u)));
    else
        s->erased[i >> 3] = (uint8_t)(s->erased[i >> 3] & ~(1u << (i & 7u)));
}

void csa_bl_region_sector(const csa_bootloader *bl, uint8_t region, uint16_t i, csa_flash_sector *out)
{
    csa_flash_sector_info(bl->flash->geometry, (uint16_t)(csa_bl_region_of(bl, region)->first_sector + i), out);
}

int csa_bl_holds_written(const csa_bootloader *bl, const csa_flash_sector *sec)
{
    const csa_bl_session *s = &bl->session;
    uint32_t base = csa_bl_region_of(bl, s->region)->address, b, end, n = csa_bl_blocks(s);
    b = (sec->address - base) / BLOCK;
    end = (sec->address + sec->size - base) / BLOCK;
    if (end > n)
        end = n;
    for (; b < end; b++) {
        if ((b & 7u) == 0 && b + 8 <= end) { /* a whole byte of the map at once */
            if (s->written[b >> 3] != 0)
                return 1;
            b += 7;
        } else if (csa_bl_written(s, b)) {
            return 1;
        }
    }
    return 0;
}

csa_bl_status csa_bl_erase_sector(csa_bootloader *bl, uint16_t i)
{
    csa_flash_sector sec;
    csa_bl_status st;
    csa_bl_region_sector(bl, bl->session.region, i, &sec);
    if (csa_bl_holds_written(bl, &sec)) {
        bl->stats.invariant_refusals++; /* would rather fail than erase a committed byte */
        return CSA_BL_FLASH_FAULT;
    }
    st = csa_bl_flash(bl, csa_flash_erase(bl->flash, sec.index));
    if (st == CSA_BL_OK)
        csa_bl_set_sector_erased(&bl->session, i, 1);
    return st;
}

void csa_bl_hash_reset(csa_bl_session *s)
{
    csa_sha256_init(&s->hash);
    s->hashed = 0;
    s->hash_broken = 0;
}

csa_bl_status csa_bl_hash_catch_up(csa_bootloader *bl)
{
    csa_bl_session *s = &bl->session;
    uint8_t chunk[CSA_BOOT_READ_CHUNK];
    uint32_t base = csa_bl_region_of(bl, s->region)->address;
    while (s->hashed < s->committed && !s->hash_broken) {
        uint32_t n = s->committed - s->hashed;
        csa_flash_status fs;
        if (n > sizeof chunk)
            n = sizeof chunk;
        fs = csa_flash_read(bl->flash, base + s->hashed, chunk, n);
        if (fs == CSA_FLASH_ERR_ECC) {
            s->hash_broken = 1; /* FinishUpdate answers PayloadHashMismatch and starts the payload over */
            break;
        }
        if (fs != CSA_FLASH_OK)
            return csa_bl_flash(bl, fs);
        csa_sha256_update(&s->hash, chunk, n);
        s->hashed += n;
    }
    return CSA_BL_OK;
}

void csa_bl_session_clear(csa_bl_session *s)
{
    csa_ct_wipe(s->key, sizeof s->key); /* the content key never outlives its session */
    s->active = 0;
    s->complete = 0;
    s->has_key = 0;
    memset(s->written, 0, sizeof s->written);
    memset(s->erased, 0, sizeof s->erased);
    s->committed = s->persisted = 0;
    csa_bl_hash_reset(s);
}

csa_bl_status csa_bl_program_padded(csa_bootloader *bl, uint32_t address, const uint8_t *src, uint32_t len)
{
    uint32_t unit = bl->flash->program_unit, whole = len / unit * unit;
    csa_bl_status st = CSA_BL_OK;
    if (whole > 0)
        st = csa_bl_flash(bl, csa_flash_program(bl->flash, address, src, whole));
    if (st == CSA_BL_OK && whole < len) {
        uint8_t tail[8];
        memset(tail, CSA_FLASH_ERASED, sizeof tail);
        memcpy(tail, src + whole, len - whole);
        st = csa_bl_flash(bl, csa_flash_program(bl->flash, address + whole, tail, unit));
    }
    return st;
}
