/* The demo application interface (docs/device-model.md 7.5) on the application runtime's Device interface. */
#include "demo_app.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TELEMETRY_PERIOD_MS 1000u

/* ---- the sensor channels: deterministic waveforms of the uptime ---- */

int32_t csa_demo_reading(unsigned channel, uint32_t uptime_ms)
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

static uint32_t uptime(const csa_demo_app_t *app)
{
    return csa_app_runtime_uptime(&app->runtime, app->node->now);
}

static uint16_t get_reading(void *ctx, csa_rpc_call_t *call, const demo_app_get_reading_request_t *request,
                            demo_app_get_reading_response_t *response)
{
    csa_demo_app_t *app = (csa_demo_app_t *)ctx;
    uint32_t t = uptime(app);
    if (request->channel > 3u) {
        snprintf(app->message, sizeof app->message, "Channel %u does not exist; the device has channels 0..3.",
                 (unsigned)request->channel);
        call->error_message = app->message;
        return DEMO_APP_ERR_NO_SUCH_CHANNEL;
    }
    response->channel = request->channel;
    response->value = csa_demo_reading(request->channel, t);
    response->timestamp_milliseconds = t;
    return 0;
}

static uint16_t set_led(void *ctx, csa_rpc_call_t *call, const demo_app_set_led_request_t *request,
                        demo_app_set_led_response_t *response)
{
    csa_demo_app_t *app = (csa_demo_app_t *)ctx;
    (void)call;
    response->previous = app->led_on;
    app->led_on = request->on;
    return 0;
}

static uint16_t get_application_info(void *ctx, csa_rpc_call_t *call,
                                     const demo_app_get_application_info_request_t *request,
                                     demo_app_get_application_info_response_t *response)
{
    const csa_demo_app_t *app = (const csa_demo_app_t *)ctx;
    const csa_image_version_info *v = &app->runtime.handoff.application_version;
    (void)call;
    (void)request;
    /* The running image's version: what the bootloader verified before it started this application. */
    response->major = v->major;
    response->minor = v->minor;
    response->patch = v->patch;
    response->build = v->build;
    response->led_on = app->led_on;
    response->telemetry_counter = app->telemetry_counter;
    return 0;
}

static uint16_t add_mark(void *ctx, csa_rpc_call_t *call, const demo_app_add_mark_request_t *request,
                         demo_app_add_mark_response_t *response)
{
    csa_demo_app_t *app = (csa_demo_app_t *)ctx;
    (void)call;
    app->marks++;
    app->mark_sum += request->value;
    response->marks = app->marks;
    response->sum = app->mark_sum;
    return 0;
}

static const demo_app_handlers_t demo_handlers = {get_reading, set_led, get_application_info, add_mark};

int csa_demo_app_start(csa_demo_app_t *app, csa_node_t *node, const csa_product *product, const csa_flash *flash,
                       csa_retained *retained, bool telemetry, uint32_t now)
{
    int rc;
    memset(app, 0, sizeof *app);
    app->node = node;
    app->telemetry = telemetry;
    app->next_telemetry = now + TELEMETRY_PERIOD_MS;
    rc = csa_rpc_server_init(&app->server, node, CSA_PORT_RPC);
    if (rc == CSA_OK)
        rc = csa_app_runtime_init(&app->runtime, product, flash, &app->server, retained, now);
    demo_app_service_init(&app->demo_service, &demo_handlers, app);
    if (rc == CSA_OK)
        rc = csa_rpc_server_add(&app->server, &app->demo_service);
    if (rc != CSA_OK)
        return rc;
    csa_app_runtime_announce(&app->runtime);
    return CSA_OK;
}

csa_run csa_demo_app_poll(csa_demo_app_t *app, uint32_t now)
{
    csa_run r = csa_app_runtime_poll(&app->runtime, now);
    if (r != CSA_RUN_CONTINUE)
        return r;
    if (app->telemetry && (int32_t)(now - app->next_telemetry) >= 0) {
        demo_app_telemetry_event_t t;
        uint32_t up = csa_app_runtime_uptime(&app->runtime, now);
        app->next_telemetry += TELEMETRY_PERIOD_MS;
        if ((int32_t)(now - app->next_telemetry) >= 0)
            app->next_telemetry = now + TELEMETRY_PERIOD_MS; /* skipped periods are not made up */
        t.counter = ++app->telemetry_counter;
        t.channel0 = csa_demo_reading(0, up);
        t.uptime_milliseconds = up;
        t.led_on = app->led_on;
        (void)demo_app_publish_telemetry(&app->server, &t);
    }
    return CSA_RUN_CONTINUE;
}
