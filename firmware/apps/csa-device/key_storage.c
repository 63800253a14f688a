/* The POSIX device's key storage file (key_storage.h). */
#include "key_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"

/* PKCS#8 of a P-256 key (RFC 5208 / RFC 5915): the header up to the 32-byte scalar, and the public key's header
 * after it. Every P-256 key in this form is these bytes, its scalar and its point. */
static const uint8_t pkcs8_head[36] = {0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86,
                                       0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D,
                                       0x03, 0x01, 0x07, 0x04, 0x6D, 0x30, 0x6B, 0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t pkcs8_pub[6] = {0xA1, 0x44, 0x03, 0x42, 0x00, 0x04};
/* The same without the optional public key (67 bytes). */
static const uint8_t pkcs8_short_head[36] = {0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48,
                                             0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03,
                                             0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20, 0};

static long read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap - 1u, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

/* Writes `text` to path through a temporary file and a rename: the old file or the new one after any crash. */
static int write_atomically(const char *path, const char *text, size_t len)
{
    char temporary[4096];
    int fd;
    if (snprintf(temporary, sizeof temporary, "%s.tmp", path) >= (int)sizeof temporary)
        return -1;
    fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0600); /* owner only: it holds the private key */
    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(temporary);
        return -1;
    }
    close(fd);
    return rename(temporary, path);
}

static int decode_key(const char *pem, uint8_t key[32], uint8_t pub[64], int *has_pub)
{
    uint8_t der[256];
    long n = csa_device_pem_decode(pem, "PRIVATE KEY", der, sizeof der);
    *has_pub = 0;
    if (n == 138 && memcmp(der, pkcs8_head, 36) == 0 && memcmp(der + 68, pkcs8_pub, 6) == 0) {
        memcpy(key, der + 36, 32);
        memcpy(pub, der + 74, 64);
        *has_pub = 1;
        return 0;
    }
    if (n == 67 && memcmp(der, pkcs8_short_head, 35) == 0) {
        memcpy(key, der + 35, 32);
        return 0;
    }
    return -1;
}

int csa_device_read_private_key(const char *path, uint8_t key[32], char *error, size_t error_len)
{
    char pem[4096];
    uint8_t pub[64], computed[64];
    int has_pub;
    if (read_text(path, pem, sizeof pem) < 0) {
        snprintf(error, error_len, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (decode_key(pem, key, pub, &has_pub) != 0) {
        snprintf(error, error_len, "%s is not a P-256 private key in PEM PKCS#8 (-----BEGIN PRIVATE KEY-----)", path);
        return -1;
    }
    if (csa_p256_public_key(key, computed) != CSA_CRYPTO_OK || (has_pub && memcmp(pub, computed, 64) != 0)) {
        snprintf(error, error_len, "%s holds no valid P-256 key (scalar out of range, or a public key that does not "
                 "match it)", path);
        return -1;
    }
    return 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int file_load(void *ctx, csa_keystore_record *r)
{
    const char *path = (const char *)ctx;
    char text[4096], marker[4096];
    uint8_t pub[64];
    int has_pub, i;
    memset(r, 0, sizeof *r);
    if (read_text(path, text, sizeof text) < 0)
        return errno == ENOENT ? 0 : -1; /* no file yet: an empty key storage */
    if (decode_key(text, r->private_key, pub, &has_pub) != 0
        || csa_p256_public_key(r->private_key, r->public_key) != CSA_CRYPTO_OK
        || (has_pub && memcmp(pub, r->public_key, 64) != 0)) {
        csa_ct_wipe(r, sizeof *r);
        return -1; /* damaged: never taken for an empty storage (that would let a station replace the key) */
    }
    r->has_key = 1;
    snprintf(marker, sizeof marker, "%s.certified", path);
    if (read_text(marker, text, sizeof text) >= 64) {
        for (i = 0; i < 32; i++) {
            int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            r->certified_digest[i] = (uint8_t)(hi << 4 | lo);
        }
        r->certified = 1;
    } else if (errno != ENOENT && access(marker, F_OK) == 0)
        return -1;
    return 0;
}

static int file_save(void *ctx, const csa_keystore_record *r)
{
    const char *path = (const char *)ctx;
    char pem[512], marker[4096], hex[66];
    uint8_t der[138];
    size_t n;
    int i, rc;
    if (!r->has_key)
        return -1;
    memcpy(der, pkcs8_head, 36);
    memcpy(der + 36, r->private_key, 32);
    memcpy(der + 68, pkcs8_pub, 6);
    memcpy(der + 74, r->public_key, 64);
    n = csa_device_pem_encode("PRIVATE KEY", der, sizeof der, pem, sizeof pem);
    csa_ct_wipe(der, sizeof der);
    snprintf(marker, sizeof marker, "%s.certified", path);
    /* A new (uncertified) key drops the old key's note first; a certified one is noted after its key is stored. */
    if (!r->certified && unlink(marker) != 0 && errno != ENOENT)
        return -1;
    rc = n == 0 ? -1 : write_atomically(path, pem, n);
    csa_ct_wipe(pem, sizeof pem);
    if (rc != 0 || !r->certified)
        return rc;
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", r->certified_digest[i]);
    hex[64] = '\n';
    hex[65] = '\0';
    return write_atomically(marker, hex, 65);
}

void csa_device_key_file_backend(csa_keystore_backend *backend, const char *path)
{
    backend->load = file_load;
    backend->save = file_save;
    backend->ctx = (void *)path;
}

int csa_device_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
