/* boot.journal: the state journal of docs/device-model.md section 3 and the state record of 6.2. The golden vectors
 * are read from the document; the power-cut tests work in the littlefs style: before every append of a long run
 * (crossing from one region to the other and back), cut the power before and inside each of its flash operations,
 * with every tear style, and check that a fresh scan reads the old record or the new one and that the journal keeps
 * working afterwards. REQ-RECOVER. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/state.h"
#include "csa_flashsim.h"

static char *doc;

static void golden_records_of_the_document(void)
{
    uint8_t golden[128], slot[128], digest[32];
    long n;
    uint32_t seq;
    const uint8_t *payload;
    uint16_t len;
    csa_state_record r, back;
    int i;
    n = csa_test_doc_golden(doc, "journal-record-1", golden, sizeof golden);
    CHECK_EQ(n, 32);
    CHECK_EQ(csa_journal_encode(1, (const uint8_t *)"BOOT", 4, 32, slot), 0);
    CHECK(memcmp(slot, golden, 32) == 0);
    CHECK_EQ(csa_journal_decode(golden, 32, &seq, &payload, &len), 1);
    CHECK_EQ(seq, 1);
    CHECK_EQ(len, 4);
    n = csa_test_doc_golden(doc, "journal-record-2", golden, sizeof golden);
    CHECK_EQ(n, 64);
    CHECK_EQ(csa_journal_encode(258, NULL, 0, 64, slot), 0);
    CHECK(memcmp(slot, golden, 64) == 0);
    golden[20] ^= 1; /* any changed byte fails the CRC */
    CHECK_EQ(csa_journal_decode(golden, 64, &seq, &payload, &len), 0);
    CHECK_EQ(csa_journal_decode(slot, 32, &seq, &payload, &len), 0); /* another slot size */
    CHECK_EQ(csa_journal_encode(1, slot, 49, 64, golden), -1);        /* payload larger than slot - 16 */
    CHECK_EQ(csa_journal_encode(0, NULL, 0, 32, slot), 0);
    CHECK_EQ(csa_journal_decode(slot, 32, &seq, &payload, &len), 0); /* sequence 0 is never a record */

    /* 6.2: request with a 30 s wait, Receiving into the application, watermark 0x20000, payload 140 000, counter 2 */
    n = csa_test_doc_golden(doc, "state-record", golden, sizeof golden);
    CHECK_EQ(n, 52);
    csa_state_fresh(&r);
    r.requested = 1;
    r.wait_seconds = 30;
    r.phase = CSA_PHASE_RECEIVING;
    r.region = CSA_REGION_APPLICATION;
    r.watermark = 0x20000;
    r.payload_size = 140000;
    r.security_counter = 2;
    for (i = 0; i < 32; i++)
        digest[i] = (uint8_t)i;
    memcpy(r.digest, digest, 32);
    csa_state_encode(&r, slot);
    CHECK(memcmp(slot, golden, 52) == 0);
    csa_state_decode(golden, 52, &back);
    CHECK(csa_state_equal(&r, &back));
    CHECK_EQ(back.revoked, 0); /* a record that revokes nothing (or was written before byte 18 had a meaning) */

    /* The same record as BeginUpdate of a new application image writes it: the application's revoked bit (byte 18). */
    n = csa_test_doc_golden(doc, "state-record-revoked", golden, sizeof golden);
    CHECK_EQ(n, 52);
    r.revoked = CSA_STATE_REVOKED_BIT(CSA_REGION_APPLICATION);
    csa_state_encode(&r, slot);
    CHECK(memcmp(slot, golden, 52) == 0);
    csa_state_decode(golden, 52, &back);
    CHECK_EQ(back.revoked, 0x08);
    CHECK(csa_state_equal(&r, &back));
    golden[18] = 0xFF; /* bits that name no image region are ignored when read, and never written */
    csa_state_decode(golden, 52, &back);
    CHECK_EQ(back.revoked, CSA_STATE_REVOCABLE);
    csa_state_encode(&back, slot);
    CHECK_EQ(slot[18], 0x0E);
    CHECK_EQ(slot[19], 0);
    n = csa_test_doc_golden(doc, "state-record", golden, sizeof golden);
    golden[2] = 3; /* an unknown phase: another format, read as a fresh state */
    csa_state_decode(golden, 52, &back);
    CHECK_EQ(back.phase, CSA_PHASE_IDLE);
    CHECK_EQ(back.region, CSA_STATE_NO_REGION);
    CHECK_EQ(back.requested, 0);
}

static void slot_capacity_of_the_document(void)
{
    /* "With 80-byte slots a 16 KB F4 journal sector holds 204 records and an L4 2 KB page 25." */
    CHECK(strstr(doc, "With 80-byte slots a 16 KB F4 journal sector holds 204 records and an L4 2 KB page 25.") != NULL);
    CHECK_EQ(16384 / CSA_STATE_SLOT_SIZE, 204);
    CHECK_EQ(2048 / CSA_STATE_SLOT_SIZE, 25);
}

static csa_flashsim *new_sim(const csa_flash_geometry *g)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = g;
    o.overwrite = CSA_FLASHSIM_REJECT_ANY_REPROGRAM; /* the journal never programs over non-erased flash */
    o.has_uid = 1;
    return csa_flashsim_create(&o);
}

static void payload_of(uint32_t k, uint8_t out[CSA_STATE_RECORD_SIZE])
{
    uint32_t i;
    for (i = 0; i < CSA_STATE_RECORD_SIZE; i++)
        out[i] = (uint8_t)(k * 31u + i);
    out[0] = (uint8_t)k;
    out[1] = (uint8_t)(k >> 8);
}

/* The latest record's identity k (from its payload), or -1 on a fresh journal. */
static long latest(const csa_journal *j, uint32_t *seq)
{
    uint8_t p[CSA_STATE_SLOT_SIZE], expect[CSA_STATE_RECORD_SIZE];
    uint16_t len;
    int found;
    long k;
    CHECK_EQ(csa_journal_read_latest(j, p, sizeof p, &len, seq, &found), CSA_FLASH_OK);
    if (!found)
        return -1;
    CHECK_EQ(len, CSA_STATE_RECORD_SIZE);
    k = p[0] | p[1] << 8;
    payload_of((uint32_t)k, expect);
    CHECK(memcmp(p, expect, CSA_STATE_RECORD_SIZE) == 0);
    return k;
}

static void appends_move_between_regions(void)
{
    static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
    unsigned m;
    for (m = 0; m < 2; m++) {
        csa_flashsim *s = new_sim(maps[m]->geometry);
        csa_flash f = csa_flashsim_port(s);
        csa_journal j;
        uint32_t k, seq, per = maps[m]->regions[CSA_REGION_JOURNAL_A].size / CSA_STATE_SLOT_SIZE;
        uint8_t p[CSA_STATE_RECORD_SIZE];
        csa_state_journal(&j, &f, maps[m]);
        CHECK_EQ(latest(&j, &seq), -1);
        for (k = 0; k < 2 * per + 3; k++) {
            uint64_t before = csa_flashsim_get_stats(s)->operations;
            payload_of(k, p);
            CHECK_EQ(csa_journal_append(&j, p, sizeof p), CSA_FLASH_OK);
            CHECK_EQ(latest(&j, &seq), (long)k);
            CHECK_EQ(seq, k + 1);
            /* One program, or one erase per sector of the other region plus one program. */
            CHECK_EQ(csa_flashsim_get_stats(s)->operations - before,
                     (k == per || k == 2 * per) ? 1u + maps[m]->regions[CSA_REGION_JOURNAL_B].sector_count : 1u);
        }
        CHECK_EQ(csa_flashsim_erase_cycles(s, maps[m]->regions[CSA_REGION_JOURNAL_B].first_sector), 1);
        CHECK_EQ(csa_flashsim_erase_cycles(s, maps[m]->regions[CSA_REGION_JOURNAL_A].first_sector), 1);
        csa_flashsim_destroy(s);
    }
}

/* The littlefs-style sweep. Returns the number of cut points tried. */
static unsigned sweep(const csa_memory_map *map, uint32_t appends, uint32_t first_cut)
{
    static const double fractions[] = {0.0, 0.37, 0.93};
    csa_flashsim *ref = new_sim(map->geometry);
    csa_flash rf = csa_flashsim_port(ref);
    csa_journal j;
    uint32_t k, seq;
    unsigned cuts = 0;
    uint8_t p[CSA_STATE_RECORD_SIZE];
    csa_state_journal(&j, &rf, map);
    for (k = 0; k < appends; k++) {
        uint64_t ops;
        payload_of(k, p);
        if (k >= first_cut) {
            csa_flashsim *probe = csa_flashsim_clone(ref);
            csa_flash pf = csa_flashsim_port(probe);
            csa_journal pj;
            uint64_t op;
            csa_state_journal(&pj, &pf, map);
            CHECK_EQ(csa_journal_append(&pj, p, sizeof p), CSA_FLASH_OK);
            ops = csa_flashsim_get_stats(probe)->operations;
            csa_flashsim_destroy(probe);
            for (op = 0; op < ops; op++) {
                unsigned style, fi, variant;
                for (variant = 0; variant < 1 + 3 * 3; variant++) {
                    csa_flashsim *c = csa_flashsim_clone(ref);
                    csa_flash cf = csa_flashsim_port(c);
                    csa_journal cj;
                    csa_flashsim_plan plan;
                    long got;
                    uint8_t next[CSA_STATE_RECORD_SIZE];
                    memset(&plan, 0, sizeof plan);
                    plan.operation = op;
                    style = variant == 0 ? 0 : (variant - 1) / 3;
                    fi = variant == 0 ? 0 : (variant - 1) % 3;
                    plan.during = variant != 0;
                    plan.fraction = fractions[fi];
                    plan.seed = k * 7919u + (uint32_t)op * 31u + variant;
                    plan.erase_style = (csa_flashsim_tear)style;
                    csa_state_journal(&cj, &cf, map);
                    csa_flashsim_arm(c, &plan);
                    CHECK_EQ(csa_journal_append(&cj, p, sizeof p), CSA_FLASH_POWER_LOST);
                    csa_flashsim_power_on(c);
                    got = latest(&cj, &seq);
                    CHECK(got == (long)k || got == (long)k - 1); /* the old record or the new one */
                    /* and the journal keeps working: a later append is read back */
                    payload_of(50000u + k, next);
                    CHECK_EQ(csa_journal_append(&cj, next, sizeof next), CSA_FLASH_OK);
                    CHECK_EQ(latest(&cj, &seq), (long)(50000u + k));
                    cuts++;
                    csa_flashsim_destroy(c);
                }
            }
        }
        CHECK_EQ(csa_journal_append(&j, p, sizeof p), CSA_FLASH_OK);
    }
    csa_flashsim_destroy(ref);
    return cuts;
}

static void power_cuts_leave_the_old_record_or_the_new_one_l4(void)
{
    /* 25 records per page: 60 appends cross A -> B -> A, each crossing erases a page first. */
    unsigned cuts = sweep(&csa_map_stm32l4_1m, 60, 0);
    printf("     L4: %u cut points over 60 appends\n", cuts);
    CHECK(cuts >= 600);
}

static void power_cuts_leave_the_old_record_or_the_new_one_f4(void)
{
    /* 204 records per 16 KB sector: the appends around the first crossing (and its erase) are swept. */
    unsigned cuts = sweep(&csa_map_stm32f4_1m, 210, 198);
    printf("     F4: %u cut points over appends 198-209\n", cuts);
    CHECK(cuts >= 120);
}

static void request_and_clear(void)
{
    csa_flashsim *s = new_sim(&csa_flash_stm32l4_1m);
    csa_flash f = csa_flashsim_port(s);
    csa_journal j;
    csa_state_record r;
    csa_state_journal(&j, &f, &csa_map_stm32l4_1m);
    CHECK_EQ(csa_state_clear_request(&f, &csa_map_stm32l4_1m), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_get_stats(s)->operations, 0); /* nothing to clear: nothing written */
    CHECK_EQ(csa_state_request_bootloader(&f, &csa_map_stm32l4_1m, 120), CSA_FLASH_OK);
    CHECK_EQ(csa_state_read(&j, &r), CSA_FLASH_OK);
    CHECK_EQ(r.requested, 1);
    CHECK_EQ(r.wait_seconds, 120);
    CHECK_EQ(csa_state_clear_request(&f, &csa_map_stm32l4_1m), CSA_FLASH_OK);
    CHECK_EQ(csa_state_read(&j, &r), CSA_FLASH_OK);
    CHECK_EQ(r.requested, 0);
    CHECK_EQ(r.wait_seconds, 0);
    csa_flashsim_destroy(s);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (doc = csa_test_read_file(argv[1], NULL)) == NULL) {
        fprintf(stderr, "usage: test_boot_journal docs/device-model.md\n");
        return 2;
    }
    RUN(golden_records_of_the_document);
    RUN(slot_capacity_of_the_document);
    RUN(appends_move_between_regions);
    RUN(request_and_clear);
    RUN(power_cuts_leave_the_old_record_or_the_new_one_l4);
    RUN(power_cuts_leave_the_old_record_or_the_new_one_f4);
    free(doc);
    return csa_test_done();
}
