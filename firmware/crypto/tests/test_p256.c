/* P-256 internals and encodings: constants recomputed from FIPS 186 values, n G = O, point decoding refusals,
 * signature range rules (r = 0 / s = 0, CVE-2022-21449 class), DER strictness. */
#include "csa_crypto.h"
#include "p256_internal.h"
#include "test_util.h"

static const char *GX = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
static const char *GY = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
static const char *B = "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b";

static void fe_hex(csa_fe r, const char *hex)
{
    uint8_t b[32];
    hex_decode(hex, b, 32);
    csa_fe_from_bytes(r, b);
}

int main(void)
{
    csa_fe a, m;
    uint8_t xy[64], pt[65], out[64], sig[64], dig[32] = {1};
    csa_p256_point g, r;
    unsigned i;

    fe_hex(a, B);
    csa_mod_to_mont(m, a, &csa_p256_p);
    CHECK(memcmp(m, csa_p256_b_mont, 32) == 0, "b in Montgomery form");
    fe_hex(a, GX);
    csa_mod_to_mont(m, a, &csa_p256_p);
    CHECK(memcmp(m, csa_p256_gx_mont, 32) == 0, "Gx in Montgomery form");
    fe_hex(a, GY);
    csa_mod_to_mont(m, a, &csa_p256_p);
    CHECK(memcmp(m, csa_p256_gy_mont, 32) == 0, "Gy in Montgomery form");
    for (i = 0; i < 2; i++) { /* m0inv: m * m0inv = -1 mod 2^32 */
        const csa_p256_modulus *M = i ? &csa_p256_n : &csa_p256_p;
        CHECK((uint32_t)(M->m[0] * M->m0inv) == 0xffffffffu, "m0inv %u", i);
    }

    /* G on the curve; n G = O; (n-1) G = -G */
    hex_decode(GX, xy, 32);
    hex_decode(GY, xy + 32, 32);
    CHECK(csa_p256_point_check(xy) == CSA_CRYPTO_OK, "G on the curve");
    csa_p256_point_generator(&g);
    csa_p256_scalar_mul(&r, csa_p256_n.m, &g);
    CHECK(csa_p256_point_to_affine(out, &r) == 0, "n G is the point at infinity");
    {
        csa_fe k;
        memcpy(k, csa_p256_n.m, 32);
        k[0] -= 1;
        csa_p256_scalar_mul(&r, k, &g);
        CHECK(csa_p256_point_to_affine(out, &r) == 1 && memcmp(out, xy, 32) == 0 && memcmp(out + 32, xy + 32, 32) != 0,
              "(n-1) G = -G");
    }

    /* decoding refusals */
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    CHECK(csa_p256_point_decode(pt, 65, 0, out) == CSA_CRYPTO_OK, "G decodes");
    CHECK(csa_p256_point_decode(pt, 64, 0, out) == CSA_CRYPTO_E_LENGTH, "short point");
    pt[0] = 0x06;
    CHECK(csa_p256_point_decode(pt, 65, 0, out) == CSA_CRYPTO_E_ENCODING, "hybrid refused");
    pt[0] = 0x00;
    CHECK(csa_p256_point_decode(pt, 1, 0, out) == CSA_CRYPTO_E_ENCODING, "infinity refused");
    pt[0] = 0x03;
    CHECK(csa_p256_point_decode(pt, 33, 0, out) == CSA_CRYPTO_E_ENCODING, "compressed refused without the flag");
    pt[0] = 0x04;
    pt[64] ^= 1;
    CHECK(csa_p256_point_decode(pt, 65, 0, out) == CSA_CRYPTO_E_NOT_ON_CURVE, "off-curve refused");
    memset(pt + 1, 0xff, 32);
    CHECK(csa_p256_point_decode(pt, 65, 0, out) == CSA_CRYPTO_E_RANGE, "x >= p refused");
    pt[0] = 0x02;
    CHECK(csa_p256_point_decode(pt, 33, CSA_P256_ACCEPT_COMPRESSED, out) == CSA_CRYPTO_E_RANGE, "compressed x >= p");

    /* r, s ranges: 0 and n refused before any arithmetic */
    memset(sig, 0, 64);
    CHECK(csa_p256_verify(xy, dig, sig, 0) == CSA_CRYPTO_E_RANGE, "r = s = 0 refused");
    csa_fe_to_bytes(sig, csa_p256_n.m);
    sig[63] = 1;
    CHECK(csa_p256_verify(xy, dig, sig, 0) == CSA_CRYPTO_E_RANGE, "r = n refused");
    {
        static const uint8_t der_long[] = {0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
        static const uint8_t der_pad[] = {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01};
        static const uint8_t der_neg[] = {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01};
        static const uint8_t der_ok[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
        static const uint8_t der_trail[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00};
        CHECK(csa_ecdsa_der_to_raw(der_long, sizeof der_long, sig) == CSA_CRYPTO_E_ENCODING, "DER long form");
        CHECK(csa_ecdsa_der_to_raw(der_pad, sizeof der_pad, sig) == CSA_CRYPTO_E_ENCODING, "DER non-minimal");
        CHECK(csa_ecdsa_der_to_raw(der_neg, sizeof der_neg, sig) == CSA_CRYPTO_E_ENCODING, "DER negative");
        CHECK(csa_ecdsa_der_to_raw(der_trail, sizeof der_trail, sig) == CSA_CRYPTO_E_ENCODING, "DER trailing");
        CHECK(csa_ecdsa_der_to_raw(der_ok, sizeof der_ok, sig) == CSA_CRYPTO_OK && sig[31] == 1 && sig[63] == 2,
              "DER minimal");
    }
    return test_finish("crypto.p256");
}
