using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Bootloader.Updates;

// What a transfer to a group needs from the network: a group address of its own, the links and frame size to send it
// with, and an RPC client whose request ids are the group traffic's alone (docs/rpc-packets.md section 12).
public sealed partial class DeviceNetwork
{
    private readonly object _groupsLock = new();
    private readonly bool[] _groupsInUse = new bool[NodeAddress.LastGroup - NodeAddress.FirstGroup + 1];
    private RpcClient? _groupClient;

    /// <summary>
    /// A group address no transfer of this network uses, with its path set to the links of <paramref name="members"/>
    /// and the smallest of their path frame sizes; null when all 14 are in use. Give it back with <see cref="ReleaseGroup"/>.
    /// </summary>
    internal NodeAddress? AcquireGroup(IReadOnlyCollection<DeviceInfo> members)
    {
        ThrowIfDisposed();
        NodeAddress group;
        lock (_groupsLock)
        {
            int free = Array.IndexOf(_groupsInUse, false);
            if (free < 0)
                return null;
            _groupsInUse[free] = true;
            group = NodeAddress.Group(free);
        }
        NodeLink[] links = [.. members.Select(m => _slots[m.LinkIndex].Link).OfType<NodeLink>().Distinct()];
        Node.SetGroupPath(group, links.Length > 0 ? links : null, Math.Max(DataLinkProtocol.MinimumMaxFrameSize, members.Min(m => m.PathFrameSize)));
        return group;
    }

    /// <summary>Gives a group address back.</summary>
    internal void ReleaseGroup(NodeAddress group)
    {
        lock (_groupsLock)
            _groupsInUse[group.Value - NodeAddress.FirstGroup] = false;
    }

    /// <summary>
    /// The RPC client group transfers send from: a socket of its own on the host, so the devices' response caches keep
    /// its request ids apart from those of <see cref="Client"/>. Created on first use, on the highest free port.
    /// </summary>
    internal RpcClient GroupClient
    {
        get
        {
            ThrowIfDisposed();
            lock (_groupsLock)
            {
                if (_groupClient is { IsClosed: false } client)
                    return client;
                IPacketSocket? socket = null;
                for (int port = byte.MaxValue; port >= WellKnownPorts.FirstApplicationPort && socket is null; port--)
                {
                    try
                    {
                        socket = Node.OpenSocket((byte)port);
                    }
                    catch (PortInUseException)
                    {
                    }
                }
                _groupClient = new RpcClient(socket ?? throw new DataLinkException("Every application port of the host node is in use: no socket for group transfers."), new RpcClientOptions
                {
                    DefaultTimeout = _options.CommandTimeout,
                    MaxAttempts = _options.CommandAttempts,
                    OwnsSocket = true,
                    TimeProvider = _options.TimeProvider,
                    LoggerFactory = _options.LoggerFactory,
                });
                return _groupClient;
            }
        }
    }
}
