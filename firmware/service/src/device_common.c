/* Identity, update rules and versions: one answer for the bootloader and the application (device-model.md 7.4). */
#include "device_common.h"

#include <string.h>

#include "csa/csa_rpc_packet.h"
#include "csa_boot/trailer.h"

uint16_t csa_device_identity(const csa_product *p, const csa_flash *flash, device_get_identity_response_t *r)
{
    size_t n = strlen(p->product_name);
    if (csa_flash_read_uid(flash, r->uid) != CSA_FLASH_OK)
        return CSA_RPC_INTERNAL_ERROR; /* the unique id is read-only silicon: only a lost power fails it */
    r->vendor_id = p->vendor_id;
    r->device_class = p->device_class_id;
    r->mcu_device_id = csa_product_mcu_device_id(p);
    r->hardware_revision = p->hardware_revision;
    r->product_name_len = (uint16_t)(n > CSA_PRODUCT_NAME_MAX ? CSA_PRODUCT_NAME_MAX : n);
    memcpy(r->product_name, p->product_name, r->product_name_len);
    return 0;
}

static void slot(const csa_region *region, device_image_slot_t *s)
{
    s->start = region->address;
    s->max_payload_size = csa_trailer_usable(region);
}

void csa_device_update_rules(const csa_product *p, device_get_update_rules_response_t *r)
{
    r->bootloader_features = csa_product_bootloader_features(p);
    r->requirements = csa_product_requirements(p);
    slot(&p->map->regions[CSA_REGION_APPLICATION], &r->application);
    slot(&p->map->regions[CSA_REGION_BOOTLOADER_A], &r->bootloader_a);
    slot(&p->map->regions[CSA_REGION_BOOTLOADER_B], &r->bootloader_b);
}

static void version(const csa_image_version_info *v, device_image_version_t *w)
{
    w->major = v->major;
    w->minor = v->minor;
    w->patch = v->patch;
    w->build = v->build;
}

void csa_device_versions(const csa_boot_handoff *h, uint8_t running_image, device_get_versions_response_t *r)
{
    r->running_image = running_image;
    r->active_bootloader = h->running_copy == CSA_REGION_BOOTLOADER_B ? DEVICE_BOOTLOADER_SLOT_B
                                                                      : DEVICE_BOOTLOADER_SLOT_A;
    version(&h->bootloader_version, &r->bootloader_version);
    version(&h->application_version, &r->application_version);
    r->application_valid = h->application_valid != 0;
    r->security_counter = h->security_counter;
    r->protocol_version = (uint16_t)CSA_PROTOCOL_VERSION;
}

static void version_of(const csa_region_check *c, csa_image_version_info *v)
{
    memset(v, 0, sizeof *v);
    if (c == NULL || c->state != CSA_REGION_VALID)
        return;
    v->major = c->version_major;
    v->minor = c->version_minor;
    v->patch = c->version_patch;
    v->build = c->version_build;
}

void csa_device_handoff_from(const csa_bootloader *bl, csa_boot_handoff *h)
{
    const csa_region_check *app = csa_bl_region(bl, CSA_REGION_APPLICATION);
    memset(h, 0, sizeof *h);
    h->running_copy = bl->running;
    version_of(csa_bl_region(bl, bl->running), &h->bootloader_version);
    h->application_valid = app != NULL && app->state == CSA_REGION_VALID;
    version_of(app, &h->application_version);
    h->security_counter = csa_bl_security_counter(bl);
}
