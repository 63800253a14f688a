using System.Buffers;
using Csa.Rpc.Tests.Support;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcPacketCodecTests
{
    public static TheoryData<string> GoldenNames() => new(GoldenDoc.Table("golden-vectors").Select(row => row[0]));

    public static TheoryData<string> MalformedNames() => new(GoldenDoc.Table("malformed-vectors").Select(row => row[0]));

    private static string[] Golden(string name) => GoldenDoc.Table("golden-vectors").Single(row => row[0] == name);

    [Fact]
    public void Doc_holds_golden_vectors_of_every_kind_and_every_malformed_error()
    {
        var kinds = GoldenDoc.Table("golden-vectors").Select(row => Enum.Parse<RpcPacketKind>(row[2])).ToHashSet();
        Assert.Equal(Enum.GetValues<RpcPacketKind>().ToHashSet(), kinds);
        var errors = GoldenDoc.Table("malformed-vectors").Select(row => Enum.Parse<RpcPacketError>(row[2])).ToHashSet();
        Assert.Equal(Enum.GetValues<RpcPacketError>().Where(e => e != RpcPacketError.None).ToHashSet(), errors);
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_vector_decodes_to_the_documented_fields(string name)
    {
        string[] row = Golden(name);
        byte[] packet = GoldenDoc.Hex(row[1]);

        Assert.True(RpcPacket.TryParse(packet, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out RpcPacketError error));
        Assert.Equal(RpcPacketError.None, error);
        Assert.Equal(Enum.Parse<RpcPacketKind>(row[2]), header.Kind);
        Assert.Equal(row[3] == "-" ? RpcPacketFlags.None : Enum.Parse<RpcPacketFlags>(row[3]), header.Flags);
        Assert.Equal(GoldenDoc.U16(row[4]), header.InterfaceId);
        Assert.Equal(GoldenDoc.U16(row[5]), header.MessageId);
        Assert.Equal(GoldenDoc.U16(row[6]), header.RequestId);
        Assert.Equal(GoldenDoc.Hex(row[7]), payload.ToArray());
        if (header.Kind == RpcPacketKind.Error)
        {
            Assert.True(RpcPacket.TryReadError(payload.Span, out ushort code, out string message));
            Assert.Equal(GoldenDoc.U16(row[8]), code);
            Assert.Equal(GoldenDoc.Quoted(row[9]), message);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_vector_reencodes_to_the_same_bytes(string name)
    {
        string[] row = Golden(name);
        byte[] packet = GoldenDoc.Hex(row[1]);
        Assert.True(RpcPacket.TryParse(packet, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out _));

        var written = new ArrayBufferWriter<byte>();
        RpcPacket.Write(written, header, payload.Span);
        Assert.Equal(packet, written.WrittenSpan.ToArray());

        if (header.Kind == RpcPacketKind.Error)
        {
            var error = new ArrayBufferWriter<byte>();
            RpcPacket.WriteError(error, header, GoldenDoc.U16(row[8]), GoldenDoc.Quoted(row[9]));
            Assert.Equal(packet, error.WrittenSpan.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_vector_decodes_identically_when_split_across_segments_at_every_position(string name)
    {
        byte[] packet = GoldenDoc.Hex(Golden(name)[1]);
        Assert.True(RpcPacket.TryParse(packet, out RpcPacketHeader expected, out ReadOnlyMemory<byte> expectedPayload, out _));
        for (int split = 0; split <= packet.Length; split++)
        {
            ReadOnlySequence<byte> sequence = Segments.Split(packet, split);
            Assert.True(RpcPacket.TryParse(sequence, out RpcPacketHeader header, out ReadOnlySequence<byte> payload, out RpcPacketError error), $"split at {split}: {error}");
            Assert.Equal(expected, header);
            Assert.Equal(expectedPayload.ToArray(), payload.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(MalformedNames))]
    public void Malformed_vector_is_rejected_with_its_documented_error(string name)
    {
        string[] row = GoldenDoc.Table("malformed-vectors").Single(r => r[0] == name);
        byte[] packet = GoldenDoc.Hex(row[1]);
        var expected = Enum.Parse<RpcPacketError>(row[2]);

        Assert.False(RpcPacket.TryParse(packet, out _, out _, out RpcPacketError error));
        Assert.Equal(expected, error);
        for (int split = 0; split <= packet.Length; split++)
        {
            Assert.False(RpcPacket.TryParse(Segments.Split(packet, split), out _, out _, out error));
            Assert.Equal(expected, error);
        }
        RpcPacketException thrown = Assert.Throws<RpcPacketException>(() => RpcPacket.Parse(new ReadOnlySequence<byte>(packet), out _));
        Assert.Equal(expected, thrown.Error);
        Assert.False(string.IsNullOrWhiteSpace(thrown.Message));
    }

    [Fact]
    public void Parse_returns_header_and_payload_of_a_valid_packet()
    {
        byte[] packet = [0x01, 0x00, 0x02, 0x01, 0x03, 0x00, 0x34, 0x12, 0xAA];
        RpcPacketHeader header = RpcPacket.Parse(new ReadOnlySequence<byte>(packet), out ReadOnlySequence<byte> payload);
        Assert.Equal(new RpcPacketHeader(RpcPacketKind.Command, RpcPacketFlags.None, 0x0102, 0x0003, 0x1234), header);
        Assert.Equal([0xAA], payload.ToArray());
    }

    [Fact]
    public void WriteError_cuts_a_long_message_at_a_character_boundary()
    {
        // 127 ASCII bytes, then a 2-byte character that would end at byte 129: it must be left out whole.
        string message = new string('a', 127) + "é" + "tail";
        var header = new RpcPacketHeader(RpcPacketKind.Error, RpcPacketFlags.None, 1, 2, 3);
        var output = new ArrayBufferWriter<byte>();
        RpcPacket.WriteError(output, header, 0x0042, message);

        byte[] packet = output.WrittenSpan.ToArray();
        Assert.Equal(RpcPacketHeader.Size + 2 + 127, packet.Length);
        Assert.True(RpcPacket.TryParse(packet, out _, out ReadOnlyMemory<byte> payload, out _));
        Assert.True(RpcPacket.TryReadError(payload.Span, out ushort code, out string text));
        Assert.Equal(0x0042, code);
        Assert.Equal(new string('a', 127), text);
    }

    [Fact]
    public void WriteError_keeps_a_message_of_exactly_the_maximum_and_never_splits_a_surrogate_pair()
    {
        var header = new RpcPacketHeader(RpcPacketKind.Error, RpcPacketFlags.None, 1, 2, 3);
        var exact = new ArrayBufferWriter<byte>();
        RpcPacket.WriteError(exact, header, 1, new string('x', RpcPacket.MaxErrorMessageBytes));
        Assert.Equal(RpcPacketHeader.Size + 2 + RpcPacket.MaxErrorMessageBytes, exact.WrittenCount);

        var emoji = new ArrayBufferWriter<byte>();
        RpcPacket.WriteError(emoji, header, 1, new string('x', 126) + "\U0001F600");
        Assert.True(RpcPacket.TryReadError(emoji.WrittenSpan[RpcPacketHeader.Size..], out _, out string text));
        Assert.Equal(new string('x', 126), text);
    }

    [Fact]
    public void TryReadError_replaces_invalid_utf8_and_keeps_the_code()
    {
        Assert.True(RpcPacket.TryReadError([0x05, 0xFF, 0xC3, 0x28], out ushort code, out string message));
        Assert.Equal((ushort)RpcStatus.Busy, code);
        Assert.Equal("\uFFFD(", message);
        Assert.False(RpcPacket.TryReadError([0x05], out _, out _));
    }

    [Fact]
    public void Writing_an_invalid_header_is_refused()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => RpcPacket.WriteHeader(output, new RpcPacketHeader((RpcPacketKind)9, RpcPacketFlags.None, 0, 0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RpcPacket.WriteHeader(output, new RpcPacketHeader(RpcPacketKind.Command, (RpcPacketFlags)0x02, 0, 0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RpcPacket.Write(output, new RpcPacketHeader(RpcPacketKind.Error, RpcPacketFlags.None, 0, 0, 0), [0x01]));
        Assert.Throws<ArgumentOutOfRangeException>(() => RpcPacket.WriteError(output, new RpcPacketHeader(RpcPacketKind.Response, RpcPacketFlags.None, 0, 0, 0), 1, "x"));
        Assert.Equal(0, output.WrittenCount);
    }
}
