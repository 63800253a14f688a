namespace Csa.DataLink.Internal;

/// <summary>What a <see cref="LinkConnection"/> reports to its owner.</summary>
internal interface ILinkFrameHandler
{
    /// <summary>
    /// An intact frame arrived. The payload is only valid until the returned task completes; the read loop waits
    /// for it, which gives forwarding natural back-pressure.
    /// </summary>
    ValueTask OnFrameAsync(LinkConnection link, DecodedFrame frame);

    /// <summary>A frame was dropped by the decoder.</summary>
    void OnFrameDropped(LinkConnection link, FrameDropReason reason);

    /// <summary>The link stopped for good; called once, from the read loop.</summary>
    void OnClosed(LinkConnection link, LinkClosedException reason);
}
