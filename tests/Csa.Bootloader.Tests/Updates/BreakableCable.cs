using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink;
using Csa.DataLink.Transports;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// A cable whose host half can be unplugged and plugged in again, as a USB-serial adapter between the host and a
/// device's UART: the device's end never changes (it only hears silence while the host half is out), the host sees its
/// link close and must open a new one. Bytes the device sends while the host half is out are lost.
/// </summary>
internal sealed class BreakableCable : IAsyncDisposable
{
    private readonly InMemoryTransport _relayEnd;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _fromDevice;
    private readonly object _gate = new();
    private readonly string _name;
    private InMemoryTransport? _hostHalf; // the relay's side of the plugged-in host half
    private int _generation;

    public BreakableCable(string name)
    {
        _name = name;
        (InMemoryTransport relayEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"{name}-device");
        _relayEnd = relayEnd;
        DeviceEnd = deviceEnd;
        _fromDevice = Task.Run(PumpFromDeviceAsync);
    }

    /// <summary>The end to plug into the device (its upstream wire).</summary>
    public ILinkTransport DeviceEnd { get; }

    /// <summary>How many times a host half was plugged in.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Plugs a new host half in and returns the host's end of it.</summary>
    public ILinkTransport PlugHostHalf()
    {
        int generation = Interlocked.Increment(ref _generation);
        (InMemoryTransport hostEnd, InMemoryTransport relaySide) = InMemoryTransport.CreatePair($"{_name}-host{generation}");
        lock (_gate)
            _hostHalf = relaySide;
        _ = Task.Run(() => PumpFromHostAsync(relaySide));
        return hostEnd;
    }

    /// <summary>Pulls the host half out: the host's link ends.</summary>
    public async Task UnplugHostHalfAsync()
    {
        InMemoryTransport? half;
        lock (_gate)
        {
            half = _hostHalf;
            _hostHalf = null;
        }
        if (half is not null)
            await half.DisposeAsync();
    }

    private async Task PumpFromDeviceAsync()
    {
        PipeReader input = _relayEnd.Input;
        var fromDevice = new List<byte>();
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(_stop.Token);
                InMemoryTransport? half;
                lock (_gate)
                    half = _hostHalf;
                if (half is not null && !result.Buffer.IsEmpty)
                {
                    try
                    {
                        if (DropFromDevice is { } drop)
                            await RelayFramesAsync(result.Buffer, fromDevice, drop, half.Output);
                        else
                            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                                await half.Output.WriteAsync(segment, _stop.Token);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException)
                    {
                        // Unplugged meanwhile: the bytes are lost, as on a real cable.
                    }
                }
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    return;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// When set, every whole frame the host sends (COBS-decoded, delimiter removed) is offered to it first and
    /// dropped when it returns true: a frame lost on the wire, chosen by content.
    /// </summary>
    public Func<byte[], bool>? DropFromHost { get; set; }

    private async Task PumpFromHostAsync(InMemoryTransport half)
    {
        PipeReader input = half.Input;
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(_stop.Token);
                if (DropFromHost is { } drop)
                    await RelayFramesAsync(result.Buffer, pending, drop, _relayEnd.Output);
                else
                    foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                        await _relayEnd.Output.WriteAsync(segment, _stop.Token);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            // Unplugged or disposed.
        }
    }

    /// <summary>Like <see cref="DropFromHost"/>, for every whole frame the device sends towards the host.</summary>
    public Func<byte[], bool>? DropFromDevice { get; set; }

    /// <summary>Passes on each whole frame (with its delimiter) that <paramref name="drop"/> does not take; keeps a partial one.</summary>
    private async Task RelayFramesAsync(ReadOnlySequence<byte> bytes, List<byte> pending, Func<byte[], bool> drop, PipeWriter output)
    {
        var frames = new List<byte[]>();
        foreach (byte b in bytes.ToArray())
        {
            pending.Add(b);
            if (b != 0)
                continue;
            byte[] encoded = [.. pending];
            pending.Clear();
            if (encoded.Length == 1 || !drop(CobsDecode(encoded.AsSpan(0, encoded.Length - 1))))
                frames.Add(encoded);
        }
        foreach (byte[] frame in frames)
            await output.WriteAsync(frame, _stop.Token);
    }

    /// <summary>COBS decoding (docs/protocol.md §3.1), enough to look at a frame's header; garbage decodes to garbage.</summary>
    private static byte[] CobsDecode(ReadOnlySpan<byte> encoded)
    {
        var decoded = new List<byte>(encoded.Length);
        int i = 0;
        while (i < encoded.Length)
        {
            int code = encoded[i++];
            for (int k = 1; k < code && i < encoded.Length; k++)
                decoded.Add(encoded[i++]);
            if (code < 0xFF && i < encoded.Length)
                decoded.Add(0);
        }
        return [.. decoded];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await UnplugHostHalfAsync();
        await _relayEnd.DisposeAsync();
        try
        {
            await _fromDevice;
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
        }
    }
}
