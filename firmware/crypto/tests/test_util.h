/* Tiny test harness for the crypto tests: counts checks, prints every failure, ends with
 * "<suite>: N passed, N failed" and a non-zero exit code when anything failed. Host-only (stdio allowed). */
#ifndef CSA_TEST_UTIL_H
#define CSA_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int test_passed, test_failed;

#define CHECK(cond, ...)                                                                                   \
    do {                                                                                                   \
        if (cond) {                                                                                        \
            test_passed++;                                                                                 \
        } else {                                                                                           \
            test_failed++;                                                                                 \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                    \
            printf(__VA_ARGS__);                                                                           \
            printf("\n");                                                                                  \
        }                                                                                                  \
    } while (0)

/* Prints the closing line, returns the exit code. */
int test_finish(const char *suite);

/* Hex string (any length, even) to bytes; returns the byte count or -1. */
long hex_decode(const char *hex, uint8_t *out, size_t cap);
void hex_print(const char *label, const uint8_t *p, size_t n);
int hex_equal(const uint8_t *p, size_t n, const char *hex);

/* Reads one line of a test-data file into words (space separated, "-" = empty); returns the word count,
 * 0 at end of file. Lines starting with '#' are skipped. Words point into a static buffer. */
int data_next(FILE *f, char **words, int max_words);
FILE *data_open(const char *dir, const char *name);

/* Deterministic random bytes for tests that need many inputs (xorshift; not cryptographic). */
void test_rand_seed(uint64_t seed);
void test_rand(uint8_t *p, size_t n);

/* Golden vectors read from docs/security.md itself, so the document and the C code cannot drift apart:
 * doc_golden: the ```hex block after "<!-- golden:NAME -->" ('#' lines skipped);
 * doc_table_hex: the hex in backticks of the table row whose first cell is NAME;
 * doc_block_after: the first ``` block after the line containing MARKER. Return byte count or -1. */
long doc_golden(const char *doc_path, const char *name, uint8_t *out, size_t cap);
long doc_table_hex(const char *doc_path, const char *name, uint8_t *out, size_t cap);
long doc_block_after(const char *doc_path, const char *marker, uint8_t *out, size_t cap);

#endif
