namespace Csa.DataLink;

/// <summary>
/// A link is gone: the transport reported end of stream or failed, or the link was removed or its node disposed.
/// Readers of <see cref="IPacketSocket.Inbound"/> and pending sends see this instead of waiting forever.
/// </summary>
public sealed class LinkClosedException : DataLinkException
{
    /// <summary>Creates the exception for the link named <paramref name="linkName"/>.</summary>
    public LinkClosedException(string linkName, string message, Exception? innerException = null)
        : base(message, innerException) => LinkName = linkName;

    /// <summary>The <see cref="ILinkTransport.Name"/> of the link that closed.</summary>
    public string LinkName { get; }
}

/// <summary>A node did not answer a link-management request in time, or no link leads to it.</summary>
public sealed class NodeUnreachableException : DataLinkException
{
    /// <summary>Creates the exception for <paramref name="node"/>.</summary>
    public NodeUnreachableException(NodeAddress node, string message, Exception? innerException = null)
        : base(message, innerException) => Node = node;

    /// <summary>The node that could not be reached.</summary>
    public NodeAddress Node { get; }
}

/// <summary>A packet needs more than <see cref="DataLinkProtocol.MaxFragmentsPerPacket"/> frames on its path.</summary>
public sealed class PacketTooLargeException : DataLinkException
{
    /// <summary>Creates the exception for a packet of <paramref name="length"/> bytes.</summary>
    public PacketTooLargeException(int length, int maximum, Endpoint destination)
        : base($"A packet of {length} bytes does not fit in {DataLinkProtocol.MaxFragmentsPerPacket} frames to {destination}; at most {maximum} bytes fit on that path.")
    {
        Length = length;
        Maximum = maximum;
    }

    /// <summary>The length of the rejected packet.</summary>
    public int Length { get; }

    /// <summary>The largest packet the path could carry.</summary>
    public int Maximum { get; }
}

/// <summary>A socket is already bound to the requested port on this node.</summary>
public sealed class PortInUseException : DataLinkException
{
    /// <summary>Creates the exception for <paramref name="port"/>.</summary>
    public PortInUseException(byte port)
        : base($"Port {port} is already bound on this node; dispose the other socket first.") => Port = port;

    /// <summary>The port that was asked for.</summary>
    public byte Port { get; }
}

/// <summary>A node answered that it does not join a group (it takes no more groups, or none at all).</summary>
public sealed class GroupRefusedException : DataLinkException
{
    /// <summary>Creates the exception for <paramref name="node"/> refusing <paramref name="group"/>.</summary>
    public GroupRefusedException(NodeAddress node, NodeAddress group, string message)
        : base(message)
    {
        Node = node;
        Group = group;
    }

    /// <summary>The node that refused.</summary>
    public NodeAddress Node { get; }

    /// <summary>The group it did not join.</summary>
    public NodeAddress Group { get; }
}
