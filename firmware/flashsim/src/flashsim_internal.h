/* The simulated chip's state, shared by the operation, power and file code. */
#ifndef CSA_FLASHSIM_INTERNAL_H_
#define CSA_FLASHSIM_INTERNAL_H_

#include <signal.h>

#include "csa_flashsim.h"

struct csa_flashsim {
    csa_flashsim_options options;
    const csa_flash_geometry *g;
    uint8_t *main;           /* g->size bytes */
    uint8_t *otp;            /* g->otp_size bytes (F4: data, then the 16 lock bytes) */
    uint8_t *main_ecc;       /* one bit per main double word: its ECC is inconsistent (L4 only ever sets it) */
    uint8_t *otp_ecc;        /* one bit per OTP double word */
    uint32_t *erase_cycles;  /* per sector */
    uint8_t wrp[64];         /* write protection, one bit per sector (at most 512 sectors) */
    uint8_t uid[CSA_FLASH_UID_SIZE];
    uint8_t rdp;

    int powered;
    volatile sig_atomic_t cut_requested; /* csa_flashsim_request_cut: set from a signal handler */
    int armed;
    csa_flashsim_plan plan;
    uint64_t since_armed;
    csa_flashsim_cut_action cut_action;
    int exit_code;
    char *persist_path;
    csa_flashsim_stats stats;
    csa_flash_ops ops;
    csa_flashsim_busy_fn busy;   /* csa_flashsim_on_busy: what the owner does while an operation's time runs */
    void *busy_ctx;
};

static inline int csa_bit_get(const uint8_t *bits, uint32_t i)
{
    return (bits[i >> 3] >> (i & 7u)) & 1;
}

static inline void csa_bit_put(uint8_t *bits, uint32_t i, int v)
{
    if (v)
        bits[i >> 3] = (uint8_t)(bits[i >> 3] | (1u << (i & 7u)));
    else
        bits[i >> 3] = (uint8_t)(bits[i >> 3] & ~(1u << (i & 7u)));
}

static inline int csa_has_ecc(const csa_flashsim *s)
{
    return s->g->family == CSA_FLASH_L4;
}

/* A small deterministic generator (splitmix64) for tears: the same seed always tears the same way. */
typedef struct csa_rng {
    uint64_t state;
} csa_rng;

static inline uint64_t csa_rng_next(csa_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double csa_rng_unit(csa_rng *r)
{
    return (double)(csa_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* flashsim_file.c: saves to the persist path, if any (after every operation and at a cut). */
void csa_flashsim_persist_now(csa_flashsim *s);

#endif /* CSA_FLASHSIM_INTERNAL_H_ */
