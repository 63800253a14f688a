using System.Text.Json;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Csa.Crypto.Tests;

/// <summary>
/// Wycheproof vectors for the primitives under the content-key wrap: ECDH (with the same point decoder and
/// shared-secret function the decryptor uses), HKDF-SHA256, HMAC-SHA256 and the AES engine (through GCM).
/// </summary>
[Trait("Requirement", "REQ-CONFIDENTIAL")]
[Trait("Threat", "THREAT.IMG.DISCLOSURE")]
public sealed class WycheproofPrimitiveTests
{
    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    public void EcdhEcpoint_EveryVector_PassesUnderTheDocumentedPolicy()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "ecdh_secp256r1_ecpoint_test.json");
        var failures = new List<string>();
        int count = 0;
        int acceptable = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            Assert.Equal("secp256r1", group.GetProperty("curve").GetString());
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                int tcId = test.GetProperty("tcId").GetInt32();
                string result = test.GetProperty("result").GetString()!;
                BigInteger d = new(1, test.HexProperty("private"));
                var point = P256.TryDecodeUncompressed(test.HexProperty("public"));
                byte[] shared = new byte[32];
                bool computed = point is not null && P256.TrySharedSecret(d, point, shared);

                // Policy: wrapped keys carry uncompressed points only, so "acceptable" (compressed) points are refused.
                bool expectSuccess;
                if (result == "acceptable")
                {
                    Assert.Contains("CompressedPublic", test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
                    expectSuccess = false;
                    acceptable++;
                }
                else
                {
                    expectSuccess = TestSupport.ExpectValid(test);
                }
                if (computed != expectSuccess)
                {
                    failures.Add($"tcId {tcId} ({result}, {test.GetProperty("comment").GetString()}): computed = {computed}");
                }
                else if (computed && !shared.AsSpan().SequenceEqual(test.HexProperty("shared")))
                {
                    failures.Add($"tcId {tcId}: wrong shared secret");
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.Equal(1, acceptable);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void HkdfSha256_EveryVector()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "hkdf_sha256_test.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                int tcId = test.GetProperty("tcId").GetInt32();
                bool valid = TestSupport.ExpectValid(test);
                byte[] output = new byte[test.GetProperty("size").GetInt32()];
                try
                {
                    HmacSha256.Hkdf(test.HexProperty("ikm"), test.HexProperty("salt"), test.HexProperty("info"), output);
                    if (!valid)
                    {
                        failures.Add($"tcId {tcId}: invalid size {output.Length} was accepted");
                    }
                    else if (!output.AsSpan().SequenceEqual(test.HexProperty("okm")))
                    {
                        failures.Add($"tcId {tcId}: wrong output");
                    }
                }
                catch (ArgumentOutOfRangeException) when (!valid)
                {
                    // expected: more than 255 * 32 bytes
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public void HmacSha256_EveryVector_IncludingTruncatedTags()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "hmac_sha256_test.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                bool valid = TestSupport.ExpectValid(test);
                bool actual = HmacSha256.Verify(test.HexProperty("key"), test.HexProperty("msg"), test.HexProperty("tag"));
                if (actual != valid)
                {
                    failures.Add($"tcId {test.GetProperty("tcId").GetInt32()}: expected {valid}, got {actual}");
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// The AES engine the CTR code uses (AesUtilities.CreateEngine), driven through BouncyCastle GCM. Every group
    /// runs, not only 96-bit IVs: valid vectors must encrypt and decrypt exactly, invalid ones (modified tags,
    /// empty IVs) must be refused.
    /// </summary>
    [Fact]
    public void AesGcm_EveryVector_WithTheAesEngineWeUse()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "aes_gcm_test.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            int tagBits = group.GetProperty("tagSize").GetInt32();
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                int tcId = test.GetProperty("tcId").GetInt32();
                bool valid = TestSupport.ExpectValid(test);
                byte[] key = test.HexProperty("key"), iv = test.HexProperty("iv"), aad = test.HexProperty("aad");
                byte[] msg = test.HexProperty("msg"), sealedBox = [.. test.HexProperty("ct"), .. test.HexProperty("tag")];
                byte[]? opened = Gcm(forEncryption: false, key, iv, aad, tagBits, sealedBox);
                if (valid)
                {
                    byte[]? sealedAgain = Gcm(forEncryption: true, key, iv, aad, tagBits, msg);
                    if (opened is null || !opened.AsSpan().SequenceEqual(msg) || sealedAgain is null || !sealedAgain.AsSpan().SequenceEqual(sealedBox))
                    {
                        failures.Add($"tcId {tcId}: valid vector did not round-trip");
                    }
                }
                else if (opened is not null)
                {
                    failures.Add($"tcId {tcId}: invalid vector was opened");
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static byte[]? Gcm(bool forEncryption, byte[] key, byte[] iv, byte[] aad, int tagBits, byte[] input)
    {
        try
        {
            var gcm = new GcmBlockCipher(AesUtilities.CreateEngine());
            gcm.Init(forEncryption, new AeadParameters(new KeyParameter(key), tagBits, iv, aad));
            byte[] output = new byte[gcm.GetOutputSize(input.Length)];
            int length = gcm.ProcessBytes(input, 0, input.Length, output, 0);
            length += gcm.DoFinal(output, length);
            return output[..length];
        }
        catch (InvalidCipherTextException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null; // e.g. an empty IV, refused at Init
        }
    }
}
