using System.Buffers.Binary;
using Csa.Rpc;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// What a decoded frame seen on a cable carries, for the tests that drop or count frames by content
/// (<see cref="Rig.DropFromHost"/>, <see cref="Rig.DropFromDevice"/>): a one-frame packet whose payload is an RPC packet.
/// The frame header is 9 bytes (docs/protocol.md section 4: dst_port at 3), then the 8-byte RPC header
/// (docs/rpc-packets.md: kind in the low four bits of its byte 0, interface id at 2 and message id at 4, both u16 LE),
/// then the message's fields.
/// </summary>
internal static class RpcFrames
{
    private const int RpcHeader = 9;
    private const int Fields = RpcHeader + 8;

    /// <summary>The RPC port of a device (docs/protocol.md section 2): commands go to it, and the host answers from its own.</summary>
    private const byte DeviceRpcPort = 0x01;

    /// <summary>A command to a device's RPC port for <paramref name="interfaceId"/>'s <paramref name="commandId"/>.</summary>
    public static bool IsCommand(byte[] frame, ushort interfaceId, ushort commandId) =>
        frame.Length >= Fields && frame[3] == DeviceRpcPort && Is(frame, RpcPacketKind.Command, interfaceId, commandId);

    /// <summary>A successful answer to <paramref name="interfaceId"/>'s <paramref name="commandId"/>.</summary>
    public static bool IsResponse(byte[] frame, ushort interfaceId, ushort commandId) =>
        frame.Length >= Fields && Is(frame, RpcPacketKind.Response, interfaceId, commandId);

    /// <summary>The command id of a command to <paramref name="interfaceId"/>, else null.</summary>
    public static ushort? CommandOf(byte[] frame, ushort interfaceId) =>
        frame.Length >= Fields && frame[3] == DeviceRpcPort && (RpcPacketKind)(frame[RpcHeader] & 0x0F) == RpcPacketKind.Command
        && BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(RpcHeader + 2)) == interfaceId
            ? BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(RpcHeader + 4))
            : null;

    /// <summary>The message's byte at <paramref name="index"/> of its fields (e.g. Reset's mode at 0); null when the frame is shorter.</summary>
    public static byte? Field(byte[] frame, int index) => frame.Length > Fields + index ? frame[Fields + index] : null;

    /// <summary>The message's u32 LE field at <paramref name="index"/> (e.g. a Write's offset at 0).</summary>
    public static uint U32(byte[] frame, int index) => BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(Fields + index));

    private static bool Is(byte[] frame, RpcPacketKind kind, ushort interfaceId, ushort messageId) =>
        (RpcPacketKind)(frame[RpcHeader] & 0x0F) == kind
        && BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(RpcHeader + 2)) == interfaceId
        && BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(RpcHeader + 4)) == messageId;
}
