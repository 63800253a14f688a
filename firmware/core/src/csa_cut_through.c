/*
 * Cut-through forwarding (protocol.md 6.3.1): a frame for another node goes out while it arrives.
 *
 * The link's receive buffer already holds the decoded frame as it arrives (csa_frame_rx_t), so passing it on needs
 * no buffer of its own: a canonical COBS encoder walks the decoded bytes behind the decoder, keeping the last 4 back
 * (only the delimiter tells that they are the CRC), and writes each block when it closes (at a zero byte, or after
 * 254 non-zero bytes). hop_limit is at least 2 on arrival and at least 1 when sent, so no zero byte moves and the
 * blocks out end where the blocks in did, but for the last. At the delimiter the CRC is checked as for any frame; the
 * last block carries the new CRC, inverted when the received one was wrong (poisoned), so the next node drops it.
 * A frame that cannot end well (oversize, malformed, stalled, a link gone, or a local frame that needs the outgoing
 * link) is aborted with 02 00; if it then ends intact, the node forwards it whole at its end, store-and-forward.
 */
#include "csa_node_internal.h"

#include "csa/csa_crc32.h"
#include "csa_wire.h"

#include <string.h>

#if CSA_CONFIG_CUT_THROUGH

#define COBS_FULL_BLOCK 254u

static void ct_reset(csa_cut_through_t *ct)
{
    uint32_t last = ct->last_byte_ms;
    memset(ct, 0, sizeof *ct);
    ct->last_byte_ms = last;
}

void csa_node_set_cut_through(csa_node_t *node, bool on)
{
    node->cut_through = on;
}

/* The one link a frame with this header would be forwarded to (protocol.md 6.3, rules 1-4, routes as known now), or
   CSA_LINK_LOCAL when it is not passed on while it arrives (6.3.1 rule 1). */
static uint8_t ct_outgoing_link(const csa_node_t *node, uint8_t in, const uint8_t *header)
{
    uint8_t dst = header[2], route = CSA_LINK_LOCAL, out = CSA_LINK_LOCAL;
    unsigned i, count = 0;
    if ((header[0] >> 4) != CSA_PROTOCOL_VERSION || (header[0] & 0x0Eu) != 0u || header[4] == CSA_ADDR_BROADCAST)
        return CSA_LINK_LOCAL; /* dropped at its end whatever its CRC (section 5 steps 7-8) */
    if (dst == node->address || (dst == CSA_ADDR_UNASSIGNED && node->address == CSA_ADDR_UNASSIGNED))
        return CSA_LINK_LOCAL; /* consumed here */
    if (node->link_count <= 1u || header[1] <= 1u)
        return CSA_LINK_LOCAL;
    if (csa_addr_is_routable(dst)) {
        route = csa_node_route(node, dst);
        if (route != CSA_LINK_LOCAL && (route == in || !node->links[route].open))
            return CSA_LINK_LOCAL;
    }
    for (i = 0; i < node->link_count; i++) {
        const csa_link_t *link = &node->links[i];
        if (i == in || !link->open || (route != CSA_LINK_LOCAL && i != route))
            continue;
        if (dst == CSA_ADDR_UNASSIGNED && link->role != CSA_LINK_DOWNSTREAM)
            continue;
        out = (uint8_t)i;
        count++;
    }
    if (count != 1u)
        return CSA_LINK_LOCAL; /* nowhere, or several links: stored and forwarded at its end */
    for (i = 0; i < node->link_count; i++) {
        if (node->links[i].ct.state == CSA_CT_PASSING && node->links[i].ct.out == out)
            return CSA_LINK_LOCAL; /* another link's frame holds it (a node of three or more links) */
    }
    return out;
}

/* Writes frame[from, to) with the forwarded hop limit at offset 1, through a small chunk like the frame sender. */
static void ct_write_block(csa_node_t *node, csa_cut_through_t *ct, const uint8_t *frame, size_t from, size_t to)
{
    uint8_t chunk[64];
    size_t used = 0, i;
    if (!ct->written) {
        csa_node_begin_burst(node, ct->out);
        ct->written = true;
    }
    chunk[used++] = (uint8_t)(to - from + 1u); /* the code byte */
    for (i = from; i < to; i++) {
        if (used == sizeof chunk) {
            csa_node_link_write(node, ct->out, chunk, used);
            used = 0;
        }
        chunk[used++] = i == 1u ? ct->hop_limit : frame[i];
    }
    csa_node_link_write(node, ct->out, chunk, used);
}

/* Feeds decoded bytes [scanned, limit) to the encoder: every block that closes on the way is written. */
static void ct_encode(csa_node_t *node, csa_cut_through_t *ct, const uint8_t *frame, size_t limit)
{
    size_t i;
    for (i = ct->scanned; i < limit; i++) {
        if (frame[i] == 0u) {
            ct_write_block(node, ct, frame, ct->block, i); /* the zero is implied by the code */
            ct->block = (uint16_t)(i + 1u);
            ct->full_block = false;
        } else if (i + 1u - ct->block == COBS_FULL_BLOCK) {
            ct_write_block(node, ct, frame, ct->block, i + 1u);
            ct->block = (uint16_t)(i + 1u);
            ct->full_block = true;
        }
    }
    ct->scanned = (uint16_t)limit;
}

/* Rule 5: 02 00 ends what went out as a run every receiver rejects; the frame is forwarded whole at its end if it
   ends intact. Nothing was written yet: nothing to undo. */
static void ct_abort(csa_node_t *node, csa_cut_through_t *ct, bool can_write)
{
    static const uint8_t abort_run[2] = {0x02u, 0x00u};
    csa_link_t *out = &node->links[ct->out];
    if (ct->written) {
        if (can_write)
            csa_node_link_write(node, ct->out, abort_run, sizeof abort_run);
        out->counters.frames_poisoned++;
        out->sent_before = true;
        out->last_tx_ms = node->now;
    }
    ct->state = CSA_CT_STORE;
}

void csa_ct_progress(csa_node_t *node, uint8_t in)
{
    csa_link_t *link = &node->links[in];
    csa_cut_through_t *ct = &link->ct;
    if (ct->state == CSA_CT_UNDECIDED && link->rx.length >= CSA_FRAME_HEADER_SIZE) {
        uint8_t out = node->cut_through ? ct_outgoing_link(node, in, link->rx.frame) : CSA_LINK_LOCAL;
        ct->state = out == CSA_LINK_LOCAL ? CSA_CT_STORE : CSA_CT_PASSING;
        ct->out = out;
        ct->hop_limit = (uint8_t)(link->rx.frame[1] - 1u);
    }
    if (ct->state != CSA_CT_PASSING)
        return;
    if (link->rx.oversize) {
        ct_abort(node, ct, true); /* at once: the delimiter may be far away (rule 5) */
        return;
    }
    if (link->rx.length > CSA_FRAME_CRC_SIZE)
        ct_encode(node, ct, link->rx.frame, link->rx.length - CSA_FRAME_CRC_SIZE);
}

bool csa_ct_end(csa_node_t *node, uint8_t in, const csa_rx_result_t *r)
{
    csa_link_t *link = &node->links[in];
    csa_cut_through_t *ct = &link->ct;
    bool intact = r->status == CSA_RX_FRAME, passed = false;
    if (ct->state == CSA_CT_PASSING) {
        if (intact || (r->status == CSA_RX_DROPPED && r->reason == CSA_DROP_CRC_MISMATCH)) {
            /* The last block holds the new CRC (inverted for a bad frame: never the received one, rule 4). */
            uint8_t *frame = link->rx.frame;
            size_t len = r->frame_len, body = len - CSA_FRAME_CRC_SIZE;
            csa_link_t *out = &node->links[ct->out];
            uint32_t crc = csa_crc32_update(CSA_CRC32_INIT, frame, 1u);
            static const uint8_t delimiter = 0u;
            crc = csa_crc32_update(crc, &ct->hop_limit, 1u);
            crc = csa_crc32_update(crc, frame + 2u, body - 2u);
            csa_put_u32(frame + body, intact ? crc : ~crc);
            ct_encode(node, ct, frame, len);
            if (!(ct->full_block && ct->block == len))
                ct_write_block(node, ct, frame, ct->block, len); /* none after a full block that ends the data */
            csa_node_link_write(node, ct->out, &delimiter, 1u);
            out->sent_before = true;
            out->last_tx_ms = node->now;
            out->counters.frames_sent++;
            if (intact) {
                out->counters.frames_forwarded++;
                out->counters.frames_cut_through++;
                passed = true;
            } else {
                out->counters.frames_poisoned++;
            }
        } else {
            ct_abort(node, ct, true); /* malformed: a block promised more bytes than came, or under 13 bytes */
        }
    }
    ct_reset(ct);
    return passed;
}

void csa_ct_yield(csa_node_t *node, uint8_t out)
{
    unsigned i;
    for (i = 0; i < node->link_count; i++) {
        csa_cut_through_t *ct = &node->links[i].ct;
        if (ct->state == CSA_CT_PASSING && ct->out == out)
            ct_abort(node, ct, true);
    }
}

void csa_ct_link_closed(csa_node_t *node, uint8_t index)
{
    unsigned i;
    for (i = 0; i < node->link_count; i++) {
        csa_cut_through_t *ct = &node->links[i].ct;
        if (ct->state == CSA_CT_PASSING && ct->out == index)
            ct_abort(node, ct, false); /* nothing more can be written to it */
    }
    if (node->links[index].ct.state == CSA_CT_PASSING)
        ct_abort(node, &node->links[index].ct, true); /* its frame will never end */
    ct_reset(&node->links[index].ct);
}

void csa_ct_poll(csa_node_t *node)
{
    unsigned i;
    for (i = 0; i < node->link_count; i++) {
        csa_cut_through_t *ct = &node->links[i].ct;
        if (ct->state == CSA_CT_PASSING &&
            (uint32_t)(node->now - ct->last_byte_ms) >= (uint32_t)CSA_CONFIG_CUT_THROUGH_STALL_MS)
            ct_abort(node, ct, true);
    }
}

#endif /* CSA_CONFIG_CUT_THROUGH */
