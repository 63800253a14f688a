/* flash.power: power cuts before and inside operations, torn programs and erases (docs/device-model.md 1.5), and
 * a cut that ends the process, restarted from the flash file. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_fixture.h"

static csa_flashsim_plan before(uint64_t n)
{
    csa_flashsim_plan p;
    memset(&p, 0, sizeof p);
    p.operation = n;
    p.fraction = -1;
    return p;
}

static csa_flashsim_plan during(uint64_t n, uint32_t seed, double fraction, csa_flashsim_tear style)
{
    csa_flashsim_plan p = before(n);
    p.during = 1;
    p.seed = seed;
    p.fraction = fraction;
    p.erase_style = style;
    return p;
}

static void cut_before_an_operation_does_nothing_of_it_and_stops_everything(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    csa_flashsim_plan p = before(1);
    uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 8}, got[8];
    csa_flashsim_arm(s, &p);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, d, 8), CSA_FLASH_OK); /* operation 0 */
    CHECK_EQ(csa_flash_program(&f, 0x08020008u, d, 8), CSA_FLASH_POWER_LOST);
    CHECK(!csa_flashsim_powered(s));
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 8), CSA_FLASH_POWER_LOST);
    CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_POWER_LOST);
    csa_flashsim_power_on(s);
    CHECK_EQ(csa_flash_read(&f, 0x08020008u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0xFF));
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 8), CSA_FLASH_OK);
    CHECK(memcmp(got, d, 8) == 0);
    CHECK_EQ(csa_flashsim_get_stats(s)->power_cuts, 1);
    /* The plan fired once; the flash works normally afterwards. */
    CHECK_EQ(csa_flash_program(&f, 0x08020008u, d, 8), CSA_FLASH_OK);
    csa_flashsim_destroy(s);
}

/* A torn program: units before the cut land, the unit at the cut gets some of its 1 -> 0 changes, later ones none. */
static void torn_program_f4(void)
{
    uint32_t seed;
    for (seed = 1; seed <= 40; seed++) {
        csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
        csa_flash f = csa_flashsim_port(s);
        csa_flashsim_plan p = during(0, seed, 0.5, CSA_FLASHSIM_PARTIALLY_ERASED_BITS);
        uint8_t d[64], got[64];
        unsigned i;
        for (i = 0; i < sizeof d; i++)
            d[i] = (uint8_t)(i * 37);
        csa_flashsim_arm(s, &p);
        CHECK_EQ(csa_flash_program(&f, 0x08020000u, d, 64), CSA_FLASH_POWER_LOST);
        csa_flashsim_power_on(s);
        CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 64), CSA_FLASH_OK);
        CHECK(memcmp(got, d, 32) == 0);     /* units 0-7 landed (cut at unit 8 of 16) */
        for (i = 32; i < 36; i++)
            CHECK_EQ(got[i] & d[i], d[i]);  /* only intended 1 -> 0 changes, never others */
        CHECK(all_bytes(got + 36, 28, 0xFF));
        csa_flashsim_destroy(s);
    }
}

static void torn_program_l4_reads_as_ecc_error_until_erased_or_zeroed(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    csa_flashsim_plan p = during(0, 7, 0.3, CSA_FLASHSIM_PARTIALLY_ERASED_BITS);
    uint8_t d[32], got[8], zero[8] = {0};
    int blank = -1;
    memset(d, 0x00, sizeof d); /* every bit must change: some of the torn unit's bits certainly miss */
    csa_flashsim_arm(s, &p);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, d, 32), CSA_FLASH_POWER_LOST);
    csa_flashsim_power_on(s);
    CHECK_EQ(csa_flash_read(&f, 0x08010000u, got, 8), CSA_FLASH_OK);         /* unit 0 landed */
    CHECK_EQ(csa_flash_read(&f, 0x08010008u, got, 8), CSA_FLASH_ERR_ECC);    /* unit 1 torn: ECCD */
    CHECK_EQ(csa_flash_read(&f, 0x08010004u, got, 8), CSA_FLASH_ERR_ECC);    /* any read touching it */
    CHECK_EQ(csa_flash_read(&f, 0x08010010u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0xFF));
    CHECK_EQ(csa_flash_is_blank(&f, 0x08010008u, 8, &blank), CSA_FLASH_OK);
    CHECK_EQ(blank, 0); /* an ECC error is not blank */
    CHECK(csa_flashsim_ecc_broken(s, 0x0801000Cu));
    CHECK_EQ(csa_flash_program(&f, 0x08010008u, zero, 8), CSA_FLASH_OK); /* zeros: the ECC of zero is zero */
    CHECK_EQ(csa_flash_read(&f, 0x08010008u, got, 8), CSA_FLASH_OK);
    CHECK(!csa_flashsim_ecc_broken(s, 0x08010008u));
    csa_flashsim_destroy(s);

    s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    f = csa_flashsim_port(s);
    csa_flashsim_arm(s, &p);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, d, 32), CSA_FLASH_POWER_LOST);
    csa_flashsim_power_on(s);
    CHECK_EQ(csa_flash_erase(&f, 32), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_read(&f, 0x08010008u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0xFF));
    csa_flashsim_destroy(s);
}

static void fill(csa_flash *f, uint32_t address, uint32_t len)
{
    uint8_t zero[256];
    memset(zero, 0x00, sizeof zero);
    while (len > 0) {
        CHECK_EQ(csa_flash_program(f, address, zero, 256), CSA_FLASH_OK);
        address += 256;
        len -= 256;
    }
}

static void torn_erases_in_each_style(void)
{
    static const csa_flash_geometry *const geometries[] = {&csa_flash_stm32f4_1m, &csa_flash_stm32l4_1m};
    unsigned gi, style;
    for (gi = 0; gi < 2; gi++)
        for (style = 0; style < 3; style++) {
            const csa_flash_geometry *g = geometries[gi];
            csa_flashsim *s = sim_new(g, CSA_FLASHSIM_AND_LIKE_SILICON);
            csa_flash f = csa_flashsim_port(s);
            csa_flashsim_plan p = during(0, 11, 0.25, (csa_flashsim_tear)style);
            csa_flash_sector sec;
            uint8_t *raw;
            uint32_t erased_bytes = 0, i, ecc = 0;
            CHECK_EQ(csa_flash_sector_info(g, 5, &sec), 0);
            fill(&f, sec.address, sec.size);
            csa_flashsim_arm(s, &p);
            CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_POWER_LOST);
            csa_flashsim_power_on(s);
            CHECK_EQ(csa_flashsim_erase_cycles(s, 5), 1); /* an interrupted erase wears the sector too */
            raw = (uint8_t *)malloc(sec.size);
            CHECK_EQ(csa_flashsim_read_raw(s, sec.address, raw, sec.size), 0);
            for (i = 0; i < sec.size; i++)
                erased_bytes += raw[i] == 0xFF;
            CHECK(erased_bytes > 0);
            CHECK(erased_bytes < sec.size); /* neither the old content nor erased */
            if ((csa_flashsim_tear)style == CSA_FLASHSIM_ERASED_PREFIX) {
                CHECK(all_bytes(raw, sec.size / 4, 0xFF));
                CHECK(all_bytes(raw + sec.size / 4, sec.size - sec.size / 4, 0x00));
            }
            for (i = 0; i < sec.size; i += 8)
                ecc += (uint32_t)csa_flashsim_ecc_broken(s, sec.address + i);
            if (g->family == CSA_FLASH_L4 && (csa_flashsim_tear)style != CSA_FLASHSIM_ERASED_PREFIX)
                CHECK(ecc > 0); /* changed, not erased double words: data and ECC from different moments */
            if (g->family == CSA_FLASH_F4 || (csa_flashsim_tear)style == CSA_FLASHSIM_ERASED_PREFIX)
                CHECK_EQ(ecc, 0);
            CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_OK);
            CHECK_EQ(csa_flashsim_read_raw(s, sec.address, raw, sec.size), 0);
            CHECK(all_bytes(raw, sec.size, 0xFF));
            free(raw);
            csa_flashsim_destroy(s);
        }
}

static void the_same_plan_tears_the_same_way(void)
{
    uint8_t a[2048], b[2048], d[2048];
    int round;
    memset(d, 0, sizeof d);
    for (round = 0; round < 2; round++) {
        csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
        csa_flash f = csa_flashsim_port(s);
        csa_flashsim_plan p = during(1, 1234, -1, CSA_FLASHSIM_RANDOM_CONTENT);
        CHECK_EQ(csa_flash_program(&f, 0x08010000u, d, 2048), CSA_FLASH_OK);
        csa_flashsim_arm(s, &p);
        CHECK_EQ(csa_flash_program(&f, 0x08010800u, d, 2048), CSA_FLASH_OK);
        CHECK_EQ(csa_flash_erase(&f, 32), CSA_FLASH_POWER_LOST);
        CHECK_EQ(csa_flashsim_read_raw(s, 0x08010000u, round == 0 ? a : b, 2048), 0);
        csa_flashsim_destroy(s);
    }
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(!all_bytes(a, sizeof a, 0x00));
}

static void a_random_plan_cuts_inside_the_range(void)
{
    uint32_t seed;
    uint8_t d[8] = {0};
    for (seed = 0; seed < 50; seed++) {
        csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
        csa_flash f = csa_flashsim_port(s);
        int n;
        csa_flashsim_arm_random(s, seed, 10);
        for (n = 0; n < 20; n++)
            if (csa_flash_program(&f, 0x08020000u + 8u * (uint32_t)n, d, 8) == CSA_FLASH_POWER_LOST)
                break;
        CHECK(n < 10);
        csa_flashsim_destroy(s);
    }
}

/* A cut that ends the process (CUT_EXIT): the child dies inside its third program; the parent restarts from the
 * file the child left, which holds the first two programs and the torn third. */
static void a_cut_can_end_the_process_and_the_flash_file_survives(void)
{
    char path[] = "/tmp/csa_flash_exit_XXXXXX";
    int fd = mkstemp(path), status = 0;
    pid_t child;
    csa_flashsim *s;
    csa_flashsim_options o;
    uint8_t got[24];
    CHECK(fd >= 0);
    close(fd);
    child = fork();
    if (child == 0) {
        csa_flashsim *c = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
        csa_flash f = csa_flashsim_port(c);
        csa_flashsim_plan p = during(2, 3, 0.0, CSA_FLASHSIM_PARTIALLY_ERASED_BITS);
        uint8_t d[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
        csa_flashsim_persist_to(c, path);
        csa_flashsim_on_cut(c, CSA_FLASHSIM_CUT_EXIT, 42);
        csa_flashsim_arm(c, &p);
        csa_flash_program(&f, 0x08010000u, d, 8);
        csa_flash_program(&f, 0x08010008u, d, 8);
        csa_flash_program(&f, 0x08010010u, d, 8);
        _exit(0); /* not reached: the cut exits with 42 */
    }
    CHECK(child > 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);
    memset(&o, 0, sizeof o);
    CHECK_EQ(csa_flashsim_load(path, &o, &s), CSA_FLASHSIM_FILE_OK);
    if (s != NULL) {
        csa_flash f = csa_flashsim_port(s);
        CHECK(csa_flashsim_geometry(s) == &csa_flash_stm32l4_1m);
        CHECK_EQ(csa_flash_read(&f, 0x08010000u, got, 16), CSA_FLASH_OK);
        CHECK_EQ(got[0], 0x11);
        CHECK_EQ(got[15], 0x88);
        CHECK_EQ(csa_flash_read(&f, 0x08010010u, got, 8), CSA_FLASH_ERR_ECC); /* the torn third program */
        csa_flashsim_destroy(s);
    }
    unlink(path);
}

/* What a device process's busy function sees (csa_flashsim_on_busy): called while the operation's time runs, the time
 * left shrinking, the cells not yet changed; it may ask for a cut, which tears the operation where its time had got. */
typedef struct busy_probe {
    csa_flashsim *s;
    uint32_t address;
    unsigned calls;
    unsigned cut_at_call; /* 0: never */
    uint64_t last_remaining;
    int remaining_grew;
    int cells_changed_early;
} busy_probe;

static void probe_busy(void *ctx, uint64_t remaining_ns)
{
    busy_probe *p = (busy_probe *)ctx;
    struct timespec ts = {0, 1000000}; /* 1 ms of "servicing the link" */
    uint8_t b = 0;
    p->calls++;
    if (p->calls > 1 && remaining_ns >= p->last_remaining)
        p->remaining_grew = 1;
    p->last_remaining = remaining_ns;
    (void)csa_flashsim_read_raw(p->s, p->address, &b, 1);
    if (b != 0xFF)
        p->cells_changed_early = 1;
    if (p->cut_at_call != 0 && p->calls == p->cut_at_call)
        csa_flashsim_request_cut(p->s);
    (void)nanosleep(&ts, NULL);
}

/* A simulated F4 1 MB that sleeps its typical times, with a busy function watching the flash at address. */
static csa_flashsim *sleeping_f4_watched(busy_probe *probe, uint32_t address, unsigned cut_at_call)
{
    csa_flashsim_options o;
    csa_flashsim *s;
    memset(&o, 0, sizeof o);
    o.geometry = &csa_flash_stm32f4_1m;
    o.timing = CSA_FLASHSIM_TYPICAL;
    o.sleep = 1;
    s = csa_flashsim_create(&o);
    memset(probe, 0, sizeof *probe);
    probe->s = s;
    probe->address = address;
    probe->cut_at_call = cut_at_call;
    csa_flashsim_on_busy(s, probe_busy, probe);
    return s;
}

static void the_busy_function_runs_while_the_operation_takes_its_time(void)
{
    csa_flashsim *s;
    csa_flash f;
    busy_probe probe;
    uint8_t d[1024], got = 0xFF;
    s = sleeping_f4_watched(&probe, 0x08020000u, 0);
    f = csa_flashsim_port(s);
    memset(d, 0, sizeof d);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, d, sizeof d), CSA_FLASH_OK); /* 256 words x 16 us: 4.1 ms */
    CHECK(probe.calls >= 1);
    CHECK(!probe.remaining_grew);
    CHECK(!probe.cells_changed_early); /* the data lands when the time is up */
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, &got, 1), CSA_FLASH_OK);
    CHECK_EQ(got, 0x00);
    csa_flashsim_destroy(s);

    /* An F4 16 KB sector erase (250 ms typical) cut from the busy function at its third call (each about 1 ms): torn,
     * the power gone, the time charged up to the cut. */
    s = sleeping_f4_watched(&probe, 0x08000000u, 3);
    f = csa_flashsim_port(s);
    CHECK_EQ(csa_flash_erase(&f, 0), CSA_FLASH_POWER_LOST);
    CHECK_EQ(probe.calls, 3u);
    CHECK(!csa_flashsim_powered(s));
    CHECK(csa_flashsim_get_stats(s)->busy_ns < 250000000ull); /* charged up to the cut only */
    csa_flashsim_destroy(s);
}

int main(void)
{
    RUN(cut_before_an_operation_does_nothing_of_it_and_stops_everything);
    RUN(torn_program_f4);
    RUN(torn_program_l4_reads_as_ecc_error_until_erased_or_zeroed);
    RUN(torn_erases_in_each_style);
    RUN(the_same_plan_tears_the_same_way);
    RUN(a_random_plan_cuts_inside_the_range);
    RUN(a_cut_can_end_the_process_and_the_flash_file_survives);
    RUN(the_busy_function_runs_while_the_operation_takes_its_time);
    return csa_test_done();
}
