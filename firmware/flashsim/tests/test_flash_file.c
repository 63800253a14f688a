/* flash.file: the flash image file of docs/device-model.md 1.6: round trip of every field, each load error, atomic
 * saves, persistence after every operation. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <unistd.h>

#include "csa/csa_crc32.h"
#include "sim_fixture.h"

static csa_flashsim *busy_chip(const csa_flash_geometry *g)
{
    csa_flashsim *s = sim_new(g, CSA_FLASHSIM_AND_LIKE_SILICON);
    csa_flash f = csa_flashsim_port(s);
    csa_flashsim_plan p;
    uint8_t d[16] = {0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, wrp[64];
    memset(wrp, 0, sizeof wrp);
    wrp[0] = 0x01;
    CHECK_EQ(csa_flash_program(&f, g->base + 0x4000u, d, 16), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, g->otp_address + 0x100u, d, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_erase(&f, 3), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_erase(&f, 3), CSA_FLASH_OK);
    CHECK_EQ(f.ops->set_write_protection(f.ctx, wrp), CSA_FLASH_OK);
    if (f.ops->lock_otp_block != NULL)
        CHECK_EQ(f.ops->lock_otp_block(f.ctx, 9), CSA_FLASH_OK);
    memset(&p, 0, sizeof p);
    p.during = 1;
    p.seed = 5;
    p.fraction = 0.9;
    memset(d, 0, sizeof d);
    csa_flashsim_arm(s, &p);
    CHECK_EQ(csa_flash_program(&f, g->base + 0x4010u, d, 16), CSA_FLASH_POWER_LOST);
    csa_flashsim_power_on(s);
    csa_flashsim_set_rdp(s, 1);
    return s;
}

static void same_state(const csa_flashsim *a, const csa_flashsim *b)
{
    const csa_flash_geometry *g = csa_flashsim_geometry(a);
    size_t la, lb;
    uint8_t *x = csa_flashsim_serialize(a, &la), *y = csa_flashsim_serialize(b, &lb);
    CHECK(g == csa_flashsim_geometry(b));
    CHECK_EQ(la, lb);
    CHECK(x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0);
    free(x);
    free(y);
}

static void round_trip_keeps_every_field(void)
{
    static const csa_flash_geometry *const gs[] = {&csa_flash_stm32f4_1m, &csa_flash_stm32l4_1m, &csa_flash_stm32f4_2m};
    unsigned i;
    for (i = 0; i < 3; i++) {
        csa_flashsim *s = busy_chip(gs[i]), *t = NULL;
        csa_flashsim_options o;
        char path[] = "/tmp/csa_flash_rt_XXXXXX";
        int fd = mkstemp(path);
        uint8_t uid[12], wrp[64];
        csa_flash f;
        close(fd);
        memset(&o, 0, sizeof o);
        CHECK_EQ(csa_flashsim_save(s, path), CSA_FLASHSIM_FILE_OK);
        {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            CHECK(access(tmp, F_OK) != 0); /* the temporary file was renamed over the target */
        }
        CHECK_EQ(csa_flashsim_load(path, &o, &t), CSA_FLASHSIM_FILE_OK);
        if (t == NULL)
            continue;
        same_state(s, t);
        f = csa_flashsim_port(t);
        CHECK_EQ(csa_flash_read_uid(&f, uid), CSA_FLASH_OK);
        CHECK_EQ(uid[0], 0x3A);
        CHECK_EQ(csa_flashsim_erase_cycles(t, 3), 2);
        CHECK_EQ(csa_flashsim_rdp(t), 1);
        CHECK_EQ(f.ops->get_write_protection(f.ctx, wrp), CSA_FLASH_OK);
        CHECK_EQ(wrp[0], 0x01);
        CHECK_EQ(csa_flash_erase(&f, 0), CSA_FLASH_ERR_WRITE_PROTECTED);
        if (gs[i]->family == CSA_FLASH_L4)
            CHECK(csa_flashsim_ecc_broken(t, gs[i]->base + 0x4018u)); /* the torn double word stays torn */
        csa_flashsim_destroy(t);
        csa_flashsim_destroy(s);
        unlink(path);
    }
}

static csa_flashsim_file_error load_mutated(const uint8_t *image, size_t len, size_t at, uint8_t value, int fix_crc)
{
    uint8_t *copy = (uint8_t *)malloc(len);
    csa_flashsim *s = NULL;
    csa_flashsim_options o;
    csa_flashsim_file_error e;
    memcpy(copy, image, len);
    if (at < len)
        copy[at] = value;
    if (fix_crc) {
        uint32_t crc = csa_crc32(copy, len - 4);
        copy[len - 4] = (uint8_t)crc;
        copy[len - 3] = (uint8_t)(crc >> 8);
        copy[len - 2] = (uint8_t)(crc >> 16);
        copy[len - 1] = (uint8_t)(crc >> 24);
    }
    memset(&o, 0, sizeof o);
    e = csa_flashsim_load_buffer(copy, len, &o, &s);
    csa_flashsim_destroy(s);
    free(copy);
    return e;
}

static void every_load_error_is_typed(void)
{
    csa_flashsim *s = busy_chip(&csa_flash_stm32l4_256k);
    csa_flashsim *t = NULL;
    csa_flashsim_options o;
    size_t len, name_end = 14 + strlen("STM32L4-256K"), cycles;
    uint8_t *image = csa_flashsim_serialize(s, &len);
    memset(&o, 0, sizeof o);
    CHECK_EQ(csa_flashsim_load_buffer(image, len, &o, &t), CSA_FLASHSIM_FILE_OK);
    csa_flashsim_destroy(t);
    CHECK_EQ(load_mutated(image, 5, len, 0, 0), CSA_FLASHSIM_FILE_TRUNCATED);
    CHECK_EQ(load_mutated(image, len, 0, 'X', 0), CSA_FLASHSIM_FILE_NOT_A_FLASH_IMAGE);
    CHECK_EQ(load_mutated(image, len, 8, 2, 1), CSA_FLASHSIM_FILE_UNSUPPORTED_VERSION);
    CHECK_EQ(load_mutated(image, len, 20, 'Q', 1), CSA_FLASHSIM_FILE_UNKNOWN_GEOMETRY);
    CHECK_EQ(load_mutated(image, len - 1, len, 0, 0), CSA_FLASHSIM_FILE_TRUNCATED);
    CHECK_EQ(load_mutated(image, 30, len, 0, 0), CSA_FLASHSIM_FILE_TRUNCATED);
    CHECK_EQ(load_mutated(image, len, name_end + 100, 0x00, 0), CSA_FLASHSIM_FILE_CORRUPT); /* CRC */
    CHECK_EQ(load_mutated(image, len, 10, 0, 1), CSA_FLASHSIM_FILE_CORRUPT);               /* family contradicts */
    CHECK_EQ(load_mutated(image, len, 11, 3, 1), CSA_FLASHSIM_FILE_CORRUPT);               /* RDP 3 */
    CHECK_EQ(load_mutated(image, len, name_end + 1, 0x01, 1), CSA_FLASHSIM_FILE_CORRUPT);  /* main size */
    cycles = name_end + 4 + 256u * 1024u + 4 + 1024 + 12 + 4 + 16;
    CHECK_EQ(load_mutated(image, len, cycles + 3, 0x80, 1), CSA_FLASHSIM_FILE_CORRUPT);    /* counter >= 2^31 */
    {
        uint8_t *longer = (uint8_t *)malloc(len + 1);
        memcpy(longer, image, len);
        longer[len] = 0;
        CHECK_EQ(csa_flashsim_load_buffer(longer, len + 1, &o, &t), CSA_FLASHSIM_FILE_CORRUPT);
        free(longer);
    }
    o.geometry = &csa_flash_stm32l4_1m;
    CHECK_EQ(csa_flashsim_load_buffer(image, len, &o, &t), CSA_FLASHSIM_FILE_GEOMETRY_MISMATCH);
    CHECK(t == NULL);
    CHECK_EQ(csa_flashsim_load("/nonexistent/flash.bin", &o, &t), CSA_FLASHSIM_FILE_IO);
    free(image);
    csa_flashsim_destroy(s);
}

static void persistence_after_every_operation(void)
{
    char path[] = "/tmp/csa_flash_persist_XXXXXX";
    int fd = mkstemp(path);
    csa_flashsim *s = sim_new(&csa_flash_stm32f4_1m, CSA_FLASHSIM_AND_LIKE_SILICON), *t = NULL;
    csa_flash f = csa_flashsim_port(s);
    csa_flashsim_options o;
    uint8_t d[4] = {1, 2, 3, 4};
    close(fd);
    memset(&o, 0, sizeof o);
    csa_flashsim_persist_to(s, path);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, d, 4), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_load(path, &o, &t), CSA_FLASHSIM_FILE_OK);
    if (t != NULL)
        same_state(s, t);
    csa_flashsim_destroy(t);
    CHECK_EQ(csa_flash_erase(&f, 5), CSA_FLASH_OK);
    CHECK_EQ(csa_flashsim_load(path, &o, &t), CSA_FLASHSIM_FILE_OK);
    if (t != NULL)
        same_state(s, t);
    csa_flashsim_destroy(t);
    csa_flashsim_destroy(s);
    unlink(path);
}

int main(void)
{
    RUN(round_trip_keeps_every_field);
    RUN(every_load_error_is_typed);
    RUN(persistence_after_every_operation);
    return csa_test_done();
}
