#include "csa_test.h"

#include <stdlib.h>
#include <string.h>

#ifndef CSA_DOCS_DIR
#error "CSA_DOCS_DIR must name the repository's docs folder"
#endif

int csa_test_failures;
static const char *current_case = "";

void csa_test_fail(const char *file, int line, const char *what)
{
    csa_test_failures++;
    fprintf(stderr, "FAIL %s: %s:%d: %s\n", current_case, file, line, what);
}

int csa_test_bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0u || memcmp(a, b, alen) == 0);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    size_t i;
    fprintf(stderr, "  %s (%zu):", label, n);
    for (i = 0; i < n && i < 96u; i++)
        fprintf(stderr, " %02X", p[i]);
    fprintf(stderr, "%s\n", n > 96u ? " ..." : "");
}

void csa_test_fail_bytes(const char *file, int line, const char *what, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen)
{
    csa_test_fail(file, line, what);
    print_hex("actual", a, alen);
    print_hex("expected", b, blen);
}

char *csa_test_read_doc(const char *name)
{
    char path[1024];
    FILE *f;
    long size;
    char *text;
    snprintf(path, sizeof path, "%s/%s", CSA_DOCS_DIR, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        csa_test_fail(__FILE__, __LINE__, "cannot open the document");
        fprintf(stderr, "  %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = (char *)malloc((size_t)size + 1u);
    if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        csa_test_fail(__FILE__, __LINE__, "cannot read the document");
        exit(1);
    }
    text[size] = '\0';
    fclose(f);
    return text;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long csa_test_parse_hex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int high = -1;
    const char *p = text;
    while (*p != '\0' && *p != '\n' && *p != '`' && *p != '|') {
        int d;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && high < 0) {
            p += 2;
            continue;
        }
        if (*p == ' ' || *p == ',' || *p == '\r' || *p == '\t') {
            if (high >= 0)
                return -1;
            p++;
            continue;
        }
        d = hex_digit(*p++);
        if (d < 0)
            return -1;
        if (high < 0) {
            high = d;
        } else {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(high * 16 + d);
            high = -1;
        }
    }
    return high >= 0 ? -1 : (long)n;
}

int csa_test_field(const char *block, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *line = block;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            const char *v = line + klen + 1;
            size_t n = 0;
            while (*v == ' ')
                v++;
            while (v[n] != '\0' && v[n] != '\n' && n + 1u < cap) {
                out[n] = v[n];
                n++;
            }
            out[n] = '\0';
            return 0;
        }
        if (strncmp(line, "```", 3) == 0 && line != block)
            break;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return -1;
}

static int run_case(const csa_test_case_t *c)
{
    int before = csa_test_failures;
    current_case = c->name;
    c->run();
    if (csa_test_failures == before)
        printf("ok %s\n", c->name);
    else
        printf("not ok %s\n", c->name);
    return csa_test_failures == before;
}

int csa_test_main(int argc, char **argv, const csa_test_case_t *cases, size_t count)
{
    size_t i;
    int a, ran = 0;
    if (argc == 3 && strcmp(argv[1], "--list-to") == 0) {
        FILE *f = fopen(argv[2], "w");
        if (f == NULL)
            return 1;
        for (i = 0; i < count; i++)
            fprintf(f, "%s\n", cases[i].name);
        fclose(f);
        return 0;
    }
    if (argc == 1) {
        for (i = 0; i < count; i++)
            run_case(&cases[i]);
        return csa_test_failures == 0 ? 0 : 1;
    }
    for (a = 1; a < argc; a++) {
        for (i = 0; i < count; i++) {
            if (strcmp(argv[a], cases[i].name) == 0) {
                run_case(&cases[i]);
                ran++;
            }
        }
    }
    if (ran != argc - 1) {
        fprintf(stderr, "unknown test case among the arguments\n");
        return 1;
    }
    return csa_test_failures == 0 ? 0 : 1;
}
