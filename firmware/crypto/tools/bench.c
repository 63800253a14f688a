/* Operation counts for the boot-time and update-time cost estimate (docs/firmware.md section 10.8, "Cost per operation"):
 *   bench <op> [repeat]   op: sha256_1k verify sign keygen ecdh ecies aes_ctr_1k
 * Run it under `valgrind --tool=callgrind` (tools/bench_report.sh does) to count instructions and calls of the
 * field multiplication; no clock is read, so the figures do not depend on the machine's load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csa_crypto.h"

static int rng(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x42, len);
    return 0;
}

int main(int argc, char **argv)
{
    static const uint8_t d[32] = {0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21,
                                  0x57, 0x67, 0xb1, 0xd6, 0x93, 0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8,
                                  0x9b, 0x12, 0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f, 0x67, 0x21};
    static uint8_t buf[1024], block[129];
    uint8_t pub[64], dig[32], sig[64], out[64], priv[32];
    const char *op = argc > 1 ? argv[1] : "verify";
    int n = argc > 2 ? atoi(argv[2]) : 1, i, rc = 0;
    csa_aes_ctr_ctx c;

    memset(dig, 0x5a, 32);
    csa_p256_public_key(d, pub);
    csa_p256_sign(d, dig, sig);
    memset(block, 0, sizeof block);
    block[0] = 4;
    memcpy(block + 1, pub, 64);
    csa_aes_ctr_init(&c, d, 32, dig);
    for (i = 0; i < n; i++) {
        if (!strcmp(op, "sha256_1k")) csa_sha256(buf, sizeof buf, dig);
        else if (!strcmp(op, "verify")) rc |= (int)csa_p256_verify(pub, dig, sig, 0);
        else if (!strcmp(op, "sign")) rc |= (int)csa_p256_sign(d, dig, sig);
        else if (!strcmp(op, "keygen")) rc |= (int)csa_p256_keygen(rng, NULL, priv, out);
        else if (!strcmp(op, "ecdh")) rc |= (int)csa_p256_ecdh(d, pub, out);
        else if (!strcmp(op, "ecies")) rc |= csa_ecies_unwrap(d, pub, block, 129, dig, 32, out) == CSA_CRYPTO_E_BAD_TAG ? 0 : 1;
        else if (!strcmp(op, "aes_ctr_1k")) csa_aes_ctr_crypt(&c, 0, buf, buf, sizeof buf);
        else { printf("unknown op %s\n", op); return 2; }
    }
    return rc;
}
