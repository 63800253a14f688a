using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink;

namespace Csa.Firmware.Tests.Support;

/// <summary>Joins two transports byte for byte (an emulated line's end to a TCP connection to a C device).</summary>
internal sealed class Bridge : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pumps;

    public Bridge(ILinkTransport a, ILinkTransport b)
    {
        _pumps = Task.WhenAll(PumpAsync(a.Input, b.Output, _stop.Token), PumpAsync(b.Input, a.Output, _stop.Token));
    }

    private static async Task PumpAsync(PipeReader from, PipeWriter to, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                ReadResult read = await from.ReadAsync(stop);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                    await to.WriteAsync(segment, stop);
                from.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or DataLinkException)
        {
            // the bridge is taken down with its test
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pumps;
        _stop.Dispose();
    }
}
