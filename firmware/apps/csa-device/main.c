/*
 * csa-device: a Csa device as a process, built from the same code as firmware on a chip. A simulated STM32F4 or
 * STM32L4 flash in a file (the format the C# virtual device uses), a pre-bootloader that chooses the bootloader
 * copy, the bootloader (firmware/service over firmware/boot) that serves updates, and the demo application it
 * starts once it has verified the installed image; links towards the host and to the next device of a chain:
 *
 *   csa-device --upstream pty --family l4 --flash dev.flash --trust signing.pub.pem \
 *              --factory-bootloader bl-1.0.csai --factory-application app-1.0.csai
 *   csa-device --upstream tcp-listen:127.0.0.1:5555 --flash dev.flash --trust signing.pub.pem
 *
 * Run `csa-device --help` for every option. What it says goes to standard error; standard output is a link only
 * with --upstream stdio. SIGUSR1 cuts the power (as `csa sim` does), SIGUSR2 prints the flash operations so far,
 * SIGTERM / SIGINT end it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "chip.h"

static void on_stop(int sig)
{
    (void)sig;
    csa_chip_stop_requested = 1;
}

static void on_cut(int sig)
{
    (void)sig;
    csa_chip_cut_requested = 1;
    csa_chip_request_cut_from_signal();
}

static void on_report(int sig)
{
    (void)sig;
    csa_chip_report_requested = 1;
}

static void handle(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a sleeping flash operation and poll() wake up and see the request */
    sigaction(sig, &sa, NULL);
}

static csa_device_options options;

int main(int argc, char **argv)
{
    int rc = csa_device_parse_options(argc, argv, &options);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    handle(SIGTERM, on_stop);
    handle(SIGINT, on_stop);
    handle(SIGUSR1, on_cut);
    handle(SIGUSR2, on_report);
    rc = csa_chip_open(&options);
    if (rc != 0)
        return rc;
    rc = csa_chip_run();
    csa_chip_close();
    return rc;
}
