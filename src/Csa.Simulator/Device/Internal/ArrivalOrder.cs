using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// Makes the bootloader take its commands in the order they arrive, as a bootloader's single command loop does (and
/// as the host relies on: a FinishUpdate or a GetMissingBlocks sent behind the last Write finds that Write done,
/// docs/updates.md sections 3 and 10a). The RPC server decides about each packet in arrival order but runs each command
/// on a task of its own, so two commands that arrive a millisecond apart could reach the bootloader's command gate in
/// either order. This reader hands the server a bootloader command only once the one before it has taken its place in
/// the gate's queue (<see cref="Queued"/>), which is first come, first served. A command the server never hands to the
/// bootloader (answered from the response cache, refused Busy) holds the next one back at most <see cref="Limit"/>
/// of real time (a safety valve of this simulation, not a device timing: it is the same under a virtual clock).
/// </summary>
internal sealed class ArrivalOrder
{
    /// <summary>How long a bootloader command is held back for the one before it to reach the bootloader's queue.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(20);

    private TaskCompletionSource? _pending;

    /// <summary>A bootloader command has taken its place in the command gate's queue.</summary>
    public void Queued() => Volatile.Read(ref _pending)?.TrySetResult();

    /// <summary>The server's view of <paramref name="inner"/>: bootloader commands one at a time into the gate's queue.</summary>
    public ChannelReader<InboundPacket> Wrap(ChannelReader<InboundPacket> inner) => new Reader(this, inner);

    private static bool IsBootloaderCommand(InboundPacket packet) =>
        RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out _, out _)
        && header.Kind == RpcPacketKind.Command && header.InterfaceId == BootloaderInterface.Id;

    private sealed class Reader(ArrivalOrder order, ChannelReader<InboundPacket> inner) : ChannelReader<InboundPacket>
    {
        public override Task Completion => inner.Completion;

        public override bool TryRead([MaybeNullWhen(false)] out InboundPacket item)
        {
            if (Volatile.Read(ref order._pending) is { Task.IsCompleted: false })
            {
                item = default;
                return false; // the reader waits for it in WaitToReadAsync
            }
            if (!inner.TryRead(out item))
                return false;
            Volatile.Write(ref order._pending, IsBootloaderCommand(item) ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null);
            return true;
        }

        public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref order._pending) is { Task.IsCompleted: false } pending)
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(pending.Task, Task.Delay(Limit, stop.Token)).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                Volatile.Write(ref order._pending, null);
            }
            return await inner.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

}
