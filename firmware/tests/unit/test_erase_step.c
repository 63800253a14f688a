/* When the bootloader service starts a background (erase-ahead) erase, device-model.md 6.4.1: only in step with the
   line, right after a command that started as its packet arrived, or when no link is more than max(64, M/16) decoded
   bytes into a frame. A command that waited in the receive buffers (held while the flash was busy, busy_link.h) and
   is handed over with most of the next frame already in does not start one: the erase would find a window less most
   of a frame to cover it. Driven as the device program's main loop drives the service, over a simulated L4 flash
   (2 KB pages), with a raw host writing frames byte by byte. */
#include "csa/csa_rpc_packet.h"
#include "csa_boot/image.h"
#include "csa_flashsim.h"
#include "csa_service/bootloader_service.h"
#include "csa_service/busy_link.h"
#include "csa_test.h"
#include "device.h"
#include "image_builder.h"
#include "test_net.h"

#include <stdlib.h>
#include <string.h>

#if CSA_CONFIG_ERASE_IN_STEP

#define HOST_PORT 1u
#define DEVICE_ADDRESS 1u
#define WRITE 512u /* payload bytes per Write: a frame of 539 decoded bytes */

static const csa_memory_map *const map = &csa_map_stm32l4_1m;
static csa_node_t node;
static csa_bl_service svc;
static csa_product product;
static csa_retained retained;
static csa_flashsim *chip;
static csa_flash flash;
static test_queue_t to_device, to_host, scratch;
static uint16_t next_id = 0x100;
static uint8_t image[96 + 64 + 16384 + 64];
static csa_image img;
static uint32_t now = 1000;

/* A factory chip with no application: the bootloader stays and serves; a product that trusts the tests' key. */
static void start(void)
{
    size_t len;
    csa_flashsim_destroy(chip);
    chip = test_factory(map, 0);
    flash = csa_flashsim_port(chip);
    csa_product_defaults(&product, map);
    product.vendor_id = TEST_VENDOR;
    product.device_class_id = TEST_CLASS;
    csa_trusted_key_init(&product.keys[0], test_rfc6979_public);
    product.key_count = 1;
    product.erase_ahead = 1;
    product.limits.max_frame_size = 1024u; /* the slack is max(64, 1024 / 16) = 64 decoded bytes */
    product.limits.rx_buffers = 12u;
    product.limits.max_packet_size = 1088u;
    csa_retained_clear(&retained);
    memset(&to_device, 0, sizeof to_device);
    memset(&to_host, 0, sizeof to_host);
    CHECK_EQ(csa_node_init(&node, &product.limits, DEVICE_ADDRESS, false, now), CSA_OK);
    CHECK_EQ(test_connect(&node, CSA_LINK_UPSTREAM, &to_device, &to_host), 0);
    CHECK_EQ(csa_bl_service_start(&svc, &product, &flash, &node, &retained, now, 0), CSA_BL_OK);
    CHECK(!svc.decision.start_application);
    len = test_make_image(map, CSA_REGION_APPLICATION, 2, 16384, 2, image, sizeof image);
    CHECK(len > 0u);
    CHECK_EQ(csa_image_parse(image, len, &img, NULL), CSA_IMAGE_OK);
}

/* The encoded frame (COBS and delimiter) of one command from the host, in scratch.data[0 .. return). */
static size_t command_frame(uint16_t cmd, const uint8_t *body, size_t body_len)
{
    static uint8_t packet[1100];
    csa_rpc_header_t h;
    csa_frame_header_t fh = test_header(DEVICE_ADDRESS, CSA_PORT_RPC, CSA_ADDR_HOST, HOST_PORT, next_id);
    h.kind = CSA_RPC_COMMAND;
    h.flags = 0;
    h.interface_id = BOOTLOADER_INTERFACE_ID;
    h.message_id = cmd;
    h.request_id = next_id++;
    csa_rpc_write_header(packet, &h);
    memcpy(packet + 8, body, body_len);
    scratch.len = 0;
    test_host_send_frame(&scratch, &fh, packet, 8u + body_len);
    return scratch.len;
}

/* A Write of `len` payload bytes at `offset`, encoded into `out`; returns its length. */
static size_t write_frame(uint32_t offset, uint16_t len, uint8_t *out)
{
    static bootloader_write_request_t w;
    static uint8_t body[1100];
    int32_t n;
    size_t encoded;
    w.offset = offset;
    w.data_len = len;
    memcpy(w.data, img.payload + offset, len);
    n = bootloader_write_request_encode(&w, body, sizeof body);
    CHECK(n > 0);
    encoded = command_frame(BOOTLOADER_CMD_WRITE, body, (size_t)n);
    memcpy(out, scratch.data, encoded);
    return encoded;
}

/* BeginUpdate for the image, answered; then the eraser erases what it may while the line is idle. */
static void begin(void)
{
    static bootloader_begin_update_request_t b;
    static uint8_t body[800];
    int32_t n;
    size_t len;
    memset(&b, 0, sizeof b);
    b.target = BOOTLOADER_UPDATE_TARGET_APPLICATION;
    b.manifest_len = img.manifest.length;
    memcpy(b.manifest, img.manifest.bytes, img.manifest.length);
    b.authentication_len = img.auth_length;
    memcpy(b.authentication, img.auth, img.auth_length);
    n = bootloader_begin_update_request_encode(&b, body, sizeof body);
    CHECK(n > 0);
    len = command_frame(BOOTLOADER_CMD_BEGIN_UPDATE, body, (size_t)n);
    csa_node_receive(&node, 0, scratch.data, len, now);
    CHECK_EQ(csa_bl_service_poll(&svc, now, 0), CSA_RUN_CONTINUE); /* the deferred BeginUpdate runs */
    CHECK(svc.bl.session.active);
}

/* One poll as the main loop's when no byte arrived: returns the sectors (pages) it erased ahead (0 or 1). */
static uint32_t idle_poll(void)
{
    uint32_t before = svc.stats.erase_ahead_steps;
    CHECK_EQ(csa_bl_service_poll(&svc, now, 1), CSA_RUN_CONTINUE);
    return svc.stats.erase_ahead_steps - before;
}

/* Polls 16 times as the main loop does with no byte arrived (more than the 9 pages the update needs): returns the
   sectors (pages) erased ahead. */
static uint32_t erase_while_idle(void)
{
    uint32_t before = svc.stats.erase_ahead_steps;
    int i;
    for (i = 0; i < 16; i++)
        CHECK_EQ(csa_bl_service_poll(&svc, now, 1), CSA_RUN_CONTINUE);
    return svc.stats.erase_ahead_steps - before;
}

/* The flash was busy (an erase) while the host's Write at `offset` and `partial` bytes of the next Write's frame
   arrived: the link held the first, the second is partway in. Returns the next frame's length (its bytes in next). */
static size_t write_arrives_during_erase(uint32_t offset, size_t partial, uint8_t *next)
{
    static uint8_t first[1200];
    size_t first_len = write_frame(offset, WRITE, first);
    size_t next_len = write_frame(offset + WRITE, WRITE, next);
    CHECK(partial < next_len);
    csa_busy_link_begin(&node);
    csa_node_receive(&node, 0, first, first_len, now);
    csa_node_receive(&node, 0, next, partial, now);
    csa_busy_link_end(&node);
    CHECK_EQ(svc.bl.session.committed, offset); /* held, not handled */
    CHECK(csa_busy_link_deliver(&node));        /* the main loop hands it over with the flash idle */
    CHECK_EQ(svc.bl.session.committed, offset + WRITE);
    return next_len;
}

static void erase_waits_until_the_frame_partway_in_completes(void)
{
    static uint8_t next[1200];
    size_t next_len;
    start();
    begin();
    CHECK_EQ(idle_poll(), 1u); /* BeginUpdate started as it arrived: the first page is erased at once */
    next_len = write_arrives_during_erase(0, 200, next);
    CHECK(csa_node_bytes_arriving(&node, 0) > 64u);
    CHECK_EQ(erase_while_idle(), 0u);        /* 200 bytes of the next frame in: out of step, no erase */
    CHECK(svc.erase_pending);                 /* the erase is still due, */
    CHECK(!csa_bl_service_busy(&svc));        /* but not at once: the port may sleep until the next byte */
    csa_node_receive(&node, 0, next + 200, next_len - 200u, now);
    CHECK_EQ(svc.bl.session.committed, 2u * WRITE); /* the next Write started as its packet arrived */
    CHECK(erase_while_idle() >= 1u);          /* so the eraser erases right after it */
    csa_flashsim_destroy(chip);
    chip = NULL;
}

static void erase_starts_when_the_line_is_quiet(void)
{
    static uint8_t next[1200];
    size_t next_len;
    start();
    begin();
    CHECK_EQ(idle_poll(), 1u);
    next_len = write_arrives_during_erase(0, 300, next);
    CHECK_EQ(erase_while_idle(), 0u);
    /* The rest of the frame arrives damaged: it is dropped (CrcMismatch), no command starts, and the line is quiet:
       nothing of a frame is in, so the eraser is in step with the line again. */
    next[next_len - 3u] = next[next_len - 3u] == 0x55u ? 0xAAu : 0x55u;
    csa_node_receive(&node, 0, next + 300, next_len - 300u, now);
    CHECK_EQ(svc.bl.session.committed, WRITE);
    CHECK_EQ(csa_node_bytes_arriving(&node, 0), 0u);
    CHECK(erase_while_idle() >= 1u);
    csa_flashsim_destroy(chip);
    chip = NULL;
}

static void a_few_bytes_in_is_still_in_step(void)
{
    static uint8_t next[1200];
    start();
    begin();
    CHECK_EQ(idle_poll(), 1u);
    (void)write_arrives_during_erase(0, 60, next); /* the next frame has only just begun: 59 decoded bytes */
    CHECK(csa_node_bytes_arriving(&node, 0) <= 64u);
    CHECK(erase_while_idle() >= 1u);
    csa_flashsim_destroy(chip);
    chip = NULL;
}

static void an_erase_follows_a_command_that_started_as_it_arrived(void)
{
    static uint8_t first[1200], next[1200];
    size_t first_len, next_len;
    start();
    begin();
    CHECK_EQ(idle_poll(), 1u);
    /* The Write is handled as its frame ends (nothing held), then 300 bytes of the next frame arrive before the main
       loop polls: the erase starts anyway, the host's whole window less those bytes being still to arrive. */
    first_len = write_frame(0, WRITE, first);
    next_len = write_frame(WRITE, WRITE, next);
    csa_node_receive(&node, 0, first, first_len, now);
    CHECK_EQ(svc.bl.session.committed, WRITE);
    csa_node_receive(&node, 0, next, 300, now);
    CHECK(csa_node_bytes_arriving(&node, 0) > 64u);
    CHECK_EQ(idle_poll(), 1u);
    csa_node_receive(&node, 0, next + 300, next_len - 300u, now);
    CHECK_EQ(svc.bl.session.committed, 2u * WRITE);
    csa_flashsim_destroy(chip);
    chip = NULL;
}

static const csa_test_case_t cases[] = {
    {"an_erase_follows_a_command_that_started_as_it_arrived", an_erase_follows_a_command_that_started_as_it_arrived},
    {"erase_waits_until_the_frame_partway_in_completes", erase_waits_until_the_frame_partway_in_completes},
    {"erase_starts_when_the_line_is_quiet", erase_starts_when_the_line_is_quiet},
    {"a_few_bytes_in_is_still_in_step", a_few_bytes_in_is_still_in_step},
};

int main(int argc, char **argv)
{
    return csa_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}

#else

int main(void)
{
    return 0; /* the configuration has the rule off */
}

#endif
