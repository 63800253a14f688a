/* Test harness around the C COBS encoder and decoder quoted in docs/protocol.md section 3.1 (inserted above this
 * file's code by the test). Reads one hex-encoded wire frame per line (delimiter included), decodes it the way the
 * document says, checks the CRC-32/MPEG-2, re-encodes it, and prints "OK <decoded hex> <re-encoded hex>" or
 * "REJECT <reason>". */
#include <stdio.h>
#include <string.h>

static uint32_t crc32_mpeg2(const uint8_t *data, size_t len) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)data[i] << 24;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int main(void) {
    static char line[8192];
    static uint8_t wire[4096], frame[1024], again[2048];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = 0;
        for (char *p = line; p[0] && p[1]; ) {
            int hi = hexval(p[0]), lo = hexval(p[1]);
            if (hi < 0 || lo < 0) { p++; continue; }
            wire[n++] = (uint8_t)(hi << 4 | lo);
            p += 2;
        }
        if (n == 0 || wire[n - 1] != 0x00) { printf("REJECT no-delimiter\n"); continue; }
        int len = cobs_decode(wire, n - 1, frame, sizeof frame);
        if (len < 0) { printf("REJECT cobs\n"); continue; }
        if (len < 13) { printf("REJECT short\n"); continue; }
        uint32_t stored = (uint32_t)frame[len - 4] | (uint32_t)frame[len - 3] << 8
                        | (uint32_t)frame[len - 2] << 16 | (uint32_t)frame[len - 1] << 24;
        if (crc32_mpeg2(frame, (size_t)len - 4) != stored) { printf("REJECT crc\n"); continue; }
        if ((frame[0] >> 4) != 1) { printf("REJECT version\n"); continue; }
        if ((frame[0] & 0x0E) != 0 || frame[4] == 0xFF) { printf("REJECT malformed\n"); continue; }
        size_t encoded = cobs_encode(frame, (size_t)len, again);
        printf("OK ");
        for (int i = 0; i < len; i++) printf("%02X", frame[i]);
        printf(" ");
        for (size_t i = 0; i < encoded; i++) printf("%02X", again[i]);
        printf("00\n");
    }
    return 0;
}
