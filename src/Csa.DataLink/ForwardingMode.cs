namespace Csa.DataLink;

/// <summary>How a node passes on frames that are not (only) for it (docs/protocol.md section 6.3.1).</summary>
public enum ForwardingMode
{
    /// <summary>A frame is received whole and its CRC checked before it is passed on: every hop adds one frame's time.</summary>
    StoreAndForward,

    /// <summary>
    /// A frame that goes to exactly one other link is passed on while it arrives, as a UART bridge with DMA can: the next
    /// node gets it a few byte times later instead of a whole frame later. Its CRC is checked at its end; a bad one is
    /// sent on inverted, so the next node drops the frame. Frames for several links (a broadcast on a node with three
    /// links or more) are still stored and forwarded. The wire format is the same either way.
    /// </summary>
    CutThrough,
}
