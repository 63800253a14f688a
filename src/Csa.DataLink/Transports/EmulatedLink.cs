using Csa.DataLink.Transports.Internal;

namespace Csa.DataLink.Transports;

/// <summary>
/// Two connected transports with the behaviour of a real serial line between them: per direction a baud rate
/// with 8N1 byte timing, a fixed latency, and seeded frame loss, bit errors, duplication and reordering.
/// For tests and the virtual device: what passes over a 115200 baud cable in the field passes here, at the
/// same pace and with the same kinds of faults, reproducibly. The model is specified in <c>docs/transports.md</c>.
/// </summary>
/// <remarks>
/// <para>The link is delimiter-aware only to choose which chunk to drop, duplicate or reorder: a frame is a
/// non-empty run of bytes ending with 0x00 (the data link's COBS delimiter). Otherwise it carries bytes.</para>
/// <para>When the link is broken (<see cref="Disconnect"/>, either end disposed, or an end completing its
/// output after its last byte arrived) both ends' <c>Input</c> complete without an exception and every later
/// flush of either <c>Output</c> throws <see cref="TransportClosedException"/>. Bytes still on the line are
/// lost. A broken link stays broken: create a new pair to reconnect. To model a serial cable pulled and
/// plugged back in, where the ends stay open and only bytes vanish, use <see cref="CutLine"/> and
/// <see cref="RestoreLine"/>.</para>
/// </remarks>
public sealed class EmulatedLink : IAsyncDisposable
{
    private static int s_nextId;

    private readonly CancellationTokenSource _stop = new();
    private readonly EmulatedChannel _aToB;
    private readonly EmulatedChannel _bToA;
    private readonly Task _completion;
    private string? _closeReason;
    private Exception? _closeError;

    private EmulatedLink(EmulatedLinkOptions options)
    {
        Options = options;
        int id = Interlocked.Increment(ref s_nextId);
        string nameA = $"emulated:{id}/A";
        string nameB = $"emulated:{id}/B";
        _aToB = new EmulatedChannel(this, nameA, options.AToB, options.TimeProvider,
            SeedDerivation.Derive(options.Seed, 0), SeedDerivation.Derive(options.Seed, 1));
        _bToA = new EmulatedChannel(this, nameB, options.BToA, options.TimeProvider,
            SeedDerivation.Derive(options.Seed, 2), SeedDerivation.Derive(options.Seed, 3));
        A = new EmulatedLinkEnd(this, nameA, outgoing: _aToB, incoming: _bToA);
        B = new EmulatedLinkEnd(this, nameB, outgoing: _bToA, incoming: _aToB);

        Task transmitters = Task.WhenAll(_aToB.RunTransmitterAsync(_stop.Token), _bToA.RunTransmitterAsync(_stop.Token));
        _completion = Task.WhenAll(
            transmitters,
            _aToB.RunDeliveryAsync(transmitters, _stop.Token),
            _bToA.RunDeliveryAsync(transmitters, _stop.Token));
    }

    /// <summary>End A: writes go A→B (<see cref="EmulatedLinkOptions.AToB"/>), reads come from B.</summary>
    public ILinkTransport A { get; }

    /// <summary>End B: writes go B→A (<see cref="EmulatedLinkOptions.BToA"/>), reads come from A.</summary>
    public ILinkTransport B { get; }

    /// <summary>What the A→B direction has done so far.</summary>
    public EmulatedLinkCounters AToBCounters => _aToB.Counters;

    /// <summary>What the B→A direction has done so far.</summary>
    public EmulatedLinkCounters BToACounters => _bToA.Counters;

    /// <summary>The options the link was created with.</summary>
    public EmulatedLinkOptions Options { get; }

    /// <summary>False once the link is broken (see <see cref="Disconnect"/>).</summary>
    public bool IsConnected => !_stop.IsCancellationRequested;

    /// <summary>Why the link was broken, or <c>null</c> while it is connected.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Completes when the link is broken and both ends have seen it.</summary>
    public Task Completion => _completion;

    internal bool IsIdle => _aToB.IsIdle && _bToA.IsIdle;

    /// <summary>Creates a connected pair.</summary>
    /// <param name="options">Line behaviour, seed and clock; <c>null</c> for 115200 baud without impairments.</param>
    /// <returns>The link; its ends are <see cref="A"/> and <see cref="B"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static EmulatedLink CreatePair(EmulatedLinkOptions? options = null)
    {
        options ??= new EmulatedLinkOptions();
        options.Validate();
        return new EmulatedLink(options);
    }

    /// <summary>Deconstructs into the two ends: <c>var (a, b) = EmulatedLink.CreatePair(...)</c>.</summary>
    /// <param name="a">End A.</param>
    /// <param name="b">End B.</param>
    public void Deconstruct(out ILinkTransport a, out ILinkTransport b)
    {
        a = A;
        b = B;
    }

    /// <summary>Breaks the link now, mid-transfer if need be, as a cut cable or a dropped TCP connection
    /// would: bytes on the line are lost, both inputs complete, and writes on both ends throw
    /// <see cref="TransportClosedException"/>. Returns at once; <see cref="DisconnectAsync"/> waits until
    /// both ends have seen it.</summary>
    public void Disconnect() => BeginShutdown("the link was disconnected", null);

    /// <summary>
    /// Pulls the cable out, as happens to a serial line: both directions lose the bytes on the line and
    /// every byte sent until <see cref="RestoreLine"/>, but the ends stay open and notice nothing (a UART
    /// has no carrier); only timeouts above tell. The senders' bytes are still clocked out at the baud rate.
    /// Counted in <see cref="EmulatedLinkCounters.BytesLostOnCutLine"/>.
    /// </summary>
    public void CutLine()
    {
        _aToB.SetLineCut(true);
        _bToA.SetLineCut(true);
    }

    /// <summary>Plugs the cable back in after <see cref="CutLine"/>: bytes sent from now on arrive again. The
    /// receiver may first see the tail of a frame that was cut in half; the data link resynchronises at the
    /// next delimiter.</summary>
    public void RestoreLine()
    {
        _aToB.SetLineCut(false);
        _bToA.SetLineCut(false);
    }

    /// <summary>Breaks the link (see <see cref="Disconnect"/>) and waits until both ends have seen it.</summary>
    /// <returns>A task that completes when both ends' pipes are completed.</returns>
    public Task DisconnectAsync()
    {
        Disconnect();
        return _completion;
    }

    /// <summary>Breaks the link and waits for it to wind down.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginShutdown("the link was disposed", null);
        await _completion.ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{A.Name} <-> {B.Name}";

    internal void BeginShutdown(string reason, Exception? error)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        Volatile.Write(ref _closeError, error);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: already stopped.
        }
    }

    internal TransportClosedException ClosedException(string endName)
    {
        string reason = Volatile.Read(ref _closeReason) ?? "the link is closed";
        return new TransportClosedException(endName, $"the emulated link is broken: {reason}", Volatile.Read(ref _closeError));
    }
}
