using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

/// <summary>The server seen from a raw socket, packet by packet.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class RpcServerTests : IAsyncLifetime
{
    private static readonly NodeAddress DeviceNode = new(0x01);
    private readonly FakePacketNetwork _network = new();
    private readonly TestService _service = new();
    private readonly FakeTimeProvider _time = new();
    private RpcServer _server = null!;
    private FakePacketSocket _host = null!;
    private FakePacketSocket _otherHostPort = null!;

    private static Endpoint DeviceRpc => new(DeviceNode, WellKnownPorts.Rpc);

    public Task InitializeAsync()
    {
        _server = new RpcServer(_network.Bind(DeviceRpc), new RpcServerOptions { OwnsSocket = true, TimeProvider = _time });
        _server.Register(_service);
        _server.Start();
        _host = _network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc));
        _otherHostPort = _network.Bind(new Endpoint(NodeAddress.Host, 0x20));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _host.DisposeAsync();
        await _otherHostPort.DisposeAsync();
    }

    private Task SendAsync(byte[] packet, FakePacketSocket? from = null) => (from ?? _host).SendAsync(DeviceRpc, packet);

    private static byte[] Increment(ushort requestId, uint tag, RpcPacketFlags flags = RpcPacketFlags.None) =>
        Command(TestService.Id, TestService.Increment, requestId, Encode(new IncrementRequest(1, tag)), flags);

    [Fact]
    public void Registering_sets_the_services_event_sink_to_the_server()
    {
        Assert.Same(_server, _service.EventSink);
    }

    [Fact]
    public async Task Command_with_reserved_flags_is_answered_BadPacket_echoing_its_ids()
    {
        await SendAsync(Convert.FromHexString("0180020103003412"));
        InboundPacket answer = await _host.ReceiveAsync();

        Assert.Equal(Convert.FromHexString("030002010300341206FF"), answer.Payload.ToArray()[..10]);
        Assert.Equal((ushort)RpcStatus.BadPacket, answer.Error().Code);
        Assert.Contains("reserved", answer.Error().Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.GetStatistics().MalformedPackets);
    }

    [Fact]
    public async Task Unknown_kind_and_version_are_answered_BadPacket()
    {
        await SendAsync(Convert.FromHexString("0500020103003412"));
        Assert.Equal((ushort)RpcStatus.BadPacket, (await _host.ReceiveAsync()).Error().Code);
        await SendAsync(Convert.FromHexString("1100020103003412"));
        Assert.Equal((ushort)RpcStatus.BadPacket, (await _host.ReceiveAsync()).Error().Code);
    }

    [Fact]
    public async Task Short_packets_and_malformed_answers_are_dropped_unanswered()
    {
        await SendAsync([0x01, 0x00, 0x02]);
        await SendAsync(Convert.FromHexString("0280020103003412")); // a response with reserved flags
        await SendAsync(Convert.FromHexString("0300020103003412")); // an error without its code
        await SendAsync(Convert.FromHexString("020002010300341200")); // a well-formed response: not for a server
        await SendAsync(Increment(0x0001, 1));

        // The server handles packets in order: the first answer is the one to the valid command.
        InboundPacket answer = await _host.ReceiveAsync();
        Assert.Equal(RpcPacketKind.Response, answer.Header().Kind);
        Assert.Equal(0x0001, answer.Header().RequestId);
        Assert.Equal(3, _server.GetStatistics().MalformedPackets);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Repeated_request_is_replayed_from_the_cache_with_the_resend_flag()
    {
        await SendAsync(Increment(0x0010, 1));
        InboundPacket first = await _host.ReceiveAsync();
        await SendAsync(Increment(0x0010, 1, RpcPacketFlags.Resend));
        InboundPacket replay = await _host.ReceiveAsync();

        Assert.Equal(1, _service.Executed);
        Assert.Equal(RpcPacketFlags.None, first.Header().Flags);
        Assert.Equal(RpcPacketFlags.Resend, replay.Header().Flags);
        Assert.Equal(first.Payload.ToArray()[2..], replay.Payload.ToArray()[2..]);
    }

    [Fact]
    public async Task Same_request_id_with_other_content_is_a_new_request()
    {
        await SendAsync(Increment(0x0020, 1));
        await _host.ReceiveAsync();
        await SendAsync(Increment(0x0020, 2)); // a restarted host reusing the id
        await _host.ReceiveAsync();
        Assert.Equal(2, _service.Executed);

        await SendAsync(Increment(0x0020, 2));
        await _host.ReceiveAsync();
        Assert.Equal(2, _service.Executed);
    }

    [Fact]
    public async Task Response_cache_is_kept_per_client_endpoint()
    {
        await SendAsync(Increment(0x0030, 1));
        await SendAsync(Increment(0x0030, 1), _otherHostPort);
        await _host.ReceiveAsync();
        await _otherHostPort.ReceiveAsync();
        Assert.Equal(2, _service.Executed);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Answers_beyond_the_cache_depth_are_evicted_and_late_copies_of_them_dropped()
    {
        for (ushort id = 0; id <= RpcProtocol.MinResponseCacheDepth; id++)
        {
            await SendAsync(Increment(id, id));
            await _host.ReceiveAsync();
        }
        // Request 1 is among the newest 32: replayed.
        await SendAsync(Increment(1, 1));
        Assert.Equal(RpcPacketFlags.Resend, (await _host.ReceiveAsync()).Header().Flags);
        // Request 0 left the cache: a late copy of it is dropped, neither executed nor answered.
        await SendAsync(Increment(0, 0));
        await SendAsync(Increment(0x0100, 0x100));
        Assert.Equal(0x0100, (await _host.ReceiveAsync()).Header().RequestId);
        Assert.Equal(RpcProtocol.MinResponseCacheDepth + 2, _service.Executed);
        Assert.Equal(1, _server.GetStatistics().DuplicatesIgnored);
    }

    [Fact]
    public async Task Once_the_duplicate_history_expires_the_same_request_is_served_as_new()
    {
        for (ushort id = 0; id <= RpcProtocol.MinResponseCacheDepth; id++)
        {
            await SendAsync(Increment(id, id));
            await _host.ReceiveAsync();
        }
        _time.Advance(TimeSpan.FromSeconds(3)); // past DuplicateHistoryLifetime: a restarted host reusing id and content
        await SendAsync(Increment(0, 0));
        InboundPacket answer = await _host.ReceiveAsync();
        Assert.Equal(RpcPacketFlags.None, answer.Header().Flags);
        Assert.Equal(RpcProtocol.MinResponseCacheDepth + 2, _service.Executed);
    }

    [Fact]
    public async Task Errors_from_the_server_itself_are_not_cached()
    {
        await SendAsync(Command(0x0777, 1, 0x0040, []));
        Assert.Equal((ushort)RpcStatus.UnknownInterface, (await _host.ReceiveAsync()).Error().Code);
        await SendAsync(Command(0x0777, 1, 0x0040, []));
        InboundPacket again = await _host.ReceiveAsync();
        Assert.Equal((ushort)RpcStatus.UnknownInterface, again.Error().Code);
        Assert.Equal(RpcPacketFlags.None, again.Header().Flags);
    }

    [Fact]
    public async Task Device_errors_are_cached_and_replayed_like_responses()
    {
        await SendAsync(Command(TestService.Id, TestService.FailWithCode, 0x0050, []));
        (ushort code, string message) = (await _host.ReceiveAsync()).Error();
        Assert.Equal(TestService.FlashLockedCode, code);
        Assert.Equal("flash is locked", message);
        await SendAsync(Command(TestService.Id, TestService.FailWithCode, 0x0050, []));
        InboundPacket replay = await _host.ReceiveAsync();
        Assert.Equal(RpcPacketFlags.Resend, replay.Header().Flags);
        Assert.Equal(1, _service.Executed);
    }

    [Fact]
    public async Task Disposing_the_server_cancels_running_handlers_and_completes()
    {
        _service.HoldGate = new TaskCompletionSource().Task; // never opens
        _service.HoldTarget = 1;
        await SendAsync(Command(TestService.Id, TestService.Hold, 0x0060, Encode(new U32Message(1))));
        await _service.HoldTargetReached.Task.WaitAsync(HangGuard);

        await _server.DisposeAsync().AsTask().WaitAsync(HangGuard);
        await _server.Completion.WaitAsync(HangGuard);
        Assert.False(_host.Inbound.TryRead(out _)); // no answer for a cancelled command
    }

    [Fact]
    public async Task Malformed_commands_can_be_dropped_instead_of_answered()
    {
        await using var server = new RpcServer(_network.Bind(new Endpoint(new NodeAddress(0x02), WellKnownPorts.Rpc)), new RpcServerOptions { AnswerMalformedPackets = false, OwnsSocket = true });
        server.Register(new TestService());
        server.Start();
        var target = new Endpoint(new NodeAddress(0x02), WellKnownPorts.Rpc);
        await _host.SendAsync(target, Convert.FromHexString("0180020103003412"));
        await _host.SendAsync(target, Increment(0x0002, 2));
        Assert.Equal(RpcPacketKind.Response, (await _host.ReceiveAsync()).Header().Kind);
        Assert.Equal(1, server.GetStatistics().MalformedPackets);
    }
}
