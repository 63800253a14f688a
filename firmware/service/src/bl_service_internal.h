/* Shared by the bootloader service's files: the Bootloader interface (bl_service.c) and the Device interface as the
 * bootloader answers it (bl_device.c). */
#ifndef CSA_SERVICE_BL_SERVICE_INTERNAL_H_
#define CSA_SERVICE_BL_SERVICE_INTERNAL_H_

#include "csa_service/bootloader_service.h"
#include "provisioning.rpc.binding.h"

/* The Device interface's handlers of a resident bootloader. */
extern const device_handlers_t csa_bl_device_handlers;

/* An engine status as an RPC answer: 0, an error code with its text in svc->message, or CSA_RPC_DEFERRED (never
 * answered) when the power failed inside the call. */
uint16_t csa_bl_service_answer(csa_bl_service *svc, csa_rpc_call_t *call, csa_bl_status st, uint32_t first_missing);

#if CSA_BOOT_PROVISIONING
/* The Provisioning interface's handlers of a resident bootloader, and the deferred InstallCertificate. */
extern const provisioning_handlers_t csa_bl_provisioning_handlers;
void csa_bl_run_install_certificate(csa_bl_service *svc, csa_rpc_call_t *call);
#endif

/* Remembers what a reset keeps (the node address) and seals the retained area. */
void csa_bl_service_keep_address(csa_bl_service *svc);

#endif /* CSA_SERVICE_BL_SERVICE_INTERNAL_H_ */
