namespace Csa.DataLink;

/// <summary>One end of a data link conversation: a node and a port on it.</summary>
/// <param name="Node">The node address.</param>
/// <param name="Port">The port on that node (see <see cref="WellKnownPorts"/>).</param>
public readonly record struct Endpoint(NodeAddress Node, byte Port)
{
    /// <inheritdoc />
    public override string ToString() => $"{Node}:{Port}";
}

/// <summary>Ports every node agrees on. Ports 0x10 and up are free for applications.</summary>
public static class WellKnownPorts
{
    /// <summary>Link management: capabilities, enumeration, ping. Handled by the data link itself.</summary>
    public const byte LinkManagement = 0x00;

    /// <summary>RPC packets (commands, responses, events) for every interface of the node.</summary>
    public const byte Rpc = 0x01;

    /// <summary>The first port free for applications.</summary>
    public const byte FirstApplicationPort = 0x10;
}
