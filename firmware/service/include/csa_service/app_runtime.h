/* The application side of the Csa device: the Device interface as an application answers it (docs/device-model.md
 * 7.3-7.4), for a customer's firmware next to its own interfaces. Identity and limits from the product, versions
 * from what the bootloader left in the retained RAM (csa_retained.handoff), GetUpdateRules from the product (so a
 * host checks an image before it takes the device out of service), and the two ways back into the bootloader:
 * EnterBootloader(wait) and Reset(Bootloader) persist the request in the state journal first
 * (csa_state_request_bootloader), answer, then reset; Reset(Normal) forgets a request first.
 *
 *     csa_rpc_server_init(&server, &node, CSA_PORT_RPC);
 *     csa_app_runtime_init(&rt, &product, &flash, &server, &retained, now);   // adds Device (and Provisioning)
 *     csa_rpc_server_add(&server, &my_service);                               // the application's own interfaces
 *     csa_app_runtime_announce(&rt);                                          // StateChanged(Starting -> Running)
 *     for (;;) { ... feed the links ...; if (csa_app_runtime_poll(&rt, now) == CSA_RUN_RESET) reset(); }
 *
 * The journal is the only flash it writes, and only for those commands. A product with a key storage or production
 * keys also serves Provisioning (docs/security.md 10): GetProvisioningStatus and Authenticate with the identity key;
 * GenerateIdentityKey and InstallCertificate answer NotAllowed (they run in the bootloader only). */
#ifndef CSA_SERVICE_APP_RUNTIME_H_
#define CSA_SERVICE_APP_RUNTIME_H_

#include <stdint.h>

#include "csa/csa_rpc_server.h"
#include "csa_boot/flash.h"
#include "csa_boot/identity.h"
#include "csa_service/handoff.h"
#include "csa_service/product.h"
#include "csa_service/run.h"
#include "device.rpc.binding.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long EnterBootloader waits after its answer before the reset (the C# DeviceService's delay). */
#define CSA_APP_ENTER_BOOTLOADER_DELAY_MS 20u

typedef struct csa_app_runtime {
    const csa_product *product;
    const csa_flash *flash;
    csa_rpc_server_t *server;
    csa_retained *retained;
    csa_rpc_service_t device_service;
    csa_boot_handoff handoff;
    uint32_t boot_ms;
    uint32_t next_heartbeat;
    uint8_t reset_pending;
    uint32_t reset_at;
    uint8_t power_lost;
    char message[96];
#if CSA_BOOT_PROVISIONING
    csa_identity_config identity_config;
    csa_identity identity;       /* read at the start, as the bootloader read it */
    csa_rpc_service_t provisioning_service;
#endif
} csa_app_runtime;

/* Adds the Device interface (and Provisioning) to the server. CSA_OK, or the server's error (CSA_ERR_CONFIG,
 * CSA_ERR_FULL). A power cut while the identity is read makes the first poll answer CSA_RUN_POWER_LOST. */
int csa_app_runtime_init(csa_app_runtime *rt, const csa_product *product, const csa_flash *flash,
                         csa_rpc_server_t *server, csa_retained *retained, uint32_t now);
/* Publishes StateChanged(Starting -> Running), best effort. */
void csa_app_runtime_announce(csa_app_runtime *rt);
/* Heartbeat, and a requested reset once its answer went out and its delay passed. */
csa_run csa_app_runtime_poll(csa_app_runtime *rt, uint32_t now);
/* Milliseconds since the application started. */
uint32_t csa_app_runtime_uptime(const csa_app_runtime *rt, uint32_t now);

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_APP_RUNTIME_H_ */
