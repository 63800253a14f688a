/* ARM semihosting (Arm "Semihosting for AArch32 and AArch64", version 2.0): requests to the debugger or emulator
 * through BKPT 0xAB. Only for the QEMU board (-semihosting-config enable=on,target=native): on a chip without a
 * debugger attached BKPT is a HardFault, so nothing else may call these. */
#ifndef CSA_SEMIHOST_H_
#define CSA_SEMIHOST_H_

#include <stddef.h>
#include <stdint.h>

enum {
    CSA_SH_OPEN_RB = 1,      /* fopen mode "rb" */
    CSA_SH_OPEN_RPLUSB = 3,  /* "r+b": read and write an existing file */
    CSA_SH_OPEN_WB = 5       /* "wb": create or truncate */
};

/* A host file handle (>= 0) or -1. `name` is relative to the emulator's working directory. */
int csa_sh_open(const char *name, int mode);
int csa_sh_close(int fd);
/* 0 when all `len` bytes moved; otherwise the bytes that did not (SYS_READ / SYS_WRITE's answer). */
uint32_t csa_sh_read(int fd, void *dst, uint32_t len);
uint32_t csa_sh_write(int fd, const void *src, uint32_t len);
/* 0 on success. */
int csa_sh_seek(int fd, uint32_t position);
/* The file's length, or -1. */
int32_t csa_sh_flen(int fd);
/* 0 when the file was removed. */
int csa_sh_remove(const char *name);
/* Writes a NUL-terminated text to the emulator's console. */
void csa_sh_write0(const char *text);
/* Ends the emulator with `code` as its exit status (SYS_EXIT_EXTENDED, ADP_Stopped_ApplicationExit). */
__attribute__((noreturn)) void csa_sh_exit(uint32_t code);

#endif /* CSA_SEMIHOST_H_ */
