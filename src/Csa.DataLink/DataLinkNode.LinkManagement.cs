using System.Buffers.Binary;
using Csa.DataLink.Internal;

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    /// <summary>
    /// What <paramref name="node"/> advertised about itself: asked over link management on first use, then cached
    /// (until the node's link closes or the chain is enumerated again).
    /// </summary>
    /// <exception cref="NodeUnreachableException">The node did not answer within the link-management timeout.</exception>
    /// <exception cref="DataLinkException">The node answered with capabilities no node may have.</exception>
    public async Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (node == NodeAddress.Broadcast)
            throw new ArgumentException("Only one node can answer a capabilities request; the broadcast address cannot.", nameof(node));
        if (node == LocalAddress)
            return Capabilities;
        bool cacheable = node != NodeAddress.Unassigned;
        if (cacheable && Volatile.Read(ref _capabilities[node.Value]) is { } cached)
            return cached;

        byte[] reply = await RequestAsync(node, node, token => LinkManagementMessage.CreateCapabilitiesRequest(token, GetReturnFrameLimit(node)), via: null, _managementAttempts, cancellationToken).ConfigureAwait(false)
            ?? throw new NodeUnreachableException(node, $"{node} did not answer a capabilities request ({_managementAttempts} attempt(s) of {_managementTimeout.TotalMilliseconds} ms).");
        NodeCapabilities capabilities = LinkManagementMessage.ReadCapabilities(reply)
            ?? throw new DataLinkException($"{node} advertised invalid capabilities ({Convert.ToHexString(reply)}): the maximum frame size must be at least {DataLinkProtocol.MinimumMaxFrameSize} and receive buffers at least 1.");
        if (cacheable)
            Volatile.Write(ref _capabilities[node.Value], capabilities);
        return capabilities;
    }

    /// <summary>Sends an echo request to <paramref name="node"/> and returns the round-trip time.</summary>
    /// <exception cref="NodeUnreachableException">No answer within the link-management timeout.</exception>
    public async Task<TimeSpan> PingAsync(NodeAddress node, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (node == NodeAddress.Broadcast)
            throw new ArgumentException("Ping one node at a time; the broadcast address cannot answer.", nameof(node));
        long start = _timeProvider.GetTimestamp();
        byte[] body = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(body, start);
        byte[] reply = await RequestAsync(node, node, token => LinkManagementMessage.Create(LinkManagementType.EchoRequest, token, body), via: null, _managementAttempts, cancellationToken).ConfigureAwait(false)
            ?? throw new NodeUnreachableException(node, $"{node} did not answer an echo request ({_managementAttempts} attempt(s) of {_managementTimeout.TotalMilliseconds} ms).");
        if (!reply.AsSpan().SequenceEqual(body))
            throw new DataLinkException($"{node} echoed {Convert.ToHexString(reply)} instead of {Convert.ToHexString(body)}.");
        return _timeProvider.GetElapsedTime(start);
    }

    /// <summary>
    /// Sends a link-management request up to <paramref name="attempts"/> times and waits for the response with the
    /// same token from <paramref name="expectedSource"/>; null when no attempt is answered within the
    /// link-management timeout. Every attempt reuses the token, so a late answer to an earlier one still counts.
    /// </summary>
    private async Task<byte[]?> RequestAsync(NodeAddress destination, NodeAddress expectedSource, Func<byte, byte[]> createMessage, NodeLink? via, int attempts, CancellationToken cancellationToken)
    {
        var request = new PendingRequest(expectedSource);
        byte token = ReserveToken(request);
        try
        {
            byte[] message = createMessage(token);
            request.ExpectedType = (LinkManagementType)(message[0] | LinkManagementMessage.ResponseFlag);
            for (int attempt = 1; ; attempt++)
            {
                await SendPacketAsync(WellKnownPorts.LinkManagement, new Endpoint(destination, WellKnownPorts.LinkManagement), message, via, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await request.Completion.Task.WaitAsync(_managementTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException) when (attempt < attempts)
                {
                }
            }
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(KeyValuePair.Create(token, request));
        }
    }

    private byte ReserveToken(PendingRequest request)
    {
        for (int attempt = 0; attempt < 256; attempt++)
        {
            byte token = (byte)Interlocked.Increment(ref _nextToken);
            if (_pending.TryAdd(token, request))
                return token;
        }
        throw new DataLinkException("256 link-management requests are already waiting for answers; wait for some to finish.");
    }

    private void HandleLinkManagement(NodeLink? link, Endpoint source, Endpoint destination, byte[] message)
    {
        if (message.Length < LinkManagementMessage.HeaderSize)
        {
            Drop(link, FrameDropReason.InvalidLinkManagement, destination);
            return;
        }
        var type = (LinkManagementType)message[0];
        byte token = message[1];
        ReadOnlySpan<byte> body = message.AsSpan(LinkManagementMessage.HeaderSize);

        if ((message[0] & LinkManagementMessage.ResponseFlag) != 0)
        {
            if (_pending.TryGetValue(token, out PendingRequest? request) && request.ExpectedType == type && request.ExpectedSource == source.Node)
                request.Completion.TrySetResult(body.ToArray());
            else
                Drop(link, FrameDropReason.InvalidLinkManagement, destination); // late, duplicate or unsolicited
            return;
        }

        switch (type)
        {
            case LinkManagementType.CapabilitiesRequest when LinkManagementMessage.ReadFrameLimit(body) is { } returnLimit:
                LearnReturnFrameLimit(source.Node, returnLimit);
                Reply(link, source, LinkManagementMessage.CreateCapabilities(LinkManagementType.CapabilitiesResponse, token, Capabilities));
                break;

            case LinkManagementType.EchoRequest:
                Reply(link, source, LinkManagementMessage.Create(LinkManagementType.EchoResponse, token, body));
                break;

            case LinkManagementType.AssignAddress
                when _allowAddressAssignment && LocalAddress == NodeAddress.Unassigned && destination.Node == NodeAddress.Unassigned
                     && body.Length == 3 && new NodeAddress(body[0]).IsDevice && LinkManagementMessage.ReadFrameLimit(body[1..]) is { } hostLimit:
                var assigned = new NodeAddress(body[0]);
                SetLocalAddress(assigned);
                LearnReturnFrameLimit(source.Node, hostLimit);
                DataLinkLog.AddressAssigned(_logger, assigned, source);
                Reply(link, source, LinkManagementMessage.CreateCapabilities(LinkManagementType.AddressAssigned, token, Capabilities));
                break;

            case LinkManagementType.JoinGroup or LinkManagementType.LeaveGroup when HandleGroupRequest(link, source, destination, type, token, body):
                break;

            case LinkManagementType.ForgetAddress when _allowAddressAssignment && LocalAddress != NodeAddress.Host && body.IsEmpty:
                NodeAddress previous = LocalAddress;
                SetLocalAddress(NodeAddress.Unassigned);
                ForgetLearnt(link: null);
                DataLinkLog.AddressForgotten(_logger, previous, source);
                break;

            default:
                Drop(link, FrameDropReason.InvalidLinkManagement, destination);
                break;
        }
    }

    /// <summary>
    /// Answers out of the link the request came in on (the requester may be unassigned, so no route leads to it).
    /// Not awaited: the read loop must not wait for the opposite direction of its own link.
    /// </summary>
    private void Reply(NodeLink? link, Endpoint requester, byte[] message) => _ = ReplyAsync(link, requester, message);

    private async Task ReplyAsync(NodeLink? link, Endpoint requester, byte[] message)
    {
        try
        {
            await SendPacketAsync(WellKnownPorts.LinkManagement, requester, message, link, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DataLinkException or OperationCanceledException or ObjectDisposedException)
        {
            DataLinkLog.ReplyFailed(_logger, requester, link?.Name ?? "loopback", ex);
        }
    }

    /// <summary>
    /// The largest frame <paramref name="node"/> may send back to this node: this node's own limit and, when
    /// enumeration found forwarders on the way, theirs. Sent in capabilities and assign-address requests.
    /// </summary>
    private int GetReturnFrameLimit(NodeAddress node)
    {
        int path = node.IsDevice || node == NodeAddress.Host ? Volatile.Read(ref _pathFrameLimits[node.Value]) : 0;
        return path == 0 ? _maxFrameSize : Math.Min(_maxFrameSize, path);
    }

    /// <summary>Remembers what a requester said about frames back to it (protocol.md 7.1).</summary>
    private void LearnReturnFrameLimit(NodeAddress requester, int limit)
    {
        if (requester.IsDevice || requester == NodeAddress.Host)
            Volatile.Write(ref _pathFrameLimits[requester.Value], limit);
    }

    private sealed class PendingRequest(NodeAddress expectedSource)
    {
        public LinkManagementType ExpectedType { get; set; }
        public NodeAddress ExpectedSource { get; } = expectedSource;
        public TaskCompletionSource<byte[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
