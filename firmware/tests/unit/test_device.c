/* The device program's application (apps/csa-device: the demo application on the application runtime of
   firmware/service) against docs/device-model.md 7.3 to 7.5: the demo application's golden vectors, the Device
   interface's values, the ways back into the bootloader, and the events. Driven through a raw host on a wire, with
   the time set by the test, over a simulated L4 flash (the journal is the only flash the application writes). */
#include "csa_boot/state.h"
#include "csa_flashsim.h"
#include "csa_test.h"
#include "demo_app.h"
#include "test_net.h"

#include <stdlib.h>
#include <string.h>

static csa_node_t node;
static csa_demo_app_t device;
static csa_product product;
static csa_retained retained;
static csa_flashsim *chip;
static csa_flash flash;
static test_queue_t to_device, to_host;
static uint16_t next_id = 0x100;
static unsigned resets;
static bool no_multicast; /* the next start's product has multicast off */

static const uint8_t test_uid[12] = {0x2A, 0x00, 0x30, 0x00, 0x0B, 0x51, 0x33, 0x32, 0x34, 0x36, 0x38, 0x38};

static void new_chip(void)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = csa_map_stm32l4_1m.geometry;
    o.overwrite = CSA_FLASHSIM_REJECT_ANY_REPROGRAM;
    o.has_uid = 1;
    memcpy(o.uid, test_uid, sizeof test_uid);
    csa_flashsim_destroy(chip);
    chip = csa_flashsim_create(&o);
    CHECK(chip != NULL);
    flash = csa_flashsim_port(chip);
}

static void start_with(uint32_t now, uint32_t heartbeat_ms, bool telemetry, const csa_limits_t *limits)
{
    csa_product_defaults(&product, &csa_map_stm32l4_1m);
    product.vendor_id = 0x00C5A001u;
    product.device_class_id = 0x42u;
    product.hardware_revision = 3u;
    strcpy(product.product_name, "Pump-X");
    product.accept_crc = 1;
    product.heartbeat_ms = heartbeat_ms;
    product.multicast = no_multicast ? 0u : 1u;
    if (limits != NULL)
        product.limits = *limits;
    /* What the bootloader found before it started the application. */
    csa_retained_clear(&retained);
    retained.has_handoff = 1;
    retained.handoff.running_copy = CSA_REGION_BOOTLOADER_A;
    retained.handoff.application_valid = 1;
    retained.handoff.application_version.major = 2;
    retained.handoff.application_version.minor = 1;
    retained.handoff.application_version.patch = 7;
    retained.handoff.application_version.build = 99;
    retained.handoff.bootloader_version.major = 1;
    retained.handoff.security_counter = 5;
    csa_retained_seal(&retained);
    new_chip();
    memset(&to_device, 0, sizeof to_device);
    memset(&to_host, 0, sizeof to_host);
    CHECK_EQ(csa_node_init(&node, &product.limits, CSA_ADDR_UNASSIGNED, true, now), CSA_OK);
    CHECK_EQ(test_connect(&node, CSA_LINK_UPSTREAM, &to_device, &to_host), 0);
    CHECK_EQ(csa_demo_app_start(&device, &node, &product, &flash, &retained, telemetry, now), CSA_OK);
    resets = 0;
    to_host.len = 0; /* StateChanged at power-on: looked at in its own test */
}

static void start(uint32_t now, uint32_t heartbeat_ms, bool telemetry)
{
    csa_limits_t limits = {512u, 6u, 3000u};
    start_with(now, heartbeat_ms, telemetry, &limits);
}

/* Runs the device's loop from its clock to until (10 ms steps, as the POSIX main loop does). */
static void run_until(uint32_t until)
{
    uint32_t now = node.now;
    while ((int32_t)(until - now) > 0) {
        now = (int32_t)(until - now) < 10 ? until : now + 10u;
        test_queue_flush(&to_device, now);
        csa_node_poll(&node, now);
        if (csa_demo_app_poll(&device, now) == CSA_RUN_RESET) {
            resets++;
            return; /* the port resets the chip here */
        }
    }
}

static void assign_address(uint8_t address)
{
    const uint8_t assign[] = {0x03, 0x01, address, 0x00, 0x04};
    csa_frame_header_t h = test_header(CSA_ADDR_UNASSIGNED, 0, 0, 0, 1), got;
    uint8_t payload[64];
    size_t len;
    test_host_send_frame(&to_device, &h, assign, sizeof assign);
    test_queue_flush(&to_device, node.now);
    CHECK(test_host_next_frame(&to_host, &got, payload, &len));
    CHECK_EQ(csa_node_address(&node), address);
}

/* Sends a command from host:1 and returns the answer packet (skipping events). */
static size_t call(uint16_t iface, uint16_t cmd, const uint8_t *payload, size_t len, uint8_t *answer)
{
    uint8_t packet[256], frame_payload[1024];
    csa_rpc_header_t h;
    csa_frame_header_t fh = test_header(csa_node_address(&node), CSA_PORT_RPC, 0, CSA_PORT_RPC, next_id), got;
    size_t n, total = 0;
    h.kind = CSA_RPC_COMMAND;
    h.flags = 0;
    h.interface_id = iface;
    h.message_id = cmd;
    h.request_id = next_id++;
    csa_rpc_write_header(packet, &h);
    if (len > 0u)
        memcpy(packet + 8, payload, len);
    test_host_send_frame(&to_device, &fh, packet, 8u + len);
    test_queue_flush(&to_device, node.now);
    while (test_host_next_frame(&to_host, &got, frame_payload, &n)) {
        if (got.fragment == 0u && n >= 1u && (frame_payload[0] & 0x0Fu) == CSA_RPC_EVENT)
            continue;
        memcpy(answer + total, frame_payload, n);
        total += n;
        if (got.last)
            return total;
    }
    CHECK(0); /* no answer */
    return 0;
}

static void demo_golden(const char *marker, uint8_t *out, size_t *len)
{
    char *doc = csa_test_read_doc("device-model.md");
    const char *block = strstr(doc, marker);
    long n;
    CHECK(block != NULL);
    block = strstr(block, "```text\n") + 8;
    n = csa_test_parse_hex(block, out, 64);
    CHECK(n > 0);
    *len = n > 0 ? (size_t)n : 0u;
    free(doc);
}

static void demo_telemetry_golden(void)
{
    uint8_t golden[64], payload[256];
    size_t glen, n;
    csa_frame_header_t h;
    demo_golden("<!-- golden:demo-telemetry-1s -->", golden, &glen);
    start(50000, 0, true);
    assign_address(1);
    run_until(50000u + 1000u);
    CHECK(test_host_next_frame(&to_host, &h, payload, &n));
    CHECK_EQ(h.src_node, 1);
    CHECK_EQ(payload[0], 0x04);                    /* an event */
    CHECK(payload[2] == 0x00 && payload[3] == 0x01); /* DemoApp */
    CHECK(payload[4] == 0x01 && payload[5] == 0x00); /* Telemetry */
    CHECK_EQ(payload[6], 1);                          /* after StateChanged (0): sequence 1 */
    CHECK_BYTES(payload + 8, n - 8u, golden, glen);
}

static void demo_reading_golden(void)
{
    uint8_t golden[64], answer[256];
    const uint8_t channel2[] = {2};
    size_t glen, n;
    demo_golden("<!-- golden:demo-reading-ch2-2500ms -->", golden, &glen);
    start(7, 0, false);
    assign_address(3);
    run_until(7u + 2500u);
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_GET_READING, channel2, 1, answer);
    CHECK_EQ(answer[0], 0x02);
    CHECK_BYTES(answer + 8, n - 8u, golden, glen);
}

static void waveforms_are_the_documented_ones(void)
{
    /* value = baseline + round(amplitude * sin(2 pi (t mod period) / period)), rounding half to even. */
    CHECK_EQ(csa_demo_reading(0, 0), 36600);
    CHECK_EQ(csa_demo_reading(0, 15000), 37000);
    CHECK_EQ(csa_demo_reading(1, 225000), 101325 - 1500);
    CHECK_EQ(csa_demo_reading(2, 2500), 3350);
    CHECK_EQ(csa_demo_reading(3, 5000), 120);
    CHECK_EQ(csa_demo_reading(3, 1250), 150);
}

static void device_interface_values(void)
{
    uint8_t answer[512];
    size_t n;
    device_get_identity_response_t id;
    device_get_versions_response_t v;
    device_get_capabilities_response_t c;
    start(1000, 0, false);
    assign_address(9);
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_GET_IDENTITY, NULL, 0, answer);
    CHECK_EQ(device_get_identity_response_decode(&id, answer + 8, n - 8u), (long long)(n - 8u));
    CHECK_EQ(id.vendor_id, 0x00C5A001u);
    CHECK_EQ(id.mcu_device_id, 0x415u);
    CHECK(strcmp(id.product_name, "Pump-X") == 0 && id.uid[0] == 0x2A && id.uid[11] == 0x38);
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_GET_VERSIONS, NULL, 0, answer);
    CHECK_EQ(device_get_versions_response_decode(&v, answer + 8, n - 8u), (long long)(n - 8u));
    CHECK_EQ(v.running_image, DEVICE_IMAGE_KIND_APPLICATION);
    CHECK(v.application_valid && v.application_version.major == 2 && v.application_version.build == 99u);
    CHECK_EQ(v.security_counter, 5);
    CHECK_EQ(v.protocol_version, 1);
    /* What GetCapabilities says is what the node advertises over link management and enforces. */
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_GET_CAPABILITIES, NULL, 0, answer);
    CHECK_EQ(device_get_capabilities_response_decode(&c, answer + 8, n - 8u), (long long)(n - 8u));
    CHECK_EQ(c.max_frame_size, 512);
    CHECK_EQ(c.receive_buffers, 6);
    CHECK_EQ(c.max_packet_size, 3000);
    CHECK_EQ(c.features, DEVICE_FEATURE_FLAGS_FORWARDING);
    /* The bootloader's rules, answered by the application (device-model.md 7.4): features of a checksum-only
     * product with downgrade prevention, and each region's start and size less the 4096-byte trailer (L4 map). */
    {
        device_get_update_rules_response_t rules;
        n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_GET_UPDATE_RULES, NULL, 0, answer);
        CHECK_EQ(device_get_update_rules_response_decode(&rules, answer + 8, n - 8u), (long long)(n - 8u));
        CHECK_EQ(rules.bootloader_features, DEVICE_FEATURE_FLAGS_FORWARDING | DEVICE_FEATURE_FLAGS_BOOTLOADER_UPDATE
                                                | DEVICE_FEATURE_FLAGS_DEVICE_BINDING
                                                | DEVICE_FEATURE_FLAGS_DOWNGRADE_PROTECTION
                                                | DEVICE_FEATURE_FLAGS_MULTICAST);
        CHECK_EQ(rules.requirements, 0);
        CHECK(rules.application.start == 0x08028000u && rules.application.max_payload_size == 749568u);
        CHECK(rules.bootloader_a.start == 0x08008000u && rules.bootloader_a.max_payload_size == 126976u);
        CHECK(rules.bootloader_b.start == 0x080E0000u && rules.bootloader_b.max_payload_size == 126976u);
    }
    {
        const uint8_t request[] = {0x01, 0x22, 0x00, 0x04};
        csa_frame_header_t h = test_header(9, 0, 0, 0, 2), got;
        uint8_t payload[64];
        size_t len;
        test_host_send_frame(&to_device, &h, request, sizeof request);
        test_queue_flush(&to_device, node.now);
        CHECK(test_host_next_frame(&to_host, &got, payload, &len));
        CHECK_EQ(len, 6);
        CHECK(payload[0] == 0x81 && payload[2] == 1 && (payload[3] | (payload[4] << 8)) == 512 && payload[5] == 6);
    }
}

static void application_commands(void)
{
    uint8_t answer[256];
    const uint8_t on[] = {1}, channel9[] = {9};
    uint8_t mark[4] = {5, 0, 0, 0};
    size_t n;
    start(1000, 0, false);
    assign_address(2);
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_SET_LED, on, 1, answer);
    CHECK(n == 9u && answer[8] == 0);
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_SET_LED, on, 1, answer);
    CHECK(n == 9u && answer[8] == 1);
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_GET_READING, channel9, 1, answer);
    CHECK_EQ(answer[0], 0x03);
    CHECK(answer[8] == DEMO_APP_ERR_NO_SUCH_CHANNEL && answer[9] == 0);
    CHECK(n > 10u && memcmp(answer + 10, "Channel 9 does not exist", 24) == 0);
    (void)call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_ADD_MARK, mark, 4, answer);
    mark[0] = 7;
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_ADD_MARK, mark, 4, answer);
    CHECK(n == 16u && answer[8] == 2 && answer[12] == 12);
    n = call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_GET_APPLICATION_INFO, NULL, 0, answer);
    CHECK(n == 8u + 13u && answer[8] == 2 && answer[9] == 1 && answer[16] == 1);
}

static void journal_request(uint8_t *requested, uint16_t *wait)
{
    csa_journal j;
    csa_state_record r;
    csa_state_journal(&j, &flash, &csa_map_stm32l4_1m);
    CHECK_EQ(csa_state_read(&j, &r), CSA_FLASH_OK);
    *requested = r.requested;
    *wait = r.wait_seconds;
}

static void reset_answers_first_and_keeps_the_address(void)
{
    uint8_t answer[256], requested;
    const uint8_t normal_250[] = {0, 250, 0}, on[] = {1};
    uint16_t wait;
    size_t n;
    start(1000, 0, false);
    assign_address(4);
    (void)call(DEMO_APP_INTERFACE_ID, DEMO_APP_CMD_SET_LED, on, 1, answer);
    /* Reset(Normal, 250 ms): answered first, the reset 250 ms later; nothing asked for the bootloader. */
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_RESET, normal_250, 3, answer);
    CHECK(n == 8u && answer[0] == 0x02);
    run_until(1000u + 240u);
    CHECK_EQ(resets, 0);
    run_until(1000u + 260u);
    CHECK_EQ(resets, 1);
    journal_request(&requested, &wait);
    CHECK_EQ(requested, 0);
    /* The address is kept in the RAM words a reset does not clear (device-model.md 7.2). */
    CHECK(csa_retained_valid(&retained) && retained.has_address && retained.address == 4);
}

static void enter_bootloader_persists_the_request_then_resets(void)
{
    uint8_t answer[256], requested;
    const uint8_t enter_30[] = {30, 0}, to_bootloader[] = {1, 0, 0};
    uint16_t wait;
    size_t n;
    start(1000, 0, false);
    assign_address(5);
    /* EnterBootloader(30 s): the request is in the journal before the answer, the reset 20 ms after it. */
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_ENTER_BOOTLOADER, enter_30, 2, answer);
    CHECK(n == 8u && answer[0] == 0x02);
    journal_request(&requested, &wait);
    CHECK(requested == 1 && wait == 30);
    run_until(1000u + 15u);
    CHECK_EQ(resets, 0);
    run_until(1000u + 25u);
    CHECK_EQ(resets, 1);
    CHECK(retained.has_address && retained.address == 5);
    /* Reset(Bootloader): a request with no wait. */
    start(2000, 0, false);
    assign_address(5);
    n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_RESET, to_bootloader, 3, answer);
    CHECK(n == 8u && answer[0] == 0x02);
    journal_request(&requested, &wait);
    CHECK(requested == 1 && wait == 0);
    run_until(2000u + 5u);
    CHECK_EQ(resets, 1);
}

static void reset_normal_forgets_a_request(void)
{
    uint8_t answer[256], requested;
    const uint8_t normal[] = {0, 0, 0};
    uint16_t wait;
    start(1000, 0, false);
    assign_address(6);
    CHECK_EQ(csa_state_request_bootloader(&flash, &csa_map_stm32l4_1m, 60), CSA_FLASH_OK);
    (void)call(DEVICE_INTERFACE_ID, DEVICE_CMD_RESET, normal, 3, answer);
    CHECK_EQ(answer[0], 0x02);
    journal_request(&requested, &wait);
    CHECK_EQ(requested, 0);
}

static void events_after_start_and_periodically(void)
{
    uint8_t payload[256];
    size_t n;
    csa_frame_header_t h;
    unsigned heartbeats = 0;
    start(1000, 300, false);
    (void)payload;
    assign_address(6);
    run_until(1000u + 1000u);
    while (test_host_next_frame(&to_host, &h, payload, &n)) {
        device_heartbeat_event_t beat;
        CHECK_EQ(payload[0], 0x04);
        CHECK(payload[2] == 0x01 && payload[4] == DEVICE_EVT_HEARTBEAT);
        CHECK_EQ(device_heartbeat_event_decode(&beat, payload + 8, n - 8u), 6);
        CHECK_EQ(beat.uptime_milliseconds, 300u * (heartbeats + 1u));
        CHECK_EQ(beat.running_image, DEVICE_IMAGE_KIND_APPLICATION);
        heartbeats++;
    }
    CHECK_EQ(heartbeats, 3);
}

static void state_changed_at_start(void)
{
    csa_frame_header_t h;
    uint8_t payload[64];
    size_t n;
    start(0, 0, false);
    to_host.len = 0;
    csa_app_runtime_announce(&device.runtime);
    CHECK(test_host_next_frame(&to_host, &h, payload, &n));
    CHECK_EQ(h.src_node, CSA_ADDR_UNASSIGNED);
    CHECK_EQ(n, 10);
    CHECK(payload[0] == 0x04 && payload[4] == DEVICE_EVT_STATE_CHANGED);
    CHECK(payload[8] == DEVICE_DEVICE_STATE_STARTING && payload[9] == DEVICE_DEVICE_STATE_RUNNING);
}

/* Multicast follows the product (the C# DeviceProfile.Multicast): on, the application's data link joins groups (as its
   bootloader's does) and the bootloader's features name it; off, every join is refused and the feature is absent. */
static uint8_t join_result(uint8_t group)
{
    const uint8_t join[] = {0x05, 0x31, group};
    csa_frame_header_t h = test_header(csa_node_address(&node), 0, 0, 0, 3), got;
    uint8_t payload[64];
    size_t len;
    test_host_send_frame(&to_device, &h, join, sizeof join);
    test_queue_flush(&to_device, node.now);
    while (test_host_next_frame(&to_host, &got, payload, &len)) {
        if (got.src_port == 0 && len == 4 && payload[0] == 0x85 && payload[1] == 0x31 && payload[2] == group)
            return payload[3];
    }
    CHECK(false); /* no answer */
    return 0xFF;
}

static void multicast_follows_the_product(void)
{
    uint8_t answer[256];
    size_t n;
    unsigned off;
    for (off = 0; off < 2; off++) {
        device_get_update_rules_response_t rules;
        no_multicast = off != 0;
        start(1000, 0, false);
        assign_address(4);
        n = call(DEVICE_INTERFACE_ID, DEVICE_CMD_GET_UPDATE_RULES, NULL, 0, answer);
        CHECK_EQ(device_get_update_rules_response_decode(&rules, answer + 8, n - 8u), (long long)(n - 8u));
        CHECK_EQ((rules.bootloader_features & DEVICE_FEATURE_FLAGS_MULTICAST) != 0u, !off);
        CHECK_EQ(join_result(0xF2), off ? 1 : 0);
        CHECK_EQ(csa_node_is_member(&node, 0xF2), !off);
    }
    no_multicast = false;
}

static const csa_test_case_t cases[] = {
    {"demo_telemetry_golden", demo_telemetry_golden},
    {"demo_reading_golden", demo_reading_golden},
    {"waveforms_are_the_documented_ones", waveforms_are_the_documented_ones},
    {"device_interface_values", device_interface_values},
    {"application_commands", application_commands},
    {"reset_answers_first_and_keeps_the_address", reset_answers_first_and_keeps_the_address},
    {"enter_bootloader_persists_the_request_then_resets", enter_bootloader_persists_the_request_then_resets},
    {"reset_normal_forgets_a_request", reset_normal_forgets_a_request},
    {"events_after_start_and_periodically", events_after_start_and_periodically},
    {"state_changed_at_start", state_changed_at_start},
    {"multicast_follows_the_product", multicast_follows_the_product},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
