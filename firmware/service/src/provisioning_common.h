/* The Provisioning interface's answers that the bootloader and the application give alike (provisioning.rpc.json,
 * docs/security.md 10): GetProvisioningStatus and Authenticate over csa_boot/identity.h, and the error texts. */
#ifndef CSA_SERVICE_PROVISIONING_COMMON_H_
#define CSA_SERVICE_PROVISIONING_COMMON_H_

#include <stddef.h>

#include "csa_boot/identity.h"
#include "csa_service/product.h"
#include "provisioning.rpc.binding.h"

#if CSA_BOOT_PROVISIONING

/* 1 when the product serves the Provisioning interface: it has a key storage or ships production keys (a product
 * with neither has no identity; its RPC configuration need not fit the interface). */
int csa_prov_served(const csa_product *p);

/* An identity status as an RPC answer: 0, the interface's error code with its text in `message`, an RPC error for a
 * key storage failure, or CSA_RPC_DEFERRED (no answer) when the power failed; *power_lost is set then. */
uint16_t csa_prov_answer(csa_prov_status st, csa_rpc_call_t *call, char *message, size_t cap, uint8_t *power_lost);

void csa_prov_fill_status(const csa_identity *id, provisioning_get_provisioning_status_response_t *r);

uint16_t csa_prov_authenticate(csa_identity *id, csa_rpc_call_t *call, const provisioning_authenticate_request_t *rq,
                               provisioning_authenticate_response_t *r, char *message, size_t cap,
                               uint8_t *power_lost);

#endif /* CSA_BOOT_PROVISIONING */

#endif /* CSA_SERVICE_PROVISIONING_COMMON_H_ */
