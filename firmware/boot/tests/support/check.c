#include "check.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int csa_test_failures;

void csa_test_fail(const char *file, int line, const char *what, long long a, long long b)
{
    csa_test_failures++;
    if (a == 0 && b == 0)
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    else
        fprintf(stderr, "%s:%d: check failed: %s (%lld vs %lld, 0x%llX vs 0x%llX)\n", file, line, what, a, b,
                (unsigned long long)a, (unsigned long long)b);
}

unsigned csa_test_stride(void)
{
    const char *text = getenv("CSA_TEST_STRIDE");
    long stride = text != NULL ? strtol(text, NULL, 10) : 1;
    return stride > 1 ? (unsigned)stride : 1u;
}

int csa_test_done(void)
{
    if (csa_test_failures != 0) {
        printf("%d check(s) failed\n", csa_test_failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}

char *csa_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (char *)malloc((size_t)size + 1);
    if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[size] = '\0';
        if (len != NULL)
            *len = (size_t)size;
    }
    return buf;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

long csa_test_hex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *text != '\0'; text++) {
        int v;
        if (isspace((unsigned char)*text))
            continue;
        v = hexval((unsigned char)*text);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (long)n : -1;
}

long csa_test_doc_golden(const char *doc, const char *name, uint8_t *out, size_t cap)
{
    const char *p = doc;
    size_t nlen = strlen(name);
    while ((p = strstr(p, "<!-- golden:")) != NULL) {
        const char *q = p + strlen("<!-- golden:");
        while (*q == ' ')
            q++;
        if (strncmp(q, name, nlen) == 0 && (q[nlen] == ' ' || q[nlen] == '-')) {
            const char *fence = strstr(q, "```"), *body, *end;
            size_t n = 0;
            if (fence == NULL || (body = strchr(fence, '\n')) == NULL || (end = strstr(body, "```")) == NULL)
                return -1;
            for (body++; body < end;) {
                const char *eol = memchr(body, '\n', (size_t)(end - body));
                size_t linelen = eol != NULL ? (size_t)(eol - body) : (size_t)(end - body);
                if (linelen > 0 && body[0] != '#') {
                    char line[512];
                    long got;
                    if (linelen >= sizeof line)
                        return -1;
                    memcpy(line, body, linelen);
                    line[linelen] = '\0';
                    got = csa_test_hex(line, out + n, cap - n);
                    if (got < 0)
                        return -1;
                    n += (size_t)got;
                }
                body += linelen + 1;
            }
            return (long)n;
        }
        p = q;
    }
    return -1;
}
