namespace Csa.DataLink;

/// <summary>
/// What a node advertises about itself in the link-management capabilities message. The host never
/// sends a frame larger than <see cref="MaxFrameSize"/> to it, nor more packets in flight than
/// <see cref="ReceiveBuffers"/>.
/// </summary>
/// <param name="ProtocolVersion">The data link protocol version the node speaks.</param>
/// <param name="MaxFrameSize">The largest frame (header + payload + CRC, before byte stuffing) the node accepts.</param>
/// <param name="ReceiveBuffers">How many packets the node can hold at once before it has processed them.</param>
public sealed record NodeCapabilities(byte ProtocolVersion, ushort MaxFrameSize, byte ReceiveBuffers);
