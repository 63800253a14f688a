using System.IO.Pipelines;
using Csa.DataLink;

namespace Csa.Cli.Simulation;

/// <summary>
/// Joins two byte streams both ways, byte for byte: how a C device process (reached over a loopback TCP connection)
/// sits on a simulated cable (an emulated UART line or an in-memory pipe) between C# devices. The bridge adds no delay
/// of its own that a cable would show; the cable's baud rate and latency stay the only ones.
/// </summary>
internal sealed class TransportBridge : IAsyncDisposable
{
    private readonly ILinkTransport _a;
    private readonly ILinkTransport _b;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pumps;
    private int _disposed;

    public TransportBridge(ILinkTransport a, ILinkTransport b)
    {
        _a = a;
        _b = b;
        _pumps = Task.WhenAll(PumpAsync(a.Input, b.Output, _stop.Token), PumpAsync(b.Input, a.Output, _stop.Token));
    }

    private static async Task PumpAsync(PipeReader from, PipeWriter to, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                ReadResult read = await from.ReadAsync(stop).ConfigureAwait(false);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                    await to.WriteAsync(segment, stop).ConfigureAwait(false);
                from.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException or DataLinkException)
        {
            // One side went away (the device process ended, the simulation stops): the bridge ends with it.
        }
    }

    /// <summary>Stops both directions and disposes both ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pumps.ConfigureAwait(false);
        _stop.Dispose();
        await _a.DisposeAsync().ConfigureAwait(false);
        await _b.DisposeAsync().ConfigureAwait(false);
    }
}
