/* ECDH P-256 against every Wycheproof ecpoint vector (355), through the decoder and ECDH function the ECIES
 * unwrap uses (uncompressed points only). Policy (docs/security.md §7): valid <=> same shared secret; invalid
 * refused; the one "acceptable" vector (tcId 2, compressed public point) is refused because wrapped key blocks
 * carry uncompressed points only, and it must still decode to the right point with CSA_P256_ACCEPT_COMPRESSED.
 * REQ-CONFIDENTIAL, REQ-KEY-EXPOSURE (invalid-curve points). */
#include "csa_crypto.h"
#include "test_util.h"

int main(int argc, char **argv)
{
    FILE *f = data_open(argc > 1 ? argv[1] : "data", "wycheproof/ecdh_p256_ecpoint.txt");
    char *w[8];
    int total = 0, valid = 0, invalid = 0, acceptable = 0;
    while (data_next(f, w, 8) == 5) {
        uint8_t pubenc[200], priv[64], shared[32], pub[64], z[32];
        long id = atol(w[0]), pl = hex_decode(w[2], pubenc, sizeof pubenc), kl = hex_decode(w[3], priv, sizeof priv);
        uint8_t d[32];
        csa_crypto_result rc;
        total++;
        /* Wycheproof private keys may carry a leading zero byte (ASN.1 integer form) */
        memset(d, 0, 32);
        CHECK(kl > 0 && kl <= 33, "tcId %ld: private key length", id);
        if (kl == 33) CHECK(priv[0] == 0, "tcId %ld", id);
        memcpy(d + 32 - (kl > 32 ? 32 : kl), priv + (kl > 32 ? kl - 32 : 0), (size_t)(kl > 32 ? 32 : kl));
        hex_decode(w[4], shared, sizeof shared);
        rc = pl < 0 ? CSA_CRYPTO_E_ENCODING : csa_p256_point_decode(pubenc, (size_t)pl, 0, pub);
        if (rc == CSA_CRYPTO_OK) rc = csa_p256_ecdh(d, pub, z);
        if (w[1][0] == 'v') {
            CHECK(rc == CSA_CRYPTO_OK && memcmp(z, shared, 32) == 0, "tcId %ld: valid vector (%d)", id, (int)rc);
            if (rc == CSA_CRYPTO_OK && memcmp(z, shared, 32) == 0) valid++;
        } else if (w[1][0] == 'i') {
            CHECK(rc != CSA_CRYPTO_OK, "tcId %ld: invalid vector accepted", id);
            if (rc != CSA_CRYPTO_OK) invalid++;
        } else {
            CHECK(id == 2 && rc == CSA_CRYPTO_E_ENCODING, "tcId %ld: acceptable vector without a written rule", id);
            CHECK(csa_p256_point_decode(pubenc, (size_t)pl, CSA_P256_ACCEPT_COMPRESSED, pub) == CSA_CRYPTO_OK &&
                      csa_p256_ecdh(d, pub, z) == CSA_CRYPTO_OK && memcmp(z, shared, 32) == 0,
                  "tcId %ld: the compressed point itself is right", id);
            acceptable++;
        }
    }
    fclose(f);
    printf("ecdh_p256_ecpoint: %d vectors, %d valid same secret, %d invalid refused, %d acceptable refused "
           "(compressed point, policy)\n", total, valid, invalid, acceptable);
    CHECK(total == 355, "every vector read (%d)", total);
    return test_finish("crypto.wycheproof.ecdh");
}
