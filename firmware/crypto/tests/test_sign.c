/* ECDSA signing (RFC 6979, low S), public keys and key generation: RFC 6979 A.2.5, the golden certificate,
 * key-possession and authentication signatures of docs/security.md §10 (read from the document), round trips,
 * key-generation rejection sampling. REQ-AUTH-DEV, REQ-PROD-KEYS. */
#include "csa_crypto.h"
#include "test_util.h"

static const char *DOC;

static void sign_hex(const char *priv_hex, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    uint8_t priv[32], d[32];
    hex_decode(priv_hex, priv, 32);
    csa_sha256(msg, len, d);
    CHECK(csa_p256_sign(priv, d, sig) == CSA_CRYPTO_OK, "sign");
}

static void golden_sig(const char *msg_name, const char *sig_name, const char *priv_hex, const uint8_t *pub)
{
    uint8_t msg[512], want[64], sig[64], d[32];
    long n = doc_golden(DOC, msg_name, msg, sizeof msg);
    CHECK(n > 0 && doc_golden(DOC, sig_name, want, sizeof want) == 64, "golden %s in docs/security.md", msg_name);
    if (n <= 0) return;
    sign_hex(priv_hex, msg, (size_t)n, sig);
    CHECK(memcmp(sig, want, 64) == 0, "%s: the device's RFC 6979 low-S signature equals the golden bytes", sig_name);
    csa_sha256(msg, (size_t)n, d);
    CHECK(csa_p256_verify(pub, d, want, CSA_P256_REQUIRE_LOW_S) == CSA_CRYPTO_OK, "%s verifies (low S)", sig_name);
}

struct script_rng {
    const uint8_t *draws;
    int count, used, fail_at;
};

static int script(void *ctx, uint8_t *buf, size_t len)
{
    struct script_rng *s = (struct script_rng *)ctx;
    if (s->used == s->fail_at || len != 32) return -1;
    if (s->used < s->count) memcpy(buf, s->draws + 32 * s->used, 32);
    else memset(buf, 0, 32); /* a stuck source */
    s->used++;
    return 0;
}

int main(int argc, char **argv)
{
    static const char *RFC_X = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    static const char *IDENTITY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    uint8_t priv[32], pub[64], pub_rfc[64], pub_id[64], k[32], d[32], sig[64], cert[176];
    int i;
    DOC = argc > 2 ? argv[2] : "docs/security.md";

    /* RFC 6979 A.2.5: key pair, nonces and signatures for "sample" and "test" (s of "sample" is high: low-S output) */
    hex_decode(RFC_X, priv, 32);
    CHECK(csa_p256_public_key(priv, pub_rfc) == CSA_CRYPTO_OK &&
              hex_equal(pub_rfc, 64, "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                                     "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"),
          "RFC 6979 A.2.5 public key");
    csa_sha256("sample", 6, d);
    csa_rfc6979_nonce(priv, d, k);
    CHECK(hex_equal(k, 32, "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60"), "k(sample)");
    sign_hex(RFC_X, (const uint8_t *)"sample", 6, sig);
    CHECK(hex_equal(sig, 64, "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                             "0834e36ad29a83bf2bc9385e491d6099c8fdf9d1ed67aa7ea5f51f93782857a9"),
          "signature(sample) = (r, n - s) of RFC 6979");
    csa_sha256("test", 4, d);
    csa_rfc6979_nonce(priv, d, k);
    CHECK(hex_equal(k, 32, "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0"), "k(test)");
    sign_hex(RFC_X, (const uint8_t *)"test", 4, sig);
    CHECK(hex_equal(sig, 64, "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
                             "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"),
          "signature(test)");

    /* docs/security.md §10: the golden certificate (production key = RFC 6979 key), its identity key, and the
     * device's two signatures */
    hex_decode(IDENTITY, priv, 32);
    CHECK(csa_p256_public_key(priv, pub_id) == CSA_CRYPTO_OK, "identity public key");
    CHECK(doc_golden(DOC, "device-certificate", cert, sizeof cert) == 176, "golden certificate");
    CHECK(memcmp(cert + 48, pub_id, 64) == 0, "the certificate names the identity key's public point");
    sign_hex(RFC_X, cert, 112, sig);
    CHECK(memcmp(sig, cert + 112, 64) == 0, "certificate signature reproduced byte for byte");
    csa_sha256(cert, 112, d);
    CHECK(csa_p256_verify(pub_rfc, d, cert + 112, CSA_P256_REQUIRE_LOW_S) == CSA_CRYPTO_OK, "certificate verifies");
    golden_sig("key-possession-message", "key-possession-signature", IDENTITY, pub_id);
    golden_sig("authentication-message", "authentication-signature", IDENTITY, pub_id);

    /* round trips: always low S, verifies, a changed digest does not */
    test_rand_seed(42);
    for (i = 0; i < 64; i++) {
        test_rand(priv, 32);
        test_rand(d, 32);
        CHECK(csa_p256_public_key(priv, pub) == CSA_CRYPTO_OK && csa_p256_sign(priv, d, sig) == CSA_CRYPTO_OK,
              "sign %d", i);
        CHECK(csa_p256_verify(pub, d, sig, CSA_P256_REQUIRE_LOW_S) == CSA_CRYPTO_OK, "round trip %d", i);
        d[i % 32] ^= 1;
        CHECK(csa_p256_verify(pub, d, sig, 0) == CSA_CRYPTO_E_BAD_SIGNATURE, "changed digest %d", i);
    }

    /* private keys outside [1, n-1] */
    memset(priv, 0, 32);
    CHECK(csa_p256_sign(priv, d, sig) == CSA_CRYPTO_E_RANGE, "d = 0 refused");
    CHECK(csa_p256_public_key(priv, pub) == CSA_CRYPTO_E_RANGE, "d = 0 has no public key");
    hex_decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", priv, 32);
    CHECK(csa_p256_sign(priv, d, sig) == CSA_CRYPTO_E_RANGE, "d = n refused");

    /* key generation: draws outside [1, n-1] are thrown away, not reduced */
    {
        uint8_t draws[4 * 32];
        struct script_rng s = {draws, 4, 0, -1};
        memset(draws, 0, 32);                                 /* 0 */
        memcpy(draws + 32, priv, 32);                         /* n */
        memset(draws + 64, 0xff, 32);                         /* 2^256 - 1 */
        hex_decode(IDENTITY, draws + 96, 32);                 /* usable */
        CHECK(csa_p256_keygen(script, &s, priv, pub) == CSA_CRYPTO_OK && s.used == 4 &&
                  memcmp(priv, draws + 96, 32) == 0 && memcmp(pub, pub_id, 64) == 0,
              "rejection sampling takes the first draw in range");
        s.used = 0;
        s.count = 0;
        CHECK(csa_p256_keygen(script, &s, priv, pub) == CSA_CRYPTO_E_RNG && s.used == CSA_P256_KEYGEN_TRIES,
              "a stuck source (all zero) ends in E_RNG after %d draws", CSA_P256_KEYGEN_TRIES);
        s.used = 0;
        s.count = 4;
        s.fail_at = 1;
        CHECK(csa_p256_keygen(script, &s, priv, pub) == CSA_CRYPTO_E_RNG, "a failing source is E_RNG");
    }
    return test_finish("crypto.sign");
}
