using System.Threading.Channels;

namespace Csa.DataLink;

/// <summary>A whole packet (reassembled from its frames) that arrived at a local port.</summary>
/// <param name="Source">Who sent it.</param>
/// <param name="Destination">The local endpoint (or broadcast) it was addressed to.</param>
/// <param name="Payload">The packet bytes. Owned by the receiver.</param>
public sealed record InboundPacket(Endpoint Source, Endpoint Destination, ReadOnlyMemory<byte> Payload);

/// <summary>
/// A port bound on a data link node: sends packets to any endpoint (fragmenting them into frames that fit
/// the path) and receives the packets addressed to it. This is the seam the RPC layer rides on.
/// </summary>
public interface IPacketSocket : IAsyncDisposable
{
    /// <summary>The local node and port this socket is bound to.</summary>
    Endpoint LocalEndpoint { get; }

    /// <summary>
    /// Packets addressed to this socket, in arrival order. The reader completes with a
    /// <see cref="DataLinkException"/> when the link under it is lost, and without one when the socket is disposed.
    /// </summary>
    ChannelReader<InboundPacket> Inbound { get; }

    /// <summary>
    /// Sends one packet, split into frames no larger than the path to <paramref name="destination"/> allows.
    /// Completes when the last frame has been handed to the transport, not when it was delivered.
    /// </summary>
    Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default);

    /// <summary>
    /// What <paramref name="node"/> advertised about itself, asking it over link management on first use
    /// and caching the answer. Throws a <see cref="DataLinkException"/> if the node does not answer.
    /// </summary>
    Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancelled when the link that carries packets to <paramref name="destination"/> closes (a cable pulled, a serial
    /// port that vanished with the board's power, a TCP connection dropped): an answer awaited from there can no longer
    /// come over it. <see cref="CancellationToken.None"/> when no one link carries them (a broadcast, a destination
    /// flooded to over several links), and for sockets that do not watch their routes.
    /// </summary>
    CancellationToken RouteClosedToken(NodeAddress destination) => CancellationToken.None;
}
