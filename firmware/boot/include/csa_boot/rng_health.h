/* Continuous health tests of NIST SP 800-90B section 4.4 between a hardware noise source and the key generator: what
 * a chip's random-number port puts in front of its RNG peripheral (docs/firmware.md section 15.3).
 *
 *   - repetition count test on the 32-bit samples: a sample equal to the one before fails (a good source repeats a
 *     32-bit word with probability 2^-32; a stuck peripheral repeats at once);
 *   - adaptive proportion test on the bytes: in each window of 1024 bytes, the first byte occurring 106 times or more
 *     fails (cutoff for 4 bits of min-entropy per byte at a false-alarm rate of 2^-20; a good source averages 4);
 *   - a start-up test: 1024 bytes drawn and tested before the first byte is handed out.
 * A failure latches: the source stays failed until csa_rng_health_init runs again (a reset). The key generator then
 * reports CSA_KEYSTORE_RNG and no key is made from a broken source. The tests catch a stuck or grossly biased source;
 * they cannot prove a source good (90B's entropy assessment of the part is the customer's, docs/firmware.md section 15.3). */
#ifndef CSA_BOOT_RNG_HEALTH_H_
#define CSA_BOOT_RNG_HEALTH_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_RNG_APT_WINDOW 1024u
#define CSA_RNG_APT_CUTOFF 106u
#define CSA_RNG_STARTUP_BYTES 1024u

/* One 32-bit sample of the noise source (STM32: RNG_DR once DRDY is set, after checking SECS/CECS); 0, or nonzero
 * when the source reports an error (seed or clock error). */
typedef int (*csa_rng_raw_fn)(void *ctx, uint32_t *sample);

typedef struct csa_rng_health {
    csa_rng_raw_fn raw;
    void *raw_ctx;
    uint32_t last;
    uint8_t has_last;
    uint8_t started;          /* the start-up test passed */
    uint8_t failed;           /* latched */
    uint8_t apt_reference;
    uint16_t apt_seen;        /* bytes of the current window */
    uint16_t apt_count;       /* occurrences of its first byte */
    uint32_t repetition_failures;
    uint32_t proportion_failures;
    uint32_t source_errors;
} csa_rng_health;

void csa_rng_health_init(csa_rng_health *h, csa_rng_raw_fn raw, void *raw_ctx);

/* Fills buf with len tested bytes: 0, or -1 when the source failed (now or before): nothing usable was written. The
 * signature of the key storage's random port (csa_keystore_rng), with the csa_rng_health as its context. */
int csa_rng_health_fill(void *h, uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CSA_BOOT_RNG_HEALTH_H_ */
