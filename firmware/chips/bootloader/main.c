/* The bootloader copy on a chip (docs/device-model.md 5.2 step 2 and 6): started by the pre-bootloader, it checks the
 * application and the journal (csa_bl_service_start); either it starts the application at once, before it has sent
 * a byte, or it stays resident and serves the Device and Bootloader interfaces on the board's UART until an update
 * or the requested stay ends in a reset.
 *
 * With the link in SRAM (CSA_CHIP_LINK_IN_SRAM, a CMake option) the flash driver's wait loop runs link_while_busy: while
 * an erase or a program stalls code fetch from flash, frames keep being decoded from the UART ring, link management
 * keeps being answered, frames for other nodes forwarded, and packets for this node wait in the receive buffers
 * (csa_service/busy_link.h) for the main loop, which hands them to their handlers before it reads anything newer. */
#include "csa/csa_board.h"
#include "csa/cm4.h"
#include "csa_chip_product.h"
#include "csa_service/bootloader_service.h"
#include "csa_service/busy_link.h"

/* The dispatch scratch the configuration gives holds the Bootloader interface's (its Write sized to the chip's
 * packets, csa_chip_bootloader_config.h): checked here, where a mistake fails the build instead of the start. */
typedef char csa_chip_scratch_fits[CSA_CONFIG_RPC_SCRATCH_SIZE >= BOOTLOADER_DISPATCH_SCRATCH_SIZE ? 1 : -1];

static csa_product product;
static csa_node_t node;
static csa_bl_service service;
static uint8_t rx[128]; /* one turn's take from the UART ring */

#if CSA_CHIP_LINK_IN_SRAM
static bool feeding; /* the main loop is inside csa_node_receive: a Write's program must not feed the node again */
static uint8_t busy_rx[64];

/* The data-link step of the flash wait loop (csa_board_flash_on_busy): everything it reaches is in SRAM. */
CSA_RAMFUNC static void link_while_busy(void *ctx)
{
    size_t n;
    (void)ctx;
    if (feeding)
        return; /* the bytes wait in the ring until the handler that programs returns */
    n = csa_board_link_read(busy_rx, sizeof busy_rx);
    if (n == 0)
        return;
    feeding = true;
    csa_busy_link_receive(&node, 0, busy_rx, n, csa_board_millis());
    feeding = false;
}
#endif

int main(void)
{
    const csa_memory_map *map;
    csa_retained *retained;
    uint8_t address = CSA_ADDR_UNASSIGNED;
    uint32_t now;
    csa_bl_status st;

    csa_board_init();
    map = csa_board_map();
    csa_chip_product(&product, map);
    retained = csa_board_retained();
    if (!csa_retained_valid(retained))
        csa_retained_clear(retained); /* a power-on: SRAM holds noise, no address was kept */
    else if (retained->has_address)
        address = retained->address; /* a reset: the host keeps talking to the same address */
    now = csa_board_millis();
    csa_board_link_open();
    if (csa_node_init(&node, &product.limits, address, true, now) != CSA_OK
        || csa_node_add_link(&node, CSA_LINK_UPSTREAM, csa_board_link_write, NULL) < 0)
        csa_board_halt("bootloader: the product's link limits exceed this build's configuration");
    st = csa_bl_service_start(&service, &product, csa_board_flash(), &node, retained, now, 0);
    if (st != CSA_BL_OK)
        csa_board_halt("bootloader: the product does not fit this build (map, keys, write size or interfaces)");
    if (service.decision.running == 0)
        csa_board_halt("bootloader: no valid bootloader copy");
    if (service.decision.start_application)
        csa_board_start_image(map->regions[CSA_REGION_APPLICATION].address);

    csa_board_watchdog_start(); /* resident: a hang resets into the same decision (docs/firmware.md) */
#if CSA_CHIP_LINK_IN_SRAM
    csa_board_flash_on_busy(link_while_busy, NULL);
#endif
    for (;;) {
        size_t n = 0;
        bool fed = false;
        csa_run r;
#if CSA_CHIP_LINK_IN_SRAM
        fed = csa_busy_link_deliver(&node); /* what arrived while the flash was busy, before anything newer */
        if (!fed)
#endif
            n = csa_board_link_read(rx, sizeof rx);
        now = csa_board_millis();
        if (n > 0) {
#if CSA_CHIP_LINK_IN_SRAM
            feeding = true;
#endif
            csa_node_receive(&node, 0, rx, n, now);
#if CSA_CHIP_LINK_IN_SRAM
            feeding = false;
#endif
            fed = true;
        }
        csa_node_poll(&node, now);
        r = csa_bl_service_poll(&service, now, !fed);
        if (r == CSA_RUN_RESET) {
            csa_board_link_drain(); /* the answer that asked for it has left the wire */
            csa_board_reset();
        }
        if (r == CSA_RUN_POWER_LOST)
            csa_board_halt("bootloader: flash power lost"); /* only a simulated flash answers it */
        csa_board_watchdog_refresh();
        if (!fed && !csa_bl_service_busy(&service))
            csa_board_idle(); /* until the next byte or SysTick */
    }
}
