/* The demo application on a chip: what a customer's firmware looks like with the application-side library
 * (csa_service/app_runtime.h: the Device interface, EnterBootloader and Reset) next to its own interface (the demo
 * application of docs/device-model.md 7.5, apps/csa-device/demo_app.c). Started by the bootloader after it verified
 * this image; the versions it reports are what the bootloader found (the retained handoff). */
#include "csa/csa_board.h"
#include "csa_chip_product.h"
#include "demo_app.h"

static csa_product product;
static csa_node_t node;
static csa_demo_app_t app;
static uint8_t rx[128]; /* one turn's take from the UART ring */

int main(void)
{
    csa_retained *retained;
    uint8_t address = CSA_ADDR_UNASSIGNED;
    uint32_t now;

    csa_board_init();
    csa_chip_product(&product, csa_board_map());
    retained = csa_board_retained();
    if (!csa_retained_valid(retained))
        csa_retained_clear(retained); /* started without the bootloader's handoff (a debugger): versions unknown */
    else if (retained->has_address)
        address = retained->address;
    now = csa_board_millis();
    csa_board_link_open();
    if (csa_node_init(&node, &product.limits, address, true, now) != CSA_OK
        || csa_node_add_link(&node, CSA_LINK_UPSTREAM, csa_board_link_write, NULL) < 0
        || csa_demo_app_start(&app, &node, &product, csa_board_flash(), retained, true, now) != CSA_OK)
        csa_board_halt("application: the product does not fit this build's configuration");
    for (;;) {
        size_t n = csa_board_link_read(rx, sizeof rx);
        csa_run r;
        now = csa_board_millis();
        if (n > 0)
            csa_node_receive(&node, 0, rx, n, now);
        csa_node_poll(&node, now);
        r = csa_demo_app_poll(&app, now);
        if (r == CSA_RUN_RESET) {
            csa_board_link_drain();
            csa_board_reset(); /* EnterBootloader persisted its request first: the bootloader stays */
        }
        if (r == CSA_RUN_POWER_LOST)
            csa_board_halt("application: flash power lost");
        if (n == 0)
            csa_board_idle();
    }
}
