/* The Mbed TLS port (host build). Mbed TLS's own blinding of scalar multiplications wants a random source; the
 * host's getrandom() supplies it (blinding does not change any result). */
#define _DEFAULT_SOURCE
#include <sys/random.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "csa_crypto.h"

static int host_random(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

void csa_mbedtls_sha256_init(mbedtls_sha256_context *c)
{
    mbedtls_sha256_init(c);
    mbedtls_sha256_starts_ret(c, 0);
}

void csa_mbedtls_sha256_update(mbedtls_sha256_context *c, const uint8_t *data, size_t len)
{
    mbedtls_sha256_update_ret(c, data, len);
}

void csa_mbedtls_sha256_final(mbedtls_sha256_context *c, uint8_t digest[32])
{
    mbedtls_sha256_finish_ret(c, digest);
    mbedtls_sha256_free(c);
}

int csa_mbedtls_aes_setkey(mbedtls_aes_context *c, const uint8_t *key, size_t key_len)
{
    mbedtls_aes_init(c);
    return mbedtls_aes_setkey_enc(c, key, (unsigned)(key_len * 8)) == 0 ? 0 : 1;
}

void csa_mbedtls_aes_encrypt(const mbedtls_aes_context *c, const uint8_t *in, uint8_t *out, size_t blocks)
{
    size_t i;
    for (i = 0; i < blocks; i++)
        mbedtls_aes_crypt_ecb((mbedtls_aes_context *)c, MBEDTLS_AES_ENCRYPT, in + 16 * i, out + 16 * i);
}

void csa_mbedtls_aes_clear(mbedtls_aes_context *c) { mbedtls_aes_free(c); }

typedef struct {
    mbedtls_ecp_group g;
    mbedtls_ecp_point q;
    mbedtls_mpi a, b;
} p256_work;

static int work_init(p256_work *w)
{
    mbedtls_ecp_group_init(&w->g);
    mbedtls_ecp_point_init(&w->q);
    mbedtls_mpi_init(&w->a);
    mbedtls_mpi_init(&w->b);
    return mbedtls_ecp_group_load(&w->g, MBEDTLS_ECP_DP_SECP256R1);
}

static void work_free(p256_work *w)
{
    mbedtls_ecp_group_free(&w->g);
    mbedtls_ecp_point_free(&w->q);
    mbedtls_mpi_free(&w->a);
    mbedtls_mpi_free(&w->b);
}

static int read_point(mbedtls_ecp_point *q, const uint8_t pub[64])
{
    int rc = mbedtls_mpi_read_binary(&q->X, pub, 32);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&q->Y, pub + 32, 32);
    if (rc == 0) rc = mbedtls_mpi_lset(&q->Z, 1);
    return rc;
}

static int write_point(const mbedtls_ecp_point *q, uint8_t pub[64])
{
    int rc = mbedtls_mpi_write_binary(&q->X, pub, 32);
    return rc == 0 ? mbedtls_mpi_write_binary(&q->Y, pub + 32, 32) : rc;
}

int csa_mbedtls_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64])
{
    p256_work w;
    int rc = work_init(&w);
    if (rc == 0) rc = read_point(&w.q, pub);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&w.a, sig, 32);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&w.b, sig + 32, 32);
    if (rc == 0) rc = mbedtls_ecdsa_verify(&w.g, digest, 32, &w.q, &w.a, &w.b);
    work_free(&w);
    return rc == 0 ? 0 : 1;
}

int csa_mbedtls_p256_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64])
{
    p256_work w;
    mbedtls_mpi d;
    int rc = work_init(&w);
    mbedtls_mpi_init(&d);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&d, priv, 32);
    if (rc == 0)
        rc = mbedtls_ecdsa_sign_det_ext(&w.g, &w.a, &w.b, &d, digest, 32, MBEDTLS_MD_SHA256, host_random, NULL);
    if (rc == 0) rc = mbedtls_mpi_write_binary(&w.a, sig, 32);
    if (rc == 0) rc = mbedtls_mpi_write_binary(&w.b, sig + 32, 32);
    mbedtls_mpi_free(&d);
    work_free(&w);
    return rc == 0 ? 0 : 1;
}

int csa_mbedtls_p256_ecdh(const uint8_t priv[32], const uint8_t pub[64], uint8_t z[32])
{
    p256_work w;
    int rc = work_init(&w);
    if (rc == 0) rc = read_point(&w.q, pub);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&w.a, priv, 32);
    if (rc == 0) rc = mbedtls_ecdh_compute_shared(&w.g, &w.b, &w.q, &w.a, host_random, NULL);
    if (rc == 0) rc = mbedtls_mpi_write_binary(&w.b, z, 32);
    work_free(&w);
    return rc == 0 ? 0 : 1;
}

int csa_mbedtls_p256_public_key(const uint8_t priv[32], uint8_t pub[64])
{
    p256_work w;
    int rc = work_init(&w);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&w.a, priv, 32);
    if (rc == 0) rc = mbedtls_ecp_mul(&w.g, &w.q, &w.a, &w.g.G, host_random, NULL);
    if (rc == 0) rc = write_point(&w.q, pub);
    work_free(&w);
    return rc == 0 ? 0 : 1;
}
