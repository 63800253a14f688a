/* The bootloader at power-on (device-model.md 5.2), its view of the device (GetStatus, GetRegionHash, the security
 * counter) and the requested stay's deadline. */
#include <string.h>

#include "bl_internal.h"
#include "csa_boot/otp_counter.h"
#include "csa_boot/preboot.h"

csa_bl_status csa_bl_flash(csa_bootloader *bl, csa_flash_status st)
{
    if (st == CSA_FLASH_OK)
        return CSA_BL_OK;
    if (st == CSA_FLASH_POWER_LOST) {
        bl->halted = 1;
        return CSA_BL_POWER_LOST;
    }
    return CSA_BL_FLASH_FAULT;
}

int csa_bl_init(csa_bootloader *bl, const csa_bl_config *config, const csa_flash *flash)
{
    const csa_memory_map *map = config->map;
    unsigned r;
    memset(bl, 0, sizeof *bl);
    if (map == NULL || map->geometry != flash->geometry || csa_map_check(map) != 0)
        return -1;
    for (r = CSA_REGION_BOOTLOADER_A; r <= CSA_REGION_APPLICATION; r++)
        if (csa_trailer_usable(&map->regions[r]) > CSA_BOOT_MAX_PAYLOAD
            || map->regions[r].sector_count > CSA_BOOT_MAX_REGION_SECTORS)
            return -1;
    if (config->max_write_size < CSA_BL_WRITE_ALIGNMENT || config->max_write_size > 4096u
        || config->max_write_size % CSA_BL_WRITE_ALIGNMENT != 0 || config->checkpoint_interval % 16u != 0
        || config->checkpoint_interval > CSA_BL_MAX_CHECKPOINT || config->key_count > CSA_BOOT_MAX_KEYS
        || (config->key_count == 0 && !config->accept_crc))
        return -1;
    bl->config = config;
    bl->flash = flash;
    csa_state_journal(&bl->journal, flash, map);
    bl->policy.keys = config->keys;
    bl->policy.key_count = config->key_count;
    bl->policy.accept_crc = config->accept_crc;
    bl->policy.require_low_s = config->require_low_s;
    bl->policy.vendor_id = config->vendor_id;
    bl->policy.device_class_id = config->device_class_id;
    bl->policy.device_uid = bl->uid;
    bl->policy.require_binding = config->require_binding;
    csa_bl_hash_reset(&bl->session);
    return 0;
}

csa_bl_status csa_bl_refresh(csa_bootloader *bl, uint8_t region)
{
    uint8_t kind = region == CSA_REGION_APPLICATION ? CSA_IMAGE_KIND_APPLICATION : CSA_IMAGE_KIND_BOOTLOADER;
    csa_bl_status st = csa_bl_flash(bl, csa_region_inspect(bl->flash, csa_bl_region_of(bl, region), kind, &bl->policy,
                                                           &bl->checks[region]));
    csa_state_apply(&bl->record, region, &bl->checks[region]); /* the journal's word: being rewritten? */
    return st;
}

csa_bl_status csa_bl_append(csa_bootloader *bl, const csa_state_record *next)
{
    csa_state_record r = *next;
    uint8_t now = bl->record.region, region;
    csa_bl_status st;
    /* A record that moves on from the current record's target (another target, or none) while that region holds the
     * image the current record installs (its commit landed, its Complete record did not) no longer marks the region
     * as being rewritten: it would otherwise lose the exception that keeps it valid (device-model.md 6.2). */
    if (now >= CSA_REGION_BOOTLOADER_A && now <= CSA_REGION_APPLICATION && r.region != now
        && (r.revoked & CSA_STATE_REVOKED_BIT(now)) != 0
        && csa_region_check_holds_raw(&bl->checks[now], bl->record.digest))
        r.revoked = (uint8_t)(r.revoked & ~CSA_STATE_REVOKED_BIT(now));
    st = csa_bl_flash(bl, csa_state_append(&bl->journal, &r));
    if (st != CSA_BL_OK)
        return st;
    bl->record = r;
    for (region = CSA_REGION_BOOTLOADER_A; region <= CSA_REGION_APPLICATION; region++)
        csa_state_apply(&bl->record, region, &bl->checks[region]);
    return CSA_BL_OK;
}

void csa_bl_set_lifecycle(csa_bootloader *bl, uint8_t lifecycle)
{
    bl->lifecycle = lifecycle;
}

void csa_bl_note_command(csa_bootloader *bl, uint32_t now_ms)
{
    if (bl->has_deadline)
        bl->deadline_ms = now_ms + bl->wait_ms;
}

uint8_t csa_bl_target_of(uint8_t region)
{
    return region == CSA_REGION_BOOTLOADER_A || region == CSA_REGION_BOOTLOADER_B ? CSA_TARGET_OTHER_BOOTLOADER
                                                                                  : CSA_TARGET_APPLICATION;
}

void csa_bl_publish(csa_bootloader *bl, uint8_t phase, uint8_t region, uint32_t committed)
{
    if (bl->config->phase_changed != NULL)
        bl->config->phase_changed(bl->config->event_ctx, phase, csa_bl_target_of(region), committed);
}

/* An update recorded in the journal that is neither finished nor overtaken (its target now valid with its image,
 * or running). */
static int update_pending(const csa_bootloader *bl)
{
    const csa_state_record *r = &bl->record;
    return r->phase == CSA_PHASE_RECEIVING && r->region >= CSA_REGION_BOOTLOADER_A
           && r->region <= CSA_REGION_APPLICATION && r->region != bl->running
           && !csa_region_check_holds(&bl->checks[r->region], r->digest);
}

csa_bl_status csa_bl_start(csa_bootloader *bl, uint32_t now_ms, uint8_t lifecycle, csa_bl_decision *decision)
{
    csa_region_id running;
    csa_region_check copies[2];
    csa_bl_status st;
    bl->halted = 0;
    csa_bl_session_clear(&bl->session); /* a reset drops the RAM of an update session */
    bl->running = 0;
    bl->application_runs = 0;
    bl->stay = CSA_STAY_NONE;
    bl->has_deadline = 0;
    bl->lifecycle = lifecycle;
    memset(decision, 0, sizeof *decision);
    st = csa_bl_flash(bl, csa_flash_read_uid(bl->flash, bl->uid));
    if (st == CSA_BL_OK)
        st = csa_bl_flash(bl, csa_state_read(&bl->journal, &bl->record));
    if (st == CSA_BL_OK) {
        int present = 0;
        st = csa_bl_flash(bl, csa_preboot_marker_read(bl->flash, bl->config->map, &present, &bl->pre_major,
                                                      &bl->pre_minor, &bl->pre_patch));
        bl->has_prebootloader = (uint8_t)present;
    }
    if (st != CSA_BL_OK)
        return st;
    st = csa_bl_flash(bl, csa_preboot_select(bl->flash, bl->config->map, &bl->policy, &bl->record, copies, &running));
    if (st != CSA_BL_OK)
        return st;
    bl->checks[CSA_REGION_BOOTLOADER_A] = copies[0];
    bl->checks[CSA_REGION_BOOTLOADER_B] = copies[1];
    st = csa_bl_refresh(bl, CSA_REGION_APPLICATION);
    if (st != CSA_BL_OK)
        return st;
    if (!bl->has_prebootloader || running == CSA_REGION_PRE_BOOTLOADER)
        return CSA_BL_OK; /* bricked: nothing runs (production must never ship that) */
    bl->running = (uint8_t)running;
    bl->stay = lifecycle != 0                                                  ? lifecycle
               : update_pending(bl)                                            ? CSA_STAY_UPDATE_IN_PROGRESS
               : bl->checks[CSA_REGION_APPLICATION].state != CSA_REGION_VALID ? CSA_STAY_NO_VALID_APPLICATION
               : bl->record.requested                                          ? CSA_STAY_REQUESTED
                                                                               : CSA_STAY_NONE;
    bl->application_runs = bl->stay == CSA_STAY_NONE;
    if (bl->stay == CSA_STAY_REQUESTED && bl->record.wait_seconds > 0) {
        bl->has_deadline = 1;
        bl->wait_ms = (uint32_t)bl->record.wait_seconds * 1000u;
        bl->deadline_ms = now_ms + bl->wait_ms;
    }
    decision->running = bl->running;
    decision->start_application = bl->application_runs;
    decision->stay_reason = bl->stay;
    return CSA_BL_OK;
}

uint32_t csa_bl_security_counter(const csa_bootloader *bl)
{
    uint32_t counter = 0, otp = 0;
    unsigned r;
    if (!bl->config->downgrade_prevention)
        return 0;
    if (csa_otp_counter_read(bl->flash, &bl->config->map->counter_otp, &otp) == CSA_FLASH_OK)
        counter = otp;
    if (bl->record.security_counter > counter)
        counter = bl->record.security_counter;
    for (r = CSA_REGION_BOOTLOADER_A; r <= CSA_REGION_APPLICATION; r++)
        if (bl->checks[r].state == CSA_REGION_VALID && bl->checks[r].security_counter > counter)
            counter = bl->checks[r].security_counter; /* an image vouches for its counter once committed */
    return counter;
}

const csa_region_check *csa_bl_region(const csa_bootloader *bl, uint8_t region)
{
    return region >= CSA_REGION_BOOTLOADER_A && region <= CSA_REGION_APPLICATION ? &bl->checks[region] : NULL;
}

int csa_bl_stay_expired(const csa_bootloader *bl, uint32_t now_ms)
{
    return bl->has_deadline && !bl->halted && (int32_t)(now_ms - bl->deadline_ms) >= 0;
}

csa_bl_status csa_bl_end_requested_stay(csa_bootloader *bl)
{
    csa_state_record r;
    csa_bl_status st = csa_bl_flash(bl, csa_state_read(&bl->journal, &r));
    bl->has_deadline = 0;
    if (st != CSA_BL_OK || !r.requested)
        return st;
    r.requested = 0;
    r.wait_seconds = 0;
    return csa_bl_append(bl, &r);
}

csa_bl_status csa_bl_get_status(csa_bootloader *bl, csa_bl_status_answer *a)
{
    const csa_bl_session *s = &bl->session;
    const csa_state_record *r = &bl->record;
    uint8_t updating = 0;
    unsigned i;
    if (!csa_bl_resident(bl))
        return CSA_BL_NOT_ALLOWED;
    memset(a, 0, sizeof *a);
    a->running_copy = bl->running;
    a->stay_reason = bl->stay;
    a->device_security_counter = csa_bl_security_counter(bl);
    a->write_alignment = CSA_BL_WRITE_ALIGNMENT;
    a->max_write_size = bl->config->max_write_size;
    /* The update: the RAM session when there is one, else the journal. */
    if (s->active) {
        a->phase = s->complete ? CSA_PHASE_COMPLETE : CSA_PHASE_RECEIVING;
        updating = s->complete ? 0 : s->region;
        a->target = csa_bl_target_of(s->region);
        memcpy(a->manifest_digest, s->digest, 32);
        a->payload_size = s->payload_size;
        a->bytes_committed = s->committed;
    } else if (r->phase != CSA_PHASE_IDLE && r->region != CSA_STATE_NO_REGION) {
        int pending = r->phase == CSA_PHASE_RECEIVING && update_pending(bl);
        a->phase = pending ? CSA_PHASE_RECEIVING : CSA_PHASE_COMPLETE;
        updating = pending ? r->region : 0;
        a->target = csa_bl_target_of(r->region);
        memcpy(a->manifest_digest, r->digest, 32);
        a->payload_size = r->payload_size;
        a->bytes_committed = pending ? r->watermark : r->payload_size;
    } else {
        a->phase = CSA_PHASE_IDLE;
        a->target = CSA_TARGET_APPLICATION;
    }
    for (i = 0; i < 4; i++) {
        csa_bl_region_status *rs = &a->regions[i];
        const csa_region *reg = csa_bl_region_of(bl, (uint8_t)i);
        rs->region = (uint8_t)i;
        rs->start = reg->address;
        rs->size = reg->size;
        rs->usable_size = i == CSA_REGION_PRE_BOOTLOADER ? reg->size : csa_trailer_usable(reg);
        if (i == CSA_REGION_PRE_BOOTLOADER) {
            rs->state = bl->has_prebootloader ? CSA_REGION_VALID : CSA_REGION_EMPTY;
            rs->version_major = bl->pre_major;
            rs->version_minor = bl->pre_minor;
            rs->version_patch = bl->pre_patch;
            continue;
        }
        rs->state = updating == i ? CSA_REGION_UPDATING : bl->checks[i].state;
        if (bl->checks[i].state == CSA_REGION_VALID) {
            rs->version_major = bl->checks[i].version_major;
            rs->version_minor = bl->checks[i].version_minor;
            rs->version_patch = bl->checks[i].version_patch;
            rs->version_build = bl->checks[i].version_build;
            rs->security_counter = bl->checks[i].security_counter;
        }
    }
    return CSA_BL_OK;
}

csa_bl_status csa_bl_get_region_hash(csa_bootloader *bl, uint8_t region, uint32_t offset, uint32_t length,
                                     uint8_t sha256[32])
{
    const csa_region *r;
    csa_flash_status fs;
    int granules, valid_payload;
    if (!csa_bl_resident(bl) || region > CSA_REGION_APPLICATION)
        return CSA_BL_NOT_ALLOWED;
    r = csa_bl_region_of(bl, region);
    if ((uint64_t)offset + length > r->size)
        return CSA_BL_OUT_OF_RANGE;
    /* REQ-CONFIDENTIAL: flash holds the plaintext; the hash of a short range is a lookup table away from its bytes.
     * Whole 1 KiB granules, or the valid image's whole payload (the hash its signed manifest already names). */
    granules = offset % CSA_BL_HASH_GRANULE == 0 && length % CSA_BL_HASH_GRANULE == 0;
    valid_payload = offset == 0 && region != CSA_REGION_PRE_BOOTLOADER
                    && bl->checks[region].state == CSA_REGION_VALID && bl->checks[region].payload_size == length;
    if (!granules && !valid_payload)
        return CSA_BL_RANGE_NOT_ALLOWED;
    fs = csa_flash_sha256(bl->flash, r->address + offset, length, sha256);
    return csa_bl_flash(bl, fs); /* an L4 ECC error: FlashFault */
}
