/* boot.rng_health: the SP 800-90B continuous health tests in front of a chip's RNG peripheral (csa_boot/rng_health.h):
 * a good source passes a million bytes; a stuck source, a source that repeats one word, a biased source and a source
 * that reports errors fail, no key is made from them, and the failure latches. REQ-KEY-EXPOSURE, REQ-AUTH-DEV. */
#include <string.h>

#include "check.h"
#include "csa_boot/rng_health.h"
#include "csa_crypto.h"

typedef struct source {
    uint32_t counter;
    int mode; /* 0 good, 1 stuck, 2 repeats a word once after 5000, 3 biased bytes, 4 errors after 100 words */
    uint32_t state;
} source;

static int raw(void *ctx, uint32_t *out)
{
    source *s = (source *)ctx;
    uint8_t block[4], digest[32];
    s->counter++;
    if (s->mode == 1) {
        *out = 0x12345678u;
        return 0;
    }
    if (s->mode == 4 && s->counter > 100)
        return 1; /* a seed error */
    block[0] = (uint8_t)s->counter;
    block[1] = (uint8_t)(s->counter >> 8);
    block[2] = (uint8_t)(s->counter >> 16);
    block[3] = (uint8_t)(s->counter >> 24);
    csa_sha256(block, 4, digest);
    memcpy(out, digest, 4);
    if (s->mode == 2 && s->counter == 5001)
        *out = s->state;
    if (s->mode == 3) {
        unsigned i; /* every byte 0x00 a quarter of the time: 64 times too likely, 4 times the test's allowance */
        for (i = 0; i < 4; i++)
            if ((digest[8 + i] & 3) == 0)
                *out &= ~(0xFFu << (8 * i));
    }
    s->state = *out;
    return 0;
}

static void a_good_source_passes_a_million_bytes(void)
{
    source s = {0, 0, 0};
    csa_rng_health h;
    uint8_t buf[1000];
    unsigned i;
    csa_rng_health_init(&h, raw, &s);
    for (i = 0; i < 1000; i++)
        CHECK_EQ(csa_rng_health_fill(&h, buf, sizeof buf), 0);
    CHECK_EQ(h.repetition_failures + h.proportion_failures + h.source_errors, 0);
    CHECK_EQ(s.counter, 256 + 250000); /* the start-up test's 256 words, then one word per 4 bytes */
}

static void broken_sources_fail_and_the_failure_latches(void)
{
    int mode;
    for (mode = 1; mode <= 4; mode++) {
        source s = {0, mode, 0};
        csa_rng_health h;
        uint8_t buf[4096], priv[32], pub[64];
        int failed = 0;
        unsigned i;
        csa_rng_health_init(&h, raw, &s);
        for (i = 0; i < 20 && !failed; i++)
            failed = csa_rng_health_fill(&h, buf, sizeof buf) != 0;
        CHECK(failed);
        CHECK_EQ(mode == 1 || mode == 2, h.repetition_failures == 1);
        CHECK_EQ(mode == 3, h.proportion_failures == 1);
        CHECK_EQ(mode == 4, h.source_errors == 1);
        /* Latched: no more bytes, and no key from it. */
        CHECK_EQ(csa_rng_health_fill(&h, buf, 16), -1);
        CHECK_EQ(csa_p256_keygen(csa_rng_health_fill, &h, priv, pub), CSA_CRYPTO_E_RNG);
    }
}

int main(void)
{
    RUN(a_good_source_passes_a_million_bytes);
    RUN(broken_sources_fail_and_the_failure_latches);
    return csa_test_done();
}
