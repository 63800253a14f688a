/*
 * The demo application (docs/device-model.md 7.5): what runs when the pre-bootloader and the bootloader have
 * verified the installed application image and started it. Its own interface (demo-app.rpc.json: readings, the LED,
 * marks, Telemetry once a second) next to the Device interface of the application runtime (csa_service/app_runtime.h),
 * reporting the installed image's version. It sees time only through the `now` its caller passes, so tests drive it
 * with any clock.
 */
#ifndef CSA_DEMO_APP_H_
#define CSA_DEMO_APP_H_

#include <stdbool.h>
#include <stdint.h>

#include "csa/csa_node.h"
#include "csa/csa_rpc_server.h"
#include "csa_service/app_runtime.h"
#include "demo-app.rpc.binding.h"

/** The running application: the node's RPC server, the Device interface (runtime) and the application's RAM. */
typedef struct {
    csa_node_t *node;
    csa_rpc_server_t server;
    csa_app_runtime runtime;
    csa_rpc_service_t demo_service;
    bool telemetry;             /**< Publish Telemetry once a second. */
    uint32_t next_telemetry;
    bool led_on;
    uint32_t telemetry_counter;
    uint32_t marks;
    uint32_t mark_sum;
    char message[96];
} csa_demo_app_t;

/** Starts the application on a node whose links are added: serves Device and DemoApp on CSA_PORT_RPC and publishes
    StateChanged(Starting -> Running). The version it reports is the installed image's, from retained->handoff. */
int csa_demo_app_start(csa_demo_app_t *app, csa_node_t *node, const csa_product *product, const csa_flash *flash,
                       csa_retained *retained, bool telemetry, uint32_t now);

/** Publishes the periodic events; returns CSA_RUN_RESET when the host asked for a reset (its answer went out and
    its delay passed: the port resets), CSA_RUN_POWER_LOST when a journal write lost power. */
csa_run csa_demo_app_poll(csa_demo_app_t *app, uint32_t now);

/** The demo application's reading of a channel at an uptime (docs/device-model.md 7.5). */
int32_t csa_demo_reading(unsigned channel, uint32_t uptime_ms);

#endif /* CSA_DEMO_APP_H_ */
