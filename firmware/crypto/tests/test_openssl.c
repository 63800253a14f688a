/* Cross-checks against the openssl command line (an independent implementation), random keys and messages:
 * openssl signs -> the device verifies; the device signs -> openssl verifies (and refuses a changed message);
 * public keys agree; ECDH both ways; AES-256-CTR (openssl encrypts, the device decrypts in random pieces at
 * random offsets). REQ-AUTH-FW, REQ-CONFIDENTIAL. Needs `openssl` on PATH (.ci/run installs it). */
#define _DEFAULT_SOURCE
#include <sys/random.h>
#include <unistd.h>

#include "csa_crypto.h"
#include "test_util.h"

#define ROUNDS 25

static char dir[64];

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, dir, a ? a : "", b ? b : "");
    return system(cmd);
}

static long read_file(const char *name, uint8_t *buf, size_t cap)
{
    char path[128];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f) return -1;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static void write_file(const char *name, const uint8_t *buf, size_t n)
{
    char path[128];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n) exit(2);
    fclose(f);
}

/* SEC 1 ECPrivateKey (as openssl ecparam -outform DER writes it) and SubjectPublicKeyInfo, P-256 */
static const uint8_t SEC1_HEAD[7] = {0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t SEC1_MID[18] = {0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                     0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00, 0x04};
static const uint8_t SPKI_HEAD[27] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                      0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

static void write_keys(const char *priv_name, const char *pub_name, const uint8_t priv[32], const uint8_t pub[64])
{
    uint8_t der[121];
    memcpy(der, SEC1_HEAD, 7);
    memcpy(der + 7, priv, 32);
    memcpy(der + 39, SEC1_MID, 18);
    memcpy(der + 57, pub, 64);
    if (priv_name) write_file(priv_name, der, sizeof der);
    memcpy(der, SPKI_HEAD, 27);
    memcpy(der + 27, pub, 64);
    write_file(pub_name, der, 91);
}

/* openssl makes a key pair; returns its private scalar and public point */
static int openssl_key(const char *name, uint8_t priv[32], uint8_t pub[64])
{
    uint8_t der[200];
    if (sh("openssl ecparam -name prime256v1 -genkey -noout -outform DER -out %s/%s", name, NULL) != 0) return 0;
    if (read_file(name, der, sizeof der) != 121 || memcmp(der, SEC1_HEAD, 7) != 0 || der[56] != 0x04) return 0;
    memcpy(priv, der + 7, 32);
    memcpy(pub, der + 57, 64);
    return 1;
}

static int host_rng(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static size_t der_int(const uint8_t v[32], uint8_t *out)
{
    size_t i = 0, n;
    while (i < 31 && v[i] == 0) i++;
    n = 32 - i;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + (v[i] >> 7));
    out[2] = 0;
    memcpy(out + 2 + (v[i] >> 7), v + i, n);
    return n + 2 + (v[i] >> 7);
}

int main(void)
{
    static uint8_t msg[4096], ct[4096], pt[4096];
    int i, n_verify = 0, n_sign = 0, n_pub = 0, n_ecdh = 0, n_ctr = 0;
    strcpy(dir, "/tmp/csa-crypto-openssl-XXXXXX");
    if (!mkdtemp(dir) || system("openssl version > /dev/null") != 0) {
        printf("openssl command line missing\n");
        return 2;
    }
    for (i = 0; i < ROUNDS; i++) {
        uint8_t a[32], apub[64], b[32], bpub[64], chk[64], d[32], sig[64], der[128], z1[32], z2[32], key[32], iv[16];
        char khex[65], ivhex[33];
        size_t mlen, dl, off;
        long sl;
        int j;

        CHECK(getrandom(&mlen, sizeof mlen, 0) == sizeof mlen, "getrandom");
        mlen %= sizeof msg;
        CHECK(getrandom(msg, mlen, 0) == (ssize_t)mlen, "getrandom");
        write_file("msg", msg, mlen);
        csa_sha256(msg, mlen, d);

        /* openssl signs, the device verifies; openssl's public key equals d G */
        CHECK(openssl_key("a.der", a, apub), "openssl key");
        CHECK(csa_p256_public_key(a, chk) == CSA_CRYPTO_OK && memcmp(chk, apub, 64) == 0, "public key %d", i);
        n_pub += memcmp(chk, apub, 64) == 0;
        CHECK(sh("cd %s && openssl dgst -sha256 -sign a.der -keyform DER -out sig.der msg", NULL, NULL) == 0,
              "openssl dgst -sign");
        sl = read_file("sig.der", der, sizeof der);
        CHECK(sl > 0 && csa_ecdsa_der_to_raw(der, (size_t)sl, sig) == CSA_CRYPTO_OK &&
                  csa_p256_verify(apub, d, sig, 0) == CSA_CRYPTO_OK,
              "openssl's signature %d verifies on the device", i);
        n_verify += sl > 0 && csa_p256_verify(apub, d, sig, 0) == CSA_CRYPTO_OK;

        /* the device makes a key and signs; openssl verifies, and refuses a changed message */
        CHECK(csa_p256_keygen(host_rng, NULL, b, bpub) == CSA_CRYPTO_OK, "keygen");
        write_keys("b.der", "bpub.der", b, bpub);
        CHECK(csa_p256_sign(b, d, sig) == CSA_CRYPTO_OK, "device signs");
        dl = der_int(sig, der + 2);
        dl += der_int(sig + 32, der + 2 + dl);
        der[0] = 0x30;
        der[1] = (uint8_t)dl;
        write_file("sig2.der", der, dl + 2);
        j = sh("cd %s && openssl dgst -sha256 -verify bpub.der -keyform DER -signature sig2.der msg > /dev/null", NULL,
               NULL);
        CHECK(j == 0, "openssl verifies the device's signature %d", i);
        n_sign += j == 0;
        msg[0] ^= 1;
        write_file("msg", msg, mlen > 0 ? mlen : 1);
        CHECK(sh("cd %s && openssl dgst -sha256 -verify bpub.der -keyform DER -signature sig2.der msg > /dev/null 2>&1",
                 NULL, NULL) != 0,
              "openssl refuses the changed message %d", i);
        CHECK(sh("cd %s && openssl pkey -inform DER -in b.der -pubout -outform DER -out bpub2.der", NULL, NULL) == 0 &&
                  read_file("bpub2.der", der, sizeof der) == 91 && memcmp(der + 27, bpub, 64) == 0,
              "openssl derives the same public key from the device's private key %d", i);

        /* ECDH: openssl with a's private key and b's public key; the device both ways */
        CHECK(sh("cd %s && openssl pkeyutl -derive -inkey a.der -keyform DER -peerkey bpub.der -peerform DER -out z",
                 NULL, NULL) == 0 && read_file("z", z1, 32) == 32,
              "openssl pkeyutl -derive");
        CHECK(csa_p256_ecdh(b, apub, z2) == CSA_CRYPTO_OK && memcmp(z1, z2, 32) == 0, "ecdh device(b) = openssl(a) %d", i);
        n_ecdh += memcmp(z1, z2, 32) == 0;
        CHECK(csa_p256_ecdh(a, bpub, z2) == CSA_CRYPTO_OK && memcmp(z1, z2, 32) == 0, "ecdh device(a) = openssl(a) %d", i);
        n_ecdh += memcmp(z1, z2, 32) == 0;

        /* AES-256-CTR: openssl encrypts, the device decrypts piece by piece at random offsets */
        CHECK(getrandom(key, 32, 0) == 32 && getrandom(iv, 16, 0) == 16, "getrandom");
        if (i % 5 == 0) memset(iv + 8, 0xff, 8); /* counter carries out of the low 64 bits within the message */
        for (j = 0; j < 32; j++) sprintf(khex + 2 * j, "%02x", key[j]);
        for (j = 0; j < 16; j++) sprintf(ivhex + 2 * j, "%02x", iv[j]);
        write_file("msg", msg, mlen);
        CHECK(sh("cd %s && openssl enc -aes-256-ctr -K %s -iv %s -in msg -out ct", khex, ivhex) == 0 &&
                  read_file("ct", ct, sizeof ct) == (long)mlen,
              "openssl enc");
        {
            csa_aes_ctr_ctx c;
            csa_aes_ctr_init(&c, key, 32, iv);
            for (off = 0; off < mlen;) {
                uint8_t r;
                size_t piece;
                CHECK(getrandom(&r, 1, 0) == 1, "getrandom");
                piece = 1 + r % 200;
                if (piece > mlen - off) piece = mlen - off;
                csa_aes_ctr_crypt(&c, off, ct + off, pt + off, piece);
                off += piece;
            }
            csa_aes_ctr_clear(&c);
        }
        CHECK(memcmp(pt, msg, mlen) == 0, "aes-256-ctr %d (%u bytes)", i, (unsigned)mlen);
        n_ctr += memcmp(pt, msg, mlen) == 0;
    }
    sh("rm -rf %s", NULL, NULL);
    printf("openssl cross-checks over %d rounds: openssl signs/device verifies %d, device signs/openssl verifies %d, "
           "public keys %d, ecdh %d (both ways), aes-256-ctr %d\n",
           ROUNDS, n_verify, n_sign, n_pub, n_ecdh, n_ctr);
    return test_finish("crypto.openssl");
}
