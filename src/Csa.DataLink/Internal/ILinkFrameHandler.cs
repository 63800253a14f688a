namespace Csa.DataLink.Internal;

/// <summary>What a <see cref="LinkConnection"/> reports to its owner.</summary>
internal interface ILinkFrameHandler
{
    /// <summary>
    /// An intact frame arrived. The payload is only valid until the returned task completes; the read loop waits
    /// for it, which gives forwarding natural back-pressure. <paramref name="cutThroughTo"/> is the link the frame was
    /// already passed on to while it arrived (it must not be forwarded again), or null.
    /// </summary>
    ValueTask OnFrameAsync(LinkConnection link, DecodedFrame frame, LinkConnection? cutThroughTo);

    /// <summary>
    /// The header of a frame arriving on <paramref name="link"/> is in (its CRC is not): the one link to pass it on to
    /// while it arrives, or null to let it arrive whole (not forwarded, or forwarded to several links).
    /// </summary>
    LinkConnection? ChooseCutThroughLink(LinkConnection link, in FrameHeader header);

    /// <summary>A frame passed on while it arrived ended other than intact (poisoned or aborted downstream).</summary>
    void OnCutThroughEnded(LinkConnection from, LinkConnection to, CutThroughOutcome outcome, FrameDropReason reason);

    /// <summary>A frame was dropped by the decoder.</summary>
    void OnFrameDropped(LinkConnection link, FrameDropReason reason);

    /// <summary>The link stopped for good; called once, from the read loop.</summary>
    void OnClosed(LinkConnection link, LinkClosedException reason);
}
