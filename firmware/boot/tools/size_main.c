/* Link probe for tools/size_report.sh: a bare Cortex-M4 program that calls every entry point a bootloader's RPC
 * glue calls, so --gc-sections keeps what the bootloader core carries. Inputs come from volatile memory so nothing
 * is folded away. Not run; only measured. The flash port is a stub table (the real one is issue 16's driver). */
#include "csa_boot/bootloader.h"

volatile uint8_t in_buf[1024];
volatile uint8_t out_buf[256];
volatile int result;

static csa_flash_status port_read(void *ctx, uint32_t a, void *d, uint32_t n)
{
    uint8_t *p = (uint8_t *)d;
    (void)ctx;
    while (n--)
        *p++ = in_buf[(a + n) & 1023];
    return (csa_flash_status)in_buf[0];
}

static csa_flash_status port_program(void *ctx, uint32_t a, const void *s, uint32_t n)
{
    (void)ctx;
    out_buf[a & 255] = ((const uint8_t *)s)[n - 1];
    return (csa_flash_status)in_buf[1];
}

static csa_flash_status port_erase(void *ctx, uint16_t sector)
{
    (void)ctx;
    out_buf[sector & 255] = 0xFF;
    return (csa_flash_status)in_buf[2];
}

static const csa_flash_ops ops = {port_read, port_program, port_erase, 0, 0, 0};
static csa_bl_config config;
static csa_bootloader bl;

void Reset_Handler(void)
{
    uint8_t *in = (uint8_t *)in_buf, *out = (uint8_t *)out_buf;
    csa_flash flash;
    csa_bl_decision d;
    csa_bl_begin_answer b;
    csa_bl_write_answer w;
    csa_bl_status_answer s;
    uint16_t holes;
    uint32_t missing;
    int erased;
    flash.ops = &ops;
    flash.ctx = 0;
    flash.geometry = &csa_flash_stm32f4_1m;
    flash.program_unit = 4;
    config.map = &csa_map_stm32f4_1m;
    config.key_count = 1;
    config.max_write_size = 1024;
    csa_trusted_key_init(&config.keys[0], in);
    result = csa_bl_init(&bl, &config, &flash);
    result += (int)csa_bl_start(&bl, in[3], in[4], &d);
    result += (int)csa_bl_begin_update(&bl, in[5], in, 120, in + 200, 64, 0, 0, 1, 0, &b);
    result += (int)csa_bl_write(&bl, in[6], in + 300, 512, 0, &w);
    result += (int)csa_bl_erase_ahead(&bl, &erased);
    result += (int)csa_bl_finish_update(&bl, 0, out, &missing);
    result += (int)csa_bl_abort_update(&bl, 0);
    result += (int)csa_bl_get_status(&bl, &s);
    result += (int)csa_bl_missing_blocks(&bl, in[11], 1024, &missing, &holes, out + 64);
    out[1] = (uint8_t)holes;
    result += (int)csa_bl_get_region_hash(&bl, in[7], in[8], 1024, out);
    result += csa_bl_stay_expired(&bl, in[9]);
    result += (int)csa_bl_end_requested_stay(&bl);
    result += (int)csa_state_request_bootloader(&flash, &csa_map_stm32f4_1m, in[10]);
    out[0] = s.phase;
    for (;;) {
    }
}
