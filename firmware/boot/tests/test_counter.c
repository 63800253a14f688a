/* boot.counter: the security counter's OTP floor (docs/device-model.md section 4): a thermometer of 64 steps that
 * only goes up, works under the L4 rule that an OTP double word is written once, and counts a torn step as taken.
 * REQ-DOWNGRADE. */
#include <string.h>

#include "check.h"
#include "csa_boot/otp_counter.h"
#include "csa_flashsim.h"

static csa_flashsim *new_sim(const csa_flash_geometry *g)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = g;
    o.overwrite = CSA_FLASHSIM_REJECT_ANY_REPROGRAM;
    o.has_uid = 1;
    return csa_flashsim_create(&o);
}

static void steps_up_and_never_down(void)
{
    static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
    unsigned m;
    for (m = 0; m < 2; m++) {
        csa_flashsim *s = new_sim(maps[m]->geometry);
        csa_flash f = csa_flashsim_port(s);
        const csa_otp_range *r = &maps[m]->counter_otp;
        uint32_t v = 99;
        CHECK_EQ(csa_otp_counter_capacity(&f, r), 64);
        CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
        CHECK_EQ(v, 0);
        CHECK_EQ(csa_otp_counter_advance(&f, r, 3), CSA_FLASH_OK);
        CHECK_EQ(csa_flashsim_get_stats(s)->programs, 3); /* one program per step */
        CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
        CHECK_EQ(v, 3);
        CHECK_EQ(csa_otp_counter_advance(&f, r, 2), CSA_FLASH_OK); /* lower: nothing */
        CHECK_EQ(csa_flashsim_get_stats(s)->programs, 3);
        CHECK_EQ(csa_otp_counter_advance(&f, r, 64), CSA_FLASH_OK);
        CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
        CHECK_EQ(v, 64);
        CHECK_EQ(csa_otp_counter_advance(&f, r, 65), CSA_FLASH_ERR_OUT_OF_RANGE);
        /* No erase reaches OTP. */
        CHECK_EQ(csa_map_erase_region(&f, &maps[m]->regions[CSA_REGION_JOURNAL_A]), CSA_FLASH_OK);
        CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
        CHECK_EQ(v, 64);
        /* The identity range next to it is untouched. */
        {
            uint8_t id[8];
            CHECK_EQ(csa_flash_read(&f, maps[m]->identity_otp.address, id, 8), CSA_FLASH_OK);
            CHECK_EQ(id[0], 0xFF);
        }
        csa_flashsim_destroy(s);
    }
}

static void a_torn_step_counts_as_taken(void)
{
    static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m};
    unsigned m, seed;
    for (m = 0; m < 2; m++)
        for (seed = 1; seed <= 8; seed++) {
            csa_flashsim *s = new_sim(maps[m]->geometry);
            csa_flash f = csa_flashsim_port(s);
            const csa_otp_range *r = &maps[m]->counter_otp;
            csa_flashsim_plan plan;
            uint32_t v;
            memset(&plan, 0, sizeof plan);
            plan.operation = 2; /* the third step */
            plan.during = 1;
            plan.fraction = 0.5;
            plan.seed = seed;
            CHECK_EQ(csa_otp_counter_advance(&f, r, 5), CSA_FLASH_OK);
            csa_flashsim_arm(s, &plan);
            CHECK_EQ(csa_otp_counter_advance(&f, r, 9), CSA_FLASH_POWER_LOST);
            csa_flashsim_power_on(s);
            CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
            CHECK_EQ(v, 8); /* steps 6 and 7 landed, step 8 is torn and counts: skipped, never back */
            CHECK_EQ(csa_otp_counter_advance(&f, r, 9), CSA_FLASH_OK); /* the torn unit is never written again */
            CHECK_EQ(csa_otp_counter_read(&f, r, &v), CSA_FLASH_OK);
            CHECK_EQ(v, 9);
            csa_flashsim_destroy(s);
        }
}

int main(void)
{
    RUN(steps_up_and_never_down);
    RUN(a_torn_step_counts_as_taken);
    return csa_test_done();
}
