/* The flash image file, format version 1 (docs/device-model.md 1.6): the format of the C# FlashImageFile, so the
 * C device and the C# virtual device open each other's flash. Little-endian:
 *   "CSAFLASH", u16 version, u8 family, u8 RDP level, u16 name length N, N bytes geometry name,
 *   u32 main size + main bytes, u32 OTP size + OTP bytes, 12 bytes unique ID, u32 sector count S,
 *   ceil(S/8) write-protection bitmap, 4 S erase cycles, ceil(main size/64) and ceil(OTP size/64) ECC-broken
 *   bitmaps (one bit per double word, LSB first), u32 CRC-32/MPEG-2 of every byte before it. */
#define _POSIX_C_SOURCE 200809L
#include "flashsim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csa/csa_crc32.h"

static const uint8_t magic[8] = {'C', 'S', 'A', 'F', 'L', 'A', 'S', 'H'};

static size_t bitmap_bytes(size_t bits)
{
    return (bits + 7) / 8;
}

static size_t image_length(const csa_flash_geometry *g, size_t name_len)
{
    size_t s = g->sector_count;
    return 8 + 2 + 1 + 1 + 2 + name_len + 4 + g->size + 4 + g->otp_size + CSA_FLASH_UID_SIZE + 4 + bitmap_bytes(s)
           + 4 * s + bitmap_bytes(g->size / 8) + bitmap_bytes(g->otp_size / 8) + 4;
}

static uint8_t *put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint8_t *csa_flashsim_serialize(const csa_flashsim *s, size_t *len)
{
    const csa_flash_geometry *g = s->g;
    size_t name_len = strlen(g->name), n = image_length(g, name_len), ecc_main = bitmap_bytes(g->size / 8),
           ecc_otp = bitmap_bytes(g->otp_size / 8), wrp = bitmap_bytes(g->sector_count);
    uint8_t *image = (uint8_t *)malloc(n), *p = image;
    uint16_t i;
    if (image == NULL)
        return NULL;
    memcpy(p, magic, 8);
    p = put16(p + 8, 1);
    *p++ = (uint8_t)g->family;
    *p++ = s->rdp;
    p = put16(p, (uint32_t)name_len);
    memcpy(p, g->name, name_len);
    p = put32(p + name_len, g->size);
    memcpy(p, s->main, g->size);
    p = put32(p + g->size, g->otp_size);
    memcpy(p, s->otp, g->otp_size);
    p += g->otp_size;
    memcpy(p, s->uid, CSA_FLASH_UID_SIZE);
    p = put32(p + CSA_FLASH_UID_SIZE, g->sector_count);
    memset(p, 0, wrp);
    for (i = 0; i < g->sector_count; i++)
        csa_bit_put(p, i, csa_bit_get(s->wrp, i));
    p += wrp;
    for (i = 0; i < g->sector_count; i++)
        p = put32(p, s->erase_cycles[i]);
    memcpy(p, s->main_ecc, ecc_main);
    memcpy(p + ecc_main, s->otp_ecc, ecc_otp);
    p += ecc_main + ecc_otp;
    put32(p, csa_crc32(image, (size_t)(p - image)));
    *len = n;
    return image;
}

csa_flashsim_file_error csa_flashsim_load_buffer(const uint8_t *image, size_t len, const csa_flashsim_options *options,
                                                 csa_flashsim **out)
{
    const size_t fixed = 8 + 2 + 1 + 1 + 2;
    const csa_flash_geometry *g;
    csa_flashsim_options o = *options;
    csa_flashsim *s;
    size_t name_len, expected, wrp, ecc_main, ecc_otp;
    const uint8_t *p;
    uint8_t family, rdp;
    uint16_t i;
    *out = NULL;
    if (len < 8 || memcmp(image, magic, 8) != 0)
        return len < 8 ? CSA_FLASHSIM_FILE_TRUNCATED : CSA_FLASHSIM_FILE_NOT_A_FLASH_IMAGE;
    if (len < fixed + 4)
        return CSA_FLASHSIM_FILE_TRUNCATED;
    if (get16(image + 8) != 1)
        return CSA_FLASHSIM_FILE_UNSUPPORTED_VERSION;
    family = image[10];
    rdp = image[11];
    name_len = get16(image + 12);
    if (len < fixed + name_len + 4)
        return CSA_FLASHSIM_FILE_TRUNCATED;
    g = csa_flash_geometry_by_name((const char *)image + fixed, name_len);
    if (g == NULL)
        return CSA_FLASHSIM_FILE_UNKNOWN_GEOMETRY;
    if (options->geometry != NULL && options->geometry != g)
        return CSA_FLASHSIM_FILE_GEOMETRY_MISMATCH;
    expected = image_length(g, name_len);
    if (len != expected)
        return len < expected ? CSA_FLASHSIM_FILE_TRUNCATED : CSA_FLASHSIM_FILE_CORRUPT;
    if (csa_crc32(image, len - 4) != get32(image + len - 4))
        return CSA_FLASHSIM_FILE_CORRUPT; /* the file was damaged */
    if (family != (uint8_t)g->family || rdp > 2)
        return CSA_FLASHSIM_FILE_CORRUPT;
    p = image + fixed + name_len;
    if (get32(p) != g->size || get32(p + 4 + g->size) != g->otp_size)
        return CSA_FLASHSIM_FILE_CORRUPT;
    if (get32(p + 8 + g->size + g->otp_size + CSA_FLASH_UID_SIZE) != g->sector_count)
        return CSA_FLASHSIM_FILE_CORRUPT;
    wrp = bitmap_bytes(g->sector_count);
    ecc_main = bitmap_bytes(g->size / 8);
    ecc_otp = bitmap_bytes(g->otp_size / 8);
    {
        /* Erase counters are signed 32-bit on the C# side: a larger one is a damaged file, not a count. */
        const uint8_t *cycles = p + 12 + g->size + g->otp_size + CSA_FLASH_UID_SIZE + wrp;
        for (i = 0; i < g->sector_count; i++)
            if (get32(cycles + 4u * i) > 0x7FFFFFFFu)
                return CSA_FLASHSIM_FILE_CORRUPT;
    }
    o.geometry = g;
    o.has_uid = 1;
    memcpy(o.uid, p + 8 + g->size + g->otp_size, CSA_FLASH_UID_SIZE);
    s = csa_flashsim_create(&o);
    if (s == NULL)
        return CSA_FLASHSIM_FILE_IO;
    memcpy(s->main, p + 4, g->size);
    p += 4 + g->size;
    memcpy(s->otp, p + 4, g->otp_size);
    p += 4 + g->otp_size + CSA_FLASH_UID_SIZE + 4;
    for (i = 0; i < g->sector_count; i++)
        csa_bit_put(s->wrp, i, csa_bit_get(p, i));
    p += wrp;
    for (i = 0; i < g->sector_count; i++, p += 4)
        s->erase_cycles[i] = get32(p);
    memcpy(s->main_ecc, p, ecc_main);
    memcpy(s->otp_ecc, p + ecc_main, ecc_otp);
    s->rdp = rdp;
    *out = s;
    return CSA_FLASHSIM_FILE_OK;
}

csa_flashsim_file_error csa_flashsim_load(const char *path, const csa_flashsim_options *options, csa_flashsim **out)
{
    FILE *f = fopen(path, "rb");
    uint8_t *image;
    long size;
    size_t got;
    csa_flashsim_file_error e;
    *out = NULL;
    if (f == NULL)
        return CSA_FLASHSIM_FILE_IO;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return CSA_FLASHSIM_FILE_IO;
    }
    image = (uint8_t *)malloc(size > 0 ? (size_t)size : 1u);
    if (image == NULL) {
        fclose(f);
        return CSA_FLASHSIM_FILE_IO;
    }
    got = fread(image, 1, (size_t)size, f);
    fclose(f);
    e = got == (size_t)size ? csa_flashsim_load_buffer(image, got, options, out) : CSA_FLASHSIM_FILE_IO;
    free(image);
    return e;
}

/* sync: flush to disk before the rename (an explicit save). The per-operation persistence only needs to survive the
 * process being killed, which the page cache does, so it skips the flush and stays fast. */
static csa_flashsim_file_error save_file(const csa_flashsim *s, const char *path, int sync)
{
    size_t len, done = 0;
    uint8_t *image = csa_flashsim_serialize(s, &len);
    size_t plen = strlen(path);
    char *tmp = (char *)malloc(plen + 5);
    int fd;
    if (image == NULL || tmp == NULL) {
        free(image);
        free(tmp);
        return CSA_FLASHSIM_FILE_IO;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    while (fd >= 0 && done < len) {
        ssize_t n = write(fd, image + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    free(image);
    /* Written, flushed, then renamed over the target: a crash leaves the old file or the new one. */
    {
        int ok = fd >= 0 && done == len && (!sync || fsync(fd) == 0);
        if (fd >= 0)
            ok &= close(fd) == 0;
        if (!ok || rename(tmp, path) != 0) {
            unlink(tmp);
            free(tmp);
            return CSA_FLASHSIM_FILE_IO;
        }
    }
    free(tmp);
    return CSA_FLASHSIM_FILE_OK;
}

csa_flashsim_file_error csa_flashsim_save(const csa_flashsim *s, const char *path)
{
    return save_file(s, path, 1);
}

void csa_flashsim_persist_to(csa_flashsim *s, const char *path)
{
    free(s->persist_path);
    s->persist_path = NULL;
    if (path != NULL) {
        size_t n = strlen(path) + 1;
        s->persist_path = (char *)malloc(n);
        if (s->persist_path != NULL)
            memcpy(s->persist_path, path, n);
    }
}

void csa_flashsim_persist_now(csa_flashsim *s)
{
    if (s->persist_path != NULL && save_file(s, s->persist_path, 0) != CSA_FLASHSIM_FILE_OK) {
        /* A simulated chip that cannot keep its cells must not pretend it did. */
        fprintf(stderr, "csa_flashsim: cannot save the flash to %s: %s\n", s->persist_path, strerror(errno));
        abort();
    }
}

const char *csa_flashsim_file_error_name(csa_flashsim_file_error e)
{
    static const char *const names[] = {"Ok", "NotAFlashImage", "Truncated", "UnsupportedVersion", "UnknownGeometry",
                                        "GeometryMismatch", "Corrupt", "Io"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "Unknown";
}
