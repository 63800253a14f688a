/* The bootloader as a device: the update engine (csa_boot/bootloader.h) behind the Bootloader interface, and the
 * Device interface as a bootloader answers it (docs/device-model.md 6 and 7.3-7.4), on one RPC server of the port's
 * node. No clock, threads or I/O of its own; a port's bootloader main() is:
 *
 *     csa_node_init(&node, &product.limits, retained.has_address ? retained.address : CSA_ADDR_UNASSIGNED, true, now);
 *     csa_node_add_link(&node, CSA_LINK_UPSTREAM, uart_write, &uart);           // and the downstream link, if any
 *     if (csa_bl_service_start(&svc, &product, &flash, &node, &retained, now, 0) != CSA_BL_OK) halt();
 *     if (svc.decision.start_application) jump_to(application_entry);           // retained.handoff says what it found
 *     for (;;) {
 *         feed the bytes each link received: csa_node_receive(&node, link, bytes, n, now);
 *         csa_node_poll(&node, now);
 *         switch (csa_bl_service_poll(&svc, now, idle)) {                        // idle: no byte is waiting
 *         case CSA_RUN_RESET: wait_for_uart_tx_complete(); NVIC_SystemReset();
 *         case CSA_RUN_POWER_LOST: ...                                           // simulation only
 *         default: break;
 *         }
 *     }
 *
 * What the poll step does, one thing per call: a deferred command (BeginUpdate, FinishUpdate, AbortUpdate: the
 * handlers answer CSA_RPC_DEFERRED and the work runs here, so the node has taken every byte that arrived before the
 * flash stalls the chip); else, when `idle`, one erase-ahead step (device-model.md 6.4.1: never while a command
 * waits, and with CSA_CONFIG_ERASE_IN_STEP only in step with the line: right after a command that started as its
 * packet arrived, or with no link more than max(64, M/16) bytes into a frame); the requested stay's deadline (the
 * request is forgotten and the chip resets into the application); the Heartbeat; a reset the host asked for, once its delay passed. Writes run in their handler (a program of one write
 * takes milliseconds; the erase it may need is what erase-ahead does beforehand). */
#ifndef CSA_SERVICE_BOOTLOADER_SERVICE_H_
#define CSA_SERVICE_BOOTLOADER_SERVICE_H_

#include <stdint.h>

#include "bootloader.rpc.binding.h"
#include "csa/csa_rpc_server.h"
#include "csa_boot/bootloader.h"
#include "csa_boot/decryptor.h"
#include "csa_boot/identity.h"
#include "csa_service/handoff.h"
#include "csa_service/product.h"
#include "csa_service/run.h"
#include "device.rpc.binding.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum csa_bl_job_kind {
    CSA_BL_JOB_NONE = 0,
    CSA_BL_JOB_BEGIN,
    CSA_BL_JOB_FINISH,
    CSA_BL_JOB_ABORT,
    CSA_BL_JOB_INSTALL_CERTIFICATE /* Provisioning.InstallCertificate: erase, program, lock */
} csa_bl_job_kind;

/* Counters for tests and logs. */
typedef struct csa_bl_service_stats {
    uint32_t deferred;          /* commands whose work ran in the poll step */
    uint32_t erase_ahead_steps; /* sectors erased ahead */
    uint32_t busy_answers;      /* commands answered Busy while a deferred one waited */
} csa_bl_service_stats;

typedef struct csa_bl_service {
    const csa_product *product;
    const csa_flash *flash;
    csa_node_t *node;
    csa_retained *retained;
    csa_bl_config config;
    csa_bootloader bl;
    csa_bl_decision decision;
    csa_rpc_server_t server;
    csa_rpc_service_t device_service;
    csa_rpc_service_t bootloader_service;
    struct {
        csa_bl_job_kind kind;
        csa_rpc_call_t *call;
        uint32_t owner;
        bootloader_begin_update_request_t begin; /* the request, copied: the dispatch scratch is reused */
#if CSA_BOOT_PROVISIONING
        uint8_t certificate[CSA_CERT_SIZE];      /* InstallCertificate's, copied */
        uint16_t certificate_len;
#endif
    } job;
#if CSA_BOOT_PROVISIONING
    /* Device identity (docs/security.md 10): read at the start, served through the Provisioning interface when the
     * product has a key storage or production keys. */
    csa_identity_config identity_config;
    csa_identity identity;
    csa_rpc_service_t provisioning_service;
#endif
#if CSA_BOOT_DECRYPT
    csa_keystore_decryptor decryptor;           /* over the product's key storage, when it has one */
#endif
    uint32_t boot_ms;
    uint32_t next_heartbeat;
    uint8_t reset_pending;
    uint32_t reset_at;
    uint8_t power_lost;
    uint8_t erase_pending;      /* the last erase-ahead step erased a sector: there may be more */
#if CSA_CONFIG_ERASE_IN_STEP
    uint8_t started_on_arrival; /* the last command started with the next frame only just begun (6.4.1) */
#endif
    char message[112];          /* the text of the last error answer */
    csa_bl_service_stats stats;
} csa_bl_service;

/* Power-on of a bootloader copy (device-model.md 5.2): binds the engine to the product and the flash, checks the
 * regions and the journal, and decides (svc->decision). When the application is to start, the findings are left in
 * retained->handoff and nothing is served: the port jumps to the application. Otherwise it serves Device and
 * Bootloader on CSA_PORT_RPC of the node (its links added) and announces StateChanged(Starting -> WaitingForUpdate).
 * lifecycle: a verdict the port found itself (CSA_STAY_NOT_PROVISIONED .. PROVISIONING_DAMAGED) or 0; a build with
 * CSA_BOOT_PROVISIONING reads the Provisioning region and the key storage itself (csa_identity_read) and completes an
 * interrupted lock, and uses that verdict when the port passes 0.
 * Returns CSA_BL_OK, CSA_BL_POWER_LOST, or CSA_BL_NOT_ALLOWED when the product does not fit this build. A bricked
 * chip (no valid copy) is decision.running == 0: the port halts. */
csa_bl_status csa_bl_service_start(csa_bl_service *svc, const csa_product *product, const csa_flash *flash,
                                   csa_node_t *node, csa_retained *retained, uint32_t now, uint8_t lifecycle);

/* One step of the bootloader's main loop (see above). `idle`: no received byte waits to be fed to the node. */
csa_run csa_bl_service_poll(csa_bl_service *svc, uint32_t now, int idle);

/* 1 when the poll step has more work it could do at once (a deferred command, or erase-ahead in progress and in
 * step with the line): the port's main loop then polls again without sleeping. */
int csa_bl_service_busy(const csa_bl_service *svc);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_BOOTLOADER_SERVICE_H_ */
