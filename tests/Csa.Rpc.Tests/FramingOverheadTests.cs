using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.RegularExpressions;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Tests.Support;

namespace Csa.Rpc.Tests;

/// <summary>
/// The framing figures of docs/rpc-packets.md section 8 (bytes of framing per frame, and the link-use ceiling of 256-byte
/// writes) measured on the real codecs: an RPC write packet sent by a <see cref="DataLinkNode"/> to another over an
/// in-memory link, with the bytes on the wire captured between them. The paced fake wire of the RPC tests and of
/// <c>RpcPipelinedWriteBenchmarks</c> must charge the same overhead.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed partial class FramingOverheadTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_framing_per_frame_and_the_256_byte_write_ceiling_of_rpc_packets_md_8_are_what_the_codecs_produce()
    {
        var block = new byte[WriteAtRequest.MaxData];
        // COBS costs one code byte per run of up to 254 non-zero bytes: a block without zeros is the worst case for a
        // frame this size (two code bytes), random data usually needs one.
        block.AsSpan().Fill(0xA5);
        (int packetBytes, int worstWire) = await MeasureAsync(block);
        new Random(7).NextBytes(block);
        (_, int randomWire) = await MeasureAsync(block);
        int framing = worstWire - packetBytes;
        Assert.InRange(randomWire - packetBytes, framing - 1, framing);

        // By protocol.md sections 3 and 4: 9-byte header, 4-byte CRC, ceil(frame / 254) COBS code bytes, one delimiter.
        int frame = packetBytes + 13;
        Assert.Equal(13 + ((frame + 253) / 254) + 1, framing);

        string section = Section8();
        Match perFrame = FramingPerFrame().Match(section);
        Assert.True(perFrame.Success, "rpc-packets.md section 8 no longer says how many bytes of framing a frame costs");
        Assert.Equal(framing, int.Parse(perFrame.Groups["bytes"].Value, CultureInfo.InvariantCulture));
        Match ceiling = Ceiling().Match(section);
        Assert.True(ceiling.Success, "rpc-packets.md section 8 no longer gives the ceiling of 256-byte writes");
        Assert.Equal(packetBytes - WriteAtRequest.MaxData + framing, int.Parse(ceiling.Groups["overhead"].Value, CultureInfo.InvariantCulture) - WriteAtRequest.MaxData);
        double share = 100.0 * WriteAtRequest.MaxData / (packetBytes + framing);
        Assert.Equal(Math.Round(share, 1).ToString("0.0", CultureInfo.InvariantCulture), ceiling.Groups["percent"].Value);

        // The paced fake wire (tests and RpcPipelinedWriteBenchmarks) charges the same per frame.
        Assert.Equal(framing, new LinkPacing().FrameOverheadBytes);
    }

    /// <summary>Sends one WriteAt(0, block) RPC packet from host to device and returns its size and its frame's bytes on the wire.</summary>
    private static async Task<(int PacketBytes, int WireBytes)> MeasureAsync(byte[] block)
    {
        var packet = new ArrayBufferWriter<byte>();
        var payload = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(payload);
        new WriteAtRequest(0, block).Write(ref writer);
        RpcPacket.Write(packet, new RpcPacketHeader(RpcPacketKind.Command, RpcPacketFlags.None, TestService.Id, TestService.WriteAt, 0x1234), payload.WrittenSpan);

        var deviceAddress = new NodeAddress(0x01);
        await using var host = new DataLinkNode();
        await using var device = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = deviceAddress, AllowAddressAssignment = false });
        (InMemoryTransport hostEnd, InMemoryTransport tapHostSide) = InMemoryTransport.CreatePair("host");
        (InMemoryTransport tapDeviceSide, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("device");
        var wire = new List<byte>();
        Task down = PumpAsync(tapHostSide.Input, tapDeviceSide.Output, wire);
        Task up = PumpAsync(tapDeviceSide.Input, tapHostSide.Output, null);
        host.AddLink(hostEnd, LinkRole.Downstream);
        device.AddLink(deviceEnd, LinkRole.Upstream);
        IPacketSocket receiver = device.OpenSocket(WellKnownPorts.Rpc);
        IPacketSocket sender = host.OpenSocket(WellKnownPorts.Rpc);
        using var guard = new CancellationTokenSource(HangGuard);

        await sender.GetCapabilitiesAsync(deviceAddress, guard.Token); // the path then allows the device's 1024-byte frames
        int before;
        lock (wire)
            before = wire.Count;
        await sender.SendAsync(new Endpoint(deviceAddress, WellKnownPorts.Rpc), packet.WrittenMemory, guard.Token);
        InboundPacket received = await receiver.Inbound.ReadAsync(guard.Token);
        Assert.Equal(packet.WrittenSpan.ToArray(), received.Payload.ToArray());

        byte[] sent;
        lock (wire)
            sent = wire.Skip(before).ToArray();
        // One frame: its encoded run plus its delimiter. An extra delimiter the sender puts before a burst (protocol.md
        // 3.2) is an empty run, not part of the frame.
        int[] runs = sent.Aggregate(new List<int> { 0 }, (acc, b) => { if (b == 0) acc.Add(0); else acc[^1]++; return acc; })
            .Take(sent.Count(b => b == 0)).Where(length => length > 0).ToArray();
        int run = Assert.Single(runs);

        tapHostSide.Output.Complete();
        tapDeviceSide.Output.Complete();
        await hostEnd.DisposeAsync();
        await deviceEnd.DisposeAsync();
        await Task.WhenAll(down, up).WaitAsync(HangGuard);
        return (packet.WrittenCount, run + 1);
    }

    private static async Task PumpAsync(PipeReader from, PipeWriter to, List<byte>? record)
    {
        try
        {
            while (true)
            {
                ReadResult read = await from.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    if (record is not null)
                    {
                        lock (record)
                            record.AddRange(segment.ToArray());
                    }
                    await to.WriteAsync(segment);
                }
                from.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                    return;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
        {
            // The test tears the links down; a pump between them ends there.
        }
    }

    private static string Section8()
    {
        string text = File.ReadAllText(GoldenDoc.DocumentPath);
        int start = text.IndexOf("\n## 8. Window", StringComparison.Ordinal);
        int end = text.IndexOf("\n## 9.", start + 1, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "rpc-packets.md has no section 8 (Window)");
        return text[start..end];
    }

    [GeneratedRegex(@"(?<bytes>\d+) bytes of framing per frame")]
    private static partial Regex FramingPerFrame();

    [GeneratedRegex(@"ceiling with these overheads is\s+256 / (?<overhead>\d+) = (?<percent>\d+\.\d) %")]
    private static partial Regex Ceiling();
}
