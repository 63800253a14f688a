/* SHA-256 known answers (FIPS 180-4 examples) and streaming equivalence. */
#include "csa_crypto.h"
#include "test_util.h"

static void one_shot(const char *msg, const char *hex)
{
    uint8_t d[32];
    csa_sha256(msg, strlen(msg), d);
    CHECK(hex_equal(d, 32, hex), "sha256(\"%s\")", msg);
}

int main(void)
{
    static uint8_t buf[3000];
    uint8_t d[32], d2[32];
    csa_sha256_ctx ctx;
    size_t split, i;

    one_shot("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    one_shot("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    one_shot("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    one_shot("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrs"
             "tnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* one million 'a', fed in uneven pieces */
    memset(buf, 'a', sizeof buf);
    csa_sha256_init(&ctx);
    for (i = 0; i < 1000000;) {
        size_t n = 1 + (i * 7919) % 2999;
        if (n > 1000000 - i) n = 1000000 - i;
        csa_sha256_update(&ctx, buf, n);
        i += n;
    }
    csa_sha256_final(&ctx, d);
    CHECK(hex_equal(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "million a");

    /* every split point of messages around the padding boundaries gives the one-shot digest */
    test_rand_seed(7);
    test_rand(buf, sizeof buf);
    for (i = 0; i <= 130; i++) {
        csa_sha256(buf, i, d);
        for (split = 0; split <= i; split++) {
            csa_sha256_init(&ctx);
            csa_sha256_update(&ctx, buf, split);
            csa_sha256_update(&ctx, buf + split, i - split);
            csa_sha256_final(&ctx, d2);
            CHECK(memcmp(d, d2, 32) == 0, "split %u of %u", (unsigned)split, (unsigned)i);
        }
    }
    return test_finish("crypto.sha256");
}
