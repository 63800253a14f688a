#include "csa/csa_rpc_packet.h"

#include "csa_wire.h"

#include <string.h>

const char *csa_rpc_packet_error_name(csa_rpc_packet_error_t error)
{
    switch (error) {
    case CSA_RPC_PACKET_OK: return "None";
    case CSA_RPC_PACKET_TOO_SHORT: return "TooShort";
    case CSA_RPC_PACKET_UNSUPPORTED_VERSION: return "UnsupportedVersion";
    case CSA_RPC_PACKET_UNKNOWN_KIND: return "UnknownKind";
    case CSA_RPC_PACKET_RESERVED_FLAGS: return "ReservedFlags";
    case CSA_RPC_PACKET_MISSING_ERROR_CODE: return "MissingErrorCode";
    default: return "?";
    }
}

csa_rpc_packet_error_t csa_rpc_parse(const uint8_t *packet, size_t len, csa_rpc_header_t *h)
{
    uint8_t kind;
    if (len < CSA_RPC_HEADER_SIZE)
        return CSA_RPC_PACKET_TOO_SHORT;
    if ((packet[0] >> 4) != CSA_RPC_VERSION)
        return CSA_RPC_PACKET_UNSUPPORTED_VERSION;
    kind = (uint8_t)(packet[0] & 0x0Fu);
    if (kind < CSA_RPC_COMMAND || kind > CSA_RPC_EVENT)
        return CSA_RPC_PACKET_UNKNOWN_KIND;
    if ((packet[1] & (uint8_t)~CSA_RPC_FLAG_RESEND) != 0u)
        return CSA_RPC_PACKET_RESERVED_FLAGS;
    if (kind == CSA_RPC_ERROR && len < CSA_RPC_HEADER_SIZE + 2u)
        return CSA_RPC_PACKET_MISSING_ERROR_CODE;
    h->kind = kind;
    h->flags = packet[1];
    h->interface_id = csa_get_u16(packet + 2);
    h->message_id = csa_get_u16(packet + 4);
    h->request_id = csa_get_u16(packet + 6);
    return CSA_RPC_PACKET_OK;
}

void csa_rpc_write_header(uint8_t *out, const csa_rpc_header_t *h)
{
    out[0] = (uint8_t)((CSA_RPC_VERSION << 4) | (h->kind & 0x0Fu));
    out[1] = h->flags;
    csa_put_u16(out + 2, h->interface_id);
    csa_put_u16(out + 4, h->message_id);
    csa_put_u16(out + 6, h->request_id);
}

size_t csa_rpc_write_error(uint8_t *out, size_t cap, const csa_rpc_header_t *request, uint16_t code,
                           const char *message, size_t max_message)
{
    csa_rpc_header_t h;
    size_t n = 0;
    if (cap < CSA_RPC_HEADER_SIZE + 2u)
        return 0;
    h = *request;
    h.kind = CSA_RPC_ERROR;
    h.flags = 0;
    csa_rpc_write_header(out, &h);
    csa_put_u16(out + CSA_RPC_HEADER_SIZE, code);
    if (message != NULL) {
        size_t room = cap - CSA_RPC_HEADER_SIZE - 2u;
        if (max_message < room)
            room = max_message;
        while (n < room && message[n] != '\0')
            n++;
        /* Cut at a character boundary: never leave the lead byte of a multi-byte character without its tail. */
        if (message[n] != '\0') {
            while (n > 0u && ((uint8_t)message[n] & 0xC0u) == 0x80u)
                n--;
        }
        memcpy(out + CSA_RPC_HEADER_SIZE + 2u, message, n);
    }
    return CSA_RPC_HEADER_SIZE + 2u + n;
}
