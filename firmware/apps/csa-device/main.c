/*
 * csa-device: a Csa device as a process, built from the same core as firmware on a chip. It serves the Device
 * interface and the demo application interface on an upstream link, forwards to an optional downstream link (so
 * processes can be chained), and takes who it is and its limits from the command line:
 *
 *   csa-device --upstream pty --uid 2A0030000B51333234363838 --family f4
 *   csa-device --upstream tcp-listen:127.0.0.1:5555 --downstream tcp:127.0.0.1:5556
 *
 * Run `csa-device --help` for every option. What it says goes to standard error; standard output is a link only
 * with --upstream stdio.
 */
#include "csa/csa_port_posix.h"
#include "device_app.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fputs("usage: csa-device [options]\n"
          "  --upstream LINK          the link towards the host (default stdio)\n"
          "  --downstream LINK        the link to the next device of a chain (default none)\n"
          "      LINK: stdio | pty | tcp-listen:HOST:PORT (PORT 0: any free port) | tcp:HOST:PORT | /dev/...\n"
          "  --uid HEX                the 96-bit unique id, 24 hex digits (default 000102030405060708090A0B)\n"
          "  --family f4|l4           STM32F4 (mcuDeviceId 0x413, default) or STM32L4 (0x415)\n"
          "  --vendor-id N            vendor id (default 0x00C5A000)\n"
          "  --device-class N         device class (default 1)\n"
          "  --hardware-revision N    hardware revision (default 1)\n"
          "  --product-name TEXT      product name, at most 32 bytes (default \"Csa C device\")\n"
          "  --app-version A.B.C[.D]  version of the running application (default 1.0.0)\n"
          "  --bootloader-version V   version reported for the bootloader (default 1.0.0)\n"
          "  --security-counter N     security counter reported (default 0)\n"
          "  --address N              a fixed address 1..239 (default: unassigned, given by enumeration)\n"
          "  --max-frame N            maximum frame size, 64..4096 (default 1024)\n"
          "  --rx-buffers N           receive buffers, 1..16 (default 4)\n"
          "  --max-packet N           maximum packet size, 8..8192 (default 4160)\n"
          "  --heartbeat-ms N         Heartbeat period, 0 for none (default 5000)\n"
          "  --no-telemetry           do not publish the demo application's Telemetry\n",
          out);
}

static int parse_number(const char *text, unsigned long max, unsigned long *value)
{
    char *end;
    errno = 0;
    *value = strtoul(text, &end, 0);
    return errno == 0 && *end == '\0' && end != text && *value <= max ? 0 : -1;
}

static int parse_version(const char *text, device_image_version_t *v)
{
    unsigned long part[4] = {0, 0, 0, 0};
    int n = 0;
    const char *p = text;
    while (n < 4) {
        char *end;
        errno = 0;
        part[n] = strtoul(p, &end, 10);
        if (errno != 0 || end == p)
            return -1;
        n++;
        if (*end == '\0')
            break;
        if (*end != '.')
            return -1;
        p = end + 1;
    }
    if (n < 3 || part[0] > 255u || part[1] > 255u || part[2] > 65535u || part[3] > 0xFFFFFFFFul)
        return -1;
    v->major = (uint8_t)part[0];
    v->minor = (uint8_t)part[1];
    v->patch = (uint16_t)part[2];
    v->build = (uint32_t)part[3];
    return 0;
}

static int parse_uid(const char *text, uint8_t uid[12])
{
    unsigned i;
    if (strlen(text) != 24u)
        return -1;
    for (i = 0; i < 12u; i++) {
        unsigned value;
        char pair[3];
        pair[0] = text[2u * i];
        pair[1] = text[2u * i + 1u];
        pair[2] = '\0';
        if (sscanf(pair, "%2x", &value) != 1 || strchr("0123456789abcdefABCDEF", pair[0]) == NULL ||
            strchr("0123456789abcdefABCDEF", pair[1]) == NULL)
            return -1;
        uid[i] = (uint8_t)value;
    }
    return 0;
}

static int bad(const char *option, const char *value, const char *expected)
{
    fprintf(stderr, "csa-device: error: %s %s: %s\n", option, value, expected);
    return 2;
}

/* The node and the device live for the whole process; the links are the board's wires. */
static csa_node_t node;
static csa_device_t device;
static csa_posix_link_t links[2];

int main(int argc, char **argv)
{
    const char *upstream = "stdio", *downstream = NULL;
    csa_device_identity_t id;
    csa_limits_t limits = {1024u, 4u, 4160u};
    uint8_t address = CSA_ADDR_UNASSIGNED;
    char error[256];
    unsigned long n;
    int i, link_count = 1, rc;
    static uint8_t buffer[4096];

    memset(&id, 0, sizeof id);
    id.vendor_id = 0x00C5A000u;
    id.device_class = 1u;
    for (i = 0; i < 12; i++)
        id.uid[i] = (uint8_t)i;
    id.mcu_device_id = 0x413u;
    id.hardware_revision = 1u;
    strcpy(id.product_name, "Csa C device");
    id.application_version.major = 1u;
    id.bootloader_version.major = 1u;
    id.heartbeat_ms = 5000u;
    id.telemetry = true;

    for (i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(opt, "--no-telemetry") == 0) {
            id.telemetry = false;
            continue;
        }
        if (val == NULL) {
            fprintf(stderr, "csa-device: error: %s needs a value (csa-device --help)\n", opt);
            return 2;
        }
        i++;
        if (strcmp(opt, "--upstream") == 0) {
            upstream = val;
        } else if (strcmp(opt, "--downstream") == 0) {
            downstream = val;
        } else if (strcmp(opt, "--uid") == 0) {
            if (parse_uid(val, id.uid) != 0)
                return bad(opt, val, "expected 24 hex digits (12 bytes)");
        } else if (strcmp(opt, "--family") == 0) {
            if (strcmp(val, "f4") == 0)
                id.mcu_device_id = 0x413u;
            else if (strcmp(val, "l4") == 0)
                id.mcu_device_id = 0x415u;
            else
                return bad(opt, val, "expected f4 or l4");
        } else if (strcmp(opt, "--vendor-id") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected a 32-bit number");
            id.vendor_id = (uint32_t)n;
        } else if (strcmp(opt, "--device-class") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected a 32-bit number");
            id.device_class = (uint32_t)n;
        } else if (strcmp(opt, "--hardware-revision") == 0) {
            if (parse_number(val, 0xFFFFu, &n) != 0)
                return bad(opt, val, "expected 0..65535");
            id.hardware_revision = (uint16_t)n;
        } else if (strcmp(opt, "--product-name") == 0) {
            if (strlen(val) > 32u)
                return bad(opt, val, "at most 32 bytes");
            strcpy(id.product_name, val);
        } else if (strcmp(opt, "--app-version") == 0) {
            if (parse_version(val, &id.application_version) != 0)
                return bad(opt, val, "expected MAJOR.MINOR.PATCH[.BUILD]");
        } else if (strcmp(opt, "--bootloader-version") == 0) {
            if (parse_version(val, &id.bootloader_version) != 0)
                return bad(opt, val, "expected MAJOR.MINOR.PATCH[.BUILD]");
        } else if (strcmp(opt, "--security-counter") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected a 32-bit number");
            id.security_counter = (uint32_t)n;
        } else if (strcmp(opt, "--address") == 0) {
            if (parse_number(val, CSA_ADDR_LAST_DEVICE, &n) != 0 || n == 0u)
                return bad(opt, val, "expected a device address 1..239");
            address = (uint8_t)n;
        } else if (strcmp(opt, "--max-frame") == 0) {
            if (parse_number(val, CSA_CONFIG_MAX_FRAME_SIZE, &n) != 0 || n < CSA_MIN_MAX_FRAME_SIZE)
                return bad(opt, val, "expected 64..4096");
            limits.max_frame_size = (uint16_t)n;
        } else if (strcmp(opt, "--rx-buffers") == 0) {
            if (parse_number(val, CSA_CONFIG_RX_BUFFERS, &n) != 0 || n == 0u)
                return bad(opt, val, "expected 1..16");
            limits.rx_buffers = (uint8_t)n;
        } else if (strcmp(opt, "--max-packet") == 0) {
            if (parse_number(val, CSA_CONFIG_MAX_PACKET_SIZE, &n) != 0 || n < 8u)
                return bad(opt, val, "expected 8..8192");
            limits.max_packet_size = (uint16_t)n;
        } else if (strcmp(opt, "--heartbeat-ms") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected milliseconds");
            id.heartbeat_ms = (uint32_t)n;
        } else {
            fprintf(stderr, "csa-device: error: unknown option %s (csa-device --help)\n", opt);
            return 2;
        }
    }

    if (csa_posix_link_open(&links[0], upstream, error, sizeof error) != 0) {
        fprintf(stderr, "csa-device: error: upstream %s\n", error);
        return 3;
    }
    if (downstream != NULL) {
        if (csa_posix_link_open(&links[1], downstream, error, sizeof error) != 0) {
            fprintf(stderr, "csa-device: error: downstream %s\n", error);
            return 3;
        }
        link_count = 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    rc = csa_node_init(&node, &limits, address, address == CSA_ADDR_UNASSIGNED, csa_posix_millis());
    if (rc != CSA_OK) {
        fprintf(stderr, "csa-device: error: the limits do not fit this build's configuration (%d)\n", rc);
        return 2;
    }
    for (i = 0; i < link_count; i++) {
        csa_node_add_link(&node, i == 0 ? CSA_LINK_UPSTREAM : CSA_LINK_DOWNSTREAM, csa_posix_link_write, &links[i]);
        csa_node_set_link_open(&node, (uint8_t)i, links[i].far_end_present);
    }
    rc = csa_device_start(&device, &node, &id, csa_posix_millis());
    if (rc != CSA_OK) {
        fprintf(stderr, "csa-device: error: the interfaces do not fit this build's configuration (%d)\n", rc);
        return 2;
    }
    fprintf(stderr, "csa-device: upstream %s\n", links[0].name);
    if (link_count == 2)
        fprintf(stderr, "csa-device: downstream %s\n", links[1].name);
    fprintf(stderr, "csa-device: ready (max frame %u, %u receive buffers, max packet %u)\n",
            (unsigned)limits.max_frame_size, (unsigned)limits.rx_buffers, (unsigned)limits.max_packet_size);
    fflush(stderr);

    /* The poll loop: wait for input or the next 10 ms tick, feed what arrived, run timeouts and periodic work. */
    while (!stop_requested) {
        struct pollfd fds[4];
        int nfds = 0, l;
        uint32_t now;
        for (l = 0; l < link_count; l++)
            nfds += csa_posix_link_poll_fds(&links[l], fds + nfds);
        if (poll(fds, (nfds_t)nfds, 10) < 0 && errno != EINTR)
            break;
        for (l = 0; l < link_count; l++) {
            for (;;) {
                size_t len;
                csa_posix_event_t ev = csa_posix_link_service(&links[l], buffer, sizeof buffer, &len, csa_posix_millis());
                now = csa_posix_millis();
                if (ev == CSA_POSIX_DATA) {
                    csa_node_receive(&node, (uint8_t)l, buffer, len, now);
                    continue;
                }
                if (ev == CSA_POSIX_CONNECTED || ev == CSA_POSIX_DISCONNECTED) {
                    csa_node_set_link_open(&node, (uint8_t)l, ev == CSA_POSIX_CONNECTED);
                    fprintf(stderr, "csa-device: %s %s\n", l == 0 ? "upstream" : "downstream",
                            ev == CSA_POSIX_CONNECTED ? "connected" : "disconnected");
                    fflush(stderr);
                    continue;
                }
                if (ev == CSA_POSIX_ENDED && l == 0)
                    stop_requested = 1; /* stdin closed: the host is gone for good */
                break;
            }
        }
        now = csa_posix_millis();
        csa_node_poll(&node, now);
        if (csa_device_poll(&device, now)) {
            fprintf(stderr, "csa-device: reset\n");
            fflush(stderr);
        }
    }
    for (i = 0; i < link_count; i++)
        csa_posix_link_close(&links[i]);
    return 0;
}
