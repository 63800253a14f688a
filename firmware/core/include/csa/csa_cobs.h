/* COBS (Consistent Overhead Byte Stuffing), protocol.md section 3.1: the canonical encoder and a decoder that also
   accepts the non-canonical trailing 0x01 after a final 0xFF block. Neither writes a delimiter. */
#ifndef CSA_COBS_H_
#define CSA_COBS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Worst-case encoded length of len bytes: len + ceil(len / 254), at least len + 1. */
#define CSA_COBS_MAX_ENCODED(len) ((len) + ((len) + 253u) / 254u + ((len) == 0u ? 1u : 0u))

/** Encodes len bytes into out (cap bytes); returns the encoded length, or 0 when out is too small. */
size_t csa_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/** Decodes a run without its delimiter (in holds no 0x00); returns the decoded length, or -1 when the run is not
    valid COBS or its result does not fit cap bytes. */
int32_t csa_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* CSA_COBS_H_ */
