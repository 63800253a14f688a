/* The state journal, docs/device-model.md section 3. */
#include "csa_boot/journal.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "le.h"

int csa_journal_encode(uint32_t sequence, const uint8_t *payload, uint16_t len, uint16_t slot_size, uint8_t *slot)
{
    if (slot_size < CSA_JOURNAL_OVERHEAD || slot_size % 8 != 0 || len > slot_size - CSA_JOURNAL_OVERHEAD)
        return -1;
    memset(slot, 0xFF, slot_size);
    csa_put32(slot, CSA_JOURNAL_MAGIC);
    csa_put32(slot + 4, sequence);
    csa_put16(slot + 8, len);
    csa_put16(slot + 10, slot_size);
    if (len > 0)
        memcpy(slot + 12, payload, len);
    csa_put32(slot + slot_size - 4, csa_crc32(slot, slot_size - 4u));
    return 0;
}

int csa_journal_decode(const uint8_t *slot, uint16_t slot_size, uint32_t *sequence, const uint8_t **payload,
                       uint16_t *len)
{
    uint16_t l = csa_le16(slot + 8);
    if (csa_le32(slot) != CSA_JOURNAL_MAGIC || csa_le16(slot + 10) != slot_size || csa_le32(slot + 4) == 0
        || l > slot_size - CSA_JOURNAL_OVERHEAD || csa_le32(slot + slot_size - 4) != csa_crc32(slot, slot_size - 4u))
        return 0; /* sequence numbers start at 1: a 0 is never a record */
    *sequence = csa_le32(slot + 4);
    *payload = slot + 12;
    *len = l;
    return 1;
}

typedef enum { SLOT_ERASED, SLOT_VALID, SLOT_TORN } slot_state;

typedef struct scan {
    int found;
    uint32_t sequence;
    int region;            /* the region holding the newest record (0 on a fresh device) */
    uint16_t first_free[2]; /* the first slot after the last non-erased one: appends only go forward */
} scan;

static uint16_t slots_per_region(const csa_journal *j)
{
    uint32_t a = j->regions[0]->size, b = j->regions[1]->size;
    return (uint16_t)((a < b ? a : b) / j->slot_size);
}

/* Reads slot s of region r; an L4 ECC error is a torn slot (an interrupted write). */
static csa_flash_status read_slot(const csa_journal *j, int r, uint16_t s, uint8_t *buf, slot_state *state)
{
    uint16_t i;
    csa_flash_status st = csa_flash_read(j->flash, j->regions[r]->address + (uint32_t)s * j->slot_size, buf,
                                         j->slot_size);
    if (st == CSA_FLASH_ERR_ECC) {
        *state = SLOT_TORN;
        return CSA_FLASH_OK;
    }
    if (st != CSA_FLASH_OK)
        return st;
    *state = SLOT_ERASED;
    for (i = 0; i < j->slot_size; i++)
        if (buf[i] != CSA_FLASH_ERASED) {
            *state = SLOT_TORN;
            break;
        }
    if (*state == SLOT_TORN) {
        uint32_t seq;
        const uint8_t *p;
        uint16_t len;
        if (csa_journal_decode(buf, j->slot_size, &seq, &p, &len))
            *state = SLOT_VALID;
    }
    return CSA_FLASH_OK;
}

/* Scans both regions; when `out` is given, copies the newest record's payload into it. */
static csa_flash_status scan_journal(const csa_journal *j, scan *sc, uint8_t *out, uint16_t cap, uint16_t *out_len)
{
    uint8_t buf[CSA_JOURNAL_MAX_SLOT];
    uint16_t per = slots_per_region(j), s;
    int r;
    memset(sc, 0, sizeof *sc);
    if (j->slot_size > sizeof buf || j->slot_size < CSA_JOURNAL_OVERHEAD || j->slot_size % 8 != 0)
        return CSA_FLASH_ERR_SEQUENCE;
    for (r = 0; r < 2; r++)
        for (s = 0; s < per; s++) {
            slot_state state;
            uint32_t seq;
            const uint8_t *payload;
            uint16_t len;
            csa_flash_status st = read_slot(j, r, s, buf, &state);
            if (st != CSA_FLASH_OK)
                return st;
            if (state == SLOT_ERASED)
                continue;
            sc->first_free[r] = (uint16_t)(s + 1);
            if (state == SLOT_VALID && csa_journal_decode(buf, j->slot_size, &seq, &payload, &len)
                && (!sc->found || seq > sc->sequence)) {
                sc->found = 1;
                sc->sequence = seq;
                sc->region = r;
                if (out != NULL) {
                    uint16_t n = len < cap ? len : cap;
                    memcpy(out, payload, n);
                    *out_len = len;
                }
            }
        }
    return CSA_FLASH_OK;
}

csa_flash_status csa_journal_read_latest(const csa_journal *j, uint8_t *payload, uint16_t cap, uint16_t *len,
                                         uint32_t *sequence, int *found)
{
    scan sc;
    csa_flash_status st;
    *len = 0;
    st = scan_journal(j, &sc, payload, cap, len);
    *found = sc.found;
    *sequence = sc.found ? sc.sequence : 0;
    return st;
}

csa_flash_status csa_journal_append(const csa_journal *j, const uint8_t *payload, uint16_t len)
{
    uint8_t slot[CSA_JOURNAL_MAX_SLOT];
    scan sc;
    csa_flash_status st = scan_journal(j, &sc, NULL, 0, NULL);
    int active = sc.region;
    uint16_t index;
    if (st != CSA_FLASH_OK)
        return st;
    if (csa_journal_encode(sc.found ? sc.sequence + 1u : 1u, payload, len, j->slot_size, slot) != 0)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    index = sc.first_free[active];
    if (index >= slots_per_region(j)) {
        /* Never erase the region holding the newest record: move to the other one. */
        active = 1 - active;
        st = csa_map_erase_region(j->flash, j->regions[active]);
        if (st != CSA_FLASH_OK)
            return st;
        index = 0;
    }
    return csa_flash_program(j->flash, j->regions[active]->address + (uint32_t)index * j->slot_size, slot,
                             j->slot_size);
}
