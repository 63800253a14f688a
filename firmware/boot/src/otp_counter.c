/* The OTP thermometer counter, docs/device-model.md section 4. */
#include "csa_boot/otp_counter.h"

uint32_t csa_otp_counter_capacity(const csa_flash *f, const csa_otp_range *range)
{
    return range->size / f->program_unit;
}

csa_flash_status csa_otp_counter_read(const csa_flash *f, const csa_otp_range *range, uint32_t *value)
{
    uint32_t step, n = csa_otp_counter_capacity(f, range);
    uint8_t cells[8];
    *value = 0;
    for (step = 0; step < n; step++) {
        unsigned i;
        int erased = 1;
        csa_flash_status st = csa_flash_read(f, range->address + step * f->program_unit, cells, f->program_unit);
        if (st == CSA_FLASH_ERR_ECC) {
            erased = 0; /* a torn step: taken */
        } else if (st != CSA_FLASH_OK) {
            return st;
        } else {
            for (i = 0; i < f->program_unit; i++)
                erased &= cells[i] == CSA_FLASH_ERASED;
        }
        if (!erased)
            *value = step + 1;
    }
    return CSA_FLASH_OK;
}

csa_flash_status csa_otp_counter_advance(const csa_flash *f, const csa_otp_range *range, uint32_t value)
{
    static const uint8_t zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t step;
    csa_flash_status st;
    if (value > csa_otp_counter_capacity(f, range))
        return CSA_FLASH_ERR_OUT_OF_RANGE;
    st = csa_otp_counter_read(f, range, &step);
    for (; st == CSA_FLASH_OK && step < value; step++)
        st = csa_flash_program(f, range->address + step * f->program_unit, zeros, f->program_unit);
    return st;
}
