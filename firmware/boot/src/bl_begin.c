/* BeginUpdate (device-model.md 6.3): every check before anything is erased; then resume, or start a new update
 * with its Receiving record appended BEFORE the first erase. And AbortUpdate (6.6). */
#include <string.h>

#include "bl_internal.h"

/* The protocol's error for a refusal of the image checks (the C# BootloaderService.Map). */
static csa_bl_status refusal(const csa_image_verdict *v)
{
    if (v->error != CSA_IMAGE_OK)
        return CSA_BL_BAD_MANIFEST;
    switch (v->rejection) {
    case CSA_REJECT_UNKNOWN_KEY:
        return CSA_BL_UNKNOWN_KEY;
    case CSA_REJECT_UNSUPPORTED_AUTHENTICATION:
    case CSA_REJECT_BAD_SIGNATURE:
        return CSA_BL_BAD_SIGNATURE;
    case CSA_REJECT_WRONG_IMAGE_KIND:
    case CSA_REJECT_WRONG_VENDOR:
    case CSA_REJECT_WRONG_DEVICE_CLASS:
        return CSA_BL_WRONG_TARGET;
    case CSA_REJECT_NOT_BOUND_TO_THIS_DEVICE:
        return CSA_BL_NOT_BOUND_TO_THIS_DEVICE;
    case CSA_REJECT_SECURITY_COUNTER_TOO_LOW:
        return CSA_BL_SECURITY_COUNTER_TOO_LOW;
    case CSA_REJECT_WRONG_LOAD_ADDRESS:
    case CSA_REJECT_TOO_LARGE_FOR_REGION:
        return CSA_BL_WRONG_LOCATION;
    case CSA_REJECT_ENCRYPTION_REQUIRED:
        return CSA_BL_ENCRYPTION_REQUIRED;
    default:
        return CSA_BL_KEY_UNWRAP_FAILED;
    }
}

static uint32_t erase_ms_max(const csa_bootloader *bl, uint8_t region)
{
    const csa_region *r = csa_bl_region_of(bl, region);
    uint32_t largest = 0;
    uint16_t i;
    for (i = 0; i < r->sector_count; i++) {
        csa_flash_sector sec;
        csa_bl_region_sector(bl, region, i, &sec);
        if (sec.size > largest)
            largest = sec.size;
    }
    return csa_flash_erase_ms_max(bl->flash->geometry, largest);
}

static csa_bl_status answer_with(csa_bootloader *bl, uint8_t region, uint32_t resume, uint32_t now_ms,
                                 csa_bl_begin_answer *a)
{
    a->resume_offset = resume;
    a->write_alignment = CSA_BL_WRITE_ALIGNMENT;
    a->max_write_size = bl->config->max_write_size;
    a->erase_ms_max = erase_ms_max(bl, region);
    csa_bl_note_command(bl, now_ms);
    return CSA_BL_OK;
}

/* Fills the session from an accepted manifest (its blocks and erased sectors empty). */
static void open_session(csa_bootloader *bl, uint8_t region, const csa_manifest *m, const uint8_t *auth,
                         uint16_t alen, const uint8_t digest[32], const uint8_t key[32], int has_key, uint32_t owner)
{
    csa_bl_session *s = &bl->session;
    csa_bl_session_clear(s);
    s->active = 1;
    s->erase_ahead = 1;
    s->region = region;
    s->owner = owner;
    s->encryption = m->encryption;
    s->payload_size = m->payload_size;
    s->security_counter = m->security_counter;
    s->manifest_length = m->length;
    memcpy(s->manifest, m->bytes, m->length);
    s->auth_length = (uint8_t)alen;
    memcpy(s->auth, auth, alen);
    memcpy(s->digest, digest, 32);
    memcpy(s->payload_sha256, m->payload_sha256, 32);
    memcpy(s->nonce, m->nonce, 16);
    if (has_key) {
        memcpy(s->key, key, 32);
        s->has_key = 1;
    }
}

csa_bl_status csa_bl_begin_update(csa_bootloader *bl, uint8_t target, const uint8_t *manifest, uint16_t mlen,
                                  const uint8_t *auth, uint16_t alen, const uint8_t *wrapped, uint16_t wlen,
                                  uint32_t owner, uint32_t now_ms, csa_bl_begin_answer *a)
{
    csa_bl_session *s = &bl->session;
    csa_image_policy p;
    csa_image_verdict v;
    csa_manifest m;
    csa_state_record r;
    uint8_t digest[32], key[32], region;
    const csa_region *reg;
    int has_key = 0;
    csa_bl_status st;
    memset(a, 0, sizeof *a);
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    if (bl->lifecycle != 0)
        return CSA_BL_NOT_PROVISIONED; /* blank, not this chip's record, or damaged: checked before the manifest */
    /* 1. The target: the application, or the copy that is not running (a bootloader never writes its own). */
    if (target == CSA_TARGET_APPLICATION)
        region = CSA_REGION_APPLICATION;
    else if (target == CSA_TARGET_OTHER_BOOTLOADER)
        region = (uint8_t)csa_map_other_bootloader((csa_region_id)bl->running);
    else
        return CSA_BL_WRONG_TARGET;
    reg = csa_bl_region_of(bl, region);
    /* 2. The image checks, against the product, this device and the target region. */
    p = bl->policy;
    p.expected_kind = region == CSA_REGION_APPLICATION ? CSA_IMAGE_KIND_APPLICATION : CSA_IMAGE_KIND_BOOTLOADER;
    p.check_counter = bl->config->downgrade_prevention;
    p.minimum_counter = csa_bl_security_counter(bl);
    p.check_region = 1;
    p.region_start = reg->address;
    p.region_usable = csa_trailer_usable(reg);
    p.require_encryption = bl->config->require_encryption;
    if (manifest == NULL || auth == NULL
        || csa_image_check_before_erase(&p, manifest, mlen, auth, alen, &m, digest, &v) != 0)
        return manifest == NULL ? CSA_BL_BAD_MANIFEST : refusal(&v);
    /* 3. The content key: unwrapped with the device key and the manifest digest as context. */
    if (m.encryption == CSA_ENCRYPTION_NONE) {
        if (wlen != 0)
            return CSA_BL_KEY_UNWRAP_FAILED; /* the host and the image disagree */
    } else {
        const csa_bl_decryptor *d = bl->config->decryptor;
        if (d == NULL || wlen == 0 || wrapped == NULL || d->unwrap(d->ctx, wrapped, wlen, digest, key) != 0) {
            csa_ct_wipe(key, sizeof key);
            return CSA_BL_KEY_UNWRAP_FAILED;
        }
        has_key = 1;
    }

    /* The session's image again: resume, nothing erased. */
    if (s->active && s->region == region && memcmp(s->digest, digest, 32) == 0) {
        if (has_key)
            memcpy(s->key, key, 32);
        s->has_key = (uint8_t)has_key;
        csa_ct_wipe(key, sizeof key);
        s->owner = owner;
        return answer_with(bl, region, s->committed, now_ms, a);
    }
    /* Another host's session of another image: it must finish or abort first. */
    if (s->active && !s->complete && s->owner != owner) {
        csa_ct_wipe(key, sizeof key);
        return CSA_BL_BUSY;
    }
    open_session(bl, region, &m, auth, alen, digest, key, has_key, owner);
    csa_ct_wipe(key, sizeof key);
    st = csa_bl_refresh(bl, region);
    if (st != CSA_BL_OK)
        return st;
    if (csa_region_check_holds(&bl->checks[region], digest)) {
        /* Already installed (a commit whose journal append was cut, or a reinstall): writes only compare and
         * FinishUpdate completes the bookkeeping; nothing may be erased. */
        s->erase_ahead = 0;
        csa_bl_mark_written_below(s, s->payload_size);
        return answer_with(bl, region, s->payload_size, now_ms, a);
    }
    r = bl->record;
    if (r.phase == CSA_PHASE_RECEIVING && r.region == region && memcmp(r.digest, digest, 32) == 0) {
        /* Resume after a reset: blocks below the watermark are written; the sector holding it is continued by
         * comparison, the sectors past it are dirty and erased before their first program. */
        csa_bl_mark_written_below(s, r.watermark < s->payload_size ? r.watermark : s->payload_size);
        return answer_with(bl, region, s->committed, now_ms, a);
    }

    /* A new update. Persist it BEFORE the first erase, with the counter as it stands now (an erase may remove the
     * image whose counter is the highest), and with the target marked as being rewritten (its revoked bit,
     * device-model.md 6.2): from this record on the old image is not valid, whatever its trailer still holds, until
     * the new one is committed. Its validity is the journal's, not a question of how far an erase has come, so
     * nothing is erased before the answer: the payload's sectors and then the trailer's are erased ahead (the main
     * loop's erase-ahead step), or on first touch and by FinishUpdate. */
    {
        uint32_t counter = csa_bl_security_counter(bl);
        r.phase = CSA_PHASE_RECEIVING;
        r.region = region;
        r.watermark = 0;
        r.payload_size = m.payload_size;
        r.security_counter = counter > r.security_counter ? counter : r.security_counter;
        r.revoked = (uint8_t)(r.revoked | CSA_STATE_REVOKED_BIT(region));
        memcpy(r.digest, digest, 32);
    }
    st = csa_bl_append(bl, &r);
    if (st != CSA_BL_OK) {
        csa_bl_session_clear(s);
        return st;
    }
    st = csa_bl_refresh(bl, region);
    if (st != CSA_BL_OK)
        return st;
    csa_bl_publish(bl, CSA_PHASE_RECEIVING, region, 0);
    return answer_with(bl, region, 0, now_ms, a);
}

csa_bl_status csa_bl_abort_update(csa_bootloader *bl, uint32_t now_ms)
{
    uint8_t aborted = bl->session.active ? bl->session.region : bl->record.region;
    csa_state_record r;
    csa_bl_status st;
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    csa_bl_session_clear(&bl->session);
    if (bl->record.phase == CSA_PHASE_IDLE)
        return CSA_BL_OK;
    r = bl->record;
    r.phase = CSA_PHASE_IDLE;
    r.region = CSA_STATE_NO_REGION;
    r.watermark = 0;
    r.payload_size = 0;
    memset(r.digest, 0, 32);
    st = csa_bl_append(bl, &r);
    if (st == CSA_BL_OK && aborted >= CSA_REGION_BOOTLOADER_A && aborted <= CSA_REGION_APPLICATION)
        st = csa_bl_refresh(bl, aborted);
    if (st == CSA_BL_OK) {
        csa_bl_note_command(bl, now_ms);
        csa_bl_publish(bl, CSA_PHASE_IDLE, aborted, 0);
    }
    return st;
}
