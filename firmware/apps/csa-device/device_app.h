/*
 * The device program's firmware, apart from its port: the Device interface (docs/device-model.md 7.4) and the
 * demo application interface (7.5) served on one node, with their events. It only sees time through the `now` its
 * caller passes, so tests drive it with any clock.
 */
#ifndef CSA_DEVICE_APP_H_
#define CSA_DEVICE_APP_H_

#include <stdbool.h>
#include <stdint.h>

#include "csa/csa_node.h"
#include "csa/csa_rpc_server.h"
#include "demo-app.rpc.binding.h"
#include "device.rpc.binding.h"

/** Who the device is and what it runs: the command line's choices. */
typedef struct {
    uint32_t vendor_id;
    uint32_t device_class;
    uint8_t uid[12];
    uint16_t mcu_device_id;     /**< 0x413 (STM32F4) or 0x415 (STM32L4). */
    uint16_t hardware_revision;
    char product_name[33];
    device_image_version_t application_version;
    device_image_version_t bootloader_version;
    uint32_t security_counter;
    uint32_t heartbeat_ms;      /**< 0: no Heartbeat events. */
    bool telemetry;             /**< Publish the demo application's Telemetry once a second. */
} csa_device_identity_t;

/** The running device: its node, its RPC server and the application's RAM. */
typedef struct {
    csa_device_identity_t identity;
    csa_node_t *node;
    csa_rpc_server_t server;
    csa_rpc_service_t device_service;
    csa_rpc_service_t demo_service;
    uint32_t boot_ms;
    uint32_t next_heartbeat;
    uint32_t next_telemetry;
    bool reset_pending;
    uint32_t reset_at;
    bool led_on;
    uint32_t telemetry_counter;
    uint32_t marks;
    uint32_t mark_sum;
    uint32_t resets;            /**< Resets since the process started (Device.Reset). */
} csa_device_t;

/** Starts the firmware on a node whose links are added: serves Device and DemoApp on CSA_PORT_RPC and publishes
    StateChanged(Starting -> Running). The node is re-initialised at every reset, keeping its address. */
int csa_device_start(csa_device_t *device, csa_node_t *node, const csa_device_identity_t *identity, uint32_t now);

/** Publishes the periodic events and carries out a pending reset; call it from the poll loop. Returns true when
    the device reset (the caller re-adds its links: the node was re-initialised). */
bool csa_device_poll(csa_device_t *device, uint32_t now);

/** The demo application's reading of a channel at an uptime (docs/device-model.md 7.5). */
int32_t csa_device_reading(unsigned channel, uint32_t uptime_ms);

#endif /* CSA_DEVICE_APP_H_ */
