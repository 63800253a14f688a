/* GetProvisioningStatus, Authenticate and the error texts, for the bootloader and the application. */
#include "provisioning_common.h"

#include <string.h>

#include "csa/csa_rpc_packet.h"
#include "text.h"

#if CSA_BOOT_PROVISIONING

static const char *const texts[] = {
    "",
    "Provisioning runs in the bootloader only; enter the bootloader first.",
    "The device is provisioned: its identity key is certified and provisioning is locked.",
    "The device is blank: it has no certificate to authenticate with.",
    "The device has no identity key: send GenerateIdentityKey first.",
    "The certificate is malformed (security.md 10.2).",
    "The certificate was issued by a key that is not a production key this bootloader trusts.",
    "The production key's signature over the certificate does not hold.",
    "The certificate is for another device's unique id.",
    "The certificate names another public key than this device's identity key.",
    "The certificate is for another vendor or device class.",
    "The certificate grants a lifecycle the device does not accept.",
    "The flash controller refused an operation while storing the certificate.",
    "This bootloader ships no production key: the product is not provisioned.",
};

int csa_prov_served(const csa_product *p)
{
    return p->keystore != NULL || p->production_key_count > 0;
}

uint16_t csa_prov_answer(csa_prov_status st, csa_rpc_call_t *call, char *message, size_t cap, uint8_t *power_lost)
{
    if (st == CSA_PROV_OK)
        return 0;
    if (st == CSA_PROV_POWER_LOST) {
        *power_lost = 1; /* a chip without power answers nothing */
        return CSA_RPC_DEFERRED;
    }
    if (st == CSA_PROV_KEY_STORAGE) {
        (void)csa_text_put(message, cap, 0, "The key storage failed (its random source or its storage).");
        call->error_message = message;
        return CSA_RPC_INTERNAL_ERROR;
    }
    if ((unsigned)st >= sizeof texts / sizeof texts[0])
        return CSA_RPC_INTERNAL_ERROR;
    (void)csa_text_put(message, cap, 0, texts[st]);
    call->error_message = message;
    return (uint16_t)st;
}

void csa_prov_fill_status(const csa_identity *id, provisioning_get_provisioning_status_response_t *r)
{
    memcpy(r->uid, id->uid, sizeof r->uid);
    r->lifecycle = id->lifecycle;
    r->locked = id->locked != 0;
    r->has_identity_key = csa_identity_public_key(id, r->public_key) != 0;
    r->certificate_len = id->lifecycle == CSA_LIFECYCLE_PROVISIONED ? CSA_CERT_SIZE : 0;
    if (r->certificate_len != 0)
        memcpy(r->certificate, id->certificate, CSA_CERT_SIZE);
}

uint16_t csa_prov_authenticate(csa_identity *id, csa_rpc_call_t *call, const provisioning_authenticate_request_t *rq,
                               provisioning_authenticate_response_t *r, char *message, size_t cap, uint8_t *power_lost)
{
    return csa_prov_answer(csa_identity_authenticate(id, rq->challenge, r->certificate, r->signature), call, message,
                           cap, power_lost);
}

#endif /* CSA_BOOT_PROVISIONING */
