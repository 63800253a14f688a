/*
 * The POSIX "chip": what a board and its STM32 give the firmware, as a process. A flash simulation in a file with the
 * chips' rules and power cuts (firmware/flashsim), the links (the board's wires: they survive resets and power cuts),
 * the RAM words a reset keeps, and the power. Its run is the chip's life: at every power-on and reset the
 * pre-bootloader chooses a bootloader copy, the bootloader decides and either serves the host or starts the
 * application, which then runs the demo application; a reset starts over at the pre-bootloader, a power cut too but
 * with RAM lost (the node address with it), after the power stayed off a while.
 */
#ifndef CSA_DEVICE_CHIP_H_
#define CSA_DEVICE_CHIP_H_

#include <signal.h>

#include "options.h"

/* Set from signal handlers: SIGTERM / SIGINT end the program, SIGUSR1 cuts the power. */
extern volatile sig_atomic_t csa_chip_stop_requested;
extern volatile sig_atomic_t csa_chip_cut_requested;
/* SIGUSR2: print the flash operations so far ("csa-device: flash operations N"), for test harnesses. */
extern volatile sig_atomic_t csa_chip_report_requested;

/* Opens the links and the flash (factory-programs a fresh chip when asked). 0, or an exit status after a message. */
int csa_chip_open(const csa_device_options *options);
/* Runs power-on after power-on until SIGTERM/SIGINT, stdin's end, or a cut with --on-power-cut exit. Returns the
 * exit status. */
int csa_chip_run(void);
/* Called from the SIGUSR1 handler: asks the flash to tear an operation in progress (async-signal-safe). */
void csa_chip_request_cut_from_signal(void);
void csa_chip_close(void);

#endif /* CSA_DEVICE_CHIP_H_ */
