/* The Provisioning interface as the resident bootloader answers it (provisioning.rpc.json, docs/security.md 10):
 * every command; InstallCertificate erases and programs, so its work runs in the poll step like BeginUpdate's. */
#include "bl_service_internal.h"
#include "csa/csa_rpc_packet.h"
#include "provisioning_common.h"

#include <string.h>

#if CSA_BOOT_PROVISIONING

/* Busy while a deferred command waits for its flash work: commands run one at a time, in arrival order. */
static uint16_t busy(csa_bl_service *svc)
{
    if (svc->job.kind == CSA_BL_JOB_NONE)
        return 0;
    svc->stats.busy_answers++;
    return CSA_RPC_BUSY;
}

static uint16_t get_status(void *ctx, csa_rpc_call_t *call, const provisioning_get_provisioning_status_request_t *rq,
                           provisioning_get_provisioning_status_response_t *r)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    uint16_t code;
    (void)call;
    (void)rq;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if ((code = busy(svc)) != 0)
        return code;
    csa_prov_fill_status(&svc->identity, r);
    return 0;
}

static uint16_t generate_identity_key(void *ctx, csa_rpc_call_t *call,
                                      const provisioning_generate_identity_key_request_t *rq,
                                      provisioning_generate_identity_key_response_t *r)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    uint16_t code;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if ((code = busy(svc)) != 0)
        return code;
    /* The key pair is made in the key storage and the proof signed there: the private key never leaves it. */
    return csa_prov_answer(csa_identity_generate_key(&svc->identity, rq->station_nonce, r->public_key,
                                                     r->proof_of_possession),
                           call, svc->message, sizeof svc->message, &svc->power_lost);
}

static uint16_t install_certificate(void *ctx, csa_rpc_call_t *call,
                                    const provisioning_install_certificate_request_t *rq,
                                    provisioning_install_certificate_response_t *r)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    uint16_t code;
    (void)r;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if ((code = busy(svc)) != 0)
        return code;
    svc->job.kind = CSA_BL_JOB_INSTALL_CERTIFICATE;
    svc->job.call = call;
    memcpy(svc->job.certificate, rq->certificate, CSA_CERT_SIZE);
    svc->job.certificate_len = CSA_CERT_SIZE;
    return CSA_RPC_DEFERRED;
}

static uint16_t authenticate(void *ctx, csa_rpc_call_t *call, const provisioning_authenticate_request_t *rq,
                             provisioning_authenticate_response_t *r)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    uint16_t code;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if ((code = busy(svc)) != 0)
        return code;
    return csa_prov_authenticate(&svc->identity, call, rq, r, svc->message, sizeof svc->message, &svc->power_lost);
}

const provisioning_handlers_t csa_bl_provisioning_handlers = {get_status, generate_identity_key, install_certificate,
                                                              authenticate};

void csa_bl_run_install_certificate(csa_bl_service *svc, csa_rpc_call_t *call)
{
    provisioning_install_certificate_response_t r;
    csa_prov_status st = csa_identity_install(&svc->identity, svc->job.certificate, svc->job.certificate_len);
    uint16_t code = csa_prov_answer(st, call, svc->message, sizeof svc->message, &svc->power_lost);
    if (code == CSA_RPC_DEFERRED)
        return; /* the power failed: no answer */
    /* Provisioned (or repaired) now: BeginUpdate follows the new verdict at once. */
    csa_bl_set_lifecycle(&svc->bl, csa_identity_stay(&svc->identity));
    if (code != 0) {
        (void)csa_rpc_server_fail(&svc->server, call, code, call->error_message);
        return;
    }
    r.lifecycle = svc->identity.lifecycle;
    r.locked = svc->identity.locked != 0;
    (void)provisioning_install_certificate_respond(&svc->server, call, &r);
}

#endif /* CSA_BOOT_PROVISIONING */
