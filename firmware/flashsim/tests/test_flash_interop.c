/* flash.file_interop: the flash image files the C# virtual device writes (golden files in data/, pinned by the C#
 * test FlashImageFileInteropTests to what FlashImageFile.Save writes for the same recipe) load here with what the
 * recipe left, and this simulation writes them back byte for byte; the F4 recipe, which has no random tear, run
 * here writes the identical file. So each device opens the other's flash. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "sim_fixture.h"

static const char *data_dir;

static uint8_t *gunzip(const char *name, size_t *len)
{
    char cmd[1024];
    FILE *p;
    size_t cap = 4u << 20, n = 0, got;
    uint8_t *buf = (uint8_t *)malloc(cap);
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/%s'", data_dir, name);
    p = popen(cmd, "r");
    if (p == NULL || buf == NULL) {
        free(buf);
        return NULL;
    }
    while ((got = fread(buf + n, 1, cap - n, p)) > 0)
        n += got;
    if (pclose(p) != 0 || n == 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void pattern(uint8_t p[32])
{
    int i;
    for (i = 0; i < 32; i++)
        p[i] = (uint8_t)(i * 7);
}

/* The recipe of FlashImageFileInteropTests.RunRecipe, without the L4 tear (its bits come from .NET's Random). */
static csa_flashsim *run_recipe(const csa_flash_geometry *g)
{
    csa_flashsim_options o;
    csa_flashsim *s;
    csa_flash f;
    uint8_t p[32], a5[16], otp[8], wrp[64];
    memset(&o, 0, sizeof o);
    o.geometry = g;
    o.has_uid = 1;
    memcpy(o.uid, "\x30\x00\x2B\x00\x11\x47\x33\x34\x32\x38\x36\x30", 12);
    s = csa_flashsim_create(&o);
    f = csa_flashsim_port(s);
    pattern(p);
    memset(a5, 0xA5, sizeof a5);
    memset(otp, 0x13, sizeof otp);
    memset(wrp, 0, sizeof wrp);
    wrp[0] = 0x03;
    CHECK_EQ(csa_flash_program(&f, g->base, p, 32), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, 0x08020000u, a5, 16), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_program(&f, g->otp_address + 0x100u, otp, 8), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_erase(&f, 3), CSA_FLASH_OK);
    CHECK_EQ(csa_flash_erase(&f, 3), CSA_FLASH_OK);
    if (g->family == CSA_FLASH_F4)
        CHECK_EQ(f.ops->lock_otp_block(f.ctx, 2), CSA_FLASH_OK);
    CHECK_EQ(f.ops->set_write_protection(f.ctx, wrp), CSA_FLASH_OK);
    csa_flashsim_set_rdp(s, 1);
    return s;
}

static void check_golden(const char *name, const csa_flash_geometry *g)
{
    size_t len = 0, back_len = 0;
    uint8_t *golden = gunzip(name, &len), *back, p[32], got[32], wrp[64];
    csa_flashsim *s = NULL;
    csa_flashsim_options o;
    csa_flash f;
    CHECK(golden != NULL);
    if (golden == NULL)
        return;
    memset(&o, 0, sizeof o);
    o.geometry = g;
    CHECK_EQ(csa_flashsim_load_buffer(golden, len, &o, &s), CSA_FLASHSIM_FILE_OK);
    if (s == NULL) {
        free(golden);
        return;
    }
    f = csa_flashsim_port(s);
    pattern(p);
    CHECK_EQ(csa_flash_read(&f, g->base, got, 32), CSA_FLASH_OK);
    CHECK(memcmp(got, p, 32) == 0);
    CHECK_EQ(csa_flash_read(&f, 0x08020000u, got, 16), CSA_FLASH_OK);
    CHECK(all_bytes(got, 16, 0xA5));
    CHECK_EQ(csa_flash_read(&f, g->otp_address + 0x100u, got, 8), CSA_FLASH_OK);
    CHECK(all_bytes(got, 8, 0x13));
    CHECK_EQ(csa_flash_read_uid(&f, got), CSA_FLASH_OK);
    CHECK(memcmp(got, "\x30\x00\x2B\x00\x11\x47\x33\x34\x32\x38\x36\x30", 12) == 0);
    CHECK_EQ(csa_flashsim_erase_cycles(s, 3), 2);
    CHECK_EQ(csa_flashsim_rdp(s), 1);
    CHECK_EQ(f.ops->get_write_protection(f.ctx, wrp), CSA_FLASH_OK);
    CHECK_EQ(wrp[0] & 0x07, 0x03);
    if (g->family == CSA_FLASH_F4) {
        memset(got, 0, 4);
        CHECK_EQ(csa_flash_program(&f, g->otp_address + 64u, got, 4), CSA_FLASH_ERR_OTP_LOCKED);
    } else {
        CHECK_EQ(csa_flash_read(&f, 0x08001000u, got, 8), CSA_FLASH_OK);
        CHECK(all_bytes(got, 8, 0x00));
        CHECK_EQ(csa_flash_read(&f, 0x08001008u, got, 8), CSA_FLASH_ERR_ECC);
    }
    back = csa_flashsim_serialize(s, &back_len);
    CHECK_EQ(back_len, len);
    CHECK(back != NULL && back_len == len && memcmp(back, golden, len) == 0);
    free(back);
    if (g->family == CSA_FLASH_F4) {
        csa_flashsim *mine = run_recipe(g);
        back = csa_flashsim_serialize(mine, &back_len);
        CHECK(back != NULL && back_len == len && memcmp(back, golden, len) == 0);
        free(back);
        csa_flashsim_destroy(mine);
    }
    csa_flashsim_destroy(s);
    free(golden);
}

static void csharp_f4_file(void)
{
    check_golden("csharp-stm32f4-512k.flash.gz", &csa_flash_stm32f4_512k);
}

static void csharp_l4_file(void)
{
    check_golden("csharp-stm32l4-256k.flash.gz", &csa_flash_stm32l4_256k);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_flash_interop DATA_DIR\n");
        return 2;
    }
    data_dir = argv[1];
    RUN(csharp_f4_file);
    RUN(csharp_l4_file);
    return csa_test_done();
}
