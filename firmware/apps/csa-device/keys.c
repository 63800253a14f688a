/* Trusted keys from PEM files or hex (keys.h). */
#include "keys.h"

#include <stdio.h>
#include <string.h>

/* The DER of a P-256 SubjectPublicKeyInfo up to the 65-byte uncompressed point: SEQUENCE { SEQUENCE { id-ecPublicKey,
 * prime256v1 }, BIT STRING (66 bytes: 0 unused bits, 04 X Y) }. Every P-256 key in this form is these 26 bytes and
 * its point. */
static const uint8_t spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
                                        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes the base64 body between the PEM lines; returns the byte count or -1. */
long csa_device_pem_decode(const char *pem, const char *label, uint8_t *out, size_t cap)
{
    char begin[64], end[64];
    const char *p, *stop;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    p = strstr(pem, begin);
    if (p == NULL)
        return -1;
    p += strlen(begin);
    stop = strstr(p, end);
    if (stop == NULL)
        return -1;
    for (; p < stop; p++) {
        int v;
        if (*p == '=' || *p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')
            continue;
        v = b64_value(*p);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

int csa_device_read_public_key(const char *text, uint8_t xy[64], char *error, size_t error_len)
{
    size_t len = strlen(text), i;
    uint8_t der[256];
    char pem[4096];
    long n;
    FILE *f;
    if ((len == 128u || (len == 130u && text[0] == '0' && text[1] == '4'))) {
        const char *h = len == 130u ? text + 2 : text;
        for (i = 0; i < 64u; i++) {
            int hi = hex_value(h[2u * i]), lo = hex_value(h[2u * i + 1u]);
            if (hi < 0 || lo < 0) {
                snprintf(error, error_len, "'%s' is neither a key file nor 128 hex digits (X || Y)", text);
                return -1;
            }
            xy[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
    }
    f = fopen(text, "rb");
    if (f == NULL) {
        snprintf(error, error_len, "cannot open the key file %s", text);
        return -1;
    }
    n = (long)fread(pem, 1, sizeof pem - 1u, f);
    fclose(f);
    pem[n < 0 ? 0 : n] = '\0';
    n = csa_device_pem_decode(pem, "PUBLIC KEY", der, sizeof der);
    if (n < 0) {
        snprintf(error, error_len, "%s holds no PEM public key (-----BEGIN PUBLIC KEY-----)", text);
        return -1;
    }
    if (n != 91 || memcmp(der, spki_prefix, sizeof spki_prefix) != 0 || der[26] != 0x04) {
        snprintf(error, error_len, "%s is not an uncompressed P-256 public key", text);
        return -1;
    }
    memcpy(xy, der + 27, 64);
    return 0;
}

size_t csa_device_pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t at = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label), i, line = 0;
    for (i = 0; i < len && at + 8 < cap; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0u)
                     | (i + 2 < len ? der[i + 2] : 0u);
        out[at++] = b64[v >> 18 & 63];
        out[at++] = b64[v >> 12 & 63];
        out[at++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
        out[at++] = i + 2 < len ? b64[v & 63] : '=';
        if ((line += 4) == 64) {
            out[at++] = '\n';
            line = 0;
        }
    }
    if (line != 0 && at + 1 < cap)
        out[at++] = '\n';
    at += (size_t)snprintf(out + at, cap > at ? cap - at : 0, "-----END %s-----\n", label);
    return at < cap ? at : 0;
}
