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

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;
    if (!f) {
        printf("cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(2);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* hex digits from p up to the closing ``` (skipping '#' comment lines and whitespace) */
static long hex_block(const char *p, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    const char *end = strstr(p, "```");
    if (!end) return -1;
    while (p < end) {
        if (*p == '#') {
            while (p < end && *p != '\n') p++;
            continue;
        }
        if (isxdigit((unsigned char)*p)) {
            int v = nibble(*p);
            if (hi < 0) hi = v;
            else {
                if (n >= cap) return -1;
                out[n++] = (uint8_t)(hi * 16 + v);
                hi = -1;
            }
        }
        p++;
    }
    return hi < 0 ? (long)n : -1;
}

long doc_golden(const char *doc_path, const char *name, uint8_t *out, size_t cap)
{
    char marker[128];
    char *doc = slurp(doc_path), *p;
    long n = -1;
    snprintf(marker, sizeof marker, "<!-- golden:%s -->", name);
    p = strstr(doc, marker);
    if (p && (p = strstr(p, "```hex")) != NULL) n = hex_block(p + 6, out, cap);
    free(doc);
    return n;
}

long doc_block_after(const char *doc_path, const char *marker, uint8_t *out, size_t cap)
{
    char *doc = slurp(doc_path), *p;
    long n = -1;
    p = strstr(doc, marker);
    if (p && (p = strstr(p, "```")) != NULL) {
        p = strchr(p, '\n');
        if (p) n = hex_block(p, out, cap);
    }
    free(doc);
    return n;
}

long doc_table_hex(const char *doc_path, const char *name, uint8_t *out, size_t cap)
{
    char row[128], hex[1024];
    char *doc = slurp(doc_path), *p, *q;
    long n = -1;
    snprintf(row, sizeof row, "| %s | `", name);
    p = strstr(doc, row);
    if (p) {
        p += strlen(row);
        q = strchr(p, '`');
        if (q && (size_t)(q - p) < sizeof hex) {
            memcpy(hex, p, (size_t)(q - p));
            hex[q - p] = 0;
            n = hex_decode(hex, out, cap);
        }
    }
    free(doc);
    return n;
}
