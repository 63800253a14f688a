/* The Device interface as an application answers it (device-model.md 7.3-7.4). */
#include "csa_service/app_runtime.h"

#include <string.h>

#include "csa/csa_rpc_packet.h"
#include "csa_boot/state.h"
#include "device_common.h"
#include "provisioning_common.h"

static uint16_t gone(const csa_app_runtime *rt)
{
    return rt->power_lost ? CSA_RPC_DEFERRED : 0;
}

static uint16_t get_identity(void *ctx, csa_rpc_call_t *call, const device_get_identity_request_t *request,
                             device_get_identity_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    (void)call;
    (void)request;
    return rt->power_lost ? CSA_RPC_DEFERRED : csa_device_identity(rt->product, rt->flash, response);
}

static uint16_t get_versions(void *ctx, csa_rpc_call_t *call, const device_get_versions_request_t *request,
                             device_get_versions_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    (void)call;
    (void)request;
    /* What the bootloader found at this start (the C# device reports its inventory of the last boot too). */
    csa_device_versions(&rt->handoff, DEVICE_IMAGE_KIND_APPLICATION, response);
    return gone(rt);
}

static uint16_t get_capabilities(void *ctx, csa_rpc_call_t *call, const device_get_capabilities_request_t *request,
                                 device_get_capabilities_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    (void)call;
    (void)request;
    response->max_frame_size = rt->server->node->limits.max_frame_size;
    response->receive_buffers = rt->server->node->limits.rx_buffers;
    response->max_packet_size = rt->server->node->limits.max_packet_size;
    /* The application forwards and restarts; the update features are the bootloader's (GetUpdateRules). */
    response->features = CSA_FEATURE_FORWARDING;
    return gone(rt);
}

/* A journal write that failed: FlashFault is the bootloader's word; the Device interface says the device cannot. */
static uint16_t journal_failed(csa_app_runtime *rt, csa_rpc_call_t *call, csa_flash_status st)
{
    if (st == CSA_FLASH_POWER_LOST) {
        rt->power_lost = 1;
        return CSA_RPC_DEFERRED;
    }
    memcpy(rt->message, "The state journal could not be written (flash error).",
           sizeof "The state journal could not be written (flash error).");
    call->error_message = rt->message;
    return DEVICE_ERR_NOT_ALLOWED;
}

static void schedule(csa_app_runtime *rt, uint32_t delay_ms)
{
    rt->reset_pending = 1;
    rt->reset_at = rt->server->node->now + delay_ms;
}

static uint16_t reset(void *ctx, csa_rpc_call_t *call, const device_reset_request_t *request,
                      device_reset_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    csa_flash_status st;
    (void)response;
    if (rt->power_lost)
        return CSA_RPC_DEFERRED;
    /* The request is persisted before the answer, so an answered Reset(Bootloader) always lands in the bootloader;
     * a normal reset forgets a request that may be pending. */
    st = request->mode == DEVICE_RESET_MODE_BOOTLOADER ? csa_state_request_bootloader(rt->flash, rt->product->map, 0)
                                                       : csa_state_clear_request(rt->flash, rt->product->map);
    if (st != CSA_FLASH_OK)
        return journal_failed(rt, call, st);
    schedule(rt, request->delay_milliseconds);
    return 0;
}

static uint16_t enter_bootloader(void *ctx, csa_rpc_call_t *call, const device_enter_bootloader_request_t *request,
                                 device_enter_bootloader_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    csa_flash_status st;
    (void)response;
    if (rt->power_lost)
        return CSA_RPC_DEFERRED;
    st = csa_state_request_bootloader(rt->flash, rt->product->map, request->wait_seconds);
    if (st != CSA_FLASH_OK)
        return journal_failed(rt, call, st);
    schedule(rt, CSA_APP_ENTER_BOOTLOADER_DELAY_MS);
    return 0;
}

static uint16_t get_update_rules(void *ctx, csa_rpc_call_t *call, const device_get_update_rules_request_t *request,
                                 device_get_update_rules_response_t *response)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    (void)call;
    (void)request;
    /* Both images are built for the same product: the application reports what its bootloader enforces, so a host
     * can check an image before it takes the device out of service (updates.md section 6). */
    csa_device_update_rules(rt->product, response);
    return gone(rt);
}

static const device_handlers_t handlers = {get_identity,     get_versions,    get_capabilities, reset,
                                           enter_bootloader, get_update_rules};

#if CSA_BOOT_PROVISIONING
/* ---- Provisioning, as the application answers it ---- */

static uint16_t prov_status(void *ctx, csa_rpc_call_t *call, const provisioning_get_provisioning_status_request_t *rq,
                            provisioning_get_provisioning_status_response_t *r)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    (void)call;
    (void)rq;
    csa_prov_fill_status(&rt->identity, r);
    return gone(rt);
}

static uint16_t bootloader_only(csa_app_runtime *rt, csa_rpc_call_t *call)
{
    return rt->power_lost ? CSA_RPC_DEFERRED
                          : csa_prov_answer(CSA_PROV_NOT_ALLOWED, call, rt->message, sizeof rt->message, &rt->power_lost);
}

static uint16_t prov_generate(void *ctx, csa_rpc_call_t *call, const provisioning_generate_identity_key_request_t *rq,
                              provisioning_generate_identity_key_response_t *r)
{
    (void)rq;
    (void)r;
    return bootloader_only((csa_app_runtime *)ctx, call);
}

static uint16_t prov_install(void *ctx, csa_rpc_call_t *call, const provisioning_install_certificate_request_t *rq,
                             provisioning_install_certificate_response_t *r)
{
    (void)rq;
    (void)r;
    return bootloader_only((csa_app_runtime *)ctx, call);
}

static uint16_t prov_authenticate(void *ctx, csa_rpc_call_t *call, const provisioning_authenticate_request_t *rq,
                                  provisioning_authenticate_response_t *r)
{
    csa_app_runtime *rt = (csa_app_runtime *)ctx;
    if (rt->power_lost)
        return CSA_RPC_DEFERRED;
    return csa_prov_authenticate(&rt->identity, call, rq, r, rt->message, sizeof rt->message, &rt->power_lost);
}

static const provisioning_handlers_t prov_handlers = {prov_status, prov_generate, prov_install, prov_authenticate};
#endif

int csa_app_runtime_init(csa_app_runtime *rt, const csa_product *product, const csa_flash *flash,
                         csa_rpc_server_t *server, csa_retained *retained, uint32_t now)
{
    memset(rt, 0, sizeof *rt);
    rt->product = product;
    rt->flash = flash;
    rt->server = server;
    rt->retained = retained;
    if (retained->has_handoff && csa_retained_valid(retained))
        rt->handoff = retained->handoff;
    rt->boot_ms = now;
    rt->next_heartbeat = now + product->heartbeat_ms;
    /* The application's data link takes groups as the bootloader's does (the C# device's node does in both): the
     * product decides, protocol.md 7.6. */
    (void)csa_node_set_max_groups(server->node, csa_product_max_groups(product));
    device_service_init(&rt->device_service, &handlers, rt);
#if CSA_BOOT_PROVISIONING
    if (csa_prov_served(product)) {
        int rc;
        csa_product_identity_config(product, &rt->identity_config);
        /* On a chip the application calls the bootloader's identity code (its service table, behind the firewall that
         * guards the key storage); here it reads the same record and storage. */
        if (csa_identity_read(&rt->identity, &rt->identity_config, flash, product->keystore) == CSA_PROV_POWER_LOST)
            rt->power_lost = 1;
        rc = csa_rpc_server_add(server, &rt->device_service);
        if (rc != CSA_OK)
            return rc;
        provisioning_service_init(&rt->provisioning_service, &prov_handlers, rt);
        return csa_rpc_server_add(server, &rt->provisioning_service);
    }
#endif
    return csa_rpc_server_add(server, &rt->device_service);
}

void csa_app_runtime_announce(csa_app_runtime *rt)
{
    device_state_changed_event_t started;
    started.previous = DEVICE_DEVICE_STATE_STARTING;
    started.current = DEVICE_DEVICE_STATE_RUNNING;
    (void)device_publish_state_changed(rt->server, &started); /* best effort: nobody may listen yet */
}

uint32_t csa_app_runtime_uptime(const csa_app_runtime *rt, uint32_t now)
{
    return now - rt->boot_ms;
}

csa_run csa_app_runtime_poll(csa_app_runtime *rt, uint32_t now)
{
    if (rt->power_lost)
        return CSA_RUN_POWER_LOST;
    if (rt->reset_pending && (int32_t)(now - rt->reset_at) >= 0) {
        rt->retained->has_address = 1;
        rt->retained->address = csa_node_address(rt->server->node);
        csa_retained_seal(rt->retained);
        return CSA_RUN_RESET;
    }
    if (rt->product->heartbeat_ms != 0u && (int32_t)(now - rt->next_heartbeat) >= 0) {
        device_heartbeat_event_t beat;
        rt->next_heartbeat = now + rt->product->heartbeat_ms;
        beat.state = DEVICE_DEVICE_STATE_RUNNING;
        beat.running_image = DEVICE_IMAGE_KIND_APPLICATION;
        beat.uptime_milliseconds = now - rt->boot_ms;
        (void)device_publish_heartbeat(rt->server, &beat);
    }
    return CSA_RUN_CONTINUE;
}
