/* Link probe of a whole bootloader copy for tools/bootloader_size.sh: the protocol stack, the generated Device,
 * Bootloader (and Provisioning) bindings, the bootloader service, the bootloader core and the cryptography of the
 * build, wired as a chip's bootloader main() wires them (firmware/service/include/csa_service/bootloader_service.h).
 * The board is stubs that read volatile memory (the flash port, the UART, and in the full build the key storage's
 * backend and the random source), so --gc-sections keeps exactly what the bootloader needs and nothing is folded
 * away. Not run; only measured. What it leaves out is the board: drivers, start-up code and vector table (issue 16
 * measures the chip images whole). */
#include "csa_service/bootloader_service.h"
#if CSA_BOOT_DECRYPT || CSA_BOOT_PROVISIONING
#include "csa_boot/keystore_soft.h"
#include "csa_boot/rng_health.h"
#endif

volatile uint8_t in_buf[1024];
volatile uint8_t out_buf[256];
volatile uint32_t clock_ms;

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

static csa_flash_status port_set_wrp(void *ctx, const uint8_t *bitmap)
{
    (void)ctx;
    out_buf[3] = bitmap[0];
    return (csa_flash_status)in_buf[3];
}

static csa_flash_status port_get_wrp(void *ctx, uint8_t *bitmap)
{
    unsigned i;
    (void)ctx;
    for (i = 0; i < 64; i++)
        bitmap[i] = in_buf[100 + i];
    return (csa_flash_status)in_buf[4];
}

static const csa_flash_ops ops = {port_read, port_program, port_erase, 0, port_set_wrp, port_get_wrp};

static void uart_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    while (n--)
        out_buf[5] = *data++;
}

#if CSA_BOOT_DECRYPT || CSA_BOOT_PROVISIONING
/* The key storage's backend (a protected flash sector or a secure element on a chip) and the RNG peripheral. */
static int keys_load(void *ctx, csa_keystore_record *r)
{
    uint8_t *p = (uint8_t *)r;
    size_t i;
    (void)ctx;
    for (i = 0; i < sizeof *r; i++)
        p[i] = in_buf[200 + i];
    return in_buf[6];
}

static int keys_save(void *ctx, const csa_keystore_record *r)
{
    (void)ctx;
    out_buf[7] = r->private_key[0];
    return in_buf[7];
}

/* RNG_DR after DRDY, SECS/CECS checked: the raw samples the SP 800-90B health tests take. */
static int rng_sample(void *ctx, uint32_t *sample)
{
    (void)ctx;
    *sample = (uint32_t)in_buf[8] << 24 | in_buf[9];
    return in_buf[10];
}

static csa_rng_health rng;
static csa_keystore_soft keystore;
#endif

static csa_flash flash;
static csa_product product;
static csa_retained retained;
static csa_node_t node;
static csa_bl_service service;

void Reset_Handler(void)
{
    uint8_t *in = (uint8_t *)in_buf;
    flash.ops = &ops;
    flash.ctx = 0;
    flash.geometry = &csa_flash_stm32f4_1m;
    flash.program_unit = 4;
    csa_product_defaults(&product, &csa_map_stm32f4_1m);
    product.limits.max_frame_size = CSA_CONFIG_MAX_FRAME_SIZE;
    product.limits.rx_buffers = CSA_CONFIG_RX_BUFFERS;
    product.limits.max_packet_size = CSA_CONFIG_MAX_PACKET_SIZE;
    csa_trusted_key_init(&product.keys[0], in + 10);
    product.key_count = 1;
#if CSA_BOOT_DECRYPT || CSA_BOOT_PROVISIONING
    {
        csa_keystore_backend backend = {keys_load, keys_save, 0};
        csa_rng_health_init(&rng, rng_sample, 0);
        csa_keystore_soft_init(&keystore, &backend, csa_rng_health_fill, &rng);
        product.keystore = &keystore.port;
        csa_trusted_key_init(&product.production_keys[0], in + 80);
        product.production_key_count = 1;
        product.require_provisioning = 1;
    }
#endif
    csa_node_init(&node, &product.limits, CSA_ADDR_UNASSIGNED, true, clock_ms);
    csa_node_add_link(&node, CSA_LINK_UPSTREAM, uart_write, 0);
    if (csa_bl_service_start(&service, &product, &flash, &node, &retained, clock_ms, in[11]) != CSA_BL_OK
        || !service.decision.start_application)
        for (;;) {
            uint32_t now = clock_ms;
            csa_node_receive(&node, 0, in + 300, in[12], now);
            csa_node_poll(&node, now);
            if (csa_bl_service_poll(&service, now, in[13]) == CSA_RUN_RESET)
                break;
        }
    out_buf[0] = retained.handoff.running_copy;
    for (;;) {
    }
}
