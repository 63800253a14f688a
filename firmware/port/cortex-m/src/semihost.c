/* ARM semihosting calls (csa_semihost.h): r0 = operation, r1 = pointer to the argument block, BKPT 0xAB. */
#include "csa/csa_semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_SEEK = 0x0A,
    SYS_FLEN = 0x0C,
    SYS_REMOVE = 0x0E,
    SYS_EXIT_EXTENDED = 0x20
};

static int32_t call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

int csa_sh_open(const char *name, int mode)
{
    uint32_t a[3];
    a[0] = (uint32_t)(uintptr_t)name;
    a[1] = (uint32_t)mode;
    a[2] = (uint32_t)strlen(name);
    return call(SYS_OPEN, a);
}

int csa_sh_close(int fd)
{
    uint32_t a[1];
    a[0] = (uint32_t)fd;
    return call(SYS_CLOSE, a);
}

uint32_t csa_sh_read(int fd, void *dst, uint32_t len)
{
    uint32_t a[3];
    a[0] = (uint32_t)fd;
    a[1] = (uint32_t)(uintptr_t)dst;
    a[2] = len;
    return (uint32_t)call(SYS_READ, a);
}

uint32_t csa_sh_write(int fd, const void *src, uint32_t len)
{
    uint32_t a[3];
    a[0] = (uint32_t)fd;
    a[1] = (uint32_t)(uintptr_t)src;
    a[2] = len;
    return (uint32_t)call(SYS_WRITE, a);
}

int csa_sh_seek(int fd, uint32_t position)
{
    uint32_t a[2];
    a[0] = (uint32_t)fd;
    a[1] = position;
    return call(SYS_SEEK, a);
}

int32_t csa_sh_flen(int fd)
{
    uint32_t a[1];
    a[0] = (uint32_t)fd;
    return call(SYS_FLEN, a);
}

int csa_sh_remove(const char *name)
{
    uint32_t a[2];
    a[0] = (uint32_t)(uintptr_t)name;
    a[1] = (uint32_t)strlen(name);
    return call(SYS_REMOVE, a);
}

void csa_sh_write0(const char *text)
{
    (void)call(SYS_WRITE0, text);
}

__attribute__((noreturn)) void csa_sh_exit(uint32_t code)
{
    uint32_t a[2];
    a[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    a[1] = code;
    (void)call(SYS_EXIT_EXTENDED, a);
    for (;;) {
    }
}
