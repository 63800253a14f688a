/* The generated codecs against the payload vectors of docs/rpc-interfaces.md (the StartInfusion example of section 3
   and the Device interface vectors of section 6): each line decodes with the generated decoder found by its name in
   the generated message table, gives the documented field values, and encodes back to the same bytes. */
#include "all-types.rpc.binding.h"
#include "csa_test.h"
#include "demo-app.rpc.binding.h"
#include "device.rpc.binding.h"
#include "sample-pump.rpc.binding.h"

#include <stdlib.h>
#include <string.h>

/* "GetIdentityResponse" -> "get_identity_response". */
static void to_snake(const char *pascal, char *out, size_t cap)
{
    size_t n = 0, i;
    for (i = 0; pascal[i] != '\0' && n + 2u < cap; i++) {
        char c = pascal[i];
        if (c >= 'A' && c <= 'Z') {
            if (i > 0u)
                out[n++] = '_';
            c = (char)(c - 'A' + 'a');
        }
        out[n++] = c;
    }
    out[n] = '\0';
}

static const csa_rpc_message_info_t *find_message(const char *snake)
{
    static const struct {
        const csa_rpc_message_info_t *table;
        unsigned count;
    } interfaces[] = {
        {device_messages, DEVICE_MESSAGE_COUNT},
        {infusion_pump_messages, INFUSION_PUMP_MESSAGE_COUNT},
        {demo_app_messages, DEMO_APP_MESSAGE_COUNT},
    };
    unsigned i, m;
    for (i = 0; i < sizeof interfaces / sizeof interfaces[0]; i++) {
        for (m = 0; m < interfaces[i].count; m++) {
            if (strcmp(interfaces[i].table[m].name, snake) == 0)
                return &interfaces[i].table[m];
        }
    }
    return NULL;
}

/* Decodes "Name: hex" lines of a ``` block that follows marker, re-encodes them, and returns how many there were. */
static int check_lines(const char *doc, const char *marker, void (*check)(const char *name, const void *message))
{
    const char *block = strstr(doc, marker), *line;
    int count = 0;
    CHECK(block != NULL);
    if (block == NULL)
        return 0;
    block = strstr(block, "```\n");
    line = block + 4;
    while (strncmp(line, "```", 3) != 0) {
        char name[64], snake[80];
        const char *colon = strchr(line, ':');
        uint8_t payload[512], again[512];
        static uint8_t message[8192];
        long n;
        int32_t d, e;
        const csa_rpc_message_info_t *info;
        size_t nlen = (size_t)(colon - line);
        CHECK(colon != NULL && nlen < sizeof name);
        memcpy(name, line, nlen);
        name[nlen] = '\0';
        to_snake(name, snake, sizeof snake);
        info = find_message(snake);
        CHECK(info != NULL);
        n = csa_test_parse_hex(colon + 1, payload, sizeof payload);
        CHECK(n >= 0);
        if (info != NULL && n >= 0) {
            CHECK(info->size <= sizeof message);
            memset(message, 0xA5, info->size);
            d = info->decode(message, payload, (size_t)n);
            CHECK_EQ(d, n);
            e = info->encode(message, again, sizeof again);
            CHECK_BYTES(again, e < 0 ? 0u : (size_t)e, payload, (size_t)n);
            /* Shorter or longer than the message is refused. */
            if (n > 0)
                CHECK_EQ(info->decode(message, payload, (size_t)n - 1u), -1);
            payload[n] = 0;
            CHECK_EQ(info->decode(message, payload, (size_t)n + 1u), -1);
            (void)info->decode(message, payload, (size_t)n);
            check(name, message);
        }
        count++;
        line = strchr(line, '\n') + 1;
    }
    return count;
}

static void device_values(const char *name, const void *message)
{
    if (strcmp(name, "GetIdentityResponse") == 0) {
        const device_get_identity_response_t *m = (const device_get_identity_response_t *)message;
        static const uint8_t uid[12] = {0x2A, 0x00, 0x30, 0x00, 0x0B, 0x51, 0x33, 0x32, 0x34, 0x36, 0x38, 0x38};
        CHECK_EQ(m->vendor_id, 0x00C5A001u);
        CHECK_EQ(m->device_class, 0x42u);
        CHECK_BYTES(m->uid, 12, uid, 12);
        CHECK_EQ(m->mcu_device_id, 0x0413u);
        CHECK_EQ(m->hardware_revision, 3u);
        CHECK(m->product_name_len == 6u && strcmp(m->product_name, "Pump-X") == 0);
    } else if (strcmp(name, "ResetRequest") == 0) {
        const device_reset_request_t *m = (const device_reset_request_t *)message;
        CHECK_EQ(m->mode, DEVICE_RESET_MODE_BOOTLOADER);
        CHECK_EQ(m->delay_milliseconds, 100u);
    } else if (strcmp(name, "HeartbeatEvent") == 0) {
        const device_heartbeat_event_t *m = (const device_heartbeat_event_t *)message;
        CHECK_EQ(m->state, DEVICE_DEVICE_STATE_RUNNING);
        CHECK_EQ(m->running_image, DEVICE_IMAGE_KIND_APPLICATION);
        CHECK_EQ(m->uptime_milliseconds, 123456u);
    } else if (strcmp(name, "GetCapabilitiesResponse") == 0) {
        const device_get_capabilities_response_t *m = (const device_get_capabilities_response_t *)message;
        CHECK_EQ(m->max_frame_size, 256u);
        CHECK_EQ(m->receive_buffers, 4u);
        CHECK_EQ(m->max_packet_size, 4096u);
        CHECK_EQ(m->features, DEVICE_FEATURE_FLAGS_SIGNATURES | DEVICE_FEATURE_FLAGS_BOOTLOADER_UPDATE);
    } else if (strcmp(name, "GetUpdateRulesResponse") == 0) {
        const device_get_update_rules_response_t *m = (const device_get_update_rules_response_t *)message;
        CHECK_EQ(m->bootloader_features, DEVICE_FEATURE_FLAGS_SIGNATURES | DEVICE_FEATURE_FLAGS_ENCRYPTION |
                                             DEVICE_FEATURE_FLAGS_DOWNGRADE_PROTECTION |
                                             DEVICE_FEATURE_FLAGS_DEVICE_BINDING | DEVICE_FEATURE_FLAGS_BOOTLOADER_UPDATE);
        CHECK_EQ(m->requirements, DEVICE_IMAGE_REQUIREMENTS_NONE);
        CHECK(m->application.start == 0x08060000u && m->application.max_payload_size == 651264u);
        CHECK(m->bootloader_a.start == 0x08020000u && m->bootloader_a.max_payload_size == 126976u);
        CHECK(m->bootloader_b.start == 0x08040000u && m->bootloader_b.max_payload_size == 126976u);
    } else {
        csa_test_fail(__FILE__, __LINE__, "a device vector this test does not know");
    }
}

static void pump_values(const char *name, const void *message)
{
    const infusion_pump_start_infusion_request_t *m = (const infusion_pump_start_infusion_request_t *)message;
    CHECK(strcmp(name, "StartInfusionRequest") == 0);
    CHECK(m->drug_name_len == 7u && strcmp(m->drug_name, "Heparin") == 0);
    CHECK(m->program_id[0] == 0xA0 && m->program_id[15] == 0xAF);
    CHECK(m->steps[0].rate_microliters_per_hour == 1000u && m->steps[0].duration_seconds == 60u);
    CHECK(m->steps[1].rate_microliters_per_hour == 2500u && m->steps[1].duration_seconds == 3600u);
    CHECK(m->steps[2].rate_microliters_per_hour == 0u && m->steps[2].duration_seconds == 0u);
    CHECK_EQ(m->volume_to_be_infused_microliters, 250000u);
    CHECK(m->notes_len == 2u && m->notes[0] == 0xDE && m->notes[1] == 0xAD);
}

static void device_vectors(void)
{
    char *doc = csa_test_read_doc("rpc-interfaces.md");
    CHECK_EQ(check_lines(doc, "Test vectors (hex of the payload", device_values), 5);
    free(doc);
}

static void start_infusion_vector(void)
{
    char *doc = csa_test_read_doc("rpc-interfaces.md");
    CHECK_EQ(check_lines(doc, "As one line (checked by", pump_values), 1);
    free(doc);
}

static void strings_must_be_utf8(void)
{
    /* A product name of 2 bytes in each encoding case: valid ones decode, invalid ones are refused both ways. */
    static const struct {
        uint8_t bytes[4];
        size_t len;
        int valid;
    } cases[] = {
        {{0xC2, 0xB5}, 2, 1},             /* U+00B5 */
        {{0xC0, 0x80}, 2, 0},             /* overlong NUL */
        {{0xED, 0xA0, 0x80}, 3, 0},       /* a surrogate */
        {{0xF4, 0x90, 0x80, 0x80}, 4, 0}, /* above U+10FFFF */
        {{0xF0, 0x9F, 0x98, 0x80}, 4, 1}, /* U+1F600 */
        {{0xE2, 0x82}, 2, 0},             /* cut short */
        {{0x80}, 1, 0},                   /* a lone continuation byte */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        device_get_identity_response_t m;
        uint8_t buf[128];
        int32_t n;
        memset(&m, 0, sizeof m);
        m.product_name_len = (uint16_t)cases[i].len;
        memcpy(m.product_name, cases[i].bytes, cases[i].len);
        n = device_get_identity_response_encode(&m, buf, sizeof buf);
        CHECK_EQ(n >= 0, cases[i].valid);
        if (!cases[i].valid) {
            /* Put the bytes on the wire by hand: the decoder refuses them as well. */
            memset(&m, 0, sizeof m);
            n = device_get_identity_response_encode(&m, buf, sizeof buf);
            CHECK(n > 0);
            buf[n - 2] = (uint8_t)cases[i].len;
            memcpy(buf + n, cases[i].bytes, cases[i].len);
            CHECK_EQ(device_get_identity_response_decode(&m, buf, (size_t)n + cases[i].len), -1);
        }
    }
}

static void enums_and_bools_are_checked(void)
{
    uint8_t buf[16];
    device_reset_request_t r;
    demo_app_set_led_request_t led;
    const uint8_t bad_mode[] = {0x02, 0x00, 0x00};
    const uint8_t bad_bool[] = {0x02};
    CHECK_EQ(device_reset_request_decode(&r, bad_mode, sizeof bad_mode), -1);
    r.mode = 2;
    r.delay_milliseconds = 0;
    CHECK_EQ(device_reset_request_encode(&r, buf, sizeof buf), -1);
    CHECK_EQ(demo_app_set_led_request_decode(&led, bad_bool, sizeof bad_bool), -1);
    /* Flags enums take any combination. */
    {
        device_get_capabilities_response_t c;
        memset(&c, 0, sizeof c);
        c.features = 0xFFFFFFFFu;
        CHECK_EQ(device_get_capabilities_response_encode(&c, buf, sizeof buf), 9);
    }
}

static void message_tables_cover_every_message(void)
{
    unsigned i;
    CHECK_EQ(DEVICE_MESSAGE_COUNT, 2u * 6u + 2u);
    CHECK_EQ(DEMO_APP_MESSAGE_COUNT, 2u * 4u + 1u);
    CHECK_EQ(ALL_TYPES_MESSAGE_COUNT, 2u * 2u + 2u);
    for (i = 0; i < ALL_TYPES_MESSAGE_COUNT; i++)
        CHECK(all_types_messages[i].encode != NULL && all_types_messages[i].decode != NULL);
    CHECK_EQ(all_types_interface.command_count, 2);
    CHECK_EQ(all_types_interface.commands[1].id, 0xFFFFu);
    CHECK(!all_types_interface.commands[1].idempotent);
    CHECK_EQ(all_types_interface.commands[0].max_response_size, 1002u);
}

static const csa_test_case_t cases[] = {
    {"device_vectors", device_vectors},
    {"start_infusion_vector", start_infusion_vector},
    {"strings_must_be_utf8", strings_must_be_utf8},
    {"enums_and_bools_are_checked", enums_and_bools_are_checked},
    {"message_tables_cover_every_message", message_tables_cover_every_message},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
