/* boot.sweep: the power-cut sweep of an update, in C (REQ-RECOVER). Each scenario's update is run once without a
 * cut to count its flash operations (programs, erases, journal appends, the OTP step, the erase-ahead steps the main
 * loop runs between commands); then, for every operation in turn, the device is cut before it and inside it (torn
 * programs, the three torn-erase styles, at several fractions), powered on, started (the pre-bootloader's choice and
 * the bootloader's decision), and a host retries (BeginUpdate of the image for what is now the target, writes from
 * the resume offset, FinishUpdate, resending where the device says) until the update is done. The device must never
 * be bricked, never start the old application while the host waits, never program over non-erased flash (the flash
 * refuses it) nor erase a committed byte, and the new image must run at the end.
 *
 *   test_boot_sweep            the CI slice: before every operation, and inside every second operation (the tear
 *                              style cycling: partly erased bits, random content, erased prefix)
 *   test_boot_sweep --full     every operation x (before + 3 tear styles x 3 fractions), plus a second random cut
 *                              during the recovery of every third cut point (CTest: boot.sweep.full, label exhaustive)
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "device.h"
#include "image_builder.h"

typedef struct scenario {
    const char *name;
    const csa_memory_map *map;
    uint8_t target;
    uint32_t size;
    uint32_t chunk;
    uint32_t journal_prefill; /* journal records before the update (its appends then cross a journal region) */
} scenario;

static const scenario scenarios[] = {
    {"F4 application 140000", &csa_map_stm32f4_1m, CSA_TARGET_APPLICATION, 140000, 1024, 0},
    {"F4 bootloader copy 30000", &csa_map_stm32f4_1m, CSA_TARGET_OTHER_BOOTLOADER, 30000, 1024, 0},
    {"L4 application 37000 (768-byte writes: watermarks inside pages)", &csa_map_stm32l4_1m, CSA_TARGET_APPLICATION, 37000, 768, 0},
    {"L4 bootloader copy 40000", &csa_map_stm32l4_1m, CSA_TARGET_OTHER_BOOTLOADER, 40000, 512, 0},
    {"L4 bootloader copy 20001, journal 23/25 full", &csa_map_stm32l4_1m, CSA_TARGET_OTHER_BOOTLOADER, 20001, 1024, 22},
    {"F4 application 300000 (3 sectors, resumed mid-sector)", &csa_map_stm32f4_1m, CSA_TARGET_APPLICATION, 300000,
     1024, 0},
};

static uint8_t *images[4]; /* per region id: the new image for BootloaderA, BootloaderB, Application */
static size_t lengths[4];
static uint8_t digests[4][32];

static csa_flashsim *base_chip(const scenario *sc)
{
    csa_flashsim *sim = test_factory(sc->map, 30000);
    csa_flash f = csa_flashsim_port(sim);
    uint32_t i;
    for (i = 0; i < sc->journal_prefill; i++)
        csa_state_request_bootloader(&f, sc->map, (uint16_t)(i % 2)); /* any records */
    csa_state_request_bootloader(&f, sc->map, 0); /* the application entered the bootloader for the host */
    csa_flashsim_reset_stats(sim);
    return sim;
}

static void make_images(const scenario *sc)
{
    uint8_t r;
    for (r = CSA_REGION_BOOTLOADER_A; r <= CSA_REGION_APPLICATION; r++) {
        csa_image img;
        free(images[r]);
        images[r] = (uint8_t *)malloc(sc->size + 200);
        lengths[r] = test_make_image(sc->map, r, 2, sc->size, 2, images[r], sc->size + 200);
        csa_image_parse(images[r], lengths[r], &img, NULL);
        csa_sha256(img.manifest.bytes, img.manifest.length, digests[r]);
    }
}

/* Which region the update targets now (a bootloader copy committed before a cut runs next: the other one is A). */
static uint8_t target_region(const test_device *d, const scenario *sc)
{
    return sc->target == CSA_TARGET_APPLICATION ? CSA_REGION_APPLICATION
                                                : (uint8_t)csa_map_other_bootloader((csa_region_id)d->bl.running);
}

static int done(const test_device *d, const scenario *sc)
{
    if (sc->target == CSA_TARGET_APPLICATION)
        return csa_region_check_holds(&d->bl.checks[CSA_REGION_APPLICATION], digests[CSA_REGION_APPLICATION]);
    return csa_region_check_holds(&d->bl.checks[d->bl.running], digests[d->bl.running]);
}

/* After every power-on: a bootloader runs, and the old application never starts while the host waits. */
static int started_safely(const test_device *d, const scenario *sc)
{
    if (d->decision.running == 0)
        return 0; /* bricked */
    if (!d->decision.start_application)
        return 1;
    return sc->target == CSA_TARGET_APPLICATION && done(d, sc); /* only the new application may start */
}

/* The sectors an update of `region` erases: those of the payload and those of the trailer area. */
static unsigned sectors_of_update(const scenario *sc, uint8_t region)
{
    const csa_region *r = &sc->map->regions[region];
    uint32_t payload_end = r->address + sc->size, trailer = csa_trailer_area(r);
    unsigned i, n = 0;
    for (i = 0; i < r->sector_count; i++) {
        csa_flash_sector sec;
        csa_flash_sector_info(sc->map->geometry, (uint16_t)(r->first_sector + i), &sec);
        n += (unsigned)(sec.address < payload_end || sec.address + sec.size > trailer);
    }
    return n;
}

typedef struct sweep_result {
    uint64_t operations;
    uint32_t erased_ahead;
    unsigned cut_points;
    unsigned recovered;
    unsigned second_cuts;
} sweep_result;

static csa_flashsim_plan plan_of(uint64_t op, unsigned variant, unsigned variants)
{
    static const double fractions[] = {0.5, 0.07, 0.93};
    csa_flashsim_plan p;
    memset(&p, 0, sizeof p);
    p.operation = op;
    p.seed = (uint32_t)(op * 2654435761u) ^ variant;
    if (variant == 0)
        return p; /* before the operation */
    p.during = 1;
    if (variants == 2) { /* the slice: one tear per operation, the style cycling with the operation */
        p.erase_style = (csa_flashsim_tear)((op / 2u) % 3u);
        p.fraction = 0.5;
    } else {
        p.erase_style = (csa_flashsim_tear)((variant - 1) / 3);
        p.fraction = fractions[(variant - 1) % 3];
    }
    return p;
}

static int run_cut(const scenario *sc, csa_flashsim *base, uint64_t op, unsigned variant, unsigned variants,
                   int second_cut, uint64_t total_ops)
{
    static test_device d;
    csa_flashsim_plan plan = plan_of(op, variant, variants);
    csa_bl_status st;
    int attempt, ok = 0;
    memset(&d, 0, sizeof d);
    CHECK_EQ(test_power_on(&d, csa_flashsim_clone(base), sc->map), CSA_BL_OK);
    csa_flashsim_arm(d.sim, &plan);
    st = test_host_update(&d, sc->target, images[target_region(&d, sc)], lengths[target_region(&d, sc)], sc->chunk);
    CHECK_EQ(st, CSA_BL_POWER_LOST);
    for (attempt = 0; attempt < 6; attempt++) {
        st = test_restart(&d);
        /* The security counter never goes back (it was 1; the new image's is 2). */
        CHECK(csa_bl_security_counter(&d.bl) >= 1);
        if (st != CSA_BL_OK || !started_safely(&d, sc)) {
            fprintf(stderr, "%s: cut %llu/%u: after power-on running %u, application %u, stay %u (status %d)\n",
                    sc->name, (unsigned long long)op, variant, d.decision.running, d.decision.start_application,
                    d.decision.stay_reason, st);
            break;
        }
        /* Done: the new bootloader copy runs, or the new application starts. A committed application whose
         * Complete record was cut still waits for the persisted request: the host's BeginUpdate + FinishUpdate of
         * the same image completes the bookkeeping without touching flash contents (device-model.md 6.5). */
        if (done(&d, sc) && (sc->target != CSA_TARGET_APPLICATION || d.decision.start_application)) {
            ok = 1;
            break;
        }
        if (second_cut && attempt == 0)
            csa_flashsim_arm_random(d.sim, (uint32_t)(op * 31u + variant), total_ops);
        st = test_host_update(&d, sc->target, images[target_region(&d, sc)], lengths[target_region(&d, sc)],
                              sc->chunk);
        if (st == CSA_BL_POWER_LOST)
            continue;
        if (st != CSA_BL_OK) {
            fprintf(stderr, "%s: cut %llu/%u: the retry answered %d\n", sc->name, (unsigned long long)op, variant, st);
            break;
        }
    }
    /* The end: the new image runs (the application starts; the new bootloader copy is the one chosen). */
    if (ok) {
        csa_flashsim_disarm(d.sim);
        CHECK_EQ(test_restart(&d), CSA_BL_OK);
        ok = done(&d, sc) && d.decision.running != 0
             && (sc->target == CSA_TARGET_APPLICATION ? d.decision.start_application
                                                      : d.bl.running == target_region(&d, sc) ? 0 : 1);
        if (sc->target == CSA_TARGET_OTHER_BOOTLOADER)
            ok = done(&d, sc) && csa_region_check_version(&d.bl.checks[d.bl.running]) >> 56 == 2;
        CHECK_EQ(csa_bl_security_counter(&d.bl), 2);
    }
    CHECK_EQ(d.bl.stats.invariant_refusals, 0);
    if (!ok)
        fprintf(stderr, "%s: cut %llu/%u: not recovered (running %u, application %u, stay %u, done %d)\n", sc->name,
                (unsigned long long)op, variant, d.decision.running, d.decision.start_application,
                d.decision.stay_reason, done(&d, sc));
    CHECK(ok);
    test_device_free(&d);
    return ok;
}

static sweep_result sweep(const scenario *sc, int full)
{
    static test_device d;
    sweep_result r;
    csa_flashsim *base;
    uint64_t op;
    unsigned variants = full ? 10u : 2u, v, stride = full ? 1u : csa_test_stride();
    /* variants: 0 = before the operation; the rest inside it */
    memset(&r, 0, sizeof r);
    make_images(sc);
    base = base_chip(sc);
    /* The uninterrupted run: how many flash operations the update takes. */
    memset(&d, 0, sizeof d);
    CHECK_EQ(test_power_on(&d, csa_flashsim_clone(base), sc->map), CSA_BL_OK);
    CHECK_EQ(d.decision.stay_reason, CSA_STAY_REQUESTED);
    CHECK_EQ(test_host_update(&d, sc->target, images[target_region(&d, sc)], lengths[target_region(&d, sc)], sc->chunk),
             CSA_BL_OK);
    r.operations = csa_flashsim_get_stats(d.sim)->operations;
    /* Every erase of the update ran in the background, the trailer's too (BeginUpdate erases nothing: the journal's
     * revoked bit took the old image's validity away), so the cut points below include cuts before and inside each
     * background erase, the trailer's last. */
    r.erased_ahead = d.bl.stats.erased_ahead;
    CHECK_EQ(r.erased_ahead, sectors_of_update(sc, target_region(&d, sc)));
    test_device_free(&d);
    for (op = 0; op < r.operations; op++) {
        if (op % stride != 0 && op + 3 < r.operations)
            continue; /* sampled (the sanitizer build); the last operations (the commit) always */
        for (v = 0; v < variants; v++) {
            int second = full && v == 1 && op % 3 == 0;
            if (!full && v == 1 && op % 2 == 1)
                continue; /* the slice tears every second operation */
            r.cut_points++;
            r.second_cuts += (unsigned)second;
            r.recovered += (unsigned)run_cut(sc, base, op, v, variants, second, r.operations);
        }
    }
    csa_flashsim_destroy(base);
    return r;
}

static int full_sweep;

static void sweep_every_scenario(void)
{
    unsigned i, total_cuts = 0, total_recovered = 0;
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        sweep_result r;
        if (!full_sweep && scenarios[i].size > 200000)
            continue; /* the long F4 update runs in the full sweep only */
        r = sweep(&scenarios[i], full_sweep);
        printf("     %-62s %4llu operations (%u background erases), %5u cut points (%u with a second cut), %5u "
               "recovered\n",
               scenarios[i].name, (unsigned long long)r.operations, r.erased_ahead, r.cut_points, r.second_cuts,
               r.recovered);
        CHECK_EQ(r.recovered, r.cut_points);
        total_cuts += r.cut_points;
        total_recovered += r.recovered;
    }
    printf("     total: %u cut points, %u recovered\n", total_cuts, total_recovered);
}

int main(int argc, char **argv)
{
    unsigned r;
    full_sweep = argc > 1 && strcmp(argv[1], "--full") == 0;
    RUN(sweep_every_scenario);
    for (r = 0; r < 4; r++)
        free(images[r]);
    return csa_test_done();
}
