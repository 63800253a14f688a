/* flash.rules: the programming, OTP, protection and read rules of docs/device-model.md 1.1-1.3. */
#include <stdlib.h>

#include "sim_fixture.h"

static void f4_programming_only_clears_bits(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    uint8_t a[4] = {0xF0, 0x0F, 0xAA, 0x55}, b[4] = {0x3C, 0xFF, 0x0F, 0xF0}, got[4];
    CHECK_EQ(f.program_unit, 4);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, a, 4), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, b, 4), CSA_FLASH_OK); /* RM0090: cells AND */
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 4), CSA_FLASH_OK);
    CHECK_EQ(got[0], 0x30);
    CHECK_EQ(got[1], 0x0F);
    CHECK_EQ(got[2], 0x0A);
    CHECK_EQ(got[3], 0x50);
    CHECK_EQ(csa_flashsim_get_stats(s)->bit_set_attempts, 1);
    CHECK_EQ(csa_flashsim_get_stats(s)->reprogrammed_units, 1);
    CHECK_EQ(csa_flashsim_get_stats(s)->operations, 2);
    csa_flashsim_destroy(s);
}

static void strict_policies_refuse_and_write_nothing(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_REJECT_BIT_SET);
    csa_flash f = csa_flashsim_port(s);
    uint8_t first[8] = {0xF0, 0xF0, 0xF0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF}, clear[8] = {0, 0, 0, 0, 0, 0, 0, 0},
            set[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00}, got[8];
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, first, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, set, 8), CSA_FLASH_ERR_NOT_ERASED);
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 8), CSA_FLASH_OK);
    CHECK(memcmp(got, first, 8) == 0); /* the erased second word was not written either */
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, clear, 8), CSA_FLASH_OK); /* clearing bits is allowed */
    csa_flashsim_destroy(s);

    s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_REJECT_ANY_REPROGRAM);
    f = csa_flashsim_port(s);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, first, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, clear, 8), CSA_FLASH_ERR_NOT_ERASED);
    CHECK_EQ(csa_flash_program(&f, 0x08020008u, clear, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_get_stats(s)->operations, 2);
    csa_flashsim_destroy(s);
}

static void alignment_size_and_range(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    uint8_t d[16];
    memset(d, 0x11, sizeof d);
    CHECK_EQ(f.program_unit, 8);
    CHECK_EQ(csa_flash_program(&f, 0x08010004u, d, 8), CSA_FLASH_ERR_ALIGNMENT);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, d, 12), CSA_FLASH_ERR_PROGRAM_SIZE);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, d, 0), CSA_FLASH_ERR_SEQUENCE);
    CHECK_EQ(csa_flash_program(&f, 0x08100000u, d, 8), CSA_FLASH_ERR_OUT_OF_RANGE);
    CHECK_EQ(csa_flash_program(&f, 0x080FFFF8u, d, 16), CSA_FLASH_ERR_OUT_OF_RANGE);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7590u, d, 8), CSA_FLASH_ERR_READ_ONLY); /* the unique ID */
    CHECK_EQ(csa_flash_program(&f, 0x1FFF75E0u, d, 8), CSA_FLASH_ERR_READ_ONLY); /* the flash size register */
    CHECK_EQ(csa_flash_erase(&f, 512), CSA_FLASH_ERR_OUT_OF_RANGE);
    CHECK_EQ(csa_flash_read(&f, 0x07FFFFFCu, d, 8), CSA_FLASH_ERR_OUT_OF_RANGE);
    CHECK_EQ(csa_flashsim_get_stats(s)->operations, 0); /* refused operations are not operations */
    csa_flashsim_destroy(s);
}

static void l4_progerr_unless_all_zeros(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    uint8_t a[16], zero[8] = {0}, same[8], got[8];
    memset(a, 0xA5, sizeof a);
    memset(same, 0xA5, sizeof same);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, a, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, same, 8), CSA_FLASH_ERR_NOT_ERASED); /* even the same value */
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, a, 16), CSA_FLASH_ERR_NOT_ERASED);
    CHECK_EQ(csa_flash_read(&f, 0x08010008u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0xFF)); /* the refused 16-byte program wrote nothing */
    CHECK_EQ(csa_flash_program(&f, 0x08010000u, zero, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_read(&f, 0x08010000u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0x00));
    CHECK_EQ(csa_flash_erase(&f, 32), CSA_FLASH_OK); /* page 32 = 0x08010000 */
    CHECK_EQ(csa_flash_read(&f, 0x08010000u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0xFF));
    CHECK_EQ(csa_flashsim_erase_cycles(s, 32), 1);
    csa_flashsim_destroy(s);
}

static void otp_rules(void)
{
    uint8_t w[8] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0}, zero[8] = {0}, got[8];
    csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    /* L4: each OTP double word is written once, zeros included; no erase reaches it. */
    CHECK(f.ops->lock_otp_block == NULL);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7000u, w, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7000u, zero, 8), CSA_FLASH_ERR_NOT_ERASED);
    CHECK_EQ(csa_flash_erase(&f, 0), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_read(&f, 0x1FFF7000u, got, 8), CSA_FLASH_OK);
    CHECK(memcmp(got, w, 8) == 0);
    csa_flashsim_destroy(s);

    /* F4: OTP programs like main flash (AND) until its block's lock byte is 0x00. */
    s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    f = csa_flashsim_port(s);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7800u, w, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7800u, zero, 4), CSA_FLASH_OK);
    CHECK_EQ(f.ops->lock_otp_block(f.ctx, 0), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7804u, zero, 4), CSA_FLASH_ERR_OTP_LOCKED);
    CHECK_EQ(csa_flash_program(&f, 0x1FFF781Cu, zero, 8), CSA_FLASH_ERR_OTP_LOCKED); /* touches block 0 */
    CHECK_EQ(csa_flash_program(&f, 0x1FFF7820u, zero, 4), CSA_FLASH_OK);             /* block 1 is open */
    CHECK_EQ(csa_flash_read(&f, 0x1FFF7A00u, got, 2), CSA_FLASH_OK);
    CHECK_EQ(got[0], 0x00);
    CHECK_EQ(got[1], 0xFF);
    CHECK_EQ(f.ops->lock_otp_block(f.ctx, 16), CSA_FLASH_ERR_OUT_OF_RANGE);
    csa_flashsim_destroy(s);
}

static void unique_id_and_size_register(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON), *r;
    csa_flashsim_options o;
    csa_flash f = csa_flashsim_port(s);
    uint8_t uid[12], uid2[12], reg[2];
    CHECK_EQ(csa_flash_read_uid(&f, uid), CSA_FLASH_OK);
    CHECK(memcmp(uid, "\x3A\x00\x24\x00\x0D\x51\x34\x31\x38\x39\x38\x36", 12) == 0);
    CHECK_EQ(csa_flash_read(&f, 0x1FFF7A22u, reg, 2), CSA_FLASH_OK);
    CHECK_EQ(reg[0] | reg[1] << 8, 1024);
    memset(&o, 0, sizeof o);
    o.geometry = &csa_flash_stm32f4_1m;
    r = csa_flashsim_create(&o); /* no unique ID given: a random one */
    f = csa_flashsim_port(r);
    CHECK_EQ(csa_flash_read_uid(&f, uid2), CSA_FLASH_OK);
    CHECK(memcmp(uid, uid2, 12) != 0);
    csa_flashsim_destroy(r);
    csa_flashsim_destroy(s);
}

static void write_protection(void)
{
    csa_flashsim *s = sim_new(&csa_flash_stm32l4_1m, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    uint8_t bitmap[64], back[64], d[8] = {0};
    memset(bitmap, 0, sizeof bitmap);
    bitmap[0] = 0xFF;  /* pages 0-7: the pre-bootloader */
    bitmap[1] = 0x0C;  /* pages 10-11: provisioning: a second range in bank 1 */
    CHECK_EQ(f.ops->set_write_protection(f.ctx, bitmap), CSA_FLASH_OK);
    CHECK_EQ(f.ops->get_write_protection(f.ctx, back), CSA_FLASH_OK);
    CHECK(memcmp(back, bitmap, 64) == 0);
    CHECK_EQ(csa_flash_erase(&f, 3), CSA_FLASH_ERR_WRITE_PROTECTED);
    CHECK_EQ(csa_flash_program(&f, 0x08005000u, d, 8), CSA_FLASH_ERR_WRITE_PROTECTED);
    CHECK_EQ(csa_flash_program(&f, 0x08004000u, d, 8), CSA_FLASH_OK);
    bitmap[2] = 0x01;  /* page 16: a third range in bank 1 */
    CHECK_EQ(f.ops->set_write_protection(f.ctx, bitmap), CSA_FLASH_ERR_INVALID_OPTION);
    csa_flashsim_destroy(s);

    s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON); /* F4: one nWRP bit per sector, any set */
    f = csa_flashsim_port(s);
    memset(bitmap, 0, sizeof bitmap);
    bitmap[0] = 0x55;
    CHECK_EQ(f.ops->set_write_protection(f.ctx, bitmap), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_erase(&f, 6), CSA_FLASH_ERR_WRITE_PROTECTED);
    CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_OK);
    csa_flashsim_destroy(s);
}

static void geometry_of_the_chips(void)
{
    csa_flash_sector sec;
    /* device-model.md 1.1 / DESIGN.md 5: F4 sectors 0-3 16 KB, 4 64 KB at 0x08010000, 5-11 128 KB from 0x08020000 */
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32f4_1m, 4, &sec), 0);
    CHECK_EQ(sec.address, 0x08010000u);
    CHECK_EQ(sec.size, 65536);
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32f4_1m, 11, &sec), 0);
    CHECK_EQ(sec.address, 0x080E0000u);
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32f4_1m, 12, &sec), -1);
    /* 2 MB: sectors 12-23 repeat the layout from 0x08100000, in bank 2 */
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32f4_2m, 12, &sec), 0);
    CHECK_EQ(sec.address, 0x08100000u);
    CHECK_EQ(sec.bank, 1);
    CHECK_EQ(sec.index_in_bank, 0);
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32f4_2m, 23, &sec), 0);
    CHECK_EQ(sec.address, 0x081E0000u);
    /* L4 1 MB: 2 x 256 pages of 2 KB, bank 2 at 0x08080000, PNB restarts */
    CHECK_EQ(csa_flash_sector_info(&csa_flash_stm32l4_1m, 256, &sec), 0);
    CHECK_EQ(sec.address, 0x08080000u);
    CHECK_EQ(sec.bank, 1);
    CHECK_EQ(sec.index_in_bank, 0);
    CHECK_EQ(csa_flash_sector_at(&csa_flash_stm32l4_1m, 0x080807FFu), 256);
    CHECK_EQ(csa_flash_sector_at(&csa_flash_stm32f4_1m, 0x0801FFFFu), 4);
    CHECK_EQ(csa_flash_sector_at(&csa_flash_stm32f4_1m, 0x08100000u), -1);
    CHECK_EQ(csa_flash_sector_at(&csa_flash_stm32l4_256k, 0x08020000u), 64); /* bank 2 of the 256 KB part */
    CHECK(csa_flash_geometry_by_name("stm32f4-2m", 10) == &csa_flash_stm32f4_2m);
    CHECK(csa_flash_geometry_by_name("STM32F4-2", 9) == NULL);
}

static void timing_is_charged_to_the_accounting_clock(void)
{
    csa_flashsim_options o;
    csa_flashsim *s;
    csa_flash f;
    uint8_t d[1024];
    memset(&o, 0, sizeof o);
    o.geometry = &csa_flash_stm32f4_1m;
    o.timing = CSA_FLASHSIM_TYPICAL;
    s = csa_flashsim_create(&o);
    f = csa_flashsim_port(s);
    memset(d, 0, sizeof d);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, d, sizeof d), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_get_stats(s)->busy_ns, 256ull * 16000u); /* 256 words x 16 us */
    CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_get_stats(s)->busy_ns, 256ull * 16000u + 1000000000ull); /* 128 KB: 1 s typical */
    csa_flashsim_destroy(s);
    CHECK_EQ(csa_flashsim_erase_ns(&csa_flash_stm32l4_1m, CSA_FLASHSIM_WORST_CASE, 2048), 24470000ull);
    CHECK_EQ(csa_flashsim_program_ns(&csa_flash_stm32l4_1m, CSA_FLASHSIM_TYPICAL, 10), 817000ull);
    CHECK_EQ(csa_flashsim_erase_ns(&csa_flash_stm32f4_1m, CSA_FLASHSIM_WORST_CASE, 16384), 800000000ull);
}

static void endurance_can_be_enforced(void)
{
    csa_flashsim_options o;
    csa_flashsim *s;
    csa_flash f;
    int i;
    memset(&o, 0, sizeof o);
    o.geometry = &csa_flash_stm32l4_256k;
    o.fail_beyond_endurance = 1;
    s = csa_flashsim_create(&o);
    f = csa_flashsim_port(s);
    for (i = 0; i < 10000; i++)
        if (csa_flash_erase(&f, 7) != CSA_FLASH_OK)
            break;
    CHECK_EQ(i, 10000);
    CHECK_EQ(csa_flash_erase(&f, 7), CSA_FLASH_ERR_ENDURANCE);
    CHECK_EQ(csa_flashsim_erase_cycles(s, 7), 10000);
    csa_flashsim_destroy(s);
}

int main(void)
{
    RUN(f4_programming_only_clears_bits);
    RUN(strict_policies_refuse_and_write_nothing);
    RUN(alignment_size_and_range);
    RUN(l4_progerr_unless_all_zeros);
    RUN(otp_rules);
    RUN(unique_id_and_size_register);
    RUN(write_protection);
    RUN(geometry_of_the_chips);
    RUN(timing_is_charged_to_the_accounting_clock);
    RUN(endurance_can_be_enforced);
    return csa_test_done();
}
