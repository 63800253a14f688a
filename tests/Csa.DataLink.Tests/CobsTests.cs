using Csa.DataLink.Internal;

namespace Csa.DataLink.Tests;

[Trait("Requirement", "REQ-TOPO")]
public class CobsTests
{
    // The worked example of docs/protocol.md section 3.1.
    [Theory]
    [InlineData("", "01")]
    [InlineData("00", "0101")]
    [InlineData("0000", "010101")]
    [InlineData("11220033", "0311220233")]
    [InlineData("11223344", "0511223344")]
    [InlineData("11000000", "0211010101")]
    public void Worked_examples_encode_and_decode(string decodedHex, string encodedHex)
    {
        byte[] decoded = Convert.FromHexString(decodedHex);
        byte[] encoded = Convert.FromHexString(encodedHex);
        Assert.Equal(encoded, Encode(decoded));
        Assert.Equal(decoded, Decode(encoded));
    }

    [Fact]
    public void A_full_block_of_254_bytes_gets_code_FF_and_nothing_after_it()
    {
        byte[] data = [.. Enumerable.Range(1, 254).Select(i => (byte)i)];
        byte[] encoded = Encode(data);
        Assert.Equal(255, encoded.Length);
        Assert.Equal(0xFF, encoded[0]);
        Assert.Equal(data, encoded[1..]);
        Assert.Equal(data, Decode(encoded));
    }

    [Fact]
    public void A_full_block_followed_by_a_zero_ends_with_01_01()
    {
        byte[] data = [.. Enumerable.Range(1, 254).Select(i => (byte)i), 0];
        byte[] encoded = Encode(data);
        Assert.Equal(257, encoded.Length);
        Assert.Equal([0x01, 0x01], encoded[^2..]);
        Assert.Equal(data, Decode(encoded));
    }

    [Fact]
    public void Non_canonical_trailing_01_after_a_full_block_decodes_to_the_same_bytes()
    {
        byte[] data = [.. Enumerable.Range(1, 254).Select(i => (byte)i)];
        Assert.Equal(data, Decode([.. Encode(data), 0x01]));
    }

    [Fact]
    public void Random_data_of_every_length_up_to_1100_round_trips_within_the_overhead_bound()
    {
        var random = new Random(42);
        for (int length = 0; length <= 1100; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            if (length % 3 == 0)
                Array.Clear(data, 0, length / 2); // many zeros in some, none in others
            byte[] encoded = Encode(data);
            Assert.DoesNotContain((byte)0, encoded);
            Assert.True(encoded.Length <= Cobs.MaxEncodedLength(length), $"length {length}: {encoded.Length}");
            Assert.Equal(data, Decode(encoded));
        }
    }

    [Fact]
    public void Streaming_encoder_gives_the_same_bytes_however_the_input_is_split()
    {
        byte[] data = new byte[700];
        new Random(7).NextBytes(data);
        data[100] = 0;
        data[354] = 0;
        byte[] whole = Encode(data);
        for (int cut = 0; cut <= data.Length; cut += 13)
        {
            var buffer = new byte[Cobs.MaxEncodedLength(data.Length)];
            var encoder = new Cobs.Encoder(buffer);
            encoder.Write(data.AsSpan(0, cut));
            encoder.Write(data.AsSpan(cut));
            Assert.Equal(whole, buffer[..encoder.Finish()]);
        }
    }

    [Theory]
    [InlineData("0A114001")] // promises 9 bytes, 3 follow
    [InlineData("02")]       // promises 1 byte, none follows
    [InlineData("0300")]     // zero code inside the run
    public void Invalid_input_is_reported_not_decoded(string encodedHex)
    {
        byte[] output = new byte[64];
        Assert.Equal(CobsStatus.Invalid, Cobs.Decode(Convert.FromHexString(encodedHex), output, out _));
    }

    [Fact]
    public void Decoding_never_writes_past_the_destination()
    {
        byte[] encoded = Encode(new byte[40]); // 40 zeros
        byte[] output = new byte[41];
        Assert.Equal(CobsStatus.Overflow, Cobs.Decode(encoded, output.AsSpan(0, 39), out _));
        Assert.Equal(0, output[40]);
    }

    private static byte[] Encode(byte[] data)
    {
        var buffer = new byte[Cobs.MaxEncodedLength(data.Length)];
        return buffer[..Cobs.Encode(data, buffer)];
    }

    private static byte[] Decode(byte[] encoded)
    {
        var buffer = new byte[encoded.Length];
        Assert.Equal(CobsStatus.Done, Cobs.Decode(encoded, buffer, out int length));
        return buffer[..length];
    }
}
