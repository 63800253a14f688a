using System.Collections.Concurrent;
using Csa.DataLink;

namespace Csa.Rpc.Tests.Support;

/// <summary>How the fake network mistreats packets. Every random decision comes from one seeded generator.</summary>
public sealed record FakeNetworkOptions
{
    /// <summary>Seed of the generator that decides loss, duplication and delay.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Probability that a packet is lost.</summary>
    public double LossRate { get; init; }

    /// <summary>Probability that a delivered packet arrives twice.</summary>
    public double DuplicationRate { get; init; }

    /// <summary>Each copy is delayed by a random time up to this (real time); later packets can overtake earlier ones.</summary>
    public TimeSpan MaxDelay { get; init; }

    /// <summary>When set, packets occupy a serial wire per direction (see <see cref="LinkPacing"/>); loss and delay still apply.</summary>
    public LinkPacing? Pacing { get; init; }
}

/// <summary>What the interceptor decides for one packet.</summary>
public enum PacketFate
{
    /// <summary>Apply the network's normal treatment.</summary>
    Deliver,

    /// <summary>Lose it.</summary>
    Drop,
}

/// <summary>One packet seen on the fake network.</summary>
public sealed record SentPacket(Endpoint Source, Endpoint Destination, byte[] Bytes);

/// <summary>
/// An in-memory packet network for tests and benchmarks: sockets bound to endpoints exchange whole packets with
/// optional loss, duplication, delay (reordering) and serial-link pacing, and nodes advertise capabilities.
/// </summary>
public sealed class FakePacketNetwork
{
    private readonly ConcurrentDictionary<Endpoint, FakePacketSocket> _sockets = new();
    private readonly ConcurrentDictionary<NodeAddress, NodeCapabilities> _capabilities = new();
    private readonly ConcurrentDictionary<(NodeAddress, NodeAddress), PacedWire> _wires = new();
    private readonly ConcurrentQueue<SentPacket> _log = new();
    private readonly Random _random;
    private readonly object _randomLock = new();
    private int _sendFailuresToInject;
    private long _dropped;
    private long _duplicated;
    private int _capabilityQueries;

    public FakePacketNetwork(FakeNetworkOptions? options = null)
    {
        Options = options ?? new FakeNetworkOptions();
        _random = new Random(Options.Seed);
    }

    public FakeNetworkOptions Options { get; }

    /// <summary>Decides per packet before the random treatment; null delivers all.</summary>
    public Func<SentPacket, PacketFate>? Intercept { get; set; }

    /// <summary>Record every packet sent (see <see cref="SentPackets"/>).</summary>
    public bool RecordPackets { get; set; }

    public IReadOnlyCollection<SentPacket> SentPackets => _log.ToArray();

    public long PacketsDropped => Interlocked.Read(ref _dropped);

    public long PacketsDuplicated => Interlocked.Read(ref _duplicated);

    public int CapabilityQueries => Volatile.Read(ref _capabilityQueries);

    public FakePacketSocket Bind(Endpoint endpoint)
    {
        var socket = new FakePacketSocket(this, endpoint);
        if (!_sockets.TryAdd(endpoint, socket))
            throw new InvalidOperationException($"{endpoint} is already bound.");
        return socket;
    }

    public void Advertise(NodeAddress node, NodeCapabilities capabilities) => _capabilities[node] = capabilities;

    /// <summary>The next <paramref name="count"/> sends fail with a <see cref="DataLinkException"/>.</summary>
    public void FailNextSends(int count) => Interlocked.Add(ref _sendFailuresToInject, count);

    /// <summary>Loses the link: every socket's inbound stream ends with <paramref name="cause"/>.</summary>
    public void BreakLink(DataLinkException cause)
    {
        foreach (FakePacketSocket socket in _sockets.Values)
            socket.Fail(cause);
    }

    internal void Unbind(FakePacketSocket socket) => _sockets.TryRemove(new KeyValuePair<Endpoint, FakePacketSocket>(socket.LocalEndpoint, socket));

    /// <summary>When set, capabilities answers wait for it (a slow line): queries made meanwhile are all outstanding.</summary>
    public Task? CapabilitiesGate { get; set; }

    internal async Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node)
    {
        Interlocked.Increment(ref _capabilityQueries);
        if (CapabilitiesGate is { } gate)
            await gate.ConfigureAwait(false);
        return _capabilities.TryGetValue(node, out NodeCapabilities? capabilities)
            ? capabilities
            : throw new DataLinkException($"Node {node} did not answer the capabilities query.");
    }

    internal Task SendAsync(Endpoint source, Endpoint destination, ReadOnlyMemory<byte> packet)
    {
        // Copy now, like a real link that encodes the frames at once: the sender may reuse its buffer.
        var sent = new SentPacket(source, destination, packet.ToArray());
        if (RecordPackets)
            _log.Enqueue(sent);
        if (TryConsumeInjectedFailure())
            return Task.FromException(new DataLinkException($"Injected send failure {source} -> {destination}."));
        if (Intercept?.Invoke(sent) == PacketFate.Drop)
        {
            Interlocked.Increment(ref _dropped);
            return Task.CompletedTask;
        }

        int copies;
        TimeSpan[] delays;
        lock (_randomLock)
        {
            if (_random.NextDouble() < Options.LossRate)
            {
                Interlocked.Increment(ref _dropped);
                return Task.CompletedTask;
            }
            copies = _random.NextDouble() < Options.DuplicationRate ? 2 : 1;
            delays = new TimeSpan[copies];
            for (int i = 0; i < copies; i++)
                delays[i] = Options.MaxDelay > TimeSpan.Zero ? Options.MaxDelay * _random.NextDouble() : TimeSpan.Zero;
        }
        if (copies == 2)
            Interlocked.Increment(ref _duplicated);

        for (int i = 0; i < copies; i++)
        {
            if (Options.Pacing is { } pacing)
                _wires.GetOrAdd((source.Node, destination.Node), _ => new PacedWire(pacing, this)).Transmit(sent, delays[i]);
            else if (delays[i] > TimeSpan.Zero)
                _ = DeliverLaterAsync(sent, delays[i]);
            else
                Deliver(sent);
        }
        return Task.CompletedTask;
    }

    private bool TryConsumeInjectedFailure()
    {
        int remaining;
        do
        {
            remaining = Volatile.Read(ref _sendFailuresToInject);
            if (remaining <= 0)
                return false;
        }
        while (Interlocked.CompareExchange(ref _sendFailuresToInject, remaining - 1, remaining) != remaining);
        return true;
    }

    internal void Deliver(SentPacket packet)
    {
        if (packet.Destination.Node == NodeAddress.Broadcast)
        {
            foreach (FakePacketSocket socket in _sockets.Values)
            {
                if (socket.LocalEndpoint.Port == packet.Destination.Port && socket.LocalEndpoint.Node != packet.Source.Node)
                    socket.Receive(new InboundPacket(packet.Source, packet.Destination, packet.Bytes));
            }
            return;
        }
        // Nobody bound there: lost, as on a real network.
        if (_sockets.TryGetValue(packet.Destination, out FakePacketSocket? target))
            target.Receive(new InboundPacket(packet.Source, packet.Destination, packet.Bytes));
    }

    private async Task DeliverLaterAsync(SentPacket packet, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        Deliver(packet);
    }
}
