using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

/// <summary>
/// The server runs each source's commands one at a time in arrival order, as a device's command loop does
/// (docs/rpc-packets.md section 6, step 7), while answers from the response cache, other sources' commands and events
/// never wait for a long command; services registered <see cref="RpcExecution.Concurrent"/> opt out.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class RpcServerOrderTests : IAsyncLifetime
{
    private static readonly Endpoint DeviceRpc = new(new NodeAddress(0x01), WellKnownPorts.Rpc);
    private readonly FakePacketNetwork _network = new();
    private readonly TestService _service = new();
    private FakePacketSocket _host = null!;
    private FakePacketSocket _otherHost = null!;
    private RpcServer? _server;

    public Task InitializeAsync()
    {
        _host = _network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc));
        _otherHost = _network.Bind(new Endpoint(NodeAddress.Host, 0x20));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        await _host.DisposeAsync();
        await _otherHost.DisposeAsync();
    }

    private RpcServer Start(RpcServerOptions options, RpcExecution execution = RpcExecution.InArrivalOrder)
    {
        _server = new RpcServer(_network.Bind(DeviceRpc), options with { OwnsSocket = true });
        _server.Register(_service, execution);
        _server.Start();
        return _server;
    }

    private static byte[] Increment(ushort requestId, RpcPacketFlags flags = RpcPacketFlags.None) =>
        Command(TestService.Id, TestService.Increment, requestId, Encode(new IncrementRequest(1, requestId)), flags);

    private static byte[] Hold(ushort requestId) => Command(TestService.Id, TestService.Hold, requestId, Encode(new U32Message(requestId)));

    private static byte[] AddOne(ushort requestId) => Command(TestService.Id, TestService.AddOne, requestId, Encode(new U32Message(requestId)));

    private static ulong Total(InboundPacket answer)
    {
        Assert.True(RpcPacket.TryParse(answer.Payload, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out _));
        Assert.Equal(RpcPacketKind.Response, header.Kind);
        return BinaryPrimitives.ReadUInt64LittleEndian(payload.Span);
    }

    [Fact]
    public async Task Commands_of_one_source_execute_in_arrival_order()
    {
        const int commands = 200;
        Start(new RpcServerOptions { MaxConcurrentRequests = 8, OverloadPolicy = RpcOverloadPolicy.Queue });
        // All sent before any is answered: each Increment answers the counter after it, so the counter each one saw
        // is its place in the execution order.
        for (ushort id = 1; id <= commands; id++)
            await _host.SendAsync(DeviceRpc, Increment(id));

        var executedAs = new Dictionary<ushort, ulong>();
        for (int i = 0; i < commands; i++)
        {
            InboundPacket answer = await _host.ReceiveAsync();
            executedAs.Add(answer.Header().RequestId, Total(answer));
        }
        int firstOutOfOrder = Enumerable.Range(1, commands).FirstOrDefault(arrived => executedAs[(ushort)arrived] != (ulong)arrived);
        Assert.True(firstOutOfOrder == 0,
            $"the command that arrived {firstOutOfOrder}th executed {(firstOutOfOrder == 0 ? 0 : executedAs[(ushort)firstOutOfOrder])}th");
        Assert.Equal(1, _service.PeakConcurrent);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_long_command_holds_up_its_sources_next_command_but_not_replays_other_sources_or_events()
    {
        RpcServer server = Start(new RpcServerOptions());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _service.HoldGate = gate.Task;
        _service.HoldTarget = 1;
        await _host.SendAsync(DeviceRpc, Increment(0x0010));
        ulong before = Total(await _host.ReceiveAsync());
        await _host.SendAsync(DeviceRpc, Hold(0x0011));
        await _service.HoldTargetReached.Task.WaitAsync(HangGuard);
        await _host.SendAsync(DeviceRpc, AddOne(0x0012)); // waits for the hold: it arrived after it

        // A repeat of an answered request is answered from the cache at once.
        await _host.SendAsync(DeviceRpc, Increment(0x0010, RpcPacketFlags.Resend));
        InboundPacket replay = await _host.ReceiveAsync();
        Assert.Equal((0x0010, RpcPacketFlags.Resend), (replay.Header().RequestId, replay.Header().Flags));
        Assert.Equal(before, Total(replay));
        // Another source has a command loop of its own; an event goes out while the hold runs.
        await _otherHost.SendAsync(DeviceRpc, Command(TestService.Id, TestService.Publish, 0x0020, Encode(new U32Message(7))));
        Assert.Equal(RpcPacketKind.Event, (await _host.ReceiveAsync()).Header().Kind);
        RpcPacketHeader other = (await _otherHost.ReceiveAsync()).Header();
        Assert.Equal((RpcPacketKind.Response, (ushort)0x0020), (other.Kind, other.RequestId));
        Assert.Equal(1, server.WaitingCommands);
        Assert.Equal(3, _service.Executed); // the first Increment, the hold, the publish: not the AddOne

        gate.SetResult();
        Assert.Equal(0x0011, (await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(0x0012, (await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(0, server.WaitingCommands);
    }

    [Fact]
    public async Task A_command_waiting_for_its_turn_holds_a_receive_buffer()
    {
        RpcServer server = Start(new RpcServerOptions { MaxConcurrentRequests = 2 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _service.HoldGate = gate.Task;
        _service.HoldTarget = 1;
        await _host.SendAsync(DeviceRpc, Hold(0x0001));
        await _service.HoldTargetReached.Task.WaitAsync(HangGuard);
        await _host.SendAsync(DeviceRpc, AddOne(0x0002));
        await _host.SendAsync(DeviceRpc, AddOne(0x0003));

        InboundPacket busy = await _host.ReceiveAsync();
        Assert.Equal(0x0003, busy.Header().RequestId);
        Assert.Equal((ushort)RpcStatus.Busy, busy.Error().Code);
        Assert.Equal(1, server.WaitingCommands);
        gate.SetResult();
        Assert.Equal(0x0001, (await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(0x0002, (await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(2, server.GetStatistics().PeakConcurrentRequests);
    }

    [Fact]
    public async Task Disposing_the_server_drops_the_commands_waiting_for_their_turn_unexecuted()
    {
        RpcServer server = Start(new RpcServerOptions());
        _service.HoldGate = new TaskCompletionSource().Task; // never opens
        _service.HoldTarget = 1;
        await _host.SendAsync(DeviceRpc, Hold(0x0001));
        await _service.HoldTargetReached.Task.WaitAsync(HangGuard);
        await _host.SendAsync(DeviceRpc, AddOne(0x0002));
        await WaitUntilAsync(() => server.WaitingCommands == 1);

        await server.DisposeAsync().AsTask().WaitAsync(HangGuard);
        Assert.Equal(1, _service.Executed);
        Assert.False(_host.Inbound.TryRead(out _));
    }

    [Fact]
    public async Task A_service_registered_concurrent_runs_its_sources_commands_side_by_side()
    {
        RpcServer server = Start(new RpcServerOptions(), RpcExecution.Concurrent);
        _service.HoldTarget = 3;
        _service.HoldGate = _service.HoldTargetReached.Task; // opens once three run at once
        for (ushort id = 1; id <= 3; id++)
            await _host.SendAsync(DeviceRpc, Hold(id));

        var answered = new HashSet<ushort>();
        for (int i = 0; i < 3; i++)
            answered.Add((await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(new ushort[] { 1, 2, 3 }, answered.Order().ToArray());
        Assert.Equal(3, _service.PeakConcurrent);
        Assert.Equal(0, server.WaitingCommands);
    }

    [Fact]
    public void An_undefined_execution_mode_is_refused()
    {
        var server = new RpcServer(_network.Bind(new Endpoint(new NodeAddress(0x02), WellKnownPorts.Rpc)));
        Assert.Throws<ArgumentOutOfRangeException>(() => server.Register(new TestService(), (RpcExecution)7));
    }
}
