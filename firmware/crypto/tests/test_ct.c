/* Constant-time evidence by the ctgrind technique: every secret input is marked undefined for valgrind memcheck
 * (VALGRIND_MAKE_MEM_UNDEFINED), so memcheck reports any conditional branch or memory address that depends on
 * it ("Conditional jump or move depends on uninitialised value", "Use of uninitialised value of size 8"). The
 * library is built with CSA_CRYPTO_CTGRIND, where CSA_CT_DECLASSIFY marks the few values that are public by
 * design (a rejected RFC 6979 candidate, "the result is the point at infinity", the tag verdict, a signature).
 * Run as: valgrind --error-exitcode=1 csa_crypto_ct <operation> <data dir> <docs/security.md>.
 * The operations leak_branch and leak_index are deliberately leaky negative controls: their CTest entries pass
 * only when memcheck reports them, which shows the harness does catch a secret-dependent branch and index. */
#include <valgrind/memcheck.h>

#include "csa_crypto.h"
#include "test_util.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static const char *DOC;
static uint8_t d[32], r65[65], e65[65], z[32], ck[32], ctx[32], block[129];

static void load_golden(void)
{
    CHECK(doc_table_hex(DOC, "recipient private key d", d, 32) == 32 &&
              doc_table_hex(DOC, "recipient public key R", r65, 65) == 65 &&
              doc_table_hex(DOC, "ephemeral public key E", e65, 65) == 65 &&
              doc_table_hex(DOC, "shared secret Z", z, 32) == 32 && doc_table_hex(DOC, "content key CK", ck, 32) == 32 &&
              doc_table_hex(DOC, "context ctx", ctx, 32) == 32 &&
              doc_block_after(DOC, "Wrapped key block (129 bytes):\n", block, sizeof block) == 129,
          "golden vector of docs/security.md §5");
}

static int secret_rng(void *c, uint8_t *buf, size_t len)
{
    (void)c;
    test_rand(buf, len);
    SECRET(buf, len); /* what a hardware RNG returns is secret */
    return 0;
}

/* negative controls: the textbook mistakes */
static int __attribute__((noinline)) leaky_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (a[i] != b[i]) return 0; /* early exit: time depends on the first differing byte */
    return 1;
}

static uint8_t __attribute__((noinline)) leaky_lookup(const uint8_t *table, uint8_t secret)
{
    return table[secret]; /* the address depends on the secret: a cache-timing leak */
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";
    uint8_t out[64], pub[64], sig[64], priv[32], dig[32], buf[300], okm[64];
    DOC = argc > 3 ? argv[3] : "docs/security.md";
    load_golden();
    memset(dig, 0x5a, sizeof dig);

    if (!strcmp(op, "ecdh")) {
        memcpy(priv, d, 32);
        SECRET(priv, 32);
        CHECK(csa_p256_ecdh(priv, e65 + 1, out) == CSA_CRYPTO_OK, "ecdh");
        PUBLIC(out, 32);
        CHECK(memcmp(out, z, 32) == 0, "Z");
    } else if (!strcmp(op, "sign")) {
        memcpy(priv, d, 32);
        SECRET(priv, 32);
        CHECK(csa_p256_sign(priv, dig, sig) == CSA_CRYPTO_OK, "sign");
        CHECK(csa_p256_verify(r65 + 1, dig, sig, CSA_P256_REQUIRE_LOW_S) == CSA_CRYPTO_OK, "the signature verifies");
    } else if (!strcmp(op, "public_key")) {
        memcpy(priv, d, 32);
        SECRET(priv, 32);
        CHECK(csa_p256_public_key(priv, pub) == CSA_CRYPTO_OK && memcmp(pub, r65 + 1, 64) == 0, "d G");
    } else if (!strcmp(op, "keygen")) {
        CHECK(csa_p256_keygen(secret_rng, NULL, priv, pub) == CSA_CRYPTO_OK, "keygen");
        CHECK(csa_p256_sign(priv, dig, sig) == CSA_CRYPTO_OK && csa_p256_verify(pub, dig, sig, 0) == CSA_CRYPTO_OK,
              "the new key signs");
    } else if (!strcmp(op, "aes_ctr")) {
        uint8_t key[32], iv[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        csa_aes_ctr_ctx c;
        test_rand(key, 32);
        test_rand(buf, sizeof buf);
        SECRET(key, 32);
        SECRET(buf, sizeof buf); /* the firmware itself is secret too (REQ-CONFIDENTIAL) */
        CHECK(csa_aes_ctr_init(&c, key, 32, iv) == CSA_CRYPTO_OK, "ctr init");
        csa_aes_ctr_crypt(&c, 5, buf, buf, sizeof buf - 5);
        csa_aes_ctr_crypt(&c, 5, buf, buf, sizeof buf - 5);
        csa_aes_ctr_clear(&c);
    } else if (!strcmp(op, "hmac_hkdf")) {
        uint8_t key[100];
        test_rand(key, sizeof key);
        test_rand(buf, sizeof buf);
        SECRET(key, sizeof key);
        SECRET(buf, sizeof buf);
        csa_hmac_sha256(key, 32, buf, sizeof buf, out);
        csa_hmac_sha256(key, sizeof key, buf, 7, out); /* key longer than a block: hashed first */
        CHECK(csa_hkdf_sha256(key, 32, buf, 32, ctx, 32, okm, 64) == CSA_CRYPTO_OK, "hkdf");
        CHECK(csa_hkdf_sha256(NULL, 0, key, 32, buf, 191, okm, 64) == CSA_CRYPTO_OK, "hkdf, empty salt");
    } else if (!strcmp(op, "ecies")) {
        memcpy(priv, d, 32);
        SECRET(priv, 32);
        CHECK(csa_ecies_unwrap(priv, r65 + 1, block, 129, ctx, 32, out) == CSA_CRYPTO_OK, "unwrap");
        PUBLIC(out, 32);
        CHECK(memcmp(out, ck, 32) == 0, "CK");
        memcpy(buf, block, 129);
        buf[128] ^= 1;
        CHECK(csa_ecies_unwrap(priv, r65 + 1, buf, 129, ctx, 32, out) == CSA_CRYPTO_E_BAD_TAG, "bad tag");
    } else if (!strcmp(op, "ct_equal")) {
        int eq;
        memcpy(buf, block, 129);
        memcpy(buf + 129, block, 129);
        buf[129 + 100] ^= 4;
        SECRET(buf, 258);
        eq = csa_ct_equal(buf, buf + 129, 129);
        PUBLIC(&eq, sizeof eq);
        CHECK(eq == 0, "differs");
        eq = csa_ct_equal(buf, buf, 129);
        PUBLIC(&eq, sizeof eq);
        CHECK(eq == 1, "equal");
    } else if (!strcmp(op, "leak_branch")) {
        int eq;
        memcpy(buf, block, 129);
        SECRET(buf, 129);
        eq = leaky_compare(buf, block, 129);
        PUBLIC(&eq, sizeof eq);
        CHECK(eq == 1, "leaky compare still computes");
    } else if (!strcmp(op, "leak_index")) {
        uint8_t s = 7, v;
        SECRET(&s, 1);
        v = leaky_lookup(block, s);
        PUBLIC(&v, 1);
        CHECK(v == block[7], "leaky lookup still computes");
    } else {
        printf("unknown operation '%s'\n", op);
        return 2;
    }
    return test_finish(op);
}
