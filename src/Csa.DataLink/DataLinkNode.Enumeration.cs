using Csa.DataLink.Internal;

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    /// <summary>
    /// Gives every device behind <paramref name="link"/> an address and returns them in chain order, with their
    /// capabilities. First a broadcast makes every device there forget its address; then "assign address N" goes to
    /// <see cref="NodeAddress.Unassigned"/>: the first unassigned device takes N and answers, assigned devices pass
    /// the request on downstream. N counts up from <paramref name="firstAddress"/> until no device answers within the
    /// link-management timeout. Works the same for a single device (point-to-point, star) and for a chain.
    /// </summary>
    /// <param name="link">One of this node's links; the host enumerates each of its links separately.</param>
    /// <param name="firstAddress">The address for the first device (0x01..0xEF); keep ranges apart across links.</param>
    /// <param name="cancellationToken">Stops the enumeration; devices already assigned keep their address.</param>
    /// <exception cref="LinkClosedException">The link closed.</exception>
    public Task<IReadOnlyList<ChainMember>> EnumerateChainAsync(NodeLink link, byte firstAddress = NodeAddress.FirstDevice, CancellationToken cancellationToken = default) =>
        EnumerateChainAsync(link, firstAddress, NodeAddress.LastDevice - NodeAddress.FirstDevice + 1, cancellationToken);

    /// <summary>
    /// Enumerates as <see cref="EnumerateChainAsync(NodeLink, byte, CancellationToken)"/> does, but at most
    /// <paramref name="maxDevices"/> devices: a link known to hold no more (a point-to-point port gives 1) is done when the
    /// last of them answers, without waiting out the link-management timeout for a device after it, and a chain longer than
    /// its address range never takes the next range's addresses.
    /// </summary>
    /// <param name="link">One of this node's links.</param>
    /// <param name="firstAddress">The address for the first device (0x01..0xEF).</param>
    /// <param name="maxDevices">The most devices the link holds, at least 1.</param>
    /// <param name="cancellationToken">Stops the enumeration; devices already assigned keep their address.</param>
    /// <exception cref="LinkClosedException">The link closed.</exception>
    public async Task<IReadOnlyList<ChainMember>> EnumerateChainAsync(NodeLink link, byte firstAddress, int maxDevices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDevices, 1);
        ThrowIfDisposed();
        if (!ReferenceEquals(link.Node, this))
            throw new ArgumentException("The link does not belong to this node.", nameof(link));
        if (!new NodeAddress(firstAddress).IsDevice)
            throw new ArgumentOutOfRangeException(nameof(firstAddress), firstAddress, $"Device addresses are 0x{NodeAddress.FirstDevice:X2}..0x{NodeAddress.LastDevice:X2}.");
        if (LocalAddress == NodeAddress.Unassigned)
            throw new InvalidOperationException("An unassigned node cannot enumerate others: replies could not be addressed to it.");
        if (link.CloseReason is { } closed)
            throw new LinkClosedException(closed.LinkName, closed.Message, closed.InnerException);

        ForgetLearnt(link);
        byte[] forget = LinkManagementMessage.Create(LinkManagementType.ForgetAddress, 0, []);
        await SendPacketAsync(WellKnownPorts.LinkManagement, new Endpoint(NodeAddress.Broadcast, WellKnownPorts.LinkManagement), forget, link, cancellationToken).ConfigureAwait(false);

        var members = new List<ChainMember>();
        int pathLimit = _maxFrameSize;
        int lastAddress = Math.Min(NodeAddress.LastDevice, firstAddress + maxDevices - 1);
        for (int value = firstAddress; value <= lastAddress; value++)
        {
            var candidate = new NodeAddress((byte)value);
            // pathLimit does not include the candidate yet: it is what the candidate's frames to us pass through.
            int returnLimit = pathLimit;
            byte[]? reply = await RequestAsync(NodeAddress.Unassigned, candidate, token => LinkManagementMessage.CreateAssignAddress(token, candidate, returnLimit), link, attempts: 1, cancellationToken).ConfigureAwait(false);
            if (reply is null)
            {
                // The answer may have been lost after a device took the address; sending "assign" again would give the
                // same address to the next device. Ask the address itself before concluding the chain ended.
                reply = await RequestAsync(candidate, candidate, token => LinkManagementMessage.CreateCapabilitiesRequest(token, returnLimit), link, _managementAttempts, cancellationToken).ConfigureAwait(false);
                if (reply is null)
                    break;
            }
            NodeCapabilities capabilities = LinkManagementMessage.ReadCapabilities(reply)
                ?? throw new DataLinkException($"The device that took {candidate} advertised invalid capabilities ({Convert.ToHexString(reply)}).");

            // Frames to this device pass every device before it, so the smallest limit so far applies.
            pathLimit = Math.Min(pathLimit, capabilities.MaxFrameSize);
            Volatile.Write(ref _capabilities[value], capabilities);
            Volatile.Write(ref _pathFrameLimits[value], pathLimit);
            Volatile.Write(ref _learntRoutes[value], link);
            var member = new ChainMember(members.Count, candidate, capabilities);
            members.Add(member);
            DataLinkLog.ChainMemberFound(_logger, link.Name, member.Position, candidate, capabilities);
        }
        return members;
    }

    /// <summary>
    /// Gives <paramref name="address"/> to the first unassigned device behind <paramref name="link"/> without making the
    /// other devices there forget theirs: how a host readdresses one device that lost its address to a power cut (it
    /// announced its return from <see cref="NodeAddress.Unassigned"/>) while the rest of the chain keeps working
    /// (docs/protocol.md section 7.5). The path frame limit towards it is the one the last enumeration found for
    /// <paramref name="address"/> (a device comes back at its old position), else this node's own.
    /// </summary>
    /// <returns>The device's capabilities, or null when no unassigned device took the address.</returns>
    /// <exception cref="LinkClosedException">The link closed.</exception>
    public async Task<NodeCapabilities?> AssignAddressAsync(NodeLink link, NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        ThrowIfDisposed();
        if (!ReferenceEquals(link.Node, this))
            throw new ArgumentException("The link does not belong to this node.", nameof(link));
        if (!address.IsDevice)
            throw new ArgumentOutOfRangeException(nameof(address), address, $"Device addresses are 0x{NodeAddress.FirstDevice:X2}..0x{NodeAddress.LastDevice:X2}.");
        if (LocalAddress == NodeAddress.Unassigned)
            throw new InvalidOperationException("An unassigned node cannot assign addresses: replies could not be addressed to it.");
        if (link.CloseReason is { } closed)
            throw new LinkClosedException(closed.LinkName, closed.Message, closed.InnerException);

        int known = Volatile.Read(ref _pathFrameLimits[address.Value]);
        int returnLimit = known > 0 ? known : _maxFrameSize;
        byte[]? reply = await RequestAsync(NodeAddress.Unassigned, address, token => LinkManagementMessage.CreateAssignAddress(token, address, returnLimit), link, attempts: 1, cancellationToken).ConfigureAwait(false)
            // As in enumeration: the answer may be lost after the device took the address; never assign twice.
            ?? await RequestAsync(address, address, token => LinkManagementMessage.CreateCapabilitiesRequest(token, returnLimit), link, _managementAttempts, cancellationToken).ConfigureAwait(false);
        if (reply is null)
            return null;
        NodeCapabilities capabilities = LinkManagementMessage.ReadCapabilities(reply)
            ?? throw new DataLinkException($"The device that took {address} advertised invalid capabilities ({Convert.ToHexString(reply)}).");
        Volatile.Write(ref _capabilities[address.Value], capabilities);
        Volatile.Write(ref _pathFrameLimits[address.Value], Math.Min(returnLimit, capabilities.MaxFrameSize));
        Volatile.Write(ref _learntRoutes[address.Value], link);
        return capabilities;
    }
}
