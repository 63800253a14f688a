/* The 52-byte state record of docs/device-model.md 6.2, stored through the journal. */
#include "csa_boot/state.h"

#include <string.h>

#include "le.h"

void csa_state_fresh(csa_state_record *r)
{
    memset(r, 0, sizeof *r);
    r->region = CSA_STATE_NO_REGION;
}

void csa_state_encode(const csa_state_record *r, uint8_t p[CSA_STATE_RECORD_SIZE])
{
    p[0] = 1; /* format */
    p[1] = (uint8_t)(r->requested ? 1 : 0);
    p[2] = r->phase;
    p[3] = r->region;
    csa_put32(p + 4, r->watermark);
    csa_put32(p + 8, r->payload_size);
    csa_put32(p + 12, r->security_counter);
    csa_put16(p + 16, r->wait_seconds);
    p[18] = (uint8_t)(r->revoked & CSA_STATE_REVOCABLE);
    p[19] = 0;
    memcpy(p + 20, r->digest, 32);
}

void csa_state_decode(const uint8_t *p, uint16_t len, csa_state_record *r)
{
    csa_state_fresh(r);
    if (len != CSA_STATE_RECORD_SIZE || p[0] != 1 || p[2] > CSA_PHASE_COMPLETE
        || (p[3] != CSA_STATE_NO_REGION && p[3] > CSA_REGION_APPLICATION))
        return;
    r->requested = (uint8_t)(p[1] & 1u);
    r->phase = p[2];
    r->region = p[3];
    r->watermark = csa_le32(p + 4);
    r->payload_size = csa_le32(p + 8);
    r->security_counter = csa_le32(p + 12);
    r->wait_seconds = csa_le16(p + 16);
    r->revoked = (uint8_t)(p[18] & CSA_STATE_REVOCABLE); /* a writer that gave byte 18 no meaning wrote 0 */
    memcpy(r->digest, p + 20, 32);
}

int csa_state_equal(const csa_state_record *a, const csa_state_record *b)
{
    uint8_t x[CSA_STATE_RECORD_SIZE], y[CSA_STATE_RECORD_SIZE];
    csa_state_encode(a, x);
    csa_state_encode(b, y);
    return memcmp(x, y, sizeof x) == 0;
}

void csa_state_apply(const csa_state_record *r, uint8_t region, csa_region_check *c)
{
    int revoked;
    if (c->state != CSA_REGION_VALID && c->reason != CSA_REASON_REVOKED)
        return; /* empty or invalid by its flash: nothing for the journal to take away */
    revoked = (r->revoked & CSA_STATE_REVOKED_BIT(region)) != 0
              && !(r->region == region && memcmp(c->manifest_digest, r->digest, 32) == 0);
    c->state = revoked ? CSA_REGION_INVALID : CSA_REGION_VALID;
    c->reason = revoked ? CSA_REASON_REVOKED : CSA_REASON_VALID;
}

void csa_state_journal(csa_journal *j, const csa_flash *flash, const csa_memory_map *map)
{
    j->flash = flash;
    j->regions[0] = &map->regions[CSA_REGION_JOURNAL_A];
    j->regions[1] = &map->regions[CSA_REGION_JOURNAL_B];
    j->slot_size = CSA_STATE_SLOT_SIZE;
}

csa_flash_status csa_state_read(const csa_journal *j, csa_state_record *r)
{
    uint8_t payload[CSA_STATE_SLOT_SIZE];
    uint16_t len = 0;
    uint32_t seq;
    int found;
    csa_flash_status st = csa_journal_read_latest(j, payload, sizeof payload, &len, &seq, &found);
    csa_state_fresh(r);
    if (st == CSA_FLASH_OK && found)
        csa_state_decode(payload, len, r);
    return st;
}

csa_flash_status csa_state_append(const csa_journal *j, const csa_state_record *r)
{
    uint8_t payload[CSA_STATE_RECORD_SIZE];
    csa_state_encode(r, payload);
    return csa_journal_append(j, payload, sizeof payload);
}

csa_flash_status csa_state_request_bootloader(const csa_flash *flash, const csa_memory_map *map, uint16_t wait_seconds)
{
    csa_journal j;
    csa_state_record r;
    csa_flash_status st;
    csa_state_journal(&j, flash, map);
    st = csa_state_read(&j, &r); /* the application does not share the bootloader's RAM: it reads the journal */
    if (st != CSA_FLASH_OK)
        return st;
    r.requested = 1;
    r.wait_seconds = wait_seconds;
    return csa_state_append(&j, &r);
}

csa_flash_status csa_state_clear_request(const csa_flash *flash, const csa_memory_map *map)
{
    csa_journal j;
    csa_state_record r;
    csa_flash_status st;
    csa_state_journal(&j, flash, map);
    st = csa_state_read(&j, &r);
    if (st != CSA_FLASH_OK || !r.requested)
        return st;
    r.requested = 0;
    r.wait_seconds = 0;
    return csa_state_append(&j, &r);
}
