using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// Makes a running bootloader take its commands in the order they arrive, as a bootloader's single command loop does
/// (and as the host relies on: a FinishUpdate or a GetMissingBlocks sent behind the last Write finds that Write done; a
/// GetVersions sent before BeginUpdate is answered before the erase BeginUpdate starts, docs/updates.md sections 3.1 and
/// 10a). The RPC server decides about each packet in arrival order but runs each command on a task of its own, so two
/// commands that arrive a millisecond apart could run in either order. This reader hands the server a command only once
/// the one before it has been taken (<see cref="Taken"/>): a bootloader command once it has its place in the command
/// gate's queue (first come, first served), any other once it has been answered. A command the server never hands to a
/// service (answered from the response cache, refused Busy), or one that waits long (behind an erase), holds the next
/// one back at most <see cref="Limit"/> of real time (a safety valve of this simulation, not a device timing: it is the
/// same under a virtual clock).
/// </summary>
internal sealed class ArrivalOrder
{
    /// <summary>How long a command is held back for the one before it to be taken.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(20);

    private TaskCompletionSource? _pending;

    /// <summary>A command has been taken: a bootloader command has its place in the command gate's queue, any other was answered.</summary>
    public void Taken() => Volatile.Read(ref _pending)?.TrySetResult();

    /// <summary>The server's view of <paramref name="inner"/>: commands one at a time, each once the one before it was taken.</summary>
    public ChannelReader<InboundPacket> Wrap(ChannelReader<InboundPacket> inner) => new Reader(this, inner);

    private static bool IsCommand(InboundPacket packet) =>
        RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out _, out _) && header.Kind == RpcPacketKind.Command;

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
            Volatile.Write(ref order._pending, IsCommand(item) ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null);
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
