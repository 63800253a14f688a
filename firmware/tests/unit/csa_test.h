/* A small test harness for the firmware's unit tests: cases in a table, each runnable alone (CTest runs each case
   as its own test, so a failure names it), checks that report file and line, and readers for the golden vectors
   in docs/ (the tests parse them from the documents, so the docs and the C code cannot drift apart). */
#ifndef CSA_TEST_H_
#define CSA_TEST_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name;
    void (*run)(void);
} csa_test_case_t;

/** Runs `prog` (every case), `prog CASE...`, or lists the cases (`prog --list-to FILE`). */
int csa_test_main(int argc, char **argv, const csa_test_case_t *cases, size_t count);

void csa_test_fail(const char *file, int line, const char *what);
extern int csa_test_failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            csa_test_fail(__FILE__, __LINE__, #cond);                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                                                 \
    do {                                                                                                               \
        long long csa_a_ = (long long)(a), csa_b_ = (long long)(b);                                                    \
        if (csa_a_ != csa_b_) {                                                                                        \
            char csa_m_[256];                                                                                          \
            snprintf(csa_m_, sizeof csa_m_, "%s == %s (%lld != %lld)", #a, #b, csa_a_, csa_b_);                         \
            csa_test_fail(__FILE__, __LINE__, csa_m_);                                                                 \
        }                                                                                                              \
    } while (0)

#define CHECK_BYTES(a, alen, b, blen)                                                                                  \
    do {                                                                                                               \
        if (!csa_test_bytes_equal((a), (alen), (b), (blen)))                                                           \
            csa_test_fail_bytes(__FILE__, __LINE__, #a, (a), (alen), (b), (blen));                                     \
    } while (0)

int csa_test_bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
void csa_test_fail_bytes(const char *file, int line, const char *what, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen);

/** Reads docs/<name> whole (NUL-terminated; the caller frees it). Fails the test when it cannot. */
char *csa_test_read_doc(const char *name);

/** Parses hex bytes ("11 40 0A", "0x11, 0x40", "1140") into out; returns the count, or -1 on a bad digit/overflow. */
long csa_test_parse_hex(const char *text, uint8_t *out, size_t cap);

/** The value after "key: " on the line starting at line (up to the end of that line), copied into out. */
int csa_test_field(const char *block, const char *key, char *out, size_t cap);

#endif /* CSA_TEST_H_ */
