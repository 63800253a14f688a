using System.Text.Json;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Csa.Crypto.Tests;

/// <summary>AES-CTR: NIST SP 800-38A known answers, seeking, and the 128-bit big-endian counter.</summary>
[Trait("Requirement", "REQ-CONFIDENTIAL")]
[Trait("Threat", "THREAT.IMG.DISCLOSURE")]
public sealed class AesCtrTests
{
    [Fact]
    public void Sp800_38A_F5_EveryKeySize_EncryptsAndDecrypts_FromEveryOffset()
    {
        using JsonDocument doc = TestSupport.LoadJson("nist", "sp800-38a-ctr.json");
        int vectors = 0;
        foreach (JsonElement vector in doc.RootElement.GetProperty("vectors").EnumerateArray())
        {
            vectors++;
            byte[] key = vector.HexProperty("key"), counter = vector.HexProperty("initialCounter");
            byte[] plaintext = vector.HexProperty("plaintext"), ciphertext = vector.HexProperty("ciphertext");
            byte[] output = new byte[plaintext.Length];
            AesCtr.Transform(key, counter, 0, plaintext, output);
            Assert.Equal(ciphertext, output);

            // Any suffix, at any (unaligned) offset, decrypts on its own.
            for (int offset = 0; offset < ciphertext.Length; offset++)
            {
                byte[] part = new byte[ciphertext.Length - offset];
                AesCtr.Transform(key, counter, offset, ciphertext.AsSpan(offset), part);
                Assert.Equal(plaintext[offset..], part);
            }
        }

        Assert.Equal(3, vectors);
    }

    [Theory]
    [InlineData("000000000000000000000000fffffffe")] // carry out of the low 32 bits (where the STM32 AES peripheral stops)
    [InlineData("0000000000000000fffffffffffffffe")] // carry out of the low 64 bits
    [InlineData("fffffffffffffffffffffffffffffffe")] // wraps to zero after 2^128 - 1
    public void CounterIsOne128BitBigEndianInteger_MatchesBouncyCastleSic(string nonceHex)
    {
        byte[] key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        byte[] nonce = TestSupport.Hex(nonceHex);
        byte[] plaintext = Enumerable.Range(0, 16 * 5 + 3).Select(i => (byte)i).ToArray();

        // Independent reference: BouncyCastle's SIC (CTR) mode increments the whole block big-endian.
        var sic = new BufferedBlockCipher(new SicBlockCipher(AesUtilities.CreateEngine()));
        sic.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] expected = sic.DoFinal(plaintext);

        byte[] actual = new byte[plaintext.Length];
        AesCtr.Transform(key, nonce, 0, plaintext, actual);
        Assert.Equal(expected, actual);

        byte[] tail = new byte[plaintext.Length - 37];
        AesCtr.Transform(key, nonce, 37, plaintext.AsSpan(37), tail);
        Assert.Equal(expected[37..], tail);
    }

    [Fact]
    public void CounterCarry_MatchesOpenSslCommandLine()
    {
        using var temp = new TempDirectory();
        byte[] key = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 ^ i)).ToArray();
        byte[] nonce = TestSupport.Hex("00112233445566778899aabbfffffffe");
        byte[] plaintext = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();
        File.WriteAllBytes(temp.File("plain.bin"), plaintext);
        OpenSsl.Run(temp.Path, "enc", "-aes-256-ctr", "-K", TestSupport.ToHex(key), "-iv", TestSupport.ToHex(nonce), "-in", "plain.bin", "-out", "cipher.bin");

        byte[] actual = new byte[plaintext.Length];
        AesCtr.Transform(key, nonce, 0, plaintext, actual);
        Assert.Equal(File.ReadAllBytes(temp.File("cipher.bin")), actual);
    }

    [Fact]
    public void RandomOffsetsAndLengths_EqualTheMatchingSliceOfTheWholeDecryption()
    {
        var random = new Random(20261125);
        byte[] key = new byte[32], nonce = new byte[16], plaintext = new byte[10_000];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(plaintext);
        byte[] ciphertext = new byte[plaintext.Length];
        AesCtr.Transform(key, nonce, 0, plaintext, ciphertext);

        for (int i = 0; i < 300; i++)
        {
            int offset = random.Next(plaintext.Length);
            int length = random.Next(plaintext.Length - offset + 1);
            byte[] part = new byte[length];
            AesCtr.Transform(key, nonce, offset, ciphertext.AsSpan(offset, length), part);
            Assert.True(plaintext.AsSpan(offset, length).SequenceEqual(part), $"offset {offset}, length {length}");
        }
    }

    [Fact]
    public void BadArguments_AreRefusedWithTypedExceptions()
    {
        byte[] data = new byte[4];
        Assert.Throws<ArgumentException>(() => AesCtr.Transform(new byte[31], new byte[16], 0, data, data));
        Assert.Throws<ArgumentException>(() => AesCtr.Transform(new byte[32], new byte[12], 0, data, data));
        Assert.Throws<ArgumentOutOfRangeException>(() => AesCtr.Transform(new byte[32], new byte[16], -1, data, data));
        Assert.Throws<ArgumentException>(() => AesCtr.Transform(new byte[32], new byte[16], 0, data, new byte[3]));
    }
}
