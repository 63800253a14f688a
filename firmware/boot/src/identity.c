/* Device identity on the bootloader (csa_boot/identity.h, docs/security.md 10.3-10.5; the C# ProvisioningService and
 * DeviceFirmware.ReadProvisioning are the other implementation of the same rules). */
#include "csa_boot/identity.h"

#include <string.h>

#include "csa/csa_crc32.h"
#include "csa_boot/bootloader.h"
#include "csa_crypto.h"
#include "le.h"

#define WRP_BYTES 64u /* one bit per sector: the largest geometry has 512 */

static const csa_region *region_of(const csa_identity *id)
{
    return &id->config->map->regions[CSA_REGION_PROVISIONING];
}

static csa_prov_status flash_status(csa_flash_status st)
{
    return st == CSA_FLASH_OK ? CSA_PROV_OK : st == CSA_FLASH_POWER_LOST ? CSA_PROV_POWER_LOST : CSA_PROV_FLASH_FAULT;
}

static int key_info(const csa_identity *id, csa_keystore_info *info)
{
    memset(info, 0, sizeof *info);
    /* A storage that cannot be read holds no usable key: the device is then blank (or damaged), never another's. */
    return id->keystore != NULL && id->keystore->ops->info(id->keystore->ctx, info) == CSA_KEYSTORE_OK && info->has_key;
}

int csa_identity_public_key(const csa_identity *id, uint8_t public_key[64])
{
    csa_keystore_info info;
    int has = key_info(id, &info);
    memset(public_key, 0, 64);
    if (has)
        memcpy(public_key, info.public_key, 64);
    return has;
}

void csa_identity_encode(const uint8_t certificate[CSA_CERT_SIZE], uint8_t body[CSA_ID_BODY_SIZE],
                         uint8_t commit[CSA_ID_COMMIT_SIZE])
{
    csa_put32(body, CSA_ID_RECORD_MAGIC);
    csa_put16(body + 4, 1u);
    csa_put16(body + 6, CSA_CERT_SIZE);
    memcpy(body + 8, certificate, CSA_CERT_SIZE);
    csa_put32(commit, CSA_ID_COMMIT_MAGIC);
    csa_put32(commit + 4, csa_crc32(body, CSA_ID_BODY_SIZE));
}

/* The region's record: erased, torn, or committed (whole body and marker; the certificate well formed). */
static csa_prov_status read_record(const csa_identity *id, uint8_t record[CSA_ID_RECORD_SIZE], uint8_t *state)
{
    const csa_region *r = region_of(id);
    csa_certificate cert;
    csa_flash_status st = csa_flash_read(id->flash, r->address, record, CSA_ID_RECORD_SIZE);
    int blank = 0;
    *state = CSA_ID_RECORD_TORN;
    if (st == CSA_FLASH_POWER_LOST)
        return CSA_PROV_POWER_LOST;
    if (st == CSA_FLASH_OK && csa_le32(record) == CSA_ID_RECORD_MAGIC && csa_le16(record + 4) == 1u
        && csa_le16(record + 6) == CSA_CERT_SIZE && csa_le32(record + CSA_ID_BODY_SIZE) == CSA_ID_COMMIT_MAGIC
        && csa_le32(record + CSA_ID_BODY_SIZE + 4) == csa_crc32(record, CSA_ID_BODY_SIZE)
        && csa_certificate_parse(record + 8, CSA_CERT_SIZE, &cert, NULL) == CSA_CERT_OK) {
        *state = CSA_ID_RECORD_COMMITTED;
        return CSA_PROV_OK;
    }
    /* Not committed (an L4 ECC error reads as torn): blank only when every byte of the region is erased. */
    st = csa_flash_is_blank(id->flash, r->address, r->size, &blank);
    if (st == CSA_FLASH_POWER_LOST)
        return CSA_PROV_POWER_LOST;
    if (st == CSA_FLASH_OK && blank)
        *state = CSA_ID_RECORD_ERASED;
    return CSA_PROV_OK;
}

/* Null when the committed certificate is this chip's, else why not (the order of FindStoredCertificateFault). */
static csa_id_fault fault_of(const csa_identity *id, const csa_certificate *c, const csa_keystore_info *key)
{
    const csa_identity_config *cfg = id->config;
    if (cfg->production_key_count == 0)
        return CSA_ID_FAULT_NO_ANCHOR;
    if (memcmp(c->uid, id->uid, CSA_IMAGE_UID_SIZE) != 0)
        return CSA_ID_FAULT_OTHER_UID;
    if (!key->has_key)
        return CSA_ID_FAULT_NO_KEY;
    if (!csa_ct_equal(c->public_key, key->public_key, 64))
        return CSA_ID_FAULT_OTHER_KEY;
    switch (csa_certificate_check(c, cfg->production_keys, cfg->production_key_count)) {
    case CSA_CERT_GENUINE:
        return CSA_ID_FAULT_NONE;
    case CSA_CERT_WRONG_LIFECYCLE:
        return CSA_ID_FAULT_LIFECYCLE;
    default:
        return CSA_ID_FAULT_NOT_GENUINE;
    }
}

static csa_prov_status read_lock(csa_identity *id)
{
    const csa_region *r = region_of(id);
    uint8_t wrp[WRP_BYTES];
    uint16_t s;
    csa_flash_status st;
    id->locked = 0;
    if (id->flash->ops->get_write_protection == NULL)
        return CSA_PROV_OK;
    st = id->flash->ops->get_write_protection(id->flash->ctx, wrp);
    if (st != CSA_FLASH_OK)
        return st == CSA_FLASH_POWER_LOST ? CSA_PROV_POWER_LOST : CSA_PROV_OK;
    id->locked = 1;
    for (s = r->first_sector; s < r->first_sector + r->sector_count; s++)
        if (!(wrp[s / 8u] & (1u << (s % 8u))))
            id->locked = 0;
    return CSA_PROV_OK;
}

csa_prov_status csa_identity_read(csa_identity *id, const csa_identity_config *config, const csa_flash *flash,
                                  const csa_keystore *keystore)
{
    uint8_t record[CSA_ID_RECORD_SIZE];
    csa_keystore_info key;
    csa_certificate cert;
    csa_prov_status ps;
    uint8_t state;
    memset(id, 0, sizeof *id);
    id->config = config;
    id->flash = flash;
    id->keystore = keystore;
    id->lifecycle = CSA_LIFECYCLE_BLANK;
    if (csa_flash_read_uid(flash, id->uid) == CSA_FLASH_POWER_LOST)
        return CSA_PROV_POWER_LOST;
    ps = read_record(id, record, &state);
    if (ps != CSA_PROV_OK)
        return ps;
    id->record = state;
    (void)key_info(id, &key);
    if (state == CSA_ID_RECORD_COMMITTED) {
        (void)csa_certificate_parse(record + 8, CSA_CERT_SIZE, &cert, NULL);
        id->fault = (uint8_t)fault_of(id, &cert, &key);
    }
    if (state == CSA_ID_RECORD_COMMITTED && id->fault == CSA_ID_FAULT_NONE) {
        id->lifecycle = CSA_LIFECYCLE_PROVISIONED;
        memcpy(id->certificate, record + 8, CSA_CERT_SIZE);
        /* Heals a commit whose key-storage note a power cut overtook: the key is certified from now on. A storage
         * that cannot be written leaves the device provisioned all the same (the record decides). */
        {
            uint8_t digest[32];
            csa_sha256(record + 8, CSA_CERT_SIZE, digest);
            if (!key.certified || memcmp(key.certified_digest, digest, 32) != 0)
                (void)id->keystore->ops->mark_certified(id->keystore->ctx, digest);
        }
    } else if (key.has_key && key.certified)
        id->stay = CSA_STAY_PROVISIONING_DAMAGED; /* a certified key without its record: damage, not a blank device */
    else if (id->fault != CSA_ID_FAULT_NONE)
        id->stay = CSA_STAY_IDENTITY_MISMATCH; /* a copied flash, or a key storage that lost its key */
    else if (config->require_provisioning)
        id->stay = CSA_STAY_NOT_PROVISIONED;
    return read_lock(id);
}

csa_prov_status csa_identity_complete_lock(csa_identity *id)
{
    const csa_region *r = region_of(id);
    uint8_t wrp[WRP_BYTES];
    uint16_t s;
    csa_flash_status st;
    if (id->lifecycle != CSA_LIFECYCLE_PROVISIONED || id->locked || id->flash->ops->set_write_protection == NULL
        || id->flash->ops->get_write_protection == NULL)
        return CSA_PROV_OK;
    st = id->flash->ops->get_write_protection(id->flash->ctx, wrp);
    if (st == CSA_FLASH_OK) {
        for (s = r->first_sector; s < r->first_sector + r->sector_count; s++)
            wrp[s / 8u] = (uint8_t)(wrp[s / 8u] | 1u << (s % 8u));
        st = id->flash->ops->set_write_protection(id->flash->ctx, wrp);
    }
    if (st == CSA_FLASH_POWER_LOST)
        return CSA_PROV_POWER_LOST;
    /* Refused (frozen option bytes): stays unlocked; InstallCertificate of the same certificate retries. */
    return read_lock(id);
}

static int anchored(const csa_identity *id)
{
    return id->config->production_key_count > 0 && id->keystore != NULL;
}

static csa_prov_status keystore_failed(csa_keystore_status st)
{
    return st == CSA_KEYSTORE_CERTIFIED ? CSA_PROV_ALREADY_PROVISIONED
           : st == CSA_KEYSTORE_NO_KEY  ? CSA_PROV_NO_IDENTITY_KEY
                                        : CSA_PROV_KEY_STORAGE;
}

csa_prov_status csa_identity_generate_key(csa_identity *id, const uint8_t nonce[CSA_NONCE_SIZE],
                                          uint8_t public_key[64], uint8_t proof[64])
{
    uint8_t message[CSA_KEY_POSSESSION_SIZE], digest[32];
    csa_keystore_info key;
    csa_keystore_status st;
    if (!anchored(id) || id->keystore->ops->generate == NULL || id->keystore->ops->sign == NULL)
        return CSA_PROV_NOT_SUPPORTED;
    if (id->lifecycle == CSA_LIFECYCLE_PROVISIONED)
        return CSA_PROV_ALREADY_PROVISIONED;
    if (key_info(id, &key) && key.certified)
        return CSA_PROV_ALREADY_PROVISIONED; /* provisioning is damaged: install the key's certificate again */
    st = id->keystore->ops->generate(id->keystore->ctx, public_key);
    if (st != CSA_KEYSTORE_OK)
        return keystore_failed(st);
    /* The proof is made on the device, with the key that never leaves the key storage. */
    csa_key_possession_message(id->uid, nonce, public_key, message);
    csa_sha256(message, sizeof message, digest);
    st = id->keystore->ops->sign(id->keystore->ctx, digest, proof);
    return st == CSA_KEYSTORE_OK ? CSA_PROV_OK : keystore_failed(st);
}

/* Every check of InstallCertificate before anything is written, in the C# device's order. */
static csa_prov_status check(const csa_identity *id, const uint8_t *bytes, uint16_t length)
{
    const csa_identity_config *cfg = id->config;
    csa_keystore_info key;
    csa_certificate c;
    if (!key_info(id, &key))
        return CSA_PROV_NO_IDENTITY_KEY;
    if (csa_certificate_parse(bytes, length, &c, NULL) != CSA_CERT_OK)
        return CSA_PROV_MALFORMED_CERTIFICATE;
    switch (csa_certificate_check(&c, cfg->production_keys, cfg->production_key_count)) {
    case CSA_CERT_UNKNOWN_ISSUER:
        return CSA_PROV_UNKNOWN_ISSUER;
    case CSA_CERT_BAD_SIGNATURE:
        return CSA_PROV_BAD_CERTIFICATE_SIGNATURE;
    default:
        break; /* the lifecycle is checked last, as the C# device does */
    }
    if (memcmp(c.uid, id->uid, CSA_IMAGE_UID_SIZE) != 0)
        return CSA_PROV_WRONG_DEVICE;
    if (!csa_ct_equal(c.public_key, key.public_key, 64))
        return CSA_PROV_WRONG_PUBLIC_KEY;
    if (c.vendor_id != cfg->vendor_id || c.device_class_id != cfg->device_class_id)
        return CSA_PROV_WRONG_PRODUCT;
    if (c.lifecycle != CSA_LIFECYCLE_PROVISIONED)
        return CSA_PROV_WRONG_LIFECYCLE;
    return CSA_PROV_OK;
}

/* Erase (only when the region is not blank: an earlier attempt was cut), body, commit marker: the commit point. */
static csa_prov_status store(csa_identity *id, const uint8_t certificate[CSA_CERT_SIZE])
{
    const csa_region *r = region_of(id);
    uint8_t body[CSA_ID_BODY_SIZE], commit[CSA_ID_COMMIT_SIZE];
    csa_flash_status st;
    int blank = 0;
    st = csa_flash_is_blank(id->flash, r->address, r->size, &blank);
    if (st == CSA_FLASH_OK && !blank)
        st = csa_map_erase_region(id->flash, r);
    csa_identity_encode(certificate, body, commit);
    if (st == CSA_FLASH_OK)
        st = csa_flash_program(id->flash, r->address, body, CSA_ID_BODY_SIZE);
    if (st == CSA_FLASH_OK)
        st = csa_flash_program(id->flash, r->address + CSA_ID_BODY_SIZE, commit, CSA_ID_COMMIT_SIZE);
    return flash_status(st);
}

csa_prov_status csa_identity_install(csa_identity *id, const uint8_t *certificate, uint16_t length)
{
    csa_prov_status ps;
    if (!anchored(id))
        return CSA_PROV_NOT_SUPPORTED;
    if (id->lifecycle == CSA_LIFECYCLE_PROVISIONED) {
        /* The stored certificate again completes a lock a power cut interrupted; any other is refused. */
        if (length != CSA_CERT_SIZE || memcmp(certificate, id->certificate, CSA_CERT_SIZE) != 0)
            return CSA_PROV_ALREADY_PROVISIONED;
        return csa_identity_complete_lock(id);
    }
    ps = check(id, certificate, length);
    if (ps != CSA_PROV_OK)
        return ps;
    ps = store(id, certificate);
    if (ps != CSA_PROV_OK)
        return ps;
    /* Read back as every start-up would: it verifies the record and notes the key as certified. */
    ps = csa_identity_read(id, id->config, id->flash, id->keystore);
    if (ps != CSA_PROV_OK)
        return ps;
    if (id->lifecycle != CSA_LIFECYCLE_PROVISIONED)
        return CSA_PROV_FLASH_FAULT; /* it does not read back as committed */
    return csa_identity_complete_lock(id);
}

csa_prov_status csa_identity_authenticate(csa_identity *id, const uint8_t challenge[CSA_NONCE_SIZE],
                                          uint8_t certificate[CSA_CERT_SIZE], uint8_t signature[64])
{
    uint8_t message[CSA_AUTHENTICATION_SIZE], digest[32];
    csa_keystore_status st;
    if (id->lifecycle != CSA_LIFECYCLE_PROVISIONED)
        return CSA_PROV_NOT_PROVISIONED;
    if (id->keystore == NULL || id->keystore->ops->sign == NULL)
        return CSA_PROV_NO_IDENTITY_KEY;
    csa_authentication_message(id->uid, challenge, id->certificate, message);
    csa_sha256(message, sizeof message, digest);
    st = id->keystore->ops->sign(id->keystore->ctx, digest, signature);
    if (st != CSA_KEYSTORE_OK)
        return keystore_failed(st);
    memcpy(certificate, id->certificate, CSA_CERT_SIZE);
    return CSA_PROV_OK;
}
