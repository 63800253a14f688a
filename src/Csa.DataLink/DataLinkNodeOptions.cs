using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.DataLink;

/// <summary>Settings of a <see cref="DataLinkNode"/>. Immutable: derive variants with <c>with</c>. Checked once, when the node is created.</summary>
public sealed record DataLinkNodeOptions
{
    /// <summary>
    /// The node's own address: <see cref="NodeAddress.Host"/> for the host (the default), a device address,
    /// or <see cref="NodeAddress.Unassigned"/> for a daisy-chain device that waits to be enumerated.
    /// </summary>
    public NodeAddress LocalAddress { get; init; } = NodeAddress.Host;

    /// <summary>
    /// The largest frame this node accepts and advertises: header + payload + CRC, before COBS stuffing and without
    /// delimiter. Between <see cref="DataLinkProtocol.MinimumMaxFrameSize"/> and <see cref="DataLinkProtocol.MaximumMaxFrameSize"/>.
    /// </summary>
    public int MaxFrameSize { get; init; } = 1024;

    /// <summary>How many packets the node can hold before processing them; advertised so peers pipeline that many.</summary>
    public byte ReceiveBuffers { get; init; } = 8;

    /// <summary>Whether link management may give this node an address or take it away (ignored for the host).</summary>
    public bool AllowAddressAssignment { get; init; } = true;

    /// <summary>The largest packet the node reassembles; longer packets are dropped and counted.</summary>
    public int MaxPacketSize { get; init; } = 64 * 1024;

    /// <summary>How many packets from one source node may be in reassembly at once (per link); the oldest is evicted.</summary>
    public int MaxReassembliesPerSource { get; init; } = 4;

    /// <summary>How long an incomplete packet waits for its next fragment before its buffer is freed.</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one attempt of a link-management request (capabilities, ping, address assignment) waits for its answer.</summary>
    public TimeSpan LinkManagementTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times a capabilities or echo request is sent before the node counts as unreachable, so one lost
    /// frame on a noisy line does not. Address assignment is always sent once: repeating "assign N" after a lost
    /// answer would give N to a second device (enumeration asks the address itself instead).
    /// </summary>
    public int LinkManagementAttempts { get; init; } = 3;

    /// <summary>
    /// How many groups (0xF0..0xFD) the node may be a member of at once; a join beyond that is refused. 0: the node
    /// takes no group frames (it still forwards them). docs/protocol.md sections 6.2 and 7.6.
    /// </summary>
    public int MaxGroups { get; init; } = 4;

    /// <summary>The hop limit of frames this node originates; each forwarding node lowers it by one.</summary>
    public byte HopLimit { get; init; } = DataLinkProtocol.DefaultHopLimit;

    /// <summary>
    /// How frames not (only) for this node are passed on: whole (<see cref="ForwardingMode.StoreAndForward"/>, the
    /// default) or while they arrive (<see cref="ForwardingMode.CutThrough"/>). docs/protocol.md section 6.3.1.
    /// </summary>
    public ForwardingMode Forwarding { get; init; } = ForwardingMode.StoreAndForward;

    /// <summary>
    /// With <see cref="ForwardingMode.CutThrough"/>: how long the bytes of a frame being passed on may stop coming (and
    /// then a quarter of it more, so a process that was not scheduled for a while does not abort frames) before the node
    /// ends it on the outgoing link (an invalid block and a delimiter, which the next node drops) and lets that
    /// link carry other frames again; the frame, if it then arrives whole, is forwarded whole. The default, 100 ms, is
    /// longer than a 1 KiB frame takes at 115200 baud.
    /// </summary>
    public TimeSpan CutThroughStallTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many received packets a socket queues for its reader before further packets are dropped.</summary>
    public int SocketReceiveCapacity { get; init; } = 256;

    /// <summary>
    /// For a host that opens its links again after they close (a network of devices behind serial ports that come and
    /// go): its sockets stay open while it has no link. False (default): a node whose last link closed can be reached by
    /// no one, and its sockets complete with that link's <see cref="LinkClosedException"/>.
    /// </summary>
    public bool KeepSocketsWithoutLinks { get; init; }

    /// <summary>The clock for timeouts (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where log messages go; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (LocalAddress == NodeAddress.Broadcast)
            throw new ArgumentException("A node cannot have the broadcast address 0xFF.", nameof(LocalAddress));
        if (MaxFrameSize is < DataLinkProtocol.MinimumMaxFrameSize or > DataLinkProtocol.MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(MaxFrameSize), MaxFrameSize,
                $"The maximum frame size must be between {DataLinkProtocol.MinimumMaxFrameSize} and {DataLinkProtocol.MaximumMaxFrameSize} bytes.");
        if (ReceiveBuffers == 0)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBuffers), ReceiveBuffers, "A node needs at least one receive buffer.");
        if (MaxPacketSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPacketSize), MaxPacketSize, "The maximum packet size must be positive.");
        if (MaxReassembliesPerSource < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxReassembliesPerSource), MaxReassembliesPerSource, "At least one reassembly per source is needed.");
        if (ReassemblyTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ReassemblyTimeout), ReassemblyTimeout, "The reassembly timeout must be positive.");
        if (LinkManagementTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(LinkManagementTimeout), LinkManagementTimeout, "The link-management timeout must be positive.");
        if (LinkManagementAttempts is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(LinkManagementAttempts), LinkManagementAttempts, "Link-management requests need 1..100 attempts.");
        if (MaxGroups is < 0 or > NodeAddress.LastGroup - NodeAddress.FirstGroup + 1)
            throw new ArgumentOutOfRangeException(nameof(MaxGroups), MaxGroups, $"A node can be a member of 0..{NodeAddress.LastGroup - NodeAddress.FirstGroup + 1} groups.");
        if (HopLimit == 0)
            throw new ArgumentOutOfRangeException(nameof(HopLimit), HopLimit, "A hop limit of 0 could not even reach a neighbour's neighbour; use 1 or more.");
        if (SocketReceiveCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(SocketReceiveCapacity), SocketReceiveCapacity, "A socket must be able to queue at least one packet.");
        if (!Enum.IsDefined(Forwarding))
            throw new ArgumentOutOfRangeException(nameof(Forwarding), Forwarding, "Unknown forwarding mode.");
        if (CutThroughStallTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(CutThroughStallTimeout), CutThroughStallTimeout, "The cut-through stall timeout must be positive.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}
