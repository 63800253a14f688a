using System.Security.Cryptography;
using System.Text.Json;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Math;

namespace Csa.Crypto.Tests;

/// <summary>
/// Every ECDSA P-256 / SHA-256 vector of Wycheproof, through the public verifier. Policy (docs/security.md):
/// "valid" must verify, "invalid" must not; these two files contain no "acceptable" vectors. Each test reports
/// every failing tcId at once.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-TAMPER")]
[Trait("Threat", "THREAT.IMG.NON_AUTH")]
public sealed class WycheproofEcdsaTests
{
    [Fact]
    public void EveryP1363Vector_VerifiesExactlyWhenValid()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "ecdsa_secp256r1_sha256_p1363_test.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var verifier = new EcdsaP256Verifier(LoadGroupKey(group, failures));
            byte[] keyId = verifier.TrustedKeys.Single().KeyId.ToArray();
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                bool expected = ExpectedResult(test);
                bool actual = verifier.Verify(test.HexProperty("msg"), test.HexProperty("sig"), keyId);
                if (actual != expected)
                {
                    failures.Add($"tcId {test.GetProperty("tcId").GetInt32()} ({test.GetProperty("comment").GetString()}): expected {expected}, got {actual}");
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void EveryDerVector_VerifiesExactlyWhenValid_AndValidOnesReencodeByteForByte()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "ecdsa_secp256r1_sha256_test.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var verifier = new EcdsaP256Verifier(LoadGroupKey(group, failures));
            byte[] keyId = verifier.TrustedKeys.Single().KeyId.ToArray();
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                int tcId = test.GetProperty("tcId").GetInt32();
                bool expected = ExpectedResult(test);
                byte[] der = test.HexProperty("sig");
                bool actual = EcdsaP256SignatureEncoding.TryFromDer(der, out byte[]? raw)
                    && verifier.Verify(test.HexProperty("msg"), raw, keyId);
                if (actual != expected)
                {
                    failures.Add($"tcId {tcId} ({test.GetProperty("comment").GetString()}): expected {expected}, got {actual}");
                }

                // Strict DER means one encoding per signature: a valid one must come back byte for byte.
                if (expected && actual && !EcdsaP256SignatureEncoding.ToDer(raw).AsSpan().SequenceEqual(der))
                {
                    failures.Add($"tcId {tcId}: DER does not re-encode identically");
                }
            }
        }

        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), count);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void RequireLowS_AcceptsTheValidVectorsWithLowS_AndRefusesThoseWithHighS()
    {
        using JsonDocument doc = TestSupport.LoadJson("wycheproof", "ecdsa_secp256r1_sha256_p1363_test.json");
        var failures = new List<string>();
        int highS = 0;
        foreach (JsonElement group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            EcP256PublicKey key = EcP256PublicKey.FromUncompressedPoint(group.GetProperty("publicKey").HexProperty("uncompressed"));
            var strict = new EcdsaP256Verifier([key], new EcdsaP256VerifierOptions { RequireLowS = true });
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                byte[] sig = test.HexProperty("sig");
                if (!ExpectedResult(test) || sig.Length != 64)
                {
                    continue;
                }

                bool isHigh = new BigInteger(1, sig[32..]).CompareTo(P256.HalfN) > 0;
                highS += isHigh ? 1 : 0;
                bool actual = strict.Verify(test.HexProperty("msg"), sig, key.KeyId.Span);
                if (actual == isHigh)
                {
                    failures.Add($"tcId {test.GetProperty("tcId").GetInt32()}: high S = {isHigh}, accepted = {actual}");
                }
            }
        }

        Assert.True(highS > 10, "the file should exercise high-S signatures");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static bool ExpectedResult(JsonElement test) => TestSupport.ExpectValid(test);

    /// <summary>Loads the group's key three ways (raw point, DER SPKI, PEM) and checks they agree.</summary>
    private static EcP256PublicKey LoadGroupKey(JsonElement group, List<string> failures)
    {
        EcP256PublicKey fromPoint = EcP256PublicKey.FromUncompressedPoint(group.GetProperty("publicKey").HexProperty("uncompressed"));
        EcP256PublicKey fromDer = EcP256PublicKey.FromSubjectPublicKeyInfo(group.HexProperty("publicKeyDer"));
        EcP256PublicKey fromPem = EcP256PublicKey.FromPem(group.GetProperty("publicKeyPem").GetString()!);
        if (!fromPoint.Equals(fromDer) || !fromPoint.Equals(fromPem))
        {
            failures.Add($"group key {fromPoint.KeyIdHex}: point, DER and PEM forms disagree");
        }

        if (!fromPoint.KeyId.Span.SequenceEqual(SHA256.HashData(fromPoint.UncompressedPoint.Span).AsSpan(0, 8)))
        {
            failures.Add($"group key {fromPoint.KeyIdHex}: key id is not SHA-256(point)[0..8]");
        }

        return fromPoint;
    }
}
