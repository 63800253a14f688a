/* The device program's command line (options.h). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csa_boot/map.h"
#include "key_storage.h"
#include "keys.h"

void csa_device_usage(FILE *out)
{
    fputs("usage: csa-device [options]\n"
          "A Csa device as a process: pre-bootloader, bootloader and demo application on a simulated STM32F4/L4 flash.\n"
          "links:\n"
          "  --upstream LINK            the link towards the host (default stdio)\n"
          "  --downstream LINK          the link to the next device of a chain (default none)\n"
          "      LINK: stdio | pty | tcp-listen:HOST:PORT (PORT 0: any free port) | tcp:HOST:PORT | /dev/...\n"
          "  --store-and-forward        forward frames for other devices after their end, not while they arrive\n"
          "                             (cut-through, protocol.md 6.3.1, is the default)\n"
          "chip:\n"
          "  --family f4|l4             STM32F4 1 MB (default) or STM32L4 1 MB memory map\n"
          "  --flash FILE               the flash image file (device-model.md 1.6), saved after every flash operation;\n"
          "                             without it the flash lives in this process only\n"
          "  --uid HEX                  a new chip's 96-bit unique id, 24 hex digits (default random; a file keeps its own)\n"
          "  --flash-timing T           typical (datasheet, default), worst or instant\n"
          "  --strict-flash             refuse any program over cells that are not erased (what the tests use)\n"
          "product:\n"
          "  --trust KEY                a trusted signing key: PEM public key file, or X||Y in hex (repeatable, up to 4)\n"
          "  --crc-only                 a checksum-only product (CRC-32 images, no signatures)\n"
          "  --require-binding          install only images bound to this chip's unique id\n"
          "  --require-encryption       install only encrypted images\n"
          "  --no-downgrade-prevention  do not enforce the security counter\n"
          "  --no-erase-ahead           erase each sector at the first write into it\n"
          "  --no-multicast             join no group and do not advertise Multicast (protocol.md 7.6)\n",
          out);
    /* Two pieces: C99 compilers need not take a string longer than 4095 characters. */
    fputs("device identity (docs/security.md 10):\n"
          "  --production-key KEY       a production public key the bootloader ships (PEM file or X||Y hex; up to 2):\n"
          "                             the device makes its identity key and takes certificates signed by it\n"
          "  --require-provisioning     a blank device installs and starts nothing until it is provisioned\n"
          "  --key-storage FILE         the chip's key storage, a file of its own (PEM PKCS#8 and FILE.certified,\n"
          "                             as the C# SecureKeyStorage); default: in this process only. Keep it apart\n"
          "                             from the flash file: a copy of the flash file is a clone without the key\n"
          "  --identity-key FILE        a PEM private key put into an empty key storage in production (a product\n"
          "                             without provisioning that takes encrypted images)\n"
          "  --vendor-id N, --device-class N, --hardware-revision N, --product-name TEXT\n"
          "                             (defaults 0x00C5A000, 1, 1, \"Csa C device\")\n"
          "  --max-frame N              maximum frame size, 64..4096 (default 1024)\n"
          "  --rx-buffers N             receive buffers, 1..16 (default 4)\n"
          "  --max-packet N             maximum packet size, 128..8192 (default 4160)\n"
          "  --address N                a fixed address 1..239 (default: unassigned, given by enumeration)\n"
          "  --heartbeat-ms N           Heartbeat period, 0 for none (default 5000)\n"
          "  --no-telemetry             the demo application publishes no Telemetry\n"
          "factory (programs a fresh chip, replacing the flash file):\n"
          "  --factory-bootloader IMAGE   bootloader copy A (and the pre-bootloader)\n"
          "  --factory-bootloader-b IMAGE bootloader copy B\n"
          "  --factory-application IMAGE  the application\n"
          "  --prebootloader-version A.B.C  the pre-bootloader's version (default 1.0.0)\n"
          "power cuts (SIGUSR1 cuts the power now, tearing a flash operation in progress):\n"
          "  --cut-at N[:FRACTION[:STYLE]]  cut before flash operation N (from 0, counted from the start), or inside it\n"
          "                                 at FRACTION (0..1); STYLE of a torn erase: bits, random or prefix\n"
          "  --cut-random SEED:N            cut at a random operation below N, before or inside it\n"
          "  --on-power-cut restart|exit    after a cut: power on again from the flash (default), or end (status 99)\n"
          "  --power-off-ms N               how long the power stays off before it comes back (default 1000)\n"
          "process:\n"
          "  --exit-with-stdin          end when standard input reaches its end: a program that starts this one as its\n"
          "                             child (csa sim, csa demo) keeps the pipe open, so the device never outlives it\n"
          "signals: SIGUSR1 cuts the power now; SIGUSR2 prints the flash operations and the flash busy time so far, and\n"
          "         what the data link forwarded (cut-through, poisoned or aborted) and dropped (bad CRC, malformed)\n",
          out);
}

static int parse_number(const char *text, unsigned long max, unsigned long *value)
{
    char *end;
    errno = 0;
    *value = strtoul(text, &end, 0);
    return errno == 0 && *end == '\0' && end != text && *value <= max ? 0 : -1;
}

static int parse_uid(const char *text, uint8_t uid[12])
{
    unsigned i;
    if (strlen(text) != 24u)
        return -1;
    for (i = 0; i < 24u; i++)
        if (strchr("0123456789abcdefABCDEF", text[i]) == NULL || text[i] == '\0')
            return -1;
    for (i = 0; i < 12u; i++) {
        char pair[3] = {text[2u * i], text[2u * i + 1u], '\0'};
        uid[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return 0;
}

static int parse_version3(const char *text, uint8_t *major, uint8_t *minor, uint16_t *patch)
{
    unsigned long a, b, c;
    char tail;
    if (sscanf(text, "%lu.%lu.%lu%c", &a, &b, &c, &tail) != 3 || a > 255u || b > 255u || c > 65535u)
        return -1;
    *major = (uint8_t)a;
    *minor = (uint8_t)b;
    *patch = (uint16_t)c;
    return 0;
}

static int parse_cut(const char *text, csa_flashsim_plan *plan)
{
    char style[16] = "";
    unsigned long long op;
    double fraction = -1;
    int n = sscanf(text, "%llu:%lf:%15s", &op, &fraction, style);
    memset(plan, 0, sizeof *plan);
    if (n < 1)
        return -1;
    plan->operation = op;
    plan->seed = (uint32_t)op * 2654435761u;
    if (n >= 2) {
        if (fraction < 0 || fraction >= 1)
            return -1;
        plan->during = 1;
        plan->fraction = fraction;
    }
    if (n == 3) {
        if (strcmp(style, "bits") == 0)
            plan->erase_style = CSA_FLASHSIM_PARTIALLY_ERASED_BITS;
        else if (strcmp(style, "random") == 0)
            plan->erase_style = CSA_FLASHSIM_RANDOM_CONTENT;
        else if (strcmp(style, "prefix") == 0)
            plan->erase_style = CSA_FLASHSIM_ERASED_PREFIX;
        else
            return -1;
    }
    return 0;
}

static int bad(const char *option, const char *value, const char *expected)
{
    fprintf(stderr, "csa-device: error: %s %s: %s\n", option, value, expected);
    return 2;
}

int csa_device_parse_options(int argc, char **argv, csa_device_options *o)
{
    unsigned long n;
    int i;
    char error[256];
    memset(o, 0, sizeof *o);
    o->upstream = "stdio";
    o->timing = CSA_FLASHSIM_TYPICAL;
    csa_product_defaults(&o->product, &csa_map_stm32f4_1m);
    o->address = CSA_ADDR_UNASSIGNED;
    o->telemetry = true;
    o->pre_major = 1;
    o->power_off_ms = 1000;
    for (i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            csa_device_usage(stdout);
            return 1;
        }
        /* Flags without a value. */
        if (strcmp(opt, "--no-telemetry") == 0) {
            o->telemetry = false;
            continue;
        }
        if (strcmp(opt, "--strict-flash") == 0) {
            o->strict_flash = 1;
            continue;
        }
        if (strcmp(opt, "--crc-only") == 0) {
            o->product.accept_crc = 1;
            continue;
        }
        if (strcmp(opt, "--require-binding") == 0) {
            o->product.require_binding = 1;
            continue;
        }
        if (strcmp(opt, "--require-encryption") == 0) {
            o->product.require_encryption = 1;
            continue;
        }
        if (strcmp(opt, "--no-downgrade-prevention") == 0) {
            o->product.downgrade_prevention = 0;
            continue;
        }
        if (strcmp(opt, "--exit-with-stdin") == 0) {
            o->exit_with_stdin = 1;
            continue;
        }
        if (strcmp(opt, "--store-and-forward") == 0) {
            o->store_and_forward = 1;
            continue;
        }
        if (strcmp(opt, "--no-erase-ahead") == 0) {
            o->product.erase_ahead = 0;
            continue;
        }
        if (strcmp(opt, "--no-multicast") == 0) {
            o->product.multicast = 0;
            continue;
        }
        if (strcmp(opt, "--require-provisioning") == 0) {
            o->product.require_provisioning = 1;
            continue;
        }
        if (val == NULL) {
            fprintf(stderr, "csa-device: error: %s needs a value (csa-device --help)\n", opt);
            return 2;
        }
        i++;
        if (strcmp(opt, "--upstream") == 0) {
            o->upstream = val;
        } else if (strcmp(opt, "--downstream") == 0) {
            o->downstream = val;
        } else if (strcmp(opt, "--family") == 0) {
            if (strcmp(val, "f4") == 0)
                o->product.map = &csa_map_stm32f4_1m;
            else if (strcmp(val, "l4") == 0)
                o->product.map = &csa_map_stm32l4_1m;
            else
                return bad(opt, val, "expected f4 or l4");
        } else if (strcmp(opt, "--flash") == 0) {
            o->flash_path = val;
        } else if (strcmp(opt, "--uid") == 0) {
            if (parse_uid(val, o->uid) != 0)
                return bad(opt, val, "expected 24 hex digits (12 bytes)");
            o->has_uid = 1;
        } else if (strcmp(opt, "--flash-timing") == 0) {
            if (strcmp(val, "typical") == 0)
                o->timing = CSA_FLASHSIM_TYPICAL;
            else if (strcmp(val, "worst") == 0)
                o->timing = CSA_FLASHSIM_WORST_CASE;
            else if (strcmp(val, "instant") == 0)
                o->timing = CSA_FLASHSIM_INSTANT;
            else
                return bad(opt, val, "expected typical, worst or instant");
        } else if (strcmp(opt, "--trust") == 0) {
            uint8_t xy[64];
            if (o->product.key_count >= CSA_BOOT_MAX_KEYS)
                return bad(opt, val, "at most 4 trusted keys");
            if (csa_device_read_public_key(val, xy, error, sizeof error) != 0)
                return bad(opt, val, error);
            csa_trusted_key_init(&o->product.keys[o->product.key_count++], xy);
        } else if (strcmp(opt, "--production-key") == 0) {
            uint8_t xy[64];
            if (o->product.production_key_count >= CSA_ID_MAX_PRODUCTION_KEYS)
                return bad(opt, val, "at most 2 production keys");
            if (csa_device_read_public_key(val, xy, error, sizeof error) != 0)
                return bad(opt, val, error);
            csa_trusted_key_init(&o->product.production_keys[o->product.production_key_count++], xy);
        } else if (strcmp(opt, "--key-storage") == 0) {
            o->key_storage_path = val;
        } else if (strcmp(opt, "--identity-key") == 0) {
            if (csa_device_read_private_key(val, o->identity_key, error, sizeof error) != 0)
                return bad(opt, val, error);
            o->has_identity_key = 1;
        } else if (strcmp(opt, "--vendor-id") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected a 32-bit number");
            o->product.vendor_id = (uint32_t)n;
        } else if (strcmp(opt, "--device-class") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected a 32-bit number");
            o->product.device_class_id = (uint32_t)n;
        } else if (strcmp(opt, "--hardware-revision") == 0) {
            if (parse_number(val, 0xFFFFu, &n) != 0)
                return bad(opt, val, "expected 0..65535");
            o->product.hardware_revision = (uint16_t)n;
        } else if (strcmp(opt, "--product-name") == 0) {
            if (strlen(val) > CSA_PRODUCT_NAME_MAX)
                return bad(opt, val, "at most 32 bytes");
            strcpy(o->product.product_name, val);
        } else if (strcmp(opt, "--address") == 0) {
            if (parse_number(val, CSA_ADDR_LAST_DEVICE, &n) != 0 || n == 0u)
                return bad(opt, val, "expected a device address 1..239");
            o->address = (uint8_t)n;
        } else if (strcmp(opt, "--max-frame") == 0) {
            if (parse_number(val, CSA_CONFIG_MAX_FRAME_SIZE, &n) != 0 || n < CSA_MIN_MAX_FRAME_SIZE)
                return bad(opt, val, "expected 64..4096");
            o->product.limits.max_frame_size = (uint16_t)n;
        } else if (strcmp(opt, "--rx-buffers") == 0) {
            if (parse_number(val, CSA_CONFIG_RX_BUFFERS, &n) != 0 || n == 0u)
                return bad(opt, val, "expected 1..16");
            o->product.limits.rx_buffers = (uint8_t)n;
        } else if (strcmp(opt, "--max-packet") == 0) {
            if (parse_number(val, CSA_CONFIG_MAX_PACKET_SIZE, &n) != 0 || n < 128u)
                return bad(opt, val, "expected 128..8192");
            o->product.limits.max_packet_size = (uint16_t)n;
        } else if (strcmp(opt, "--heartbeat-ms") == 0) {
            if (parse_number(val, 0xFFFFFFFFul, &n) != 0)
                return bad(opt, val, "expected milliseconds");
            o->product.heartbeat_ms = (uint32_t)n;
        } else if (strcmp(opt, "--factory-bootloader") == 0) {
            o->factory_bootloader = val;
        } else if (strcmp(opt, "--factory-bootloader-b") == 0) {
            o->factory_bootloader_b = val;
        } else if (strcmp(opt, "--factory-application") == 0) {
            o->factory_application = val;
        } else if (strcmp(opt, "--prebootloader-version") == 0) {
            if (parse_version3(val, &o->pre_major, &o->pre_minor, &o->pre_patch) != 0)
                return bad(opt, val, "expected MAJOR.MINOR.PATCH");
        } else if (strcmp(opt, "--cut-at") == 0) {
            if (parse_cut(val, &o->cut) != 0)
                return bad(opt, val, "expected N, N:FRACTION (0 <= FRACTION < 1) or N:FRACTION:bits|random|prefix");
            o->has_cut = 1;
        } else if (strcmp(opt, "--cut-random") == 0) {
            unsigned long seed;
            unsigned long long range;
            char tail;
            if (sscanf(val, "%lu:%llu%c", &seed, &range, &tail) != 2 || range == 0u || seed > 0xFFFFFFFFul)
                return bad(opt, val, "expected SEED:N with N > 0");
            o->cut_random = 1;
            o->cut_seed = (uint32_t)seed;
            o->cut_range = range;
        } else if (strcmp(opt, "--on-power-cut") == 0) {
            if (strcmp(val, "restart") == 0)
                o->exit_on_cut = 0;
            else if (strcmp(val, "exit") == 0)
                o->exit_on_cut = 1;
            else
                return bad(opt, val, "expected restart or exit");
        } else if (strcmp(opt, "--power-off-ms") == 0) {
            if (parse_number(val, 600000ul, &n) != 0)
                return bad(opt, val, "expected milliseconds (at most 600000)");
            o->power_off_ms = (uint32_t)n;
        } else {
            fprintf(stderr, "csa-device: error: unknown option %s (csa-device --help)\n", opt);
            return 2;
        }
    }
    if (o->flash_path == NULL && o->factory_bootloader == NULL) {
        fprintf(stderr, "csa-device: error: give --flash FILE (a flash image file) or --factory-bootloader IMAGE "
                        "(a fresh chip) (csa-device --help)\n");
        return 2;
    }
    if (o->factory_bootloader == NULL && (o->factory_application != NULL || o->factory_bootloader_b != NULL)) {
        fprintf(stderr, "csa-device: error: a fresh chip needs --factory-bootloader IMAGE (copy A) too\n");
        return 2;
    }
    if (o->product.key_count == 0 && !o->product.accept_crc) {
        fprintf(stderr, "csa-device: error: the bootloader trusts nothing: give --trust KEY (or --crc-only)\n");
        return 2;
    }
    if (o->product.require_provisioning && o->product.production_key_count == 0) {
        fprintf(stderr, "csa-device: error: --require-provisioning needs --production-key KEY (the key certificates "
                        "are signed with)\n");
        return 2;
    }
    if (o->exit_with_stdin && (strcmp(o->upstream, "stdio") == 0 || (o->downstream != NULL && strcmp(o->downstream, "stdio") == 0))) {
        fprintf(stderr, "csa-device: error: --exit-with-stdin watches standard input, which --upstream stdio uses as a link\n");
        return 2;
    }
    if (o->has_cut && o->cut_random) {
        fprintf(stderr, "csa-device: error: give --cut-at or --cut-random, not both\n");
        return 2;
    }
    return 0;
}
