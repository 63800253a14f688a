/* SP 800-90B 4.4 continuous health tests (csa_boot/rng_health.h). */
#include "csa_boot/rng_health.h"

#include <string.h>

void csa_rng_health_init(csa_rng_health *h, csa_rng_raw_fn raw, void *raw_ctx)
{
    memset(h, 0, sizeof *h);
    h->raw = raw;
    h->raw_ctx = raw_ctx;
}

static int fail(csa_rng_health *h)
{
    h->failed = 1;
    return -1;
}

/* One byte through the adaptive proportion test. */
static int proportion(csa_rng_health *h, uint8_t b)
{
    if (h->apt_seen == 0) {
        h->apt_reference = b;
        h->apt_count = 1;
    } else if (b == h->apt_reference && ++h->apt_count >= CSA_RNG_APT_CUTOFF) {
        h->proportion_failures++;
        return -1;
    }
    if (++h->apt_seen == CSA_RNG_APT_WINDOW)
        h->apt_seen = 0;
    return 0;
}

/* One tested sample. */
static int sample(csa_rng_health *h, uint8_t out[4])
{
    uint32_t s = 0;
    unsigned i;
    if (h->raw(h->raw_ctx, &s) != 0) {
        h->source_errors++;
        return -1;
    }
    if (h->has_last && s == h->last) {
        h->repetition_failures++;
        return -1;
    }
    h->last = s;
    h->has_last = 1;
    for (i = 0; i < 4; i++) {
        out[i] = (uint8_t)(s >> (8 * i));
        if (proportion(h, out[i]) != 0)
            return -1;
    }
    return 0;
}

int csa_rng_health_fill(void *ctx, uint8_t *buf, size_t len)
{
    csa_rng_health *h = (csa_rng_health *)ctx;
    uint8_t word[4];
    size_t at = 0;
    unsigned i;
    if (h->failed)
        return -1;
    if (!h->started) {
        for (i = 0; i < CSA_RNG_STARTUP_BYTES / 4; i++)
            if (sample(h, word) != 0)
                return fail(h);
        h->started = 1;
    }
    while (at < len) {
        if (sample(h, word) != 0) {
            memset(buf, 0, len);
            return fail(h);
        }
        for (i = 0; i < 4 && at < len; i++)
            buf[at++] = word[i];
    }
    memset(word, 0, sizeof word);
    return 0;
}
