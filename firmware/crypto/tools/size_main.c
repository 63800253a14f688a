/* Link probe for tools/size_report.sh: a bare Cortex-M4 program that calls exactly the features of one build,
 * so --gc-sections keeps what a bootloader with that configuration would carry. Inputs come from volatile
 * memory so nothing is folded away. Not run; only measured. */
#include "csa_crypto.h"

volatile uint8_t in_buf[256];
volatile uint8_t out_buf[256];
volatile int result;

static int rng(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len--) *buf++ = in_buf[len & 255];
    return 0;
}

void Reset_Handler(void)
{
    uint8_t *in = (uint8_t *)in_buf, *out = (uint8_t *)out_buf;
    csa_sha256_ctx h;
    csa_sha256_init(&h);
    csa_sha256_update(&h, in, 200);
    csa_sha256_final(&h, out);
    result = (int)csa_p256_verify(in, out, in + 64, CSA_P256_REQUIRE_LOW_S);
#if CSA_CRYPTO_WITH_SIGN
    result += (int)csa_p256_sign(in, out, out + 32);
    result += (int)csa_p256_keygen(rng, 0, out, out + 32);
#endif
#if CSA_CRYPTO_WITH_DECRYPT
    {
        csa_aes_ctr_ctx c;
        result += (int)csa_ecies_unwrap(in, in + 32, in + 96, 129, in + 20, 32, out);
        result += (int)csa_aes_ctr_init(&c, out, 32, in);
        csa_aes_ctr_crypt(&c, in[0], in, out, 200);
    }
#endif
    for (;;) {
    }
}
