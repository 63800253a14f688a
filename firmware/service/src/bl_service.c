/* The Bootloader interface over the update engine (device-model.md 6), its deferred commands, erase-ahead, the
 * requested stay and the bootloader's start. */
#include <string.h>

#include "bl_service_internal.h"
#include "csa/csa_rpc_packet.h"
#include "device_common.h"
#include "provisioning_common.h"
#include "text.h"

static const char *const texts[] = {
    "",
    "The manifest is malformed.",
    "The manifest names a signing key this device does not trust.",
    "The manifest's signature (or CRC) does not hold.",
    "The image is for another vendor, device class or image kind.",
    "The image is not bound to this device's unique id.",
    "The image's security counter is below the device's.",
    "The image is linked for another address or does not fit the region.",
    "This device only takes encrypted images.",
    "The content key does not unwrap for this device and image.",
    "No update is in progress: send BeginUpdate with the image (again).",
    "Out of range: an empty or too long write, or an offset or end past the payload.",
    "An offset, a write's length or a block size is not a multiple of 16, or the block size is 0.",
    "Flash holds other data at that offset; the update must be restarted.",
    "Payload bytes are missing.",
    "The written payload's SHA-256 is not the manifest's; send the whole payload again.",
    "The flash controller reported an error.",
    "The command is refused in the device's state.",
    "Another host owns the update in progress; resume its image or abort it.",
    "The device is not provisioned (or not this chip's); it installs no firmware.",
    "Only whole 1 KiB granules or the valid image's whole payload are hashed.",
};

uint16_t csa_bl_service_answer(csa_bl_service *svc, csa_rpc_call_t *call, csa_bl_status st, uint32_t first_missing)
{
    size_t at;
    if (st == CSA_BL_OK)
        return 0;
    if (st == CSA_BL_POWER_LOST) {
        svc->power_lost = 1; /* a chip without power answers nothing */
        return CSA_RPC_DEFERRED;
    }
    if ((unsigned)st >= sizeof texts / sizeof texts[0])
        return CSA_RPC_INTERNAL_ERROR;
    at = csa_text_put(svc->message, sizeof svc->message, 0, texts[st]);
    if (st == CSA_BL_INCOMPLETE) {
        at = csa_text_put(svc->message, sizeof svc->message, at - 1u, " from offset ");
        at = csa_text_u32(svc->message, sizeof svc->message, at, first_missing);
        (void)csa_text_put(svc->message, sizeof svc->message, at, ": send them again.");
    }
    call->error_message = svc->message;
    return (uint16_t)st;
}

void csa_bl_service_keep_address(csa_bl_service *svc)
{
    svc->retained->has_address = 1;
    svc->retained->address = csa_node_address(svc->node);
    csa_retained_seal(svc->retained);
}

static void on_phase(void *ctx, uint8_t phase, uint8_t target, uint32_t committed)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    bootloader_update_phase_changed_event_t e;
    e.phase = phase;
    e.target = target;
    e.bytes_committed = committed;
    (void)bootloader_publish_update_phase_changed(&svc->server, &e); /* best effort, as every event */
}

#if CSA_CONFIG_ERASE_IN_STEP
/* In step with the line (device-model.md 6.4.1): no link holds more than max(64, M/16) decoded bytes of a frame
 * partway in. An erase covers the line only with what the host has sent and the device has not answered: the frame
 * arriving and the writes behind it. Right after a command that started as its packet arrived that is the host's
 * whole window; after a backlog (commands that waited behind an erase) it can be a window less most of a frame. */
static uint8_t in_step_with_line(const csa_bl_service *svc)
{
    const csa_node_t *node = svc->node;
    uint16_t slack = node->limits.max_frame_size / 16u;
    uint8_t l;
    if (slack < 64u)
        slack = 64u;
    for (l = 0; l < node->link_count; l++)
        if (csa_node_bytes_arriving(node, l) > slack)
            return 0;
    return 1;
}
#define NOTE_COMMAND_START(svc) ((svc)->started_on_arrival = in_step_with_line(svc))
/* Out of step (a frame partway in after a backlog), the erase waits: the next command starts as it arrives. */
#define ERASE_MAY_START(svc) ((svc)->started_on_arrival || in_step_with_line(svc))
#else
#define NOTE_COMMAND_START(svc) ((void)0)
#define ERASE_MAY_START(svc) 1
#endif

/* A command that arrives while a deferred one waits for its turn is answered Busy (rpc-packets.md: send again);
 * executing it first would reorder the host's commands. */
static int refuse_while_job(csa_bl_service *svc)
{
    if (svc->job.kind == CSA_BL_JOB_NONE)
        return 0;
    svc->stats.busy_answers++;
    return 1;
}

/* ---- handlers ---- */

static void region_status(const csa_bl_region_status *r, bootloader_region_status_t *w)
{
    w->region = r->region;
    w->state = r->state;
    w->start = r->start;
    w->size = r->size;
    w->version_major = r->version_major;
    w->version_minor = r->version_minor;
    w->version_patch = r->version_patch;
    w->version_build = r->version_build;
    w->security_counter = r->security_counter;
}

static uint16_t get_status(void *ctx, csa_rpc_call_t *call, const bootloader_get_status_request_t *request,
                           bootloader_get_status_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    csa_bl_status_answer a;
    csa_bl_status st;
    unsigned i;
    (void)request;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    st = csa_bl_get_status(&svc->bl, &a);
    if (st != CSA_BL_OK)
        return csa_bl_service_answer(svc, call, st, 0);
    response->running_copy = a.running_copy;
    response->stay_reason = a.stay_reason;
    for (i = 0; i < 4u; i++)
        region_status(&a.regions[i], &response->regions[i]);
    response->device_security_counter = a.device_security_counter;
    response->phase = a.phase;
    response->target = a.target;
    memcpy(response->manifest_digest, a.manifest_digest, 32);
    response->payload_size = a.payload_size;
    response->bytes_committed = a.bytes_committed;
    response->write_alignment = a.write_alignment;
    response->max_write_size = a.max_write_size;
    return 0;
}

static uint16_t begin_update(void *ctx, csa_rpc_call_t *call, const bootloader_begin_update_request_t *request,
                             bootloader_begin_update_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    (void)response;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if (refuse_while_job(svc))
        return CSA_RPC_BUSY;
    /* Everything is checked before anything is erased (an ECDSA verification, the key unwrap) and the Receiving record
     * is appended: done in the poll step, after the node has taken what arrived. Nothing is erased before the answer:
     * the record revokes the old image, and erase-ahead erases the payload's and then the trailer's sectors. */
    NOTE_COMMAND_START(svc);
    svc->job.kind = CSA_BL_JOB_BEGIN;
    svc->job.call = call;
    svc->job.owner = (uint32_t)call->src_node << 8 | call->src_port;
    svc->job.begin = *request;
    return CSA_RPC_DEFERRED;
}

static uint16_t write(void *ctx, csa_rpc_call_t *call, const bootloader_write_request_t *request,
                      bootloader_write_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    csa_bl_write_answer w;
    csa_bl_status st;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if (refuse_while_job(svc))
        return CSA_RPC_BUSY;
    NOTE_COMMAND_START(svc);
    /* The session is its owner's host (device-model.md 6.3): a write from another host would land in it. Compared by
     * node, not port: one host writes from several sockets (a group transfer has its own). Otherwise the request, in
     * the server's dispatch scratch, is writable and this handler's until it returns: an encrypted payload is
     * decrypted there in place. */
    if (svc->bl.session.active && (uint8_t)(svc->bl.session.owner >> 8) != call->src_node)
        st = CSA_BL_BUSY;
    else
        st = csa_bl_write(&svc->bl, request->offset, (uint8_t *)request->data, request->data_len, svc->node->now, &w);
    if (st != CSA_BL_OK)
        return csa_bl_service_answer(svc, call, st, 0);
    response->offset = w.offset;
    response->length = w.length;
    response->bytes_committed = w.bytes_committed;
    svc->erase_pending = 1; /* the prefix moved: the eraser may have a sector ahead of it */
    return 0;
}

static uint16_t defer(csa_bl_service *svc, csa_rpc_call_t *call, csa_bl_job_kind kind)
{
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    if (refuse_while_job(svc))
        return CSA_RPC_BUSY;
    NOTE_COMMAND_START(svc);
    svc->job.kind = kind;
    svc->job.call = call;
    return CSA_RPC_DEFERRED;
}

static uint16_t finish_update(void *ctx, csa_rpc_call_t *call, const bootloader_finish_update_request_t *request,
                              bootloader_finish_update_response_t *response)
{
    (void)request;
    (void)response;
    return defer((csa_bl_service *)ctx, call, CSA_BL_JOB_FINISH);
}

static uint16_t abort_update(void *ctx, csa_rpc_call_t *call, const bootloader_abort_update_request_t *request,
                             bootloader_abort_update_response_t *response)
{
    (void)request;
    (void)response;
    return defer((csa_bl_service *)ctx, call, CSA_BL_JOB_ABORT);
}

static uint16_t get_region_hash(void *ctx, csa_rpc_call_t *call, const bootloader_get_region_hash_request_t *request,
                                bootloader_get_region_hash_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    return csa_bl_service_answer(svc, call,
                                 csa_bl_get_region_hash(&svc->bl, request->region, request->offset, request->length,
                                                        response->sha256),
                                 0);
}

/* After a transfer to a group: the blocks this member still lacks (device-model.md 6.4.2). A read, like GetStatus: it
 * reads the session's block map and does not move the requested stay's deadline. */
static uint16_t get_missing_blocks(void *ctx, csa_rpc_call_t *call, const bootloader_get_missing_blocks_request_t *request,
                                   bootloader_get_missing_blocks_response_t *response)
{
    csa_bl_service *svc = (csa_bl_service *)ctx;
    if (svc->power_lost)
        return CSA_RPC_DEFERRED;
    return csa_bl_service_answer(svc, call,
                                 csa_bl_missing_blocks(&svc->bl, request->offset, request->block_size,
                                                       &response->bytes_committed, &response->block_count,
                                                       response->missing),
                                 0);
}

static const bootloader_handlers_t handlers = {get_status,   begin_update,    write,
                                               finish_update, abort_update, get_region_hash,
                                               get_missing_blocks};

/* ---- the deferred commands ---- */

static void run_job(csa_bl_service *svc, uint32_t now)
{
    csa_rpc_call_t *call = svc->job.call;
    csa_bl_job_kind kind = svc->job.kind;
    csa_bl_status st;
    uint16_t code;
    uint32_t missing = 0;
    svc->job.kind = CSA_BL_JOB_NONE;
    svc->stats.deferred++;
#if CSA_BOOT_PROVISIONING
    if (kind == CSA_BL_JOB_INSTALL_CERTIFICATE) {
        csa_bl_run_install_certificate(svc, call);
        return;
    }
#endif
    if (kind == CSA_BL_JOB_BEGIN) {
        const bootloader_begin_update_request_t *r = &svc->job.begin;
        bootloader_begin_update_response_t rsp;
        csa_bl_begin_answer a;
        memset(&a, 0, sizeof a);
        st = csa_bl_begin_update(&svc->bl, r->target, r->manifest, r->manifest_len, r->authentication,
                                 r->authentication_len, r->wrapped_key, r->wrapped_key_len, svc->job.owner, now, &a);
        code = csa_bl_service_answer(svc, call, st, 0);
        if (code == 0) {
            rsp.resume_offset = a.resume_offset;
            rsp.write_alignment = a.write_alignment;
            rsp.max_write_size = a.max_write_size;
            rsp.erase_milliseconds_max = a.erase_ms_max;
            (void)bootloader_begin_update_respond(&svc->server, call, &rsp);
            svc->erase_pending = 1;
            return;
        }
    } else if (kind == CSA_BL_JOB_FINISH) {
        bootloader_finish_update_response_t rsp;
        st = csa_bl_finish_update(&svc->bl, now, rsp.payload_sha256, &missing);
        code = csa_bl_service_answer(svc, call, st, missing);
        if (code == 0) {
            (void)bootloader_finish_update_respond(&svc->server, call, &rsp);
            return;
        }
        svc->erase_pending = 1; /* Incomplete or a hash mismatch: sectors to erase again */
    } else {
        bootloader_abort_update_response_t rsp;
        st = csa_bl_abort_update(&svc->bl, now);
        code = csa_bl_service_answer(svc, call, st, 0);
        if (code == 0) {
            (void)bootloader_abort_update_respond(&svc->server, call, &rsp);
            return;
        }
    }
    if (code != CSA_RPC_DEFERRED)
        (void)csa_rpc_server_fail(&svc->server, call, code, call->error_message);
}

/* ---- start and poll ---- */

csa_bl_status csa_bl_service_start(csa_bl_service *svc, const csa_product *product, const csa_flash *flash,
                                   csa_node_t *node, csa_retained *retained, uint32_t now, uint8_t lifecycle)
{
    device_state_changed_event_t started;
    csa_bl_status st;
    memset(svc, 0, sizeof *svc);
    svc->product = product;
    svc->flash = flash;
    svc->node = node;
    svc->retained = retained;
    csa_product_bl_config(product, &svc->config);
    svc->config.phase_changed = on_phase;
    svc->config.event_ctx = svc;
#if CSA_BOOT_DECRYPT
    if (product->keystore != NULL) {
        /* Content keys unwrap with the identity key, inside the key storage. */
        csa_keystore_decryptor_init(&svc->decryptor, product->keystore);
        svc->config.decryptor = &svc->decryptor.decryptor;
    }
#endif
    if (csa_bl_init(&svc->bl, &svc->config, flash) != 0)
        return CSA_BL_NOT_ALLOWED;
#if CSA_BOOT_PROVISIONING
    {
        /* The lifecycle at every start (security.md 10.5): the committed record must be this chip's. */
        csa_prov_status ps;
        csa_product_identity_config(product, &svc->identity_config);
        ps = csa_identity_read(&svc->identity, &svc->identity_config, flash, product->keystore);
        if (ps == CSA_PROV_OK)
            ps = csa_identity_complete_lock(&svc->identity); /* the one write a start-up may make */
        if (ps == CSA_PROV_POWER_LOST)
            return CSA_BL_POWER_LOST;
        if (lifecycle == 0)
            lifecycle = csa_identity_stay(&svc->identity);
    }
#endif
    st = csa_bl_start(&svc->bl, now, lifecycle, &svc->decision);
    if (st != CSA_BL_OK)
        return st;
    /* What the application will report (or a bootloader's GetVersions until the next change). */
    csa_device_handoff_from(&svc->bl, &retained->handoff);
    retained->has_handoff = 1;
    csa_retained_seal(retained);
    if (svc->decision.running == 0 || svc->decision.start_application)
        return CSA_BL_OK; /* bricked, or the port starts the application now */
    svc->boot_ms = now;
    svc->next_heartbeat = now + product->heartbeat_ms;
    if (csa_rpc_server_init(&svc->server, node, CSA_PORT_RPC) != CSA_OK
        || csa_node_set_max_groups(node, csa_product_max_groups(product)) != CSA_OK)
        return CSA_BL_NOT_ALLOWED;
    device_service_init(&svc->device_service, &csa_bl_device_handlers, svc);
    bootloader_service_init(&svc->bootloader_service, &handlers, svc);
    if (csa_rpc_server_add(&svc->server, &svc->device_service) != CSA_OK
        || csa_rpc_server_add(&svc->server, &svc->bootloader_service) != CSA_OK)
        return CSA_BL_NOT_ALLOWED; /* the build's configuration cannot serve the interfaces */
#if CSA_BOOT_PROVISIONING
    if (csa_prov_served(product)) {
        provisioning_service_init(&svc->provisioning_service, &csa_bl_provisioning_handlers, svc);
        if (csa_rpc_server_add(&svc->server, &svc->provisioning_service) != CSA_OK)
            return CSA_BL_NOT_ALLOWED;
    }
#endif
    started.previous = DEVICE_DEVICE_STATE_STARTING;
    started.current = DEVICE_DEVICE_STATE_WAITING_FOR_UPDATE;
    (void)device_publish_state_changed(&svc->server, &started);
    return CSA_BL_OK;
}

int csa_bl_service_busy(const csa_bl_service *svc)
{
    /* an erase held back out of step is not work to do at once: the port may wait for the rest of the frame */
    return svc->job.kind != CSA_BL_JOB_NONE || (svc->erase_pending && ERASE_MAY_START(svc));
}

csa_run csa_bl_service_poll(csa_bl_service *svc, uint32_t now, int idle)
{
    if (svc->power_lost)
        return CSA_RUN_POWER_LOST;
    if (svc->job.kind != CSA_BL_JOB_NONE) {
        run_job(svc, now);
        return svc->power_lost ? CSA_RUN_POWER_LOST : CSA_RUN_CONTINUE;
    }
    if (svc->reset_pending && (int32_t)(now - svc->reset_at) >= 0) {
        csa_bl_service_keep_address(svc);
        return CSA_RUN_RESET;
    }
    if (idle && svc->erase_pending && !svc->reset_pending && ERASE_MAY_START(svc)) {
        int erased = 0;
        csa_bl_status st = csa_bl_erase_ahead(&svc->bl, &erased);
        if (st == CSA_BL_POWER_LOST) {
            svc->power_lost = 1;
            return CSA_RUN_POWER_LOST;
        }
        svc->erase_pending = st == CSA_BL_OK && erased;
        svc->stats.erase_ahead_steps += erased ? 1u : 0u;
        if (erased)
            return CSA_RUN_CONTINUE; /* one sector per step: bytes that arrived meanwhile go first */
    }
    if (!svc->reset_pending && csa_bl_stay_expired(&svc->bl, now)) {
        /* No update command for the requested wait: forget the request and start the application again. */
        csa_bl_status st = csa_bl_end_requested_stay(&svc->bl);
        if (st == CSA_BL_POWER_LOST) {
            svc->power_lost = 1;
            return CSA_RUN_POWER_LOST;
        }
        csa_bl_service_keep_address(svc);
        return CSA_RUN_RESET;
    }
    if (svc->product->heartbeat_ms != 0u && (int32_t)(now - svc->next_heartbeat) >= 0) {
        device_heartbeat_event_t beat;
        svc->next_heartbeat = now + svc->product->heartbeat_ms;
        beat.state = DEVICE_DEVICE_STATE_WAITING_FOR_UPDATE;
        beat.running_image = DEVICE_IMAGE_KIND_BOOTLOADER;
        beat.uptime_milliseconds = now - svc->boot_ms;
        (void)device_publish_heartbeat(&svc->server, &beat);
    }
    return CSA_RUN_CONTINUE;
}
