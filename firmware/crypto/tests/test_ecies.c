/* ECIES content-key unwrap against the golden vector of docs/security.md §5 (read from the document), every
 * intermediate value, every bit of the wrapped block flipped, wrong context, another device's key, bad lengths and
 * points. REQ-CONFIDENTIAL, REQ-KEY-EXPOSURE, REQ-TAMPER; THREAT.IMG.DISCLOSURE, THREAT.IMG.REPLACE. */
#include "csa_crypto.h"
#include "test_util.h"

static const char *DOC;

static void row(const char *name, uint8_t *out, long want)
{
    long n = doc_table_hex(DOC, name, out, 512);
    CHECK(n == want, "docs/security.md §5 row '%s' (%ld bytes)", name, n);
}

int main(int argc, char **argv)
{
    uint8_t d[32], r65[65], e[32], e65[65], ck[32], ctx[32], z[32], info[191], ke[32], km[32], c[32], t[32];
    uint8_t block[129], fblock[200], out[32], okm[64], pt[64], zero[32] = {0};
    int bit, refused = 0;
    DOC = argc > 2 ? argv[2] : "docs/security.md";

    row("recipient private key d", d, 32);
    row("recipient public key R", r65, 65);
    row("ephemeral private key e", e, 32);
    row("ephemeral public key E", e65, 65);
    row("content key CK", ck, 32);
    row("context ctx", ctx, 32);
    row("shared secret Z", z, 32);
    row("HKDF info", info, 191);
    row("Ke", ke, 32);
    row("Km", km, 32);
    row("C", c, 32);
    row("T", t, 32);
    CHECK(doc_block_after(DOC, "Wrapped key block (129 bytes):\n", block, sizeof block) == 129, "golden block");

    /* every intermediate value */
    CHECK(csa_p256_public_key(d, pt) == CSA_CRYPTO_OK && memcmp(pt, r65 + 1, 64) == 0, "R = d G");
    CHECK(csa_p256_public_key(e, pt) == CSA_CRYPTO_OK && memcmp(pt, e65 + 1, 64) == 0, "E = e G");
    CHECK(csa_p256_ecdh(d, e65 + 1, out) == CSA_CRYPTO_OK && memcmp(out, z, 32) == 0, "Z = x(d E)");
    CHECK(csa_p256_ecdh(e, r65 + 1, out) == CSA_CRYPTO_OK && memcmp(out, z, 32) == 0, "Z = x(e R)");
    CHECK(csa_hkdf_sha256(NULL, 0, z, 32, info, sizeof info, okm, 64) == CSA_CRYPTO_OK && memcmp(okm, ke, 32) == 0 &&
              memcmp(okm + 32, km, 32) == 0,
          "Ke || Km = HKDF(Z, empty salt, info, 64)");
    CHECK(memcmp(block, e65, 65) == 0 && memcmp(block + 65, c, 32) == 0 && memcmp(block + 97, t, 32) == 0,
          "block = E || C || T");

    /* the unwrap */
    CHECK(csa_ecies_unwrap(d, r65 + 1, block, 129, ctx, 32, out) == CSA_CRYPTO_OK && memcmp(out, ck, 32) == 0,
          "golden block unwraps to CK");

    /* every bit of the block flipped: refused, no key */
    for (bit = 0; bit < 129 * 8; bit++) {
        csa_crypto_result rc;
        memcpy(fblock, block, 129);
        fblock[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memset(out, 0x5a, 32);
        rc = csa_ecies_unwrap(d, r65 + 1, fblock, 129, ctx, 32, out);
        CHECK(rc != CSA_CRYPTO_OK && memcmp(out, zero, 32) == 0, "bit %d flipped: accepted (%d)", bit, (int)rc);
        refused += rc != CSA_CRYPTO_OK;
    }
    printf("every bit of the wrapped block flipped: %d/%d refused\n", refused, 129 * 8);

    /* another manifest (THREAT.IMG.REPLACE), another device (REQ-KEY-EXPOSURE), wrong own public key */
    ctx[0] ^= 1;
    CHECK(csa_ecies_unwrap(d, r65 + 1, block, 129, ctx, 32, out) == CSA_CRYPTO_E_BAD_TAG, "other manifest");
    ctx[0] ^= 1;
    CHECK(csa_ecies_unwrap(e, e65 + 1, block, 129, ctx, 32, out) == CSA_CRYPTO_E_BAD_TAG &&
              memcmp(out, zero, 32) == 0,
          "another device's key opens nothing");
    CHECK(csa_ecies_unwrap(d, e65 + 1, block, 129, ctx, 32, out) == CSA_CRYPTO_E_BAD_TAG, "R bound in info");

    /* lengths and encodings */
    CHECK(csa_ecies_unwrap(d, r65 + 1, block, 128, ctx, 32, out) == CSA_CRYPTO_E_LENGTH, "128-byte block");
    memcpy(fblock, block, 129);
    fblock[129] = 0;
    CHECK(csa_ecies_unwrap(d, r65 + 1, fblock, 130, ctx, 32, out) == CSA_CRYPTO_E_LENGTH, "130-byte block");
    CHECK(csa_ecies_unwrap(d, r65 + 1, block, 129, ctx, 31, out) == CSA_CRYPTO_E_LENGTH, "31-byte context");
    fblock[0] = 0x02;
    CHECK(csa_ecies_unwrap(d, r65 + 1, fblock, 129, ctx, 32, out) == CSA_CRYPTO_E_ENCODING, "compressed E");
    fblock[0] = 0x04;
    fblock[64] ^= 0x01;
    CHECK(csa_ecies_unwrap(d, r65 + 1, fblock, 129, ctx, 32, out) == CSA_CRYPTO_E_NOT_ON_CURVE,
          "off-curve E (invalid-curve attack)");
    return test_finish("crypto.ecies");
}
