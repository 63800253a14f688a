/* The simulated chip: creation, the port's operations with the chips' rules, power cuts and tears.
 * docs/device-model.md 1.2-1.5 is the specification; every rule below cites the part of it it implements. */
#define _POSIX_C_SOURCE 200809L
#include "flashsim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- timing (device-model.md 1.4) ---- */

uint64_t csa_flashsim_program_ns(const csa_flash_geometry *g, csa_flashsim_timing t, uint32_t units)
{
    uint64_t per;
    if (t == CSA_FLASHSIM_INSTANT)
        return 0;
    if (g->family == CSA_FLASH_L4)
        per = t == CSA_FLASHSIM_TYPICAL ? 81700u : 90800u; /* DS10198, per double word */
    else
        per = t == CSA_FLASHSIM_TYPICAL ? 16000u : 100000u; /* DS8626, per access */
    return per * units;
}

uint64_t csa_flashsim_erase_ns(const csa_flash_geometry *g, csa_flashsim_timing t, uint32_t sector_size)
{
    int worst = t == CSA_FLASHSIM_WORST_CASE;
    if (t == CSA_FLASHSIM_INSTANT)
        return 0;
    if (g->family == CSA_FLASH_L4)
        return worst ? 24470000ull : 22020000ull;
    if (sector_size <= 16384u)
        return worst ? 800000000ull : 250000000ull;
    if (sector_size <= 65536u)
        return worst ? 2400000000ull : 550000000ull;
    return worst ? 4000000000ull : 1000000000ull;
}

/* Adds an operation's duration to the accounting clock. */
static void charge(csa_flashsim *s, uint64_t ns)
{
    s->stats.busy_ns += ns;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* With `sleep`, waits an operation's duration before its data lands (as on the chip, where the cells change while
 * the controller is busy): in the owner's busy function (csa_flashsim_on_busy) when it has one, else asleep. Returns
 * 1.0 when the wait ran out, or the fraction of it that had passed when a cut was requested meanwhile
 * (csa_flashsim_request_cut, e.g. from a signal handler): the caller tears the operation there. */
static double wait_for(csa_flashsim *s, uint64_t ns, int interruptible)
{
    uint64_t start, now;
    if (!s->options.sleep || ns == 0)
        return 1.0;
    start = monotonic_ns();
    for (now = start; now - start < ns; now = monotonic_ns()) {
        uint64_t left = ns - (now - start);
        if (interruptible && s->cut_requested) {
            double f = (double)(now - start) / (double)ns;
            return f < 1.0 ? f : 0.999;
        }
        if (s->busy != NULL) {
            s->busy(s->busy_ctx, left);
        } else {
            struct timespec ts;
            ts.tv_sec = (time_t)(left / 1000000000ull);
            ts.tv_nsec = (long)(left % 1000000000ull);
            (void)nanosleep(&ts, NULL); /* a signal ends it early: the loop looks at the cut request */
        }
    }
    return 1.0;
}

/* ---- creation ---- */

static void random_uid(uint8_t uid[CSA_FLASH_UID_SIZE])
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = 0;
    if (f != NULL) {
        got = fread(uid, 1, CSA_FLASH_UID_SIZE, f);
        fclose(f);
    }
    if (got != CSA_FLASH_UID_SIZE) { /* no /dev/urandom: still different per process and moment */
        uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        csa_rng r;
        size_t i;
        r.state = x;
        for (i = 0; i < CSA_FLASH_UID_SIZE; i++)
            uid[i] = (uint8_t)csa_rng_next(&r);
    }
}

static csa_flash_status sim_read(void *ctx, uint32_t address, void *dst, uint32_t len);
static csa_flash_status sim_program(void *ctx, uint32_t address, const void *src, uint32_t len);
static csa_flash_status sim_erase(void *ctx, uint16_t sector);
static csa_flash_status sim_lock_otp(void *ctx, uint8_t block);
static csa_flash_status sim_set_wrp(void *ctx, const uint8_t *bitmap);
static csa_flash_status sim_get_wrp(void *ctx, uint8_t *bitmap);

csa_flashsim *csa_flashsim_create(const csa_flashsim_options *options)
{
    csa_flashsim *s;
    const csa_flash_geometry *g = options->geometry;
    uint8_t unit = options->program_unit;
    if (g == NULL || g->sector_count > 512)
        return NULL;
    if (unit == 0)
        unit = g->family == CSA_FLASH_L4 ? 8 : 4;
    if (g->family == CSA_FLASH_L4 ? unit != 8 : (unit != 1 && unit != 2 && unit != 4 && unit != 8))
        return NULL;
    s = (csa_flashsim *)calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->options = *options;
    s->options.program_unit = unit;
    s->g = g;
    s->main = (uint8_t *)malloc(g->size);
    s->otp = (uint8_t *)malloc(g->otp_size);
    s->main_ecc = (uint8_t *)calloc((g->size / 8 + 7) / 8, 1);
    s->otp_ecc = (uint8_t *)calloc((g->otp_size / 8 + 7) / 8, 1);
    s->erase_cycles = (uint32_t *)calloc(g->sector_count, sizeof(uint32_t));
    if (s->main == NULL || s->otp == NULL || s->main_ecc == NULL || s->otp_ecc == NULL || s->erase_cycles == NULL) {
        csa_flashsim_destroy(s);
        return NULL;
    }
    memset(s->main, CSA_FLASH_ERASED, g->size);
    memset(s->otp, CSA_FLASH_ERASED, g->otp_size);
    if (options->has_uid)
        memcpy(s->uid, options->uid, CSA_FLASH_UID_SIZE);
    else
        random_uid(s->uid);
    s->powered = 1;
    s->exit_code = 99;
    s->ops.read = sim_read;
    s->ops.program = sim_program;
    s->ops.erase_sector = sim_erase;
    s->ops.lock_otp_block = g->family == CSA_FLASH_F4 ? sim_lock_otp : NULL;
    s->ops.set_write_protection = sim_set_wrp;
    s->ops.get_write_protection = sim_get_wrp;
    return s;
}

csa_flashsim *csa_flashsim_clone(const csa_flashsim *src)
{
    csa_flashsim_options o = src->options;
    csa_flashsim *s;
    const csa_flash_geometry *g = src->g;
    o.has_uid = 1;
    memcpy(o.uid, src->uid, CSA_FLASH_UID_SIZE);
    s = csa_flashsim_create(&o);
    if (s == NULL)
        return NULL;
    memcpy(s->main, src->main, g->size);
    memcpy(s->otp, src->otp, g->otp_size);
    memcpy(s->main_ecc, src->main_ecc, (g->size / 8 + 7) / 8);
    memcpy(s->otp_ecc, src->otp_ecc, (g->otp_size / 8 + 7) / 8);
    memcpy(s->erase_cycles, src->erase_cycles, g->sector_count * sizeof(uint32_t));
    memcpy(s->wrp, src->wrp, sizeof s->wrp);
    s->rdp = src->rdp;
    return s;
}

void csa_flashsim_destroy(csa_flashsim *s)
{
    if (s == NULL)
        return;
    free(s->main);
    free(s->otp);
    free(s->main_ecc);
    free(s->otp_ecc);
    free(s->erase_cycles);
    free(s->persist_path);
    free(s);
}

csa_flash csa_flashsim_port(csa_flashsim *s)
{
    csa_flash f;
    f.ops = &s->ops;
    f.ctx = s;
    f.geometry = s->g;
    f.program_unit = s->options.program_unit;
    return f;
}

/* ---- power (device-model.md 1.5) ---- */

void csa_flashsim_arm(csa_flashsim *s, const csa_flashsim_plan *plan)
{
    s->plan = *plan;
    s->armed = 1;
    s->since_armed = 0;
}

void csa_flashsim_arm_random(csa_flashsim *s, uint32_t seed, uint64_t operation_count)
{
    csa_flashsim_plan p;
    csa_rng r;
    r.state = seed;
    p.operation = operation_count == 0 ? 0 : csa_rng_next(&r) % operation_count;
    p.during = (int)(csa_rng_next(&r) & 1u);
    p.fraction = csa_rng_unit(&r);
    p.seed = (uint32_t)csa_rng_next(&r);
    p.erase_style = (csa_flashsim_tear)(csa_rng_next(&r) % 3u);
    csa_flashsim_arm(s, &p);
}

void csa_flashsim_disarm(csa_flashsim *s)
{
    s->armed = 0;
}

void csa_flashsim_on_cut(csa_flashsim *s, csa_flashsim_cut_action action, int exit_code)
{
    s->cut_action = action;
    s->exit_code = exit_code;
}

void csa_flashsim_on_busy(csa_flashsim *s, csa_flashsim_busy_fn fn, void *ctx)
{
    s->busy = fn;
    s->busy_ctx = ctx;
}

uint64_t csa_flashsim_operations_since_armed(const csa_flashsim *s)
{
    return s->since_armed;
}

static void power_fails(csa_flashsim *s)
{
    s->powered = 0;
    s->armed = 0;
    s->cut_requested = 0;
    s->stats.power_cuts++;
    csa_flashsim_persist_now(s); /* the cells keep what landed, torn parts included */
    if (s->cut_action == CSA_FLASHSIM_CUT_EXIT)
        _exit(s->exit_code);
}

void csa_flashsim_cut_power(csa_flashsim *s)
{
    if (s->powered)
        power_fails(s);
}

void csa_flashsim_power_on(csa_flashsim *s)
{
    s->powered = 1;
    s->cut_requested = 0;
}

void csa_flashsim_request_cut(csa_flashsim *s)
{
    s->cut_requested = 1;
}

int csa_flashsim_cut_requested(const csa_flashsim *s)
{
    return s->cut_requested != 0;
}

int csa_flashsim_powered(const csa_flashsim *s)
{
    return s->powered;
}

const csa_flashsim_stats *csa_flashsim_get_stats(const csa_flashsim *s)
{
    return &s->stats;
}

void csa_flashsim_reset_stats(csa_flashsim *s)
{
    memset(&s->stats, 0, sizeof s->stats);
}

typedef enum { RUN = 0, CUT_BEFORE = 1, TEAR = 2 } op_fate;

/* An operation passed every check: does the armed plan cut it? */
static op_fate fate_of_next(csa_flashsim *s, csa_rng *tear, double *fraction)
{
    if (s->cut_requested) {
        s->since_armed++;
        return CUT_BEFORE; /* requested between operations: the next one never starts */
    }
    if (!s->armed || s->since_armed != s->plan.operation) {
        s->since_armed++;
        return RUN;
    }
    s->since_armed++;
    if (!s->plan.during)
        return CUT_BEFORE;
    tear->state = 0x5EED0000ull ^ s->plan.seed ^ ((uint64_t)s->plan.operation << 32);
    *fraction = s->plan.fraction;
    if (*fraction < 0 || *fraction >= 1)
        *fraction = csa_rng_unit(tear);
    return TEAR;
}

static void operation_done(csa_flashsim *s, uint64_t ns)
{
    s->stats.operations++;
    charge(s, ns);
    csa_flashsim_persist_now(s);
}

/* A requested cut arrived while the operation's time ran: it is torn where the time stood, with a tear drawn from
 * the operation's number. */
static op_fate interrupted(csa_flashsim *s, double waited, csa_rng *tear, double *fraction)
{
    if (waited >= 1.0)
        return RUN;
    tear->state = 0xC0FFEE00ull ^ (s->stats.operations << 16) ^ s->since_armed;
    *fraction = waited;
    return TEAR;
}

/* ---- areas ---- */

static int within(uint32_t address, uint32_t len, uint32_t start, uint32_t size)
{
    return address >= start && (uint64_t)address + len <= (uint64_t)start + size;
}

static int overlaps(uint32_t address, uint32_t len, uint32_t start, uint32_t size)
{
    return (uint64_t)address < (uint64_t)start + size && (uint64_t)address + len > start;
}

static int ecc_clean(const uint8_t *bits, uint32_t offset, uint32_t len)
{
    uint32_t dw;
    for (dw = offset / 8; len > 0 && dw <= (offset + len - 1) / 8; dw++)
        if (csa_bit_get(bits, dw))
            return 0;
    return 1;
}

static csa_flash_status sim_read(void *ctx, uint32_t address, void *dst, uint32_t len)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    const csa_flash_geometry *g = s->g;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    if (within(address, len, g->base, g->size)) {
        uint32_t off = address - g->base;
        if (csa_has_ecc(s) && !ecc_clean(s->main_ecc, off, len))
            return CSA_FLASH_ERR_ECC;
        memcpy(dst, s->main + off, len);
        return CSA_FLASH_OK;
    }
    if (within(address, len, g->otp_address, g->otp_size)) {
        uint32_t off = address - g->otp_address;
        if (csa_has_ecc(s) && !ecc_clean(s->otp_ecc, off, len))
            return CSA_FLASH_ERR_ECC;
        memcpy(dst, s->otp + off, len);
        return CSA_FLASH_OK;
    }
    if (within(address, len, g->uid_address, CSA_FLASH_UID_SIZE)) {
        memcpy(dst, s->uid + (address - g->uid_address), len);
        return CSA_FLASH_OK;
    }
    if (within(address, len, g->flash_size_register, 2)) {
        uint8_t reg[2];
        reg[0] = (uint8_t)((g->size / 1024u) & 0xFFu);
        reg[1] = (uint8_t)((g->size / 1024u) >> 8);
        memcpy(dst, reg + (address - g->flash_size_register), len);
        return CSA_FLASH_OK;
    }
    return CSA_FLASH_ERR_OUT_OF_RANGE;
}

int csa_flashsim_read_raw(const csa_flashsim *s, uint32_t address, void *dst, uint32_t len)
{
    const csa_flash_geometry *g = s->g;
    if (within(address, len, g->base, g->size))
        memcpy(dst, s->main + (address - g->base), len);
    else if (within(address, len, g->otp_address, g->otp_size))
        memcpy(dst, s->otp + (address - g->otp_address), len);
    else if (within(address, len, g->uid_address, CSA_FLASH_UID_SIZE))
        memcpy(dst, s->uid + (address - g->uid_address), len);
    else
        return -1;
    return 0;
}

/* ---- program (device-model.md 1.2, 1.3) ---- */

typedef struct area {
    uint8_t *cells;
    uint8_t *ecc;
    uint32_t offset;
    int otp;
} area;

static csa_flash_status resolve_program_area(csa_flashsim *s, uint32_t address, uint32_t len, area *a)
{
    const csa_flash_geometry *g = s->g;
    if (within(address, len, g->base, g->size)) {
        int32_t first = csa_flash_sector_at(g, address), last = csa_flash_sector_at(g, address + len - 1), i;
        for (i = first; i <= last; i++)
            if (csa_bit_get(s->wrp, (uint32_t)i))
                return CSA_FLASH_ERR_WRITE_PROTECTED; /* WRPERR */
        a->cells = s->main;
        a->ecc = s->main_ecc;
        a->offset = address - g->base;
        a->otp = 0;
        return CSA_FLASH_OK;
    }
    if (within(address, len, g->otp_address, g->otp_size)) {
        uint32_t off = address - g->otp_address, b;
        for (b = 0; g->otp_block_size != 0 && b < CSA_FLASH_OTP_BLOCKS; b++) {
            uint32_t start = b * g->otp_block_size;
            if (off < start + g->otp_block_size && off + len > start
                && s->otp[CSA_FLASH_OTP_BLOCKS * g->otp_block_size + b] == 0x00)
                return CSA_FLASH_ERR_OTP_LOCKED;
        }
        a->cells = s->otp;
        a->ecc = s->otp_ecc;
        a->offset = off;
        a->otp = 1;
        return CSA_FLASH_OK;
    }
    if (overlaps(address, len, g->uid_address, CSA_FLASH_UID_SIZE) || overlaps(address, len, g->flash_size_register, 2))
        return CSA_FLASH_ERR_READ_ONLY;
    return CSA_FLASH_ERR_OUT_OF_RANGE;
}

/* Lands one unit: random NULL = completely, else a random subset of its 1 -> 0 changes (a torn access). */
static void apply_unit(csa_flashsim *s, const area *a, uint32_t at, const uint8_t *wanted, uint32_t unit, csa_rng *random)
{
    uint8_t *cells = a->cells + at;
    int any_intended = 0, all_landed = 1, wants_zero = 1;
    uint32_t i;
    for (i = 0; i < unit; i++) {
        uint8_t intended = (uint8_t)(cells[i] & (uint8_t)~wanted[i]);
        uint8_t landed = random == NULL ? intended : (uint8_t)(intended & (uint8_t)csa_rng_next(random));
        any_intended |= intended != 0;
        all_landed &= landed == intended;
        wants_zero &= wanted[i] == 0;
        cells[i] = (uint8_t)(cells[i] & (uint8_t)~landed);
    }
    if (!csa_has_ecc(s))
        return;
    /* L4: the ECC of a double word landed with its data, or it did not: a torn one reads as ECCD until its page is
     * erased or it is programmed to all zeros (the ECC of zero is zero). */
    if (any_intended && !all_landed)
        csa_bit_put(a->ecc, at / 8, 1);
    else if (wants_zero)
        csa_bit_put(a->ecc, at / 8, 0);
}

static csa_flash_status sim_program(void *ctx, uint32_t address, const void *src, uint32_t len)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    const uint8_t *data = (const uint8_t *)src;
    uint32_t unit = s->options.program_unit, u;
    area a;
    csa_flash_status st;
    csa_rng tear;
    double fraction = 0;
    op_fate fate;
    uint32_t bit_sets = 0, reprogrammed = 0;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    if (len == 0)
        return CSA_FLASH_ERR_SEQUENCE;
    if (address % unit != 0)
        return CSA_FLASH_ERR_ALIGNMENT;
    if (len % unit != 0)
        return CSA_FLASH_ERR_PROGRAM_SIZE;
    st = resolve_program_area(s, address, len, &a);
    if (st != CSA_FLASH_OK)
        return st;
    /* Every check before any cell changes: a refused program writes nothing (device-model.md 1.2). */
    for (u = 0; u < len; u += unit) {
        const uint8_t *now = a.cells + a.offset + u, *wanted = data + u;
        uint32_t i;
        int erased = 1, sets_bit = 0, wants_zero = 1;
        for (i = 0; i < unit; i++) {
            erased &= now[i] == CSA_FLASH_ERASED;
            sets_bit |= ((uint8_t)~now[i] & wanted[i]) != 0;
            wants_zero &= wanted[i] == 0;
        }
        if (erased)
            continue;
        if (s->g->family == CSA_FLASH_L4 && (a.otp || !wants_zero))
            return CSA_FLASH_ERR_NOT_ERASED; /* PROGERR: OTP double words are written once; main takes only zeros */
        if (s->options.overwrite == CSA_FLASHSIM_REJECT_ANY_REPROGRAM
            || (sets_bit && s->options.overwrite == CSA_FLASHSIM_REJECT_BIT_SET)) {
            s->stats.bit_set_attempts += sets_bit ? 1u : 0u;
            return CSA_FLASH_ERR_NOT_ERASED;
        }
        bit_sets += sets_bit ? 1u : 0u;
        reprogrammed++;
    }
    fate = fate_of_next(s, &tear, &fraction);
    if (fate == CUT_BEFORE) {
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    if (fate == RUN)
        fate = interrupted(s, wait_for(s, csa_flashsim_program_ns(s->g, s->options.timing, len / unit), 1), &tear,
                           &fraction);
    else
        (void)wait_for(s, (uint64_t)(fraction * (double)csa_flashsim_program_ns(s->g, s->options.timing, len / unit)), 0);
    s->stats.bit_set_attempts += bit_sets;
    s->stats.reprogrammed_units += reprogrammed;
    if (fate == TEAR) {
        uint32_t units = len / unit, cut = (uint32_t)(fraction * units);
        if (cut >= units)
            cut = units - 1;
        for (u = 0; u < cut; u++)
            apply_unit(s, &a, a.offset + u * unit, data + u * unit, unit, NULL);
        apply_unit(s, &a, a.offset + cut * unit, data + cut * unit, unit, &tear);
        s->stats.programs++;
        charge(s, (uint64_t)(fraction * (double)csa_flashsim_program_ns(s->g, s->options.timing, units)));
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    for (u = 0; u < len; u += unit)
        apply_unit(s, &a, a.offset + u, data + u, unit, NULL);
    s->stats.programs++;
    s->stats.programmed_bytes += len;
    operation_done(s, csa_flashsim_program_ns(s->g, s->options.timing, len / unit));
    return CSA_FLASH_OK;
}

/* ---- erase ---- */

static void erase_cells(csa_flashsim *s, const csa_flash_sector *sec)
{
    uint32_t off = sec->address - s->g->base, dw;
    memset(s->main + off, CSA_FLASH_ERASED, sec->size);
    for (dw = off / 8; dw < (off + sec->size) / 8; dw++)
        csa_bit_put(s->main_ecc, dw, 0);
}

static void tear_sector(csa_flashsim *s, const csa_flash_sector *sec, double fraction, csa_rng *r, csa_flashsim_tear style)
{
    uint32_t off = sec->address - s->g->base, i;
    uint8_t *cells = s->main + off;
    uint8_t *before = (uint8_t *)malloc(sec->size);
    if (before != NULL)
        memcpy(before, cells, sec->size);
    switch (style) {
    case CSA_FLASHSIM_RANDOM_CONTENT:
        for (i = 0; i < sec->size; i++)
            cells[i] = (uint8_t)csa_rng_next(r);
        break;
    case CSA_FLASHSIM_ERASED_PREFIX:
        memset(cells, CSA_FLASH_ERASED, (uint32_t)(fraction * sec->size) & ~7u);
        break;
    default:
        for (i = 0; i < sec->size; i++)
            cells[i] = (uint8_t)(cells[i] | (uint8_t)csa_rng_next(r)); /* some programmed bits are back at 1 */
        break;
    }
    if (csa_has_ecc(s) && before != NULL) {
        /* A double word that reads all 0xFF is erased, ECC cells too; one that changed otherwise holds data and ECC
         * from different moments of the erase: a double error. */
        for (i = 0; i < sec->size; i += 8) {
            int erased = 1, changed = 0, k;
            for (k = 0; k < 8; k++) {
                erased &= cells[i + k] == CSA_FLASH_ERASED;
                changed |= cells[i + k] != before[i + k];
            }
            if (erased)
                csa_bit_put(s->main_ecc, (off + i) / 8, 0);
            else if (changed)
                csa_bit_put(s->main_ecc, (off + i) / 8, 1);
        }
    }
    free(before);
}

static csa_flash_status sim_erase(void *ctx, uint16_t index)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    csa_flash_sector sec;
    csa_rng tear;
    double fraction = 0;
    op_fate fate;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    if (csa_flash_sector_info(s->g, index, &sec) != 0)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    if (csa_bit_get(s->wrp, index))
        return CSA_FLASH_ERR_WRITE_PROTECTED;
    if (s->options.fail_beyond_endurance && s->erase_cycles[index] >= 10000u)
        return CSA_FLASH_ERR_ENDURANCE;
    fate = fate_of_next(s, &tear, &fraction);
    if (fate == CUT_BEFORE) {
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    if (fate == RUN)
        fate = interrupted(s, wait_for(s, csa_flashsim_erase_ns(s->g, s->options.timing, sec.size), 1), &tear,
                           &fraction);
    else
        (void)wait_for(s, (uint64_t)(fraction * (double)csa_flashsim_erase_ns(s->g, s->options.timing, sec.size)), 0);
    s->erase_cycles[index]++; /* interrupted erases wear the sector too */
    s->stats.erases++;
    if (fate == TEAR) {
        tear_sector(s, &sec, fraction, &tear, s->plan.erase_style);
        charge(s, (uint64_t)(fraction * (double)csa_flashsim_erase_ns(s->g, s->options.timing, sec.size)));
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    erase_cells(s, &sec);
    operation_done(s, csa_flashsim_erase_ns(s->g, s->options.timing, sec.size));
    return CSA_FLASH_OK;
}

/* ---- OTP lock and option bytes ---- */

static csa_flash_status sim_lock_otp(void *ctx, uint8_t block)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    uint8_t *lock;
    csa_rng tear;
    double fraction = 0;
    op_fate fate;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    if (s->g->otp_block_size == 0 || block >= CSA_FLASH_OTP_BLOCKS)
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    lock = &s->otp[CSA_FLASH_OTP_BLOCKS * s->g->otp_block_size + block];
    fate = fate_of_next(s, &tear, &fraction);
    if (fate == CUT_BEFORE) {
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    if (fate == TEAR) {
        *lock = (uint8_t)(*lock & (uint8_t)~((uint8_t)csa_rng_next(&tear)));
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    *lock = 0x00; /* RM0090: only 0x00 locks; the model writes nothing else there */
    operation_done(s, csa_flashsim_program_ns(s->g, s->options.timing, 1));
    return CSA_FLASH_OK;
}

/* L4: two WRP areas (page ranges) per bank; a set needing more is refused (device-model.md 1.3). */
static int l4_wrp_fits(const csa_flashsim *s, const uint8_t *bitmap)
{
    uint32_t per_bank = s->g->sector_count / s->g->bank_count, b, p;
    for (b = 0; b < s->g->bank_count; b++) {
        int ranges = 0, in = 0;
        for (p = 0; p < per_bank; p++) {
            int on = csa_bit_get(bitmap, b * per_bank + p);
            if (on && !in)
                ranges++;
            in = on;
        }
        if (ranges > 2)
            return 0;
    }
    return 1;
}

static csa_flash_status sim_set_wrp(void *ctx, const uint8_t *bitmap)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    csa_rng tear;
    double fraction = 0;
    op_fate fate;
    uint32_t bytes = (s->g->sector_count + 7u) / 8u;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    if (s->rdp == 2)
        return CSA_FLASH_ERR_OPTION_LOCKED;
    if (s->g->family == CSA_FLASH_L4 && !l4_wrp_fits(s, bitmap))
        return CSA_FLASH_ERR_INVALID_OPTION;
    fate = fate_of_next(s, &tear, &fraction);
    if (fate != RUN) { /* an interrupted option byte program leaves the old option bytes */
        power_fails(s);
        return CSA_FLASH_POWER_LOST;
    }
    memset(s->wrp, 0, sizeof s->wrp);
    memcpy(s->wrp, bitmap, bytes);
    operation_done(s, 0);
    return CSA_FLASH_OK;
}

static csa_flash_status sim_get_wrp(void *ctx, uint8_t *bitmap)
{
    csa_flashsim *s = (csa_flashsim *)ctx;
    if (!s->powered)
        return CSA_FLASH_POWER_LOST;
    memcpy(bitmap, s->wrp, (s->g->sector_count + 7u) / 8u);
    return CSA_FLASH_OK;
}

/* ---- diagnostics ---- */

uint32_t csa_flashsim_erase_cycles(const csa_flashsim *s, uint16_t sector)
{
    return sector < s->g->sector_count ? s->erase_cycles[sector] : 0;
}

int csa_flashsim_ecc_broken(const csa_flashsim *s, uint32_t address)
{
    const csa_flash_geometry *g = s->g;
    if (within(address, 1, g->base, g->size))
        return csa_bit_get(s->main_ecc, (address - g->base) / 8);
    if (within(address, 1, g->otp_address, g->otp_size))
        return csa_bit_get(s->otp_ecc, (address - g->otp_address) / 8);
    return 0;
}

const csa_flash_geometry *csa_flashsim_geometry(const csa_flashsim *s)
{
    return s->g;
}

uint8_t csa_flashsim_rdp(const csa_flashsim *s)
{
    return s->rdp;
}

void csa_flashsim_set_rdp(csa_flashsim *s, uint8_t level)
{
    s->rdp = level > 2 ? 2 : level;
}
