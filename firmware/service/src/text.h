/* Error texts without a libc formatter (the firmware links none): strings and decimal numbers appended to a buffer,
 * cut at its end, always NUL-terminated. */
#ifndef CSA_SERVICE_TEXT_H_
#define CSA_SERVICE_TEXT_H_

#include <stddef.h>
#include <stdint.h>

static inline size_t csa_text_put(char *buf, size_t cap, size_t at, const char *s)
{
    while (*s != '\0' && at + 1u < cap)
        buf[at++] = *s++;
    if (cap > 0u)
        buf[at < cap ? at : cap - 1u] = '\0';
    return at;
}

static inline size_t csa_text_u32(char *buf, size_t cap, size_t at, uint32_t v)
{
    char digits[11];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0u && at + 1u < cap)
        buf[at++] = digits[--n];
    if (cap > 0u)
        buf[at < cap ? at : cap - 1u] = '\0';
    return at;
}

#endif /* CSA_SERVICE_TEXT_H_ */
