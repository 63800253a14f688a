using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Tests.Support;

namespace Csa.Rpc.Tests;

/// <summary>
/// The RPC client and server over the real data link (DataLinkNode, frames, fragmentation, forwarding) rather
/// than the fake packet network: point to point in memory, and a four-device daisy chain of emulated UART links
/// that lose and duplicate frames.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-TOPO")]
public class RpcOverDataLinkTests
{
    private static DataLinkNode Node(NodeAddress address, int maxFrameSize = 1024, bool keepSocketsWithoutLinks = false) =>
        new(new DataLinkNodeOptions
        {
            LocalAddress = address,
            MaxFrameSize = maxFrameSize,
            KeepSocketsWithoutLinks = keepSocketsWithoutLinks,
            // Capabilities requests are resent on a lossy line; many short attempts ride over lost frames.
            LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
            LinkManagementAttempts = 20,
        });

    private sealed class Device : IAsyncDisposable
    {
        public Device(DataLinkNode node, RpcExecution execution = RpcExecution.InArrivalOrder)
        {
            Node = node;
            Server = new RpcServer(node.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions { OwnsSocket = true });
            Server.Register(Service, execution);
            Server.Start();
        }

        public DataLinkNode Node { get; }
        public TestService Service { get; } = new();
        public RpcServer Server { get; }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Node.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_call_waiting_for_its_answer_ends_when_the_link_it_went_out_on_closes_and_the_client_works_over_the_next_link()
    {
        await using DataLinkNode host = new(new DataLinkNodeOptions { LocalAddress = NodeAddress.Host, KeepSocketsWithoutLinks = true });
        // The held command never finishes: in arrival order it would hold up the host's next command for good, so the
        // service runs its commands side by side (the test is about the link, not the command loop).
        // The device's node keeps its RPC socket while it has no link, as the host's does: else whether its server is
        // still there for the second link depends on which comes first, the node noticing its closed link or the test
        // adding the next one (the AddOne then went unanswered now and then, on the base commit too).
        await using var device = new Device(Node(new NodeAddress(0x01), keepSocketsWithoutLinks: true), RpcExecution.Concurrent);
        device.Service.HoldGate = new TaskCompletionSource().Task; // never answers
        device.Service.HoldTarget = 1;
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair("usb");
        NodeLink first = host.AddLink(a, LinkRole.Downstream);
        device.Node.AddLink(b, LinkRole.Upstream);
        // A timeout no test waits for: only the closing link can end the wait.
        await using var client = new RpcClient(host.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions { OwnsSocket = true, DefaultTimeout = TimeSpan.FromHours(1) });
        var target = new NodeAddress(0x01);
        Task<U32Message> waiting = client.InvokeAsync<U32Message, U32Message>(target, TestService.Id, TestService.Hold, new U32Message(1), null, CancellationToken.None);
        await device.Service.HoldTargetReached.Task.WaitAsync(TestHelpers.HangGuard);

        await b.DisposeAsync(); // the device's port went with its power

        NodeUnreachableException lost = await Assert.ThrowsAsync<NodeUnreachableException>(() => waiting).WaitAsync(TestHelpers.HangGuard);
        Assert.Equal(target, lost.Node);
        Assert.Contains("closed", lost.Message);
        Assert.False(client.IsClosed);
        await first.Completion.WaitAsync(TestHelpers.HangGuard);
        // The port is back: the same client reaches the device over the new link.
        (InMemoryTransport c, InMemoryTransport d) = InMemoryTransport.CreatePair("usb-again");
        host.SetRoute(target, host.AddLink(c, LinkRole.Downstream)); // what enumerating the reopened link would learn
        device.Node.AddLink(d, LinkRole.Upstream);
        U32Message answer = await client.InvokeAsync<U32Message, U32Message>(target, TestService.Id, TestService.AddOne, new U32Message(41), null, CancellationToken.None)
            .WaitAsync(TestHelpers.HangGuard);
        Assert.Equal(42u, answer.Value);
    }

    [Fact]
    public async Task Commands_errors_and_events_cross_an_in_memory_link()
    {
        await using DataLinkNode host = Node(NodeAddress.Host);
        await using var device = new Device(Node(new NodeAddress(0x01), maxFrameSize: 96));
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair("p2p");
        host.AddLink(a, LinkRole.Downstream);
        device.Node.AddLink(b, LinkRole.Upstream);
        await using var client = new RpcClient(host.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions { OwnsSocket = true });
        var target = new NodeAddress(0x01);

        U32Message answer = await client.InvokeAsync<U32Message, U32Message>(target, TestService.Id, TestService.AddOne, new U32Message(41), null, CancellationToken.None);
        Assert.Equal(42u, answer.Value);

        var error = await Assert.ThrowsAsync<RpcErrorException>(() =>
            client.InvokeAsync<EmptyMessage, EmptyMessage>(target, TestService.Id, TestService.FailWithCode, EmptyMessage.Instance, null, CancellationToken.None));
        Assert.Equal(TestService.FlashLockedCode, error.ErrorCode);

        var unknown = await Assert.ThrowsAsync<RpcErrorException>(() =>
            client.InvokeAsync<EmptyMessage, EmptyMessage>(target, 0x7777, 1, EmptyMessage.Instance, null, CancellationToken.None));
        Assert.Equal(RpcStatus.UnknownInterface, unknown.Status);

        var received = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = client.SubscribeEvent<U32Message>(target, TestService.Id, TestService.CounterEvent, (_, e) => received.TrySetResult(e.Value));
        await client.InvokeAsync<U32Message, EmptyMessage>(target, TestService.Id, TestService.Publish, new U32Message(7), null, CancellationToken.None);
        Assert.Equal(7u, await received.Task.WaitAsync(TestHelpers.HangGuard));

        // A write bigger than the device's 96-byte frames is fragmented by the data link and reassembled before dispatch.
        var block = new byte[256];
        new Random(3).NextBytes(block);
        await client.InvokeAsync<WriteAtRequest, EmptyMessage>(target, TestService.Id, TestService.WriteAt, new WriteAtRequest(0, block), null, CancellationToken.None);
        Assert.Equal(block.Length, Interlocked.Read(ref device.Service.BytesWritten));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_lossy_duplicating_four_device_chain_answers_every_call_and_executes_each_exactly_once()
    {
        await using DataLinkNode host = Node(NodeAddress.Host);
        var devices = new Device[4];
        var links = new EmulatedLink[4];
        DataLinkNode upper = host;
        var channel = new EmulatedChannelOptions
        {
            BaudRate = 1_000_000,
            Latency = TimeSpan.FromMicroseconds(100),
            FrameLossProbability = 0.02,
            FrameDuplicationProbability = 0.02,
        };
        for (int i = 0; i < devices.Length; i++)
        {
            devices[i] = new Device(Node(new NodeAddress((byte)(i + 1))));
            links[i] = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel, seed: 100 + i));
            upper.AddLink(links[i].A, LinkRole.Downstream);
            devices[i].Node.AddLink(links[i].B, LinkRole.Upstream);
            upper = devices[i].Node;
        }

        // Retries repair what the line loses: 2 % per frame per hop, so up to a third of round trips to the
        // last device need a resend. The attempts bound the chance of a false failure far below one in a million.
        await using var client = new RpcClient(host.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions
        {
            OwnsSocket = true,
            DefaultTimeout = TimeSpan.FromMilliseconds(400),
            MaxAttempts = 12,
        });

        const int CallsPerDevice = 40;
        var calls = new List<Task<(int Device, uint Tag, IncrementResponse Response)>>();
        for (int d = 0; d < devices.Length; d++)
        {
            for (int c = 0; c < CallsPerDevice; c++)
            {
                int device = d;
                uint tag = (uint)((d << 16) | c);
                calls.Add(Call(device, tag));
            }
        }
        (int Device, uint Tag, IncrementResponse Response)[] results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(results, r => Assert.Equal(r.Tag, r.Response.CallTag));
        for (int d = 0; d < devices.Length; d++)
        {
            // Every call ran exactly once on its device although frames were lost and duplicated.
            Assert.Equal((ulong)CallsPerDevice, devices[d].Service.Counter);
            Assert.Equal(CallsPerDevice, devices[d].Service.IncrementsByTag.Count);
            Assert.All(devices[d].Service.IncrementsByTag.Values, n => Assert.Equal(1, n));
        }
        long lost = links.Sum(l => l.AToBCounters.FramesDropped + l.BToACounters.FramesDropped);
        long duplicated = links.Sum(l => l.AToBCounters.FramesDuplicated + l.BToACounters.FramesDuplicated);
        Assert.True(lost > 0 && duplicated > 0, $"the links lost {lost} and duplicated {duplicated} frames; the test proves nothing without both");

        foreach (Device device in devices)
            await device.DisposeAsync();
        foreach (EmulatedLink link in links)
            await link.DisposeAsync();

        async Task<(int, uint, IncrementResponse)> Call(int device, uint tag)
        {
            IncrementResponse response = await client.InvokeAsync<IncrementRequest, IncrementResponse>(
                new NodeAddress((byte)(device + 1)), TestService.Id, TestService.Increment, new IncrementRequest(1, tag),
                new RpcCallOptions { Idempotent = false }, CancellationToken.None);
            return (device, tag, response);
        }
    }
}
