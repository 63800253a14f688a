/* The Device interface as a resident bootloader answers it (device-model.md 7.3-7.4). */
#include <string.h>

#include "bl_service_internal.h"
#include "csa/csa_rpc_packet.h"
#include "csa_boot/state.h"
#include "device_common.h"

static uint16_t get_identity(void *ctx, csa_rpc_call_t *call, const device_get_identity_request_t *request,
                             device_get_identity_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    (void)call;
    (void)request;
    return svc->power_lost ? CSA_RPC_DEFERRED : csa_device_identity(svc->product, svc->flash, response);
}

static uint16_t get_versions(void *ctx, csa_rpc_call_t *call, const device_get_versions_request_t *request,
                             device_get_versions_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    csa_boot_handoff now;
    (void)call;
    (void)request;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    /* As the bootloader sees the regions now: an update completed since the start shows. */
    csa_device_handoff_from(&svc->bl, &now);
    csa_device_versions(&now, DEVICE_IMAGE_KIND_BOOTLOADER, response);
    return 0;
}

static uint16_t get_capabilities(void *ctx, csa_rpc_call_t *call, const device_get_capabilities_request_t *request,
                                 device_get_capabilities_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    (void)call;
    (void)request;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    response->max_frame_size = svc->node->limits.max_frame_size;
    response->receive_buffers = svc->node->limits.rx_buffers;
    response->max_packet_size = svc->node->limits.max_packet_size;
    response->features = csa_product_bootloader_features(svc->product);
    return 0;
}

/* Busy while a deferred command waits for its flash work (the C# device answers Busy during a flash operation). */
static uint16_t busy(csa_bl_service *svc, csa_rpc_call_t *call)
{
    if (svc->job.kind == CSA_BL_JOB_NONE)
        return 0;
    call->error_message = "A flash operation is in progress; try again when it has finished.";
    return DEVICE_ERR_BUSY;
}

static uint16_t reset(void *ctx, csa_rpc_call_t *call, const device_reset_request_t *request,
                      device_reset_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    csa_bl_status st;
    uint16_t code;
    (void)response;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if ((code = busy(svc, call)) != 0)
        return code;
    /* Persisted before the answer: an answered Reset(Bootloader) lands in the bootloader even if the power fails in
     * the delay. Reset(Normal) forgets a request, so a valid application starts. */
    if (request->mode == DEVICE_RESET_MODE_BOOTLOADER) {
        csa_flash_status fs = csa_state_request_bootloader(svc->flash, svc->product->map, 0);
        st = fs == CSA_FLASH_OK ? CSA_BL_OK : fs == CSA_FLASH_POWER_LOST ? CSA_BL_POWER_LOST : CSA_BL_FLASH_FAULT;
    } else
        st = csa_bl_end_requested_stay(&svc->bl);
    if (st != CSA_BL_OK)
        return csa_bl_service_answer(svc, call, st, 0);
    svc->reset_pending = 1;
    svc->reset_at = svc->node->now + request->delay_milliseconds;
    return 0; /* the answer goes out when this returns; the poll step resets after the delay */
}

static uint16_t enter_bootloader(void *ctx, csa_rpc_call_t *call, const device_enter_bootloader_request_t *request,
                                 device_enter_bootloader_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    (void)call;
    (void)request;
    (void)response;
    /* The host is where it wants to be: answer and keep waiting. */
    return svc->power_lost ? CSA_RPC_DEFERRED : 0;
}

static uint16_t get_update_rules(void *ctx, csa_rpc_call_t *call, const device_get_update_rules_request_t *request,
                                 device_get_update_rules_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    (void)call;
    (void)request;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    csa_device_update_rules(svc->product, response);
    return 0;
}

const device_handlers_t csa_bl_device_handlers = {get_identity,     get_versions,    get_capabilities, reset,
                                                  enter_bootloader, get_update_rules};
