namespace Csa.DataLink;

/// <summary>Why a frame (or the packet it belonged to) was thrown away. See <see cref="DataLinkCounters.GetDropped"/>.</summary>
public enum FrameDropReason
{
    /// <summary>The CRC-32 over the decoded frame did not match: line noise, a lost byte or a lost delimiter.</summary>
    CrcMismatch,

    /// <summary>Not a frame: invalid COBS, shorter than header plus CRC, reserved flag bits set, or the broadcast address as source.</summary>
    Malformed,

    /// <summary>More bytes than the node's maximum frame size before the next delimiter; discarded up to that delimiter.</summary>
    Oversize,

    /// <summary>The frame is intact but speaks another protocol version.</summary>
    UnsupportedVersion,

    /// <summary>The link ended in the middle of a frame.</summary>
    Truncated,

    /// <summary>A frame to forward arrived with its hop limit used up (a loop, or a chain longer than the limit).</summary>
    HopLimitExceeded,

    /// <summary>A frame for another node arrived and no other link leads anywhere.</summary>
    NoRoute,

    /// <summary>A frame for another node arrived on the node's only link (normal on a shared, addressed bus).</summary>
    NotForThisNode,

    /// <summary>A packet arrived for a port no socket is bound to.</summary>
    PortNotBound,

    /// <summary>The socket's receive queue was full; the packet was dropped rather than buffering without bound.</summary>
    SocketQueueFull,

    /// <summary>A fragment that was already received arrived again.</summary>
    DuplicateFragment,

    /// <summary>A fragment skipped one or more indexes; the incomplete packet was discarded.</summary>
    FragmentOutOfOrder,

    /// <summary>A fragment other than the first arrived for a packet that was not being reassembled.</summary>
    OrphanFragment,

    /// <summary>A packet stayed incomplete longer than the reassembly timeout; its buffer was freed.</summary>
    ReassemblyTimeout,

    /// <summary>A source started more concurrent packets than allowed; its oldest incomplete packet was discarded.</summary>
    ReassemblyEvicted,

    /// <summary>A reassembled packet grew beyond the node's maximum packet size.</summary>
    PacketTooLarge,

    /// <summary>A link-management message was unknown, too short, or not acceptable in the node's state.</summary>
    InvalidLinkManagement,
}
