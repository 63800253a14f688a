/* HMAC-SHA256 (Wycheproof, 174), HKDF-SHA256 (Wycheproof, 86), the AES block function through AES-GCM
 * (Wycheproof, 316: GHASH is computed here in the test, AES comes from the crypto port), AES-CTR (NIST SP 800-38A
 * F.5.1/3/5, from every byte offset), the 128-bit counter carry of docs/security.md §4, and csa_ct_equal.
 * REQ-CONFIDENTIAL, REQ-TAMPER. */
#include "csa_crypto.h"
#include "test_util.h"

static const char *DIR_;

static void hmac_vectors(void)
{
    FILE *f = data_open(DIR_, "wycheproof/hmac_sha256.txt");
    char *w[8];
    int total = 0, valid = 0, invalid = 0;
    static uint8_t key[512], msg[4096];
    while (data_next(f, w, 8) == 6) {
        uint8_t tag[64], mac[32];
        long id = atol(w[0]), kl = hex_decode(w[3], key, sizeof key), ml = hex_decode(w[4], msg, sizeof msg),
             tl = hex_decode(w[5], tag, sizeof tag);
        size_t tbytes = (size_t)atoi(w[2]) / 8;
        int ok;
        total++;
        CHECK(kl >= 0 && ml >= 0 && tl >= 0, "hmac tcId %ld hex", id);
        csa_hmac_sha256(key, (size_t)kl, msg, (size_t)ml, mac);
        ok = (size_t)tl == tbytes && csa_ct_equal(mac, tag, tbytes); /* truncated tags compare their prefix */
        if (w[1][0] == 'v') { CHECK(ok, "hmac tcId %ld valid refused", id); valid += ok; }
        else { CHECK(!ok && w[1][0] == 'i', "hmac tcId %ld invalid accepted", id); invalid += !ok; }
    }
    fclose(f);
    printf("hmac_sha256: %d vectors, %d valid accepted, %d invalid refused, 0 acceptable\n", total, valid, invalid);
    CHECK(total == 174, "hmac: every vector (%d)", total);
}

static void hkdf_vectors(void)
{
    FILE *f = data_open(DIR_, "wycheproof/hkdf_sha256.txt");
    char *w[10];
    int total = 0, valid = 0, invalid = 0;
    static uint8_t ikm[4096], salt[4096], info[4096], okm[9000], out[9000];
    while (data_next(f, w, 10) == 7) {
        long id = atol(w[0]), il = hex_decode(w[2], ikm, sizeof ikm), sl = hex_decode(w[3], salt, sizeof salt),
             nl = hex_decode(w[4], info, sizeof info), ol = hex_decode(w[6], okm, sizeof okm);
        size_t size = (size_t)atol(w[5]);
        csa_crypto_result rc;
        total++;
        CHECK(il >= 0 && sl >= 0 && nl >= 0 && ol >= 0 && size <= sizeof out, "hkdf tcId %ld hex", id);
        memset(out, 0xa5, sizeof out);
        rc = csa_hkdf_sha256(sl ? salt : NULL, (size_t)sl, ikm, (size_t)il, info, (size_t)nl, out, size);
        if (w[1][0] == 'v') {
            int ok = rc == CSA_CRYPTO_OK && (size_t)ol == size && memcmp(out, okm, size) == 0;
            CHECK(ok, "hkdf tcId %ld", id);
            valid += ok;
        } else {
            /* the invalid vectors ask for more than 255 * 32 bytes: refused, nothing written */
            int ok = w[1][0] == 'i' && rc == CSA_CRYPTO_E_LENGTH && out[0] == 0xa5;
            CHECK(ok, "hkdf tcId %ld oversize not refused", id);
            invalid += ok;
        }
    }
    fclose(f);
    printf("hkdf_sha256: %d vectors, %d valid same output, %d invalid (oversize) refused, 0 acceptable\n", total, valid,
           invalid);
    CHECK(total == 86, "hkdf: every vector (%d)", total);
}

/* GF(2^128) multiplication of GCM (SP 800-38D §6.3), bit-serial: test code only */
static void gf128_mul(uint8_t x[16], const uint8_t h[16])
{
    uint8_t z[16] = {0}, v[16];
    int i, j;
    memcpy(v, h, 16);
    for (i = 0; i < 128; i++) {
        int lsb;
        if ((x[i / 8] >> (7 - i % 8)) & 1)
            for (j = 0; j < 16; j++) z[j] ^= v[j];
        lsb = v[15] & 1;
        for (j = 15; j > 0; j--) v[j] = (uint8_t)((v[j] >> 1) | (v[j - 1] << 7));
        v[0] >>= 1;
        if (lsb) v[0] ^= 0xe1;
    }
    memcpy(x, z, 16);
}

static void ghash(uint8_t y[16], const uint8_t h[16], const uint8_t *data, size_t len)
{
    size_t i, j;
    for (i = 0; i < len; i += 16) {
        for (j = 0; j < 16 && i + j < len; j++) y[j] ^= data[i + j];
        gf128_mul(y, h);
    }
}

static void put_len(uint8_t *p, uint64_t bits)
{
    int i;
    for (i = 7; i >= 0; i--, bits >>= 8) p[i] = (uint8_t)bits;
}

static void gcm_vectors(void)
{
    FILE *f = data_open(DIR_, "wycheproof/aes_gcm.txt");
    char *w[10];
    int total = 0, valid = 0, invalid = 0;
    static uint8_t key[32], iv[512], aad[4096], msg[4096], ct[4096], tag[16], out[4096];
    while (data_next(f, w, 10) == 8) {
        long id = atol(w[0]), kl = hex_decode(w[2], key, sizeof key), vl = hex_decode(w[3], iv, sizeof iv),
             al = hex_decode(w[4], aad, sizeof aad), ml = hex_decode(w[5], msg, sizeof msg),
             cl = hex_decode(w[6], ct, sizeof ct), tl = hex_decode(w[7], tag, sizeof tag);
        csa_port_aes_ctx aes;
        uint8_t h[16] = {0}, j0[16] = {0}, cb[16], ks[16], s[16] = {0}, lens[16], t[16];
        long i;
        int ok;
        total++;
        CHECK(kl > 0 && vl >= 0 && al >= 0 && ml >= 0 && cl == ml && tl == 16, "gcm tcId %ld hex", id);
        CHECK(csa_port_aes_setkey(&aes, key, (size_t)kl) == 0, "gcm tcId %ld key", id);
        csa_port_aes_encrypt(&aes, h, h, 1); /* H = E_K(0) */
        if (vl == 12) {
            memcpy(j0, iv, 12);
            j0[15] = 1;
        } else {
            memset(lens, 0, 8);
            put_len(lens + 8, (uint64_t)vl * 8);
            ghash(j0, h, iv, (size_t)vl);
            ghash(j0, h, lens, 16);
        }
        memcpy(cb, j0, 16);
        for (i = 0; i < ml; i++) {
            if (i % 16 == 0) { /* inc32 */
                int b;
                for (b = 15; b >= 12 && ++cb[b] == 0; b--) {}
                csa_port_aes_encrypt(&aes, cb, ks, 1);
            }
            out[i] = (uint8_t)(msg[i] ^ ks[i % 16]);
        }
        ghash(s, h, aad, (size_t)al);
        ghash(s, h, out, (size_t)ml);
        put_len(lens, (uint64_t)al * 8);
        put_len(lens + 8, (uint64_t)ml * 8);
        ghash(s, h, lens, 16);
        csa_port_aes_encrypt(&aes, j0, t, 1);
        for (i = 0; i < 16; i++) t[i] ^= s[i];
        /* GCM with an empty IV is undefined (SP 800-38D requires len(IV) >= 1): refused */
        ok = vl > 0 && memcmp(out, ct, (size_t)ml) == 0 && memcmp(t, tag, 16) == 0;
        if (w[1][0] == 'v') { CHECK(ok, "gcm tcId %ld valid", id); valid += ok; }
        else { CHECK(!ok && w[1][0] == 'i', "gcm tcId %ld invalid accepted", id); invalid += !ok; }
        csa_port_aes_clear(&aes);
    }
    fclose(f);
    printf("aes_gcm (AES block function, all key and IV sizes): %d vectors, %d valid exact, %d invalid refused, "
           "0 acceptable\n", total, valid, invalid);
    CHECK(total == 316, "gcm: every vector (%d)", total);
}

static void ctr_vectors(void)
{
    FILE *f = data_open(DIR_, "nist/sp800-38a-ctr.txt");
    char *w[8];
    int n = 0;
    while (data_next(f, w, 8) == 5) {
        uint8_t key[32], ctr[16], pt[64], ct[64], out[64];
        long kl = hex_decode(w[1], key, sizeof key);
        csa_aes_ctr_ctx c;
        size_t off, len;
        hex_decode(w[2], ctr, 16);
        hex_decode(w[3], pt, 64);
        hex_decode(w[4], ct, 64);
        CHECK(csa_aes_ctr_init(&c, key, (size_t)kl, ctr) == CSA_CRYPTO_OK, "ctr key %s", w[0]);
        csa_aes_ctr_crypt(&c, 0, pt, out, 64);
        CHECK(memcmp(out, ct, 64) == 0, "SP 800-38A CTR-AES%s encrypt", w[0]);
        for (off = 0; off < 64; off++) /* decrypt from every byte offset, every length to the end */
            for (len = 0; off + len <= 64; len += 7) {
                memset(out, 0, sizeof out);
                csa_aes_ctr_crypt(&c, off, ct + off, out, len);
                CHECK(memcmp(out, pt + off, len) == 0, "CTR-AES%s offset %u length %u", w[0], (unsigned)off,
                      (unsigned)len);
            }
        memcpy(out, ct, 64); /* in place */
        csa_aes_ctr_crypt(&c, 0, out, out, 64);
        CHECK(memcmp(out, pt, 64) == 0, "CTR in place");
        csa_aes_ctr_clear(&c);
        n++;
    }
    fclose(f);
    CHECK(n == 3, "three NIST CTR vectors");
    printf("sp800-38a-ctr: %d vectors, each from every byte offset\n", n);
}

static void ctr_counter_rules(void)
{
    /* T0 = ff..fe: block 1 = ff..ff, block 2 wraps to 00..00, block 3 = 00..01 (128-bit big-endian, full carry) */
    uint8_t key[32], t0[16], blk[16], ks_direct[16 * 4], ks_ctr[16 * 4], zero[64] = {0};
    csa_aes_ctr_ctx c;
    csa_port_aes_ctx aes;
    int i;
    test_rand_seed(3);
    test_rand(key, 32);
    memset(t0, 0xff, 16);
    t0[15] = 0xfe;
    csa_port_aes_setkey(&aes, key, 32);
    for (i = 0; i < 4; i++) {
        memset(blk, i < 2 ? 0xff : 0x00, 16);
        blk[15] = (uint8_t)(i == 0 ? 0xfe : i == 1 ? 0xff : i - 2);
        csa_port_aes_encrypt(&aes, blk, ks_direct + 16 * i, 1);
    }
    csa_aes_ctr_init(&c, key, 32, t0);
    csa_aes_ctr_crypt(&c, 0, zero, ks_ctr, 64);
    CHECK(memcmp(ks_direct, ks_ctr, 64) == 0, "counter wraps from ff..ff to 00..00 with a full 128-bit carry");
    /* carry across the low 32 bits (what a peripheral that counts 32 bits would get wrong) */
    memset(t0, 0, 16);
    t0[11] = 0x01;
    memset(t0 + 12, 0xff, 4);
    memcpy(blk, t0, 16);
    blk[11] = 0x02;
    memset(blk + 12, 0, 4);
    csa_port_aes_encrypt(&aes, blk, ks_direct, 1);
    csa_aes_ctr_init(&c, key, 32, t0);
    csa_aes_ctr_crypt(&c, 16, zero, ks_ctr, 16);
    CHECK(memcmp(ks_direct, ks_ctr, 16) == 0, "carry out of the low 32 bits");
    /* a large offset: block 2^40 + 3 */
    csa_aes_ctr_crypt(&c, ((uint64_t)1 << 44) + 48 + 5, zero, ks_ctr, 11);
    memcpy(blk, t0, 16);
    blk[10] = 0x01; /* 2^40 lands in byte 10 */
    blk[11] = 0x02; /* 0x1_ffffffff + 3 = 0x2_00000002 */
    memset(blk + 12, 0, 4);
    blk[15] = 0x02;
    csa_port_aes_encrypt(&aes, blk, ks_direct, 1);
    CHECK(memcmp(ks_direct + 5, ks_ctr, 11) == 0, "offset 2^44 + 53");
    CHECK(csa_aes_ctr_init(&c, key, 31, t0) == CSA_CRYPTO_E_LENGTH, "31-byte key refused");
    csa_port_aes_clear(&aes);
}

static void ct_equal(void)
{
    uint8_t a[40], b[40];
    int i;
    test_rand(a, sizeof a);
    memcpy(b, a, sizeof a);
    CHECK(csa_ct_equal(a, b, sizeof a) == 1, "equal");
    CHECK(csa_ct_equal(a, b, 0) == 1, "empty");
    for (i = 0; i < 40 * 8; i++) {
        b[i / 8] ^= (uint8_t)(1u << (i % 8));
        CHECK(csa_ct_equal(a, b, sizeof a) == 0, "bit %d differs", i);
        b[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
}

int main(int argc, char **argv)
{
    DIR_ = argc > 1 ? argv[1] : "data";
    hmac_vectors();
    hkdf_vectors();
    gcm_vectors();
    ctr_vectors();
    ctr_counter_rules();
    ct_equal();
    return test_finish("crypto.symmetric");
}
