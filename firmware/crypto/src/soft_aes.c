/* AES (FIPS 197) encryption, software engine, bitsliced: no table look-ups, no branches on data or key.
 *
 * Layout: two 16-byte blocks are one state of 8 32-bit words; word i holds bit i of all 32 bytes, byte j of the
 * pair at bit position j (block 2 in the upper half). Byte j of a block is AES's s[row = j mod 4][col = j / 4],
 * so ShiftRows and MixColumns become masks and shifts inside each 16-bit half, and SubBytes is arithmetic on the
 * 8 bit planes: the inverse in GF(2^8) as x^254 (4 multiplications, 7 squarings) followed by the affine map. This
 * is about 700 word operations per 32 S-boxes; a hand-optimised S-box circuit (Boyar-Peralta, 113 gates) would be
 * faster, but this form is short and every step can be checked against the field definition. Counter mode needs
 * the encryption direction only. */
#include <string.h>

#include "csa_crypto.h"
#include "csa_port_soft.h"

static void bs_load(uint32_t q[8], const uint8_t in[32])
{
    unsigned i, j;
    memset(q, 0, 8 * sizeof(uint32_t));
    for (j = 0; j < 32; j++)
        for (i = 0; i < 8; i++) q[i] |= (uint32_t)((in[j] >> i) & 1u) << j;
}

static void bs_store(const uint32_t q[8], uint8_t out[32])
{
    unsigned i, j;
    for (j = 0; j < 32; j++) {
        uint32_t b = 0;
        for (i = 0; i < 8; i++) b |= ((q[i] >> j) & 1u) << i;
        out[j] = (uint8_t)b;
    }
}

/* reduce a 15-term product modulo x^8 + x^4 + x^3 + x + 1 */
static void gf_reduce(uint32_t r[8], uint32_t t[15])
{
    int k;
    for (k = 14; k >= 8; k--) {
        t[k - 4] ^= t[k];
        t[k - 5] ^= t[k];
        t[k - 7] ^= t[k];
        t[k - 8] ^= t[k];
    }
    memcpy(r, t, 8 * sizeof(uint32_t));
}

static void gf_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
    uint32_t t[15] = {0};
    unsigned i, j;
    for (i = 0; i < 8; i++)
        for (j = 0; j < 8; j++) t[i + j] ^= a[i] & b[j];
    gf_reduce(r, t);
}

static void gf_sq(uint32_t r[8], const uint32_t a[8]) /* squaring is linear in GF(2^8) */
{
    uint32_t t[15] = {0};
    unsigned i;
    for (i = 0; i < 8; i++) t[2 * i] = a[i];
    gf_reduce(r, t);
}

static void sub_bytes(uint32_t q[8])
{
    uint32_t x2[8], x3[8], x12[8], x15[8], t[8];
    unsigned i;
    gf_sq(x2, q);
    gf_mul(x3, x2, q);
    gf_sq(t, x3);
    gf_sq(x12, t);
    gf_mul(x15, x12, x3);
    gf_sq(t, x15);
    gf_sq(t, t);
    gf_sq(t, t);
    gf_sq(t, t);      /* x^240 */
    gf_mul(t, t, x12); /* x^252 */
    gf_mul(t, t, x2);  /* x^254 = x^-1 (0 stays 0) */
    /* affine map: s_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i, c = 0x63 */
    for (i = 0; i < 8; i++)
        q[i] = t[i] ^ t[(i + 4) & 7] ^ t[(i + 5) & 7] ^ t[(i + 6) & 7] ^ t[(i + 7) & 7] ^ (0u - ((0x63u >> i) & 1u));
}

static void shift_rows(uint32_t q[8])
{
    unsigned i;
    for (i = 0; i < 8; i++) {
        uint32_t x = q[i];
        q[i] = (x & 0x11111111u) | ((x & 0x22202220u) >> 4) | ((x & 0x00020002u) << 12) |
               ((x & 0x44004400u) >> 8) | ((x & 0x00440044u) << 8) | ((x & 0x80008000u) >> 12) |
               ((x & 0x08880888u) << 4);
    }
}

static uint32_t rot1(uint32_t x) { return ((x >> 1) & 0x77777777u) | ((x << 3) & 0x88888888u); }
static uint32_t rot2(uint32_t x) { return ((x >> 2) & 0x33333333u) | ((x << 2) & 0xccccccccu); }

static void mix_columns(uint32_t q[8])
{
    /* out_r = 2 a_r ^ 3 a_(r+1) ^ a_(r+2) ^ a_(r+3) = 2 t ^ a_(r+1) ^ rot2(t), t = a ^ rot1(a) */
    uint32_t t[8], a1[8];
    unsigned i;
    for (i = 0; i < 8; i++) {
        a1[i] = rot1(q[i]);
        t[i] = q[i] ^ a1[i];
    }
    for (i = 0; i < 8; i++) {
        /* xtime: bit plane i of 2t is t_(i-1), plus t_7 where 0x1b has a bit (planes 0, 1, 3, 4) */
        uint32_t x2 = (i ? t[i - 1] : 0) ^ (((0x1bu >> i) & 1u) ? t[7] : 0);
        q[i] = x2 ^ a1[i] ^ rot2(t[i]);
    }
}

static void add_round_key(uint32_t q[8], const uint32_t rk[8])
{
    unsigned i;
    for (i = 0; i < 8; i++) q[i] ^= rk[i];
}

int csa_soft_aes_setkey(csa_soft_aes_ctx *c, const uint8_t *key, size_t key_len)
{
    uint8_t w[240], pair[32];
    uint32_t q[8];
    unsigned nk = (unsigned)(key_len / 4), words, i, r;
    uint8_t rcon = 1;
    if (key_len != 16 && key_len != 24 && key_len != 32) return 1;
    c->rounds = nk + 6;
    words = 4 * (c->rounds + 1);
    memcpy(w, key, key_len);
    for (i = nk; i < words; i++) {
        uint8_t t[4];
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % nk == 0 || (nk > 6 && i % nk == 4)) {
            if (i % nk == 0) { /* RotWord */
                uint8_t t0 = t[0];
                t[0] = t[1]; t[1] = t[2]; t[2] = t[3]; t[3] = t0;
            }
            memset(pair, 0, sizeof pair); /* SubWord through the same bitsliced S-box */
            memcpy(pair, t, 4);
            bs_load(q, pair);
            sub_bytes(q);
            bs_store(q, pair);
            memcpy(t, pair, 4);
            if (i % nk == 0) {
                t[0] ^= rcon;
                rcon = (uint8_t)((rcon << 1) ^ ((rcon >> 7) * 0x1b)); /* rcon is public */
            }
        }
        for (r = 0; r < 4; r++) w[4 * i + r] = (uint8_t)(w[4 * (i - nk) + r] ^ t[r]);
    }
    for (r = 0; r <= c->rounds; r++) {
        memcpy(pair, w + 16 * r, 16);
        memcpy(pair + 16, w + 16 * r, 16);
        bs_load(c->rk[r], pair);
    }
    csa_ct_wipe(w, sizeof w);
    csa_ct_wipe(pair, sizeof pair);
    csa_ct_wipe(q, sizeof q);
    return 0;
}

static void encrypt_pair(const csa_soft_aes_ctx *c, uint8_t io[32])
{
    uint32_t q[8];
    unsigned r;
    bs_load(q, io);
    add_round_key(q, c->rk[0]);
    for (r = 1; r < c->rounds; r++) {
        sub_bytes(q);
        shift_rows(q);
        mix_columns(q);
        add_round_key(q, c->rk[r]);
    }
    sub_bytes(q);
    shift_rows(q);
    add_round_key(q, c->rk[c->rounds]);
    bs_store(q, io);
    csa_ct_wipe(q, sizeof q);
}

void csa_soft_aes_encrypt(const csa_soft_aes_ctx *c, const uint8_t *in, uint8_t *out, size_t blocks)
{
    uint8_t pair[32];
    while (blocks > 0) {
        size_t n = blocks >= 2 ? 2 : 1;
        memset(pair, 0, sizeof pair);
        memcpy(pair, in, 16 * n);
        encrypt_pair(c, pair);
        memcpy(out, pair, 16 * n);
        in += 16 * n;
        out += 16 * n;
        blocks -= n;
    }
    csa_ct_wipe(pair, sizeof pair);
}

void csa_soft_aes_clear(csa_soft_aes_ctx *c) { csa_ct_wipe(c, sizeof *c); }
