/* A minimal test harness for the bootloader and flash tests: CHECK macros that count failures and say where, and a
 * runner that prints one line per test. Each test program returns nonzero when any check failed. */
#ifndef CSA_TEST_CHECK_H_
#define CSA_TEST_CHECK_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int csa_test_failures;

void csa_test_fail(const char *file, int line, const char *what, long long a, long long b);

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            csa_test_fail(__FILE__, __LINE__, #cond, 0, 0);                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                                                 \
    do {                                                                                                               \
        long long csa_a_ = (long long)(a), csa_b_ = (long long)(b);                                                    \
        if (csa_a_ != csa_b_)                                                                                          \
            csa_test_fail(__FILE__, __LINE__, #a " == " #b, csa_a_, csa_b_);                                           \
    } while (0)

#define RUN(test)                                                                                                      \
    do {                                                                                                               \
        int csa_before_ = csa_test_failures;                                                                           \
        test();                                                                                                        \
        printf("%s %s\n", csa_test_failures == csa_before_ ? "ok  " : "FAIL", #test);                                 \
        fflush(stdout);                                                                                                \
    } while (0)

/* The end of main: prints the summary, returns the exit status. */
int csa_test_done(void);

/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL on failure. */
char *csa_test_read_file(const char *path, size_t *len);

/* Finds the golden vector `name` in a document: the first fenced block after "<!-- golden:NAME -->" (spaces after
 * the colon allowed), hex bytes with '#' comment lines. Returns the byte count, or -1 when absent or malformed. */
long csa_test_doc_golden(const char *doc, const char *name, uint8_t *out, size_t cap);

/* The sampling stride of the long loops (bit flips, cut points): 1 unless CSA_TEST_STRIDE says otherwise. The
 * sanitizer build sets it (CMake), because under AddressSanitizer every ECDSA verification and every simulated
 * power-on costs tens of times more; the gcc build runs every case. */
unsigned csa_test_stride(void);

/* Parses hex text ("0A 1b..." with any whitespace) into out; returns the byte count or -1. */
long csa_test_hex(const char *text, uint8_t *out, size_t cap);

#endif
