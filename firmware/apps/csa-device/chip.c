/* The POSIX chip (chip.h): flash, power, links and the start-up chain pre-bootloader -> bootloader -> application. */
#include "chip.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csa/csa_port_posix.h"
#include "csa_boot/factory.h"
#include "csa_boot/preboot.h"
#include "csa_service/bootloader_service.h"
#include "csa_service/preboot_run.h"
#include "csa_service/busy_link.h"
#include "demo_app.h"
#include "key_storage.h"

#define CUT_EXIT_STATUS 99

volatile sig_atomic_t csa_chip_stop_requested;
volatile sig_atomic_t csa_chip_cut_requested;
volatile sig_atomic_t csa_chip_report_requested;

/* Everything is static: a chip's RAM, sized by the build's configuration (apps/csa-device/config). */
static const csa_device_options *opt;
static csa_product product;            /* the options' product, with the key storage */
static csa_keystore_soft keystore;     /* the chip's key storage: not part of the flash */
static csa_keystore_record ram_keys;   /* its content when it has no file (survives resets and power cuts) */
static csa_posix_link_t links[2];
static int link_count;
static bool link_open[2];
static csa_flashsim *volatile sim;
static csa_flash flash;
static bool powered;
static csa_retained retained; /* the RAM words a reset keeps (handoff.h); a power cut clears them */
static csa_node_t node;
static csa_bl_service bootloader;
static csa_demo_app_t application;
static uint8_t rx[4096];
static bool node_running; /* a stage serves the links with its ports bound; false from a reset or power cut on */
static bool feeding_node; /* pump is inside csa_node_receive: a handler's flash operation must not re-enter it */

typedef enum { STAGE_RESET, STAGE_POWER_LOST, STAGE_STOP } stage_end;

static void say(const char *text)
{
    fprintf(stderr, "csa-device: %s\n", text);
    fflush(stderr);
}

/* The board's UART: while the chip has no power (or lost it inside a flash operation a moment ago) nothing is sent. */
static void board_write(void *ctx, const uint8_t *data, size_t n)
{
    if (!powered || !csa_flashsim_powered(sim))
        return;
    csa_posix_link_write(ctx, data, n);
}

void csa_chip_request_cut_from_signal(void)
{
    csa_flashsim *s = sim;
    if (s != NULL)
        csa_flashsim_request_cut(s); /* only sets a flag */
}

/* ---- opening the flash ---- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data;
    long size;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = (uint8_t *)malloc((size_t)size + 1u);
    if (data != NULL && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

static int install(const csa_flash *f, csa_region_id region, const char *path, const char *what)
{
    size_t len = 0;
    uint8_t *image = read_file(path, &len);
    csa_flash_status fs = CSA_FLASH_OK;
    csa_factory_result r;
    if (image == NULL) {
        fprintf(stderr, "csa-device: error: cannot read the %s image %s\n", what, path);
        return 2;
    }
    r = csa_factory_install(f, &product.map->regions[region], image, len, &fs);
    free(image);
    if (r != CSA_FACTORY_OK) {
        fprintf(stderr, "csa-device: error: the %s image %s %s\n", what, path,
                r == CSA_FACTORY_MALFORMED      ? "is not a Csa image (image-format.md)"
                : r == CSA_FACTORY_DOES_NOT_FIT ? "does not fit its region"
                                                : csa_flash_status_name(fs));
        return 2;
    }
    return 0;
}

static csa_flashsim_options sim_options(void)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = product.map->geometry;
    o.overwrite = opt->strict_flash ? CSA_FLASHSIM_REJECT_ANY_REPROGRAM : CSA_FLASHSIM_AND_LIKE_SILICON;
    o.timing = opt->timing;
    o.sleep = opt->timing != CSA_FLASHSIM_INSTANT; /* the flash takes its time; the link runs meanwhile (flash_busy) */
    o.has_uid = opt->has_uid;
    memcpy(o.uid, opt->uid, sizeof o.uid);
    return o;
}

/* What a production programmer does to a blank chip, on an instant copy of the chip (the factory's time is not the
 * device's), handed over as the flash file's bytes. */
static int factory_program(csa_flashsim **out)
{
    csa_flashsim_options o = sim_options();
    csa_flashsim *blank;
    csa_flash f;
    uint8_t *bytes;
    size_t len = 0;
    int rc = 0;
    o.timing = CSA_FLASHSIM_INSTANT;
    o.sleep = 0;
    o.overwrite = CSA_FLASHSIM_AND_LIKE_SILICON;
    blank = csa_flashsim_create(&o);
    if (blank == NULL) {
        say("error: out of memory");
        return 3;
    }
    f = csa_flashsim_port(blank);
    if (csa_factory_write_marker(&f, product.map, opt->pre_major, opt->pre_minor, opt->pre_patch, NULL)
        != CSA_FACTORY_OK)
        rc = 3;
    if (rc == 0)
        rc = install(&f, CSA_REGION_BOOTLOADER_A, opt->factory_bootloader, "bootloader");
    if (rc == 0 && opt->factory_bootloader_b != NULL)
        rc = install(&f, CSA_REGION_BOOTLOADER_B, opt->factory_bootloader_b, "bootloader B");
    if (rc == 0 && opt->factory_application != NULL)
        rc = install(&f, CSA_REGION_APPLICATION, opt->factory_application, "application");
    bytes = rc == 0 ? csa_flashsim_serialize(blank, &len) : NULL;
    csa_flashsim_destroy(blank);
    if (rc != 0)
        return rc;
    o = sim_options();
    if (bytes == NULL || csa_flashsim_load_buffer(bytes, len, &o, out) != CSA_FLASHSIM_FILE_OK) {
        free(bytes);
        say("error: out of memory");
        return 3;
    }
    free(bytes);
    if (opt->flash_path != NULL && csa_flashsim_save(*out, opt->flash_path) != CSA_FLASHSIM_FILE_OK) {
        fprintf(stderr, "csa-device: error: cannot write the flash file %s: %s\n", opt->flash_path, strerror(errno));
        return 3;
    }
    return 0;
}

static void flash_busy(void *ctx, uint64_t remaining_ns);

static int open_flash(void)
{
    csa_flashsim *s = NULL;
    int rc;
    if (opt->factory_bootloader != NULL) {
        rc = factory_program(&s);
        if (rc != 0)
            return rc;
    } else {
        csa_flashsim_options o = sim_options();
        csa_flashsim_file_error e = csa_flashsim_load(opt->flash_path, &o, &s);
        if (e != CSA_FLASHSIM_FILE_OK) {
            fprintf(stderr, "csa-device: error: the flash file %s: %s%s%s\n", opt->flash_path,
                    csa_flashsim_file_error_name(e), e == CSA_FLASHSIM_FILE_IO ? ": " : "",
                    e == CSA_FLASHSIM_FILE_IO ? strerror(errno) : "");
            return 2;
        }
    }
    if (opt->flash_path != NULL)
        csa_flashsim_persist_to(s, opt->flash_path); /* a killed process leaves the flash as of its last operation */
    if (opt->has_cut)
        csa_flashsim_arm(s, &opt->cut);
    else if (opt->cut_random)
        csa_flashsim_arm_random(s, opt->cut_seed, opt->cut_range);
    if (opt->exit_on_cut)
        csa_flashsim_on_cut(s, CSA_FLASHSIM_CUT_EXIT, CUT_EXIT_STATUS);
    csa_flashsim_reset_stats(s);
    csa_flashsim_on_busy(s, flash_busy, NULL); /* the link keeps running while the flash is busy */
    flash = csa_flashsim_port(s);
    sim = s;
    return 0;
}

/* The key storage: a file of its own or RAM, the random source, and a key injected in production. */
static int open_key_storage(void)
{
    csa_keystore_backend backend;
    csa_keystore_record r;
    if (opt->key_storage_path != NULL)
        csa_device_key_file_backend(&backend, opt->key_storage_path);
    else
        csa_keystore_ram_backend(&backend, &ram_keys);
    csa_keystore_soft_init(&keystore, &backend, csa_device_random, NULL);
    product.keystore = &keystore.port;
    if (backend.load(backend.ctx, &r) != 0) {
        fprintf(stderr, "csa-device: error: the key storage %s cannot be read or is not a P-256 key (PEM PKCS#8)\n",
                opt->key_storage_path);
        return 2;
    }
    if (opt->has_identity_key) {
        uint8_t pub[64];
        if (r.has_key) {
            int same = memcmp(r.private_key, opt->identity_key, 32) == 0;
            csa_ct_wipe(&r, sizeof r);
            if (same)
                return 0;
            fprintf(stderr, "csa-device: error: the key storage already holds another identity key\n");
            return 2;
        }
        memset(&r, 0, sizeof r);
        memcpy(r.private_key, opt->identity_key, 32);
        (void)csa_p256_public_key(opt->identity_key, pub);
        memcpy(r.public_key, pub, 64);
        r.has_key = 1;
        if (backend.save(backend.ctx, &r) != 0) {
            csa_ct_wipe(&r, sizeof r);
            fprintf(stderr, "csa-device: error: cannot write the key storage %s: %s\n", opt->key_storage_path,
                    strerror(errno));
            return 2;
        }
    }
    csa_ct_wipe(&r, sizeof r);
    return 0;
}

int csa_chip_open(const csa_device_options *options)
{
    char error[256];
    int rc;
    opt = options;
    product = options->product;
    rc = open_key_storage();
    if (rc != 0)
        return rc;
    if (csa_posix_link_open(&links[0], opt->upstream, error, sizeof error) != 0) {
        fprintf(stderr, "csa-device: error: upstream %s\n", error);
        return 3;
    }
    link_count = 1;
    if (opt->downstream != NULL) {
        if (csa_posix_link_open(&links[1], opt->downstream, error, sizeof error) != 0) {
            fprintf(stderr, "csa-device: error: downstream %s\n", error);
            return 3;
        }
        link_count = 2;
    }
    link_open[0] = links[0].far_end_present;
    link_open[1] = link_count == 2 && links[1].far_end_present;
    rc = open_flash();
    if (rc != 0)
        return rc;
    fprintf(stderr, "csa-device: upstream %s\n", links[0].name);
    if (link_count == 2)
        fprintf(stderr, "csa-device: downstream %s\n", links[1].name);
    fflush(stderr);
    return 0;
}

void csa_chip_close(void)
{
    int i;
    for (i = 0; i < link_count; i++)
        csa_posix_link_close(&links[i]);
    if (sim != NULL) {
        fprintf(stderr, "csa-device: stopped after %llu flash operations\n",
                (unsigned long long)csa_flashsim_get_stats(sim)->operations);
        fflush(stderr);
        csa_flashsim_destroy(sim);
        sim = NULL;
    }
}

/* ---- the links ---- */

/* What the data link forwarded and dropped since the program started: the nodes of earlier starts (a reset, a power
 * cut, bootloader and application) added up, for the tests (SIGUSR2). */
static unsigned long link_totals[5];
static bool node_started;

static void add_link_counters(unsigned long sums[5])
{
    csa_counters_t t;
    if (!node_started)
        return;
    csa_node_totals(&node, &t);
    sums[0] += t.frames_forwarded;
#if CSA_CONFIG_CUT_THROUGH
    sums[1] += t.frames_cut_through;
    sums[2] += t.frames_poisoned;
#endif
    sums[3] += t.dropped[CSA_DROP_CRC_MISMATCH];
    sums[4] += t.dropped[CSA_DROP_MALFORMED];
}

static void report_link_counters(void)
{
    unsigned long sums[5];
    memcpy(sums, link_totals, sizeof sums);
    add_link_counters(sums);
    fprintf(stderr, "csa-device: data link forwarded=%lu cut-through=%lu poisoned=%lu crc-mismatch=%lu malformed=%lu\n",
            sums[0], sums[1], sums[2], sums[3], sums[4]);
}

/* Waits up to timeout_ms for input, then feeds every byte that arrived to the node (or drops it while the chip is
 * off, or bricked: node NULL). Returns 1 when bytes were fed. */
static int pump(csa_node_t *n, int timeout_ms)
{
    struct pollfd fds[5];
    int nfds = 0, l, fed = 0, watched = -1;
    for (l = 0; l < link_count; l++)
        nfds += csa_posix_link_poll_fds(&links[l], fds + nfds);
    if (opt->exit_with_stdin) {
        watched = nfds++;
        fds[watched].fd = STDIN_FILENO;
        fds[watched].events = POLLIN;
        fds[watched].revents = 0;
    }
    if (poll(fds, (nfds_t)nfds, timeout_ms) < 0 && errno != EINTR)
        csa_chip_stop_requested = 1;
    if (watched >= 0 && (fds[watched].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        uint8_t ignored[64];
        ssize_t r = read(STDIN_FILENO, ignored, sizeof ignored); /* anything written is ignored; the end is the news */
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
            say("standard input closed: the program that started this device is gone");
            csa_chip_stop_requested = 1;
        }
    }
    if (csa_chip_report_requested) {
        const csa_flashsim_stats *stats = csa_flashsim_get_stats(sim);
        csa_chip_report_requested = 0;
        /* Two lines: the operation count first (what power-cut sweeps read), then where the flash time went. */
        fprintf(stderr, "csa-device: flash operations %llu\n", (unsigned long long)stats->operations);
        fprintf(stderr, "csa-device: flash busy %llu us: %llu erases, %llu programs of %llu bytes\n",
                (unsigned long long)(stats->busy_ns / 1000u), (unsigned long long)stats->erases,
                (unsigned long long)stats->programs, (unsigned long long)stats->programmed_bytes);
        report_link_counters();
        fflush(stderr);
    }
    for (l = 0; l < link_count; l++) {
        for (;;) {
            size_t len = 0;
            uint32_t now = csa_posix_millis();
            csa_posix_event_t ev = csa_posix_link_service(&links[l], rx, sizeof rx, &len, now);
            if (ev == CSA_POSIX_DATA) {
                if (n != NULL && powered && csa_flashsim_powered(sim)) {
                    feeding_node = true;
                    csa_node_receive(n, (uint8_t)l, rx, len, now);
                    feeding_node = false;
                    fed = 1;
                }
                continue;
            }
            if (ev == CSA_POSIX_CONNECTED || ev == CSA_POSIX_DISCONNECTED) {
                link_open[l] = ev == CSA_POSIX_CONNECTED;
                if (n != NULL)
                    csa_node_set_link_open(n, (uint8_t)l, link_open[l]);
                fprintf(stderr, "csa-device: %s %s\n", l == 0 ? "upstream" : "downstream",
                        link_open[l] ? "connected" : "disconnected");
                fflush(stderr);
                continue;
            }
            if (ev == CSA_POSIX_ENDED && l == 0)
                csa_chip_stop_requested = 1; /* stdin closed: the host is gone for good */
            break;
        }
    }
    return fed;
}

/* While a flash operation's time runs (csa_flashsim_on_busy): the chip's SRAM-resident receive path keeps going
 * (device-model.md 6.4.1, busy_link.h). Bytes are read, frames decoded, frames for other nodes forwarded, link
 * management answered; packets for this node's ports wait in the receive buffers until the main loop hands them to
 * their handlers (no RPC handler runs, so no other flash operation starts). A flash operation inside a handler that
 * pump is feeding (a Write's program, milliseconds) cannot feed the same node again: it sleeps, and the bytes wait
 * in the kernel's buffers as in a UART's DMA ring. */
static void flash_busy(void *ctx, uint64_t remaining_ns)
{
    static bool servicing;
    uint64_t ms = remaining_ns / 1000000u;
    (void)ctx;
    if (servicing || feeding_node || !node_running || ms == 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(remaining_ns / 1000000000u);
        ts.tv_nsec = (long)(remaining_ns % 1000000000u);
        (void)nanosleep(&ts, NULL); /* a signal ends it early: the flash looks at a cut request */
        return;
    }
    servicing = true;
    csa_busy_link_begin(&node);
    (void)pump(&node, ms > 10u ? 10 : (int)ms);
    csa_busy_link_end(&node);
    servicing = false;
}

/* A fresh node for a start: RAM is new, the wires are the board's, the address is the one a reset kept (or the
 * fixed one). */
static void node_start(uint32_t now)
{
    uint8_t address = opt->address;
    bool assignable = opt->address == CSA_ADDR_UNASSIGNED;
    int l;
    if (assignable && retained.has_address && csa_retained_valid(&retained))
        address = retained.address;
    add_link_counters(link_totals);
    (void)csa_node_init(&node, &product.limits, address, assignable, now);
    node_started = true;
#if CSA_CONFIG_CUT_THROUGH
    csa_node_set_cut_through(&node, !opt->store_and_forward);
#endif
    /* packets held while the flash was busy lived in the node: csa_node_init forgot them (RAM is new) */
    for (l = 0; l < link_count; l++) {
        csa_node_add_link(&node, l == 0 ? CSA_LINK_UPSTREAM : CSA_LINK_DOWNSTREAM, board_write, &links[l]);
        csa_node_set_link_open(&node, (uint8_t)l, link_open[l]);
    }
}

/* A cut asked for by SIGUSR1 that no flash operation consumed: the power goes now, between operations. */
static int cut_by_signal(void)
{
    if (!csa_chip_cut_requested)
        return 0;
    if (csa_flashsim_powered(sim))
        csa_flashsim_cut_power(sim); /* with --on-power-cut exit the process ends here, flash saved */
    return 1;
}

/* ---- the stages ---- */

static stage_end serve_bootloader(void)
{
    node_running = true; /* its ports are bound: from now on the link runs during flash operations too */
    for (;;) {
        uint32_t now;
        int fed;
        csa_run r;
        if (csa_chip_stop_requested)
            return STAGE_STOP;
        fed = csa_busy_link_deliver(&node) ? 1 : 0; /* what arrived during a flash operation, before anything newer */
        fed |= pump(&node, fed || csa_bl_service_busy(&bootloader) ? 0 : 10);
        if (cut_by_signal())
            return STAGE_POWER_LOST;
        now = csa_posix_millis();
        csa_node_poll(&node, now);
        r = csa_bl_service_poll(&bootloader, now, !fed);
        if (r == CSA_RUN_RESET)
            return STAGE_RESET;
        if (r == CSA_RUN_POWER_LOST || !csa_flashsim_powered(sim))
            return STAGE_POWER_LOST;
    }
}

static stage_end run_application(void)
{
    uint32_t now = csa_posix_millis();
    char line[96];
    const csa_image_version_info *v = &retained.handoff.application_version;
    node_start(now);
    if (csa_demo_app_start(&application, &node, &product, &flash, &retained, opt->telemetry, now) != CSA_OK) {
        say("error: the application's interfaces do not fit this build's configuration");
        return STAGE_STOP;
    }
    node_running = true;
    snprintf(line, sizeof line, "application %u.%u.%u runs", v->major, v->minor, v->patch);
    say(line);
    for (;;) {
        csa_run r;
        if (csa_chip_stop_requested)
            return STAGE_STOP;
        (void)pump(&node, csa_busy_link_deliver(&node) ? 0 : 10);
        if (cut_by_signal())
            return STAGE_POWER_LOST;
        now = csa_posix_millis();
        csa_node_poll(&node, now);
        r = csa_demo_app_poll(&application, now);
        if (r == CSA_RUN_RESET)
            return STAGE_RESET;
        if (r == CSA_RUN_POWER_LOST || !csa_flashsim_powered(sim))
            return STAGE_POWER_LOST;
    }
}

/* Nothing runs: the chip has no valid pre-bootloader or bootloader copy. It answers and forwards nothing until the
 * power goes (or the program ends). */
static stage_end bricked(void)
{
    say("nothing to run: no valid bootloader copy (bricked)");
    for (;;) {
        if (csa_chip_stop_requested)
            return STAGE_STOP;
        (void)pump(NULL, 10);
        if (cut_by_signal())
            return STAGE_POWER_LOST;
    }
}

static const char *stay_name(uint8_t stay)
{
    static const char *const names[] = {"None",           "NoValidApplication", "Requested",          "UpdateInProgress",
                                        "NotProvisioned", "IdentityMismatch",   "ProvisioningDamaged"};
    return stay < sizeof names / sizeof names[0] ? names[stay] : "?";
}

/* From the reset vector: pre-bootloader, bootloader, and the application when the bootloader starts it. */
static stage_end start(void)
{
    csa_preboot_result pre;
    csa_flash_status fs;
    csa_bl_status st;
    int present = 0;
    uint8_t major = 0, minor = 0;
    uint16_t patch = 0;
    char line[160];
    uint32_t now = csa_posix_millis();
    node_running = false; /* a reset: the node starts again below */
    /* The pre-bootloader: on this chip its region holds the marker that stands for its code. */
    fs = csa_preboot_marker_read(&flash, product.map, &present, &major, &minor, &patch);
    if (fs == CSA_FLASH_OK && present)
        fs = csa_preboot_run(&flash, &product, &pre);
    if (fs == CSA_FLASH_POWER_LOST)
        return STAGE_POWER_LOST;
    if (fs != CSA_FLASH_OK || !present || pre.copy == 0)
        return bricked();
    /* The bootloader copy it started. */
    node_start(now);
    st = csa_bl_service_start(&bootloader, &product, &flash, &node, &retained, now, 0);
    if (st == CSA_BL_POWER_LOST)
        return STAGE_POWER_LOST;
    if (st != CSA_BL_OK) {
        say("error: the product does not fit this build (memory map, keys or write size)");
        return STAGE_STOP;
    }
    if (bootloader.decision.running != pre.copy)
        say("warning: the bootloader's own check chose another copy than the pre-bootloader");
    snprintf(line, sizeof line, "pre-bootloader %u.%u.%u starts bootloader %c %u.%u.%u; %s", major, minor, patch,
             pre.copy == CSA_REGION_BOOTLOADER_B ? 'B' : 'A', retained.handoff.bootloader_version.major,
             retained.handoff.bootloader_version.minor, retained.handoff.bootloader_version.patch,
             bootloader.decision.start_application ? "it starts the application" : "it stays: ");
    if (!bootloader.decision.start_application)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s", stay_name(bootloader.decision.stay_reason));
    say(line);
    if (bootloader.decision.start_application)
        return run_application(); /* the jump: on a chip, VTOR and the stack pointer of the application's vectors */
    return serve_bootloader();
}

/* The power is off for a while: RAM is lost, bytes that arrive are lost, then the power comes back. */
static void power_off(void)
{
    uint32_t until = csa_posix_millis() + opt->power_off_ms;
    char line[96];
    powered = false;
    node_running = false;
    csa_retained_clear(&retained);
    snprintf(line, sizeof line, "power cut after %llu flash operations; back on in %u ms",
             (unsigned long long)csa_flashsim_get_stats(sim)->operations, (unsigned)opt->power_off_ms);
    say(line);
    if (opt->exit_on_cut) {
        if (csa_flashsim_powered(sim))
            csa_flashsim_cut_power(sim); /* exits, the file saved */
        exit(CUT_EXIT_STATUS);
    }
    while (!csa_chip_stop_requested && (int32_t)(until - csa_posix_millis()) > 0)
        (void)pump(NULL, 10);
    csa_chip_cut_requested = 0;
    csa_flashsim_power_on(sim);
    powered = true;
    say("power on");
}

int csa_chip_run(void)
{
    bool first = true;
    powered = true;
    csa_retained_clear(&retained);
    while (!csa_chip_stop_requested) {
        stage_end end;
        if (first) {
            fprintf(stderr, "csa-device: ready (max frame %u, %u receive buffers, max packet %u)\n",
                    (unsigned)product.limits.max_frame_size, (unsigned)product.limits.rx_buffers,
                    (unsigned)product.limits.max_packet_size);
            fflush(stderr);
            first = false;
        }
        end = start();
        if (end == STAGE_STOP)
            break;
        if (end == STAGE_RESET) {
            say("reset");
            continue;
        }
        power_off();
    }
    return 0;
}
