using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>The host side of an end-to-end test: a host data link node, its links, and one RPC client over it.</summary>
internal sealed class HostSession : IAsyncDisposable
{
    private HostSession(DataLinkNode node, RpcClient rpc)
    {
        Node = node;
        Rpc = rpc;
    }

    public DataLinkNode Node { get; }

    public RpcClient Rpc { get; }

    /// <param name="rpcTimeout">Per attempt; the device answers a Write only after its erase, so keep it above the erase time.</param>
    /// <param name="maxAttempts">Resends of an unanswered request (lossy links need more).</param>
    /// <param name="linkManagementTimeout">How long enumeration waits for a device that is not there (the end of a chain).</param>
    /// <param name="window">Requests in flight (null: the device's receive buffers; 1: stop-and-wait).</param>
    public static HostSession Create(TimeSpan? rpcTimeout = null, int maxAttempts = 3, TimeSpan? linkManagementTimeout = null, int? window = null)
    {
        var node = new DataLinkNode(new DataLinkNodeOptions
        {
            LinkManagementTimeout = linkManagementTimeout ?? TimeSpan.FromMilliseconds(100),
            LinkManagementAttempts = 1,
        });
        var rpc = new RpcClient(node.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions
        {
            OwnsSocket = true,
            DefaultTimeout = rpcTimeout ?? TimeSpan.FromSeconds(2),
            MaxAttempts = maxAttempts,
            MaxRequestsInFlight = window,
        });
        return new HostSession(node, rpc);
    }

    public NodeLink Connect(ILinkTransport hostEnd) => Node.AddLink(hostEnd, LinkRole.Downstream);

    /// <summary>
    /// Enumerates <paramref name="link"/> until <paramref name="expected"/> devices answer: on a shared, loaded machine
    /// a short link-management timeout can miss a device that is there, and enumerating again is what a host does.
    /// </summary>
    public async Task<IReadOnlyList<ChainMember>> EnumerateAsync(NodeLink link, int expected = 1, byte firstAddress = NodeAddress.FirstDevice, CancellationToken cancellationToken = default)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(DeviceKit.HangGuard);
        while (true)
        {
            IReadOnlyList<ChainMember> members = await Node.EnumerateChainAsync(link, firstAddress, guard.Token);
            if (members.Count >= expected && await AllAnswerAsync(members, guard.Token))
                return members;
        }
    }

    private static readonly RpcCallOptions s_probe = new() { Timeout = TimeSpan.FromMilliseconds(400), MaxAttempts = 3, Idempotent = true };

    /// <summary>
    /// On a line that reorders frames the broadcast "forget your address" can be delivered after the
    /// "assign" that follows it, so a device may forget the address it just took: check every member answers at it.
    /// </summary>
    private async Task<bool> AllAnswerAsync(IReadOnlyList<ChainMember> members, CancellationToken cancellationToken)
    {
        foreach (ChainMember member in members)
        {
            using var device = new Csa.Rpc.Device.DeviceClient(Rpc, member.Address);
            try
            {
                await device.GetIdentityAsync(new Csa.Rpc.Device.GetIdentityRequest(), s_probe, cancellationToken);
            }
            catch (RpcTimeoutException)
            {
                return false;
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Rpc.DisposeAsync();
        await Node.DisposeAsync();
    }
}
