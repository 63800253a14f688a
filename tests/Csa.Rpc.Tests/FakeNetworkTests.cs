using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

/// <summary>The fake network is a measuring instrument for the benchmarks; its model is checked here.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class FakeNetworkTests
{
    [Theory]
    [InlineData(270, 307, 286)] // one 256-byte write: one frame (16 bytes of framing, rpc-packets.md section 8)
    [InlineData(0, 307, 16)] // an empty packet still takes one frame
    [InlineData(307, 307, 323)]
    [InlineData(308, 307, 340)] // one byte more: a second frame
    [InlineData(700, 256, 748)]
    public void Paced_link_charges_framing_per_frame(int packetBytes, int maxFramePayload, int expectedWireBytes)
    {
        var pacing = new LinkPacing(MaxFramePayload: maxFramePayload);
        Assert.Equal(expectedWireBytes, pacing.WireBytes(packetBytes));
        Assert.Equal(TimeSpan.FromSeconds(expectedWireBytes * 10.0 / 115_200), pacing.WireTime(packetBytes));
        Assert.Equal(11_520, pacing.BytesPerSecond);
    }

    [Fact]
    public async Task Paced_link_delivers_every_packet_in_order()
    {
        var network = new FakePacketNetwork(new FakeNetworkOptions { Pacing = new LinkPacing(BitsPerSecond: 10_000_000) });
        await using FakePacketSocket a = network.Bind(new Endpoint(new NodeAddress(1), 1));
        await using FakePacketSocket b = network.Bind(new Endpoint(new NodeAddress(2), 1));
        for (byte i = 0; i < 20; i++)
            await a.SendAsync(b.LocalEndpoint, new byte[] { i, 0, 0 });
        for (byte i = 0; i < 20; i++)
        {
            InboundPacket packet = await b.ReceiveAsync();
            Assert.Equal(i, packet.Payload.Span[0]);
            Assert.Equal(a.LocalEndpoint, packet.Source);
        }
    }

    [Fact]
    public async Task Lossy_network_with_a_seed_loses_and_duplicates_the_same_packets_every_time()
    {
        static async Task<byte[]> RunAsync()
        {
            var network = new FakePacketNetwork(new FakeNetworkOptions { Seed = 42, LossRate = 0.3, DuplicationRate = 0.3 });
            await using FakePacketSocket a = network.Bind(new Endpoint(new NodeAddress(1), 1));
            await using FakePacketSocket b = network.Bind(new Endpoint(new NodeAddress(2), 1));
            for (byte i = 0; i < 100; i++)
                await a.SendAsync(b.LocalEndpoint, new[] { i });
            var received = new List<byte>();
            while (b.Inbound.TryRead(out InboundPacket? packet))
                received.Add(packet.Payload.Span[0]);
            return [.. received];
        }

        byte[] first = await RunAsync();
        Assert.Equal(first, await RunAsync());
        Assert.InRange(first.Distinct().Count(), 50, 90); // about 70 survive
        Assert.True(first.Length > first.Distinct().Count()); // some arrived twice
    }
}
