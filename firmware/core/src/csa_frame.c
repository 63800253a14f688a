#include "csa/csa_frame.h"

#include "csa/csa_crc32.h"
#include "csa_wire.h"

#include <string.h>

const char *csa_drop_reason_name(csa_drop_reason_t reason)
{
    static const char *const names[CSA_DROP_REASON_COUNT] = {
        "CrcMismatch",      "Malformed",       "Oversize",          "UnsupportedVersion", "Truncated",
        "HopLimitExceeded", "NoRoute",         "NotForThisNode",    "PortNotBound",       "SocketQueueFull",
        "DuplicateFragment", "FragmentOutOfOrder", "OrphanFragment", "ReassemblyTimeout", "ReassemblyEvicted",
        "PacketTooLarge",   "InvalidLinkManagement",
    };
    return (unsigned)reason < (unsigned)CSA_DROP_REASON_COUNT ? names[reason] : "?";
}

CSA_CONFIG_LINK_RAMFUNC size_t csa_frame_write(const csa_frame_header_t *header, const uint8_t *payload, size_t payload_len, uint8_t *out,
                       size_t cap)
{
    size_t len = CSA_FRAME_OVERHEAD + payload_len;
    if (payload_len > cap || len > cap)
        return 0;
    out[0] = (uint8_t)((CSA_PROTOCOL_VERSION << 4) | (header->last ? 1u : 0u));
    out[1] = header->hop_limit;
    out[2] = header->dst_node;
    out[3] = header->dst_port;
    out[4] = header->src_node;
    out[5] = header->src_port;
    csa_put_u16(out + 6, header->packet_id);
    out[8] = header->fragment;
    if (payload_len > 0u && out + CSA_FRAME_HEADER_SIZE != payload)
        memmove(out + CSA_FRAME_HEADER_SIZE, payload, payload_len);
    csa_put_u32(out + CSA_FRAME_HEADER_SIZE + payload_len, csa_crc32(out, CSA_FRAME_HEADER_SIZE + payload_len));
    return len;
}

CSA_CONFIG_LINK_RAMFUNC void csa_frame_reseal(uint8_t *frame, size_t len)
{
    csa_put_u32(frame + len - CSA_FRAME_CRC_SIZE, csa_crc32(frame, len - CSA_FRAME_CRC_SIZE));
}

CSA_CONFIG_LINK_RAMFUNC int csa_frame_parse(const uint8_t *frame, size_t len, csa_frame_header_t *header, size_t *payload_offset,
                    size_t *payload_len)
{
    if (len < CSA_FRAME_OVERHEAD)
        return CSA_DROP_MALFORMED;
    if (csa_crc32(frame, len - CSA_FRAME_CRC_SIZE) != csa_get_u32(frame + len - CSA_FRAME_CRC_SIZE))
        return CSA_DROP_CRC_MISMATCH;
    if ((frame[0] >> 4) != CSA_PROTOCOL_VERSION)
        return CSA_DROP_UNSUPPORTED_VERSION;
    if ((frame[0] & 0x0Eu) != 0u || frame[4] == CSA_ADDR_BROADCAST)
        return CSA_DROP_MALFORMED;
    header->last = (frame[0] & 1u) != 0u;
    header->hop_limit = frame[1];
    header->dst_node = frame[2];
    header->dst_port = frame[3];
    header->src_node = frame[4];
    header->src_port = frame[5];
    header->packet_id = csa_get_u16(frame + 6);
    header->fragment = frame[8];
    *payload_offset = CSA_FRAME_HEADER_SIZE;
    *payload_len = len - CSA_FRAME_OVERHEAD;
    return -1;
}

void csa_frame_rx_init(csa_frame_rx_t *rx, uint16_t max_frame)
{
    memset(rx, 0, sizeof *rx);
    rx->max_frame = max_frame;
}

CSA_CONFIG_LINK_RAMFUNC static void rx_restart(csa_frame_rx_t *rx)
{
    rx->length = 0;
    rx->encoded = 0;
    rx->remaining = 0;
    rx->zero_pending = false;
    rx->block_is_full = false;
    rx->oversize = false;
    rx->in_run = false;
}

/* Appends one decoded byte; past M the run is oversize and its bytes are only counted. */
CSA_CONFIG_LINK_RAMFUNC static void rx_append(csa_frame_rx_t *rx, uint8_t value)
{
    if (rx->length >= rx->max_frame) {
        rx->oversize = true;
        return;
    }
    rx->frame[rx->length++] = value;
}

CSA_CONFIG_LINK_RAMFUNC static void rx_end_run(csa_frame_rx_t *rx, csa_rx_result_t *result)
{
    int reason;
    if (!rx->in_run) {
        result->status = CSA_RX_EMPTY;
        return;
    }
    result->status = CSA_RX_DROPPED;
#if CSA_CONFIG_CUT_THROUGH
    result->frame_len = rx->length; /* what a frame passed on had, for its end (the forwarder's abort or poison) */
#endif
    if (rx->oversize) {
        result->reason = CSA_DROP_OVERSIZE;
    } else if (rx->remaining != 0u) {
        result->reason = CSA_DROP_MALFORMED; /* a code byte promised more bytes than came */
    } else {
        reason = csa_frame_parse(rx->frame, rx->length, &result->header, &result->payload_offset, &result->payload_len);
        if (reason < 0) {
            result->status = CSA_RX_FRAME;
        } else {
            result->reason = (csa_drop_reason_t)reason;
        }
    }
}

CSA_CONFIG_LINK_RAMFUNC size_t csa_frame_rx_feed(csa_frame_rx_t *rx, const uint8_t *data, size_t len, csa_rx_result_t *result)
{
    /* The longest encoded run that can hold a frame of M bytes (protocol.md section 5, step 2). */
    const uint32_t max_encoded = (uint32_t)rx->max_frame + ((uint32_t)rx->max_frame + 253u) / 254u;
    size_t i;
    result->status = CSA_RX_NEED_MORE;
    if (rx->length == 0u && rx->encoded == 0u && !rx->in_run)
        rx_restart(rx);
    for (i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b == 0u) {
            rx_end_run(rx, result);
            rx_restart(rx);
            return i + 1u;
        }
        rx->in_run = true;
        if (rx->oversize)
            continue; /* discarding up to the delimiter, remembering only that */
        if (++rx->encoded > max_encoded) {
            rx->oversize = true;
            continue;
        }
        if (rx->remaining == 0u) {
            /* A code byte: the block before it implied a zero unless it was full. */
            if (rx->zero_pending)
                rx_append(rx, 0u);
            rx->remaining = (uint8_t)(b - 1u);
            rx->block_is_full = b == 0xFFu;
            rx->zero_pending = rx->remaining == 0u && !rx->block_is_full;
        } else {
            rx_append(rx, b);
            rx->remaining--;
            if (rx->remaining == 0u)
                rx->zero_pending = !rx->block_is_full;
        }
    }
    return len;
}

bool csa_frame_rx_truncate(csa_frame_rx_t *rx)
{
    bool was = rx->in_run;
    rx_restart(rx);
    return was;
}

CSA_CONFIG_LINK_RAMFUNC void csa_frame_send_encoded(const uint8_t *frame, size_t len, void (*write)(void *ctx, const uint8_t *data, size_t n),
                            void *ctx)
{
    /* Block by block: a code byte, then up to 254 non-zero bytes. The chunk is flushed whenever it fills. */
    uint8_t chunk[64];
    size_t used = 0, r = 0;
    for (;;) {
        size_t k = 0;
        while (r + k < len && frame[r + k] != 0u && k < 254u)
            k++;
        {
            bool full = k == 254u;
            bool ends_at_zero = r + k < len && !full; /* frame[r + k] == 0 */
            size_t j;
            if (used == sizeof chunk) {
                write(ctx, chunk, used);
                used = 0;
            }
            chunk[used++] = (uint8_t)(k + 1u);
            for (j = 0; j < k; j++) {
                if (used == sizeof chunk) {
                    write(ctx, chunk, used);
                    used = 0;
                }
                chunk[used++] = frame[r + j];
            }
            r += k;
            if (ends_at_zero) {
                r++; /* the zero is implied by the code */
                continue;
            }
            if (full && r < len)
                continue; /* a full block implies nothing; the data goes on */
            break;        /* the last block (a full block that ends the data adds no trailing 0x01) */
        }
    }
    if (used == sizeof chunk) {
        write(ctx, chunk, used);
        used = 0;
    }
    chunk[used++] = 0u;
    write(ctx, chunk, used);
}
