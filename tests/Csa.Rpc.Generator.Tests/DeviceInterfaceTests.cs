using Csa.DataLink;
using Csa.Rpc.Device;

namespace Csa.Rpc.Generator.Tests;

/// <summary>The Device interface compiled into Csa.Rpc: the client and server base every node and host use.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class DeviceInterfaceTests
{
    private static readonly NodeAddress Node = new(0x21);

    private sealed class FakeNode : DeviceServerBase
    {
        public bool Updating { get; set; }

        public List<ResetRequest> Resets { get; } = new();

        public Task BeatAsync(uint uptime) => PublishHeartbeatAsync(new HeartbeatEvent(DeviceState.Running, ImageKind.Application, uptime));

        protected override Task<GetIdentityResponse> GetIdentityAsync(GetIdentityRequest request, Endpoint source, CancellationToken cancellationToken) =>
            Task.FromResult(DeviceVectors.Identity);

        protected override Task<GetVersionsResponse> GetVersionsAsync(GetVersionsRequest request, Endpoint source, CancellationToken cancellationToken) =>
            Task.FromResult(new GetVersionsResponse(ImageKind.Application, BootloaderSlot.A, new ImageVersion(1, 0, 0, 7), new ImageVersion(2, 1, 3, 99), true, 5, 1));

        protected override Task<GetCapabilitiesResponse> GetCapabilitiesAsync(GetCapabilitiesRequest request, Endpoint source, CancellationToken cancellationToken) =>
            Task.FromResult(new GetCapabilitiesResponse(256, 4, 4096, FeatureFlags.Signatures | FeatureFlags.Encryption));

        protected override Task<GetUpdateRulesResponse> GetUpdateRulesAsync(GetUpdateRulesRequest request, Endpoint source, CancellationToken cancellationToken) =>
            Task.FromResult(DeviceVectors.UpdateRules);

        protected override Task<ResetResponse> ResetAsync(ResetRequest request, Endpoint source, CancellationToken cancellationToken)
        {
            if (Updating)
                throw Error(DeviceError.Busy, "an update is being written");
            Resets.Add(request);
            return Task.FromResult(new ResetResponse());
        }

        protected override Task<EnterBootloaderResponse> EnterBootloaderAsync(EnterBootloaderRequest request, Endpoint source, CancellationToken cancellationToken) =>
            throw Error(DeviceError.NotAllowed, "therapy running");
    }

    [Fact]
    public async Task Host_reads_identity_versions_and_capabilities_of_a_node()
    {
        var invoker = new LoopbackInvoker { ServedDevice = Node };
        var node = new FakeNode();
        invoker.Host(node);
        using var client = new DeviceClient(invoker, Node);

        Assert.Equal(DeviceVectors.Identity, await client.GetIdentityAsync());
        Assert.Equal(new ImageVersion(2, 1, 3, 99), (await client.GetVersionsAsync()).ApplicationVersion);
        Assert.Equal(FeatureFlags.Signatures | FeatureFlags.Encryption, (await client.GetCapabilitiesAsync()).Features);
        Assert.All(invoker.Calls, c => Assert.True(c.Options!.Idempotent));
        Assert.Equal((ushort)0x0001, node.InterfaceId);
        Assert.Equal(new ushort[] { 1, 2, 3 }, invoker.Calls.Select(c => c.CommandId));
    }

    [Fact]
    public async Task Reset_is_not_idempotent_and_device_errors_are_typed()
    {
        var invoker = new LoopbackInvoker { ServedDevice = Node };
        var node = new FakeNode();
        invoker.Host(node);
        var client = new DeviceClient(invoker, Node);

        await client.ResetAsync(ResetMode.Bootloader, 250);
        node.Updating = true;
        RpcErrorException busy = await Assert.ThrowsAsync<RpcErrorException>(() => client.ResetAsync(ResetMode.Normal, 0));
        RpcErrorException refused = await Assert.ThrowsAsync<RpcErrorException>(() => client.EnterBootloaderAsync(0));

        Assert.Equal(new ResetRequest(ResetMode.Bootloader, 250), Assert.Single(node.Resets));
        Assert.False(invoker.Calls[0].Options!.Idempotent);
        Assert.True(DeviceInterface.TryGetError(busy, out DeviceError e1) && e1 == DeviceError.Busy);
        Assert.True(DeviceInterface.TryGetError(refused, out DeviceError e2) && e2 == DeviceError.NotAllowed);
    }

    [Fact]
    public async Task Heartbeats_reach_a_broadcast_subscriber_with_the_sender()
    {
        var invoker = new LoopbackInvoker { ServedDevice = Node };
        var node = new FakeNode();
        invoker.Host(node);
        using var anyNode = new DeviceClient(invoker, NodeAddress.Broadcast);
        var beats = new List<(NodeAddress, uint)>();
        anyNode.Heartbeat += (source, e) => beats.Add((source, e.UptimeMilliseconds));

        await node.BeatAsync(1000);
        await node.BeatAsync(2000);

        Assert.Equal(new[] { (Node, 1000u), (Node, 2000u) }, beats);
    }

    [Fact]
    public void Blocking_forms_return_the_same_answers_and_throw_the_same_typed_errors_for_scripts_and_python()
    {
        var invoker = new LoopbackInvoker { ServedDevice = Node };
        var node = new FakeNode();
        invoker.Host(node);
        using var client = new DeviceClient(invoker, Node);

        Assert.Equal(DeviceVectors.Identity, client.GetIdentity());
        Assert.Equal(new ImageVersion(2, 1, 3, 99), client.GetVersions(new GetVersionsRequest()).ApplicationVersion);
        client.Reset(ResetMode.Bootloader, 10);
        node.Updating = true;
        RpcErrorException busy = Assert.Throws<RpcErrorException>(() => client.Reset(ResetMode.Normal, 0));

        Assert.True(DeviceInterface.TryGetError(busy, out DeviceError error) && error == DeviceError.Busy);
        Assert.Equal(new ResetRequest(ResetMode.Bootloader, 10), Assert.Single(node.Resets));
    }

    [Fact]
    public void ReceiveBuffers_is_described_in_packets_as_in_the_data_link_capabilities()
    {
        // docs/protocol.md 7.2 defines receive buffers as packets (the RPC window is counted in requests, each one
        // packet whatever its frames); the Device interface repeats the number and must not say frames.
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestPaths.DeviceInterfaceFile));
        string description = json.RootElement.GetProperty("commands").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "GetCapabilities").GetProperty("response").EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "receiveBuffers").GetProperty("description").GetString()!;
        string protocolRow = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docs", "protocol.md"))
            .Single(line => line.StartsWith("| 3 | 1 | receive buffers", StringComparison.Ordinal));

        Assert.Contains("packets", protocolRow, StringComparison.Ordinal);
        Assert.Contains("packets", description, StringComparison.Ordinal);
        Assert.DoesNotContain("frame", description, StringComparison.OrdinalIgnoreCase);
    }
}
