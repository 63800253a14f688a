using Csa.DataLink;
using Microsoft.Extensions.Time.Testing;

namespace Csa.Rpc.Tests.Support;

public static class TestHelpers
{
    /// <summary>Only a guard against hangs; never a performance limit.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>Advances fake time in steps until <paramref name="task"/> finishes (or the guard trips).</summary>
    public static async Task<T> DriveAsync<T>(this FakeTimeProvider time, Task<T> task, TimeSpan step)
    {
        DateTime giveUp = DateTime.UtcNow + HangGuard;
        while (!task.IsCompleted && DateTime.UtcNow < giveUp)
        {
            time.Advance(step);
            await Task.Delay(2);
        }
        return await task.WaitAsync(HangGuard);
    }

    /// <summary>Waits (real time, bounded by the hang guard) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, FakeTimeProvider? time = null, TimeSpan step = default)
    {
        DateTime giveUp = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            if (DateTime.UtcNow > giveUp)
                throw new TimeoutException("The condition did not become true within the hang guard.");
            if (time is not null)
                time.Advance(step);
            await Task.Delay(2);
        }
    }

    public static async Task<InboundPacket> ReceiveAsync(this FakePacketSocket socket) =>
        await socket.Inbound.ReadAsync().AsTask().WaitAsync(HangGuard);

    public static RpcPacketHeader Header(this InboundPacket packet)
    {
        Assert.True(RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out _, out RpcPacketError error), error.ToString());
        return header;
    }

    public static RpcPacketHeader Header(this SentPacket packet)
    {
        Assert.True(RpcPacket.TryParse(packet.Bytes, out RpcPacketHeader header, out _, out RpcPacketError error), error.ToString());
        return header;
    }

    public static (ushort Code, string Message) Error(this InboundPacket packet)
    {
        Assert.True(RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out _));
        Assert.Equal(RpcPacketKind.Error, header.Kind);
        Assert.True(RpcPacket.TryReadError(payload.Span, out ushort code, out string message));
        return (code, message);
    }

    public static byte[] Command(ushort interfaceId, ushort commandId, ushort requestId, ReadOnlySpan<byte> payload, RpcPacketFlags flags = RpcPacketFlags.None)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        RpcPacket.Write(output, new RpcPacketHeader(RpcPacketKind.Command, flags, interfaceId, commandId, requestId), payload);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Encode<T>(T message)
        where T : IRpcMessage<T>
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new RpcWriter(output);
        message.Write(ref writer);
        return output.WrittenSpan.ToArray();
    }
}
