/* memcpy, memmove, memset, memcmp and strlen, small: newlib-nano's Armv7-M versions are tuned for speed (about 1 KB
 * together), and the bootloader copy's 32 KB budget is worth more than their speed here (the largest copies are a
 * frame or a write, at most 1 KiB, next to flash operations of milliseconds). Built without the compiler's builtins
 * and loop-to-call conversion, or these loops would become calls to themselves.
 *
 * In an image with the data link in SRAM (CSA_CHIP_LINK_IN_SRAM) memcpy, memmove and memset are there too: the link's
 * busy step (reassembly, link-management answers, frame building) calls them while an erase stalls flash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(CSA_CHIP_LINK_IN_SRAM) && CSA_CHIP_LINK_IN_SRAM
#define LINK_RAM __attribute__((section(".ramfunc")))
#else
#define LINK_RAM
#endif

LINK_RAM void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        for (; n >= 4u; n -= 4u, d += 4, s += 4)
            *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

LINK_RAM void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

LINK_RAM void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (; n--; x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}
