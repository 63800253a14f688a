using System.Collections.Concurrent;
using Csa.DataLink.Internal;
using Microsoft.Extensions.Logging;

namespace Csa.DataLink;

/// <summary>
/// A node of a data link network: the host or a device. It owns one or more links, delivers the packets
/// addressed to it (or broadcast) to the sockets bound on it, forwards every other frame towards its destination,
/// and answers link management (capabilities, echo, address assignment) on port 0 by itself.
/// </summary>
/// <remarks>
/// Topologies: point-to-point and network (one link per peer, e.g. a TCP connection each), star (the host with one
/// link per device), daisy chain (a device with an <see cref="LinkRole.Upstream"/> and a
/// <see cref="LinkRole.Downstream"/> link forwards what is not for it) and a shared addressed bus (several nodes
/// on one link, each ignoring frames for others). Routes are learnt from the source of every received frame and
/// from <see cref="EnumerateChainAsync(NodeLink, byte, CancellationToken)"/>, and can be set with <see cref="SetRoute"/>; a frame for a node without
/// a route goes out of every other link, and the hop limit ends it if the links form a loop.
/// </remarks>
public sealed partial class DataLinkNode : IAsyncDisposable, ILinkFrameHandler
{
    private const int AddressCount = 256;

    private readonly object _gate = new();
    private readonly int _maxFrameSize;
    private readonly byte _receiveBuffers;
    private readonly bool _allowAddressAssignment;
    private readonly int _maxPacketSize;
    private readonly int _maxReassembliesPerSource;
    private readonly TimeSpan _reassemblyTimeout;
    private readonly TimeSpan _managementTimeout;
    private readonly int _managementAttempts;
    private readonly byte _hopLimit;
    private readonly int _socketCapacity;
    private readonly int _maxGroups;
    private readonly TimeProvider _timeProvider;
    private readonly bool _keepSocketsWithoutLinks;
    private readonly ForwardingMode _forwarding;
    private readonly TimeSpan _cutThroughStallTimeout;
    private readonly ILogger _logger;
    private readonly PacketSocket?[] _sockets = new PacketSocket?[AddressCount];
    private readonly ConcurrentDictionary<byte, PendingRequest> _pending = new();
    private readonly CancellationTokenSource _disposing = new();
    private NodeLink[] _links = [];
    private LinkClosedException? _lastCloseReason;
    private int _localAddress;
    private int _nextPacketId;
    private int _nextToken;
    private int _disposed;

    /// <summary>Creates a node with <paramref name="options"/> (defaults: the host, 1024-byte frames).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public DataLinkNode(DataLinkNodeOptions? options = null)
    {
        options ??= new DataLinkNodeOptions();
        options.Validate();
        _localAddress = options.LocalAddress.Value;
        _maxFrameSize = options.MaxFrameSize;
        _receiveBuffers = options.ReceiveBuffers;
        _allowAddressAssignment = options.AllowAddressAssignment;
        _maxPacketSize = options.MaxPacketSize;
        _maxReassembliesPerSource = options.MaxReassembliesPerSource;
        _reassemblyTimeout = options.ReassemblyTimeout;
        _managementTimeout = options.LinkManagementTimeout;
        _managementAttempts = options.LinkManagementAttempts;
        _hopLimit = options.HopLimit;
        _socketCapacity = options.SocketReceiveCapacity;
        _maxGroups = options.MaxGroups;
        _timeProvider = options.TimeProvider;
        _keepSocketsWithoutLinks = options.KeepSocketsWithoutLinks;
        _forwarding = options.Forwarding;
        _cutThroughStallTimeout = options.CutThroughStallTimeout;
        _logger = options.LoggerFactory.CreateLogger<DataLinkNode>();
        Capabilities = new NodeCapabilities(DataLinkProtocol.Version, (ushort)_maxFrameSize, _receiveBuffers);
    }

    /// <summary>
    /// The node's current address. A daisy-chain device starts at <see cref="NodeAddress.Unassigned"/> and takes
    /// the address the host assigns; a forget request returns it to unassigned.
    /// </summary>
    public NodeAddress LocalAddress => new((byte)Volatile.Read(ref _localAddress));

    /// <summary>What this node advertises in link management.</summary>
    public NodeCapabilities Capabilities { get; }

    /// <summary>Totals over all links of this node, plus what the node itself originated.</summary>
    public DataLinkCounters Counters { get; } = new();

    /// <summary>The open links of this node, in the order they were added. A link leaves this list when it closes.</summary>
    public IReadOnlyList<NodeLink> Links => Array.AsReadOnly(Volatile.Read(ref _links));

    /// <summary>
    /// Adds a link over <paramref name="transport"/> and starts reading from it. The node owns the transport from now
    /// on and disposes it when the link closes.
    /// </summary>
    /// <param name="transport">The byte stream to one neighbour (or to a shared bus).</param>
    /// <param name="role">Which way the link points: <see cref="LinkRole.Downstream"/> for every link of the host.</param>
    public NodeLink AddLink(ILinkTransport transport, LinkRole role)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (!Enum.IsDefined(role))
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown link role.");
        ThrowIfDisposed();

        var counters = new DataLinkCounters(Counters);
        var connection = new LinkConnection(transport, this, _maxFrameSize, counters, _timeProvider,
            _forwarding == ForwardingMode.CutThrough ? _cutThroughStallTimeout : null);
        var reassembler = new Reassembler(_maxPacketSize, _maxReassembliesPerSource, _reassemblyTimeout, _timeProvider,
            (reason, source, packetId, bytes) => OnReassemblyDropped(counters, reason, source, packetId, bytes));
        var link = new NodeLink(this, connection, reassembler, role);
        connection.Owner = link;
        lock (_gate)
            _links = [.. _links, link];
        DataLinkLog.LinkAdded(_logger, link.Name, role);
        connection.Start();
        return link;
    }

    /// <summary>Closes <paramref name="link"/>, disposes its transport and waits until its read loop has stopped.</summary>
    public async Task RemoveLinkAsync(NodeLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (!ReferenceEquals(link.Node, this))
            throw new ArgumentException("The link does not belong to this node.", nameof(link));
        await link.Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Binds a socket to <paramref name="port"/> on this node. Packets addressed to this node (or broadcast) on that
    /// port arrive on its <see cref="IPacketSocket.Inbound"/> reader.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Port 0: link management belongs to the node itself.</exception>
    /// <exception cref="PortInUseException">Another socket is bound to the port.</exception>
    public IPacketSocket OpenSocket(byte port)
    {
        ThrowIfDisposed();
        if (port == WellKnownPorts.LinkManagement)
            throw new ArgumentOutOfRangeException(nameof(port), port, "Port 0 is link management; the node answers it itself.");
        var socket = new PacketSocket(this, port, _socketCapacity);
        if (Interlocked.CompareExchange(ref _sockets[port], socket, null) is not null)
            throw new PortInUseException(port);
        return socket;
    }

    internal void Unbind(PacketSocket socket) => Interlocked.CompareExchange(ref _sockets[socket.Port], null, socket);

    /// <summary>Closes every link and socket. Socket readers complete without an error.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _disposing.Cancel();
        for (int port = 0; port < _sockets.Length; port++)
            Interlocked.Exchange(ref _sockets[port], null)?.Complete(null);
        foreach (PendingRequest request in _pending.Values)
            request.Completion.TrySetException(new ObjectDisposedException(nameof(DataLinkNode)));
        NodeLink[] links;
        lock (_gate)
            links = _links;
        foreach (NodeLink link in links)
            await link.Connection.DisposeAsync().ConfigureAwait(false);
    }

    void ILinkFrameHandler.OnFrameDropped(LinkConnection link, FrameDropReason reason)
        => DataLinkLog.FrameDropped(_logger, link.Name, reason);

    void ILinkFrameHandler.OnCutThroughEnded(LinkConnection from, LinkConnection to, CutThroughOutcome outcome, FrameDropReason reason)
        => DataLinkLog.CutThroughEnded(_logger, from.Name, to.Name, outcome, reason);

    void ILinkFrameHandler.OnClosed(LinkConnection connection, LinkClosedException reason)
    {
        NodeLink link = connection.Owner!;
        bool noneLeft;
        lock (_gate)
        {
            _links = Array.FindAll(_links, l => !ReferenceEquals(l, link));
            _lastCloseReason = reason;
            noneLeft = Array.TrueForAll(_links, l => !l.IsOpen);
        }
        link.Reassembler.Dispose();
        link.MarkClosed();
        DataLinkLog.LinkClosed(_logger, link.Name, reason.Message, reason.InnerException);

        if (noneLeft && Volatile.Read(ref _disposed) == 0)
        {
            // Nothing can reach this node any more: whoever waits for an answer hears it now, and whoever waits for a
            // packet too, unless the node opens links again itself (KeepSocketsWithoutLinks).
            if (!_keepSocketsWithoutLinks)
            {
                for (int port = 0; port < _sockets.Length; port++)
                    Interlocked.Exchange(ref _sockets[port], null)?.Complete(Copy(reason));
            }
            foreach (PendingRequest request in _pending.Values)
                request.Completion.TrySetException(Copy(reason));
        }

        // Release the transport; not awaited here because this runs inside the link's own read loop or writer.
        _ = Task.Run(async () =>
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                DataLinkLog.LinkClosed(_logger, link.Name, "disposing the transport failed", ex);
            }
        });
    }

    private static LinkClosedException Copy(LinkClosedException reason)
        => new(reason.LinkName, reason.Message, reason.InnerException);

    private void OnReassemblyDropped(DataLinkCounters counters, FrameDropReason reason, Endpoint source, ushort packetId, int bytes)
    {
        counters.AddDropped(reason);
        if (reason == FrameDropReason.ReassemblyTimeout)
            DataLinkLog.ReassemblyTimedOut(_logger, packetId, source, bytes);
    }

    private void Drop(NodeLink? link, FrameDropReason reason, Endpoint destination)
    {
        (link?.Counters ?? Counters).AddDropped(reason);
        DataLinkLog.PacketDropped(_logger, destination, reason);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void SetLocalAddress(NodeAddress address) => Volatile.Write(ref _localAddress, address.Value);

    private bool OwnsLink(NodeLink link) => Array.IndexOf(Volatile.Read(ref _links), link) >= 0;
}
