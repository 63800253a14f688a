#include "test_util.h"

#include <ctype.h>

int test_passed, test_failed;

int test_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, test_passed, test_failed);
    return test_failed == 0 && test_passed > 0 ? 0 : 1;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (strcmp(hex, "-") == 0) return 0;
    while (hex[0] && hex[1]) {
        int hi = nibble(hex[0]), lo = nibble(hex[1]);
        if (hi < 0 || lo < 0 || n >= cap) return -1;
        out[n++] = (uint8_t)(hi * 16 + lo);
        hex += 2;
    }
    return hex[0] ? -1 : (long)n;
}

void hex_print(const char *label, const uint8_t *p, size_t n)
{
    size_t i;
    printf("%s ", label);
    for (i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

int hex_equal(const uint8_t *p, size_t n, const char *hex)
{
    uint8_t buf[512];
    long m = hex_decode(hex, buf, sizeof buf);
    return m == (long)n && memcmp(buf, p, n) == 0;
}

int data_next(FILE *f, char **words, int max_words)
{
    static char line[1 << 16];
    for (;;) {
        int n = 0;
        char *p;
        if (!fgets(line, sizeof line, f)) return 0;
        if (line[0] == '#' || line[0] == '\n') continue;
        p = line;
        while (*p && n < max_words) {
            while (*p == ' ' || *p == '\n' || *p == '\r') *p++ = 0;
            if (!*p) break;
            words[n++] = p;
            while (*p && *p != ' ' && *p != '\n' && *p != '\r') p++;
        }
        while (*p) { if (*p == '\n' || *p == '\r') *p = 0; p++; }
        return n;
    }
}

FILE *data_open(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    if (!f) {
        printf("cannot open test data %s\n", path);
        exit(2);
    }
    return f;
}

static uint64_t rs = 0x9E3779B97F4A7C15ull;
void test_rand_seed(uint64_t seed) { rs = seed ? seed : 1; }
void test_rand(uint8_t *p, size_t n)
{
    while (n--) {
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        *p++ = (uint8_t)(rs >> 24);
    }
}
