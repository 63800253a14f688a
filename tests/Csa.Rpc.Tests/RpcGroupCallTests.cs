using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Tests.Support;

namespace Csa.Rpc.Tests;

/// <summary>
/// Group calls (docs/rpc-packets.md section 12): one command sent once to a group address, one answer per member
/// under the same request id, resends to the group or to one member, and members that are forgotten.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-INST")]
public class RpcGroupCallTests
{
    private static readonly NodeAddress Group = NodeAddress.Group(2);

    private static CancellationToken Guard() => new CancellationTokenSource(TestHelpers.HangGuard).Token;

    private sealed class Chain : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public Chain(int count)
        {
            Host = new DataLinkNode(new DataLinkNodeOptions { LinkManagementTimeout = TestHelpers.HangGuard });
            DataLinkNode upper = Host;
            for (int i = 0; i < count; i++)
            {
                var node = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = new NodeAddress((byte)(i + 1)), LinkManagementTimeout = TestHelpers.HangGuard });
                (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair($"chain-{i}");
                upper.AddLink(a, LinkRole.Downstream);
                node.AddLink(b, LinkRole.Upstream);
                var server = new RpcServer(node.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions { OwnsSocket = true });
                var service = new TestService();
                server.Register(service);
                server.Start();
                Nodes.Add(node);
                Services.Add(service);
                _owned.Add(server);
                _owned.Add(node);
                upper = node;
            }
            Client = new RpcClient(Host.OpenSocket(0x20), new RpcClientOptions { OwnsSocket = true });
        }

        public DataLinkNode Host { get; }

        public List<DataLinkNode> Nodes { get; } = [];

        public List<TestService> Services { get; } = [];

        public RpcClient Client { get; }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            foreach (IAsyncDisposable owned in _owned)
                await owned.DisposeAsync();
            await Host.DisposeAsync();
        }
    }

    [Fact]
    public async Task One_send_to_the_group_gets_one_answer_from_each_member_under_one_request_id()
    {
        await using var chain = new Chain(4);
        NodeAddress[] members = [new(1), new(2), new(4)];
        foreach (NodeAddress member in members)
            await chain.Host.JoinGroupAsync(member, Group, Guard());
        long sent = chain.Host.Counters.PacketsSent;

        using RpcGroupCall call = await chain.Client.SendToGroupAsync(Group, members, TestService.Id, TestService.AddOne, new U32Message(41), Guard());
        Assert.Equal(1, chain.Host.Counters.PacketsSent - sent);
        foreach (NodeAddress member in members)
        {
            RpcGroupReply reply = await call.ReplyFrom(member).WaitAsync(TestHelpers.HangGuard);
            Assert.Equal(member, reply.Member);
            Assert.False(reply.IsError);
            Assert.Equal(42u, reply.Decode<U32Message>().Value);
        }
        Assert.Equal([1L, 1L, 0L, 1L], chain.Services.Select(s => s.Executed).ToArray()); // device 3 is no member
    }

    [Fact]
    public async Task A_member_that_answers_with_an_error_gives_the_error_a_unicast_call_would_throw()
    {
        await using var chain = new Chain(2);
        NodeAddress[] members = [new(1), new(2)];
        foreach (NodeAddress member in members)
            await chain.Host.JoinGroupAsync(member, Group, Guard());
        using RpcGroupCall call = await chain.Client.SendToGroupAsync(Group, members, TestService.Id, TestService.FailWithCode, EmptyMessage.Instance, Guard());
        RpcGroupReply reply = await call.ReplyFrom(new NodeAddress(2)).WaitAsync(TestHelpers.HangGuard);
        Assert.True(reply.IsError);
        RpcErrorException error = reply.ToException();
        Assert.Equal(TestService.FlashLockedCode, error.ErrorCode);
        Assert.Contains("0x02", error.Message, StringComparison.Ordinal);
        Assert.Throws<RpcErrorException>(() => reply.Decode<EmptyMessage>());
    }

    [Fact]
    public async Task A_resend_to_one_member_is_answered_from_its_cache_and_a_forgotten_member_is_not_waited_for()
    {
        await using var chain = new Chain(3);
        NodeAddress[] members = [new(1), new(2), new(3)];
        foreach (NodeAddress member in members)
            await chain.Host.JoinGroupAsync(member, Group, Guard());
        using RpcGroupCall call = await chain.Client.SendToGroupAsync(Group, members, TestService.Id, TestService.Increment, new IncrementRequest(1, 7), Guard());
        foreach (NodeAddress member in members)
            await call.ReplyFrom(member).WaitAsync(TestHelpers.HangGuard);

        // The same request id again, to one member and then to the whole group: each member executed it once.
        await call.ResendToAsync(new NodeAddress(2), Guard());
        await call.ResendAsync(Guard());
        await chain.Client.InvokeAsync<U32Message, U32Message>(new NodeAddress(3), TestService.Id, TestService.AddOne, new U32Message(1), null, Guard()); // after the resends, in order
        Assert.All(chain.Services, s => Assert.Equal(1, s.IncrementsByTag[7]));

        chain.Services[0].HoldGate = new TaskCompletionSource().Task; // device 1 never answers the next one
        using RpcGroupCall held = await chain.Client.SendToGroupAsync(Group, members, TestService.Id, TestService.Hold, new U32Message(5), Guard());
        Assert.Equal(5u, (await held.ReplyFrom(new NodeAddress(3)).WaitAsync(TestHelpers.HangGuard)).Decode<U32Message>().Value);
        held.Forget(new NodeAddress(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held.ReplyFrom(new NodeAddress(1)).WaitAsync(TestHelpers.HangGuard));
        Assert.IsType<ArgumentException>(Record.Exception(() => { _ = call.ReplyFrom(new NodeAddress(9)); }));
    }

    [Fact]
    public async Task Group_calls_take_request_ids_that_no_member_has_pending_and_check_their_arguments()
    {
        await using var chain = new Chain(1);
        NodeAddress member = new(1);
        await chain.Host.JoinGroupAsync(member, Group, Guard());
        var ids = new HashSet<ushort>();
        var calls = new List<RpcGroupCall>();
        for (int i = 0; i < 40; i++)
        {
            // One at a time (the caller keeps the member within its receive buffers); the calls stay open, so their ids stay taken.
            RpcGroupCall call = await chain.Client.SendToGroupAsync(Group, [member], TestService.Id, TestService.AddOne, new U32Message((uint)i), Guard());
            Assert.True(ids.Add(call.RequestId));
            calls.Add(call);
            Assert.Equal((uint)i + 1, (await call.ReplyFrom(member).WaitAsync(TestHelpers.HangGuard)).Decode<U32Message>().Value);
        }
        calls.ForEach(c => c.Dispose());

        await Assert.ThrowsAsync<ArgumentException>(() => chain.Client.SendToGroupAsync(new NodeAddress(1), [member], TestService.Id, TestService.AddOne, new U32Message(1)));
        await Assert.ThrowsAsync<ArgumentException>(() => chain.Client.SendToGroupAsync(Group, [], TestService.Id, TestService.AddOne, new U32Message(1)));
        await Assert.ThrowsAsync<ArgumentException>(() => chain.Client.SendToGroupAsync(Group, [NodeAddress.Broadcast], TestService.Id, TestService.AddOne, new U32Message(1)));
    }

    [Fact]
    public async Task Losing_the_link_fails_every_member_s_wait()
    {
        var chain = new Chain(1);
        try
        {
            await chain.Host.JoinGroupAsync(new NodeAddress(1), Group, Guard());
            chain.Services[0].HoldGate = new TaskCompletionSource().Task; // never answers
            using RpcGroupCall call = await chain.Client.SendToGroupAsync(Group, [new NodeAddress(1)], TestService.Id, TestService.Hold, new U32Message(1), Guard());
            Task<RpcGroupReply> waiting = call.ReplyFrom(new NodeAddress(1));
            await chain.Host.RemoveLinkAsync(chain.Host.Links[0]);
            await Assert.ThrowsAsync<RpcLinkLostException>(() => waiting.WaitAsync(TestHelpers.HangGuard));
        }
        finally
        {
            await chain.DisposeAsync();
        }
    }
}
