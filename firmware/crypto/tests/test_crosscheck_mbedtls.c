/* The software engine against Mbed TLS on random inputs, in one process (the mbedTLS port build keeps the soft
 * engine under its csa_soft_* names): SHA-256, AES-128/192/256 blocks, public keys, RFC 6979 signatures (byte for
 * byte: both are deterministic), verification both ways, ECDH. */
#include "csa_crypto.h"
#include "csa_port_soft.h"
#include "p256_internal.h"
#include "test_util.h"

#define ROUNDS 100

int main(void)
{
    static uint8_t msg[1500];
    int i, agree[6] = {0};
    test_rand_seed(2024);
    for (i = 0; i < ROUNDS; i++) {
        uint8_t a[32], b[32], key[32], blk[16], o1[16], o2[16], d1[32], d2[32], p1[64], p2[64], s1[64], s2[64];
        size_t len = (size_t)(i * 15 % sizeof msg), kl = (size_t)(16 + 8 * (i % 3));
        csa_soft_sha256_ctx sc;
        csa_port_sha256_ctx mc;
        csa_soft_aes_ctx sa;
        csa_port_aes_ctx ma;
        int ok;

        test_rand(msg, len);
        csa_soft_sha256_init(&sc);
        csa_soft_sha256_update(&sc, msg, len);
        csa_soft_sha256_final(&sc, d1);
        csa_port_sha256_init(&mc);
        csa_port_sha256_update(&mc, msg, len);
        csa_port_sha256_final(&mc, d2);
        CHECK(memcmp(d1, d2, 32) == 0, "sha256 length %u", (unsigned)len);
        agree[0] += memcmp(d1, d2, 32) == 0;

        test_rand(key, 32);
        test_rand(blk, 16);
        csa_soft_aes_setkey(&sa, key, kl);
        csa_port_aes_setkey(&ma, key, kl);
        csa_soft_aes_encrypt(&sa, blk, o1, 1);
        csa_port_aes_encrypt(&ma, blk, o2, 1);
        CHECK(memcmp(o1, o2, 16) == 0, "aes-%u block", (unsigned)(kl * 8));
        agree[1] += memcmp(o1, o2, 16) == 0;
        csa_port_aes_clear(&ma);

        test_rand(a, 32);
        test_rand(b, 32);
        if (!csa_p256_scalar_valid(a) || !csa_p256_scalar_valid(b)) continue;
        ok = csa_soft_p256_public_key(a, p1) == 0 && csa_port_p256_public_key(a, p2) == 0 && !memcmp(p1, p2, 64);
        CHECK(ok, "public key %d", i);
        agree[2] += ok;

        ok = csa_soft_p256_sign(a, d1, s1) == 0 && csa_port_p256_sign(a, d1, s2) == 0 && !memcmp(s1, s2, 64);
        CHECK(ok, "RFC 6979 signature %d identical", i);
        agree[3] += ok;
        ok = csa_port_p256_verify(p1, d1, s1) == 0 && csa_soft_p256_verify(p2, d1, s2) == 0;
        d1[0] ^= 0x80;
        ok = ok && csa_port_p256_verify(p1, d1, s1) != 0 && csa_soft_p256_verify(p2, d1, s2) != 0;
        CHECK(ok, "verify both ways %d", i);
        agree[4] += ok;

        ok = csa_soft_p256_public_key(b, p2) == 0 && csa_soft_p256_ecdh(a, p2, s1) == 0 &&
             csa_port_p256_ecdh(a, p2, s2) == 0 && !memcmp(s1, s2, 32);
        CHECK(ok, "ecdh %d", i);
        agree[5] += ok;
    }
    printf("soft vs mbedtls over %d rounds: sha256 %d, aes %d, public key %d, sign %d, verify %d, ecdh %d agree\n",
           ROUNDS, agree[0], agree[1], agree[2], agree[3], agree[4], agree[5]);
    return test_finish("crypto.mbedtls.crosscheck");
}
