using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>
/// What identifies the content of a request, so a cached answer is replayed only to a true repeat: a new request
/// that happens to reuse an id (a restarted host) differs in command or payload and is executed instead.
/// CRC-32/MPEG-2, because a device computes it in hardware.
/// </summary>
internal readonly record struct RequestFingerprint(ushort InterfaceId, ushort CommandId, int Length, uint Crc)
{
    public static RequestFingerprint Of(in RpcPacketHeader header, ReadOnlySpan<byte> payload) =>
        new(header.InterfaceId, header.MessageId, payload.Length, Crc32Mpeg2.Compute(payload));
}
