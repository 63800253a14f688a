using System.Net;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Firmware.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// One member of a chain: which implementation, the product it is built as, its factory images, and for a C member more
/// csa-device options (<c>CArguments</c>, e.g. its flash timing: later options win over the suite's).
/// </summary>
internal sealed record ChainMember(DeviceImplementation Implementation, ConformanceProduct Product, FactoryImages Factory, IReadOnlyList<string>? CArguments = null);

/// <summary>
/// A daisy chain of devices under test of both implementations, mixed in any order, behind one host link: the host's
/// link is the first device's (<see cref="IDeviceUnderTest.Link"/>), and each further hop joins one device's downstream
/// wire to the next one's upstream wire. A C device's downstream is its <c>--downstream tcp:</c> connection to a
/// listener of the chain, its upstream its own TCP listener; a C# device's wires are in-memory cables. One hop may be an
/// emulated line that loses, duplicates or reorders frames (both ways). What a test does then goes through the host
/// SDK only, as on a production line with a chain of boards.
/// </summary>
internal sealed class ConformanceChain : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _wiring = [];
    private readonly List<IDeviceUnderTest> _members = [];

    private ConformanceChain()
    {
    }

    /// <summary>The devices, in chain order.</summary>
    public IReadOnlyList<IDeviceUnderTest> Members => _members;

    public DeviceNetwork Network { get; private set; } = null!;

    public FirmwareUpdater Updater { get; private set; } = null!;

    /// <summary>The devices as discovered, in chain order.</summary>
    public IReadOnlyList<DeviceInfo> Devices { get; private set; } = [];

    /// <summary>The emulated line of the impaired hop, when there is one (its counters say what it did).</summary>
    public EmulatedLink? ImpairedLink => _impaired?.Line;

    private ImpairableHop? _impaired;

    /// <summary>
    /// Takes the impaired hop's emulated line out again (a clean wire), so what the test reads afterwards is not at the
    /// line's mercy. The chain starts with it clean too, for its enumeration (which nothing repairs, protocol.md 7.4),
    /// and puts it in once every member is discovered.
    /// </summary>
    public void Heal() => _impaired?.Route(impaired: false);

    /// <summary>
    /// Starts every member from its factory state, wires the chain and discovers it. <paramref name="impairedHop"/>: the
    /// hop (1 = between member 0 and member 1, ...) that is an emulated line with <paramref name="impairment"/>.
    /// </summary>
    public static async Task<ConformanceChain> StartAsync(IReadOnlyList<ChainMember> members, UpdateOptions options, ILoggerFactory? logging = null,
        int impairedHop = 0, EmulatedChannelOptions? impairment = null, int seed = 0, CancellationToken cancellationToken = default)
    {
        if (impairedHop < 0 || impairedHop >= members.Count || (impairedHop == 0) != (impairment is null))
            throw new ArgumentException("An impairment needs a hop between two members (1 .. count - 1).", nameof(impairedHop));
        var chain = new ConformanceChain();
        try
        {
            // A C device that has a next member connects its downstream wire to a listener of ours.
            var listeners = new TcpLinkListener?[members.Count];
            for (int i = 0; i < members.Count; i++)
            {
                ChainMember m = members[i];
                if (m.Implementation == DeviceImplementation.C && i + 1 < members.Count)
                {
                    listeners[i] = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
                    chain._wiring.Add(listeners[i]!);
                }
                IDeviceUnderTest dut = m.Implementation == DeviceImplementation.C
                    ? await CDeviceUnderTest.StartAsync(m.Product, m.Factory, null,
                        [.. listeners[i] is { } l ? ["--downstream", $"tcp:127.0.0.1:{l.LocalEndPoint.Port}"] : Array.Empty<string>(), .. m.CArguments ?? []])
                    : await VirtualDeviceUnderTest.StartAsync(m.Product, m.Factory, null);
                chain._members.Add(dut);
            }
            for (int hop = 1; hop < members.Count; hop++)
                await chain.WireAsync(hop, listeners[hop - 1], hop == impairedHop ? impairment : null, seed, cancellationToken);

            chain.Network = await DeviceNetwork.ConnectAsync([chain._members[0].Link], new DeviceNetworkOptions
            {
                Retry = new() { Timeout = TimeSpan.FromSeconds(1), Attempts = 3 },
                // The DeviceNetwork's own default: a C device forwards from its main loop, which on a loaded test machine
                // also saves its whole flash file after every flash operation, so a join's answer from behind a C device
                // that is being written to may take a few hundred milliseconds (a chip forwards from its receive ring).
                LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
                LoggerFactory = logging ?? NullLoggerFactory.Instance,
            }, cancellationToken);
            if (logging is not null)
                options = options with { LoggerFactory = logging };
            chain.Updater = new FirmwareUpdater(chain.Network, options);
            chain.Devices = await chain.Network.DiscoverAsync(cancellationToken);
            Assert.Equal(members.Select(m => m.Product.Uid), chain.Devices.Select(d => d.Uid));
            chain._impaired?.Route(impaired: true);
            return chain;
        }
        catch
        {
            await chain.DisposeAsync();
            throw;
        }
    }

    /// <summary>Joins member hop-1's downstream wire to member hop's upstream wire, through an emulated line when impaired.</summary>
    private async Task WireAsync(int hop, TcpLinkListener? listener, EmulatedChannelOptions? impairment, int seed, CancellationToken cancellationToken)
    {
        IDeviceUnderTest upper = _members[hop - 1], lower = _members[hop];
        ILinkTransport upperEnd, lowerEnd;
        if (upper is VirtualDeviceUnderTest v)
        {
            (InMemoryTransport device, InMemoryTransport far) = InMemoryTransport.CreatePair($"hop{hop}-down");
            v.Device.AttachDownstream(device);
            upperEnd = far;
        }
        else
        {
            upperEnd = await listener!.AcceptAsync(cancellationToken);
            _wiring.Add(upperEnd);
        }
        if (lower is VirtualDeviceUnderTest w)
        {
            (InMemoryTransport device, InMemoryTransport far) = InMemoryTransport.CreatePair($"hop{hop}-up");
            w.Device.AttachUpstream(device);
            lowerEnd = far;
        }
        else
        {
            lowerEnd = await TcpTransport.ConnectAsync("127.0.0.1", ((CDeviceUnderTest)lower).Process.TcpPort, cancellationToken: cancellationToken);
            _wiring.Add(lowerEnd);
        }
        if (impairment is null)
        {
            _wiring.Add(new Bridge(upperEnd, lowerEnd));
            return;
        }
        _impaired = new ImpairableHop(upperEnd, lowerEnd, EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(impairment, seed)));
        _wiring.Add(_impaired);
    }

    public async ValueTask DisposeAsync()
    {
        if (Network is not null)
            await Network.DisposeAsync();
        // The bridges first (they stop pumping), then the devices, then what is left of the wires.
        for (int i = _wiring.Count - 1; i >= 0; i--)
        {
            if (_wiring[i] is Bridge or ImpairableHop)
                await _wiring[i].DisposeAsync();
        }
        foreach (IDeviceUnderTest member in _members)
            await member.DisposeAsync();
        for (int i = _wiring.Count - 1; i >= 0; i--)
        {
            if (_wiring[i] is not (Bridge or ImpairableHop))
                await _wiring[i].DisposeAsync();
        }
    }
}

/// <summary>
/// A hop that is a clean wire or an emulated line, switched between frames: each direction's bytes go straight to the
/// far end, or through the line, and what comes out of the line goes to the far end too. Switched while the chain is
/// quiet (no heartbeats in the suite), so no frame is split between the two ways.
/// </summary>
internal sealed class ImpairableHop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _toUpper = new(1, 1), _toLower = new(1, 1);
    private readonly Task _pumps;
    private volatile bool _impaired;

    public ImpairableHop(ILinkTransport upper, ILinkTransport lower, EmulatedLink line)
    {
        Line = line;
        _pumps = Task.WhenAll(
            PumpAsync(upper.Input, () => _impaired ? (line.A.Output, null) : (lower.Output, _toLower)),
            PumpAsync(line.B.Input, () => (lower.Output, _toLower)),
            PumpAsync(lower.Input, () => _impaired ? (line.B.Output, null) : (upper.Output, _toUpper)),
            PumpAsync(line.A.Input, () => (upper.Output, _toUpper)));
    }

    public EmulatedLink Line { get; }

    public void Route(bool impaired) => _impaired = impaired;

    private async Task PumpAsync(System.IO.Pipelines.PipeReader from, Func<(System.IO.Pipelines.PipeWriter To, SemaphoreSlim? Shared)> target)
    {
        try
        {
            while (true)
            {
                System.IO.Pipelines.ReadResult read = await from.ReadAsync(_stop.Token);
                (System.IO.Pipelines.PipeWriter to, SemaphoreSlim? shared) = target();
                if (shared is not null)
                    await shared.WaitAsync(_stop.Token);
                try
                {
                    foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                        await to.WriteAsync(segment, _stop.Token);
                }
                finally
                {
                    shared?.Release();
                }
                from.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or DataLinkException)
        {
            // the hop is taken down with its test
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pumps;
        await Line.DisposeAsync();
        _stop.Dispose();
        _toUpper.Dispose();
        _toLower.Dispose();
    }
}
