using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcRoundTripTests
{
    [Fact]
    public async Task Command_round_trip_returns_the_typed_response()
    {
        await using var bed = new RpcTestBed();
        U32Message response = await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(41)).WaitAsync(HangGuard);
        Assert.Equal(42u, response.Value);
    }

    [Fact]
    public async Task Hundreds_of_concurrent_calls_each_get_their_own_answer()
    {
        await using var bed = new RpcTestBed();
        Task<U32Message>[] calls = Enumerable.Range(0, 500)
            .Select(i => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message((uint)i * 3)))
            .ToArray();
        U32Message[] responses = await Task.WhenAll(calls).WaitAsync(HangGuard);
        for (int i = 0; i < responses.Length; i++)
            Assert.Equal(((uint)i * 3) + 1, responses[i].Value);
        Assert.Equal(500, bed.Service.Executed);
    }

    [Fact]
    public async Task Raw_invoke_sends_encoded_bytes_and_returns_the_raw_response()
    {
        await using var bed = new RpcTestBed();
        byte[] response = await bed.Client.InvokeRawAsync(RpcTestBed.Device, TestService.Id, TestService.AddOne, [0x09, 0x00, 0x00, 0x00]).WaitAsync(HangGuard);
        Assert.Equal(new byte[] { 0x0A, 0x00, 0x00, 0x00 }, response);
    }

    [Fact]
    public async Task Request_on_the_wire_matches_the_documented_layout()
    {
        // One attempt with a long timeout: on a loaded machine a resend after the default 1 s would add a third packet,
        // and this test is about the layout, not about retransmission.
        await using var bed = new RpcTestBed(client: new RpcClientOptions { FirstRequestId = 0x1234, DefaultTimeout = TimeSpan.FromMinutes(1), MaxAttempts = 1 });
        bed.Network.RecordPackets = true;
        await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(0x12345677)).WaitAsync(HangGuard);

        SentPacket[] packets = bed.Network.SentPackets.ToArray();
        Assert.Equal(2, packets.Length);
        Assert.Equal(new Endpoint(RpcTestBed.Device, WellKnownPorts.Rpc), packets[0].Destination);
        Assert.Equal(Convert.FromHexString("010002010100341277563412"), packets[0].Bytes);
        Assert.Equal(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc), packets[1].Destination);
        Assert.Equal(Convert.FromHexString("020002010100341278563412"), packets[1].Bytes);
    }

    [Fact]
    public async Task Capabilities_are_asked_once_per_device_and_bound_the_window()
    {
        await using var bed = new RpcTestBed(receiveBuffers: 6);
        // Twenty first calls at once share one query while its answer is on its way: on a lossy line each extra query
        // would be one more chance for a lost answer to fail a call (found with the C device, InteropTests).
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Network.CapabilitiesGate = answer.Task;
        Task calls = Task.WhenAll(Enumerable.Range(0, 20).Select(i => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message((uint)i))));
        answer.SetResult();
        await calls.WaitAsync(HangGuard);
        Assert.Equal(6, await bed.Client.GetWindowSizeAsync(RpcTestBed.Device));
        Assert.Equal(1, bed.Network.CapabilityQueries);
        int queries = bed.Network.CapabilityQueries;
        await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)).WaitAsync(HangGuard);
        Assert.Equal(queries, bed.Network.CapabilityQueries);
    }

    [Fact]
    public async Task Local_in_flight_limit_lowers_the_advertised_window()
    {
        await using var bed = new RpcTestBed(client: new RpcClientOptions { MaxRequestsInFlight = 2 }, receiveBuffers: 6);
        Assert.Equal(2, await bed.Client.GetWindowSizeAsync(RpcTestBed.Device));
    }

    [Fact]
    public async Task Device_that_does_not_answer_the_capabilities_query_fails_the_call_and_is_asked_again_later()
    {
        await using var bed = new RpcTestBed();
        var silent = new NodeAddress(0x09);
        await Assert.ThrowsAsync<DataLinkException>(() => bed.Client.InvokeAsync<U32Message, U32Message>(silent, TestService.Id, TestService.AddOne, new U32Message(1), null, default)).WaitAsync(HangGuard);

        bed.Network.Advertise(silent, new NodeCapabilities(1, 256, 2));
        Assert.Equal(2, await bed.Client.GetWindowSizeAsync(silent));
    }

    [Fact]
    public async Task Calling_the_broadcast_address_is_refused()
    {
        await using var bed = new RpcTestBed();
        await Assert.ThrowsAsync<ArgumentException>(() => bed.Client.InvokeAsync<U32Message, U32Message>(NodeAddress.Broadcast, TestService.Id, TestService.AddOne, new U32Message(1), null, default));
    }

    [Fact]
    public async Task Request_that_cannot_be_encoded_throws_and_sends_nothing()
    {
        await using var bed = new RpcTestBed();
        bed.Network.RecordPackets = true;
        await Assert.ThrowsAsync<RpcEncodeException>(() => bed.CallAsync<TextMessage, TextMessage>(TestService.AddOne, new TextMessage(new string('x', 33))));
        Assert.Empty(bed.Network.SentPackets);
    }

    [Fact]
    public void Settings_out_of_range_are_refused_by_name()
    {
        var network = new FakePacketNetwork();
        FakePacketSocket socket = network.Bind(new Endpoint(NodeAddress.Host, 1));
        Assert.Equal("MaxAttempts", Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(socket, new RpcClientOptions { MaxAttempts = 0 })).ParamName);
        Assert.Equal("DefaultTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(socket, new RpcClientOptions { DefaultTimeout = TimeSpan.Zero })).ParamName);
        Assert.Equal("MaxRequestsInFlight", Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(socket, new RpcClientOptions { MaxRequestsInFlight = 0 })).ParamName);
        Assert.Equal("ResponseCacheDepth", Assert.Throws<ArgumentOutOfRangeException>(() => new RpcServer(socket, new RpcServerOptions { ResponseCacheDepth = 8 })).ParamName);
        Assert.Equal("MaxConcurrentRequests", Assert.Throws<ArgumentOutOfRangeException>(() => new RpcServer(socket, new RpcServerOptions { MaxConcurrentRequests = 0 })).ParamName);
    }
}
