using Csa.DataLink;
using Csa.DataLink.Internal;
using Csa.Fuzz.Engine;
using Microsoft.Extensions.Time.Testing;

namespace Csa.Fuzz.Targets;

/// <summary>
/// Reassembly (docs/protocol.md 6.2) of hostile fragments: the input is a run of records, each a 9-byte frame header as
/// it arrives after the CRC check, a length byte and that many payload bytes; a record starting 0xFF advances the clock
/// (timeouts). Contract: never throws; a completed packet is never larger than the limit; packets in progress stay
/// within the per-source limit.
/// </summary>
internal sealed class ReassemblyTarget : FuzzTarget
{
    private const int MaxPacketSize = 1024;
    private const int MaxPerSource = 2;

    public override string Name => "reassembly";

    public override string Description => "Reassembler.Accept on a run of (frame header, payload) records and clock steps";

    public override IEnumerable<byte[]> Seeds()
    {
        var all = new List<byte>();
        foreach ((FrameHeader header, byte[] payload) in FrameTarget.SampleFrames())
        {
            var head = new byte[DataLinkProtocol.HeaderSize];
            header.WriteTo(head);
            byte[] record = [.. head, (byte)Math.Min(payload.Length, 255), .. payload.AsSpan(0, Math.Min(payload.Length, 255))];
            all.AddRange(record);
            yield return record;
        }
        // A three-fragment packet, then a timeout in the middle of another.
        for (byte i = 0; i < 3; i++)
        {
            var head = new byte[DataLinkProtocol.HeaderSize];
            new FrameHeader(new Endpoint(NodeAddress.Host, 1), new Endpoint(new NodeAddress(4), 1), 9, i, i == 2, 64).WriteTo(head);
            all.AddRange([.. head, 100, .. new byte[100]]);
        }
        all.AddRange([0xFF, 40]);
        yield return [.. all];
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        var clock = new FakeTimeProvider();
        int drops = 0;
        using var reassembler = new Reassembler(MaxPacketSize, MaxPerSource, TimeSpan.FromSeconds(1), clock, (_, _, _, _) => drops++);
        var sources = new HashSet<byte>();
        int outcome = 0;
        while (!input.IsEmpty)
        {
            if (input[0] == 0xFF)
            {
                clock.Advance(TimeSpan.FromMilliseconds(50 * (input.Length > 1 ? input[1] : 1)));
                input = input[Math.Min(2, input.Length)..];
                continue;
            }
            if (input.Length < DataLinkProtocol.HeaderSize + 1)
                break;
            FrameHeader header = FrameHeader.Read(input);
            int length = Math.Min(input[DataLinkProtocol.HeaderSize], input.Length - DataLinkProtocol.HeaderSize - 1);
            ReadOnlySpan<byte> payload = input.Slice(DataLinkProtocol.HeaderSize + 1, length);
            input = input[(DataLinkProtocol.HeaderSize + 1 + length)..];
            sources.Add(header.Source.Node.Value);
            byte[]? packet = reassembler.Accept(header, payload);
            if (packet is not null)
            {
                if (packet.Length > MaxPacketSize)
                    throw new ContractViolation($"a {packet.Length}-byte packet from a reassembler limited to {MaxPacketSize}");
                outcome = outcome * 31 + 1;
            }
            if (reassembler.ActiveCount > MaxPerSource * sources.Count)
                throw new ContractViolation($"{reassembler.ActiveCount} packets in progress from {sources.Count} sources (limit {MaxPerSource} each)");
        }
        return outcome * 7 + Math.Min(drops, 6);
    }

    public override long AllocationBudget(int length) => 64 * 1024 + 256L * length;
}
