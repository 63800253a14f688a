/* ECDSA P-256 / SHA-256 verification against every Wycheproof vector (DER file: 484, P1363 file: 262), REQ-AUTH-FW.
 * Policy (docs/security.md §7): valid <=> accepted; the ECDSA files hold no "acceptable" vector, and meeting one
 * fails the test (a new vector forces a written decision). Valid DER signatures must re-encode byte for byte
 * (the parser is strict DER). Every valid vector is also checked under the low-S rule: refused with E_HIGH_S exactly
 * when s > n/2. The group keys also decode from their compressed form to the same point. */
#include "csa_crypto.h"
#include "test_util.h"

static const uint8_t HALF_N[32] = {0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
                                   0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};

/* DER encoder for the re-encoding check (test side only) */
static size_t der_int(const uint8_t v[32], uint8_t *out)
{
    size_t i = 0, n;
    while (i < 31 && v[i] == 0) i++;
    n = 32 - i;
    out[0] = 0x02;
    if (v[i] & 0x80) {
        out[1] = (uint8_t)(n + 1);
        out[2] = 0;
        memcpy(out + 3, v + i, n);
        return n + 3;
    }
    out[1] = (uint8_t)n;
    memcpy(out + 2, v + i, n);
    return n + 2;
}

static size_t der_encode(const uint8_t sig[64], uint8_t out[80])
{
    size_t a = der_int(sig, out + 2);
    size_t b = der_int(sig + 32, out + 2 + a);
    out[0] = 0x30;
    out[1] = (uint8_t)(a + b);
    return a + b + 2;
}

static void run(const char *dir, const char *file, int der)
{
    FILE *f = data_open(dir, file);
    char *w[8];
    int valid_ok = 0, invalid_ok = 0, total = 0, lows = 0, highs = 0;
    static uint8_t msg[70000];
    while (data_next(f, w, 8) == 5) {
        uint8_t pub65[65], pub[64], comp[33], pubc[64], sigbuf[8192], sig[64], digest[32], re[80];
        long id = atol(w[0]), ml = hex_decode(w[3], msg, sizeof msg), sl = hex_decode(w[4], sigbuf, sizeof sigbuf);
        char result = w[1][0];
        csa_crypto_result rc;
        int accepted;
        total++;
        CHECK(hex_decode(w[2], pub65, 65) == 65 && csa_p256_point_decode(pub65, 65, 0, pub) == CSA_CRYPTO_OK,
              "%s tcId %ld: group key does not decode", file, id);
        comp[0] = (uint8_t)(0x02 | (pub65[64] & 1));
        memcpy(comp + 1, pub65 + 1, 32);
        CHECK(csa_p256_point_decode(comp, 33, CSA_P256_ACCEPT_COMPRESSED, pubc) == CSA_CRYPTO_OK &&
                  memcmp(pub, pubc, 64) == 0,
              "%s tcId %ld: compressed key", file, id);
        CHECK(ml >= 0 && sl >= 0, "%s tcId %ld: bad hex", file, id);
        csa_sha256(msg, (size_t)ml, digest);
        if (der) {
            rc = csa_ecdsa_der_to_raw(sigbuf, (size_t)sl, sig);
        } else {
            rc = sl == 64 ? CSA_CRYPTO_OK : CSA_CRYPTO_E_LENGTH;
            memcpy(sig, sigbuf, sl == 64 ? 64 : 0);
        }
        if (rc == CSA_CRYPTO_OK) rc = csa_p256_verify(pub, digest, sig, 0);
        accepted = rc == CSA_CRYPTO_OK;
        if (result == 'v') {
            CHECK(accepted, "%s tcId %ld: valid signature refused (%d)", file, id, (int)rc);
            if (accepted) {
                int high = memcmp(sig + 32, HALF_N, 32) > 0;
                csa_crypto_result lrc = csa_p256_verify(pub, digest, sig, CSA_P256_REQUIRE_LOW_S);
                valid_ok++;
                if (high) highs++; else lows++;
                CHECK(high ? lrc == CSA_CRYPTO_E_HIGH_S : lrc == CSA_CRYPTO_OK, "%s tcId %ld: low-S rule (%d)", file,
                      id, (int)lrc);
                if (der) CHECK(der_encode(sig, re) == (size_t)sl && memcmp(re, sigbuf, (size_t)sl) == 0,
                               "%s tcId %ld: valid DER does not re-encode identically", file, id);
            }
        } else if (result == 'i') {
            CHECK(!accepted, "%s tcId %ld: invalid signature accepted", file, id);
            if (!accepted) invalid_ok++;
        } else {
            CHECK(0, "%s tcId %ld: 'acceptable' vector without a written policy (docs/security.md section 7)", file, id);
        }
    }
    fclose(f);
    printf("%s: %d vectors, %d valid accepted (%d low S, %d high S refused under RequireLowS), %d invalid refused, "
           "0 acceptable\n", file, total, valid_ok, lows, highs, invalid_ok);
    CHECK(total == (der ? 484 : 262), "%s: expected every vector, read %d", file, total);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "data";
    run(dir, "wycheproof/ecdsa_p256_sha256_der.txt", 1);
    run(dir, "wycheproof/ecdsa_p256_sha256_p1363.txt", 0);
    return test_finish("crypto.wycheproof.ecdsa");
}
