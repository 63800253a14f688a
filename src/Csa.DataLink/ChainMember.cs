namespace Csa.DataLink;

/// <summary>One device found by <see cref="DataLinkNode.EnumerateChainAsync(NodeLink, byte, CancellationToken)"/>.</summary>
/// <param name="Position">0 for the device next to the enumerating node, then 1, 2, ... along the chain.</param>
/// <param name="Address">The address the device was given.</param>
/// <param name="Capabilities">What the device advertised when it took the address.</param>
public sealed record ChainMember(int Position, NodeAddress Address, NodeCapabilities Capabilities);
