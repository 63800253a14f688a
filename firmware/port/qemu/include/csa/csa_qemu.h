/* The QEMU netduinoplus2 board (an STM32F405 as QEMU 7.2 models it): USART1 and SysTick are real registers; the
 * flash controller, the unique id, the CRC unit, the RNG and RCC are not modelled (flash reads work, writes are
 * ignored, ready bits never come), so flash, OTP, the unique id and the option bytes live in host files reached
 * through ARM semihosting, with the F4's rules enforced here.
 *
 * Host files, relative to the emulator's working directory (the harness creates them; docs/firmware.md):
 *   flash.bin    the 1 MB main flash, raw from 0x08000000; the same file QEMU loads with
 *                -device loader,file=flash.bin,addr=0x08000000 (memory-mapped reads and code fetch see it as it
 *                was when QEMU started: an image that changes flash resets, and the harness restarts QEMU)
 *   sysmem.bin   system memory from 0x1FFF7800: OTP data (512 bytes), OTP lock bytes (16), unique id (12, at
 *                offset 0x210), flash size register (2, offset 0x222), 2 bytes padding: 548 bytes
 *   optbytes.bin optional: the user option bytes from 0x1FFFC000 (16 bytes); nWRP at offset 8 (LE16, bit i = 0:
 *                sector i write protected). Missing: nothing protected
 *   retained.bin written by a reset (csa_board_reset) with the retained SRAM block, read and removed by the next
 *                start: a system reset keeps SRAM on the chip, and QEMU's restart must not lose what it keeps */
#ifndef CSA_QEMU_H_
#define CSA_QEMU_H_

#include "csa_boot/flash.h"

#define CSA_QEMU_SYSMEM_BASE 0x1FFF7800u
#define CSA_QEMU_SYSMEM_SIZE 548u

/* The flash port over the host files (opened on first use; a missing file stops the emulator with a message). */
extern const csa_flash csa_qemu_flash;

/* Flash timing: 1 (default) charges the F4's typical times (16 us per word, 250/550/1000 ms per 16/64/128 KB
 * sector erase; docs/device-model.md 1.4) by sleeping, interleaved with the operation's chunks, so a harness that
 * kills the emulator mid-erase leaves a partly erased sector, as a power cut does; 0: instant. */
#ifndef CSA_QEMU_FLASH_TIMING
#define CSA_QEMU_FLASH_TIMING 1
#endif

#endif /* CSA_QEMU_H_ */
