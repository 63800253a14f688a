/* The Device and demo application interfaces of the device program (docs/device-model.md 7.3 to 7.5). */
#include "device_app.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TELEMETRY_PERIOD_MS 1000u
#define FEATURE_FORWARDING 0x00000020u

/* ---- the demo application's sensor channels: deterministic waveforms of the uptime ---- */

int32_t csa_device_reading(unsigned channel, uint32_t uptime_ms)
{
    static const struct {
        int32_t baseline;
        int32_t amplitude;
        double period_s;
    } channels[4] = {{36600, 400, 60.0}, {101325, 1500, 300.0}, {3300, 50, 10.0}, {120, 30, 5.0}};
    const double pi = 3.14159265358979323846;
    double t = (double)uptime_ms / 1000.0;
    double phase = 2.0 * pi * fmod(t, channels[channel].period_s) / channels[channel].period_s;
    /* nearbyint rounds half to even in the default rounding mode, as the SDK's Math.Round does. */
    return channels[channel].baseline + (int32_t)nearbyint((double)channels[channel].amplitude * sin(phase));
}

static uint32_t uptime(const csa_device_t *d)
{
    return d->node->now - d->boot_ms;
}

/* ---- Device interface ---- */

static uint16_t get_identity(void *ctx, csa_rpc_call_t *call, const device_get_identity_request_t *request,
                             device_get_identity_response_t *response)
{
    const csa_device_t *d = (const csa_device_t *)ctx;
    (void)call;
    (void)request;
    response->vendor_id = d->identity.vendor_id;
    response->device_class = d->identity.device_class;
    memcpy(response->uid, d->identity.uid, sizeof response->uid);
    response->mcu_device_id = d->identity.mcu_device_id;
    response->hardware_revision = d->identity.hardware_revision;
    response->product_name_len = (uint16_t)strlen(d->identity.product_name);
    memcpy(response->product_name, d->identity.product_name, response->product_name_len);
    return 0;
}

static uint16_t get_versions(void *ctx, csa_rpc_call_t *call, const device_get_versions_request_t *request,
                             device_get_versions_response_t *response)
{
    const csa_device_t *d = (const csa_device_t *)ctx;
    (void)call;
    (void)request;
    response->running_image = DEVICE_IMAGE_KIND_APPLICATION;
    response->active_bootloader = DEVICE_BOOTLOADER_SLOT_A;
    response->bootloader_version = d->identity.bootloader_version;
    response->application_version = d->identity.application_version;
    response->application_valid = true;
    response->security_counter = d->identity.security_counter;
    response->protocol_version = (uint16_t)CSA_PROTOCOL_VERSION;
    return 0;
}

static uint16_t get_capabilities(void *ctx, csa_rpc_call_t *call, const device_get_capabilities_request_t *request,
                                 device_get_capabilities_response_t *response)
{
    const csa_device_t *d = (const csa_device_t *)ctx;
    (void)call;
    (void)request;
    /* Exactly what the node enforces and advertises over link management. */
    response->max_frame_size = d->node->limits.max_frame_size;
    response->receive_buffers = d->node->limits.rx_buffers;
    response->max_packet_size = d->node->limits.max_packet_size;
    /* The application forwards and restarts; the update features are the bootloader's (device-model.md 7.4). */
    response->features = FEATURE_FORWARDING;
    return 0;
}

static uint16_t reset(void *ctx, csa_rpc_call_t *call, const device_reset_request_t *request,
                      device_reset_response_t *response)
{
    csa_device_t *d = (csa_device_t *)ctx;
    (void)response;
    if (request->mode == DEVICE_RESET_MODE_BOOTLOADER) {
        call->error_message = "This device program has no bootloader to reset into.";
        return DEVICE_ERR_NOT_SUPPORTED;
    }
    /* The answer goes out when this handler returns (the port writes it whole), then the delay runs. */
    d->reset_pending = true;
    d->reset_at = d->node->now + request->delay_milliseconds;
    return 0;
}

static uint16_t enter_bootloader(void *ctx, csa_rpc_call_t *call, const device_enter_bootloader_request_t *request,
                                 device_enter_bootloader_response_t *response)
{
    (void)ctx;
    (void)request;
    (void)response;
    call->error_message = "This device program has no bootloader to enter.";
    return DEVICE_ERR_NOT_SUPPORTED;
}

/* No bootloader in this program: the host then checks images in the bootloader (docs/updates.md section 6). */
static uint16_t get_update_rules(void *ctx, csa_rpc_call_t *call, const device_get_update_rules_request_t *request,
                                 device_get_update_rules_response_t *response)
{
    (void)ctx;
    (void)request;
    (void)response;
    call->error_message = "This device program has no bootloader whose rules it could report.";
    return DEVICE_ERR_NOT_SUPPORTED;
}

static const device_handlers_t device_handlers = {get_identity,     get_versions,    get_capabilities, reset,
                                                  enter_bootloader, get_update_rules};

/* ---- demo application interface ---- */

static uint16_t get_reading(void *ctx, csa_rpc_call_t *call, const demo_app_get_reading_request_t *request,
                            demo_app_get_reading_response_t *response)
{
    const csa_device_t *d = (const csa_device_t *)ctx;
    static char message[96];
    uint32_t t = uptime(d);
    if (request->channel > 3u) {
        snprintf(message, sizeof message, "Channel %u does not exist; the device has channels 0..3.",
                 (unsigned)request->channel);
        call->error_message = message;
        return DEMO_APP_ERR_NO_SUCH_CHANNEL;
    }
    response->channel = request->channel;
    response->value = csa_device_reading(request->channel, t);
    response->timestamp_milliseconds = t;
    return 0;
}

static uint16_t set_led(void *ctx, csa_rpc_call_t *call, const demo_app_set_led_request_t *request,
                        demo_app_set_led_response_t *response)
{
    csa_device_t *d = (csa_device_t *)ctx;
    (void)call;
    response->previous = d->led_on;
    d->led_on = request->on;
    return 0;
}

static uint16_t get_application_info(void *ctx, csa_rpc_call_t *call,
                                     const demo_app_get_application_info_request_t *request,
                                     demo_app_get_application_info_response_t *response)
{
    const csa_device_t *d = (const csa_device_t *)ctx;
    (void)call;
    (void)request;
    response->major = d->identity.application_version.major;
    response->minor = d->identity.application_version.minor;
    response->patch = d->identity.application_version.patch;
    response->build = d->identity.application_version.build;
    response->led_on = d->led_on;
    response->telemetry_counter = d->telemetry_counter;
    return 0;
}

static uint16_t add_mark(void *ctx, csa_rpc_call_t *call, const demo_app_add_mark_request_t *request,
                         demo_app_add_mark_response_t *response)
{
    csa_device_t *d = (csa_device_t *)ctx;
    (void)call;
    d->marks++;
    d->mark_sum += request->value;
    response->marks = d->marks;
    response->sum = d->mark_sum;
    return 0;
}

static const demo_app_handlers_t demo_handlers = {get_reading, set_led, get_application_info, add_mark};

/* ---- start, events, reset ---- */

static int boot(csa_device_t *d, uint32_t now)
{
    device_state_changed_event_t started;
    int rc;
    d->boot_ms = now;
    d->next_heartbeat = now + d->identity.heartbeat_ms;
    d->next_telemetry = now + TELEMETRY_PERIOD_MS;
    d->reset_pending = false;
    d->led_on = false;
    d->telemetry_counter = 0;
    d->marks = 0;
    d->mark_sum = 0;
    rc = csa_rpc_server_init(&d->server, d->node, CSA_PORT_RPC);
    if (rc != CSA_OK)
        return rc;
    device_service_init(&d->device_service, &device_handlers, d);
    demo_app_service_init(&d->demo_service, &demo_handlers, d);
    rc = csa_rpc_server_add(&d->server, &d->device_service);
    if (rc == CSA_OK)
        rc = csa_rpc_server_add(&d->server, &d->demo_service);
    if (rc != CSA_OK)
        return rc;
    /* Best effort, as on the SDK's virtual device: nobody may listen yet. */
    started.previous = DEVICE_DEVICE_STATE_STARTING;
    started.current = DEVICE_DEVICE_STATE_RUNNING;
    (void)device_publish_state_changed(&d->server, &started);
    return CSA_OK;
}

int csa_device_start(csa_device_t *device, csa_node_t *node, const csa_device_identity_t *identity, uint32_t now)
{
    memset(device, 0, sizeof *device);
    device->identity = *identity;
    device->node = node;
    return boot(device, now);
}

/* A reset: RAM starts over (node, cache, application), except the node address, which firmware keeps in a RAM word
   that start-up does not clear (device-model.md 7.2), and the wires, which belong to the board. */
static void do_reset(csa_device_t *d, uint32_t now)
{
    csa_node_t *node = d->node;
    csa_limits_t limits = node->limits;
    uint8_t address = node->address;
    bool allow = node->allow_assignment;
    csa_link_t saved[CSA_CONFIG_MAX_LINKS];
    uint8_t count = node->link_count, i;
    memcpy(saved, node->links, sizeof saved);
    (void)csa_node_init(node, &limits, address, allow, now);
    for (i = 0; i < count; i++) {
        (void)csa_node_add_link(node, saved[i].role, saved[i].write, saved[i].ctx);
        csa_node_set_link_open(node, i, saved[i].open);
    }
    d->resets++;
    (void)boot(d, now);
}

bool csa_device_poll(csa_device_t *d, uint32_t now)
{
    if (d->reset_pending && (int32_t)(now - d->reset_at) >= 0) {
        do_reset(d, now);
        return true;
    }
    if (d->identity.heartbeat_ms != 0u && (int32_t)(now - d->next_heartbeat) >= 0) {
        device_heartbeat_event_t beat;
        d->next_heartbeat = now + d->identity.heartbeat_ms;
        beat.state = DEVICE_DEVICE_STATE_RUNNING;
        beat.running_image = DEVICE_IMAGE_KIND_APPLICATION;
        beat.uptime_milliseconds = now - d->boot_ms;
        (void)device_publish_heartbeat(&d->server, &beat);
    }
    if (d->identity.telemetry && (int32_t)(now - d->next_telemetry) >= 0) {
        demo_app_telemetry_event_t t;
        uint32_t up = now - d->boot_ms;
        d->next_telemetry += TELEMETRY_PERIOD_MS;
        if ((int32_t)(now - d->next_telemetry) >= 0)
            d->next_telemetry = now + TELEMETRY_PERIOD_MS; /* skipped periods are not made up */
        t.counter = ++d->telemetry_counter;
        t.channel0 = csa_device_reading(0, up);
        t.uptime_milliseconds = up;
        t.led_on = d->led_on;
        (void)demo_app_publish_telemetry(&d->server, &t);
    }
    return false;
}
