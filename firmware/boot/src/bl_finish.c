/* FinishUpdate (device-model.md 6.5): verify what flash holds, then commit (trailer slot body, commit marker last),
 * then the journal and the OTP floor, in that order. */
#include <string.h>

#include "bl_internal.h"
#include "csa_boot/otp_counter.h"

/* A blank trailer slot: trailer sectors that hold no payload and were not erased in this session are erased first
 * (they may hold slots torn by an earlier attempt); a sector that also holds committed payload is never erased, its
 * slots are used one after the other. -1 when none is left. */
static csa_bl_status prepare_trailer(csa_bootloader *bl, int *slot)
{
    csa_bl_session *s = &bl->session;
    const csa_region *reg = csa_bl_region_of(bl, s->region);
    uint32_t payload_end = reg->address + s->payload_size;
    uint16_t i;
    unsigned k;
    csa_bl_status st;
    *slot = -1;
    for (i = 0; i < reg->sector_count; i++) {
        csa_flash_sector sec;
        csa_bl_region_sector(bl, s->region, i, &sec);
        if (sec.address + sec.size > csa_trailer_area(reg) && !csa_bl_sector_erased(s, i) && sec.address >= payload_end
            && (st = csa_bl_erase_sector(bl, i)) != CSA_BL_OK)
            return st;
    }
    for (k = 0; k < CSA_TRAILER_SLOTS; k++) {
        int blank = 0;
        st = csa_bl_flash(bl, csa_flash_is_blank(bl->flash, csa_trailer_slot_address(reg, k), CSA_TRAILER_SLOT, &blank));
        if (st != CSA_BL_OK)
            return st;
        if (blank) {
            *slot = (int)k;
            return CSA_BL_OK;
        }
    }
    return CSA_BL_OK;
}

/* Every slot was spent by interrupted commits: roll the watermark back to the trailer sector's start; the host sends
 * that sector's payload again and the sector is erased again first. */
static csa_bl_status roll_back(csa_bootloader *bl, uint32_t *first_missing)
{
    csa_bl_session *s = &bl->session;
    const csa_region *reg = csa_bl_region_of(bl, s->region);
    int32_t k = csa_flash_sector_at(bl->flash->geometry, csa_trailer_area(reg));
    csa_flash_sector sec;
    csa_state_record r = bl->record;
    csa_bl_status st;
    csa_flash_sector_info(bl->flash->geometry, (uint16_t)k, &sec);
    csa_bl_forget(s, sec.address - reg->address, s->payload_size);
    csa_bl_set_sector_erased(s, (uint16_t)(k - reg->first_sector), 0);
    r.watermark = s->committed;
    st = csa_bl_append(bl, &r);
    if (st != CSA_BL_OK)
        return st;
    if (first_missing != NULL)
        *first_missing = s->committed;
    return CSA_BL_INCOMPLETE;
}

static csa_bl_status commit(csa_bootloader *bl, uint32_t *first_missing)
{
    csa_bl_session *s = &bl->session;
    const csa_region *reg = csa_bl_region_of(bl, s->region);
    uint8_t body[CSA_TRAILER_BODY], marker[CSA_TRAILER_COMMIT], hash[32];
    csa_state_record r;
    uint32_t counter;
    int slot;
    csa_bl_status st;
    if (s->committed < s->payload_size) {
        if (first_missing != NULL)
            *first_missing = s->committed;
        return CSA_BL_INCOMPLETE;
    }
    st = csa_bl_refresh(bl, s->region);
    if (st != CSA_BL_OK)
        return st;
    if (!csa_region_check_holds(&bl->checks[s->region], s->digest)) {
        /* The hash of the plaintext as written, read back from flash while writing. */
        csa_sha256_ctx copy;
        st = csa_bl_hash_catch_up(bl);
        if (st != CSA_BL_OK)
            return st;
        copy = s->hash;
        csa_sha256_final(&copy, hash);
        if (s->hash_broken || s->hashed != s->payload_size || !csa_ct_equal(hash, s->payload_sha256, 32)) {
            /* What flash holds is not the image: start the payload over (every sector dirty again). */
            csa_bl_forget(s, 0, s->payload_size);
            memset(s->erased, 0, sizeof s->erased);
            r = bl->record;
            r.watermark = 0;
            st = csa_bl_append(bl, &r);
            return st != CSA_BL_OK ? st : CSA_BL_PAYLOAD_HASH_MISMATCH;
        }
        st = prepare_trailer(bl, &slot);
        if (st != CSA_BL_OK)
            return st;
        if (slot < 0)
            return roll_back(bl, first_missing);
        /* The commit point is the marker: body first, marker last, each one program operation. */
        csa_trailer_encode_body(s->manifest, s->manifest_length, s->auth, s->auth_length, body);
        csa_trailer_encode_commit(body, marker);
        st = csa_bl_flash(bl, csa_flash_program(bl->flash, csa_trailer_slot_address(reg, (unsigned)slot), body,
                                                sizeof body));
        if (st == CSA_BL_OK)
            st = csa_bl_flash(bl, csa_flash_program(bl->flash, csa_trailer_slot_address(reg, (unsigned)slot)
                                                                   + CSA_TRAILER_BODY,
                                                    marker, sizeof marker));
        if (st == CSA_BL_OK)
            st = csa_bl_refresh(bl, s->region);
        if (st != CSA_BL_OK)
            return st;
        if (!csa_region_check_holds(&bl->checks[s->region], s->digest))
            return CSA_BL_FLASH_FAULT; /* the committed image does not verify */
    }
    /* The image is valid: its counter counts now. The journal, then the OTP floor: a cut between them leaves the
     * counter held by the image itself or by the journal. */
    counter = csa_bl_security_counter(bl);
    if (s->security_counter > counter)
        counter = s->security_counter;
    r = bl->record;
    r.phase = CSA_PHASE_COMPLETE;
    r.region = s->region;
    r.watermark = s->payload_size;
    r.payload_size = s->payload_size;
    memcpy(r.digest, s->digest, 32);
    r.revoked = (uint8_t)(r.revoked & ~CSA_STATE_REVOKED_BIT(s->region)); /* committed: no longer being rewritten */
    if (counter > r.security_counter)
        r.security_counter = counter;
    if (s->region == CSA_REGION_APPLICATION) { /* the new application starts at the next reset */
        r.requested = 0;
        r.wait_seconds = 0;
    }
    if (!csa_state_equal(&r, &bl->record) && (st = csa_bl_append(bl, &r)) != CSA_BL_OK)
        return st;
    s->persisted = s->payload_size;
    if (bl->config->downgrade_prevention) {
        const csa_otp_range *otp = &bl->config->map->counter_otp;
        uint32_t capacity = csa_otp_counter_capacity(bl->flash, otp), floor = counter < capacity ? counter : capacity;
        st = csa_bl_flash(bl, csa_otp_counter_advance(bl->flash, otp, floor));
        if (st != CSA_BL_OK)
            return st;
    }
    /* The content key stays until the session ends: a late duplicate write must still decrypt to compare. */
    s->complete = 1;
    csa_bl_publish(bl, CSA_PHASE_COMPLETE, s->region, s->payload_size);
    return CSA_BL_OK;
}

csa_bl_status csa_bl_finish_update(csa_bootloader *bl, uint32_t now_ms, uint8_t payload_sha256[32],
                                   uint32_t *first_missing)
{
    csa_bl_session *s = &bl->session;
    csa_bl_status st;
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    if (!s->active) {
        /* After a reset: a finished update answers success again, from the journal and the installed trailer. */
        const csa_state_record *r = &bl->record;
        if (r->phase != CSA_PHASE_IDLE && r->region >= CSA_REGION_BOOTLOADER_A && r->region <= CSA_REGION_APPLICATION
            && csa_region_check_holds(&bl->checks[r->region], r->digest)) {
            memcpy(payload_sha256, bl->checks[r->region].payload_sha256, 32);
            csa_bl_note_command(bl, now_ms);
            return CSA_BL_OK;
        }
        return CSA_BL_NO_UPDATE_IN_PROGRESS;
    }
    if (!s->complete && (st = commit(bl, first_missing)) != CSA_BL_OK)
        return st;
    memcpy(payload_sha256, s->payload_sha256, 32);
    csa_bl_note_command(bl, now_ms);
    return CSA_BL_OK;
}
