/* What a chip device advertises on its link (link management, GetCapabilities) and enforces, shared by the bootloader
 * and the application of a build so that both report the same limits. Sized for the bootloader's 32 KB of SRAM
 * (docs/firmware.md, "On the chips"): frames of 1 KiB carry one Write of 992 data bytes each (the updater's default
 * write is the largest multiple of 16 that fits one frame), three receive buffers are the host's window, and the
 * bootloader's UART ring (CSA_BOARD_RX_RING, 4 KiB) holds that whole window framed, so nothing is lost while an erase
 * stalls the main loop; with the link in SRAM (CSA_CHIP_LINK_IN_SRAM) the erase no longer stops the link and 2 KiB
 * cover what arrives during one Write's programming (chips/CMakeLists.txt). */
#ifndef CSA_CHIP_LIMITS_H_
#define CSA_CHIP_LIMITS_H_

#define CSA_CHIP_MAX_FRAME_SIZE 1024u
#define CSA_CHIP_RX_BUFFERS 3u
#define CSA_CHIP_MAX_PACKET_SIZE 1088u /* a Write of 1024 data bytes and its headers: max write 1024 */

#endif /* CSA_CHIP_LIMITS_H_ */
