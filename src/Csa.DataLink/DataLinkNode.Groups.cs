using Csa.DataLink.Internal;

namespace Csa.DataLink;

// Groups (docs/protocol.md sections 2, 6.2, 6.3 and 7.6): a frame to a group address is delivered by every node that
// joined the group and forwarded like a broadcast, so the host sends a packet once and every member of a daisy chain
// takes it, each hop carrying it once.
public sealed partial class DataLinkNode
{
    private const int GroupCount = NodeAddress.LastGroup - NodeAddress.FirstGroup + 1;

    /// <summary>Answer of a join request: the node is a member now.</summary>
    internal const byte GroupJoinedResult = 0;

    /// <summary>Answer of a join request: the node takes no (more) groups.</summary>
    internal const byte GroupRefusedResult = 1;

    private readonly NodeLink[]?[] _groupLinks = new NodeLink[]?[GroupCount];
    private int _groupMask; // bit i: member of group 0xF0 + i

    /// <summary>The groups this node is a member of (it delivers frames sent to them), in address order.</summary>
    public IReadOnlyList<NodeAddress> Groups
    {
        get
        {
            int mask = Volatile.Read(ref _groupMask);
            var groups = new List<NodeAddress>();
            for (int i = 0; i < GroupCount; i++)
                if ((mask & (1 << i)) != 0)
                    groups.Add(NodeAddress.Group(i));
            return groups;
        }
    }

    /// <summary>True when this node delivers frames sent to <paramref name="group"/>.</summary>
    public bool IsMemberOf(NodeAddress group) => group.IsGroup && (Volatile.Read(ref _groupMask) & GroupBit(group)) != 0;

    /// <summary>
    /// Makes this node a member of <paramref name="group"/>: it delivers frames sent there from now on (it forwards them
    /// whether or not it is a member). What a node does when a host asks it over link management (section 7.6).
    /// </summary>
    /// <returns>False when the node is already a member of <see cref="DataLinkNodeOptions.MaxGroups"/> other groups.</returns>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a group address (0xF0..0xFD).</exception>
    public bool JoinGroup(NodeAddress group)
    {
        int bit = GroupBit(group);
        while (true)
        {
            int mask = Volatile.Read(ref _groupMask);
            if ((mask & bit) != 0)
                return true;
            if (System.Numerics.BitOperations.PopCount((uint)mask) >= _maxGroups)
                return false;
            if (Interlocked.CompareExchange(ref _groupMask, mask | bit, mask) == mask)
            {
                DataLinkLog.GroupJoined(_logger, group);
                return true;
            }
        }
    }

    /// <summary>Stops delivering frames sent to <paramref name="group"/>; false when this node was not a member.</summary>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a group address.</exception>
    public bool LeaveGroup(NodeAddress group)
    {
        int bit = GroupBit(group);
        bool left = (Interlocked.And(ref _groupMask, ~bit) & bit) != 0;
        if (left)
            DataLinkLog.GroupLeft(_logger, group);
        return left;
    }

    /// <summary>Leaves every group.</summary>
    public void LeaveAllGroups()
    {
        if (Interlocked.Exchange(ref _groupMask, 0) != 0)
            DataLinkLog.GroupLeft(_logger, NodeAddress.Broadcast);
    }

    /// <summary>
    /// Asks <paramref name="member"/> to join <paramref name="group"/> (link management, section 7.6; sent again like a
    /// capabilities request when the answer does not come, since joining twice is harmless).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a group address, or <paramref name="member"/> is not one node.</exception>
    /// <exception cref="NodeUnreachableException">No answer: the node is not there, or its data link knows no groups.</exception>
    /// <exception cref="GroupRefusedException">The node answered that it takes no (more) groups.</exception>
    public async Task JoinGroupAsync(NodeAddress member, NodeAddress group, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        int bit = GroupBit(group);
        RequireOneNode(member);
        if (member == LocalAddress)
        {
            if (!JoinGroup(group))
                throw new GroupRefusedException(member, group, $"This node is already a member of {_maxGroups} group(s); it cannot join {group}.");
            return;
        }
        _ = bit;
        byte[] reply = await RequestAsync(member, member, token => LinkManagementMessage.Create(LinkManagementType.JoinGroup, token, [group.Value]), via: null, _managementAttempts, cancellationToken).ConfigureAwait(false)
            ?? throw new NodeUnreachableException(member, $"{member} did not answer a request to join {group} ({_managementAttempts} attempt(s) of {_managementTimeout.TotalMilliseconds} ms): it is not there, or its data link knows no groups.");
        if (reply.Length != 2 || reply[0] != group.Value)
            throw new DataLinkException($"{member} answered a request to join {group} with {Convert.ToHexString(reply)}; the group and a result byte were expected.");
        if (reply[1] != GroupJoinedResult)
            throw new GroupRefusedException(member, group, $"{member} refused to join {group} (result {reply[1]}): it takes no more groups.");
    }

    /// <summary>
    /// Asks <paramref name="member"/> to leave <paramref name="group"/>, or every group when <paramref name="group"/> is
    /// <see cref="NodeAddress.Broadcast"/>. Leaving a group it is not in is not an error.
    /// </summary>
    /// <exception cref="NodeUnreachableException">No answer.</exception>
    public async Task LeaveGroupAsync(NodeAddress member, NodeAddress group, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (group != NodeAddress.Broadcast)
            _ = GroupBit(group);
        RequireOneNode(member);
        if (member == LocalAddress)
        {
            if (group == NodeAddress.Broadcast)
                LeaveAllGroups();
            else
                LeaveGroup(group);
            return;
        }
        byte[] reply = await RequestAsync(member, member, token => LinkManagementMessage.Create(LinkManagementType.LeaveGroup, token, [group.Value]), via: null, _managementAttempts, cancellationToken).ConfigureAwait(false)
            ?? throw new NodeUnreachableException(member, $"{member} did not answer a request to leave {group} ({_managementAttempts} attempt(s) of {_managementTimeout.TotalMilliseconds} ms).");
        if (reply.Length != 1 || reply[0] != group.Value)
            throw new DataLinkException($"{member} answered a request to leave {group} with {Convert.ToHexString(reply)}; the group was expected.");
    }

    /// <summary>
    /// How this node sends to <paramref name="group"/>: out of <paramref name="links"/> only (null: every open link, as
    /// a broadcast), in frames of at most <paramref name="maxFrameSize"/> bytes: the smallest path frame size of the
    /// members, which a sender must know (section 6.1; without it a group gets the protocol minimum, 64). Forwarding
    /// nodes always pass group frames on out of every other link.
    /// </summary>
    /// <exception cref="ArgumentException">Not a group address, a link of another node, or a frame size out of range.</exception>
    public void SetGroupPath(NodeAddress group, IReadOnlyCollection<NodeLink>? links, int maxFrameSize)
    {
        int index = GroupIndex(group);
        if (maxFrameSize is < DataLinkProtocol.MinimumMaxFrameSize or > DataLinkProtocol.MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize, $"A frame size is {DataLinkProtocol.MinimumMaxFrameSize}..{DataLinkProtocol.MaximumMaxFrameSize} bytes.");
        if (links is not null && links.Any(l => !ReferenceEquals(l.Node, this)))
            throw new ArgumentException("A link does not belong to this node.", nameof(links));
        Volatile.Write(ref _groupLinks[index], links?.ToArray());
        Volatile.Write(ref _pathFrameLimits[group.Value], maxFrameSize);
    }

    /// <summary>The links a packet to <paramref name="group"/> leaves by: its path when set (the open ones), else every open link.</summary>
    private NodeLink[] GroupLinks(NodeAddress group)
    {
        NodeLink[] open = Array.FindAll(Volatile.Read(ref _links), l => l.IsOpen);
        return Volatile.Read(ref _groupLinks[GroupIndex(group)]) is { } path ? Array.FindAll(open, l => Array.IndexOf(path, l) >= 0) : open;
    }

    /// <summary>Answers a join or leave request (section 7.6); false when the message is not a valid one.</summary>
    private bool HandleGroupRequest(NodeLink? link, Endpoint source, Endpoint destination, LinkManagementType type, byte token, ReadOnlySpan<byte> body)
    {
        if (destination.Node != LocalAddress || body.Length != 1)
            return false; // a member is asked by name, never through a broadcast or a group
        var group = new NodeAddress(body[0]);
        if (type == LinkManagementType.JoinGroup && group.IsGroup)
        {
            byte result = _maxGroups > 0 && JoinGroup(group) ? GroupJoinedResult : GroupRefusedResult;
            Reply(link, source, LinkManagementMessage.Create(LinkManagementType.GroupJoined, token, [group.Value, result]));
            return true;
        }
        if (type == LinkManagementType.LeaveGroup && (group.IsGroup || group == NodeAddress.Broadcast))
        {
            if (group == NodeAddress.Broadcast)
                LeaveAllGroups();
            else
                LeaveGroup(group);
            Reply(link, source, LinkManagementMessage.Create(LinkManagementType.GroupLeft, token, [group.Value]));
            return true;
        }
        return false;
    }

    private static void RequireOneNode(NodeAddress member)
    {
        if (member == NodeAddress.Broadcast || member.IsGroup || member == NodeAddress.Unassigned)
            throw new ArgumentException($"Ask one node by its address; {member} is not one.", nameof(member));
    }

    private static int GroupIndex(NodeAddress group)
    {
        if (!group.IsGroup)
            throw new ArgumentException($"{group} is not a group address (0x{NodeAddress.FirstGroup:X2}..0x{NodeAddress.LastGroup:X2}).", nameof(group));
        return group.Value - NodeAddress.FirstGroup;
    }

    private static int GroupBit(NodeAddress group) => 1 << GroupIndex(group);
}
